// SPDX-License-Identifier: GPL-2.0
#include "commands.h"
#include "util.h"

int cmd_build(int argc, char **argv)
{
	error("'build' is not implemented yet");
	return EXIT_FAIL;
}

