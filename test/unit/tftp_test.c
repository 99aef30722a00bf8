/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the gateway's TFTP server. A test port on the hub plays the
 * client (10.0.2.15): it injects RRQs, ACKs and the rest as UDP frames and
 * reads the server's answers from what the stack sends. The server serves a
 * temporary folder the test fills; beside it lies a folder "outside" with a
 * secret that must never be read.
 *
 *   capture port (client) --- hub --- stack (10.0.2.2:69 + transfer ports)
 *     10.0.2.15:4xxxx                       serves $TMP/root read-only
 *
 *   $TMP/root/    small.txt  exact1024.bin  empty.bin  sub/inner.txt  fifo
 *                 pw -> /etc/passwd  outdir -> $TMP/outside
 *                 uplink -> ../outside/secret.txt  inlink -> small.txt
 *                 (and the files some tests write: wrap.bin, *.txt)
 *   $TMP/outside/ secret.txt
 *
 * Covered: octet transfers block by block, option negotiation (OACK
 * contents, caps to the MTU and to the window's bytes, ignored options),
 * netascii conversion across block boundaries, the empty last block, block
 * numbers wrapping past 65535 (blksize 8, 534 KB, every byte checked),
 * retransmission on timeout and giving up after 5 resends, duplicate ACKs
 * that must not resend, a window with a partial ACK, concurrent transfers,
 * the transfer limit and the limit per client address, the timeout option
 * capped to 5 s (a table), how long a slot is held (a vanished client, a
 * slow one: on a virtual clock), duplicate requests, client errors, WRQ and other
 * opcodes, a table of traversal attempts and malformed requests, a bad
 * root, the proxy leaving the server's ports alone, and, last, the same
 * table on a "kernel without openat2" (a seccomp filter makes it ENOSYS).
 * Timers are libuv's: the retransmission tests run the loop for real
 * seconds (about 12 s in all).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmocka.h>

#include <usernet/hub.h>
#include <usernet/proxy.h>
#include <usernet/stack.h>

#include "testnet.h"

#define CAP_MAX 4096


/* Records the UDP frames to the client, in a queue the test reads. */
struct capture {
	struct unet_port port;
	int frames;	/* captured */
	int next;	/* read */
	int icmp;	/* ICMP frames seen (port unreachable) */
	size_t len[CAP_MAX];
	uint8_t *data[CAP_MAX];
};

struct fixture {
	uv_loop_t loop;
	struct unet_hub *hub;
	struct unet_stack *stack;
	struct unet_proxy *proxy;
	struct capture cap;
	char dir[64];
	char root[96];
	uint16_t ip_id;
	uint32_t client;	/* the client's address (10.0.2.15) */
	bool virtual_clock;	/* start() makes a hub on a virtual clock */
};

/* One TFTP packet the server sent. */
struct reply {
	uint16_t sport;
	uint16_t dport;
	uint16_t op;
	uint16_t num;	/* block number or error code */
	const uint8_t *data;	/* after the opcode and number */
	size_t len;
	const uint8_t *pkt;	/* the whole TFTP packet */
	size_t pkt_len;
};

static int capture_send(struct unet_port *port, const void *frame,
			size_t len)
{
	struct capture *c = (struct capture *)port;
	const uint8_t *b = frame;

	if (len < 34 || b[12] != 0x08 || b[13] != 0x00)
		return 0;
	if (b[23] == 1) {
		c->icmp++;
		return 0;
	}
	if (b[23] != 17)
		return 0;
	assert_true(c->frames < CAP_MAX);
	c->data[c->frames] = malloc(len);
	assert_non_null(c->data[c->frames]);
	memcpy(c->data[c->frames], frame, len);
	c->len[c->frames] = len;
	c->frames++;
	return 0;
}

static void capture_reset(struct capture *c)
{
	int i;

	for (i = 0; i < c->frames; i++) {
		free(c->data[i]);
		c->data[i] = NULL;
	}
	c->frames = 0;
	c->next = 0;
	c->icmp = 0;
}

static void capture_close(struct unet_port *port)
{
	unet_hub_detach(port);
}

static const struct unet_port_ops capture_ops = {
	.name = "capture",
	.send = capture_send,
	.close = capture_close,
};

/* Sends @len bytes from the client's @sport to 10.0.2.2:@dport. */
static void send_udp(struct fixture *f, uint16_t sport, uint16_t dport,
		     const void *data, size_t len)
{
	static uint8_t buf[2048];
	uint32_t src = f->client, dst = tn_ip("10.0.2.2");
	uint8_t *u = buf + 34;

	assert_true(len <= sizeof(buf) - 42);
	tn_ip_header(buf, tn_gw_mac, src, dst, 17, 28 + len, ++f->ip_id, 0);
	tn_put16(u, sport);
	tn_put16(u + 2, dport);
	tn_put16(u + 4, (uint16_t)(8 + len));
	tn_put16(u + 6, 0);
	memcpy(u + 8, data, len);
	tn_put16(u + 6, tn_l4_csum(src, dst, 17, u, 8 + len));
	assert_int_equal(unet_hub_input(&f->cap.port, buf, 42 + len), 0);
}

/* Builds opcode @op followed by @n NUL-terminated strings. */
static size_t pkt_strs(uint8_t *buf, size_t size, uint16_t op,
		       const char *const *s, int n)
{
	size_t len = 2, l;
	int i;

	tn_put16(buf, op);
	for (i = 0; i < n; i++) {
		l = strlen(s[i]) + 1;
		assert_true(len + l <= size);
		memcpy(buf + len, s[i], l);
		len += l;
	}
	return len;
}

/* Sends an RRQ of @n strings (name, mode, options) from @sport. */
static void send_rrq(struct fixture *f, uint16_t sport,
		     const char *const *s, int n)
{
	uint8_t buf[1500];

	send_udp(f, sport, 69, buf, pkt_strs(buf, sizeof(buf), 1, s, n));
}

static void send_get(struct fixture *f, uint16_t sport, const char *name)
{
	const char *s[] = { name, "octet" };

	send_rrq(f, sport, s, 2);
}

static void send_ack(struct fixture *f, uint16_t sport, uint16_t dport,
		     uint16_t blk)
{
	uint8_t b[4];

	tn_put16(b, 4);
	tn_put16(b + 2, blk);
	send_udp(f, sport, dport, b, 4);
}

static void send_error(struct fixture *f, uint16_t sport, uint16_t dport)
{
	static const uint8_t b[] = { 0, 5, 0, 0, 'b', 'y', 'e', 0 };

	send_udp(f, sport, dport, b, sizeof(b));
}

/* Takes the next captured packet; false when none is left. */
static bool next_reply(struct fixture *f, struct reply *r)
{
	struct capture *c = &f->cap;
	const uint8_t *b, *u;
	uint32_t g = f->client, gw = tn_ip("10.0.2.2");
	size_t ulen;
	int i;

	if (c->next >= c->frames)
		return false;
	i = c->next++;
	b = c->data[i];
	u = b + 34;
	assert_true(c->len[i] >= 42);
	assert_memory_equal(b, tn_guest_mac, 6);
	assert_memory_equal(b + 6, tn_gw_mac, 6);
	assert_int_equal(b[14], 0x45);
	assert_memory_equal(b + 26, &gw, 4);
	assert_memory_equal(b + 30, &g, 4);
	assert_int_equal(tn_csum(b + 14, 20), 0);
	assert_int_equal(tn_get16(b + 20) & 0x3fff, 0); /* never fragmented */
	ulen = tn_get16(u + 4);
	assert_true(34 + ulen <= c->len[i]);
	assert_int_equal(tn_l4_csum(gw, g, 17, u, ulen), 0);
	if (ulen < 12)
		fail_msg("short UDP %zu from %u to %u", ulen, tn_get16(u), tn_get16(u + 2));
	r->sport = tn_get16(u);
	r->dport = tn_get16(u + 2);
	r->pkt = u + 8;
	r->pkt_len = ulen - 8;
	r->op = tn_get16(u + 8);
	r->num = r->pkt_len >= 4 ? tn_get16(u + 10) : 0;
	r->data = u + 12;
	r->len = r->pkt_len - 4;
	return true;
}

/* Expects the next packet to be DATA @blk to @dport; returns it. */
static struct reply expect_data(struct fixture *f, uint16_t dport,
				uint16_t blk)
{
	struct reply r;

	assert_true(next_reply(f, &r));
	assert_int_equal(r.op, 3);
	assert_int_equal(r.dport, dport);
	assert_int_equal(r.num, blk);
	return r;
}

/* Expects ERROR @code from port 69 to @dport. */
static void expect_error(struct fixture *f, uint16_t dport, uint16_t code)
{
	struct reply r;

	assert_true(next_reply(f, &r));
	assert_int_equal(r.op, 5);
	assert_int_equal(r.sport, 69);
	assert_int_equal(r.dport, dport);
	assert_int_equal(r.num, code);
	/* A NUL-terminated message. */
	assert_true(r.len >= 1);
	assert_int_equal(r.data[r.len - 1], 0);
}

static bool no_reply(struct fixture *f)
{
	return f->cap.next >= f->cap.frames;
}

static struct unet_stack_stats stats(struct fixture *f)
{
	struct unet_stack_stats s = { .size = sizeof(s) };

	assert_int_equal(unet_stack_stats(f->stack, &s), 0);
	return s;
}

static void write_file(struct fixture *f, const char *name, const void *data,
		       size_t len)
{
	char path[256];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", f->root, name);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

/* The contents of small.txt, exact1024.bin ... */
static uint8_t small_txt[1300];
static uint8_t exact_bin[1024];
static uint8_t *wrap_bin;
#define WRAP_LEN (65535u * 8 + 9603) /* 66736 blocks of 8, the last of 3 */
static const char secret[] = "SECRET-OUTSIDE-THE-ROOT";

static void fill_root(struct fixture *f)
{
	char path[256], target[256];
	size_t i;

	for (i = 0; i < sizeof(small_txt); i++)
		small_txt[i] = (uint8_t)('a' + i % 26);
	for (i = 0; i < sizeof(exact_bin); i++)
		exact_bin[i] = (uint8_t)(i * 7);
	write_file(f, "small.txt", small_txt, sizeof(small_txt));
	write_file(f, "exact1024.bin", exact_bin, sizeof(exact_bin));
	write_file(f, "empty.bin", "", 0);
	snprintf(path, sizeof(path), "%s/sub", f->root);
	assert_int_equal(mkdir(path, 0755), 0);
	write_file(f, "sub/inner.txt", "inner\n", 6);
	snprintf(path, sizeof(path), "%s/fifo", f->root);
	assert_int_equal(mkfifo(path, 0644), 0);
	snprintf(path, sizeof(path), "%s/pw", f->root);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	snprintf(path, sizeof(path), "%s/outdir", f->root);
	snprintf(target, sizeof(target), "%s/outside", f->dir);
	assert_int_equal(symlink(target, path), 0);
	snprintf(path, sizeof(path), "%s/uplink", f->root);
	assert_int_equal(symlink("../outside/secret.txt", path), 0);
	snprintf(path, sizeof(path), "%s/inlink", f->root);
	assert_int_equal(symlink("small.txt", path), 0);
	snprintf(path, sizeof(path), "%s/outside/secret.txt", f->dir);
	{
		FILE *fp = fopen(path, "w");

		assert_non_null(fp);
		fputs(secret, fp);
		fclose(fp);
	}
}

/* Teaches the gateway the client's MAC, as the client's ARP would. */
static void teach_arp(struct fixture *f)
{
	uint8_t arp[60];

	tn_arp_request(arp, tn_bcast, f->client, tn_ip("10.0.2.2"));
	unet_hub_input(&f->cap.port, arp, sizeof(arp));
	capture_reset(&f->cap);
}

/* Makes the hub (MTU @mtu, 0 for the default) and the stack serving root. */
static void start(struct fixture *f, unsigned int mtu, bool proxy)
{
	struct unet_stack_config sc;
	struct unet_hub_config hc;

	unet_hub_config_init(&hc);
	if (mtu != 0)
		hc.mtu = mtu;
	hc.virtual_clock = f->virtual_clock;
	assert_int_equal(unet_hub_new(&f->loop, &hc, &f->hub), 0);
	unet_port_init(&f->cap.port, &capture_ops, "cap");
	assert_int_equal(unet_hub_attach(f->hub, &f->cap.port), 0);
	unet_stack_config_init(&sc);
	snprintf(sc.tftp_root, sizeof(sc.tftp_root), "%s", f->root);
	assert_int_equal(unet_stack_new(f->hub, "user", &sc, &f->stack), 0);
	if (proxy)
		assert_int_equal(unet_proxy_new(f->stack, NULL, &f->proxy), 0);
	teach_arp(f);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char path[128];

	assert_non_null(f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	f->client = tn_ip("10.0.2.15");
	snprintf(f->dir, sizeof(f->dir), "/tmp/tftp_test.XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->root, sizeof(f->root), "%s/root", f->dir);
	assert_int_equal(mkdir(f->root, 0755), 0);
	snprintf(path, sizeof(path), "%s/outside", f->dir);
	assert_int_equal(mkdir(path, 0755), 0);
	fill_root(f);
	*state = f;
	return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag,
		    struct FTW *ftw)
{
	return remove(path);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->proxy != NULL)
		unet_proxy_close(f->proxy);
	if (f->hub != NULL)
		unet_hub_close(f->hub);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	capture_reset(&f->cap);
	nftw(f->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	free(f);
	return 0;
}

/*
 * Fetches a whole file with one ACK per packet from @sport, after a DATA 1
 * already read as @first; returns the bytes (malloc'd) and their count.
 */
static uint8_t *fetch_rest(struct fixture *f, uint16_t sport,
			   struct reply first, size_t blksize, size_t *lenp)
{
	size_t cap = 1 << 16, len = 0;
	uint8_t *buf = malloc(cap);
	uint16_t port = first.sport, blk = 1;
	struct reply r = first;

	assert_non_null(buf);
	for (;;) {
		assert_int_equal(r.op, 3);
		assert_int_equal(r.num, blk);
		assert_int_equal(r.sport, port);
		assert_true(r.len <= blksize);
		if (len + r.len > cap) {
			cap *= 2;
			buf = realloc(buf, cap);
			assert_non_null(buf);
		}
		memcpy(buf + len, r.data, r.len);
		len += r.len;
		send_ack(f, sport, port, blk);
		if (r.len < blksize)
			break;
		blk++;
		assert_true(next_reply(f, &r));
	}
	/* The last ACK ends the transfer: nothing more comes. */
	assert_true(no_reply(f));
	*lenp = len;
	return buf;
}

static void test_octet_small(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	uint16_t port;
	size_t len;
	uint8_t *got;

	start(f, 0, false);
	send_get(f, 40000, "small.txt");
	r = expect_data(f, 40000, 1);
	port = r.sport;
	assert_true(port >= 49152);
	assert_int_equal(r.len, 512);
	assert_memory_equal(r.data, small_txt, 512);
	assert_true(no_reply(f));

	/* A duplicate ACK resends nothing (Sorcerer's Apprentice). */
	send_ack(f, 40000, port, 1);
	r = expect_data(f, 40000, 2);
	send_ack(f, 40000, port, 1);
	send_ack(f, 40000, port, 1);
	assert_true(no_reply(f));
	/* A stale ACK from the future does nothing either. */
	send_ack(f, 40000, port, 9);
	assert_true(no_reply(f));
	assert_memory_equal(r.data, small_txt + 512, 512);
	send_ack(f, 40000, port, 2);
	r = expect_data(f, 40000, 3);
	assert_int_equal(r.len, sizeof(small_txt) - 1024);
	assert_memory_equal(r.data, small_txt + 1024, r.len);
	send_ack(f, 40000, port, 3);
	assert_true(no_reply(f));
	/* The transfer is gone: its port is closed. */
	send_ack(f, 40000, port, 3);
	assert_true(no_reply(f));
	assert_int_equal(f->cap.icmp, 1);

	/* A symlink that stays inside the root is followed. */
	send_get(f, 40001, "inlink");
	r = expect_data(f, 40001, 1);
	got = fetch_rest(f, 40001, r, 512, &len);
	assert_int_equal(len, sizeof(small_txt));
	assert_memory_equal(got, small_txt, len);
	free(got);
	/* So is a file in a folder. */
	send_get(f, 40002, "sub/inner.txt");
	r = expect_data(f, 40002, 1);
	assert_int_equal(r.len, 6);
	assert_memory_equal(r.data, "inner\n", 6);
	send_ack(f, 40002, r.sport, 1);
	assert_true(no_reply(f));

	assert_int_equal(stats(f).tftp_transfers, 3);
	assert_int_equal(stats(f).tftp_errors, 0);
	assert_int_equal(stats(f).tftp_drop, 0);
}

static void test_exact_multiple(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	uint8_t *got;
	size_t len;

	start(f, 0, false);
	send_get(f, 40000, "exact1024.bin");
	r = expect_data(f, 40000, 1);
	assert_int_equal(r.len, 512);
	send_ack(f, 40000, r.sport, 1);
	r = expect_data(f, 40000, 2);
	assert_int_equal(r.len, 512);
	send_ack(f, 40000, r.sport, 2);
	/* An exact multiple of the block size ends with an empty block. */
	r = expect_data(f, 40000, 3);
	assert_int_equal(r.len, 0);
	send_ack(f, 40000, r.sport, 3);
	assert_true(no_reply(f));

	/* An empty file is one empty block. */
	send_get(f, 40001, "empty.bin");
	r = expect_data(f, 40001, 1);
	got = fetch_rest(f, 40001, r, 512, &len);
	assert_int_equal(len, 0);
	free(got);
}

/* Splits an OACK into option/value pairs and compares with @want. */
static void assert_oack(const struct reply *r, const char *const *want,
			int n)
{
	size_t off = 2, l;
	int i;

	assert_int_equal(r->op, 6);
	for (i = 0; i < n; i++) {
		assert_true(off < r->pkt_len);
		l = strnlen((const char *)r->pkt + off, r->pkt_len - off);
		assert_true(off + l < r->pkt_len);
		assert_string_equal((const char *)r->pkt + off, want[i]);
		off += l + 1;
	}
	assert_int_equal(off, r->pkt_len);
}

static void test_options(void **state)
{
	struct fixture *f = *state;
	const char *rq1[] = { "small.txt", "octet", "blksize", "1024",
			      "tsize", "0", "timeout", "3", "windowsize", "2",
			      "foo", "bar" };
	const char *ok1[] = { "blksize", "1024", "tsize", "1300",
			      "timeout", "3", "windowsize", "2" };
	/* Upper case names; out-of-range values capped or ignored. */
	const char *rq2[] = { "small.txt", "OCTET", "BLKSIZE", "70000",
			      "TimeOut", "0", "WINDOWSIZE", "100" };
	const char *ok2[] = { "blksize", "1468", "windowsize", "64" };
	const char *rq3[] = { "small.txt", "octet", "blksize", "7",
			      "timeout", "256", "windowsize", "0",
			      "tsize", "x1", "blksize", "1024" };
	const char *rq4[] = { "small.txt", "octet", "blksize", "65464",
			      "windowsize", "64" };
	const char *rq5[] = { "small.txt", "netascii", "tsize", "0" };
	const char *rq6[] = { "small.txt", "netascii", "tsize", "0",
			      "blksize", "600" };
	const char *ok6[] = { "blksize", "600" };
	/* A last option cut short is ignored. */
	const char *rq7[] = { "small.txt", "octet", "tsize", "0", "blksize" };
	const char *ok7[] = { "tsize", "1300" };
	struct reply r;
	uint16_t port;

	start(f, 1500, false);

	send_rrq(f, 40000, rq1, 12);
	assert_true(next_reply(f, &r));
	assert_int_equal(r.dport, 40000);
	port = r.sport;
	assert_oack(&r, ok1, 8);
	assert_true(no_reply(f));
	/* Only ACK 0 starts the data; a window of 2 blocks of 1024. */
	send_ack(f, 40000, port, 1);
	assert_true(no_reply(f));
	send_ack(f, 40000, port, 0);
	r = expect_data(f, 40000, 1);
	assert_int_equal(r.len, 1024);
	assert_memory_equal(r.data, small_txt, 1024);
	r = expect_data(f, 40000, 2);
	assert_int_equal(r.len, 1300 - 1024);
	assert_memory_equal(r.data, small_txt + 1024, r.len);
	assert_true(no_reply(f));
	send_ack(f, 40000, port, 0);	/* a duplicate ACK 0: nothing */
	assert_true(no_reply(f));
	send_ack(f, 40000, port, 2);
	assert_true(no_reply(f));

	/* At MTU 1500, the largest block is 1500 - 20 - 8 - 4. */
	send_rrq(f, 40001, rq2, 8);
	assert_true(next_reply(f, &r));
	assert_oack(&r, ok2, 4);
	send_error(f, 40001, r.sport);

	/* Nothing acceptable: no OACK, DATA 1 of 512 at once. */
	send_rrq(f, 40002, rq3, 12);
	r = expect_data(f, 40002, 1);
	assert_int_equal(r.len, 512);
	send_error(f, 40002, r.sport);

	/* Netascii has no tsize. */
	send_rrq(f, 40004, rq5, 4);
	r = expect_data(f, 40004, 1);
	send_error(f, 40004, r.sport);
	send_rrq(f, 40005, rq6, 6);
	assert_true(next_reply(f, &r));
	assert_oack(&r, ok6, 2);
	send_error(f, 40005, r.sport);

	send_rrq(f, 40006, rq7, 5);
	assert_true(next_reply(f, &r));
	assert_oack(&r, ok7, 2);
	send_error(f, 40006, r.sport);
	assert_true(no_reply(f));

	/* At the largest MTU, 64 blocks of 65464 are capped to 1 MiB. */
	unet_hub_close(f->hub);
	f->hub = NULL;
	uv_run(&f->loop, UV_RUN_DEFAULT);
	capture_reset(&f->cap);
	start(f, 0, false);
	send_rrq(f, 40003, rq4, 6);
	assert_true(next_reply(f, &r));
	{
		const char *ok4[] = { "blksize", "65464", "windowsize", "16" };

		assert_oack(&r, ok4, 4);
	}
	send_ack(f, 40003, r.sport, 0);
	r = expect_data(f, 40003, 1);
	assert_int_equal(r.len, 1300);
	send_ack(f, 40003, r.sport, 1);
	assert_true(no_reply(f));
}

/* What netascii makes of @in. */
static size_t netascii(const uint8_t *in, size_t len, uint8_t *out)
{
	size_t i, o = 0;

	for (i = 0; i < len; i++) {
		if (in[i] == '\n') {
			out[o++] = '\r';
			out[o++] = '\n';
		} else if (in[i] == '\r') {
			out[o++] = '\r';
			out[o++] = '\0';
		} else {
			out[o++] = in[i];
		}
	}
	return o;
}

static void fetch_netascii(struct fixture *f, uint16_t sport,
			   const char *name, const uint8_t *in, size_t len)
{
	const char *rq[] = { name, "NetASCII" };
	uint8_t *want = malloc(2 * len + 1), *got;
	size_t wlen, glen;
	struct reply r;

	assert_non_null(want);
	write_file(f, name, in, len);
	wlen = netascii(in, len, want);
	send_rrq(f, sport, rq, 2);
	r = expect_data(f, sport, 1);
	got = fetch_rest(f, sport, r, 512, &glen);
	assert_int_equal(glen, wlen);
	assert_memory_equal(got, want, wlen);
	free(got);
	free(want);
}

static void test_netascii(void **state)
{
	struct fixture *f = *state;
	uint8_t buf[4000];
	size_t i;

	start(f, 0, false);
	fetch_netascii(f, 40000, "text.txt", (const uint8_t *)"a\nb\r\nc\r", 7);
	/* An LF at the block's last byte: its CR ends block 1, LF starts 2. */
	memset(buf, 'x', 511);
	buf[511] = '\n';
	buf[512] = 'y';
	fetch_netascii(f, 40001, "split.txt", buf, 513);
	/* A CR there: CR NUL split the same way. */
	buf[511] = '\r';
	fetch_netascii(f, 40002, "split2.txt", buf, 513);
	/* Converted exactly to 1024 bytes: an empty block ends it. */
	memset(buf, 'z', 1022);
	buf[1022] = '\n';
	fetch_netascii(f, 40003, "exact.txt", buf, 1023);
	/* Many line ends of both kinds. */
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (i * 7919) % 5 == 0 ? '\n' :
			 (i * 104729) % 7 == 0 ? '\r' : (uint8_t)('A' + i % 50);
	fetch_netascii(f, 40004, "mixed.txt", buf, sizeof(buf));
	assert_int_equal(stats(f).tftp_transfers, 5);
}

static void test_wrap(void **state)
{
	struct fixture *f = *state;
	const char *rq[] = { "wrap.bin", "octet", "blksize", "8" };
	uint64_t blk, nblocks = (WRAP_LEN + 8) / 8;
	size_t off = 0, i;
	struct reply r;
	uint16_t port;
	bool wrapped = false;

	wrap_bin = malloc(WRAP_LEN);
	assert_non_null(wrap_bin);
	for (i = 0; i < WRAP_LEN; i++)
		wrap_bin[i] = (uint8_t)(i * 2654435761u >> 13);
	write_file(f, "wrap.bin", wrap_bin, WRAP_LEN);
	start(f, 0, false);
	send_rrq(f, 40000, rq, 4);
	assert_true(next_reply(f, &r));
	assert_int_equal(r.op, 6);
	port = r.sport;
	send_ack(f, 40000, port, 0);
	for (blk = 1; blk <= nblocks; blk++) {
		assert_true(next_reply(f, &r));
		assert_int_equal(r.op, 3);
		assert_int_equal(r.num, (uint16_t)blk);
		if (r.num == 0)
			wrapped = true;
		assert_true(r.len == 8 || (blk == nblocks && r.len == 3));
		if (memcmp(r.data, wrap_bin + off, r.len) != 0)
			fail_msg("block %llu differs", (unsigned long long)blk);
		off += r.len;
		/* Keep the capture small: free what was read. */
		if (f->cap.next == f->cap.frames)
			capture_reset(&f->cap);
		send_ack(f, 40000, port, (uint16_t)blk);
	}
	assert_true(wrapped);
	assert_int_equal(off, WRAP_LEN);
	assert_true(no_reply(f));
	free(wrap_bin);
}

static void test_retransmit(void **state)
{
	struct fixture *f = *state;
	const char *rq[] = { "small.txt", "octet", "blksize", "512",
			     "timeout", "1" };
	struct reply r, r2;
	uint16_t port;
	int n;

	start(f, 0, false);
	send_get(f, 40000, "small.txt");
	r = expect_data(f, 40000, 1);
	port = r.sport;
	/* The client's ACK is lost: DATA 1 comes again after 1 s. */
	tn_run_for(&f->loop, 1300);
	r2 = expect_data(f, 40000, 1);
	assert_int_equal(r2.sport, port);
	assert_int_equal(r2.len, 512);
	assert_memory_equal(r2.data, small_txt, 512);
	assert_true(no_reply(f));
	send_ack(f, 40000, port, 1);
	r = expect_data(f, 40000, 2);
	/* Then the client vanishes: 5 resends, 1 s apart, then nothing. */
	tn_run_for(&f->loop, 7500);
	for (n = 0; next_reply(f, &r2); n++) {
		assert_int_equal(r2.op, 3);
		assert_int_equal(r2.num, 2);
		assert_memory_equal(r2.data, small_txt + 512, 512);
	}
	assert_int_equal(n, 5);
	/* The transfer is gone: a late ACK meets a closed port. */
	send_ack(f, 40000, port, 2);
	assert_true(no_reply(f));
	assert_int_equal(f->cap.icmp, 1);

	/* An OACK is resent the same way until ACK 0 comes. */
	send_rrq(f, 40001, rq, 6);
	assert_true(next_reply(f, &r));
	assert_int_equal(r.op, 6);
	tn_run_for(&f->loop, 1300);
	assert_true(next_reply(f, &r2));
	assert_int_equal(r2.op, 6);
	assert_int_equal(r2.pkt_len, r.pkt_len);
	send_ack(f, 40001, r.sport, 0);
	r = expect_data(f, 40001, 1);
	send_error(f, 40001, r.sport);
	tn_run_for(&f->loop, 1300);
	assert_true(no_reply(f));
}

/* A window of 4 where block 2 is lost: the client ACKs 1, the rest follows. */
static void test_window_partial_ack(void **state)
{
	struct fixture *f = *state;
	const char *rq[] = { "small.txt", "octet", "blksize", "256",
			     "windowsize", "4" };
	struct reply r;
	uint16_t port;

	start(f, 0, false);
	send_rrq(f, 40000, rq, 6);
	assert_true(next_reply(f, &r));
	port = r.sport;
	send_ack(f, 40000, port, 0);
	expect_data(f, 40000, 1);
	expect_data(f, 40000, 2);
	expect_data(f, 40000, 3);
	expect_data(f, 40000, 4);
	assert_true(no_reply(f));
	/* Blocks 2..5 come next (block 6 is the last, of 20 bytes). */
	send_ack(f, 40000, port, 1);
	expect_data(f, 40000, 2);
	expect_data(f, 40000, 3);
	expect_data(f, 40000, 4);
	r = expect_data(f, 40000, 5);
	assert_memory_equal(r.data, small_txt + 1024, 256);
	assert_true(no_reply(f));
	send_ack(f, 40000, port, 5);
	r = expect_data(f, 40000, 6);
	assert_int_equal(r.len, 1300 - 1280);
	assert_true(no_reply(f));
	/* Resent on timeout, the short window too. */
	tn_run_for(&f->loop, 1300);
	expect_data(f, 40000, 6);
	send_ack(f, 40000, port, 6);
	assert_true(no_reply(f));
}

static void test_concurrent(void **state)
{
	struct fixture *f = *state;
	struct reply a, b;

	start(f, 0, false);
	send_get(f, 40001, "small.txt");
	a = expect_data(f, 40001, 1);
	send_get(f, 40002, "exact1024.bin");
	b = expect_data(f, 40002, 1);
	assert_int_not_equal(a.sport, b.sport);
	assert_int_not_equal(a.sport, 69);
	/* Interleaved: the first block of each, then each to its end. */
	send_ack(f, 40001, a.sport, 1);
	a = expect_data(f, 40001, 2);
	send_ack(f, 40002, b.sport, 1);
	b = expect_data(f, 40002, 2);
	assert_memory_equal(a.data, small_txt + 512, 512);
	assert_memory_equal(b.data, exact_bin + 512, 512);
	/* An ACK from the other client's port does not reach a transfer. */
	send_ack(f, 40002, a.sport, 2);
	assert_true(no_reply(f));
	assert_int_equal(f->cap.icmp, 1);
	send_ack(f, 40001, a.sport, 2);
	a = expect_data(f, 40001, 3);
	send_ack(f, 40002, b.sport, 2);
	b = expect_data(f, 40002, 3);
	assert_int_equal(b.len, 0);
	send_ack(f, 40002, b.sport, 3);
	assert_int_equal(a.len, sizeof(small_txt) - 1024);
	assert_memory_equal(a.data, small_txt + 1024, a.len);
	send_ack(f, 40001, a.sport, 3);
	assert_true(no_reply(f));
	assert_int_equal(stats(f).tftp_transfers, 2);
}

/* The client is now @addr (and the gateway knows its MAC). */
static void set_client(struct fixture *f, uint32_t addr)
{
	f->client = addr;
	teach_arp(f);
}

static void test_limits(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	uint16_t first_port = 0;
	int i;

	/* 64 transfers in all: 8 clients with 8 each (their own limit). */
	start(f, 0, false);
	for (i = 0; i < 64; i++) {
		set_client(f, htonl(ntohl(tn_ip("10.0.2.15")) + (uint32_t)i / 8));
		send_get(f, (uint16_t)(41000 + i), "small.txt");
		r = expect_data(f, (uint16_t)(41000 + i), 1);
		if (i == 0)
			first_port = r.sport;
	}
	set_client(f, tn_ip("10.0.2.40"));
	send_get(f, 42000, "small.txt");
	expect_error(f, 42000, 0);
	/* A duplicate request from a client port is no new transfer. */
	set_client(f, tn_ip("10.0.2.15"));
	send_get(f, 41005, "small.txt");
	assert_true(no_reply(f));
	assert_int_equal(stats(f).tftp_transfers, 64);
	/* One ends (the client's error), and room is made. */
	send_error(f, 41000, first_port);
	assert_true(no_reply(f));
	set_client(f, tn_ip("10.0.2.40"));
	send_get(f, 42000, "small.txt");
	expect_data(f, 42000, 1);
	assert_int_equal(stats(f).tftp_transfers, 65);
	/* A new request from a port that has a transfer replaces it. */
	set_client(f, tn_ip("10.0.2.15"));
	send_get(f, 41001, "exact1024.bin");
	r = expect_data(f, 41001, 1);
	assert_memory_equal(r.data, exact_bin, 512);
	assert_int_equal(stats(f).tftp_transfers, 66);
	assert_int_equal(stats(f).tftp_errors, 1);
	/* The stack closes with 64 transfers under way (teardown). */
}

/* One client address has at most 8 transfers; another has its own 8. */
static void test_per_client(void **state)
{
	struct fixture *f = *state;
	int i;

	start(f, 0, false);
	for (i = 0; i < 8; i++) {
		send_get(f, (uint16_t)(41000 + i), "small.txt");
		expect_data(f, (uint16_t)(41000 + i), 1);
	}
	send_get(f, 41008, "small.txt");
	expect_error(f, 41008, 0);
	assert_int_equal(stats(f).tftp_errors, 1);
	set_client(f, tn_ip("10.0.2.16"));
	send_get(f, 41008, "small.txt");
	expect_data(f, 41008, 1);
	assert_int_equal(stats(f).tftp_transfers, 9);
}

/* The timeout option asked for, and what the OACK grants. */
struct timeout_row {
	const char *asked;
	const char *granted;
};

static const struct timeout_row timeout_rows[] = {
	{ "1", "1" },
	{ "4", "4" },
	{ "5", "5" },
	{ "6", "5" },
	{ "60", "5" },
	{ "255", "5" },
};

/* The timeout option is granted up to 5 s, and the OACK says so. */
static void test_timeout_cap(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	size_t i;

	start(f, 0, false);
	for (i = 0; i < sizeof(timeout_rows) / sizeof(timeout_rows[0]); i++) {
		const char *rq[] = { "small.txt", "octet", "timeout",
				     timeout_rows[i].asked };
		const char *ok[] = { "timeout", timeout_rows[i].granted };
		uint16_t port = (uint16_t)(40000 + i);

		send_rrq(f, port, rq, 4);
		assert_true(next_reply(f, &r));
		assert_int_equal(r.dport, port);
		assert_oack(&r, ok, 2);
		send_error(f, port, r.sport);
	}
	assert_true(no_reply(f));
}

/*
 * How long a slot is held, on a virtual clock: a client that asked for a
 * 255 s timeout and vanished frees it after 6 x 5 s; a client that ACKs
 * just often enough is ended after 600 s with an ERROR from the transfer.
 */
static void test_slot_time(void **state)
{
	struct fixture *f = *state;
	const char *rq[] = { "small.txt", "octet", "timeout", "255" };
	static uint8_t big[512 * 1024];
	struct reply r;
	uint16_t port;
	uint64_t t0;
	int n, blk;

	f->virtual_clock = true;
	start(f, 0, false);

	/* The OACK is resent every 5 s, 5 times, then the slot is free. */
	send_rrq(f, 40000, rq, 4);
	assert_true(next_reply(f, &r));
	assert_int_equal(r.op, 6);
	port = r.sport;
	for (n = 0; n < 12; n++) {
		assert_int_equal(unet_hub_clock_advance(f->hub, 5000000000ull),
				 0);
		if (!next_reply(f, &r))
			break;
		assert_int_equal(r.op, 6);
		assert_true(no_reply(f));
	}
	assert_int_equal(n, 5);
	send_ack(f, 40000, port, 0);
	assert_true(no_reply(f));
	assert_int_equal(f->cap.icmp, 1);

	/* A client that ACKs every 0.9 s: ended after 600 s. */
	memset(big, 'b', sizeof(big));
	write_file(f, "big.bin", big, sizeof(big));
	t0 = unet_hub_now_ns(f->hub);
	send_get(f, 40001, "big.bin");
	r = expect_data(f, 40001, 1);
	port = r.sport;
	for (blk = 1; blk < 1000; blk++) {
		assert_int_equal(unet_hub_clock_advance(f->hub, 900000000ull),
				 0);
		assert_true(no_reply(f));
		/* Answer lwIP's ARP refresh, as a live client would. */
		if (blk % 100 == 0)
			teach_arp(f);
		send_ack(f, 40001, port, (uint16_t)blk);
		if (!next_reply(f, &r))
			fail_msg("no reply to ACK %d", blk);
		if (r.op != 3) {
			capture_reset(&f->cap);
			break;
		}
		assert_int_equal(r.num, blk + 1);
		if (f->cap.frames > CAP_MAX - 8)
			capture_reset(&f->cap);
	}
	assert_int_equal(r.op, 5);
	assert_int_equal(r.sport, port);
	assert_int_equal(r.num, 0);
	assert_true(unet_hub_now_ns(f->hub) - t0 >= 600000000000ull);
	assert_true(unet_hub_now_ns(f->hub) - t0 < 601000000000ull);
	/* The slot is free: the port is closed. */
	send_ack(f, 40001, port, (uint16_t)blk);
	assert_true(no_reply(f));
}

static void test_xfer_port_errors(void **state)
{
	struct fixture *f = *state;
	static const uint8_t data_pkt[] = { 0, 3, 0, 1, 'x' };
	static const uint8_t shorty[] = { 0, 4, 0 };
	struct reply r;
	uint16_t port;

	start(f, 0, false);
	send_get(f, 40000, "small.txt");
	r = expect_data(f, 40000, 1);
	port = r.sport;
	/* Too short to be an ACK: dropped and counted. */
	send_udp(f, 40000, port, shorty, sizeof(shorty));
	send_udp(f, 40000, port, shorty, 1);
	assert_true(no_reply(f));
	assert_int_equal(stats(f).tftp_drop, 2);
	/* DATA to the server: ERROR 4 from the transfer's port, and it ends. */
	send_udp(f, 40000, port, data_pkt, sizeof(data_pkt));
	assert_true(next_reply(f, &r));
	assert_int_equal(r.op, 5);
	assert_int_equal(r.num, 4);
	assert_int_equal(r.sport, port);
	send_ack(f, 40000, port, 1);
	assert_true(no_reply(f));
	assert_int_equal(f->cap.icmp, 1);
}

static void test_wrq_and_opcodes(void **state)
{
	struct fixture *f = *state;
	const char *wrq[] = { "new.txt", "octet" };
	static const uint8_t ack[] = { 0, 4, 0, 1 };
	static const uint8_t data[] = { 0, 3, 0, 1, 'x' };
	static const uint8_t err[] = { 0, 5, 0, 1, 'x', 0 };
	static const uint8_t oack[] = { 0, 6, 't', 0, '1', 0 };
	static const uint8_t op0[] = { 0, 0, 'a', 0, 'b', 0 };
	static const uint8_t op9[] = { 0, 9 };
	static const uint8_t opff[] = { 0xff, 0xff, 0 };
	uint8_t buf[64];
	char path[256];

	start(f, 0, false);
	send_udp(f, 40000, 69, buf, pkt_strs(buf, sizeof(buf), 2, wrq, 2));
	expect_error(f, 40000, 2);
	snprintf(path, sizeof(path), "%s/new.txt", f->root);
	assert_int_equal(access(path, F_OK), -1);
	send_udp(f, 40000, 69, data, sizeof(data));
	expect_error(f, 40000, 4);
	send_udp(f, 40000, 69, ack, sizeof(ack));
	expect_error(f, 40000, 4);
	send_udp(f, 40000, 69, oack, sizeof(oack));
	expect_error(f, 40000, 4);
	send_udp(f, 40000, 69, op0, sizeof(op0));
	expect_error(f, 40000, 4);
	send_udp(f, 40000, 69, op9, sizeof(op9));
	expect_error(f, 40000, 4);
	send_udp(f, 40000, 69, opff, sizeof(opff));
	expect_error(f, 40000, 4);
	/* An ERROR is never answered. */
	send_udp(f, 40000, 69, err, sizeof(err));
	assert_true(no_reply(f));
	assert_int_equal(stats(f).tftp_errors, 7);
	assert_int_equal(stats(f).tftp_drop, 1);
	assert_int_equal(stats(f).tftp_transfers, 0);
}

/* One row of the request table: the packet, and ERROR code or -1 (drop). */
struct req_row {
	const char *what;
	const uint8_t *pkt;
	size_t len;
	int code;
};

#define ROW(w, bytes, c) { w, (const uint8_t *)(bytes), sizeof(bytes) - 1, c }

/* Sends every row of the request table and checks each answer. */
static void run_request_table(struct fixture *f)
{
	static const struct req_row rows[] = {
		ROW("dot-dot", "\0\1../x\0octet\0", 2),
		ROW("dot-dot to the secret",
		    "\0\1../outside/secret.txt\0octet\0", 2),
		ROW("absolute", "\0\1/etc/passwd\0octet\0", 2),
		ROW("dot-dot inside", "\0\1a/../../x\0octet\0", 2),
		ROW("dot-dot that stays inside",
		    "\0\1sub/../small.txt\0octet\0", 2),
		ROW("trailing dot-dot", "\0\1sub/..\0octet\0", 2),
		ROW("symlink to /etc/passwd", "\0\1pw\0octet\0", 2),
		ROW("symlink to a folder outside",
		    "\0\1outdir/secret.txt\0octet\0", 2),
		ROW("symlink up and out", "\0\1uplink\0octet\0", 2),
		ROW("a folder", "\0\1sub\0octet\0", 2),
		ROW("a folder, trailing slash", "\0\1sub/\0octet\0", 2),
		ROW("the root", "\0\1.\0octet\0", 2),
		ROW("a FIFO", "\0\1fifo\0octet\0", 2),
		ROW("missing", "\0\1nothere.txt\0octet\0", 1),
		ROW("missing folder", "\0\1nodir/x\0octet\0", 1),
		ROW("file as a folder", "\0\1small.txt/x\0octet\0", 1),
		ROW("empty name", "\0\1\0octet\0", 1),
		ROW("mode mail", "\0\1small.txt\0mail\0", 4),
		ROW("mode empty", "\0\1small.txt\0\0", 4),
		ROW("name without NUL", "\0\1small.txt", -1),
		ROW("no mode", "\0\1small.txt\0", -1),
		ROW("mode without NUL", "\0\1small.txt\0octet", -1),
		ROW("opcode only", "\0\1", -1),
		ROW("one byte", "\0", -1),
		ROW("nothing", "", -1),
		ROW("WRQ without a name", "\0\2", 2),
	};
	struct unet_stack_stats s0, s1;
	struct reply r;
	size_t i, j;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		s0 = stats(f);
		send_udp(f, 40000, 69, rows[i].pkt, rows[i].len);
		s1 = stats(f);
		if (rows[i].code < 0) {
			if (!no_reply(f))
				fail_msg("%s: answered", rows[i].what);
			assert_int_equal(s1.tftp_drop, s0.tftp_drop + 1);
			continue;
		}
		if (!next_reply(f, &r))
			fail_msg("%s: no answer", rows[i].what);
		if (r.op != 5 || r.num != rows[i].code)
			fail_msg("%s: op %u code %u, expected ERROR %d",
				 rows[i].what, r.op, r.num, rows[i].code);
		assert_int_equal(r.sport, 69);
		/* Nothing of the secret or of /etc/passwd in the message. */
		for (j = 0; j + 4 <= r.len; j++)
			assert_true(memcmp(r.data + j, "SECR", 4) != 0 &&
				    memcmp(r.data + j, "root", 4) != 0);
		assert_true(no_reply(f));
		assert_int_equal(s1.tftp_errors, s0.tftp_errors + 1);
		assert_int_equal(s1.tftp_drop, s0.tftp_drop);
	}
	assert_int_equal(stats(f).tftp_transfers, 0);
}

static void test_requests_table(void **state)
{
	struct fixture *f = *state;
	static uint8_t longname[2 + 300 + 1 + 6];
	static uint8_t toolong[1100];
	struct unet_stack_stats s0 = { .size = sizeof(s0) };

	start(f, 0, false);
	run_request_table(f);
	/* A 300-byte name: refused. */
	tn_put16(longname, 1);
	memset(longname + 2, 'n', 300);
	memcpy(longname + 303, "octet", 6);
	send_udp(f, 40000, 69, longname, sizeof(longname));
	expect_error(f, 40000, 2);
	/* A request longer than 1024 bytes: dropped. */
	memset(toolong, 'o', sizeof(toolong));
	tn_put16(toolong, 1);
	memcpy(toolong + 2, "small.txt\0octet\0", 16);
	s0 = stats(f);
	send_udp(f, 40000, 69, toolong, sizeof(toolong));
	assert_true(no_reply(f));
	assert_int_equal(stats(f).tftp_drop, s0.tftp_drop + 1);
	/* Source port 0 cannot be answered: dropped. */
	send_udp(f, 0, 69, "\0\1small.txt\0octet\0", 18);
	assert_true(no_reply(f));
	assert_int_equal(stats(f).tftp_drop, s0.tftp_drop + 2);
	assert_int_equal(stats(f).tftp_transfers, 0);
	/* After all that, a good request still works. */
	send_get(f, 40000, "small.txt");
	expect_data(f, 40000, 1);
}

static void test_bad_root(void **state)
{
	struct fixture *f = *state;
	struct unet_stack_config sc;
	struct unet_stack *stack = NULL;

	assert_int_equal(unet_hub_new(&f->loop, NULL, &f->hub), 0);
	unet_stack_config_init(&sc);
	snprintf(sc.tftp_root, sizeof(sc.tftp_root), "%s/nothere", f->dir);
	assert_int_equal(unet_stack_new(f->hub, "user", &sc, &stack),
			 -ENOENT);
	snprintf(sc.tftp_root, sizeof(sc.tftp_root), "%s/small.txt", f->root);
	assert_int_equal(unet_stack_new(f->hub, "user", &sc, &stack),
			 -ENOTDIR);
	/* The stack came apart cleanly: another can be made. */
	snprintf(sc.tftp_root, sizeof(sc.tftp_root), "%s", f->root);
	assert_int_equal(unet_stack_new(f->hub, "user", &sc, &stack), 0);
	unet_stack_close(stack);
	/* No tftp_root: no server, port 69 is closed, nothing to reopen. */
	unet_stack_config_init(&sc);
	assert_int_equal(unet_stack_new(f->hub, "user", &sc, &f->stack), 0);
	assert_int_equal(unet_stack_tftp_reopen(f->stack, f->root), -ENOENT);
	unet_port_init(&f->cap.port, &capture_ops, "cap");
	assert_int_equal(unet_hub_attach(f->hub, &f->cap.port), 0);
	teach_arp(f);
	send_get(f, 40000, "small.txt");
	assert_true(no_reply(f));
	assert_int_equal(f->cap.icmp, 1);
}

static void test_with_proxy(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	uint8_t *got;
	size_t len;

	/* The proxy leaves port 69 and the transfer's port to the server. */
	start(f, 0, true);
	send_get(f, 40000, "small.txt");
	r = expect_data(f, 40000, 1);
	got = fetch_rest(f, 40000, r, 512, &len);
	assert_int_equal(len, sizeof(small_txt));
	assert_memory_equal(got, small_txt, len);
	free(got);
	assert_int_equal(stats(f).tftp_transfers, 1);
}

/*
 * unet_stack_tftp_reopen() (usernet --sandbox): new requests are served
 * from the new path, a transfer under way keeps its file, a path that
 * cannot be opened leaves the old root in place.
 */
static void test_reopen(void **state)
{
	struct fixture *f = *state;
	char path[160];
	struct reply r;
	uint16_t port;

	start(f, 0, false);
	send_get(f, 40000, "small.txt");
	r = expect_data(f, 40000, 1);
	port = r.sport;
	snprintf(path, sizeof(path), "%s/outside", f->dir);
	assert_int_equal(unet_stack_tftp_reopen(f->stack, path), 0);
	send_ack(f, 40000, port, 1);
	r = expect_data(f, 40000, 2);
	assert_memory_equal(r.data, small_txt + 512, 512);
	send_get(f, 40001, "small.txt");
	expect_error(f, 40001, 1);
	send_get(f, 40002, "secret.txt");
	r = expect_data(f, 40002, 1);
	assert_int_equal(r.len, strlen(secret));
	assert_memory_equal(r.data, secret, r.len);
	send_ack(f, 40002, r.sport, 1);
	snprintf(path, sizeof(path), "%s/nothere", f->dir);
	assert_int_equal(unet_stack_tftp_reopen(f->stack, path), -ENOENT);
	snprintf(path, sizeof(path), "%s/small.txt", f->root);
	assert_int_equal(unet_stack_tftp_reopen(f->stack, path), -ENOTDIR);
	send_get(f, 40003, "secret.txt");
	r = expect_data(f, 40003, 1);
	assert_memory_equal(r.data, secret, r.len);
	send_ack(f, 40003, r.sport, 1);
}

/*
 * Makes openat2 fail with ENOSYS in this process from now on (a seccomp
 * filter, irreversible): the server must then walk names itself.
 */
static bool deny_openat2(void)
{
#if defined(__x86_64__) && defined(SYS_openat2)
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(filter) / sizeof(filter[0]),
		.filter = filter,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return false;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) == 0;
#else
	return false;
#endif
}

/* The same table on a kernel without openat2. Runs last (see above). */
static void test_fallback_walk(void **state)
{
	struct fixture *f = *state;
	struct reply r;
	uint8_t *got;
	size_t len;

	if (!deny_openat2())
		skip();
	assert_int_equal(syscall(SYS_openat2, AT_FDCWD, ".", NULL, 0), -1);
	assert_int_equal(errno, ENOSYS);
	start(f, 0, false);
	run_request_table(f);
	/* The walk follows no symlink at all, not even one inside. */
	send_get(f, 40000, "inlink");
	expect_error(f, 40000, 2);
	send_get(f, 40000, "sub/inner.txt");
	r = expect_data(f, 40000, 1);
	assert_memory_equal(r.data, "inner\n", 6);
	send_ack(f, 40000, r.sport, 1);
	send_get(f, 40001, "./sub//inner.txt");
	r = expect_data(f, 40001, 1);
	send_ack(f, 40001, r.sport, 1);
	send_get(f, 40002, "small.txt");
	r = expect_data(f, 40002, 1);
	got = fetch_rest(f, 40002, r, 512, &len);
	assert_int_equal(len, sizeof(small_txt));
	assert_memory_equal(got, small_txt, len);
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_octet_small, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_exact_multiple, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_options, setup, teardown),
		cmocka_unit_test_setup_teardown(test_netascii, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retransmit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_window_partial_ack, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_concurrent, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_per_client, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_timeout_cap, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_slot_time, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_xfer_port_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_wrq_and_opcodes, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_requests_table, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_root, setup, teardown),
		cmocka_unit_test_setup_teardown(test_with_proxy, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_reopen, setup, teardown),
		/* Last: it takes openat2 away from the whole process. */
		cmocka_unit_test_setup_teardown(test_fallback_walk, setup,
						teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
