// SPDX-License-Identifier: GPL-2.0
/*
 * kdebug: debug the Linux kernel under QEMU with GDB.
 * Global options, the command table and dispatch.
 */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "proc.h"
#include "util.h"

#define KDEBUG_VERSION "0.1"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *summary;
};

static const struct command commands[] = {
	{ "config",    cmd_config,    "configure a kernel tree for debugging (minimal or seed profile)" },
	{ "build",     cmd_build,     "build bzImage, vmlinux, modules and the gdb scripts" },
	{ "rootfs",    cmd_rootfs,    "build a BusyBox root filesystem (initramfs, ext3/ext4, dir)" },
	{ "run",       cmd_run,       "boot a kernel in QEMU (console, gdbstub, --exec)" },
	{ "gdb",       cmd_gdb,       "start gdb attached to a running VM" },
	{ "ps",        cmd_ps,        "list running VMs" },
	{ "stop",      cmd_stop,      "power off a running VM" },
	{ "monitor",   cmd_monitor,   "run QEMU monitor (HMP) commands on a running VM" },
	{ "gdbserver", cmd_gdbserver, "start the gdbstub of a running VM on 127.0.0.1" },
	{ "dump",      cmd_dump,      "write a running VM's memory to a vmcore (elf or kdump)" },
	{ "crash",     cmd_crash,     "open crash on a vmcore, crash directory or running VM" },
	{ "drgn",      cmd_drgn,      "open drgn on a vmcore, crash directory or running VM" },
	{ "module",    cmd_module,    "build an out-of-tree module against a kernel build, check vermagic" },
	{ "decode",    cmd_decode,    "find kernel crash reports in a console log, frames to file:line" },
	{ "net",       cmd_net,       "host bridge for --net bridge: up, down, show, tap" },
	{ "doctor",    cmd_doctor,    "check the programs and libraries kdebug needs" },
	{ "help",      cmd_help,      "show help for kdebug or a command" },
	{ "__net-reaper", cmd_net_reaper, NULL },	/* internal, not listed */
	{ "__nfs-reaper", cmd_nfs_reaper, NULL },	/* internal, not listed */
	{ "__nfs-relay", cmd_nfs_relay, NULL },	/* internal: QEMU's slirp runs it */
};

static void print_usage(FILE *f)
{
	fprintf(f, "usage: kdebug [-v|-q] <command> [options]\n\ncommands:\n");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (commands[i].summary)
			fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'kdebug <command> --help' describes a command.\n");
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	struct sbuf sb = SBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	fprintf(stderr, "error: %s; see 'kdebug %s --help'\n", sb.buf, cmd);
	sbuf_release(&sb);
	return EXIT_USAGE;
}

int usage_option_error(const char *cmd, int c, char **argv)
{
	if (c == ':')
		return usage_error(cmd, "option '%s' needs a value", argv[optind - 1]);
	if (optopt)
		return usage_error(cmd, "unknown option '-%c'", optopt);
	return usage_error(cmd, "unknown option '%s'", argv[optind - 1]);
}

int print_help(const char *text)
{
	fputs(text, stdout);
	return EXIT_OK;
}

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void suggest(const char *name)
{
	const char *best = NULL;
	size_t best_d = (size_t)-1;

	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		if (!commands[i].summary)
			continue;
		size_t d = edit_distance(name, commands[i].name);
		if (str_starts_with(commands[i].name, name))
			d = 0;
		if (d < best_d) {
			best_d = d;
			best = commands[i].name;
		}
	}
	if (best && best_d <= 2)
		fprintf(stderr, "error: '%s' is not a kdebug command; did you mean '%s'?\n", name, best);
	else
		fprintf(stderr, "error: '%s' is not a kdebug command; see 'kdebug help'\n", name);
}

int cmd_help(int argc, char **argv)
{
	if (argc < 2) {
		print_usage(stdout);
		return EXIT_OK;
	}
	const struct command *c = find_command(argv[1]);
	if (!c) {
		suggest(argv[1]);
		return EXIT_USAGE;
	}
	char *args[] = { (char *)c->name, (char *)"--help", NULL };
	return c->fn(2, args);
}

int main(int argc, char **argv)
{
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-v") || !strcmp(a, "--verbose"))
			verbosity = 1;
		else if (!strcmp(a, "-q") || !strcmp(a, "--quiet"))
			verbosity = -1;
		else if (!strcmp(a, "--version")) {
			printf("kdebug %s\n", KDEBUG_VERSION);
			return EXIT_OK;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			print_usage(stdout);
			return EXIT_OK;
		} else {
			fprintf(stderr, "error: unknown option '%s'; see 'kdebug help'\n", a);
			return EXIT_USAGE;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "usage: kdebug [-v|-q] <command> [options]; 'kdebug help' lists the commands\n");
		return EXIT_USAGE;
	}
	const struct command *c = find_command(argv[i]);
	if (!c) {
		suggest(argv[i]);
		return EXIT_USAGE;
	}
	proc_setup_signals();
	optind = 0;	/* each command runs getopt_long afresh */
	opterr = 0;	/* and prints its own one-line errors, not getopt's */
	int r = c->fn(argc - i, argv + i);
	fflush(stdout);
	exit(r);
}
