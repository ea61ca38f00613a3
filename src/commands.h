/* SPDX-License-Identifier: GPL-2.0 */
#ifndef KDEBUG_COMMANDS_H
#define KDEBUG_COMMANDS_H

#include "report.h"

/*
 * Every command: parse its options with getopt_long into its own struct,
 * call lib/, report.  Return EXIT_OK, EXIT_FAIL or EXIT_USAGE (or, for
 * `run --exec`, the guest command's status).  argv[0] is the command name.
 */
int cmd_help(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_rootfs(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_stop(int argc, char **argv);
int cmd_monitor(int argc, char **argv);
int cmd_gdbserver(int argc, char **argv);
int cmd_gdb(int argc, char **argv);
int cmd_config(int argc, char **argv);
int cmd_build(int argc, char **argv);
int cmd_module(int argc, char **argv);
int cmd_decode(int argc, char **argv);
int cmd_net(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_crash(int argc, char **argv);
int cmd_drgn(int argc, char **argv);
int cmd_net_reaper(int argc, char **argv);	/* hidden: run's bridge-mode cleanup */
int cmd_nfs_reaper(int argc, char **argv);	/* hidden: run's kernel NFS export cleanup */
int cmd_nfs_relay(int argc, char **argv);	/* hidden: a guest connection to the private NFS server */

struct instance;
/*
 * Find the VM a command is about: NAME, or the only one running (cmd-vm.c;
 * used by the commands that talk to a live VM).  Prints the error and
 * returns its exit code, or EXIT_OK.
 */
int resolve_vm(const char *cmd, const char *name, struct instance *in);

/* Shared by commands: print "usage: kdebug CMD ..." (one line) and return 2. */
int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/*
 * getopt_long returned ':' (a value missing; the optstring starts with ':')
 * or '?': print which option, one line, and return 2.
 */
int usage_option_error(const char *cmd, int c, char **argv);
/* --help text of a command: prints and returns 0. */
int print_help(const char *text);

#endif
