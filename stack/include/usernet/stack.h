/* SPDX-License-Identifier: MIT */
/*
 * usernet stack: the gateway of a virtual network, a port on a hub.
 *
 * One lwIP netif on the hub plays the gateway: it answers ARP for the
 * gateway and DNS addresses and ICMP echo to both. lwIP keeps process-wide
 * state, so one process holds at most one stack at a time.
 */
#ifndef USERNET_STACK_H
#define USERNET_STACK_H

#include <netinet/in.h>
#include <stdint.h>

#include <usernet/hub.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * struct unet_stack_config - the virtual network's addresses
 * @size: sizeof(struct unet_stack_config), so fields can be added later
 * @net: the network address (default 10.0.2.0)
 * @mask: its netmask (default 255.255.255.0)
 * @host: the gateway's address (default 10.0.2.2)
 * @dns: the DNS server's address, answered by the gateway (default 10.0.2.3)
 * @dhcp_start: first address handed out by DHCP (default 10.0.2.15)
 * @mac: the gateway's MAC address (default 52:55:0a:00:02:02)
 *
 * Addresses are in network byte order. @host, @dns and @dhcp_start must lie
 * inside @net/@mask and be neither its network nor its broadcast address.
 */
struct unet_stack_config {
	size_t size;
	struct in_addr net;
	struct in_addr mask;
	struct in_addr host;
	struct in_addr dns;
	struct in_addr dhcp_start;
	uint8_t mac[6];
};

struct unet_stack;

UNET_EXTERN void unet_stack_config_init(struct unet_stack_config *config);
UNET_EXTERN int unet_stack_new(struct unet_hub *hub, const char *id,
			       const struct unet_stack_config *config,
			       struct unet_stack **stackp);
UNET_EXTERN void unet_stack_close(struct unet_stack *stack);
UNET_EXTERN struct unet_port *unet_stack_port(struct unet_stack *stack);

#ifdef __cplusplus
}
#endif

#endif /* USERNET_STACK_H */
