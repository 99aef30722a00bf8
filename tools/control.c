// SPDX-License-Identifier: MIT
/*
 * control: usernet's own control protocol.
 *
 * Theory of operation: control_handle() is the whole protocol, a pure
 * function from one request line to one reply (compact JSON, no newline),
 * parsed with jansson; tools/ctlsock.c frames the lines. A request is an
 * object whose "op" names an entry of control_op_table: adding an
 * operation is one entry there and one function. Each entry lists the
 * members its request may have, so a misspelt member is an error rather
 * than silently ignored.
 *
 * Forwards: the protocol shows every forward the proxy holds, whoever made
 * it (hostfwd= on the command line, fwd_add, a slirp4netns add_hostfwd on
 * the same socket), and gives each an id the first time it sees it, oldest
 * first. control_sync() refreshes that table from the proxy's list before
 * every forward operation (a forward is known by its protocol and host
 * address and port, which the proxy keeps unique), so an id stays with
 * its forward until the forward goes, and is never reused.
 *
 * Counters: the stats reply names every field after its struct member;
 * static_assert checks that the tables below list every member, so a new
 * counter in struct unet_proxy_stats or unet_stack_stats must be added
 * here too.
 *
 * The request is untrusted: at most CONTROL_LINE_MAX bytes are looked at,
 * no part of it is copied into a reply (but for policy_set's parse error,
 * which names the line at fault and may quote a word of it, printable
 * ASCII only), numbers are range-checked, and a reply's size is bounded by
 * what the proxy holds (its flow caps).
 *
 * Policy: policy_set parses the new rules (a string of the request, or a
 * regular file usernet reads, at most 1 MiB, opened non-blocking; under
 * --sandbox only a file inside what the sandbox keeps opens) with
 * unet_policy_parse() before anything changes; the reply names the text
 * "rules" or "file" (never the path: the request's bytes stay out of it)
 * with the line at fault. The policy goes to unet_proxy_set_policy(),
 * which copies it.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcntl.h>
#include <jansson.h>

#include <usernet/version.h>

#include "control.h"
#include "jsonreply.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Strict JSON: one value (we say when it is not an object), no duplicate
 * members, nothing after it. */
#define CONTROL_JSON_FLAGS (JSON_DECODE_ANY | JSON_REJECT_DUPLICATES)

/* The largest policy file policy_set reads. */
#define CONTROL_POLICY_FILE_MAX (1 << 20)

/* The live operations: the C API on a running usernet. */

static int control_live_fwd_add(void *opaque, struct unet_fwd_ex *fwd)
{
	const struct control_target *t = opaque;

	return unet_proxy_fwd_add_ex(t->proxy, fwd);
}

static int control_live_fwd_remove(void *opaque, const struct unet_fwd_ex *fwd)
{
	const struct control_target *t = opaque;

	return unet_proxy_fwd_remove_ex(t->proxy, fwd);
}

static int control_live_fwd_list(void *opaque, struct unet_fwd_ex *fwds,
				 size_t n)
{
	const struct control_target *t = opaque;

	return unet_proxy_fwd_list_ex(t->proxy, fwds, n);
}

static int control_live_flows(void *opaque, unet_flow_cb cb, void *cb_opaque)
{
	const struct control_target *t = opaque;

	return unet_proxy_flows(t->proxy, cb, cb_opaque);
}

static int control_live_proxy_stats(void *opaque, struct unet_proxy_stats *st)
{
	const struct control_target *t = opaque;

	return unet_proxy_stats(t->proxy, st);
}

static int control_live_policy_stats(void *opaque, struct unet_policy_stats *st,
				     uint64_t *hits, size_t n)
{
	const struct control_target *t = opaque;

	return unet_proxy_policy_stats(t->proxy, st, hits, n);
}

static int control_live_policy_set(void *opaque,
				   const struct unet_policy *policy,
				   unsigned int flags)
{
	const struct control_target *t = opaque;

	return unet_proxy_set_policy(t->proxy, policy, flags);
}

static int control_live_policy_default(void *opaque,
				       enum unet_policy_verdict def,
				       unsigned int flags)
{
	const struct control_target *t = opaque;

	return unet_proxy_set_policy_default(t->proxy, def, flags);
}

static int control_live_stack_stats(void *opaque, struct unet_stack_stats *st)
{
	const struct control_target *t = opaque;

	return unet_stack_stats(t->stack, st);
}

static void control_live_ports(void *opaque, control_port_cb cb,
			       void *cb_opaque)
{
	const struct control_target *t = opaque;
	const struct unet_port *port;
	int i;

	for (i = 0; i < t->n_hubs; i++)
		for (port = unet_hub_ports(t->hubs[i]); port != NULL;
		     port = port->next)
			cb(cb_opaque, t->hub_ids[i], port);
}

static void control_live_set_log_level(void *opaque, enum unet_log_level level)
{
	const struct control_target *t = opaque;
	int i;

	for (i = 0; i < t->n_hubs; i++)
		unet_hub_set_log(t->hubs[i], t->log_cb, t->log_opaque, level);
}

/** control_live_ops - the operations on the struct control_target given
 * as opaque */
const struct control_ops control_live_ops = {
	.fwd_add = control_live_fwd_add,
	.fwd_remove = control_live_fwd_remove,
	.fwd_list = control_live_fwd_list,
	.flows = control_live_flows,
	.proxy_stats = control_live_proxy_stats,
	.stack_stats = control_live_stack_stats,
	.ports = control_live_ports,
	.set_log_level = control_live_set_log_level,
	.policy_stats = control_live_policy_stats,
	.policy_set = control_live_policy_set,
	.policy_default = control_live_policy_default,
};

static const char *const control_level_names[] = {
	[UNET_LOG_ERROR] = "error",
	[UNET_LOG_WARN] = "warning",
	[UNET_LOG_INFO] = "info",
	[UNET_LOG_DEBUG] = "debug",
};
static_assert(ARRAY_SIZE(control_level_names) == UNET_LOG_LEVEL_NUM,
	      "one name per log level");

/**
 * control_log_level_name() - a log level's name, as the protocol spells it
 * @level: the level
 *
 * Return: "error", "warning", "info" or "debug"; "?" for anything else.
 */
const char *control_log_level_name(enum unet_log_level level)
{
	if ((unsigned int)level >= UNET_LOG_LEVEL_NUM)
		return "?";
	return control_level_names[level];
}

/**
 * control_init() - set up the protocol's state
 * @c: the state
 * @ops: what it acts on
 * @opaque: passed to @ops (for control_live_ops: a struct control_target)
 * @guest: fwd_add's default guest address (network order)
 * @level: the log level in force now
 */
void control_init(struct control *c, const struct control_ops *ops,
		  void *opaque, struct in_addr guest, enum unet_log_level level)
{
	memset(c, 0, sizeof(*c));
	c->ops = ops;
	c->opaque = opaque;
	c->guest = guest;
	c->level = level;
	c->next_id = 1;
}

/**
 * control_close() - forget the forwards' ids (the forwards stay with the
 *	proxy)
 * @c: the state; control_init() makes it usable again
 */
void control_close(struct control *c)
{
	free(c->fwds);
	c->fwds = NULL;
	c->n_fwds = 0;
}

static char *control_error(const char *msg)
{
	return jsonreply_take(json_pack("{s:b,s:s}", "ok", 0, "error", msg));
}

static char *control_errorf(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static char *control_errorf(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return control_error(msg);
}

/* {"ok": true} with @v's members added; takes @v (NULL: none). */
static char *control_ok(json_t *v)
{
	json_t *r = json_pack("{s:b}", "ok", 1);

	if (r != NULL && v != NULL && json_object_update(r, v) < 0) {
		json_decref(r);
		r = NULL;
	}
	json_decref(v);
	return jsonreply_take(r);
}

/* An integer member from @min to @max; a missing one gives @dflt, or fails
 * when @dflt is below @min. */
static bool control_int(const json_t *req, const char *key, long long min,
			long long max, long long dflt, long long *out)
{
	const json_t *v = json_object_get(req, key);
	long long n;

	if (v == NULL) {
		*out = dflt;
		return dflt >= min;
	}
	if (!json_is_integer(v))
		return false;
	n = json_integer_value(v);
	if (n < min || n > max)
		return false;
	*out = n;
	return true;
}

/*
 * A string member without NUL bytes; NULL when it is missing (@present
 * false) or not such a string (@present true).
 */
static const char *control_str(const json_t *req, const char *key,
			       bool *present)
{
	const json_t *v = json_object_get(req, key);
	const char *s;

	*present = v != NULL;
	if (v == NULL || !json_is_string(v))
		return NULL;
	s = json_string_value(v);
	return strlen(s) == json_string_length(v) ? s : NULL;
}

/* An IPv4 or IPv6 address (no brackets, no port) with @port. */
static bool control_sa_parse(const char *s, uint16_t port,
			     union unet_sockaddr *sa)
{
	memset(sa, 0, sizeof(*sa));
	if (inet_pton(AF_INET, s, &sa->in.sin_addr) == 1) {
		sa->in.sin_family = AF_INET;
		sa->in.sin_port = htons(port);
		return true;
	}
	if (inet_pton(AF_INET6, s, &sa->in6.sin6_addr) == 1) {
		sa->in6.sin6_family = AF_INET6;
		sa->in6.sin6_port = htons(port);
		return true;
	}
	return false;
}

static uint16_t control_sa_port(const union unet_sockaddr *sa)
{
	return ntohs(sa->sa.sa_family == AF_INET6 ? sa->in6.sin6_port :
						    sa->in.sin_port);
}

static const char *control_sa_addr(const union unet_sockaddr *sa, char *buf,
				   size_t len)
{
	const void *a = sa->sa.sa_family == AF_INET6 ?
				(const void *)&sa->in6.sin6_addr :
				(const void *)&sa->in.sin_addr;

	if (inet_ntop(sa->sa.sa_family == AF_INET6 ? AF_INET6 : AF_INET, a, buf,
		      (socklen_t)len) == NULL)
		snprintf(buf, len, "?");
	return buf;
}

/* Whether two forwards have one key: protocol, host address and port. */
static bool control_fwd_same(const struct unet_fwd_ex *a,
			     const struct unet_fwd_ex *b)
{
	if (a->proto != b->proto ||
	    a->host.sa.sa_family != b->host.sa.sa_family ||
	    control_sa_port(&a->host) != control_sa_port(&b->host))
		return false;
	if (a->host.sa.sa_family == AF_INET6)
		return memcmp(&a->host.in6.sin6_addr, &b->host.in6.sin6_addr,
			      sizeof(struct in6_addr)) == 0;
	return a->host.in.sin_addr.s_addr == b->host.in.sin_addr.s_addr;
}

/*
 * Brings @c->fwds up to date with the proxy's forwards: those gone are
 * dropped, new ones get the next ids, oldest first (the proxy lists newest
 * first). Returns 0 or a negative errno.
 */
static int control_sync(struct control *c)
{
	struct unet_fwd_ex *list = NULL;
	struct control_fwd *t;
	bool *seen = NULL;
	int n, m, i, j, k, r = 0;

	n = c->ops->fwd_list(c->opaque, NULL, 0);
	if (n < 0)
		return n;
	if (n > 0) {
		list = calloc((size_t)n, sizeof(*list));
		seen = calloc((size_t)n, sizeof(*seen));
		if (list == NULL || seen == NULL) {
			r = -ENOMEM;
			goto out;
		}
		m = c->ops->fwd_list(c->opaque, list, (size_t)n);
		if (m < 0) {
			r = m;
			goto out;
		}
		n = m < n ? m : n;
	}
	/* Keep the known ones that are still there, refreshed. */
	for (i = 0, k = 0; i < c->n_fwds; i++) {
		for (j = 0; j < n; j++)
			if (!seen[j] &&
			    control_fwd_same(&c->fwds[i].fwd, &list[j]))
				break;
		if (j == n)
			continue;
		seen[j] = true;
		c->fwds[k].id = c->fwds[i].id;
		c->fwds[k].fwd = list[j];
		k++;
	}
	c->n_fwds = k;
	t = realloc(c->fwds, (size_t)(n > 0 ? n : 1) * sizeof(*t));
	if (t == NULL) {
		r = -ENOMEM;
		goto out;
	}
	c->fwds = t;
	for (j = n - 1; j >= 0; j--) {
		if (seen[j] || c->next_id == INT_MAX)
			continue;
		t[c->n_fwds].id = c->next_id++;
		t[c->n_fwds].fwd = list[j];
		c->n_fwds++;
	}
out:
	free(list);
	free(seen);
	return r;
}

/**
 * control_proto_name() - a flow's or forward's protocol, as the protocol
 *	(and the SIGUSR1 dump) spells it
 * @proto: IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP or IPPROTO_ICMPV6
 *
 * Return: "tcp", "udp", "icmp", "icmp6", or "?" for anything else.
 */
const char *control_proto_name(int proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmp6";
	default:
		return "?";
	}
}

static json_t *control_fwd_json(const struct control_fwd *f)
{
	char h[INET6_ADDRSTRLEN], g[INET6_ADDRSTRLEN];

	return json_pack("{s:i,s:s,s:s,s:i,s:s,s:i}", "id", f->id, "proto",
			 control_proto_name(f->fwd.proto), "host_addr",
			 control_sa_addr(&f->fwd.host, h, sizeof(h)),
			 "host_port", (int)control_sa_port(&f->fwd.host),
			 "guest_addr",
			 control_sa_addr(&f->fwd.guest, g, sizeof(g)),
			 "guest_port", (int)control_sa_port(&f->fwd.guest));
}

/* What a forward operation failed with, for the reply. */
static char *control_fwd_error(const char *op, int err)
{
	switch (err) {
	case -EEXIST:
		return control_errorf(
			"%s: a forward of that protocol has that host address and port already",
			op);
	case -EINVAL:
		return control_errorf(
			"%s: refused: the guest address is outside the guest's network, or its family is off",
			op);
	default:
		return control_errorf("%s: %s", op, strerror(-err));
	}
}

/* {"op": "fwd_add", "proto", "host_addr", "host_port", "guest_addr",
 * "guest_port"} */
static char *control_fwd_add(struct control *c, const json_t *req)
{
	struct unet_fwd_ex f;
	const char *proto, *host, *guest;
	long long hport, gport;
	bool present;
	char g[INET_ADDRSTRLEN];
	int i, r;

	memset(&f, 0, sizeof(f));
	proto = control_str(req, "proto", &present);
	if (!present || (proto != NULL && strcmp(proto, "tcp") == 0))
		f.proto = IPPROTO_TCP;
	else if (proto != NULL && strcmp(proto, "udp") == 0)
		f.proto = IPPROTO_UDP;
	else
		return control_error(
			"fwd_add: proto must be \"tcp\" or \"udp\"");
	if (!control_int(req, "host_port", 0, 65535, -1, &hport))
		return control_error(
			"fwd_add: host_port must be a number from 0 to 65535");
	if (!control_int(req, "guest_port", 1, 65535, -1, &gport))
		return control_error(
			"fwd_add: guest_port must be a number from 1 to 65535");
	host = control_str(req, "host_addr", &present);
	if (!present)
		host = "0.0.0.0";
	if (host == NULL || !control_sa_parse(host, (uint16_t)hport, &f.host))
		return control_error(
			"fwd_add: host_addr must be an IPv4 or IPv6 address");
	guest = control_str(req, "guest_addr", &present);
	if (!present)
		guest = inet_ntop(AF_INET, &c->guest, g, sizeof(g));
	if (guest == NULL ||
	    !control_sa_parse(guest, (uint16_t)gport, &f.guest))
		return control_error(
			"fwd_add: guest_addr must be an IPv4 or IPv6 address");
	r = control_sync(c);
	if (r < 0)
		return control_fwd_error("fwd_add", r);
	if (c->n_fwds >= CONTROL_FWD_MAX || c->next_id == INT_MAX)
		return control_error("fwd_add: too many forwards");
	r = c->ops->fwd_add(c->opaque, &f);
	if (r < 0)
		return control_fwd_error("fwd_add", r);
	r = control_sync(c);
	if (r < 0)
		return control_fwd_error("fwd_add", r);
	for (i = c->n_fwds - 1; i >= 0; i--)
		if (control_fwd_same(&c->fwds[i].fwd, &f))
			return control_ok(control_fwd_json(&c->fwds[i]));
	return control_error("fwd_add: the forward is not in the proxy's list");
}

/* {"op": "fwd_list"}: every forward, by id. */
static char *control_fwd_list(struct control *c, const json_t *req)
{
	json_t *arr, *e;
	int i, r;

	r = control_sync(c);
	if (r < 0)
		return control_fwd_error("fwd_list", r);
	arr = json_array();
	if (arr == NULL)
		return NULL;
	for (i = 0; i < c->n_fwds; i++) {
		e = control_fwd_json(&c->fwds[i]);
		if (e == NULL || json_array_append_new(arr, e) < 0) {
			json_decref(arr);
			return NULL;
		}
	}
	return control_ok(json_pack("{s:o}", "forwards", arr));
}

/* {"op": "fwd_remove", "id": N} */
static char *control_fwd_remove(struct control *c, const json_t *req)
{
	long long id;
	int i, r;

	if (!control_int(req, "id", 1, INT_MAX, 0, &id))
		return control_error("fwd_remove: id must be a forward's id");
	r = control_sync(c);
	if (r < 0)
		return control_fwd_error("fwd_remove", r);
	for (i = 0; i < c->n_fwds && c->fwds[i].id != id; i++)
		;
	if (i == c->n_fwds)
		return control_error("fwd_remove: no forward has that id");
	r = c->ops->fwd_remove(c->opaque, &c->fwds[i].fwd);
	if (r < 0)
		return control_fwd_error("fwd_remove", r);
	memmove(&c->fwds[i], &c->fwds[i + 1],
		(size_t)(c->n_fwds - i - 1) * sizeof(c->fwds[0]));
	c->n_fwds--;
	return control_ok(NULL);
}

/* A counter of a stats struct: its member's name and where it is. */
struct control_counter {
	const char *name;
	size_t off;
};

/* clang-format off */
#define CONTROL_COUNTER(type, member) { #member, offsetof(struct type, member) }
/* clang-format on */

static const struct control_counter control_proxy_counters[] = {
	CONTROL_COUNTER(unet_proxy_stats, flows),
	CONTROL_COUNTER(unet_proxy_stats, tcp_opened),
	CONTROL_COUNTER(unet_proxy_stats, udp_opened),
	CONTROL_COUNTER(unet_proxy_stats, icmp_opened),
	CONTROL_COUNTER(unet_proxy_stats, refused_limit),
	CONTROL_COUNTER(unet_proxy_stats, refused_policy),
	CONTROL_COUNTER(unet_proxy_stats, tcp_refused),
	CONTROL_COUNTER(unet_proxy_stats, tcp_unreachable),
	CONTROL_COUNTER(unet_proxy_stats, tcp_timeouts),
	CONTROL_COUNTER(unet_proxy_stats, dropped),
	CONTROL_COUNTER(unet_proxy_stats, udp_expired),
	CONTROL_COUNTER(unet_proxy_stats, refused_spoofed),
	CONTROL_COUNTER(unet_proxy_stats, tcp_flows),
	CONTROL_COUNTER(unet_proxy_stats, udp_flows),
	CONTROL_COUNTER(unet_proxy_stats, icmp_flows),
	CONTROL_COUNTER(unet_proxy_stats, tcp_cap),
	CONTROL_COUNTER(unet_proxy_stats, udp_cap),
	CONTROL_COUNTER(unet_proxy_stats, icmp_cap),
	CONTROL_COUNTER(unet_proxy_stats, tcp_refused_limit),
	CONTROL_COUNTER(unet_proxy_stats, udp_refused_limit),
	CONTROL_COUNTER(unet_proxy_stats, icmp_refused_limit),
	CONTROL_COUNTER(unet_proxy_stats, udp_evicted),
	CONTROL_COUNTER(unet_proxy_stats, tcp_stalled),
	CONTROL_COUNTER(unet_proxy_stats, tcp_windows_shrunk),
	CONTROL_COUNTER(unet_proxy_stats, tcp_reads_deferred),
	CONTROL_COUNTER(unet_proxy_stats, tcp_data_deferred),
	CONTROL_COUNTER(unet_proxy_stats, refused_guest_share),
	CONTROL_COUNTER(unet_proxy_stats, icmp_expired),
	CONTROL_COUNTER(unet_proxy_stats, tcp6_opened),
	CONTROL_COUNTER(unet_proxy_stats, udp6_opened),
	CONTROL_COUNTER(unet_proxy_stats, icmp6_opened),
	CONTROL_COUNTER(unet_proxy_stats, icmp6_errors),
	CONTROL_COUNTER(unet_proxy_stats, icmp4_errors),
	CONTROL_COUNTER(unet_proxy_stats, icmp_errors_limited),
	CONTROL_COUNTER(unet_proxy_stats, sock_errors),
	CONTROL_COUNTER(unet_proxy_stats, pmtu_errors),
	CONTROL_COUNTER(unet_proxy_stats, cut_by_policy),
};
static_assert(sizeof(size_t) + ARRAY_SIZE(control_proxy_counters) *
				       sizeof(uint64_t) ==
		      sizeof(struct unet_proxy_stats),
	      "a counter of struct unet_proxy_stats is missing from "
	      "control_proxy_counters");

static const struct control_counter control_stack_counters[] = {
	CONTROL_COUNTER(unet_stack_stats, drop_mac),
	CONTROL_COUNTER(unet_stack_stats, drop_bad),
	CONTROL_COUNTER(unet_stack_stats, arp_replies),
	CONTROL_COUNTER(unet_stack_stats, dhcp_in),
	CONTROL_COUNTER(unet_stack_stats, dhcp_out),
	CONTROL_COUNTER(unet_stack_stats, dhcp_drop),
	CONTROL_COUNTER(unet_stack_stats, dns_queries),
	CONTROL_COUNTER(unet_stack_stats, dns_replies),
	CONTROL_COUNTER(unet_stack_stats, dns_drop),
	CONTROL_COUNTER(unet_stack_stats, dns_servfail),
	CONTROL_COUNTER(unet_stack_stats, tftp_transfers),
	CONTROL_COUNTER(unet_stack_stats, tftp_errors),
	CONTROL_COUNTER(unet_stack_stats, tftp_drop),
	CONTROL_COUNTER(unet_stack_stats, tcp_fast_recoveries),
	CONTROL_COUNTER(unet_stack_stats, tcp_tail_probes),
	CONTROL_COUNTER(unet_stack_stats, tcp_rto_timeouts),
	CONTROL_COUNTER(unet_stack_stats, dns_refused),
	CONTROL_COUNTER(unet_stack_stats, mem_budget),
	CONTROL_COUNTER(unet_stack_stats, mem_used),
	CONTROL_COUNTER(unet_stack_stats, mem_lwip),
	CONTROL_COUNTER(unet_stack_stats, mem_proxy),
	CONTROL_COUNTER(unet_stack_stats, mem_peak),
	CONTROL_COUNTER(unet_stack_stats, budget_frames_dropped),
	CONTROL_COUNTER(unet_stack_stats, budget_ooseq_squeezed),
	CONTROL_COUNTER(unet_stack_stats, family_off_drop),
	CONTROL_COUNTER(unet_stack_stats, nd_rs_in),
	CONTROL_COUNTER(unet_stack_stats, nd_ra_sent),
	CONTROL_COUNTER(unet_stack_stats, nd_na_sent),
	CONTROL_COUNTER(unet_stack_stats, nd_drop),
	CONTROL_COUNTER(unet_stack_stats, dhcp6_in),
	CONTROL_COUNTER(unet_stack_stats, dhcp6_out),
	CONTROL_COUNTER(unet_stack_stats, dhcp6_drop),
	CONTROL_COUNTER(unet_stack_stats, frag6_discarded),
	CONTROL_COUNTER(unet_stack_stats, tx_merged),
	CONTROL_COUNTER(unet_stack_stats, tx_merged_segs),
	CONTROL_COUNTER(unet_stack_stats, tx_tso),
	CONTROL_COUNTER(unet_stack_stats, tx_held),
};
static_assert(sizeof(size_t) + ARRAY_SIZE(control_stack_counters) *
				       sizeof(uint64_t) ==
		      sizeof(struct unet_stack_stats),
	      "a counter of struct unet_stack_stats is missing from "
	      "control_stack_counters");

static const char *const control_drop_names[] = {
	[UNET_DROP_SHORT] = "short",
	[UNET_DROP_LONG] = "long",
	[UNET_DROP_QUEUE_FULL] = "queue_full",
	[UNET_DROP_ERROR] = "error",
	[UNET_DROP_LOSS] = "loss",
	[UNET_DROP_OFFLOAD] = "offload",
};
static_assert(ARRAY_SIZE(control_drop_names) == UNET_DROP_NUM,
	      "one name per drop reason");

/* An object of the uint64_t counters of @st that @table names. */
static json_t *control_counters(const void *st,
				const struct control_counter *table, size_t n)
{
	json_t *o = json_object();
	uint64_t v;
	size_t i;

	for (i = 0; o != NULL && i < n; i++) {
		memcpy(&v, (const char *)st + table[i].off, sizeof(v));
		if (json_object_set_new(o, table[i].name,
					json_integer((json_int_t)v)) < 0) {
			json_decref(o);
			o = NULL;
		}
	}
	return o;
}

/* The walk of the ports, gathering the stats reply's "ports". */
struct control_port_walk {
	json_t *arr;
	bool failed;
};

static void control_port_one(void *opaque, unsigned int hub,
			     const struct unet_port *port)
{
	struct control_port_walk *w = opaque;
	const struct unet_port_stats *s = &port->stats;
	json_t *drops, *e;
	int i;

	drops = json_object();
	for (i = 0; drops != NULL && i < UNET_DROP_NUM; i++)
		if (json_object_set_new(drops, control_drop_names[i],
					json_integer((json_int_t)s->drops[i])) <
		    0) {
			json_decref(drops);
			drops = NULL;
		}
	e = drops == NULL ?
		    NULL :
		    json_pack("{s:i,s:s,s:s,s:I,s:I,s:I,s:I,s:o}", "hub",
			      (int)hub, "id", port->id, "type", port->ops->name,
			      "in_frames", (json_int_t)s->in_frames, "in_bytes",
			      (json_int_t)s->in_bytes, "out_frames",
			      (json_int_t)s->out_frames, "out_bytes",
			      (json_int_t)s->out_bytes, "drops", drops);
	if (e == NULL || json_array_append_new(w->arr, e) < 0)
		w->failed = true;
}

/* {"op": "stats"}: the proxy's, the stack's and every port's counters. */
static char *control_stats(struct control *c, const json_t *req)
{
	struct unet_proxy_stats ps = { .size = sizeof(ps) };
	struct unet_stack_stats ss = { .size = sizeof(ss) };
	struct control_port_walk w = { .arr = json_array() };
	json_t *proxy, *stack;
	int r;

	r = c->ops->proxy_stats(c->opaque, &ps);
	if (r == 0)
		r = c->ops->stack_stats(c->opaque, &ss);
	if (r < 0) {
		json_decref(w.arr);
		return control_errorf("stats: %s", strerror(-r));
	}
	if (w.arr == NULL)
		return NULL;
	c->ops->ports(c->opaque, control_port_one, &w);
	proxy = control_counters(&ps, control_proxy_counters,
				 ARRAY_SIZE(control_proxy_counters));
	stack = control_counters(&ss, control_stack_counters,
				 ARRAY_SIZE(control_stack_counters));
	if (w.failed || proxy == NULL || stack == NULL) {
		json_decref(w.arr);
		json_decref(proxy);
		json_decref(stack);
		return NULL;
	}
	return control_ok(json_pack("{s:o,s:o,s:o}", "proxy", proxy, "stack",
				    stack, "ports", w.arr));
}

/*
 * The flows reply is written as it is walked, one flow's object at a time,
 * so that a full table costs its text and not a tree of it.
 */
struct control_flow_walk {
	char *buf;
	size_t len;
	size_t cap;
	bool failed;
};

static void control_flow_put(struct control_flow_walk *w, const char *s)
{
	size_t n = strlen(s), cap;
	char *b;

	if (w->failed)
		return;
	if (w->len + n + 1 > w->cap) {
		cap = w->cap > 0 ? w->cap : 4096;
		while (cap < w->len + n + 1)
			cap *= 2;
		b = realloc(w->buf, cap);
		if (b == NULL) {
			w->failed = true;
			return;
		}
		w->buf = b;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, s, n + 1);
	w->len += n;
}

static void control_flow_side(const struct unet_flow_info *f, struct in_addr a4,
			      const struct in6_addr *a6, char *buf, size_t len)
{
	if (f->family == AF_INET6)
		inet_ntop(AF_INET6, a6, buf, (socklen_t)len);
	else
		inet_ntop(AF_INET, &a4, buf, (socklen_t)len);
}

static void control_flow_one(void *opaque, const struct unet_flow_info *f)
{
	struct control_flow_walk *w = opaque;
	char g[INET6_ADDRSTRLEN], r[INET6_ADDRSTRLEN];
	char *s;

	control_flow_side(f, f->guest_addr, &f->guest_addr6, g, sizeof(g));
	control_flow_side(f, f->remote_addr, &f->remote_addr6, r, sizeof(r));
	s = jsonreply_take(json_pack(
		"{s:s,s:s,s:b,s:s,s:s,s:i,s:s,s:i,s:I,s:I,s:I,s:I}", "proto",
		control_proto_name(f->proto), "family",
		f->family == AF_INET6 ? "ipv6" : "ipv4", "inbound", f->inbound,
		"state", unet_flow_state_name(f->state), "guest_addr", g,
		"guest_port", (int)f->guest_port, "remote_addr", r,
		"remote_port", (int)f->remote_port, "bytes_out",
		(json_int_t)f->bytes_out, "bytes_in", (json_int_t)f->bytes_in,
		"idle_ms", (json_int_t)f->idle_ms, "age_ms",
		(json_int_t)f->age_ms));
	if (s == NULL) {
		w->failed = true;
		return;
	}
	if (w->len > 0 && w->buf[w->len - 1] == '}')
		control_flow_put(w, ",");
	control_flow_put(w, s);
	free(s);
}

/* {"op": "flows"}: the flow table. */
static char *control_flows(struct control *c, const json_t *req)
{
	struct control_flow_walk w = { 0 };
	int r;

	control_flow_put(&w, "{\"ok\":true,\"flows\":[");
	r = c->ops->flows(c->opaque, control_flow_one, &w);
	control_flow_put(&w, "]}");
	if (r < 0 || w.failed) {
		free(w.buf);
		return r < 0 ? control_errorf("flows: %s", strerror(-r)) : NULL;
	}
	return w.buf;
}

/* {"op": "policy_stats"}: the egress policy's totals and each rule's hits. */
static char *control_policy_stats(struct control *c, const json_t *req)
{
	struct unet_policy_stats st = { .size = sizeof(st) };
	uint64_t *hits;
	json_t *arr;
	int n, i;

	(void)req;
	if (c->ops->policy_stats == NULL)
		return control_error("policy_stats: no egress policy here");
	hits = calloc(UNET_POLICY_RULES_MAX, sizeof(*hits));
	if (hits == NULL)
		return NULL;
	n = c->ops->policy_stats(c->opaque, &st, hits, UNET_POLICY_RULES_MAX);
	if (n < 0) {
		free(hits);
		return control_errorf("policy_stats: %s", strerror(-n));
	}
	arr = json_array();
	for (i = 0; arr != NULL && i < n; i++) {
		if (json_array_append_new(
			    arr, json_integer((json_int_t)hits[i])) < 0) {
			json_decref(arr);
			arr = NULL;
		}
	}
	free(hits);
	if (arr == NULL)
		return NULL;
	return control_ok(json_pack(
		"{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:o}",
		"rules", (json_int_t)st.rules, "allowed",
		(json_int_t)st.allowed, "denied", (json_int_t)st.denied,
		"default", (json_int_t)st.default_hits, "callback_allowed",
		(json_int_t)st.callback_allowed, "callback_denied",
		(json_int_t)st.callback_denied, "audit_lines",
		(json_int_t)st.audit_lines, "audit_suppressed",
		(json_int_t)st.audit_suppressed, "audit_errors",
		(json_int_t)st.audit_errors, "names_learned",
		(json_int_t)st.names_learned, "names_evicted",
		(json_int_t)st.names_evicted, "names_expired",
		(json_int_t)st.names_expired, "names", (json_int_t)st.names,
		"dns_refused", (json_int_t)st.dns_refused, "hits", arr));
}

/*
 * A policy that did not parse, for the reply: the parser's message with
 * every byte outside printable ASCII as '?' (a file may hold anything, and
 * JSON strings are UTF-8), and the line it names after "@name:" (0 when
 * it names none: a file that does not open).
 */
static char *control_policy_error(const char *name, const char *err)
{
	char msg[320];
	size_t i, n = strlen(name);
	unsigned long line = 0;

	snprintf(msg, sizeof(msg), "policy_set: %s", err);
	for (i = 0; msg[i] != '\0'; i++)
		if (msg[i] < 0x20 || msg[i] > 0x7e)
			msg[i] = '?';
	if (strncmp(err, name, n) == 0 && err[n] == ':' && err[n + 1] >= '0' &&
	    err[n + 1] <= '9')
		line = strtoul(err + n + 1, NULL, 10);
	return jsonreply_take(json_pack("{s:b,s:s,s:I}", "ok", 0, "error", msg,
					"line", (json_int_t)line));
}

/*
 * Reads the policy file @path into *@out (NUL-terminated, malloc'ed):
 * a regular file of at most CONTROL_POLICY_FILE_MAX bytes, opened
 * non-blocking so that a FIFO or a device named by mistake cannot stall
 * the loop. Returns its length or a negative errno (-EINVAL: not a
 * regular file; -EFBIG: too large).
 */
static ssize_t control_policy_read(const char *path, char **out)
{
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd, r = 0;

	*out = NULL;
	fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0)
		r = -errno;
	else if (!S_ISREG(st.st_mode))
		r = -EINVAL;
	else if (st.st_size > CONTROL_POLICY_FILE_MAX)
		r = -EFBIG;
	else if ((buf = malloc(CONTROL_POLICY_FILE_MAX + 1)) == NULL)
		r = -ENOMEM;
	while (r == 0 && len <= CONTROL_POLICY_FILE_MAX) {
		n = read(fd, buf + len, CONTROL_POLICY_FILE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r = -errno;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (r == 0 && len > CONTROL_POLICY_FILE_MAX)
		r = -EFBIG;
	if (r < 0) {
		free(buf);
		return r;
	}
	buf[len] = '\0';
	*out = buf;
	return (ssize_t)len;
}

/*
 * {"op": "policy_set", "rules": TEXT | "file": PATH, "default": "allow" |
 * "deny", "flows": "keep" | "cut"}: a new egress policy (with "default",
 * its default verdict), or with neither rules nor file a new default for
 * the policy in force. Nothing changes unless it all parses.
 */
static char *control_policy_set(struct control *c, const json_t *req)
{
	const char *rules, *file, *def, *flows;
	bool has_rules, has_file, has_def, has_flows;
	struct unet_policy_stats st = { .size = sizeof(st) };
	struct unet_policy *p = NULL;
	enum unet_policy_verdict v = UNET_POLICY_ALLOW;
	unsigned int flags = UNET_POLICY_KEEP_FLOWS;
	char err[256], *text = NULL;
	ssize_t len = 0;
	int r, cut;

	if (c->ops->policy_set == NULL || c->ops->policy_default == NULL)
		return control_error("policy_set: no egress policy here");
	rules = control_str(req, "rules", &has_rules);
	file = control_str(req, "file", &has_file);
	def = control_str(req, "default", &has_def);
	flows = control_str(req, "flows", &has_flows);
	if ((has_rules && rules == NULL) || (has_file && file == NULL))
		return control_error(
			"policy_set: rules and file are strings without NUL bytes");
	if (has_rules && has_file)
		return control_error("policy_set: rules or file, not both");
	if (!has_rules && !has_file && !has_def)
		return control_error("policy_set: give rules, file or default");
	if (has_def && (def == NULL || (strcmp(def, "allow") != 0 &&
					strcmp(def, "deny") != 0)))
		return control_error(
			"policy_set: default must be \"allow\" or \"deny\"");
	if (has_def)
		v = strcmp(def, "allow") == 0 ? UNET_POLICY_ALLOW :
						UNET_POLICY_DENY;
	if (has_flows && (flows == NULL || (strcmp(flows, "keep") != 0 &&
					    strcmp(flows, "cut") != 0)))
		return control_error(
			"policy_set: flows must be \"keep\" or \"cut\"");
	if (has_flows && strcmp(flows, "cut") == 0)
		flags = UNET_POLICY_CUT_FLOWS;
	if (has_file) {
		len = control_policy_read(file, &text);
		if (len < 0)
			return control_errorf("policy_set: the file: %s",
					      len == -EINVAL ?
						      "not a regular file" :
						      strerror((int)-len));
	} else if (has_rules) {
		len = (ssize_t)strlen(rules);
	}
	r = !has_file && !has_rules ?
		    0 :
		    unet_policy_parse(has_file ? text : rules, (size_t)len,
				      has_file ? "file" : "rules", &p, err,
				      sizeof(err));
	free(text);
	if (r == -EINVAL)
		return control_policy_error(has_file ? "file" : "rules", err);
	if (r < 0)
		return control_errorf("policy_set: %s", strerror(-r));
	if (p != NULL && has_def)
		unet_policy_set_default(p, v);
	cut = p != NULL ? c->ops->policy_set(c->opaque, p, flags) :
			  c->ops->policy_default(c->opaque, v, flags);
	unet_policy_free(p);
	if (cut < 0)
		return control_errorf("policy_set: %s", strerror(-cut));
	r = c->ops->policy_stats != NULL ?
		    c->ops->policy_stats(c->opaque, &st, NULL, 0) :
		    0;
	return control_ok(json_pack(
		"{s:I,s:s,s:i}", "rules", (json_int_t)(r > 0 ? r : 0), "flows",
		flags == UNET_POLICY_CUT_FLOWS ? "cut" : "keep", "cut", cut));
}

/* {"op": "log_level"[, "level": NAME]}: the level in force, after a change. */
static char *control_log_level(struct control *c, const json_t *req)
{
	const char *name;
	bool present;
	int i;

	name = control_str(req, "level", &present);
	if (present) {
		for (i = 0; name != NULL && i < UNET_LOG_LEVEL_NUM; i++)
			if (strcmp(name, control_level_names[i]) == 0)
				break;
		if (name != NULL && strcmp(name, "warn") == 0)
			i = UNET_LOG_WARN;
		if (name == NULL || i == UNET_LOG_LEVEL_NUM)
			return control_error(
				"log_level: level must be \"error\", \"warning\", \"info\" or \"debug\"");
		c->level = (enum unet_log_level)i;
		c->ops->set_log_level(c->opaque, c->level);
	}
	return control_ok(
		json_pack("{s:s}", "level", control_level_names[c->level]));
}

/* {"op": "version"} */
static char *control_version(struct control *c, const json_t *req)
{
	return control_ok(json_pack("{s:s,s:i}", "version", UNET_VERSION_STRING,
				    "protocol", CONTROL_PROTOCOL));
}

static char *control_help(struct control *c, const json_t *req);

/**
 * struct control_op - one operation of the protocol
 * @name: its "op"
 * @members: the members its request may have besides "op", NULL-ended
 * @fn: answers it; NULL when memory ran out
 */
struct control_op {
	const char *name;
	const char *const *members;
	char *(*fn)(struct control *c, const json_t *req);
};

static const char *const control_no_members[] = { NULL };
static const char *const control_fwd_add_members[] = {
	"proto", "host_addr", "host_port", "guest_addr", "guest_port", NULL,
};
static const char *const control_fwd_remove_members[] = { "id", NULL };
static const char *const control_log_level_members[] = { "level", NULL };
static const char *const control_policy_set_members[] = {
	"rules", "file", "default", "flows", NULL,
};

static const struct control_op control_op_table[] = {
	{ "version", control_no_members, control_version },
	{ "help", control_no_members, control_help },
	{ "fwd_add", control_fwd_add_members, control_fwd_add },
	{ "fwd_list", control_no_members, control_fwd_list },
	{ "fwd_remove", control_fwd_remove_members, control_fwd_remove },
	{ "stats", control_no_members, control_stats },
	{ "flows", control_no_members, control_flows },
	{ "log_level", control_log_level_members, control_log_level },
	{ "policy_stats", control_no_members, control_policy_stats },
	{ "policy_set", control_policy_set_members, control_policy_set },
};

/* {"op": "help"}: the operations and their members. */
static char *control_help(struct control *c, const json_t *req)
{
	json_t *ops = json_object(), *m;
	size_t i, j;

	for (i = 0; ops != NULL && i < ARRAY_SIZE(control_op_table); i++) {
		m = json_array();
		for (j = 0; m != NULL && control_op_table[i].members[j] != NULL;
		     j++)
			if (json_array_append_new(
				    m, json_string(control_op_table[i]
							   .members[j])) < 0) {
				json_decref(m);
				m = NULL;
			}
		if (m == NULL ||
		    json_object_set_new(ops, control_op_table[i].name, m) < 0) {
			json_decref(ops);
			ops = NULL;
		}
	}
	if (ops == NULL)
		return NULL;
	return control_ok(json_pack("{s:o}", "ops", ops));
}

/* Whether every member of @req is "op" or one of @op's. */
static bool control_members_ok(const json_t *req, const struct control_op *op)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)req, key, v)
	{
		if (strcmp(key, "op") == 0)
			continue;
		for (i = 0; op->members[i] != NULL; i++)
			if (strcmp(key, op->members[i]) == 0)
				break;
		if (op->members[i] == NULL)
			return false;
	}
	return true;
}

/**
 * control_handle() - answer one request line
 * @c: the protocol's state
 * @req: the line's bytes, without its newline, not necessarily
 *	NUL-terminated
 * @len: how many
 *
 * Return: the reply, compact JSON on one line without its newline,
 * malloc'ed (the caller frees it); NULL only when memory ran out.
 */
char *control_handle(struct control *c, const char *req, size_t len)
{
	const struct control_op *op = NULL;
	const char *name;
	json_error_t jerr;
	json_t *root;
	bool present;
	char *reply;
	size_t i;

	if (len > CONTROL_LINE_MAX)
		return control_errorf("request longer than %d bytes",
				      CONTROL_LINE_MAX);
	root = json_loadb(req, len, CONTROL_JSON_FLAGS, &jerr);
	if (root == NULL)
		return control_errorf(
			json_error_code(&jerr) == json_error_numeric_overflow ?
				"a number too large (at byte %d)" :
				"not JSON (at byte %d)",
			jerr.position);
	if (!json_is_object(root)) {
		json_decref(root);
		return control_error("not a JSON object");
	}
	name = control_str(root, "op", &present);
	for (i = 0; name != NULL && i < ARRAY_SIZE(control_op_table); i++)
		if (strcmp(name, control_op_table[i].name) == 0)
			op = &control_op_table[i];
	if (!present)
		reply = control_error("no \"op\" member");
	else if (op == NULL)
		reply = control_error("unknown op (try {\"op\":\"help\"})");
	else if (!control_members_ok(root, op))
		reply = control_errorf(
			"%s: unknown member (try {\"op\":\"help\"})", op->name);
	else
		reply = op->fn(c, root);
	json_decref(root);
	return reply;
}
