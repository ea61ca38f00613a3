/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Crash directories: what a run's panic watch keeps of a crashed (or hung,
 * or warning) kernel, for `kdebug crash` and `kdebug drgn` to open later:
 *   <cache_dir()>/crashes/<NAME>-<YYYYmmddTHHMMSSZ>[-N]/   (0700)
 *     meta.json     a meta object (lib/meta.c, "version": 1): "name", "kind",
 *                   "time" (unix seconds), "vmlinux", "kernel" (build dir),
 *                   "release", "modules" (array of module dirs), "vmcore"
 *                   (path or null), "format" ("elf", ... or null)
 *     vmcore, report.txt, report.json   (written by the panic watch)
 * The writer creates the directory (crashdir_create), puts its files in
 * it and saves meta.json last (crashdir_save): a directory without
 * meta.json is one being written, and readers skip it.
 */
#ifndef KDEBUG_CRASHDIR_H
#define KDEBUG_CRASHDIR_H

#include <stdbool.h>

#include "util.h"

#define CRASHDIR_META "meta.json"

struct crashdir {
	char *dir;		/* absolute; set by crashdir_load(), not saved */
	char *name;		/* the VM's name */
	char *kind;		/* panic, oops, bug, warn, soft-lockup, hard-lockup, hung-task, hang */
	long long time;		/* unix seconds */
	char *vmlinux;		/* absolute, may be NULL */
	char *kernel;		/* the kernel build directory, may be NULL */
	char *release;		/* may be NULL */
	struct strvec modules;	/* module directories */
	char *vmcore;		/* absolute (a relative one is read as under dir), NULL: none */
	char *format;		/* the vmcore's format, NULL when none */
};

bool crashdir_kind_valid(const char *kind);
/* <cache_dir()>/crashes (nothing created); malloc'd. */
char *crashdir_root(void);
/*
 * A new, empty crash directory for VM NAME (a valid instance name), named
 * after the time now (UTC) and unique (-2, -3, ... when taken), 0700, its
 * parents made as needed.  0 and *dir (malloc'd, absolute); -EINVAL for a
 * bad name, else -errno.
 */
int crashdir_create(const char *name, char **dir);
/*
 * Write DIR/meta.json atomically (0600) from cd (cd->dir is ignored).
 * -EINVAL when name is missing or kind unknown, -EILSEQ when a string is
 * not UTF-8, else -errno.
 */
int crashdir_save(const char *dir, const struct crashdir *cd);
/*
 * Read DIR/meta.json into *cd (absolute cd->dir).  -ENOENT when there is
 * none, -EINVAL when it is not a crash directory's meta object (a field of
 * the wrong type, no name), else -errno.  *cd untouched on failure.
 */
int crashdir_load(const char *dir, struct crashdir *cd);
void crashdir_free(struct crashdir *cd);
/*
 * The complete crash directories (with meta.json) of VM NAME, or of every
 * VM when NAME is NULL, newest first (by the time in their names), appended
 * to *dirs as absolute paths.  0 (perhaps none) or -errno.
 */
int crashdir_list(const char *name, struct strvec *dirs);
/* The newest of crashdir_list(): 0 and *dir (malloc'd), -ENOENT when none. */
int crashdir_latest(const char *name, char **dir);

#endif
