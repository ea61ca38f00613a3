// SPDX-License-Identifier: GPL-2.0
/* 9p: --share parsing, QEMU arguments, the guest mount script, the 9p root command line. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "share.h"
#include "tap.h"

int main(void)
{
	struct strvec v = STRVEC_INIT;
	share_add_qemu_args(&v, "fs0", "/home/me/src", "kdebug0", "none", false);
	is_int((int)v.n, 4, "two options");
	is_str(v.v[0], "-fsdev", "-fsdev");
	is_str(v.v[1], "local,id=fs0,path=/home/me/src,security_model=none,multidevs=remap", "fsdev spec");
	is_str(v.v[2], "-device", "-device");
	is_str(v.v[3], "virtio-9p-pci,fsdev=fs0,mount_tag=kdebug0", "device spec");
	strvec_clear(&v);
	share_add_qemu_args(&v, "fs1", "/a,b", SHARE_ROOT_TAG, "mapped-xattr", true);
	is_str(v.v[1], "local,id=fs1,path=/a,,b,security_model=mapped-xattr,readonly=on,multidevs=remap",
	       "commas doubled, readonly");
	is_str(v.v[3], "virtio-9p-pci,fsdev=fs1,mount_tag=/dev/root", "root tag");
	strvec_clear(&v);

	is_str(share_root_security_model(), "mapped-xattr", "9p root: mapped-xattr, as root too");

	char *c = share_root_cmdline();
	is_str(c, "root=/dev/root rootfstype=9p rootflags=trans=virtio,version=9p2000.L,msize=262144 rw",
	       "9p root command line");
	free(c);

	char tmp[] = "/tmp/kdebug-share-XXXXXX";
	ok(mkdtemp(tmp) != NULL, "temp dir");
	struct share s[2] = { 0 };
	struct sbuf why = SBUF_INIT;
	char *spec = xasprintf("%s:/mnt/src", tmp);
	is_int(share_parse(spec, 0, &s[0], &why), 0, "HOST:GUEST parsed");
	is_str(s[0].host, tmp, "host");
	is_str(s[0].guest, "/mnt/src", "guest");
	is_str(s[0].tag, "kdebug0", "tag");
	is_int(share_parse(tmp, 1, &s[1], &why), 0, "HOST alone parsed");
	char *def = xasprintf("/mnt/%s", strrchr(tmp, '/') + 1);
	is_str(s[1].guest, def, "guest defaults to /mnt/<basename>");
	s[1].readonly = true;
	char *sh = share_rc_script(s, 2);
	like(sh, "mkdir -p /mnt/src && mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 kdebug0 /mnt/src ||",
	     "mount line");
	like(sh, ",msize=262144,ro kdebug1", "read-only share");
	like(sh, "cannot mount the share kdebug0", "failure message");
	ok(!strstr(sh, "exit"), "sourced script never exits");
	free(sh);
	struct share bad = { 0 };
	free(spec);
	spec = xasprintf("%s/nope:/x", tmp);
	sbuf_reset(&why);
	is_int(share_parse(spec, 2, &bad, &why), -ENOENT, "missing host dir");
	like(sbuf_str(&why), "not a directory", "message");
	free(spec);
	spec = xasprintf("%s:relative", tmp);
	is_int(share_parse(spec, 2, &bad, NULL), -EINVAL, "relative guest path");
	free(spec);
	spec = xasprintf("%s:/", tmp);
	is_int(share_parse(spec, 2, &bad, NULL), -EINVAL, "guest / refused");
	is_int(share_parse(":/x", 2, &bad, NULL), -EINVAL, "empty host");
	free(spec);
	spec = xasprintf("%s:/mnt/a init=/bin/sh", tmp);
	sbuf_reset(&why);
	is_int(share_parse(spec, 2, &bad, &why), -EINVAL, "a blank in the guest path cannot add kernel parameters");
	like(sbuf_str(&why), "kernel command line cannot carry", "... said in one line");
	free(spec);
	spec = xasprintf("%s:/mnt/\"q", tmp);
	is_int(share_parse(spec, 2, &bad, NULL), -EINVAL, "nor a quote");
	ok(share_cmdline_safe("/mnt/a,b") && !share_cmdline_safe("/a b") && !share_cmdline_safe("/a\\b"),
	   "share_cmdline_safe");
	ok(bad.host == NULL, "untouched on failure");
	free(spec);
	free(def);
	share_clear(&s[0]);
	share_clear(&s[1]);
	rmdir(tmp);

	/* The 9p root's symlinks in QEMU's mapped-xattr form; others untouched. */
	char root[] = "/tmp/kdebug-map-XXXXXX";
	if (mkdtemp(root)) {
		char *p = xasprintf("%s/sbin", root), *l = xasprintf("%s/sbin/init", root);
		char *f = xasprintf("%s/file", root), *out = xasprintf("%s/out", root);
		mkdir(p, 0755);
		symlink("../bin/busybox", l);
		symlink("/etc", out);
		write_file(f, "x", 1, 0755);
		sbuf_reset(&why);
		int r = share_map_root(root, &why);
		struct stat st;
		char buf[64] = "";
		uint32_t mode = 0;
		if (r == -ENOTSUP) {
			ok(1, "# SKIP no user xattrs in /tmp");
		} else {
			is_int(r, 0, "share_map_root: %s", sbuf_str(&why));
			ok(lstat(l, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600,
			   "a symlink becomes a 0600 file");
			ok(read_file_at(l, buf, sizeof(buf), 0) == 14 && !memcmp(buf, "../bin/busybox", 14),
			   "... holding its target");
			ok(lgetxattr(l, "user.virtfs.mode", &mode, sizeof(mode)) == 4 && mode == (S_IFLNK | 0777),
			   "... with the mapped mode S_IFLNK|0777");
			ok(lstat(out, &st) == 0 && S_ISREG(st.st_mode), "a symlink out of the tree is not followed");
			ok(lstat(f, &st) == 0 && (st.st_mode & 07777) == 0755, "regular files keep their mode");
			is_int(share_map_root(root, &why), 0, "idempotent");
		}
		unlink(l);
		unlink(out);
		unlink(f);
		rmdir(p);
		rmdir(root);
		free(p);
		free(l);
		free(f);
		free(out);
	}
	sbuf_release(&why);
	return done_testing();
}
