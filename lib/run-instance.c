// SPDX-License-Identifier: GPL-2.0
/*
 * Stage "instance": the VM's directory in the registry (lock, info,
 * console.log, qemu.log) and its endpoints, which kdebug opens itself and
 * QEMU inherits: the QMP unix socket and the gdbstub's listening socket.
 */
#include "run.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sock.h"

static void cleanup_instance(void *arg)
{
	instance_remove(arg);
}

/*
 * The gdbstub: a unix socket (0600) in the instance's 0700 directory, which
 * no other local user can reach; on request a TCP port on 127.0.0.1, which
 * every local user can.
 */
static int listen_gdb(struct run_session *s, struct sbuf *why)
{
	const struct run_config *c = s->cfg;
	int r = 0;

	if (c->gdb == RUN_GDB_UNIX) {
		char *path = instance_path(&s->in, INSTANCE_GDB_SOCKET);
		r = sock_listen_unix(path, &s->gdb_fd);
		if (r) {
			sbuf_addf(why, "cannot create the gdbstub socket '%s': %s", path, strerror(-r));
			free(path);
			return EXIT_FAIL;
		}
		s->in.gdb_socket = path;
	} else if (c->gdb == RUN_GDB_TCP) {
		s->gdb_port = c->gdb_port;
		if (s->gdb_port > 0)
			r = sock_listen_loopback(s->gdb_port, &s->gdb_fd);
		else
			r = sock_listen_loopback_from(1234, 1000, &s->gdb_port, &s->gdb_fd);
		if (r == -EADDRINUSE) {
			sbuf_addf(why, "port %d on 127.0.0.1 is in use; pick another with --gdb tcp:PORT or use --gdb",
				  s->gdb_port);
			return EXIT_USAGE;
		} else if (r) {
			sbuf_addf(why, "cannot listen on 127.0.0.1 for the gdbstub: %s", strerror(-r));
			return EXIT_FAIL;
		}
		s->in.gdb_port = s->gdb_port;
		say(&s->say, SAY_NOTE, "the gdbstub is on 127.0.0.1:%d, where every local user can reach it "
		    "(read and write guest memory); --gdb alone gives a socket only you can use", s->gdb_port);
	}
	s->gdb_target = instance_gdb_target(&s->in);
	return 0;
}

/*
 * What is known before QEMU starts goes into the metadata at once, so that
 * `kdebug gdb NAME` can attach to the gdbstub socket (QEMU answers once it
 * runs) with the right symbols; the qemu stage adds QEMU's pid.
 */
static void describe(struct run_session *s)
{
	const struct run_config *c = s->cfg;
	struct instance *in = &s->in;

	in->kernel = xstrdup(s->art.bzimage);
	if (s->art.vmlinux)
		in->vmlinux = xstrdup(s->art.vmlinux);
	if (s->art.build_dir)
		in->build_dir = xstrdup(s->art.build_dir);
	in->net = xstrdup(c->net);
	if (c->modules.n) {
		struct sbuf m = SBUF_INIT;
		for (size_t i = 0; i < c->modules.n; i++)
			sbuf_addf(&m, "%s%s", i ? "\n" : "", c->modules.v[i]);
		in->modules = sbuf_detach(&m);
	}
}

static int instance_setup(struct run_session *s, struct sbuf *why)
{
	const char *name = s->cfg->name;
	int r = instance_create(name, &s->in);

	if (r == -EEXIST) {
		sbuf_addf(why, "a VM named '%s' is already running; stop it with 'kdebug stop %s' or pick another --name",
			  name, name);
		return EXIT_USAGE;
	} else if (r) {
		sbuf_addf(why, "cannot create the instance directory: %s", strerror(-r));
		return EXIT_FAIL;
	}
	if (cleanup_push(cleanup_instance, &s->in)) {
		instance_remove(&s->in);
		sbuf_adds(why, "cannot register the instance directory for removal");
		return EXIT_FAIL;
	}
	s->qmp_path = instance_path(&s->in, "qmp.sock");
	s->log_path = instance_path(&s->in, "console.log");
	s->qlog_path = instance_path(&s->in, "qemu.log");
	r = listen_gdb(s, why);
	if (r)
		return r;
	describe(s);
	if ((r = instance_save(&s->in)))
		say(&s->say, SAY_WARN, "cannot write the instance metadata: %s", strerror(-r));
	r = sock_listen_unix(s->qmp_path, &s->qmp_fd);
	if (r == -ENAMETOOLONG) {
		sbuf_addf(why, "instance path '%s' is too long for a unix socket; set XDG_RUNTIME_DIR to a shorter directory",
			  s->qmp_path);
		return EXIT_FAIL;
	} else if (r) {
		sbuf_addf(why, "cannot create '%s': %s", s->qmp_path, strerror(-r));
		return EXIT_FAIL;
	}
	return 0;
}

static void instance_teardown(struct run_session *s)
{
	close_fd(&s->gdb_fd);
	close_fd(&s->qmp_fd);
	if (s->in.dir) {
		cleanup_pop(cleanup_instance, &s->in);
		instance_remove(&s->in);
	}
}

const struct run_stage run_stage_instance = {
	.name = "instance",
	.setup = instance_setup,
	.teardown = instance_teardown,
};
