// SPDX-License-Identifier: GPL-2.0
/* tarball_extract(): members land under dest with their modes; unsafe, empty and junk archives are refused. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "tarball.h"

struct member {
	const char *name;
	const char *data;	/* NULL: a directory */
	const char *link;	/* hard link target, or NULL */
	mode_t mode;
};

static void write_tar(const char *path, const struct member *m, size_t n)
{
	struct archive *a = archive_write_new();

	archive_write_set_format_pax_restricted(a);
	archive_write_add_filter_gzip(a);
	archive_write_open_filename(a, path);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, m[i].name);
		archive_entry_set_uid(e, 4242);
		archive_entry_set_gid(e, 4242);
		if (m[i].link) {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_hardlink(e, m[i].link);
			archive_entry_set_perm(e, 0644);
		} else if (m[i].data) {
			archive_entry_set_filetype(e, AE_IFREG);
			archive_entry_set_perm(e, m[i].mode);
			archive_entry_set_size(e, (la_int64_t)strlen(m[i].data));
		} else {
			archive_entry_set_filetype(e, AE_IFDIR);
			archive_entry_set_perm(e, 0755);
		}
		archive_write_header(a, e);
		if (m[i].data && !m[i].link)
			archive_write_data(a, m[i].data, strlen(m[i].data));
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
}

int main(void)
{
	char tmpl[] = "/tmp/kdebug-test-tarball-XXXXXX";
	char *dir = mkdtemp(tmpl);
	struct sbuf why = SBUF_INIT, got = SBUF_INIT;
	struct stat st;

	if (!dir)
		return 1;
	char *good = path_join(dir, "good.tar.gz"), *dest = path_join(dir, "out");
	const struct member ok_members[] = {
		{ "src-1.0", NULL, NULL, 0 },
		{ "src-1.0/Makefile", "all:\n", NULL, 0644 },
		{ "src-1.0/run.sh", "#!/bin/sh\n", NULL, 0755 },
		{ "src-1.0/Makefile.link", NULL, "src-1.0/Makefile", 0 },
	};
	write_tar(good, ok_members, 4);
	ok(tarball_is_archive(good), "a gzip'd tar is an archive");
	mkdir(dest, 0755);
	is_int(tarball_extract(good, dest, &why), 0, "a good tarball unpacks");
	char *mk = path_join(dest, "src-1.0/Makefile"), *sh = path_join(dest, "src-1.0/run.sh");
	char *ln = path_join(dest, "src-1.0/Makefile.link");
	ok(read_file(mk, &got) == 0 && !strcmp(got.buf, "all:\n"), "contents");
	ok(stat(sh, &st) == 0 && (st.st_mode & 07777) == 0755, "modes kept");
	ok(stat(mk, &st) == 0 && st.st_uid == geteuid(), "owners not restored");
	struct stat st2;
	ok(stat(ln, &st2) == 0 && stat(mk, &st) == 0 && st.st_ino == st2.st_ino, "hard links inside dest");

	static const struct {
		struct member m;
		const char *msg;
	} bad[] = {
		{ { "../evil", "x", NULL, 0644 }, "has an unsafe member '../evil'" },
		{ { "a/../../evil", "x", NULL, 0644 }, "has an unsafe member 'a/../../evil'" },
		{ { "/etc/evil", "x", NULL, 0644 }, "has an unsafe member '/etc/evil'" },
		{ { "innocent", NULL, "../outside", 0 }, "has an unsafe member 'innocent'" },
	};
	char *evil = path_join(dir, "evil.tar.gz");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		write_tar(evil, &bad[i].m, 1);
		sbuf_reset(&why);
		is_int(tarball_extract(evil, dest, &why), -EINVAL, "unsafe member %zu refused", i);
		like(why.buf, bad[i].msg, "message names the member");
	}
	char *outside = path_join(dir, "evil");
	ok(access(outside, F_OK) != 0, "nothing written outside dest");

	char *empty = path_join(dir, "empty.tar.gz");
	write_tar(empty, NULL, 0);
	sbuf_reset(&why);
	is_int(tarball_extract(empty, dest, &why), -EINVAL, "an empty archive is refused");
	like(why.buf, "is an empty archive", "empty: message");

	char *junk = path_join(dir, "junk.tar.gz");
	write_file_atomic(junk, "not an archive at all\n", 22, 0644);
	ok(!tarball_is_archive(junk), "junk is not an archive");
	sbuf_reset(&why);
	is_int(tarball_extract(junk, dest, &why), -EINVAL, "junk is refused");
	like(why.buf, "is not a readable tarball", "junk: message");
	ok(!tarball_is_archive(dir), "a directory is not an archive");

	rm_rf(dir);
	free(good);
	free(dest);
	free(mk);
	free(sh);
	free(ln);
	free(evil);
	free(outside);
	free(empty);
	free(junk);
	sbuf_release(&why);
	sbuf_release(&got);
	return done_testing();
}
