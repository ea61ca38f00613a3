// SPDX-License-Identifier: GPL-2.0
/*
 * The crash report scanner on console text from the guest: the input is
 * fed line by line (split on '\n', NULs ending a line early as they do for
 * the console reader), the reports handed back are checked against the
 * scanner's bounds and printed as text and JSON.
 */
#include "fuzz.h"
#include "oops.h"

static void check(struct oops_report *r)
{
	struct sbuf out = SBUF_INIT;

	if (!r)
		return;
	fuzz_assert(r->kind != OOPS_NONE && r->kind != OOPS_HANG && r->message);
	fuzz_assert(r->lines.n <= OOPS_MAX_LINES && r->n_frames <= OOPS_MAX_FRAMES);
	for (size_t i = 0; i < r->lines.n; i++) {
		fuzz_assert(strlen(r->lines.v[i]) <= OOPS_MAX_LINE_LEN);
		for (const char *p = r->lines.v[i]; *p; p++)
			fuzz_assert(*p >= 0x20 && *p < 0x7f);
	}
	for (size_t i = 0; i < r->n_frames; i++)
		fuzz_assert(r->frames[i].line_index == SIZE_MAX ||
			    r->frames[i].line_index < r->lines.n);
	oops_report_text(r, &out);
	json_t *j = oops_report_json(r);
	char *s = json_dumps(j, JSON_COMPACT);
	fuzz_assert(s != NULL);
	free(s);
	json_decref(j);
	sbuf_release(&out);
	oops_report_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oops_scanner sc;
	char *text = fuzz_str(data, size);

	oops_scanner_init(&sc);
	for (size_t i = 0; i <= size;) {
		size_t n = 0;
		while (i + n < size && data[i + n] != '\n')
			n++;
		char save = text[i + n];
		text[i + n] = '\0';
		check(oops_scanner_line(&sc, text + i));
		text[i + n] = save;
		i += n + 1;
	}
	check(oops_scanner_flush(&sc));
	fuzz_assert(!oops_scanner_active(&sc));
	oops_scanner_clear(&sc);
	free(text);
	return 0;
}
