// SPDX-License-Identifier: GPL-2.0
/*
 * NFS: client checks, the generated ganesha.conf, the nfsroot command line,
 * exportfs commands, the kernel-server check.
 *
 * With arguments it is the test driver of t/t0700-nfs.sh instead:
 *   test-nfs.t serve DIR STATE_DIR [CLIENT]
 * starts the server through the library, prints "ports NFS MOUNT" and
 * "cmdline ..." on stdout, and runs until stdin is closed or a signal
 * arrives, then stops the server and prints "stopped".
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nfs.h"
#include "proc.h"
#include "tap.h"

static int serve(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: test-nfs.t serve DIR STATE_DIR [CLIENT]\n");
		return 2;
	}
	proc_setup_signals();
	struct nfs_server_opts o = { .dir = argv[2], .state_dir = argv[3],
				     .client = argc > 4 ? argv[4] : NULL };
	struct nfs_server s;
	struct sbuf why = SBUF_INIT;
	int r = nfs_server_start(&o, &s, &why);
	if (r < 0) {
		fprintf(stderr, "error: cannot start the NFS server: %s\n",
			why.len ? why.buf : strerror(-r));
		return 1;
	}
	char *abs = abspath(argv[2]);
	char *cl = nfs_kernel_cmdline(NFS_SLIRP_SERVER, abs, s.nfs_port, s.mount_port);
	printf("ports %d %d\ncmdline %s\n", s.nfs_port, s.mount_port, cl ? cl : "");
	fflush(stdout);
	free(cl);
	free(abs);
	struct pollfd pfd[3] = {
		{ .fd = 0, .events = POLLIN },
		{ .fd = proc_signal_fd(), .events = POLLIN },
		{ .fd = proc_poll_fd(&s.proc), .events = POLLIN },
	};
	for (;;) {
		poll(pfd, 3, -1);
		if (proc_interrupted() || !nfs_server_running(&s))
			break;
		char buf[256];
		if ((pfd[0].revents & (POLLIN | POLLHUP)) && read(0, buf, sizeof(buf)) <= 0)
			break;
	}
	bool died = !nfs_server_running(&s);
	nfs_server_stop(&s);
	printf(died ? "server died\n" : "stopped\n");
	sbuf_release(&why);
	return died ? 1 : 0;
}

static void test_client_check(void)
{
	is_int(nfs_client_check("127.0.0.1"), 0, "slirp client accepted");
	is_int(nfs_client_check("192.168.100.0/24"), 0, "subnet accepted");
	is_int(nfs_client_check("fd00::2"), 0, "IPv6 accepted");
	is_int(nfs_client_check("*"), -EINVAL, "'*' refused");
	is_int(nfs_client_check("0.0.0.0/0"), -EINVAL, "0.0.0.0/0 refused");
	is_int(nfs_client_check("10.0.0.0/33"), -EINVAL, "bad prefix refused");
	is_int(nfs_client_check("host.example"), -EINVAL, "host names refused");
	is_int(nfs_client_check("1.2.3.4,5.6.7.8"), -EINVAL, "lists refused");
	is_int(nfs_client_check(""), -EINVAL, "empty refused");
	is_int(nfs_dir_check("/srv/root"), 0, "plain dir ok");
	is_int(nfs_dir_check("srv/root"), -EINVAL, "relative dir refused");
	is_int(nfs_dir_check("/srv/a,b"), -EINVAL, "comma refused");
	is_int(nfs_dir_check("/srv/a b"), -EINVAL, "space refused");
	is_int(nfs_dir_check("/srv/%s"), -EINVAL, "percent refused");
}

static void test_conf(void)
{
	struct nfs_server_opts o = { .dir = "/srv/root", .state_dir = "/run/kd/nfs" };
	struct sbuf c = SBUF_INIT;
	is_int(nfs_ganesha_conf(&o, 20490, 20491, &c), 0, "conf generated");
	const char *s = sbuf_str(&c);
	like(s, "NFS_Port = 20490;", "NFS port");
	like(s, "MNT_Port = 20491;", "MOUNT port");
	like(s, "Protocols = 3;", "NFSv3 only");
	like(s, "Enable_UDP = false;", "no UDP");
	like(s, "Enable_NLM = false;", "no NLM");
	like(s, "Enable_RQUOTA = false;", "no rquota");
	like(s, "Transports = TCP;", "export over TCP");
	like(s, "Path = \"/srv/root\";", "export path");
	like(s, "Clients = 127.0.0.1;", "default client is the slirp address");
	like(s, "Squash = No_Root_Squash;", "no root squash in the export");
	like(s, "EXPORT_DEFAULTS {\n\tAccess_Type = None;\n\tSquash = Root_Squash;", "defaults stay closed and squashed");
	like(s, "RecoveryRoot = \"/run/kd/nfs/recovery\";", "recovery in the state dir");
	like(s, "Name = VFS;", "VFS backend");
	like(s, "Attr_Expiration_Time = 0;", "no stale attributes after host edits");
	ok(!strstr(s, "*"), "no wildcard anywhere");
	like(s, "NFS_CORE_PARAM {\n\tProtocols = 3;", "core parameters first");
	like(s, "\tBind_Addr = 127.0.0.1;\n\tNFS_Port", "listens on 127.0.0.1 only by default (its own namespace in user mode)");
	sbuf_reset(&c);
	o.client = "192.168.100.17";
	o.bind_addr = "192.168.100.1";
	is_int(nfs_ganesha_conf(&o, 3000, 3001, &c), 0, "bridge client");
	like(sbuf_str(&c), "Clients = 192.168.100.17;", "bridge client in the export");
	like(sbuf_str(&c), "Bind_Addr = 192.168.100.1;", "bridge mode: listens on the bridge's host address only");
	ok(!strstr(sbuf_str(&c), "127.0.0.1"), "bridge mode: not on the loopback");
	sbuf_reset(&c);
	const char *bad_bind[] = { "0.0.0.0", "*", "localhost", "::1", "1.2.3.4/24", "1.2.3.4; Clients = *", "" };
	for (size_t i = 0; i < sizeof(bad_bind) / sizeof(bad_bind[0]); i++) {
		o.bind_addr = bad_bind[i];
		is_int(nfs_ganesha_conf(&o, 3000, 3001, &c), -EINVAL, "bind address '%s' refused", bad_bind[i]);
	}
	is_int((int)c.len, 0, "nothing written for a bad bind address");
	o.bind_addr = NULL;
	o.client = "*";
	is_int(nfs_ganesha_conf(&o, 3000, 3001, &c), -EINVAL, "'*' refused by conf");
	o.client = NULL;
	is_int(nfs_ganesha_conf(&o, 3000, 3000, &c), -EINVAL, "same ports refused");
	o.dir = "/a,b";
	is_int(nfs_ganesha_conf(&o, 3000, 3001, &c), -EINVAL, "bad dir refused");
	is_int((int)c.len, 0, "nothing written on failure");
	sbuf_release(&c);
}

static void test_cmdline(void)
{
	char *s = nfs_kernel_cmdline("10.0.2.2", "/srv/root", 20490, 20491);
	is_str(s, "root=/dev/nfs nfsroot=10.0.2.2:/srv/root,vers=3,tcp,mountproto=tcp,port=20490,mountport=20491,nolock,actimeo=1 rw",
	       "nfsroot command line (MOUNT over TCP too: slirp relays TCP only)");
	free(s);
	ok(nfs_kernel_cmdline("10.0.2.2", "/srv/a,b", 1, 2) == NULL, "comma in dir refused");
	ok(nfs_kernel_cmdline("10.0.2.0/24", "/srv", 1, 2) == NULL, "subnet is not a server");
	ok(nfs_kernel_cmdline("10.0.2.2", "/srv", -1, 2) == NULL, "negative port refused");
	ok(nfs_kernel_cmdline("10.0.2.2", "/srv", 2049, 65536) == NULL, "port over 65535 refused");
	s = nfs_kernel_cmdline("192.168.0.1", "/srv/root", 0, 0);
	is_str(s, "root=/dev/nfs nfsroot=192.168.0.1:/srv/root,vers=3,tcp,mountproto=tcp,nolock,actimeo=1 rw",
	       "ports 0: the portmapper finds them (kernel server)");
	free(s);
}

static void test_relay_cmd(void)
{
	struct sbuf c = SBUF_INIT;

	is_int(nfs_relay_cmd("/usr/bin/kdebug", "/proc/42/ns/net", 4026532000ULL, 20490, &c), 0, "relay command");
	is_str(sbuf_str(&c), "'/usr/bin/kdebug' __nfs-relay /proc/42/ns/net 4026532000 20490",
	       "the program single-quoted for g_shell_parse_argv(), then the namespace, its inode, the port");
	sbuf_reset(&c);
	is_int(nfs_relay_cmd("/home/o'neil/a b,c$d\\e\"f/kdebug", "/proc/7/ns/net", 1, 20491, &c), 0,
	       "quote, blank, comma, dollar, backslash, double quote carried");
	is_str(sbuf_str(&c), "'/home/o'\\''neil/a b,c$d\\e\"f/kdebug' __nfs-relay /proc/7/ns/net 1 20491",
	       "a single quote closes, is escaped, reopens; the rest is literal inside quotes");
	const char *bad_exe[] = { "kdebug", "./kdebug", "/a\nb/kdebug", "/a\tb", "/a\x7f", "" };
	for (size_t i = 0; i < sizeof(bad_exe) / sizeof(bad_exe[0]); i++) {
		sbuf_reset(&c);
		is_int(nfs_relay_cmd(bad_exe[i], "/proc/1/ns/net", 1, 1, &c), -EINVAL, "program #%zu refused", i);
	}
	char *long_exe = xcalloc(1, 1100);
	memset(long_exe, 'a', 1099);
	long_exe[0] = '/';
	is_int(nfs_relay_cmd(long_exe, "/proc/1/ns/net", 1, 1, &c), -EINVAL, "a program path over 1024 bytes refused");
	free(long_exe);
	is_int(nfs_relay_cmd("/k", "/proc/1/ns/net x", 1, 1, &c), -EINVAL, "a namespace path with a blank refused");
	is_int(nfs_relay_cmd("/k", "/proc/1/ns/net", 0, 1, &c), -EINVAL, "inode 0 refused");
	is_int(nfs_relay_cmd("/k", "/proc/1/ns/net", 1, 0, &c), -EINVAL, "port 0 refused");
	is_int(nfs_relay_cmd("/k", "/proc/1/ns/net", 1, 65536, &c), -EINVAL, "port 65536 refused");
	is_int((int)c.len, 0, "nothing written when refused");
	is_int(nfs_relay("/proc/self/ns/net", 1, 20490), -ESTALE, "relay: a namespace with another inode (a reused PID) refused");
	is_int(nfs_relay("/nonexistent/ns", 0, 20490), -ENOENT, "relay: a missing namespace");
	sbuf_release(&c);
}

static void test_exportfs(void)
{
	struct strvec v = STRVEC_INIT;
	nfs_exportfs_argv(&v, true, "10.0.2.15", "/srv/root");
	char *j = strvec_join_shell(&v);
	is_str(j, "exportfs -o rw,no_root_squash,no_subtree_check,sync 10.0.2.15:/srv/root", "add export (secure ports only: the guest's kernel uses them)");
	free(j);
	strvec_clear(&v);
	nfs_exportfs_argv(&v, false, "10.0.2.15", "/srv/root");
	j = strvec_join_shell(&v);
	is_str(j, "exportfs -u 10.0.2.15:/srv/root", "remove export");
	free(j);
	strvec_clear(&v);

	char tmp[] = "/tmp/kdebug-nfsd-XXXXXX";
	ok(mkdtemp(tmp) != NULL, "temp dir");
	struct sbuf why = SBUF_INIT;
	is_int(nfs_kernel_server_check(tmp, &why), -ENOENT, "no threads file: no kernel server");
	like(sbuf_str(&why), "no kernel NFS server runs", "message says so");
	char *t = path_join(tmp, "threads");
	write_file(t, "0\n", 2, 0644);
	sbuf_reset(&why);
	is_int(nfs_kernel_server_check(tmp, &why), -ENOENT, "0 threads: no kernel server");
	write_file(t, "8\n", 2, 0644);
	is_int(nfs_kernel_server_check(tmp, NULL), 0, "8 threads: running");
	is_int(nfs_kernel_export(true, "*", "/srv", NULL), -EINVAL, "exportfs to '*' refused");
	rm_rf(tmp);
	free(t);
	sbuf_release(&why);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "serve"))
		return serve(argc, argv);
	test_client_check();
	test_conf();
	test_cmdline();
	test_relay_cmd();
	test_exportfs();
	return done_testing();
}
