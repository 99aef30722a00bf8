/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the RTL8139 model, one group of registers at a time, with
 * guest memory as a plain buffer (rtl8139_guest.h) and a capture port on
 * the hub for what the guest sends:
 *
 *   guest memory <-DMA-> rtl8139 --- hub --- capture port
 *
 * PCI configuration space, configuration checks, the EEPROM (Linux's
 * bit-bang read, FreeBSD's back-to-back reads, writes, auto-load, what its
 * data-out pin shows at every step of odd command sequences), IDR /
 * MAR / PHY / CONFIG registers, register access shapes, interrupts (mask,
 * write-1-to-clear, the line following IMR & ISR, INTx disable), normal
 * mode transmit (round-robin, size limit, hub limit) and receive (ring
 * wrap with WRAP=0, WRAP=1 and a 64K ring, overflow with RXOVW / FOVW, the
 * address filter, padding and CRC, pointer resets), loopback, the C+ rings
 * (multi-descriptor transmit, RDU, a too small buffer), VLAN insert and
 * strip, checksum offload both ways, TSO checked frame by frame, the timer,
 * the tally dump, and hostile input: malformed offload requests, rings that
 * never end, DMA the guest does not own, no bus mastering, re-entry from a
 * DMA callback. Every test also checks that the model never reached outside
 * guest memory: the DMA callbacks count refusals.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rtl8139_guest.h"

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t peer[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x99 };
static const uint8_t other[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x77 };

/* zlib's crc32, to check the FCS the device appends. */
static uint32_t crc32_ref(const uint8_t *p, size_t len)
{
	uint32_t crc = 0xffffffffu;
	size_t i;
	int b;

	for (i = 0; i < len; i++) {
		crc ^= p[i];
		for (b = 0; b < 8; b++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}

/* Linux's ether_crc() >> 26: the MAR bit of a multicast address. */
static unsigned int mcast_bit(const uint8_t *mac)
{
	uint32_t crc = 0xffffffffu;
	int i, b;

	for (i = 0; i < 6; i++) {
		uint8_t o = mac[i];

		for (b = 0; b < 8; b++, o >>= 1)
			crc = (crc << 1) ^
			      (((crc >> 31) ^ (o & 1)) ? 0x04c11db7u : 0);
	}
	return crc >> 26;
}

/* A frame of @len bytes to @dst with a counting pattern seeded by @seed. */
static size_t make_frame(uint8_t *f, const uint8_t *dst, size_t len,
			 unsigned int seed)
{
	size_t i;

	memcpy(f, dst, 6);
	memcpy(f + 6, peer, 6);
	f[12] = 0x88;
	f[13] = 0xb5;	/* local experimental ethertype */
	for (i = 14; i < len; i++)
		f[i] = (uint8_t)(seed * 7 + i);
	return len;
}

static struct guest *guest(uint8_t rev, unsigned int mtu)
{
	struct guest *g = g_new(rev, mtu);

	assert_non_null(g);
	g_pci_enable(g);
	return g;
}

static int teardown_guest(struct guest *g)
{
	assert_int_equal(g->refused, 0);
	g_free(g);
	return 0;
}

/* ---- Frames received by the test drivers ---------------------------- */

#define RX_MAX 64

static struct {
	int n;
	size_t len[RX_MAX];
	uint32_t status[RX_MAX];
	uint8_t data[RX_MAX][2048];
} RX;

static void rx_reset(void)
{
	memset(&RX, 0, sizeof(RX));
}

static void rx_keep(struct guest *g, const uint8_t *f, size_t len,
		    uint32_t status)
{
	(void)g;
	if (RX.n < RX_MAX && len <= sizeof(RX.data[0])) {
		RX.len[RX.n] = len;
		RX.status[RX.n] = status;
		memcpy(RX.data[RX.n], f, len);
	}
	RX.n++;
}

/* ---- PCI configuration space ---------------------------------------- */

static void test_pci_config(void **state)
{
	uint8_t revs[2] = { 0x20, 0x10 };
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		struct guest *g = g_new(revs[i], 0);
		struct unet_rtl8139 *n;

		assert_non_null(g);
		n = g->nic;
		assert_int_equal(unet_rtl8139_pci_config_read(n, 0, 4),
				 0x813910ec);
		assert_int_equal(unet_rtl8139_pci_config_read(n, 8, 1),
				 revs[i]);
		assert_int_equal(unet_rtl8139_pci_config_read(n, 8, 4) >> 8,
				 0x020000);
		assert_int_equal(unet_rtl8139_pci_config_read(n, 0x0e, 1), 0);
		assert_int_equal(unet_rtl8139_pci_config_read(n, 0x2c, 4),
				 0x813910ec);
		assert_int_equal(unet_rtl8139_pci_config_read(n, 0x3d, 1), 1);
		assert_int_equal(unet_rtl8139_pci_config_read(n, 0x30, 4), 0);
		assert_int_equal(unet_rtl8139_pci_config_read(n, 0x34, 1), 0);
		/* power-on: nothing enabled, BAR0 an I/O BAR at 0 */
		assert_int_equal(unet_rtl8139_pci_config_read(n, 4, 2), 0);
		assert_int_equal(unet_rtl8139_pci_config_read(n, 6, 2), 0x0280);
		assert_int_equal(unet_rtl8139_pci_config_read(n, 0x10, 4), 1);
		assert_int_equal(unet_rtl8139_pci_config_read(n, 0x14, 4), 0);
		/* sizing: 256 bytes each */
		unet_rtl8139_pci_config_write(n, 0x10, 4, 0xffffffff);
		unet_rtl8139_pci_config_write(n, 0x14, 4, 0xffffffff);
		assert_int_equal(unet_rtl8139_pci_config_read(n, 0x10, 4),
				 0xffffff01);
		assert_int_equal(unet_rtl8139_pci_config_read(n, 0x14, 4),
				 0xffffff00);
		unet_rtl8139_pci_config_write(n, 0x18, 4, 0xffffffff);
		assert_int_equal(unet_rtl8139_pci_config_read(n, 0x18, 4), 0);
		g_pci_enable(g);
		assert_int_equal(unet_rtl8139_pci_config_read(n, 0x10, 4),
				 0xc001);
		assert_int_equal(unet_rtl8139_pci_config_read(n, 0x14, 4),
				 0xfebf1000);
		/* command: only the bits a NIC has */
		unet_rtl8139_pci_config_write(n, 4, 2, 0xffff);
		assert_int_equal(unet_rtl8139_pci_config_read(n, 4, 2), 0x0557);
		/* read-only fields stay */
		unet_rtl8139_pci_config_write(n, 0, 4, 0);
		unet_rtl8139_pci_config_write(n, 8, 4, 0);
		assert_int_equal(unet_rtl8139_pci_config_read(n, 0, 4),
				 0x813910ec);
		assert_int_equal(unet_rtl8139_pci_config_read(n, 8, 1),
				 revs[i]);
		unet_rtl8139_pci_config_write(n, 0x3c, 1, 11);
		assert_int_equal(unet_rtl8139_pci_config_read(n, 0x3c, 1), 11);
		/* unaligned, out of range, bad sizes */
		assert_int_equal(unet_rtl8139_pci_config_read(n, 1, 2), 0x3910);
		assert_int_equal(unet_rtl8139_pci_config_read(n, 256, 1), 0xff);
		assert_int_equal(unet_rtl8139_pci_config_read(n, 255, 2),
				 0xffff);
		assert_int_equal(unet_rtl8139_pci_config_read(n, 0xfffffffc, 4),
				 0xffffffff);
		assert_int_equal(unet_rtl8139_pci_config_read(n, 0, 3),
				 0xffffffff);
		assert_int_equal(unet_rtl8139_pci_config_write(n, 256, 1, 0),
				 -ERANGE);
		assert_int_equal(unet_rtl8139_pci_config_write(n, 254, 4, 0),
				 -ERANGE);
		assert_int_equal(unet_rtl8139_pci_config_write(n, 0, 0, 0),
				 -EINVAL);
		assert_int_equal(g->refused, 0);
		g_free(g);
	}
}

static void test_config_checks(void **state)
{
	struct unet_rtl8139_config c;
	struct unet_rtl8139 *n;
	struct unet_hub *hub;
	uv_loop_t loop;

	(void)state;
	uv_loop_init(&loop);
	assert_int_equal(unet_hub_new(&loop, NULL, &hub), 0);
	unet_rtl8139_config_init(&c);
	assert_int_equal(c.revision, 0x20);
	assert_int_equal(c.mac[0], 0x52);
	assert_int_equal(c.mac[5], 0x56);
	/* no DMA callbacks */
	assert_int_equal(unet_rtl8139_new(hub, "n", &c, &n), -EINVAL);
	c.dma_read = g_dma_read;
	c.dma_write = g_dma_write;
	c.revision = 0x30;
	assert_int_equal(unet_rtl8139_new(hub, "n", &c, &n), -EINVAL);
	c.revision = 0x10;
	c.mac[0] = 0x01;	/* multicast */
	assert_int_equal(unet_rtl8139_new(hub, "n", &c, &n), -EINVAL);
	memset(c.mac, 0, 6);
	assert_int_equal(unet_rtl8139_new(hub, "n", &c, &n), -EINVAL);
	c.mac[5] = 1;
	c.size = 8;
	assert_int_equal(unet_rtl8139_new(hub, "n", &c, &n), -EINVAL);
	assert_int_equal(unet_rtl8139_new(hub, "n", NULL, &n), -EINVAL);
	c.size = sizeof(c);
	c.set_irq = NULL;	/* allowed: the embedder polls */
	assert_int_equal(unet_rtl8139_new(hub, "n", &c, &n), 0);
	assert_string_equal(unet_rtl8139_port(n)->id, "n");
	assert_false(unet_rtl8139_irq_level(n));
	unet_rtl8139_close(n);
	/* one left for the hub to close */
	assert_int_equal(unet_rtl8139_new(hub, "m", &c, &n), 0);
	unet_hub_close(hub);
	uv_run(&loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&loop), 0);
}

/* ---- EEPROM ----------------------------------------------------------- */

/* Clocks @nbits of @v (MSB first) into the EEPROM, chip select held. */
static void ee_bits(struct guest *g, uint32_t v, int nbits)
{
	int i;

	for (i = nbits - 1; i >= 0; i--) {
		uint8_t di = (v >> i) & 1 ? 0x02 : 0;

		w8(g, R_9346CR, 0x88 | di);
		w8(g, R_9346CR, 0x88 | di | 0x04);
	}
	w8(g, R_9346CR, 0x88);	/* clock low again, as Linux does */
}

static uint16_t ee_word_out(struct guest *g)
{
	uint16_t v = 0;
	int i;

	for (i = 0; i < 16; i++) {
		w8(g, R_9346CR, 0x88 | 0x04);
		v = (uint16_t)(v << 1 | (r8(g, R_9346CR) & 1));
		w8(g, R_9346CR, 0x88);
	}
	return v;
}

static void test_eeprom(void **state)
{
	struct guest *g = guest(0x20, 0);
	uint8_t mac[6];

	(void)state;
	/* Linux: a 93C46 answers the 8-bit address probe with garbage */
	assert_int_not_equal(g_read_eeprom(g, 0, 8), 0x8129);
	assert_int_equal(g_read_eeprom(g, 0, 6), 0x8129);
	assert_int_equal(g_read_eeprom(g, 1, 6), 0x10ec);
	assert_int_equal(g_read_eeprom(g, 2, 6), 0x8139);
	g_probe_mac(g, mac);
	assert_memory_equal(mac, g->mac, 6);

	/* FreeBSD: reads back to back without dropping chip select */
	w8(g, R_9346CR, 0x80);
	w8(g, R_9346CR, 0x88);
	ee_bits(g, 0x6 << 6 | 7, 9);
	assert_int_equal(ee_word_out(g), g->mac[0] | g->mac[1] << 8);
	ee_bits(g, 0x6 << 6 | 8, 9);
	assert_int_equal(ee_word_out(g), g->mac[2] | g->mac[3] << 8);
	w8(g, R_9346CR, 0);
	/* DO reads 0 outside programming mode */
	assert_int_equal(r8(g, R_9346CR) & 1, 0);

	/* a write without EWEN is ignored; with it, it sticks */
	w8(g, R_9346CR, 0x80);
	w8(g, R_9346CR, 0x88);
	ee_bits(g, 0x5 << 6 | 9, 9);		/* WRITE word 9 */
	ee_bits(g, 0xbeef, 16);
	w8(g, R_9346CR, 0x80);
	assert_int_equal(g_read_eeprom(g, 9, 6), g->mac[4] | g->mac[5] << 8);
	w8(g, R_9346CR, 0x80);
	w8(g, R_9346CR, 0x88);
	ee_bits(g, 0x4 << 6 | 0x30, 9);		/* EWEN */
	w8(g, R_9346CR, 0x80);
	w8(g, R_9346CR, 0x88);
	ee_bits(g, 0x5 << 6 | 9, 9);
	ee_bits(g, 0x0266, 16);			/* MAC ends in 66:02 */
	w8(g, R_9346CR, 0x80);
	w8(g, R_9346CR, 0x88);
	/* a ready (DO = 1) after the write */
	assert_int_equal(r8(g, R_9346CR) & 1, 1);
	ee_bits(g, 0x4 << 6 | 0x00, 9);		/* EWDS */
	w8(g, R_9346CR, 0);
	assert_int_equal(g_read_eeprom(g, 9, 6), 0x0266);
	/* the MAC registers load it on auto-load, not before */
	assert_int_equal(r8(g, R_IDR0 + 4), g->mac[4]);
	w8(g, R_9346CR, 0x40);
	assert_int_equal(r8(g, R_9346CR), 0);
	assert_int_equal(r8(g, R_IDR0 + 4), 0x66);
	assert_int_equal(r8(g, R_IDR0 + 5), 0x02);
	/* a PCI reset keeps the EEPROM (non-volatile) */
	unet_rtl8139_reset(g->nic);
	assert_int_equal(r8(g, R_IDR0 + 4), 0x66);
	teardown_guest(g);
}

/*
 * The 93C46's data-out pin, step by step. The EEPROM datasheets (93C46
 * family: Microchip's AT93C46 / AT93C56B, read with the RTL8139C(+)'s
 * 9346CR: EEM = 10, CS 0x08, SK 0x04, DI 0x02, DO 0x01) say:
 *   - READ: after the instruction and address, "a dummy bit (logic 0)
 *     precedes the 16-bit data output string", each bit changing on a
 *     rising SK;
 *   - WRITE, ERASE, ERAL, WRAL: "the DO pin outputs the Ready/Busy status
 *     if CS is brought high after being kept low", 0 busy, 1 ready; a start
 *     bit ends it;
 *   - otherwise DO is not driven, and the RTL8139 reads it as 0.
 * So a driver shifting an instruction in sees 0 throughout. Programming is
 * instant in the model: the status poll answers "ready" at once.
 */
enum ee_step {
	EE_END,
	EE_SELECT,	/* CS up */
	EE_DESELECT,	/* CS down */
	EE_SEND,	/* clock in @n bits of @v; DO must read 0 from the
			 * first rising edge on */
	EE_CLOCK,	/* @n clocks with DI 0; DO after each must spell @v */
	EE_DO,		/* DO now is @v */
};

struct ee_op {
	enum ee_step step;
	uint32_t v;
	int n;
};

#define EE_CMD(op, addr) { EE_SEND, (4u | (op)) << 6 | (addr), 9 }
#define EE_EWEN_CYCLE { EE_SELECT, 0, 0 }, EE_CMD(0, 0x30), \
	{ EE_DESELECT, 0, 0 }

static uint8_t ee_wire(struct guest *g, uint8_t bits)
{
	w8(g, R_9346CR, 0x80 | bits);
	return r8(g, R_9346CR) & 0x01;
}

static void ee_run(struct guest *g, const struct ee_op *op)
{
	uint32_t got;
	int i;

	w8(g, R_9346CR, 0x80);		/* programming mode, CS low */
	for (; op->step != EE_END; op++) {
		switch (op->step) {
		case EE_SELECT:
			ee_wire(g, 0x08);
			break;
		case EE_DESELECT:
			assert_int_equal(ee_wire(g, 0x00), 0);
			break;
		case EE_SEND:
			/* a ready status may show until the first edge */
			for (i = op->n - 1; i >= 0; i--) {
				uint8_t di = (op->v >> i) & 1 ? 0x02 : 0;

				got = ee_wire(g, 0x08 | di);
				if (i < op->n - 1)
					assert_int_equal(got, 0);
				assert_int_equal(ee_wire(g, 0x0c | di), 0);
			}
			assert_int_equal(ee_wire(g, 0x08), 0);
			break;
		case EE_CLOCK:
			for (got = 0, i = 0; i < op->n; i++) {
				got = got << 1 | ee_wire(g, 0x0c);
				ee_wire(g, 0x08);
			}
			assert_int_equal(got, op->v);
			break;
		case EE_DO:
			assert_int_equal(r8(g, R_9346CR) & 0x01, op->v);
			break;
		default:
			fail();
		}
	}
	w8(g, R_9346CR, 0);
}

static void test_eeprom_do(void **state)
{
	static const struct {
		const char *what;
		struct ee_op ops[16];
	} rows[] = {
		{ "chip select alone",
		  { { EE_SELECT, 0, 0 }, { EE_DO, 0, 0 } } },
		{ "leading zeros before the start bit",
		  { { EE_SELECT, 0, 0 }, { EE_CLOCK, 0, 7 } } },
		{ "READ: a dummy 0, the word, then DO released",
		  { { EE_SELECT, 0, 0 }, EE_CMD(2, 2), { EE_DO, 0, 0 },
		    { EE_CLOCK, 0x8139, 16 }, { EE_CLOCK, 0, 3 } } },
		{ "READ cut short by chip select",
		  { { EE_SELECT, 0, 0 }, EE_CMD(2, 2), { EE_CLOCK, 0x8, 4 },
		    { EE_DESELECT, 0, 0 }, { EE_DO, 0, 0 },
		    { EE_SELECT, 0, 0 }, { EE_DO, 0, 0 } } },
		{ "READ with its command cut short",
		  { { EE_SELECT, 0, 0 }, { EE_SEND, 0x6 << 3 | 1, 6 },
		    { EE_DESELECT, 0, 0 }, { EE_SELECT, 0, 0 },
		    { EE_CLOCK, 0, 16 } } },
		{ "EWEN, EWDS: no status",
		  { EE_EWEN_CYCLE, { EE_SELECT, 0, 0 }, { EE_DO, 0, 0 },
		    EE_CMD(0, 0x00), { EE_DESELECT, 0, 0 },
		    { EE_SELECT, 0, 0 }, { EE_DO, 0, 0 } } },
		{ "WRITE without EWEN: no cycle, no status",
		  { { EE_SELECT, 0, 0 }, EE_CMD(1, 20),
		    { EE_SEND, 0x1234, 16 }, { EE_DESELECT, 0, 0 },
		    { EE_SELECT, 0, 0 }, { EE_DO, 0, 0 } } },
		{ "WRITE: ready once chip select toggles, until a start bit",
		  { EE_EWEN_CYCLE, { EE_SELECT, 0, 0 }, EE_CMD(1, 20),
		    { EE_SEND, 0x1234, 16 }, { EE_DO, 0, 0 },
		    { EE_DESELECT, 0, 0 }, { EE_SELECT, 0, 0 },
		    { EE_DO, 1, 0 }, { EE_CLOCK, 0x7, 3 }, EE_CMD(2, 20),
		    { EE_CLOCK, 0x1234, 16 } } },
		{ "ERASE: ready on the next selection only",
		  { EE_EWEN_CYCLE, { EE_SELECT, 0, 0 }, EE_CMD(3, 20),
		    { EE_DO, 0, 0 }, { EE_DESELECT, 0, 0 },
		    { EE_SELECT, 0, 0 }, { EE_DO, 1, 0 },
		    { EE_DESELECT, 0, 0 }, { EE_SELECT, 0, 0 },
		    { EE_DO, 0, 0 } } },
		{ "WRAL, status dropped with chip select",
		  { EE_EWEN_CYCLE, { EE_SELECT, 0, 0 }, EE_CMD(0, 0x10),
		    { EE_SEND, 0xa5a5, 16 }, { EE_DESELECT, 0, 0 },
		    { EE_SELECT, 0, 0 }, { EE_DO, 1, 0 },
		    { EE_DESELECT, 0, 0 }, { EE_SELECT, 0, 0 },
		    EE_CMD(2, 63), { EE_CLOCK, 0xa5a5, 16 } } },
		{ "ERAL, then clocks past the end of the command",
		  { EE_EWEN_CYCLE, { EE_SELECT, 0, 0 }, EE_CMD(0, 0x20),
		    { EE_CLOCK, 0, 20 }, { EE_DESELECT, 0, 0 },
		    { EE_SELECT, 0, 0 }, { EE_DO, 1, 0 },
		    EE_CMD(2, 0), { EE_CLOCK, 0xffff, 16 } } },
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct guest *g = guest(0x20, 0);

		print_message("%s\n", rows[i].what);
		ee_run(g, rows[i].ops);
		/* DO reads 0 outside programming mode, whatever came before */
		assert_int_equal(r8(g, R_9346CR), 0);
		teardown_guest(g);
	}
}

/* ---- IDR, MAR, PHY, CONFIG ------------------------------------------- */

static void test_mac_phy_config(void **state)
{
	struct guest *g = guest(0x20, 0);
	const uint8_t m2[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
	int i;

	(void)state;
	for (i = 0; i < 6; i++)
		assert_int_equal(r8(g, R_IDR0 + i), g->mac[i]);
	assert_int_equal(r16(g, R_IDR0 + 6), 0);
	g_write_mac(g, m2);
	for (i = 0; i < 6; i++)
		assert_int_equal(r8(g, R_IDR0 + i), m2[i]);
	w32(g, R_MAR0, 0x12345678);
	w8(g, R_MAR0 + 7, 0x9a);
	assert_int_equal(r32(g, R_MAR0), 0x12345678);
	assert_int_equal(r8(g, R_MAR0 + 7), 0x9a);
	/* a soft reset keeps IDR and MAR */
	assert_true(g_chip_reset(g));
	assert_int_equal(r8(g, R_IDR0 + 1), 0x11);
	assert_int_equal(r8(g, R_MAR0 + 7), 0x9a);
	/* link up, 100 Mb/s full duplex, autonegotiation done */
	assert_int_equal(r16(g, R_BMSR) & 0x0024, 0x0024);
	assert_int_equal(r16(g, R_BMCR), 0x3100);
	assert_int_equal(r16(g, R_ANLPAR) & 0x0100, 0x0100);
	assert_int_equal(r16(g, R_ANAR), 0x05e1);
	assert_int_equal(r8(g, R_MSR) & 0x04, 0);
	w16(g, R_BMSR, 0);
	assert_int_equal(r16(g, R_BMSR) & 0x0004, 0x0004);
	/* hardware version and revision */
	assert_int_equal(r32(g, R_TCR) & 0x7cc00000, 0x74800000);
	assert_int_equal(r8(g, 0x5e), 0x20);
	/* CONFIG registers are locked unless 9346CR says config write */
	assert_int_equal(r8(g, R_CONFIG1), 0x0c);
	w8(g, R_CONFIG3, 0x70);
	assert_int_equal(r8(g, R_CONFIG3), 0x01);
	w8(g, R_9346CR, 0xc0);
	w8(g, R_CONFIG3, 0xf0);
	assert_int_equal(r8(g, R_CONFIG3), 0x71);
	w8(g, R_CONFIG1, 0xff);
	assert_int_equal(r8(g, R_CONFIG1), 0xff);
	w8(g, R_CONFIG1, 0x00);
	assert_int_equal(r8(g, R_CONFIG1), 0x0c);	/* IOMAP, MEMMAP stay */
	w8(g, R_9346CR, 0);
	/* a PCI reset brings the EEPROM's MAC back and turns PCI off */
	unet_rtl8139_reset(g->nic);
	assert_int_equal(r8(g, R_IDR0 + 1), g->mac[1]);
	assert_int_equal(r32(g, R_MAR0), 0);
	assert_int_equal(unet_rtl8139_pci_config_read(g->nic, 4, 2), 0);
	g_free(g);

	g = guest(0x10, 0);
	assert_int_equal(r32(g, R_TCR) & 0x7cc00000, 0x74000000);
	/* no C+ mode on an RTL8139C */
	w16(g, R_CPCR, 0x0003);
	assert_int_equal(r16(g, R_CPCR), 0);
	teardown_guest(g);
}

/*
 * The PHY's BMCR (0x62), as the RTL8139C(+) datasheet gives it: bit 15
 * Reset "sets the status and control registers of the PHY (0062h-0074h) in
 * a default state; this bit is self-clearing"; bit 9 Restart_AN restarts
 * NWay autonegotiation and clears itself likewise. ANAR's default is
 * 0x05e1 (all abilities, pause, selector 802.3). The sequences are Linux's
 * generic MII ones over 8139too / 8139cp's register map: a PHY reset polls
 * BMCR until bit 15 reads 0 again; mii_nway_restart() reads BMCR and, with
 * autonegotiation enabled, writes it back with bit 9.
 */
static void test_phy_reset(void **state)
{
	struct guest *g = guest(0x20, 0);
	uint16_t bmcr;
	int polls;

	(void)state;
	/* a guest restricts what it advertises, then resets the PHY */
	w16(g, R_ANAR, 0x0061);
	assert_int_equal(r16(g, R_ANAR), 0x0061);
	w16(g, R_BMCR, r16(g, R_BMCR) | 0x8000);
	for (polls = 1; polls < 500 && (r16(g, R_BMCR) & 0x8000); polls++)
		;
	assert_int_equal(polls, 1);		/* done before the first poll */
	assert_int_equal(r16(g, R_BMCR), 0x3100);
	assert_int_equal(r16(g, R_ANAR), 0x05e1);
	assert_int_equal(r16(g, R_BMSR) & 0x0024, 0x0024);

	/* mii_nway_restart(): keeps the advertisement, clears itself */
	w16(g, R_ANAR, 0x01e1);
	bmcr = r16(g, R_BMCR);
	assert_int_equal(bmcr & 0x1000, 0x1000);	/* autoneg enabled */
	w16(g, R_BMCR, bmcr | 0x0200);
	assert_int_equal(r16(g, R_BMCR), 0x3100);
	assert_int_equal(r16(g, R_ANAR), 0x01e1);
	/* negotiation with the hub completes at once: link up, done */
	assert_int_equal(r16(g, R_BMSR) & 0x0024, 0x0024);
	assert_int_equal(r8(g, R_MSR) & 0x04, 0);
	assert_int_equal(r16(g, R_ANLPAR), 0x45e1);

	/* a MAC reset (CR.RST) leaves the PHY alone; a PCI reset does not */
	assert_true(g_chip_reset(g));
	assert_int_equal(r16(g, R_ANAR), 0x01e1);
	unet_rtl8139_reset(g->nic);
	assert_int_equal(r16(g, R_ANAR), 0x05e1);
	/* neither the reset nor the restart interrupts the guest */
	assert_int_equal(r16(g, R_ISR), 0);
	teardown_guest(g);
}

/* BMCR writes of every shape: which reset the PHY, what BMCR reads after. */
static void test_phy_bmcr_writes(void **state)
{
	static const struct {
		const char *what;
		unsigned int off, size;
		uint32_t v;
		bool reset;
	} rows[] = {
		{ "reset", 0x62, 2, 0x8000, true },
		{ "restart", 0x62, 2, 0x0200, false },
		{ "every bit", 0x62, 2, 0xffff, true },
		{ "autonegotiation off", 0x62, 2, 0x2100, false },
		{ "forced 10 Mb/s half duplex", 0x62, 2, 0x0000, false },
		{ "high byte with reset", 0x63, 1, 0x80, true },
		{ "high byte with restart", 0x63, 1, 0x02, false },
		{ "low byte, all ones", 0x62, 1, 0xff, false },
		{ "dword at 0x60, reset in its upper half", 0x60, 4,
		  0x80000000u, true },
		{ "dword at 0x60, reset in TSAD's half", 0x60, 4, 0x8000,
		  false },
		{ "dword at 0x62, BMCR and BMSR", 0x62, 4, 0xffff8000u, true },
		{ "word at 0x61, reset bit in BMCR's low byte", 0x61, 2,
		  0x8000, false },
		{ "word at 0x63, reset bit in BMCR's high byte", 0x63, 2,
		  0x0080, true },
	};
	struct guest *g = guest(0x20, 0);
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		print_message("%s\n", rows[i].what);
		w16(g, R_ANAR, 0x0021);
		unet_rtl8139_io_write(g->nic, rows[i].off, rows[i].size,
				      rows[i].v);
		assert_int_equal(r16(g, R_ANAR),
				 rows[i].reset ? 0x05e1 : 0x0021);
		assert_int_equal(r16(g, R_BMCR), 0x3100);
		assert_int_equal(r16(g, R_BMSR), 0x782d);
		assert_int_equal(r16(g, R_ISR), 0);
	}
	teardown_guest(g);
}

/* ---- Access shapes ---------------------------------------------------- */

static void test_access_shapes(void **state)
{
	struct guest *g = guest(0x10, 0);
	struct unet_rtl8139 *n = g->nic;

	(void)state;
	assert_int_equal(unet_rtl8139_io_read(n, 256, 1), 0xff);
	assert_int_equal(unet_rtl8139_io_read(n, 255, 2), 0xffff);
	assert_int_equal(unet_rtl8139_io_read(n, 253, 4), 0xffffffff);
	assert_int_equal(unet_rtl8139_io_read(n, UINT64_MAX, 4), 0xffffffff);
	assert_int_equal(unet_rtl8139_io_read(n, 0x3c, 3), 0xffffffff);
	assert_int_equal(unet_rtl8139_io_read(n, 0x3c, 8), 0xffffffff);
	assert_int_equal(unet_rtl8139_io_write(n, 256, 1, 0), -ERANGE);
	assert_int_equal(unet_rtl8139_io_write(n, UINT64_MAX - 1, 4, 0),
			 -ERANGE);
	assert_int_equal(unet_rtl8139_io_write(n, 0x3c, 3, 0), -EINVAL);
	assert_int_equal(unet_rtl8139_io_write(n, 0x3c, 0, 0), -EINVAL);

	w16(g, R_IMR, 0x8005);
	w8(g, R_TPPOLL, 0x01);	/* not C+: no software interrupt */
	assert_int_equal(r16(g, R_ISR), 0);
	/* a dword read across IMR and ISR, and an unaligned word */
	assert_int_equal(r32(g, R_IMR), 0x8005);
	assert_int_equal(unet_rtl8139_io_read(n, R_IMR + 1, 2), 0x80);
	assert_int_equal(unet_rtl8139_io_read(n, R_IDR0 + 5, 2),
			 g->mac[5]);
	assert_int_equal(unet_rtl8139_io_read(n, R_IDR0 + 1, 4),
			 (uint32_t)g->mac[1] | (uint32_t)g->mac[2] << 8 |
			 (uint32_t)g->mac[3] << 16 | (uint32_t)g->mac[4] << 24);
	/* a dword write at 0x34 reaches CR through its top byte */
	w32(g, 0x34, (uint32_t)CR_RE << 24);
	assert_int_equal(r8(g, R_CR) & (CR_RE | CR_TE), CR_RE);
	/* a dword write at IMR sets IMR and write-1-clears ISR */
	w32(g, R_IMR, 0xffff0000u | 0x0001);
	assert_int_equal(r16(g, R_IMR), 0x0001);
	/* IMR's reserved bits stay 0 */
	w16(g, R_IMR, 0xffff);
	assert_int_equal(r16(g, R_IMR), 0xe1ff);
	/* byte writes to a dword register merge */
	w32(g, R_TIMERINT, 0x11223344);
	w8(g, R_TIMERINT + 2, 0xaa);
	assert_int_equal(r32(g, R_TIMERINT), 0x11aa3344);
	/* MPC clears on write */
	w32(g, R_MPC, 0x1234);
	assert_int_equal(r32(g, R_MPC), 0);
	teardown_guest(g);
}

/* ---- Interrupts -------------------------------------------------------- */

static void test_interrupts(void **state)
{
	struct guest *g = guest(0x10, 0);
	uint8_t f[60];

	(void)state;
	tt_open(g, 0, false, 0);
	w16(g, R_IMR, 0);
	make_frame(f, bcast, 60, 1);
	assert_true(tt_xmit(g, f, 60));
	/* TOK is pending, but masked */
	assert_int_equal(r16(g, R_ISR), I_TOK);
	assert_false(g->irq);
	assert_false(unet_rtl8139_irq_level(g->nic));
	assert_int_equal(unet_rtl8139_pci_config_read(g->nic, 6, 2) & 8, 0);
	w16(g, R_IMR, I_TOK);
	assert_true(g->irq);
	assert_true(unet_rtl8139_irq_level(g->nic));
	assert_int_equal(g->irq_raises, 1);
	assert_int_equal(unet_rtl8139_pci_config_read(g->nic, 6, 2) & 8, 8);
	/* writing 1 to a clear bit, or 0 to a set one, changes nothing */
	w16(g, R_ISR, I_ROK);
	assert_true(g->irq);
	w16(g, R_ISR, 0);
	assert_int_equal(r16(g, R_ISR), I_TOK);
	/* a byte write clears only that byte's bits */
	w8(g, R_ISR + 1, 0xff);
	assert_true(g->irq);
	w8(g, R_ISR, I_TOK);
	assert_false(g->irq);
	assert_int_equal(r16(g, R_ISR), 0);
	/* INTx disable holds the line low, the status bit still shows */
	tt_tx_reap(g);
	assert_true(tt_xmit(g, f, 60));
	assert_true(g->irq);
	unet_rtl8139_pci_config_write(g->nic, 4, 2, 0x0407);
	assert_false(g->irq);
	assert_int_equal(unet_rtl8139_pci_config_read(g->nic, 6, 2) & 8, 8);
	unet_rtl8139_pci_config_write(g->nic, 4, 2, 0x0007);
	assert_true(g->irq);
	/* masking drops it, unmasking raises it again */
	w16(g, R_IMR, 0);
	assert_false(g->irq);
	w16(g, R_IMR, I_TOK);
	assert_true(g->irq);
	assert_int_equal(g->irq_raises, 4);
	/* a reset clears ISR and IMR, and releases the line */
	assert_true(g_chip_reset(g));
	assert_false(g->irq);
	assert_int_equal(r16(g, R_ISR), 0);
	assert_int_equal(r16(g, R_IMR), 0);
	teardown_guest(g);
}

/* ---- Normal mode transmit ------------------------------------------- */

static void test_tx_normal(void **state)
{
	struct guest *g = guest(0x10, 0);
	uint8_t f[1600];
	size_t sizes[6] = { 60, 100, 1514, 42, 700, 61 };
	unsigned int i;

	(void)state;
	tt_open(g, 0, false, 0);
	for (i = 0; i < 6; i++) {
		make_frame(f, bcast, sizes[i], i);
		assert_true(tt_xmit(g, f, sizes[i]));
		assert_true(g->irq);
		tt_interrupt(g, NULL);
		assert_false(g->irq);
		assert_int_equal(g->cap.frames, i + 1);
		assert_int_equal(g->cap.len[i], sizes[i] < 60 ? 60 : sizes[i]);
		assert_memory_equal(g->cap.data[i], f, sizes[i]);
		assert_int_equal(r32(g, R_TSD0 + 4 * (i % 4)) &
				 (TSD_OWN | TSD_TOK), TSD_OWN | TSD_TOK);
	}
	assert_int_equal(g->dirty_tx, 6);
	/* all four: OWN and TOK in the summary register */
	assert_int_equal(r16(g, R_TSAD), 0xf00f);
	assert_int_equal(g_stats(g).tx_frames, 6);

	/* round robin: TSD1 written before TSD0 waits for it */
	g_chip_reset(g);
	tt_open(g, 0, false, 0);
	g_cap_clear(&g->cap);
	make_frame(g->mem + G_TXBUF + G_BUF_SIZE, bcast, 80, 1);
	make_frame(g->mem + G_TXBUF, bcast, 90, 0);
	w32(g, R_TSD0 + 4, 80);
	assert_int_equal(g->cap.frames, 0);
	w32(g, R_TSD0, 90);
	assert_int_equal(g->cap.frames, 2);
	assert_int_equal(g->cap.len[0], 90);
	assert_int_equal(g->cap.len[1], 80);
	teardown_guest(g);
}

static void test_tx_size_limits(void **state)
{
	struct guest *g = guest(0x10, 0);
	unsigned int reads;

	(void)state;
	tt_open(g, 0, false, 0);
	make_frame(g->mem + G_TXBUF, bcast, 1792, 0);
	make_frame(g->mem + G_TXBUF + G_BUF_SIZE, bcast, 1792, 0);
	reads = g->dma_reads;
	w32(g, R_TSD0, 1793);
	assert_int_equal(g->dma_reads, reads);	/* not even read */
	assert_int_equal(r32(g, R_TSD0) & (TSD_OWN | TSD_TABT | TSD_TOK),
			 TSD_OWN | TSD_TABT);
	assert_int_equal(r16(g, R_ISR) & (I_TER | I_TOK), I_TER);
	assert_int_equal(g->cap.frames, 0);
	assert_int_equal(g_stats(g).tx_errors, 1);
	w32(g, R_TSD0 + 4, 0x1fff);	/* the largest size field */
	assert_int_equal(g->cap.frames, 0);
	w16(g, R_ISR, 0xffff);
	w32(g, R_TSD0 + 8, 1792);
	assert_int_equal(g->cap.frames, 1);
	assert_int_equal(g->cap.len[0], 1792);
	assert_int_equal(r16(g, R_ISR), I_TOK);
	/* size 0 and runts never reach the hub */
	w32(g, R_TSD0 + 12, 0);
	w32(g, R_TSD0, 13);
	assert_int_equal(g->cap.frames, 1);
	assert_int_equal(g_stats(g).tx_dropped, 2);
	teardown_guest(g);
}

static void test_tx_hub_limit(void **state)
{
	struct guest *g = guest(0x10, 576);	/* largest frame 594 */

	(void)state;
	tt_open(g, 0, false, 0);
	make_frame(g->mem + G_TXBUF, bcast, 595, 0);
	make_frame(g->mem + G_TXBUF + G_BUF_SIZE, bcast, 594, 0);
	w32(g, R_TSD0, 595);
	w32(g, R_TSD0 + 4, 594);
	assert_int_equal(g->cap.frames, 1);
	assert_int_equal(g->cap.longest, 594);
	assert_int_equal(g_stats(g).tx_dropped, 1);
	assert_int_equal(unet_rtl8139_port(g->nic)->stats.drops[UNET_DROP_LONG],
			 0);
	teardown_guest(g);
}

/* ---- Normal mode receive ----------------------------------------------- */

/* Receives @count frames of @len bytes one at a time, checking each. */
static void rx_frames(struct guest *g, unsigned int count, size_t len,
		      unsigned int seed)
{
	uint8_t f[1600];
	unsigned int i;

	for (i = 0; i < count; i++) {
		uint32_t off = g->cur_rx % g->rx_len, o;
		uint8_t crc[4];
		int k;

		make_frame(f, g->mac, len, seed + i);
		rx_reset();
		g_deliver(g, f, len);
		assert_true(g->irq);
		/* the CRC right after the frame, in ring order */
		for (k = 0; k < 4; k++) {
			o = off + 4 + (uint32_t)len + (uint32_t)k;
			if (!(r32(g, R_RCR) & RCR_WRAP) || g->rx_len == 65536)
				o %= g->rx_len;
			crc[k] = g->mem[G_RXRING + o];
		}
		assert_int_equal(tt_interrupt(g, rx_keep), 1);
		assert_false(g->rx_bad);
		assert_int_equal(RX.n, 1);
		assert_int_equal(RX.len[0], len);
		assert_int_equal(RX.status[0], 0x4001);	/* PAM | ROK */
		assert_memory_equal(RX.data[0], f, len);
		assert_int_equal(crc[0] | crc[1] << 8 | crc[2] << 16 |
				 (uint32_t)crc[3] << 24, crc32_ref(f, len));
		assert_int_equal(r16(g, R_CBR), g->cur_rx % g->rx_len);
		assert_true(r8(g, R_CR) & CR_BUFE);
	}
}

static bool all_zero(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

static void test_rx_ring_wrap0(void **state)
{
	struct guest *g = guest(0x10, 0);

	(void)state;
	tt_open(g, 0, false, 0);	/* 8K, WRAP=0 */
	rx_frames(g, 30, 1000, 0);	/* goes round the ring 3 times */
	assert_true(g->cur_rx > 3 * 8192);
	/* nothing past the ring's end */
	assert_true(all_zero(g->mem + G_RXRING + 8192, 0x800));
	/* and with lengths that leave every alignment */
	rx_frames(g, 40, 333, 100);
	rx_frames(g, 40, 1518, 200);
	assert_true(all_zero(g->mem + G_RXRING + 8192, 0x800));
	teardown_guest(g);
}

static void test_rx_ring_wrap1(void **state)
{
	struct guest *g = guest(0x10, 0);
	bool past_end = false;
	unsigned int i;

	(void)state;
	tt_open(g, 0, true, 0);		/* 8K, WRAP=1: on past the end */
	for (i = 0; i < 30; i++) {
		uint32_t off = g->cur_rx % 8192;

		rx_frames(g, 1, 1000, i);
		if (off + 1008 > 8192) {
			past_end = true;
			/* the tail went past the end, not to the start */
			assert_false(all_zero(g->mem + G_RXRING + 8192,
					      off + 1008 - 8192));
			assert_true(r16(g, R_CBR) < 1008);
		}
	}
	assert_true(past_end);
	/* never beyond the 1.5K pad the driver allocates */
	rx_frames(g, 30, 1518, 50);
	assert_true(all_zero(g->mem + G_RXRING + 8192 + 1536, 0x800));
	teardown_guest(g);
}

static void test_rx_ring_64k(void **state)
{
	struct guest *g = guest(0x10, 0);

	(void)state;
	tt_open(g, 3, true, 0);		/* 64K: WRAP=1 has no effect */
	assert_int_equal(g->rx_len, 65536);
	rx_frames(g, 100, 1500, 0);
	assert_true(g->cur_rx > 65536);
	assert_true(all_zero(g->mem + G_RXRING + 65536, 0x800));
	teardown_guest(g);
}

static void test_rx_overflow(void **state)
{
	struct guest *g = guest(0x10, 0);
	uint8_t f[1000];
	int i;

	(void)state;
	tt_open(g, 0, false, 0);
	make_frame(f, g->mac, 1000, 0);
	for (i = 0; i < 8; i++)
		g_deliver(g, f, 1000);
	assert_int_equal(g_stats(g).rx_frames, 8);
	assert_int_equal(r16(g, R_ISR) & (I_RXOVW | I_FOVW), 0);
	/* the ninth does not fit before CAPR: RXOVW, missed */
	g_deliver(g, f, 1000);
	assert_int_equal(r16(g, R_ISR) & (I_RXOVW | I_FOVW), I_RXOVW);
	assert_int_equal(r32(g, R_MPC), 1);
	/* another before the driver acknowledged: FOVW too */
	g_deliver(g, f, 1000);
	assert_int_equal(r16(g, R_ISR) & (I_RXOVW | I_FOVW),
			 I_RXOVW | I_FOVW);
	assert_int_equal(r32(g, R_MPC), 2);
	assert_int_equal(g_stats(g).rx_missed, 2);
	assert_int_equal(g_stats(g).rx_frames, 8);
	/* the driver reads what is there and acknowledges */
	rx_reset();
	assert_int_equal(tt_interrupt(g, rx_keep), 8);
	assert_int_equal(RX.n, 8);
	for (i = 0; i < 8; i++)
		assert_memory_equal(RX.data[i], f, 1000);
	assert_int_equal(r16(g, R_ISR) & (I_RXOVW | I_FOVW), 0);
	/* and receives again */
	rx_frames(g, 5, 1000, 9);
	teardown_guest(g);
}

static void test_rx_filter(void **state)
{
	struct guest *g = guest(0x10, 0);
	uint8_t f[100], m1[6] = { 0x33, 0x33, 0, 0, 0, 1 };
	uint8_t m2[6] = { 0x33, 0x33, 0, 0, 0, 2 };
	unsigned int b1, b2;

	(void)state;
	b1 = mcast_bit(m1);
	b2 = mcast_bit(m2);
	while (b2 == b1) {
		m2[5]++;
		b2 = mcast_bit(m2);
	}
	tt_open(g, 0, false, 0);
	rx_reset();
	g_deliver(g, f, make_frame(f, bcast, 100, 0));
	g_deliver(g, f, make_frame(f, g->mac, 100, 0));
	g_deliver(g, f, make_frame(f, other, 100, 0));
	g_deliver(g, f, make_frame(f, m1, 100, 0));
	tt_interrupt(g, rx_keep);
	assert_int_equal(RX.n, 2);
	assert_int_equal(RX.status[0], 0x2001);	/* broadcast */
	assert_int_equal(RX.status[1], 0x4001);	/* physical match */
	assert_int_equal(g_stats(g).rx_filtered, 2);

	/* multicast: AM and the hash bit */
	w32(g, R_RCR, r32(g, R_RCR) | RCR_AM);
	w8(g, R_MAR0 + (b1 >> 3), (uint8_t)(1u << (b1 & 7)));
	rx_reset();
	g_deliver(g, f, make_frame(f, m1, 100, 0));
	g_deliver(g, f, make_frame(f, m2, 100, 0));
	tt_interrupt(g, rx_keep);
	assert_int_equal(RX.n, 1);
	assert_int_equal(RX.status[0], 0x8001);
	assert_memory_equal(RX.data[0], m1, 6);

	/* promiscuous takes everything; no AB, no broadcast */
	w32(g, R_RCR, (r32(g, R_RCR) & ~RCR_AB) | RCR_AAP);
	rx_reset();
	g_deliver(g, f, make_frame(f, other, 100, 0));
	tt_interrupt(g, rx_keep);
	assert_int_equal(RX.n, 1);
	assert_int_equal(RX.status[0], 0x0001);
	w32(g, R_RCR, r32(g, R_RCR) & ~RCR_AAP);
	rx_reset();
	g_deliver(g, f, make_frame(f, bcast, 100, 0));
	tt_interrupt(g, rx_keep);
	assert_int_equal(RX.n, 0);

	/* receiver off */
	w8(g, R_CR, CR_TE);
	g_deliver(g, f, make_frame(f, g->mac, 100, 0));
	assert_int_equal(g_stats(g).rx_disabled, 1);
	teardown_guest(g);
}

static void test_rx_pad_and_long(void **state)
{
	struct guest *g = guest(0x10, 0);
	uint8_t f[1600];

	(void)state;
	tt_open(g, 0, false, 0);
	make_frame(f, g->mac, 42, 3);
	rx_reset();
	g_deliver(g, f, 42);
	tt_interrupt(g, rx_keep);
	assert_int_equal(RX.n, 1);
	assert_int_equal(RX.len[0], 60);
	assert_memory_equal(RX.data[0], f, 42);
	assert_true(all_zero(RX.data[0] + 42, 18));
	assert_int_equal(g_le32(g, G_RXRING + 4 + 60),
			 crc32_ref(RX.data[0], 60));
	/* longer than 1518 bytes: dropped */
	make_frame(f, g->mac, 1519, 3);
	g_deliver(g, f, 1519);
	assert_int_equal(g_stats(g).rx_too_long, 1);
	assert_true(r8(g, R_CR) & CR_BUFE);
	rx_frames(g, 1, 1518, 4);
	teardown_guest(g);
}

static void test_rx_pointer_resets(void **state)
{
	struct guest *g = guest(0x10, 0);
	uint8_t f[100];
	uint32_t rcr;

	(void)state;
	tt_open(g, 0, false, 0);
	make_frame(f, g->mac, 100, 0);
	g_deliver(g, f, 100);
	g_deliver(g, f, 100);
	tt_rx(g, NULL, 1);
	assert_int_equal(r16(g, R_CBR), 2 * 108);
	assert_int_equal(r16(g, R_CAPR), 108 - 16);
	/* RCR rewritten while receiving (Linux set_rx_mode): no reset */
	rcr = r32(g, R_RCR);
	w32(g, R_RCR, rcr | RCR_AM);
	assert_int_equal(r16(g, R_CBR), 2 * 108);
	assert_int_equal(tt_rx(g, NULL, 4), 1);
	/* another ring size: reset */
	w32(g, R_RCR, rcr | 1u << 11);
	assert_int_equal(r16(g, R_CBR), 0);
	assert_int_equal(r16(g, R_CAPR), 0xfff0);
	assert_true(r8(g, R_CR) & CR_BUFE);
	/* the receiver turned off and on again (8139too's rx_err): reset */
	g_deliver(g, f, 100);
	assert_int_equal(r16(g, R_CBR), 108);
	w8(g, R_CR, CR_TE);
	w8(g, R_CR, CR_TE | CR_RE);
	assert_int_equal(r16(g, R_CBR), 0);
	teardown_guest(g);
}

static void test_loopback(void **state)
{
	struct guest *g = guest(0x10, 0);
	uint8_t f[200];

	(void)state;
	tt_open(g, 0, false, 0);
	w32(g, R_TCR, r32(g, R_TCR) | 0x00060000);
	make_frame(f, g->mac, 200, 5);
	rx_reset();
	assert_true(tt_xmit(g, f, 200));
	tt_interrupt(g, rx_keep);
	assert_int_equal(g->cap.frames, 0);
	assert_int_equal(RX.n, 1);
	assert_memory_equal(RX.data[0], f, 200);
	assert_int_equal(g->dirty_tx, 1);
	teardown_guest(g);
}

/* ---- C+ mode rings ------------------------------------------------------ */

static const uint16_t cp_cmd = CPCR_MULRW | CPCR_RX | CPCR_TX;

static void test_cp_tx_multi(void **state)
{
	struct guest *g = guest(0x20, 0);
	uint8_t f[1000], f2[300];
	size_t lens[3] = { 14, 486, 500 };
	unsigned int i;

	(void)state;
	cp_open(g, cp_cmd, 0);
	make_frame(f, bcast, 1000, 1);
	cp_xmit_frags(g, f, lens, 3, 0, 0);
	assert_int_equal(g->cap.frames, 1);
	assert_int_equal(g->cap.len[0], 1000);
	assert_memory_equal(g->cap.data[0], f, 1000);
	for (i = 0; i < 3; i++)
		assert_int_equal(g_le32(g, cp_txd(i)) & D_OWN, 0);
	assert_true(g->irq);
	assert_int_equal(r16(g, R_ISR) & I_TOK, I_TOK);
	cp_interrupt(g, NULL);
	assert_int_equal(g->cp_tx_tail, 3);
	assert_int_equal(g->cp_tx_errors, 0);
	/* the ring goes round, frames of one and two descriptors */
	for (i = 0; i < 100; i++) {
		size_t two[2] = { 100, 200 };

		make_frame(f2, bcast, 300, i);
		if (i & 1)
			cp_xmit_frags(g, f2, two, 2, 0, 0);
		else
			cp_xmit(g, f2, 300, 0, 0);
		cp_interrupt(g, NULL);
		assert_int_equal(g->cap.frames, i + 2);
		assert_memory_equal(g->cap.data[i + 1], f2, 300);
	}
	assert_int_equal(g->cp_tx_errors, 0);
	/* a poll with nothing to send: TDU */
	w16(g, R_ISR, 0xffff);
	w8(g, R_TPPOLL, 0x40);
	assert_int_equal(r16(g, R_ISR) & I_TDU, I_TDU);
	/* the software interrupt */
	w8(g, R_TPPOLL, 0x01);
	assert_int_equal(r16(g, R_ISR) & I_SWINT, I_SWINT);
	teardown_guest(g);
}

static void test_cp_rx(void **state)
{
	struct guest *g = guest(0x20, 0);
	uint8_t f[1600];
	unsigned int i;

	(void)state;
	cp_open(g, cp_cmd, 0);
	for (i = 0; i < 150; i++) {	/* round the 64-entry ring */
		size_t len = 42 + (i * 37) % 1477;

		make_frame(f, i % 3 ? g->mac : bcast, len, i);
		rx_reset();
		g_deliver(g, f, len);
		assert_int_equal(cp_interrupt(g, rx_keep), 1);
		assert_int_equal(RX.n, 1);
		assert_int_equal(RX.len[0], len < 60 ? 60 : len);
		assert_memory_equal(RX.data[0], f, len);
		assert_int_equal(RX.status[0] & (D_BAR | D_PAM | D_MAR),
				 i % 3 ? D_PAM : D_BAR);
	}
	/* the CRC follows the frame in the buffer */
	make_frame(f, g->mac, 100, 1);
	g_deliver(g, f, 100);
	i = g->cp_rx_tail;
	assert_int_equal(g_le32(g, G_CP_RXBUF + i * G_BUF_SIZE + 100),
			 crc32_ref(f, 100));
	assert_int_equal(g_le32(g, cp_rxd(i)) & 0x1fff, 104);
	teardown_guest(g);
}

static void test_cp_rdu(void **state)
{
	struct guest *g = guest(0x20, 0);
	uint8_t f[200];
	unsigned int i;

	(void)state;
	cp_open(g, cp_cmd, 0);
	for (i = 0; i < CP_RING; i++)
		g_put_le32(g, cp_rxd(i), g_le32(g, cp_rxd(i)) & ~D_OWN);
	make_frame(f, g->mac, 200, 0);
	g_deliver(g, f, 200);
	assert_int_equal(r16(g, R_ISR) & I_RXOVW, I_RXOVW);
	assert_int_equal(r32(g, R_MPC), 1);
	assert_int_equal(g_stats(g).rx_missed, 1);
	assert_true(all_zero(g->mem + G_CP_RXBUF, G_BUF_SIZE));
	/* the driver gives descriptor 0 back */
	g_put_le32(g, cp_rxd(0), g_le32(g, cp_rxd(0)) | D_OWN);
	w16(g, R_ISR, 0xffff);
	g_deliver(g, f, 200);
	assert_int_equal(r16(g, R_ISR) & (I_ROK | I_RXOVW), I_ROK);
	assert_int_equal(g_le32(g, cp_rxd(0)) & (D_OWN | 0x1fff), 204);
	teardown_guest(g);
}

static void test_cp_rx_small_buffer(void **state)
{
	struct guest *g = guest(0x20, 0);
	uint8_t f[300];

	(void)state;
	cp_open(g, cp_cmd, 0);
	cp_desc(g, cp_rxd(0), D_OWN | 100, 0, G_CP_RXBUF);
	make_frame(f, g->mac, 300, 0);
	g_deliver(g, f, 300);
	/* given back with an error, no data written */
	assert_int_equal(g_le32(g, cp_rxd(0)) & (D_OWN | D_FS | D_LS | D_RES),
			 D_FS | D_LS | D_RES);
	assert_true(all_zero(g->mem + G_CP_RXBUF, G_BUF_SIZE));
	assert_int_equal(r16(g, R_ISR) & (I_RER | I_ROK), I_RER);
	assert_int_equal(g_stats(g).rx_too_long, 1);
	/* the next descriptor takes the next frame */
	rx_reset();
	g_deliver(g, f, 300);
	cp_interrupt(g, rx_keep);
	assert_int_equal(RX.n, 1);
	assert_memory_equal(RX.data[0], f, 300);
	teardown_guest(g);
}

/*
 * C+ rings hold at most 64 descriptors: the drivers written from Realtek's
 * RTL8139C+ documentation say so (FreeBSD's if_rlreg.h: "the rings can
 * hold a maximum of 64 descriptors"; NetBSD's rtl81x9var.h: "RX rings ...
 * 64 descriptors ... TX rings upto 64 descriptors on 8139C+, and 1024
 * descriptors on 8169"), and EOR marks the last descriptor: the NIC's
 * pointer "will return to the first descriptor of the ring" after it. A
 * ring of 64 without EOR therefore goes on at descriptor 0 after 63 (where
 * no source says what the chip does, the model wraps as QEMU's does);
 * descriptor 64, just past the ring, is never read. The driver below is
 * 8139cp's sequence with the EOR bit left out.
 */
static void test_cp_ring_64(void **state)
{
	struct guest *g = guest(0x20, 0);
	uint8_t f[CP_RING + 8][100], trap[100];
	unsigned int i, d;

	(void)state;
	cp_open(g, cp_cmd, 0);
	g_put_le32(g, cp_txd(CP_RING - 1), 0);		/* no EOR anywhere */
	make_frame(trap, bcast, 100, 99);
	memcpy(g->mem + G_BIG, trap, 100);
	cp_desc(g, cp_txd(CP_RING), D_OWN | D_FS | D_LS | 100, 0, G_BIG);
	/* 60 frames, then 8 more: descriptors 60..63, then 0..3 */
	for (i = 0; i < CP_RING + 4; i++) {
		d = i % CP_RING;
		make_frame(f[i], bcast, 100, i);
		memcpy(g->mem + G_CP_TXBUF + d * G_BUF_SIZE, f[i], 100);
		cp_desc(g, cp_txd(d), D_OWN | D_FS | D_LS | 100, 0,
			G_CP_TXBUF + d * G_BUF_SIZE);
		if (i == 59 || i == CP_RING + 3)
			w8(g, R_TPPOLL, 0x40);
	}
	assert_int_equal(g->cap.frames, CP_RING + 4);
	for (i = 0; i < CP_RING + 4; i++)
		assert_memory_equal(g->cap.data[i], f[i], 100);
	assert_int_equal(g_le32(g, cp_txd(CP_RING)) & D_OWN, D_OWN);
	assert_int_equal(g_stats(g).ring_limit, 0);

	/* receive: 64 descriptors without EOR, and a trap at 64 */
	for (i = 0; i < CP_RING; i++)
		cp_desc(g, cp_rxd(i), D_OWN | CP_RX_BUF_SZ, 0,
			G_CP_RXBUF + i * G_BUF_SIZE);
	memset(g->mem + G_BIG, 0xee, G_BUF_SIZE);
	cp_desc(g, cp_rxd(CP_RING), D_OWN | CP_RX_BUF_SZ, 0, G_BIG);
	for (i = 0; i < CP_RING + 2; i++) {
		if (i == CP_RING) {
			/* the driver gives 0 and 1 back, still without EOR */
			for (d = 0; d < 2; d++)
				cp_desc(g, cp_rxd(d), D_OWN | CP_RX_BUF_SZ,
					0, G_CP_RXBUF + d * G_BUF_SIZE);
		}
		make_frame(f[i], g->mac, 100, 200 + i);
		g_deliver(g, f[i], 100);
	}
	assert_int_equal(g_stats(g).rx_frames, CP_RING + 2);
	for (d = 0; d < 2; d++) {
		assert_int_equal(g_le32(g, cp_rxd(d)) & (D_OWN | 0x1fff), 104);
		assert_memory_equal(g->mem + G_CP_RXBUF + d * G_BUF_SIZE,
				    f[CP_RING + d], 100);
	}
	assert_memory_equal(g->mem + G_CP_RXBUF + 63 * G_BUF_SIZE,
			    f[63], 100);
	assert_int_equal(g_le32(g, cp_rxd(CP_RING)) & D_OWN, D_OWN);
	assert_true(g->mem[G_BIG] == 0xee && g->mem[G_BIG + 99] == 0xee);
	/* and with descriptor 2 still the driver's: RDU, not descriptor 64 */
	g_deliver(g, f[0], 100);
	assert_int_equal(r16(g, R_ISR) & I_RXOVW, I_RXOVW);
	assert_int_equal(g_stats(g).rx_missed, 1);
	assert_int_equal(g_le32(g, cp_rxd(CP_RING)) & D_OWN, D_OWN);
	teardown_guest(g);
}

/* ---- VLAN ------------------------------------------------------------- */

static void test_vlan_insert(void **state)
{
	struct guest *g = guest(0x20, 0);
	uint8_t f[100];
	size_t lens[2] = { 6, 94 };

	(void)state;
	cp_open(g, cp_cmd, 0);
	make_frame(f, bcast, 100, 0);
	/* TCI 0x2123 (priority 1, VID 0x123), byte-swapped as 8139cp does */
	cp_xmit(g, f, 100, 0, D1_TAGC | 0x2321);
	cp_xmit_frags(g, f, lens, 2, 0, D1_TAGC | 0x2321);
	cp_xmit(g, f, 100, 0, 0x2321);	/* no TAGC: no tag */
	assert_int_equal(g->cap.frames, 3);
	assert_int_equal(g->cap.len[0], 104);
	assert_memory_equal(g->cap.data[0], f, 12);
	assert_int_equal(g->cap.data[0][12], 0x81);
	assert_int_equal(g->cap.data[0][13], 0x00);
	assert_int_equal(g->cap.data[0][14], 0x21);
	assert_int_equal(g->cap.data[0][15], 0x23);
	assert_memory_equal(g->cap.data[0] + 16, f + 12, 88);
	assert_int_equal(g->cap.len[1], 104);
	assert_memory_equal(g->cap.data[1], g->cap.data[0], 104);
	assert_int_equal(g->cap.len[2], 100);
	assert_memory_equal(g->cap.data[2], f, 100);
	teardown_guest(g);
}

static void test_vlan_strip(void **state)
{
	struct guest *g = guest(0x20, 0);
	uint8_t f[200];

	(void)state;
	cp_open(g, cp_cmd | CPCR_RXVLAN, 0);
	make_frame(f, g->mac, 200, 0);
	f[12] = 0x81;
	f[13] = 0x00;
	f[14] = 0x20;
	f[15] = 0x05;	/* TCI 0x2005 */
	rx_reset();
	g_deliver(g, f, 200);
	cp_interrupt(g, rx_keep);
	assert_int_equal(RX.n, 1);
	assert_int_equal(RX.len[0], 196);
	assert_memory_equal(RX.data[0], f, 12);
	assert_memory_equal(RX.data[0] + 12, f + 16, 184);
	/* the tag is in dw1 (read before the driver gives it back) */
	memset(g->mem + G_CP_RXBUF + G_BUF_SIZE, 0xee, 100);
	g_deliver(g, f, 62);	/* stripped to 58: padded to 60 */
	assert_int_equal(g_le32(g, cp_rxd(1) + 4), D1_TAVA | 0x0520);
	assert_int_equal(g_le32(g, cp_rxd(1)) & 0x1fff, 64);
	assert_true(all_zero(g->mem + G_CP_RXBUF + G_BUF_SIZE + 58, 2));
	cp_interrupt(g, NULL);
	/* RxVLAN off: the tag stays in the frame */
	w16(g, R_CPCR, cp_cmd);
	g_put_le32(g, cp_rxd(2) + 4, 0xdeadbeef);
	rx_reset();
	g_deliver(g, f, 200);
	assert_int_equal(g_le32(g, cp_rxd(2) + 4), 0);
	cp_interrupt(g, rx_keep);
	assert_int_equal(RX.len[0], 200);
	assert_memory_equal(RX.data[0], f, 200);
	teardown_guest(g);
}

/* ---- Checksum offload ---------------------------------------------- */

static const uint32_t ip_a = 0x0f02000a;	/* 10.0.2.15, network order */
static const uint32_t ip_b = 0x0202000a;	/* 10.0.2.2 */

/* A UDP or TCP/IPv4 frame with @payload bytes and no checksums. */
static size_t l4_frame(uint8_t *f, uint8_t proto, size_t payload,
		       unsigned int seed)
{
	size_t l4 = proto == 6 ? 20 : 8, i;
	uint8_t *th = f + 34;

	g_ipv4(f, bcast, peer, ip_a, ip_b, proto, 20 + l4 + payload, 0x1234,
	       true);
	memset(th, 0, l4);
	g_be16(th, 1000);
	g_be16(th + 2, 2000);
	if (proto == 6) {
		th[4] = 0x11;	/* seq */
		th[12] = 5 << 4;
		th[13] = 0x18;	/* PSH ACK */
		g_be16(th + 14, 65535);
	} else {
		g_be16(th + 4, (uint16_t)(8 + payload));
	}
	for (i = 0; i < payload; i++)
		th[l4 + i] = (uint8_t)(seed + i * 3);
	return 34 + l4 + payload;
}

static void assert_csums_ok(const uint8_t *f, size_t len, size_t l3)
{
	const uint8_t *ip = f + l3;
	size_t ihl = (size_t)(ip[0] & 15) * 4, tot = g_get_be16(ip + 2);

	assert_true(l3 + tot <= len);
	assert_int_equal(g_csum(ip, ihl, 0), 0);
	assert_int_equal(g_csum(ip + ihl, tot - ihl,
				g_pseudo(ip, ip[9], tot - ihl)), 0);
}

static void test_tx_csum_offload(void **state)
{
	struct guest *g = guest(0x20, 0);
	uint8_t f[600];
	size_t len;

	(void)state;
	cp_open(g, cp_cmd, 0);
	len = l4_frame(f, 17, 333, 1);
	cp_xmit(g, f, len, D_IPCS | D_UDPCS, 0);
	len = l4_frame(f, 6, 500, 2);
	cp_xmit(g, f, len, D_IPCS | D_TCPCS, 0);
	len = l4_frame(f, 6, 1, 3);	/* odd length */
	cp_xmit(g, f, len, D_TCPCS, 0);
	assert_int_equal(g->cap.frames, 3);
	assert_csums_ok(g->cap.data[0], g->cap.len[0], 14);
	assert_true(g_get_be16(g->cap.data[0] + 40) != 0);
	assert_csums_ok(g->cap.data[1], g->cap.len[1], 14);
	/* TCP only: the IP header checksum left as it was (0) */
	assert_int_equal(g_get_be16(g->cap.data[2] + 24), 0);
	assert_int_equal(g_csum(g->cap.data[2] + 34, 21,
				g_pseudo(g->cap.data[2] + 14, 6, 21)), 0);
	/* with a tag in the buffer, and one inserted */
	len = l4_frame(f + 4, 17, 100, 4);
	memmove(f, f + 4, 12);
	f[12] = 0x81;
	f[13] = 0;
	f[14] = 0;
	f[15] = 5;
	cp_xmit(g, f, len + 4, D_IPCS | D_UDPCS, 0);
	len = l4_frame(f, 17, 100, 5);
	cp_xmit(g, f, len, D_IPCS | D_UDPCS, D1_TAGC | 0x0500);
	assert_csums_ok(g->cap.data[3], g->cap.len[3], 18);
	assert_csums_ok(g->cap.data[4], g->cap.len[4], 18);
	assert_int_equal(g_stats(g).tx_bad_offload, 0);
	teardown_guest(g);
}

/* Which checksums a transmitted frame should carry (see csum_expect()). */
#define X_IP	0x1	/* the IP header checksum filled in */
#define X_L4	0x2	/* the TCP or UDP checksum filled in */
#define X_DROP	0x4	/* not sent at all (TSO) */

/*
 * The frame the device should send for @f (an untagged IPv4 frame of @len
 * bytes): @f with the checksums of @fill computed here (RFC 1071), every
 * other byte as the guest wrote it.
 */
static void csum_expect(uint8_t *exp, const uint8_t *f, size_t len,
			unsigned int fill)
{
	uint8_t *ip = exp + 14, *l4;
	size_t ihl, n;

	memcpy(exp, f, len);
	ihl = (size_t)(ip[0] & 15) * 4;
	if (fill & X_IP) {
		g_be16(ip + 10, 0);
		g_be16(ip + 10, g_csum(ip, ihl, 0));
	}
	if (!(fill & X_L4))
		return;
	l4 = ip + ihl;
	if (ip[9] == 6) {
		n = g_get_be16(ip + 2) - ihl;
		g_be16(l4 + 16, 0);
		g_be16(l4 + 16, g_csum(l4, n, g_pseudo(ip, 6, n)));
	} else {
		n = g_get_be16(l4 + 4);
		g_be16(l4 + 6, 0);
		g_be16(l4 + 6, g_csum(l4, n, g_pseudo(ip, 17, n)));
	}
}

/*
 * The RTL8139C+ datasheet gives IPCS, UDPCS and TCPCS (transmit dw0 bits
 * 18, 17, 16) as three separate commands: "the driver sets this bit to ask
 * the NIC to offload the IP / UDP / TCP checksum". So the device computes
 * each checksum that its packet has and leaves the others alone: IPCS with
 * TCPCS on a UDP datagram still gets the IP header checksum (and the UDP
 * checksum stays what the guest wrote), all three on UDP get IP and UDP.
 * 8139cp's cp_start_xmit() sets IPCS | UDPCS or IPCS | TCPCS per packet.
 */
static void test_tx_csum_each(void **state)
{
	static const struct {
		const char *what;
		uint8_t proto;
		uint32_t opts1;
		unsigned int fill;
	} rows[] = {
		{ "IPCS | TCPCS on UDP", 17, D_IPCS | D_TCPCS, X_IP },
		{ "IPCS | UDPCS on TCP", 6, D_IPCS | D_UDPCS, X_IP },
		{ "all three on UDP", 17, D_IPCS | D_UDPCS | D_TCPCS,
		  X_IP | X_L4 },
		{ "all three on TCP", 6, D_IPCS | D_UDPCS | D_TCPCS,
		  X_IP | X_L4 },
		{ "UDPCS | TCPCS on UDP", 17, D_UDPCS | D_TCPCS, X_L4 },
		{ "IPCS on TCP", 6, D_IPCS, X_IP },
	};
	struct guest *g = guest(0x20, 0);
	uint8_t f[600], exp[600];
	unsigned int i;
	size_t len;

	(void)state;
	cp_open(g, cp_cmd, 0);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		print_message("%s\n", rows[i].what);
		len = l4_frame(f, rows[i].proto, 101 + i, i);
		g_cap_clear(&g->cap);
		cp_xmit(g, f, len, rows[i].opts1, 0);
		assert_int_equal(g->cap.frames, 1);
		assert_int_equal(g->cap.len[0], len);
		csum_expect(exp, f, len, rows[i].fill);
		assert_memory_equal(g->cap.data[0], exp, len);
		/* the guest left 0 in both: a filled-in one is never 0 */
		assert_int_equal(g_get_be16(g->cap.data[0] + 24) != 0,
				 (rows[i].fill & X_IP) != 0);
		assert_int_equal(g_le32(g, cp_txd(i)) & (D_OWN | D_TES), 0);
	}
	/* each frame with a request that did not fit is counted once */
	assert_int_equal(g_stats(g).tx_bad_offload, 5);
	cp_tx_reap(g);
	assert_int_equal(g->cp_tx_errors, 0);
	teardown_guest(g);
}

static void test_rx_csum(void **state)
{
	struct guest *g = guest(0x20, 0);
	uint8_t f[400];
	size_t len;
	uint32_t st[8];
	int i;

	(void)state;
	cp_open(g, cp_cmd | CPCR_RXCSUM, 0);
	rx_reset();
	/* a good TCP segment */
	len = l4_frame(f, 6, 100, 1);
	memcpy(f, g->mac, 6);
	g_be16(f + 24, g_csum(f + 14, 20, 0));
	g_be16(f + 50, g_csum(f + 34, len - 34, g_pseudo(f + 14, 6, len - 34)));
	g_deliver(g, f, len);
	/* the same, corrupted */
	f[60] ^= 1;
	g_deliver(g, f, len);
	/* a good UDP datagram, and one without a checksum */
	len = l4_frame(f, 17, 100, 2);
	memcpy(f, g->mac, 6);
	g_be16(f + 24, g_csum(f + 14, 20, 0));
	g_deliver(g, f, len);
	g_be16(f + 40,
	       g_csum(f + 34, len - 34, g_pseudo(f + 14, 17, len - 34)));
	g_deliver(g, f, len);
	/* ICMP: IP only; then a bad IP header checksum */
	len = l4_frame(f, 1, 100, 3);
	memcpy(f, g->mac, 6);
	g_be16(f + 24, g_csum(f + 14, 20, 0));
	g_deliver(g, f, len);
	f[24] ^= 0x10;
	g_deliver(g, f, len);
	/* not IP; an IPv4 header longer than the frame */
	g_deliver(g, f, make_frame(f, g->mac, 100, 0));
	len = l4_frame(f, 6, 0, 0);
	memcpy(f, g->mac, 6);
	f[14] = 0x4f;
	g_deliver(g, f, len);
	cp_interrupt(g, rx_keep);
	assert_int_equal(RX.n, 8);
	for (i = 0; i < 8; i++)
		st[i] = RX.status[i] & (0x30000 | D_IPF | D_UDPF | D_TCPF);
	assert_int_equal(st[0], 0x10000);		/* TCP, good */
	assert_int_equal(st[1], 0x10000 | D_TCPF);
	assert_int_equal(st[2], 0x20000);		/* UDP, no checksum */
	assert_int_equal(st[3], 0x20000);		/* UDP, good */
	assert_int_equal(st[4], 0x30000);		/* other IP */
	assert_int_equal(st[5], 0x30000 | D_IPF);
	assert_int_equal(st[6], 0);			/* not IP */
	assert_int_equal(st[7], 0x30000 | D_IPF);	/* malformed */
	teardown_guest(g);
}

/* ---- TSO ------------------------------------------------------------- */

/*
 * A TCP/IPv4 send of @payload bytes with 12 bytes of TCP options, split
 * over descriptors of at most 2000 bytes, with TSO at @mss.
 */
static size_t tso_frame(uint8_t *f, size_t payload, bool tag)
{
	size_t hl = tag ? 18 : 14, i;
	uint8_t *ip = f + hl, *th = ip + 20;

	g_ipv4(f, peer, other, ip_a, ip_b, 6, 20 + 32 + payload,
	       0xfff0, true);
	if (tag) {
		memmove(f + 16, f + 12, 2 + 20);
		f[12] = 0x81;
		f[13] = 0;
		f[14] = 0x00;
		f[15] = 0x07;
	}
	memset(th, 0, 32);
	g_be16(th, 40000);
	g_be16(th + 2, 80);
	th[4] = 0xff;
	th[5] = 0xff;
	th[6] = 0xf0;
	th[7] = 0x00;	/* seq 0xfffff000: wraps during the send */
	th[11] = 1;
	th[12] = 8 << 4;
	th[13] = 0x80 | 0x18 | 0x01;	/* CWR PSH ACK FIN */
	g_be16(th + 14, 1000);
	th[20] = 1;
	th[21] = 1;
	th[22] = 8;
	th[23] = 10;	/* timestamps */
	for (i = 24; i < 32; i++)
		th[i] = (uint8_t)i;
	for (i = 0; i < payload; i++)
		th[32 + i] = (uint8_t)(i * 13 + (i >> 8));
	return hl + 20 + 32 + payload;
}

static void tso_send(struct guest *g, const uint8_t *f, size_t len,
		     uint32_t opts1, uint32_t opts2)
{
	size_t lens[64], off = 0;
	unsigned int n = 0;

	while (off < len) {
		size_t l = len - off > 2000 ? 2000 : len - off;

		/* headers in a descriptor of their own, as Linux does */
		if (off == 0)
			l = len < 66 ? len : 66;
		lens[n++] = l;
		off += l;
	}
	cp_xmit_frags(g, f, lens, n, opts1, opts2);
}

/*
 * Checks the segments of a send made by tso_frame(): @fhl bytes of L2
 * header in the send, @hl in the segments (18 when a tag was inserted).
 */
static void check_segments(struct guest *g, const uint8_t *f, size_t payload,
			   size_t chunk, size_t fhl, size_t hl)
{
	unsigned int nseg = (unsigned int)((payload + chunk - 1) / chunk), i;
	uint32_t seq0 = g_get_be32(f + fhl + 20 + 4);
	unsigned int first = 0;

	assert_int_equal(g->cap.frames, first + nseg);
	for (i = 0; i < nseg; i++) {
		const uint8_t *s = g->cap.data[first + i];
		const uint8_t *ip = s + hl, *th = ip + 20;
		size_t n = i == nseg - 1 ? payload - i * chunk : chunk;
		uint8_t flags = th[13];

		assert_int_equal(g->cap.len[first + i], hl + 20 + 32 + n);
		assert_memory_equal(s, f, 12);
		if (hl == 18)
			assert_memory_equal(s + 12, "\x81\x00\x01\x23", 4);
		assert_int_equal(g_get_be16(ip + 2), 20 + 32 + n);
		assert_int_equal(g_get_be16(ip + 4), (uint16_t)(0xfff0 + i));
		assert_csums_ok(s, g->cap.len[first + i], hl);
		assert_int_equal(g_get_be32(th + 4),
				 (uint32_t)(seq0 + i * chunk));
		assert_memory_equal(th + 20, f + fhl + 40, 12);	/* options */
		assert_memory_equal(th + 32, f + fhl + 52 + i * chunk, n);
		assert_int_equal(flags & 0x10, 0x10);	/* ACK everywhere */
		assert_int_equal(flags & 0x80, i == 0 ? 0x80 : 0);
		assert_int_equal(flags & 0x09, i == nseg - 1 ? 0x09 : 0);
	}
}

static void test_tso(void **state)
{
	struct guest *g = guest(0x20, 0);
	static uint8_t f[70000];
	size_t len;

	(void)state;
	cp_open(g, cp_cmd, 0);
	len = tso_frame(f, 20000, false);
	tso_send(g, f, len, D_LGSEN | 1448u << 16, 0);
	check_segments(g, f, 20000, 1448, 14, 14);
	assert_int_equal(g_stats(g).tx_segments, 14);
	cp_interrupt(g, NULL);
	assert_int_equal(g->cp_tx_errors, 0);
	/* a 64K send in one go */
	g_cap_clear(&g->cap);
	len = tso_frame(f, 65535 - 66, false);	/* 16-bit descriptor length */
	memcpy(g->mem + G_BIG, f, len);
	cp_desc(g, cp_txd(g->cp_tx_head),
		D_OWN | D_FS | D_LS | D_LGSEN | 1460u << 16 | (uint32_t)len |
		(g->cp_tx_head == CP_RING - 1 ? D_EOR : 0), 0, G_BIG);
	g->cp_tx_head = (g->cp_tx_head + 1) % CP_RING;
	w8(g, R_TPPOLL, 0x40);
	check_segments(g, f, 65535 - 66, 1460, 14, 14);
	/* no payload: one segment */
	g_cap_clear(&g->cap);
	len = tso_frame(f, 0, false);
	tso_send(g, f, len, D_LGSEN | 536u << 16, 0);
	assert_int_equal(g->cap.frames, 1);
	assert_int_equal(g->cap.len[0], 66);
	assert_csums_ok(g->cap.data[0], 66, 14);
	/* with a tag inserted by the descriptor */
	g_cap_clear(&g->cap);
	len = tso_frame(f, 5000, false);
	tso_send(g, f, len, D_LGSEN | 1000u << 16, D1_TAGC | 0x2301);
	check_segments(g, f, 5000, 1000, 14, 18);
	teardown_guest(g);
}

static void test_tso_small_hub(void **state)
{
	struct guest *g = guest(0x20, 576);	/* largest frame 594 */
	static uint8_t f[4000];
	size_t len;

	(void)state;
	cp_open(g, cp_cmd, 0);
	len = tso_frame(f, 3000, false);
	tso_send(g, f, len, D_LGSEN | 1448u << 16, 0);
	/* segments shrink to fit the hub: 594 - 14 - 20 - 32 */
	check_segments(g, f, 3000, 528, 14, 14);
	assert_int_equal(g->cap.longest, 594);
	teardown_guest(g);
}

/* ---- Hostile input ------------------------------------------------------ */

struct bad_offload {
	const char *what;
	uint8_t proto;	/* of the frame before it is spoilt: 6 or 17 */
	uint32_t opts1;
	void (*spoil)(uint8_t *f, size_t *len);
	unsigned int expect;	/* X_DROP, or the checksums filled in */
};

static void spoil_ihl(uint8_t *f, size_t *len)
{
	f[14] = 0x4f;	/* 60-byte IP header in a 54-byte frame */
	*len = 54;
}

static void spoil_ihl_small(uint8_t *f, size_t *len)
{
	(void)len;
	f[14] = 0x44;
}

static void spoil_totlen(uint8_t *f, size_t *len)
{
	(void)len;
	g_be16(f + 16, 60000);
}

static void spoil_totlen_small(uint8_t *f, size_t *len)
{
	(void)len;
	g_be16(f + 16, 10);
}

static void spoil_doff(uint8_t *f, size_t *len)
{
	f[46] = 0xf0;	/* 60-byte TCP header in a 20-byte segment */
	*len = 54;
	g_be16(f + 16, 40);
}

static void spoil_doff_small(uint8_t *f, size_t *len)
{
	(void)len;
	f[46] = 0x30;
}

static void spoil_tcp_cut(uint8_t *f, size_t *len)
{
	*len = 44;	/* 10 bytes of TCP header, and a total length to match */
	g_be16(f + 16, 30);
}

static void spoil_udp_len(uint8_t *f, size_t *len)
{
	(void)len;
	g_be16(f + 38, 60000);
}

static void spoil_udp_len_small(uint8_t *f, size_t *len)
{
	(void)len;
	g_be16(f + 38, 7);
}

static void spoil_version(uint8_t *f, size_t *len)
{
	(void)len;
	f[14] = 0x65;
}

static void spoil_fragment(uint8_t *f, size_t *len)
{
	(void)len;
	f[20] = 0x20;	/* MF */
}

static void spoil_udp(uint8_t *f, size_t *len)
{
	(void)len;
	f[23] = 17;
}

static void spoil_not_ip(uint8_t *f, size_t *len)
{
	(void)len;
	f[12] = 0x86;
	f[13] = 0xdd;
}

static void spoil_runt(uint8_t *f, size_t *len)
{
	(void)f;
	*len = 10;
}

static void spoil_vlan_cut(uint8_t *f, size_t *len)
{
	f[12] = 0x81;
	f[13] = 0x00;
	*len = 16;
}

static void spoil_none(uint8_t *f, size_t *len)
{
	(void)f;
	(void)len;
}

/*
 * Offload requests the frame does not allow. TSO is all or nothing: the
 * frame is dropped. Checksums are separate commands: each that fits the
 * packet is filled in, each that does not is skipped. Every row counts one
 * tx_bad_offload.
 */
static void test_hostile_offload(void **state)
{
	static const uint32_t tso = D_LGSEN | 1448u << 16;
	static const struct bad_offload rows[] = {
		{ "TSO, IP header past the frame", 6, tso, spoil_ihl, X_DROP },
		{ "TSO, IP header length 16", 6, tso, spoil_ihl_small,
		  X_DROP },
		{ "TSO, total length past the frame", 6, tso, spoil_totlen,
		  X_DROP },
		{ "TSO, total length below the header", 6, tso,
		  spoil_totlen_small, X_DROP },
		{ "TSO, data offset past the segment", 6, tso, spoil_doff,
		  X_DROP },
		{ "TSO, data offset 12", 6, tso, spoil_doff_small, X_DROP },
		{ "TSO, MSS 0", 6, D_LGSEN, spoil_none, X_DROP },
		{ "TSO, MSS 1", 6, D_LGSEN | 1u << 16, spoil_none, X_DROP },
		{ "TSO, IPv6 version", 6, tso, spoil_version, X_DROP },
		{ "TSO, a fragment", 6, tso, spoil_fragment, X_DROP },
		{ "TSO, UDP", 6, tso, spoil_udp, X_DROP },
		{ "TSO, not IP", 6, tso, spoil_not_ip, X_DROP },
		{ "TSO, 10 bytes", 6, tso, spoil_runt, X_DROP },
		{ "TSO, tag cut short", 6, tso, spoil_vlan_cut, X_DROP },
		{ "IPCS | TCPCS, IP header past the frame", 6,
		  D_IPCS | D_TCPCS, spoil_ihl, 0 },
		{ "IPCS | TCPCS, IP header length 16", 6, D_IPCS | D_TCPCS,
		  spoil_ihl_small, 0 },
		{ "IPCS | TCPCS, IPv6 version", 6, D_IPCS | D_TCPCS,
		  spoil_version, 0 },
		{ "IPCS on IPv6", 6, D_IPCS, spoil_not_ip, 0 },
		{ "TCPCS, total length past the frame", 6, D_TCPCS,
		  spoil_totlen, 0 },
		{ "IPCS | TCPCS, total length past the frame", 6,
		  D_IPCS | D_TCPCS, spoil_totlen, X_IP },
		{ "IPCS | TCPCS, total length below the header", 6,
		  D_IPCS | D_TCPCS, spoil_totlen_small, X_IP },
		{ "IPCS | TCPCS, data offset past the segment", 6,
		  D_IPCS | D_TCPCS, spoil_doff, X_IP },
		{ "IPCS | TCPCS, data offset 12", 6, D_IPCS | D_TCPCS,
		  spoil_doff_small, X_IP },
		{ "IPCS | TCPCS, TCP header cut short", 6, D_IPCS | D_TCPCS,
		  spoil_tcp_cut, X_IP },
		{ "IPCS | TCPCS on a fragment", 6, D_IPCS | D_TCPCS,
		  spoil_fragment, X_IP },
		{ "IPCS | UDPCS on TCP", 6, D_IPCS | D_UDPCS, spoil_none,
		  X_IP },
		{ "IPCS | TCPCS on UDP", 17, D_IPCS | D_TCPCS, spoil_none,
		  X_IP },
		{ "all three on UDP", 17, D_IPCS | D_UDPCS | D_TCPCS,
		  spoil_none, X_IP | X_L4 },
		{ "IPCS | UDPCS, UDP length past the packet", 17,
		  D_IPCS | D_UDPCS, spoil_udp_len, X_IP },
		{ "IPCS | UDPCS, UDP length 7", 17, D_IPCS | D_UDPCS,
		  spoil_udp_len_small, X_IP },
		{ "UDPCS on a fragment", 17, D_UDPCS, spoil_fragment, 0 },
	};
	struct guest *g = guest(0x20, 0);
	uint8_t f[2000], exp[2000];
	unsigned int i;

	(void)state;
	cp_open(g, cp_cmd, 0);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct bad_offload *r = &rows[i];
		struct unet_rtl8139_stats before = g_stats(g);
		size_t len = l4_frame(f, r->proto, 1400, i);
		unsigned int desc = g->cp_tx_head;

		r->spoil(f, &len);
		g_cap_clear(&g->cap);
		w16(g, R_ISR, 0xffff);
		cp_xmit(g, f, len, r->opts1, 0);
		print_message("%s\n", r->what);
		assert_int_equal(g_stats(g).tx_bad_offload,
				 before.tx_bad_offload + 1);
		assert_int_equal(g_le32(g, cp_txd(desc)) & D_OWN, 0);
		if (r->expect & X_DROP) {
			assert_int_equal(g->cap.frames, 0);
			assert_int_equal(g_le32(g, cp_txd(desc)) & D_TES,
					 D_TES);
			assert_int_equal(r16(g, R_ISR) & (I_TER | I_TOK),
					 I_TER);
		} else {
			assert_int_equal(g->cap.frames, 1);
			assert_int_equal(g->cap.len[0], len);
			csum_expect(exp, f, len, r->expect);
			assert_memory_equal(g->cap.data[0], exp, len);
			assert_int_equal(r16(g, R_ISR) & (I_TER | I_TOK),
					 I_TOK);
		}
		cp_interrupt(g, NULL);
	}
	assert_int_equal(g->refused, 0);
	teardown_guest(g);
}

/*
 * Transmit rings of hostile shapes: descriptors all OWN from index 0, EOR
 * nowhere, past the ring's end, or early. Whatever the shape, the device
 * walks at most the 64 descriptors of a ring and at most 64 per poll.
 */
static void test_hostile_ring_shapes(void **state)
{
	static const struct {
		const char *what;
		unsigned int count;	/* OWN descriptors from index 0 */
		int eor;		/* the one with EOR, or -1 */
		uint32_t seg;		/* FS | LS, or FS alone */
		unsigned int frames;	/* sent, over 20 polls */
		unsigned int errors;	/* tx_errors */
		unsigned int limits;	/* ring_limit */
		unsigned int owned;	/* first index the device left OWN */
	} rows[] = {
		{ "1024, FS without LS, no EOR", 1024, -1, D_FS, 0, 63, 1,
		  64 },
		{ "128 frames, no EOR", 128, -1, D_FS | D_LS, 64, 0, 1, 64 },
		{ "EOR on descriptor 99, past the ring", 128, 99, D_FS | D_LS,
		  64, 0, 1, 64 },
		{ "EOR on descriptor 63", 64, 63, D_FS | D_LS, 64, 0, 1, 64 },
		{ "EOR on descriptor 9", 64, 9, D_FS | D_LS, 10, 0, 0, 10 },
		{ "EOR on descriptor 0, a ring of one", 64, 0, D_FS | D_LS, 1,
		  0, 0, 1 },
		{ "FS without LS up to EOR on 63", 64, 63, D_FS, 0, 63, 1,
		  64 },
	};
	struct guest *g = guest(0x20, 0);
	unsigned int i, k;
	uint8_t f[100];

	(void)state;
	make_frame(f, bcast, 100, 0);
	memcpy(g->mem + G_CP_TXBUF, f, 100);
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct unet_rtl8139_stats before = { .size = sizeof(before) };

		print_message("%s\n", rows[i].what);
		cp_open(g, cp_cmd, 0);
		g_cap_clear(&g->cap);
		before = g_stats(g);
		for (k = 0; k < rows[i].count; k++)
			cp_desc(g, cp_txd(k),
				D_OWN | rows[i].seg | 100 |
					((int)k == rows[i].eor ? D_EOR : 0),
				0, G_CP_TXBUF);
		for (k = 0; k < 20; k++)
			w8(g, R_TPPOLL, 0x40);
		assert_int_equal(g->cap.frames, rows[i].frames);
		assert_int_equal(g_stats(g).tx_errors - before.tx_errors,
				 rows[i].errors);
		assert_int_equal(g_stats(g).ring_limit - before.ring_limit,
				 rows[i].limits);
		for (k = 0; k < rows[i].count; k++)
			if (g_le32(g, cp_txd(k)) & D_OWN)
				break;
		assert_int_equal(k, rows[i].owned);
		for (; k < rows[i].count; k++)
			assert_int_equal(g_le32(g, cp_txd(k)) & D_OWN, D_OWN);
	}
	teardown_guest(g);
}

static void test_hostile_rings(void **state)
{
	struct guest *g = guest(0x20, 0);
	uint8_t f[100];
	unsigned int frames;

	(void)state;
	/* a ring the device cannot write back: OWN never clears */
	cp_open(g, cp_cmd, 0);
	g_cap_clear(&g->cap);
	make_frame(f, bcast, 100, 0);
	memcpy(g->mem + G_CP_TXBUF, f, 100);
	cp_desc(g, cp_txd(0), D_OWN | D_EOR | D_FS | D_LS | 100, 0,
		G_CP_TXBUF);
	g->ro_start = G_CP_TXRING;
	g->ro_end = G_CP_TXRING + 16;
	w8(g, R_TPPOLL, 0x40);
	frames = g->cap.frames;
	assert_int_equal(frames, 64);	/* bounded, and the call returned */
	assert_int_equal(g->refused, 64);
	assert_true(r16(g, R_ISR) & I_SERR);
	g->refused = 0;
	g->ro_start = g->ro_end = 0;

	/* three 64K descriptors: longer than any frame, dropped whole */
	cp_open(g, cp_cmd, 0);
	g_cap_clear(&g->cap);
	memset(g->mem + G_BIG, 0x5a, 0xffff);
	cp_desc(g, cp_txd(0), D_OWN | D_FS | 0xffff, 0, G_BIG);
	cp_desc(g, cp_txd(1), D_OWN | 0xffff, 0, G_BIG);
	cp_desc(g, cp_txd(2), D_OWN | D_LS | 0xffff, 0, G_BIG);
	w16(g, R_ISR, 0xffff);
	w8(g, R_TPPOLL, 0x40);
	assert_int_equal(g->cap.frames, 0);
	assert_int_equal(g_le32(g, cp_txd(2)) & (D_OWN | D_TES), D_TES);
	assert_int_equal(r16(g, R_ISR) & (I_TER | I_TOK), I_TER);
	/* and the next frame goes out whole */
	g->cp_tx_head = 3;
	make_frame(f, bcast, 100, 1);
	cp_xmit(g, f, 100, 0, 0);
	assert_int_equal(g->cap.frames, 1);
	assert_memory_equal(g->cap.data[0], f, 100);
	teardown_guest(g);
}

static void test_hostile_dma(void **state)
{
	struct guest *g = guest(0x10, 0);
	struct unet_rtl8139_stats s = { .size = sizeof(s) };
	uint8_t f[200];
	unsigned int reads;

	(void)state;
	/* a normal mode ring near the end of guest memory */
	tt_open(g, 0, false, 0);
	w32(g, R_RBSTART, G_MEM_SIZE - 100);
	make_frame(f, g->mac, 200, 0);
	g_deliver(g, f, 200);
	assert_int_equal(r16(g, R_ISR) & (I_ROK | I_SERR), I_SERR);
	assert_int_equal(r16(g, R_CBR), 0);
	assert_true(r8(g, R_CR) & CR_BUFE);
	assert_int_equal(unet_rtl8139_pci_config_read(g->nic, 6, 2) & 0x2000,
			 0x2000);
	unet_rtl8139_pci_config_write(g->nic, 6, 2, 0x2000);
	assert_int_equal(unet_rtl8139_pci_config_read(g->nic, 6, 2) & 0x2000,
			 0);
	/* and one far outside it */
	w32(g, R_RBSTART, 0xfffffff0);
	g_deliver(g, f, 200);
	/* transmit from outside */
	w32(g, R_TSAD0, G_MEM_SIZE - 10);
	w32(g, R_TSD0, 100);
	assert_int_equal(r32(g, R_TSD0) & (TSD_OWN | TSD_TABT | TSD_TOK),
			 TSD_OWN | TSD_TABT);
	assert_int_equal(g->cap.frames, 0);
	s = g_stats(g);
	assert_true(s.dma_errors >= 3);
	assert_true(g->refused >= 3);
	g->refused = 0;
	g_free(g);

	/* C+: rings and buffers outside, and a buffer address that wraps */
	g = guest(0x20, 0);
	cp_open(g, cp_cmd, 0);
	cp_desc(g, cp_txd(0), D_OWN | D_FS | D_LS | 100, 0,
		0xfffffffffffffff0ull);
	reads = g->dma_reads;
	w8(g, R_TPPOLL, 0x40);
	/* the descriptor was read, the buffer never asked for */
	assert_int_equal(g->dma_reads, reads + 2);
	assert_int_equal(g_le32(g, cp_txd(0)) & (D_OWN | D_TES), D_TES);
	assert_int_equal(g->cap.frames, 0);
	cp_desc(g, cp_txd(1), D_OWN | D_FS | D_LS | 100, 0, G_MEM_SIZE - 50);
	w8(g, R_TPPOLL, 0x40);
	assert_int_equal(g_le32(g, cp_txd(1)) & (D_OWN | D_TES), D_TES);
	assert_int_equal(g->refused, 1);
	w32(g, R_TSAD0, G_MEM_SIZE);	/* the ring itself outside */
	w8(g, R_TPPOLL, 0x40);
	assert_int_equal(g->refused, 2);
	/* a receive buffer outside: the descriptor stays the device's */
	cp_desc(g, cp_rxd(0), D_OWN | CP_RX_BUF_SZ, 0, G_MEM_SIZE - 64);
	make_frame(f, g->mac, 200, 0);
	g_deliver(g, f, 200);
	assert_int_equal(g_le32(g, cp_rxd(0)) & D_OWN, D_OWN);
	assert_int_equal(g->refused, 3);
	/* the receive ring outside */
	w32(g, R_RDSAR, 0x7ffff000);
	g_deliver(g, f, 200);
	assert_int_equal(g->refused, 4);
	assert_int_equal(g_stats(g).rx_frames, 0);
	assert_true(r16(g, R_ISR) & I_SERR);
	/* the tally dump outside */
	w32(g, 0x14, 0xffffffff);
	w32(g, 0x10, 0xffffffc0 | 8);
	assert_int_equal(g->refused, 5);
	assert_int_equal(r32(g, 0x10) & 8, 0);
	g->refused = 0;
	teardown_guest(g);
}

static void test_bus_master_off(void **state)
{
	struct guest *g = guest(0x10, 0);
	uint8_t f[200];

	(void)state;
	tt_open(g, 0, false, 0);
	unet_rtl8139_pci_config_write(g->nic, 4, 2, 0x0003);
	make_frame(f, g->mac, 200, 0);
	assert_true(tt_xmit(g, f, 200));
	g_deliver(g, f, 200);
	assert_int_equal(g->dma_reads + g->dma_writes, 0);
	assert_int_equal(g->cap.frames, 0);
	assert_int_equal(g_stats(g).dma_blocked, 2);
	assert_int_equal(r32(g, R_TSD0) & TSD_TABT, TSD_TABT);
	assert_int_equal(r16(g, R_ISR) & I_SERR, 0);
	/* and with it on again, all is well */
	unet_rtl8139_pci_config_write(g->nic, 4, 2, 0x0007);
	rx_frames(g, 2, 200, 0);
	teardown_guest(g);
}

static void reenter(struct guest *g)
{
	uint8_t f[60];

	/* what a VMM would do if the guest aimed DMA at the NIC's BAR */
	assert_int_equal(unet_rtl8139_io_write(g->nic, R_TSD0, 4, 60), -EBUSY);
	w8(g, R_TPPOLL, 0x40);
	w8(g, R_CR, CR_RST);
	unet_rtl8139_reset(g->nic);
	memset(f, 0xff, sizeof(f));
	g_deliver(g, f, sizeof(f));
	(void)r16(g, R_ISR);
}

static void test_reentry(void **state)
{
	struct guest *g = guest(0x10, 0);
	uint8_t f[200];

	(void)state;
	tt_open(g, 0, false, RCR_AAP);
	w32(g, R_TCR, r32(g, R_TCR) | 0x00060000);	/* loopback */
	g->on_dma = reenter;
	make_frame(f, g->mac, 200, 0);
	g_deliver(g, f, 200);
	assert_true(tt_xmit(g, f, 200));
	g->on_dma = NULL;
	assert_true(g_stats(g).reentered >= 10);
	/* the chip was not reset from inside: both frames are in the ring */
	assert_int_equal(r8(g, R_CR) & (CR_RE | CR_TE), CR_RE | CR_TE);
	assert_int_equal(g_stats(g).rx_frames, 2);
	rx_reset();
	tt_interrupt(g, rx_keep);
	assert_int_equal(RX.n, 2);
	teardown_guest(g);
}

/* ---- Timer, tally ------------------------------------------------------ */

static void test_timer(void **state)
{
	struct guest *g = guest(0x10, 0);
	uint64_t t0, next;

	(void)state;
	tt_open(g, 0, false, 0);
	w16(g, R_IMR, I_TIMEOUT);
	assert_int_equal(unet_rtl8139_run_timer(g->nic), 0);
	w32(g, R_TCTR, 0);
	t0 = g->now_ns;
	w32(g, R_TIMERINT, 33000);	/* 1 ms */
	assert_int_equal(unet_rtl8139_run_timer(g->nic), t0 + 1000000);
	g->now_ns += 500000;
	assert_int_equal(r32(g, R_TCTR), 16500);
	assert_int_equal(r16(g, R_ISR) & I_TIMEOUT, 0);
	g->now_ns += 600000;
	assert_int_equal(r16(g, R_ISR) & I_TIMEOUT, I_TIMEOUT);
	assert_true(g->irq);
	w16(g, R_ISR, I_TIMEOUT);
	assert_false(g->irq);
	/* not again until TCTR wraps, 2^32 ticks later */
	next = unet_rtl8139_run_timer(g->nic);
	assert_false(g->irq);
	assert_true(next > t0 + 130000000000ull &&
		    next < t0 + 130200000000ull);
	g->now_ns = next;
	unet_rtl8139_run_timer(g->nic);
	assert_true(g->irq);
	w16(g, R_ISR, I_TIMEOUT);
	/* writing TCTR starts it again from 0 */
	w32(g, R_TCTR, 0);
	g->now_ns += 2000000;
	assert_true(r16(g, R_ISR) & I_TIMEOUT);
	w32(g, R_TIMERINT, 0);
	assert_int_equal(unet_rtl8139_run_timer(g->nic), 0);
	teardown_guest(g);
}

static void test_tally(void **state)
{
	struct guest *g = guest(0x20, 0);
	uint8_t f[100];

	(void)state;
	cp_open(g, cp_cmd, 0);
	make_frame(f, bcast, 100, 0);
	cp_xmit(g, f, 100, 0, 0);
	cp_xmit(g, f, 100, 0, 0);
	make_frame(f, g->mac, 100, 0);
	g_deliver(g, f, 100);
	memset(g->mem + G_TALLY, 0xee, 64);
	w32(g, 0x14, 0);
	w32(g, 0x10, G_TALLY | 8);
	assert_int_equal(r32(g, 0x10) & 8, 0);
	assert_int_equal(g_le32(g, G_TALLY + 0), 2);	/* TxOk */
	assert_int_equal(g_le32(g, G_TALLY + 4), 0);
	assert_int_equal(g_le32(g, G_TALLY + 8), 1);	/* RxOk */
	assert_int_equal(g_le32(g, G_TALLY + 40), 1);	/* RxOkPhy */
	teardown_guest(g);
}

/* Guest-triggered log lines come at a few per second, not one per event. */
static void test_log_rate_limit(void **state)
{
	struct guest *g = guest(0x10, 0);
	int i;

	(void)state;
	tt_open(g, 0, false, 0);
	g->log_lines = 0;
	for (i = 0; i < 1000; i++)
		w32(g, R_TSD0 + 4 * (i % 4), 5000);
	assert_true(g->log_lines <= 5);
	g->now_ns += 2000000000ull;
	w32(g, R_TSD0, 5000);
	assert_true(g->log_lines <= 7);	/* "N suppressed", and the line */
	assert_int_equal(g_stats(g).tx_errors, 1001);
	teardown_guest(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pci_config),
		cmocka_unit_test(test_config_checks),
		cmocka_unit_test(test_eeprom),
		cmocka_unit_test(test_eeprom_do),
		cmocka_unit_test(test_mac_phy_config),
		cmocka_unit_test(test_phy_reset),
		cmocka_unit_test(test_phy_bmcr_writes),
		cmocka_unit_test(test_access_shapes),
		cmocka_unit_test(test_interrupts),
		cmocka_unit_test(test_tx_normal),
		cmocka_unit_test(test_tx_size_limits),
		cmocka_unit_test(test_tx_hub_limit),
		cmocka_unit_test(test_rx_ring_wrap0),
		cmocka_unit_test(test_rx_ring_wrap1),
		cmocka_unit_test(test_rx_ring_64k),
		cmocka_unit_test(test_rx_overflow),
		cmocka_unit_test(test_rx_filter),
		cmocka_unit_test(test_rx_pad_and_long),
		cmocka_unit_test(test_rx_pointer_resets),
		cmocka_unit_test(test_loopback),
		cmocka_unit_test(test_cp_tx_multi),
		cmocka_unit_test(test_cp_rx),
		cmocka_unit_test(test_cp_rdu),
		cmocka_unit_test(test_cp_rx_small_buffer),
		cmocka_unit_test(test_cp_ring_64),
		cmocka_unit_test(test_vlan_insert),
		cmocka_unit_test(test_vlan_strip),
		cmocka_unit_test(test_tx_csum_offload),
		cmocka_unit_test(test_tx_csum_each),
		cmocka_unit_test(test_rx_csum),
		cmocka_unit_test(test_tso),
		cmocka_unit_test(test_tso_small_hub),
		cmocka_unit_test(test_hostile_offload),
		cmocka_unit_test(test_hostile_ring_shapes),
		cmocka_unit_test(test_hostile_rings),
		cmocka_unit_test(test_hostile_dma),
		cmocka_unit_test(test_bus_master_off),
		cmocka_unit_test(test_reentry),
		cmocka_unit_test(test_timer),
		cmocka_unit_test(test_tally),
		cmocka_unit_test(test_log_rate_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
