/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the DHCP server. A test port on the hub plays the clients:
 * it injects DHCP and BOOTP messages as whole frames (from 0.0.0.0:68 to
 * 255.255.255.255:67, or unicast to the gateway when renewing) and records
 * what the gateway sends back; the hub's clock is the test's, so leases and
 * holds expire when a test says so.
 *
 *   capture port (clients 02:00:00:00:00:xx) --- hub --- stack (10.0.2.2:67)
 *
 * Covered: a whole DISCOVER/OFFER/REQUEST/ACK with every option checked
 * (and the frames' addresses and checksums), the MTU option, restrict, the
 * same address for the same client (also after the lease expired), distinct
 * addresses, an exhausted pool (no offer, one log line), NAKs, a REQUEST
 * for another server, RELEASE, DECLINE, INFORM, BOOTP, renewing,
 * rebinding, INIT-REBOOT, the client identifier, option overload, the
 * reply size limit with option 57 and the domain search list split across
 * instances, compression in the search list, and a table of malformed
 * messages.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <usernet/hub.h>
#include <usernet/stack.h>

#define CAP_MAX 16
#define NS_PER_S 1000000000ull
#define LEASE_S 86400

static const uint8_t gw_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* Client n's MAC: 02:00:00:00:00:n. */
static void mac_of(int n, uint8_t mac[6])
{
	static const uint8_t base[6] = { 0x02, 0, 0, 0, 0, 0 };

	memcpy(mac, base, 6);
	mac[5] = (uint8_t)n;
}

struct capture {
	struct unet_port port;
	int frames;
	size_t len[CAP_MAX];
	uint8_t data[CAP_MAX][2048];
};

struct fixture {
	uv_loop_t loop;
	struct unet_hub *hub;
	struct unet_stack *stack;
	struct capture cap;
	uint64_t now_ns;
	int log_exhausted;
	int log_lines;
};

/* A reply as the test reads it. */
struct reply {
	uint8_t dmac[6];
	uint8_t smac[6];
	uint32_t src;
	uint32_t dst;
	uint16_t sport;
	uint16_t dport;
	size_t iplen;
	size_t blen;
	uint8_t op;
	uint8_t xid[4];
	uint16_t flags;
	uint32_t ciaddr;
	uint32_t yiaddr;
	uint32_t siaddr;
	uint8_t chaddr[16];
	char sname[65];
	char file[129];
	/* Options, instances of one code concatenated (RFC 3396). */
	bool has[256];
	int count[256];
	size_t olen[256];
	uint8_t odata[256][1500];
};

static struct reply R;

static int capture_send(struct unet_port *port, const void *frame,
			size_t len)
{
	struct capture *c = (struct capture *)port;
	const uint8_t *b = frame;

	/* IPv4 and ARP are recorded: lwIP's IPv6 (MLD) comes and goes. */
	if (len < 14 || !(b[12] == 0x08 && (b[13] == 0x00 || b[13] == 0x06)))
		return 0;
	if (c->frames < CAP_MAX) {
		assert_true(len <= sizeof(c->data[0]));
		memcpy(c->data[c->frames], frame, len);
		c->len[c->frames] = len;
	}
	c->frames++;
	return 0;
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

static uint64_t test_clock(void *opaque)
{
	return ((struct fixture *)opaque)->now_ns;
}

static void test_log(void *opaque, enum unet_log_level level, const char *msg)
{
	struct fixture *f = opaque;

	(void)level;
	f->log_lines++;
	if (strstr(msg, "exhausted") != NULL)
		f->log_exhausted++;
}

static uint32_t ip(const char *s)
{
	struct in_addr a;

	assert_int_equal(inet_pton(AF_INET, s, &a), 1);
	return a.s_addr;
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->now_ns = 1000 * NS_PER_S;
	*state = f;
	return 0;
}

/* Makes the hub (MTU @mtu) and the stack with @cfg (NULL: defaults). */
static void start(struct fixture *f, unsigned int mtu,
		  const struct unet_stack_config *cfg)
{
	struct unet_hub_config hc;

	assert_int_equal(uv_loop_init(&f->loop), 0);
	unet_hub_config_init(&hc);
	hc.mtu = mtu;
	hc.clock_cb = test_clock;
	hc.clock_opaque = f;
	hc.log_cb = test_log;
	hc.log_opaque = f;
	hc.log_level = UNET_LOG_DEBUG;
	hc.seed = 7;
	assert_int_equal(unet_hub_new(&f->loop, &hc, &f->hub), 0);
	unet_port_init(&f->cap.port, &capture_ops, "cap");
	assert_int_equal(unet_hub_attach(f->hub, &f->cap.port), 0);
	assert_int_equal(unet_stack_new(f->hub, "user", cfg, &f->stack), 0);
	f->cap.frames = 0;
}

static void stop(struct fixture *f)
{
	if (f->hub == NULL)
		return;
	unet_hub_close(f->hub);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	f->hub = NULL;
	f->stack = NULL;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	stop(f);
	free(f);
	return 0;
}

static struct unet_stack_stats stats(struct fixture *f)
{
	struct unet_stack_stats s = { .size = sizeof(s) };

	assert_int_equal(unet_stack_stats(f->stack, &s), 0);
	return s;
}

/* ---- building messages ------------------------------------------------ */

struct msg {
	uint8_t b[1500];
	size_t len;
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* The fixed part and the cookie of a BOOTREQUEST from client @n. */
static void msg_init(struct msg *m, int n, uint32_t ciaddr, uint16_t flags)
{
	memset(m, 0, sizeof(*m));
	m->b[0] = 1;		/* BOOTREQUEST */
	m->b[1] = 1;		/* Ethernet */
	m->b[2] = 6;
	m->b[4] = 0xab;		/* xid ab cd ef n */
	m->b[5] = 0xcd;
	m->b[6] = 0xef;
	m->b[7] = (uint8_t)n;
	put16(m->b + 10, flags);
	memcpy(m->b + 12, &ciaddr, 4);
	mac_of(n, m->b + 28);
	m->b[236] = 99;
	m->b[237] = 130;
	m->b[238] = 83;
	m->b[239] = 99;
	m->len = 240;
}

static void msg_opt(struct msg *m, uint8_t code, const void *data, size_t len)
{
	assert_true(m->len + 2 + len <= sizeof(m->b));
	m->b[m->len++] = code;
	m->b[m->len++] = (uint8_t)len;
	memcpy(m->b + m->len, data, len);
	m->len += len;
}

static void msg_opt8(struct msg *m, uint8_t code, uint8_t v)
{
	msg_opt(m, code, &v, 1);
}

static void msg_opt_addr(struct msg *m, uint8_t code, uint32_t a)
{
	msg_opt(m, code, &a, 4);
}

static void msg_end(struct msg *m)
{
	m->b[m->len++] = 255;
}

/* A DHCP message of @type from client @n, ended. */
static void msg_dhcp(struct msg *m, int n, uint8_t type, uint32_t ciaddr,
		     uint16_t flags)
{
	msg_init(m, n, ciaddr, flags);
	msg_opt8(m, 53, type);
}

static uint32_t sum_add(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t sum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint16_t udp_csum(uint32_t src, uint32_t dst, const uint8_t *udp,
			 size_t len)
{
	uint8_t ph[12];

	memcpy(ph, &src, 4);
	memcpy(ph + 4, &dst, 4);
	ph[8] = 0;
	ph[9] = 17;
	put16(ph + 10, (uint16_t)len);
	return sum_fold(sum_add(sum_add(0, ph, 12), udp, len));
}

/*
 * Sends @len bytes of @payload from client @n as UDP @src:68 -> @dst:67 in
 * a frame to @dmac, and returns how many frames came back.
 */
static int send_raw(struct fixture *f, int n, const uint8_t *dmac,
		    uint32_t src, uint32_t dst, const void *payload,
		    size_t len)
{
	static uint8_t frame[2048];
	uint8_t *iph = frame + 14, *u = frame + 34;
	uint16_t c;

	assert_true(len + 42 <= sizeof(frame));
	memcpy(frame, dmac, 6);
	mac_of(n, frame + 6);
	frame[12] = 0x08;
	frame[13] = 0x00;
	memset(iph, 0, 20);
	iph[0] = 0x45;
	put16(iph + 2, (uint16_t)(28 + len));
	iph[8] = 64;
	iph[9] = 17;
	memcpy(iph + 12, &src, 4);
	memcpy(iph + 16, &dst, 4);
	put16(iph + 10, sum_fold(sum_add(0, iph, 20)));
	put16(u, 68);
	put16(u + 2, 67);
	put16(u + 4, (uint16_t)(8 + len));
	put16(u + 6, 0);
	memcpy(u + 8, payload, len);
	c = udp_csum(src, dst, u, 8 + len);
	put16(u + 6, c == 0 ? 0xffff : c);
	f->cap.frames = 0;
	assert_int_equal(unet_hub_input(&f->cap.port, frame, 42 + len), 0);
	uv_run(&f->loop, UV_RUN_NOWAIT);
	return f->cap.frames;
}

/* Broadcasts @m from 0.0.0.0; returns the number of frames back. */
static int send_bcast(struct fixture *f, int n, const struct msg *m)
{
	return send_raw(f, n, bcast, 0, INADDR_BROADCAST, m->b, m->len);
}

/* Reads captured frame @i as a DHCP reply into R, checking its headers. */
static void read_reply(struct fixture *f, int i)
{
	const uint8_t *fr = f->cap.data[i], *iph = fr + 14, *u = fr + 34;
	const uint8_t *b, *o, *end;
	size_t len = f->cap.len[i], k;
	int area;

	memset(&R, 0, sizeof(R));
	assert_true(i < f->cap.frames);
	assert_true(len >= 42 + 240);
	assert_int_equal(get16(fr + 12), 0x0800);
	memcpy(R.dmac, fr, 6);
	memcpy(R.smac, fr + 6, 6);
	assert_memory_equal(R.smac, gw_mac, 6);
	assert_int_equal(iph[0], 0x45);
	assert_int_equal(iph[9], 17);
	assert_int_equal(get16(iph + 6) & 0x3fff, 0);	/* not a fragment */
	assert_int_equal(sum_fold(sum_add(0, iph, 20)), 0);
	R.iplen = get16(iph + 2);
	assert_int_equal(R.iplen + 14, len);
	memcpy(&R.src, iph + 12, 4);
	memcpy(&R.dst, iph + 16, 4);
	assert_int_equal(R.src, ip("10.0.2.2"));
	R.sport = get16(u);
	R.dport = get16(u + 2);
	assert_int_equal(R.sport, 67);
	assert_int_equal(R.dport, 68);
	assert_int_equal(get16(u + 4), R.iplen - 20);
	assert_int_not_equal(get16(u + 6), 0);
	assert_int_equal(udp_csum(R.src, R.dst, u, R.iplen - 20), 0);

	b = u + 8;
	R.blen = R.iplen - 28;
	assert_true(R.blen >= 300);	/* padded to a BOOTP message */
	R.op = b[0];
	assert_int_equal(b[1], 1);
	assert_int_equal(b[2], 6);
	memcpy(R.xid, b + 4, 4);
	R.flags = get16(b + 10);
	memcpy(&R.ciaddr, b + 12, 4);
	memcpy(&R.yiaddr, b + 16, 4);
	memcpy(&R.siaddr, b + 20, 4);
	assert_int_equal(get32(b + 24), 0);	/* giaddr */
	memcpy(R.chaddr, b + 28, 16);
	memcpy(R.sname, b + 44, 64);
	memcpy(R.file, b + 108, 128);
	assert_int_equal(get32(b + 236), 0x63825363);

	/* Options: every length inside the message, and an end option. */
	o = b + 240;
	end = b + R.blen;
	area = 0;
	while (area == 0) {
		assert_true(o < end);
		if (*o == 0) {
			o++;
			continue;
		}
		if (*o == 255)
			break;
		assert_true(o + 2 <= end);
		k = o[1];
		assert_true(o + 2 + k <= end);
		assert_true(R.olen[*o] + k <= sizeof(R.odata[0]));
		memcpy(R.odata[*o] + R.olen[*o], o + 2, k);
		R.olen[*o] += k;
		R.has[*o] = true;
		R.count[*o]++;
		o += 2 + k;
	}
	assert_false(R.has[52]);	/* no overload in replies */
}

static uint8_t opt8(uint8_t code)
{
	assert_true(R.has[code]);
	assert_int_equal(R.olen[code], 1);
	return R.odata[code][0];
}

static uint32_t opt32(uint8_t code)
{
	assert_true(R.has[code]);
	assert_int_equal(R.olen[code], 4);
	return get32(R.odata[code]);
}

static uint32_t opt_addr(uint8_t code)
{
	uint32_t a;

	assert_true(R.has[code]);
	assert_int_equal(R.olen[code], 4);
	memcpy(&a, R.odata[code], 4);
	return a;
}

static void assert_opt_str(uint8_t code, const char *s)
{
	assert_true(R.has[code]);
	assert_int_equal(R.olen[code], strlen(s));
	assert_memory_equal(R.odata[code], s, strlen(s));
}

/*
 * Decodes option 119 (RFC 3397: DNS names, compression pointers relative
 * to the option's data) into "a.b,c.d".
 */
static void decode_search(char *out, size_t size)
{
	const uint8_t *d = R.odata[119];
	size_t len = R.olen[119], pos = 0, p, o = 0;
	int hops;

	out[0] = '\0';
	while (pos < len) {
		if (o > 0) {
			assert_true(o + 1 < size);
			out[o++] = ',';
		}
		p = pos;
		hops = 0;
		for (;;) {
			assert_true(p < len);
			if (d[p] == 0) {
				if (hops == 0)
					pos = p + 1;
				break;
			}
			if ((d[p] & 0xc0) == 0xc0) {
				assert_true(p + 1 < len);
				if (hops == 0)
					pos = p + 2;
				assert_true(++hops < 64);
				p = (size_t)(d[p] & 0x3f) << 8 | d[p + 1];
				continue;
			}
			assert_int_equal(d[p] & 0xc0, 0);
			assert_true(p + 1 + d[p] <= len);
			if (o > 0 && out[o - 1] != ',') {
				assert_true(o + 1 < size);
				out[o++] = '.';
			}
			assert_true(o + d[p] < size);
			memcpy(out + o, d + p + 1, d[p]);
			o += d[p];
			p += 1 + d[p];
		}
		out[o] = '\0';
	}
}

static void config_full(struct unet_stack_config *c)
{
	unet_stack_config_init(c);
	strcpy(c->hostname, "guest1");
	strcpy(c->domainname, "example.com");
	strcpy(c->dnssearch, "example.com,test.local");
	strcpy(c->bootfile, "pxelinux.0");
	strcpy(c->tftp_server_name, "boot.example.com");
}

/* DISCOVER from client @n, returns the offered address (0 for none). */
static uint32_t discover(struct fixture *f, int n)
{
	struct msg m;

	msg_dhcp(&m, n, 1, 0, 0);
	msg_end(&m);
	if (send_bcast(f, n, &m) == 0)
		return 0;
	assert_int_equal(f->cap.frames, 1);
	read_reply(f, 0);
	assert_int_equal(opt8(53), 2);
	return R.yiaddr;
}

/* REQUEST (SELECTING) from client @n for @a; returns the reply's type. */
static uint8_t request(struct fixture *f, int n, uint32_t a)
{
	struct msg m;

	msg_dhcp(&m, n, 3, 0, 0);
	msg_opt_addr(&m, 50, a);
	msg_opt_addr(&m, 54, ip("10.0.2.2"));
	msg_end(&m);
	if (send_bcast(f, n, &m) == 0)
		return 0;
	assert_int_equal(f->cap.frames, 1);
	read_reply(f, 0);
	return opt8(53);
}

/* DISCOVER then REQUEST: the bound address of client @n. */
static uint32_t lease(struct fixture *f, int n)
{
	uint32_t a = discover(f, n);

	assert_int_not_equal(a, 0);
	assert_int_equal(request(f, n, a), 5);
	assert_int_equal(R.yiaddr, a);
	return a;
}

/* Checks every option of an OFFER or ACK with config_full(). */
static void assert_full_options(unsigned int mtu)
{
	char search[256];

	assert_int_equal(opt_addr(54), ip("10.0.2.2"));
	assert_int_equal(opt32(51), LEASE_S);
	assert_int_equal(opt32(58), LEASE_S / 2);
	assert_int_equal(opt32(59), LEASE_S / 8 * 7);
	assert_int_equal(opt_addr(1), ip("255.255.255.0"));
	assert_int_equal(opt_addr(3), ip("10.0.2.2"));
	assert_int_equal(opt_addr(6), ip("10.0.2.3"));
	if (mtu != 1500) {
		assert_true(R.has[26]);
		assert_int_equal(R.olen[26], 2);
		assert_int_equal(get16(R.odata[26]), mtu);
	} else {
		assert_false(R.has[26]);
	}
	assert_opt_str(12, "guest1");
	assert_opt_str(15, "example.com");
	assert_opt_str(66, "boot.example.com");
	assert_opt_str(67, "pxelinux.0");
	assert_true(R.has[119]);
	/* 7example3com0 4test5local0: nothing to compress here */
	assert_int_equal(R.olen[119], 25);
	assert_memory_equal(R.odata[119],
			    "\007example\003com\000\004test\005local\000", 25);
	decode_search(search, sizeof(search));
	assert_string_equal(search, "example.com,test.local");
	assert_string_equal(R.sname, "boot.example.com");
	assert_string_equal(R.file, "pxelinux.0");
	assert_int_equal(R.siaddr, ip("10.0.2.2"));
	/* iPXE's option 175 with no-pxedhcp (176) = 1, with a boot file */
	assert_true(R.has[175]);
	assert_int_equal(R.olen[175], 3);
	assert_memory_equal(R.odata[175], "\260\001\001", 3);
	assert_true(R.iplen <= 576);
}

/* ---- tests ------------------------------------------------------------- */

static void test_exchange(void **state)
{
	struct fixture *f = *state;
	struct unet_stack_config c;
	struct unet_stack_stats s = { .size = sizeof(s) };
	uint8_t mac[6];
	struct msg m;
	uint8_t prl[] = { 1, 3, 6, 12, 15, 26, 119, 66, 67 };

	config_full(&c);
	start(f, 65520, &c);
	mac_of(1, mac);

	/* DISCOVER, broadcast flag off: OFFER unicast to yiaddr at chaddr. */
	msg_dhcp(&m, 1, 1, 0, 0);
	msg_opt(&m, 55, prl, sizeof(prl));
	msg_end(&m);
	assert_int_equal(send_bcast(f, 1, &m), 1);
	read_reply(f, 0);	/* the only frame: no ARP for yiaddr */
	assert_int_equal(R.op, 2);
	assert_memory_equal(R.xid, "\xab\xcd\xef\x01", 4);
	assert_int_equal(opt8(53), 2);
	assert_int_equal(R.yiaddr, ip("10.0.2.15"));
	assert_int_equal(R.ciaddr, 0);
	assert_memory_equal(R.chaddr, mac, 6);
	assert_memory_equal(R.dmac, mac, 6);
	assert_int_equal(R.dst, ip("10.0.2.15"));
	assert_full_options(65520);

	/* REQUEST with the broadcast flag: ACK broadcast. */
	msg_dhcp(&m, 1, 3, 0, 0x8000);
	msg_opt_addr(&m, 50, ip("10.0.2.15"));
	msg_opt_addr(&m, 54, ip("10.0.2.2"));
	msg_opt(&m, 55, prl, sizeof(prl));
	msg_end(&m);
	assert_int_equal(send_bcast(f, 1, &m), 1);
	read_reply(f, 0);
	assert_int_equal(opt8(53), 5);
	assert_int_equal(R.flags, 0x8000);
	assert_int_equal(R.yiaddr, ip("10.0.2.15"));
	assert_memory_equal(R.dmac, bcast, 6);
	assert_int_equal(R.dst, INADDR_BROADCAST);
	assert_full_options(65520);

	s = stats(f);
	assert_int_equal(s.dhcp_in, 2);
	assert_int_equal(s.dhcp_out, 2);
	assert_int_equal(s.dhcp_drop, 0);
}

static void test_mtu_1500(void **state)
{
	struct fixture *f = *state;
	struct unet_stack_config c;

	config_full(&c);
	start(f, 1500, &c);
	assert_int_equal(discover(f, 1), ip("10.0.2.15"));
	assert_full_options(1500);
	assert_int_equal(request(f, 1, ip("10.0.2.15")), 5);
	assert_full_options(1500);
}

static void test_defaults(void **state)
{
	struct fixture *f = *state;

	start(f, 65520, NULL);
	assert_int_equal(discover(f, 1), ip("10.0.2.15"));
	/* None of the optional strings: no option for them. */
	assert_false(R.has[12]);
	assert_false(R.has[15]);
	assert_false(R.has[66]);
	assert_false(R.has[67]);
	assert_false(R.has[119]);
	assert_false(R.has[61]);
	assert_false(R.has[175]); /* no boot file: no iPXE option */
	assert_string_equal(R.sname, "");
	assert_string_equal(R.file, "");
	assert_int_equal(opt_addr(3), ip("10.0.2.2"));
	assert_int_equal(opt_addr(6), ip("10.0.2.3"));
}

static void test_restrict(void **state)
{
	struct fixture *f = *state;
	struct unet_stack_config c;

	config_full(&c);
	c.restrict_guest = true;
	start(f, 65520, &c);
	assert_int_equal(discover(f, 1), ip("10.0.2.15"));
	assert_false(R.has[3]);
	assert_false(R.has[6]);
	assert_int_equal(opt_addr(1), ip("255.255.255.0"));
	assert_int_equal(opt_addr(54), ip("10.0.2.2"));
	assert_int_equal(request(f, 1, ip("10.0.2.15")), 5);
	assert_false(R.has[3]);
	assert_false(R.has[6]);
	assert_opt_str(12, "guest1");
}

/* restrict-dns keeps the DNS forwarder for a restricted guest: DHCP names it. */
static void test_restrict_dns(void **state)
{
	struct fixture *f = *state;
	struct unet_stack_config c;

	config_full(&c);
	c.restrict_guest = true;
	c.restrict_dns = true;
	start(f, 65520, &c);
	assert_int_equal(discover(f, 1), ip("10.0.2.15"));
	assert_false(R.has[3]);
	assert_int_equal(opt_addr(6), ip("10.0.2.3"));
}

static void test_same_client(void **state)
{
	struct fixture *f = *state;
	uint32_t a;

	start(f, 65520, NULL);
	a = discover(f, 1);
	assert_int_equal(discover(f, 1), a);
	assert_int_equal(lease(f, 1), a);
	assert_int_equal(discover(f, 1), a);
	/* Another client meanwhile, then client 1's lease runs out. */
	assert_int_equal(discover(f, 2), ip("10.0.2.16"));
	f->now_ns += (LEASE_S + 10) * NS_PER_S;
	assert_int_equal(discover(f, 1), a);
	assert_int_equal(request(f, 1, a), 5);
}

static void test_distinct(void **state)
{
	struct fixture *f = *state;
	uint32_t a, b, c;

	start(f, 65520, NULL);
	a = lease(f, 1);
	b = lease(f, 2);
	c = discover(f, 3);
	assert_int_equal(a, ip("10.0.2.15"));
	assert_int_equal(b, ip("10.0.2.16"));
	assert_int_equal(c, ip("10.0.2.17"));
}

static void test_exhausted(void **state)
{
	struct fixture *f = *state;
	struct unet_stack_config c;
	struct unet_stack_stats s = { .size = sizeof(s) };
	int i;

	unet_stack_config_init(&c);
	c.dhcp_count = 2;
	start(f, 65520, &c);
	assert_int_equal(discover(f, 1), ip("10.0.2.15"));
	assert_int_equal(discover(f, 2), ip("10.0.2.16"));
	f->log_exhausted = 0;
	for (i = 0; i < 5; i++) {
		assert_int_equal(discover(f, 3), 0);
		f->now_ns += NS_PER_S;
	}
	assert_int_equal(f->log_exhausted, 1);
	s = stats(f);
	assert_int_equal(s.dhcp_drop, 5);
	/* A REQUEST for a held address gets a NAK. */
	assert_int_equal(request(f, 3, ip("10.0.2.15")), 6);
	/* The offers hold for a while only; then client 3 gets one. */
	f->now_ns += 120 * NS_PER_S;
	assert_int_equal(discover(f, 3), ip("10.0.2.15"));
	/* Exhausted again: logged again, once. */
	assert_int_equal(lease(f, 3), ip("10.0.2.15"));
	assert_int_equal(lease(f, 2), ip("10.0.2.16"));
	assert_int_equal(discover(f, 1), 0);
	assert_int_equal(discover(f, 1), 0);
	assert_int_equal(f->log_exhausted, 2);
}

static void test_nak(void **state)
{
	struct fixture *f = *state;
	struct msg m;

	start(f, 65520, NULL);
	assert_int_equal(lease(f, 1), ip("10.0.2.15"));
	assert_int_equal(discover(f, 2), ip("10.0.2.16"));

	/* Client 2 asks for client 1's address. */
	assert_int_equal(request(f, 2, ip("10.0.2.15")), 6);
	assert_int_equal(R.yiaddr, 0);
	assert_int_equal(R.ciaddr, 0);
	assert_int_equal(opt_addr(54), ip("10.0.2.2"));
	assert_false(R.has[51]);
	assert_false(R.has[1]);
	assert_memory_equal(R.dmac, bcast, 6);
	assert_int_equal(R.dst, INADDR_BROADCAST);
	/* Outside the pool, and outside the network. */
	assert_int_equal(request(f, 2, ip("10.0.2.100")), 6);
	assert_int_equal(request(f, 2, ip("192.168.1.20")), 6);
	/* Another address than the one client 2 was offered. */
	assert_int_equal(request(f, 2, ip("10.0.2.20")), 6);
	/* INIT-REBOOT (no server id) for client 1's address. */
	msg_dhcp(&m, 2, 3, 0, 0);
	msg_opt_addr(&m, 50, ip("10.0.2.15"));
	msg_end(&m);
	assert_int_equal(send_bcast(f, 2, &m), 1);
	read_reply(f, 0);
	assert_int_equal(opt8(53), 6);
	/* Client 2's own offer still stands. */
	assert_int_equal(request(f, 2, ip("10.0.2.16")), 5);
}

static void test_other_server(void **state)
{
	struct fixture *f = *state;
	struct unet_stack_config c;
	struct unet_stack_stats s = { .size = sizeof(s) };
	struct msg m;

	unet_stack_config_init(&c);
	c.dhcp_count = 1;
	start(f, 65520, &c);
	assert_int_equal(discover(f, 1), ip("10.0.2.15"));
	assert_int_equal(discover(f, 2), 0);
	/* Client 1 took another server's offer: silence (RFC 2131 3.1). */
	msg_dhcp(&m, 1, 3, 0, 0);
	msg_opt_addr(&m, 50, ip("10.0.2.99"));
	msg_opt_addr(&m, 54, ip("10.0.2.254"));
	msg_end(&m);
	s = stats(f);
	assert_int_equal(send_bcast(f, 1, &m), 0);
	assert_int_equal(stats(f).dhcp_drop, s.dhcp_drop + 1);
	/* Its offer was given up: client 2 can have the address now. */
	assert_int_equal(discover(f, 2), ip("10.0.2.15"));
}

static void test_release(void **state)
{
	struct fixture *f = *state;
	struct unet_stack_config c;
	struct msg m;

	unet_stack_config_init(&c);
	c.dhcp_count = 1;
	start(f, 65520, &c);
	assert_int_equal(lease(f, 1), ip("10.0.2.15"));
	assert_int_equal(discover(f, 2), 0);
	/* A RELEASE by someone else than the owner changes nothing. */
	msg_dhcp(&m, 2, 7, ip("10.0.2.15"), 0);
	msg_opt_addr(&m, 54, ip("10.0.2.2"));
	msg_end(&m);
	assert_int_equal(send_raw(f, 2, gw_mac, ip("10.0.2.15"),
				  ip("10.0.2.2"), m.b, m.len), 0);
	assert_int_equal(discover(f, 2), 0);
	/* The owner's RELEASE (unicast to the server): no reply. */
	msg_dhcp(&m, 1, 7, ip("10.0.2.15"), 0);
	msg_opt_addr(&m, 54, ip("10.0.2.2"));
	msg_end(&m);
	assert_int_equal(send_raw(f, 1, gw_mac, ip("10.0.2.15"),
				  ip("10.0.2.2"), m.b, m.len), 0);
	assert_int_equal(discover(f, 2), ip("10.0.2.15"));
	assert_int_equal(request(f, 2, ip("10.0.2.15")), 5);
}

static void test_decline(void **state)
{
	struct fixture *f = *state;
	struct unet_stack_config c;
	struct msg m;

	unet_stack_config_init(&c);
	c.dhcp_count = 2;
	start(f, 65520, &c);
	assert_int_equal(lease(f, 1), ip("10.0.2.15"));
	/* Client 1 found 10.0.2.15 in use by someone else. */
	msg_dhcp(&m, 1, 4, 0, 0);
	msg_opt_addr(&m, 50, ip("10.0.2.15"));
	msg_opt_addr(&m, 54, ip("10.0.2.2"));
	msg_end(&m);
	assert_int_equal(send_bcast(f, 1, &m), 0);
	assert_int_equal(lease(f, 1), ip("10.0.2.16"));
	/* 10.0.2.15 is out of the pool for a while: nothing for client 2. */
	assert_int_equal(discover(f, 2), 0);
	assert_int_equal(request(f, 2, ip("10.0.2.15")), 6);
	f->now_ns += 601 * NS_PER_S;
	assert_int_equal(discover(f, 2), ip("10.0.2.15"));
}

static void test_inform(void **state)
{
	struct fixture *f = *state;
	struct unet_stack_config c;
	uint8_t mac[6];
	struct msg m;

	config_full(&c);
	start(f, 65520, &c);
	mac_of(5, mac);
	msg_dhcp(&m, 5, 8, ip("10.0.2.50"), 0);
	msg_end(&m);
	assert_int_equal(send_raw(f, 5, bcast, ip("10.0.2.50"),
				  INADDR_BROADCAST, m.b, m.len), 1);
	read_reply(f, 0);
	assert_int_equal(opt8(53), 5);
	assert_int_equal(R.yiaddr, 0);
	assert_int_equal(R.ciaddr, ip("10.0.2.50"));
	assert_false(R.has[51]);
	assert_false(R.has[58]);
	assert_false(R.has[59]);
	assert_int_equal(opt_addr(54), ip("10.0.2.2"));
	assert_int_equal(opt_addr(1), ip("255.255.255.0"));
	assert_int_equal(opt_addr(3), ip("10.0.2.2"));
	assert_int_equal(opt_addr(6), ip("10.0.2.3"));
	assert_opt_str(15, "example.com");
	/* Unicast to ciaddr at chaddr. */
	assert_int_equal(R.dst, ip("10.0.2.50"));
	assert_memory_equal(R.dmac, mac, 6);
	/* It took no address from the pool. */
	assert_int_equal(discover(f, 6), ip("10.0.2.15"));
}

static void test_bootp(void **state)
{
	struct fixture *f = *state;
	struct unet_stack_config c;
	uint8_t mac[6];
	struct msg m;

	config_full(&c);
	c.dhcp_count = 1;
	start(f, 65520, &c);
	mac_of(1, mac);
	/* RFC 951: a 300-byte request, the vendor area with the cookie. */
	msg_init(&m, 1, 0, 0);
	msg_end(&m);
	m.len = 300;
	assert_int_equal(send_bcast(f, 1, &m), 1);
	read_reply(f, 0);
	assert_int_equal(R.op, 2);
	assert_false(R.has[53]);
	assert_false(R.has[51]);
	assert_false(R.has[54]);
	assert_int_equal(R.yiaddr, ip("10.0.2.15"));
	assert_int_equal(R.siaddr, ip("10.0.2.2"));
	assert_string_equal(R.file, "pxelinux.0");
	assert_string_equal(R.sname, "boot.example.com");
	assert_int_equal(opt_addr(1), ip("255.255.255.0"));
	assert_int_equal(opt_addr(3), ip("10.0.2.2"));
	assert_int_equal(R.blen, 300);
	assert_memory_equal(R.dmac, mac, 6);
	assert_int_equal(R.dst, ip("10.0.2.15"));
	/* Permanent: a month later the address is still client 1's. */
	f->now_ns += 31ull * 86400 * NS_PER_S;
	assert_int_equal(discover(f, 2), 0);
	assert_int_equal(send_bcast(f, 1, &m), 1);
	read_reply(f, 0);
	assert_int_equal(R.yiaddr, ip("10.0.2.15"));
}

static void test_renew(void **state)
{
	struct fixture *f = *state;
	uint8_t mac[6];
	struct msg m;
	uint32_t a;

	start(f, 65520, NULL);
	mac_of(1, mac);
	a = lease(f, 1);
	assert_int_equal(lease(f, 2), ip("10.0.2.16"));
	f->now_ns += LEASE_S / 2 * NS_PER_S;

	/* RENEWING: unicast to the server, ciaddr set, no 50 and no 54. */
	msg_dhcp(&m, 1, 3, a, 0);
	msg_end(&m);
	assert_int_equal(send_raw(f, 1, gw_mac, a, ip("10.0.2.2"), m.b,
				  m.len), 1);
	read_reply(f, 0);
	assert_int_equal(opt8(53), 5);
	assert_int_equal(R.yiaddr, a);
	assert_int_equal(R.ciaddr, a);
	assert_int_equal(opt32(51), LEASE_S);
	assert_int_equal(R.dst, a);
	assert_memory_equal(R.dmac, mac, 6);

	/* The renewed lease runs from now: still client 1's a while later. */
	f->now_ns += (LEASE_S - 100) * NS_PER_S;
	/* REBINDING: the same, broadcast. */
	msg_dhcp(&m, 1, 3, a, 0);
	msg_end(&m);
	assert_int_equal(send_raw(f, 1, bcast, a, INADDR_BROADCAST, m.b,
				  m.len), 1);
	read_reply(f, 0);
	assert_int_equal(opt8(53), 5);
	assert_int_equal(R.yiaddr, a);
	assert_int_equal(R.dst, a);

	/* Renewing someone else's address: NAK. */
	msg_dhcp(&m, 1, 3, ip("10.0.2.16"), 0);
	msg_end(&m);
	assert_int_equal(send_raw(f, 1, gw_mac, ip("10.0.2.16"),
				  ip("10.0.2.2"), m.b, m.len), 1);
	read_reply(f, 0);
	assert_int_equal(opt8(53), 6);
	assert_memory_equal(R.dmac, bcast, 6);
}

static void test_init_reboot(void **state)
{
	struct fixture *f = *state;
	struct msg m;

	start(f, 65520, NULL);
	assert_int_equal(lease(f, 1), ip("10.0.2.15"));
	/* INIT-REBOOT: option 50, no server id, no ciaddr. */
	msg_dhcp(&m, 1, 3, 0, 0);
	msg_opt_addr(&m, 50, ip("10.0.2.15"));
	msg_end(&m);
	assert_int_equal(send_bcast(f, 1, &m), 1);
	read_reply(f, 0);
	assert_int_equal(opt8(53), 5);
	assert_int_equal(R.yiaddr, ip("10.0.2.15"));

	/* After a restart of the server a rebooting guest keeps its address. */
	stop(f);
	start(f, 65520, NULL);
	msg_dhcp(&m, 3, 3, 0, 0);
	msg_opt_addr(&m, 50, ip("10.0.2.20"));
	msg_end(&m);
	assert_int_equal(send_bcast(f, 3, &m), 1);
	read_reply(f, 0);
	assert_int_equal(opt8(53), 5);
	assert_int_equal(R.yiaddr, ip("10.0.2.20"));
	assert_int_equal(discover(f, 3), ip("10.0.2.20"));
	/* And a different one is refused then. */
	msg_dhcp(&m, 3, 3, 0, 0);
	msg_opt_addr(&m, 50, ip("10.0.2.21"));
	msg_end(&m);
	assert_int_equal(send_bcast(f, 3, &m), 1);
	read_reply(f, 0);
	assert_int_equal(opt8(53), 6);
}

static void test_client_id(void **state)
{
	struct fixture *f = *state;
	static const uint8_t id_a[] = { 0xff, 1, 2, 3, 4, 0, 1, 0, 1, 9, 9 };
	static const uint8_t id_b[] = { 0xff, 1, 2, 3, 5, 0, 1, 0, 1, 9, 9 };
	uint8_t long_id[200];
	struct msg m;
	uint32_t a;

	start(f, 65520, NULL);
	/* Same identifier, another chaddr: the same address. */
	msg_dhcp(&m, 1, 1, 0, 0);
	msg_opt(&m, 61, id_a, sizeof(id_a));
	msg_end(&m);
	assert_int_equal(send_bcast(f, 1, &m), 1);
	read_reply(f, 0);
	a = R.yiaddr;
	/* RFC 6842: echoed. */
	assert_int_equal(R.olen[61], sizeof(id_a));
	assert_memory_equal(R.odata[61], id_a, sizeof(id_a));
	msg_dhcp(&m, 2, 1, 0, 0);
	msg_opt(&m, 61, id_a, sizeof(id_a));
	msg_end(&m);
	assert_int_equal(send_bcast(f, 2, &m), 1);
	read_reply(f, 0);
	assert_int_equal(R.yiaddr, a);
	/* Another identifier, the same chaddr: another address. */
	msg_dhcp(&m, 1, 1, 0, 0);
	msg_opt(&m, 61, id_b, sizeof(id_b));
	msg_end(&m);
	assert_int_equal(send_bcast(f, 1, &m), 1);
	read_reply(f, 0);
	assert_int_not_equal(R.yiaddr, a);
	/* Without one, chaddr is the key: yet another address. */
	assert_int_not_equal(discover(f, 1), a);
	/* Long identifiers that differ only at the end are told apart. */
	memset(long_id, 7, sizeof(long_id));
	msg_dhcp(&m, 4, 1, 0, 0);
	msg_opt(&m, 61, long_id, sizeof(long_id));
	msg_end(&m);
	assert_int_equal(send_bcast(f, 4, &m), 1);
	read_reply(f, 0);
	a = R.yiaddr;
	long_id[199] = 8;
	msg_dhcp(&m, 4, 1, 0, 0);
	msg_opt(&m, 61, long_id, sizeof(long_id));
	msg_end(&m);
	assert_int_equal(send_bcast(f, 4, &m), 1);
	read_reply(f, 0);
	assert_int_not_equal(R.yiaddr, a);
}

static void test_overload(void **state)
{
	struct fixture *f = *state;
	struct msg m;

	start(f, 65520, NULL);
	/* Option 53 in the file field, option 50 in sname (overload 3). */
	msg_init(&m, 1, 0, 0);
	msg_opt8(&m, 52, 3);
	msg_end(&m);
	m.b[108] = 53;
	m.b[109] = 1;
	m.b[110] = 1;
	m.b[111] = 255;
	m.b[44] = 50;
	m.b[45] = 4;
	memcpy(m.b + 46, "\x0a\x00\x02\x18", 4);	/* 10.0.2.24 */
	m.b[50] = 255;
	assert_int_equal(send_bcast(f, 1, &m), 1);
	read_reply(f, 0);
	assert_int_equal(opt8(53), 2);
	assert_int_equal(R.yiaddr, ip("10.0.2.24"));
}

static void test_size_limit(void **state)
{
	struct fixture *f = *state;
	struct unet_stack_config c;
	char want[1024] = "", search[1024], name[64];
	uint8_t max[2];
	struct msg m;
	int i;

	config_full(&c);
	/* 30 names of about 20 characters: about 600 bytes of option 119. */
	for (i = 0; i < 30; i++) {
		snprintf(name, sizeof(name), "%sdomain%02d.example%02d.org",
			 i ? "," : "", i, i);
		strcat(want, name);
	}
	strcpy(c.dnssearch, want);
	start(f, 65520, &c);

	/* No option 57: 576 bytes of IP, the search list left out. */
	assert_int_equal(discover(f, 1), ip("10.0.2.15"));
	assert_true(R.iplen <= 576);
	assert_false(R.has[119]);
	assert_int_equal(opt_addr(1), ip("255.255.255.0"));
	assert_int_equal(opt_addr(3), ip("10.0.2.2"));
	assert_int_equal(opt_addr(6), ip("10.0.2.3"));
	assert_int_equal(opt32(51), LEASE_S);
	assert_true(R.has[26]);
	assert_true(R.has[67]);

	/* Option 57 below 576 is taken as 576. */
	msg_dhcp(&m, 1, 1, 0, 0);
	put16(max, 300);
	msg_opt(&m, 57, max, 2);
	msg_end(&m);
	assert_int_equal(send_bcast(f, 1, &m), 1);
	read_reply(f, 0);
	assert_true(R.iplen <= 576);
	assert_true(R.iplen > 300);

	/* Option 57 of 1500: everything, option 119 in several pieces. */
	msg_dhcp(&m, 1, 1, 0, 0);
	put16(max, 1500);
	msg_opt(&m, 57, max, 2);
	msg_end(&m);
	assert_int_equal(send_bcast(f, 1, &m), 1);
	read_reply(f, 0);
	assert_true(R.iplen > 576);
	assert_true(R.iplen <= 1500);
	assert_true(R.has[119]);
	assert_true(R.count[119] >= 2);
	assert_true(R.olen[119] > 255);
	decode_search(search, sizeof(search));
	assert_string_equal(search, want);
	assert_opt_str(12, "guest1");
	assert_opt_str(15, "example.com");

	/* Option 57 of 800: at most 800 bytes of IP. */
	msg_dhcp(&m, 1, 1, 0, 0);
	put16(max, 800);
	msg_opt(&m, 57, max, 2);
	msg_end(&m);
	assert_int_equal(send_bcast(f, 1, &m), 1);
	read_reply(f, 0);
	assert_true(R.iplen <= 800);
	assert_false(R.has[119]);
	assert_opt_str(15, "example.com");
}

static void test_search_compression(void **state)
{
	struct fixture *f = *state;
	struct unet_stack_config c;
	char search[512];

	unet_stack_config_init(&c);
	strcpy(c.dnssearch,
	       "a.example.com,b.example.com.,example.com,bad..name,,B.Example.COM,c.d.example.com");
	start(f, 65520, &c);
	assert_int_equal(discover(f, 1), ip("10.0.2.15"));
	decode_search(search, sizeof(search));
	/* A pointer repeats a name exactly as it was first written. */
	assert_string_equal(search,
			    "a.example.com,b.example.com,example.com,b.example.com,c.d.example.com");
	/* 15 + 4 + 2 + 2 + 6: every repeated suffix is a pointer. */
	assert_int_equal(R.olen[119], 29);
	assert_memory_equal(R.odata[119], "\001a\007example\003com\000\001b\xc0\x02",
			    19);
}

/* A malformed message: what it is, and its bytes. */
struct bad_msg {
	const char *what;
	void (*make)(struct msg *m);
};

static void bad_short(struct msg *m)
{
	msg_dhcp(m, 1, 1, 0, 0);
	msg_end(m);
	m->len = 100;
}

static void bad_no_cookie(struct msg *m)
{
	msg_init(m, 1, 0, 0);
	m->len = 238;
}

/* Found by the fuzzer: a cookie and option 52 where the file field starts. */
static void bad_truncated_file(struct msg *m)
{
	msg_init(m, 1, 0, 0);
	memcpy(m->b + 108, "\x63\x82\x53\x63\x34\x01\x03\xff", 8);
	m->len = 116;
}

static void bad_cookie(struct msg *m)
{
	msg_dhcp(m, 1, 1, 0, 0);
	msg_end(m);
	m->b[239] = 98;
}

static void bad_opt_past_end(struct msg *m)
{
	msg_dhcp(m, 1, 1, 0, 0);
	m->b[m->len++] = 12;
	m->b[m->len++] = 40;	/* 40 bytes said, 3 there */
	memcpy(m->b + m->len, "abc", 3);
	m->len += 3;
}

static void bad_len_byte_missing(struct msg *m)
{
	msg_dhcp(m, 1, 1, 0, 0);
	m->b[m->len++] = 12;
}

static void bad_no_end(struct msg *m)
{
	msg_dhcp(m, 1, 1, 0, 0);
}

static void bad_hlen(struct msg *m)
{
	msg_dhcp(m, 1, 1, 0, 0);
	msg_end(m);
	m->b[2] = 16;
}

static void bad_hlen_huge(struct msg *m)
{
	msg_dhcp(m, 1, 1, 0, 0);
	msg_end(m);
	m->b[2] = 255;
}

static void bad_htype(struct msg *m)
{
	msg_dhcp(m, 1, 1, 0, 0);
	msg_end(m);
	m->b[1] = 6;
}

static void bad_op(struct msg *m)
{
	msg_dhcp(m, 1, 1, 0, 0);
	msg_end(m);
	m->b[0] = 2;
}

static void bad_type_len(struct msg *m)
{
	msg_init(m, 1, 0, 0);
	msg_opt(m, 53, "\x01\x01", 2);
	msg_end(m);
}

static void bad_giaddr(struct msg *m)
{
	msg_dhcp(m, 1, 1, 0, 0);
	msg_end(m);
	memcpy(m->b + 24, "\x0a\x00\x02\x63", 4);
}

static void bad_overload_file(struct msg *m)
{
	msg_dhcp(m, 1, 1, 0, 0);
	msg_opt8(m, 52, 1);
	msg_end(m);
	memset(m->b + 108, 12, 128);	/* option 12 of 12 bytes ... no end */
}

static void bad_server_type(struct msg *m)
{
	msg_dhcp(m, 1, 2, 0, 0);	/* an OFFER from a "client" */
	msg_end(m);
}

static void bad_unknown_type(struct msg *m)
{
	msg_dhcp(m, 1, 200, 0, 0);
	msg_end(m);
}

static void bad_request_no_addr(struct msg *m)
{
	msg_dhcp(m, 1, 3, 0, 0);
	msg_end(m);
}

static const struct bad_msg bad_msgs[] = {
	{ "short (100 bytes)", bad_short },
	{ "no magic cookie", bad_no_cookie },
	{ "ends in the file field", bad_truncated_file },
	{ "bad magic cookie", bad_cookie },
	{ "option length past the end", bad_opt_past_end },
	{ "option without its length byte", bad_len_byte_missing },
	{ "no end option", bad_no_end },
	{ "hlen 16", bad_hlen },
	{ "hlen 255", bad_hlen_huge },
	{ "htype 6", bad_htype },
	{ "op 2", bad_op },
	{ "option 53 of 2 bytes", bad_type_len },
	{ "giaddr set (relayed)", bad_giaddr },
	{ "overloaded file field without an end", bad_overload_file },
	{ "OFFER from a client", bad_server_type },
	{ "unknown message type", bad_unknown_type },
	{ "REQUEST without any address", bad_request_no_addr },
};

static void test_malformed(void **state)
{
	struct fixture *f = *state;
	struct unet_stack_stats before, after;
	struct msg m;
	size_t i;

	start(f, 65520, NULL);
	for (i = 0; i < sizeof(bad_msgs) / sizeof(bad_msgs[0]); i++) {
		before = stats(f);
		bad_msgs[i].make(&m);
		if (send_bcast(f, 1, &m) != 0)
			fail_msg("%s: answered", bad_msgs[i].what);
		after = stats(f);
		if (after.dhcp_drop != before.dhcp_drop + 1 ||
		    after.dhcp_in != before.dhcp_in + 1 ||
		    after.dhcp_out != before.dhcp_out)
			fail_msg("%s: not counted as one dropped message",
				 bad_msgs[i].what);
	}
	/* A well-formed one is still answered after all that. */
	assert_int_equal(discover(f, 1), ip("10.0.2.15"));
}

static void test_not_for_us(void **state)
{
	struct fixture *f = *state;
	struct unet_stack_stats s = { .size = sizeof(s) };
	struct msg m;

	start(f, 65520, NULL);
	/* A DISCOVER sent to the DNS alias is not the DHCP server's. */
	msg_dhcp(&m, 1, 1, 0, 0);
	msg_end(&m);
	assert_int_equal(send_raw(f, 1, gw_mac, ip("10.0.2.15"),
				  ip("10.0.2.3"), m.b, m.len), 0);
	s = stats(f);
	assert_int_equal(s.dhcp_out, 0);
	/* To the subnet's broadcast address it is. */
	assert_int_equal(send_raw(f, 1, bcast, 0, ip("10.0.2.255"), m.b,
				  m.len), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_exchange, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mtu_1500, setup, teardown),
		cmocka_unit_test_setup_teardown(test_defaults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restrict, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restrict_dns, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_same_client, setup, teardown),
		cmocka_unit_test_setup_teardown(test_distinct, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exhausted, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nak, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_server, setup, teardown),
		cmocka_unit_test_setup_teardown(test_release, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decline, setup, teardown),
		cmocka_unit_test_setup_teardown(test_inform, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bootp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_renew, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_reboot, setup, teardown),
		cmocka_unit_test_setup_teardown(test_client_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overload, setup, teardown),
		cmocka_unit_test_setup_teardown(test_size_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_search_compression, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_for_us, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
