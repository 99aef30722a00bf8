/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of tools/memtrim.c, the command line's heap trimmer: when it
 * decides to trim (a table of peaks and heaps in use), and, with glibc's
 * own malloc (not under AddressSanitizer, which has its own), that a heap
 * left full of freed small chunks is given back once and only once: 64 MiB
 * in 1 KiB pieces, one kept on top so that glibc cannot shrink the heap
 * by itself, freed; RSS must fall by half of that after memtrim_check().
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "memtrim.h"

#define MIB (1024u * 1024u)

/* A peak, the heap in use now, and whether that calls for a trim. */
struct should_row {
	size_t peak;
	size_t in_use;
	bool trim;
};

static const struct should_row should_rows[] = {
	{ 0, 0, false },			/* nothing ever */
	{ 4 * MIB, 1 * MIB, false },		/* a small drop */
	{ 20 * MIB, 4 * MIB, true },		/* 16 MiB down, to a fifth */
	{ 17 * MIB, 1 * MIB, true },		/* just 16 MiB down */
	{ 17 * MIB, 1 * MIB + 1, false },	/* just short of it */
	{ 100 * MIB, 60 * MIB, false },		/* 40 MiB down, not to half */
	{ 100 * MIB, 50 * MIB, true },		/* to half */
	{ 100 * MIB, 120 * MIB, false },	/* grown: a new peak */
	{ 1500 * MIB, 1 * MIB, true },		/* after a flood */
};

static void test_should(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(should_rows) / sizeof(should_rows[0]); i++) {
		const struct should_row *r = &should_rows[i];

		if (memtrim_should(r->peak, r->in_use) != r->trim)
			fail_msg("row %zu: peak %zu, in use %zu: want %s", i,
				 r->peak, r->in_use,
				 r->trim ? "a trim" : "none");
	}
}

#define PIECES (64 * 1024)

static void test_give_back(void **state)
{
	static void *piece[PIECES];
	struct memtrim m;
	struct memtrim_usage full, freed, trimmed;
	void *top;
	size_t i;

	(void)state;
#if defined(__SANITIZE_ADDRESS__)
	skip();	/* ASan's allocator: mallinfo2() does not describe it */
#endif
	memset(&m, 0, sizeof(m));
	for (i = 0; i < PIECES; i++) {
		piece[i] = malloc(1024);
		assert_non_null(piece[i]);
		memset(piece[i], 0x5a, 1024);
	}
	top = malloc(64);
	assert_non_null(top);
	memtrim_usage(&full);
	assert_false(memtrim_check(&m));	/* the peak, remembered */
	assert_true(m.peak >= 64 * MIB);
	for (i = 0; i < PIECES; i++)
		free(piece[i]);
	memtrim_usage(&freed);
	assert_true(freed.heap_in_use + 60 * MIB <= full.heap_in_use);
	/* glibc kept it: RSS is still up. */
	assert_true(freed.rss + 32 * MIB > full.rss);

	assert_true(memtrim_check(&m));
	memtrim_usage(&trimmed);
	print_message("  rss %zu -> %zu -> %zu KiB\n", full.rss / 1024,
		      freed.rss / 1024, trimmed.rss / 1024);
	assert_true(trimmed.rss + 32 * MIB <= freed.rss);
	assert_int_equal(m.trims, 1);
	assert_true(m.released >= 32 * MIB);
	/* Once: the peak starts again from the trimmed heap. */
	assert_false(memtrim_check(&m));
	assert_int_equal(m.trims, 1);
	free(top);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_should),
		cmocka_unit_test(test_give_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
