/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the gateway: frames in on a hub, replies captured by a test
 * port on the same hub. ARP for the gateway and DNS addresses, ICMP echo to
 * both, frames for other MACs, malformed frames, configuration checks.
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
#include <usernet/stack.h>

#include "testnet.h"

struct fixture {
	uv_loop_t loop;
	struct unet_hub *hub;
	struct unet_stack *stack;
	struct tn_capture cap;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	assert_int_equal(unet_hub_new(&f->loop, NULL, &f->hub), 0);
	tn_capture_init(&f->cap, NULL, 16);
	tn_capture_attach(&f->cap, f->hub);
	assert_int_equal(unet_stack_new(f->hub, "user", NULL, &f->stack), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unet_hub_close(f->hub);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	tn_capture_reset(&f->cap);
	free(f);
	return 0;
}

static size_t icmp_echo(uint8_t *buf, uint32_t src, uint32_t dst,
			uint16_t seq, size_t payload)
{
	uint8_t *iph = buf + 14, *icmp = buf + 34;
	size_t iplen = 20 + 8 + payload;
	uint16_t c;

	memcpy(buf, tn_gw_mac, 6);
	memcpy(buf + 6, tn_guest_mac, 6);
	buf[12] = 0x08;
	buf[13] = 0x00;
	memset(iph, 0, 20);
	iph[0] = 0x45;
	iph[2] = (uint8_t)(iplen >> 8);
	iph[3] = (uint8_t)iplen;
	iph[4] = 0x12; iph[5] = 0x34;
	iph[8] = 64;
	iph[9] = 1;
	memcpy(iph + 12, &src, 4);
	memcpy(iph + 16, &dst, 4);
	c = tn_csum(iph, 20);
	iph[10] = (uint8_t)(c >> 8);
	iph[11] = (uint8_t)c;
	memset(icmp, 0, 8);
	icmp[0] = 8;
	icmp[4] = 0xbe; icmp[5] = 0xef;
	icmp[6] = (uint8_t)(seq >> 8);
	icmp[7] = (uint8_t)seq;
	memset(icmp + 8, 0x5a, payload);
	c = tn_csum(icmp, 8 + payload);
	icmp[2] = (uint8_t)(c >> 8);
	icmp[3] = (uint8_t)c;
	return 14 + iplen;
}

static void assert_arp_reply(const struct tn_capture *c, int i, uint32_t spa)
{
	const uint8_t *r = c->data[i];
	uint32_t tpa = htonl(0x0a00020f);

	assert_true(c->len[i] >= 42);
	assert_memory_equal(r, tn_guest_mac, 6);
	assert_memory_equal(r + 6, tn_gw_mac, 6);
	assert_int_equal(r[12], 0x08);
	assert_int_equal(r[13], 0x06);
	assert_int_equal(r[21], 2);		/* reply */
	assert_memory_equal(r + 22, tn_gw_mac, 6);	/* sender MAC */
	assert_memory_equal(r + 28, &spa, 4);	/* sender address */
	assert_memory_equal(r + 32, tn_guest_mac, 6);
	assert_memory_equal(r + 38, &tpa, 4);
}

static void test_arp_gateway(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[60];

	tn_arp_request(buf, tn_bcast, tn_ip("10.0.2.15"), tn_ip("10.0.2.2"));
	assert_int_equal(unet_hub_input(&f->cap.port, buf, 60), 0);
	assert_int_equal(f->cap.frames, 1);
	assert_arp_reply(&f->cap, 0, tn_ip("10.0.2.2"));
}

static void test_arp_dns_alias(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[60];

	tn_arp_request(buf, tn_bcast, tn_ip("10.0.2.15"), tn_ip("10.0.2.3"));
	assert_int_equal(unet_hub_input(&f->cap.port, buf, 60), 0);
	assert_int_equal(f->cap.frames, 1);
	assert_arp_reply(&f->cap, 0, tn_ip("10.0.2.3"));
}

static void test_arp_others_unanswered(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[60];

	tn_arp_request(buf, tn_bcast, tn_ip("10.0.2.15"), tn_ip("10.0.2.4"));
	unet_hub_input(&f->cap.port, buf, 60);
	tn_arp_request(buf, tn_bcast, tn_ip("10.0.2.15"), tn_ip("10.0.2.15"));
	unet_hub_input(&f->cap.port, buf, 60);
	assert_int_equal(f->cap.frames, 0);
}

static void test_ping(void **state, const char *dst)
{
	struct fixture *f = *state;
	uint8_t buf[200];
	const uint8_t *r;
	size_t len;
	uint32_t a = tn_ip(dst), g = tn_ip("10.0.2.15");

	tn_learn_guest(&f->cap);
	len = icmp_echo(buf, g, a, 7, 56);
	assert_int_equal(unet_hub_input(&f->cap.port, buf, len), 0);
	assert_int_equal(f->cap.frames, 1);
	r = f->cap.data[0];
	assert_int_equal(f->cap.len[0], len);
	assert_memory_equal(r, tn_guest_mac, 6);
	assert_memory_equal(r + 6, tn_gw_mac, 6);
	assert_int_equal(r[23], 1);		/* ICMP */
	assert_memory_equal(r + 26, &a, 4);	/* from the address pinged */
	assert_memory_equal(r + 30, &g, 4);
	assert_int_equal(tn_csum(r + 14, 20), 0);
	assert_int_equal(r[34], 0);		/* echo reply */
	assert_int_equal(r[41], 7);		/* same sequence */
	assert_int_equal(tn_csum(r + 34, len - 34), 0);
	assert_memory_equal(r + 42, buf + 42, 56);
}

static void test_ping_gateway(void **state)
{
	test_ping(state, "10.0.2.2");
}

static void test_ping_dns(void **state)
{
	test_ping(state, "10.0.2.3");
}

static void test_ping_elsewhere_unanswered(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[200];
	size_t len;

	tn_learn_guest(&f->cap);
	len = icmp_echo(buf, tn_ip("10.0.2.15"), tn_ip("10.0.2.9"), 1, 56);
	unet_hub_input(&f->cap.port, buf, len);
	/* a ping to 10.0.2.3 right after shows the alias does not linger */
	len = icmp_echo(buf, tn_ip("10.0.2.15"), tn_ip("10.0.2.3"), 2, 56);
	unet_hub_input(&f->cap.port, buf, len);
	len = icmp_echo(buf, tn_ip("10.0.2.15"), tn_ip("10.0.2.9"), 3, 56);
	unet_hub_input(&f->cap.port, buf, len);
	assert_int_equal(f->cap.frames, 1);
	assert_int_equal(f->cap.data[0][41], 2);
}

/* A source outside the virtual net is spoofed: nothing answers it. */
static void test_offnet_source_dropped(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[200];
	size_t len;

	tn_learn_guest(&f->cap);
	len = icmp_echo(buf, tn_ip("10.0.10.15"), tn_ip("10.0.2.2"), 1, 56);
	unet_hub_input(&f->cap.port, buf, len);
	len = icmp_echo(buf, tn_ip("192.0.2.1"), tn_ip("10.0.2.3"), 2, 56);
	unet_hub_input(&f->cap.port, buf, len);
	assert_int_equal(f->cap.frames, 0);
	len = icmp_echo(buf, tn_ip("10.0.2.15"), tn_ip("10.0.2.2"), 3, 56);
	unet_hub_input(&f->cap.port, buf, len);
	assert_int_equal(f->cap.frames, 1);
}

/* A frame of the hub's full size (MTU 65520) is answered whole. */
static void test_ping_full_size_frame(void **state)
{
	struct fixture *f = *state;
	size_t payload = UNET_MTU_DEFAULT - 20 - 8, len;
	uint8_t *buf = malloc(14 + UNET_MTU_DEFAULT);

	assert_non_null(buf);
	tn_learn_guest(&f->cap);
	len = icmp_echo(buf, tn_ip("10.0.2.15"), tn_ip("10.0.2.2"), 9, payload);
	assert_int_equal(len, 14 + UNET_MTU_DEFAULT);
	unet_hub_input(&f->cap.port, buf, len);
	assert_int_equal(f->cap.frames, 1);
	assert_int_equal(f->cap.len[0], len);
	assert_int_equal(f->cap.data[0][34], 0); /* echo reply */
	free(buf);
}

static void test_bad_checksum_dropped(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[200];
	size_t len;

	tn_learn_guest(&f->cap);
	len = icmp_echo(buf, tn_ip("10.0.2.15"), tn_ip("10.0.2.2"), 1, 56);
	buf[40] ^= 0xff; /* ICMP identifier: the checksum no longer holds */
	unet_hub_input(&f->cap.port, buf, len);
	assert_int_equal(f->cap.frames, 0);
}

static void test_other_mac_ignored(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[200];
	size_t len;

	tn_learn_guest(&f->cap);
	len = icmp_echo(buf, tn_ip("10.0.2.15"), tn_ip("10.0.2.2"), 1, 56);
	buf[5] = 0x03; /* unicast to another MAC */
	unet_hub_input(&f->cap.port, buf, len);
	tn_arp_request(buf, tn_guest_mac, tn_ip("10.0.2.15"), tn_ip("10.0.2.3"));
	unet_hub_input(&f->cap.port, buf, 60);
	assert_int_equal(f->cap.frames, 0);
}

/* Malformed frames: each is dropped without a reply or a crash. */
static void test_malformed(void **state)
{
	struct fixture *f = *state;
	uint8_t good[200], buf[200];
	size_t len, cut;

	tn_learn_guest(&f->cap);
	/* truncated ARP at every length */
	tn_arp_request(good, tn_bcast, tn_ip("10.0.2.15"), tn_ip("10.0.2.3"));
	for (cut = 14; cut < 42; cut++)
		unet_hub_input(&f->cap.port, good, cut);
	/* ARP with wrong hardware/protocol sizes */
	memcpy(buf, good, 60);
	buf[18] = 8;
	unet_hub_input(&f->cap.port, buf, 60);
	memcpy(buf, good, 60);
	buf[17] = 0x01;
	unet_hub_input(&f->cap.port, buf, 60);
	/* truncated IPv4 at every length */
	len = icmp_echo(good, tn_ip("10.0.2.15"), tn_ip("10.0.2.3"), 1, 56);
	for (cut = 14; cut < len; cut++)
		unet_hub_input(&f->cap.port, good, cut);
	/* IP total length larger than the frame, header length too large */
	memcpy(buf, good, len);
	buf[16] = 0x40;
	unet_hub_input(&f->cap.port, buf, len);
	memcpy(buf, good, len);
	buf[14] = 0x4f;
	unet_hub_input(&f->cap.port, buf, len);
	memcpy(buf, good, len);
	buf[14] = 0x41;
	unet_hub_input(&f->cap.port, buf, len);
	assert_int_equal(f->cap.frames, 0);
	/* and the gateway still answers afterwards */
	unet_hub_input(&f->cap.port, good, len);
	assert_int_equal(f->cap.frames, 1);
}

/*
 * IPv6 with an extension header cut short stops before lwIP: lwIP 2.1.3
 * reads a hop-by-hop header before checking it is there (found by
 * fuzzing); the stack's parse of the chain drops it first.
 */
static void test_ipv6_extension_headers_dropped(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[80];
	size_t i;

	memcpy(buf, tn_gw_mac, 6);
	memcpy(buf + 6, tn_guest_mac, 6);
	buf[12] = 0x86;
	buf[13] = 0xdd;
	memset(buf + 14, 0, 40);
	buf[14] = 0x60;
	buf[20] = 0;	/* next header: hop-by-hop, and no room for it */
	buf[21] = 255;
	buf[22] = 0xfe;
	buf[23] = 0x80;
	buf[38] = 0xfe;
	buf[39] = 0x80;
	for (i = 0; i < 8; i++)
		buf[46 + i] = (uint8_t)(0x50 + i);
	unet_hub_input(&f->cap.port, buf, 54);
	buf[20] = 44;	/* a fragment header, also cut short */
	unet_hub_input(&f->cap.port, buf, 56);
	assert_int_equal(f->cap.frames, 0);
	/* and the gateway still answers */
	tn_arp_request(buf, tn_bcast, tn_ip("10.0.2.15"), tn_ip("10.0.2.2"));
	unet_hub_input(&f->cap.port, buf, 60);
	assert_int_equal(f->cap.frames, 1);
}

static void test_one_stack_per_process(void **state)
{
	struct fixture *f = *state;
	struct unet_stack *other;

	assert_int_equal(unet_stack_new(f->hub, "b", NULL, &other), -EBUSY);
}

static void test_config_checks(void **state)
{
	struct unet_stack_config c;
	struct unet_stack *s;
	struct unet_hub *hub;
	uv_loop_t loop;

	(void)state;
	uv_loop_init(&loop);
	assert_int_equal(unet_hub_new(&loop, NULL, &hub), 0);

	unet_stack_config_init(&c);
	c.host.s_addr = tn_ip("10.0.3.2");		/* outside the net */
	assert_int_equal(unet_stack_new(hub, "u", &c, &s), -EINVAL);
	unet_stack_config_init(&c);
	c.dns = c.host;				/* the same address */
	assert_int_equal(unet_stack_new(hub, "u", &c, &s), -EINVAL);
	unet_stack_config_init(&c);
	c.dns.s_addr = tn_ip("10.0.2.255");	/* broadcast */
	assert_int_equal(unet_stack_new(hub, "u", &c, &s), -EINVAL);
	unet_stack_config_init(&c);
	c.mask.s_addr = tn_ip("255.0.255.0");	/* not contiguous */
	assert_int_equal(unet_stack_new(hub, "u", &c, &s), -EINVAL);
	unet_stack_config_init(&c);
	c.net.s_addr = tn_ip("10.0.2.1");		/* host bits set */
	assert_int_equal(unet_stack_new(hub, "u", &c, &s), -EINVAL);
	unet_stack_config_init(&c);
	c.mac[0] = 0x01;			/* multicast MAC */
	assert_int_equal(unet_stack_new(hub, "u", &c, &s), -EINVAL);
	unet_stack_config_init(&c);
	c.size = 4;
	assert_int_equal(unet_stack_new(hub, "u", &c, &s), -EINVAL);

	/* IPv6: a /64, not link-local or multicast, addresses inside it */
	unet_stack_config_init(&c);
	c.no_ipv4 = c.no_ipv6 = true; /* no network at all */
	assert_int_equal(unet_stack_new(hub, "u", &c, &s), -EINVAL);
	unet_stack_config_init(&c);
	c.ip6_prefix_len = 48; /* SLAAC needs 64 */
	assert_int_equal(unet_stack_new(hub, "u", &c, &s), -EINVAL);
	unet_stack_config_init(&c);
	inet_pton(AF_INET6, "fd00::1", &c.ip6_prefix); /* host bits set */
	assert_int_equal(unet_stack_new(hub, "u", &c, &s), -EINVAL);
	unet_stack_config_init(&c);
	inet_pton(AF_INET6, "fe80::", &c.ip6_prefix); /* link-local */
	assert_int_equal(unet_stack_new(hub, "u", &c, &s), -EINVAL);
	unet_stack_config_init(&c);
	inet_pton(AF_INET6, "ff02::", &c.ip6_prefix); /* multicast */
	assert_int_equal(unet_stack_new(hub, "u", &c, &s), -EINVAL);
	unet_stack_config_init(&c);
	inet_pton(AF_INET6, "fd00::2", &c.ip6_host); /* outside fec0::/64 */
	assert_int_equal(unet_stack_new(hub, "u", &c, &s), -EINVAL);
	unet_stack_config_init(&c);
	inet_pton(AF_INET6, "fec0::2", &c.ip6_dns); /* the host's address */
	assert_int_equal(unet_stack_new(hub, "u", &c, &s), -EINVAL);
	unet_stack_config_init(&c);
	inet_pton(AF_INET6, "fec0::", &c.ip6_dns); /* the prefix itself */
	assert_int_equal(unet_stack_new(hub, "u", &c, &s), -EINVAL);
	/* slirp4netns's fd00::/64, its defaults derived from the prefix */
	unet_stack_config_init(&c);
	inet_pton(AF_INET6, "fd00::", &c.ip6_prefix);
	assert_int_equal(unet_stack_new(hub, "u", &c, &s), 0);
	unet_stack_close(s);

	/* another network works, and closing frees lwIP for the next stack */
	unet_stack_config_init(&c);
	c.net.s_addr = tn_ip("192.168.76.0");
	c.host.s_addr = tn_ip("192.168.76.2");
	c.dns.s_addr = tn_ip("192.168.76.3");
	c.dhcp_start.s_addr = tn_ip("192.168.76.15");
	assert_int_equal(unet_stack_new(hub, "u", &c, &s), 0);
	unet_stack_close(s);
	assert_int_equal(unet_stack_new(hub, "u", NULL, &s), 0);
	unet_hub_close(hub);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- IPv6: the parse of the extension header chain ----------------------- */

/* One row of test_ipv6_malformed(): builds its packet after the header. */
struct ip6_row {
	const char *name;
	uint8_t nexthdr; /* the IPv6 header's */
	uint8_t body[96]; /* what follows the IPv6 header */
	size_t body_len; /* bytes of it in the frame */
	int plen_extra; /* payload length minus @body_len */
};

/* An ICMPv6 echo request (8 bytes, checksum unchecked here). */
#define ECHO6 128, 0, 0, 0, 0, 1, 0, 1
/* A destination options header of 8 bytes with a PadN, then @next. */
#define DOPT(next) (next), 0, 1, 4, 0, 0, 0, 0

/* Each row is dropped where the stack parses it, counted, unanswered. */
static void test_ipv6_malformed(void **state)
{
	static const struct ip6_row rows[] = {
		{ "payload length past the frame", 58, { ECHO6 }, 8, 1 },
		{ "hop-by-hop header past the packet", 0, { 58, 1 }, 8, 0 },
		{ "extension header cut at 1 byte", 60, { 58 }, 1, 0 },
		{ "option length past its header",
		  0,
		  { 58, 0, 1, 9, 0, 0, 0, 0, ECHO6 },
		  16,
		  0 },
		{ "option type with no length byte",
		  60,
		  { 58, 0, 0, 0, 0, 0, 0, 7, ECHO6 },
		  16,
		  0 },
		{ "hop-by-hop after another header",
		  60,
		  { 0, 0, 1, 4, 0, 0, 0, 0, 58, 0, 1, 4, 0, 0, 0, 0, ECHO6 },
		  24,
		  0 },
		{ "nine extension headers",
		  60,
		  { DOPT(60), DOPT(60), DOPT(60), DOPT(60), DOPT(60), DOPT(60),
		    DOPT(60), DOPT(60), DOPT(58), ECHO6 },
		  80,
		  0 },
		{ "fragment header alone",
		  44,
		  { 17, 0, 0, 1, 0, 0, 0, 9 },
		  8,
		  0 },
		{ "a later fragment with no data",
		  44,
		  { 17, 0, 0, 9, 0, 0, 0, 9 },
		  8,
		  0 },
		{ "two fragment headers",
		  44,
		  { 44, 0, 0, 1, 0, 0, 0, 9, 17, 0, 0, 1,
		    0,	0, 0, 9, 0, 1, 0, 2, 0,	 8, 0, 0 },
		  24,
		  0 },
		{ "first fragment cut inside the UDP header",
		  44,
		  { 17, 0, 0, 1, 0, 0, 0, 9, 0, 1, 0, 2, 0, 0, 0, 0 },
		  12,
		  0 },
	};
	struct fixture *f = *state;
	struct unet_stack_stats st = { .size = sizeof(st) };
	uint8_t buf[200], g[16], gw[16];
	uint64_t before;
	size_t i, len;

	tn_ip6("fec0::15", g);
	tn_ip6("fec0::2", gw);
	tn_learn_guest6(&f->cap);
	f->cap.keep = tn_keep_ipv6;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct ip6_row *r = &rows[i];

		print_message("  %s\n", r->name);
		len = tn_ip6_header(buf, tn_gw_mac, g, gw, r->nexthdr,
				    r->body_len + (size_t)r->plen_extra);
		memcpy(buf + len, r->body, r->body_len);
		assert_int_equal(unet_stack_stats(f->stack, &st), 0);
		before = st.drop_bad;
		unet_hub_input(&f->cap.port, buf, len + r->body_len);
		assert_int_equal(unet_stack_stats(f->stack, &st), 0);
		assert_int_equal(st.drop_bad, before + 1);
	}
	/* The truncated header itself, at every length. */
	for (len = 14; len < 54; len++)
		unet_hub_input(&f->cap.port, buf, len);
	assert_int_equal(f->cap.frames, 0);
}

/* A destination options header before an echo no longer stops it. */
static void test_ipv6_extension_header_answered(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[128], g[16], gw[16], *e;
	size_t off;

	tn_ip6("fec0::15", g);
	tn_ip6("fec0::2", gw);
	tn_learn_guest6(&f->cap);
	f->cap.keep = tn_keep_ipv6;
	off = tn_ip6_header(buf, tn_gw_mac, g, gw, 60, 8 + 16);
	memcpy(buf + off, (const uint8_t[]){ DOPT(58) }, 8);
	e = buf + off + 8;
	memset(e, 0, 16);
	e[0] = 128;
	tn_put16(e + 4, 0x77);
	tn_put16(e + 6, 1);
	memcpy(e + 8, "abcdefgh", 8);
	tn_put16(e + 2, tn_l4_csum6(g, gw, 58, e, 16));
	unet_hub_input(&f->cap.port, buf, off + 8 + 16);
	assert_int_equal(f->cap.frames, 1);
	assert_int_equal(f->cap.data[0][54], 129); /* echo reply */
	assert_memory_equal(f->cap.data[0] + 54 + 8, "abcdefgh", 8);
}

/*
 * One fragment of the ICMPv6 echo @e to the gateway (16 bytes, and 8 of
 * padding for a fragment past its end):
 * @len bytes from @off, fragment identification @id, M set when @more.
 */
static void frag6_send(struct fixture *f, const uint8_t *e, uint32_t id,
		       size_t off, size_t len, bool more)
{
	uint8_t buf[128], g[16], gw[16], *fh;
	size_t hl;

	tn_ip6("fec0::15", g);
	tn_ip6("fec0::2", gw);
	hl = tn_ip6_header(buf, tn_gw_mac, g, gw, 44, 8 + len);
	fh = buf + hl;
	fh[0] = 58;
	fh[1] = 0;
	tn_put16(fh + 2, (uint16_t)(off | (more ? 1 : 0)));
	tn_put32(fh + 4, id);
	memcpy(fh + 8, e + off, len);
	unet_hub_input(&f->cap.port, buf, hl + 8 + len);
}

/* A 16-byte echo request of id @echo_id, checksummed. */
static void frag6_echo(uint8_t *e, uint16_t echo_id)
{
	uint8_t g[16], gw[16];

	tn_ip6("fec0::15", g);
	tn_ip6("fec0::2", gw);
	memset(e, 0, 16);
	e[0] = 128;
	tn_put16(e + 4, echo_id);
	tn_put16(e + 6, 1);
	memcpy(e + 8, "abcdefgh", 8);
	tn_put16(e + 2, tn_l4_csum6(g, gw, 58, e, 16));
}

static uint64_t frag6_discarded(struct fixture *f)
{
	struct unet_stack_stats st = { .size = sizeof(st) };

	assert_int_equal(unet_stack_stats(f->stack, &st), 0);
	return st.frag6_discarded;
}

/*
 * RFC 5722: overlapping fragments discard the datagram whole, counted
 * once; its clean fragments after that are dropped too. At most 64
 * discarded datagrams are remembered (stack/lwip-patches/
 * ip6-reass-overlap.patch): the 65th and later are discarded the same but
 * not remembered, so their clean fragments make a datagram again.
 */
static void test_ipv6_overlapping_fragments(void **state)
{
	struct fixture *f = *state;
	uint8_t e[24] = { 0 }; /* the echo, and 8 bytes past it */
	uint32_t id;

	tn_learn_guest6(&f->cap);
	f->cap.keep = tn_keep_ipv6;
	frag6_echo(e, 0x55);
	/* Clean: two halves, the second first. */
	frag6_send(f, e, 1, 8, 8, false);
	frag6_send(f, e, 1, 0, 8, true);
	assert_int_equal(f->cap.frames, 1);
	assert_int_equal(f->cap.data[0][54], 129);
	tn_capture_reset(&f->cap);
	/* The same start, another end: an overlap. */
	for (id = 100; id < 200; id++) {
		frag6_send(f, e, id, 0, 8, true);
		frag6_send(f, e, id, 0, 16, true);
	}
	assert_int_equal(frag6_discarded(f), 100);
	/* Remembered: the first 64 stay discarded, silently. */
	frag6_send(f, e, 100, 0, 8, true);
	frag6_send(f, e, 100, 8, 8, false);
	assert_int_equal(f->cap.frames, 0);
	/* Not remembered: a new datagram. */
	frag6_send(f, e, 199, 0, 8, true);
	frag6_send(f, e, 199, 8, 8, false);
	assert_int_equal(f->cap.frames, 1);
	assert_int_equal(frag6_discarded(f), 100);
	/* An exact duplicate goes alone. */
	frag6_send(f, e, 300, 0, 8, true);
	frag6_send(f, e, 300, 0, 8, true);
	frag6_send(f, e, 300, 8, 8, false);
	assert_int_equal(f->cap.frames, 2);
	/* A second last fragment with another end. */
	frag6_send(f, e, 301, 8, 8, false);
	frag6_send(f, e, 301, 16, 8, false);
	frag6_send(f, e, 301, 0, 8, true);
	assert_int_equal(f->cap.frames, 2);
	assert_int_equal(frag6_discarded(f), 101);
}

/* lwIP's checksum routine (stack/lwip-port/lwipopts.h: LWIP_CHKSUM). */
unsigned short unet__lwip_chksum(const void *data, int len);

/* RFC 1071 the slow way: 16-bit words in memory order, odd byte padded. */
static unsigned short ref_chksum(const uint8_t *p, int len)
{
	uint32_t sum = 0;
	uint16_t w;
	int i;

	for (i = 0; i + 1 < len; i += 2) {
		memcpy(&w, p + i, 2);
		sum += w;
	}
	if (len & 1) {
		uint8_t pad[2] = { p[len - 1], 0 };

		memcpy(&w, pad, 2);
		sum += w;
	}
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (unsigned short)sum;
}

/*
 * lwIP sums with the ground floor's checksum: the same folded sum as its
 * own algorithm for every alignment and length (odd ones, the 0xffff
 * wrap, sizes around the 16-byte step and a whole 64 KiB segment).
 */
static void test_lwip_chksum(void **state)
{
	static uint8_t buf[65536 + 16];
	int off, len, i;
	uint32_t x = 12345;

	(void)state;
	for (i = 0; i < (int)sizeof(buf); i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
	for (off = 0; off < 8; off++)
		for (len = 0; len < 300; len++)
			assert_int_equal(unet__lwip_chksum(buf + off, len),
					 ref_chksum(buf + off, len));
	assert_int_equal(unet__lwip_chksum(buf + 3, 65480),
			 ref_chksum(buf + 3, 65480));
	memset(buf, 0xff, 64);
	assert_int_equal(unet__lwip_chksum(buf, 64), 0xffff);
	assert_int_equal(unet__lwip_chksum(buf, 63), ref_chksum(buf, 63));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lwip_chksum),
		cmocka_unit_test_setup_teardown(test_arp_gateway, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_arp_dns_alias, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_arp_others_unanswered,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ping_gateway, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ping_dns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ping_elsewhere_unanswered,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_offnet_source_dropped,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_ping_full_size_frame,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_checksum_dropped,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_mac_ignored, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_ipv6_extension_headers_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_one_stack_per_process,
						setup, teardown),
		cmocka_unit_test(test_config_checks),
		cmocka_unit_test_setup_teardown(test_ipv6_malformed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_ipv6_extension_header_answered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ipv6_overlapping_fragments,
						setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
