/* SPDX-License-Identifier: MIT */
/*
 * usernet egress policy: which of the guest's outgoing flows the proxy
 * opens. A policy is an ordered list of rules, first match wins, and a
 * default verdict for what no rule matches:
 *
 *   # comment
 *   default deny
 *   allow tcp to 198.18.0.0/15 port 443
 *   allow udp to 2001:db8::53 port 53
 *   deny icmp
 *   allow port 8000-8099
 *   allow tcp to deb.example port 443
 *   deny to *.evil.example
 *
 * A rule is `allow|deny [tcp|udp|icmp] [to CIDR | to NAME | to *.DOMAIN |
 * to *] [port N[-M]]`; a missing part matches everything (`icmp` is ICMP
 * and ICMPv6 echo; a rule with a port matches TCP and UDP only; `to ADDR`
 * without a length is one host).
 * The proxy decides each flow at its start: a guest's TCP SYN, and each
 * UDP datagram or echo request it carries out (a UDP socket may send to
 * many destinations). unet_policy_parse() reads the text;
 * &unet_proxy_config.policy hands a policy to a proxy.
 *
 * Names: `to NAME` (case-insensitive; labels of letters, digits, '-' and
 * '_', at most 253 bytes), `to *.DOMAIN` (every name under DOMAIN, at any
 * depth, not DOMAIN itself) and `to *` (every name) match a flow whose
 * destination address the guest learned through the stack's DNS forwarder
 * from an answer for a matching name: A and AAAA records, CNAME chains
 * followed (every name of the chain counts), for the record's TTL clamped
 * to &unet_proxy_config.names_ttl_min and .names_ttl_max. A destination
 * never resolved that way matches address rules only. The name rules also
 * decide the guest's DNS queries: the first name rule matching the queried
 * name refuses it (answer REFUSED, nothing goes upstream) when it is a
 * deny with neither protocol nor port; otherwise, or when no name rule
 * matches, the query goes upstream.
 */
#ifndef USERNET_POLICY_H
#define USERNET_POLICY_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <usernet/hub.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The most rules one policy holds. */
#define UNET_POLICY_RULES_MAX 4096

/**
 * enum unet_policy_verdict - what a policy (or an embedder's callback)
 * says of a flow
 * @UNET_POLICY_ALLOW: the flow opens
 * @UNET_POLICY_DENY: the flow is refused: TCP gets a RST, UDP an ICMP
 *                    (ICMPv6) administratively prohibited, an echo request
 *                    no answer
 * @UNET_POLICY_PASS: (from a callback only) the rules decide
 * @UNET_POLICY_VERDICT_NUM: the number of verdicts
 */
enum unet_policy_verdict {
	UNET_POLICY_ALLOW,
	UNET_POLICY_DENY,
	UNET_POLICY_PASS,
	UNET_POLICY_VERDICT_NUM
};

/**
 * struct unet_flow_desc - a flow the guest opens, as a policy sees it
 * @proto: IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP or IPPROTO_ICMPV6 (echo)
 * @family: AF_INET or AF_INET6
 * @dst: the host-side destination (@family AF_INET): the address the guest
 *       used, or 127.0.0.1 for the gateway's address (the host's loopback)
 * @dst6: the same for AF_INET6 (::1 for the gateway's IPv6 address)
 * @port: the destination port (host order); 0 for ICMP
 * @guest: the guest's source address (@family AF_INET)
 * @guest6: the guest's source address (@family AF_INET6)
 * @guest_port: the guest's source port, or echo id (host order)
 * @name: the DNS name the guest resolved @dst (@dst6) from through the
 *        stack's DNS forwarder, lower case, or NULL when none is known
 *        (valid for the call only). An address learned under several
 *        names: the name of the rule that decided, else the newest. For
 *        unet_policy_match(), the one name name rules are matched with
 */
struct unet_flow_desc {
	int proto;
	int family;
	struct in_addr dst;
	struct in6_addr dst6;
	uint16_t port;
	struct in_addr guest;
	struct in6_addr guest6;
	uint16_t guest_port;
	const char *name;
};

/**
 * typedef unet_policy_decide_fn - an embedder's own decision on a flow
 * @opaque: &unet_proxy_config.decide_opaque
 * @flow: the flow, valid for the call
 *
 * Called synchronously on the hub's loop before the rules, for every flow
 * the rules would decide (&unet_flow_desc.name is then the newest name the
 * destination was resolved from). It must not call back into the proxy.
 *
 * Return: UNET_POLICY_ALLOW, UNET_POLICY_DENY, or UNET_POLICY_PASS to let
 * the rules decide (anything else counts as UNET_POLICY_PASS).
 */
typedef int (*unet_policy_decide_fn)(void *opaque,
				     const struct unet_flow_desc *flow);

/**
 * typedef unet_audit_fn - receives one line of the egress audit log
 * @opaque: &unet_proxy_config.audit_opaque
 * @line: one JSON object on one line, ending in a newline, NUL-terminated
 *        (README "Audit log" gives its fields), valid for the call
 * @len: its length, the newline included and the NUL not: a file sink
 *       writes it with one write(2)
 *
 * Called synchronously on the hub's loop; it must not block for long nor
 * call back into the proxy.
 *
 * Return: 0, or a negative errno when the line was lost (counted in
 * &unet_policy_stats.audit_errors).
 */
typedef int (*unet_audit_fn)(void *opaque, const char *line, size_t len);

struct unet_policy;

UNET_EXTERN int unet_policy_parse(const char *text, size_t len,
				  const char *name, struct unet_policy **out,
				  char *err, size_t errlen);
UNET_EXTERN int unet_policy_load(const char *path, struct unet_policy **out,
				 char *err, size_t errlen);
UNET_EXTERN int unet_policy_new(enum unet_policy_verdict def,
				struct unet_policy **out);
UNET_EXTERN void unet_policy_free(struct unet_policy *policy);
UNET_EXTERN void unet_policy_set_default(struct unet_policy *policy,
					 enum unet_policy_verdict def);
UNET_EXTERN enum unet_policy_verdict
unet_policy_default(const struct unet_policy *policy);
UNET_EXTERN size_t unet_policy_rules(const struct unet_policy *policy);
UNET_EXTERN enum unet_policy_verdict
unet_policy_match(const struct unet_policy *policy,
		  const struct unet_flow_desc *flow, int *rule);

#ifdef __cplusplus
}
#endif

#endif /* USERNET_POLICY_H */
