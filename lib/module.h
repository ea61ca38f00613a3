/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Out-of-tree kernel modules: the vermagic a .ko was built for (its
 * .modinfo section), the vermagic a kernel build expects (its release and
 * .config, as include/linux/vermagic.h composes it), and the check that
 * turns the guest's "disagrees about version of symbol" / "invalid module
 * format" into a message naming both kernels.
 */
#ifndef KDEBUG_MODULE_H
#define KDEBUG_MODULE_H

#include <stddef.h>

#include "util.h"

/* The value of KEY= in a .modinfo section (NUL-separated "key=value"); malloc'd or NULL. */
char *module_modinfo_get(const char *modinfo, size_t len, const char *key);
/*
 * The .modinfo section of an ELF64 little-endian .ko.  0 and *out filled,
 * -ENOEXEC when the file is not such an ELF or has no .modinfo, else -errno.
 */
int module_read_modinfo(const char *ko, struct sbuf *out);
/* The vermagic of a .ko ("6.1.192 SMP mod_unload "); -ENODATA when it has none. */
int module_vermagic(const char *ko, char **vermagic);
/*
 * The vermagic a kernel with RELEASE and CONFIG (the text of its .config)
 * expects: "RELEASE " + "SMP " + "preempt "/"preempt_rt " + "mod_unload " +
 * "modversions " + the x86 processor family ("CORE2 ", "ATOM ").  NULL when
 * the configuration enables RANDSTRUCT (the hash is only in the build).
 */
char *module_expected_vermagic(const char *release, const char *config);
/*
 * Was KO built for the kernel in BUILD_DIR (include/config/kernel.release
 * and .config)?  0 when the vermagics match; -ESTALE when they differ (why:
 * "'hello.ko' was built for kernel 6.1.0-18-amd64 (vermagic ...), not for
 * 6.1.192 (...)"); other -errno when a file cannot be read.
 */
int module_check(const char *ko, const char *build_dir, struct sbuf *why);

/*
 * `kdebug run --module DIR`: DIR has at least one .ko, and each matches the
 * kernel of build_dir (vermagic; not checked when build_dir is NULL).
 * -EINVAL with why.
 */
int module_check_dir(const char *dir, const char *build_dir, struct sbuf *why);

#endif
