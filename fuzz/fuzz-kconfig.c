// SPDX-License-Identifier: GPL-2.0
/*
 * The Kconfig scanner on a tree whose top Kconfig file is the input
 * (written to a private directory once per input; `source` finds only
 * that file), then what `kdebug config` does with the symbol table: every
 * condition evaluated and blamed against an empty .config, names mapped,
 * a request for every symbol verified.
 */
#include <errno.h>

#include "fuzz.h"
#include "kconfig.h"

static char *dir, *top;

static void use_db(const struct kconfig_db *db)
{
	struct kconfig empty = KCONFIG_INIT, req = KCONFIG_INIT;
	struct kconfig_report rep = { 0 };
	struct strvec out = STRVEC_INIT;

	for (size_t i = 0; i < db->size; i++) {
		const struct kconfig_sym *s = db->syms[i];
		if (!s)
			continue;
		fuzz_assert(kconfig_db_find(db, s->name) == s);
		(void)kconfig_db_has_prompt(db, s->name);
		(void)kconfig_db_choice(db, s->name);
		for (size_t d = 0; d < s->ndefs; d++)
			for (size_t k = 0; k < s->defs[d].nconds; k++) {
				const char *e = s->defs[d].conds[k].expr;
				int v = kconfig_expr_eval(e, &empty);
				fuzz_assert(v >= 0 && v <= 2);
				kconfig_expr_blame(e, &empty, db, &out);
			}
		if (req.n < 32)
			kconfig_set(&req, s->name, "y", "fuzz");
	}
	kconfig_db_suggest(db, "NET", 3, &out);
	kconfig_map_names(&req, db, &out);
	(void)kconfig_verify(&req, &empty, db, &rep);
	kconfig_report_clear(&rep);
	strvec_clear(&out);
	kconfig_clear(&req);
}

static void remove_dir(void)
{
	(void)rm_rf(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kconfig_db db;
	struct sbuf why = SBUF_INIT;

	if (!dir) {
		char tmpl[] = "/tmp/kdebug-fuzz-kconfig.XXXXXX";
		if (!mkdtemp(tmpl))
			abort();
		dir = xstrdup(tmpl);
		top = path_join(dir, "Kconfig");
		atexit(remove_dir);
	}
	if (write_file(top, data, size, 0644) < 0)
		abort();
	memset(&db, 0, sizeof(db));
	fuzz_assert(kconfig_db_scan(&db, dir, "x86", &why) == 0);
	use_db(&db);
	kconfig_db_clear(&db);
	sbuf_release(&why);
	return 0;
}
