/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the proxy's TCP connect-first handshake. A test port on the
 * hub plays the guest (10.0.2.15): it sends SYNs and records what the stack
 * answers; a real TCP listener on 127.0.0.1 in the same loop is the host.
 *
 *   capture port (guest) --- hub --- stack + proxy --- host socket
 *     10.0.2.15:4000x                  10.0.2.2:P  ==> 127.0.0.1:P
 *
 * Covered: no SYN-ACK before the host connect is done, then a SYN-ACK
 * from the address the guest used; duplicate SYNs while connecting; a
 * refused host connect answered with a RST that acknowledges the SYN; the
 * flow limit and loopback=off answered with a RST at once and counted;
 * SYNs with a bad checksum or a fragment flag dropped without an answer;
 * a table of malformed segments (TCP header cut short, data offset below 5
 * or past the segment, IP lengths that lie), each dropped and counted;
 * the guest's segments of one loop turn reaching the host in two writes
 * (the first at once, the rest at the turn's end), in order, and a FIN
 * behind them only after them; what a flow holds toward a guest that never
 * acknowledges: 256 KiB behind a plain port, 1 MiB behind one that takes
 * TSO frames whole (a tap with a vnet header); behind such a port, host
 * data sent to the guest from the proxy's read buffers uncopied, byte for
 * byte, and those buffers freed when the guest resets the flow. Bulk data
 * at speed, and RST across an established flow, are covered by the
 * integration tests with the kernel as the guest.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include <usernet/hub.h>
#include <usernet/proxy.h>
#include <usernet/stack.h>

#include "testnet.h"

#define CAP_MAX 32
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_ACK 0x10


struct fixture {
	uv_loop_t loop;
	struct unet_hub *hub;
	struct unet_stack *stack;
	struct unet_proxy *proxy;
	struct tn_capture cap;
	uv_tcp_t server;
	uint16_t server_port;
	int accepted;
	uv_tcp_t server6;
	bool has_server6;
	bool keep;
	uv_tcp_t *kept;
	unsigned int cap_offload;
};

/* IPv4 TCP only: lwIP's IPv6 and ARP come and go. */
static bool tcp_keep(const uint8_t *b, size_t len)
{
	return len >= 54 && b[12] == 0x08 && b[13] == 0x00 && b[23] == 6;
}

/* A SYN from the guest, with correct IP and TCP checksums. */
static size_t syn_frame(uint8_t *buf, uint32_t dst, uint16_t sport,
			uint16_t dport, uint32_t seq)
{
	return tn_tcp4_frame(buf, dst, sport, dport, seq, 0, TCP_SYN, NULL, 0,
			     NULL, 0);
}

static void on_connection(uv_stream_t *server, int status)
{
	struct fixture *f = server->data;
	uv_tcp_t *c = malloc(sizeof(*c));

	assert_non_null(c);
	uv_tcp_init(server->loop, c);
	if (status == 0 && uv_accept(server, (uv_stream_t *)c) == 0)
		f->accepted++;
	if (f->keep && f->kept == NULL) {
		f->kept = c;
		return;
	}
	uv_close((uv_handle_t *)c, (uv_close_cb)free);
}

static void fixture_open(struct fixture *f, const struct unet_proxy_config *pc)
{
	struct sockaddr_in sa;
	int len = sizeof(sa);

	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_int_equal(unet_hub_new(&f->loop, NULL, &f->hub), 0);
	tn_capture_init(&f->cap, tcp_keep, CAP_MAX);
	if (f->cap_offload != 0)
		tn_capture_take_offload(&f->cap, f->cap_offload);
	tn_capture_attach(&f->cap, f->hub);
	assert_int_equal(unet_stack_new(f->hub, "user", NULL, &f->stack), 0);
	assert_int_equal(unet_proxy_new(f->stack, pc, &f->proxy), 0);
	uv_tcp_init(&f->loop, &f->server);
	f->server.data = f;
	uv_ip4_addr("127.0.0.1", 0, &sa);
	assert_int_equal(uv_tcp_bind(&f->server, (struct sockaddr *)&sa, 0), 0);
	assert_int_equal(uv_listen((uv_stream_t *)&f->server, 16, on_connection),
			 0);
	uv_tcp_getsockname(&f->server, (struct sockaddr *)&sa, &len);
	f->server_port = ntohs(sa.sin_port);
	tn_learn_guest(&f->cap);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	fixture_open(f, NULL);
	*state = f;
	return 0;
}

/* The guest's port takes TSO frames whole, as a tap with a vnet header. */
static int setup_tso(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->cap_offload = UNET_PORT_OFFLOAD_CSUM | UNET_PORT_OFFLOAD_TSO4 |
			 UNET_PORT_OFFLOAD_TSO6;
	fixture_open(f, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unet_proxy_close(f->proxy);
	unet_hub_close(f->hub);
	uv_close((uv_handle_t *)&f->server, NULL);
	if (f->kept != NULL)
		uv_close((uv_handle_t *)f->kept, (uv_close_cb)free);
	if (f->has_server6 && !uv_is_closing((uv_handle_t *)&f->server6))
		uv_close((uv_handle_t *)&f->server6, NULL);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	tn_capture_reset(&f->cap);
	free(f);
	return 0;
}

/* Runs the loop until @frames frames were captured or 2 s passed. */
static void run_until(struct fixture *f, int frames)
{
	uint64_t deadline = uv_hrtime() + 2000000000ull;

	while (f->cap.frames < frames && uv_hrtime() < deadline)
		uv_run(&f->loop, UV_RUN_NOWAIT);
}

/* Runs the loop until the host server accepted @n connections, 2 s at most. */
static void run_until_accepted(struct fixture *f, int n)
{
	uint64_t deadline = uv_hrtime() + 2000000000ull;

	while (f->accepted < n && uv_hrtime() < deadline)
		uv_run(&f->loop, UV_RUN_NOWAIT);
}

static int find_flags(const struct tn_capture *c, uint8_t flags)
{
	int i;

	for (i = 0; i < c->frames && i < CAP_MAX; i++)
		if ((c->data[i][47] & (TCP_SYN | TCP_RST | TCP_ACK)) == flags)
			return i;
	return -1;
}

/* A segment of the guest's, with @len bytes of @data and correct checksums. */
static size_t seg_frame(uint8_t *buf, uint16_t sport, uint16_t dport,
			uint32_t seq, uint32_t ack, uint8_t flags,
			const uint8_t *data, size_t len)
{
	return tn_tcp4_frame(buf, tn_ip("10.0.2.2"), sport, dport, seq, ack,
			     flags, NULL, 0, data, len);
}

/* A SYN from the guest with an MSS option of @mss. */
static size_t syn_mss_frame(uint8_t *buf, uint16_t sport, uint16_t dport,
			    uint32_t seq, uint16_t mss)
{
	const uint8_t opt[4] = { 2, 4, (uint8_t)(mss >> 8), (uint8_t)mss };

	return tn_tcp4_frame(buf, tn_ip("10.0.2.2"), sport, dport, seq, 0,
			     TCP_SYN, opt, sizeof(opt), NULL, 0);
}

/* Takes what the host socket holds now; -1 when it holds nothing. */
static ssize_t host_take(int fd, uint8_t *buf, size_t cap)
{
	return recv(fd, buf, cap, MSG_DONTWAIT);
}

/*
 * Runs the loop until the host socket holds something (bytes or EOF), 2 s
 * at most; what host_take() then returned.
 */
static ssize_t host_wait(struct fixture *f, int fd, uint8_t *buf, size_t cap)
{
	uint64_t deadline = uv_hrtime() + 2000000000ull;
	ssize_t n = -1;

	while (n < 0 && uv_hrtime() < deadline) {
		uv_run(&f->loop, UV_RUN_NOWAIT);
		n = host_take(fd, buf, cap);
	}
	return n;
}

/* @len bytes of @buf are all @c. */
static void assert_run(const uint8_t *buf, size_t len, uint8_t c)
{
	size_t i;

	for (i = 0; i < len; i++)
		assert_int_equal(buf[i], c);
}

static void test_syn_ack_only_after_host_connect(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[64];
	uint32_t gw = tn_ip("10.0.2.2"), guest = tn_ip("10.0.2.15");
	struct unet_proxy_stats st = { .size = sizeof(st) };
	int i;

	syn_frame(buf, gw, 40001, f->server_port, 1000);
	unet_hub_input(&f->cap.port, buf, 54);
	/*
	 * The host's loopback finishes the connect inside connect(): the
	 * SYN-ACK leaves at once, without waiting a loop turn.
	 */
	assert_int_equal(f->cap.frames, 1);
	/* a retransmitted SYN is lwIP's now (it answers again), no new flow */
	unet_hub_input(&f->cap.port, buf, 54);
	run_until(f, 2);
	run_until_accepted(f, 1);
	i = find_flags(&f->cap, TCP_SYN | TCP_ACK);
	assert_true(i >= 0);
	assert_memory_equal(f->cap.data[i] + 26, &gw, 4);
	assert_memory_equal(f->cap.data[i] + 30, &guest, 4);
	assert_int_equal(f->cap.data[i][34] << 8 | f->cap.data[i][35],
			 f->server_port);
	assert_int_equal(tn_get32(f->cap.data[i] + 42), 1001); /* acks our SYN */
	assert_int_equal(f->accepted, 1);
	assert_int_equal(unet_proxy_stats(f->proxy, &st), 0);
	assert_int_equal(st.tcp_opened, 1);
	assert_int_equal(st.flows, 1);
}

static void test_refused_gets_rst(void **state)
{
	struct fixture *f = *state;
	uv_tcp_t probe;
	struct sockaddr_in sa;
	int len = sizeof(sa), i;
	uint16_t closed;
	uint8_t buf[64];
	struct unet_proxy_stats st = { .size = sizeof(st) };

	/* a port that was just free: bind, read it, close */
	uv_tcp_init(&f->loop, &probe);
	uv_ip4_addr("127.0.0.1", 0, &sa);
	assert_int_equal(uv_tcp_bind(&probe, (struct sockaddr *)&sa, 0), 0);
	uv_tcp_getsockname(&probe, (struct sockaddr *)&sa, &len);
	closed = ntohs(sa.sin_port);
	uv_close((uv_handle_t *)&probe, NULL);
	uv_run(&f->loop, UV_RUN_NOWAIT);

	syn_frame(buf, tn_ip("10.0.2.2"), 40002, closed, 5000);
	unet_hub_input(&f->cap.port, buf, 54);
	run_until(f, 1);
	i = find_flags(&f->cap, TCP_RST | TCP_ACK);
	assert_true(i >= 0);
	assert_int_equal(tn_get32(f->cap.data[i] + 42), 5001);
	assert_int_equal(find_flags(&f->cap, TCP_SYN | TCP_ACK), -1);
	assert_int_equal(unet_proxy_stats(f->proxy, &st), 0);
	assert_int_equal(st.tcp_refused, 1);
	/* the refused flow is gone once its handles are closed */
	uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_int_equal(unet_proxy_stats(f->proxy, &st), 0);
	assert_int_equal(st.flows, 0);
}

static void test_malformed_syn_dropped(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[64];
	struct unet_proxy_stats st = { .size = sizeof(st) };

	syn_frame(buf, tn_ip("10.0.2.2"), 40003, f->server_port, 1);
	buf[50] ^= 0x55; /* TCP checksum */
	unet_hub_input(&f->cap.port, buf, 54);
	syn_frame(buf, tn_ip("10.0.2.2"), 40004, f->server_port, 1);
	buf[14 + 6] = 0x20; /* more fragments: a SYN is never fragmented */
	buf[24] = 0;
	buf[25] = 0;
	tn_put16(buf + 24, tn_csum(buf + 14, 20));
	unet_hub_input(&f->cap.port, buf, 54);
	syn_frame(buf, tn_ip("10.0.2.2"), 0, f->server_port, 1); /* port 0 */
	unet_hub_input(&f->cap.port, buf, 54);
	run_until(f, 1);
	assert_int_equal(f->cap.frames, 0);
	assert_int_equal(f->accepted, 0);
	assert_int_equal(unet_proxy_stats(f->proxy, &st), 0);
	assert_int_equal(st.tcp_opened, 0);
	assert_int_equal(st.dropped, 3);
}

/*
 * Malformed segments, one per row: each is dropped and counted where it is
 * refused (by the stack's parse when the IP header lies, by the proxy when
 * the TCP header does), nothing is answered, and no flow is made. Every
 * row starts from a good SYN; where the segment stays whole its checksum is
 * made right again, so that the row's one fault is what drops it.
 */
static void test_malformed_segments(void **state)
{
	static const struct {
		const char *what;
		int doff; /* TCP data offset in words, -1: as built */
		int iplen; /* IP total length, -1: as built */
		int ihl; /* IP header length in words, -1: as built */
		size_t frame; /* bytes sent, 0: 14 + the IP total length */
		bool by_stack; /* refused by the stack's parse */
	} rows[] = {
		{ "no TCP header", -1, 20, -1, 0, false },
		{ "TCP header cut to 10 bytes", -1, 30, -1, 0, false },
		{ "TCP header cut to 19 bytes", -1, 39, -1, 0, false },
		{ "data offset 0", 0, -1, -1, 0, false },
		{ "data offset 4 (below the header)", 4, -1, -1, 0, false },
		{ "data offset 6 (options past the segment)", 6, -1, -1, 0,
		  false },
		{ "data offset 15 (60 bytes in a 20-byte segment)", 15, -1, -1,
		  0, false },
		{ "IP total length past the frame", -1, 60, -1, 54, true },
		{ "IP total length 65535", -1, 65535, -1, 54, true },
		{ "IP total length below the IP header", -1, 19, -1, 54, true },
		{ "IP header length 4 words", -1, -1, 4, 0, true },
		{ "IP header length past the total length", -1, -1, 15, 0,
		  true },
	};
	struct fixture *f = *state;
	struct unet_stack_stats ss = { .size = sizeof(ss) };
	struct unet_proxy_stats ps = { .size = sizeof(ps) };
	uint32_t gw = tn_ip("10.0.2.2"), guest = tn_ip("10.0.2.15");
	uint64_t bad = 0, dropped = 0;
	uint8_t buf[64];
	size_t i, iplen, n;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		print_message("  %s\n", rows[i].what);
		syn_frame(buf, gw, (uint16_t)(41000 + i), f->server_port, 1);
		iplen = 40;
		if (rows[i].doff >= 0)
			buf[46] = (uint8_t)(rows[i].doff << 4);
		if (rows[i].iplen >= 0)
			iplen = (size_t)rows[i].iplen;
		if (rows[i].ihl >= 0)
			buf[14] = (uint8_t)(0x40 | rows[i].ihl);
		tn_put16(buf + 16, (uint16_t)iplen);
		tn_put16(buf + 24, 0);
		tn_put16(buf + 24, tn_csum(buf + 14, 20));
		if (!rows[i].by_stack && iplen >= 20) {
			tn_put16(buf + 50, 0);
			tn_put16(buf + 50, tn_l4_csum(guest, gw, 6, buf + 34,
						      iplen - 20));
		}
		n = rows[i].frame != 0 ? rows[i].frame : 14 + iplen;
		assert_int_equal(unet_hub_input(&f->cap.port, buf, n), 0);
		if (rows[i].by_stack)
			bad++;
		else
			dropped++;
		assert_int_equal(unet_stack_stats(f->stack, &ss), 0);
		assert_int_equal(unet_proxy_stats(f->proxy, &ps), 0);
		assert_int_equal(ss.drop_bad, bad);
		assert_int_equal(ps.dropped, dropped);
		assert_int_equal(ps.flows, 0);
	}
	run_until(f, 1);
	assert_int_equal(f->cap.frames, 0);
	assert_int_equal(f->accepted, 0);
	assert_int_equal(unet_proxy_stats(f->proxy, &ps), 0);
	assert_int_equal(ps.tcp_opened, 0);

	/* and a good SYN still opens a flow */
	syn_frame(buf, gw, 40999, f->server_port, 1);
	unet_hub_input(&f->cap.port, buf, 54);
	run_until(f, 1);
	assert_true(find_flags(&f->cap, TCP_SYN | TCP_ACK) >= 0);
	assert_int_equal(unet_proxy_stats(f->proxy, &ps), 0);
	assert_int_equal(ps.tcp_opened, 1);
}

static void test_flow_limit_rst(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct unet_proxy_config pc;
	struct unet_proxy_stats st = { .size = sizeof(st) };
	uint8_t buf[64];
	int i;

	assert_non_null(f);
	unet_proxy_config_init(&pc);
	pc.max_flows = 1;
	fixture_open(f, &pc);
	*state = f;
	syn_frame(buf, tn_ip("10.0.2.2"), 40010, f->server_port, 100);
	unet_hub_input(&f->cap.port, buf, 54);
	syn_frame(buf, tn_ip("10.0.2.2"), 40011, f->server_port, 200);
	unet_hub_input(&f->cap.port, buf, 54);
	/*
	 * The second is refused at once, with a RST acknowledging its SYN
	 * (after the first's SYN-ACK: the host's loopback connects at once).
	 */
	assert_int_equal(f->cap.frames, 2);
	assert_int_equal(find_flags(&f->cap, TCP_SYN | TCP_ACK), 0);
	i = find_flags(&f->cap, TCP_RST | TCP_ACK);
	assert_int_equal(i, 1);
	assert_int_equal(tn_get32(f->cap.data[1] + 42), 201);
	assert_int_equal(unet_proxy_stats(f->proxy, &st), 0);
	assert_int_equal(st.refused_limit, 1);
	assert_int_equal(st.flows, 1);
	run_until(f, 2);
	assert_true(find_flags(&f->cap, TCP_SYN | TCP_ACK) >= 0);
}

static void test_loopback_off_rst(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct unet_proxy_config pc;
	struct unet_proxy_stats st = { .size = sizeof(st) };
	uint8_t buf[64];

	assert_non_null(f);
	unet_proxy_config_init(&pc);
	pc.loopback = false;
	fixture_open(f, &pc);
	*state = f;
	syn_frame(buf, tn_ip("10.0.2.2"), 40020, f->server_port, 7);
	unet_hub_input(&f->cap.port, buf, 54);
	assert_int_equal(f->cap.frames, 1);
	assert_int_equal(find_flags(&f->cap, TCP_RST | TCP_ACK), 0);
	run_until(f, 2);
	assert_int_equal(f->accepted, 0);
	assert_int_equal(unet_proxy_stats(f->proxy, &st), 0);
	assert_int_equal(st.refused_policy, 1);
	assert_int_equal(st.flows, 0);
}

/* ---- IPv6 ---------------------------------------------------------------- */

/* IPv6 TCP only (no extension headers), as tcp_keep() for IPv4. */
static bool tcp6_keep(const uint8_t *b, size_t len)
{
	return len >= 74 && b[12] == 0x86 && b[13] == 0xdd && b[20] == 6;
}

/* The TCP flags of captured IPv6 frame @i. */
static uint8_t tcp6_flags(const struct tn_capture *c, int i)
{
	return c->data[i][54 + 13] & (TCP_SYN | TCP_RST | TCP_ACK);
}

/*
 * Makes the fixture capture IPv6 TCP, with a host listener on ::1 (its
 * port in @port), the gateway knowing the guest's fec0::15.
 */
static uv_tcp_t *fixture_v6(struct fixture *f, uint16_t *port)
{
	uv_tcp_t *l6 = &f->server6;
	struct sockaddr_in6 sa;
	int len = sizeof(sa);

	f->cap.keep = tcp6_keep;
	tn_learn_guest6(&f->cap);
	uv_tcp_init(&f->loop, l6);
	l6->data = f;
	uv_ip6_addr("::1", 0, &sa);
	assert_int_equal(uv_tcp_bind(l6, (struct sockaddr *)&sa, 0), 0);
	assert_int_equal(uv_listen((uv_stream_t *)l6, 16, on_connection), 0);
	uv_tcp_getsockname(l6, (struct sockaddr *)&sa, &len);
	*port = ntohs(sa.sin6_port);
	f->has_server6 = true;
	return l6;
}

/* Over IPv6 too: the SYN is answered only once [::1] accepted. */
static void test_tcp6_syn_ack_after_connect(void **state)
{
	struct fixture *f = *state;
	struct unet_flow_info info;
	struct unet_proxy_stats st = { .size = sizeof(st) };
	uint8_t buf[80], g[16], gw[16];
	uint16_t port;

	fixture_v6(f, &port);
	tn_ip6("fec0::15", g);
	tn_ip6("fec0::2", gw);
	tn_tcp6_frame(buf, g, 40101, gw, port, 1000, 0, TCP_SYN);
	unet_hub_input(&f->cap.port, buf, 74);
	/* connected inside connect() on the loopback: answered at once */
	assert_int_equal(f->cap.frames, 1);
	assert_int_equal(tcp6_flags(&f->cap, 0), TCP_SYN | TCP_ACK);
	assert_memory_equal(f->cap.data[0] + 22, gw, 16);
	assert_memory_equal(f->cap.data[0] + 38, g, 16);
	assert_int_equal(tn_get16(f->cap.data[0] + 54), port);
	assert_int_equal(tn_get32(f->cap.data[0] + 62), 1001);
	assert_int_equal(tn_l4_csum6(gw, g, 6, f->cap.data[0] + 54,
				     f->cap.len[0] - 54),
			 0);
	run_until_accepted(f, 1);
	assert_int_equal(f->accepted, 1);
	assert_int_equal(tn_proxy_flows(f->proxy, &info), 1);
	assert_int_equal(info.family, AF_INET6);
	assert_memory_equal(&info.guest_addr6, g, 16);
	assert_memory_equal(&info.remote_addr6, gw, 16);
	assert_int_equal(info.guest_addr.s_addr, 0);
	assert_int_equal(unet_proxy_stats(f->proxy, &st), 0);
	assert_int_equal(st.tcp_opened, 1);
	assert_int_equal(st.tcp6_opened, 1);
}

/* A refused IPv6 connect: a RST from fec0::2 acknowledging the SYN. */
static void test_tcp6_refused_gets_rst(void **state)
{
	struct fixture *f = *state;
	struct unet_proxy_stats st = { .size = sizeof(st) };
	uint8_t buf[80], g[16], gw[16];
	uv_tcp_t *l6;
	uint16_t port;

	l6 = fixture_v6(f, &port);
	/* Nothing listens on [::1]:port once the listener is closed. */
	uv_close((uv_handle_t *)l6, NULL);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	tn_ip6("fec0::15", g);
	tn_ip6("fec0::2", gw);
	tn_tcp6_frame(buf, g, 40102, gw, port, 5000, 0, TCP_SYN);
	unet_hub_input(&f->cap.port, buf, 74);
	run_until(f, 1);
	assert_int_equal(f->cap.frames, 1);
	assert_int_equal(tcp6_flags(&f->cap, 0), TCP_RST | TCP_ACK);
	assert_int_equal(tn_get32(f->cap.data[0] + 62), 5001);
	assert_memory_equal(f->cap.data[0] + 22, gw, 16);
	assert_int_equal(unet_proxy_stats(f->proxy, &st), 0);
	assert_int_equal(st.tcp_refused, 1);
}

/* loopback=off refuses fec0::2 (the host's ::1) at once, as for IPv4. */
static void test_tcp6_loopback_off_rst(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct unet_proxy_config pc;
	struct unet_proxy_stats st = { .size = sizeof(st) };
	uint8_t buf[80], g[16], gw[16];
	uint16_t port;

	assert_non_null(f);
	unet_proxy_config_init(&pc);
	pc.loopback = false;
	fixture_open(f, &pc);
	*state = f;
	fixture_v6(f, &port);
	tn_ip6("fec0::15", g);
	tn_ip6("fec0::2", gw);
	tn_tcp6_frame(buf, g, 40103, gw, port, 7, 0, TCP_SYN);
	unet_hub_input(&f->cap.port, buf, 74);
	assert_int_equal(f->cap.frames, 1);
	assert_int_equal(tcp6_flags(&f->cap, 0), TCP_RST | TCP_ACK);
	run_until(f, 2);
	assert_int_equal(f->accepted, 0);
	assert_int_equal(unet_proxy_stats(f->proxy, &st), 0);
	assert_int_equal(st.refused_policy, 1);
	assert_int_equal(st.flows, 0);
}

/* A SYN from an address outside the prefix never opens a host socket. */
static void test_tcp6_spoofed_dropped(void **state)
{
	struct fixture *f = *state;
	struct unet_proxy_stats st = { .size = sizeof(st) };
	uint8_t buf[80], g[16], gw[16];
	uint16_t port;

	fixture_v6(f, &port);
	tn_ip6("fec0::2", gw);
	tn_ip6("fec0::3", g); /* the DNS address: no guest's */
	tn_tcp6_frame(buf, g, 40104, gw, port, 1, 0, TCP_SYN);
	unet_hub_input(&f->cap.port, buf, 74);
	tn_ip6("2001:db8::15", g); /* outside the prefix */
	tn_tcp6_frame(buf, g, 40105, gw, port, 1, 0, TCP_SYN);
	unet_hub_input(&f->cap.port, buf, 74);
	run_until(f, 1);
	assert_int_equal(f->accepted, 0);
	assert_int_equal(unet_proxy_stats(f->proxy, &st), 0);
	assert_int_equal(st.refused_spoofed, 1);
	assert_int_equal(st.flows, 0);
}

/*
 * The guest's segments of one loop turn: the first reaches the host at once
 * (a request waits for nothing), the rest together at the turn's end, and
 * the guest gets one ACK for all of them then; a FIN behind queued bytes
 * shuts the host socket only after they are written.
 */
static void test_guest_data_turn(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[54 + 100], seg[100], got[400];
	uint16_t sport = 40010;
	uint32_t isn, seq = 1001;
	uv_os_fd_t fd;
	ssize_t n = -1;
	int i, frames;

	f->keep = true;
	syn_frame(buf, tn_ip("10.0.2.2"), sport, f->server_port, 1000);
	unet_hub_input(&f->cap.port, buf, 54);
	run_until(f, 1);
	run_until_accepted(f, 1);
	i = find_flags(&f->cap, TCP_SYN | TCP_ACK);
	assert_true(i >= 0);
	isn = tn_get32(f->cap.data[i] + 38);
	seg_frame(buf, sport, f->server_port, seq, isn + 1, TCP_ACK, NULL, 0);
	unet_hub_input(&f->cap.port, buf, 54);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_non_null(f->kept);
	assert_int_equal(uv_fileno((uv_handle_t *)f->kept, &fd), 0);

	frames = f->cap.frames;
	for (i = 0; i < 3; i++, seq += sizeof(seg)) {
		memset(seg, 'a' + i, sizeof(seg));
		seg_frame(buf, sport, f->server_port, seq, isn + 1,
			  TCP_ACK | TCP_PSH, seg, sizeof(seg));
		unet_hub_input(&f->cap.port, buf, sizeof(buf));
	}
	n = host_take(fd, got, sizeof(got));
	assert_int_equal(n, 100);
	assert_run(got, 100, 'a');
	/* lwIP's ACK of the second segment waits for the turn's end too */
	assert_int_equal(f->cap.frames, frames);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	n = host_take(fd, got, sizeof(got));
	assert_int_equal(n, 200);
	assert_run(got, 100, 'b');
	assert_run(got + 100, 100, 'c');
	/* ... which acknowledges all three, once */
	assert_int_equal(f->cap.frames, frames + 1);
	assert_true(frames < CAP_MAX);
	assert_int_equal(tn_get32(f->cap.data[frames] + 42), seq);

	/*
	 * A new turn, once that write's callback came (the next turn's
	 * pending phase): again one at once, then the rest, then the FIN.
	 */
	uv_run(&f->loop, UV_RUN_NOWAIT);
	for (i = 0; i < 2; i++, seq += sizeof(seg)) {
		memset(seg, 'd' + i, sizeof(seg));
		seg_frame(buf, sport, f->server_port, seq, isn + 1,
			  TCP_ACK | TCP_PSH, seg, sizeof(seg));
		unet_hub_input(&f->cap.port, buf, sizeof(buf));
	}
	seg_frame(buf, sport, f->server_port, seq, isn + 1, TCP_ACK | TCP_FIN,
		  NULL, 0);
	unet_hub_input(&f->cap.port, buf, 54);
	n = host_take(fd, got, sizeof(got));
	assert_int_equal(n, 100);
	assert_run(got, 100, 'd');
	n = host_wait(f, fd, got, sizeof(got));
	assert_int_equal(n, 100);
	assert_run(got, 100, 'e');
	n = host_wait(f, fd, got, sizeof(got));
	assert_int_equal(n, 0); /* EOF: the guest's FIN */
}

/*
 * Opens a flow from the guest's @sport (MSS @mss, window 65535) to the host
 * server, which keeps the connection: its socket in @fd, lwIP's ISN
 * returned.
 */
static uint32_t open_flow(struct fixture *f, uint16_t sport, uint16_t mss,
			  uv_os_fd_t *fd)
{
	uint8_t buf[64];
	uint32_t isn;
	int i;

	f->keep = true;
	unet_hub_input(&f->cap.port, buf,
		       syn_mss_frame(buf, sport, f->server_port, 1000, mss));
	run_until(f, 1);
	run_until_accepted(f, 1);
	i = find_flags(&f->cap, TCP_SYN | TCP_ACK);
	assert_true(i >= 0);
	isn = tn_get32(f->cap.data[i] + 38);
	seg_frame(buf, sport, f->server_port, 1001, isn + 1, TCP_ACK, NULL, 0);
	unet_hub_input(&f->cap.port, buf, 54);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_non_null(f->kept);
	assert_int_equal(uv_fileno((uv_handle_t *)f->kept, fd), 0);
	return isn;
}

/*
 * Opens a flow whose guest (MSS @mss) never acknowledges data, has the host
 * send for half a second, and returns the bytes the proxy moved into lwIP:
 * what the flow's send buffer holds.
 */
static uint64_t held_for_silent_guest(struct fixture *f, uint16_t sport,
				      uint16_t mss)
{
	static uint8_t data[64 * 1024];
	struct unet_flow_info fi;
	uint64_t deadline;
	uv_os_fd_t fd;

	open_flow(f, sport, mss, &fd);
	deadline = uv_hrtime() + 500000000ull;
	while (uv_hrtime() < deadline) {
		(void)send(fd, data, sizeof(data), MSG_DONTWAIT | MSG_NOSIGNAL);
		uv_run(&f->loop, UV_RUN_NOWAIT);
	}
	assert_int_equal(tn_proxy_flows(f->proxy, &fi), 1);
	return fi.bytes_in;
}

static struct unet_stack_stats stack_stats(struct fixture *f)
{
	struct unet_stack_stats st = { .size = sizeof(st) };

	assert_int_equal(unet_stack_stats(f->stack, &st), 0);
	return st;
}

/* The MSS of the hub's MTU: lwIP's segments are as long as the window lets. */
static uint16_t link_mss(struct fixture *f)
{
	return (uint16_t)(unet_hub_mtu(f->hub) - 40);
}

/* The host's byte at offset @o of a stream: no period a shift could hide. */
static uint8_t stream_byte(size_t o)
{
	return (uint8_t)(o ^ (o >> 8) ^ (o >> 16) ^ 0x5a);
}

/*
 * Behind a port that takes TSO frames whole, the host's long reads reach
 * the guest as lwIP's segments over the proxy's read buffer, never copied
 * into lwIP (stack/hostbuf.c): the guest, acknowledging what it gets,
 * receives every byte in order and then the FIN, and the stack counts the
 * segments it sent uncopied.
 */
static void test_host_data_held(void **state)
{
	enum {
		TOTAL = 3 * 256 * 1024 + 12345
	};
	static uint8_t out[TOTAL], in[TOTAL];
	struct fixture *f = *state;
	uint16_t sport = 40030;
	size_t sent = 0, got = 0, o;
	uint64_t deadline = uv_hrtime() + 5000000000ull;
	bool fin = false, shut = false;
	uint8_t buf[64];
	uv_os_fd_t fd;
	uint32_t isn;
	ssize_t n;
	int i;

	for (o = 0; o < TOTAL; o++)
		out[o] = stream_byte(o);
	isn = open_flow(f, sport, link_mss(f), &fd);
	tn_capture_reset(&f->cap);
	while (!fin && uv_hrtime() < deadline) {
		if (sent < TOTAL) {
			n = send(fd, out + sent, TOTAL - sent,
				 MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n > 0)
				sent += (size_t)n;
		} else if (!shut) {
			assert_int_equal(shutdown(fd, SHUT_WR), 0);
			shut = true;
		}
		uv_run(&f->loop, UV_RUN_NOWAIT);
		/* the guest: take what follows in order, acknowledge it */
		for (i = 0; i < f->cap.frames && i < CAP_MAX; i++) {
			const uint8_t *d = f->cap.data[i];
			size_t ihl = (size_t)(d[14] & 0x0f) * 4;
			size_t doff = (size_t)(d[14 + ihl + 12] >> 4) * 4;
			size_t plen = tn_get16(d + 16) - ihl - doff;
			uint32_t seq = tn_get32(d + 14 + ihl + 4);

			assert_true(f->cap.len[i] >= 14 + ihl + doff + plen);
			if (seq != isn + 1 + got)
				continue; /* a retransmission */
			assert_true(got + plen <= TOTAL);
			memcpy(in + got, d + 14 + ihl + doff, plen);
			got += plen;
			if (d[14 + ihl + 13] & TCP_FIN)
				fin = true;
		}
		assert_true(f->cap.frames <= CAP_MAX);
		tn_capture_reset(&f->cap);
		seg_frame(buf, sport, f->server_port, 1001,
			  isn + 1 + (uint32_t)got + (fin ? 1 : 0), TCP_ACK,
			  NULL, 0);
		unet_hub_input(&f->cap.port, buf, 54);
	}
	assert_true(fin);
	assert_int_equal(got, TOTAL);
	assert_memory_equal(in, out, TOTAL);
	assert_true(stack_stats(f).tx_held >= TOTAL / 65535);
}

/*
 * Segments over the proxy's read buffers that the guest never acknowledged
 * (1 MiB, most of it in such segments) free them when the guest resets the
 * connection: the budget's count of the proxy's bytes falls back to where
 * it was, but for the one spare buffer the proxy may keep for the next read
 * (256 KiB).
 */
static void test_host_data_held_reset(void **state)
{
	struct fixture *f = *state;
	uint64_t before = stack_stats(f).mem_proxy, held;
	uint16_t sport = 40031;
	uint8_t buf[64];

	held = held_for_silent_guest(f, sport, link_mss(f));
	assert_true(held >= 1024 * 1024);
	/* reads shorter than 16 KiB were copied into lwIP */
	assert_true(stack_stats(f).mem_proxy >= before + held / 2);
	assert_true(stack_stats(f).tx_held > 0);
	seg_frame(buf, sport, f->server_port, 1001, 0, TCP_RST, NULL, 0);
	unet_hub_input(&f->cap.port, buf, 54);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	assert_int_equal(tn_proxy_flows(f->proxy, NULL), 0);
	assert_true(stack_stats(f).mem_proxy <= before + 256 * 1024);
}

/* Behind a plain port (a VM's NIC model, QEMU): 256 KiB. */
static void test_sndbuf_plain(void **state)
{
	assert_int_equal(held_for_silent_guest(*state, 40020, 1460),
			 256 * 1024);
}

/* Behind a port that takes TSO frames whole: 1 MiB. */
static void test_sndbuf_tso(void **state)
{
	assert_int_equal(held_for_silent_guest(*state, 40021, 1460),
			 1024 * 1024);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
			test_syn_ack_only_after_host_connect, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refused_gets_rst, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_malformed_syn_dropped,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_segments, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_guest_data_turn, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sndbuf_plain, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sndbuf_tso, setup_tso,
						teardown),
		cmocka_unit_test_setup_teardown(test_host_data_held, setup_tso,
						teardown),
		cmocka_unit_test_setup_teardown(test_host_data_held_reset,
						setup_tso, teardown),
		cmocka_unit_test_teardown(test_flow_limit_rst, teardown),
		cmocka_unit_test_teardown(test_loopback_off_rst, teardown),
		cmocka_unit_test_setup_teardown(test_tcp6_syn_ack_after_connect,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_tcp6_refused_gets_rst,
						setup, teardown),
		cmocka_unit_test_teardown(test_tcp6_loopback_off_rst, teardown),
		cmocka_unit_test_setup_teardown(test_tcp6_spoofed_dropped,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
