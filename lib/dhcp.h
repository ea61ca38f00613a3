/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A DHCP server for exactly one client: the guest of one `kdebug run --net
 * bridge --guest-ip dhcp`, served from inside that kdebug process.
 *
 * It answers only requests whose client hardware address is that guest's
 * MAC (kdebug gives every VM its own, qemu_mac_from()), so several kdebug
 * VMs on one bridge each serve their own guest and kdebug never answers
 * any other machine on the bridge.  RFC 2131 messages over BOOTP framing
 * (RFC 951), Ethernet only, no relays (giaddr), no option overload:
 *   DHCPDISCOVER             -> DHCPOFFER of the one address
 *   DHCPREQUEST for it       -> DHCPACK
 *   DHCPREQUEST for another  -> DHCPNAK (the client starts over)
 *   DHCPREQUEST naming another server, DECLINE, RELEASE, INFORM -> nothing
 * Replies carry the subnet mask, router and server identifier (the host's
 * address on the bridge), the broadcast address and a long lease; they go
 * to the limited broadcast 255.255.255.255:68 on the bridge (the client
 * has no address yet), or to ciaddr when the client renews.
 *
 * The pure part (parse, decide, build, pick an address) has unit tests in
 * t/unit/test-dhcp.c; dhcp_server_*() is the socket around it.
 */
#ifndef KDEBUG_DHCP_H
#define KDEBUG_DHCP_H

#include <net/if.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68
/* A week: a VM never renews; the lease is only valid while kdebug runs. */
#define DHCP_LEASE_SECONDS (7u * 24 * 3600)
/* BOOTP's minimum message size (RFC 1542); every reply is this long. */
#define DHCP_REPLY_SIZE 300

/* Message types (option 53). */
enum dhcp_type {
	DHCP_NONE = 0,		/* no message / nothing to answer */
	DHCPDISCOVER = 1,
	DHCPOFFER = 2,
	DHCPREQUEST = 3,
	DHCPDECLINE = 4,
	DHCPACK = 5,
	DHCPNAK = 6,
	DHCPRELEASE = 7,
	DHCPINFORM = 8,
};

/* A client's message, parsed.  Addresses in network byte order. */
struct dhcp_msg {
	enum dhcp_type type;		/* option 53 */
	uint32_t xid;			/* as on the wire */
	uint16_t flags;			/* as on the wire (broadcast bit) */
	uint8_t chaddr[6];
	struct in_addr ciaddr, giaddr;
	struct in_addr requested;	/* option 50, 0.0.0.0 when absent */
	struct in_addr server_id;	/* option 54, 0.0.0.0 when absent */
};

/* What the one client gets. */
struct dhcp_lease {
	uint8_t mac[6];			/* the only client served */
	struct in_addr addr;		/* its address */
	unsigned prefix;		/* its subnet (1..30) */
	struct in_addr server;		/* the host on the bridge: server id and router */
	uint32_t seconds;		/* lease time */
};

/* "52:54:00:12:34:56" -> 6 bytes: 0, or -EINVAL (mac untouched). */
int dhcp_parse_mac(const char *s, uint8_t mac[6]);
/*
 * Parse a client message (BOOTREQUEST, Ethernet, DHCP magic cookie, option
 * 53).  0, or -EINVAL for anything else (m untouched).
 */
int dhcp_parse(const void *buf, size_t len, struct dhcp_msg *m);
/* The answer to m: DHCPOFFER, DHCPACK, DHCPNAK, or DHCP_NONE (stay silent). */
enum dhcp_type dhcp_decide(const struct dhcp_lease *l, const struct dhcp_msg *m);
/*
 * Build the reply of type t (DHCPOFFER, DHCPACK or DHCPNAK) to m in buf
 * (size at least DHCP_REPLY_SIZE) and say where it goes (*dest: the limited
 * broadcast, or the client's ciaddr when it renews).  Returns its length,
 * 0 when buf is too small or t is not a reply (*dest untouched).
 */
size_t dhcp_build_reply(const struct dhcp_lease *l, const struct dhcp_msg *m, enum dhcp_type t,
			uint8_t *buf, size_t size, struct in_addr *dest);
/*
 * The address to offer: the lowest host address of host's subnet/prefix
 * that is neither host nor one of taken[0..n).  0, -EINVAL (prefix not
 * 1..30), -ENOSPC (all taken); *out set only on success.
 */
int dhcp_pick_address(struct in_addr host, unsigned prefix, const struct in_addr *taken,
		      size_t n, struct in_addr *out);
/* Name of a message type ("DHCPOFFER"), for messages. */
const char *dhcp_type_name(enum dhcp_type t);

/* ---- The socket ---- */

struct dhcp_server {
	int fd;				/* -1 when closed; poll it for POLLIN */
	char ifname[IFNAMSIZ];
	struct dhcp_lease lease;
	unsigned offers, acks, naks;	/* replies sent */
};

/*
 * Listen on UDP port 67 of interface ifname only (SO_BINDTODEVICE), with
 * SO_REUSEADDR so that every kdebug on the bridge receives the broadcasts,
 * and SO_BROADCAST for the replies.  Non-blocking, close-on-exec.  0, or
 * -errno with *why (-EACCES: no CAP_NET_BIND_SERVICE; -EADDRINUSE: another
 * DHCP server holds the port).
 */
int dhcp_server_open(struct dhcp_server *s, const char *ifname, const struct dhcp_lease *l,
		     struct sbuf *why);
/*
 * Answer every queued request (call when fd is readable).  Returns the type
 * of the last reply sent (DHCP_NONE when nothing was ours), or -errno when
 * a reply could not be sent.
 */
int dhcp_server_serve(struct dhcp_server *s);
void dhcp_server_close(struct dhcp_server *s);
void dhcp_server_init(struct dhcp_server *s);

#endif
