// SPDX-License-Identifier: GPL-2.0
#include "qemu.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hash.h"

int accel_parse(const char *s, enum accel *out)
{
	if (!strcmp(s, "auto"))
		*out = ACCEL_AUTO;
	else if (!strcmp(s, "kvm"))
		*out = ACCEL_KVM;
	else if (!strcmp(s, "tcg"))
		*out = ACCEL_TCG;
	else
		return -EINVAL;
	return 0;
}

const char *accel_name(enum accel a)
{
	return a == ACCEL_KVM ? "kvm" : a == ACCEL_TCG ? "tcg" : "auto";
}

void accel_probe_host(struct accel_probe *p, struct sbuf *buf)
{
	int fd;

	if (read_file("/proc/cpuinfo", buf) < 0)
		sbuf_reset(buf);
	p->cpuinfo = sbuf_str(buf);
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		p->kvm_err = errno;
	} else {
		p->kvm_err = 0;
		close(fd);
	}
}

bool cpuinfo_has_virt(const char *cpuinfo)
{
	const char *line = cpuinfo;

	while (line && *line) {
		const char *end = strchrnul(line, '\n');
		if (!strncmp(line, "flags", 5)) {
			const char *colon = memchr(line, ':', (size_t)(end - line));
			const char *p = colon ? colon + 1 : end;
			while (p < end) {
				while (p < end && *p == ' ')
					p++;
				const char *w = p;
				while (p < end && *p != ' ')
					p++;
				size_t n = (size_t)(p - w);
				if ((n == 3 && !strncmp(w, "vmx", 3)) ||
				    (n == 3 && !strncmp(w, "svm", 3)))
					return true;
			}
			return false;	/* the first CPU's flags decide */
		}
		line = *end ? end + 1 : NULL;
	}
	return false;
}

int accel_choose(enum accel req, const struct accel_probe *p, enum accel *out,
		 struct sbuf *note)
{
	bool virt = cpuinfo_has_virt(p->cpuinfo ? p->cpuinfo : "");

	if (req == ACCEL_TCG) {
		*out = ACCEL_TCG;
		return 0;
	}
	if (p->kvm_err || !virt) {
		if (req == ACCEL_KVM) {
			if (p->kvm_err)
				sbuf_addf(note, "cannot use KVM: /dev/kvm: %s%s",
					  strerror(p->kvm_err),
					  p->kvm_err == EACCES ? " (add yourself to the 'kvm' group)" : "");
			else
				sbuf_addf(note, "cannot use KVM: /dev/kvm is present but this CPU does not advertise vmx/svm; use --accel tcg");
			return -ENODEV;
		}
		if (p->kvm_err == ENOENT)
			sbuf_addf(note, "/dev/kvm is not present; using TCG (slower). Pass --accel tcg to silence this.");
		else if (p->kvm_err)
			sbuf_addf(note, "cannot open /dev/kvm (%s%s); using TCG (slower). Pass --accel tcg to silence this.",
				  strerror(p->kvm_err),
				  p->kvm_err == EACCES ? "; add yourself to the 'kvm' group" : "");
		else
			sbuf_addf(note, "/dev/kvm is present but this CPU does not advertise vmx/svm; using TCG (slower). Pass --accel tcg to silence this.");
		*out = ACCEL_TCG;
		return 0;
	}
	*out = ACCEL_KVM;
	return 0;
}

static bool has_word_prefix(const char *s, const char *prefix)
{
	size_t n = strlen(prefix);

	for (const char *p = s; p && *p;) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, prefix, n))
			return true;
		p = strchr(p, ' ');
	}
	return false;
}

char *kernel_cmdline(const struct cmdline_opts *o)
{
	struct sbuf sb = SBUF_INIT;
	const char *user = o->user ? o->user : "";

#define ADD(...) do { if (sb.len) sbuf_addch(&sb, ' '); sbuf_addf(&sb, __VA_ARGS__); } while (0)
	if (!o->no_console && !has_word_prefix(user, "console="))
		ADD("console=ttyS0");
	if (!o->kaslr && !has_word_prefix(user, "nokaslr") && !has_word_prefix(user, "kaslr"))
		ADD("nokaslr");
	if (o->root && !has_word_prefix(user, "root="))
		ADD("root=%s rw", o->root);
	if (o->quiet && !has_word_prefix(user, "loglevel=") && !has_word_prefix(user, "quiet")) {
		ADD("quiet");
		/*
		 * quiet hides KERN_WARNING and the default level: a WARN's
		 * report, a soft lockup's registers and trace.  Boot prints
		 * next to nothing at those levels.
		 */
		if (o->show_warnings)
			ADD("loglevel=5");
	}
	if (o->panic_reboot && !has_word_prefix(user, "panic="))
		ADD("panic=-1");
	if (o->guest_net && !has_word_prefix(user, "kdebug.net="))
		ADD("kdebug.net=%s", o->guest_net);
	if (o->exec_nonce)
		ADD("kdebug.exec=%s", o->exec_nonce);
	if (*user)
		ADD("%s", user);
#undef ADD
	return sbuf_detach(&sb);
}

void qemu_add_value(struct sbuf *sb, const char *value)
{
	for (const char *p = value; *p; p++) {
		if (*p == ',')
			sbuf_addch(sb, ',');
		sbuf_addch(sb, *p);
	}
}

/* KEY=VALUE for an option list, VALUE escaped, as ",KEY=VALUE" or "KEY=VALUE" first. */
static void add_opt(struct sbuf *sb, const char *key, const char *value)
{
	sbuf_addf(sb, "%s%s=", sb->len ? "," : "", key);
	qemu_add_value(sb, value);
}

void qemu_build_argv(const struct qemu_opts *o, struct strvec *argv)
{
	struct sbuf sb = SBUF_INIT;

	strvec_push(argv, "qemu-system-x86_64");
	/* Lean by default: no default devices, no NIC option ROM, no display. */
	strvec_pushl(argv, "-nodefaults", "-no-user-config", "-display", "none",
		     "-no-reboot", NULL);
	strvec_pushl(argv, "-machine", o->machine ? o->machine : "pc", NULL);
	if (o->accel == ACCEL_KVM)
		strvec_pushl(argv, "-accel", "kvm", "-cpu", "host", NULL);
	else
		strvec_pushl(argv, "-accel", "tcg", NULL);
	strvec_push(argv, "-m");
	strvec_pushf(argv, "%lu", o->memory_mb ? o->memory_mb : 512);
	if (o->smp > 1) {
		strvec_push(argv, "-smp");
		strvec_pushf(argv, "%lu", o->smp);
	}
	strvec_pushl(argv, "-kernel", o->kernel, NULL);
	if (o->initrd)
		strvec_pushl(argv, "-initrd", o->initrd, NULL);
	if (o->append)
		strvec_pushl(argv, "-append", o->append, NULL);
	if (o->disk) {
		/* The tutorial's -hda, spelled out so the format is not probed. */
		add_opt(&sb, "file", o->disk);
		sbuf_adds(&sb, ",format=raw,if=ide,index=0,media=disk");
		strvec_pushl(argv, "-drive", sb.buf, NULL);
		sbuf_reset(&sb);
	}
	sbuf_adds(&sb, o->console == CONSOLE_TERMINAL ? "stdio,id=con,mux=on,signal=off" : "stdio,id=con,signal=off");
	if (o->console_log)
		add_opt(&sb, "logfile", o->console_log);
	strvec_pushl(argv, "-chardev", sb.buf, NULL);
	sbuf_release(&sb);
	strvec_pushl(argv, "-serial", "chardev:con", NULL);
	if (o->console == CONSOLE_TERMINAL)
		strvec_pushl(argv, "-mon", "chardev=con,mode=readline", NULL);
	/* Sockets kdebug already listens on (see sock.h); QEMU inherits them. */
	if (o->qmp_fd >= 0) {
		strvec_push(argv, "-chardev");
		strvec_pushf(argv, "socket,id=qmp,fd=%d,server=on,wait=off", o->qmp_fd);
		strvec_pushl(argv, "-mon", "chardev=qmp,mode=control", NULL);
	}
	if (o->gdb_fd >= 0) {
		/* Bound to 127.0.0.1 by kdebug: QEMU's -s would listen everywhere. */
		strvec_push(argv, "-chardev");
		strvec_pushf(argv, "socket,id=gdb,fd=%d,server=on,wait=off", o->gdb_fd);
		strvec_pushl(argv, "-gdb", "chardev:gdb", NULL);
	}
	if (o->wait_gdb)
		strvec_push(argv, "-S");
	if (o->net_args)
		strvec_pushv(argv, (const char *const *)o->net_args->v);
	if (o->extra)
		strvec_pushv(argv, (const char *const *)o->extra->v);
}

int bzimage_check(const char *path)
{
	unsigned char hdr[0x210];
	ssize_t n = read_file_at(path, hdr, sizeof(hdr), 0);

	if (n < 0)
		return (int)n;
	if (n < (ssize_t)sizeof(hdr))
		return -ENOEXEC;
	/* Boot sector signature 0x55AA at 0x1fe and "HdrS" at 0x202. */
	if (hdr[0x1fe] != 0x55 || hdr[0x1ff] != 0xaa || memcmp(hdr + 0x202, "HdrS", 4))
		return -ENOEXEC;
	return 0;
}

int qemu_nic_parse(const char *s, enum qemu_nic *out)
{
	if (!strcmp(s, "e1000"))
		*out = NIC_E1000;
	else if (!strcmp(s, "virtio-net") || !strcmp(s, "virtio"))
		*out = NIC_VIRTIO;
	else
		return -EINVAL;
	return 0;
}

void qemu_add_nic(struct strvec *argv, enum qemu_nic nic, const char *netdev_id, const char *mac)
{
	strvec_push(argv, "-device");
	strvec_pushf(argv, "%s,netdev=%s,romfile=%s%s", nic == NIC_VIRTIO ? "virtio-net-pci" : "e1000,autonegotiation=off",
		     netdev_id, mac ? ",mac=" : "", mac ? mac : "");
}

void qemu_mac_from(const char *seed, char *buf)
{
	uint32_t h = hash_str32(seed);

	snprintf(buf, 18, "52:54:00:%02x:%02x:%02x", (h >> 16) & 0xff, (h >> 8) & 0xff, h & 0xff);
}

void qemu_add_guestfwd(struct sbuf *netdev, const char *addr, int port, const char *cmd)
{
	sbuf_addf(netdev, ",guestfwd=tcp:%s:%d-cmd:", addr, port);
	qemu_add_value(netdev, cmd);
}

void qemu_add_user_net(struct strvec *argv, enum qemu_nic nic, const struct strvec *forwards,
		       const char *mac)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_adds(&sb, "user,id=n0");
	for (size_t i = 0; forwards && i < forwards->n; i++) {
		int h, g;
		if (forward_parse(forwards->v[i], &h, &g) == 0)
			sbuf_addf(&sb, ",hostfwd=tcp:127.0.0.1:%d-:%d", h, g);
	}
	strvec_pushl(argv, "-netdev", sb.buf, NULL);
	qemu_add_nic(argv, nic, "n0", mac);
	sbuf_release(&sb);
}

void qemu_add_tap_net(struct strvec *argv, enum qemu_nic nic, int tap_fd, const char *mac)
{
	strvec_push(argv, "-netdev");
	strvec_pushf(argv, "tap,id=n0,fd=%d", tap_fd);
	qemu_add_nic(argv, nic, "n0", mac);
}

int forward_parse(const char *s, int *host, int *guest)
{
	const char *colon = strchr(s, ':');
	unsigned long h, g;
	char *hs;
	int r;

	if (!colon)
		return -EINVAL;
	hs = xstrndup(s, (size_t)(colon - s));
	r = parse_uint(hs, 65535, &h);
	free(hs);
	if (r || !h || parse_uint(colon + 1, 65535, &g) || !g)
		return -EINVAL;
	*host = (int)h;
	*guest = (int)g;
	return 0;
}
