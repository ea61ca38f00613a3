// SPDX-License-Identifier: GPL-2.0
/*
 * The QMP client against a fake QEMU: a thread on the other end of a
 * socketpair plays a script (send bytes, expect a command, pause, close).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "proc.h"
#include "qmp.h"
#include "tap.h"
#include "util.h"

#define GREETING "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 22, \"minor\": 2, \"major\": 7}, " \
		 "\"package\": \"Debian 1:7.2+dfsg-7\"}, \"capabilities\": [\"oob\"]}}\r\n"
#define CAPS_OK  E("qmp_capabilities"), S("{\"return\": {}, \"id\": @ID}\r\n")

enum op { END, SEND, EXPECT, PAUSE, CLOSE, WAIT_EOF };
struct step {
	enum op op;
	const char *arg;	/* SEND: bytes ("@ID": id of the last command); EXPECT: "execute" */
	int ms;			/* PAUSE */
};

#define S(bytes) { SEND, bytes, 0 }
#define E(cmd) { EXPECT, cmd, 0 }
#define P(ms) { PAUSE, NULL, ms }
#define CLOSE_ { CLOSE, NULL, 0 }
#define WAIT_ { WAIT_EOF, NULL, 0 }
#define END_ { END, NULL, 0 }

struct server {
	int fd;
	const struct step *script;
	json_t *got;		/* commands received */
	int failures;		/* unexpected commands */
};

static int read_line(int fd, struct sbuf *sb)
{
	char c;

	sbuf_reset(sb);
	for (;;) {
		ssize_t n = read(fd, &c, 1);
		if (n <= 0)
			return -1;
		if (c == '\n')
			return 0;
		sbuf_addch(sb, c);
	}
}

static void *serve(void *arg)
{
	struct server *s = arg;
	struct sbuf line = SBUF_INIT;
	long long id = -1;

	for (const struct step *st = s->script; st->op != END; st++) {
		switch (st->op) {
		case SEND: {
			struct sbuf out = SBUF_INIT;
			const char *p = st->arg, *at;
			while ((at = strstr(p, "@ID"))) {
				sbuf_add(&out, p, (size_t)(at - p));
				sbuf_addf(&out, "%lld", id);
				p = at + 3;
			}
			sbuf_adds(&out, p);
			(void)!write(s->fd, out.buf, out.len);
			sbuf_release(&out);
			break;
		}
		case EXPECT: {
			if (read_line(s->fd, &line)) {
				s->failures++;
				goto out;
			}
			json_t *m = json_loads(line.buf, 0, NULL);
			const char *ex = json_string_value(json_object_get(m, "execute"));
			if (!ex || strcmp(ex, st->arg)) {
				printf("# fake QEMU: expected %s, got %s\n", st->arg, line.buf);
				s->failures++;
			}
			id = json_integer_value(json_object_get(m, "id"));
			json_array_append_new(s->got, m ? m : json_null());
			break;
		}
		case PAUSE:
			poll(NULL, 0, st->ms);
			break;
		case CLOSE:
			close(s->fd);
			s->fd = -1;
			goto out;
		case WAIT_EOF:
			while (read_line(s->fd, &line) == 0)
				;
			break;
		case END:
			break;
		}
	}
out:
	sbuf_release(&line);
	return NULL;
}

struct session {
	struct server srv;
	pthread_t thread;
	struct qmp q;
	int open_r;
};

/* Start the fake QEMU and connect the client to it. */
static void start(struct session *ss, const struct step *script, int timeout_ms)
{
	int sv[2];

	socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv);
	memset(ss, 0, sizeof(*ss));
	ss->srv.fd = sv[1];
	ss->srv.script = script;
	ss->srv.got = json_array();
	pthread_create(&ss->thread, NULL, serve, &ss->srv);
	ss->open_r = qmp_open_fd(&ss->q, sv[0], timeout_ms);
}

/* Commands the fake QEMU of the last finished session received. */
static json_t *last_got;

static void finish(struct session *ss)
{
	qmp_close(&ss->q);	/* the server's reads end */
	pthread_join(ss->thread, NULL);
	if (ss->srv.fd >= 0)
		close(ss->srv.fd);
	json_decref(last_got);
	last_got = ss->srv.got;
}

static void test_handshake_and_events(void)
{
	static const struct step script[] = {
		S(GREETING), CAPS_OK,
		E("query-status"),
		S("{\"timestamp\": {\"seconds\": 1, \"microseconds\": 2}, \"event\": \"STOP\"}\r\n"),
		S("{\"event\": \"RESUME\", \"data\": {\"x\": 1}}\r\n"),
		S("{\"return\": {\"status\": \"running\", \"singlestep\": false, \"running\": true}, \"id\": @ID}\r\n"),
		WAIT_,
		END_,
	};
	struct session s;
	json_t *ret = NULL, *data = NULL;

	start(&s, script, 2000);
	is_int(s.open_r, 0, "greeting and capabilities negotiated");
	ok(json_is_object(json_object_get(s.q.greeting, "QMP")), "greeting kept");
	is_int(qmp_command(&s.q, "query-status", NULL, &ret), 0, "query-status");
	is_str(json_string_value(json_object_get(ret, "status")), "running", "its return value");
	json_decref(ret);
	is_int(json_array_size(s.q.events), 2, "events before the reply are queued");
	is_int(qmp_wait_event(&s.q, "RESUME", 0, &data), 0, "queued event found without waiting");
	is_int(json_integer_value(json_object_get(data, "x")), 1, "... with its data");
	json_decref(data);
	is_int(qmp_wait_event(&s.q, "STOP", 0, &data), 0, "the other queued event");
	ok(data == NULL, "... which has no data");
	is_int(json_array_size(s.q.events), 0, "queue drained");
	finish(&s);

	json_t *caps = json_array_get(last_got, 0);
	ok(!json_object_get(caps, "arguments"), "qmp_capabilities without arguments");
	ok(json_is_integer(json_object_get(caps, "id")), "... with an id");
	is_int(s.srv.failures, 0, "fake QEMU got what it expected");
}

static void test_error_and_args(void)
{
	static const struct step script[] = {
		S(GREETING), CAPS_OK,
		E("frobnicate"),
		S("{\"id\": @ID, \"error\": {\"class\": \"CommandNotFound\", \"desc\": \"The command frobnicate has not been found\"}}\r\n"),
		E("human-monitor-command"),
		S("{\"return\": \"VM status: running\\r\\nline 2\\r\\n\", \"id\": @ID}\r\n"),
		/* A reply to some earlier, timed-out command, then ours. */
		E("stop"),
		S("{\"return\": {}, \"id\": 99999}\r\n{\"return\": {\"late\": false}, \"id\": @ID}\r\n"),
		/* An error without id (QEMU could not parse the request): ours too. */
		E("cont"),
		S("{\"error\": {\"class\": \"GenericError\", \"desc\": \"JSON parse error\"}}\r\n"),
		WAIT_,
		END_,
	};
	struct session s;
	json_t *ret = NULL;
	char *out = NULL;

	start(&s, script, 2000);
	is_int(s.open_r, 0, "connected");
	json_t *args = json_pack("{s:i}", "level", 3);
	is_int(qmp_command(&s.q, "frobnicate", args, &ret), -EREMOTEIO, "error reply: -EREMOTEIO");
	ok(ret == NULL, "... no return value");
	is_str(s.q.error, "The command frobnicate has not been found", "... q->error is the desc");
	is_str(s.q.error_class, "CommandNotFound", "... and the class");
	is_int(json_integer_value(json_object_get(args, "level")), 3, "args are borrowed, not stolen");
	json_decref(args);

	is_int(qmp_hmp(&s.q, "info status", &out), 0, "human-monitor-command");
	is_str(out, "VM status: running\nline 2\n", "its text, CRLF turned into LF");
	ok(s.q.error == NULL, "a success clears q->error");
	free(out);

	is_int(qmp_command(&s.q, "stop", NULL, &ret), 0, "reply with another id skipped");
	ok(json_is_false(json_object_get(ret, "late")), "... the one with our id returned");
	json_decref(ret);
	is_int(qmp_command(&s.q, "cont", NULL, NULL), -EREMOTEIO, "an error without id is ours");
	is_str(s.q.error, "JSON parse error", "... its desc");
	finish(&s);

	json_t *hmp = json_array_get(last_got, 2);
	is_str(json_string_value(json_object_get(json_object_get(hmp, "arguments"), "command-line")),
	       "info status", "fake QEMU got command-line");
	json_t *fr = json_array_get(last_got, 1);
	is_int(json_integer_value(json_object_get(json_object_get(fr, "arguments"), "level")), 3,
	       "fake QEMU got the arguments");
	ok(json_integer_value(json_object_get(fr, "id")) != json_integer_value(json_object_get(hmp, "id")),
	   "each command has its own id");
	is_int(s.srv.failures, 0, "fake QEMU got what it expected");
}

static void test_framing(void)
{
	static const struct step script[] = {
		/* The greeting in pieces, split inside a string and before "\r\n". */
		S("{\"QMP\": {\"version\": {}, \"capa"), P(30),
		S("bilities\": []}}"), P(30),
		S("\r"), P(30), S("\n"),
		CAPS_OK,
		E("query-name"),
		/* A reply split in three writes. */
		S("{\"return\": {\"na"), P(20),
		S("me\": \"vm\\u00e9\"}, \"id\": "), P(20),
		S("@ID}\r\n"),
		/* A reply and an event in one write, then an event and a reply. */
		E("query-kvm"),
		S("{\"return\": {\"enabled\": false}, \"id\": @ID}\r\n{\"event\": \"A\"}\r\n"),
		E("query-uuid"),
		S("\r\n{\"event\": \"B\"}\r\n{\"return\": {\"UUID\": \"0\"}, \"id\": @ID}\r\n"),
		WAIT_,
		END_,
	};
	struct session s;
	json_t *ret = NULL;

	start(&s, script, 2000);
	is_int(s.open_r, 0, "greeting in pieces");
	is_int(qmp_command(&s.q, "query-name", NULL, &ret), 0, "reply split across writes");
	is_str(json_string_value(json_object_get(ret, "name")), "vm\xc3\xa9", "... parsed whole");
	json_decref(ret);
	is_int(qmp_command(&s.q, "query-kvm", NULL, &ret), 0, "reply and event in one write");
	ok(json_is_false(json_object_get(ret, "enabled")), "... the reply");
	json_decref(ret);
	is_int(qmp_wait_event(&s.q, "A", 1000, NULL), 0, "... the event after it, from the buffer");
	is_int(qmp_command(&s.q, "query-uuid", NULL, &ret), 0, "event, blank line and reply in one write");
	is_str(json_string_value(json_object_get(ret, "UUID")), "0", "... the reply");
	json_decref(ret);
	is_int(qmp_wait_event(&s.q, "B", 0, NULL), 0, "... the event queued");
	finish(&s);
	is_int(s.srv.failures, 0, "fake QEMU got what it expected");
}

static void test_failures(void)
{
	struct session s;
	long long t0;
	json_t *ret = NULL;

	static const struct step closes[] = {
		S(GREETING), CAPS_OK,
		E("query-status"),
		S("{\"return\": {\"sta"),
		CLOSE_,
		END_,
	};
	start(&s, closes, 2000);
	is_int(qmp_command(&s.q, "query-status", NULL, &ret), -ECONNRESET, "peer closes mid-reply: -ECONNRESET");
	ok(ret == NULL, "... no return value");
	is_int(qmp_wait_event(&s.q, "X", 1000, NULL), -ECONNRESET, "wait_event on a closed connection");
	finish(&s);

	static const struct step silent[] = {
		S(GREETING), CAPS_OK,
		E("query-status"),
		WAIT_,
		END_,
	};
	start(&s, silent, 2000);
	s.q.timeout_ms = 200;
	t0 = now_ms();
	is_int(qmp_command(&s.q, "query-status", NULL, &ret), -ETIMEDOUT, "no reply: -ETIMEDOUT");
	long long took = now_ms() - t0;
	ok(took >= 190 && took < 2000, "... after the timeout (%lld ms)", took);
	t0 = now_ms();
	is_int(qmp_wait_event(&s.q, "SHUTDOWN", 100, NULL), -ETIMEDOUT, "wait_event times out");
	ok(now_ms() - t0 >= 90, "... after the timeout");
	is_int(qmp_wait_event(&s.q, "SHUTDOWN", 0, NULL), -ETIMEDOUT, "wait_event 0: only what is there");
	finish(&s);

	static const struct step nothing[] = { WAIT_, END_ };
	t0 = now_ms();
	start(&s, nothing, 200);
	is_int(s.open_r, -ETIMEDOUT, "no greeting: -ETIMEDOUT");
	ok(now_ms() - t0 < 2000, "... promptly");
	is_int(s.q.fd, -1, "... and the client is closed");
	finish(&s);

	static const struct step not_qmp[] = { S("{\"hello\": 1}\r\n"), WAIT_, END_ };
	start(&s, not_qmp, 1000);
	is_int(s.open_r, -EPROTO, "greeting without QMP: -EPROTO");
	finish(&s);

	static const struct step garbage[] = { S("SSH-2.0-OpenSSH\r\n"), WAIT_, END_ };
	start(&s, garbage, 1000);
	is_int(s.open_r, -EPROTO, "not JSON: -EPROTO");
	finish(&s);

	static const struct step caps_refused[] = {
		S(GREETING), E("qmp_capabilities"),
		S("{\"error\": {\"class\": \"GenericError\", \"desc\": \"no\"}, \"id\": @ID}\r\n"),
		WAIT_, END_,
	};
	start(&s, caps_refused, 1000);
	is_int(s.open_r, -EREMOTEIO, "capabilities refused: -EREMOTEIO");
	finish(&s);

	static const struct step late_event[] = {
		S(GREETING), CAPS_OK,
		P(50),
		S("{\"event\": \"OTHER\"}\r\n"),
		P(50),
		S("{\"event\": \"SHUTDOWN\", \"data\": {\"guest\": true, \"reason\": \"guest-shutdown\"}}\r\n"),
		WAIT_,
		END_,
	};
	json_t *data = NULL;
	start(&s, late_event, 1000);
	is_int(qmp_wait_event(&s.q, "SHUTDOWN", 2000, &data), 0, "wait_event: an event that comes later");
	ok(json_is_true(json_object_get(data, "guest")), "... with its data");
	json_decref(data);
	is_int(json_array_size(s.q.events), 1, "... the other event meanwhile queued");
	finish(&s);
}

static void test_chardev(void)
{
	is_int(qmp_chardev_port("tcp:127.0.0.1:1234,server=on"), 1234, "chardev port: listening");
	is_int(qmp_chardev_port("disconnected:tcp:127.0.0.1:1235,server=on"), 1235, "chardev port: disconnected");
	is_int(qmp_chardev_port("tcp:127.0.0.1:1236,server=on <-> 127.0.0.1:50000"), 1236, "chardev port: connected");
	is_int(qmp_chardev_port("tcp:[::1]:4321,server=on"), 4321, "chardev port: IPv6");
	is_int(qmp_chardev_port("unix:/run/qmp.sock,server=on"), 0, "chardev port: unix socket");
	is_int(qmp_chardev_port("tcp:127.0.0.1:"), 0, "chardev port: none");
	is_int(qmp_chardev_port("tcp:host:99999"), 0, "chardev port: out of range");

	static const struct step script[] = {
		S(GREETING), CAPS_OK,
		E("query-chardev"),
		S("{\"return\": [{\"frontend-open\": false, \"filename\": \"gdb\", \"label\": \"#chr032\"}, "
			"{\"frontend-open\": true, \"filename\": \"disconnected:tcp:127.0.0.1:1240,server=on\", \"label\": \"gdb\"}, "
			"{\"frontend-open\": true, \"filename\": \"unix:/x/qmp.sock,server=on\", \"label\": \"compat_monitor0\"}], \"id\": @ID}\r\n"),
		E("query-chardev"),
		S("{\"return\": [{\"frontend-open\": true, \"filename\": \"file\", \"label\": \"serial0\"}], \"id\": @ID}\r\n"),
		E("query-chardev"),
		S("{\"return\": [{\"frontend-open\": false, \"filename\": \"disconnected:unix:/r/k1/gdb.sock,server=on\", \"label\": \"gdb\"}], \"id\": @ID}\r\n"),
		WAIT_,
		END_,
	};
	struct session s;
	int port = -1;
	char *sock = (char *)"x";

	start(&s, script, 1000);
	is_int(qmp_gdbstub(&s.q, &port, &sock), 0, "gdbstub port from query-chardev");
	is_int(port, 1240, "... chardev 'gdb'");
	ok(sock == NULL, "... not a unix socket");
	is_int(qmp_gdbstub(&s.q, &port, NULL), 0, "no gdbstub");
	is_int(port, 0, "... port 0");
	is_int(qmp_gdbstub(&s.q, &port, &sock), 0, "a unix socket gdbstub");
	is_int(port, 0, "... no port");
	is_str(sock, "/r/k1/gdb.sock", "... its path");
	free(sock);
	finish(&s);
}

/* qmp_connect on a real socket path, a listener thread on the other end. */
static int listen_fd;
static void *accept_and_serve(void *arg)
{
	static const struct step script[] = {
		S(GREETING), CAPS_OK, WAIT_, END_,
	};
	struct server *srv = arg;
	srv->fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);
	srv->script = script;
	return serve(srv);
}

static void test_connect(void)
{
	char dir[] = "/tmp/kdebug-test-qmp-XXXXXX";
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct qmp q;
	struct server srv = { .got = json_array() };
	pthread_t t;

	mkdtemp(dir);
	char *path = path_join(dir, "qmp.sock");
	is_int(qmp_connect(&q, path, 500), -ENOENT, "connect: no socket: -ENOENT");

	strcpy(sa.sun_path, path);
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bind(listen_fd, (struct sockaddr *)&sa, sizeof(sa));
	is_int(qmp_connect(&q, path, 500), -ECONNREFUSED, "connect: nobody listening: -ECONNREFUSED");
	listen(listen_fd, 1);
	pthread_create(&t, NULL, accept_and_serve, &srv);
	is_int(qmp_connect(&q, path, 2000), 0, "connect to a socket path");
	ok(q.greeting != NULL, "... greeted");
	int was = q.fd;
	qmp_close(&q);
	ok(q.fd == -1 && !q.greeting && !q.events, "qmp_close forgets the socket and the greeting");
	ok(fcntl(was, F_GETFD) < 0 && errno == EBADF, "... and closes the descriptor");
	/* Its number may be reused: a second close must not close the new owner's. */
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (devnull != was) {
		dup3(devnull, was, O_CLOEXEC);
		close(devnull);
	}
	ok(fcntl(was, F_GETFD) >= 0, "the descriptor number is reused");
	qmp_close(&q);
	ok(fcntl(was, F_GETFD) >= 0, "qmp_close twice leaves the reused descriptor alone");
	ok(q.fd == -1 && !q.greeting, "... and the qmp stays closed");
	close(was);
	pthread_join(t, NULL);
	close(srv.fd);
	close(listen_fd);
	json_decref(srv.got);

	char *longp = xasprintf("%s/%0200d", dir, 0);
	is_int(qmp_connect(&q, longp, 500), -ENAMETOOLONG, "connect: path too long");
	free(longp);
	rm_rf(dir);
	free(path);
}

static void *interrupt_later(void *arg)
{
	poll(NULL, 0, 100);
	kill(getpid(), SIGINT);
	return NULL;
}

/* Last: after this, kdebug counts as interrupted for good. */
static void test_interrupt(void)
{
	static const struct step silent[] = {
		S(GREETING), CAPS_OK, E("query-status"), WAIT_, END_,
	};
	struct session s;
	pthread_t t;

	proc_setup_signals();
	start(&s, silent, 5000);
	pthread_create(&t, NULL, interrupt_later, NULL);
	long long t0 = now_ms();
	is_int(qmp_command(&s.q, "query-status", NULL, NULL), -EINTR, "Ctrl-C while waiting: -EINTR");
	ok(now_ms() - t0 < 3000, "... at once, not after the timeout");
	pthread_join(t, NULL);
	finish(&s);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_handshake_and_events();
	test_error_and_args();
	test_framing();
	test_failures();
	test_chardev();
	test_connect();
	test_interrupt();
	json_decref(last_got);
	return done_testing();
}
