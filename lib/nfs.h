/* SPDX-License-Identifier: GPL-2.0 */
/*
 * NFS root for the guest: a private nfs-ganesha server (VFS backend) that
 * exports one directory over NFSv3/TCP on explicit ports, the kernel command
 * line that mounts it (root=/dev/nfs nfsroot=...), and, optionally, an export
 * through the host's kernel NFS server (exportfs).
 *
 * ganesha registers its programs with rpcbind at start-up and treats a
 * failure as fatal, although the guest never asks rpcbind (it is given
 * port= and mountport=).  nfs_server_start() therefore uses the rpcbind
 * that answers on /run/rpcbind.sock, or starts a private one just for the
 * start-up and stops it as soon as ganesha serves.  Start-ups are
 * serialised with a lock (/run/kdebug-nfs.lock): the rpcbind socket is
 * shared by all network namespaces, and a ganesha starting removes the
 * registrations of the previous one before adding its own.
 *
 * Nothing another local user can reach (issue #10): ganesha listens on one
 * address (Bind_Addr).  Under user-mode networking it runs in a network
 * namespace of its own (proc.c's new_netns) and listens on that
 * namespace's 127.0.0.1, which no other process shares; QEMU's slirp hands
 * each guest connection to 10.0.2.4:PORT (guestfwd=...-cmd:) to a relay,
 * `kdebug __nfs-relay NETNS INODE PORT` (nfs_relay()), that enters the
 * namespace and connects to 127.0.0.1:PORT there.  In bridge mode ganesha
 * stays in the host's namespace and listens on the bridge's host address
 * only; the export names the guest's address.
 */
#ifndef KDEBUG_NFS_H
#define KDEBUG_NFS_H

#include <stdbool.h>

#include "proc.h"
#include "util.h"

/* The address the guest's NFS traffic comes from under user-mode (slirp) networking. */
#define NFS_SLIRP_CLIENT "127.0.0.1"
/* The host as seen from a user-mode guest. */
#define NFS_SLIRP_SERVER "10.0.2.2"
/* Where a user-mode guest finds the private server: slirp's guestfwd to the relays. */
#define NFS_SLIRP_RELAY "10.0.2.4"
/* The ports of a server in its own namespace (nothing else there to collide with). */
#define NFS_PRIVATE_PORT 20490
#define NFS_PRIVATE_MOUNT_PORT 20491

struct nfs_server_opts {
	const char *dir;	/* directory to export (must exist) */
	const char *state_dir;	/* ganesha.conf, ganesha.log, ganesha.pid, recovery/ (created) */
	const char *client;	/* address or address/prefix allowed; NULL: NFS_SLIRP_CLIENT */
	const char *bind_addr;	/* the one IPv4 address it listens on; NULL: 127.0.0.1 */
	bool private_netns;	/* in a network namespace of its own (user mode: reached through relays) */
	int nfs_port, mount_port;	/* 0: the first free ports from 20490 (private_netns: 20490, 20491) */
	int timeout_ms;		/* wait for the server to serve; 0: 20000 */
	const char *ganesha;	/* program; NULL: "ganesha.nfsd" from PATH */
	const char *rpcbind;	/* program; NULL: "rpcbind" from PATH */
};

struct nfs_server {
	struct proc proc;
	int nfs_port, mount_port;
	char *conf, *log, *pidfile;
	char *bind_addr;	/* where it listens */
	int netns_fd;		/* private_netns: its namespace (kept open while it runs), else -1 */
	unsigned long long netns_ino;	/* ... and that namespace's inode, for the relays */
	bool started;
};

/*
 * Is CLIENT an acceptable export client: an IPv4/IPv6 address, or an
 * address/prefix ("10.0.2.15", "192.168.100.0/24")?  Never "*", host names
 * or lists.  0 or -EINVAL.
 */
int nfs_client_check(const char *client);
/* Can DIR be named on the kernel command line (absolute, no ',', '%', spaces, short enough)? */
int nfs_dir_check(const char *dir);

/*
 * The generated ganesha.conf (pure; o->dir and o->state_dir are used as
 * given, so pass absolute paths).  -EINVAL when the client, the bind
 * address (an IPv4 address, not 0.0.0.0) or the directory is not acceptable.
 */
int nfs_ganesha_conf(const struct nfs_server_opts *o, int nfs_port, int mount_port,
		     struct sbuf *out);

/*
 * Start the server: pick ports, write STATE/ganesha.conf, start rpcbind if
 * none answers (only until ganesha serves), start ganesha.nfsd in the
 * foreground (-F; it dies with kdebug through PR_SET_PDEATHSIG), and wait
 * until the NFS and MOUNT ports accept connections on 127.0.0.1.  On
 * success s->nfs_port and s->mount_port are set and nfs_server_stop() must
 * be called.  Errors (why says what, with the last lines of the log):
 * -ENOENT ganesha.nfsd or its VFS backend is not installed, -EPERM not
 * root, -EADDRINUSE the requested ports are taken, -ETIMEDOUT, -EINTR
 * (kdebug was interrupted), -EIO the server exited.  Nothing is left
 * running on failure.
 */
int nfs_server_start(const struct nfs_server_opts *o, struct nfs_server *s, struct sbuf *why);
/*
 * The namespace of a private_netns server as the relays name it:
 * "/proc/PID/ns/net" (freshly allocated) and *ino, or NULL when it has none.
 */
char *nfs_server_netns(const struct nfs_server *s, unsigned long long *ino);
/* SIGTERM, then SIGKILL after 3 s; frees s.  Safe on a zeroed or stopped server. */
void nfs_server_stop(struct nfs_server *s);
/* Still running? */
bool nfs_server_running(struct nfs_server *s);

/*
 * The command QEMU's slirp runs for each guest connection to a relayed port
 * (guestfwd=tcp:ADDR:PORT-cmd:CMD): "'EXE' __nfs-relay NETNS INODE PORT".
 * slirp splits CMD with g_shell_parse_argv() (no shell: quotes only), so
 * EXE is single-quoted ('\'' for a quote).  -EINVAL for what the command
 * cannot carry: an EXE that is not absolute, has a control character or
 * is longer than 1024 bytes, or a NETNS with anything but [/a-z0-9].
 * out gets CMD as QEMU's option parser must see it: use qemu_add_value().
 */
int nfs_relay_cmd(const char *exe, const char *netns, unsigned long long ino, int port,
		  struct sbuf *out);
/*
 * The relay itself (kdebug __nfs-relay): open NETNS, check that it is the
 * namespace INO (not a reused PID's), enter it, connect to 127.0.0.1:PORT
 * there, and copy between that connection and stdin/stdout (slirp's end
 * of the guest's connection) until either side closes.  0 after a normal
 * end, -errno when it could not connect (-ESTALE: another namespace).
 */
int nfs_relay(const char *netns, unsigned long long ino, int port);

/*
 * "root=/dev/nfs nfsroot=IP:DIR,vers=3,tcp,mountproto=tcp,port=P,mountport=M,nolock,actimeo=1 rw"
 * (actimeo=1: host edits show up in the guest within a second);
 * the caller adds ip= (e.g. "ip=dhcp" under user-mode networking).  A port
 * of 0 is left out: the guest asks the server's portmapper (the kernel
 * NFS server).  NULL when DIR fails nfs_dir_check().
 */
char *nfs_kernel_cmdline(const char *server_ip, const char *dir, int nfs_port, int mount_port);

/*
 * --nfs-server kernel: the exportfs command that adds (add=true) or removes
 * the export of DIR to CLIENT: "exportfs -o rw,no_root_squash,no_subtree_check,insecure CLIENT:DIR"
 * / "exportfs -u CLIENT:DIR".
 */
void nfs_exportfs_argv(struct strvec *argv, bool add, const char *client, const char *dir);
/*
 * Is a kernel NFS server running (nfsd threads: /proc/fs/nfsd/threads > 0)?
 * 0 when it is, -ENOENT (why says how to start one) when not.
 */
int nfs_kernel_server_check(const char *proc_nfsd, struct sbuf *why);
/* nfs-ganesha's VFS backend (package nfs-ganesha-vfs), or NULL when not installed. */
const char *nfs_fsal_vfs_path(void);
/* Run exportfs to add/remove the export; 0 or -errno (why has exportfs's output). */
int nfs_kernel_export(bool add, const char *client, const char *dir, struct sbuf *why);

/*
 * --nfs-server kernel: export DIR to CLIENT only, with a reaper (kdebug
 * __nfs-reaper CLIENT DIR, see proc_reaper_start()) that removes the
 * export when told to or when kdebug dies.
 */
int nfs_kernel_export_start(struct proc *rp, const char *client, const char *dir, struct sbuf *why);

#endif
