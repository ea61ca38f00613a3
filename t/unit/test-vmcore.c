// SPDX-License-Identifier: GPL-2.0
/*
 * lib/vmcore.c and lib/crashdir.c: the VMCOREINFO of small synthetic ELF
 * cores and kdump-compressed files (plain and flattened, as QEMU writes
 * them; damaged ones), format names, crash directories created, saved,
 * loaded and found newest first.
 */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crashdir.h"
#include "tap.h"
#include "vmcore.h"

static char *dir;

static const char info[] =
	"OSRELEASE=6.1.192\nBUILD-ID=5203A1D496015E8A7DDAC17E1BA3DA5EA9F1FBD7\nPAGESIZE=4096\n";

static char *at(const char *name)
{
	return path_join(dir, name);
}

static void put_file(const char *path, const void *data, size_t len)
{
	unlink(path);
	if (write_file(path, data, len, 0600))
		abort();
}

static void add_note(struct sbuf *sb, const char *name, uint32_t type, const void *desc, size_t len)
{
	uint32_t h[3] = { (uint32_t)strlen(name) + 1, (uint32_t)len, type };
	static const char zero[4];

	sbuf_add(sb, h, sizeof(h));
	sbuf_add(sb, name, h[0]);
	sbuf_add(sb, zero, (4 - h[0] % 4) % 4);
	sbuf_add(sb, desc, len);
	sbuf_add(sb, zero, (4 - len % 4) % 4);
}

/* An ELF64 file of TYPE with one PT_NOTE holding NOTES. */
static void make_elf(const char *path, uint16_t type, const struct sbuf *notes, uint64_t bad_offset)
{
	Elf64_Ehdr eh = { 0 };
	Elf64_Phdr ph = { 0 };
	struct sbuf f = SBUF_INIT;

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = type;
	eh.e_machine = EM_X86_64;
	eh.e_version = EV_CURRENT;
	eh.e_phoff = sizeof(eh);
	eh.e_ehsize = sizeof(eh);
	eh.e_phentsize = sizeof(ph);
	eh.e_phnum = 1;
	ph.p_type = PT_NOTE;
	ph.p_offset = bad_offset ? bad_offset : sizeof(eh) + sizeof(ph);
	ph.p_filesz = notes->len;
	sbuf_add(&f, &eh, sizeof(eh));
	sbuf_add(&f, &ph, sizeof(ph));
	sbuf_add(&f, notes->buf, notes->len);
	put_file(path, f.buf, f.len);
	sbuf_release(&f);
}

static void test_elf(void)
{
	struct sbuf notes = SBUF_INIT, why = SBUF_INIT;
	struct vmcore_info vi;
	char *p = at("core.elf");
	char prstatus[336] = { 0 };

	add_note(&notes, "CORE", 1, prstatus, sizeof(prstatus));
	add_note(&notes, "VMCOREINFO", 0, info, sizeof(info) - 1);
	make_elf(p, ET_CORE, &notes, 0);
	is_int(vmcore_read_info(p, &vi, &why), 0, "an ELF core with a VMCOREINFO note");
	is_str(vi.format, "elf", "format elf");
	is_str(vi.osrelease, "6.1.192", "OSRELEASE");
	is_str(vi.build_id, "5203a1d496015e8a7ddac17e1ba3da5ea9f1fbd7", "BUILD-ID, lowercase");
	like(vi.text, "PAGESIZE=4096", "the whole text");
	ok(!vi.flattened, "not flattened");
	vmcore_info_free(&vi);

	sbuf_reset(&notes);
	add_note(&notes, "CORE", 1, prstatus, sizeof(prstatus));
	make_elf(p, ET_CORE, &notes, 0);
	is_int(vmcore_read_info(p, &vi, &why), 0, "an ELF core without VMCOREINFO is still a vmcore");
	ok(!vi.text && !vi.osrelease && !vi.build_id, "with nothing known");
	sbuf_reset(&why);
	is_int(vmcore_find_vmlinux(&vi, NULL, (char **)&p, &why), -ENODATA, "no build ID to look for");
	like(why.buf, "--vmlinux FILE", "says to give --vmlinux");
	vmcore_info_free(&vi);

	sbuf_reset(&notes);
	add_note(&notes, "VMCOREINFO", 0, info, sizeof(info) - 1);
	make_elf(p, ET_EXEC, &notes, 0);
	sbuf_reset(&why);
	is_int(vmcore_read_info(p, &vi, &why), -ENOEXEC, "an ELF executable is not a vmcore");
	like(why.buf, "not a core dump", "why says so");

	make_elf(p, ET_CORE, &notes, 1 << 30);
	sbuf_reset(&why);
	is_int(vmcore_read_info(p, &vi, &why), 0, "a PT_NOTE beyond the end is ignored");
	ok(!vi.text, "no text from outside the file");
	vmcore_info_free(&vi);

	/* A note whose size runs past the segment. */
	sbuf_reset(&notes);
	add_note(&notes, "VMCOREINFO", 0, info, sizeof(info) - 1);
	((uint32_t *)notes.buf)[1] = 0x7ffffff0;
	make_elf(p, ET_CORE, &notes, 0);
	is_int(vmcore_read_info(p, &vi, &why), 0, "a note too long for its segment is ignored");
	ok(!vi.text, "and gives no text");
	vmcore_info_free(&vi);

	sbuf_release(&notes);
	sbuf_release(&why);
	free(p);
}

static void le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static void le64(unsigned char *p, uint64_t v)
{
	le32(p, (uint32_t)v);
	le32(p + 4, (uint32_t)(v >> 32));
}

static void be64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (56 - 8 * i));
}

/* A kdump-compressed file: header, sub-header at 4096, VMCOREINFO at 8192. */
static size_t make_kdump(unsigned char *f, uint32_t status, uint64_t info_off, uint64_t info_len)
{
	memset(f, 0, 3 * 4096);
	memcpy(f, "KDUMP   ", 8);
	le32(f + 8, 6);			/* header_version */
	memcpy(f + 142, "6.1.0-header", 12);	/* utsname.release */
	le32(f + 424, status);
	le32(f + 428, 4096);		/* block_size */
	le32(f + 432, 1);		/* sub_hdr_size */
	le64(f + 4096 + 32, info_off);
	le64(f + 4096 + 40, info_len);
	memcpy(f + 8192, info, sizeof(info) - 1);
	return 8192 + sizeof(info) - 1;
}

static void test_kdump(void)
{
	static unsigned char f[3 * 4096];
	struct sbuf why = SBUF_INIT, flat = SBUF_INIT;
	struct vmcore_info vi;
	char *p = at("core.kdump");
	size_t n = make_kdump(f, 1, 8192, sizeof(info) - 1);

	put_file(p, f, n);
	is_int(vmcore_read_info(p, &vi, &why), 0, "a kdump-compressed file");
	is_str(vi.format, "kdump-zlib", "format kdump-zlib (status bit 1)");
	is_str(vi.osrelease, "6.1.192", "OSRELEASE from VMCOREINFO");
	is_str(vi.build_id, "5203a1d496015e8a7ddac17e1ba3da5ea9f1fbd7", "its BUILD-ID");
	vmcore_info_free(&vi);

	n = make_kdump(f, 4, 0, 0);
	put_file(p, f, n);
	is_int(vmcore_read_info(p, &vi, &why), 0, "a kdump file without VMCOREINFO");
	is_str(vi.format, "kdump-snappy", "format kdump-snappy (status bit 4)");
	is_str(vi.osrelease, "6.1.0-header", "the release of the header");
	ok(!vi.build_id, "no build ID");
	vmcore_info_free(&vi);

	n = make_kdump(f, 2, 8192, 1ULL << 40);
	put_file(p, f, n);
	sbuf_reset(&why);
	is_int(vmcore_read_info(p, &vi, &why), -EBADMSG, "VMCOREINFO said to lie beyond the end");
	like(why.buf, "damaged", "why says damaged");

	n = make_kdump(f, 2, UINT64_MAX - 4, 100);
	put_file(p, f, n);
	is_int(vmcore_read_info(p, &vi, &why), -EBADMSG, "an offset that wraps around");

	n = make_kdump(f, 2, 8192, sizeof(info) - 1);
	le32(f + 428, 1u << 31);
	put_file(p, f, n);
	is_int(vmcore_read_info(p, &vi, &why), -EBADMSG, "a huge block size");

	put_file(p, f, 100);
	is_int(vmcore_read_info(p, &vi, &why), -EBADMSG, "a header cut short");

	/* The flattened form: the same bytes as records, out of order. */
	n = make_kdump(f, 1, 8192, sizeof(info) - 1);
	unsigned char hdr[4096] = { 0 }, rec[16];
	memcpy(hdr, "makedumpfile", 12);
	be64(hdr + 16, 1);
	be64(hdr + 24, 1);
	sbuf_add(&flat, hdr, sizeof(hdr));
	const size_t parts[][2] = { { 8192, n - 8192 }, { 0, 4096 }, { 4096, 4096 } };
	for (size_t i = 0; i < ARRAY_SIZE(parts); i++) {
		be64(rec, parts[i][0]);
		be64(rec + 8, parts[i][1]);
		sbuf_add(&flat, rec, sizeof(rec));
		sbuf_add(&flat, f + parts[i][0], parts[i][1]);
	}
	be64(rec, UINT64_MAX);
	be64(rec + 8, UINT64_MAX);
	sbuf_add(&flat, rec, sizeof(rec));
	put_file(p, flat.buf, flat.len);
	is_int(vmcore_read_info(p, &vi, &why), 0, "a flattened kdump file");
	ok(vi.flattened, "flattened");
	is_str(vi.build_id, "5203a1d496015e8a7ddac17e1ba3da5ea9f1fbd7", "its BUILD-ID");
	vmcore_info_free(&vi);

	/* A record longer than the file. */
	be64((unsigned char *)flat.buf + 4096 + 8, 1ULL << 50);
	put_file(p, flat.buf, flat.len);
	is_int(vmcore_read_info(p, &vi, &why), -EBADMSG, "a flattened record longer than the file");

	put_file(p, "hello, world\n", 13);
	sbuf_reset(&why);
	is_int(vmcore_read_info(p, &vi, &why), -ENOEXEC, "text is not a vmcore");
	like(why.buf, "is not a vmcore", "why says so");
	is_int(vmcore_read_info(dir, &vi, &why), -ENOEXEC, "nor is a directory");
	free(p);
	p = at("absent");
	is_int(vmcore_read_info(p, &vi, &why), -ENOENT, "a missing file");
	free(p);
	sbuf_release(&why);
	sbuf_release(&flat);
}

static void test_info_get(void)
{
	char *v = vmcore_info_get(info, "PAGESIZE");
	is_str(v, "4096", "vmcore_info_get");
	free(v);
	ok(!vmcore_info_get(info, "PAGE"), "a prefix of a key is not the key");
	ok(!vmcore_info_get("", "X"), "empty text");
}

static void test_formats(void)
{
	struct sbuf why = SBUF_INIT;
	char *p;

	ok(vmcore_format_valid("elf"), "elf");
	ok(vmcore_format_valid("kdump-zlib"), "kdump-zlib");
	ok(vmcore_format_valid("kdump-lzo"), "kdump-lzo");
	ok(vmcore_format_valid("kdump-snappy"), "kdump-snappy");
	ok(!vmcore_format_valid("win-dmp"), "not win-dmp");
	ok(!vmcore_format_valid("ELF"), "names are lowercase");
	ok(!vmcore_format_valid(NULL), "not NULL");
	is_int(vmcore_dump("/nonexistent/qmp.sock", "x", "zip", NULL, NULL, &why), -EINVAL,
	       "vmcore_dump refuses an unknown format first");
	like(why.buf, "unknown vmcore format 'zip'", "and says which");

	p = at("out.core");
	is_int(vmcore_output_check(p, NULL), 0, "a new file in a writable directory");
	ok(!path_exists(p), "the check leaves nothing");
	sbuf_reset(&why);
	is_int(vmcore_output_check(dir, &why), -EISDIR, "a directory is not a file to write");
	is_int(vmcore_output_check("/nonexistent/dir/core", NULL), -ENOENT, "a missing directory");
	sbuf_reset(&why);
	is_int(vmcore_dump("/nonexistent/qmp.sock", p, "elf", NULL, NULL, &why), -ENOENT,
	       "no QEMU: the connection fails");
	like(why.buf, "cannot connect", "why says so");
	ok(!path_exists(p), "and no file is left");
	free(p);
	sbuf_release(&why);
}

static void test_crashdir(void)
{
	struct crashdir cd = { 0 }, back;
	struct strvec dirs = STRVEC_INIT;
	char *d1 = NULL, *d2 = NULL, *d3 = NULL, *latest = NULL, *root;
	struct stat st;

	setenv("KDEBUG_CACHE_DIR", dir, 1);
	root = crashdir_root();
	is_int(crashdir_latest(NULL, &latest), -ENOENT, "no crash directory yet");
	is_int(crashdir_create("bad/name", &d1), -EINVAL, "a bad name is refused");
	is_int(crashdir_create("vm-a", &d1), 0, "create vm-a");
	ok(stat(d1, &st) == 0 && (st.st_mode & 0777) == 0700, "mode 0700");
	is_int(crashdir_create("vm-a", &d2), 0, "create vm-a again, same second");
	ok(strcmp(d1, d2) != 0, "a different directory");
	is_int(crashdir_latest("vm-a", &latest), -ENOENT, "directories without meta.json are skipped");

	cd.name = "vm-a";
	cd.kind = "panic";
	cd.time = 1700000000;
	cd.vmlinux = "/k/vmlinux";
	cd.kernel = "/k";
	cd.release = "6.1.192";
	strvec_push(&cd.modules, "/m/one");
	strvec_push(&cd.modules, "/m/two");
	cd.vmcore = "vmcore";
	cd.format = "elf";
	is_int(crashdir_save(d1, &cd), 0, "save");
	cd.kind = "oops";
	cd.vmcore = NULL;
	cd.format = NULL;
	is_int(crashdir_save(d2, &cd), 0, "save another");
	cd.kind = "nonsense";
	is_int(crashdir_save(d2, &cd), -EINVAL, "an unknown kind is refused");
	cd.kind = "oops";
	cd.release = "\xff\xfe";
	is_int(crashdir_save(d2, &cd), -EILSEQ, "text that is not UTF-8 is refused");
	strvec_clear(&cd.modules);

	is_int(crashdir_load(d1, &back), 0, "load");
	is_str(back.name, "vm-a", "name");
	is_str(back.kind, "panic", "kind");
	is_int(back.time, 1700000000, "time");
	is_str(back.vmlinux, "/k/vmlinux", "vmlinux");
	is_str(back.kernel, "/k", "kernel");
	is_str(back.release, "6.1.192", "release");
	is_int(back.modules.n, 2, "modules");
	is_str(back.modules.n == 2 ? back.modules.v[1] : NULL, "/m/two", "second module");
	char *want = path_join(d1, "vmcore");
	is_str(back.vmcore, want, "a relative vmcore is anchored in the directory");
	free(want);
	is_str(back.format, "elf", "format");
	is_str(back.dir, d1, "dir");
	crashdir_free(&back);
	is_int(crashdir_load(d2, &back), 0, "load the second");
	ok(!back.vmcore && !back.format, "null vmcore and format");
	crashdir_free(&back);

	is_int(crashdir_latest("vm-a", &latest), 0, "newest of vm-a");
	is_str(latest, d2, "is the later one (-2)");
	free(latest);
	is_int(crashdir_latest("vm", &latest), -ENOENT, "a prefix of a name is not the name");

	/* Another VM, an earlier time, a foreign entry, a bad meta.json. */
	d3 = path_join(root, "vm-b-20991231T235959Z");
	mkdir(d3, 0700);
	cd.name = "vm-b";
	cd.release = NULL;
	is_int(crashdir_save(d3, &cd), 0, "save vm-b (a later time)");
	char *old = path_join(root, "vm-a-20000101T000000Z");
	mkdir(old, 0700);
	char *m = path_join(old, "meta.json");
	put_file(m, "{\"version\":1,\"name\":3}\n", 23);
	is_int(crashdir_load(old, &back), -EINVAL, "a name of the wrong type");
	free(m);
	char *junk = path_join(root, "notes.txt");
	put_file(junk, "x", 1);
	free(junk);

	is_int(crashdir_list("vm-a", &dirs), 0, "list vm-a");
	is_int(dirs.n, 3, "three complete ones");
	is_str(dirs.n == 3 ? dirs.v[2] : NULL, old, "the oldest last");
	strvec_clear(&dirs);
	is_int(crashdir_latest(NULL, &latest), 0, "newest of all");
	is_str(latest, d3, "is vm-b's (2099)");
	free(latest);
	is_int(crashdir_latest("vm-b", &latest), 0, "a name with a dash and a time");
	free(latest);

	free(old);
	free(root);
	free(d1);
	free(d2);
	free(d3);
}

int main(void)
{
	char tmpl[] = "/tmp/kdebug-test-vmcore.XXXXXX";

	dir = mkdtemp(tmpl);
	if (!dir)
		return 1;
	test_elf();
	test_kdump();
	test_info_get();
	test_formats();
	test_crashdir();
	rm_rf(dir);
	return done_testing();
}
