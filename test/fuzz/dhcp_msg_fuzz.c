/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target of the DHCP message parser and lease pool
 * (stack/dhcp_msg.c, stack/dhcp_lease.c), called directly, no stack: each
 * input is a client's message. When it parses, everything it points to
 * must lie inside the input, and the message drives a pool of 4 addresses
 * the way the server does (offer, request, decline, release, BOOTP) on a
 * clock that moves 20 s per input, so that offers, declines and leases
 * expire along the way. Every entry handed out must be in the pool, and
 * an address leased must be the client's.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp_lease.h"
#include "dhcp_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_POOL 4

static struct unet__dhcp_pool pool;
static uint64_t now_ns;

static bool inside(const void *p, size_t n, const uint8_t *data, size_t size)
{
	const uint8_t *b = p;

	return b >= data && n <= size && b - data <= (ptrdiff_t)(size - n);
}

static void drive_pool(const struct unet__dhcp_msg *m)
{
	struct unet__dhcp_key k;
	bool renewal;
	uint32_t addr;
	int i;

	unet__dhcp_key_make(&k, m->fixed->chaddr, m->client_id,
			    m->client_id_len);
	addr = m->has_requested ? m->requested : m->ciaddr;
	switch (m->type) {
	case 0:
		i = unet__dhcp_pool_bootp(&pool, &k, now_ns);
		assert(i < FUZZ_POOL);
		break;
	case 1:
		i = unet__dhcp_pool_offer(&pool, &k, addr, now_ns);
		assert(i < FUZZ_POOL);
		break;
	case 3:
		if (m->has_server_id && (m->server_id & 1)) {
			unet__dhcp_pool_unoffer(&pool, &k, now_ns);
			break;
		}
		if (unet__dhcp_pool_request(&pool, &k, addr, now_ns,
					    &renewal) == 0) {
			i = unet__dhcp_pool_index(&pool, addr);
			assert(i >= 0 && i < FUZZ_POOL);
			assert(pool.leases[i].state == UNET__DHCP_LEASE_BOUND);
			assert(pool.leases[i].owner.len == k.len &&
			       memcmp(pool.leases[i].owner.data, k.data,
				      k.len) == 0);
		}
		break;
	case 4:
		unet__dhcp_pool_decline(&pool, &k, addr, now_ns);
		break;
	case 7:
		unet__dhcp_pool_release(&pool, &k, m->ciaddr, now_ns);
		break;
	default:
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unet__dhcp_msg m;
	const char *why = NULL;

	if (pool.leases == NULL &&
	    unet__dhcp_pool_init(&pool, htonl(0x0a00020f), FUZZ_POOL) < 0)
		abort();
	now_ns += 20ull * 1000000000u;
	if (unet__dhcp_msg_parse(data, size, &m, &why) < 0) {
		assert(why != NULL);
		return 0;
	}
	assert((const uint8_t *)m.fixed == data && m.len == size);
	assert(size >= DHCP_FIXED_LEN + DHCP_COOKIE_LEN);
	if (m.client_id != NULL)
		assert(m.client_id_len > 0 &&
		       inside(m.client_id, m.client_id_len, data, size));
	assert(m.overload <= DHCP_OVERLOAD_BOTH);
	drive_pool(&m);
	return 0;
}
