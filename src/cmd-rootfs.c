// SPDX-License-Identifier: GPL-2.0
#include "commands.h"
#include "util.h"

int cmd_rootfs(int argc, char **argv)
{
	error("'rootfs' is not implemented yet");
	return EXIT_FAIL;
}

