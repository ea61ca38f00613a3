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
 * - a root file system uses security_model=passthrough when QEMU runs as
 *   root (real owners, modes and device nodes, what a rootfs needs) and
 *   security_model=mapped-xattr otherwise.
 * mapped-xattr as root would keep the guest's root from making setuid-root
 * files on the host, but it cannot read the host's real symlinks (QEMU
 * reads a mapped symlink as a file holding its target: ELOOP), which every
 * BusyBox tree and most source trees have; so as root the guest's root is
 * root on the shared trees too (issue #10, open).
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

/* "passthrough" or "mapped-xattr" (see above). */
const char *share_root_security_model(bool qemu_is_root);
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
