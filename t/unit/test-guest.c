// SPDX-License-Identifier: GPL-2.0
/* The exec protocol: payload encoding and console scanning; gdb argv. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gdb.h"
#include "guest.h"
#include "proc.h"
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

/* kdebug.net=dhcp in rcS: udhcpc, bounded, with kdebug's script; static addresses as before. */
static void test_rcs_net(void)
{
	const char *dhcp = strstr(guest_rcS, "if [ \"$kdaddr\" = dhcp ]; then\n");

	like(guest_rcS, "kdebug.net=*) kdnet=${w#kdebug.net=}", "rcS reads kdebug.net=");
	like(guest_rcS, "[ \"$kdaddr\" != dhcp ] && ip addr add \"$kdaddr\" dev eth0\n",
	     "a static address is added, never 'dhcp'");
	ok(dhcp != NULL, "rcS has a dhcp branch");
	like(dhcp, "udhcpc -i eth0 -f -q -n -t 5 -T 2 -s /etc/kdebug/udhcpc.script ||",
	     "udhcpc in the foreground, exits with the lease (-q) or after 5 tries (-n)");
	like(dhcp, "echo \"kdebug: no DHCP lease for eth0\"", "a missing lease is said on the console");
	ok(dhcp && strstr(guest_rcS, "/sys/class/net/eth0/carrier") < dhcp,
	   "udhcpc starts once the carrier is up");
	const char *els = dhcp ? strstr(dhcp, "\telse\n") : NULL;
	ok(els && strstr(els, "ip route add default via \"$kdgw\"") &&
	   strstr(els, "nameserver $kddns"), "gateway and DNS for static addresses only");
	like(guest_udhcpc_script, "#!/bin/sh\n", "the udhcpc script is a shell script");
}

/* Run the udhcpc script as udhcpc would, with ip/ifconfig stubs that log their arguments. */
static void test_udhcpc_script(void)
{
	char tmpl[] = "/tmp/kdebug-test-guest-XXXXXX";
	char *dir = mkdtemp(tmpl);
	if (!ok(dir != NULL, "scratch directory"))
		return;
	char *script = path_join(dir, "udhcpc.script"), *log = path_join(dir, "log");
	char *ip = path_join(dir, "ip"), *ifc = path_join(dir, "ifconfig");
	char *stub = xasprintf("#!/bin/sh\necho \"${0##*/} $*\" >> %s\n"
			       "[ \"$1 $2\" = \"route del\" ] && exit 2\nexit 0\n", log);
	write_file(script, guest_udhcpc_script, strlen(guest_udhcpc_script), 0755);
	write_file(ip, stub, strlen(stub), 0755);
	write_file(ifc, stub, strlen(stub), 0755);

	struct sbuf out = SBUF_INIT, got = SBUF_INIT;
	struct proc p;
	int code = -1;
	proc_init(&p);
	strvec_pushl(&p.args, "/bin/sh", script, "bound", NULL);
	/* No dns=: the script would write /etc/resolv.conf (the guest's). */
	strvec_pushf(&p.env, "PATH=%s", dir);
	strvec_pushl(&p.env, "interface=eth0", "ip=192.168.0.3", "mask=24", "subnet=255.255.255.0",
		     "broadcast=192.168.0.255", "router=192.168.0.1 192.168.0.254",
		     "serverid=192.168.0.1", "dns=", NULL);
	is_int(proc_capture(&p, &out, NULL, 0, &code), 0, "the script runs");
	is_int(code, 0, "bound: exit 0");
	read_file(log, &got);
	is_str(got.buf, "ip -4 addr flush dev eth0\n"
			"ip addr add 192.168.0.3/24 broadcast 192.168.0.255 dev eth0\n"
			"ip route del default dev eth0\n"
			"ip route add default via 192.168.0.1 dev eth0\n",
	       "bound: address/prefix, broadcast, the first router");
	is_str(out.buf, GUEST_DHCP_MARKER "eth0 192.168.0.3/24 (DHCP from 192.168.0.1)\n",
	       "bound: the lease on the console");

	/* Without mask=: ifconfig with the netmask. */
	unlink(log);
	sbuf_reset(&out);
	sbuf_reset(&got);
	proc_init(&p);
	strvec_pushl(&p.args, "/bin/sh", script, "bound", NULL);
	strvec_pushf(&p.env, "PATH=%s", dir);
	strvec_pushl(&p.env, "interface=eth0", "ip=10.0.2.15", "mask=", "subnet=255.255.255.0",
		     "broadcast=", "router=", "dns=", NULL);
	proc_capture(&p, &out, NULL, 0, &code);
	read_file(log, &got);
	like(got.buf, "ifconfig eth0 10.0.2.15 netmask 255.255.255.0\n", "no mask=: ifconfig netmask");
	ok(!strstr(got.buf, "route add"), "no router: no default route");

	unlink(log);
	sbuf_reset(&out);
	sbuf_reset(&got);
	proc_init(&p);
	strvec_pushl(&p.args, "/bin/sh", script, "leasefail", NULL);
	strvec_pushf(&p.env, "PATH=%s", dir);
	strvec_push(&p.env, "interface=eth0");
	proc_capture(&p, &out, NULL, 0, &code);
	is_int(code, 0, "leasefail: exit 0");
	is_str(out.buf, "kdebug: udhcpc on eth0: leasefail\n", "leasefail: said on the console");
	ok(!path_exists(log), "leasefail: nothing configured");

	sbuf_release(&out);
	sbuf_release(&got);
	rm_rf(dir);
	free(script);
	free(log);
	free(ip);
	free(ifc);
	free(stub);
}

/* ---- the console as kdebug run reads it ---- */

static struct sbuf said;

static void collect(void *ctx, enum say_kind kind, const char *text)
{
	sbuf_addf(&said, "%c:%s\n", kind == SAY_OUT ? 'O' : kind == SAY_TRACE ? 'T' : 'N', text);
}

static void tail_cb(void *arg, const char *line)
{
	sbuf_addf(arg, "%s|", line);
}

static unsigned feed(struct guest_console *c, const char *text)
{
	return guest_console_feed(c, text, strlen(text));
}

static void test_console(void)
{
	struct say sy = { .fn = collect, .verbose = 0 };
	struct guest_console c;
	struct sbuf t = SBUF_INIT;
	unsigned ev;

	sbuf_init(&said);
	guest_console_init(&c, "n1", &sy);
	ev = feed(&c, "booting\r\nKDEBUG-READY-n1\r\nKDEBUG-ST");
	is_int(ev, GUEST_EV_READY, "console: READY seen across a chunk");
	ok(c.ready && !c.started, "... ready, not started");
	ev = feed(&c, "ART-n1\nhello\nkdebug: lease eth0 10.0.2.15/24 (DHCP from 10.0.2.2)\n");
	is_int(ev, GUEST_EV_LEASE, "console: a lease");
	is_str(c.lease, "10.0.2.15/24", "... its address");
	is_str(c.lease_from, "10.0.2.2", "... its server");
	ev = feed(&c, "lastKDEBUG-EXIT-n1 3\n");
	is_int(ev, GUEST_EV_DONE, "console: EXIT");
	ok(c.done && c.status == 3, "... with its status");
	is_str(said.buf, "O:hello\nO:kdebug: lease eth0 10.0.2.15/24 (DHCP from 10.0.2.2)\nO:last\n",
	       "the command's output (and the text before EXIT) as report lines, nothing else");
	guest_console_tail(&c, tail_cb, &t);
	like(t.buf, "booting|KDEBUG-READY-n1|", "the tail keeps the lines, \\r stripped");
	guest_console_clear(&c);

	sbuf_reset(&said);
	sbuf_reset(&t);
	guest_console_init(&c, "n2", &sy);
	feed(&c, "KDEBUG-READY-n2\nKDEBUG-START-n2\nout\n" GUEST_SHUTDOWN_MARKER "poweroff\nreboot: Power down\n");
	ok(c.shutting_down, "console: the guest's clean shutdown is noticed");
	is_str(said.buf, "O:out\n", "... and its lines are not the command's output");
	guest_console_clear(&c);

	guest_console_init(&c, NULL, &sy);
	ev = feed(&c, "Kernel panic - not syncing: VFS\n");
	is_int(ev, GUEST_EV_PANIC, "console: a panic");
	char *big = xmalloc(GUEST_LINE_MAX + 10);
	memset(big, 'x', GUEST_LINE_MAX + 9);
	big[GUEST_LINE_MAX + 9] = 0;
	guest_console_feed(&c, big, GUEST_LINE_MAX + 9);
	ok(c.partial.len == 0, "a line without end is cut at GUEST_LINE_MAX, not kept growing");
	ok(c.nlines == 2, "... and counted as a line");
	feed(&c, "partial");
	ok(c.nlines == 2, "an unterminated line waits");
	guest_console_flush(&c);
	ok(c.nlines == 3 && !c.partial.len, "... until the end");
	free(big);
	guest_console_clear(&c);
	sbuf_release(&said);
	sbuf_release(&t);
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
	ok(!strstr(guest_rcS, GUEST_EXEC_AGENT), "rcS ends (init leaves sysinit: Ctrl-Alt-Del works at any time)");
	like(guest_inittab, "::respawn:" GUEST_CONSOLE "\n", "init runs the console wrapper");
	like(guest_console, "kdebug.exec=\"*) exec " GUEST_EXEC_AGENT, "... which hands over to the exec agent");
	like(guest_console, "exec /bin/sh -l", "... or gives a login shell");
	like(guest_inittab, "::ctrlaltdel:" GUEST_SHUTDOWN " reboot\n", "Ctrl-Alt-Del: the clean shutdown");
	like(guest_acpi_power, "exec " GUEST_SHUTDOWN " poweroff", "the power button: the clean power-off");
	like(guest_rcS, "acpid -l /dev/null", "rcS starts acpid");
	like(guest_exec_agent, "exec " GUEST_SHUTDOWN " reboot", "the agent ends with the clean shutdown");
	like(guest_shutdown, "umount -a -r", "the shutdown unmounts or remounts read-only");
	like(guest_shutdown, "kill -KILL -1", "... after ending every process");
	like(guest_shutdown, GUEST_SHUTDOWN_MARKER, "... and says so on the console");
	free(n1);
	free(n2);
	test_rcs_net();
	test_console();
	test_udhcpc_script();

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
			       .target = "/r/k1/gdb.sock", .breaks = &br };
	struct sbuf cmd = SBUF_INIT;
	gdb_write_commands(&go, &cmd, NULL);
	like(cmd.buf, "add-auto-load-safe-path /b\n", "safe path");
	like(cmd.buf, "file /b/vmlinux\n", "symbols");
	like(cmd.buf, "source /b/vmlinux-gdb.py\n", "gdb scripts");
	like(cmd.buf, "set remotetimeout 10\ntarget remote /r/k1/gdb.sock\n", "the VM's gdbstub socket");
	like(cmd.buf, "hbreak ip_rcv\nhbreak *0xffffffff81000000\nhbreak a\nhbreak b\nbreak c\n",
	     "four hardware breakpoints, then software ones");
	sbuf_release(&cmd);
	strvec_clear(&br);
	return done_testing();
}
