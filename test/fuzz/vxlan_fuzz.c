/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the VXLAN header codec (hub/vxlan_codec.c) and the
 * forwarding database (hub/vxlan_fdb.c), as the vxlan port drives them
 * with datagrams from the underlay.
 *
 * The input is a sequence of records: a 1-byte length (0..255), a byte
 * that picks the sender (one of 8 remotes) and how far the clock moves,
 * then that many bytes as one datagram. Each datagram is decoded against
 * VNI 42 and a small frame limit; a frame handed out must lie inside the
 * datagram and within the limit (ASan checks every byte of it), and its
 * source MAC is learned against the sender. Every frame's destination is
 * looked up, and the table must keep its bounds: never more entries than
 * UNET__VXLAN_FDB_MAX, and every lookup answers one of the 8 remotes.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vxlan_codec.h"
#include "vxlan_fdb.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_VNI 42
#define FUZZ_FRAME_MAX 200
#define FUZZ_REMOTES 8

static struct unet__vxlan_fdb fdb;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	union unet__vxlan_addr remotes[FUZZ_REMOTES];
	const union unet__vxlan_addr *to;
	const struct wire_eth *eth;
	const uint8_t *frame;
	size_t off = 0, n, frame_len, i;
	uint64_t now = 0;
	uint8_t *dgram;
	unsigned int r;

	memset(remotes, 0, sizeof(remotes));
	for (r = 0; r < FUZZ_REMOTES; r++) {
		remotes[r].in.sin_family = AF_INET;
		remotes[r].in.sin_addr.s_addr = htonl(0xc6120000u + r);
		remotes[r].in.sin_port = htons(4789);
	}
	unet__vxlan_fdb_init(&fdb, 300ull * 1000000000u, size);
	while (off + 2 <= size) {
		n = data[off];
		r = data[off + 1] % FUZZ_REMOTES;
		now += (uint64_t)(data[off + 1] >> 3) * 20000000000ull;
		off += 2;
		if (n > size - off)
			n = size - off;
		/* A copy of exactly the datagram, so ASan sees reads past it. */
		dgram = malloc(n ? n : 1);
		if (dgram == NULL)
			return 0;
		memcpy(dgram, data + off, n);
		off += n;
		if (unet__vxlan_decap(dgram, n, FUZZ_VNI, FUZZ_FRAME_MAX,
				      &frame, &frame_len) ==
		    UNET__VXLAN_DECAP_OK) {
			assert(frame >= dgram + sizeof(struct vxlan_hdr));
			assert(frame + frame_len == dgram + n);
			assert(frame_len >= sizeof(*eth));
			assert(frame_len <= FUZZ_FRAME_MAX);
			eth = (const struct wire_eth *)frame;
			unet__vxlan_fdb_learn(&fdb, eth->src, &remotes[r], now);
			to = unet__vxlan_fdb_lookup(&fdb, eth->dst, now);
			if (to != NULL) {
				for (i = 0; i < FUZZ_REMOTES; i++)
					if (unet__vxlan_addr_equal(to, &remotes[i]))
						break;
				assert(i < FUZZ_REMOTES);
			}
		}
		free(dgram);
		assert(fdb.count <= UNET__VXLAN_FDB_MAX);
	}
	unet__vxlan_fdb_expire(&fdb, now + 300ull * 1000000000u);
	assert(fdb.count == 0);
	return 0;
}
