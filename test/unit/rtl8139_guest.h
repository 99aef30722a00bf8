/* SPDX-License-Identifier: MIT */
/*
 * A test guest for the RTL8139 model, shared by rtl8139_test.c and
 * rtl8139_drivers_test.c.
 *
 *   guest memory (a plain 1 MiB buffer) <-DMA callbacks-> rtl8139 --- hub
 *                                                                    |
 *                                        capture port (what the guest sent)
 *
 * The DMA callbacks refuse, and count, every access outside the buffer
 * (and writes into an optional read-only window): a test that ends with
 * refusals it did not ask for has caught the model reaching outside guest
 * memory. On top sit register helpers and the register sequences of the
 * two Linux drivers for the chip, written from what those drivers do:
 * 8139too (normal mode: EEPROM bit-bang, RCR/TCR/IMR, RBSTART, TSD/TSAD,
 * the receive ring and CAPR's -16) and 8139cp (C+ mode: descriptor rings,
 * TPPoll, offload bits). Everything here is static inline, so a test file
 * that leaves a helper unused does not warn.
 */
#ifndef USERNET_TEST_RTL8139_GUEST_H
#define USERNET_TEST_RTL8139_GUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <usernet/hub.h>
#include <usernet/rtl8139.h>

/* Guest memory and where the test drivers put things in it. */
#define G_MEM_SIZE	(1u << 20)
#define G_RXRING	0x10000u	/* normal ring: up to 64K + 16 + 2K */
#define G_TXBUF		0x22000u	/* 4 x 2K normal mode TX buffers */
#define G_CP_RXRING	0x24000u	/* C+ RX ring, 64 descriptors */
#define G_CP_TXRING	0x25000u	/* C+ TX ring (64), and room after */
#define G_CP_RXBUF	0x30000u	/* 64 x 2K C+ RX buffers */
#define G_CP_TXBUF	0x50000u	/* 64 x 2K C+ TX buffers */
#define G_BIG		0x70000u	/* 128K for large sends */
#define G_TALLY		0x90000u	/* tally counter dump */
#define G_BUF_SIZE	2048u
#define CP_RING		64u
#define CP_RX_BUF_SZ	1536u

/* Registers, as the drivers name them. */
#define R_IDR0		0x00
#define R_MAR0		0x08
#define R_TSD0		0x10
#define R_TSAD0		0x20
#define R_RBSTART	0x30
#define R_CR		0x37
#define R_CAPR		0x38
#define R_CBR		0x3a
#define R_IMR		0x3c
#define R_ISR		0x3e
#define R_TCR		0x40
#define R_RCR		0x44
#define R_TCTR		0x48
#define R_MPC		0x4c
#define R_9346CR	0x50
#define R_CONFIG1	0x52
#define R_TIMERINT	0x54
#define R_MSR		0x58
#define R_CONFIG3	0x59
#define R_CONFIG5	0xd8
#define R_MULINT	0x5c
#define R_TSAD		0x60
#define R_BMCR		0x62
#define R_BMSR		0x64
#define R_ANAR		0x66
#define R_ANLPAR	0x68
#define R_TPPOLL	0xd9
#define R_CPCR		0xe0
#define R_RDSAR		0xe4
#define R_ETTHR		0xec

#define CR_RST		0x10
#define CR_RE		0x08
#define CR_TE		0x04
#define CR_BUFE		0x01

#define I_ROK		0x0001
#define I_RER		0x0002
#define I_TOK		0x0004
#define I_TER		0x0008
#define I_RXOVW		0x0010
#define I_LINK		0x0020
#define I_FOVW		0x0040
#define I_TDU		0x0080
#define I_SWINT		0x0100
#define I_TIMEOUT	0x4000
#define I_SERR		0x8000
#define I_RX_ACK	(I_FOVW | I_RXOVW | I_ROK)

#define RCR_AAP		0x01
#define RCR_APM		0x02
#define RCR_AM		0x04
#define RCR_AB		0x08
#define RCR_WRAP	0x80

#define TSD_OWN		0x2000
#define TSD_TOK		0x8000
#define TSD_TABT	0x40000000u

#define D_OWN		0x80000000u
#define D_EOR		0x40000000u
#define D_FS		0x20000000u
#define D_LS		0x10000000u
#define D_LGSEN		0x08000000u
#define D_IPCS		0x00040000u
#define D_UDPCS		0x00020000u
#define D_TCPCS		0x00010000u
#define D_TES		0x00800000u
#define D_RES		0x00100000u
#define D_BAR		0x01000000u
#define D_PAM		0x02000000u
#define D_MAR		0x04000000u
#define D_IPF		0x00008000u
#define D_UDPF		0x00004000u
#define D_TCPF		0x00002000u
#define D1_TAGC		0x00020000u
#define D1_TAVA		0x00010000u

#define CPCR_TX		0x0001
#define CPCR_RX		0x0002
#define CPCR_MULRW	0x0008
#define CPCR_RXCSUM	0x0020
#define CPCR_RXVLAN	0x0040

#define CAP_MAX		256

/* What the guest put on the hub. */
struct capture {
	struct unet_port port;
	unsigned int frames;
	size_t len[CAP_MAX];
	uint8_t *data[CAP_MAX];
	size_t longest;
};

struct guest {
	uv_loop_t loop;
	struct unet_hub *hub;
	struct unet_rtl8139 *nic;
	struct capture cap;
	uint8_t *mem;
	uint64_t now_ns;
	/* writes into [ro_start, ro_end) are refused too */
	uint64_t ro_start;
	uint64_t ro_end;
	unsigned int dma_reads;
	unsigned int dma_writes;
	unsigned int refused;
	bool irq;
	unsigned int irq_raises;
	/* called from inside the DMA write callback, when set */
	void (*on_dma)(struct guest *g);
	unsigned int log_lines;
	uint8_t mac[6];
	/* 8139too state */
	uint32_t rx_len;
	uint32_t cur_rx;
	uint32_t cur_tx;
	uint32_t dirty_tx;
	bool rx_bad;
	/* 8139cp state */
	unsigned int cp_rx_tail;
	unsigned int cp_tx_head;
	unsigned int cp_tx_tail;
	unsigned int cp_tx_errors;
};

static inline int g_cap_send(struct unet_port *port, const void *frame,
			     size_t len)
{
	struct capture *c = (struct capture *)port;

	if (len > c->longest)
		c->longest = len;
	if (c->frames < CAP_MAX) {
		c->data[c->frames] = malloc(len);
		if (c->data[c->frames] != NULL)
			memcpy(c->data[c->frames], frame, len);
		c->len[c->frames] = len;
	}
	c->frames++;
	return 0;
}

static inline void g_cap_clear(struct capture *c)
{
	unsigned int i;

	for (i = 0; i < c->frames && i < CAP_MAX; i++)
		free(c->data[i]);
	c->frames = 0;
	c->longest = 0;
}

static inline void g_cap_close(struct unet_port *port)
{
	g_cap_clear((struct capture *)port);
	unet_hub_detach(port);
}

static const struct unet_port_ops g_cap_ops = {
	.name = "capture",
	.send = g_cap_send,
	.close = g_cap_close,
};

static inline bool g_bad_range(struct guest *g, uint64_t addr, size_t len)
{
	return addr >= G_MEM_SIZE || len > G_MEM_SIZE - addr;
}

static inline int g_dma_read(void *opaque, uint64_t addr, void *buf,
			     size_t len)
{
	struct guest *g = opaque;

	g->dma_reads++;
	if (len == 0 || g_bad_range(g, addr, len)) {
		g->refused++;
		return -14; /* -EFAULT */
	}
	memcpy(buf, g->mem + addr, len);
	return 0;
}

static inline int g_dma_write(void *opaque, uint64_t addr, const void *buf,
			      size_t len)
{
	struct guest *g = opaque;

	g->dma_writes++;
	if (len == 0 || g_bad_range(g, addr, len) ||
	    (addr < g->ro_end && addr + len > g->ro_start)) {
		g->refused++;
		return -14;
	}
	memcpy(g->mem + addr, buf, len);
	if (g->on_dma != NULL)
		g->on_dma(g);
	return 0;
}

static inline void g_set_irq(void *opaque, bool level)
{
	struct guest *g = opaque;

	if (level && !g->irq)
		g->irq_raises++;
	g->irq = level;
}

static inline uint64_t g_clock(void *opaque)
{
	return ((struct guest *)opaque)->now_ns;
}

static inline void g_log(void *opaque, enum unet_log_level level,
			 const char *msg)
{
	(void)level;
	(void)msg;
	((struct guest *)opaque)->log_lines++;
}

/* Register access, as the driver's RTL_R8 / RTL_W32 ... */
static inline uint8_t r8(struct guest *g, unsigned int off)
{
	return (uint8_t)unet_rtl8139_io_read(g->nic, off, 1);
}

static inline uint16_t r16(struct guest *g, unsigned int off)
{
	return (uint16_t)unet_rtl8139_io_read(g->nic, off, 2);
}

static inline uint32_t r32(struct guest *g, unsigned int off)
{
	return unet_rtl8139_io_read(g->nic, off, 4);
}

static inline void w8(struct guest *g, unsigned int off, uint8_t v)
{
	unet_rtl8139_io_write(g->nic, off, 1, v);
}

static inline void w16(struct guest *g, unsigned int off, uint16_t v)
{
	unet_rtl8139_io_write(g->nic, off, 2, v);
}

static inline void w32(struct guest *g, unsigned int off, uint32_t v)
{
	unet_rtl8139_io_write(g->nic, off, 4, v);
}

static inline uint32_t g_le32(const struct guest *g, uint64_t addr)
{
	const uint8_t *p = g->mem + addr;

	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static inline void g_put_le32(struct guest *g, uint64_t addr, uint32_t v)
{
	uint8_t *p = g->mem + addr;

	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/*
 * A guest on a hub with a capture port. @mtu 0 keeps the hub's default.
 * Returns NULL when something failed (the caller asserts).
 */
static inline struct guest *g_new(uint8_t revision, unsigned int mtu)
{
	struct unet_rtl8139_config nc;
	struct unet_hub_config hc;
	struct guest *g = calloc(1, sizeof(*g));

	if (g == NULL)
		return NULL;
	g->mem = calloc(1, G_MEM_SIZE);
	if (g->mem == NULL || uv_loop_init(&g->loop) != 0)
		return NULL;
	g->now_ns = 1000000000ull;
	unet_hub_config_init(&hc);
	hc.clock_cb = g_clock;
	hc.clock_opaque = g;
	hc.log_cb = g_log;
	hc.log_opaque = g;
	hc.log_level = UNET_LOG_DEBUG;
	hc.seed = 6;
	if (mtu != 0)
		hc.mtu = mtu;
	if (unet_hub_new(&g->loop, &hc, &g->hub) != 0)
		return NULL;
	unet_port_init(&g->cap.port, &g_cap_ops, "cap");
	if (unet_hub_attach(g->hub, &g->cap.port) != 0)
		return NULL;
	unet_rtl8139_config_init(&nc);
	nc.revision = revision;
	nc.dma_read = g_dma_read;
	nc.dma_write = g_dma_write;
	nc.set_irq = g_set_irq;
	nc.opaque = g;
	memcpy(g->mac, nc.mac, 6);
	if (unet_rtl8139_new(g->hub, "nic", &nc, &g->nic) != 0)
		return NULL;
	return g;
}

static inline void g_free(struct guest *g)
{
	unet_hub_close(g->hub);	/* closes the NIC and the capture port */
	uv_run(&g->loop, UV_RUN_DEFAULT);
	uv_loop_close(&g->loop);
	free(g->mem);
	free(g);
}

/* What firmware does: place the BARs, enable I/O, memory, bus mastering. */
static inline void g_pci_enable(struct guest *g)
{
	unet_rtl8139_pci_config_write(g->nic, 0x10, 4, 0xc000);
	unet_rtl8139_pci_config_write(g->nic, 0x14, 4, 0xfebf1000);
	unet_rtl8139_pci_config_write(g->nic, 0x04, 2, 0x0007);
}

static inline struct unet_rtl8139_stats g_stats(struct guest *g)
{
	struct unet_rtl8139_stats s = { .size = sizeof(s) };

	assert_int_equal(unet_rtl8139_stats(g->nic, &s), 0);
	return s;
}

/* Delivers @frame to the NIC as if another port on the hub sent it. */
static inline void g_deliver(struct guest *g, const void *frame, size_t len)
{
	unet_hub_input(&g->cap.port, frame, len);
}

/* ---- 8139too -------------------------------------------------------- */

/* Linux 8139too's read_eeprom(), bit for bit. */
static inline uint16_t g_read_eeprom(struct guest *g, int location,
				     int addr_len)
{
	const uint8_t ee_enb = 0x80 | 0x08, ee_cs = 0x08, ee_sk = 0x04;
	unsigned int retval = 0;
	int read_cmd = location | (6 << addr_len);
	int i;

	w8(g, R_9346CR, ee_enb & ~ee_cs);
	w8(g, R_9346CR, ee_enb);
	(void)r8(g, R_9346CR);
	for (i = 4 + addr_len; i >= 0; i--) {
		uint8_t dataval = (read_cmd & (1 << i)) ? 0x02 : 0;

		w8(g, R_9346CR, ee_enb | dataval);
		(void)r8(g, R_9346CR);
		w8(g, R_9346CR, ee_enb | dataval | ee_sk);
		(void)r8(g, R_9346CR);
	}
	w8(g, R_9346CR, ee_enb);
	(void)r8(g, R_9346CR);
	for (i = 16; i > 0; i--) {
		w8(g, R_9346CR, ee_enb | ee_sk);
		(void)r8(g, R_9346CR);
		retval = (retval << 1) | ((r8(g, R_9346CR) & 0x01) ? 1 : 0);
		w8(g, R_9346CR, ee_enb);
		(void)r8(g, R_9346CR);
	}
	w8(g, R_9346CR, 0);
	(void)r8(g, R_9346CR);
	return (uint16_t)retval;
}

/* The MAC as both drivers read it at probe time. */
static inline void g_probe_mac(struct guest *g, uint8_t mac[6])
{
	int addr_len = g_read_eeprom(g, 0, 8) == 0x8129 ? 8 : 6;
	int i;

	for (i = 0; i < 3; i++) {
		uint16_t w = g_read_eeprom(g, i + 7, addr_len);

		mac[2 * i] = (uint8_t)w;
		mac[2 * i + 1] = (uint8_t)(w >> 8);
	}
}

static inline bool g_chip_reset(struct guest *g)
{
	int i;

	w8(g, R_CR, CR_RST);
	for (i = 1000; i > 0; i--)
		if (!(r8(g, R_CR) & CR_RST))
			return true;
	return false;
}

static inline void g_write_mac(struct guest *g, const uint8_t *m)
{
	w32(g, R_IDR0, (uint32_t)m[0] | (uint32_t)m[1] << 8 |
		       (uint32_t)m[2] << 16 | (uint32_t)m[3] << 24);
	w32(g, R_IDR0 + 4, (uint32_t)m[4] | (uint32_t)m[5] << 8);
}

/*
 * rtl8139_hw_start(): ring of 8K << @idx bytes, WRAP as @nowrap (Linux's
 * RxNoWrap), accepting broadcast, our MAC and @rx_extra.
 */
static inline void tt_open(struct guest *g, unsigned int idx, bool nowrap,
			   uint32_t rx_extra)
{
	unsigned int i;

	g_chip_reset(g);
	w8(g, R_9346CR, 0xc0);
	g_write_mac(g, g->mac);
	w32(g, R_RBSTART, G_RXRING);
	w8(g, R_CR, CR_RE | CR_TE);
	w32(g, R_RCR, (idx << 11) | (nowrap ? RCR_WRAP : 0) | (7u << 13) |
			      (7u << 8) | RCR_AB | RCR_APM | rx_extra);
	w32(g, R_TCR, (3u << 24) | (6u << 8));
	w8(g, R_CONFIG3, r8(g, R_CONFIG3) & ~0x20);
	w8(g, R_9346CR, 0);
	for (i = 0; i < 4; i++)
		w32(g, R_TSAD0 + 4 * i, G_TXBUF + i * G_BUF_SIZE);
	w32(g, R_MPC, 0);
	w16(g, R_MULINT, r16(g, R_MULINT) & 0xf000);
	w16(g, R_IMR, 0xc000 | 0x0070 | I_TER | I_TOK | I_RER | I_ROK);
	g->rx_len = 8192u << idx;
	g->cur_rx = 0;
	g->cur_tx = g->dirty_tx = 0;
	g->rx_bad = false;
}

/* rtl8139_start_xmit(): pads to 60 bytes as the driver does. */
static inline bool tt_xmit(struct guest *g, const void *frame, size_t len)
{
	unsigned int entry = g->cur_tx % 4;
	uint32_t buf = G_TXBUF + entry * G_BUF_SIZE;

	if (g->cur_tx - g->dirty_tx >= 4 || len > 1792)
		return false;
	if (len < 60)
		memset(g->mem + buf, 0, 60);
	memcpy(g->mem + buf, frame, len);
	w32(g, R_TSD0 + 4 * entry,
	    0x00080000u | (uint32_t)(len < 60 ? 60 : len));
	g->cur_tx++;
	return true;
}

/* rtl8139_tx_interrupt() */
static inline void tt_tx_reap(struct guest *g)
{
	while (g->cur_tx != g->dirty_tx) {
		uint32_t st = r32(g, R_TSD0 + 4 * (g->dirty_tx % 4));

		if (!(st & (TSD_TOK | 0x4000 | TSD_TABT)))
			break;
		g->dirty_tx++;
	}
}

typedef void (*g_rx_fn)(struct guest *g, const uint8_t *frame, size_t len,
			uint32_t status);

/*
 * rtl8139_rx(): reads frames while BUFE is clear, copying out of the ring
 * (wrapping as RX_BUF_IDX 3 does when the ring wraps), and writes CAPR as
 * the next read pointer - 16. Returns the frames read; a header the driver
 * would reset its receiver for sets @g->rx_bad and stops.
 */
static inline int tt_rx(struct guest *g, g_rx_fn fn, int budget)
{
	static uint8_t frame[2048];
	int received = 0;

	while (received < budget && !(r8(g, R_CR) & CR_BUFE)) {
		uint32_t off = g->cur_rx % g->rx_len;
		uint32_t st = g_le32(g, G_RXRING + off);
		uint32_t size = st >> 16, pkt = size - 4, i;

		if (size > 1792 + 4 || size < 8 || !(st & 1)) {
			g->rx_bad = true;
			break;
		}
		for (i = 0; i < pkt; i++) {
			uint32_t o = off + 4 + i;

			/* WRAP=1 rings are read straight on past the end */
			if (!(r32(g, R_RCR) & RCR_WRAP) || g->rx_len == 65536)
				o %= g->rx_len;
			frame[i] = g->mem[G_RXRING + o];
		}
		if (fn != NULL)
			fn(g, frame, pkt, st & 0xffff);
		received++;
		g->cur_rx = (g->cur_rx + size + 4 + 3) & ~3u;
		w16(g, R_CAPR, (uint16_t)(g->cur_rx - 16));
		if (r16(g, R_ISR) & I_RX_ACK)
			w16(g, R_ISR, I_RX_ACK);
	}
	return received;
}

/* rtl8139_interrupt() and its poll, until the line drops (bounded). */
static inline int tt_interrupt(struct guest *g, g_rx_fn fn)
{
	int rounds, got = 0;

	for (rounds = 0; rounds < 64 && g->irq; rounds++) {
		uint16_t st = r16(g, R_ISR), ack = st & ~(I_RX_ACK | I_TER);

		if (ack)
			w16(g, R_ISR, ack);
		if (st & I_RX_ACK)
			got += tt_rx(g, fn, 64);
		if (st & (I_TOK | I_TER)) {
			tt_tx_reap(g);
			if (st & I_TER)
				w16(g, R_ISR, I_TER);
		}
		if (g->rx_bad)
			break;
	}
	return got;
}

/* ---- 8139cp --------------------------------------------------------- */

static inline uint64_t cp_rxd(unsigned int i)
{
	return G_CP_RXRING + 16u * i;
}

static inline uint64_t cp_txd(unsigned int i)
{
	return G_CP_TXRING + 16u * i;
}

static inline void cp_desc(struct guest *g, uint64_t d, uint32_t dw0,
			   uint32_t dw1, uint64_t buf)
{
	g_put_le32(g, d + 4, dw1);
	g_put_le32(g, d + 8, (uint32_t)buf);
	g_put_le32(g, d + 12, (uint32_t)(buf >> 32));
	g_put_le32(g, d, dw0);
}

/* cp_init_rings() plus cp_init_hw(): a C+ NIC ready to go. */
static inline void cp_open(struct guest *g, uint16_t cpcmd, uint32_t rx_extra)
{
	unsigned int i;

	memset(g->mem + G_CP_RXRING, 0, 16 * CP_RING);
	memset(g->mem + G_CP_TXRING, 0, 16 * CP_RING);
	for (i = 0; i < CP_RING; i++)
		cp_desc(g, cp_rxd(i),
			D_OWN | (i == CP_RING - 1 ? D_EOR : 0) | CP_RX_BUF_SZ,
			0, G_CP_RXBUF + i * G_BUF_SIZE);
	g_put_le32(g, cp_txd(CP_RING - 1), D_EOR);
	g->cp_rx_tail = g->cp_tx_head = g->cp_tx_tail = 0;
	g->cp_tx_errors = 0;

	g_chip_reset(g);
	w8(g, R_9346CR, 0xc0);
	g_write_mac(g, g->mac);
	w16(g, R_CPCR, cpcmd);
	w32(g, 0x28, 0);
	w32(g, 0x2c, 0);
	w32(g, R_RDSAR, G_CP_RXRING);
	w32(g, R_RDSAR + 4, 0);
	w32(g, R_TSAD0, G_CP_TXRING);
	w32(g, R_TSAD0 + 4, 0);
	w8(g, R_CR, CR_RE | CR_TE);
	w8(g, R_ETTHR, 0x06);
	w32(g, R_RCR, (7u << 13) | (7u << 8) | RCR_AB | RCR_APM | rx_extra);
	w32(g, R_TCR, (3u << 24) | (6u << 8));
	w8(g, R_CONFIG1, r8(g, R_CONFIG1) | 0x20 | 0x01);
	w8(g, R_CONFIG3, 0x40);
	w8(g, R_CONFIG5, r8(g, R_CONFIG5) & 0x01);
	w16(g, R_MULINT, 0);
	w8(g, R_9346CR, 0);
	w16(g, R_IMR, 0x8000 | I_LINK | I_ROK | I_RER | I_RXOVW | I_FOVW |
			      I_TOK | I_TER | I_TDU);
}

/*
 * cp_start_xmit(): one frame in @n pieces (lengths @lens, laid out one
 * after the other at G_CP_TXBUF + 2K * descriptor), offload bits @opts1
 * and @opts2 on every descriptor, the first descriptor's OWN written last,
 * then TPPoll.
 */
static inline void cp_xmit_frags(struct guest *g, const uint8_t *frame,
				 const size_t *lens, unsigned int n,
				 uint32_t opts1, uint32_t opts2)
{
	unsigned int i, first = g->cp_tx_head;
	size_t off = 0;

	for (i = 0; i < n; i++) {
		unsigned int e = g->cp_tx_head;
		uint64_t buf = G_CP_TXBUF + (uint64_t)e * G_BUF_SIZE;
		uint32_t dw0 = opts1 | (uint32_t)lens[i] |
			       (e == CP_RING - 1 ? D_EOR : 0) |
			       (i == 0 ? D_FS : 0) | (i == n - 1 ? D_LS : 0);

		memcpy(g->mem + buf, frame + off, lens[i]);
		off += lens[i];
		cp_desc(g, cp_txd(e), i == 0 ? dw0 : dw0 | D_OWN, opts2, buf);
		g->cp_tx_head = (e + 1) % CP_RING;
	}
	g_put_le32(g, cp_txd(first), g_le32(g, cp_txd(first)) | D_OWN);
	w8(g, R_TPPOLL, 0x40);
}

static inline void cp_xmit(struct guest *g, const uint8_t *frame, size_t len,
			   uint32_t opts1, uint32_t opts2)
{
	cp_xmit_frags(g, frame, &len, 1, opts1, opts2);
}

/* cp_tx(): reclaims descriptors the device gave back. */
static inline void cp_tx_reap(struct guest *g)
{
	while (g->cp_tx_tail != g->cp_tx_head) {
		uint32_t st = g_le32(g, cp_txd(g->cp_tx_tail));

		if (st & D_OWN)
			break;
		if ((st & D_LS) && (st & D_TES))
			g->cp_tx_errors++;
		g->cp_tx_tail = (g->cp_tx_tail + 1) % CP_RING;
	}
}

/* cp_rx_poll(): frames the device filled, each descriptor given back. */
static inline int cp_rx(struct guest *g, g_rx_fn fn, int budget)
{
	int got = 0;

	while (got < budget) {
		unsigned int t = g->cp_rx_tail;
		uint32_t st = g_le32(g, cp_rxd(t));
		uint64_t buf = G_CP_RXBUF + (uint64_t)t * G_BUF_SIZE;

		if (st & D_OWN)
			break;
		if ((st & (D_FS | D_LS)) == (D_FS | D_LS) && !(st & D_RES) &&
		    fn != NULL)
			fn(g, g->mem + buf, (st & 0x1fff) - 4, st);
		got++;
		cp_desc(g, cp_rxd(t),
			D_OWN | (t == CP_RING - 1 ? D_EOR : 0) | CP_RX_BUF_SZ,
			0, buf);
		g->cp_rx_tail = (t + 1) % CP_RING;
	}
	w16(g, R_ISR, I_ROK | I_RER | I_RXOVW | I_FOVW);
	return got;
}

/* cp_interrupt() until the line drops (bounded). */
static inline int cp_interrupt(struct guest *g, g_rx_fn fn)
{
	int rounds, got = 0;

	for (rounds = 0; rounds < 64 && g->irq; rounds++) {
		uint16_t st = r16(g, R_ISR);

		w16(g, R_ISR, st & ~(I_ROK | I_RER | I_RXOVW | I_FOVW));
		if (st & (I_ROK | I_RER | I_RXOVW | I_FOVW))
			got += cp_rx(g, fn, 64);
		if (st & (I_TOK | I_TER | I_TDU | I_SWINT))
			cp_tx_reap(g);
	}
	return got;
}

/* ---- Frames --------------------------------------------------------- */

static inline uint16_t g_csum(const uint8_t *p, size_t len, uint32_t sum)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The sum of a TCP/UDP pseudo-header, to feed g_csum(). */
static inline uint32_t g_pseudo(const uint8_t *iph, uint8_t proto,
				size_t len)
{
	uint32_t sum = 0;
	int i;

	for (i = 12; i < 20; i += 2)
		sum += (uint32_t)(iph[i] << 8 | iph[i + 1]);
	return sum + proto + (uint32_t)len;
}

static inline void g_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline uint16_t g_get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t g_get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

/* Ethernet + IPv4 headers (checksum filled in unless @nocsum). */
static inline void g_ipv4(uint8_t *f, const uint8_t *dst, const uint8_t *src,
			  uint32_t saddr, uint32_t daddr, uint8_t proto,
			  size_t iplen, uint16_t id, bool nocsum)
{
	uint8_t *ip = f + 14;

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	memset(ip, 0, 20);
	ip[0] = 0x45;
	g_be16(ip + 2, (uint16_t)iplen);
	g_be16(ip + 4, id);
	ip[6] = 0x40;	/* DF */
	ip[8] = 64;
	ip[9] = proto;
	memcpy(ip + 12, &saddr, 4);
	memcpy(ip + 16, &daddr, 4);
	if (!nocsum)
		g_be16(ip + 10, g_csum(ip, 20, 0));
}

#endif /* USERNET_TEST_RTL8139_GUEST_H */
