// SPDX-License-Identifier: GPL-2.0
/*
 * kdebug build: make bzImage, modules and the gdb scripts in a configured
 * build directory, with a progress bar, a full log, the first errors on
 * failure, and a check that bzImage and vmlinux are from the same build.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "kbuild.h"
#include "kconfig.h"
#include "proc.h"
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
		return EXIT_FAIL;
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

static bool makefile_has_target(const char *src, const char *target)
{
	char *mk = path_join(src, "Makefile");
	struct sbuf text = SBUF_INIT;
	char *needle = xasprintf("\n%s:", target);
	bool r = !read_file(mk, &text) && strstr(sbuf_str(&text), needle);

	free(mk);
	free(needle);
	sbuf_release(&text);
	return r;
}

static int build(struct build_opts *o)
{
	struct sbuf why = SBUF_INIT;
	struct strvec state = STRVEC_INIT, targets = STRVEC_INIT;
	struct kconfig cfg = KCONFIG_INIT;
	struct display disp = { 0 };
	char *out = NULL, *src = NULL, *cc = NULL, *cache = cache_dir();
	char *log = NULL, *lockp = NULL, *stats_key = NULL;
	int ret = EXIT_FAIL, lockfd = -1, code = 0;

	if (o->out) {
		out = abspath(o->out);
		char *c = path_join(out, ".config");
		bool ok = is_regular(c);
		free(c);
		if (!ok) {
			error("'%s' is not a configured build directory (no .config); run 'kdebug config --out %s' first",
			      o->out, o->out);
			ret = EXIT_USAGE;
			goto out;
		}
	} else {
		out = kbuild_find_dir(o->src, &why);
		if (!out) {
			error("%s", why.buf);
			ret = EXIT_USAGE;
			goto out;
		}
	}
	kbuild_state_load(out, &state);
	if (kbuild_state_get(&state, "src")) {
		src = xstrdup(kbuild_state_get(&state, "src"));
	} else {
		char *link = path_join(out, "source");
		src = is_dir(link) ? abspath(link) : NULL;
		free(link);
	}
	if (!src || !kbuild_is_tree(src)) {
		error("cannot find the kernel source of '%s'; run 'kdebug config --out %s' again", out, out);
		goto out;
	}
	if (!strcmp(src, out)) {
		error("'%s' is an in-tree build; kdebug builds out of tree: run 'kdebug config' to set one up", out);
		ret = EXIT_USAGE;
		goto out;
	}
	{
		char *c = path_join(out, ".config");
		int r = kconfig_load(&cfg, c, NULL, &why);
		free(c);
		if (r) {
			error("%s", why.buf);
			goto out;
		}
	}
	if (o->cc)
		cc = xstrdup(o->cc);
	else if (kbuild_state_get(&state, "cc"))
		cc = xstrdup(kbuild_state_get(&state, "cc"));
	else
		cc = kbuild_default_cc();
	if (cc && !*cc) {
		free(cc);
		cc = NULL;
	}
	if (cc) {
		struct strvec words = STRVEC_INIT;
		strvec_split(&words, cc);
		char *prog = words.n ? find_in_path(words.v[0]) : NULL;
		if (!prog) {
			error("compiler '%s' not found (--cc '%s')", words.n ? words.v[0] : "", cc);
			strvec_clear(&words);
			ret = EXIT_USAGE;
			goto out;
		}
		free(prog);
		strvec_clear(&words);
	}

	/* One build per directory at a time. */
	lockp = path_join(out, ".kdebug-build.lock");
	lockfd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lockfd < 0) {
		error("cannot write to '%s': %s", out, strerror(errno));
		goto out;
	}
	if (flock(lockfd, LOCK_EX | LOCK_NB) < 0) {
		error("another kdebug build is running in '%s'; wait for it to finish", out);
		goto out;
	}

	strvec_push(&targets, "bzImage");
	if (kconfig_value_on(kconfig_get(&cfg, "MODULES")))
		strvec_push(&targets, "modules");
	if (kconfig_value_on(kconfig_get(&cfg, "GDB_SCRIPTS")) && makefile_has_target(src, "scripts_gdb"))
		strvec_push(&targets, "scripts_gdb");

	/*
	 * How many objects a full build compiles, for the progress estimate.
	 * A build is full when the directory has no objects yet (new, or
	 * after make clean): no vmlinux and no init/main.o.
	 */
	char *vmlinux = path_join(out, "vmlinux"), *main_o = path_join(out, "init/main.o");
	bool fresh = !path_exists(vmlinux) && !path_exists(main_o);
	free(vmlinux);
	free(main_o);
	stats_key = xasprintf("%s/%s", kbuild_state_get(&state, "profile") ? kbuild_state_get(&state, "profile") : "custom",
			      kbuild_state_get(&state, "version") ? kbuild_state_get(&state, "version") : "unknown");
	for (char *p = stats_key; *p; p++)
		if (*p == ' ')
			*p = '_';
	struct kbuild_make m = {
		.src = src, .out = out, .cc = cc, .jobs = o->jobs,
		.targets = (const char *const *)targets.v,
		.on_progress = on_progress, .arg = &disp,
	};
	if (fresh) {
		const char *prev = kbuild_state_get(&state, "objects");
		m.progress.total = prev ? strtoul(prev, NULL, 10) : kbuild_stats_get(cache, stats_key);
	}
	log = path_join(out, "kdebug-build.log");
	m.log = log;
	disp.tty = isatty(STDERR_FILENO);
	disp.last_step = 0;
	{
		char *cmd = NULL;
		struct strvec show = STRVEC_INIT;
		strvec_pushl(&show, "make", NULL);
		if (o->jobs)
			strvec_pushf(&show, "-j%u", o->jobs);
		else
			strvec_pushf(&show, "-j%ld", sysconf(_SC_NPROCESSORS_ONLN));
		if (cc)
			strvec_pushf(&show, "CC=%s", cc);
		strvec_pushv(&show, (const char *const *)targets.v);
		cmd = strvec_join_shell(&show);
		if (verbosity >= 0)
			fprintf(stderr, "building %s (%s)\n  log: %s\n", out, cmd, log);
		free(cmd);
		strvec_clear(&show);
	}
	int r = kbuild_make_run(&m, &code, &why);
	clear_line(&disp);
	long long ms = m.progress.now_ms - m.progress.start_ms;
	if (r == -EINTR) {
		error("interrupted; make was stopped (log: %s)", log);
		goto out;
	}
	if (r) {
		error("%s", why.buf ? why.buf : strerror(-r));
		goto out;
	}
	char buf[64];
	time_t t = time(NULL);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S%z", localtime(&t));
	kbuild_state_set(&state, "built", buf);
	if (cc)
		kbuild_state_set(&state, "cc", cc);
	if (code) {
		struct sbuf text = SBUF_INIT, errs = SBUF_INIT;
		read_file(log, &text);
		kbuild_first_errors(sbuf_str(&text), 30, &errs);
		fputs(sbuf_str(&errs), stderr);
		error("build failed (make exited with status %d); full log: %s", code, log);
		kbuild_state_set(&state, "build", "failed");
		kbuild_state_save(out, &state);
		sbuf_release(&text);
		sbuf_release(&errs);
		goto out;
	}
	struct kbuild_artifacts a = { 0 };
	if (kbuild_resolve(out, &a, &why)) {
		error("make succeeded but %s", why.buf);
		kbuild_state_set(&state, "build", "failed");
		kbuild_state_save(out, &state);
		goto out;
	}
	struct sbuf mwhy = SBUF_INIT;
	int mr = kbuild_check_match(a.bzimage, a.vmlinux, &mwhy);
	kbuild_state_set(&state, "build", "ok");
	kbuild_state_set(&state, "match", mr ? sbuf_str(&mwhy) : "ok");
	snprintf(buf, sizeof(buf), "%lld", ms);
	kbuild_state_set(&state, "build_ms", buf);
	if (a.release)
		kbuild_state_set(&state, "release", a.release);
	if (fresh && m.progress.done) {
		snprintf(buf, sizeof(buf), "%lu", m.progress.done);
		kbuild_state_set(&state, "objects", buf);
		kbuild_stats_put(cache, stats_key, m.progress.done);
	}
	if (kbuild_state_save(out, &state))
		warning("cannot write '%s/kdebug-state'", out);
	kbuild_remember(cache, kbuild_state_get(&state, "source_id"), out);
	if (mr) {
		error("%s", mwhy.buf);
		sbuf_release(&mwhy);
		kbuild_artifacts_clear(&a);
		goto out;
	}
	sbuf_release(&mwhy);
	{
		struct sbuf dur = SBUF_INIT;
		kbuild_format_duration(ms, &dur);
		printf("built Linux %s in %s (%lu objects compiled)\n", a.release ? a.release : "?",
		       dur.buf, m.progress.done);
		printf("  bzImage  %s\n  vmlinux  %s (same build as bzImage)\n", a.bzimage, a.vmlinux);
		if (a.gdb_scripts)
			printf("  gdb      %s\n", a.gdb_scripts);
		if (a.modules_dir)
			printf("  modules  %s (modules.order)\n", a.modules_dir);
		sbuf_release(&dur);
	}
	kbuild_artifacts_clear(&a);
	ret = EXIT_OK;
out:
	if (lockfd >= 0)
		close(lockfd);
	free(lockp);
	free(stats_key);
	free(log);
	free(out);
	free(src);
	free(cc);
	free(cache);
	kconfig_clear(&cfg);
	strvec_clear(&state);
	strvec_clear(&targets);
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
	while ((c = getopt_long(argc, argv, "+o:s:c:j:", longopts, NULL)) != -1) {
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
			return usage_error("build", "unknown option '%s'", argv[optind - 1]);
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
