// SPDX-License-Identifier: GPL-2.0
#include "guest.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
