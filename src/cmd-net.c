// SPDX-License-Identifier: GPL-2.0
/*
 * kdebug net: the tutorial's host bridge, managed over rtnetlink.
 *   kdebug net up     create the bridge (if absent), give it the host address
 *   kdebug net down   delete a bridge kdebug made
 *   kdebug net show   bridges, their ports and addresses
 *   kdebug net tap    run a command holding a fresh tap (fd inherited)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "net.h"
#include "proc.h"
#include "util.h"

static const char help[] =
"usage: kdebug net up   [--bridge BR] [--host-ip CIDR]\n"
"       kdebug net down [--bridge BR] [--force]\n"
"       kdebug net show [--bridge BR]\n"
"       kdebug net tap  [--bridge BR] [--host-ip CIDR] [--guest-ip CIDR|dhcp]\n"
"                       [--name TAP] [--uplink IF] -- COMMAND [ARG...]\n"
"\n"
"Manage the host side of the tutorial's bridge networking, independently of\n"
"any VM (`kdebug run --net bridge` does the same for one VM and cleans up).\n"
"All changes go through rtnetlink and need CAP_NET_ADMIN.\n"
"\n"
"  up     create the bridge if absent (marked with the alias 'kdebug'), add\n"
"         the host address if absent, bring it up\n"
"  down   delete a bridge kdebug created; refuses a bridge that is not\n"
"         kdebug's or that still has ports, unless --force\n"
"  show   list bridges with their owner, state, addresses and ports\n"
"  tap    what 'kdebug run --net bridge' does, around any COMMAND: the\n"
"         bridge (created if absent, removed after if kdebug created it and\n"
"         no port is left), the host address, a tap (not persistent) in the\n"
"         bridge; COMMAND inherits the tap: $KDEBUG_TAP is its name,\n"
"         $KDEBUG_TAP_FD its descriptor (QEMU: -netdev tap,id=n0,fd=$KDEBUG_TAP_FD),\n"
"         $KDEBUG_GUEST_IP_PARAM the guest's kernel ip= parameter\n"
"\n"
"  -b, --bridge BR        bridge name (default " NET_DEFAULT_BRIDGE ")\n"
"  -a, --host-ip CIDR     host address on the bridge (default " NET_DEFAULT_HOST_IP ")\n"
"  -g, --guest-ip CIDR    guest address (default " NET_DEFAULT_GUEST_IP "), or dhcp\n"
"  -n, --name TAP         tap name (default: kdtap<N>, chosen by the kernel)\n"
"  -u, --uplink IF        also add host interface IF to the bridge (remote\n"
"                         sessions over IF may drop); released afterwards\n"
"  -f, --force            down: delete a foreign bridge or one with ports\n"
"  -h, --help             show this help\n"
"\n"
"See Documentation/kdebug-net.md.\n";

struct net_cmd {
	const char *bridge, *host_ip, *guest_ip, *tap, *uplink;
	bool force;
};

/* Print why (and release it); the exit code for r. */
static int fail_why(int r, struct sbuf *why)
{
	error("%s", sbuf_str(why));
	sbuf_release(why);
	/* Bad input: names, addresses, a taken name or address, no privileges. */
	return r == -EINVAL || r == -EPERM || r == -EEXIST || r == -EADDRINUSE ?
		EXIT_USAGE : EXIT_FAIL;
}

static int need_cap(void)
{
	if (net_have_cap_net_admin())
		return 0;
	error("kdebug net needs CAP_NET_ADMIN (run as root, or give kdebug cap_net_admin)");
	return EXIT_USAGE;
}

static int net_up(struct net_cmd *c)
{
	struct net_bridge_opts o = {
		.bridge = c->bridge, .host_cidr = c->host_ip, .persistent = true, .no_tap = true,
	};
	struct net_bridge_state st;
	struct sbuf why = SBUF_INIT;
	int r;

	r = net_bridge_setup(&o, &st, &why);
	if (r == -EPERM && !net_have_cap_net_admin()) {
		sbuf_release(&why);	/* worded for 'run --net bridge' and 'net tap' */
		return need_cap();
	}
	if (r < 0) {
		r = fail_why(r, &why);
		sbuf_release(&why);
		return r;
	}
	printf("bridge '%s' is up with %s%s\n", st.bridge, st.host_cidr,
	       st.created_bridge ? " (created)" : st.added_addr ? " (address added)" :
	       " (already there)");
	return EXIT_OK;
}

static int net_down(struct net_cmd *c)
{
	const char *br = c->bridge ? c->bridge : NET_DEFAULT_BRIDGE;
	struct sbuf why = SBUF_INIT;
	struct strvec ports = STRVEC_INIT;
	struct net_link l;
	int r, ret = EXIT_FAIL;

	if (net_check_ifname(br, &why) < 0) {
		error("invalid bridge name: %s", why.buf);
		sbuf_release(&why);
		return EXIT_USAGE;
	}
	if ((r = need_cap()))
		return r;
	r = net_link_get(br, &l, &why);
	if (r == -ENODEV) {
		error("no bridge '%s'; see 'kdebug net show'", br);
		goto out;
	}
	if (r < 0) {
		error("%s", why.buf);
		goto out;
	}
	if (strcmp(l.kind, "bridge")) {
		error("'%s' is not a bridge (%s)", br, l.kind[0] ? l.kind : "a device");
		goto out;
	}
	bool ours = !strcmp(l.alias, NET_ALIAS_PERSISTENT) || !strcmp(l.alias, NET_ALIAS_TEMPORARY);
	if (!ours && !c->force) {
		error("bridge '%s' was not created by kdebug; delete it yourself, or pass --force", br);
		goto out;
	}
	if ((r = net_bridge_ports(br, &ports, &why)) < 0) {
		error("%s", why.buf);
		goto out;
	}
	if (ports.n && !c->force) {
		char *list = strvec_join_shell(&ports);
		error("bridge '%s' still has ports (%s); stop the VMs using it, or pass --force",
		      br, list);
		free(list);
		goto out;
	}
	if ((r = net_bridge_delete(br, &why)) < 0) {
		error("%s", why.buf);
		goto out;
	}
	printf("bridge '%s' deleted\n", br);
	ret = EXIT_OK;
out:
	strvec_clear(&ports);
	sbuf_release(&why);
	return ret;
}

static const char *owner(const struct net_link *l)
{
	if (!strcmp(l->alias, NET_ALIAS_PERSISTENT))
		return "kdebug";
	if (!strcmp(l->alias, NET_ALIAS_TEMPORARY))
		return "kdebug run";
	return "not kdebug's";
}

static int net_show(struct net_cmd *c)
{
	struct sbuf why = SBUF_INIT;
	struct net_link *links = NULL;
	struct net_addr *addrs = NULL;
	size_t nl = 0, na = 0, shown = 0;

	if (c->bridge && net_check_ifname(c->bridge, &why) < 0) {
		error("invalid bridge name: %s", why.buf);
		sbuf_release(&why);
		return EXIT_USAGE;
	}
	if (net_link_list(&links, &nl, &why) < 0 || net_addr_list(&addrs, &na, &why) < 0) {
		error("%s", why.buf);
		sbuf_release(&why);
		free(links);
		return EXIT_FAIL;
	}
	for (size_t i = 0; i < nl; i++) {
		const struct net_link *b = &links[i];
		if (strcmp(b->kind, "bridge") || (c->bridge && strcmp(c->bridge, b->name)))
			continue;
		shown++;
		printf("%s (%s, %s)\n", b->name, owner(b), b->flags & IFF_UP ? "up" : "down");
		for (size_t j = 0; j < na; j++) {
			char ip[INET_ADDRSTRLEN];
			if (addrs[j].index != b->index)
				continue;
			inet_ntop(AF_INET, &addrs[j].addr, ip, sizeof(ip));
			printf("  address %s/%u\n", ip, addrs[j].prefix);
		}
		for (size_t j = 0; j < nl; j++)
			if (links[j].master == b->index)
				printf("  port %s%s%s\n", links[j].name,
				       links[j].kind[0] ? " " : "", links[j].kind);
	}
	if (!shown) {
		if (c->bridge) {
			error("no bridge '%s'; 'kdebug net show' lists the bridges", c->bridge);
			free(links);
			free(addrs);
			return EXIT_FAIL;
		}
		printf("no bridges; create one with 'kdebug net up'\n");
	}
	free(links);
	free(addrs);
	return EXIT_OK;
}

static void teardown_at_exit(void *arg)
{
	net_bridge_teardown(arg);
}

/*
 * The session `kdebug run --net bridge` uses, around any command: bridge
 * (created if absent, temporary), host address, tap enslaved and up; the
 * command inherits the tap's descriptor; teardown afterwards.
 */
static int net_tap(struct net_cmd *c, int argc, char **argv)
{
	struct net_bridge_opts o = {
		.bridge = c->bridge, .host_cidr = c->host_ip, .guest_cidr = c->guest_ip,
		.tap = c->tap, .uplink = c->uplink,
	};
	struct net_bridge_state st;
	struct sbuf why = SBUF_INIT;
	char *ip_param = NULL;
	struct proc p;
	int r, ret = EXIT_FAIL;

	if ((r = net_bridge_check(&o, &why)) < 0)
		return fail_why(r, &why);
	if (net_guest_ip_param(o.guest_cidr ? o.guest_cidr : NET_DEFAULT_GUEST_IP,
			       o.host_cidr ? o.host_cidr : NET_DEFAULT_HOST_IP, NULL,
			       &ip_param, &why) < 0)
		return fail_why(-EINVAL, &why);	/* not reached: checked above */
	if ((r = net_bridge_setup(&o, &st, &why)) < 0) {
		free(ip_param);
		r = fail_why(r, &why);
		sbuf_release(&why);
		return r;
	}
	cleanup_push(teardown_at_exit, &st);
	if (c->uplink)
		warning("'%s' is now a port of bridge '%s': remote sessions over '%s' may drop",
			c->uplink, st.bridge, c->uplink);
	proc_init(&p);
	strvec_pushv(&p.args, (const char *const *)argv);
	strvec_pushf(&p.env, "KDEBUG_TAP=%s", st.tap);
	strvec_pushf(&p.env, "KDEBUG_TAP_FD=%d", st.tap_fd);
	strvec_pushf(&p.env, "KDEBUG_BRIDGE=%s", st.bridge);
	strvec_pushf(&p.env, "KDEBUG_GUEST_IP_PARAM=%s", ip_param);
	p.keep_fds[p.n_keep_fds++] = st.tap_fd;
	if ((r = proc_start(&p)) < 0) {
		error("cannot run '%s': %s", argv[0], strerror(-r));
		proc_clear(&p);
		goto out;
	}
	close(st.tap_fd);	/* the child holds the tap now */
	st.tap_fd = -1;
	r = proc_wait(&p, -1);
	if (r == -EINTR) {
		proc_terminate(&p, 2000);
		ret = 128 + proc_interrupted();
	} else {
		ret = proc_exit_code(&p);
	}
	proc_clear(&p);
	(void)argc;
out:
	net_bridge_teardown(&st);
	cleanup_pop(teardown_at_exit, &st);
	free(ip_param);
	sbuf_release(&why);
	return ret;
}

int cmd_net(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bridge", required_argument, NULL, 'b' },
		{ "host-ip", required_argument, NULL, 'a' },
		{ "name", required_argument, NULL, 'n' },
		{ "guest-ip", required_argument, NULL, 'g' },
		{ "uplink", required_argument, NULL, 'u' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct net_cmd c = { 0 };
	const char *sub;
	int ch;

	if (argc < 2)
		return usage_error("net", "missing subcommand (up, down, show or tap)");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return print_help(help);
	sub = argv[1];
	argc--;
	argv++;
	optind = 0;
	opterr = 0;	/* our own one-line messages */
	while ((ch = getopt_long(argc, argv, "+:b:a:n:g:u:fh", opts, NULL)) != -1) {
		switch (ch) {
		case 'b': c.bridge = optarg; break;
		case 'a': c.host_ip = optarg; break;
		case 'n': c.tap = optarg; break;
		case 'g': c.guest_ip = optarg; break;
		case 'u': c.uplink = optarg; break;
		case 'f': c.force = true; break;
		case 'h': return print_help(help);
		case ':':
			return usage_error("net", "option '%s' needs a value", argv[optind - 1]);
		default:
			if (optopt)
				return usage_error("net", "unknown option '-%c'", optopt);
			return usage_error("net", "unknown option '%s'", argv[optind - 1]);
		}
	}
	bool is_tap = !strcmp(sub, "tap");
	if (optind < argc && !is_tap)
		return usage_error("net", "unexpected argument '%s'", argv[optind]);
	if (c.host_ip && strcmp(sub, "up") && !is_tap)
		return usage_error("net", "--host-ip is for 'net up' and 'net tap'");
	if ((c.tap || c.guest_ip || c.uplink) && !is_tap)
		return usage_error("net", "--name, --guest-ip and --uplink are for 'net tap'");
	if (c.force && strcmp(sub, "down"))
		return usage_error("net", "--force is for 'net down'");
	if (!strcmp(sub, "up"))
		return net_up(&c);
	if (!strcmp(sub, "down"))
		return net_down(&c);
	if (!strcmp(sub, "show"))
		return net_show(&c);
	if (is_tap) {
		if (optind >= argc)
			return usage_error("net", "'net tap' needs a command to run");
		return net_tap(&c, argc - optind, argv + optind);
	}
	return usage_error("net", "unknown subcommand '%s' (up, down, show or tap)", sub);
}
