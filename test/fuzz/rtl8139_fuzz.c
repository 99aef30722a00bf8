/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target of the RTL8139 model. Each input is a small program run
 * against a fresh model on a hub, with 64 KiB of guest memory behind DMA
 * callbacks that refuse everything outside it (and writes to its last 4K,
 * so that descriptor write-backs fail too):
 *
 *   guest memory (64K) <-DMA-> rtl8139 --- hub --- sink (checks, echoes)
 *
 * The first byte picks the revision (C or C+), the hub (MTU 65520 or 576)
 * and whether DMA callbacks poke registers (re-entry) and the sink sends
 * frames back into the hub from inside a delivery (nesting). Then each
 * operation is an opcode and its arguments: a register or PCI config
 * access of any size at any offset, a frame from the hub, bytes written
 * to guest memory (descriptors, headers), the clock moving on, a reset,
 * "driver" setups for normal and C+ mode (C+ rings with or without EOR),
 * and a send with offload bits, IP / TCP header fields and an MSS all from
 * the input, split over any number of descriptors. After every input:
 * frames the model gave the hub were never shorter than a header nor
 * longer than the hub allows (the hub would count them), and the interrupt
 * line matches ISR & IMR.
 * AddressSanitizer catches any access outside the model's own buffers.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <usernet/hub.h>
#include <usernet/rtl8139.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MEM_SIZE	0x10000u
#define RO_START	0xf000u		/* writes refused from here on */
#define RX_RING		0x1000u		/* normal ring */
#define CP_TX_RING	0x3800u		/* a ring of 64, and 64 more after it */
#define CP_TX_DESCS	64u
#define TX_BUFS		0x4000u		/* 4 x 2K normal mode */
#define CP_RX_RING	0x6000u		/* 16 descriptors */
#define CP_RX_BUFS	0x6400u		/* 16 x 896 */
#define CP_RX_BUF	896u
#define TX_DATA		0xa000u		/* up to 20K of frame */
#define TX_DATA_MAX	(RO_START - TX_DATA)

struct fz_hub {
	struct unet_hub *hub;
	struct unet_port sink;
};

static uv_loop_t loop;
static struct fz_hub hubs[2];
static uint8_t mem[MEM_SIZE];
static uint64_t now_ns;
static struct unet_rtl8139 *nic;
static struct fz_hub *cur;
static bool reenter, echo, irq_line;
static unsigned int echo_depth, cp_head;

struct input {
	const uint8_t *p;
	size_t len;
};

static uint32_t take(struct input *in, unsigned int n)
{
	uint32_t v = 0;
	unsigned int i;

	for (i = 0; i < n && in->len > 0; i++, in->p++, in->len--)
		v |= (uint32_t)in->p[0] << (8 * i);
	return v;
}

static void poke(void)
{
	uint8_t f[60];

	/* what a VMM would do if the guest aimed DMA at the NIC itself */
	unet_rtl8139_io_write(nic, 0xd9, 1, 0x40);
	unet_rtl8139_io_write(nic, 0x10, 4, 60);
	unet_rtl8139_io_write(nic, 0x37, 1, 0x10);
	(void)unet_rtl8139_io_read(nic, 0x3e, 2);
	memset(f, 0xff, sizeof(f));
	unet_hub_input(&cur->sink, f, sizeof(f));
}

static int fz_dma_read(void *opaque, uint64_t addr, void *buf, size_t len)
{
	(void)opaque;
	if (len == 0 || addr >= MEM_SIZE || len > MEM_SIZE - addr)
		return -14;
	memcpy(buf, mem + addr, len);
	if (reenter)
		poke();
	return 0;
}

static int fz_dma_write(void *opaque, uint64_t addr, const void *buf,
			size_t len)
{
	(void)opaque;
	if (len == 0 || addr >= RO_START || len > RO_START - addr)
		return -14;
	memcpy(mem + addr, buf, len);
	if (reenter)
		poke();
	return 0;
}

static void fz_irq(void *opaque, bool level)
{
	(void)opaque;
	if (level == irq_line)
		abort();	/* called only on a change */
	irq_line = level;
}

static uint64_t fz_clock(void *opaque)
{
	(void)opaque;
	return now_ns;
}

static int sink_send(struct unet_port *port, const void *frame, size_t len)
{
	struct fz_hub *h = (struct fz_hub *)((char *)port -
					     offsetof(struct fz_hub, sink));

	if (len < 14 || len > unet_hub_frame_max(h->hub))
		abort();
	if (echo && echo_depth == 0) {
		echo_depth++;
		unet_hub_input(port, frame, len);
		echo_depth--;
	}
	return 0;
}

static void sink_close(struct unet_port *port)
{
	unet_hub_detach(port);
}

static const struct unet_port_ops sink_ops = {
	.name = "sink",
	.send = sink_send,
	.close = sink_close,
};

static void fuzz_init(void)
{
	struct unet_hub_config hc;
	int i;

	uv_loop_init(&loop);
	for (i = 0; i < 2; i++) {
		unet_hub_config_init(&hc);
		hc.clock_cb = fz_clock;
		hc.seed = 1;
		hc.mtu = i == 0 ? UNET_MTU_DEFAULT : UNET_MTU_MIN;
		if (unet_hub_new(&loop, &hc, &hubs[i].hub) < 0)
			abort();
		unet_port_init(&hubs[i].sink, &sink_ops, "sink");
		if (unet_hub_attach(hubs[i].hub, &hubs[i].sink) < 0)
			abort();
	}
}

static void w(unsigned int off, unsigned int sz, uint32_t v)
{
	unet_rtl8139_io_write(nic, off, sz, v);
}

static void put32(uint32_t addr, uint32_t v)
{
	if (addr > MEM_SIZE - 4)
		return;
	mem[addr] = (uint8_t)v;
	mem[addr + 1] = (uint8_t)(v >> 8);
	mem[addr + 2] = (uint8_t)(v >> 16);
	mem[addr + 3] = (uint8_t)(v >> 24);
}

static void pci_enable(void)
{
	unet_rtl8139_pci_config_write(nic, 0x10, 4, 0xc000);
	unet_rtl8139_pci_config_write(nic, 0x14, 4, 0xfebf1000);
	unet_rtl8139_pci_config_write(nic, 0x04, 2, 0x0007);
}

/* What 8139too or 8139cp would have set up, with bits from the input. */
static void setup(struct input *in)
{
	uint32_t sel = take(in, 1), rcr = take(in, 4), i;
	bool eor = !(sel & 0x02);	/* else the ring wraps after 64 */

	pci_enable();
	w(0x37, 1, 0x10);
	if (sel & 1) {
		for (i = 0; i < 16; i++) {
			put32(CP_RX_RING + 16 * i,
			      0x80000000u | CP_RX_BUF |
				      (eor && i == 15 ? 0x40000000u : 0));
			put32(CP_RX_RING + 16 * i + 4, 0);
			put32(CP_RX_RING + 16 * i + 8,
			      CP_RX_BUFS + i * CP_RX_BUF);
			put32(CP_RX_RING + 16 * i + 12, 0);
		}
		w(0xe0, 2, 0x0003 | (sel & 0x0070));
		w(0x20, 4, CP_TX_RING);
		w(0x24, 4, 0);
		w(0xe4, 4, CP_RX_RING);
		w(0xe8, 4, 0);
		cp_head = 0;
	} else {
		w(0x30, 4, RX_RING);
		for (i = 0; i < 4; i++)
			w(0x20 + 4 * i, 4, TX_BUFS + i * 0x800);
	}
	w(0x37, 1, 0x0c);
	/* ring length 8K or 16K (64K would lie outside guest memory) */
	w(0x44, 4, (rcr & 0x0f0009bf) | 0x0f);
	w(0x3c, 2, 0xffff);
	if (sel & 0x80)
		w(0x40, 4, 0x00060000);	/* loopback */
}

/*
 * A send: an Ethernet / IPv4 / TCP or UDP frame whose header fields come
 * from the input, split over descriptors, with offload bits and MSS from
 * the input; in normal mode through TSD0..3 instead.
 */
static void send_frame(struct input *in)
{
	uint32_t flags = take(in, 1), ihl = take(in, 1), tot = take(in, 2);
	uint32_t doff = take(in, 1), mss = take(in, 2), plen = take(in, 2);
	uint32_t ndesc = take(in, 1), opts2 = take(in, 4);
	bool eor = !(ndesc & 0x80);	/* else the ring wraps after 64 */
	uint8_t *f = mem + TX_DATA;
	size_t len, hl = flags & 0x04 ? 18 : 14, off = 0, i;

	ndesc = ndesc % 8 + 1;
	plen %= TX_DATA_MAX - 18 - 60 - 60;
	memset(f, 0xff, 12);
	f[6] = 0x02;
	if (flags & 0x04) {
		f[12] = 0x81;
		f[13] = 0x00;
		f[14] = (uint8_t)opts2;
		f[15] = (uint8_t)(opts2 >> 8);
	}
	f[hl - 2] = 0x08;
	f[hl - 1] = (flags & 0x08) ? 0x06 : 0x00;
	f[hl] = (uint8_t)(0x40 | (ihl & 0x0f));
	f[hl + 2] = (uint8_t)(tot >> 8);
	f[hl + 3] = (uint8_t)tot;
	f[hl + 6] = (uint8_t)(flags & 0x20);		/* MF sometimes */
	f[hl + 9] = (flags & 0x10) ? 17 : 6;
	memset(f + hl + 20, 0, 40);
	f[hl + 4 * (ihl & 0x0f) + 12] = (uint8_t)doff;	/* in bounds: <= 60 */
	f[hl + 4 * (ihl & 0x0f) + 13] = (uint8_t)(0x19 | (flags & 0x80));
	len = hl + 4 * (ihl & 0x0f) + 20 + plen;
	for (i = hl + 4 * (ihl & 0x0f) + 20; i < len; i++)
		f[i] = in->len > 0 ? (uint8_t)take(in, 1) : (uint8_t)i;
	if (flags & 0x40) {
		/* normal mode: the descriptor the model is at, or any */
		uint32_t d = take(in, 1) % 4;

		memcpy(mem + TX_BUFS + d * 0x800, f, len > 0x800 ? 0x800 : len);
		w(0x10 + 4 * d, 4, (uint32_t)len & 0x1fff);
		return;
	}
	for (i = 0; i < ndesc; i++) {
		size_t n = i == ndesc - 1 ? len - off : (len - off) / 2;
		uint32_t slot = cp_head % CP_TX_DESCS, dw0;
		uint32_t d = CP_TX_RING + 16 * slot;

		dw0 = 0x80000000u | (uint32_t)(n & 0xffff) |
		      (i == 0 ? 0x20000000u : 0) |
		      (i == ndesc - 1 ? 0x10000000u : 0) |
		      (eor && slot == CP_TX_DESCS - 1 ? 0x40000000u : 0);
		if (flags & 0x01)
			dw0 |= 0x08000000u | (mss & 0x7ff) << 16;
		else
			dw0 |= (flags & 0x02) ? (mss & 0x7) << 16 : 0;
		put32(d, dw0);
		put32(d + 4, opts2 & 0x0002ffff);
		put32(d + 8, TX_DATA + (uint32_t)off);
		put32(d + 12, 0);
		off += n;
		cp_head++;
	}
	w(0xd9, 1, 0x40);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unet_rtl8139_config nc;
	struct input in = { data, size };
	struct unet_port *port;
	uint32_t mode, op, a, b, c;
	int steps;

	if (hubs[0].hub == NULL)
		fuzz_init();
	mode = take(&in, 1);
	cur = &hubs[mode & 1];
	reenter = (mode & 0x02) != 0;
	echo = (mode & 0x04) != 0;
	irq_line = false;
	memset(mem, 0, sizeof(mem));
	unet_rtl8139_config_init(&nc);
	nc.revision = (mode & 0x08) ? 0x10 : 0x20;
	nc.dma_read = fz_dma_read;
	nc.dma_write = fz_dma_write;
	nc.set_irq = fz_irq;
	if (unet_rtl8139_new(cur->hub, "fuzz", &nc, &nic) < 0)
		abort();
	if (mode & 0x10)
		pci_enable();

	for (steps = 0; steps < 4096 && in.len > 0; steps++) {
		op = take(&in, 1);
		switch (op % 10) {
		case 0:	/* register write */
			a = take(&in, 2);
			b = take(&in, 1);
			c = take(&in, 4);
			unet_rtl8139_io_write(nic, a % 264, b % 5, c);
			break;
		case 1:	/* register read */
			a = take(&in, 2);
			b = take(&in, 1);
			(void)unet_rtl8139_io_read(nic, a % 264, b % 5);
			break;
		case 2:	/* PCI configuration */
			a = take(&in, 2);
			b = take(&in, 1);
			c = take(&in, 4);
			if (b & 0x80)
				(void)unet_rtl8139_pci_config_read(nic, a % 264,
								   b % 5);
			else
				unet_rtl8139_pci_config_write(nic, a % 264,
							      b % 5, c);
			break;
		case 3: {	/* a frame from the hub */
			static uint8_t frame[65600];
			size_t len = take(&in, 2), i;

			len %= unet_hub_frame_max(cur->hub) + 1;
			for (i = 0; i < len; i++)
				frame[i] = in.len > 0 ? (uint8_t)take(&in, 1) :
					   (uint8_t)(i * 31);
			if (op & 0x10 && len >= 6)
				memcpy(frame, "\x52\x54\x00\x12\x34\x56", 6);
			unet_hub_input(&cur->sink, frame, len);
			break;
		}
		case 4: {	/* bytes into guest memory */
			size_t i, n;

			a = take(&in, 2) % MEM_SIZE;
			n = take(&in, 1);
			for (i = 0; i < n && a + i < MEM_SIZE; i++)
				mem[a + i] = (uint8_t)take(&in, 1);
			break;
		}
		case 5:	/* time passes */
			now_ns += (uint64_t)take(&in, 3) * 1000;
			(void)unet_rtl8139_run_timer(nic);
			break;
		case 6:
			unet_rtl8139_reset(nic);
			if (op & 0x10)
				pci_enable();
			break;
		case 7:
			setup(&in);
			break;
		case 8:
			send_frame(&in);
			break;
		default:	/* a driver's poll */
			w(0xd9, 1, 0x40);
			w(0x38, 2, take(&in, 2));
			w(0x3e, 2, 0xffff);
			break;
		}
	}
	uv_run(&loop, UV_RUN_NOWAIT);

	/* The hub never had to drop a frame of ours for its length. */
	port = unet_rtl8139_port(nic);
	if (port->stats.drops[UNET_DROP_SHORT] != 0 ||
	    port->stats.drops[UNET_DROP_LONG] != 0)
		abort();
	/* The line follows ISR & IMR (unless INTx is disabled). */
	a = unet_rtl8139_io_read(nic, 0x3c, 4);
	b = unet_rtl8139_pci_config_read(nic, 4, 2);
	if (unet_rtl8139_irq_level(nic) !=
	    (((a & 0xffff) & (a >> 16)) != 0 && !(b & 0x0400)))
		abort();
	if (unet_rtl8139_irq_level(nic) != irq_line)
		abort();
	unet_rtl8139_close(nic);
	nic = NULL;
	return 0;
}
