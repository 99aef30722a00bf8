/* SPDX-License-Identifier: MIT */
#ifndef USERNET_STACK_INTERNAL_H
#define USERNET_STACK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <usernet/stack.h>

#include "lwip/netif.h"
#include "lwip/pbuf.h"

#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#endif

/* lwip_glue.c: lwIP's process-wide platform. */
int unet__lwip_attach(struct unet_stack *stack);
void unet__lwip_detach(struct unet_stack *stack);

/* stack.c: called by the glue for the stack lwIP belongs to. */
struct unet_hub *unet__stack_hub(struct unet_stack *stack);
int unet__stack_ip4_input(struct unet_stack *stack, struct pbuf *p,
			  struct netif *inp);

#endif /* USERNET_STACK_INTERNAL_H */
