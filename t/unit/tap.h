/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Minimal TAP producer for the C unit tests (run by prove).
 *   ok(cond, "name %d", i);  is_int(got, want, "name");  is_str(got, want, "name");
 *   return done_testing();
 */
#ifndef KDEBUG_TAP_H
#define KDEBUG_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

static inline int tap_vok(int cond, const char *fmt, va_list ap)
{
	tap_n++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	vprintf(fmt, ap);
	printf("\n");
	if (!cond)
		tap_failed++;
	fflush(stdout);
	return cond;
}

static inline __attribute__((format(printf, 2, 3))) int ok(int cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = tap_vok(cond, fmt, ap);
	va_end(ap);
	return r;
}

#define is_int(got, want, ...) do { \
	long long g_ = (long long)(got), w_ = (long long)(want); \
	if (!ok(g_ == w_, __VA_ARGS__)) \
		printf("#   got %lld, want %lld (%s:%d)\n", g_, w_, __FILE__, __LINE__); \
} while (0)

#define is_str(got, want, ...) do { \
	const char *g_ = (got), *w_ = (want); \
	if (!ok(g_ && w_ ? !strcmp(g_, w_) : g_ == w_, __VA_ARGS__)) \
		printf("#   got '%s'\n#  want '%s' (%s:%d)\n", g_ ? g_ : "(null)", \
		       w_ ? w_ : "(null)", __FILE__, __LINE__); \
} while (0)

#define like(got, needle, ...) do { \
	const char *g_ = (got), *n_ = (needle); \
	if (!ok(g_ && strstr(g_, n_) != NULL, __VA_ARGS__)) \
		printf("#   '%s' does not contain '%s' (%s:%d)\n", g_ ? g_ : "(null)", \
		       n_, __FILE__, __LINE__); \
} while (0)

static inline int done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
