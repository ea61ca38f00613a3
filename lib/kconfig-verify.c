// SPDX-License-Identifier: GPL-2.0
/*
 * Verification of a resulting .config against the request: each option
 * that did not get its value is explained with the Kconfig dependency
 * that is missing and what to do about it.  See kconfig.h.
 */
#include "kconfig.h"
#include "kconfig-internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void kconfig_report_clear(struct kconfig_report *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].name);
		free(r->v[i].want);
		free(r->v[i].got);
		free(r->v[i].message);
	}
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static const char *want_text(const char *want)
{
	if (!strcmp(want, "y"))
		return "was requested";
	if (!strcmp(want, "m"))
		return "was requested as a module";
	if (!strcmp(want, "n"))
		return "was requested off";
	return NULL;
}

static void got_text(struct sbuf *sb, const char *want, const char *got)
{
	if (!strcmp(got, "n"))
		sbuf_adds(sb, "is off");
	else if (!strcmp(got, "y"))
		sbuf_adds(sb, !strcmp(want, "m") ? "is built in" : "is on");
	else if (!strcmp(got, "m"))
		sbuf_adds(sb, "is a module");
	else
		sbuf_addf(sb, "is %s", got);
}

/* The selectors of name that are on in cfg ("S" or "S if C" with C true). */
static void selectors_on(const struct kconfig_sym *s, const struct kconfig *cfg, struct strvec *out)
{
	for (size_t i = 0; s && i < s->selected_by.n; i++) {
		const char *by = s->selected_by.v[i];
		const char *sp = strchr(by, ' ');
		char *name = sp ? xstrndup(by, (size_t)(sp - by)) : xstrdup(by);
		if (kconfig_value_on(kconfig_get(cfg, name)) &&
		    (!sp || kconfig_expr_eval(sp + 4, cfg) > 0))
			kconfig_add_unique(out, name);
		free(name);
	}
}

static void selector_names(const struct kconfig_sym *s, size_t max, struct sbuf *sb)
{
	size_t n = 0;
	for (size_t i = 0; s && i < s->selected_by.n; i++) {
		const char *by = s->selected_by.v[i];
		const char *sp = strchr(by, ' ');
		size_t len = sp ? (size_t)(sp - by) : strlen(by);
		if (n == max) {
			sbuf_adds(sb, ", ...");
			break;
		}
		/* Skip duplicates (a symbol selecting from several definitions). */
		bool dup = false;
		for (size_t k = 0; k < i; k++)
			if (!strncmp(s->selected_by.v[k], by, len) &&
			    (s->selected_by.v[k][len] == 0 || s->selected_by.v[k][len] == ' '))
				dup = true;
		if (dup)
			continue;
		sbuf_addf(sb, "%s%.*s", n ? ", " : "", (int)len, by);
		n++;
	}
}

/*
 * The first definition of NAME whose conditions fail (for value NEED): the
 * blamed terms go to terms, the first failing condition is returned.
 */
static const struct kconfig_cond *failing_cond(const struct kconfig_sym *s, int need,
					       const struct kconfig *got,
					       const struct kconfig_db *db, struct strvec *terms)
{
	const struct kconfig_cond *first = NULL;

	for (size_t d = 0; s && d < s->ndefs && !first; d++) {
		const struct kconfig_def *def = &s->defs[d];
		for (size_t c = 0; c < def->nconds; c++) {
			if (kconfig_expr_eval(def->conds[c].expr, got) >= need)
				continue;
			kconfig_expr_blame_need(def->conds[c].expr, need, got, db, terms);
			if (!first)
				first = &def->conds[c];
		}
	}
	return first;
}

/* "NFS_FS=y" -> "NFS_FS"; plain names as they are; NULL for the rest. */
static char *term_symbol(const char *t)
{
	size_t n = 0;
	while (isalnum((unsigned char)t[n]) || t[n] == '_')
		n++;
	if (!n || (t[n] && t[n] != '=' && t[n] != '!' && t[n] != '<' && t[n] != '>'))
		return NULL;
	return xstrndup(t, n);
}

/*
 * X has no prompt: name the symbols that select it and what blocks them.
 * A requested selector is explained first; otherwise the blocker shared by
 * most selectors (VIRTIO_MENU for VIRTIO_PCI, VIRTIO_MMIO, VIRTIO_VDPA).
 */
static void explain_selectors(struct sbuf *msg, const char *x, const struct kconfig *req,
			      const struct kconfig *got, const struct kconfig_db *db)
{
	const struct kconfig_sym *s = kconfig_db_find(db, x);

	if (!s || !s->selected_by.n) {
		sbuf_addf(msg, "; %s cannot be set (no prompt, nothing selects it)", x);
		return;
	}
	sbuf_addf(msg, "; %s has no prompt, it is selected by ", x);
	selector_names(s, 5, msg);

	size_t n = s->selected_by.n, best = (size_t)-1, best_count = 0;
	struct { char *name; struct strvec terms; const struct kconfig_cond *cond; bool requested; } *sel;
	sel = xcalloc(n, sizeof(*sel));
	for (size_t i = 0; i < n; i++) {
		const char *by = s->selected_by.v[i];
		const char *sp = strchr(by, ' ');
		sel[i].name = sp ? xstrndup(by, (size_t)(sp - by)) : xstrdup(by);
		strvec_init(&sel[i].terms);
		sel[i].requested = kconfig_value_on(kconfig_get(req, sel[i].name));
		if (kconfig_value_on(kconfig_get(got, sel[i].name)) ||
		    (!sel[i].requested && !kconfig_db_has_prompt(db, sel[i].name)))
			continue;
		sel[i].cond = failing_cond(kconfig_db_find(db, sel[i].name), 1, got, db, &sel[i].terms);
	}
	/* A requested selector that is off: explain it. */
	for (size_t i = 0; i < n; i++)
		if (sel[i].requested && sel[i].cond && sel[i].terms.n) {
			sbuf_addf(msg, "; %s depends on ", sel[i].name);
			for (size_t k = 0; k < sel[i].terms.n; k++)
				sbuf_addf(msg, "%s%s", k ? ", " : "", sel[i].terms.v[k]);
			sbuf_addf(msg, " (%s)", sel[i].cond->where);
			goto out;
		}
	/* Otherwise the most common blocker. */
	struct strvec seen = STRVEC_INIT;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < sel[i].terms.n; k++) {
			const char *t = sel[i].terms.v[k];
			bool dup = false;
			for (size_t j = 0; j < seen.n; j++)
				dup |= !strcmp(seen.v[j], t);
			if (dup)
				continue;
			strvec_push(&seen, t);
			size_t count = 0;
			for (size_t j = 0; j < n; j++)
				for (size_t m = 0; m < sel[j].terms.n; m++)
					count += !strcmp(sel[j].terms.v[m], t);
			if (count > best_count) {
				best_count = count;
				best = seen.n - 1;
			}
		}
	if (best_count) {
		const char *t = seen.v[best];
		const struct kconfig_cond *where = NULL;
		size_t shown = 0, fewest = (size_t)-1;
		sbuf_adds(msg, "; ");
		for (size_t i = 0; i < n; i++)
			for (size_t m = 0; m < sel[i].terms.n; m++)
				if (!strcmp(sel[i].terms.v[m], t)) {
					if (shown < 3)
						sbuf_addf(msg, "%s%s", shown ? ", " : "", sel[i].name);
					else if (shown == 3)
						sbuf_adds(msg, ", ...");
					shown++;
					/* Quote the selector that only t blocks. */
					if (sel[i].terms.n < fewest) {
						fewest = sel[i].terms.n;
						where = sel[i].cond;
					}
				}
		sbuf_addf(msg, " depend%s on %s (%s)", shown == 1 ? "s" : "", t, where->where);
		const char *r = kconfig_get(req, t);
		if (r && !strcmp(r, "n"))
			sbuf_addf(msg, "; %s is requested off", t);
		else if (kconfig_valid_name(t) && kconfig_db_has_prompt(db, t))
			sbuf_addf(msg, "; add --enable %s", t);
	}
	strvec_clear(&seen);
out:
	for (size_t i = 0; i < n; i++) {
		free(sel[i].name);
		strvec_clear(&sel[i].terms);
	}
	free(sel);
}

/* Advice for each blamed term: --enable X, drop --disable X, who selects X. */
static void advise(struct sbuf *msg, const struct strvec *terms, const struct kconfig *req,
		   const struct kconfig *got, const struct kconfig_db *db)
{
	struct sbuf enable = SBUF_INIT, other = SBUF_INIT;

	for (size_t i = 0; i < terms->n; i++) {
		const char *t = terms->v[i];
		if (t[0] == '!' && t[1] != '(') {
			const char *r = kconfig_get(req, t + 1);
			if (r && kconfig_value_on(r))
				sbuf_addf(&other, "; %s is requested on, which excludes this", t + 1);
			else if (kconfig_db_has_prompt(db, t + 1))
				sbuf_addf(&enable, " --disable %s", t + 1);
			else
				sbuf_addf(&other, "; %s is on and has no prompt", t + 1);
			continue;
		}
		char *name = term_symbol(t);
		if (!name)
			continue;	/* nothing simple to suggest */
		const char *r = kconfig_get(req, name);
		if (r && !strcmp(r, "n")) {
			sbuf_addf(&other, "; %s is requested off", name);
		} else if (r && kconfig_value_on(r)) {
			sbuf_addf(&other, "; %s is requested but is %s itself", name,
				  kconfig_value_on(kconfig_get(got, name)) ? "a module" : "off");
		} else if (kconfig_db_has_prompt(db, name)) {
			sbuf_addf(&enable, " --enable %s", name);
		} else {
			explain_selectors(&other, name, req, got, db);
		}
		free(name);
	}
	if (enable.len)
		sbuf_addf(msg, "; add%s", enable.buf);
	sbuf_adds(msg, sbuf_str(&other));
	sbuf_release(&enable);
	sbuf_release(&other);
}

static void explain_missing(struct sbuf *msg, const char *name, const char *want,
			    const struct kconfig *req, const struct kconfig *got,
			    const struct kconfig_db *db)
{
	const struct kconfig_sym *s = kconfig_db_find(db, name);
	int need = !strcmp(want, "m") ? 1 : 2;
	struct strvec terms = STRVEC_INIT;
	const struct kconfig_cond *first;

	if (!s || !s->ndefs) {
		sbuf_adds(msg, ": no Kconfig file in this tree defines it");
		return;
	}
	first = failing_cond(s, need, got, db, &terms);
	if (first) {
		sbuf_adds(msg, ": it depends on ");
		if (terms.n) {
			for (size_t i = 0; i < terms.n; i++)
				sbuf_addf(msg, "%s%s", i ? ", " : "", terms.v[i]);
		} else {
			sbuf_adds(msg, first->expr);
		}
		sbuf_addf(msg, " (%s)", first->where);
		advise(msg, &terms, req, got, db);
		strvec_clear(&terms);
		return;
	}
	strvec_clear(&terms);
	/* Dependencies hold: visibility, select-only symbols, choices. */
	bool prompt = false;
	const char *prompt_if = NULL;
	for (size_t d = 0; d < s->ndefs; d++)
		if (s->defs[d].prompt) {
			prompt = true;
			if (s->defs[d].prompt_if)
				prompt_if = s->defs[d].prompt_if;
			else
				prompt_if = NULL;
		}
	if (!prompt) {
		if (s->selected_by.n) {
			sbuf_adds(msg, ": it has no prompt, only select turns it on; it is selected by ");
			selector_names(s, 6, msg);
		} else {
			sbuf_adds(msg, ": it has no prompt and nothing selects it");
		}
		return;
	}
	if (prompt_if && kconfig_expr_eval(prompt_if, got) == 0) {
		sbuf_addf(msg, ": it can only be set when %s", prompt_if);
		return;
	}
	unsigned ch = kconfig_db_choice(db, name);
	if (ch) {
		for (size_t i = 0; i < got->n; i++)
			if (!strcmp(got->v[i].value, "y") && strcmp(got->v[i].name, name) &&
			    kconfig_db_choice(db, got->v[i].name) == ch) {
				sbuf_addf(msg, ": %s is chosen instead (same choice)", got->v[i].name);
				return;
			}
	}
	sbuf_addf(msg, ": its dependencies are met (%s:%u); check it with 'make menuconfig'",
		  s->defs[0].file, s->defs[0].line);
}

static void explain_forced_on(struct sbuf *msg, const char *name, const struct kconfig *req,
			      const struct kconfig *got, const struct kconfig_db *db)
{
	const struct kconfig_sym *s = kconfig_db_find(db, name);
	struct strvec on = STRVEC_INIT;

	selectors_on(s, got, &on);
	if (on.n) {
		sbuf_adds(msg, ": it is selected by ");
		for (size_t i = 0; i < on.n; i++)
			sbuf_addf(msg, "%s%s", i ? ", " : "", on.v[i]);
		struct sbuf dis = SBUF_INIT, req_on = SBUF_INIT;
		for (size_t i = 0; i < on.n; i++) {
			const char *r = kconfig_get(req, on.v[i]);
			if (r && kconfig_value_on(r))
				sbuf_addf(&req_on, "%s%s", req_on.len ? ", " : "", on.v[i]);
			else if (kconfig_db_has_prompt(db, on.v[i]))
				sbuf_addf(&dis, " --disable %s", on.v[i]);
		}
		if (req_on.len)
			sbuf_addf(msg, " (requested on: %s)", req_on.buf);
		if (dis.len)
			sbuf_addf(msg, "; add%s", dis.buf);
		sbuf_release(&dis);
		sbuf_release(&req_on);
	} else if (s && !kconfig_db_has_prompt(db, name)) {
		sbuf_adds(msg, ": it has no prompt, its default turns it on");
	} else {
		sbuf_adds(msg, ": nothing that is on selects it; check it with 'make menuconfig'");
	}
	strvec_clear(&on);
}

size_t kconfig_verify(const struct kconfig *req, const struct kconfig *got,
		      const struct kconfig_db *db, struct kconfig_report *r)
{
	size_t before = r->n;

	for (size_t i = 0; i < req->n; i++) {
		const char *name = req->v[i].name, *want = req->v[i].value;
		const char *have = kconfig_get(got, name);
		const char *g = have ? have : "n";

		r->checked++;
		if (!strcmp(g, want))
			continue;
		/* "0x10" vs "16" and the like. */
		if (have && kconfig_value_cmp(want, g) == 0)
			continue;
		struct sbuf msg = SBUF_INIT;
		const char *wt = want_text(want);
		if (wt)
			sbuf_addf(&msg, "%s %s but ", name, wt);
		else
			sbuf_addf(&msg, "%s was requested as %s but ", name, want);
		got_text(&msg, want, g);
		if (!strcmp(want, "n") || (!strcmp(want, "m") && !strcmp(g, "y")))
			explain_forced_on(&msg, name, req, got, db);
		else
			explain_missing(&msg, name, want, req, got, db);
		if (r->n == r->alloc) {
			r->alloc = r->alloc ? 2 * r->alloc : 8;
			r->v = xrealloc(r->v, r->alloc * sizeof(*r->v));
		}
		r->v[r->n].name = xstrdup(name);
		r->v[r->n].want = xstrdup(want);
		r->v[r->n].got = xstrdup(g);
		r->v[r->n].message = sbuf_detach(&msg);
		r->n++;
	}
	return r->n - before;
}

