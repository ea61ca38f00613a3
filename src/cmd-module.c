// SPDX-License-Identifier: GPL-2.0
/*
 * kdebug module: build an out-of-tree module against a kdebug kernel build
 * (make -C SRC O=BUILD M=DIR modules) and check that a .ko was built for
 * that kernel (vermagic).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "kbuild.h"
#include "module.h"
#include "proc.h"
#include "util.h"

static const char module_help[] =
"usage: kdebug module build DIR [--kernel BUILD_DIR] [-j N]\n"
"       kdebug module check FILE.ko [--kernel BUILD_DIR]\n"
"\n"
"build: compile the out-of-tree module in DIR against a kernel build\n"
"(make -C SRC O=BUILD M=DIR modules), with the build's compiler.  The\n"
"full output goes to DIR/kdebug-module.log.\n"
"check: is FILE.ko built for that kernel?  Compares its vermagic with the\n"
"build's; exit 1 with both when they differ.\n"
"\n"
"  -k, --kernel BUILD_DIR  the kernel build (default: the last 'kdebug build')\n"
"  -j, --jobs N            parallel jobs (default: online CPUs)\n"
"\n"
"See Documentation/kdebug-module.md.\n";

struct module_opts {
	const char *kernel;
	unsigned jobs;
};

static int resolve(const struct module_opts *o, struct kbuild_artifacts *a)
{
	struct sbuf why = SBUF_INIT;
	int r = kbuild_resolve(o->kernel, a, &why);
	if (r < 0)
		error("%s", sbuf_str(&why));
	sbuf_release(&why);
	return r;
}

static int module_build(const struct module_opts *o, const char *dir_arg)
{
	struct kbuild_artifacts a = { 0 };
	struct strvec kv = STRVEC_INIT;
	struct sbuf why = SBUF_INIT, mdir = SBUF_INIT;
	char *dir = NULL, *log = NULL, *cc = NULL;
	int ret = EXIT_FAIL;

	if (!is_dir(dir_arg)) {
		error("cannot build a module in '%s': %s", dir_arg, strerror(ENOENT));
		return EXIT_USAGE;
	}
	dir = abspath(dir_arg);
	char *kb = path_join(dir, "Kbuild"), *mk = path_join(dir, "Makefile");
	bool has_kbuild = is_regular(kb) || is_regular(mk);
	free(kb);
	free(mk);
	if (!has_kbuild) {
		error("'%s' has no Kbuild or Makefile; a module directory needs one (obj-m := NAME.o)", dir);
		ret = EXIT_USAGE;
		goto out;
	}
	if (resolve(o, &a) < 0)
		goto out;
	if (kbuild_state_load(a.build_dir, &kv) == 0 && kbuild_state_get(&kv, "cc"))
		cc = xstrdup(kbuild_state_get(&kv, "cc"));
	log = path_join(dir, "kdebug-module.log");
	sbuf_addf(&mdir, "M=%s", dir);
	const char *targets[] = { mdir.buf, "modules", NULL };
	struct kbuild_make m = {
		.src = a.src_dir, .out = a.build_dir, .cc = cc, .jobs = o->jobs,
		.targets = targets, .log = log,
	};
	int code = 0;
	int r = kbuild_make_run(&m, &code, &why);
	if (r == -EINTR)
		goto out;
	if (r < 0) {
		error("%s", why.len ? why.buf : strerror(-r));
		goto out;
	}
	if (code != 0) {
		struct sbuf text = SBUF_INIT, errs = SBUF_INIT;
		read_file(log, &text);
		kbuild_first_errors(sbuf_str(&text), 20, &errs);
		error("building the module in '%s' failed (make exit %d); full log: %s\n%s",
		      dir, code, log, sbuf_str(&errs));
		sbuf_release(&text);
		sbuf_release(&errs);
		goto out;
	}
	/* Report the modules and check them against the kernel. */
	DIR *d = opendir(dir);
	int n = 0;
	ret = EXIT_OK;
	for (struct dirent *e; d && (e = readdir(d));) {
		if (!str_ends_with(e->d_name, ".ko"))
			continue;
		char *ko = path_join(dir, e->d_name);
		sbuf_reset(&why);
		if (module_check(ko, a.build_dir, &why) < 0) {
			error("%s", sbuf_str(&why));
			ret = EXIT_FAIL;
		} else {
			printf("%s (for %s)\n", ko, a.release ? a.release : "?");
		}
		n++;
		free(ko);
	}
	if (d)
		closedir(d);
	if (n == 0) {
		error("make succeeded but built no .ko in '%s'; check obj-m in its Kbuild/Makefile", dir);
		ret = EXIT_FAIL;
	}
out:
	kbuild_artifacts_clear(&a);
	strvec_clear(&kv);
	sbuf_release(&why);
	sbuf_release(&mdir);
	free(dir);
	free(log);
	free(cc);
	return ret;
}

static int module_check_cmd(const struct module_opts *o, const char *ko)
{
	struct kbuild_artifacts a = { 0 };
	struct sbuf why = SBUF_INIT;
	int ret = EXIT_FAIL;
	if (!is_regular(ko)) {
		error("cannot open '%s': %s", ko, strerror(ENOENT));
		return EXIT_USAGE;
	}
	if (resolve(o, &a) < 0)
		goto out;
	int r = module_check(ko, a.build_dir, &why);
	if (r == 0) {
		char *v = NULL;
		module_vermagic(ko, &v);
		printf("ok: '%s' matches the kernel in '%s' (vermagic '%s')\n", ko, a.build_dir, v ? v : "");
		free(v);
		ret = EXIT_OK;
	} else {
		error("%s", sbuf_str(&why));
		ret = r == -ENOEXEC ? EXIT_USAGE : EXIT_FAIL;
	}
out:
	kbuild_artifacts_clear(&a);
	sbuf_release(&why);
	return ret;
}

int cmd_module(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "jobs",   required_argument, NULL, 'j' },
		{ "help",   no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct module_opts o = { 0 };
	unsigned long n;
	int c;
	while ((c = getopt_long(argc, argv, ":k:j:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'k': o.kernel = optarg; break;
		case 'j':
			if (parse_uint(optarg, 4096, &n) || !n)
				return usage_error("module", "-j needs a number of jobs, not '%s'", optarg);
			o.jobs = n;
			break;
		case 'h': return print_help(module_help);
		default: return usage_option_error("module", c, argv);
		}
	}
	if (optind >= argc)
		return usage_error("module", "missing subcommand: build DIR or check FILE.ko");
	const char *sub = argv[optind++];
	if (strcmp(sub, "build") && strcmp(sub, "check"))
		return usage_error("module", "unknown subcommand '%s' (build, check)", sub);
	if (optind >= argc)
		return usage_error("module", "%s needs %s", sub, strcmp(sub, "build") ? "a FILE.ko" : "a module DIR");
	if (optind + 1 < argc)
		return usage_error("module", "unexpected argument '%s'", argv[optind + 1]);
	return strcmp(sub, "build") ? module_check_cmd(&o, argv[optind]) : module_build(&o, argv[optind]);
}
