// SPDX-License-Identifier: GPL-2.0
/*
 * Stage "share": host directories in the guest over virtio-9p: --share
 * HOST[:GUEST], each --module directory (read-only, so that the guest
 * cannot change what the host builds next; live where modprobe looks,
 * /lib/modules/RELEASE/kdebug/NAME), and --root 9p:DIR.
 */
#include "run.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int add_share(struct run_session *s, const char *spec, struct sbuf *why)
{
	s->shares = xrealloc(s->shares, (s->n_shares + 1) * sizeof(*s->shares));
	memset(&s->shares[s->n_shares], 0, sizeof(*s->shares));
	if (share_parse(spec, (unsigned)s->n_shares, &s->shares[s->n_shares], why))
		return EXIT_USAGE;
	s->n_shares++;
	return 0;
}

static int share_check(struct run_session *s, struct sbuf *why)
{
	const struct run_config *c = s->cfg;
	int r = 0;

	for (size_t i = 0; i < c->shares.n && !r; i++)
		r = add_share(s, c->shares.v[i], why);
	return r;
}

static int share_setup(struct run_session *s, struct sbuf *why)
{
	const struct run_config *c = s->cfg;
	int r = 0;

	/* --module DIR (checked by the kernel stage): read-only, the guest needs only the .ko. */
	for (size_t i = 0; i < c->modules.n && !r; i++) {
		char *spec = xasprintf("%s:/lib/modules/%s/kdebug/%s", c->modules.v[i],
				       s->art.release ? s->art.release : "unknown", path_basename(c->modules.v[i]));
		r = add_share(s, spec, why);
		free(spec);
		if (!r)
			s->shares[s->n_shares - 1].readonly = true;
	}
	if (r)
		return r;
	for (size_t i = 0; i < s->n_shares; i++) {
		char id[32];
		snprintf(id, sizeof(id), "fs%zu", i);
		share_add_qemu_args(&s->qemu_args, id, s->shares[i].host, s->shares[i].tag, "none",
				    s->shares[i].readonly);
		sbuf_addf(&s->cmdline, "%skdebug.share=%s:%s", s->cmdline.len ? " " : "", s->shares[i].tag,
			  s->shares[i].guest);
	}
	if (s->cfg->root && str_starts_with(s->cfg->root, "9p")) {
		if (share_map_root(s->root_dir, why))
			return EXIT_FAIL;
		char *c = share_root_cmdline();
		share_add_qemu_args(&s->qemu_args, "fsroot", s->root_dir, SHARE_ROOT_TAG,
				    share_root_security_model(), false);
		sbuf_addf(&s->cmdline, "%s%s", s->cmdline.len ? " " : "", c);
		free(c);
	}
	return 0;
}

const struct run_stage run_stage_share = {
	.name = "share",
	.check = share_check,
	.setup = share_setup,
};
