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
"       kdebug net tap  [--bridge BR] [--name TAP] -- COMMAND [ARG...]\n"
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
"  tap    create a tap (not persistent), add it to BR if given, bring it up\n"
"         and run COMMAND with it: $KDEBUG_TAP is its name, $KDEBUG_TAP_FD the\n"
"         descriptor (e.g. QEMU's -netdev tap,id=n0,fd=$KDEBUG_TAP_FD); the\n"
"         tap vanishes when COMMAND and its children have exited\n"
"\n"
"  -b, --bridge BR        bridge name (default " NET_DEFAULT_BRIDGE ")\n"
"  -a, --host-ip CIDR     host address on the bridge (default " NET_DEFAULT_HOST_IP ")\n"
"  -n, --name TAP         tap name (default: kdtap<N>, chosen by the kernel)\n"
"  -f, --force            down: delete a foreign bridge or one with ports\n"
"  -h, --help             show this help\n"
"\n"
"See Documentation/kdebug-net.md.\n";

struct net_cmd {
	const char *bridge, *host_ip, *tap;
	bool force;
};

static int fail_why(int r, struct sbuf *why)
{
	error("%s", sbuf_str(why));
	return r == -EINVAL || r == -EPERM ? EXIT_USAGE : EXIT_FAIL;
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
			error("no bridge '%s'", c->bridge);
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

static int net_tap(struct net_cmd *c, int argc, char **argv)
{
	struct sbuf why = SBUF_INIT;
	char name[IFNAMSIZ];
	struct proc p;
	int fd = -1, r, ret = EXIT_FAIL;

	if (c->tap && net_check_ifname(c->tap, &why) < 0) {
		error("invalid tap name: %s", why.buf);
		sbuf_release(&why);
		return EXIT_USAGE;
	}
	if (c->bridge && net_check_ifname(c->bridge, &why) < 0) {
		error("invalid bridge name: %s", why.buf);
		sbuf_release(&why);
		return EXIT_USAGE;
	}
	if ((r = need_cap()))
		return r;
	if (c->bridge) {
		struct net_link l;
		if (net_link_get(c->bridge, &l, &why) < 0 || strcmp(l.kind, "bridge")) {
			error("no bridge '%s'; create it with 'kdebug net up --bridge %s'",
			      c->bridge, c->bridge);
			sbuf_release(&why);
			return EXIT_FAIL;
		}
	}
	if ((r = net_tap_open(c->tap, &fd, name, &why)) < 0) {
		error("%s", why.buf);
		sbuf_release(&why);
		return r == -EEXIST || r == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
	}
	if ((c->bridge && net_link_set_master(name, c->bridge, &why) < 0) ||
	    net_link_up(name, &why) < 0) {
		error("%s", why.buf);
		goto out;
	}
	proc_init(&p);
	strvec_pushv(&p.args, (const char *const *)argv);
	strvec_pushf(&p.env, "KDEBUG_TAP=%s", name);
	strvec_pushf(&p.env, "KDEBUG_TAP_FD=%d", fd);
	p.keep_fds[p.n_keep_fds++] = fd;
	if ((r = proc_start(&p)) < 0) {
		error("cannot run '%s': %s", argv[0], strerror(-r));
		proc_clear(&p);
		goto out;
	}
	close(fd);	/* the child holds the tap now */
	fd = -1;
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
	if (fd >= 0)
		close(fd);
	sbuf_release(&why);
	return ret;
}

int cmd_net(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bridge", required_argument, NULL, 'b' },
		{ "host-ip", required_argument, NULL, 'a' },
		{ "name", required_argument, NULL, 'n' },
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
	while ((ch = getopt_long(argc, argv, "+:b:a:n:fh", opts, NULL)) != -1) {
		switch (ch) {
		case 'b': c.bridge = optarg; break;
		case 'a': c.host_ip = optarg; break;
		case 'n': c.tap = optarg; break;
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
	if (c.host_ip && strcmp(sub, "up"))
		return usage_error("net", "--host-ip is for 'net up'");
	if (c.tap && !is_tap)
		return usage_error("net", "--name is for 'net tap'");
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
