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
	int timeout_ms;		/* per call; default 10000 */
	struct sbuf rbuf;	/* bytes read, not yet parsed */
	json_t *greeting;
	json_t *events;		/* array of queued events */
	char *error;		/* last QMP error "class: desc", or NULL */
};

/* Connect to a socket path, read the greeting, negotiate capabilities. */
int qmp_connect(struct qmp *q, const char *path, int timeout_ms);
/* Same, on an already connected fd (takes ownership; for tests). */
int qmp_open_fd(struct qmp *q, int fd, int timeout_ms);
/*
 * Execute a command.  args may be NULL (borrowed, not stolen).  On success
 * *ret (if given) gets the "return" value (new reference).  A QMP error
 * reply returns -EREMOTEIO with q->error set; -ETIMEDOUT, -ECONNRESET.
 */
int qmp_command(struct qmp *q, const char *cmd, json_t *args, json_t **ret);
/* human-monitor-command: run an HMP line, *out gets its text (malloc'd). */
int qmp_hmp(struct qmp *q, const char *cmdline, char **out);
/* Wait for an event by name (queued or new); *data gets its "data" (new ref, may be NULL). */
int qmp_wait_event(struct qmp *q, const char *event, int timeout_ms, json_t **data);
void qmp_close(struct qmp *q);

#endif
