/* SPDX-License-Identifier: MIT */
/*
 * The egress audit log: one JSON line per decision on a flow the guest
 * opens, and one when an allowed flow ends, handed to the embedder's
 * callback (&unet_proxy_config.audit; the command line appends them to a
 * file).
 *
 * Theory of operation: unet__egress_decide() calls unet__audit_decision()
 * with the flow as the rules saw it and the verdict; flow.c calls
 * unet__audit_end() once for every outbound flow that entered the table,
 * when it begins to close (it carries nothing from then on, and the stack
 * is still there even when the proxy is closing). Each line is
 * formatted into a buffer on the stack by a small JSON writer (the fields
 * are numbers, fixed words, addresses, and a DNS name, which is escaped)
 * and given to the callback whole, newline included, so that a file sink
 * writes it with one O_APPEND write(2).
 *
 * What a guest can make it write is bounded. Denied decisions go through a
 * token bucket of AUDIT_DENY_BURST lines, refilled at AUDIT_DENY_RATE a
 * second; allowed decisions and flow ends through a far larger one
 * (AUDIT_ALLOW_BURST, AUDIT_ALLOW_RATE), which real work does not reach but
 * which bounds a guest that keeps asking at its flow cap. A line a bucket
 * holds back is counted (audit_suppressed), and the next line written is
 * preceded by {"event":"suppressed","count":N}, at most once a second
 * (AUDIT_SAID_NS; so a flood adds a line a second, not one per line let
 * through): the counts of all "suppressed" lines add up to
 * audit_suppressed once a line has been written a second after the
 * flood. The policy decides every
 * UDP datagram and echo request: the same decision (protocol, guest address
 * and port, destination and port, verdict) is written once per
 * AUDIT_REPEAT_NS, remembered in a small direct-mapped table
 * (PROXY_AUDIT_SEEN slots; a collision only writes a line again), so a
 * stream of datagrams is one line, not one per datagram. TCP decides once
 * per connection attempt and is always written (through its bucket).
 *
 * Time is the library's clock (unet_hub_realtime_ns()): the wall clock,
 * or under a virtual clock its epoch plus the virtual time, so that a
 * replay writes the same log every time.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "proxy_internal.h"

/* Denied decisions: a burst of this many lines, then this many a second. */
#define AUDIT_DENY_BURST 200
#define AUDIT_DENY_RATE 100
/* Allowed decisions and flow ends together. */
#define AUDIT_ALLOW_BURST 20000
#define AUDIT_ALLOW_RATE 10000
/* A "suppressed" line at most once in this long. */
#define AUDIT_SAID_NS 1000000000ull
/* The same UDP or ICMP decision is written at most once in this long. */
#define AUDIT_REPEAT_NS (60 * 1000000000ull)
/* The longest line: the fields at their longest and a 255-byte name, each
 * of its bytes escaped (\u00XX). */
#define AUDIT_LINE_MAX 2048

/**
 * struct audit_out - a line being written into a fixed buffer
 * @buf: the buffer, kept NUL-terminated
 * @cap: its size
 * @len: bytes written
 * @over: something did not fit (the line is not used)
 */
struct audit_out {
	char *buf;
	size_t cap;
	size_t len;
	bool over;
};

static void audit_put(struct audit_out *o, const char *s, size_t n)
{
	if (o->over || n >= o->cap - o->len) {
		o->over = true;
		return;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = '\0';
}

static void audit_puts(struct audit_out *o, const char *s)
{
	audit_put(o, s, strlen(s));
}

static void audit_u64(struct audit_out *o, uint64_t v)
{
	char num[24];
	int n = snprintf(num, sizeof(num), "%llu", (unsigned long long)v);

	audit_put(o, num, (size_t)n);
}

/*
 * A JSON string, or null for NULL. Quotes, backslashes and control
 * characters are escaped, and so is every byte past ASCII (as \u00XX, the
 * byte's value): a DNS name may hold any byte, and the line stays valid
 * UTF-8 whatever it holds.
 */
static void audit_str(struct audit_out *o, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	char esc[7];
	unsigned char c;

	if (s == NULL) {
		audit_puts(o, "null");
		return;
	}
	audit_put(o, "\"", 1);
	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			audit_put(o, esc, 2);
		} else if (c < 0x20 || c >= 0x7f) {
			memcpy(esc, "\\u00", 4);
			esc[4] = hex[c >> 4];
			esc[5] = hex[c & 15];
			audit_put(o, esc, 6);
		} else {
			audit_put(o, (const char *)&c, 1);
		}
	}
	audit_put(o, "\"", 1);
}

/* An address of @family as a JSON string. */
static void audit_addr(struct audit_out *o, sa_family_t family,
		       const union unet_ip_addr *a)
{
	char text[INET6_ADDRSTRLEN];

	if (inet_ntop(family,
		      family == AF_INET ? (const void *)&a->v4 :
					  (const void *)a->v6,
		      text, sizeof(text)) == NULL)
		snprintf(text, sizeof(text), "?");
	audit_str(o, text);
}

/* RFC 3339, UTC, milliseconds: "2026-12-05T20:30:00.123Z". */
static void audit_time(struct audit_out *o, uint64_t ns)
{
	time_t sec = (time_t)(ns / 1000000000u);
	char text[40];
	struct tm tm;
	size_t n;

	if (gmtime_r(&sec, &tm) == NULL)
		memset(&tm, 0, sizeof(tm));
	n = strftime(text, sizeof(text), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(text + n, sizeof(text) - n, ".%03uZ",
		 (unsigned int)(ns / 1000000u % 1000u));
	audit_str(o, text);
}

static const char *const audit_event_names[] = {
	[PROXY_AUDIT_DECISION] = "decision",
	[PROXY_AUDIT_END] = "end",
	[PROXY_AUDIT_SUPPRESSED] = "suppressed",
};
_Static_assert(UNET__ARRAY_SIZE(audit_event_names) == PROXY_AUDIT_EVENT_NUM,
	       "one name per audit event");

/**
 * unet__audit_format() - write one audit line
 * @buf: where to
 * @cap: its size
 * @l: the line's fields
 *
 * The fields come in a fixed order: time, event, then for a decision or
 * an end proto, family, guest, guest_port, dst, dst_port, and for a
 * decision name, verdict, rule (the rule's line, null for the default
 * verdict, "callback"), for an end bytes_out, bytes_in, duration_ms; a
 * "suppressed" line has count. The line ends in a newline.
 *
 * Return: its length (the newline included, the NUL not), or 0 when it
 * does not fit in @cap.
 */
size_t unet__audit_format(char *buf, size_t cap,
			  const struct proxy_audit_line *l)
{
	struct audit_out o = { buf, cap, 0, cap == 0 };

	if (cap > 0)
		buf[0] = '\0';
	audit_puts(&o, "{\"time\":");
	audit_time(&o, l->time_ns);
	audit_puts(&o, ",\"event\":");
	audit_str(&o, audit_event_names[l->event]);
	if (l->event == PROXY_AUDIT_SUPPRESSED) {
		audit_puts(&o, ",\"count\":");
		audit_u64(&o, l->count);
		audit_puts(&o, "}\n");
		return o.over ? 0 : o.len;
	}
	audit_puts(&o, ",\"proto\":");
	audit_str(&o, unet__proxy_proto_name(unet__proxy_proto(l->proto)));
	audit_puts(&o, ",\"family\":");
	audit_str(&o, l->family == AF_INET ? "ipv4" : "ipv6");
	audit_puts(&o, ",\"guest\":");
	audit_addr(&o, l->family, &l->guest);
	audit_puts(&o, ",\"guest_port\":");
	audit_u64(&o, l->guest_port);
	audit_puts(&o, ",\"dst\":");
	if (l->has_dst)
		audit_addr(&o, l->family, &l->dst);
	else
		audit_puts(&o, "null");
	audit_puts(&o, ",\"dst_port\":");
	if (l->has_dst)
		audit_u64(&o, l->dst_port);
	else
		audit_puts(&o, "null");
	if (l->event == PROXY_AUDIT_DECISION) {
		audit_puts(&o, ",\"name\":");
		audit_str(&o, l->name);
		audit_puts(&o, ",\"verdict\":");
		audit_str(&o,
			  l->verdict == UNET_POLICY_DENY ? "deny" : "allow");
		audit_puts(&o, ",\"rule\":");
		if (l->rule == PROXY_AUDIT_CALLBACK)
			audit_str(&o, "callback");
		else if (l->rule < 0)
			audit_puts(&o, "null");
		else
			audit_u64(&o, (uint64_t)l->rule);
	} else {
		audit_puts(&o, ",\"bytes_out\":");
		audit_u64(&o, l->bytes_out);
		audit_puts(&o, ",\"bytes_in\":");
		audit_u64(&o, l->bytes_in);
		audit_puts(&o, ",\"duration_ms\":");
		audit_u64(&o, l->duration_ms);
	}
	audit_puts(&o, "}\n");
	return o.over ? 0 : o.len;
}

/**
 * unet__audit_admit() - may one more audit line be written now
 * @a: the audit log's state
 * @deny: the line is a denied decision (else an allowed one or an end)
 * @now_ns: the hub's clock
 *
 * A line held back is counted in @a->suppressed and @a->pending.
 *
 * Return: true when it may.
 */
bool unet__audit_admit(struct proxy_audit *a, bool deny, uint64_t now_ns)
{
	bool ok = deny ? unet__gcra_admit(&a->deny_tat, now_ns,
					  1000000000u / AUDIT_DENY_RATE,
					  AUDIT_DENY_BURST) :
			 unet__gcra_admit(&a->allow_tat, now_ns,
					  1000000000u / AUDIT_ALLOW_RATE,
					  AUDIT_ALLOW_BURST);

	if (!ok) {
		a->suppressed++;
		a->pending++;
	}
	return ok;
}

/**
 * unet__audit_repeat() - whether a UDP or ICMP decision was written lately
 * @a: the audit log's state
 * @key: the decision's hash (never 0)
 * @now_ns: the hub's clock
 *
 * Return: true when the same decision was written less than
 * AUDIT_REPEAT_NS ago (as far as the table remembers).
 */
bool unet__audit_repeat(struct proxy_audit *a, uint64_t key, uint64_t now_ns)
{
	const struct proxy_audit_seen *s = &a->seen[key % PROXY_AUDIT_SEEN];

	return s->key == key && now_ns < s->until;
}

/* Remembers a UDP or ICMP decision just written. */
static void audit_seen_note(struct proxy_audit *a, uint64_t key,
			    uint64_t now_ns)
{
	struct proxy_audit_seen *s = &a->seen[key % PROXY_AUDIT_SEEN];

	s->key = key;
	s->until = now_ns + AUDIT_REPEAT_NS;
}

/* Formats @l and hands it to the callback; counted. */
static void audit_send(struct unet_proxy *proxy,
		       const struct proxy_audit_line *l)
{
	struct proxy_audit *a = &proxy->audit;
	char buf[AUDIT_LINE_MAX];
	size_t len = unet__audit_format(buf, sizeof(buf), l);

	if (len == 0 || proxy->cfg.audit(proxy->cfg.audit_opaque, buf, len) < 0)
		a->errors++;
	else
		a->lines++;
}

/*
 * Writes @l, after the count of what was suppressed before it when there
 * is one and the last such count is AUDIT_SAID_NS old.
 */
static void audit_write(struct unet_proxy *proxy, struct proxy_audit_line *l,
			uint64_t now_ns)
{
	struct proxy_audit *a = &proxy->audit;
	struct proxy_audit_line sup = {
		.event = PROXY_AUDIT_SUPPRESSED,
		.time_ns = l->time_ns,
		.count = a->pending,
	};

	if (sup.count > 0 &&
	    (!a->said || now_ns - a->said_ns >= AUDIT_SAID_NS)) {
		a->pending = 0;
		a->said = true;
		a->said_ns = now_ns;
		audit_send(proxy, &sup);
	}
	audit_send(proxy, l);
}

/* A hash of a decision for the repeat table: FNV-1a over its fields. */
static uint64_t audit_key(const struct proxy_audit_line *l)
{
	uint8_t k[2 * 16 + 8];
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i, alen = l->family == AF_INET ? 4 : 16;

	memcpy(k, &l->guest, alen);
	memcpy(k + alen, &l->dst, alen);
	k[2 * alen] = (uint8_t)l->proto;
	k[2 * alen + 1] = (uint8_t)l->family;
	k[2 * alen + 2] = (uint8_t)l->verdict;
	unet__put_be16(&k[2 * alen + 3], l->guest_port);
	unet__put_be16(&k[2 * alen + 5], l->dst_port);
	for (i = 0; i < 2 * alen + 7; i++)
		h = (h ^ k[i]) * 0x100000001b3ull;
	return h != 0 ? h : 1;
}

/**
 * unet__audit_decision() - write the audit line of a decision
 * @proxy: the proxy
 * @d: the flow as the policy saw it
 * @verdict: UNET_POLICY_ALLOW or UNET_POLICY_DENY
 * @rule: the index of the rule that decided, PROXY_AUDIT_DEFAULT or
 *        PROXY_AUDIT_CALLBACK
 *
 * Nothing is done without an audit callback; a repeated UDP or ICMP
 * decision is not written again (see the top of this file), and the rate
 * limits may hold the line back (counted).
 */
void unet__audit_decision(struct unet_proxy *proxy,
			  const struct unet_flow_desc *d, int verdict, int rule)
{
	const struct unet_policy *p = proxy->egress.policy;
	uint64_t now = unet_hub_now_ns(proxy->hub), key = 0;
	struct proxy_audit_line l = {
		.event = PROXY_AUDIT_DECISION,
		.proto = d->proto,
		.family = (sa_family_t)d->family,
		.guest_port = d->guest_port,
		.has_dst = true,
		.dst_port = d->port,
		.name = d->name,
		.verdict = verdict,
		.rule = rule,
	};

	if (proxy->cfg.audit == NULL)
		return;
	if (d->family == AF_INET) {
		l.guest.v4 = d->guest.s_addr;
		l.dst.v4 = d->dst.s_addr;
	} else {
		memcpy(l.guest.v6, &d->guest6, sizeof(l.guest.v6));
		memcpy(l.dst.v6, &d->dst6, sizeof(l.dst.v6));
	}
	if (rule >= 0)
		l.rule = p != NULL && (size_t)rule < p->n ?
				 (int)p->rules[rule].line :
				 PROXY_AUDIT_DEFAULT;
	if (d->proto != IPPROTO_TCP) {
		key = audit_key(&l);
		if (unet__audit_repeat(&proxy->audit, key, now))
			return;
	}
	if (!unet__audit_admit(&proxy->audit, verdict == UNET_POLICY_DENY, now))
		return;
	l.time_ns = unet_hub_realtime_ns(proxy->hub);
	audit_write(proxy, &l, now);
	if (key != 0)
		audit_seen_note(&proxy->audit, key, now);
}

/**
 * unet__audit_end() - write the audit line of a flow that ended
 * @flow: an outbound flow that entered the table (@flow->decided), beginning
 *        to close
 *
 * Its destination is shown as the decision showed it: the gateway's
 * address as the host's loopback (127.0.0.1, ::1). A UDP flow is one
 * guest socket, whatever it sent to: its dst and dst_port are null.
 */
void unet__audit_end(struct proxy_flow *flow)
{
	struct unet_proxy *proxy = flow->proxy;
	const struct unet_stack_config *sc;
	uint64_t now = unet_hub_now_ns(proxy->hub);
	struct proxy_audit_line l = {
		.event = PROXY_AUDIT_END,
		.proto = flow->proto,
		.family = flow->family,
		.guest = flow->guest_addr,
		.guest_port = flow->guest_port,
		.has_dst = flow->proto != IPPROTO_UDP,
		.dst = flow->remote_addr,
		.dst_port = flow->remote_port,
		.bytes_out = flow->bytes_out,
		.bytes_in = flow->bytes_in,
		.duration_ms = now > flow->created_ns ?
				       (now - flow->created_ns) / 1000000u :
				       0,
	};

	if (proxy->cfg.audit == NULL ||
	    !unet__audit_admit(&proxy->audit, false, now))
		return;
	sc = unet__stack_config(proxy->stack);
	if (flow->family == AF_INET && l.dst.v4 == sc->host.s_addr)
		l.dst.v4 = htonl(INADDR_LOOPBACK);
	else if (flow->family == AF_INET6 &&
		 unet__stack_is_host6(proxy->stack, l.dst.v6))
		memcpy(l.dst.v6, &in6addr_loopback, sizeof(l.dst.v6));
	l.time_ns = unet_hub_realtime_ns(proxy->hub);
	audit_write(proxy, &l, now);
}
