// SPDX-License-Identifier: GPL-2.0
/*
 * The .config / fragment reader (kconfig_parse(): a build directory's
 * .config, profiles, --fragment files) and its writer: what parses formats
 * to text that parses back to the same entries.
 */
#include "fuzz.h"
#include "kconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kconfig c = KCONFIG_INIT, again = KCONFIG_INIT;
	struct sbuf why = SBUF_INIT, text = SBUF_INIT;
	char *s = fuzz_str(data, size);

	if (kconfig_parse(&c, s, "fuzz", &why) == 0) {
		fuzz_assert(why.len == 0);
		for (size_t i = 0; i < c.n; i++) {
			fuzz_assert(kconfig_valid_name(c.v[i].name));
			fuzz_assert(kconfig_get(&c, c.v[i].name) == c.v[i].value);
			(void)kconfig_value_on(c.v[i].value);
		}
		kconfig_format(&c, &text);
		fuzz_assert(kconfig_parse(&again, sbuf_str(&text), "again", NULL) == 0);
		fuzz_assert(again.n == c.n);
		for (size_t i = 0; i < c.n; i++) {
			fuzz_assert(!strcmp(again.v[i].name, c.v[i].name));
			fuzz_assert(!strcmp(again.v[i].value, c.v[i].value));
		}
		if (c.n)
			kconfig_remove(&c, c.v[0].name);
	} else {
		fuzz_assert(c.n == 0 && why.len > 0);
	}
	kconfig_clear(&again);
	kconfig_clear(&c);
	sbuf_release(&text);
	sbuf_release(&why);
	free(s);
	return 0;
}
