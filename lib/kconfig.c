// SPDX-License-Identifier: GPL-2.0
/*
 * .config files, profiles, the Kconfig scanner, dependency expressions,
 * option names across kernel versions and verification.  See kconfig.h.
 */
#include "kconfig.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"

/* ---- .config ---- */

void kconfig_init(struct kconfig *c)
{
	c->v = NULL;
	c->n = c->alloc = 0;
}

void kconfig_clear(struct kconfig *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].name);
		free(c->v[i].value);
		free(c->v[i].origin);
	}
	free(c->v);
	kconfig_init(c);
}

bool kconfig_valid_name(const char *s)
{
	if (!s || !*s)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

const struct kconfig_entry *kconfig_find(const struct kconfig *c, const char *name)
{
	for (size_t i = c->n; i-- > 0;)
		if (!strcmp(c->v[i].name, name))
			return &c->v[i];
	return NULL;
}

const char *kconfig_get(const struct kconfig *c, const char *name)
{
	const struct kconfig_entry *e = kconfig_find(c, name);
	return e ? e->value : NULL;
}

void kconfig_set(struct kconfig *c, const char *name, const char *value, const char *origin)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].name, name)) {
			free(c->v[i].value);
			free(c->v[i].origin);
			c->v[i].value = xstrdup(value);
			c->v[i].origin = origin ? xstrdup(origin) : NULL;
			return;
		}
	if (c->n == c->alloc) {
		c->alloc = c->alloc ? 2 * c->alloc : 64;
		c->v = xrealloc(c->v, c->alloc * sizeof(*c->v));
	}
	c->v[c->n].name = xstrdup(name);
	c->v[c->n].value = xstrdup(value);
	c->v[c->n].origin = origin ? xstrdup(origin) : NULL;
	c->n++;
}

void kconfig_remove(struct kconfig *c, const char *name)
{
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].name, name)) {
			free(c->v[i].name);
			free(c->v[i].value);
			free(c->v[i].origin);
			memmove(&c->v[i], &c->v[i + 1], (c->n - i - 1) * sizeof(c->v[0]));
			c->n--;
			return;
		}
}

bool kconfig_value_on(const char *value)
{
	return value && (!strcmp(value, "y") || !strcmp(value, "m"));
}

static char *rtrim_dup(const char *s, size_t len)
{
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	return xstrndup(s, len);
}

int kconfig_parse(struct kconfig *c, const char *text, const char *origin, struct sbuf *why)
{
	struct kconfig tmp = KCONFIG_INIT;
	unsigned lineno = 0;
	const char *p = text;

	/* Parse into tmp so that c is untouched on failure. */
	for (size_t i = 0; i < c->n; i++)
		kconfig_set(&tmp, c->v[i].name, c->v[i].value, c->v[i].origin);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *line = rtrim_dup(p, len);
		char *s = line;

		lineno++;
		p += len + (nl ? 1 : 0);
		while (isspace((unsigned char)*s))
			s++;
		if (!strncmp(s, "CONFIG_", 7)) {
			char *eq = strchr(s, '=');
			if (eq) {
				*eq = 0;
				if (kconfig_valid_name(s + 7)) {
					kconfig_set(&tmp, s + 7, eq + 1, origin);
					free(line);
					continue;
				}
			}
		} else if (*s == '#') {
			char *q = s + 1;
			while (*q == ' ')
				q++;
			if (!strncmp(q, "CONFIG_", 7) && str_ends_with(q, " is not set")) {
				char *name = xstrndup(q + 7, strlen(q) - 7 - strlen(" is not set"));
				if (kconfig_valid_name(name)) {
					kconfig_set(&tmp, name, "n", origin);
					free(name);
					free(line);
					continue;
				}
				free(name);
			} else {
				free(line);	/* a comment */
				continue;
			}
		} else if (!*s) {
			free(line);
			continue;
		}
		if (why)
			sbuf_addf(why, "%s:%u: not a config line: '%s' (expected CONFIG_NAME=VALUE or '# CONFIG_NAME is not set')",
				  origin ? origin : "config", lineno, s);
		free(line);
		kconfig_clear(&tmp);
		return -EINVAL;
	}
	kconfig_clear(c);
	*c = tmp;
	return 0;
}

int kconfig_load(struct kconfig *c, const char *path, const char *origin, struct sbuf *why)
{
	struct sbuf text = SBUF_INIT;
	int r = read_file(path, &text);

	if (r) {
		if (why)
			sbuf_addf(why, "cannot read '%s': %s", path, strerror(-r));
		return r;
	}
	r = kconfig_parse(c, sbuf_str(&text), origin ? origin : path, why);
	sbuf_release(&text);
	return r;
}

void kconfig_format(const struct kconfig *c, struct sbuf *out)
{
	for (size_t i = 0; i < c->n; i++) {
		if (!strcmp(c->v[i].value, "n"))
			sbuf_addf(out, "# CONFIG_%s is not set\n", c->v[i].name);
		else
			sbuf_addf(out, "CONFIG_%s=%s\n", c->v[i].name, c->v[i].value);
	}
}

/* ---- profiles ---- */

void kconfig_profile_clear(struct kconfig_profile *p)
{
	free(p->name);
	free(p->path);
	free(p->base);
	kconfig_clear(&p->opts);
	memset(p, 0, sizeof(*p));
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void kconfig_profile_list(const char *datadir, struct strvec *out)
{
	char *dir = path_join(datadir, "configs");
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t first = out->n;

	free(dir);
	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && str_ends_with(de->d_name, ".config"))
			strvec_pushf(out, "%.*s", (int)(strlen(de->d_name) - 7), de->d_name);
	closedir(d);
	qsort(out->v + first, out->n - first, sizeof(char *), cmp_str);
}

static char *profile_base(const char *text)
{
	const char *p = text;

	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		if (len > 1 && p[0] == '#') {
			const char *q = p + 1;
			while (*q == ' ' || *q == '\t')
				q++;
			if (!strncmp(q, "base:", 5)) {
				q += 5;
				while (*q == ' ' || *q == '\t')
					q++;
				const char *e = q;
				while (e < p + len && (isalnum((unsigned char)*e) || *e == '_' || *e == '.' || *e == '-'))
					e++;
				if (e > q)
					return xstrndup(q, (size_t)(e - q));
			}
		}
		p += len + (nl ? 1 : 0);
	}
	return NULL;
}

int kconfig_profile_load(struct kconfig_profile *p, const char *name_or_path,
			 const char *datadir, struct sbuf *why)
{
	struct kconfig_profile tmp;
	struct sbuf text = SBUF_INIT;
	bool is_file = strchr(name_or_path, '/') || str_ends_with(name_or_path, ".config");
	int r;

	memset(&tmp, 0, sizeof(tmp));
	if (is_file) {
		const char *b = path_basename(name_or_path);
		tmp.path = xstrdup(name_or_path);
		tmp.name = str_ends_with(b, ".config") && strlen(b) > 7 ?
			xstrndup(b, strlen(b) - 7) : xstrdup(b);
	} else {
		if (!kconfig_valid_name(name_or_path) && !strchr(name_or_path, '-')) {
			r = -ENOENT;
			goto unknown;
		}
		tmp.name = xstrdup(name_or_path);
		tmp.path = xasprintf("%s/configs/%s.config", datadir, name_or_path);
	}
	r = read_file(tmp.path, &text);
	if (r == -ENOENT && !is_file)
		goto unknown;
	if (r) {
		if (why)
			sbuf_addf(why, "cannot read profile '%s': %s", tmp.path, strerror(-r));
		goto fail;
	}
	kconfig_init(&tmp.opts);
	struct sbuf origin = SBUF_INIT;
	sbuf_addf(&origin, "profile %s", tmp.name);
	r = kconfig_parse(&tmp.opts, sbuf_str(&text), sbuf_str(&origin), why);
	sbuf_release(&origin);
	if (r)
		goto fail;
	tmp.base = profile_base(sbuf_str(&text));
	if (!tmp.base)
		tmp.base = xstrdup("defconfig");
	sbuf_release(&text);
	*p = tmp;
	return 0;

unknown:
	if (why) {
		struct strvec names = STRVEC_INIT;
		kconfig_profile_list(datadir, &names);
		sbuf_addf(why, "no profile '%s'", name_or_path);
		if (names.n) {
			sbuf_adds(why, "; available:");
			for (size_t i = 0; i < names.n; i++)
				sbuf_addf(why, " %s", names.v[i]);
		}
		sbuf_adds(why, " (or pass a fragment file)");
		strvec_clear(&names);
	}
fail:
	sbuf_release(&text);
	kconfig_profile_clear(&tmp);
	return r;
}

/* ---- the symbol database ---- */

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

static struct kconfig_sym *db_get(struct kconfig_db *db, const char *name)
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

/* -- the scanner -- */

enum frame_kind { FRAME_IF, FRAME_MENU, FRAME_CHOICE };

struct frame {
	enum frame_kind kind;
	char *file;
	unsigned line;
	char *title;	/* menu title */
	struct strvec depends;	/* if: the condition; menu/choice: depends on lines */
	unsigned choice;
};

struct scan {
	struct kconfig_db *db;
	const char *srcdir, *arch;
	struct frame *frames;
	size_t nframes, aframes;
	/* The entry being read. */
	struct kconfig_sym *sym;	/* config/menuconfig, or NULL */
	size_t def;
	struct frame *cur_frame;	/* menu/choice awaiting its depends, or NULL */
	struct strvec own_depends;
	const char *file;
};

static void frame_push(struct scan *sc, enum frame_kind kind, const char *file, unsigned line)
{
	if (sc->nframes == sc->aframes) {
		sc->aframes = sc->aframes ? 2 * sc->aframes : 16;
		sc->frames = xrealloc(sc->frames, sc->aframes * sizeof(*sc->frames));
	}
	struct frame *f = &sc->frames[sc->nframes++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->file = xstrdup(file);
	f->line = line;
	strvec_init(&f->depends);
}

static void frame_pop(struct scan *sc, enum frame_kind kind)
{
	/* Pop up to and including the innermost frame of this kind. */
	while (sc->nframes) {
		struct frame *f = &sc->frames[--sc->nframes];
		enum frame_kind k = f->kind;
		free(f->file);
		free(f->title);
		strvec_clear(&f->depends);
		if (k == kind)
			return;
	}
}

static char *join_and(const struct strvec *sv)
{
	struct sbuf sb = SBUF_INIT;

	if (sv->n == 1)
		return xstrdup(sv->v[0]);
	for (size_t i = 0; i < sv->n; i++)
		sbuf_addf(&sb, "%s(%s)", i ? " && " : "", sv->v[i]);
	return sbuf_detach(&sb);
}

static void def_add_cond(struct kconfig_def *def, char *expr, char *where)
{
	def->conds = xrealloc(def->conds, (def->nconds + 1) * sizeof(*def->conds));
	def->conds[def->nconds].expr = expr;
	def->conds[def->nconds].where = where;
	def->nconds++;
}

/* The entry ends: attach its own depends (first) and the enclosing conditions. */
static void finish_entry(struct scan *sc)
{
	if (sc->sym) {
		struct kconfig_def *def = &sc->sym->defs[sc->def];
		struct sbuf where = SBUF_INIT;
		if (sc->own_depends.n) {
			sbuf_addf(&where, "%s: ", def->file);
			for (size_t i = 0; i < sc->own_depends.n; i++)
				sbuf_addf(&where, "%sdepends on %s", i ? "; " : "", sc->own_depends.v[i]);
			def_add_cond(def, join_and(&sc->own_depends), sbuf_detach(&where));
		}
		for (size_t i = sc->nframes; i-- > 0;) {
			struct frame *f = &sc->frames[i];
			if (!f->depends.n)
				continue;
			char *expr = join_and(&f->depends);
			if (f->kind == FRAME_IF)
				sbuf_addf(&where, "%s: inside 'if %s'", f->file, expr);
			else if (f->kind == FRAME_MENU)
				sbuf_addf(&where, "%s: in menu \"%s\" which depends on %s",
					  f->file, f->title ? f->title : "", expr);
			else
				sbuf_addf(&where, "%s: in a choice which depends on %s", f->file, expr);
			def_add_cond(def, expr, sbuf_detach(&where));
		}
		sbuf_release(&where);
	}
	strvec_clear(&sc->own_depends);
	sc->sym = NULL;
	sc->cur_frame = NULL;
}

static unsigned innermost_choice(const struct scan *sc)
{
	for (size_t i = sc->nframes; i-- > 0;)
		if (sc->frames[i].kind == FRAME_CHOICE)
			return sc->frames[i].choice;
	return 0;
}

/* Next word of s (advances *s); NULL at the end. */
static char *next_word(const char **s)
{
	const char *p = *s;
	while (isspace((unsigned char)*p))
		p++;
	if (!*p)
		return NULL;
	const char *b = p;
	while (*p && !isspace((unsigned char)*p))
		p++;
	*s = p;
	return xstrndup(b, (size_t)(p - b));
}

static const char *skip_ws(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

/* After a quoted prompt string: return the position past it, or NULL. */
static const char *skip_string(const char *s)
{
	s = skip_ws(s);
	if (*s != '"' && *s != '\'')
		return NULL;
	char q = *s++;
	while (*s && *s != q) {
		if (*s == '\\' && s[1])
			s++;
		s++;
	}
	return *s ? s + 1 : s;
}

static char *quoted_arg(const char *s)
{
	s = skip_ws(s);
	if (*s != '"' && *s != '\'') {
		const char *e = s;
		while (*e && !isspace((unsigned char)*e))
			e++;
		return xstrndup(s, (size_t)(e - s));
	}
	const char *e = skip_string(s);
	size_t len = (size_t)(e - s);
	if (len >= 2 && e[-1] == *s)
		return xstrndup(s + 1, len - 2);
	return xstrndup(s + 1, len - 1);
}

/* Strip a '#' comment outside quotes, and trailing blanks. */
static void strip_comment(char *line)
{
	char q = 0;
	for (char *p = line; *p; p++) {
		if (q) {
			if (*p == '\\' && p[1])
				p++;
			else if (*p == q)
				q = 0;
		} else if (*p == '"' || *p == '\'') {
			q = *p;
		} else if (*p == '#') {
			*p = 0;
			break;
		}
	}
	size_t n = strlen(line);
	while (n && isspace((unsigned char)line[n - 1]))
		line[--n] = 0;
}

static unsigned indent_of(const char *s)
{
	unsigned col = 0;
	for (; *s == ' ' || *s == '\t'; s++)
		col = *s == '\t' ? (col + 8) & ~7u : col + 1;
	return col;
}

static char *expand_path(const struct scan *sc, const char *path)
{
	struct sbuf sb = SBUF_INIT;

	for (const char *p = path; *p;) {
		if (!strncmp(p, "$(SRCARCH)", 10) || !strncmp(p, "$(ARCH)", 7)) {
			sbuf_adds(&sb, sc->arch);
			p += p[2] == 'S' ? 10 : 7;
		} else if (!strncmp(p, "$SRCARCH", 8)) {
			sbuf_adds(&sb, sc->arch);
			p += 8;
		} else if (!strncmp(p, "$ARCH", 5)) {
			sbuf_adds(&sb, sc->arch);
			p += 5;
		} else if (*p == '$') {
			sbuf_release(&sb);	/* another variable: not for this arch */
			return NULL;
		} else {
			sbuf_addch(&sb, *p++);
		}
	}
	return sbuf_detach(&sb);
}

static void scan_file(struct scan *sc, const char *rel, int depth);

static void handle_type(struct scan *sc, char type, const char *rest)
{
	if (!sc->sym)
		return;
	struct kconfig_def *def = &sc->sym->defs[sc->def];
	if (type)
		def->type = type;
	const char *after = skip_string(rest);
	if (after) {
		def->prompt = true;
		after = skip_ws(after);
		if (!strncmp(after, "if", 2) && isspace((unsigned char)after[2])) {
			free(def->prompt_if);
			def->prompt_if = xstrdup(skip_ws(after + 2));
		}
	}
}

static void handle_line(struct scan *sc, const char *line, const char *file, unsigned lineno,
			int depth, bool *help)
{
	const char *rest = line;
	char *kw = next_word(&rest);

	if (!kw)
		return;
	rest = skip_ws(rest);
	if (!strcmp(kw, "config") || !strcmp(kw, "menuconfig")) {
		finish_entry(sc);
		char *name = next_word(&rest);
		if (name && kconfig_valid_name(name)) {
			struct kconfig_sym *s = db_get(sc->db, name);
			s->defs = xrealloc(s->defs, (s->ndefs + 1) * sizeof(*s->defs));
			struct kconfig_def *def = &s->defs[s->ndefs];
			memset(def, 0, sizeof(*def));
			def->file = xstrdup(file);
			def->line = lineno;
			def->choice = innermost_choice(sc);
			sc->sym = s;
			sc->def = s->ndefs++;
		}
		free(name);
	} else if (!strcmp(kw, "choice")) {
		finish_entry(sc);
		frame_push(sc, FRAME_CHOICE, file, lineno);
		sc->frames[sc->nframes - 1].choice = ++sc->db->nchoices;
		sc->cur_frame = &sc->frames[sc->nframes - 1];
	} else if (!strcmp(kw, "endchoice")) {
		finish_entry(sc);
		frame_pop(sc, FRAME_CHOICE);
	} else if (!strcmp(kw, "menu")) {
		finish_entry(sc);
		frame_push(sc, FRAME_MENU, file, lineno);
		sc->frames[sc->nframes - 1].title = quoted_arg(rest);
		sc->cur_frame = &sc->frames[sc->nframes - 1];
	} else if (!strcmp(kw, "endmenu")) {
		finish_entry(sc);
		frame_pop(sc, FRAME_MENU);
	} else if (!strcmp(kw, "if")) {
		finish_entry(sc);
		frame_push(sc, FRAME_IF, file, lineno);
		strvec_push(&sc->frames[sc->nframes - 1].depends, rest);
	} else if (!strcmp(kw, "endif")) {
		finish_entry(sc);
		frame_pop(sc, FRAME_IF);
	} else if (!strcmp(kw, "comment") || !strcmp(kw, "mainmenu")) {
		finish_entry(sc);
	} else if (!strcmp(kw, "source") || !strcmp(kw, "rsource") ||
		   !strcmp(kw, "osource") || !strcmp(kw, "orsource")) {
		finish_entry(sc);
		char *arg = quoted_arg(rest);
		char *path = expand_path(sc, arg);
		bool relative = !strcmp(kw, "rsource") || !strcmp(kw, "orsource");
		if (path && relative) {
			char *dir = path_dirname(file);
			char *joined = path_join(dir, path);
			free(path);
			free(dir);
			path = joined;
		}
		if (path && !strchr(path, '*'))
			scan_file(sc, path, depth + 1);
		free(path);
		free(arg);
	} else if (!strcmp(kw, "depends")) {
		char *on = next_word(&rest);
		if (on && !strcmp(on, "on")) {
			const char *expr = skip_ws(rest);
			if (sc->sym)
				strvec_push(&sc->own_depends, expr);
			else if (sc->cur_frame)
				strvec_push(&sc->cur_frame->depends, expr);
		}
		free(on);
	} else if (!strcmp(kw, "select")) {
		char *target = next_word(&rest);
		if (sc->sym && target && kconfig_valid_name(target)) {
			const char *cond = skip_ws(rest);
			char *by = xstrdup(sc->sym->name);
			struct kconfig_sym *t = db_get(sc->db, target);
			if (!strncmp(cond, "if", 2) && isspace((unsigned char)cond[2]))
				strvec_pushf(&t->selected_by, "%s if %s", by, skip_ws(cond + 2));
			else
				strvec_push(&t->selected_by, by);
			free(by);
		}
		free(target);
	} else if (!strcmp(kw, "bool") || !strcmp(kw, "boolean")) {
		handle_type(sc, 'b', rest);
	} else if (!strcmp(kw, "tristate")) {
		handle_type(sc, 't', rest);
	} else if (!strcmp(kw, "string")) {
		handle_type(sc, 's', rest);
	} else if (!strcmp(kw, "int")) {
		handle_type(sc, 'i', rest);
	} else if (!strcmp(kw, "hex")) {
		handle_type(sc, 'h', rest);
	} else if (!strcmp(kw, "def_bool")) {
		handle_type(sc, 'b', "");
	} else if (!strcmp(kw, "def_tristate")) {
		handle_type(sc, 't', "");
	} else if (!strcmp(kw, "prompt")) {
		handle_type(sc, 0, rest);
	} else if (!strcmp(kw, "help") || !strcmp(kw, "---help---")) {
		*help = true;
	}
	free(kw);
}

static void scan_file(struct scan *sc, const char *rel, int depth)
{
	struct sbuf text = SBUF_INIT;
	char *path = path_join(sc->srcdir, rel);
	bool help = false;
	unsigned help_indent = 0, lineno = 0;
	int help_first = 0;
	struct sbuf line = SBUF_INIT;

	if (depth > 64 || read_file(path, &text)) {
		free(path);
		sbuf_release(&text);
		return;
	}
	free(path);
	sc->db->nfiles++;
	const char *p = sbuf_str(&text);
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		unsigned start = ++lineno;

		sbuf_reset(&line);
		sbuf_add(&line, p, len);
		p += len + (nl ? 1 : 0);
		/* Continuation lines. */
		while (line.len && line.buf[line.len - 1] == '\\' && *p) {
			line.buf[--line.len] = 0;
			sbuf_rtrim(&line);
			sbuf_addch(&line, ' ');
			nl = strchr(p, '\n');
			len = nl ? (size_t)(nl - p) : strlen(p);
			const char *q = p;
			while (q < p + len && isspace((unsigned char)*q))
				q++;
			sbuf_add(&line, q, len - (size_t)(q - p));
			p += len + (nl ? 1 : 0);
			lineno++;
		}
		const char *s = sbuf_str(&line);
		if (help) {
			if (!*skip_ws(s))
				continue;
			unsigned ind = indent_of(s);
			if (!help_first) {
				help_first = 1;
				help_indent = ind;
				if (ind > 0)
					continue;
			} else if (ind >= help_indent && ind > 0) {
				continue;
			}
			help = false;
			help_first = 0;
		}
		if (!line.buf)
			continue;
		strip_comment(line.buf);
		s = sbuf_str(&line);
		if (!*skip_ws(s))
			continue;
		handle_line(sc, s, rel, start, depth, &help);
	}
	/* An entry does not span files. */
	finish_entry(sc);
	sbuf_release(&line);
	sbuf_release(&text);
}

int kconfig_db_scan(struct kconfig_db *db, const char *srcdir, const char *arch, struct sbuf *why)
{
	struct kconfig_db tmp;
	struct scan sc;
	char *top = path_join(srcdir, "Kconfig");
	bool ok = is_regular(top);

	free(top);
	if (!ok) {
		if (why)
			sbuf_addf(why, "no Kconfig file in '%s'", srcdir);
		return -ENOENT;
	}
	memset(&tmp, 0, sizeof(tmp));
	memset(&sc, 0, sizeof(sc));
	sc.db = &tmp;
	sc.srcdir = srcdir;
	sc.arch = arch ? arch : "x86";
	strvec_init(&sc.own_depends);
	scan_file(&sc, "Kconfig", 0);
	while (sc.nframes)
		frame_pop(&sc, sc.frames[sc.nframes - 1].kind);
	free(sc.frames);
	strvec_clear(&sc.own_depends);
	*db = tmp;
	return 0;
}

/* ---- expressions ---- */

enum node_kind { N_SYM, N_NOT, N_AND, N_OR, N_CMP };

struct node {
	enum node_kind kind;
	char *text;	/* N_SYM: the word or string; N_CMP: the operator */
	bool quoted, macro;
	struct node *a, *b;
};

struct lexer {
	const char *p;
	bool error;
};

static void node_free(struct node *n)
{
	if (!n)
		return;
	node_free(n->a);
	node_free(n->b);
	free(n->text);
	free(n);
}

static struct node *node_new(enum node_kind kind)
{
	struct node *n = xcalloc(1, sizeof(*n));
	n->kind = kind;
	return n;
}

static bool lex_peek(struct lexer *lx, const char *tok)
{
	lx->p = skip_ws(lx->p);
	return !strncmp(lx->p, tok, strlen(tok));
}

static bool lex_accept(struct lexer *lx, const char *tok)
{
	if (lex_peek(lx, tok)) {
		lx->p += strlen(tok);
		return true;
	}
	return false;
}

static struct node *parse_or(struct lexer *lx);

static struct node *parse_term(struct lexer *lx)
{
	lx->p = skip_ws(lx->p);
	const char *s = lx->p;
	struct node *n = node_new(N_SYM);

	if (*s == '"' || *s == '\'') {
		const char *e = skip_string(s);
		size_t len = (size_t)(e - s);
		n->text = xstrndup(s + 1, len >= 2 && e[-1] == *s ? len - 2 : len - 1);
		n->quoted = true;
		n->macro = strstr(n->text, "$(") != NULL;
		lx->p = e;
	} else if (s[0] == '$' && s[1] == '(') {
		int depth = 0;
		const char *e = s;
		do {
			if (*e == '(')
				depth++;
			else if (*e == ')')
				depth--;
			e++;
		} while (*e && depth > 0);
		n->text = xstrndup(s, (size_t)(e - s));
		n->macro = true;
		lx->p = e;
	} else {
		const char *e = s;
		while (isalnum((unsigned char)*e) || *e == '_' || *e == '-' || *e == '.')
			e++;
		if (e == s) {
			lx->error = true;
			free(n);
			return NULL;
		}
		n->text = xstrndup(s, (size_t)(e - s));
		lx->p = e;
	}
	return n;
}

static struct node *parse_primary(struct lexer *lx)
{
	if (lex_accept(lx, "(")) {
		struct node *n = parse_or(lx);
		if (!lex_accept(lx, ")"))
			lx->error = true;
		return n;
	}
	struct node *t = parse_term(lx);
	if (!t)
		return NULL;
	static const char *const ops[] = { "!=", "<=", ">=", "=", "<", ">" };
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		if (lex_accept(lx, ops[i])) {
			struct node *c = node_new(N_CMP);
			c->text = xstrdup(ops[i]);
			c->a = t;
			c->b = parse_term(lx);
			if (!c->b)
				lx->error = true;
			return c;
		}
	return t;
}

static struct node *parse_unary(struct lexer *lx)
{
	if (lex_peek(lx, "!") && !lex_peek(lx, "!=")) {
		lx->p++;
		struct node *n = node_new(N_NOT);
		n->a = parse_unary(lx);
		if (!n->a)
			lx->error = true;
		return n;
	}
	return parse_primary(lx);
}

static struct node *parse_and(struct lexer *lx)
{
	struct node *l = parse_unary(lx);
	while (l && !lx->error && lex_accept(lx, "&&")) {
		struct node *n = node_new(N_AND);
		n->a = l;
		n->b = parse_unary(lx);
		l = n;
	}
	return l;
}

static struct node *parse_or(struct lexer *lx)
{
	struct node *l = parse_and(lx);
	while (l && !lx->error && lex_accept(lx, "||")) {
		struct node *n = node_new(N_OR);
		n->a = l;
		n->b = parse_and(lx);
		l = n;
	}
	return l;
}

static struct node *parse_expr(const char *s)
{
	struct lexer lx = { .p = s, .error = false };
	struct node *n = parse_or(&lx);

	if (lx.error || !n || *skip_ws(lx.p)) {
		node_free(n);
		return NULL;
	}
	return n;
}

static int tri_of(const char *v)
{
	if (!v)
		return 0;
	if (!strcmp(v, "y"))
		return 2;
	if (!strcmp(v, "m"))
		return 1;
	return 0;
}

/* String value of a term: a symbol's value ("n" when unset) or the constant. */
static const char *term_value(const struct node *n, const struct kconfig *cfg)
{
	if (n->quoted || n->macro)
		return n->text;
	if (!strcmp(n->text, "y") || !strcmp(n->text, "m") || !strcmp(n->text, "n"))
		return n->text;
	const char *v = kconfig_get(cfg, n->text);
	if (v)
		return v;
	/* Unset symbol: n; numbers and other constants are themselves. */
	bool name_like = false;
	for (const char *p = n->text; *p; p++)
		if (isalpha((unsigned char)*p) || *p == '_')
			name_like = true;
	if (name_like && !(n->text[0] == '0' && n->text[1] == 'x'))
		return "n";
	return n->text;
}

static int cmp_values(const char *a, const char *b)
{
	char *ea, *eb;
	long long x = strtoll(a, &ea, 0), y = strtoll(b, &eb, 0);
	if (*a && *b && !*ea && !*eb)
		return x < y ? -1 : x > y;
	return strcmp(a, b);
}

static int eval(const struct node *n, const struct kconfig *cfg)
{
	int a, b;

	switch (n->kind) {
	case N_SYM:
		if (n->macro)
			return 2;
		return tri_of(term_value(n, cfg));
	case N_NOT:
		return 2 - eval(n->a, cfg);
	case N_AND:
		a = eval(n->a, cfg);
		b = eval(n->b, cfg);
		return a < b ? a : b;
	case N_OR:
		a = eval(n->a, cfg);
		b = eval(n->b, cfg);
		return a > b ? a : b;
	case N_CMP: {
		if (n->a->macro || n->b->macro)
			return 2;
		int c = cmp_values(term_value(n->a, cfg), term_value(n->b, cfg));
		bool r = !strcmp(n->text, "=") ? c == 0 :
			 !strcmp(n->text, "!=") ? c != 0 :
			 !strcmp(n->text, "<") ? c < 0 :
			 !strcmp(n->text, "<=") ? c <= 0 :
			 !strcmp(n->text, ">") ? c > 0 : c >= 0;
		return r ? 2 : 0;
	}
	}
	return 2;
}

int kconfig_expr_eval(const char *expr, const struct kconfig *config)
{
	struct node *n = parse_expr(expr);
	int v = n ? eval(n, config) : 2;
	node_free(n);
	return v;
}

static void add_unique(struct strvec *out, const char *s)
{
	for (size_t i = 0; i < out->n; i++)
		if (!strcmp(out->v[i], s))
			return;
	strvec_push(out, s);
}

static bool is_symbol_term(const struct node *n, const struct kconfig_db *db)
{
	if (n->quoted || n->macro)
		return false;
	if (!strcmp(n->text, "y") || !strcmp(n->text, "m") || !strcmp(n->text, "n"))
		return false;
	if (db)
		return kconfig_db_find(db, n->text) && kconfig_db_find(db, n->text)->ndefs;
	return kconfig_valid_name(n->text) && !isdigit((unsigned char)n->text[0]);
}

/* positive: n should be >= need; negative: n should be <= 2 - need. */
static void blame(const struct node *n, bool positive, int need, const struct kconfig *cfg,
		  const struct kconfig_db *db, struct strvec *out)
{
	int v = eval(n, cfg);
	bool bad = positive ? v < need : v > 2 - need;

	if (!bad)
		return;
	switch (n->kind) {
	case N_SYM:
		if (is_symbol_term(n, db)) {
			if (positive) {
				add_unique(out, n->text);
			} else {
				char *s = xasprintf("!%s", n->text);
				add_unique(out, s);
				free(s);
			}
		}
		break;
	case N_NOT:
		blame(n->a, !positive, need, cfg, db, out);
		break;
	case N_AND:
	case N_OR:
		/* Each operand that is itself on the wrong side is to blame. */
		blame(n->a, positive, need, cfg, db, out);
		blame(n->b, positive, need, cfg, db, out);
		break;
	case N_CMP: {
		if (!is_symbol_term(n->a, db) && !is_symbol_term(n->b, db))
			break;
		char *s = xasprintf("%s%s%s%s%s", positive ? "" : "!(", n->a->text, n->text,
				    n->b->text, positive ? "" : ")");
		add_unique(out, s);
		free(s);
		break;
	}
	}
}

void kconfig_expr_blame(const char *expr, const struct kconfig *config,
			const struct kconfig_db *db, struct strvec *out)
{
	struct node *n = parse_expr(expr);
	if (!n)
		return;
	blame(n, true, 1, config, db, out);
	node_free(n);
}

/* ---- names across kernel versions ---- */

enum map_kind {
	MAP_RENAMED,		/* name missing, other exists: use other */
	MAP_VIA_IF_NO_PROMPT,	/* name=y has no prompt: also request other=y */
	MAP_VIA_IF_EXISTS,	/* name=y: also request other=y when other exists */
	MAP_OFF_VIA,		/* name=n has no prompt: request other=y */
};

static const struct {
	const char *name, *other;
	enum map_kind kind;
	const char *why;
} name_map[] = {
	{ "STRICT_KERNEL_RWX", "DEBUG_RODATA", MAP_RENAMED,
	  "this kernel (before 4.11) calls STRICT_KERNEL_RWX DEBUG_RODATA" },
	{ "DEBUG_RODATA", "STRICT_KERNEL_RWX", MAP_RENAMED,
	  "DEBUG_RODATA is called STRICT_KERNEL_RWX since 4.11" },
	{ "STRICT_MODULE_RWX", "DEBUG_SET_MODULE_RONX", MAP_RENAMED,
	  "this kernel (before 4.11) calls STRICT_MODULE_RWX DEBUG_SET_MODULE_RONX" },
	{ "DEBUG_SET_MODULE_RONX", "STRICT_MODULE_RWX", MAP_RENAMED,
	  "DEBUG_SET_MODULE_RONX is called STRICT_MODULE_RWX since 4.11" },
	{ "DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT", "DEBUG_INFO", MAP_RENAMED,
	  "this kernel (before 5.12) has no DWARF version choice; DEBUG_INFO=y is the same" },
	{ "DEBUG_INFO", "DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT", MAP_VIA_IF_NO_PROMPT,
	  "since 5.18 DEBUG_INFO is set by the \"Debug information\" choice" },
	{ "DEBUG_INFO", "DEBUG_INFO_NONE", MAP_OFF_VIA,
	  "since 5.18 DEBUG_INFO is turned off by choosing DEBUG_INFO_NONE" },
	{ "FRAME_POINTER", "UNWINDER_FRAME_POINTER", MAP_VIA_IF_EXISTS,
	  "on x86 since 4.14 frame pointers come with the frame pointer unwinder" },
	{ "UNWINDER_FRAME_POINTER", "FRAME_POINTER", MAP_RENAMED,
	  "this kernel (before 4.14) has no unwinder choice; FRAME_POINTER=y is the same" },
};

static bool db_defined(const struct kconfig_db *db, const char *name)
{
	const struct kconfig_sym *s = kconfig_db_find(db, name);
	return s && s->ndefs;
}

static unsigned sym_choice(const struct kconfig_db *db, const char *name)
{
	const struct kconfig_sym *s = kconfig_db_find(db, name);
	for (size_t i = 0; s && i < s->ndefs; i++)
		if (s->defs[i].choice)
			return s->defs[i].choice;
	return 0;
}

void kconfig_map_names(struct kconfig *req, const struct kconfig_db *db, struct strvec *notes)
{
	for (size_t i = 0; i < ARRAY_SIZE(name_map); i++) {
		const struct kconfig_entry *e = kconfig_find(req, name_map[i].name);
		if (!e)
			continue;
		const char *name = name_map[i].name, *other = name_map[i].other;
		char *value = xstrdup(e->value), *origin = e->origin ? xstrdup(e->origin) : NULL;
		switch (name_map[i].kind) {
		case MAP_RENAMED:
			if (db_defined(db, name) || !db_defined(db, other))
				break;
			if (!kconfig_find(req, other)) {
				kconfig_set(req, other, value, origin);
				strvec_pushf(notes, "%s=%s requested as %s=%s: %s", name, value,
					     other, value, name_map[i].why);
			} else {
				strvec_pushf(notes, "%s dropped: %s", name, name_map[i].why);
			}
			kconfig_remove(req, name);
			break;
		case MAP_VIA_IF_NO_PROMPT:
		case MAP_VIA_IF_EXISTS:
			if (!kconfig_value_on(value) || !db_defined(db, name) || !db_defined(db, other))
				break;
			if (name_map[i].kind == MAP_VIA_IF_NO_PROMPT && kconfig_db_has_prompt(db, name))
				break;
			if (kconfig_find(req, other))
				break;	/* already requested, either way */
			/* Another member of the same choice requested on wins. */
			if (sym_choice(db, other)) {
				bool taken = false;
				for (size_t k = 0; k < req->n; k++)
					if (!strcmp(req->v[k].value, "y") &&
					    sym_choice(db, req->v[k].name) == sym_choice(db, other))
						taken = true;
				if (taken)
					break;
			}
			kconfig_set(req, other, "y", origin);
			strvec_pushf(notes, "%s=%s: also requesting %s=y (%s)", name, value, other,
				     name_map[i].why);
			break;
		case MAP_OFF_VIA:
			if (strcmp(value, "n") || !db_defined(db, name) || !db_defined(db, other) ||
			    kconfig_db_has_prompt(db, name))
				break;
			{
				/* Turning it off wins over other choice members. */
				unsigned ch = sym_choice(db, other);
				for (size_t k = 0; ch && k < req->n;)
					if (sym_choice(db, req->v[k].name) == ch &&
					    strcmp(req->v[k].name, other))
						kconfig_remove(req, req->v[k].name);
					else
						k++;
			}
			kconfig_set(req, other, "y", origin);
			strvec_pushf(notes, "%s=n: requesting %s=y instead (%s)", name, other,
				     name_map[i].why);
			break;
		}
		free(value);
		free(origin);
	}
	/* Several members of one choice requested on: the last request wins. */
	for (size_t i = req->n; i-- > 0;) {
		if (i >= req->n || strcmp(req->v[i].value, "y"))
			continue;
		unsigned ch = sym_choice(db, req->v[i].name);
		if (!ch)
			continue;
		for (size_t k = 0; k < i;) {
			if (!strcmp(req->v[k].value, "y") && sym_choice(db, req->v[k].name) == ch) {
				strvec_pushf(notes, "%s=y dropped: %s=y (requested later) is in the same choice",
					     req->v[k].name, req->v[i].name);
				kconfig_remove(req, req->v[k].name);
				i--;
			} else {
				k++;
			}
		}
	}
}

/* ---- verification ---- */

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
			add_unique(out, name);
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
			struct node *n = parse_expr(def->conds[c].expr);
			if (n)
				blame(n, true, need, got, db, terms);
			node_free(n);
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
	unsigned ch = sym_choice(db, name);
	if (ch) {
		for (size_t i = 0; i < got->n; i++)
			if (!strcmp(got->v[i].value, "y") && strcmp(got->v[i].name, name) &&
			    sym_choice(db, got->v[i].name) == ch) {
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
		if (have && cmp_values(want, g) == 0)
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
