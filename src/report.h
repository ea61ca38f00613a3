/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What commands say to the user, git-style, on stderr: "error: ...",
 * "warning: ...", "note: ..." (notes are silenced by -q).  Only src/ prints;
 * lib/ returns -errno and fills a struct sbuf *why.
 */
#ifndef KDEBUG_REPORT_H
#define KDEBUG_REPORT_H

#include "util.h"

void error(const char *fmt, ...) PRINTF(1, 2);
void warning(const char *fmt, ...) PRINTF(1, 2);
void note(const char *fmt, ...) PRINTF(1, 2);
extern int verbosity;	/* -q: -1, default 0, -v: 1 */

#endif
