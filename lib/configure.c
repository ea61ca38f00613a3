// SPDX-License-Identifier: GPL-2.0
/*
 * The configure pipeline of `kdebug config`.  See configure.h.
 */
#include "configure.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kbuild.h"
#include "proc.h"

const char configure_distro_glob[] = "/usr/src/linux-source-*.tar.xz";

void configure_init(struct configure *c)
{
	memset(c, 0, sizeof(*c));
	c->lockfd = -1;
}

void configure_clear(struct configure *c)
{
	if (c->lockfd >= 0)
		close(c->lockfd);
	free(c->cache);
	free(c->src_dir);
	free(c->source);
	free(c->source_id);
	free(c->out_dir);
	strvec_clear(&c->made_dirs);
	strvec_clear(&c->before);
	free(c->version);
	free(c->cc_used);
	kconfig_db_clear(&c->db);
	kconfig_profile_clear(&c->prof);
	kconfig_clear(&c->req);
	kconfig_report_clear(&c->report);
	sbuf_release(&c->make_errors);
	sbuf_release(&c->old_config);
	sbuf_release(&c->log);
	c->lockfd = -1;
}

static void PRINTF(3, 4) say(const struct configure *c, enum configure_level level,
			     const char *fmt, ...)
{
	struct sbuf msg = SBUF_INIT;
	va_list ap;

	if (!c->say)
		return;
	va_start(ap, fmt);
	sbuf_vaddf(&msg, fmt, ap);
	va_end(ap);
	c->say(level, msg.buf, c->arg);
	sbuf_release(&msg);
}

/* Input the caller got wrong: -EINVAL (or r) with the message in why. */
static int PRINTF(4, 5) bad_input(struct configure *c, struct sbuf *why, int r,
				  const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sbuf_vaddf(why, fmt, ap);
	va_end(ap);
	c->bad_input = true;
	return r;
}

/* ---- the source ---- */

static int cmp_ver(const void *a, const void *b)
{
	return strverscmp(*(char *const *)a, *(char *const *)b);
}

/* Newest /usr/src/linux-source-*.tar.xz, or NULL. */
static char *distro_source(void)
{
	glob_t g;
	char *r = NULL;

	if (glob(configure_distro_glob, 0, NULL, &g) == 0 && g.gl_pathc) {
		qsort(g.gl_pathv, g.gl_pathc, sizeof(char *), cmp_ver);
		r = xstrdup(g.gl_pathv[g.gl_pathc - 1]);
	}
	globfree(&g);
	return r;
}

static int unpack_source(struct configure *c, const char *src, const char *abs, struct sbuf *why)
{
	bool unpacked = false;
	char *id = kbuild_source_id(abs), *target = xasprintf("%s/src/%s", c->cache, id);

	if (!kbuild_is_tree(target))
		say(c, CONFIGURE_NOTE, "unpacking %s into %s (once)", src, target);
	free(id);
	free(target);
	int r = kbuild_unpack(abs, c->cache, &c->src_dir, &unpacked, why);
	if (r) {
		if (!why->len)
			sbuf_adds(why, strerror(-r));
		c->bad_input = r == -EINVAL || r == -ENOENT;
	}
	return r;
}

static int resolve_source(struct configure *c, struct sbuf *why)
{
	const char *src = c->src;
	char *fallback = NULL;
	int r = 0;

	if (!src) {
		char *cwd = abspath(".");
		if (kbuild_is_tree(cwd)) {
			c->src_dir = cwd;
			c->source = xstrdup(cwd);
			c->source_id = kbuild_source_id(cwd);
			return 0;
		}
		free(cwd);
		fallback = distro_source();
		if (!fallback)
			return bad_input(c, why, -ENOENT, "no kernel source: the current directory is not a kernel tree and there is no %s; pass --src DIR|TARBALL (or run kdebug config in a kernel tree)",
					 configure_distro_glob);
		say(c, CONFIGURE_NOTE, "not in a kernel tree; using %s (pass --src to choose)", fallback);
		src = fallback;
	}
	char *abs = abspath(src);
	if (is_dir(abs)) {
		if (kbuild_is_tree(abs))
			c->src_dir = xstrdup(abs);
		else
			r = bad_input(c, why, -EINVAL, "'%s' is not a kernel tree (no Makefile, Kconfig and arch/x86); pass --src with a kernel tree or tarball",
				      src);
	} else if (is_regular(abs)) {
		r = unpack_source(c, src, abs, why);
	} else {
		r = bad_input(c, why, -ENOENT, "cannot open '%s': No such file or directory", src);
	}
	if (!r) {
		c->source = xstrdup(abs);
		c->source_id = kbuild_source_id(abs);
	}
	free(abs);
	free(fallback);
	return r;
}

/* Out-of-tree builds need a tree without .config and include/config. */
static int check_clean_tree(struct configure *c, struct sbuf *why)
{
	char *dotcfg = path_join(c->src_dir, ".config"), *inc = path_join(c->src_dir, "include/config");
	bool dirty = path_exists(dotcfg) || path_exists(inc);

	free(dotcfg);
	free(inc);
	if (!dirty)
		return 0;
	sbuf_addf(why, "'%s' has an in-tree configuration (.config, include/config); out-of-tree builds need a clean tree: run 'make mrproper' there",
		  c->src_dir);
	return -EEXIST;
}

/* ---- the request ---- */

static void add_all(struct kconfig *to, const struct kconfig *from)
{
	for (size_t i = 0; from && i < from->n; i++)
		kconfig_set(to, from->v[i].name, from->v[i].value, from->v[i].origin);
}

/* An option no Kconfig file defines: skipped (profiles) or refused. */
static int unknown_option(struct configure *c, const struct kconfig_entry *e, struct sbuf *why)
{
	struct strvec sugg = STRVEC_INIT;

	if (e->origin && str_starts_with(e->origin, "profile ")) {
		say(c, CONFIGURE_WARNING, "%s: CONFIG_%s does not exist in Linux %s; skipped",
		    e->origin, e->name, c->version);
		kconfig_remove(&c->req, e->name);
		return 0;
	}
	kconfig_db_suggest(&c->db, e->name, 3, &sugg);
	sbuf_addf(why, "unknown option '%s'%s%s: no Kconfig file of Linux %s defines it",
		  e->name, e->origin ? " in " : "", e->origin ? e->origin : "", c->version);
	if (sugg.n) {
		sbuf_addf(why, "; did you mean '%s'", sugg.v[0]);
		for (size_t k = 1; k < sugg.n; k++)
			sbuf_addf(why, "%s'%s'", k + 1 == sugg.n ? " or " : ", ", sugg.v[k]);
		sbuf_adds(why, "?");
	}
	strvec_clear(&sugg);
	c->bad_input = true;
	return -ENOENT;
}

/* Profile, fragments, command line; names mapped; unknown names refused. */
static int build_request(struct configure *c, struct sbuf *why)
{
	struct strvec notes = STRVEC_INIT;
	int r;

	add_all(&c->req, &c->prof.opts);
	for (size_t i = 0; c->fragments && i < c->fragments->n; i++) {
		struct kconfig frag = KCONFIG_INIT;
		r = kconfig_load(&frag, c->fragments->v[i], NULL, why);
		if (r) {
			c->bad_input = true;
			return r;
		}
		add_all(&c->req, &frag);
		kconfig_clear(&frag);
	}
	add_all(&c->req, c->cmdline);
	kconfig_map_names(&c->req, &c->db, &notes);
	for (size_t i = 0; i < notes.n; i++)
		say(c, CONFIGURE_NOTE, "%s", notes.v[i]);
	strvec_clear(&notes);
	for (size_t i = 0; i < c->req.n;) {
		size_t n = c->req.n;
		if (kconfig_db_defined(&c->db, c->req.v[i].name)) {
			i++;
			continue;
		}
		r = unknown_option(c, &c->req.v[i], why);
		if (r)
			return r;
		if (c->req.n == n)
			i++;
	}
	return 0;
}

/* ---- the build directory ---- */

/*
 * mkdir every missing component of the absolute PATH, recording in
 * c->made_dirs each one this call made (mkdir succeeded: not one that
 * appeared meanwhile, nor one that was there).
 */
static int mkdir_tracked(struct configure *c, const char *path)
{
	char *p = xstrdup(path);
	int r = 0;

	for (char *slash = p + 1;; slash++) {
		if (*slash != '/' && *slash)
			continue;
		char save = *slash;
		*slash = 0;
		if (mkdir(p, 0755) == 0)
			strvec_push(&c->made_dirs, p);
		else if (errno != EEXIST)
			r = -errno;
		else if (!is_dir(p))
			r = -ENOTDIR;
		*slash = save;
		if (r || !save)
			break;
	}
	free(p);
	return r;
}

static bool made_out_dir(const struct configure *c)
{
	return c->made_dirs.n && !strcmp(c->made_dirs.v[c->made_dirs.n - 1], c->out_dir);
}

/* Undo mkdir_tracked: OUT whole when made here and OURS (locked), then each parent made here if empty. */
static void remove_made_dirs(struct configure *c, bool ours)
{
	size_t n = c->made_dirs.n;

	if (ours && made_out_dir(c)) {
		rm_rf(c->out_dir);
		n--;
	}
	while (n--)
		rmdir(c->made_dirs.v[n]);	/* not empty: someone else's now */
	strvec_clear(&c->made_dirs);
}

/* The names in OUT now (OUT was there before this run). */
static void snapshot_out_dir(struct configure *c)
{
	DIR *d = opendir(c->out_dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d)))
		strvec_push(&c->before, de->d_name);
	closedir(d);
}

static bool was_there(const struct configure *c, const char *name)
{
	for (size_t i = 0; i < c->before.n; i++)
		if (!strcmp(c->before.v[i], name))
			return true;
	return false;
}

/* Remove OUT's entries this run made (rm_rf: never following a symlink), but the log. */
static void remove_new_entries(struct configure *c)
{
	DIR *d = opendir(c->out_dir);
	struct dirent *de;
	struct strvec gone = STRVEC_INIT;

	if (!c->before.n || !d) {	/* no list of what was there: remove nothing */
		if (d)
			closedir(d);
		return;
	}
	while ((de = readdir(d)))
		if (!was_there(c, de->d_name) && strcmp(de->d_name, "kdebug-config.log"))
			strvec_push(&gone, de->d_name);
	closedir(d);
	for (size_t i = 0; i < gone.n; i++) {
		char *p = path_join(c->out_dir, gone.v[i]);
		rm_rf(p);
		free(p);
	}
	strvec_clear(&gone);
}

static int make_out_dir(struct configure *c, struct sbuf *why)
{
	if (!strcmp(c->out_dir, c->src_dir))
		return bad_input(c, why, -EINVAL, "--out must not be the source tree itself ('%s'): kdebug builds out of tree",
				 c->out_dir);
	if (path_exists(c->out_dir) && !is_dir(c->out_dir))
		return bad_input(c, why, -ENOTDIR, "cannot use '%s' as build directory: it is not a directory",
				 c->out_dir);
	if (!is_dir(c->out_dir)) {
		int r = mkdir_tracked(c, c->out_dir);
		if (r) {
			remove_made_dirs(c, false);
			return bad_input(c, why, r, "cannot create build directory '%s': %s; pass --out with a writable directory",
					 c->out_dir, strerror(-r));
		}
	}
	/* Writable?  (access() says yes to root on a read-only file system.) */
	char *probe = xasprintf("%s/.kdebug-probe-%d", c->out_dir, (int)getpid());
	int r = write_file(probe, "", 0, 0644);
	unlink(probe);
	free(probe);
	if (r)
		return bad_input(c, why, r, "cannot write to build directory '%s': %s; pass --out with a writable directory",
				 c->out_dir, strerror(-r));
	return 0;
}

/* A .config kdebug did not write, or one edited since, is not replaced without force. */
static int check_old_config(struct configure *c, struct sbuf *why)
{
	char *cfg = path_join(c->out_dir, ".config"), *state = path_join(c->out_dir, "kdebug-state");
	bool ours = is_regular(state);
	int r = 0;

	c->had_config = is_regular(cfg);
	if (c->had_config && !ours && !c->force) {
		sbuf_addf(why, "'%s' already has a .config that kdebug did not write; pass --force to replace it, or choose another --out",
			  c->out_dir);
		r = -EEXIST;
	} else if (c->had_config && ours && !c->force) {
		/* Edited since kdebug wrote it (make menuconfig)?  Do not lose that. */
		struct strvec kv = STRVEC_INIT;
		char *now = kbuild_file_hash(cfg);
		kbuild_state_load(c->out_dir, &kv);
		const char *then = kbuild_state_get(&kv, "config_hash");
		if (then && now && strcmp(then, now)) {
			sbuf_addf(why, "'%s/.config' was changed after kdebug config wrote it (make menuconfig?); pass --force to replace it, or save your changes as a fragment for --fragment",
				  c->out_dir);
			r = -EEXIST;
		}
		strvec_clear(&kv);
		free(now);
	}
	if (!r && c->had_config)
		read_file(cfg, &c->old_config);
	free(cfg);
	free(state);
	return r;
}

static int prepare_out_dir(struct configure *c, struct sbuf *why)
{
	c->out_dir = c->out ? abspath(c->out) :
		     xasprintf("%s/build/%s-%s", c->cache, c->source_id, c->prof.name);
	int r = make_out_dir(c, why);
	if (!r)
		r = kbuild_lock(c->out_dir, &c->lockfd, why);
	if (!r && !made_out_dir(c))
		snapshot_out_dir(c);	/* under the lock: no other kdebug writes here */
	if (!r)
		r = check_old_config(c, why);
	return r;
}

/* OUT/kdebug-config.log: what make and merge_config.sh said. */
static void write_log(const struct configure *c)
{
	char *logp = path_join(c->out_dir, "kdebug-config.log");

	write_file_atomic(logp, sbuf_str(&c->log), c->log.len, 0644);
	free(logp);
}

/*
 * Remove only what this run made: a build directory it made (and the
 * parents it made, if empty), or in one that was there the entries that
 * were not, with the previous .config put back; the log stays for a look.
 */
static void undo(struct configure *c)
{
	char *cfg = path_join(c->out_dir, ".config");

	if (made_out_dir(c)) {
		remove_made_dirs(c, true);
	} else {
		remove_new_entries(c);
		write_log(c);
		if (c->had_config)
			write_file_atomic(cfg, c->old_config.buf, c->old_config.len, 0644);
		remove_made_dirs(c, false);
	}
	free(cfg);
}

/* ---- make, merge, verify ---- */

static int make_step(struct configure *c, const char *target, struct sbuf *why)
{
	const char *targets[] = { target, NULL };
	int code = 0;
	size_t from = c->log.len;

	sbuf_addf(&c->log, "# make -C %s O=%s %s\n", c->src_dir, c->out_dir, target);
	int r = kbuild_make_capture(c->src_dir, c->out_dir, c->cc_used, targets, &c->log, &code);
	if (r == -EINTR) {
		sbuf_adds(why, "interrupted");
		return r;
	}
	if (r) {
		sbuf_addf(why, "cannot run make: %s; install make (and gcc, flex, bison, bc)", strerror(-r));
		return r;
	}
	if (code) {
		kbuild_first_errors(c->log.buf + from, 20, &c->make_errors);
		sbuf_addf(why, "'make %s' failed in '%s' (exit %d)", target, c->out_dir, code);
		return -EIO;
	}
	return 0;
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

/* Kernels before 3.2 have no merge_config.sh: merge here. */
static int merge_here(struct configure *c, const char *cfg, struct sbuf *why)
{
	struct kconfig cur = KCONFIG_INIT;
	struct sbuf text = SBUF_INIT;
	int r = kconfig_load(&cur, cfg, NULL, why);

	if (!r) {
		for (size_t i = 0; i < c->req.n; i++)
			kconfig_set(&cur, c->req.v[i].name, c->req.v[i].value, NULL);
		kconfig_format(&cur, &text);
		r = write_file_atomic(cfg, text.buf, text.len, 0644);
		if (r)
			sbuf_addf(why, "cannot write '%s'", cfg);
	}
	kconfig_clear(&cur);
	sbuf_release(&text);
	return r;
}

static int merge_fragment(struct configure *c, const char *fragment, struct sbuf *why)
{
	char *script = path_join(c->src_dir, "scripts/kconfig/merge_config.sh");
	char *cfg = path_join(c->out_dir, ".config");
	int r;

	if (is_regular(script)) {
		const char *argv[] = { "sh", script, "-m", "-O", c->out_dir, cfg, fragment, NULL };
		int code = 0;
		sbuf_addf(&c->log, "# sh %s -m -O %s %s %s\n", script, c->out_dir, cfg, fragment);
		r = run_script(c->out_dir, argv, &c->log, &code);
		if (r || code) {
			sbuf_addf(why, "merge_config.sh failed (%s); see '%s/kdebug-config.log'",
				  r ? strerror(-r) : "non-zero exit", c->out_dir);
			r = r ? r : -EIO;
		}
	} else {
		r = merge_here(c, cfg, why);
	}
	free(script);
	free(cfg);
	return r;
}

void configure_request_text(const struct kconfig *req, const char *base, const char *profile,
			    const char *version, struct sbuf *out)
{
	const char *last = NULL;

	sbuf_addf(out, "# Requested by kdebug config: base '%s', profile %s, Linux %s.\n",
		  base, profile, version);
	sbuf_adds(out, "# Merged into .config with merge_config.sh, then make olddefconfig.\n");
	for (size_t i = 0; i < req->n; i++) {
		const char *origin = req->v[i].origin ? req->v[i].origin : "";
		if (!last || strcmp(last, origin))
			sbuf_addf(out, "\n# from %s\n", *origin ? origin : "elsewhere");
		last = origin;
		struct kconfig one = KCONFIG_INIT;
		kconfig_set(&one, req->v[i].name, req->v[i].value, NULL);
		kconfig_format(&one, out);
		kconfig_clear(&one);
	}
}

/* Base target, the request merged, olddefconfig. */
static int make_config(struct configure *c, struct sbuf *why)
{
	struct sbuf text = SBUF_INIT;
	char *reqfile = path_join(c->out_dir, "kdebug.config");
	int r = make_step(c, c->prof.base, why);

	if (!r) {
		configure_request_text(&c->req, c->prof.base, c->prof.name, c->version, &text);
		write_file_atomic(reqfile, text.buf, text.len, 0644);
		r = merge_fragment(c, reqfile, why);
	}
	if (!r)
		r = make_step(c, "olddefconfig", why);
	sbuf_release(&text);
	free(reqfile);
	return r;
}

static int verify(struct configure *c, struct sbuf *why)
{
	struct kconfig got = KCONFIG_INIT;
	char *cfg = path_join(c->out_dir, ".config");
	int r = kconfig_load(&got, cfg, NULL, why);

	free(cfg);
	if (r)
		return r;
	size_t problems = kconfig_verify(&c->req, &got, &c->db, &c->report);
	kconfig_clear(&got);
	if (problems && !c->force) {
		sbuf_addf(why, "%zu of %zu requested options did not get their value; nothing was changed (pass --force to keep this .config anyway)",
			  problems, c->report.checked);
		return -EDOM;
	}
	return 0;
}

/* ---- the state of the build directory ---- */

static int save_state(struct configure *c, struct sbuf *why)
{
	struct strvec state = STRVEC_INIT;
	char buf[64], *cfgp = path_join(c->out_dir, ".config"), *h = kbuild_file_hash(cfgp);

	kbuild_state_load(c->out_dir, &state);
	kbuild_state_set(&state, "src", c->src_dir);
	kbuild_state_set(&state, "source", c->source);
	kbuild_state_set(&state, "source_id", c->source_id);
	kbuild_state_set(&state, "profile", c->prof.name);
	kbuild_state_set(&state, "profile_file", c->prof.path);
	kbuild_state_set(&state, "version", c->version);
	kbuild_state_set(&state, "cc", c->cc_used ? c->cc_used : "");
	kbuild_state_set(&state, "config_hash", h ? h : "");
	kbuild_state_set_now(&state, "configured");
	if (c->report.n)
		snprintf(buf, sizeof(buf), "forced (%zu problems)", c->report.n);
	else
		snprintf(buf, sizeof(buf), "yes");
	kbuild_state_set(&state, "verified", buf);
	int r = kbuild_state_save(c->out_dir, &state);
	if (r)
		sbuf_addf(why, "cannot write '%s/kdebug-state'", c->out_dir);
	free(h);
	free(cfgp);
	strvec_clear(&state);
	return r;
}

/* The last build of the source (and of the unpacked tree), the log. */
static void remember(struct configure *c)
{
	char *tree_id = kbuild_source_id(c->src_dir);

	kbuild_remember(c->cache, c->source_id, c->out_dir);
	if (strcmp(tree_id, c->source_id))
		kbuild_remember(c->cache, tree_id, c->out_dir);
	write_log(c);
	free(tree_id);
}

/* ---- the pipeline ---- */

/* Everything before the build directory is touched. */
static int prepare(struct configure *c, struct sbuf *why)
{
	int r = kconfig_profile_load(&c->prof, c->profile ? c->profile : "minimal", data_dir(), why);

	if (r) {
		c->bad_input = true;
		return r;
	}
	r = resolve_source(c, why);
	if (!r)
		r = check_clean_tree(c, why);
	if (r)
		return r;
	if (kbuild_tree_version(c->src_dir, &c->version))
		c->version = xstrdup("(unknown version)");
	r = kconfig_db_scan(&c->db, c->src_dir, "x86", why);
	if (r) {
		c->bad_input = true;
		return r;
	}
	return build_request(c, why);
}

int configure_run(struct configure *c, struct sbuf *why)
{
	struct sbuf dummy = SBUF_INIT;
	int r;

	if (!why)
		why = &dummy;
	c->cache = cache_dir();
	r = prepare(c, why);
	if (r)
		goto out;
	r = prepare_out_dir(c, why);
	if (r) {
		/* OUT whole only if made here and locked by us; else what is empty. */
		remove_made_dirs(c, c->lockfd >= 0);
		goto out;
	}
	c->cc_used = c->cc ? xstrdup(c->cc) : kbuild_default_cc();
	r = make_config(c, why);
	if (!r)
		r = verify(c, why);
	if (!r)
		r = save_state(c, why);
	if (r) {
		undo(c);
		goto out;
	}
	remember(c);
out:
	sbuf_release(&dummy);
	return r;
}
