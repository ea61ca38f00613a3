// SPDX-License-Identifier: GPL-2.0
/*
 * The one-client DHCP server of `kdebug run --net bridge --guest-ip dhcp`
 * (see dhcp.h).  Message layout (RFC 2131, section 2):
 *   op htype hlen hops | xid | secs flags | ciaddr | yiaddr | siaddr |
 *   giaddr | chaddr[16] | sname[64] | file[128] | 99.130.83.99 | options
 */
#include "dhcp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "net.h"

enum {
	OFF_OP = 0, OFF_HTYPE = 1, OFF_HLEN = 2, OFF_XID = 4, OFF_FLAGS = 10,
	OFF_CIADDR = 12, OFF_YIADDR = 16, OFF_GIADDR = 24, OFF_CHADDR = 28,
	OFF_MAGIC = 236, OFF_OPTIONS = 240,
};

enum {
	BOOTREQUEST = 1, BOOTREPLY = 2, HTYPE_ETHER = 1,
	OPT_PAD = 0, OPT_SUBNET_MASK = 1, OPT_ROUTER = 3, OPT_BROADCAST = 28,
	OPT_REQUESTED_IP = 50, OPT_LEASE_TIME = 51, OPT_MSG_TYPE = 53,
	OPT_SERVER_ID = 54, OPT_END = 255,
};

static const uint8_t magic[4] = { 99, 130, 83, 99 };

static int hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int dhcp_parse_mac(const char *s, uint8_t mac[6])
{
	uint8_t m[6];

	if (!s || strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		int h = hexdigit(s[3 * i]), l = hexdigit(s[3 * i + 1]);
		if (h < 0 || l < 0 || (i < 5 && s[3 * i + 2] != ':'))
			return -EINVAL;
		m[i] = (uint8_t)(h << 4 | l);
	}
	memcpy(mac, m, sizeof(m));
	return 0;
}

const char *dhcp_type_name(enum dhcp_type t)
{
	static const char *const names[] = {
		[DHCPDISCOVER] = "DHCPDISCOVER", [DHCPOFFER] = "DHCPOFFER",
		[DHCPREQUEST] = "DHCPREQUEST", [DHCPDECLINE] = "DHCPDECLINE",
		[DHCPACK] = "DHCPACK", [DHCPNAK] = "DHCPNAK",
		[DHCPRELEASE] = "DHCPRELEASE", [DHCPINFORM] = "DHCPINFORM",
	};
	if ((unsigned)t < sizeof(names) / sizeof(names[0]) && names[t])
		return names[t];
	return "DHCP?";
}

int dhcp_parse(const void *buf, size_t len, struct dhcp_msg *out)
{
	const uint8_t *p = buf;
	struct dhcp_msg m;

	if (len < OFF_OPTIONS || p[OFF_OP] != BOOTREQUEST || p[OFF_HTYPE] != HTYPE_ETHER ||
	    p[OFF_HLEN] != 6 || memcmp(p + OFF_MAGIC, magic, sizeof(magic)))
		return -EINVAL;
	memset(&m, 0, sizeof(m));
	memcpy(&m.xid, p + OFF_XID, 4);
	memcpy(&m.flags, p + OFF_FLAGS, 2);
	memcpy(&m.ciaddr, p + OFF_CIADDR, 4);
	memcpy(&m.giaddr, p + OFF_GIADDR, 4);
	memcpy(m.chaddr, p + OFF_CHADDR, 6);
	for (size_t i = OFF_OPTIONS; i < len;) {
		uint8_t code = p[i];
		if (code == OPT_PAD) {
			i++;
			continue;
		}
		if (code == OPT_END)
			break;
		if (i + 1 >= len || i + 2 + p[i + 1] > len)
			return -EINVAL;	/* an option runs past the end */
		uint8_t olen = p[i + 1];
		const uint8_t *v = p + i + 2;
		switch (code) {
		case OPT_MSG_TYPE:
			if (olen != 1 || v[0] < DHCPDISCOVER || v[0] > DHCPINFORM)
				return -EINVAL;
			m.type = (enum dhcp_type)v[0];
			break;
		case OPT_REQUESTED_IP:
			if (olen != 4)
				return -EINVAL;
			memcpy(&m.requested, v, 4);
			break;
		case OPT_SERVER_ID:
			if (olen != 4)
				return -EINVAL;
			memcpy(&m.server_id, v, 4);
			break;
		}
		i += 2 + (size_t)olen;
	}
	if (m.type == DHCP_NONE)
		return -EINVAL;	/* plain BOOTP */
	*out = m;
	return 0;
}

enum dhcp_type dhcp_decide(const struct dhcp_lease *l, const struct dhcp_msg *m)
{
	if (memcmp(m->chaddr, l->mac, sizeof(l->mac)) || m->giaddr.s_addr)
		return DHCP_NONE;	/* not our guest, or relayed from elsewhere */
	switch (m->type) {
	case DHCPDISCOVER:
		return DHCPOFFER;
	case DHCPREQUEST: {
		if (m->server_id.s_addr && m->server_id.s_addr != l->server.s_addr)
			return DHCP_NONE;	/* it took another server's offer */
		/* SELECTING / INIT-REBOOT: option 50; RENEWING / REBINDING: ciaddr */
		struct in_addr want = m->requested.s_addr ? m->requested : m->ciaddr;
		if (!want.s_addr)
			return DHCP_NONE;
		return want.s_addr == l->addr.s_addr ? DHCPACK : DHCPNAK;
	}
	default:
		return DHCP_NONE;
	}
}

static size_t put_opt(uint8_t *p, size_t at, uint8_t code, const void *v, uint8_t len)
{
	p[at] = code;
	p[at + 1] = len;
	memcpy(p + at + 2, v, len);
	return at + 2 + len;
}

size_t dhcp_build_reply(const struct dhcp_lease *l, const struct dhcp_msg *m, enum dhcp_type t,
			uint8_t *buf, size_t size, struct in_addr *dest)
{
	uint8_t type = (uint8_t)t;
	struct in_addr mask = net_prefix_mask(l->prefix), bcast;
	uint32_t secs = htonl(l->seconds);
	size_t at;

	if (size < DHCP_REPLY_SIZE || (t != DHCPOFFER && t != DHCPACK && t != DHCPNAK))
		return 0;
	memset(buf, 0, DHCP_REPLY_SIZE);
	buf[OFF_OP] = BOOTREPLY;
	buf[OFF_HTYPE] = HTYPE_ETHER;
	buf[OFF_HLEN] = 6;
	memcpy(buf + OFF_XID, &m->xid, 4);
	memcpy(buf + OFF_FLAGS, &m->flags, 2);
	if (t == DHCPACK)
		memcpy(buf + OFF_CIADDR, &m->ciaddr, 4);
	if (t != DHCPNAK)
		memcpy(buf + OFF_YIADDR, &l->addr, 4);
	memcpy(buf + OFF_GIADDR, &m->giaddr, 4);
	memcpy(buf + OFF_CHADDR, m->chaddr, 6);
	memcpy(buf + OFF_MAGIC, magic, sizeof(magic));
	at = put_opt(buf, OFF_OPTIONS, OPT_MSG_TYPE, &type, 1);
	at = put_opt(buf, at, OPT_SERVER_ID, &l->server, 4);
	if (t != DHCPNAK) {
		bcast.s_addr = l->addr.s_addr | ~mask.s_addr;
		at = put_opt(buf, at, OPT_LEASE_TIME, &secs, 4);
		at = put_opt(buf, at, OPT_SUBNET_MASK, &mask, 4);
		at = put_opt(buf, at, OPT_ROUTER, &l->server, 4);
		at = put_opt(buf, at, OPT_BROADCAST, &bcast, 4);
	}
	buf[at] = OPT_END;	/* at most 240 + 3 + 5 * 6 + 1 bytes: within 300 */
	/* A renewing client has its address; anyone else hears a broadcast. */
	if (t == DHCPACK && m->ciaddr.s_addr)
		*dest = m->ciaddr;
	else
		dest->s_addr = htonl(INADDR_BROADCAST);
	return DHCP_REPLY_SIZE;
}

int dhcp_pick_address(struct in_addr host, unsigned prefix, const struct in_addr *taken,
		      size_t n, struct in_addr *out)
{
	if (prefix < 1 || prefix > 30)
		return -EINVAL;
	uint32_t mask = ntohl(net_prefix_mask(prefix).s_addr);
	uint32_t net = ntohl(host.s_addr) & mask, hosts = ~mask;	/* hosts: broadcast offset */

	for (uint32_t i = 1; i < hosts; i++) {
		struct in_addr c = { .s_addr = htonl(net | i) };
		bool used = c.s_addr == host.s_addr;
		for (size_t k = 0; k < n && !used; k++)
			used = taken[k].s_addr == c.s_addr;
		if (!used) {
			*out = c;
			return 0;
		}
	}
	return -ENOSPC;
}

/* ---- The socket ---- */

void dhcp_server_init(struct dhcp_server *s)
{
	memset(s, 0, sizeof(*s));
	s->fd = -1;
}

int dhcp_server_open(struct dhcp_server *s, const char *ifname, const struct dhcp_lease *l,
		     struct sbuf *why)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(DHCP_SERVER_PORT),
				  .sin_addr.s_addr = htonl(INADDR_ANY) };
	int one = 1, fd, r;

	if (strlen(ifname) >= IFNAMSIZ) {
		if (why)
			sbuf_addf(why, "interface name '%s' is too long", ifname);
		return -EINVAL;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		r = -errno;
		if (why)
			sbuf_addf(why, "cannot open a UDP socket: %s", strerror(-r));
		return r;
	}
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname) + 1) < 0) {
		r = -errno;
		if (why)
			sbuf_addf(why, "cannot set up a DHCP socket on '%s': %s", ifname, strerror(-r));
		close(fd);
		return r;
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		r = -errno;
		if (why && r == -EADDRINUSE)
			sbuf_addf(why, "UDP port 67 on '%s' is taken by another DHCP server", ifname);
		else if (why && r == -EACCES)
			sbuf_addf(why, "binding UDP port 67 needs CAP_NET_BIND_SERVICE");
		else if (why)
			sbuf_addf(why, "cannot bind UDP port 67 on '%s': %s", ifname, strerror(-r));
		close(fd);
		return r;
	}
	dhcp_server_init(s);
	s->fd = fd;
	snprintf(s->ifname, sizeof(s->ifname), "%s", ifname);
	s->lease = *l;
	return 0;
}

int dhcp_server_serve(struct dhcp_server *s)
{
	uint8_t in[1500], out[DHCP_REPLY_SIZE];
	int last = DHCP_NONE;

	for (int budget = 64; s->fd >= 0 && budget > 0; budget--) {
		struct dhcp_msg m;
		ssize_t n = recv(s->fd, in, sizeof(in), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;		/* EAGAIN: all served (another error is consumed by recv) */
		if (dhcp_parse(in, (size_t)n, &m) < 0)
			continue;
		enum dhcp_type t = dhcp_decide(&s->lease, &m);
		if (t == DHCP_NONE)
			continue;
		struct in_addr dest;
		size_t len = dhcp_build_reply(&s->lease, &m, t, out, sizeof(out), &dest);
		struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(DHCP_CLIENT_PORT),
					  .sin_addr = dest };
		if (sendto(s->fd, out, len, 0, (struct sockaddr *)&to, sizeof(to)) < 0)
			return -errno;
		if (t == DHCPOFFER)
			s->offers++;
		else if (t == DHCPACK)
			s->acks++;
		else
			s->naks++;
		last = t;
	}
	return last;
}

void dhcp_server_close(struct dhcp_server *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}
