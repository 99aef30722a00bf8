// SPDX-License-Identifier: MIT
/*
 * Unit tests of the slirp4netns personality's command line
 * (tools/slirp4netns.c): podman's and rootlesskit's command lines give the
 * options they mean, slirp4netns's defaults hold, a table of bad command
 * lines exits 1, --help and --version exit 0, --outbound-addr(6) take an
 * address or an interface's and refuse the rest, and --enable-sandbox
 * and --enable-seccomp (podman passes both) are taken.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "slirp4netns.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ARGS_MAX 24

/* Splits @line at spaces into a fresh argv and parses it. */
static int parse(const char *line, struct s4n_options *o)
{
	static char buf[1024];
	static char *argv[ARGS_MAX + 1];
	int argc = 0;
	char *save = NULL, *w;

	snprintf(buf, sizeof(buf), "%s", line);
	for (w = strtok_r(buf, " ", &save); w != NULL && argc < ARGS_MAX;
	     w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	return s4n_parse(argc, argv, o);
}

static uint32_t ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static void test_defaults(void **state)
{
	struct s4n_options o;

	assert_int_equal(parse("slirp4netns 42", &o), -1);
	assert_int_equal(o.pid, 42);
	assert_null(o.netns_path);
	assert_string_equal(o.tapname, "tap0");
	assert_int_equal(o.mtu, 1500);
	assert_int_equal(o.net.s_addr, ip("10.0.2.0"));
	assert_int_equal(o.mask.s_addr, ip("255.255.255.0"));
	assert_false(o.configure);
	assert_false(o.ipv6);
	assert_false(o.disable_host_loopback);
	assert_false(o.set_mac);
	assert_int_equal(o.exit_fd, -1);
	assert_int_equal(o.ready_fd, -1);
	assert_null(o.api_socket);
	assert_null(o.userns_path);
}

/* Rootless podman 4.3's command line. */
static void test_podman(void **state)
{
	struct s4n_options o;

	assert_int_equal(
		parse("slirp4netns --disable-host-loopback --mtu=65520 --enable-sandbox --enable-seccomp --enable-ipv6 -c -e 3 -r 4 --api-socket /run/x.sock --netns-type=path /proc/self/ns/net tap0",
		      &o),
		-1);
	assert_true(o.disable_host_loopback);
	assert_int_equal(o.mtu, 65520);
	assert_true(o.ipv6);
	assert_true(o.configure);
	assert_int_equal(o.exit_fd, 3);
	assert_int_equal(o.ready_fd, 4);
	assert_string_equal(o.api_socket, "/run/x.sock");
	assert_string_equal(o.netns_path, "/proc/self/ns/net");
	assert_int_equal(o.pid, 0);
	assert_string_equal(o.tapname, "tap0");
	assert_true(o.sandbox);
	assert_true(o.seccomp);
	/* slirp4netns's old spelling */
	assert_int_equal(parse("slirp4netns --create-sandbox 3", &o), -1);
	assert_true(o.sandbox);
}

/* Short options, options after the operands (GNU permutation), --cidr,
 * --macaddress, --userns-path, --target-type=netns, the old spelling. */
static void test_others(void **state)
{
	struct s4n_options o;

	assert_int_equal(
		parse("slirp4netns 7 eth9 -c -m 9000 -6 -a /tmp/a --cidr=192.168.100.0/25 --macaddress=02:0A:b:c:d:ef --userns-path=/proc/self/ns/user --target-type=netns --no-host-loopback",
		      &o),
		-1);
	assert_int_equal(o.pid, 7);
	assert_string_equal(o.tapname, "eth9");
	assert_int_equal(o.mtu, 9000);
	assert_true(o.ipv6);
	assert_int_equal(o.net.s_addr, ip("192.168.100.0"));
	assert_int_equal(o.mask.s_addr, ip("255.255.255.128"));
	assert_true(o.set_mac);
	assert_memory_equal(o.mac,
			    ((uint8_t[]){ 2, 0x0a, 0xb, 0xc, 0xd, 0xef }), 6);
	assert_string_equal(o.userns_path, "/proc/self/ns/user");
	assert_true(o.disable_host_loopback);
	/* --netns-type=pid is the default, spelled out */
	assert_int_equal(parse("slirp4netns --netns-type=pid 9", &o), -1);
	assert_int_equal(o.pid, 9);
}

static const char *const bad_lines[] = {
	"slirp4netns",
	"slirp4netns -c",
	"slirp4netns 0",
	"slirp4netns -5",
	"slirp4netns 12x",
	"slirp4netns 99999999999999999999",
	"slirp4netns --netns-type=path /nonexistent/netns",
	"slirp4netns --netns-type=tapfd 3",
	"slirp4netns --netns-type=bogus 3",
	"slirp4netns --userns-path=/nonexistent/userns 3",
	"slirp4netns -m 0 3",
	"slirp4netns -m 65522 3",
	"slirp4netns -m 100 3",
	"slirp4netns -m abc 3",
	"slirp4netns --mtu 3",
	"slirp4netns -e -1 3",
	"slirp4netns -e x 3",
	"slirp4netns -r 99999999999 3",
	"slirp4netns --cidr=10.0.2.0 3",
	"slirp4netns --cidr=10.0.2.0/26 3",
	"slirp4netns --cidr=10.0.2.0/0 3",
	"slirp4netns --cidr=10.0.2.100/24 3",
	"slirp4netns --cidr=10.0.2/24 3",
	"slirp4netns --cidr=10.0.2.0/24x 3",
	"slirp4netns --cidr=/24 3",
	"slirp4netns --macaddress=02:00:00:00:00:01 3",
	"slirp4netns -c --macaddress=02:00:00:00:00 3",
	"slirp4netns -c --macaddress=02:00:00:00:00:01:02 3",
	"slirp4netns -c --macaddress=002:00:00:00:00:01 3",
	"slirp4netns -c --macaddress=zz:00:00:00:00:01 3",
	"slirp4netns --target-type=bess /tmp/x",
	"slirp4netns 3 averyveryverylongname",
	"slirp4netns --frobnicate 3",
	"slirp4netns -x 3",
	/* not yet in usernet: refused, never ignored */
};

/* --outbound-addr/--outbound-addr6 that name no usable address. */
static const char *const bad_outbound[] = {
	"slirp4netns --outbound-addr=0.0.0.0 3",
	"slirp4netns --outbound-addr=224.0.0.1 3",
	"slirp4netns --outbound-addr=10.1.1 3",
	"slirp4netns --outbound-addr=::1 3",
	"slirp4netns --outbound-addr=nosuchif0 3",
	"slirp4netns --outbound-addr=averyveryverylongifname 3",
	"slirp4netns --outbound-addr= 3",
	"slirp4netns --outbound-addr6=:: 3",
	"slirp4netns --outbound-addr6=ff02::1 3",
	"slirp4netns --outbound-addr6=10.1.1.1 3",
	"slirp4netns --outbound-addr6=fe80::1::2 3",
	"slirp4netns --outbound-addr6=nosuchif0 3",
	"slirp4netns --outbound-addr 3",
};

/* Addresses, interface names (lo's), and --disable-dns. */
static void test_outbound(void **state)
{
	struct s4n_options o;
	struct in6_addr a6;
	size_t i;

	assert_int_equal(parse("slirp4netns 3", &o), -1);
	assert_int_equal(o.outbound.s_addr, 0);
	assert_true(IN6_IS_ADDR_UNSPECIFIED(&o.outbound6));
	assert_false(o.disable_dns);
	assert_false(o.disable_offload);
	assert_int_equal(
		parse("slirp4netns --outbound-addr=198.18.0.7 --outbound-addr6=2001:db8::7 --disable-dns --disable-offload 3",
		      &o),
		-1);
	assert_true(o.disable_offload);
	assert_int_equal(o.outbound.s_addr, ip("198.18.0.7"));
	inet_pton(AF_INET6, "2001:db8::7", &a6);
	assert_memory_equal(&o.outbound6, &a6, sizeof(a6));
	assert_string_equal(o.outbound_addr, "198.18.0.7");
	assert_true(o.disable_dns);
	/* An interface gives its address: lo has 127.0.0.1 (and ::1). */
	assert_int_equal(parse("slirp4netns --outbound-addr=lo 3", &o), -1);
	assert_int_equal(o.outbound.s_addr, ip("127.0.0.1"));
	if (parse("slirp4netns --outbound-addr6=lo 3", &o) == -1)
		assert_true(IN6_IS_ADDR_LOOPBACK(&o.outbound6));
	for (i = 0; i < ARRAY_SIZE(bad_outbound); i++)
		if (parse(bad_outbound[i], &o) != 1)
			fail_msg("'%s' was taken", bad_outbound[i]);
	assert_int_equal(s4n_outbound_addr("198.18.0.1", AF_INET, &a6), 0);
	assert_int_equal(s4n_outbound_addr("nosuchif0", AF_INET, &a6), -EINVAL);
}

static void test_bad(void **state)
{
	struct s4n_options o;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_lines); i++)
		if (parse(bad_lines[i], &o) != 1)
			fail_msg("'%s' was taken", bad_lines[i]);
}

static void test_help_version(void **state)
{
	struct s4n_options o;

	assert_int_equal(parse("slirp4netns --help", &o), 0);
	assert_int_equal(parse("slirp4netns -h", &o), 0);
	assert_int_equal(parse("slirp4netns -v", &o), 0);
	assert_int_equal(parse("slirp4netns --version", &o), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_podman),
		cmocka_unit_test(test_others),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_outbound),
		cmocka_unit_test(test_help_version),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
