/* SPDX-License-Identifier: MIT */
/*
 * usernet replay: the stack on a virtual clock, driven by a pcap file and/or
 * a test script, recording what the hub carries.
 *
 *   usernet replay [--in FILE [--fast]] [--script FILE] [--out FILE]
 *                  [--seed N] [--mtu N] [-netdev user,...] [--linger D]
 *
 * Theory of operation: one hub on a virtual clock (seeded, default seed 1)
 * carries a stack with its proxy and a replay port that plays the guest.
 * Frames from --in enter at their recorded offsets (the clock is advanced to
 * each one first) or, with --fast, back to back; then the clock runs on for
 * --linger so that answers and timers happen. A script then runs step by
 * step (see README "Replay scripts"). Frames towards the guest wait in a
 * bounded queue until an expect step takes them.
 *
 * Waiting: the clock moves only here. Before each move, pending host I/O is
 * run (uv_run NOWAIT); while host sockets are open (proxy flows, the
 * responders of `serve`) the runner also gives the kernel a few real
 * milliseconds to answer and moves the clock in steps of at most 10 ms, so
 * that loopback peers keep up with virtual time. A run that opens no host
 * socket never looks at the real clock and so repeats itself exactly.
 *
 * This file holds the run, the clock pump and the steps; the host peers of
 * `serve` are replay_serve.c's, the script's variables replay_vars.c's,
 * and the frames it builds and reads frame.c's.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pcap/pcap.h>
#include <uv.h>

#include <usernet/hub.h>
#include <usernet/ports.h>
#include <usernet/proxy.h>
#include <usernet/replay.h>
#include <usernet/stack.h>

#include "frame.h"
#include "frame_nd.h"
#include "netdev.h"
#include "replay.h"
#include "replay_serve.h"
#include "replay_vars.h"
#include "script.h"
#include "wire/arp_proto.h"
#include "wire/cursor.h"
#include "wire/dhcp_proto.h"
#include "wire/eth_proto.h"
#include "wire/nd_proto.h"
#include "wire/tcp_proto.h"
#include "wire/util.h"

/* Messages are cut to their buffers on purpose: a long path shortens one. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

#define EXIT_USAGE 2
/* Largest script file read. */
#define REPLAY_SCRIPT_MAX (16u << 20)
/* Bounds of the queue of frames towards the guest no expect took yet. */
#define REPLAY_PENDING_MAX 65536
#define REPLAY_PENDING_BYTES_MAX (256u << 20)
/* Real time given to host peers per wait, and the largest clock step
 * while host sockets are open. */
#define REPLAY_GRACE_MS 5
#define REPLAY_HOST_STEP_NS 10000000ull
/* Frames listed when an expectation fails. */
#define REPLAY_SHOW_MAX 20

/**
 * struct pending - a frame towards the guest that no expect took yet
 * @next: the next one, in arrival order
 * @at_ns: the virtual time it arrived
 * @len: length of @data
 * @data: the frame
 */
struct pending {
	struct pending *next;
	uint64_t at_ns;
	size_t len;
	uint8_t data[];
};

/**
 * struct replay_run - one replay
 * @loop: its loop
 * @hub: the hub, on a virtual clock
 * @stack: the gateway
 * @proxy: its NAT proxy
 * @rp: the replay port: the guest
 * @head: frames towards the guest not taken yet, oldest first
 * @tail: the newest of them
 * @n_pending: how many
 * @pending_bytes: their bytes
 * @overflow: frames lost because the queue was full
 * @keep: frames towards the guest are kept for expect steps (a script runs)
 * @vars: the script's variables
 * @guest_mac: source MAC of built frames
 * @gw_mac: destination MAC of built frames (the gateway's)
 * @guest_ip: source address of built frames
 * @ip_id: the next IP id of built frames
 * @arp_due: an ARP request for @guest_ip came; the guest answers it (as a
 *           real guest would) once the delivery is over
 * @arp_asker_mac: who asked
 * @arp_asker_ip: its address
 * @guest_ip6: source address of built IPv6 frames (prefix::15: QEMU's
 *             fec0::15 unless the netdev's ipv6-net= says otherwise)
 * @frag6_id: the next IPv6 fragment identification of built frames
 * @na_due: a neighbour solicitation for the guest's link-local address or
 *          @guest_ip6 came; the guest answers it once the delivery is
 *          over, as it does ARP
 * @na_target: the address solicited
 * @na_asker_mac: who asked
 * @na_asker_ip: its address (:: for a duplicate address probe)
 * @serve: host-side peers (`serve`)
 * @dead: a pcap handle for compiling filters
 * @script_dir: the script's folder, for relative file names
 * @script_name: the script's file name, for messages
 * @loop_ready: @loop was initialised (and must be closed)
 * @buf: room for one built frame
 */
struct replay_run {
	uv_loop_t loop;
	struct unet_hub *hub;
	struct unet_stack *stack;
	struct unet_proxy *proxy;
	struct unet_replay *rp;
	struct pending *head;
	struct pending *tail;
	size_t n_pending;
	size_t pending_bytes;
	uint64_t overflow;
	bool keep;
	struct replay_vars vars;
	uint8_t guest_mac[6];
	uint8_t gw_mac[6];
	struct in_addr guest_ip;
	uint16_t ip_id;
	bool arp_due;
	uint8_t arp_asker_mac[6];
	struct in_addr arp_asker_ip;
	struct in6_addr guest_ip6;
	uint32_t frag6_id;
	bool na_due;
	struct in6_addr na_target;
	uint8_t na_asker_mac[6];
	struct in6_addr na_asker_ip;
	struct replay_serve serve;
	pcap_t *dead;
	char script_dir[PATH_MAX];
	const char *script_name;
	bool loop_ready;
	uint8_t buf[FRAME_MAX];
};

/**
 * struct replay_options - the command line of `usernet replay`
 * @in: --in, a pcap of guest frames
 * @fast: --fast: inject them back to back
 * @in_filter: --in-filter, which frames of @in to inject (NULL: those not
 *             from the gateway's MAC)
 * @script: --script
 * @out: --out, the pcapng record
 * @seed: --seed (0: not given)
 * @mtu: --mtu (0: not given)
 * @netdev: -netdev user,... (NULL: not given)
 * @linger_ns: --linger, virtual time run after --in
 * @level: log level
 */
struct replay_options {
	const char *in;
	bool fast;
	const char *in_filter;
	const char *script;
	const char *out;
	uint64_t seed;
	unsigned int mtu;
	const char *netdev;
	uint64_t linger_ns;
	enum unet_log_level level;
};

static void replay_usage(FILE *f)
{
	fprintf(f,
"Usage: usernet replay [--in FILE [--fast] [--in-filter BPF]] [--script FILE]\n"
"                      [--out FILE] [--seed N] [--mtu N] [-netdev user,...]\n"
"                      [--linger D]\n"
"\n"
"Runs the user-mode stack on a virtual clock with a fixed seed, plays the\n"
"guest from recorded frames and/or a test script, and records what comes\n"
"back. A run that opens no host socket writes the same bytes every time.\n"
"\n"
"Options:\n"
"  --in FILE       inject the Ethernet frames of a pcap or pcapng file as\n"
"                  the guest's, each at its recorded time offset\n"
"  --fast          inject them back to back instead\n"
"  --in-filter BPF inject only the frames of --in that match this filter\n"
"                  (default: those not from the gateway's MAC, so that a\n"
"                  capture of both directions replays the guest's side);\n"
"                  the first frame's source MAC is the guest's\n"
"  --linger D      after --in, run the clock on for D (default 2s)\n"
"  --script FILE   run a test script (see README \"Replay scripts\"); runs\n"
"                  after --in\n"
"  --out FILE      record every frame the hub carries, in order, to a\n"
"                  pcapng file: direction outbound = from the guest,\n"
"                  inbound = towards it; timestamps are the virtual clock\n"
"  --seed N        the random seed, 1.. (default: the script's, else 1)\n"
"  --mtu N         the hub's MTU, %u..%u (default: the script's, else %u)\n"
"  -netdev user,...  the stack's options, as for 'usernet -netdev user'\n"
"  -v, --verbose   log more (repeat for debug)\n"
"  -h, --help      show this help\n"
"\n"
"Exit status: 0 when every expectation held, 1 when one failed or the run\n"
"failed (a bad pcap file names the file and record), 2 on a bad option or\n"
"script syntax.\n",
		UNET_MTU_MIN, UNET_MTU_MAX, UNET_MTU_DEFAULT);
}

static void replay_log(void *opaque, enum unet_log_level level,
		       const char *msg)
{
	static const char *const names[] = { "error", "warning", "info",
					     "debug" };

	fprintf(stderr, "usernet: %s: %s\n",
		(unsigned int)level < 4 ? names[level] : "?", msg);
}

/* ---- frames towards the guest ------------------------------------------ */

/*
 * A neighbour solicitation for one of the guest's IPv6 addresses (its
 * link-local one, @guest_ip6): the guest answers it once the delivery is
 * over, as it answers ARP (lwIP asks before it replies to the guest).
 */
static void replay_nd_note(struct replay_run *run, const void *frame,
			   size_t len)
{
	struct in6_addr from, target, ll;
	uint8_t mac[6];

	if (!frame_ns6_target(frame, len, mac, &from, &target))
		return;
	frame_ip6_linklocal(run->guest_mac, ll.s6_addr);
	if (memcmp(&target, &ll, sizeof(ll)) != 0 &&
	    memcmp(&target, &run->guest_ip6, sizeof(target)) != 0)
		return;
	run->na_due = true;
	run->na_target = target;
	memcpy(run->na_asker_mac, mac, sizeof(mac));
	run->na_asker_ip = from;
}

/*
 * The guest's answer to replay_nd_note()'s solicitation: to the asker,
 * solicited; to all nodes, defending the address, when the asker was
 * probing for a duplicate (from ::).
 */
static void replay_na_answer(struct replay_run *run)
{
	static const uint8_t all_nodes[16] = { 0xff, 0x02, [15] = 1 };
	static const struct in6_addr any;
	struct frame_ends6 e = { .hop_limit = 255 };
	uint8_t f[128];
	bool dad;
	size_t len;

	if (!run->na_due)
		return;
	run->na_due = false;
	dad = memcmp(&run->na_asker_ip, &any, sizeof(any)) == 0;
	memcpy(e.src_mac, run->guest_mac, 6);
	memcpy(e.src.s6_addr, &run->na_target, 16);
	memcpy(e.dst.s6_addr, dad ? all_nodes : run->na_asker_ip.s6_addr, 16);
	if (dad)
		frame_ip6_group_mac(all_nodes, e.dst_mac);
	else
		memcpy(e.dst_mac, run->na_asker_mac, 6);
	len = frame_na(f, &e, e.src.s6_addr,
		       (dad ? 0 : WIRE_ND_NA_SOLICITED) | WIRE_ND_NA_OVERRIDE);
	unet_replay_send(run->rp, f, len);
}

static void replay_rx(void *opaque, const void *frame, size_t len)
{
	struct replay_run *run = opaque;
	struct unet_cursor c = cursor_init(frame, len);
	const struct wire_eth *eth = cursor_take_hdr(&c, struct wire_eth);
	const struct wire_arp *arp;
	struct pending *p;

	/* An ARP request (Ethernet/IPv4) for the guest's address. */
	if (eth != NULL && wire_eth_type(eth) == WIRE_ETHTYPE_ARP &&
	    (arp = cursor_take_hdr(&c, struct wire_arp)) != NULL &&
	    wire_arp_op(arp) == WIRE_ARP_REQUEST &&
	    arp->tpa == run->guest_ip.s_addr) {
		run->arp_due = true;
		memcpy(run->arp_asker_mac, arp->sha,
		       sizeof(run->arp_asker_mac));
		run->arp_asker_ip.s_addr = arp->spa;
	}
	replay_nd_note(run, frame, len);
	if (!run->keep)
		return;
	if (run->n_pending >= REPLAY_PENDING_MAX ||
	    len > REPLAY_PENDING_BYTES_MAX - run->pending_bytes) {
		run->overflow++;
		return;
	}
	p = malloc(sizeof(*p) + len);
	if (p == NULL) {
		run->overflow++;
		return;
	}
	p->next = NULL;
	p->at_ns = unet_hub_now_ns(run->hub);
	p->len = len;
	memcpy(p->data, frame, len);
	if (run->tail != NULL)
		run->tail->next = p;
	else
		run->head = p;
	run->tail = p;
	run->n_pending++;
	run->pending_bytes += len;
}

static void replay_take(struct replay_run *run, struct pending *prev,
			struct pending *p)
{
	if (prev != NULL)
		prev->next = p->next;
	else
		run->head = p->next;
	if (run->tail == p)
		run->tail = prev;
	run->n_pending--;
	run->pending_bytes -= p->len;
	free(p);
}

static void replay_discard(struct replay_run *run)
{
	while (run->head != NULL)
		replay_take(run, NULL, run->head);
}

/* ---- waiting on the virtual clock -------------------------------------- */

static bool replay_host_busy(struct replay_run *run)
{
	struct unet_proxy_stats ps = { .size = sizeof(ps) };

	if (replay_serve_busy(&run->serve))
		return true;
	if (run->proxy == NULL)
		return false;
	return unet_proxy_stats(run->proxy, &ps) == 0 && ps.flows > 0;
}

/* The guest answers an ARP request for its address, outside the delivery
 * that brought it (lwIP is not to be re-entered). */
static void replay_arp_answer(struct replay_run *run)
{
	uint8_t f[WIRE_ETH_HLEN + WIRE_ARP_LEN];
	size_t len;

	while (run->arp_due) {
		run->arp_due = false;
		len = frame_arp_reply(f, run->guest_mac, run->guest_ip,
				      run->arp_asker_mac, run->arp_asker_ip);
		unet_replay_send(run->rp, f, len);
	}
}

/* Runs host I/O that is ready, giving host peers a moment when any exist. */
static void replay_pump(struct replay_run *run)
{
	struct pollfd p;
	int i;

	for (i = 0; i < 1000; i++) {
		replay_arp_answer(run);
		replay_na_answer(run);
		uv_run(&run->loop, UV_RUN_NOWAIT);
		unet_hub_clock_advance(run->hub, 0);
		replay_arp_answer(run);
		replay_na_answer(run);
		if (!replay_host_busy(run))
			return;
		p.fd = uv_backend_fd(&run->loop);
		p.events = POLLIN;
		p.revents = 0;
		if (poll(&p, 1, REPLAY_GRACE_MS) <= 0)
			return;
	}
}

/* Moves the clock by at most @ns: to the next timer, in small steps while
 * host sockets are open. Returns how far it moved. */
static uint64_t replay_step(struct replay_run *run, uint64_t ns)
{
	uint64_t next;

	if (unet_hub_next_timer(run->hub, &next) == 0 && next < ns)
		ns = next;
	if (replay_host_busy(run) && ns > REPLAY_HOST_STEP_NS)
		ns = REPLAY_HOST_STEP_NS;
	unet_hub_clock_advance(run->hub, ns);
	replay_pump(run);
	return ns;
}

/* Runs the clock until @until (virtual ns). */
static void replay_run_until(struct replay_run *run, uint64_t until)
{
	replay_pump(run);
	while (unet_hub_now_ns(run->hub) < until)
		replay_step(run, until - unet_hub_now_ns(run->hub));
}

/* ---- values ------------------------------------------------------------ */

static int replay_u32(const char *s, uint64_t max, uint64_t *v, const char *what,
		      char *err, size_t errlen)
{
	if (script_parse_u64(s, max, v) == 0)
		return 0;
	snprintf(err, errlen, "%s: '%s' is not a number up to %llu", what, s,
		 (unsigned long long)max);
	return -EINVAL;
}

static int replay_addr(const char *s, struct in_addr *a, const char *what,
		       char *err, size_t errlen)
{
	if (inet_pton(AF_INET, s, a) == 1)
		return 0;
	snprintf(err, errlen, "%s: '%s' is not an IPv4 address", what, s);
	return -EINVAL;
}

/* "ADDR:PORT" */
static int replay_addr_port(const char *s, struct in_addr *a, uint16_t *port,
			    char *err, size_t errlen)
{
	char host[INET_ADDRSTRLEN + 1];
	const char *colon = strrchr(s, ':');
	uint64_t v;

	if (colon == NULL || (size_t)(colon - s) >= sizeof(host)) {
		snprintf(err, errlen, "'%s' is not ADDR:PORT", s);
		return -EINVAL;
	}
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	if (replay_addr(host, a, "address", err, errlen) < 0 ||
	    replay_u32(colon + 1, 65535, &v, "port", err, errlen) < 0)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/* Hex digits (':' and '.' ignored) into @out; returns the byte count. */
static ssize_t replay_hex(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;
	int half = -1;

	for (; *s != '\0'; s++) {
		int d;

		if (*s == ':' || *s == '.')
			continue;
		if (!isxdigit((unsigned char)*s))
			return -1;
		d = isdigit((unsigned char)*s) ? *s - '0' :
						 tolower((unsigned char)*s) - 'a' + 10;
		if (half < 0) {
			half = d;
			continue;
		}
		if (n == cap)
			return -1;
		out[n++] = (uint8_t)(half << 4 | d);
		half = -1;
	}
	return half < 0 ? (ssize_t)n : -1;
}

/* ---- steps ------------------------------------------------------------- */

/**
 * struct step_args - a step's words after expansion
 * @pos: the positional words (after the op and, for send, the kind)
 * @n_pos: how many
 * @key: the KEY=VALUE words' keys
 * @val: their values
 * @n_kv: how many
 * @store: where the expanded words live
 */
struct step_args {
	const char *pos[SCRIPT_WORDS_MAX];
	int n_pos;
	const char *key[SCRIPT_WORDS_MAX];
	const char *val[SCRIPT_WORDS_MAX];
	int n_kv;
	char store[SCRIPT_WORDS_MAX][512];
};

static int replay_args(struct replay_run *run, const struct script_step *st,
		       int first, bool kv, struct step_args *a, char *err,
		       size_t errlen)
{
	int i;

	memset(a, 0, sizeof(*a) - sizeof(a->store));
	for (i = first; i < st->nwords; i++) {
		char *w = a->store[i];
		char *eq;

		if (replay_vars_expand(&run->vars, st->words[i], w,
				       sizeof(a->store[i]), err, errlen) < 0)
			return -EINVAL;
		eq = kv ? strchr(w, '=') : NULL;
		if (eq != NULL && a->n_pos > 0) {
			*eq = '\0';
			a->key[a->n_kv] = w;
			a->val[a->n_kv++] = eq + 1;
		} else {
			a->pos[a->n_pos++] = w;
		}
	}
	return 0;
}

static const char *replay_key(const struct step_args *a, const char *key)
{
	int i;
	const char *v = NULL;

	for (i = 0; i < a->n_kv; i++)
		if (strcmp(a->key[i], key) == 0)
			v = a->val[i];
	return v;
}

static int replay_key_u(const struct step_args *a, const char *key,
			uint64_t max, uint64_t def, uint64_t *v, char *err,
			size_t errlen)
{
	const char *s = replay_key(a, key);

	*v = def;
	return s != NULL ? replay_u32(s, max, v, key, err, errlen) : 0;
}

/* The frame @len bytes in run->buf goes out, whole or in fragments. */
static int replay_send_frag_cb(void *opaque, const uint8_t *f, size_t len)
{
	struct replay_run *run = opaque;

	return unet_replay_send(run->rp, f, len) < 0 ? -EINVAL : 0;
}

static int replay_emit(struct replay_run *run, size_t len, uint64_t frag,
		       char *err, size_t errlen)
{
	int r;

	if (frag != 0)
		r = frame_fragment(run->buf, len, frag, replay_send_frag_cb,
				   run);
	else
		r = unet_replay_send(run->rp, run->buf, len);
	if (r < 0) {
		snprintf(err, errlen, "the hub refused the frame (%zu bytes, "
			 "the largest is %zu)", len,
			 unet_hub_frame_max(run->hub));
		return -EINVAL;
	}
	return 0;
}

static void replay_ends(struct replay_run *run, struct frame_ends *e,
			struct in_addr dst, uint64_t ttl, uint64_t ipid)
{
	memset(e, 0, sizeof(*e));
	memcpy(e->src_mac, run->guest_mac, 6);
	memcpy(e->dst_mac, run->gw_mac, 6);
	e->src = run->guest_ip;
	e->dst = dst;
	e->ttl = (unsigned int)ttl;
	e->ip_id = ipid != 0 ? (uint16_t)ipid : run->ip_id++;
}

/* "[ADDR6]:PORT" */
static int replay_addr6_port(const char *s, struct in6_addr *a, uint16_t *port,
			     char *err, size_t errlen)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *end = strchr(s, ']');
	uint64_t v;

	if (s[0] != '[' || end == NULL || end[1] != ':' ||
	    (size_t)(end - s - 1) >= sizeof(host)) {
		snprintf(err, errlen, "'%s' is not [IPV6]:PORT", s);
		return -EINVAL;
	}
	memcpy(host, s + 1, (size_t)(end - s - 1));
	host[end - s - 1] = '\0';
	if (inet_pton(AF_INET6, host, a) != 1) {
		snprintf(err, errlen, "'%s' is not an IPv6 address", host);
		return -EINVAL;
	}
	if (replay_u32(end + 2, 65535, &v, "port", err, errlen) < 0)
		return -EINVAL;
	*port = (uint16_t)v;
	return 0;
}

/* The payload= / hex= / size= keys into @out; returns its length. */
static ssize_t replay_payload(const struct step_args *a, uint8_t *out,
			      size_t cap, char *err, size_t errlen)
{
	const char *s;
	uint64_t size;
	size_t i;

	if ((s = replay_key(a, "payload")) != NULL) {
		size_t n = 0;

		/* C's escapes: \r \n \t \0 \\ and \xHH. */
		for (; *s != '\0'; s++) {
			uint8_t c = (uint8_t)*s;

			if (c == '\\' && s[1] != '\0') {
				s++;
				c = *s == 'r' ? '\r' : *s == 'n' ? '\n' :
				    *s == 't' ? '\t' : *s == '0' ? 0 :
								(uint8_t)*s;
				if (*s == 'x' && isxdigit((unsigned char)s[1]) &&
				    isxdigit((unsigned char)s[2])) {
					char hx[3] = { s[1], s[2], 0 };

					c = (uint8_t)strtoul(hx, NULL, 16);
					s += 2;
				}
			}
			if (n == cap)
				goto big;
			out[n++] = c;
		}
		return (ssize_t)n;
	}
	if ((s = replay_key(a, "hex")) != NULL) {
		ssize_t n = replay_hex(s, out, cap);

		if (n < 0)
			snprintf(err, errlen, "hex=: not an even number of hex "
				 "digits, or too long");
		return n;
	}
	if (replay_key_u(a, "size", cap, 0, &size, err, errlen) < 0)
		return -1;
	for (i = 0; i < size; i++)
		out[i] = (uint8_t)('a' + i % 26);
	return (ssize_t)size;
big:
	snprintf(err, errlen, "payload too long");
	return -1;
}

static uint8_t replay_tcp_flags(const char *s)
{
	uint8_t f = 0;

	for (; *s != '\0'; s++) {
		switch (toupper((unsigned char)*s)) {
		case 'F':
			f |= WIRE_TCP_FIN;
			break;
		case 'S':
			f |= WIRE_TCP_SYN;
			break;
		case 'R':
			f |= WIRE_TCP_RST;
			break;
		case 'P':
			f |= WIRE_TCP_PSH;
			break;
		case 'A':
		case '.':
			f |= WIRE_TCP_ACK;
			break;
		case 'U':
			f |= WIRE_TCP_URG;
			break;
		default: return 0xff;
		}
	}
	return f;
}

/* The TCP keys of a `send tcp` or `send tcp6` step into @t and @count. */
static int replay_tcp_fields(const struct step_args *a, uint16_t sport,
			     uint16_t dport, struct frame_tcp *t,
			     uint64_t *count, char *err, size_t errlen)
{
	uint64_t seq, ack, win, mss, ws;
	const char *fl = replay_key(a, "flags");

	memset(t, 0, sizeof(*t));
	t->sport = sport;
	t->dport = dport;
	t->flags = replay_tcp_flags(fl != NULL ? fl : "A");
	if (t->flags == 0xff) {
		snprintf(err, errlen, "flags=%s: letters F S R P A U", fl);
		return -EINVAL;
	}
	if (replay_key_u(a, "seq", UINT32_MAX, 1000, &seq, err, errlen) < 0 ||
	    replay_key_u(a, "ack", UINT32_MAX, 0, &ack, err, errlen) < 0 ||
	    replay_key_u(a, "win", 65535, 65535, &win, err, errlen) < 0 ||
	    replay_key_u(a, "mss", 65535, 0, &mss, err, errlen) < 0 ||
	    replay_key_u(a, "wscale", 14, 15, &ws, err, errlen) < 0 ||
	    replay_key_u(a, "count", SCRIPT_COUNT_MAX, 1, count, err, errlen) <
		    0)
		return -EINVAL;
	t->seq = (uint32_t)seq;
	t->ack = (uint32_t)ack;
	t->win = (uint16_t)win;
	t->mss = (uint16_t)mss;
	t->wscale = ws == 15 ? -1 : (int)ws;
	return 0;
}

/* The frame @len bytes in run->buf goes out as IPv6 fragments of @frag. */
static int replay_emit6(struct replay_run *run, size_t len, uint64_t frag,
			char *err, size_t errlen)
{
	int r;

	if (frag == 0)
		return replay_emit(run, len, 0, err, errlen);
	r = frame_fragment6(run->buf, len, frag, run->frag6_id++,
			    replay_send_frag_cb, run);
	if (r < 0) {
		snprintf(err, errlen, "the hub refused a fragment");
		return -EINVAL;
	}
	return 0;
}

/*
 * `send udp6 SPORT [ADDR6]:PORT` and `send tcp6 ...`: the guest's UDP and
 * TCP over IPv6, from its IPv6 address (or src=), keys as for udp and tcp
 * (hlim= for the hop limit; frag=N cuts the packet into IPv6 fragments).
 */
static int replay_send6(struct replay_run *run, const char *kind,
			const struct step_args *a, char *err, size_t errlen)
{
	static uint8_t payload[65535];
	bool udp = strcmp(kind, "udp6") == 0;
	struct frame_ends6 e;
	const char *s;
	uint64_t hlim, frag, v, count = 1;
	struct frame_tcp t;
	uint16_t port;
	ssize_t plen;
	size_t len;

	memset(&e, 0, sizeof(e));
	memcpy(e.src_mac, run->guest_mac, 6);
	memcpy(e.dst_mac, run->gw_mac, 6);
	e.src = run->guest_ip6;
	if (((s = replay_key(a, "src")) != NULL &&
	     inet_pton(AF_INET6, s, &e.src) != 1) ||
	    replay_key_u(a, "hlim", 255, 64, &hlim, err, errlen) < 0 ||
	    replay_key_u(a, "frag", 65535, 0, &frag, err, errlen) < 0 ||
	    replay_u32(a->pos[0], 65535, &v, "source port", err, errlen) < 0 ||
	    replay_addr6_port(a->pos[1], &e.dst, &port, err, errlen) < 0) {
		if (s != NULL && err[0] == '\0')
			snprintf(err, errlen, "src=%s: not an IPv6 address", s);
		return -EINVAL;
	}
	e.hop_limit = (unsigned int)hlim;
	plen = replay_payload(a, payload, udp ? 65527 : 65535 - 60, err,
			      errlen);
	if (plen < 0)
		return -EINVAL;
	if (udp) {
		len = frame_udp6(run->buf, &e, (uint16_t)v, port, payload,
				 (size_t)plen);
		return replay_emit6(run, len, frag, err, errlen);
	}
	if (replay_tcp_fields(a, (uint16_t)v, port, &t, &count, err, errlen) <
	    0)
		return -EINVAL;
	for (; count > 0; count--) {
		len = frame_tcp6(run->buf, &e, &t, payload, (size_t)plen);
		if (replay_emit6(run, len, frag, err, errlen) < 0)
			return -EINVAL;
		t.seq += (uint32_t)plen;
	}
	return 0;
}

static int replay_send_pcap(struct replay_run *run, const char *name,
			    bool fast, const char *filter, bool learn,
			    char *err, size_t errlen);

static int replay_send_nd(struct replay_run *run, const struct script_step *st,
			  char *err, size_t errlen);

static int replay_send(struct replay_run *run, const struct script_step *st,
		       char *err, size_t errlen)
{
	static uint8_t payload[65535];
	const char *kind = st->words[1];
	struct step_args a;
	struct frame_ends e;
	struct in_addr dst;
	uint64_t ttl, ipid, frag, v;
	uint16_t port;
	ssize_t plen;
	size_t len;
	int r;

	r = replay_send_nd(run, st, err, errlen);
	if (r <= 0)
		return r;
	if (replay_args(run, st, 2, true, &a, err, errlen) < 0)
		return -EINVAL;
	if (strcmp(kind, "hex") == 0) {
		size_t total = 0;
		int i;

		for (i = 0; i < a.n_pos; i++) {
			ssize_t n = replay_hex(a.pos[i], run->buf + total,
					       sizeof(run->buf) - total);
			if (n < 0) {
				snprintf(err, errlen, "'%s' is not whole hex "
					 "bytes", a.pos[i]);
				return -EINVAL;
			}
			total += (size_t)n;
		}
		return replay_emit(run, total, 0, err, errlen);
	}
	if (strcmp(kind, "pcap") == 0)
		return replay_send_pcap(run, a.pos[0], a.n_pos > 1,
					replay_key(&a, "filter"), false, err,
					errlen);
	if (strcmp(kind, "arp") == 0) {
		struct in_addr src = run->guest_ip;
		const char *s = replay_key(&a, "src");

		if (replay_addr(a.pos[0], &dst, "arp", err, errlen) < 0 ||
		    (s != NULL && replay_addr(s, &src, "src", err, errlen) < 0))
			return -EINVAL;
		len = frame_arp_request(run->buf, run->guest_mac, src, dst);
		return replay_emit(run, len, 0, err, errlen);
	}
	if (strcmp(kind, "dhcp") == 0) {
		static const char *const types[] = { "discover", "request",
						     "release" };
		static const int codes[] = { DHCP_DISCOVER, DHCP_REQUEST,
					     DHCP_RELEASE };
		struct in_addr ci = { 0 }, req = { 0 }, srv = { 0 };
		uint64_t xid;
		const char *s;
		int t;

		for (t = 0; t < 3; t++)
			if (strcmp(a.pos[0], types[t]) == 0)
				break;
		if (t == 3) {
			snprintf(err, errlen, "dhcp: '%s'?", a.pos[0]);
			return -EINVAL;
		}
		if (replay_key_u(&a, "xid", UINT32_MAX, 0x55aa0001, &xid, err,
				 errlen) < 0 ||
		    ((s = replay_key(&a, "ciaddr")) != NULL &&
		     replay_addr(s, &ci, "ciaddr", err, errlen) < 0) ||
		    ((s = replay_key(&a, "requested")) != NULL &&
		     replay_addr(s, &req, "requested", err, errlen) < 0) ||
		    ((s = replay_key(&a, "server")) != NULL &&
		     replay_addr(s, &srv, "server", err, errlen) < 0))
			return -EINVAL;
		len = frame_dhcp(run->buf, run->guest_mac, codes[t],
				 (uint32_t)xid, ci, req, srv);
		return replay_emit(run, len, 0, err, errlen);
	}

	if (strcmp(kind, "udp6") == 0 || strcmp(kind, "tcp6") == 0)
		return replay_send6(run, kind, &a, err, errlen);

	/* icmp, udp, tcp: IPv4 from the guest. */
	if (replay_key_u(&a, "ttl", 255, 64, &ttl, err, errlen) < 0 ||
	    replay_key_u(&a, "ipid", 65535, 0, &ipid, err, errlen) < 0 ||
	    replay_key_u(&a, "frag", 65535, 0, &frag, err, errlen) < 0)
		return -EINVAL;
	if (strcmp(kind, "icmp") == 0) {
		uint64_t id, seq, size;

		if (replay_addr(a.pos[0], &dst, "icmp", err, errlen) < 0 ||
		    replay_key_u(&a, "id", 65535, 1, &id, err, errlen) < 0 ||
		    replay_key_u(&a, "seq", 65535, 1, &seq, err, errlen) < 0 ||
		    replay_key_u(&a, "size", 65507, 56, &size, err, errlen) < 0)
			return -EINVAL;
		replay_ends(run, &e, dst, ttl, ipid);
		len = frame_icmp_echo(run->buf, &e, (uint16_t)id,
				      (uint16_t)seq, size);
		return replay_emit(run, len, frag, err, errlen);
	}
	if (replay_u32(a.pos[0], 65535, &v, "source port", err, errlen) < 0 ||
	    replay_addr_port(a.pos[1], &dst, &port, err, errlen) < 0)
		return -EINVAL;
	plen = replay_payload(&a, payload,
			      strcmp(kind, "udp") == 0 ? 65507 : 65535 - 60,
			      err, errlen);
	if (plen < 0)
		return -EINVAL;
	replay_ends(run, &e, dst, ttl, ipid);
	if (strcmp(kind, "udp") == 0) {
		len = frame_udp(run->buf, &e, (uint16_t)v, port, payload,
				(size_t)plen);
	} else {
		struct frame_tcp t;
		uint64_t count;

		if (replay_tcp_fields(&a, (uint16_t)v, port, &t, &count, err,
				      errlen) < 0)
			return -EINVAL;
		/* count=N: N segments back to back, each after the last. */
		for (; count > 1; count--) {
			len = frame_tcp(run->buf, &e, &t, payload,
					(size_t)plen);
			if (replay_emit(run, len, frag, err, errlen) < 0)
				return -EINVAL;
			t.seq += (uint32_t)plen;
		}
		len = frame_tcp(run->buf, &e, &t, payload, (size_t)plen);
	}
	return replay_emit(run, len, frag, err, errlen);
}

/* An IPv6 address key of a send step, or @def when not given. */
static int replay_key6(const struct step_args *a, const char *key,
		       const uint8_t def[16], uint8_t out[16], char *err,
		       size_t errlen)
{
	const char *s = replay_key(a, key);

	if (s == NULL) {
		memcpy(out, def, 16);
		return 0;
	}
	if (inet_pton(AF_INET6, s, out) == 1)
		return 0;
	snprintf(err, errlen, "%s=: '%s' is not an IPv6 address", key, s);
	return -EINVAL;
}

/* A DUID key (hex), or @def (@def_len bytes). */
static int replay_key_duid(const struct step_args *a, const char *key,
			   const uint8_t *def, size_t def_len, uint8_t *out,
			   size_t *len, char *err, size_t errlen)
{
	const char *s = replay_key(a, key);
	ssize_t n;

	if (s == NULL) {
		memcpy(out, def, def_len);
		*len = def_len;
		return 0;
	}
	n = replay_hex(s, out, 128);
	if (n < 2) {
		snprintf(err, errlen, "%s=: not 2 to 128 hex bytes", key);
		return -EINVAL;
	}
	*len = (size_t)n;
	return 0;
}

/* send dhcp6 TYPE ...: a DHCPv6 client message from the guest. */
static int replay_send_dhcp6(struct replay_run *run, const struct step_args *a,
			     struct frame_ends6 *e, char *err, size_t errlen)
{
	static const char *const types[] = { "solicit", "request", "confirm",
					     "renew",	"rebind",  "release",
					     "decline", "info" };
	static const uint8_t codes[] = { 1, 3, 4, 5, 6, 8, 9, 11 };
	static const uint8_t servers[16] = { 0xff, 0x02, [13] = 1, [15] = 2 };
	uint8_t duid[128], server[128], def[10] = { 0, 3, 0, 1 }, addr[16];
	struct frame_dhcp6 m = { 0 };
	uint64_t xid, iaid, rapid;
	size_t t;

	_Static_assert(sizeof(types) / sizeof(types[0]) == sizeof(codes),
		       "one code per DHCPv6 type");
	for (t = 0; t < sizeof(codes); t++)
		if (strcmp(a->pos[1], types[t]) == 0)
			break;
	if (t == sizeof(codes)) {
		snprintf(err, errlen, "dhcp6: '%s'?", a->pos[1]);
		return -EINVAL;
	}
	memcpy(def + 4, run->guest_mac, 6);
	m.type = codes[t];
	if (replay_key_u(a, "xid", 0xffffff, 0x00abcd, &xid, err, errlen) < 0 ||
	    replay_key_u(a, "iaid", UINT32_MAX, 1, &iaid, err, errlen) < 0 ||
	    replay_key_u(a, "rapid", 1, 0, &rapid, err, errlen) < 0 ||
	    replay_key_duid(a, "duid", def, sizeof(def), duid, &m.duid_len, err,
			    errlen) < 0 ||
	    replay_key6(a, "dst", servers, e->dst.s6_addr, err, errlen) < 0)
		return -EINVAL;
	m.xid = (uint32_t)xid;
	m.iaid = (uint32_t)iaid;
	m.rapid = rapid != 0;
	m.duid = duid;
	m.ia = m.type != 11;
	if (replay_key(a, "server") != NULL) {
		if (replay_key_duid(a, "server", NULL, 0, server, &m.server_len,
				    err, errlen) < 0)
			return -EINVAL;
		m.server = server;
	}
	if (replay_key(a, "addr") != NULL) {
		if (replay_key6(a, "addr", NULL, addr, err, errlen) < 0)
			return -EINVAL;
		m.addr = addr;
	}
	if (e->dst.s6_addr[0] == 0xff)
		frame_ip6_group_mac(e->dst.s6_addr, e->dst_mac);
	return replay_emit(run, frame_dhcp6(run->buf, e, &m), 0, err, errlen);
}

/*
 * send icmp6, rs, ns, dhcp6: IPv6 frames from the guest, by default from
 * its link-local address (its MAC's EUI-64). Return: 1 when the step is of
 * another kind, else 0 or -EINVAL.
 */
static int replay_send_nd(struct replay_run *run, const struct script_step *st,
			  char *err, size_t errlen)
{
	static const uint8_t all_routers[16] = { 0xff, 0x02, [15] = 2 };
	const char *kind = st->words[1];
	struct frame_ends6 e = { 0 };
	uint8_t ll[16], target[16], group[16];
	uint64_t id, seq, size, hlim, sll;
	struct step_args a;
	size_t len;

	if (strcmp(kind, "icmp6") != 0 && strcmp(kind, "rs") != 0 &&
	    strcmp(kind, "ns") != 0 && strcmp(kind, "dhcp6") != 0)
		return 1;
	/* From the kind on, so that `send rs src=::` has its keys. */
	if (replay_args(run, st, 1, true, &a, err, errlen) < 0)
		return -EINVAL;
	frame_ip6_linklocal(run->guest_mac, ll);
	memcpy(e.src_mac, run->guest_mac, 6);
	memcpy(e.dst_mac, run->gw_mac, 6);
	if (replay_key6(&a, "src", ll, e.src.s6_addr, err, errlen) < 0 ||
	    replay_key_u(&a, "hlim", 255, 64, &hlim, err, errlen) < 0 ||
	    replay_key_u(&a, "sll", 1, 1, &sll, err, errlen) < 0)
		return -EINVAL;
	e.hop_limit = (unsigned int)hlim;
	/* Nothing from :: carries a source link-layer address. */
	if (IN6_IS_ADDR_UNSPECIFIED(&e.src))
		sll = 0;
	if (strcmp(kind, "dhcp6") == 0)
		return replay_send_dhcp6(run, &a, &e, err, errlen);
	if (strcmp(kind, "rs") == 0) {
		if (replay_key6(&a, "dst", all_routers, e.dst.s6_addr, err,
				errlen) < 0)
			return -EINVAL;
		frame_ip6_group_mac(e.dst.s6_addr, e.dst_mac);
		len = frame_rs(run->buf, &e, sll != 0);
		return replay_emit(run, len, 0, err, errlen);
	}
	if (a.n_pos < 2 || inet_pton(AF_INET6, a.pos[1], target) != 1) {
		snprintf(err, errlen, "%s: '%s' is not an IPv6 address", kind,
			 a.n_pos < 2 ? "" : a.pos[1]);
		return -EINVAL;
	}
	if (strcmp(kind, "ns") == 0) {
		frame_ip6_solicited(target, group);
		if (replay_key6(&a, "dst", group, e.dst.s6_addr, err, errlen) <
		    0)
			return -EINVAL;
		if (e.dst.s6_addr[0] == 0xff)
			frame_ip6_group_mac(e.dst.s6_addr, e.dst_mac);
		len = frame_ns(run->buf, &e, target, sll != 0);
		return replay_emit(run, len, 0, err, errlen);
	}
	memcpy(e.dst.s6_addr, target, 16);
	if (replay_key_u(&a, "id", 65535, 1, &id, err, errlen) < 0 ||
	    replay_key_u(&a, "seq", 65535, 1, &seq, err, errlen) < 0 ||
	    replay_key_u(&a, "size", 65000, 56, &size, err, errlen) < 0)
		return -EINVAL;
	len = frame_icmp6_echo(run->buf, &e, (uint16_t)id, (uint16_t)seq, size);
	return replay_emit(run, len, 0, err, errlen);
}

/* A file named by a script: relative to the script's folder. */
static void replay_path(struct replay_run *run, const char *name, char *out,
			size_t cap)
{
	if (name[0] == '/' || run->script_dir[0] == '\0')
		snprintf(out, cap, "%s", name);
	else
		snprintf(out, cap, "%s/%s", run->script_dir, name);
}

/*
 * Injects the frames of pcap @name that match @filter (NULL: all) at their
 * recorded offsets, or back to back when @fast; with @learn, the source
 * MAC of the first one becomes the guest's (the address the guest answers
 * ARP with).
 */
static int replay_send_pcap(struct replay_run *run, const char *name,
			    bool fast, const char *filter, bool learn,
			    char *err, size_t errlen)
{
	struct unet_pcap_reader *rd;
	struct bpf_program prog;
	char path[PATH_MAX + 256];
	uint64_t start = unet_hub_now_ns(run->hub), off;
	const void *f;
	size_t len;
	int r;

	if (filter != NULL &&
	    pcap_compile(run->dead, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errlen, "filter \"%s\": %s", filter,
			 pcap_geterr(run->dead));
		return -EINVAL;
	}
	replay_path(run, name, path, sizeof(path));
	if (unet_pcap_reader_open(path, &rd, err, errlen) < 0) {
		r = -EINVAL;
		goto out;
	}
	while ((r = unet_pcap_reader_next(rd, &f, &len, &off, err,
					  errlen)) == 1) {
		if (filter != NULL) {
			struct pcap_pkthdr h;

			memset(&h, 0, sizeof(h));
			h.caplen = h.len = (bpf_u_int32)len;
			if (!pcap_offline_filter(&prog, &h, f))
				continue;
		}
		if (!fast && off > SCRIPT_DURATION_MAX) {
			snprintf(err, errlen, "%s: a record more than a day "
				 "after the first", path);
			r = -EINVAL;
			break;
		}
		if (learn && len >= offsetof(struct wire_eth, type)) {
			memcpy(run->guest_mac,
			       (const uint8_t *)f +
				       offsetof(struct wire_eth, src),
			       WIRE_ETH_ALEN);
			learn = false;
		}
		if (!fast)
			replay_run_until(run, start + off);
		/* Too short or too long frames are the hub's to count. */
		unet_replay_send(run->rp, f, len);
		replay_pump(run);
	}
	unet_pcap_reader_close(rd);
out:
	if (filter != NULL)
		pcap_freecode(&prog);
	return r < 0 ? -EINVAL : 0;
}

static void replay_show_pending(struct replay_run *run)
{
	struct pending *p;
	size_t skip = run->n_pending > REPLAY_SHOW_MAX ?
			      run->n_pending - REPLAY_SHOW_MAX : 0;
	char line[256];

	fprintf(stderr, "  frames towards the guest that no expect took "
		"(%zu):\n", run->n_pending);
	if (skip > 0)
		fprintf(stderr, "    (%zu older ones not shown)\n", skip);
	for (p = run->head; p != NULL; p = p->next) {
		if (skip > 0) {
			skip--;
			continue;
		}
		frame_summary(p->data, p->len, line, sizeof(line));
		fprintf(stderr, "    %llu.%06llus %s\n",
			(unsigned long long)(p->at_ns / 1000000000u),
			(unsigned long long)(p->at_ns % 1000000000u / 1000u),
			line);
	}
}

/* Compares @f with record @index (from 1) of pcap @spec, masking @mask. */
static int replay_like(struct replay_run *run, const char *spec,
		       uint64_t index, const char *mask, const uint8_t *f,
		       size_t len, char *err, size_t errlen)
{
	char path[PATH_MAX + 256], file[PATH_MAX];
	struct unet_pcap_reader *rd;
	const char *hash = strrchr(spec, '#');
	const void *ef = NULL;
	uint8_t *want = NULL;
	size_t elen = 0, i;
	uint64_t off, n = 1, rec;
	int r;

	snprintf(file, sizeof(file), "%.*s",
		 (int)(hash != NULL ? (size_t)(hash - spec) : strlen(spec)),
		 spec);
	if (hash != NULL &&
	    replay_u32(hash + 1, UINT32_MAX, &n, "like", err, errlen) < 0)
		return -EINVAL;
	replay_path(run, file, path, sizeof(path));
	if (unet_pcap_reader_open(path, &rd, err, errlen) < 0)
		return -EINVAL;
	for (rec = 0; rec < n + index - 1; rec++) {
		r = unet_pcap_reader_next(rd, &ef, &elen, &off, err, errlen);
		if (r <= 0) {
			if (r == 0)
				snprintf(err, errlen, "%s has no record %llu",
					 path,
					 (unsigned long long)(n + index - 1));
			unet_pcap_reader_close(rd);
			return -EINVAL;
		}
	}
	want = malloc(elen > 0 ? elen : 1);
	if (want == NULL) {
		unet_pcap_reader_close(rd);
		return -ENOMEM;
	}
	memcpy(want, ef, elen);
	unet_pcap_reader_close(rd);
	r = 0;
	if (elen != len) {
		snprintf(err, errlen, "the frame has %zu bytes, %s#%llu has %zu",
			 len, file, (unsigned long long)(n + index - 1), elen);
		r = -EINVAL;
		goto out;
	}
	{
		uint8_t *got = malloc(len > 0 ? len : 1);
		char m[512], *tok, *save = NULL;

		if (got == NULL) {
			r = -ENOMEM;
			goto out;
		}
		memcpy(got, f, len);
		snprintf(m, sizeof(m), "%s", mask != NULL ? mask : "");
		for (tok = strtok_r(m, ",", &save); tok != NULL;
		     tok = strtok_r(NULL, ",", &save)) {
			size_t o, fl;

			if (frame_field_span(want, elen, tok, &o, &fl) == -EINVAL) {
				snprintf(err, errlen, "mask: unknown field "
					 "'%s'", tok);
				r = -EINVAL;
				break;
			}
			if (frame_field_span(want, elen, tok, &o, &fl) == 0) {
				memset(want + o, 0, fl);
				memset(got + o, 0, fl);
			}
		}
		for (i = 0; r == 0 && i < len; i++) {
			if (got[i] == want[i])
				continue;
			snprintf(err, errlen, "byte %zu is 0x%02x, %s#%llu "
				 "has 0x%02x", i, got[i], file,
				 (unsigned long long)(n + index - 1), want[i]);
			r = -EINVAL;
		}
		free(got);
	}
out:
	free(want);
	return r;
}

static int replay_expect(struct replay_run *run, const struct script_step *st,
			 char *err, size_t errlen)
{
	char filter[1024], like[512] = "", mask[512] = "";
	uint64_t deadline = unet_hub_now_ns(run->hub) + st->within_ns;
	struct bpf_program prog;
	struct pending *p, *prev, *next;
	uint64_t matched, k;
	int i, r = 0;

	if (replay_vars_expand(&run->vars, st->words[st->filter], filter,
			       sizeof(filter), err, errlen) < 0)
		return -EINVAL;
	for (i = st->filter + 1; i + 1 < st->nwords; i++) {
		if (strcmp(st->words[i], "like") == 0 &&
		    replay_vars_expand(&run->vars, st->words[i + 1], like,
				       sizeof(like), err, errlen) < 0)
			return -EINVAL;
		if (strcmp(st->words[i], "mask") == 0)
			snprintf(mask, sizeof(mask), "%s", st->words[i + 1]);
	}
	if (pcap_compile(run->dead, &prog, filter, 1,
			 PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(err, errlen, "filter \"%s\": %s", filter,
			 pcap_geterr(run->dead));
		return -EINVAL;
	}
	for (;;) {
		struct pcap_pkthdr h;

		matched = 0;
		for (p = run->head; p != NULL; p = p->next) {
			memset(&h, 0, sizeof(h));
			h.caplen = h.len = (bpf_u_int32)p->len;
			if (pcap_offline_filter(&prog, &h, p->data))
				matched++;
		}
		if (st->op == SCRIPT_EXPECT && matched >= st->count)
			break;
		if (st->op == SCRIPT_EXPECT_NONE && matched > 0)
			break;
		if (unet_hub_now_ns(run->hub) >= deadline)
			break;
		replay_step(run, deadline - unet_hub_now_ns(run->hub));
	}
	if (st->op == SCRIPT_EXPECT_NONE) {
		if (matched > 0) {
			snprintf(err, errlen, "%llu frame%s matching \"%s\" "
				 "arrived", (unsigned long long)matched,
				 matched == 1 ? "" : "s", filter);
			r = -EINVAL;
		}
		goto out;
	}
	if (matched < st->count) {
		snprintf(err, errlen, "%llu of %llu frame%s matching \"%s\" "
			 "within %llu ms", (unsigned long long)matched,
			 (unsigned long long)st->count,
			 st->count == 1 ? "" : "s", filter,
			 (unsigned long long)(st->within_ns / 1000000u));
		r = -EINVAL;
		goto out;
	}
	/* Take the first count matches, checking and saving each. */
	k = 0;
	prev = NULL;
	for (p = run->head; p != NULL && k < st->count; p = next) {
		struct pcap_pkthdr h;

		next = p->next;
		memset(&h, 0, sizeof(h));
		h.caplen = h.len = (bpf_u_int32)p->len;
		if (!pcap_offline_filter(&prog, &h, p->data)) {
			prev = p;
			continue;
		}
		k++;
		if (like[0] != '\0') {
			r = replay_like(run, like, k, mask, p->data, p->len,
					err, errlen);
			if (r < 0) {
				char line[256];

				frame_summary(p->data, p->len, line,
					      sizeof(line));
				snprintf(err + strlen(err),
					 errlen - strlen(err),
					 "\n  the frame: %s", line);
				goto out;
			}
		}
		for (i = st->filter + 1; i + 1 < st->nwords; i++) {
			char name[REPLAY_VAR_NAME], val[REPLAY_VAR_VALUE];
			const char *w = st->words[i + 1], *eq;

			if (strcmp(st->words[i], "save") != 0)
				continue;
			eq = strchr(w, '=');
			snprintf(name, sizeof(name), "%.*s", (int)(eq - w), w);
			if (frame_field(p->data, p->len, eq + 1, val,
					sizeof(val)) < 0) {
				snprintf(err, errlen, "save %s: the frame has "
					 "no %s", name, eq + 1);
				r = -EINVAL;
				goto out;
			}
			if (replay_vars_set(&run->vars, name, val) < 0) {
				snprintf(err, errlen, "save %s: too many "
					 "variables", name);
				r = -EINVAL;
				goto out;
			}
		}
		replay_take(run, prev, p);
	}
out:
	pcap_freecode(&prog);
	return r;
}

static int replay_step_run(struct replay_run *run, const struct script_step *st,
			   char *err, size_t errlen)
{
	struct step_args a;
	uint16_t port;
	char num[16];
	uint64_t size = 0;
	int i, r;

	switch (st->op) {
	case SCRIPT_SEED:
	case SCRIPT_NETDEV:
	case SCRIPT_MTU:
		return 0;	/* taken before the run */
	case SCRIPT_GUEST:
		if (replay_args(run, st, 1, false, &a, err, errlen) < 0)
			return -EINVAL;
		for (i = 0; i < a.n_pos; i++) {
			const char *v = strchr(a.pos[i], '=') + 1;

			if (strncmp(a.pos[i], "mac=", 4) == 0 &&
			    frame_parse_mac(v, run->guest_mac) < 0) {
				snprintf(err, errlen, "guest: '%s' is not a "
					 "MAC address", v);
				return -EINVAL;
			}
			if (strncmp(a.pos[i], "ip=", 3) == 0 &&
			    replay_addr(v, &run->guest_ip, "guest", err,
					errlen) < 0)
				return -EINVAL;
		}
		return 0;
	case SCRIPT_SEND:
		r = replay_send(run, st, err, errlen);
		replay_pump(run);
		return r;
	case SCRIPT_ADVANCE:
		replay_run_until(run, unet_hub_now_ns(run->hub) +
					      st->duration_ns);
		return 0;
	case SCRIPT_EXPECT:
	case SCRIPT_EXPECT_NONE:
		return replay_expect(run, st, err, errlen);
	case SCRIPT_SERVE:
		if (st->nwords == 4)
			script_parse_u64(st->words[3] + 5, SCRIPT_HTTP_MAX, &size);
		else if (strncmp(st->words[1], "http", 4) == 0)
			size = 1000;
		r = replay_serve_start(&run->serve, st->words[1], (size_t)size,
				       &port);
		if (r < 0) {
			snprintf(err, errlen, "serve %s: %s", st->words[1],
				 uv_strerror(r));
			return r;
		}
		snprintf(num, sizeof(num), "%u", port);
		if (replay_vars_set(&run->vars, st->words[2], num) < 0) {
			snprintf(err, errlen, "serve: too many variables");
			return -EINVAL;
		}
		return 0;
	case SCRIPT_DISCARD:
		replay_discard(run);
		return 0;
	case SCRIPT_OP_NUM:
		break;
	}
	return -EINVAL;
}

/* ---- the command ------------------------------------------------------- */

static int replay_read_file(const char *path, char **text, size_t *len)
{
	FILE *fp = fopen(path, "rbe");
	size_t cap = 0, n = 0;
	char *buf = NULL;
	int r = 0;

	if (fp == NULL)
		return -errno;
	for (;;) {
		if (n == cap) {
			char *nb;

			if (cap >= REPLAY_SCRIPT_MAX) {
				r = -EFBIG;
				break;
			}
			cap = cap != 0 ? 2 * cap : 4096;
			nb = realloc(buf, cap);
			if (nb == NULL) {
				r = -ENOMEM;
				break;
			}
			buf = nb;
		}
		size_t got = fread(buf + n, 1, cap - n, fp);

		n += got;
		if (got == 0) {
			if (ferror(fp))
				r = -EIO;
			break;
		}
	}
	fclose(fp);
	if (r < 0) {
		free(buf);
		return r;
	}
	*text = buf;
	*len = n;
	return 0;
}

static int replay_parse_args(int argc, char **argv, struct replay_options *o)
{
	enum { OPT_IN = 256, OPT_FAST, OPT_IN_FILTER, OPT_SCRIPT, OPT_OUT, OPT_SEED, OPT_MTU,
	       OPT_LINGER };
	static const struct option longopts[] = {
		{ "in", required_argument, NULL, OPT_IN },
		{ "fast", no_argument, NULL, OPT_FAST },
		{ "in-filter", required_argument, NULL, OPT_IN_FILTER },
		{ "script", required_argument, NULL, OPT_SCRIPT },
		{ "out", required_argument, NULL, OPT_OUT },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "mtu", required_argument, NULL, OPT_MTU },
		{ "linger", required_argument, NULL, OPT_LINGER },
		{ "netdev", required_argument, NULL, 'n' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t v;
	int c, i;

	memset(o, 0, sizeof(*o));
	o->linger_ns = 2000000000u;
	o->level = UNET_LOG_WARN;
	for (i = 1; i < argc; i++)
		if (strcmp(argv[i], "-netdev") == 0)
			argv[i] = "--netdev";
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":vh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_IN: o->in = optarg; break;
		case OPT_FAST: o->fast = true; break;
		case OPT_IN_FILTER: o->in_filter = optarg; break;
		case OPT_SCRIPT: o->script = optarg; break;
		case OPT_OUT: o->out = optarg; break;
		case 'n': o->netdev = optarg; break;
		case 'v':
			if (o->level < UNET_LOG_DEBUG)
				o->level++;
			break;
		case 'h':
			replay_usage(stdout);
			return 0;
		case OPT_SEED:
			if (script_parse_u64(optarg, UINT64_MAX, &v) < 0 ||
			    v == 0) {
				fprintf(stderr, "usernet replay: --seed %s: "
					"not a number above 0\n", optarg);
				return EXIT_USAGE;
			}
			o->seed = v;
			break;
		case OPT_MTU:
			if (script_parse_u64(optarg, UNET_MTU_MAX, &v) < 0 ||
			    v < UNET_MTU_MIN) {
				fprintf(stderr, "usernet replay: --mtu %s: not "
					"%u..%u\n", optarg, UNET_MTU_MIN,
					UNET_MTU_MAX);
				return EXIT_USAGE;
			}
			o->mtu = (unsigned int)v;
			break;
		case OPT_LINGER:
			if (script_parse_duration(optarg, &o->linger_ns) < 0) {
				fprintf(stderr, "usernet replay: --linger %s: "
					"not a duration such as 500ms or "
					"2s\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case ':':
			fprintf(stderr, "usernet replay: %s needs a value\n",
				argv[optind - 1]);
			return EXIT_USAGE;
		default:
			fprintf(stderr, "usernet replay: unknown option '%s' "
				"(see usernet replay --help)\n",
				argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "usernet replay: unexpected argument '%s'\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	if (o->in == NULL && o->script == NULL) {
		fprintf(stderr, "usernet replay: nothing to play: give --in "
			"FILE and/or --script FILE\n");
		return EXIT_USAGE;
	}
	if ((o->fast || o->in_filter != NULL) && o->in == NULL) {
		fprintf(stderr, "usernet replay: --%s goes with --in\n",
			o->fast ? "fast" : "in-filter");
		return EXIT_USAGE;
	}
	return -1;
}

/* The guest's IPv6 address: ::15 in the stack's prefix (QEMU's fec0::). */
static void replay_guest_ip6(const struct unet_stack_config *cfg,
			     struct in6_addr *a)
{
	static const struct in6_addr zero;

	*a = cfg->ip6_prefix;
	if (memcmp(a, &zero, sizeof(zero)) == 0)
		a->s6_addr[0] = 0xfe, a->s6_addr[1] = 0xc0;
	memset(a->s6_addr + 8, 0, 8);
	a->s6_addr[15] = 0x15;
}

/* Everything the run opened, closed; the loop runs until it is. */
static void replay_close(struct replay_run *run)
{
	/* Flows still open answer their close with RSTs: not kept. */
	run->keep = false;
	replay_discard(run);
	replay_serve_close(&run->serve);
	if (run->proxy != NULL)
		unet_proxy_close(run->proxy);
	run->proxy = NULL;
	if (run->hub != NULL)
		unet_hub_close(run->hub);	/* the stack and replay ports */
	run->hub = NULL;
	if (run->loop_ready) {
		uv_run(&run->loop, UV_RUN_DEFAULT);
		uv_loop_close(&run->loop);
	}
	if (run->dead != NULL)
		pcap_close(run->dead);
}

static int replay_setup(struct replay_run *run, const struct replay_options *o,
			const struct script *sc)
{
	static struct netdev nd;
	struct unet_hub_config hc;
	struct unet_replay_config rc;
	struct unet_stack_config stack_cfg;
	struct unet_proxy_config proxy_cfg;
	const char *netdev = o->netdev;
	uint64_t seed = o->seed, v;
	unsigned int mtu = o->mtu;
	char err[512];
	size_t i;
	int r;

	for (i = 0; i < sc->n_steps; i++) {
		const struct script_step *st = &sc->steps[i];

		if (st->op == SCRIPT_SEED && seed == 0)
			script_parse_u64(st->words[1], UINT64_MAX, &seed);
		if (st->op == SCRIPT_MTU && mtu == 0 &&
		    script_parse_u64(st->words[1], UNET_MTU_MAX, &v) == 0)
			mtu = (unsigned int)v;
		if (st->op == SCRIPT_NETDEV && netdev == NULL)
			netdev = st->words[1];
	}
	unet_stack_config_init(&stack_cfg);
	unet_proxy_config_init(&proxy_cfg);
	if (netdev != NULL) {
		char spec[SCRIPT_LINE_MAX + 16];

		/* The id is not needed here: user0 unless given. */
		snprintf(spec, sizeof(spec), "%s%s", netdev,
			 strstr(netdev, "id=") == NULL ? ",id=user0" : "");
		if (netdev_parse(spec, &nd, err, sizeof(err)) < 0) {
			fprintf(stderr, "usernet replay: -netdev %s: %s\n",
				netdev, err);
			return EXIT_USAGE;
		}
		if (nd.type != NETDEV_USER) {
			fprintf(stderr, "usernet replay: -netdev %s: only a "
				"user netdev configures a replay\n", netdev);
			return EXIT_USAGE;
		}
		stack_cfg = nd.u.user.stack;
		proxy_cfg = nd.u.user.proxy;
		/* A script's tftp= folder is relative to the script. */
		if (netdev != o->netdev && stack_cfg.tftp_root[0] != '\0' &&
		    stack_cfg.tftp_root[0] != '/' && run->script_dir[0] != '\0') {
			char root[sizeof(stack_cfg.tftp_root)];

			snprintf(root, sizeof(root), "%s/%s", run->script_dir,
				 stack_cfg.tftp_root);
			memcpy(stack_cfg.tftp_root, root, sizeof(root));
		}
	}

	if (uv_loop_init(&run->loop) != 0) {
		fprintf(stderr, "usernet replay: cannot make the event loop\n");
		return 1;
	}
	run->loop_ready = true;
	replay_serve_init(&run->serve, &run->loop);
	unet_hub_config_init(&hc);
	hc.virtual_clock = true;
	hc.seed = seed != 0 ? seed : 1;
	hc.mtu = mtu != 0 ? mtu : UNET_MTU_DEFAULT;
	hc.log_cb = replay_log;
	hc.log_level = o->level;
	r = unet_hub_new(&run->loop, &hc, &run->hub);
	if (r == 0) {
		r = unet_stack_new(run->hub, "user0", &stack_cfg, &run->stack);
		if (r < 0)
			fprintf(stderr, "usernet replay: cannot start the "
				"stack: %s\n", strerror(-r));
	}
	if (r == 0) {
		r = unet_proxy_new(run->stack, &proxy_cfg, &run->proxy);
		if (r < 0)
			fprintf(stderr, "usernet replay: cannot start the "
				"proxy: %s\n", strerror(-r));
	}
	for (i = 0; r == 0 && netdev != NULL && (int)i < nd.u.user.n_fwds; i++) {
		struct unet_fwd_ex f = nd.u.user.fwds[i];

		r = unet_proxy_fwd_add_ex(run->proxy, &f);
		if (r < 0)
			fprintf(stderr, "usernet replay: hostfwd: %s\n",
				strerror(-r));
	}
	if (r == 0) {
		unet_replay_config_init(&rc);
		rc.record_path = o->out;
		rc.rx = replay_rx;
		rc.opaque = run;
		r = unet_replay_open(run->hub, "guest", &rc, &run->rp);
		if (r < 0)
			fprintf(stderr, "usernet replay: --out %s: %s\n",
				o->out, strerror(-r));
	}
	if (r == 0) {
		run->dead = pcap_open_dead(DLT_EN10MB, 262144);
		if (run->dead == NULL)
			r = -ENOMEM;
	}
	if (r < 0)
		return 1;
	/* Built frames: from QEMU's usual guest MAC and the first lease. */
	frame_parse_mac("52:54:00:12:34:56", run->guest_mac);
	memcpy(run->gw_mac, stack_cfg.mac, 6);
	run->guest_ip = stack_cfg.dhcp_start;
	run->ip_id = 1;
	replay_guest_ip6(&stack_cfg, &run->guest_ip6);
	run->frag6_id = 1;
	return 0;
}

/**
 * replay_main() - `usernet replay`
 * @argc: arguments after "usernet"
 * @argv: "replay" and its options
 *
 * Return: the exit status: 0 when every expectation held, 1 on a failed one
 * or a runtime error, 2 on a bad option or script.
 */
int replay_main(int argc, char **argv)
{
	struct replay_options o;
	struct script sc = { 0 };
	struct replay_run *run;
	char err[1024] = "", *text = NULL;
	size_t len = 0, i;
	int r, status = 0;

	r = replay_parse_args(argc, argv, &o);
	if (r >= 0)
		return r;
	if (o.script != NULL) {
		r = replay_read_file(o.script, &text, &len);
		if (r < 0) {
			fprintf(stderr, "usernet replay: %s: %s\n", o.script,
				r == -EFBIG ? "larger than 16 MiB" :
					      strerror(-r));
			return 1;
		}
		r = script_parse(text, len, &sc, err, sizeof(err));
		free(text);
		if (r < 0) {
			fprintf(stderr, "usernet replay: %s: %s\n", o.script,
				r == -ENOMEM ? strerror(ENOMEM) : err);
			return EXIT_USAGE;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	run = calloc(1, sizeof(*run));
	if (run == NULL) {
		script_free(&sc);
		return 1;
	}
	if (o.script != NULL) {
		const char *slash = strrchr(o.script, '/');

		run->script_name = o.script;
		if (slash != NULL)
			snprintf(run->script_dir, sizeof(run->script_dir),
				 "%.*s", (int)(slash - o.script), o.script);
	}
	run->keep = o.script != NULL;
	r = replay_setup(run, &o, &sc);
	if (r != 0) {
		status = r;
		goto out;
	}
	if (o.in != NULL) {
		char saved_dir[PATH_MAX];

		/* --in is relative to where usernet runs, not the script. */
		snprintf(saved_dir, sizeof(saved_dir), "%s", run->script_dir);
		run->script_dir[0] = '\0';
		char filter[64];

		if (o.in_filter == NULL)
			snprintf(filter, sizeof(filter),
				 "not ether src %02x:%02x:%02x:%02x:%02x:%02x",
				 run->gw_mac[0], run->gw_mac[1], run->gw_mac[2],
				 run->gw_mac[3], run->gw_mac[4], run->gw_mac[5]);
		r = replay_send_pcap(run, o.in, o.fast,
				     o.in_filter != NULL ? o.in_filter : filter,
				     true, err, sizeof(err));
		snprintf(run->script_dir, sizeof(run->script_dir), "%s",
			 saved_dir);
		if (r < 0) {
			fprintf(stderr, "usernet replay: %s\n", err);
			status = 1;
			goto out;
		}
		replay_run_until(run, unet_hub_now_ns(run->hub) + o.linger_ns);
	}
	for (i = 0; i < sc.n_steps; i++) {
		const struct script_step *st = &sc.steps[i];

		err[0] = '\0';
		if (replay_step_run(run, st, err, sizeof(err)) == 0)
			continue;
		fprintf(stderr, "usernet replay: %s:%u: %s\n  failed: %s\n",
			o.script, st->line, st->text, err);
		if (st->op == SCRIPT_EXPECT || st->op == SCRIPT_EXPECT_NONE)
			replay_show_pending(run);
		status = 1;
		break;
	}
	if (run->overflow > 0)
		fprintf(stderr, "usernet replay: %llu frames towards the guest "
			"were lost: more than %u waited for an expect\n",
			(unsigned long long)run->overflow, REPLAY_PENDING_MAX);
	if (o.level >= UNET_LOG_INFO) {
		struct unet_replay_stats rs = { .size = sizeof(rs) };

		uint64_t now = unet_hub_now_ns(run->hub);

		if (unet_replay_stats(run->rp, &rs) == 0)
			fprintf(stderr,
				"usernet replay: %llu frames from the guest, "
				"%llu towards it, %llu.%03llus of virtual time\n",
				(unsigned long long)rs.sent_frames,
				(unsigned long long)rs.rx_frames,
				(unsigned long long)(now / 1000000000u),
				(unsigned long long)(now / 1000000u % 1000u));
	}
out:
	replay_close(run);
	free(run);
	script_free(&sc);
	return status;
}
