/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target of the DNS message codec (stack/dns_msg.c), called
 * directly, no stack: each input is taken as a guest's query, as an
 * upstream's reply to it, and as a domain search list to encode.
 *
 *   - unet__dns_query_parse(); when the query is taken, its SERVFAIL must
 *     be header + question, and must match the query;
 *   - the input with QR set must match itself as a query, and its
 *     truncated form must be header + question and match too;
 *   - the input, up to its first NUL, is encoded as a search list, and the
 *     encoding is walked back: every label 1..63 bytes, every pointer to
 *     an earlier name's label, every name 255 bytes at most.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire/dns_proto.h"

#include "dns_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_MSG_MAX 4096
#define FUZZ_LIST_MAX 1024
#define FUZZ_SEARCH_CAP 600

/* The length of the name at @off of @buf, pointers followed (backwards). */
static size_t name_len(const uint8_t *buf, size_t len, size_t off)
{
	size_t total = 0, hops = 0;

	for (;;) {
		assert(off < len);
		if ((buf[off] & DNS_LABEL_KIND) == DNS_LABEL_PTR) {
			size_t to;

			assert(off + 1 < len);
			to = (size_t)(buf[off] & 0x3f) << 8 | buf[off + 1];
			assert(to < off);
			assert(++hops < 256);
			off = to;
			continue;
		}
		assert((buf[off] & DNS_LABEL_KIND) == 0);
		total += 1 + (size_t)buf[off];
		assert(total <= DNS_NAME_MAX);
		if (buf[off] == 0)
			return total;
		off += 1 + (size_t)buf[off];
	}
}

static void check_search(const uint8_t *data, size_t size)
{
	char list[FUZZ_LIST_MAX + 1];
	uint8_t out[FUZZ_SEARCH_CAP];
	size_t n = size < FUZZ_LIST_MAX ? size : FUZZ_LIST_MAX, len, off;

	memcpy(list, data, n);
	list[n] = '\0';
	/* Half the room for odd lengths: names left out for want of room. */
	if (unet__dns_search_encode(list, out, sizeof(out) / (1 + (n & 1)),
				    &len, NULL, NULL) < 0)
		return;
	assert(len <= sizeof(out));
	/* Names follow one another; each ends with 0 or a pointer. */
	for (off = 0; off < len;) {
		name_len(out, len, off);
		while ((out[off] & DNS_LABEL_KIND) != DNS_LABEL_PTR &&
		       out[off] != 0)
			off += 1 + (size_t)out[off];
		off += out[off] == 0 ? 1 : DNS_PTR_LEN;
	}
	assert(off == len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[DNS_HLEN + FUZZ_MSG_MAX];
	static uint8_t reply[FUZZ_MSG_MAX];
	struct unet__dns_query_info info;
	size_t n;

	check_search(data, size);
	if (size > FUZZ_MSG_MAX || unet__dns_query_parse(data, size, &info) < 0)
		return 0;
	assert(DNS_HLEN + info.qlen <= size);
	n = unet__dns_build_error(out, data, size, &info, DNS_RCODE_SERVFAIL);
	assert(n == DNS_HLEN + info.qlen);
	assert(unet__dns_reply_matches(out, n, info.id, data, size));

	memcpy(reply, data, size);
	reply[2] |= DNS_FLAG_QR >> 8;
	unet__dns_set_id(reply, (uint16_t)~info.id);
	assert(unet__dns_reply_matches(reply, size, (uint16_t)~info.id, data,
				       size));
	assert(!unet__dns_reply_matches(reply, size, info.id, data, size));
	n = unet__dns_build_truncated(out, reply, size, &info);
	assert(n == DNS_HLEN + info.qlen);
	assert(unet__dns_reply_matches(out, n, info.id, data, size));
	return 0;
}
