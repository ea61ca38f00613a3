// SPDX-License-Identifier: GPL-2.0
/*
 * Kconfig dependency expressions (`depends on`, `if`, `select ... if`):
 * the first line of the input is the expression, the rest a .config to
 * evaluate it against; evaluation and blame never fail, whatever the text.
 */
#include "fuzz.h"
#include "kconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kconfig c = KCONFIG_INIT;
	struct strvec blame = STRVEC_INIT;
	char *s = fuzz_str(data, size);
	char *nl = strchr(s, '\n');

	if (nl) {
		*nl = '\0';
		(void)kconfig_parse(&c, nl + 1, "fuzz", NULL);
	}
	int v = kconfig_expr_eval(s, &c);
	fuzz_assert(v >= 0 && v <= 2);
	kconfig_expr_blame(s, &c, NULL, &blame);
	if (v >= 1)
		fuzz_assert(blame.n == 0);	/* only a false expression is blamed */
	strvec_clear(&blame);
	kconfig_clear(&c);
	free(s);
	return 0;
}
