// SPDX-License-Identifier: GPL-2.0
/*
 * Stage "console": QEMU's serial console when it is not the user's
 * terminal.  Lines go through lib/guest.c's scanner (the exec protocol,
 * panics, DHCP leases); with --exec the command is typed once the guest's
 * agent is ready and, with --break, gdb has armed its breakpoints, written
 * through the event loop so that a large command never blocks it.
 */
#include "run.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct run_console {
	struct guest_console gc;
	char *payload;		/* what is left to type, or NULL */
	size_t off, len;
	bool sending;
};

static void payload_writable(struct run_session *s, int fd, short revents, void *arg)
{
	struct run_console *c = s->con;
	ssize_t n = write(fd, c->payload + c->off, c->len - c->off);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* QEMU's stdin is gone: the guest is going away too. */
		c->off = c->len;
		c->gc.done = true;
	} else {
		c->off += (size_t)n;
	}
	if (c->off == c->len) {
		run_unwatch(s, fd);
		c->sending = false;
	}
}

/* Type the command once the guest is ready and gdb's breakpoints are in. */
static void maybe_send(struct run_session *s)
{
	struct run_console *c = s->con;

	if (!c || !c->payload || c->sending || c->off || !c->gc.ready || !run_gdb_armed(s) ||
	    s->qemu.in_fd < 0)
		return;
	c->sending = true;
	run_watch(s, s->qemu.in_fd, POLLOUT, payload_writable, NULL);
}

static void record_lease(struct run_session *s)
{
	struct guest_console *gc = &s->con->gc;

	/* A lease from a DHCP server that is not kdebug's: record and say it. */
	if (!gc->lease || (s->in.guest_ip && !strcmp(gc->lease, s->in.guest_ip)))
		return;
	free(s->in.guest_ip);
	s->in.guest_ip = xstrdup(gc->lease);
	instance_save(&s->in);
	say(&s->say, SAY_NOTE, "VM %s: the guest's eth0 got %s by DHCP from %s", s->in.name, gc->lease,
	    gc->lease_from);
}

static void handle(struct run_session *s, unsigned ev)
{
	if (ev & GUEST_EV_LEASE)
		record_lease(s);
	if (ev & GUEST_EV_READY)
		run_announce(s, RUN_EV_GUEST_READY);
	if (ev & GUEST_EV_DONE)
		run_announce(s, RUN_EV_EXEC_DONE);
}

static void console_readable(struct run_session *s, int fd, short revents, void *arg)
{
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n > 0) {
		handle(s, guest_console_feed(&s->con->gc, buf, (size_t)n));
	} else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
		run_unwatch(s, fd);
		close(s->qemu.out_fd);
		s->qemu.out_fd = -1;
	}
}

static int console_setup(struct run_session *s, struct sbuf *why)
{
	struct run_console *c;

	if (s->cfg->interactive)
		return 0;
	c = s->con = xcalloc(1, sizeof(*s->con));
	guest_console_init(&c->gc, s->nonce, &s->say);
	if (s->cfg->exec) {
		c->payload = guest_exec_payload(s->cfg->exec);
		c->len = strlen(c->payload);
		fcntl(s->qemu.in_fd, F_SETFL, fcntl(s->qemu.in_fd, F_GETFL) | O_NONBLOCK);
	}
	run_watch(s, s->qemu.out_fd, POLLIN, console_readable, NULL);
	return 0;
}

/* The command goes out once both have happened, in either order. */
static void console_event(struct run_session *s, enum run_event ev)
{
	if (ev == RUN_EV_GDB_ARMED || ev == RUN_EV_GUEST_READY)
		maybe_send(s);
}

/* What is left of the console once QEMU is gone (or going). */
static void console_teardown(struct run_session *s)
{
	struct run_console *c = s->con;
	char buf[4096];
	ssize_t n;

	if (!c)
		return;
	if (c->sending)
		run_unwatch(s, s->qemu.in_fd);
	if (s->qemu.out_fd >= 0) {
		run_unwatch(s, s->qemu.out_fd);
		fcntl(s->qemu.out_fd, F_SETFL, fcntl(s->qemu.out_fd, F_GETFL) | O_NONBLOCK);
		while ((n = read(s->qemu.out_fd, buf, sizeof(buf))) > 0)
			guest_console_feed(&c->gc, buf, (size_t)n);
	}
	guest_console_flush(&c->gc);
}

void run_console_drain(struct run_session *s)
{
	struct pollfd pfd = { .fd = s->qemu.out_fd, .events = POLLIN };
	char buf[4096];
	ssize_t n;

	if (!s->con || s->qemu.out_fd < 0)
		return;
	while (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN) && (n = read(pfd.fd, buf, sizeof(buf))) > 0)
		handle(s, guest_console_feed(&s->con->gc, buf, (size_t)n));
}

void run_console_free(struct run_session *s)
{
	if (!s->con)
		return;
	guest_console_clear(&s->con->gc);
	free(s->con->payload);
	free(s->con);
	s->con = NULL;
}

bool run_console_panicked(const struct run_session *s)
{
	return (s->con && s->con->gc.panic) || (s->log_path && guest_log_has_panic(s->log_path));
}

bool run_console_exec_done(const struct run_session *s, int *status)
{
	if (!s->con || !s->con->gc.done || !s->con->gc.started)
		return false;
	*status = s->con->gc.status;
	return true;
}

bool run_console_shut_down(const struct run_session *s)
{
	return s->con && s->con->gc.shutting_down;
}

bool run_console_exec_ready(const struct run_session *s)
{
	return s->con && s->con->gc.ready;
}

size_t run_console_lines(const struct run_session *s)
{
	return s->con ? s->con->gc.nlines : 0;
}

void run_console_tail(const struct run_session *s, void (*fn)(void *arg, const char *line), void *arg)
{
	if (s->con)
		guest_console_tail(&s->con->gc, fn, arg);
}

const struct run_stage run_stage_console = {
	.name = "console",
	.setup = console_setup,
	.event = console_event,
	.teardown = console_teardown,
};
