/* SPDX-License-Identifier: MIT */
/*
 * The DHCP server's lease pool (dhcp_lease.h).
 *
 * Theory of operation: a table of exactly n entries, entry i being address
 * first + i. An entry remembers its owner (the client identifier, option
 * 61, or else chaddr), a state and when that state ends:
 *
 *   FREE      nobody holds the address; the last owner is remembered, so
 *             that it gets the same address back while nobody took it
 *   OFFERED   held for the owner for UNET__DHCP_OFFER_HOLD_S after an OFFER
 *   BOUND     leased to the owner until the lease ends (BOOTP: forever)
 *   DECLINED  a client said someone else uses it: out of the pool for
 *             UNET__DHCP_DECLINE_HOLD_S, with no owner
 *
 * A state whose time is over counts as FREE; nothing runs on a timer, the
 * caller passes the hub's clock with every call. A client gets the entry it
 * owns, else the address it asked for when that is free, else an entry
 * nobody ever owned, else the free entry whose last owner left longest
 * ago. The table is allocated once; nothing a client sends makes it grow.
 * Addresses cross the interface in network order.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "wire/dhcp_proto.h"

#include "dhcp_lease.h"

#define NS_PER_S 1000000000ull

/* How a client is known (first byte of a key). */
enum dhcp_key_kind {
	DHCP_KEY_CHADDR, /* chaddr: 6 bytes */
	DHCP_KEY_CLIENT_ID, /* option 61, whole */
	DHCP_KEY_CLIENT_ID_HASH, /* option 61, its start and a hash of all */
	DHCP_KEY_KIND_NUM
};

_Static_assert(UNET__DHCP_LEASE_STATE_NUM <= UINT8_MAX,
	       "unet__dhcp_lease.state is a byte");
_Static_assert(UNET__DHCP_KEY_MAX <= UINT8_MAX, "unet__dhcp_key.len is a byte");

/**
 * unet__dhcp_hash() - FNV-1a of some bytes, for keys too long to keep whole
 * @p: the bytes
 * @len: how many
 *
 * Return: the 64-bit hash.
 */
uint64_t unet__dhcp_hash(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/**
 * unet__dhcp_key_make() - a client's identity
 * @k: receives it
 * @chaddr: the client's hardware address (6 bytes)
 * @client_id: option 61's data, or NULL when the client sent none
 * @client_id_len: its length
 *
 * Option 61 when the client sent one (its start and a hash when it is
 * longer than a key holds), else chaddr.
 */
void unet__dhcp_key_make(struct unet__dhcp_key *k, const uint8_t *chaddr,
			 const uint8_t *client_id, size_t client_id_len)
{
	uint64_t h;
	size_t keep;

	memset(k, 0, sizeof(*k));
	if (client_id == NULL) {
		k->data[0] = DHCP_KEY_CHADDR;
		memcpy(k->data + 1, chaddr, DHCP_HLEN_ETHER);
		k->len = 1 + DHCP_HLEN_ETHER;
	} else if (client_id_len <= UNET__DHCP_KEY_MAX - 1) {
		k->data[0] = DHCP_KEY_CLIENT_ID;
		memcpy(k->data + 1, client_id, client_id_len);
		k->len = (uint8_t)(1 + client_id_len);
	} else {
		keep = UNET__DHCP_KEY_MAX - 1 - sizeof(h);
		h = unet__dhcp_hash(client_id, client_id_len);
		k->data[0] = DHCP_KEY_CLIENT_ID_HASH;
		memcpy(k->data + 1, client_id, keep);
		memcpy(k->data + 1 + keep, &h, sizeof(h));
		k->len = UNET__DHCP_KEY_MAX;
	}
}

static bool dhcp_key_eq(const struct unet__dhcp_key *a,
			const struct unet__dhcp_key *b)
{
	return a->len != 0 && a->len == b->len &&
	       memcmp(a->data, b->data, a->len) == 0;
}

/**
 * unet__dhcp_pool_init() - allocate a pool
 * @pool: the pool
 * @first: its first address (network order)
 * @n: how many addresses, at least 1
 *
 * Return: 0, or -ENOMEM.
 */
int unet__dhcp_pool_init(struct unet__dhcp_pool *pool, uint32_t first,
			 unsigned int n)
{
	pool->first = ntohl(first);
	pool->n = n;
	pool->leases = calloc(n, sizeof(*pool->leases));
	return pool->leases != NULL ? 0 : -ENOMEM;
}

/**
 * unet__dhcp_pool_free() - release a pool's table
 * @pool: the pool
 */
void unet__dhcp_pool_free(struct unet__dhcp_pool *pool)
{
	free(pool->leases);
	pool->leases = NULL;
	pool->n = 0;
}

/* Whether an entry is held (offered, leased, declined) at @now. */
static bool dhcp_lease_live(const struct unet__dhcp_lease *l, uint64_t now)
{
	return l->state != UNET__DHCP_LEASE_FREE && now < l->expires_ns;
}

/**
 * unet__dhcp_pool_addr() - the address of an entry
 * @pool: the pool
 * @i: the entry, below @pool->n
 *
 * Return: its address (network order).
 */
uint32_t unet__dhcp_pool_addr(const struct unet__dhcp_pool *pool,
			      unsigned int i)
{
	return htonl(pool->first + i);
}

/**
 * unet__dhcp_pool_index() - the entry of an address
 * @pool: the pool
 * @addr: the address (network order)
 *
 * Return: its index, or -1 when it is outside the pool.
 */
int unet__dhcp_pool_index(const struct unet__dhcp_pool *pool, uint32_t addr)
{
	uint32_t h = ntohl(addr);

	if (h < pool->first || h - pool->first >= pool->n)
		return -1;
	return (int)(h - pool->first);
}

/* The entry the client owns, or -1. */
static int dhcp_pool_find_owned(const struct unet__dhcp_pool *pool,
				const struct unet__dhcp_key *k)
{
	unsigned int i;

	for (i = 0; i < pool->n; i++)
		if (dhcp_key_eq(&pool->leases[i].owner, k))
			return (int)i;
	return -1;
}

/*
 * The entry for a client that needs an address: the one it owns, else the
 * one it asked for (@requested, 0 for none) when free, else one nobody ever
 * owned, else the one free the longest. -1 when the pool is exhausted.
 */
static int dhcp_pool_pick(const struct unet__dhcp_pool *pool,
			  const struct unet__dhcp_key *k, uint32_t requested,
			  uint64_t now)
{
	const struct unet__dhcp_lease *l;
	uint64_t oldest = UINT64_MAX;
	int i, best = -1;

	i = dhcp_pool_find_owned(pool, k);
	if (i >= 0)
		return i;
	i = requested != 0 ? unet__dhcp_pool_index(pool, requested) : -1;
	if (i >= 0 && !dhcp_lease_live(&pool->leases[i], now))
		return i;
	for (i = 0; i < (int)pool->n; i++) {
		l = &pool->leases[i];
		if (dhcp_lease_live(l, now))
			continue;
		if (l->owner.len == 0)
			return i;
		if (best < 0 || l->expires_ns < oldest) {
			best = i;
			oldest = l->expires_ns;
		}
	}
	return best;
}

/* Makes entry @i the client's. */
static struct unet__dhcp_lease *dhcp_pool_own(struct unet__dhcp_pool *pool,
					      unsigned int i,
					      const struct unet__dhcp_key *k)
{
	struct unet__dhcp_lease *l = &pool->leases[i];

	if (!dhcp_key_eq(&l->owner, k)) {
		l->owner = *k;
		l->state = UNET__DHCP_LEASE_FREE;
	}
	return l;
}

/**
 * unet__dhcp_pool_offer() - hold an address for a client's DISCOVER
 * @pool: the pool
 * @k: the client
 * @requested: the address it asked for (option 50), 0 for none
 * @now: the hub's clock
 *
 * A client's live lease stays as it is; any other entry picked is held
 * for UNET__DHCP_OFFER_HOLD_S.
 *
 * Return: the entry offered, or -ENOSPC when the pool is exhausted.
 */
int unet__dhcp_pool_offer(struct unet__dhcp_pool *pool,
			  const struct unet__dhcp_key *k, uint32_t requested,
			  uint64_t now)
{
	struct unet__dhcp_lease *l;
	int i;

	i = dhcp_pool_pick(pool, k, requested, now);
	if (i < 0)
		return -ENOSPC;
	l = dhcp_pool_own(pool, (unsigned int)i, k);
	if (!(l->state == UNET__DHCP_LEASE_BOUND && dhcp_lease_live(l, now))) {
		l->state = UNET__DHCP_LEASE_OFFERED;
		l->expires_ns = now + UNET__DHCP_OFFER_HOLD_S * NS_PER_S;
	}
	return i;
}

/**
 * unet__dhcp_pool_request() - lease an address a client REQUESTs
 * @pool: the pool
 * @k: the client
 * @addr: the address (network order)
 * @now: the hub's clock
 * @renewal: set to whether the client held that lease already
 *
 * The client may not have an address outside the pool, another one than
 * its own, or one someone else holds (RFC 2131 4.3.2): those are NAKed.
 *
 * Return: 0 with the address leased for UNET__DHCP_LEASE_S; -ERANGE for an
 * address outside the pool; -EADDRINUSE for one the client may not have.
 */
int unet__dhcp_pool_request(struct unet__dhcp_pool *pool,
			    const struct unet__dhcp_key *k, uint32_t addr,
			    uint64_t now, bool *renewal)
{
	int i = unet__dhcp_pool_index(pool, addr);
	int own = dhcp_pool_find_owned(pool, k);
	struct unet__dhcp_lease *l;

	if (i < 0)
		return -ERANGE;
	if ((own >= 0 && own != i) ||
	    (own < 0 && dhcp_lease_live(&pool->leases[i], now)))
		return -EADDRINUSE;
	*renewal = own == i && pool->leases[i].state == UNET__DHCP_LEASE_BOUND;
	l = dhcp_pool_own(pool, (unsigned int)i, k);
	l->state = UNET__DHCP_LEASE_BOUND;
	l->expires_ns = now + UNET__DHCP_LEASE_S * NS_PER_S;
	return 0;
}

/**
 * unet__dhcp_pool_unoffer() - a client took another server's offer
 * @pool: the pool
 * @k: the client
 * @now: the hub's clock
 *
 * The address offered to it (if any) is free again at once.
 */
void unet__dhcp_pool_unoffer(struct unet__dhcp_pool *pool,
			     const struct unet__dhcp_key *k, uint64_t now)
{
	struct unet__dhcp_lease *l;
	int i;

	i = dhcp_pool_find_owned(pool, k);
	if (i < 0)
		return;
	l = &pool->leases[i];
	if (l->state == UNET__DHCP_LEASE_OFFERED) {
		l->state = UNET__DHCP_LEASE_FREE;
		l->expires_ns = now;
	}
}

/* The entry of @addr when it is the client's, or NULL. */
static struct unet__dhcp_lease *dhcp_pool_owned(struct unet__dhcp_pool *pool,
						const struct unet__dhcp_key *k,
						uint32_t addr)
{
	int i = unet__dhcp_pool_index(pool, addr);

	if (i < 0 || !dhcp_key_eq(&pool->leases[i].owner, k))
		return NULL;
	return &pool->leases[i];
}

/**
 * unet__dhcp_pool_decline() - a client says its address is in use
 * @pool: the pool
 * @k: the client
 * @addr: the address (network order)
 * @now: the hub's clock
 *
 * The address leaves the pool for UNET__DHCP_DECLINE_HOLD_S, with no owner.
 *
 * Return: 0, or -EPERM when the address is not the client's.
 */
int unet__dhcp_pool_decline(struct unet__dhcp_pool *pool,
			    const struct unet__dhcp_key *k, uint32_t addr,
			    uint64_t now)
{
	struct unet__dhcp_lease *l = dhcp_pool_owned(pool, k, addr);

	if (l == NULL)
		return -EPERM;
	memset(&l->owner, 0, sizeof(l->owner));
	l->state = UNET__DHCP_LEASE_DECLINED;
	l->expires_ns = now + UNET__DHCP_DECLINE_HOLD_S * NS_PER_S;
	return 0;
}

/**
 * unet__dhcp_pool_release() - a client gives its address back
 * @pool: the pool
 * @k: the client
 * @addr: the address (network order)
 * @now: the hub's clock
 *
 * The owner stays remembered: it gets the address back while it is free.
 *
 * Return: 0, or -EPERM when the address is not the client's.
 */
int unet__dhcp_pool_release(struct unet__dhcp_pool *pool,
			    const struct unet__dhcp_key *k, uint32_t addr,
			    uint64_t now)
{
	struct unet__dhcp_lease *l = dhcp_pool_owned(pool, k, addr);

	if (l == NULL)
		return -EPERM;
	l->state = UNET__DHCP_LEASE_FREE;
	l->expires_ns = now;
	return 0;
}

/**
 * unet__dhcp_pool_bootp() - give a BOOTP client an address for good
 * @pool: the pool
 * @k: the client
 * @now: the hub's clock
 *
 * Return: the entry leased (it never expires), or -ENOSPC when the pool is
 * exhausted.
 */
int unet__dhcp_pool_bootp(struct unet__dhcp_pool *pool,
			  const struct unet__dhcp_key *k, uint64_t now)
{
	struct unet__dhcp_lease *l;
	int i;

	i = dhcp_pool_pick(pool, k, 0, now);
	if (i < 0)
		return -ENOSPC;
	l = dhcp_pool_own(pool, (unsigned int)i, k);
	l->state = UNET__DHCP_LEASE_BOUND;
	l->expires_ns = UINT64_MAX; /* BOOTP addresses are permanent */
	return i;
}
