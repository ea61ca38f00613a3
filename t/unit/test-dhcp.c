// SPDX-License-Identifier: GPL-2.0
/* The one-client DHCP server: parsing, answers, replies, address choice. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp.h"
#include "tap.h"
#include "util.h"

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };
static const uint8_t other_mac[6] = { 0x52, 0x54, 0x00, 0x01, 0x02, 0x03 };

static struct in_addr ip(const char *s)
{
	struct in_addr a;
	if (inet_pton(AF_INET, s, &a) != 1)
		abort();
	return a;
}

/* A client message as udhcpc sends it; extra options appended raw. */
static size_t request(uint8_t *p, const uint8_t *mac, uint8_t type, const char *ciaddr,
		      const uint8_t *extra, size_t nextra)
{
	size_t at = 240;

	memset(p, 0, 548);
	p[0] = 1;
	p[1] = 1;
	p[2] = 6;
	memcpy(p + 4, "\x12\x34\x56\x78", 4);
	if (ciaddr) {
		struct in_addr c = ip(ciaddr);
		memcpy(p + 12, &c, 4);
	}
	memcpy(p + 28, mac, 6);
	memcpy(p + 236, "\x63\x82\x53\x63", 4);
	p[at++] = 53;
	p[at++] = 1;
	p[at++] = type;
	if (nextra)
		memcpy(p + at, extra, nextra);
	at += nextra;
	p[at++] = 255;
	return 548;	/* udhcpc pads its messages too */
}

/* Option code in a reply: pointer to its value (length in *len), or NULL. */
static const uint8_t *find_opt(const uint8_t *p, size_t n, uint8_t code, uint8_t *len)
{
	for (size_t i = 240; i + 1 < n && p[i] != 255;) {
		if (p[i] == 0) {
			i++;
			continue;
		}
		if (p[i] == code) {
			*len = p[i + 1];
			return p + i + 2;
		}
		i += 2 + p[i + 1];
	}
	return NULL;
}

static bool opt_is_addr(const uint8_t *p, size_t n, uint8_t code, const char *want)
{
	uint8_t len = 0;
	const uint8_t *v = find_opt(p, n, code, &len);
	struct in_addr a = ip(want);
	return v && len == 4 && !memcmp(v, &a, 4);
}

static void test_mac(void)
{
	uint8_t m[6] = { 0 };

	is_int(dhcp_parse_mac("52:54:00:AB:cd:ef", m), 0, "MAC parses");
	ok(!memcmp(m, guest_mac, 6), "MAC bytes");
	memset(m, 7, sizeof(m));
	is_int(dhcp_parse_mac("52:54:00:ab:cd", m), -EINVAL, "short MAC");
	is_int(dhcp_parse_mac("52-54-00-ab-cd-ef", m), -EINVAL, "dashes");
	is_int(dhcp_parse_mac("52:54:00:ab:cd:eg", m), -EINVAL, "not hex");
	is_int(dhcp_parse_mac(NULL, m), -EINVAL, "NULL");
	is_int(m[0], 7, "MAC untouched on failure");
}

static void test_parse(void)
{
	uint8_t p[600];
	struct dhcp_msg m, keep;
	const uint8_t req50[] = { 50, 4, 192, 168, 0, 3, 54, 4, 192, 168, 0, 1, 61, 7, 1,
				  0x52, 0x54, 0, 0xab, 0xcd, 0xef, 0, 0 /* pads */ };
	size_t n;

	n = request(p, guest_mac, DHCPDISCOVER, NULL, NULL, 0);
	is_int(dhcp_parse(p, n, &m), 0, "a DHCPDISCOVER parses");
	is_int(m.type, DHCPDISCOVER, "its type");
	ok(!memcmp(m.chaddr, guest_mac, 6), "its chaddr");
	ok(!memcmp(&m.xid, "\x12\x34\x56\x78", 4), "its xid, as on the wire");
	is_int(m.requested.s_addr, 0, "no requested address");
	is_int(m.server_id.s_addr, 0, "no server id");

	n = request(p, guest_mac, DHCPREQUEST, NULL, req50, sizeof(req50));
	is_int(dhcp_parse(p, n, &m), 0, "a DHCPREQUEST with options 50, 54, 61 and pads parses");
	is_int(m.type, DHCPREQUEST, "its type");
	is_int(m.requested.s_addr, ip("192.168.0.3").s_addr, "option 50");
	is_int(m.server_id.s_addr, ip("192.168.0.1").s_addr, "option 54");

	/* Options after END are not read. */
	n = request(p, guest_mac, DHCPDISCOVER, NULL, (const uint8_t *)"\xff\x32\x04\x01\x02\x03\x04", 7);
	is_int(dhcp_parse(p, n, &m), 0, "options after END");
	is_int(m.requested.s_addr, 0, "are ignored");

	memset(&keep, 0x5a, sizeof(keep));
	m = keep;
	n = request(p, guest_mac, DHCPDISCOVER, NULL, NULL, 0);
	is_int(dhcp_parse(p, 239, &m), -EINVAL, "shorter than the fixed part and cookie");
	p[236] = 0x64;
	is_int(dhcp_parse(p, n, &m), -EINVAL, "wrong magic cookie");
	request(p, guest_mac, DHCPDISCOVER, NULL, NULL, 0);
	p[0] = 2;
	is_int(dhcp_parse(p, n, &m), -EINVAL, "a BOOTREPLY is not a request");
	request(p, guest_mac, DHCPDISCOVER, NULL, NULL, 0);
	p[2] = 16;
	is_int(dhcp_parse(p, n, &m), -EINVAL, "not Ethernet-sized hardware addresses");
	request(p, guest_mac, DHCPDISCOVER, NULL, NULL, 0);
	p[242] = 0;
	is_int(dhcp_parse(p, n, &m), -EINVAL, "message type 0");
	request(p, guest_mac, DHCPDISCOVER, NULL, NULL, 0);
	p[240] = 12;	/* hostname option instead of 53: plain BOOTP */
	is_int(dhcp_parse(p, n, &m), -EINVAL, "no message type (BOOTP)");
	request(p, guest_mac, DHCPDISCOVER, NULL, (const uint8_t *)"\x32\x03\x01\x02\x03", 5);
	is_int(dhcp_parse(p, n, &m), -EINVAL, "option 50 of length 3");
	n = request(p, guest_mac, DHCPDISCOVER, NULL, NULL, 0);
	p[243] = 12;
	p[244] = 200;	/* runs past the end of a short message */
	is_int(dhcp_parse(p, 250, &m), -EINVAL, "an option past the end");
	is_int(dhcp_parse(p, 244, &m), -EINVAL, "an option code without its length");
	ok(!memcmp(&m, &keep, sizeof(m)), "the message is untouched on failure");
}

static void test_decide(void)
{
	struct dhcp_lease l = { .addr = ip("192.168.0.3"), .prefix = 24,
				.server = ip("192.168.0.1"), .seconds = DHCP_LEASE_SECONDS };
	static const uint8_t sel_ok[] = { 50, 4, 192, 168, 0, 3, 54, 4, 192, 168, 0, 1 };
	static const uint8_t sel_bad[] = { 50, 4, 192, 168, 0, 4, 54, 4, 192, 168, 0, 1 };
	static const uint8_t sel_other[] = { 50, 4, 192, 168, 0, 3, 54, 4, 192, 168, 0, 254 };
	static const uint8_t reboot_bad[] = { 50, 4, 10, 0, 0, 9 };
#define OPTS(a) a, sizeof(a)
	static const struct {
		const char *what;
		bool other_mac, relayed;
		uint8_t type;
		const char *ciaddr;
		const uint8_t *opts;
		size_t nopts;
		int want;
	} rows[] = {
		{ "DISCOVER from our guest: OFFER", false, false, DHCPDISCOVER, NULL, NULL, 0, DHCPOFFER },
		{ "DISCOVER from another MAC: silence", true, false, DHCPDISCOVER, NULL, NULL, 0, DHCP_NONE },
		{ "relayed DISCOVER: silence", false, true, DHCPDISCOVER, NULL, NULL, 0, DHCP_NONE },
		{ "REQUEST for the offered address: ACK", false, false, DHCPREQUEST, NULL, OPTS(sel_ok), DHCPACK },
		{ "the same REQUEST from another MAC: silence", true, false, DHCPREQUEST, NULL, OPTS(sel_ok), DHCP_NONE },
		{ "REQUEST for another address: NAK", false, false, DHCPREQUEST, NULL, OPTS(sel_bad), DHCPNAK },
		{ "REQUEST to another server: silence", false, false, DHCPREQUEST, NULL, OPTS(sel_other), DHCP_NONE },
		{ "INIT-REBOOT with a stale address: NAK", false, false, DHCPREQUEST, NULL, OPTS(reboot_bad), DHCPNAK },
		{ "renewal (ciaddr) of our address: ACK", false, false, DHCPREQUEST, "192.168.0.3", NULL, 0, DHCPACK },
		{ "renewal of another address: NAK", false, false, DHCPREQUEST, "192.168.0.9", NULL, 0, DHCPNAK },
		{ "REQUEST naming no address: silence", false, false, DHCPREQUEST, NULL, NULL, 0, DHCP_NONE },
		{ "DHCPDECLINE: silence", false, false, DHCPDECLINE, "192.168.0.3", NULL, 0, DHCP_NONE },
		{ "DHCPRELEASE: silence", false, false, DHCPRELEASE, "192.168.0.3", NULL, 0, DHCP_NONE },
		{ "DHCPINFORM: silence", false, false, DHCPINFORM, "192.168.0.3", NULL, 0, DHCP_NONE },
	};
#undef OPTS
	uint8_t p[600];

	memcpy(l.mac, guest_mac, 6);
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++) {
		struct dhcp_msg m;
		size_t n = request(p, rows[i].other_mac ? other_mac : guest_mac, rows[i].type,
				   rows[i].ciaddr, rows[i].opts, rows[i].nopts);
		if (rows[i].relayed)
			memcpy(p + 24, "\x0a\x00\x00\x01", 4);	/* giaddr */
		memset(&m, 0x5a, sizeof(m));	/* no result of an earlier row */
		if (!ok(dhcp_parse(p, n, &m) == 0, "%s: the request parses", rows[i].what))
			continue;
		is_int(dhcp_decide(&l, &m), rows[i].want, "%s", rows[i].what);
	}
}

static void test_build(void)
{
	struct dhcp_lease l = { .addr = ip("192.168.0.3"), .prefix = 24,
				.server = ip("192.168.0.1"), .seconds = DHCP_LEASE_SECONDS };
	const uint8_t sel_ok[] = { 50, 4, 192, 168, 0, 3, 54, 4, 192, 168, 0, 1 };
	uint8_t p[600], r[DHCP_REPLY_SIZE + 10];
	struct dhcp_msg m;
	struct in_addr dest = ip("1.2.3.4"), a;
	uint8_t len = 0;
	const uint8_t *v;
	size_t n, rn;

	memcpy(l.mac, guest_mac, 6);
	n = request(p, guest_mac, DHCPDISCOVER, NULL, NULL, 0);
	p[10] = 0x80;	/* broadcast flag */
	is_int(dhcp_parse(p, n, &m), 0, "the request parses");
	rn = dhcp_build_reply(&l, &m, DHCPOFFER, r, sizeof(r), &dest);
	is_int(rn, DHCP_REPLY_SIZE, "an OFFER is %d bytes", DHCP_REPLY_SIZE);
	is_int(r[0], 2, "BOOTREPLY");
	ok(r[1] == 1 && r[2] == 6, "Ethernet addresses");
	ok(!memcmp(r + 4, "\x12\x34\x56\x78", 4), "the client's xid");
	is_int(r[10], 0x80, "the client's flags");
	a = ip("192.168.0.3");
	ok(!memcmp(r + 16, &a, 4), "yiaddr is the lease");
	ok(!memcmp(r + 12, "\0\0\0\0", 4), "ciaddr 0");
	ok(!memcmp(r + 28, guest_mac, 6), "chaddr is the guest's");
	ok(!memcmp(r + 236, "\x63\x82\x53\x63", 4), "magic cookie");
	v = find_opt(r, rn, 53, &len);
	ok(v && len == 1 && v[0] == DHCPOFFER, "option 53: OFFER");
	ok(opt_is_addr(r, rn, 54, "192.168.0.1"), "option 54: the host");
	ok(opt_is_addr(r, rn, 1, "255.255.255.0"), "option 1: the mask");
	ok(opt_is_addr(r, rn, 3, "192.168.0.1"), "option 3: the host as router");
	ok(opt_is_addr(r, rn, 28, "192.168.0.255"), "option 28: broadcast");
	v = find_opt(r, rn, 51, &len);
	ok(v && len == 4 && v[0] == 0 && v[1] == 0x09 && v[2] == 0x3a && v[3] == 0x80,
	   "option 51: a week");
	is_int(dest.s_addr, htonl(INADDR_BROADCAST), "sent to 255.255.255.255");

	n = request(p, guest_mac, DHCPREQUEST, NULL, sel_ok, sizeof(sel_ok));
	is_int(dhcp_parse(p, n, &m), 0, "the request parses");
	rn = dhcp_build_reply(&l, &m, DHCPACK, r, sizeof(r), &dest);
	v = find_opt(r, rn, 53, &len);
	ok(rn && v && v[0] == DHCPACK, "an ACK");
	ok(!memcmp(r + 16, &l.addr, 4), "ACK: yiaddr");
	is_int(dest.s_addr, htonl(INADDR_BROADCAST), "ACK while selecting: broadcast");

	n = request(p, guest_mac, DHCPREQUEST, "192.168.0.3", NULL, 0);
	is_int(dhcp_parse(p, n, &m), 0, "the request parses");
	rn = dhcp_build_reply(&l, &m, DHCPACK, r, sizeof(r), &dest);
	is_int(dest.s_addr, ip("192.168.0.3").s_addr, "ACK of a renewal: to ciaddr");
	ok(!memcmp(r + 12, &l.addr, 4), "ACK of a renewal: ciaddr kept");

	n = request(p, guest_mac, DHCPREQUEST, "192.168.0.9", NULL, 0);
	is_int(dhcp_parse(p, n, &m), 0, "the request parses");
	rn = dhcp_build_reply(&l, &m, DHCPNAK, r, sizeof(r), &dest);
	v = find_opt(r, rn, 53, &len);
	ok(rn && v && v[0] == DHCPNAK, "a NAK");
	ok(!memcmp(r + 16, "\0\0\0\0", 4) && !memcmp(r + 12, "\0\0\0\0", 4), "NAK: no addresses");
	ok(opt_is_addr(r, rn, 54, "192.168.0.1"), "NAK: server id");
	ok(!find_opt(r, rn, 51, &len) && !find_opt(r, rn, 1, &len), "NAK: no lease, no mask");
	is_int(dest.s_addr, htonl(INADDR_BROADCAST), "NAK: broadcast");

	dest = ip("1.2.3.4");
	is_int(dhcp_build_reply(&l, &m, DHCPACK, r, DHCP_REPLY_SIZE - 1, &dest), 0, "buffer too small");
	is_int(dhcp_build_reply(&l, &m, DHCPDISCOVER, r, sizeof(r), &dest), 0, "not a reply type");
	is_int(dest.s_addr, ip("1.2.3.4").s_addr, "dest untouched");

	/* Other prefixes: mask and broadcast. */
	l.addr = ip("10.1.2.3");
	l.prefix = 20;
	l.server = ip("10.1.0.1");
	n = request(p, guest_mac, DHCPDISCOVER, NULL, NULL, 0);
	is_int(dhcp_parse(p, n, &m), 0, "the request parses");
	rn = dhcp_build_reply(&l, &m, DHCPOFFER, r, sizeof(r), &dest);
	ok(opt_is_addr(r, rn, 1, "255.255.240.0"), "/20 mask");
	ok(opt_is_addr(r, rn, 28, "10.1.15.255"), "/20 broadcast");

	/* What the parser makes of our own reply turned into a request. */
	r[0] = 1;
	ok(dhcp_parse(r, rn, &m) == 0 && m.type == DHCPOFFER, "the reply's options are well-formed");
}

static void test_pick(void)
{
	struct in_addr out = ip("9.9.9.9");
	struct in_addr taken[] = { ip("192.168.0.2"), ip("192.168.0.3"), ip("192.168.0.5") };

	is_int(dhcp_pick_address(ip("192.168.0.1"), 24, NULL, 0, &out), 0, "pick in an empty /24");
	is_int(out.s_addr, ip("192.168.0.2").s_addr, "the first address after the host");
	is_int(dhcp_pick_address(ip("192.168.0.1"), 24, taken, 3, &out), 0, "pick around taken ones");
	is_int(out.s_addr, ip("192.168.0.4").s_addr, "the lowest free one");
	is_int(dhcp_pick_address(ip("192.168.0.254"), 24, NULL, 0, &out), 0, "host at the top");
	is_int(out.s_addr, ip("192.168.0.1").s_addr, "the network's first host address");
	is_int(dhcp_pick_address(ip("192.168.7.9"), 24, NULL, 0, &out), 0, "host in the middle");
	is_int(out.s_addr, ip("192.168.7.1").s_addr, "the same subnet");
	struct in_addr t30[] = { ip("10.0.0.2") };
	is_int(dhcp_pick_address(ip("10.0.0.1"), 30, t30, 1, &out), -ENOSPC, "a full /30");
	is_int(dhcp_pick_address(ip("10.0.0.2"), 30, NULL, 0, &out), 0, "a /30");
	is_int(out.s_addr, ip("10.0.0.1").s_addr, "never the network address");
	out = ip("9.9.9.9");
	is_int(dhcp_pick_address(ip("10.0.0.1"), 31, NULL, 0, &out), -EINVAL, "prefix 31");
	is_int(dhcp_pick_address(ip("10.0.0.1"), 0, NULL, 0, &out), -EINVAL, "prefix 0");
	is_int(out.s_addr, ip("9.9.9.9").s_addr, "out untouched on failure");
	/* The broadcast address is never offered. */
	struct in_addr all[253];
	for (int i = 0; i < 253; i++)
		all[i].s_addr = htonl(ntohl(ip("192.168.0.2").s_addr) + (uint32_t)i);
	is_int(dhcp_pick_address(ip("192.168.0.1"), 24, all, 253, &out), -ENOSPC,
	       "a full /24: not even .255");
}

int main(void)
{
	test_mac();
	test_parse();
	test_decide();
	test_build();
	test_pick();
	is_str(dhcp_type_name(DHCPACK), "DHCPACK", "type names");
	is_str(dhcp_type_name((enum dhcp_type)42), "DHCP?", "unknown type name");
	return done_testing();
}
