/* SPDX-License-Identifier: MIT */
/*
 * Lifecycle of a whole embedding: a hub with a callback port, a pcap dump
 * port, the gateway and the NAT proxy is made, used and closed 1000 times
 * on one loop, as an embedder that reconfigures its network would.
 *
 *   callback port (the test's "guest") --+
 *   dump port -> lifecycle.pcap ---------+-- hub -- stack -- proxy -- UDP
 *                                                                 socket on
 *                                                                 127.0.0.1
 *
 * Each round sends an ARP request (answered by the gateway) and a UDP
 * datagram to 10.0.2.2, which the proxy carries to a socket on the host's
 * loopback; the socket answers, and the answer must reach the guest: a
 * flow with its host socket is opened every round. Then everything is
 * closed, the loop runs until it has nothing left (uv_loop_alive() is
 * false), and the next round starts. At the end no file descriptor may be
 * left open that was not open before, and (in the sanitizer build)
 * LeakSanitizer finds no memory left behind. lwIP allows one stack per
 * process at a time: a round makes its stack only after the previous one
 * is gone.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <usernet/usernet.h>

#include "testnet.h"

#define ROUNDS 1000
#define ROUND_MS 2000		/* deadline of each round's exchanges */
#define GUEST_PORT 40000

/**
 * struct round - the test's side of one round
 * @port: the callback port, the guest's NIC
 * @arp_replies: ARP replies from the gateway the guest received
 * @udp_replies: UDP datagrams from 10.0.2.2 to GUEST_PORT it received
 * @sink: the host's UDP socket the guest's datagrams go to (non-blocking)
 * @echoed: the sink answered this round's datagram
 */
struct round {
	struct unet_port *port;
	unsigned int arp_replies;
	unsigned int udp_replies;
	int sink;
	bool echoed;
};

/* How many file descriptors the process has open now. */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

/* The guest's NIC: counts the replies it is waiting for. */
static int guest_rx(void *opaque, const void *frame, size_t len)
{
	struct round *r = opaque;
	const uint8_t *p = frame;

	if (len >= 42 && tn_get16(p + 12) == 0x0806 && tn_get16(p + 20) == 2)
		r->arp_replies++;
	if (len >= 42 && tn_get16(p + 12) == 0x0800 && p[23] == 17 &&
	    tn_get16(p + 36) == GUEST_PORT)
		r->udp_replies++;
	return 0;
}

/* The guest sends a UDP datagram from 10.0.2.15 to 10.0.2.2:@dport. */
static void guest_send_udp(struct round *r, uint16_t dport, uint16_t ip_id)
{
	static const char data[] = "lifecycle";
	uint32_t src = tn_ip("10.0.2.15"), dst = tn_ip("10.0.2.2");
	uint8_t buf[128];
	uint8_t *u = buf + 34;
	size_t len = sizeof(data);

	tn_ip_header(buf, tn_gw_mac, src, dst, 17, 20 + 8 + len, ip_id, 0);
	tn_put16(u, GUEST_PORT);
	tn_put16(u + 2, dport);
	tn_put16(u + 4, (uint16_t)(8 + len));
	tn_put16(u + 6, 0);
	memcpy(u + 8, data, len);
	tn_put16(u + 6, tn_l4_csum(src, dst, 17, u, 8 + len));
	assert_int_equal(unet_cb_port_input(r->port, buf, 34 + 8 + len), 0);
}

/* Done when the gateway answered ARP and the sink's answer came back; the
 * sink answers (once) whatever it received. */
static bool round_done(void *arg)
{
	struct round *r = arg;
	struct sockaddr_in from;
	socklen_t fromlen = sizeof(from);
	char buf[64];
	ssize_t n;

	if (!r->echoed) {
		n = recvfrom(r->sink, buf, sizeof(buf), MSG_DONTWAIT,
			     (struct sockaddr *)&from, &fromlen);
		if (n > 0) {
			assert_int_equal(sendto(r->sink, buf, (size_t)n, 0,
						(struct sockaddr *)&from,
						fromlen), n);
			r->echoed = true;
		}
	}
	return r->arp_replies > 0 && r->udp_replies > 0;
}

static void test_lifecycle_1000(void **state)
{
	char dir[] = "/tmp/unet-lifecycle.XXXXXX";
	char path[64];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t salen = sizeof(sa);
	uint8_t arp[60];
	uv_loop_t loop;
	int fds_before, fds_loop, i;
	struct round r;

	(void)state;
	/* libuv opens a process-wide pipe with its first loop and keeps it
	 * for the life of the process: let it do so before counting. */
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(uv_loop_close(&loop), 0);
	fds_before = count_fds();
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/lifecycle.pcap", dir);
	memset(&r, 0, sizeof(r));
	r.sink = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	assert_true(r.sink >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(r.sink, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(r.sink, (struct sockaddr *)&sa, &salen), 0);
	assert_int_equal(uv_loop_init(&loop), 0);
	fds_loop = count_fds();

	for (i = 0; i < ROUNDS; i++) {
		struct unet_hub *hub = NULL;
		struct unet_stack *stack = NULL;
		struct unet_proxy *proxy = NULL;
		struct unet_port *dump = NULL;

		r.port = NULL;
		r.arp_replies = r.udp_replies = 0;
		r.echoed = false;
		assert_int_equal(unet_hub_new(&loop, NULL, &hub), 0);
		assert_int_equal(unet_cb_port_open(hub, "guest", guest_rx, &r,
						   &r.port), 0);
		assert_int_equal(unet_dump_open(hub, "dump", path, 0, &dump), 0);
		assert_int_equal(unet_stack_new(hub, "user", NULL, &stack), 0);
		assert_int_equal(unet_proxy_new(stack, NULL, &proxy), 0);

		tn_arp_request(arp, tn_bcast, tn_ip("10.0.2.15"),
			       tn_ip("10.0.2.2"));
		assert_int_equal(unet_cb_port_input(r.port, arp, sizeof(arp)), 0);
		guest_send_udp(&r, ntohs(sa.sin_port), (uint16_t)i);
		if (!tn_run_until(&loop, round_done, &r, ROUND_MS))
			fail_msg("round %d: %u ARP replies, sink %s, %u UDP replies",
				 i, r.arp_replies,
				 r.echoed ? "answered" : "got nothing",
				 r.udp_replies);
		assert_int_equal(tn_proxy_stats(proxy).udp_opened, 1);
		assert_true(dump->stats.out_frames >= 4);

		/* The proxy works on the stack's pcbs: it goes first. The hub
		 * closes its ports: the callback, dump and stack ports. */
		unet_proxy_close(proxy);
		unet_hub_close(hub);
		uv_run(&loop, UV_RUN_DEFAULT);
		if (uv_loop_alive(&loop))
			fail_msg("round %d: the loop still has handles after "
				 "every close", i);
		if (count_fds() != fds_loop)
			fail_msg("round %d: %d fds open after every close, "
				 "%d before the first round", i, count_fds(),
				 fds_loop);
	}

	assert_int_equal(uv_loop_close(&loop), 0);
	close(r.sink);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(count_fds(), fds_before);
}

/* While a stack lives, no second one can be made; once it closed and the
 * loop ran, one can. */
static void test_one_stack_at_a_time(void **state)
{
	struct unet_hub *hub, *hub2;
	struct unet_stack *stack, *stack2;
	struct unet_proxy *proxy, *proxy2 = NULL;
	uv_loop_t loop;

	(void)state;
	assert_int_equal(uv_loop_init(&loop), 0);
	assert_int_equal(unet_hub_new(&loop, NULL, &hub), 0);
	assert_int_equal(unet_hub_new(&loop, NULL, &hub2), 0);
	assert_int_equal(unet_stack_new(hub, "user", NULL, &stack), 0);
	assert_int_equal(unet_stack_new(hub2, "user", NULL, &stack2), -EBUSY);
	/* One proxy per stack; another after the first closed. */
	assert_int_equal(unet_proxy_new(stack, NULL, &proxy), 0);
	assert_int_equal(unet_proxy_new(stack, NULL, &proxy2), -EBUSY);
	assert_null(proxy2);
	unet_proxy_close(proxy);
	assert_int_equal(unet_proxy_new(stack, NULL, &proxy2), 0);
	unet_proxy_close(proxy2);
	uv_run(&loop, UV_RUN_DEFAULT);
	unet_stack_close(stack);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(unet_stack_new(hub2, "user", NULL, &stack2), 0);
	unet_hub_close(hub);
	unet_hub_close(hub2);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_false(uv_loop_alive(&loop));
	assert_int_equal(uv_loop_close(&loop), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lifecycle_1000),
		cmocka_unit_test(test_one_stack_at_a_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
