// SPDX-License-Identifier: GPL-2.0
/* The accelerator decision, the kernel command line and QEMU's argv. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "qemu.h"
#include "tap.h"

static const char cpu_vmx[] =
	"processor\t: 0\nvendor_id\t: GenuineIntel\n"
	"flags\t\t: fpu vme de pse tsc msr pae mce vmx sse sse2 hypervisor\n\n"
	"processor\t: 1\nflags\t\t: fpu vmx\n";
static const char cpu_svm[] = "processor\t: 0\nflags\t\t: fpu svm lm\n";
/* What these CI machines look like: a hypervisor, no vmx/svm. */
static const char cpu_none[] = "processor\t: 0\nflags\t\t: fpu vme hypervisor lm vmxext svmfoo\n";

static int has(const struct strvec *v, const char *a, const char *b)
{
	for (size_t i = 0; i + 1 < v->n; i++)
		if (!strcmp(v->v[i], a) && (!b || !strcmp(v->v[i + 1], b)))
			return 1;
	return b ? 0 : (v->n && !strcmp(v->v[v->n - 1], a));
}

static void test_accel(void)
{
	static const struct {
		enum accel req;
		const char *cpuinfo;
		int kvm_err;
		int ret;
		enum accel want;
		const char *note;	/* substring, or NULL for no note */
	} cases[] = {
		{ ACCEL_AUTO, cpu_vmx,  0,      0,       ACCEL_KVM, NULL },
		{ ACCEL_AUTO, cpu_svm,  0,      0,       ACCEL_KVM, NULL },
		{ ACCEL_AUTO, cpu_none, 0,      0,       ACCEL_TCG, "does not advertise vmx/svm" },
		{ ACCEL_AUTO, cpu_vmx,  ENOENT, 0,       ACCEL_TCG, "not present" },
		{ ACCEL_AUTO, cpu_vmx,  EACCES, 0,       ACCEL_TCG, "kvm' group" },
		{ ACCEL_AUTO, "",       0,      0,       ACCEL_TCG, "vmx/svm" },
		{ ACCEL_TCG,  cpu_vmx,  0,      0,       ACCEL_TCG, NULL },
		{ ACCEL_TCG,  cpu_none, ENOENT, 0,       ACCEL_TCG, NULL },
		{ ACCEL_KVM,  cpu_vmx,  0,      0,       ACCEL_KVM, NULL },
		{ ACCEL_KVM,  cpu_none, 0,      -ENODEV, ACCEL_AUTO, "use --accel tcg" },
		{ ACCEL_KVM,  cpu_vmx,  ENOENT, -ENODEV, ACCEL_AUTO, "/dev/kvm" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct accel_probe p = { .cpuinfo = cases[i].cpuinfo, .kvm_err = cases[i].kvm_err };
		struct sbuf note = SBUF_INIT;
		enum accel out = ACCEL_AUTO;
		int r = accel_choose(cases[i].req, &p, &out, &note);
		is_int(r, cases[i].ret, "accel case %zu: return", i);
		is_int(out, cases[i].want, "accel case %zu: choice %s", i, accel_name(out));
		if (cases[i].note)
			like(note.buf, cases[i].note, "accel case %zu: note", i);
		else
			ok(note.len == 0, "accel case %zu: no note", i);
		sbuf_release(&note);
	}
	ok(cpuinfo_has_virt(cpu_vmx), "vmx detected");
	ok(!cpuinfo_has_virt(cpu_none), "vmxext/svmfoo are not vmx/svm");
	enum accel a;
	ok(accel_parse("kvm", &a) == 0 && a == ACCEL_KVM, "parse kvm");
	ok(accel_parse("hvf", &a) == -EINVAL, "parse rejects hvf");
}

static void test_cmdline(void)
{
	struct cmdline_opts o = { 0 };
	char *s = kernel_cmdline(&o);
	is_str(s, "console=ttyS0 nokaslr", "default command line");
	free(s);

	o = (struct cmdline_opts){ .root = "/dev/sda", .user = "loglevel=7", .panic_reboot = true };
	s = kernel_cmdline(&o);
	is_str(s, "console=ttyS0 nokaslr root=/dev/sda rw panic=-1 loglevel=7", "ext image root");
	free(s);

	o = (struct cmdline_opts){ .user = "console=ttyS1 root=/dev/vda panic=5 kaslr", .root = "/dev/sda",
				   .panic_reboot = true };
	s = kernel_cmdline(&o);
	is_str(s, "console=ttyS1 root=/dev/vda panic=5 kaslr", "user's choices win");
	free(s);

	o = (struct cmdline_opts){ .exec_nonce = "abc", .quiet = true, .kaslr = true };
	s = kernel_cmdline(&o);
	is_str(s, "console=ttyS0 quiet kdebug.exec=abc", "exec with kaslr kept");
	free(s);

	o = (struct cmdline_opts){ .quiet = true, .show_warnings = true, .user = "panic_on_oops=1" };
	s = kernel_cmdline(&o);
	is_str(s, "console=ttyS0 nokaslr quiet loglevel=5 panic_on_oops=1", "quiet keeps WARN reports visible for the crash watch");
	free(s);

	o = (struct cmdline_opts){ .quiet = true, .show_warnings = true, .user = "loglevel=7" };
	s = kernel_cmdline(&o);
	is_str(s, "console=ttyS0 nokaslr loglevel=7", "the user's loglevel wins");
	free(s);
}

static void test_argv(void)
{
	struct strvec extra = STRVEC_INIT, v = STRVEC_INIT;
	strvec_pushl(&extra, "-device", "foo", NULL);
	struct qemu_opts o = {
		.accel = ACCEL_TCG, .kernel = "/k/bzImage", .initrd = "/r.cpio",
		.append = "console=ttyS0", .gdb_fd = 7, .wait_gdb = true,
		.qmp_fd = 6, .console_log = "/run/k1/console.log",
		.console = CONSOLE_PIPE, .extra = &extra,
	};
	qemu_build_argv(&o, &v);
	is_str(v.v[0], "qemu-system-x86_64", "argv[0]");
	ok(has(&v, "-nodefaults", NULL) || has(&v, "-nodefaults", "-no-user-config"), "-nodefaults");
	ok(has(&v, "-display", "none"), "no display");
	ok(has(&v, "-no-reboot", NULL) || has(&v, "-no-reboot", "-machine"), "-no-reboot");
	ok(has(&v, "-accel", "tcg"), "tcg");
	ok(!has(&v, "-cpu", "host"), "no -cpu host under tcg");
	ok(has(&v, "-chardev", "socket,id=gdb,fd=7,server=on,wait=off") && has(&v, "-gdb", "chardev:gdb"),
	   "gdbstub on kdebug's own loopback socket");
	ok(!has(&v, "-s", NULL), "never -s (all interfaces)");
	ok(has(&v, "-S", NULL) || has(&v, "-S", "-device"), "-S with wait_gdb");
	ok(has(&v, "-chardev", "socket,id=qmp,fd=6,server=on,wait=off") &&
	   has(&v, "-mon", "chardev=qmp,mode=control"), "qmp on kdebug's socket");
	ok(has(&v, "-chardev", "stdio,id=con,signal=off,logfile=/run/k1/console.log"), "pipe console with log");
	ok(!has(&v, "-mon", "chardev=con,mode=readline"), "no HMP monitor on a piped console");
	ok(has(&v, "-initrd", "/r.cpio"), "initrd");
	ok(has(&v, "-m", "512"), "default memory");
	ok(!has(&v, "-smp", NULL), "no -smp for one cpu");
	ok(has(&v, "-device", "foo"), "pass-through args");
	ok(!has(&v, "-drive", NULL), "no disk");
	for (size_t i = 0; i < v.n; i++)
		ok(!strstr(v.v[i], "0.0.0.0") && strcmp(v.v[i], "-net") != 0 && strcmp(v.v[i], "-nic") != 0,
		   "argv[%zu] '%s' opens nothing beyond loopback and adds no NIC", i, v.v[i]);
	strvec_clear(&v);

	o = (struct qemu_opts){ .accel = ACCEL_KVM, .kernel = "k", .disk = "/img/rootfs.img",
				.console = CONSOLE_TERMINAL, .smp = 2, .memory_mb = 1024,
				.gdb_fd = -1, .qmp_fd = -1 };
	qemu_build_argv(&o, &v);
	ok(has(&v, "-accel", "kvm") && has(&v, "-cpu", "host"), "kvm with host cpu");
	ok(has(&v, "-drive", "file=/img/rootfs.img,format=raw,if=ide,index=0,media=disk"), "disk as -hda");
	ok(has(&v, "-chardev", "stdio,id=con,mux=on,signal=off"), "terminal console muxed");
	ok(has(&v, "-mon", "chardev=con,mode=readline"), "monitor on Ctrl-A c");
	ok(has(&v, "-smp", "2") && has(&v, "-m", "1024"), "smp and memory");
	ok(!has(&v, "-gdb", NULL) && !has(&v, "-S", NULL), "no gdbstub unless asked");
	ok(!has(&v, "-chardev", "socket,id=qmp,fd=-1,server=on,wait=off"), "no qmp without a socket");
	strvec_clear(&v);

	/* Paths in option lists: a comma would start another option (file=a,b -> b=...). */
	o = (struct qemu_opts){ .accel = ACCEL_TCG, .kernel = "k", .disk = "/img/a,format=qcow2,b.img",
				.console = CONSOLE_PIPE, .console_log = "/run/x,y/console.log",
				.gdb_fd = -1, .qmp_fd = -1 };
	qemu_build_argv(&o, &v);
	ok(has(&v, "-drive", "file=/img/a,,format=qcow2,,b.img,format=raw,if=ide,index=0,media=disk"),
	   "a comma in the disk path is doubled");
	ok(has(&v, "-chardev", "stdio,id=con,signal=off,logfile=/run/x,,y/console.log"), "... and in the log path");
	strvec_clear(&v);
	struct sbuf val = SBUF_INIT;
	qemu_add_value(&val, ",a,,b,");
	is_str(val.buf, ",,a,,,,b,,", "qemu_add_value doubles every comma");
	sbuf_release(&val);
	strvec_clear(&extra);
}

static void test_bzimage(void)
{
	ok(bzimage_check("/nonexistent") == -ENOENT, "missing kernel: ENOENT");
	ok(bzimage_check("/bin/sh") == -ENOEXEC, "an ELF is not a bzImage");
	char tmpl[] = "/tmp/kdebug-bz-XXXXXX";
	int fd = mkstemp(tmpl);
	unsigned char hdr[0x300] = { 0 };
	hdr[0x1fe] = 0x55; hdr[0x1ff] = 0xaa;
	memcpy(hdr + 0x202, "HdrS", 4);
	ok(fd >= 0 && write(fd, hdr, sizeof(hdr)) == (ssize_t)sizeof(hdr), "write fake header");
	close(fd);
	is_int(bzimage_check(tmpl), 0, "boot header recognised");
	unlink(tmpl);
}

static void test_guestfwd(void)
{
	struct sbuf nd = SBUF_INIT;

	sbuf_adds(&nd, "user,id=n0");
	qemu_add_guestfwd(&nd, "10.0.2.4", 20490, "'/a,b/kdebug' __nfs-relay /proc/1/ns/net 9 20490");
	is_str(sbuf_str(&nd), "user,id=n0,guestfwd=tcp:10.0.2.4:20490-cmd:'/a,,b/kdebug' __nfs-relay /proc/1/ns/net 9 20490",
	       "guestfwd appended, the command's commas doubled for QEMU's option parser");
	qemu_add_guestfwd(&nd, "10.0.2.4", 20491, "x");
	like(sbuf_str(&nd), "20490,guestfwd=tcp:10.0.2.4:20491-cmd:x", "a second one after the first");
	sbuf_release(&nd);
}

int main(void)
{
	test_accel();
	test_guestfwd();
	test_cmdline();
	test_argv();
	test_bzimage();
	return done_testing();
}
