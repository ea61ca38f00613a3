// SPDX-License-Identifier: GPL-2.0
/*
 * vmcores: dump-guest-memory over QMP, the VMCOREINFO of ELF and
 * kdump-compressed dumps, the vmlinux that matches by build ID.
 */
#include "vmcore.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crashdir.h"
#include "elfsym.h"
#include "instance.h"
#include "kbuild.h"
#include "proc.h"
#include "qmp.h"

/* Longest VMCOREINFO text read (the kernel's is one page). */
#define VMCOREINFO_MAX (1 << 20)

static const char *const formats[] = { "elf", "kdump-zlib", "kdump-lzo", "kdump-snappy" };

bool vmcore_format_valid(const char *format)
{
	for (size_t i = 0; format && i < ARRAY_SIZE(formats); i++)
		if (!strcmp(format, formats[i]))
			return true;
	return false;
}

/* ---- dumping ---- */

/* A new empty file DIR/.BASE.XXXXXX (0600) next to abs: 0 and *tmp, or -errno. */
static int make_temp(const char *abs, char **tmp)
{
	char *dir = path_dirname(abs);
	char *t = xasprintf("%s/.%s.XXXXXX", dir, path_basename(abs));
	int fd = mkostemp(t, O_CLOEXEC);

	free(dir);
	if (fd < 0) {
		int r = -errno;
		free(t);
		return r;
	}
	close(fd);
	*tmp = t;
	return 0;
}

static int output_check(const char *abs, const char *file, char **tmp, struct sbuf *why)
{
	int r = is_dir(abs) ? -EISDIR : make_temp(abs, tmp);

	if (r && why)
		sbuf_addf(why, "cannot write '%s': %s", file, strerror(-r));
	return r;
}

int vmcore_output_check(const char *file, struct sbuf *why)
{
	char *abs = abspath(file), *tmp = NULL;
	int r = output_check(abs, file, &tmp, why);

	if (!r)
		unlink(tmp);
	free(tmp);
	free(abs);
	return r;
}

static void unlink_cleanup(void *arg)
{
	unlink(arg);
}

static unsigned long long json_ull(const json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));
	return v > 0 ? (unsigned long long)v : 0;
}

static int qmp_fail(struct qmp *q, const char *what, int r, struct sbuf *why)
{
	if (r == -EINTR)
		sbuf_addf(why, "interrupted during '%s'", what);
	else if (r == -EREMOTEIO)
		sbuf_addf(why, "QEMU refused '%s': %s", what, q->error ? q->error : "?");
	else if (r == -ECONNRESET)
		sbuf_addf(why, "QEMU closed the monitor connection during '%s' (did the VM exit?)", what);
	else if (r == -ETIMEDOUT)
		sbuf_addf(why, "QEMU did not answer '%s' within %d s", what, q->timeout_ms / 1000);
	else
		sbuf_addf(why, "'%s' failed: %s", what, strerror(-r));
	return r == -EREMOTEIO ? -EIO : r;
}

/* Does this QEMU write FORMAT?  0, -EOPNOTSUPP (why lists what it can), or a QMP failure. */
static int check_capability(struct qmp *q, const char *format, struct sbuf *why)
{
	json_t *ret = NULL, *f;
	struct sbuf can = SBUF_INIT;
	size_t i;
	int r = qmp_command(q, "query-dump-guest-memory-capability", NULL, &ret);

	if (r)
		return qmp_fail(q, "query-dump-guest-memory-capability", r, why);
	r = -EOPNOTSUPP;
	json_array_foreach(json_object_get(ret, "formats"), i, f) {
		const char *s = json_string_value(f);
		if (!s)
			continue;
		if (!strcmp(s, format))
			r = 0;
		if (vmcore_format_valid(s))
			sbuf_addf(&can, "%s%s", can.len ? ", " : "", s);
	}
	if (r)
		sbuf_addf(why, "this QEMU cannot write %s dumps (it can write: %s); choose another --format",
			  format, can.len ? can.buf : "none");
	sbuf_release(&can);
	json_decref(ret);
	return r;
}

/* Wait for the detached dump to end, reporting progress. */
static int wait_dump(struct qmp *q,
		     void (*progress)(unsigned long long done, unsigned long long total, void *arg),
		     void *arg, struct sbuf *why)
{
	for (;;) {
		json_t *ev = NULL, *st = NULL;
		/* The event ends the wait early; else ask for the progress every 100 ms. */
		int r = qmp_wait_event(q, "DUMP_COMPLETED", 100, &ev);
		if (r == 0) {
			const char *err = json_string_value(json_object_get(ev, "error"));
			if (err)
				sbuf_addf(why, "QEMU could not write the dump: %s", err);
			json_t *res = json_object_get(ev, "result");
			if (!err && progress && res)
				progress(json_ull(res, "completed"), json_ull(res, "total"), arg);
			json_decref(ev);
			return err ? -EIO : 0;
		}
		if (r != -ETIMEDOUT)
			return qmp_fail(q, "dump-guest-memory", r, why);
		r = qmp_command(q, "query-dump", NULL, &st);
		if (r)
			return qmp_fail(q, "query-dump", r, why);
		const char *status = json_string_value(json_object_get(st, "status"));
		if (progress)
			progress(json_ull(st, "completed"), json_ull(st, "total"), arg);
		if (status && !strcmp(status, "completed")) {
			json_decref(st);
			return 0;
		}
		if (!status || strcmp(status, "active")) {
			/* The event says why, if it came. */
			if (qmp_wait_event(q, "DUMP_COMPLETED", 0, &ev) == 0) {
				const char *err = json_string_value(json_object_get(ev, "error"));
				sbuf_addf(why, "QEMU could not write the dump: %s", err ? err : "failed");
				json_decref(ev);
			} else {
				sbuf_addf(why, "QEMU could not write the dump (status %s)", status ? status : "unknown");
			}
			json_decref(st);
			return -EIO;
		}
		json_decref(st);
	}
}

int vmcore_dump(const char *qmp_path, const char *file, const char *format,
		void (*progress)(unsigned long long done, unsigned long long total, void *arg),
		void *arg, struct sbuf *why)
{
	struct sbuf tmpwhy = SBUF_INIT;
	struct qmp q = { .fd = -1 };
	char *abs, *tmp = NULL, *proto;
	json_t *args;
	int r;

	if (!why)
		why = &tmpwhy;
	if (!format)
		format = "elf";
	if (!vmcore_format_valid(format)) {
		sbuf_addf(why, "unknown vmcore format '%s' (known: %s)", format, VMCORE_FORMATS);
		sbuf_release(&tmpwhy);
		return -EINVAL;
	}
	abs = abspath(file);
	r = output_check(abs, file, &tmp, why);
	if (r) {
		free(abs);
		sbuf_release(&tmpwhy);
		return r;
	}
	cleanup_push(unlink_cleanup, tmp);

	r = qmp_connect(&q, qmp_path, 10000);
	if (r == -ETIMEDOUT)
		sbuf_addf(why, "the QEMU monitor at '%s' did not answer within 10 s "
			  "(is another QMP client connected?)", qmp_path);
	else if (r)
		sbuf_addf(why, "cannot connect to the QEMU monitor at '%s': %s", qmp_path, strerror(-r));
	if (!r)
		r = check_capability(&q, format, why);
	if (!r) {
		proto = xasprintf("file:%s", tmp);
		/*
		 * ELF with paging: QEMU walks the guest's page tables and gives
		 * each PT_LOAD its virtual address as well as its physical one;
		 * without, p_vaddr is 0 and drgn (0.0.22) cannot read the
		 * kernel's memory.  kdump formats cannot have paging (QEMU
		 * refuses), and neither can a guest QEMU cannot walk: then
		 * without.
		 */
		bool paging = !strcmp(format, "elf");
		for (int attempt = 0; attempt < 2; attempt++) {
			args = json_pack("{s:b, s:s, s:b, s:s}", "paging", paging, "protocol", proto,
					 "detach", 1, "format", format);
			r = qmp_command(&q, "dump-guest-memory", args, NULL);
			json_decref(args);
			if (r != -EREMOTEIO || !paging)
				break;
			paging = false;
		}
		free(proto);
		if (r)
			r = qmp_fail(&q, "dump-guest-memory", r, why);
	}
	if (!r)
		r = wait_dump(&q, progress, arg, why);
	qmp_close(&q);
	if (!r && rename(tmp, abs) < 0) {
		r = -errno;
		sbuf_addf(why, "cannot rename the dump to '%s': %s", file, strerror(-r));
	}
	if (r)
		unlink(tmp);
	cleanup_pop(unlink_cleanup, tmp);
	free(tmp);
	free(abs);
	sbuf_release(&tmpwhy);
	return r;
}

/* ---- reading ---- */

char *vmcore_info_get(const char *text, const char *key)
{
	size_t klen = strlen(key);

	for (const char *l = text; l && *l;) {
		size_t n = strcspn(l, "\n");
		if (n > klen && !strncmp(l, key, klen) && l[klen] == '=')
			return xstrndup(l + klen + 1, n - klen - 1);
		l += n + (l[n] == '\n');
	}
	return NULL;
}

void vmcore_info_free(struct vmcore_info *vi)
{
	free(vi->path);
	free(vi->format);
	free(vi->text);
	free(vi->osrelease);
	free(vi->build_id);
	memset(vi, 0, sizeof(*vi));
}

/* The text up to its first NUL (notes are padded), without a final newline's absence mattering. */
static char *text_of(const char *data, size_t len)
{
	return xstrndup(data, strnlen(data, len));
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const unsigned char *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

/*
 * The kdump-compressed format (makedumpfile's, which QEMU writes too):
 * block 0 is struct disk_dump_header, block 1 the kdump sub-header.
 */
#define KDUMP_SIGNATURE "KDUMP   "
#define KDH_VERSION 8		/* int header_version */
#define KDH_RELEASE 142		/* struct new_utsname at 12: sysname, nodename, release[65] */
#define KDH_STATUS 424		/* after the timeval at 408 */
#define KDH_BLOCK_SIZE 428
#define KDH_SIZE 464
#define KSH_OFFSET_VMCOREINFO 32	/* off_t, header_version >= 3 */
#define KSH_SIZE_VMCOREINFO 40	/* unsigned long */
#define KSH_SIZE 48
#define KDUMP_ZLIB 0x1
#define KDUMP_LZO 0x2
#define KDUMP_SNAPPY 0x4

/*
 * QEMU writes kdump formats "flattened" (makedumpfile -F): a 4096-byte
 * header ("makedumpfile", type 1, version 1, big-endian), then records of
 * { int64 offset, int64 size } (big-endian) and SIZE bytes that belong at
 * OFFSET of the real file, until an offset of -1.
 */
#define FLAT_SIGNATURE "makedumpfile"
#define FLAT_HEADER_SIZE 4096
#define FLAT_RECORD 16

struct src {
	const char *path;
	uint64_t size;		/* of the file on disk */
	bool flat;
};

static uint64_t be64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static int read_raw(const char *path, void *buf, size_t len, uint64_t off)
{
	ssize_t n;

	if (off > (uint64_t)INT64_MAX - len)
		return -EBADMSG;
	n = read_file_at(path, buf, len, (off_t)off);
	if (n < 0)
		return (int)n;
	return (size_t)n == len ? 0 : -EBADMSG;
}

/* LEN bytes at OFF of the file a flattened one stands for: the records are walked until all are found. */
static int read_flat(const struct src *s, unsigned char *buf, size_t len, uint64_t off)
{
	uint64_t pos = FLAT_HEADER_SIZE, got = 0;
	unsigned char rh[FLAT_RECORD];
	unsigned char *have = xcalloc(len ? len : 1, 1);
	int r = -EBADMSG;

	if (off > (uint64_t)INT64_MAX - len)
		goto out;
	while (s->size >= FLAT_RECORD && pos <= s->size - FLAT_RECORD) {
		if ((r = read_raw(s->path, rh, sizeof(rh), pos)))
			goto out;
		uint64_t roff = be64(rh), rlen = be64(rh + 8);
		r = -EBADMSG;
		if (roff == UINT64_MAX)
			break;	/* the end mark */
		pos += FLAT_RECORD;
		if (roff > (uint64_t)INT64_MAX || rlen > s->size - pos)
			goto out;
		/* The part of [roff, roff + rlen) inside [off, off + len). */
		uint64_t lo = roff > off ? roff : off;
		uint64_t hi = roff + rlen < off + len ? roff + rlen : off + len;
		for (uint64_t a = lo; a < hi;) {
			uint64_t b = a;
			while (b < hi && have[b - off])
				b++;
			if (b > a) {	/* already had these */
				a = b;
				continue;
			}
			while (b < hi && !have[b - off])
				b++;
			if ((r = read_raw(s->path, buf + (a - off), b - a, pos + (a - roff))))
				goto out;
			memset(have + (a - off), 1, b - a);
			got += b - a;
			a = b;
		}
		pos += rlen;
		if (got == len) {
			r = 0;
			goto out;
		}
	}
	r = -EBADMSG;
out:
	free(have);
	return r;
}

static int read_exact(const struct src *s, void *buf, size_t len, uint64_t off)
{
	return s->flat ? read_flat(s, buf, len, off) : read_raw(s->path, buf, len, off);
}

static int read_kdump(const struct src *s, struct vmcore_info *vi, struct sbuf *why)
{
	const char *path = s->path;
	uint64_t size = s->flat ? UINT64_MAX : s->size;
	unsigned char h[KDH_SIZE], sh[KSH_SIZE];
	char release[66];
	int r = read_exact(s, h, sizeof(h), 0);

	if (!r && memcmp(h, KDUMP_SIGNATURE, 8)) {
		sbuf_addf(why, "'%s' is not a vmcore (a flattened makedumpfile file, but not of a kdump)", path);
		return -ENOEXEC;
	}
	if (r) {
		sbuf_addf(why, "'%s' is a damaged kdump-compressed vmcore (its header is cut short)", path);
		return r;
	}
	uint32_t version = le32(h + KDH_VERSION), status = le32(h + KDH_STATUS);
	uint32_t block = le32(h + KDH_BLOCK_SIZE);

	vi->format = xstrdup(status & KDUMP_ZLIB ? "kdump-zlib" : status & KDUMP_LZO ? "kdump-lzo" :
			     status & KDUMP_SNAPPY ? "kdump-snappy" : "kdump");
	memcpy(release, h + KDH_RELEASE, 65);
	release[65] = '\0';
	if (release[0])
		vi->osrelease = xstrdup(release);
	if (version < 3)
		return 0;	/* no VMCOREINFO before header version 3 */
	if (block < KDH_SIZE || block > (1u << 20) || block > size) {
		sbuf_addf(why, "'%s' is a damaged kdump-compressed vmcore (block size %u)", path, block);
		return -EBADMSG;
	}
	r = read_exact(s, sh, sizeof(sh), block);
	if (r) {
		sbuf_addf(why, "'%s' is a damaged kdump-compressed vmcore (its sub-header is cut short)", path);
		return -EBADMSG;
	}
	uint64_t off = le64(sh + KSH_OFFSET_VMCOREINFO), len = le64(sh + KSH_SIZE_VMCOREINFO);
	if (!off || !len)
		return 0;	/* written without VMCOREINFO */
	if (len > VMCOREINFO_MAX || off > size || len > size - off) {
		sbuf_addf(why, "'%s' is a damaged kdump-compressed vmcore (VMCOREINFO at %llu, %llu bytes, "
			  "outside the file)", path, (unsigned long long)off, (unsigned long long)len);
		return -EBADMSG;
	}
	char *buf = xmalloc(len);
	r = read_exact(s, buf, len, off);
	if (r) {
		free(buf);
		sbuf_addf(why, "cannot read the VMCOREINFO of '%s': %s", path, strerror(-r));
		return r;
	}
	vi->text = text_of(buf, len);
	free(buf);
	return 0;
}

static int read_elf(const char *path, struct vmcore_info *vi, struct sbuf *why)
{
	struct sbuf note = SBUF_INIT;
	int type = 0;
	int r = elf_find_note(path, "VMCOREINFO", -1, &type, &note);

	if (r == -ENOEXEC)
		sbuf_addf(why, "'%s' is not a vmcore (an ELF file, but not a 64-bit little-endian one)", path);
	else if (r && r != -ENOENT)
		sbuf_addf(why, "cannot read '%s': %s", path, strerror(-r));
	else if (type != ET_CORE)
		sbuf_addf(why, "'%s' is not a vmcore (an ELF file, but not a core dump)", path);
	if ((r && r != -ENOENT) || type != ET_CORE) {
		sbuf_release(&note);
		return r && r != -ENOENT ? r : -ENOEXEC;
	}
	vi->format = xstrdup("elf");
	if (!r)
		vi->text = note.len > VMCOREINFO_MAX ? text_of(note.buf, VMCOREINFO_MAX) :
			   text_of(note.buf ? note.buf : "", note.len);
	sbuf_release(&note);
	return 0;
}

int vmcore_read_info(const char *path, struct vmcore_info *out, struct sbuf *why)
{
	struct sbuf tmpwhy = SBUF_INIT;
	struct vmcore_info vi = { 0 };
	unsigned char magic[16];
	struct stat st;
	ssize_t n;
	int r;

	if (!why)
		why = &tmpwhy;
	if (stat(path, &st) < 0) {
		r = -errno;
		sbuf_addf(why, "cannot open '%s': %s", path, strerror(-r));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = -ENOEXEC;
		sbuf_addf(why, "'%s' is not a vmcore (not a regular file)", path);
		goto out;
	}
	n = read_file_at(path, magic, sizeof(magic), 0);
	if (n < 0) {
		r = (int)n;
		sbuf_addf(why, "cannot read '%s': %s", path, strerror(-r));
		goto out;
	}
	if (n >= 4 && !memcmp(magic, "\177ELF", 4)) {
		r = read_elf(path, &vi, why);
	} else if (n >= 8 && !memcmp(magic, KDUMP_SIGNATURE, 8)) {
		struct src s = { path, (uint64_t)st.st_size, false };
		r = read_kdump(&s, &vi, why);
	} else if (n == 16 && !memcmp(magic, FLAT_SIGNATURE "\0\0\0", 16)) {
		struct src s = { path, (uint64_t)st.st_size, true };
		r = read_kdump(&s, &vi, why);
		vi.flattened = true;
	} else {
		r = -ENOEXEC;
		sbuf_addf(why, "'%s' is not a vmcore (neither an ELF core nor a kdump-compressed file)", path);
	}
	if (r)
		goto out;
	if (vi.text) {
		char *rel = vmcore_info_get(vi.text, "OSRELEASE");
		if (rel) {
			free(vi.osrelease);
			vi.osrelease = rel;
		}
		char *id = vmcore_info_get(vi.text, "BUILD-ID");
		if (id && *id && strspn(id, "0123456789abcdefABCDEF") == strlen(id)) {
			for (char *p = id; *p; p++)
				if (*p >= 'A' && *p <= 'F')
					*p = (char)(*p - 'A' + 'a');
			vi.build_id = id;
		} else {
			free(id);
		}
	}
	vi.path = xstrdup(path);
	*out = vi;
	vi = (struct vmcore_info){ 0 };
out:
	vmcore_info_free(&vi);
	sbuf_release(&tmpwhy);
	return r;
}

/* ---- the matching vmlinux ---- */

static void add_candidate(struct strvec *c, const char *path)
{
	if (!path || !*path)
		return;
	for (size_t i = 0; i < c->n; i++)
		if (!strcmp(c->v[i], path))
			return;
	strvec_push(c, path);
}

static void add_build(struct strvec *c, const char *build_dir)
{
	if (build_dir) {
		char *v = path_join(build_dir, "vmlinux");
		add_candidate(c, v);
		free(v);
	}
}

/* Every kernel build kdebug remembers in CACHE: the last one, the last of each source. */
static void add_remembered(struct strvec *c, const char *cache)
{
	char *d = path_join(cache, "last-build.d");
	char *last = kbuild_last(cache, NULL);
	DIR *dir = opendir(d);
	struct dirent *de;

	add_build(c, last);
	free(last);
	while (dir && (de = readdir(dir))) {
		if (de->d_name[0] == '.')
			continue;
		char *b = kbuild_last(cache, de->d_name);
		add_build(c, b);
		free(b);
	}
	if (dir)
		closedir(dir);
	free(d);
}

static void gather_candidates(struct strvec *c)
{
	struct strvec dirs = STRVEC_INIT;
	struct instance *list = NULL;
	size_t n = 0;
	char *cache;

	if (crashdir_list(NULL, &dirs) == 0)
		for (size_t i = 0; i < dirs.n; i++) {
			struct crashdir cd;
			if (crashdir_load(dirs.v[i], &cd))
				continue;
			add_candidate(c, cd.vmlinux);
			add_build(c, cd.kernel);
			crashdir_free(&cd);
		}
	strvec_clear(&dirs);
	if (instance_list(&list, &n) == 0) {
		for (size_t i = 0; i < n; i++) {
			add_candidate(c, list[i].vmlinux);
			add_build(c, list[i].build_dir);
		}
		instance_list_free(list, n);
	}
	cache = cache_dir();
	add_remembered(c, cache);
	free(cache);
}

int vmcore_find_vmlinux(const struct vmcore_info *vi, const char *const *hints, char **vmlinux,
			struct sbuf *why)
{
	struct strvec c = STRVEC_INIT;
	int r = -ENOENT;

	if (!vi->build_id) {
		if (why)
			sbuf_addf(why, "the vmcore '%s' has no build ID (%s); give its vmlinux with --vmlinux FILE",
				  vi->path ? vi->path : "", vi->text ? "its VMCOREINFO has no BUILD-ID" :
				  "it has no VMCOREINFO: start the VM with QEMU's -device vmcoreinfo");
		return -ENODATA;
	}
	for (size_t i = 0; hints && hints[i]; i++)
		add_candidate(&c, hints[i]);
	gather_candidates(&c);
	for (size_t i = 0; i < c.n && r; i++) {
		char *id = NULL;
		if (!is_regular(c.v[i]) || elf_build_id(c.v[i], &id))
			continue;
		/* VMCOREINFO's BUILD-ID is 20 bytes; compare what both have. */
		size_t len = strlen(id) < strlen(vi->build_id) ? strlen(id) : strlen(vi->build_id);
		if (len >= 16 && !strncasecmp(id, vi->build_id, len)) {
			*vmlinux = xstrdup(c.v[i]);
			r = 0;
		}
		free(id);
	}
	if (r && why)
		sbuf_addf(why, "no vmlinux with build ID %s found; give it with --vmlinux FILE", vi->build_id);
	strvec_clear(&c);
	return r;
}
