// SPDX-License-Identifier: GPL-2.0
/*
 * kdebug build: make bzImage, modules and the gdb scripts in a configured
 * build directory, with a progress bar, a full log, the first errors on
 * failure, and a check that bzImage and vmlinux are from the same build.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "commands.h"
#include "kbuild.h"
#include "util.h"

static const char build_help[] =
"usage: kdebug build [--out DIR | --src DIR|TARBALL] [--cc CC] [-j N]\n"
"       kdebug build --check [--out DIR | --src DIR|TARBALL]\n"
"\n"
"Build bzImage, vmlinux, modules and vmlinux-gdb.py in a directory that\n"
"'kdebug config' prepared (default: the last one configured for the kernel\n"
"tree in the current directory, else the last one configured).\n"
"\n"
"  --out DIR      the build directory\n"
"  --src SRC      the last build directory configured for this tree or tarball\n"
"  --cc CC        compiler for make CC= (e.g. 'distcc gcc'); default: what\n"
"                 'kdebug config' used ('ccache gcc' when ccache is installed)\n"
"  -j, --jobs N   parallel jobs (default: online CPUs)\n"
"  --check        do not build: check that the bzImage and vmlinux of the\n"
"                 build directory are from the same build (exit 1 if not)\n"
"\n"
"The full make output is kept in DIR/kdebug-build.log.  See\n"
"Documentation/kdebug-build.md.\n";

struct build_opts {
	const char *out, *src, *cc;
	unsigned jobs;
	bool check;
};

static int check_only(const struct build_opts *o)
{
	struct kbuild_artifacts a = { 0 };
	struct sbuf why = SBUF_INIT;
	int ret = EXIT_OK;

	if (kbuild_resolve(o->out ? o->out : o->src, &a, &why)) {
		error("%s", why.buf);
		sbuf_release(&why);
		return EXIT_USAGE;	/* no build directory: bad input, as without --check */
	}
	if (kbuild_check_match(a.bzimage, a.vmlinux, &why)) {
		error("%s", why.buf);
		ret = EXIT_FAIL;
	} else {
		char *v = NULL;
		kbuild_bzimage_version(a.bzimage, &v);
		printf("ok: %s and %s are from the same build (%s)\n", a.bzimage, a.vmlinux, v ? v : "?");
		free(v);
	}
	kbuild_artifacts_clear(&a);
	sbuf_release(&why);
	return ret;
}

struct display {
	bool tty;
	int last_step;		/* non-tty: last 10% step printed */
	unsigned long last_count;
	long long last_draw;
	bool drawn;
};

static int term_width(void)
{
	struct winsize ws;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 20)
		return ws.ws_col;
	return 80;
}

static void on_progress(const struct kbuild_progress *p, void *arg)
{
	struct display *d = arg;
	struct sbuf line = SBUF_INIT;

	if (verbosity < 0)
		return;
	if (d->tty) {
		if (d->drawn && p->now_ms - d->last_draw < 100)
			return;	/* at most ten redraws a second */
		d->last_draw = p->now_ms;
		int w = term_width();
		kbuild_progress_format(p, true, w - 1, &line);
		fprintf(stderr, "\r\033[K%s", line.buf);
		fflush(stderr);
		d->drawn = true;
	} else {
		int pct = kbuild_progress_percent(p);
		if (pct >= 0) {
			if (pct / 10 > d->last_step) {
				d->last_step = pct / 10;
				kbuild_progress_format(p, false, 0, &line);
				fprintf(stderr, "build: %s\n", line.buf);
			}
		} else if (p->done >= d->last_count + 250) {
			d->last_count = p->done - p->done % 250;
			kbuild_progress_format(p, false, 0, &line);
			fprintf(stderr, "build: %s\n", line.buf);
		}
	}
	sbuf_release(&line);
}

static void clear_line(struct display *d)
{
	if (d->tty && d->drawn) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
		d->drawn = false;
	}
}

/* What was built, where. */
static void report_built(const struct kbuild_build *b)
{
	const struct kbuild_artifacts *a = &b->artifacts;
	struct sbuf dur = SBUF_INIT;

	kbuild_format_duration(b->ms, &dur);
	printf("built Linux %s in %s (%lu objects compiled)\n", a->release ? a->release : "?",
	       dur.buf, b->progress.done);
	printf("  bzImage  %s\n  vmlinux  %s (same build as bzImage)\n", a->bzimage, a->vmlinux);
	if (a->gdb_scripts)
		printf("  gdb      %s\n", a->gdb_scripts);
	if (a->modules_dir)
		printf("  modules  %s (modules.order)\n", a->modules_dir);
	sbuf_release(&dur);
}

static int build(const struct build_opts *o)
{
	struct kbuild_build b;
	struct display disp = { 0 };
	struct sbuf why = SBUF_INIT;
	int r, ret = EXIT_FAIL;

	kbuild_build_init(&b);
	b.out = o->out;
	b.src = o->src;
	b.cc = o->cc;
	b.jobs = o->jobs;
	b.on_progress = on_progress;
	b.arg = &disp;
	r = kbuild_build_prepare(&b, &why);
	if (r) {
		error("%s", why.buf);
		ret = b.bad_input ? EXIT_USAGE : EXIT_FAIL;
		goto out;
	}
	disp.tty = isatty(STDERR_FILENO);
	if (verbosity >= 0) {
		char *cmd = kbuild_build_command(&b);
		fprintf(stderr, "building %s (%s)\n  log: %s\n", b.dir, cmd, b.log);
		free(cmd);
	}
	r = kbuild_build_run(&b, &why);
	clear_line(&disp);
	fputs(sbuf_str(&b.errors), stderr);
	if (b.state_unsaved)
		warning("cannot write '%s/kdebug-state'", b.dir);
	if (r) {
		error("%s", why.buf);
		goto out;
	}
	report_built(&b);
	ret = EXIT_OK;
out:
	kbuild_build_clear(&b);
	sbuf_release(&why);
	return ret;
}

int cmd_build(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "src", required_argument, NULL, 's' },
		{ "cc", required_argument, NULL, 'c' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "check", no_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct build_opts o;
	unsigned long n;
	int c;

	memset(&o, 0, sizeof(o));
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:o:s:c:j:", longopts, NULL)) != -1) {
		switch (c) {
		case 'o': o.out = optarg; break;
		case 's': o.src = optarg; break;
		case 'c': o.cc = optarg; break;
		case 'C': o.check = true; break;
		case 'j':
			if (parse_uint(optarg, 1024, &n) || !n)
				return usage_error("build", "-j needs a number of jobs, not '%s'", optarg);
			o.jobs = (unsigned)n;
			break;
		case 'h':
			return print_help(build_help);
		default:
			return usage_option_error("build", c, argv);
		}
	}
	if (optind < argc)
		return usage_error("build", "unexpected argument '%s'", argv[optind]);
	if (o.out && o.src)
		return usage_error("build", "--out and --src are alternatives; pass one");
	if (o.check)
		return (o.cc || o.jobs) ? usage_error("build", "--check does not build; drop --cc/-j") :
					  check_only(&o);
	return build(&o);
}
