// SPDX-License-Identifier: GPL-2.0
/*
 * Bridges, taps and addresses over rtnetlink (libmnl), with extended ACKs
 * so that the kernel's own message reaches the user.  The only ioctl is
 * TUNSETIFF.  See net.h for the ownership rules.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/capability.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "net.h"
#include "instance.h"
#include "proc.h"

/* ---------------------------------------------------------------- parsing */

int net_parse_cidr(const char *s, struct in_addr *addr, unsigned *prefix)
{
	const char *slash;
	char ip[INET_ADDRSTRLEN];
	struct in_addr a;
	unsigned long p;

	if (!s || !(slash = strchr(s, '/')))
		return -EINVAL;
	if ((size_t)(slash - s) >= sizeof(ip) || slash == s)
		return -EINVAL;
	memcpy(ip, s, slash - s);
	ip[slash - s] = '\0';
	if (inet_pton(AF_INET, ip, &a) != 1)
		return -EINVAL;
	if (parse_uint(slash + 1, 32, &p) < 0)
		return -EINVAL;
	*addr = a;
	*prefix = (unsigned)p;
	return 0;
}

struct in_addr net_prefix_mask(unsigned prefix)
{
	struct in_addr m;

	m.s_addr = prefix ? htonl(0xffffffffu << (32 - prefix)) : 0;
	return m;
}

bool net_same_subnet(struct in_addr a, struct in_addr b, unsigned prefix)
{
	uint32_t m = net_prefix_mask(prefix).s_addr;

	return (a.s_addr & m) == (b.s_addr & m);
}

int net_check_ifname(const char *name, struct sbuf *why)
{
	size_t len = name ? strlen(name) : 0;

	if (!len) {
		if (why)
			sbuf_addf(why, "empty interface name");
		return -EINVAL;
	}
	if (len > IFNAMSIZ - 1) {
		if (why)
			sbuf_addf(why, "interface name '%s' is %zu characters long; "
				  "Linux allows at most %d", name, len, IFNAMSIZ - 1);
		return -EINVAL;
	}
	if (!strcmp(name, ".") || !strcmp(name, "..")) {
		if (why)
			sbuf_addf(why, "'%s' is not a valid interface name", name);
		return -EINVAL;
	}
	for (const char *c = name; *c; c++) {
		unsigned char u = (unsigned char)*c;
		if (u == '/' || u == ':' || u == '%' || u <= ' ' || u >= 0x7f) {
			char what[32];
			snprintf(what, sizeof(what), u == ' ' ? "a blank" : u < ' ' || u == 0x7f ?
				 "a control character" : u > 0x7f ? "a non-ASCII character" : "'%c'", u);
			if (why)
				sbuf_addf(why, "interface name '%s' contains %s; use letters, "
					  "digits, '-', '_' or '.'", name, what);
			return -EINVAL;
		}
	}
	return 0;
}

static int bad_cidr(const char *what, const char *s, struct sbuf *why)
{
	if (why)
		sbuf_addf(why, "invalid %s address '%s': expected IPv4 address/prefix "
			  "like 192.168.0.1/24 (prefix 1-30)", what, s);
	return -EINVAL;
}

int net_check_addresses(const char *host_cidr, const char *guest_cidr, struct sbuf *why)
{
	struct in_addr h, g;
	unsigned hp, gp;
	char hs[INET_ADDRSTRLEN], gs[INET_ADDRSTRLEN];

	if (net_parse_cidr(host_cidr, &h, &hp) < 0 || hp < 1 || hp > 30)
		return bad_cidr("host", host_cidr, why);
	inet_ntop(AF_INET, &h, hs, sizeof(hs));
	uint32_t m = net_prefix_mask(hp).s_addr;
	if ((h.s_addr & ~m) == 0 || (h.s_addr & ~m) == ~m) {
		if (why)
			sbuf_addf(why, "host address '%s' is the network or broadcast address "
				  "of its subnet; pick another, e.g. %s", host_cidr, NET_DEFAULT_HOST_IP);
		return -EINVAL;
	}
	if (!guest_cidr || !strcmp(guest_cidr, "dhcp"))
		return 0;
	if (net_parse_cidr(guest_cidr, &g, &gp) < 0 || gp < 1 || gp > 30)
		return bad_cidr("guest", guest_cidr, why);
	inet_ntop(AF_INET, &g, gs, sizeof(gs));
	if (gp != hp || !net_same_subnet(h, g, hp)) {
		if (why)
			sbuf_addf(why, "host address %s/%u and guest address %s/%u are not in the "
				  "same subnet; use the same prefix and network, e.g. --host-ip %s "
				  "--guest-ip %s", hs, hp, gs, gp, NET_DEFAULT_HOST_IP,
				  NET_DEFAULT_GUEST_IP);
		return -EINVAL;
	}
	if (g.s_addr == h.s_addr) {
		if (why)
			sbuf_addf(why, "host and guest have the same address %s", hs);
		return -EINVAL;
	}
	if ((g.s_addr & ~m) == 0 || (g.s_addr & ~m) == ~m) {
		if (why)
			sbuf_addf(why, "guest address '%s' is the network or broadcast address "
				  "of its subnet", guest_cidr);
		return -EINVAL;
	}
	return 0;
}

int net_guest_ip_param(const char *guest_cidr, const char *host_cidr, const char *dev,
		       char **out, struct sbuf *why)
{
	struct in_addr h, g;
	unsigned hp, gp;
	char hs[INET_ADDRSTRLEN], gs[INET_ADDRSTRLEN], ms[INET_ADDRSTRLEN];
	int r;

	if ((r = net_check_addresses(host_cidr, guest_cidr, why)) < 0)
		return r;
	if (!guest_cidr || !strcmp(guest_cidr, "dhcp")) {
		*out = dev ? xasprintf("ip=:::::%s:dhcp", dev) : xstrdup("ip=dhcp");
		return 0;
	}
	net_parse_cidr(host_cidr, &h, &hp);
	net_parse_cidr(guest_cidr, &g, &gp);
	struct in_addr m = net_prefix_mask(gp);
	inet_ntop(AF_INET, &h, hs, sizeof(hs));
	inet_ntop(AF_INET, &g, gs, sizeof(gs));
	inet_ntop(AF_INET, &m, ms, sizeof(ms));
	*out = xasprintf("ip=%s::%s:%s::%s:off", gs, hs, ms, dev ? dev : "eth0");
	return 0;
}

/* ----------------------------------------------------------- capabilities */

bool net_have_cap_net_admin(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0)
		return geteuid() == 0;
	return data[CAP_NET_ADMIN / 32].effective & (1u << (CAP_NET_ADMIN % 32));
}

/* -------------------------------------------------------------- rtnetlink */

#define NL_BUF_SIZE 32768	/* a dump message batch (libmnl 1.0.4 has no MNL_SOCKET_DUMP_SIZE) */

struct nl {
	struct mnl_socket *sock;
	unsigned portid;
	unsigned seq;
	char *buf;
};

static int nl_open(struct nl *nl, struct sbuf *why)
{
	int one = 1;

	nl->sock = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!nl->sock) {
		int e = errno;
		if (why)
			sbuf_addf(why, "cannot open an rtnetlink socket: %s", strerror(e));
		return -e;
	}
	/* Ask for the kernel's error strings, and no echo of our request. */
	mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;
		mnl_socket_close(nl->sock);
		if (why)
			sbuf_addf(why, "cannot bind an rtnetlink socket: %s", strerror(e));
		return -e;
	}
	nl->portid = mnl_socket_get_portid(nl->sock);
	nl->seq = (unsigned)time(NULL);
	nl->buf = xmalloc(NL_BUF_SIZE);
	return 0;
}

static void nl_close(struct nl *nl)
{
	if (nl->sock)
		mnl_socket_close(nl->sock);
	nl->sock = NULL;
	free(nl->buf);
	nl->buf = NULL;
}

static struct nlmsghdr *nl_msg(struct nl *nl, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *h = mnl_nlmsg_put_header(nl->buf);

	h->nlmsg_type = type;
	h->nlmsg_flags = NLM_F_REQUEST | flags;
	h->nlmsg_seq = ++nl->seq;
	return h;
}

/* What the callbacks of one exchange share (mnl passes one data pointer to all). */
struct nl_ctx {
	mnl_cb_t cb;
	void *data;
	char msg[256];		/* the kernel's extended-ack message */
};

/* NLMSG_ERROR: 0 is the ACK; otherwise take errno and the ext-ack text. */
static int nl_error_cb(const struct nlmsghdr *h, void *data)
{
	struct nl_ctx *c = data;
	const struct nlmsgerr *err = mnl_nlmsg_get_payload(h);
	const struct nlattr *a;

	if (h->nlmsg_len < mnl_nlmsg_size(sizeof(*err))) {
		errno = EBADMSG;
		return MNL_CB_ERROR;
	}
	if (!err->error)
		return MNL_CB_STOP;
	if (h->nlmsg_flags & NLM_F_ACK_TLVS) {
		size_t off = sizeof(*err);
		if (!(h->nlmsg_flags & NLM_F_CAPPED))
			off += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
		mnl_attr_for_each(a, h, off) {
			if (mnl_attr_get_type(a) == NLMSGERR_ATTR_MSG &&
			    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0) {
				const char *m = mnl_attr_get_str(a);
				size_t n = strnlen(m, sizeof(c->msg) - 1);
				memcpy(c->msg, m, n);
				c->msg[n] = '\0';
			}
		}
	}
	errno = -err->error;
	return MNL_CB_ERROR;
}

static int nl_noop_cb(const struct nlmsghdr *h, void *data)
{
	return MNL_CB_OK;
}

static int nl_done_cb(const struct nlmsghdr *h, void *data)
{
	return MNL_CB_STOP;
}

static int nl_overrun_cb(const struct nlmsghdr *h, void *data)
{
	errno = ENOSPC;
	return MNL_CB_ERROR;
}

static int nl_data_cb(const struct nlmsghdr *h, void *data)
{
	struct nl_ctx *c = data;

	return c->cb ? c->cb(h, c->data) : MNL_CB_OK;
}

/*
 * Send h and read replies until the ACK (or DONE of a dump); mnl checks the
 * sequence number and our port id on each reply.  Data messages go to cb.
 * Errors: -errno, with "WHAT: kernel message" (or strerror) added to why.
 */
static int nl_talk(struct nl *nl, struct nlmsghdr *h, mnl_cb_t cb, void *data,
		   const char *what, struct sbuf *why)
{
	struct nl_ctx ctx = { .cb = cb, .data = data, .msg = "" };
	mnl_cb_t ctl[NLMSG_MIN_TYPE] = { 0 };
	unsigned seq = h->nlmsg_seq;
	int r;

	ctl[NLMSG_ERROR] = nl_error_cb;
	ctl[NLMSG_NOOP] = nl_noop_cb;
	ctl[NLMSG_DONE] = nl_done_cb;
	ctl[NLMSG_OVERRUN] = nl_overrun_cb;
	/* NLM_F_DUMP shares bits with NLM_F_EXCL: only RTM_GET* are dumps. */
	bool dump = (h->nlmsg_type & 3) == 2 && (h->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
	if (!dump)
		h->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(nl->sock, h, h->nlmsg_len) < 0) {
		r = -errno;
		goto fail;
	}
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(nl->sock, nl->buf, NL_BUF_SIZE);
		if (n < 0) {
			r = -errno;
			goto fail;
		}
		r = mnl_cb_run2(nl->buf, n, seq, nl->portid, nl_data_cb, &ctx, ctl,
				NLMSG_MIN_TYPE);
		if (r == MNL_CB_ERROR) {
			r = -errno;
			goto fail;
		}
		if (r == MNL_CB_STOP)
			return 0;
	}
fail:
	if (why) {
		if (what)
			sbuf_addf(why, "%s: ", what);
		sbuf_adds(why, ctx.msg[0] ? ctx.msg : strerror(-r));
	}
	return r;
}

struct link_dump {
	struct net_link *v;
	size_t n, alloc;
};

static void parse_linkinfo(const struct nlattr *li, struct net_link *l)
{
	const struct nlattr *a;

	mnl_attr_for_each_nested(a, li) {
		if (mnl_attr_get_type(a) == IFLA_INFO_KIND &&
		    mnl_attr_validate(a, MNL_TYPE_STRING) == 0) {
			size_t n = strnlen(mnl_attr_get_str(a), mnl_attr_get_payload_len(a));
			if (n >= sizeof(l->kind))
				n = sizeof(l->kind) - 1;
			memcpy(l->kind, mnl_attr_get_str(a), n);
			l->kind[n] = '\0';
		}
	}
}

static void copy_attr_str(const struct nlattr *a, char *dst, size_t size)
{
	size_t n = strnlen(mnl_attr_get_str(a), mnl_attr_get_payload_len(a));

	if (n >= size)
		n = size - 1;
	memcpy(dst, mnl_attr_get_str(a), n);
	dst[n] = '\0';
}

static int link_cb(const struct nlmsghdr *h, void *data)
{
	struct link_dump *d = data;
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(h);
	const struct nlattr *a;
	struct net_link l;

	if (h->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	memset(&l, 0, sizeof(l));
	l.index = ifi->ifi_index;
	l.flags = ifi->ifi_flags;
	mnl_attr_for_each(a, h, sizeof(*ifi)) {
		switch (mnl_attr_get_type(a)) {
		case IFLA_IFNAME:
			copy_attr_str(a, l.name, sizeof(l.name));
			break;
		case IFLA_MASTER:
			if (mnl_attr_validate(a, MNL_TYPE_U32) == 0)
				l.master = (int)mnl_attr_get_u32(a);
			break;
		case IFLA_IFALIAS:
			copy_attr_str(a, l.alias, sizeof(l.alias));
			break;
		case IFLA_LINKINFO:
			parse_linkinfo(a, &l);
			break;
		}
	}
	if (d->n == d->alloc) {
		d->alloc = d->alloc ? 2 * d->alloc : 16;
		d->v = xrealloc(d->v, d->alloc * sizeof(*d->v));
	}
	d->v[d->n++] = l;
	return MNL_CB_OK;
}

static int nl_link_get(struct nl *nl, const char *name, struct net_link *out, struct sbuf *why)
{
	struct link_dump d = { 0 };
	struct nlmsghdr *h = nl_msg(nl, RTM_GETLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	struct sbuf tmp = SBUF_INIT;
	int r;

	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	mnl_attr_put_u32(h, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	r = nl_talk(nl, h, link_cb, &d, NULL, &tmp);
	if (r == -ENODEV) {
		if (why)
			sbuf_addf(why, "no interface '%s'", name);
	} else if (r < 0) {
		if (why)
			sbuf_addf(why, "cannot look up '%s': %s", name, tmp.buf);
	} else if (d.n != 1) {
		r = -ENODEV;
		if (why)
			sbuf_addf(why, "no interface '%s'", name);
	} else {
		*out = d.v[0];
	}
	sbuf_release(&tmp);
	free(d.v);
	return r;
}

static int nl_link_list(struct nl *nl, struct net_link **out, size_t *n, struct sbuf *why)
{
	struct link_dump d = { 0 };
	struct nlmsghdr *h = nl_msg(nl, RTM_GETLINK, NLM_F_DUMP);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	int r;

	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_u32(h, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	r = nl_talk(nl, h, link_cb, &d, "cannot list interfaces", why);
	if (r < 0) {
		free(d.v);
		return r;
	}
	*out = d.v;
	*n = d.n;
	return 0;
}

/* Run fn on a fresh socket. */
#define WITH_NL(why, expr)                      \
	({                                      \
		struct nl nl_ = { 0 };          \
		int r_ = nl_open(&nl_, why);    \
		if (!r_) {                      \
			struct nl *nl = &nl_;   \
			r_ = (expr);            \
			nl_close(&nl_);         \
		}                               \
		r_;                             \
	})

int net_link_get(const char *name, struct net_link *out, struct sbuf *why)
{
	return WITH_NL(why, nl_link_get(nl, name, out, why));
}

bool net_link_exists(const char *name)
{
	struct net_link l;

	return net_link_get(name, &l, NULL) == 0;
}

int net_link_list(struct net_link **out, size_t *n, struct sbuf *why)
{
	return WITH_NL(why, nl_link_list(nl, out, n, why));
}

static int nl_setlink(struct nl *nl, const char *ifname, unsigned flags, unsigned change,
		      const char *master, const char *alias, struct sbuf *why)
{
	struct net_link l, m;
	struct nlmsghdr *h;
	struct ifinfomsg *ifi;
	char *what;
	int r;

	if ((r = nl_link_get(nl, ifname, &l, why)) < 0)
		return r;
	m.index = 0;
	if (master && (r = nl_link_get(nl, master, &m, why)) < 0)
		return r;
	h = nl_msg(nl, RTM_NEWLINK, 0);
	ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = l.index;
	ifi->ifi_flags = flags;
	ifi->ifi_change = change;
	if (master || (!change && !alias))
		mnl_attr_put_u32(h, IFLA_MASTER, (uint32_t)m.index);
	if (alias)
		mnl_attr_put_strz(h, IFLA_IFALIAS, alias);
	if (change)
		what = xasprintf("cannot bring '%s' up", ifname);
	else if (alias)
		what = xasprintf("cannot set the alias of '%s'", ifname);
	else if (master)
		what = xasprintf("cannot add '%s' to bridge '%s'", ifname, master);
	else
		what = xasprintf("cannot release '%s' from its bridge", ifname);
	r = nl_talk(nl, h, NULL, NULL, what, why);
	free(what);
	return r;
}

int net_link_up(const char *ifname, struct sbuf *why)
{
	return WITH_NL(why, nl_setlink(nl, ifname, IFF_UP, IFF_UP, NULL, NULL, why));
}

int net_link_set_master(const char *ifname, const char *bridge, struct sbuf *why)
{
	return WITH_NL(why, nl_setlink(nl, ifname, 0, 0, bridge, NULL, why));
}

int net_link_set_alias(const char *ifname, const char *alias, struct sbuf *why)
{
	return WITH_NL(why, nl_setlink(nl, ifname, 0, 0, NULL, alias, why));
}

static int nl_link_delete(struct nl *nl, const char *ifname, struct sbuf *why)
{
	struct nlmsghdr *h = nl_msg(nl, RTM_DELLINK, 0);
	struct ifinfomsg *ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	char *what = xasprintf("cannot delete '%s'", ifname);
	int r;

	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(h, IFLA_IFNAME, ifname);
	r = nl_talk(nl, h, NULL, NULL, what, why);
	free(what);
	return r;
}

int net_link_delete(const char *ifname, struct sbuf *why)
{
	return WITH_NL(why, nl_link_delete(nl, ifname, why));
}

static int nl_bridge_create(struct nl *nl, const char *name, bool *created, struct sbuf *why)
{
	struct nlmsghdr *h;
	struct ifinfomsg *ifi;
	struct nlattr *li;
	struct net_link l;
	struct sbuf tmp = SBUF_INIT;
	int r;

	if ((r = net_check_ifname(name, why)) < 0)
		return r;
	h = nl_msg(nl, RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL);
	ifi = mnl_nlmsg_put_extra_header(h, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(h, IFLA_IFNAME, name);
	li = mnl_attr_nest_start(h, IFLA_LINKINFO);
	mnl_attr_put_strz(h, IFLA_INFO_KIND, "bridge");
	mnl_attr_nest_end(h, li);
	r = nl_talk(nl, h, NULL, NULL, NULL, &tmp);
	if (r == -EEXIST) {
		r = nl_link_get(nl, name, &l, why);
		if (!r && strcmp(l.kind, "bridge")) {
			r = -EEXIST;
			if (why)
				sbuf_addf(why, "'%s' exists and is not a bridge (%s); pick another "
					  "name with --bridge", name, l.kind[0] ? l.kind : "a device");
		} else if (!r) {
			*created = false;
		}
	} else if (r < 0) {
		if (why)
			sbuf_addf(why, "cannot create bridge '%s': %s%s", name, tmp.buf,
				  r == -EOPNOTSUPP ? " (is the bridge module available?)" : "");
	} else {
		*created = true;
	}
	sbuf_release(&tmp);
	return r;
}

int net_bridge_create(const char *name, bool *created, struct sbuf *why)
{
	return WITH_NL(why, nl_bridge_create(nl, name, created, why));
}

int net_bridge_delete(const char *name, struct sbuf *why)
{
	struct net_link l;
	int r;

	if ((r = net_link_get(name, &l, why)) < 0)
		return r;
	if (strcmp(l.kind, "bridge")) {
		if (why)
			sbuf_addf(why, "'%s' is not a bridge", name);
		return -EINVAL;
	}
	return net_link_delete(name, why);
}

static int nl_bridge_ports(struct nl *nl, const char *bridge, struct strvec *ports,
			   struct sbuf *why)
{
	struct net_link br, *v;
	size_t n;
	int r;

	if ((r = nl_link_get(nl, bridge, &br, why)) < 0)
		return r;
	if ((r = nl_link_list(nl, &v, &n, why)) < 0)
		return r;
	for (size_t i = 0; i < n; i++)
		if (v[i].master == br.index)
			strvec_push(ports, v[i].name);
	free(v);
	return 0;
}

int net_bridge_ports(const char *bridge, struct strvec *ports, struct sbuf *why)
{
	return WITH_NL(why, nl_bridge_ports(nl, bridge, ports, why));
}

/* ---------------------------------------------------------------- addresses */

struct addr_dump {
	struct net_addr *v;
	size_t n, alloc;
};

static int addr_cb(const struct nlmsghdr *h, void *data)
{
	struct addr_dump *d = data;
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(h);
	const struct nlattr *a;
	struct net_addr x = { .index = (int)ifa->ifa_index, .prefix = ifa->ifa_prefixlen };
	bool have = false;

	if (h->nlmsg_type != RTM_NEWADDR || ifa->ifa_family != AF_INET)
		return MNL_CB_OK;
	mnl_attr_for_each(a, h, sizeof(*ifa)) {
		int t = mnl_attr_get_type(a);
		if (t == IFA_PROTO && mnl_attr_get_payload_len(a) == 1)
			x.proto = mnl_attr_get_u8(a);
		if ((t == IFA_LOCAL || (t == IFA_ADDRESS && !have)) &&
		    mnl_attr_get_payload_len(a) == 4) {
			memcpy(&x.addr, mnl_attr_get_payload(a), 4);
			have = true;
		}
	}
	if (!have)
		return MNL_CB_OK;
	if (d->n == d->alloc) {
		d->alloc = d->alloc ? 2 * d->alloc : 16;
		d->v = xrealloc(d->v, d->alloc * sizeof(*d->v));
	}
	d->v[d->n++] = x;
	return MNL_CB_OK;
}

static int nl_addr_list(struct nl *nl, struct net_addr **out, size_t *n, struct sbuf *why)
{
	struct addr_dump d = { 0 };
	struct nlmsghdr *h = nl_msg(nl, RTM_GETADDR, NLM_F_DUMP);
	struct ifaddrmsg *ifa = mnl_nlmsg_put_extra_header(h, sizeof(*ifa));
	int r;

	ifa->ifa_family = AF_INET;
	r = nl_talk(nl, h, addr_cb, &d, "cannot list addresses", why);
	if (r < 0) {
		free(d.v);
		return r;
	}
	*out = d.v;
	*n = d.n;
	return 0;
}

int net_addr_list(struct net_addr **out, size_t *n, struct sbuf *why)
{
	return WITH_NL(why, nl_addr_list(nl, out, n, why));
}

static int nl_addr_change(struct nl *nl, bool add, const char *ifname, const char *cidr,
			  unsigned proto, struct sbuf *why)
{
	struct in_addr a;
	unsigned prefix;
	struct net_link l;
	struct nlmsghdr *h;
	struct ifaddrmsg *ifa;
	char *what;
	int r;

	if (net_parse_cidr(cidr, &a, &prefix) < 0)
		return bad_cidr("host", cidr, why);
	if ((r = nl_link_get(nl, ifname, &l, why)) < 0)
		return r;
	h = nl_msg(nl, add ? RTM_NEWADDR : RTM_DELADDR, add ? NLM_F_CREATE | NLM_F_EXCL : 0);
	ifa = mnl_nlmsg_put_extra_header(h, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = (unsigned char)prefix;
	ifa->ifa_index = (unsigned)l.index;
	mnl_attr_put(h, IFA_LOCAL, 4, &a);
	mnl_attr_put(h, IFA_ADDRESS, 4, &a);
	if (add && proto)
		mnl_attr_put_u8(h, IFA_PROTO, (uint8_t)proto);
	what = xasprintf("cannot %s address %s %s '%s'", add ? "add" : "delete", cidr,
			 add ? "to" : "from", ifname);
	r = nl_talk(nl, h, NULL, NULL, what, why);
	free(what);
	return r;
}

int net_addr_add(const char *ifname, const char *cidr, struct sbuf *why)
{
	return WITH_NL(why, nl_addr_change(nl, true, ifname, cidr, 0, why));
}

int net_addr_del(const char *ifname, const char *cidr, struct sbuf *why)
{
	return WITH_NL(why, nl_addr_change(nl, false, ifname, cidr, 0, why));
}

/*
 * Where is addr? 1 on ifindex with the same prefix, 0 absent; -EADDRINUSE
 * (why set) when another interface has it or ifindex has another prefix.
 */
static int nl_addr_where(struct nl *nl, const char *ifname, int index, const char *cidr,
			 struct sbuf *why)
{
	struct in_addr a;
	unsigned prefix;
	struct net_addr *v;
	size_t n;
	int r, found = 0;

	if (net_parse_cidr(cidr, &a, &prefix) < 0)
		return bad_cidr("host", cidr, why);
	if ((r = nl_addr_list(nl, &v, &n, why)) < 0)
		return r;
	for (size_t i = 0; i < n && found >= 0; i++) {
		if (v[i].addr.s_addr != a.s_addr)
			continue;
		if (v[i].index == index && v[i].prefix == prefix) {
			found = 1;
			continue;
		}
		char other[IF_NAMESIZE + 1] = "?";
		struct net_link *links;
		size_t nl_n;
		if (nl_link_list(nl, &links, &nl_n, NULL) == 0) {
			for (size_t j = 0; j < nl_n; j++)
				if (links[j].index == v[i].index)
					memcpy(other, links[j].name, IFNAMSIZ);
			free(links);
		}
		char *ip = xstrndup(cidr, strcspn(cidr, "/"));
		if (why && v[i].index == index)
			sbuf_addf(why, "'%s' already has %s with prefix /%u, not /%u; use "
				  "--host-ip %s/%u", ifname, ip, v[i].prefix, prefix, ip, v[i].prefix);
		else if (why)
			sbuf_addf(why, "address %s is already in use on '%s'; pick another "
				  "subnet with --host-ip and --guest-ip", ip, other);
		free(ip);
		found = -EADDRINUSE;
	}
	free(v);
	return found;
}

int net_addr_present(const char *ifname, const char *cidr, struct sbuf *why)
{
	struct net_link l;
	int r;

	if ((r = net_link_get(ifname, &l, why)) < 0)
		return r;
	return WITH_NL(why, nl_addr_where(nl, ifname, l.index, cidr, why));
}

/* ---------------------------------------------------------------- taps */

int net_tap_open(const char *name, int *fd, char *ifname_out, struct sbuf *why)
{
	struct ifreq ifr;
	int f, r;

	if (name) {
		if ((r = net_check_ifname(name, why)) < 0)
			return r;
		if (net_link_exists(name)) {
			if (why)
				sbuf_addf(why, "interface '%s' already exists; pick another tap "
					  "name, or let kdebug choose one", name);
			return -EEXIST;
		}
	}
	f = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (f < 0) {
		r = -errno;
		if (why)
			sbuf_addf(why, "cannot open '/dev/net/tun': %s%s", strerror(-r),
				  r == -ENOENT ? " (load the tun module: modprobe tun)" : "");
		return r;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_TUN_EXCL;
	memcpy(ifr.ifr_name, name ? name : NET_TAP_PATTERN,
	       strlen(name ? name : NET_TAP_PATTERN));
	if (ioctl(f, TUNSETIFF, &ifr) < 0) {
		r = -errno;
		close(f);
		if (why) {
			if (r == -EBUSY || r == -EINVAL || r == -EEXIST)
				sbuf_addf(why, "tap name '%s' is already taken; pick another tap "
					  "name, or let kdebug choose one", name ? name : NET_TAP_PATTERN);
			else
				sbuf_addf(why, "cannot create tap '%s': %s",
					  name ? name : NET_TAP_PATTERN, strerror(-r));
		}
		return r == -EBUSY || r == -EINVAL ? -EEXIST : r;
	}
	ifr.ifr_name[IFNAMSIZ - 1] = '\0';
	memcpy(ifname_out, ifr.ifr_name, IFNAMSIZ);
	*fd = f;
	return 0;
}

/* ---------------------------------------------------------------- session */

/*
 * Setups and teardowns of bridge sessions are serialised, so that a VM
 * leaving a bridge does not delete it while another one is joining.  The
 * lock lives in a directory only its owner can write (root's /run/kdebug,
 * else the user's instance registry), so no other user can squat it; the
 * wait ends on ^C.  -EINTR, or -errno with why when there can be no lock.
 */
static int lock_dir(char **dir, struct sbuf *why)
{
	struct stat st;

	if (geteuid() != 0)
		return instance_registry(dir);
	if (mkdir("/run/kdebug", 0700) < 0 && errno != EEXIST) {
		sbuf_addf(why, "cannot create '/run/kdebug' for the network lock: %s", strerror(errno));
		return -errno;
	}
	if (lstat("/run/kdebug", &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 022)) {
		sbuf_adds(why, "'/run/kdebug' is not a directory owned by root and writable only by it; remove it");
		return -EPERM;
	}
	*dir = xstrdup("/run/kdebug");
	return 0;
}

static int net_lock(struct sbuf *why)
{
	const char *env = getenv("KDEBUG_NET_LOCK");
	char *dir = NULL, *path;
	int fd, r;

	if (env) {
		path = xstrdup(env);
	} else {
		if ((r = lock_dir(&dir, why)) < 0)
			return r;
		path = path_join(dir, "net.lock");
		free(dir);
	}
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		r = -errno;
		sbuf_addf(why, "cannot open the network lock '%s': %s", path, strerror(errno));
		free(path);
		return r;
	}
	free(path);
	while (flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR || proc_interrupted()) {
			r = errno == EINTR ? -EINTR : -errno;
			close(fd);
			sbuf_adds(why, r == -EINTR ? "interrupted while waiting for another kdebug's network setup"
						   : "cannot lock the network lock");
			return r;
		}
	}
	return fd;
}

static void net_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

void net_bridge_state_init(struct net_bridge_state *st)
{
	memset(st, 0, sizeof(*st));
	st->tap_fd = -1;
}

static const char *opt_bridge(const struct net_bridge_opts *o)
{
	return o->bridge ? o->bridge : NET_DEFAULT_BRIDGE;
}

static const char *opt_host(const struct net_bridge_opts *o)
{
	return o->host_cidr ? o->host_cidr : NET_DEFAULT_HOST_IP;
}

int net_bridge_check(const struct net_bridge_opts *o, struct sbuf *why)
{
	struct sbuf tmp = SBUF_INIT;
	int r;

	if (net_check_ifname(opt_bridge(o), &tmp) < 0) {
		if (why)
			sbuf_addf(why, "invalid bridge name: %s", tmp.buf);
		sbuf_release(&tmp);
		return -EINVAL;
	}
	if (o->tap && net_check_ifname(o->tap, &tmp) < 0) {
		if (why)
			sbuf_addf(why, "invalid tap name: %s", tmp.buf);
		sbuf_release(&tmp);
		return -EINVAL;
	}
	if (o->uplink && net_check_ifname(o->uplink, &tmp) < 0) {
		if (why)
			sbuf_addf(why, "invalid uplink name: %s", tmp.buf);
		sbuf_release(&tmp);
		return -EINVAL;
	}
	sbuf_release(&tmp);
	if ((r = net_check_addresses(opt_host(o), o->no_tap ? NULL :
				     (o->guest_cidr ? o->guest_cidr : NET_DEFAULT_GUEST_IP),
				     why)) < 0)
		return r;
	if (!net_have_cap_net_admin()) {
		if (why)
			sbuf_adds(why, "--net bridge needs CAP_NET_ADMIN (run as root, or give "
				  "kdebug cap_net_admin); --net user needs no privileges");
		return -EPERM;
	}
	/* Before anything is made (and before run warns that it joins the bridge). */
	if (o->uplink && !net_link_exists(o->uplink)) {
		if (why)
			sbuf_addf(why, "no interface '%s' for --uplink; name one that 'ip link' lists",
				  o->uplink);
		return -EINVAL;
	}
	return 0;
}

static void undo(struct net_bridge_state *st, struct nl *nl, bool only_if_empty);

static int setup_locked(struct nl *nl, const struct net_bridge_opts *o,
			struct net_bridge_state *st, struct sbuf *why)
{
	const char *br = opt_bridge(o), *host = opt_host(o);
	struct net_link brl, l;
	int r;

	snprintf(st->bridge, sizeof(st->bridge), "%s", br);
	snprintf(st->host_cidr, sizeof(st->host_cidr), "%s", host);

	/* Everything that can fail on existing state is checked first. */
	if (o->tap && nl_link_get(nl, o->tap, &l, NULL) == 0) {
		if (why)
			sbuf_addf(why, "interface '%s' already exists; pick another tap name, "
				  "or let kdebug choose one", o->tap);
		return -EEXIST;
	}
	if (o->uplink && (r = nl_link_get(nl, o->uplink, &l, why)) < 0)
		return r;
	r = nl_link_get(nl, br, &brl, NULL);
	if (r == 0 && strcmp(brl.kind, "bridge")) {
		if (why)
			sbuf_addf(why, "'%s' exists and is not a bridge (%s); pick another name "
				  "with --bridge", br, brl.kind[0] ? brl.kind : "a device");
		return -EEXIST;
	}
	if ((r = nl_addr_where(nl, br, r == 0 ? brl.index : -1, host, why)) < 0)
		return r;
	bool addr_there = r == 1;

	if ((r = nl_bridge_create(nl, br, &st->created_bridge, why)) < 0)
		return r;
	if (st->created_bridge &&
	    (r = nl_setlink(nl, br, 0, 0, NULL, o->persistent ? NET_ALIAS_PERSISTENT :
			    NET_ALIAS_TEMPORARY, why)) < 0)
		return r;
	if (!st->created_bridge && o->persistent) {
		/* net up adopts a temporary kdebug-run bridge as persistent */
		if (!strcmp(brl.alias, NET_ALIAS_TEMPORARY) &&
		    (r = nl_setlink(nl, br, 0, 0, NULL, NET_ALIAS_PERSISTENT, why)) < 0)
			return r;
	}
	if (!addr_there) {
		if ((r = nl_addr_change(nl, true, br, host,
					  o->persistent ? 0 : NET_ADDR_PROTO_RUN, why)) < 0)
			return r;
		st->added_addr = true;
	}
	if ((r = nl_setlink(nl, br, IFF_UP, IFF_UP, NULL, NULL, why)) < 0)
		return r;
	if (!o->no_tap) {
		if ((r = net_tap_open(o->tap, &st->tap_fd, st->tap, why)) < 0)
			return r;
		if ((r = nl_setlink(nl, st->tap, 0, 0, br, NULL, why)) < 0 ||
		    (r = nl_setlink(nl, st->tap, IFF_UP, IFF_UP, NULL, NULL, why)) < 0)
			return r;
	}
	if (o->uplink) {
		if ((r = nl_link_get(nl, o->uplink, &l, why)) < 0)
			return r;
		if (l.master != brl.index || st->created_bridge) {
			if ((r = nl_setlink(nl, o->uplink, 0, 0, br, NULL, why)) < 0)
				return r;
			snprintf(st->uplink, sizeof(st->uplink), "%s", o->uplink);
			st->enslaved_uplink = true;
		}
		if ((r = nl_setlink(nl, o->uplink, IFF_UP, IFF_UP, NULL, NULL, why)) < 0)
			return r;
	}
	return 0;
}

int net_bridge_setup(const struct net_bridge_opts *o, struct net_bridge_state *st,
		     struct sbuf *why)
{
	struct nl nl = { 0 };
	int r, lock;

	net_bridge_state_init(st);
	if ((r = net_bridge_check(o, why)) < 0)
		return r;
	if ((r = nl_open(&nl, why)) < 0)
		return r;
	lock = net_lock(why);
	if (lock < 0) {
		nl_close(&nl);
		return lock;
	}
	r = setup_locked(&nl, o, st, why);
	if (r < 0)
		undo(st, &nl, false);
	else
		st->active = true;
	net_unlock(lock);
	nl_close(&nl);
	return r;
}

/* Does ifindex carry cidr, added by a kdebug run (IFA_PROTO)? */
static bool addr_is_run_temporary(struct nl *nl, int index, const char *cidr)
{
	struct in_addr a;
	unsigned prefix;
	struct net_addr *v;
	size_t n;
	bool r = false;

	if (!cidr[0] || net_parse_cidr(cidr, &a, &prefix) < 0 || nl_addr_list(nl, &v, &n, NULL) < 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (v[i].index == index && v[i].addr.s_addr == a.s_addr &&
		    v[i].prefix == prefix && v[i].proto == NET_ADDR_PROTO_RUN)
			r = true;
	free(v);
	return r;
}

/*
 * Undo what st made.  With only_if_empty (teardown), a temporary bridge is
 * deleted when no port but ours is left, and the session's address (or a
 * kdebug-run address) when no other tap is left; without (a failed setup),
 * whatever this session created goes.
 */
static void undo(struct net_bridge_state *st, struct nl *nl, bool only_if_empty)
{
	struct net_link br;

	if (st->tap_fd >= 0) {
		close(st->tap_fd);	/* the tap goes with its last descriptor */
		st->tap_fd = -1;
	}
	if (st->enslaved_uplink) {
		nl_setlink(nl, st->uplink, 0, 0, NULL, NULL, NULL);
		st->enslaved_uplink = false;
	}
	if (!st->bridge[0] || nl_link_get(nl, st->bridge, &br, NULL) < 0)
		goto out;
	/*
	 * Our own tap may still be listed if QEMU has not closed its fd yet.
	 * Other taps are other VMs: they keep the bridge and the address.
	 */
	struct net_link *links;
	size_t nlinks, others = 0, other_taps = 0;
	if (nl_link_list(nl, &links, &nlinks, NULL) < 0)
		goto out;
	for (size_t i = 0; i < nlinks; i++) {
		if (links[i].master != br.index || !strcmp(links[i].name, st->tap))
			continue;
		others++;
		if (!strcmp(links[i].kind, "tun"))
			other_taps++;
	}
	free(links);
	if (only_if_empty && other_taps)
		goto out;
	if ((!strcmp(br.alias, NET_ALIAS_TEMPORARY) && !others) ||
	    (!only_if_empty && st->created_bridge)) {
		nl_link_delete(nl, st->bridge, NULL);
		goto out;
	}
	if (st->added_addr || addr_is_run_temporary(nl, br.index, st->host_cidr))
		nl_addr_change(nl, false, st->bridge, st->host_cidr, 0, NULL);
out:
	st->created_bridge = st->added_addr = false;
}

void net_bridge_teardown(struct net_bridge_state *st)
{
	struct nl nl = { 0 };
	int lock;

	if (!st->active && st->tap_fd < 0)
		return;
	st->active = false;
	if (nl_open(&nl, NULL) < 0) {
		if (st->tap_fd >= 0)
			close(st->tap_fd);
		st->tap_fd = -1;
		return;
	}
	struct sbuf ignored = SBUF_INIT;
	lock = net_lock(&ignored);	/* the undo goes on without the lock rather than not at all */
	sbuf_release(&ignored);
	undo(st, &nl, true);
	net_unlock(lock);
	nl_close(&nl);
}

/* ---- the bridge session's reaper (kdebug __net-reaper) ---- */

void net_bridge_reaper_args(const struct net_bridge_opts *o, struct strvec *args)
{
	strvec_pushl(args, "/proc/self/exe", "__net-reaper", opt_bridge(o), opt_host(o), "-", "-", NULL);
}

char *net_bridge_reaper_state(const struct net_bridge_state *st)
{
	char flags[4] = { 0 };
	size_t k = 0;

	if (st->created_bridge)
		flags[k++] = 'b';
	if (st->added_addr)
		flags[k++] = 'a';
	if (st->enslaved_uplink)
		flags[k++] = 'u';
	if (!k)
		flags[k++] = '-';
	return xasprintf("%s %s%s%s", flags, st->tap[0] ? st->tap : "-", st->enslaved_uplink ? " " : "",
			 st->enslaved_uplink ? st->uplink : "");
}

/* "FLAGS TAP [UPLINK]" (a state line, or the arguments after BRIDGE HOST_CIDR). */
static void state_words(struct net_bridge_state *st, const char *flags, const char *tap, const char *uplink)
{
	st->created_bridge = strchr(flags, 'b') != NULL;
	st->added_addr = strchr(flags, 'a') != NULL;
	st->enslaved_uplink = strchr(flags, 'u') != NULL && uplink;
	snprintf(st->tap, sizeof(st->tap), "%s", strcmp(tap, "-") ? tap : "");
	snprintf(st->uplink, sizeof(st->uplink), "%s", st->enslaved_uplink ? uplink : "");
}

int net_bridge_state_from_args(int argc, char **argv, struct net_bridge_state *st)
{
	if (argc < 4)
		return -EINVAL;
	net_bridge_state_init(st);
	snprintf(st->bridge, sizeof(st->bridge), "%s", argv[0]);
	snprintf(st->host_cidr, sizeof(st->host_cidr), "%s", argv[1]);
	state_words(st, argv[3], argv[2], argc > 4 ? argv[4] : NULL);
	st->active = true;
	return 0;
}

int net_bridge_state_update(struct net_bridge_state *st, const char *line)
{
	struct strvec w = STRVEC_INIT;

	strvec_split(&w, line);
	if (w.n < 2 || w.n > 3) {
		strvec_clear(&w);
		return -EINVAL;
	}
	state_words(st, w.v[0], w.v[1], w.n > 2 ? w.v[2] : NULL);
	strvec_clear(&w);
	return 0;
}

void net_bridge_reap(struct net_bridge_state *st)
{
	long long deadline = now_ms() + 5000;

	/* The tap goes away with QEMU's descriptor; then the bridge may have no port left. */
	while (net_link_exists(st->tap) && now_ms() < deadline)
		poll(NULL, 0, 50);
	net_bridge_teardown(st);
}

/* ---- network namespaces ---- */

unsigned long long net_netns_ino(int ns_fd)
{
	struct stat st;

	return fstat(ns_fd, &st) < 0 ? 0 : (unsigned long long)st.st_ino;
}

int net_netns_open(const char *path, unsigned long long ino)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ino && net_netns_ino(fd) != ino) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

int net_netns_socket(int ns_fd, int domain, int type)
{
	int self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	int fd, e;

	if (self < 0)
		return -errno;
	if (setns(ns_fd, CLONE_NEWNET) < 0) {
		e = -errno;
		close(self);
		return e;
	}
	fd = socket(domain, type | SOCK_CLOEXEC, 0);
	e = fd < 0 ? -errno : 0;
	if (setns(self, CLONE_NEWNET) < 0) {
		/* Stranded in the other namespace: never carry on from there. */
		abort();
	}
	close(self);
	return fd < 0 ? e : fd;
}
