/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gdb: the generated command file and argv for attaching to a VM's gdbstub.
 */
#ifndef KDEBUG_GDB_H
#define KDEBUG_GDB_H

#include <stdbool.h>

#include "proc.h"
#include "say.h"
#include "util.h"

/* x86 has four debug registers: that many hbreaks work under KVM. */
#define GDB_MAX_HBREAK 4

struct gdb_opts {
	const char *vmlinux;	/* may be NULL */
	const char *build_dir;	/* kernel build dir (auto-load safe path), may be NULL */
	const char *gdb_py;	/* vmlinux-gdb.py, may be NULL */
	const char *src_dir;	/* kernel source (for O= builds), may be NULL */
	const char *target;	/* target remote: a unix socket's PATH or "127.0.0.1:PORT" */
	const struct strvec *breaks;	/* SYM or *ADDR */
	const struct strvec *module_dirs;	/* module symbols loaded from here, may be NULL */
};

/*
 * Python (no python/end around it) that loads the symbols of the modules
 * found in dirs into gdb: those loaded when it runs, without their freed
 * .init sections, and each one loaded later with all its sections (.init.text
 * too, which 6.1's lx-symbols leaves out) from a breakpoint on
 * do_init_module, before the module's init function runs.  scripted: each
 * load is announced as "KDEBUG-MODULE NAME KO"; else as a sentence.
 */
void gdb_write_module_loader(const struct strvec *dirs, bool scripted, struct sbuf *out);

/*
 * The command file: settings, symbols, target remote, breakpoints.  Paths
 * are quoted the way each gdb command reads them (`file`, `directory`:
 * backslashes before blanks, quotes and backslashes; `source`,
 * `add-auto-load-safe-path`, `target remote`: as they are); a path no
 * command can carry (a newline or other control character, a trailing
 * blank, a ':' where gdb splits lists or reads HOST:PORT) is refused:
 * -EINVAL, one line in why (may be NULL), nothing written.
 */
int gdb_write_commands(const struct gdb_opts *o, struct sbuf *out, struct sbuf *why);
/* Only the check of gdb_write_commands(): 0 or -EINVAL with why. */
int gdb_commands_check(const struct gdb_opts *o, struct sbuf *why);
/*
 * argv: gdb -q [-batch] -x CMDFILE [-ex CMD]...  batch splits on ';'.
 * batch may be NULL for an interactive session.
 */
void gdb_build_argv(const char *cmdfile, const char *batch, struct strvec *argv);


/*
 * Scripted breakpoint runs: a gdb Python script that sets the breakpoints,
 * prints "KDEBUG-ARMED", continues the target, and on each stop prints
 *   KDEBUG-HIT <index> <function> <file>:<line>
 *   <backtrace lines>
 *   (gdb) <hit command>, its output, for each of hit_cmds
 *   KDEBUG-BT-END
 * disables a breakpoint after max_hits hits, and when the target goes away
 * prints "KDEBUG-COUNT <index> <hits>" for each breakpoint and "KDEBUG-DONE".
 * File names are shown relative to src_dir when under it.
 */
struct gdb_break_opts {
	const struct strvec *breaks;	/* as given: SYM or *ADDR */
	unsigned long max_hits;		/* per breakpoint; 0: no limit */
	unsigned long bt_depth;
	const char *src_dir;		/* may be NULL */
	/* Out-of-tree module directories: see gdb_write_module_loader(). */
	const struct strvec *module_dirs;
	const struct strvec *hit_cmds;	/* gdb commands run at each hit, may be NULL */
};
void gdb_write_break_script(const struct gdb_break_opts *o, struct sbuf *out);

/* Parse one line of that output; returns the KDEBUG- kind or 0 for others. */
enum gdb_line { GDB_OTHER, GDB_HIT, GDB_BT_END, GDB_COUNT, GDB_DONE, GDB_ARMED, GDB_MODULE };
enum gdb_line gdb_parse_line(const char *line, unsigned long *index, unsigned long *count,
			     const char **rest);

/*
 * Every SYM in breaks must be a symbol of vmlinux (*ADDR entries are taken
 * as they are).  -EINVAL with why: "no symbol 'ip_rvc' in vmlinux; did you
 * mean 'ip_rcv'?", or that symbols are needed when vmlinux is NULL.
 */
int gdb_check_breaks(const struct strvec *breaks, const char *vmlinux, struct sbuf *why);
/* Same, where a symbol may also come from a .ko in one of module_dirs. */
int gdb_check_breaks_modules(const struct strvec *breaks, const char *vmlinux,
			     const struct strvec *module_dirs, struct sbuf *why);

/*
 * The scripted gdb of `kdebug run --break`: started with the command file
 * and the break script written into dir, its output read as it comes
 * (gdb_driver_read() when out_fd is readable) and turned into report lines
 * (SAY_OUT: "hit SYM at FILE:LINE (N)", the backtrace, module loads).
 */
#define GDB_LOG_MAX (1 << 20)	/* gdb's output kept for error messages */
enum { GDB_EV_ARMED = 1 };
struct gdb_driver {
	struct proc proc;
	bool running;
	const struct strvec *breaks;
	const struct say *say;
	unsigned long *hits;	/* per breakpoint, as counted by the script */
	bool in_bt, done, armed;
	unsigned events;	/* GDB_EV_* of the last read */
	struct sbuf partial;
	struct sbuf log;	/* what gdb said (up to GDB_LOG_MAX), for errors */
};
int gdb_driver_start(struct gdb_driver *g, const struct gdb_opts *go,
		     const struct gdb_break_opts *bo, const char *dir, const struct say *say,
		     struct sbuf *why);
/* Read what gdb has to say: 1, or 0 at end of file. */
int gdb_driver_read(struct gdb_driver *g);
/* After the VM is gone: let gdb finish its report (it sees the connection close). */
void gdb_driver_finish(struct gdb_driver *g, int timeout_ms);
void gdb_driver_clear(struct gdb_driver *g);

#endif
