// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel sources, build directories, make, and the artifacts of a build.
 * See kbuild.h.
 */
#include "kbuild.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hash.h"
#include "kconfig.h"
#include "meta.h"
#include "proc.h"
#include "qemu.h"
#include "tarball.h"

/* ---- sources ---- */

static bool has(const char *dir, const char *name, bool want_dir)
{
	char *p = path_join(dir, name);
	bool r = want_dir ? is_dir(p) : is_regular(p);
	free(p);
	return r;
}

bool kbuild_is_tree(const char *dir)
{
	return is_dir(dir) && has(dir, "Makefile", false) && has(dir, "Kconfig", false) &&
	       has(dir, "arch/x86", true);
}

static const char *const tar_suffixes[] = {
	".tar.xz", ".tar.gz", ".tar.bz2", ".tar.zst", ".tgz", ".txz", ".tar",
};

bool kbuild_is_tarball_name(const char *path)
{
	for (size_t i = 0; i < ARRAY_SIZE(tar_suffixes); i++)
		if (str_ends_with(path, tar_suffixes[i]))
			return true;
	return false;
}

char *kbuild_source_id(const char *path)
{
	char *abs = abspath(path);
	struct stat st;
	struct sbuf key = SBUF_INIT;
	const char *base = path_basename(abs);
	size_t len = strlen(base);
	char *id;

	sbuf_adds(&key, abs);
	if (stat(abs, &st) == 0 && S_ISREG(st.st_mode)) {
		sbuf_addf(&key, "\n%lld\n%lld", (long long)st.st_size, (long long)st.st_mtime);
		for (size_t i = 0; i < ARRAY_SIZE(tar_suffixes); i++)
			if (str_ends_with(base, tar_suffixes[i]) && len > strlen(tar_suffixes[i])) {
				len -= strlen(tar_suffixes[i]);
				break;
			}
	}
	if (!len) {
		base = "root";
		len = 4;
	}
	struct sbuf name = SBUF_INIT;
	for (size_t i = 0; i < len; i++)
		sbuf_addch(&name, isalnum((unsigned char)base[i]) || strchr("._-+", base[i]) ? base[i] : '_');
	id = xasprintf("%s-%08x", name.buf, hash_str32(key.buf));
	sbuf_release(&name);
	sbuf_release(&key);
	free(abs);
	return id;
}

int kbuild_tree_version(const char *src, char **version)
{
	char *mk = path_join(src, "Makefile");
	struct sbuf text = SBUF_INIT;
	char *fields[4] = { NULL, NULL, NULL, NULL };
	static const char *const keys[4] = { "VERSION", "PATCHLEVEL", "SUBLEVEL", "EXTRAVERSION" };
	int r = read_file_max(mk, &text, 1 << 16);

	free(mk);
	if (r) {
		sbuf_release(&text);
		return r;
	}
	for (const char *p = text.buf; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		for (int k = 0; k < 4; k++) {
			size_t kl = strlen(keys[k]);
			if (!fields[k] && len > kl && !strncmp(p, keys[k], kl) &&
			    (p[kl] == ' ' || p[kl] == '=')) {
				const char *v = memchr(p, '=', len);
				if (!v)
					continue;
				v++;
				while (*v == ' ' || *v == '\t')
					v++;
				const char *e = p + len;
				while (e > v && isspace((unsigned char)e[-1]))
					e--;
				fields[k] = xstrndup(v, (size_t)(e - v));
			}
		}
		p = nl ? nl + 1 : NULL;
	}
	sbuf_release(&text);
	if (!fields[0] || !fields[1] || !*fields[0]) {
		for (int k = 0; k < 4; k++)
			free(fields[k]);
		return -EINVAL;
	}
	*version = xasprintf("%s.%s%s%s%s", fields[0], fields[1],
			     fields[2] && *fields[2] ? "." : "", fields[2] ? fields[2] : "",
			     fields[3] ? fields[3] : "");
	for (int k = 0; k < 4; k++)
		free(fields[k]);
	return 0;
}

static void rm_tmp_cleanup(void *arg)
{
	rm_rf(arg);
}

/* The single top-level directory of an unpacked archive, or dir itself. */
static char *unpacked_root(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char *only = NULL;
	int n = 0;

	if (!d)
		return xstrdup(dir);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		n++;
		free(only);
		only = xstrdup(de->d_name);
	}
	closedir(d);
	if (n == 1) {
		char *p = path_join(dir, only);
		free(only);
		if (is_dir(p))
			return p;
		free(p);
		return xstrdup(dir);
	}
	free(only);
	return xstrdup(dir);
}

int kbuild_unpack(const char *tarball, const char *cache, char **tree, bool *unpacked,
		  struct sbuf *why)
{
	struct sbuf dummy = SBUF_INIT;
	char *id = kbuild_source_id(tarball);
	char *srcdir = path_join(cache, "src");
	char *final = path_join(srcdir, id);
	char *tmp = NULL, *root = NULL;
	int r;

	if (!why)
		why = &dummy;
	if (kbuild_is_tree(final)) {
		*tree = final;
		*unpacked = false;
		r = 0;
		goto out;
	}
	if (!is_regular(tarball)) {
		sbuf_addf(why, "cannot open '%s': %s", tarball,
			  path_exists(tarball) ? "not a regular file" : strerror(ENOENT));
		r = -ENOENT;
		goto fail;
	}
	r = mkdir_p(srcdir, 0755);
	if (r) {
		sbuf_addf(why, "cannot create '%s': %s", srcdir, strerror(-r));
		goto fail;
	}
	tmp = xasprintf("%s/.tmp-%s-%d", srcdir, id, (int)getpid());
	rm_rf(tmp);
	if (mkdir(tmp, 0755) < 0) {
		r = -errno;
		sbuf_addf(why, "cannot create '%s': %s", tmp, strerror(errno));
		goto fail;
	}
	cleanup_push(rm_tmp_cleanup, tmp);
	r = tarball_extract(tarball, tmp, why);
	if (!r) {
		root = unpacked_root(tmp);
		if (!kbuild_is_tree(root)) {
			sbuf_addf(why, "'%s' does not contain a kernel tree (no Makefile, Kconfig and arch/x86 at its top)",
				  tarball);
			r = -EINVAL;
		}
	}
	if (!r && rename(root, final) < 0) {
		r = -errno;
		if (kbuild_is_tree(final))	/* someone else was faster */
			r = 0;
		else
			sbuf_addf(why, "cannot move the unpacked tree to '%s': %s", final, strerror(-r));
	}
	rm_rf(tmp);
	cleanup_pop(rm_tmp_cleanup, tmp);
	if (r)
		goto fail;
	*tree = final;
	*unpacked = true;
	goto out;
fail:
	free(final);
out:
	free(root);
	free(tmp);
	free(srcdir);
	free(id);
	sbuf_release(&dummy);
	return r;
}

/* ---- state ---- */

/*
 * An older kdebug's key=value kdebug-state, read once so that existing build
 * directories (the test suite's cached kernel among them) keep their source
 * and compiler; the next save writes the meta format.  config_hash is left
 * out: it was computed with another hash.
 */
static int state_load_legacy(const char *path, struct strvec *kv)
{
	struct sbuf text = SBUF_INIT;
	int r = read_file_max(path, &text, 1 << 20);

	for (const char *s = text.buf; !r && s && *s;) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		if (len && s[0] != '#' && memchr(s, '=', len) && strncmp(s, "config_hash=", 12))
			strvec_pushf(kv, "%.*s", (int)len, s);
		s = nl ? nl + 1 : NULL;
	}
	sbuf_release(&text);
	return r;
}

int kbuild_state_load(const char *out, struct strvec *kv)
{
	char *p = path_join(out, "kdebug-state");
	json_t *o = NULL;
	int r = meta_read(p, &o);
	const char *key;
	json_t *v;

	if (r == -EINVAL)
		r = state_load_legacy(p, kv);
	free(p);
	if (r || !o)
		return r;
	json_object_foreach(o, key, v)
		if (json_is_string(v) && strcmp(key, "version"))
			strvec_pushf(kv, "%s=%s", key, json_string_value(v));
	json_decref(o);
	return 0;
}

const char *kbuild_state_get(const struct strvec *kv, const char *key)
{
	size_t kl = strlen(key);
	for (size_t i = kv->n; i-- > 0;)
		if (!strncmp(kv->v[i], key, kl) && kv->v[i][kl] == '=')
			return kv->v[i] + kl + 1;
	return NULL;
}

void kbuild_state_set(struct strvec *kv, const char *key, const char *value)
{
	size_t kl = strlen(key);
	char *line = xasprintf("%s=%s", key, value ? value : "");

	for (char *p = line; *p; p++)
		if (*p == '\n')
			*p = ' ';
	for (size_t i = 0; i < kv->n; i++)
		if (!strncmp(kv->v[i], key, kl) && kv->v[i][kl] == '=') {
			free(kv->v[i]);
			kv->v[i] = line;
			return;
		}
	strvec_push(kv, line);
	free(line);
}

void kbuild_state_set_now(struct strvec *kv, const char *key)
{
	char buf[64];
	time_t t = time(NULL);

	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S%z", localtime(&t));
	kbuild_state_set(kv, key, buf);
}

int kbuild_state_save(const char *out, const struct strvec *kv)
{
	json_t *o = json_object();
	char *p = path_join(out, "kdebug-state");
	int r = 0;

	for (size_t i = 0; i < kv->n && !r; i++) {
		const char *eq = strchr(kv->v[i], '=');
		char *key = xstrndup(kv->v[i], (size_t)(eq - kv->v[i]));
		json_t *v = json_string(eq + 1);
		if (!v)
			r = -EILSEQ;	/* not UTF-8 */
		else
			json_object_set_new(o, key, v);
		free(key);
	}
	if (!r)
		r = meta_write_atomic(p, o, 0644);
	json_decref(o);
	free(p);
	return r;
}

static int write_last(const char *path, const char *out)
{
	json_t *o = json_pack("{s:s?}", "build_dir", out);
	int r = o ? meta_write_atomic(path, o, 0644) : -EILSEQ;

	json_decref(o);
	return r;
}

int kbuild_remember(const char *cache, const char *source_id, const char *out)
{
	char *p = path_join(cache, "last-build");
	int r = mkdir_p(cache, 0755);

	if (!r)
		r = write_last(p, out);
	free(p);
	if (!r && source_id) {
		char *d = path_join(cache, "last-build.d");
		r = mkdir_p(d, 0755);
		p = path_join(d, source_id);
		if (!r)
			r = write_last(p, out);
		free(p);
		free(d);
	}
	return r;
}

static char *read_line_file(const char *path)
{
	struct sbuf sb = SBUF_INIT;
	if (read_file_max(path, &sb, 8192)) {
		sbuf_release(&sb);
		return NULL;
	}
	sbuf_rtrim(&sb);
	if (!sb.len) {
		sbuf_release(&sb);
		return NULL;
	}
	return sbuf_detach(&sb);
}

char *kbuild_last(const char *cache, const char *source_id)
{
	char *p = source_id ? xasprintf("%s/last-build.d/%s", cache, source_id) :
			      path_join(cache, "last-build");
	const char *dir;
	char *r = NULL;
	json_t *o;

	if (!meta_read(p, &o)) {
		dir = meta_str(o, "build_dir");
		if (dir && *dir)
			r = xstrdup(dir);
		json_decref(o);
	}
	free(p);
	return r;
}

unsigned long kbuild_stats_get(const char *cache, const char *key)
{
	char *p = path_join(cache, "build-stats");
	unsigned long r = 0;
	json_t *o;

	if (!meta_read(p, &o)) {
		json_int_t n = json_integer_value(json_object_get(json_object_get(o, "objects"), key));
		r = n > 0 ? (unsigned long)n : 0;
		json_decref(o);
	}
	free(p);
	return r;
}

int kbuild_stats_put(const char *cache, const char *key, unsigned long objects)
{
	char *p = path_join(cache, "build-stats");
	json_t *o = NULL, *objs;
	int r;

	if (meta_read(p, &o))
		o = json_object();
	objs = json_object_get(o, "objects");
	if (!json_is_object(objs)) {
		objs = json_object();
		json_object_set_new(o, "objects", objs);
	}
	json_object_set_new(objs, key, json_integer((json_int_t)objects));
	r = mkdir_p(cache, 0755);
	if (!r)
		r = meta_write_atomic(p, o, 0644);
	json_decref(o);
	free(p);
	return r;
}

char *kbuild_file_hash(const char *path)
{
	struct hash h;
	char hex[17];

	hash_init(&h);
	if (hash_update_file(&h, path))
		return NULL;
	hash_final_hex(&h, hex, 16);
	return xstrdup(hex);
}

char *kbuild_default_cc(void)
{
	char *ccache = find_in_path("ccache");
	if (!ccache)
		return NULL;
	free(ccache);
	return xstrdup("ccache gcc");
}

int kbuild_lock(const char *out, int *fd, struct sbuf *why)
{
	char *p = path_join(out, ".kdebug-build.lock");
	int lfd = open(p, O_RDWR | O_CREAT | O_CLOEXEC, 0644), r = 0;

	free(p);
	if (lfd < 0) {
		r = -errno;
		if (why)
			sbuf_addf(why, "cannot write to '%s': %s", out, strerror(errno));
		return r;
	}
	if (flock(lfd, LOCK_EX | LOCK_NB) < 0) {
		r = errno == EWOULDBLOCK ? -EBUSY : -errno;
		if (why)
			sbuf_addf(why, "another kdebug build or config is running in '%s'; wait for it to finish",
				  out);
		close(lfd);
		return r;
	}
	*fd = lfd;
	return 0;
}

/* ---- build statistics ---- */

char *kbuild_stats_key(const char *profile, const char *version)
{
	char *key = xasprintf("%s/%s", profile ? profile : "custom", version ? version : "unknown");

	for (char *p = key; *p; p++)
		if (*p == ' ')
			*p = '_';
	return key;
}

/* ---- progress ---- */

bool kbuild_progress_line(struct kbuild_progress *p, const char *line)
{
	if (strncmp(line, "  CC ", 5))
		return false;
	p->done++;
	return true;
}

int kbuild_progress_percent(const struct kbuild_progress *p)
{
	if (!p->total)
		return -1;
	unsigned long pct = p->done * 100 / p->total;
	return pct > 99 ? 99 : (int)pct;
}

long long kbuild_progress_eta_ms(const struct kbuild_progress *p)
{
	long long elapsed = p->now_ms - p->start_ms;

	if (!p->total || p->done < 10 || elapsed <= 0)
		return -1;
	if (p->done >= p->total)
		return 0;
	return (long long)((double)elapsed * (double)(p->total - p->done) / (double)p->done);
}

void kbuild_format_duration(long long ms, struct sbuf *out)
{
	long long s = ms < 0 ? 0 : ms / 1000;
	if (s >= 3600)
		sbuf_addf(out, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
	else
		sbuf_addf(out, "%lld:%02lld", s / 60, s % 60);
}

void kbuild_progress_format(const struct kbuild_progress *p, bool bar, int width, struct sbuf *out)
{
	struct sbuf tail = SBUF_INIT;
	int pct = kbuild_progress_percent(p);
	long long eta = kbuild_progress_eta_ms(p);

	if (pct >= 0)
		sbuf_addf(&tail, "%3d%%  %lu/%lu objects  ", pct, p->done, p->total);
	else
		sbuf_addf(&tail, "%lu objects  ", p->done);
	kbuild_format_duration(p->now_ms - p->start_ms, &tail);
	sbuf_adds(&tail, " elapsed");
	if (eta >= 0) {
		sbuf_adds(&tail, "  ~");
		kbuild_format_duration(eta, &tail);
		sbuf_adds(&tail, " left");
	}
	if (!bar) {
		if (pct >= 0) {
			sbuf_addf(out, "%d%% (%lu/%lu objects, ", pct, p->done, p->total);
		} else {
			sbuf_addf(out, "%lu objects (", p->done);
		}
		kbuild_format_duration(p->now_ms - p->start_ms, out);
		sbuf_adds(out, " elapsed");
		if (eta >= 0) {
			sbuf_adds(out, ", ~");
			kbuild_format_duration(eta, out);
			sbuf_adds(out, " left");
		}
		sbuf_adds(out, ")");
		sbuf_release(&tail);
		return;
	}
	int barw = width - (int)tail.len - 3;
	if (pct >= 0 && barw >= 10) {
		if (barw > 40)
			barw = 40;
		int fill = pct * barw / 100;
		sbuf_addch(out, '[');
		for (int i = 0; i < barw; i++)
			sbuf_addch(out, i < fill ? '=' : i == fill ? '>' : ' ');
		sbuf_adds(out, "] ");
	}
	sbuf_adds(out, tail.buf);
	sbuf_release(&tail);
}

unsigned long kbuild_count_objects(const char *log)
{
	struct kbuild_progress p = { 0 };
	for (const char *s = log; s && *s;) {
		kbuild_progress_line(&p, s);
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	return p.done;
}

static bool is_error_line(const char *s, size_t len)
{
	static const char *const marks[] = {
		"error:", "Error:", "undefined reference to", "*** ",
	};
	for (size_t i = 0; i < ARRAY_SIZE(marks); i++)
		if (memmem(s, len, marks[i], strlen(marks[i])))
			return true;
	return false;
}

void kbuild_first_errors(const char *log, size_t max_lines, struct sbuf *out)
{
	struct { const char *s; size_t len; } *lines = NULL;
	size_t n = 0, alloc = 0, shown = 0;
	bool *show;

	for (const char *s = log; s && *s;) {
		const char *nl = strchr(s, '\n');
		if (n == alloc) {
			alloc = alloc ? 2 * alloc : 1024;
			lines = xrealloc(lines, alloc * sizeof(*lines));
		}
		lines[n].s = s;
		lines[n].len = nl ? (size_t)(nl - s) : strlen(s);
		n++;
		s = nl ? nl + 1 : NULL;
	}
	show = xcalloc(n + 1, sizeof(*show));
	/* Compiler errors first ("error:"), make's "***" only when there are none. */
	size_t sites = 0;
	for (int pass = 0; pass < 2 && !sites; pass++)
		for (size_t i = 0; i < n && sites < 3; i++) {
			bool err = pass == 0 ?
				(memmem(lines[i].s, lines[i].len, "error:", 6) ||
				 memmem(lines[i].s, lines[i].len, "Error:", 6) ||
				 memmem(lines[i].s, lines[i].len, "undefined reference to", 22)) :
				is_error_line(lines[i].s, lines[i].len);
			if (!err || show[i])
				continue;
			sites++;
			size_t from = i >= 2 ? i - 2 : 0, to = i + 4 < n ? i + 4 : n - 1;
			for (size_t k = from; k <= to; k++)
				show[k] = true;
		}
	if (!sites) {
		size_t from = n > max_lines ? n - max_lines : 0;
		for (size_t k = from; k < n; k++)
			show[k] = true;
	}
	for (size_t i = 0; i < n && shown < max_lines; i++) {
		if (!show[i])
			continue;
		if (i > 0 && !show[i - 1] && shown)
			sbuf_adds(out, "...\n");
		sbuf_add(out, lines[i].s, lines[i].len);
		sbuf_addch(out, '\n');
		shown++;
	}
	free(show);
	free(lines);
}

struct feed {
	struct kbuild_progress *p;
	bool counted;
};

static void feed_line(void *arg, char *line)
{
	struct feed *f = arg;
	if (kbuild_progress_line(f->p, line))
		f->counted = true;
}

bool kbuild_progress_feed(struct kbuild_progress *p, struct sbuf *partial,
			  const char *data, size_t n)
{
	struct feed f = { .p = p, .counted = false };

	sbuf_feed_lines(partial, data, n, feed_line, &f);
	return f.counted;
}

/* ---- make ---- */

static void make_args(struct strvec *args, const char *src, const char *out, const char *cc,
		      unsigned jobs, const char *const *targets)
{
	strvec_push(args, "make");
	strvec_pushf(args, "-C%s", src);
	strvec_pushf(args, "O=%s", out);
	if (jobs)
		strvec_pushf(args, "-j%u", jobs);
	if (cc && *cc)
		strvec_pushf(args, "CC=%s", cc);
	for (size_t i = 0; targets && targets[i]; i++)
		strvec_push(args, targets[i]);
}

int kbuild_make_run(struct kbuild_make *m, int *code, struct sbuf *why)
{
	struct proc p;
	struct sbuf partial = SBUF_INIT;
	unsigned jobs = m->jobs;
	int r, logfd;

	if (!jobs) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		jobs = n > 0 ? (unsigned)n : 1;
	}
	logfd = open(m->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (logfd < 0) {
		r = -errno;
		if (why)
			sbuf_addf(why, "cannot write '%s': %s", m->log, strerror(errno));
		return r;
	}
	proc_init(&p);
	make_args(&p.args, m->src, m->out, m->cc, jobs, m->targets);
	strvec_push(&p.env, "LC_ALL=C");
	p.in = PROC_NULL;
	p.out = PROC_PIPE;
	p.err_to_out = true;
	{
		char *cmd = strvec_join_shell(&p.args);
		struct sbuf head = SBUF_INIT;
		sbuf_addf(&head, "# %s\n", cmd);
		(void)write_all(logfd, head.buf, head.len);
		sbuf_release(&head);
		free(cmd);
	}
	r = proc_start(&p);
	if (r) {
		if (why)
			sbuf_addf(why, "cannot run make: %s", strerror(-r));
		goto out;
	}
	m->progress.start_ms = m->progress.now_ms = now_ms();
	long long last_tick = m->progress.start_ms;
	while (p.out_fd >= 0) {
		struct pollfd pfd[2] = {
			{ .fd = p.out_fd, .events = POLLIN },
			{ .fd = proc_signal_fd(), .events = POLLIN },
		};
		int pr = poll(pfd, pfd[1].fd >= 0 ? 2 : 1, 1000);
		m->progress.now_ms = now_ms();
		if (proc_interrupted())
			break;
		if (pr < 0 && errno != EINTR)
			break;
		if (pr > 0 && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			char buf[16384];
			ssize_t n = read(p.out_fd, buf, sizeof(buf));
			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0) {
				close(p.out_fd);
				p.out_fd = -1;
			} else {
				int wr = write_all(logfd, buf, (size_t)n);
				if (wr && why && !why->len)
					sbuf_addf(why, "cannot write '%s': %s", m->log, strerror(-wr));
				bool counted = kbuild_progress_feed(&m->progress, &partial, buf, (size_t)n);
				if (counted && m->on_progress) {
					m->on_progress(&m->progress, m->arg);
					last_tick = m->progress.now_ms;
				}
			}
		}
		if (m->on_progress && m->progress.now_ms - last_tick >= 1000) {
			m->on_progress(&m->progress, m->arg);
			last_tick = m->progress.now_ms;
		}
	}
	if (proc_interrupted()) {
		proc_terminate(&p, 5000);
		r = -EINTR;
		goto out;
	}
	while ((r = proc_wait(&p, -1)) == -EINTR) {
		proc_terminate(&p, 5000);
		goto out;
	}
	*code = proc_exit_code(&p);
	m->progress.now_ms = now_ms();
	r = 0;
out:
	proc_clear(&p);
	close(logfd);
	sbuf_release(&partial);
	return r;
}

int kbuild_make_capture(const char *src, const char *out, const char *cc,
			const char *const *targets, struct sbuf *output, int *code)
{
	struct proc p;

	proc_init(&p);
	make_args(&p.args, src, out, cc, 0, targets);
	strvec_push(&p.env, "LC_ALL=C");
	p.err_to_out = true;
	return proc_capture(&p, output, NULL, 0, code);
}

/* ---- artifacts ---- */

int kbuild_bzimage_version(const char *bzimage, char **version)
{
	unsigned char hdr[0x210];
	char str[512];
	ssize_t n = read_file_at(bzimage, hdr, sizeof(hdr), 0);

	if (n < 0)
		return (int)n;
	if (n != (ssize_t)sizeof(hdr) || memcmp(hdr + 0x202, "HdrS", 4))
		return -EINVAL;
	/* The kernel_version field: a pointer (from 0x200) to the version string. */
	unsigned proto = hdr[0x206] | hdr[0x207] << 8;
	unsigned ptr = hdr[0x20e] | hdr[0x20f] << 8;
	if (proto < 0x200 || !ptr)
		return -EINVAL;
	n = read_file_at(bzimage, str, sizeof(str) - 1, (off_t)ptr + 0x200);
	if (n <= 0)
		return -EINVAL;
	str[n] = 0;
	if ((!memchr(str, 0, (size_t)n) && n == (ssize_t)sizeof(str) - 1) ||
	    !isdigit((unsigned char)str[0]))
		return -EINVAL;
	*version = xstrdup(str);
	return 0;
}

static char *banner_at(const char *p, const char *end)
{
	const char *e = p;
	while (e < end && *e && *e != '\n' && e - p < 1024)
		e++;
	return xstrndup(p, (size_t)(e - p));
}

int kbuild_check_match(const char *bzimage, const char *vmlinux, struct sbuf *why)
{
	char *bzver = NULL, *first = NULL;
	struct stat st;
	int fd = -1, r;
	void *map = MAP_FAILED;

	r = kbuild_bzimage_version(bzimage, &bzver);
	if (r) {
		if (why)
			sbuf_addf(why, r == -EINVAL ? "'%s' is not a bzImage (no kernel version in its setup header)" :
				  "cannot read '%s': %s", bzimage, strerror(-r));
		return r;
	}
	fd = open(vmlinux, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		r = -errno;
		if (why)
			sbuf_addf(why, "cannot read '%s': %s", vmlinux, strerror(errno));
		goto out;
	}
	if (st.st_size < 64 || (map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0)) == MAP_FAILED) {
		r = st.st_size < 64 ? -EINVAL : -errno;
		if (why)
			sbuf_addf(why, "cannot read '%s': %s", vmlinux, strerror(-r));
		goto out;
	}
	if (memcmp(map, "\177ELF", 4)) {
		r = -EINVAL;
		if (why)
			sbuf_addf(why, "'%s' is not an ELF file (vmlinux)", vmlinux);
		goto out;
	}
	/* "REL (BY@HOST) UTSVERSION" vs "Linux version REL (BY@HOST) (COMPILER) UTSVERSION" */
	const char *paren = strstr(bzver, ") ");
	char *prefix = paren ? xasprintf("Linux version %.*s) (", (int)(paren - bzver), bzver) : NULL;
	const char *tail = paren ? paren + 1 : NULL;	/* " UTSVERSION" */
	const char *base = map, *end = base + st.st_size;
	const char *needle = "Linux version ";
	r = -ESTALE;
	for (const char *p = base; p < end;) {
		const char *hit = memmem(p, (size_t)(end - p), needle, strlen(needle));
		if (!hit)
			break;
		char *b = banner_at(hit, end);
		/* Report the complete banner: 6.1+ also has a placeholder without "#N". */
		if (b[strlen(needle)] && isdigit((unsigned char)b[strlen(needle)])) {
			const char *hash = strchr(b, '#');
			bool complete = hash && isdigit((unsigned char)hash[1]);
			bool have_complete = first && strchr(first, '#') &&
					     isdigit((unsigned char)strchr(first, '#')[1]);
			if (!first || (complete && !have_complete)) {
				free(first);
				first = xstrdup(b);
			}
		}
		if (prefix && str_starts_with(b, prefix) && str_ends_with(b, tail)) {
			r = 0;
			free(b);
			break;
		}
		free(b);
		p = hit + 1;
	}
	free(prefix);
	if (r && why) {
		if (first)
			sbuf_addf(why, "'%s' and '%s' are not from the same build: the bzImage is %s, the vmlinux is %s; rebuild with 'kdebug build'",
				  bzimage, vmlinux, bzver, first + strlen(needle));
		else
			sbuf_addf(why, "no 'Linux version' banner in '%s': not a kernel vmlinux?", vmlinux);
	}
	if (r && !first)
		r = -EINVAL;
out:
	if (map != MAP_FAILED)
		munmap(map, (size_t)st.st_size);
	if (fd >= 0)
		close(fd);
	free(first);
	free(bzver);
	return r;
}

void kbuild_artifacts_clear(struct kbuild_artifacts *a)
{
	free(a->build_dir);
	free(a->src_dir);
	free(a->bzimage);
	free(a->vmlinux);
	free(a->gdb_scripts);
	free(a->config);
	free(a->release);
	free(a->modules_dir);
	memset(a, 0, sizeof(*a));
}

static bool is_build_dir(const char *dir)
{
	return has(dir, "kdebug-state", false) ||
	       (has(dir, ".config", false) && has(dir, "Makefile", false) && !has(dir, "Kconfig", false));
}

static char *last_of_source(const char *path)
{
	char *cache = cache_dir(), *id = kbuild_source_id(path);
	char *last = kbuild_last(cache, id);
	free(cache);
	free(id);
	if (last && !is_dir(last)) {
		free(last);
		return NULL;
	}
	return last;
}

char *kbuild_find_dir(const char *path, struct sbuf *why)
{
	char *r = NULL;

	if (path) {
		char *abs = abspath(path);
		if (is_dir(abs) && is_build_dir(abs)) {
			return abs;
		} else if (kbuild_is_tree(abs)) {
			r = last_of_source(abs);
			if (!r && has(abs, "vmlinux", false))
				r = xstrdup(abs);	/* an in-tree build */
			if (!r && why)
				sbuf_addf(why, "no build of the kernel tree '%s'; run 'kdebug config --src %s' and 'kdebug build'",
					  path, path);
		} else if (is_regular(abs) && kbuild_is_tarball_name(abs)) {
			r = last_of_source(abs);
			if (!r && why)
				sbuf_addf(why, "no build of '%s'; run 'kdebug config --src %s' and 'kdebug build'",
					  path, path);
		} else if (why) {
			sbuf_addf(why, path_exists(abs) ?
				  "'%s' is not a kernel build directory (no kdebug-state, nor a .config with a "
				  "Makefile); pass the directory 'kdebug config' made" :
				  "cannot open '%s': No such file or directory", path);
		}
		free(abs);
		return r;
	}
	char *cwd = abspath(".");
	if (is_build_dir(cwd))
		return cwd;
	if (kbuild_is_tree(cwd)) {
		r = last_of_source(cwd);
		if (!r && has(cwd, "vmlinux", false))
			r = xstrdup(cwd);
		if (!r && why)
			sbuf_adds(why, "no build of the kernel tree in this directory; run 'kdebug config' and 'kdebug build'");
		free(cwd);
		return r;
	}
	free(cwd);
	char *cache = cache_dir();
	r = kbuild_last(cache, NULL);
	free(cache);
	if (r && !is_dir(r)) {
		if (why)
			sbuf_addf(why, "the last build directory '%s' is gone; run 'kdebug config' and 'kdebug build'", r);
		free(r);
		return NULL;
	}
	if (!r && why)
		sbuf_adds(why, "no kernel build yet; run 'kdebug config' and 'kdebug build' (in a kernel tree, or with --src)");
	return r;
}

int kbuild_resolve(const char *path, struct kbuild_artifacts *out, struct sbuf *why)
{
	struct kbuild_artifacts a;
	struct strvec kv = STRVEC_INIT;
	char *dir = kbuild_find_dir(path, why);

	if (!dir)
		return -ENOENT;
	memset(&a, 0, sizeof(a));
	a.build_dir = dir;
	a.bzimage = path_join(dir, "arch/x86/boot/bzImage");
	a.vmlinux = path_join(dir, "vmlinux");
	if (!is_regular(a.bzimage) || !is_regular(a.vmlinux)) {
		if (why)
			sbuf_addf(why, "no %s in '%s'; run 'kdebug build'",
				  is_regular(a.vmlinux) ? "bzImage" : "vmlinux", dir);
		kbuild_artifacts_clear(&a);
		return -ENOENT;
	}
	a.config = path_join(dir, ".config");
	char *gdb = path_join(dir, "vmlinux-gdb.py");
	if (is_regular(gdb))	/* follows the symlink into the source tree */
		a.gdb_scripts = gdb;
	else
		free(gdb);
	char *rel = path_join(dir, "include/config/kernel.release");
	a.release = read_line_file(rel);
	free(rel);
	char *order = path_join(dir, "modules.order");
	if (is_regular(order))
		a.modules_dir = xstrdup(dir);
	free(order);
	if (!kbuild_state_load(dir, &kv) && kbuild_state_get(&kv, "src"))
		a.src_dir = xstrdup(kbuild_state_get(&kv, "src"));
	if (!a.src_dir) {
		char *link = path_join(dir, "source");
		char buf[PATH_MAX];
		ssize_t n = readlink(link, buf, sizeof(buf) - 1);
		free(link);
		if (n > 0) {
			buf[n] = 0;
			a.src_dir = abspath(buf);
		} else {
			a.src_dir = xstrdup(dir);
		}
	}
	strvec_clear(&kv);
	*out = a;
	return 0;
}

int kbuild_resolve_kernel(const char *kernel, const char *vmlinux, struct kbuild_artifacts *art,
			  struct sbuf *why)
{
	int r;

	if (!kernel || is_dir(kernel)) {
		struct sbuf kwhy = SBUF_INIT;
		r = kbuild_resolve(kernel, art, &kwhy);
		if (r) {
			if (kernel)
				sbuf_addf(why, "%s", kwhy.len ? kwhy.buf : strerror(-r));
			else
				sbuf_addf(why, "no kernel given and no kdebug build found (%s); pass --kernel BZIMAGE|BUILD_DIR or run 'kdebug config && kdebug build'",
					  kwhy.len ? kwhy.buf : strerror(-r));
			sbuf_release(&kwhy);
			return -EINVAL;
		}
		sbuf_release(&kwhy);
	} else {
		r = bzimage_check(kernel);
		if (r == -ENOEXEC) {
			sbuf_addf(why, "'%s' is not a bzImage (no x86 boot header); pass arch/x86/boot/bzImage or the build directory, not vmlinux", kernel);
			return -EINVAL;
		} else if (r) {
			sbuf_addf(why, "cannot open kernel '%s': %s", kernel, strerror(-r));
			return -EINVAL;
		}
		art->bzimage = abspath(kernel);
		/* BUILD/arch/x86/boot/bzImage: pick up the rest of that build. */
		if (str_ends_with(art->bzimage, "/arch/x86/boot/bzImage")) {
			char *dir = xstrndup(art->bzimage, strlen(art->bzimage) - strlen("/arch/x86/boot/bzImage"));
			struct kbuild_artifacts b = { 0 };
			if (kbuild_resolve(dir, &b, NULL) == 0 && !strcmp(b.bzimage, art->bzimage)) {
				kbuild_artifacts_clear(art);
				*art = b;
			} else {
				kbuild_artifacts_clear(&b);
			}
			free(dir);
		}
	}
	if (vmlinux) {
		if (!is_regular(vmlinux)) {
			sbuf_addf(why, "cannot open vmlinux '%s': %s", vmlinux, strerror(ENOENT));
			return -EINVAL;
		}
		free(art->vmlinux);
		art->vmlinux = abspath(vmlinux);
	}
	if (art->vmlinux) {
		struct sbuf mwhy = SBUF_INIT;
		r = kbuild_check_match(art->bzimage, art->vmlinux, &mwhy);
		if (r) {
			sbuf_addf(why, "'%s' does not belong to '%s'%s%s; rebuild with 'kdebug build' or pass the matching --vmlinux",
				  art->vmlinux, art->bzimage, mwhy.len ? ": " : "", sbuf_str(&mwhy));
			sbuf_release(&mwhy);
			return -EINVAL;
		}
		sbuf_release(&mwhy);
	}
	return 0;
}

/* ---- the build pipeline ---- */

void kbuild_build_init(struct kbuild_build *b)
{
	memset(b, 0, sizeof(*b));
	b->lockfd = -1;
}

void kbuild_build_clear(struct kbuild_build *b)
{
	if (b->lockfd >= 0)
		close(b->lockfd);
	free(b->dir);
	free(b->src_dir);
	free(b->cc_used);
	free(b->log);
	strvec_clear(&b->targets);
	kbuild_artifacts_clear(&b->artifacts);
	sbuf_release(&b->errors);
	strvec_clear(&b->state);
	free(b->cache);
	free(b->stats_key);
	b->lockfd = -1;
}

static int build_bad_input(struct kbuild_build *b, int r)
{
	b->bad_input = true;
	return r;
}

/* The build directory (configured) and its source tree (out of tree). */
static int build_find_dirs(struct kbuild_build *b, struct sbuf *why)
{
	if (b->out) {
		b->dir = abspath(b->out);
		if (!has(b->dir, ".config", false)) {
			sbuf_addf(why, "'%s' is not a configured build directory (no .config); run 'kdebug config --out %s' first",
				  b->out, b->out);
			return build_bad_input(b, -ENOENT);
		}
	} else {
		b->dir = kbuild_find_dir(b->src, why);
		if (!b->dir)
			return build_bad_input(b, -ENOENT);
	}
	kbuild_state_load(b->dir, &b->state);
	if (kbuild_state_get(&b->state, "src")) {
		b->src_dir = xstrdup(kbuild_state_get(&b->state, "src"));
	} else {
		char *link = path_join(b->dir, "source");
		b->src_dir = is_dir(link) ? abspath(link) : NULL;
		free(link);
	}
	if (!b->src_dir || !kbuild_is_tree(b->src_dir)) {
		sbuf_addf(why, "cannot find the kernel source of '%s'; run 'kdebug config --out %s' again",
			  b->dir, b->dir);
		return -ENOENT;
	}
	if (!strcmp(b->src_dir, b->dir)) {
		sbuf_addf(why, "'%s' is an in-tree build; kdebug builds out of tree: run 'kdebug config' to set one up",
			  b->dir);
		return build_bad_input(b, -EINVAL);
	}
	return 0;
}

/* --cc, else what kdebug config chose, else the default; it must exist. */
static int build_choose_cc(struct kbuild_build *b, struct sbuf *why)
{
	struct strvec words = STRVEC_INIT;
	char *prog;

	if (b->cc)
		b->cc_used = xstrdup(b->cc);
	else if (kbuild_state_get(&b->state, "cc"))
		b->cc_used = xstrdup(kbuild_state_get(&b->state, "cc"));
	else
		b->cc_used = kbuild_default_cc();
	if (b->cc_used && !*b->cc_used) {
		free(b->cc_used);
		b->cc_used = NULL;
	}
	if (!b->cc_used)
		return 0;
	strvec_split(&words, b->cc_used);
	prog = words.n ? find_in_path(words.v[0]) : NULL;
	if (!prog)
		sbuf_addf(why, "compiler '%s' not found (--cc '%s'); install it, or pass another --cc",
			  words.n ? words.v[0] : "", b->cc_used);
	free(prog);
	strvec_clear(&words);
	return prog ? 0 : build_bad_input(b, -ENOENT);
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

/* bzImage, modules when the .config has them, the gdb scripts when it asks for them. */
static int build_targets(struct kbuild_build *b, struct sbuf *why)
{
	struct kconfig cfg = KCONFIG_INIT;
	char *c = path_join(b->dir, ".config");
	int r = kconfig_load(&cfg, c, NULL, why);

	free(c);
	if (r)
		return r;
	strvec_push(&b->targets, "bzImage");
	if (kconfig_value_on(kconfig_get(&cfg, "MODULES")))
		strvec_push(&b->targets, "modules");
	if (kconfig_value_on(kconfig_get(&cfg, "GDB_SCRIPTS")) &&
	    makefile_has_target(b->src_dir, "scripts_gdb"))
		strvec_push(&b->targets, "scripts_gdb");
	kconfig_clear(&cfg);
	return 0;
}

/*
 * How many objects a full build compiles, for the progress estimate.  A
 * build is full when the directory has no objects yet (new, or after make
 * clean): no vmlinux and no init/main.o.
 */
static void build_estimate(struct kbuild_build *b)
{
	const char *prev = kbuild_state_get(&b->state, "objects");

	b->fresh = !has(b->dir, "vmlinux", false) && !has(b->dir, "init/main.o", false);
	b->stats_key = kbuild_stats_key(kbuild_state_get(&b->state, "profile"),
					kbuild_state_get(&b->state, "version"));
	if (b->fresh)
		b->progress.total = prev ? strtoul(prev, NULL, 10) : kbuild_stats_get(b->cache, b->stats_key);
}

int kbuild_build_prepare(struct kbuild_build *b, struct sbuf *why)
{
	struct sbuf dummy = SBUF_INIT;
	int r;

	if (!why)
		why = &dummy;
	b->cache = cache_dir();
	r = build_find_dirs(b, why);
	if (!r)
		r = build_targets(b, why);
	if (!r)
		r = build_choose_cc(b, why);
	if (!r)
		r = kbuild_lock(b->dir, &b->lockfd, why);
	if (!r) {
		build_estimate(b);
		b->log = path_join(b->dir, "kdebug-build.log");
	}
	sbuf_release(&dummy);
	return r;
}

char *kbuild_build_command(const struct kbuild_build *b)
{
	struct strvec show = STRVEC_INIT;
	char *cmd;

	strvec_push(&show, "make");
	if (b->jobs)
		strvec_pushf(&show, "-j%u", b->jobs);
	else
		strvec_pushf(&show, "-j%ld", sysconf(_SC_NPROCESSORS_ONLN));
	if (b->cc_used)
		strvec_pushf(&show, "CC=%s", b->cc_used);
	strvec_pushv(&show, (const char *const *)b->targets.v);
	cmd = strvec_join_shell(&show);
	strvec_clear(&show);
	return cmd;
}

static void build_failed(struct kbuild_build *b)
{
	kbuild_state_set(&b->state, "build", "failed");
	kbuild_state_save(b->dir, &b->state);
}

/* make has run and succeeded: the artifacts, their match, the state and statistics. */
static int build_record(struct kbuild_build *b, struct sbuf *why)
{
	struct sbuf mwhy = SBUF_INIT;
	char buf[64];
	int r = kbuild_resolve(b->dir, &b->artifacts, &mwhy);

	if (r) {
		sbuf_addf(why, "make succeeded but %s", mwhy.buf);
		sbuf_release(&mwhy);
		build_failed(b);
		return r;
	}
	r = kbuild_check_match(b->artifacts.bzimage, b->artifacts.vmlinux, &mwhy);
	kbuild_state_set(&b->state, "build", "ok");
	kbuild_state_set(&b->state, "match", r ? sbuf_str(&mwhy) : "ok");
	snprintf(buf, sizeof(buf), "%lld", b->ms);
	kbuild_state_set(&b->state, "build_ms", buf);
	if (b->artifacts.release)
		kbuild_state_set(&b->state, "release", b->artifacts.release);
	if (b->fresh && b->progress.done) {
		snprintf(buf, sizeof(buf), "%lu", b->progress.done);
		kbuild_state_set(&b->state, "objects", buf);
		kbuild_stats_put(b->cache, b->stats_key, b->progress.done);
	}
	b->state_unsaved = kbuild_state_save(b->dir, &b->state) != 0;
	kbuild_remember(b->cache, kbuild_state_get(&b->state, "source_id"), b->dir);
	if (r)
		sbuf_adds(why, sbuf_str(&mwhy));
	sbuf_release(&mwhy);
	return r;
}

int kbuild_build_run(struct kbuild_build *b, struct sbuf *why)
{
	struct sbuf dummy = SBUF_INIT, mwhy = SBUF_INIT, text = SBUF_INIT;
	struct kbuild_make m = {
		.src = b->src_dir, .out = b->dir, .cc = b->cc_used, .jobs = b->jobs,
		.targets = (const char *const *)b->targets.v, .log = b->log,
		.on_progress = b->on_progress, .arg = b->arg, .progress = b->progress,
	};
	int r;

	if (!why)
		why = &dummy;
	r = kbuild_make_run(&m, &b->status, &mwhy);
	b->progress = m.progress;
	b->ms = m.progress.now_ms - m.progress.start_ms;
	if (r == -EINTR)
		sbuf_addf(why, "interrupted; make was stopped (log: %s)", b->log);
	else if (r)
		sbuf_adds(why, mwhy.len ? mwhy.buf : strerror(-r));
	if (r)
		goto out;
	kbuild_state_set_now(&b->state, "built");
	if (b->cc_used)
		kbuild_state_set(&b->state, "cc", b->cc_used);
	if (b->status) {
		read_file(b->log, &text);
		kbuild_first_errors(sbuf_str(&text), 30, &b->errors);
		sbuf_addf(why, "build failed (make exited with status %d); full log: %s", b->status, b->log);
		build_failed(b);
		r = -EIO;
		goto out;
	}
	r = build_record(b, why);
out:
	sbuf_release(&text);
	sbuf_release(&mwhy);
	sbuf_release(&dummy);
	return r;
}
