// SPDX-License-Identifier: GPL-2.0
/*
 * The Kconfig symbol table: an open-addressing hash of symbols with their
 * definitions, selectors and choices.  See kconfig.h.
 */
#include "kconfig.h"
#include "kconfig-internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

static unsigned long hash_name(const char *s)
{
	return hash_str32(s);
}

static struct kconfig_sym **db_slot(const struct kconfig_db *db, const char *name)
{
	size_t i = hash_name(name) & (db->size - 1);
	while (db->syms[i] && strcmp(db->syms[i]->name, name))
		i = (i + 1) & (db->size - 1);
	return &db->syms[i];
}

const struct kconfig_sym *kconfig_db_find(const struct kconfig_db *db, const char *name)
{
	if (!db->size)
		return NULL;
	return *db_slot(db, name);
}

struct kconfig_sym *kconfig_db_get(struct kconfig_db *db, const char *name)
{
	if (2 * (db->count + 1) > db->size) {
		struct kconfig_db bigger = *db;
		bigger.size = db->size ? 2 * db->size : 4096;
		bigger.syms = xcalloc(bigger.size, sizeof(*bigger.syms));
		for (size_t i = 0; i < db->size; i++)
			if (db->syms[i])
				*db_slot(&bigger, db->syms[i]->name) = db->syms[i];
		free(db->syms);
		db->syms = bigger.syms;
		db->size = bigger.size;
	}
	struct kconfig_sym **slot = db_slot(db, name);
	if (!*slot) {
		*slot = xcalloc(1, sizeof(**slot));
		(*slot)->name = xstrdup(name);
		strvec_init(&(*slot)->selected_by);
		db->count++;
	}
	return *slot;
}

void kconfig_db_clear(struct kconfig_db *db)
{
	for (size_t i = 0; i < db->size; i++) {
		struct kconfig_sym *s = db->syms[i];
		if (!s)
			continue;
		for (size_t d = 0; d < s->ndefs; d++) {
			struct kconfig_def *def = &s->defs[d];
			free(def->file);
			free(def->prompt_if);
			for (size_t c = 0; c < def->nconds; c++) {
				free(def->conds[c].expr);
				free(def->conds[c].where);
			}
			free(def->conds);
		}
		free(s->defs);
		strvec_clear(&s->selected_by);
		free(s->name);
		free(s);
	}
	free(db->syms);
	memset(db, 0, sizeof(*db));
}

bool kconfig_db_has_prompt(const struct kconfig_db *db, const char *name)
{
	const struct kconfig_sym *s = kconfig_db_find(db, name);
	if (!s)
		return false;
	for (size_t i = 0; i < s->ndefs; i++)
		if (s->defs[i].prompt)
			return true;
	return false;
}

void kconfig_db_suggest(const struct kconfig_db *db, const char *name, size_t max, struct strvec *out)
{
	struct cand { size_t d; const char *name; } *best = xcalloc(max + 1, sizeof(*best));
	size_t nbest = 0, len = strlen(name);
	char *upper = xstrdup(name);

	for (char *p = upper; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	for (size_t i = 0; i < db->size; i++) {
		const struct kconfig_sym *s = db->syms[i];
		if (!s || !s->ndefs)
			continue;
		size_t sl = strlen(s->name);
		if ((sl > len ? sl - len : len - sl) > len / 2 + 2)
			continue;	/* cannot be close */
		size_t d = edit_distance(upper, s->name);
		if (d > len / 3 + 1)
			continue;
		size_t k = nbest;
		while (k > 0 && (best[k - 1].d > d ||
				 (best[k - 1].d == d && strcmp(best[k - 1].name, s->name) > 0))) {
			if (k < max)
				best[k] = best[k - 1];
			k--;
		}
		if (k < max) {
			best[k].d = d;
			best[k].name = s->name;
			if (nbest < max)
				nbest++;
		}
	}
	for (size_t i = 0; i < nbest; i++)
		strvec_push(out, best[i].name);
	free(best);
	free(upper);
}

bool kconfig_db_defined(const struct kconfig_db *db, const char *name)
{
	const struct kconfig_sym *s = kconfig_db_find(db, name);
	return s && s->ndefs;
}

unsigned kconfig_db_choice(const struct kconfig_db *db, const char *name)
{
	const struct kconfig_sym *s = kconfig_db_find(db, name);
	for (size_t i = 0; s && i < s->ndefs; i++)
		if (s->defs[i].choice)
			return s->defs[i].choice;
	return 0;
}
