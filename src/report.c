// SPDX-License-Identifier: GPL-2.0
/* The user-facing printers of commands (src/ only). */
#include "report.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

int verbosity;

static void vreport(const char *prefix, const char *fmt, va_list ap)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_adds(&sb, prefix);
	sbuf_vaddf(&sb, fmt, ap);
	sbuf_addch(&sb, '\n');
	fflush(stdout);
	(void)!write(STDERR_FILENO, sb.buf, sb.len);
	sbuf_release(&sb);
}

void error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("error: ", fmt, ap);
	va_end(ap);
}

void warning(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vreport("warning: ", fmt, ap);
	va_end(ap);
}

void note(const char *fmt, ...)
{
	va_list ap;

	if (verbosity < 0)
		return;
	va_start(ap, fmt);
	vreport("note: ", fmt, ap);
	va_end(ap);
}
