/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host directories in the guest over virtio-9p: QEMU's -fsdev/-device
 * arguments, the guest's mount script for --share HOST[:GUEST], and the
 * kernel command line for a 9p root (--root 9p:DIR).
 *
 * Security models (QEMU's "local" fsdev):
 * - shares use security_model=none: files keep the host's owners and
 *   modes, files the guest creates belong to the user QEMU runs as, and
 *   chown failures are ignored -- a plain live view of a host directory.
 * - a root file system always uses security_model=mapped-xattr: owners,
 *   modes and special files the guest sets live in user.virtfs.* xattrs,
 *   host files keep their owner and mode, and files the guest creates are
 *   0600/0700 files of the user QEMU runs as.  So even when QEMU runs as
 *   root, the guest's root cannot make a setuid-root or device file on the
 *   host (passthrough and none would: they chown/chmod the host file).
 *   QEMU reads a symlink in this model as a file holding its target (a real
 *   host symlink gives ELOOP), so share_map_root() first turns every real
 *   symlink of the tree into that form (issue #10).
 */
#ifndef KDEBUG_SHARE_H
#define KDEBUG_SHARE_H

#include <stdbool.h>

#include "util.h"

/* The mount tag of a 9p root: the kernel mounts "/dev/root" (root=/dev/root). */
#define SHARE_ROOT_TAG "/dev/root"
/* 9p options the guest mounts with (msize: the 6.1 default of 8 KiB is slow). */
#define SHARE_9P_OPTS "trans=virtio,version=9p2000.L,msize=262144"
/* Where the generated mount script goes in the guest (sourced by rcS). */
#define SHARE_RC_PATH "/etc/kdebug/rc.d/50-shares.sh"

struct share {
	char *host;	/* absolute */
	char *guest;	/* absolute */
	char *tag;	/* "kdebug0", "kdebug1", ... */
	bool readonly;
};

/*
 * Parse "HOSTDIR[:GUESTPATH]" (GUESTPATH defaults to /mnt/<basename>); the
 * tag is "kdebug<index>".  HOSTDIR must be a directory.  0, or -EINVAL /
 * -ENOENT with why filled.
 */
int share_parse(const char *spec, unsigned index, struct share *out, struct sbuf *why);
void share_clear(struct share *s);

/* "mapped-xattr" (see above). */
const char *share_root_security_model(void);
/*
 * Turn every symlink under DIR (never followed) into QEMU's mapped-xattr
 * form: a 0600 regular file holding the target with user.virtfs.mode
 * S_IFLNK|0777 and uid/gid 0.  Idempotent.  0 or -errno with why filled
 * (-ENOTSUP: no user xattrs on DIR's file system).
 */
int share_map_root(const char *dir, struct sbuf *why);
/* Can PATH go on the kernel command line as it is (no blank, quote, backslash)? */
bool share_cmdline_safe(const char *path);

/*
 * Append "-fsdev local,id=fsN,path=DIR,security_model=MODEL[,readonly=on],multidevs=remap"
 * and "-device virtio-9p-pci,fsdev=fsN,mount_tag=TAG".  ID is the fsdev id
 * ("fs0"); commas in DIR are doubled for QEMU's option parser.
 */
void share_add_qemu_args(struct strvec *argv, const char *id, const char *hostdir,
			 const char *tag, const char *security_model, bool readonly);

/*
 * The guest script mounting the shares (to be installed at SHARE_RC_PATH):
 * one "mkdir -p GUEST && mount -t 9p -o OPTS TAG GUEST" per share, with a
 * message when a mount fails.  Sourced by rcS: it never exits.
 */
char *share_rc_script(const struct share *shares, size_t n);

/* "root=/dev/root rootfstype=9p rootflags=trans=virtio,version=9p2000.L,msize=262144 rw". */
char *share_root_cmdline(void);

#endif
