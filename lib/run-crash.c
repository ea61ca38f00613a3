// SPDX-License-Identifier: GPL-2.0
/*
 * Stage "crash": when the guest kernel dies or hangs, catch it.
 *
 * Detection, with or without gdb attached:
 *   - QEMU's pvpanic device with -action panic=pause: the kernel's panic
 *     notifier tells QEMU, QEMU pauses the VM inside panic() and sends
 *     GUEST_PANICKED on a QMP monitor private to this stage.  The command
 *     line makes oopses, soft/hard lockups and hung tasks panic
 *     (oops=panic, softlockup_panic=1, nmi_watchdog=panic,
 *     hung_task_panic=1; --on-warn stop: panic_on_warn=1), so they all
 *     stop at the crash site.  The user's --append comes later and wins.
 *   - The console text (console.log, read as QEMU writes it): the kernel's
 *     report (lib/oops.c).  A fatal report that no panic follows (the user
 *     turned panic_on_oops off) pauses the VM through QMP "stop", at once
 *     when the --exec command has ended (the guest would power off).
 *   - No progress: --hang-timeout seconds without console output while the
 *     --exec command runs, or --timeout: QMP "stop".
 * Then, with the VM paused: the report symbolized (vmlinux and the --module
 * .ko files), gdb's registers and backtrace of the crashing CPU and a
 * backtrace of every CPU, the last kernel log lines (lx-dmesg), with
 * --dump a vmcore (QMP dump-guest-memory; -device vmcoreinfo tells the tools
 * the kernel's layout), all written to a crash directory
 * (<cache>/crashes/<name>-<time>/).  Unattended runs (--exec) then end
 * QEMU and exit with RUN_EXIT_CRASH or RUN_EXIT_HANG; other runs keep the
 * VM paused at the crash site for 'kdebug gdb NAME'.  WARNs are reported
 * and the run goes on (--on-warn).
 *
 * A guest with no problem costs a timer that reads the new console bytes
 * five times a second.
 */
#include "run.h"
#include "crashdir.h"
#include "oops.h"
#include "qmp.h"
#include "sock.h"
#include "vmcore.h"

#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define CRASH_TICK_MS 200
#define CRASH_PANIC_WAIT_MS 300	/* after a fatal report: does a panic follow? (it comes at once) */
#define CRASH_DMESG_LINES 30
#define CRASH_GDB_MAX (1 << 20)
#define CRASH_MON_MAX (1 << 20)

struct run_crash {
	struct oops_scanner sc;
	int log_fd;			/* console.log, -1 until QEMU made it */
	struct sbuf partial;		/* an unterminated console line */
	long long last_output;		/* now_ms() of the last console bytes */
	bool cmd_running;		/* --exec's command is running */
	int tick;			/* the timer slot, -1 when none */
	int mon_fd;			/* our connection to the crash monitor */
	struct sbuf mon_buf;
	int wait_timer;			/* CRASH_PANIC_WAIT_MS after a fatal report */

	struct oops_report *fatal;	/* the report that stopped the guest */
	char *panic_msg;		/* "Kernel panic - not syncing: ..." after it */
	enum oops_kind kind;		/* what stopped the guest; OOPS_NONE: nothing */
	char *hang_why;			/* OOPS_HANG: the reason */
	unsigned warns;
	bool captured;
	char *dir;			/* the crash directory */
};

static const char *crash_sock_name = "crash.sock";

static void read_console(struct run_session *s);

/* ---- options ---- */

static int crash_check(struct run_session *s, struct sbuf *why)
{
	const struct run_config *c = s->cfg;

	if (c->dump_format && !vmcore_format_valid(c->dump_format)) {
		sbuf_addf(why, "invalid --dump-format '%s' (elf, kdump-zlib, kdump-lzo or kdump-snappy)",
			  c->dump_format);
		return EXIT_USAGE;
	}
	if (c->dump && *c->dump && vmcore_output_check(c->dump, why))
		return EXIT_USAGE;
	return 0;
}

/* ---- the crash monitor: GUEST_PANICKED ---- */

static void on_panicked(struct run_session *s);

static void mon_line(void *arg, char *line)
{
	struct run_session *s = arg;
	json_t *j = json_loads(line, 0, NULL);
	const char *ev;

	if (!j)
		return;
	if (json_object_get(j, "QMP")) {
		static const char caps[] = "{\"execute\":\"qmp_capabilities\"}\n";
		if (write_all(s->crash->mon_fd, caps, sizeof(caps) - 1) < 0)
			say(&s->say, SAY_TRACE, "crash monitor: %s", strerror(errno));
	} else if ((ev = json_string_value(json_object_get(j, "event"))) && !strcmp(ev, "GUEST_PANICKED")) {
		json_decref(j);
		on_panicked(s);
		return;
	}
	json_decref(j);
}

static void mon_readable(struct run_session *s, int fd, short revents, void *arg)
{
	struct run_crash *k = s->crash;
	char buf[4096];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n <= 0) {
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		run_unwatch(s, fd);
		close_fd(&k->mon_fd);
		return;
	}
	sbuf_feed_lines(&k->mon_buf, buf, (size_t)n, mon_line, s);
	if (k->mon_buf.len > CRASH_MON_MAX)
		sbuf_reset(&k->mon_buf);
}

/* The gdbstub to capture from: the run's, else one started now (and recorded for 'kdebug gdb'). */
static char *capture_target(struct run_session *s)
{
	struct qmp q = { .fd = -1 };
	char *sock, *hmp, *out = NULL, *target = NULL;
	int r;

	if (s->gdb_target)
		return xstrdup(s->gdb_target);
	sock = instance_path(&s->in, INSTANCE_GDB_SOCKET);
	hmp = xasprintf("gdbserver unix:%s,server=on,wait=off", sock);
	r = qmp_connect(&q, s->qmp_path, 5000);
	if (!r)
		r = qmp_hmp(&q, hmp, &out);
	qmp_close(&q);
	if (!r && out && strstr(out, "Waiting for gdb connection")) {
		target = xstrdup(sock);
		s->gdb_target = xstrdup(sock);
		free(s->in.gdb_socket);
		s->in.gdb_socket = xstrdup(sock);
		instance_save(&s->in);
	} else {
		say(&s->say, SAY_WARN, "VM %s: no gdbstub for the crash report: %s", s->in.name,
		    r ? strerror(-r) : out ? out : "no answer");
	}
	free(out);
	free(hmp);
	free(sock);
	return target;
}

/*
 * gdb at the stop, in sections: the crashing CPU's registers and backtrace,
 * every CPU's backtrace, the kernel log.  "disconnect", not "detach": the
 * VM stays paused for 'kdebug gdb'.  Errors in one section do not end the
 * others (gdb -batch stops a command file at its first error).
 */
static const char capture_py[] =
	"python\n"
	"import gdb\n"
	"def kd_section(title, cmd):\n"
	"    print('@@KDEBUG %s@@' % title, flush=True)\n"
	"    try:\n"
	"        gdb.execute(cmd)\n"
	"    except gdb.error as e:\n"
	"        print('(%s: %s)' % (cmd, e))\n"
	"def kd_pick(cpu):\n"
	"    ths = sorted(gdb.selected_inferior().threads(), key=lambda t: t.num)\n"
	"    if 0 <= cpu < len(ths):\n"
	"        ths[cpu].switch()\n"
	"        return\n"
	"    for t in ths:\n"
	"        t.switch()\n"
	"        f = gdb.newest_frame()\n"
	"        while f is not None:\n"
	"            if f.name() in ('panic', 'vpanic', 'oops_end', 'die'):\n"
	"                return\n"
	"            f = f.older()\n"
	"    ths[0].switch()\n"
	"try:\n"
	"    kd_pick(kd_cpu)\n"
	"except gdb.error:\n"
	"    pass\n"
	"kd_section('thread', 'thread')\n"
	"kd_section('registers', 'info registers rip rsp rbp rax rbx rcx rdx rsi rdi r8 r9 r10 r11 r12 r13 r14 "
	"r15 eflags cs ss fs_base gs_base cr0 cr2 cr3 cr4')\n"
	"kd_section('backtrace', 'bt')\n"
	"kd_section('cpus', 'thread apply all bt')\n"
	"kd_section('dmesg', 'lx-dmesg')\n"
	"print('@@KDEBUG end@@', flush=True)\n"
	"try:\n"
	"    gdb.execute('disconnect')\n"
	"except gdb.error:\n"
	"    pass\n"
	"end\n";

struct gdb_sections {
	struct sbuf thread, regs, bt, cpus, dmesg;
	bool ok;
};

/*
 * A backtrace line worth keeping: gdb goes on past the kernel's entry code
 * into the user registers saved on the stack ("#19 0x00007ffc8e474960 in
 * ?? ()", "... in fixed_percpu_data ()"); those frames end a backtrace.
 */
static bool bt_garbage(const char *p, size_t n, bool *skipping)
{
	if (n >= 7 && !strncmp(p, "Thread ", 7))
		*skipping = false;
	else if (n > 2 && p[0] == '#' && (memmem(p, n, " in ?? ()", 9) || memmem(p, n, " in fixed_percpu_data ()", 24)))
		*skipping = true;
	else if (n >= 18 && !strncmp(p, "Backtrace stopped:", 18))
		return true;
	return *skipping;
}

static void split_sections(const char *out, const char *const *strip, struct gdb_sections *g)
{
	struct sbuf *cur = NULL;
	bool skipping = false;

	for (const char *p = out; *p;) {
		const char *e = strchrnul(p, '\n');
		size_t n = (size_t)(e - p);
		if (n > 11 && !strncmp(p, "@@KDEBUG ", 9) && !strncmp(e - 2, "@@", 2)) {
			const char *t = p + 9;
			size_t tn = n - 11;
#define IS(x) (tn == strlen(x) && !strncmp(t, x, tn))
			cur = IS("thread") ? &g->thread : IS("registers") ? &g->regs : IS("backtrace") ? &g->bt
			    : IS("cpus") ? &g->cpus : IS("dmesg") ? &g->dmesg : NULL;
			if (IS("end"))
				g->ok = true;
#undef IS
			skipping = false;
		} else if (cur && !((cur == &g->bt || cur == &g->cpus) && bt_garbage(p, n, &skipping))) {
			/* File names relative to the kernel tree, as in the kernel's report. */
			for (const char *q = p; q < e;) {
				size_t k = 0, skip = 0;
				for (size_t i = 0; strip[i] && !skip; i++) {
					size_t l = strlen(strip[i]);
					if (l && (size_t)(e - q) > l && !strncmp(q, strip[i], l) && q[l] == '/')
						skip = l + 1 + ((size_t)(e - q) > l + 2 && q[l + 1] == '.' && q[l + 2] == '/' ? 2 : 0);
				}
				if (skip) {
					q += skip;
					continue;
				}
				k = 1;
				sbuf_add(cur, q, k);
				q += k;
			}
			sbuf_addch(cur, '\n');
		}
		p = *e ? e + 1 : e;
	}
}

/* The last n lines of sb, in place. */
static void keep_last_lines(struct sbuf *sb, size_t n)
{
	size_t seen = 0;

	sbuf_rtrim(sb);
	for (size_t i = sb->len; i > 0; i--) {
		if (sb->buf[i - 1] == '\n' && ++seen == n) {
			memmove(sb->buf, sb->buf + i, sb->len - i + 1);
			sb->len -= i;
			break;
		}
	}
	if (sb->len)
		sbuf_addch(sb, '\n');
}

static void gdb_capture(struct run_session *s, int cpu, struct gdb_sections *g, struct sbuf *raw)
{
	const struct run_config *c = s->cfg;
	char *target = capture_target(s), *cmdfile = NULL;
	struct sbuf cmds = SBUF_INIT;
	struct proc p;
	int r, code = 0;

	if (!target)
		return;
	struct gdb_opts go = {
		.vmlinux = s->art.vmlinux,
		.build_dir = s->art.build_dir,
		.gdb_py = s->art.gdb_scripts,
		.src_dir = s->art.src_dir,
		.target = target,
		.module_dirs = &c->modules,
	};
	struct sbuf gwhy = SBUF_INIT;
	if (gdb_write_commands(&go, &cmds, &gwhy)) {
		say(&s->say, SAY_WARN, "no gdb capture: %s", gwhy.buf);
		sbuf_release(&gwhy);
		goto out;
	}
	sbuf_addf(&cmds, "python kd_cpu = %d\n", cpu);
	sbuf_adds(&cmds, capture_py);
	cmdfile = instance_path(&s->in, "crash-gdb.cmd");
	r = write_file_atomic(cmdfile, cmds.buf, cmds.len, 0600);
	if (r) {
		say(&s->say, SAY_WARN, "cannot write '%s': %s", cmdfile, strerror(-r));
		goto out;
	}
	proc_init(&p);
	strvec_pushl(&p.args, "gdb", "-q", "-nx", "-batch", "-x", cmdfile, NULL);
	p.err_to_out = true;
	p.new_pgrp = true;
	r = proc_capture(&p, raw, NULL, CRASH_GDB_MAX, &code);
	if (r)
		say(&s->say, SAY_WARN, "cannot run gdb for the crash report: %s", strerror(-r));
	else {
		const char *strip[] = { s->art.src_dir, s->art.build_dir, NULL };
		split_sections(sbuf_str(raw), strip, g);
	}
	if (!r && !g->ok)
		say(&s->say, SAY_WARN, "gdb could not read the stopped VM (is another debugger attached?); its output: %s",
		    sbuf_str(raw));
	keep_last_lines(&g->dmesg, CRASH_DMESG_LINES);
out:
	unlink(cmdfile);
	free(cmdfile);
	free(target);
	sbuf_release(&cmds);
}

/* ---- the report ---- */

/* The frame to name in the one-line summary: the faulting IP, else the first reliable caller of panic(). */
static const struct oops_frame *crash_site(const struct oops_report *r)
{
	static const char *const machinery[] = {
		"dump_stack", "dump_stack_lvl", "panic", "vpanic", "__warn", "warn_slowpath_fmt",
		"report_bug", "handle_bug", "exc_invalid_op", "asm_exc_invalid_op", "watchdog_timer_fn",
		"oops_end", "die", "show_stack",
		/* a hung task's frames begin in the scheduler */
		"__schedule", "schedule", "schedule_timeout", "schedule_preempt_disabled", "io_schedule",
		"__wait_for_common", "wait_for_common", "do_wait_for_common", "wait_for_completion",
		"__mutex_lock", "mutex_lock", "rwsem_down_read_slowpath", "rwsem_down_write_slowpath", NULL,
	};
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n_frames; i++)
		if (r->frames[i].is_ip && r->frames[i].func)
			return &r->frames[i];
	for (size_t i = 0; i < r->n_frames; i++) {
		const struct oops_frame *f = &r->frames[i];
		bool skip = !f->func || f->unreliable;
		for (size_t j = 0; !skip && machinery[j]; j++)
			skip = !strcmp(f->func, machinery[j]);
		if (!skip)
			return f;
	}
	return NULL;
}

static void summary_line(const struct run_session *s, struct sbuf *out)
{
	const struct run_crash *k = s->crash;
	const struct oops_report *r = k->fatal;
	const struct oops_frame *f = crash_site(r);

	const char *msg = r && r->message ? r->message : k->hang_why ? k->hang_why : "?";
	size_t n = strlen(msg);

	if (n && msg[n - 1] == '.')
		n--;
	sbuf_addf(out, "VM %s: the guest kernel %s (%s): %.*s", s->in.name,
		  oops_kind_is_hang(k->kind) ? "hung" : "crashed", oops_kind_name(k->kind), (int)n, msg);
	if (f) {
		sbuf_addf(out, "; at %s", f->func);
		if (f->module)
			sbuf_addf(out, " [%s]", f->module);
		/* The function's own line: the outermost of an inline chain ("func file:line"). */
		const char *outer = f->inlined.n ? strrchr(f->inlined.v[f->inlined.n - 1], ' ') : NULL;
		if (outer)
			sbuf_addf(out, " (%s)", outer + 1);
		else if (f->file)
			sbuf_addf(out, " (%s:%u)", f->file, f->line);
	}
}

static void add_section(struct sbuf *out, const char *title, const struct sbuf *body)
{
	if (!body->len)
		return;
	sbuf_addf(out, "\n== %s ==\n%s", title, body->buf);
	if (body->buf[body->len - 1] != '\n')
		sbuf_addch(out, '\n');
}

static json_t *json_str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *sbuf_json_lines(const struct sbuf *sb)
{
	json_t *a = json_array();

	for (const char *p = sbuf_str((struct sbuf *)sb); *p;) {
		const char *e = strchrnul(p, '\n');
		json_array_append_new(a, json_stringn(p, (size_t)(e - p)));
		p = *e ? e + 1 : e;
	}
	return a;
}

/* Write the crash directory and say what happened. */
static void report(struct run_session *s, const struct gdb_sections *g, const char *vmcore,
		   const char *dump_format)
{
	struct run_crash *k = s->crash;
	const struct run_config *c = s->cfg;
	struct sbuf text = SBUF_INIT, head = SBUF_INIT, body = SBUF_INIT;
	json_t *j;
	char *path;
	int r;

	summary_line(s, &head);
	sbuf_addf(&text, "%s\n", head.buf);
	if (k->fatal && k->fatal->n_frames + k->fatal->lines.n) {
		oops_report_text(k->fatal, &body);
		add_section(&text, "the kernel's report, symbolized", &body);
		sbuf_reset(&body);
	}
	if (k->panic_msg)
		sbuf_addf(&text, "then: %s\n", k->panic_msg);
	if (g->thread.len || g->regs.len || g->bt.len) {
		sbuf_addf(&body, "%s%s%s", g->thread.buf ? g->thread.buf : "", g->regs.buf ? g->regs.buf : "",
			  g->bt.buf ? g->bt.buf : "");
		add_section(&text, "gdb: the stopped CPU (registers, backtrace)", &body);
		sbuf_reset(&body);
	}
	add_section(&text, "gdb: every CPU", &g->cpus);
	add_section(&text, "the kernel log, last lines (lx-dmesg)", &g->dmesg);

	j = k->fatal ? oops_report_json(k->fatal) : json_object();
	json_object_set_new(j, "kind", json_string(oops_kind_name(k->kind)));
	if (!k->fatal)
		json_object_set_new(j, "message", json_str_or_null(k->hang_why));
	json_object_set_new(j, "summary", json_string(head.buf));
	json_object_set_new(j, "vm", json_string(s->in.name));
	if (k->panic_msg)
		json_object_set_new(j, "panic", json_string(k->panic_msg));
	json_t *jg = json_object();
	json_object_set_new(jg, "thread", json_string(sbuf_str((struct sbuf *)&g->thread)));
	json_object_set_new(jg, "registers", json_string(sbuf_str((struct sbuf *)&g->regs)));
	json_object_set_new(jg, "backtrace", json_string(sbuf_str((struct sbuf *)&g->bt)));
	json_object_set_new(jg, "cpus", json_string(sbuf_str((struct sbuf *)&g->cpus)));
	json_object_set_new(j, "gdb", jg);
	json_object_set_new(j, "dmesg", sbuf_json_lines(&g->dmesg));
	json_object_set_new(j, "vmcore", json_str_or_null(vmcore));
	json_object_set_new(j, "directory", json_str_or_null(k->dir));

	if (k->dir) {
		path = path_join(k->dir, "report.txt");
		r = write_file_atomic(path, text.buf, text.len, 0600);
		free(path);
		char *js = json_dumps(j, JSON_INDENT(2));
		path = path_join(k->dir, "report.json");
		if (!r && js)
			r = write_file_atomic(path, js, strlen(js), 0600);
		free(path);
		free(js);
		if (r)
			say(&s->say, SAY_WARN, "cannot write the crash report in '%s': %s", k->dir, strerror(-r));
		path = path_join(k->dir, "console.log");
		copy_file(s->log_path, path, 0600);
		free(path);

		struct crashdir cd = {
			.name = s->in.name,
			.kind = (char *)oops_kind_name(k->kind),
			.time = (long long)time(NULL),
			.vmlinux = s->art.vmlinux,
			.kernel = s->art.build_dir,
			.release = s->art.release,
			.vmcore = (char *)vmcore,
			.format = vmcore ? (char *)dump_format : NULL,
		};
		strvec_init(&cd.modules);
		strvec_pushv(&cd.modules, (const char *const *)c->modules.v);
		r = crashdir_save(k->dir, &cd);
		strvec_clear(&cd.modules);
		if (r)
			say(&s->say, SAY_WARN, "cannot write '%s/meta.json': %s", k->dir, strerror(-r));
	}

	if (c->json) {
		/* One line, the last on stdout (the --exec output comes before it). */
		char *js = json_dumps(j, JSON_COMPACT);
		say(&s->say, SAY_OUT, "%s", js ? js : "{}");
		free(js);
	} else {
		sbuf_rtrim(&text);
		say(&s->say, SAY_OUT, "%s", text.buf);
	}
	if (k->dir)
		say(&s->say, SAY_NOTE, "VM %s: crash report in %s/report.txt%s%s", s->in.name, k->dir,
		    vmcore ? ", vmcore " : "", vmcore ? vmcore : "");
	json_decref(j);
	sbuf_release(&text);
	sbuf_release(&head);
	sbuf_release(&body);
}

struct dump_progress {
	struct run_session *s;
	long long start, last;	/* now_ms() */
};

/* Progress for dumps that take a while: a line a second after the first second. */
static void dump_progress(unsigned long long done, unsigned long long total, void *arg)
{
	struct dump_progress *p = arg;
	long long now = now_ms();

	if (!total || now - p->start < 1000 || now - p->last < 1000)
		return;
	p->last = now;
	say(&p->s->say, SAY_NOTE, "VM %s: dumping guest memory: %llu%% of %llu MiB", p->s->in.name,
	    done * 100 / total, total >> 20);
}

/*
 * The guest is stopped (QEMU paused it at the panic, or we did): gather
 * everything, then end the run or hold the VM.
 */
static void capture(struct run_session *s, bool paused_by_qemu)
{
	struct run_crash *k = s->crash;
	const struct run_config *c = s->cfg;
	struct gdb_sections g = { SBUF_INIT, SBUF_INIT, SBUF_INIT, SBUF_INIT, SBUF_INIT, false };
	struct sbuf raw = SBUF_INIT, why = SBUF_INIT;
	char *vmcore = NULL;
	const char *format = c->dump_format ? c->dump_format : "elf";
	struct oops_report *r;

	if (k->captured)
		return;
	k->captured = true;
	if (k->wait_timer >= 0)
		run_timer_cancel(s, k->wait_timer), k->wait_timer = -1;
	if (!paused_by_qemu)
		run_qmp(s, "stop", 5000);
	/* What the console said up to the stop (the --exec output before the report). */
	run_console_drain(s);
	read_console(s);
	if ((r = oops_scanner_flush(&k->sc))) {
		if (!k->fatal && r->kind != OOPS_WARN)
			k->fatal = r;
		else if (r->kind == OOPS_PANIC && !k->panic_msg)
			k->panic_msg = xstrdup(r->message), oops_report_free(r);
		else
			oops_report_free(r);
	}
	if (k->kind == OOPS_NONE)
		k->kind = k->fatal ? k->fatal->kind : OOPS_PANIC;
	if (k->fatal) {
		if (oops_symbolize(k->fatal, s->art.vmlinux, s->art.src_dir, &c->modules, &why))
			say(&s->say, SAY_WARN, "cannot symbolize the report: %s", why.buf);
	}
	{
		struct sbuf head = SBUF_INIT;
		summary_line(s, &head);
		say(&s->say, SAY_NOTE, "%s; collecting the report", head.buf);
		sbuf_release(&head);
	}
	if (c->breaks.n)
		say(&s->say, SAY_TRACE, "the scripted gdb lets go of the stopped VM first");
	gdb_capture(s, k->fatal ? k->fatal->cpu : -1, &g, &raw);

	if (crashdir_create(s->in.name, &k->dir))
		say(&s->say, SAY_WARN, "cannot create a crash directory under %s", "the cache");
	if (c->dump) {
		vmcore = *c->dump ? abspath(c->dump) : k->dir ? path_join(k->dir, "vmcore") : NULL;
		sbuf_reset(&why);
		struct dump_progress dp = { s, now_ms(), 0 };
		if (vmcore && vmcore_dump(s->qmp_path, vmcore, format, dump_progress, &dp, &why)) {
			say(&s->say, SAY_WARN, "no vmcore: %s", why.buf);
			free(vmcore);
			vmcore = NULL;
		}
	}
	report(s, &g, vmcore, format);

	if (k->kind == OOPS_HANG) {
		/*
		 * No progress, or --timeout: the kernel may be fine and the
		 * command merely slow.  Let it go again and end it the clean way
		 * (the power button): a disk image keeps what the guest wrote.
		 */
		run_qmp(s, "cont", 5000);
		run_stop(s);
	} else if (c->exec) {
		/* A dead kernel, unattended: the report is what is wanted; end QEMU. */
		s->stopping = true;
		if (run_qmp(s, "quit", 5000))
			proc_kill(&s->qemu, SIGKILL);
	} else {
		say(&s->say, SAY_NOTE, "VM %s is paused at the crash site: 'kdebug gdb %s' attaches, 'kdebug crash %s' "
		    "opens crash on it, 'kdebug stop %s' ends it", s->in.name, s->in.name, s->in.name, s->in.name);
	}
	free(vmcore);
	sbuf_release(&raw);
	sbuf_release(&why);
	sbuf_release(&g.thread);
	sbuf_release(&g.regs);
	sbuf_release(&g.bt);
	sbuf_release(&g.cpus);
	sbuf_release(&g.dmesg);
}

/* ---- detection ---- */

static void on_panicked(struct run_session *s)
{
	say(&s->say, SAY_TRACE, "VM %s: GUEST_PANICKED", s->in.name);
	capture(s, true);
}

static void fatal_wait_over(struct run_session *s, void *arg)
{
	s->crash->wait_timer = -1;
	/* No panic followed the report (panic_on_oops=0 and the like): stop the guest ourselves. */
	capture(s, false);
}

static void handle_report(struct run_session *s, struct oops_report *r)
{
	struct run_crash *k = s->crash;
	const struct run_config *c = s->cfg;

	say(&s->say, SAY_TRACE, "VM %s: the console shows a kernel report (%s): %s", s->in.name,
	    oops_kind_name(r->kind), r->message ? r->message : "");
	if (r->kind == OOPS_WARN && c->on_warn != RUN_WARN_STOP) {
		k->warns++;
		if (c->on_warn == RUN_WARN_REPORT) {
			struct sbuf why = SBUF_INIT, text = SBUF_INIT;
			if (oops_symbolize(r, s->art.vmlinux, s->art.src_dir, &c->modules, &why))
				say(&s->say, SAY_TRACE, "cannot symbolize: %s", why.buf);
			oops_report_text(r, &text);
			sbuf_rtrim(&text);
			say(&s->say, SAY_WARN, "VM %s: the guest kernel warned (the run goes on; --on-warn stop stops it):\n%s",
			    s->in.name, text.buf);
			sbuf_release(&why);
			sbuf_release(&text);
		}
		oops_report_free(r);
		return;
	}
	if (!k->fatal) {
		k->fatal = r;
		/* A panic follows within moments when panic_on_* is on; else stop the guest ourselves. */
		if (r->kind != OOPS_PANIC && !k->captured)
			k->wait_timer = run_timer(s, CRASH_PANIC_WAIT_MS, fatal_wait_over, NULL);
		return;
	}
	if (r->kind == OOPS_PANIC && !k->panic_msg)
		k->panic_msg = xstrdup(r->message);
	oops_report_free(r);
}

static void console_line(void *arg, char *line)
{
	struct run_session *s = arg;
	struct oops_report *r = oops_scanner_line(&s->crash->sc, line);

	if (r)
		handle_report(s, r);
}

/* The console bytes QEMU wrote since the last look. */
static void read_console(struct run_session *s)
{
	struct run_crash *k = s->crash;
	char buf[8192];
	ssize_t n;

	if (k->log_fd < 0) {
		k->log_fd = open(s->log_path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
		if (k->log_fd < 0)
			return;
	}
	while ((n = read(k->log_fd, buf, sizeof(buf))) > 0) {
		k->last_output = now_ms();
		sbuf_feed_lines(&k->partial, buf, (size_t)n, console_line, s);
		if (k->partial.len > GUEST_LINE_MAX)
			sbuf_reset(&k->partial);	/* a line without end: drop it */
		if (k->captured)
			break;
	}
}

static void hang(struct run_session *s, char *why)
{
	struct run_crash *k = s->crash;

	if (k->captured) {
		free(why);
		return;
	}
	k->kind = OOPS_HANG;
	k->hang_why = why;
	capture(s, false);
}

static void tick(struct run_session *s, void *arg)
{
	struct run_crash *k = s->crash;
	const struct run_config *c = s->cfg;

	k->tick = -1;
	read_console(s);
	if (k->captured || s->qemu_exited)
		return;
	if (k->cmd_running && c->hang_timeout && now_ms() - k->last_output >= (long long)c->hang_timeout * 1000) {
		hang(s, xasprintf("no console output for %lu s while the command ran (--hang-timeout)", c->hang_timeout));
		return;
	}
	k->tick = run_timer(s, CRASH_TICK_MS, tick, NULL);
}

static void crash_event(struct run_session *s, enum run_event ev)
{
	struct run_crash *k = s->crash;

	if (!k)
		return;
	switch (ev) {
	case RUN_EV_GUEST_READY:
		k->cmd_running = s->cfg->exec != NULL;
		k->last_output = now_ms();
		break;
	case RUN_EV_EXEC_DONE:
		k->cmd_running = false;
		/*
		 * The oops killed the command (panic_on_oops=0) and the guest is
		 * about to power off: stop it now, before that.
		 */
		read_console(s);
		if (k->fatal && !k->captured)
			capture(s, false);
		break;
	case RUN_EV_TIMEOUT:
		hang(s, xasprintf("the run did not finish within --timeout %lu s", s->cfg->timeout));
		break;
	case RUN_EV_QEMU_EXITED:
		if (!k->captured)
			read_console(s);
		break;
	default:
		break;
	}
}

/* ---- setup, teardown ---- */

static int crash_setup(struct run_session *s, struct sbuf *why)
{
	const struct run_config *c = s->cfg;
	struct run_crash *k;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char *path;
	int r;

	if (c->no_watch)
		return 0;
	k = s->crash = xcalloc(1, sizeof(*k));
	oops_scanner_init(&k->sc);
	k->log_fd = k->mon_fd = -1;
	k->tick = k->wait_timer = -1;

	/* A QMP monitor of our own for GUEST_PANICKED (the instance's qmp.sock stays free for others). */
	path = instance_path(&s->in, crash_sock_name);
	r = sock_listen_unix(path, &s->crash_fd);
	if (!r && strlen(path) >= sizeof(sa.sun_path))
		r = -ENAMETOOLONG;
	if (!r) {
		memcpy(sa.sun_path, path, strlen(path) + 1);
		k->mon_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		/* kdebug listens already: the connection waits in the backlog until QEMU accepts it. */
		if (k->mon_fd < 0 || connect(k->mon_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			r = -errno;
	}
	if (r) {
		sbuf_addf(why, "cannot open the crash monitor socket '%s': %s", path, strerror(-r));
		free(path);
		return EXIT_FAIL;
	}
	free(path);
	run_watch(s, k->mon_fd, POLLIN, mon_readable, NULL);

	strvec_pushl(&s->qemu_args, "-device", "pvpanic", "-device", "vmcoreinfo",
		     "-action", "panic=pause", "-chardev", NULL);
	strvec_pushf(&s->qemu_args, "socket,id=kdcrash,fd=%d,server=on,wait=off", s->crash_fd);
	strvec_pushl(&s->qemu_args, "-mon", "chardev=kdcrash,mode=control", NULL);

	/*
	 * Every fatal kind ends in panic(), where pvpanic stops the VM; the
	 * user's --append comes later and wins.  (The qemu stage keeps WARNs
	 * visible under `quiet`: cmdline_opts.show_warnings.)
	 */
	sbuf_addf(&s->cmdline, "%soops=panic softlockup_panic=1 hung_task_panic=1 nmi_watchdog=panic%s",
		  s->cmdline.len ? " " : "", c->on_warn == RUN_WARN_STOP ? " panic_on_warn=1" : "");
	k->tick = run_timer(s, CRASH_TICK_MS, tick, NULL);
	return 0;
}

static void crash_teardown(struct run_session *s)
{
	struct run_crash *k = s->crash;

	close_fd(&s->crash_fd);
	if (!k)
		return;
	if (k->mon_fd >= 0) {
		run_unwatch(s, k->mon_fd);
		close_fd(&k->mon_fd);
	}
	if (k->tick >= 0)
		run_timer_cancel(s, k->tick), k->tick = -1;
	if (k->wait_timer >= 0)
		run_timer_cancel(s, k->wait_timer), k->wait_timer = -1;
	if (!k->captured) {
		read_console(s);
		struct oops_report *r = oops_scanner_flush(&k->sc);
		if (r)
			handle_report(s, r);
	}
	close_fd(&k->log_fd);
}

void run_crash_free(struct run_session *s)
{
	struct run_crash *k = s->crash;

	if (!k)
		return;
	oops_scanner_clear(&k->sc);
	sbuf_release(&k->partial);
	sbuf_release(&k->mon_buf);
	if (k->fatal)
		oops_report_free(k->fatal);
	free(k->panic_msg);
	free(k->hang_why);
	free(k->dir);
	free(k);
	s->crash = NULL;
}

int run_crash_outcome(const struct run_session *s)
{
	const struct run_crash *k = s->crash;

	if (!k || !k->captured)
		return 0;
	return oops_kind_is_hang(k->kind) ? RUN_EXIT_HANG : RUN_EXIT_CRASH;
}

unsigned run_crash_warnings(const struct run_session *s)
{
	return s->crash ? s->crash->warns : 0;
}

const struct run_stage run_stage_crash = {
	.name = "crash",
	.check = crash_check,
	.setup = crash_setup,
	.event = crash_event,
	.teardown = crash_teardown,
};
