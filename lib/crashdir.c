// SPDX-License-Identifier: GPL-2.0
/* Crash directories under <cache>/crashes: create, save, load, find the newest. */
#include "crashdir.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "instance.h"
#include "meta.h"

#define STAMP_LEN 16	/* 20240131T120000Z */

static const char *const kinds[] = {
	"panic", "oops", "bug", "warn", "soft-lockup", "hard-lockup", "hung-task", "hang",
};

bool crashdir_kind_valid(const char *kind)
{
	for (size_t i = 0; kind && i < ARRAY_SIZE(kinds); i++)
		if (!strcmp(kind, kinds[i]))
			return true;
	return false;
}

char *crashdir_root(void)
{
	char *cache = cache_dir();
	char *root = path_join(cache, "crashes");

	free(cache);
	return root;
}

int crashdir_create(const char *name, char **dir)
{
	char stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	char *root;
	int r;

	if (!name || !instance_name_valid(name))
		return -EINVAL;
	if (!gmtime_r(&now, &tm) || !strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm))
		return -EINVAL;
	root = crashdir_root();
	r = mkdir_p(root, 0700);
	for (int n = 1; !r && n < 1000; n++) {
		char *d = n == 1 ? xasprintf("%s/%s-%s", root, name, stamp) :
				   xasprintf("%s/%s-%s-%d", root, name, stamp, n);
		if (mkdir(d, 0700) == 0) {
			char *abs = abspath(d);
			free(d);
			free(root);
			*dir = abs;
			return 0;
		}
		r = errno == EEXIST ? 0 : -errno;
		free(d);
	}
	free(root);
	return r ? r : -EEXIST;
}

/* Set O's KEY to V; V NULL (json_string() of text that is not UTF-8) marks the object bad. */
static void set(json_t *o, const char *key, json_t *v, bool *bad)
{
	if (!v)
		*bad = true;
	else
		json_object_set_new(o, key, v);
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

int crashdir_save(const char *dir, const struct crashdir *cd)
{
	json_t *o, *mods;
	bool bad = false;
	char *path;
	int r;

	if (!cd->name || !*cd->name || (cd->kind && !crashdir_kind_valid(cd->kind)))
		return -EINVAL;
	o = json_object();
	mods = json_array();
	for (size_t i = 0; i < cd->modules.n; i++) {
		json_t *m = json_string(cd->modules.v[i]);
		if (!m)
			bad = true;
		else
			json_array_append_new(mods, m);
	}
	set(o, "name", json_string(cd->name), &bad);
	set(o, "kind", str_or_null(cd->kind), &bad);
	set(o, "time", json_integer(cd->time), &bad);
	set(o, "vmlinux", str_or_null(cd->vmlinux), &bad);
	set(o, "kernel", str_or_null(cd->kernel), &bad);
	set(o, "release", str_or_null(cd->release), &bad);
	set(o, "modules", mods, &bad);
	set(o, "vmcore", str_or_null(cd->vmcore), &bad);
	set(o, "format", str_or_null(cd->format), &bad);
	if (bad) {
		json_decref(o);
		return -EILSEQ;
	}
	path = path_join(dir, CRASHDIR_META);
	r = meta_write_atomic(path, o, 0600);
	free(path);
	json_decref(o);
	return r;
}

/* KEY of O: 0 and *out (malloc'd, NULL for null/absent), -EINVAL for another type. */
static int get_str(const json_t *o, const char *key, char **out)
{
	const json_t *v = json_object_get(o, key);

	*out = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -EINVAL;
	*out = xstrdup(json_string_value(v));
	return 0;
}

/* A path recorded in meta.json: absolute, or relative to the directory. */
static void anchor(char **p, const char *dir)
{
	if (*p && **p != '/') {
		char *a = path_join(dir, *p);
		free(*p);
		*p = a;
	}
}

int crashdir_load(const char *dir, struct crashdir *out)
{
	struct crashdir cd = { 0 };
	char *path = path_join(dir, CRASHDIR_META);
	const json_t *v;
	json_t *o;
	int r = meta_read(path, &o);

	free(path);
	if (r)
		return r;
	r = get_str(o, "name", &cd.name);
	if (!r)
		r = get_str(o, "kind", &cd.kind);
	if (!r)
		r = get_str(o, "vmlinux", &cd.vmlinux);
	if (!r)
		r = get_str(o, "kernel", &cd.kernel);
	if (!r)
		r = get_str(o, "release", &cd.release);
	if (!r)
		r = get_str(o, "vmcore", &cd.vmcore);
	if (!r)
		r = get_str(o, "format", &cd.format);
	if (!r && !cd.name)
		r = -EINVAL;
	v = json_object_get(o, "time");
	if (!r && v && !json_is_null(v)) {
		if (!json_is_integer(v))
			r = -EINVAL;
		else
			cd.time = json_integer_value(v);
	}
	v = json_object_get(o, "modules");
	if (!r && v && !json_is_null(v)) {
		size_t i;
		json_t *m;
		if (!json_is_array(v))
			r = -EINVAL;
		json_array_foreach(v, i, m) {
			if (r || !json_is_string(m)) {
				r = -EINVAL;
				break;
			}
			strvec_push(&cd.modules, json_string_value(m));
		}
	}
	json_decref(o);
	if (r) {
		crashdir_free(&cd);
		return r;
	}
	cd.dir = abspath(dir);
	anchor(&cd.vmcore, cd.dir);
	anchor(&cd.vmlinux, cd.dir);
	*out = cd;
	return 0;
}

void crashdir_free(struct crashdir *cd)
{
	free(cd->dir);
	free(cd->name);
	free(cd->kind);
	free(cd->vmlinux);
	free(cd->kernel);
	free(cd->release);
	strvec_clear(&cd->modules);
	free(cd->vmcore);
	free(cd->format);
	memset(cd, 0, sizeof(*cd));
}

/*
 * Does ENTRY name a crash directory ("NAME-YYYYmmddTHHMMSSZ" or "...-N") of
 * NAME (any name when NULL)?  *stamp points at its time, *seq gets N (1).
 */
static bool parse_entry(const char *entry, const char *name, const char **stamp, unsigned long *seq)
{
	size_t len = strlen(entry);

	*seq = 1;
	/* Try with no suffix, then with "-N". */
	for (int pass = 0; pass < 2; pass++) {
		size_t end = len;
		if (pass == 1) {
			const char *dash = strrchr(entry, '-');
			if (!dash || !dash[1] || strspn(dash + 1, "0123456789") != strlen(dash + 1) ||
			    strlen(dash + 1) > 6)
				return false;
			*seq = strtoul(dash + 1, NULL, 10);
			end = (size_t)(dash - entry);
		}
		if (end < STAMP_LEN + 2 || entry[end - STAMP_LEN - 1] != '-')
			continue;
		const char *s = entry + end - STAMP_LEN;
		bool ok = s[8] == 'T' && s[15] == 'Z';
		for (int i = 0; ok && i < 15; i++)
			if (i != 8 && !isdigit((unsigned char)s[i]))
				ok = false;
		if (!ok)
			continue;
		size_t nlen = end - STAMP_LEN - 1;
		if (name && (strlen(name) != nlen || strncmp(entry, name, nlen)))
			return false;
		*stamp = s;
		return true;
	}
	return false;
}

struct entry {
	char *path;
	char stamp[STAMP_LEN + 1];
	unsigned long seq;
};

static int newest_first(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c = strcmp(y->stamp, x->stamp);

	if (c)
		return c;
	if (x->seq != y->seq)
		return x->seq < y->seq ? 1 : -1;
	return strcmp(x->path, y->path);
}

int crashdir_list(const char *name, struct strvec *dirs)
{
	char *root = crashdir_root();
	DIR *d = opendir(root);
	struct entry *e = NULL;
	size_t n = 0;
	struct dirent *de;

	if (!d) {
		int r = errno == ENOENT ? 0 : -errno;
		free(root);
		return r;
	}
	while ((de = readdir(d))) {
		const char *stamp;
		unsigned long seq;
		if (de->d_name[0] == '.' || !parse_entry(de->d_name, name, &stamp, &seq))
			continue;
		char *path = path_join(root, de->d_name);
		char *meta = path_join(path, CRASHDIR_META);
		bool complete = is_dir(path) && is_regular(meta);
		free(meta);
		if (!complete) {
			free(path);
			continue;
		}
		e = xrealloc(e, (n + 1) * sizeof(*e));
		e[n].path = path;
		memcpy(e[n].stamp, stamp, STAMP_LEN);
		e[n].stamp[STAMP_LEN] = '\0';
		e[n].seq = seq;
		n++;
	}
	closedir(d);
	free(root);
	if (n)
		qsort(e, n, sizeof(*e), newest_first);
	for (size_t i = 0; i < n; i++) {
		strvec_push(dirs, e[i].path);
		free(e[i].path);
	}
	free(e);
	return 0;
}

int crashdir_latest(const char *name, char **dir)
{
	struct strvec dirs = STRVEC_INIT;
	int r = crashdir_list(name, &dirs);

	if (!r && !dirs.n)
		r = -ENOENT;
	if (!r)
		*dir = xstrdup(dirs.v[0]);
	strvec_clear(&dirs);
	return r;
}
