/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Small shared helpers: a growable string buffer (struct sbuf), an argv
 * vector (struct strvec), file helpers (one read loop, one write loop),
 * parsing.  lib/ functions return 0 or -errno and never print; the
 * user-facing printers are src/report.h.
 */
#ifndef KDEBUG_UTIL_H
#define KDEBUG_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PRINTF(f, a) __attribute__((format(printf, f, a)))

/* Allocation failure is not recoverable in a CLI: these abort. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) PRINTF(1, 2);

/* Growable, always NUL-terminated string. SBUF_INIT or sbuf_init(). */
struct sbuf {
	char *buf;
	size_t len, alloc;
};
#define SBUF_INIT { .buf = NULL, .len = 0, .alloc = 0 }
void sbuf_init(struct sbuf *sb);
void sbuf_grow(struct sbuf *sb, size_t extra);
void sbuf_add(struct sbuf *sb, const void *data, size_t len);
void sbuf_adds(struct sbuf *sb, const char *s);
void sbuf_addch(struct sbuf *sb, char c);
void sbuf_addf(struct sbuf *sb, const char *fmt, ...) PRINTF(2, 3);
void sbuf_vaddf(struct sbuf *sb, const char *fmt, va_list ap);
void sbuf_reset(struct sbuf *sb);
void sbuf_release(struct sbuf *sb);
char *sbuf_detach(struct sbuf *sb);	/* caller frees; sb is reset */
const char *sbuf_str(const struct sbuf *sb);	/* "" when empty */
void sbuf_rtrim(struct sbuf *sb);
/*
 * Line splitting for output read in chunks: append data to partial and call
 * fn(arg, line) for each complete line (the '\n' replaced by NUL); what
 * follows the last newline stays in partial for the next call.
 */
void sbuf_feed_lines(struct sbuf *partial, const void *data, size_t n,
		     void (*fn)(void *arg, char *line), void *arg);
/* Append s quoted for a POSIX shell ('...' with '\'' escapes). */
void sbuf_add_shquote(struct sbuf *sb, const char *s);

/* NULL-terminated vector of owned strings, ready for execve(). */
struct strvec {
	char **v;
	size_t n, alloc;
};
#define STRVEC_INIT { .v = NULL, .n = 0, .alloc = 0 }
void strvec_init(struct strvec *sv);
void strvec_push(struct strvec *sv, const char *s);
void strvec_pushf(struct strvec *sv, const char *fmt, ...) PRINTF(2, 3);
void strvec_pushl(struct strvec *sv, ...);	/* NULL-terminated list */
void strvec_pushv(struct strvec *sv, const char *const *v);
void strvec_clear(struct strvec *sv);
/* Split on whitespace (no quoting), appending each word. */
void strvec_split(struct strvec *sv, const char *s);
/* "a b 'c d'" for messages and logs. */
char *strvec_join_shell(const struct strvec *sv);

/* Close *fd if open and mark it closed (-1). */
void close_fd(int *fd);

/* Files.  All return 0 or -errno. */
int read_file(const char *path, struct sbuf *out);
/* Up to len bytes of path from offset off: the count (short at the end), or -errno. */
ssize_t read_file_at(const char *path, void *buf, size_t len, off_t off);
int read_file_max(const char *path, struct sbuf *out, size_t max);
/*
 * The one read loop: read FD (or PATH) to its end in chunks, calling
 * fn(arg, data, n) for each; stops early when fn returns non-zero and
 * returns that value.  0 at the end, -errno when reading fails.
 */
int read_fd_chunks(int fd, int (*fn)(void *arg, const void *data, size_t n), void *arg);
int read_path_chunks(const char *path, int (*fn)(void *arg, const void *data, size_t n), void *arg);
/* The one write loop: all of data to fd (retrying short writes and EINTR). */
int write_all(int fd, const void *data, size_t len);
int write_file(const char *path, const void *data, size_t len, mode_t mode);
/* A new file only (O_EXCL | O_NOFOLLOW): never through a link, never over another. */
int write_file_excl(const char *path, const void *data, size_t len, mode_t mode);
/* Write to PATH.tmp.XXXXXX then rename over path. */
int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode);
int mkdir_p(const char *path, mode_t mode);
int rm_rf(const char *path);
int copy_file(const char *src, const char *dst, mode_t mode);
bool path_exists(const char *path);
bool is_dir(const char *path);
bool is_regular(const char *path);
bool is_executable(const char *path);
/* Search PATH for an executable; returns malloc'd path or NULL. */
char *find_in_path(const char *name);
/* Is NAME an executable in PATH? */
bool in_path(const char *name);
/* Absolute path of p (need not exist): realpath or cwd-joined. */
char *abspath(const char *p);
/* Directory part / last component, malloc'd. */
char *path_dirname(const char *p);
const char *path_basename(const char *p);
char *path_join(const char *a, const char *b);

/* $XDG_CACHE_HOME/kdebug or ~/.cache/kdebug (KDEBUG_CACHE_DIR overrides). */
char *cache_dir(void);
/* Directory with configs/ etc. (KDEBUG_DATADIR overrides). */
const char *data_dir(void);

/* Parsing helpers: 0 or -EINVAL/-ERANGE. */
int parse_uint(const char *s, unsigned long max, unsigned long *out);
/* "256M", "1G", "512k", plain bytes; result in bytes. */
int parse_size(const char *s, unsigned long long *out);
/* Levenshtein distance (for "did you mean"). */
size_t edit_distance(const char *a, const char *b);
bool str_starts_with(const char *s, const char *prefix);
bool str_ends_with(const char *s, const char *suffix);

/* Monotonic clock in milliseconds. */
long long now_ms(void);

/* Exit codes. */
enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

#endif
