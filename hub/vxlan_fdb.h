/* SPDX-License-Identifier: MIT */
/*
 * The VXLAN forwarding database: which remote tunnel endpoint owns which
 * MAC address, learned from the inner source address of what each remote
 * sends, forgotten after an ageing time (the kernel vxlan device's FDB,
 * `ageing` 300 s by default).
 *
 * A pure table: no I/O, no clock of its own (the caller passes the time in
 * nanoseconds), bounded size. The vxlan port, its unit test and its fuzz
 * target drive it through the same calls.
 */
#ifndef USERNET_HUB_VXLAN_FDB_H
#define USERNET_HUB_VXLAN_FDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <netinet/in.h>
#include <sys/socket.h>

/* Slots of the open-addressing table: a power of two. */
#define UNET__VXLAN_FDB_SLOTS 2048u
/* Entries at most: half the slots, so that probe runs stay short. A remote
 * that sends from more source MACs than this gets the rest flooded. */
#define UNET__VXLAN_FDB_MAX 1024u

/**
 * union unet__vxlan_addr - a remote tunnel endpoint's address and port
 * @sa: the generic view
 * @in: AF_INET
 * @in6: AF_INET6
 */
union unet__vxlan_addr {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/**
 * struct unet__vxlan_fdb_entry - one learned MAC address
 * @used: the slot holds an entry
 * @mac: the MAC address
 * @seen_ns: when a frame from @mac last came from @remote
 * @remote: where frames to @mac go
 */
struct unet__vxlan_fdb_entry {
	bool used;
	uint8_t mac[6];
	uint64_t seen_ns;
	union unet__vxlan_addr remote;
};

/**
 * struct unet__vxlan_fdb - the table
 * @ageing_ns: how long an entry lives without a frame refreshing it; 0:
 *             for ever
 * @seed: mixed into the hash, so that a peer cannot pick colliding MACs
 * @count: entries in use
 * @slot: the slots
 */
struct unet__vxlan_fdb {
	uint64_t ageing_ns;
	uint64_t seed;
	size_t count;
	struct unet__vxlan_fdb_entry slot[UNET__VXLAN_FDB_SLOTS];
};

/**
 * enum unet__vxlan_learn - what unet__vxlan_fdb_learn() did
 * @UNET__VXLAN_LEARN_REFRESHED: known at that remote: its time refreshed
 * @UNET__VXLAN_LEARN_NEW: a new entry
 * @UNET__VXLAN_LEARN_MOVED: known at another remote: moved to this one
 * @UNET__VXLAN_LEARN_FULL: not learned: the table is full
 * @UNET__VXLAN_LEARN_INVALID: not learned: a group or all-zero address
 * @UNET__VXLAN_LEARN_NUM: the number of outcomes
 */
enum unet__vxlan_learn {
	UNET__VXLAN_LEARN_REFRESHED,
	UNET__VXLAN_LEARN_NEW,
	UNET__VXLAN_LEARN_MOVED,
	UNET__VXLAN_LEARN_FULL,
	UNET__VXLAN_LEARN_INVALID,
	UNET__VXLAN_LEARN_NUM
};

void unet__vxlan_fdb_init(struct unet__vxlan_fdb *fdb, uint64_t ageing_ns,
			  uint64_t seed);
enum unet__vxlan_learn unet__vxlan_fdb_learn(struct unet__vxlan_fdb *fdb,
					     const uint8_t mac[6],
					     const union unet__vxlan_addr *remote,
					     uint64_t now_ns);
const union unet__vxlan_addr *
unet__vxlan_fdb_lookup(struct unet__vxlan_fdb *fdb, const uint8_t mac[6],
		       uint64_t now_ns);
size_t unet__vxlan_fdb_expire(struct unet__vxlan_fdb *fdb, uint64_t now_ns);
bool unet__vxlan_addr_equal(const union unet__vxlan_addr *a,
			    const union unet__vxlan_addr *b);

#endif /* USERNET_HUB_VXLAN_FDB_H */
