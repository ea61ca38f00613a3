// SPDX-License-Identifier: GPL-2.0
/* Networking input checks: addresses, prefixes, subnets, names, ip= parameter. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net.h"
#include "tap.h"

static void test_cidr(void)
{
	static const struct {
		const char *s;
		int ret;
		const char *ip;
		unsigned prefix;
	} cases[] = {
		{ "192.168.0.1/24", 0, "192.168.0.1", 24 },
		{ "10.0.0.2/8", 0, "10.0.0.2", 8 },
		{ "0.0.0.0/0", 0, "0.0.0.0", 0 },
		{ "1.2.3.4/32", 0, "1.2.3.4", 32 },
		{ "192.168.0.1", -EINVAL, NULL, 0 },	/* no prefix */
		{ "192.168.0.1/", -EINVAL, NULL, 0 },
		{ "192.168.0.1/33", -EINVAL, NULL, 0 },
		{ "192.168.0.1/-1", -EINVAL, NULL, 0 },
		{ "192.168.0.1/24x", -EINVAL, NULL, 0 },
		{ "192.168.0.300/24", -EINVAL, NULL, 0 },
		{ "192.168.0/24", -EINVAL, NULL, 0 },
		{ "/24", -EINVAL, NULL, 0 },
		{ "fe80::1/64", -EINVAL, NULL, 0 },
		{ "", -EINVAL, NULL, 0 },
		{ "1.2.3.4.5.6.7.8.9/24", -EINVAL, NULL, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct in_addr a = { .s_addr = 0x5a5a5a5a };
		unsigned p = 99;
		char buf[INET_ADDRSTRLEN];
		int r = net_parse_cidr(cases[i].s, &a, &p);
		is_int(r, cases[i].ret, "parse_cidr '%s'", cases[i].s);
		if (!cases[i].ret) {
			is_str(inet_ntop(AF_INET, &a, buf, sizeof(buf)), cases[i].ip, "address of '%s'",
			       cases[i].s);
			is_int(p, cases[i].prefix, "prefix of '%s'", cases[i].s);
		} else {
			ok(a.s_addr == 0x5a5a5a5a && p == 99, "'%s': outputs untouched", cases[i].s);
		}
	}
	ok(net_parse_cidr(NULL, NULL, NULL) == -EINVAL, "NULL is invalid");
}

static void test_mask(void)
{
	char buf[INET_ADDRSTRLEN];
	struct in_addr m;
	struct in_addr a, b;

	m = net_prefix_mask(24);
	is_str(inet_ntop(AF_INET, &m, buf, sizeof(buf)), "255.255.255.0", "/24 mask");
	m = net_prefix_mask(0);
	is_str(inet_ntop(AF_INET, &m, buf, sizeof(buf)), "0.0.0.0", "/0 mask");
	m = net_prefix_mask(32);
	is_str(inet_ntop(AF_INET, &m, buf, sizeof(buf)), "255.255.255.255", "/32 mask");
	m = net_prefix_mask(20);
	is_str(inet_ntop(AF_INET, &m, buf, sizeof(buf)), "255.255.240.0", "/20 mask");

	inet_pton(AF_INET, "192.168.0.1", &a);
	inet_pton(AF_INET, "192.168.0.254", &b);
	ok(net_same_subnet(a, b, 24), "same /24");
	inet_pton(AF_INET, "192.168.1.2", &b);
	ok(!net_same_subnet(a, b, 24), "different /24");
	ok(net_same_subnet(a, b, 16), "same /16");
}

static void test_ifname(void)
{
	struct sbuf why = SBUF_INIT;

	is_int(net_check_ifname("kdbr0", NULL), 0, "kdbr0 ok");
	is_int(net_check_ifname("br-test_1.2", NULL), 0, "dashes, dots, underscores ok");
	is_int(net_check_ifname("abcdefghijklmno", NULL), 0, "15 characters ok");
	is_int(net_check_ifname("abcdefghijklmnop", &why), -EINVAL, "16 characters rejected");
	like(why.buf, "at most 15", "message says the limit");
	sbuf_reset(&why);
	is_int(net_check_ifname("", NULL), -EINVAL, "empty rejected");
	is_int(net_check_ifname("a/b", &why), -EINVAL, "slash rejected");
	like(why.buf, "'/'", "message names the character");
	is_int(net_check_ifname("a b", NULL), -EINVAL, "space rejected");
	is_int(net_check_ifname("a:b", NULL), -EINVAL, "colon rejected");
	is_int(net_check_ifname("tap%d", NULL), -EINVAL, "%% rejected (kernel pattern)");
	is_int(net_check_ifname("..", NULL), -EINVAL, "'..' rejected");
	is_int(net_check_ifname(NULL, NULL), -EINVAL, "NULL rejected");
	sbuf_release(&why);
}

static void test_addresses(void)
{
	struct sbuf why = SBUF_INIT;

	is_int(net_check_addresses("192.168.0.1/24", "192.168.0.2/24", NULL), 0, "tutorial pair");
	is_int(net_check_addresses("192.168.0.1/24", "dhcp", NULL), 0, "dhcp guest");
	is_int(net_check_addresses("192.168.0.1/24", NULL, NULL), 0, "no guest");
	is_int(net_check_addresses("10.1.2.3/16", "10.1.200.4/16", NULL), 0, "/16 pair");
	is_int(net_check_addresses("192.168.0.1/24", "192.168.1.2/24", &why), -EINVAL,
	       "different subnets");
	like(why.buf, "not in the same subnet", "subnet message");
	sbuf_reset(&why);
	is_int(net_check_addresses("192.168.0.1/24", "192.168.0.2/16", &why), -EINVAL,
	       "different prefixes");
	sbuf_reset(&why);
	is_int(net_check_addresses("192.168.0.1/24", "192.168.0.1/24", &why), -EINVAL,
	       "same address");
	like(why.buf, "same address", "same-address message");
	sbuf_reset(&why);
	is_int(net_check_addresses("192.168.0.1/33", "192.168.0.2/24", &why), -EINVAL, "bad prefix");
	like(why.buf, "invalid host address '192.168.0.1/33'", "names the host address");
	sbuf_reset(&why);
	is_int(net_check_addresses("192.168.0.1/24", "192.168.0.x/24", &why), -EINVAL, "bad guest");
	like(why.buf, "invalid guest address", "names the guest address");
	sbuf_reset(&why);
	is_int(net_check_addresses("192.168.0.1/31", NULL, NULL), -EINVAL, "/31 rejected");
	is_int(net_check_addresses("192.168.0.0/24", NULL, NULL), -EINVAL, "network address");
	is_int(net_check_addresses("192.168.0.255/24", NULL, NULL), -EINVAL, "broadcast address");
	is_int(net_check_addresses("192.168.0.1/24", "192.168.0.255/24", NULL), -EINVAL,
	       "guest broadcast");
	sbuf_release(&why);
}

static void test_ip_param(void)
{
	char *s = NULL;

	is_int(net_guest_ip_param("192.168.0.2/24", "192.168.0.1/24", NULL, &s, NULL), 0, "ip= ok");
	is_str(s, "ip=192.168.0.2::192.168.0.1:255.255.255.0::eth0:off", "tutorial ip=");
	free(s);
	s = NULL;
	is_int(net_guest_ip_param("10.9.8.7/20", "10.9.0.1/20", "eth1", &s, NULL), 0, "ip= /20");
	is_str(s, "ip=10.9.8.7::10.9.0.1:255.255.240.0::eth1:off", "/20 on eth1");
	free(s);
	s = NULL;
	is_int(net_guest_ip_param("dhcp", "192.168.0.1/24", NULL, &s, NULL), 0, "dhcp");
	is_str(s, "ip=dhcp", "ip=dhcp");
	free(s);
	s = (char *)"untouched";
	is_int(net_guest_ip_param("192.168.1.2/24", "192.168.0.1/24", NULL, &s, NULL), -EINVAL,
	       "different subnets rejected");
	is_str(s, "untouched", "output untouched on failure");
}

static void test_tap_bad_name(void)
{
	struct sbuf why = SBUF_INIT;
	int fd = -7;
	char name[IFNAMSIZ] = "x";

	/* Validation happens before /dev/net/tun is opened: no privileges needed. */
	is_int(net_tap_open("a-name-that-is-too-long", &fd, name, &why), -EINVAL, "long tap name");
	ok(fd == -7 && !strcmp(name, "x"), "outputs untouched");
	like(why.buf, "at most 15", "tap name message");
	sbuf_release(&why);
}

static void test_bridge_check(void)
{
	struct sbuf why = SBUF_INIT;
	struct net_bridge_opts o = { .bridge = "a-bridge-name-too-long" };

	is_int(net_bridge_check(&o, &why), -EINVAL, "long bridge name");
	like(why.buf, "invalid bridge name", "bridge message");
	sbuf_reset(&why);
	o.bridge = NULL;
	o.guest_cidr = "10.0.0.2/24";
	is_int(net_bridge_check(&o, &why), -EINVAL, "default host vs 10.0.0.2/24");
	like(why.buf, "same subnet", "subnet message");
	sbuf_reset(&why);
	o.guest_cidr = NULL;
	o.tap = "tap/0";
	is_int(net_bridge_check(&o, &why), -EINVAL, "bad tap name");
	like(why.buf, "invalid tap name", "tap message");
	sbuf_release(&why);
}

static void test_reaper_state(void)
{
	struct net_bridge_opts o = { .bridge = "br9", .host_cidr = "10.9.0.1/24" };
	struct net_bridge_state st;
	struct strvec args = STRVEC_INIT;

	net_bridge_reaper_args(&o, &args);
	is_int((int)args.n, 6, "reaper argv: the intent, before anything exists");
	is_str(args.v[1], "__net-reaper", "... the hidden command");
	is_str(args.v[2], "br9", "... the bridge");
	is_str(args.v[3], "10.9.0.1/24", "... the host address");
	ok(!strcmp(args.v[4], "-") && !strcmp(args.v[5], "-"), "... no tap, nothing made yet");
	is_int(net_bridge_state_from_args((int)args.n - 2, args.v + 2, &st), 0, "the reaper reads it");
	ok(st.active && !st.tap[0] && !st.created_bridge && !st.added_addr && !st.enslaved_uplink,
	   "... an active session that made nothing known yet");
	is_int(net_bridge_state_update(&st, "bau kdtap3 eth9"), 0, "a state line");
	ok(st.created_bridge && st.added_addr && st.enslaved_uplink, "... the flags");
	is_str(st.tap, "kdtap3", "... the tap");
	is_str(st.uplink, "eth9", "... the uplink");
	char *line = net_bridge_reaper_state(&st);
	is_str(line, "bau kdtap3 eth9", "what kdebug sends is what the reaper reads");
	free(line);
	is_int(net_bridge_state_update(&st, "- kdtap4"), 0, "a line without flags");
	ok(!st.created_bridge && !st.enslaved_uplink && !st.uplink[0], "... clears them");
	is_int(net_bridge_state_update(&st, "garbage"), -EINVAL, "a bad line is refused");
	is_str(st.tap, "kdtap4", "... and changes nothing");
	strvec_clear(&args);
}

int main(void)
{
	test_cidr();
	test_mask();
	test_ifname();
	test_addresses();
	test_ip_param();
	test_tap_bad_name();
	test_bridge_check();
	test_reaper_state();
	return done_testing();
}
