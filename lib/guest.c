// SPDX-License-Identifier: GPL-2.0
#include "guest.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net.h"
#include "util.h"

/*
 * The guest's scripts (inittab, rcS, fstab, the exec agent, udhcpc's event
 * script) are the files of scripts/guest/, embedded by the Makefile
 * (lib/scripts.c); these small files are data.
 */
const char guest_passwd[] = "root:x:0:0:root:/root:/bin/sh\n";
const char guest_group[] = "root:x:0:\n";
const char guest_hostname[] = "kdebug\n";
const char guest_profile[] =
	"export PATH=/bin:/sbin:/usr/bin:/usr/sbin\n"
	"export HOME=/root\n"
	"PS1='\\h:\\w\\$ '\n";

char *guest_exec_payload(const char *cmd)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *s = (const unsigned char *)cmd;
	size_t len = strlen(cmd), col = 0;
	struct sbuf sb = SBUF_INIT;

	for (size_t i = 0; i < len; i += 3) {
		unsigned v = (unsigned)s[i] << 16;
		if (i + 1 < len)
			v |= (unsigned)s[i + 1] << 8;
		if (i + 2 < len)
			v |= s[i + 2];
		sbuf_addch(&sb, tbl[(v >> 18) & 63]);
		sbuf_addch(&sb, tbl[(v >> 12) & 63]);
		sbuf_addch(&sb, i + 1 < len ? tbl[(v >> 6) & 63] : '=');
		sbuf_addch(&sb, i + 2 < len ? tbl[v & 63] : '=');
		col += 4;
		if (col >= 76) {	/* well under the tty's 4095-byte line limit */
			sbuf_addch(&sb, '\n');
			col = 0;
		}
	}
	if (col)
		sbuf_addch(&sb, '\n');
	sbuf_adds(&sb, ".\n");
	return sbuf_detach(&sb);
}

char *guest_exec_nonce(void)
{
	unsigned char r[8];
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	struct sbuf sb = SBUF_INIT;

	if (fd < 0 || read(fd, r, sizeof(r)) != (ssize_t)sizeof(r)) {
		unsigned long long t = (unsigned long long)now_ms() ^ ((unsigned long long)getpid() << 32);
		memcpy(r, &t, sizeof(r));
	}
	if (fd >= 0)
		close(fd);
	for (size_t i = 0; i < sizeof(r); i++)
		sbuf_addf(&sb, "%02x", r[i]);
	return sbuf_detach(&sb);
}

enum guest_event guest_scan_line(const char *line, const char *nonce, int *status,
				 size_t *pre_len)
{
	char marker[64];
	const char *p;

	if (nonce) {
		snprintf(marker, sizeof(marker), "KDEBUG-EXIT-%s ", nonce);
		if ((p = strstr(line, marker))) {
			*status = atoi(p + strlen(marker));
			*pre_len = (size_t)(p - line);
			return GUEST_EXIT;
		}
		snprintf(marker, sizeof(marker), "KDEBUG-READY-%s", nonce);
		if (strstr(line, marker))
			return GUEST_READY;
		snprintf(marker, sizeof(marker), "KDEBUG-START-%s", nonce);
		if (strstr(line, marker))
			return GUEST_START;
	}
	if (strstr(line, "Kernel panic - not syncing"))
		return GUEST_PANIC;
	return GUEST_LINE;
}

/* ---- the console as kdebug run reads it ---- */

void guest_console_init(struct guest_console *c, const char *nonce, const struct say *say)
{
	memset(c, 0, sizeof(*c));
	c->nonce = nonce;
	c->say = say;
	sbuf_init(&c->partial);
}

void guest_console_clear(struct guest_console *c)
{
	for (size_t i = 0; i < GUEST_TAIL_LINES; i++)
		free(c->tail[i]);
	sbuf_release(&c->partial);
	free(c->lease);
	free(c->lease_from);
	memset(c->tail, 0, sizeof(c->tail));
	c->lease = c->lease_from = NULL;
}

static void console_tail_add(struct guest_console *c, const char *line)
{
	free(c->tail[c->tail_next]);
	c->tail[c->tail_next] = xstrdup(line);
	c->tail_next = (c->tail_next + 1) % GUEST_TAIL_LINES;
}

void guest_console_tail(const struct guest_console *c, void (*fn)(void *arg, const char *line), void *arg)
{
	for (size_t i = 0; i < GUEST_TAIL_LINES; i++) {
		const char *l = c->tail[(c->tail_next + i) % GUEST_TAIL_LINES];
		if (l)
			fn(arg, l);
	}
}

/* "... kdebug: lease eth0 192.168.0.3/24 (DHCP from 192.168.0.1)" (the udhcpc script) */
static void console_lease(struct guest_console *c, const char *line)
{
	const char *p = strstr(line, GUEST_DHCP_MARKER "eth0 ");
	struct in_addr a;
	unsigned pfx;

	if (!p)
		return;
	p += strlen(GUEST_DHCP_MARKER "eth0 ");
	char *cidr = xstrndup(p, strcspn(p, " "));
	if (net_parse_cidr(cidr, &a, &pfx)) {
		free(cidr);
		return;
	}
	free(c->lease);
	c->lease = cidr;
	free(c->lease_from);
	p = strstr(p, "(DHCP from ");
	c->lease_from = p ? xstrndup(p + 11, strcspn(p + 11, ")")) : xstrdup("?");
	c->events |= GUEST_EV_LEASE;
}

static void console_line(void *arg, char *line)
{
	struct guest_console *c = arg;
	int status = 0;
	size_t pre = 0, len = strlen(line);

	while (len && line[len - 1] == '\r')
		line[--len] = '\0';
	say(c->say, SAY_TRACE, "%s", line);
	console_tail_add(c, line);
	c->nlines++;
	console_lease(c, line);
	if (strstr(line, GUEST_SHUTDOWN_MARKER))
		c->shutting_down = true;
	switch (guest_scan_line(line, c->nonce, &status, &pre)) {
	case GUEST_READY:
		c->ready = true;
		c->events |= GUEST_EV_READY;
		break;
	case GUEST_START:
		c->started = true;
		break;
	case GUEST_EXIT:
		if (c->started) {
			if (pre)
				say(c->say, SAY_OUT, "%.*s", (int)pre, line);
			c->status = status;
			c->done = true;
			c->events |= GUEST_EV_DONE;
		}
		break;
	case GUEST_PANIC:
		c->panic = true;
		c->events |= GUEST_EV_PANIC;
		/* fall through */
	case GUEST_LINE:
		if (c->started && !c->done && !c->shutting_down)
			say(c->say, SAY_OUT, "%s", line);
		break;
	}
}

unsigned guest_console_feed(struct guest_console *c, const char *buf, size_t n)
{
	c->events = 0;
	sbuf_feed_lines(&c->partial, buf, n, console_line, c);
	/* A line without end (a guest printing without newlines) is cut, not buffered forever. */
	if (c->partial.len > GUEST_LINE_MAX)
		guest_console_flush(c);
	return c->events;
}

unsigned guest_console_flush(struct guest_console *c)
{
	unsigned ev = c->events;

	if (c->partial.len) {
		char *l = sbuf_detach(&c->partial);
		c->events = 0;
		console_line(c, l);
		ev |= c->events;
		free(l);
	}
	return c->events = ev;
}

bool guest_log_has_panic(const char *log)
{
	struct sbuf sb = SBUF_INIT;
	bool r = read_file(log, &sb) == 0 && strstr(sbuf_str(&sb), "Kernel panic - not syncing");

	sbuf_release(&sb);
	return r;
}
