/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The tutorial's "compile busybox" step: find or build a static BusyBox.
 *
 *   - the system's static busybox (Debian busybox-static: /bin/busybox);
 *   - a binary the user names, checked to be a static x86_64 ELF;
 *   - a source tree or tarball, built the tutorial's way (make defconfig,
 *     CONFIG_STATIC=y, CONFIG_INSTALL_NO_USR=y, make -jN, make install
 *     CONFIG_PREFIX=...) once, cached in cache_dir()/busybox/<key>/ where
 *     <key> hashes the tarball's bytes or the tree's identity (names, types,
 *     modes, sizes, mtimes).
 *
 * Functions return 0 or -errno.  -EINVAL always means "the caller's input
 * is unusable" (a dynamic binary, a missing file, not a source tree) and
 * comes with a one-line reason in *why; other errors are failures (make
 * failed, disk full) and also explain themselves in *why.
 */
#ifndef KDEBUG_BUSYBOX_H
#define KDEBUG_BUSYBOX_H

#include <stdbool.h>

#include "elfsym.h"
#include "util.h"

/* Debian's busybox-static installs here. */
#define BUSYBOX_SYSTEM "/bin/busybox"

/* elf_check_static() (lib/elfsym.h) tells whether a binary is static x86_64. */

typedef void (*busybox_progress_fn)(void *arg, const char *msg);

struct busybox_opts {
	const char *spec;	/* NULL: BUSYBOX_SYSTEM; else file, dir or tarball */
	int jobs;		/* make -jN for a source build; <= 0: online CPUs */
	busybox_progress_fn progress;	/* optional: "building BusyBox ..." */
	void *progress_arg;
};

/*
 * Resolve opts->spec to a static BusyBox binary, building it from source
 * when spec is a directory or a tarball.  *binary (malloc'd) is the binary
 * to copy into the root filesystem; *built (optional) tells whether make
 * ran this time (false on a cache hit).  Safe when two kdebug processes
 * build the same source at once (flock on the cache entry).
 */
int busybox_resolve(const struct busybox_opts *opts, char **binary, bool *built,
		    struct sbuf *why);

/*
 * Run `binary --list-full` and return its output in *out: one applet path
 * per line, relative to the root ("bin/ls", "usr/sbin/chroot").
 */
int busybox_list_applets(const char *binary, struct sbuf *out, struct sbuf *why);


#endif
