/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the egress audit log (proxy/audit.c).
 *
 * The writer: each kind of line, byte for byte (the fields' order, null
 * for what is unknown, both families), a name with quotes, backslashes,
 * control characters and bytes past ASCII escaped so the line stays valid
 * JSON, and a buffer too small for the line. The rate limits: the denied
 * bucket's burst and refill, the allowed bucket's larger burst, both
 * counting what they hold back. Through a real proxy on a virtual clock
 * (unet__egress_decide() as flow.c calls it): a line per decision with the
 * rule's line number, "callback" for the embedder's decision, null for the
 * default; a repeated UDP decision written once a minute, a TCP one every
 * time; a denied flood held to the bucket, then a "suppressed" line with
 * its count before the next line; a callback that loses lines counted in
 * audit_errors; a flow's end line with the gateway shown as 127.0.0.1 and
 * a UDP flow's with no destination.
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

#include "proxy_internal.h"
#include "testnet.h"

/* 2026-12-05T20:30:00.123Z */
#define EPOCH_NS 1796502600123000000ull

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static void test_format_lines(void **state)
{
	struct proxy_audit_line l = {
		.event = PROXY_AUDIT_DECISION,
		.time_ns = EPOCH_NS,
		.proto = IPPROTO_TCP,
		.family = AF_INET,
		.guest_port = 40000,
		.has_dst = true,
		.dst_port = 443,
		.verdict = UNET_POLICY_ALLOW,
		.rule = 3,
	};
	char buf[2048];
	size_t n;

	(void)state;
	l.guest.v4 = ip4("10.0.2.15");
	l.dst.v4 = ip4("198.18.0.2");
	n = unet__audit_format(buf, sizeof(buf), &l);
	assert_string_equal(
		buf,
		"{\"time\":\"2026-12-05T20:30:00.123Z\",\"event\":\"decision\","
		"\"proto\":\"tcp\",\"family\":\"ipv4\",\"guest\":\"10.0.2.15\","
		"\"guest_port\":40000,\"dst\":\"198.18.0.2\",\"dst_port\":443,"
		"\"name\":null,\"verdict\":\"allow\",\"rule\":3}\n");
	assert_int_equal(n, strlen(buf));

	/* IPv6, denied by the default verdict, then by the callback. */
	l.family = AF_INET6;
	l.proto = IPPROTO_ICMPV6;
	tn_ip6("fec0::15", l.guest.v6);
	tn_ip6("2001:db8::1", l.dst.v6);
	l.guest_port = 7;
	l.dst_port = 0;
	l.verdict = UNET_POLICY_DENY;
	l.rule = PROXY_AUDIT_DEFAULT;
	l.time_ns = EPOCH_NS + 999999999u;
	unet__audit_format(buf, sizeof(buf), &l);
	assert_string_equal(
		buf,
		"{\"time\":\"2026-12-05T20:30:01.122Z\",\"event\":\"decision\","
		"\"proto\":\"icmp\",\"family\":\"ipv6\",\"guest\":\"fec0::15\","
		"\"guest_port\":7,\"dst\":\"2001:db8::1\",\"dst_port\":0,"
		"\"name\":null,\"verdict\":\"deny\",\"rule\":null}\n");
	l.rule = PROXY_AUDIT_CALLBACK;
	unet__audit_format(buf, sizeof(buf), &l);
	assert_non_null(strstr(buf, "\"rule\":\"callback\"}\n"));

	/* An end: bytes and duration instead of name, verdict and rule. */
	memset(&l, 0, sizeof(l));
	l.event = PROXY_AUDIT_END;
	l.time_ns = EPOCH_NS;
	l.proto = IPPROTO_UDP;
	l.family = AF_INET;
	l.guest.v4 = ip4("10.0.2.15");
	l.guest_port = 5000;
	l.bytes_out = 12;
	l.bytes_in = 345;
	l.duration_ms = 6789;
	unet__audit_format(buf, sizeof(buf), &l);
	assert_string_equal(
		buf,
		"{\"time\":\"2026-12-05T20:30:00.123Z\",\"event\":\"end\","
		"\"proto\":\"udp\",\"family\":\"ipv4\",\"guest\":\"10.0.2.15\","
		"\"guest_port\":5000,\"dst\":null,\"dst_port\":null,"
		"\"bytes_out\":12,\"bytes_in\":345,\"duration_ms\":6789}\n");

	memset(&l, 0, sizeof(l));
	l.event = PROXY_AUDIT_SUPPRESSED;
	l.count = 19800;
	unet__audit_format(buf, sizeof(buf), &l);
	assert_string_equal(buf, "{\"time\":\"1970-01-01T00:00:00.000Z\","
				 "\"event\":\"suppressed\",\"count\":19800}\n");
}

static void test_format_escapes(void **state)
{
	struct proxy_audit_line l = {
		.event = PROXY_AUDIT_DECISION,
		.proto = IPPROTO_UDP,
		.family = AF_INET,
		.has_dst = true,
		.name = "a\"b\\c\n\x01\x7f\xc3\xa9.example",
	};
	char buf[2048], small[64];
	char *p;

	(void)state;
	unet__audit_format(buf, sizeof(buf), &l);
	p = strstr(buf, "\"name\":");
	assert_non_null(p);
	assert_memory_equal(
		p,
		"\"name\":\"a\\\"b\\\\c\\u000a\\u0001\\u007f\\u00c3\\u00a9.example\",",
		strlen("\"name\":\"a\\\"b\\\\c\\u000a\\u0001\\u007f\\u00c3\\u00a9.example\","));
	/* Nothing past ASCII, nothing below a space, one newline at the end. */
	for (p = buf; *p != '\0'; p++)
		assert_true((*p >= 0x20 && *p < 0x7f) || p[1] == '\0');
	assert_int_equal(buf[strlen(buf) - 1], '\n');

	/* Too long for the buffer: nothing, and the buffer still a string. */
	assert_int_equal(unet__audit_format(small, sizeof(small), &l), 0);
	assert_true(strlen(small) < sizeof(small));
	assert_int_equal(unet__audit_format(small, 0, &l), 0);
}

static void test_admit_buckets(void **state)
{
	struct proxy_audit *a = calloc(1, sizeof(*a));
	uint64_t now = 5000000000ull;
	int i, n;

	(void)state;
	assert_non_null(a);
	for (n = 0; n < 1000 && unet__audit_admit(a, true, now); n++)
		;
	assert_int_equal(n, 200); /* the denied burst */
	assert_int_equal(a->suppressed, 1);
	assert_int_equal(a->pending, 1);
	/* 10 ms later one more (100 a second), not two. */
	assert_true(unet__audit_admit(a, true, now + 10000000u));
	assert_false(unet__audit_admit(a, true, now + 10000000u));
	/* A second later a hundred. */
	for (n = 0; n < 1000 && unet__audit_admit(a, true, now + 1010000000u);
	     n++)
		;
	assert_int_equal(n, 100);
	/* The allowed bucket is another, and larger. */
	for (i = 0; i < 20000; i++)
		assert_true(unet__audit_admit(a, false, now));
	assert_false(unet__audit_admit(a, false, now));
	assert_true(unet__audit_admit(a, false, now + 100000u));
	assert_int_equal(a->suppressed, 4);
	free(a);
}

/**
 * struct sink - what the audit callback received
 * @lines: the lines, one after another
 * @n: how many
 * @fail: lose every line (return -ENOSPC)
 */
struct sink {
	char lines[64][2048];
	int n;
	bool fail;
};

static int sink_line(void *opaque, const char *line, size_t len)
{
	struct sink *s = opaque;

	assert_int_equal(strlen(line), len);
	assert_int_equal(line[len - 1], '\n');
	if (s->fail)
		return -ENOSPC;
	if (s->n < 64)
		memcpy(s->lines[s->n], line, len + 1);
	s->n++;
	return 0;
}

/**
 * struct fixture - a proxy on a virtual clock with an audit sink
 * @loop: the loop
 * @hub: the hub
 * @stack: the stack
 * @proxy: the proxy
 * @sink: the audit lines
 */
struct fixture {
	uv_loop_t loop;
	struct unet_hub *hub;
	struct unet_stack *stack;
	struct unet_proxy *proxy;
	struct sink sink;
};

static int decide_odd_ports(void *opaque, const struct unet_flow_desc *d)
{
	(void)opaque;
	return d->port == 7 ? UNET_POLICY_DENY : UNET_POLICY_PASS;
}

static int setup(void **state)
{
	static const char text[] = "# audit_test\n"
				   "default deny\n"
				   "allow tcp port 443\n"
				   "\n"
				   "allow udp port 53\n";
	struct fixture *f = calloc(1, sizeof(*f));
	struct unet_hub_config hc;
	struct unet_proxy_config pc;
	struct unet_policy *pol;
	char err[128];

	assert_non_null(f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	unet_hub_config_init(&hc);
	hc.virtual_clock = true;
	hc.epoch_ns = EPOCH_NS;
	assert_int_equal(unet_hub_new(&f->loop, &hc, &f->hub), 0);
	assert_int_equal(unet_stack_new(f->hub, "user", NULL, &f->stack), 0);
	assert_int_equal(unet_policy_parse(text, strlen(text), "t", &pol, err,
					   sizeof(err)),
			 0);
	unet_proxy_config_init(&pc);
	pc.policy = pol;
	pc.decide = decide_odd_ports;
	pc.audit = sink_line;
	pc.audit_opaque = &f->sink;
	assert_int_equal(unet_proxy_new(f->stack, &pc, &f->proxy), 0);
	unet_policy_free(pol);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unet_proxy_close(f->proxy);
	unet_stack_close(f->stack);
	unet_hub_close(f->hub);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	free(f);
	return 0;
}

/* Asks the proxy's policy about a flow from 10.0.2.15:@sport to @dst. */
static bool decide(struct fixture *f, int proto, uint16_t sport,
		   const char *dst, uint16_t dport)
{
	union unet_sockaddr sa = { 0 };
	union unet_ip_addr guest = { 0 };

	sa.in.sin_family = AF_INET;
	sa.in.sin_addr.s_addr = ip4(dst);
	sa.in.sin_port = htons(dport);
	guest.v4 = ip4("10.0.2.15");
	return unet__egress_decide(f->proxy, proto, &sa, &guest, sport);
}

static struct unet_policy_stats stats(struct fixture *f)
{
	struct unet_policy_stats st = { .size = sizeof(st) };

	assert_true(unet_proxy_policy_stats(f->proxy, &st, NULL, 0) >= 0);
	return st;
}

static void test_decisions(void **state)
{
	struct fixture *f = *state;
	struct sink *s = &f->sink;

	assert_true(decide(f, IPPROTO_TCP, 40000, "198.18.0.2", 443));
	assert_false(decide(f, IPPROTO_TCP, 40001, "198.18.0.2", 80));
	assert_false(decide(f, IPPROTO_TCP, 40002, "198.18.0.2", 7));
	assert_true(decide(f, IPPROTO_UDP, 5000, "198.18.0.53", 53));
	assert_int_equal(s->n, 4);
	/* The rule's line in the text: blank lines and comments count. */
	assert_non_null(strstr(s->lines[0],
			       "\"dst_port\":443,\"name\":null,"
			       "\"verdict\":\"allow\",\"rule\":3}"));
	assert_non_null(
		strstr(s->lines[1], "\"verdict\":\"deny\",\"rule\":null}"));
	assert_non_null(strstr(s->lines[2],
			       "\"verdict\":\"deny\",\"rule\":\"callback\"}"));
	assert_non_null(strstr(s->lines[3], "\"rule\":5}"));
	assert_non_null(
		strstr(s->lines[3], "\"time\":\"2026-12-05T20:30:00.123Z\""));

	/* A UDP stream: one line a minute; TCP: every attempt. */
	assert_true(decide(f, IPPROTO_UDP, 5000, "198.18.0.53", 53));
	assert_true(decide(f, IPPROTO_TCP, 40000, "198.18.0.2", 443));
	assert_int_equal(s->n, 5);
	assert_true(decide(f, IPPROTO_UDP, 5001, "198.18.0.53", 53));
	assert_int_equal(s->n, 6);
	assert_int_equal(unet_hub_clock_advance(f->hub, 60000000000ull), 0);
	assert_true(decide(f, IPPROTO_UDP, 5000, "198.18.0.53", 53));
	assert_int_equal(s->n, 7);
	assert_non_null(
		strstr(s->lines[6], "\"time\":\"2026-12-05T20:31:00.123Z\""));
	assert_int_equal(stats(f).audit_lines, 7);
	assert_int_equal(stats(f).audit_suppressed, 0);
}

static void test_denied_flood(void **state)
{
	struct fixture *f = *state;
	struct sink *s = &f->sink;
	struct unet_policy_stats st;
	int i;

	for (i = 0; i < 20000; i++)
		assert_false(decide(f, IPPROTO_TCP, (uint16_t)(1024 + i),
				    "198.18.0.2", 80));
	st = stats(f);
	assert_int_equal(st.denied, 20000);
	assert_int_equal(st.audit_lines, 200);
	assert_int_equal(st.audit_suppressed, 19800);
	/* 100 ms later: the count of what was held back, then the line. */
	assert_int_equal(unet_hub_clock_advance(f->hub, 100000000u), 0);
	s->n = 0;
	assert_true(decide(f, IPPROTO_TCP, 40000, "198.18.0.2", 443));
	assert_int_equal(s->n, 2);
	assert_string_equal(s->lines[0],
			    "{\"time\":\"2026-12-05T20:30:00.223Z\","
			    "\"event\":\"suppressed\",\"count\":19800}\n");
	assert_non_null(strstr(s->lines[1], "\"event\":\"decision\""));
	/* Once said, not again. */
	assert_true(decide(f, IPPROTO_TCP, 40001, "198.18.0.2", 443));
	assert_int_equal(s->n, 3);
	/*
	 * A flood again: the next count waits until a second after the last,
	 * then says all that was held back since.
	 */
	for (i = 0; i < 300; i++)
		assert_false(decide(f, IPPROTO_TCP, (uint16_t)(1024 + i),
				    "198.18.0.2", 80));
	assert_int_equal(s->n, 3 + 10); /* the bucket refilled 10 in 100 ms */
	assert_null(strstr(s->lines[3], "suppressed"));
	assert_int_equal(unet_hub_clock_advance(f->hub, 500000000u), 0);
	assert_false(decide(f, IPPROTO_TCP, 80, "198.18.0.2", 80));
	assert_int_equal(s->n, 14);
	assert_null(strstr(s->lines[13], "suppressed"));
	assert_int_equal(unet_hub_clock_advance(f->hub, 500000000u), 0);
	assert_true(decide(f, IPPROTO_TCP, 40001, "198.18.0.2", 443));
	assert_int_equal(s->n, 16);
	assert_non_null(strstr(s->lines[14],
			       "\"event\":\"suppressed\",\"count\":290}"));
	/* A sink that loses lines. */
	s->fail = true;
	assert_true(decide(f, IPPROTO_TCP, 40002, "198.18.0.2", 443));
	st = stats(f);
	assert_int_equal(st.audit_errors, 1);
	assert_int_equal(st.audit_lines, 216);
	assert_int_equal(st.audit_suppressed, 19800 + 290);
}

static void test_end_lines(void **state)
{
	struct fixture *f = *state;
	struct sink *s = &f->sink;
	struct proxy_flow flow;

	memset(&flow, 0, sizeof(flow));
	flow.proxy = f->proxy;
	flow.proto = IPPROTO_TCP;
	flow.family = AF_INET;
	flow.guest_addr.v4 = ip4("10.0.2.15");
	flow.guest_port = 40000;
	flow.remote_addr.v4 = ip4("10.0.2.2"); /* the gateway */
	flow.remote_port = 8080;
	flow.bytes_out = 77;
	flow.bytes_in = 1048576 + 200;
	flow.created_ns = unet_hub_now_ns(f->hub);
	assert_int_equal(unet_hub_clock_advance(f->hub, 1500000000u), 0);
	unet__audit_end(&flow);
	flow.proto = IPPROTO_UDP;
	unet__audit_end(&flow);
	assert_int_equal(s->n, 2);
	assert_string_equal(
		s->lines[0],
		"{\"time\":\"2026-12-05T20:30:01.623Z\",\"event\":\"end\","
		"\"proto\":\"tcp\",\"family\":\"ipv4\",\"guest\":\"10.0.2.15\","
		"\"guest_port\":40000,\"dst\":\"127.0.0.1\",\"dst_port\":8080,"
		"\"bytes_out\":77,\"bytes_in\":1048776,\"duration_ms\":1500}\n");
	assert_non_null(strstr(s->lines[1], "\"dst\":null,\"dst_port\":null"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_lines),
		cmocka_unit_test(test_format_escapes),
		cmocka_unit_test(test_admit_buckets),
		cmocka_unit_test_setup_teardown(test_decisions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_denied_flood, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_end_lines, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
