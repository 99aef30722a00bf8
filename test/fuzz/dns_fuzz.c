/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: each input is the payload of one UDP datagram from a
 * hostile guest, 10.0.2.15:5353 to the DNS forwarder on 10.0.2.3:53 (the
 * Ethernet, IP and UDP headers are built here with correct lengths and UDP
 * checksum 0), fed through the hub that holds the gateway.
 *
 * Nothing leaves the machine: the forwarder's upstreams are a reflector on
 * 127.0.0.1 in this process, then 127.0.0.1:9 (discard; nobody listens
 * there on a test machine, so the socket reports refusal). The reflector
 * sends each forwarded query back with QR set, so that the accepted-reply
 * path runs too (and its truncation for queries over 512 bytes); it stays
 * silent for a query whose Z bit (0x0040) is set, so the timeout, the
 * failover to the second upstream and SERVFAIL run as well. Timers are the
 * loop's, run without waiting after every input.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <usernet/hub.h>
#include <usernet/stack.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define UDP_PAYLOAD_MAX 65507

static uv_loop_t loop;
static struct unet_hub *hub;
static struct unet_port guest;
static uv_udp_t reflector;
static uint8_t rbuf[65536];
static uint64_t now_ns;

static int sink_send(struct unet_port *port, const void *frame, size_t len)
{
	(void)port;
	(void)frame;
	(void)len;
	return 0;
}

static void sink_close(struct unet_port *port)
{
	unet_hub_detach(port);
}

static const struct unet_port_ops sink_ops = {
	.name = "fuzz",
	.send = sink_send,
	.close = sink_close,
};

static uint64_t fuzz_clock(void *opaque)
{
	(void)opaque;
	return now_ns;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void reflect_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)h;
	(void)suggested;
	*buf = uv_buf_init((char *)rbuf, sizeof(rbuf));
}

static void reflect_recv(uv_udp_t *sock, ssize_t nread, const uv_buf_t *buf,
			 const struct sockaddr *addr, unsigned int flags)
{
	uv_buf_t b;

	(void)flags;
	if (nread < 12 || addr == NULL || (rbuf[3] & 0x40) != 0)
		return;
	rbuf[2] |= 0x80;
	b = uv_buf_init(buf->base, (unsigned int)nread);
	uv_udp_try_send(sock, &b, 1, addr);
}

static uint16_t ip_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* Writes Ethernet and IPv4 headers from the guest to 10.0.2.3. */
static void ip_header(uint8_t *f, uint8_t proto, size_t iplen)
{
	static const uint8_t gw_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
	static const uint8_t g_mac[6] = { 0x02, 0, 0, 0, 0, 0x0f };
	static const uint8_t src[4] = { 10, 0, 2, 15 }, dst[4] = { 10, 0, 2, 3 };
	uint8_t *ip = f + 14;

	memcpy(f, gw_mac, 6);
	memcpy(f + 6, g_mac, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)iplen);
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, src, 4);
	memcpy(ip + 16, dst, 4);
	put16(ip + 10, ip_csum(ip, 20));
}

static void fuzz_init(void)
{
	static const uint8_t arp[42] = {
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x0f,
		0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1,
		0x02, 0, 0, 0, 0, 0x0f, 10, 0, 2, 15,
		0, 0, 0, 0, 0, 0, 10, 0, 2, 2,
	};
	struct unet_stack_config sc;
	struct unet_hub_config hc;
	struct unet_stack *stack;
	struct sockaddr_in sa;
	int len = sizeof(sa);

	uv_loop_init(&loop);
	unet_hub_config_init(&hc);
	hc.clock_cb = fuzz_clock;
	hc.seed = 1;
	if (unet_hub_new(&loop, &hc, &hub) < 0)
		abort();

	uv_udp_init(&loop, &reflector);
	uv_ip4_addr("127.0.0.1", 0, &sa);
	if (uv_udp_bind(&reflector, (struct sockaddr *)&sa, 0) < 0 ||
	    uv_udp_getsockname(&reflector, (struct sockaddr *)&sa, &len) < 0 ||
	    uv_udp_recv_start(&reflector, reflect_alloc, reflect_recv) < 0)
		abort();

	unet_stack_config_init(&sc);
	sc.dns_upstream[0] = sa;
	uv_ip4_addr("127.0.0.1", 9, &sc.dns_upstream[1]);
	sc.n_dns_upstream = 2;
	if (unet_stack_new(hub, "user", &sc, &stack) < 0)
		abort();
	unet_port_init(&guest, &sink_ops, "guest");
	if (unet_hub_attach(hub, &guest) < 0)
		abort();
	/* The guest's ARP request teaches the gateway its MAC. */
	unet_hub_input(&guest, arp, sizeof(arp));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[14 + 20 + 8 + UDP_PAYLOAD_MAX];
	uint8_t *udp = frame + 34;

	if (hub == NULL)
		fuzz_init();
	if (size > UDP_PAYLOAD_MAX)
		return 0;
	ip_header(frame, 17, 20 + 8 + size);
	put16(udp, 5353);
	put16(udp + 2, 53);
	put16(udp + 4, (uint16_t)(8 + size));
	put16(udp + 6, 0);
	if (size > 0)
		memcpy(udp + 8, data, size);
	unet_hub_input(&guest, frame, 34 + 8 + size);
	/* Let the upstream sockets and timers run now and then. */
	now_ns += 50 * 1000000ull;
	uv_run(&loop, UV_RUN_NOWAIT);
	return 0;
}
