/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tarball: unpacking source archives (kernel trees, BusyBox sources) with
 * libarchive, safely.
 */
#ifndef KDEBUG_TARBALL_H
#define KDEBUG_TARBALL_H

#include <stdbool.h>

#include "util.h"

/* Can libarchive read a first member of PATH (tar, any compression, zip, cpio)? */
bool tarball_is_archive(const char *path);
/*
 * Unpack TARBALL under DEST (which exists).  Members must be relative and
 * free of "..", hard-link targets too; owners are never restored (the
 * files belong to the caller, even as root); modes and times are.  0, or
 * -EINVAL (not readable, corrupt, empty, an unsafe member), -EIO (cannot
 * write), -EINTR (kdebug was interrupted), with why set.  DEST may hold a
 * partial tree on failure: the caller removes it.
 */
int tarball_extract(const char *tarball, const char *dest, struct sbuf *why);

#endif
