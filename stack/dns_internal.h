/* SPDX-License-Identifier: MIT */
/*
 * What the DNS forwarder's files share: the forwarder itself (dns.c: the
 * service and its UDP side) and its TCP side (dns_tcp.c).
 */
#ifndef USERNET_STACK_DNS_INTERNAL_H
#define USERNET_STACK_DNS_INTERNAL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include "lwip/ip_addr.h"

#include "wire/dns_proto.h"
#include "wire/log.h"

#include "dns_conf.h"
#include "dns_msg.h"
#include "stack_internal.h"

/** Guest TCP connections at once; one more is reset. */
#define DNS_TCP_CONNS_MAX 64
/** Size of the shared buffers: a whole UDP datagram, or a TCP message. */
#define DNS_BUF_LEN (DNS_TCP_LEN_LEN + DNS_TCP_MSG_MAX)

/**
 * struct unet_dns - the DNS forwarder of a stack
 * @stack: the stack
 * @hub: its hub (clock, randomness, log)
 * @stats: the stack's counters
 * @udp: the pcbs on (dns, 53) and (ip6_dns, 53) (NULL when IPv6 is off)
 * @listen: the TCP listeners on the same
 * @queries: pending UDP queries
 * @n_queries: how many
 * @conns: guest TCP connections
 * @n_conns: how many
 * @n_handles: uv handles not yet closed
 * @stopping: unet__dns_stop() ran; freed with the last handle
 * @buf: takes a guest's UDP query, an upstream's UDP reply or the bytes of
 *       an upstream's TCP reply (each used up before the next read)
 * @out: where short replies (SERVFAIL, truncated) are built
 * @ans: where an answer's names and addresses are read for the proxy
 * @resolv: nameservers read from resolv.conf
 * @rl: log rate limiters, one per level (so that routine debug messages
 *      never silence a warning)
 */
struct unet_dns {
	struct unet_stack *stack;
	struct unet_hub *hub;
	struct unet_stack_stats *stats;
	struct udp_pcb *udp[2];
	struct tcp_pcb *listen[2];
	struct dns_udp_query *queries;
	unsigned int n_queries;
	struct dns_tcp_conn *conns;
	unsigned int n_conns;
	unsigned int n_handles;
	bool stopping;
	uint8_t *buf;
	uint8_t *out;
	struct unet_dns_answer *ans;
	struct unet__dns_resolv resolv;
	struct unet__ratelimit rl[UNET_LOG_LEVEL_NUM];
};

/* Logs something a guest or an upstream caused, rate-limited per level. */
#define dns_log(dns, level, fmt, ...)                               \
	unet__log_limited((dns)->hub, &(dns)->rl[(level)], (level), \
			  "dns: " fmt, ##__VA_ARGS__)

/* dns.c */
void unet__dns_handle_get(struct unet_dns *dns);
void unet__dns_handle_put(struct unet_dns *dns);
bool unet__dns_refused(struct unet_dns *dns);
unsigned int unet__dns_upstreams(struct unet_dns *dns, union unet__dns_sa *up);
uint16_t unet__dns_new_id(struct unet_dns *dns, uint16_t guest_id);
bool unet__dns_policy_refused(struct unet_dns *dns, const uint8_t *msg,
			      size_t len,
			      const struct unet__dns_query_info *info);
void unet__dns_observe(struct unet_dns *dns, const uint8_t *reply, size_t len);

/* dns_tcp.c */
int unet__dns_tcp_listen(struct unet_dns *dns, const ip_addr_t *addr);
void unet__dns_tcp_stop(struct unet_dns *dns);

#endif /* USERNET_STACK_DNS_INTERNAL_H */
