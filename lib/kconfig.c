// SPDX-License-Identifier: GPL-2.0
/*
 * .config files and fragments, profiles (configs/NAME.config).  The
 * Kconfig symbol table, scanner, expressions, name mapping and verification
 * live in kconfig-db.c, kconfig-scan.c, kconfig-expr.c, kconfig-names.c and
 * kconfig-verify.c.  See kconfig.h.
 */
#include "kconfig.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

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

