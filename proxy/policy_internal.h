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
 * @name_kind: what the rule's `to` names, if a name: enum policy_name_kind
 * @name_len: the name's length (`to *.DOMAIN`: DOMAIN's), in
 *            &unet_policy.names
 * @name_off: where it starts there
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
	uint8_t name_kind;
	uint8_t name_len;
	uint32_t name_off;
};

/**
 * enum policy_name_kind - what a rule's `to` names
 * @POLICY_NAME_NONE: an address (or nothing)
 * @POLICY_NAME_EXACT: `to NAME`: that name
 * @POLICY_NAME_UNDER: `to *.DOMAIN`: every name under DOMAIN (not DOMAIN)
 * @POLICY_NAME_ANY: `to *`: every name
 * @POLICY_NAME_KIND_NUM: the number of kinds
 */
enum policy_name_kind {
	POLICY_NAME_NONE,
	POLICY_NAME_EXACT,
	POLICY_NAME_UNDER,
	POLICY_NAME_ANY,
	POLICY_NAME_KIND_NUM
};

/**
 * struct unet_policy - an ordered rule list and a default verdict
 * @def: the verdict when no rule matches
 * @n: rules in @rules, at most UNET_POLICY_RULES_MAX
 * @cap: room in @rules
 * @rules: the rules, in order (first match wins)
 * @names: the text of the rules' names, one after another, lower case,
 *         without NULs (&policy_rule.name_off and .name_len say which)
 * @names_len: bytes used in @names
 * @names_cap: room in @names
 * @n_name_rules: rules that name a name (a policy without any has nothing
 *                to say of DNS queries)
 */
struct unet_policy {
	enum unet_policy_verdict def;
	size_t n;
	size_t cap;
	struct policy_rule *rules;
	char *names;
	size_t names_len;
	size_t names_cap;
	size_t n_name_rules;
};

struct unet_policy *unet__policy_dup(const struct unet_policy *policy);
enum unet_policy_verdict unet__policy_match_names(
	const struct unet_policy *policy, const struct unet_flow_desc *flow,
	const char *const *names, size_t n, int *rule, size_t *which);
bool unet__policy_query_refused(const struct unet_policy *policy,
				const char *name, int *rule);
bool unet__policy_name_valid(const char *name, size_t len);

#endif /* USERNET_POLICY_INTERNAL_H */
