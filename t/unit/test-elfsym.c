// SPDX-License-Identifier: GPL-2.0
/*
 * lib/elfsym.c, the one ELF reader, on objects the system cc builds now: an
 * object file with a .modinfo section (as a .ko has), a static and a
 * dynamic executable.
 */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "elfsym.h"
#include "module.h"
#include "tap.h"

extern char **environ;

static const char source[] =
	"#define MODINFO(tag, info) static const char __mod_##tag[] \\\n"
	"	__attribute__((section(\".modinfo\"), used, aligned(1))) = #tag \"=\" info\n"
	"MODINFO(vermagic, \"6.1.192 SMP mod_unload \");\n"
	"MODINFO(license, \"GPL\");\n"
	"int kdebug_counter = 1;\n"
	"int kdebug_probe(int x) { return x + kdebug_counter; }\n"
	"extern int kdebug_external(void) __attribute__((weak));\n"
	"int kdebug_probe2(int x) { return kdebug_external ? kdebug_external() : x * 2; }\n"
	"int main(void) { return kdebug_probe(0) - 1 + kdebug_probe2(0); }\n";

static char *dir;

static char *at(const char *name)
{
	return path_join(dir, name);
}

/* cc ARGS... in dir: its exit status, or -1 when it cannot run. */
static int cc(const char *const *args)
{
	struct strvec argv = STRVEC_INIT;
	pid_t pid;
	int st;

	strvec_push(&argv, "cc");
	strvec_pushv(&argv, args);
	if (posix_spawnp(&pid, "cc", NULL, NULL, argv.v, environ)) {
		strvec_clear(&argv);
		return -1;
	}
	strvec_clear(&argv);
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void test_symbols(const char *obj)
{
	struct elf_symtab t = { 0 };
	struct strvec sugg = STRVEC_INIT;

	is_int(elf_symtab_load(obj, &t), 0, "symbols of an object file");
	ok(elf_symtab_find(&t, "kdebug_probe") != NULL, "a function is found");
	ok(elf_symtab_find(&t, "kdebug_counter") != NULL, "an object is found");
	ok(elf_symtab_find(&t, "kdebug_prob") == NULL, "a prefix is not a symbol");
	ok(elf_symtab_find(&t, "kdebug_external") == NULL, "undefined symbols are left out");
	for (size_t i = 1; i < t.n; i++)
		if (strcmp(t.syms[i - 1].name, t.syms[i].name) > 0) {
			ok(0, "sorted by name");
			break;
		}
	elf_symtab_suggest(&t, "kdebug_prbe", 3, &sugg);
	ok(sugg.n >= 1 && !strcmp(sugg.v[0], "kdebug_probe"), "did you mean kdebug_probe");
	strvec_clear(&sugg);
	elf_symtab_suggest(&t, "kdebug_probe", 3, &sugg);
	ok(sugg.n == 2 && !strcmp(sugg.v[1], "kdebug_probe2"), "a longer name with the prefix is suggested");
	strvec_clear(&sugg);

	/* What the symbolizer needs: size, section, text, relocatable. */
	ok(t.relocatable, "an object file is relocatable");
	const struct elf_sym *s = elf_symtab_find_text(&t, "kdebug_probe", 0);
	ok(s && s->text && s->size > 0, "a function is text, with its size");
	is_str(s ? s->section : NULL, ".text", "... in .text");
	ok(s && elf_symtab_find_text(&t, "kdebug_probe", s->size + 1) == s, "another size: the first");
	ok(!elf_symtab_find_text(&t, "kdebug_counter", 0), "an object is not text");
	s = elf_symtab_find(&t, "kdebug_counter");
	ok(s && !s->text && s->section && !strcmp(s->section, ".data"), "an object in .data");
	elf_symtab_free(&t);
}

static void test_modinfo(const char *obj, const char *text)
{
	struct sbuf mi = SBUF_INIT;
	char *v = NULL;

	is_int(elf_read_section(obj, ".modinfo", &mi), 0, "the .modinfo section");
	v = module_modinfo_get(mi.buf, mi.len, "license");
	is_str(v, "GPL", "... holds the license");
	free(v);
	v = NULL;
	is_int(module_vermagic(obj, &v), 0, "module_vermagic reads it");
	is_str(v, "6.1.192 SMP mod_unload ", "... the vermagic");
	free(v);
	sbuf_reset(&mi);
	is_int(elf_read_section(obj, ".nosuch", &mi), -ENOEXEC, "a missing section");
	is_int(elf_read_section(text, ".modinfo", &mi), -ENOEXEC, "not ELF");
	is_int(elf_read_section("/nonexistent/x.ko", ".modinfo", &mi), -ENOENT, "missing file");
	sbuf_release(&mi);
}

static void test_static(const char *stat, const char *dyn, const char *obj, const char *text)
{
	struct sbuf why = SBUF_INIT;

	is_int(elf_check_static(stat, &why), 0, "a static executable is static");
	is_int(elf_check_static(dyn, &why), -ENOEXEC, "a dynamic executable is refused");
	like(why.buf, "dynamically linked (interpreter /", "... naming its interpreter");
	sbuf_reset(&why);
	is_int(elf_check_static(obj, &why), -ENOEXEC, "an object file is refused");
	like(why.buf, "not an ELF executable (type 1)", "... as not an executable");
	sbuf_reset(&why);
	is_int(elf_check_static(text, &why), -ENOEXEC, "a text file is refused");
	like(why.buf, "is not an ELF executable", "... as not ELF");
	sbuf_reset(&why);
	is_int(elf_check_static(dir, &why), -ENOEXEC, "a directory is refused");
	like(why.buf, "not a regular file", "... as not a file");
	ok(elf_is_elf(stat) && elf_is_elf(obj) && !elf_is_elf(text), "elf_is_elf");
	sbuf_release(&why);
}

int main(void)
{
	char tmpl[] = "/tmp/kdebug-test-elf.XXXXXX";

	dir = mkdtemp(tmpl);
	if (!dir) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	char *src = at("m.c"), *obj = at("m.o"), *stat = at("static"), *dyn = at("dynamic");
	char *text = at("text");
	write_file(src, source, strlen(source), 0644);
	write_file(text, "hello\n", 6, 0644);
	const char *c_obj[] = { "-c", "-o", obj, src, NULL };
	const char *c_stat[] = { "-static", "-o", stat, src, NULL };
	const char *c_dyn[] = { "-o", dyn, src, NULL };
	if (cc(c_obj) || cc(c_stat) || cc(c_dyn)) {
		printf("1..0 # SKIP cannot build test objects with cc (static libc missing?)\n");
		rm_rf(dir);
		return 0;
	}
	test_symbols(obj);
	test_modinfo(obj, text);
	test_static(stat, dyn, obj, text);
	struct elf_symtab t = { 0 };
	is_int(elf_symtab_load(stat, &t), 0, "symbols of an executable");
	ok(!t.relocatable, "an executable is not relocatable");
	elf_symtab_free(&t);
	rm_rf(dir);
	free(src);
	free(obj);
	free(stat);
	free(dyn);
	free(text);
	return done_testing();
}
