// SPDX-License-Identifier: GPL-2.0
#include "commands.h"
#include "util.h"

int cmd_doctor(int argc, char **argv)
{
	error("'doctor' is not implemented yet");
	return EXIT_FAIL;
}

