// SPDX-License-Identifier: GPL-2.0
/*
 * The QMP client on what a QEMU (or whatever holds the socket) sends: the
 * input is the byte stream, written into one end of a socketpair that is
 * then shut for writing; the client on the other end reads the greeting,
 * negotiates, runs a few commands and waits for events, as `kdebug ps`,
 * `stop`, `monitor` and `gdbserver` do.  Every call ends on EOF at the
 * latest, so no timeout is ever reached.  qmp_chardev_port() gets the
 * input as a chardev filename too.
 */
#include <sys/socket.h>

#include "fuzz.h"
#include "qmp.h"

static void session(struct qmp *q)
{
	json_t *ret = NULL, *data = NULL;
	char *out = NULL;
	int port;

	if (qmp_command(q, "query-status", NULL, &ret) == 0)
		json_decref(ret);
	if (qmp_hmp(q, "info registers", &out) == 0)
		free(out);
	char *sock = NULL;
	if (qmp_gdbstub(q, &port, &sock) == 0)
		fuzz_assert(port >= 0 && port <= 65535);
	free(sock);
	if (qmp_wait_event(q, "STOP", 0, &data) == 0)
		json_decref(data);
	data = NULL;
	if (qmp_wait_event(q, "SHUTDOWN", 0, &data) == 0)
		json_decref(data);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct qmp q;
	int sv[2];

	if (size > 65536)
		return -1;	/* more than the socket buffer holds without a reader */
	char *s = fuzz_str(data, size);
	int port = qmp_chardev_port(s);
	fuzz_assert(port >= 0 && port <= 65535);
	free(s);

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		abort();
	if (write_all(sv[1], data, size) < 0 || shutdown(sv[1], SHUT_WR) < 0)
		abort();
	if (qmp_open_fd(&q, sv[0], 1000) == 0) {
		session(&q);
		qmp_close(&q);
	}
	close(sv[1]);
	return 0;
}
