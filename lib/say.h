/* SPDX-License-Identifier: GPL-2.0 */
/*
 * How lib/ code that runs for a while (a run session, its stages, the gdb
 * driver, the console scanner) tells the command what to show, without
 * printing itself: the command supplies a function that puts each message
 * where it belongs (stdout report lines, notes, warnings, -v traces).
 */
#ifndef KDEBUG_SAY_H
#define KDEBUG_SAY_H

#include "util.h"

enum say_kind {
	SAY_OUT,	/* a report line for stdout (hits, the --exec command's output) */
	SAY_NOTE,	/* "note: ..." */
	SAY_WARN,	/* "warning: ..." */
	SAY_TRACE,	/* only with -v: console lines, gdb's own output, timings */
};

struct say {
	void (*fn)(void *ctx, enum say_kind kind, const char *text);
	void *ctx;
	int verbose;	/* -q: -1, default 0, -v: 1 */
};

/* Format and hand over one message (no trailing newline); no-op without fn. */
void say(const struct say *s, enum say_kind kind, const char *fmt, ...) PRINTF(3, 4);

#endif
