// SPDX-License-Identifier: GPL-2.0
#include "say.h"

#include <stdarg.h>

void say(const struct say *s, enum say_kind kind, const char *fmt, ...)
{
	struct sbuf sb = SBUF_INIT;
	va_list ap;

	if (!s || !s->fn || (kind == SAY_TRACE && s->verbose <= 0))
		return;
	va_start(ap, fmt);
	sbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	s->fn(s->ctx, kind, sbuf_str(&sb));
	sbuf_release(&sb);
}
