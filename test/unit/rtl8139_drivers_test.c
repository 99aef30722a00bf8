/* SPDX-License-Identifier: MIT */
/*
 * The RTL8139 model driven the way Linux's two drivers drive it, against
 * the usernet gateway on the same hub:
 *
 *   guest memory <-DMA-> rtl8139 --- hub --- stack (10.0.2.2, DHCP, ARP, ICMP)
 *        ^                                |
 *   test "driver" + tiny IP client        capture port
 *
 * One guest is 8139too on an RTL8139C (revision 0x10, normal mode): it
 * refuses a C+ chip, reads the MAC from the EEPROM by bit-banging 9346CR,
 * programs RCR / TCR / IMR and RBSTART, sends through TSD/TSAD and
 * receives from the ring, advancing CAPR with its -16. The other is 8139cp
 * on an RTL8139C+ (revision 0x20): descriptor rings, TPPoll, the receive
 * checksum bits, and IP/UDP checksum offload on what it sends (its frames
 * leave with zero checksums; lwIP checks the ones the model fills in).
 * Each gets a DHCP lease (DISCOVER, OFFER, REQUEST, ACK), resolves the
 * gateway by ARP, answers the gateway's own ARP, and pings it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <usernet/stack.h>

#include "rtl8139_guest.h"

static const uint8_t gw_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* Which driver the guest runs. */
enum drv { DRV_TOO, DRV_CP };

/* The guest's view of the network, filled by its receive path. */
struct net {
	enum drv drv;
	uint32_t ip;			/* network order, 0 before the lease */
	uint32_t xid;
	/* the last DHCP reply */
	int dhcp_type;
	uint32_t yiaddr;
	uint32_t server_id;
	uint32_t router;
	uint32_t mask;
	/* ARP */
	bool gw_known;
	uint8_t gw_hw[6];
	int arp_answered;
	/* ping */
	int echo_replies;
	uint16_t echo_seq;
	size_t echo_len;
	/* C+ receive descriptor bits of the last UDP and ICMP frames */
	uint32_t udp_status;
	uint32_t icmp_status;
	int frames;
	int bad;
};

static struct net NET;

static void guest_send(struct guest *g, const uint8_t *f, size_t len,
		       uint32_t opts1);

/* ---- What the guest receives ------------------------------------------ */

static void dhcp_parse(const uint8_t *f, size_t len, uint32_t status)
{
	const uint8_t *b = f + 42, *o;
	size_t n = len - 42, i;

	if (len < 42 + 240 || b[0] != 2 || memcmp(b + 4, &NET.xid, 4) != 0 ||
	    b[236] != 99 || b[237] != 130 || b[238] != 83 || b[239] != 99) {
		NET.bad++;
		return;
	}
	NET.udp_status = status;
	memcpy(&NET.yiaddr, b + 16, 4);
	for (i = 240; i < n && b[i] != 255;) {
		if (b[i] == 0) {
			i++;
			continue;
		}
		if (i + 2 > n || i + 2 + b[i + 1] > n) {
			NET.bad++;
			return;
		}
		o = b + i + 2;
		switch (b[i]) {
		case 53:
			NET.dhcp_type = o[0];
			break;
		case 54:
			memcpy(&NET.server_id, o, 4);
			break;
		case 3:
			memcpy(&NET.router, o, 4);
			break;
		case 1:
			memcpy(&NET.mask, o, 4);
			break;
		}
		i += 2 + (size_t)b[i + 1];
	}
}

static size_t arp_frame(uint8_t *f, const uint8_t *dst, const uint8_t *sha,
			uint32_t spa, const uint8_t *tha, uint32_t tpa, int op)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, sha, 6);
	f[12] = 0x08;
	f[13] = 0x06;
	f[14] = 0;
	f[15] = 1;
	f[16] = 0x08;
	f[17] = 0;
	f[18] = 6;
	f[19] = 4;
	f[20] = 0;
	f[21] = (uint8_t)op;
	memcpy(f + 22, sha, 6);
	memcpy(f + 28, &spa, 4);
	memcpy(f + 32, tha, 6);
	memcpy(f + 38, &tpa, 4);
	return 42;
}

static void on_frame(struct guest *g, const uint8_t *f, size_t len,
		     uint32_t status)
{
	const uint8_t *ip = f + 14;
	size_t ihl;

	NET.frames++;
	if (len < 14)
		return;
	if (f[12] == 0x08 && f[13] == 0x06 && len >= 42) {
		uint32_t spa, tpa;

		memcpy(&spa, f + 28, 4);
		memcpy(&tpa, f + 38, 4);
		if (f[21] == 2 && spa == htonl(0x0a000202)) {
			NET.gw_known = true;
			memcpy(NET.gw_hw, f + 22, 6);
		} else if (f[21] == 1 && NET.ip != 0 && tpa == NET.ip) {
			uint8_t r[60] = { 0 };

			/* the gateway asks for us: answer, as stacks do */
			arp_frame(r, f + 22, g->mac, NET.ip, f + 22, spa, 2);
			guest_send(g, r, 42, 0);
			NET.arp_answered++;
		}
		return;
	}
	if (f[12] != 0x08 || f[13] != 0x00 || len < 34)
		return;
	ihl = (size_t)(ip[0] & 15) * 4;
	if (g_csum(ip, ihl, 0) != 0 || 14 + (size_t)g_get_be16(ip + 2) > len) {
		NET.bad++;
		return;
	}
	if (ip[9] == 17 && g_get_be16(ip + ihl + 2) == 68) {
		dhcp_parse(f, 14 + g_get_be16(ip + 2), status);
	} else if (ip[9] == 1 && ip[ihl] == 0) {
		size_t l4 = g_get_be16(ip + 2) - ihl;

		if (g_csum(ip + ihl, l4, 0) != 0) {
			NET.bad++;
			return;
		}
		NET.icmp_status = status;
		NET.echo_replies++;
		NET.echo_seq = g_get_be16(ip + ihl + 6);
		NET.echo_len = l4 - 8;
	}
}

/* ---- What the guest sends --------------------------------------------- */

/* Sends through the guest's driver, then lets the loop and the IRQ run. */
static void guest_send(struct guest *g, const uint8_t *f, size_t len,
		       uint32_t opts1)
{
	if (NET.drv == DRV_TOO) {
		tt_tx_reap(g);
		assert_true(tt_xmit(g, f, len));
	} else if (opts1 & D_IPCS && len > 100) {
		/* headers and payload in two descriptors */
		size_t lens[2] = { 42, len - 42 };

		cp_xmit_frags(g, f, lens, 2, opts1, 0);
	} else {
		cp_xmit(g, f, len, opts1, 0);
	}
}

static void guest_poll(struct guest *g)
{
	int i;

	for (i = 0; i < 4; i++) {
		uv_run(&g->loop, UV_RUN_NOWAIT);
		if (NET.drv == DRV_TOO) {
			tt_interrupt(g, on_frame);
			assert_false(g->rx_bad);
		} else {
			cp_interrupt(g, on_frame);
		}
	}
}

/* A DHCP message from 0.0.0.0:68 to 255.255.255.255:67. */
static size_t dhcp_frame(struct guest *g, uint8_t *f, int type,
			 uint32_t req, uint32_t server, bool offload)
{
	uint8_t *ip = f + 14, *udp = f + 34, *b = f + 42;
	size_t i = 240, blen = 300;

	memset(b, 0, blen);
	b[0] = 1;
	b[1] = 1;
	b[2] = 6;
	memcpy(b + 4, &NET.xid, 4);
	memcpy(b + 28, g->mac, 6);
	b[236] = 99;
	b[237] = 130;
	b[238] = 83;
	b[239] = 99;
	b[i++] = 53;
	b[i++] = 1;
	b[i++] = (uint8_t)type;
	if (req != 0) {
		b[i++] = 50;
		b[i++] = 4;
		memcpy(b + i, &req, 4);
		i += 4;
	}
	if (server != 0) {
		b[i++] = 54;
		b[i++] = 4;
		memcpy(b + i, &server, 4);
		i += 4;
	}
	b[i++] = 55;
	b[i++] = 3;
	b[i++] = 1;
	b[i++] = 3;
	b[i++] = 6;
	b[i++] = 255;
	g_ipv4(f, bcast, g->mac, 0, 0xffffffffu, 17, 20 + 8 + blen, 1, offload);
	g_be16(udp, 68);
	g_be16(udp + 2, 67);
	g_be16(udp + 4, (uint16_t)(8 + blen));
	udp[6] = udp[7] = 0;
	(void)ip;
	return 42 + blen;
}

static size_t echo_frame(struct guest *g, uint8_t *f, uint16_t seq,
			 size_t payload)
{
	uint8_t *icmp = f + 34;
	size_t i;

	g_ipv4(f, NET.gw_hw, g->mac, NET.ip, htonl(0x0a000202), 1,
	       20 + 8 + payload, (uint16_t)(0x100 + seq), false);
	memset(icmp, 0, 8);
	icmp[0] = 8;
	g_be16(icmp + 4, 0x8139);
	g_be16(icmp + 6, seq);
	for (i = 0; i < payload; i++)
		icmp[8 + i] = (uint8_t)(i + seq);
	g_be16(icmp + 2, g_csum(icmp, 8 + payload, 0));
	return 34 + 8 + payload;
}

/* DISCOVER, OFFER, REQUEST, ACK, ARP, ping: what both guests do. */
static void lease_and_ping(struct guest *g, bool offload)
{
	uint8_t f[1600];
	size_t len;
	uint32_t opts = offload ? D_IPCS | D_UDPCS : 0;
	int i;

	NET.xid = htonl(0x81390000u | (unsigned int)NET.drv);
	len = dhcp_frame(g, f, 1, 0, 0, offload);
	guest_send(g, f, len, opts);
	guest_poll(g);
	if (NET.dhcp_type != 2)
		print_message("no DHCPOFFER: is stack/dhcp.c answering?\n");
	assert_int_equal(NET.dhcp_type, 2);
	assert_int_equal(NET.yiaddr, htonl(0x0a00020f));
	assert_int_equal(NET.server_id, htonl(0x0a000202));

	len = dhcp_frame(g, f, 3, NET.yiaddr, NET.server_id, offload);
	guest_send(g, f, len, opts);
	guest_poll(g);
	assert_int_equal(NET.dhcp_type, 5);
	assert_int_equal(NET.yiaddr, htonl(0x0a00020f));
	assert_int_equal(NET.router, htonl(0x0a000202));
	assert_int_equal(NET.mask, htonl(0xffffff00));
	NET.ip = NET.yiaddr;

	len = arp_frame(f, bcast, g->mac, NET.ip, (const uint8_t *)"\0\0\0\0\0",
			htonl(0x0a000202), 1);
	guest_send(g, f, len, 0);
	guest_poll(g);
	assert_true(NET.gw_known);
	assert_memory_equal(NET.gw_hw, gw_mac, 6);

	for (i = 1; i <= 3; i++) {
		size_t payload = i == 3 ? 1400 : 56;

		len = echo_frame(g, f, (uint16_t)i, payload);
		guest_send(g, f, len, 0);
		guest_poll(g);
		assert_int_equal(NET.echo_replies, i);
		assert_int_equal(NET.echo_seq, i);
		assert_int_equal(NET.echo_len, payload);
	}
	assert_int_equal(NET.bad, 0);
	assert_int_equal(g->refused, 0);
}

static struct guest *guest_with_stack(uint8_t rev, struct unet_stack **sp)
{
	struct guest *g = g_new(rev, 0);

	assert_non_null(g);
	assert_int_equal(unet_stack_new(g->hub, "user", NULL, sp), 0);
	memset(&NET, 0, sizeof(NET));
	return g;
}

static void test_8139too(void **state)
{
	struct unet_stack *stack;
	struct guest *g = guest_with_stack(0x10, &stack);
	uint8_t mac[6];

	(void)state;
	NET.drv = DRV_TOO;
	/* rtl8139_init_one(): not a C+ chip, or 8139too stands aside */
	assert_int_equal(unet_rtl8139_pci_config_read(g->nic, 0, 4),
			 0x813910ec);
	assert_true(unet_rtl8139_pci_config_read(g->nic, 8, 1) < 0x20);
	g_pci_enable(g);
	/* the chip version from TCR: RTL-8139C */
	assert_int_equal(r32(g, R_TCR) & 0x7cc00000, 0x74000000);
	memset(g->mac, 0, 6);
	g_probe_mac(g, mac);
	memcpy(g->mac, mac, 6);
	assert_memory_equal(g->mac, "\x52\x54\x00\x12\x34\x56", 6);
	/* a 32K ring with RxNoWrap, as Linux's defaults */
	tt_open(g, 2, true, 0);
	assert_true(r16(g, R_BMSR) & 0x0004);
	lease_and_ping(g, false);
	assert_true(g_stats(g).rx_frames >= 6);
	assert_int_equal(g_stats(g).rx_missed, 0);
	assert_int_equal(g_stats(g).dma_errors, 0);
	g_free(g);
}

static void test_8139cp(void **state)
{
	struct unet_stack *stack;
	struct guest *g = guest_with_stack(0x20, &stack);
	uint8_t mac[6];

	(void)state;
	NET.drv = DRV_CP;
	/* cp_init_one(): a C+ chip */
	assert_true(unet_rtl8139_pci_config_read(g->nic, 8, 1) >= 0x20);
	g_pci_enable(g);
	g_probe_mac(g, mac);
	assert_memory_equal(mac, g->mac, 6);
	cp_open(g, CPCR_MULRW | CPCR_RXCSUM | CPCR_RX | CPCR_TX, 0);
	lease_and_ping(g, true);
	/* the model filled in the checksums lwIP accepted, and reported
	 * the replies' protocols: UDP (DHCP) and other IP (ICMP), good */
	assert_int_equal(NET.udp_status & (0x30000 | D_IPF | D_UDPF), 0x20000);
	assert_int_equal(NET.icmp_status & (0x30000 | D_IPF), 0x30000);
	assert_int_equal(g_stats(g).tx_bad_offload, 0);
	assert_int_equal(g_stats(g).rx_missed, 0);
	cp_interrupt(g, NULL);
	assert_int_equal(g->cp_tx_errors, 0);
	g_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_8139too),
		cmocka_unit_test(test_8139cp),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
