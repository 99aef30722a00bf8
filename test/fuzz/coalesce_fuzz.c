/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the gateway merging its TCP segments into GSO frames
 * (stack/coalesce.c).
 *
 * The input is a byte that picks the MTU (576, 1280, 1500 or 9000), then
 * frames, each a 16-bit length (little-endian) and its bytes. Each is
 * offered as stack.c offers lwIP's frames: appended when it continues the
 * merged frame, else the merged frame is taken and the frame offered
 * again. Every merged frame taken must pass the hub's own check of its
 * facts (hub/offload.c), and be cut back into segments within the MTU
 * whose payloads add up to its own (ASan checks every byte read and
 * written). Each frame is also offered, copied, as one segment lwIP built
 * longer than the link (unet__coalesce_tso()), with the same checks on
 * what it makes of it, and to unet__coalesce_csum(), whose facts must
 * pass the hub's check.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <usernet/hub.h>

#include "coalesce.h"
#include "offload_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned int fuzz_mtus[] = { 576, 1280, 1500, 9000 };

static unsigned int fuzz_mtu;
static size_t fuzz_payload;
static size_t fuzz_hdr;

static uint8_t fuzz_merged[UNET_COALESCE_MAX];
static uint8_t fuzz_seg_buf[UNET_COALESCE_MAX];
static uint8_t fuzz_one[UNET_COALESCE_MAX];

static int fuzz_seg(void *opaque, const void *frame, size_t len)
{
	(void)opaque;
	(void)frame;
	if (len > fuzz_mtu + UNET_ETH_HLEN || len < fuzz_hdr)
		abort();
	fuzz_payload += len - fuzz_hdr;
	return 0;
}

/* Checks a GSO frame as the hub would, and cuts it. */
static void fuzz_check(const uint8_t *frame, size_t len,
		       const struct unet_offload *off)
{
	struct unet__offload_pkt pkt;
	int n, r;

	if (len > UNET_COALESCE_MAX)
		abort();
	r = unet__offload_check(frame, len, off, &pkt);
	if (r != 0 || pkt.hdr_len != off->hdr_len)
		abort();
	fuzz_payload = 0;
	fuzz_hdr = pkt.hdr_len;
	n = unet__offload_segment(frame, len, off, &pkt, fuzz_mtu, fuzz_seg_buf,
				  sizeof(fuzz_seg_buf), fuzz_seg, NULL);
	if (n < 2 || fuzz_payload != pkt.end - pkt.hdr_len)
		abort();
}

/* Takes the merged frame and checks it. */
static void fuzz_take(struct unet__coalesce *c)
{
	struct unet_offload off;
	size_t len = unet__coalesce_take(c, &off);

	if (len == 0 || off.gso_type == UNET_GSO_NONE)
		return;
	fuzz_check(c->buf, len, &off);
}

/* Offers copies of @frame to the checksum path and as one long segment. */
static void fuzz_tso(const uint8_t *frame, size_t len)
{
	struct unet__offload_pkt pkt;
	struct unet_offload off;
	size_t n;

	if (len > sizeof(fuzz_one))
		return;
	/* the checksum lwIP left out, left to do: facts the hub takes */
	memcpy(fuzz_one, frame, len);
	unet__coalesce_csum(fuzz_one, len, true, &off);
	if (off.flags != 0 && unet__offload_check(fuzz_one, len, &off, &pkt))
		abort();
	memcpy(fuzz_one, frame, len);
	unet__coalesce_csum(fuzz_one, len, false, &off);
	if (off.flags != 0)
		abort();
	memcpy(fuzz_one, frame, len);
	n = unet__coalesce_tso(fuzz_one, len, fuzz_mtu, &off);
	if (n == 0) {
		if (memcmp(fuzz_one, frame, len) != 0)
			abort(); /* refused, yet changed */
		return;
	}
	if (n > len || off.gso_type == UNET_GSO_NONE)
		abort();
	fuzz_check(fuzz_one, n, &off);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unet__coalesce c = { .buf = fuzz_merged };
	size_t len;

	if (size < 1)
		return 0;
	fuzz_mtu = fuzz_mtus[data[0] % 4];
	data++;
	size--;
	while (size >= 2) {
		len = (size_t)(data[0] | data[1] << 8);
		data += 2;
		size -= 2;
		if (len > size)
			len = size;
		fuzz_tso(data, len);
		if (!unet__coalesce_add(&c, data, len, fuzz_mtu)) {
			fuzz_take(&c);
			(void)unet__coalesce_add(&c, data, len, fuzz_mtu);
		}
		if (c.closed)
			fuzz_take(&c);
		data += len;
		size -= len;
	}
	fuzz_take(&c);
	return 0;
}
