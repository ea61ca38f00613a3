// SPDX-License-Identifier: GPL-2.0
/*
 * kdebug gdb: the tutorial's
 *   gdb vmlinux; (gdb) target remote 127.0.0.1:1234; (gdb) b ip_rcv
 * against a running VM, with symbols, the kernel's gdb scripts and
 * hardware breakpoints set up.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "commands.h"
#include "gdb.h"
#include "instance.h"
#include "kbuild.h"
#include "proc.h"
#include "util.h"

static const char gdb_help[] =
"usage: kdebug gdb [NAME | --port PORT] [options]\n"
"\n"
"Start gdb attached to a VM's gdbstub (127.0.0.1).  Without NAME, the only\n"
"running VM.\n"
"\n"
"  -p, --port PORT       attach to 127.0.0.1:PORT instead of a named VM\n"
"      --vmlinux FILE    symbols (default: the VM's vmlinux when known)\n"
"  -b, --break LOC       hardware breakpoint on SYM or *ADDR (repeatable)\n"
"  -m, --module DIR      load the symbols of the modules built in DIR when they\n"
"                        load, and of those already loaded (default: the VM's\n"
"                        'kdebug run --module' directories; repeatable)\n"
"      --batch 'CMD;...' run these gdb commands without a prompt, then exit\n";

/*
 * The VM to attach to (NAME, or the only one): its gdbstub, and its vmlinux
 * and module directories unless given.  0, or the exit code (said).
 */
static int resolve_gdb_vm(const char *name, struct instance *in, char **target, const char **vmlinux,
			  struct strvec *modules)
{
	int r = instance_resolve(name, in);

	if (r == -EINVAL) {
		error("invalid VM name '%s' (letters, digits, '_', '.', '-', at most 32, "
		      "starting with a letter or digit); see 'kdebug ps'", name);
		return EXIT_USAGE;
	} else if (r == -ENOENT && name) {
		error("no running VM named '%s'; see 'kdebug ps'", name);
		return EXIT_USAGE;
	} else if (r == -ENOENT) {
		/* A failure, not bad input: as for stop, monitor and gdbserver. */
		error("no VM is running; start one with 'kdebug run --gdb'");
		return EXIT_FAIL;
	} else if (r == -E2BIG) {
		error("several VMs are running; name one (see 'kdebug ps')");
		return EXIT_USAGE;
	} else if (r) {
		error("cannot read VM '%s': %s", name ? name : "", strerror(-r));
		return EXIT_FAIL;
	}
	*target = instance_gdb_target(in);
	if (!*target) {
		error("VM %s has no gdbstub; start one with 'kdebug gdbserver %s'", in->name, in->name);
		return EXIT_USAGE;
	}
	if (!*vmlinux)
		*vmlinux = in->vmlinux;
	bool vm_modules = !modules->n;
	for (const char *m = in->modules; vm_modules && m && *m;) {
		size_t n = strcspn(m, "\n");
		strvec_pushf(modules, "%.*s", (int)n, m);
		m += n + (m[n] == '\n');
	}
	return 0;
}

int cmd_gdb(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port",    required_argument, NULL, 'p' },
		{ "vmlinux", required_argument, NULL, 'V' },
		{ "break",   required_argument, NULL, 'b' },
		{ "module",  required_argument, NULL, 'm' },
		{ "batch",   required_argument, NULL, 'B' },
		{ "help",    no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct strvec breaks = STRVEC_INIT, gargv = STRVEC_INIT, modules = STRVEC_INIT;
	struct sbuf cmds = SBUF_INIT;
	struct instance in = { .lock_fd = -1 };
	const char *vmlinux = NULL, *batch = NULL, *name = NULL;
	unsigned long port = 0;
	char *cmdfile = NULL, *target = NULL;
	int c, r, ret = EXIT_FAIL;
	bool have_instance = false;

	while ((c = getopt_long(argc, argv, ":p:b:m:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_uint(optarg, 65535, &port) || !port) {
				ret = usage_error("gdb", "invalid port '%s'", optarg);
				goto out;
			}
			break;
		case 'V': vmlinux = optarg; break;
		case 'b': strvec_push(&breaks, optarg); break;
		case 'm': {
			char *abs = realpath(optarg, NULL);
			if (!abs || !is_dir(abs)) {
				error("cannot open module directory '%s': %s", optarg,
				      strerror(abs ? ENOTDIR : errno));
				free(abs);
				ret = EXIT_USAGE;
				goto out;
			}
			strvec_push(&modules, abs);
			free(abs);
			break;
		}
		case 'B': batch = optarg; break;
		case 'h': ret = print_help(gdb_help); goto out;
		default: ret = usage_option_error("gdb", c, argv); goto out;
		}
	}
	if (optind < argc)
		name = argv[optind++];
	if (optind < argc) {
		ret = usage_error("gdb", "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (name && port) {
		ret = usage_error("gdb", "give a VM name or --port, not both");
		goto out;
	}
	if (vmlinux && !is_regular(vmlinux)) {
		error("cannot open vmlinux '%s': %s", vmlinux, strerror(ENOENT));
		ret = EXIT_USAGE;
		goto out;
	}
	if (!port) {
		ret = resolve_gdb_vm(name, &in, &target, &vmlinux, &modules);
		if (ret)
			goto out;
		ret = EXIT_FAIL;
		have_instance = true;
	}

	/* The build the VM came from: vmlinux, its gdb scripts, the source tree. */
	struct kbuild_artifacts art = { 0 };
	const char *build = have_instance && in.build_dir && !vmlinux ? in.build_dir : NULL;
	char *vdir = vmlinux ? path_dirname(vmlinux) : NULL;
	if (kbuild_resolve(build ? build : vdir, &art, NULL) == 0 &&
	    (!vmlinux || !strcmp(art.vmlinux, vmlinux) || (build && !strcmp(art.build_dir, build)))) {
		if (!vmlinux)
			vmlinux = art.vmlinux;
	} else {
		kbuild_artifacts_clear(&art);
	}
	free(vdir);
	r = gdb_check_breaks_modules(&breaks, vmlinux, &modules, &cmds);
	if (r) {
		error("%s", cmds.buf);
		kbuild_artifacts_clear(&art);
		ret = EXIT_USAGE;
		goto out;
	}
	char *build_dir = art.build_dir ? xstrdup(art.build_dir) : vmlinux ? path_dirname(vmlinux) : NULL;
	char *gdb_py = art.gdb_scripts ? xstrdup(art.gdb_scripts) : NULL;
	if (!gdb_py && build_dir) {
		gdb_py = path_join(build_dir, "vmlinux-gdb.py");
		if (!is_regular(gdb_py)) {
			free(gdb_py);
			gdb_py = NULL;
		}
	}
	if (!target)	/* --port: a gdbstub on 127.0.0.1 */
		target = xasprintf("127.0.0.1:%lu", port);
	struct gdb_opts go = {
		.vmlinux = vmlinux,
		.build_dir = build_dir,
		.gdb_py = gdb_py,
		.src_dir = art.src_dir && art.build_dir && strcmp(art.src_dir, art.build_dir) ? art.src_dir : NULL,
		.target = target,
		.breaks = &breaks,
		.module_dirs = &modules,
	};
	struct sbuf gwhy = SBUF_INIT;
	r = gdb_write_commands(&go, &cmds, &gwhy);
	free(gdb_py);
	free(build_dir);
	kbuild_artifacts_clear(&art);
	if (r) {
		error("%s", gwhy.buf);
		sbuf_release(&gwhy);
		goto out;
	}
	sbuf_release(&gwhy);

	if (have_instance) {
		cmdfile = instance_path(&in, "gdb.cmd");
		r = write_file_atomic(cmdfile, cmds.buf, cmds.len, 0600);
	} else {
		/* No instance directory to hold it: an anonymous file gdb inherits. */
		int fd = memfd_create("kdebug-gdb.cmd", 0);
		r = fd < 0 ? -errno : 0;
		if (!r && write(fd, cmds.buf, cmds.len) != (ssize_t)cmds.len)
			r = -EIO;
		cmdfile = xasprintf("/proc/self/fd/%d", fd);
	}
	if (r) {
		error("cannot write the gdb command file: %s", strerror(-r));
		goto out;
	}
	if (!in_path("gdb")) {
		error("gdb not found in PATH; install the Debian package gdb");
		goto out;
	}
	gdb_build_argv(cmdfile, batch, &gargv);
	r = proc_exec((const char *const *)gargv.v);
	error("cannot run gdb: %s", strerror(-r));
out:
	instance_free(&in);
	strvec_clear(&breaks);
	strvec_clear(&modules);
	strvec_clear(&gargv);
	sbuf_release(&cmds);
	free(cmdfile);
	free(target);
	return ret;
}
