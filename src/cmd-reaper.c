// SPDX-License-Identifier: GPL-2.0
/*
 * The hidden commands of run's reapers (see proc_reaper_start()): children
 * of `kdebug run` started from /proc/self/exe that undo what the run set up
 * when told to (SIGTERM) or when kdebug dies, even by kill -9.  And the
 * NFS relay QEMU's slirp starts per guest connection in user mode.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "net.h"
#include "nfs.h"
#include "proc.h"

/*
 * kdebug __net-reaper BRIDGE HOST_CIDR TAP FLAGS [UPLINK]: the bridge
 * session of run --net bridge (see net_bridge_reaper_args()); state lines
 * on stdin say what the session made.
 */
static void net_state_line(void *arg, char *line)
{
	net_bridge_state_update(arg, line);
}

int cmd_net_reaper(int argc, char **argv)
{
	struct net_bridge_state st;

	if (net_bridge_state_from_args(argc - 1, argv + 1, &st))
		return EXIT_USAGE;
	proc_reaper_wait(net_state_line, &st);
	net_bridge_reap(&st);
	return EXIT_OK;
}

/* kdebug __nfs-reaper CLIENT DIR: the export of --nfs-server kernel. */
int cmd_nfs_reaper(int argc, char **argv)
{
	struct sbuf why = SBUF_INIT;

	if (argc != 3)
		return EXIT_USAGE;
	proc_reaper_wait(NULL, NULL);
	/* Started before the export: there may be nothing to remove. */
	if (nfs_kernel_export(false, argv[1], argv[2], &why) && !strstr(sbuf_str(&why), "Could not find")) {
		error("%s", why.buf);
		sbuf_release(&why);
		return EXIT_FAIL;
	}
	sbuf_release(&why);
	return EXIT_OK;
}

/*
 * kdebug __nfs-relay NETNS INODE PORT: run by QEMU's slirp for each guest
 * connection to the private NFS server (guestfwd=...-cmd:, see
 * nfs_relay_cmd()), the connection on stdin/stdout.  slirp gives it that
 * connection as stderr too, so it says nothing: a failure closes the
 * guest's connection and exits 1.
 */
int cmd_nfs_relay(int argc, char **argv)
{
	unsigned long ino, port;
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC);

	if (null >= 0) {
		dup2(null, STDERR_FILENO);
		if (null != STDERR_FILENO)
			close(null);
	}
	if (argc != 4 || parse_uint(argv[2], ~0UL, &ino) || !ino || parse_uint(argv[3], 65535, &port) || !port)
		return EXIT_USAGE;
	return nfs_relay(argv[1], ino, (int)port) ? EXIT_FAIL : EXIT_OK;
}
