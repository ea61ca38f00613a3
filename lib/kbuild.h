/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel sources and builds: trees and tarballs (unpacked once into the
 * cache with libarchive), out-of-tree build directories and their state
 * file and lock, running make (with progress and a full log), the build
 * pipeline of `kdebug build`, checking that bzImage and vmlinux come from
 * the same build, and finding a build's artifacts.
 */
#ifndef KDEBUG_KBUILD_H
#define KDEBUG_KBUILD_H

#include <stdbool.h>

#include "util.h"

/* ---- sources ---- */

/* Does DIR look like a kernel tree (Makefile, Kconfig, arch/x86/)? */
bool kbuild_is_tree(const char *dir);
/* Is PATH a tarball kdebug can unpack (.tar, .tar.xz, .tar.gz, .tgz, .tar.bz2, .tar.zst)? */
bool kbuild_is_tarball_name(const char *path);
/*
 * A readable, stable name for a source: "linux-source-6.1-1a2b3c4d" (the
 * hash covers the real path, and for a tarball its size and mtime).
 */
char *kbuild_source_id(const char *path);
/*
 * Unpack TARBALL once into CACHE/src/<source id>/ and return that tree in
 * *tree (malloc'd).  Atomic: extracted into a temporary directory that is
 * renamed into place; on any failure nothing is left.  *unpacked tells
 * whether this call did the work.  -EINVAL (why says so) when the archive
 * is corrupt or does not contain a kernel tree; -EINTR when interrupted.
 */
int kbuild_unpack(const char *tarball, const char *cache, char **tree, bool *unpacked,
		  struct sbuf *why);
/* "6.1.192" from the tree's top Makefile. */
int kbuild_tree_version(const char *src, char **version);

/* ---- build directories ---- */

/*
 * OUT/kdebug-state: a meta (JSON) object of strings (src, source,
 * source_id, profile, version, cc, config_hash, build, objects, match, ...),
 * handled here as "key=value" entries of a strvec.  Loading also reads an
 * older kdebug's key=value file (except its config_hash, computed with
 * another hash), so existing build directories keep working; the next save
 * writes JSON.  Saving fails with -EILSEQ when a value is not UTF-8.
 */
int kbuild_state_load(const char *out, struct strvec *kv);
const char *kbuild_state_get(const struct strvec *kv, const char *key);
void kbuild_state_set(struct strvec *kv, const char *key, const char *value);
int kbuild_state_save(const char *out, const struct strvec *kv);
/* KEY=the local time now, "2024-01-31T12:00:00+0100". */
void kbuild_state_set_now(struct strvec *kv, const char *key);

/*
 * The last build configured for a source (source_id) and overall
 * (source_id NULL): CACHE/last-build and CACHE/last-build.d/<source id>,
 * meta objects naming the "build_dir".
 */
int kbuild_remember(const char *cache, const char *source_id, const char *out);
char *kbuild_last(const char *cache, const char *source_id);
/*
 * Objects compiled by a full build of KEY ("minimal/6.1.192"), from earlier
 * builds (CACHE/build-stats, a meta object); 0 when unknown.
 */
unsigned long kbuild_stats_get(const char *cache, const char *key);
int kbuild_stats_put(const char *cache, const char *key, unsigned long objects);

/* Content hash of a file (16 hex digits of hash.h's hash), or NULL when unreadable. */
char *kbuild_file_hash(const char *path);

/* The compiler kdebug passes as CC=: "ccache gcc" when ccache is installed, else NULL. */
char *kbuild_default_cc(void);

/*
 * Take OUT/.kdebug-build.lock (flock, without waiting): one `kdebug config`
 * or `kdebug build` per build directory at a time.  *fd holds the lock
 * until it is closed.  -EBUSY when another kdebug holds it; -errno when the
 * lock file cannot be created.
 */
int kbuild_lock(const char *out, int *fd, struct sbuf *why);

/* The key of kbuild_stats_get/_put: "PROFILE/VERSION", blanks made '_'. */
char *kbuild_stats_key(const char *profile, const char *version);

/* ---- make ---- */

/* Progress of a build, counted in compiled objects ("  CC" lines). */
struct kbuild_progress {
	unsigned long done;
	unsigned long total;	/* estimate; 0 when unknown */
	long long start_ms, now_ms;
};
/* Count this make output line?  (true for "  CC  x.o" and "  CC [M]  x.o") */
bool kbuild_progress_line(struct kbuild_progress *p, const char *line);
/* 0..99 while running (100 only when done == total and complete), -1 when unknown. */
int kbuild_progress_percent(const struct kbuild_progress *p);
/* Estimated milliseconds left, -1 when unknown. */
long long kbuild_progress_eta_ms(const struct kbuild_progress *p);
/*
 * One line: with bar, "[=====>    ]  45%  620/1371 objects  2:01 elapsed  ~2:28 left"
 * (WIDTH columns at most); without, "45% (620/1371 objects, 2:01 elapsed, ~2:28 left)".
 */
void kbuild_progress_format(const struct kbuild_progress *p, bool bar, int width, struct sbuf *out);
/* Objects compiled according to a build log (number of counted lines). */
unsigned long kbuild_count_objects(const char *log);
/* "m:ss" or "h:mm:ss". */
void kbuild_format_duration(long long ms, struct sbuf *out);
/*
 * The first compiler errors of a log ("error:" lines with a little context,
 * at most max_lines lines); the log's last lines when there is no such line.
 */
void kbuild_first_errors(const char *log, size_t max_lines, struct sbuf *out);

struct kbuild_make {
	const char *src, *out;
	const char *cc;		/* CC=...; NULL: the kernel's default */
	unsigned jobs;		/* 0: online CPUs */
	const char *const *targets;	/* NULL-terminated */
	const char *log;	/* full output goes here (truncated first) */
	/* Called on each counted line and about once a second. */
	void (*on_progress)(const struct kbuild_progress *p, void *arg);
	void *arg;
	struct kbuild_progress progress;	/* total: set by the caller */
};
/*
 * Run make -C SRC O=OUT -jN [CC=...] TARGETS, logging everything.
 * 0 with *code = make's exit status; -EINTR when kdebug was interrupted
 * (make is stopped); -errno when make could not run or the log could not be
 * written.
 */
int kbuild_make_run(struct kbuild_make *m, int *code, struct sbuf *why);
/* Feed make output to the progress: counts the complete lines (partial keeps the rest). */
bool kbuild_progress_feed(struct kbuild_progress *p, struct sbuf *partial,
			  const char *data, size_t n);
/* Run make quietly to completion (config targets), output captured. */
int kbuild_make_capture(const char *src, const char *out, const char *cc,
			const char *const *targets, struct sbuf *output, int *code);

/* ---- artifacts ---- */

/*
 * Are BZIMAGE and VMLINUX from the same build?  Compares the version
 * string of the bzImage setup header (kernel_version, offset 0x20E) with
 * the "Linux version ..." banner in vmlinux.  0 when they match; -ESTALE
 * when they do not (why shows both); other -errno when a file cannot be
 * read or is not what it should be.
 */
int kbuild_check_match(const char *bzimage, const char *vmlinux, struct sbuf *why);
/* The version string of a bzImage ("6.1.192 (root@vm) #1 SMP ..."). */
int kbuild_bzimage_version(const char *bzimage, char **version);

struct kbuild_artifacts {
	char *build_dir;	/* absolute */
	char *src_dir;		/* absolute; the same as build_dir for in-tree builds */
	char *bzimage;		/* build_dir/arch/x86/boot/bzImage */
	char *vmlinux;		/* build_dir/vmlinux */
	char *gdb_scripts;	/* build_dir/vmlinux-gdb.py, NULL when absent */
	char *config;		/* build_dir/.config */
	char *release;		/* include/config/kernel.release, e.g. "6.1.192" */
	char *modules_dir;	/* build_dir when modules were built (modules.order), else NULL */
};
void kbuild_artifacts_clear(struct kbuild_artifacts *a);
/*
 * PATH: a build directory (O=), a kernel tree (its last kdebug build, or
 * its in-tree build), or NULL: the last build of the kernel tree in the
 * current directory, else the last build kdebug configured.  Fills *a
 * (absolute paths) when bzImage and vmlinux exist; -ENOENT with why
 * ("no bzImage in '...'; run 'kdebug build'") otherwise.
 */
int kbuild_resolve(const char *path_or_null, struct kbuild_artifacts *a, struct sbuf *why);
/*
 * Which build directory would kbuild_resolve() use?  Same rules, but the
 * directory need not be built yet.  Returns malloc'd path or NULL (why).
 */
char *kbuild_find_dir(const char *path_or_null, struct sbuf *why);

/*
 * The kernel `kdebug run` boots: KERNEL a bzImage (its build directory's
 * vmlinux when it sits in one and matches), a build directory or kernel
 * tree, or NULL (the last kdebug build); VMLINUX overrides the symbols.
 * Fills art (bzimage always; vmlinux, build_dir, src_dir, gdb_scripts when
 * known).  -EINVAL for bad input (why says what to do).
 */
int kbuild_resolve_kernel(const char *kernel, const char *vmlinux, struct kbuild_artifacts *art,
			  struct sbuf *why);

/* ---- the build pipeline of `kdebug build` ---- */

struct kbuild_build {
	/* Input. */
	const char *out;	/* the build directory; NULL: kbuild_find_dir(src) */
	const char *src;	/* a tree or tarball (its last build directory), or NULL */
	const char *cc;		/* NULL: what kdebug config chose */
	unsigned jobs;		/* 0: online CPUs */
	void (*on_progress)(const struct kbuild_progress *p, void *arg);
	void *arg;

	/* Set by kbuild_build_prepare(). */
	char *dir, *src_dir, *cc_used, *log;	/* cc_used NULL: the kernel's default */
	struct strvec targets;	/* bzImage [modules] [scripts_gdb] */
	/* Set by kbuild_build_run(). */
	int status;		/* make's exit status */
	long long ms;		/* how long make ran */
	struct kbuild_progress progress;	/* total estimated by _prepare() */
	struct kbuild_artifacts artifacts;
	struct sbuf errors;	/* make failed: the first errors of its log */
	bool state_unsaved;	/* kdebug-state could not be written (not fatal) */
	bool bad_input;		/* the failure is the caller's input (usage) */

	/* Private. */
	struct strvec state;
	char *cache, *stats_key;
	bool fresh;
	int lockfd;
};
void kbuild_build_init(struct kbuild_build *b);
/*
 * Find the configured build directory, its source and compiler, take the
 * lock, choose the targets.  -errno with why (-EBUSY: another kdebug works
 * in the directory).
 */
int kbuild_build_prepare(struct kbuild_build *b, struct sbuf *why);
/* "make -jN [CC=...] TARGETS", as the user would type it. */
char *kbuild_build_command(const struct kbuild_build *b);
/*
 * Run make, record the result in kdebug-state, find the artifacts and check
 * that bzImage and vmlinux match.  0, or -EINTR (interrupted), -EIO (make
 * failed: b->errors), -ENOENT (no bzImage/vmlinux), -ESTALE (they do not
 * match), other -errno when make could not run; why says which.
 */
int kbuild_build_run(struct kbuild_build *b, struct sbuf *why);
void kbuild_build_clear(struct kbuild_build *b);

#endif
