// SPDX-License-Identifier: GPL-2.0
/* The exec protocol: payload encoding and console scanning; gdb argv. */
#include <stdlib.h>
#include <string.h>

#include "gdb.h"
#include "guest.h"
#include "tap.h"
#include "util.h"

static int b64val(char c)
{
	const char *t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const char *p = strchr(t, c);
	return p && c ? (int)(p - t) : -1;
}

/* Decode the payload as the guest's `base64 -d` would. */
static char *decode(const char *payload)
{
	struct sbuf sb = SBUF_INIT, raw = SBUF_INIT;
	for (const char *p = payload; *p; p++) {
		if (*p == '.' && p[1] == '\n' && p[2] == '\0')
			break;
		if (*p != '\n')
			sbuf_addch(&raw, *p);
	}
	for (size_t i = 0; i + 3 < raw.len + 0 || i + 4 <= raw.len; i += 4) {
		int a = b64val(raw.buf[i]), b = b64val(raw.buf[i + 1]);
		int c = raw.buf[i + 2] == '=' ? -2 : b64val(raw.buf[i + 2]);
		int d = raw.buf[i + 3] == '=' ? -2 : b64val(raw.buf[i + 3]);
		sbuf_addch(&sb, (char)((a << 2) | (b >> 4)));
		if (c >= 0)
			sbuf_addch(&sb, (char)(((b & 15) << 4) | (c >> 2)));
		if (c >= 0 && d >= 0)
			sbuf_addch(&sb, (char)(((c & 3) << 6) | d));
	}
	sbuf_release(&raw);
	return sbuf_detach(&sb);
}

int main(void)
{
	const char *cmds[] = { "", "a", "ab", "abc", "exit 3", "echo 'x y' \"$HOME\"; ls | wc -l",
			       "for i in 1 2 3; do echo $i; done\nprintf '%s\\n' done\n" };
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		char *p = guest_exec_payload(cmds[i]);
		char *d = decode(p);
		is_str(d, cmds[i], "payload %zu round-trips", i);
		ok(str_ends_with(p, "\n.\n") || !strcmp(p, ".\n"), "payload %zu ends with a '.' line", i);
		free(p);
		free(d);
	}
	/* Long commands are split into short lines (tty canonical limit). */
	char big[5000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	char *p = guest_exec_payload(big), *d = decode(p);
	size_t longest = 0, cur = 0;
	for (char *s = p; *s; s++) {
		cur = *s == '\n' ? 0 : cur + 1;
		if (cur > longest)
			longest = cur;
	}
	ok(longest <= 80, "payload lines stay short (%zu)", longest);
	is_int(strlen(d), sizeof(big) - 1, "long payload round-trips");
	free(p);
	free(d);

	char *n1 = guest_exec_nonce(), *n2 = guest_exec_nonce();
	ok(strlen(n1) == 16 && strcmp(n1, n2), "nonces are 16 hex chars and differ");

	int st = -1;
	size_t pre = 99;
	is_int(guest_scan_line("KDEBUG-READY-abc", "abc", &st, &pre), GUEST_READY, "ready");
	is_int(guest_scan_line("KDEBUG-READY-abd", "abc", &st, &pre), GUEST_LINE, "other nonce ignored");
	is_int(guest_scan_line("KDEBUG-START-abc", "abc", &st, &pre), GUEST_START, "start");
	is_int(guest_scan_line("KDEBUG-EXIT-abc 3", "abc", &st, &pre), GUEST_EXIT, "exit");
	is_int(st, 3, "exit status");
	is_int(pre, 0, "nothing before the marker");
	is_int(guest_scan_line("no newlineKDEBUG-EXIT-abc 0", "abc", &st, &pre), GUEST_EXIT, "exit after text");
	is_int(pre, 10, "text before the marker kept");
	is_int(guest_scan_line("[    1.0] Kernel panic - not syncing: VFS", NULL, &st, &pre), GUEST_PANIC, "panic");
	is_int(guest_scan_line("KDEBUG-EXIT-abc 0", NULL, &st, &pre), GUEST_LINE, "no nonce, no markers");
	like(guest_rcS, GUEST_RCS_HOOK, "rcS has the --init-cmd hook");
	like(guest_rcS, "127.0.0.1/8", "rcS brings up loopback");
	like(guest_rcS, GUEST_EXEC_AGENT, "rcS hands over to the exec agent");
	free(n1);
	free(n2);

	struct strvec v = STRVEC_INIT, br = STRVEC_INIT;
	gdb_build_argv("/x/gdb.cmd", " continue ; bt;;info registers rip ", &v);
	const char *want[] = { "gdb", "-q", "-nx", "-batch", "-x", "/x/gdb.cmd", "-ex", "continue",
			       "-ex", "bt", "-ex", "info registers rip", NULL };
	int same = v.n == 12;
	for (size_t i = 0; same && want[i]; i++)
		same = !strcmp(v.v[i], want[i]);
	ok(same, "gdb batch argv splits on ';'");
	strvec_clear(&v);

	strvec_pushl(&br, "ip_rcv", "*0xffffffff81000000", "a", "b", "c", NULL);
	struct gdb_opts go = { .vmlinux = "/b/vmlinux", .build_dir = "/b", .gdb_py = "/b/vmlinux-gdb.py",
			       .port = 1235, .breaks = &br };
	struct sbuf cmd = SBUF_INIT;
	gdb_write_commands(&go, &cmd);
	like(cmd.buf, "add-auto-load-safe-path /b\n", "safe path");
	like(cmd.buf, "file /b/vmlinux\n", "symbols");
	like(cmd.buf, "source /b/vmlinux-gdb.py\n", "gdb scripts");
	like(cmd.buf, "target remote 127.0.0.1:1235\n", "loopback target");
	like(cmd.buf, "hbreak ip_rcv\nhbreak *0xffffffff81000000\nhbreak a\nhbreak b\nbreak c\n",
	     "four hardware breakpoints, then software ones");
	sbuf_release(&cmd);
	strvec_clear(&br);
	return done_testing();
}
