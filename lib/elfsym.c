// SPDX-License-Identifier: GPL-2.0
#include "elfsym.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp_sym(const void *a, const void *b)
{
	const struct elf_sym *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

int elf_symtab_load(const char *path, struct elf_symtab *t)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r = 0;
	struct stat st;
	const unsigned char *m;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if ((size_t)st.st_size < sizeof(Elf64_Ehdr)) {
		close(fd);
		return -ENOEXEC;
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -errno;
	size_t size = (size_t)st.st_size;
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)m;
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shoff > size ||
	    (size_t)eh->e_shnum * sizeof(Elf64_Shdr) > size - eh->e_shoff) {
		r = -ENOEXEC;
		goto out;
	}
	const Elf64_Shdr *sh = (const Elf64_Shdr *)(m + eh->e_shoff);
	const Elf64_Shdr *symsh = NULL;
	for (size_t i = 0; i < eh->e_shnum; i++)
		if (sh[i].sh_type == SHT_SYMTAB)
			symsh = &sh[i];
	if (!symsh || symsh->sh_link >= eh->e_shnum) {
		r = -ENOENT;	/* stripped */
		goto out;
	}
	const Elf64_Shdr *strsh = &sh[symsh->sh_link];
	if (symsh->sh_offset > size || symsh->sh_size > size - symsh->sh_offset ||
	    strsh->sh_offset > size || strsh->sh_size > size - strsh->sh_offset || !strsh->sh_size) {
		r = -ENOEXEC;
		goto out;
	}
	const Elf64_Sym *syms = (const Elf64_Sym *)(m + symsh->sh_offset);
	size_t nsyms = symsh->sh_size / sizeof(Elf64_Sym);
	const char *strs = (const char *)(m + strsh->sh_offset);
	struct elf_symtab nt = { 0 };
	nt.strings = xmalloc(strsh->sh_size + 1);
	memcpy(nt.strings, strs, strsh->sh_size);
	nt.strings[strsh->sh_size] = '\0';
	nt.syms = xcalloc(nsyms ? nsyms : 1, sizeof(*nt.syms));
	for (size_t i = 0; i < nsyms; i++) {
		int type = ELF64_ST_TYPE(syms[i].st_info);
		if (type != STT_FUNC && type != STT_OBJECT && type != STT_NOTYPE)
			continue;
		if (!syms[i].st_name || syms[i].st_name >= strsh->sh_size ||
		    syms[i].st_shndx == SHN_UNDEF)
			continue;
		const char *name = nt.strings + syms[i].st_name;
		if (!*name || name[0] == '$')
			continue;
		nt.syms[nt.n].name = name;
		nt.syms[nt.n].addr = syms[i].st_value;
		nt.n++;
	}
	qsort(nt.syms, nt.n, sizeof(*nt.syms), cmp_sym);
	*t = nt;
out:
	munmap((void *)m, size);
	return r;
}

void elf_symtab_free(struct elf_symtab *t)
{
	free(t->syms);
	free(t->strings);
	memset(t, 0, sizeof(*t));
}

const struct elf_sym *elf_symtab_find(const struct elf_symtab *t, const char *name)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(t->syms[mid].name, name);
		if (c == 0) {
			while (mid > 0 && !strcmp(t->syms[mid - 1].name, name))
				mid--;
			return &t->syms[mid];
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

void elf_symtab_suggest(const struct elf_symtab *t, const char *name, size_t max,
			struct strvec *out)
{
	struct cand { const char *name; size_t d; } *c = NULL;
	size_t nc = 0, len = strlen(name);

	for (size_t i = 0; i < t->n; i++) {
		const char *s = t->syms[i].name;
		if (i && !strcmp(s, t->syms[i - 1].name))
			continue;
		size_t ls = strlen(s);
		if ((ls > len ? ls - len : len - ls) > 2 && !str_starts_with(s, name))
			continue;
		size_t d = str_starts_with(s, name) ? 1 + (ls - len > 0) : edit_distance(s, name);
		if (d > 2)
			continue;
		c = xrealloc(c, (nc + 1) * sizeof(*c));
		c[nc].name = s;
		c[nc].d = d;
		nc++;
	}
	/* Stable selection of the best few. */
	for (size_t k = 0; k < max && k < nc; k++) {
		size_t best = k;
		for (size_t j = k + 1; j < nc; j++)
			if (c[j].d < c[best].d)
				best = j;
		struct cand tmp = c[k];
		c[k] = c[best];
		c[best] = tmp;
		strvec_push(out, c[k].name);
	}
	free(c);
}
