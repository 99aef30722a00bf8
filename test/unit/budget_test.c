/* SPDX-License-Identifier: MIT */
/*
 * The memory budget (stack/budget.c) holds against a guest that sends more
 * than it allows, through the public API only:
 *
 *   guest (this file) --> hub --> lwIP --> proxy --> host 127.0.0.1 listener
 *   4 MB on each of 6 connections                    (accepts, never reads,
 *                                                     4 KiB receive buffer)
 *
 * The host's kernel takes what its socket buffers hold; the proxy holds the
 * rest until seven eighths of the budget (4 MiB here) are spent; past that
 * line, the proxy leaves their data to lwIP, so the memory held stays
 * under the budget, whatever the guest sends. The last eighth is kept for
 * flows that hold little: a seventh connection opened then is still
 * served. A short frame (ARP) gets its answer. When the host side resets
 * the connections, what they held is given back; when a host reads again,
 * its flow drains to no buffer at all. Also: the budget's configuration
 * and counters.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <usernet/hub.h>
#include <usernet/proxy.h>
#include <usernet/stack.h>

#include "testnet.h"

#define BUDGET (4u << 20)
#define CONNS 6
#define SEG 1400
/* What each connection sends: just under its 4 MiB window. */
#define PER_CONN (2900u * SEG)
/* Slack over the budget: one growth step of a flow's queue, short frames. */
#define SLACK (512u << 10)

struct fixture {
	struct tn_gw gw;
	uv_tcp_t server;
	uint16_t port;
	uv_tcp_t *peers[CONNS];
	int accepted;
	uint16_t waiting;
	uint32_t ackno;
};

/* IPv4 TCP from the gateway, and ARP. */
static bool keep(const uint8_t *b, size_t len)
{
	return tn_keep_ipv4_arp(b, len);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct fixture *f = server->data;
	uv_tcp_t *c;

	if (status < 0 || f->accepted == CONNS)
		return;
	c = malloc(sizeof(*c));
	assert_non_null(c);
	uv_tcp_init(server->loop, c);
	assert_int_equal(uv_accept(server, (uv_stream_t *)c), 0);
	f->peers[f->accepted++] = c; /* never read */
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct unet_stack_config sc;
	int small = 4096;

	assert_non_null(f);
	unet_stack_config_init(&sc);
	sc.mem_budget = BUDGET;
	tn_gw_open(&f->gw, &sc, NULL, keep, 64);
	f->port = tn_tcp_listen_loopback(&f->gw.loop, &f->server, f, 16,
					 on_connection);
	/* accepted connections take the listener's (small) buffer */
	assert_int_equal(uv_recv_buffer_size((uv_handle_t *)&f->server, &small),
			 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	int i;

	for (i = 0; i < f->accepted; i++)
		uv_close((uv_handle_t *)f->peers[i], (uv_close_cb)free);
	uv_close((uv_handle_t *)&f->server, NULL);
	tn_gw_close(&f->gw);
	free(f);
	return 0;
}

/* A segment from the guest (10.0.2.15) to the gateway's @dport. */
static size_t segment(uint8_t *buf, uint16_t sport, uint16_t dport,
		      uint32_t seq, uint32_t ack, uint8_t flags, size_t len)
{
	uint32_t src = tn_ip("10.0.2.15"), dst = tn_ip("10.0.2.2");
	uint8_t *tcp = buf + 34;
	size_t hl = flags & 0x02 ? 24 : 20;

	tn_ip_header(buf, tn_gw_mac, src, dst, 6, 20 + hl + len, 0, 0);
	memset(tcp, 0, hl);
	tn_put16(tcp, sport);
	tn_put16(tcp + 2, dport);
	tn_put32(tcp + 4, seq);
	tn_put32(tcp + 8, ack);
	tcp[12] = (uint8_t)(hl / 4) << 4;
	tcp[13] = flags;
	tn_put16(tcp + 14, 0xffff);
	if (hl == 24) {
		/* window scale 7: the gateway may offer its 4 MiB window */
		tcp[20] = 3;
		tcp[21] = 3;
		tcp[22] = 7;
		tcp[23] = 1;
	}
	memset(tcp + hl, 'g', len);
	tn_put16(tcp + 16, tn_l4_csum(src, dst, 6, tcp, hl + len));
	return 34 + hl + len;
}

static struct unet_stack_stats stack_stats(struct fixture *f)
{
	struct unet_stack_stats st = { .size = sizeof(st) };

	assert_int_equal(unet_stack_stats(f->gw.stack, &st), 0);
	return st;
}

/* The SYN-ACK to @sport, or -1. */
static int find_synack(const struct tn_capture *c, uint16_t sport)
{
	int i;

	for (i = 0; i < c->frames && i < c->limit; i++)
		if (c->len[i] >= 54 && c->data[i][23] == 6 &&
		    tn_get16(c->data[i] + 36) == sport &&
		    (c->data[i][47] & 0x12) == 0x12)
			return i;
	return -1;
}

static bool synack_came(void *arg)
{
	struct fixture *f = arg;

	return find_synack(&f->gw.cap, f->waiting) >= 0;
}

/* Opens connection @i: SYN, then the gateway's SYN-ACK, then our ACK. */
static uint32_t open_conn(struct fixture *f, int i)
{
	uint16_t sport = (uint16_t)(41000 + i);
	uint8_t buf[128];
	uint32_t isn;
	int k;

	tn_capture_reset(&f->gw.cap);
	f->waiting = sport;
	unet_hub_input(&f->gw.cap.port,
		       buf, segment(buf, sport, f->port, 1000, 0, 0x02, 0));
	assert_true(tn_run_until(&f->gw.loop, synack_came, f, 2000));
	k = find_synack(&f->gw.cap, sport);
	isn = tn_get32(f->gw.cap.data[k] + 38);
	unet_hub_input(&f->gw.cap.port, buf,
		       segment(buf, sport, f->port, 1001, isn + 1, 0x10, 0));
	return isn;
}

/* Whether the gateway acknowledged @ackno to @sport (the port in f->waiting). */
static bool acked(void *arg)
{
	struct fixture *f = arg;
	const struct tn_capture *c = &f->gw.cap;
	int i;

	for (i = 0; i < c->frames && i < c->limit; i++)
		if (c->len[i] >= 54 && c->data[i][23] == 6 &&
		    tn_get16(c->data[i] + 36) == f->waiting &&
		    (c->data[i][47] & 0x10) &&
		    tn_get32(c->data[i] + 42) == f->ackno)
			return true;
	return false;
}

static void test_budget_holds(void **state)
{
	struct fixture *f = *state;
	static uint8_t buf[64 + SEG];
	struct unet_stack_stats st = { .size = sizeof(st) };
	struct unet_proxy_stats ps = { .size = sizeof(ps) };
	uint32_t isn, off;
	uint8_t arp[60];
	int i, j;

	st = stack_stats(f);
	assert_int_equal(st.mem_budget, BUDGET);
	for (i = 0; i < CONNS; i++) {
		isn = open_conn(f, i);
		for (off = 0; off < PER_CONN; off += SEG) {
			unet_hub_input(&f->gw.cap.port, buf,
				       segment(buf, (uint16_t)(41000 + i),
					       f->port, 1001 + off, isn + 1,
					       0x10, SEG));
			/* let the host's kernel take what it takes */
			if (off % (256 * SEG) == 0)
				tn_run_for(&f->gw.loop, 5);
		}
		tn_run_for(&f->gw.loop, 50);
		st = stack_stats(f);
		assert_true(st.mem_used <= BUDGET + SLACK);
	}
	st = stack_stats(f);
	assert_int_equal(unet_proxy_stats(f->gw.proxy, &ps), 0);
	/* 6 x 4 MB: the kernel's buffers cannot have taken it all */
	assert_true(st.mem_used >= BUDGET / 2);
	assert_true(st.mem_peak <= BUDGET + SLACK);
	print_message("used %llu KiB (lwip %llu, proxy %llu), peak %llu KiB of %u; frames dropped %llu, data deferred %llu, windows shrunk %llu\n",
		      (unsigned long long)st.mem_used / 1024,
		      (unsigned long long)st.mem_lwip / 1024,
		      (unsigned long long)st.mem_proxy / 1024,
		      (unsigned long long)st.mem_peak / 1024, BUDGET / 1024,
		      (unsigned long long)st.budget_frames_dropped,
		      (unsigned long long)ps.tcp_data_deferred,
		      (unsigned long long)ps.tcp_windows_shrunk);
	/*
	 * The proxy stopped taking their data at the bulk line (seven
	 * eighths), short of the limit, so no frame had to be dropped.
	 */
	assert_true(ps.tcp_data_deferred > 0);
	assert_true(ps.tcp_windows_shrunk > 0);
	assert_true(st.mem_used > BUDGET - BUDGET / 8 - SLACK);
	assert_true(st.mem_used < BUDGET);
	assert_int_equal(st.mem_used, st.mem_lwip + st.mem_proxy);

	/*
	 * A new connection is served from the reserve while they hold the
	 * rest: its first 1000 bytes are taken (acknowledged). Without the
	 * reserve it got a zero window and its data was dropped at the limit.
	 */
	isn = open_conn(f, CONNS);
	tn_capture_reset(&f->gw.cap);
	f->ackno = 1001 + 1000;
	unet_hub_input(&f->gw.cap.port, buf,
		       segment(buf, (uint16_t)(41000 + CONNS), f->port, 1001,
			       isn + 1, 0x18, 1000));
	assert_true(tn_run_until(&f->gw.loop, acked, f, 2000));

	/* A short frame still gets through and is answered. */
	tn_capture_reset(&f->gw.cap);
	tn_arp_request(arp, tn_bcast, tn_ip("10.0.2.15"), tn_ip("10.0.2.2"));
	unet_hub_input(&f->gw.cap.port, arp, sizeof(arp));
	assert_true(f->gw.cap.frames >= 1);

	/* The host resets them all: what they held is given back. */
	for (j = 0; j < f->accepted; j++)
		uv_tcp_close_reset(f->peers[j], (uv_close_cb)free);
	f->accepted = 0;
	tn_run_for(&f->gw.loop, 300);
	st = stack_stats(f);
	assert_int_equal(st.mem_proxy, 0);
	assert_true(st.mem_used < BUDGET / 4);
}

/* The budget's configuration: a floor, a default, the value given. */
static void test_budget_config(void **state)
{
	struct unet_stack_config sc;
	struct unet_stack_stats st = { .size = sizeof(st) };
	struct unet_stack *stack;
	struct unet_hub *hub;
	uv_loop_t loop;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(unet_hub_new(&loop, NULL, &hub), 0);
	unet_stack_config_init(&sc);
	assert_int_equal(sc.mem_budget, 0);
	sc.mem_budget = (4u << 20) - 1;
	assert_int_equal(unet_stack_new(hub, "user", &sc, &stack), -EINVAL);
	sc.mem_budget = 0;
	assert_int_equal(unet_stack_new(hub, "user", &sc, &stack), 0);
	assert_int_equal(unet_stack_stats(stack, &st), 0);
	assert_int_equal(st.mem_budget, (uint64_t)256 << 20);
	/* lwIP's own state is counted from the start */
	assert_true(st.mem_lwip > 0);
	assert_int_equal(st.mem_used, st.mem_lwip + st.mem_proxy);
	assert_true(st.mem_peak >= st.mem_used);
	unet_stack_close(stack);
	sc.mem_budget = (size_t)8 << 20;
	assert_int_equal(unet_stack_new(hub, "user", &sc, &stack), 0);
	assert_int_equal(unet_stack_stats(stack, &st), 0);
	assert_int_equal(st.mem_budget, (uint64_t)8 << 20);
	unet_hub_close(hub);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- a flow whose host reads again ------------------------------------ */

/* The byte at offset @off of the stream test_budget_drains() sends. */
static uint8_t pattern(size_t off)
{
	return (uint8_t)(off % 251);
}

static char drain_buf[65536];
static size_t drained;
static size_t drained_bad;

static void drain_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)h;
	(void)suggested;
	*buf = uv_buf_init(drain_buf, sizeof(drain_buf));
}

static void drain_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	ssize_t i;

	(void)s;
	for (i = 0; i < n; i++)
		if ((uint8_t)buf->base[i] != pattern(drained + (size_t)i))
			drained_bad++;
	if (n > 0)
		drained += (size_t)n;
}

static bool all_drained(void *arg)
{
	return drained == *(size_t *)arg;
}

/*
 * A segment of the stream from offset @off, as a guest's kernel hands its
 * TSO segments to usernet when @len is past the MTU (offload facts).
 */
static void send_piece(struct fixture *f, uint8_t *buf, uint32_t isn,
		       size_t off, size_t len)
{
	struct unet_offload o = { .gso_type = UNET_GSO_TCPV4,
				  .gso_size = SEG,
				  .hdr_len = 54 };
	uint32_t src = tn_ip("10.0.2.15"), dst = tn_ip("10.0.2.2");
	size_t n = segment(buf, 41000, f->port, (uint32_t)(1001 + off), isn + 1,
			   0x10, len),
	       i;

	for (i = 0; i < len; i++)
		buf[54 + i] = pattern(off + i);
	tn_put16(buf + 34 + 16, 0);
	tn_put16(buf + 34 + 16, tn_l4_csum(src, dst, 6, buf + 34, 20 + len));
	if (len > SEG)
		unet_hub_input_offload(&f->gw.cap.port, buf, n, &o);
	else
		unet_hub_input(&f->gw.cap.port, buf, n);
}

/*
 * 4 MB toward a host that does not read, in groups of one segment of 8400
 * bytes (TSO, held in lwIP's pbuf while it waits) and seven of 700
 * (copied to the queue), queue in the proxy (what the kernel's socket
 * buffers could not take). Some groups come out of order, so that lwIP
 * hands over chains: the 8400 with the 700 after it (held whole), or seven
 * 700s (4900 bytes, copied: a pbuf each costs more than 700 bytes). Once the
 * host reads, every byte arrives in order, and the open, idle flow holds
 * no buffer.
 */
static void test_budget_drains(void **state)
{
	static const unsigned int orders[3][8] = {
		{ 0, 1, 2, 3, 4, 5, 6, 7 }, /* in order */
		{ 1, 0, 2, 3, 4, 5, 6, 7 }, /* [8400, 700] as one chain */
		{ 0, 7, 6, 5, 4, 3, 2, 1 }, /* seven 700s as one chain */
	};
	struct fixture *f = *state;
	static uint8_t buf[64 + 6 * SEG];
	struct unet_stack_stats st;
	size_t off = 0, total = 0, at[8], lens[8];
	uint32_t isn;
	unsigned int g, i;

	isn = open_conn(f, 0);
	for (i = 0; i < 8; i++)
		lens[i] = i == 0 ? 6 * SEG : SEG / 2;
	for (g = 0; total + 6 * SEG + 7 * (SEG / 2) <= PER_CONN; g++) {
		for (i = 0; i < 8; i++) {
			at[i] = off;
			off += lens[i];
		}
		for (i = 0; i < 8; i++) {
			unsigned int j = orders[g % 3][i];

			send_piece(f, buf, isn, at[j], lens[j]);
		}
		total = off;
		if (g % 16 == 0)
			tn_run_for(&f->gw.loop, 2);
	}
	tn_run_for(&f->gw.loop, 50);
	st = stack_stats(f);
	assert_int_equal(f->accepted, 1);
	/* the host's 4 KiB buffer took little: the proxy queues the rest */
	assert_true(st.mem_proxy > 0);
	drained = drained_bad = 0;
	assert_int_equal(uv_read_start((uv_stream_t *)f->peers[0], drain_alloc,
				       drain_read),
			 0);
	assert_true(tn_run_until(&f->gw.loop, all_drained, &total, 10000));
	assert_int_equal(drained_bad, 0);
	tn_run_for(&f->gw.loop, 50);
	st = stack_stats(f);
	assert_int_equal(st.mem_proxy, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_budget_config),
		cmocka_unit_test_setup_teardown(test_budget_holds, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_budget_drains, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
