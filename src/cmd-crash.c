// SPDX-License-Identifier: GPL-2.0
/*
 * Post-mortem commands, on vmcores (lib/vmcore.h) and crash directories
 * (lib/crashdir.h):
 *   kdebug dump    write a live VM's memory to a vmcore (QMP dump-guest-memory)
 *   kdebug crash   open Debian's crash on a vmcore with the right vmlinux and modules
 *   kdebug drgn    open drgn on it
 */
#include <errno.h>
#include <getopt.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "crashdir.h"
#include "elfsym.h"
#include "instance.h"
#include "proc.h"
#include "util.h"
#include "vmcore.h"

static int interrupted(void)
{
	int sig = proc_interrupted();

	error("interrupted");
	return sig ? 128 + sig : EXIT_FAIL;
}

/* ---- progress of a dump ---- */

struct progress {
	const char *name;
	long long start;
	int last;		/* percent last shown, -1: none */
	bool tty;
};

static void dump_progress(unsigned long long done, unsigned long long total, void *arg)
{
	struct progress *p = arg;
	int pct;

	if (!total || verbosity < 0 || now_ms() - p->start < 1000)
		return;
	pct = done >= total ? 100 : (int)(done * 100 / total);
	/* On a terminal every percent; in a log every tenth. */
	if (pct == p->last || (!p->tty && p->last >= 0 && pct / 10 == p->last / 10 && pct != 100))
		return;
	if (p->tty)
		fprintf(stderr, "\rdumping %s: %3d%%", p->name, pct);
	else
		fprintf(stderr, "dumping %s: %d%%\n", p->name, pct);
	p->last = pct;
}

static void progress_end(struct progress *p)
{
	if (p->tty && p->last >= 0)
		fputc('\n', stderr);
}

/*
 * Dump VM in to FILE in FORMAT, with progress.  0 or the exit code (said).
 */
static int dump_vm(const struct instance *in, const char *file, const char *format)
{
	struct progress p = { .name = in->name, .start = now_ms(), .last = -1, .tty = isatty(2) };
	struct sbuf why = SBUF_INIT;
	char *sock = instance_path(in, "qmp.sock");
	int r = vmcore_dump(sock, file, format, dump_progress, &p, &why);

	progress_end(&p);
	free(sock);
	if (r == -EINTR) {
		sbuf_release(&why);
		return interrupted();
	}
	if (r)
		error("cannot dump VM %s: %s", in->name, sbuf_str(&why));
	sbuf_release(&why);
	return r == -EINVAL ? EXIT_USAGE : r ? EXIT_FAIL : 0;
}

/* ---- kdebug dump ---- */

static const char dump_help[] =
"usage: kdebug dump [NAME] [-o FILE] [--format FORMAT]\n"
"\n"
"Write the memory of a running VM (NAME, or the only one) to a vmcore for\n"
"'kdebug crash' and 'kdebug drgn'.  The VM is left as it was (QEMU stops a\n"
"running guest during the dump and resumes it).  The dump carries the\n"
"kernel's VMCOREINFO (release, build ID) when QEMU has '-device vmcoreinfo'.\n"
"\n"
"  -o, --output FILE    where to write it (default: NAME.vmcore in the current\n"
"                       directory); written whole or not at all\n"
"  -f, --format FORMAT  elf (default), kdump-zlib, kdump-lzo or kdump-snappy\n"
"                       (kdump-*: compressed, without the zero pages)\n";

int cmd_dump(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, 'f' },
		{ "help",   no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct { const char *output, *format; } o = { NULL, "elf" };
	struct instance in = { .lock_fd = -1 };
	struct sbuf why = SBUF_INIT;
	char *file = NULL;
	const char *name = NULL;
	int c, ret;

	while ((c = getopt_long(argc, argv, ":o:f:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': o.output = optarg; break;
		case 'f': o.format = optarg; break;
		case 'h': return print_help(dump_help);
		default: return usage_option_error("dump", c, argv);
		}
	}
	if (optind < argc)
		name = argv[optind++];
	if (optind < argc)
		return usage_error("dump", "unexpected argument '%s'", argv[optind]);
	if (!vmcore_format_valid(o.format)) {
		error("unknown vmcore format '%s'; use one of %s", o.format, VMCORE_FORMATS);
		return EXIT_USAGE;
	}
	if (o.output && vmcore_output_check(o.output, &why)) {
		error("%s", why.buf);
		sbuf_release(&why);
		return EXIT_USAGE;
	}
	ret = resolve_vm("dump", name, &in);
	if (ret)
		goto out;
	file = o.output ? xstrdup(o.output) : xasprintf("%s.vmcore", in.name);
	if (!o.output && vmcore_output_check(file, &why)) {
		error("%s", why.buf);
		ret = EXIT_USAGE;
		goto out;
	}
	ret = dump_vm(&in, file, o.format);
	if (ret)
		goto out;

	struct vmcore_info vi;
	struct stat st;
	if (vmcore_read_info(file, &vi, NULL) == 0) {
		if (!vi.text)
			note("the vmcore has no VMCOREINFO (QEMU had no '-device vmcoreinfo', or the guest "
			     "kernel did not fill it): 'kdebug crash' will need --vmlinux");
		vmcore_info_free(&vi);
	}
	printf("wrote %s (%s, %llu MiB) from VM %s\n", file, o.format,
	       stat(file, &st) == 0 ? (unsigned long long)st.st_size >> 20 : 0ULL, in.name);
out:
	sbuf_release(&why);
	instance_free(&in);
	free(file);
	return ret;
}

/* ---- what crash and drgn open ---- */

struct target {
	bool flattened;		/* a flattened kdump file (drgn cannot read those) */
	char *vmcore;
	char *vmlinux;
	struct strvec modules;	/* module directories */
};

static void target_clear(struct target *t)
{
	free(t->vmcore);
	free(t->vmlinux);
	strvec_clear(&t->modules);
}

/* The vmcore's vmlinux by build ID when not known yet; checks a known one.  0 or exit code. */
static int settle_vmlinux(const char *cmd, struct target *t)
{
	struct vmcore_info vi;
	struct sbuf why = SBUF_INIT;
	int r = vmcore_read_info(t->vmcore, &vi, &why);

	if (r) {
		error("%s", why.buf);
		sbuf_release(&why);
		return r == -ENOEXEC || r == -EBADMSG ? EXIT_USAGE : EXIT_FAIL;
	}
	t->flattened = vi.flattened;
	if (t->vmlinux && is_regular(t->vmlinux)) {
		char *id = NULL;
		if (vi.build_id && elf_build_id(t->vmlinux, &id) == 0 &&
		    strncasecmp(id, vi.build_id, strlen(vi.build_id) < strlen(id) ? strlen(vi.build_id) : strlen(id)))
			warning("'%s' (build ID %s) is not the vmcore's kernel (build ID %s)",
				t->vmlinux, id, vi.build_id);
		free(id);
	} else {
		/* None recorded, or the recorded one is gone: by build ID. */
		free(t->vmlinux);
		t->vmlinux = NULL;
		r = vmcore_find_vmlinux(&vi, NULL, &t->vmlinux, &why);
		if (r) {
			error("%s", why.buf);
			vmcore_info_free(&vi);
			sbuf_release(&why);
			return EXIT_FAIL;
		}
	}
	vmcore_info_free(&vi);
	sbuf_release(&why);
	return 0;
}

/* Take vmlinux and modules of crash directory cd; *t->vmcore set by the caller. */
static void from_crashdir(struct target *t, const struct crashdir *cd)
{
	if (cd->vmlinux)
		t->vmlinux = xstrdup(cd->vmlinux);
	else if (cd->kernel)
		t->vmlinux = path_join(cd->kernel, "vmlinux");
	for (size_t i = 0; i < cd->modules.n; i++)
		strvec_push(&t->modules, cd->modules.v[i]);
}

/* The newest crash directory of NAME (any when NULL) with a vmcore: 0 and *t filled, -ENOENT. */
static int newest_crash(const char *name, struct target *t)
{
	struct strvec dirs = STRVEC_INIT;
	int r = -ENOENT;

	crashdir_list(name, &dirs);
	for (size_t i = 0; i < dirs.n && r; i++) {
		struct crashdir cd;
		if (crashdir_load(dirs.v[i], &cd))
			continue;
		if (cd.vmcore && is_regular(cd.vmcore)) {
			t->vmcore = xstrdup(cd.vmcore);
			from_crashdir(t, &cd);
			note("opening the %s of %s kept in %s", cd.kind ? cd.kind : "crash", cd.name, cd.dir);
			r = 0;
		}
		crashdir_free(&cd);
	}
	strvec_clear(&dirs);
	return r;
}

/* A vmcore file: its sidecar meta.json (a crash directory's) when it names this file. */
static int from_file(const char *cmd, const char *path, struct target *t)
{
	char *abs = realpath(path, NULL), *dir;
	struct crashdir cd;

	if (!abs) {
		error("cannot open vmcore '%s': %s", path, strerror(errno));
		return EXIT_USAGE;
	}
	dir = is_dir(abs) ? xstrdup(abs) : path_dirname(abs);
	if (crashdir_load(dir, &cd) == 0) {
		char *named = cd.vmcore ? realpath(cd.vmcore, NULL) : NULL;
		if (named && (!strcmp(named, abs) || is_dir(abs))) {
			free(abs);
			abs = xstrdup(named);
			from_crashdir(t, &cd);
		}
		free(named);
		crashdir_free(&cd);
	}
	free(dir);
	if (is_dir(abs)) {
		error("'%s' is a directory, not a vmcore or a crash directory with one", path);
		free(abs);
		return EXIT_USAGE;
	}
	t->vmcore = abs;
	return 0;
}

/* A live VM: dumped now (ELF) into its instance directory. */
static int from_live(const struct instance *in, struct target *t)
{
	char *file = instance_path(in, "vmcore");
	int ret;

	note("dumping VM %s into %s", in->name, file);
	ret = dump_vm(in, file, "elf");
	if (ret) {
		free(file);
		return ret;
	}
	t->vmcore = file;
	if (in->vmlinux)
		t->vmlinux = xstrdup(in->vmlinux);
	else if (in->build_dir)
		t->vmlinux = path_join(in->build_dir, "vmlinux");
	for (const char *m = in->modules; m && *m;) {
		size_t n = strcspn(m, "\n");
		if (n)
			strvec_pushf(&t->modules, "%.*s", (int)n, m);
		m += n + (m[n] == '\n');
	}
	return 0;
}

/*
 * What to open for ARG (a vmcore file, a crash directory, a NAME, or
 * nothing), with the vmlinux given (or NULL).  0 or the exit code (said).
 */
static int resolve_target(const char *cmd, const char *arg, const char *vmlinux, struct target *t)
{
	struct instance in = { .lock_fd = -1 };
	int ret;

	if (vmlinux && !is_regular(vmlinux)) {
		error("cannot open vmlinux '%s': %s", vmlinux, strerror(is_dir(vmlinux) ? EISDIR : ENOENT));
		return EXIT_USAGE;
	}
	if (arg && (path_exists(arg) || strchr(arg, '/'))) {
		ret = from_file(cmd, arg, t);
	} else if (arg) {
		if (!instance_name_valid(arg)) {
			error("no such vmcore '%s', and it is not a VM name either", arg);
			return EXIT_USAGE;
		}
		if (newest_crash(arg, t) == 0) {
			ret = 0;
		} else {
			int r = instance_load(arg, &in);
			if (r == -ENOENT) {
				error("no vmcore '%s', no crash directory and no running VM named '%s'; "
				      "see 'kdebug ps'", arg, arg);
				return EXIT_USAGE;
			}
			if (r) {
				error("cannot read VM '%s': %s", arg, strerror(-r));
				return EXIT_FAIL;
			}
			ret = from_live(&in, t);
		}
	} else {
		int r = instance_resolve(NULL, &in);
		if (r == -E2BIG) {
			error("several VMs are running; name one (see 'kdebug ps'), or give a VMCORE");
			return EXIT_USAGE;
		}
		if (r == 0)
			ret = from_live(&in, t);
		else if (newest_crash(NULL, t) == 0)
			ret = 0;
		else {
			error("no VM is running and no crash directory has a vmcore; give a VMCORE or a NAME");
			return EXIT_FAIL;
		}
	}
	instance_free(&in);
	if (ret)
		return ret;
	if (vmlinux) {
		free(t->vmlinux);
		t->vmlinux = abspath(vmlinux);
	}
	return settle_vmlinux(cmd, t);
}

/* Split argv at the first "--": returns the count before it; *extra points after it. */
static int split_dashdash(int argc, char **argv, char ***extra, int *nextra)
{
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--")) {
			*extra = argv + i + 1;
			*nextra = argc - i - 1;
			return i;
		}
	*extra = argv + argc;
	*nextra = 0;
	return argc;
}

/* Shared option parsing of crash and drgn.  0, or the exit code (-1 for --help printed). */
static int parse_post(const char *cmd, const char *help, int argc, char **argv,
		      const char **arg, const char **vmlinux)
{
	static const struct option longopts[] = {
		{ "vmlinux", required_argument, NULL, 'V' },
		{ "help",    no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'V': *vmlinux = optarg; break;
		case 'h': print_help(help); return -1;
		default: return usage_option_error(cmd, c, argv);
		}
	}
	if (optind < argc)
		*arg = argv[optind++];
	if (optind < argc)
		return usage_error(cmd, "unexpected argument '%s' (arguments for %s go after '--')",
				   argv[optind], cmd);
	return 0;
}

/* ---- kdebug crash ---- */

static const char crash_help[] =
"usage: kdebug crash [NAME | VMCORE] [--vmlinux FILE] [-- CRASH-ARGS...]\n"
"\n"
"Open crash (the Debian package crash) on a vmcore with the vmlinux it came\n"
"from and the debug info of the modules recorded with it (crash's 'mod -S').\n"
"  VMCORE   a vmcore file (its crash directory's meta.json, if any, names the\n"
"           kernel; else the vmlinux with its build ID is looked for among the\n"
"           crash directories, running VMs and kdebug's kernel builds)\n"
"  NAME     the newest crash directory of VM NAME with a vmcore, else the\n"
"           running VM NAME, dumped now into its instance directory\n"
"  nothing  the only running VM, else the newest crash directory\n"
"With stdin not a terminal crash reads its commands from stdin:\n"
"  printf 'bt\\nsys\\nquit\\n' | kdebug crash vm\n"
"\n"
"      --vmlinux FILE    the kernel's symbols (default: found as above)\n";

int cmd_crash(int argc, char **argv)
{
	const char *arg = NULL, *vmlinux = NULL;
	struct target t = { 0 };
	struct strvec cargv = STRVEC_INIT;
	struct sbuf cmds = SBUF_INIT;
	char **extra;
	int nextra, ret, r;

	argc = split_dashdash(argc, argv, &extra, &nextra);
	ret = parse_post("crash", crash_help, argc, argv, &arg, &vmlinux);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	if (!in_path("crash")) {
		error("crash not found; install the Debian package crash");
		return EXIT_FAIL;
	}
	ret = resolve_target("crash", arg, vmlinux, &t);
	if (ret)
		goto out;
	ret = EXIT_FAIL;
	strvec_push(&cargv, "crash");
	/* crash 8 knows SLAB and SLUB; on a SLOB kernel its slab setup fails and it stops. */
	char *vdir = path_dirname(t.vmlinux), *config = path_join(vdir, ".config");
	struct sbuf cfg = SBUF_INIT;
	if (read_file_max(config, &cfg, 16 << 20) == 0 && strstr(sbuf_str(&cfg), "\nCONFIG_SLOB=y\n"))
		strvec_push(&cargv, "--no_kmem_cache");
	sbuf_release(&cfg);
	free(config);
	free(vdir);
	for (size_t i = 0; i < t.modules.n; i++) {
		sbuf_adds(&cmds, "mod -S ");
		sbuf_adds(&cmds, t.modules.v[i]);
		sbuf_addch(&cmds, '\n');
	}
	if (cmds.len) {
		/* crash -i FILE runs it before reading commands; an anonymous file crash inherits. */
		int fd = memfd_create("kdebug-crash.cmd", 0);
		if (fd < 0 || write_all(fd, cmds.buf, cmds.len) || lseek(fd, 0, SEEK_SET) < 0) {
			error("cannot write crash's command file: %s", strerror(errno));
			goto out;
		}
		strvec_push(&cargv, "-i");
		strvec_pushf(&cargv, "/proc/self/fd/%d", fd);
	}
	for (int i = 0; i < nextra; i++)
		strvec_push(&cargv, extra[i]);
	strvec_push(&cargv, t.vmlinux);
	strvec_push(&cargv, t.vmcore);
	fflush(stdout);
	r = proc_exec((const char *const *)cargv.v);
	error("cannot run crash: %s", strerror(-r));
out:
	target_clear(&t);
	strvec_clear(&cargv);
	sbuf_release(&cmds);
	return ret;
}

/* ---- kdebug drgn ---- */

static const char drgn_help[] =
"usage: kdebug drgn [NAME | VMCORE] [--vmlinux FILE] [-- DRGN-ARGS...]\n"
"\n"
"Open drgn (the Debian package python3-drgn) on a vmcore with the vmlinux it\n"
"came from and the .ko files of the module directories recorded with it:\n"
"  drgn -c VMCORE -s VMLINUX [-s MODULE.ko...] DRGN-ARGS...\n"
"NAME, VMCORE or nothing are found as by 'kdebug crash'.  A script runs\n"
"without the interactive prompt:  kdebug drgn vm -- script.py [ARGS...]\n"
"\n"
"      --vmlinux FILE    the kernel's symbols (default: found by build ID)\n";

/* The .ko files under DIR (a few levels deep), appended as "-s" arguments. */
static void push_modules(struct strvec *argv, const char *dir, int depth)
{
	DIR *d = depth < 4 ? opendir(dir) : NULL;
	struct dirent *de;

	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *p = path_join(dir, de->d_name);
		if (str_ends_with(de->d_name, ".ko") && is_regular(p))
			strvec_pushl(argv, "-s", p, NULL);
		else if (de->d_type == DT_DIR)
			push_modules(argv, p, depth + 1);
		free(p);
	}
	if (d)
		closedir(d);
}

int cmd_drgn(int argc, char **argv)
{
	const char *arg = NULL, *vmlinux = NULL;
	struct target t = { 0 };
	struct strvec dargv = STRVEC_INIT;
	char **extra;
	int nextra, ret, r;

	argc = split_dashdash(argc, argv, &extra, &nextra);
	ret = parse_post("drgn", drgn_help, argc, argv, &arg, &vmlinux);
	if (ret)
		return ret < 0 ? EXIT_OK : ret;
	if (!in_path("drgn")) {
		error("drgn not found; install the Debian package python3-drgn");
		return EXIT_FAIL;
	}
	ret = resolve_target("drgn", arg, vmlinux, &t);
	if (ret)
		goto out;
	if (t.flattened) {
		error("drgn cannot read '%s' (a flattened kdump file, as QEMU writes them); "
		      "dump with 'kdebug dump --format elf', or use 'kdebug crash'", t.vmcore);
		ret = EXIT_FAIL;
		goto out;
	}
	strvec_pushl(&dargv, "drgn", "-c", t.vmcore, "-s", t.vmlinux, NULL);
	for (size_t i = 0; i < t.modules.n; i++)
		push_modules(&dargv, t.modules.v[i], 0);
	for (int i = 0; i < nextra; i++)
		strvec_push(&dargv, extra[i]);
	fflush(stdout);
	r = proc_exec((const char *const *)dargv.v);
	error("cannot run drgn: %s", strerror(-r));
	ret = EXIT_FAIL;
out:
	target_clear(&t);
	strvec_clear(&dargv);
	return ret;
}
