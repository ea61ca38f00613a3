// SPDX-License-Identifier: GPL-2.0
#include "module.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "elfsym.h"

char *module_modinfo_get(const char *modinfo, size_t len, const char *key)
{
	size_t klen = strlen(key);
	size_t i = 0;
	while (i < len) {
		const char *s = modinfo + i;
		size_t n = strnlen(s, len - i);
		if (n > klen && !memcmp(s, key, klen) && s[klen] == '=')
			return xstrndup(s + klen + 1, n - klen - 1);
		i += n + 1;
	}
	return NULL;
}

int module_read_modinfo(const char *ko, struct sbuf *out)
{
	return elf_read_section(ko, ".modinfo", out);
}

int module_vermagic(const char *ko, char **vermagic)
{
	struct sbuf mi = SBUF_INIT;
	int ret = module_read_modinfo(ko, &mi);
	if (ret == 0) {
		char *v = module_modinfo_get(mi.buf ? mi.buf : "", mi.len, "vermagic");
		if (v)
			*vermagic = v;
		else
			ret = -ENODATA;
	}
	sbuf_release(&mi);
	return ret;
}

static bool config_on(const char *config, const char *sym)
{
	size_t n = strlen(sym);
	for (const char *p = config; p && *p;) {
		if (!strncmp(p, sym, n) && p[n] == '=' && p[n + 1] == 'y' &&
		    (p[n + 2] == '\n' || p[n + 2] == '\0'))
			return true;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

char *module_expected_vermagic(const char *release, const char *config)
{
	if (config_on(config, "CONFIG_RANDSTRUCT") || config_on(config, "CONFIG_GCC_PLUGIN_RANDSTRUCT") ||
	    config_on(config, "CONFIG_RANDSTRUCT_FULL") || config_on(config, "CONFIG_RANDSTRUCT_PERFORMANCE"))
		return NULL;
	struct sbuf sb = SBUF_INIT;
	sbuf_addf(&sb, "%s ", release);
	if (config_on(config, "CONFIG_SMP"))
		sbuf_adds(&sb, "SMP ");
	if (config_on(config, "CONFIG_PREEMPT_BUILD"))
		sbuf_adds(&sb, "preempt ");
	else if (config_on(config, "CONFIG_PREEMPT_RT"))
		sbuf_adds(&sb, "preempt_rt ");
	if (config_on(config, "CONFIG_MODULE_UNLOAD"))
		sbuf_adds(&sb, "mod_unload ");
	if (config_on(config, "CONFIG_MODVERSIONS"))
		sbuf_adds(&sb, "modversions ");
	if (config_on(config, "CONFIG_MCORE2"))
		sbuf_adds(&sb, "CORE2 ");
	else if (config_on(config, "CONFIG_MATOM"))
		sbuf_adds(&sb, "ATOM ");
	return sbuf_detach(&sb);
}

int module_check(const char *ko, const char *build_dir, struct sbuf *why)
{
	char *have = NULL, *want = NULL;
	char *relp = path_join(build_dir, "include/config/kernel.release");
	char *cfgp = path_join(build_dir, ".config");
	struct sbuf rel = SBUF_INIT, cfg = SBUF_INIT;
	int ret = module_vermagic(ko, &have);
	if (ret < 0) {
		if (why)
			sbuf_addf(why, ret == -ENOEXEC ? "'%s' is not a kernel module (no .modinfo section)"
				  : ret == -ENODATA ? "'%s' has no vermagic" : "cannot read '%s': %s",
				  ko, strerror(-ret));
		goto out;
	}
	if ((ret = read_file(relp, &rel)) < 0 || (ret = read_file(cfgp, &cfg)) < 0) {
		if (why)
			sbuf_addf(why, "cannot read '%s': %s", rel.len ? cfgp : relp, strerror(-ret));
		goto out;
	}
	sbuf_rtrim(&rel);
	want = module_expected_vermagic(sbuf_str(&rel), sbuf_str(&cfg));
	bool same;
	if (want) {
		same = !strcmp(have, want);
	} else {
		/* RANDSTRUCT: compare everything but the hash we cannot compute. */
		size_t n = strlen(sbuf_str(&rel));
		same = !strncmp(have, sbuf_str(&rel), n) && have[n] == ' ';
	}
	if (!same) {
		ret = -ESTALE;
		if (why) {
			char *sp = strchr(have, ' ');
			char *hrel = sp ? xstrndup(have, sp - have) : xstrdup(have);
			struct sbuf h = SBUF_INIT, w = SBUF_INIT;
			sbuf_adds(&h, have);
			sbuf_rtrim(&h);
			sbuf_adds(&w, want ? want : sbuf_str(&rel));
			sbuf_rtrim(&w);
			sbuf_addf(why, "'%s' was built for kernel %s (vermagic '%s'), not for the kernel in '%s' "
				  "(vermagic '%s'); rebuild it with 'kdebug module build DIR --kernel %s'",
				  ko, hrel, sbuf_str(&h), build_dir, sbuf_str(&w), build_dir);
			sbuf_release(&h);
			sbuf_release(&w);
			free(hrel);
		}
	}
out:
	free(have);
	free(want);
	free(relp);
	free(cfgp);
	sbuf_release(&rel);
	sbuf_release(&cfg);
	return ret;
}

int module_check_dir(const char *dir, const char *build_dir, struct sbuf *why)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;
	int r = 0;

	if (!d) {
		sbuf_addf(why, "cannot open module directory '%s': %s", dir, strerror(errno));
		return -EINVAL;
	}
	while (!r && (de = readdir(d))) {
		if (!str_ends_with(de->d_name, ".ko"))
			continue;
		n++;
		char *ko = path_join(dir, de->d_name);
		if (build_dir)
			r = module_check(ko, build_dir, why);
		free(ko);
	}
	closedir(d);
	if (r)
		return -EINVAL;
	if (!n) {
		sbuf_addf(why, "no .ko in '%s'; build it with 'kdebug module build %s'", dir, dir);
		return -EINVAL;
	}
	return 0;
}
