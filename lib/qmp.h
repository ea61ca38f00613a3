/* SPDX-License-Identifier: GPL-2.0 */
/*
 * QMP client (QEMU Machine Protocol) over a unix socket, JSON through
 * jansson.  Every call has a timeout; events that arrive while waiting for
 * a reply are queued and can be waited for with qmp_wait_event().
 */
#ifndef KDEBUG_QMP_H
#define KDEBUG_QMP_H

#include <jansson.h>

#include "util.h"

struct qmp {
	int fd;
	int timeout_ms;		/* per call; default 10000; < 0: no timeout */
	struct sbuf rbuf;	/* bytes read, not yet parsed */
	json_t *greeting;
	json_t *events;		/* array of queued events (at most QMP_MAX_EVENTS, oldest dropped) */
	char *error;		/* desc of the last QMP error reply, or NULL */
	char *error_class;	/* its class ("GenericError", ...), or NULL */
	long long next_id;	/* ids of our commands: 1, 2, ... */
};

#define QMP_MAX_EVENTS 1000

/*
 * Connect to a socket path, read the greeting, negotiate capabilities.
 * timeout_ms covers all of that and becomes q->timeout_ms (0: 10000; < 0:
 * none).  -ENOENT/-ECONNREFUSED: no QEMU listening; -EAGAIN: the listen
 * queue is full; -ETIMEDOUT: no greeting (QEMU serves one QMP client per
 * socket at a time: another client may be connected).  -EPROTO: not QMP.
 * Every wait also returns -EINTR when kdebug gets SIGINT/SIGTERM
 * (proc_signal_fd()).  On failure q is left closed (qmp_close() is harmless).
 */
int qmp_connect(struct qmp *q, const char *path, int timeout_ms);
/* Same, on an already connected fd (takes ownership, even on failure; for tests). */
int qmp_open_fd(struct qmp *q, int fd, int timeout_ms);
/*
 * Execute a command.  args may be NULL (borrowed, not stolen).  On success
 * *ret (if given) gets the "return" value (new reference).  A QMP error
 * reply returns -EREMOTEIO with q->error set; -ETIMEDOUT, -ECONNRESET.
 */
int qmp_command(struct qmp *q, const char *cmd, json_t *args, json_t **ret);
/*
 * human-monitor-command: run an HMP line, *out gets its text (malloc'd,
 * "\r\n" turned into "\n").  HMP reports most failures as text in *out,
 * not as a QMP error.
 */
int qmp_hmp(struct qmp *q, const char *cmdline, char **out);
/*
 * Wait for an event by name (queued or new); *data gets its "data" (new
 * ref, may be NULL).  timeout_ms < 0 waits forever; 0 only looks at what
 * has already arrived.  -ETIMEDOUT, -ECONNRESET (QEMU went away), -EINTR.
 */
int qmp_wait_event(struct qmp *q, const char *event, int timeout_ms, json_t **data);
/*
 * The gdbstub QEMU listens on (query-chardev, chardev "gdb"): 0 with *port
 * (0 when not TCP) and *unix_path (malloc'd, NULL when not a unix socket;
 * may be NULL), or -errno.
 */
int qmp_gdbstub(struct qmp *q, int *port, char **unix_path);
/* Port in a socket chardev filename ("tcp:127.0.0.1:1234,server=on <-> ..."), or 0. */
int qmp_chardev_port(const char *filename);
void qmp_close(struct qmp *q);

#endif
