/* SPDX-License-Identifier: MIT */
/*
 * The proxy's side of the egress policy: asking it, counting its answers.
 *
 * Theory of operation: unet_proxy_new() copies the configured policy
 * (unet__egress_init()) and allocates one hit counter per rule, so the
 * caller's policy is free to go and nothing grows later. Every flow the
 * guest starts toward the outside passes unet__flow_map_out(), which asks
 * unet__egress_decide() with the host-side destination (127.0.0.1 / ::1
 * for the gateway's address): the embedder's callback first, then the
 * rules (a linear walk, no allocation). A refusal costs a counter and,
 * for the caller, a RST (TCP), a rate-limited ICMP error (UDP) or nothing
 * (echo): a guest that floods denied attempts allocates nothing here.
 * Each decision goes to the audit log too (audit.c), when there is one.
 *
 * At run time unet_proxy_set_policy() swaps in a copy of a new policy (and
 * new hit counters, at 0; the totals go on), allocated before the old one
 * goes, so a failure leaves the old one in force. With
 * UNET_POLICY_CUT_FLOWS the flow table is walked once (unet__flow_recheck())
 * and each flow the guest started is decided again on the host-side
 * destination it keeps (egress_dst), uncounted; the denied ones close.
 * Name rules match the names the destination was resolved from
 * (unet__names_for_flow(), names.c); the flow's &unet_flow_desc.name is
 * the one that made a name rule decide, else the newest.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "proxy_internal.h"

#include "wire/config_copy.h"

/**
 * unet__egress_init() - take the configured policy into the proxy
 * @proxy: the proxy, its cfg copied
 *
 * Return: 0 or -ENOMEM.
 */
int unet__egress_init(struct unet_proxy *proxy)
{
	const struct unet_policy *p = proxy->cfg.policy;

	proxy->cfg.policy = NULL; /* the caller's; never used after */
	if (p == NULL)
		return 0;
	proxy->egress.policy = unet__policy_dup(p);
	if (proxy->egress.policy == NULL)
		return -ENOMEM;
	if (p->n > 0) {
		proxy->egress.hits = calloc(p->n, sizeof(uint64_t));
		if (proxy->egress.hits == NULL) {
			unet__egress_free(proxy);
			return -ENOMEM;
		}
	}
	return 0;
}

/**
 * unet__egress_free() - free the proxy's copy of the policy
 * @proxy: the proxy
 */
void unet__egress_free(struct unet_proxy *proxy)
{
	unet_policy_free(proxy->egress.policy);
	free(proxy->egress.hits);
	proxy->egress.policy = NULL;
	proxy->egress.hits = NULL;
}

/* The flow @dst and the guest's side describe, as a policy sees it. */
static void egress_desc(struct unet_flow_desc *d, int proto,
			const union unet_sockaddr *dst,
			const union unet_ip_addr *guest, uint16_t guest_port)
{
	memset(d, 0, sizeof(*d));
	d->proto = proto;
	d->family = dst->sa.sa_family;
	d->guest_port = guest_port;
	if (d->family == AF_INET) {
		d->dst = dst->in.sin_addr;
		d->port = ntohs(dst->in.sin_port);
		d->guest.s_addr = guest->v4;
	} else {
		d->dst6 = dst->in6.sin6_addr;
		d->port = ntohs(dst->in6.sin6_port);
		memcpy(&d->guest6, guest->v6, sizeof(d->guest6));
	}
	if (proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6)
		d->port = 0;
}

/**
 * unet__egress_decide() - may the guest's flow go out
 * @proxy: the proxy
 * @proto: IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP or IPPROTO_ICMPV6
 * @dst: the host-side destination and port
 * @guest: the guest's address (of @dst's family)
 * @guest_port: its port or echo id (host order)
 *
 * Counted in the policy's statistics (not in refused_policy: the caller
 * does that).
 *
 * Return: true to let it out.
 */
bool unet__egress_decide(struct unet_proxy *proxy, int proto,
			 const union unet_sockaddr *dst,
			 const union unet_ip_addr *guest, uint16_t guest_port)
{
	const char *names[UNET__NAMES_PER_ADDR];
	struct proxy_egress *e = &proxy->egress;
	struct unet_flow_desc d;
	int v = UNET_POLICY_PASS, rule = -1;
	size_t n_names, which = 0;

	if (e->policy == NULL && proxy->cfg.decide == NULL &&
	    proxy->cfg.audit == NULL)
		return true;
	egress_desc(&d, proto, dst, guest, guest_port);
	n_names = unet__names_for_flow(proxy, &d, names);
	if (proxy->cfg.decide != NULL) {
		v = proxy->cfg.decide(proxy->cfg.decide_opaque, &d);
		if (v == UNET_POLICY_ALLOW)
			e->callback_allowed++;
		else if (v == UNET_POLICY_DENY)
			e->callback_denied++;
		if (v == UNET_POLICY_ALLOW || v == UNET_POLICY_DENY)
			rule = PROXY_AUDIT_CALLBACK;
	}
	if (v != UNET_POLICY_ALLOW && v != UNET_POLICY_DENY) {
		v = e->policy == NULL ?
			    UNET_POLICY_ALLOW :
			    (int)unet__policy_match_names(e->policy, &d, names,
							  n_names, &rule,
							  &which);
		if (e->policy != NULL && which < n_names)
			d.name = names[which];
		if (e->policy != NULL && rule < 0)
			e->default_hits++;
		else if (e->policy != NULL)
			e->hits[rule]++;
	}
	unet__audit_decision(proxy, &d, v, rule);
	if (v == UNET_POLICY_DENY) {
		e->denied++;
		return false;
	}
	e->allowed++;
	return true;
}

/**
 * unet_proxy_policy_stats() - read what a proxy's egress policy decided
 * @proxy: the proxy
 * @stats: receives the totals; its @size set by the caller
 * @hits: receives each rule's hit count, in the rules' order (may be NULL
 *        when @n is 0)
 * @n: room in @hits; rules past it are not written
 *
 * Return: the policy's rule count (0 without one), or -EINVAL when
 * @stats->size is below the struct's first size.
 */
int unet_proxy_policy_stats(const struct unet_proxy *proxy,
			    struct unet_policy_stats *stats, uint64_t *hits,
			    size_t n)
{
	const struct proxy_egress *e = &proxy->egress;
	struct unet_policy_stats st;
	size_t rules = e->policy != NULL ? e->policy->n : 0;
	int r;

	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	st.allowed = e->allowed;
	st.denied = e->denied;
	st.default_hits = e->default_hits;
	st.callback_allowed = e->callback_allowed;
	st.callback_denied = e->callback_denied;
	st.rules = rules;
	st.audit_lines = proxy->audit.lines;
	st.audit_suppressed = proxy->audit.suppressed;
	st.audit_errors = proxy->audit.errors;
	st.names_learned = e->names.learned;
	st.names_evicted = e->names.evicted;
	st.names_expired = e->names.expired;
	st.names = e->names.n;
	st.dns_refused = e->dns_refused;
	r = unet__stats_copy(stats, &st, sizeof(st), sizeof(st));
	if (r < 0)
		return r;
	if (hits != NULL && rules > 0)
		memcpy(hits, e->hits, (n < rules ? n : rules) * sizeof(*hits));
	return (int)rules;
}

/*
 * Whether the policy in force denies an open flow now, decided as a new
 * flow would be (the embedder's callback, then the rules) but counted
 * nowhere: the decision counters count flows that start.
 */
static bool egress_denies(struct unet_proxy *proxy,
			  const struct proxy_flow *flow)
{
	const char *names[UNET__NAMES_PER_ADDR];
	const struct proxy_egress *e = &proxy->egress;
	struct unet_flow_desc d;
	int v = UNET_POLICY_PASS, rule;
	size_t n_names, which = 0;

	egress_desc(&d, flow->proto, &flow->egress_dst, &flow->guest_addr,
		    flow->guest_port);
	n_names = unet__names_for_flow(proxy, &d, names);
	if (proxy->cfg.decide != NULL)
		v = proxy->cfg.decide(proxy->cfg.decide_opaque, &d);
	if (v != UNET_POLICY_ALLOW && v != UNET_POLICY_DENY)
		v = e->policy == NULL ?
			    UNET_POLICY_ALLOW :
			    (int)unet__policy_match_names(e->policy, &d, names,
							  n_names, &rule,
							  &which);
	return v == UNET_POLICY_DENY;
}

/* Logs the policy now in force and, with @flags' cut, applies it. */
static int egress_changed(struct unet_proxy *proxy, unsigned int flags)
{
	const struct unet_policy *p = proxy->egress.policy;
	unsigned int cut = 0;

	if (flags & UNET_POLICY_CUT_FLOWS)
		cut = unet__flow_recheck(proxy, egress_denies);
	unet_hub_log(proxy->hub, UNET_LOG_INFO,
		     "proxy: egress policy now %zu rules, default %s; "
		     "open flows %s (%u cut)",
		     p != NULL ? p->n : 0,
		     p != NULL && p->def == UNET_POLICY_DENY ? "deny" : "allow",
		     flags & UNET_POLICY_CUT_FLOWS ? "decided again" : "kept",
		     cut);
	return (int)(cut > INT_MAX ? INT_MAX : cut);
}

/**
 * unet_proxy_set_policy() - replace a proxy's egress policy while it runs
 * @proxy: the proxy
 * @policy: the new policy (usernet/policy.h), NULL for none (every flow
 *          allowed but what &unet_proxy_config.decide denies); copied, so
 *          the caller keeps it and may free it at once
 * @flags: UNET_POLICY_KEEP_FLOWS (0): the flows open now stay, and only
 *         flows that start from now on are decided by @policy; or
 *         UNET_POLICY_CUT_FLOWS: besides, every open flow the guest
 *         started is decided again by @policy as if it started now (the
 *         embedder's callback first), and those it denies close at once: a
 *         TCP connection is reset both ways (a SYN whose host connect is
 *         under way gets the refusal a new one would), a UDP or echo flow
 *         is dropped with its host socket. A UDP flow is decided on the
 *         destination of the last datagram it carried out (every datagram
 *         is decided anyway). Forwards (hostfwd) and the gateway's own
 *         services are never cut
 *
 * The per-rule hit counters (unet_proxy_policy_stats()) start again at 0
 * for the new rules; the totals (allowed, denied, default, callback) go
 * on. Re-deciding open flows counts in none of them, only each flow cut in
 * &unet_proxy_stats.cut_by_policy. The default verdict is part of the
 * policy (unet_policy_set_default(), or unet_proxy_set_policy_default()
 * to change only it). On failure the policy in force stays.
 *
 * Return: the number of flows cut (0 with UNET_POLICY_KEEP_FLOWS), or
 * -EINVAL for an unknown flag, -ENOMEM.
 */
int unet_proxy_set_policy(struct unet_proxy *proxy,
			  const struct unet_policy *policy, unsigned int flags)
{
	struct proxy_egress *e = &proxy->egress;
	struct unet_policy *copy = NULL;
	uint64_t *hits = NULL;

	if (flags & ~UNET_POLICY_CUT_FLOWS)
		return -EINVAL;
	if (policy != NULL) {
		copy = unet__policy_dup(policy);
		if (copy == NULL)
			return -ENOMEM;
		hits = copy->n > 0 ? calloc(copy->n, sizeof(*hits)) : NULL;
		if (copy->n > 0 && hits == NULL) {
			unet_policy_free(copy);
			return -ENOMEM;
		}
	}
	unet__egress_free(proxy);
	e->policy = copy;
	e->hits = hits;
	return egress_changed(proxy, flags);
}

/**
 * unet_proxy_set_policy_default() - change only the default verdict of a
 * proxy's egress policy while it runs
 * @proxy: the proxy
 * @def: UNET_POLICY_ALLOW or UNET_POLICY_DENY
 * @flags: UNET_POLICY_KEEP_FLOWS or UNET_POLICY_CUT_FLOWS, as for
 *         unet_proxy_set_policy()
 *
 * The rules and their hit counters stay. A proxy without a policy gets
 * one without rules and this default.
 *
 * Return: the number of flows cut, or -EINVAL for another verdict or an
 * unknown flag, -ENOMEM.
 */
int unet_proxy_set_policy_default(struct unet_proxy *proxy,
				  enum unet_policy_verdict def,
				  unsigned int flags)
{
	struct proxy_egress *e = &proxy->egress;
	int r;

	if ((flags & ~UNET_POLICY_CUT_FLOWS) ||
	    (def != UNET_POLICY_ALLOW && def != UNET_POLICY_DENY))
		return -EINVAL;
	if (e->policy == NULL) {
		r = unet_policy_new(def, &e->policy);
		if (r < 0)
			return r;
	}
	unet_policy_set_default(e->policy, def);
	return egress_changed(proxy, flags);
}
