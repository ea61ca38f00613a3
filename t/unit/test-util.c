// SPDX-License-Identifier: GPL-2.0
/* util.c: strings, vectors, parsing, line splitting. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tap.h"
#include "util.h"

static void collect(void *arg, char *line)
{
	strvec_push(arg, line);
}

static void test_files_safe(void)
{
	char tmpl[] = "/tmp/kdebug-unit-XXXXXX";
	char *d = mkdtemp(tmpl);
	char *victim = path_join(d, "victim"), *link = path_join(d, "link"), *f = path_join(d, "new");
	char *tree = path_join(d, "tree"), *ro = path_join(d, "tree/ro"), *inner = path_join(d, "tree/ro/file");
	char *tlink = path_join(d, "tree/tolink");
	struct sbuf got = SBUF_INIT;

	is_int(write_file(victim, "keep", 4, 0600), 0, "a file");
	ok(symlink(victim, link) == 0, "a link to it");
	is_int(write_file_excl(link, "x", 1, 0600), -EEXIST, "write_file_excl: not through a link");
	is_int(write_file_excl(victim, "x", 1, 0600), -EEXIST, "write_file_excl: not over a file");
	is_int(write_file_excl(f, "new", 3, 0600), 0, "write_file_excl: a new file");
	read_file(victim, &got);
	is_str(got.buf, "keep", "... the linked file untouched");

	ok(mkdir(tree, 0755) == 0 && mkdir(ro, 0755) == 0, "a tree");
	is_int(write_file(inner, "x", 1, 0600), 0, "a file in it");
	ok(chmod(ro, 0555) == 0, "a directory without write permission");
	ok(symlink(d, tlink) == 0, "a link out of the tree");
	is_int(rm_rf(tree), 0, "rm_rf removes it all");
	ok(!path_exists(tree), "... the tree is gone");
	ok(path_exists(victim) && path_exists(f), "... and nothing behind the link");
	unlink(link);
	unlink(victim);
	unlink(f);
	rmdir(d);
	sbuf_release(&got);
	free(victim); free(link); free(f); free(tree); free(ro); free(inner); free(tlink);
}

int main(void)
{
	struct sbuf sb = SBUF_INIT, part = SBUF_INIT;
	struct strvec v = STRVEC_INIT;
	unsigned long long sz;
	unsigned long u;
	char *s;

	sbuf_addf(&sb, "%s-%d", "a", 42);
	sbuf_adds(&sb, "  ");
	sbuf_rtrim(&sb);
	is_str(sb.buf, "a-42", "sbuf_addf and rtrim");
	sbuf_reset(&sb);
	sbuf_add_shquote(&sb, "it's a b");
	is_str(sb.buf, "'it'\\''s a b'", "shell quoting");
	sbuf_reset(&sb);
	sbuf_add_shquote(&sb, "plain/path-1.2");
	is_str(sb.buf, "plain/path-1.2", "no quotes when not needed");
	sbuf_release(&sb);

	sbuf_feed_lines(&part, "one\ntw", 6, collect, &v);
	sbuf_feed_lines(&part, "o\n\nthree", 8, collect, &v);
	is_int(v.n, 3, "three complete lines");
	is_str(v.v[0], "one", "line 1");
	is_str(v.v[1], "two", "line split across chunks");
	is_str(v.v[2], "", "empty line");
	is_str(part.buf, "three", "the rest stays buffered");
	strvec_clear(&v);
	sbuf_release(&part);

	strvec_split(&v, "  -m 512\t-smp 2 ");
	is_int(v.n, 4, "split on whitespace");
	s = strvec_join_shell(&v);
	is_str(s, "-m 512 -smp 2", "join");
	free(s);
	strvec_clear(&v);

	ok(parse_size("256M", &sz) == 0 && sz == 256ULL << 20, "256M");
	ok(parse_size("1GiB", &sz) == 0 && sz == 1ULL << 30, "1GiB");
	ok(parse_size("12x", &sz) == -EINVAL, "bad unit");
	ok(parse_uint("65536", 65535, &u) == -ERANGE, "range");
	ok(parse_uint("-1", 65535, &u) == -EINVAL, "negative");
	is_int(edit_distance("ip_rvc", "ip_rcv"), 2, "edit distance");
	ok(str_ends_with("arch/x86/boot/bzImage", "/bzImage"), "ends with");
	s = path_dirname("/a/b/c");
	is_str(s, "/a/b", "dirname");
	free(s);
	is_str(path_basename("/a/b/c"), "c", "basename");

	char tmpl[] = "/tmp/kdebug-test-util-XXXXXX", buf[16];
	int fd = mkstemp(tmpl);
	ok(fd >= 0 && write(fd, "0123456789", 10) == 10, "a scratch file");
	if (fd >= 0)
		close(fd);
	is_int((int)read_file_at(tmpl, buf, 4, 3), 4, "read_file_at: a slice");
	ok(!memcmp(buf, "3456", 4), "read_file_at: its bytes");
	is_int((int)read_file_at(tmpl, buf, 16, 8), 2, "read_file_at: short at the end");
	is_int((int)read_file_at(tmpl, buf, 4, 100), 0, "read_file_at: past the end");
	unlink(tmpl);
	is_int((int)read_file_at(tmpl, buf, 4, 0), -ENOENT, "read_file_at: missing file");
	test_files_safe();
	return done_testing();
}
