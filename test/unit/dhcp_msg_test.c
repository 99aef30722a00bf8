/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the DHCP message parser (stack/dhcp_msg.c), driven
 * directly: no stack, no packets.
 *
 * A message is built here: the 236-byte fixed part, the magic cookie and
 * the options of each row (and, for overloading rows, options in the file
 * or sname field). The table has well-formed messages (each option the
 * server looks at, first instances winning, pads, overloading) and
 * malformed ones (short, a bad op, htype, hlen or cookie, an option
 * running past the end, a length byte missing, no end option, a malformed
 * option 53, malformed overloaded options), each with the reason given.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dhcp_msg.h"

#define MSG_MAX 1024

/**
 * struct msg_row - one message for unet__dhcp_msg_parse()
 * @what: what the row checks
 * @opts: the options after the cookie
 * @opts_len: their length
 * @file: options in the file field (overloading), or NULL
 * @file_len: their length
 * @sname: options in the sname field, or NULL
 * @sname_len: their length
 * @why: NULL when the message is taken, else the reason given
 * @type: option 53 found
 */
struct msg_row {
	const char *what;
	const char *opts;
	size_t opts_len;
	const char *file;
	size_t file_len;
	const char *sname;
	size_t sname_len;
	const char *why;
	uint8_t type;
};

#define O(s) s, sizeof(s) - 1
#define NONE NULL, 0

static const struct msg_row rows[] = {
	{ "DISCOVER", O("\x35\x01\x01\xff"), NONE, NONE, NULL, 1 },
	{ "BOOTP: only the end", O("\xff"), NONE, NONE, NULL, 0 },
	{ "pads", O("\x00\x00\x35\x01\x03\x00\xff"), NONE, NONE, NULL, 3 },
	{ "first option 53 wins", O("\x35\x01\x01\x35\x01\x03\xff"), NONE, NONE,
	  NULL, 1 },
	{ "unknown options skipped",
	  O("\x0c\x03"
	    "abc"
	    "\x35\x01\x08\xff"),
	  NONE, NONE, NULL, 8 },
	{ "bytes after the end are ignored", O("\x35\x01\x01\xff\x35\xff"),
	  NONE, NONE, NULL, 1 },
	{ "no options at all", O(""), NONE, NONE, "malformed options", 0 },
	{ "no end option", O("\x35\x01\x01"), NONE, NONE, "malformed options",
	  0 },
	{ "length byte missing", O("\x35"), NONE, NONE, "malformed options",
	  0 },
	{ "option past the end",
	  O("\x0c\x05"
	    "ab"),
	  NONE, NONE, "malformed options", 0 },
	{ "option 53 empty", O("\x35\x00\xff"), NONE, NONE, "malformed options",
	  0 },
	{ "option 53 too long", O("\x35\x02\x01\x01\xff"), NONE, NONE,
	  "malformed options", 0 },
	{ "overload file", O("\x34\x01\x01\xff"), O("\x35\x01\x01\xff"), NONE,
	  NULL, 1 },
	{ "overload sname", O("\x34\x01\x02\xff"), NONE, O("\x35\x01\x03\xff"),
	  NULL, 3 },
	{ "overload both: file first", O("\x34\x01\x03\xff"),
	  O("\x35\x01\x05\xff"), O("\x35\x01\x06\xff"), NULL, 5 },
	{ "the options field first", O("\x35\x01\x07\x34\x01\x01\xff"),
	  O("\x35\x01\x01\xff"), NONE, NULL, 7 },
	{ "overload 4 is no overload", O("\x34\x01\x04\xff"), O("\x35\x01\x01"),
	  NONE, NULL, 0 },
	{ "overloaded file without an end", O("\x34\x01\x01\xff"),
	  O("\x35\x01\x01"), NONE, "malformed options in the file field", 0 },
	{ "overloaded sname without an end", O("\x34\x01\x02\xff"), NONE,
	  O("\x35\x01\x01"), "malformed options in the sname field", 0 },
	{ "overload inside the file field is ignored", O("\x34\x01\x01\xff"),
	  O("\x34\x01\x02\xff"), O("\x35\x01\x01"), NULL, 0 },
};

/* Builds a request with @row's options into @buf; returns its length. */
static size_t build(uint8_t *buf, const struct msg_row *row)
{
	struct wire_dhcp d;
	size_t len;

	memset(&d, 0, sizeof(d));
	d.op = DHCP_BOOTREQUEST;
	d.htype = DHCP_HTYPE_ETHER;
	d.hlen = DHCP_HLEN_ETHER;
	memcpy(d.xid, "\x01\x02\x03\x04", 4);
	d.flags = htons(DHCP_FLAG_BROADCAST);
	d.ciaddr = htonl(0x0a00020f);
	memcpy(d.chaddr, "\x02\x00\x00\x00\x00\x01", 6);
	if (row->file != NULL)
		memcpy(d.file, row->file, row->file_len);
	if (row->sname != NULL)
		memcpy(d.sname, row->sname, row->sname_len);
	memcpy(buf, &d, sizeof(d));
	memcpy(buf + sizeof(d), "\x63\x82\x53\x63", DHCP_COOKIE_LEN);
	len = sizeof(d) + DHCP_COOKIE_LEN;
	memcpy(buf + len, row->opts, row->opts_len);
	return len + row->opts_len;
}

static void test_table(void **state)
{
	struct unet__dhcp_msg m;
	uint8_t buf[MSG_MAX];
	const char *why;
	size_t i, len;
	int r;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		why = NULL;
		len = build(buf, &rows[i]);
		r = unet__dhcp_msg_parse(buf, len, &m, &why);
		if (rows[i].why == NULL) {
			if (r != 0)
				fail_msg("%s: refused (%s)", rows[i].what, why);
			if (m.type != rows[i].type)
				fail_msg("%s: type %u", rows[i].what, m.type);
			assert_int_equal(m.len, len);
			assert_ptr_equal(m.fixed, buf);
			assert_int_equal(m.flags, DHCP_FLAG_BROADCAST);
			assert_int_equal(m.ciaddr, htonl(0x0a00020f));
			continue;
		}
		if (r != -EINVAL || why == NULL ||
		    strcmp(why, rows[i].why) != 0)
			fail_msg("%s: %d (%s)", rows[i].what, r,
				 why != NULL ? why : "no reason");
	}
}

/* A message cut anywhere before the cookie's end is short. */
static void test_short(void **state)
{
	struct unet__dhcp_msg m;
	uint8_t buf[MSG_MAX];
	const char *why;
	size_t n;

	(void)state;
	build(buf, &rows[0]);
	for (n = 0; n < DHCP_FIXED_LEN + DHCP_COOKIE_LEN; n++) {
		why = NULL;
		assert_int_equal(unet__dhcp_msg_parse(buf, n, &m, &why),
				 -EINVAL);
		assert_string_equal(
			why,
			"shorter than a BOOTP message with a magic cookie");
	}
}

static void test_header_fields(void **state)
{
	struct unet__dhcp_msg m;
	uint8_t buf[MSG_MAX];
	const char *why;
	size_t len;

	(void)state;
	len = build(buf, &rows[0]);
	buf[0] = DHCP_BOOTREPLY;
	assert_int_equal(unet__dhcp_msg_parse(buf, len, &m, &why), -EINVAL);
	assert_string_equal(why, "not a BOOTREQUEST");
	len = build(buf, &rows[0]);
	buf[1] = 6; /* IEEE 802 */
	assert_int_equal(unet__dhcp_msg_parse(buf, len, &m, &why), -EINVAL);
	assert_string_equal(why, "not Ethernet (htype 1, hlen 6)");
	len = build(buf, &rows[0]);
	buf[2] = 16;
	assert_int_equal(unet__dhcp_msg_parse(buf, len, &m, &why), -EINVAL);
	assert_string_equal(why, "not Ethernet (htype 1, hlen 6)");
	len = build(buf, &rows[0]);
	buf[DHCP_FIXED_LEN + 3] = 0x64;
	assert_int_equal(unet__dhcp_msg_parse(buf, len, &m, &why), -EINVAL);
	assert_string_equal(why, "bad magic cookie");
}

static void test_options(void **state)
{
	static const struct msg_row opts = {
		"options",
		O("\x35\x01\x03"
		  "\x32\x03\x0a\x00\x02" /* 50: wrong length */
		  "\x32\x04\x0a\x00\x02\x10" /* 50 */
		  "\x32\x04\x0a\x00\x02\x11" /* 50 again */
		  "\x36\x04\x0a\x00\x02\x02" /* 54 */
		  "\x3d\x00" /* 61: empty */
		  "\x3d\x07\x01\x02\x00\x00\x00\x00\x01" /* 61 */
		  "\x39\x01\x05" /* 57: wrong length */
		  "\x39\x02\x05\xdc" /* 57: 1500 */
		  "\x39\x02\x02\x40" /* 57 again */
		  "\xff"),
		NONE,
		NONE,
		NULL,
		3
	};
	struct unet__dhcp_msg m;
	uint8_t buf[MSG_MAX];
	const char *why;
	size_t len;

	(void)state;
	len = build(buf, &opts);
	assert_int_equal(unet__dhcp_msg_parse(buf, len, &m, &why), 0);
	assert_int_equal(m.type, DHCP_REQUEST);
	assert_true(m.has_requested);
	assert_int_equal(m.requested, htonl(0x0a000210));
	assert_true(m.has_server_id);
	assert_int_equal(m.server_id, htonl(0x0a000202));
	assert_non_null(m.client_id);
	assert_int_equal(m.client_id_len, 7);
	assert_memory_equal(m.client_id, "\x01\x02\x00\x00\x00\x00\x01", 7);
	assert_int_equal(m.max_size, 1500);
	assert_int_equal(m.overload, 0);
	assert_memory_equal(m.fixed->xid, "\x01\x02\x03\x04", 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_short),
		cmocka_unit_test(test_header_fields),
		cmocka_unit_test(test_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
