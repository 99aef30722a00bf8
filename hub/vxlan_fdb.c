/* SPDX-License-Identifier: MIT */
/*
 * The VXLAN forwarding database (see vxlan_fdb.h).
 *
 * Theory of operation: an open-addressing hash table of
 * UNET__VXLAN_FDB_SLOTS slots with linear probing, filled to at most half
 * (UNET__VXLAN_FDB_MAX entries). The hash mixes a per-table random seed, so
 * a peer choosing source MACs cannot aim them at one run of slots; even
 * then a walk visits at most UNET__VXLAN_FDB_MAX + 1 slots. Removal shifts
 * the entries of the run behind the hole back (no tombstones), so a lookup
 * stops at the first empty slot.
 *
 * Ageing: an entry older than @ageing_ns is treated as absent by lookup
 * (and removed there), and unet__vxlan_fdb_expire() sweeps the whole table
 * so that stale entries give their slots back; the port calls it from a
 * timer. A table that is full learns nothing new until entries age out:
 * frames to the MACs it could not learn are flooded, which is correct,
 * only less efficient.
 */
#include <string.h>

#include "wire/eth_proto.h"

#include "vxlan_fdb.h"

/**
 * unet__vxlan_fdb_init() - empty a table
 * @fdb: the table
 * @ageing_ns: how long an entry lives unrefreshed; 0 for ever
 * @seed: random bits for the hash
 */
void unet__vxlan_fdb_init(struct unet__vxlan_fdb *fdb, uint64_t ageing_ns,
			  uint64_t seed)
{
	memset(fdb, 0, sizeof(*fdb));
	fdb->ageing_ns = ageing_ns;
	fdb->seed = seed;
}

/**
 * unet__vxlan_addr_equal() - whether two endpoints are the same
 * @a: one
 * @b: the other
 *
 * Return: true for the same family, address and port (and IPv6 scope).
 */
bool unet__vxlan_addr_equal(const union unet__vxlan_addr *a,
			    const union unet__vxlan_addr *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET)
		return a->in.sin_port == b->in.sin_port &&
		       a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
	if (a->sa.sa_family == AF_INET6)
		return a->in6.sin6_port == b->in6.sin6_port &&
		       a->in6.sin6_scope_id == b->in6.sin6_scope_id &&
		       !memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr,
			       sizeof(a->in6.sin6_addr));
	return false;
}

static size_t fdb_hash(const struct unet__vxlan_fdb *fdb, const uint8_t mac[6])
{
	uint64_t h = fdb->seed ^ 0xcbf29ce484222325ull;
	unsigned int i;

	for (i = 0; i < 6; i++)
		h = (h ^ mac[i]) * 0x100000001b3ull;
	h ^= h >> 29;
	return (size_t)h & (UNET__VXLAN_FDB_SLOTS - 1);
}

static bool fdb_expired(const struct unet__vxlan_fdb *fdb,
			const struct unet__vxlan_fdb_entry *e, uint64_t now_ns)
{
	return fdb->ageing_ns != 0 && now_ns >= e->seen_ns &&
	       now_ns - e->seen_ns >= fdb->ageing_ns;
}

/* The slot of @mac, or of the empty slot that ends its run. */
static size_t fdb_find(const struct unet__vxlan_fdb *fdb, const uint8_t mac[6])
{
	size_t i = fdb_hash(fdb, mac);

	while (fdb->slot[i].used && memcmp(fdb->slot[i].mac, mac, 6) != 0)
		i = (i + 1) & (UNET__VXLAN_FDB_SLOTS - 1);
	return i;
}

/* Empty slot @i and shift back the entries of its run that belong before
 * it (Knuth's algorithm R). */
static void fdb_remove(struct unet__vxlan_fdb *fdb, size_t i)
{
	const size_t mask = UNET__VXLAN_FDB_SLOTS - 1;
	size_t j = i, home;

	fdb->slot[i].used = false;
	fdb->count--;
	for (;;) {
		j = (j + 1) & mask;
		if (!fdb->slot[j].used)
			return;
		home = fdb_hash(fdb, fdb->slot[j].mac);
		/* Stays when its home lies cyclically in (i, j]. */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		fdb->slot[i] = fdb->slot[j];
		fdb->slot[j].used = false;
		i = j;
	}
}

/**
 * unet__vxlan_fdb_learn() - @mac was seen behind @remote
 * @fdb: the table
 * @mac: the inner frame's source address
 * @remote: the endpoint it came from
 * @now_ns: the time
 *
 * Return: what was done (enum unet__vxlan_learn).
 */
enum unet__vxlan_learn unet__vxlan_fdb_learn(struct unet__vxlan_fdb *fdb,
					     const uint8_t mac[6],
					     const union unet__vxlan_addr *remote,
					     uint64_t now_ns)
{
	static const uint8_t zero[6];
	struct unet__vxlan_fdb_entry *e;
	size_t i;

	if (wire_eth_is_group(mac) || !memcmp(mac, zero, sizeof(zero)))
		return UNET__VXLAN_LEARN_INVALID;
	i = fdb_find(fdb, mac);
	e = &fdb->slot[i];
	if (e->used) {
		bool same = unet__vxlan_addr_equal(&e->remote, remote) &&
			    !fdb_expired(fdb, e, now_ns);

		e->seen_ns = now_ns;
		if (same)
			return UNET__VXLAN_LEARN_REFRESHED;
		e->remote = *remote;
		return UNET__VXLAN_LEARN_MOVED;
	}
	if (fdb->count >= UNET__VXLAN_FDB_MAX) {
		if (unet__vxlan_fdb_expire(fdb, now_ns) == 0)
			return UNET__VXLAN_LEARN_FULL;
		i = fdb_find(fdb, mac);
		e = &fdb->slot[i];
	}
	memcpy(e->mac, mac, 6);
	e->remote = *remote;
	e->seen_ns = now_ns;
	e->used = true;
	fdb->count++;
	return UNET__VXLAN_LEARN_NEW;
}

/**
 * unet__vxlan_fdb_lookup() - the remote that owns @mac
 * @fdb: the table
 * @mac: a unicast destination address
 * @now_ns: the time; an entry aged out by then is removed
 *
 * Return: the remote (valid until the table next changes), or NULL when
 * @mac is unknown (to be flooded).
 */
const union unet__vxlan_addr *
unet__vxlan_fdb_lookup(struct unet__vxlan_fdb *fdb, const uint8_t mac[6],
		       uint64_t now_ns)
{
	size_t i = fdb_find(fdb, mac);

	if (!fdb->slot[i].used)
		return NULL;
	if (fdb_expired(fdb, &fdb->slot[i], now_ns)) {
		fdb_remove(fdb, i);
		return NULL;
	}
	return &fdb->slot[i].remote;
}

/**
 * unet__vxlan_fdb_expire() - remove every entry aged out by @now_ns
 * @fdb: the table
 * @now_ns: the time
 *
 * Return: how many entries were removed.
 */
size_t unet__vxlan_fdb_expire(struct unet__vxlan_fdb *fdb, uint64_t now_ns)
{
	size_t i, removed = 0;

	if (fdb->ageing_ns == 0 || fdb->count == 0)
		return 0;
	i = 0;
	while (i < UNET__VXLAN_FDB_SLOTS) {
		/* A removal may shift a later entry into slot i: look again. */
		if (fdb->slot[i].used &&
		    fdb_expired(fdb, &fdb->slot[i], now_ns)) {
			fdb_remove(fdb, i);
			removed++;
			continue;
		}
		i++;
	}
	return removed;
}
