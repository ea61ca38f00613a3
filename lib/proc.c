// SPDX-License-Identifier: GPL-2.0
#include "proc.h"

#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* ---- live children and cleanups ---- */

#define MAX_LIVE 64
static pid_t live[MAX_LIVE];

static void live_add(pid_t pid)
{
	for (size_t i = 0; i < MAX_LIVE; i++)
		if (!live[i]) {
			live[i] = pid;
			return;
		}
}

static void live_del(pid_t pid)
{
	for (size_t i = 0; i < MAX_LIVE; i++)
		if (live[i] == pid)
			live[i] = 0;
}

#define MAX_CLEANUPS 32
static struct {
	cleanup_fn fn;
	void *arg;
} cleanups[MAX_CLEANUPS];
static size_t n_cleanups;

int cleanup_push(cleanup_fn fn, void *arg)
{
	if (n_cleanups == MAX_CLEANUPS)
		return -ENOSPC;
	cleanups[n_cleanups].fn = fn;
	cleanups[n_cleanups].arg = arg;
	n_cleanups++;
	return 0;
}

void cleanup_pop(cleanup_fn fn, void *arg)
{
	for (size_t i = n_cleanups; i-- > 0;)
		if (cleanups[i].fn == fn && cleanups[i].arg == arg) {
			memmove(&cleanups[i], &cleanups[i + 1],
				(n_cleanups - i - 1) * sizeof(cleanups[0]));
			n_cleanups--;
			return;
		}
}

static void kill_live(void)
{
	bool any = false;

	for (size_t i = 0; i < MAX_LIVE; i++)
		if (live[i]) {
			kill(live[i], SIGTERM);
			any = true;
		}
	if (!any)
		return;
	/* Give them a moment to exit cleanly, then make sure. */
	long long deadline = now_ms() + 2000;
	for (size_t i = 0; i < MAX_LIVE; i++) {
		while (live[i]) {
			pid_t r = waitpid(live[i], NULL, WNOHANG);
			if (r == live[i] || (r < 0 && errno == ECHILD)) {
				live[i] = 0;
				break;
			}
			if (now_ms() > deadline) {
				kill(live[i], SIGKILL);
				waitpid(live[i], NULL, 0);
				live[i] = 0;
				break;
			}
			poll(NULL, 0, 10);
		}
	}
}

void cleanup_run_all(void)
{
	kill_live();
	while (n_cleanups) {
		n_cleanups--;
		cleanups[n_cleanups].fn(cleanups[n_cleanups].arg);
	}
}

static void at_exit(void)
{
	cleanup_run_all();
}

/* ---- signals ---- */

static int sig_pipe[2] = { -1, -1 };
static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	int saved = errno;

	if (!got_signal)
		got_signal = sig;
	if (sig_pipe[1] >= 0)
		(void)!write(sig_pipe[1], "x", 1);
	errno = saved;
}

void proc_setup_signals(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
	struct sigaction sa;

	if (sig_pipe[0] >= 0)
		return;
	if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
		sig_pipe[0] = sig_pipe[1] = -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(sigs); i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	atexit(at_exit);
}

int proc_signal_fd(void)
{
	return sig_pipe[0];
}

int proc_interrupted(void)
{
	return got_signal;
}

void proc_clear_interrupt(void)
{
	char buf[64];

	while (sig_pipe[0] >= 0 && read(sig_pipe[0], buf, sizeof(buf)) > 0)
		;
	got_signal = 0;
}

/* ---- children ---- */

void proc_init(struct proc *p)
{
	memset(p, 0, sizeof(*p));
	strvec_init(&p->args);
	strvec_init(&p->env);
	p->in = p->out = p->err = PROC_INHERIT;
	p->umask = -1;
	p->pid = -1;
	p->pidfd = p->in_fd = p->out_fd = p->err_fd = -1;
}

void proc_clear(struct proc *p)
{
	strvec_clear(&p->args);
	strvec_clear(&p->env);
	close_fd(&p->pidfd);
	close_fd(&p->in_fd);
	close_fd(&p->out_fd);
	close_fd(&p->err_fd);
}

static char **build_env(const struct strvec *extra)
{
	size_t n = 0, k = 0;

	while (environ && environ[n])
		n++;
	char **env = xcalloc(n + extra->n + 1, sizeof(*env));
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t len = eq ? (size_t)(eq - environ[i]) + 1 : strlen(environ[i]);
		bool overridden = false;
		for (size_t j = 0; j < extra->n; j++)
			if (!strncmp(extra->v[j], environ[i], len))
				overridden = true;
		if (!overridden)
			env[k++] = environ[i];
	}
	for (size_t j = 0; j < extra->n; j++)
		env[k++] = extra->v[j];
	env[k] = NULL;
	return env;
}

/* struct in6_ifreq of <linux/ipv6.h>, which does not mix with <netinet/in.h>. */
struct lo_in6_ifreq {
	struct in6_addr addr;
	uint32_t prefixlen;
	int ifindex;
};

/*
 * In the child: a fresh network namespace with lo up (plain ioctls: no
 * allocation, fit for the child) with, besides 127.0.0.1 and ::1,
 * 127.0.0.2/8 (lo:1) and fd00:6b64::1/128: glibc's getaddrinfo(AI_ADDRCONFIG)
 * ignores the loopback addresses, and finding no address of a family it
 * resolves none of it (nfs-ganesha's Bind_Addr then fails to parse, or is
 * read as "any" by its IPv6 sockets).  The IPv6 address is best effort
 * (IPv6 may be off).  0 or -1 with errno.
 */
static int child_new_netns(void)
{
	struct ifreq ifr;
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct lo_in6_ifreq r6 = { .prefixlen = 128 };
	int fd, r;

	if (unshare(CLONE_NEWNET) < 0)
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, "lo", 3);
	r = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (r == 0) {
		ifr.ifr_flags |= IFF_UP;
		r = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	if (r == 0 && ioctl(fd, SIOCGIFINDEX, &ifr) == 0)
		r6.ifindex = ifr.ifr_ifindex;
	if (r == 0) {
		memset(&ifr, 0, sizeof(ifr));
		memcpy(ifr.ifr_name, "lo:1", 5);
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK + 1);
		memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
		r = ioctl(fd, SIOCSIFADDR, &ifr);	/* a class A address: /8 */
	}
	int e = errno;
	close(fd);
	if (r == 0 && r6.ifindex > 0 && (fd = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0)) >= 0) {
		r6.addr.s6_addr[0] = 0xfd;
		r6.addr.s6_addr[2] = 0x6b;
		r6.addr.s6_addr[3] = 0x64;
		r6.addr.s6_addr[15] = 1;
		(void)ioctl(fd, SIOCSIFADDR, &r6);
		close(fd);
	}
	errno = e;
	return r;
}

/* Child side: only async-signal-safe calls from here to exec. */
static void __attribute__((noreturn))
child(const struct proc *p, const char *path, char **env, int fds[3],
      int errpipe, pid_t parent)
{
	int e;
	struct sigaction sa;

	prctl(PR_SET_PDEATHSIG, p->death_signal ? p->death_signal : SIGKILL);
	if (getppid() != parent)
		_exit(127);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	for (int s = 1; s < 32; s++)
		if (s != SIGKILL && s != SIGSTOP)
			sigaction(s, &sa, NULL);
	if (p->new_pgrp)
		setpgid(0, 0);
	if (p->new_netns && child_new_netns() < 0)
		goto fail;
	/* Move the fds out of the way of 0..2 first, then dup into place. */
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0 && fds[i] < 3) {
			int n = fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
			if (n < 0)
				goto fail;
			fds[i] = n;
		}
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0 && dup2(fds[i], i) < 0)
			goto fail;
	for (size_t i = 0; i < p->n_keep_fds; i++)
		if (fcntl(p->keep_fds[i], F_SETFD, 0) < 0)
			goto fail;
	if (p->umask >= 0)
		umask((mode_t)p->umask);
	if (p->dir && chdir(p->dir) < 0)
		goto fail;
	execve(path, p->args.v, env);
fail:
	e = errno;
	(void)!write(errpipe, &e, sizeof(e));
	_exit(127);
}

static int open_null(int flags)
{
	int fd = open("/dev/null", flags | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int proc_start(struct proc *p)
{
	int pipes[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } };
	int fds[3] = { -1, -1, -1 }, owned[3] = { -1, -1, -1 };
	int errpipe[2] = { -1, -1 };
	const int want[3] = { p->in, p->out, p->err_to_out ? PROC_INHERIT : p->err };
	char *path = NULL;
	char **env = NULL;
	int r = 0;
	pid_t parent = getpid();

	if (!p->args.n)
		return -EINVAL;
	path = find_in_path(p->args.v[0]);
	if (!path)
		return -ENOENT;
	for (int i = 0; i < 3; i++) {
		if (want[i] == PROC_PIPE) {
			if (pipe2(pipes[i], O_CLOEXEC) < 0) {
				r = -errno;
				goto out;
			}
			fds[i] = i == 0 ? pipes[i][0] : pipes[i][1];
		} else if (want[i] == PROC_NULL) {
			r = open_null(i == 0 ? O_RDONLY : O_WRONLY);
			if (r < 0)
				goto out;
			fds[i] = owned[i] = r;
			r = 0;
		} else if (want[i] >= 0) {
			fds[i] = want[i];
		}
	}
	if (p->err_to_out)
		fds[2] = fds[1] >= 0 ? fds[1] : STDOUT_FILENO;
	if (pipe2(errpipe, O_CLOEXEC) < 0) {
		r = -errno;
		goto out;
	}
	env = build_env(&p->env);

	pid_t pid = fork();
	if (pid < 0) {
		r = -errno;
		goto out;
	}
	if (pid == 0)
		child(p, path, env, fds, errpipe[1], parent);

	close_fd(&errpipe[1]);
	int e = 0;
	ssize_t n;
	do
		n = read(errpipe[0], &e, sizeof(e));
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)sizeof(e)) {
		waitpid(pid, NULL, 0);
		r = -e;
		goto out;
	}
	p->pid = pid;
	p->reaped = false;
	p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (p->pidfd >= 0)
		fcntl(p->pidfd, F_SETFD, FD_CLOEXEC);
	live_add(pid);
	if (want[0] == PROC_PIPE) {
		p->in_fd = pipes[0][1];
		pipes[0][1] = -1;
	}
	if (want[1] == PROC_PIPE) {
		p->out_fd = pipes[1][0];
		pipes[1][0] = -1;
	}
	if (want[2] == PROC_PIPE) {
		p->err_fd = pipes[2][0];
		pipes[2][0] = -1;
	}
out:
	for (int i = 0; i < 3; i++) {
		close_fd(&pipes[i][0]);
		close_fd(&pipes[i][1]);
		close_fd(&owned[i]);
	}
	close_fd(&errpipe[0]);
	close_fd(&errpipe[1]);
	free(env);
	free(path);
	return r;
}

static bool try_reap(struct proc *p)
{
	int st;
	pid_t r;

	if (p->reaped)
		return true;
	do
		r = waitpid(p->pid, &st, WNOHANG);
	while (r < 0 && errno == EINTR);
	if (r == p->pid || (r < 0 && errno == ECHILD)) {
		p->wstatus = r == p->pid ? st : 0;
		p->reaped = true;
		live_del(p->pid);
		close_fd(&p->pidfd);
		return true;
	}
	return false;
}

int proc_wait(struct proc *p, int timeout_ms)
{
	long long deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : -1;

	if (p->pid <= 0)
		return -ECHILD;
	for (;;) {
		if (try_reap(p))
			return 0;
		if (got_signal)
			return -EINTR;
		int wait = 100;
		if (deadline >= 0) {
			long long left = deadline - now_ms();
			if (left <= 0)
				return -ETIMEDOUT;
			if (left < wait)
				wait = (int)left;
		}
		struct pollfd pfd[2] = {
			{ .fd = p->pidfd, .events = POLLIN },
			{ .fd = sig_pipe[0], .events = POLLIN },
		};
		if (p->pidfd >= 0)
			wait = deadline >= 0 ? wait : -1;
		else if (wait > 20)
			wait = 20;	/* no pidfd: short polls */
		poll(pfd, 2, wait);
	}
}

int proc_exit_code(const struct proc *p)
{
	if (WIFEXITED(p->wstatus))
		return WEXITSTATUS(p->wstatus);
	if (WIFSIGNALED(p->wstatus))
		return 128 + WTERMSIG(p->wstatus);
	return 255;
}

int proc_kill(struct proc *p, int sig)
{
	if (p->pid <= 0 || try_reap(p))
		return -ESRCH;
	return kill(p->pid, sig) < 0 ? -errno : 0;
}

void proc_terminate(struct proc *p, int grace_ms)
{
	if (p->pid <= 0 || try_reap(p))
		return;
	kill(p->pid, SIGTERM);
	long long deadline = now_ms() + grace_ms;
	while (!try_reap(p) && now_ms() < deadline) {
		struct pollfd pfd = { .fd = p->pidfd, .events = POLLIN };
		poll(p->pidfd >= 0 ? &pfd : NULL, p->pidfd >= 0 ? 1 : 0, 10);
	}
	if (!p->reaped) {
		kill(p->pid, SIGKILL);
		while (!try_reap(p))
			poll(NULL, 0, 5);
	}
}

bool proc_running(struct proc *p)
{
	return p->pid > 0 && !try_reap(p);
}

int proc_poll_fd(const struct proc *p)
{
	return p->pidfd;
}


int proc_capture(struct proc *p, struct sbuf *out, struct sbuf *err, size_t max, int *code)
{
	int r;

	if (p->in == PROC_INHERIT)
		p->in = PROC_NULL;
	if (out)
		p->out = PROC_PIPE;
	if (err && !p->err_to_out)
		p->err = PROC_PIPE;
	r = proc_start(p);
	if (r) {
		proc_clear(p);
		return r;
	}
	/* Read both pipes without deadlock; stop early on ^C. */
	while ((p->out_fd >= 0 || p->err_fd >= 0) && !got_signal) {
		struct pollfd pfd[3] = {
			{ .fd = p->out_fd, .events = POLLIN },
			{ .fd = p->err_fd, .events = POLLIN },
			{ .fd = sig_pipe[0], .events = POLLIN },
		};
		if (poll(pfd, 3, -1) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++) {
			int *fd = i ? &p->err_fd : &p->out_fd;
			struct sbuf *sb = i ? err : out;
			if (*fd < 0 || !(pfd[i].revents & (POLLIN | POLLHUP | POLLERR)))
				continue;
			char buf[8192];
			ssize_t n = read(*fd, buf, sizeof(buf));
			if (n > 0 && (!max || sb->len < max))
				sbuf_add(sb, buf, (size_t)n);
			else if (n == 0 || (n < 0 && errno != EINTR))
				close_fd(fd);
		}
	}
	if (got_signal || proc_wait(p, -1) == -EINTR) {
		proc_terminate(p, 3000);
		proc_clear(p);
		return -EINTR;
	}
	*code = proc_exit_code(p);
	proc_clear(p);
	return 0;
}

int proc_run(const char *const *argv, struct sbuf *out, struct sbuf *err, int *code)
{
	struct proc p;

	proc_init(&p);
	strvec_pushv(&p.args, argv);
	return proc_capture(&p, out, err, 0, code);
}

int proc_exec(const char *const *argv)
{
	char *path = find_in_path(argv[0]);

	if (!path)
		return -ENOENT;
	cleanup_run_all();
	fflush(NULL);
	execv(path, (char *const *)argv);
	int e = -errno;
	free(path);
	return e;
}

/* ---- reapers ---- */

int proc_reaper_start(struct proc *rp, const char *what, struct sbuf *why)
{
	char buf[16];
	int r;

	rp->in = PROC_PIPE;		/* proc_reaper_tell(); its end is the reaper's word too */
	rp->out = PROC_PIPE;
	rp->new_pgrp = true;		/* the terminal's ^C is for kdebug */
	rp->death_signal = SIGTERM;	/* kill -9 of kdebug: the reaper still cleans up */
	r = proc_start(rp);
	if (r) {
		sbuf_addf(why, "cannot start the %s reaper: %s", what, strerror(-r));
		proc_clear(rp);
		return r;
	}
	struct pollfd pfd = { .fd = rp->out_fd, .events = POLLIN };
	if (poll(&pfd, 1, 5000) <= 0 || read(rp->out_fd, buf, sizeof(buf)) <= 0) {
		sbuf_addf(why, "the %s reaper did not start", what);
		proc_terminate(rp, 1000);
		proc_clear(rp);
		return -EIO;
	}
	return 0;
}

int proc_reaper_tell(struct proc *rp, const char *line)
{
	size_t n = strlen(line);

	if (rp->pid <= 0 || rp->in_fd < 0)
		return -ESRCH;
	return write_all(rp->in_fd, line, n) || write_all(rp->in_fd, "\n", 1) ? -EIO : 0;
}

void proc_reaper_stop(struct proc *rp, int grace_ms)
{
	if (rp->pid <= 0)
		return;
	proc_terminate(rp, grace_ms);
	proc_clear(rp);
	rp->pid = -1;
}

/* Lines on stdin to fn until end of file; false at end of file. */
static bool reaper_read(struct sbuf *partial, void (*fn)(void *arg, char *line), void *arg)
{
	char buf[512];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));

	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return true;
	if (n <= 0)
		return false;
	if (fn)
		sbuf_feed_lines(partial, buf, (size_t)n, fn, arg);
	return true;
}

void proc_reaper_wait(void (*fn)(void *arg, char *line), void *arg)
{
	struct sbuf partial = SBUF_INIT;
	bool open = true;

	(void)!write(STDOUT_FILENO, "ready\n", 6);
	while (!proc_interrupted()) {
		struct pollfd pfd[2] = {
			{ .fd = proc_signal_fd(), .events = POLLIN },
			{ .fd = open ? STDIN_FILENO : -1, .events = POLLIN },
		};
		poll(pfd, 2, -1);
		/* kdebug's end of the pipe closed: it is gone (or done), time to clean up. */
		if (pfd[1].revents && !(open = reaper_read(&partial, fn, arg)))
			break;
	}
	sbuf_release(&partial);
	proc_clear_interrupt();
}
