// SPDX-License-Identifier: GPL-2.0
/*
 * Stage "net": the guest's network.  user (QEMU's slirp, --forward ports on
 * 127.0.0.1), bridge (the tutorial's br + tap over rtnetlink, undone by a
 * reaper even after kill -9, the guest's address claimed in the registry,
 * and with --guest-ip dhcp kdebug's one-client DHCP server on the bridge),
 * tap=IF (an existing tap) or none.
 */
#include "run.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sock.h"

static bool is_bridge(const struct run_config *c)
{
	return str_starts_with(c->net, "bridge");
}

static bool is_dhcp(const struct run_config *c)
{
	return c->guest_ip && !strcmp(c->guest_ip, "dhcp");
}

static void bridge_opts(const struct run_config *c, struct net_bridge_opts *bo)
{
	memset(bo, 0, sizeof(*bo));
	bo->bridge = c->net[6] == '=' ? c->net + 7 : NULL;
	bo->host_cidr = c->host_ip;
	bo->guest_cidr = c->guest_ip;
	bo->uplink = c->uplink;
}

static int net_check(struct run_session *s, struct sbuf *why)
{
	const struct run_config *c = s->cfg;

	if (is_bridge(c)) {
		struct net_bridge_opts bo;
		bridge_opts(c, &bo);
		if (net_bridge_check(&bo, why))
			return EXIT_USAGE;
	} else if (str_starts_with(c->net, "tap=")) {
		struct net_link l;
		if (net_link_get(c->net + 4, &l, NULL) || strcmp(l.kind, "tun")) {
			sbuf_addf(why, "no tap device '%s'; create one (ip tuntap add %s mode tap) or use --net bridge",
				  c->net + 4, c->net + 4);
			return EXIT_USAGE;
		}
	}
	for (size_t i = 0; i < c->forwards.n; i++) {
		int h, g, fd = -1;
		forward_parse(c->forwards.v[i], &h, &g);
		int r = sock_listen_loopback(h, &fd);
		if (fd >= 0 && !r)
			close(fd);
		if (r == -EADDRINUSE) {
			sbuf_addf(why, "port %d on 127.0.0.1 is in use; pick another for --forward %s", h,
				  c->forwards.v[i]);
			return EXIT_USAGE;
		}
	}
	return 0;
}

static void dhcp_ready(struct run_session *s, int fd, short revents, void *arg)
{
	static bool warned;
	struct dhcp_server *d = &s->dhcpd;
	int t = dhcp_server_serve(d);
	char a[INET_ADDRSTRLEN];

	if (t < 0 && !warned) {
		warned = true;
		say(&s->say, SAY_WARN, "VM %s: cannot send a DHCP reply on %s: %s", s->in.name, d->ifname,
		    strerror(-t));
	} else if (t > 0) {
		inet_ntop(AF_INET, &d->lease.addr, a, sizeof(a));
		say(&s->say, SAY_TRACE, "note: VM %s: %s %s on %s", s->in.name,
		    dhcp_type_name((enum dhcp_type)t), a, d->ifname);
	}
}

/* --guest-ip dhcp on kdebug's bridge: answer this guest's MAC (only). */
static int serve_dhcp(struct run_session *s, struct sbuf *why)
{
	struct dhcp_lease lease = { .seconds = DHCP_LEASE_SECONDS };
	unsigned pfx;
	int r;

	dhcp_parse_mac(s->mac, lease.mac);
	net_parse_cidr(s->guest_cidr, &lease.addr, &pfx);
	net_parse_cidr(s->nst.host_cidr, &lease.server, &lease.prefix);
	struct sbuf w = SBUF_INIT;
	r = dhcp_server_open(&s->dhcpd, s->nst.bridge, &lease, &w);
	if (r) {
		sbuf_addf(why, "cannot serve DHCP on %s: %s; give --guest-ip ADDRESS/PREFIX", s->nst.bridge,
			  sbuf_str(&w));
		sbuf_release(&w);
		return r == -EADDRINUSE || r == -EACCES ? EXIT_USAGE : EXIT_FAIL;
	}
	sbuf_release(&w);
	run_watch(s, s->dhcpd.fd, POLLIN, dhcp_ready, NULL);
	say(&s->say, SAY_NOTE, "VM %s: the guest's eth0 gets %s by DHCP (kdebug serves it on %s)", s->in.name,
	    s->guest_cidr, s->nst.bridge);
	return 0;
}

static int bridge_setup(struct run_session *s, struct sbuf *why)
{
	const struct run_config *c = s->cfg;
	struct net_bridge_opts bo;
	struct sbuf warn = SBUF_INIT;
	bool serve = is_dhcp(c) && !c->uplink;	/* with --uplink the LAN's server answers */
	int r;

	bridge_opts(c, &bo);
	if (c->uplink)
		say(&s->say, SAY_WARN, "--uplink %s: %s joins the bridge; remote sessions over %s may drop",
		    c->uplink, c->uplink, c->uplink);
	/* The reaper first: from the moment anything exists, its undoing is certain. */
	proc_init(&s->net_reaper);
	net_bridge_reaper_args(&bo, &s->net_reaper.args);
	if (proc_reaper_start(&s->net_reaper, "network", why))
		return EXIT_FAIL;
	r = net_bridge_setup(&bo, &s->nst, why);
	if (r) {
		if (!why->len)
			sbuf_adds(why, strerror(-r));
		return r == -EINVAL || r == -EEXIST || r == -EADDRINUSE || r == -EPERM ? EXIT_USAGE : EXIT_FAIL;
	}
	sbuf_reset(why);
	char *state = net_bridge_reaper_state(&s->nst);
	r = proc_reaper_tell(&s->net_reaper, state);
	free(state);
	if (r) {
		sbuf_adds(why, "the network reaper went away");
		return EXIT_FAIL;
	}
	r = instance_claim_bridge_address(&s->in, &s->nst, c->guest_ip, serve, &s->guest_cidr, &warn, why);
	if (warn.len)
		say(&s->say, SAY_WARN, "%s", warn.buf);
	sbuf_release(&warn);
	if (r)
		return EXIT_FAIL;
	if (serve && (r = serve_dhcp(s, why)))
		return r;
	/* The guest's address, the host's as its gateway; or dhcp. */
	if (is_dhcp(c))
		s->guest_net = xstrdup("dhcp");
	else
		s->guest_net = xasprintf("%s,%.*s", s->guest_cidr, (int)strcspn(s->nst.host_cidr, "/"),
					 s->nst.host_cidr);
	qemu_add_tap_net(&s->qemu_args, c->nic, s->nst.tap_fd, s->mac);
	return 0;
}

static int net_setup(struct run_session *s, struct sbuf *why)
{
	const struct run_config *c = s->cfg;
	char *seed = xasprintf("%s/%d/%lld", s->in.dir, (int)getpid(), now_ms());

	qemu_mac_from(seed, s->mac);
	free(seed);
	if (is_bridge(c))
		return bridge_setup(s, why);
	if (str_starts_with(c->net, "tap=")) {
		s->guest_net = xstrdup(c->guest_ip ? c->guest_ip : NET_DEFAULT_GUEST_IP);
		if (!is_dhcp(c))
			s->guest_cidr = xstrdup(s->guest_net);
		struct sbuf nd = SBUF_INIT;
		sbuf_adds(&nd, "tap,id=n0,ifname=");
		qemu_add_value(&nd, c->net + 4);
		sbuf_adds(&nd, ",script=no,downscript=no");
		strvec_pushl(&s->qemu_args, "-netdev", nd.buf, NULL);
		sbuf_release(&nd);
		qemu_add_nic(&s->qemu_args, c->nic, "n0", s->mac);
	} else if (!strcmp(c->net, "user")) {
		/* slirp: the host is 10.0.2.2, its DNS proxy 10.0.2.3, its DHCP's first lease 10.0.2.15. */
		if (is_dhcp(c))
			s->guest_net = xstrdup("dhcp");
		else
			s->guest_net = xasprintf("%s,10.0.2.2,10.0.2.3", c->guest_ip ? c->guest_ip : "10.0.2.15/24");
		s->guest_cidr = xstrdup(c->guest_ip && !is_dhcp(c) ? c->guest_ip : "10.0.2.15/24");
		s->user_netdev = s->qemu_args.n + 1;	/* after "-netdev" */
		qemu_add_user_net(&s->qemu_args, c->nic, &c->forwards, s->mac);
	}
	return 0;
}

static void net_teardown(struct run_session *s)
{
	if (s->dhcpd.fd >= 0)
		run_unwatch(s, s->dhcpd.fd);
	dhcp_server_close(&s->dhcpd);
	if (s->nst.tap_fd >= 0) {
		close(s->nst.tap_fd);
		s->nst.tap_fd = -1;
	}
	if (s->net_reaper.pid > 0)
		proc_reaper_stop(&s->net_reaper, 10000);	/* QEMU is gone: it undoes the bridge session */
	else if (s->nst.active)
		net_bridge_teardown(&s->nst);
}

const struct run_stage run_stage_net = {
	.name = "net",
	.check = net_check,
	.setup = net_setup,
	.teardown = net_teardown,
};
