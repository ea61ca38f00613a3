/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Child processes.  This is the only file that forks or execs.
 *
 * Everything is allocated before fork(); the child only calls
 * async-signal-safe functions; an exec failure comes back to the parent over
 * a close-on-exec pipe; children get PR_SET_PDEATHSIG so they die with
 * kdebug, and are listed so that they are killed when kdebug exits or is
 * interrupted.
 */
#ifndef KDEBUG_PROC_H
#define KDEBUG_PROC_H

#include <stdbool.h>
#include <sys/types.h>

#include "util.h"

/* Values for proc.in/out/err other than a file descriptor to dup. */
#define PROC_INHERIT (-1)
#define PROC_PIPE (-2)
#define PROC_NULL (-3)

struct proc {
	/* Set by the caller. */
	struct strvec args;	/* args.v[0] is looked up in PATH */
	struct strvec env;	/* extra NAME=VALUE entries */
	const char *dir;	/* chdir before exec, or NULL */
	int in, out, err;	/* PROC_* or an fd; out may equal err's fd */
	bool err_to_out;	/* stderr goes where stdout goes */
	bool new_pgrp;		/* own process group: terminal ^C does not reach it */
	int death_signal;	/* PR_SET_PDEATHSIG; 0 means SIGKILL */
	int umask;		/* applied in the child when >= 0 (default -1) */
	/*
	 * A network namespace of its own: unshare(CLONE_NEWNET) in the child
	 * before exec, with its loopback up (127.0.0.1 and ::1, and 127.0.0.2
	 * and fd00:6b64::1 so that getaddrinfo(AI_ADDRCONFIG) resolves
	 * addresses there); nothing else exists.  Needs CAP_SYS_ADMIN; a
	 * failure is the start's error.  The namespace is /proc/PID/ns/net
	 * while the child runs.
	 */
	bool new_netns;
	int keep_fds[8];	/* inherited by the child under the same number */
	size_t n_keep_fds;
	/* Filled by proc_start(). */
	pid_t pid;
	int pidfd;		/* -1 when the kernel has no pidfd_open */
	int in_fd, out_fd, err_fd;	/* parent ends of PROC_PIPE, else -1 */
	bool reaped;
	int wstatus;
};

/* Set defaults (inherit stdio, no pipes).  Call before filling args. */
void proc_init(struct proc *p);
/* Release argv/env and close the parent's fds.  Does not kill. */
void proc_clear(struct proc *p);
/* Start; 0 or -errno (-ENOENT when the program is not found/executable). */
int proc_start(struct proc *p);
/*
 * Wait for the child.  timeout_ms < 0 waits forever.  Returns 0 when it
 * exited (p->wstatus set), -ETIMEDOUT, or -EINTR when kdebug received a
 * terminating signal meanwhile (see proc_interrupted()).
 */
int proc_wait(struct proc *p, int timeout_ms);
/* Exit code in shell style: status, or 128+signal. */
int proc_exit_code(const struct proc *p);
/* Send sig (if still running). */
int proc_kill(struct proc *p, int sig);
/* SIGTERM, wait up to grace_ms, then SIGKILL and reap. */
void proc_terminate(struct proc *p, int grace_ms);
/* Is it still running (not reaped)? Reaps if it has exited. */
bool proc_running(struct proc *p);
/* fd that becomes readable when the child exits (pidfd), or -1. */
int proc_poll_fd(const struct proc *p);

/*
 * Start a prepared proc (args, env, dir set by the caller; stdin defaults
 * to /dev/null), read its stdout into out and its stderr into err (either
 * may be NULL: that stream keeps what p says; with err_to_out both go to
 * out), and wait.  At most max bytes are kept of each (0: no limit).
 * 0 with *code set; -EINTR when kdebug was interrupted (the child is
 * stopped); -errno when it could not start.  p is cleared in every case.
 */
int proc_capture(struct proc *p, struct sbuf *out, struct sbuf *err, size_t max, int *code);

/*
 * Run argv to completion, capturing stdout (and stderr into err if given,
 * else stderr inherited).  Returns 0 and sets *code to the exit code, or
 * -errno when it could not start.
 */
int proc_run(const char *const *argv, struct sbuf *out, struct sbuf *err, int *code);

/*
 * Replace kdebug with argv (for interactive gdb).  Runs the exit cleanups
 * first.  Returns -errno only on failure.
 */
int proc_exec(const char *const *argv);

/*
 * Install the handlers for SIGINT/SIGTERM/SIGHUP/SIGQUIT: the signal is
 * recorded and a self-pipe becomes readable; waits in proc.c and loops that
 * poll proc_signal_fd() return early.  At exit every live child is killed
 * and the registered cleanups run (last registered first).
 */
void proc_setup_signals(void);
int proc_signal_fd(void);
int proc_interrupted(void);	/* the signal number received, or 0 */
/* The signal is dealt with: children may be run and waited for again. */
void proc_clear_interrupt(void);

typedef void (*cleanup_fn)(void *arg);
/* Register a cleanup that runs at exit (also after a terminating signal). */
int cleanup_push(cleanup_fn fn, void *arg);
/* Unregister (fn, arg) without running it. */
void cleanup_pop(cleanup_fn fn, void *arg);
/* Run and drop all cleanups now (idempotent). */
void cleanup_run_all(void);

/*
 * Reapers: children of kdebug (rp->args: /proc/self/exe __X-reaper ...) that
 * undo what kdebug sets up when told to (SIGTERM), when kdebug's end of
 * their stdin closes, or when kdebug dies, even by kill -9 (their
 * PR_SET_PDEATHSIG is SIGTERM).  A reaper is started before what it undoes
 * exists, so that no moment is left uncovered.
 * proc_reaper_start() starts one and waits for its "ready" (what names it
 * in messages); proc_reaper_tell() sends it a line (what was made, as it
 * is made); proc_reaper_stop() tells it to clean up and waits up to
 * grace_ms.  In the reaper, proc_reaper_wait() says "ready", hands each
 * line to fn, and returns when it is time to undo.
 */
int proc_reaper_start(struct proc *rp, const char *what, struct sbuf *why);
int proc_reaper_tell(struct proc *rp, const char *line);
void proc_reaper_stop(struct proc *rp, int grace_ms);
void proc_reaper_wait(void (*fn)(void *arg, char *line), void *arg);

#endif
