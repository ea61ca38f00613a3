// SPDX-License-Identifier: GPL-2.0
/*
 * kdebug config: configure a kernel tree (out of tree, O=) for debugging
 * from a profile plus --enable/--disable/--fragment, with the kernel's own
 * tools, then verify that every requested option got its value.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <glob.h>

#include "commands.h"
#include "kbuild.h"
#include "kconfig.h"
#include "proc.h"
#include "util.h"

static const char config_help[] =
"usage: kdebug config [--src DIR|TARBALL] [--out DIR] [--profile NAME|FILE]\n"
"                     [--enable SYM[=VAL]]... [--disable SYM]... [--fragment FILE]...\n"
"                     [--cc CC] [--force]\n"
"\n"
"Configure a kernel for debugging, out of tree, and verify the result.\n"
"\n"
"  --src DIR|TARBALL  kernel tree, or a .tar.xz/.tar.gz unpacked once into the cache\n"
"                     (default: the current directory when it is a kernel tree,\n"
"                     else /usr/src/linux-source-*.tar.xz)\n"
"  --out DIR          build directory (default: ~/.cache/kdebug/build/<source>-<profile>)\n"
"  --profile P        minimal (default), seed, or a fragment file with '# base: TARGET'\n"
"  --enable SYM[=VAL] request SYM=y (or =m, =VALUE) on top of the profile\n"
"  --disable SYM      request SYM off\n"
"  --fragment FILE    a config fragment (CONFIG_X=y lines) on top of the profile\n"
"  --cc CC            compiler for make CC= (default: 'ccache gcc' when ccache is installed)\n"
"  --force            keep a .config that misses requested options; replace a\n"
"                     .config that kdebug did not write\n"
"\n"
"Every requested option that does not get its value is reported with the\n"
"Kconfig dependency that is missing.  See Documentation/kdebug-config.md.\n";

struct config_opts {
	const char *src, *out, *profile, *cc;
	struct kconfig cmdline;		/* --enable/--disable, in order */
	struct strvec fragments;
	bool force;
};

static const char *const usr_src_glob = "/usr/src/linux-source-*.tar.xz";

static int cmp_ver(const void *a, const void *b)
{
	return strverscmp(*(char *const *)a, *(char *const *)b);
}

/* Newest /usr/src/linux-source-*.tar.xz, or NULL. */
static char *distro_source(void)
{
	glob_t g;
	char *r = NULL;

	if (glob(usr_src_glob, 0, NULL, &g) == 0 && g.gl_pathc) {
		qsort(g.gl_pathv, g.gl_pathc, sizeof(char *), cmp_ver);
		r = xstrdup(g.gl_pathv[g.gl_pathc - 1]);
	}
	globfree(&g);
	return r;
}

static int add_request(struct config_opts *o, const char *arg, bool enable)
{
	const char *s = arg;
	char *name, *value;

	if (!strncmp(s, "CONFIG_", 7))
		s += 7;
	const char *eq = strchr(s, '=');
	if (eq && !enable)
		return usage_error("config", "--disable takes a name, not '%s'", arg);
	name = eq ? xstrndup(s, (size_t)(eq - s)) : xstrdup(s);
	value = xstrdup(!enable ? "n" : eq ? eq + 1 : "y");
	if (!kconfig_valid_name(name) || !*value) {
		int r = usage_error("config", "'%s' is not a config option name", arg);
		free(name);
		free(value);
		return r;
	}
	const char *prev = kconfig_get(&o->cmdline, name);
	if (prev && kconfig_value_on(prev) != kconfig_value_on(value)) {
		error("%s is both enabled and disabled on the command line; keep one of --enable %s / --disable %s",
		      name, name, name);
		free(name);
		free(value);
		return EXIT_USAGE;
	}
	kconfig_set(&o->cmdline, name, value, enable ? "--enable" : "--disable");
	free(name);
	free(value);
	return 0;
}

/* Remove what we created on failure (the first directory that did not exist). */
static char *first_missing_dir(const char *path)
{
	char *p = abspath(path), *missing = NULL;

	while (!path_exists(p)) {
		free(missing);
		missing = xstrdup(p);
		char *up = path_dirname(p);
		if (!strcmp(up, p)) {
			free(up);
			break;
		}
		free(p);
		p = up;
	}
	free(p);
	return missing;
}

static int run_script(const char *dir, const char *const *argv, struct sbuf *log, int *code)
{
	struct proc p;

	proc_init(&p);
	strvec_pushv(&p.args, argv);
	strvec_push(&p.env, "LC_ALL=C");
	p.dir = dir;
	p.err_to_out = true;
	return proc_capture(&p, log, NULL, 0, code);
}

struct ctx {
	struct config_opts *o;
	char *cache, *src, *source, *source_id, *out, *created;
	char *version, *cc;
	struct kconfig_db db;
	struct kconfig_profile profile;
	struct kconfig req;
	struct sbuf old_config, log;
	bool had_config;
	int lockfd;
};

static void show_output_tail(const struct sbuf *out)
{
	struct sbuf tail = SBUF_INIT;
	kbuild_first_errors(sbuf_str(out), 20, &tail);
	fputs(tail.buf ? tail.buf : "", stderr);
	sbuf_release(&tail);
}

/* Put the previous .config back (or remove what we made). */
static void undo(struct ctx *c)
{
	char *cfg = path_join(c->out, ".config");
	if (c->created) {
		rm_rf(c->created);
	} else if (c->had_config) {
		write_file_atomic(cfg, c->old_config.buf, c->old_config.len, 0644);
	}
	free(cfg);
}

static int resolve_source(struct ctx *c)
{
	const char *src = c->o->src;
	char *fallback = NULL;

	if (!src) {
		char *cwd = abspath(".");
		if (kbuild_is_tree(cwd)) {
			c->src = cwd;
			c->source = xstrdup(cwd);
			c->source_id = kbuild_source_id(cwd);
			return 0;
		}
		free(cwd);
		fallback = distro_source();
		if (!fallback) {
			error("no kernel source: the current directory is not a kernel tree and there is no %s; pass --src DIR|TARBALL (or run kdebug config in a kernel tree)",
			      usr_src_glob);
			return EXIT_USAGE;
		}
		note("not in a kernel tree; using %s (pass --src to choose)", fallback);
		src = fallback;
	}
	char *abs = abspath(src);
	int ret = 0;
	if (is_dir(abs)) {
		if (!kbuild_is_tree(abs)) {
			error("'%s' is not a kernel tree (no Makefile, Kconfig and arch/x86); pass --src with a kernel tree or tarball",
			      src);
			ret = EXIT_USAGE;
			goto out;
		}
		c->src = xstrdup(abs);
	} else if (is_regular(abs)) {
		struct sbuf why = SBUF_INIT;
		bool unpacked = false;
		char *id = kbuild_source_id(abs), *target = xasprintf("%s/src/%s", c->cache, id);
		if (!kbuild_is_tree(target))
			note("unpacking %s into %s (once)", src, target);
		free(id);
		free(target);
		int r = kbuild_unpack(abs, c->cache, &c->src, &unpacked, &why);
		if (r) {
			error("%s", why.buf ? why.buf : strerror(-r));
			ret = r == -EINVAL || r == -ENOENT ? EXIT_USAGE : EXIT_FAIL;
			sbuf_release(&why);
			goto out;
		}
		sbuf_release(&why);
	} else {
		error("cannot open '%s': No such file or directory", src);
		ret = EXIT_USAGE;
		goto out;
	}
	c->source = xstrdup(abs);
	c->source_id = kbuild_source_id(abs);
out:
	free(abs);
	free(fallback);
	return ret;
}

static int check_out_dir(struct ctx *c)
{
	const char *o = c->o->out;

	c->out = o ? abspath(o) : xasprintf("%s/build/%s-%s", c->cache, c->source_id, c->profile.name);
	if (!strcmp(c->out, c->src)) {
		error("--out must not be the source tree itself ('%s'): kdebug builds out of tree", c->out);
		return EXIT_USAGE;
	}
	if (path_exists(c->out) && !is_dir(c->out)) {
		error("cannot use '%s' as build directory: it is not a directory", c->out);
		return EXIT_USAGE;
	}
	if (!is_dir(c->out)) {
		c->created = first_missing_dir(c->out);
		int r = mkdir_p(c->out, 0755);
		if (r) {
			error("cannot create build directory '%s': %s; pass --out with a writable directory",
			      c->out, strerror(-r));
			if (c->created && is_dir(c->created))
				rm_rf(c->created);
			free(c->created);
			c->created = NULL;
			return EXIT_USAGE;
		}
	}
	/* Writable?  (access() says yes to root on a read-only file system.) */
	char *probe = xasprintf("%s/.kdebug-probe-%d", c->out, (int)getpid());
	int r = write_file(probe, "", 0, 0644);
	unlink(probe);
	free(probe);
	if (r) {
		error("cannot write to build directory '%s': %s; pass --out with a writable directory",
		      c->out, strerror(-r));
		return EXIT_USAGE;
	}
	/* Not while kdebug build (or another config) works in it. */
	char *lockp = path_join(c->out, ".kdebug-build.lock");
	c->lockfd = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	free(lockp);
	if (c->lockfd < 0 || flock(c->lockfd, LOCK_EX | LOCK_NB) < 0) {
		error("another kdebug build or config is running in '%s'; wait for it to finish", c->out);
		return EXIT_FAIL;
	}
	char *cfg = path_join(c->out, ".config"), *state = path_join(c->out, "kdebug-state");
	c->had_config = is_regular(cfg);
	if (c->had_config && !is_regular(state) && !c->o->force) {
		error("'%s' already has a .config that kdebug did not write; pass --force to replace it, or choose another --out",
		      c->out);
		free(cfg);
		free(state);
		return EXIT_FAIL;
	}
	if (c->had_config && is_regular(state) && !c->o->force) {
		/* Edited since kdebug wrote it (make menuconfig)?  Do not lose that. */
		struct strvec kv = STRVEC_INIT;
		char *now = kbuild_file_hash(cfg);
		kbuild_state_load(c->out, &kv);
		const char *then = kbuild_state_get(&kv, "config_hash");
		bool changed = then && now && strcmp(then, now);
		strvec_clear(&kv);
		free(now);
		if (changed) {
			error("'%s/.config' was changed after kdebug config wrote it (make menuconfig?); pass --force to replace it, or save your changes as a fragment for --fragment",
			      c->out);
			free(cfg);
			free(state);
			return EXIT_FAIL;
		}
	}
	if (c->had_config)
		read_file(cfg, &c->old_config);
	free(cfg);
	free(state);
	return 0;
}

/* Profile, fragments, command line; names mapped; unknown names refused. */
static int build_request(struct ctx *c)
{
	struct sbuf why = SBUF_INIT;
	struct strvec notes = STRVEC_INIT;
	int ret = 0;

	for (size_t i = 0; i < c->profile.opts.n; i++)
		kconfig_set(&c->req, c->profile.opts.v[i].name, c->profile.opts.v[i].value,
			    c->profile.opts.v[i].origin);
	for (size_t i = 0; i < c->o->fragments.n; i++) {
		struct kconfig frag = KCONFIG_INIT;
		if (kconfig_load(&frag, c->o->fragments.v[i], NULL, &why)) {
			error("%s", why.buf);
			ret = EXIT_USAGE;
			goto out;
		}
		for (size_t k = 0; k < frag.n; k++)
			kconfig_set(&c->req, frag.v[k].name, frag.v[k].value, frag.v[k].origin);
		kconfig_clear(&frag);
	}
	for (size_t i = 0; i < c->o->cmdline.n; i++)
		kconfig_set(&c->req, c->o->cmdline.v[i].name, c->o->cmdline.v[i].value,
			    c->o->cmdline.v[i].origin);
	kconfig_map_names(&c->req, &c->db, &notes);
	for (size_t i = 0; i < notes.n; i++)
		note("%s", notes.v[i]);
	for (size_t i = 0; i < c->req.n;) {
		const struct kconfig_entry *e = &c->req.v[i];
		const struct kconfig_sym *s = kconfig_db_find(&c->db, e->name);
		if (s && s->ndefs) {
			i++;
			continue;
		}
		if (e->origin && str_starts_with(e->origin, "profile ")) {
			warning("%s: CONFIG_%s does not exist in Linux %s; skipped", e->origin, e->name,
				c->version);
			kconfig_remove(&c->req, e->name);
			continue;
		}
		struct strvec sugg = STRVEC_INIT;
		struct sbuf msg = SBUF_INIT;
		kconfig_db_suggest(&c->db, e->name, 3, &sugg);
		sbuf_addf(&msg, "unknown option '%s'%s%s: no Kconfig file of Linux %s defines it",
			  e->name, e->origin ? " in " : "", e->origin ? e->origin : "", c->version);
		if (sugg.n) {
			sbuf_addf(&msg, "; did you mean '%s'", sugg.v[0]);
			for (size_t k = 1; k < sugg.n; k++)
				sbuf_addf(&msg, "%s'%s'", k + 1 == sugg.n ? " or " : ", ", sugg.v[k]);
			sbuf_adds(&msg, "?");
		}
		error("%s", msg.buf);
		sbuf_release(&msg);
		strvec_clear(&sugg);
		ret = EXIT_USAGE;
		goto out;
	}
out:
	strvec_clear(&notes);
	sbuf_release(&why);
	return ret;
}

static int make_step(struct ctx *c, const char *target)
{
	const char *targets[] = { target, NULL };
	int code = 0;
	size_t from = c->log.len;

	sbuf_addf(&c->log, "# make -C %s O=%s %s\n", c->src, c->out, target);
	int r = kbuild_make_capture(c->src, c->out, c->cc, targets, &c->log, &code);
	if (r == -EINTR) {
		error("interrupted");
		return EXIT_FAIL;
	}
	if (r) {
		error("cannot run make: %s; install make (and gcc, flex, bison, bc)", strerror(-r));
		return EXIT_FAIL;
	}
	if (code) {
		struct sbuf part = SBUF_INIT;
		sbuf_adds(&part, c->log.buf + from);
		show_output_tail(&part);
		sbuf_release(&part);
		error("'make %s' failed in '%s' (exit %d)", target, c->out, code);
		return EXIT_FAIL;
	}
	return 0;
}

static int merge_fragment(struct ctx *c, const char *fragment)
{
	char *script = path_join(c->src, "scripts/kconfig/merge_config.sh");
	char *cfg = path_join(c->out, ".config");
	int ret = 0;

	if (is_regular(script)) {
		const char *argv[] = { "sh", script, "-m", "-O", c->out, cfg, fragment, NULL };
		int code = 0;
		sbuf_addf(&c->log, "# sh %s -m -O %s %s %s\n", script, c->out, cfg, fragment);
		int r = run_script(c->out, argv, &c->log, &code);
		if (r || code) {
			error("merge_config.sh failed (%s); see '%s/kdebug-config.log'",
			      r ? strerror(-r) : "non-zero exit", c->out);
			ret = EXIT_FAIL;
		}
	} else {
		/* Kernels before 3.2 have no merge_config.sh: merge here. */
		struct kconfig cur = KCONFIG_INIT;
		struct sbuf why = SBUF_INIT, text = SBUF_INIT;
		if (kconfig_load(&cur, cfg, NULL, &why)) {
			error("%s", why.buf);
			ret = EXIT_FAIL;
		} else {
			for (size_t i = 0; i < c->req.n; i++)
				kconfig_set(&cur, c->req.v[i].name, c->req.v[i].value, NULL);
			kconfig_format(&cur, &text);
			if (write_file_atomic(cfg, text.buf, text.len, 0644)) {
				error("cannot write '%s'", cfg);
				ret = EXIT_FAIL;
			}
		}
		kconfig_clear(&cur);
		sbuf_release(&why);
		sbuf_release(&text);
	}
	free(script);
	free(cfg);
	return ret;
}

static void write_request_file(struct ctx *c, const char *path)
{
	struct sbuf text = SBUF_INIT;
	const char *last = NULL;

	sbuf_addf(&text, "# Requested by kdebug config: base '%s', profile %s, Linux %s.\n",
		  c->profile.base, c->profile.name, c->version);
	sbuf_adds(&text, "# Merged into .config with merge_config.sh, then make olddefconfig.\n");
	for (size_t i = 0; i < c->req.n; i++) {
		const char *origin = c->req.v[i].origin ? c->req.v[i].origin : "";
		if (!last || strcmp(last, origin))
			sbuf_addf(&text, "\n# from %s\n", *origin ? origin : "elsewhere");
		last = origin;
		struct kconfig one = KCONFIG_INIT;
		kconfig_set(&one, c->req.v[i].name, c->req.v[i].value, NULL);
		kconfig_format(&one, &text);
		kconfig_clear(&one);
	}
	write_file_atomic(path, text.buf, text.len, 0644);
	sbuf_release(&text);
}

static void ctx_clear(struct ctx *c)
{
	if (c->lockfd >= 0)
		close(c->lockfd);
	free(c->cache);
	free(c->src);
	free(c->source);
	free(c->source_id);
	free(c->out);
	free(c->created);
	free(c->version);
	free(c->cc);
	kconfig_db_clear(&c->db);
	kconfig_profile_clear(&c->profile);
	kconfig_clear(&c->req);
	sbuf_release(&c->old_config);
	sbuf_release(&c->log);
}

static int configure(struct config_opts *o)
{
	struct ctx c;
	struct sbuf why = SBUF_INIT;
	struct kconfig got = KCONFIG_INIT;
	struct kconfig_report report = { 0 };
	struct strvec state = STRVEC_INIT;
	int ret;
	bool made = false;

	memset(&c, 0, sizeof(c));
	c.lockfd = -1;
	c.o = o;
	c.cache = cache_dir();
	if (kconfig_profile_load(&c.profile, o->profile ? o->profile : "minimal", data_dir(), &why)) {
		error("%s", why.buf);
		ret = EXIT_USAGE;
		goto out;
	}
	ret = resolve_source(&c);
	if (ret)
		goto out;
	char *dotcfg = path_join(c.src, ".config"), *inc = path_join(c.src, "include/config");
	bool dirty = path_exists(dotcfg) || path_exists(inc);
	free(dotcfg);
	free(inc);
	if (dirty) {
		error("'%s' has an in-tree configuration (.config, include/config); out-of-tree builds need a clean tree: run 'make mrproper' there",
		      c.src);
		ret = EXIT_FAIL;
		goto out;
	}
	if (kbuild_tree_version(c.src, &c.version))
		c.version = xstrdup("(unknown version)");
	if (kconfig_db_scan(&c.db, c.src, "x86", &why)) {
		error("%s", why.buf);
		ret = EXIT_USAGE;
		goto out;
	}
	ret = build_request(&c);
	if (ret)
		goto out;
	ret = check_out_dir(&c);
	if (ret) {
		if (c.created)
			rm_rf(c.created);
		goto out;
	}
	made = true;
	c.cc = o->cc ? xstrdup(o->cc) : kbuild_default_cc();

	ret = make_step(&c, c.profile.base);
	if (ret)
		goto fail;
	char *reqfile = path_join(c.out, "kdebug.config");
	write_request_file(&c, reqfile);
	ret = merge_fragment(&c, reqfile);
	free(reqfile);
	if (ret)
		goto fail;
	ret = make_step(&c, "olddefconfig");
	if (ret)
		goto fail;

	char *cfg = path_join(c.out, ".config");
	if (kconfig_load(&got, cfg, NULL, &why)) {
		error("%s", why.buf);
		free(cfg);
		ret = EXIT_FAIL;
		goto fail;
	}
	free(cfg);
	size_t problems = kconfig_verify(&c.req, &got, &c.db, &report);
	for (size_t i = 0; i < report.n; i++) {
		if (o->force)
			warning("%s", report.v[i].message);
		else
			error("%s", report.v[i].message);
	}
	if (problems && !o->force) {
		error("%zu of %zu requested options did not get their value; nothing was changed (pass --force to keep this .config anyway)",
		      problems, report.checked);
		ret = EXIT_FAIL;
		goto fail;
	}

	kbuild_state_load(c.out, &state);
	kbuild_state_set(&state, "src", c.src);
	kbuild_state_set(&state, "source", c.source);
	kbuild_state_set(&state, "source_id", c.source_id);
	kbuild_state_set(&state, "profile", c.profile.name);
	kbuild_state_set(&state, "profile_file", c.profile.path);
	kbuild_state_set(&state, "version", c.version);
	kbuild_state_set(&state, "cc", c.cc ? c.cc : "");
	{
		char *cfgp = path_join(c.out, ".config"), *h = kbuild_file_hash(cfgp);
		kbuild_state_set(&state, "config_hash", h ? h : "");
		free(h);
		free(cfgp);
	}
	{
		char buf[64];
		time_t t = time(NULL);
		strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S%z", localtime(&t));
		kbuild_state_set(&state, "configured", buf);
		if (problems)
			snprintf(buf, sizeof(buf), "forced (%zu problems)", problems);
		else
			snprintf(buf, sizeof(buf), "yes");
		kbuild_state_set(&state, "verified", buf);
	}
	if (kbuild_state_save(c.out, &state)) {
		error("cannot write '%s/kdebug-state'", c.out);
		ret = EXIT_FAIL;
		goto fail;
	}
	kbuild_remember(c.cache, c.source_id, c.out);
	{
		char *tree_id = kbuild_source_id(c.src);
		if (strcmp(tree_id, c.source_id))
			kbuild_remember(c.cache, tree_id, c.out);
		free(tree_id);
	}
	{
		char *logp = path_join(c.out, "kdebug-config.log");
		write_file_atomic(logp, c.log.buf ? c.log.buf : "", c.log.len, 0644);
		free(logp);
	}
	printf("configured %s\n  Linux %s, profile %s (base %s): %zu requested options %s\n",
	       c.out, c.version, c.profile.name, c.profile.base, report.checked,
	       problems ? "checked, some missing (forced)" : "verified");
	printf("next: kdebug build%s%s\n", o->out ? " --out " : "", o->out ? o->out : "");
	ret = EXIT_OK;
	goto out;
fail:
	if (made) {
		/* Keep the log for a look, unless the whole directory goes. */
		if (!c.created) {
			char *logp = path_join(c.out, "kdebug-config.log");
			write_file_atomic(logp, c.log.buf ? c.log.buf : "", c.log.len, 0644);
			free(logp);
		}
		undo(&c);
	}
out:
	strvec_clear(&state);
	kconfig_report_clear(&report);
	kconfig_clear(&got);
	sbuf_release(&why);
	ctx_clear(&c);
	return ret;
}

int cmd_config(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "src", required_argument, NULL, 's' },
		{ "out", required_argument, NULL, 'o' },
		{ "profile", required_argument, NULL, 'p' },
		{ "enable", required_argument, NULL, 'e' },
		{ "disable", required_argument, NULL, 'd' },
		{ "fragment", required_argument, NULL, 'f' },
		{ "cc", required_argument, NULL, 'c' },
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct config_opts o;
	int c, ret = EXIT_OK;

	memset(&o, 0, sizeof(o));
	kconfig_init(&o.cmdline);
	strvec_init(&o.fragments);
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+s:o:p:e:d:f:F", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o.src = optarg; break;
		case 'o': o.out = optarg; break;
		case 'p': o.profile = optarg; break;
		case 'c': o.cc = optarg; break;
		case 'F': o.force = true; break;
		case 'f':
			if (!is_regular(optarg)) {
				ret = usage_error("config", "cannot open fragment '%s'", optarg);
				goto out;
			}
			strvec_push(&o.fragments, optarg);
			break;
		case 'e':
		case 'd':
			ret = add_request(&o, optarg, c == 'e');
			if (ret)
				goto out;
			break;
		case 'h':
			ret = print_help(config_help);
			goto out;
		default:
			ret = usage_error("config", "unknown option '%s'", argv[optind - 1]);
			goto out;
		}
	}
	if (optind < argc) {
		ret = usage_error("config", "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (o.out && !*o.out) {
		ret = usage_error("config", "--out needs a directory");
		goto out;
	}
	ret = configure(&o);
out:
	kconfig_clear(&o.cmdline);
	strvec_clear(&o.fragments);
	return ret;
}
