/* SPDX-License-Identifier: MIT */
/*
 * The stack's seam for the NAT proxy (proxy/ includes this; nothing else
 * does). The proxy works on lwIP's own API (pcbs), so it also includes lwIP's
 * headers; this header adds what the stack decides: which IPv4 packets the
 * proxy is asked about, and how it answers.
 */
#ifndef USERNET_STACK_PROXY_H
#define USERNET_STACK_PROXY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <usernet/stack.h>

#include "lwip/netif.h"
#include "lwip/pbuf.h"

/** What the proxy says of a packet it was asked about. */
enum unet_verdict {
	UNET_VERDICT_ACCEPT,	/* lwIP takes it (as addressed to the gateway) */
	UNET_VERDICT_DROP,	/* the stack drops it (the proxy kept a copy,
				 * or answered it, or refused it) */
	UNET_VERDICT_NUM
};

/**
 * struct unet_ip4_pkt - an IPv4 packet from the guest, headers checked
 * @src: source address (network order)
 * @dst: destination address (network order)
 * @proto: IP protocol
 * @hlen: IP header length, checked against the bytes present
 * @fragment: part of a fragmented datagram
 * @l4: the transport header and data (first fragment only, else NULL)
 * @l4_len: bytes at @l4 that are present and inside the IP total length
 */
struct unet_ip4_pkt {
	uint32_t src;
	uint32_t dst;
	uint8_t proto;
	size_t hlen;
	bool fragment;
	const uint8_t *l4;
	size_t l4_len;
};

/**
 * typedef unet_stack_ip4_cb - asks the proxy about a guest packet
 * @opaque: the proxy
 * @p: the packet (payload at its IPv4 header); the proxy may clone it but
 *     must not free it
 * @pkt: its parsed headers
 *
 * Called for TCP and UDP packets to the gateway's own address and for every
 * unicast packet to an address outside the gateway (foreign destinations).
 * Packets to the gateway's aliases (the DNS address) are not asked about.
 *
 * Return: what to do with @p.
 */
typedef enum unet_verdict (*unet_stack_ip4_cb)(void *opaque, struct pbuf *p,
					       const struct unet_ip4_pkt *pkt);

int unet__stack_set_ip4_cb(struct unet_stack *stack, unet_stack_ip4_cb cb,
			   void *opaque);
struct netif *unet__stack_netif(struct unet_stack *stack);
const struct unet_stack_config *unet__stack_config(const struct unet_stack *stack);
struct unet_hub *unet__stack_hub(struct unet_stack *stack);
bool unet__stack_is_gateway_addr(const struct unet_stack *stack, uint32_t addr);
bool unet__stack_is_guest_addr(const struct unet_stack *stack, uint32_t addr);
void unet__stack_set_restrict(struct unet_stack *stack, bool on);
bool unet__stack_restricted(const struct unet_stack *stack);
unsigned int unet__stack_fd_reserve(const struct unet_stack *stack);

#endif /* USERNET_STACK_PROXY_H */
