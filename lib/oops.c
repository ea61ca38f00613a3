// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel crash reports on the console: the scanner, the symbolizer and
 * the printers.
 *
 * A report begins at a headline ("Kernel panic - not syncing:", "BUG: ...",
 * "Oops:", "general protection fault", "kernel BUG at", "cut here" +
 * "WARNING:", the watchdog's lockup lines, "INFO: task ... blocked") and
 * goes on while lines look like report continuation (frame lines start
 * with a space; register dumps, "Call Trace:", "CPU: ..." and the like).
 * It ends at "---[ end trace"/"---[ end Kernel panic", at the first line
 * that is not continuation, at the next headline, or at the end of input
 * (kdebug pauses a panicking guest before the panic's end line).
 */
#include "oops.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elfsym.h"
#include "module.h"
#include "proc.h"

const char *oops_kind_name(enum oops_kind k)
{
	static const char *const names[] = {
		[OOPS_NONE] = "none", [OOPS_PANIC] = "panic", [OOPS_OOPS] = "oops",
		[OOPS_BUG] = "bug", [OOPS_WARN] = "warn", [OOPS_SOFT_LOCKUP] = "soft-lockup",
		[OOPS_HARD_LOCKUP] = "hard-lockup", [OOPS_HUNG_TASK] = "hung-task",
		[OOPS_HANG] = "hang",
	};
	return (unsigned)k < ARRAY_SIZE(names) && names[k] ? names[k] : "none";
}

bool oops_kind_is_hang(enum oops_kind k)
{
	return k == OOPS_SOFT_LOCKUP || k == OOPS_HARD_LOCKUP || k == OOPS_HUNG_TASK ||
	       k == OOPS_HANG;
}

/* ---- lines ---- */

/*
 * The line as printable ASCII: escape sequences (CSI "ESC [ ... final",
 * OSC "ESC ] ... BEL/ST", two-byte "ESC x") and other control or non-ASCII
 * bytes removed, tabs kept as spaces, a trailing \r dropped, at most
 * OOPS_MAX_LINE_LEN characters.
 */
static void clean_line(const char *in, struct sbuf *out)
{
	const unsigned char *s = (const unsigned char *)in;

	sbuf_reset(out);
	while (*s && out->len < OOPS_MAX_LINE_LEN) {
		if (*s == 0x1b) {
			s++;
			if (*s == '[') {
				s++;
				while (*s && (*s < 0x40 || *s > 0x7e))
					s++;
				if (*s)
					s++;
			} else if (*s == ']') {
				while (*s && *s != 0x07 && !(*s == 0x1b && s[1] == '\\'))
					s++;
				if (*s == 0x1b)
					s++;
				if (*s)
					s++;
			} else if (*s) {
				s++;
			}
			continue;
		}
		if (*s == '\t')
			sbuf_addch(out, ' ');
		else if (*s >= 0x20 && *s < 0x7f)
			sbuf_addch(out, (char)*s);
		s++;
	}
}

/* "[ 12.345678]" or a caller id "[ T85]"/"[ C0]" at s: its length, else 0. */
static size_t bracket_prefix(const char *s)
{
	size_t i = 1;

	if (s[0] != '[')
		return 0;
	while (s[i] == ' ')
		i++;
	if (s[i] == 'T' || s[i] == 'C') {
		i++;
		if (!isdigit((unsigned char)s[i]))
			return 0;
		while (isdigit((unsigned char)s[i]))
			i++;
	} else {
		size_t d = i;
		while (isdigit((unsigned char)s[i]))
			i++;
		if (i == d || s[i] != '.')
			return 0;
		i++;
		d = i;
		while (isdigit((unsigned char)s[i]))
			i++;
		if (i == d)
			return 0;
	}
	return s[i] == ']' ? i + 1 : 0;
}

/* The text after a "<4>" level, printk time and caller id (and one space after them). */
static const char *line_body(const char *s)
{
	size_t n;

	if (s[0] == '<' && isdigit((unsigned char)s[1])) {
		size_t i = 1;
		while (isdigit((unsigned char)s[i]))
			i++;
		if (s[i] == '>')
			s += i + 1;
	}
	bool prefixed = false;
	while ((n = bracket_prefix(s))) {
		s += n;
		prefixed = true;
	}
	if (prefixed && *s == ' ')
		s++;
	return s;
}

static bool starts(const char *s, const char *prefix)
{
	return str_starts_with(s, prefix);
}

/* ---- what a line is ---- */

/* The kind of report a line begins, or OOPS_NONE.  *cut: it is "cut here". */
static enum oops_kind headline_kind(const char *b, bool *cut)
{
	*cut = false;
	if (starts(b, "Kernel panic - not syncing"))
		return OOPS_PANIC;
	if (strstr(b, "BUG: soft lockup") && (starts(b, "watchdog: ") || starts(b, "BUG: ")))
		return OOPS_SOFT_LOCKUP;
	if (strstr(b, "Watchdog detected hard LOCKUP on cpu") &&
	    (starts(b, "NMI watchdog: ") || starts(b, "watchdog: ") || starts(b, "Watchdog ")))
		return OOPS_HARD_LOCKUP;
	if (starts(b, "INFO: task ") && strstr(b, " blocked for more than "))
		return OOPS_HUNG_TASK;
	if (starts(b, "------------[ cut here ]------------")) {
		*cut = true;
		return OOPS_WARN;	/* until its WARNING:/kernel BUG at line says */
	}
	if (starts(b, "BUG: kernel NULL pointer dereference") ||
	    starts(b, "BUG: unable to handle") || starts(b, "general protection fault"))
		return OOPS_OOPS;
	if (starts(b, "kernel BUG at "))
		return OOPS_BUG;
	if (starts(b, "BUG: "))
		return OOPS_BUG;
	if (starts(b, "WARNING: CPU: "))
		return OOPS_WARN;
	return OOPS_NONE;
}

/* Headlines only outside a report (inside one they are its continuation). */
static enum oops_kind weak_headline_kind(const char *b)
{
	if (starts(b, "Oops: ") || starts(b, "invalid opcode: "))
		return OOPS_OOPS;
	return OOPS_NONE;
}

static bool is_end_line(const char *b)
{
	return starts(b, "---[ end trace") || starts(b, "---[ end Kernel panic");
}

/* "RAX:", "R10:", "CR2:", "DR7:", "FS:", "PKRU:", "RIP:", "Code:", ... */
static bool is_register_line(const char *b)
{
	static const char *const names[] = {
		"RIP:", "Code:", "RSP:", "EFLAGS:", "FS:", "GS:", "CS:", "DS:", "ES:", "SS:",
		"PKRU:", "EIP:", "ESP:", "EAX:", "Stack:",
	};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (starts(b, names[i]))
			return true;
	/* R + up to 3 letters/digits + ':' (RAX, RBX, R8, R15), CRn:, DRn: */
	size_t i = 0;
	if (b[0] == 'R')
		i = 1;
	else if ((b[0] == 'C' || b[0] == 'D') && b[1] == 'R')
		i = 2;
	else
		return false;
	size_t start = i;
	while (i < start + 3 && isalnum((unsigned char)b[i]))
		i++;
	return i > start && b[i] == ':';
}

/* Does this line go on a report (it is not a headline)? */
static bool is_continuation(const char *b)
{
	static const char *const prefixes[] = {
		"Call Trace:", "<TASK>", "</TASK>", "<IRQ>", "</IRQ>", "<NMI>", "</NMI>",
		"<#DF>", "<SOFTIRQ>", "</SOFTIRQ>", "Modules linked in", "CPU: ",
		"Hardware name", "Workqueue:", "#PF:", "PGD", "Oops:", "invalid opcode",
		"Kernel Offset", "task:", "\"echo 0 >", "Not tainted", "Tainted:",
		"Unloaded tainted modules:", "Dumping ftrace buffer", "irq event stamp:",
		"hardirqs last", "softirqs last", "Sending NMI from", "NMI backtrace for",
	};
	if (b[0] == ' ')
		return true;
	if (is_register_line(b))
		return true;
	for (size_t i = 0; i < ARRAY_SIZE(prefixes); i++)
		if (starts(b, prefixes[i]))
			return true;
	return false;
}

/* ---- frames ---- */

static bool is_func_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '.' || c == '$';
}

/* A hex number "0x..." at *s (advanced past it); false when there is none. */
static bool parse_hex(const char **s, unsigned long long *v)
{
	const char *p = *s;
	unsigned long long x = 0;
	size_t n = 0;

	if (p[0] != '0' || p[1] != 'x')
		return false;
	p += 2;
	while (isxdigit((unsigned char)*p) && n < 16) {
		x = x * 16 + (unsigned long long)(isdigit((unsigned char)*p) ? *p - '0'
						     : tolower((unsigned char)*p) - 'a' + 10);
		p++;
		n++;
	}
	if (!n || isxdigit((unsigned char)*p))
		return false;
	*s = p;
	*v = x;
	return true;
}

/*
 * "func+0xOFF/0xSIZE [module]" or "0xADDRESS" at s (after "? " or
 * "RIP: 0010:"); anything after it is ignored.  false when s is not a frame.
 */
static bool parse_frame_text(const char *s, struct oops_frame *f)
{
	const char *p = s;
	struct oops_frame nf = { .line_index = SIZE_MAX };

	if (p[0] == '0' && p[1] == 'x') {
		if (!parse_hex(&p, &nf.addr) || (*p && *p != ' '))
			return false;
	} else {
		while (is_func_char(*p))
			p++;
		if (p == s || *p != '+')
			return false;
		const char *func_end = p++;
		if (!parse_hex(&p, &nf.offset) || *p++ != '/' || !parse_hex(&p, &nf.size))
			return false;
		if (*p && *p != ' ')
			return false;
		while (*p == ' ')
			p++;
		if (*p == '[') {
			const char *m = ++p;
			while (*p && *p != ']' && *p != ' ')
				p++;
			if (p > m && (*p == ']' || *p == ' '))
				nf.module = xstrndup(m, (size_t)(p - m));
		}
		nf.func = xstrndup(s, (size_t)(func_end - s));
	}
	*f = nf;
	return true;
}

/*
 * A frame line of a report: " func+0x../0x..", " ? func...", " 0xADDR",
 * "RIP: 0010:func+0x../0x.. [mod]" (a user-mode RIP, CS with RPL 3, is not
 * a kernel frame).
 */
static bool parse_frame_line(const char *b, struct oops_frame *f)
{
	bool unreliable = false, ip = false;

	if (starts(b, "RIP: ")) {
		const char *p = b + 5;
		char *end;
		unsigned long cs = strtoul(p, &end, 16);
		if (end == p || *end != ':' || (cs & 3) == 3)
			return false;
		b = end + 1;
		ip = true;
	} else if (b[0] == ' ') {
		while (*b == ' ')
			b++;
		if (b[0] == '?' && b[1] == ' ') {
			unreliable = true;
			b += 2;
		}
	} else {
		return false;
	}
	if (!parse_frame_text(b, f))
		return false;
	f->unreliable = unreliable;
	f->is_ip = ip;
	return true;
}

static void frame_clear(struct oops_frame *f)
{
	free(f->func);
	free(f->module);
	free(f->file);
	strvec_clear(&f->inlined);
}

/* ---- reports ---- */

void oops_report_free(struct oops_report *r)
{
	if (!r)
		return;
	free(r->message);
	free(r->comm);
	for (size_t i = 0; i < r->n_frames; i++)
		frame_clear(&r->frames[i]);
	free(r->frames);
	strvec_clear(&r->lines);
	free(r);
}

/* "CPU: 0 PID: 85 Comm: sh Not tainted ..." (also the WARNING: line's "CPU: 0 PID: 90 at"). */
static void parse_cpu_line(struct oops_report *r, const char *b)
{
	const char *p = strstr(b, "CPU: ");
	char *end;

	if (!p)
		return;
	long cpu = strtol(p + 5, &end, 10);
	if (end == p + 5 || cpu < 0 || cpu > 1 << 20)
		return;
	if (r->cpu < 0)
		r->cpu = (int)cpu;
	p = end;
	if (!starts(p, " PID: "))
		return;
	long pid = strtol(p + 6, &end, 10);
	if (end == p + 6 || pid < 0 || pid > INT32_MAX)
		return;
	if (r->pid < 0)
		r->pid = (int)pid;
	p = end;
	if (!starts(p, " Comm: ") || r->comm)
		return;
	p += 7;
	const char *stop = strstr(p, " Not tainted");
	const char *t = strstr(p, " Tainted:");
	if (!stop || (t && t < stop))
		stop = t;
	if (!stop)
		stop = p + strcspn(p, " ");
	while (stop > p && stop[-1] == ' ')
		stop--;
	if (stop > p)
		r->comm = xstrndup(p, (size_t)(stop - p));
}

/* "[insmod:90]" at the end of a soft lockup line; "sh:85" of a hung task line. */
static void parse_comm_pid(struct oops_report *r, const char *s, size_t len)
{
	const char *colon = NULL;

	for (size_t i = 0; i < len; i++)
		if (s[i] == ':')
			colon = s + i;
	if (!colon || colon == s)
		return;
	char *end;
	long pid = strtol(colon + 1, &end, 10);
	if (end == colon + 1 || end != s + len || pid < 0 || pid > INT32_MAX)
		return;
	free(r->comm);
	r->comm = xstrndup(s, (size_t)(colon - s));
	r->pid = (int)pid;
}

/* What the headline itself says about CPU, PID and command. */
static void parse_headline(struct oops_report *r, const char *b)
{
	const char *p;
	char *end;

	switch (r->kind) {
	case OOPS_SOFT_LOCKUP:
		if ((p = strstr(b, "CPU#"))) {
			long cpu = strtol(p + 4, &end, 10);
			if (end != p + 4 && cpu >= 0 && cpu < 1 << 20)
				r->cpu = (int)cpu;
		}
		if ((p = strrchr(b, '[')) && str_ends_with(b, "]"))
			parse_comm_pid(r, p + 1, strlen(p + 1) - 1);
		break;
	case OOPS_HARD_LOCKUP:
		if ((p = strstr(b, "LOCKUP on cpu "))) {
			long cpu = strtol(p + 14, &end, 10);
			if (end != p + 14 && cpu >= 0 && cpu < 1 << 20)
				r->cpu = (int)cpu;
		}
		break;
	case OOPS_HUNG_TASK:
		p = b + strlen("INFO: task ");
		if ((end = strstr(p, " blocked for more than ")))
			parse_comm_pid(r, p, (size_t)(end - p));
		break;
	case OOPS_WARN:
		parse_cpu_line(r, b);
		break;
	default:
		break;
	}
}

static void set_headline(struct oops_report *r, enum oops_kind kind, const char *b)
{
	free(r->message);
	r->kind = kind;
	r->message = xstrdup(b);
	parse_headline(r, b);
}

/* Keep the line (within the bounds) and what it says. */
static void report_add_line(struct oops_report *r, const char *clean, const char *b)
{
	size_t index = SIZE_MAX;

	if (r->lines.n < OOPS_MAX_LINES) {
		index = r->lines.n;
		strvec_push(&r->lines, clean);
	} else {
		r->lines_dropped++;
	}
	if (starts(b, "CPU: "))
		parse_cpu_line(r, b);
	else if (starts(b, "task:") && r->pid < 0 && strstr(b, " pid:")) {
		const char *p = strstr(b, " pid:") + 5;
		char *end;
		long pid = strtol(p, &end, 10);
		if (end != p && pid >= 0 && pid <= INT32_MAX)
			r->pid = (int)pid;
	}
	struct oops_frame f;
	if (r->n_frames < OOPS_MAX_FRAMES && parse_frame_line(b, &f)) {
		f.line_index = index;
		r->frames = xrealloc(r->frames, (r->n_frames + 1) * sizeof(*r->frames));
		r->frames[r->n_frames++] = f;
	}
}

static struct oops_report *report_new(void)
{
	struct oops_report *r = xcalloc(1, sizeof(*r));

	r->cpu = r->pid = -1;
	return r;
}

/* ---- the scanner ---- */

void oops_scanner_init(struct oops_scanner *sc)
{
	memset(sc, 0, sizeof(*sc));
}

void oops_scanner_clear(struct oops_scanner *sc)
{
	oops_report_free(sc->cur);
	memset(sc, 0, sizeof(*sc));
}

bool oops_scanner_active(const struct oops_scanner *sc)
{
	return sc->cur != NULL;
}

/* The report in progress, taken from the scanner; NULL when it never got a headline. */
static struct oops_report *take(struct oops_scanner *sc)
{
	struct oops_report *r = sc->cur;

	sc->cur = NULL;
	if (r && sc->preamble) {	/* "cut here" without its WARNING line */
		oops_report_free(r);
		r = NULL;
	}
	sc->preamble = 0;
	return r;
}

/* A "cut here" report waits this many lines for its WARNING:/kernel BUG at line. */
#define OOPS_MAX_PREAMBLE 8

struct oops_report *oops_scanner_line(struct oops_scanner *sc, const char *line)
{
	struct sbuf clean = SBUF_INIT;
	struct oops_report *done = NULL;
	bool cut;

	clean_line(line, &clean);
	const char *cl = sbuf_str(&clean), *b = line_body(cl);
	enum oops_kind kind = headline_kind(b, &cut);

	if (sc->after_end) {
		if (!kind && is_register_line(b))
			goto out;	/* x86's "executive summary" after the end line */
		sc->after_end = false;
	}
	if (sc->cur && sc->preamble) {
		/* After "cut here": WARNING: or kernel BUG at names the report. */
		if (starts(b, "WARNING: ") || starts(b, "kernel BUG at ")) {
			set_headline(sc->cur, starts(b, "WARNING: ") ? OOPS_WARN : OOPS_BUG, b);
			sc->preamble = 0;
			report_add_line(sc->cur, cl, b);
			goto out;
		}
		if (!kind && sc->preamble++ < OOPS_MAX_PREAMBLE) {
			report_add_line(sc->cur, cl, b);
			goto out;
		}
		if (!kind)
			take(sc);	/* no WARNING line came: not a report */
	}
	if (sc->cur && !kind) {
		if (is_end_line(b)) {
			report_add_line(sc->cur, cl, b);
			sc->cur->ended = true;
			done = take(sc);
			sc->after_end = true;
			goto out;
		}
		if (is_continuation(b)) {
			report_add_line(sc->cur, cl, b);
			goto out;
		}
		done = take(sc);
		goto out;
	}
	if (!sc->cur && !kind)
		kind = weak_headline_kind(b);
	if (!kind)
		goto out;
	done = take(sc);
	sc->cur = report_new();
	if (cut) {
		sc->cur->kind = OOPS_WARN;
		sc->preamble = 1;
	} else {
		set_headline(sc->cur, kind, b);
	}
	report_add_line(sc->cur, cl, b);
out:
	sbuf_release(&clean);
	return done;
}

struct oops_report *oops_scanner_flush(struct oops_scanner *sc)
{
	sc->after_end = false;
	return take(sc);
}

struct scan_text {
	struct oops_scanner sc;
	struct oops_report ***out;
	size_t *n;
};

static void scan_push(struct scan_text *st, struct oops_report *r)
{
	if (!r)
		return;
	*st->out = xrealloc(*st->out, (*st->n + 1) * sizeof(**st->out));
	(*st->out)[(*st->n)++] = r;
}

static void scan_line(void *arg, char *line)
{
	struct scan_text *st = arg;

	scan_push(st, oops_scanner_line(&st->sc, line));
}

size_t oops_scan_text(const char *text, size_t len, struct oops_report ***out, size_t *n)
{
	struct scan_text st = { .out = out, .n = n };
	struct sbuf partial = SBUF_INIT;
	size_t before = *n;

	oops_scanner_init(&st.sc);
	sbuf_feed_lines(&partial, text, len, scan_line, &st);
	if (partial.len)
		scan_line(&st, partial.buf);
	scan_push(&st, oops_scanner_flush(&st.sc));
	oops_scanner_clear(&st.sc);
	sbuf_release(&partial);
	return *n - before;
}

/* ---- symbolizing ---- */

/* An object file frames resolve against: vmlinux or a module's .ko. */
struct sym_file {
	char *module;		/* the module name, '-' made '_'; NULL for vmlinux */
	char *path;
	struct elf_symtab syms;
	int loaded;		/* 0 not yet, 1 loaded, -1 unreadable */
};

struct symbolizer {
	struct sym_file *files;	/* [0] is vmlinux */
	size_t n_files;
	bool modules_listed;
	const struct strvec *module_dirs;
	const char *src_dir;
};

static char *module_key(const char *name, size_t len)
{
	char *k = xstrndup(name, len);

	for (char *p = k; *p; p++)
		if (*p == '-')
			*p = '_';
	return k;
}

static struct sym_file *sym_file_add(struct symbolizer *s, char *module, const char *path)
{
	s->files = xrealloc(s->files, (s->n_files + 1) * sizeof(*s->files));
	struct sym_file *f = &s->files[s->n_files++];
	memset(f, 0, sizeof(*f));
	f->module = module;
	f->path = xstrdup(path);
	return f;
}

/* The .ko files under DIR (recursively, at most 16 levels, links not followed). */
static void list_kos(struct symbolizer *s, const char *dir, int depth)
{
	DIR *d = depth < 16 ? opendir(dir) : NULL;
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		char *path = path_join(dir, e->d_name);
		struct stat st;
		if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			list_kos(s, path, depth + 1);
		} else if (S_ISREG(st.st_mode) && str_ends_with(e->d_name, ".ko")) {
			/* The module's own name (.modinfo name=) wins over the file's. */
			struct sbuf mi = SBUF_INIT;
			char *name = NULL;
			if (module_read_modinfo(path, &mi) == 0)
				name = module_modinfo_get(mi.buf, mi.len, "name");
			char *key = name ? module_key(name, strlen(name))
					 : module_key(e->d_name, strlen(e->d_name) - 3);
			sym_file_add(s, key, path);
			free(name);
			sbuf_release(&mi);
		}
		free(path);
	}
	closedir(d);
}

/* The object file of module MODULE (NULL: vmlinux) with its symbols, or NULL. */
static struct sym_file *symbolizer_file(struct symbolizer *s, const char *module)
{
	struct sym_file *f = NULL;

	if (!module) {
		f = &s->files[0];
	} else {
		if (!s->modules_listed) {
			for (size_t i = 0; s->module_dirs && i < s->module_dirs->n; i++)
				list_kos(s, s->module_dirs->v[i], 0);
			s->modules_listed = true;
		}
		char *key = module_key(module, strlen(module));
		for (size_t i = 1; i < s->n_files && !f; i++)
			if (!strcmp(s->files[i].module, key))
				f = &s->files[i];
		free(key);
		if (!f)
			return NULL;
	}
	if (!f->loaded)
		f->loaded = elf_symtab_load(f->path, &f->syms) == 0 ? 1 : -1;
	return f->loaded > 0 ? f : NULL;
}

static void symbolizer_clear(struct symbolizer *s)
{
	for (size_t i = 0; i < s->n_files; i++) {
		free(s->files[i].module);
		free(s->files[i].path);
		elf_symtab_free(&s->files[i].syms);
	}
	free(s->files);
}

/* One address to look up, for one frame. */
struct lookup {
	size_t frame;
	size_t file;		/* index in symbolizer.files */
	const char *section;	/* relocatable files: the symbol's section (addr2line -j) */
	unsigned long long addr;
	bool done;
};

/* "path:123 (discriminator 2)" into the frame's location; false for "??:0". */
static bool parse_location(const char *loc, const char *src_dir, char **file, unsigned *line)
{
	const char *colon = strrchr(loc, ':');
	size_t dl = src_dir ? strlen(src_dir) : 0;

	if (!colon || colon == loc || starts(loc, "??"))
		return false;
	unsigned long n = strtoul(colon + 1, NULL, 10);
	if (!n)
		return false;
	while (dl > 1 && src_dir[dl - 1] == '/')
		dl--;
	if (dl && !strncmp(loc, src_dir, dl) && loc[dl] == '/')
		loc += dl + 1;
	*file = xstrndup(loc, (size_t)(colon - loc));
	*line = (unsigned)n;
	return true;
}

/* One addr2line answer (pairs of function and location lines) into frame f. */
static void fill_frame(struct oops_frame *f, char **pairs, size_t n, const char *src_dir)
{
	char *file;
	unsigned line;

	if (n < 2 || !parse_location(pairs[1], src_dir, &file, &line))
		return;
	free(f->file);
	f->file = file;
	f->line = line;
	for (size_t i = 0; n >= 4 && i + 1 < n; i += 2) {
		char *fl = NULL;
		unsigned l = 0;
		if (parse_location(pairs[i + 1], src_dir, &fl, &l))
			strvec_pushf(&f->inlined, "%s %s:%u", pairs[i], fl, l);
		else
			strvec_pushf(&f->inlined, "%s ??", pairs[i]);
		free(fl);
	}
}

static bool same_group(const struct lookup *a, const struct lookup *b)
{
	return a->file == b->file &&
	       (a->section == b->section ||
		(a->section && b->section && !strcmp(a->section, b->section)));
}

/*
 * addr2line -a -f -i -e FILE [-j SECTION] for the lookups of lk[first]'s
 * group (same file and section), their addresses on its stdin; each
 * answer is "0x<address>" followed by function/location pairs.
 */
static int run_addr2line(struct symbolizer *s, struct oops_report *r, struct lookup *lk,
			 size_t n, size_t first, struct sbuf *why)
{
	struct sym_file *sf = &s->files[lk[first].file];
	const char *section = lk[first].section;
	struct sbuf in = SBUF_INIT, out = SBUF_INIT;
	struct strvec answer = STRVEC_INIT;
	size_t *sent = xcalloc(n, sizeof(*sent)), n_sent = 0, k = 0;
	struct proc p;
	int code, ret = 0, fd;

	for (size_t i = first; i < n; i++)
		if (!lk[i].done && same_group(&lk[i], &lk[first])) {
			lk[i].done = true;
			sent[n_sent++] = i;
			sbuf_addf(&in, "0x%llx\n", lk[i].addr);
		}
	fd = memfd_create("kdebug-addr2line", MFD_CLOEXEC);
	if (fd < 0 || write_all(fd, in.buf, in.len) || lseek(fd, 0, SEEK_SET) < 0) {
		ret = -errno;
		sbuf_addf(why, "cannot hand addresses to addr2line: %s", strerror(errno));
		goto out;
	}
	proc_init(&p);
	strvec_pushl(&p.args, "addr2line", "-a", "-f", "-i", "-e", sf->path, NULL);
	if (section)
		strvec_pushl(&p.args, "-j", section, NULL);
	p.in = fd;
	p.err = PROC_NULL;
	ret = proc_capture(&p, &out, NULL, 0, &code);
	if (ret == -ENOENT) {
		sbuf_addf(why, "addr2line not found; install binutils");
		goto out;
	} else if (ret) {
		sbuf_addf(why, "cannot run addr2line: %s", strerror(-ret));
		goto out;
	}
	for (const char *l = sbuf_str(&out); *l || answer.n;) {
		size_t len = strcspn(l, "\n");
		char *line = xstrndup(l, len);
		char *end;
		/* A new answer: the next address sent, after whole pairs. */
		bool next = !*l || (answer.n % 2 == 0 && k < n_sent && starts(line, "0x") &&
				    strtoull(line, &end, 16) == lk[sent[k]].addr && !*end);
		if (next) {
			if (k > 0)
				fill_frame(&r->frames[lk[sent[k - 1]].frame], answer.v, answer.n,
					   s->src_dir);
			strvec_clear(&answer);
			k++;
		} else {
			strvec_push(&answer, line);
		}
		free(line);
		if (!*l)
			break;
		l += len + (l[len] == '\n');
	}
out:
	if (fd >= 0)
		close(fd);
	strvec_clear(&answer);
	free(sent);
	sbuf_release(&in);
	sbuf_release(&out);
	return ret;
}

int oops_symbolize(struct oops_report *r, const char *vmlinux, const char *src_dir,
		   const struct strvec *module_dirs, struct sbuf *why)
{
	struct symbolizer s = { .module_dirs = module_dirs, .src_dir = src_dir };
	struct lookup *lk = xcalloc(r->n_frames ? r->n_frames : 1, sizeof(*lk));
	size_t n = 0;
	int ret = 0;

	sym_file_add(&s, NULL, vmlinux);
	s.files[0].loaded = elf_symtab_load(vmlinux, &s.files[0].syms);
	if (s.files[0].loaded) {
		ret = s.files[0].loaded;
		if (ret == -ENOENT && is_regular(vmlinux))
			sbuf_addf(why, "'%s' has no symbol table; give the vmlinux of the build", vmlinux);
		else if (ret == -ENOEXEC)
			sbuf_addf(why, "'%s' is not a 64-bit ELF file; give the kernel build's vmlinux", vmlinux);
		else
			sbuf_addf(why, "cannot read vmlinux '%s': %s", vmlinux, strerror(-ret));
		goto out;
	}
	s.files[0].loaded = 1;
	for (size_t i = 0; i < r->n_frames; i++) {
		struct oops_frame *f = &r->frames[i];
		struct sym_file *sf = f->func ? symbolizer_file(&s, f->module) : NULL;
		const struct elf_sym *sym = sf ? elf_symtab_find_text(&sf->syms, f->func, f->size) : NULL;
		if (!sym)
			continue;
		lk[n].frame = i;
		lk[n].file = (size_t)(sf - s.files);
		lk[n].section = sf->syms.relocatable ? sym->section : NULL;
		lk[n].addr = sym->addr + f->offset;
		/* A return address just past a call that ends the function. */
		if (!f->is_ip && f->offset && f->size && f->offset >= f->size)
			lk[n].addr--;
		n++;
	}
	for (size_t i = 0; i < n && !ret; i++)
		if (!lk[i].done)
			ret = run_addr2line(&s, r, lk, n, i, why);
out:
	free(lk);
	symbolizer_clear(&s);
	return ret;
}

/* ---- output ---- */

static void add_location(struct sbuf *out, const char *file, unsigned line)
{
	sbuf_addf(out, "%s:%u", file, line);
}

void oops_report_text(const struct oops_report *r, struct sbuf *out)
{
	for (size_t i = 0; i < r->lines.n; i++) {
		sbuf_adds(out, r->lines.v[i]);
		for (size_t k = 0; k < r->n_frames; k++) {
			const struct oops_frame *f = &r->frames[k];
			if (f->line_index != i || !f->file)
				continue;
			sbuf_addch(out, ' ');
			add_location(out, f->file, f->line);
			/* The inline chain: the innermost is the location above. */
			if (f->inlined.n) {
				const char *inner = f->inlined.v[0];
				sbuf_addf(out, " (%.*s)", (int)strcspn(inner, " "), inner);
			}
			for (size_t j = 1; j < f->inlined.n; j++)
				sbuf_addf(out, "\n  (inlined by) %s", f->inlined.v[j]);
		}
		sbuf_addch(out, '\n');
	}
	if (r->lines_dropped)
		sbuf_addf(out, "[%zu more lines not kept]\n", r->lines_dropped);
}

static json_t *json_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *frame_json(const struct oops_frame *f)
{
	json_t *o = json_object(), *inl = json_array();

	json_object_set_new(o, "function", json_str_or_null(f->func));
	if (f->func) {
		json_object_set_new(o, "offset", json_integer((json_int_t)f->offset));
		json_object_set_new(o, "size", json_integer((json_int_t)f->size));
		json_object_set_new(o, "address", json_null());
	} else {
		char *hex = xasprintf("0x%llx", f->addr);
		json_object_set_new(o, "offset", json_null());
		json_object_set_new(o, "size", json_null());
		json_object_set_new(o, "address", json_string(hex));
		free(hex);
	}
	json_object_set_new(o, "module", json_str_or_null(f->module));
	json_object_set_new(o, "file", json_str_or_null(f->file));
	json_object_set_new(o, "line", f->file ? json_integer(f->line) : json_null());
	json_object_set_new(o, "reliable", json_boolean(!f->unreliable));
	json_object_set_new(o, "ip", json_boolean(f->is_ip));
	for (size_t i = 0; i < f->inlined.n; i++)
		json_array_append_new(inl, json_string(f->inlined.v[i]));
	json_object_set_new(o, "inlined", inl);
	return o;
}

json_t *oops_report_json(const struct oops_report *r)
{
	json_t *o = json_object(), *frames = json_array(), *lines = json_array();

	json_object_set_new(o, "kind", json_string(oops_kind_name(r->kind)));
	json_object_set_new(o, "message", json_str_or_null(r->message));
	json_object_set_new(o, "cpu", r->cpu >= 0 ? json_integer(r->cpu) : json_null());
	json_object_set_new(o, "pid", r->pid >= 0 ? json_integer(r->pid) : json_null());
	json_object_set_new(o, "comm", json_str_or_null(r->comm));
	for (size_t i = 0; i < r->n_frames; i++)
		json_array_append_new(frames, frame_json(&r->frames[i]));
	json_object_set_new(o, "frames", frames);
	for (size_t i = 0; i < r->lines.n; i++)
		json_array_append_new(lines, json_string(r->lines.v[i]));
	json_object_set_new(o, "lines", lines);
	return o;
}
