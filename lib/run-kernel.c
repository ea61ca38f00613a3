// SPDX-License-Identifier: GPL-2.0
/*
 * Stage "kernel": which kernel boots (a bzImage, a build, the last build),
 * its symbols, the --module directories built against it, the --break
 * symbols.  Checks only: nothing is created.
 */
#include "run.h"

#include <errno.h>
#include <string.h>

#include "module.h"

static int kernel_check(struct run_session *s, struct sbuf *why)
{
	const struct run_config *c = s->cfg;
	int r;

	r = kbuild_resolve_kernel(c->kernel, c->vmlinux, &s->art, why);
	if (r)
		return r == -EINVAL ? EXIT_USAGE : EXIT_FAIL;
	for (size_t i = 0; i < c->modules.n; i++)
		if (module_check_dir(c->modules.v[i], s->art.build_dir, why))
			return EXIT_USAGE;
	if (gdb_check_breaks_modules(&c->breaks, s->art.vmlinux, &c->modules, why))
		return EXIT_USAGE;
	sbuf_reset(why);
	return 0;
}

const struct run_stage run_stage_kernel = {
	.name = "kernel",
	.check = kernel_check,
};
