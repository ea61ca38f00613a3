// SPDX-License-Identifier: GPL-2.0
/*
 * proc.c: exec failures come back as errno, big output on both pipes at once,
 * stderr merged into stdout, the death signal, interruption by SIGINT/SIGTERM.
 * Real children (sh, sleep, head); alarm() turns a hang into a failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"
#include "tap.h"

static char scratch[] = "/tmp/kdebug-test-proc-XXXXXX";

static void remove_scratch(void)
{
	rm_rf(scratch);
}

static int start_sh(struct proc *p, const char *script)
{
	proc_init(p);
	strvec_pushl(&p->args, "sh", "-c", script, NULL);
	return proc_start(p);
}

static void test_exec_failures(void)
{
	struct proc p;
	int r;

	proc_init(&p);
	strvec_push(&p.args, "kdebug-test-no-such-program");
	is_int(proc_start(&p), -ENOENT, "a program not in PATH: -ENOENT");
	ok(p.pid == -1 && p.pidfd == -1, "and no child");
	proc_clear(&p);

	/* Executable, but neither ELF nor #!: execve itself fails, in the child. */
	char *noexec = path_join(scratch, "not-a-program");
	r = write_file(noexec, "just text\n", 10, 0755);
	proc_init(&p);
	strvec_push(&p.args, noexec);
	ok(r == 0 && proc_start(&p) == -ENOEXEC, "execve's errno comes back from the child (ENOEXEC)");
	proc_clear(&p);

	/* chdir fails in the child: its errno too. */
	proc_init(&p);
	strvec_pushl(&p.args, "true", NULL);
	p.dir = noexec;
	is_int(proc_start(&p), -ENOTDIR, "chdir's errno comes back from the child (ENOTDIR)");
	proc_clear(&p);
	free(noexec);
}

/* 300 KB on stderr, then on stdout, and the other way round: no deadlock. */
static void test_big_output(void)
{
	static const char *const scripts[] = {
		"head -c 300000 /dev/zero >&2; head -c 300001 /dev/zero",
		"head -c 300001 /dev/zero; head -c 300000 /dev/zero >&2",
	};

	for (size_t i = 0; i < ARRAY_SIZE(scripts); i++) {
		struct sbuf out = SBUF_INIT, err = SBUF_INIT;
		struct proc p;
		int code = -1;

		proc_init(&p);
		strvec_pushl(&p.args, "sh", "-c", scripts[i], NULL);
		alarm(60);
		int r = proc_capture(&p, &out, &err, 0, &code);
		alarm(0);
		ok(r == 0 && code == 0, "more than 64 KiB on both pipes (%s first)", i ? "stdout" : "stderr");
		is_int(out.len, 300001, "all of stdout");
		is_int(err.len, 300000, "all of stderr");
		sbuf_release(&out);
		sbuf_release(&err);
	}
}

static void test_err_to_out(void)
{
	struct sbuf out = SBUF_INIT, err = SBUF_INIT;
	struct proc p;
	int code = -1;

	proc_init(&p);
	strvec_pushl(&p.args, "sh", "-c", "echo one; echo two >&2; echo three; exit 3", NULL);
	p.err_to_out = true;
	is_int(proc_capture(&p, &out, &err, 0, &code), 0, "err_to_out: captured");
	is_str(out.buf, "one\ntwo\nthree\n", "stderr merged into stdout, in order");
	is_int(err.len, 0, "nothing on a separate stderr");
	is_int(code, 3, "exit code");
	sbuf_release(&out);
	sbuf_release(&err);
}

/* new_netns: the child has a namespace of its own, lo up with 127.0.0.1 and 127.0.0.2. */
static void test_new_netns(void)
{
	struct sbuf out = SBUF_INIT, ours = SBUF_INIT;
	struct proc p;
	int code = -1;

	if (geteuid() != 0) {
		ok(1, "# SKIP new_netns needs root");
		return;
	}
	proc_init(&p);
	strvec_pushl(&p.args, "sh", "-c", "readlink /proc/self/ns/net; cat /proc/net/dev /proc/net/fib_trie", NULL);
	p.new_netns = true;
	is_int(proc_capture(&p, &out, NULL, 0, &code), 0, "new_netns: started");
	is_int(code, 0, "new_netns: exit code");
	char self[64];
	ssize_t n = readlink("/proc/self/ns/net", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';
	sbuf_adds(&ours, self);
	ok(n > 0 && strncmp(out.buf, self, (size_t)n) != 0, "new_netns: another namespace than ours (%s)", self);
	like(out.buf, " lo:", "new_netns: lo");
	ok(!strstr(out.buf, "eth") && !strstr(out.buf, "br"), "new_netns: nothing but lo");
	like(out.buf, "127.0.0.1", "new_netns: 127.0.0.1 (lo is up)");
	like(out.buf, "127.0.0.2", "new_netns: 127.0.0.2 (getaddrinfo's AI_ADDRCONFIG finds IPv4)");
	sbuf_release(&out);
	sbuf_release(&ours);
}

/*
 * An intermediate process starts `sleep` through proc_start() and exits
 * without a word: the sleep must die of its death signal.  We are the
 * subreaper, so the orphan comes back to us to be waited for.
 */
static void test_death_signal(int sig)	/* 0 or SIGTERM */
{
	int pfd[2];
	pid_t gpid = -1;

	if (pipe2(pfd, O_CLOEXEC) < 0) {
		ok(0, "pipe");
		return;
	}
	pid_t mid = fork();
	if (mid == 0) {
		struct proc p;
		proc_init(&p);
		strvec_pushl(&p.args, "sleep", "100", NULL);
		p.death_signal = sig;
		if (proc_start(&p) == 0)
			(void)!write(pfd[1], &p.pid, sizeof(p.pid));
		_exit(0);
	}
	close(pfd[1]);
	ok(mid > 0 && read(pfd[0], &gpid, sizeof(gpid)) == (ssize_t)sizeof(gpid) && gpid > 0,
	   "the intermediate process started a child");
	close(pfd[0]);
	if (mid > 0)
		waitpid(mid, NULL, 0);
	if (gpid <= 0)
		return;

	int st = 0;
	alarm(30);
	pid_t r = waitpid(gpid, &st, 0);
	alarm(0);
	ok(r == gpid && WIFSIGNALED(st) && WTERMSIG(st) == (sig ? sig : SIGKILL),
	   "the child dies of %s when its parent dies", sig ? "SIGTERM (death_signal)" : "SIGKILL (the default)");
	if (r != gpid)
		kill(gpid, SIGKILL);
}

static bool signal_fd_readable(void)
{
	struct pollfd pfd = { .fd = proc_signal_fd(), .events = POLLIN };
	return proc_signal_fd() >= 0 && poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

/* A child sends sig to us while we wait for it. */
static void test_interrupt(int sig)
{
	const char *name = sig == SIGINT ? "SIGINT" : "SIGTERM";
	char script[64];
	struct proc p;

	snprintf(script, sizeof(script), "kill -%s $PPID; exec sleep 100", name + 3);
	ok(!proc_interrupted() && !signal_fd_readable(), "%s: nothing received yet", name);
	alarm(30);
	ok(start_sh(&p, script) == 0, "%s: child started", name);
	is_int(proc_wait(&p, 20000), -EINTR, "%s: proc_wait returns -EINTR", name);
	is_int(proc_interrupted(), sig, "proc_interrupted() says %s", name);
	ok(signal_fd_readable(), "%s: the signal fd is readable", name);
	proc_terminate(&p, 2000);
	alarm(0);
	ok(p.reaped && WIFSIGNALED(p.wstatus), "%s: the child is stopped", name);
	proc_clear(&p);
	proc_clear_interrupt();
	ok(!proc_interrupted() && !signal_fd_readable(), "%s: cleared", name);

	/* Same signal during proc_capture: it gives up and stops the child. */
	struct sbuf out = SBUF_INIT;
	int code = -1;
	proc_init(&p);
	strvec_pushl(&p.args, "sh", "-c", script, NULL);
	alarm(30);
	is_int(proc_capture(&p, &out, NULL, 0, &code), -EINTR, "%s: proc_capture returns -EINTR", name);
	alarm(0);
	ok(proc_interrupted() == sig, "%s: seen by proc_interrupted()", name);
	proc_clear_interrupt();
	sbuf_release(&out);
}

int main(void)
{
	if (!mkdtemp(scratch)) {
		ok(0, "mkdtemp");
		return done_testing();
	}
	atexit(remove_scratch);
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		ok(0, "PR_SET_CHILD_SUBREAPER");

	test_exec_failures();
	test_big_output();
	test_err_to_out();
	test_new_netns();
	test_death_signal(0);
	test_death_signal(SIGTERM);
	proc_setup_signals();
	test_interrupt(SIGINT);
	test_interrupt(SIGTERM);
	return done_testing();
}
