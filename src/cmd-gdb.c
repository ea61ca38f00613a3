// SPDX-License-Identifier: GPL-2.0
#include "commands.h"
#include "util.h"

int cmd_gdb(int argc, char **argv)
{
	error("'gdb' is not implemented yet");
	return EXIT_FAIL;
}

