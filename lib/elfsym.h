/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The one ELF reader (libelf/gelf; the library checks the bounds): symbol
 * tables of vmlinux and .ko files (look up, suggest close names, to check
 * breakpoints before anything starts), a named section's bytes (a .ko's
 * .modinfo), and the "is it a static x86_64 executable" check of BusyBox.
 */
#ifndef KDEBUG_ELFSYM_H
#define KDEBUG_ELFSYM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct elf_sym {
	const char *name;	/* points into the table's string storage */
	uint64_t addr;		/* st_value: section-relative in a relocatable (.ko) */
	uint64_t size;		/* st_size */
	const char *section;	/* its section's name (".text", ".init.text"), or NULL */
	bool text;		/* in an executable section (nm's t/T) */
};

struct elf_symtab {
	struct elf_sym *syms;	/* sorted by name, then address */
	size_t n;
	char *strings;
	char *section_names;	/* storage of the elf_sym.section names */
	size_t section_names_size;
	bool relocatable;	/* ET_REL (a .ko): addresses are section offsets */
};

/*
 * Load function and object symbols of a 64-bit ELF.  -ENOEXEC when not
 * ELF64, -ENOENT when it has no symbol table (stripped), else -errno.
 */
int elf_symtab_load(const char *path, struct elf_symtab *t);
void elf_symtab_free(struct elf_symtab *t);
const struct elf_sym *elf_symtab_find(const struct elf_symtab *t, const char *name);
/*
 * The text symbol NAME (nm's t/T), the one of size SIZE when several share
 * the name (static functions of different files) and one has it, else the
 * first; NULL when there is none.  size 0: the first.
 */
const struct elf_sym *elf_symtab_find_text(const struct elf_symtab *t, const char *name,
					   uint64_t size);
/* Up to max close names (edit distance <= 2, or NAME as a prefix), best first. */
void elf_symtab_suggest(const struct elf_symtab *t, const char *name, size_t max,
			struct strvec *out);

/* Is PATH an ELF file (of any class or machine)? */
bool elf_is_elf(const char *path);

/*
 * Append the bytes of section NAME of a 64-bit little-endian ELF to *out.
 * -ENOEXEC when the file is not such an ELF or has no such section, else -errno.
 */
int elf_read_section(const char *path, const char *name, struct sbuf *out);

/*
 * The descriptor of the first ELF note named NAME whose type is TYPE (any
 * type when TYPE < 0), appended to *out: from the PT_NOTE segments of a
 * 64-bit little-endian ELF (a core file, a vmlinux), else from its SHT_NOTE
 * sections.  *e_type (may be NULL) gets the file's ELF type (ET_CORE, ...)
 * whenever it is such an ELF.  -ENOEXEC when it is not, -ENOENT when there
 * is no such note, else -errno.
 */
int elf_find_note(const char *path, const char *name, long type, int *e_type, struct sbuf *out);
/* NT_GNU_BUILD_ID as a lowercase hex string (malloc'd); same errors. */
int elf_build_id(const char *path, char **hex);

/*
 * Is path a statically linked x86_64 ELF executable?  0 when it is (static
 * PIE included: no PT_INTERP and no DT_NEEDED), -ENOEXEC when it is not
 * (not ELF, 32-bit, another machine, not an executable, dynamically
 * linked), -errno when it cannot be read; *why says which.
 */
int elf_check_static(const char *path, struct sbuf *why);

#endif
