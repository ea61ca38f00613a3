// SPDX-License-Identifier: GPL-2.0
/*
 * lib/oops.c: the crash report scanner on the console texts of
 * t/fixtures/oops/ (every kind, a panic paused before its end, the oops
 * whose register summary x86 repeats, "Fatal exception", timestamps, \r,
 * escape sequences) and on made-up edge cases (bounds, prefixes), the
 * printers, and the symbolizer on an executable and a relocatable ".ko"
 * the system cc builds now, through the real addr2line.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "oops.h"
#include "proc.h"
#include "tap.h"

#define FIXTURES KDEBUG_DATADIR "/t/fixtures/oops"

struct scan {
	struct oops_report **r;
	size_t n;
};

static void scan_free(struct scan *s)
{
	for (size_t i = 0; i < s->n; i++)
		oops_report_free(s->r[i]);
	free(s->r);
	memset(s, 0, sizeof(*s));
}

static struct scan scan_str(const char *text)
{
	struct scan s = { 0 };
	oops_scan_text(text, strlen(text), &s.r, &s.n);
	return s;
}

static struct scan scan_fixture(const char *name)
{
	struct sbuf sb = SBUF_INIT;
	char *path = xasprintf("%s/%s", FIXTURES, name);
	struct scan s = { 0 };

	if (read_file(path, &sb))
		printf("# cannot read %s\n", path);
	else
		oops_scan_text(sb.buf, sb.len, &s.r, &s.n);
	free(path);
	sbuf_release(&sb);
	return s;
}

static const struct oops_frame *find_frame(const struct oops_report *r, const char *func)
{
	for (size_t i = 0; i < r->n_frames; i++)
		if (r->frames[i].func && !strcmp(r->frames[i].func, func))
			return &r->frames[i];
	return NULL;
}

static void test_kinds(void)
{
	static const char *const want[] = { "none", "panic", "oops", "bug", "warn", "soft-lockup",
					    "hard-lockup", "hung-task", "hang" };
	for (int k = OOPS_NONE; k <= OOPS_HANG; k++)
		is_str(oops_kind_name((enum oops_kind)k), want[k], "kind name %d", k);
	ok(oops_kind_is_hang(OOPS_SOFT_LOCKUP) && oops_kind_is_hang(OOPS_HARD_LOCKUP) &&
	   oops_kind_is_hang(OOPS_HUNG_TASK) && oops_kind_is_hang(OOPS_HANG), "lockups and hangs are hangs");
	ok(!oops_kind_is_hang(OOPS_PANIC) && !oops_kind_is_hang(OOPS_OOPS) &&
	   !oops_kind_is_hang(OOPS_WARN) && !oops_kind_is_hang(OOPS_BUG), "crashes are not");
}

static void test_sysrq_panic(void)
{
	struct scan s = scan_fixture("sysrq-panic.log");

	is_int(s.n, 1, "sysrq crash: one report");
	if (s.n != 1)
		return scan_free(&s);
	const struct oops_report *r = s.r[0];
	is_int(r->kind, OOPS_PANIC, "a panic");
	is_str(r->message, "Kernel panic - not syncing: sysrq triggered crash", "its headline, without the time");
	is_int(r->cpu, 0, "cpu");
	is_int(r->pid, 85, "pid");
	is_str(r->comm, "sh", "comm");
	ok(r->ended, "ended by its end line");
	is_int(r->lines.n, 27, "from the headline to the end line");
	is_str(r->lines.v[0], "[   12.346001] Kernel panic - not syncing: sysrq triggered crash", "lines are kept as they came");
	is_str(r->lines.v[r->lines.n - 1], "[   12.349800] ---[ end Kernel panic - not syncing: sysrq triggered crash ]---", "last line");
	is_int(r->n_frames, 11, "the call trace's frames, no user-mode RIP");
	is_str(r->frames[0].func, "dump_stack_lvl", "first frame");
	is_int(r->frames[0].offset, 0x49, "offset");
	is_int(r->frames[0].size, 0x63, "size");
	ok(!r->frames[0].module && !r->frames[0].is_ip && !r->frames[0].unreliable, "a vmlinux frame");
	is_int(r->frames[0].line_index, 5, "line of the first frame");
	const struct oops_frame *f = find_frame(r, "_printk");
	ok(f && f->unreliable, "'? ' frames are unreliable");
	ok(find_frame(r, "__handle_sysrq.cold") != NULL, ".cold functions");
	is_str(r->frames[10].func, "entry_SYSCALL_64_after_hwframe", "last frame");
	scan_free(&s);
}

/* kdebug pauses the guest inside panic(): the report ends at flush. */
static void test_paused_panic(void)
{
	struct sbuf text = SBUF_INIT;
	struct oops_scanner sc;
	struct oops_report *r = NULL;
	bool returned = false, active_before = false;

	read_file(FIXTURES "/sysrq-paused.log", &text);
	oops_scanner_init(&sc);
	ok(!oops_scanner_active(&sc), "not active at first");
	for (char *line = text.buf, *nl; line && *line; line = nl) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		struct oops_report *x = oops_scanner_line(&sc, line);
		if (x) {
			returned = true;
			oops_report_free(x);
		}
	}
	ok(!returned, "no line completes the paused panic");
	active_before = oops_scanner_active(&sc);
	ok(active_before, "inside a report");
	r = oops_scanner_flush(&sc);
	ok(!oops_scanner_active(&sc), "not active after flush");
	ok(r != NULL, "flush hands it over");
	if (r) {
		is_int(r->kind, OOPS_PANIC, "a panic");
		is_str(r->message, "Kernel panic - not syncing: sysrq triggered crash", "level prefix and \\r removed");
		is_int(r->cpu, 1, "cpu");
		is_int(r->pid, 86, "pid");
		ok(!r->ended, "no end line");
		bool clean = true;
		for (size_t i = 0; i < r->lines.n; i++)
			for (const char *p = r->lines.v[i]; *p; p++)
				if (*p < 0x20 || *p > 0x7e)
					clean = false;
		ok(clean, "lines are printable ASCII");
		is_str(r->lines.v[r->lines.n - 1], " write_sysrq_trigger+0x24/0x40", "last line");
		const struct oops_frame *f = find_frame(r, "sysrq_handle_crash");
		ok(f != NULL, "a frame under escape sequences");
		if (f)
			is_str(r->lines.v[f->line_index], " sysrq_handle_crash+0x16/0x20", "its line, sequences removed");
		is_int(r->n_frames, 6, "frames so far");
	}
	oops_report_free(r);
	ok(oops_scanner_flush(&sc) == NULL, "a second flush: nothing");
	oops_scanner_clear(&sc);
	sbuf_release(&text);
}

static void test_null_deref(void)
{
	struct scan s = scan_fixture("null-deref.log");

	is_int(s.n, 2, "oops, then the Fatal exception panic");
	if (s.n != 2)
		return scan_free(&s);
	const struct oops_report *r = s.r[0];
	is_int(r->kind, OOPS_OOPS, "an oops");
	is_str(r->message, "BUG: kernel NULL pointer dereference, address: 0000000000000000", "headline");
	is_int(r->cpu, 0, "cpu");
	is_int(r->pid, 93, "pid");
	is_str(r->comm, "insmod", "comm before Tainted:");
	ok(r->ended, "ended at the end trace line");
	is_str(r->lines.v[r->lines.n - 1], "[   20.104900] ---[ end trace 0000000000000000 ]---", "the repeated registers are not part of it");
	ok(r->n_frames >= 3, "frames");
	if (r->n_frames >= 3) {
		const struct oops_frame *f = &r->frames[0];
		ok(f->is_ip, "the RIP frame first");
		is_str(f->func, "kdebug_crash_deref", "its function");
		is_str(f->module, "kdebug_crash", "its module, no brackets");
		is_int(f->offset, 5, "offset");
		is_int(f->size, 0x10, "size");
		is_str(r->frames[1].func, "kdebug_crash_init", "the call trace follows");
		ok(!r->frames[1].is_ip, "not an ip");
		f = &r->frames[2];
		ok(!f->func && f->unreliable && f->addr == 0xffffffffa0005000ULL, "a raw address frame");
	}
	is_int(r->n_frames, 9, "no frame for RIP: 0033 nor the repeat");
	const struct oops_report *p = s.r[1];
	is_int(p->kind, OOPS_PANIC, "then a panic");
	is_str(p->message, "Kernel panic - not syncing: Fatal exception", "its headline");
	is_int(p->n_frames, 0, "no trace");
	is_int(p->lines.n, 1, "one line");
	scan_free(&s);

	/* Line by line: the end line returns it, the repeat starts nothing. */
	struct sbuf text = SBUF_INIT;
	struct oops_scanner sc;
	int returned_at = -1, n = 0;
	bool active_in_repeat = false;
	read_file(FIXTURES "/null-deref.log", &text);
	oops_scanner_init(&sc);
	for (char *line = text.buf, *nl; line && *line; line = nl, n++) {
		nl = strchr(line, '\n');
		if (nl)
			*nl++ = '\0';
		bool repeat = returned_at >= 0 && !strstr(line, "Kernel panic");
		struct oops_report *x = oops_scanner_line(&sc, line);
		if (x && returned_at < 0)
			returned_at = n;
		if (repeat && (oops_scanner_active(&sc) || x))
			active_in_repeat = true;
		oops_report_free(x);
	}
	is_int(returned_at, 41, "returned by the end trace line");
	ok(!active_in_repeat, "the repeated register block starts no report");
	ok(oops_scanner_active(&sc), "the Fatal exception panic is in progress");
	oops_scanner_clear(&sc);
	ok(!oops_scanner_active(&sc), "clear drops it");
	sbuf_release(&text);
}

static void test_warn_bug(void)
{
	struct scan s = scan_fixture("warn-bug.log");

	is_int(s.n, 2, "a WARN, normal lines, then a BUG");
	if (s.n != 2)
		return scan_free(&s);
	const struct oops_report *r = s.r[0];
	is_int(r->kind, OOPS_WARN, "warn");
	like(r->message, "WARNING: CPU: 0 PID: 90 at drivers/misc/kdebug_crash.c:20", "WARNING headline");
	is_int(r->cpu, 0, "cpu");
	is_int(r->pid, 90, "pid");
	is_str(r->comm, "insmod", "comm");
	like(r->lines.v[0], "cut here", "begins at cut here");
	like(r->lines.v[1], "warning requested", "with what WARN printed");
	is_int(r->n_frames, 3, "RIP + trace; the WARNING line is no frame");
	bool leaked = false;
	for (size_t i = 0; i < 2; i++)
		for (size_t j = 0; j < s.r[i]->lines.n; j++)
			if (strstr(s.r[i]->lines.v[j], "still alive") || strstr(s.r[i]->lines.v[j], "hello"))
				leaked = true;
	ok(!leaked, "normal lines belong to no report");
	r = s.r[1];
	is_int(r->kind, OOPS_BUG, "kernel BUG at after cut here is a BUG");
	is_str(r->message, "kernel BUG at drivers/misc/kdebug_crash.c:30!", "its headline");
	is_int(r->cpu, 1, "cpu");
	is_int(r->pid, 91, "pid");
	scan_free(&s);
}

static void test_lockups(void)
{
	struct scan s = scan_fixture("soft-lockup.log");
	is_int(s.n, 1, "soft lockup");
	if (s.n == 1) {
		is_int(s.r[0]->kind, OOPS_SOFT_LOCKUP, "kind");
		is_int(s.r[0]->cpu, 1, "cpu from CPU#1");
		is_int(s.r[0]->pid, 90, "pid from [insmod:90]");
		is_str(s.r[0]->comm, "insmod", "comm");
		ok(!s.r[0]->ended, "no end line");
		like(s.r[0]->lines.v[s.r[0]->lines.n - 1], "</TASK>", "ends before the prompt");
	}
	scan_free(&s);

	/* The prompt ends it, not the end of input. */
	struct oops_scanner sc;
	oops_scanner_init(&sc);
	ok(!oops_scanner_line(&sc, "[ 60.0] watchdog: BUG: soft lockup - CPU#0 stuck for 23s! [swapper/0:0]"), "headline");
	ok(!oops_scanner_line(&sc, "[ 60.1] CPU: 0 PID: 0 Comm: swapper/0 Not tainted 6.1.192 #1"), "continuation");
	struct oops_report *r = oops_scanner_line(&sc, "/ # ");
	ok(r != NULL, "a non-continuation line ends it");
	if (r) {
		is_str(r->comm, "swapper/0", "comm with a slash");
		is_int(r->pid, 0, "pid 0");
	}
	oops_report_free(r);
	ok(!oops_scanner_active(&sc), "and starts nothing");
	oops_scanner_clear(&sc);

	s = scan_fixture("hard-lockup.log");
	is_int(s.n, 2, "hard lockup, then its panic");
	if (s.n == 2) {
		is_int(s.r[0]->kind, OOPS_HARD_LOCKUP, "kind");
		is_int(s.r[0]->cpu, 0, "cpu from 'on cpu 0'");
		is_int(s.r[0]->pid, 92, "pid from the CPU: line");
		is_int(s.r[1]->kind, OOPS_PANIC, "panic");
		is_str(s.r[1]->message, "Kernel panic - not syncing: Hard LOCKUP", "its headline");
	}
	scan_free(&s);

	s = scan_fixture("hung-task.log");
	is_int(s.n, 2, "two hung tasks");
	if (s.n == 2) {
		is_int(s.r[0]->kind, OOPS_HUNG_TASK, "kind");
		is_str(s.r[0]->comm, "sh", "comm");
		is_int(s.r[0]->pid, 85, "pid");
		is_int(s.r[0]->cpu, -1, "no cpu");
		is_int(s.r[0]->n_frames, 3, "frames");
		is_str(s.r[1]->comm, "cat", "second comm");
		is_int(s.r[1]->pid, 86, "second pid");
		is_int(s.r[1]->n_frames, 1, "second frames");
	}
	scan_free(&s);
}

static void test_headlines(void)
{
	static const struct { const char *line; enum oops_kind kind; } t[] = {
		{ "BUG: unable to handle page fault for address: ffffc90000000000", OOPS_OOPS },
		{ "general protection fault, probably for non-canonical address 0xdead000000000100: 0000 [#1] PREEMPT SMP NOPTI", OOPS_OOPS },
		{ "Oops: 0002 [#1] SMP", OOPS_OOPS },
		{ "BUG: scheduling while atomic: sh/85/0x00000002", OOPS_BUG },
		{ "kernel BUG at mm/slub.c:400!", OOPS_BUG },
		{ "WARNING: CPU: 1 PID: 7 at kernel/x.c:1 f+0x1/0x2", OOPS_WARN },
		{ "watchdog: Watchdog detected hard LOCKUP on cpu 3", OOPS_HARD_LOCKUP },
		{ "sysrq: Trigger a crash", OOPS_NONE },
		{ "Kernel Offset: disabled", OOPS_NONE },
		{ "RIP: 0010:f+0x1/0x2", OOPS_NONE },
	};
	for (size_t i = 0; i < ARRAY_SIZE(t); i++) {
		char *text = xasprintf("<4>[    1.000000] %s\n Call Trace:\n", t[i].line);
		struct scan s = scan_str(text);
		is_int(s.n ? s.r[0]->kind : OOPS_NONE, t[i].kind, "kind of '%s'", t[i].line);
		if (s.n)
			is_str(s.r[0]->message, t[i].line, "message of '%s'", t[i].line);
		scan_free(&s);
		free(text);
	}

	/* Caller ids, tabs, OSC sequences. */
	struct scan s = scan_str("[    1.234567][    T1] Kernel panic - not syncing: VFS: Unable to mount root fs\n"
				 "[    1.234600][    T1] CPU: 3 PID: 1 Comm: swapper/0 Not tainted 6.1.192 #1\n"
				 "\x1b]0;title\x07[    1.234700][    T1]  \tmount_root+0x10/0x20\n");
	is_int(s.n, 1, "printk caller ids");
	if (s.n == 1) {
		is_str(s.r[0]->message, "Kernel panic - not syncing: VFS: Unable to mount root fs", "message");
		is_int(s.r[0]->cpu, 3, "cpu");
		is_str(s.r[0]->comm, "swapper/0", "comm");
		is_int(s.r[0]->n_frames, 1, "frame after an OSC sequence and a tab");
	}
	scan_free(&s);

	/* A "cut here" that no WARNING line follows is no report. */
	s = scan_str("------------[ cut here ]------------\na\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\n");
	is_int(s.n, 0, "cut here alone");
	scan_free(&s);
	s = scan_str("------------[ cut here ]------------\n");
	is_int(s.n, 0, "cut here at the end of input");
	scan_free(&s);

	/* A headline ends the report in progress (panic_on_warn). */
	s = scan_str("------------[ cut here ]------------\n"
		     "WARNING: CPU: 0 PID: 1 at a.c:1 f+0x1/0x2\n"
		     "Kernel panic - not syncing: kernel: panic_on_warn set ...\n"
		     "CPU: 0 PID: 1 Comm: swapper/0 Not tainted 6.1.192 #1\n");
	is_int(s.n, 2, "WARN then panic");
	if (s.n == 2) {
		is_int(s.r[0]->kind, OOPS_WARN, "warn");
		is_int(s.r[1]->kind, OOPS_PANIC, "panic");
		is_int(s.r[1]->pid, 1, "panic's pid");
	}
	scan_free(&s);

	/* Found by fuzz/fuzz-oops: a task: line without pid:, an empty line
	 * after cut here, a hung task line without a name. */
	s = scan_str("INFO: task  blocked for more than 2 seconds.\ntask:x state:D\n"
		     "------------[ cut here ]------------\n\nWARNING: CPU: 0 PID: 1 at a.c:1\n"
		     "INFO: task blocked for more than 2 seconds.\n");
	is_int(s.n, 3, "odd hung task and WARN lines");
	if (s.n == 3) {
		ok(s.r[0]->pid == -1 && !s.r[0]->comm, "no pid, no comm");
		is_str(s.r[1]->lines.v[1], "", "an empty line after cut here is kept");
		ok(s.r[2]->kind == OOPS_HUNG_TASK && s.r[2]->pid == -1 && !s.r[2]->comm,
		   "a hung task line without a name");
	}
	scan_free(&s);

	s = scan_str("hello\nworld\n");
	is_int(s.n, 0, "no report in plain text");
	scan_free(&s);
}

static void test_bounds(void)
{
	struct sbuf text = SBUF_INIT, big = SBUF_INIT;

	sbuf_adds(&text, "Kernel panic - not syncing: loop\nCall Trace:\n");
	for (int i = 0; i < 1000; i++)
		sbuf_addf(&text, " f%d+0x1/0x10\n", i);
	for (int i = 0; i < 2000; i++)
		sbuf_addch(&big, 'x');
	sbuf_addf(&text, " %s+0x1/0x2\n", big.buf);
	struct scan s = scan_str(text.buf);
	is_int(s.n, 1, "one long report");
	if (s.n == 1) {
		is_int(s.r[0]->lines.n, OOPS_MAX_LINES, "lines bounded");
		is_int(s.r[0]->lines_dropped, 1003 - OOPS_MAX_LINES, "the rest counted");
		is_int(s.r[0]->n_frames, OOPS_MAX_FRAMES, "frames bounded");
		is_int(s.r[0]->frames[OOPS_MAX_FRAMES - 1].line_index, OOPS_MAX_FRAMES + 1, "frame lines");
	}
	scan_free(&s);

	sbuf_reset(&text);
	sbuf_addf(&text, "Kernel panic - not syncing: %s\n", big.buf);
	s = scan_str(text.buf);
	is_int(s.n, 1, "a long headline");
	if (s.n == 1) {
		is_int(strlen(s.r[0]->lines.v[0]), OOPS_MAX_LINE_LEN, "line cut");
		is_int(strlen(s.r[0]->message), OOPS_MAX_LINE_LEN, "message cut");
	}
	scan_free(&s);
	sbuf_release(&text);
	sbuf_release(&big);

	/* Frame lines that are not quite frames. */
	s = scan_str("Kernel panic - not syncing: x\n"
		     " f+0x1\n f+0x1/\n +0x1/0x2\n f+0x1/0x2junk\n 0x12zz\n"
		     " f+0x11111111111111111/0x2\n ? g+0x1/0x2 [m\n RIP: 0010:h+0x1/0x2\n");
	is_int(s.n, 1, "odd frames");
	if (s.n == 1) {
		is_int(s.r[0]->n_frames, 1, "only the well-formed one");
		if (s.r[0]->n_frames == 1)
			ok(!s.r[0]->frames[0].module, "an unclosed [module] is no module");
	}
	scan_free(&s);
}

static void test_output(void)
{
	struct scan s = scan_fixture("hung-task.log");
	if (s.n < 1) {
		ok(0, "hung-task fixture");
		return;
	}
	struct oops_report *r = s.r[0];
	struct oops_frame *f = &r->frames[0];
	f->file = xstrdup("kernel/sched/core.c");
	f->line = 6584;
	strvec_push(&f->inlined, "context_switch kernel/sched/core.c:5208");
	strvec_push(&f->inlined, "__schedule kernel/sched/core.c:6584");

	struct sbuf out = SBUF_INIT;
	oops_report_text(r, &out);
	like(out.buf, "]  __schedule+0x2d5/0x8a0 kernel/sched/core.c:6584 (context_switch)\n"
		      "  (inlined by) __schedule kernel/sched/core.c:6584\n", "annotated frame line, inline callers after it");
	like(out.buf, "]  schedule+0x5a/0xd0\n", "unresolved frames as they are");
	like(out.buf, "INFO: task sh:85 blocked for more than 2 seconds.\n", "other lines as they are");
	sbuf_release(&out);

	json_t *j = oops_report_json(r);
	char *txt = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	like(txt, "{\"kind\":\"hung-task\",\"message\":\"INFO: task sh:85 blocked for more than 2 seconds.\","
		  "\"cpu\":null,\"pid\":85,\"comm\":\"sh\",\"frames\":[", "report keys, null for unknowns");
	like(txt, "{\"function\":\"__schedule\",\"offset\":725,\"size\":2208,\"address\":null,\"module\":null,"
		  "\"file\":\"kernel/sched/core.c\",\"line\":6584,\"reliable\":true,\"ip\":false,"
		  "\"inlined\":[\"context_switch kernel/sched/core.c:5208\",\"__schedule kernel/sched/core.c:6584\"]}",
	     "frame object");
	like(txt, "\"file\":null,\"line\":null", "unresolved: null");
	like(txt, "\"lines\":[\"[  120.000000] INFO: task sh:85", "lines");
	free(txt);
	json_decref(j);
	scan_free(&s);

	s = scan_fixture("null-deref.log");
	if (s.n) {
		j = oops_report_json(s.r[0]);
		json_t *fr = json_array_get(json_object_get(j, "frames"), 2);
		is_str(json_string_value(json_object_get(fr, "address")), "0xffffffffa0005000", "raw frame address");
		ok(json_is_null(json_object_get(fr, "function")), "raw frame: function null");
		ok(json_is_false(json_object_get(fr, "reliable")), "raw frame: not reliable");
		fr = json_array_get(json_object_get(j, "frames"), 0);
		is_str(json_string_value(json_object_get(fr, "module")), "kdebug_crash", "module");
		ok(json_is_true(json_object_get(fr, "ip")), "ip");
		json_decref(j);
	}
	scan_free(&s);
}

/* ---- the symbolizer, on objects cc builds now ---- */

static const char prog_c[] =
	"int kd_value;\n"				/* 1 */
	"__attribute__((noinline)) int kd_leaf(int x)\n"	/* 2 */
	"{\n"						/* 3 */
	"	kd_value += x;\n"			/* 4 */
	"	return kd_value * 3;\n"			/* 5 */
	"}\n"						/* 6 */
	"int main(void)\n"				/* 7 */
	"{\n"						/* 8 */
	"	return kd_leaf(1);\n"			/* 9 */
	"}\n";						/* 10 */

static const char mod_c[] =
	"static const char kd_name[] __attribute__((section(\".modinfo\"), used, aligned(1))) = \"name=my_mod\";\n"	/* 1 */
	"int kd_mod_value;\n"					/* 2 */
	"int kd_mod_work(int x)\n"				/* 3 */
	"{\n"							/* 4 */
	"	kd_mod_value += x;\n"				/* 5 */
	"	return kd_mod_value;\n"				/* 6 */
	"}\n"							/* 7 */
	"__attribute__((section(\".init.text\"))) int kd_mod_init(void)\n"	/* 8 */
	"{\n"							/* 9 */
	"	kd_mod_value = 7;\n"				/* 10 */
	"	return kd_mod_work(2);\n"			/* 11 */
	"}\n";							/* 12 */

static int run(const char *const *argv)
{
	struct sbuf out = SBUF_INIT, err = SBUF_INIT;
	int code = -1;
	int r = proc_run(argv, &out, &err, &code);
	if (r || code)
		printf("# %s failed: %s%s\n", argv[0], r ? strerror(-r) : "", sbuf_str(&err));
	sbuf_release(&out);
	sbuf_release(&err);
	return r ? -1 : code;
}

static void test_symbolize(void)
{
	char tmpl[] = "/tmp/kdebug-test-oops.XXXXXX";
	char *dir = mkdtemp(tmpl);

	if (!dir || !in_path("cc") || !in_path("addr2line")) {
		ok(1, "# SKIP symbolizer: no cc or addr2line");
		return;
	}
	char *prog = path_join(dir, "prog"), *prog_src = path_join(dir, "prog.c");
	char *sub = path_join(dir, "mods/sub"), *mod_src = path_join(dir, "mod.c");
	char *ko = path_join(sub, "other-name.ko");
	write_file(prog_src, prog_c, sizeof(prog_c) - 1, 0644);
	write_file(mod_src, mod_c, sizeof(mod_c) - 1, 0644);
	mkdir_p(sub, 0755);
	const char *cc1[] = { "cc", "-g", "-O0", "-no-pie", "-fno-pie", "-o", prog, prog_src, NULL };
	const char *cc2[] = { "cc", "-g", "-O0", "-c", "-o", ko, mod_src, NULL };
	if (run(cc1) || run(cc2)) {
		ok(0, "cc builds the test objects");
		goto out;
	}

	/* Offsets past the prologue (endbr64 + push + mov ...), inside the functions. */
	struct scan s = scan_str(
		"BUG: kernel NULL pointer dereference, address: 0000000000000000\n"
		"RIP: 0010:kd_leaf+0xb/0x1a\n"
		"Call Trace:\n"
		" kd_mod_work+0xb/0x1a [my-mod]\n"
		" kd_mod_init+0x14/0x24 [my_mod]\n"
		" main+0x4/0x14\n"
		" ? nonexistent+0x1/0x2\n"
		" ? 0xffffffffa0005000\n"
		" f+0x1/0x2 [unknown_module]\n");
	if (s.n != 1) {
		ok(0, "scan the test report");
		goto out;
	}
	struct oops_report *r = s.r[0];
	struct strvec dirs = STRVEC_INIT;
	struct sbuf why = SBUF_INIT;
	char *mods = path_join(dir, "mods");
	strvec_push(&dirs, mods);
	is_int(oops_symbolize(r, prog, dir, &dirs, &why), 0, "symbolize");
	const struct oops_frame *f = &r->frames[0];
	is_str(f->file, "prog.c", "vmlinux frame: file relative to src_dir");
	ok(f->line >= 4 && f->line <= 5, "vmlinux frame: line in kd_leaf's body (%u)", f->line);
	f = &r->frames[1];
	ok(f->file && str_ends_with(f->file, "mod.c"), "module frame: its .ko by .modinfo name, '-' as '_' (%s)",
	   f->file ? f->file : "null");
	ok(f->line >= 5 && f->line <= 6, "module frame: line in kd_mod_work (%u)", f->line);
	f = &r->frames[2];
	ok(f->file && str_ends_with(f->file, "mod.c"), "module .init.text frame resolved");
	ok(f->line >= 10 && f->line <= 11, "and in its own section, not .text (%u)", f->line);
	f = &r->frames[3];
	is_str(f->file, "prog.c", "main");
	ok(f->line >= 8 && f->line <= 9, "main's line (%u)", f->line);
	ok(!r->frames[4].file && !r->frames[5].file && !r->frames[6].file,
	   "unknown symbol, raw address, unknown module: unresolved");

	/* Without src_dir: absolute paths. */
	scan_free(&s);
	s = scan_str("Kernel panic - not syncing: x\n main+0x4/0x14\n");
	is_int(oops_symbolize(s.r[0], prog, NULL, NULL, &why), 0, "symbolize without module dirs");
	ok(s.r[0]->frames[0].file && s.r[0]->frames[0].file[0] == '/', "absolute file without src_dir");
	struct sbuf text = SBUF_INIT;
	oops_report_text(s.r[0], &text);
	like(text.buf, " main+0x4/0x14 /", "text annotation");
	sbuf_release(&text);

	/* Bad vmlinux. */
	char *missing = path_join(dir, "missing");
	sbuf_reset(&why);
	is_int(oops_symbolize(s.r[0], missing, NULL, NULL, &why), -ENOENT, "missing vmlinux");
	like(why.buf, "cannot read vmlinux", "why says so");
	sbuf_reset(&why);
	is_int(oops_symbolize(s.r[0], prog_src, NULL, NULL, &why), -ENOEXEC, "not an ELF");
	like(why.buf, "not a 64-bit ELF", "why says so");
	free(missing);
	free(mods);
	strvec_clear(&dirs);
	sbuf_release(&why);
	scan_free(&s);
out:
	rm_rf(dir);
	free(prog);
	free(prog_src);
	free(sub);
	free(mod_src);
	free(ko);
}

int main(void)
{
	test_kinds();
	test_sysrq_panic();
	test_paused_panic();
	test_null_deref();
	test_warn_bug();
	test_lockups();
	test_headlines();
	test_bounds();
	test_output();
	test_symbolize();
	return done_testing();
}
