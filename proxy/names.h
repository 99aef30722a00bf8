/* SPDX-License-Identifier: MIT */
/*
 * The names the guest resolved addresses from (names.c): a bounded table
 * of (address, name, expiry) the egress policy's name rules look up.
 */
#ifndef USERNET_PROXY_NAMES_H
#define USERNET_PROXY_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/** Names kept for one address; learning one more forgets its oldest. */
#define UNET__NAMES_PER_ADDR 8

struct names_entry;

/**
 * struct unet__names - learned (address, name) pairs with their expiry
 * @buckets: hash table by address
 * @nbuckets: its size, a power of two (0 until the first learning)
 * @oldest: the entry learned (or learned again) longest ago
 * @newest: the one learned last
 * @n: entries held
 * @max: at most this many; learning one more forgets the oldest
 * @seed: the hash's secret (the guest chooses names, and so addresses)
 * @ttl_min_ns: a TTL below this is raised to it
 * @ttl_max_ns: a TTL above this is lowered to it
 * @learned: (address, name) pairs learned or learned again
 * @evicted: entries forgotten before their time (the table, or the
 *           address's names, full)
 * @expired: entries forgotten at their time
 */
struct unet__names {
	struct names_entry **buckets;
	size_t nbuckets;
	struct names_entry *oldest;
	struct names_entry *newest;
	size_t n;
	size_t max;
	uint64_t seed;
	uint64_t ttl_min_ns;
	uint64_t ttl_max_ns;
	uint64_t learned;
	uint64_t evicted;
	uint64_t expired;
};

void unet__names_init(struct unet__names *t, size_t max, unsigned int ttl_min,
		      unsigned int ttl_max, uint64_t seed);
void unet__names_free(struct unet__names *t);
int unet__names_learn(struct unet__names *t, sa_family_t family,
		      const uint8_t *addr, const char *name, uint32_t ttl,
		      uint64_t now_ns);
size_t unet__names_find(struct unet__names *t, sa_family_t family,
			const uint8_t *addr, uint64_t now_ns,
			const char **names, size_t max);

#endif /* USERNET_PROXY_NAMES_H */
