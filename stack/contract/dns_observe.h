/* SPDX-License-Identifier: MIT */
/*
 * What the stack's DNS forwarder tells an observer (the proxy's egress
 * policy) of the answers it passes to the guest: which addresses the guest
 * learned for which names, and for how long. Plain data, no lwIP: the
 * answer parser (dns_msg.c), its tests and the proxy share it.
 */
#ifndef USERNET_STACK_DNS_OBSERVE_H
#define USERNET_STACK_DNS_OBSERVE_H

#include <stdint.h>
#include <sys/socket.h>

/** Room for a name as text: 253 characters and the NUL. */
#define UNET_DNS_NAME_TEXT 254
/** Names of a CNAME chain followed, the queried one first. */
#define UNET_DNS_CHAIN_MAX 8
/** Addresses taken from one answer; the rest are left out. */
#define UNET_DNS_ADDRS_MAX 32

/**
 * struct unet_dns_addr - an address an answer gave for a chain's names
 * @family: AF_INET (the first 4 bytes of @addr) or AF_INET6
 * @addr: the address (network order)
 * @ttl: seconds: the least TTL of its A or AAAA record and of the CNAME
 *       records leading to it (the time the guest may rely on all of them)
 * @names: it belongs to &unet_dns_answer.names[0 .. @names): the queried
 *         name and every CNAME target up to the owner of its record
 */
struct unet_dns_addr {
	sa_family_t family;
	uint8_t addr[16];
	uint32_t ttl;
	unsigned int names;
};

/**
 * struct unet_dns_answer - what one answer taught the guest
 * @n_names: names in @names; 0 when the answer teaches nothing (an error
 *           response, a question that is no host name, no records)
 * @names: the queried name, then each CNAME target in order of the chain,
 *         as lower-case text without the trailing dot
 * @n_addrs: addresses in @addrs
 * @addrs: the A and AAAA records on the chain, in the answer's order
 */
struct unet_dns_answer {
	unsigned int n_names;
	char names[UNET_DNS_CHAIN_MAX][UNET_DNS_NAME_TEXT];
	unsigned int n_addrs;
	struct unet_dns_addr addrs[UNET_DNS_ADDRS_MAX];
};

#endif /* USERNET_STACK_DNS_OBSERVE_H */
