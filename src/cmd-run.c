// SPDX-License-Identifier: GPL-2.0
/*
 * kdebug run: boot a kernel in QEMU, the tutorial's
 *   qemu-system-x86_64 -kernel bzImage -append 'root=/dev/sda' -hda rootfs.img
 * with a loopback-only gdbstub, a registered instance (QMP socket, console
 * log) and, with --exec, a command run in the guest whose status becomes
 * kdebug's.  This file parses the options and reports; the run itself is a
 * session of stages (lib/run.h).
 */
#include <arpa/inet.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "run.h"

static const char run_help[] =
"usage: kdebug run [options]\n"
"\n"
"Boot a kernel in QEMU with the serial console on the terminal.\n"
"\n"
"  -k, --kernel FILE|DIR   bzImage, or a kernel build directory (bzImage, vmlinux,\n"
"                          gdb scripts); default: the last 'kdebug build' of the\n"
"                          kernel tree in the current directory, else the last one\n"
"      --vmlinux FILE      symbols for --break and 'kdebug gdb' (default: the build's)\n"
"  -r, --rootfs FILE       initramfs (cpio, any compression) or ext2/3/4 image;\n"
"                          default: kdebug's cached BusyBox initramfs\n"
"      --initrd FILE       an extra initramfs (e.g. a distro one with disk drivers);\n"
"                          with an initramfs rootfs it is appended to it\n"
"  -a, --append ARGS       extra kernel command line (after console=ttyS0 nokaslr)\n"
"      --kaslr             keep KASLR (kdebug adds nokaslr by default)\n"
"  -m, --memory MB         guest memory (default 512)\n"
"      --smp N             virtual CPUs (default 1)\n"
"      --machine TYPE      QEMU machine (default pc)\n"
"      --accel auto|kvm|tcg  accelerator (default auto: KVM when usable)\n"
"  -g, --gdb[=unix|tcp[:PORT]]  a gdbstub: by default a unix socket in the VM's\n"
"                          private directory (only you can attach); tcp: on\n"
"                          127.0.0.1:PORT (default 1234 or the next free), which\n"
"                          every local user can reach\n"
"  -S, --wait-gdb          halt the CPU before the first instruction until gdb continues\n"
"  -e, --exec CMD          run CMD in the guest, print its output, power off and\n"
"                          exit with its status\n"
"  -t, --timeout SECS      stop the VM after SECS seconds (default: none); that\n"
"                          counts as a hang (see below)\n"
"  -n, --name NAME         instance name (default k1, k2, ...)\n"
"      --qemu-arg ARG      pass ARG to QEMU (repeatable)\n"
"      --net user|none     user: QEMU user-mode networking, eth0 gets 10.0.2.15/24,\n"
"                          the host is 10.0.2.2 (default); none: no NIC\n"
"      --nic e1000|virtio-net  the guest's NIC (default e1000, as the tutorial)\n"
"      --forward H:G       host port H (on 127.0.0.1) to guest port G (repeatable)\n"
"      --guest-ip CIDR|dhcp  the guest's address (default 10.0.2.15/24 in user mode,\n"
"                          192.168.0.2/24 with a bridge), or dhcp: the guest asks\n"
"                          with udhcpc; user mode: QEMU's server; bridge: kdebug\n"
"                          answers this VM only, with the lowest address of the\n"
"                          --host-ip subnet no other kdebug VM there has; with\n"
"                          --uplink: the LAN's server\n"
"      --net bridge[=BR]   the tutorial's bridge mode: bridge BR (default kdbr0,\n"
"                          made if absent) with --host-ip (default 192.168.0.1/24),\n"
"                          a tap for this VM; all removed afterwards (CAP_NET_ADMIN)\n"
"      --net tap=IFNAME    an existing tap\n"
"      --uplink IF         also put host interface IF in the bridge (remote sessions\n"
"                          over IF may drop)\n"
"      --root nfs[:DIR]    root file system on NFS, served by a private nfs-ganesha\n"
"                          (default DIR: a fresh 'kdebug rootfs --format dir' tree\n"
"                          in the instance directory); root only.  --net user: in a\n"
"                          network namespace of its own, the guest reaching it at\n"
"                          10.0.2.4 through relays; --net bridge: on the bridge's\n"
"                          host address, exported to the guest's address only\n"
"      --nfs-ports N,M     the private server's NFS and MOUNT ports (default: 20490,\n"
"                          20491 in its namespace (--net user), else the first free\n"
"                          ones from 20490)\n"
"      --nfs-server kernel  serve --root nfs from the host's running kernel NFS\n"
"                          server instead: an export to this guest only (exportfs),\n"
"                          removed afterwards; needs --net bridge\n"
"      --root 9p:DIR       root file system from a host directory over virtio-9p\n"
"      --share HOST[:GUEST]  a host directory mounted in the guest over 9p\n"
"                          (default GUEST: /mnt/<basename>; repeatable)\n"
"      --module DIR        out-of-tree modules built in DIR ('kdebug module build'):\n"
"                          checked against the kernel, shared live in the guest at\n"
"                          /lib/modules/<release>/kdebug/<name>/, their symbols\n"
"                          loaded into gdb when they load (init functions too)\n"
"\n"
"Scripted breakpoints: gdb reports each hit; with --exec the run is unattended,\n"
"without it the console is yours (type what triggers the breakpoint).\n"
"  -b, --break SYM|*ADDR   print each hit with its backtrace (repeatable)\n"
"      --expect-hit        fail unless every breakpoint was hit\n"
"      --max-hits N        stop reporting a breakpoint after N hits (default 10)\n"
"      --on-hit CMD        also run gdb command CMD at each hit, e.g. 'p *skb',\n"
"                          'lx-lsmod' (repeatable)\n"
"  The VM boots while gdb loads the symbols; the command starts once the\n"
"  breakpoints are in.  For breakpoints in early boot (start_kernel, ...) add\n"
"  --wait-gdb: the CPU then waits for gdb before its first instruction.\n"
"\n"
"When the guest kernel dies or hangs (panic, oops, BUG, soft/hard lockup, hung\n"
"task; QEMU's pvpanic device pauses the VM inside panic()), kdebug prints a\n"
"report: the kernel's report with every frame as function and file:line\n"
"(modules from --module too), gdb's registers and backtrace of the crashing\n"
"CPU, every CPU's backtrace, the last kernel log lines; all kept in\n"
"~/.cache/kdebug/crashes/NAME-TIME/.  With --exec kdebug then exits with\n"
"status 121 (the guest crashed) or 124 (it hung); without, the VM stays\n"
"paused at the crash site for 'kdebug gdb NAME' and 'kdebug crash NAME'.\n"
"      --hang-timeout SECS  with --exec: no console output for SECS seconds\n"
"                          while the command runs is a hang\n"
"      --on-warn report|stop|ignore  a kernel WARN: report it and go on\n"
"                          (default), treat it as a crash, or say nothing\n"
"      --dump[=FILE]       also write a vmcore (for 'kdebug crash' and\n"
"                          'kdebug drgn'; default FILE: vmcore in the crash\n"
"                          directory)\n"
"      --dump-format elf|kdump-zlib|kdump-lzo|kdump-snappy  (default elf)\n"
"      --json              the crash report as one JSON object, the last line\n"
"                          of stdout\n"
"      --no-watch          no crash watch (no pvpanic device, no report)\n"
"\n"
"On a terminal the console is interactive: Ctrl-A x quits QEMU, Ctrl-A c\n"
"switches between the console and the QEMU monitor, Ctrl-A h lists the keys.\n"
"Otherwise the console goes to the instance's console.log (see 'kdebug ps').\n";

enum { OPT_INITRD = 256, OPT_SMP, OPT_MACHINE, OPT_ACCEL, OPT_QEMU_ARG, OPT_KASLR,
       OPT_VMLINUX, OPT_EXPECT_HIT, OPT_MAX_HITS, OPT_NET, OPT_NIC, OPT_FORWARD,
       OPT_GUEST_IP, OPT_HOST_IP, OPT_UPLINK, OPT_ROOT, OPT_SHARE, OPT_MODULE, OPT_ON_HIT, OPT_NFS_SERVER, OPT_NFS_PORTS,
       OPT_HANG_TIMEOUT, OPT_ON_WARN, OPT_DUMP, OPT_DUMP_FORMAT, OPT_JSON, OPT_NO_WATCH };

static const struct option run_longopts[] = {
	{ "kernel",   required_argument, NULL, 'k' },
	{ "rootfs",   required_argument, NULL, 'r' },
	{ "initrd",   required_argument, NULL, OPT_INITRD },
	{ "append",   required_argument, NULL, 'a' },
	{ "kaslr",    no_argument,       NULL, OPT_KASLR },
	{ "memory",   required_argument, NULL, 'm' },
	{ "smp",      required_argument, NULL, OPT_SMP },
	{ "machine",  required_argument, NULL, OPT_MACHINE },
	{ "accel",    required_argument, NULL, OPT_ACCEL },
	{ "gdb",      optional_argument, NULL, 'g' },
	{ "wait-gdb", no_argument,       NULL, 'S' },
	{ "exec",     required_argument, NULL, 'e' },
	{ "timeout",  required_argument, NULL, 't' },
	{ "name",     required_argument, NULL, 'n' },
	{ "qemu-arg", required_argument, NULL, OPT_QEMU_ARG },
	{ "vmlinux",  required_argument, NULL, OPT_VMLINUX },
	{ "break",    required_argument, NULL, 'b' },
	{ "expect-hit", no_argument,     NULL, OPT_EXPECT_HIT },
	{ "max-hits", required_argument, NULL, OPT_MAX_HITS },
	{ "net",      required_argument, NULL, OPT_NET },
	{ "nic",      required_argument, NULL, OPT_NIC },
	{ "forward",  required_argument, NULL, OPT_FORWARD },
	{ "guest-ip", required_argument, NULL, OPT_GUEST_IP },
	{ "host-ip",  required_argument, NULL, OPT_HOST_IP },
	{ "uplink",   required_argument, NULL, OPT_UPLINK },
	{ "root",     required_argument, NULL, OPT_ROOT },
	{ "share",    required_argument, NULL, OPT_SHARE },
	{ "module",   required_argument, NULL, OPT_MODULE },
	{ "on-hit",   required_argument, NULL, OPT_ON_HIT },
	{ "nfs-server", required_argument, NULL, OPT_NFS_SERVER },
	{ "nfs-ports", required_argument, NULL, OPT_NFS_PORTS },
	{ "hang-timeout", required_argument, NULL, OPT_HANG_TIMEOUT },
	{ "on-warn",  required_argument, NULL, OPT_ON_WARN },
	{ "dump",     optional_argument, NULL, OPT_DUMP },
	{ "dump-format", required_argument, NULL, OPT_DUMP_FORMAT },
	{ "json",     no_argument,       NULL, OPT_JSON },
	{ "no-watch", no_argument,       NULL, OPT_NO_WATCH },
	{ "help",     no_argument,       NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static int check_run_opts(struct run_config *o, bool nfs_server);

static int parse_run_opts(int argc, char **argv, struct run_config *o)
{
	int c;
	unsigned long v;

	const char *nfs_server = NULL;

	run_config_init(o);
	while ((c = getopt_long(argc, argv, ":k:r:a:m:g::Se:t:n:b:h", run_longopts, NULL)) != -1) {
		switch (c) {
		case 'k': o->kernel = optarg; break;
		case 'r': o->rootfs = optarg; break;
		case OPT_INITRD: o->initrd = optarg; break;
		case 'a': o->append = optarg; break;
		case OPT_KASLR: o->kaslr = true; break;
		case 'm':
			if (parse_uint(optarg, 1UL << 22, &o->memory_mb) || o->memory_mb < 16)
				return usage_error("run", "invalid --memory '%s' (megabytes, at least 16)", optarg);
			break;
		case OPT_SMP:
			if (parse_uint(optarg, 255, &o->smp) || !o->smp)
				return usage_error("run", "invalid --smp '%s' (1 to 255)", optarg);
			break;
		case OPT_MACHINE: o->machine = optarg; break;
		case OPT_ACCEL:
			if (accel_parse(optarg, &o->accel))
				return usage_error("run", "invalid --accel '%s' (auto, kvm or tcg)", optarg);
			break;
		case 'g':
			/* --gdb: a unix socket only you can use; --gdb tcp[:PORT] (or PORT): 127.0.0.1 */
			if (!optarg || !strcmp(optarg, "unix")) {
				o->gdb = RUN_GDB_UNIX;
			} else if (!strcmp(optarg, "tcp")) {
				o->gdb = RUN_GDB_TCP;
				o->gdb_port = -1;
			} else if (parse_uint(str_starts_with(optarg, "tcp:") ? optarg + 4 : optarg, 65535, &v) || !v) {
				return usage_error("run", "invalid --gdb '%s' (unix, tcp, tcp:PORT with PORT 1 to 65535)", optarg);
			} else {
				o->gdb = RUN_GDB_TCP;
				o->gdb_port = (int)v;
			}
			break;
		case 'S': o->wait_gdb = true; break;
		case 'e': o->exec = optarg; break;
		case 't':
			if (parse_uint(optarg, 1UL << 30, &o->timeout) || !o->timeout)
				return usage_error("run", "invalid --timeout '%s' (seconds, at least 1)", optarg);
			break;
		case 'n':
			if (!instance_name_valid(optarg))
				return usage_error("run", "invalid name '%s' (letters, digits, '_', '.', '-'; at most 32)", optarg);
			o->name = optarg;
			break;
		case OPT_QEMU_ARG: strvec_push(&o->qemu_args, optarg); break;
		case OPT_VMLINUX: o->vmlinux = optarg; break;
		case 'b': strvec_push(&o->breaks, optarg); break;
		case OPT_EXPECT_HIT: o->expect_hit = true; break;
		case OPT_NET:
			if (strcmp(optarg, "user") && strcmp(optarg, "none") && strcmp(optarg, "bridge") &&
			    !str_starts_with(optarg, "bridge=") && !str_starts_with(optarg, "tap="))
				return usage_error("run", "invalid --net '%s' (user, bridge[=BR], tap=IFNAME or none)", optarg);
			o->net = optarg;
			break;
		case OPT_NIC:
			if (qemu_nic_parse(optarg, &o->nic))
				return usage_error("run", "invalid --nic '%s' (e1000 or virtio-net)", optarg);
			break;
		case OPT_FORWARD: {
			int h, g;
			if (forward_parse(optarg, &h, &g))
				return usage_error("run", "invalid --forward '%s' (HOSTPORT:GUESTPORT, e.g. 2222:22)", optarg);
			strvec_push(&o->forwards, optarg);
			break;
		}
		case OPT_GUEST_IP: o->guest_ip = optarg; break;
		case OPT_HOST_IP: o->host_ip = optarg; break;
		case OPT_UPLINK: o->uplink = optarg; break;
		case OPT_ROOT:
			if (strcmp(optarg, "nfs") && !str_starts_with(optarg, "nfs:") &&
			    !str_starts_with(optarg, "9p:"))
				return usage_error("run", "invalid --root '%s' (nfs, nfs:DIR or 9p:DIR)", optarg);
			o->root = optarg;
			break;
		case OPT_SHARE: strvec_push(&o->shares, optarg); break;
		case OPT_ON_HIT: strvec_push(&o->hit_cmds, optarg); break;
		case OPT_NFS_SERVER:
			if (strcmp(optarg, "ganesha") && strcmp(optarg, "kernel"))
				return usage_error("run", "invalid --nfs-server '%s' (ganesha or kernel)", optarg);
			nfs_server = optarg;
			o->kernel_nfs = !strcmp(optarg, "kernel");
			break;
		case OPT_NFS_PORTS: {
			/* NFS,MOUNT */
			char *comma = strchr(optarg, ',');
			unsigned long a = 0, b = 0;
			if (comma)
				*comma = '\0';
			if (!comma || parse_uint(optarg, 65535, &a) || parse_uint(comma + 1, 65535, &b) ||
			    !a || !b || a == b) {
				if (comma)
					*comma = ',';
				return usage_error("run", "invalid --nfs-ports '%s' (two different ports NFS,MOUNT, e.g. 20490,20491)",
						   optarg);
			}
			o->nfs_port = (int)a;
			o->mount_port = (int)b;
			break;
		}
		case OPT_MODULE: {
			char *a = abspath(optarg);
			strvec_push(&o->modules, a);
			free(a);
			break;
		}
		case OPT_MAX_HITS:
			if (parse_uint(optarg, 1UL << 30, &o->max_hits))
				return usage_error("run", "invalid --max-hits '%s'", optarg);
			break;
		case OPT_HANG_TIMEOUT:
			if (parse_uint(optarg, 1UL << 30, &o->hang_timeout) || !o->hang_timeout)
				return usage_error("run", "invalid --hang-timeout '%s' (seconds, at least 1)", optarg);
			break;
		case OPT_ON_WARN:
			if (!strcmp(optarg, "report"))
				o->on_warn = RUN_WARN_REPORT;
			else if (!strcmp(optarg, "stop"))
				o->on_warn = RUN_WARN_STOP;
			else if (!strcmp(optarg, "ignore"))
				o->on_warn = RUN_WARN_IGNORE;
			else
				return usage_error("run", "invalid --on-warn '%s' (report, stop or ignore)", optarg);
			break;
		case OPT_DUMP: o->dump = optarg ? optarg : ""; break;
		case OPT_DUMP_FORMAT: o->dump_format = optarg; break;
		case OPT_JSON: o->json = true; break;
		case OPT_NO_WATCH: o->no_watch = true; break;
		case 'h': return print_help(run_help) - 1;
		default: return usage_option_error("run", c, argv);
		}
	}
	if (optind < argc)
		return usage_error("run", "unexpected argument '%s'", argv[optind]);
	return check_run_opts(o, nfs_server != NULL);
}

/* Options that do not go together, and what some imply. */
static int check_run_opts(struct run_config *o, bool nfs_server)
{
	if (o->forwards.n && strcmp(o->net, "user"))
		return usage_error("run", "--forward needs --net user");
	if (o->guest_ip && !strcmp(o->net, "none"))
		return usage_error("run", "--guest-ip needs a network (--net user)");
	bool bridge = str_starts_with(o->net, "bridge");
	if (o->root && o->rootfs)
		return usage_error("run", "--root and --rootfs do not go together");
	if (nfs_server && !(o->root && str_starts_with(o->root, "nfs")))
		return usage_error("run", "--nfs-server needs --root nfs");
	if (o->nfs_port && !(o->root && str_starts_with(o->root, "nfs")))
		return usage_error("run", "--nfs-ports needs --root nfs");
	if (o->nfs_port && o->kernel_nfs)
		return usage_error("run", "--nfs-ports is for kdebug's own server; the kernel NFS server has its own ports");
	if (o->root && str_starts_with(o->root, "nfs") && strcmp(o->net, "user") && !bridge)
		return usage_error("run", "--root nfs needs a network: --net user or --net bridge");
	/* Before anything else: a refusal about the options, whatever the host has. */
	if (o->kernel_nfs && !bridge)
		return usage_error("run", "--nfs-server kernel in user mode would export to 127.0.0.1, where every local user "
				   "would be root on the tree; use --net bridge (an export to the guest's address only) "
				   "or kdebug's own server (no --nfs-server)");
	if ((o->host_ip || o->uplink) && !bridge)
		return usage_error("run", "--host-ip and --uplink need --net bridge");
	bool dhcp = o->guest_ip && !strcmp(o->guest_ip, "dhcp");
	if (o->guest_ip && !bridge && !dhcp) {
		struct in_addr a;
		unsigned pfx;
		if (net_parse_cidr(o->guest_ip, &a, &pfx))
			return usage_error("run", "invalid --guest-ip '%s' (ADDRESS/PREFIX, e.g. 10.0.2.15/24, or dhcp)", o->guest_ip);
	}
	/* The private NFS server exports to the guest's address only. */
	if (dhcp && o->uplink && o->root && str_starts_with(o->root, "nfs"))
		return usage_error("run", "--root nfs with --guest-ip dhcp and --uplink: the LAN's DHCP server picks the address, so kdebug cannot restrict the export to it; give --guest-ip ADDRESS/PREFIX");
	if (o->expect_hit && !o->breaks.n)
		return usage_error("run", "--expect-hit needs --break");
	if (o->hit_cmds.n && !o->breaks.n)
		return usage_error("run", "--on-hit needs --break");
	if (o->hang_timeout && !o->exec)
		return usage_error("run", "--hang-timeout needs --exec (it watches the command's output)");
	if (o->dump_format && !o->dump)
		return usage_error("run", "--dump-format needs --dump");
	if (o->no_watch && (o->hang_timeout || o->dump || o->json || o->on_warn != RUN_WARN_REPORT))
		return usage_error("run", "--no-watch turns off what --hang-timeout, --on-warn, --dump and --json need");
	if ((o->breaks.n || o->wait_gdb) && o->gdb == RUN_GDB_NONE)
		o->gdb = RUN_GDB_UNIX;	/* the scripted gdb needs a stub; --wait-gdb implies --gdb */
	return 0;
}


/* Where the session's messages go. */
static void run_say(void *ctx, enum say_kind kind, const char *text)
{
	switch (kind) {
	case SAY_OUT:
		printf("%s\n", text);
		fflush(stdout);
		break;
	case SAY_NOTE:
		note("%s", text);
		break;
	case SAY_WARN:
		warning("%s", text);
		break;
	case SAY_TRACE:
		fprintf(stderr, "%s\n", text);
		break;
	}
}

static void print_tail_line(void *arg, const char *line)
{
	struct sbuf clean = SBUF_INIT;

	/* Console text from the guest: no escape sequences reach the terminal. */
	for (const char *p = line; *p; p++)
		sbuf_addch(&clean, (*p >= 0x20 && *p != 0x7f) || *p == '\t' || (unsigned char)*p >= 0x80 ? *p : '?');
	fprintf(arg, "  | %s\n", sbuf_str(&clean));
	sbuf_release(&clean);
}

/* The last lines of qemu.log (QEMU's own errors). */
static void report_qemu_log(const char *path)
{
	struct sbuf sb = SBUF_INIT;

	if (read_file(path, &sb) == 0 && sb.len) {
		sbuf_rtrim(&sb);
		const char *last = strrchr(sb.buf, '\n');
		error("qemu failed: %s", last ? last + 1 : sb.buf);
		if (verbosity > 0)
			fprintf(stderr, "%s\n", sb.buf);
	}
	sbuf_release(&sb);
}

/* Per-breakpoint counts; true when one was never hit. */
static bool report_hits(const struct run_session *s)
{
	const struct run_config *c = s->cfg;
	const unsigned long *hits = run_gdb_hits(s);
	const char *log;
	bool missed = false;

	if (!hits)
		return false;
	for (size_t i = 0; i < c->breaks.n; i++) {
		printf("%s: %lu hit%s%s\n", c->breaks.v[i], hits[i], hits[i] == 1 ? "" : "s",
		       c->max_hits && hits[i] >= c->max_hits ? " (--max-hits reached; later hits not reported)" : "");
		missed |= !hits[i];
	}
	fflush(stdout);
	if (!run_gdb_reported(s, &log) && verbosity <= 0 && !s->interrupted)
		warning("gdb did not finish its report; its output was:\n%s", log);
	return missed;
}

static int exec_outcome(const struct run_session *s, bool missed)
{
	const struct run_config *c = s->cfg;
	const unsigned long *hits = run_gdb_hits(s);
	int status;

	if (run_console_exec_done(s, &status)) {
		if (!status && c->expect_hit && missed) {
			for (size_t i = 0; i < c->breaks.n; i++)
				if (!hits[i])
					error("breakpoint '%s' was never hit (--expect-hit)", c->breaks.v[i]);
			return EXIT_FAIL;
		}
		return status;
	}
	if (run_console_shut_down(s) && !s->stopping) {
		error("VM %s was shut down (kdebug stop, its power button or Ctrl-Alt-Del) before the command finished",
		      s->in.name);
	} else if (!s->stopping && s->qemu_code && !run_console_lines(s)) {
		report_qemu_log(s->qlog_path);
	} else {
		error("the guest stopped before the command finished%s. Last console lines:",
		      run_console_exec_ready(s) ? "" : " (it never reached kdebug's init: is the rootfs one made by 'kdebug rootfs'?)");
		run_console_tail(s, print_tail_line, stderr);
	}
	return EXIT_FAIL;
}

/* The exit status, with the one-line reason when the run did not go well. */
static int outcome(const struct run_session *s, bool missed)
{
	const struct run_config *c = s->cfg;

	if (s->interrupted) {
		error("interrupted; VM %s stopped", s->in.name);
		return 128 + s->interrupted;
	}
	/* The crash stage printed its report already. */
	int crashed = run_crash_outcome(s);
	if (crashed)
		return crashed;
	if (s->timed_out) {
		error("VM %s did not finish within %lu s; killed it. Last console lines:", s->in.name, c->timeout);
		run_console_tail(s, print_tail_line, stderr);
		return EXIT_FAIL;
	}
	if (run_console_panicked(s)) {
		error("the guest kernel panicked (full log in the instance's console.log):");
		run_console_tail(s, print_tail_line, stderr);
		return EXIT_FAIL;
	}
	if (c->exec)
		return exec_outcome(s, missed);
	if (s->qemu_code) {
		report_qemu_log(s->qlog_path);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

int cmd_run(int argc, char **argv)
{
	struct run_config cfg;
	struct run_session s;
	struct say sy = { .fn = run_say, .verbose = verbosity };
	struct sbuf why = SBUF_INIT;
	int r, ret;

	r = parse_run_opts(argc, argv, &cfg);
	if (r) {
		run_config_clear(&cfg);
		return r < 0 ? EXIT_OK : r;
	}
	cfg.interactive = !cfg.exec && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	r = run_start(&s, &cfg, &sy, &why);
	if (r) {
		error("%s", sbuf_str(&why));
		run_finish(&s);
		ret = r;
	} else {
		run_loop(&s);
		run_finish(&s);
		ret = outcome(&s, report_hits(&s));
	}
	run_free(&s);
	run_config_clear(&cfg);
	sbuf_release(&why);
	return ret;
}
