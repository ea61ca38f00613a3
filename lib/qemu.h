/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The QEMU command line: accelerator choice, kernel command line and the
 * argv kdebug starts.  Pure functions (no I/O) except accel_probe_host().
 */
#ifndef KDEBUG_QEMU_H
#define KDEBUG_QEMU_H

#include <stdbool.h>

#include "util.h"

enum accel { ACCEL_AUTO, ACCEL_KVM, ACCEL_TCG };

struct accel_probe {
	const char *cpuinfo;	/* text of /proc/cpuinfo */
	int kvm_err;		/* 0 when /dev/kvm opened read-write, else errno */
};

int accel_parse(const char *s, enum accel *out);
const char *accel_name(enum accel a);
/* Read /proc/cpuinfo into buf and try opening /dev/kvm. */
void accel_probe_host(struct accel_probe *p, struct sbuf *buf);
/*
 * Decide the accelerator.  KVM only when /dev/kvm is usable AND the CPU
 * advertises vmx or svm.  0 with *out set; when auto falls back to TCG for
 * a reason worth telling, *note gets one line.  -ENODEV when KVM was asked
 * for explicitly but cannot be used (*note says why).
 */
int accel_choose(enum accel req, const struct accel_probe *p, enum accel *out,
		 struct sbuf *note);
/* Does the "flags" line of cpuinfo list vmx or svm? */
bool cpuinfo_has_virt(const char *cpuinfo);

enum qemu_console {
	CONSOLE_TERMINAL,	/* serial + monitor muxed on the terminal (Ctrl-A) */
	CONSOLE_PIPE,		/* serial on QEMU's stdin/stdout (kdebug reads it) */
};

struct qemu_opts {
	const char *machine;	/* default "pc" */
	enum accel accel;	/* ACCEL_KVM or ACCEL_TCG */
	const char *kernel;
	const char *initrd;	/* may be NULL */
	const char *append;	/* full kernel command line */
	const char *disk;	/* raw image on the first IDE disk (-hda), or NULL */
	unsigned long memory_mb;
	unsigned long smp;
	int gdb_fd;		/* listening socket for the gdbstub, -1: none */
	bool wait_gdb;		/* -S */
	int qmp_fd;		/* listening unix socket for QMP, -1: none */
	const char *console_log;
	enum qemu_console console;
	const struct strvec *net_args;	/* -netdev/-device pairs, may be NULL */
	const struct strvec *extra;	/* --qemu-arg pass-through, may be NULL */
};

/* Append VALUE for a QEMU option list: every ',' doubled, as QEMU requires. */
void qemu_add_value(struct sbuf *sb, const char *value);
/* argv for qemu-system-x86_64 (argv[0] is the binary name). */
void qemu_build_argv(const struct qemu_opts *o, struct strvec *argv);

struct cmdline_opts {
	const char *user;	/* --append, may be NULL */
	const char *root;	/* e.g. "/dev/sda", or NULL for initramfs */
	const char *exec_nonce;	/* kdebug.exec=NONCE, or NULL */
	const char *guest_net;	/* kdebug.net=ADDR/PREFIX[,GW[,DNS]] for kdebug's rcS, or NULL */
	bool quiet;
	bool show_warnings;	/* with quiet: loglevel=5, so that WARN reports reach the console */
	bool panic_reboot;	/* panic=-1 so that -no-reboot ends QEMU */
	bool no_console;	/* --no-console-arg: leave console= to the user */
	bool kaslr;		/* keep KASLR (no nokaslr) */
};
/* Kernel command line: console=ttyS0 nokaslr ... then the user's --append. */
char *kernel_cmdline(const struct cmdline_opts *o);

enum qemu_nic { NIC_E1000, NIC_VIRTIO };
int qemu_nic_parse(const char *s, enum qemu_nic *out);
/*
 * -device for the guest's NIC on netdev ID, without an option ROM (boot
 * time), with MAC when given (VMs sharing a bridge need distinct ones).
 */
void qemu_add_nic(struct strvec *argv, enum qemu_nic nic, const char *netdev_id, const char *mac);
/* A locally administered MAC (52:54:00:xx:xx:xx) derived from SEED; buf >= 18. */
void qemu_mac_from(const char *seed, char *buf);
/*
 * ",guestfwd=tcp:ADDR:PORT-cmd:CMD" appended to a user-mode -netdev value:
 * slirp runs CMD for each guest connection to ADDR:PORT, the connection on
 * its stdin/stdout (and stderr).  CMD's commas are doubled (qemu_add_value).
 */
void qemu_add_guestfwd(struct sbuf *netdev, const char *addr, int port, const char *cmd);
/*
 * User-mode networking (slirp): -netdev user,id=n0 with each forward
 * "HOSTPORT:GUESTPORT" as hostfwd=tcp:127.0.0.1:HOSTPORT-:GUESTPORT (host
 * side on loopback only), and the NIC.
 */
void qemu_add_user_net(struct strvec *argv, enum qemu_nic nic, const struct strvec *forwards,
		       const char *mac);
/* A tap the guest's NIC uses through an inherited descriptor. */
void qemu_add_tap_net(struct strvec *argv, enum qemu_nic nic, int tap_fd, const char *mac);
/* "HOSTPORT:GUESTPORT" -> ports; -EINVAL. */
int forward_parse(const char *s, int *host, int *guest);

/* Is FILE an x86 bzImage ("HdrS" setup header)? 0, -ENOEXEC, or -errno. */
int bzimage_check(const char *path);

#endif
