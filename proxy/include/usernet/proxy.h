/* SPDX-License-Identifier: MIT */
/*
 * usernet proxy: carries the guest's TCP, UDP and ICMP echo, over IPv4 and
 * IPv6, over ordinary host sockets (NAT without privileges), and
 * host-to-guest forwards.
 *
 * TCP is connect-first: the guest's SYN is answered only once the host's
 * connect succeeded; a refused connect gives the guest a RST, an unreachable
 * one an ICMP (ICMPv6) error. Data crosses with back-pressure both ways, so
 * memory per flow is bounded. The gateway's address maps to the host's
 * 127.0.0.1, and its IPv6 address (the stack's ip6_host) to ::1, unless
 * loopback is turned off. Everything runs on the hub's loop.
 *
 * As with any libuv program that writes to sockets, the embedder must ignore
 * SIGPIPE (signal(SIGPIPE, SIG_IGN)): a host peer that closes first would
 * otherwise kill the process instead of giving the flow an EPIPE.
 */
#ifndef USERNET_PROXY_H
#define USERNET_PROXY_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include <usernet/hub.h>
#include <usernet/policy.h>
#include <usernet/stack.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct unet_proxy_config - how the proxy behaves
 * @size: sizeof(struct unet_proxy_config), see hub.h on versioned
 *        configurations
 * @loopback: the gateway's address reaches the host's 127.0.0.1, and its
 *            IPv6 address the host's ::1 (default true; QEMU's behaviour)
 * @restrict_guest: the guest reaches only the gateway's own services and the
 *                  forwards, nothing outside (QEMU's restrict=on; default
 *                  false): no TCP, UDP or ICMP flow opens, and the stack's
 *                  DNS forwarder refuses queries (unless the stack's
 *                  &unet_stack_config.restrict_dns keeps it on)
 * @max_flows: most flows at once, all protocols together (default 21504,
 *             the sum of the per-protocol defaults); past it, or past a
 *             protocol's own cap, new TCP gets a RST and new UDP or ICMP
 *             is dropped, counted (a UDP flow may first make room, see
 *             @max_udp_flows)
 * @udp_timeout_ms: an idle UDP flow expires after this (default 240000)
 * @icmp_timeout_ms: an idle ICMP echo flow expires after this (default 10000)
 * @tcp_connect_timeout_ms: a host connect not done by then gives the guest
 *                          a RST (default 30000)
 * @tcp_idle_timeout_ms: a TCP flow with no data either way for this long is
 *                       reset both ways; 0 never (default 0)
 * @max_tcp_flows: most TCP flows at once; 0 for the default, 16384
 * @max_udp_flows: most UDP flows at once; 0 for the default, 4096. At the
 *                 cap, the least recently used UDP flow is closed to make
 *                 room when it has been idle for a second or more (as
 *                 conntrack does under pressure), else the new one is
 *                 refused
 * @max_icmp_flows: most ICMP echo flows at once; 0 for the default, 1024
 * @tcp_stall_timeout_ms: a TCP flow whose host socket takes none of the
 *                        guest's data for this long is reset both ways
 *                        (a peer that stopped reading, or vanished); also
 *                        the host socket's TCP_USER_TIMEOUT; 0 never
 *                        (default 120000). Idle flows with nothing to
 *                        write are not touched.
 * @outbound: the host address every proxied IPv4 socket (TCP, UDP, ICMP
 *            echo) binds to before it connects or sends, port 0
 *            (slirp4netns's --outbound-addr); INADDR_ANY (the default)
 *            lets the host's routing choose. unet_proxy_new() fails with
 *            the bind's error (e.g. -EADDRNOTAVAIL) when a test socket
 *            cannot bind it
 * @outbound6: the same for IPv6 sockets (--outbound-addr6); :: (the
 *             default) lets the routing choose
 * @keepsrc: forwards keep the client's source: the guest sees a forwarded
 *           TCP connection (or UDP datagrams) come from the client's own
 *           address and port rather than the gateway's (default false).
 *           A client on the host's loopback (127.0.0.0/8, ::1), which
 *           the guest could not answer, is shown as the gateway's
 *           address of the guest side's family, as is a client of the
 *           other family than the forward's guest side. Replies reach
 *           the gateway as the guest's default route
 * @policy: the egress policy (usernet/policy.h), NULL for none (everything
 *          allowed, as before): which TCP connections, UDP datagrams and
 *          echo requests of the guest the proxy carries out. Copied by
 *          unet_proxy_new(), so the caller may free it then. The gateway's
 *          own services (DHCP, DNS, TFTP, router advertisements) and
 *          forwards are not governed by it; traffic to the gateway's
 *          address that reaches the host's loopback is, with 127.0.0.1 (or
 *          ::1) as its destination. restrict_guest and loopback=off refuse
 *          before the policy is asked. unet_proxy_set_policy() replaces it
 *          while the proxy runs
 * @decide: an embedder's own decision, asked before @policy's rules for
 *          every flow they govern (NULL for none); with no @policy, a
 *          flow it passes is allowed
 * @decide_opaque: passed to @decide
 * @audit: where the egress audit log goes, one JSON line per call (NULL,
 *         the default, for no log): a line per decision on a flow the
 *         guest opens (with or without @policy and @decide) and a line
 *         when an allowed flow ends; denied decisions are rate-limited
 *         (README "Audit log")
 * @audit_opaque: passed to @audit
 * @deny_tcp_icmp: a TCP connection the egress policy (or @decide) refuses
 *                 gets an ICMP administratively prohibited (type 3 code
 *                 13; ICMPv6 type 1 code 1) for its SYN, through the rate
 *                 limit of the ICMP errors, instead of a RST (default
 *                 false: a RST). The guest's connect then fails with
 *                 EHOSTUNREACH ("No route to host") rather than
 *                 ECONNREFUSED. restrict_guest, loopback=off and the caps
 *                 still answer with a RST
 * @names_ttl_min: seconds an address the guest resolved stays known for a
 *                 name at least, whatever the answer's TTL (default 30;
 *                 see usernet/policy.h on names)
 * @names_ttl_max: seconds it stays known at most (default 3600; at least
 *                 @names_ttl_min, at most 604800)
 * @names_max: most (address, name) pairs known at once; 0 for the
 *             default, 4096 (at most 1048576). Learning one more forgets
 *             the oldest
 * The caps are per protocol, so a flood of one protocol leaves the others
 * room. Every TCP, UDP (outbound) and ICMP flow holds one file descriptor:
 * unet_proxy_new() lowers the caps, in proportion, to what the process's
 * open-files limit (RLIMIT_NOFILE, soft) leaves after the descriptors open
 * then and a reserve for the gateway's services (DNS, TFTP) and forwards,
 * and logs it. unet_proxy_raise_nofile() raises the limit first.
 */
struct unet_proxy_config {
	size_t size;
	bool loopback;
	bool restrict_guest;
	unsigned int max_flows;
	unsigned int udp_timeout_ms;
	unsigned int icmp_timeout_ms;
	unsigned int tcp_connect_timeout_ms;
	unsigned int tcp_idle_timeout_ms;
	unsigned int max_tcp_flows;
	unsigned int max_udp_flows;
	unsigned int max_icmp_flows;
	unsigned int tcp_stall_timeout_ms;
	struct in_addr outbound;
	struct in6_addr outbound6;
	bool keepsrc;
	const struct unet_policy *policy;
	unet_policy_decide_fn decide;
	void *decide_opaque;
	unet_audit_fn audit;
	void *audit_opaque;
	bool deny_tcp_icmp;
	unsigned int names_ttl_min;
	unsigned int names_ttl_max;
	unsigned int names_max;
};

/**
 * union unet_sockaddr - a socket address of either family
 * @sa: the family, as a generic socket address
 * @in: an IPv4 address and port (AF_INET)
 * @in6: an IPv6 address and port (AF_INET6)
 */
union unet_sockaddr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/**
 * struct unet_fwd_ex - a host-to-guest forward of either family (QEMU's
 * hostfwd= with bracketed IPv6 addresses)
 * @proto: IPPROTO_TCP or IPPROTO_UDP
 * @host: where to listen on the host: an AF_INET or AF_INET6 address
 *        (the family's any address for all) and port (network order); port
 *        0 lets the kernel choose, and unet_proxy_fwd_add_ex() writes the
 *        chosen port back. An AF_INET6 forward listens on IPv6 only
 *        (IPV6_V6ONLY)
 * @guest: the guest's address and port: AF_INET (inside the stack's
 *         network) or AF_INET6 (inside its IPv6 prefix)
 *
 * The two sides' families are independent: an IPv4 host address may lead
 * to a guest's IPv6 address and the other way round, since the proxy
 * terminates the connection on each side. The guest sees the connection
 * (or datagrams) come from the gateway's address of the guest side's
 * family (the stack's host, or its ip6_host), or with
 * &unet_proxy_config.keepsrc from the client's own. What &struct unet_fwd says,
 * this says too; sin_zero and the IPv6 flow label and scope are ignored.
 */
struct unet_fwd_ex {
	int proto;
	union unet_sockaddr host;
	union unet_sockaddr guest;
};

/**
 * struct unet_fwd - a host-to-guest forward (QEMU's hostfwd=)
 * @proto: IPPROTO_TCP or IPPROTO_UDP
 * @host_addr: the host address to listen on (INADDR_ANY for all)
 * @host_port: the host port (network order); 0 lets the kernel choose, and
 *             unet_proxy_fwd_add() writes the chosen port back
 * @guest_addr: the guest's address (network order)
 * @guest_port: the guest's port (network order)
 */
struct unet_fwd {
	int proto;
	struct in_addr host_addr;
	uint16_t host_port;
	struct in_addr guest_addr;
	uint16_t guest_port;
};

/**
 * enum unet_flow_state - where a flow is, as the flow table shows it
 * @UNET_FLOW_CONNECTING: a TCP flow whose host connect (or, for a forward,
 *                        guest connect) is under way
 * @UNET_FLOW_ESTABLISHED: a TCP flow carrying data both ways
 * @UNET_FLOW_CLOSING: a TCP flow where a FIN crossed one way
 * @UNET_FLOW_ACTIVE: a UDP or ICMP echo flow
 * @UNET_FLOW_STATE_NUM: the number of states
 *
 * unet_flow_state_name() gives each a short name.
 */
enum unet_flow_state {
	UNET_FLOW_CONNECTING,
	UNET_FLOW_ESTABLISHED,
	UNET_FLOW_CLOSING,
	UNET_FLOW_ACTIVE,
	UNET_FLOW_STATE_NUM
};

/**
 * struct unet_flow_info - one flow, as the flow table shows it
 * @proto: IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP or IPPROTO_ICMPV6
 * @inbound: opened from the host side (a forward)
 * @state: where the flow is
 * @guest_addr: the guest's address (network order)
 * @guest_port: the guest's port, or ICMP echo id (host order)
 * @remote_addr: the address the guest sees on the other side
 * @remote_port: its port (host order)
 * @bytes_out: bytes from the guest to the host side
 * @bytes_in: bytes from the host side to the guest
 * @idle_ms: milliseconds since the flow last carried anything
 * @family: AF_INET, or AF_INET6 for a flow of the guest's IPv6 (its
 *          addresses are then in @guest_addr6 and @remote_addr6, and
 *          @guest_addr and @remote_addr are 0; @proto is IPPROTO_ICMPV6
 *          for an echo flow)
 * @guest_addr6: the guest's IPv6 address (@family AF_INET6)
 * @remote_addr6: the IPv6 address the guest sees on the other side
 * @age_ms: milliseconds since the flow opened (entered the table); never
 *          less than @idle_ms
 */
struct unet_flow_info {
	int proto;
	bool inbound;
	enum unet_flow_state state;
	struct in_addr guest_addr;
	uint16_t guest_port;
	struct in_addr remote_addr;
	uint16_t remote_port;
	uint64_t bytes_out;
	uint64_t bytes_in;
	uint64_t idle_ms;
	int family;
	struct in6_addr guest_addr6;
	struct in6_addr remote_addr6;
	uint64_t age_ms;
};

/**
 * struct unet_proxy_stats - counters of a proxy
 * @size: sizeof(struct unet_proxy_stats), set by the caller (see hub.h on
 *        versioned counters)
 * @flows: flows open now
 * @tcp_opened: TCP flows opened (both ways)
 * @udp_opened: UDP flows opened (both ways)
 * @icmp_opened: ICMP echo flows opened
 * @refused_limit: new flows refused because a cap was reached (the sum of
 *                 the three below)
 * @refused_policy: guest packets refused by restrict, loopback=off or the
 *                  egress policy (&unet_proxy_config.policy, .decide)
 * @tcp_refused: host connects refused (the guest got a RST)
 * @tcp_unreachable: host connects unreachable (the guest got ICMP)
 * @tcp_timeouts: host connects that timed out (the guest got a RST)
 * @dropped: guest packets dropped as malformed or unexpected
 * @udp_expired: UDP flows (outbound and from forwards) that expired idle
 * @refused_spoofed: guest packets dropped because their source is no
 *                   address a guest can have (the gateway's, the DNS
 *                   address, the network's or broadcast address, 0.0.0.0
 *                   but for DHCP, or outside the network): no host socket
 *                   is opened for them
 * @tcp_flows: TCP flows open now
 * @udp_flows: UDP flows open now (outbound and from forwards)
 * @icmp_flows: ICMP echo flows open now
 * @tcp_cap: the TCP cap in force (&unet_proxy_config.max_tcp_flows, lowered
 *           to fit the open-files limit and max_flows)
 * @udp_cap: the UDP cap in force
 * @icmp_cap: the ICMP cap in force
 * @tcp_refused_limit: new TCP flows refused at the cap (the guest got a RST)
 * @udp_refused_limit: new UDP flows refused at the cap (no idle flow to
 *                     make room)
 * @icmp_refused_limit: new ICMP echo flows refused at the cap
 * @udp_evicted: idle UDP flows closed to make room for a new one
 * @tcp_stalled: TCP flows reset because the host took none of the guest's
 *               data for &unet_proxy_config.tcp_stall_timeout_ms
 * @tcp_windows_shrunk: times a TCP flow's window toward the guest was kept
 *                      smaller than its whole because the memory budget
 *                      was short
 * @tcp_reads_deferred: host reads made smaller or put off because the memory
 *                      budget was short
 * @tcp_data_deferred: guest segments left to lwIP (offered again later)
 *                     because the host was backed up and the budget spent
 * @refused_guest_share: new flows refused because their guest address held
 *                       three quarters of the protocol's cap already (also
 *                       counted in @refused_limit and per protocol)
 * @icmp_expired: ICMP echo flows that expired idle (counted in @udp_expired
 *                until this counter was added)
 * @tcp6_opened: TCP flows opened over the guest's IPv6 (also counted in
 *               @tcp_opened)
 * @udp6_opened: UDP flows opened over the guest's IPv6 (also in
 *               @udp_opened)
 * @icmp6_opened: ICMPv6 echo flows opened (also in @icmp_opened)
 * @icmp6_errors: ICMPv6 errors sent to the guest for what the host side
 *                reported (a destination unreachable for a TCP connect;
 *                since @icmp4_errors was added, also what UDP and ping
 *                sockets report)
 * @icmp4_errors: ICMP (IPv4) errors sent to the guest for what the host
 *                side reported: a TCP connect unreachable, and the errors
 *                UDP and ping sockets read from their error queues
 * @icmp_errors_limited: ICMP and ICMPv6 errors not sent because the
 *                       gateway's error rate limit was reached
 * @sock_errors: errors read from the error queues of UDP and ping sockets
 *               (relayed or not)
 * @pmtu_errors: fragmentation needed (ICMP) and packet too big (ICMPv6)
 *               among @icmp4_errors and @icmp6_errors: a path MTU the host
 *               learnt, passed on to the guest
 * @cut_by_policy: open flows of the guest closed because a policy set
 *                 with UNET_POLICY_CUT_FLOWS (unet_proxy_set_policy())
 *                 denies them now: TCP reset both ways, UDP and echo
 *                 flows dropped
 */
struct unet_proxy_stats {
	size_t size;
	uint64_t flows;
	uint64_t tcp_opened;
	uint64_t udp_opened;
	uint64_t icmp_opened;
	uint64_t refused_limit;
	uint64_t refused_policy;
	uint64_t tcp_refused;
	uint64_t tcp_unreachable;
	uint64_t tcp_timeouts;
	uint64_t dropped;
	uint64_t udp_expired;
	uint64_t refused_spoofed;
	uint64_t tcp_flows;
	uint64_t udp_flows;
	uint64_t icmp_flows;
	uint64_t tcp_cap;
	uint64_t udp_cap;
	uint64_t icmp_cap;
	uint64_t tcp_refused_limit;
	uint64_t udp_refused_limit;
	uint64_t icmp_refused_limit;
	uint64_t udp_evicted;
	uint64_t tcp_stalled;
	uint64_t tcp_windows_shrunk;
	uint64_t tcp_reads_deferred;
	uint64_t tcp_data_deferred;
	uint64_t refused_guest_share;
	uint64_t icmp_expired;
	uint64_t tcp6_opened;
	uint64_t udp6_opened;
	uint64_t icmp6_opened;
	uint64_t icmp6_errors;
	uint64_t icmp4_errors;
	uint64_t icmp_errors_limited;
	uint64_t sock_errors;
	uint64_t pmtu_errors;
	uint64_t cut_by_policy;
};

/**
 * struct unet_policy_stats - what a proxy's egress policy decided
 * @size: sizeof(struct unet_policy_stats), set by the caller
 * @allowed: decisions that let a flow (or datagram) out
 * @denied: decisions that refused one (also in
 *          &unet_proxy_stats.refused_policy)
 * @default_hits: decisions no rule matched (the default verdict decided)
 * @callback_allowed: decisions &unet_proxy_config.decide made allow
 * @callback_denied: decisions it made deny
 * @rules: the policy's rule count (0 without a policy)
 * @audit_lines: lines given to &unet_proxy_config.audit (the callback
 *               returned 0)
 * @audit_suppressed: audit lines not written because of the audit log's
 *                    rate limits (each reported later in a "suppressed"
 *                    line)
 * @audit_errors: audit lines the callback reported lost (a full disk, a
 *                pipe that could not take it now), or too long to write
 * @names_learned: (address, name) pairs learned from the DNS answers the
 *                 guest got (or learned again, their time starting over)
 * @names_evicted: pairs forgotten before their time to make room
 *                 (&unet_proxy_config.names_max, or the most names one
 *                 address keeps, 8)
 * @names_expired: pairs forgotten at their time
 * @names: pairs known now (some may be past their time, not yet met)
 * @dns_refused: DNS queries of the guest refused by a name rule (answered
 *               REFUSED, also in &unet_stack_stats.dns_refused)
 *
 * A decision is one TCP connection attempt (its SYN), one UDP datagram, or
 * one echo request: a UDP socket of the guest may send to many places.
 */
struct unet_policy_stats {
	size_t size;
	uint64_t allowed;
	uint64_t denied;
	uint64_t default_hits;
	uint64_t callback_allowed;
	uint64_t callback_denied;
	uint64_t rules;
	uint64_t audit_lines;
	uint64_t audit_suppressed;
	uint64_t audit_errors;
	uint64_t names_learned;
	uint64_t names_evicted;
	uint64_t names_expired;
	uint64_t names;
	uint64_t dns_refused;
};

/*
 * The flags of unet_proxy_set_policy(): what becomes of the flows open
 * when the policy changes.
 */
/** The flows open now stay, whatever the new policy says (the default). */
#define UNET_POLICY_KEEP_FLOWS 0u
/** Every open flow of the guest is decided again; the denied ones close. */
#define UNET_POLICY_CUT_FLOWS 1u

struct unet_proxy;

/**
 * typedef unet_flow_cb - receives one flow of a flow table walk
 * @opaque: the pointer given to unet_proxy_flows()
 * @flow: the flow, valid for the call
 */
typedef void (*unet_flow_cb)(void *opaque, const struct unet_flow_info *flow);

UNET_EXTERN void unet_proxy_config_init(struct unet_proxy_config *config);
UNET_EXTERN int unet_proxy_new(struct unet_stack *stack,
			       const struct unet_proxy_config *config,
			       struct unet_proxy **proxyp);
UNET_EXTERN void unet_proxy_close(struct unet_proxy *proxy);
UNET_EXTERN int unet_proxy_fwd_add(struct unet_proxy *proxy,
				   struct unet_fwd *fwd);
UNET_EXTERN int unet_proxy_fwd_remove(struct unet_proxy *proxy,
				      const struct unet_fwd *fwd);
UNET_EXTERN int unet_proxy_fwd_list(struct unet_proxy *proxy,
				    struct unet_fwd *fwds, size_t n);
UNET_EXTERN int unet_proxy_fwd_add_ex(struct unet_proxy *proxy,
				      struct unet_fwd_ex *fwd);
UNET_EXTERN int unet_proxy_fwd_remove_ex(struct unet_proxy *proxy,
					 const struct unet_fwd_ex *fwd);
UNET_EXTERN int unet_proxy_fwd_list_ex(struct unet_proxy *proxy,
				       struct unet_fwd_ex *fwds, size_t n);
UNET_EXTERN int unet_proxy_flows(struct unet_proxy *proxy, unet_flow_cb cb,
				 void *opaque);
UNET_EXTERN UNET_MUST_CHECK int
unet_proxy_stats(const struct unet_proxy *proxy,
		 struct unet_proxy_stats *stats);
UNET_EXTERN UNET_MUST_CHECK int
unet_proxy_policy_stats(const struct unet_proxy *proxy,
			struct unet_policy_stats *stats, uint64_t *hits,
			size_t n);
UNET_EXTERN int unet_proxy_set_policy(struct unet_proxy *proxy,
				      const struct unet_policy *policy,
				      unsigned int flags);
UNET_EXTERN int unet_proxy_set_policy_default(struct unet_proxy *proxy,
					      enum unet_policy_verdict def,
					      unsigned int flags);
UNET_EXTERN const char *unet_flow_state_name(enum unet_flow_state state);
UNET_EXTERN int unet_proxy_raise_nofile(uint64_t *limit);

#ifdef __cplusplus
}
#endif

#endif /* USERNET_PROXY_H */
