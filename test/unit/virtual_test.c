/* SPDX-License-Identifier: MIT */
/*
 * Determinism on a virtual clock: a hub (virtual clock, fixed seed), the
 * gateway, the proxy in restrict mode (no host sockets) and a callback port
 * playing the guest. The guest asks for a DHCP lease, the gateway's MAC,
 * a TCP connection the proxy refuses, an ICMP echo and a TFTP file it never
 * acknowledges; the clock then moves through several seconds (lwIP's
 * timers, MLD, TFTP retransmissions). Everything the guest receives is
 * recorded with the virtual time it arrived at.
 *
 * The same seed must give the same record byte for byte, also for a second
 * stack in the same process (lwIP is process-wide and outlives a stack); a
 * different seed must change it. Nothing may happen while time stands still.
 */
#include <arpa/inet.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <usernet/ports.h>
#include <usernet/proxy.h>
#include <usernet/stack.h>

#include "testnet.h"

#define MS 1000000ull
#define EPOCH_NS (1700000000ull * 1000000000u)
#define GUEST_TCP_PORT 40000
#define GUEST_TFTP_PORT 3000

/* What the guest received in one run: per frame, time, length and bytes. */
struct record {
	uint8_t *data;
	size_t len;
	size_t cap;
	int frames;
	/* TFTP DATA blocks the guest received */
	int tftp_data;
	/* TCP segments with RST the guest received */
	int tcp_rst;
	/* where the first of them is in @data, and its length */
	size_t rst_off;
	size_t rst_len;
	/* ICMP echo replies the guest received */
	int echo_replies;
	/* DHCP replies the guest received */
	int dhcp;
};

struct run {
	uv_loop_t loop;
	struct unet_hub *hub;
	struct unet_stack *stack;
	struct unet_proxy *proxy;
	struct unet_port *guest;
	struct record rec;
};

static char root[64];

static void record_put(struct record *r, const void *p, size_t n)
{
	if (r->len + n > r->cap) {
		r->cap = (r->len + n) * 2;
		r->data = realloc(r->data, r->cap);
		assert_non_null(r->data);
	}
	memcpy(r->data + r->len, p, n);
	r->len += n;
}

/* Counts what kind of frame the guest got, for the assertions. */
static void record_classify(struct record *r, const uint8_t *f, size_t len,
			    size_t off)
{
	const uint8_t *l4;
	size_t ihl;

	if (len < 34 || f[12] != 0x08 || f[13] != 0x00)
		return;
	ihl = (size_t)(f[14] & 0x0f) * 4;
	if (len < 14 + ihl + 8)
		return;
	l4 = f + 14 + ihl;
	switch (f[23]) {
	case 6:
		if (len >= 14 + ihl + 20 && (l4[13] & 0x04) != 0 &&
		    r->tcp_rst++ == 0) {
			r->rst_off = off;
			r->rst_len = len;
		}
		break;
	case 1:
		if (l4[0] == 0)
			r->echo_replies++;
		break;
	case 17:
		if (tn_get16(l4) == 67)
			r->dhcp++;
		else if (tn_get16(l4 + 2) == GUEST_TFTP_PORT &&
			 len >= 14 + ihl + 10 && tn_get16(l4 + 8) == 3)
			r->tftp_data++;
		break;
	default:
		break;
	}
}

static int guest_rx(void *opaque, const void *frame, size_t len)
{
	struct run *run = opaque;
	uint64_t now = unet_hub_now_ns(run->hub);
	uint32_t n = (uint32_t)len;

	record_put(&run->rec, &now, sizeof(now));
	record_put(&run->rec, &n, sizeof(n));
	record_classify(&run->rec, frame, len, run->rec.len);
	record_put(&run->rec, frame, len);
	run->rec.frames++;
	return 0;
}

static void guest_send(struct run *run, const uint8_t *frame, size_t len)
{
	assert_int_equal(unet_cb_port_input(run->guest, frame, len), 0);
}

/* Builds an UDP datagram from the guest; returns the frame's length. */
static size_t udp_frame(uint8_t *buf, const uint8_t *dmac, uint32_t src,
			uint32_t dst, uint16_t sport, uint16_t dport,
			const void *data, size_t n)
{
	size_t off = tn_ip_header(buf, dmac, src, dst, 17, 20 + 8 + n, 1, 0);
	uint8_t *udp = buf + off;

	tn_put16(udp, sport);
	tn_put16(udp + 2, dport);
	tn_put16(udp + 4, (uint16_t)(8 + n));
	tn_put16(udp + 6, 0);
	memcpy(udp + 8, data, n);
	tn_put16(udp + 6, tn_l4_csum(src, dst, 17, udp, 8 + n));
	return off + 8 + n;
}

static void send_dhcp_discover(struct run *run)
{
	uint8_t msg[300], frame[400];
	size_t n;

	memset(msg, 0, sizeof(msg));
	msg[0] = 1; /* BOOTREQUEST */
	msg[1] = 1; /* Ethernet */
	msg[2] = 6;
	tn_put32(msg + 4, 0x12345678); /* xid */
	memcpy(msg + 28, tn_guest_mac, 6);
	tn_put32(msg + 236, 0x63825363); /* magic cookie */
	n = 240;
	msg[n++] = 53; /* DHCP message type */
	msg[n++] = 1;
	msg[n++] = 1; /* DISCOVER */
	msg[n++] = 255;
	n = udp_frame(frame, tn_bcast, 0, htonl(0xffffffff), 68, 67, msg,
		      n);
	guest_send(run, frame, n);
}

static void send_arp(struct run *run)
{
	uint8_t frame[60];

	tn_arp_request(frame, tn_bcast, tn_ip("10.0.2.15"), tn_ip("10.0.2.2"));
	guest_send(run, frame, sizeof(frame));
}

static void send_syn(struct run *run, uint32_t dst, uint16_t dport)
{
	uint8_t frame[60];
	uint32_t src = tn_ip("10.0.2.15");
	size_t off = tn_ip_header(frame, tn_gw_mac, src, dst, 6, 40, 2, 0);
	uint8_t *tcp = frame + off;

	memset(tcp, 0, 20);
	tn_put16(tcp, GUEST_TCP_PORT);
	tn_put16(tcp + 2, dport);
	tn_put32(tcp + 4, 1000);
	tcp[12] = 5 << 4;
	tcp[13] = 0x02; /* SYN */
	tn_put16(tcp + 14, 65535);
	tn_put16(tcp + 16, tn_l4_csum(src, dst, 6, tcp, 20));
	guest_send(run, frame, off + 20);
}

static void send_echo(struct run *run)
{
	uint8_t frame[60];
	uint32_t src = tn_ip("10.0.2.15"), dst = tn_ip("10.0.2.2");
	size_t off = tn_ip_header(frame, tn_gw_mac, src, dst, 1, 20 + 16, 3,
				  0);
	uint8_t *icmp = frame + off;

	memset(icmp, 0, 16);
	icmp[0] = 8; /* echo request */
	tn_put16(icmp + 4, 0x4242);
	tn_put16(icmp + 6, 1);
	memcpy(icmp + 8, "usernet!", 8);
	tn_put16(icmp + 2, tn_csum(icmp, 16));
	guest_send(run, frame, off + 16);
}

static void send_rrq(struct run *run)
{
	static const char rrq[] = "\0\1boot.bin\0octet";
	uint8_t frame[100];
	size_t n;

	n = udp_frame(frame, tn_gw_mac, tn_ip("10.0.2.15"), tn_ip("10.0.2.2"),
		      GUEST_TFTP_PORT, 69, rrq, sizeof(rrq));
	guest_send(run, frame, n);
}

static void run_start(struct run *run, uint64_t seed)
{
	struct unet_stack_config sc;
	struct unet_proxy_config pc;
	struct unet_hub_config hc;

	memset(run, 0, sizeof(*run));
	assert_int_equal(uv_loop_init(&run->loop), 0);
	unet_hub_config_init(&hc);
	hc.virtual_clock = true;
	hc.seed = seed;
	hc.epoch_ns = EPOCH_NS;
	assert_int_equal(unet_hub_new(&run->loop, &hc, &run->hub), 0);
	unet_stack_config_init(&sc);
	snprintf(sc.tftp_root, sizeof(sc.tftp_root), "%s", root);
	/* One upstream that is never asked: the host's resolv.conf stays out. */
	sc.n_dns_upstream = 1;
	sc.dns_upstream[0].sin_family = AF_INET;
	sc.dns_upstream[0].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sc.dns_upstream[0].sin_port = htons(9);
	assert_int_equal(unet_stack_new(run->hub, "user", &sc, &run->stack), 0);
	unet_proxy_config_init(&pc);
	pc.restrict_guest = true;
	assert_int_equal(unet_proxy_new(run->stack, &pc, &run->proxy), 0);
	assert_int_equal(unet_cb_port_open(run->hub, "guest", guest_rx, run,
					   &run->guest),
			 0);
}

static void run_stop(struct run *run)
{
	unet_proxy_close(run->proxy);
	unet_port_close(run->guest);
	unet_stack_close(run->stack);
	unet_hub_close(run->hub);
	assert_int_equal(uv_run(&run->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&run->loop), 0);
}

/* The whole scenario; the record is left in @run->rec for the caller. */
static void scenario(struct run *run, uint64_t seed)
{
	int i;

	run_start(run, seed);
	send_dhcp_discover(run);
	send_arp(run);
	assert_int_equal(unet_hub_clock_advance(run->hub, 10 * MS), 0);
	send_syn(run, tn_ip("10.0.2.2"), 1);
	send_syn(run, tn_ip("192.0.2.1"), 80);
	send_echo(run);
	assert_int_equal(unet_hub_clock_advance(run->hub, 10 * MS), 0);
	send_rrq(run);
	for (i = 0; i < 40; i++)
		assert_int_equal(unet_hub_clock_advance(run->hub, 125 * MS), 0);
	/* The loop has nothing to do with it: running it changes nothing. */
	uv_run(&run->loop, UV_RUN_NOWAIT);
	assert_int_equal(unet_hub_clock_advance(run->hub, 1000 * MS), 0);

	assert_int_equal(run->rec.dhcp, 1);
	assert_int_equal(run->rec.tcp_rst, 2);
	assert_int_equal(run->rec.echo_replies, 1);
	/* the first DATA and five resends, one a second (TFTP_TRIES_MAX) */
	assert_int_equal(run->rec.tftp_data, 6);
	run_stop(run);
}

static void test_same_seed_same_bytes(void **state)
{
	struct run *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	scenario(a, 42);
	scenario(b, 42);
	assert_true(a->rec.frames > 10);
	assert_int_equal(a->rec.frames, b->rec.frames);
	assert_int_equal(a->rec.len, b->rec.len);
	assert_memory_equal(a->rec.data, b->rec.data, a->rec.len);
	free(a->rec.data);
	free(b->rec.data);
	free(a);
	free(b);
}

static void test_other_seed_other_bytes(void **state)
{
	struct run *a = calloc(1, sizeof(*a)), *b = calloc(1, sizeof(*b));

	(void)state;
	assert_non_null(a);
	assert_non_null(b);
	scenario(a, 42);
	scenario(b, 43);
	/* The same conversation, in other numbers (ids, ports, timing). */
	assert_int_equal(a->rec.tftp_data, b->rec.tftp_data);
	assert_true(a->rec.len != b->rec.len ||
		    memcmp(a->rec.data, b->rec.data, a->rec.len) != 0);
	/* lwIP's RST to the refused SYN: its IPv4 id comes from the hub */
	assert_int_equal(a->rec.rst_len, b->rec.rst_len);
	assert_memory_not_equal(a->rec.data + a->rec.rst_off,
				b->rec.data + b->rec.rst_off, a->rec.rst_len);
	assert_memory_equal(a->rec.data + a->rec.rst_off + 34,
			    b->rec.data + b->rec.rst_off + 34, 20);
	free(a->rec.data);
	free(b->rec.data);
	free(a);
	free(b);
}

/* A TFTP resend waits for the virtual clock, not for the loop or the host. */
static void test_nothing_happens_until_advanced(void **state)
{
	struct run *run = calloc(1, sizeof(*run));
	uint64_t in;
	int i;

	(void)state;
	assert_non_null(run);
	run_start(run, 7);
	send_arp(run);
	send_rrq(run);
	assert_int_equal(run->rec.tftp_data, 1);
	for (i = 0; i < 5; i++)
		uv_run(&run->loop, UV_RUN_NOWAIT);
	usleep(20000);
	uv_run(&run->loop, UV_RUN_NOWAIT);
	assert_int_equal(run->rec.tftp_data, 1);
	assert_int_equal(unet_hub_now_ns(run->hub), 0);
	assert_int_equal(unet_hub_realtime_ns(run->hub), EPOCH_NS);
	/* something is pending: lwIP's timers at least */
	assert_int_equal(unet_hub_next_timer(run->hub, &in), 0);
	assert_true(in <= 1000 * MS);
	/* the resend is due at 1 s (TFTP's default timeout) and not before */
	assert_int_equal(unet_hub_clock_advance(run->hub, 999 * MS), 0);
	assert_int_equal(run->rec.tftp_data, 1);
	assert_int_equal(unet_hub_clock_advance(run->hub, MS), 0);
	assert_int_equal(run->rec.tftp_data, 2);
	run_stop(run);
	free(run->rec.data);
	free(run);
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int group_setup(void **state)
{
	char path[128];
	FILE *f;
	int i;

	(void)state;
	snprintf(root, sizeof(root), "/tmp/unet-virtual-XXXXXX");
	if (mkdtemp(root) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/boot.bin", root);
	f = fopen(path, "w");
	if (f == NULL)
		return -1;
	/* Three blocks: the guest never gets past the first. */
	for (i = 0; i < 1300; i++)
		fputc(i & 0xff, f);
	fclose(f);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	return nftw(root, rm_entry, 8, FTW_DEPTH | FTW_PHYS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_seed_same_bytes),
		cmocka_unit_test(test_other_seed_other_bytes),
		cmocka_unit_test(test_nothing_happens_until_advanced),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
