// SPDX-License-Identifier: GPL-2.0
/*
 * Stage "rootfs": what the guest boots from: --rootfs (an initramfs or an
 * ext image), kdebug's cached BusyBox initramfs by default, --initrd
 * (appended to an initramfs rootfs), or for --root nfs/9p a directory: the
 * user's, or a fresh BusyBox tree in the instance directory.
 */
#include "run.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int rootfs_check(struct run_session *s, struct sbuf *why)
{
	const struct run_config *c = s->cfg;
	const char *colon = c->root ? strchr(c->root, ':') : NULL;
	int r;

	if (colon) {
		if (rootfs_check_root_dir(colon + 1, why))
			return EXIT_USAGE;
		s->root_dir = abspath(colon + 1);
	}
	if (c->initrd && !is_regular(c->initrd)) {
		sbuf_addf(why, "cannot open initrd '%s': %s", c->initrd,
			  strerror(path_exists(c->initrd) ? EISDIR : ENOENT));
		return EXIT_USAGE;
	}
	if (!c->rootfs)
		return 0;
	if (is_dir(c->rootfs)) {
		sbuf_addf(why, "'%s' is a directory; boot directories with --root nfs:DIR or --root 9p:DIR", c->rootfs);
		return EXIT_USAGE;
	}
	r = rootfs_classify(c->rootfs, &s->kind);
	if (r == -EMEDIUMTYPE) {
		sbuf_addf(why, "'%s' is neither an initramfs (cpio) nor an ext2/3/4 image; make one with 'kdebug rootfs'",
			  c->rootfs);
		return EXIT_USAGE;
	} else if (r) {
		sbuf_addf(why, "cannot open rootfs '%s': %s", c->rootfs, strerror(-r));
		return EXIT_USAGE;
	}
	s->rootfs = abspath(c->rootfs);
	return 0;
}

static int rootfs_setup(struct run_session *s, struct sbuf *why)
{
	const struct run_config *c = s->cfg;
	int r;

	if (!s->rootfs && !c->root) {
		struct sbuf w = SBUF_INIT;
		r = rootfs_default_initramfs(&s->rootfs, &w);
		if (r) {
			sbuf_addf(why, "cannot build the default initramfs: %s", w.len ? w.buf : strerror(-r));
			sbuf_release(&w);
			return EXIT_FAIL;
		}
		sbuf_release(&w);
		s->kind = RK_INITRAMFS;
	}
	if (c->root && !s->root_dir) {
		/* A fresh BusyBox tree for this VM, edited live from the host. */
		struct rootfs_opts ro = { .format = ROOTFS_DIR };
		s->root_dir = instance_path(&s->in, "root");
		ro.output = s->root_dir;
		struct sbuf w = SBUF_INIT;
		r = rootfs_build(&ro, &w);
		if (r) {
			sbuf_addf(why, "cannot build the root directory: %s", w.len ? w.buf : strerror(-r));
			sbuf_release(&w);
			return EXIT_FAIL;
		}
		sbuf_release(&w);
		say(&s->say, SAY_NOTE, "VM %s: root file system in %s", s->in.name, s->root_dir);
	}
	if (s->kind == RK_INITRAMFS && c->initrd) {
		s->initrd = instance_path(&s->in, "initrd.img");
		r = rootfs_concat_initramfs(s->rootfs, c->initrd, s->initrd);
		if (r) {
			sbuf_addf(why, "cannot write '%s': %s", s->initrd, strerror(-r));
			return EXIT_FAIL;
		}
	} else if (s->kind == RK_INITRAMFS) {
		s->initrd = xstrdup(s->rootfs);
	} else if (c->initrd) {
		s->initrd = abspath(c->initrd);
	}
	return 0;
}

const struct run_stage run_stage_rootfs = {
	.name = "rootfs",
	.check = rootfs_check,
	.setup = rootfs_setup,
};
