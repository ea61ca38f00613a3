// SPDX-License-Identifier: GPL-2.0
/* The run session's event loop: watches, timers, how it ends. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run.h"
#include "tap.h"

static int order[8], n_order;
static int pipefd[2];

static void on_readable(struct run_session *s, int fd, short revents, void *arg)
{
	char c;

	if (read(fd, &c, 1) == 1)
		order[n_order++] = c;
	if (c == 'q')
		s->qemu_exited = true;	/* what the qemu stage does when QEMU exits */
}

static void write_char(struct run_session *s, void *arg)
{
	order[n_order++] = 'T';
	(void)!write(pipefd[1], arg, 1);
}

static void never(struct run_session *s, void *arg)
{
	order[n_order++] = 'X';
}

static void test_loop(void)
{
	struct run_config cfg;
	struct say sy = { 0 };
	struct run_session s;

	run_config_init(&cfg);
	run_session_init(&s, &cfg, &sy);
	ok(pipe2(pipefd, O_CLOEXEC) == 0, "a pipe");
	run_watch(&s, pipefd[0], POLLIN, on_readable, NULL);
	long long t0 = now_ms();
	run_timer(&s, 150, write_char, "q");
	run_timer(&s, 50, write_char, "a");
	int cancelled = run_timer(&s, 100, never, NULL);
	run_timer_cancel(&s, cancelled);
	run_loop(&s);
	long long dt = now_ms() - t0;
	ok(s.qemu_exited, "the loop ran until QEMU 'exited'");
	is_int(n_order, 4, "two timers fired, two reads");
	ok(order[0] == 'T' && order[1] == 'a' && order[2] == 'T' && order[3] == 'q',
	   "in time order, each read right after its timer; the cancelled one never");
	ok(dt >= 150 && dt < 2000, "no earlier than the last timer, no tick to wait for (%lld ms)", dt);

	/* Nothing to wait for: the loop returns at once. */
	run_unwatch(&s, pipefd[0]);
	s.qemu_exited = false;
	t0 = now_ms();
	run_loop(&s);
	ok(now_ms() - t0 < 100, "with no watches and no timers the loop returns");
	close(pipefd[0]);
	close(pipefd[1]);
	run_free(&s);
	run_config_clear(&cfg);
}

int main(void)
{
	test_loop();
	return done_testing();
}
