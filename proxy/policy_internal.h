/* SPDX-License-Identifier: MIT */
/*
 * The egress policy's representation, shared by policy.c and the proxy that
 * holds a copy of one (and counts its rules' hits there).
 */
#ifndef USERNET_POLICY_INTERNAL_H
#define USERNET_POLICY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <usernet/policy.h>

/**
 * struct policy_rule - one rule of a policy
 * @verdict: UNET_POLICY_ALLOW or UNET_POLICY_DENY
 * @proto: IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP (ICMP and ICMPv6 echo), or
 *         0 for any
 * @family: AF_INET or AF_INET6 when the rule names a destination, else 0
 * @prefix: the destination's prefix length (0..32 or 0..128)
 * @addr: the destination's address, its bits past @prefix zero (network
 *        order; the first 4 bytes for AF_INET)
 * @has_port: the rule names a port range (it then matches TCP and UDP only)
 * @port_lo: the range's first port (host order)
 * @port_hi: its last port, @port_lo or more
 * @line: the rule's line in its text (1-based), for messages
 */
struct policy_rule {
	uint8_t verdict;
	uint8_t proto;
	uint8_t family;
	uint8_t prefix;
	uint8_t addr[16];
	bool has_port;
	uint16_t port_lo;
	uint16_t port_hi;
	unsigned int line;
};

/**
 * struct unet_policy - an ordered rule list and a default verdict
 * @def: the verdict when no rule matches
 * @n: rules in @rules, at most UNET_POLICY_RULES_MAX
 * @cap: room in @rules
 * @rules: the rules, in order (first match wins)
 */
struct unet_policy {
	enum unet_policy_verdict def;
	size_t n;
	size_t cap;
	struct policy_rule *rules;
};

struct unet_policy *unet__policy_dup(const struct unet_policy *policy);

#endif /* USERNET_POLICY_INTERNAL_H */
