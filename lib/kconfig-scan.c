// SPDX-License-Identifier: GPL-2.0
/*
 * The Kconfig scanner: follows `source` from the top Kconfig file and
 * records each symbol's definitions (type, prompt, `depends on` with the
 * enclosing if/menu/choice conditions) and selectors.  See kconfig.h.
 */
#include "kconfig.h"
#include "kconfig-internal.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* How deep `source` statements nest (the kernel's go 4 deep). */
#define SCAN_MAX_DEPTH 64

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
	/* The files being read, outermost first: a file that sources itself is not read again. */
	struct { dev_t dev; ino_t ino; } open[SCAN_MAX_DEPTH + 1];
	size_t nopen;
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

const char *kconfig_skip_ws(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return s;
}

/* After a quoted prompt string: return the position past it, or NULL. */
const char *kconfig_skip_string(const char *s)
{
	s = kconfig_skip_ws(s);
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
	s = kconfig_skip_ws(s);
	if (*s != '"' && *s != '\'') {
		const char *e = s;
		while (*e && !isspace((unsigned char)*e))
			e++;
		return xstrndup(s, (size_t)(e - s));
	}
	const char *e = kconfig_skip_string(s);
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
	const char *after = kconfig_skip_string(rest);
	if (after) {
		def->prompt = true;
		after = kconfig_skip_ws(after);
		if (!strncmp(after, "if", 2) && isspace((unsigned char)after[2])) {
			free(def->prompt_if);
			def->prompt_if = xstrdup(kconfig_skip_ws(after + 2));
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
	rest = kconfig_skip_ws(rest);
	if (!strcmp(kw, "config") || !strcmp(kw, "menuconfig")) {
		finish_entry(sc);
		char *name = next_word(&rest);
		if (name && kconfig_valid_name(name)) {
			struct kconfig_sym *s = kconfig_db_get(sc->db, name);
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
			const char *expr = kconfig_skip_ws(rest);
			if (sc->sym)
				strvec_push(&sc->own_depends, expr);
			else if (sc->cur_frame)
				strvec_push(&sc->cur_frame->depends, expr);
		}
		free(on);
	} else if (!strcmp(kw, "select")) {
		char *target = next_word(&rest);
		if (sc->sym && target && kconfig_valid_name(target)) {
			const char *cond = kconfig_skip_ws(rest);
			char *by = xstrdup(sc->sym->name);
			struct kconfig_sym *t = kconfig_db_get(sc->db, target);
			if (!strncmp(cond, "if", 2) && isspace((unsigned char)cond[2]))
				strvec_pushf(&t->selected_by, "%s if %s", by, kconfig_skip_ws(cond + 2));
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

/* Is the file st already being read (a recursive `source`, which kconfig refuses)? */
static bool on_stack(const struct scan *sc, const struct stat *st)
{
	for (size_t i = 0; i < sc->nopen; i++)
		if (sc->open[i].dev == st->st_dev && sc->open[i].ino == st->st_ino)
			return true;
	return false;
}

static void scan_file(struct scan *sc, const char *rel, int depth)
{
	struct sbuf text = SBUF_INIT;
	char *path = path_join(sc->srcdir, rel);
	bool help = false;
	unsigned help_indent = 0, lineno = 0;
	int help_first = 0;
	struct sbuf line = SBUF_INIT;

	struct stat st;

	if (depth > SCAN_MAX_DEPTH || stat(path, &st) || on_stack(sc, &st) || read_file(path, &text)) {
		free(path);
		sbuf_release(&text);
		return;
	}
	free(path);
	sc->open[sc->nopen].dev = st.st_dev;
	sc->open[sc->nopen].ino = st.st_ino;
	sc->nopen++;
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
			if (!*kconfig_skip_ws(s))
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
		if (!*kconfig_skip_ws(s))
			continue;
		handle_line(sc, s, rel, start, depth, &help);
	}
	/* An entry does not span files. */
	finish_entry(sc);
	sc->nopen--;
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

