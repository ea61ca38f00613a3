// SPDX-License-Identifier: GPL-2.0
/*
 * QMP client.  QEMU sends one JSON object per line ("\r\n" terminated):
 * the greeting, replies ({"return":...} or {"error":...}, carrying our
 * "id"), and asynchronous events ({"event":...}) at any time.  We read
 * whole lines, parse each with jansson, queue the events, and hand back the
 * reply with our id.  Every wait is a poll() on the socket and
 * proc_signal_fd() with a deadline.
 */
#include "qmp.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "proc.h"

/* A line longer than this is not QMP talking. */
#define QMP_MAX_LINE (64u << 20)

static long long deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
}

static int poll_deadline(struct qmp *q, short events, long long deadline)
{
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = q->fd, .events = events },
			{ .fd = proc_signal_fd(), .events = POLLIN },
		};
		long long left = deadline < 0 ? -1 : deadline - now_ms();

		if (proc_interrupted())
			return -EINTR;
		if (deadline >= 0 && left < 0)
			left = 0;
		int n = poll(p, 2, left > INT_MAX ? INT_MAX : (int)left);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			return -ETIMEDOUT;
		if (p[1].revents)
			return -EINTR;
		if (p[0].revents & POLLNVAL)
			return -EBADF;
		if (p[0].revents)
			return 0;
	}
}

/* Read what is there into rbuf: 0, or -ETIMEDOUT/-EINTR/-ECONNRESET/-errno. */
static int fill(struct qmp *q, long long deadline)
{
	for (;;) {
		int r = poll_deadline(q, POLLIN, deadline);
		if (r)
			return r;
		sbuf_grow(&q->rbuf, 65536);
		ssize_t n = read(q->fd, q->rbuf.buf + q->rbuf.len, q->rbuf.alloc - q->rbuf.len - 1);
		if (n > 0) {
			q->rbuf.len += (size_t)n;
			q->rbuf.buf[q->rbuf.len] = '\0';
			return 0;
		}
		if (n == 0)
			return -ECONNRESET;
		if (errno == EAGAIN || errno == EINTR)
			continue;
		return errno == EPIPE ? -ECONNRESET : -errno;
	}
}

/* Next message (a JSON object) from the socket. */
static int next_message(struct qmp *q, long long deadline, json_t **msg)
{
	for (;;) {
		char *nl = q->rbuf.len ? memchr(q->rbuf.buf, '\n', q->rbuf.len) : NULL;

		if (!nl) {
			if (q->rbuf.len > QMP_MAX_LINE)
				return -EMSGSIZE;
			int r = fill(q, deadline);
			if (r)
				return r;
			continue;
		}
		size_t len = (size_t)(nl - q->rbuf.buf);
		json_error_t err;
		bool blank = true;
		for (size_t i = 0; i < len; i++)
			if (!isspace((unsigned char)q->rbuf.buf[i]))
				blank = false;
		json_t *m = blank ? NULL : json_loadb(q->rbuf.buf, len, 0, &err);
		memmove(q->rbuf.buf, nl + 1, q->rbuf.len - len - 1);
		q->rbuf.len -= len + 1;
		q->rbuf.buf[q->rbuf.len] = '\0';
		if (blank)
			continue;
		if (!m || !json_is_object(m)) {
			json_decref(m);
			return -EPROTO;
		}
		*msg = m;
		return 0;
	}
}

static void queue_event(struct qmp *q, json_t *m)
{
	if (json_array_size(q->events) >= QMP_MAX_EVENTS)
		json_array_remove(q->events, 0);
	json_array_append(q->events, m);
}

static int send_all(struct qmp *q, const char *data, size_t len, long long deadline)
{
	while (len) {
		ssize_t n = send(q->fd, data, len, MSG_NOSIGNAL);
		if (n > 0) {
			data += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			int r = poll_deadline(q, POLLOUT, deadline);
			if (r)
				return r;
			continue;
		}
		return errno == EPIPE || errno == ECONNRESET ? -ECONNRESET : -errno;
	}
	return 0;
}

static void clear_error(struct qmp *q)
{
	free(q->error);
	free(q->error_class);
	q->error = q->error_class = NULL;
}

static void set_error(struct qmp *q, json_t *err)
{
	const char *desc = json_string_value(json_object_get(err, "desc"));
	const char *cls = json_string_value(json_object_get(err, "class"));

	clear_error(q);
	q->error = xstrdup(desc ? desc : "unknown error");
	q->error_class = cls ? xstrdup(cls) : NULL;
}

static int command(struct qmp *q, const char *cmd, json_t *args, json_t **ret,
		   long long deadline)
{
	long long id = ++q->next_id;
	json_t *msg = json_object();
	char *text;
	int r;

	if (q->fd < 0)
		return -EBADF;
	clear_error(q);
	json_object_set_new(msg, "execute", json_string(cmd));
	if (args)
		json_object_set(msg, "arguments", args);
	json_object_set_new(msg, "id", json_integer(id));
	text = json_dumps(msg, JSON_COMPACT);
	json_decref(msg);
	if (!text)
		return -EINVAL;	/* cmd or args not valid UTF-8 */
	struct sbuf line = SBUF_INIT;
	sbuf_adds(&line, text);
	sbuf_addch(&line, '\n');
	free(text);
	r = send_all(q, line.buf, line.len, deadline);
	sbuf_release(&line);
	if (r)
		return r;

	for (;;) {
		json_t *m;
		r = next_message(q, deadline, &m);
		if (r)
			return r;
		if (json_object_get(m, "event")) {
			queue_event(q, m);
			json_decref(m);
			continue;
		}
		json_t *mid = json_object_get(m, "id");
		json_t *err = json_object_get(m, "error");
		json_t *val = json_object_get(m, "return");
		/*
		 * Ours: our id, or an error without id (QEMU cannot tell the
		 * id of a request it could not parse).  Replies to earlier,
		 * timed-out commands are dropped.
		 */
		bool ours = mid ? json_is_integer(mid) && json_integer_value(mid) == id : err != NULL;
		if (!ours || (!err && !val)) {
			json_decref(m);
			continue;
		}
		if (err) {
			set_error(q, err);
			r = -EREMOTEIO;
		} else if (ret) {
			*ret = json_incref(val);
		}
		json_decref(m);
		return r;
	}
}

int qmp_command(struct qmp *q, const char *cmd, json_t *args, json_t **ret)
{
	return command(q, cmd, args, ret, deadline_of(q->timeout_ms));
}

void qmp_close(struct qmp *q)
{
	if (q->fd >= 0)
		close(q->fd);
	q->fd = -1;
	sbuf_release(&q->rbuf);
	json_decref(q->greeting);
	json_decref(q->events);
	q->greeting = q->events = NULL;
	clear_error(q);
}

int qmp_open_fd(struct qmp *q, int fd, int timeout_ms)
{
	long long deadline;
	json_t *m;
	int r, fl;

	memset(q, 0, sizeof(*q));
	q->fd = fd;
	q->timeout_ms = timeout_ms ? timeout_ms : 10000;
	sbuf_init(&q->rbuf);
	q->events = json_array();
	deadline = deadline_of(q->timeout_ms);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
		r = -errno;
		goto fail;
	}
	r = next_message(q, deadline, &m);
	if (r)
		goto fail;
	if (!json_is_object(json_object_get(m, "QMP"))) {
		json_decref(m);
		r = -EPROTO;
		goto fail;
	}
	q->greeting = m;
	r = command(q, "qmp_capabilities", NULL, NULL, deadline);
	if (r)
		goto fail;
	return 0;
fail:
	qmp_close(q);
	return r;
}

int qmp_connect(struct qmp *q, const char *path, int timeout_ms)
{
	struct sockaddr_un sa;
	int fd, r;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path))
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path));
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	/* A unix connect() never blocks half-way: it succeeds, or fails (EAGAIN: queue full). */
	do
		r = connect(fd, (struct sockaddr *)&sa, sizeof(sa));
	while (r < 0 && errno == EINTR);
	if (r < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return qmp_open_fd(q, fd, timeout_ms);
}

int qmp_hmp(struct qmp *q, const char *cmdline, char **out)
{
	json_t *args = json_pack("{s:s}", "command-line", cmdline);
	json_t *ret = NULL;
	int r;

	if (!args)
		return -EINVAL;
	r = qmp_command(q, "human-monitor-command", args, &ret);
	json_decref(args);
	if (r)
		return r;
	const char *s = json_string_value(ret);
	if (!s) {
		json_decref(ret);
		return -EPROTO;
	}
	struct sbuf sb = SBUF_INIT;
	sbuf_add(&sb, "", 0);
	for (; *s; s++)
		if (!(s[0] == '\r' && s[1] == '\n'))
			sbuf_addch(&sb, *s);
	json_decref(ret);
	*out = sbuf_detach(&sb);
	return 0;
}

static int take_data(json_t *m, json_t **data)
{
	if (data) {
		json_t *d = json_object_get(m, "data");
		*data = d ? json_incref(d) : NULL;
	}
	return 0;
}

int qmp_wait_event(struct qmp *q, const char *event, int timeout_ms, json_t **data)
{
	long long deadline = deadline_of(timeout_ms);
	size_t i;
	json_t *m;

	json_array_foreach(q->events, i, m) {
		if (!strcmp(json_string_value(json_object_get(m, "event")) ?: "", event)) {
			take_data(m, data);
			json_array_remove(q->events, i);
			return 0;
		}
	}
	if (q->fd < 0)
		return -EBADF;
	for (;;) {
		int r = next_message(q, deadline, &m);
		if (r)
			return r;
		const char *name = json_string_value(json_object_get(m, "event"));
		if (name && !strcmp(name, event)) {
			take_data(m, data);
			json_decref(m);
			return 0;
		}
		if (name)
			queue_event(q, m);
		json_decref(m);	/* or a late reply to a timed-out command */
	}
}

int qmp_chardev_port(const char *filename)
{
	const char *s = strstr(filename, "tcp:"), *end, *colon = NULL;
	unsigned long port;

	if (!s)
		return 0;
	s += 4;
	end = s + strcspn(s, ", ");
	for (const char *p = s; p < end; p++)
		if (*p == ':')
			colon = p;
	if (!colon || colon + 1 == end)
		return 0;
	char *digits = xstrndup(colon + 1, (size_t)(end - colon - 1));
	int r = parse_uint(digits, 65535, &port);
	free(digits);
	return r ? 0 : (int)port;
}

int qmp_gdbstub(struct qmp *q, int *port, char **unix_path)
{
	json_t *ret = NULL, *c;
	size_t i;
	int r, found = 0;
	char *path = NULL;

	r = qmp_command(q, "query-chardev", NULL, &ret);
	if (r)
		return r;
	json_array_foreach(ret, i, c) {
		const char *label = json_string_value(json_object_get(c, "label"));
		const char *fn = json_string_value(json_object_get(c, "filename"));
		const char *u;
		if (!label || !fn || strcmp(label, "gdb"))
			continue;
		found = qmp_chardev_port(fn);
		if ((u = strstr(fn, "unix:"))) {
			u += 5;
			free(path);
			path = xstrndup(u, strcspn(u, ","));
		}
	}
	json_decref(ret);
	*port = found;
	if (unix_path)
		*unix_path = path;
	else
		free(path);
	return 0;
}
