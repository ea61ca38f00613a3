// SPDX-License-Identifier: GPL-2.0
/* Modules: .modinfo parsing, expected vermagic from a .config, ELF reading and the check. */
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "module.h"
#include "tap.h"

/* A minimal ELF64 with a .modinfo section holding MODINFO (len bytes). */
static void write_ko(const char *path, const char *modinfo, size_t len)
{
	static const char shstr[] = "\0.modinfo\0.shstrtab";
	struct sbuf f = SBUF_INIT;
	Elf64_Ehdr eh = { 0 };
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS64;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_type = ET_REL;
	eh.e_machine = EM_X86_64;
	eh.e_ehsize = sizeof(eh);
	eh.e_shentsize = sizeof(Elf64_Shdr);
	eh.e_shnum = 3;
	eh.e_shstrndx = 2;
	size_t mi_off = sizeof(eh), str_off = mi_off + len, sh_off = str_off + sizeof(shstr);
	eh.e_shoff = sh_off;
	sbuf_add(&f, &eh, sizeof(eh));
	sbuf_add(&f, modinfo, len);
	sbuf_add(&f, shstr, sizeof(shstr));
	Elf64_Shdr sh[3] = { 0 };
	sh[1].sh_name = 1; sh[1].sh_type = SHT_PROGBITS; sh[1].sh_offset = mi_off; sh[1].sh_size = len;
	sh[2].sh_name = 10; sh[2].sh_type = SHT_STRTAB; sh[2].sh_offset = str_off; sh[2].sh_size = sizeof(shstr);
	sbuf_add(&f, sh, sizeof(sh));
	write_file(path, f.buf, f.len, 0644);
	sbuf_release(&f);
}

int main(void)
{
	static const char mi[] = "license=GPL\0vermagic=6.1.192 SMP mod_unload \0name=hello\0";
	char *v = module_modinfo_get(mi, sizeof(mi), "vermagic");
	is_str(v, "6.1.192 SMP mod_unload ", "vermagic from modinfo");
	free(v);
	v = module_modinfo_get(mi, sizeof(mi), "name");
	is_str(v, "hello", "name");
	free(v);
	ok(module_modinfo_get(mi, sizeof(mi), "verm") == NULL, "prefix is not a key");
	ok(module_modinfo_get(mi, 5, "vermagic") == NULL, "bounded by len");

	v = module_expected_vermagic("6.1.192", "CONFIG_SMP=y\nCONFIG_MODULE_UNLOAD=y\n# CONFIG_MODVERSIONS is not set\n");
	is_str(v, "6.1.192 SMP mod_unload ", "minimal config");
	free(v);
	v = module_expected_vermagic("6.1.0-18-amd64",
		"CONFIG_SMP=y\nCONFIG_PREEMPT_BUILD=y\nCONFIG_MODULE_UNLOAD=y\nCONFIG_MODVERSIONS=y\n");
	is_str(v, "6.1.0-18-amd64 SMP preempt mod_unload modversions ", "Debian-like config");
	free(v);
	v = module_expected_vermagic("6.1", "CONFIG_PREEMPT_RT=y\nCONFIG_MCORE2=y\nCONFIG_SMPX=y\n");
	is_str(v, "6.1 preempt_rt CORE2 ", "RT, core2, no prefix matches");
	free(v);
	ok(module_expected_vermagic("6.1", "CONFIG_RANDSTRUCT_FULL=y\n") == NULL, "randstruct: unknown");

	char tmp[] = "/tmp/kdebug-module-XXXXXX";
	ok(mkdtemp(tmp) != NULL, "temp dir");
	char *ko = path_join(tmp, "hello.ko"), *other = path_join(tmp, "other.ko"), *junk = path_join(tmp, "junk.ko");
	write_ko(ko, mi, sizeof(mi));
	static const char mi2[] = "vermagic=6.1.0-18-amd64 SMP preempt mod_unload modversions \0";
	write_ko(other, mi2, sizeof(mi2));
	write_file(junk, "not elf", 7, 0644);
	v = NULL;
	is_int(module_vermagic(ko, &v), 0, "vermagic from an ELF");
	is_str(v, "6.1.192 SMP mod_unload ", "its value");
	free(v);
	v = NULL;
	is_int(module_vermagic(junk, &v), -ENOEXEC, "not ELF");
	ok(v == NULL, "untouched");

	char *b = path_join(tmp, "build"), *inc = path_join(tmp, "build/include/config");
	mkdir_p(inc, 0755);
	char *rel = path_join(inc, "kernel.release"), *cfg = path_join(b, ".config");
	write_file(rel, "6.1.192\n", 8, 0644);
	const char *c = "CONFIG_SMP=y\nCONFIG_MODULE_UNLOAD=y\n";
	write_file(cfg, c, strlen(c), 0644);
	struct sbuf why = SBUF_INIT;
	is_int(module_check(ko, b, &why), 0, "matching module");
	is_int(module_check(other, b, &why), -ESTALE, "module for another kernel");
	like(sbuf_str(&why), "was built for kernel 6.1.0-18-amd64", "names the module's kernel");
	like(sbuf_str(&why), "(vermagic '6.1.192 SMP mod_unload')", "names the build's vermagic");
	like(sbuf_str(&why), "kdebug module build", "says how to fix");
	sbuf_reset(&why);
	is_int(module_check(junk, b, &why), -ENOEXEC, "junk refused");
	like(sbuf_str(&why), "is not a kernel module", "message");

	rm_rf(tmp);
	free(ko); free(other); free(junk); free(b); free(inc); free(rel); free(cfg);
	sbuf_release(&why);
	return done_testing();
}
