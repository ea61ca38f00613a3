// SPDX-License-Identifier: GPL-2.0
/*
 * Stage "qemu": the kernel command line and QEMU's argv from what the
 * stages before added, QEMU started with the sockets (and tap) it inherits,
 * the instance's metadata, and how the guest ends: by itself (QEMU's pidfd),
 * at --timeout, a few seconds after the --exec command reported, or on a
 * stop request: the power button (QMP system_powerdown; kdebug's guests
 * power off cleanly on it), SIGTERM when the guest has not gone after a
 * moment, SIGKILL after a grace period (a second ^C: at once).
 */
#include "run.h"
#include "qmp.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define QEMU_CLEAN_MS 2000		/* the power button, then SIGTERM */
#define QEMU_STOP_GRACE_MS 3000		/* SIGTERM, then SIGKILL */
#define QEMU_AFTER_EXEC_MS 5000		/* the guest powers off after --exec; wait that long */

static char *make_cmdline(struct run_session *s)
{
	const struct run_config *c = s->cfg;
	char *user = c->append ? xasprintf("%s%s%s", s->cmdline.buf ? s->cmdline.buf : "",
					   s->cmdline.len ? " " : "", c->append)
			       : xstrdup(sbuf_str(&s->cmdline));
	struct cmdline_opts co = {
		.user = *user ? user : NULL,
		.root = s->kind == RK_DISK ? "/dev/sda" : NULL,
		.exec_nonce = s->nonce,
		.guest_net = s->guest_net,
		.quiet = c->exec && s->say.verbose <= 0,
		.show_warnings = s->crash != NULL,
		.panic_reboot = c->gdb == RUN_GDB_NONE || c->breaks.n,
		.kaslr = c->kaslr,
	};
	char *line = kernel_cmdline(&co);

	free(user);
	return line;
}

static void build_argv(struct run_session *s, struct strvec *argv)
{
	const struct run_config *c = s->cfg;
	char *append = make_cmdline(s);
	struct qemu_opts qo = {
		.machine = c->machine,
		.accel = s->accel,
		.kernel = s->art.bzimage,
		.initrd = s->initrd,
		.append = append,
		.disk = s->kind == RK_DISK ? s->rootfs : NULL,
		.memory_mb = c->memory_mb,
		.smp = c->smp,
		.gdb_fd = s->gdb_fd,
		.wait_gdb = c->wait_gdb,
		.qmp_fd = s->qmp_fd,
		.console_log = s->log_path,
		.console = c->interactive ? CONSOLE_TERMINAL : CONSOLE_PIPE,
		.extra = &c->qemu_args,
		.net_args = &s->qemu_args,
	};

	qemu_build_argv(&qo, argv);
	free(append);
}

static void keep_fd(struct proc *p, int *fd)
{
	if (*fd >= 0)
		p->keep_fds[p->n_keep_fds++] = *fd;
}

/* QEMU runs: what the stages found, its pid and start time complete the instance's metadata. */
static void record_instance(struct run_session *s)
{
	const struct run_config *c = s->cfg;
	struct instance *in = &s->in;

	in->qemu_pid = s->qemu.pid;
	in->started = (long long)time(NULL);
	in->rootfs = s->rootfs ? xstrdup(s->rootfs)
		   : s->root_dir ? xasprintf("%.*s:%s", (int)strcspn(c->root, ":"), c->root, s->root_dir) : NULL;
	in->accel = xstrdup(accel_name(s->accel));
	if (!in->guest_ip && s->guest_cidr)
		in->guest_ip = xstrdup(s->guest_cidr);
	int r = instance_save(&s->in);
	if (r)
		say(&s->say, SAY_WARN, "cannot write the instance metadata: %s", strerror(-r));
}

static void qemu_gone(struct run_session *s)
{
	if (s->qemu_exited)
		return;
	s->qemu_exited = true;
	s->qemu_code = proc_exit_code(&s->qemu);
	run_announce(s, RUN_EV_QEMU_EXITED);
}

static void qemu_ready(struct run_session *s, int fd, short revents, void *arg)
{
	if (!proc_running(&s->qemu)) {
		run_unwatch(s, fd);
		qemu_gone(s);
	}
}

/* Without pidfds: look every 200 ms. */
static void qemu_poll(struct run_session *s, void *arg)
{
	if (proc_running(&s->qemu))
		run_timer(s, 200, qemu_poll, NULL);
	else
		qemu_gone(s);
}

static void on_timeout(struct run_session *s, void *arg)
{
	s->timed_out = true;
	run_announce(s, RUN_EV_TIMEOUT);	/* the crash stage reports the hang first */
	run_stop(s);
}

static void on_grace_over(struct run_session *s, void *arg)
{
	proc_kill(&s->qemu, SIGKILL);
}

static void on_clean_over(struct run_session *s, void *arg)
{
	proc_kill(&s->qemu, SIGTERM);
	run_timer(s, QEMU_STOP_GRACE_MS, on_grace_over, NULL);
}

int run_qmp(struct run_session *s, const char *cmd, int timeout_ms)
{
	struct qmp q = { .fd = -1 };
	int r = qmp_connect(&q, s->qmp_path, timeout_ms);

	if (!r)
		r = qmp_command(&q, cmd, NULL, NULL);
	if (r)
		say(&s->say, SAY_TRACE, "QMP %s: %s", cmd, q.error ? q.error : strerror(-r));
	qmp_close(&q);
	return r;
}

static void on_exec_linger(struct run_session *s, void *arg)
{
	run_stop(s);
}

void run_stop(struct run_session *s)
{
	if (s->stopping || !s->qemu_started || s->qemu_exited)
		return;
	s->stopping = true;
	/* The power button: kdebug's guests power off cleanly on it at any time. */
	if (run_qmp(s, "system_powerdown", 1000) == 0) {
		say(&s->say, SAY_TRACE, "VM %s: power button pressed", s->in.name);
		run_timer(s, QEMU_CLEAN_MS, on_clean_over, NULL);
	} else {
		on_clean_over(s, NULL);
	}
}

static void announce_vm(struct run_session *s)
{
	const struct run_config *c = s->cfg;

	if (!c->breaks.n && s->gdb_target) {
		char *shown = instance_gdb_shown(&s->in);
		say(&s->say, SAY_NOTE, "VM %s: gdbstub on %s%s; attach with 'kdebug gdb %s'", s->in.name,
		    shown, c->wait_gdb ? " (halted until gdb continues)" : "", s->in.name);
		free(shown);
	}
	else if (!c->breaks.n && !c->interactive && !c->exec)
		say(&s->say, SAY_NOTE, "VM %s running; console in %s", s->in.name, s->log_path);
	if (c->interactive)
		say(&s->say, SAY_NOTE, "VM %s: Ctrl-A x quits, Ctrl-A c toggles the QEMU monitor", s->in.name);
}

/* KVM when usable (and asked for or auto), else TCG with a note saying why. */
static int choose_accel(struct run_session *s, struct sbuf *why)
{
	struct accel_probe probe;
	struct sbuf probe_buf = SBUF_INIT, note = SBUF_INIT;
	int r;

	accel_probe_host(&probe, &probe_buf);
	r = accel_choose(s->cfg->accel, &probe, &s->accel, &note);
	sbuf_release(&probe_buf);
	if (r)
		sbuf_addf(why, "%s", note.buf);
	else if (note.len)
		say(&s->say, SAY_NOTE, "%s", note.buf);
	sbuf_release(&note);
	return r ? EXIT_USAGE : 0;
}

static int qemu_setup(struct run_session *s, struct sbuf *why)
{
	struct strvec argv = STRVEC_INIT;
	int qlog, r;

	r = choose_accel(s, why);
	if (r)
		return r;

	if (s->cfg->exec)
		s->nonce = guest_exec_nonce();
	build_argv(s, &argv);
	qlog = open(s->qlog_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (qlog < 0) {
		sbuf_addf(why, "cannot create '%s': %s", s->qlog_path, strerror(errno));
		strvec_clear(&argv);
		return EXIT_FAIL;
	}
	/* The command line, for the curious and for bug reports. */
	char *shown = strvec_join_shell(&argv);
	dprintf(qlog, "# %s\n", shown);
	say(&s->say, SAY_TRACE, "+ %s", shown);
	free(shown);

	proc_init(&s->qemu);
	strvec_pushv(&s->qemu.args, (const char *const *)argv.v);
	strvec_clear(&argv);
	s->qemu.err = qlog;
	s->qemu.umask = 077;
	keep_fd(&s->qemu, &s->qmp_fd);
	keep_fd(&s->qemu, &s->gdb_fd);
	keep_fd(&s->qemu, &s->crash_fd);
	keep_fd(&s->qemu, &s->nst.tap_fd);
	if (!s->cfg->interactive) {
		s->qemu.in = PROC_PIPE;
		s->qemu.out = PROC_PIPE;
		s->qemu.new_pgrp = true;	/* ^C reaches kdebug, which stops QEMU */
	}
	r = proc_start(&s->qemu);
	close(qlog);
	if (r) {
		sbuf_addf(why, "cannot start qemu-system-x86_64: %s", strerror(-r));
		proc_clear(&s->qemu);
		s->qemu.pid = -1;
		return EXIT_FAIL;
	}
	s->qemu_started = true;
	/* QEMU has its copies of the listening sockets (and the tap) now. */
	close_fd(&s->gdb_fd);
	close_fd(&s->qmp_fd);
	close_fd(&s->crash_fd);
	close_fd(&s->nst.tap_fd);	/* the tap now lives exactly as long as QEMU */
	record_instance(s);
	if (proc_poll_fd(&s->qemu) >= 0)
		run_watch(s, proc_poll_fd(&s->qemu), POLLIN, qemu_ready, NULL);
	else
		run_timer(s, 200, qemu_poll, NULL);
	if (s->cfg->timeout)
		run_timer(s, (long long)s->cfg->timeout * 1000, on_timeout, NULL);
	announce_vm(s);
	return 0;
}

static int qemu_check(struct run_session *s, struct sbuf *why)
{
	if (!in_path("qemu-system-x86_64")) {
		sbuf_adds(why, "qemu-system-x86_64 not found in PATH; install the Debian package qemu-system-x86");
		return EXIT_USAGE;
	}
	return 0;
}

static void qemu_event(struct run_session *s, enum run_event ev)
{
	if (ev == RUN_EV_EXEC_DONE)
		run_timer(s, QEMU_AFTER_EXEC_MS, on_exec_linger, NULL);
}

static void qemu_teardown(struct run_session *s)
{
	if (!s->qemu_started)
		return;
	if (proc_poll_fd(&s->qemu) >= 0)
		run_unwatch(s, proc_poll_fd(&s->qemu));
	if (proc_running(&s->qemu)) {
		s->stopping = true;
		proc_terminate(&s->qemu, QEMU_STOP_GRACE_MS);
	}
	qemu_gone(s);
	proc_clear(&s->qemu);
}

const struct run_stage run_stage_qemu = {
	.name = "qemu",
	.check = qemu_check,
	.setup = qemu_setup,
	.event = qemu_event,
	.teardown = qemu_teardown,
};
