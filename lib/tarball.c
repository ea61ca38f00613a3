// SPDX-License-Identifier: GPL-2.0
#include "tarball.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"

static struct archive *reader(void)
{
	struct archive *a = archive_read_new();

	if (!a)
		abort();
	archive_read_support_filter_all(a);
	archive_read_support_format_tar(a);
	archive_read_support_format_gnutar(a);
	archive_read_support_format_zip(a);
	archive_read_support_format_cpio(a);
	return a;
}

bool tarball_is_archive(const char *path)
{
	struct archive *a;
	struct archive_entry *e;
	bool ok;

	if (!is_regular(path))
		return false;
	a = reader();
	ok = archive_read_open_filename(a, path, 65536) == ARCHIVE_OK &&
	     archive_read_next_header(a, &e) == ARCHIVE_OK;
	archive_read_free(a);
	return ok;
}

/* A member name we are willing to create under dest: relative, no "..". */
static bool safe_member(const char *name)
{
	if (!*name || name[0] == '/')
		return false;
	for (const char *p = name; *p;) {
		const char *end = strchrnul(p, '/');
		if (end - p == 2 && p[0] == '.' && p[1] == '.')
			return false;
		p = *end ? end + 1 : end;
	}
	return true;
}

/* Copy the current member's data from a to w. */
static int copy_data(struct archive *a, struct archive *w, const char *tarball, struct sbuf *why)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	int ar;

	while ((ar = archive_read_data_block(a, &buf, &size, &off)) == ARCHIVE_OK)
		if (archive_write_data_block(w, buf, size, off) < ARCHIVE_WARN) {
			sbuf_addf(why, "cannot unpack '%s': %s", tarball, archive_error_string(w));
			return -EIO;
		}
	if (ar != ARCHIVE_EOF) {
		sbuf_addf(why, "'%s' is corrupt: %s", tarball, archive_error_string(a));
		return -EINVAL;
	}
	return 0;
}

int tarball_extract(const char *tarball, const char *dest, struct sbuf *why)
{
	struct archive *a = reader(), *w = archive_write_disk_new();
	struct archive_entry *e;
	int r = 0;

	if (!w)
		abort();
	archive_write_disk_set_options(w, ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM |
				       ARCHIVE_EXTRACT_SECURE_NODOTDOT |
				       ARCHIVE_EXTRACT_SECURE_SYMLINKS);
	if (archive_read_open_filename(a, tarball, 1 << 16) != ARCHIVE_OK) {
		sbuf_addf(why, "'%s' is not a readable tarball: %s", tarball, archive_error_string(a));
		r = -EINVAL;
		goto out;
	}
	for (size_t n = 0; !r; n++) {
		if (proc_interrupted()) {
			r = -EINTR;
			break;
		}
		int ar = archive_read_next_header(a, &e);
		if (ar == ARCHIVE_EOF) {
			if (!n) {
				sbuf_addf(why, "'%s' is an empty archive", tarball);
				r = -EINVAL;
			}
			break;
		}
		if (ar < ARCHIVE_WARN) {
			sbuf_addf(why, "'%s' is not a readable tarball: %s", tarball,
				  archive_error_string(a));
			r = -EINVAL;
			break;
		}
		/* Every path gets dest in front of it: check the names first. */
		const char *name = archive_entry_pathname(e);
		const char *hl = archive_entry_hardlink(e);
		if (!name || !safe_member(name) || (hl && !safe_member(hl))) {
			sbuf_addf(why, "'%s' has an unsafe member '%s' (absolute or with '..'); refusing to unpack it",
				  tarball, name ? name : "(null)");
			r = -EINVAL;
			break;
		}
		char *p = path_join(dest, name);
		archive_entry_set_pathname(e, p);
		free(p);
		if (hl) {
			p = path_join(dest, hl);
			archive_entry_set_hardlink(e, p);
			free(p);
		}
		/* Never restore foreign owners, even as root. */
		archive_entry_set_uid(e, geteuid());
		archive_entry_set_gid(e, getegid());
		if (archive_write_header(w, e) < ARCHIVE_WARN) {
			sbuf_addf(why, "cannot unpack '%s': %s", tarball, archive_error_string(w));
			r = -EIO;
			break;
		}
		r = copy_data(a, w, tarball, why);
		if (!r && archive_write_finish_entry(w) < ARCHIVE_WARN) {
			sbuf_addf(why, "cannot unpack '%s': %s", tarball, archive_error_string(w));
			r = -EIO;
		}
	}
out:
	archive_read_free(a);
	archive_write_free(w);
	return r;
}
