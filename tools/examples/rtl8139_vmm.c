/* SPDX-License-Identifier: MIT */
/*
 * rtl8139_vmm: how a VMM (or emulator, or sandbox) wires usernet's RTL8139
 * model to its guest, and gives it usernet's gateway as the network.
 *
 *   guest RAM <-- dma_read/dma_write --+
 *   guest I/O port / MMIO exits -------+--> unet_rtl8139 --- hub --- gateway
 *   PCI config cycles -----------------+          |             (10.0.2.2)
 *   interrupt controller <-- set_irq -------------+
 *
 * There is no CPU here: after playing the firmware (placing the BARs,
 * enabling the device), main() plays a tiny guest driver that talks to the
 * NIC only through the VMM's exit handlers below (vm_pio(), vm_mmio()), as
 * guest code would. It sends an ARP request and a ping to the gateway and
 * prints the answers. Run it: it exits 0 when the gateway answered.
 *
 * What a real VMM changes: the RAM is the guest's, dma_* translate guest
 * physical addresses (and check them against the guest's memory map, and
 * an IOMMU if any), set_irq drives the interrupt controller (KVM_IRQ_LINE,
 * an IOAPIC model...), vm_pio / vm_mmio are called from the VMM's exit
 * loop, and the libuv loop the hub runs on is the VMM's (or is driven from
 * its own poll loop with uv_backend_fd() / uv_backend_timeout()). A VMM
 * whose guests use the chip's timer interrupt calls unet_rtl8139_run_timer()
 * at the time it returns.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <uv.h>

#include <usernet/hub.h>
#include <usernet/rtl8139.h>
#include <usernet/stack.h>

#define RAM_SIZE	(2u << 20)
#define NIC_IO_BASE	0xc000u		/* where "firmware" puts BAR0 */
#define NIC_MMIO_BASE	0xfebf1000u	/* and BAR1 */
#define RX_RING		0x100000u	/* guest buffers: 8K ring + pad */
#define TX_BUF		0x104000u

/**
 * struct vm - the parts of a VMM the NIC touches
 * @ram: guest physical memory, from address 0
 * @nic: the NIC, PCI device 00:03.0
 * @irq: the NIC's INTA line as the interrupt controller sees it
 */
struct vm {
	uint8_t ram[RAM_SIZE];
	struct unet_rtl8139 *nic;
	bool irq;
};

static struct vm vm;

/* ---- 1. DMA: the model reads and writes guest memory only through these */

static int vm_dma_read(void *opaque, uint64_t addr, void *buf, size_t len)
{
	struct vm *v = opaque;

	if (addr >= RAM_SIZE || len > RAM_SIZE - addr)
		return -EFAULT;		/* not the guest's: the NIC gets SERR */
	memcpy(buf, v->ram + addr, len);
	return 0;
}

static int vm_dma_write(void *opaque, uint64_t addr, const void *buf,
			size_t len)
{
	struct vm *v = opaque;

	if (addr >= RAM_SIZE || len > RAM_SIZE - addr)
		return -EFAULT;
	memcpy(v->ram + addr, buf, len);
	return 0;
}

/* ---- 2. The interrupt line (level-triggered INTA) ---------------------- */

static void vm_set_irq(void *opaque, bool level)
{
	struct vm *v = opaque;

	v->irq = level;		/* a real VMM: raise / lower the GSI */
}

/* ---- 3. Exits: port I/O, MMIO, PCI configuration ----------------------- */

/* Where BAR @bar points now, and whether the command register decodes it. */
static bool vm_bar(struct vm *v, int bar, uint32_t *base)
{
	uint32_t cmd = unet_rtl8139_pci_config_read(v->nic, 0x04, 2);
	uint32_t val = unet_rtl8139_pci_config_read(v->nic, 0x10 + 4 * bar, 4);

	*base = val & ~0xffu;
	return bar == 0 ? (cmd & 0x1) != 0 : (cmd & 0x2) != 0;
}

/* An IN or OUT the guest made: the NIC's if BAR0 decodes the port. */
static bool vm_pio(struct vm *v, uint16_t port, unsigned int size,
		   uint32_t *val, bool write)
{
	uint32_t base;

	if (!vm_bar(v, 0, &base) || port < base ||
	    port - base >= UNET_RTL8139_REGS_SIZE)
		return false;
	if (write)
		unet_rtl8139_io_write(v->nic, port - base, size, *val);
	else
		*val = unet_rtl8139_io_read(v->nic, port - base, size);
	return true;
}

/* A load or store to device memory: the NIC's if BAR1 decodes it. */
static bool vm_mmio(struct vm *v, uint64_t gpa, unsigned int size,
		    uint32_t *val, bool write)
{
	uint32_t base;

	if (!vm_bar(v, 1, &base) || gpa < base ||
	    gpa - base >= UNET_RTL8139_REGS_SIZE)
		return false;
	if (write)
		unet_rtl8139_io_write(v->nic, gpa - base, size, *val);
	else
		*val = unet_rtl8139_io_read(v->nic, gpa - base, size);
	return true;
}

/* Configuration mechanism #1 (0xcf8/0xcfc) reduced to its device. */
static uint32_t vm_pci_read(struct vm *v, unsigned int dev, uint32_t off,
			    unsigned int size)
{
	if (dev != 3)
		return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
	return unet_rtl8139_pci_config_read(v->nic, off, size);
}

static void vm_pci_write(struct vm *v, unsigned int dev, uint32_t off,
			 unsigned int size, uint32_t val)
{
	if (dev == 3)
		unet_rtl8139_pci_config_write(v->nic, off, size, val);
}

/* ---- The "guest": firmware and a few lines of driver -------------------- */

static void outb(uint16_t port, uint8_t x)
{
	uint32_t v = x;

	vm_pio(&vm, port, 1, &v, true);
}

static void outw(uint16_t port, uint16_t x)
{
	uint32_t v = x;

	vm_pio(&vm, port, 2, &v, true);
}

static void outl(uint16_t port, uint32_t x)
{
	vm_pio(&vm, port, 4, &x, true);
}

static uint8_t inb(uint16_t port)
{
	uint32_t v = 0xff;

	vm_pio(&vm, port, 1, &v, false);
	return (uint8_t)v;
}

static uint16_t inw(uint16_t port)
{
	uint32_t v = 0xffff;

	vm_pio(&vm, port, 2, &v, false);
	return (uint16_t)v;
}

static void writel(uint64_t addr, uint32_t x)
{
	vm_mmio(&vm, addr, 4, &x, true);
}

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t my_ip[4] = { 10, 0, 2, 15 };
static const uint8_t gw_ip[4] = { 10, 0, 2, 2 };
static uint8_t my_mac[6], gw_mac[6];
static uint32_t cur_rx, cur_tx;

static uint16_t csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* Transmit through TSDn; the ping goes through the MMIO BAR. */
static void xmit(const uint8_t *f, size_t len, bool mmio)
{
	unsigned int d = cur_tx++ % 4;

	memcpy(vm.ram + TX_BUF + d * 2048, f, len);
	if (mmio)
		writel(NIC_MMIO_BASE + 0x10 + 4 * d, (uint32_t)len);
	else
		outl(NIC_IO_BASE + 0x10 + 4 * d, (uint32_t)len);
}

/* The next received frame in the ring, or NULL when BUFE says empty. */
static const uint8_t *rx_next(size_t *len)
{
	uint16_t io = NIC_IO_BASE;
	const uint8_t *hdr;

	if (inb(io + 0x37) & 0x01)
		return NULL;
	hdr = vm.ram + RX_RING + cur_rx;
	*len = (size_t)(hdr[2] | hdr[3] << 8) - 4;	/* minus the CRC */
	cur_rx = (cur_rx + (uint32_t)*len + 4 + 4 + 3) & ~3u;
	outw(io + 0x38, (uint16_t)(cur_rx - 16));	/* CAPR: read - 16 */
	return hdr + 4;
}

/* The interrupt handler's first half: acknowledge what the line says. */
static bool irq_pending(void)
{
	uint16_t io = NIC_IO_BASE;

	if (!vm.irq)
		return false;
	outw(io + 0x3e, inw(io + 0x3e));	/* write 1 to clear */
	return true;
}

int main(void)
{
	struct unet_rtl8139_config nc;
	struct unet_stack *stack;
	struct unet_hub *hub;
	const uint8_t *r;
	uv_loop_t loop;
	uint8_t f[128];
	size_t len;
	int i, ok = 0;
	uint16_t io = NIC_IO_BASE;

	/* The VMM: a loop, a hub, the gateway, and the NIC on the hub. */
	uv_loop_init(&loop);
	if (unet_hub_new(&loop, NULL, &hub) < 0 ||
	    unet_stack_new(hub, "user", NULL, &stack) < 0)
		return 1;
	unet_rtl8139_config_init(&nc);		/* 52:54:00:12:34:56, C+ */
	nc.revision = UNET_RTL8139_REV_C;	/* as if -device rtl8139 */
	nc.dma_read = vm_dma_read;
	nc.dma_write = vm_dma_write;
	nc.set_irq = vm_set_irq;
	nc.opaque = &vm;
	if (unet_rtl8139_new(hub, "nic0", &nc, &vm.nic) < 0)
		return 1;

	/* Firmware: find 10ec:8139 at 00:03.0, place its BARs, enable it. */
	if (vm_pci_read(&vm, 3, 0, 4) != 0x813910ec)
		return 1;
	vm_pci_write(&vm, 3, 0x10, 4, NIC_IO_BASE);
	vm_pci_write(&vm, 3, 0x14, 4, NIC_MMIO_BASE);
	vm_pci_write(&vm, 3, 0x3c, 1, 11);
	vm_pci_write(&vm, 3, 0x04, 2, 0x0007);	/* I/O, memory, bus master */

	/* Driver: reset, MAC, receive ring, enable, accept, interrupts. */
	outb(io + 0x37, 0x10);
	for (i = 0; i < 6; i++)
		my_mac[i] = inb(io + i);
	outl(io + 0x30, RX_RING);
	outb(io + 0x37, 0x0c);
	outl(io + 0x44, 0x0000000a);		/* 8K ring, broadcast, ours */
	outw(io + 0x3c, 0x0005);		/* ROK, TOK */
	for (i = 0; i < 4; i++)
		outl(io + 0x20 + 4 * i, TX_BUF + i * 2048);

	/* ARP: who has 10.0.2.2? */
	memset(f, 0, sizeof(f));
	memcpy(f, bcast, 6);
	memcpy(f + 6, my_mac, 6);
	memcpy(f + 12, "\x08\x06\x00\x01\x08\x00\x06\x04\x00\x01", 10);
	memcpy(f + 22, my_mac, 6);
	memcpy(f + 28, my_ip, 4);
	memcpy(f + 38, gw_ip, 4);
	xmit(f, 60, false);
	uv_run(&loop, UV_RUN_NOWAIT);
	if (irq_pending()) {
		while ((r = rx_next(&len)) != NULL) {
			if (len < 42 || r[12] != 0x08 || r[13] != 0x06 ||
			    r[21] != 2)
				continue;
			memcpy(gw_mac, r + 22, 6);
			printf("ARP: 10.0.2.2 is at "
			       "%02x:%02x:%02x:%02x:%02x:%02x\n", gw_mac[0],
			       gw_mac[1], gw_mac[2], gw_mac[3], gw_mac[4],
			       gw_mac[5]);
			ok++;
		}
	}

	/* Ping it, through the MMIO BAR this time. */
	memset(f, 0, sizeof(f));
	memcpy(f, gw_mac, 6);
	memcpy(f + 6, my_mac, 6);
	memcpy(f + 12, "\x08\x00\x45\x00\x00\x54", 6);	/* IPv4, 84 bytes */
	f[22] = 64;
	f[23] = 1;
	memcpy(f + 26, my_ip, 4);
	memcpy(f + 30, gw_ip, 4);
	f[24] = (uint8_t)(csum(f + 14, 20) >> 8);
	f[25] = (uint8_t)csum(f + 14, 20);
	f[34] = 8;					/* echo request */
	f[39] = 1;					/* sequence 1 */
	memcpy(f + 42, "usernet rtl8139 example", 23);
	f[36] = (uint8_t)(csum(f + 34, 64) >> 8);
	f[37] = (uint8_t)csum(f + 34, 64);
	xmit(f, 98, true);
	uv_run(&loop, UV_RUN_NOWAIT);
	if (irq_pending()) {
		while ((r = rx_next(&len)) != NULL) {
			if (len < 98 || r[23] != 1 || r[34] != 0 ||
			    memcmp(r + 26, gw_ip, 4) != 0)
				continue;
			printf("ping: reply from 10.0.2.2, %zu bytes: "
			       "\"%.23s\"\n", len - 34 - 8,
			       (const char *)r + 42);
			ok++;
		}
	}

	unet_hub_close(hub);	/* closes the NIC and the gateway */
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return ok == 2 ? 0 : 1;
}
