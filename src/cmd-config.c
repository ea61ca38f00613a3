// SPDX-License-Identifier: GPL-2.0
/*
 * kdebug config: configure a kernel tree (out of tree, O=) for debugging
 * from a profile plus --enable/--disable/--fragment, with the kernel's own
 * tools, then verify that every requested option got its value.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "configure.h"
#include "kconfig.h"
#include "util.h"

static const char config_help[] =
"usage: kdebug config [--src DIR|TARBALL] [--out DIR] [--profile NAME|FILE]\n"
"                     [--enable SYM[=VAL]]... [--disable SYM]... [--fragment FILE]...\n"
"                     [--cc CC] [--force]\n"
"\n"
"Configure a kernel for debugging, out of tree, and verify the result.\n"
"\n"
"  --src DIR|TARBALL  kernel tree, or a .tar.xz/.tar.gz unpacked once into the cache\n"
"                     (default: the current directory when it is a kernel tree,\n"
"                     else /usr/src/linux-source-*.tar.xz)\n"
"  --out DIR          build directory (default: ~/.cache/kdebug/build/<source>-<profile>)\n"
"  --profile P        minimal (default), seed, or a fragment file with '# base: TARGET'\n"
"  --enable SYM[=VAL] request SYM=y (or =m, =VALUE) on top of the profile\n"
"  --disable SYM      request SYM off\n"
"  --fragment FILE    a config fragment (CONFIG_X=y lines) on top of the profile\n"
"  --cc CC            compiler for make CC= (default: 'ccache gcc' when ccache is installed)\n"
"  --force            keep a .config that misses requested options; replace a\n"
"                     .config that kdebug did not write\n"
"\n"
"Every requested option that does not get its value is reported with the\n"
"Kconfig dependency that is missing.  See Documentation/kdebug-config.md.\n";

struct config_opts {
	const char *src, *out, *profile, *cc;
	struct kconfig cmdline;		/* --enable/--disable, in order */
	struct strvec fragments;
	bool force;
};

static int add_request(struct config_opts *o, const char *arg, bool enable)
{
	const char *s = arg;
	char *name, *value;

	if (!strncmp(s, "CONFIG_", 7))
		s += 7;
	const char *eq = strchr(s, '=');
	if (eq && !enable)
		return usage_error("config", "--disable takes a name, not '%s'", arg);
	name = eq ? xstrndup(s, (size_t)(eq - s)) : xstrdup(s);
	value = xstrdup(!enable ? "n" : eq ? eq + 1 : "y");
	if (!kconfig_valid_name(name) || !*value) {
		int r = usage_error("config", "'%s' is not a config option name", arg);
		free(name);
		free(value);
		return r;
	}
	const char *prev = kconfig_get(&o->cmdline, name);
	if (prev && kconfig_value_on(prev) != kconfig_value_on(value)) {
		error("%s is both enabled and disabled on the command line; keep one of --enable %s / --disable %s",
		      name, name, name);
		free(name);
		free(value);
		return EXIT_USAGE;
	}
	kconfig_set(&o->cmdline, name, value, enable ? "--enable" : "--disable");
	free(name);
	free(value);
	return 0;
}

static void say(enum configure_level level, const char *msg, void *arg)
{
	if (level == CONFIGURE_WARNING)
		warning("%s", msg);
	else
		note("%s", msg);
}

static int configure(struct config_opts *o)
{
	struct configure c;
	struct sbuf why = SBUF_INIT;
	int r, ret = EXIT_OK;

	configure_init(&c);
	c.src = o->src;
	c.out = o->out;
	c.profile = o->profile;
	c.cc = o->cc;
	c.cmdline = &o->cmdline;
	c.fragments = &o->fragments;
	c.force = o->force;
	c.say = say;
	r = configure_run(&c, &why);
	for (size_t i = 0; i < c.report.n; i++) {
		if (o->force)
			warning("%s", c.report.v[i].message);
		else
			error("%s", c.report.v[i].message);
	}
	fputs(sbuf_str(&c.make_errors), stderr);
	if (r) {
		error("%s", why.buf ? why.buf : strerror(-r));
		ret = c.bad_input ? EXIT_USAGE : EXIT_FAIL;
		goto out;
	}
	printf("configured %s\n  Linux %s, profile %s (base %s): %zu requested options %s\n",
	       c.out_dir, c.version, c.prof.name, c.prof.base, c.report.checked,
	       c.report.n ? "checked, some missing (forced)" : "verified");
	printf("next: kdebug build%s%s\n", o->out ? " --out " : "", o->out ? o->out : "");
out:
	configure_clear(&c);
	sbuf_release(&why);
	return ret;
}

int cmd_config(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "src", required_argument, NULL, 's' },
		{ "out", required_argument, NULL, 'o' },
		{ "profile", required_argument, NULL, 'p' },
		{ "enable", required_argument, NULL, 'e' },
		{ "disable", required_argument, NULL, 'd' },
		{ "fragment", required_argument, NULL, 'f' },
		{ "cc", required_argument, NULL, 'c' },
		{ "force", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct config_opts o;
	int c, ret = EXIT_OK;

	memset(&o, 0, sizeof(o));
	kconfig_init(&o.cmdline);
	strvec_init(&o.fragments);
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:s:o:p:e:d:f:F", longopts, NULL)) != -1) {
		switch (c) {
		case 's': o.src = optarg; break;
		case 'o': o.out = optarg; break;
		case 'p': o.profile = optarg; break;
		case 'c': o.cc = optarg; break;
		case 'F': o.force = true; break;
		case 'f':
			if (!is_regular(optarg)) {
				ret = usage_error("config", "cannot open fragment '%s'", optarg);
				goto out;
			}
			strvec_push(&o.fragments, optarg);
			break;
		case 'e':
		case 'd':
			ret = add_request(&o, optarg, c == 'e');
			if (ret)
				goto out;
			break;
		case 'h':
			ret = print_help(config_help);
			goto out;
		default:
			ret = usage_option_error("config", c, argv);
			goto out;
		}
	}
	if (optind < argc) {
		ret = usage_error("config", "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (o.out && !*o.out) {
		ret = usage_error("config", "--out needs a directory");
		goto out;
	}
	ret = configure(&o);
out:
	kconfig_clear(&o.cmdline);
	strvec_clear(&o.fragments);
	return ret;
}
