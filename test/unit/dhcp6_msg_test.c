/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the DHCPv6 codec (stack/dhcp6_msg.c), driven directly: no
 * stack, no packets.
 *
 * A table of client messages in hex: well-formed ones (every type, the
 * identifiers, IA_NA with and without addresses, several IA_NAs, the
 * option request, rapid commit, unknown options skipped) and malformed
 * ones (a header cut short, the server's and relays' types, an option
 * header or its data past the end, DUIDs too short or too long, IA_NA and
 * IAADDR shorter than their fixed parts, an option past its IA_NA), each
 * with its reason. The builder is checked by parsing its Reply back
 * through the same walk and by its exact bytes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp6_msg.h"

#define CID "0001000a00030001525400123456"
#define SID "0002000a0003000152550a000202"
#define ADDR "fec00000000000000000000000000100"
#define IAADDR "00050018" ADDR "0000000000000000"
#define ORO "000600040017 0018"

/**
 * struct d6_row - one message for unet__dhcp6_parse()
 * @what: what the row checks
 * @msg: the message, hex (blanks ignored)
 * @why: NULL when it is taken, else (part of) the reason given
 * @n_ia: IA_NA options found
 * @has_addr: the first IA_NA's address was found
 */
struct d6_row {
	const char *what;
	const char *msg;
	const char *why;
	unsigned int n_ia;
	bool has_addr;
};

static const struct d6_row rows[] = {
	{ "Information-request", "0b123456" CID ORO, NULL, 0, false },
	{ "Information-request, no options", "0b123456", NULL, 0, false },
	{ "Solicit", "01000001" CID "0003000c000000070000000000000000", NULL, 1,
	  false },
	{ "Request",
	  "03000002" CID SID "00030028000000070000000000000000" IAADDR, NULL, 1,
	  true },
	{ "two IA_NAs",
	  "05000003" CID "0003000c000000070000000000000000"
	  "00030028000000080000000000000000" IAADDR,
	  NULL, 2, false },
	{ "Rapid Commit", "01000004" CID "000e0000", NULL, 0, false },
	{ "unknown options skipped",
	  "0b000005"
	  "12340003abcdef"
	  "0000 0000",
	  NULL, 0, false },
	{ "Confirm", "04000006" CID "00030028000000070000000000000000" IAADDR,
	  NULL, 1, true },
	/* malformed */
	{ "empty", "", "shorter than its header", 0, false },
	{ "header cut", "0b1234", "shorter than its header", 0, false },
	{ "Advertise", "02000001", "not a client's", 0, false },
	{ "Reply", "07000001", "not a client's", 0, false },
	{ "Relay-forward", "0c000001", "not a client's", 0, false },
	{ "type 0", "00000001", "not a client's", 0, false },
	{ "option header cut",
	  "0b000001"
	  "0001",
	  "runs past", 0, false },
	{ "option data past the end",
	  "0b000001"
	  "0001000a0003",
	  "runs past", 0, false },
	{ "one-byte DUID",
	  "0b000001"
	  "0001000100",
	  "client DUID", 0, false },
	{ "131-byte DUID", NULL, "client DUID", 0, false },
	{ "empty server DUID",
	  "0b000001"
	  "00020000",
	  "server DUID", 0, false },
	{ "IA_NA of 11 bytes", "01000001" CID "0003000b0000000700000000000000",
	  "IA_NA shorter", 0, false },
	{ "IAADDR of 23 bytes",
	  "01000001" CID "0003002700000007000000000000000000050017" ADDR
	  "00000000000000",
	  "IAADDR shorter", 0, false },
	{ "option past its IA_NA",
	  "01000001" CID "00030010000000070000000000000000"
	  "00050018",
	  "inside an IA", 0, false },
	{ "IA_TA of 3 bytes", "01000001" CID "00040003000000", "IA_TA shorter",
	  0, false },
	{ "IA_PD of 11 bytes", "01000001" CID "0019000b0000000700000000000000",
	  "IA_PD shorter", 0, false },
	{ "option past its IA_PD",
	  "01000001" CID "0019001000000007000000000000000000050018",
	  "inside an IA", 0, false },
};

static size_t hex(const char *s, uint8_t *out)
{
	size_t n = 0;
	unsigned int b;

	while (*s != '\0') {
		if (*s == ' ') {
			s++;
			continue;
		}
		assert_int_equal(sscanf(s, "%2x", &b), 1);
		out[n++] = (uint8_t)b;
		s += 2;
	}
	return n;
}

static void test_rows(void **state)
{
	struct unet__dhcp6_msg m;
	uint8_t buf[1024];
	const char *why;
	size_t i, len;
	int r, failed = 0;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (rows[i].msg != NULL) {
			len = hex(rows[i].msg, buf);
		} else {
			/* a Client Identifier of 131 bytes */
			len = hex("0b000001"
				  "00010083",
				  buf);
			memset(buf + len, 1, 131);
			len += 131;
		}
		why = NULL;
		r = unet__dhcp6_parse(buf, len, &m, &why);
		if (rows[i].why == NULL) {
			if (r != 0 || m.n_ia_na != rows[i].n_ia ||
			    (m.ia_addr != NULL) != rows[i].has_addr) {
				print_error("%s: %d (%s), %u IA_NA\n",
					    rows[i].what, r, why ? why : "",
					    m.n_ia_na);
				failed++;
			}
			continue;
		}
		if (r != -EINVAL || why == NULL ||
		    strstr(why, rows[i].why) == NULL) {
			print_error("%s: %d (%s), want '%s'\n", rows[i].what, r,
				    why ? why : "", rows[i].why);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* The fields of a Request, as found. */
static void test_fields(void **state)
{
	struct unet__dhcp6_msg m;
	uint8_t buf[256], addr[16];
	const char *why;
	size_t len;

	(void)state;
	len = hex("03abcdef" CID SID
		  "00030028000000070000000100000002" IAADDR ORO "000e0000",
		  buf);
	assert_int_equal(unet__dhcp6_parse(buf, len, &m, &why), 0);
	assert_int_equal(m.type, 3);
	assert_int_equal(m.xid, 0xabcdef);
	assert_int_equal(m.client_id_len, 10);
	assert_memory_equal(m.client_id,
			    "\000\003\000\001\122\124\000\022\064\126", 10);
	assert_int_equal(m.server_id_len, 10);
	assert_int_equal(m.iaid, 7);
	hex(ADDR, addr);
	assert_memory_equal(m.ia_addr, addr, 16);
	assert_int_equal(m.n_addrs, 1);
	assert_true(m.oro_dns);
	assert_true(m.oro_domains);
	assert_true(m.rapid_commit);
}

/* The builder's bytes, in RFC 8415's order. */
static void test_build(void **state)
{
	static const uint8_t sid[] = { 0, 3, 0, 1, 0x52, 0x55, 0x0a, 0, 2, 2 };
	static const uint8_t cid[] = { 0,    3, 0,    1,    0x52,
				       0x54, 0, 0x12, 0x34, 0x56 };
	static const uint8_t names[] = "\004test\005local";
	uint8_t out[512], want[512], addr[16], dns[16];
	struct unet__dhcp6_reply r = {
		.type = 7,
		.xid = 0x010203,
		.server_id = sid,
		.server_id_len = sizeof(sid),
		.client_id = cid,
		.client_id_len = sizeof(cid),
		.status = -1,
		.ias = { { .code = 3,
			   .iaid = 7,
			   .t1 = 43200,
			   .t2 = 69120,
			   .addr = addr,
			   .preferred = 86400,
			   .valid = 86400,
			   .status = -1 } },
		.n_ias = 1,
		.rapid_commit = true,
		.dns = dns,
		.domains = names,
		.domains_len = sizeof(names),
	};
	size_t len, n;

	(void)state;
	hex(ADDR, addr);
	hex("fec00000000000000000000000000003", dns);
	len = unet__dhcp6_build(out, sizeof(out), &r);
	n = hex("07010203" SID CID "00030028"
		"00000007"
		"0000a8c0"
		"00010e00"
		"00050018" ADDR "00015180"
		"00015180"
		"000e0000"
		"00170010"
		"fec00000000000000000000000000003"
		"0018000c"
		"0474657374056c6f63616c00",
		want);
	assert_int_equal(len, n);
	assert_memory_equal(out, want, n);
	/* Too small: nothing. */
	assert_int_equal(unet__dhcp6_build(out, n - 1, &r), 0);

	/* A status at the top, one in the IA, no address, no DNS. */
	r.status = 0;
	r.ias[0].addr = NULL;
	r.ias[0].status = 3;
	r.rapid_commit = false;
	r.dns = NULL;
	r.domains_len = 0;
	len = unet__dhcp6_build(out, sizeof(out), &r);
	n = hex("07010203" SID CID "000d00020000"
		"00030012"
		"00000007"
		"0000a8c0"
		"00010e00"
		"000d00020003",
		want);
	assert_int_equal(len, n);
	assert_memory_equal(out, want, n);

	/* Three IAs: an IA_NA, an IA_TA (no T1, T2), an IA_PD. */
	r.status = -1;
	r.ias[0].addr = addr;
	r.ias[0].status = -1;
	r.ias[1] = (struct unet__dhcp6_reply_ia){ .code = 4,
						  .iaid = 8,
						  .status = 2 };
	r.ias[2] = (struct unet__dhcp6_reply_ia){ .code = 25,
						  .iaid = 9,
						  .status = 6 };
	r.n_ias = 3;
	len = unet__dhcp6_build(out, sizeof(out), &r);
	n = hex("07010203" SID CID "00030028"
		"00000007"
		"0000a8c0"
		"00010e00"
		"00050018" ADDR "00015180"
		"00015180"
		"0004000a"
		"00000008"
		"000d00020002"
		"00190012"
		"00000009"
		"00000000"
		"00000000"
		"000d00020006",
		want);
	assert_int_equal(len, n);
	assert_memory_equal(out, want, n);
}

/* Every IA of a message, of each kind, in order; the first four kept. */
static void test_ias(void **state)
{
	struct unet__dhcp6_msg m;
	uint8_t buf[512], addr[16];
	const char *why;
	size_t len;

	(void)state;
	len = hex("03abcdef" CID SID "0019000c000000090000000000000000"
		  "00030028000000070000000100000002" IAADDR "0004000400000005"
		  "000300280000000a0000000100000002" IAADDR
		  "0003000c0000000b0000000000000000",
		  buf);
	assert_int_equal(unet__dhcp6_parse(buf, len, &m, &why), 0);
	hex(ADDR, addr);
	assert_int_equal(m.n_ias, 4);
	assert_int_equal(m.n_ias_all, 5);
	assert_int_equal(m.n_ia_na, 3);
	assert_int_equal(m.iaid, 7);
	assert_int_equal(m.ias[0].code, 25);
	assert_int_equal(m.ias[0].iaid, 9);
	assert_null(m.ias[0].addr);
	assert_int_equal(m.ias[1].code, 3);
	assert_int_equal(m.ias[1].iaid, 7);
	assert_memory_equal(m.ias[1].addr, addr, 16);
	assert_int_equal(m.ias[2].code, 4);
	assert_int_equal(m.ias[2].iaid, 5);
	assert_int_equal(m.ias[3].code, 3);
	assert_int_equal(m.ias[3].iaid, 10);
	assert_memory_equal(m.ias[3].addr, addr, 16);
	assert_int_equal(m.n_addrs, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_build),
		cmocka_unit_test(test_ias),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
