/* SPDX-License-Identifier: MIT */
#ifndef USERNET_STACK_INTERNAL_H
#define USERNET_STACK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <usernet/stack.h>

#include "lwip/netif.h"
#include "lwip/pbuf.h"

#include "stack_proxy.h"

#include "wire/util.h"

struct unet_dhcp;
struct unet_dns;
struct unet_tftp;
struct unet_ndp;
struct unet_dhcp6;
struct wire_eth;
struct wire_ip6;

/**
 * struct stack_services - the gateway's services' state, NULL when off
 * @dhcp: the DHCP server (dhcp.c)
 * @dns: the DNS forwarder (dns.c)
 * @tftp: the TFTP server (tftp.c)
 * @ndp: IPv6 neighbour discovery and router advertisements (ndp.c)
 * @dhcp6: the DHCPv6 server (dhcp6.c)
 */
struct stack_services {
	struct unet_dhcp *dhcp;
	struct unet_dns *dns;
	struct unet_tftp *tftp;
	struct unet_ndp *ndp;
	struct unet_dhcp6 *dhcp6;
};

/* stack.c: what services use */
struct stack_services *unet__stack_services(struct unet_stack *stack);
struct unet_stack_stats *unet__stack_stats(struct unet_stack *stack);
int unet__stack_output_frame(struct unet_stack *stack, const void *frame,
			     size_t len);
void unet__stack_ref(struct unet_stack *stack);
void unet__stack_unref(struct unet_stack *stack);
/* stack.c: the proxy's view of the DNS forwarder's queries and answers. */
bool unet__stack_dns_query_ok(struct unet_stack *stack, const char *name);
bool unet__stack_dns_observed(const struct unet_stack *stack);
void unet__stack_dns_answer(struct unet_stack *stack,
			    const struct unet_dns_answer *ans);

/*
 * The services: each start() runs from unet_stack_new() (0 or a negative
 * errno, which fails the stack), each stop() from unet_stack_close() and
 * may finish asynchronously, holding the stack with unet__stack_ref() until
 * its handles are closed. A stop() of a service never started does nothing.
 */
int unet__dhcp_start(struct unet_stack *stack);
void unet__dhcp_stop(struct unet_stack *stack);
int unet__dns_start(struct unet_stack *stack);
void unet__dns_stop(struct unet_stack *stack);
int unet__tftp_start(struct unet_stack *stack);
void unet__tftp_stop(struct unet_stack *stack);
unsigned int unet__dns_fds_max(void);
unsigned int unet__tftp_fds_max(void);
int unet__ndp_start(struct unet_stack *stack);
void unet__ndp_stop(struct unet_stack *stack);
int unet__dhcp6_start(struct unet_stack *stack);
void unet__dhcp6_stop(struct unet_stack *stack);

/*
 * The IPv6 services' input, from the frame classifier before lwIP: @ip is
 * the frame's IPv6 header (its next header the service's protocol, no
 * extension headers), @payload its payload cut to the IPv6 payload length.
 * True when the service took the packet (answered, or dropped and counted
 * it); false leaves it to lwIP.
 */
bool unet__ndp_input(struct unet_stack *stack, const struct wire_eth *eth,
		     const struct wire_ip6 *ip, const uint8_t *payload,
		     size_t len);
bool unet__dhcp6_input(struct unet_stack *stack, const struct wire_eth *eth,
		       const struct wire_ip6 *ip, const uint8_t *payload,
		       size_t len);
int unet__ndp_send_ip6(struct unet_stack *stack, const uint8_t *dst_mac,
		       const uint8_t *src, const uint8_t *dst, uint8_t proto,
		       uint8_t hop_limit, const void *l4, size_t len);
bool unet__stack_is_gateway_addr6(const struct unet_stack *stack,
				  const uint8_t *addr);

/* lwip_glue.c: lwIP's process-wide platform. */
int unet__lwip_attach(struct unet_stack *stack);
void unet__lwip_detach(struct unet_stack *stack);
void unet__lwip_nd6_learn(struct netif *netif, const uint8_t *addr,
			  const uint8_t *mac);

/* stack.c: called by the glue for the stack lwIP belongs to. */
struct unet_hub *unet__stack_hub(struct unet_stack *stack);
int unet__stack_ip4_input(struct unet_stack *stack, struct pbuf *p,
			  struct netif *inp);
int unet__stack_ip6_input(struct unet_stack *stack, struct pbuf *p,
			  struct netif *inp);

#endif /* USERNET_STACK_INTERNAL_H */
