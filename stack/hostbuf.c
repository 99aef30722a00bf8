/* SPDX-License-Identifier: MIT */
/*
 * Host bytes that lwIP sends toward the guest without copying them.
 *
 * Theory of operation: the proxy reads a host socket into a buffer of its
 * own (unet__hostbuf_new()), and when the read was long it cuts the bytes
 * into pieces of at most a segment (unet__hostbuf_cut()): PBUF_REF custom
 * pbufs over the buffer, which lwIP queues as segments with
 * tcp_write_pbuf() (stack/lwip-patches/tcp-write-pbuf.patch) and frees
 * wherever a segment ends: acknowledged, or its pcb purged. The buffer goes
 * when the last piece does. Before, every byte was copied into a segment
 * lwIP allocated (tcp_write() with TCP_WRITE_FLAG_COPY).
 *
 * Such a segment reaches the netif as two pbufs, lwIP's headers and the
 * piece. The hub takes a frame in one piece, so unet__hostbuf_join() puts
 * the headers in the UNET_HOSTBUF_ROOM bytes just before the piece's data
 * for the time of the hub's delivery (a frame is borrowed for that call
 * only) and unet__hostbuf_unjoin() puts back what was there: the buffer's
 * room before the first piece, the end of the piece before it otherwise.
 * That is a copy of the headers, 54 to 114 bytes, where flattening the
 * segment copied all of it. While one frame is joined another is not (a
 * port that fed the hub from inside its send would otherwise see a piece
 * whose end holds another frame's headers): it is flattened instead.
 *
 * The buffer's bytes are charged to the memory budget (stack/budget.c) for
 * as long as it lives; lwIP's heap counts only its headers and segments.
 */
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "hostbuf.h"

/**
 * struct hostbuf_piece - one piece: a custom pbuf over part of the buffer
 * @pc: the pbuf (first: lwIP's free function gets a struct pbuf *)
 * @hb: the buffer it lies in
 */
struct hostbuf_piece {
	struct pbuf_custom pc;
	struct unet__hostbuf *hb;
};

/**
 * struct unet__hostbuf - a buffer of host bytes
 * @cap: the bytes of @data, charged to the budget
 * @refs: pieces lwIP still holds (0 before unet__hostbuf_cut())
 * @pieces: the pieces' pbufs
 * @room: where a piece's headers go before the first piece
 * @data: the host's bytes
 */
struct unet__hostbuf {
	size_t cap;
	unsigned int refs;
	struct hostbuf_piece pieces[UNET_HOSTBUF_PIECES];
	uint8_t room[UNET_HOSTBUF_ROOM];
	uint8_t data[];
};

/* A frame joined now (unet__hostbuf_join()): another is not. */
static bool hostbuf_joined;

/**
 * unet__hostbuf_new() - allocate a buffer
 * @cap: the bytes it holds
 *
 * Return: the buffer, or NULL when out of memory.
 */
struct unet__hostbuf *unet__hostbuf_new(size_t cap)
{
	struct unet__hostbuf *hb = malloc(sizeof(*hb) + cap);

	if (hb == NULL)
		return NULL;
	hb->cap = cap;
	hb->refs = 0;
	unet__budget_charge(cap);
	return hb;
}

/** unet__hostbuf_data() - where the host's bytes go */
uint8_t *unet__hostbuf_data(struct unet__hostbuf *hb)
{
	return hb->data;
}

/** unet__hostbuf_cap() - how many bytes fit */
size_t unet__hostbuf_cap(const struct unet__hostbuf *hb)
{
	return hb->cap;
}

/**
 * unet__hostbuf_free() - free a buffer that was not cut
 * @hb: the buffer, or NULL
 */
void unet__hostbuf_free(struct unet__hostbuf *hb)
{
	if (hb == NULL)
		return;
	unet__budget_release(hb->cap);
	free(hb);
}

/* lwIP frees a piece: the last one frees the buffer. */
static void hostbuf_piece_free(struct pbuf *p)
{
	struct unet__hostbuf *hb = ((struct hostbuf_piece *)p)->hb;

	if (--hb->refs == 0)
		unet__hostbuf_free(hb);
}

/**
 * unet__hostbuf_cut() - cut the bytes read into pieces lwIP can queue
 * @hbp: the buffer; set to NULL when it was cut (its pieces own it now)
 * @len: the bytes read into it, from the start
 * @piece: the most bytes a piece holds (a segment), at least
 *         UNET_HOSTBUF_ROOM and at most 0xffff
 * @out: receives the pieces, in order (UNET_HOSTBUF_PIECES at most)
 *
 * A buffer longer than @len is first made as short (it may move). Each
 * piece is one reference: pbuf_free() it if lwIP does not take it.
 *
 * Return: how many pieces; 0 when @len or @piece is out of range (then the
 * buffer is still the caller's, as it was).
 */
unsigned int unet__hostbuf_cut(struct unet__hostbuf **hbp, size_t len,
			       size_t piece, struct pbuf **out)
{
	struct unet__hostbuf *hb = *hbp, *shorter;
	unsigned int n = 0;
	size_t off, l;

	if (len == 0 || len > hb->cap || piece < UNET_HOSTBUF_ROOM ||
	    piece > 0xffff || (len + piece - 1) / piece > UNET_HOSTBUF_PIECES)
		return 0;
	if (len < hb->cap) {
		/* nothing points into it yet: it may move */
		shorter = realloc(hb, sizeof(*hb) + len);
		if (shorter != NULL) {
			unet__budget_release(shorter->cap - len);
			hb = shorter;
			hb->cap = len;
		}
	}
	*hbp = NULL;
	for (off = 0; off < len; off += l) {
		struct hostbuf_piece *pc = &hb->pieces[n];

		l = len - off < piece ? len - off : piece;
		pc->pc.custom_free_function = hostbuf_piece_free;
		pc->hb = hb;
		out[n++] = pbuf_alloced_custom(PBUF_RAW, (u16_t)l, PBUF_REF,
					       &pc->pc, hb->data + off,
					       (u16_t)l);
	}
	hb->refs = n;
	return n;
}

/**
 * unet__hostbuf_join() - make a segment over a piece one frame, for a while
 * @p: what lwIP hands the netif: its headers, then one piece
 * @save: UNET_HOSTBUF_ROOM bytes for what the headers cover
 * @frame: receives the frame's start (the piece's data is its end)
 *
 * Undo with unet__hostbuf_unjoin() before lwIP runs again.
 *
 * Return: the headers' length; 0 when @p is no such segment, or a frame is
 * joined already (flatten @p instead).
 */
size_t unet__hostbuf_join(struct pbuf *p, uint8_t *save, uint8_t **frame)
{
	struct pbuf *d = p->next;
	uint8_t *f;

	if (hostbuf_joined || d == NULL || d->next != NULL || p->len == 0 ||
	    p->len > UNET_HOSTBUF_ROOM || !(d->flags & PBUF_FLAG_IS_CUSTOM) ||
	    ((struct pbuf_custom *)d)->custom_free_function !=
		    hostbuf_piece_free)
		return 0;
	f = (uint8_t *)d->payload - p->len;
	memcpy(save, f, p->len);
	memcpy(f, p->payload, p->len);
	hostbuf_joined = true;
	*frame = f;
	return p->len;
}

/**
 * unet__hostbuf_unjoin() - put back what unet__hostbuf_join() covered
 * @p: the segment joined
 * @save: what the join saved
 * @hlen: what it returned
 */
void unet__hostbuf_unjoin(struct pbuf *p, const uint8_t *save, size_t hlen)
{
	memcpy((uint8_t *)p->next->payload - hlen, save, hlen);
	hostbuf_joined = false;
}
