/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: each input is one Ethernet frame from a hostile guest,
 * fed into a hub that holds the gateway (stack + proxy) and a port that
 * swallows what the gateway answers. The proxy runs with restrict on, so no
 * input can make it open a host socket or send anything off this machine;
 * everything up to that decision (ARP, IPv4/IPv6 parsing, the IPv6
 * extension header chain, reassembly of both families, ICMP and ICMPv6,
 * TCP and UDP demultiplexing, the flow table) is exercised.
 *
 * The first input byte picks a header template (so the fuzzer reaches IPv4,
 * ARP and IPv6 quickly); the rest is the frame after it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <usernet/hub.h>
#include <usernet/proxy.h>
#include <usernet/stack.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_options(void);

/*
 * lwIP's IPv6 reassembly keeps the pointer to each queued fragment in a
 * packed struct inside the previous fragment's bytes (ip6_frag.c with
 * IPV6_FRAG_COPYHEADER), 4 bytes off alignment on 64-bit: LeakSanitizer
 * must look at unaligned words, or fragments still queued look leaked.
 */
const char *__lsan_default_options(void)
{
	return "use_unaligned=1";
}

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
	struct unet_proxy_config pc;
	struct unet_stack_config sc;
	struct unet_hub_config hc;
	struct unet_stack *stack;
	struct unet_proxy *proxy;

	uv_loop_init(&loop);
	unet_hub_config_init(&hc);
	hc.clock_cb = fuzz_clock;
	hc.seed = 1;
	if (unet_hub_new(&loop, &hc, &hub) < 0)
		abort();
	/* No DNS upstream: a fuzzed query must not reach the host's resolver. */
	unet_stack_config_init(&sc);
	strcpy(sc.resolv_conf, "/dev/null");
	if (unet_stack_new(hub, "user", &sc, &stack) < 0)
		abort();
	unet_proxy_config_init(&pc);
	pc.restrict_guest = true;
	pc.max_flows = 64;
	if (unet_proxy_new(stack, &pc, &proxy) < 0)
		abort();
	unet_port_init(&guest, &sink_ops, "guest");
	if (unet_hub_attach(hub, &guest) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t head[3][14] = {
		/* to the gateway's MAC: IPv4, ARP, IPv6 */
		{ 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02, 0x02, 0, 0, 0, 0, 0x0f,
		  0x08, 0x00 },
		{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x0f,
		  0x08, 0x06 },
		{ 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02, 0x02, 0, 0, 0, 0, 0x0f,
		  0x86, 0xdd },
	};
	static uint8_t frame[65536 + 14];

	if (hub == NULL)
		fuzz_init();
	if (size == 0)
		return 0;
	if (data[0] < 3) {
		if (size - 1 > sizeof(frame) - 14)
			return 0;
		memcpy(frame, head[data[0]], 14);
		memcpy(frame + 14, data + 1, size - 1);
		unet_hub_input(&guest, frame, size - 1 + 14);
	} else {
		unet_hub_input(&guest, data + 1, size - 1);
	}
	/* Let lwIP's timers run now and then (reassembly expiry, ARP). */
	now_ns += 50 * 1000000ull;
	uv_run(&loop, UV_RUN_NOWAIT);
	return 0;
}
