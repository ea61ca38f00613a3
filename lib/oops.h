/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel crash reports on the guest console: a scanner that is fed console
 * lines and hands back each report it recognises (panic, oops, BUG, WARN,
 * soft/hard lockup, hung task), and a symbolizer with the semantics of the
 * kernel's scripts/decode_stacktrace.sh (symbol + offset through the ELF
 * symbol table, then file:line and the inline chain from addr2line).
 */
#ifndef KDEBUG_OOPS_H
#define KDEBUG_OOPS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util.h"

enum oops_kind {
	OOPS_NONE, OOPS_PANIC, OOPS_OOPS, OOPS_BUG, OOPS_WARN, OOPS_SOFT_LOCKUP,
	OOPS_HARD_LOCKUP, OOPS_HUNG_TASK,
	OOPS_HANG	/* set by kdebug (the guest stopped answering), never by the scanner */
};
/* "panic", "oops", "bug", "warn", "soft-lockup", "hard-lockup", "hung-task", "hang" ("none"). */
const char *oops_kind_name(enum oops_kind k);
/* Soft/hard lockup, hung task, hang. */
bool oops_kind_is_hang(enum oops_kind k);

struct oops_frame {
	char *func;		/* "sysrq_handle_crash"; NULL for a raw address frame */
	unsigned long long offset, size;	/* +0x16/0x20 */
	char *module;		/* "kdebug_crash" (no brackets), NULL for vmlinux */
	bool unreliable;	/* "? " frames */
	bool is_ip;		/* from a "RIP: 0010:" line (the faulting IP) */
	char *file;		/* filled by oops_symbolize; NULL/0 when unknown */
	unsigned line;
	/*
	 * When the address is in inlined code: "func file:line" of the whole
	 * inline chain as addr2line -i gives it, innermost first (file:line
	 * above), outermost (the function of the frame) last; else empty.
	 */
	struct strvec inlined;
	/* Added: */
	unsigned long long addr;	/* raw address frames: the address */
	size_t line_index;	/* the report line it came from (lines.v[i]), or SIZE_MAX */
};

struct oops_report {
	enum oops_kind kind;
	/*
	 * The headline: "Kernel panic - not syncing: sysrq triggered crash",
	 * "BUG: kernel NULL pointer dereference, address: 0000000000000000",
	 * "WARNING: CPU: 0 PID: 90 at drivers/x.c:20 f+0x10/0x20 [m]", ...
	 */
	char *message;
	int cpu, pid;		/* -1 when unknown */
	char *comm;		/* NULL when unknown */
	struct oops_frame *frames;	/* the RIP frame first (if any), then the call trace */
	size_t n_frames;
	struct strvec lines;	/* the report's lines, printable ASCII only */
	/* Added: */
	size_t lines_dropped;	/* lines past OOPS_MAX_LINES, not kept */
	bool ended;		/* its end line ("---[ end ...") was seen */
};

/* Bounds of one report. */
#define OOPS_MAX_LINES 400
#define OOPS_MAX_FRAMES 200
#define OOPS_MAX_LINE_LEN 512	/* longer console lines are cut */

/* Callers embed it; its fields are private. */
struct oops_scanner {
	struct oops_report *cur;	/* the report in progress, or NULL */
	unsigned preamble;	/* cur began at "cut here": lines seen before its WARNING/BUG line */
	bool after_end;		/* after "---[ end": x86's repeated register summary is skipped */
};

void oops_scanner_init(struct oops_scanner *sc);
void oops_scanner_clear(struct oops_scanner *sc);
/*
 * One console line (no trailing newline; a trailing \r is ignored).  A
 * report that this line completes is returned (caller frees with
 * oops_report_free), else NULL.  The line may also begin the next report.
 */
struct oops_report *oops_scanner_line(struct oops_scanner *sc, const char *line);
/* End of input (or the guest was paused mid-report): the report in progress, or NULL. */
struct oops_report *oops_scanner_flush(struct oops_scanner *sc);
bool oops_scanner_active(const struct oops_scanner *sc);	/* inside a report */
void oops_report_free(struct oops_report *r);

/*
 * Added: every report of TEXT (a whole console log, lines split on '\n')
 * appended to *out (grown with xrealloc); returns how many were found.
 */
size_t oops_scan_text(const char *text, size_t len, struct oops_report ***out, size_t *n);

/*
 * Symbolize every frame: vmlinux for kernel frames, the module's .ko (found
 * by module name among the .ko files under each directory of module_dirs,
 * recursively; '-' and '_' equivalent; the .ko's .modinfo "name=" wins over
 * the file name) for module frames.  Symbol address from the ELF symbol
 * table + offset, then file:line and the inline chain from
 * `addr2line -a -f -i -e FILE` (one process per file, addresses on its
 * stdin; a .ko is relocatable, so one per section of it, with -j).  A
 * return address printed as func+SIZE/SIZE (a call as a function's last
 * instruction) is looked up one byte back, inside the function.  File
 * paths relative to src_dir when under it (src_dir may be NULL).  Frames
 * that cannot be resolved keep file NULL.  0, or -errno with *why when
 * vmlinux cannot be read (or addr2line cannot run).
 */
int oops_symbolize(struct oops_report *r, const char *vmlinux, const char *src_dir,
		   const struct strvec *module_dirs, struct sbuf *why);

/*
 * The report as text: its lines, each frame line annotated with
 * " file:line", the inline callers on the lines after it.
 */
void oops_report_text(const struct oops_report *r, struct sbuf *out);
/*
 * One JSON object: {"kind","message","cpu","pid","comm","frames":[{"function",
 * "offset","size","module","file","line","reliable","ip","inlined":[...]}],
 * "lines":[...]} (null for unknowns).
 */
json_t *oops_report_json(const struct oops_report *r);

#endif
