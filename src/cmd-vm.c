// SPDX-License-Identifier: GPL-2.0
#include "commands.h"
#include "util.h"

int cmd_ps(int argc, char **argv)
{
	error("'ps' is not implemented yet");
	return EXIT_FAIL;
}

int cmd_stop(int argc, char **argv)
{
	error("'stop' is not implemented yet");
	return EXIT_FAIL;
}

int cmd_monitor(int argc, char **argv)
{
	error("'monitor' is not implemented yet");
	return EXIT_FAIL;
}

int cmd_gdbserver(int argc, char **argv)
{
	error("'gdbserver' is not implemented yet");
	return EXIT_FAIL;
}

