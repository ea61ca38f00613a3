// SPDX-License-Identifier: GPL-2.0
/*
 * Stage "nfs": --root nfs[:DIR].  A private nfs-ganesha for this VM (its
 * address the only client), or with --nfs-server kernel an exportfs export
 * to the guest only, removed by a reaper even after kill -9.  The kernel
 * mounts the root itself (nfsroot=, ip=), so the guest's rcS leaves eth0
 * alone.
 *
 * Reachable by this guest only (issue #10): in user mode ganesha runs in a
 * network namespace of its own on 127.0.0.1, and the net stage's -netdev
 * user gets guestfwd=tcp:10.0.2.4:PORT-cmd:'KDEBUG' __nfs-relay ... for
 * the NFS and MOUNT ports; in bridge mode it listens on the bridge's host
 * address only.
 */
#include "run.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static bool is_nfs(const struct run_config *c)
{
	return c->root && str_starts_with(c->root, "nfs");
}

static int nfs_check(struct run_session *s, struct sbuf *why)
{
	const struct run_config *c = s->cfg;

	if (!c->root)
		return 0;
	if (c->kernel_nfs && !str_starts_with(c->net, "bridge")) {
		sbuf_adds(why, "--nfs-server kernel in user mode would export to 127.0.0.1, where every local user "
			  "would be root on the tree; use --net bridge (an export to the guest's address only) "
			  "or kdebug's own server (no --nfs-server)");
		return EXIT_USAGE;
	}
	if (c->kernel_nfs && nfs_kernel_server_check(getenv("KDEBUG_PROC_NFSD"), why))
		return EXIT_USAGE;
	if (c->kernel_nfs && !in_path("exportfs")) {
		sbuf_adds(why, "--nfs-server kernel needs exportfs; install the Debian package nfs-kernel-server");
		return EXIT_USAGE;
	}
	if (is_nfs(c) && !c->kernel_nfs && !in_path("ganesha.nfsd")) {
		sbuf_adds(why, "--root nfs needs nfs-ganesha; install the Debian packages nfs-ganesha and nfs-ganesha-vfs");
		return EXIT_USAGE;
	}
	return 0;
}

static void cleanup_nfs(void *arg)
{
	nfs_server_stop(arg);
}

/* This program, as slirp will run it: the relays are `kdebug __nfs-relay`. */
static char *self_exe(void)
{
	char buf[4096];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

	if (n <= 0)
		return NULL;
	buf[n] = '\0';
	return xstrdup(buf);
}

/*
 * User mode: the guest's connections to 10.0.2.4:PORT (NFS and MOUNT) go
 * to relays in the server's namespace, added to the net stage's -netdev.
 */
static int nfs_relays(struct run_session *s, struct sbuf *why)
{
	unsigned long long ino = 0;
	char *exe = self_exe(), *ns = nfs_server_netns(&s->nfs, &ino);
	struct sbuf nd = SBUF_INIT, cmd = SBUF_INIT;
	const int ports[2] = { s->nfs.nfs_port, s->nfs.mount_port };
	int r = 0;

	if (!s->user_netdev || !ns) {
		sbuf_adds(why, "internal error: no user-mode -netdev or server namespace for the NFS relays");
		r = EXIT_FAIL;
		goto out;
	}
	sbuf_adds(&nd, s->qemu_args.v[s->user_netdev]);
	for (int i = 0; i < 2 && !r; i++) {
		sbuf_reset(&cmd);
		if (!exe || nfs_relay_cmd(exe, ns, ino, ports[i], &cmd)) {
			/* The path itself may hold the newline that makes it unusable: shown with '?'. */
			for (char *p = exe; p && *p; p++)
				if ((unsigned char)*p < ' ' || *p == 0x7f)
					*p = '?';
			sbuf_addf(why, "kdebug's path '%s' cannot be given to QEMU as the NFS relay command "
				  "(control characters or too long); install or run kdebug from a plain path",
				  exe ? exe : "?");
			r = EXIT_USAGE;
		} else {
			qemu_add_guestfwd(&nd, NFS_SLIRP_RELAY, ports[i], cmd.buf);
		}
	}
	if (!r) {
		free(s->qemu_args.v[s->user_netdev]);
		s->qemu_args.v[s->user_netdev] = sbuf_detach(&nd);
	}
out:
	sbuf_release(&nd);
	sbuf_release(&cmd);
	free(exe);
	free(ns);
	return r;
}

/* Serve root_dir to the guest only. */
static int nfs_serve(struct run_session *s, bool bridge, struct sbuf *why)
{
	const struct run_config *c = s->cfg;
	char *client = bridge ? xstrndup(s->guest_cidr, strcspn(s->guest_cidr, "/")) : NULL;
	char *bind = bridge ? xstrndup(s->nst.host_cidr, strcspn(s->nst.host_cidr, "/")) : NULL;
	int r;

	if (c->kernel_nfs) {
		/* Bridge mode only (nfs_check): the guest's own address. */
		r = nfs_kernel_export_start(&s->nfs_reaper, client, s->root_dir, why);
	} else {
		char *state = instance_path(&s->in, "nfs");
		struct nfs_server_opts no = { .dir = s->root_dir, .state_dir = state, .client = client,
					      .bind_addr = bind, .private_netns = !bridge,
					      .nfs_port = c->nfs_port, .mount_port = c->mount_port };
		r = nfs_server_start(&no, &s->nfs, why);
		free(state);
		if (!r && cleanup_push(cleanup_nfs, &s->nfs)) {
			sbuf_adds(why, "cannot register the NFS server for stopping");
			r = -ENOMEM;
		}
	}
	free(client);
	free(bind);
	if (r && !why->len)
		sbuf_adds(why, strerror(-r));
	return !r ? 0 : r == -EADDRINUSE || r == -ENOENT ? EXIT_USAGE : EXIT_FAIL;
}

static int nfs_setup(struct run_session *s, struct sbuf *why)
{
	const struct run_config *c = s->cfg;
	bool bridge = str_starts_with(c->net, "bridge");
	char *server, *nfsroot, *ip = NULL;
	int r;

	if (!is_nfs(c))
		return 0;
	/* nfsroot=SERVER:DIR,OPTIONS on the kernel command line: DIR must survive it. */
	if (!share_cmdline_safe(s->root_dir) || strchr(s->root_dir, ',')) {
		sbuf_addf(why, "'%s' has a blank, comma, quote or backslash, which nfsroot= on the kernel command line cannot carry; "
			  "use a directory without them", s->root_dir);
		return EXIT_USAGE;
	}
	r = nfs_serve(s, bridge, why);
	if (!r && !bridge && !c->kernel_nfs)
		r = nfs_relays(s, why);
	if (r)
		return r;
	server = bridge ? xstrndup(s->nst.host_cidr, strcspn(s->nst.host_cidr, "/")) : xstrdup(NFS_SLIRP_RELAY);
	nfsroot = nfs_kernel_cmdline(server, s->root_dir, s->nfs.nfs_port, s->nfs.mount_port);
	if (bridge)
		net_guest_ip_param(c->guest_ip ? c->guest_ip : NET_DEFAULT_GUEST_IP, s->nst.host_cidr, NULL, &ip, NULL);
	else if (c->guest_ip)
		net_guest_ip_param(c->guest_ip, "10.0.2.2/24", NULL, &ip, NULL);
	else
		ip = xstrdup("ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:off");
	sbuf_addf(&s->cmdline, "%s%s %s", s->cmdline.len ? " " : "", nfsroot, ip ? ip : "");
	free(server);
	free(nfsroot);
	free(ip);
	/* The kernel configures eth0 itself (ip=) before mounting the root. */
	free(s->guest_net);
	s->guest_net = NULL;
	return 0;
}

static void nfs_teardown(struct run_session *s)
{
	proc_reaper_stop(&s->nfs_reaper, 10000);	/* it removes the export */
	if (s->nfs.started) {
		cleanup_pop(cleanup_nfs, &s->nfs);
		nfs_server_stop(&s->nfs);
	}
}

const struct run_stage run_stage_nfs = {
	.name = "nfs",
	.check = nfs_check,
	.setup = nfs_setup,
	.teardown = nfs_teardown,
};
