// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of lib/kbuild.c: build progress (counted lines, fed in chunks
 * as make writes them, percent, estimate, the progress line), the first
 * errors of a make log, build statistics, the build lock, sources, the
 * state file, the bzImage/vmlinux version check on synthetic files.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kbuild.h"
#include "meta.h"
#include "tap.h"

#define FIXTURES KDEBUG_DATADIR "/t/fixtures/kconfig"

static size_t count_lines(const char *s)
{
	size_t n = 0;
	for (; s && *s; s++)
		n += *s == '\n';
	return n;
}

static void test_progress(void)
{
	struct kbuild_progress p = { .total = 100, .start_ms = 1000, .now_ms = 1000 };
	struct sbuf sb = SBUF_INIT;

	ok(kbuild_progress_line(&p, "  CC      init/main.o"), "CC line counts");
	ok(kbuild_progress_line(&p, "  CC [M]  drivers/thermal/x.o"), "module CC line counts");
	ok(!kbuild_progress_line(&p, "  HOSTCC  scripts/basic/fixdep"), "HOSTCC does not");
	ok(!kbuild_progress_line(&p, "  LD      vmlinux"), "LD does not");
	ok(!kbuild_progress_line(&p, "init/main.c:12: warning:   CC "), "text in the middle does not");
	is_int(p.done, 2, "two objects");
	is_int(kbuild_progress_eta_ms(&p), -1, "no estimate before ten objects");
	p.done = 50;
	p.now_ms = 11000;
	is_int(kbuild_progress_percent(&p), 50, "50%%");
	is_int(kbuild_progress_eta_ms(&p), 10000, "half done in 10 s: 10 s left");
	kbuild_progress_format(&p, false, 0, &sb);
	is_str(sb.buf, "50% (50/100 objects, 0:10 elapsed, ~0:10 left)", "plain progress line");
	sbuf_reset(&sb);
	kbuild_progress_format(&p, true, 80, &sb);
	like(sb.buf, "=>", "a bar");
	like(sb.buf, "]  50%  50/100 objects  0:10 elapsed  ~0:10 left", "with the numbers");
	ok(sb.len <= 80, "fits the width");
	sbuf_reset(&sb);
	p.done = 150;
	is_int(kbuild_progress_percent(&p), 99, "more objects than estimated: 99%% until done");
	is_int(kbuild_progress_eta_ms(&p), 0, "and nothing left");
	p.total = 0;
	is_int(kbuild_progress_percent(&p), -1, "no estimate: no percent");
	kbuild_progress_format(&p, true, 80, &sb);
	is_str(sb.buf, "150 objects  0:10 elapsed", "count only");
	sbuf_reset(&sb);

	is_int(kbuild_count_objects("  CC      a.o\n  AR      b.a\n  CC [M]  c.o\n  CC      d.o"), 3,
	       "count the objects of a log (estimate for the next build)");
	kbuild_format_duration(3723000, &sb);
	is_str(sb.buf, "1:02:03", "hours");
	sbuf_reset(&sb);
	kbuild_format_duration(65000, &sb);
	is_str(sb.buf, "1:05", "minutes");
	sbuf_release(&sb);
}

static void test_first_errors(void)
{
	struct sbuf log = SBUF_INIT, out = SBUF_INIT;

	for (int i = 0; i < 500; i++)
		sbuf_addf(&log, "  CC      obj%d.o\n", i);
	sbuf_adds(&log, "net/ipv4/ip_input.c: In function 'ip_rcv':\n"
		  "net/ipv4/ip_input.c:565:9: error: expected ';' before 'return'\n"
		  "  565 |         return x\n"
		  "      |                 ^\n"
		  "make[4]: *** [scripts/Makefile.build:250: net/ipv4/ip_input.o] Error 1\n");
	for (int i = 0; i < 50; i++)
		sbuf_addf(&log, "  CC      more%d.o\n", i);
	kbuild_first_errors(log.buf, 30, &out);
	like(out.buf, "ip_input.c:565:9: error: expected ';'", "the error line");
	like(out.buf, "In function 'ip_rcv'", "with the context before");
	ok(!strstr(out.buf, "obj100.o") && !strstr(out.buf, "more10.o"), "not the noise");
	size_t lines = 0;
	for (const char *s = out.buf; *s; s++)
		lines += *s == '\n';
	ok(lines <= 10, "a few lines (%zu)", lines);
	sbuf_reset(&out);
	sbuf_reset(&log);
	for (int i = 0; i < 100; i++)
		sbuf_addf(&log, "line %d\n", i);
	kbuild_first_errors(log.buf, 5, &out);
	is_str(out.buf, "line 95\nline 96\nline 97\nline 98\nline 99\n", "no error line: the last lines");
	sbuf_release(&log);
	sbuf_release(&out);
}

static void test_sources(void)
{
	char *v = NULL, *id;

	is_int(kbuild_tree_version(FIXTURES "/new", &v), 0, "version from the Makefile");
	is_str(v, "6.1.99-rc1", "VERSION.PATCHLEVEL.SUBLEVEL+EXTRAVERSION");
	free(v);
	is_int(kbuild_tree_version(FIXTURES "/old", &v), 0, "old Makefile");
	is_str(v, "4.9.0", "4.9.0");
	free(v);
	ok(kbuild_is_tarball_name("/usr/src/linux-source-6.1.tar.xz") && kbuild_is_tarball_name("x.tgz") &&
	   !kbuild_is_tarball_name("x.config"), "tarball names");
	ok(kbuild_is_tree(FIXTURES "/new"), "Makefile, Kconfig and arch/x86: a kernel tree");
	ok(!kbuild_is_tree(FIXTURES), "the fixtures directory is not");
	id = kbuild_source_id(FIXTURES "/new");
	ok(str_starts_with(id, "new-") && strlen(id) == 12, "source id: name and hash (%s)", id);
	char *id2 = kbuild_source_id(FIXTURES "/old");
	ok(strcmp(id, id2), "different trees, different ids");
	free(id);
	free(id2);
}

static void test_state(void)
{
	char tmpl[] = "/tmp/kdebug-unit-XXXXXX";
	char *dir = mkdtemp(tmpl);
	struct strvec kv = STRVEC_INIT, back = STRVEC_INIT;

	ok(dir != NULL, "temporary directory");
	kbuild_state_set(&kv, "src", "/a/b");
	kbuild_state_set(&kv, "profile", "minimal");
	kbuild_state_set(&kv, "src", "/c/d");
	kbuild_state_set(&kv, "why", "two\nlines");
	is_int(kbuild_state_save(dir, &kv), 0, "save the state");
	is_int(kbuild_state_load(dir, &back), 0, "load it");
	is_str(kbuild_state_get(&back, "src"), "/c/d", "a key set twice keeps the last value");
	is_str(kbuild_state_get(&back, "profile"), "minimal", "another key");
	is_str(kbuild_state_get(&back, "why"), "two lines", "values stay on one line");
	ok(kbuild_state_get(&back, "nope") == NULL, "missing key");

	is_int(kbuild_remember(dir, "linux-1234", "/build/x"), 0, "remember a build");
	char *last = kbuild_last(dir, "linux-1234"), *any = kbuild_last(dir, NULL);
	is_str(last, "/build/x", "the last build of this source");
	is_str(any, "/build/x", "the last build overall");
	free(last);
	free(any);
	ok(kbuild_last(dir, "other-0000") == NULL, "another source has none");
	char *p = path_join(dir, "kdebug-state");
	json_t *o = NULL;
	is_int(meta_read(p, &o), 0, "the state is a meta file");
	is_str(meta_str(o, "src"), "/c/d", "... holding the values as strings");
	json_decref(o);
	const char *legacy = "# an older kdebug\nsrc=/old/tree\ncc=ccache gcc\nconfig_hash=0123456789abcdef\n";
	write_file(p, legacy, strlen(legacy), 0644);
	strvec_clear(&back);
	is_int(kbuild_state_load(dir, &back), 0, "an older key=value state still loads");
	is_str(kbuild_state_get(&back, "src"), "/old/tree", "... with its values");
	ok(kbuild_state_get(&back, "config_hash") == NULL, "... but not its config hash (another hash)");
	free(p);
	p = path_join(dir, "last-build");
	write_file(p, "/build/old\n", 11, 0644);
	ok(kbuild_last(dir, NULL) == NULL, "an older last-build file reads as absent");
	free(p);

	is_int(kbuild_stats_get(dir, "minimal/6.1"), 0, "no statistics yet");
	is_int(kbuild_stats_put(dir, "minimal/6.1", 1371), 0, "record a build's objects");
	is_int(kbuild_stats_put(dir, "seed/6.1", 2000), 0, "and another's");
	is_int(kbuild_stats_put(dir, "minimal/6.1", 1400), 0, "and the first again");
	is_int(kbuild_stats_get(dir, "minimal/6.1"), 1400, "the latest count");
	is_int(kbuild_stats_get(dir, "seed/6.1"), 2000, "the other count");
	rm_rf(dir);
	strvec_clear(&kv);
	strvec_clear(&back);
}

static void write_bzimage(const char *path, const char *version)
{
	char img[0x400];
	memset(img, 0, sizeof(img));
	memcpy(img + 0x202, "HdrS", 4);
	img[0x206] = 0x0f;	/* protocol 2.15 */
	img[0x207] = 0x02;
	img[0x20e] = 0x00;	/* kernel_version at 0x100 + 0x200 */
	img[0x20f] = 0x01;
	snprintf(img + 0x300, 0x100, "%s", version);
	write_file(path, img, sizeof(img), 0644);
}

static void write_vmlinux(const char *path, const char *banner)
{
	struct sbuf sb = SBUF_INIT;
	sbuf_add(&sb, "\177ELF", 4);
	for (int i = 0; i < 100; i++)
		sbuf_addch(&sb, 0);
	sbuf_adds(&sb, "Linux version %s (%s) (%s) %s\n");	/* a format string, not a banner */
	sbuf_addch(&sb, 0);
	sbuf_adds(&sb, banner);
	sbuf_addch(&sb, 0);
	write_file(path, sb.buf, sb.len, 0644);
	sbuf_release(&sb);
}

static void test_check_match(void)
{
	char tmpl[] = "/tmp/kdebug-unit-XXXXXX";
	char *dir = mkdtemp(tmpl);
	char *bz = path_join(dir, "bzImage"), *vm = path_join(dir, "vmlinux");
	struct sbuf why = SBUF_INIT;
	char *v = NULL;

	write_bzimage(bz, "6.1.99 (me@host) #3 SMP PREEMPT_DYNAMIC Mon Jan  1 00:00:00 UTC 2024");
	write_vmlinux(vm, "Linux version 6.1.99 (me@host) (gcc (Debian 12.2.0-14) 12.2.0, GNU ld 2.40) "
		      "#3 SMP PREEMPT_DYNAMIC Mon Jan  1 00:00:00 UTC 2024\n");
	is_int(kbuild_bzimage_version(bz, &v), 0, "read the bzImage version");
	is_str(v, "6.1.99 (me@host) #3 SMP PREEMPT_DYNAMIC Mon Jan  1 00:00:00 UTC 2024", "from the setup header");
	free(v);
	is_int(kbuild_check_match(bz, vm, &why), 0, "same build: match");

	write_vmlinux(vm, "Linux version 6.1.99 (me@host) (gcc (Debian 12.2.0-14) 12.2.0, GNU ld 2.40) "
		      "#4 SMP PREEMPT_DYNAMIC Mon Jan  1 00:05:00 UTC 2024\n");
	is_int(kbuild_check_match(bz, vm, &why), -ESTALE, "a later vmlinux: mismatch");
	like(why.buf, "the bzImage is 6.1.99 (me@host) #3", "why shows the bzImage version");
	like(why.buf, "the vmlinux is 6.1.99 (me@host) (gcc", "and the vmlinux banner");
	sbuf_reset(&why);

	char elf[128] = "\177ELF no banner here";
	write_file(vm, elf, sizeof(elf), 0644);
	is_int(kbuild_check_match(bz, vm, &why), -EINVAL, "no banner: not a vmlinux");
	sbuf_reset(&why);
	write_file(bz, "not a kernel at all", 19, 0644);
	is_int(kbuild_check_match(bz, vm, &why), -EINVAL, "no setup header: not a bzImage");
	like(why.buf, "is not a bzImage", "says so");
	sbuf_reset(&why);
	is_int(kbuild_check_match("/nonexistent/bzImage", vm, &why), -ENOENT, "missing file");
	rm_rf(dir);
	free(bz);
	free(vm);
	sbuf_release(&why);
}

static void test_progress_feed(void)
{
	struct kbuild_progress p = { 0 };
	struct sbuf partial = SBUF_INIT;
	const char *out = "  CC      init/main.o\n  LD      vmlinux.o\n  CC [M]  fs/x.o\n  CC      kernel/fork.o\n";

	ok(!kbuild_progress_feed(&p, &partial, out, 10), "half a line: nothing counted yet");
	is_int(p.done, 0, "no object");
	is_str(partial.buf, "  CC      ", "the start of the line is kept");
	ok(kbuild_progress_feed(&p, &partial, out + 10, 30), "the line completed: counted");
	is_int(p.done, 1, "one object");
	ok(!kbuild_progress_feed(&p, &partial, out + 40, 1), "one more byte: nothing new");
	ok(kbuild_progress_feed(&p, &partial, out + 41, strlen(out) - 41), "the rest");
	is_int(p.done, 3, "three objects in all, LD not counted");
	is_int(partial.len, 0, "nothing left over");
	ok(!kbuild_progress_feed(&p, &partial, "  HOSTCC  fixdep\n", 17), "HOSTCC lines are not counted");
	ok(!kbuild_progress_feed(&p, &partial, "", 0), "no data");
	/* Byte by byte, as a slow pipe may deliver it. */
	memset(&p, 0, sizeof(p));
	for (size_t i = 0; out[i]; i++)
		kbuild_progress_feed(&p, &partial, out + i, 1);
	is_int(p.done, 3, "byte by byte: the same count");
	is_int(kbuild_count_objects(out), 3, "and the same as counting the log");
	is_int(kbuild_count_objects(""), 0, "an empty log");
	is_int(kbuild_count_objects("  CC      a.o"), 1, "a last line without newline counts");
	sbuf_release(&partial);
}

static void test_first_errors_more(void)
{
	struct sbuf log = SBUF_INIT, out = SBUF_INIT;

	/* make's "***" is shown only when there is no compiler error. */
	for (int i = 0; i < 40; i++)
		sbuf_addf(&log, "  CC      obj%d.o\n", i);
	sbuf_adds(&log, "make[1]: *** [Makefile:1234: vmlinux] Error 2\n");
	for (int i = 0; i < 40; i++)
		sbuf_addf(&log, "  CC      late%d.o\n", i);
	kbuild_first_errors(log.buf, 30, &out);
	like(out.buf, "make[1]: *** [Makefile:1234: vmlinux] Error 2", "no compiler error: make's ***");
	like(out.buf, "obj38.o", "with two lines before");
	ok(!strstr(out.buf, "obj37.o"), "and not more");
	like(out.buf, "late3.o", "four lines after");
	ok(!strstr(out.buf, "late4.o"), "and not more");
	sbuf_reset(&out);

	/* A linker error is a compiler error; *** after it is not shown on its own. */
	sbuf_reset(&log);
	for (int i = 0; i < 20; i++)
		sbuf_addf(&log, "  CC      obj%d.o\n", i);
	sbuf_adds(&log, "ld: kernel/fork.o: in function `copy_process':\n"
		  "fork.c:(.text+0x1234): undefined reference to `missing_symbol'\n");
	for (int i = 0; i < 20; i++)
		sbuf_addf(&log, "  CC      mid%d.o\n", i);
	sbuf_adds(&log, "make: *** [Makefile:1234: vmlinux] Error 1\n");
	kbuild_first_errors(log.buf, 30, &out);
	like(out.buf, "undefined reference to `missing_symbol'", "undefined references");
	ok(!strstr(out.buf, "make: ***"), "make's *** far away is left out");
	sbuf_reset(&out);

	/* Several error sites: "..." between them, at most three sites. */
	sbuf_reset(&log);
	for (int site = 0; site < 5; site++) {
		for (int i = 0; i < 10; i++)
			sbuf_addf(&log, "  CC      s%d-%d.o\n", site, i);
		sbuf_addf(&log, "file%d.c:1:1: error: oops %d\n", site, site);
	}
	kbuild_first_errors(log.buf, 100, &out);
	like(out.buf, "error: oops 0", "first site");
	like(out.buf, "error: oops 2", "third site");
	ok(!strstr(out.buf, "error: oops 3"), "not a fourth");
	like(out.buf, "\n...\n", "separated by ...");
	ok(!str_starts_with(out.buf, "..."), "no ... before the first");
	sbuf_reset(&out);

	/* max_lines caps the output. */
	kbuild_first_errors(log.buf, 4, &out);
	is_int(count_lines(out.buf), 4, "max_lines caps the output");
	sbuf_reset(&out);

	/* "Error:" from the assembler, and a log without a final newline. */
	kbuild_first_errors("a\nb\narch/x86/x.S:3: Error: bad register\nc", 10, &out);
	is_str(out.buf, "a\nb\narch/x86/x.S:3: Error: bad register\nc\n", "assembler Error: with its context");
	sbuf_reset(&out);
	kbuild_first_errors("", 10, &out);
	is_int(out.len, 0, "an empty log: nothing");
	kbuild_first_errors("only line", 10, &out);
	is_str(out.buf, "only line\n", "a one-line log: that line");
	sbuf_release(&log);
	sbuf_release(&out);
}

static void test_stats(void)
{
	char *key = kbuild_stats_key("minimal", "6.1.99 (rc)");

	is_str(key, "minimal/6.1.99_(rc)", "stats key: profile/version, blanks made _");
	free(key);
	key = kbuild_stats_key(NULL, NULL);
	is_str(key, "custom/unknown", "stats key without profile and version");
	free(key);
}

static void test_lock(void)
{
	char tmpl[] = "/tmp/kdebug-unit-XXXXXX";
	char *dir = mkdtemp(tmpl);
	struct sbuf why = SBUF_INIT;
	int fd = -1, fd2 = -1;

	is_int(kbuild_lock(dir, &fd, &why), 0, "take the build lock");
	ok(fd >= 0, "a descriptor holds it");
	is_int(kbuild_lock(dir, &fd2, &why), -EBUSY, "a second taker is refused");
	like(why.buf, "another kdebug build or config is running in", "and told why");
	is_int(fd2, -1, "its descriptor is untouched");
	close(fd);
	sbuf_reset(&why);
	is_int(kbuild_lock(dir, &fd2, &why), 0, "free again once closed");
	close(fd2);
	is_int(kbuild_lock("/nonexistent/dir", &fd, &why), -ENOENT, "no directory: the error");
	like(why.buf, "cannot write to '/nonexistent/dir'", "with the directory");
	rm_rf(dir);
	sbuf_release(&why);
}

int main(void)
{
	test_progress();
	test_progress_feed();
	test_first_errors();
	test_first_errors_more();
	test_stats();
	test_lock();
	test_sources();
	test_state();
	test_check_match();
	return done_testing();
}
