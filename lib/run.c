// SPDX-License-Identifier: GPL-2.0
/*
 * The run session: the stage table, setup in order and teardown in reverse,
 * and the one event loop (see run.h).
 */
#include "run.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * The order matters: a stage may use what the stages before it set up.
 * gdb comes before qemu: it connects to the gdbstub socket kdebug already
 * listens on (QEMU answers once it runs), and its teardown, after QEMU's,
 * collects the report gdb prints when the connection closes.
 */
static const struct run_stage *const stages[] = {
	&run_stage_kernel,
	&run_stage_instance,
	&run_stage_rootfs,
	&run_stage_share,
	&run_stage_net,
	&run_stage_nfs,
	&run_stage_gdb,
	&run_stage_crash,
	&run_stage_qemu,
	&run_stage_console,
};

/*
 * The checks run before any setup, in this order: what the options say
 * (network, NFS, root directories, shares) before what the files are (the
 * kernel, its modules and symbols), as a user fixes them.
 */
static const struct run_stage *const checks[] = {
	&run_stage_net,
	&run_stage_nfs,
	&run_stage_rootfs,
	&run_stage_share,
	&run_stage_crash,
	&run_stage_kernel,
	&run_stage_instance,
	&run_stage_gdb,
	&run_stage_qemu,
	&run_stage_console,
};

void run_config_init(struct run_config *c)
{
	memset(c, 0, sizeof(*c));
	strvec_init(&c->qemu_args);
	strvec_init(&c->breaks);
	strvec_init(&c->forwards);
	strvec_init(&c->shares);
	strvec_init(&c->modules);
	strvec_init(&c->hit_cmds);
	c->max_hits = 10;
	c->net = "user";
	c->accel = ACCEL_AUTO;
	c->memory_mb = 512;
	c->smp = 1;
}

void run_config_clear(struct run_config *c)
{
	strvec_clear(&c->qemu_args);
	strvec_clear(&c->breaks);
	strvec_clear(&c->forwards);
	strvec_clear(&c->shares);
	strvec_clear(&c->modules);
	strvec_clear(&c->hit_cmds);
}

void run_session_init(struct run_session *s, const struct run_config *cfg, const struct say *say)
{
	memset(s, 0, sizeof(*s));
	s->cfg = cfg;
	s->say = *say;
	s->in.lock_fd = -1;
	s->gdb_fd = s->qmp_fd = s->crash_fd = -1;
	s->net_reaper.pid = s->nfs_reaper.pid = -1;
	s->qemu.pid = -1;
	s->deadline = -1;
	net_bridge_state_init(&s->nst);
	dhcp_server_init(&s->dhcpd);
	strvec_init(&s->qemu_args);
	sbuf_init(&s->cmdline);
	for (size_t i = 0; i < RUN_MAX_WATCHES; i++)
		s->watches[i].fd = -1;
	for (size_t i = 0; i < RUN_MAX_TIMERS; i++)
		s->timers[i].at = -1;
}

static void on_signal(struct run_session *s, int fd, short revents, void *arg)
{
	char buf[64];

	while (read(fd, buf, sizeof(buf)) > 0)
		;
	if (!proc_interrupted())
		return;
	if (s->interrupted) {
		if (s->qemu_started && !s->qemu_exited)
			proc_kill(&s->qemu, SIGKILL);	/* a second ^C: now */
		return;
	}
	/*
	 * The first one ends the guest cleanly: taken as handled, so that the
	 * stop (QMP, the guest's power-off) and the teardown run as usual.
	 */
	s->interrupted = proc_interrupted();
	proc_clear_interrupt();
	run_stop(s);
}

int run_start(struct run_session *s, const struct run_config *cfg, const struct say *say,
	      struct sbuf *why)
{
	int r = 0;

	run_session_init(s, cfg, say);
	_Static_assert(ARRAY_SIZE(checks) == ARRAY_SIZE(stages), "every stage is checked");
	for (size_t i = 0; i < ARRAY_SIZE(checks) && !r; i++)
		if (checks[i]->check)
			r = checks[i]->check(s, why);
	/*
	 * A stage whose setup fails half-way is torn down too: teardowns undo
	 * whatever part exists.
	 */
	for (size_t i = 0; i < ARRAY_SIZE(stages) && !r; i++) {
		s->n_setup = i + 1;
		if (stages[i]->setup)
			r = stages[i]->setup(s, why);
		if (r && proc_interrupted() && !why->len)
			sbuf_addf(why, "interrupted while setting up the %s", stages[i]->name);
	}
	if (r)
		return r;
	if (proc_signal_fd() >= 0)
		run_watch(s, proc_signal_fd(), POLLIN, on_signal, NULL);
	if (proc_interrupted())
		on_signal(s, proc_signal_fd(), POLLIN, NULL);
	return 0;
}

void run_finish(struct run_session *s)
{
	while (s->n_setup) {
		const struct run_stage *st = stages[--s->n_setup];
		if (st->teardown)
			st->teardown(s);
	}
}

void run_free(struct run_session *s)
{
	run_gdb_free(s);
	run_console_free(s);
	run_crash_free(s);
	instance_free(&s->in);
	kbuild_artifacts_clear(&s->art);
	for (size_t i = 0; i < s->n_shares; i++)
		share_clear(&s->shares[i]);
	free(s->shares);
	strvec_clear(&s->qemu_args);
	sbuf_release(&s->cmdline);
	free(s->nonce);
	free(s->qmp_path);
	free(s->gdb_target);
	free(s->log_path);
	free(s->qlog_path);
	free(s->rootfs);
	free(s->initrd);
	free(s->root_dir);
	free(s->guest_cidr);
	free(s->guest_net);
	memset(s, 0, sizeof(*s));
}

void run_announce(struct run_session *s, enum run_event ev)
{
	for (size_t i = 0; i < s->n_setup; i++)
		if (stages[i]->event)
			stages[i]->event(s, ev);
}

/* ---- the loop ---- */

void run_watch(struct run_session *s, int fd, short events, run_fd_fn fn, void *arg)
{
	for (size_t i = 0; i < RUN_MAX_WATCHES; i++)
		if (s->watches[i].fd < 0) {
			s->watches[i] = (struct run_watch){ fd, events, fn, arg };
			return;
		}
	abort();	/* more watches than stages: a programming error */
}

void run_unwatch(struct run_session *s, int fd)
{
	for (size_t i = 0; i < RUN_MAX_WATCHES; i++)
		if (s->watches[i].fd == fd && fd >= 0)
			s->watches[i].fd = -1;
}

int run_timer(struct run_session *s, long long ms, run_timer_fn fn, void *arg)
{
	for (size_t i = 0; i < RUN_MAX_TIMERS; i++)
		if (s->timers[i].at < 0) {
			s->timers[i] = (struct run_timer){ now_ms() + ms, fn, arg };
			return (int)i;
		}
	abort();
}

void run_timer_cancel(struct run_session *s, int slot)
{
	if (slot >= 0 && slot < RUN_MAX_TIMERS)
		s->timers[slot].at = -1;
}

/* Milliseconds to the nearest timer, or -1. */
static int next_timeout(const struct run_session *s)
{
	long long next = -1, now = now_ms();

	for (size_t i = 0; i < RUN_MAX_TIMERS; i++)
		if (s->timers[i].at >= 0 && (next < 0 || s->timers[i].at < next))
			next = s->timers[i].at;
	if (next < 0)
		return -1;
	return next <= now ? 0 : (int)(next - now > 60000 ? 60000 : next - now);
}

static void fire_timers(struct run_session *s)
{
	long long now = now_ms();

	for (size_t i = 0; i < RUN_MAX_TIMERS; i++)
		if (s->timers[i].at >= 0 && s->timers[i].at <= now) {
			struct run_timer t = s->timers[i];
			s->timers[i].at = -1;
			t.fn(s, t.arg);
		}
}

void run_loop(struct run_session *s)
{
	while (!s->qemu_exited) {
		struct pollfd pfd[RUN_MAX_WATCHES];
		struct run_watch w[RUN_MAX_WATCHES];
		nfds_t n = 0;

		for (size_t i = 0; i < RUN_MAX_WATCHES; i++)
			if (s->watches[i].fd >= 0) {
				w[n] = s->watches[i];
				pfd[n++] = (struct pollfd){ .fd = s->watches[i].fd, .events = s->watches[i].events };
			}
		int timeout = next_timeout(s);
		if (!n && timeout < 0)
			break;	/* nothing can happen any more */
		if (poll(pfd, n, timeout) < 0 && errno != EINTR)
			break;
		for (nfds_t i = 0; i < n; i++) {
			/* A callback may have unwatched a later descriptor. */
			bool still = false;
			for (size_t k = 0; k < RUN_MAX_WATCHES; k++)
				still |= s->watches[k].fd == pfd[i].fd && s->watches[k].fn == w[i].fn;
			if (pfd[i].revents && still)
				w[i].fn(s, pfd[i].fd, pfd[i].revents, w[i].arg);
		}
		fire_timers(s);
	}
}
