/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What runs inside the guest: the init scripts kdebug puts into every root
 * filesystem it builds, and the protocol `kdebug run --exec` speaks with
 * them over the serial console.
 *
 * Protocol (NONCE comes from the kernel command line, kdebug.exec=NONCE):
 *   guest: prints "KDEBUG-READY-NONCE" once the system is up, console in
 *          -echo mode
 *   host:  sends the command as base64 lines, then a line "."
 *   guest: prints "KDEBUG-START-NONCE", runs the command with sh (stdin
 *          /dev/null), prints "KDEBUG-EXIT-NONCE <status>", syncs and
 *          reboots (kdebug starts QEMU with -no-reboot, so QEMU exits).
 * Without kdebug.exec on the command line, init gives a shell on the console.
 */
#ifndef KDEBUG_GUEST_H
#define KDEBUG_GUEST_H

#include <stdbool.h>
#include <stddef.h>

#include "say.h"

/*
 * The files of scripts/guest/ (embedded by the Makefile, lib/scripts.h):
 * inittab is the tutorial's plus a shell that needs no getty; rcS is the
 * tutorial's (mount -a, sysfs, /dev with mdev -s) with devtmpfs when the
 * kernel has it, loopback up with 127.0.0.1/8 so `ping 127.0.0.1` works,
 * kdebug.net= and kdebug.share=, and the hand-off to the exec agent; the
 * udhcpc script applies a lease and prints it (GUEST_DHCP_MARKER below).
 */
extern const char guest_inittab[];	/* /etc/inittab */
extern const char guest_rcS[];		/* /etc/init.d/rcS (mode 0755) */
extern const char guest_fstab[];	/* /etc/fstab */
extern const char guest_exec_agent[];	/* /etc/kdebug/exec-agent (0755) */
extern const char guest_udhcpc_script[];	/* /etc/kdebug/udhcpc.script (0755) */
extern const char guest_console[];	/* GUEST_CONSOLE (0755) */
extern const char guest_shutdown[];	/* GUEST_SHUTDOWN (0755) */
extern const char guest_acpi_power[];	/* GUEST_ACPI_POWER (0755) */
extern const char guest_passwd[];	/* /etc/passwd */
extern const char guest_group[];	/* /etc/group */
extern const char guest_hostname[];	/* /etc/hostname */
extern const char guest_profile[];	/* /etc/profile */

/* Path of the agent inside the guest. */
#define GUEST_EXEC_AGENT "/etc/kdebug/exec-agent"
/* What init runs on the console: the agent with --exec, else a login shell. */
#define GUEST_CONSOLE "/etc/kdebug/console"
/*
 * The clean end ("poweroff" or "reboot"), at once whatever init is doing:
 * processes get SIGTERM then SIGKILL, file systems are synced and unmounted
 * or remounted read-only.  The power button (acpid runs GUEST_ACPI_POWER),
 * Ctrl-Alt-Del (inittab) and the end of an --exec command use it.
 */
#define GUEST_SHUTDOWN "/etc/kdebug/shutdown"
#define GUEST_ACPI_POWER "/etc/acpi/PWRF/00000080"
/* What GUEST_SHUTDOWN prints on the console first, then "poweroff" or "reboot". */
#define GUEST_SHUTDOWN_MARKER "kdebug: shutting down: "
/*
 * kdebug.net=dhcp: rcS runs BusyBox udhcpc on eth0 in the foreground,
 * bounded (TRIES discovers PAUSE seconds apart, then boot goes on without
 * an address), with this event script.  The script prints
 * GUEST_DHCP_MARKER "eth0 ADDR/PREFIX (DHCP from SERVER)" on the console.
 */
#define GUEST_UDHCPC_SCRIPT "/etc/kdebug/udhcpc.script"
#define GUEST_UDHCPC_TRIES "5"
#define GUEST_UDHCPC_PAUSE "2"
#define GUEST_DHCP_MARKER "kdebug: lease "
/*
 * Marker in the guest's rcS before which --init-cmd lines go: rootfs.c
 * inserts extra commands right before this line (so they run before the
 * exec agent or the shell takes over).
 */
#define GUEST_RCS_HOOK "# kdebug: --init-cmd lines go above this one\n"


/* What the host types into the console after READY: base64 lines + ".". */
char *guest_exec_payload(const char *cmd);
/* A fresh random nonce for kdebug.exec= (hex, malloc'd). */
char *guest_exec_nonce(void);

/* Console scanner for the exec protocol and panics (fed line by line). */
enum guest_event {
	GUEST_LINE,		/* an ordinary console line */
	GUEST_READY,		/* the agent waits for the command */
	GUEST_START,		/* the command starts; following lines are its output */
	GUEST_EXIT,		/* the command ended; status in *status, text before the marker in *pre */
	GUEST_PANIC,		/* "Kernel panic - not syncing" */
};
enum guest_event guest_scan_line(const char *line, const char *nonce, int *status,
				 size_t *pre_len);

/*
 * The serial console as `kdebug run` reads it: lines fed in chunks, the
 * exec protocol's markers, panics, DHCP leases the guest reports, and the
 * last lines kept for error messages.  The command's output (between START
 * and EXIT) goes out as SAY_OUT, every line as SAY_TRACE.
 */
#define GUEST_TAIL_LINES 25
#define GUEST_LINE_MAX 65536	/* a longer line without newline is cut */
enum {
	GUEST_EV_READY = 1,	/* the agent waits for the command */
	GUEST_EV_DONE = 2,	/* the command's status came */
	GUEST_EV_PANIC = 4,
	GUEST_EV_LEASE = 8,	/* lease/lease_from changed */
};
struct guest_console {
	const char *nonce;	/* NULL unless --exec */
	const struct say *say;
	bool ready, started, done, panic;
	bool shutting_down;	/* the guest's clean end began (GUEST_SHUTDOWN_MARKER) */
	int status;
	size_t nlines;
	unsigned events;	/* GUEST_EV_* of the last feed */
	struct sbuf partial;
	char *tail[GUEST_TAIL_LINES];
	size_t tail_next;
	char *lease;		/* ADDR/PREFIX the guest's udhcpc last reported */
	char *lease_from;	/* its DHCP server */
};
void guest_console_init(struct guest_console *c, const char *nonce, const struct say *say);
void guest_console_clear(struct guest_console *c);
/* Feed console output; returns the GUEST_EV_* seen in it. */
unsigned guest_console_feed(struct guest_console *c, const char *buf, size_t n);
/* The last, unterminated line as a line (at the end). */
unsigned guest_console_flush(struct guest_console *c);
/* The kept lines, oldest first. */
void guest_console_tail(const struct guest_console *c, void (*fn)(void *arg, const char *line), void *arg);
/* Does a console log show a kernel panic? */
bool guest_log_has_panic(const char *log);

#endif
