/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The files of scripts/, embedded at build time: the Makefile generates
 * lib/scripts.c with scripts/embed.awk, where scripts/DIR/NAME.EXT becomes
 * the string `DIR_NAME_EXT` ('-' and '.' become '_').  @NAME@ in a script
 * stands for the string constant NAME of a header included here.
 */
#ifndef KDEBUG_SCRIPTS_H
#define KDEBUG_SCRIPTS_H

#include "guest.h"	/* guest_*: scripts/guest/, and their @GUEST_*@ constants */

/* Python for gdb, run after a generated prologue that sets their inputs. */
extern const char gdb_modules_py[];	/* scripts/gdb/modules.py */
extern const char gdb_breaks_py[];	/* scripts/gdb/breaks.py */

#endif
