/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the DNS message codec (stack/dns_msg.c), driven directly:
 * no stack, no sockets.
 *
 * Covered: a table of queries, well-formed and malformed (truncated
 * headers, QR set, no question, names with pointers, extended label kinds,
 * labels past the end, names over 255 bytes, a question without type and
 * class, record counts past the end, EDNS(0) found in the additional
 * section only); reply matching (id, QR, question count, names without
 * regard to case, type and class, truncated replies); the short replies
 * (SERVFAIL, REFUSED, truncated) and that they match their query; and the
 * RFC 3397 search-list encoder (compression, malformed names, no room).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "wire/dns_proto.h"

#include "dns_msg.h"

#define B(s) (const uint8_t *)(s), sizeof(s) - 1

/* A query for a.example A IN, id 0x1234, RD. */
static const char q_plain[] = "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
			      "\x01"
			      "a"
			      "\x07"
			      "example"
			      "\x00"
			      "\x00\x01\x00\x01";

/**
 * struct query_row - one query for unet__dns_query_parse()
 * @what: what the row checks
 * @msg: the message
 * @len: its length
 * @ok: whether it is taken
 * @qlen: the question section's length, when taken
 * @edns_size: the OPT record's UDP size, 0 for none
 */
struct query_row {
	const char *what;
	const uint8_t *msg;
	size_t len;
	bool ok;
	size_t qlen;
	uint16_t edns_size;
};

#define ROW(w, bytes, ok, qlen, edns)                                          \
	{                                                                      \
		w, (const uint8_t *)(bytes), sizeof(bytes) - 1, ok, qlen, edns \
	}

#define HDR(qd, an, ns, ar) \
	"\xab\xcd\x01\x00\x00" qd "\x00" an "\x00" ns "\x00" ar
#define Q_A    \
	"\x01" \
	"a"    \
	"\x00" \
	"\x00\x01\x00\x01"

static const struct query_row query_rows[] = {
	ROW("plain", q_plain, true, 15, 0),
	ROW("nothing", "", false, 0, 0),
	ROW("header cut short", "\x12\x34\x01\x00\x00\x01\x00\x00\x00", false,
	    0, 0),
	ROW("header only, qdcount 1", HDR("\x01", "\x00", "\x00", "\x00"),
	    false, 0, 0),
	ROW("qdcount 0", HDR("\x00", "\x00", "\x00", "\x00") Q_A, false, 0, 0),
	ROW("QR set", "\xab\xcd\x81\x00\x00\x01\x00\x00\x00\x00\x00\x00" Q_A,
	    false, 0, 0),
	ROW("two questions", HDR("\x02", "\x00", "\x00", "\x00") Q_A Q_A, true,
	    14, 0),
	ROW("qdcount 2, one question", HDR("\x02", "\x00", "\x00", "\x00") Q_A,
	    false, 0, 0),
	ROW("root name",
	    HDR("\x01", "\x00", "\x00", "\x00") "\x00\x00\x01\x00\x01", true, 5,
	    0),
	ROW("pointer in the question",
	    HDR("\x01", "\x00", "\x00", "\x00") "\xc0\x0c\x00\x01\x00\x01",
	    false, 0, 0),
	ROW("label kind 01",
	    HDR("\x01", "\x00", "\x00", "\x00") "\x41"
						"a\x00\x00\x01\x00\x01",
	    false, 0, 0),
	ROW("label kind 10",
	    HDR("\x01", "\x00", "\x00", "\x00") "\x81"
						"a\x00\x00\x01\x00\x01",
	    false, 0, 0),
	ROW("label past the end",
	    HDR("\x01", "\x00", "\x00", "\x00") "\x05"
						"ab",
	    false, 0, 0),
	ROW("no end of name",
	    HDR("\x01", "\x00", "\x00", "\x00") "\x01"
						"a",
	    false, 0, 0),
	ROW("no type and class",
	    HDR("\x01", "\x00", "\x00", "\x00") "\x01"
						"a\x00",
	    false, 0, 0),
	ROW("class cut short",
	    HDR("\x01", "\x00", "\x00", "\x00") "\x01"
						"a\x00\x00\x01\x00",
	    false, 0, 0),
	ROW("EDNS(0)",
	    HDR("\x01", "\x00", "\x00", "\x01") Q_A
	    "\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00",
	    true, 7, 4096),
	ROW("OPT in the answers is not EDNS",
	    HDR("\x01", "\x01", "\x00", "\x00") Q_A
	    "\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00",
	    true, 7, 0),
	ROW("OPT after a compressed record",
	    HDR("\x01", "\x00", "\x00", "\x02") Q_A
	    "\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x00\x00\x04\x01\x02\x03\x04"
	    "\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00",
	    true, 7, 1232),
	ROW("arcount past the end: taken, no EDNS",
	    HDR("\x01", "\x00", "\x00", "\x05") Q_A, true, 7, 0),
	ROW("rdlength past the end: taken, no EDNS",
	    HDR("\x01", "\x00", "\x00", "\x01") Q_A
	    "\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x08\x00",
	    true, 7, 0),
	ROW("record with a bad label: taken, no EDNS",
	    HDR("\x01", "\x00", "\x00", "\x01") Q_A
	    "\x40\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00",
	    true, 7, 0),
};

static void test_query_table(void **state)
{
	struct unet__dns_query_info info;
	size_t i;
	int r;

	(void)state;
	for (i = 0; i < sizeof(query_rows) / sizeof(query_rows[0]); i++) {
		const struct query_row *row = &query_rows[i];

		r = unet__dns_query_parse(row->msg, row->len, &info);
		if ((r == 0) != row->ok)
			fail_msg("%s: parse returned %d", row->what, r);
		if (!row->ok)
			continue;
		if (info.qlen != row->qlen)
			fail_msg("%s: qlen %zu, not %zu", row->what, info.qlen,
				 row->qlen);
		if (info.edns != (row->edns_size != 0) ||
		    (info.edns && info.edns_size != row->edns_size))
			fail_msg("%s: edns %d size %u", row->what, info.edns,
				 info.edns_size);
	}
}

/* Names: a label of 63 bytes is the longest; 255 bytes in all. */
static void test_query_name_lengths(void **state)
{
	struct unet__dns_query_info info;
	uint8_t msg[DNS_HLEN + 300 + DNS_QFIXED];
	size_t len, i, labels;

	(void)state;
	/* 4 labels of 63 bytes and a label of 1: 4 * 64 + 2 + 1 = 259. */
	for (labels = 3; labels <= 4; labels++) {
		memcpy(msg, HDR("\x01", "\x00", "\x00", "\x00"), DNS_HLEN);
		len = DNS_HLEN;
		for (i = 0; i < labels; i++) {
			msg[len++] = 63;
			memset(msg + len, 'x', 63);
			len += 63;
		}
		msg[len++] = 1;
		msg[len++] = 'y';
		msg[len++] = 0;
		memcpy(msg + len, "\x00\x01\x00\x01", DNS_QFIXED);
		len += DNS_QFIXED;
		/* 3 labels: 3 * 64 + 2 + 1 = 195 bytes, taken. */
		assert_int_equal(unet__dns_query_parse(msg, len, &info),
				 labels == 3 ? 0 : -EINVAL);
	}
	/* A label of 64 bytes has kind 01. */
	memcpy(msg, HDR("\x01", "\x00", "\x00", "\x00"), DNS_HLEN);
	msg[DNS_HLEN] = 64;
	memset(msg + DNS_HLEN + 1, 'x', 64);
	msg[DNS_HLEN + 65] = 0;
	memcpy(msg + DNS_HLEN + 66, "\x00\x01\x00\x01", DNS_QFIXED);
	assert_int_equal(unet__dns_query_parse(msg, DNS_HLEN + 70, &info),
			 -EINVAL);
}

/* A reply to q_plain sent with id 0x5678. */
static const char r_plain[] =
	"\x56\x78\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00"
	"\x01"
	"A"
	"\x07"
	"ExAmPlE"
	"\x00"
	"\x00\x01\x00\x01"
	"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\x0a\x00\x02\x0f";

static void test_reply_matches(void **state)
{
	uint8_t r[sizeof(r_plain)];
	size_t len = sizeof(r_plain) - 1;

	(void)state;
	assert_true(unet__dns_reply_matches(B(r_plain), 0x5678, B(q_plain)));
	assert_false(unet__dns_reply_matches(B(r_plain), 0x1234, B(q_plain)));
	/* Cut anywhere inside the header or question: no match. */
	for (size_t n = 0; n < DNS_HLEN + 15; n++)
		assert_false(unet__dns_reply_matches((const uint8_t *)r_plain,
						     n, 0x5678, B(q_plain)));
	/* Cut in the answer: the question is all that is compared. */
	assert_true(unet__dns_reply_matches((const uint8_t *)r_plain,
					    DNS_HLEN + 15, 0x5678, B(q_plain)));

	memcpy(r, r_plain, sizeof(r));
	r[2] &= 0x7f; /* QR clear */
	assert_false(unet__dns_reply_matches(r, len, 0x5678, B(q_plain)));
	memcpy(r, r_plain, sizeof(r));
	r[5] = 2; /* qdcount 2 */
	assert_false(unet__dns_reply_matches(r, len, 0x5678, B(q_plain)));
	memcpy(r, r_plain, sizeof(r));
	r[13] = 'b'; /* another name */
	assert_false(unet__dns_reply_matches(r, len, 0x5678, B(q_plain)));
	memcpy(r, r_plain, sizeof(r));
	r[12] = 2; /* another label length */
	assert_false(unet__dns_reply_matches(r, len, 0x5678, B(q_plain)));
	memcpy(r, r_plain, sizeof(r));
	r[24] = 0x1c; /* AAAA, not A */
	assert_false(unet__dns_reply_matches(r, len, 0x5678, B(q_plain)));
	memcpy(r, r_plain, sizeof(r));
	r[26] = 3; /* class CH */
	assert_false(unet__dns_reply_matches(r, len, 0x5678, B(q_plain)));
}

static void test_build_error(void **state)
{
	struct unet__dns_query_info info;
	uint8_t out[DNS_HLEN + 64];
	size_t n;

	(void)state;
	assert_int_equal(unet__dns_query_parse(B(q_plain), &info), 0);
	n = unet__dns_build_error(out, B(q_plain), &info, DNS_RCODE_SERVFAIL);
	assert_int_equal(n, DNS_HLEN + info.qlen);
	/* id, QR RD RA SERVFAIL, one question, no records, the question. */
	assert_memory_equal(out,
			    "\x12\x34\x81\x82\x00\x01\x00\x00\x00\x00"
			    "\x00\x00",
			    DNS_HLEN);
	assert_memory_equal(out + DNS_HLEN, q_plain + DNS_HLEN, info.qlen);
	assert_true(unet__dns_reply_matches(out, n, 0x1234, B(q_plain)));

	n = unet__dns_build_error(out, B(q_plain), &info, DNS_RCODE_REFUSED);
	assert_int_equal(out[3], 0x85);
	assert_true(unet__dns_reply_matches(out, n, 0x1234, B(q_plain)));
}

static void test_build_truncated(void **state)
{
	struct unet__dns_query_info info;
	uint8_t out[DNS_HLEN + 64];
	size_t n;

	(void)state;
	assert_int_equal(unet__dns_query_parse(B(q_plain), &info), 0);
	n = unet__dns_build_truncated(out, B(r_plain), &info);
	assert_int_equal(n, DNS_HLEN + info.qlen);
	/* The guest's id, the reply's flags with TC, its question. */
	assert_memory_equal(out,
			    "\x12\x34\x83\x80\x00\x01\x00\x00\x00\x00"
			    "\x00\x00",
			    DNS_HLEN);
	assert_memory_equal(out + DNS_HLEN, r_plain + DNS_HLEN, info.qlen);
	/* A reply shorter than its question gives nothing to send. */
	assert_int_equal(unet__dns_build_truncated(out,
						   (const uint8_t *)r_plain,
						   DNS_HLEN + 3, &info),
			 0);
	assert_int_equal(unet__dns_build_truncated(
				 out, (const uint8_t *)r_plain, 5, &info),
			 0);
}

static void test_set_id(void **state)
{
	uint8_t m[sizeof(q_plain)];

	(void)state;
	memcpy(m, q_plain, sizeof(m));
	unet__dns_set_id(m, 0xbeef);
	assert_int_equal(m[0], 0xbe);
	assert_int_equal(m[1], 0xef);
	assert_memory_equal(m + 2, q_plain + 2, sizeof(m) - 2);
}

/**
 * struct rejects - the names the encoder left out
 * @n: how many
 * @names: them, comma-separated
 */
struct rejects {
	int n;
	char names[256];
};

static void on_reject(void *opaque, const char *name, size_t len)
{
	struct rejects *r = opaque;
	size_t used = strlen(r->names);

	r->n++;
	snprintf(r->names + used, sizeof(r->names) - used, "%s%.*s",
		 used > 0 ? "," : "", (int)len, name);
}

/* Encodes @list into a buffer of @cap; checks the bytes and the rejects. */
static void search_check(const char *list, size_t cap, const uint8_t *want,
			 size_t want_len, const char *rejected)
{
	struct rejects r = { 0 };
	uint8_t out[1024];
	size_t len = 12345;

	assert_true(cap <= sizeof(out));
	assert_int_equal(unet__dns_search_encode(list, out, cap, &len,
						 on_reject, &r),
			 0);
	if (len != want_len || (len > 0 && memcmp(out, want, len) != 0))
		fail_msg("'%s': %zu bytes, not %zu as expected", list, len,
			 want_len);
	assert_string_equal(r.names, rejected);
}

static void test_search(void **state)
{
	char long_label[80], long_name[300];
	size_t i;

	(void)state;
	search_check("", 64, NULL, 0, "");
	search_check(",,", 64, NULL, 0, "");
	search_check("example.com", 64,
		     B("\x07"
		       "example\x03"
		       "com\x00"),
		     "");
	/* A trailing dot is dropped. */
	search_check("example.com.", 64,
		     B("\x07"
		       "example\x03"
		       "com\x00"),
		     "");
	/* RFC 3397's own example: the second name points to "example.com". */
	search_check("eng.apple.com,marketing.apple.com", 64,
		     B("\x03"
		       "eng\x05"
		       "apple\x03"
		       "com\x00"
		       "\x09"
		       "marketing\xc0\x04"),
		     "");
	/* A whole name again, in another case: one pointer. */
	search_check("a.example,A.EXAMPLE", 64,
		     B("\x01"
		       "a\x07"
		       "example\x00\xc0\x00"),
		     "");
	/* Malformed names are left out, the others kept. */
	search_check("a..b,.x,ok,y.", 64,
		     B("\x02"
		       "ok\x00\x01"
		       "y\x00"),
		     "a..b,.x");
	memset(long_label, 'l', 64);
	long_label[64] = '\0';
	search_check(long_label, 128, NULL, 0, long_label);
	/* 5 labels of 50: 255 + 1 bytes in wire form, one too many. */
	for (i = 0; i < 5; i++) {
		memset(long_name + i * 51, 'n', 50);
		long_name[i * 51 + 50] = i < 4 ? '.' : '\0';
	}
	search_check(long_name, 512, NULL, 0, long_name);
	/* No room: the name is left out whole, and the next still fits. */
	search_check("abcdefgh.example,x", 12,
		     B("\x01"
		       "x\x00"),
		     "abcdefgh.example");
	/* Suffixes of a name left out are not pointed to. */
	search_check("abcdefgh.ex,ex", 5,
		     B("\x02"
		       "ex\x00"),
		     "abcdefgh.ex");
	/* A pointer needs 2 bytes. */
	search_check("ex,ex", 5,
		     B("\x02"
		       "ex\x00"),
		     "ex");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_query_table),
		cmocka_unit_test(test_query_name_lengths),
		cmocka_unit_test(test_reply_matches),
		cmocka_unit_test(test_build_error),
		cmocka_unit_test(test_build_truncated),
		cmocka_unit_test(test_set_id),
		cmocka_unit_test(test_search),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
