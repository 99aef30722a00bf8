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
 * RFC 3397 search-list encoder (compression, malformed names, no room);
 * the answer reader (A, AAAA, CNAME chains with their TTLs, records off
 * the chain, loops, error responses, TC) with its malformed table
 * (records cut short, wrong data lengths, CNAME targets past their data,
 * pointers at themselves or forward, too many jumps, names over 255
 * bytes), and the question names as text.
 */
#include <errno.h>
#include <sys/socket.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "wire/dns_proto.h"

#include "dns_msg.h"
#include "dns_observe.h"

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

/* ---- answers (unet__dns_answer_parse) ---------------------------------- */

/* A message being built. */
struct msg {
	uint8_t b[1024];
	size_t n;
};

static void put(struct msg *m, const void *p, size_t n)
{
	assert_true(m->n + n <= sizeof(m->b));
	memcpy(m->b + m->n, p, n);
	m->n += n;
}

static void put8(struct msg *m, uint8_t v)
{
	put(m, &v, 1);
}

static void put16(struct msg *m, uint16_t v)
{
	put8(m, (uint8_t)(v >> 8));
	put8(m, (uint8_t)v);
}

static void put32(struct msg *m, uint32_t v)
{
	put16(m, (uint16_t)(v >> 16));
	put16(m, (uint16_t)v);
}

/* "a.example" as labels and the root. */
static void put_name(struct msg *m, const char *name)
{
	const char *dot;
	size_t len;

	while (*name != '\0') {
		dot = strchr(name, '.');
		len = dot != NULL ? (size_t)(dot - name) : strlen(name);
		put8(m, (uint8_t)len);
		put(m, name, len);
		name += len + (dot != NULL);
	}
	put8(m, 0);
}

static void put_ptr(struct msg *m, size_t off)
{
	put16(m, (uint16_t)(0xc000 | off));
}

/* A response header, flags @flags, @an answers, and the question
 * "a.example" type A class IN at offset 12. */
static void start(struct msg *m, uint16_t flags, uint16_t an)
{
	m->n = 0;
	put16(m, 0x1234);
	put16(m, flags);
	put16(m, 1);
	put16(m, an);
	put16(m, 0);
	put16(m, 0);
	put_name(m, "a.example");
	put16(m, DNS_TYPE_A);
	put16(m, DNS_CLASS_IN);
}

/* A record's fixed part after its owner. */
static void rr(struct msg *m, uint16_t type, uint32_t ttl, uint16_t rdlen)
{
	put16(m, type);
	put16(m, DNS_CLASS_IN);
	put32(m, ttl);
	put16(m, rdlen);
}

#define QNAME 12
#define RESP (DNS_FLAG_QR | DNS_FLAG_RD | DNS_FLAG_RA)

static void test_answer_chain(void **state)
{
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
	struct unet_dns_answer ans;
	struct msg m;
	size_t b_off;

	(void)state;
	/* A and AAAA for the question's name, by pointer and in full. */
	start(&m, RESP, 3);
	put_ptr(&m, QNAME);
	rr(&m, DNS_TYPE_A, 300, 4);
	put32(&m, 0xc6120002);
	put_name(&m, "A.Example");
	rr(&m, DNS_TYPE_AAAA, 0x80000000u, 16);
	put(&m, v6, 16);
	/* Off the chain: ignored. */
	put_name(&m, "x.example");
	rr(&m, DNS_TYPE_A, 300, 4);
	put32(&m, 0x01020304);
	assert_int_equal(unet__dns_answer_parse(m.b, m.n, &ans), 0);
	assert_int_equal(ans.n_names, 1);
	assert_string_equal(ans.names[0], "a.example");
	assert_int_equal(ans.n_addrs, 2);
	assert_int_equal(ans.addrs[0].family, AF_INET);
	assert_memory_equal(ans.addrs[0].addr, "\xc6\x12\x00\x02", 4);
	assert_int_equal(ans.addrs[0].ttl, 300);
	assert_int_equal(ans.addrs[0].names, 1);
	assert_int_equal(ans.addrs[1].family, AF_INET6);
	assert_memory_equal(ans.addrs[1].addr, v6, 16);
	assert_int_equal(ans.addrs[1].ttl, 0); /* RFC 2181: top bit */

	/* a CNAME b.example (TTL 100); b A (TTL 300); b CNAME a: a loop
	 * the walk leaves. */
	start(&m, RESP, 3);
	put_ptr(&m, QNAME);
	rr(&m, DNS_TYPE_CNAME, 100, 4);
	b_off = m.n;
	/* b, then the question's "example" by pointer. */
	put8(&m, 1);
	put(&m, "b", 1);
	put_ptr(&m, QNAME + 2);
	put_ptr(&m, b_off);
	rr(&m, DNS_TYPE_A, 300, 4);
	put32(&m, 0xc6120003);
	put_ptr(&m, b_off);
	rr(&m, DNS_TYPE_CNAME, 100, 2);
	put_ptr(&m, QNAME);
	assert_int_equal(unet__dns_answer_parse(m.b, m.n, &ans), 0);
	assert_int_equal(ans.n_names, 2);
	assert_string_equal(ans.names[1], "b.example");
	assert_int_equal(ans.n_addrs, 1);
	assert_int_equal(ans.addrs[0].ttl, 100);
	assert_int_equal(ans.addrs[0].names, 2);

	/* An error response, another class: nothing learned, no error. */
	start(&m, RESP | 3, 0);
	assert_int_equal(unet__dns_answer_parse(m.b, m.n, &ans), 0);
	assert_int_equal(ans.n_names, 0);
	start(&m, RESP, 1);
	put_ptr(&m, QNAME);
	put16(&m, DNS_TYPE_A);
	put16(&m, 3); /* CH */
	put32(&m, 5);
	put16(&m, 4);
	put32(&m, 0x01020304);
	assert_int_equal(unet__dns_answer_parse(m.b, m.n, &ans), 0);
	assert_int_equal(ans.n_addrs, 0);

	/* Truncated (TC): the records that came whole are used. */
	start(&m, RESP | DNS_FLAG_TC, 2);
	put_ptr(&m, QNAME);
	rr(&m, DNS_TYPE_A, 60, 4);
	put32(&m, 0xc6120004);
	put_ptr(&m, QNAME);
	rr(&m, DNS_TYPE_A, 60, 4);
	put16(&m, 0xc612);
	assert_int_equal(unet__dns_answer_parse(m.b, m.n, &ans), 0);
	assert_int_equal(ans.n_addrs, 1);

	/* A question that is no host name teaches nothing. */
	m.n = 0;
	put16(&m, 1);
	put16(&m, RESP);
	put16(&m, 1);
	put16(&m, 1);
	put32(&m, 0);
	put_name(&m, "a b.example");
	put32(&m, 0x00010001);
	put_ptr(&m, QNAME);
	rr(&m, DNS_TYPE_A, 60, 4);
	put32(&m, 0xc6120004);
	assert_int_equal(unet__dns_answer_parse(m.b, m.n, &ans), 0);
	assert_int_equal(ans.n_names, 0);
}

/* Starts a TXT record for the question's name; its data follow. */
static size_t hide_begin(struct msg *m)
{
	put_ptr(m, QNAME);
	rr(m, 16, 60, 0);
	return m->n;
}

/* Ends it: its length is what was put since hide_begin(). */
static void hide_end(struct msg *m, size_t start_data)
{
	size_t len = m->n - start_data;

	m->b[start_data - 2] = (uint8_t)(len >> 8);
	m->b[start_data - 1] = (uint8_t)len;
}

static void test_answer_malformed(void **state)
{
	struct unet_dns_answer ans;
	size_t at, hidden;
	struct msg m;
	int i;

	(void)state;
	/* Short header; a query (QR clear). */
	assert_int_equal(unet__dns_answer_parse(B("\x12\x34\x81\x80"), &ans),
			 -EINVAL);
	start(&m, DNS_FLAG_RD, 0);
	assert_int_equal(unet__dns_answer_parse(m.b, m.n, &ans), -EINVAL);
	/* The question cut short. */
	start(&m, RESP, 0);
	assert_int_equal(unet__dns_answer_parse(m.b, m.n - 3, &ans), -EINVAL);
	/* A record cut in its fixed part, or its data past the end. */
	start(&m, RESP, 1);
	put_ptr(&m, QNAME);
	put16(&m, DNS_TYPE_A);
	assert_int_equal(unet__dns_answer_parse(m.b, m.n, &ans), -EINVAL);
	start(&m, RESP, 1);
	put_ptr(&m, QNAME);
	rr(&m, DNS_TYPE_A, 60, 4);
	put16(&m, 0xc612);
	assert_int_equal(unet__dns_answer_parse(m.b, m.n, &ans), -EINVAL);
	/* More records announced than there are. */
	start(&m, RESP, 2);
	put_ptr(&m, QNAME);
	rr(&m, DNS_TYPE_A, 60, 4);
	put32(&m, 0xc6120004);
	assert_int_equal(unet__dns_answer_parse(m.b, m.n, &ans), -EINVAL);
	assert_int_equal(ans.n_addrs, 0);
	/* An A record of 5 bytes, an AAAA of 4. */
	start(&m, RESP, 1);
	put_ptr(&m, QNAME);
	rr(&m, DNS_TYPE_A, 60, 5);
	put32(&m, 0xc6120004);
	put8(&m, 0);
	assert_int_equal(unet__dns_answer_parse(m.b, m.n, &ans), -EINVAL);
	start(&m, RESP, 1);
	put_ptr(&m, QNAME);
	rr(&m, DNS_TYPE_AAAA, 60, 4);
	put32(&m, 0xc6120004);
	assert_int_equal(unet__dns_answer_parse(m.b, m.n, &ans), -EINVAL);
	/* A CNAME whose target runs past its data, or stops short of it. */
	start(&m, RESP, 1);
	put_ptr(&m, QNAME);
	rr(&m, DNS_TYPE_CNAME, 60, 3);
	put_name(&m, "b.example");
	assert_int_equal(unet__dns_answer_parse(m.b, m.n, &ans), -EINVAL);
	start(&m, RESP, 1);
	put_ptr(&m, QNAME);
	rr(&m, DNS_TYPE_CNAME, 60, 4);
	put_ptr(&m, QNAME);
	put16(&m, 0);
	assert_int_equal(unet__dns_answer_parse(m.b, m.n, &ans), -EINVAL);
	/* An owner pointing at itself, or forward. */
	start(&m, RESP, 1);
	put_ptr(&m, m.n);
	rr(&m, DNS_TYPE_A, 60, 4);
	put32(&m, 0xc6120004);
	assert_int_equal(unet__dns_answer_parse(m.b, m.n, &ans), 0);
	assert_int_equal(ans.n_addrs, 0); /* the owner matches nothing */
	start(&m, RESP, 1);
	put_ptr(&m, QNAME);
	rr(&m, DNS_TYPE_CNAME, 60, 2);
	put_ptr(&m, m.n + 10);
	assert_int_equal(unet__dns_answer_parse(m.b, m.n, &ans), 0);
	assert_int_equal(ans.n_names, 1); /* the chain ends there */
	/*
	 * A CNAME target through 16 pointers to b.example: followed; through
	 * 17: too many jumps, the chain ends. The pointers and the name hide
	 * in a TXT record's data, which nothing else reads.
	 */
	for (int jumps = 16; jumps <= 17; jumps++) {
		start(&m, RESP, 2);
		hidden = hide_begin(&m);
		at = m.n;
		put_name(&m, "b.example");
		for (i = 0; i < jumps - 1; i++) {
			size_t here = m.n;

			put_ptr(&m, at);
			at = here;
		}
		hide_end(&m, hidden);
		put_ptr(&m, QNAME);
		rr(&m, DNS_TYPE_CNAME, 60, 2);
		put_ptr(&m, at);
		assert_int_equal(unet__dns_answer_parse(m.b, m.n, &ans), 0);
		assert_int_equal(ans.n_names, jumps == 16 ? 2 : 1);
		if (jumps == 16)
			assert_string_equal(ans.names[1], "b.example");
	}
	/* A name over 255 bytes made of labels repeated through pointers. */
	start(&m, RESP, 2);
	hidden = hide_begin(&m);
	at = m.n;
	put8(&m, 63);
	for (i = 0; i < 63; i++)
		put8(&m, 'x');
	put_ptr(&m, QNAME);
	for (i = 0; i < 4; i++) {
		size_t next = m.n;

		put8(&m, 63);
		for (int j = 0; j < 63; j++)
			put8(&m, 'y');
		put_ptr(&m, at);
		at = next;
	}
	hide_end(&m, hidden);
	put_ptr(&m, QNAME);
	rr(&m, DNS_TYPE_CNAME, 60, 2);
	put_ptr(&m, at);
	assert_int_equal(unet__dns_answer_parse(m.b, m.n, &ans), 0);
	assert_int_equal(ans.n_names, 1);
}

static void test_question_name(void **state)
{
	char name[UNET_DNS_NAME_TEXT];
	struct msg m;

	(void)state;
	assert_int_equal(unet__dns_question_name(B(q_plain), 0, name), 1);
	assert_string_equal(name, "a.example");
	assert_int_equal(unet__dns_question_name(B(q_plain), 1, name), -EINVAL);
	m.n = 0;
	put16(&m, 1);
	put16(&m, 0);
	put16(&m, 3);
	put16(&m, 0);
	put32(&m, 0);
	put_name(&m, "WWW.Evil.EXAMPLE");
	put32(&m, 0x00010001);
	put_name(&m, "a\001b.example");
	put32(&m, 0x00010001);
	put8(&m, 0); /* the root */
	put32(&m, 0x00020001);
	assert_int_equal(unet__dns_question_name(m.b, m.n, 0, name), 1);
	assert_string_equal(name, "www.evil.example");
	assert_int_equal(unet__dns_question_name(m.b, m.n, 1, name), 0);
	assert_string_equal(name, "");
	assert_int_equal(unet__dns_question_name(m.b, m.n, 2, name), 0);
	assert_int_equal(unet__dns_question_name(m.b, m.n - 6, 2, name),
			 -EINVAL);
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
		cmocka_unit_test(test_answer_chain),
		cmocka_unit_test(test_answer_malformed),
		cmocka_unit_test(test_question_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
