// SPDX-License-Identifier: GPL-2.0
#include "commands.h"
#include "util.h"

int cmd_run(int argc, char **argv)
{
	error("'run' is not implemented yet");
	return EXIT_FAIL;
}

