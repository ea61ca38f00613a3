// SPDX-License-Identifier: GPL-2.0
/*
 * kdebug doctor: check every external program and library kdebug uses and
 * name the Debian package that provides each missing one.
 */
#include <archive.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "busybox.h"
#include "nfs.h"
#include "commands.h"
#include "proc.h"
#include "qemu.h"
#include "util.h"

static const char doctor_help[] =
"usage: kdebug doctor\n"
"\n"
"Check the programs, libraries and accelerator kdebug uses.  Prints one line\n"
"per item and, for each missing one, the Debian package that provides it.\n"
"Exits 1 when something required is missing.\n";

enum need { REQUIRED, FOR_BUILD, FOR_NFS, FOR_KERNEL_NFS, FOR_CRASH, FOR_DRGN, OPTIONAL };

struct doctor {
	int missing_required;
	int missing_other;
};

static void report(struct doctor *d, enum need need, bool ok, const char *what,
		   const char *detail, const char *package)
{
	const char *tag = ok ? "ok" : need == REQUIRED ? "MISSING" : "missing";

	if (ok) {
		printf("%-8s %-22s %s%s\n", tag, what, detail ? detail : "",
		       need == FOR_CRASH ? " (optional: for 'kdebug crash')" :
		       need == FOR_DRGN ? " (optional: for 'kdebug drgn')" : "");
		return;
	}
	if (need == REQUIRED)
		d->missing_required++;
	else
		d->missing_other++;
	printf("%-8s %-22s %s%sinstall the Debian package '%s'%s\n", tag, what,
	       detail ? detail : "", detail ? "; " : "", package,
	       need == FOR_BUILD ? " (needed by 'kdebug config/build')" :
	       need == FOR_NFS ? " (needed by 'kdebug run --root nfs')" :
	       need == FOR_KERNEL_NFS ? " (needed by 'kdebug run --nfs-server kernel' only)" :
	       need == FOR_CRASH ? " (optional: 'kdebug crash' opens vmcores with it)" :
	       need == FOR_DRGN ? " (optional: 'kdebug drgn' opens vmcores with it)" :
	       need == OPTIONAL ? " (optional)" : "");
}

/* First line of `prog ARG` output (stdout, else stderr), or NULL. */
static char *first_line(const char *const *argv)
{
	struct sbuf out = SBUF_INIT, err = SBUF_INIT;
	int code;
	char *line = NULL;

	if (proc_run(argv, &out, &err, &code) == 0) {
		const char *s = out.len ? out.buf : sbuf_str(&err);
		s += strspn(s, "\n");	/* crash --version starts with an empty line */
		line = xstrndup(s, strcspn(s, "\n"));
	}
	sbuf_release(&out);
	sbuf_release(&err);
	return line;
}

static void check_program(struct doctor *d, enum need need, const char *prog,
			  const char *version_arg, const char *package)
{
	char *path = find_in_path(prog);
	char *line = NULL;

	if (path && version_arg) {
		const char *argv[] = { path, version_arg, NULL };
		line = first_line(argv);
	}
	report(d, need, path != NULL, prog, path ? (line && *line ? line : path) : "not in PATH", package);
	free(path);
	free(line);
}

static void check_mke2fs(struct doctor *d)
{
	char *path = find_in_path("mke2fs");
	struct sbuf out = SBUF_INIT, err = SBUF_INIT;
	int code;
	bool has_d = false;

	if (path) {
		/* The usage text lists -d (populate from a directory) since 1.43. */
		const char *argv[] = { path, NULL };
		if (proc_run(argv, &out, &err, &code) == 0)
			has_d = strstr(sbuf_str(&err), "[-d ") != NULL;
	}
	report(d, REQUIRED, path && has_d, "mke2fs -d",
	       !path ? "not in PATH" : has_d ? path : "this mke2fs has no -d (e2fsprogs 1.43 or later needed)",
	       "e2fsprogs");
	sbuf_release(&out);
	sbuf_release(&err);
	free(path);
}

static void check_busybox(struct doctor *d)
{
	struct sbuf why = SBUF_INIT;
	char *path = find_in_path("busybox");
	int r = path ? elf_check_static(path, &why) : -ENOENT;

	if (r == 0) {
		char *det = xasprintf("%s (static)", path);
		report(d, REQUIRED, true, "static busybox", det, "busybox-static");
		free(det);
	} else {
		report(d, REQUIRED, false, "static busybox",
		       path ? (why.len ? why.buf : "not static") : "not in PATH", "busybox-static");
	}
	sbuf_release(&why);
	free(path);
}

static void check_accel(struct doctor *d)
{
	struct sbuf buf = SBUF_INIT, note = SBUF_INIT;
	struct accel_probe probe;
	enum accel a;

	accel_probe_host(&probe, &buf);
	accel_choose(ACCEL_AUTO, &probe, &a, &note);
	if (a == ACCEL_KVM)
		printf("%-8s %-22s %s\n", "ok", "accelerator", "kvm (/dev/kvm usable, CPU has vmx/svm)");
	else
		printf("%-8s %-22s tcg: %s\n", "note", "accelerator", note.buf ? note.buf : "");
	sbuf_release(&buf);
	sbuf_release(&note);
}

static void check_header(struct doctor *d, const char *header, const char *what, const char *package)
{
	bool ok = is_regular(header);
	report(d, FOR_BUILD, ok, what, ok ? header : "headers not found", package);
}

int cmd_doctor(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct doctor d = { 0 };
	int c;

	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (c == 'h')
			return print_help(doctor_help);
		return usage_option_error("doctor", c, argv);
	}
	if (optind < argc)
		return usage_error("doctor", "unexpected argument '%s'", argv[optind]);

	check_program(&d, REQUIRED, "qemu-system-x86_64", "--version", "qemu-system-x86");
	check_program(&d, REQUIRED, "gdb", "--version", "gdb");
	check_busybox(&d);
	check_mke2fs(&d);
	check_program(&d, REQUIRED, "debugfs", NULL, "e2fsprogs");
	check_accel(&d);
	char *lib = xasprintf("%s", archive_version_details());
	report(&d, REQUIRED, true, "libarchive", lib, "libarchive13");
	free(lib);
	report(&d, REQUIRED, true, "jansson", JANSSON_VERSION, "libjansson4");
	report(&d, REQUIRED, true, "libmnl", "linked", "libmnl0");

	/* --root nfs: the private server; --nfs-server kernel: the host's. */
	check_program(&d, FOR_NFS, "ganesha.nfsd", NULL, "nfs-ganesha");
	const char *fsal = nfs_fsal_vfs_path();
	report(&d, FOR_NFS, fsal != NULL, "ganesha VFS backend", fsal ? fsal : "libfsalvfs.so not found",
	       "nfs-ganesha-vfs");
	check_program(&d, FOR_NFS, "rpcbind", NULL, "rpcbind");
	check_program(&d, FOR_KERNEL_NFS, "exportfs", NULL, "nfs-kernel-server");

	check_program(&d, FOR_BUILD, "make", "--version", "make");
	check_program(&d, FOR_BUILD, "gcc", "--version", "gcc");
	check_program(&d, FOR_BUILD, "bc", "--version", "bc");
	check_program(&d, FOR_BUILD, "flex", "--version", "flex");
	check_program(&d, FOR_BUILD, "bison", "--version", "bison");
	check_header(&d, "/usr/include/gelf.h", "libelf headers", "libelf-dev");
	check_header(&d, "/usr/include/openssl/ssl.h", "openssl headers", "libssl-dev");
	check_program(&d, OPTIONAL, "ccache", "--version", "ccache");
	/* Post-mortem: vmcores of 'kdebug dump' and of crash directories. */
	check_program(&d, FOR_CRASH, "crash", "--version", "crash");
	check_program(&d, FOR_DRGN, "drgn", "--version", "python3-drgn");

	if (d.missing_required) {
		error("%d required item%s missing; install the packages named above",
		      d.missing_required, d.missing_required == 1 ? " is" : "s are");
		return EXIT_FAIL;
	}
	return EXIT_OK;
}
