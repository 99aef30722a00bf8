/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of stack/hostbuf.c, host bytes lwIP sends without a copy: a
 * buffer cut into pieces of a segment each (lengths, order, the buffer
 * made as short as the bytes read, the budget charged for exactly those),
 * freed with its last piece in whatever order lwIP frees them; what a cut
 * refuses; a segment of lwIP's headers and a piece joined into one frame
 * and the bytes the headers covered (the end of the piece before) put
 * back byte for byte; a second join while one is under way refused, as is
 * any other chain. tcp_test.c runs them under the proxy and lwIP.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "budget.h"
#include "hostbuf.h"

#define CAP (256 * 1024)

/* A buffer of @cap bytes, each the low byte of its offset's multiple. */
static struct unet__hostbuf *filled(size_t cap)
{
	struct unet__hostbuf *hb = unet__hostbuf_new(cap);
	uint8_t *d;
	size_t i;

	assert_non_null(hb);
	d = unet__hostbuf_data(hb);
	for (i = 0; i < cap; i++)
		d[i] = (uint8_t)(i * 7 + (i >> 8));
	return hb;
}

static uint8_t byte_at(size_t i)
{
	return (uint8_t)(i * 7 + (i >> 8));
}

/*
 * 100000 bytes read into 256 KiB, cut into segments of 32767: four pieces
 * over the bytes in order, the last the rest; the budget counts the bytes
 * read, not the buffer; freeing the pieces out of order frees it with the
 * last one.
 */
static void test_cut(void **state)
{
	size_t base = unet__budget.proxy, off = 0;
	struct unet__hostbuf *hb = filled(CAP);
	struct pbuf *p[UNET_HOSTBUF_PIECES];
	unsigned int n, i;

	(void)state;
	assert_int_equal(unet__budget.proxy, base + CAP);
	assert_int_equal(unet__hostbuf_cap(hb), CAP);
	n = unet__hostbuf_cut(&hb, 100000, 32767, p);
	assert_int_equal(n, 4);
	assert_null(hb);
	assert_int_equal(unet__budget.proxy, base + 100000);
	for (i = 0; i < n; i++) {
		assert_int_equal(p[i]->len, i < 3 ? 32767 : 100000 - 3 * 32767);
		assert_int_equal(p[i]->tot_len, p[i]->len);
		assert_null(p[i]->next);
		if (i > 0)
			assert_ptr_equal(p[i]->payload,
					 (uint8_t *)p[i - 1]->payload +
						 p[i - 1]->len);
		assert_int_equal(((uint8_t *)p[i]->payload)[0], byte_at(off));
		assert_int_equal(((uint8_t *)p[i]->payload)[p[i]->len - 1],
				 byte_at(off + p[i]->len - 1));
		off += p[i]->len;
	}
	pbuf_free(p[2]);
	pbuf_free(p[0]);
	pbuf_free(p[3]);
	assert_int_equal(unet__budget.proxy, base + 100000);
	pbuf_free(p[1]);
	assert_int_equal(unet__budget.proxy, base);
}

/* Out of range: the buffer stays the caller's, as it was. */
static void test_cut_refused(void **state)
{
	size_t base = unet__budget.proxy;
	struct unet__hostbuf *hb = filled(CAP), *was = hb;
	struct pbuf *p[UNET_HOSTBUF_PIECES];

	(void)state;
	assert_int_equal(unet__hostbuf_cut(&hb, 0, 32767, p), 0);
	assert_int_equal(unet__hostbuf_cut(&hb, CAP + 1, 32767, p), 0);
	assert_int_equal(unet__hostbuf_cut(&hb, CAP, UNET_HOSTBUF_ROOM - 1, p),
			 0);
	assert_int_equal(unet__hostbuf_cut(&hb, CAP, 0x10000, p), 0);
	/* 256 KiB in pieces of 8 KiB: 32, more than a buffer has */
	assert_int_equal(unet__hostbuf_cut(&hb, CAP, 8192, p), 0);
	assert_ptr_equal(hb, was);
	assert_int_equal(unet__hostbuf_cap(hb), CAP);
	unet__hostbuf_free(hb);
	assert_int_equal(unet__budget.proxy, base);
}

/*
 * lwIP's headers (a pbuf of their own) before a piece: joined into one
 * frame that ends with the piece's bytes, and what the headers covered
 * put back after, for the first piece (the buffer's room) and for a later
 * one (the end of the piece before). A second join meanwhile is refused,
 * and so is a chain of anything else.
 */
static void test_join(void **state)
{
	struct unet__hostbuf *hb = filled(CAP);
	struct pbuf *p[UNET_HOSTBUF_PIECES], *hdr, *other;
	uint8_t save[UNET_HOSTBUF_ROOM], save2[UNET_HOSTBUF_ROOM], *frame,
		*frame2, tail[UNET_HOSTBUF_ROOM];
	unsigned int n, i, k;
	size_t hlen, hlen2;

	(void)state;
	n = unet__hostbuf_cut(&hb, 3 * 40000, 40000, p);
	assert_int_equal(n, 3);
	for (k = 0; k < 2; k++) {
		struct pbuf *piece = p[k == 0 ? 0 : 2];

		hdr = pbuf_alloc(PBUF_RAW, 114, PBUF_RAM);
		assert_non_null(hdr);
		for (i = 0; i < 114; i++)
			((uint8_t *)hdr->payload)[i] = (uint8_t)(0xa0 + i);
		memcpy(tail, (uint8_t *)piece->payload - 114, 114);
		pbuf_ref(piece);
		pbuf_cat(hdr, piece);
		hlen = unet__hostbuf_join(hdr, save, &frame);
		assert_int_equal(hlen, 114);
		assert_ptr_equal(frame + 114, piece->payload);
		for (i = 0; i < 114; i++)
			assert_int_equal(frame[i], (uint8_t)(0xa0 + i));
		/* one at a time */
		assert_int_equal(unet__hostbuf_join(hdr, save2, &frame2), 0);
		unet__hostbuf_unjoin(hdr, save, hlen);
		assert_memory_equal((uint8_t *)piece->payload - 114, tail, 114);
		if (k == 1)
			assert_int_equal(((uint8_t *)p[1]->payload)[39999],
					 byte_at(79999));
		/* joined again once the first is undone */
		hlen2 = unet__hostbuf_join(hdr, save2, &frame2);
		assert_int_equal(hlen2, 114);
		unet__hostbuf_unjoin(hdr, save2, hlen2);
		pbuf_free(hdr);
	}
	/* headers longer than the room, a piece alone, another pbuf */
	hdr = pbuf_alloc(PBUF_RAW, UNET_HOSTBUF_ROOM + 1, PBUF_RAM);
	pbuf_ref(p[1]);
	pbuf_cat(hdr, p[1]);
	assert_int_equal(unet__hostbuf_join(hdr, save, &frame), 0);
	pbuf_free(hdr);
	assert_int_equal(unet__hostbuf_join(p[1], save, &frame), 0);
	hdr = pbuf_alloc(PBUF_RAW, 54, PBUF_RAM);
	other = pbuf_alloc(PBUF_RAW, 1000, PBUF_RAM);
	pbuf_cat(hdr, other);
	assert_int_equal(unet__hostbuf_join(hdr, save, &frame), 0);
	pbuf_free(hdr);
	for (i = 0; i < n; i++)
		pbuf_free(p[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_cut_refused),
		cmocka_unit_test(test_join),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
