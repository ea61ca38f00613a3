/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Symbol tables of ELF files (vmlinux, .ko): load, look up, suggest close
 * names.  Used to check breakpoints before anything starts.
 */
#ifndef KDEBUG_ELFSYM_H
#define KDEBUG_ELFSYM_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct elf_sym {
	const char *name;	/* points into the table's string storage */
	uint64_t addr;
};

struct elf_symtab {
	struct elf_sym *syms;	/* sorted by name */
	size_t n;
	char *strings;
};

/* Load function and object symbols of a 64-bit ELF.  -ENOEXEC when not ELF64. */
int elf_symtab_load(const char *path, struct elf_symtab *t);
void elf_symtab_free(struct elf_symtab *t);
const struct elf_sym *elf_symtab_find(const struct elf_symtab *t, const char *name);
/* Up to max close names (edit distance <= 2, or NAME as a prefix), best first. */
void elf_symtab_suggest(const struct elf_symtab *t, const char *name, size_t max,
			struct strvec *out);

#endif
