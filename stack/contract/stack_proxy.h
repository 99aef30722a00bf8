/* SPDX-License-Identifier: MIT */
/*
 * The stack's seam for the NAT proxy (proxy/ includes this; the stack's
 * services use its address predicates too). The proxy works on lwIP's
 * public API (pcbs, pbufs); this header adds what the stack decides and
 * knows: which packets the proxy is asked about, parsed once into a
 * struct unet_ip_pkt, how it answers, which addresses are special, and
 * the few things that need lwIP's internals (lwip_glue.c answers them, so
 * that no file outside it includes lwIP's private headers or walks its
 * lists).
 */
#ifndef USERNET_STACK_PROXY_H
#define USERNET_STACK_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <uv.h>

#include <usernet/stack.h>

#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/tcp.h"

#include "dns_observe.h"

#include "wire/cursor.h"
#include "wire/icmp_proto.h"
#include "wire/ip4_proto.h"
#include "wire/ip6_proto.h"
#include "wire/tcp_proto.h"
#include "wire/udp_proto.h"

/** What the proxy says of a packet it was asked about. */
enum unet_verdict {
	UNET_VERDICT_ACCEPT, /* lwIP takes it (as addressed to the gateway) */
	UNET_VERDICT_DROP, /* the stack drops it (the proxy kept a copy,
				 * or answered it, or refused it) */
	UNET_VERDICT_NUM
};

/**
 * union unet_ip_addr - an IP address of either family
 * @v4: an IPv4 address (network order)
 * @v6: an IPv6 address
 *
 * A union rather than one 16-byte array: the IPv4 path, which every packet
 * takes today, compares and hashes one 32-bit word as before, and an IPv6
 * address fits in the same 16 bytes. The packet's family says which member
 * holds the address.
 */
union unet_ip_addr {
	uint32_t v4;
	uint8_t v6[16];
};

/**
 * struct unet_ip_pkt - a guest IP packet, parsed once by the stack
 * @family: AF_INET or AF_INET6 (the addresses are a union and, for
 *          IPv6, @hlen counts the extension headers)
 * @proto: the transport protocol (WIRE_IPPROTO_*)
 * @fragment: part of a fragmented datagram
 * @csum_good: the transport checksum is not to be verified: the frame came
 *             from a tap whose kernel marked it good or left it to do
 *             (offload facts); never set for a fragment
 * @l4_bad: the transport header should be in the packet and is not whole
 *          or lies (cut short, a TCP data offset below 5 or past the
 *          segment, a UDP length past the datagram or below its header);
 *          @l4 is NULL then
 * @src: source address
 * @dst: destination address
 * @ip4: the IPv4 header (@family AF_INET), else NULL
 * @ip6: the IPv6 header (@family AF_INET6), else NULL
 * @hlen: the IP header's length, options included (IPv6: with the
 *        extension headers walked, the fragment header among them): where
 *        the transport header starts in the packet
 * @l4_len: the transport header and data, as far as the IP length says
 *          (the first fragment's share of it for a fragment; 0 for a later
 *          fragment)
 * @l4: the transport header of @proto, checked: its fixed part and, for
 *      TCP, its options are there, and its lengths agree with the packet.
 *      NULL for a later fragment, for another protocol, or when @l4_bad.
 *      It points into the packet, or at @l4_copy when the header straddles
 *      the pieces of a reassembled datagram
 * @l4_copy: room for a UDP or ICMP header that is not in one piece
 * @sport: TCP or UDP source port, ICMP or ICMPv6 echo id (host order; 0
 *         otherwise)
 * @dport: TCP or UDP destination port (host order; 0 otherwise)
 * @payload_off: where the transport payload starts in the packet (after
 *               TCP options)
 * @payload_len: its length (for UDP, as the UDP length says, padding left
 *               out)
 * @payload: a cursor over the payload as far as it lies in the packet's
 *           first piece: all of it, except in a reassembled datagram
 *
 * It lives on the stack frame of the call that parsed it and points into
 * the packet: nothing is copied but an 8-byte header that straddles pieces.
 */
struct unet_ip_pkt {
	sa_family_t family;
	uint8_t proto;
	bool fragment;
	bool csum_good;
	bool l4_bad;
	union unet_ip_addr src;
	union unet_ip_addr dst;
	const struct wire_ip4 *ip4;
	const struct wire_ip6 *ip6;
	size_t hlen;
	size_t l4_len;
	union {
		const void *hdr;
		const struct wire_tcp *tcp;
		const struct wire_udp *udp;
		const struct wire_icmp *icmp;
	} l4;
	union {
		struct wire_udp udp;
		struct wire_icmp icmp;
	} l4_copy;
	uint16_t sport;
	uint16_t dport;
	size_t payload_off;
	size_t payload_len;
	struct unet_cursor payload;
};

/**
 * typedef unet_stack_pkt_cb - asks the proxy about a guest packet
 * @opaque: the proxy
 * @p: the packet (payload at its IP header); the proxy may clone it, or
 *     move its payload pointer when it answers DROP, but must not free it
 * @pkt: the packet parsed
 *
 * Return: what to do with @p.
 */
typedef enum unet_verdict (*unet_stack_pkt_cb)(void *opaque, struct pbuf *p,
					       const struct unet_ip_pkt *pkt);

/**
 * typedef unet_stack_dns_query_cb - asks the proxy about a guest's DNS query
 * @opaque: the proxy
 * @name: the question's name, lower case without the trailing dot, or
 *        NULL when it is no host name (the root, or a label byte other
 *        than a letter, digit, '-' or '_')
 *
 * Return: true to forward the query upstream, false to answer it REFUSED.
 */
typedef bool (*unet_stack_dns_query_cb)(void *opaque, const char *name);

/**
 * typedef unet_stack_dns_answer_cb - tells the proxy what an answer taught
 * @opaque: the proxy
 * @ans: the names and addresses of the answer the guest is about to get,
 *       valid for the call
 */
typedef void (*unet_stack_dns_answer_cb)(void *opaque,
					 const struct unet_dns_answer *ans);

/**
 * struct unet_stack_proxy_ops - how the stack hands guest packets to the
 * proxy
 * @packet: a packet as it arrives, before lwIP has seen it: TCP and UDP to
 *          the gateway's own address (IPv4's, or IPv6's ip6_host) and every
 *          unicast packet to an address outside the virtual net (packets
 *          to the gateway's aliases, the DNS addresses, its link-local
 *          address, multicast, ND and MLD are not asked about). Not for a
 *          family the configuration turns off (no_ipv4, no_ipv6). DROP: the
 *          stack frees it; ACCEPT: lwIP takes it
 * @datagram: a UDP, ICMP or ICMPv6 datagram lwIP accepted (checked,
 *            reassembled, trimmed to its IP length; possibly a pbuf chain),
 *            before lwIP's own UDP and ICMP see it. DROP: the proxy took it
 *            (sent, refused or dropped it) and the stack frees it; ACCEPT:
 *            lwIP goes on with it, unchanged
 * @dns_query: (may be NULL) each question of a guest's query to the DNS
 *             forwarder (UDP or TCP) that passed the forwarder's checks,
 *             before it goes upstream; of a query with more than
 *             UNET_DNS_QUERY_NAMES_MAX questions, those and then NULL
 *             (a name that is no host name) for the rest
 * @dns_answer: (may be NULL) what an upstream's answer that matched a
 *              guest's query teaches (A and AAAA records, CNAME chains),
 *              before the guest gets it; not called for an answer that
 *              teaches nothing
 */
struct unet_stack_proxy_ops {
	unet_stack_pkt_cb packet;
	unet_stack_pkt_cb datagram;
	unet_stack_dns_query_cb dns_query;
	unet_stack_dns_answer_cb dns_answer;
};

/** Questions of one query the proxy is asked about by name. */
#define UNET_DNS_QUERY_NAMES_MAX 4

int unet__stack_set_proxy(struct unet_stack *stack,
			  const struct unet_stack_proxy_ops *ops, void *opaque);
bool unet__stack_l4_csum_ok(const struct pbuf *p,
			    const struct unet_ip_pkt *pkt);
int unet__stack_payload_bufs(const struct pbuf *p,
			     const struct unet_ip_pkt *pkt, uv_buf_t *bufs,
			     int max);
struct netif *unet__stack_netif(struct unet_stack *stack);
u16_t unet__stack_tcp_offload(struct unet_stack *stack, struct tcp_pcb *pcb);
u32_t unet__stack_tcp_sndbuf(struct unet_stack *stack, struct tcp_pcb *pcb);
const struct unet_stack_config *
unet__stack_config(const struct unet_stack *stack);
struct unet_hub *unet__stack_hub(struct unet_stack *stack);
bool unet__stack_addr_special(const struct unet_stack *stack, uint32_t addr);
bool unet__stack_is_foreign(const struct unet_stack *stack, uint32_t addr);
bool unet__stack_is_gateway_addr(const struct unet_stack *stack, uint32_t addr);
bool unet__stack_is_guest_addr(const struct unet_stack *stack, uint32_t addr);
bool unet__stack_is_foreign6(const struct unet_stack *stack,
			     const uint8_t *addr);
bool unet__stack_is_guest_addr6(const struct unet_stack *stack,
				const uint8_t *addr);
bool unet__stack_is_host6(const struct unet_stack *stack, const uint8_t *addr);
void unet__stack_set_restrict(struct unet_stack *stack, bool on);
bool unet__stack_restricted(const struct unet_stack *stack);
bool unet__stack_dns_offered(const struct unet_stack *stack);
unsigned int unet__stack_fd_reserve(const struct unet_stack *stack);

/**
 * unet__stack_is_foreign_ip() - unet__stack_is_foreign() of either family
 * @stack: the stack
 * @family: AF_INET or AF_INET6
 * @addr: the address
 *
 * Return: true when @addr lies outside the virtual net and is no special
 * address (IPv6: multicast, link-local, loopback, unspecified, v4-mapped).
 */
static inline bool unet__stack_is_foreign_ip(const struct unet_stack *stack,
					     sa_family_t family,
					     const union unet_ip_addr *addr)
{
	if (family == AF_INET)
		return unet__stack_is_foreign(stack, addr->v4);
	return unet__stack_is_foreign6(stack, addr->v6);
}

/**
 * unet__stack_is_guest_ip() - unet__stack_is_guest_addr() of either family
 * @stack: the stack
 * @family: AF_INET or AF_INET6
 * @addr: the address
 *
 * Return: true when a guest may have @addr.
 */
static inline bool unet__stack_is_guest_ip(const struct unet_stack *stack,
					   sa_family_t family,
					   const union unet_ip_addr *addr)
{
	if (family == AF_INET)
		return unet__stack_is_guest_addr(stack, addr->v4);
	return unet__stack_is_guest_addr6(stack, addr->v6);
}

/* lwip_glue.c: what the proxy needs of lwIP's internals. */
bool unet__lwip_udp_taken(const struct unet_ip_pkt *pkt);
void unet__lwip_tcp_rst(uint32_t src, uint16_t sport, uint32_t dst,
			uint16_t dport, uint32_t ackno);
void unet__lwip_tcp_rst6(const uint8_t *src, uint16_t sport, const uint8_t *dst,
			 uint16_t dport, uint32_t ackno);
void unet__lwip_tcp_timewait_end(uint32_t local, uint16_t local_port,
				 uint32_t remote, uint16_t remote_port);
void unet__lwip_tcp_timewait_short(struct tcp_pcb *pcb);
void unet__lwip_tcp_timewait_end6(const uint8_t *local, uint16_t local_port,
				  const uint8_t *remote, uint16_t remote_port);
void unet__lwip_tcp_ack_now(struct tcp_pcb *pcb);
bool unet__lwip_tcp_ack_defer(struct tcp_pcb *pcb);
void unet__lwip_tcp_window_set(struct tcp_pcb *pcb, size_t wnd);

#endif /* USERNET_STACK_PROXY_H */
