/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the proxy's files: the proxy, the flow table, and the
 * per-protocol entry points.
 *
 * Ownership: every flow is in the proxy's list (and, when it has a guest-side
 * key, in the hash table) from unet__flow_add() until unet__flow_remove().
 * A flow owns its host handles; it frees itself once they are closed. The
 * proxy counts handles still open (unet__proxy_ref()/unet__proxy_unref()) and
 * is freed only when the last one is closed after unet_proxy_close().
 */
#ifndef USERNET_PROXY_INTERNAL_H
#define USERNET_PROXY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include <usernet/proxy.h>

#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/raw.h"
#include "lwip/tcp.h"
#include "lwip/udp.h"

#include "stack_proxy.h"

#include "wire/util.h"

struct proxy_flow;
struct proxy_fwd;

/** Buckets of the table of guest addresses holding flows: 2^this. */
#define PROXY_GUEST_BITS 8

/** Bytes a TCP flow reads from its host socket at a time. */
#define PROXY_RBUF 65536

/**
 * enum proxy_proto - the protocols a flow carries, each with its own cap
 * @PROXY_PROTO_TCP: TCP
 * @PROXY_PROTO_UDP: UDP
 * @PROXY_PROTO_ICMP: ICMP echo
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
 * @addr: the guest's address (network order)
 * @flows: per protocol
 * @total: all protocols together (the record is freed at 0)
 */
struct proxy_guest {
	struct proxy_guest *next;
	uint32_t addr;
	unsigned int flows[PROXY_PROTO_NUM];
	unsigned int total;
};

/**
 * struct proxy_flow_ops - what differs between kinds of flow
 * @close: close the flow now (both sides), for unet_proxy_close(); the flow
 *         calls unet__flow_remove() and frees itself when its handles are
 *         closed
 * @state: the state shown in the flow table
 */
struct proxy_flow_ops {
	void (*close)(struct proxy_flow *flow);
	enum unet_flow_state (*state)(const struct proxy_flow *flow);
};

/**
 * struct proxy_flow - what every flow has; TCP, UDP and ICMP flows embed it
 * @hnext: next flow in the same hash bucket
 * @prev: previous flow in the proxy's list
 * @next: next flow in the proxy's list
 * @lru_prev: the flow of its protocol used just more recently
 * @lru_next: the flow of its protocol used just less recently
 * @ops: the kind of flow
 * @proto: IPPROTO_TCP, IPPROTO_UDP or IPPROTO_ICMP
 * @inbound: opened from the host side (a forward)
 * @hashed: in the hash table (has a guest-side key)
 * @listed: in the flow table (between unet__flow_add() and
 *          unet__flow_remove()), and so on its protocol's recency list
 * @guest_addr: the guest's address (network order)
 * @guest_port: the guest's port or ICMP id (host order)
 * @remote_addr: the other side's address as the guest sees it (network order)
 * @remote_port: its port (host order); 0 for UDP flows (one per guest port)
 * @bytes_out: guest to host bytes
 * @bytes_in: host to guest bytes
 * @last_ns: when the flow last carried something (hub clock)
 */
struct proxy_flow {
	struct proxy_flow *hnext;
	struct proxy_flow *prev;
	struct proxy_flow *next;
	struct proxy_flow *lru_prev;
	struct proxy_flow *lru_next;
	const struct proxy_flow_ops *ops;
	int proto;
	bool inbound;
	bool hashed;
	bool listed;
	uint32_t guest_addr;
	uint16_t guest_port;
	uint32_t remote_addr;
	uint16_t remote_port;
	uint64_t bytes_out;
	uint64_t bytes_in;
	uint64_t last_ns;
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
 * @raw_udp: sees every UDP datagram lwIP accepted, after reassembly
 * @raw_icmp: sees every ICMP message lwIP accepted
 * @fwds: host-to-guest forwards
 * @refs: host handles still open (the proxy is freed when 0 after close)
 * @closing: unet_proxy_close() was called
 * @ping_warned: the host refused ICMP sockets and this was logged once
 * @log_tokens: rate limit of guest-triggered log messages
 * @log_refill_ns: when @log_tokens was last refilled
 * @rbuf: where every TCP flow reads its host socket into (PROXY_RBUF
 *        bytes), to be copied into lwIP at once
 * @guests: the guest addresses that hold flows, hashed
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
	struct raw_pcb *raw_udp;
	struct raw_pcb *raw_icmp;
	struct proxy_fwd *fwds;
	unsigned int refs;
	bool closing;
	bool ping_warned;
	unsigned int log_tokens;
	uint64_t log_refill_ns;
	char *rbuf;
	struct proxy_guest *guests[1u << PROXY_GUEST_BITS];
};

/* proxy.c: the flow table */
struct proxy_flow *unet__flow_find(struct unet_proxy *proxy, int proto,
				   uint32_t guest_addr, uint16_t guest_port,
				   uint32_t remote_addr, uint16_t remote_port);
int unet__flow_add(struct unet_proxy *proxy, struct proxy_flow *flow);
void unet__flow_remove(struct unet_proxy *proxy, struct proxy_flow *flow);
void unet__flow_touch(struct unet_proxy *proxy, struct proxy_flow *flow);
uint64_t unet__flow_idle_left(const struct unet_proxy *proxy,
			      const struct proxy_flow *flow,
			      unsigned int timeout_ms);

/* proxy.c: addresses, policy, output, handles, logging */
int unet__proxy_map_out(struct unet_proxy *proxy, uint32_t dst,
			uint16_t port, struct sockaddr_in *sa);
uint32_t unet__proxy_map_in(const struct unet_proxy *proxy, uint32_t src);
err_t unet__proxy_output(struct unet_proxy *proxy, struct pbuf *p,
			 uint32_t src, uint32_t dst, uint8_t proto);
void unet__proxy_ref(struct unet_proxy *proxy);
void unet__proxy_unref(struct unet_proxy *proxy);
uint64_t unet__proxy_now_ms(const struct unet_proxy *proxy);
void unet__proxy_log_guest(struct unet_proxy *proxy, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void unet__proxy_debug_guest(struct unet_proxy *proxy, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* limits.c: the caps and the file descriptors behind them */
enum proxy_proto unet__proxy_proto(int ipproto);
const char *unet__proxy_proto_name(enum proxy_proto proto);
void unet__proxy_size_caps(struct unet_proxy *proxy);
unsigned int unet__proxy_guest_cap(const struct unet_proxy *proxy,
				   enum proxy_proto proto);
int unet__proxy_guest_admit(struct unet_proxy *proxy, uint32_t addr,
			    enum proxy_proto proto);
void unet__proxy_guest_release(struct unet_proxy *proxy, uint32_t addr,
			       enum proxy_proto proto);

/* tcp.c */
enum unet_verdict unet__tcp_ip4(struct unet_proxy *proxy, struct pbuf *p,
				const struct unet_ip4_pkt *pkt);
int unet__tcp_inbound(struct unet_proxy *proxy, uv_stream_t *server,
		      uint32_t guest_addr, uint16_t guest_port);
void unet__tcp_close_listeners(struct unet_proxy *proxy);

/* udp.c: called from the raw UDP pcb; returns 1 when it took (freed) p */
u8_t unet__udp_raw_input(struct unet_proxy *proxy, struct pbuf *p);

/* icmp.c: called from the raw ICMP pcb; returns 1 when it took (freed) p */
u8_t unet__icmp_raw_input(struct unet_proxy *proxy, struct pbuf *p);

/* fwd.c */
void unet__fwd_close_all(struct unet_proxy *proxy);

#endif /* USERNET_PROXY_INTERNAL_H */
