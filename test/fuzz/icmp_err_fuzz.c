/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target of the pure part of the proxy's ICMP errors
 * (proxy/icmp_err.c): no socket, no stack. An input is a host report and
 * what it quotes, with the headers a flow kept: byte 0 the family (odd:
 * IPv6) and the flow's protocol (bit 1: echo), bytes 1-4 the origin, type,
 * code and errno, bytes 5-8 the MTU, 9-10 the port, 11 the kept headers'
 * IP header length, 12 their length, then 16 bytes of destination, then
 * the kept headers (up to 96 bytes), then the report's payload. Whatever
 * they hold, the map, the quote and the message stay inside their buffers
 * (the sanitizers watch), the quote within the family's limit, and the
 * message's checksum verifies.
 */
#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "proxy_internal.h"
#include "wire/checksum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t quote[2048], msg[2048];
	union unet_ip_addr src = { 0 }, dst = { 0 };
	struct proxy_sock_err e = { 0 };
	struct proxy_icmp_error m;
	struct proxy_quote q = { 0 };
	size_t qlen, mlen, keep;
	uint32_t sum = 0;
	uint8_t proto;

	if (size < 29)
		return 0;
	e.family = (data[0] & 1) ? AF_INET6 : AF_INET;
	proto = (data[0] & 2) ? (e.family == AF_INET6 ? WIRE_IPPROTO_ICMPV6 :
							WIRE_IPPROTO_ICMP) :
				WIRE_IPPROTO_UDP;
	e.origin = data[1];
	e.type = data[2];
	e.code = data[3];
	e.err = data[4];
	e.info = unet__get_be32(data + 5);
	e.dport = unet__get_be16(data + 9);
	q.hlen = data[11];
	q.len = data[12];
	memcpy(e.dst.v6, data + 13, 16);
	data += 29;
	size -= 29;
	keep = size < sizeof(q.head) ? size : sizeof(q.head);
	memcpy(q.head, data, keep);
	e.payload = data + keep;
	e.payload_len = size - keep;

	if (!unet__icmp_err_map(&e, &m))
		memset(&m, 0, sizeof(m));
	qlen = unet__icmp_err_quote(quote, sizeof(quote), &q, proto, &e,
				    0x4242);
	assert(qlen <= (e.family == AF_INET ? 548u : 1232u));
	assert(qlen == 0 || qlen >= q.len);
	mlen = unet__icmp_err_build(msg, sizeof(msg), e.family, &m, &src, &dst,
				    quote, qlen);
	assert(mlen == WIRE_ICMP_HLEN + qlen);
	if (e.family == AF_INET6)
		sum = unet__csum_ip6_pseudo(src.v6, dst.v6, WIRE_IPPROTO_ICMPV6,
					    mlen);
	assert(unet__csum_finish(unet__csum_add(sum, msg, mlen)) == 0);
	return 0;
}
