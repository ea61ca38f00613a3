// SPDX-License-Identifier: GPL-2.0
/*
 * kdebug run: boot a kernel in QEMU, the tutorial's
 *   qemu-system-x86_64 -kernel bzImage -append 'root=/dev/sda' -hda rootfs.img
 * with a loopback-only gdbstub, a registered instance (QMP socket, console
 * log) and, with --exec, a command run in the guest whose status becomes
 * kdebug's.
 */
#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <arpa/inet.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "dhcp.h"
#include "elfsym.h"
#include "gdb.h"
#include "guest.h"
#include "instance.h"
#include "kbuild.h"
#include "net.h"
#include "module.h"
#include "nfs.h"
#include "share.h"
#include "proc.h"
#include "qemu.h"
#include "rootfs.h"
#include "sock.h"
#include "util.h"

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
"  -g, --gdb[=PORT]        gdbstub on 127.0.0.1:PORT (default 1234, or the next free)\n"
"  -S, --wait-gdb          halt the CPU before the first instruction until gdb continues\n"
"  -e, --exec CMD          run CMD in the guest, print its output, power off and\n"
"                          exit with its status\n"
"  -t, --timeout SECS      kill the VM after SECS seconds (default: none)\n"
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
"                          in the instance directory)\n"
"      --nfs-ports N,M     the private server's NFS and MOUNT ports (default: the\n"
"                          first free ones from 20490)\n"
"      --nfs-server kernel  serve --root nfs from the host's running kernel NFS\n"
"                          server instead: an export to this guest only (exportfs),\n"
"                          removed afterwards\n"
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
"On a terminal the console is interactive: Ctrl-A x quits QEMU, Ctrl-A c\n"
"switches between the console and the QEMU monitor, Ctrl-A h lists the keys.\n"
"Otherwise the console goes to the instance's console.log (see 'kdebug ps').\n";

struct run_opts {
	const char *kernel, *rootfs, *initrd, *append, *name, *exec, *machine, *vmlinux;
	enum accel accel;
	unsigned long memory_mb, smp, timeout, max_hits;
	struct strvec breaks;
	bool expect_hit;
	const char *net, *guest_ip, *host_ip, *uplink;
	const char *root;		/* "nfs", "nfs:DIR", "9p:DIR" or NULL */
	struct strvec shares;
	struct strvec modules;		/* module directories (absolute) */
	struct strvec hit_cmds;		/* --on-hit */
	const char *nfs_server;		/* --nfs-server as given, NULL: none */
	bool kernel_nfs;		/* --nfs-server kernel */
	int nfs_port, mount_port;	/* --nfs-ports; 0: the first free ones */
	enum qemu_nic nic;
	struct strvec forwards;
	int gdb_port;		/* -1: --gdb without port; 0: none */
	bool wait_gdb, kaslr;
	struct strvec qemu_args;
};

enum { OPT_INITRD = 256, OPT_SMP, OPT_MACHINE, OPT_ACCEL, OPT_QEMU_ARG, OPT_KASLR,
       OPT_VMLINUX, OPT_EXPECT_HIT, OPT_MAX_HITS, OPT_NET, OPT_NIC, OPT_FORWARD,
       OPT_GUEST_IP, OPT_HOST_IP, OPT_UPLINK, OPT_ROOT, OPT_SHARE, OPT_MODULE, OPT_ON_HIT, OPT_NFS_SERVER, OPT_NFS_PORTS };

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
	{ "help",     no_argument,       NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static int parse_run_opts(int argc, char **argv, struct run_opts *o)
{
	int c;
	unsigned long v;

	memset(o, 0, sizeof(*o));
	strvec_init(&o->qemu_args);
	strvec_init(&o->breaks);
	strvec_init(&o->forwards);
	strvec_init(&o->shares);
	strvec_init(&o->modules);
	strvec_init(&o->hit_cmds);
	o->max_hits = 10;
	o->net = "user";
	o->accel = ACCEL_AUTO;
	o->memory_mb = 512;
	o->smp = 1;
	while ((c = getopt_long(argc, argv, "k:r:a:m:g::Se:t:n:b:h", run_longopts, NULL)) != -1) {
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
			if (!optarg) {
				o->gdb_port = -1;
			} else if (parse_uint(optarg, 65535, &v) || !v) {
				return usage_error("run", "invalid gdb port '%s' (1 to 65535)", optarg);
			} else {
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
			o->nfs_server = optarg;
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
		case 'h': return print_help(run_help) - 1;
		default: return usage_error("run", "unknown option");
		}
	}
	if (optind < argc)
		return usage_error("run", "unexpected argument '%s'", argv[optind]);
	if (o->forwards.n && strcmp(o->net, "user"))
		return usage_error("run", "--forward needs --net user");
	if (o->guest_ip && !strcmp(o->net, "none"))
		return usage_error("run", "--guest-ip needs a network (--net user)");
	bool bridge = str_starts_with(o->net, "bridge");
	if (o->root && o->rootfs)
		return usage_error("run", "--root and --rootfs do not go together");
	if (o->nfs_server && !(o->root && str_starts_with(o->root, "nfs")))
		return usage_error("run", "--nfs-server needs --root nfs");
	if (o->nfs_port && !(o->root && str_starts_with(o->root, "nfs")))
		return usage_error("run", "--nfs-ports needs --root nfs");
	if (o->nfs_port && o->kernel_nfs)
		return usage_error("run", "--nfs-ports is for kdebug's own server; the kernel NFS server has its own ports");
	if (o->root && str_starts_with(o->root, "nfs") && strcmp(o->net, "user") && !bridge)
		return usage_error("run", "--root nfs needs a network: --net user or --net bridge");
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
	if (o->breaks.n && !o->gdb_port)
		o->gdb_port = -1;	/* the scripted gdb needs a stub */
	if (o->wait_gdb && !o->gdb_port)
		o->gdb_port = -1;	/* --wait-gdb implies --gdb */
	return 0;
}

enum rootfs_kind { RK_NONE, RK_INITRAMFS, RK_DISK };

/* Initramfs (cpio, possibly compressed) or an ext2/3/4 image? */
static int classify_rootfs(const char *path, enum rootfs_kind *kind)
{
	unsigned char b[1082];
	ssize_t n = read_file_at(path, b, sizeof(b), 0);

	if (n < 0)
		return (int)n;
	if (n >= 6 && (!memcmp(b, "070701", 6) || !memcmp(b, "070702", 6) ||
		       (b[0] == 0x1f && b[1] == 0x8b) ||			/* gzip */
		       !memcmp(b, "\x28\xb5\x2f\xfd", 4) ||		/* zstd */
		       !memcmp(b, "\xfd" "7zXZ", 5) ||			/* xz */
		       !memcmp(b, "\x02\x21\x4c\x18", 4) ||		/* lz4 */
		       !memcmp(b, "BZh", 3) || (b[0] == 0x5d && b[1] == 0))) {	/* bzip2, lzma */
		*kind = RK_INITRAMFS;
		return 0;
	}
	if (n == (ssize_t)sizeof(b) && b[1080] == 0x53 && b[1081] == 0xef) {	/* ext magic */
		*kind = RK_DISK;
		return 0;
	}
	return -EMEDIUMTYPE;
}

static int concat_files(const char *a, const char *b, const char *out)
{
	struct sbuf sa = SBUF_INIT, sb = SBUF_INIT;
	int r = read_file(a, &sa);

	if (!r)
		r = read_file(b, &sb);
	if (!r) {
		/* Each archive starts 4-byte aligned for the kernel's unpacker. */
		while (sa.len % 4)
			sbuf_addch(&sa, '\0');
		sbuf_add(&sa, sb.buf, sb.len);
		r = write_file(out, sa.buf, sa.len, 0600);
	}
	sbuf_release(&sa);
	sbuf_release(&sb);
	return r;
}

/* Last lines of a console log, for errors. */
#define TAIL_LINES 25
struct tail {
	char *lines[TAIL_LINES];
	size_t next;
};

static void tail_add(struct tail *t, const char *line)
{
	free(t->lines[t->next]);
	t->lines[t->next] = xstrdup(line);
	t->next = (t->next + 1) % TAIL_LINES;
}

static void tail_print(struct tail *t, FILE *f)
{
	for (size_t i = 0; i < TAIL_LINES; i++) {
		char *l = t->lines[(t->next + i) % TAIL_LINES];
		if (l)
			fprintf(f, "  | %s\n", l);
	}
}

static void tail_free(struct tail *t)
{
	for (size_t i = 0; i < TAIL_LINES; i++)
		free(t->lines[i]);
}

/* Print the last lines of qemu.log (QEMU's own errors). */
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

struct console_state {
	const char *nonce;	/* NULL unless --exec */
	const char *payload;
	int qemu_in;
	bool ready, sent, started, done, panic;
	int status;
	size_t nlines;
	struct sbuf partial;
	struct tail tail;
	char *lease;		/* ADDR/PREFIX the guest's udhcpc last reported, malloc'd */
	char *lease_from;	/* its DHCP server */
};

/* "... kdebug: lease eth0 192.168.0.3/24 (DHCP from 192.168.0.1)" (guest.c's udhcpc script) */
static void console_lease(struct console_state *cs, const char *line)
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
	free(cs->lease);
	cs->lease = cidr;
	free(cs->lease_from);
	p = strstr(p, "(DHCP from ");
	cs->lease_from = p ? xstrndup(p + 11, strcspn(p + 11, ")")) : xstrdup("?");
}

static void console_line(struct console_state *cs, char *line)
{
	int status = 0;
	size_t pre = 0;
	size_t len = strlen(line);

	while (len && line[len - 1] == '\r')
		line[--len] = '\0';
	if (verbosity > 0)
		fprintf(stderr, "%s\n", line);
	tail_add(&cs->tail, line);
	cs->nlines++;
	console_lease(cs, line);
	switch (guest_scan_line(line, cs->nonce, &status, &pre)) {
	case GUEST_READY:
		cs->ready = true;	/* the payload goes out from console_send() */
		break;
	case GUEST_START:
		cs->started = true;
		break;
	case GUEST_EXIT:
		if (cs->started) {
			if (pre)
				printf("%.*s\n", (int)pre, line);
			cs->status = status;
			cs->done = true;
		}
		break;
	case GUEST_PANIC:
		cs->panic = true;
		/* fall through */
	case GUEST_LINE:
		if (cs->started && !cs->done)
			printf("%s\n", line);
		break;
	}
	if (cs->started)
		fflush(stdout);
}

/* Type the command once the guest is ready (and gdb's breakpoints are armed). */
static void console_send(struct console_state *cs, bool armed)
{
	if (!cs->ready || cs->sent || !armed || cs->qemu_in < 0 || !cs->payload)
		return;
	size_t n = strlen(cs->payload);
	cs->sent = true;
	/* Small: fits the pipe buffer in one write. */
	if (write(cs->qemu_in, cs->payload, n) != (ssize_t)n)
		cs->done = true;
}

static void console_line_cb(void *arg, char *line)
{
	console_line(arg, line);
}

static void console_feed(struct console_state *cs, const char *buf, size_t n)
{
	sbuf_feed_lines(&cs->partial, buf, n, console_line_cb, cs);
}

/*
 * The kernel to boot: --kernel FILE (a bzImage; its build directory's
 * vmlinux when it sits in one and matches), --kernel DIR (a build
 * directory or kernel tree), or the last kdebug build.  Fills art (bzimage
 * always; vmlinux, build_dir, src_dir, gdb_scripts when known).  -EINVAL
 * for bad input (why says what to do).
 */
static int resolve_kernel(const struct run_opts *o, struct kbuild_artifacts *art, struct sbuf *why)
{
	int r;

	if (!o->kernel || is_dir(o->kernel)) {
		struct sbuf kwhy = SBUF_INIT;
		r = kbuild_resolve(o->kernel, art, &kwhy);
		if (r) {
			if (o->kernel)
				sbuf_addf(why, "%s", kwhy.len ? kwhy.buf : strerror(-r));
			else
				sbuf_addf(why, "no kernel given and no kdebug build found (%s); pass --kernel BZIMAGE|BUILD_DIR or run 'kdebug config && kdebug build'",
					  kwhy.len ? kwhy.buf : strerror(-r));
			sbuf_release(&kwhy);
			return -EINVAL;
		}
		sbuf_release(&kwhy);
	} else {
		r = bzimage_check(o->kernel);
		if (r == -ENOEXEC) {
			sbuf_addf(why, "'%s' is not a bzImage (no x86 boot header); pass arch/x86/boot/bzImage or the build directory, not vmlinux", o->kernel);
			return -EINVAL;
		} else if (r) {
			sbuf_addf(why, "cannot open kernel '%s': %s", o->kernel, strerror(-r));
			return -EINVAL;
		}
		art->bzimage = abspath(o->kernel);
		/* BUILD/arch/x86/boot/bzImage: pick up the rest of that build. */
		if (str_ends_with(art->bzimage, "/arch/x86/boot/bzImage")) {
			char *dir = xstrndup(art->bzimage, strlen(art->bzimage) - strlen("/arch/x86/boot/bzImage"));
			struct kbuild_artifacts b = { 0 };
			if (kbuild_resolve(dir, &b, NULL) == 0 && !strcmp(b.bzimage, art->bzimage)) {
				kbuild_artifacts_clear(art);
				*art = b;
			} else {
				kbuild_artifacts_clear(&b);
			}
			free(dir);
		}
	}
	if (o->vmlinux) {
		if (!is_regular(o->vmlinux)) {
			sbuf_addf(why, "cannot open vmlinux '%s': %s", o->vmlinux, strerror(ENOENT));
			return -EINVAL;
		}
		free(art->vmlinux);
		art->vmlinux = abspath(o->vmlinux);
	}
	if (art->vmlinux) {
		struct sbuf mwhy = SBUF_INIT;
		r = kbuild_check_match(art->bzimage, art->vmlinux, &mwhy);
		if (r) {
			sbuf_addf(why, "'%s' does not belong to '%s'%s%s; rebuild with 'kdebug build' or pass the matching --vmlinux",
				  art->vmlinux, art->bzimage, mwhy.len ? ": " : "", sbuf_str(&mwhy));
			sbuf_release(&mwhy);
			return -EINVAL;
		}
		sbuf_release(&mwhy);
	}
	return 0;
}


/* Output of the scripted gdb (see gdb_write_break_script()). */
struct gdb_driver {
	struct proc proc;
	bool running;
	const struct strvec *breaks;
	unsigned long *hits;	/* per breakpoint, as counted by the script */
	unsigned long max_hits;
	bool in_bt, done, armed;
	struct sbuf partial;
	struct sbuf log;	/* everything gdb said, for errors */
};

/*
 * Report lines go to stdout.  On a terminal they share it with the guest's
 * console; QEMU's raw mode keeps output processing (OPOST), so "\n" is right.
 */
static void gdb_line(struct gdb_driver *g, const char *line)
{
	unsigned long idx = 0, count = 0;
	const char *rest = "";

	sbuf_addf(&g->log, "%s\n", line);
	switch (gdb_parse_line(line, &idx, &count, &rest)) {
	case GDB_HIT: {
		/* rest: "FUNC FILE:LINE" */
		const char *sp = strchr(rest, ' ');
		int flen = sp ? (int)(sp - rest) : (int)strlen(rest);
		const char *where = sp ? sp + 1 : "?";
		if (idx >= 1 && idx <= g->breaks->n) {
			g->hits[idx - 1]++;
			printf("hit %s at %s (%lu)\n", g->breaks->v[idx - 1], where, g->hits[idx - 1]);
		} else {
			printf("stopped in %.*s at %s\n", flen, rest, where);
		}
		g->in_bt = true;
		break;
	}
	case GDB_BT_END:
		g->in_bt = false;
		break;
	case GDB_COUNT:
		if (idx >= 1 && idx <= g->breaks->n)
			g->hits[idx - 1] = count;
		break;
	case GDB_DONE:
		g->done = true;
		break;
	case GDB_ARMED:
		g->armed = true;
		break;
	case GDB_MODULE: {
		/* rest: "NAME KO" */
		const char *sp = strchr(rest, ' ');
		printf("module %.*s: symbols from %s\n", sp ? (int)(sp - rest) : (int)strlen(rest), rest,
		       sp ? sp + 1 : "?");
		break;
	}
	case GDB_OTHER:
		if (g->in_bt)
			printf("  %s\n", line);
		else if (verbosity > 0)
			fprintf(stderr, "gdb: %s\n", line);
		break;
	}
	fflush(stdout);
}

static void gdb_line_cb(void *arg, char *line)
{
	gdb_line(arg, line);
}

static void gdb_feed(struct gdb_driver *g, const char *buf, size_t n)
{
	sbuf_feed_lines(&g->partial, buf, n, gdb_line_cb, g);
}

/* Read what gdb has to say; false at end of file. */
static bool gdb_read(struct gdb_driver *g)
{
	char buf[4096];
	ssize_t n = read(g->proc.out_fd, buf, sizeof(buf));

	if (n > 0) {
		gdb_feed(g, buf, (size_t)n);
		return true;
	}
	if (n < 0 && errno == EINTR)
		return true;
	close(g->proc.out_fd);
	g->proc.out_fd = -1;
	return false;
}

static int gdb_driver_start(struct gdb_driver *g, const struct instance *in,
			    const struct kbuild_artifacts *art, int port,
			    const struct run_opts *o, struct sbuf *why)
{
	struct sbuf cmds = SBUF_INIT, py = SBUF_INIT;
	struct gdb_opts go = {
		.vmlinux = art->vmlinux,
		.build_dir = art->build_dir,
		.gdb_py = art->gdb_scripts,
		.src_dir = art->src_dir,
		.port = port,
	};
	struct gdb_break_opts bo = {
		.breaks = &o->breaks,
		.max_hits = o->max_hits,
		.src_dir = art->src_dir,
		.module_dirs = &o->modules,
		.hit_cmds = &o->hit_cmds,
	};
	char *cmdfile = instance_path(in, "gdb.cmd");
	char *script = instance_path(in, "breaks.py");
	int r;

	gdb_write_commands(&go, &cmds);
	gdb_write_break_script(&bo, &py);
	r = write_file_atomic(cmdfile, cmds.buf, cmds.len, 0600);
	if (!r)
		r = write_file_atomic(script, py.buf, py.len, 0600);
	if (r) {
		sbuf_addf(why, "cannot write the gdb scripts: %s", strerror(-r));
		goto out;
	}
	proc_init(&g->proc);
	strvec_pushl(&g->proc.args, "gdb", "-q", "-nx", "-batch", "-x", cmdfile, "-x", script, NULL);
	g->proc.in = PROC_NULL;
	g->proc.out = PROC_PIPE;
	g->proc.err_to_out = true;
	g->proc.new_pgrp = true;
	r = proc_start(&g->proc);
	if (r) {
		sbuf_addf(why, r == -ENOENT ? "gdb not found in PATH; install the Debian package gdb"
					    : "cannot start gdb: %s", strerror(-r));
		proc_clear(&g->proc);
		goto out;
	}
	g->running = true;
out:
	sbuf_release(&cmds);
	sbuf_release(&py);
	free(cmdfile);
	free(script);
	return r;
}

/* After the VM is gone: let gdb finish its report (it sees the connection close). */
static void gdb_driver_finish(struct gdb_driver *g)
{
	long long deadline = now_ms() + 10000;

	while (g->proc.out_fd >= 0 && now_ms() < deadline && !proc_interrupted()) {
		struct pollfd pfd = { .fd = g->proc.out_fd, .events = POLLIN };
		if (poll(&pfd, 1, 200) > 0 && !gdb_read(g))
			break;
	}
	proc_terminate(&g->proc, 2000);
	if (g->partial.len) {
		char *l = xstrdup(g->partial.buf);
		g->partial.len = 0;
		gdb_line(g, l);
		free(l);
	}
	proc_clear(&g->proc);
	g->running = false;
}

/*
 * A reaper's wait: tell the parent we are in place ("ready" on stdout),
 * then wait for the word to clean up (SIGTERM from kdebug, or the death
 * signal when kdebug dies) and take it as handled, so that the cleanup may
 * run programs again.
 */
static void reaper_wait(void)
{
	(void)!write(STDOUT_FILENO, "ready\n", 6);
	while (!proc_interrupted()) {
		struct pollfd pfd = { .fd = proc_signal_fd(), .events = POLLIN };
		poll(&pfd, 1, -1);
	}
	proc_clear_interrupt();
}

/*
 * The bridge-mode reaper: a child of `kdebug run` (started from
 * /proc/self/exe) that holds what the bridge session made and undoes it
 * when told to (SIGTERM) or when kdebug dies, even by kill -9 (its
 * PR_SET_PDEATHSIG is SIGTERM): it waits for the tap to vanish with QEMU,
 * then removes the bridge and address if this session made them and no
 * other port is left.
 *   kdebug __net-reaper BRIDGE HOST_CIDR TAP FLAGS [UPLINK]
 * FLAGS: letters b (bridge created), a (address added), u (uplink enslaved).
 */
int cmd_net_reaper(int argc, char **argv)
{
	struct net_bridge_state st;

	if (argc < 5)
		return EXIT_USAGE;
	net_bridge_state_init(&st);
	snprintf(st.bridge, sizeof(st.bridge), "%s", argv[1]);
	snprintf(st.host_cidr, sizeof(st.host_cidr), "%s", argv[2]);
	snprintf(st.tap, sizeof(st.tap), "%s", argv[3]);
	st.created_bridge = strchr(argv[4], 'b') != NULL;
	st.added_addr = strchr(argv[4], 'a') != NULL;
	st.enslaved_uplink = strchr(argv[4], 'u') != NULL;
	if (argc > 5)
		snprintf(st.uplink, sizeof(st.uplink), "%s", argv[5]);
	st.active = true;
	reaper_wait();
	long long deadline = now_ms() + 5000;
	while (net_link_exists(st.tap) && now_ms() < deadline)
		poll(NULL, 0, 50);
	net_bridge_teardown(&st);
	return EXIT_OK;
}

/*
 * --nfs-server kernel: the export's reaper, like the bridge's: it removes
 * the export when told to or when kdebug dies.
 *   kdebug __nfs-reaper CLIENT DIR
 */
int cmd_nfs_reaper(int argc, char **argv)
{
	struct sbuf why = SBUF_INIT;

	if (argc != 3)
		return EXIT_USAGE;
	reaper_wait();
	if (nfs_kernel_export(false, argv[1], argv[2], &why)) {
		error("%s", why.buf);
		sbuf_release(&why);
		return EXIT_FAIL;
	}
	return EXIT_OK;
}

/*
 * Start a reaper (rp->args set: /proc/self/exe __X-reaper ...) and wait
 * for its "ready": from then on it undoes its part even after kill -9 of
 * kdebug (its PR_SET_PDEATHSIG is SIGTERM).
 */
static int reaper_run(struct proc *rp, const char *what, struct sbuf *why)
{
	char buf[16];
	int r;

	rp->in = PROC_NULL;
	rp->out = PROC_PIPE;
	rp->new_pgrp = true;		/* the terminal's ^C is for kdebug run */
	rp->death_signal = SIGTERM;	/* kill -9 of kdebug: the reaper still cleans up */
	r = proc_start(rp);
	if (r) {
		sbuf_addf(why, "cannot start the %s reaper: %s", what, strerror(-r));
		proc_clear(rp);
		return r;
	}
	struct pollfd pfd = { .fd = rp->out_fd, .events = POLLIN };
	if (poll(&pfd, 1, 5000) <= 0 || read(rp->out_fd, buf, sizeof(buf)) <= 0) {
		sbuf_addf(why, "the %s reaper did not start", what);
		proc_terminate(rp, 1000);
		proc_clear(rp);
		return -EIO;
	}
	return 0;
}

static int reaper_start(struct proc *rp, const struct net_bridge_state *st, struct sbuf *why)
{
	char flags[4] = { 0 };
	size_t k = 0;

	if (st->created_bridge)
		flags[k++] = 'b';
	if (st->added_addr)
		flags[k++] = 'a';
	if (st->enslaved_uplink)
		flags[k++] = 'u';
	if (!k)
		flags[k++] = '-';
	proc_init(rp);
	strvec_pushl(&rp->args, "/proc/self/exe", "__net-reaper", st->bridge, st->host_cidr,
		     st->tap, flags, NULL);
	if (st->enslaved_uplink)
		strvec_push(&rp->args, st->uplink);
	return reaper_run(rp, "network", why);
}

/* --nfs-server kernel: export DIR to CLIENT only, with a reaper to unexport it. */
static int kernel_export_start(struct proc *rp, const char *client, const char *dir, struct sbuf *why)
{
	int r = nfs_kernel_export(true, client, dir, why);

	if (r)
		return r;
	proc_init(rp);
	strvec_pushl(&rp->args, "/proc/self/exe", "__nfs-reaper", client, dir, NULL);
	r = reaper_run(rp, "NFS export", why);
	if (r)
		nfs_kernel_export(false, client, dir, NULL);
	return r;
}

/* A directory the kernel can boot from? */
static int check_root_dir(const char *dir, struct sbuf *why)
{
	if (!is_dir(dir)) {
		sbuf_addf(why, "cannot use '%s' as a root file system: %s", dir,
			  path_exists(dir) ? "not a directory" : "No such file or directory");
		return -EINVAL;
	}
	char *a = path_join(dir, "sbin/init"), *b = path_join(dir, "init");
	bool ok = path_exists(a) || path_exists(b);
	free(a);
	free(b);
	if (!ok) {
		sbuf_addf(why, "'%s' is not a root file system (no /sbin/init or /init); make one with 'kdebug rootfs --format dir -o %s'",
			  dir, dir);
		return -EINVAL;
	}
	return 0;
}

static void cleanup_nfs(void *arg)
{
	nfs_server_stop(arg);
}

/*
 * --module DIR: every .ko in DIR must match the kernel (vermagic); the
 * directory is shared with the guest under /lib/modules/RELEASE/kdebug/.
 */
static int check_modules(const struct run_opts *o, const struct kbuild_artifacts *art, struct sbuf *why)
{
	for (size_t i = 0; i < o->modules.n; i++) {
		const char *dir = o->modules.v[i];
		DIR *d = opendir(dir);
		struct dirent *de;
		size_t n = 0;
		int r = 0;

		if (!d) {
			sbuf_addf(why, "cannot open module directory '%s': %s", dir, strerror(errno));
			return -EINVAL;
		}
		while (!r && (de = readdir(d))) {
			if (!str_ends_with(de->d_name, ".ko"))
				continue;
			n++;
			char *ko = path_join(dir, de->d_name);
			if (art->build_dir)
				r = module_check(ko, art->build_dir, why);
			free(ko);
		}
		closedir(d);
		if (r)
			return -EINVAL;
		if (!n) {
			sbuf_addf(why, "no .ko in '%s'; build it with 'kdebug module build %s'", dir, dir);
			return -EINVAL;
		}
	}
	return 0;
}

static void cleanup_instance(void *arg)
{
	instance_remove(arg);
}

/* Does the console log show a kernel panic? */
static bool log_has_panic(const char *log)
{
	struct sbuf sb = SBUF_INIT;
	bool r = read_file(log, &sb) == 0 && strstr(sbuf_str(&sb), "Kernel panic - not syncing");
	sbuf_release(&sb);
	return r;
}

/*
 * The guest's address on the bridge, recorded in the instance (guest_ip,
 * net) so that the other kdebug VMs on the same bridge see it.  With pick
 * (kdebug serves DHCP) it is the lowest address of the host's subnet that
 * is neither one of the host's on the bridge nor any running kdebug VM's on
 * this bridge; the registry lock makes VMs started together get different
 * ones.  Otherwise it is guest_ip (NULL: the default; "dhcp" from the LAN:
 * not known yet) and another VM on the bridge with the same address is
 * warned about.  *cidr (malloc'd, NULL when unknown) is set on success.
 */
static int bridge_claim_address(struct instance *in, const struct net_bridge_state *nst,
				const char *guest_ip, bool pick, char **cidr, struct sbuf *why)
{
	int lock = instance_registry_lock();	/* best effort */
	char *prefix = xasprintf("bridge:%s,", nst->bridge);
	struct instance *list = NULL;
	struct net_addr *addrs = NULL;
	struct net_link br;
	size_t n = 0, na = 0, nt = 0;
	struct in_addr host, want = { 0 }, *taken;
	unsigned hp, wp;
	int r = 0;

	net_parse_cidr(nst->host_cidr, &host, &hp);
	if (!guest_ip)
		guest_ip = NET_DEFAULT_GUEST_IP;
	if (strcmp(guest_ip, "dhcp"))
		net_parse_cidr(guest_ip, &want, &wp);
	if (instance_list(&list, &n))
		n = 0;
	if (net_link_get(nst->bridge, &br, NULL) || net_addr_list(&addrs, &na, NULL))
		na = 0;
	taken = xcalloc(n + na + 1, sizeof(*taken));
	for (size_t i = 0; i < na; i++)
		if (addrs[i].index == br.index)
			taken[nt++] = addrs[i].addr;
	for (size_t i = 0; i < n; i++) {
		struct in_addr a;
		unsigned p;
		if (!strcmp(list[i].name, in->name) || !list[i].net || !list[i].guest_ip ||
		    !str_starts_with(list[i].net, prefix) || net_parse_cidr(list[i].guest_ip, &a, &p))
			continue;
		taken[nt++] = a;
		if (!pick && a.s_addr == want.s_addr)
			warning("%.*s is also the address of VM %s on %s", (int)strcspn(guest_ip, "/"),
				guest_ip, list[i].name, nst->bridge);
	}
	free(in->guest_ip);
	in->guest_ip = NULL;
	if (pick) {
		struct in_addr a;
		char s[INET_ADDRSTRLEN];
		r = dhcp_pick_address(host, hp, taken, nt, &a);
		if (r) {
			sbuf_addf(why, "no address left to offer by DHCP in %s's subnet on %s; "
				  "stop a VM or use a larger --host-ip prefix", nst->host_cidr, nst->bridge);
			goto out;
		}
		inet_ntop(AF_INET, &a, s, sizeof(s));
		in->guest_ip = xasprintf("%s/%u", s, hp);
	} else if (strcmp(guest_ip, "dhcp")) {
		in->guest_ip = xstrdup(guest_ip);
	}
	free(in->net);
	in->net = xasprintf("%s%s", prefix, nst->tap);
	if ((r = instance_save(in)))
		warning("cannot write the instance metadata: %s", strerror(-r));
	r = 0;
	*cidr = in->guest_ip ? xstrdup(in->guest_ip) : NULL;
out:
	free(taken);
	free(addrs);
	instance_list_free(list, n);
	free(prefix);
	if (lock >= 0)
		close(lock);
	return r;
}

/* Serve the guest's DHCP requests (kdebug's server on the bridge). */
static void dhcp_service(struct dhcp_server *d, const char *vm)
{
	static bool warned;
	int t = dhcp_server_serve(d);
	char s[INET_ADDRSTRLEN];

	if (t < 0 && !warned) {
		warned = true;
		warning("VM %s: cannot send a DHCP reply on %s: %s", vm, d->ifname, strerror(-t));
	} else if (t > 0 && verbosity > 0) {
		inet_ntop(AF_INET, &d->lease.addr, s, sizeof(s));
		note("VM %s: %s %s on %s", vm, dhcp_type_name((enum dhcp_type)t), s, d->ifname);
	}
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o;
	struct instance in = { .lock_fd = -1 };
	struct proc qemu;
	struct strvec qargv = STRVEC_INIT, net_args = STRVEC_INIT;
	struct sbuf probe_buf = SBUF_INIT, why = SBUF_INIT;
	struct accel_probe probe;
	enum accel accel;
	enum rootfs_kind kind = RK_NONE;
	char *rootfs = NULL, *initrd = NULL, *append = NULL, *nonce = NULL, *payload = NULL;
	char *qmp_path = NULL, *log_path = NULL, *qlog_path = NULL, *kernel = NULL;
	struct console_state cs = { .qemu_in = -1 };
	struct kbuild_artifacts art = { 0 };
	struct gdb_driver gd = { .breaks = NULL };
	struct net_bridge_state nst;
	struct proc reaper = { .pid = -1 }, nfs_reaper = { .pid = -1 };
	bool bridge = false;
	struct net_bridge_opts bo = { 0 };
	bool dhcp = false;	/* --guest-ip dhcp */
	struct nfs_server nfs = { .started = false };
	struct share *shares = NULL;
	char *root_dir = NULL, *root_append = NULL;
	char *guest_cidr = NULL;	/* the guest's address when known */
	struct dhcp_server dhcpd;

	net_bridge_state_init(&nst);
	dhcp_server_init(&dhcpd);
	int r, ret = EXIT_FAIL, qlog = -1, gdb_fd = -1, qmp_fd = -1;
	bool interactive;

	r = parse_run_opts(argc, argv, &o);
	if (r) {
		ret = r < 0 ? EXIT_OK : r;
		goto out;
	}
	bridge = str_starts_with(o.net, "bridge");
	dhcp = o.guest_ip && !strcmp(o.guest_ip, "dhcp");
	if (bridge) {
		bo.bridge = o.net[6] == '=' ? o.net + 7 : NULL;
		bo.host_cidr = o.host_ip;
		bo.guest_cidr = o.guest_ip;
		bo.uplink = o.uplink;
		r = net_bridge_check(&bo, &why);
		if (r) {
			error("%s", why.buf);
			ret = EXIT_USAGE;
			goto out;
		}
		if (o.uplink)
			warning("--uplink %s: %s joins the bridge; remote sessions over %s may drop",
				o.uplink, o.uplink, o.uplink);
	} else if (str_starts_with(o.net, "tap=")) {
		struct net_link l;
		if (net_link_get(o.net + 4, &l, NULL) || strcmp(l.kind, "tun")) {
			error("no tap device '%s'; create one (ip tuntap add %s mode tap) or use --net bridge",
			      o.net + 4, o.net + 4);
			ret = EXIT_USAGE;
			goto out;
		}
	}

	/* Validate everything before anything is created. */
	if (o.root) {
		const char *colon = strchr(o.root, ':');
		if (colon) {
			r = check_root_dir(colon + 1, &why);
			if (r) {
				error("%s", why.buf);
				ret = EXIT_USAGE;
				goto out;
			}
			root_dir = abspath(colon + 1);
		}
		if (o.kernel_nfs && (r = nfs_kernel_server_check(getenv("KDEBUG_PROC_NFSD"), &why))) {
			error("%s", why.buf);
			ret = EXIT_USAGE;
			goto out;
		}
		if (o.kernel_nfs && !in_path("exportfs")) {
			error("--nfs-server kernel needs exportfs; install the Debian package nfs-kernel-server");
			ret = EXIT_USAGE;
			goto out;
		}
		if (str_starts_with(o.root, "nfs") && !o.kernel_nfs && !in_path("ganesha.nfsd")) {
			error("--root nfs needs nfs-ganesha; install the Debian packages nfs-ganesha and nfs-ganesha-vfs");
			ret = EXIT_USAGE;
			goto out;
		}
	}
	if (o.shares.n)
		shares = xcalloc(o.shares.n, sizeof(*shares));
	for (size_t i = 0; i < o.shares.n; i++) {
		r = share_parse(o.shares.v[i], (unsigned)i, &shares[i], &why);
		if (r) {
			error("%s", why.buf);
			ret = EXIT_USAGE;
			goto out;
		}
	}
	r = resolve_kernel(&o, &art, &why);
	if (r) {
		error("%s", why.buf);
		ret = r == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
		goto out;
	}
	kernel = xstrdup(art.bzimage);
	r = check_modules(&o, &art, &why);
	if (r) {
		error("%s", why.buf);
		ret = EXIT_USAGE;
		goto out;
	}
	for (size_t i = 0; i < o.modules.n; i++) {
		/* The module directory, live in the guest where modprobe looks. */
		char *spec = xasprintf("%s:/lib/modules/%s/kdebug/%s", o.modules.v[i],
				       art.release ? art.release : "unknown", path_basename(o.modules.v[i]));
		strvec_push(&o.shares, spec);
		free(spec);
		shares = xrealloc(shares, o.shares.n * sizeof(*shares));
		memset(&shares[o.shares.n - 1], 0, sizeof(*shares));
		r = share_parse(o.shares.v[o.shares.n - 1], (unsigned)(o.shares.n - 1), &shares[o.shares.n - 1], &why);
		if (r) {
			error("%s", why.buf);
			ret = EXIT_USAGE;
			goto out;
		}
	}
	r = gdb_check_breaks_modules(&o.breaks, art.vmlinux, &o.modules, &why);
	if (r) {
		error("%s", why.buf);
		ret = EXIT_USAGE;
		goto out;
	}
	sbuf_reset(&why);
	if (o.initrd && !is_regular(o.initrd)) {
		error("cannot open initrd '%s': %s", o.initrd, strerror(path_exists(o.initrd) ? EISDIR : ENOENT));
		ret = EXIT_USAGE;
		goto out;
	}
	if (o.rootfs) {
		if (is_dir(o.rootfs)) {
			error("'%s' is a directory; boot directories with --root nfs:DIR or --root 9p:DIR", o.rootfs);
			ret = EXIT_USAGE;
			goto out;
		}
		r = classify_rootfs(o.rootfs, &kind);
		if (r == -EMEDIUMTYPE) {
			error("'%s' is neither an initramfs (cpio) nor an ext2/3/4 image; make one with 'kdebug rootfs'", o.rootfs);
			ret = EXIT_USAGE;
			goto out;
		} else if (r) {
			error("cannot open rootfs '%s': %s", o.rootfs, strerror(-r));
			ret = EXIT_USAGE;
			goto out;
		}
		rootfs = abspath(o.rootfs);
	}
	if (!in_path("qemu-system-x86_64")) {
		error("qemu-system-x86_64 not found in PATH; install the Debian package qemu-system-x86");
		ret = EXIT_USAGE;
		goto out;
	}
	/* The gdb port is ours from here on: QEMU inherits the listening socket. */
	r = 0;
	if (o.gdb_port > 0) {
		r = sock_listen_loopback(o.gdb_port, &gdb_fd);
		if (r == -EADDRINUSE) {
			error("port %d on 127.0.0.1 is in use; pick another with --gdb=PORT or omit the port", o.gdb_port);
			ret = EXIT_USAGE;
			goto out;
		}
	} else if (o.gdb_port < 0) {
		r = sock_listen_loopback_from(1234, 1000, &o.gdb_port, &gdb_fd);
	}
	if (r) {
		error("cannot listen on 127.0.0.1 for the gdbstub: %s", strerror(-r));
		goto out;
	}
	for (size_t i = 0; i < o.forwards.n; i++) {
		int h, g, fd;
		forward_parse(o.forwards.v[i], &h, &g);
		if (sock_listen_loopback(h, &fd) == -EADDRINUSE) {
			error("port %d on 127.0.0.1 is in use; pick another for --forward %s", h, o.forwards.v[i]);
			ret = EXIT_USAGE;
			goto out;
		}
		close(fd);
	}
	accel_probe_host(&probe, &probe_buf);
	r = accel_choose(o.accel, &probe, &accel, &why);
	if (r) {
		error("%s", why.buf);
		ret = EXIT_USAGE;
		goto out;
	}
	if (why.len)
		note("%s", why.buf);
	sbuf_reset(&why);

	if (!rootfs && !o.root) {
		r = rootfs_default_initramfs(&rootfs, &why);
		if (r) {
			error("cannot build the default initramfs: %s", why.len ? why.buf : strerror(-r));
			goto out;
		}
		kind = RK_INITRAMFS;
	}

	r = instance_create(o.name, &in);
	if (r == -EEXIST) {
		error("a VM named '%s' is already running; stop it with 'kdebug stop %s' or pick another --name", o.name, o.name);
		ret = EXIT_USAGE;
		goto out;
	} else if (r) {
		error("cannot create the instance directory: %s", strerror(-r));
		goto out;
	}
	cleanup_push(cleanup_instance, &in);

	qmp_path = instance_path(&in, "qmp.sock");
	log_path = instance_path(&in, "console.log");
	qlog_path = instance_path(&in, "qemu.log");
	if (o.root && !root_dir) {
		/* A fresh BusyBox tree for this VM, edited live from the host. */
		root_dir = instance_path(&in, "root");
		struct rootfs_opts ro = { .format = ROOTFS_DIR, .output = root_dir };
		r = rootfs_build(&ro, &why);
		if (r) {
			error("cannot build the root directory: %s", why.len ? why.buf : strerror(-r));
			goto out;
		}
		sbuf_reset(&why);
		note("VM %s: root file system in %s", in.name, root_dir);
	}
	r = sock_listen_unix(qmp_path, &qmp_fd);
	if (r == -ENAMETOOLONG) {
		error("instance path '%s' is too long for a unix socket; set XDG_RUNTIME_DIR to a shorter directory", qmp_path);
		goto out;
	} else if (r) {
		error("cannot create '%s': %s", qmp_path, strerror(-r));
		goto out;
	}

	if (kind == RK_INITRAMFS && o.initrd) {
		initrd = instance_path(&in, "initrd.img");
		r = concat_files(rootfs, o.initrd, initrd);
		if (r) {
			error("cannot write '%s': %s", initrd, strerror(-r));
			goto out;
		}
	} else if (kind == RK_INITRAMFS) {
		initrd = xstrdup(rootfs);
	} else if (o.initrd) {
		initrd = abspath(o.initrd);
	}

	interactive = !o.exec && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
	if (o.exec) {
		nonce = guest_exec_nonce();
		payload = guest_exec_payload(o.exec);
	}
	struct cmdline_opts co = {
		.user = o.append,
		.root = kind == RK_DISK ? "/dev/sda" : NULL,
		.exec_nonce = nonce,
		.quiet = o.exec && verbosity <= 0,
		.panic_reboot = !o.gdb_port || o.breaks.n,
		.kaslr = o.kaslr,
	};
	struct sbuf ra = SBUF_INIT;
	for (size_t i = 0; i < o.shares.n; i++) {
		char id[32];
		snprintf(id, sizeof(id), "fs%zu", i);
		share_add_qemu_args(&net_args, id, shares[i].host, shares[i].tag, "none", shares[i].readonly);
		sbuf_addf(&ra, "%skdebug.share=%s:%s", ra.len ? " " : "", shares[i].tag, shares[i].guest);
	}
	if (o.root && str_starts_with(o.root, "9p")) {
		char *c = share_root_cmdline();
		share_add_qemu_args(&net_args, "fsroot", root_dir, SHARE_ROOT_TAG,
				    share_root_security_model(geteuid() == 0), false);
		sbuf_addf(&ra, "%s%s", ra.len ? " " : "", c);
		free(c);
	}
	root_append = sbuf_detach(&ra);
	char *guest_net = NULL, mac[18], *seed = xasprintf("%s/%d/%lld", in.dir, (int)getpid(), now_ms());
	qemu_mac_from(seed, mac);
	free(seed);
	if (bridge) {
		r = net_bridge_setup(&bo, &nst, &why);
		if (r) {
			error("%s", why.len ? why.buf : strerror(-r));
			ret = r == -EINVAL || r == -EEXIST || r == -EADDRINUSE || r == -EPERM ? EXIT_USAGE : EXIT_FAIL;
			free(append);
			append = NULL;
			goto out;
		}
		sbuf_reset(&why);
		r = reaper_start(&reaper, &nst, &why);
		if (r) {
			error("%s", why.buf);
			goto out;
		}
		/*
		 * --guest-ip dhcp: kdebug answers this guest's MAC (only) on the
		 * bridge; with --uplink the LAN's DHCP server is the one asked.
		 */
		bool serve = dhcp && !o.uplink;
		r = bridge_claim_address(&in, &nst, o.guest_ip, serve, &guest_cidr, &why);
		if (r) {
			error("%s", why.buf);
			goto out;
		}
		if (serve) {
			struct dhcp_lease lease = { .seconds = DHCP_LEASE_SECONDS };
			unsigned pfx;
			dhcp_parse_mac(mac, lease.mac);
			net_parse_cidr(guest_cidr, &lease.addr, &pfx);
			net_parse_cidr(nst.host_cidr, &lease.server, &lease.prefix);
			r = dhcp_server_open(&dhcpd, nst.bridge, &lease, &why);
			if (r) {
				error("cannot serve DHCP on %s: %s; give --guest-ip ADDRESS/PREFIX",
				      nst.bridge, why.buf);
				ret = r == -EADDRINUSE || r == -EACCES ? EXIT_USAGE : EXIT_FAIL;
				goto out;
			}
			note("VM %s: the guest's eth0 gets %s by DHCP (kdebug serves it on %s)", in.name,
			     guest_cidr, nst.bridge);
		}
		/* The guest's address, the host's as its gateway; or dhcp. */
		if (dhcp)
			guest_net = xstrdup("dhcp");
		else
			guest_net = xasprintf("%s,%.*s", guest_cidr, (int)strcspn(nst.host_cidr, "/"),
					      nst.host_cidr);
		qemu_add_tap_net(&net_args, o.nic, nst.tap_fd, mac);
	} else if (str_starts_with(o.net, "tap=")) {
		guest_net = xstrdup(o.guest_ip ? o.guest_ip : NET_DEFAULT_GUEST_IP);
		if (!dhcp)
			guest_cidr = xstrdup(guest_net);
		strvec_push(&net_args, "-netdev");
		strvec_pushf(&net_args, "tap,id=n0,ifname=%s,script=no,downscript=no", o.net + 4);
		qemu_add_nic(&net_args, o.nic, "n0", mac);
	} else if (!strcmp(o.net, "user")) {
		/* slirp: the host is 10.0.2.2, its DNS proxy 10.0.2.3, its DHCP's first lease 10.0.2.15. */
		if (dhcp)
			guest_net = xstrdup("dhcp");
		else
			guest_net = xasprintf("%s,10.0.2.2,10.0.2.3", o.guest_ip ? o.guest_ip : "10.0.2.15/24");
		guest_cidr = xstrdup(o.guest_ip && !dhcp ? o.guest_ip : "10.0.2.15/24");
		qemu_add_user_net(&net_args, o.nic, &o.forwards, mac);
	}
	if (o.root && str_starts_with(o.root, "nfs")) {
		/* The server, for this VM only: its address is the only client. */
		const char *g = o.guest_ip ? o.guest_ip : bridge ? NET_DEFAULT_GUEST_IP : "10.0.2.15/24";
		char *client = bridge ? xstrndup(guest_cidr, strcspn(guest_cidr, "/")) : NULL;
		if (o.kernel_nfs) {
			/* Under user-mode networking the guest's NFS traffic comes from 127.0.0.1. */
			r = kernel_export_start(&nfs_reaper, client ? client : "127.0.0.1", root_dir, &why);
		} else {
			char *state = instance_path(&in, "nfs");
			struct nfs_server_opts no = { .dir = root_dir, .state_dir = state, .client = client,
						      .nfs_port = o.nfs_port, .mount_port = o.mount_port };
			r = nfs_server_start(&no, &nfs, &why);
			free(state);
			if (!r)
				cleanup_push(cleanup_nfs, &nfs);
		}
		free(client);
		if (r) {
			error("%s", why.len ? why.buf : strerror(-r));
			ret = r == -EADDRINUSE || r == -ENOENT ? EXIT_USAGE : EXIT_FAIL;
			free(guest_net);
			goto out;
		}
		char *server = bridge ? xstrndup(nst.host_cidr, strcspn(nst.host_cidr, "/")) : xstrdup(NFS_SLIRP_SERVER);
		char *nfsroot = nfs_kernel_cmdline(server, root_dir, nfs.nfs_port, nfs.mount_port);
		char *ip = NULL;
		if (bridge) {
			net_guest_ip_param(g, nst.host_cidr, NULL, &ip, NULL);
		} else {
			ip = xstrdup("ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:off");
			if (o.guest_ip) {
				free(ip);
				net_guest_ip_param(o.guest_ip, "10.0.2.2/24", NULL, &ip, NULL);
			}
		}
		char *joined = xasprintf("%s%s%s %s", root_append, *root_append ? " " : "", nfsroot, ip ? ip : "");
		free(root_append);
		root_append = joined;
		free(server);
		free(nfsroot);
		free(ip);
		/* The kernel configures eth0 itself (ip=) before mounting the root. */
		free(guest_net);
		guest_net = NULL;
	}
	char *user_append = o.append ? xasprintf("%s%s%s", root_append, *root_append ? " " : "", o.append)
				     : xstrdup(root_append);
	co.user = *user_append ? user_append : NULL;
	co.guest_net = guest_net;
	append = kernel_cmdline(&co);
	free(guest_net);
	free(user_append);

	struct qemu_opts qo = {
		.machine = o.machine,
		.accel = accel,
		.kernel = kernel,
		.initrd = initrd,
		.append = append,
		.disk = kind == RK_DISK ? rootfs : NULL,
		.memory_mb = o.memory_mb,
		.smp = o.smp,
		.gdb_fd = gdb_fd,
		.wait_gdb = o.wait_gdb,
		.qmp_fd = qmp_fd,
		.console_log = log_path,
		.console = interactive ? CONSOLE_TERMINAL : CONSOLE_PIPE,
		.extra = &o.qemu_args,
		.net_args = &net_args,
	};
	qemu_build_argv(&qo, &qargv);

	qlog = open(qlog_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (qlog < 0) {
		error("cannot create '%s': %s", qlog_path, strerror(errno));
		goto out;
	}
	/* The command line, for the curious and for bug reports. */
	char *cmdline = strvec_join_shell(&qargv);
	dprintf(qlog, "# %s\n", cmdline);
	if (verbosity > 0)
		fprintf(stderr, "+ %s\n", cmdline);
	free(cmdline);

	proc_init(&qemu);
	strvec_pushv(&qemu.args, (const char *const *)qargv.v);
	qemu.err = qlog;
	qemu.umask = 077;
	if (qmp_fd >= 0)
		qemu.keep_fds[qemu.n_keep_fds++] = qmp_fd;
	if (gdb_fd >= 0)
		qemu.keep_fds[qemu.n_keep_fds++] = gdb_fd;
	if (nst.tap_fd >= 0)
		qemu.keep_fds[qemu.n_keep_fds++] = nst.tap_fd;
	if (!interactive) {
		qemu.in = PROC_PIPE;
		qemu.out = PROC_PIPE;
		qemu.new_pgrp = true;	/* ^C reaches kdebug, which stops QEMU */
	}
	r = proc_start(&qemu);
	if (r) {
		error("cannot start qemu-system-x86_64: %s", strerror(-r));
		proc_clear(&qemu);
		goto out;
	}

	/* QEMU has its copies of the listening sockets (and the tap) now. */
	close(gdb_fd);
	close(qmp_fd);
	gdb_fd = qmp_fd = -1;
	if (nst.tap_fd >= 0) {
		close(nst.tap_fd);	/* the tap now lives exactly as long as QEMU */
		nst.tap_fd = -1;
	}
	in.qemu_pid = qemu.pid;
	in.gdb_port = o.gdb_port;
	in.started = (long long)time(NULL);
	in.kernel = xstrdup(kernel);
	in.rootfs = rootfs ? xstrdup(rootfs) : root_dir ? xasprintf("%.*s:%s", (int)strcspn(o.root, ":"), o.root, root_dir) : NULL;
	if (art.vmlinux)
		in.vmlinux = xstrdup(art.vmlinux);
	if (art.build_dir)
		in.build_dir = xstrdup(art.build_dir);
	in.accel = xstrdup(accel_name(accel));
	if (!in.net)	/* bridge mode recorded it already (bridge_claim_address) */
		in.net = xstrdup(o.net);
	if (!in.guest_ip && guest_cidr)
		in.guest_ip = xstrdup(guest_cidr);
	if (o.modules.n) {
		struct sbuf m = SBUF_INIT;
		for (size_t i = 0; i < o.modules.n; i++)
			sbuf_addf(&m, "%s%s", i ? "\n" : "", o.modules.v[i]);
		in.modules = sbuf_detach(&m);
	}
	r = instance_save(&in);
	if (r)
		warning("cannot write the instance metadata: %s", strerror(-r));

	/* gdb attaches right away, while the guest boots. */
	if (o.breaks.n) {
		gd.breaks = &o.breaks;
		gd.hits = xcalloc(o.breaks.n, sizeof(*gd.hits));
		gd.max_hits = o.max_hits;
	}
	if (o.breaks.n) {
		r = gdb_driver_start(&gd, &in, &art, o.gdb_port, &o, &why);
		if (r) {
			error("%s", why.buf);
			proc_terminate(&qemu, 2000);
			proc_clear(&qemu);
			goto out;
		}
	} else if (o.gdb_port && !o.breaks.n)
		note("VM %s: gdbstub on 127.0.0.1:%d%s; attach with 'kdebug gdb %s'", in.name,
		     o.gdb_port, o.wait_gdb ? " (halted until gdb continues)" : "", in.name);
	else if (!interactive && !o.exec)
		note("VM %s running; console in %s", in.name, log_path);
	if (interactive)
		note("VM %s: Ctrl-A x quits, Ctrl-A c toggles the QEMU monitor", in.name);

	long long deadline = o.timeout ? now_ms() + (long long)o.timeout * 1000 : -1;
	bool timed_out = false;
	cs.nonce = nonce;
	cs.payload = payload;
	cs.qemu_in = qemu.in_fd;
	sbuf_init(&cs.partial);

	/* Main loop: console output, QEMU's exit, signals, the deadline. */
	long long done_at = -1;
	while (proc_running(&qemu)) {
		struct pollfd pfd[5] = {
			{ .fd = qemu.out_fd, .events = POLLIN },
			{ .fd = proc_poll_fd(&qemu), .events = POLLIN },
			{ .fd = proc_signal_fd(), .events = POLLIN },
			{ .fd = gd.running ? gd.proc.out_fd : -1, .events = POLLIN },
			{ .fd = dhcpd.fd, .events = POLLIN },
		};
		int wait = 200;
		if (deadline >= 0 && deadline - now_ms() < wait)
			wait = deadline - now_ms() > 0 ? (int)(deadline - now_ms()) : 0;
		poll(pfd, 5, wait);
		if (proc_interrupted())
			break;
		if (pfd[4].revents & (POLLIN | POLLERR))
			dhcp_service(&dhcpd, in.name);
		if (pfd[3].revents & (POLLIN | POLLHUP))
			gdb_read(&gd);
		/* With --break, the command waits until gdb has its breakpoints in. */
		console_send(&cs, !o.breaks.n || gd.armed);
		if (pfd[0].revents & (POLLIN | POLLHUP)) {
			char buf[4096];
			ssize_t n = read(qemu.out_fd, buf, sizeof(buf));
			if (n > 0)
				console_feed(&cs, buf, (size_t)n);
			else if (n == 0 || errno != EINTR) {
				close(qemu.out_fd);
				qemu.out_fd = -1;
			}
		}
		/* A lease from a DHCP server that is not kdebug's: record and say it. */
		if (cs.lease && (!in.guest_ip || strcmp(cs.lease, in.guest_ip))) {
			free(in.guest_ip);
			in.guest_ip = xstrdup(cs.lease);
			instance_save(&in);
			note("VM %s: the guest's eth0 got %s by DHCP from %s", in.name, cs.lease,
			     cs.lease_from);
		}
		if (cs.done && done_at < 0)
			done_at = now_ms();
		/* The guest reboots after the command; don't wait forever for it. */
		if (done_at >= 0 && now_ms() - done_at > 5000)
			break;
		if (deadline >= 0 && now_ms() >= deadline) {
			timed_out = true;
			break;
		}
	}
	/* Drain what is left of the console. */
	if (qemu.out_fd >= 0) {
		char buf[4096];
		ssize_t n;
		int fl = fcntl(qemu.out_fd, F_GETFL);
		fcntl(qemu.out_fd, F_SETFL, fl | O_NONBLOCK);
		while ((n = read(qemu.out_fd, buf, sizeof(buf))) > 0)
			console_feed(&cs, buf, (size_t)n);
	}
	if (cs.partial.len) {
		char *l = xstrdup(cs.partial.buf);
		console_line(&cs, l);
		free(l);
	}
	bool exited = !proc_running(&qemu);
	proc_terminate(&qemu, 3000);
	int qcode = proc_exit_code(&qemu);
	proc_clear(&qemu);
	bool missed = false;
	if (gd.running) {
		gdb_driver_finish(&gd);
		for (size_t i = 0; i < o.breaks.n; i++) {
			printf("%s: %lu hit%s%s\n", o.breaks.v[i], gd.hits[i], gd.hits[i] == 1 ? "" : "s",
			       o.max_hits && gd.hits[i] >= o.max_hits ? " (--max-hits reached; later hits not reported)" : "");
			if (!gd.hits[i])
				missed = true;
		}
		fflush(stdout);
		if (!gd.done && verbosity <= 0 && !proc_interrupted())
			warning("gdb did not finish its report; its output was:\n%s", sbuf_str(&gd.log));
	}

	if (proc_interrupted()) {
		error("interrupted; VM %s stopped", in.name);
		ret = 128 + proc_interrupted();
	} else if (timed_out) {
		error("VM %s did not finish within %lu s; killed it. Last console lines:", in.name, o.timeout);
		tail_print(&cs.tail, stderr);
		ret = EXIT_FAIL;
	} else if (cs.panic || log_has_panic(log_path)) {
		error("the guest kernel panicked (full log in the instance's console.log):");
		tail_print(&cs.tail, stderr);
		ret = EXIT_FAIL;
	} else if (o.exec && cs.done) {
		ret = cs.status;
		if (!ret && o.expect_hit && missed) {
			for (size_t i = 0; i < o.breaks.n; i++)
				if (!gd.hits[i])
					error("breakpoint '%s' was never hit (--expect-hit)", o.breaks.v[i]);
			ret = EXIT_FAIL;
		}
	} else if (o.exec) {
		if (exited && qcode && !cs.nlines)
			report_qemu_log(qlog_path);
		else {
			error("the guest stopped before the command finished%s. Last console lines:",
			      cs.ready ? "" : " (it never reached kdebug's init: is the rootfs one made by 'kdebug rootfs'?)");
			tail_print(&cs.tail, stderr);
		}
		ret = EXIT_FAIL;
	} else if (qcode) {
		report_qemu_log(qlog_path);
		ret = EXIT_FAIL;
	} else {
		ret = EXIT_OK;
	}
	tail_free(&cs.tail);
	sbuf_release(&cs.partial);
	free(cs.lease);
	free(cs.lease_from);
out:
	dhcp_server_close(&dhcpd);
	if (nst.tap_fd >= 0) {
		close(nst.tap_fd);
		nst.tap_fd = -1;
	}
	if (reaper.pid > 0) {
		/* QEMU is gone (or never started): the reaper undoes the bridge session. */
		proc_terminate(&reaper, 10000);
		proc_clear(&reaper);
	} else if (nst.active) {
		net_bridge_teardown(&nst);
	}
	if (nfs_reaper.pid > 0) {
		proc_terminate(&nfs_reaper, 10000);	/* it removes the export */
		proc_clear(&nfs_reaper);
	}
	if (qlog >= 0)
		close(qlog);
	if (gdb_fd >= 0)
		close(gdb_fd);
	if (qmp_fd >= 0)
		close(qmp_fd);
	if (in.dir) {
		cleanup_pop(cleanup_instance, &in);
		instance_remove(&in);
	}
	instance_free(&in);
	strvec_clear(&qargv);
	strvec_clear(&net_args);
	strvec_clear(&o.forwards);
	strvec_clear(&o.qemu_args);
	sbuf_release(&probe_buf);
	sbuf_release(&why);
	free(rootfs);
	free(initrd);
	free(append);
	free(nonce);
	free(payload);
	free(qmp_path);
	free(log_path);
	free(qlog_path);
	free(kernel);
	kbuild_artifacts_clear(&art);
	strvec_clear(&o.breaks);
	if (nfs.started) {
		cleanup_pop(cleanup_nfs, &nfs);
		nfs_server_stop(&nfs);
	}
	for (size_t i = 0; shares && i < o.shares.n; i++)
		share_clear(&shares[i]);
	free(shares);
	strvec_clear(&o.shares);
	strvec_clear(&o.modules);
	strvec_clear(&o.hit_cmds);
	free(root_dir);
	free(root_append);
	free(guest_cidr);
	free(gd.hits);
	sbuf_release(&gd.partial);
	sbuf_release(&gd.log);
	return ret;
}
