/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Listening sockets kdebug opens itself and hands to QEMU (-chardev
 * socket,fd=N): the port or path is ours before QEMU starts, so two VMs can
 * never race for the same gdb port, and the QMP socket exists as soon as the
 * instance is registered.
 */
#ifndef KDEBUG_SOCK_H
#define KDEBUG_SOCK_H

/* Listen on 127.0.0.1:port (close-on-exec).  -EADDRINUSE when taken. */
int sock_listen_loopback(int port, int *fd);
/* The first free port in [start, start+count) on 127.0.0.1; listening fd. */
int sock_listen_loopback_from(int start, int count, int *port, int *fd);
/* Listen on a unix socket path, mode 0600 (close-on-exec). */
int sock_listen_unix(const char *path, int *fd);

#endif
