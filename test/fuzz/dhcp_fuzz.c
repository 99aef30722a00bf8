/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target of the DHCP server: each input is the UDP payload of a
 * broadcast frame from 0.0.0.0:68 to 255.255.255.255:67 (IP and UDP lengths
 * right, UDP checksum 0, which IPv4 allows), fed through the hub to the
 * gateway; a port swallows the replies. The pool is small (4 addresses) and
 * every option is configured, so that exhaustion, expiry and the reply
 * builder's size limits are reached; the clock moves a minute per input,
 * so offers, declines and leases expire along the way.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <usernet/hub.h>
#include <usernet/stack.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uv_loop_t loop;
static struct unet_hub *hub;
static struct unet_port guest;
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

static void fuzz_init(void)
{
	struct unet_stack_config sc;
	struct unet_hub_config hc;
	struct unet_stack *stack;

	uv_loop_init(&loop);
	unet_hub_config_init(&hc);
	hc.clock_cb = fuzz_clock;
	hc.seed = 1;
	if (unet_hub_new(&loop, &hc, &hub) < 0)
		abort();
	unet_stack_config_init(&sc);
	sc.dhcp_count = 4;
	strcpy(sc.hostname, "guest1");
	strcpy(sc.domainname, "example.com");
	strcpy(sc.dnssearch, "example.com,test.local,a.example.com,"
			     "a-rather-long-domain-name.example.org,"
			     "another-long-domain-name.example.net,"
			     "and-one-more-to-pass-255.example.com,"
			     "sub.a-rather-long-domain-name.example.org,"
			     "x.y.z.test.local");
	strcpy(sc.bootfile, "pxelinux.0");
	strcpy(sc.tftp_server_name, "boot.example.com");
	if (unet_stack_new(hub, "user", &sc, &stack) < 0)
		abort();
	unet_port_init(&guest, &sink_ops, "guest");
	if (unet_hub_attach(hub, &guest) < 0)
		abort();
}

static uint16_t fuzz_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[14 + 20 + 8 + 65507];
	uint8_t *ip = frame + 14, *udp = frame + 34;
	size_t iplen = 20 + 8 + size;
	uint16_t c;

	if (hub == NULL)
		fuzz_init();
	if (size > 65507)
		return 0;
	memset(frame, 0xff, 6);			/* broadcast */
	memcpy(frame + 6, "\x02\x00\x00\x00\x00\x0f", 6);
	frame[12] = 0x08;
	frame[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(iplen >> 8);
	ip[3] = (uint8_t)iplen;
	ip[8] = 64;
	ip[9] = 17;
	memset(ip + 16, 0xff, 4);		/* 0.0.0.0 -> 255.255.255.255 */
	c = fuzz_csum(ip, 20);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	udp[0] = 0;
	udp[1] = 68;
	udp[2] = 0;
	udp[3] = 67;
	udp[4] = (uint8_t)((8 + size) >> 8);
	udp[5] = (uint8_t)(8 + size);
	udp[6] = 0;				/* no checksum */
	udp[7] = 0;
	if (size > 0)
		memcpy(udp + 8, data, size);
	unet_hub_input(&guest, frame, 14 + iplen);
	now_ns += 60ull * 1000000000u;
	uv_run(&loop, UV_RUN_NOWAIT);
	return 0;
}
