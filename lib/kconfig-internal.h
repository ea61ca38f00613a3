/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the kconfig*.c files and nobody else.
 */
#ifndef KDEBUG_KCONFIG_INTERNAL_H
#define KDEBUG_KCONFIG_INTERNAL_H

#include "kconfig.h"

/* The symbol NAME, added (without definitions) when it is not there yet. */
struct kconfig_sym *kconfig_db_get(struct kconfig_db *db, const char *name);

/* Kconfig text: past blanks; past a quoted string (NULL when s is not one). */
const char *kconfig_skip_ws(const char *s);
const char *kconfig_skip_string(const char *s);

/* Compare two values: numerically when both are numbers, else as strings. */
int kconfig_value_cmp(const char *a, const char *b);
/* Append s to out unless it is already there. */
void kconfig_add_unique(struct strvec *out, const char *s);
/* kconfig_expr_blame() for an expression that should be at least NEED (1 m, 2 y). */
void kconfig_expr_blame_need(const char *expr, int need, const struct kconfig *config,
			     const struct kconfig_db *db, struct strvec *out);

#endif
