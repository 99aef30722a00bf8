/* SPDX-License-Identifier: MIT */
/*
 * The DHCP server's lease pool: which client holds which address, and
 * until when. Pure: no I/O, no clock of its own (every call is given the
 * hub's time), no log; the server, its unit test and fuzz target drive it.
 */
#ifndef USERNET_STACK_DHCP_LEASE_H
#define USERNET_STACK_DHCP_LEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Lease time handed out, in seconds (QEMU's 24 hours). */
#define UNET__DHCP_LEASE_S 86400
/** How long an OFFER holds its address for the client, in seconds. */
#define UNET__DHCP_OFFER_HOLD_S 60
/** How long a declined address stays out of the pool, in seconds. */
#define UNET__DHCP_DECLINE_HOLD_S 600
/** Bytes of a client's identity kept in a lease (longer ones are hashed). */
#define UNET__DHCP_KEY_MAX 64

/**
 * enum unet__dhcp_lease_state - the state of a pool entry
 * @UNET__DHCP_LEASE_FREE: nobody holds the address (the last owner is
 *                         remembered)
 * @UNET__DHCP_LEASE_OFFERED: held for the owner after an OFFER
 * @UNET__DHCP_LEASE_BOUND: leased to the owner
 * @UNET__DHCP_LEASE_DECLINED: a client said someone else uses it; no owner
 * @UNET__DHCP_LEASE_STATE_NUM: the number of states
 */
enum unet__dhcp_lease_state {
	UNET__DHCP_LEASE_FREE,
	UNET__DHCP_LEASE_OFFERED,
	UNET__DHCP_LEASE_BOUND,
	UNET__DHCP_LEASE_DECLINED,
	UNET__DHCP_LEASE_STATE_NUM
};

/**
 * struct unet__dhcp_key - who a client is
 * @len: bytes used in @data; 0 for nobody
 * @data: how the client is known (chaddr, its client identifier, or the
 *        start and a hash of a long one), then those bytes
 */
struct unet__dhcp_key {
	uint8_t len;
	uint8_t data[UNET__DHCP_KEY_MAX];
};

/**
 * struct unet__dhcp_lease - one address of the pool
 * @owner: the client it is (or was last) held for; len 0 for none
 * @state: an &enum unet__dhcp_lease_state
 * @expires_ns: when @state ends, on the hub's clock (UINT64_MAX: never)
 */
struct unet__dhcp_lease {
	struct unet__dhcp_key owner;
	uint8_t state;
	uint64_t expires_ns;
};

/**
 * struct unet__dhcp_pool - the addresses the server hands out
 * @leases: one entry per address, @n of them
 * @n: the pool's size
 * @first: the first address (host order); entry i is @first + i
 */
struct unet__dhcp_pool {
	struct unet__dhcp_lease *leases;
	unsigned int n;
	uint32_t first;
};

uint64_t unet__dhcp_hash(const uint8_t *p, size_t len);
void unet__dhcp_key_make(struct unet__dhcp_key *k, const uint8_t *chaddr,
			 const uint8_t *client_id, size_t client_id_len);
int unet__dhcp_pool_init(struct unet__dhcp_pool *pool, uint32_t first,
			 unsigned int n);
void unet__dhcp_pool_free(struct unet__dhcp_pool *pool);
uint32_t unet__dhcp_pool_addr(const struct unet__dhcp_pool *pool,
			      unsigned int i);
int unet__dhcp_pool_index(const struct unet__dhcp_pool *pool, uint32_t addr);
int unet__dhcp_pool_offer(struct unet__dhcp_pool *pool,
			  const struct unet__dhcp_key *k, uint32_t requested,
			  uint64_t now);
int unet__dhcp_pool_request(struct unet__dhcp_pool *pool,
			    const struct unet__dhcp_key *k, uint32_t addr,
			    uint64_t now, bool *renewal);
void unet__dhcp_pool_unoffer(struct unet__dhcp_pool *pool,
			     const struct unet__dhcp_key *k, uint64_t now);
int unet__dhcp_pool_decline(struct unet__dhcp_pool *pool,
			    const struct unet__dhcp_key *k, uint32_t addr,
			    uint64_t now);
int unet__dhcp_pool_release(struct unet__dhcp_pool *pool,
			    const struct unet__dhcp_key *k, uint32_t addr,
			    uint64_t now);
int unet__dhcp_pool_bootp(struct unet__dhcp_pool *pool,
			  const struct unet__dhcp_key *k, uint64_t now);

#endif /* USERNET_STACK_DHCP_LEASE_H */
