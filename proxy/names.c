/* SPDX-License-Identifier: MIT */
/*
 * The names the guest resolved its destinations from, for the egress
 * policy's name rules (`to NAME`, `to *.DOMAIN`, `to *`).
 *
 * Theory of operation: the stack's DNS forwarder shows the proxy every
 * answer it passes to the guest, read into names and addresses
 * (&unet_stack_proxy_ops.dns_answer, stack/dns_msg.c); unet__names_answer()
 * learns each (address, name) pair of it: every address under every name
 * of the CNAME chain that leads to it. A pair is kept for its TTL clamped
 * to [ttl_min, ttl_max] (&unet_proxy_config.names_ttl_min, .names_ttl_max;
 * 30 s and 1 h by default) on the hub's clock, so a virtual clock drives
 * it as it drives every timer; learned again, its time starts over. It
 * counts until, not including, its expiry: at now == expiry it is gone.
 * When the egress policy decides a flow, unet__names_for_flow() looks up
 * the names of its destination (newest first), forgetting those expired
 * on the way; the rules match any of them.
 *
 * State: one entry per pair (the name's text in it), in a hash table by
 * address (seeded from the hub's random source: the guest picks the
 * names it resolves, and so, through its own domain's server, addresses)
 * and in one list by age of learning. Memory is bounded: at most @max
 * entries (&unet_proxy_config.names_max, 4096 by default: about 1.3 MiB
 * with the longest names); learning one more forgets the oldest pair
 * (counted in evicted), and at most UNET__NAMES_PER_ADDR names are kept
 * per address (a guest resolving endless names of its own to one address
 * forgets its older ones, not others'). Entries past their time are
 * forgotten when met: looked up, or the oldest when room is made.
 *
 * The DNS queries themselves: unet__names_query() asks the policy
 * (unet__policy_query_refused()) whether a queried name is refused.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "proxy_internal.h"

/* Buckets of the hash table: one per two entries at most. */
#define NAMES_BUCKETS_MIN 64

/**
 * struct names_entry - one (address, name) pair
 * @hnext: next in its hash bucket (newest first)
 * @older: learned before it
 * @newer: learned after it
 * @expiry_ns: when it is forgotten (hub clock)
 * @family: AF_INET (the first 4 bytes of @addr) or AF_INET6
 * @addr: the address
 * @name: the name, lower case, NUL-terminated
 */
struct names_entry {
	struct names_entry *hnext;
	struct names_entry *older;
	struct names_entry *newer;
	uint64_t expiry_ns;
	sa_family_t family;
	uint8_t addr[16];
	char name[];
};

/**
 * unet__names_init() - an empty table
 * @t: the table
 * @max: most entries (at least 1)
 * @ttl_min: seconds a TTL is raised to
 * @ttl_max: seconds a TTL is lowered to (at least @ttl_min)
 * @seed: the hash's secret
 *
 * Nothing is allocated until the first learning.
 */
void unet__names_init(struct unet__names *t, size_t max, unsigned int ttl_min,
		      unsigned int ttl_max, uint64_t seed)
{
	memset(t, 0, sizeof(*t));
	t->max = max > 0 ? max : 1;
	t->ttl_min_ns = (uint64_t)ttl_min * 1000000000ull;
	t->ttl_max_ns = (uint64_t)ttl_max * 1000000000ull;
	if (t->ttl_max_ns < t->ttl_min_ns)
		t->ttl_max_ns = t->ttl_min_ns;
	t->seed = seed;
}

/**
 * unet__names_free() - forget everything and free the table's memory
 * @t: the table (initialized)
 */
void unet__names_free(struct unet__names *t)
{
	struct names_entry *e, *next;

	for (e = t->oldest; e != NULL; e = next) {
		next = e->newer;
		free(e);
	}
	free(t->buckets);
	t->buckets = NULL;
	t->nbuckets = 0;
	t->oldest = t->newest = NULL;
	t->n = 0;
}

static size_t names_alen(sa_family_t family)
{
	return family == AF_INET ? 4 : 16;
}

/* FNV-1a over the family and address, from the seed. */
static size_t names_bucket(const struct unet__names *t, sa_family_t family,
			   const uint8_t *addr)
{
	uint64_t h = 0xcbf29ce484222325ull ^ t->seed;
	size_t i;

	h = (h ^ (uint8_t)family) * 0x100000001b3ull;
	for (i = 0; i < names_alen(family); i++)
		h = (h ^ addr[i]) * 0x100000001b3ull;
	h ^= h >> 29;
	return (size_t)h & (t->nbuckets - 1);
}

static bool names_same_addr(const struct names_entry *e, sa_family_t family,
			    const uint8_t *addr)
{
	return e->family == family &&
	       memcmp(e->addr, addr, names_alen(family)) == 0;
}

/* Takes @e out of the age list. */
static void names_unlink_age(struct unet__names *t, struct names_entry *e)
{
	if (e->older != NULL)
		e->older->newer = e->newer;
	else
		t->oldest = e->newer;
	if (e->newer != NULL)
		e->newer->older = e->older;
	else
		t->newest = e->older;
	e->older = e->newer = NULL;
}

/* Puts @e at the new end of the age list. */
static void names_link_newest(struct unet__names *t, struct names_entry *e)
{
	e->older = t->newest;
	e->newer = NULL;
	if (t->newest != NULL)
		t->newest->newer = e;
	else
		t->oldest = e;
	t->newest = e;
}

/* Takes @e out of its bucket. */
static void names_unlink_hash(struct unet__names *t, struct names_entry *e)
{
	struct names_entry **pp =
		&t->buckets[names_bucket(t, e->family, e->addr)];

	for (; *pp != NULL; pp = &(*pp)->hnext) {
		if (*pp == e) {
			*pp = e->hnext;
			return;
		}
	}
}

/* Forgets @e; counted as expired at its time, else as evicted. */
static void names_forget(struct unet__names *t, struct names_entry *e,
			 uint64_t now_ns)
{
	names_unlink_hash(t, e);
	names_unlink_age(t, e);
	if (now_ns >= e->expiry_ns)
		t->expired++;
	else
		t->evicted++;
	t->n--;
	free(e);
}

static int names_buckets_alloc(struct unet__names *t)
{
	size_t n = NAMES_BUCKETS_MIN;

	while (n < t->max / 2 && n < ((size_t)1 << 20))
		n *= 2;
	t->buckets = calloc(n, sizeof(*t->buckets));
	if (t->buckets == NULL)
		return -ENOMEM;
	t->nbuckets = n;
	return 0;
}

/* @ttl seconds clamped to the table's floor and ceiling, in ns. */
static uint64_t names_ttl_ns(const struct unet__names *t, uint32_t ttl)
{
	uint64_t ns = (uint64_t)ttl * 1000000000ull;

	if (ns < t->ttl_min_ns)
		ns = t->ttl_min_ns;
	if (ns > t->ttl_max_ns)
		ns = t->ttl_max_ns;
	return ns;
}

/**
 * unet__names_learn() - remember that the guest resolved @addr from @name
 * @t: the table
 * @family: AF_INET or AF_INET6
 * @addr: the address (4 or 16 bytes, network order)
 * @name: the name (lower case, at most 253 bytes)
 * @ttl: the answer's TTL for it, seconds (clamped to the table's floor
 *       and ceiling)
 * @now_ns: the hub's clock
 *
 * A pair known already starts its time over. Makes room first: the
 * address's oldest name when it has UNET__NAMES_PER_ADDR, then the table's
 * oldest entry when it is full.
 *
 * Return: 0, or -ENOMEM (nothing is learned).
 */
int unet__names_learn(struct unet__names *t, sa_family_t family,
		      const uint8_t *addr, const char *name, uint32_t ttl,
		      uint64_t now_ns)
{
	struct names_entry *e, *oldest_of_addr = NULL, **head;
	size_t len = strlen(name), same = 0;
	uint64_t expiry = now_ns + names_ttl_ns(t, ttl);

	if (t->buckets == NULL && names_buckets_alloc(t) < 0)
		return -ENOMEM;
	head = &t->buckets[names_bucket(t, family, addr)];
	for (e = *head; e != NULL; e = e->hnext) {
		if (!names_same_addr(e, family, addr))
			continue;
		if (strcmp(e->name, name) == 0) {
			e->expiry_ns = expiry;
			names_unlink_age(t, e);
			names_link_newest(t, e);
			/* Newest first in the bucket too. */
			names_unlink_hash(t, e);
			e->hnext = *head;
			*head = e;
			t->learned++;
			return 0;
		}
		same++;
		oldest_of_addr = e; /* the bucket is newest first */
	}
	if (same >= UNET__NAMES_PER_ADDR && oldest_of_addr != NULL)
		names_forget(t, oldest_of_addr, now_ns);
	if (t->n >= t->max)
		names_forget(t, t->oldest, now_ns);
	e = malloc(sizeof(*e) + len + 1);
	if (e == NULL)
		return -ENOMEM;
	memset(e, 0, sizeof(*e));
	e->expiry_ns = expiry;
	e->family = family;
	memcpy(e->addr, addr, names_alen(family));
	memcpy(e->name, name, len + 1);
	e->hnext = *head;
	*head = e;
	names_link_newest(t, e);
	t->n++;
	t->learned++;
	return 0;
}

/**
 * unet__names_find() - the names the guest resolved an address from
 * @t: the table
 * @family: AF_INET or AF_INET6
 * @addr: the address
 * @now_ns: the hub's clock; entries whose expiry is @now_ns or earlier are
 *          forgotten (expired)
 * @names: receives the names, newest first, valid until the table changes
 * @max: room in @names
 *
 * Return: how many names were written.
 */
size_t unet__names_find(struct unet__names *t, sa_family_t family,
			const uint8_t *addr, uint64_t now_ns,
			const char **names, size_t max)
{
	struct names_entry *e, *next;
	size_t n = 0;

	if (t->buckets == NULL)
		return 0;
	for (e = t->buckets[names_bucket(t, family, addr)]; e != NULL;
	     e = next) {
		next = e->hnext;
		if (!names_same_addr(e, family, addr))
			continue;
		if (now_ns >= e->expiry_ns) {
			names_forget(t, e, now_ns);
			continue;
		}
		if (n < max)
			names[n++] = e->name;
	}
	return n;
}

/**
 * unet__names_answer() - learn what a DNS answer taught the guest
 * @proxy: the proxy
 * @ans: the answer's names and addresses (&unet_stack_proxy_ops.dns_answer)
 *
 * Only with an egress policy or a decide callback, which are what looks
 * the names up.
 */
void unet__names_answer(struct unet_proxy *proxy,
			const struct unet_dns_answer *ans)
{
	struct unet__names *t = &proxy->egress.names;
	uint64_t now = unet_hub_now_ns(proxy->hub);
	const struct unet_dns_addr *a;
	unsigned int i, j;

	if (proxy->egress.policy == NULL && proxy->cfg.decide == NULL)
		return;
	for (i = 0; i < ans->n_addrs; i++) {
		a = &ans->addrs[i];
		for (j = 0; j < a->names && j < ans->n_names; j++)
			if (unet__names_learn(t, a->family, a->addr,
					      ans->names[j], a->ttl, now) < 0)
				return;
	}
}

/**
 * unet__names_query() - may the guest's DNS query for a name go upstream
 * @proxy: the proxy
 * @name: the queried name (lower case), or NULL for one that is no host
 *        name
 *
 * Return: false when the egress policy refuses it (counted).
 */
bool unet__names_query(struct unet_proxy *proxy, const char *name)
{
	if (proxy->egress.policy == NULL ||
	    !unet__policy_query_refused(proxy->egress.policy, name, NULL))
		return true;
	proxy->egress.dns_refused++;
	PROXY_DEBUG_GUEST(proxy, "DNS query for %s refused by the policy",
			  name != NULL ? name : "a name that is no host name");
	return false;
}

/**
 * unet__names_for_flow() - the names a flow's destination was resolved from
 * @proxy: the proxy
 * @d: the flow; its @name is set to the newest name, or NULL
 * @names: receives the names, newest first (room for UNET__NAMES_PER_ADDR)
 *
 * Return: how many.
 */
size_t unet__names_for_flow(struct unet_proxy *proxy, struct unet_flow_desc *d,
			    const char **names)
{
	size_t n = unet__names_find(
		&proxy->egress.names, (sa_family_t)d->family,
		d->family == AF_INET ? (const uint8_t *)&d->dst.s_addr :
				       d->dst6.s6_addr,
		unet_hub_now_ns(proxy->hub), names, UNET__NAMES_PER_ADDR);

	d->name = n > 0 ? names[0] : NULL;
	return n;
}
