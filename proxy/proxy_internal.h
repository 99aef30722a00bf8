/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the proxy's files: the proxy, the flow base and table
 * (flow.c), and the per-protocol entry points.
 *
 * Layers, each calling only those below it: proxy.c (the proxy object, its
 * configuration and counters, the dispatch of the stack's packets) above
 * tcp.c, udp.c, icmp.c and fwd.c (fwd.c hands TCP connections to tcp.c),
 * above flow.c (the table, the flow base, the proxy's handle count, address
 * mapping and output), above limits.c (the caps).
 *
 * Ownership: every flow is in the proxy's list (and, when it has a guest-side
 * key, in the hash table) from unet__flow_add() until unet__flow_remove().
 * A flow owns its host handles (unet__flow_hold()); flow.c frees it through
 * its ops once they are closed. The proxy counts handles still open
 * (unet__flow_proxy_ref()/unet__flow_proxy_unref()); its memory is freed
 * when the last one is closed after unet_proxy_close().
 */
#ifndef USERNET_PROXY_INTERNAL_H
#define USERNET_PROXY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <uv.h>

#include <usernet/proxy.h>

#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"

#include "hostbuf.h"
#include "names.h"
#include "policy_internal.h"
#include "stack_proxy.h"

#include "wire/log.h"
#include "wire/util.h"

struct proxy_flow;
struct proxy_fwd;
struct tcp_flow;

/** Buckets of the table of guest addresses holding flows: 2^this. */
#define PROXY_GUEST_BITS 8

/**
 * Bytes a TCP flow reads from its host socket at a time: a quarter of
 * lwIP's send buffer, so that a bulk flow refills it in few system calls.
 */
#define PROXY_RBUF (256 * 1024)

/**
 * enum proxy_proto - the protocols a flow carries, each with its own cap
 * @PROXY_PROTO_TCP: TCP
 * @PROXY_PROTO_UDP: UDP
 * @PROXY_PROTO_ICMP: ICMP and ICMPv6 echo
 * @PROXY_PROTO_NUM: the number of them
 */
enum proxy_proto {
	PROXY_PROTO_TCP,
	PROXY_PROTO_UDP,
	PROXY_PROTO_ICMP,
	PROXY_PROTO_NUM
};

/**
 * struct proxy_guest - the flows one guest address holds
 * @next: next in its hash bucket
 * @family: AF_INET or AF_INET6
 * @addr: the guest's address
 * @flows: per protocol
 * @total: all protocols together (the record is freed at 0)
 */
struct proxy_guest {
	struct proxy_guest *next;
	sa_family_t family;
	union unet_ip_addr addr;
	unsigned int flows[PROXY_PROTO_NUM];
	unsigned int total;
};

/*
 * Whether two addresses of @family are the same: IPv4 compares its one
 * 32-bit word, as before IPv6 (the hot path stays as it was).
 */
static inline bool proxy_addr_eq(sa_family_t family,
				 const union unet_ip_addr *a,
				 const union unet_ip_addr *b)
{
	if (family == AF_INET)
		return a->v4 == b->v4;
	return memcmp(a->v6, b->v6, sizeof(a->v6)) == 0;
}

/* An address of @family folded to 32 bits, for hashing. */
static inline uint32_t proxy_addr_fold(sa_family_t family,
				       const union unet_ip_addr *a)
{
	uint32_t w[4];

	if (family == AF_INET)
		return a->v4;
	memcpy(w, a->v6, sizeof(w));
	return w[0] ^ w[1] ^ (w[2] * 0x9e3779b1u) ^ (w[3] * 0x85ebca6bu);
}

/** Bytes of a guest datagram's headers a flow keeps, to quote it. */
#define PROXY_QUOTE_HEAD_MAX 96

/**
 * struct proxy_quote - the headers of the last datagram a guest sent through
 * a UDP or ping flow, as the guest sent them: what an ICMP error about it
 * quotes (icmp_err.c)
 * @len: bytes in @head; 0 until the flow has sent a datagram
 * @hlen: of which the IP header (IPv4 options, IPv6 extension headers)
 * @head: the IP header, then the 8 bytes of the UDP or ICMP header
 */
struct proxy_quote {
	uint8_t len;
	uint8_t hlen;
	uint8_t head[PROXY_QUOTE_HEAD_MAX];
};

/**
 * struct proxy_sockopts - the per-datagram options a flow's socket has now
 * (icmp_err.c sets them as each guest datagram asks)
 * @pmtudisc: IP_MTU_DISCOVER / IPV6_MTU_DISCOVER (-1: not set yet)
 * @ttl: IP_TTL / IPV6_UNICAST_HOPS (-1: not set yet)
 */
struct proxy_sockopts {
	int pmtudisc;
	int ttl;
};

/**
 * struct proxy_sock_err - an error a host socket reported, read from its
 * error queue (IP_RECVERR), with the addresses as the guest sees them
 * @family: the socket's family, AF_INET or AF_INET6
 * @origin: SO_EE_ORIGIN_LOCAL, SO_EE_ORIGIN_ICMP or SO_EE_ORIGIN_ICMP6
 * @type: the ICMP or ICMPv6 type the host received (origin ICMP, ICMP6)
 * @code: its code
 * @err: the errno it stands for
 * @info: the MTU of a fragmentation needed, packet too big or local
 *        EMSGSIZE
 * @has_offender: @offender holds the address that sent the ICMP error
 * @offender: that address, of @family
 * @dst: the destination of the datagram in error, of @family
 * @dport: its port (host order), 0 when the report does not say
 * @payload: what the report quotes of the datagram: for UDP the payload
 *           after the UDP header, for a ping socket the ICMP header and on
 * @payload_len: its length
 */
struct proxy_sock_err {
	sa_family_t family;
	uint8_t origin;
	uint8_t type;
	uint8_t code;
	int err;
	uint32_t info;
	bool has_offender;
	union unet_ip_addr offender;
	union unet_ip_addr dst;
	uint16_t dport;
	const uint8_t *payload;
	size_t payload_len;
};

/**
 * struct proxy_icmp_error - an ICMP or ICMPv6 error for the guest
 * @type: WIRE_ICMP_UNREACH, WIRE_ICMP6_PACKET_TOO_BIG, ...
 * @code: the type's code
 * @data: the 32 bits after the checksum (the MTU of a fragmentation needed
 *        or packet too big, else 0)
 */
struct proxy_icmp_error {
	uint8_t type;
	uint8_t code;
	uint32_t data;
};

/**
 * struct proxy_flow_ops - what differs between kinds of flow
 * @close: close the flow now (both sides), for unet_proxy_close(), the UDP
 *         cap's eviction and the idle timeout; it begins with
 *         unet__flow_close_begin()
 * @state: the state shown in the flow table
 * @free: free the flow (and what it still holds); called by flow.c once
 *        the last of its handles is closed
 * @cut: close the flow because a new egress policy denies it
 *       (unet__flow_recheck()); NULL where @close does
 */
struct proxy_flow_ops {
	void (*close)(struct proxy_flow *flow);
	enum unet_flow_state (*state)(const struct proxy_flow *flow);
	void (*free)(struct proxy_flow *flow);
	void (*cut)(struct proxy_flow *flow);
};

/**
 * struct proxy_flow - the flow base: what every flow has. TCP, UDP, ICMP
 * and forwarded UDP flows embed it; flow.c keeps the table of them and the
 * life cycle they share
 * @hnext: next flow in the same hash bucket
 * @prev: previous flow in the proxy's list
 * @next: next flow in the proxy's list
 * @lru_prev: the flow of its protocol used just more recently
 * @lru_next: the flow of its protocol used just less recently
 * @ops: the kind of flow
 * @proxy: the proxy
 * @timer: the flow's one timer (idle expiry; TCP: connect, idle, stall)
 * @handles: uv handles opened (unet__flow_hold()) and not yet closed; the
 *           flow is freed when the last one is
 * @closing: unet__flow_close_begin() was called
 * @proto: IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP or IPPROTO_ICMPV6
 * @inbound: opened from the host side (a forward)
 * @hashed: in the hash table (has a guest-side key)
 * @listed: in the flow table (between unet__flow_add() and
 *          unet__flow_remove()), and so on its protocol's recency list
 * @family: the guest side's family, AF_INET or AF_INET6: which member of
 *          @guest_addr and @remote_addr holds the address
 * @guest_addr: the guest's address
 * @guest_port: the guest's port or ICMP id (host order)
 * @remote_addr: the other side's address as the guest sees it
 * @remote_port: its port (host order); 0 for UDP flows (one per guest port)
 * @bytes_out: guest to host bytes
 * @bytes_in: host to guest bytes
 * @last_ns: when the flow last carried something (hub clock)
 * @created_ns: when the flow entered the table (hub clock)
 * @decided: an outbound flow that entered the table: it passed the egress
 *           decision, and its end goes to the audit log (audit.c)
 * @egress_dst: the host-side destination the egress policy let out: a TCP
 *              or echo flow's one destination, a UDP flow's last
 *              datagram's; AF_UNSPEC (zero) for forwards and before
 *              anything went out. A new policy decides the flow again on
 *              it (unet__flow_recheck())
 */
struct proxy_flow {
	struct proxy_flow *hnext;
	struct proxy_flow *prev;
	struct proxy_flow *next;
	struct proxy_flow *lru_prev;
	struct proxy_flow *lru_next;
	const struct proxy_flow_ops *ops;
	struct unet_proxy *proxy;
	struct unet_timer timer;
	int handles;
	bool closing;
	int proto;
	bool inbound;
	bool hashed;
	bool listed;
	sa_family_t family;
	union unet_ip_addr guest_addr;
	uint16_t guest_port;
	union unet_ip_addr remote_addr;
	uint16_t remote_port;
	uint64_t bytes_out;
	uint64_t bytes_in;
	uint64_t last_ns;
	uint64_t created_ns;
	bool decided;
	union unet_sockaddr egress_dst;
};

/**
 * struct proxy_egress - the proxy's copy of its egress policy and counters
 * @policy: the policy (unet__policy_dup()), NULL for none
 * @hits: one hit counter per rule of @policy
 * @allowed: decisions that allowed
 * @denied: decisions that refused
 * @default_hits: decisions the default verdict made
 * @callback_allowed: decisions the embedder's callback made allow
 * @callback_denied: decisions it made deny
 * @names: the names the guest resolved addresses from (names.c)
 * @dns_refused: DNS queries the policy refused
 */
struct proxy_egress {
	struct unet_policy *policy;
	uint64_t *hits;
	uint64_t allowed;
	uint64_t denied;
	uint64_t default_hits;
	uint64_t callback_allowed;
	uint64_t callback_denied;
	struct unet__names names;
	uint64_t dns_refused;
};

/** Slots of the audit log's memory of UDP and ICMP decisions written. */
#define PROXY_AUDIT_SEEN 256

/**
 * struct proxy_audit_seen - a UDP or ICMP decision the audit log wrote
 * @key: a hash of its protocol, addresses, ports and verdict (0: free)
 * @until: until when (hub clock, ns) the same decision is not written again
 */
struct proxy_audit_seen {
	uint64_t key;
	uint64_t until;
};

/**
 * struct proxy_audit - the audit log's rate limits and counters (audit.c)
 * @deny_tat: the token bucket of denied decisions (a theoretical arrival
 *            time on the hub clock, ns; unet__gcra_admit())
 * @allow_tat: the bucket of allowed decisions and flow ends
 * @pending: lines suppressed since the last "suppressed" line
 * @said_ns: when the last "suppressed" line was written (hub clock)
 * @said: a "suppressed" line was written (@said_ns is valid)
 * @lines: lines the callback took
 * @suppressed: lines the rate limits held back
 * @errors: lines the callback lost, or too long
 * @seen: the UDP and ICMP decisions written lately, direct-mapped
 */
struct proxy_audit {
	uint64_t deny_tat;
	uint64_t allow_tat;
	uint64_t pending;
	uint64_t said_ns;
	bool said;
	uint64_t lines;
	uint64_t suppressed;
	uint64_t errors;
	struct proxy_audit_seen seen[PROXY_AUDIT_SEEN];
};

/**
 * struct unet_proxy - the NAT proxy of one stack
 * @stack: the stack
 * @hub: its hub
 * @loop: the hub's loop
 * @cfg: the configuration
 * @stats: counters
 * @buckets: the flow hash table
 * @nbuckets: its size, a power of two
 * @flows: every flow, newest first
 * @lru_head: per protocol, its most recently used flow
 * @lru_tail: per protocol, its least recently used flow
 * @nflows: per protocol, the flows open now
 * @cap: per protocol, the most flows at once (unet__proxy_size_caps())
 * @listeners: per guest-side TCP port, the lwIP listener that accepts
 *             connect-first handshakes (made on demand, kept until close)
 * @fwds: host-to-guest forwards
 * @refs: host handles still open (the proxy is freed when 0 after close)
 * @closing: unet_proxy_close() was called
 * @ping_warned: the host refused ICMP sockets and this was logged once
 * @log_rl: the rate limit of guest-triggered log messages
 * @icmp_err_tat: the rate limit of the ICMP errors sent to the guest, a
 *                token bucket kept as its theoretical arrival time (hub
 *                clock, ns; icmp_err.c)
 * @rbuf: where every TCP flow reads its host socket into (PROXY_RBUF
 *        bytes), to be copied into lwIP at once
 * @tcp_spare: where a TCP flow whose segments are long reads instead
 *             (PROXY_RBUF bytes, allocated on first use): a long read
 *             becomes lwIP's segments as it is (stack/hostbuf.c), and the
 *             next read gets a new buffer
 * @tcp_turn: the TCP flows that wrote guest data to the host in this loop
 *            turn (tcp.c), linked through their own struct
 * @tcp_turn_end: the loop's check phase, while @tcp_turn is not empty: what
 *                those flows queued since goes out
 * @tcp_turn_idle: keeps the loop from blocking before @tcp_turn_end while
 *                 bytes wait for it
 * @guests: the guest addresses that hold flows, hashed
 * @egress: the egress policy and its counters (egress.c)
 * @audit: the audit log's state (audit.c)
 */
struct unet_proxy {
	struct unet_stack *stack;
	struct unet_hub *hub;
	uv_loop_t *loop;
	struct unet_proxy_config cfg;
	struct unet_proxy_stats stats;
	struct proxy_flow **buckets;
	size_t nbuckets;
	struct proxy_flow *flows;
	struct proxy_flow *lru_head[PROXY_PROTO_NUM];
	struct proxy_flow *lru_tail[PROXY_PROTO_NUM];
	unsigned int nflows[PROXY_PROTO_NUM];
	unsigned int cap[PROXY_PROTO_NUM];
	struct tcp_pcb **listeners;
	struct proxy_fwd *fwds;
	unsigned int refs;
	bool closing;
	bool ping_warned;
	struct unet__ratelimit log_rl;
	uint64_t icmp_err_tat;
	char *rbuf;
	struct unet__hostbuf *tcp_spare;
	struct tcp_flow *tcp_turn;
	uv_check_t tcp_turn_end;
	uv_idle_t tcp_turn_idle;
	struct proxy_guest *guests[1u << PROXY_GUEST_BITS];
	struct proxy_egress egress;
	struct proxy_audit audit;
};

/*
 * Logs what a guest caused (or a peer: a forward's), rate-limited for the
 * whole proxy (wire/log.h); at info level, or at debug level for what a
 * guest does routinely or on purpose (spoofed sources, floods against a
 * cap). @... is a format string literal and its arguments.
 */
#define PROXY_LOG_GUEST(proxy, ...)                                      \
	unet__log_limited((proxy)->hub, &(proxy)->log_rl, UNET_LOG_INFO, \
			  "proxy: " __VA_ARGS__)
#define PROXY_DEBUG_GUEST(proxy, ...)                                     \
	unet__log_limited((proxy)->hub, &(proxy)->log_rl, UNET_LOG_DEBUG, \
			  "proxy: " __VA_ARGS__)

/* flow.c: the flow table */
int unet__flow_table_init(struct unet_proxy *proxy);
void unet__flow_table_free(struct unet_proxy *proxy);
struct proxy_flow *
unet__flow_find(struct unet_proxy *proxy, int proto, sa_family_t family,
		const union unet_ip_addr *guest_addr, uint16_t guest_port,
		const union unet_ip_addr *remote_addr, uint16_t remote_port);
int unet__flow_add(struct proxy_flow *flow);
void unet__flow_remove(struct proxy_flow *flow);
void unet__flow_touch(struct proxy_flow *flow);
void unet__flow_close_all(struct unet_proxy *proxy);
unsigned int unet__flow_recheck(struct unet_proxy *proxy,
				bool (*denied)(struct unet_proxy *proxy,
					       const struct proxy_flow *flow));

/* flow.c: the flow base's life cycle */
void unet__flow_init(struct proxy_flow *flow, struct unet_proxy *proxy,
		     const struct proxy_flow_ops *ops, int proto);
void unet__flow_hold(struct proxy_flow *flow, uv_handle_t *handle);
void unet__flow_timer_init(struct proxy_flow *flow);
void unet__flow_handle_closed(uv_handle_t *handle);
bool unet__flow_close_begin(struct proxy_flow *flow);
void unet__flow_idle_start(struct proxy_flow *flow);
uint64_t unet__flow_idle_left(const struct proxy_flow *flow,
			      unsigned int timeout_ms);

/* flow.c: the proxy's open handles, its addresses on both sides, output */
void unet__flow_proxy_ref(struct unet_proxy *proxy);
void unet__flow_proxy_unref(struct unet_proxy *proxy);
int unet__flow_map_out(struct unet_proxy *proxy, const struct unet_ip_pkt *pkt,
		       union unet_sockaddr *sa);
bool unet__flow_out_addr(const struct unet_proxy *proxy, sa_family_t family,
			 union unet_sockaddr *sa);
int unet__flow_bind_out(const struct unet_proxy *proxy, int fd,
			sa_family_t family);
int unet__flow_socket(const struct unet_proxy *proxy, sa_family_t family,
		      int type, int protocol);
int unet__flow_check_out(struct unet_proxy *proxy);
bool unet__flow_fwd_src(const struct unet_proxy *proxy,
			const union unet_sockaddr *peer, sa_family_t family,
			ip_addr_t *src, union unet_ip_addr *remote,
			uint16_t *port);
uint32_t unet__flow_map_in(const struct unet_proxy *proxy, uint32_t src);
void unet__flow_map_in6(const struct unet_proxy *proxy, const uint8_t *src,
			uint8_t *out);
err_t unet__flow_output(struct unet_proxy *proxy, struct pbuf *p, uint32_t src,
			uint32_t dst, uint8_t proto);
err_t unet__flow_output6(struct unet_proxy *proxy, struct pbuf *p,
			 const uint8_t *src, const uint8_t *dst, uint8_t proto);
const char *unet__flow_addr_str(sa_family_t family,
				const union unet_ip_addr *addr, char *buf,
				size_t len);
const char *unet__sockaddr_str(const union unet_sockaddr *sa, char *buf,
			       size_t len);

/* icmp_err.c: ICMP errors for the guest, from what host sockets report */
bool unet__icmp_err_map(const struct proxy_sock_err *e,
			struct proxy_icmp_error *m);
size_t unet__icmp_err_quote(uint8_t *out, size_t cap,
			    const struct proxy_quote *q, uint8_t proto,
			    const struct proxy_sock_err *e, uint16_t guest_id);
size_t unet__icmp_err_build(uint8_t *out, size_t cap, sa_family_t family,
			    const struct proxy_icmp_error *m,
			    const union unet_ip_addr *src,
			    const union unet_ip_addr *dst, const uint8_t *quote,
			    size_t quote_len);
bool unet__icmp_err_admit(uint64_t *tat, uint64_t now_ns);
void unet__icmp_err_sock_init(struct unet_proxy *proxy, int fd,
			      sa_family_t family);
void unet__icmp_err_keep(struct proxy_quote *q, const struct pbuf *p,
			 const struct unet_ip_pkt *pkt);
unsigned int unet__icmp_err_drain(struct proxy_flow *flow, int fd,
				  const struct proxy_quote *q);
void unet__icmp_err_reply(struct unet_proxy *proxy, const struct pbuf *orig,
			  sa_family_t family, const struct proxy_icmp_error *m);
void unet__icmp_err_sockopts(int fd, sa_family_t family,
			     struct proxy_sockopts *cur, const struct pbuf *p,
			     const struct unet_ip_pkt *pkt);
void unet__icmp_err_prohibited(struct unet_proxy *proxy,
			       const struct pbuf *orig, sa_family_t family);
void unet__icmp_err_send_failed(struct proxy_flow *flow, int fd,
				const struct proxy_quote *q,
				const struct pbuf *p, int err);

/* limits.c: the caps and the file descriptors behind them */
enum proxy_proto unet__proxy_proto(int ipproto);
const char *unet__proxy_proto_name(enum proxy_proto proto);
void unet__proxy_size_caps(struct unet_proxy *proxy);
unsigned int unet__proxy_guest_cap(const struct unet_proxy *proxy,
				   enum proxy_proto proto);
int unet__proxy_guest_admit(struct unet_proxy *proxy, sa_family_t family,
			    const union unet_ip_addr *addr,
			    enum proxy_proto proto);
void unet__proxy_guest_release(struct unet_proxy *proxy, sa_family_t family,
			       const union unet_ip_addr *addr,
			       enum proxy_proto proto);

/* tcp.c */
enum unet_verdict unet__tcp_packet(struct unet_proxy *proxy, struct pbuf *p,
				   const struct unet_ip_pkt *pkt);
int unet__tcp_inbound(struct unet_proxy *proxy, uv_stream_t *server,
		      const union unet_sockaddr *guest);
void unet__tcp_close_listeners(struct unet_proxy *proxy);
void unet__tcp_turn_init(struct unet_proxy *proxy);
void unet__tcp_turn_close(struct unet_proxy *proxy);

/* udp.c: a datagram lwIP accepted; DROP when the proxy took it */
enum unet_verdict unet__udp_datagram(struct unet_proxy *proxy, struct pbuf *p,
				     const struct unet_ip_pkt *pkt);

/* icmp.c: a message lwIP accepted; DROP when the proxy took it */
enum unet_verdict unet__icmp_datagram(struct unet_proxy *proxy, struct pbuf *p,
				      const struct unet_ip_pkt *pkt);

/* egress.c: the egress policy as the proxy applies it */
int unet__egress_init(struct unet_proxy *proxy);
void unet__egress_free(struct unet_proxy *proxy);
bool unet__egress_decide(struct unet_proxy *proxy, int proto,
			 const union unet_sockaddr *dst,
			 const union unet_ip_addr *guest, uint16_t guest_port);

/* audit.c: the egress audit log */

/* The rule of a decision no rule made: the default verdict, the callback. */
#define PROXY_AUDIT_DEFAULT (-1)
#define PROXY_AUDIT_CALLBACK (-2)

/**
 * enum proxy_audit_event - the kinds of audit line
 * @PROXY_AUDIT_DECISION: a decision on a flow (or a datagram)
 * @PROXY_AUDIT_END: an allowed flow ended
 * @PROXY_AUDIT_SUPPRESSED: lines the rate limits held back since the last
 * @PROXY_AUDIT_EVENT_NUM: the number of them
 */
enum proxy_audit_event {
	PROXY_AUDIT_DECISION,
	PROXY_AUDIT_END,
	PROXY_AUDIT_SUPPRESSED,
	PROXY_AUDIT_EVENT_NUM
};

/**
 * struct proxy_audit_line - the fields of one audit line
 * @event: what it reports
 * @time_ns: when (ns since the Unix epoch, the library's clock)
 * @proto: IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP or IPPROTO_ICMPV6
 * @family: AF_INET or AF_INET6
 * @guest: the guest's address, of @family
 * @guest_port: its port or echo id
 * @has_dst: @dst and @dst_port say something (a UDP flow's end does not:
 *           the flow carried datagrams to any destination)
 * @dst: the host-side destination, of @family
 * @dst_port: its port (0 for ICMP)
 * @name: the DNS name @dst was learnt from, or NULL
 * @verdict: UNET_POLICY_ALLOW or UNET_POLICY_DENY (decisions)
 * @rule: the deciding rule's line, PROXY_AUDIT_DEFAULT or
 *        PROXY_AUDIT_CALLBACK (decisions)
 * @bytes_out: guest-to-host bytes (ends)
 * @bytes_in: host-to-guest bytes (ends)
 * @duration_ms: the flow's life (ends)
 * @count: lines suppressed (PROXY_AUDIT_SUPPRESSED)
 */
struct proxy_audit_line {
	enum proxy_audit_event event;
	uint64_t time_ns;
	int proto;
	sa_family_t family;
	union unet_ip_addr guest;
	uint16_t guest_port;
	bool has_dst;
	union unet_ip_addr dst;
	uint16_t dst_port;
	const char *name;
	int verdict;
	int rule;
	uint64_t bytes_out;
	uint64_t bytes_in;
	uint64_t duration_ms;
	uint64_t count;
};

size_t unet__audit_format(char *buf, size_t cap,
			  const struct proxy_audit_line *l);
bool unet__audit_admit(struct proxy_audit *a, bool deny, uint64_t now_ns);
bool unet__audit_repeat(struct proxy_audit *a, uint64_t key, uint64_t now_ns);
void unet__audit_decision(struct unet_proxy *proxy,
			  const struct unet_flow_desc *d, int verdict,
			  int rule);
void unet__audit_end(struct proxy_flow *flow);

/* names.c: the names the guest resolved, for the policy's name rules */
void unet__names_answer(struct unet_proxy *proxy,
			const struct unet_dns_answer *ans);
bool unet__names_query(struct unet_proxy *proxy, const char *name);
size_t unet__names_for_flow(struct unet_proxy *proxy, struct unet_flow_desc *d,
			    const char **names);

/* fwd.c */
void unet__fwd_close_all(struct unet_proxy *proxy);

#endif /* USERNET_PROXY_INTERNAL_H */
