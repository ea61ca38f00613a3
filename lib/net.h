/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Host networking for the tutorial's bridge mode: bridges, taps, addresses.
 * Everything goes through rtnetlink (libmnl) with extended ACKs: the
 * kernel's own error message comes back in `why`.  The only ioctl is
 * TUNSETIFF.  Functions return 0 or -errno and never print.
 *
 * Ownership markers (so that kdebug removes only what it made):
 *   - a bridge made by `kdebug net up` has the alias "kdebug" (persistent);
 *   - a bridge made by `kdebug run --net bridge` has the alias "kdebug-run"
 *     (temporary: the last VM to leave it deletes it);
 *   - a host address added by `kdebug run` has IFA_PROTO NET_ADDR_PROTO_RUN
 *     (temporary: removed when the last tap leaves the bridge);
 *   - taps are not persistent: they vanish when the last fd (QEMU's) closes.
 */
#ifndef KDEBUG_NET_H
#define KDEBUG_NET_H

#include <net/if.h>
#include <netinet/in.h>
#include <stdbool.h>

#include "util.h"

#define NET_DEFAULT_BRIDGE "kdbr0"
#define NET_DEFAULT_HOST_IP "192.168.0.1/24"
#define NET_DEFAULT_GUEST_IP "192.168.0.2/24"
#define NET_TAP_PATTERN "kdtap%d"	/* kernel picks the number */
#define NET_ALIAS_PERSISTENT "kdebug"
#define NET_ALIAS_TEMPORARY "kdebug-run"

/* ---- Pure validation (no privileges, no I/O) ---- */

/* "192.168.0.2/24": 0, or -EINVAL (bad address, missing/bad prefix 0..32). */
int net_parse_cidr(const char *s, struct in_addr *addr, unsigned *prefix);
/* Interface name: 1..15 chars (IFNAMSIZ-1), no '/', ':', whitespace, not "." or "..". */
int net_check_ifname(const char *name, struct sbuf *why);
/* Prefix -> netmask (network byte order). */
struct in_addr net_prefix_mask(unsigned prefix);
bool net_same_subnet(struct in_addr a, struct in_addr b, unsigned prefix);
/*
 * Host and guest addresses for bridge mode: both valid CIDRs (guest may be
 * "dhcp"), same subnet and prefix, different, neither the network nor the
 * broadcast address.  0 or -EINVAL with *why.
 */
int net_check_addresses(const char *host_cidr, const char *guest_cidr, struct sbuf *why);
/*
 * Kernel parameter configuring the guest's eth0 (nfsroot.rst's
 * ip=<client>:<server>:<gw>:<netmask>:<hostname>:<device>:<autoconf>):
 * "ip=192.168.0.2::192.168.0.1:255.255.255.0::eth0:off", or "ip=dhcp" for
 * guest "dhcp".  dev NULL means eth0.  *out is malloc'd.  0 or -EINVAL.
 */
int net_guest_ip_param(const char *guest_cidr, const char *host_cidr, const char *dev,
		       char **out, struct sbuf *why);

/* ---- rtnetlink ---- */

/* Does the calling process have CAP_NET_ADMIN (effective)? */
bool net_have_cap_net_admin(void);

struct net_link {
	char name[IFNAMSIZ];
	int index;
	int master;		/* ifindex of the master (bridge), 0 if none */
	unsigned flags;		/* IFF_UP, ... */
	char kind[16];		/* "bridge", "tun", "" ... */
	char alias[64];
};

/* Look up one interface by name: 0, -ENODEV when absent, -errno. */
int net_link_get(const char *name, struct net_link *out, struct sbuf *why);
bool net_link_exists(const char *name);
/* All interfaces (*out malloc'd). */
int net_link_list(struct net_link **out, size_t *n, struct sbuf *why);
int net_link_up(const char *ifname, struct sbuf *why);
/* bridge NULL releases the interface from its master. */
int net_link_set_master(const char *ifname, const char *bridge, struct sbuf *why);
int net_link_set_alias(const char *ifname, const char *alias, struct sbuf *why);
int net_link_delete(const char *ifname, struct sbuf *why);

/* Create a bridge; an existing bridge of that name gives 0 with *created
 * false; an existing non-bridge gives -EEXIST. */
int net_bridge_create(const char *name, bool *created, struct sbuf *why);
int net_bridge_delete(const char *name, struct sbuf *why);
/* Ports of a bridge (names, malloc'd strvec entries). */
int net_bridge_ports(const char *bridge, struct strvec *ports, struct sbuf *why);

/* IFA_PROTO of the host addresses kdebug run adds (Linux >= 6.3 keeps it). */
#define NET_ADDR_PROTO_RUN 0x6b

struct net_addr {
	int index;		/* interface */
	struct in_addr addr;
	unsigned prefix;
	unsigned proto;		/* IFA_PROTO, 0 when unset or unsupported */
};
int net_addr_list(struct net_addr **out, size_t *n, struct sbuf *why);
int net_addr_add(const char *ifname, const char *cidr, struct sbuf *why);
int net_addr_del(const char *ifname, const char *cidr, struct sbuf *why);
/* 1 when ifname has exactly that address/prefix, 0 when not, -errno. */
int net_addr_present(const char *ifname, const char *cidr, struct sbuf *why);

/*
 * Open a new tap (IFF_TAP|IFF_NO_PI, exclusive, not persistent): it exists
 * as long as a descriptor is open.  name NULL lets the kernel pick
 * "kdtap<N>".  *fd is O_CLOEXEC; ifname_out (IFNAMSIZ) gets the name.
 * A name that is taken: -EEXIST with *why.
 */
int net_tap_open(const char *name, int *fd, char *ifname_out, struct sbuf *why);

/* ---- The bridge session of `kdebug run --net bridge` ---- */

struct net_bridge_opts {
	const char *bridge;	/* NULL: NET_DEFAULT_BRIDGE */
	const char *host_cidr;	/* NULL: NET_DEFAULT_HOST_IP */
	const char *guest_cidr;	/* NULL: NET_DEFAULT_GUEST_IP; "dhcp" allowed */
	const char *tap;	/* NULL: kernel-chosen kdtap<N> */
	const char *uplink;	/* host interface to enslave too, or NULL */
	bool persistent;	/* mark a created bridge "kdebug" (net up), not "kdebug-run" */
	bool no_tap;		/* net up: bridge and address only */
};

struct net_bridge_state {
	char bridge[IFNAMSIZ];
	char tap[IFNAMSIZ];
	char uplink[IFNAMSIZ];
	char host_cidr[32];
	int tap_fd;		/* -1 once closed */
	bool created_bridge, added_addr, enslaved_uplink;
	bool active;		/* setup succeeded, teardown not yet run */
};

/*
 * Validate opts without touching anything: names, addresses, subnets,
 * CAP_NET_ADMIN.  Call it in run's validation step.  0, -EINVAL (bad input,
 * exit 2), -EPERM (no CAP_NET_ADMIN), with *why.
 */
int net_bridge_check(const struct net_bridge_opts *o, struct sbuf *why);
/*
 * Check (as above), then: create the bridge if absent, add the host address
 * if absent (-EADDRINUSE when another interface has it), open the tap,
 * enslave it (and the uplink), bring everything up.  On failure everything
 * made so far is undone and st is inactive.  st->tap_fd is for QEMU
 * (`-netdev tap,id=n0,fd=N` with the fd in proc.keep_fds).
 */
int net_bridge_setup(const struct net_bridge_opts *o, struct net_bridge_state *st,
		     struct sbuf *why);
/*
 * Undo a setup: close the tap fd (the tap vanishes once QEMU's copy is
 * closed too), release the uplink, and when the bridge has no ports left:
 * delete it if it is a temporary kdebug-run bridge, else delete the address
 * if this session added it.  Idempotent; safe from a cleanup_push handler.
 */
void net_bridge_teardown(struct net_bridge_state *st);
void net_bridge_state_init(struct net_bridge_state *st);

/*
 * The reaper of a bridge session, started before anything is made:
 *   kdebug __net-reaper BRIDGE HOST_CIDR TAP FLAGS [UPLINK]
 * (FLAGS: b bridge created, a address added, u uplink enslaved, - none;
 * TAP - when not known yet).  net_bridge_reaper_args() gives the argv of
 * the intent (TAP and FLAGS "-"); once the session is set up,
 * net_bridge_reaper_state() is the line "FLAGS TAP [UPLINK]" that tells it
 * what was made, and net_bridge_state_update() reads that line in the
 * reaper.  Until then its teardown relies on kdebug's markers: a temporary
 * kdebug-run bridge left without ports is deleted, and an address kdebug
 * run added (IFA_PROTO) is removed when no other tap is left.
 * net_bridge_state_from_args() parses the arguments after the command name;
 * net_bridge_reap() waits for the tap to vanish with QEMU (at most 5 s),
 * then runs net_bridge_teardown().
 */
void net_bridge_reaper_args(const struct net_bridge_opts *o, struct strvec *args);
char *net_bridge_reaper_state(const struct net_bridge_state *st);
int net_bridge_state_from_args(int argc, char **argv, struct net_bridge_state *st);
int net_bridge_state_update(struct net_bridge_state *st, const char *line);
void net_bridge_reap(struct net_bridge_state *st);

/* ---- Network namespaces (the private one of --root nfs in user mode) ---- */

/*
 * Open the network namespace at PATH (/proc/PID/ns/net) for setns(); when
 * ino is not 0 it must be that namespace's inode (a reused PID names
 * another one: -ESTALE).  An O_CLOEXEC fd, or -errno.
 */
int net_netns_open(const char *path, unsigned long long ino);
/* The inode that names the namespace behind fd (0 on error). */
unsigned long long net_netns_ino(int ns_fd);
/*
 * A socket(domain, type | SOCK_CLOEXEC) made inside the namespace ns_fd:
 * the thread enters it, makes the socket and comes back (a socket stays in
 * the namespace it was made in).  The fd, or -errno.
 */
int net_netns_socket(int ns_fd, int domain, int type);

#endif
