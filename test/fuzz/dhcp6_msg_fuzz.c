/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target of the DHCPv6 codec (stack/dhcp6_msg.c) and the lease
 * pool the server drives with it (stack/dhcp_lease.c), called directly, no
 * stack: each input is a client's message. When it parses, everything it
 * points to must lie inside the input; a Reply echoing its identifiers and
 * address must build and parse back (as a Reply is no client's message,
 * its type is changed to Solicit first); and the message drives a pool of
 * 4 addresses as the server does, on a clock that moves 20 s per input.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dhcp6_msg.h"
#include "dhcp_lease.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_POOL 4

static struct unet__dhcp_pool pool;
static uint64_t now_ns;

static bool inside(const void *p, size_t n, const uint8_t *b, size_t size)
{
	const uint8_t *q = p;

	return q >= b && n <= size && (size_t)(q - b) <= size - n;
}

static void drive_pool(const struct unet__dhcp6_msg *m)
{
	struct unet__dhcp_key k;
	uint32_t low = 0;
	bool renewal;
	int i;

	if (m->client_id == NULL)
		return;
	unet__dhcp_key_make(&k, NULL, m->client_id, m->client_id_len);
	if (m->ia_addr != NULL)
		memcpy(&low, m->ia_addr + 12, 4);
	switch (m->type) {
	case 1:
	case 3:
		i = unet__dhcp_pool_offer(&pool, &k, low, now_ns);
		assert(i < FUZZ_POOL);
		if (i >= 0 && m->type == 3)
			assert(unet__dhcp_pool_request(
				       &pool, &k,
				       unet__dhcp_pool_addr(&pool,
							    (unsigned int)i),
				       now_ns, &renewal) == 0);
		break;
	case 5:
	case 6:
		unet__dhcp_pool_request(&pool, &k, low, now_ns, &renewal);
		break;
	case 8:
		unet__dhcp_pool_release(&pool, &k, low, now_ns);
		break;
	case 9:
		unet__dhcp_pool_decline(&pool, &k, low, now_ns);
		break;
	default:
		break;
	}
}

/* A Reply echoing @m parses back with the same identifiers. */
static void check_build(const struct unet__dhcp6_msg *m)
{
	static const uint8_t sid[10] = { 0, 3, 0, 1, 0x52, 0x55, 10, 0, 2, 2 };
	static const uint8_t dns[16] = { 0xfe, 0xc0, [15] = 3 };
	struct unet__dhcp6_reply r = {
		.type = 7,
		.xid = m->xid,
		.server_id = sid,
		.server_id_len = sizeof(sid),
		.client_id = m->client_id,
		.client_id_len = m->client_id_len,
		.status = -1,
		.n_ias = m->n_ias,
		.rapid_commit = m->rapid_commit,
		.dns = dns,
	};
	struct unet__dhcp6_msg back;
	static uint8_t out[2048];
	const char *why;
	unsigned int i;
	size_t len;

	for (i = 0; i < m->n_ias; i++) {
		r.ias[i].code = m->ias[i].code;
		r.ias[i].iaid = m->ias[i].iaid;
		r.ias[i].addr = m->ias[i].addr;
		r.ias[i].status = m->ias[i].addr == NULL ? 2 : -1;
	}
	len = unet__dhcp6_build(out, sizeof(out), &r);
	assert(len > 0);
	out[0] = 1;
	assert(unet__dhcp6_parse(out, len, &back, &why) == 0);
	assert(back.xid == m->xid && back.n_ias == m->n_ias &&
	       back.n_ias_all == m->n_ias);
	assert(back.client_id_len == m->client_id_len);
	for (i = 0; i < m->n_ias; i++)
		assert(back.ias[i].code == m->ias[i].code &&
		       back.ias[i].iaid == m->ias[i].iaid &&
		       (back.ias[i].addr == NULL) == (m->ias[i].addr == NULL));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unet__dhcp6_msg m;
	const char *why = NULL;
	unsigned int i;

	if (pool.leases == NULL &&
	    unet__dhcp_pool_init(&pool, htonl(0x100), FUZZ_POOL) < 0)
		abort();
	now_ns += 20ull * 1000000000u;
	if (unet__dhcp6_parse(data, size, &m, &why) < 0) {
		assert(why != NULL);
		return 0;
	}
	assert(size >= 4);
	assert(m.client_id == NULL ||
	       (m.client_id_len >= 2 && m.client_id_len <= DHCP6_DUID_MAX &&
		inside(m.client_id, m.client_id_len, data, size)));
	assert(m.server_id == NULL ||
	       inside(m.server_id, m.server_id_len, data, size));
	assert(m.ia_addr == NULL || inside(m.ia_addr, 16, data, size));
	assert(m.n_addrs <= UNET__DHCP6_ADDRS_MAX);
	for (i = 0; i < m.n_addrs; i++)
		assert(inside(m.addrs[i], 16, data, size));
	assert(m.n_ias <= UNET__DHCP6_IA_MAX && m.n_ias <= m.n_ias_all);
	for (i = 0; i < m.n_ias; i++)
		assert(m.ias[i].addr == NULL ||
		       (m.ias[i].code == DHCP6_OPT_IA_NA &&
			inside(m.ias[i].addr, 16, data, size)));
	drive_pool(&m);
	check_build(&m);
	return 0;
}
