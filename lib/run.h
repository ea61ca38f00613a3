/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A `kdebug run` is a session of stages.  Each stage (one lib/run-*.c file)
 * may have
 *   check()     validate its inputs; nothing is created (every stage's check
 *               runs before any setup)
 *   setup()     create what it owns, add QEMU arguments and kernel
 *               command-line words, watch descriptors on the event loop
 *   event()     react to what other stages announce (run_announce())
 *   teardown()  undo setup; runs in reverse order on every path (normal
 *               end, a failed setup, a signal), only for stages whose setup
 *               ran
 * The stages in order (run.c's table): kernel, instance, rootfs, share,
 * net, nfs, gdb, crash, qemu, console.  Adding a capability (a panic watch, a
 * recorder, a snapshot restore) means one new file and one line in the
 * table.
 *
 * One event loop: poll() on the descriptors stages watch (QEMU's pidfd, its
 * console, gdb's output, the DHCP socket, the signal self-pipe) and the
 * nearest timer; no fixed tick.  The loop ends when QEMU has exited; a stop
 * request (timeout, ^C, the command done) ends QEMU first.
 *
 * lib/ code never prints: messages go through s->say (see say.h); setup
 * failures come back as EXIT_USAGE (bad input) or EXIT_FAIL with the one
 * line in `why`.
 */
#ifndef KDEBUG_RUN_H
#define KDEBUG_RUN_H

#include <poll.h>
#include <stdbool.h>

#include "dhcp.h"
#include "gdb.h"
#include "guest.h"
#include "instance.h"
#include "kbuild.h"
#include "net.h"
#include "nfs.h"
#include "proc.h"
#include "qemu.h"
#include "rootfs.h"
#include "say.h"
#include "share.h"
#include "util.h"

/* What the user asked for (src/cmd-run.c fills it from the options). */
struct run_config {
	const char *kernel, *rootfs, *initrd, *append, *name, *exec, *machine, *vmlinux;
	enum accel accel;
	unsigned long memory_mb, smp, timeout, max_hits;
	struct strvec breaks;
	bool expect_hit;
	const char *net, *guest_ip, *host_ip, *uplink;
	const char *root;		/* "nfs", "nfs:DIR", "9p:DIR" or NULL */
	struct strvec shares;
	struct strvec modules;		/* module directories (absolute) */
	struct strvec hit_cmds;		/* --on-hit */
	bool kernel_nfs;		/* --nfs-server kernel */
	int nfs_port, mount_port;	/* --nfs-ports; 0: the first free ones */
	enum qemu_nic nic;
	struct strvec forwards;
	enum run_gdb_mode { RUN_GDB_NONE, RUN_GDB_UNIX, RUN_GDB_TCP } gdb;	/* the gdbstub */
	int gdb_port;		/* RUN_GDB_TCP: its port on 127.0.0.1, -1: the first free from 1234 */
	bool wait_gdb, kaslr;
	struct strvec qemu_args;
	bool interactive;	/* the console is the user's terminal */
	/* the crash stage (run-crash.c) */
	bool no_watch;		/* --no-watch: no pvpanic, no report */
	enum run_on_warn { RUN_WARN_REPORT, RUN_WARN_STOP, RUN_WARN_IGNORE } on_warn;
	unsigned long hang_timeout;	/* --hang-timeout SECS; 0: off */
	const char *dump;	/* --dump[=FILE]: NULL no vmcore, "": in the crash directory */
	const char *dump_format;	/* NULL: elf */
	bool json;		/* the crash report as JSON */
};

/* Exit statuses of a run whose guest kernel crashed / hung (documented in kdebug run --help). */
#define RUN_EXIT_CRASH 121
#define RUN_EXIT_HANG 124

void run_config_init(struct run_config *c);
void run_config_clear(struct run_config *c);

/* What stages announce to each other (struct run_stage.event). */
enum run_event {
	RUN_EV_GDB_ARMED,	/* the scripted gdb has its breakpoints in */
	RUN_EV_GUEST_READY,	/* the exec agent waits for the command */
	RUN_EV_EXEC_DONE,	/* the command's exit status was reported */
	RUN_EV_QEMU_EXITED,
	RUN_EV_TIMEOUT,		/* --timeout is up; the VM is still there (it is stopped after) */
};

struct run_session;

struct run_stage {
	const char *name;
	int (*check)(struct run_session *s, struct sbuf *why);
	int (*setup)(struct run_session *s, struct sbuf *why);
	void (*event)(struct run_session *s, enum run_event ev);
	void (*teardown)(struct run_session *s);
};

typedef void (*run_fd_fn)(struct run_session *s, int fd, short revents, void *arg);
typedef void (*run_timer_fn)(struct run_session *s, void *arg);

#define RUN_MAX_WATCHES 8
#define RUN_MAX_TIMERS 8

/* Per-stage state; each stage's file owns its part. */
struct run_console;
struct run_gdb;
struct run_crash;

struct run_session {
	const struct run_config *cfg;
	struct say say;

	/* kernel */
	struct kbuild_artifacts art;
	enum accel accel;
	/* instance */
	struct instance in;
	int gdb_fd, qmp_fd;	/* listening sockets QEMU inherits, -1 once it has them */
	int gdb_port;		/* the gdbstub's TCP port (--gdb tcp), else 0 */
	char *gdb_target;	/* the gdbstub for gdb's target remote, or NULL */
	char *qmp_path, *log_path, *qlog_path;
	/* rootfs */
	enum rootfs_kind kind;
	char *rootfs;		/* absolute path of the image, or NULL */
	char *initrd;		/* what QEMU gets as -initrd, or NULL */
	char *root_dir;		/* --root nfs/9p: the exported directory */
	/* share */
	struct share *shares;
	size_t n_shares;
	/* net */
	struct net_bridge_state nst;
	struct proc net_reaper;
	struct dhcp_server dhcpd;
	char mac[18];
	char *guest_cidr;	/* the guest's address when known */
	char *guest_net;	/* kdebug.net= for the guest's rcS, or NULL */
	size_t user_netdev;	/* --net user: the -netdev value's index in qemu_args (later stages add to it), else 0 */
	/* nfs */
	struct nfs_server nfs;
	struct proc nfs_reaper;
	/* what the stages add to QEMU's argv and the kernel command line */
	struct strvec qemu_args;	/* -netdev/-device/-fsdev ... */
	struct sbuf cmdline;		/* words before the user's --append */
	/* qemu */
	struct proc qemu;
	bool qemu_started, qemu_exited;
	int qemu_code;
	/* gdb, console: see run-gdb.c, run-console.c */
	struct run_gdb *gdb;
	struct run_console *con;
	struct run_crash *crash;	/* NULL with --no-watch */
	int crash_fd;		/* the crash monitor's listening socket QEMU inherits, -1 once it has it */
	char *nonce;		/* kdebug.exec=, or NULL */

	/* how it ended */
	bool stopping;		/* a stop was requested: QEMU is being ended */
	bool timed_out;
	int interrupted;	/* the signal, or 0 */
	long long deadline;	/* --timeout, ms on now_ms()'s clock; -1: none */

	/* the loop */
	struct run_watch {
		int fd;
		short events;
		run_fd_fn fn;
		void *arg;
	} watches[RUN_MAX_WATCHES];
	struct run_timer {
		long long at;	/* -1: free */
		run_timer_fn fn;
		void *arg;
	} timers[RUN_MAX_TIMERS];

	/* the stages whose setup ran, for teardown */
	size_t n_setup;
};

/*
 * Check every stage, then set them up in order.  0 when the VM runs;
 * otherwise EXIT_USAGE or EXIT_FAIL with why filled, and what was set up
 * already is torn down.
 */
int run_start(struct run_session *s, const struct run_config *cfg, const struct say *say,
	      struct sbuf *why);
/* An empty session (no stage set up): run_start() does it; for tests. */
void run_session_init(struct run_session *s, const struct run_config *cfg, const struct say *say);
/* The event loop, until QEMU has exited (or could not be ended). */
void run_loop(struct run_session *s);
/*
 * Tear down every stage that was set up (reverse order).  What the run
 * found (hits, the console's last lines, the exit status) stays readable
 * until run_free().
 */
void run_finish(struct run_session *s);
void run_free(struct run_session *s);

/* Loop services for stages. */
void run_watch(struct run_session *s, int fd, short events, run_fd_fn fn, void *arg);
void run_unwatch(struct run_session *s, int fd);
/* One-shot timer at now_ms() + ms; returns its slot for run_timer_cancel(). */
int run_timer(struct run_session *s, long long ms, run_timer_fn fn, void *arg);
void run_timer_cancel(struct run_session *s, int slot);
/* Tell every stage (in order) that ev happened. */
void run_announce(struct run_session *s, enum run_event ev);
/* End the guest (QEMU stage's stop policy); the loop ends when QEMU exits. */
void run_stop(struct run_session *s);
/*
 * One QMP command without arguments on the instance's socket (QEMU serves
 * one client at a time: connect, ask, close; timeout_ms for the connection
 * and greeting); 0 or -errno (traced).
 */
int run_qmp(struct run_session *s, const char *cmd, int timeout_ms);

/* Stage accessors for reporting (src/cmd-run.c). */
bool run_console_panicked(const struct run_session *s);
bool run_console_exec_done(const struct run_session *s, int *status);
bool run_console_exec_ready(const struct run_session *s);
/* Did the guest begin its clean shutdown (power button, Ctrl-Alt-Del)? */
bool run_console_shut_down(const struct run_session *s);
size_t run_console_lines(const struct run_session *s);
/* The last console lines, oldest first, each through fn. */
void run_console_tail(const struct run_session *s, void (*fn)(void *arg, const char *line), void *arg);
/* Per --break hit counts (NULL without --break); did gdb finish its report? */
const unsigned long *run_gdb_hits(const struct run_session *s);
bool run_gdb_reported(const struct run_session *s, const char **log);
bool run_gdb_armed(const struct run_session *s);	/* true without --break */
void run_gdb_free(struct run_session *s);
void run_console_free(struct run_session *s);
/* Read what the console pipe holds now (without waiting). */
void run_console_drain(struct run_session *s);
/* 0, or RUN_EXIT_CRASH / RUN_EXIT_HANG when the crash stage caught the guest dying. */
int run_crash_outcome(const struct run_session *s);
unsigned run_crash_warnings(const struct run_session *s);
void run_crash_free(struct run_session *s);

/* The stages (one file each). */
extern const struct run_stage run_stage_kernel, run_stage_instance, run_stage_rootfs,
	run_stage_share, run_stage_net, run_stage_nfs, run_stage_gdb, run_stage_crash,
	run_stage_qemu, run_stage_console;

#endif
