// SPDX-License-Identifier: GPL-2.0
/* The instance registry: info format, names, create/load/list/resolve, stale directories. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "instance.h"
#include "meta.h"
#include "proc.h"
#include "tap.h"
#include "util.h"

static char *reg;	/* $XDG_RUNTIME_DIR/kdebug */

static char *rpath(const char *name)
{
	return path_join(reg, name);
}

static bool exists_in_reg(const char *name)
{
	char *p = rpath(name);
	bool r = path_exists(p);
	free(p);
	return r;
}

/* A directory as a dead owner leaves it: lock file nobody holds, info. */
static void make_stale(const char *name, bool with_lock)
{
	char *d = rpath(name), *f;

	mkdir(d, 0700);
	if (with_lock) {
		f = path_join(d, "lock");
		write_file(f, "", 0, 0600);
		free(f);
	}
	f = path_join(d, "info");
	const char *info = "{\"version\": 1, \"pid\": 999999, \"qemu_pid\": 999998}\n";
	write_file(f, info, strlen(info), 0600);
	free(f);
	free(d);
}

static void test_names(void)
{
	static const char *good[] = { "k1", "a", "A-b_c.d", "0vm", "x.y-z_9",
				      "abcdefghijklmnopqrstuvwxyz012345" };
	static const char *bad[] = { "", ".x", "-x", "_x", "a/b", "a b", "..", "a\nb",
				     "abcdefghijklmnopqrstuvwxyz0123456", "caf\xc3\xa9", "a:b" };

	for (size_t i = 0; i < ARRAY_SIZE(good); i++)
		ok(instance_name_valid(good[i]), "valid name '%s'", good[i]);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ok(!instance_name_valid(bad[i]), "invalid name #%zu", i);
	ok(!instance_name_valid(NULL), "NULL is not a name");
}

static void test_info_format(void)
{
	struct instance a, b;
	const char *odd = "/dir with spaces/=eq\\back\\nnot-newline\nnew\rcr\ttab\x01" "ctl\x7f" "del";
	char *text;

	memset(&a, 0, sizeof(a));
	a.lock_fd = -1;
	a.name = xstrdup("vm.1");
	a.pid = 4242;
	a.qemu_pid = 4343;
	a.gdb_port = 1234;
	a.started = 1700000000LL;
	a.kernel = xstrdup(odd);
	a.vmlinux = xstrdup("/caf\xc3\xa9/vmlinux");
	a.build_dir = xstrdup("");
	a.accel = xstrdup("tcg");
	a.guest_ip = xstrdup("192.168.0.3/24");
	text = instance_format_info(&a);

	ok(text != NULL, "format the info");
	json_t *f = NULL;
	is_int(meta_parse(text, &f), 0, "the info is a meta object");
	is_int(json_integer_value(json_object_get(f, "version")), META_VERSION, "... with its version");
	is_str(json_string_value(json_object_get(f, "kernel")), odd, "... and the odd characters as they are");
	ok(json_is_null(json_object_get(f, "rootfs")), "unset strings are null");
	json_decref(f);

	is_int(instance_parse_info(text, &b), 0, "parse the formatted info");
	is_str(b.name, "vm.1", "name round trip");
	is_int(b.pid, 4242, "pid round trip");
	is_int(b.qemu_pid, 4343, "qemu_pid round trip");
	is_int(b.gdb_port, 1234, "gdb_port round trip");
	is_int(b.started, 1700000000LL, "started round trip");
	is_str(b.kernel, odd, "odd characters round trip");
	is_str(b.vmlinux, "/caf\xc3\xa9/vmlinux", "UTF-8 round trip");
	is_str(b.build_dir, "", "empty string round trip");
	is_str(b.accel, "tcg", "accel round trip");
	is_str(b.guest_ip, "192.168.0.3/24", "guest_ip round trip");
	ok(b.rootfs == NULL && b.net == NULL, "unset strings stay NULL");
	is_int(b.lock_fd, -1, "parsed instance holds no lock");
	instance_free(&b);

	json_t *j = instance_to_json(&a);
	is_str(json_string_value(json_object_get(j, "kernel")), odd, "json: kernel");
	is_int(json_integer_value(json_object_get(j, "gdb_port")), 1234, "json: gdb_port");
	is_str(json_string_value(json_object_get(j, "guest_ip")), "192.168.0.3/24", "json: guest_ip");
	ok(json_is_null(json_object_get(j, "rootfs")), "json: unset field is null");
	ok(json_object_get(j, "net") && json_object_get(j, "build_dir"), "json: every field present");
	json_decref(j);

	is_int(instance_parse_info("{\"version\": 2, \"future_field\": \"x\", \"pid\": 7}", &b), 0,
	       "unknown keys are accepted");
	is_int(b.pid, 7, "... and the known key is read");
	instance_free(&b);

	static const char *bad[] = { "pid=7\nqemu_pid=8\n", "{\"pid\": 7}", "[1]", "{\"version\": 1, \"pid\": \"7\"}",
				     "{\"version\": 1, \"pid\": -1}", "{\"version\": 1, \"gdb_port\": 70000}",
				     "{\"version\": 1, \"kernel\": 3}", "{\"version\": 1, \"pid\": 1.5}",
				     "{\"version\": 1, \"pid\": 99999999999999999999}", "{\"version\": 1, \"pid\": 1, \"pid\": 2}" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct instance c;
		memset(&c, 0x5a, sizeof(c));
		int r = instance_parse_info(bad[i], &c);
		ok(r == -EINVAL || r == -ERANGE, "bad info rejected: %.*s", (int)strcspn(bad[i], "\n"), bad[i]);
		ok(c.lock_fd == 0x5a5a5a5a, "... and the output is untouched");
	}
	struct instance u = { .lock_fd = -1, .kernel = "/caf\xe9/bzImage" };
	ok(instance_format_info(&u) == NULL, "a string that is not UTF-8 cannot be saved");
	free(text);
	instance_free(&a);
}

static void test_registry_dir(void)
{
	char *d = instance_registry_dir();
	struct stat st;

	is_str(d, reg, "registry under $XDG_RUNTIME_DIR/kdebug");
	ok(stat(reg, &st) == 0 && (st.st_mode & 0777) == 0700, "created mode 0700");
	free(d);

	chmod(reg, 0777);
	errno = 0;
	d = instance_registry_dir();
	ok(d == NULL && errno == EPERM, "a world-writable registry is refused");
	free(d);
	chmod(reg, 0720);
	d = NULL;
	is_int(instance_registry(&d), -EPERM, "a group-writable registry is refused");
	ok(d == NULL, "... output untouched");
	struct instance in;
	is_int(instance_create("x", &in), -EPERM, "create refuses an unsafe registry");
	chmod(reg, 0700);

	const char *x = getenv("XDG_RUNTIME_DIR");
	char *saved = xstrdup(x);
	char *want = xasprintf("/tmp/kdebug-%u", (unsigned)geteuid());
	unsetenv("XDG_RUNTIME_DIR");
	d = instance_registry_path();
	is_str(d, want, "XDG_RUNTIME_DIR unset: /tmp/kdebug-UID");
	free(d);
	setenv("XDG_RUNTIME_DIR", "/nonexistent/run", 1);
	d = instance_registry_path();
	is_str(d, want, "XDG_RUNTIME_DIR missing: /tmp/kdebug-UID");
	free(d);
	setenv("XDG_RUNTIME_DIR", "relative/run", 1);
	d = instance_registry_path();
	is_str(d, want, "XDG_RUNTIME_DIR relative: /tmp/kdebug-UID");
	free(d);
	setenv("XDG_RUNTIME_DIR", saved, 1);
	free(want);
	free(saved);
}

static void test_create_load(void)
{
	struct instance a, b, c;
	char *p;

	is_int(instance_create("vm1", &a), 0, "create vm1");
	is_str(a.name, "vm1", "name");
	p = rpath("vm1");
	is_str(a.dir, p, "dir");
	free(p);
	ok(a.lock_fd >= 0, "the creator holds the lock");
	is_int(a.pid, getpid(), "pid is ours");
	ok(exists_in_reg("vm1/lock") && exists_in_reg("vm1/info"), "lock and info exist");
	p = instance_path(&a, "qmp.sock");
	like(p, "/vm1/qmp.sock", "instance_path");
	free(p);

	a.qemu_pid = 777;
	a.kernel = xstrdup("/boot/bzImage");
	a.accel = xstrdup("tcg");
	is_int(instance_save(&a), 0, "owner saves the info");

	is_int(instance_load("vm1", &b), 0, "load vm1 (live: lock held)");
	is_int(b.qemu_pid, 777, "loaded qemu_pid");
	is_str(b.kernel, "/boot/bzImage", "loaded kernel");
	is_int(b.lock_fd, -1, "a loader holds no lock");

	/* Any process may update the info: no lock needed. */
	b.gdb_port = 1234;
	is_int(instance_save(&b), 0, "non-owner saves the info");
	instance_free(&b);
	is_int(instance_load("vm1", &c), 0, "load again");
	is_int(c.gdb_port, 1234, "the non-owner's update is there");
	instance_remove(&c);
	ok(exists_in_reg("vm1"), "instance_remove by a non-owner does nothing");
	instance_free(&c);

	is_int(instance_create("vm1", &b), -EEXIST, "a live name cannot be created twice");
	is_int(instance_create("bad/name", &b), -EINVAL, "bad name refused");
	is_int(instance_load("nope", &b), -ENOENT, "load of an unknown name");
	is_int(instance_load("../x", &b), -EINVAL, "load of a bad name");

	instance_remove(&a);
	ok(!exists_in_reg("vm1"), "owner removes the directory");
	is_int(a.lock_fd, -1, "and releases the lock");
	is_int(instance_load("vm1", &b), -ENOENT, "gone after remove");
	instance_free(&a);
}

static void test_generated(void)
{
	struct instance k[3], x;

	is_int(instance_create(NULL, &k[0]), 0, "generated name");
	is_str(k[0].name, "k1", "first is k1");
	is_int(instance_create(NULL, &k[1]), 0, "generated name");
	is_str(k[1].name, "k2", "then k2");
	is_int(instance_load("k2", &x), 0, "k2 loads");
	is_str(x.name, "k2", "info names it k2");
	instance_free(&x);
	instance_remove(&k[0]);
	instance_free(&k[0]);
	is_int(instance_create(NULL, &k[2]), 0, "generated name");
	is_str(k[2].name, "k1", "first free is reused");

	make_stale("k3", true);
	is_int(instance_create(NULL, &k[0]), 0, "generated name over a stale k3");
	is_str(k[0].name, "k3", "stale k3 reclaimed");
	is_int(k[0].pid, getpid(), "with our info");
	for (int i = 0; i < 3; i++) {
		instance_remove(&k[i]);
		instance_free(&k[i]);
	}
}

static void *close_later(void *arg)
{
	poll(NULL, 0, 30);
	close(*(int *)arg);
	return NULL;
}

static void test_stale(void)
{
	struct instance a, b;
	struct instance *list;
	size_t n;

	make_stale("dead", true);
	is_int(instance_load("dead", &a), -ENOENT, "stale (free lock): load says no such VM");
	ok(!exists_in_reg("dead"), "... and removed it");

	make_stale("nolock", false);
	is_int(instance_load("nolock", &a), -ENOENT, "directory without a lock: not a VM");
	ok(!exists_in_reg("nolock"), "... removed");

	/* Somebody else holds the lock: live, whatever the pid says. */
	make_stale("held", true);
	char *lock = rpath("held/lock");
	int fd = open(lock, O_RDONLY | O_CLOEXEC);
	ok(fd >= 0 && flock(fd, LOCK_EX) == 0, "hold a lock from another open file");
	is_int(instance_load("held", &a), 0, "held lock: live");
	is_int(a.pid, 999999, "its info");
	instance_free(&a);
	close(fd);
	free(lock);
	is_int(instance_load("held", &a), -ENOENT, "released lock: stale");

	/* The owner dies: its lock goes with it. */
	is_int(instance_create("owner", &a), 0, "create");
	close(a.lock_fd);
	a.lock_fd = -1;
	is_int(instance_list(&list, &n), 0, "list");
	is_int(n, 0, "the dead owner's VM is not listed");
	instance_list_free(list, n);
	ok(!exists_in_reg("owner"), "... and removed");
	instance_free(&a);

	/*
	 * A stale directory whose lock somebody holds for a moment (a
	 * cleaner at work): its owner pid is dead, so create waits and wins.
	 */
	make_stale("busy", true);
	lock = rpath("busy/lock");
	static int busy_fd;
	busy_fd = open(lock, O_RDONLY | O_CLOEXEC);
	free(lock);
	ok(busy_fd >= 0 && flock(busy_fd, LOCK_EX) == 0, "hold the lock of a dead owner");
	pthread_t t;
	pthread_create(&t, NULL, close_later, &busy_fd);
	is_int(instance_create("busy", &b), 0, "create waits for a cleaner holding a dead VM's lock");
	pthread_join(t, NULL);
	instance_remove(&b);
	instance_free(&b);

	make_stale("again", true);
	is_int(instance_create("again", &b), 0, "create over a stale name");
	ok(b.lock_fd >= 0, "... and own it");
	instance_remove(&b);
	instance_free(&b);

	/* Junk: a remover and a creator that crashed. */
	char *old = rpath(".old-abc123"), *newl = rpath(".new-abc123"), *newf = rpath(".new-fresh1");
	char *f;
	mkdir(old, 0700);
	f = path_join(old, "info");
	write_file(f, "x", 1, 0600);
	free(f);
	mkdir(newl, 0700);
	f = path_join(newl, "lock");
	write_file(f, "", 0, 0600);
	free(f);
	mkdir(newf, 0700);
	struct timespec old_times[2] = { { .tv_sec = time(NULL) - 3600 }, { .tv_sec = time(NULL) - 3600 } };
	utimensat(AT_FDCWD, newl, old_times, 0);
	is_int(instance_list(&list, &n), 0, "list");
	instance_list_free(list, n);
	ok(!path_exists(old), ".old-* swept");
	ok(!path_exists(newl), "old .new-* with a free lock swept");
	ok(path_exists(newf), "fresh .new-* kept (a creator may be at work)");
	rmdir(newf);
	free(old);
	free(newl);
	free(newf);
}

static void test_list_resolve(void)
{
	struct instance v[3], r;
	struct instance *list;
	size_t n;

	is_int(instance_resolve(NULL, &r), -ENOENT, "resolve: none running");
	is_int(instance_create("k10", &v[0]), 0, "create k10");
	is_int(instance_resolve(NULL, &r), 0, "resolve: the only one");
	is_str(r.name, "k10", "... is k10");
	instance_free(&r);
	is_int(instance_create("k2", &v[1]), 0, "create k2");
	is_int(instance_create("a", &v[2]), 0, "create a");
	make_stale("stale", true);
	is_int(instance_resolve(NULL, &r), -E2BIG, "resolve: several");
	is_int(instance_resolve("k2", &r), 0, "resolve by name");
	is_str(r.name, "k2", "... k2");
	instance_free(&r);
	is_int(instance_resolve("zz", &r), -ENOENT, "resolve unknown name");

	is_int(instance_list(&list, &n), 0, "list");
	is_int(n, 3, "three live, the stale one left out");
	if (n == 3) {
		is_str(list[0].name, "a", "sorted: a");
		is_str(list[1].name, "k2", "sorted: k2 (version order)");
		is_str(list[2].name, "k10", "sorted: k10");
	}
	instance_list_free(list, n);
	ok(!exists_in_reg("stale"), "list removed the stale one");
	for (int i = 0; i < 3; i++) {
		instance_remove(&v[i]);
		instance_free(&v[i]);
	}
}

#define THREADS 8
#define PER_THREAD 6

struct worker {
	struct instance in[PER_THREAD];
	int errors;
};

static void *create_many(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < PER_THREAD; i++) {
		int r = instance_create(NULL, &w->in[i]);
		if (r) {
			printf("# create: %s\n", strerror(-r));
			w->errors++;
		}
	}
	return NULL;
}

static void *list_many(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < 20; i++) {
		struct instance *list;
		size_t n;
		int r = instance_list(&list, &n);
		if (r) {
			printf("# list: %s\n", strerror(-r));
			w->errors++;
		} else
			instance_list_free(list, n);
	}
	return NULL;
}

static void test_concurrent(void)
{
	static struct worker w[THREADS], lw[2];
	pthread_t t[THREADS + 2];
	int errors = 0, dup = 0;

	/* Stale directories in the way, cleaned up by racing listers and creators. */
	for (int i = 1; i <= 12; i += 2) {
		char name[8];
		snprintf(name, sizeof(name), "k%d", i);
		make_stale(name, true);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, create_many, &w[i]);
	for (int i = 0; i < 2; i++)
		pthread_create(&t[THREADS + i], NULL, list_many, &lw[i]);
	for (int i = 0; i < THREADS + 2; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < THREADS; i++)
		errors += w[i].errors;
	errors += lw[0].errors + lw[1].errors;
	is_int(errors, 0, "%d threads creating, 2 listing: no errors", THREADS);

	/* Each name once, and they are k1..kN: first free, no gaps. */
	int total = THREADS * PER_THREAD;
	char *seen = xcalloc((size_t)total + 1, 1);
	for (int i = 0; i < THREADS; i++)
		for (int j = 0; j < PER_THREAD; j++) {
			const char *nm = w[i].in[j].name;
			unsigned long k;
			if (!nm || nm[0] != 'k' || parse_uint(nm + 1, (unsigned long)total, &k) || !k ||
			    seen[k]++)
				dup++;
		}
	is_int(dup, 0, "%d distinct names k1..k%d", total, total);
	free(seen);

	struct instance *list;
	size_t n;
	is_int(instance_list(&list, &n), 0, "list");
	is_int(n, total, "all of them live");
	instance_list_free(list, n);
	for (int i = 0; i < THREADS; i++)
		for (int j = 0; j < PER_THREAD; j++) {
			instance_remove(&w[i].in[j]);
			instance_free(&w[i].in[j]);
		}
	is_int(instance_list(&list, &n), 0, "list");
	is_int(n, 0, "all removed");
	instance_list_free(list, n);
}

static void *release_later(void *arg)
{
	struct instance *in = arg;

	poll(NULL, 0, 150);
	close(in->lock_fd);	/* the owner dies */
	in->lock_fd = -1;
	return NULL;
}

static void test_wait(void)
{
	struct instance a;
	pthread_t t;
	long long t0;

	is_int(instance_create("w", &a), 0, "create w");
	t0 = now_ms();
	is_int(instance_wait_gone("w", 200), -ETIMEDOUT, "wait_gone: live VM times out");
	ok(now_ms() - t0 >= 190, "... after the timeout");
	pthread_create(&t, NULL, release_later, &a);
	t0 = now_ms();
	is_int(instance_wait_gone("w", 5000), 0, "wait_gone: the owner died");
	ok(now_ms() - t0 < 2000, "... noticed promptly (%lld ms)", now_ms() - t0);
	pthread_join(t, NULL);
	ok(!exists_in_reg("w"), "... and the stale directory is gone");
	instance_free(&a);
	is_int(instance_wait_gone("w", 100), 0, "wait_gone on a missing VM");

	/* instance_wait_pid on any process, and instance_kill_qemu's identity check. */
	struct proc p;
	char *dir = rpath("victim");
	/*
	 * A shell blocked in a builtin read (one process, gone with our end
	 * of the pipe), started as qemu-system-fake.
	 */
	char *fakeqemu = rpath("qemu-system-fake");
	ok(symlink("/bin/sh", fakeqemu) == 0, "a shell named qemu-system-fake");
	struct instance fake;
	memset(&fake, 0, sizeof(fake));
	fake.lock_fd = -1;

	/* Not QEMU, though its command line ends in .../qemu-system-x (the old check took that). */
	struct proc np;
	proc_init(&np);
	strvec_pushl(&np.args, "sh", "-c", "read x", NULL);
	strvec_pushf(&np.args, "%s/qemu-system-x", dir);
	np.in = PROC_PIPE;
	is_int(proc_start(&np), 0, "start sh naming DIR/qemu-system-x");
	fake.qemu_pid = np.pid;
	fake.dir = dir;
	is_int(instance_kill_qemu(&fake, SIGKILL), -EPERM, "kill_qemu: refuses a process that is not QEMU");
	ok(proc_running(&np), "... which still runs");
	proc_terminate(&np, 1000);
	proc_clear(&np);

	proc_init(&p);
	strvec_pushl(&p.args, fakeqemu, "-c", "read x", dir, NULL);
	strvec_pushf(&p.args, "%s/qmp.sock", dir);
	p.in = PROC_PIPE;
	is_int(proc_start(&p), 0, "start a qemu-system-* whose command line names DIR/");
	is_int(instance_wait_pid(p.pid, 100), -ETIMEDOUT, "wait_pid: still running");

	fake.qemu_pid = p.pid;
	fake.dir = rpath("other");
	is_int(instance_kill_qemu(&fake, SIGKILL), -EPERM, "kill_qemu: refuses another VM's QEMU");
	ok(proc_running(&p), "... which still runs");
	free(fake.dir);
	fake.dir = dir;
	is_int(instance_kill_qemu(&fake, SIGKILL), 0, "kill_qemu: kills the VM's process");
	is_int(instance_wait_pid(p.pid, 5000), 0, "wait_pid: it exited");
	proc_wait(&p, 5000);
	is_int(instance_kill_qemu(&fake, SIGKILL), -ESRCH, "kill_qemu: gone");
	fake.qemu_pid = 0;
	is_int(instance_kill_qemu(&fake, SIGKILL), -ESRCH, "kill_qemu: no pid recorded");
	is_int(instance_wait_pid(0, 10), -EINVAL, "wait_pid: no pid");
	proc_clear(&p);
	unlink(fakeqemu);
	free(fakeqemu);
	free(dir);
}

/* The registry lock excludes other holders (another open file description). */
static void test_registry_lock(void)
{
	int fd = instance_registry_lock();
	ok(fd >= 0, "registry lock taken");
	char *p = rpath(".lock");
	int other = open(p, O_RDONLY | O_CLOEXEC);
	ok(other >= 0 && flock(other, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK,
	   "held: nobody else gets it");
	close(fd);
	ok(flock(other, LOCK_EX | LOCK_NB) == 0, "closed: free again");
	close(other);
	struct instance *list;
	size_t n;
	ok(instance_list(&list, &n) == 0 && path_exists(p), "the lock file is not an instance");
	for (size_t i = 0; i < n; i++)
		ok(strcmp(list[i].name, ".lock"), "not listed");
	instance_list_free(list, n);
	free(p);
}

int main(void)
{
	char tmpl[] = "/tmp/kdebug-test-instance-XXXXXX";
	char *run = mkdtemp(tmpl);

	if (!run) {
		perror("mkdtemp");
		return 1;
	}
	setenv("XDG_RUNTIME_DIR", run, 1);
	reg = path_join(run, "kdebug");

	test_names();
	test_info_format();
	test_registry_dir();
	test_create_load();
	test_generated();
	test_stale();
	test_list_resolve();
	test_concurrent();
	test_wait();
	test_registry_lock();

	rm_rf(run);
	free(reg);
	return done_testing();
}
