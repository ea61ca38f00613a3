// SPDX-License-Identifier: GPL-2.0
/*
 * The one ELF reader (lib/elfsym.c on libelf) on a file: a module the
 * guest can write (9p/NFS roots), a vmlinux, a BusyBox binary.  The input
 * is the file (a memfd); every entry point that takes a path reads it: the
 * symbol table with lookups and suggestions, .modinfo and its vermagic
 * (module.c), the static-executable check.
 */
#include <errno.h>

#include "elfsym.h"
#include "fuzz.h"
#include "module.h"

static void symbols(const char *path)
{
	struct elf_symtab t;
	struct strvec sv = STRVEC_INIT;

	if (elf_symtab_load(path, &t))
		return;
	for (size_t i = 0; i < t.n; i++) {
		const struct elf_sym *s = elf_symtab_find(&t, t.syms[i].name);
		fuzz_assert(s && !strcmp(s->name, t.syms[i].name));
		if (i)
			fuzz_assert(strcmp(t.syms[i - 1].name, t.syms[i].name) <= 0);
		/* What the oops symbolizer reads: text symbols, their section's name. */
		const struct elf_sym *f = elf_symtab_find_text(&t, t.syms[i].name, t.syms[i].size);
		fuzz_assert(!f || (f->text && !strcmp(f->name, t.syms[i].name)));
		fuzz_assert(!t.syms[i].section || strlen(t.syms[i].section) <= t.section_names_size);
	}
	fuzz_assert(!elf_symtab_find(&t, ""));
	elf_symtab_suggest(&t, "init_module", 3, &sv);
	if (t.n)
		elf_symtab_suggest(&t, t.syms[0].name, 3, &sv);
	strvec_clear(&sv);
	elf_symtab_free(&t);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sbuf mi = SBUF_INIT, why = SBUF_INIT;
	char path[64], *vermagic = NULL;
	int fd = fuzz_memfd(data, size, path);

	(void)elf_is_elf(path);
	symbols(path);
	if (elf_read_section(path, ".modinfo", &mi) == 0) {
		char *v = module_modinfo_get(mi.buf ? mi.buf : "", mi.len, "vermagic");
		free(v);
	}
	if (module_vermagic(path, &vermagic) == 0)
		free(vermagic);
	int r = elf_check_static(path, &why);
	fuzz_assert(r == 0 || why.len > 0);
	sbuf_release(&why);
	sbuf_release(&mi);
	close(fd);
	return 0;
}
