// SPDX-License-Identifier: GPL-2.0
/* The one ELF reader, on libelf/gelf. */
#include "elfsym.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- opening ---- */

struct elf_file {
	int fd;
	Elf *e;
};

/* 0, -errno when the file cannot be opened, -ENOEXEC when it is not ELF. */
static int elf_file_open(const char *path, struct elf_file *f)
{
	static bool ready;

	if (!ready) {
		if (elf_version(EV_CURRENT) == EV_NONE)
			return -ENOEXEC;
		ready = true;
	}
	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0)
		return -errno;
	f->e = elf_begin(f->fd, ELF_C_READ_MMAP, NULL);
	if (!f->e || elf_kind(f->e) != ELF_K_ELF) {
		elf_end(f->e);
		close(f->fd);
		return -ENOEXEC;
	}
	return 0;
}

static void elf_file_close(struct elf_file *f)
{
	elf_end(f->e);
	close(f->fd);
}

bool elf_is_elf(const char *path)
{
	struct elf_file f;

	if (elf_file_open(path, &f))
		return false;
	elf_file_close(&f);
	return true;
}

static bool is_elf64_le(Elf *e)
{
	const char *id = elf_getident(e, NULL);
	return id && id[EI_CLASS] == ELFCLASS64 && id[EI_DATA] == ELFDATA2LSB;
}

/* The first section of type TYPE (the last one when last) and its header, or NULL. */
static Elf_Scn *find_section(Elf *e, Elf64_Word type, bool last, GElf_Shdr *sh)
{
	Elf_Scn *scn = NULL, *found = NULL;
	GElf_Shdr cur;

	while ((scn = elf_nextscn(e, scn)))
		if (gelf_getshdr(scn, &cur) && cur.sh_type == type) {
			found = scn;
			*sh = cur;
			if (!last)
				break;
		}
	return found;
}

/* ---- symbols ---- */

static int cmp_sym(const void *a, const void *b)
{
	const struct elf_sym *x = a, *y = b;
	int c = strcmp(x->name, y->name);
	if (c)
		return c;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static bool wanted(const GElf_Sym *s, size_t strsize)
{
	int type = GELF_ST_TYPE(s->st_info);

	return (type == STT_FUNC || type == STT_OBJECT || type == STT_NOTYPE) &&
	       s->st_name && s->st_name < strsize && s->st_shndx != SHN_UNDEF;
}

/* A copy of the section header string table (the names elf_sym.section points into). */
static void load_section_names(Elf *e, struct elf_symtab *t)
{
	GElf_Ehdr eh;
	size_t shstrndx;
	Elf_Scn *scn;
	Elf_Data *d;

	t->relocatable = gelf_getehdr(e, &eh) && eh.e_type == ET_REL;
	if (elf_getshdrstrndx(e, &shstrndx) || !(scn = elf_getscn(e, shstrndx)) ||
	    !(d = elf_getdata(scn, NULL)) || !d->d_buf || !d->d_size)
		return;
	t->section_names = xmalloc(d->d_size + 1);
	memcpy(t->section_names, d->d_buf, d->d_size);
	t->section_names[d->d_size] = '\0';
	t->section_names_size = d->d_size;
}

/* Section name and executable flag of a symbol defined in section SHNDX. */
static void describe_section(Elf *e, const struct elf_symtab *t, size_t shndx, struct elf_sym *s)
{
	Elf_Scn *scn;
	GElf_Shdr sh;

	if (shndx == SHN_UNDEF || shndx >= SHN_LORESERVE || !(scn = elf_getscn(e, shndx)) ||
	    !gelf_getshdr(scn, &sh))
		return;
	s->text = (sh.sh_flags & SHF_EXECINSTR) != 0;
	if (t->section_names && sh.sh_name < t->section_names_size)
		s->section = t->section_names + sh.sh_name;
}

static int load_symbols(Elf *e, struct elf_symtab *t)
{
	GElf_Shdr symsh = { 0 };
	Elf_Scn *scn = find_section(e, SHT_SYMTAB, true, &symsh);
	Elf_Data *syms = scn ? elf_getdata(scn, NULL) : NULL;
	Elf_Scn *strscn = scn ? elf_getscn(e, symsh.sh_link) : NULL;
	Elf_Data *strs = strscn ? elf_getdata(strscn, NULL) : NULL;

	if (!scn)
		return -ENOENT;	/* stripped */
	if (!syms || !strs || !strs->d_buf || !strs->d_size || !symsh.sh_entsize)
		return -ENOEXEC;
	struct elf_symtab nt = { 0 };
	size_t nsyms = symsh.sh_size / symsh.sh_entsize;
	nt.strings = xmalloc(strs->d_size + 1);
	memcpy(nt.strings, strs->d_buf, strs->d_size);
	nt.strings[strs->d_size] = '\0';
	load_section_names(e, &nt);
	nt.syms = xcalloc(nsyms ? nsyms : 1, sizeof(*nt.syms));
	for (size_t i = 0; i < nsyms; i++) {
		GElf_Sym s;
		if (!gelf_getsym(syms, (int)i, &s) || !wanted(&s, strs->d_size))
			continue;
		const char *name = nt.strings + s.st_name;
		if (!*name || name[0] == '$')
			continue;
		nt.syms[nt.n].name = name;
		nt.syms[nt.n].addr = s.st_value;
		nt.syms[nt.n].size = s.st_size;
		describe_section(e, &nt, s.st_shndx, &nt.syms[nt.n]);
		nt.n++;
	}
	qsort(nt.syms, nt.n, sizeof(*nt.syms), cmp_sym);
	*t = nt;
	return 0;
}

int elf_symtab_load(const char *path, struct elf_symtab *t)
{
	struct elf_file f;
	int r = elf_file_open(path, &f);

	if (r)
		return r;
	r = gelf_getclass(f.e) == ELFCLASS64 ? load_symbols(f.e, t) : -ENOEXEC;
	elf_file_close(&f);
	return r;
}

void elf_symtab_free(struct elf_symtab *t)
{
	free(t->syms);
	free(t->strings);
	free(t->section_names);
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

const struct elf_sym *elf_symtab_find_text(const struct elf_symtab *t, const char *name,
					   uint64_t size)
{
	const struct elf_sym *s = elf_symtab_find(t, name), *first = NULL;

	for (; s && s < t->syms + t->n && !strcmp(s->name, name); s++) {
		if (!s->text)
			continue;
		if (!first)
			first = s;
		if (size && s->size == size)
			return s;
	}
	return first;
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

/* ---- sections ---- */

int elf_read_section(const char *path, const char *name, struct sbuf *out)
{
	struct elf_file f;
	size_t shstrndx;
	Elf_Scn *scn = NULL;
	int r = elf_file_open(path, &f);

	if (r)
		return r;
	r = -ENOEXEC;
	if (!is_elf64_le(f.e) || elf_getshdrstrndx(f.e, &shstrndx))
		goto out;
	while ((scn = elf_nextscn(f.e, scn))) {
		GElf_Shdr sh;
		const char *n = gelf_getshdr(scn, &sh) ? elf_strptr(f.e, shstrndx, sh.sh_name) : NULL;
		if (!n || strcmp(n, name))
			continue;
		Elf_Data *d = elf_rawdata(scn, NULL);
		if (d && d->d_buf)
			sbuf_add(out, d->d_buf, d->d_size);
		r = d || sh.sh_type == SHT_NOBITS ? 0 : -ENOEXEC;
		break;
	}
out:
	elf_file_close(&f);
	return r;
}

/* ---- static executables ---- */

/* What makes an executable dynamic: PT_INTERP (named in interp), or DT_NEEDED. */
static bool is_dynamic(Elf *e, size_t phnum, struct sbuf *interp)
{
	bool dynamic = false;

	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(e, (int)i, &ph))
			return true;	/* unreadable: assume the worst */
		if (ph.p_type == PT_INTERP) {
			Elf_Data *d = elf_getdata_rawchunk(e, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_BYTE);
			if (d && d->d_size)
				sbuf_addf(interp, "%.*s", (int)(d->d_size < 255 ? d->d_size : 255),
					  (const char *)d->d_buf);
			dynamic = true;
		} else if (ph.p_type == PT_DYNAMIC) {
			/* Static PIE has PT_DYNAMIC too, but needs no library. */
			Elf_Data *d = elf_getdata_rawchunk(e, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_DYN);
			size_t n = d ? d->d_size / gelf_fsize(e, ELF_T_DYN, 1, EV_CURRENT) : 0;
			GElf_Dyn dyn;
			if (!n)
				dynamic = true;
			for (size_t j = 0; j < n && gelf_getdyn(d, (int)j, &dyn) && dyn.d_tag != DT_NULL; j++)
				if (dyn.d_tag == DT_NEEDED)
					dynamic = true;
		}
	}
	return dynamic;
}

/* ---- notes ---- */

/* The note NAME/TYPE in DATA (notes, 4-byte aligned): 0 and the descriptor appended, else -ENOENT. */
static int note_in(Elf_Data *d, const char *name, long type, struct sbuf *out)
{
	size_t off = 0, next, name_off, desc_off, len = strlen(name) + 1;
	GElf_Nhdr nh;

	if (!d || !d->d_buf)
		return -ENOENT;
	/* gelf_getnote() checks that each header, name and descriptor lie in d. */
	while (off < d->d_size && (next = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
		const char *n = (const char *)d->d_buf + name_off;
		if (nh.n_namesz == len && !memcmp(n, name, len) && (type < 0 || nh.n_type == (GElf_Word)type)) {
			sbuf_add(out, (const char *)d->d_buf + desc_off, nh.n_descsz);
			return 0;
		}
		off = next;
	}
	return -ENOENT;
}

int elf_find_note(const char *path, const char *name, long type, int *e_type, struct sbuf *out)
{
	struct elf_file f;
	GElf_Ehdr eh;
	size_t phnum = 0;
	Elf_Scn *scn = NULL;
	int r = elf_file_open(path, &f);

	if (r)
		return r;
	r = -ENOEXEC;
	if (!is_elf64_le(f.e) || !gelf_getehdr(f.e, &eh))
		goto out;
	if (e_type)
		*e_type = eh.e_type;
	r = -ENOENT;
	if (elf_getphdrnum(f.e, &phnum))
		phnum = 0;
	for (size_t i = 0; i < phnum && r; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(f.e, (int)i, &ph) || ph.p_type != PT_NOTE || !ph.p_filesz)
			continue;
		/* NULL when the segment lies outside the file. */
		r = note_in(elf_getdata_rawchunk(f.e, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_NHDR),
			    name, type, out);
	}
	while (r && (scn = elf_nextscn(f.e, scn))) {
		GElf_Shdr sh;
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_NOTE)
			r = note_in(elf_getdata(scn, NULL), name, type, out);
	}
out:
	elf_file_close(&f);
	return r;
}

int elf_build_id(const char *path, char **hex)
{
	struct sbuf id = SBUF_INIT, s = SBUF_INIT;
	int r = elf_find_note(path, "GNU", NT_GNU_BUILD_ID, NULL, &id);

	if (!r && !id.len)
		r = -ENOENT;
	if (!r) {
		for (size_t i = 0; i < id.len; i++)
			sbuf_addf(&s, "%02x", (unsigned char)id.buf[i]);
		*hex = sbuf_detach(&s);
	}
	sbuf_release(&id);
	return r;
}

/* 0 when E is an x86_64 executable with program headers, else -ENOEXEC and why. */
static int check_x86_64_exec(Elf *e, const char *path, size_t *phnum, struct sbuf *why)
{
	const char *id = elf_getident(e, NULL);
	GElf_Ehdr eh;

	if (!id || id[EI_CLASS] != ELFCLASS64) {
		if (why)
			sbuf_addf(why, "'%s' is a 32-bit ELF file; kdebug needs an x86_64 one", path);
		return -ENOEXEC;
	}
	if (!gelf_getehdr(e, &eh)) {
		if (why)
			sbuf_addf(why, "'%s' is a truncated ELF file", path);
		return -ENOEXEC;
	}
	if (id[EI_DATA] != ELFDATA2LSB || eh.e_machine != EM_X86_64) {
		if (why)
			sbuf_addf(why, "'%s' is an ELF file for machine %u, not x86_64",
				  path, (unsigned)eh.e_machine);
		return -ENOEXEC;
	}
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) {
		if (why)
			sbuf_addf(why, "'%s' is not an ELF executable (type %u)", path,
				  (unsigned)eh.e_type);
		return -ENOEXEC;
	}
	if (elf_getphdrnum(e, phnum) || *phnum == 0) {
		if (why)
			sbuf_addf(why, "'%s' has no usable ELF program headers", path);
		return -ENOEXEC;
	}
	return 0;
}

int elf_check_static(const char *path, struct sbuf *why)
{
	struct elf_file f;
	struct stat st;
	struct sbuf interp = SBUF_INIT;
	size_t phnum;
	int r;

	if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
		if (why)
			sbuf_addf(why, "'%s' is not a regular file", path);
		return -ENOEXEC;
	}
	r = elf_file_open(path, &f);
	if (r) {
		if (why && r == -ENOEXEC)
			sbuf_addf(why, "'%s' is not an ELF executable", path);
		else if (why)
			sbuf_addf(why, "cannot open '%s': %s", path, strerror(-r));
		return r;
	}
	r = check_x86_64_exec(f.e, path, &phnum, why);
	if (!r && is_dynamic(f.e, phnum, &interp)) {
		if (why) {
			sbuf_addf(why, "'%s' is dynamically linked", path);
			if (interp.len)
				sbuf_addf(why, " (interpreter %s)", interp.buf);
			sbuf_adds(why, "; a root filesystem needs a static busybox: "
				  "install busybox-static, or pass --busybox SRC-DIR|TARBALL to build one");
		}
		r = -ENOEXEC;
	}
	sbuf_release(&interp);
	elf_file_close(&f);
	return r;
}
