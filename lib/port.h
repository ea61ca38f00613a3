/* SPDX-License-Identifier: GPL-2.0 */
/*
 * TCP ports on 127.0.0.1 (for the gdbstub): is one free, find a free one.
 * Checked by binding a socket ourselves (with SO_REUSEADDR and listen(),
 * as QEMU does), so a port held by a listener anywhere (0.0.0.0, [::]
 * dual-stack, 127.0.0.1) counts as in use.  The answer is a snapshot: the
 * port may be taken before QEMU binds it.
 */
#ifndef KDEBUG_PORT_H
#define KDEBUG_PORT_H

/* 1 when 127.0.0.1:port can be bound, 0 when it is in use, else -errno (-EACCES, -EINVAL). */
int port_is_free(int port);
/* First free port >= start: 0 and *port, -EADDRNOTAVAIL when none up to 65535. */
int port_find_free(int start, int *port);

#endif
