// SPDX-License-Identifier: GPL-2.0
/*
 * dhcp_parse() on a datagram from the guest (it arrives on UDP port 67 of
 * the bridge, up to 1500 bytes), then what dhcp_server_serve() does with
 * it: the decision for the guest's MAC and the reply.
 */
#include <arpa/inet.h>

#include "dhcp.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dhcp_lease l = {
		.mac = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 },
		.addr = { htonl(0x0a000202) },
		.prefix = 24,
		.server = { htonl(0x0a000201) },
		.seconds = DHCP_LEASE_SECONDS,
	};
	uint8_t out[DHCP_REPLY_SIZE];
	struct dhcp_msg m;
	struct in_addr dest = { 0 };

	if (size > 1500)
		return -1;	/* recv() into 1500 bytes: never longer */
	/* A copy of exactly size bytes, so that ASan sees any read past it. */
	uint8_t *buf = xmalloc(size ? size : 1);
	memcpy(buf, data, size);
	if (dhcp_parse(buf, size, &m) == 0) {
		fuzz_assert(m.type >= DHCPDISCOVER && m.type <= DHCPINFORM);
		enum dhcp_type t = dhcp_decide(&l, &m);
		fuzz_assert(t == DHCP_NONE || t == DHCPOFFER || t == DHCPACK || t == DHCPNAK);
		(void)dhcp_type_name(m.type);
		if (t != DHCP_NONE)
			fuzz_assert(dhcp_build_reply(&l, &m, t, out, sizeof(out), &dest) ==
				    DHCP_REPLY_SIZE);
	}
	free(buf);
	return 0;
}
