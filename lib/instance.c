// SPDX-License-Identifier: GPL-2.0
/*
 * Registry of running VMs (the kvmtool kvm-ipc idea): one directory per VM,
 * guarded by an flock() held by its owner for the VM's whole life.
 *
 * Life of a directory:
 *   create   mkdtemp(REG/.new-XXXXXX), lock it, write info, then rename it
 *            to REG/NAME without replacing anything (RENAME_NOREPLACE), so a
 *            name appears complete and locked or not at all.
 *   remove   (the owner, or anyone who finds the lock free) rename REG/NAME
 *            over an empty REG/.old-XXXXXX, so the name disappears at once,
 *            then delete that.  Whoever removes holds the lock meanwhile.
 * The lock is authoritative: a held lock means a live owner, whatever the
 * pid in info says (pids are reused).  Leftovers of crashed creators
 * (.new-*) and removers (.old-*) are swept by instance_list().
 */
#include "instance.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include "dhcp.h"
#include "meta.h"
#include "qmp.h"
#include "proc.h"
#include "util.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

/* How old a .new-* directory with a free lock must be to count as junk. */
#define STALE_NEW_SECONDS 60
#define MAX_GENERATED 100000

/* ---- the registry directory ---- */

static bool usable_runtime_dir(const char *d)
{
	struct stat st;

	return d && d[0] == '/' && stat(d, &st) == 0 && S_ISDIR(st.st_mode) &&
	       access(d, W_OK | X_OK) == 0;
}

char *instance_registry_path(void)
{
	const char *x = getenv("XDG_RUNTIME_DIR");

	if (usable_runtime_dir(x))
		return path_join(x, "kdebug");
	return xasprintf("/tmp/kdebug-%u", (unsigned)geteuid());
}

int instance_registry(char **dirp)
{
	char *dir = instance_registry_path();
	struct stat st;
	int r = 0;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		r = -errno;
	else if (lstat(dir, &st) < 0)
		r = -errno;
	else if (!S_ISDIR(st.st_mode))
		r = -ENOTDIR;
	else if (st.st_uid != geteuid() || (st.st_mode & 022))
		r = -EPERM;
	if (r) {
		free(dir);
		return r;
	}
	*dirp = dir;
	return 0;
}

int instance_registry_lock(void)
{
	char *reg, *path;
	int r = instance_registry(&reg), fd;

	if (r)
		return r;
	path = path_join(reg, ".lock");
	fd = open(path, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	r = fd < 0 ? -errno : 0;
	while (!r && flock(fd, LOCK_EX) < 0) {
		if (errno != EINTR) {
			r = -errno;
			close(fd);
		}
	}
	free(path);
	free(reg);
	return r ? r : fd;
}

char *instance_registry_dir(void)
{
	char *dir;
	int r = instance_registry(&dir);

	if (r) {
		errno = -r;
		return NULL;
	}
	return dir;
}

bool instance_name_valid(const char *name)
{
	size_t n;

	if (!name || !isalnum((unsigned char)name[0]) || !isascii((unsigned char)name[0]))
		return false;
	for (n = 1; name[n]; n++) {
		unsigned char c = (unsigned char)name[n];
		if (!isascii(c) || !(isalnum(c) || c == '_' || c == '.' || c == '-'))
			return false;
	}
	return n <= 32;
}

char *instance_path(const struct instance *in, const char *file)
{
	return path_join(in->dir, file);
}

/* ---- info: a meta (JSON) object of these fields ---- */

enum ftype { F_STR, F_PID, F_INT, F_LL };

static const struct field {
	const char *key;
	enum ftype type;
	size_t off;
	unsigned long long max;
} fields[] = {
	{ "name",      F_STR, offsetof(struct instance, name),      0 },
	{ "pid",       F_PID, offsetof(struct instance, pid),       INT_MAX },
	{ "qemu_pid",  F_PID, offsetof(struct instance, qemu_pid),  INT_MAX },
	{ "gdb_port",  F_INT, offsetof(struct instance, gdb_port),  65535 },
	{ "gdb_socket", F_STR, offsetof(struct instance, gdb_socket), 0 },
	{ "started",   F_LL,  offsetof(struct instance, started),   LLONG_MAX },
	{ "kernel",    F_STR, offsetof(struct instance, kernel),    0 },
	{ "vmlinux",   F_STR, offsetof(struct instance, vmlinux),   0 },
	{ "build_dir", F_STR, offsetof(struct instance, build_dir), 0 },
	{ "rootfs",    F_STR, offsetof(struct instance, rootfs),    0 },
	{ "accel",     F_STR, offsetof(struct instance, accel),     0 },
	{ "net",       F_STR, offsetof(struct instance, net),       0 },
	{ "modules",   F_STR, offsetof(struct instance, modules),   0 },
	{ "guest_ip",  F_STR, offsetof(struct instance, guest_ip),  0 },
};

#define FIELD(in, f, type) ((type *)((char *)(in) + (f)->off))
#define CFIELD(in, f, type) ((const type *)((const char *)(in) + (f)->off))

/* A field's JSON value; NULL when a string is not valid UTF-8. */
static json_t *field_json(const struct instance *in, const struct field *f)
{
	switch (f->type) {
	case F_STR: {
		const char *v = *CFIELD(in, f, char *);
		return v ? json_string(v) : json_null();
	}
	case F_PID:
		return json_integer(*CFIELD(in, f, pid_t));
	case F_INT:
		return json_integer(*CFIELD(in, f, int));
	default:
		return json_integer(*CFIELD(in, f, long long));
	}
}

char *instance_format_info(const struct instance *in)
{
	json_t *o = json_object();
	char *text = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		json_t *v = field_json(in, &fields[i]);
		if (!v)
			goto out;
		json_object_set_new(o, fields[i].key, v);
	}
	text = meta_format(o);
out:
	json_decref(o);
	return text;
}

static void instance_init(struct instance *in)
{
	memset(in, 0, sizeof(*in));
	in->lock_fd = -1;
}

/* Set field F of IN from V (a string, or an integer in 0..max). */
static int field_set(struct instance *in, const struct field *f, const json_t *v)
{
	if (f->type == F_STR) {
		if (!json_is_string(v))
			return -EINVAL;
		free(*FIELD(in, f, char *));
		*FIELD(in, f, char *) = xstrdup(json_string_value(v));
		return 0;
	}
	if (!json_is_integer(v))
		return -EINVAL;
	json_int_t n = json_integer_value(v);
	if (n < 0 || (unsigned long long)n > f->max)
		return -ERANGE;
	if (f->type == F_PID)
		*FIELD(in, f, pid_t) = (pid_t)n;
	else if (f->type == F_INT)
		*FIELD(in, f, int) = (int)n;
	else
		*FIELD(in, f, long long) = (long long)n;
	return 0;
}

int instance_parse_info(const char *text, struct instance *out)
{
	struct instance in;
	json_t *o;
	int r = meta_parse(text, &o);

	if (r)
		return r;
	instance_init(&in);
	for (size_t i = 0; i < ARRAY_SIZE(fields) && !r; i++) {
		const json_t *v = json_object_get(o, fields[i].key);
		if (v && !json_is_null(v))	/* unknown keys (a newer kdebug's) are ignored */
			r = field_set(&in, &fields[i], v);
	}
	json_decref(o);
	if (r) {
		instance_free(&in);
		return r;
	}
	*out = in;
	return 0;
}

json_t *instance_to_json(const struct instance *in)
{
	json_t *o = json_object();

	for (size_t i = 0; i < ARRAY_SIZE(fields); i++) {
		json_t *v = field_json(in, &fields[i]);
		/* json_string() is NULL for invalid UTF-8: keep the key, say null. */
		json_object_set_new(o, fields[i].key, v ? v : json_null());
	}
	json_object_set_new(o, "dir", in->dir ? json_string(in->dir) : json_null());
	return o;
}

void instance_free(struct instance *in)
{
	for (size_t i = 0; i < ARRAY_SIZE(fields); i++)
		if (fields[i].type == F_STR)
			free(*FIELD(in, &fields[i], char *));
	free(in->dir);
	if (in->lock_fd >= 0)
		close(in->lock_fd);
	instance_init(in);
}

void instance_list_free(struct instance *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		instance_free(&list[i]);
	free(list);
}

static int write_info(const char *path, const struct instance *in)
{
	char *text = instance_format_info(in);
	int r = text ? write_file_atomic(path, text, strlen(text), 0600) : -EILSEQ;

	free(text);
	return r;
}

int instance_save(const struct instance *in)
{
	char *path = instance_path(in, "info");
	int r = write_info(path, in);

	free(path);
	return r;
}

/* ---- removal and liveness ---- */

/*
 * Make REG/NAME disappear atomically (renamed over an empty .old-XXXXXX),
 * then delete it.  ENOENT (somebody else was faster) is success.
 */
static int remove_dir(const char *reg, const char *dir)
{
	char *tmp = path_join(reg, ".old-XXXXXX");
	int r = 0;

	if (!mkdtemp(tmp)) {
		r = -errno;
	} else if (rename(dir, tmp) < 0) {
		r = errno == ENOENT ? 0 : -errno;
		rmdir(tmp);
	} else {
		rm_rf(tmp);
	}
	free(tmp);
	return r;
}

static bool same_file(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/*
 * Is REG/NAME live?  1: its lock is held.  0: it is gone (it was stale and
 * has been removed now, or it vanished meanwhile).  -errno on errors.
 */
static int probe(const char *reg, const char *name)
{
	char *dir = path_join(reg, name);
	char *lock = path_join(dir, "lock");
	int r = 0;

	for (int tries = 0; tries < 10; tries++) {
		struct stat st;
		int fd = open(lock, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);

		if (fd < 0) {
			if (errno != ENOENT) {
				r = -errno;
				break;
			}
			if (lstat(dir, &st) < 0) {
				r = errno == ENOENT ? 0 : -errno;
				break;
			}
			if (!S_ISDIR(st.st_mode)) {
				r = -ENOTDIR;
				break;
			}
			/*
			 * Names only ever appear with their lock, so a
			 * directory without one is junk.
			 */
			r = remove_dir(reg, dir);
			break;
		}
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			r = errno == EWOULDBLOCK ? 1 : -errno;
			close(fd);
			break;
		}
		/*
		 * We hold a lock nobody else holds: the owner is gone.  But
		 * make sure the file we locked is still this name's lock (not
		 * one another cleaner already removed, with a new VM created
		 * under the same name since).
		 */
		if (!same_file(fd, lock)) {
			close(fd);
			continue;
		}
		r = remove_dir(reg, dir);
		close(fd);
		break;
	}
	free(lock);
	free(dir);
	return r;
}

static int load_from(const char *reg, const char *name, struct instance *out)
{
	struct instance in;
	struct sbuf text = SBUF_INIT;
	char *path;
	int r;

	r = probe(reg, name);
	if (r == 0)
		return -ENOENT;
	if (r < 0)
		return r;
	path = xasprintf("%s/%s/info", reg, name);
	r = read_file(path, &text);
	free(path);
	if (r)
		return r;
	r = instance_parse_info(text.buf, &in);
	sbuf_release(&text);
	if (r)
		return r;
	free(in.name);
	in.name = xstrdup(name);
	in.dir = path_join(reg, name);
	*out = in;
	return 0;
}

int instance_load(const char *name, struct instance *in)
{
	char *reg;
	int r;

	if (!instance_name_valid(name))
		return -EINVAL;
	r = instance_registry(&reg);
	if (r)
		return r;
	r = load_from(reg, name, in);
	free(reg);
	return r;
}

static int cmp_instance(const void *a, const void *b)
{
	return strverscmp(((const struct instance *)a)->name,
			  ((const struct instance *)b)->name);
}

/* Leftovers of a crashed creator (.new-*) or remover (.old-*). */
static void sweep_junk(int dfd, const char *reg, const char *name)
{
	char *path = path_join(reg, name);
	struct stat st;

	if (str_starts_with(name, ".old-")) {
		rm_rf(path);
	} else if (str_starts_with(name, ".new-") &&
		   fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode) &&
		   st.st_mtime + STALE_NEW_SECONDS < time(NULL)) {
		/*
		 * A creator needs milliseconds, and its lock is not held yet
		 * right after it is created: only old ones, and never one
		 * whose lock is held.
		 */
		char *lock = path_join(path, "lock");
		int fd = open(lock, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
		if (fd >= 0 ? flock(fd, LOCK_EX | LOCK_NB) == 0 : errno == ENOENT)
			rm_rf(path);
		if (fd >= 0)
			close(fd);
		free(lock);
	}
	free(path);
}

static int list_in(const char *reg, struct instance **listp, size_t *np)
{
	struct instance *list = NULL;
	size_t n = 0, alloc = 0;
	DIR *d = opendir(reg);
	struct dirent *de;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.') {
			sweep_junk(dirfd(d), reg, de->d_name);
			continue;
		}
		if (!instance_name_valid(de->d_name))
			continue;
		if (n == alloc) {
			alloc = alloc ? 2 * alloc : 8;
			list = xrealloc(list, alloc * sizeof(*list));
		}
		/* Unreadable or vanished entries are not listed. */
		if (load_from(reg, de->d_name, &list[n]) == 0)
			n++;
	}
	closedir(d);
	if (n)
		qsort(list, n, sizeof(*list), cmp_instance);
	*listp = list;
	*np = n;
	return 0;
}

int instance_list(struct instance **listp, size_t *np)
{
	char *reg;
	int r = instance_registry(&reg);

	if (r)
		return r;
	r = list_in(reg, listp, np);
	free(reg);
	return r;
}

int instance_resolve(const char *name, struct instance *in)
{
	struct instance *list;
	size_t n;
	int r;

	if (name)
		return instance_load(name, in);
	r = instance_list(&list, &n);
	if (r)
		return r;
	if (n == 1) {
		*in = list[0];
		free(list);
		return 0;
	}
	instance_list_free(list, n);
	return n ? -E2BIG : -ENOENT;
}

/* ---- creation ---- */

static int rename_noreplace(const char *from, const char *to)
{
	if (renameat2(AT_FDCWD, from, AT_FDCWD, to, RENAME_NOREPLACE) == 0)
		return 0;
	if (errno != EINVAL && errno != ENOSYS)
		return -errno;
	/* No RENAME_NOREPLACE here: rename() only replaces an empty directory. */
	struct stat st;
	if (lstat(to, &st) == 0)
		return -EEXIST;
	return rename(from, to) < 0 ? -errno : 0;
}

/* Make REG/.new-XXXXXX, locked, with a first info; returns its path. */
static int make_new(const char *reg, struct instance *in, char **tmpp, int *lockp)
{
	char *tmp = path_join(reg, ".new-XXXXXX");
	char *lock, *info;
	int fd, r;

	if (!mkdtemp(tmp)) {
		r = -errno;
		free(tmp);
		return r;
	}
	lock = path_join(tmp, "lock");
	fd = open(lock, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY, 0600);
	free(lock);
	if (fd < 0) {
		r = -errno;
		rm_rf(tmp);
		free(tmp);
		return r;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		r = -errno;
		goto fail;
	}
	info = path_join(tmp, "info");
	r = write_info(info, in);
	free(info);
	if (r)
		goto fail;
	*tmpp = tmp;
	*lockp = fd;
	return 0;
fail:
	close(fd);
	rm_rf(tmp);
	free(tmp);
	return r;
}

/* The owner pid in DIR/info still exists (or cannot be told). */
static bool owner_alive(const char *dir)
{
	struct sbuf text = SBUF_INIT;
	struct instance in;
	char *path = path_join(dir, "info");
	bool alive = true;

	if (read_file(path, &text) == 0 && instance_parse_info(text.buf, &in) == 0) {
		alive = in.pid <= 0 || kill(in.pid, 0) == 0 || errno != ESRCH;
		instance_free(&in);
	}
	sbuf_release(&text);
	free(path);
	return alive;
}

/*
 * Move TMP to REG/NAME.  0 on success; -EEXIST when a live VM has the
 * name; other -errno.
 */
static int claim(const char *reg, const char *tmp, const char *name)
{
	char *dir = path_join(reg, name);
	int r = -EEXIST;

	for (int tries = 0; tries < 10; tries++) {
		r = rename_noreplace(tmp, dir);
		if (r != -EEXIST && r != -ENOTEMPTY)
			break;
		r = probe(reg, name);
		if (r < 0)
			break;
		if (r == 1 && owner_alive(dir)) {
			r = -EEXIST;
			break;
		}
		/*
		 * Stale and removed now; or its lock is held but its owner
		 * is dead: another process is probing or removing it at
		 * this moment.  Either way, try again (shortly).
		 */
		if (r == 1)
			poll(NULL, 0, 10);
		r = -EEXIST;
	}
	free(dir);
	return r;
}

int instance_create(const char *name, struct instance *out)
{
	struct instance in;
	char *reg, *tmp = NULL, *gen = NULL;
	int fd = -1, r;

	if (name && !instance_name_valid(name))
		return -EINVAL;
	r = instance_registry(&reg);
	if (r)
		return r;
	instance_init(&in);
	in.pid = getpid();
	in.started = (long long)time(NULL);
	in.name = name ? xstrdup(name) : NULL;
	r = make_new(reg, &in, &tmp, &fd);
	if (r)
		goto out;
	if (name) {
		r = claim(reg, tmp, name);
	} else {
		r = -EEXIST;
		for (int i = 1; i <= MAX_GENERATED && r == -EEXIST; i++) {
			free(gen);
			gen = xasprintf("k%d", i);
			char *dir = path_join(reg, gen);
			bool taken = path_exists(dir);
			free(dir);
			/* Live names are skipped cheaply; stale ones are reclaimed by claim(). */
			if (taken && probe(reg, gen) == 1)
				continue;
			r = claim(reg, tmp, gen);
		}
		if (r == -EEXIST)
			r = -ENOSPC;
		if (!r) {
			in.name = gen;
			gen = NULL;
			/* The info written in .new- had no name; now it has. */
			char *dir = path_join(reg, in.name);
			in.dir = dir;
			r = instance_save(&in);
			if (r) {
				remove_dir(reg, dir);
			}
		}
	}
	if (r) {
		close(fd);
		rm_rf(tmp);
		goto out;
	}
	if (!in.dir)
		in.dir = path_join(reg, in.name);
	in.lock_fd = fd;
	*out = in;
	instance_init(&in);
out:
	instance_free(&in);
	free(gen);
	free(tmp);
	free(reg);
	return r;
}

void instance_remove(struct instance *in)
{
	char *reg;

	/* Only the owner (who holds the lock) may remove a directory. */
	if (in->lock_fd < 0 || !in->dir)
		return;
	reg = path_dirname(in->dir);
	remove_dir(reg, in->dir);
	free(reg);
	close(in->lock_fd);
	in->lock_fd = -1;
}

/* ---- waiting for a VM to go, and its QEMU process ---- */

static int pidfd_open_(pid_t pid)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0);

	if (fd < 0)
		return -errno;
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

/* Wait for fd to become readable; 1 ready, 0 timeout, -EINTR on a signal. */
static int wait_readable(int fd, long long deadline)
{
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = fd, .events = POLLIN },
			{ .fd = proc_signal_fd(), .events = POLLIN },
		};
		long long left = deadline < 0 ? -1 : deadline - now_ms();
		if (proc_interrupted())
			return -EINTR;
		if (deadline >= 0 && left <= 0)
			return 0;
		int n = poll(p, 2, left > INT_MAX ? INT_MAX : (int)left);
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0 && p[0].revents)
			return 1;
		if (n > 0 && p[1].revents)
			return -EINTR;
	}
}

int instance_wait_pid(pid_t pid, int timeout_ms)
{
	long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	int fd, r;

	if (pid <= 0)
		return -EINVAL;
	fd = pidfd_open_(pid);
	if (fd == -ESRCH)
		return 0;
	if (fd >= 0) {
		r = wait_readable(fd, deadline);
		close(fd);
		return r == 1 ? 0 : r == 0 ? -ETIMEDOUT : r;
	}
	/* No pidfd (old kernel): check every 50 ms. */
	for (;;) {
		if (kill(pid, 0) < 0 && errno == ESRCH)
			return 0;
		if (proc_interrupted())
			return -EINTR;
		if (deadline >= 0 && now_ms() >= deadline)
			return -ETIMEDOUT;
		poll(NULL, 0, 50);
	}
}

int instance_kill_qemu(const struct instance *in, int sig)
{
	struct sbuf cmdline = SBUF_INIT;
	char *path;
	bool ours;
	int fd, r;

	if (in->qemu_pid <= 0)
		return -ESRCH;
	/* Hold a pidfd first: the checks below then concern the process we signal. */
	fd = pidfd_open_(in->qemu_pid);
	if (fd < 0)
		return fd;
	path = xasprintf("/proc/%ld/cmdline", (long)in->qemu_pid);
	r = read_file(path, &cmdline);
	free(path);
	if (r) {
		close(fd);
		return r == -ENOENT ? -ESRCH : r;
	}
	/* QEMU of this VM: argv[0] is qemu-system-*, and its arguments name the instance directory. */
	ours = cmdline.len && str_starts_with(path_basename(cmdline.buf), "qemu-system-");
	for (size_t i = 0; i < cmdline.len; i++)
		if (!cmdline.buf[i])
			cmdline.buf[i] = ' ';
	char *needle = xasprintf("%s/", in->dir);
	ours = ours && strstr(cmdline.buf, needle) != NULL;
	free(needle);
	sbuf_release(&cmdline);
	if (!ours) {
		close(fd);
		return -EPERM;
	}
	r = (int)syscall(SYS_pidfd_send_signal, fd, sig, NULL, 0) < 0 ? -errno : 0;
	close(fd);
	return r;
}

int instance_wait_gone(const char *name, int timeout_ms)
{
	long long deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	char *reg, *dir, *lock;
	int ifd, r;

	if (!instance_name_valid(name))
		return -EINVAL;
	r = instance_registry(&reg);
	if (r)
		return r;
	dir = path_join(reg, name);
	lock = path_join(dir, "lock");
	/*
	 * Wake up when the owner closes its lock (IN_CLOSE_WRITE: it opened
	 * it for writing) or the directory is moved away / deleted; recheck
	 * every 100 ms too, for owners that opened the lock read-only.
	 */
	ifd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (ifd >= 0) {
		inotify_add_watch(ifd, dir, IN_MOVE_SELF | IN_DELETE_SELF);
		inotify_add_watch(ifd, lock, IN_CLOSE_WRITE | IN_DELETE_SELF);
	}
	for (;;) {
		r = probe(reg, name);
		if (r <= 0)
			break;	/* gone (0) or error */
		long long left = deadline < 0 ? 100 : deadline - now_ms();
		if (left <= 0) {
			r = -ETIMEDOUT;
			break;
		}
		r = wait_readable(ifd, now_ms() + (left < 100 ? left : 100));
		if (r < 0)
			break;
		if (r == 1) {
			char buf[4096];
			while (read(ifd, buf, sizeof(buf)) > 0)
				;
		}
	}
	if (ifd >= 0)
		close(ifd);
	free(lock);
	free(dir);
	free(reg);
	return r;
}

/* ---- addresses on a bridge shared by kdebug VMs ---- */

/* The addresses taken on nst's bridge: the host's there, and the other kdebug VMs'. */
static struct in_addr *bridge_taken(const struct instance *in, const struct net_bridge_state *nst,
				    struct in_addr want, bool pick, size_t *nt, struct sbuf *warn)
{
	char *prefix = xasprintf("bridge:%s,", nst->bridge);
	struct instance *list = NULL;
	struct net_addr *addrs = NULL;
	struct net_link br;
	size_t n = 0, na = 0;
	struct in_addr *taken;

	if (instance_list(&list, &n))
		n = 0;
	if (net_link_get(nst->bridge, &br, NULL) || net_addr_list(&addrs, &na, NULL))
		na = 0;
	taken = xcalloc(n + na + 1, sizeof(*taken));
	*nt = 0;
	for (size_t i = 0; i < na; i++)
		if (addrs[i].index == br.index)
			taken[(*nt)++] = addrs[i].addr;
	for (size_t i = 0; i < n; i++) {
		struct in_addr a;
		unsigned p;
		if (!strcmp(list[i].name, in->name) || !list[i].net || !list[i].guest_ip ||
		    !str_starts_with(list[i].net, prefix) || net_parse_cidr(list[i].guest_ip, &a, &p))
			continue;
		taken[(*nt)++] = a;
		if (!pick && a.s_addr == want.s_addr && warn)
			sbuf_addf(warn, "%s%s is also the address of VM %s on %s", warn->len ? "\n" : "",
				  inet_ntoa(a), list[i].name, nst->bridge);
	}
	free(addrs);
	instance_list_free(list, n);
	free(prefix);
	return taken;
}

int instance_claim_bridge_address(struct instance *in, const struct net_bridge_state *nst,
				  const char *guest_ip, bool pick, char **cidr, struct sbuf *warn,
				  struct sbuf *why)
{
	int lock = instance_registry_lock();	/* best effort */
	struct in_addr host, want = { 0 }, *taken;
	unsigned hp, wp;
	size_t nt;
	int r = 0;

	net_parse_cidr(nst->host_cidr, &host, &hp);
	if (!guest_ip)
		guest_ip = NET_DEFAULT_GUEST_IP;
	if (strcmp(guest_ip, "dhcp"))
		net_parse_cidr(guest_ip, &want, &wp);
	taken = bridge_taken(in, nst, want, pick, &nt, warn);
	free(in->guest_ip);
	in->guest_ip = NULL;
	if (pick) {
		struct in_addr a;
		char s[INET_ADDRSTRLEN];
		r = dhcp_pick_address(host, hp, taken, nt, &a);
		if (r) {
			sbuf_addf(why, "no address left to offer by DHCP in %s's subnet on %s; "
				  "stop a VM or use a larger --host-ip prefix", nst->host_cidr, nst->bridge);
			goto out;
		}
		inet_ntop(AF_INET, &a, s, sizeof(s));
		in->guest_ip = xasprintf("%s/%u", s, hp);
	} else if (strcmp(guest_ip, "dhcp")) {
		in->guest_ip = xstrdup(guest_ip);
	}
	free(in->net);
	in->net = xasprintf("bridge:%s,%s", nst->bridge, nst->tap);
	if ((r = instance_save(in)) && warn)
		sbuf_addf(warn, "%scannot write the instance metadata: %s", warn->len ? "\n" : "", strerror(-r));
	r = 0;
	*cidr = in->guest_ip ? xstrdup(in->guest_ip) : NULL;
out:
	free(taken);
	if (lock >= 0)
		close(lock);
	return r;
}

/* ---- stopping a VM ---- */

#define STOP_CONNECT_MS 3000
#define STOP_ACPI_MS 2000	/* power button, then Ctrl-Alt-Del */
#define STOP_TERM_MS 2000
#define STOP_QUIT_MS 5000
#define STOP_KILL_MS 5000
#define STOP_OWNER_MS 5000

/*
 * Wait for QEMU to exit: its monitor connection closes (and its pid goes)
 * -- or the guest powered off (SHUTDOWN event) but QEMU stays (-no-shutdown):
 * then -ETIMEDOUT after a moment, so that the caller quits it.
 */
static int wait_qemu_exit(const struct instance *in, struct qmp *q, int timeout_ms)
{
	int r;

	if (!q || q->fd < 0)
		return in->qemu_pid > 0 ? instance_wait_pid(in->qemu_pid, timeout_ms) : -ETIMEDOUT;
	long long deadline = now_ms() + timeout_ms;
	r = qmp_wait_event(q, "SHUTDOWN", timeout_ms, NULL);
	if (r == 0) {
		long long left = deadline - now_ms();
		int grace = left < 3000 ? (int)(left > 0 ? left : 0) : 3000;
		r = qmp_wait_event(q, "__never__", grace, NULL);
	}
	if (r == -ECONNRESET) {
		qmp_close(q);
		return in->qemu_pid > 0 ? instance_wait_pid(in->qemu_pid, STOP_QUIT_MS) : 0;
	}
	return r;
}

static int send_ctrl_alt_del(struct qmp *q)
{
	json_t *args = json_pack("{s:[{s:s,s:s},{s:s,s:s},{s:s,s:s}]}", "keys",
				 "type", "qcode", "data", "ctrl",
				 "type", "qcode", "data", "alt",
				 "type", "qcode", "data", "delete");
	int r = qmp_command(q, "send-key", args, NULL);

	json_decref(args);
	return r;
}

/*
 * The power button (kdebug's guests power off cleanly on it at any time),
 * then Ctrl-Alt-Del a moment later for guests that do not listen to it.
 */
static int stop_clean(const struct instance *in, struct qmp *q, int total_ms, const char **how)
{
	int acpi = total_ms / 3 < STOP_ACPI_MS ? total_ms / 3 : STOP_ACPI_MS;
	int r = qmp_command(q, "system_powerdown", NULL, NULL);

	if (r == 0 || r == -ECONNRESET)
		r = wait_qemu_exit(in, q, acpi);
	if (r == 0)
		*how = "powered off";
	if (r != -ETIMEDOUT)
		return r;
	r = send_ctrl_alt_del(q);
	if (r == 0 || r == -ECONNRESET)
		r = wait_qemu_exit(in, q, total_ms - acpi);
	if (r == 0)
		*how = "shut down on Ctrl-Alt-Del";
	return r;
}

/* Signals to QEMU itself: SIGTERM first without a monitor (QEMU exits cleanly on it), then SIGKILL. */
static int stop_signal(const struct instance *in, bool have_qmp, const char **how, struct sbuf *why)
{
	int sig = have_qmp ? SIGKILL : SIGTERM;
	bool sent = false;
	int r;

	if (in->qemu_pid <= 0) {
		sbuf_addf(why, "no QEMU pid recorded for '%s' in '%s/info'; cannot stop it", in->name, in->dir);
		return -ESRCH;
	}
	for (;;) {
		r = instance_kill_qemu(in, sig);
		if (r == -ESRCH) {
			r = 0;
			break;
		}
		if (r == -EPERM) {
			sbuf_addf(why, "process %ld recorded as the QEMU of '%s' is not its QEMU; not killing it",
				  (long)in->qemu_pid, in->name);
			return r;
		}
		if (r) {
			sbuf_addf(why, "cannot kill QEMU (pid %ld) of '%s': %s", (long)in->qemu_pid, in->name,
				  strerror(-r));
			return r;
		}
		sent = true;
		r = instance_wait_pid(in->qemu_pid, sig == SIGKILL ? STOP_KILL_MS : STOP_TERM_MS);
		if (r != -ETIMEDOUT || sig == SIGKILL)
			break;
		sig = SIGKILL;
	}
	if (!r)
		*how = !sent ? "QEMU exited" : sig == SIGKILL ? "killed QEMU" : "terminated QEMU";
	else if (r == -ETIMEDOUT)
		sbuf_addf(why, "QEMU (pid %ld) of '%s' is still running", (long)in->qemu_pid, in->name);
	return r;
}

int instance_stop(const struct instance *in, unsigned timeout_s, bool force, const struct say *sy,
		  const char **how, struct sbuf *why)
{
	struct qmp q = { .fd = -1 };
	char *sock = instance_path(in, "qmp.sock");
	int r = qmp_connect(&q, sock, STOP_CONNECT_MS);

	*how = NULL;
	if (r == -EINTR)
		goto out;
	if (r)
		say(sy, SAY_WARN, "cannot use the QEMU monitor of '%s' at '%s': %s; terminating its QEMU process instead",
		    in->name, sock, r == -ETIMEDOUT ? "no answer (another QMP client connected? QEMU stopped?)" : strerror(-r));
	bool have_qmp = r == 0;
	r = -ETIMEDOUT;
	if (have_qmp && !force && timeout_s > 0) {
		r = stop_clean(in, &q, (int)timeout_s * 1000, how);
		if (r == -ETIMEDOUT || r == -EREMOTEIO)
			say(sy, SAY_NOTE, "'%s' did not shut down within %u s on the power button or Ctrl-Alt-Del; quitting QEMU",
			    in->name, timeout_s);
	}
	if (r && r != -EINTR && q.fd >= 0) {
		r = qmp_command(&q, "quit", NULL, NULL);
		if (r == 0 || r == -ECONNRESET)
			r = wait_qemu_exit(in, &q, STOP_QUIT_MS);
		if (r == 0)
			*how = "quit QEMU";
		else if (r != -EINTR)
			say(sy, SAY_NOTE, "QEMU of '%s' did not quit; killing it", in->name);
	}
	if (r && r != -EINTR)
		r = stop_signal(in, have_qmp, how, why);
	if (r)
		goto out;
	/* QEMU is gone; its `kdebug run` now removes the directory. */
	r = instance_wait_gone(in->name, STOP_OWNER_MS);
	if (r == -ETIMEDOUT) {
		say(sy, SAY_WARN, "QEMU of '%s' exited but its owner (pid %ld) still holds '%s'", in->name,
		    (long)in->pid, in->dir);
		r = 0;
	}
out:
	free(sock);
	qmp_close(&q);
	return r;
}

char *instance_gdb_target(const struct instance *in)
{
	/* gdb 13 takes an existing unix socket's path as it is (its "unix::" prefix means TCP here). */
	if (in->gdb_socket)
		return xstrdup(in->gdb_socket);
	return in->gdb_port ? xasprintf("127.0.0.1:%d", in->gdb_port) : NULL;
}

char *instance_gdb_shown(const struct instance *in)
{
	if (in->gdb_socket)
		return xstrdup(in->gdb_socket);
	return in->gdb_port ? xasprintf("127.0.0.1:%d", in->gdb_port) : NULL;
}
