// SPDX-License-Identifier: GPL-2.0
#include "share.h"
#include "qemu.h"

#include <dirent.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

static bool guest_path_ok(const char *p)
{
	if (!p || p[0] != '/' || strlen(p) > 1024)
		return false;
	for (; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			return false;
	return true;
}

/*
 * The guest path travels on the kernel command line (kdebug.share=TAG:PATH),
 * where a blank would start a new parameter (init=/bin/sh ...) and quotes
 * change the parsing: such paths are refused, not quoted.
 */
bool share_cmdline_safe(const char *p)
{
	return !strpbrk(p, " \t\n\"'\\");
}

int share_parse(const char *spec, unsigned index, struct share *out, struct sbuf *why)
{
	const char *colon = strchr(spec, ':');
	char *host = colon ? xstrndup(spec, colon - spec) : xstrdup(spec);
	char *guest = NULL;
	int ret = 0;
	if (!*host) {
		if (why)
			sbuf_addf(why, "'%s' names no host directory; use HOSTDIR[:GUESTPATH]", spec);
		ret = -EINVAL;
		goto out;
	}
	if (!is_dir(host)) {
		if (why)
			sbuf_addf(why, "cannot share '%s': not a directory", host);
		ret = -ENOENT;
		goto out;
	}
	char *abs = abspath(host);
	free(host);
	host = abs;
	if (colon)
		guest = xstrdup(colon + 1);
	else
		guest = xasprintf("/mnt/%s", strcmp(host, "/") ? path_basename(host) : "host");
	if (guest_path_ok(guest) && !share_cmdline_safe(guest)) {
		if (why)
			sbuf_addf(why, "guest path '%s' has a blank, quote or backslash, which the kernel command line cannot carry; "
				  "name another: --share %s:/mnt/NAME", guest, host);
		free(host);
		free(guest);
		return -EINVAL;
	}
	if (!guest_path_ok(guest) || !strcmp(guest, "/")) {
		if (why)
			sbuf_addf(why, "'%s' is not an absolute guest path (other than /) to mount '%s' on",
				  guest, host);
		ret = -EINVAL;
		goto out;
	}
	out->host = host;
	out->guest = guest;
	out->tag = xasprintf("kdebug%u", index);
	out->readonly = false;
	host = guest = NULL;
out:
	free(host);
	free(guest);
	return ret;
}

void share_clear(struct share *s)
{
	free(s->host);
	free(s->guest);
	free(s->tag);
	s->host = s->guest = s->tag = NULL;
}

const char *share_root_security_model(void)
{
	return "mapped-xattr";
}

/* QEMU's mapped attributes: 32-bit little-endian values in user.virtfs.*. */
static int set_mapped_attr(int fd, const char *name, uint32_t value)
{
	uint32_t le = htole32(value);
	return fsetxattr(fd, name, &le, sizeof(le), 0) < 0 ? -errno : 0;
}

/* Replace the symlink NAME in DIRFD by QEMU's mapped form: a file holding the target. */
static int map_symlink(int dirfd, const char *name, struct sbuf *why, const char *path)
{
	char target[4097], tmp[64];
	ssize_t n = readlinkat(dirfd, name, target, sizeof(target));
	int fd, r;

	if (n < 0 || n >= (ssize_t)sizeof(target)) {
		r = n < 0 ? -errno : -ENAMETOOLONG;
		goto fail;
	}
	snprintf(tmp, sizeof(tmp), ".kdebug-9p-link.%ld", (long)getpid());
	unlinkat(dirfd, tmp, 0);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = -errno;
		goto fail;
	}
	r = write_all(fd, target, (size_t)n);
	if (!r)
		r = set_mapped_attr(fd, "user.virtfs.mode", S_IFLNK | 0777);
	if (!r)
		r = set_mapped_attr(fd, "user.virtfs.uid", 0);
	if (!r)
		r = set_mapped_attr(fd, "user.virtfs.gid", 0);
	if (close(fd) < 0 && !r)
		r = -errno;
	if (!r && renameat(dirfd, tmp, dirfd, name) < 0)
		r = -errno;
	if (r)
		unlinkat(dirfd, tmp, 0);
	if (!r)
		return 0;
fail:
	sbuf_addf(why, "cannot prepare the 9p root: symlink '%s/%s': %s%s", path, name, strerror(-r),
		  r == -ENOTSUP ? " (the file system must support user xattrs)" : "");
	return r;
}

static int map_tree_at(int fd, const char *path, unsigned depth, struct sbuf *why)
{
	DIR *d = fdopendir(fd);
	struct dirent *de;
	int r = 0;

	if (!d) {
		r = -errno;
		close(fd);
		sbuf_addf(why, "cannot read '%s': %s", path, strerror(-r));
		return r;
	}
	while (!r && (de = readdir(d))) {
		struct stat st;
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;	/* gone meanwhile */
		if (S_ISLNK(st.st_mode)) {
			r = map_symlink(dirfd(d), de->d_name, why, path);
		} else if (S_ISDIR(st.st_mode) && depth < 64) {
			int sub = openat(dirfd(d), de->d_name,
					 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0)
				continue;	/* replaced meanwhile: not ours to follow */
			char *p = path_join(path, de->d_name);
			r = map_tree_at(sub, p, depth + 1, why);
			free(p);
		}
	}
	closedir(d);
	return r;
}

int share_map_root(const char *dir, struct sbuf *why)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		int r = -errno;
		sbuf_addf(why, "cannot open '%s': %s", dir, strerror(-r));
		return r;
	}
	return map_tree_at(fd, dir, 0, why);
}

void share_add_qemu_args(struct strvec *argv, const char *id, const char *hostdir,
			 const char *tag, const char *security_model, bool readonly)
{
	struct sbuf sb = SBUF_INIT;
	sbuf_addf(&sb, "local,id=%s,path=", id);
	qemu_add_value(&sb, hostdir);
	sbuf_addf(&sb, ",security_model=%s", security_model);
	if (readonly)
		sbuf_adds(&sb, ",readonly=on");
	sbuf_adds(&sb, ",multidevs=remap");
	strvec_pushl(argv, "-fsdev", sbuf_str(&sb), NULL);
	strvec_push(argv, "-device");
	strvec_pushf(argv, "virtio-9p-pci,fsdev=%s,mount_tag=%s", id, tag);
	sbuf_release(&sb);
}

char *share_rc_script(const struct share *shares, size_t n)
{
	struct sbuf sb = SBUF_INIT;
	sbuf_adds(&sb, "# Generated by kdebug: host directories over virtio-9p (--share).\n");
	for (size_t i = 0; i < n; i++) {
		const struct share *s = &shares[i];
		sbuf_adds(&sb, "mkdir -p ");
		sbuf_add_shquote(&sb, s->guest);
		sbuf_addf(&sb, " && mount -t 9p -o %s%s %s ", SHARE_9P_OPTS,
			  s->readonly ? ",ro" : "", s->tag);
		sbuf_add_shquote(&sb, s->guest);
		sbuf_adds(&sb, " ||\n\techo ");
		struct sbuf msg = SBUF_INIT;
		sbuf_addf(&msg, "kdebug: cannot mount the share %s (%s) on %s", s->tag, s->host, s->guest);
		sbuf_add_shquote(&sb, sbuf_str(&msg));
		sbuf_release(&msg);
		sbuf_adds(&sb, " >&2\n");
	}
	return sbuf_detach(&sb);
}

char *share_root_cmdline(void)
{
	return xstrdup("root=" SHARE_ROOT_TAG " rootfstype=9p rootflags=" SHARE_9P_OPTS " rw");
}
