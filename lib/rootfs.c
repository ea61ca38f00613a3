// SPDX-License-Identifier: GPL-2.0
/*
 * The tutorial's root filesystem: BusyBox, its applet links, the
 * directories `mkdir dev sys proc etc lib mnt`, the init scripts -- written
 * as a cpio initramfs (libarchive), an ext3/ext4 image (mke2fs -d, debugfs)
 * or a directory, reproducibly, without root.
 */
#include "rootfs.h"

#include <archive.h>
#include <archive_entry.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "busybox.h"
#include "guest.h"
#include "proc.h"
#include "hash.h"

/* Bump whenever the layout or the writers change what comes out. */
#define ROOTFS_FORMAT_VERSION "kdebug-rootfs-v1"
#define MiB (1ULL << 20)

/* ---- option helpers ---- */

static const char *const format_names[] = {
	[ROOTFS_INITRAMFS] = "initramfs", [ROOTFS_EXT3] = "ext3",
	[ROOTFS_EXT4] = "ext4", [ROOTFS_DIR] = "dir",
};
static const char *const compress_names[] = {
	[ROOTFS_GZIP] = "gzip", [ROOTFS_ZSTD] = "zstd", [ROOTFS_NONE] = "none",
};

int rootfs_parse_format(const char *s, enum rootfs_format *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(format_names); i++)
		if (!strcmp(s, format_names[i])) {
			*out = (enum rootfs_format)i;
			return 0;
		}
	return -EINVAL;
}

int rootfs_parse_compress(const char *s, enum rootfs_compress *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(compress_names); i++)
		if (!strcmp(s, compress_names[i])) {
			*out = (enum rootfs_compress)i;
			return 0;
		}
	return -EINVAL;
}

const char *rootfs_format_name(enum rootfs_format f)
{
	return (size_t)f < ARRAY_SIZE(format_names) ? format_names[f] : "?";
}

const char *rootfs_default_output(enum rootfs_format f, enum rootfs_compress c)
{
	switch (f) {
	case ROOTFS_EXT3:
	case ROOTFS_EXT4:
		return "rootfs.img";
	case ROOTFS_DIR:
		return "rootfs.d";
	case ROOTFS_INITRAMFS:
		break;
	}
	return c == ROOTFS_ZSTD ? "rootfs.cpio.zst" : c == ROOTFS_NONE ? "rootfs.cpio"
								  : "rootfs.cpio.gz";
}

int rootfs_epoch(long long *out, struct sbuf *why)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long v;

	if (!s || !*s) {
		*out = 0;
		return 0;
	}
	errno = 0;
	v = strtoll(s, &end, 10);
	if (!isdigit((unsigned char)*s) || *end || errno || v > 0xffffffffLL) {
		if (why)
			sbuf_addf(why, "SOURCE_DATE_EPOCH='%s' is not a number of seconds since 1970", s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

/*
 * "/a//b/" -> "a/b" (root -> ""); NULL when not absolute or when a
 * component is "." or "..", or the path holds a newline.
 */
static char *guest_rel(const char *p)
{
	struct sbuf sb = SBUF_INIT;

	if (p[0] != '/' || strchr(p, '\n'))
		return NULL;
	while (*p) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		const char *end = strchrnul(p, '/');
		size_t len = (size_t)(end - p);
		if ((len == 1 && p[0] == '.') || (len == 2 && p[0] == '.' && p[1] == '.')) {
			sbuf_release(&sb);
			return NULL;
		}
		if (sb.len)
			sbuf_addch(&sb, '/');
		sbuf_add(&sb, p, len);
		p = end;
	}
	return sbuf_detach(&sb);
}

int rootfs_parse_add(const char *spec, struct rootfs_add *out, struct sbuf *why)
{
	const char *colon = strrchr(spec, ':');
	char *host, *guest, *rel;
	struct stat st;

	host = colon ? xstrndup(spec, (size_t)(colon - spec)) : xstrdup(spec);
	if (!*host) {
		sbuf_addf(why, "--add '%s' has an empty HOST part; use --add HOST[:GUEST]", spec);
		free(host);
		return -EINVAL;
	}
	if (colon && !colon[1]) {
		sbuf_addf(why, "--add '%s' has an empty GUEST part; use --add HOST[:GUEST] "
			  "with an absolute GUEST path", spec);
		free(host);
		return -EINVAL;
	}
	if (stat(host, &st) < 0) {
		sbuf_addf(why, "--add '%s': cannot use '%s': %s", spec, host, strerror(errno));
		free(host);
		return -EINVAL;
	}
	if (strchr(host, '\n')) {
		sbuf_addf(why, "--add: HOST path has a newline");
		free(host);
		return -EINVAL;
	}
	if (colon) {
		guest = xstrdup(colon + 1);
	} else {
		char *copy = xstrdup(host);
		size_t l = strlen(copy);
		while (l > 1 && copy[l - 1] == '/')
			copy[--l] = '\0';
		const char *b = path_basename(copy);
		if (!*b || !strcmp(b, ".") || !strcmp(b, "..") || !strcmp(b, "/")) {
			sbuf_addf(why, "--add '%s' needs a GUEST path (HOST has no usable name); "
				  "use --add HOST:/GUEST", spec);
			free(copy);
			free(host);
			return -EINVAL;
		}
		guest = xasprintf("/root/%s", b);
		free(copy);
	}
	rel = guest_rel(guest);
	if (!rel) {
		sbuf_addf(why, "--add '%s': GUEST '%s' must be an absolute path without "
			  "'.' or '..' components", spec, guest);
		free(host);
		free(guest);
		return -EINVAL;
	}
	if (!*rel && !S_ISDIR(st.st_mode)) {
		sbuf_addf(why, "--add '%s': only a directory can be merged into '/'", spec);
		free(rel);
		free(host);
		free(guest);
		return -EINVAL;
	}
	free(guest);
	out->guest = xasprintf("/%s", rel);
	free(rel);
	out->host = abspath(host);
	free(host);
	return 0;
}

void rootfs_add_release(struct rootfs_add *a)
{
	free(a->host);
	free(a->guest);
	a->host = a->guest = NULL;
}

char *rootfs_rcs_text(const char *const *cmds, size_t n)
{
	struct sbuf sb = SBUF_INIT;
	const char *hook = strstr(guest_rcS, GUEST_RCS_HOOK);

	if (!hook)	/* guest.c lost its marker: append at the end */
		hook = guest_rcS + strlen(guest_rcS);
	sbuf_add(&sb, guest_rcS, (size_t)(hook - guest_rcS));
	for (size_t i = 0; i < n; i++) {
		sbuf_adds(&sb, cmds[i]);
		if (!*cmds[i] || !str_ends_with(cmds[i], "\n"))
			sbuf_addch(&sb, '\n');
	}
	sbuf_adds(&sb, hook);
	return sbuf_detach(&sb);
}

/* ---- the plan ---- */

struct index {
	size_t *slot;	/* entry index + 1; 0 = empty */
	size_t size;	/* power of two */
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static void index_rebuild(struct rootfs_plan *plan, size_t want)
{
	struct index *ix = plan->index;

	if (!ix)
		ix = plan->index = xcalloc(1, sizeof(*ix));
	free(ix->slot);
	ix->size = 64;
	while (ix->size < want * 2)
		ix->size *= 2;
	ix->slot = xcalloc(ix->size, sizeof(*ix->slot));
	for (size_t i = 0; i < plan->n; i++) {
		size_t h = (size_t)hash_str(plan->e[i].path) & (ix->size - 1);
		while (ix->slot[h])
			h = (h + 1) & (ix->size - 1);
		ix->slot[h] = i + 1;
	}
}

static ssize_t plan_lookup(const struct rootfs_plan *plan, const char *path)
{
	const struct index *ix = plan->index;

	if (!ix)
		return -1;
	for (size_t h = (size_t)hash_str(path) & (ix->size - 1); ix->slot[h];
	     h = (h + 1) & (ix->size - 1))
		if (!strcmp(plan->e[ix->slot[h] - 1].path, path))
			return (ssize_t)(ix->slot[h] - 1);
	return -1;
}

const struct rootfs_entry *rootfs_plan_find(const struct rootfs_plan *plan, const char *path)
{
	while (*path == '/')
		path++;
	ssize_t i = plan_lookup(plan, path);
	return i < 0 ? NULL : &plan->e[i];
}

static void entry_release(struct rootfs_entry *e)
{
	free(e->path);
	free(e->target);
	free(e->host);
	free(e->data);
	memset(e, 0, sizeof(*e));
}

void rootfs_plan_release(struct rootfs_plan *plan)
{
	struct index *ix = plan->index;

	for (size_t i = 0; i < plan->n; i++)
		entry_release(&plan->e[i]);
	free(plan->e);
	if (ix)
		free(ix->slot);
	free(ix);
	memset(plan, 0, sizeof(*plan));
}

static const char *type_name(enum rootfs_type t)
{
	switch (t) {
	case ROOTFS_T_DIR: return "a directory";
	case ROOTFS_T_FILE: return "a file";
	case ROOTFS_T_SYMLINK: return "a symlink";
	case ROOTFS_T_CHR: return "a device node";
	}
	return "?";
}

static int plan_put(struct rootfs_plan *plan, struct rootfs_entry *ne, struct sbuf *why);

/* Make sure every parent of rel is a planned directory. */
static int plan_parents(struct rootfs_plan *plan, const char *rel, struct sbuf *why)
{
	for (const char *s = strchr(rel, '/'); s; s = strchr(s + 1, '/')) {
		char *parent = xstrndup(rel, (size_t)(s - rel));
		ssize_t i = plan_lookup(plan, parent);
		int r = 0;
		if (i >= 0 && plan->e[i].type != ROOTFS_T_DIR) {
			sbuf_addf(why, "cannot put '/%s' into the root filesystem: '/%s' is %s, "
				  "not a directory", rel, parent, type_name(plan->e[i].type));
			r = -EINVAL;
		} else if (i < 0) {
			struct rootfs_entry d = { .path = parent, .type = ROOTFS_T_DIR, .mode = 0755 };
			parent = NULL;
			r = plan_put(plan, &d, why);
		}
		free(parent);
		if (r)
			return r;
	}
	return 0;
}

/*
 * Add ne (ownership of its strings passes to the plan, even on error).  An
 * existing directory stays (with its mode) when ne is a directory; any
 * other existing non-directory is replaced; directory <-> non-directory
 * is an error.
 */
static int plan_put(struct rootfs_plan *plan, struct rootfs_entry *ne, struct sbuf *why)
{
	int r = plan_parents(plan, ne->path, why);
	ssize_t i;

	if (r) {
		entry_release(ne);
		return r;
	}
	i = plan_lookup(plan, ne->path);
	if (i >= 0) {
		struct rootfs_entry *old = &plan->e[i];
		if (old->type == ROOTFS_T_DIR && ne->type == ROOTFS_T_DIR) {
			entry_release(ne);
			return 0;
		}
		if ((old->type == ROOTFS_T_DIR) != (ne->type == ROOTFS_T_DIR)) {
			sbuf_addf(why, "cannot put %s at '/%s': it is already %s",
				  type_name(ne->type), ne->path, type_name(old->type));
			entry_release(ne);
			return -EINVAL;
		}
		entry_release(old);
		*old = *ne;
		return 0;
	}
	if (plan->n == plan->alloc) {
		plan->alloc = plan->alloc ? plan->alloc * 2 : 512;
		plan->e = xrealloc(plan->e, plan->alloc * sizeof(*plan->e));
	}
	plan->e[plan->n++] = *ne;
	if (!plan->index || plan->n * 2 > ((struct index *)plan->index)->size)
		index_rebuild(plan, plan->n * 2);
	else {
		struct index *ix = plan->index;
		size_t h = (size_t)hash_str(ne->path) & (ix->size - 1);
		while (ix->slot[h])
			h = (h + 1) & (ix->size - 1);
		ix->slot[h] = plan->n;
	}
	return 0;
}

static int put_dir(struct rootfs_plan *plan, const char *path, unsigned mode, struct sbuf *why)
{
	struct rootfs_entry e = { .path = xstrdup(path), .type = ROOTFS_T_DIR, .mode = mode };
	return plan_put(plan, &e, why);
}

static int put_data(struct rootfs_plan *plan, const char *path, const char *data, size_t len,
		    unsigned mode, struct sbuf *why)
{
	struct rootfs_entry e = { .path = xstrdup(path), .type = ROOTFS_T_FILE, .mode = mode,
				  .data = xmalloc(len + 1), .len = len };
	memcpy(e.data, data, len);
	e.data[len] = '\0';
	return plan_put(plan, &e, why);
}

static int put_symlink(struct rootfs_plan *plan, const char *path, const char *target,
		       struct sbuf *why)
{
	struct rootfs_entry e = { .path = xstrdup(path), .type = ROOTFS_T_SYMLINK,
				  .mode = 0777, .target = xstrdup(target) };
	return plan_put(plan, &e, why);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_dots(const struct dirent *d)
{
	return strcmp(d->d_name, ".") && strcmp(d->d_name, "..");
}

/* Copy a host file or tree in: files and dirs keep their permission bits. */
static int plan_add_host(struct rootfs_plan *plan, const char *host, const char *rel,
			 bool top, struct sbuf *why)
{
	struct stat st;
	int r = 0;

	if ((top ? stat(host, &st) : lstat(host, &st)) < 0) {
		sbuf_addf(why, "cannot add '%s': %s", host, strerror(errno));
		return -EINVAL;
	}
	if (strchr(host, '\n')) {
		sbuf_addf(why, "cannot add '%s': newline in a file name", host);
		return -EINVAL;
	}
	if (S_ISDIR(st.st_mode)) {
		struct dirent **list = NULL;
		int n;
		if (*rel) {
			r = put_dir(plan, rel, st.st_mode & 07777, why);
			if (r)
				return r;
		}
		n = scandir(host, &list, skip_dots, by_name);
		if (n < 0) {
			sbuf_addf(why, "cannot add '%s': %s", host, strerror(errno));
			return -EINVAL;
		}
		for (int i = 0; i < n; i++) {
			if (!r) {
				char *h = path_join(host, list[i]->d_name);
				char *g = *rel ? xasprintf("%s/%s", rel, list[i]->d_name)
					       : xstrdup(list[i]->d_name);
				r = plan_add_host(plan, h, g, false, why);
				free(h);
				free(g);
			}
			free(list[i]);
		}
		free(list);
		return r;
	}
	if (S_ISREG(st.st_mode)) {
		struct rootfs_entry e = { .path = xstrdup(rel), .type = ROOTFS_T_FILE,
					  .mode = st.st_mode & 07777, .host = xstrdup(host) };
		return plan_put(plan, &e, why);
	}
	if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t l = readlink(host, target, sizeof(target) - 1);
		if (l < 0) {
			sbuf_addf(why, "cannot add '%s': %s", host, strerror(errno));
			return -EINVAL;
		}
		target[l] = '\0';
		return put_symlink(plan, rel, target, why);
	}
	sbuf_addf(why, "cannot add '%s': only files, directories and symlinks can be added", host);
	return -EINVAL;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct rootfs_entry *)a)->path,
		      ((const struct rootfs_entry *)b)->path);
}

/* "busybox" for "bin/x", "../../bin/busybox" for "usr/bin/x": relative links. */
static char *applet_target(const char *rel)
{
	struct sbuf sb = SBUF_INIT;

	if (str_starts_with(rel, "bin/") && !strchr(rel + 4, '/'))
		return xstrdup("busybox");
	for (const char *s = rel; *s; s++)
		if (*s == '/')
			sbuf_adds(&sb, "../");
	sbuf_adds(&sb, "bin/busybox");
	return sbuf_detach(&sb);
}

int rootfs_plan_make(struct rootfs_plan *plan, const struct rootfs_opts *o,
		     const char *busybox, const char *applets, struct sbuf *why)
{
	static const struct { const char *path; unsigned mode; } dirs[] = {
		/* The tutorial's `mkdir dev sys proc etc lib mnt`, plus what init needs
		 * (run: a Debian initrd moves its /run there when it switches root). */
		{ "bin", 0755 }, { "sbin", 0755 }, { "dev", 0755 }, { "sys", 0555 },
		{ "proc", 0555 }, { "etc", 0755 }, { "lib", 0755 }, { "mnt", 0755 },
		{ "tmp", 01777 }, { "root", 0700 }, { "run", 0755 }, { "usr", 0755 },
		{ "usr/bin", 0755 }, { "usr/sbin", 0755 }, { "etc/init.d", 0755 },
		{ "etc/kdebug", 0755 }, { "etc/kdebug/rc.d", 0755 },
		{ "etc/acpi", 0755 }, { "etc/acpi/PWRF", 0755 },
	};
	struct rootfs_plan p = { 0 };
	char *rcs = NULL;
	int r = 0;

	for (size_t i = 0; i < ARRAY_SIZE(dirs) && !r; i++)
		r = put_dir(&p, dirs[i].path, dirs[i].mode, why);
	if (!r) {
		struct rootfs_entry e = { .path = xstrdup("bin/busybox"), .type = ROOTFS_T_FILE,
					  .mode = 0755, .host = xstrdup(busybox) };
		r = plan_put(&p, &e, why);
	}

	/* One symlink per line of `busybox --list-full`. */
	for (const char *s = applets; s && *s && !r;) {
		const char *end = strchrnul(s, '\n');
		char *line = xstrndup(s, (size_t)(end - s));
		s = *end ? end + 1 : end;
		size_t l = strlen(line);
		while (l && isspace((unsigned char)line[l - 1]))
			line[--l] = '\0';
		if (!l) {
			free(line);
			continue;
		}
		char *abs = xasprintf("/%s", line[0] == '/' ? line + 1 : line);
		char *rel = guest_rel(abs);
		if (!rel || !*rel) {
			sbuf_addf(why, "'%s --list-full' printed an unusable applet path '%s'",
				  busybox, line);
			r = -EINVAL;
		} else if (strcmp(rel, "bin/busybox")) {
			ssize_t i = plan_lookup(&p, rel);
			if (i < 0 || p.e[i].type != ROOTFS_T_DIR) {
				char *t = applet_target(rel);
				r = put_symlink(&p, rel, t, why);
				free(t);
			}
		}
		free(rel);
		free(abs);
		free(line);
	}
	/* What `make install` adds, and /init so that no rdinit= is needed. */
	if (!r)
		r = put_symlink(&p, "linuxrc", "bin/busybox", why);
	if (!r && plan_lookup(&p, "init") < 0) {
		if (plan_lookup(&p, "sbin/init") >= 0)
			r = put_symlink(&p, "init", "sbin/init", why);
		else if (plan_lookup(&p, "bin/init") >= 0)
			r = put_symlink(&p, "init", "bin/init", why);
	}
	if (!r) {
		struct rootfs_entry con = { .path = xstrdup("dev/console"), .type = ROOTFS_T_CHR,
					    .mode = 0600, .major = 5, .minor = 1 };
		struct rootfs_entry null = { .path = xstrdup("dev/null"), .type = ROOTFS_T_CHR,
					     .mode = 0666, .major = 1, .minor = 3 };
		r = plan_put(&p, &con, why);
		if (!r)
			r = plan_put(&p, &null, why);
	}

	/* kdebug's guest side (lib/guest.h). */
	rcs = rootfs_rcs_text(o ? o->init_cmds : NULL, o ? o->n_init_cmds : 0);
	const struct { const char *path; const char *text; unsigned mode; } files[] = {
		{ "etc/inittab", guest_inittab, 0644 },
		{ "etc/init.d/rcS", rcs, 0755 },
		{ "etc/fstab", guest_fstab, 0644 },
		{ "etc/passwd", guest_passwd, 0644 },
		{ "etc/group", guest_group, 0644 },
		{ "etc/hostname", guest_hostname, 0644 },
		{ "etc/profile", guest_profile, 0644 },
		{ GUEST_EXEC_AGENT + 1, guest_exec_agent, 0755 },
		{ GUEST_UDHCPC_SCRIPT + 1, guest_udhcpc_script, 0755 },
		{ GUEST_CONSOLE + 1, guest_console, 0755 },
		{ GUEST_SHUTDOWN + 1, guest_shutdown, 0755 },
		{ GUEST_ACPI_POWER + 1, guest_acpi_power, 0755 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(files) && !r; i++)
		r = put_data(&p, files[i].path, files[i].text, strlen(files[i].text),
			     files[i].mode, why);

	for (size_t i = 0; o && i < o->n_files && !r; i++) {
		char *rel = guest_rel(o->files[i].guest);
		if (!rel || !*rel) {
			sbuf_addf(why, "bad guest path '%s'", o->files[i].guest);
			r = -EINVAL;
		} else {
			r = put_data(&p, rel, o->files[i].data, o->files[i].len,
				     o->files[i].mode & 07777, why);
		}
		free(rel);
	}
	for (size_t i = 0; o && i < o->n_adds && !r; i++) {
		char *rel = guest_rel(o->adds[i].guest);
		if (!rel) {
			sbuf_addf(why, "bad guest path '%s'", o->adds[i].guest);
			r = -EINVAL;
		} else {
			r = plan_add_host(&p, o->adds[i].host, rel, true, why);
		}
		free(rel);
	}
	free(rcs);
	if (r) {
		rootfs_plan_release(&p);
		return r;
	}
	qsort(p.e, p.n, sizeof(*p.e), cmp_entry);
	index_rebuild(&p, p.n);
	rootfs_plan_release(plan);
	*plan = p;
	return 0;
}

/* ---- cpio (initramfs) ---- */

struct archive_sink {
	struct archive *a;
	bool failed;		/* the archive refused data (not a read error) */
};

static int archive_chunk(void *arg, const void *data, size_t n)
{
	struct archive_sink *k = arg;

	if (archive_write_data(k->a, data, n) == (la_ssize_t)n)
		return 0;
	k->failed = true;
	return -EIO;
}

static int write_entry_data(struct archive *a, const struct rootfs_entry *e,
			    struct sbuf *why)
{
	if (!e->host)
		return archive_write_data(a, e->data, e->len) == (la_ssize_t)e->len ? 0 : -EIO;
	struct archive_sink k = { .a = a };
	int r = read_path_chunks(e->host, archive_chunk, &k);
	if (r && k.failed)
		sbuf_addf(why, "cannot write the archive: %s", archive_error_string(a));
	else if (r)
		sbuf_addf(why, "cannot read '%s': %s", e->host, strerror(-r));
	return r;
}

int rootfs_write_cpio(const struct rootfs_plan *plan, const char *path,
		      enum rootfs_compress c, long long epoch, struct sbuf *why)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	int r = 0;

	if (!a || !e)
		abort();
	archive_write_set_format_cpio_newc(a);
	if (c == ROOTFS_GZIP) {
		r = archive_write_add_filter_gzip(a);
		/* No timestamp in the gzip header: same input, same bytes. */
		if (r == ARCHIVE_OK)
			r = archive_write_set_filter_option(a, "gzip", "timestamp", NULL);
	} else if (c == ROOTFS_ZSTD) {
		r = archive_write_add_filter_zstd(a);
	}
	if (r != ARCHIVE_OK) {
		sbuf_addf(why, "libarchive cannot compress with %s: %s", compress_names[c],
			  archive_error_string(a));
		r = -ENOTSUP;
		goto out;
	}
	archive_write_set_bytes_in_last_block(a, 1);	/* no zero padding */
	if (archive_write_open_filename(a, path) != ARCHIVE_OK) {
		sbuf_addf(why, "cannot write '%s': %s", path, archive_error_string(a));
		r = -EIO;
		goto out;
	}
	for (size_t i = 0; i < plan->n; i++) {
		const struct rootfs_entry *pe = &plan->e[i];
		struct stat st;
		archive_entry_clear(e);
		archive_entry_set_pathname(e, pe->path);
		archive_entry_set_uid(e, 0);
		archive_entry_set_gid(e, 0);
		archive_entry_set_mtime(e, (time_t)epoch, 0);
		archive_entry_set_ino64(e, (la_int64_t)i + 1);
		archive_entry_set_nlink(e, pe->type == ROOTFS_T_DIR ? 2 : 1);
		archive_entry_set_size(e, 0);
		switch (pe->type) {
		case ROOTFS_T_DIR:
			archive_entry_set_mode(e, AE_IFDIR | pe->mode);
			break;
		case ROOTFS_T_SYMLINK:
			archive_entry_set_mode(e, AE_IFLNK | 0777);
			archive_entry_set_symlink(e, pe->target);
			break;
		case ROOTFS_T_CHR:
			archive_entry_set_mode(e, AE_IFCHR | pe->mode);
			archive_entry_set_rdevmajor(e, pe->major);
			archive_entry_set_rdevminor(e, pe->minor);
			break;
		case ROOTFS_T_FILE:
			archive_entry_set_mode(e, AE_IFREG | pe->mode);
			if (pe->host) {
				if (stat(pe->host, &st) < 0) {
					r = -errno;
					sbuf_addf(why, "cannot read '%s': %s", pe->host, strerror(-r));
					goto out;
				}
				archive_entry_set_size(e, st.st_size);
			} else {
				archive_entry_set_size(e, (la_int64_t)pe->len);
			}
			break;
		}
		if (archive_write_header(a, e) != ARCHIVE_OK) {
			sbuf_addf(why, "cannot write '%s': %s", path, archive_error_string(a));
			r = -EIO;
			goto out;
		}
		if (pe->type == ROOTFS_T_FILE) {
			r = write_entry_data(a, pe, why);
			if (r) {
				if (!why->len)
					sbuf_addf(why, "cannot write '%s': %s", path,
						  archive_error_string(a));
				goto out;
			}
		}
	}
	if (archive_write_close(a) != ARCHIVE_OK) {
		sbuf_addf(why, "cannot write '%s': %s", path, archive_error_string(a));
		r = -EIO;
	}
out:
	archive_entry_free(e);
	archive_write_free(a);
	return r;
}

/* ---- a plan as a directory tree (dir format; ext staging) ---- */

static int stage_tree(const struct rootfs_plan *plan, const char *root, bool devices,
		      bool exact, long long epoch, struct sbuf *why)
{
	int r = 0;

	for (size_t i = 0; i < plan->n && !r; i++) {
		const struct rootfs_entry *e = &plan->e[i];
		char *p = path_join(root, e->path);
		switch (e->type) {
		case ROOTFS_T_DIR:
			if (mkdir(p, 0700) < 0)
				r = -errno;
			break;
		case ROOTFS_T_FILE:
			r = e->host ? copy_file(e->host, p, 0600) : write_file(p, e->data, e->len, 0600);
			break;
		case ROOTFS_T_SYMLINK:
			if (symlink(e->target, p) < 0)
				r = -errno;
			break;
		case ROOTFS_T_CHR:
			if (devices && mknod(p, S_IFCHR | 0600, makedev(e->major, e->minor)) < 0)
				r = -errno;
			break;
		}
		if (r)
			sbuf_addf(why, "cannot create '%s': %s", p, strerror(-r));
		free(p);
	}
	/* Modes and times bottom-up, so that a read-only dir is filled first. */
	for (size_t i = plan->n; i-- > 0 && !r;) {
		const struct rootfs_entry *e = &plan->e[i];
		char *p = path_join(root, e->path);
		struct timespec ts[2] = { { .tv_sec = epoch }, { .tv_sec = epoch } };
		unsigned mode = e->mode;
		if (!exact)
			mode |= e->type == ROOTFS_T_DIR ? 0700 : 0600;
		if (e->type == ROOTFS_T_CHR && !devices) {
			free(p);
			continue;
		}
		if (e->type != ROOTFS_T_SYMLINK && chmod(p, mode) < 0)
			r = -errno;
		if (!r && utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW) < 0)
			r = -errno;
		if (r)
			sbuf_addf(why, "cannot set the mode or time of '%s': %s", p, strerror(-r));
		free(p);
	}
	if (!r) {
		struct timespec ts[2] = { { .tv_sec = epoch }, { .tv_sec = epoch } };
		if (chmod(root, 0755) < 0 || utimensat(AT_FDCWD, root, ts, 0) < 0) {
			r = -errno;
			sbuf_addf(why, "cannot set the mode of '%s': %s", root, strerror(-r));
		}
	}
	return r;
}

/* ---- ext3/ext4 ---- */

struct ext_job {
	const char *fstype;	/* ext3 / ext4 */
	const char *image;	/* temp file in the output's directory */
	const char *stage;	/* staged tree */
	const char *script;	/* debugfs command file */
	char uuid[37], seed[37];
	char fake_time[24];
};

static void uuid_from(const unsigned char *h, char out[37])
{
	unsigned char u[16];

	memcpy(u, h, 16);
	u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);	/* version 4 layout */
	u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11],
		 u[12], u[13], u[14], u[15]);
}

/* Run a tool with fixed time and C messages; capture stderr. */
static int run_tool(const char *const *argv, const struct ext_job *x, struct sbuf *err, int *code)
{
	struct proc p;

	proc_init(&p);
	strvec_pushv(&p.args, argv);
	strvec_pushf(&p.env, "E2FSPROGS_FAKE_TIME=%s", x ? x->fake_time : "1");
	strvec_push(&p.env, "LC_ALL=C");
	p.out = PROC_NULL;
	return proc_capture(&p, NULL, err, 65536, code);
}

/* First line of text that is not the e2fsprogs version banner. */
static char *first_message(const char *text)
{
	for (const char *s = text; *s;) {
		const char *end = strchrnul(s, '\n');
		size_t len = (size_t)(end - s);
		bool banner = (str_starts_with(s, "debugfs ") || str_starts_with(s, "mke2fs ")) &&
			      memchr(s, '(', len);
		if (len && !banner)
			return xstrndup(s, len);
		s = *end ? end + 1 : end;
	}
	return NULL;
}

/*
 * One attempt at an image of size bytes: 0, -ENOSPC when the content (or a
 * journal) does not fit, -EIO with *msg on other tool failures.
 */
static int ext_try(const struct ext_job *x, unsigned long long size, char **msg)
{
	struct sbuf err = SBUF_INIT;
	int fd, r, code = 0;
	char *m = NULL;

	*msg = NULL;
	fd = open(x->image, O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = ftruncate(fd, (off_t)size) < 0 ? -errno : 0;	/* sparse: no dd */
	close(fd);
	if (r) {
		*msg = xasprintf("cannot size '%s' to %llu bytes: %s", x->image, size, strerror(-r));
		return r == -EFBIG ? -EINVAL : r;
	}
	char *ext_opts = xasprintf("hash_seed=%s,root_owner=0:0", x->seed);
	const char *const mkfs[] = { "mke2fs", "-q", "-F", "-t", x->fstype, "-I", "256",
				     "-U", x->uuid, "-E", ext_opts, "-d", x->stage,
				     x->image, NULL };
	r = run_tool(mkfs, x, &err, &code);
	free(ext_opts);
	if (r) {
		*msg = xasprintf(r == -ENOENT ? "cannot run 'mke2fs': not found; install e2fsprogs"
				 : "cannot run 'mke2fs': %s", strerror(-r));
		goto out;
	}
	if (code || strstr(sbuf_str(&err), "too small for a journal")) {
		m = first_message(sbuf_str(&err));
		*msg = xasprintf("mke2fs failed: %s", m ? m : "(no message)");
		r = code ? -EIO : -ENOSPC;
		goto out;
	}
	sbuf_reset(&err);
	const char *const debugfs[] = { "debugfs", "-w", "-f", x->script, x->image, NULL };
	r = run_tool(debugfs, x, &err, &code);
	if (r) {
		*msg = xasprintf(r == -ENOENT ? "cannot run 'debugfs': not found; install e2fsprogs"
				 : "cannot run 'debugfs': %s", strerror(-r));
		goto out;
	}
	m = first_message(sbuf_str(&err));
	if (code || m) {
		*msg = xasprintf("debugfs failed: %s", m ? m : "(no message)");
		r = -EIO;
	}
out:
	free(m);
	sbuf_release(&err);
	return r;
}

static void debugfs_quote(struct sbuf *sb, const char *rel)
{
	sbuf_addf(sb, "\"/%s\"", rel);
}

static int debugfs_script(const struct rootfs_plan *plan, long long epoch, struct sbuf *sb,
			  struct sbuf *why)
{
	for (size_t i = 0; i < plan->n; i++) {
		const struct rootfs_entry *e = &plan->e[i];
		if (strpbrk(e->path, "\"\\")) {
			sbuf_addf(why, "cannot put '/%s' into an ext image: debugfs cannot quote "
				  "'\"' or '\\' in names", e->path);
			return -EINVAL;
		}
		if (e->type != ROOTFS_T_CHR)
			continue;
		char *dir = path_dirname(e->path);
		sbuf_adds(sb, "cd ");
		debugfs_quote(sb, strcmp(dir, ".") ? dir : "");
		sbuf_addf(sb, "\nmknod \"%s\" c %u %u\n", path_basename(e->path), e->major, e->minor);
		free(dir);
	}
	sbuf_adds(sb, "cd /\n");
	for (size_t i = 0; i <= plan->n + 1; i++) {
		const char *rel;
		unsigned mode;
		if (i < plan->n) {
			const struct rootfs_entry *e = &plan->e[i];
			rel = e->path;
			mode = e->mode | (e->type == ROOTFS_T_DIR ? S_IFDIR :
					  e->type == ROOTFS_T_SYMLINK ? S_IFLNK :
					  e->type == ROOTFS_T_CHR ? S_IFCHR : S_IFREG);
		} else if (i == plan->n) {
			rel = "";
			mode = S_IFDIR | 0755;
		} else {
			rel = "lost+found";
			mode = S_IFDIR | 0700;
		}
		static const char *const fields[] = { "atime", "mtime", "ctime", "crtime" };
		sbuf_adds(sb, "sif ");
		debugfs_quote(sb, rel);
		sbuf_addf(sb, " mode 0%o\n", mode);
		sbuf_adds(sb, "sif ");
		debugfs_quote(sb, rel);
		sbuf_adds(sb, " uid 0\nsif ");
		debugfs_quote(sb, rel);
		sbuf_adds(sb, " gid 0\n");
		for (size_t f = 0; f < ARRAY_SIZE(fields); f++) {
			sbuf_adds(sb, "sif ");
			debugfs_quote(sb, rel);
			sbuf_addf(sb, " %s @%lld\n", fields[f], epoch);
		}
	}
	return 0;
}

/* Bytes the content needs at least (for the size search's upper bound). */
static unsigned long long content_estimate(const struct rootfs_plan *plan)
{
	unsigned long long total = 0;

	for (size_t i = 0; i < plan->n; i++) {
		const struct rootfs_entry *e = &plan->e[i];
		unsigned long long sz = 0;
		struct stat st;
		if (e->type == ROOTFS_T_FILE)
			sz = e->host ? (stat(e->host, &st) == 0 ? (unsigned long long)st.st_size : 0)
				     : e->len;
		total += (sz + 4095) / 4096 * 4096 + 4096;
	}
	return total;
}

static int write_ext(const struct rootfs_plan *plan, const struct rootfs_opts *o,
		     const char *image, const char *stage, const char *script_path,
		     const unsigned char *digest, long long epoch, struct sbuf *why)
{
	struct ext_job x = {
		.fstype = o->format == ROOTFS_EXT4 ? "ext4" : "ext3",
		.image = image, .stage = stage, .script = script_path,
	};
	unsigned long long size = o->size ? o->size : ROOTFS_DEFAULT_SIZE;
	struct sbuf script = SBUF_INIT;
	char *msg = NULL;
	int r;

	uuid_from(digest, x.uuid);
	uuid_from(digest + 16, x.seed);
	/* E2FSPROGS_FAKE_TIME=0 would mean "now": the earliest usable is 1. */
	snprintf(x.fake_time, sizeof(x.fake_time), "%lld", epoch > 0 ? epoch : 1);

	r = stage_tree(plan, stage, false, false, epoch, why);
	if (r)
		return r;
	r = debugfs_script(plan, epoch, &script, why);
	if (!r) {
		r = write_file_excl(script_path, script.buf, script.len, 0600);
		if (r)
			sbuf_addf(why, "cannot write '%s': %s", script_path, strerror(-r));
	}
	sbuf_release(&script);
	if (r)
		return r;

	r = ext_try(&x, size, &msg);
	if (!r || r == -EINTR || proc_interrupted()) {
		if (r)
			sbuf_addf(why, "interrupted");
		free(msg);
		return r ? -EINTR : 0;
	}
	/* Failed: too small, or something else?  Try with plenty of room. */
	unsigned long long big = content_estimate(plan) * 2 + 16 * MiB;
	if (big < size * 4)
		big = size * 4;
	big = (big + MiB - 1) / MiB * MiB;
	char *msg2 = NULL;
	int r2 = size < big ? ext_try(&x, big, &msg2) : -EIO;
	free(msg2);
	if (r2) {
		sbuf_adds(why, msg ? msg : "cannot create the ext image");
		free(msg);
		return r == -EINVAL ? -EINVAL : -EIO;
	}
	free(msg);
	/* It fits in big but not in size: find the least MiB that works. */
	unsigned long long lo = size / MiB, hi = big / MiB;
	while (hi - lo > 1 && !proc_interrupted()) {
		unsigned long long mid = lo + (hi - lo) / 2;
		if (ext_try(&x, mid * MiB, &msg2))
			lo = mid;
		else
			hi = mid;
		free(msg2);
		msg2 = NULL;
	}
	sbuf_addf(why, "the %s image '%s' needs at least %llu MiB for this content; "
		  "use --size %lluM or more", x.fstype, o->output, hi, hi);
	return -EINVAL;
}

/* ---- output handling: temp names, stamps, locks ---- */

struct tmp_paths {
	char *file;	/* temp output file or dir */
	char *priv;	/* ext: a private directory (0700) holding these two: */
	char *stage;	/* ext staging tree */
	char *script;	/* debugfs script */
};

static void tmp_cleanup(void *arg)
{
	struct tmp_paths *t = arg;

	/* rm_rf: never follows a link, opens directories by descriptor. */
	if (t->file)
		rm_rf(t->file);
	if (t->priv)
		rm_rf(t->priv);
}

static void tmp_free(struct tmp_paths *t)
{
	free(t->file);
	free(t->priv);
	free(t->stage);
	free(t->script);
	memset(t, 0, sizeof(*t));
}

static bool looks_like_kdebug_rootfs(const char *dir)
{
	char *agent = path_join(dir, GUEST_EXEC_AGENT + 1);
	bool yes = path_exists(agent);
	DIR *d;

	free(agent);
	if (yes)
		return true;
	d = opendir(dir);
	if (!d)
		return false;
	struct dirent *de;
	yes = true;	/* empty is fine too */
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			yes = false;
	closedir(d);
	return yes;
}

static char *stamp_line(const char *hash, const struct stat *st)
{
	return xasprintf("%s %llu %llu %lld %lld.%09ld\n", hash, (unsigned long long)st->st_dev,
			 (unsigned long long)st->st_ino, (long long)st->st_size,
			 (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec);
}

static void progress(const struct rootfs_opts *o, const char *msg)
{
	if (o->progress)
		o->progress(o->progress_arg, msg);
}

static void busybox_progress(void *arg, const char *msg)
{
	progress(arg, msg);
}

/* Everything that decides the output's bytes. */
static int hash_inputs(const struct rootfs_opts *o, const struct rootfs_plan *plan,
		       long long epoch, unsigned char digest[HASH_LEN], struct sbuf *why)
{
	struct hash c;
	char buf[128];

	hash_init(&c);
	hash_update_str(&c, ROOTFS_FORMAT_VERSION);
	hash_update_str(&c, rootfs_format_name(o->format));
	snprintf(buf, sizeof(buf), "epoch %lld", epoch);
	hash_update_str(&c, buf);
	if (o->format == ROOTFS_INITRAMFS) {
		hash_update_str(&c, compress_names[o->compress]);
		/* libarchive 3.6 leaks a buffer per call of this: ask once. */
		static const char *details;
		if (!details)
			details = archive_version_details();
		hash_update_str(&c, details);
	} else if (o->format != ROOTFS_DIR) {
		struct sbuf err = SBUF_INIT, conf = SBUF_INIT;
		int code = 0;
		const char *const v[] = { "mke2fs", "-V", NULL };
		int r = run_tool(v, NULL, &err, &code);
		if (r) {
			sbuf_addf(why, r == -ENOENT ? "cannot run 'mke2fs': not found; install e2fsprogs"
				  : "cannot run 'mke2fs': %s", strerror(-r));
			sbuf_release(&err);
			return r == -ENOENT ? -ENOENT : r;
		}
		unsigned maj = 0, min = 0;
		if (sscanf(sbuf_str(&err), "mke2fs %u.%u", &maj, &min) == 2 &&
		    (maj < 1 || (maj == 1 && min < 43))) {
			sbuf_addf(why, "mke2fs %u.%u cannot populate an image (-d needs "
				  "e2fsprogs 1.43 or later)", maj, min);
			sbuf_release(&err);
			return -ENOTSUP;
		}
		hash_update_str(&c, sbuf_str(&err));
		const char *cf = getenv("MKE2FS_CONFIG");
		if (read_file(cf && *cf ? cf : "/etc/mke2fs.conf", &conf) == 0)
			hash_update_str(&c, conf.buf);
		sbuf_release(&conf);
		sbuf_release(&err);
		snprintf(buf, sizeof(buf), "size %llu", o->size ? o->size : ROOTFS_DEFAULT_SIZE);
		hash_update_str(&c, buf);
	}
	for (size_t i = 0; i < plan->n; i++) {
		const struct rootfs_entry *e = &plan->e[i];
		snprintf(buf, sizeof(buf), "%d %o %u %u", (int)e->type, e->mode, e->major, e->minor);
		hash_update_str(&c, e->path);
		hash_update_str(&c, buf);
		if (e->target)
			hash_update_str(&c, e->target);
		if (e->type == ROOTFS_T_FILE && e->host) {
			int r = hash_update_file(&c, e->host);
			if (r) {
				sbuf_addf(why, "cannot read '%s': %s", e->host, strerror(-r));
				return -EINVAL;
			}
			hash_update(&c, "", 1);
		} else if (e->type == ROOTFS_T_FILE) {
			snprintf(buf, sizeof(buf), "%zu", e->len);
			hash_update_str(&c, buf);
			hash_update(&c, e->data, e->len);
		}
	}
	hash_final(&c, digest);
	return 0;
}

/* Where the output goes: *out in an existing directory *rdir (both real paths). */
static int output_path(const struct rootfs_opts *o, char **rdirp, char **outp, struct sbuf *why)
{
	const char *base = path_basename(o->output);
	struct stat st;

	if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
		sbuf_addf(why, "output '%s' names no file; use -o DIR/NAME", o->output);
		return -EINVAL;
	}
	char *dir = path_dirname(o->output), *rdir = realpath(dir, NULL);
	free(dir);
	if (!rdir) {
		sbuf_addf(why, "cannot write '%s': %s", o->output, strerror(errno));
		return -EINVAL;
	}
	char *out = path_join(rdir, base);
	const char *bad = NULL;
	if (lstat(out, &st) == 0) {
		if (o->format == ROOTFS_DIR && !S_ISDIR(st.st_mode))
			bad = "'%s' exists and is not a directory; remove it or choose another --output";
		else if (o->format != ROOTFS_DIR && S_ISDIR(st.st_mode))
			bad = "'%s' is a directory; choose a file name with -o";
	}
	if (bad) {
		sbuf_addf(why, bad, o->output);
		free(rdir);
		free(out);
		return -EINVAL;
	}
	*rdirp = rdir;
	*outp = out;
	return 0;
}

/* BusyBox, its applets, the plan, the hash of it all. */
static int plan_inputs(const struct rootfs_opts *o, long long epoch, struct rootfs_plan *plan,
		       struct rootfs_result *res, unsigned char digest[HASH_LEN], struct sbuf *why)
{
	struct busybox_opts bo = { .spec = o->busybox, .jobs = o->jobs,
				   .progress = busybox_progress, .progress_arg = (void *)o };
	struct sbuf applets = SBUF_INIT;
	char *busybox = NULL;
	int r = busybox_resolve(&bo, &busybox, &res->busybox_built, why);

	if (!r)
		r = busybox_list_applets(busybox, &applets, why);
	if (!r)
		r = rootfs_plan_make(plan, o, busybox, applets.buf, why);
	if (!r) {
		res->entries = plan->n;
		r = hash_inputs(o, plan, epoch, digest, why);
	}
	sbuf_release(&applets);
	free(busybox);
	return r;
}

/* A temporary file or directory next to the output, in tmp->file. */
static int tmp_create(const struct rootfs_opts *o, const char *rdir, struct tmp_paths *tmp,
		      struct sbuf *why)
{
	char *pattern = xasprintf("%s/.%s.kdebug-XXXXXX", rdir, path_basename(o->output));

	if (o->format == ROOTFS_DIR) {
		if (mkdtemp(pattern))
			tmp->file = pattern;
	} else {
		int fd = mkostemp(pattern, O_CLOEXEC);
		if (fd >= 0) {
			/* Like any new file: 0666 less the umask (mkostemp says 0600). */
			mode_t um = umask(022);
			umask(um);
			fchmod(fd, 0666 & ~um);
			close(fd);
			tmp->file = pattern;
		}
	}
	if (!tmp->file) {
		sbuf_addf(why, "cannot write '%s': %s", o->output, strerror(errno));
		free(pattern);
		return -EINVAL;
	}
	return 0;
}

/* Write the plan in the chosen format into tmp->file. */
static int write_output(const struct rootfs_opts *o, const struct rootfs_plan *plan,
			const char *rdir, struct tmp_paths *tmp, const unsigned char *digest,
			long long epoch, struct sbuf *why)
{
	int r = 0;

	switch (o->format) {
	case ROOTFS_INITRAMFS:
		r = rootfs_write_cpio(plan, tmp->file, o->compress, epoch, why);
		break;
	case ROOTFS_DIR:
		r = stage_tree(plan, tmp->file, geteuid() == 0, true, epoch, why);
		break;
	case ROOTFS_EXT3:
	case ROOTFS_EXT4:
		/* The staging tree and debugfs's script in a directory only we can enter. */
		tmp->priv = xasprintf("%s/.%s.kdebug-stage-XXXXXX", rdir, path_basename(o->output));
		if (!mkdtemp(tmp->priv)) {
			r = -errno;
			sbuf_addf(why, "cannot create a staging directory in '%s': %s", rdir,
				  strerror(-r));
			free(tmp->priv);
			tmp->priv = NULL;
			break;
		}
		tmp->stage = path_join(tmp->priv, "tree");
		tmp->script = path_join(tmp->priv, "debugfs");
		if (mkdir(tmp->stage, 0700) < 0) {
			r = -errno;
			sbuf_addf(why, "cannot create '%s': %s", tmp->stage, strerror(-r));
			break;
		}
		r = write_ext(plan, o, tmp->file, tmp->stage, tmp->script, digest, epoch, why);
		break;
	}
	if (!r && proc_interrupted()) {
		sbuf_addf(why, "interrupted");
		r = -EINTR;
	}
	return r;
}

/* Move tmp->file to OUT (a directory is exchanged with the old one, which tmp then holds). */
static int put_in_place(const struct rootfs_opts *o, const char *out, struct tmp_paths *tmp,
			struct sbuf *why)
{
	struct stat st;
	int r;

	if (o->format == ROOTFS_DIR && lstat(out, &st) == 0) {
		if (renameat2(AT_FDCWD, tmp->file, AT_FDCWD, out, RENAME_EXCHANGE) < 0) {
			r = -errno;
			sbuf_addf(why, "cannot replace '%s': %s", o->output, strerror(-r));
			return r;
		}
		/* tmp->file now holds the old tree; tmp_cleanup removes it. */
	} else if (rename(tmp->file, out) < 0) {
		r = -errno;
		sbuf_addf(why, "cannot rename '%s' to '%s': %s", tmp->file, o->output, strerror(-r));
		return r;
	} else {
		free(tmp->file);
		tmp->file = NULL;
	}
	return 0;
}

/* The stamp of OUT (and the lock that serializes its builders) in the cache. */
static int stamp_lock(const char *out, char **stamp, int *lock, struct sbuf *why)
{
	char *cache = cache_dir(), *stamps = path_join(cache, "rootfs/stamps");
	char key[33], *lockpath = NULL;
	struct hash c;
	int r = mkdir_p(stamps, 0755);

	if (r) {
		sbuf_addf(why, "cannot create '%s': %s", stamps, strerror(-r));
		goto out;
	}
	hash_init(&c);
	hash_update_str(&c, out);
	hash_final_hex(&c, key, 32);
	*stamp = xasprintf("%s/%s", stamps, key);
	lockpath = xasprintf("%s/%s.lock", stamps, key);
	*lock = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (*lock < 0 || flock(*lock, LOCK_EX) < 0) {
		r = -errno;
		sbuf_addf(why, "cannot lock '%s': %s", lockpath, strerror(-r));
	}
out:
	free(cache);
	free(stamps);
	free(lockpath);
	return r;
}

/*
 * May OUT be replaced?  Yes when nothing is there, with replace (--force),
 * when the stamp records this very file (device, inode, size, mtime: what
 * kdebug wrote there last), or for a directory with kdebug's exec agent
 * inside (or an empty one).  Else -EINVAL (bad input) with why filled.
 */
static int check_replace(const struct rootfs_opts *o, const char *out, const char *stamp,
			 struct sbuf *why)
{
	struct sbuf old = SBUF_INIT;
	struct stat st;
	bool ours = false;

	if (o->replace || lstat(out, &st) < 0)
		return 0;
	if (read_file(stamp, &old) == 0) {
		char *line = stamp_line("", &st);
		const char *sp = strchr(old.buf, ' ');
		ours = sp && !strcmp(sp, line);
		free(line);
	}
	sbuf_release(&old);
	if (!ours && S_ISDIR(st.st_mode))
		ours = looks_like_kdebug_rootfs(out);
	if (ours)
		return 0;
	sbuf_addf(why, "'%s' exists and kdebug did not make it; pass --force to replace it, or choose another -o",
		  o->output);
	return -EINVAL;
}

/* Does the stamp say OUT already holds what HASH describes?  Fills res then. */
static bool up_to_date(const struct rootfs_opts *o, const char *out, const char *stamp,
		       const char *hash, struct rootfs_result *res)
{
	struct sbuf old = SBUF_INIT;
	struct stat st;
	bool same = false;

	if (!o->force && lstat(out, &st) == 0 && read_file(stamp, &old) == 0) {
		char *line = stamp_line(hash, &st);
		same = !strcmp(old.buf, line);
		free(line);
		if (same) {
			res->up_to_date = true;
			res->bytes = o->format == ROOTFS_DIR ? 0 : (unsigned long long)st.st_size;
		}
	}
	sbuf_release(&old);
	return same;
}

int rootfs_build(const struct rootfs_opts *o, struct sbuf *why)
{
	struct rootfs_plan plan = { 0 };
	struct tmp_paths tmp = { 0 };
	struct rootfs_result res = { 0 };
	unsigned char digest[HASH_LEN];
	char hash[HASH_HEX_LEN + 1];
	char *rdir = NULL, *out = NULL, *stamp = NULL;
	long long epoch;
	int r, lock = -1;
	bool pushed = false;
	struct stat st;

	if (!o->output || !*o->output) {
		sbuf_addf(why, "no output path");
		return -EINVAL;
	}
	if ((size_t)o->format >= ARRAY_SIZE(format_names) ||
	    (size_t)o->compress >= ARRAY_SIZE(compress_names)) {
		sbuf_addf(why, "unknown format or compression");
		return -EINVAL;
	}
	r = rootfs_epoch(&epoch, why);
	if (!r)
		r = output_path(o, &rdir, &out, why);
	if (!r)
		r = plan_inputs(o, epoch, &plan, &res, digest, why);
	if (r)
		goto out;
	hash_hex(digest, HASH_LEN, hash);

	/* One builder per output at a time; the stamp says what it holds. */
	r = stamp_lock(out, &stamp, &lock, why);
	if (!r)
		r = check_replace(o, out, stamp, why);
	if (r || up_to_date(o, out, stamp, hash, &res))
		goto out;

	/* Build under a temporary name next to the output. */
	cleanup_push(tmp_cleanup, &tmp);
	pushed = true;
	r = tmp_create(o, rdir, &tmp, why);
	if (!r)
		r = write_output(o, &plan, rdir, &tmp, digest, epoch, why);
	if (!r)
		r = put_in_place(o, out, &tmp, why);
	if (r)
		goto out;
	if (lstat(out, &st) == 0) {
		char *line = stamp_line(hash, &st);
		write_file_atomic(stamp, line, strlen(line), 0644);
		free(line);
		res.bytes = o->format == ROOTFS_DIR ? 0 : (unsigned long long)st.st_size;
	}
out:
	if (pushed) {
		tmp_cleanup(&tmp);
		cleanup_pop(tmp_cleanup, &tmp);
	}
	tmp_free(&tmp);
	if (lock >= 0)
		close(lock);
	if (!r && o->result)
		*o->result = res;
	rootfs_plan_release(&plan);
	free(rdir);
	free(out);
	free(stamp);
	return r;
}

int rootfs_default_initramfs(char **path, struct sbuf *why)
{
	char *cache = cache_dir();
	char *dir = path_join(cache, "rootfs");
	char *out = path_join(dir, "default.cpio.gz");
	/* kdebug's own cache: whatever is there is replaced. */
	struct rootfs_opts o = { .format = ROOTFS_INITRAMFS, .compress = ROOTFS_GZIP,
				 .output = out, .replace = true };
	int r = mkdir_p(dir, 0755);

	if (r)
		sbuf_addf(why, "cannot create '%s': %s", dir, strerror(-r));
	else
		r = rootfs_build(&o, why);
	free(cache);
	free(dir);
	if (r) {
		free(out);
		return r;
	}
	*path = out;
	return 0;
}

/* ---- root file systems kdebug run is given ---- */

int rootfs_classify(const char *path, enum rootfs_kind *kind)
{
	unsigned char b[1082];
	ssize_t n = read_file_at(path, b, sizeof(b), 0);

	if (n < 0)
		return (int)n;
	if (n >= 6 && (!memcmp(b, "070701", 6) || !memcmp(b, "070702", 6) ||
		       (b[0] == 0x1f && b[1] == 0x8b) ||			/* gzip */
		       !memcmp(b, "\x28\xb5\x2f\xfd", 4) ||		/* zstd */
		       !memcmp(b, "\xfd" "7zXZ", 5) ||			/* xz */
		       !memcmp(b, "\x02\x21\x4c\x18", 4) ||		/* lz4 */
		       !memcmp(b, "BZh", 3) || (b[0] == 0x5d && b[1] == 0))) {	/* bzip2, lzma */
		*kind = RK_INITRAMFS;
		return 0;
	}
	if (n == (ssize_t)sizeof(b) && b[1080] == 0x53 && b[1081] == 0xef) {	/* ext magic */
		*kind = RK_DISK;
		return 0;
	}
	return -EMEDIUMTYPE;
}

int rootfs_concat_initramfs(const char *a, const char *b, const char *out)
{
	struct sbuf sa = SBUF_INIT, sb = SBUF_INIT;
	int r = read_file(a, &sa);

	if (!r)
		r = read_file(b, &sb);
	if (!r) {
		/* Each archive starts 4-byte aligned for the kernel's unpacker. */
		while (sa.len % 4)
			sbuf_addch(&sa, '\0');
		sbuf_add(&sa, sb.buf, sb.len);
		r = write_file(out, sa.buf, sa.len, 0600);
	}
	sbuf_release(&sa);
	sbuf_release(&sb);
	return r;
}

int rootfs_check_root_dir(const char *dir, struct sbuf *why)
{
	if (!is_dir(dir)) {
		sbuf_addf(why, "cannot use '%s' as a root file system: %s", dir,
			  path_exists(dir) ? "not a directory" : "No such file or directory");
		return -EINVAL;
	}
	char *a = path_join(dir, "sbin/init"), *b = path_join(dir, "init");
	bool ok = path_exists(a) || path_exists(b);
	free(a);
	free(b);
	if (!ok) {
		sbuf_addf(why, "'%s' is not a root file system (no /sbin/init or /init); make one with 'kdebug rootfs --format dir -o %s'",
			  dir, dir);
		return -EINVAL;
	}
	return 0;
}
