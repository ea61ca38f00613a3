// SPDX-License-Identifier: GPL-2.0
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>


static void oom(void)
{
	fputs("fatal: out of memory\n", stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom();
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		oom();
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		oom();
	return p;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);
	if (!p)
		oom();
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	struct sbuf sb = SBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	return sbuf_detach(&sb);
}

/* ---- sbuf ---- */

void sbuf_init(struct sbuf *sb)
{
	sb->buf = NULL;
	sb->len = sb->alloc = 0;
}

void sbuf_grow(struct sbuf *sb, size_t extra)
{
	size_t need = sb->len + extra + 1;

	if (need < sb->len)
		oom();
	if (need <= sb->alloc)
		return;
	size_t n = sb->alloc ? sb->alloc : 64;
	while (n < need)
		n *= 2;
	sb->buf = xrealloc(sb->buf, n);
	sb->alloc = n;
}

void sbuf_add(struct sbuf *sb, const void *data, size_t len)
{
	sbuf_grow(sb, len);
	if (len)
		memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	sb->buf[sb->len] = '\0';
}

void sbuf_adds(struct sbuf *sb, const char *s)
{
	sbuf_add(sb, s, strlen(s));
}

void sbuf_addch(struct sbuf *sb, char c)
{
	sbuf_add(sb, &c, 1);
}

void sbuf_vaddf(struct sbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	sbuf_grow(sb, 64);
	va_copy(cp, ap);
	n = vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, cp);
	va_end(cp);
	if (n < 0)
		abort();
	if ((size_t)n >= sb->alloc - sb->len) {
		sbuf_grow(sb, (size_t)n);
		n = vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, ap);
		if (n < 0 || (size_t)n >= sb->alloc - sb->len)
			abort();
	}
	sb->len += (size_t)n;
}

void sbuf_addf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

void sbuf_reset(struct sbuf *sb)
{
	sb->len = 0;
	if (sb->buf)
		sb->buf[0] = '\0';
}

void sbuf_release(struct sbuf *sb)
{
	free(sb->buf);
	sbuf_init(sb);
}

char *sbuf_detach(struct sbuf *sb)
{
	char *p = sb->buf ? sb->buf : xstrdup("");
	sbuf_init(sb);
	return p;
}

const char *sbuf_str(const struct sbuf *sb)
{
	return sb->buf ? sb->buf : "";
}

void sbuf_rtrim(struct sbuf *sb)
{
	while (sb->len && isspace((unsigned char)sb->buf[sb->len - 1]))
		sb->buf[--sb->len] = '\0';
}

void sbuf_feed_lines(struct sbuf *partial, const void *data, size_t n,
		     void (*fn)(void *arg, char *line), void *arg)
{
	char *start, *nl;
	size_t rest;

	sbuf_add(partial, data, n);
	start = partial->buf;
	while ((nl = memchr(start, '\n', partial->len - (size_t)(start - partial->buf)))) {
		*nl = '\0';
		fn(arg, start);
		start = nl + 1;
	}
	rest = partial->len - (size_t)(start - partial->buf);
	memmove(partial->buf, start, rest);
	partial->len = rest;
	partial->buf[rest] = '\0';
}

void sbuf_add_shquote(struct sbuf *sb, const char *s)
{
	bool plain = *s != '\0';

	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("-_./=:,+@%", *p))
			plain = false;
	if (plain) {
		sbuf_adds(sb, s);
		return;
	}
	sbuf_addch(sb, '\'');
	for (; *s; s++) {
		if (*s == '\'')
			sbuf_adds(sb, "'\\''");
		else
			sbuf_addch(sb, *s);
	}
	sbuf_addch(sb, '\'');
}

/* ---- strvec ---- */

void strvec_init(struct strvec *sv)
{
	sv->v = NULL;
	sv->n = sv->alloc = 0;
}

static void strvec_append_owned(struct strvec *sv, char *s)
{
	if (sv->n + 2 > sv->alloc) {
		sv->alloc = sv->alloc ? sv->alloc * 2 : 8;
		sv->v = xrealloc(sv->v, sv->alloc * sizeof(*sv->v));
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void strvec_push(struct strvec *sv, const char *s)
{
	strvec_append_owned(sv, xstrdup(s));
}

void strvec_pushf(struct strvec *sv, const char *fmt, ...)
{
	struct sbuf sb = SBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	strvec_append_owned(sv, sbuf_detach(&sb));
}

void strvec_pushl(struct strvec *sv, ...)
{
	va_list ap;
	const char *s;

	va_start(ap, sv);
	while ((s = va_arg(ap, const char *)))
		strvec_push(sv, s);
	va_end(ap);
}

void strvec_pushv(struct strvec *sv, const char *const *v)
{
	for (; v && *v; v++)
		strvec_push(sv, *v);
}

void strvec_clear(struct strvec *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	strvec_init(sv);
}

void strvec_split(struct strvec *sv, const char *s)
{
	while (*s) {
		while (isspace((unsigned char)*s))
			s++;
		const char *start = s;
		while (*s && !isspace((unsigned char)*s))
			s++;
		if (s > start)
			strvec_append_owned(sv, xstrndup(start, (size_t)(s - start)));
	}
}

char *strvec_join_shell(const struct strvec *sv)
{
	struct sbuf sb = SBUF_INIT;

	for (size_t i = 0; i < sv->n; i++) {
		if (i)
			sbuf_addch(&sb, ' ');
		sbuf_add_shquote(&sb, sv->v[i]);
	}
	return sbuf_detach(&sb);
}

/* ---- files ---- */

int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int read_fd_chunks(int fd, int (*fn)(void *arg, const void *data, size_t n), void *arg)
{
	char buf[65536];

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		int r = fn(arg, buf, (size_t)n);
		if (r)
			return r;
	}
}

int read_path_chunks(const char *path, int (*fn)(void *arg, const void *data, size_t n), void *arg)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = read_fd_chunks(fd, fn, arg);
	close(fd);
	return r;
}

struct read_max {
	struct sbuf sb;
	size_t max;
};

static int add_chunk(void *arg, const void *data, size_t n)
{
	struct read_max *rm = arg;

	sbuf_add(&rm->sb, data, n);
	return rm->max && rm->sb.len >= rm->max ? 1 : 0;	/* 1: enough */
}

int read_file_max(const char *path, struct sbuf *out, size_t max)
{
	struct read_max rm = { .sb = SBUF_INIT, .max = max };
	int r = read_path_chunks(path, add_chunk, &rm);

	if (r < 0) {
		sbuf_release(&rm.sb);
		return r;
	}
	if (!rm.sb.buf)
		sbuf_add(&rm.sb, "", 0);
	sbuf_release(out);
	*out = rm.sb;
	return 0;
}

ssize_t read_file_at(const char *path, void *buf, size_t len, off_t off)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;

	if (fd < 0)
		return -errno;
	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got, off + (off_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			close(fd);
			return -e;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	return (ssize_t)got;
}

int read_file(const char *path, struct sbuf *out)
{
	return read_file_max(path, out, 0);
}

void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int write_file_flags(const char *path, int flags, const void *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, mode);
	int r;

	if (fd < 0)
		return -errno;
	r = write_all(fd, data, len);
	if (close(fd) < 0 && !r)
		r = -errno;
	return r;
}

int write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	return write_file_flags(path, O_TRUNC, data, len, mode);
}

int write_file_excl(const char *path, const void *data, size_t len, mode_t mode)
{
	return write_file_flags(path, O_EXCL | O_NOFOLLOW, data, len, mode);
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char *tmp = xasprintf("%s.tmp.XXXXXX", path);
	int fd = mkostemp(tmp, O_CLOEXEC), r;

	if (fd < 0) {
		r = -errno;
		free(tmp);
		return r;
	}
	r = write_all(fd, data, len);
	if (!r && fchmod(fd, mode) < 0)
		r = -errno;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && rename(tmp, path) < 0)
		r = -errno;
	if (r)
		unlink(tmp);
	free(tmp);
	return r;
}

int mkdir_p(const char *path, mode_t mode)
{
	char *p = xstrdup(path);
	int r = 0;

	for (char *s = p + 1; ; s++) {
		if (*s == '/' || *s == '\0') {
			char c = *s;
			*s = '\0';
			if (mkdir(p, mode) < 0 && errno != EEXIST) {
				r = -errno;
				break;
			}
			*s = c;
			if (!c)
				break;
		}
	}
	if (!r && !is_dir(path))
		r = -ENOTDIR;
	free(p);
	return r;
}

static int rm_rf_at(int parent, const char *name)
{
	struct stat st;

	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (S_ISDIR(st.st_mode)) {
		int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (fd < 0)
			return -errno;
		/* A directory we own but may not write (a staged /proc, 0555): through the fd, not the name. */
		if ((st.st_mode & 0700) != 0700 && st.st_uid == geteuid())
			fchmod(fd, (st.st_mode & 07777) | 0700);
		DIR *d = fdopendir(fd);
		if (!d) {
			close(fd);
			return -errno;
		}
		struct dirent *de;
		int r = 0;
		while ((de = readdir(d))) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			int e = rm_rf_at(dirfd(d), de->d_name);
			if (e && !r)
				r = e;
		}
		closedir(d);
		if (r)
			return r;
		if (unlinkat(parent, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
			return -errno;
		return 0;
	}
	if (unlinkat(parent, name, 0) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int rm_rf(const char *path)
{
	return rm_rf_at(AT_FDCWD, path);
}

static int write_chunk(void *arg, const void *data, size_t n)
{
	return write_all(*(int *)arg, data, n);
}

int copy_file(const char *src, const char *dst, mode_t mode)
{
	int in = open(src, O_RDONLY | O_CLOEXEC), out, r;

	if (in < 0)
		return -errno;
	out = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (out < 0) {
		r = -errno;
		close(in);
		return r;
	}
	r = read_fd_chunks(in, write_chunk, &out);
	close(in);
	if (close(out) < 0 && !r)
		r = -errno;
	if (r)
		unlink(dst);
	return r;
}

bool path_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

bool is_regular(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool is_executable(const char *path)
{
	return is_regular(path) && access(path, X_OK) == 0;
}

char *find_in_path(const char *name)
{
	const char *path = getenv("PATH");

	if (strchr(name, '/'))
		return is_executable(name) ? xstrdup(name) : NULL;
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		const char *end = strchrnul(path, ':');
		char *cand = xasprintf("%.*s/%s", (int)(end - path),
				       end == path ? "." : path, name);
		if (is_executable(cand))
			return cand;
		free(cand);
		path = *end ? end + 1 : end;
	}
	return NULL;
}

bool in_path(const char *name)
{
	char *p = find_in_path(name);
	free(p);
	return p != NULL;
}

char *abspath(const char *p)
{
	char *r = realpath(p, NULL);
	char cwd[PATH_MAX];

	if (r)
		return r;
	if (p[0] == '/' || !getcwd(cwd, sizeof(cwd)))
		return xstrdup(p);
	return path_join(cwd, p);
}

char *path_dirname(const char *p)
{
	const char *s = strrchr(p, '/');

	if (!s)
		return xstrdup(".");
	if (s == p)
		return xstrdup("/");
	return xstrndup(p, (size_t)(s - p));
}

const char *path_basename(const char *p)
{
	const char *s = strrchr(p, '/');
	return s ? s + 1 : p;
}

char *path_join(const char *a, const char *b)
{
	size_t la = strlen(a);

	if (b[0] == '/')
		return xstrdup(b);
	if (la && a[la - 1] == '/')
		return xasprintf("%s%s", a, b);
	return xasprintf("%s/%s", a, b);
}

/*
 * Without HOME: /tmp/kdebug-cache-UID, a directory kdebug makes 0700 and
 * uses only while it is ours and private.  Another user could have made
 * it first (to have kdebug run a busybox of theirs): then a fresh private
 * directory for this run instead, so nothing found there is ever used.
 */
static char *tmp_cache_dir(void)
{
	char *p = xasprintf("/tmp/kdebug-cache-%u", (unsigned)getuid());
	struct stat st;

	mkdir(p, 0700);
	if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == getuid() && !(st.st_mode & 077))
		return p;
	free(p);
	p = xasprintf("/tmp/kdebug-cache-%u-XXXXXX", (unsigned)getuid());
	if (!mkdtemp(p)) {
		free(p);
		p = NULL;
	}
	return p ? p : xstrdup("/nonexistent/kdebug-cache");
}

char *cache_dir(void)
{
	const char *e = getenv("KDEBUG_CACHE_DIR");

	if (e && *e)
		return xstrdup(e);
	e = getenv("XDG_CACHE_HOME");
	if (e && *e)
		return path_join(e, "kdebug");
	e = getenv("HOME");
	if (e && *e)
		return xasprintf("%s/.cache/kdebug", e);
	return tmp_cache_dir();
}

const char *data_dir(void)
{
	const char *e = getenv("KDEBUG_DATADIR");
	static char *found;

	if (e && *e)
		return e;
	if (found)
		return found;
	/* Installed copy first, then the source tree the binary was built in. */
	if (is_dir(KDEBUG_INSTALL_DATADIR "/configs"))
		found = xstrdup(KDEBUG_INSTALL_DATADIR);
	else
		found = xstrdup(KDEBUG_DATADIR);
	return found;
}

/* ---- parsing ---- */

int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_size(const char *s, unsigned long long *out)
{
	char *end;
	unsigned long long v, mult = 1;

	if (!s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -ERANGE;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': mult = 1ULL << 10; end++; break;
	case 'm': case 'M': mult = 1ULL << 20; end++; break;
	case 'g': case 'G': mult = 1ULL << 30; end++; break;
	case 't': case 'T': mult = 1ULL << 40; end++; break;
	default: return -EINVAL;
	}
	if (*end == 'i' && mult > 1)
		end++;
	if ((*end == 'B' || *end == 'b') && end[1] == '\0')
		end++;
	if (*end)
		return -EINVAL;
	if (v > ~0ULL / mult)
		return -ERANGE;
	*out = v * mult;
	return 0;
}

size_t edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *row = xcalloc(lb + 1, sizeof(*row));

	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t cost = tolower((unsigned char)a[i - 1]) !=
				      tolower((unsigned char)b[j - 1]);
			size_t best = prev + cost;
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = cur;
		}
	}
	size_t d = row[lb];
	free(row);
	return d;
}

bool str_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

bool str_ends_with(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);
	return ls >= lx && !strcmp(s + ls - lx, suffix);
}

long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
