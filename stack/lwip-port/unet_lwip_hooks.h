/* SPDX-License-Identifier: MIT */
/*
 * Hooks lwIP calls into usernet's stack (LWIP_HOOK_FILENAME). Every hook is
 * defined in stack/lwip_glue.c and receives only what lwIP passes.
 */
#ifndef USERNET_LWIP_HOOKS_H
#define USERNET_LWIP_HOOKS_H

#include <stdint.h>

struct pbuf;
struct netif;

uint32_t unet__lwip_rand(void);
int unet__lwip_ip4_input(struct pbuf *p, struct netif *inp);
int unet__lwip_ip6_input(struct pbuf *p, struct netif *inp);
struct tcp_pcb;
void unet__lwip_tcp_recovery(struct tcp_pcb *pcb);
void unet__lwip_tcp_tail_probe(struct tcp_pcb *pcb);
void unet__lwip_tcp_rto(struct tcp_pcb *pcb);
void unet__lwip_ip6_reass_discard(void);
struct ip_addr;
uint32_t unet__lwip_tcp_isn(const struct ip_addr *local_ip, uint16_t local_port,
			    const struct ip_addr *remote_ip,
			    uint16_t remote_port);

#define LWIP_HOOK_IP4_INPUT(p, inp) unet__lwip_ip4_input((p), (inp))
#define LWIP_HOOK_IP6_INPUT(p, inp) unet__lwip_ip6_input((p), (inp))
/* stack/lwip-patches/tcp-loss-recovery.patch calls these three */
#define LWIP_HOOK_TCP_FAST_RECOVERY(pcb) unet__lwip_tcp_recovery(pcb)
#define LWIP_HOOK_TCP_TAIL_PROBE(pcb) unet__lwip_tcp_tail_probe(pcb)
#define LWIP_HOOK_TCP_RTO(pcb) unet__lwip_tcp_rto(pcb)
/* stack/lwip-patches/ip6-reass-overlap.patch calls this one */
#define LWIP_HOOK_IP6_REASS_DISCARD() unet__lwip_ip6_reass_discard()
#define LWIP_HOOK_TCP_ISN(lip, lport, rip, rport) \
	unet__lwip_tcp_isn((lip), (lport), (rip), (rport))

#endif /* USERNET_LWIP_HOOKS_H */
