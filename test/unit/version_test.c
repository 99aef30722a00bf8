/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the version (hub/version.c, <usernet/version.h>): the
 * library says the version its headers say, and the macros order versions.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <usernet/usernet.h>

static void test_library_matches_headers(void **state)
{
	char s[32];

	(void)state;
	assert_string_equal(unet_version(), UNET_VERSION_STRING);
	assert_int_equal(unet_version_number(), UNET_VERSION_HEX);
	snprintf(s, sizeof(s), "%d.%d.%d", UNET_VERSION_MAJOR,
		 UNET_VERSION_MINOR, UNET_VERSION_PATCH);
	assert_string_equal(s, UNET_VERSION_STRING);
}

static void test_check_macro(void **state)
{
	(void)state;
	assert_true(UNET_VERSION_CHECK(0, 0, 0));
	assert_true(UNET_VERSION_CHECK(UNET_VERSION_MAJOR, UNET_VERSION_MINOR,
				       UNET_VERSION_PATCH));
	assert_false(UNET_VERSION_CHECK(UNET_VERSION_MAJOR,
					UNET_VERSION_MINOR,
					UNET_VERSION_PATCH + 1));
	assert_false(UNET_VERSION_CHECK(UNET_VERSION_MAJOR + 1, 0, 0));
	assert_true(UNET_VERSION_ENCODE(1, 0, 0) > UNET_VERSION_ENCODE(0, 255, 255));
	assert_true(UNET_VERSION_ENCODE(0, 2, 0) > UNET_VERSION_ENCODE(0, 1, 9));
#if !UNET_VERSION_CHECK(0, 0, 1) && UNET_VERSION_HEX != 0
#error "UNET_VERSION_CHECK must work in #if"
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_library_matches_headers),
		cmocka_unit_test(test_check_macro),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
