/* SPDX-License-Identifier: MIT */
/*
 * Loss toward the guest, on a virtual clock: how the stack's TCP sender
 * repairs what a guest lost (stack/lwip-patches/tcp-loss-recovery.patch).
 *
 *   host 127.0.0.1 server ---> proxy ---> lwIP ---> hub ---X--> guest (this file)
 *   (writes TOTAL bytes of a        (virtual clock)       loses frames as each
 *    known pattern, then EOF)                             case says, acks the rest
 *
 * The guest is a small TCP receiver written here, as a Linux guest behaves:
 * it acknowledges every segment at once, keeps out-of-order data and
 * reports it in SACK blocks, answers a duplicate with a D-SACK block, and
 * checks every byte against the pattern. Each case loses chosen segments
 * (by their number among the data segments sent, retransmissions counted)
 * and checks that the stream and its FIN arrive whole, what the stack's
 * counters say repaired them, and how much virtual time a repair took: a
 * hole revealed by duplicate ACKs is resent at once (within 10 ms of the
 * third), a lost tail of the stream by the tail probe after 100-150 ms,
 * one that nothing reveals (a lost retransmission, a lost FIN) after the
 * retransmission timer's 200 ms floor and well before a second.
 *
 * Virtual time moves 1 ms per step; host I/O (the server on loopback) runs
 * between steps. ACKs are sent between steps too, never from inside the
 * hub's delivery, as a NIC's interrupt would come after the frame.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <usernet/ports.h>
#include <usernet/proxy.h>
#include <usernet/stack.h>

#include "testnet.h"

#define MS 1000000ull
#define EPOCH_NS (1700000000ull * 1000000000u)
#define GUEST_PORT 40000
#define TOTAL (2u << 20)
#define CHUNK 65536
#define ACKQ_MAX 4096
#define OOO_MAX 64
/* Virtual time a case may take at most. */
#define CASE_LIMIT_MS 20000
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Which frames toward the guest a case loses. */
struct loss_case {
	/* data segments numbered from 0 (retransmissions counted) */
	int first, last;
	/* another data segment to lose, 0 for none */
	int also;
	/* lose this many retransmissions of segment @rexmit_of (0: @first) */
	int lose_rexmit;
	int rexmit_of;
	/* lose the first FIN */
	bool lose_fin;
	/* lose the first transmission of the stream's last bytes */
	uint32_t lose_tail;
	/* the other way: the host sends nothing; the guest sends this many
	 * 1-byte segments above a hole, then fills the hole */
	int ooseq;
};

struct interval {
	uint32_t left, right;
};

struct guest {
	uv_loop_t loop;
	struct unet_hub *hub;
	struct unet_stack *stack;
	struct unet_proxy *proxy;
	struct unet_port *port;
	const struct loss_case *lc;
	/* the host server */
	uv_tcp_t listener;
	uv_tcp_t conn;
	uv_write_t wreq;
	uv_shutdown_t sreq;
	uint8_t chunk[CHUNK];
	size_t written;
	bool accepted;
	uint16_t server_port;
	/* the receiver */
	bool established;
	uint32_t irs;		/* the server's ISN */
	uint32_t rcv_nxt;
	struct interval ooo[OOO_MAX];
	int n_ooo;
	bool fin;
	uint64_t fin_at;
	/* what was lost and repaired */
	int data_segs;
	int lost;
	uint32_t hole;		/* first hole's sequence number */
	int hole_lost;		/* times a segment at @hole was lost */
	bool fin_lost;
	uint64_t fin_lost_at;
	uint64_t rexmit_lost_at;
	uint64_t rexmit_repair_ms;
	uint32_t tail_seen;	/* end of the tail sent so far */
	uint64_t tail_lost_at;
	uint64_t tail_repair_ms;
	int dupacks;		/* in a row, at the same ACK */
	uint64_t third_dupack_at;
	uint64_t max_dupack_repair_ms;
	int repairs;
	/* ACKs waiting to be sent, with their SACK blocks */
	struct {
		uint32_t ack;
		int n;
		struct interval blocks[3];
	} ackq[ACKQ_MAX];
	int n_ackq;
	/* the case is over: the proxy's close resets what is left */
	bool closing;
	/* the other way (@ooseq): the highest ACK the stack sent, and the
	 * bytes the host server read */
	uint32_t acked;
	size_t server_got;
};

static uint8_t pattern(size_t i)
{
	return (uint8_t)(i * 31u + (i >> 11));
}

/* ---- the host server --------------------------------------------------- */

static void server_write(struct guest *g);

static void server_written(uv_write_t *req, int status)
{
	struct guest *g = req->data;

	assert_int_equal(status, 0);
	server_write(g);
}

static void server_shut(uv_shutdown_t *req, int status)
{
	(void)req;
	(void)status;
}

static void server_write(struct guest *g)
{
	size_t n = TOTAL - g->written, i;
	uv_buf_t b;

	if (n == 0) {
		g->sreq.data = g;
		assert_int_equal(uv_shutdown(&g->sreq, (uv_stream_t *)&g->conn,
					     server_shut),
				 0);
		return;
	}
	if (n > CHUNK)
		n = CHUNK;
	for (i = 0; i < n; i++)
		g->chunk[i] = pattern(g->written + i);
	g->written += n;
	b = uv_buf_init((char *)g->chunk, (unsigned int)n);
	g->wreq.data = g;
	assert_int_equal(uv_write(&g->wreq, (uv_stream_t *)&g->conn, &b, 1,
				  server_written),
			 0);
}

static void server_alloc(uv_handle_t *handle, size_t suggested,
			 uv_buf_t *buf)
{
	struct guest *g = handle->data;

	(void)suggested;
	*buf = uv_buf_init((char *)g->chunk, sizeof(g->chunk));
}

static void server_read(uv_stream_t *stream, ssize_t n, const uv_buf_t *buf)
{
	struct guest *g = stream->data;

	(void)buf;
	if (n > 0)
		g->server_got += (size_t)n;
}

static void server_accept(uv_stream_t *listener, int status)
{
	struct guest *g = listener->data;

	assert_int_equal(status, 0);
	assert_false(g->accepted);
	assert_int_equal(uv_tcp_init(&g->loop, &g->conn), 0);
	assert_int_equal(uv_accept(listener, (uv_stream_t *)&g->conn), 0);
	g->accepted = true;
	if (g->lc->ooseq == 0) {
		server_write(g);
		return;
	}
	g->conn.data = g;
	assert_int_equal(uv_read_start((uv_stream_t *)&g->conn, server_alloc,
				       server_read),
			 0);
}

/* ---- the guest's frames ------------------------------------------------ */

static void guest_send_tcp(struct guest *g, uint8_t flags, uint32_t seq,
			   uint32_t ack, const uint8_t *opt, size_t optlen,
			   const uint8_t *data, size_t dlen)
{
	uint8_t frame[128];
	uint32_t src = tn_ip("10.0.2.15"), dst = tn_ip("10.0.2.2");
	size_t thl = 20 + optlen;
	size_t off = tn_ip_header(frame, tn_gw_mac, src, dst, 6,
				  20 + thl + dlen, 7, 0);
	uint8_t *tcp = frame + off;

	assert_true(optlen % 4 == 0 && off + thl + dlen <= sizeof(frame));
	memset(tcp, 0, 20);
	tn_put16(tcp, GUEST_PORT);
	tn_put16(tcp + 2, g->server_port);
	tn_put32(tcp + 4, seq);
	tn_put32(tcp + 8, ack);
	tcp[12] = (uint8_t)((thl / 4) << 4);
	tcp[13] = flags;
	/* 2048 << 7: a 256 KiB window that never changes */
	tn_put16(tcp + 14, 2048);
	if (optlen > 0)
		memcpy(tcp + 20, opt, optlen);
	if (dlen > 0)
		memcpy(tcp + thl, data, dlen);
	tn_put16(tcp + 16, tn_l4_csum(src, dst, 6, tcp, thl + dlen));
	assert_int_equal(unet_cb_port_input(g->port, frame, off + thl + dlen),
			 0);
}

static void guest_syn(struct guest *g)
{
	/* MSS 1460, NOP + window scale 7, SACK permitted + 2 NOPs */
	static const uint8_t opt[] = { 2, 4, 0x05, 0xb4, 1, 3, 3, 7,
				       4, 2, 1, 1 };

	guest_send_tcp(g, 0x02, 1000, 0, opt, sizeof(opt), NULL, 0);
}

/* Queues an ACK of everything received, with SACK blocks: @dsack first
 * when a duplicate came, then the out-of-order data. */
static void guest_queue_ack(struct guest *g, const struct interval *dsack)
{
	int i, n = 0;

	assert_true(g->n_ackq < ACKQ_MAX);
	/* A duplicate ACK (a hole, and no duplicate to report): note when the
	 * third goes; it is sent at the end of this millisecond. */
	if (dsack == NULL && g->n_ooo > 0 && ++g->dupacks == 3)
		g->third_dupack_at = unet_hub_now_ns(g->hub);
	if (dsack != NULL)
		g->ackq[g->n_ackq].blocks[n++] = *dsack;
	for (i = g->n_ooo - 1; i >= 0 && n < 3; i--)
		g->ackq[g->n_ackq].blocks[n++] = g->ooo[i];
	g->ackq[g->n_ackq].ack = g->rcv_nxt;
	g->ackq[g->n_ackq].n = n;
	g->n_ackq++;
}

static void guest_flush_acks(struct guest *g)
{
	int i, j;

	/* Sending may make the stack send (and so queue more ACKs). */
	for (i = 0; i < g->n_ackq; i++) {
		uint8_t opt[28];
		size_t len = 0;

		if (g->ackq[i].n > 0) {
			opt[len++] = 1;
			opt[len++] = 1;
			opt[len++] = 5;
			opt[len++] = (uint8_t)(2 + 8 * g->ackq[i].n);
			for (j = 0; j < g->ackq[i].n; j++) {
				tn_put32(opt + len, g->ackq[i].blocks[j].left);
				tn_put32(opt + len + 4,
					 g->ackq[i].blocks[j].right);
				len += 8;
			}
		}
		guest_send_tcp(g, 0x10, 1001, g->ackq[i].ack, opt, len, NULL, 0);
	}
	g->n_ackq = 0;
}

/* Adds [left, right) to the out-of-order intervals, merging. */
static void guest_ooo_add(struct guest *g, uint32_t left, uint32_t right)
{
	int i;

	for (i = 0; i < g->n_ooo; i++) {
		if (left <= g->ooo[i].right && right >= g->ooo[i].left) {
			if (left < g->ooo[i].left)
				g->ooo[i].left = left;
			if (right > g->ooo[i].right)
				g->ooo[i].right = right;
			return;
		}
	}
	assert_true(g->n_ooo < OOO_MAX);
	g->ooo[g->n_ooo].left = left;
	g->ooo[g->n_ooo].right = right;
	g->n_ooo++;
}

/* Moves rcv_nxt over out-of-order data that now follows on. */
static void guest_ooo_pull(struct guest *g)
{
	bool moved = true;
	int i;

	while (moved) {
		moved = false;
		for (i = 0; i < g->n_ooo; i++) {
			if (g->ooo[i].left > g->rcv_nxt)
				continue;
			if (g->ooo[i].right > g->rcv_nxt)
				g->rcv_nxt = g->ooo[i].right;
			g->ooo[i] = g->ooo[--g->n_ooo];
			moved = true;
			break;
		}
	}
}

static bool guest_lose(struct guest *g, uint32_t seq, size_t len, bool fin)
{
	const struct loss_case *lc = g->lc;
	int n;

	if (fin && len == 0 && lc->lose_fin && !g->fin_lost) {
		g->lost++;
		g->fin_lost = true;
		g->fin_lost_at = unet_hub_now_ns(g->hub);
		return true;
	}
	if (len == 0)
		return false;
	n = g->data_segs++;
	if (lc->lose_tail != 0 &&
	    seq + len - g->irs - 1 > TOTAL - lc->lose_tail &&
	    seq + len > g->tail_seen) {
		g->tail_seen = seq + (uint32_t)len;
		if (g->tail_lost_at == 0)
			g->tail_lost_at = unet_hub_now_ns(g->hub);
		g->lost++;
		return true;
	}
	if (n == (lc->rexmit_of != 0 ? lc->rexmit_of : lc->first))
		g->hole = seq;
	if ((n >= lc->first && n <= lc->last) ||
	    (lc->also != 0 && n == lc->also)) {
		g->lost++;
		return true;
	}
	if (lc->lose_rexmit != 0 && g->hole != 0 && n > lc->last &&
	    n > lc->also && seq == g->hole &&
	    g->hole_lost < lc->lose_rexmit) {
		g->hole_lost++;
		g->lost++;
		if (g->rexmit_lost_at == 0)
			g->rexmit_lost_at = unet_hub_now_ns(g->hub);
		return true;
	}
	return false;
}

static int guest_rx(void *opaque, const void *frame, size_t len)
{
	struct guest *g = opaque;
	const uint8_t *f = frame, *tcp;
	uint32_t seq, off, i;
	size_t ihl, thl, dlen;
	uint64_t now = unet_hub_now_ns(g->hub);
	struct interval dup;
	uint8_t flags;

	if (g->closing || len < 34 || f[12] != 0x08 || f[13] != 0x00 ||
	    f[23] != 6)
		return 0;
	ihl = (size_t)(f[14] & 0x0f) * 4;
	assert_true(len >= 14 + ihl + 20);
	tcp = f + 14 + ihl;
	thl = (size_t)(tcp[12] >> 4) * 4;
	assert_true(tn_get16(f + 16) >= ihl + thl);
	dlen = tn_get16(f + 16) - ihl - thl;
	seq = tn_get32(tcp + 4);
	flags = tcp[13];
	assert_int_equal(flags & 0x04, 0); /* no RST, ever */
	if (flags & 0x02) {
		/* SYN-ACK: complete the handshake */
		g->irs = seq;
		g->rcv_nxt = seq + 1;
		g->established = true;
		guest_queue_ack(g, NULL);
		return 0;
	}
	if (g->established && (flags & 0x10) && tn_get32(tcp + 8) > g->acked)
		g->acked = tn_get32(tcp + 8);
	if (!g->established || (dlen == 0 && !(flags & 0x01)) ||
	    guest_lose(g, seq, dlen, flags & 0x01))
		return 0;
	if (dlen > 0 && seq + dlen <= g->rcv_nxt) {
		/* all of it came before: a D-SACK block */
		dup.left = seq;
		dup.right = seq + (uint32_t)dlen;
		guest_queue_ack(g, &dup);
		return 0;
	}
	for (i = 0; i < dlen; i++) {
		off = seq + i - g->irs - 1;
		assert_true(off < TOTAL);
		assert_int_equal(tcp[thl + i], pattern(off));
	}
	if (dlen > 0 && seq <= g->rcv_nxt) {
		g->rcv_nxt = seq + (uint32_t)dlen;
		guest_ooo_pull(g);
		if (g->dupacks >= 3 && g->third_dupack_at != 0) {
			uint64_t ms = (now - g->third_dupack_at) / MS;

			if (ms > g->max_dupack_repair_ms)
				g->max_dupack_repair_ms = ms;
			g->repairs++;
		}
		if (g->tail_lost_at != 0 && g->tail_repair_ms == 0 &&
		    g->rcv_nxt - g->irs - 1 > TOTAL - g->lc->lose_tail)
			g->tail_repair_ms = (now - g->tail_lost_at) / MS;
		if (g->rexmit_lost_at != 0 && g->rexmit_repair_ms == 0)
			g->rexmit_repair_ms = (now - g->rexmit_lost_at) / MS;
		g->dupacks = 0;
		g->third_dupack_at = 0;
	} else if (dlen > 0) {
		guest_ooo_add(g, seq, seq + (uint32_t)dlen);
	}
	if ((flags & 0x01) && seq + dlen == g->rcv_nxt && !g->fin) {
		g->rcv_nxt++;
		g->fin = true;
		g->fin_at = now;
	}
	guest_queue_ack(g, NULL);
	return 0;
}

/* The other way: @lc->ooseq 1-byte segments above a hole of one byte,
 * then the byte that fills it (data_segs counts what was sent). */
static void guest_send_ooseq(struct guest *g)
{
	uint8_t byte = 'x';
	int i;

	for (i = 1; i <= g->lc->ooseq; i++)
		guest_send_tcp(g, 0x18, 1001 + (uint32_t)i, g->rcv_nxt, NULL, 0,
			       &byte, 1);
	guest_send_tcp(g, 0x18, 1001, g->rcv_nxt, NULL, 0, &byte, 1);
	g->data_segs = g->lc->ooseq + 1;
}

/* ---- a case ------------------------------------------------------------ */

static void guest_run(struct guest *g, const struct loss_case *lc,
		      struct unet_stack_stats *st)
{
	struct unet_stack_config sc;
	struct unet_proxy_config pc;
	struct unet_hub_config hc;
	struct sockaddr_in sin;
	int namelen = sizeof(sin);
	uint8_t arp[60];
	int ms;

	memset(g, 0, sizeof(*g));
	g->lc = lc;
	assert_int_equal(uv_loop_init(&g->loop), 0);
	unet_hub_config_init(&hc);
	hc.virtual_clock = true;
	hc.seed = 5;
	hc.epoch_ns = EPOCH_NS;
	assert_int_equal(unet_hub_new(&g->loop, &hc, &g->hub), 0);
	unet_stack_config_init(&sc);
	sc.n_dns_upstream = 1;
	sc.dns_upstream[0].sin_family = AF_INET;
	sc.dns_upstream[0].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sc.dns_upstream[0].sin_port = htons(9);
	assert_int_equal(unet_stack_new(g->hub, "user", &sc, &g->stack), 0);
	unet_proxy_config_init(&pc);
	assert_int_equal(unet_proxy_new(g->stack, &pc, &g->proxy), 0);
	assert_int_equal(unet_cb_port_open(g->hub, "guest", guest_rx, g,
					   &g->port),
			 0);

	assert_int_equal(uv_tcp_init(&g->loop, &g->listener), 0);
	g->listener.data = g;
	uv_ip4_addr("127.0.0.1", 0, &sin);
	assert_int_equal(uv_tcp_bind(&g->listener,
				     (const struct sockaddr *)&sin, 0),
			 0);
	assert_int_equal(uv_listen((uv_stream_t *)&g->listener, 1,
				   server_accept),
			 0);
	assert_int_equal(uv_tcp_getsockname(&g->listener,
					    (struct sockaddr *)&sin, &namelen),
			 0);
	g->server_port = ntohs(sin.sin_port);

	/* The gateway learns the guest's MAC from its ARP request. */
	tn_arp_request(arp, tn_bcast, tn_ip("10.0.2.15"), tn_ip("10.0.2.2"));
	assert_int_equal(unet_cb_port_input(g->port, arp, sizeof(arp)), 0);
	guest_syn(g);
	for (ms = 0; ms < CASE_LIMIT_MS && !g->fin; ms++) {
		int i;

		for (i = 0; i < 4; i++)
			uv_run(&g->loop, UV_RUN_NOWAIT);
		guest_flush_acks(g);
		if (lc->ooseq != 0 && g->established && g->accepted &&
		    g->data_segs == 0)
			guest_send_ooseq(g);
		if (lc->ooseq != 0 && ms > 1000)
			break;
		assert_int_equal(unet_hub_clock_advance(g->hub, MS), 0);
	}
	guest_flush_acks(g);
	assert_int_equal(unet_stack_stats(g->stack, st), 0);
	g->closing = true;

	unet_proxy_close(g->proxy);
	unet_port_close(g->port);
	unet_stack_close(g->stack);
	unet_hub_close(g->hub);
	uv_close((uv_handle_t *)&g->listener, NULL);
	if (g->accepted)
		uv_close((uv_handle_t *)&g->conn, NULL);
	assert_int_equal(uv_run(&g->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&g->loop), 0);
}

/* What a case must show: the stack's counters, and how long the repair
 * its loss needs took, in virtual milliseconds (for OOSEQ_CAPPED: how many
 * out-of-order bytes the stack kept). */
struct expect {
	const char *name;
	struct loss_case lc;
	uint64_t fast_recoveries, tail_probes, rto_timeouts;
	enum { REPAIR_NONE, REPAIR_DUPACK, REPAIR_TAIL, REPAIR_REXMIT,
	       REPAIR_FIN, OOSEQ_CAPPED } repair;
	uint64_t min_ms, max_ms;
};

static const struct expect cases[] = {
	{ "no loss", { .first = -1, .last = -1 }, 0, 0, 0, REPAIR_NONE,
	  0, 0 },
	/* one segment: resent at the third duplicate ACK */
	{ "one loss", { .first = 20, .last = 20 }, 1, 0, 0, REPAIR_DUPACK,
	  0, 10 },
	/* forty in a row (the tail of a burst past a NIC ring): all resent
	 * at once from the hole, one recovery, no timer */
	{ "burst of 40", { .first = 100, .last = 139 }, 1, 0, 0,
	  REPAIR_DUPACK, 0, 10 },
	/* the stream's last segments: nothing follows them to bring
	 * duplicate ACKs; the tail probe begins recovery after 100-150 ms,
	 * sooner than the 200 ms timeout */
	{ "lost tail", { .first = -1, .last = -1, .lose_tail = 5 * 1460 },
	  1, 1, 0, REPAIR_TAIL, 100, 160 },
	/* the hole's retransmission lost too: nothing but silence tells; a
	 * probe sends it again after 100-150 ms, before the 200 ms timer */
	{ "lost retransmission", { .first = 20, .last = 20, .lose_rexmit = 1 },
	  1, 1, 0, REPAIR_REXMIT, 100, 160 },
	/* a second hole's retransmission lost, after a partial ACK: the third
	 * duplicate ACK at it tells, and it goes out again at once */
	{ "lost retransmission after a partial ACK",
	  { .first = 20, .last = 20, .also = 25, .lose_rexmit = 1,
	    .rexmit_of = 25 },
	  2, 0, 0, REPAIR_REXMIT, 0, 10 },
	/* the second retransmission lost as well: probes go on */
	{ "lost retransmission twice",
	  { .first = 20, .last = 20, .lose_rexmit = 2 },
	  1, 2, 0, REPAIR_REXMIT, 200, 320 },
	/* the guest sends 2000 1-byte segments above a hole: the stack keeps
	 * at most 256 of them (TCP_OOSEQ_MAX_PBUFS), so that out-of-order
	 * data costs bounded memory and a bounded walk per segment; once the
	 * hole is filled, those 256 reach the host, the rest is the guest's to
	 * send again */
	{ "out-of-order queue capped", { .first = -1, .last = -1,
					 .ooseq = 2000 },
	  0, 0, 0, OOSEQ_CAPPED, 256, 256 },
	/* a lone FIN lost: resent by the timer */
	{ "lost FIN", { .first = -1, .last = -1, .lose_fin = true }, 0, 0, 1,
	  REPAIR_FIN, 200, 300 },
};

static void test_case(const struct expect *e)
{
	struct guest *g = calloc(1, sizeof(*g));
	struct unet_stack_stats st = { .size = sizeof(st) };
	uint64_t ms = 0;

	assert_non_null(g);
	guest_run(g, &e->lc, &st);
	if (e->repair == OOSEQ_CAPPED) {
		print_message("%s: the stack acknowledged %u bytes past the "
			      "hole; the host read %zu\n",
			      e->name, g->acked - 1002, g->server_got);
		assert_in_range(g->acked - 1002, e->min_ms, e->max_ms);
		assert_int_equal(g->server_got, 1 + g->acked - 1002);
		free(g);
		return;
	}
	print_message("%s: %d frames lost; %llu fast recoveries, %llu tail "
		      "probes, %llu timeouts\n",
		      e->name, g->lost,
		      (unsigned long long)st.tcp_fast_recoveries,
		      (unsigned long long)st.tcp_tail_probes,
		      (unsigned long long)st.tcp_rto_timeouts);
	/* the stream and its FIN arrived whole */
	assert_true(g->fin);
	assert_int_equal(g->rcv_nxt - g->irs - 2, TOTAL);
	assert_int_equal(g->n_ooo, 0);
	assert_int_equal(st.tcp_fast_recoveries, e->fast_recoveries);
	assert_int_equal(st.tcp_tail_probes, e->tail_probes);
	assert_int_equal(st.tcp_rto_timeouts, e->rto_timeouts);
	switch (e->repair) {
	case REPAIR_NONE:
		assert_int_equal(g->lost, 0);
		break;
	case REPAIR_DUPACK:
		assert_int_equal(g->repairs, 1);
		ms = g->max_dupack_repair_ms;
		break;
	case REPAIR_TAIL:
		assert_true(g->lost >= 5);
		ms = g->tail_repair_ms;
		break;
	case REPAIR_REXMIT:
		assert_int_equal(g->hole_lost, e->lc.lose_rexmit);
		ms = g->rexmit_repair_ms;
		break;
	case REPAIR_FIN:
		assert_true(g->fin_lost);
		ms = (g->fin_at - g->fin_lost_at) / MS;
		break;
	case OOSEQ_CAPPED:
		break;
	}
	print_message("%s: repaired %llu ms after the loss was known\n",
		      e->name, (unsigned long long)ms);
	assert_in_range(ms, e->min_ms, e->max_ms);
	free(g);
}

/* cmocka's state is the case. */
static void test_loss_case(void **state)
{
	test_case(*state);
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(cases)];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		memset(&tests[i], 0, sizeof(tests[i]));
		tests[i].name = cases[i].name;
		tests[i].test_func = test_loss_case;
		tests[i].initial_state = (void *)&cases[i];
	}
	return _cmocka_run_group_tests("tcp_loss", tests, ARRAY_SIZE(cases),
				       NULL, NULL);
}
