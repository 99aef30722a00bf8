/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the pure part of the proxy's ICMP errors (proxy/icmp_err.c):
 * no socket, no stack.
 *
 * The map: a table of host reports (origin, type, code, errno, MTU) of
 * both families and the error the guest gets, or none: unknown origins, an
 * IPv4 report on an IPv6 flow, codes past the last, parameter problems,
 * redirects, a local error other than EMSGSIZE, MTUs out of range. The
 * quote: the guest's headers verbatim with the reported payload; readdressed
 * (with a good IPv4 header checksum) when the report names another
 * destination or port; an echo report about another sequence number with
 * the guest's id and a checksum still good; malformed kept headers and too
 * little room give nothing; long payloads are cut to the family's limit.
 * The message: checksums that verify (ICMPv6 with its pseudo-header), the
 * MTU in the right place, the quote cut. The bucket: its burst, its rate.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <linux/errqueue.h>

#include "proxy_internal.h"
#include "wire/checksum.h"

/**
 * struct map_row - one report for unet__icmp_err_map()
 * @what: what the row checks
 * @family: the flow's family
 * @origin: SO_EE_ORIGIN_*
 * @type: the ICMP type the host received
 * @code: its code
 * @err: the errno
 * @info: the MTU
 * @ok: an error goes to the guest
 * @m_type: its type
 * @m_code: its code
 * @m_data: its data
 */
struct map_row {
	const char *what;
	sa_family_t family;
	uint8_t origin;
	uint8_t type;
	uint8_t code;
	int err;
	uint32_t info;
	bool ok;
	uint8_t m_type;
	uint8_t m_code;
	uint32_t m_data;
};

static const struct map_row map_rows[] = {
	{ "v4 port unreachable", AF_INET, SO_EE_ORIGIN_ICMP, 3, 3, ECONNREFUSED,
	  0, true, 3, 3, 0 },
	{ "v4 host unreachable", AF_INET, SO_EE_ORIGIN_ICMP, 3, 1, EHOSTUNREACH,
	  0, true, 3, 1, 0 },
	{ "v4 packet filtered", AF_INET, SO_EE_ORIGIN_ICMP, 3, 13, EHOSTUNREACH,
	  0, true, 3, 13, 0 },
	{ "v4 frag needed", AF_INET, SO_EE_ORIGIN_ICMP, 3, 4, EMSGSIZE, 1280,
	  true, 3, 4, 1280 },
	{ "v4 frag needed, MTU past 16 bits", AF_INET, SO_EE_ORIGIN_ICMP, 3, 4,
	  EMSGSIZE, 70000, true, 3, 4, 0xffff },
	{ "v4 TTL exceeded", AF_INET, SO_EE_ORIGIN_ICMP, 11, 0, EHOSTUNREACH, 0,
	  true, 11, 0, 0 },
	{ "v4 reassembly time exceeded", AF_INET, SO_EE_ORIGIN_ICMP, 11, 1,
	  EHOSTUNREACH, 0, true, 11, 1, 0 },
	{ "v4 local EMSGSIZE", AF_INET, SO_EE_ORIGIN_LOCAL, 0, 0, EMSGSIZE,
	  1400, true, 3, 4, 1400 },
	{ "v4 unreachable code 16", AF_INET, SO_EE_ORIGIN_ICMP, 3, 16,
	  EHOSTUNREACH, 0, false, 0, 0, 0 },
	{ "v4 time exceeded code 2", AF_INET, SO_EE_ORIGIN_ICMP, 11, 2,
	  EHOSTUNREACH, 0, false, 0, 0, 0 },
	{ "v4 parameter problem", AF_INET, SO_EE_ORIGIN_ICMP, 12, 0, EPROTO, 20,
	  false, 0, 0, 0 },
	{ "v4 redirect", AF_INET, SO_EE_ORIGIN_ICMP, 5, 0, 0, 0, false, 0, 0,
	  0 },
	{ "v4 local, not EMSGSIZE", AF_INET, SO_EE_ORIGIN_LOCAL, 0, 0,
	  ECONNREFUSED, 0, false, 0, 0, 0 },
	{ "v4 flow, ICMPv6 origin", AF_INET, SO_EE_ORIGIN_ICMP6, 1, 4,
	  ECONNREFUSED, 0, false, 0, 0, 0 },
	{ "no origin", AF_INET, SO_EE_ORIGIN_NONE, 3, 3, ECONNREFUSED, 0, false,
	  0, 0, 0 },
	{ "a timestamp", AF_INET, SO_EE_ORIGIN_TIMESTAMPING, 0, 0, ENOMSG, 0,
	  false, 0, 0, 0 },
	{ "v6 port unreachable", AF_INET6, SO_EE_ORIGIN_ICMP6, 1, 4,
	  ECONNREFUSED, 0, true, 1, 4, 0 },
	{ "v6 reject route", AF_INET6, SO_EE_ORIGIN_ICMP6, 1, 6, EACCES, 0,
	  true, 1, 6, 0 },
	{ "v6 unreachable code 7", AF_INET6, SO_EE_ORIGIN_ICMP6, 1, 7,
	  EHOSTUNREACH, 0, false, 0, 0, 0 },
	{ "v6 packet too big", AF_INET6, SO_EE_ORIGIN_ICMP6, 2, 0, EMSGSIZE,
	  1400, true, 2, 0, 1400 },
	{ "v6 packet too big below 1280", AF_INET6, SO_EE_ORIGIN_ICMP6, 2, 3,
	  EMSGSIZE, 500, true, 2, 0, 1280 },
	{ "v6 hop limit exceeded", AF_INET6, SO_EE_ORIGIN_ICMP6, 3, 0,
	  EHOSTUNREACH, 0, true, 3, 0, 0 },
	{ "v6 time exceeded code 2", AF_INET6, SO_EE_ORIGIN_ICMP6, 3, 2,
	  EHOSTUNREACH, 0, false, 0, 0, 0 },
	{ "v6 parameter problem", AF_INET6, SO_EE_ORIGIN_ICMP6, 4, 0, EPROTO, 6,
	  false, 0, 0, 0 },
	{ "v6 local EMSGSIZE", AF_INET6, SO_EE_ORIGIN_LOCAL, 0, 0, EMSGSIZE,
	  1280, true, 2, 0, 1280 },
	{ "v6 flow, ICMP origin", AF_INET6, SO_EE_ORIGIN_ICMP, 3, 3,
	  ECONNREFUSED, 0, false, 0, 0, 0 },
};

static void test_map(void **state)
{
	struct proxy_icmp_error m;
	struct proxy_sock_err e;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(map_rows) / sizeof(map_rows[0]); i++) {
		const struct map_row *r = &map_rows[i];

		memset(&e, 0, sizeof(e));
		e.family = r->family;
		e.origin = r->origin;
		e.type = r->type;
		e.code = r->code;
		e.err = r->err;
		e.info = r->info;
		print_message("%s\n", r->what);
		assert_int_equal(unet__icmp_err_map(&e, &m), r->ok);
		if (!r->ok)
			continue;
		assert_int_equal(m.type, r->m_type);
		assert_int_equal(m.code, r->m_code);
		assert_int_equal(m.data, r->m_data);
	}
}

/* The guest: 10.0.2.15:5000 to 198.18.1.2:53, DF, TTL 64, a 20-byte UDP
 * payload. */
static void quote4_udp(struct proxy_quote *q)
{
	struct wire_ip4 ip = { 0 };
	struct wire_udp uh = { 0 };

	ip.vhl = WIRE_IP4_VHL;
	ip.tot_len = htons(20 + 8 + 20);
	ip.id = htons(0x1234);
	ip.frag = htons(WIRE_IP4_DF);
	ip.ttl = 64;
	ip.proto = WIRE_IPPROTO_UDP;
	ip.saddr = inet_addr("10.0.2.15");
	ip.daddr = inet_addr("198.18.1.2");
	ip.csum = htons(unet__csum(&ip, sizeof(ip)));
	uh.sport = htons(5000);
	uh.dport = htons(53);
	uh.len = htons(8 + 20);
	uh.csum = htons(0xbeef);
	memcpy(q->head, &ip, sizeof(ip));
	memcpy(q->head + sizeof(ip), &uh, sizeof(uh));
	q->hlen = sizeof(ip);
	q->len = sizeof(ip) + sizeof(uh);
}

/* The guest's echo request: fec0::15 to 2001:db8:2::2, id 77, seq 5. */
static void quote6_echo(struct proxy_quote *q)
{
	struct wire_ip6 ip = { 0 };
	struct wire_icmp ih = { 0 };

	ip.vtcfl = htonl(6u << 28);
	ip.payload_len = htons(8 + 56);
	ip.nexthdr = WIRE_IPPROTO_ICMPV6;
	ip.hop_limit = 64;
	inet_pton(AF_INET6, "fec0::15", ip.saddr);
	inet_pton(AF_INET6, "2001:db8:2::2", ip.daddr);
	ih.type = WIRE_ICMP6_ECHO;
	ih.csum = htons(0x1111);
	ih.id = htons(77);
	ih.seq = htons(5);
	memcpy(q->head, &ip, sizeof(ip));
	memcpy(q->head + sizeof(ip), &ih, sizeof(ih));
	q->hlen = sizeof(ip);
	q->len = sizeof(ip) + sizeof(ih);
}

static void test_quote_udp(void **state)
{
	uint8_t out[2048], payload[1500];
	struct proxy_quote q, bad;
	struct proxy_sock_err e = { 0 };
	struct wire_ip4 ip;
	struct wire_udp uh;
	size_t n;

	(void)state;
	memset(payload, 0xab, sizeof(payload));
	quote4_udp(&q);
	e.family = AF_INET;
	e.dst.v4 = inet_addr("198.18.1.2");
	e.dport = 53;
	e.payload = payload;
	e.payload_len = 20;

	/* The same destination: the headers verbatim, then the payload. */
	n = unet__icmp_err_quote(out, sizeof(out), &q, WIRE_IPPROTO_UDP, &e,
				 5000);
	assert_int_equal(n, 48);
	assert_memory_equal(out, q.head, q.len);
	assert_memory_equal(out + q.len, payload, 20);

	/* A local error names no port: still the same. */
	e.dport = 0;
	n = unet__icmp_err_quote(out, sizeof(out), &q, WIRE_IPPROTO_UDP, &e,
				 5000);
	assert_int_equal(n, 48);
	assert_memory_equal(out, q.head, q.len);

	/* Another destination and port: readdressed, lengths of the report. */
	e.dst.v4 = inet_addr("198.18.1.9");
	e.dport = 123;
	e.payload_len = 10;
	n = unet__icmp_err_quote(out, sizeof(out), &q, WIRE_IPPROTO_UDP, &e,
				 5000);
	assert_int_equal(n, 38);
	memcpy(&ip, out, sizeof(ip));
	memcpy(&uh, out + sizeof(ip), sizeof(uh));
	assert_int_equal(ip.daddr, inet_addr("198.18.1.9"));
	assert_int_equal(ip.saddr, inet_addr("10.0.2.15"));
	assert_int_equal(ntohs(ip.tot_len), 38);
	assert_int_equal(unet__csum(out, sizeof(ip)), 0);
	assert_int_equal(ntohs(uh.dport), 123);
	assert_int_equal(ntohs(uh.sport), 5000);
	assert_int_equal(ntohs(uh.len), 18);
	assert_int_equal(uh.csum, 0);

	/* A long payload is cut to 576 bytes with the error's headers. */
	e.dst.v4 = inet_addr("198.18.1.2");
	e.dport = 53;
	e.payload_len = sizeof(payload);
	n = unet__icmp_err_quote(out, sizeof(out), &q, WIRE_IPPROTO_UDP, &e,
				 5000);
	assert_int_equal(n, 576 - 20 - 8);
	/* ...and to the room given. */
	n = unet__icmp_err_quote(out, 40, &q, WIRE_IPPROTO_UDP, &e, 5000);
	assert_int_equal(n, 40);
	/* No payload at all. */
	e.payload = NULL;
	n = unet__icmp_err_quote(out, sizeof(out), &q, WIRE_IPPROTO_UDP, &e,
				 5000);
	assert_int_equal(n, 28);

	/* Malformed kept headers, or no room for them: nothing. */
	e.payload = payload;
	assert_int_equal(unet__icmp_err_quote(out, 27, &q, WIRE_IPPROTO_UDP, &e,
					      5000),
			 0);
	bad = q;
	bad.len = 0;
	assert_int_equal(unet__icmp_err_quote(out, sizeof(out), &bad,
					      WIRE_IPPROTO_UDP, &e, 5000),
			 0);
	bad = q;
	bad.hlen = 16;
	bad.len = 24;
	assert_int_equal(unet__icmp_err_quote(out, sizeof(out), &bad,
					      WIRE_IPPROTO_UDP, &e, 5000),
			 0);
	bad = q;
	bad.len = 30;
	assert_int_equal(unet__icmp_err_quote(out, sizeof(out), &bad,
					      WIRE_IPPROTO_UDP, &e, 5000),
			 0);
	bad = q;
	bad.hlen = 95;
	bad.len = 103;
	assert_int_equal(unet__icmp_err_quote(out, sizeof(out), &bad,
					      WIRE_IPPROTO_UDP, &e, 5000),
			 0);
	/* An IPv6 report with IPv4 headers kept: too short for IPv6. */
	e.family = AF_INET6;
	assert_int_equal(unet__icmp_err_quote(out, sizeof(out), &q,
					      WIRE_IPPROTO_UDP, &e, 5000),
			 0);
}

static void test_quote_echo(void **state)
{
	uint8_t out[2048], msg[8 + 56], full[8 + 56];
	struct proxy_sock_err e = { 0 };
	struct wire_icmp ih, qh;
	struct proxy_quote q;
	size_t n;

	(void)state;
	quote6_echo(&q);
	e.family = AF_INET6;
	inet_pton(AF_INET6, "2001:db8:2::2", e.dst.v6);
	/* The host's echo: its own id 4242, a good checksum over it. */
	memset(msg, 0x5a, sizeof(msg));
	memset(&qh, 0, sizeof(qh));
	qh.type = WIRE_ICMP6_ECHO;
	qh.id = htons(4242);
	qh.seq = htons(5);
	memcpy(msg, &qh, sizeof(qh));
	qh.csum = htons(unet__csum(msg, sizeof(msg)));
	memcpy(msg, &qh, sizeof(qh));
	e.payload = msg;
	e.payload_len = sizeof(msg);

	/* The last echo's sequence: the guest's header verbatim. */
	n = unet__icmp_err_quote(out, sizeof(out), &q, WIRE_IPPROTO_ICMPV6, &e,
				 77);
	assert_int_equal(n, 40 + 8 + 56);
	assert_memory_equal(out, q.head, q.len);
	assert_memory_equal(out + q.len, msg + 8, 56);

	/* An earlier one: the host's header with the guest's id, its sum
	 * still good over the message. */
	qh.seq = htons(4);
	qh.csum = 0;
	memcpy(msg, &qh, sizeof(qh));
	qh.csum = htons(unet__csum(msg, sizeof(msg)));
	memcpy(msg, &qh, sizeof(qh));
	n = unet__icmp_err_quote(out, sizeof(out), &q, WIRE_IPPROTO_ICMPV6, &e,
				 77);
	assert_int_equal(n, 40 + 8 + 56);
	memcpy(&ih, out + 40, sizeof(ih));
	assert_int_equal(ntohs(ih.id), 77);
	assert_int_equal(ntohs(ih.seq), 4);
	memcpy(full, out + 40, sizeof(full));
	assert_int_equal(unet__csum(full, sizeof(full)), 0);

	/* A report shorter than an echo header quotes the headers only. */
	e.payload_len = 7;
	n = unet__icmp_err_quote(out, sizeof(out), &q, WIRE_IPPROTO_ICMPV6, &e,
				 77);
	assert_int_equal(n, 48);
	assert_memory_equal(out, q.head, q.len);
}

static void test_build(void **state)
{
	uint8_t out[2048], quote[1500];
	union unet_ip_addr src, dst;
	struct proxy_icmp_error m = { WIRE_ICMP_UNREACH,
				      WIRE_ICMP_UNREACH_NEEDFRAG, 1280 };
	struct wire_icmp ih;
	uint32_t sum;
	size_t n;

	(void)state;
	memset(quote, 0x33, sizeof(quote));
	src.v4 = inet_addr("198.18.0.1");
	dst.v4 = inet_addr("10.0.2.15");
	n = unet__icmp_err_build(out, sizeof(out), AF_INET, &m, &src, &dst,
				 quote, 48);
	assert_int_equal(n, 56);
	memcpy(&ih, out, sizeof(ih));
	assert_int_equal(ih.type, 3);
	assert_int_equal(ih.code, 4);
	assert_int_equal(ntohs(ih.id), 0); /* unused */
	assert_int_equal(ntohs(ih.seq), 1280); /* next-hop MTU */
	assert_int_equal(unet__csum(out, n), 0);
	assert_memory_equal(out + 8, quote, 48);
	/* Cut to 576 bytes with the headers, and to the room. */
	n = unet__icmp_err_build(out, sizeof(out), AF_INET, &m, &src, &dst,
				 quote, sizeof(quote));
	assert_int_equal(n, 576 - 20);
	assert_int_equal(unet__csum(out, n), 0);
	n = unet__icmp_err_build(out, 20, AF_INET, &m, &src, &dst, quote,
				 sizeof(quote));
	assert_int_equal(n, 20);
	assert_int_equal(unet__icmp_err_build(out, 7, AF_INET, &m, &src, &dst,
					      quote, 48),
			 0);
	/* Nothing to quote is still a message. */
	assert_int_equal(unet__icmp_err_build(out, sizeof(out), AF_INET, &m,
					      &src, &dst, NULL, 0),
			 8);

	/* ICMPv6: the checksum covers the pseudo-header, the MTU is 32 bits. */
	m.type = WIRE_ICMP6_PACKET_TOO_BIG;
	m.code = 0;
	m.data = 70000;
	inet_pton(AF_INET6, "2001:db8:1::1", src.v6);
	inet_pton(AF_INET6, "fec0::15", dst.v6);
	n = unet__icmp_err_build(out, sizeof(out), AF_INET6, &m, &src, &dst,
				 quote, sizeof(quote));
	assert_int_equal(n, 1280 - 40);
	memcpy(&ih, out, sizeof(ih));
	assert_int_equal(ntohs(ih.id), 1);
	assert_int_equal(ntohs(ih.seq), 70000 - 65536);
	sum = unet__csum_ip6_pseudo(src.v6, dst.v6, WIRE_IPPROTO_ICMPV6, n);
	assert_int_equal(unet__csum_finish(unet__csum_add(sum, out, n)), 0);
}

static void test_admit(void **state)
{
	uint64_t tat = 0, now = 1000000000ull;
	int i;

	(void)state;
	for (i = 0; i < 50; i++)
		assert_true(unet__icmp_err_admit(&tat, now));
	assert_false(unet__icmp_err_admit(&tat, now));
	assert_false(unet__icmp_err_admit(&tat, now + 9000000));
	/* One more every 10 ms. */
	assert_true(unet__icmp_err_admit(&tat, now + 10000000));
	assert_false(unet__icmp_err_admit(&tat, now + 10000000));
	/* A long quiet refills the burst, no more. */
	now += 60ull * 1000000000ull;
	for (i = 0; i < 50; i++)
		assert_true(unet__icmp_err_admit(&tat, now));
	assert_false(unet__icmp_err_admit(&tat, now));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_map),
		cmocka_unit_test(test_quote_udp),
		cmocka_unit_test(test_quote_echo),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_admit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
