// SPDX-License-Identifier: GPL-2.0
/*
 * Stage "gdb": with --break, a scripted gdb (lib/gdb.c's driver) that
 * attaches to the gdbstub socket kdebug listens on (QEMU answers once it
 * runs), sets the breakpoints, announces RUN_EV_GDB_ARMED, and reports
 * each hit.  Its teardown comes after QEMU's: gdb prints the hit counts
 * when the connection closes.
 */
#include "run.h"

#include <stdlib.h>

struct run_gdb {
	struct gdb_driver drv;
};

static void gdb_ready(struct run_session *s, int fd, short revents, void *arg)
{
	struct gdb_driver *g = &s->gdb->drv;

	if (!gdb_driver_read(g))
		run_unwatch(s, fd);
	if (g->events & GDB_EV_ARMED)
		run_announce(s, RUN_EV_GDB_ARMED);
}

static int gdb_check(struct run_session *s, struct sbuf *why)
{
	if (s->cfg->breaks.n && !in_path("gdb")) {
		sbuf_adds(why, "--break needs gdb, which is not in PATH; install the Debian package gdb");
		return EXIT_USAGE;
	}
	return 0;
}

static int gdb_setup(struct run_session *s, struct sbuf *why)
{
	const struct run_config *c = s->cfg;
	struct gdb_opts go = {
		.vmlinux = s->art.vmlinux,
		.build_dir = s->art.build_dir,
		.gdb_py = s->art.gdb_scripts,
		.src_dir = s->art.src_dir,
		.target = s->gdb_target,
	};
	struct gdb_break_opts bo = {
		.breaks = &c->breaks,
		.max_hits = c->max_hits,
		.src_dir = s->art.src_dir,
		.module_dirs = &c->modules,
		.hit_cmds = &c->hit_cmds,
	};

	if (!c->breaks.n)
		return 0;
	s->gdb = xcalloc(1, sizeof(*s->gdb));
	if (gdb_driver_start(&s->gdb->drv, &go, &bo, s->in.dir, &s->say, why))
		return EXIT_FAIL;
	run_watch(s, s->gdb->drv.proc.out_fd, POLLIN, gdb_ready, NULL);
	return 0;
}

static void gdb_teardown(struct run_session *s)
{
	if (!s->gdb)
		return;
	if (s->gdb->drv.proc.out_fd >= 0)
		run_unwatch(s, s->gdb->drv.proc.out_fd);
	gdb_driver_finish(&s->gdb->drv, 10000);
}

const unsigned long *run_gdb_hits(const struct run_session *s)
{
	return s->gdb ? s->gdb->drv.hits : NULL;
}

bool run_gdb_reported(const struct run_session *s, const char **log)
{
	if (log)
		*log = s->gdb ? sbuf_str(&s->gdb->drv.log) : "";
	return !s->gdb || s->gdb->drv.done;
}

bool run_gdb_armed(const struct run_session *s)
{
	return !s->cfg->breaks.n || (s->gdb && s->gdb->drv.armed);
}

void run_gdb_free(struct run_session *s)
{
	if (s->gdb)
		gdb_driver_clear(&s->gdb->drv);
	free(s->gdb);
	s->gdb = NULL;
}

const struct run_stage run_stage_gdb = {
	.name = "gdb",
	.check = gdb_check,
	.setup = gdb_setup,
	.teardown = gdb_teardown,
};
