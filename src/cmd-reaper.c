// SPDX-License-Identifier: GPL-2.0
/*
 * The hidden commands of run's reapers (see proc_reaper_start()): children
 * of `kdebug run` started from /proc/self/exe that undo what the run set up
 * when told to (SIGTERM) or when kdebug dies, even by kill -9.
 */
#include <string.h>

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
