/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Registry of running VMs: one directory per VM under
 * $XDG_RUNTIME_DIR/kdebug/<name>/ (or /tmp/kdebug-<uid>/ when unset), mode
 * 0700, holding:
 *   lock         flock()ed exclusively by the `kdebug run` that owns the VM
 *   info         key=value metadata, written to a temp file and renamed
 *   qmp.sock     QMP socket (0600)
 *   console.log  full serial console
 *   qemu.log     QEMU's own stderr
 * A directory whose lock is free is stale (its owner died): instance_load()
 * and instance_list() remove it.
 */
#ifndef KDEBUG_INSTANCE_H
#define KDEBUG_INSTANCE_H

#include <stdbool.h>
#include <sys/types.h>

struct instance {
	char *name;
	char *dir;
	int lock_fd;		/* >= 0 only in the owning process */
	pid_t pid;		/* the owning kdebug */
	pid_t qemu_pid;
	int gdb_port;		/* 0: no gdbstub */
	long long started;	/* unix seconds */
	char *kernel;		/* bzImage path */
	char *vmlinux;		/* may be NULL */
	char *build_dir;	/* kernel build directory, may be NULL */
	char *rootfs;		/* may be NULL */
	char *accel;		/* "kvm" or "tcg" */
	char *net;		/* network mode, may be NULL */
};

/* The registry directory (created 0700 if missing); malloc'd. */
char *instance_registry_dir(void);
bool instance_name_valid(const char *name);
/*
 * Create and lock a new instance directory.  name NULL picks the first free
 * k1, k2, ...  -EEXIST when the name is in use by a live VM, -EINVAL for a
 * bad name.  `in` is filled (name, dir, lock_fd, pid); the caller fills the
 * rest and calls instance_save().
 */
int instance_create(const char *name, struct instance *in);
int instance_save(const struct instance *in);
/* Load a live instance; -ENOENT when there is none of that name (stale ones are removed). */
int instance_load(const char *name, struct instance *in);
/*
 * name NULL: the only live instance (-ENOENT when none, -E2BIG when
 * several); else instance_load().
 */
int instance_resolve(const char *name, struct instance *in);
/* All live instances sorted by name; stale ones removed. */
int instance_list(struct instance **list, size_t *n);
/* Remove the directory (owner, at exit) and release the lock. */
void instance_remove(struct instance *in);
void instance_free(struct instance *in);
void instance_list_free(struct instance *list, size_t n);
/* DIR/file, malloc'd. */
char *instance_path(const struct instance *in, const char *file);
/* Parse/format the info file (exposed for unit tests). */
int instance_parse_info(const char *text, struct instance *in);
char *instance_format_info(const struct instance *in);

#endif
