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

/**
 * struct stack_services - the gateway's services' state, NULL when off
 * @dhcp: the DHCP server (dhcp.c)
 * @dns: the DNS forwarder (dns.c)
 * @tftp: the TFTP server (tftp.c)
 */
struct stack_services {
	struct unet_dhcp *dhcp;
	struct unet_dns *dns;
	struct unet_tftp *tftp;
};

/* stack.c: what services use */
struct stack_services *unet__stack_services(struct unet_stack *stack);
struct unet_stack_stats *unet__stack_stats(struct unet_stack *stack);
int unet__stack_output_frame(struct unet_stack *stack, const void *frame,
			     size_t len);
void unet__stack_ref(struct unet_stack *stack);
void unet__stack_unref(struct unet_stack *stack);

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

/* lwip_glue.c: lwIP's process-wide platform. */
int unet__lwip_attach(struct unet_stack *stack);
void unet__lwip_detach(struct unet_stack *stack);

/* stack.c: called by the glue for the stack lwIP belongs to. */
struct unet_hub *unet__stack_hub(struct unet_stack *stack);
int unet__stack_ip4_input(struct unet_stack *stack, struct pbuf *p,
			  struct netif *inp);
int unet__stack_ip6_input(struct unet_stack *stack, struct pbuf *p,
			  struct netif *inp);

#endif /* USERNET_STACK_INTERNAL_H */
