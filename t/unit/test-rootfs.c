// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests for lib/rootfs.c, lib/busybox.c and lib/hash.c: the planned
 * layout, option and --add parsing, ELF static/dynamic detection on real
 * binaries, the cpio read back with libarchive, reproducibility.
 */
#include <archive.h>
#include <archive_entry.h>
#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "busybox.h"
#include "guest.h"
#include "rootfs.h"
#include "hash.h"
#include "tap.h"

static char *tmpdir;

static char *tmp_path(const char *name)
{
	return path_join(tmpdir, name);
}

static void test_hash(void)
{
	struct hash c;
	char hex[HASH_HEX_LEN + 1], short_hex[17];

	hash_init(&c);
	hash_final_hex(&c, hex, HASH_HEX_LEN);
	is_str(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "hash of ''");
	hash_init(&c);
	hash_update(&c, "abc", 3);
	hash_final_hex(&c, hex, HASH_HEX_LEN);
	is_str(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", "hash of 'abc'");
	hash_init(&c);
	hash_update(&c, "abc", 3);
	hash_final_hex(&c, short_hex, 16);
	is_str(short_hex, "ba7816bf8f01cfea", "a short hash is a prefix of the digest");
	hash_init(&c);
	hash_update_str(&c, "ab");
	hash_update_str(&c, "c");
	hash_final_hex(&c, short_hex, 16);
	hash_init(&c);
	hash_update_str(&c, "a");
	hash_update_str(&c, "bc");
	hash_final_hex(&c, hex, 16);
	ok(strcmp(hex, short_hex) != 0, "strings are hashed with their end");
	ok(hash_str32("abc") == 0xba7816bfu, "hash_str32 is the first 32 bits");
	hash_init(&c);
	is_int(hash_update_file(&c, "/nonexistent/file"), -ENOENT, "an unreadable file");
}

static void test_options(void)
{
	enum rootfs_format f;
	enum rootfs_compress c;

	ok(!rootfs_parse_format("ext3", &f) && f == ROOTFS_EXT3, "format ext3");
	ok(!rootfs_parse_format("dir", &f) && f == ROOTFS_DIR, "format dir");
	ok(rootfs_parse_format("ext2", &f) == -EINVAL, "format ext2 refused");
	ok(!rootfs_parse_compress("zstd", &c) && c == ROOTFS_ZSTD, "compress zstd");
	ok(rootfs_parse_compress("xz", &c) == -EINVAL, "compress xz refused");
	is_str(rootfs_default_output(ROOTFS_INITRAMFS, ROOTFS_GZIP), "rootfs.cpio.gz", "default initramfs name");
	is_str(rootfs_default_output(ROOTFS_INITRAMFS, ROOTFS_ZSTD), "rootfs.cpio.zst", "default zstd name");
	is_str(rootfs_default_output(ROOTFS_INITRAMFS, ROOTFS_NONE), "rootfs.cpio", "default cpio name");
	is_str(rootfs_default_output(ROOTFS_EXT4, ROOTFS_GZIP), "rootfs.img", "default ext name");
	is_str(rootfs_default_output(ROOTFS_DIR, ROOTFS_GZIP), "rootfs.d", "default dir name");

	unsetenv("SOURCE_DATE_EPOCH");
	long long e = -1;
	ok(!rootfs_epoch(&e, NULL) && e == 0, "epoch 0 without SOURCE_DATE_EPOCH");
	setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
	ok(!rootfs_epoch(&e, NULL) && e == 1700000000, "epoch from SOURCE_DATE_EPOCH");
	setenv("SOURCE_DATE_EPOCH", "yesterday", 1);
	struct sbuf why = SBUF_INIT;
	ok(rootfs_epoch(&e, &why) == -EINVAL, "bad SOURCE_DATE_EPOCH refused");
	like(why.buf, "SOURCE_DATE_EPOCH='yesterday'", "and named");
	sbuf_release(&why);
	unsetenv("SOURCE_DATE_EPOCH");
}

static void test_add_parsing(void)
{
	struct rootfs_add a = { 0 };
	struct sbuf why = SBUF_INIT;
	char *f = tmp_path("hello.ko");

	write_file(f, "x", 1, 0644);
	char *spec = xasprintf("%s", f);
	ok(!rootfs_parse_add(spec, &a, &why), "--add FILE");
	is_str(a.guest, "/root/hello.ko", "GUEST defaults to /root/<basename>");
	is_str(a.host, f, "HOST made absolute");
	rootfs_add_release(&a);
	free(spec);

	spec = xasprintf("%s:/lib/modules//6.1/extra/", f);
	ok(!rootfs_parse_add(spec, &a, &why), "--add FILE:GUEST");
	is_str(a.guest, "/lib/modules/6.1/extra", "GUEST normalized");
	rootfs_add_release(&a);
	free(spec);

	spec = xasprintf("%s:/", tmpdir);
	ok(!rootfs_parse_add(spec, &a, &why), "--add DIR:/ merges a tree into /");
	is_str(a.guest, "/", "guest is /");
	rootfs_add_release(&a);
	free(spec);

	const struct { const char *fmt; const char *msg; } bad[] = {
		{ ":/x", "empty HOST" },
		{ "%s:", "empty GUEST" },
		{ "%s:relative", "must be an absolute path" },
		{ "%s:/a/../b", "must be an absolute path without" },
		{ "%s:/a/./b", "must be an absolute path without" },
		{ "%s:/", "only a directory" },
		{ "/nonexistent/kdebug-x:/x", "No such file" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		spec = xasprintf(bad[i].fmt, f);
		sbuf_reset(&why);
		a.host = a.guest = NULL;
		ok(rootfs_parse_add(spec, &a, &why) == -EINVAL && !a.host,
		   "--add '%s' refused", spec);
		like(why.buf, bad[i].msg, "  reason: %s", bad[i].msg);
		ok(!strchr(why.buf, '\n'), "  one line");
		free(spec);
	}
	sbuf_release(&why);
	free(f);
}

static void test_rcs(void)
{
	const char *cmds[] = { "echo A", "echo B\n" };
	char *t = rootfs_rcs_text(cmds, 2);
	const char *a = strstr(t, "echo A\necho B\n");
	const char *hook = strstr(t, GUEST_RCS_HOOK);

	ok(a && hook && a < hook && a + strlen("echo A\necho B\n") == hook,
	   "init commands right above the hook line");
	ok(str_starts_with(t, "#!/bin/sh\n"), "rcS keeps its shebang");
	ok(hook && !strcmp(hook, GUEST_RCS_HOOK), "the hook is rcS's last line (the agent starts from inittab)");
	free(t);
	t = rootfs_rcs_text(NULL, 0);
	is_str(t, guest_rcS, "no commands: guest_rcS unchanged");
	free(t);
}

static const char fake_list[] =
	"bin/ls\n"
	"sbin/init\n"
	"usr/bin/[\n"
	"/usr/sbin/chroot\n"	/* tolerated: leading slash */
	"bin/busybox\n"		/* never a link to itself */
	"usr/local/bin/extra\n"
	"\n";

static void test_layout(void)
{
	struct rootfs_plan plan = { 0 };
	struct rootfs_opts o = { 0 };
	struct sbuf why = SBUF_INIT;
	const char *cmds[] = { "echo HELLO" };
	const struct rootfs_entry *e;

	o.init_cmds = cmds;
	o.n_init_cmds = 1;
	ok(!rootfs_plan_make(&plan, &o, "/bin/busybox", fake_list, &why), "plan made");

	static const char *const dirs[] = { "bin", "sbin", "dev", "sys", "proc", "etc", "lib",
					    "mnt", "tmp", "root", "run", "usr/bin", "usr/sbin",
					    "etc/init.d", "usr/local/bin" };
	for (size_t i = 0; i < ARRAY_SIZE(dirs); i++) {
		e = rootfs_plan_find(&plan, dirs[i]);
		ok(e && e->type == ROOTFS_T_DIR, "directory /%s", dirs[i]);
	}
	e = rootfs_plan_find(&plan, "tmp");
	ok(e && e->mode == 01777, "/tmp is 1777");
	e = rootfs_plan_find(&plan, "bin/busybox");
	ok(e && e->type == ROOTFS_T_FILE && e->mode == 0755 && e->host &&
	   !strcmp(e->host, "/bin/busybox"), "bin/busybox copied from the host binary");
	e = rootfs_plan_find(&plan, "bin/ls");
	ok(e && e->type == ROOTFS_T_SYMLINK && !strcmp(e->target, "busybox"), "bin/ls -> busybox");
	e = rootfs_plan_find(&plan, "usr/bin/[");
	ok(e && e->type == ROOTFS_T_SYMLINK && !strcmp(e->target, "../../bin/busybox"),
	   "usr/bin/[ -> ../../bin/busybox");
	e = rootfs_plan_find(&plan, "/usr/sbin/chroot");
	ok(e && e->type == ROOTFS_T_SYMLINK, "leading slash in --list-full tolerated");
	e = rootfs_plan_find(&plan, "usr/local/bin/extra");
	ok(e && !strcmp(e->target, "../../../bin/busybox"), "deeper applet, parents created");
	e = rootfs_plan_find(&plan, "sbin/init");
	ok(e && !strcmp(e->target, "../bin/busybox"), "sbin/init -> ../bin/busybox");
	e = rootfs_plan_find(&plan, "init");
	ok(e && e->type == ROOTFS_T_SYMLINK && !strcmp(e->target, "sbin/init"),
	   "/init -> sbin/init (no rdinit= needed)");
	e = rootfs_plan_find(&plan, "linuxrc");
	ok(e && !strcmp(e->target, "bin/busybox"), "linuxrc as make install makes it");
	e = rootfs_plan_find(&plan, "dev/console");
	ok(e && e->type == ROOTFS_T_CHR && e->major == 5 && e->minor == 1 && e->mode == 0600,
	   "/dev/console c 5 1 0600");
	e = rootfs_plan_find(&plan, "dev/null");
	ok(e && e->type == ROOTFS_T_CHR && e->major == 1 && e->minor == 3 && e->mode == 0666,
	   "/dev/null c 1 3 0666");
	const struct { const char *path, *text; unsigned mode; } files[] = {
		{ "etc/inittab", guest_inittab, 0644 }, { "etc/fstab", guest_fstab, 0644 },
		{ "etc/passwd", guest_passwd, 0644 }, { "etc/group", guest_group, 0644 },
		{ "etc/hostname", guest_hostname, 0644 }, { "etc/profile", guest_profile, 0644 },
		{ "etc/kdebug/exec-agent", guest_exec_agent, 0755 },
		{ "etc/kdebug/udhcpc.script", guest_udhcpc_script, 0755 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		e = rootfs_plan_find(&plan, files[i].path);
		ok(e && e->type == ROOTFS_T_FILE && e->data && !strcmp(e->data, files[i].text) &&
		   e->mode == files[i].mode, "/%s from lib/guest.c, mode %o", files[i].path,
		   files[i].mode);
	}
	ok(rootfs_plan_find(&plan, GUEST_EXEC_AGENT) != NULL, "exec agent at GUEST_EXEC_AGENT");
	e = rootfs_plan_find(&plan, "etc/init.d/rcS");
	ok(e && e->mode == 0755 && strstr(e->data, "echo HELLO\n" GUEST_RCS_HOOK),
	   "rcS 0755 with the --init-cmd above the hook");
	ok(rootfs_plan_find(&plan, "bin/busybox/x") == NULL, "lookup of a missing path");

	bool sorted = true, parents = true;
	for (size_t i = 1; i < plan.n; i++)
		if (strcmp(plan.e[i - 1].path, plan.e[i].path) >= 0)
			sorted = false;
	for (size_t i = 0; i < plan.n; i++) {
		char *slash = strrchr(plan.e[i].path, '/');
		if (!slash)
			continue;
		char *parent = xstrndup(plan.e[i].path, (size_t)(slash - plan.e[i].path));
		const struct rootfs_entry *p = rootfs_plan_find(&plan, parent);
		if (!p || p->type != ROOTFS_T_DIR || p >= &plan.e[i])
			parents = false;
		free(parent);
	}
	ok(sorted, "entries sorted by path, no duplicates");
	ok(parents, "every parent is a directory listed before its children");
	rootfs_plan_release(&plan);

	sbuf_reset(&why);
	ok(rootfs_plan_make(&plan, &o, "/bin/busybox", "bin/ls\n../etc/passwd\n", &why) == -EINVAL,
	   "a '..' applet path is refused");
	like(why.buf, "unusable applet path '../etc/passwd'", "and named");
	ok(plan.n == 0, "plan untouched on failure");
	sbuf_release(&why);
}

static void test_adds_in_plan(void)
{
	struct rootfs_plan plan = { 0 };
	struct rootfs_opts o = { 0 };
	struct sbuf why = SBUF_INIT;
	char *tree = tmp_path("tree"), *sub = tmp_path("tree/sub"), *fa = tmp_path("tree/a");
	char *fb = tmp_path("tree/sub/b"), *ln = tmp_path("tree/link"), *host = tmp_path("hostname");
	const struct rootfs_entry *e;

	mkdir(tree, 0755);
	mkdir(sub, 0750);
	write_file(fa, "A", 1, 0600);
	chmod(fa, 0600);
	write_file(fb, "B", 1, 0755);
	chmod(fb, 0755);
	symlink("a", ln);
	write_file(host, "myhost\n", 7, 0644);

	struct rootfs_add adds[] = {
		{ .host = tree, .guest = (char *)"/opt/t" },
		{ .host = host, .guest = (char *)"/etc/hostname" },
	};
	struct rootfs_file files[] = { { .guest = "/etc/kdebug/rc.d/x.sh", .data = "echo x\n",
					 .len = 7, .mode = 0644 } };
	o.adds = adds;
	o.n_adds = 2;
	o.files = files;
	o.n_files = 1;
	ok(!rootfs_plan_make(&plan, &o, "/bin/busybox", "bin/ls\n", &why), "plan with --add: %s",
	   sbuf_str(&why));
	e = rootfs_plan_find(&plan, "opt/t/sub");
	ok(e && e->type == ROOTFS_T_DIR && e->mode == 0750, "added dir keeps its mode");
	e = rootfs_plan_find(&plan, "opt/t/a");
	ok(e && e->type == ROOTFS_T_FILE && e->mode == 0600 && !strcmp(e->host, fa),
	   "added file keeps its mode, copied from the host");
	e = rootfs_plan_find(&plan, "opt/t/sub/b");
	ok(e && e->mode == 0755, "nested file");
	e = rootfs_plan_find(&plan, "opt/t/link");
	ok(e && e->type == ROOTFS_T_SYMLINK && !strcmp(e->target, "a"), "symlink kept as a symlink");
	e = rootfs_plan_find(&plan, "opt");
	ok(e && e->type == ROOTFS_T_DIR && e->mode == 0755, "missing parents made 0755");
	e = rootfs_plan_find(&plan, "etc/hostname");
	ok(e && e->host && !strcmp(e->host, host), "--add replaces a generated file");
	e = rootfs_plan_find(&plan, "etc/kdebug/rc.d/x.sh");
	ok(e && e->data && !strcmp(e->data, "echo x\n"), "in-memory file added");
	rootfs_plan_release(&plan);

	/* Conflicts. */
	struct rootfs_add onto_dir = { .host = host, .guest = (char *)"/etc" };
	o.adds = &onto_dir;
	o.n_adds = 1;
	sbuf_reset(&why);
	ok(rootfs_plan_make(&plan, &o, "/bin/busybox", "bin/ls\n", &why) == -EINVAL,
	   "a file cannot replace a directory");
	like(why.buf, "'/etc': it is already a directory", "and says so");
	struct rootfs_add under_link = { .host = host, .guest = (char *)"/bin/ls/x" };
	o.adds = &under_link;
	sbuf_reset(&why);
	ok(rootfs_plan_make(&plan, &o, "/bin/busybox", "bin/ls\n", &why) == -EINVAL,
	   "nothing goes under a symlink");
	like(why.buf, "'/bin/ls' is a symlink, not a directory", "and says so");
	sbuf_release(&why);
	free(tree);
	free(sub);
	free(fa);
	free(fb);
	free(ln);
	free(host);
}

static void write_fake_elf(const char *path, unsigned char cls, unsigned machine)
{
	Elf64_Ehdr eh = { 0 };

	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = cls;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_ident[EI_VERSION] = EV_CURRENT;
	eh.e_version = EV_CURRENT;
	eh.e_type = ET_EXEC;
	eh.e_machine = (Elf64_Half)machine;
	write_file(path, &eh, sizeof(eh), 0755);
}

static void test_elf(void)
{
	struct sbuf why = SBUF_INIT;
	char *p;

	ok(elf_check_static("/bin/busybox", &why) == 0, "/bin/busybox is a static x86_64 ELF");
	sbuf_reset(&why);
	ok(elf_check_static("/bin/ls", &why) == -ENOEXEC, "/bin/ls is refused");
	like(why.buf, "dynamically linked", "  because it is dynamic");
	like(why.buf, "busybox-static", "  and the fix is named");
	sbuf_reset(&why);
	ok(elf_check_static("/etc/passwd", &why) == -ENOEXEC, "/etc/passwd is refused");
	like(why.buf, "not an ELF", "  because it is not ELF");
	sbuf_reset(&why);
	ok(elf_check_static("/nonexistent/busybox", &why) == -ENOENT, "missing file: -ENOENT");
	p = tmp_path("elf32");
	write_fake_elf(p, ELFCLASS32, EM_386);
	sbuf_reset(&why);
	ok(elf_check_static(p, &why) == -ENOEXEC, "32-bit ELF refused");
	like(why.buf, "32-bit", "  as 32-bit");
	free(p);
	p = tmp_path("elfarm");
	write_fake_elf(p, ELFCLASS64, EM_AARCH64);
	sbuf_reset(&why);
	ok(elf_check_static(p, &why) == -ENOEXEC, "aarch64 ELF refused");
	like(why.buf, "not x86_64", "  as not x86_64");
	free(p);
	sbuf_release(&why);
}

struct read_entry {
	char *path;
	mode_t mode;
	unsigned uid, gid, major, minor;
	long long mtime;
	char *symlink;
	struct sbuf data;
};

/* Read a cpio (any compression) back with libarchive. */
static size_t read_cpio(const char *path, struct read_entry **out)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	struct read_entry *v = NULL;
	size_t n = 0;

	archive_read_support_filter_all(a);
	archive_read_support_format_cpio(a);
	if (archive_read_open_filename(a, path, 65536) != ARCHIVE_OK) {
		archive_read_free(a);
		*out = NULL;
		return 0;
	}
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		v = xrealloc(v, (n + 1) * sizeof(*v));
		struct read_entry *r = &v[n++];
		memset(r, 0, sizeof(*r));
		r->path = xstrdup(archive_entry_pathname(e));
		r->mode = archive_entry_mode(e);
		r->uid = (unsigned)archive_entry_uid(e);
		r->gid = (unsigned)archive_entry_gid(e);
		r->major = (unsigned)archive_entry_rdevmajor(e);
		r->minor = (unsigned)archive_entry_rdevminor(e);
		r->mtime = archive_entry_mtime(e);
		r->symlink = archive_entry_symlink(e) ? xstrdup(archive_entry_symlink(e)) : NULL;
		char buf[65536];
		la_ssize_t k;
		while ((k = archive_read_data(a, buf, sizeof(buf))) > 0)
			sbuf_add(&r->data, buf, (size_t)k);
	}
	archive_read_free(a);
	*out = v;
	return n;
}

static const struct read_entry *find_read(const struct read_entry *v, size_t n, const char *p)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].path, p))
			return &v[i];
	return NULL;
}

static void free_read(struct read_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].path);
		free(v[i].symlink);
		sbuf_release(&v[i].data);
	}
	free(v);
}

static void test_cpio(void)
{
	struct sbuf applets = SBUF_INIT, why = SBUF_INIT, bb = SBUF_INIT;
	struct rootfs_plan plan = { 0 };
	struct rootfs_opts o = { 0 };
	const char *cmds[] = { "echo HELLO-MARKER" };
	struct read_entry *v;
	size_t n;

	ok(!busybox_list_applets("/bin/busybox", &applets, &why), "busybox --list-full ran");
	like(applets.buf, "bin/sh\n", "  and lists bin/sh");
	o.init_cmds = cmds;
	o.n_init_cmds = 1;
	ok(!rootfs_plan_make(&plan, &o, "/bin/busybox", applets.buf, &why), "real plan");

	const enum rootfs_compress cs[] = { ROOTFS_GZIP, ROOTFS_ZSTD, ROOTFS_NONE };
	for (size_t k = 0; k < ARRAY_SIZE(cs); k++) {
		char *name = xasprintf("rootfs-%zu.cpio", k);
		char *p = tmp_path(name);
		sbuf_reset(&why);
		ok(!rootfs_write_cpio(&plan, p, cs[k], 1234, &why), "cpio written (%s)", name);
		n = read_cpio(p, &v);
		is_int(n, plan.n, "  every planned entry read back");
		if (k == 0) {
			bool root = true, times = true;
			for (size_t i = 0; i < n; i++) {
				if (v[i].uid || v[i].gid)
					root = false;
				if (v[i].mtime != 1234)
					times = false;
			}
			ok(root, "  all entries owned by uid 0 / gid 0");
			ok(times, "  all mtimes are the epoch given");
			const struct read_entry *r = find_read(v, n, "dev/console");
			ok(r && S_ISCHR(r->mode) && (r->mode & 07777) == 0600 && r->major == 5 &&
			   r->minor == 1, "  dev/console c 5 1 0600");
			r = find_read(v, n, "dev/null");
			ok(r && S_ISCHR(r->mode) && (r->mode & 07777) == 0666 && r->major == 1 &&
			   r->minor == 3, "  dev/null c 1 3 0666");
			r = find_read(v, n, "etc/init.d/rcS");
			ok(r && S_ISREG(r->mode) && (r->mode & 0777) == 0755, "  rcS 0755");
			const char *m = r ? strstr(sbuf_str(&r->data), "echo HELLO-MARKER\n") : NULL;
			const char *h = r ? strstr(sbuf_str(&r->data), GUEST_RCS_HOOK) : NULL;
			ok(m && h && m < h, "  rcS has the --init-cmd line before the hook");
			r = find_read(v, n, "etc/kdebug/exec-agent");
			ok(r && (r->mode & 0777) == 0755 && !strcmp(sbuf_str(&r->data), guest_exec_agent),
			   "  exec agent 0755, text from lib/guest.c");
			r = find_read(v, n, "init");
			ok(r && S_ISLNK(r->mode) && r->symlink && !strcmp(r->symlink, "sbin/init"),
			   "  /init -> sbin/init");
			r = find_read(v, n, "bin/sh");
			ok(r && S_ISLNK(r->mode) && !strcmp(r->symlink, "busybox"), "  bin/sh -> busybox");
			r = find_read(v, n, "tmp");
			ok(r && S_ISDIR(r->mode) && (r->mode & 07777) == 01777, "  tmp 1777");
			read_file("/bin/busybox", &bb);
			r = find_read(v, n, "bin/busybox");
			ok(r && r->data.len == bb.len && !memcmp(r->data.buf, bb.buf, bb.len),
			   "  bin/busybox is /bin/busybox byte for byte");
			struct sbuf raw = SBUF_INIT;
			read_file(p, &raw);
			ok(raw.len > 10 && (unsigned char)raw.buf[0] == 0x1f &&
			   (unsigned char)raw.buf[1] == 0x8b && !raw.buf[4] && !raw.buf[5] &&
			   !raw.buf[6] && !raw.buf[7], "  gzip header carries no timestamp");
			sbuf_release(&raw);
		}
		free_read(v, n);
		free(p);
		free(name);
	}
	rootfs_plan_release(&plan);
	sbuf_release(&applets);
	sbuf_release(&why);
	sbuf_release(&bb);
}

static void test_build_reproducible(void)
{
	struct sbuf why = SBUF_INIT, a = SBUF_INIT, b = SBUF_INIT;
	char *p1 = tmp_path("one.cpio.gz"), *p2 = tmp_path("two.cpio.gz");
	struct rootfs_result res = { 0 };
	struct rootfs_opts o = { .output = p1, .result = &res };
	struct stat st1, st2;

	ok(!rootfs_build(&o, &why), "rootfs_build one: %s", sbuf_str(&why));
	ok(!res.up_to_date && res.entries > 200, "  built, %zu entries", res.entries);
	sleep(1);	/* a different wall clock must not matter */
	o.output = p2;
	ok(!rootfs_build(&o, &why), "rootfs_build two: %s", sbuf_str(&why));
	read_file(p1, &a);
	read_file(p2, &b);
	ok(a.len > 100000 && a.len == b.len && !memcmp(a.buf, b.buf, a.len),
	   "same inputs, byte-identical outputs");
	stat(p2, &st1);
	ok(!rootfs_build(&o, &why) && res.up_to_date, "second build of the same output: up to date");
	stat(p2, &st2);
	ok(st1.st_ino == st2.st_ino && st1.st_mtim.tv_nsec == st2.st_mtim.tv_nsec,
	   "  output untouched");
	o.force = true;
	ok(!rootfs_build(&o, &why) && !res.up_to_date, "--force rebuilds");
	o.force = false;
	const char *cmds[] = { "true" };
	o.init_cmds = cmds;
	o.n_init_cmds = 1;
	ok(!rootfs_build(&o, &why) && !res.up_to_date, "a changed input rebuilds");

	/* The default initramfs the run command boots. */
	char *d1 = NULL, *d2 = NULL;
	sbuf_reset(&why);
	ok(!rootfs_default_initramfs(&d1, &why) && d1 && is_regular(d1),
	   "default initramfs built: %s", sbuf_str(&why));
	char *cache = cache_dir();
	ok(d1 && str_starts_with(d1, cache), "  under cache_dir()");
	stat(d1, &st1);
	ok(!rootfs_default_initramfs(&d2, &why) && d2 && !strcmp(d1, d2), "  same path again");
	stat(d2, &st2);
	ok(st1.st_ino == st2.st_ino, "  not rebuilt");
	free(cache);
	free(d1);
	free(d2);

	/* Failures leave nothing behind. */
	o.output = "/proc/kdebug-rootfs-test";
	sbuf_reset(&why);
	ok(rootfs_build(&o, &why) == -EINVAL, "unwritable output: -EINVAL");
	like(why.buf, "cannot write '/proc/kdebug-rootfs-test'", "  names the path");
	o.output = p1;
	o.busybox = "/bin/ls";
	sbuf_reset(&why);
	ok(rootfs_build(&o, &why) == -EINVAL, "dynamic busybox: -EINVAL");
	like(why.buf, "dynamically linked", "  says why");
	sbuf_release(&why);
	sbuf_release(&a);
	sbuf_release(&b);
	free(p1);
	free(p2);
}

int main(void)
{
	char tmpl[] = "/tmp/kdebug-test-rootfs.XXXXXX";

	tmpdir = mkdtemp(tmpl);
	if (!tmpdir) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	char *cache = path_join(tmpdir, "cache");
	setenv("KDEBUG_CACHE_DIR", cache, 1);
	test_hash();
	test_options();
	test_add_parsing();
	test_rcs();
	test_layout();
	test_adds_in_plan();
	test_elf();
	if (is_executable("/bin/busybox")) {
		test_cpio();
		test_build_reproducible();
	} else {
		ok(0, "/bin/busybox missing: install busybox-static");
	}
	rm_rf(tmpdir);
	free(cache);
	return done_testing();
}
