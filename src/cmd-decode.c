// SPDX-License-Identifier: GPL-2.0
/*
 * kdebug decode: the kernel's scripts/decode_stacktrace.sh as a command.
 * Reads a console log, finds the crash reports in it (panic, oops, BUG,
 * WARN, lockups, hung tasks) and prints each with its frames resolved to
 * file:line (lib/oops.c), as text or JSON.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "elfsym.h"
#include "kbuild.h"
#include "oops.h"
#include "util.h"

static const char decode_help[] =
"usage: kdebug decode [-k KERNEL | --vmlinux FILE] [--module DIR]... [--json] [FILE]\n"
"\n"
"Find the kernel crash reports (panic, oops, BUG, WARNING, soft/hard lockup,\n"
"hung task) in a console log (FILE, or standard input) and print each with\n"
"its stack frames resolved to source file:line and inline callers, as the\n"
"kernel's scripts/decode_stacktrace.sh does.\n"
"\n"
"  -k, --kernel KERNEL   a build directory, kernel tree, bzImage or vmlinux\n"
"                        (default: the last 'kdebug build')\n"
"      --vmlinux FILE    the symbols (default: the kernel's vmlinux)\n"
"  -m, --module DIR      look for the .ko of module frames under DIR, recursively\n"
"                        (repeatable; default: the kernel build's modules)\n"
"      --json            a JSON array of report objects\n"
"\n"
"Exit 1 when the log holds no report.\n";

struct decode_opts {
	const char *kernel, *vmlinux, *input;
	struct strvec modules;
	bool json;
};

struct decode_input {
	struct oops_scanner sc;
	struct sbuf partial;
	struct oops_report **reports;
	size_t n;
};

static void decode_push(struct decode_input *in, struct oops_report *r)
{
	if (!r)
		return;
	in->reports = xrealloc(in->reports, (in->n + 1) * sizeof(*in->reports));
	in->reports[in->n++] = r;
}

static void decode_line(void *arg, char *line)
{
	struct decode_input *in = arg;

	decode_push(in, oops_scanner_line(&in->sc, line));
}

static int decode_chunk(void *arg, const void *data, size_t n)
{
	struct decode_input *in = arg;

	sbuf_feed_lines(&in->partial, data, n, decode_line, in);
	return 0;
}

/* The reports of the input, read as it comes.  0, or the exit code (said). */
static int decode_read(const char *path, struct decode_input *in)
{
	int r;

	oops_scanner_init(&in->sc);
	if (!path || !strcmp(path, "-"))
		r = read_fd_chunks(STDIN_FILENO, decode_chunk, in);
	else
		r = read_path_chunks(path, decode_chunk, in);
	if (r) {
		if (path && strcmp(path, "-"))
			error("cannot read console log '%s': %s", path, strerror(-r));
		else
			error("cannot read the console log from standard input: %s", strerror(-r));
		return r == -ENOENT || r == -EISDIR || r == -EACCES ? EXIT_USAGE : EXIT_FAIL;
	}
	if (in->partial.len)
		decode_line(in, in->partial.buf);
	decode_push(in, oops_scanner_flush(&in->sc));
	return 0;
}

/*
 * The vmlinux and source tree to resolve against: --vmlinux alone is used
 * as it is (its build, when it sits in one, gives the source tree);
 * otherwise the kernel as `kdebug run -k` finds it.  0, or the exit code.
 */
static int decode_kernel(const struct decode_opts *o, struct kbuild_artifacts *art)
{
	struct sbuf why = SBUF_INIT;
	int ret = 0;

	/* -k vmlinux: the symbols themselves (decode needs no bzImage). */
	const char *vmlinux = o->vmlinux;
	if (!vmlinux && o->kernel && is_regular(o->kernel) && elf_is_elf(o->kernel))
		vmlinux = o->kernel;
	if (vmlinux && (!o->kernel || vmlinux == o->kernel)) {
		if (!is_regular(vmlinux)) {
			error("cannot open vmlinux '%s': %s", vmlinux, strerror(ENOENT));
			return EXIT_USAGE;
		}
		char *dir = path_dirname(vmlinux);
		char *abs = abspath(vmlinux);
		if (kbuild_resolve(dir, art, NULL) || strcmp(art->vmlinux, abs))
			kbuild_artifacts_clear(art);
		free(art->vmlinux);
		art->vmlinux = abs;
		free(dir);
		return 0;
	}
	if (kbuild_resolve_kernel(o->kernel, o->vmlinux, art, &why)) {
		error("%s", sbuf_str(&why));
		ret = EXIT_USAGE;
	} else if (!art->vmlinux) {
		error("no vmlinux known for kernel '%s'; pass --vmlinux FILE", art->bzimage);
		ret = EXIT_USAGE;
	}
	sbuf_release(&why);
	return ret;
}

static void decode_print(const struct decode_opts *o, struct oops_report **reports, size_t n)
{
	if (o->json) {
		json_t *a = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, oops_report_json(reports[i]));
		char *s = json_dumps(a, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (s)
			printf("%s\n", s);
		free(s);
		json_decref(a);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct sbuf out = SBUF_INIT;
		oops_report_text(reports[i], &out);
		printf("%s%s", i ? "\n" : "", sbuf_str(&out));
		sbuf_release(&out);
	}
}

static int decode_parse(int argc, char **argv, struct decode_opts *o)
{
	static const struct option longopts[] = {
		{ "kernel",  required_argument, NULL, 'k' },
		{ "vmlinux", required_argument, NULL, 'V' },
		{ "module",  required_argument, NULL, 'm' },
		{ "json",    no_argument,       NULL, 'J' },
		{ "help",    no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	int c;

	while ((c = getopt_long(argc, argv, ":k:m:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'k': o->kernel = optarg; break;
		case 'V': o->vmlinux = optarg; break;
		case 'm':
			if (!is_dir(optarg)) {
				error("cannot open module directory '%s': %s; give a directory holding the .ko files",
				      optarg, strerror(path_exists(optarg) ? ENOTDIR : ENOENT));
				return EXIT_USAGE;
			}
			strvec_push(&o->modules, optarg);
			break;
		case 'J': o->json = true; break;
		case 'h': print_help(decode_help); return -1;
		default: return usage_option_error("decode", c, argv);
		}
	}
	if (optind < argc)
		o->input = argv[optind++];
	if (optind < argc)
		return usage_error("decode", "unexpected argument '%s'", argv[optind]);
	return 0;
}

int cmd_decode(int argc, char **argv)
{
	struct decode_opts o = { .modules = STRVEC_INIT };
	struct decode_input in = { .partial = SBUF_INIT };
	struct kbuild_artifacts art = { 0 };
	struct sbuf why = SBUF_INIT;
	int ret = decode_parse(argc, argv, &o);

	if (ret) {
		ret = ret < 0 ? EXIT_OK : ret;
		goto out;
	}
	/* The kernel first: bad input is said before any reading. */
	ret = decode_kernel(&o, &art);
	if (ret)
		goto out;
	if (!o.modules.n && art.modules_dir)
		strvec_push(&o.modules, art.modules_dir);
	ret = decode_read(o.input, &in);
	if (ret)
		goto out;
	if (!in.n) {
		error("no kernel crash report (panic, oops, BUG, WARNING, lockup, hung task) in %s%s%s",
		      o.input && strcmp(o.input, "-") ? "'" : "",
		      o.input && strcmp(o.input, "-") ? o.input : "the standard input",
		      o.input && strcmp(o.input, "-") ? "'" : "");
		ret = EXIT_FAIL;
		goto out;
	}
	if (!in_path("addr2line")) {
		error("addr2line not found; install binutils");
		ret = EXIT_FAIL;
		goto out;
	}
	for (size_t i = 0; i < in.n; i++) {
		int r = oops_symbolize(in.reports[i], art.vmlinux, art.src_dir, &o.modules, &why);
		if (r) {
			error("%s", sbuf_str(&why));
			ret = r == -ENOEXEC || r == -ENOENT ? EXIT_USAGE : EXIT_FAIL;
			goto out;
		}
	}
	decode_print(&o, in.reports, in.n);
	ret = EXIT_OK;
out:
	for (size_t i = 0; i < in.n; i++)
		oops_report_free(in.reports[i]);
	free(in.reports);
	oops_scanner_clear(&in.sc);
	sbuf_release(&in.partial);
	sbuf_release(&why);
	strvec_clear(&o.modules);
	kbuild_artifacts_clear(&art);
	return ret;
}
