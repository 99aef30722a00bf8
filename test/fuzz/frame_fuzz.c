// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the replay runner's frame readers (tools/frame.c), which
 * decode frames from the stack and from the pcaps a script compares with
 * (`like`): the one-line summary, every named field and its span, the
 * neighbour solicitation the replayed guest answers.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fields[] = {
		"len", "eth.src", "eth.dst", "ip.src", "ip.dst", "ip.id",
		"ip.ttl", "ip.cksum", "tcp.sport", "tcp.dport", "tcp.seq",
		"tcp.ack", "tcp.win", "tcp.len", "tcp.cksum", "udp.sport",
		"udp.dport", "udp.len", "udp.cksum", "icmp.id", "icmp.seq",
		"icmp.cksum", "dhcp.xid", "dhcp.yiaddr", "dhcp.server",
	};
	char line[256], val[64];
	struct in6_addr from, target;
	uint8_t mac[6];
	size_t i, off, len;

	frame_summary(data, size, line, sizeof(line));
	assert(strlen(line) < sizeof(line));
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		frame_field(data, size, fields[i], val, sizeof(val));
		if (frame_field_span(data, size, fields[i], &off, &len) == 0)
			assert(off + len <= size);
	}
	(void)frame_ns6_target(data, size, mac, &from, &target);
	return 0;
}
