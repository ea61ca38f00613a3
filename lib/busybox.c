// SPDX-License-Identifier: GPL-2.0
/*
 * BusyBox: the system's static binary, a binary the user names, or a build
 * from a source tree/tarball done the tutorial's way and cached.
 */
#include "busybox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "proc.h"
#include "hash.h"
#include "tarball.h"

/* Bump when the build recipe changes: old cache entries are then ignored. */
#define BUSYBOX_RECIPE "kdebug-busybox-build-v1"

/* ---- trees ---- */

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_dots(const struct dirent *d)
{
	return strcmp(d->d_name, ".") && strcmp(d->d_name, "..");
}

/*
 * Identity of a source tree without reading every file: relative names,
 * types, modes, sizes, mtimes and symlink targets, in sorted order.
 */
static int hash_tree(struct hash *c, const char *root, const char *rel)
{
	char *path = *rel ? path_join(root, rel) : xstrdup(root);
	struct dirent **list = NULL;
	struct stat st;
	int n, r = 0;

	if (lstat(path, &st) < 0) {
		r = -errno;
		free(path);
		return r;
	}
	struct sbuf sb = SBUF_INIT;
	sbuf_addf(&sb, "%s %o %lld %lld.%09ld", rel, (unsigned)st.st_mode,
		  (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t l = readlink(path, target, sizeof(target) - 1);
		if (l >= 0)
			sbuf_addf(&sb, " -> %.*s", (int)l, target);
	}
	hash_update_str(c, sb.buf);
	sbuf_release(&sb);
	if (S_ISDIR(st.st_mode)) {
		n = scandir(path, &list, skip_dots, by_name);
		if (n < 0)
			r = -errno;
		for (int i = 0; i < n; i++) {
			if (!r) {
				char *sub = *rel ? path_join(rel, list[i]->d_name)
						 : xstrdup(list[i]->d_name);
				r = hash_tree(c, root, sub);
				free(sub);
			}
			free(list[i]);
		}
		free(list);
	}
	free(path);
	return r;
}

static void set_times(const char *path, const struct stat *st)
{
	struct timespec ts[2] = { st->st_atim, st->st_mtim };
	utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
}

/* cp -a without owners: files, dirs, symlinks; other types are skipped. */
static int copy_tree(const char *src, const char *dst)
{
	struct stat st;
	int r = 0;

	if (lstat(src, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode)) {
		struct dirent **list = NULL;
		if (mkdir(dst, 0700) < 0 && errno != EEXIST)
			return -errno;
		int n = scandir(src, &list, skip_dots, by_name);
		if (n < 0)
			return -errno;
		for (int i = 0; i < n; i++) {
			if (!r) {
				char *s = path_join(src, list[i]->d_name);
				char *d = path_join(dst, list[i]->d_name);
				r = copy_tree(s, d);
				free(s);
				free(d);
			}
			free(list[i]);
		}
		free(list);
		if (!r && chmod(dst, st.st_mode & 07777) < 0)
			r = -errno;
	} else if (S_ISREG(st.st_mode)) {
		r = copy_file(src, dst, 0600);
		if (!r && chmod(dst, st.st_mode & 07777) < 0)
			r = -errno;
	} else if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t l = readlink(src, target, sizeof(target) - 1);
		if (l < 0)
			return -errno;
		target[l] = '\0';
		if (symlink(target, dst) < 0)
			return -errno;
	} else {
		return 0;
	}
	if (!r)
		set_times(dst, &st);
	return r;
}

/* ---- running things ---- */

static int wait_child(struct proc *p)
{
	int r;

	while ((r = proc_wait(p, -1)) == -EINTR) {
		proc_terminate(p, 2000);
		return -EINTR;
	}
	return r;
}

/* Run argv in dir with stdout+stderr appended to logfd; *code = exit status. */
static int run_logged(const char *const *argv, const char *dir, int logfd, int *code)
{
	struct proc p;
	int r;

	if (proc_interrupted())
		return -EINTR;
	proc_init(&p);
	strvec_pushv(&p.args, argv);
	/* An outer make's jobserver and flags must not leak into this build. */
	strvec_pushl(&p.env, "MAKEFLAGS=", "MFLAGS=", "MAKELEVEL=", "LC_ALL=C", NULL);
	p.dir = dir;
	p.in = PROC_NULL;
	p.out = logfd;
	p.err_to_out = true;
	r = proc_start(&p);
	if (!r)
		r = wait_child(&p);
	if (!r)
		*code = proc_exit_code(&p);
	proc_clear(&p);
	return r;
}

int busybox_list_applets(const char *binary, struct sbuf *out, struct sbuf *why)
{
	struct proc p;
	struct sbuf sb = SBUF_INIT;
	long long deadline = now_ms() + 10000;
	int r;

	proc_init(&p);
	strvec_pushl(&p.args, binary, "--list-full", NULL);
	p.in = PROC_NULL;
	p.out = PROC_PIPE;
	p.err = PROC_NULL;
	r = proc_start(&p);
	if (r) {
		sbuf_addf(why, "cannot run '%s': %s", binary, strerror(-r));
		proc_clear(&p);
		return r == -ENOENT ? -EINVAL : r;
	}
	while (p.out_fd >= 0) {
		long long left = deadline - now_ms();
		struct pollfd pfd[2] = {
			{ .fd = p.out_fd, .events = POLLIN },
			{ .fd = proc_signal_fd(), .events = POLLIN },
		};
		if (left <= 0 || proc_interrupted())
			break;
		if (poll(pfd, 2, (int)left) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents) {
			char buf[8192];
			ssize_t n = read(p.out_fd, buf, sizeof(buf));
			if (n > 0 && sb.len < (1u << 20))
				sbuf_add(&sb, buf, (size_t)n);
			else if (n == 0 || (n < 0 && errno != EINTR)) {
				close(p.out_fd);
				p.out_fd = -1;
			}
		}
	}
	if (p.out_fd >= 0) {
		proc_terminate(&p, 500);
		sbuf_addf(why, proc_interrupted() ? "interrupted while running '%s --list-full'"
			  : "'%s --list-full' did not finish in 10 s; is it BusyBox?", binary);
		r = proc_interrupted() ? -EINTR : -EINVAL;
	} else {
		r = wait_child(&p);
		if (!r && proc_exit_code(&p) != 0) {
			sbuf_addf(why, "'%s --list-full' failed (exit %d); is it BusyBox?",
				  binary, proc_exit_code(&p));
			r = -EINVAL;
		} else if (!r && !sb.len) {
			sbuf_addf(why, "'%s --list-full' listed no applets; is it BusyBox?", binary);
			r = -EINVAL;
		}
	}
	proc_clear(&p);
	if (!r) {
		sbuf_release(out);
		*out = sb;
	} else {
		sbuf_release(&sb);
	}
	return r;
}

/* ---- source build ---- */

static void progress(const struct busybox_opts *o, const char *fmt, ...) PRINTF(2, 3);
static void progress(const struct busybox_opts *o, const char *fmt, ...)
{
	struct sbuf sb = SBUF_INIT;
	va_list ap;

	if (!o->progress)
		return;
	va_start(ap, fmt);
	sbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	o->progress(o->progress_arg, sb.buf);
	sbuf_release(&sb);
}

/* Turn on CONFIG_<name>=y in .config, replacing "# ... is not set" or "=n". */
static void config_enable(struct sbuf *cfg, const char *name)
{
	struct sbuf out = SBUF_INIT;
	char *on = xasprintf("CONFIG_%s=", name);
	char *off = xasprintf("# CONFIG_%s is not set", name);
	bool done = false;

	for (const char *p = sbuf_str(cfg); *p;) {
		const char *end = strchrnul(p, '\n');
		size_t len = (size_t)(end - p);
		if ((len >= strlen(on) && !strncmp(p, on, strlen(on))) ||
		    (len == strlen(off) && !strncmp(p, off, len))) {
			if (!done)
				sbuf_addf(&out, "CONFIG_%s=y\n", name);
			done = true;
		} else {
			sbuf_add(&out, p, len);
			sbuf_addch(&out, '\n');
		}
		p = *end ? end + 1 : end;
	}
	if (!done)
		sbuf_addf(&out, "CONFIG_%s=y\n", name);
	sbuf_release(cfg);
	*cfg = out;
	free(on);
	free(off);
}

static void cleanup_rm_rf(void *arg)
{
	rm_rf(arg);
}

/*
 * The line of a build log that says what went wrong: the last compiler
 * style "error:" line, else the last non-empty line.
 */
static char *log_tail(const char *log)
{
	struct sbuf sb = SBUF_INIT;
	const char *best = NULL, *last = NULL;
	size_t best_len = 0, last_len = 0;

	if (read_file(log, &sb) < 0)
		return xstrdup("");
	for (const char *p = sbuf_str(&sb); *p;) {
		const char *end = strchrnul(p, '\n');
		size_t len = (size_t)(end - p);
		char *line = xstrndup(p, len);
		if (len) {
			last = p;
			last_len = len;
			/* gcc: "file.c:1:2: error: ..."; make: "make: *** ... Error 1" */
			if (strstr(line, "error:") && !str_starts_with(line, "make"))
				best = p, best_len = len;
		}
		free(line);
		p = *end ? end + 1 : end;
	}
	char *r = best ? xstrndup(best, best_len) : last ? xstrndup(last, last_len) : xstrdup("");
	sbuf_release(&sb);
	if (strlen(r) > 200)
		r[200] = '\0';
	return r;
}

/* The directory of an unpacked tarball that holds the Makefile. */
static char *source_top(const char *dir)
{
	char *mk = path_join(dir, "Makefile");
	struct dirent **list = NULL;
	char *top = NULL;
	int n;

	if (is_regular(mk)) {
		free(mk);
		return xstrdup(dir);
	}
	free(mk);
	n = scandir(dir, &list, skip_dots, by_name);
	if (n == 1) {
		char *sub = path_join(dir, list[0]->d_name);
		mk = path_join(sub, "Makefile");
		if (is_dir(sub) && is_regular(mk))
			top = sub;
		else
			free(sub);
		free(mk);
	}
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
	return top;
}

/* The cache key of a source: the recipe and the tarball's bytes or the tree's identity. */
static int source_key(const char *spec, bool tarball, char key[33], struct sbuf *why)
{
	struct hash c;
	int r;

	hash_init(&c);
	hash_update_str(&c, BUSYBOX_RECIPE);
	if (tarball) {
		hash_update_str(&c, "tarball");
		r = hash_update_file(&c, spec);
	} else {
		hash_update_str(&c, "tree");
		r = hash_tree(&c, spec, "");
	}
	if (r) {
		sbuf_addf(why, "cannot read '%s': %s", spec, strerror(-r));
		return -EINVAL;
	}
	hash_final_hex(&c, key, 32);	/* 128 bits name a cache entry well enough */
	return 0;
}

/* Unpack or copy the source into SRC; *top: the directory with its Makefile. */
static int source_get(const struct busybox_opts *o, const char *spec, bool tarball,
		      const char *src, char **top, struct sbuf *why)
{
	int r;

	if (tarball) {
		progress(o, "unpacking '%s'", spec);
		if (mkdir(src, 0755) < 0) {
			r = -errno;
			sbuf_addf(why, "cannot create '%s': %s", src, strerror(-r));
			return r;
		}
		r = tarball_extract(spec, src, why);
		if (r)
			return r;
	} else {
		r = copy_tree(spec, src);
		if (r) {
			sbuf_addf(why, "cannot copy '%s' to '%s': %s", spec, src, strerror(-r));
			return r;
		}
	}
	*top = source_top(src);
	if (!*top) {
		sbuf_addf(why, "'%s' does not look like a BusyBox source tree (no Makefile)", spec);
		return -EINVAL;
	}
	return 0;
}

/* menuconfig's "Build static binary" and "Don't use /usr", after make defconfig. */
static int config_static(const char *top, struct sbuf *why)
{
	struct sbuf cfg = SBUF_INIT;
	char *cfgpath = path_join(top, ".config");
	int r = read_file(cfgpath, &cfg);

	if (!r) {
		config_enable(&cfg, "STATIC");
		config_enable(&cfg, "INSTALL_NO_USR");
		r = write_file(cfgpath, cfg.buf, cfg.len, 0644);
	}
	if (r)
		sbuf_addf(why, "cannot update '%s' after 'make defconfig': %s",
			  cfgpath, strerror(-r));
	free(cfgpath);
	sbuf_release(&cfg);
	return r;
}

/* A work directory of a build: its source, install prefix and log. */
struct bb_work {
	const char *spec;
	char *src, *top, *prefix;
	char *log, *keep_log;	/* the log, and where it is kept after a failure */
	int logfd;
};

/* One step of the recipe, logged; a failure is described with the log's tail. */
static int run_step(const struct bb_work *w, const char *const *argv, struct sbuf *why)
{
	struct strvec sv = STRVEC_INIT;
	int code = 0, r;

	strvec_pushv(&sv, argv);
	char *cmd = strvec_join_shell(&sv);
	strvec_clear(&sv);
	dprintf(w->logfd, "$ %s\n", cmd);
	r = run_logged(argv, w->top, w->logfd, &code);
	if (r == -ENOENT) {
		sbuf_addf(why, "cannot run 'make': not found; install make and gcc "
			  "(Debian: build-essential) to build BusyBox");
	} else if (r == -EINTR) {
		sbuf_addf(why, "interrupted while running '%s'", cmd);
	} else if (r) {
		sbuf_addf(why, "cannot run '%s': %s", cmd, strerror(-r));
	} else if (code) {
		char *tail = log_tail(w->log);
		sbuf_addf(why, "building BusyBox failed: '%s' exited with status %d: %s "
			  "(full log: %s)", cmd, code, tail, w->keep_log);
		free(tail);
		r = -EIO;
	}
	free(cmd);
	return r;
}

/* The tutorial's steps, in its order, then the check that the result is static. */
static int run_recipe(const struct busybox_opts *o, const struct bb_work *w, struct sbuf *why)
{
	long jobs = o->jobs > 0 ? o->jobs : sysconf(_SC_NPROCESSORS_ONLN);
	char jflag[32], prefix_arg[PATH_MAX + 32];
	int r;

	if (jobs < 1)
		jobs = 1;
	progress(o, "building BusyBox from '%s' (make defconfig, CONFIG_STATIC=y, "
		 "make -j%ld, make install)", w->spec, jobs);
	snprintf(jflag, sizeof(jflag), "-j%ld", jobs);
	if ((size_t)snprintf(prefix_arg, sizeof(prefix_arg), "CONFIG_PREFIX=%s", w->prefix) >=
	    sizeof(prefix_arg)) {
		sbuf_addf(why, "path too long: '%s'", w->prefix);
		return -ENAMETOOLONG;
	}
	const char *const defconfig[] = { "make", "defconfig", NULL };
	const char *const all[] = { "make", jflag, NULL };
	const char *const install[] = { "make", "install", prefix_arg, NULL };
	r = run_step(w, defconfig, why);
	if (!r)
		r = config_static(w->top, why);
	if (!r)
		r = run_step(w, all, why);
	if (!r)
		r = run_step(w, install, why);
	if (r)
		return r;

	char *inst = path_join(w->prefix, "bin/busybox");
	struct sbuf ewhy = SBUF_INIT;
	r = elf_check_static(inst, &ewhy);
	if (r)
		sbuf_addf(why, "building BusyBox from '%s' did not give a static binary: %s "
			  "(full log: %s)", w->spec, ewhy.buf, w->keep_log);
	sbuf_release(&ewhy);
	free(inst);
	return r ? -EIO : 0;
}

/* Build in the fresh directory TMP: source, recipe; the build tree is then removed. */
static int build_in(const struct busybox_opts *o, const char *spec, bool tarball,
		    const char *tmp, const char *keep_log, struct sbuf *why)
{
	struct bb_work w = { .spec = spec, .keep_log = (char *)keep_log, .logfd = -1 };
	int r;

	w.src = path_join(tmp, "src");
	w.prefix = path_join(tmp, "install");
	w.log = path_join(tmp, "build.log");
	w.logfd = open(w.log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (w.logfd < 0) {
		r = -errno;
		sbuf_addf(why, "cannot create '%s': %s", w.log, strerror(-r));
	} else {
		r = source_get(o, spec, tarball, w.src, &w.top, why);
		if (!r)
			r = run_recipe(o, &w, why);
		close(w.logfd);
	}
	if (r && w.logfd >= 0)
		rename(w.log, keep_log);	/* the log outlives a failure */
	if (!r)
		rm_rf(w.src);	/* keep the installed tree and the log */
	free(w.src);
	free(w.top);
	free(w.prefix);
	free(w.log);
	return r;
}

static int build(const struct busybox_opts *o, const char *spec, bool tarball,
		 char **binary, bool *built, struct sbuf *why)
{
	char key[33];
	char *cache = cache_dir(), *bbdir = path_join(cache, "busybox");
	char *final = NULL, *result = NULL, *lockpath = NULL, *tmp = NULL, *keep_log = NULL;
	int lock = -1, r;
	bool cached = false;

	r = source_key(spec, tarball, key, why);
	if (r)
		goto out;
	final = xasprintf("%s/%s", bbdir, key);
	result = xasprintf("%s/install/bin/busybox", final);
	lockpath = xasprintf("%s/%s.lock", bbdir, key);
	keep_log = xasprintf("%s/%s.log", bbdir, key);
	r = mkdir_p(bbdir, 0755);
	if (r) {
		sbuf_addf(why, "cannot create '%s': %s", bbdir, strerror(-r));
		goto out;
	}
	lock = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (lock < 0 || flock(lock, LOCK_EX) < 0) {
		r = -errno;
		sbuf_addf(why, "cannot lock '%s': %s", lockpath, strerror(-r));
		goto out;
	}
	cached = is_executable(result);
	if (cached)
		goto done;
	/* A half-made entry from a crash: start over. */
	rm_rf(final);

	tmp = xasprintf("%s/%s.tmp.XXXXXX", bbdir, key);
	if (!mkdtemp(tmp)) {
		r = -errno;
		sbuf_addf(why, "cannot create '%s': %s", tmp, strerror(-r));
		goto out;
	}
	cleanup_push(cleanup_rm_rf, tmp);
	r = build_in(o, spec, tarball, tmp, keep_log, why);
	if (!r && rename(tmp, final) < 0) {
		r = -errno;
		sbuf_addf(why, "cannot rename '%s' to '%s': %s", tmp, final, strerror(-r));
		char *log = path_join(tmp, "build.log");
		rename(log, keep_log);
		free(log);
	}
	if (r)
		rm_rf(tmp);
	else
		unlink(keep_log);
	cleanup_pop(cleanup_rm_rf, tmp);
	if (r)
		goto out;
done:
	*binary = result;
	result = NULL;
	if (built)
		*built = !cached;
out:
	if (lock >= 0)
		close(lock);
	free(cache);
	free(bbdir);
	free(final);
	free(result);
	free(lockpath);
	free(tmp);
	free(keep_log);
	return r;
}

int busybox_resolve(const struct busybox_opts *o, char **binary, bool *built,
		    struct sbuf *why)
{
	const char *spec = o->spec ? o->spec : BUSYBOX_SYSTEM;
	struct stat st;
	int r;

	if (built)
		*built = false;
	if (stat(spec, &st) < 0) {
		r = -errno;
		if (!o->spec)
			sbuf_addf(why, "no BusyBox at '%s'; install busybox-static, or pass "
				  "--busybox FILE|SRC-DIR|TARBALL", spec);
		else
			sbuf_addf(why, "cannot use --busybox '%s': %s", spec, strerror(-r));
		return -EINVAL;
	}
	char *abs = abspath(spec);
	if (S_ISDIR(st.st_mode)) {
		r = build(o, abs, false, binary, built, why);
		free(abs);
		return r;
	}
	if (!S_ISREG(st.st_mode)) {
		sbuf_addf(why, "'%s' is neither a BusyBox binary, a source directory nor a tarball",
			  spec);
		free(abs);
		return -EINVAL;
	}
	/* ELF or not decides binary versus tarball. */
	bool elf = elf_is_elf(abs);
	if (!elf && tarball_is_archive(abs)) {
		r = build(o, abs, true, binary, built, why);
		free(abs);
		return r;
	}
	struct sbuf ewhy = SBUF_INIT;
	r = elf_check_static(spec, &ewhy);
	if (r == -ENOEXEC && !elf)
		sbuf_addf(why, "'%s' is neither an x86_64 ELF executable nor a source tarball",
			  spec);
	else if (r)
		sbuf_adds(why, ewhy.buf);
	sbuf_release(&ewhy);
	if (r) {
		free(abs);
		return -EINVAL;
	}
	*binary = abs;
	return 0;
}
