// SPDX-License-Identifier: MIT
/*
 * Unit tests of the control protocol (tools/control.c) and its socket
 * (tools/ctlsock.c): every op against a fake usernet (forwards with ids
 * that survive changes made behind the protocol's back, counters under
 * their members' names, the flow table, the log level), a table of
 * malformed requests with the error each gets, the live ops on a real
 * hub, stack and proxy, and the socket over a real unix socket on a loop:
 * many lines per connection, lines split across writes, blank and
 * over-long lines, a last line without a newline, a slirp4netns request
 * answered as slirp4netns answers it, and a client that never reads
 * stalling only itself.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <usernet/version.h>

#include "control.h"
#include "ctlsock.h"
#include "testnet.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define FAKE_FWDS 8

/* The fake usernet: a proxy's forward list (newest first), two flows. */
struct fake {
	struct unet_fwd_ex fwds[FAKE_FWDS];
	int n;
	int lists;
	enum unet_log_level level;
	int level_sets;
	struct unet_port port;
};

static int fake_fwd_add(void *opaque, struct unet_fwd_ex *fwd)
{
	struct fake *f = opaque;
	uint16_t *port = fwd->host.sa.sa_family == AF_INET6 ?
				 &fwd->host.in6.sin6_port :
				 &fwd->host.in.sin_port;

	if (ntohs(*port) == 9999)
		return -EADDRINUSE;
	if (f->n == FAKE_FWDS)
		return -ENOMEM;
	if (*port == 0)
		*port = htons(40000);
	memmove(&f->fwds[1], &f->fwds[0], (size_t)f->n * sizeof(f->fwds[0]));
	f->fwds[0] = *fwd;
	f->n++;
	return 0;
}

static int fake_fwd_remove(void *opaque, const struct unet_fwd_ex *fwd)
{
	struct fake *f = opaque;
	int i;

	for (i = 0; i < f->n; i++) {
		if (memcmp(&f->fwds[i].host, &fwd->host, sizeof(fwd->host)) ==
		    0) {
			memmove(&f->fwds[i], &f->fwds[i + 1],
				(size_t)(f->n - i - 1) * sizeof(f->fwds[0]));
			f->n--;
			return 0;
		}
	}
	return -ENOENT;
}

static int fake_fwd_list(void *opaque, struct unet_fwd_ex *fwds, size_t n)
{
	struct fake *f = opaque;
	size_t i;

	f->lists++;
	for (i = 0; i < n && i < (size_t)f->n; i++)
		fwds[i] = f->fwds[i];
	return f->n;
}

static int fake_flows(void *opaque, unet_flow_cb cb, void *cb_opaque)
{
	struct unet_flow_info fl;

	memset(&fl, 0, sizeof(fl));
	fl.proto = IPPROTO_TCP;
	fl.family = AF_INET;
	fl.state = UNET_FLOW_ESTABLISHED;
	fl.guest_addr.s_addr = tn_ip("10.0.2.15");
	fl.guest_port = 40001;
	fl.remote_addr.s_addr = tn_ip("10.0.2.2");
	fl.remote_port = 8080;
	fl.bytes_out = 12;
	fl.bytes_in = 3000000000ull;
	fl.idle_ms = 5;
	fl.age_ms = 700;
	cb(cb_opaque, &fl);
	memset(&fl, 0, sizeof(fl));
	fl.proto = IPPROTO_UDP;
	fl.family = AF_INET6;
	fl.inbound = true;
	fl.state = UNET_FLOW_ACTIVE;
	tn_ip6("fec0::15", fl.guest_addr6.s6_addr);
	fl.guest_port = 53;
	tn_ip6("fec0::2", fl.remote_addr6.s6_addr);
	fl.remote_port = 5353;
	cb(cb_opaque, &fl);
	return 2;
}

static int fake_proxy_stats(void *opaque, struct unet_proxy_stats *st)
{
	memset(&st->flows, 0, sizeof(*st) - sizeof(st->size));
	st->flows = 2;
	st->tcp_opened = 7;
	st->cut_by_policy = 9;
	return 0;
}

static int fake_stack_stats(void *opaque, struct unet_stack_stats *st)
{
	memset(&st->drop_mac, 0, sizeof(*st) - sizeof(st->size));
	st->dns_queries = 4;
	st->frag6_discarded = 5;
	st->tx_merged_segs = 44;
	st->tx_tso = 3;
	st->tx_held = 5;
	return 0;
}

static const struct unet_port_ops fake_port_ops = { .name = "fake" };

static void fake_ports(void *opaque, control_port_cb cb, void *cb_opaque)
{
	struct fake *f = opaque;

	cb(cb_opaque, 3, &f->port);
}

static void fake_set_log_level(void *opaque, enum unet_log_level level)
{
	struct fake *f = opaque;

	f->level = level;
	f->level_sets++;
}

static int fake_policy_stats(void *opaque, struct unet_policy_stats *st,
			     uint64_t *hits, size_t n)
{
	(void)opaque;
	st->allowed = 5;
	st->denied = 6;
	st->default_hits = 1;
	st->callback_denied = 2;
	st->names_learned = 7;
	st->dns_refused = 5;
	st->rules = 2;
	st->audit_errors = 7;
	assert_true(n >= 2);
	hits[0] = 3;
	hits[1] = 4;
	return 2;
}

static const struct control_ops fake_ops = {
	.fwd_add = fake_fwd_add,
	.fwd_remove = fake_fwd_remove,
	.fwd_list = fake_fwd_list,
	.flows = fake_flows,
	.proxy_stats = fake_proxy_stats,
	.stack_stats = fake_stack_stats,
	.ports = fake_ports,
	.set_log_level = fake_set_log_level,
	.policy_stats = fake_policy_stats,
};

static void setup_ctl(struct control *c, struct fake *f)
{
	struct in_addr guest = { .s_addr = tn_ip("10.0.2.15") };

	memset(f, 0, sizeof(*f));
	f->port.ops = &fake_port_ops;
	snprintf(f->port.id, sizeof(f->port.id), "p0");
	f->port.stats.in_frames = 11;
	f->port.stats.drops[UNET_DROP_QUEUE_FULL] = 2;
	control_init(c, &fake_ops, f, guest, UNET_LOG_WARN);
}

/* Sends @req and checks the reply is @want exactly. */
static void expect(struct control *c, const char *req, const char *want)
{
	char *reply = control_handle(c, req, strlen(req));

	assert_non_null(reply);
	assert_string_equal(reply, want);
	free(reply);
}

/* Sends @req and checks the reply holds @part. */
static void expect_part(struct control *c, const char *req, const char *part)
{
	char *reply = control_handle(c, req, strlen(req));

	assert_non_null(reply);
	if (strstr(reply, part) == NULL)
		fail_msg("%s: reply %s has no %s", req, reply, part);
	free(reply);
}

#define FWD_BODY(id, proto, h, hp, g, gp)                           \
	"\"id\":" #id ",\"proto\":\"" proto "\",\"host_addr\":\"" h \
	"\",\"host_port\":" #hp ",\"guest_addr\":\"" g              \
	"\",\"guest_port\":" #gp
#define FWD(...) "{" FWD_BODY(__VA_ARGS__) "}"
#define FWD_OK(...) "{\"ok\":true," FWD_BODY(__VA_ARGS__) "}"

/* Forwards: defaults, IPv6, ids in order, never reused, and forwards the
 * proxy got or lost behind the protocol's back. */
static void test_forwards(void **state)
{
	struct unet_fwd_ex ex;
	struct control c;
	struct fake f;

	setup_ctl(&c, &f);
	expect(&c, "{\"op\":\"fwd_list\"}", "{\"ok\":true,\"forwards\":[]}");
	expect(&c, "{\"op\":\"fwd_add\",\"host_port\":8080,\"guest_port\":80}",
	       FWD_OK(1, "tcp", "0.0.0.0", 8080, "10.0.2.15", 80));
	expect(&c,
	       "{\"op\":\"fwd_add\",\"proto\":\"udp\",\"host_addr\":\"::1\","
	       "\"host_port\":0,\"guest_addr\":\"fec0::15\",\"guest_port\":53}",
	       FWD_OK(2, "udp", "::1", 40000, "fec0::15", 53));
	expect(&c, "{\"op\":\"fwd_list\"}",
	       "{\"ok\":true,\"forwards\":[" FWD(
		       1, "tcp", "0.0.0.0", 8080, "10.0.2.15",
		       80) "," FWD(2, "udp", "::1", 40000, "fec0::15",
				   53) "]}");
	/* A forward opened elsewhere (hostfwd=, a slirp4netns request). */
	memset(&ex, 0, sizeof(ex));
	ex.proto = IPPROTO_TCP;
	ex.host.in.sin_family = AF_INET;
	ex.host.in.sin_addr.s_addr = tn_ip("127.0.0.1");
	ex.host.in.sin_port = htons(22);
	ex.guest.in.sin_family = AF_INET;
	ex.guest.in.sin_addr.s_addr = tn_ip("10.0.2.16");
	ex.guest.in.sin_port = htons(22);
	assert_int_equal(fake_fwd_add(&f, &ex), 0);
	expect(&c, "{\"op\":\"fwd_remove\",\"id\":1}", "{\"ok\":true}");
	expect(&c, "{\"op\":\"fwd_list\"}",
	       "{\"ok\":true,\"forwards\":[" FWD(
		       2, "udp", "::1", 40000, "fec0::15",
		       53) "," FWD(3, "tcp", "127.0.0.1", 22, "10.0.2.16",
				   22) "]}");
	/* Removed elsewhere: gone from the list; its id is not reused. */
	assert_int_equal(fake_fwd_remove(&f, &ex), 0);
	expect(&c, "{\"op\":\"fwd_remove\",\"id\":3}",
	       "{\"ok\":false,\"error\":\"fwd_remove: no forward has that id\"}");
	expect(&c, "{\"op\":\"fwd_remove\",\"id\":1}",
	       "{\"ok\":false,\"error\":\"fwd_remove: no forward has that id\"}");
	expect_part(&c,
		    "{\"op\":\"fwd_add\",\"host_port\":8080,\"guest_port\":80}",
		    "\"id\":4,");
	/* The proxy's refusal, in words. */
	expect(&c, "{\"op\":\"fwd_add\",\"host_port\":9999,\"guest_port\":80}",
	       "{\"ok\":false,\"error\":\"fwd_add: Address already in use\"}");
	control_close(&c);
}

/* Counters by member name, ports, the flow table, log level, version. */
static void test_reads(void **state)
{
	struct control c;
	struct fake f;

	setup_ctl(&c, &f);
	expect_part(&c, "{\"op\":\"stats\"}",
		    "\"proxy\":{\"flows\":2,\"tcp_opened\":7,");
	expect_part(&c, "{\"op\":\"stats\"}", "\"cut_by_policy\":9}");
	expect_part(&c, "{\"op\":\"stats\"}", "\"dns_queries\":4,");
	expect_part(&c, "{\"op\":\"stats\"}", "\"frag6_discarded\":5,");
	expect_part(&c, "{\"op\":\"stats\"}",
		    "\"tx_merged_segs\":44,\"tx_tso\":3,\"tx_held\":5}");
	expect_part(&c, "{\"op\":\"policy_stats\"}", "\"rules\":2");
	expect_part(&c, "{\"op\":\"policy_stats\"}", "\"denied\":6");
	expect_part(&c, "{\"op\":\"policy_stats\"}", "\"callback_denied\":2");
	expect_part(&c, "{\"op\":\"policy_stats\"}", "\"audit_errors\":7");
	expect_part(&c, "{\"op\":\"policy_stats\"}", "\"names_learned\":7");
	expect_part(&c, "{\"op\":\"policy_stats\"}", "\"dns_refused\":5");
	expect_part(&c, "{\"op\":\"policy_stats\"}", "\"hits\":[3,4]");
	expect_part(&c, "{\"op\":\"stats\"}",
		    "\"ports\":[{\"hub\":3,\"id\":\"p0\",\"type\":\"fake\","
		    "\"in_frames\":11,\"in_bytes\":0,\"out_frames\":0,"
		    "\"out_bytes\":0,\"drops\":{\"short\":0,\"long\":0,"
		    "\"queue_full\":2,\"error\":0,\"loss\":0,\"offload\":0}}]");
	expect(&c, "{\"op\":\"flows\"}",
	       "{\"ok\":true,\"flows\":["
	       "{\"proto\":\"tcp\",\"family\":\"ipv4\",\"inbound\":false,"
	       "\"state\":\"established\",\"guest_addr\":\"10.0.2.15\","
	       "\"guest_port\":40001,\"remote_addr\":\"10.0.2.2\","
	       "\"remote_port\":8080,\"bytes_out\":12,"
	       "\"bytes_in\":3000000000,\"idle_ms\":5,\"age_ms\":700},"
	       "{\"proto\":\"udp\",\"family\":\"ipv6\",\"inbound\":true,"
	       "\"state\":\"active\",\"guest_addr\":\"fec0::15\","
	       "\"guest_port\":53,\"remote_addr\":\"fec0::2\","
	       "\"remote_port\":5353,\"bytes_out\":0,\"bytes_in\":0,"
	       "\"idle_ms\":0,\"age_ms\":0}]}");
	expect(&c, "{\"op\":\"log_level\"}",
	       "{\"ok\":true,\"level\":\"warning\"}");
	assert_int_equal(f.level_sets, 0);
	expect(&c, "{\"op\":\"log_level\",\"level\":\"debug\"}",
	       "{\"ok\":true,\"level\":\"debug\"}");
	assert_int_equal(f.level, UNET_LOG_DEBUG);
	expect(&c, "{\"op\":\"log_level\",\"level\":\"warn\"}",
	       "{\"ok\":true,\"level\":\"warning\"}");
	assert_int_equal(f.level, UNET_LOG_WARN);
	assert_int_equal(f.level_sets, 2);
	expect_part(&c, "{\"op\":\"version\"}", "\"protocol\":1}");
	expect_part(&c, "{\"op\":\"help\"}",
		    "\"fwd_remove\":[\"id\"],\"stats\":[]");
	/* Whitespace around the object is JSON's own. */
	expect(&c, " \t{ \"op\" : \"log_level\" } ",
	       "{\"ok\":true,\"level\":\"warning\"}");
	control_close(&c);
}

#define E(msg) "{\"ok\":false,\"error\":\"" msg "\"}"

/* Malformed requests and the error each gets; the state is untouched. */
static const struct {
	const char *req;
	const char *want;
} bad_rows[] = {
	{ "", E("not JSON (at byte 0)") },
	{ "{", E("not JSON (at byte 1)") },
	{ "{\"op\":\"version\"", E("not JSON (at byte 15)") },
	{ "{\"op\":\"version\"} x", E("not JSON (at byte 18)") },
	{ "{\"op\":\"version\"}{}", E("not JSON (at byte 17)") },
	{ "nul\0l", E("not JSON (at byte 3)") },
	{ "\"op\"", E("not a JSON object") },
	{ "[{\"op\":\"version\"}]", E("not a JSON object") },
	{ "42", E("not a JSON object") },
	{ "null", E("not a JSON object") },
	{ "{}", E("no \\\"op\\\" member") },
	{ "{\"op\":\"version\",\"op\":\"help\"}", E("not JSON (at byte 20)") },
	{ "{\"op\":null}", E("unknown op (try {\\\"op\\\":\\\"help\\\"})") },
	{ "{\"op\":5}", E("unknown op (try {\\\"op\\\":\\\"help\\\"})") },
	{ "{\"op\":\"Version\"}",
	  E("unknown op (try {\\\"op\\\":\\\"help\\\"})") },
	{ "{\"op\":\"version\\u0000x\"}", E("not JSON (at byte 22)") },
	{ "{\"op\":\"fwd_list\",\"id\":1}",
	  E("fwd_list: unknown member (try {\\\"op\\\":\\\"help\\\"})") },
	{ "{\"op\":\"fwd_add\",\"host_port\":80,\"guest_port\":80,\"x\":1}",
	  E("fwd_add: unknown member (try {\\\"op\\\":\\\"help\\\"})") },
	{ "{\"op\":\"fwd_add\",\"guest_port\":80}",
	  E("fwd_add: host_port must be a number from 0 to 65535") },
	{ "{\"op\":\"fwd_add\",\"host_port\":80}",
	  E("fwd_add: guest_port must be a number from 1 to 65535") },
	{ "{\"op\":\"fwd_add\",\"host_port\":65536,\"guest_port\":80}",
	  E("fwd_add: host_port must be a number from 0 to 65535") },
	{ "{\"op\":\"fwd_add\",\"host_port\":-1,\"guest_port\":80}",
	  E("fwd_add: host_port must be a number from 0 to 65535") },
	{ "{\"op\":\"fwd_add\",\"host_port\":8.5,\"guest_port\":80}",
	  E("fwd_add: host_port must be a number from 0 to 65535") },
	{ "{\"op\":\"fwd_add\",\"host_port\":\"80\",\"guest_port\":80}",
	  E("fwd_add: host_port must be a number from 0 to 65535") },
	{ "{\"op\":\"fwd_add\",\"host_port\":99999999999999999999,"
	  "\"guest_port\":80}",
	  E("a number too large (at byte 48)") },
	{ "{\"op\":\"fwd_add\",\"host_port\":80,\"guest_port\":0}",
	  E("fwd_add: guest_port must be a number from 1 to 65535") },
	{ "{\"op\":\"fwd_add\",\"proto\":\"sctp\",\"host_port\":80,"
	  "\"guest_port\":80}",
	  E("fwd_add: proto must be \\\"tcp\\\" or \\\"udp\\\"") },
	{ "{\"op\":\"fwd_add\",\"proto\":null,\"host_port\":80,"
	  "\"guest_port\":80}",
	  E("fwd_add: proto must be \\\"tcp\\\" or \\\"udp\\\"") },
	{ "{\"op\":\"fwd_add\",\"proto\":\"tcp\\u0000\",\"host_port\":80,"
	  "\"guest_port\":80}",
	  E("not JSON (at byte 35)") },
	{ "{\"op\":\"fwd_add\",\"host_addr\":\"[::1]\",\"host_port\":80,"
	  "\"guest_port\":80}",
	  E("fwd_add: host_addr must be an IPv4 or IPv6 address") },
	{ "{\"op\":\"fwd_add\",\"host_addr\":\"\",\"host_port\":80,"
	  "\"guest_port\":80}",
	  E("fwd_add: host_addr must be an IPv4 or IPv6 address") },
	{ "{\"op\":\"fwd_add\",\"host_addr\":\"1.2.3.4:5\",\"host_port\":80,"
	  "\"guest_port\":80}",
	  E("fwd_add: host_addr must be an IPv4 or IPv6 address") },
	{ "{\"op\":\"fwd_add\",\"host_addr\":7,\"host_port\":80,"
	  "\"guest_port\":80}",
	  E("fwd_add: host_addr must be an IPv4 or IPv6 address") },
	{ "{\"op\":\"fwd_add\",\"host_port\":80,\"guest_port\":80,"
	  "\"guest_addr\":\"10.0.2.300\"}",
	  E("fwd_add: guest_addr must be an IPv4 or IPv6 address") },
	{ "{\"op\":\"fwd_remove\"}",
	  E("fwd_remove: id must be a forward's id") },
	{ "{\"op\":\"fwd_remove\",\"id\":0}",
	  E("fwd_remove: id must be a forward's id") },
	{ "{\"op\":\"fwd_remove\",\"id\":\"1\"}",
	  E("fwd_remove: id must be a forward's id") },
	{ "{\"op\":\"fwd_remove\",\"id\":4294967297}",
	  E("fwd_remove: id must be a forward's id") },
	{ "{\"op\":\"fwd_remove\",\"id\":77}",
	  E("fwd_remove: no forward has that id") },
	{ "{\"op\":\"log_level\",\"level\":\"loud\"}",
	  E("log_level: level must be \\\"error\\\", \\\"warning\\\", "
	    "\\\"info\\\" or \\\"debug\\\"") },
	{ "{\"op\":\"log_level\",\"level\":3}",
	  E("log_level: level must be \\\"error\\\", \\\"warning\\\", "
	    "\\\"info\\\" or \\\"debug\\\"") },
	{ "{\"op\":\"log_level\",\"level\":null}",
	  E("log_level: level must be \\\"error\\\", \\\"warning\\\", "
	    "\\\"info\\\" or \\\"debug\\\"") },
	{ "{\"op\":\"stats\",\"all\":true}",
	  E("stats: unknown member (try {\\\"op\\\":\\\"help\\\"})") },
	{ "{\"op\":\"policy_set\"}", E("policy_set: no egress policy here") },
	{ "{\"op\":\"policy_set\",\"rule\":\"x\"}",
	  E("policy_set: unknown member (try {\\\"op\\\":\\\"help\\\"})") },
	{ "\xff\xfe{}", E("not JSON (at byte 0)") },
	{ "{\"op\":\"\xc3\x28\"}", E("not JSON (at byte 7)") },
};

static void test_bad(void **state)
{
	struct control c;
	struct fake f;
	char *reply;
	size_t i, len;

	setup_ctl(&c, &f);
	for (i = 0; i < ARRAY_SIZE(bad_rows); i++) {
		len = strlen(bad_rows[i].req);
		if (strcmp(bad_rows[i].req, "nul") == 0)
			len = 5; /* a NUL byte inside the line */
		reply = control_handle(&c, bad_rows[i].req, len);
		assert_non_null(reply);
		if (strcmp(reply, bad_rows[i].want) != 0)
			fail_msg("row %zu (%s): got %s, want %s", i,
				 bad_rows[i].req, reply, bad_rows[i].want);
		free(reply);
	}
	assert_int_equal(f.n, 0);
	assert_int_equal(f.level_sets, 0);
	control_close(&c);
}

/* A line over CONTROL_LINE_MAX is refused before it is parsed. */
static void test_too_long(void **state)
{
	struct control c;
	struct fake f;
	char *req = malloc(CONTROL_LINE_MAX + 1);

	assert_non_null(req);
	memset(req, ' ', CONTROL_LINE_MAX + 1);
	memcpy(req, "{\"op\":\"version\"}", 16);
	setup_ctl(&c, &f);
	expect_part(&c, "{\"op\":\"version\"}", "\"ok\":true");
	free(control_handle(&c, req, CONTROL_LINE_MAX));
	expect(&c, "{\"op\":\"help\",\"x\":1}",
	       E("help: unknown member (try {\\\"op\\\":\\\"help\\\"})"));
	{
		char *reply = control_handle(&c, req, CONTROL_LINE_MAX + 1);

		assert_string_equal(reply, E("request longer than 4096 bytes"));
		free(reply);
	}
	free(req);
	control_close(&c);
}

/* ---- the live ops on a real hub, stack and proxy ------------------------ */

struct live_log {
	int debug_seen;
};

static void live_log_cb(void *opaque, enum unet_log_level level,
			const char *msg)
{
	struct live_log *l = opaque;

	if (level == UNET_LOG_DEBUG && strcmp(msg, "probe") == 0)
		l->debug_seen++;
}

static void test_live(void **state)
{
	struct unet_hub_config hc;
	struct control_target t;
	struct unet_hub *hub;
	struct unet_stack *stack;
	struct unet_proxy *proxy;
	struct live_log log = { 0 };
	unsigned int hub_id = 0;
	struct in_addr guest = { .s_addr = tn_ip("10.0.2.15") };
	struct control c;
	uv_loop_t loop;
	char *reply;

	assert_int_equal(uv_loop_init(&loop), 0);
	unet_hub_config_init(&hc);
	hc.log_cb = live_log_cb;
	hc.log_opaque = &log;
	hc.log_level = UNET_LOG_WARN;
	assert_int_equal(unet_hub_new(&loop, &hc, &hub), 0);
	assert_int_equal(unet_stack_new(hub, "u", NULL, &stack), 0);
	assert_int_equal(unet_proxy_new(stack, NULL, &proxy), 0);
	memset(&t, 0, sizeof(t));
	t.proxy = proxy;
	t.stack = stack;
	t.hubs = &hub;
	t.hub_ids = &hub_id;
	t.n_hubs = 1;
	t.log_cb = live_log_cb;
	t.log_opaque = &log;
	t.log_level = UNET_LOG_WARN;
	control_init(&c, &control_live_ops, &t, guest, t.log_level);

	expect_part(&c,
		    "{\"op\":\"fwd_add\",\"host_addr\":\"127.0.0.1\","
		    "\"host_port\":0,\"guest_port\":80}",
		    "{\"ok\":true,\"id\":1,\"proto\":\"tcp\",\"host_addr\":"
		    "\"127.0.0.1\",\"host_port\":");
	assert_int_equal(unet_proxy_fwd_list_ex(proxy, NULL, 0), 1);
	/* The guest address is checked by the proxy. */
	expect(&c,
	       "{\"op\":\"fwd_add\",\"host_addr\":\"127.0.0.1\","
	       "\"host_port\":0,\"guest_addr\":\"198.18.0.1\",\"guest_port\":80}",
	       E("fwd_add: refused: the guest address is outside the guest's "
		 "network, or its family is off"));
	expect_part(&c, "{\"op\":\"stats\"}",
		    "\"ports\":[{\"hub\":0,\"id\":\"u\",\"type\":\"user\"");
	expect(&c, "{\"op\":\"flows\"}", "{\"ok\":true,\"flows\":[]}");
	expect(&c, "{\"op\":\"fwd_remove\",\"id\":1}", "{\"ok\":true}");
	assert_int_equal(unet_proxy_fwd_list_ex(proxy, NULL, 0), 0);

	unet_hub_log(hub, UNET_LOG_DEBUG, "probe");
	assert_int_equal(log.debug_seen, 0);
	expect(&c, "{\"op\":\"log_level\",\"level\":\"debug\"}",
	       "{\"ok\":true,\"level\":\"debug\"}");
	unet_hub_log(hub, UNET_LOG_DEBUG, "probe");
	assert_int_equal(log.debug_seen, 1);

	reply = control_handle(&c, "{\"op\":\"fwd_list\"}", 17);
	assert_string_equal(reply, "{\"ok\":true,\"forwards\":[]}");
	free(reply);

	/* policy_set: a new policy; a bad one changes nothing. */
	expect(&c,
	       "{\"op\":\"policy_set\",\"rules\":\"default deny\\n"
	       "allow tcp port 443\\n# c\\nallow udp\",\"flows\":\"cut\"}",
	       "{\"ok\":true,\"rules\":2,\"flows\":\"cut\",\"cut\":0}");
	expect_part(&c, "{\"op\":\"policy_stats\"}",
		    "\"rules\":2,\"allowed\":0");
	expect(&c,
	       "{\"op\":\"policy_set\",\"rules\":\"allow tcp\\n\\n"
	       "allow tcp port 99999\"}",
	       "{\"ok\":false,\"error\":\"policy_set: rules:3: '99999' is not "
	       "a port or range in 1..65535\",\"line\":3}");
	/* Bytes past ASCII in the quoted word come back as '?'. */
	expect(&c, "{\"op\":\"policy_set\",\"rules\":\"allow \\u00e9\"}",
	       "{\"ok\":false,\"error\":\"policy_set: rules:1: unexpected "
	       "'\?\?' (want tcp, udp, icmp, to or port)\",\"line\":1}");
	expect(&c, "{\"op\":\"policy_set\",\"file\":\"/nonexistent/p\"}",
	       E("policy_set: the file: No such file or directory"));
	expect(&c, "{\"op\":\"policy_set\",\"file\":\"/dev/null\"}",
	       E("policy_set: the file: not a regular file"));
	{
		char path[] = "/tmp/control_test_XXXXXX", req[128];
		int fd = mkstemp(path);

		assert_true(fd >= 0);
		assert_int_equal(
			write(fd, "allow tcp\ndeny tcp to ::1/200\n", 30), 30);
		close(fd);
		snprintf(req, sizeof(req),
			 "{\"op\":\"policy_set\",\"file\":\"%s\"}", path);
		expect(&c, req,
		       "{\"ok\":false,\"error\":\"policy_set: file:2: prefix "
		       "length '200' is not 0..128\",\"line\":2}");
		unlink(path);
	}
	expect_part(&c, "{\"op\":\"policy_stats\"}", "\"rules\":2,");
	/* Only the default: the rules stay. */
	expect(&c, "{\"op\":\"policy_set\",\"default\":\"allow\"}",
	       "{\"ok\":true,\"rules\":2,\"flows\":\"keep\",\"cut\":0}");
	/* The text's default, overridden. */
	expect(&c,
	       "{\"op\":\"policy_set\",\"rules\":\"default allow\",\"default\""
	       ":\"deny\"}",
	       "{\"ok\":true,\"rules\":0,\"flows\":\"keep\",\"cut\":0}");
	expect(&c, "{\"op\":\"policy_set\",\"rules\":\"\",\"file\":\"/p\"}",
	       E("policy_set: rules or file, not both"));
	expect(&c, "{\"op\":\"policy_set\",\"flows\":\"cut\"}",
	       E("policy_set: give rules, file or default"));
	expect(&c, "{\"op\":\"policy_set\",\"rules\":\"\",\"flows\":\"all\"}",
	       E("policy_set: flows must be \\\"keep\\\" or \\\"cut\\\""));
	expect(&c, "{\"op\":\"policy_set\",\"default\":\"pass\"}",
	       E("policy_set: default must be \\\"allow\\\" or \\\"deny\\\""));
	expect(&c, "{\"op\":\"policy_set\",\"rules\":5}",
	       E("policy_set: rules and file are strings without NUL bytes"));
	control_close(&c);
	unet_proxy_close(proxy);
	unet_hub_close(hub);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- the socket --------------------------------------------------------- */

static int conn_count;

static int fake_add_v4(void *opaque, struct unet_fwd *fwd)
{
	return 0;
}

static int fake_remove_v4(void *opaque, const struct unet_fwd *fwd)
{
	return 0;
}

static const struct apisock_ops fake_api_ops = {
	.add = fake_add_v4,
	.remove = fake_remove_v4,
};

struct sock_case {
	uv_loop_t loop;
	struct ctlsock s;
	struct fake f;
	char path[108];
};

static void sock_start(struct sock_case *s)
{
	struct apisock_info info;
	char err[256];

	memset(s, 0, sizeof(*s));
	memset(&info, 0, sizeof(info));
	info.mtu = 1500;
	info.guest.s_addr = tn_ip("10.0.2.15");
	snprintf(s->path, sizeof(s->path), "/tmp/unet-ctlsock-test.%d.%d",
		 (int)getpid(), conn_count++);
	assert_int_equal(uv_loop_init(&s->loop), 0);
	setup_ctl(&s->s.ctl, &s->f);
	ctlsock_init(&s->s, &fake_ops, &s->f, &fake_api_ops, NULL, &info,
		     UNET_LOG_WARN);
	assert_int_equal(
		ctlsock_listen(&s->s, &s->loop, s->path, err, sizeof(err)), 0);
}

static void sock_stop(struct sock_case *s)
{
	ctlsock_close(&s->s);
	uv_run(&s->loop, UV_RUN_DEFAULT);
	assert_int_equal(access(s->path, F_OK), -1);
	assert_int_equal(uv_loop_close(&s->loop), 0);
}

static int connect_to(const char *path)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	int fd;

	snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&un, sizeof(un)), 0);
	return fd;
}

static void send_all(int fd, const char *s)
{
	size_t n = strlen(s);

	assert_int_equal(write(fd, s, n), (ssize_t)n);
}

/*
 * Runs the loop and reads @fd until it has @lines newlines (or EOF when
 * @lines is 0 or the peer closes); returns what came.
 */
static char *read_lines(struct sock_case *s, int fd, char *buf, size_t len,
			int lines)
{
	size_t got = 0;
	ssize_t n;
	int i, seen = 0;

	for (i = 0; i < 400; i++) {
		uv_run(&s->loop, UV_RUN_NOWAIT);
		n = recv(fd, buf + got, len - 1 - got, MSG_DONTWAIT);
		if (n > 0) {
			buf[got + (size_t)n] = '\0';
			for (size_t k = got; k < got + (size_t)n; k++)
				seen += buf[k] == '\n';
			got += (size_t)n;
			if (lines > 0 && seen >= lines)
				break;
			continue;
		}
		if (n == 0)
			break;
		usleep(5000);
	}
	buf[got] = '\0';
	return buf;
}

#define VERSION_OK \
	"{\"ok\":true,\"version\":\"" UNET_VERSION_STRING "\",\"protocol\":1}\n"
#define LEVEL_OK "{\"ok\":true,\"level\":\"warning\"}\n"

static void test_socket_lines(void **state)
{
	struct sock_case s;
	char buf[16384], *big;
	int fd;

	sock_start(&s);
	fd = connect_to(s.path);
	/* Two requests in one write, a third split across writes, blanks. */
	send_all(
		fd,
		"{\"op\":\"version\"}\n\n  \r\n{\"op\":\"log_level\"}\r\n{\"op\":");
	assert_string_equal(read_lines(&s, fd, buf, sizeof(buf), 2),
			    VERSION_OK LEVEL_OK);
	send_all(fd, "\"version\"}\n");
	assert_string_equal(read_lines(&s, fd, buf, sizeof(buf), 1),
			    VERSION_OK);
	/* A malformed line gets its error; the next line works. */
	send_all(fd, "nonsense\n{\"op\":\"log_level\"}\n");
	assert_string_equal(read_lines(&s, fd, buf, sizeof(buf), 2),
			    E("not JSON (at byte 8)") "\n" LEVEL_OK);
	/* A line too long: one error, skipped to its newline, then on. */
	big = malloc(3 * CONTROL_LINE_MAX);
	assert_non_null(big);
	memset(big, 'x', 3 * CONTROL_LINE_MAX - 1);
	big[3 * CONTROL_LINE_MAX - 1] = '\0';
	send_all(fd, big);
	free(big);
	send_all(fd, "\n{\"op\":\"log_level\"}\n");
	assert_string_equal(read_lines(&s, fd, buf, sizeof(buf), 2),
			    E("request longer than 4096 bytes") "\n" LEVEL_OK);
	/* A last request without a newline, then the shutdown: answered,
	 * and the connection closes. */
	send_all(fd, "{\"op\":\"version\"}");
	shutdown(fd, SHUT_WR);
	assert_string_equal(read_lines(&s, fd, buf, sizeof(buf), 0),
			    VERSION_OK);
	close(fd);
	sock_stop(&s);
}

/* slirp4netns's requests, as the slirp4netns personality answers them. */
static void test_socket_slirp(void **state)
{
	struct sock_case s;
	char buf[4096];
	int fd;

	sock_start(&s);
	/* No newline, no shutdown (podman's client shuts down; some don't). */
	fd = connect_to(s.path);
	send_all(fd, "{\"execute\": \"list_hostfwd\"}");
	assert_string_equal(read_lines(&s, fd, buf, sizeof(buf), 0),
			    "{\"entries\":[]}");
	close(fd);
	/* Split, with a newline (echo ... | socat). */
	fd = connect_to(s.path);
	send_all(fd, "{\"execute\":");
	uv_run(&s.loop, UV_RUN_NOWAIT);
	send_all(fd, " \"add_hostfwd\", \"arguments\": {\"proto\": \"tcp\", "
		     "\"host_port\": 8080, \"guest_port\": 80}}\n");
	assert_string_equal(read_lines(&s, fd, buf, sizeof(buf), 0),
			    "{\"return\":{\"id\":1}}");
	close(fd);
	/* Its errors are slirp4netns's. */
	fd = connect_to(s.path);
	send_all(fd, "{\"execute\": \"nope\"}");
	assert_string_equal(
		read_lines(&s, fd, buf, sizeof(buf), 0),
		"{\"error\":{\"desc\":\"bad request: unknown execute\"}}");
	close(fd);
	/* After a control request, "execute" is just a member. */
	fd = connect_to(s.path);
	send_all(fd,
		 "{\"op\":\"log_level\"}\n{\"execute\":\"list_hostfwd\"}\n");
	assert_string_equal(read_lines(&s, fd, buf, sizeof(buf), 2),
			    LEVEL_OK E("no \\\"op\\\" member") "\n");
	close(fd);
	sock_stop(&s);
}

/*
 * A client that sends and never reads: once CTLSOCK_OUT_MAX of replies
 * wait, its requests are no longer read, so what it can make usernet hold
 * is bounded; another client is served meanwhile; once it reads, every
 * request gets its reply.
 */
static void test_socket_backpressure(void **state)
{
	static const char req[] = "{\"op\":\"fwd_list\"}\n";
	struct sock_case s;
	char buf[65536];
	size_t sent = 0, got_lines = 0;
	int fd, fd2, i, stalls = 0, lists;
	ssize_t n;

	sock_start(&s);
	fd = connect_to(s.path);
	assert_int_equal(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	while (stalls < 20 && sent < 2000000) {
		uv_run(&s.loop, UV_RUN_NOWAIT);
		n = write(fd, req, sizeof(req) - 1);
		if (n == (ssize_t)sizeof(req) - 1) {
			sent++;
			stalls = 0;
			continue;
		}
		assert_true(n < 0 && errno == EAGAIN);
		stalls++;
		usleep(2000);
	}
	assert_true(stalls == 20);
	lists = s.f.lists;
	/* Requests answered are far fewer than those sent. */
	assert_true((size_t)lists < sent);
	for (i = 0; i < 20; i++) {
		uv_run(&s.loop, UV_RUN_NOWAIT);
		usleep(1000);
	}
	assert_int_equal(s.f.lists, lists);

	fd2 = connect_to(s.path);
	send_all(fd2, "{\"op\":\"log_level\"}\n");
	assert_string_equal(read_lines(&s, fd2, buf, sizeof(buf), 1), LEVEL_OK);
	close(fd2);

	for (i = 0; i < 20000 && got_lines < sent; i++) {
		uv_run(&s.loop, UV_RUN_NOWAIT);
		n = read(fd, buf, sizeof(buf));
		if (n > 0) {
			for (ssize_t k = 0; k < n; k++)
				got_lines += buf[k] == '\n';
			continue;
		}
		usleep(500);
	}
	assert_int_equal(got_lines, sent);
	close(fd);
	sock_stop(&s);
}

/* More connections than CTLSOCK_CONN_MAX: the extra ones are closed. */
static void test_socket_conn_max(void **state)
{
	struct sock_case s;
	int fds[CTLSOCK_CONN_MAX + 1], i;
	char buf[256];

	sock_start(&s);
	for (i = 0; i <= CTLSOCK_CONN_MAX; i++) {
		fds[i] = connect_to(s.path);
		uv_run(&s.loop, UV_RUN_NOWAIT);
	}
	assert_string_equal(
		read_lines(&s, fds[CTLSOCK_CONN_MAX], buf, sizeof(buf), 0), "");
	send_all(fds[0], "{\"op\":\"log_level\"}\n");
	assert_string_equal(read_lines(&s, fds[0], buf, sizeof(buf), 1),
			    LEVEL_OK);
	for (i = 0; i <= CTLSOCK_CONN_MAX; i++)
		close(fds[i]);
	sock_stop(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forwards),
		cmocka_unit_test(test_reads),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_too_long),
		cmocka_unit_test(test_live),
		cmocka_unit_test(test_socket_lines),
		cmocka_unit_test(test_socket_slirp),
		cmocka_unit_test(test_socket_backpressure),
		cmocka_unit_test(test_socket_conn_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
