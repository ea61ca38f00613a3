// SPDX-License-Identifier: GPL-2.0
/*
 * Unit tests of lib/kconfig*.c and lib/configure.c: .config parsing,
 * profiles, the Kconfig scanner on the fake trees in t/fixtures/kconfig/,
 * dependency expressions, verification messages, option names across
 * versions, the request file.  lib/kbuild.c is in test-kbuild.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "configure.h"
#include "kconfig.h"
#include "tap.h"

#define FIXTURES KDEBUG_DATADIR "/t/fixtures/kconfig"

static void test_parse(void)
{
	struct kconfig c = KCONFIG_INIT;
	struct sbuf why = SBUF_INIT, out = SBUF_INIT;
	const char *text =
		"#\n# Automatically generated file; DO NOT EDIT.\n#\n"
		"CONFIG_NET=y\n"
		"CONFIG_E1000=m\n"
		"# CONFIG_MODULES is not set\n"
		"CONFIG_CMDLINE=\"console=ttyS0\"\n"
		"CONFIG_LOG_BUF_SHIFT=17\n"
		"\n"
		"CONFIG_NET=m   \n";

	is_int(kconfig_parse(&c, text, "test", &why), 0, "parse a .config");
	is_str(kconfig_get(&c, "NET"), "m", "a later line overrides an earlier one");
	is_str(kconfig_get(&c, "E1000"), "m", "module value");
	is_str(kconfig_get(&c, "MODULES"), "n", "'is not set' is n");
	is_str(kconfig_get(&c, "CMDLINE"), "\"console=ttyS0\"", "strings keep their quotes");
	is_str(kconfig_get(&c, "LOG_BUF_SHIFT"), "17", "numbers");
	ok(kconfig_get(&c, "Automatically") == NULL, "comments are not options");
	is_int(c.n, 5, "five distinct options");
	ok(kconfig_value_on("y") && kconfig_value_on("m") && !kconfig_value_on("n") &&
	   !kconfig_value_on(NULL), "kconfig_value_on");

	kconfig_format(&c, &out);
	is_str(out.buf, "CONFIG_NET=m\nCONFIG_E1000=m\n# CONFIG_MODULES is not set\n"
	       "CONFIG_CMDLINE=\"console=ttyS0\"\nCONFIG_LOG_BUF_SHIFT=17\n", "format");

	is_int(kconfig_parse(&c, "CONFIG_A=y\nNET=y\n", "frag.config", &why), -EINVAL,
	       "a line that is not a config line is an error");
	like(why.buf, "frag.config:2: not a config line: 'NET=y'", "the error names file and line");
	ok(kconfig_get(&c, "A") == NULL && c.n == 5, "the config is untouched on failure");
	sbuf_reset(&why);
	is_int(kconfig_parse(&c, "CONFIG_A-B=y\n", "x", &why), -EINVAL, "a bad name is an error");

	kconfig_remove(&c, "E1000");
	ok(kconfig_get(&c, "E1000") == NULL && c.n == 4, "remove");
	kconfig_set(&c, "NET", "y", "--enable");
	is_str(kconfig_find(&c, "NET")->origin, "--enable", "set replaces value and origin");
	ok(kconfig_valid_name("9P_FS") && !kconfig_valid_name("A B") && !kconfig_valid_name(""),
	   "kconfig_valid_name");
	kconfig_clear(&c);
	sbuf_release(&why);
	sbuf_release(&out);
}

static void test_profiles(void)
{
	struct kconfig_profile p;
	struct sbuf why = SBUF_INIT;
	struct strvec names = STRVEC_INIT;

	is_int(kconfig_profile_load(&p, "tiny", FIXTURES, &why), 0, "load a profile by name");
	is_str(p.name, "tiny", "its name");
	is_str(p.base, "tinyconfig", "'# base:' names the make target");
	is_str(kconfig_get(&p.opts, "MODULES"), "n", "its options");
	is_str(kconfig_find(&p.opts, "NET")->origin, "profile tiny", "options know their origin");
	kconfig_profile_clear(&p);

	is_int(kconfig_profile_load(&p, FIXTURES "/configs/plain.config", "/nonexistent", &why), 0,
	       "load a profile by file");
	is_str(p.name, "plain", "named after the file");
	is_str(p.base, "defconfig", "no base line: defconfig");
	kconfig_profile_clear(&p);

	is_int(kconfig_profile_load(&p, "nosuch", FIXTURES, &why), -ENOENT, "unknown profile");
	like(why.buf, "no profile 'nosuch'; available: plain tiny", "lists the available ones");

	kconfig_profile_list(KDEBUG_DATADIR, &names);
	int minimal = 0, seed = 0;
	for (size_t i = 0; i < names.n; i++) {
		minimal += !strcmp(names.v[i], "minimal");
		seed += !strcmp(names.v[i], "seed");
	}
	ok(minimal && seed, "the repository has the minimal and seed profiles");
	strvec_clear(&names);

	/* The shipped profiles parse and name their base. */
	is_int(kconfig_profile_load(&p, "minimal", KDEBUG_DATADIR, &why), 0, "configs/minimal.config parses");
	is_str(p.base, "tinyconfig", "minimal starts from tinyconfig");
	is_str(kconfig_get(&p.opts, "FILE_LOCKING"), "y", "minimal asks for FILE_LOCKING (NFS needs it)");
	is_str(kconfig_get(&p.opts, "RANDOMIZE_BASE"), "n", "minimal has no KASLR");
	kconfig_profile_clear(&p);
	is_int(kconfig_profile_load(&p, "seed", KDEBUG_DATADIR, &why), 0, "configs/seed.config parses");
	is_str(p.base, "defconfig", "seed starts from defconfig");
	static const char *const seed_y[] = { "KGDB", "KGDB_SERIAL_CONSOLE", "KGDB_LOW_LEVEL_TRAP",
					      "DEBUG_INFO", "GDB_SCRIPTS", "FRAME_POINTER",
					      "DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT" };
	int all = 1;
	for (size_t i = 0; i < ARRAY_SIZE(seed_y); i++)
		all &= kconfig_get(&p.opts, seed_y[i]) && !strcmp(kconfig_get(&p.opts, seed_y[i]), "y");
	ok(all, "seed has the tutorial's options on");
	ok(!strcmp(kconfig_get(&p.opts, "DEBUG_RODATA_TEST"), "n") &&
	   !strcmp(kconfig_get(&p.opts, "RANDOMIZE_BASE"), "n") &&
	   !strcmp(kconfig_get(&p.opts, "DEBUG_INFO_REDUCED"), "n"), "and the tutorial's options off");
	kconfig_profile_clear(&p);
	sbuf_release(&why);
}

static const struct kconfig_def *def_of(const struct kconfig_db *db, const char *name)
{
	const struct kconfig_sym *s = kconfig_db_find(db, name);
	return s && s->ndefs ? &s->defs[0] : NULL;
}

static void test_scan(struct kconfig_db *db)
{
	struct sbuf why = SBUF_INIT;
	struct kconfig_db none;

	is_int(kconfig_db_scan(&none, FIXTURES "/configs", "x86", &why), -ENOENT, "no Kconfig: not a tree");
	like(why.buf, "no Kconfig file in", "says so");

	is_int(kconfig_db_scan(db, FIXTURES "/new", "x86", &why), 0, "scan the fake tree");
	is_int(db->nfiles, 7, "follows source, rsource and $(SRCARCH); skips missing files");
	const struct kconfig_def *d = def_of(db, "NFS_FS");
	ok(d != NULL, "NFS_FS is defined");
	is_str(d->file, "fs/nfs/Kconfig", "in fs/nfs/Kconfig");
	is_int(d->line, 1, "at line 1");
	is_int(d->type, 't', "tristate");
	ok(d->prompt, "with a prompt");
	is_int(d->nconds, 1, "one condition");
	is_str(d->conds[0].expr, "INET && FILE_LOCKING && MULTIUSER", "its depends on");
	is_str(d->conds[0].where, "fs/nfs/Kconfig: depends on INET && FILE_LOCKING && MULTIUSER", "where it is");

	d = def_of(db, "VIRTIO_PCI");
	is_int(d->nconds, 2, "VIRTIO_PCI: own depends and the enclosing if");
	is_str(d->conds[1].expr, "VIRTIO_MENU", "the if condition");
	is_str(d->conds[1].where, "drivers/virtio/Kconfig: inside 'if VIRTIO_MENU'", "described");

	d = def_of(db, "VIRTIO_NET");
	is_int(d->nconds, 3, "VIRTIO_NET: depends, if NETDEVICES, menu depends");
	is_str(d->conds[2].where, "Kconfig: in menu \"Network device support\" which depends on NET",
	       "a menu's depends applies to what it sources");

	ok(kconfig_db_find(db, "NOT_A_SYMBOL") == NULL, "help text is not parsed");
	ok(def_of(db, "EXPERT") != NULL, "the entry after a help text is");
	d = def_of(db, "FILE_LOCKING");
	ok(d->prompt && d->prompt_if && !strcmp(d->prompt_if, "EXPERT"), "a prompt with 'if'");
	ok(!def_of(db, "VIRTIO")->prompt, "VIRTIO has no prompt");
	ok(!def_of(db, "DEBUG_INFO")->prompt, "DEBUG_INFO has no prompt (5.18+ style)");
	ok(kconfig_db_has_prompt(db, "DEBUG_KERNEL") && !kconfig_db_has_prompt(db, "X86"), "has_prompt");

	const struct kconfig_sym *v = kconfig_db_find(db, "VIRTIO");
	is_int(v->selected_by.n, 3, "VIRTIO is selected by three");
	is_str(v->selected_by.v[0], "VIRTIO_PCI", "first VIRTIO_PCI");
	const struct kconfig_sym *fp = kconfig_db_find(db, "ARCH_WANT_FRAME_POINTERS");
	is_str(fp->selected_by.v[0], "X86 if UNWINDER_FRAME_POINTER", "select with if");

	unsigned ch = def_of(db, "DEBUG_INFO_DWARF5")->choice;
	ok(ch && ch == def_of(db, "DEBUG_INFO_NONE")->choice, "choice members share a choice");
	ok(ch != def_of(db, "UNWINDER_ORC")->choice && def_of(db, "UNWINDER_ORC")->choice,
	   "different choices differ");
	ok(!def_of(db, "GDB_SCRIPTS")->choice, "after endchoice: no choice");
	d = def_of(db, "DEBUG_INFO_DWARF5");
	is_str(d->conds[0].expr, "!CC_IS_CLANG || AS_IS_GNU", "continuation lines are joined");
	is_str(d->conds[1].where, "lib/Kconfig.debug: in a choice which depends on DEBUG_KERNEL",
	       "a choice's depends");
	ok(def_of(db, "X86_64") != NULL, "rsource is relative to the file");

	struct kconfig_db old;
	is_int(kconfig_db_scan(&old, FIXTURES "/old", "x86", &why), 0, "scan the old-style tree");
	ok(def_of(&old, "DEBUG_RODATA") != NULL, "old 'source \"arch/$SRCARCH/Kconfig\"'");
	ok(def_of(&old, "DEBUG_INFO")->prompt, "old DEBUG_INFO has a prompt");
	ok(def_of(&old, "FRAME_POINTER") != NULL, "after ---help---");
	kconfig_db_clear(&old);

	struct strvec s = STRVEC_INIT;
	kconfig_db_suggest(db, "NSF_FS", 3, &s);
	ok(s.n >= 1 && !strcmp(s.v[0], "NFS_FS"), "suggest NFS_FS for NSF_FS");
	strvec_clear(&s);
	kconfig_db_suggest(db, "virtio_nte", 3, &s);
	ok(s.n >= 1 && !strcmp(s.v[0], "VIRTIO_NET"), "case-insensitive suggestion");
	strvec_clear(&s);
	kconfig_db_suggest(db, "COMPLETELY_DIFFERENT_THING", 3, &s);
	is_int(s.n, 0, "nothing close, no suggestion");
	strvec_clear(&s);
	sbuf_release(&why);
}

/* Regression (fuzz/fuzz-kconfig.c): a file that sources itself is not read again. */
static void test_scan_loop(void)
{
	struct kconfig_db db;
	const struct kconfig_sym *a, *b;

	is_int(kconfig_db_scan(&db, FIXTURES "/loop", "x86", NULL), 0, "scan a tree that sources in a loop");
	a = kconfig_db_find(&db, "LOOP_A");
	b = kconfig_db_find(&db, "LOOP_B");
	ok(a && a->ndefs == 1, "the top file is read once");
	ok(b && b->ndefs == 1, "the file sourcing it is read once");
	is_int(db.nfiles, 2, "two files read");
	kconfig_db_clear(&db);
}

static void test_expr(const struct kconfig_db *db)
{
	struct kconfig c = KCONFIG_INIT;
	struct strvec b = STRVEC_INIT;

	kconfig_parse(&c, "CONFIG_INET=y\nCONFIG_MULTIUSER=y\nCONFIG_NFS_FS=m\nCONFIG_IP_PNP=y\n"
		      "CONFIG_CC_IS_CLANG=y\nCONFIG_LOG=17\n# CONFIG_FILE_LOCKING is not set\n", "t", NULL);
	is_int(kconfig_expr_eval("INET && MULTIUSER", &c), 2, "y && y");
	is_int(kconfig_expr_eval("INET && FILE_LOCKING", &c), 0, "y && n");
	is_int(kconfig_expr_eval("INET && NFS_FS", &c), 1, "y && m = m");
	is_int(kconfig_expr_eval("FILE_LOCKING || NFS_FS", &c), 1, "n || m = m");
	is_int(kconfig_expr_eval("!FILE_LOCKING", &c), 2, "!n");
	is_int(kconfig_expr_eval("!NFS_FS", &c), 1, "!m = m");
	is_int(kconfig_expr_eval("UNDEFINED_SYMBOL", &c), 0, "unset symbols are n");
	is_int(kconfig_expr_eval("NFS_FS=y", &c), 0, "m = y is false");
	is_int(kconfig_expr_eval("NFS_FS!=n && NFS_FS = m", &c), 2, "!= and =");
	is_int(kconfig_expr_eval("LOG >= 16 && LOG < 0x12", &c), 2, "numeric comparisons");
	is_int(kconfig_expr_eval("(INET || FILE_LOCKING) && !(NFS_FS=y)", &c), 2, "parentheses");
	is_int(kconfig_expr_eval("$(cc-option,-fno-foo)", &c), 2, "macros are not blamed");
	is_int(kconfig_expr_eval("\"$(ARCH)\" = \"x86\"", &c), 2, "neither are comparisons with macros");
	is_int(kconfig_expr_eval("INET &&", &c), 2, "unparsable: true");
	/* Issue #10: the macro scan stopped after the '$'. */
	is_int(kconfig_expr_eval("FILE_LOCKING && $(success,true)", &c), 0,
	       "n && a macro is n");
	is_int(kconfig_expr_eval("$(success,true) && FILE_LOCKING", &c), 0,
	       "a macro && n is n");
	is_int(kconfig_expr_eval("NFS_FS && $(cc-option,-mfoo -mbar=$(x))", &c), 1,
	       "m && a macro with nested parentheses is m");
	is_int(kconfig_expr_eval("FILE_LOCKING || $(as-instr,foo)", &c), 2,
	       "n || a macro is y");
	is_int(kconfig_expr_eval("!FILE_LOCKING && $(success,true) && INET", &c), 2,
	       "parsing goes on after a macro");
	is_int(kconfig_expr_eval("FILE_LOCKING && $(unclosed", &c), 2,
	       "an unclosed macro is unparsable: true");
	kconfig_expr_blame("FILE_LOCKING && $(success,true)", &c, db, &b);
	ok(b.n == 1 && !strcmp(b.v[0], "FILE_LOCKING"), "blame the symbol next to a macro, not the macro");
	strvec_clear(&b);

	kconfig_expr_blame("INET && FILE_LOCKING && MULTIUSER", &c, db, &b);
	ok(b.n == 1 && !strcmp(b.v[0], "FILE_LOCKING"), "blame the symbol that is off");
	strvec_clear(&b);
	kconfig_expr_blame("!CC_IS_CLANG || AS_IS_GNU", &c, db, &b);
	ok(b.n == 2 && !strcmp(b.v[0], "!CC_IS_CLANG") && !strcmp(b.v[1], "AS_IS_GNU"),
	   "blame a negation and every false alternative");
	strvec_clear(&b);
	kconfig_expr_blame("DEBUG_KERNEL && (M68K || UML) || ARCH_WANT_FRAME_POINTERS", &c, db, &b);
	ok(b.n == 2 && !strcmp(b.v[0], "DEBUG_KERNEL") && !strcmp(b.v[1], "ARCH_WANT_FRAME_POINTERS"),
	   "symbols other architectures define are not blamed");
	strvec_clear(&b);
	kconfig_expr_blame("NFS_FS=y && IP_PNP", &c, db, &b);
	ok(b.n == 1 && !strcmp(b.v[0], "NFS_FS=y"), "blame a comparison");
	strvec_clear(&b);
	kconfig_expr_blame("INET && MULTIUSER", &c, db, &b);
	is_int(b.n, 0, "a true expression blames nothing");
	strvec_clear(&b);
	kconfig_clear(&c);
}

/* Verify one request against a .config; return the message (static buffer). */
static const char *verify1(const struct kconfig_db *db, const char *req_text, const char *got_text)
{
	static char msg[2048];
	struct kconfig req = KCONFIG_INIT, got = KCONFIG_INIT;
	struct kconfig_report r = { 0 };

	kconfig_parse(&req, req_text, "req", NULL);
	kconfig_parse(&got, got_text, "got", NULL);
	kconfig_verify(&req, &got, db, &r);
	snprintf(msg, sizeof(msg), "%s", r.n ? r.v[0].message : "(ok)");
	kconfig_report_clear(&r);
	kconfig_clear(&req);
	kconfig_clear(&got);
	return msg;
}

/* PRE repeated n times, then "X", then POST repeated n times. */
static char *repeated(const char *pre, int n, const char *post)
{
	struct sbuf sb = SBUF_INIT;

	for (int i = 0; i < n; i++)
		sbuf_adds(&sb, pre);
	sbuf_adds(&sb, "X");
	for (int i = 0; i < n; i++)
		sbuf_adds(&sb, post);
	return sbuf_detach(&sb);
}

/*
 * Regression (fuzz/fuzz-kconfig-expr.c): expressions nested or long beyond
 * any kernel's are unparsable (2, no blame) instead of overflowing the stack.
 */
static void test_expr_limits(void)
{
	static const struct {
		const char *pre;
		int n;
		const char *post;
		int want;
		const char *name;
	} cases[] = {
		{ "(!", 24, ")", 0, "24 nested (!...) still parse" },
		{ "(", 200000, "", 2, "200000 '(': unparsable, not a crash" },
		{ "!", 1000000, "", 2, "a million '!': unparsable" },
		{ "X && ", 1000000, "", 2, "a million terms: unparsable" },
		{ "X || ", 30, "", 0, "31 terms still evaluate" },
	};
	struct kconfig c = KCONFIG_INIT;
	struct strvec blame = STRVEC_INIT;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *e = repeated(cases[i].pre, cases[i].n, cases[i].post);
		is_int(kconfig_expr_eval(e, &c), cases[i].want, "%s", cases[i].name);
		kconfig_expr_blame(e, &c, NULL, &blame);
		free(e);
	}
	/* X (from the parsable ones, once); nothing from the unparsable ones. */
	is_int(blame.n, 1, "what cannot be parsed is not blamed");
	strvec_clear(&blame);
}

static void test_verify(const struct kconfig_db *db)
{
	struct kconfig req = KCONFIG_INIT, got = KCONFIG_INIT;
	struct kconfig_report r = { 0 };

	kconfig_parse(&req, "CONFIG_NET=y\n# CONFIG_RANDOMIZE_BASE is not set\nCONFIG_NFS_FS=y\n", "r", NULL);
	kconfig_parse(&got, "CONFIG_NET=y\n# CONFIG_RANDOMIZE_BASE is not set\nCONFIG_NFS_FS=y\n", "g", NULL);
	is_int(kconfig_verify(&req, &got, db, &r), 0, "all requests met: no problem");
	is_int(r.checked, 3, "three checked");
	kconfig_report_clear(&r);

	is_str(verify1(db, "# CONFIG_RANDOMIZE_BASE is not set\n", "CONFIG_NET=y\n"), "(ok)",
	       "off and absent from .config is off");

	is_str(verify1(db, "CONFIG_NFS_FS=y\n",
		       "CONFIG_NET=y\nCONFIG_INET=y\nCONFIG_MULTIUSER=y\n# CONFIG_FILE_LOCKING is not set\n"),
	       "NFS_FS was requested but is off: it depends on FILE_LOCKING "
	       "(fs/nfs/Kconfig: depends on INET && FILE_LOCKING && MULTIUSER); add --enable FILE_LOCKING",
	       "the NFS_FS / FILE_LOCKING trap");

	is_str(verify1(db, "CONFIG_NFS_FS=y\n# CONFIG_FILE_LOCKING is not set\n",
		       "CONFIG_NET=y\nCONFIG_INET=y\nCONFIG_MULTIUSER=y\n"),
	       "NFS_FS was requested but is off: it depends on FILE_LOCKING "
	       "(fs/nfs/Kconfig: depends on INET && FILE_LOCKING && MULTIUSER); FILE_LOCKING is requested off",
	       "a dependency requested off is named as such");

	is_str(verify1(db, "CONFIG_VIRTIO_NET=y\n",
		       "CONFIG_NET=y\nCONFIG_NETDEVICES=y\nCONFIG_PCI=y\n# CONFIG_VIRTIO_MENU is not set\n"),
	       "VIRTIO_NET was requested but is off: it depends on VIRTIO (drivers/net/Kconfig: depends on VIRTIO); "
	       "VIRTIO has no prompt, it is selected by VIRTIO_PCI, VIRTIO_MMIO, VIRTIO_CONSOLE; "
	       "VIRTIO_PCI, VIRTIO_MMIO depend on VIRTIO_MENU (drivers/virtio/Kconfig: inside 'if VIRTIO_MENU'); "
	       "add --enable VIRTIO_MENU",
	       "the VIRTIO_NET / VIRTIO_MENU trap, through the symbols that select VIRTIO");

	is_str(verify1(db, "CONFIG_VIRTIO_NET=y\nCONFIG_VIRTIO_PCI=y\n",
		       "CONFIG_NET=y\nCONFIG_NETDEVICES=y\n# CONFIG_PCI is not set\nCONFIG_VIRTIO_MENU=y\n"),
	       "VIRTIO_NET was requested but is off: it depends on VIRTIO (drivers/net/Kconfig: depends on VIRTIO); "
	       "VIRTIO has no prompt, it is selected by VIRTIO_PCI, VIRTIO_MMIO, VIRTIO_CONSOLE; "
	       "VIRTIO_PCI depends on PCI (drivers/virtio/Kconfig: depends on PCI)",
	       "a requested selector is explained first");

	is_str(verify1(db, "CONFIG_VIRTIO_PCI=y\n", "CONFIG_PCI=y\n"),
	       "VIRTIO_PCI was requested but is off: it depends on VIRTIO_MENU "
	       "(drivers/virtio/Kconfig: inside 'if VIRTIO_MENU'); add --enable VIRTIO_MENU",
	       "an enclosing if");

	is_str(verify1(db, "CONFIG_ROOT_NFS=y\n", "CONFIG_NFS_FS=m\nCONFIG_IP_PNP=y\nCONFIG_INET=y\n"),
	       "ROOT_NFS was requested but is off: it depends on NFS_FS=y "
	       "(fs/nfs/Kconfig: depends on NFS_FS=y && IP_PNP); add --enable NFS_FS",
	       "a comparison that fails");

	is_str(verify1(db, "# CONFIG_VIRTIO is not set\n",
		       "CONFIG_VIRTIO=y\nCONFIG_VIRTIO_PCI=y\nCONFIG_VIRTIO_MENU=y\nCONFIG_PCI=y\n"),
	       "VIRTIO was requested off but is on: it is selected by VIRTIO_PCI; add --disable VIRTIO_PCI",
	       "requested off but selected");

	is_str(verify1(db, "CONFIG_UNWINDER_FRAME_POINTER=y\n", "CONFIG_UNWINDER_ORC=y\nCONFIG_X86_64=y\n"),
	       "UNWINDER_FRAME_POINTER was requested but is off: UNWINDER_ORC is chosen instead (same choice)",
	       "a choice with another member chosen");

	is_str(verify1(db, "CONFIG_FILE_LOCKING=y\n", "# CONFIG_EXPERT is not set\n"),
	       "FILE_LOCKING was requested but is off: it can only be set when EXPERT",
	       "a prompt that is hidden");

	is_str(verify1(db, "CONFIG_DEBUG_INFO=y\n", "CONFIG_DEBUG_KERNEL=y\n"),
	       "DEBUG_INFO was requested but is off: it has no prompt, only select turns it on; "
	       "it is selected by DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT, DEBUG_INFO_DWARF5",
	       "a symbol without prompt");

	is_str(verify1(db, "CONFIG_E1000=y\n", "CONFIG_E1000=m\nCONFIG_PCI=y\nCONFIG_NETDEVICES=y\nCONFIG_NET=y\n"),
	       "E1000 was requested but is a module: its dependencies are met (drivers/net/Kconfig:3); "
	       "check it with 'make menuconfig'",
	       "y requested, m obtained");

	is_str(verify1(db, "CONFIG_DEBUG_INFO_DWARF5=y\n", "CONFIG_DEBUG_KERNEL=y\nCONFIG_CC_IS_CLANG=y\n"),
	       "DEBUG_INFO_DWARF5 was requested but is off: it depends on !CC_IS_CLANG, AS_IS_GNU "
	       "(lib/Kconfig.debug: depends on !CC_IS_CLANG || AS_IS_GNU); CC_IS_CLANG is on and has no prompt; "
	       "AS_IS_GNU cannot be set (no prompt, nothing selects it)",
	       "a negated dependency");

	kconfig_clear(&req);
	kconfig_clear(&got);
}

static void test_map(const struct kconfig_db *db)
{
	struct kconfig req = KCONFIG_INIT;
	struct strvec notes = STRVEC_INIT;
	struct kconfig_db old;

	kconfig_parse(&req, "CONFIG_DEBUG_INFO=y\nCONFIG_FRAME_POINTER=y\nCONFIG_DEBUG_RODATA=y\n", "p", NULL);
	kconfig_map_names(&req, db, &notes);
	is_str(kconfig_get(&req, "DEBUG_INFO"), "y", "5.18+: DEBUG_INFO stays requested (it is verified)");
	is_str(kconfig_get(&req, "DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT"), "y", "and sets the DWARF choice");
	is_str(kconfig_get(&req, "UNWINDER_FRAME_POINTER"), "y", "FRAME_POINTER brings the frame pointer unwinder");
	is_str(kconfig_get(&req, "STRICT_KERNEL_RWX"), "y", "DEBUG_RODATA is STRICT_KERNEL_RWX now");
	ok(kconfig_get(&req, "DEBUG_RODATA") == NULL, "and the old name is gone");
	is_int(notes.n, 3, "one note per change");
	like(notes.v[0], "DEBUG_RODATA=y requested as STRICT_KERNEL_RWX=y", "the rename is explained");
	strvec_clear(&notes);
	kconfig_clear(&req);

	kconfig_parse(&req, "CONFIG_DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT=y\nCONFIG_DEBUG_INFO_DWARF5=y\n", "p", NULL);
	kconfig_map_names(&req, db, &notes);
	ok(!kconfig_get(&req, "DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT") &&
	   !strcmp(kconfig_get(&req, "DEBUG_INFO_DWARF5"), "y"), "the later member of a choice wins");
	strvec_clear(&notes);
	kconfig_clear(&req);

	kconfig_parse(&req, "CONFIG_DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT=y\n# CONFIG_DEBUG_INFO is not set\n", "p", NULL);
	kconfig_map_names(&req, db, &notes);
	ok(!kconfig_get(&req, "DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT") &&
	   !strcmp(kconfig_get(&req, "DEBUG_INFO_NONE"), "y"), "DEBUG_INFO off means DEBUG_INFO_NONE on 5.18+");
	strvec_clear(&notes);
	kconfig_clear(&req);

	kconfig_parse(&req, "CONFIG_DEBUG_INFO_DWARF5=y\nCONFIG_DEBUG_INFO=y\n", "p", NULL);
	kconfig_map_names(&req, db, &notes);
	ok(!kconfig_get(&req, "DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT"), "an explicit DWARF choice is kept");
	strvec_clear(&notes);
	kconfig_clear(&req);

	kconfig_db_scan(&old, FIXTURES "/old", "x86", NULL);
	kconfig_parse(&req, "CONFIG_DEBUG_INFO=y\nCONFIG_DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT=y\n"
		      "CONFIG_STRICT_KERNEL_RWX=y\nCONFIG_FRAME_POINTER=y\nCONFIG_UNWINDER_FRAME_POINTER=y\n", "p", NULL);
	kconfig_map_names(&req, &old, &notes);
	ok(!kconfig_get(&req, "DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT"), "4.9: no DWARF choice, dropped");
	is_str(kconfig_get(&req, "DEBUG_INFO"), "y", "DEBUG_INFO is set directly");
	is_str(kconfig_get(&req, "DEBUG_RODATA"), "y", "STRICT_KERNEL_RWX was DEBUG_RODATA");
	ok(!kconfig_get(&req, "UNWINDER_FRAME_POINTER") && !strcmp(kconfig_get(&req, "FRAME_POINTER"), "y"),
	   "no unwinder choice: FRAME_POINTER alone");
	is_int(req.n, 3, "three options left");
	strvec_clear(&notes);
	kconfig_clear(&req);

	kconfig_parse(&req, "CONFIG_DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT=y\n", "p", NULL);
	kconfig_map_names(&req, &old, &notes);
	is_str(kconfig_get(&req, "DEBUG_INFO"), "y", "4.9: the DWARF choice becomes DEBUG_INFO=y");
	strvec_clear(&notes);
	kconfig_clear(&req);
	kconfig_db_clear(&old);
}

static void test_request_text(void)
{
	struct kconfig req = KCONFIG_INIT;
	struct sbuf out = SBUF_INIT;

	kconfig_set(&req, "NET", "y", "profile minimal");
	kconfig_set(&req, "INET", "y", "profile minimal");
	kconfig_set(&req, "MODULES", "n", "--disable");
	kconfig_set(&req, "E1000", "m", NULL);
	configure_request_text(&req, "tinyconfig", "minimal", "6.1.99", &out);
	is_str(out.buf,
	       "# Requested by kdebug config: base 'tinyconfig', profile minimal, Linux 6.1.99.\n"
	       "# Merged into .config with merge_config.sh, then make olddefconfig.\n"
	       "\n# from profile minimal\nCONFIG_NET=y\nCONFIG_INET=y\n"
	       "\n# from --disable\n# CONFIG_MODULES is not set\n"
	       "\n# from elsewhere\nCONFIG_E1000=m\n",
	       "the request file: grouped by origin, in order");
	sbuf_release(&out);
	kconfig_clear(&req);
}

int main(void)
{
	struct kconfig_db db;

	test_parse();
	test_profiles();
	test_scan(&db);
	test_scan_loop();
	test_expr(&db);
	test_expr_limits();
	test_verify(&db);
	test_map(&db);
	kconfig_db_clear(&db);
	test_request_text();
	return done_testing();
}
