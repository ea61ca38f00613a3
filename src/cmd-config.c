// SPDX-License-Identifier: GPL-2.0
#include "commands.h"
#include "util.h"

int cmd_config(int argc, char **argv)
{
	error("'config' is not implemented yet");
	return EXIT_FAIL;
}

