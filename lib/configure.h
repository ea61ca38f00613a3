/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The configure pipeline of `kdebug config`: a profile plus fragments and
 * --enable/--disable become a request (names mapped for the tree, unknown
 * names refused); the tree's base target (tinyconfig, defconfig, ...) runs
 * out of tree, the request is merged (merge_config.sh), olddefconfig fills
 * in the rest, and the result is verified against the request.  On failure
 * only what this run created goes: a build directory it made is removed
 * (and each parent it made, when empty); in a directory that was there,
 * the entries that were not (make's output) are removed, never what was,
 * and the previous .config is put back.  kdebug-config.log stays.
 */
#ifndef KDEBUG_CONFIGURE_H
#define KDEBUG_CONFIGURE_H

#include <stdbool.h>

#include "kconfig.h"
#include "util.h"

enum configure_level { CONFIGURE_NOTE, CONFIGURE_WARNING };

struct configure {
	/* Input. */
	const char *src;	/* tree or tarball; NULL: the current directory when it
				 * is a kernel tree, else the newest /usr/src/linux-source-*.tar.xz */
	const char *out;	/* NULL: CACHE/build/<source id>-<profile> */
	const char *profile;	/* name or fragment file; NULL: minimal */
	const char *cc;		/* NULL: kbuild_default_cc() */
	const struct kconfig *cmdline;		/* --enable/--disable, may be NULL */
	const struct strvec *fragments;		/* may be NULL */
	bool force;
	/* Notes and warnings while it works (NULL: none). */
	void (*say)(enum configure_level level, const char *msg, void *arg);
	void *arg;

	/* Results, also filled as far as it got on failure. */
	char *cache, *src_dir, *source, *source_id, *out_dir, *version, *cc_used;
	struct kconfig_profile prof;
	struct kconfig_db db;
	struct kconfig req;		/* what was requested, names mapped */
	struct kconfig_report report;	/* verification: one problem per request missed */
	struct sbuf make_errors;	/* the first errors of a make step that failed */
	bool bad_input;			/* the failure is the caller's input (usage) */

	/* Private. */
	struct strvec made_dirs;	/* directories this run's mkdir() made, outermost first */
	struct strvec before;		/* OUT's entries before this run (OUT not made by it) */
	struct sbuf old_config, log;
	bool had_config;
	int lockfd;
};

/* Zero c (no input, nothing held); then fill in the input fields. */
void configure_init(struct configure *c);
/*
 * Configure and verify.  0 when every request got its value (or with
 * force); -errno with why otherwise: -EINTR when interrupted, -EBUSY when
 * another kdebug works in the directory, -EDOM when verification
 * failed (c->report says why).
 */
int configure_run(struct configure *c, struct sbuf *why);
void configure_clear(struct configure *c);

/* "/usr/src/linux-source-*.tar.xz": where the default source is looked for. */
extern const char configure_distro_glob[];

/*
 * The request file OUT/kdebug.config: a header naming base, profile and
 * version, then the requests grouped by origin ("# from profile minimal").
 */
void configure_request_text(const struct kconfig *req, const char *base, const char *profile,
			    const char *version, struct sbuf *out);

#endif
