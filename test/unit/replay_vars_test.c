/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of a replay script's variables (tools/replay_vars.c): setting
 * and replacing, the table's bounds, $NAME expansion with arithmetic modulo
 * 2^32, and a table of words that must fail with nothing written past the
 * output buffer.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "replay_vars.h"

static struct replay_vars vars;

static int setup(void **state)
{
	(void)state;
	memset(&vars, 0, sizeof(vars));
	assert_int_equal(replay_vars_set(&vars, "port", "40000"), 0);
	assert_int_equal(replay_vars_set(&vars, "seq", "4294967295"), 0);
	assert_int_equal(replay_vars_set(&vars, "ip", "10.0.2.2"), 0);
	assert_int_equal(replay_vars_set(&vars, "a_1", "x"), 0);
	return 0;
}

static void expand_ok(const char *in, const char *want)
{
	char out[128], err[128] = "";

	if (replay_vars_expand(&vars, in, out, sizeof(out), err, sizeof(err)) !=
	    0)
		fail_msg("'%s': %s", in, err);
	assert_string_equal(out, want);
}

static void test_set_get_replace(void **state)
{
	(void)state;
	assert_string_equal(replay_vars_get(&vars, "port"), "40000");
	assert_null(replay_vars_get(&vars, "none"));
	assert_null(replay_vars_get(&vars, "por"));
	assert_int_equal(replay_vars_set(&vars, "port", "1"), 0);
	assert_string_equal(replay_vars_get(&vars, "port"), "1");
	assert_int_equal(vars.n, 4);
}

static void test_bounds(void **state)
{
	char name[REPLAY_VAR_NAME + 1], value[200];
	int i;

	(void)state;
	/* a name of REPLAY_VAR_NAME bytes does not fit; one less does */
	memset(name, 'n', sizeof(name) - 1);
	name[REPLAY_VAR_NAME] = '\0';
	assert_int_equal(replay_vars_set(&vars, name, "1"), -ENOSPC);
	name[REPLAY_VAR_NAME - 1] = '\0';
	assert_int_equal(replay_vars_set(&vars, name, "1"), 0);
	/* a long value is cut to its buffer */
	memset(value, 'v', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	assert_int_equal(replay_vars_set(&vars, "long", value), 0);
	assert_int_equal(strlen(replay_vars_get(&vars, "long")),
			 REPLAY_VAR_VALUE - 1);
	/* the table fills up; existing names can still change */
	for (i = vars.n; i < REPLAY_VARS_MAX; i++) {
		snprintf(name, sizeof(name), "v%d", i);
		assert_int_equal(replay_vars_set(&vars, name, "0"), 0);
	}
	assert_int_equal(replay_vars_set(&vars, "more", "0"), -ENOSPC);
	assert_int_equal(replay_vars_set(&vars, "seq", "7"), 0);
	assert_string_equal(replay_vars_get(&vars, "seq"), "7");
}

static void test_expand(void **state)
{
	(void)state;
	expand_ok("", "");
	expand_ok("plain", "plain");
	expand_ok("$port", "40000");
	expand_ok("10.0.2.2:$port", "10.0.2.2:40000");
	expand_ok("$ip:$port", "10.0.2.2:40000");
	expand_ok("seq=$seq+1", "seq=0"); /* wraps at 2^32 */
	expand_ok("$port-40001", "4294967295");
	expand_ok("$port+10,", "40010,");
	expand_ok("$port+", "40000+"); /* no digit: no sum */
	expand_ok("$a_1.y", "x.y");
	expand_ok("$ip-x", "10.0.2.2-x"); /* no digit: no sum */
}

/* Words that must fail, and what the message says. */
static void test_malformed(void **state)
{
	static const struct {
		const char *in;
		size_t cap;
		const char *msg;
	} rows[] = {
		{ "$nope", 64, "$nope is not set" },
		{ "$", 64, "$ is not set" },
		{ "x$?", 64, "$ is not set" },
		{ "$ip+1", 64, "$ip (10.0.2.2) is not a number to add to" },
		{ "$por", 64, "$por is not set" },
		{ "0123456789", 10, "a word is too long once expanded" },
		{ "$port", 5, "a word is too long once expanded" },
		{ "ab$port", 7, "a word is too long once expanded" },
		{ "$port", 1, "a word is too long once expanded" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		char out[80], err[128] = "";

		memset(out, 0x5a, sizeof(out));
		assert_int_equal(replay_vars_expand(&vars, rows[i].in, out,
						    rows[i].cap, err,
						    sizeof(err)),
				 -EINVAL);
		assert_string_equal(err, rows[i].msg);
		/* nothing written past the buffer */
		assert_int_equal(out[rows[i].cap], 0x5a);
	}
}

/* A name longer than a variable's name can be stops at the longest one;
 * the rest of it is text. */
static void test_long_name(void **state)
{
	char word[REPLAY_VAR_NAME + 8], name[REPLAY_VAR_NAME];

	(void)state;
	memset(name, 'k', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(replay_vars_set(&vars, name, "V"), 0);
	snprintf(word, sizeof(word), "$%skk", name);
	expand_ok(word, "Vkk");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_set_get_replace, setup),
		cmocka_unit_test_setup(test_bounds, setup),
		cmocka_unit_test_setup(test_expand, setup),
		cmocka_unit_test_setup(test_malformed, setup),
		cmocka_unit_test_setup(test_long_name, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
