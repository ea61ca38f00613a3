/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel configuration: .config files and fragments, profiles
 * (configs/NAME.config), a scanner of the tree's Kconfig files (which
 * symbols exist, their `depends on`, who selects them), option names that
 * changed across kernel versions, and the verification of a resulting
 * .config against what was requested.
 *
 * kconfig.c (.config, profiles), kconfig-db.c (symbol table), kconfig-scan.c
 * (the scanner), kconfig-expr.c (expressions), kconfig-names.c (names across
 * versions), kconfig-verify.c (verification).
 *
 * Pure logic except for reading files: no processes, no printing.
 */
#ifndef KDEBUG_KCONFIG_H
#define KDEBUG_KCONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

/*
 * An ordered list of NAME=VALUE (NAME without the CONFIG_ prefix).  VALUE is
 * "y", "m", "n" (written "# CONFIG_NAME is not set") or the raw text after
 * '=' for strings and numbers (quotes kept).  `origin` says where a request
 * came from ("profile minimal", "--enable", a fragment path), NULL if unknown.
 */
struct kconfig_entry {
	char *name;
	char *value;
	char *origin;
};
struct kconfig {
	struct kconfig_entry *v;
	size_t n, alloc;
};
#define KCONFIG_INIT { .v = NULL, .n = 0, .alloc = 0 }

void kconfig_init(struct kconfig *c);
void kconfig_clear(struct kconfig *c);
/*
 * Parse .config / fragment text.  Lines that are neither CONFIG_X=V,
 * "# CONFIG_X is not set", comments nor blank are errors (-EINVAL, with the
 * line number in why).  Later lines override earlier ones.
 */
int kconfig_parse(struct kconfig *c, const char *text, const char *origin, struct sbuf *why);
int kconfig_load(struct kconfig *c, const char *path, const char *origin, struct sbuf *why);
/* Value of NAME or NULL when the file does not mention it. */
const char *kconfig_get(const struct kconfig *c, const char *name);
const struct kconfig_entry *kconfig_find(const struct kconfig *c, const char *name);
/* Set (replacing an existing entry in place, or appending). */
void kconfig_set(struct kconfig *c, const char *name, const char *value, const char *origin);
void kconfig_remove(struct kconfig *c, const char *name);
/* Fragment text: CONFIG_X=V / # CONFIG_X is not set, one per line. */
void kconfig_format(const struct kconfig *c, struct sbuf *out);
/* "y"/"m" -> true; "n", NULL -> false. */
bool kconfig_value_on(const char *value);
/* Is s a valid symbol name ([A-Za-z0-9_]+)?  Strips nothing. */
bool kconfig_valid_name(const char *s);

/*
 * A profile: configs/NAME.config (or any file), a fragment whose comment
 * "# base: tinyconfig" names the make target it starts from (defconfig when
 * absent).
 */
struct kconfig_profile {
	char *name;	/* "minimal", or the file's basename without .config */
	char *path;
	char *base;	/* make target: tinyconfig, defconfig, allnoconfig, ... */
	struct kconfig opts;
};
/*
 * NAME is looked up as DATADIR/configs/NAME.config; anything containing a
 * '/' or ending in ".config" is a file.  -ENOENT when there is no such
 * profile (why lists the available ones), -EINVAL for a bad fragment.
 */
int kconfig_profile_load(struct kconfig_profile *p, const char *name_or_path,
			 const char *datadir, struct sbuf *why);
void kconfig_profile_clear(struct kconfig_profile *p);
/* Names of the profiles in DATADIR/configs, sorted. */
void kconfig_profile_list(const char *datadir, struct strvec *out);

/* ---- the Kconfig symbol database ---- */

/* One condition a definition sits under, with where it comes from. */
struct kconfig_cond {
	char *expr;	/* "INET && FILE_LOCKING && MULTIUSER" */
	char *where;	/* "fs/nfs/Kconfig: depends on INET && ..." */
};

struct kconfig_def {
	char *file;	/* relative to the tree */
	unsigned line;
	char type;	/* 'b'ool 't'ristate 's'tring 'i'nt 'h'ex, 0 unknown */
	bool prompt;	/* user-visible (has a prompt) */
	char *prompt_if;	/* "bool "x" if COND": COND, or NULL */
	unsigned choice;	/* member of choice number N (1-based), 0 none */
	struct kconfig_cond *conds;	/* own `depends on` first, then enclosing if/menu/choice */
	size_t nconds;
};

struct kconfig_sym {
	char *name;
	struct kconfig_def *defs;
	size_t ndefs;
	struct strvec selected_by;	/* "VIRTIO_PCI", or "X if COND" */
};

struct kconfig_db {
	struct kconfig_sym **syms;	/* hash table, open addressing */
	size_t size, count;
	size_t nfiles;	/* Kconfig files read */
	unsigned nchoices;
};

/*
 * Scan SRCDIR/Kconfig following `source` statements, with $(SRCARCH) and
 * $(ARCH) set to ARCH ("x86").  -ENOENT when SRCDIR/Kconfig does not exist.
 */
int kconfig_db_scan(struct kconfig_db *db, const char *srcdir, const char *arch, struct sbuf *why);
void kconfig_db_clear(struct kconfig_db *db);
const struct kconfig_sym *kconfig_db_find(const struct kconfig_db *db, const char *name);
bool kconfig_db_has_prompt(const struct kconfig_db *db, const char *name);
/* Does a Kconfig file of the tree define NAME (not only select it)? */
bool kconfig_db_defined(const struct kconfig_db *db, const char *name);
/* The choice NAME is a member of (1-based), 0 for none. */
unsigned kconfig_db_choice(const struct kconfig_db *db, const char *name);
/* Up to MAX closest defined names to NAME (edit distance), best first. */
void kconfig_db_suggest(const struct kconfig_db *db, const char *name, size_t max, struct strvec *out);

/* ---- expressions ---- */

/*
 * Evaluate a Kconfig dependency expression against a .config: 0 (n), 1 (m)
 * or 2 (y).  Symbols the .config does not mention are n.  Unparsable input
 * evaluates to 2 (we do not blame what we cannot read).
 */
int kconfig_expr_eval(const char *expr, const struct kconfig *config);
/*
 * Why is EXPR false?  Appends to out the terms that make it false: "X" for
 * a symbol that is off, "!X" for one that is on, "X=y" for a failed
 * comparison.  Only symbols defined in db (when db != NULL) are named.
 */
void kconfig_expr_blame(const char *expr, const struct kconfig *config,
			const struct kconfig_db *db, struct strvec *out);

/* ---- names across kernel versions ---- */

/*
 * Rewrite a request for the tree described by db: renamed options take the
 * name the tree knows (DEBUG_RODATA -> STRICT_KERNEL_RWX), options that have
 * become invisible get the visible option that turns them on
 * (DEBUG_INFO -> DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT on 5.18+,
 * FRAME_POINTER -> UNWINDER_FRAME_POINTER on x86 4.14+), and options the
 * tree does not have yet are dropped when something else covers them.
 * One human-readable line per change is appended to notes.
 */
void kconfig_map_names(struct kconfig *req, const struct kconfig_db *db, struct strvec *notes);

/* ---- verification ---- */

struct kconfig_problem {
	char *name;
	char *want, *got;	/* got "n" when the .config does not mention it */
	char *message;	/* one line: "NFS_FS was requested but is off: it depends on ..." */
};
struct kconfig_report {
	struct kconfig_problem *v;
	size_t n, alloc;
	size_t checked;
};
void kconfig_report_clear(struct kconfig_report *r);

/*
 * Compare every request with the resulting .config; for each one that did
 * not get its value, explain with the Kconfig `depends on` lines, which of
 * their symbols are off and what to do (--enable X).  Returns the number
 * of problems.
 */
size_t kconfig_verify(const struct kconfig *req, const struct kconfig *got,
		      const struct kconfig_db *db, struct kconfig_report *r);

#endif
