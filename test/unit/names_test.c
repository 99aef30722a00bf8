/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the table of names the guest resolved (proxy/names.c),
 * driven directly with the clock as a number: no hub, no proxy.
 *
 * Covered: the TTL floor and ceiling, expiry exactly at its time (there at
 * expiry - 1 ns, gone at expiry) and its counter, learning again starting
 * the time over, several names of one address (newest first) and the cap
 * of names per address, the cap of the table (the oldest evicted, or
 * counted as expired when its time was over), families kept apart, and a
 * table that never learned.
 *
 * Then the decisions on a virtual clock, white-box: a hub on a virtual
 * clock, the gateway and a proxy with a name policy; an answer is handed
 * to the proxy as the stack's DNS forwarder hands it (a CNAME chain, A and
 * AAAA), and flows are decided at exact virtual times: the TTL's end to
 * the nanosecond, the rules' order among the chain's names, the default
 * verdict for an address never resolved, what the decide callback and the
 * counters see, and the queries refused.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <usernet/hub.h>
#include <usernet/proxy.h>
#include <usernet/stack.h>

#include "names.h"
#include "proxy_internal.h"

#define S 1000000000ull

static const uint8_t A1[4] = { 198, 18, 0, 1 };
static const uint8_t A2[4] = { 198, 18, 0, 2 };

static size_t find(struct unet__names *t, sa_family_t family,
		   const uint8_t *addr, uint64_t now, const char **names)
{
	return unet__names_find(t, family, addr, now, names,
				UNET__NAMES_PER_ADDR);
}

static void test_ttl_floor_ceiling_expiry(void **state)
{
	struct unet__names t;
	const char *names[UNET__NAMES_PER_ADDR];
	uint64_t t0 = 1000 * S;

	(void)state;
	unet__names_init(&t, 16, 30, 3600, 7);
	assert_int_equal(find(&t, AF_INET, A1, t0, names), 0);
	/* TTL 0 is raised to the floor, 30 s. */
	assert_int_equal(unet__names_learn(&t, AF_INET, A1, "a.example", 0, t0),
			 0);
	assert_int_equal(find(&t, AF_INET, A1, t0 + 30 * S - 1, names), 1);
	assert_string_equal(names[0], "a.example");
	assert_int_equal(t.expired, 0);
	assert_int_equal(find(&t, AF_INET, A1, t0 + 30 * S, names), 0);
	assert_int_equal(t.expired, 1);
	assert_int_equal(t.n, 0);
	/* A day is lowered to the ceiling, an hour. */
	unet__names_learn(&t, AF_INET, A1, "a.example", 86400, t0);
	assert_int_equal(find(&t, AF_INET, A1, t0 + 3600 * S - 1, names), 1);
	assert_int_equal(find(&t, AF_INET, A1, t0 + 3600 * S, names), 0);
	/* In between, the TTL itself; learning again starts it over. */
	unet__names_learn(&t, AF_INET, A1, "a.example", 100, t0);
	unet__names_learn(&t, AF_INET, A1, "a.example", 100, t0 + 50 * S);
	assert_int_equal(t.n, 1);
	assert_int_equal(find(&t, AF_INET, A1, t0 + 150 * S - 1, names), 1);
	assert_int_equal(find(&t, AF_INET, A1, t0 + 150 * S, names), 0);
	assert_int_equal(t.learned, 4);
	assert_int_equal(t.expired, 3);
	assert_int_equal(t.evicted, 0);
	unet__names_free(&t);

	/* No floor: a TTL of 0 is gone at once. */
	unet__names_init(&t, 16, 0, 10, 7);
	unet__names_learn(&t, AF_INET, A1, "a.example", 0, t0);
	assert_int_equal(find(&t, AF_INET, A1, t0, names), 0);
	unet__names_free(&t);
}

static void test_names_of_one_address(void **state)
{
	struct unet__names t;
	const char *names[UNET__NAMES_PER_ADDR];
	char name[32];
	uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	size_t i;

	(void)state;
	unet__names_init(&t, 100, 30, 3600, 1);
	unet__names_learn(&t, AF_INET, A1, "a.example", 60, 0);
	unet__names_learn(&t, AF_INET, A1, "b.example", 60, 0);
	unet__names_learn(&t, AF_INET, A2, "c.example", 60, 0);
	assert_int_equal(find(&t, AF_INET, A1, S, names), 2);
	assert_string_equal(names[0], "b.example");
	assert_string_equal(names[1], "a.example");
	/* Learned again, a.example is the newest. */
	unet__names_learn(&t, AF_INET, A1, "a.example", 60, S);
	assert_int_equal(find(&t, AF_INET, A1, S, names), 2);
	assert_string_equal(names[0], "a.example");
	/* The same bytes in the other family are another address. */
	memcpy(v6, A1, 4);
	assert_int_equal(find(&t, AF_INET6, v6, S, names), 0);
	unet__names_learn(&t, AF_INET6, v6, "d.example", 60, S);
	assert_int_equal(find(&t, AF_INET6, v6, S, names), 1);
	assert_int_equal(find(&t, AF_INET, A1, S, names), 2);
	/* One address keeps UNET__NAMES_PER_ADDR names: the oldest goes. */
	for (i = 0; i < UNET__NAMES_PER_ADDR; i++) {
		snprintf(name, sizeof(name), "n%zu.example", i);
		unet__names_learn(&t, AF_INET, A1, name, 60, 2 * S);
	}
	assert_int_equal(find(&t, AF_INET, A1, 2 * S, names),
			 UNET__NAMES_PER_ADDR);
	assert_string_equal(names[0], "n7.example");
	assert_string_equal(names[UNET__NAMES_PER_ADDR - 1], "n0.example");
	assert_int_equal(t.evicted, 2);
	/* Others' names are untouched. */
	assert_int_equal(find(&t, AF_INET, A2, 2 * S, names), 1);
	unet__names_free(&t);
}

static void test_table_cap(void **state)
{
	struct unet__names t;
	const char *names[UNET__NAMES_PER_ADDR];
	uint8_t a[4] = { 203, 0, 113, 0 };
	uint8_t i;

	(void)state;
	unet__names_init(&t, 4, 1, 3600, 99);
	for (i = 0; i < 4; i++) {
		a[3] = i;
		unet__names_learn(&t, AF_INET, a, "x.example", 1000, i * S);
	}
	assert_int_equal(t.n, 4);
	/* A fifth evicts the oldest (203.0.113.0) before its time. */
	a[3] = 4;
	unet__names_learn(&t, AF_INET, a, "x.example", 1000, 10 * S);
	assert_int_equal(t.n, 4);
	assert_int_equal(t.evicted, 1);
	a[3] = 0;
	assert_int_equal(find(&t, AF_INET, a, 10 * S, names), 0);
	a[3] = 1;
	assert_int_equal(find(&t, AF_INET, a, 10 * S, names), 1);
	/* Room made for another: the oldest (203.0.113.1) was still valid. */
	a[3] = 5;
	unet__names_learn(&t, AF_INET, a, "short.example", 1, 20 * S);
	assert_int_equal(t.evicted, 2);
	/* Later the oldest (203.0.113.2) is past its time: expired. */
	a[3] = 6;
	unet__names_learn(&t, AF_INET, a, "y.example", 1000, 5000 * S);
	assert_int_equal(t.evicted, 2);
	assert_int_equal(t.expired, 1);
	assert_int_equal(t.n, 4);
	unet__names_free(&t);
	assert_int_equal(t.n, 0);
}

/**
 * struct vrun - a gateway and proxy on a virtual clock
 * @loop: the loop
 * @hub: the hub (virtual clock)
 * @stack: the gateway
 * @proxy: the proxy, with the policy under test
 * @seen: the name the decide callback saw last
 */
struct vrun {
	uv_loop_t loop;
	struct unet_hub *hub;
	struct unet_stack *stack;
	struct unet_proxy *proxy;
	char seen[64];
};

static int vrun_decide(void *opaque, const struct unet_flow_desc *d)
{
	struct vrun *r = opaque;

	snprintf(r->seen, sizeof(r->seen), "%s",
		 d->name != NULL ? d->name : "-");
	return UNET_POLICY_PASS;
}

static void vrun_start(struct vrun *r, const char *policy)
{
	struct unet_stack_config sc;
	struct unet_proxy_config pc;
	struct unet_hub_config hc;
	struct unet_policy *pol;

	memset(r, 0, sizeof(*r));
	assert_int_equal(uv_loop_init(&r->loop), 0);
	unet_hub_config_init(&hc);
	hc.virtual_clock = true;
	hc.seed = 1;
	assert_int_equal(unet_hub_new(&r->loop, &hc, &r->hub), 0);
	unet_stack_config_init(&sc);
	sc.n_dns_upstream = 1; /* never asked: resolv.conf stays out */
	sc.dns_upstream[0].sin_family = AF_INET;
	sc.dns_upstream[0].sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sc.dns_upstream[0].sin_port = htons(9);
	assert_int_equal(unet_stack_new(r->hub, "user", &sc, &r->stack), 0);
	assert_int_equal(unet_policy_parse(policy, strlen(policy), NULL, &pol,
					   NULL, 0),
			 0);
	unet_proxy_config_init(&pc);
	pc.policy = pol;
	pc.decide = vrun_decide;
	pc.decide_opaque = r;
	pc.names_ttl_min = 5;
	pc.names_ttl_max = 60;
	assert_int_equal(unet_proxy_new(r->stack, &pc, &r->proxy), 0);
	unet_policy_free(pol);
}

static void vrun_stop(struct vrun *r)
{
	unet_proxy_close(r->proxy);
	unet_stack_close(r->stack);
	unet_hub_close(r->hub);
	assert_int_equal(uv_run(&r->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(uv_loop_close(&r->loop), 0);
}

/* Decides a TCP flow of the guest to @dst (v4 or v6) port @port. */
static bool vrun_decide_tcp(struct vrun *r, const char *dst, uint16_t port)
{
	union unet_sockaddr sa;
	union unet_ip_addr guest;

	memset(&sa, 0, sizeof(sa));
	memset(&guest, 0, sizeof(guest));
	if (strchr(dst, ':') != NULL) {
		sa.in6.sin6_family = AF_INET6;
		sa.in6.sin6_port = htons(port);
		assert_int_equal(inet_pton(AF_INET6, dst, &sa.in6.sin6_addr),
				 1);
		guest.v6[0] = 0xfe;
	} else {
		sa.in.sin_family = AF_INET;
		sa.in.sin_port = htons(port);
		assert_int_equal(inet_pton(AF_INET, dst, &sa.in.sin_addr), 1);
		guest.v4 = htonl(0x0a00020f);
	}
	return unet__egress_decide(r->proxy, IPPROTO_TCP, &sa, &guest, 40000);
}

static void test_decisions_on_virtual_clock(void **state)
{
	static const char policy[] = "deny tcp to *.cdn.example port 80\n"
				     "allow tcp to www.example\n"
				     "deny to *.evil.example\n"
				     "allow tcp to 198.18.9.0/24\n"
				     "default deny\n";
	struct unet_policy_stats ps = { .size = sizeof(ps) };
	struct unet_dns_answer ans;
	uint64_t hits[5];
	struct vrun r;

	(void)state;
	vrun_start(&r, policy);
	assert_int_equal(unet_hub_now_ns(r.hub), 0);
	/* Before any answer: the default; the callback sees no name. */
	assert_false(vrun_decide_tcp(&r, "198.18.0.2", 443));
	assert_string_equal(r.seen, "-");
	/* www.example CNAME edge.cdn.example (TTL 20), A (TTL 40) and
	 * AAAA (TTL 2, raised to the floor, 5 s). */
	memset(&ans, 0, sizeof(ans));
	ans.n_names = 2;
	strcpy(ans.names[0], "www.example");
	strcpy(ans.names[1], "edge.cdn.example");
	ans.n_addrs = 2;
	ans.addrs[0].family = AF_INET;
	memcpy(ans.addrs[0].addr, "\xc6\x12\x00\x02", 4);
	ans.addrs[0].ttl = 20;
	ans.addrs[0].names = 2;
	ans.addrs[1].family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::2", ans.addrs[1].addr),
			 1);
	ans.addrs[1].ttl = 2;
	ans.addrs[1].names = 2;
	assert_int_equal(unet_hub_clock_advance(r.hub, 1 * S), 0);
	unet__names_answer(r.proxy, &ans);
	/* Rule order: port 80 meets the CDN's deny first, 443 the allow. */
	assert_false(vrun_decide_tcp(&r, "198.18.0.2", 80));
	assert_string_equal(r.seen, "edge.cdn.example");
	assert_true(vrun_decide_tcp(&r, "198.18.0.2", 443));
	assert_true(vrun_decide_tcp(&r, "2001:db8::2", 443));
	/* The AAAA's floor ends at 1 s + 5 s, to the nanosecond. */
	assert_int_equal(unet_hub_clock_advance(r.hub, 5 * S - 1), 0);
	assert_true(vrun_decide_tcp(&r, "2001:db8::2", 443));
	assert_int_equal(unet_hub_clock_advance(r.hub, 1), 0);
	assert_false(vrun_decide_tcp(&r, "2001:db8::2", 443));
	/* The A is held by the CNAME's TTL, 20 s: until 21 s exactly. */
	assert_int_equal(unet_hub_clock_advance(r.hub, 15 * S - 1), 0);
	assert_true(vrun_decide_tcp(&r, "198.18.0.2", 443));
	assert_int_equal(unet_hub_clock_advance(r.hub, 1), 0);
	assert_false(vrun_decide_tcp(&r, "198.18.0.2", 443));
	assert_string_equal(r.seen, "-");
	/* An address rule needs no name. */
	assert_true(vrun_decide_tcp(&r, "198.18.9.9", 22));
	/* The queries: a whole deny refuses, a port-limited one does not. */
	assert_false(unet__names_query(r.proxy, "a.evil.example"));
	assert_true(unet__names_query(r.proxy, "edge.cdn.example"));
	assert_true(unet__names_query(r.proxy, "www.example"));
	assert_true(unet__names_query(r.proxy, NULL));
	assert_int_equal(unet_proxy_policy_stats(r.proxy, &ps, hits, 5), 4);
	assert_int_equal(ps.names_learned, 4);
	assert_int_equal(ps.names_expired, 4);
	assert_int_equal(ps.names, 0);
	assert_int_equal(ps.dns_refused, 1);
	assert_int_equal(hits[0], 1);
	assert_int_equal(hits[1], 4);
	assert_int_equal(hits[3], 1);
	assert_int_equal(ps.default_hits, 3);
	vrun_stop(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ttl_floor_ceiling_expiry),
		cmocka_unit_test(test_names_of_one_address),
		cmocka_unit_test(test_table_cap),
		cmocka_unit_test(test_decisions_on_virtual_clock),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
