/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of resolv.conf reading (stack/dns_conf.c), on files in a
 * temporary folder: a table of lines (nameservers, IPv6 ones, comments,
 * junk), more nameservers than the table holds (the ninth used to be
 * written past it), a line longer than the line buffer, a missing file,
 * and reading again only when the file changed and a second has passed.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <arpa/inet.h>

#include "dns_conf.h"

/**
 * struct line_row - one line for unet__dns_resolv_line()
 * @line: the line
 * @kind: 1 an IPv4 nameserver, 2 an IPv6 one, 0 anything else
 * @addr: the IPv4 address, for kind 1
 */
struct line_row {
	const char *line;
	int kind;
	const char *addr;
};

static const struct line_row line_rows[] = {
	{ "nameserver 10.0.0.1\n", 1, "10.0.0.1" },
	{ "nameserver\t192.0.2.53   # a comment\n", 1, "192.0.2.53" },
	{ "  nameserver 127.0.0.53", 1, "127.0.0.53" },
	{ "nameserver 10.0.0.1\r\n", 1, "10.0.0.1" },
	{ "nameserver ::1\n", 2, NULL },
	{ "nameserver fe80::1%eth0\n", 2, NULL },
	{ "nameserver\n", 0, NULL },
	{ "nameserver 300.1.1.1\n", 0, NULL },
	{ "nameserver example.com\n", 0, NULL },
	{ "# nameserver 10.0.0.1\n", 0, NULL },
	{ "search example.com\n", 0, NULL },
	{ "nameservers 10.0.0.1\n", 0, NULL },
	{ "", 0, NULL },
	{ "\n", 0, NULL },
};

static void test_line_table(void **state)
{
	struct sockaddr_in sa;
	char buf[128], a[32];
	size_t i;
	int kind;

	(void)state;
	for (i = 0; i < sizeof(line_rows) / sizeof(line_rows[0]); i++) {
		snprintf(buf, sizeof(buf), "%s", line_rows[i].line);
		kind = unet__dns_resolv_line(buf, &sa);
		if (kind != line_rows[i].kind)
			fail_msg("'%s': kind %d", line_rows[i].line, kind);
		if (kind != 1)
			continue;
		assert_int_equal(sa.sin_family, AF_INET);
		assert_int_equal(ntohs(sa.sin_port), 53);
		inet_ntop(AF_INET, &sa.sin_addr, a, sizeof(a));
		assert_string_equal(a, line_rows[i].addr);
	}
}

static char dir[] = "/tmp/dns_conf_test.XXXXXX";
static char path[64];

static void write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_read(void **state)
{
	struct unet__dns_resolv rc;
	char text[2048], *long_line;
	size_t used = 0;
	int i;

	(void)state;
	/* Ten IPv4 nameservers and an IPv6 one: the first eight are kept. */
	for (i = 1; i <= 10; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used,
					 "nameserver 10.0.0.%d\n", i);
	snprintf(text + used, sizeof(text) - used, "nameserver ::1\n");
	write_file(text);
	memset(&rc, 0, sizeof(rc));
	unet__dns_resolv_read(&rc, path, NULL);
	assert_int_equal(rc.n, UNET_DNS_UPSTREAM_MAX);
	for (i = 0; i < UNET_DNS_UPSTREAM_MAX; i++)
		assert_int_equal(ntohl(rc.servers[i].sin_addr.s_addr),
				 0x0a000000u + (uint32_t)i + 1);

	/* The rest of a line longer than the buffer is not a line. */
	long_line = malloc(4096);
	assert_non_null(long_line);
	memset(long_line, ' ', 4000);
	snprintf(long_line + 500, 4096 - 500,
		 "x nameserver 10.9.9.9\nnameserver 10.1.1.1\n");
	write_file(long_line);
	free(long_line);
	unet__dns_resolv_read(&rc, path, NULL);
	assert_int_equal(rc.n, 1);
	assert_int_equal(ntohl(rc.servers[0].sin_addr.s_addr), 0x0a010101u);

	/* A missing file: no upstream. */
	unlink(path);
	unet__dns_resolv_read(&rc, path, NULL);
	assert_int_equal(rc.n, 0);
}

static void test_refresh(void **state)
{
	const uint64_t s = 1000000000ull;
	struct unet__dns_resolv rc;

	(void)state;
	memset(&rc, 0, sizeof(rc));
	write_file("nameserver 10.0.0.1\n");
	unet__dns_resolv_refresh(&rc, path, 5 * s, NULL);
	assert_int_equal(rc.n, 1);
	/* Changed (another size), but looked at within the second: kept. */
	write_file("nameserver 10.0.0.1\nnameserver 10.0.0.2\n");
	unet__dns_resolv_refresh(&rc, path, 5 * s + s / 2, NULL);
	assert_int_equal(rc.n, 1);
	/* A second later it is read again. */
	unet__dns_resolv_refresh(&rc, path, 6 * s, NULL);
	assert_int_equal(rc.n, 2);
	/* Unchanged: not read (the table is left as it is). */
	rc.n = 0;
	unet__dns_resolv_refresh(&rc, path, 8 * s, NULL);
	assert_int_equal(rc.n, 0);
	/* Gone: read again, and nothing is left. */
	rc.n = 2;
	unlink(path);
	unet__dns_resolv_refresh(&rc, path, 10 * s, NULL);
	assert_int_equal(rc.n, 0);
}

static int setup(void **state)
{
	(void)state;
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/resolv.conf", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	rmdir(dir);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line_table),
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_refresh),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
