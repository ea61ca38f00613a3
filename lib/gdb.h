/* SPDX-License-Identifier: GPL-2.0 */
/*
 * gdb: the generated command file and argv for attaching to a VM's gdbstub.
 */
#ifndef KDEBUG_GDB_H
#define KDEBUG_GDB_H

#include <stdbool.h>

#include "util.h"

/* x86 has four debug registers: that many hbreaks work under KVM. */
#define GDB_MAX_HBREAK 4

struct gdb_opts {
	const char *vmlinux;	/* may be NULL */
	const char *build_dir;	/* kernel build dir (auto-load safe path), may be NULL */
	const char *gdb_py;	/* vmlinux-gdb.py, may be NULL */
	int port;
	const struct strvec *breaks;	/* SYM or *ADDR */
};

/* The command file: settings, symbols, target remote, breakpoints. */
void gdb_write_commands(const struct gdb_opts *o, struct sbuf *out);
/*
 * argv: gdb -q [-batch] -x CMDFILE [-ex CMD]...  batch splits on ';'.
 * batch may be NULL for an interactive session.
 */
void gdb_build_argv(const char *cmdfile, const char *batch, struct strvec *argv);

#endif
