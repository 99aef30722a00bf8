/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the egress policy (proxy/policy.c) through its public API:
 * no socket, no proxy.
 *
 * The parser: a table of good texts (comments, blank lines, CRLF, parts in
 * any order, default lines, both families) with their rule counts and
 * defaults, and a table of malformed lines with the line number and words
 * of the message they must give. The matcher: rule order (first match
 * wins), CIDR edges (/0, /32, /128, odd lengths, the last address inside
 * and the first outside), port ranges and their ends, protocol filters
 * (icmp matches ICMPv6 echo; a port rule never matches ICMP), the default
 * verdict, the cap of UNET_POLICY_RULES_MAX rules, and the file loader.
 */
#include <arpa/inet.h>
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

#include <usernet/policy.h>

#include "policy_internal.h"

/* Names of 252, 253 (the longest), 254 and 300 bytes. */
#define LONG_NAME_253 \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define LONG_NAME_252 \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define LONG_NAME_254 \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbc"
#define LONG_NAME_300 \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb.dddddddddddddddddddddddddddddddddddddddddddddd"

static struct unet_policy *parse_ok(const char *text)
{
	struct unet_policy *p = NULL;
	char err[256];
	int r = unet_policy_parse(text, strlen(text), "t", &p, err,
				  sizeof(err));

	if (r != 0)
		fail_msg("'%s' failed: %s", text, err);
	return p;
}

static struct unet_flow_desc flow(int proto, const char *dst, uint16_t port)
{
	struct unet_flow_desc d;

	memset(&d, 0, sizeof(d));
	d.proto = proto;
	if (strchr(dst, ':') != NULL) {
		d.family = AF_INET6;
		assert_int_equal(inet_pton(AF_INET6, dst, &d.dst6), 1);
		if (proto == IPPROTO_ICMP)
			d.proto = IPPROTO_ICMPV6;
	} else {
		d.family = AF_INET;
		assert_int_equal(inet_pton(AF_INET, dst, &d.dst), 1);
	}
	d.port = port;
	return d;
}

static void test_parse_good(void **state)
{
	static const struct {
		const char *text;
		size_t rules;
		enum unet_policy_verdict def;
	} table[] = {
		{ "", 0, UNET_POLICY_ALLOW },
		{ "\n\n  \t\n# only a comment\n", 0, UNET_POLICY_ALLOW },
		{ "default deny", 0, UNET_POLICY_DENY },
		{ "default deny\ndefault allow\n", 0, UNET_POLICY_ALLOW },
		{ "allow", 1, UNET_POLICY_ALLOW },
		{ "deny tcp", 1, UNET_POLICY_ALLOW },
		{ "allow tcp to 198.18.0.0/15 port 443 # https\r\n", 1,
		  UNET_POLICY_ALLOW },
		{ "allow port 443 to 198.18.0.1 udp", 1, UNET_POLICY_ALLOW },
		{ "\tallow  udp\tto 2001:db8::/32  port 53-54\n"
		  "deny icmp to ::/0\ndefault deny\n",
		  2, UNET_POLICY_DENY },
		{ "allow to 10.0.0.0/0\nallow to 10.1.2.3/32\n"
		  "allow to ::1/128\nallow port 1-65535\n",
		  4, UNET_POLICY_ALLOW },
		{ "allow to 192.168.1.5/24", 1, UNET_POLICY_ALLOW },
		{ "deny#x\nallow", 2, UNET_POLICY_ALLOW },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct unet_policy *p = parse_ok(table[i].text);

		assert_int_equal(unet_policy_rules(p), table[i].rules);
		assert_int_equal(unet_policy_default(p), table[i].def);
		unet_policy_free(p);
	}
}

static void test_parse_bad(void **state)
{
	static const struct {
		const char *text;
		const char *want; /* "t:LINE: ..." prefix and a word */
		const char *word;
	} table[] = {
		{ "permit tcp", "t:1:", "permit" },
		{ "allow\nallow tcp udp", "t:2:", "protocol" },
		{ "allow sctp", "t:1:", "sctp" },
		{ "allow to", "t:1:", "needs a value" },
		{ "allow port", "t:1:", "needs a value" },
		{ "allow to 300.1.1.1", "t:1:", "300.1.1.1" },
		{ "allow to 10.0.0.0/33", "t:1:", "0..32" },
		{ "allow to 2001:db8::/129", "t:1:", "0..128" },
		{ "allow to 10.0.0.0/", "t:1:", "prefix" },
		{ "allow to 10.0.0.0/-1", "t:1:", "prefix" },
		{ "allow to 10.0.0.0/8x", "t:1:", "prefix" },
		{ "allow to exa_mple!.com", "t:1:", "not an address, a name" },
		{ "allow to a..example", "t:1:", "a..example" },
		{ "allow to .example", "t:1:", ".example" },
		{ "allow to example..", "t:1:", "example.." },
		{ "allow to *example", "t:1:", "*example" },
		{ "allow to a.*.example", "t:1:", "a.*.example" },
		{ "allow to **", "t:1:", "**" },
		{ "allow to x.\xc3\xa9.example", "t:1:", "not an address" },
		{ "allow to example.com to 10.0.0.1", "t:1:", "'to'" },
		/* A label of 64 bytes; a name of 254. */
		{ "allow to aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example",
		  "t:1:", "not an address" },
		{ "deny to " LONG_NAME_254, "t:1:", "not an address" },
		{ "deny to " LONG_NAME_300, "t:1:", "longer than 253" },
		{ "deny to *." LONG_NAME_252, "t:1:", "too long" },
		{ "allow to 10.0.0.1 to 10.0.0.2", "t:1:", "'to'" },
		{ "allow port 1 port 2", "t:1:", "'port'" },
		{ "allow port 0", "t:1:", "1..65535" },
		{ "allow port 65536", "t:1:", "1..65535" },
		{ "allow port 90-80", "t:1:", "1..65535" },
		{ "allow port 80-", "t:1:", "1..65535" },
		{ "allow port -80", "t:1:", "1..65535" },
		{ "allow port 8a", "t:1:", "1..65535" },
		{ "allow port 99999999999999999999", "t:1:", "1..65535" },
		{ "allow icmp port 1", "t:1:", "icmp has no ports" },
		{ "default", "t:1:", "default allow" },
		{ "default maybe", "t:1:", "default allow" },
		{ "default deny now", "t:1:", "default allow" },
		{ "\n\n\nallow tcp to 1.2.3.4 port 1 x y z",
		  "t:4:", "too many" },
		{ "allow tcp extra", "t:1:", "extra" },
		{ "allow to 0123456789012345678901234567890123456789012345678901234567890123456789",
		  "t:1:", "too long" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		struct unet_policy *p = (struct unet_policy *)1;
		char err[256];
		int r = unet_policy_parse(table[i].text, strlen(table[i].text),
					  "t", &p, err, sizeof(err));

		if (r != -EINVAL ||
		    strncmp(err, table[i].want, strlen(table[i].want)) != 0 ||
		    strstr(err, table[i].word) == NULL)
			fail_msg("'%s': r=%d err='%s'", table[i].text, r, err);
		(void)p;
	}
}

static void test_parse_nul_and_cap(void **state)
{
	static const char nul[] = "allow\nallow tcp\0 to 1.2.3.4\n";
	struct unet_policy *p = NULL;
	char err[256], *big;
	size_t i, len = 0, n = UNET_POLICY_RULES_MAX + 1;

	(void)state;
	assert_int_equal(unet_policy_parse(nul, sizeof(nul) - 1, NULL, &p, err,
					   sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "policy:2: NUL byte");
	big = malloc(n * 8 + 1);
	assert_non_null(big);
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(big + len, "deny\n");
	/* Exactly the cap parses; one more is refused with its line. */
	assert_int_equal(
		unet_policy_parse(big, len - 5, "b", &p, err, sizeof(err)), 0);
	assert_int_equal(unet_policy_rules(p), UNET_POLICY_RULES_MAX);
	unet_policy_free(p);
	assert_int_equal(unet_policy_parse(big, len, "b", &p, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, "b:4097: more than 4096 rules");
	free(big);
}

static void expect(const struct unet_policy *p, struct unet_flow_desc d,
		   enum unet_policy_verdict v, int rule)
{
	int got = -2;

	assert_int_equal(unet_policy_match(p, &d, &got), v);
	assert_int_equal(got, rule);
}

static void test_match_order_and_default(void **state)
{
	struct unet_policy *p = parse_ok("deny tcp to 198.18.0.80 port 80\n"
					 "allow tcp to 198.18.0.0/15\n"
					 "allow udp port 53\n"
					 "default deny\n");

	(void)state;
	expect(p, flow(IPPROTO_TCP, "198.18.0.80", 80), UNET_POLICY_DENY, 0);
	expect(p, flow(IPPROTO_TCP, "198.18.0.80", 443), UNET_POLICY_ALLOW, 1);
	expect(p, flow(IPPROTO_TCP, "198.19.255.255", 80), UNET_POLICY_ALLOW,
	       1);
	expect(p, flow(IPPROTO_TCP, "198.20.0.0", 80), UNET_POLICY_DENY, -1);
	expect(p, flow(IPPROTO_TCP, "198.17.255.255", 80), UNET_POLICY_DENY,
	       -1);
	expect(p, flow(IPPROTO_UDP, "198.18.0.1", 53), UNET_POLICY_ALLOW, 2);
	expect(p, flow(IPPROTO_UDP, "2001:db8::1", 53), UNET_POLICY_ALLOW, 2);
	expect(p, flow(IPPROTO_UDP, "198.18.0.1", 54), UNET_POLICY_DENY, -1);
	expect(p, flow(IPPROTO_ICMP, "198.18.0.1", 0), UNET_POLICY_DENY, -1);
	/* The default can be changed afterwards (egress=). */
	unet_policy_set_default(p, UNET_POLICY_ALLOW);
	expect(p, flow(IPPROTO_ICMP, "198.18.0.1", 0), UNET_POLICY_ALLOW, -1);
	unet_policy_set_default(p, UNET_POLICY_PASS); /* ignored */
	assert_int_equal(unet_policy_default(p), UNET_POLICY_ALLOW);
	unet_policy_free(p);
}

static void test_match_cidr_edges(void **state)
{
	struct unet_policy *p = parse_ok("allow to 10.1.2.3\n"
					 "allow to 10.64.0.0/10\n"
					 "allow to 2001:db8::/32\n"
					 "allow to fe80::1:0/113\n"
					 "allow to ::1\n"
					 "deny to 0.0.0.0/0\n"
					 "default allow\n");

	(void)state;
	expect(p, flow(IPPROTO_TCP, "10.1.2.3", 1), UNET_POLICY_ALLOW, 0);
	expect(p, flow(IPPROTO_TCP, "10.1.2.4", 1), UNET_POLICY_DENY, 5);
	expect(p, flow(IPPROTO_TCP, "10.64.0.0", 1), UNET_POLICY_ALLOW, 1);
	expect(p, flow(IPPROTO_TCP, "10.127.255.255", 1), UNET_POLICY_ALLOW, 1);
	expect(p, flow(IPPROTO_TCP, "10.128.0.0", 1), UNET_POLICY_DENY, 5);
	expect(p, flow(IPPROTO_TCP, "10.63.255.255", 1), UNET_POLICY_DENY, 5);
	expect(p, flow(IPPROTO_TCP, "2001:db8:ffff:ffff::1", 1),
	       UNET_POLICY_ALLOW, 2);
	expect(p, flow(IPPROTO_TCP, "2001:db9::", 1), UNET_POLICY_ALLOW, -1);
	/* /113: the top bit of the last 16 is fixed at 0. */
	expect(p, flow(IPPROTO_TCP, "fe80::1:7fff", 1), UNET_POLICY_ALLOW, 3);
	expect(p, flow(IPPROTO_TCP, "fe80::1:8000", 1), UNET_POLICY_ALLOW, -1);
	expect(p, flow(IPPROTO_TCP, "::1", 1), UNET_POLICY_ALLOW, 4);
	expect(p, flow(IPPROTO_TCP, "::2", 1), UNET_POLICY_ALLOW, -1);
	/* An IPv4 rule never matches IPv6 and the other way round. */
	expect(p, flow(IPPROTO_TCP, "::ffff:10.1.2.3", 1), UNET_POLICY_ALLOW,
	       -1);
	unet_policy_free(p);
}

static void test_match_ports_and_protocols(void **state)
{
	struct unet_policy *p = parse_ok("deny port 8000-8099\n"
					 "deny udp port 1\n"
					 "allow icmp\n"
					 "deny port 65535\n"
					 "default deny\n");

	(void)state;
	expect(p, flow(IPPROTO_TCP, "1.1.1.1", 7999), UNET_POLICY_DENY, -1);
	expect(p, flow(IPPROTO_TCP, "1.1.1.1", 8000), UNET_POLICY_DENY, 0);
	expect(p, flow(IPPROTO_UDP, "1.1.1.1", 8099), UNET_POLICY_DENY, 0);
	expect(p, flow(IPPROTO_TCP, "1.1.1.1", 1), UNET_POLICY_DENY, -1);
	expect(p, flow(IPPROTO_UDP, "1.1.1.1", 1), UNET_POLICY_DENY, 1);
	/* icmp: ICMP and ICMPv6 echo; a port rule never matches them. */
	expect(p, flow(IPPROTO_ICMP, "1.1.1.1", 0), UNET_POLICY_ALLOW, 2);
	expect(p, flow(IPPROTO_ICMP, "2001:db8::1", 0), UNET_POLICY_ALLOW, 2);
	expect(p, flow(IPPROTO_TCP, "2001:db8::1", 65535), UNET_POLICY_DENY, 3);
	unet_policy_free(p);
	p = parse_ok("allow port 1-65535\nallow tcp\n");
	expect(p, flow(IPPROTO_ICMP, "1.1.1.1", 0), UNET_POLICY_ALLOW, -1);
	expect(p, flow(IPPROTO_TCP, "1.1.1.1", 65535), UNET_POLICY_ALLOW, 0);
	unet_policy_free(p);
}

static void test_new_and_load(void **state)
{
	char path[] = "/tmp/policy_test_XXXXXX", err[256];
	static const char text[] = "default deny\n\nallow tcp port 443\n"
				   "allow to 1.2.3.4/40\n";
	struct unet_policy *p;
	int fd;

	(void)state;
	assert_int_equal(unet_policy_new(UNET_POLICY_PASS, &p), -EINVAL);
	assert_int_equal(unet_policy_new(UNET_POLICY_DENY, &p), 0);
	expect(p, flow(IPPROTO_TCP, "1.1.1.1", 1), UNET_POLICY_DENY, -1);
	unet_policy_free(p);
	unet_policy_free(NULL);

	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1),
			 (ssize_t)(sizeof(text) - 1));
	close(fd);
	assert_int_equal(unet_policy_load(path, &p, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, ":4: prefix length '40'"));
	assert_int_equal(strncmp(err, path, strlen(path)), 0);
	assert_int_equal(truncate(path, (off_t)(sizeof(text) - 1 - 20)), 0);
	assert_int_equal(unet_policy_load(path, &p, err, sizeof(err)), 0);
	assert_int_equal(unet_policy_rules(p), 1);
	assert_int_equal(unet_policy_default(p), UNET_POLICY_DENY);
	unet_policy_free(p);
	unlink(path);
	assert_int_equal(unet_policy_load(path, &p, err, sizeof(err)), -ENOENT);
	assert_null(p);
	assert_non_null(strstr(err, "No such file"));
}

static struct unet_flow_desc named(int proto, const char *dst, uint16_t port,
				   const char *name)
{
	struct unet_flow_desc d = flow(proto, dst, port);

	d.name = name;
	return d;
}

static void test_names_parse_and_match(void **state)
{
	struct unet_policy *p;
	struct unet_flow_desc d;
	int rule;

	(void)state;
	p = parse_ok("allow tcp to Deb.Example. port 443\n"
		     "deny to *.evil.example\n"
		     "allow udp to *.cdn.example\n"
		     "deny to 198.18.0.0/15\n"
		     "allow to " LONG_NAME_253 "\n"
		     "allow icmp to *\n"
		     "default deny\n");
	assert_int_equal(unet_policy_rules(p), 6);
	/* Exact, case folded at parse, trailing dot dropped; port checked. */
	d = named(IPPROTO_TCP, "198.18.0.1", 443, "deb.example");
	assert_int_equal(unet_policy_match(p, &d, &rule), UNET_POLICY_ALLOW);
	assert_int_equal(rule, 0);
	d = named(IPPROTO_TCP, "198.18.0.1", 80, "deb.example");
	assert_int_equal(unet_policy_match(p, &d, &rule), UNET_POLICY_DENY);
	assert_int_equal(rule, 3);
	/* A name differing in one label, or a suffix, is not it. */
	d = named(IPPROTO_TCP, "203.0.113.1", 443, "xdeb.example");
	assert_int_equal(unet_policy_match(p, &d, &rule), UNET_POLICY_DENY);
	assert_int_equal(rule, -1);
	d = named(IPPROTO_TCP, "203.0.113.1", 443, "a.deb.example");
	assert_int_equal(unet_policy_match(p, &d, &rule), UNET_POLICY_DENY);
	assert_int_equal(rule, -1);
	/* *.DOMAIN: any depth below, not DOMAIN, not a label ending in it. */
	d = named(IPPROTO_TCP, "203.0.113.1", 443, "a.b.evil.example");
	unet_policy_match(p, &d, &rule);
	assert_int_equal(rule, 1);
	d = named(IPPROTO_TCP, "203.0.113.1", 443, "evil.example");
	unet_policy_match(p, &d, &rule);
	assert_int_equal(rule, -1);
	d = named(IPPROTO_TCP, "203.0.113.1", 443, "notevil.example");
	unet_policy_match(p, &d, &rule);
	assert_int_equal(rule, -1);
	d = named(IPPROTO_UDP, "2001:db8::1", 53, "x.cdn.example");
	assert_int_equal(unet_policy_match(p, &d, &rule), UNET_POLICY_ALLOW);
	assert_int_equal(rule, 2);
	/* No name: name rules never match, address rules do. */
	d = named(IPPROTO_UDP, "198.18.0.1", 53, NULL);
	unet_policy_match(p, &d, &rule);
	assert_int_equal(rule, 3);
	d = named(IPPROTO_ICMP, "203.0.113.9", 0, NULL);
	unet_policy_match(p, &d, &rule);
	assert_int_equal(rule, -1);
	/* `to *`: any name. The longest name is kept whole. */
	d = named(IPPROTO_ICMP, "203.0.113.9", 0, "whatever.example");
	unet_policy_match(p, &d, &rule);
	assert_int_equal(rule, 5);
	d = named(IPPROTO_TCP, "203.0.113.9", 1, LONG_NAME_253);
	unet_policy_match(p, &d, &rule);
	assert_int_equal(rule, 4);
	unet_policy_free(p);
}

static void test_names_several(void **state)
{
	static const char *const names[] = { "b.example", "a.example" };
	struct unet_policy *p, *q;
	struct unet_flow_desc d;
	size_t which;
	int rule;

	(void)state;
	p = parse_ok("deny to c.example\nallow to a.example\n"
		     "deny to b.example\ndefault deny\n");
	d = flow(IPPROTO_TCP, "203.0.113.1", 443);
	/* Rule order decides, whichever name is newer. */
	assert_int_equal(unet__policy_match_names(p, &d, names, 2, &rule,
						  &which),
			 UNET_POLICY_ALLOW);
	assert_int_equal(rule, 1);
	assert_int_equal(which, 1);
	assert_int_equal(unet__policy_match_names(p, &d, names, 1, &rule,
						  &which),
			 UNET_POLICY_DENY);
	assert_int_equal(rule, 2);
	assert_int_equal(which, 0);
	assert_int_equal(unet__policy_match_names(p, &d, names, 0, &rule,
						  &which),
			 UNET_POLICY_DENY);
	assert_int_equal(rule, -1);
	assert_int_equal(which, 0);
	/* A copy keeps the names' text. */
	q = unet__policy_dup(p);
	unet_policy_free(p);
	assert_non_null(q);
	assert_int_equal(unet__policy_match_names(q, &d, names, 2, &rule, NULL),
			 UNET_POLICY_ALLOW);
	assert_int_equal(rule, 1);
	unet_policy_free(q);
}

static void test_names_query(void **state)
{
	struct unet_flow_desc d;
	struct unet_policy *p;
	int rule;

	(void)state;
	/* Without name rules nothing is refused, default deny or not. */
	p = parse_ok("default deny\ndeny to 0.0.0.0/0\n");
	assert_false(unet__policy_query_refused(p, "a.example", &rule));
	assert_false(unet__policy_query_refused(p, NULL, &rule));
	assert_int_equal(rule, -1);
	unet_policy_free(p);

	p = parse_ok("allow tcp to good.evil.example port 443\n"
		     "deny tcp to *.evil.example port 80\n"
		     "deny to *.evil.example\n"
		     "deny udp to dns.example\n"
		     "allow to ok.example\n"
		     "deny to *\n");
	/* The first name rule that matches decides. */
	assert_false(unet__policy_query_refused(p, "good.evil.example", &rule));
	assert_int_equal(rule, 0);
	/* A deny limited by protocol or port lets the query go... */
	assert_false(unet__policy_query_refused(p, "x.evil.example", &rule));
	assert_int_equal(rule, 1);
	assert_false(unet__policy_query_refused(p, "dns.example", &rule));
	assert_int_equal(rule, 3);
	assert_false(unet__policy_query_refused(p, "ok.example", &rule));
	assert_int_equal(rule, 4);
	/* ...a whole deny refuses it; `*` takes names that are no host name. */
	assert_true(unet__policy_query_refused(p, "other.example", &rule));
	assert_int_equal(rule, 5);
	assert_true(unet__policy_query_refused(p, NULL, &rule));
	assert_int_equal(rule, 5);
	unet_policy_free(p);

	/* Only `to *`: no name text at all (a fuzzer found it). */
	p = parse_ok("allow to *\n");
	d = flow(IPPROTO_TCP, "203.0.113.1", 443);
	d.name = "a.example";
	unet_policy_match(p, &d, &rule);
	assert_int_equal(rule, 0);
	assert_false(unet__policy_query_refused(p, "a.example", &rule));
	assert_int_equal(rule, 0);
	unet_policy_free(p);

	p = parse_ok("deny to *.evil.example\n");
	assert_true(unet__policy_query_refused(p, "a.evil.example", NULL));
	assert_false(unet__policy_query_refused(p, "evil.example", NULL));
	assert_false(unet__policy_query_refused(p, NULL, NULL));
	unet_policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_parse_nul_and_cap),
		cmocka_unit_test(test_match_order_and_default),
		cmocka_unit_test(test_match_cidr_edges),
		cmocka_unit_test(test_match_ports_and_protocols),
		cmocka_unit_test(test_new_and_load),
		cmocka_unit_test(test_names_parse_and_match),
		cmocka_unit_test(test_names_several),
		cmocka_unit_test(test_names_query),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
