/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the DHCP lease pool (stack/dhcp_lease.c), driven directly
 * on a virtual clock: no stack, no packets.
 *
 * Covered: client keys (chaddr, a client identifier, a long one hashed),
 * offers (the client's own entry, the address asked for, a fresh entry,
 * the one free longest, exhaustion, an offer's hold running out), requests
 * (ACK, renewal, NAK outside the pool, for another's address, for an
 * address someone holds), unoffer, decline (held out of the pool for a
 * while, with no owner), release (the owner gets the address back), BOOTP
 * (never expires), and the pool's index arithmetic at its edges.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp_lease.h"

#define S 1000000000ull

static uint32_t ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

/* The key of the client with MAC 02:00:00:00:00:@n. */
static struct unet__dhcp_key key(uint8_t n)
{
	uint8_t mac[6] = { 2, 0, 0, 0, 0, n };
	struct unet__dhcp_key k;

	unet__dhcp_key_make(&k, mac, NULL, 0);
	return k;
}

static void test_keys(void **state)
{
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	struct unet__dhcp_key a, b, c;
	uint8_t id[200];

	(void)state;
	unet__dhcp_key_make(&a, mac, NULL, 0);
	assert_int_equal(a.len, 7);
	/* A client identifier wins over chaddr, even the same bytes. */
	unet__dhcp_key_make(&b, mac, mac, sizeof(mac));
	assert_int_equal(b.len, 7);
	assert_memory_not_equal(a.data, b.data, a.len);
	/* Long identifiers: the start and a hash; two that differ only at
	 * the end still differ. */
	memset(id, 'i', sizeof(id));
	unet__dhcp_key_make(&b, mac, id, sizeof(id));
	id[sizeof(id) - 1] = 'j';
	unet__dhcp_key_make(&c, mac, id, sizeof(id));
	assert_int_equal(b.len, UNET__DHCP_KEY_MAX);
	assert_int_equal(c.len, UNET__DHCP_KEY_MAX);
	assert_memory_not_equal(b.data, c.data, b.len);
	/* The longest kept whole. */
	unet__dhcp_key_make(&b, mac, id, UNET__DHCP_KEY_MAX - 1);
	assert_int_equal(b.len, UNET__DHCP_KEY_MAX);
	assert_memory_equal(b.data + 1, id, UNET__DHCP_KEY_MAX - 1);
}

static void test_index(void **state)
{
	struct unet__dhcp_pool p;

	(void)state;
	assert_int_equal(unet__dhcp_pool_init(&p, ip("10.0.2.15"), 3), 0);
	assert_int_equal(unet__dhcp_pool_index(&p, ip("10.0.2.14")), -1);
	assert_int_equal(unet__dhcp_pool_index(&p, ip("10.0.2.15")), 0);
	assert_int_equal(unet__dhcp_pool_index(&p, ip("10.0.2.17")), 2);
	assert_int_equal(unet__dhcp_pool_index(&p, ip("10.0.2.18")), -1);
	assert_int_equal(unet__dhcp_pool_index(&p, 0), -1);
	assert_int_equal(unet__dhcp_pool_index(&p, ip("255.255.255.255")), -1);
	assert_int_equal(unet__dhcp_pool_addr(&p, 2), ip("10.0.2.17"));
	unet__dhcp_pool_free(&p);
	assert_null(p.leases);
	/* A pool that ends at the top of the address space. */
	assert_int_equal(unet__dhcp_pool_init(&p, ip("255.255.255.254"), 2), 0);
	assert_int_equal(unet__dhcp_pool_index(&p, ip("255.255.255.255")), 1);
	assert_int_equal(unet__dhcp_pool_index(&p, ip("0.0.0.0")), -1);
	unet__dhcp_pool_free(&p);
}

static void test_offer(void **state)
{
	struct unet__dhcp_key k1 = key(1), k2 = key(2), k3 = key(3);
	struct unet__dhcp_pool p;
	uint64_t now = 100 * S;

	(void)state;
	assert_int_equal(unet__dhcp_pool_init(&p, ip("10.0.2.15"), 2), 0);
	assert_int_equal(unet__dhcp_pool_offer(&p, &k1, 0, now), 0);
	/* Offered again: the same entry. */
	assert_int_equal(unet__dhcp_pool_offer(&p, &k1, 0, now), 0);
	/* Asking for a held address gets another one. */
	assert_int_equal(unet__dhcp_pool_offer(&p, &k2, ip("10.0.2.15"), now),
			 1);
	assert_int_equal(unet__dhcp_pool_offer(&p, &k3, 0, now), -ENOSPC);
	/* The offers hold for a while only. */
	now += UNET__DHCP_OFFER_HOLD_S * S;
	assert_int_equal(unet__dhcp_pool_offer(&p, &k3, ip("10.0.2.16"), now),
			 1);
	/* Client 2 lost its entry; it gets the one free longest. */
	assert_int_equal(unet__dhcp_pool_offer(&p, &k2, 0, now), 0);
	unet__dhcp_pool_free(&p);
}

static void test_request(void **state)
{
	struct unet__dhcp_key k1 = key(1), k2 = key(2);
	struct unet__dhcp_pool p;
	uint64_t now = 5 * S;
	bool renewal = true;

	(void)state;
	assert_int_equal(unet__dhcp_pool_init(&p, ip("10.0.2.15"), 4), 0);
	/* INIT-REBOOT straight away: a free address is leased. */
	assert_int_equal(unet__dhcp_pool_request(&p, &k1, ip("10.0.2.17"), now,
						 &renewal),
			 0);
	assert_false(renewal);
	assert_int_equal(p.leases[2].state, UNET__DHCP_LEASE_BOUND);
	assert_true(p.leases[2].expires_ns == now + UNET__DHCP_LEASE_S * S);
	/* Again: a renewal. */
	assert_int_equal(unet__dhcp_pool_request(&p, &k1, ip("10.0.2.17"),
						 now + S, &renewal),
			 0);
	assert_true(renewal);
	/* Another address than its own, outside the pool, someone else's. */
	assert_int_equal(unet__dhcp_pool_request(&p, &k1, ip("10.0.2.15"), now,
						 &renewal),
			 -EADDRINUSE);
	assert_int_equal(unet__dhcp_pool_request(&p, &k1, ip("10.0.2.99"), now,
						 &renewal),
			 -ERANGE);
	assert_int_equal(unet__dhcp_pool_request(&p, &k2, ip("10.0.2.17"), now,
						 &renewal),
			 -EADDRINUSE);
	/* An offer is turned into a lease. */
	assert_int_equal(unet__dhcp_pool_offer(&p, &k2, 0, now), 0);
	assert_int_equal(unet__dhcp_pool_request(&p, &k2, ip("10.0.2.15"), now,
						 &renewal),
			 0);
	assert_false(renewal);
	/* A live lease is offered as it is, not turned back into an offer. */
	assert_int_equal(unet__dhcp_pool_offer(&p, &k2, 0, now), 0);
	assert_int_equal(p.leases[0].state, UNET__DHCP_LEASE_BOUND);
	/* Once the lease ran out, someone else may have the address. */
	now += UNET__DHCP_LEASE_S * S + S;
	assert_int_equal(unet__dhcp_pool_request(&p, &k2, ip("10.0.2.17"), now,
						 &renewal),
			 -EADDRINUSE);
	assert_int_equal(unet__dhcp_pool_release(&p, &k2, ip("10.0.2.15"), now),
			 0);
	assert_int_equal(unet__dhcp_pool_request(&p, &k2, ip("10.0.2.17"), now,
						 &renewal),
			 -EADDRINUSE);
	unet__dhcp_pool_free(&p);
}

static void test_unoffer(void **state)
{
	struct unet__dhcp_key k1 = key(1), k2 = key(2);
	struct unet__dhcp_pool p;
	bool renewal;

	(void)state;
	assert_int_equal(unet__dhcp_pool_init(&p, ip("10.0.2.15"), 1), 0);
	assert_int_equal(unet__dhcp_pool_offer(&p, &k1, 0, S), 0);
	assert_int_equal(unet__dhcp_pool_offer(&p, &k2, 0, S), -ENOSPC);
	/* Client 1 took another server's offer: the address is free. */
	unet__dhcp_pool_unoffer(&p, &k1, S);
	assert_int_equal(unet__dhcp_pool_offer(&p, &k2, 0, S), 0);
	/* A lease is not given up that way. */
	assert_int_equal(unet__dhcp_pool_request(&p, &k2, ip("10.0.2.15"), S,
						 &renewal),
			 0);
	unet__dhcp_pool_unoffer(&p, &k2, S);
	assert_int_equal(p.leases[0].state, UNET__DHCP_LEASE_BOUND);
	/* A client with nothing: nothing happens. */
	unet__dhcp_pool_unoffer(&p, &k1, S);
	unet__dhcp_pool_free(&p);
}

static void test_decline_release(void **state)
{
	struct unet__dhcp_key k1 = key(1), k2 = key(2);
	struct unet__dhcp_pool p;
	uint64_t now = S;
	bool renewal;

	(void)state;
	assert_int_equal(unet__dhcp_pool_init(&p, ip("10.0.2.15"), 2), 0);
	assert_int_equal(unet__dhcp_pool_offer(&p, &k1, 0, now), 0);
	/* Only the owner may decline or release. */
	assert_int_equal(unet__dhcp_pool_decline(&p, &k2, ip("10.0.2.15"), now),
			 -EPERM);
	assert_int_equal(unet__dhcp_pool_release(&p, &k2, ip("10.0.2.15"), now),
			 -EPERM);
	assert_int_equal(unet__dhcp_pool_decline(&p, &k1, ip("10.0.2.99"), now),
			 -EPERM);
	assert_int_equal(unet__dhcp_pool_decline(&p, &k1, ip("10.0.2.15"), now),
			 0);
	assert_int_equal(p.leases[0].owner.len, 0);
	/* Declined: out of the pool for a while, for everybody. */
	assert_int_equal(unet__dhcp_pool_offer(&p, &k1, ip("10.0.2.15"), now),
			 1);
	assert_int_equal(unet__dhcp_pool_offer(&p, &k2, 0, now), -ENOSPC);
	now += UNET__DHCP_DECLINE_HOLD_S * S;
	assert_int_equal(unet__dhcp_pool_offer(&p, &k2, 0, now), 0);

	/* Released: free, and the owner gets it back while it is. */
	assert_int_equal(unet__dhcp_pool_request(&p, &k1, ip("10.0.2.16"), now,
						 &renewal),
			 0);
	assert_int_equal(unet__dhcp_pool_release(&p, &k1, ip("10.0.2.16"), now),
			 0);
	assert_int_equal(p.leases[1].state, UNET__DHCP_LEASE_FREE);
	assert_int_equal(unet__dhcp_pool_offer(&p, &k1, 0, now), 1);
	unet__dhcp_pool_free(&p);
}

static void test_bootp(void **state)
{
	struct unet__dhcp_key k1 = key(1), k2 = key(2);
	struct unet__dhcp_pool p;

	(void)state;
	assert_int_equal(unet__dhcp_pool_init(&p, ip("10.0.2.15"), 1), 0);
	assert_int_equal(unet__dhcp_pool_bootp(&p, &k1, S), 0);
	assert_true(p.leases[0].expires_ns == UINT64_MAX);
	assert_int_equal(unet__dhcp_pool_bootp(&p, &k1, 1000000 * S), 0);
	assert_int_equal(unet__dhcp_pool_bootp(&p, &k2, 1000000 * S), -ENOSPC);
	assert_int_equal(unet__dhcp_pool_offer(&p, &k2, 0, UINT64_MAX - 1),
			 -ENOSPC);
	unet__dhcp_pool_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_offer),
		cmocka_unit_test(test_request),
		cmocka_unit_test(test_unoffer),
		cmocka_unit_test(test_decline_release),
		cmocka_unit_test(test_bootp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
