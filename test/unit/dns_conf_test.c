/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of resolv.conf reading (stack/dns_conf.c), on files in a
 * temporary folder: a table of lines (nameservers, IPv6 ones, link-local
 * ones with good and bad scopes, comments, junk), more nameservers than the table holds (the ninth used to be
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
#include <net/if.h>

#include "dns_conf.h"

/* A row's scope that is the loopback interface's index, whatever it is. */
#define SCOPE_LO UINT32_MAX

/**
 * struct line_row - one line for unet__dns_resolv_line()
 * @line: the line
 * @kind: 1 a nameserver, 2 an IPv6 one skipped for its scope, 0 anything
 *        else
 * @addr: the address, for kind 1
 * @scope: its sin6_scope_id, for kind 1 (SCOPE_LO: lo's index)
 */
struct line_row {
	const char *line;
	int kind;
	const char *addr;
	uint32_t scope;
};

static const struct line_row line_rows[] = {
	{ "nameserver 10.0.0.1\n", 1, "10.0.0.1", 0 },
	{ "nameserver\t192.0.2.53   # a comment\n", 1, "192.0.2.53", 0 },
	{ "  nameserver 127.0.0.53", 1, "127.0.0.53", 0 },
	{ "nameserver 10.0.0.1\r\n", 1, "10.0.0.1", 0 },
	{ "nameserver ::1\n", 1, "::1", 0 },
	{ "nameserver 2001:db8::53 # v6\n", 1, "2001:db8::53", 0 },
	{ "nameserver fe80::1%lo\n", 1, "fe80::1", SCOPE_LO },
	{ "nameserver fe80::53%2 # by index\n", 1, "fe80::53", 2 },
	{ "nameserver fe80::1%4294967294", 1, "fe80::1", 4294967294u },
	{ "nameserver febf::1%lo", 1, "febf::1", SCOPE_LO },
	{ "nameserver fe80::1\n", 2, NULL, 0 },
	{ "nameserver fe80::1%\n", 2, NULL, 0 },
	{ "nameserver fe80::1%0\n", 2, NULL, 0 },
	{ "nameserver fe80::1%4294967296\n", 2, NULL, 0 },
	{ "nameserver fe80::1%nosuchif9\n", 2, NULL, 0 },
	{ "nameserver fe80::1%12a\n", 2, NULL, 0 },
	{ "nameserver fe80::1%-1\n", 2, NULL, 0 },
	{ "nameserver fe80::1%lo%lo\n", 2, NULL, 0 },
	{ "nameserver fe80::1%aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", 2, NULL, 0 },
	{ "nameserver 2001:db8::53%lo\n", 2, NULL, 0 },
	{ "nameserver fec0::1%1\n", 2, NULL, 0 },
	{ "nameserver %lo\n", 0, NULL, 0 },
	{ "nameserver 10.0.0.1%lo\n", 0, NULL, 0 },
	{ "nameserver 2001:db8:::53\n", 0, NULL, 0 },
	{ "nameserver ::ffff:300.1.1.1\n", 0, NULL, 0 },
	{ "nameserver\n", 0, NULL, 0 },
	{ "nameserver 300.1.1.1\n", 0, NULL, 0 },
	{ "nameserver example.com\n", 0, NULL, 0 },
	{ "# nameserver 10.0.0.1\n", 0, NULL, 0 },
	{ "search example.com\n", 0, NULL, 0 },
	{ "nameservers 10.0.0.1\n", 0, NULL, 0 },
	{ "", 0, NULL, 0 },
	{ "\n", 0, NULL, 0 },
};

static void test_line_table(void **state)
{
	union unet__dns_sa sa;
	char buf[128], a[UNET__DNS_ADDR_STRLEN];
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
		if (sa.sa.sa_family == AF_INET6) {
			assert_int_equal(ntohs(sa.in6.sin6_port), 53);
			assert_int_equal(sa.in6.sin6_scope_id,
					 line_rows[i].scope == SCOPE_LO ?
						 if_nametoindex("lo") :
						 line_rows[i].scope);
			inet_ntop(AF_INET6, &sa.in6.sin6_addr, a, sizeof(a));
		} else {
			assert_int_equal(sa.sa.sa_family, AF_INET);
			assert_int_equal(ntohs(sa.in.sin_port), 53);
			inet_ntop(AF_INET, &sa.in.sin_addr, a, sizeof(a));
		}
		assert_string_equal(a, line_rows[i].addr);
	}
}

/* Addresses of both families: printed, mapped, compared. */
static void test_addrs(void **state)
{
	union unet__dns_sa v4, v6, m;
	struct sockaddr_in6 from;
	char a[UNET__DNS_ADDR_STRLEN], line[64];

	(void)state;
	snprintf(line, sizeof(line), "nameserver 192.0.2.1");
	assert_int_equal(unet__dns_resolv_line(line, &v4), 1);
	snprintf(line, sizeof(line),
		 "nameserver 2001:db8:ffff:ffff:ffff:ffff:ffff:ffff");
	assert_int_equal(unet__dns_resolv_line(line, &v6), 1);
	assert_string_equal(unet__dns_addr_str(&v4, a, sizeof(a)),
			    "192.0.2.1:53");
	assert_string_equal(unet__dns_addr_str(&v6, a, sizeof(a)),
			    "[2001:db8:ffff:ffff:ffff:ffff:ffff:ffff]:53");
	unet__dns_sa_mapped(&v4, &m);
	assert_int_equal(m.sa.sa_family, AF_INET6);
	assert_string_equal(unet__dns_addr_str(&m, a, sizeof(a)),
			    "[::ffff:192.0.2.1]:53");
	unet__dns_sa_mapped(&v6, &m);
	assert_memory_equal(&m, &v6, sizeof(m));
	assert_true(unet__dns_sa_same(&v4.sa, &v4));
	assert_false(unet__dns_sa_same(&v4.sa, &v6));
	from = v6.in6;
	assert_true(unet__dns_sa_same((struct sockaddr *)&from, &v6));
	from.sin6_port = htons(54);
	assert_false(unet__dns_sa_same((struct sockaddr *)&from, &v6));
	from = v6.in6;
	from.sin6_addr.s6_addr[15] ^= 1;
	assert_false(unet__dns_sa_same((struct sockaddr *)&from, &v6));

	/* A link-local one: its scope is printed, kept and compared. */
	snprintf(line, sizeof(line), "nameserver fe80::1%%lo");
	assert_int_equal(unet__dns_resolv_line(line, &v6), 1);
	assert_string_equal(unet__dns_addr_str(&v6, a, sizeof(a)),
			    "[fe80::1%lo]:53");
	unet__dns_sa_mapped(&v6, &m);
	assert_memory_equal(&m, &v6, sizeof(m));
	from = v6.in6;
	assert_true(unet__dns_sa_same((struct sockaddr *)&from, &v6));
	from.sin6_scope_id++;
	assert_false(unet__dns_sa_same((struct sockaddr *)&from, &v6));
	snprintf(line, sizeof(line), "nameserver fe80::1%%4294967295");
	assert_int_equal(unet__dns_resolv_line(line, &v6), 1);
	assert_string_equal(unet__dns_addr_str(&v6, a, sizeof(a)),
			    "[fe80::1%4294967295]:53");
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
	/*
	 * A link-local IPv6 nameserver on no interface (skipped), ::1, then
	 * ten IPv4 ones: the first eight usable ones are kept, in order.
	 */
	used += (size_t)snprintf(
		text + used, sizeof(text) - used,
		"nameserver fe80::1%%nosuchif9\nnameserver ::1\n");
	for (i = 1; i <= 10; i++)
		used += (size_t)snprintf(text + used, sizeof(text) - used,
					 "nameserver 10.0.0.%d\n", i);
	write_file(text);
	memset(&rc, 0, sizeof(rc));
	unet__dns_resolv_read(&rc, path, NULL);
	assert_int_equal(rc.n, UNET_DNS_UPSTREAM_MAX);
	assert_int_equal(rc.servers[0].sa.sa_family, AF_INET6);
	assert_true(IN6_IS_ADDR_LOOPBACK(&rc.servers[0].in6.sin6_addr));
	for (i = 1; i < UNET_DNS_UPSTREAM_MAX; i++)
		assert_int_equal(ntohl(rc.servers[i].in.sin_addr.s_addr),
				 0x0a000000u + (uint32_t)i);

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
	assert_int_equal(ntohl(rc.servers[0].in.sin_addr.s_addr), 0x0a010101u);

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
		cmocka_unit_test(test_addrs),
		cmocka_unit_test(test_read),
		cmocka_unit_test(test_refresh),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
