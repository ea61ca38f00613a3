/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Registry of running VMs: one directory per VM under
 * $XDG_RUNTIME_DIR/kdebug/<name>/ (or /tmp/kdebug-<uid>/ when unset), mode
 * 0700, holding:
 *   lock         flock()ed exclusively by the `kdebug run` that owns the VM
 *   info         metadata, a JSON object (lib/meta.c), written to a temp file and renamed
 *   qmp.sock     QMP socket (0600)
 *   console.log  full serial console
 *   qemu.log     QEMU's own stderr
 * A directory whose lock is free is stale (its owner died): instance_load()
 * and instance_list() remove it.
 */
#ifndef KDEBUG_INSTANCE_H
#define KDEBUG_INSTANCE_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "net.h"
#include "say.h"

struct instance {
	char *name;
	char *dir;
	int lock_fd;		/* >= 0 only in the owning process */
	pid_t pid;		/* the owning kdebug */
	pid_t qemu_pid;
	int gdb_port;		/* the gdbstub on 127.0.0.1:PORT (--gdb tcp), 0: none */
	char *gdb_socket;	/* the gdbstub's unix socket (0600, in dir), may be NULL */
	long long started;	/* unix seconds */
	char *kernel;		/* bzImage path */
	char *vmlinux;		/* may be NULL */
	char *build_dir;	/* kernel build directory, may be NULL */
	char *rootfs;		/* may be NULL */
	char *accel;		/* "kvm" or "tcg" */
	char *net;		/* network mode ("user", "bridge:BR,TAP", ...), may be NULL */
	char *modules;		/* --module directories, one per line, may be NULL */
	char *guest_ip;		/* the guest's eth0 ADDRESS/PREFIX when known, may be NULL */
};

/*
 * The registry directory (created 0700 if missing); malloc'd.  NULL with
 * errno set when it cannot be created or is not private: not a directory,
 * not owned by us, or writable by group/others (EPERM).
 */
char *instance_registry_dir(void);
/* Same, 0 or -errno, *dir set only on success. */
int instance_registry(char **dir);
/* Where the registry is (no checks, nothing created), for messages; malloc'd. */
char *instance_registry_path(void);
bool instance_name_valid(const char *name);
/*
 * Create and lock a new instance directory.  name NULL picks the first free
 * k1, k2, ...  -EEXIST when the name is in use by a live VM, -EINVAL for a
 * bad name.  `in` is filled (name, dir, lock_fd, pid); the caller fills the
 * rest and calls instance_save().
 */
int instance_create(const char *name, struct instance *in);
/*
 * Rewrite DIR/info atomically; needs no lock (any process may update it).
 * -EILSEQ when a string field is not valid UTF-8 (JSON cannot hold it).
 */
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
/*
 * Remove the directory (owner, at exit) and release the lock.  Does
 * nothing when in->lock_fd < 0 (not the owner).
 */
void instance_remove(struct instance *in);
/* Free the fields; also closes lock_fd (which releases the VM: call instance_remove first). */
void instance_free(struct instance *in);
void instance_list_free(struct instance *list, size_t n);
/*
 * Serialize decisions that depend on the other instances (e.g. the address
 * a DHCP VM gets): an exclusive flock on REG/.lock.  Returns the fd to
 * close to unlock, or -errno.
 */
int instance_registry_lock(void);
/* DIR/file, malloc'd. */
char *instance_path(const struct instance *in, const char *file);
/*
 * Parse/format the info file (exposed for unit tests).  Parsing: -EINVAL
 * for text that is not a meta object (an older kdebug's key=value info) or
 * a field of the wrong type, -ERANGE for a number out of range; *in is
 * untouched on failure.  Formatting: NULL when a string is not valid UTF-8.
 */
int instance_parse_info(const char *text, struct instance *in);
char *instance_format_info(const struct instance *in);
/* Every info field (null when unset) plus "dir", for `ps --json`. */
json_t *instance_to_json(const struct instance *in);

/*
 * Wait until NAME is no longer a live VM (its owner released the lock or
 * removed the directory; a stale directory is removed).  0, -ETIMEDOUT,
 * -EINTR (Ctrl-C).  timeout_ms < 0 waits forever.
 */
int instance_wait_gone(const char *name, int timeout_ms);
/* Wait for any process (not only a child) to exit: 0, -ETIMEDOUT, -EINTR. */
int instance_wait_pid(pid_t pid, int timeout_ms);
/*
 * Send sig to in->qemu_pid, after checking (through a pidfd, so the pid
 * cannot be reused meanwhile) that the process is this VM's QEMU: its
 * argv[0] is qemu-system-* and its arguments name in->dir.  -EPERM
 * when it is some other process, -ESRCH when it is gone.
 */
int instance_kill_qemu(const struct instance *in, int sig);
/*
 * The VM's gdbstub: for gdb's `target remote` (the socket's PATH, which gdb
 * recognises as a unix socket, or "127.0.0.1:PORT") and for people; NULL
 * when it has none.  malloc'd.
 */
char *instance_gdb_target(const struct instance *in);
char *instance_gdb_shown(const struct instance *in);
/* Where a VM's gdbstub socket goes: DIR/gdb.sock (malloc'd). */
#define INSTANCE_GDB_SOCKET "gdb.sock"

/*
 * The guest's address on a bridge, recorded in the instance (guest_ip, net)
 * so that the other kdebug VMs on the same bridge see it.  With pick
 * (kdebug serves DHCP) it is the lowest address of the host's subnet that
 * is neither one of the host's on the bridge nor any running kdebug VM's on
 * this bridge; the registry lock makes VMs started together get different
 * ones.  Otherwise it is guest_ip (NULL: the default; "dhcp" from the LAN:
 * not known yet), and another VM on the bridge with the same address is
 * said in warn.  *cidr (malloc'd, NULL when unknown) is set on success.
 */
int instance_claim_bridge_address(struct instance *in, const struct net_bridge_state *nst,
				  const char *guest_ip, bool pick, char **cidr, struct sbuf *warn,
				  struct sbuf *why);

/*
 * Stop a VM: the power button (QMP system_powerdown; kdebug's guests power
 * off cleanly on it at any time), Ctrl-Alt-Del a moment later, QMP quit
 * after timeout_s, then SIGKILL of its QEMU (SIGTERM first when there is no
 * monitor); force skips to quit.  Waits until the owner has removed the
 * instance.  0 with *how ("powered off", "quit QEMU", ...); -EINTR (a
 * signal); else -errno with why.  Notes and warnings go through say.
 */
int instance_stop(const struct instance *in, unsigned timeout_s, bool force, const struct say *sy,
		  const char **how, struct sbuf *why);

#endif
