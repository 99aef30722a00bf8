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
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "names.h"

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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ttl_floor_ceiling_expiry),
		cmocka_unit_test(test_names_of_one_address),
		cmocka_unit_test(test_table_cap),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
