/* SPDX-License-Identifier: MIT */
/*
 * The RTL8139C / RTL8139C+ device model.
 *
 * Theory of operation
 * -------------------
 * The model is a port on a hub plus the state of one chip: the PCI
 * configuration space, the 256-byte register window, the 93C46 EEPROM and
 * the transmit/receive engines. Nothing runs on its own: every change comes
 * from a call of the embedder (a register or configuration access, a reset,
 * the timer) or from the hub delivering a frame (the port's send op, which
 * is the receive path). The embedder gives three callbacks: read and write
 * guest memory, and set the interrupt line.
 *
 * Guest memory. All of it, descriptors and buffers alike, goes through one
 * accessor, rtl8139_dma(). It refuses everything while the guest has not
 * enabled bus mastering, and otherwise calls the embedder, who refuses what
 * the guest does not own; a refusal raises ISR.SERR (and the PCI status
 * "received master abort") and the operation that needed it is abandoned
 * without using any of the bytes. Descriptors are read once into local
 * copies and never re-read, so a guest changing them meanwhile changes
 * nothing. Register writes that arrive from inside a DMA callback (an
 * embedder whose guest aimed DMA at the device's own BAR) are refused,
 * which is what stops the recursion QEMU's model once had.
 *
 * Registers. An access of 1, 2 or 4 bytes at any offset is cut into the
 * registers it overlaps; each register sees the bytes written to it and a
 * mask of which (so a byte write to ISR clears only that byte's bits).
 *
 * Normal (C) mode receive: a ring of 8K << RCR.RBLEN bytes at RBSTART. A
 * frame is written at CBR as a 4-byte header (status, length including the
 * CRC), the frame padded to 60 bytes, and its CRC-32; CBR then moves on to
 * the next multiple of 4. With RCR.WRAP=0 (or a 64K ring) the bytes that do
 * not fit wrap to the ring's start; with WRAP=1 they go on past its end,
 * into the pad the driver allocates (1.5K): so frames longer than 1518
 * bytes are dropped (rx_too_long). The read pointer is CAPR + 16 (the Linux
 * convention); a frame that does not fit between CBR and it is dropped
 * with ISR.RXOVW, and ISR.FOVW too while an earlier overflow is still not
 * acknowledged (the FIFO behind the ring filled as well). The pointers are
 * reset by a reset, by the receiver being turned on (CR.RE 0 -> 1), and by
 * an RCR write that changes the ring's size or comes while the receiver is
 * off, which is what Linux 8139too's open and receive-error paths expect.
 *
 * Normal mode transmit: four TSD/TSAD pairs used round-robin. A TSD write
 * with OWN=0 starts descriptor after descriptor from the current one while
 * their OWN is 0 (at most four per write); each ends with OWN set and TOK
 * (ISR.TOK), or TABT (ISR.TER) for a size above 1792 or a DMA failure.
 *
 * C+ mode (revision 0x20 only) is latched by the first CPCR write after a
 * reset; then 0x10 is DTCCR (tally counter dump) and 0x20 / 0x28 the
 * transmit rings. Both C+ rings, transmit and receive, end at the
 * descriptor with EOR or after their 64th descriptor, whichever comes first
 * (the chip's rings hold at most 64; without EOR the model wraps as QEMU's
 * does). A TPPoll write with NPQ walks the normal priority ring
 * from where it stopped: at most 64 descriptors per poll (QEMU's lesson: a
 * guest can make a ring that is all OWN, or whose write-back fails), and
 * no descriptor after the poll made 4096 frames (TSO makes at most 1365
 * from one: MSS 48 and up). Descriptors FS..LS are gathered into
 * one 64K+ buffer (a frame longer is dropped, never truncated); at LS the
 * frame's offloads (taken from its FS descriptor) are applied by
 * rtl8139_offload.c, which checks every header length against the frame
 * and fills in each requested checksum that fits the packet (skipping, not
 * refusing, the others: IPCS, TCPCS and UDPCS are separate commands), and
 * a VLAN tag is inserted when asked. Each descriptor is given back
 * with OWN clear, the LS one with TES set when the frame failed. The high
 * priority ring is not modelled (Linux never uses it). C+ receive takes the
 * descriptor at the current index: no OWN means RDU and a missed packet;
 * a buffer too small gives the descriptor back with an error and no data;
 * else the frame (its tag stripped into dw1 when CPCR.RxVLAN is on), the
 * CRC, then dw1 and dw0 (OWN clear, FS, LS, length + 4, the address class
 * and, with CPCR.RxChkSum, the protocol and checksum bits).
 *
 * Frames to the hub are never longer than unet_hub_frame_max() (longer ones
 * are dropped and counted) nor shorter than an Ethernet header. The receive
 * path never transmits; loopback mode (TCR.LBK) hands a transmitted frame
 * to the receive path once, so it cannot recurse. Transmission does not
 * nest either: a transmit started from inside a hub delivery the model
 * itself caused is deferred to the end of the outer one.
 *
 * The interrupt line is (ISR & IMR) != 0, unless the PCI command register
 * disables INTx. It is re-evaluated when the outermost call into the model
 * returns, and set_irq is called only on a change, so the embedder never
 * sees the model half-way through an operation.
 *
 * What a guest can make the model hold: nothing beyond what is allocated
 * at creation (the 64K C+ assembly buffer and one hub frame for TSO). Log
 * lines a guest can trigger are at debug level and rate-limited.
 */
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <usernet/rtl8139.h>

#include "wire/config_copy.h"
#include "wire/cursor.h"
#include "wire/eth_proto.h"
#include "wire/log.h"
#include "rtl8139_internal.h"
#include "rtl8139_proto.h"

/* The size of struct unet_rtl8139_stats when it got its size field. */
#define RTL_STATS_SIZE_V1 \
	UNET__CONFIG_SIZE_TO(struct unet_rtl8139_stats, reentered)

/* The size of struct unet_rtl8139_config in 0.1.0, its first release. */
#define RTL8139_CONFIG_SIZE_V1 \
	UNET__CONFIG_SIZE_TO(struct unet_rtl8139_config, opaque)

/* Room before the C+ assembly buffer, for a VLAN tag inserted in place. */
#define RTL_CP_HEADROOM 8
/* The longest frame C+ transmit assembles: a 64K IP packet and headers. */
#define RTL_CP_BUF_MAX (65536 + WIRE_ETH_HLEN + WIRE_VLAN_HLEN)
/* Frames one C+ poll may make (TSO included), beyond the 64 descriptors. */
#define RTL_TX_FRAMES_PER_POLL 4096
/* How often deferred transmit kicks are served in one call. */
#define RTL_TX_ROUNDS_MAX 4
#define RTL_NS_PER_S 1000000000ull

#define RTL_KICK_NORMAL 0x1
#define RTL_KICK_CPLUS 0x2

static const uint8_t rtl8139_default_mac[6] = {
	0x52, 0x54, 0x00, 0x12, 0x34, 0x56
};
static const uint8_t rtl8139_zeros[RTL_ETH_ZLEN];

/** The states of the EEPROM's serial interface. */
enum rtl8139_ee_state {
	RTL_EE_IDLE,	/* chip select low */
	RTL_EE_START,	/* selected, waiting for the start bit */
	RTL_EE_CMD,	/* shifting in opcode and address */
	RTL_EE_READ,	/* shifting out a word */
	RTL_EE_WRITE,	/* shifting in a word to write */
	RTL_EE_DONE,	/* command over, until chip select drops */
	RTL_EE_STATE_NUM
};

/**
 * struct rtl8139_eeprom - the 93C46 behind 9346CR
 * @words: its 64 words
 * @state: where the serial protocol is
 * @bits: bits shifted in the current state
 * @shift: bits shifted in so far
 * @out: the word being shifted out, MSB first
 * @addr: the address of a write
 * @wral: the write under way writes every word
 * @cs: chip select as last written
 * @sk: clock as last written
 * @dout: the data out pin: driven in a read's data phase and by the ready
 *        status, else undriven (reads 0)
 * @programmed: a programming cycle (WRITE, ERASE, ERAL, WRAL) ran since
 *              chip select last rose; the next selection shows its status
 * @status: DO shows the ready status, from chip select rising after a
 *          programming cycle until the next start bit
 * @write_enabled: EWEN was given (writes and erases are honoured)
 */
struct rtl8139_eeprom {
	uint16_t words[RTL_EE_WORDS];
	enum rtl8139_ee_state state;
	unsigned int bits;
	uint32_t shift;
	uint16_t out;
	uint8_t addr;
	bool wral;
	bool cs;
	bool sk;
	bool dout;
	bool programmed;
	bool status;
	bool write_enabled;
};

/**
 * struct rtl8139_tally - the C+ tally counters DTCCR dumps
 * @tx_ok: frames sent
 * @rx_ok: frames received
 * @tx_err: transmit errors
 * @rx_err: receive errors
 * @miss_pkt: frames missed for want of a descriptor or room
 * @rx_ok_phy: unicast frames received
 * @rx_ok_brd: broadcast frames received
 * @rx_ok_mul: multicast frames received
 * @tx_abt: transmissions aborted
 */
struct rtl8139_tally {
	uint64_t tx_ok;
	uint64_t rx_ok;
	uint64_t tx_err;
	uint32_t rx_err;
	uint16_t miss_pkt;
	uint64_t rx_ok_phy;
	uint64_t rx_ok_brd;
	uint32_t rx_ok_mul;
	uint16_t tx_abt;
};

/**
 * struct unet_rtl8139 - one RTL8139
 * @port: the port on the hub (its send op is the receive path)
 * @hub: the hub, for its clock and log (kept after the port detached)
 * @cfg: the embedder's configuration and callbacks
 * @frame_max: the hub's longest frame
 * @stats: counters
 * @pci: configuration space
 * @pci_wmask: bits of @pci the guest may write
 * @pci_w1c: bits of @pci a written 1 clears
 * @idr: IDR0-5, the MAC address
 * @mar: MAR0-7, the multicast filter
 * @tsd: TSD0-3
 * @tsad: TSAD0-3; in C+ mode TNPDS (0, 1) and THPDS (2, 3)
 * @dtccr: DTCCR, low and high (C+ mode)
 * @rbstart: RBSTART
 * @cr: CR's RE and TE bits
 * @imr: IMR
 * @isr: ISR
 * @tcr: TCR's writable bits
 * @rcr: RCR
 * @mpc: MPC, 24 bits
 * @cr9346: 9346CR as written
 * @config0: CONFIG0
 * @config1: CONFIG1
 * @config3: CONFIG3
 * @config4: CONFIG4
 * @config5: CONFIG5
 * @mulint: MULINT
 * @anar: ANAR
 * @timerint: TimerInt
 * @cpcr: CPCR
 * @intrmit: IntrMitigate (kept, no effect)
 * @rdsar: RDSAR, low and high
 * @etthr: ETThR (kept, no effect)
 * @rx_size: the normal mode ring's length
 * @rx_read: the driver's read offset (CAPR + 16), below @rx_size
 * @rx_write: the device's write offset (CBR), below @rx_size
 * @tx_cur: the normal mode descriptor to send next
 * @cplus: C+ mode is latched (a CPCR write since the last reset)
 * @cp_rx_cur: the C+ receive descriptor to use next
 * @cp_tx_cur: the C+ transmit descriptor to look at next
 * @cp_buf: the C+ assembly buffer, RTL_CP_HEADROOM + RTL_CP_BUF_MAX bytes
 * @cp_len: bytes assembled
 * @cp_in_frame: an FS descriptor was seen and its LS not yet
 * @cp_bad: the frame being assembled is dropped at its LS
 * @cp_dw0: dw0 of the frame's FS descriptor (its offload bits)
 * @cp_dw1: dw1 of the frame's FS descriptor (its VLAN tag)
 * @seg_buf: one TSO segment, @frame_max bytes
 * @tx_buf: one normal mode frame
 * @tx_budget: frames the current C+ poll may still make
 * @tx_active: a transmission is under way
 * @tx_pending: transmit kicks deferred until it ends (RTL_KICK_*)
 * @ee: the EEPROM
 * @tctr_base: hub time when TCTR was 0
 * @timer_seen: TimerInt crossings already signalled since @tctr_base
 * @tally: the tally counters
 * @depth: calls into the model under way (nesting through the hub)
 * @in_dma: DMA callbacks under way
 * @irq_level: the level last given to set_irq
 * @log_rl: the rate limit of guest-triggered log lines
 */
struct unet_rtl8139 {
	struct unet_port port;
	struct unet_hub *hub;
	struct unet_rtl8139_config cfg;
	size_t frame_max;
	struct unet_rtl8139_stats stats;

	uint8_t pci[RTL_PCI_CONFIG_SIZE];
	uint8_t pci_wmask[RTL_PCI_CONFIG_SIZE];
	uint8_t pci_w1c[RTL_PCI_CONFIG_SIZE];

	uint8_t idr[WIRE_ETH_ALEN];
	uint8_t mar[8];
	uint32_t tsd[RTL_TX_DESCS];
	uint32_t tsad[RTL_TX_DESCS];
	uint32_t dtccr[2];
	uint32_t rbstart;
	uint8_t cr;
	uint16_t imr;
	uint16_t isr;
	uint32_t tcr;
	uint32_t rcr;
	uint32_t mpc;
	uint8_t cr9346;
	uint8_t config0;
	uint8_t config1;
	uint8_t config3;
	uint8_t config4;
	uint8_t config5;
	uint16_t mulint;
	uint16_t anar;
	uint32_t timerint;
	uint16_t cpcr;
	uint16_t intrmit;
	uint32_t rdsar[2];
	uint8_t etthr;

	uint32_t rx_size;
	uint32_t rx_read;
	uint32_t rx_write;
	unsigned int tx_cur;

	bool cplus;
	unsigned int cp_rx_cur;
	unsigned int cp_tx_cur;
	uint8_t *cp_buf;
	size_t cp_len;
	bool cp_in_frame;
	bool cp_bad;
	uint32_t cp_dw0;
	uint32_t cp_dw1;
	uint8_t *seg_buf;
	uint8_t tx_buf[RTL_TX_NORMAL_MAX];
	unsigned int tx_budget;
	bool tx_active;
	unsigned int tx_pending;

	struct rtl8139_eeprom ee;
	uint64_t tctr_base;
	uint64_t timer_seen;
	struct rtl8139_tally tally;

	unsigned int depth;
	unsigned int in_dma;
	bool irq_level;
	struct unet__ratelimit log_rl;
};

static_assert((RTL_BMCR_VALUE & (RTL_BMCR_RESET | RTL_BMCR_ANRESTART)) == 0,
	      "BMCR's reset and restart bits read 0: they clear themselves");
static_assert(RTL_TX_NORMAL_MAX <= RTL_TSD_SIZE_MASK,
	      "a normal mode frame's size fits TSD's size field");
static_assert(RTL_RX_HDR_LEN + RTL_RX_NORMAL_MAX + RTL_ETH_CRC_LEN + 3 <
		      RTL_RX_RING_MIN,
	      "a frame always fits an empty normal mode ring");
static_assert(RTL_RX_HDR_LEN + RTL_RX_NORMAL_MAX + RTL_ETH_CRC_LEN + 3 <=
		      1536,
	      "with WRAP=1 a frame stays in the 1.5K pad after the ring");

static struct unet_rtl8139 *rtl8139_of(struct unet_port *port)
{
	return (struct unet_rtl8139 *)(void *)((char *)port -
					       offsetof(struct unet_rtl8139,
							port));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static uint64_t get_le64(const uint8_t *p)
{
	return (uint64_t)get_le32(p) | (uint64_t)get_le32(p + 4) << 32;
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void put_le64(uint8_t *p, uint64_t v)
{
	put_le32(p, (uint32_t)v);
	put_le32(p + 4, (uint32_t)(v >> 32));
}

/* Logs something a guest caused: debug level, rate-limited (wire/log.h). */
static void rtl8139_guest_log(struct unet_rtl8139 *nic, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void rtl8139_guest_log(struct unet_rtl8139 *nic, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	unet__log_limited(nic->hub, &nic->log_rl, UNET_LOG_DEBUG,
			  "rtl8139 %s: %s", nic->port.id, msg);
}

/* ---- PCI configuration space, interrupt line -------------------------- */

static uint16_t pci_get16(const struct unet_rtl8139 *nic, unsigned int off)
{
	return (uint16_t)(nic->pci[off] | nic->pci[off + 1] << 8);
}

static void pci_set16(uint8_t *space, unsigned int off, uint16_t v)
{
	put_le16(space + off, v);
}

static bool rtl8139_irq_wanted(const struct unet_rtl8139 *nic)
{
	return (nic->isr & nic->imr) != 0;
}

/* Brings the interrupt line in line with ISR, IMR and INTx disable. */
static void rtl8139_irq_sync(struct unet_rtl8139 *nic)
{
	bool level = rtl8139_irq_wanted(nic) &&
		     !(pci_get16(nic, RTL_PCI_COMMAND) & RTL_PCI_CMD_INTX_OFF);

	if (level == nic->irq_level)
		return;
	nic->irq_level = level;
	if (nic->cfg.set_irq != NULL)
		nic->cfg.set_irq(nic->cfg.opaque, level);
}

static void rtl8139_enter(struct unet_rtl8139 *nic)
{
	nic->depth++;
}

/* Leaving the outermost call is where the interrupt line is updated. */
static void rtl8139_leave(struct unet_rtl8139 *nic)
{
	assert(nic->depth > 0);
	if (--nic->depth == 0)
		rtl8139_irq_sync(nic);
}

static void rtl8139_pci_reset(struct unet_rtl8139 *nic)
{
	uint8_t *c = nic->pci, *wm = nic->pci_wmask;

	memset(nic->pci, 0, sizeof(nic->pci));
	memset(nic->pci_wmask, 0, sizeof(nic->pci_wmask));
	memset(nic->pci_w1c, 0, sizeof(nic->pci_w1c));
	pci_set16(c, RTL_PCI_VENDOR_ID, RTL_PCI_VENDOR);
	pci_set16(c, RTL_PCI_DEVICE_ID, RTL_PCI_DEVICE);
	pci_set16(c, RTL_PCI_STATUS,
		  RTL_PCI_STS_FAST_B2B | RTL_PCI_STS_DEVSEL_MED);
	c[RTL_PCI_REVISION] = nic->cfg.revision;
	c[RTL_PCI_SUBCLASS] = RTL_PCI_SUBCLASS_ETH;
	c[RTL_PCI_CLASS] = RTL_PCI_CLASS_NET;
	c[RTL_PCI_BAR0] = RTL_PCI_BAR_IO_FLAG;
	pci_set16(c, RTL_PCI_SUBSYS_VENDOR, RTL_PCI_VENDOR);
	pci_set16(c, RTL_PCI_SUBSYS_ID, RTL_PCI_DEVICE);
	c[RTL_PCI_INT_PIN] = RTL_PCI_INT_PIN_A;
	c[RTL_PCI_MIN_GNT_REG] = RTL_PCI_MIN_GNT;
	c[RTL_PCI_MAX_LAT_REG] = RTL_PCI_MAX_LAT;

	pci_set16(wm, RTL_PCI_COMMAND, RTL_PCI_CMD_WRITABLE);
	pci_set16(nic->pci_w1c, RTL_PCI_STATUS, RTL_PCI_STS_W1C);
	wm[RTL_PCI_CACHE_LINE] = 0xff;
	wm[RTL_PCI_LATENCY] = 0xff;
	/* 256-byte BARs: address bits 31:8 only, so sizing reads ffffff0x. */
	memset(wm + RTL_PCI_BAR0 + 1, 0xff, 3);
	memset(wm + RTL_PCI_BAR1 + 1, 0xff, 3);
	wm[RTL_PCI_INT_LINE] = 0xff;
}

/* ---- DMA: the one way to guest memory --------------------------------- */

/**
 * rtl8139_dma() - move bytes between guest memory and the device
 * @nic: the model
 * @addr: guest bus address
 * @to: host buffer to read guest memory into, or NULL when writing
 * @from: host bytes to write to guest memory, or NULL when reading
 * @len: bytes to move; 0 moves nothing
 *
 * The one place the model touches guest memory: everything else calls
 * rtl8139_dma_read() or rtl8139_dma_write(), which come here.
 *
 * Return: 0; -EPERM when bus mastering is off (counted); -EFAULT when the
 * embedder refused or the range wraps around (counted, ISR.SERR raised).
 */
static int rtl8139_dma(struct unet_rtl8139 *nic, uint64_t addr, void *to,
		       const void *from, size_t len)
{
	bool write = from != NULL;
	int r;

	if (len == 0)
		return 0;
	assert((to == NULL) != (from == NULL));
	if (!(pci_get16(nic, RTL_PCI_COMMAND) & RTL_PCI_CMD_MASTER)) {
		nic->stats.dma_blocked++;
		rtl8139_guest_log(nic, "DMA with bus mastering off");
		return -EPERM;
	}
	if (addr > UINT64_MAX - (len - 1)) {
		r = -EFAULT;
	} else {
		nic->in_dma++;
		if (write)
			r = nic->cfg.dma_write(nic->cfg.opaque, addr, from,
					       len);
		else
			r = nic->cfg.dma_read(nic->cfg.opaque, addr, to, len);
		nic->in_dma--;
	}
	if (r == 0)
		return 0;
	nic->stats.dma_errors++;
	nic->isr |= RTL_INT_SERR;
	nic->pci[RTL_PCI_STATUS + 1] |= RTL_PCI_STS_MASTER_ABORT >> 8;
	rtl8139_guest_log(nic, "DMA %s of %zu bytes at 0x%llx refused",
			  write ? "write" : "read", len,
			  (unsigned long long)addr);
	return -EFAULT;
}

static int rtl8139_dma_read(struct unet_rtl8139 *nic, uint64_t addr,
			    void *buf, size_t len)
{
	return rtl8139_dma(nic, addr, buf, NULL, len);
}

static int rtl8139_dma_write(struct unet_rtl8139 *nic, uint64_t addr,
			     const void *buf, size_t len)
{
	return rtl8139_dma(nic, addr, NULL, buf, len);
}

/* ---- The 93C46 EEPROM ------------------------------------------------- */

static void rtl8139_ee_init(struct rtl8139_eeprom *ee, const uint8_t *mac)
{
	unsigned int i;

	memset(ee, 0, sizeof(*ee));
	ee->words[RTL_EE_W_ID] = RTL_EE_ID;
	ee->words[RTL_EE_W_VENDOR] = RTL_PCI_VENDOR;
	ee->words[RTL_EE_W_DEVICE] = RTL_PCI_DEVICE;
	ee->words[RTL_EE_W_SUBVENDOR] = RTL_PCI_VENDOR;
	ee->words[RTL_EE_W_SUBSYS] = RTL_PCI_DEVICE;
	for (i = 0; i < 3; i++)
		ee->words[RTL_EE_W_MAC + i] =
			(uint16_t)(mac[2 * i] | mac[2 * i + 1] << 8);
}

/*
 * Chip select low: ends any command and releases DO. A programming cycle
 * that ran stays pending: its status shows when chip select rises again.
 */
static void rtl8139_ee_idle(struct rtl8139_eeprom *ee)
{
	ee->state = RTL_EE_IDLE;
	ee->cs = ee->sk = ee->dout = ee->status = false;
	ee->bits = 0;
	ee->shift = 0;
}

static void rtl8139_ee_command(struct rtl8139_eeprom *ee)
{
	unsigned int op = (ee->shift >> RTL_EE_ADDR_BITS) & 0x3;
	uint8_t addr = ee->shift & (RTL_EE_WORDS - 1);
	unsigned int i;

	ee->bits = 0;
	ee->shift = 0;
	ee->state = RTL_EE_DONE;
	switch (op) {
	case RTL_EE_OP_READ:
		/* a dummy 0, then the word MSB first, one bit per clock */
		ee->out = ee->words[addr];
		ee->dout = false;
		ee->state = RTL_EE_READ;
		break;
	case RTL_EE_OP_WRITE:
		ee->addr = addr;
		ee->wral = false;
		ee->state = RTL_EE_WRITE;
		break;
	case RTL_EE_OP_ERASE:
		if (ee->write_enabled) {
			ee->words[addr] = 0xffff;
			ee->programmed = true;
		}
		break;
	default:
		switch (addr >> (RTL_EE_ADDR_BITS - 2)) {
		case RTL_EE_EXT_EWEN:
			ee->write_enabled = true;
			break;
		case RTL_EE_EXT_EWDS:
			ee->write_enabled = false;
			break;
		case RTL_EE_EXT_ERAL:
			if (!ee->write_enabled)
				break;
			for (i = 0; i < RTL_EE_WORDS; i++)
				ee->words[i] = 0xffff;
			ee->programmed = true;
			break;
		default:
			ee->wral = true;
			ee->state = RTL_EE_WRITE;
			break;
		}
		break;
	}
}

/*
 * One rising edge of SK, with DI as the driver set it. DO is driven only
 * while a read shifts its word out and while the ready status shows;
 * every other edge leaves it undriven, which 9346CR reads as 0.
 */
static void rtl8139_ee_clock(struct rtl8139_eeprom *ee, bool di)
{
	unsigned int i;

	if (ee->state != RTL_EE_READ)
		ee->dout = false;
	switch (ee->state) {
	case RTL_EE_START:
		/* leading zeros are ignored; the start bit ends a status */
		if (di) {
			ee->state = RTL_EE_CMD;
			ee->bits = 0;
			ee->shift = 0;
			ee->status = false;
		}
		ee->dout = ee->status;
		break;
	case RTL_EE_CMD:
		ee->shift = ee->shift << 1 | di;
		if (++ee->bits == RTL_EE_CMD_BITS)
			rtl8139_ee_command(ee);
		break;
	case RTL_EE_READ:
		ee->dout = (ee->out & 0x8000) != 0;
		ee->out = (uint16_t)(ee->out << 1);
		if (++ee->bits == RTL_EE_DATA_BITS) {
			/*
			 * Ready for the next command without chip select
			 * dropping, as FreeBSD's rl and re expect.
			 */
			ee->state = RTL_EE_START;
			ee->bits = 0;
		}
		break;
	case RTL_EE_WRITE:
		ee->shift = (ee->shift << 1 | di) & 0xffff;
		if (++ee->bits < RTL_EE_DATA_BITS)
			break;
		if (ee->write_enabled && ee->wral) {
			for (i = 0; i < RTL_EE_WORDS; i++)
				ee->words[i] = (uint16_t)ee->shift;
		} else if (ee->write_enabled) {
			ee->words[ee->addr] = (uint16_t)ee->shift;
		}
		ee->programmed = ee->write_enabled;
		ee->state = RTL_EE_DONE;
		ee->bits = 0;
		break;
	default:
		break;
	}
}

static void rtl8139_ee_wires(struct rtl8139_eeprom *ee, bool cs, bool sk,
			     bool di)
{
	bool rise = sk && !ee->sk;

	if (!cs) {
		rtl8139_ee_idle(ee);
		ee->sk = sk;
		return;
	}
	if (!ee->cs) {
		/*
		 * Programming is instant here, so a selection after it shows
		 * "ready" (DO = 1) at once, and only that one selection.
		 */
		ee->cs = true;
		ee->state = RTL_EE_START;
		ee->bits = 0;
		ee->shift = 0;
		ee->status = ee->programmed;
		ee->programmed = false;
		ee->dout = ee->status;
	}
	ee->sk = sk;
	if (rise)
		rtl8139_ee_clock(ee, di);
}

/* ---- Timer ------------------------------------------------------------ */

static uint64_t rtl8139_ticks(const struct unet_rtl8139 *nic, uint64_t now)
{
	uint64_t d = now >= nic->tctr_base ? now - nic->tctr_base : 0;

	return d / RTL_NS_PER_S * RTL_PCI_CLOCK_HZ +
	       d % RTL_NS_PER_S * RTL_PCI_CLOCK_HZ / RTL_NS_PER_S;
}

/* How many times TCTR has passed @timerint after counting @ticks. */
static uint64_t rtl8139_crossings(uint64_t ticks, uint32_t timerint)
{
	if (timerint == 0 || ticks < timerint)
		return 0;
	return ((ticks - timerint) >> 32) + 1;
}

static void rtl8139_timer_update(struct unet_rtl8139 *nic)
{
	uint64_t c;

	if (nic->timerint == 0)
		return;
	c = rtl8139_crossings(rtl8139_ticks(nic, unet_hub_now_ns(nic->hub)),
			      nic->timerint);
	if (c > nic->timer_seen) {
		nic->isr |= RTL_INT_TIMEOUT;
		nic->timer_seen = c;
	}
}

/* ---- Receive ---------------------------------------------------------- */

/**
 * struct rtl8139_rx - a received frame as the guest will see it
 * @frame: the frame from the hub
 * @head_len: bytes of @frame up to a stripped tag (all of it without one)
 * @tail: the bytes after a stripped tag, or NULL
 * @tail_len: their length
 * @pad: zero bytes that make the frame 60 bytes long
 * @len: the frame's length in the guest, without the CRC
 * @crc: its CRC-32
 * @tagged: a VLAN tag was stripped
 * @tci: the stripped tag's TCI bytes, in wire order
 */
struct rtl8139_rx {
	const uint8_t *frame;
	size_t head_len;
	const uint8_t *tail;
	size_t tail_len;
	size_t pad;
	size_t len;
	uint32_t crc;
	bool tagged;
	uint8_t tci[2];
};

static void rtl8139_rx_prepare(struct rtl8139_rx *rx, const uint8_t *frame,
			       size_t len, bool strip)
{
	struct unet_cursor c = cursor_init(frame, len);
	const struct wire_eth *eth = cursor_take_hdr(&c, struct wire_eth);
	const uint8_t *tci;
	size_t n;

	memset(rx, 0, sizeof(*rx));
	rx->frame = frame;
	rx->head_len = len;
	/*
	 * A whole 802.1Q tag is the header's type (the TPID) and the TCI; the
	 * TCI goes to the descriptor, and the guest sees the MACs, then the
	 * inner type and the rest.
	 */
	if (strip && eth != NULL && wire_eth_type(eth) == WIRE_ETHTYPE_VLAN &&
	    c.len >= WIRE_VLAN_HLEN &&
	    (tci = cursor_take(&c, sizeof(rx->tci))) != NULL) {
		rx->tagged = true;
		memcpy(rx->tci, tci, sizeof(rx->tci));
		rx->head_len = offsetof(struct wire_eth, type);
		rx->tail = c.p;
		rx->tail_len = c.len;
	}
	n = rx->head_len + rx->tail_len;
	rx->pad = n < RTL_ETH_ZLEN ? RTL_ETH_ZLEN - n : 0;
	rx->len = n + rx->pad;
}

static void rtl8139_rx_crc(struct rtl8139_rx *rx)
{
	uint32_t crc = unet__rtl8139_crc32(0, rx->frame, rx->head_len);

	crc = unet__rtl8139_crc32(crc, rx->tail, rx->tail_len);
	rx->crc = unet__rtl8139_crc32(crc, rtl8139_zeros, rx->pad);
}

/* Frame, padding and CRC as pieces, in the order the guest sees them. */
static unsigned int rtl8139_rx_pieces(const struct rtl8139_rx *rx,
				      uint8_t crc[RTL_ETH_CRC_LEN],
				      const uint8_t *p[4], size_t n[4])
{
	put_le32(crc, rx->crc);
	p[0] = rx->frame;
	n[0] = rx->head_len;
	p[1] = rx->tail;
	n[1] = rx->tail_len;
	p[2] = rtl8139_zeros;
	n[2] = rx->pad;
	p[3] = crc;
	n[3] = RTL_ETH_CRC_LEN;
	return 4;
}

/*
 * Decides whether RCR and MAR take a frame; @cls gets the normal mode
 * status bit of its address class (broadcast, multicast, physical match).
 */
static bool rtl8139_rx_filter(const struct unet_rtl8139 *nic,
			      const uint8_t *frame, uint16_t *cls)
{
	unsigned int bit;
	bool ok;

	if (wire_eth_is_broadcast(frame)) {
		*cls = RTL_RXS_BAR;
		ok = (nic->rcr & RTL_RCR_AB) != 0;
	} else if (wire_eth_is_group(frame)) {
		*cls = RTL_RXS_MAR;
		bit = unet__rtl8139_mcast_bit(frame);
		ok = (nic->rcr & RTL_RCR_AM) &&
		     (nic->mar[bit >> 3] >> (bit & 7) & 1);
	} else if (memcmp(frame, nic->idr, WIRE_ETH_ALEN) == 0) {
		*cls = RTL_RXS_PAM;
		ok = (nic->rcr & RTL_RCR_APM) != 0;
	} else {
		*cls = 0;
		ok = false;
	}
	return ok || (nic->rcr & RTL_RCR_AAP);
}

static void rtl8139_rx_count(struct unet_rtl8139 *nic,
			     const struct rtl8139_rx *rx, uint16_t cls)
{
	nic->stats.rx_frames++;
	nic->stats.rx_bytes += rx->len;
	nic->tally.rx_ok++;
	if (cls == RTL_RXS_BAR)
		nic->tally.rx_ok_brd++;
	else if (cls == RTL_RXS_MAR)
		nic->tally.rx_ok_mul++;
	else
		nic->tally.rx_ok_phy++;
	nic->isr |= RTL_INT_ROK;
}

static void rtl8139_rx_missed(struct unet_rtl8139 *nic)
{
	nic->stats.rx_missed++;
	nic->mpc = (nic->mpc + 1) & RTL_MPC_MASK;
	nic->tally.miss_pkt++;
}

/* The ring is written straight on past its end (WRAP=1, below 64K). */
static bool rtl8139_ring_linear(const struct unet_rtl8139 *nic)
{
	return (nic->rcr & RTL_RCR_WRAP) && nic->rx_size < RTL_RX_RING_MAX;
}

/*
 * Writes @n bytes at offset @k of the packet that starts at ring offset
 * @base: wrapping to the ring's start, or on past its end with WRAP=1.
 */
static int rtl8139_ring_write(struct unet_rtl8139 *nic, uint32_t base,
			      size_t k, const void *data, size_t n)
{
	const uint8_t *p = data;
	size_t start = base + k, first;
	int r;

	if (!rtl8139_ring_linear(nic)) {
		start %= nic->rx_size;
		if (n > nic->rx_size - start) {
			first = nic->rx_size - start;
			r = rtl8139_dma_write(nic,
					      (uint64_t)nic->rbstart + start,
					      p, first);
			if (r < 0)
				return r;
			p += first;
			n -= first;
			start = 0;
		}
	}
	return rtl8139_dma_write(nic, (uint64_t)nic->rbstart + start, p, n);
}

static void rtl8139_ring_receive(struct unet_rtl8139 *nic,
				 struct rtl8139_rx *rx, uint16_t cls)
{
	uint32_t size = nic->rx_size, base = nic->rx_write;
	uint32_t used = (base + size - nic->rx_read) % size;
	uint8_t hdr[RTL_RX_HDR_LEN], crc[RTL_ETH_CRC_LEN];
	const uint8_t *p[4];
	size_t n[4], k = RTL_RX_HDR_LEN, adv;
	unsigned int i, pieces;

	assert(nic->rx_read < size && nic->rx_write < size);
	if (rx->len > RTL_RX_NORMAL_MAX) {
		nic->stats.rx_too_long++;
		nic->tally.rx_err++;
		return;
	}
	adv = (RTL_RX_HDR_LEN + rx->len + RTL_ETH_CRC_LEN + 3) & ~(size_t)3;
	if (used != 0 && adv >= size - used) {
		/* A second overflow before the first was acknowledged. */
		if (nic->isr & RTL_INT_RXOVW)
			nic->isr |= RTL_INT_FOVW;
		nic->isr |= RTL_INT_RXOVW;
		rtl8139_rx_missed(nic);
		return;
	}
	rtl8139_rx_crc(rx);
	pieces = rtl8139_rx_pieces(rx, crc, p, n);
	for (i = 0; i < pieces; i++) {
		if (rtl8139_ring_write(nic, base, k, p[i], n[i]) < 0)
			return;
		k += n[i];
	}
	/* The header goes last: a frame cut short never looks received. */
	put_le16(hdr, (uint16_t)(RTL_RXS_ROK | cls));
	put_le16(hdr + 2, (uint16_t)(rx->len + RTL_ETH_CRC_LEN));
	if (rtl8139_ring_write(nic, base, 0, hdr, sizeof(hdr)) < 0)
		return;
	nic->rx_write = (uint32_t)((base + adv) % size);
	rtl8139_rx_count(nic, rx, cls);
}

static uint32_t rtl8139_cp_class(uint16_t cls)
{
	switch (cls) {
	case RTL_RXS_BAR:
		return RTL_RXD_BAR;
	case RTL_RXS_MAR:
		return RTL_RXD_MAR;
	case RTL_RXS_PAM:
		return RTL_RXD_PAM;
	default:
		return 0;
	}
}

static bool rtl8139_cp_rx_on(const struct unet_rtl8139 *nic)
{
	return nic->cplus && (nic->cpcr & RTL_CPCR_RXENB);
}

static bool rtl8139_cp_tx_on(const struct unet_rtl8139 *nic)
{
	return nic->cplus && (nic->cpcr & RTL_CPCR_TXENB) &&
	       (nic->cr & RTL_CR_TE);
}

static void rtl8139_cp_receive(struct unet_rtl8139 *nic, struct rtl8139_rx *rx,
			       uint16_t cls, size_t orig_len)
{
	uint64_t desc = ((uint64_t)nic->rdsar[1] << 32 | nic->rdsar[0]) +
			(uint64_t)nic->cp_rx_cur * RTL_DESC_LEN;
	uint8_t d[RTL_DESC_LEN], crc[RTL_ETH_CRC_LEN];
	uint32_t dw0, dw1 = 0, bufsize;
	unsigned int next, i, pieces;
	const uint8_t *p[4];
	uint64_t addr;
	size_t n[4], k = 0;

	if (rtl8139_dma_read(nic, desc, d, sizeof(d)) < 0)
		return;
	dw0 = get_le32(d);
	addr = get_le64(d + 8);
	if (!(dw0 & RTL_DESC_OWN)) {
		nic->isr |= RTL_INT_RDU;
		rtl8139_rx_missed(nic);
		return;
	}
	next = (dw0 & RTL_DESC_EOR) ? 0 : (nic->cp_rx_cur + 1) % RTL_RING_MAX;
	bufsize = dw0 & RTL_RXD_BUF_MASK;
	if (rx->len + RTL_ETH_CRC_LEN > bufsize) {
		/* Given back with an error and no data: the frame is lost. */
		dw0 = (dw0 & RTL_DESC_EOR) | RTL_DESC_FS | RTL_DESC_LS |
		      RTL_RXD_RES | RTL_RXD_RWT |
		      ((rx->len + RTL_ETH_CRC_LEN) & RTL_RXD_BUF_MASK);
		put_le32(d, dw0);
		if (rtl8139_dma_write(nic, desc, d, 4) < 0)
			return;
		nic->cp_rx_cur = next;
		nic->stats.rx_too_long++;
		nic->tally.rx_err++;
		nic->isr |= RTL_INT_RER;
		return;
	}
	rtl8139_rx_crc(rx);
	pieces = rtl8139_rx_pieces(rx, crc, p, n);
	for (i = 0; i < pieces; i++) {
		if (rtl8139_dma_write(nic, addr + k, p[i], n[i]) < 0)
			return;
		k += n[i];
	}
	if (rx->tagged)
		dw1 = RTL_RXD1_TAVA | rx->tci[0] | (uint32_t)rx->tci[1] << 8;
	dw0 = (dw0 & RTL_DESC_EOR) | RTL_DESC_FS | RTL_DESC_LS |
	      rtl8139_cp_class(cls) | (uint32_t)(rx->len + RTL_ETH_CRC_LEN);
	if (nic->cpcr & RTL_CPCR_RXCHKSUM)
		dw0 |= unet__rtl8139_rx_csum(rx->frame, orig_len);
	put_le32(d, dw0);
	put_le32(d + 4, dw1);
	if (rtl8139_dma_write(nic, desc + 4, d + 4, 4) < 0 ||
	    rtl8139_dma_write(nic, desc, d, 4) < 0)
		return;
	nic->cp_rx_cur = next;
	rtl8139_rx_count(nic, rx, cls);
}

/* The receive path: one frame from the hub (or from loopback). */
static void rtl8139_receive(struct unet_rtl8139 *nic, const uint8_t *frame,
			    size_t len)
{
	struct rtl8139_rx rx;
	bool cplus = rtl8139_cp_rx_on(nic);
	uint16_t cls;

	if (!(nic->cr & RTL_CR_RE)) {
		nic->stats.rx_disabled++;
		return;
	}
	if (len < WIRE_ETH_HLEN || !rtl8139_rx_filter(nic, frame, &cls)) {
		nic->stats.rx_filtered++;
		return;
	}
	rtl8139_rx_prepare(&rx, frame, len,
			   cplus && (nic->cpcr & RTL_CPCR_RXVLAN));
	if (cplus)
		rtl8139_cp_receive(nic, &rx, cls, len);
	else
		rtl8139_ring_receive(nic, &rx, cls);
}

/* ---- Transmit --------------------------------------------------------- */

/* Puts one frame on the hub, or through loopback into our own receive. */
static void rtl8139_xmit(struct unet_rtl8139 *nic, const uint8_t *frame,
			 size_t len)
{
	if (nic->tx_budget > 0)
		nic->tx_budget--;
	if (len < WIRE_ETH_HLEN) {
		nic->stats.tx_dropped++;
		rtl8139_guest_log(nic, "dropped a %zu-byte frame", len);
		return;
	}
	if ((nic->tcr & RTL_TCR_LBK_MASK) == RTL_TCR_LBK_ON) {
		nic->stats.tx_frames++;
		nic->stats.tx_bytes += len;
		nic->tally.tx_ok++;
		rtl8139_receive(nic, frame, len);
		return;
	}
	if (len > nic->frame_max) {
		nic->stats.tx_dropped++;
		rtl8139_guest_log(nic, "dropped a %zu-byte frame (hub max %zu)",
				  len, nic->frame_max);
		return;
	}
	nic->stats.tx_frames++;
	nic->stats.tx_bytes += len;
	nic->tally.tx_ok++;
	if (nic->port.hub != NULL)
		unet_hub_input(&nic->port, frame, len);
}

static void rtl8139_tx_error(struct unet_rtl8139 *nic)
{
	nic->stats.tx_errors++;
	nic->tally.tx_err++;
	nic->tally.tx_abt++;
	nic->isr |= RTL_INT_TER;
}

/* Normal mode: sends from the current TSD on while their OWN is clear. */
static void rtl8139_tx_normal(struct unet_rtl8139 *nic)
{
	unsigned int i;

	for (i = 0; i < RTL_TX_DESCS; i++) {
		unsigned int d = nic->tx_cur;
		uint32_t tsd = nic->tsd[d];
		size_t size = tsd & RTL_TSD_SIZE_MASK;

		if (nic->cplus || !(nic->cr & RTL_CR_TE) ||
		    (tsd & RTL_TSD_OWN))
			break;
		nic->tx_cur = (d + 1) % RTL_TX_DESCS;
		if (size > RTL_TX_NORMAL_MAX) {
			nic->tsd[d] = tsd | RTL_TSD_OWN | RTL_TSD_TABT;
			rtl8139_tx_error(nic);
			rtl8139_guest_log(nic, "TSD%u size %zu above %u", d,
					  size, RTL_TX_NORMAL_MAX);
			continue;
		}
		if (rtl8139_dma_read(nic, nic->tsad[d], nic->tx_buf,
				     size) < 0) {
			nic->tsd[d] = tsd | RTL_TSD_OWN | RTL_TSD_TABT;
			rtl8139_tx_error(nic);
			continue;
		}
		nic->tsd[d] = tsd | RTL_TSD_OWN | RTL_TSD_TOK;
		nic->isr |= RTL_INT_TOK;
		rtl8139_xmit(nic, nic->tx_buf, size);
	}
}

static void rtl8139_tso_emit(void *ctx, const uint8_t *frame, size_t len)
{
	struct unet_rtl8139 *nic = ctx;

	nic->stats.tx_segments++;
	rtl8139_xmit(nic, frame, len);
}

/* Sends the frame the C+ descriptors assembled. Return: 0, or -EINVAL. */
static int rtl8139_cp_tx_frame(struct unet_rtl8139 *nic)
{
	uint8_t *frame = nic->cp_buf + RTL_CP_HEADROOM;
	size_t len = nic->cp_len;
	uint32_t dw0 = nic->cp_dw0, dw1 = nic->cp_dw1;
	bool tagged = (dw1 & RTL_TXD1_TAGC) != 0;
	uint8_t tag[WIRE_VLAN_HLEN] = {
		/* TPID, then TCI, after the MACs */
		WIRE_ETHTYPE_VLAN >> 8, WIRE_ETHTYPE_VLAN & 0xff, (uint8_t)dw1,
		(uint8_t)(dw1 >> 8) /* TCI as on the wire */
	};
	const size_t macs = offsetof(struct wire_eth, type);
	unsigned int what = 0, done;
	size_t mss;

	if (dw0 & RTL_TXD_LGSEN) {
		mss = (dw0 >> RTL_TXD_MSS_SHIFT) & RTL_TXD_MSS_MASK;
		if (unet__rtl8139_tso(frame, len, mss, tagged ? tag : NULL,
				      nic->seg_buf, nic->frame_max,
				      rtl8139_tso_emit, nic) < 0) {
			nic->stats.tx_bad_offload++;
			rtl8139_guest_log(nic, "TSO request refused (MSS %zu, "
					  "%zu bytes)", mss, len);
			return -EINVAL;
		}
		return 0;
	}
	if (dw0 & RTL_TXD_IPCS)
		what |= UNET__RTL8139_CSUM_IP;
	if (dw0 & RTL_TXD_TCPCS)
		what |= UNET__RTL8139_CSUM_TCP;
	if (dw0 & RTL_TXD_UDPCS)
		what |= UNET__RTL8139_CSUM_UDP;
	done = what != 0 ? unet__rtl8139_tx_csum(frame, len, what) : 0;
	if (done != what) {
		nic->stats.tx_bad_offload++;
		rtl8139_guest_log(nic, "checksum offload 0x%x on a frame that "
				  "fits only 0x%x: the rest skipped", what,
				  done);
	}
	if (tagged && len >= macs) {
		memmove(frame - WIRE_VLAN_HLEN, frame, macs);
		frame -= WIRE_VLAN_HLEN;
		memcpy(frame + macs, tag, WIRE_VLAN_HLEN);
		len += WIRE_VLAN_HLEN;
	}
	rtl8139_xmit(nic, frame, len);
	return 0;
}

/*
 * One C+ transmit descriptor: adds its buffer to the frame being assembled
 * and sends the frame at LS. Return: 1 when a frame went out, 0 when the
 * frame goes on, -1 when the frame ended in an error.
 */
static int rtl8139_cp_tx_desc(struct unet_rtl8139 *nic, uint32_t dw0,
			      uint32_t dw1, uint64_t addr)
{
	size_t len = dw0 & RTL_TXD_LEN_MASK;

	if ((dw0 & RTL_DESC_FS) || !nic->cp_in_frame) {
		if (nic->cp_in_frame) {
			rtl8139_guest_log(nic, "frame without LS dropped");
			rtl8139_tx_error(nic);
		}
		nic->cp_in_frame = true;
		nic->cp_len = 0;
		/* A descriptor without FS has no frame to belong to. */
		nic->cp_bad = !(dw0 & RTL_DESC_FS);
		nic->cp_dw0 = dw0;
		nic->cp_dw1 = dw1;
		if (nic->cp_bad)
			rtl8139_guest_log(nic, "descriptor without FS");
	}
	if (!nic->cp_bad && len > 0) {
		if (len > RTL_CP_BUF_MAX - nic->cp_len) {
			nic->cp_bad = true;
			rtl8139_guest_log(nic, "frame longer than %u bytes",
					  RTL_CP_BUF_MAX);
		} else if (rtl8139_dma_read(nic, addr, nic->cp_buf +
					    RTL_CP_HEADROOM + nic->cp_len,
					    len) < 0) {
			nic->cp_bad = true;
		} else {
			nic->cp_len += len;
		}
	}
	if (!(dw0 & RTL_DESC_LS))
		return 0;
	nic->cp_in_frame = false;
	if (nic->cp_bad || rtl8139_cp_tx_frame(nic) < 0) {
		rtl8139_tx_error(nic);
		return -1;
	}
	return 1;
}

/* C+ mode: walks the normal priority ring, at most 64 descriptors. */
static void rtl8139_cp_tx(struct unet_rtl8139 *nic)
{
	uint64_t ring = (uint64_t)nic->tsad[1] << 32 | nic->tsad[0];
	uint8_t d[RTL_DESC_LEN];
	bool sent = false;
	unsigned int walked;

	nic->tx_budget = RTL_TX_FRAMES_PER_POLL;
	for (walked = 0; walked < RTL_RING_WALK_MAX; walked++) {
		unsigned int idx = nic->cp_tx_cur;
		uint64_t desc = ring + (uint64_t)idx * RTL_DESC_LEN;
		uint32_t dw0;
		int r;

		if (!rtl8139_cp_tx_on(nic) || nic->tx_budget == 0 ||
		    rtl8139_dma_read(nic, desc, d, sizeof(d)) < 0)
			break;
		dw0 = get_le32(d);
		if (!(dw0 & RTL_DESC_OWN)) {
			if (walked == 0)
				nic->isr |= RTL_INT_TDU;
			break;
		}
		nic->cp_tx_cur = (dw0 & RTL_DESC_EOR) ? 0 :
			(idx + 1) % RTL_RING_MAX;
		r = rtl8139_cp_tx_desc(nic, dw0, get_le32(d + 4),
				       get_le64(d + 8));
		dw0 &= ~(RTL_DESC_OWN | RTL_TXD_STATUS);
		if (r < 0)
			dw0 |= RTL_TXD_TES;
		put_le32(d, dw0);
		rtl8139_dma_write(nic, desc, d, 4);
		if (r > 0)
			sent = true;
	}
	if (walked == RTL_RING_WALK_MAX) {
		nic->stats.ring_limit++;
		rtl8139_guest_log(nic, "transmit poll stopped after %u "
				  "descriptors", RTL_RING_WALK_MAX);
	}
	if (sent)
		nic->isr |= RTL_INT_TOK;
}

/*
 * Starts transmission. A kick that arrives while a transmission is under
 * way (from inside a hub delivery it caused) is served when it ends.
 */
static void rtl8139_tx_kick(struct unet_rtl8139 *nic, unsigned int kick)
{
	unsigned int rounds, todo;

	nic->tx_pending |= kick;
	if (nic->tx_active)
		return;
	nic->tx_active = true;
	for (rounds = 0; rounds < RTL_TX_ROUNDS_MAX && nic->tx_pending;
	     rounds++) {
		todo = nic->tx_pending;
		nic->tx_pending = 0;
		if (todo & RTL_KICK_NORMAL)
			rtl8139_tx_normal(nic);
		if (todo & RTL_KICK_CPLUS)
			rtl8139_cp_tx(nic);
	}
	nic->tx_pending = 0;
	nic->tx_active = false;
}

/* Writes the tally counters to the address DTCCR holds. */
static void rtl8139_dump_tally(struct unet_rtl8139 *nic)
{
	const struct rtl8139_tally *t = &nic->tally;
	uint64_t addr = (uint64_t)nic->dtccr[1] << 32 |
			(nic->dtccr[0] & RTL_DTCCR_ADDR_MASK);
	uint8_t b[RTL_TALLY_LEN];

	memset(b, 0, sizeof(b));
	put_le64(b + RTL_TALLY_TXOK, t->tx_ok);
	put_le64(b + RTL_TALLY_RXOK, t->rx_ok);
	put_le64(b + RTL_TALLY_TXERR, t->tx_err);
	put_le32(b + RTL_TALLY_RXERR, t->rx_err);
	put_le16(b + RTL_TALLY_MISSPKT, t->miss_pkt);
	put_le64(b + RTL_TALLY_RXOKPHY, t->rx_ok_phy);
	put_le64(b + RTL_TALLY_RXOKBRD, t->rx_ok_brd);
	put_le32(b + RTL_TALLY_RXOKMUL, t->rx_ok_mul);
	put_le16(b + RTL_TALLY_TXABT, t->tx_abt);
	rtl8139_dma_write(nic, addr, b, sizeof(b));
	nic->dtccr[0] &= ~RTL_DTCCR_CMD;
}

/* ---- Resets ----------------------------------------------------------- */

static void rtl8139_rx_ring_reset(struct unet_rtl8139 *nic)
{
	nic->rx_read = 0;
	nic->rx_write = 0;
}

/*
 * CR.RST: transmitter and receiver off, buffer pointers and most registers
 * to their defaults. IDR, MAR, the CONFIG registers, the PHY registers, the
 * EEPROM and the PCI configuration stay.
 */
static void rtl8139_soft_reset(struct unet_rtl8139 *nic)
{
	unsigned int i;

	nic->cr = 0;
	nic->imr = 0;
	nic->isr = 0;
	for (i = 0; i < RTL_TX_DESCS; i++) {
		nic->tsd[i] = RTL_TSD_OWN;
		nic->tsad[i] = 0;
	}
	nic->dtccr[0] = nic->dtccr[1] = 0;
	nic->tx_cur = 0;
	nic->rbstart = 0;
	nic->tcr = 0;
	nic->rcr = 0;
	nic->rx_size = RTL_RX_RING_MIN;
	rtl8139_rx_ring_reset(nic);
	nic->mpc = 0;
	nic->mulint = 0;
	nic->cplus = false;
	nic->cpcr = 0;
	nic->intrmit = 0;
	nic->rdsar[0] = nic->rdsar[1] = 0;
	nic->etthr = 0;
	nic->cp_rx_cur = 0;
	nic->cp_tx_cur = 0;
	nic->cp_in_frame = false;
	nic->cp_bad = false;
	nic->cp_len = 0;
	nic->timerint = 0;
	nic->timer_seen = 0;
	nic->tctr_base = unet_hub_now_ns(nic->hub);
	memset(&nic->tally, 0, sizeof(nic->tally));
}

/* What the chip loads from the EEPROM (power-on, or 9346CR auto-load). */
static void rtl8139_autoload(struct unet_rtl8139 *nic)
{
	unsigned int i;

	for (i = 0; i < 3; i++) {
		uint16_t w = nic->ee.words[RTL_EE_W_MAC + i];

		nic->idr[2 * i] = (uint8_t)w;
		nic->idr[2 * i + 1] = (uint8_t)(w >> 8);
	}
	memset(nic->mar, 0, sizeof(nic->mar));
	nic->config0 = 0;
	nic->config1 = RTL_CONFIG1_RESET;
	nic->config3 = RTL_CONFIG3_RESET;
	nic->config4 = 0;
	nic->config5 = 0;
	nic->anar = RTL_ANAR_RESET;
	nic->cr9346 = 0;
	rtl8139_ee_idle(&nic->ee);
	/* the chip's own reads clock in start bits: no status is left */
	nic->ee.programmed = false;
	rtl8139_soft_reset(nic);
}

/* ---- Registers -------------------------------------------------------- */

/* The width of the register that holds @off; registers are aligned. */
static unsigned int rtl8139_reg_width(unsigned int off)
{
	unsigned int dw = off & ~3u, w = off & ~1u;

	if ((dw >= RTL_TSD0 && dw < RTL_RBSTART + 4) || dw == RTL_TCR ||
	    dw == RTL_RCR || dw == RTL_TCTR || dw == RTL_MPC ||
	    dw == RTL_TIMERINT || dw == RTL_PHY1_PARM || dw == RTL_TW_PARM ||
	    dw == RTL_RDSAR || dw == RTL_RDSAR + 4 || dw >= RTL_FER)
		return 4;
	if (w == RTL_ERBCR || w == RTL_CAPR || w == RTL_CBR || w == RTL_IMR ||
	    w == RTL_ISR || w == RTL_MULINT ||
	    (w >= RTL_TSAD_SUM && w <= RTL_CSCR) || w == RTL_CPCR ||
	    w == RTL_INTRMIT)
		return 2;
	return 1;
}

static uint16_t rtl8139_tsad_summary(const struct unet_rtl8139 *nic)
{
	uint16_t v = 0;
	unsigned int i;

	for (i = 0; i < RTL_TX_DESCS; i++) {
		if (nic->tsd[i] & RTL_TSD_OWN)
			v |= RTL_TSADS_OWN(i);
		if (nic->tsd[i] & RTL_TSD_TABT)
			v |= RTL_TSADS_TABT(i);
		if (nic->tsd[i] & RTL_TSD_TUN)
			v |= RTL_TSADS_TUN(i);
		if (nic->tsd[i] & RTL_TSD_TOK)
			v |= RTL_TSADS_TOK(i);
	}
	return v;
}

static uint8_t rtl8139_9346cr_read(const struct unet_rtl8139 *nic)
{
	uint8_t v = nic->cr9346 & (uint8_t)~RTL_EE_DO;

	if ((nic->cr9346 & RTL_EEM_MASK) == RTL_EEM_PROGRAM && nic->ee.cs &&
	    nic->ee.dout)
		v |= RTL_EE_DO;
	return v;
}

/* Reads the whole register at @base. */
static uint32_t rtl8139_reg_read(struct unet_rtl8139 *nic, unsigned int base)
{
	unsigned int n = (base & 0x0f) / 4;

	if (base < RTL_IDR0 + WIRE_ETH_ALEN)
		return nic->idr[base];
	if (base >= RTL_MAR0 && base < RTL_MAR0 + 8)
		return nic->mar[base - RTL_MAR0];
	if (base >= RTL_TSD0 && base < RTL_TSAD0) {
		if (nic->cplus)
			return n < 2 ? nic->dtccr[n] : 0;
		return nic->tsd[n];
	}
	if (base >= RTL_TSAD0 && base < RTL_RBSTART)
		return nic->tsad[n];
	switch (base) {
	case RTL_RBSTART:
		return nic->rbstart;
	case RTL_CR:
		return nic->cr | (nic->rx_read == nic->rx_write ?
				  RTL_CR_BUFE : 0);
	case RTL_CAPR:
		return (nic->rx_read - RTL_CAPR_BIAS) & 0xffff;
	case RTL_CBR:
		return nic->rx_write & 0xffff;
	case RTL_IMR:
		return nic->imr;
	case RTL_ISR:
		rtl8139_timer_update(nic);
		return nic->isr;
	case RTL_TCR:
		return nic->tcr | (nic->cfg.revision == RTL_PCI_REV_CPLUS ?
				   RTL_TCR_HWVER_CPLUS : RTL_TCR_HWVER_C);
	case RTL_RCR:
		return nic->rcr;
	case RTL_TCTR:
		return (uint32_t)rtl8139_ticks(nic, unet_hub_now_ns(nic->hub));
	case RTL_MPC:
		return nic->mpc;
	case RTL_9346CR:
		return rtl8139_9346cr_read(nic);
	case RTL_CONFIG0:
		return nic->config0;
	case RTL_CONFIG1:
		return nic->config1;
	case RTL_TIMERINT:
		return nic->timerint;
	case RTL_MSR:
		return RTL_MSR_LINK_UP;
	case RTL_CONFIG3:
		return nic->config3;
	case RTL_CONFIG4:
		return nic->config4;
	case RTL_MULINT:
		return nic->mulint;
	case RTL_RERID:
		return nic->cfg.revision;
	case RTL_TSAD_SUM:
		return rtl8139_tsad_summary(nic);
	case RTL_BMCR:
		return RTL_BMCR_VALUE;
	case RTL_BMSR:
		return RTL_BMSR_VALUE;
	case RTL_ANAR:
		return nic->anar;
	case RTL_ANLPAR:
		return RTL_ANLPAR_VALUE;
	case RTL_ANER:
		return RTL_ANER_VALUE;
	case RTL_CSCR:
		return RTL_CSCR_VALUE;
	case RTL_CONFIG5:
		return nic->config5;
	case RTL_CPCR:
		return nic->cpcr;
	case RTL_INTRMIT:
		return nic->intrmit;
	case RTL_RDSAR:
		return nic->rdsar[0];
	case RTL_RDSAR + 4:
		return nic->rdsar[1];
	case RTL_ETTHR:
		return nic->etthr;
	default:
		return 0;	/* reserved, write-only, or always 0 */
	}
}

static void rtl8139_cr_write(struct unet_rtl8139 *nic, uint8_t v)
{
	uint8_t old = nic->cr;

	if (v & RTL_CR_RST) {
		rtl8139_soft_reset(nic);	/* done at once: RST reads 0 */
		return;
	}
	nic->cr = v & (RTL_CR_RE | RTL_CR_TE);
	if ((nic->cr & RTL_CR_RE) && !(old & RTL_CR_RE)) {
		rtl8139_rx_ring_reset(nic);
		nic->cp_rx_cur = 0;
	}
	if ((nic->cr & RTL_CR_TE) && !(old & RTL_CR_TE))
		nic->cp_tx_cur = 0;
	if (!(nic->cr & RTL_CR_TE))
		nic->cp_in_frame = false;
}

static void rtl8139_rcr_write(struct unet_rtl8139 *nic, uint32_t v)
{
	uint32_t size;

	nic->rcr = v & RTL_RCR_WRITABLE;
	size = RTL_RX_RING_MIN << ((nic->rcr >> RTL_RCR_RBLEN_SHIFT) &
				   RTL_RCR_RBLEN_MASK);
	if (size != nic->rx_size || !(nic->cr & RTL_CR_RE)) {
		nic->rx_size = size;
		rtl8139_rx_ring_reset(nic);
	}
}

static void rtl8139_9346cr_write(struct unet_rtl8139 *nic, uint8_t v)
{
	v &= RTL_9346CR_WRITABLE;
	switch (v & RTL_EEM_MASK) {
	case RTL_EEM_AUTOLOAD:
		rtl8139_autoload(nic);	/* ends in normal mode */
		break;
	case RTL_EEM_PROGRAM:
		nic->cr9346 = v;
		rtl8139_ee_wires(&nic->ee, v & RTL_EE_CS, v & RTL_EE_SK,
				 v & RTL_EE_DI);
		break;
	default:
		nic->cr9346 = v;
		rtl8139_ee_wires(&nic->ee, false, false, false);
		break;
	}
}

/*
 * BMCR, the PHY's control. Speed, duplex and autonegotiation enable stay
 * what the model's link is (100 Mb/s full duplex, negotiated). The reset
 * bit returns the PHY registers (0x62..0x74) to their defaults, of which
 * only ANAR holds anything a guest wrote. A reset or an autonegotiation
 * restart renegotiates; with the hub as link partner that completes at
 * once and the link stays up, so BMSR goes on reporting autonegotiation
 * complete and both bits read 0 again at once (they clear themselves).
 */
static void rtl8139_bmcr_write(struct unet_rtl8139 *nic, uint16_t v)
{
	if (v & RTL_BMCR_RESET)
		nic->anar = RTL_ANAR_RESET;
}

static bool rtl8139_config_unlocked(const struct unet_rtl8139 *nic)
{
	return (nic->cr9346 & RTL_EEM_MASK) == RTL_EEM_CONFIG;
}

static uint8_t merge8(uint8_t old, uint8_t v, uint8_t writable)
{
	return (uint8_t)((old & ~writable) | (v & writable));
}

/* A register's new value: the written bytes of @v, the others of @old. */
static uint32_t merge(uint32_t old, uint32_t v, uint32_t mask)
{
	return (old & ~mask) | (v & mask);
}

/*
 * Writes the register at @base: @v holds the bytes written, in place, and
 * @mask which bytes were written.
 */
static void rtl8139_reg_write(struct unet_rtl8139 *nic, unsigned int base,
			      uint32_t v, uint32_t mask)
{
	unsigned int n = (base & 0x0f) / 4;
	uint32_t now;

	if (base < RTL_IDR0 + WIRE_ETH_ALEN) {
		nic->idr[base] = (uint8_t)v;
		return;
	}
	if (base >= RTL_MAR0 && base < RTL_MAR0 + 8) {
		nic->mar[base - RTL_MAR0] = (uint8_t)v;
		return;
	}
	if (base >= RTL_TSD0 && base < RTL_TSAD0) {
		if (nic->cplus) {
			if (n >= 2)
				return;
			nic->dtccr[n] = merge(nic->dtccr[n], v, mask);
			if (n == 0 && (nic->dtccr[0] & RTL_DTCCR_CMD))
				rtl8139_dump_tally(nic);
			return;
		}
		/* A write clears the status bits and may start sending. */
		nic->tsd[n] = merge(nic->tsd[n], v, mask) & RTL_TSD_WRITABLE;
		rtl8139_tx_kick(nic, RTL_KICK_NORMAL);
		return;
	}
	if (base >= RTL_TSAD0 && base < RTL_RBSTART) {
		nic->tsad[n] = merge(nic->tsad[n], v, mask);
		return;
	}
	switch (base) {
	case RTL_RBSTART:
		nic->rbstart = merge(nic->rbstart, v, mask);
		break;
	case RTL_CR:
		rtl8139_cr_write(nic, (uint8_t)v);
		break;
	case RTL_CAPR:
		now = merge((nic->rx_read - RTL_CAPR_BIAS) & 0xffff, v, mask);
		nic->rx_read = (now + RTL_CAPR_BIAS) % nic->rx_size;
		break;
	case RTL_IMR:
		nic->imr = (uint16_t)(merge(nic->imr, v, mask) &
				      RTL_IMR_WRITABLE);
		break;
	case RTL_ISR:
		nic->isr &= (uint16_t)~(v & mask);
		break;
	case RTL_TCR:
		nic->tcr = merge(nic->tcr, v, mask) & RTL_TCR_WRITABLE;
		break;
	case RTL_RCR:
		rtl8139_rcr_write(nic, merge(nic->rcr, v, mask));
		break;
	case RTL_TCTR:
		nic->tctr_base = unet_hub_now_ns(nic->hub);
		nic->timer_seen = 0;
		break;
	case RTL_MPC:
		nic->mpc = 0;
		break;
	case RTL_9346CR:
		rtl8139_9346cr_write(nic, (uint8_t)v);
		break;
	case RTL_CONFIG1:
		if (rtl8139_config_unlocked(nic))
			nic->config1 = merge8(nic->config1, (uint8_t)v,
					      RTL_CONFIG1_WRITABLE);
		break;
	case RTL_CONFIG3:
		if (rtl8139_config_unlocked(nic))
			nic->config3 = merge8(nic->config3, (uint8_t)v,
					      RTL_CONFIG3_WRITABLE);
		break;
	case RTL_CONFIG4:
		if (rtl8139_config_unlocked(nic))
			nic->config4 = merge8(nic->config4, (uint8_t)v,
					      RTL_CONFIG4_WRITABLE);
		break;
	case RTL_CONFIG5:
		nic->config5 = merge8(nic->config5, (uint8_t)v,
				      RTL_CONFIG5_WRITABLE);
		break;
	case RTL_TIMERINT:
		nic->timerint = merge(nic->timerint, v, mask);
		/* fires when TCTR next passes the new value */
		nic->timer_seen = rtl8139_crossings(
			rtl8139_ticks(nic, unet_hub_now_ns(nic->hub)),
			nic->timerint);
		break;
	case RTL_MULINT:
		nic->mulint = (uint16_t)(merge(nic->mulint, v, mask) &
					 RTL_MULINT_WRITABLE);
		break;
	case RTL_BMCR:
		rtl8139_bmcr_write(nic, (uint16_t)v);
		break;
	case RTL_ANAR:
		nic->anar = (uint16_t)merge(nic->anar, v, mask);
		break;
	case RTL_TPPOLL:
		if (!nic->cplus)
			break;
		if (v & RTL_TPPOLL_FSWINT)
			nic->isr |= RTL_INT_SWINT;
		if (v & RTL_TPPOLL_NPQ)
			rtl8139_tx_kick(nic, RTL_KICK_CPLUS);
		break;
	case RTL_CPCR:
		if (nic->cfg.revision != RTL_PCI_REV_CPLUS)
			break;
		nic->cplus = true;
		nic->cpcr = (uint16_t)(merge(nic->cpcr, v, mask) &
				       RTL_CPCR_WRITABLE);
		if (!(nic->cpcr & RTL_CPCR_TXENB))
			nic->cp_in_frame = false;
		break;
	case RTL_INTRMIT:
		nic->intrmit = (uint16_t)merge(nic->intrmit, v, mask);
		break;
	case RTL_RDSAR:
		nic->rdsar[0] = merge(nic->rdsar[0], v, mask);
		break;
	case RTL_RDSAR + 4:
		nic->rdsar[1] = merge(nic->rdsar[1], v, mask);
		break;
	case RTL_ETTHR:
		nic->etthr = (uint8_t)v;
		break;
	default:
		break;	/* read-only or reserved */
	}
}

/**
 * unet_rtl8139_io_read() - the guest reads the register window
 * @nic: the model
 * @offset: offset in the window
 * @size: 1, 2 or 4
 *
 * Return: the value, or all ones for a bad access.
 */
uint32_t unet_rtl8139_io_read(struct unet_rtl8139 *nic, uint64_t offset,
			      unsigned int size)
{
	uint32_t val = 0;
	unsigned int i = 0;

	if (size != 1 && size != 2 && size != 4)
		return UINT32_MAX;
	if (offset >= RTL_REGS_SIZE || size > RTL_REGS_SIZE - offset)
		return size == 4 ? UINT32_MAX : (1u << (8 * size)) - 1;
	rtl8139_enter(nic);
	while (i < size) {
		unsigned int off = (unsigned int)offset + i;
		unsigned int w = rtl8139_reg_width(off);
		unsigned int base = off & ~(w - 1);
		uint32_t reg = rtl8139_reg_read(nic, base);

		for (; off < base + w && i < size; off++, i++)
			val |= ((reg >> (8 * (off - base))) & 0xff) << (8 * i);
	}
	rtl8139_leave(nic);
	return val;
}

/**
 * unet_rtl8139_io_write() - the guest writes the register window
 * @nic: the model
 * @offset: offset in the window
 * @size: 1, 2 or 4
 * @value: the value
 *
 * Return: 0, -EINVAL for a bad size, -ERANGE outside the window, -EBUSY
 * from inside a DMA callback.
 */
int unet_rtl8139_io_write(struct unet_rtl8139 *nic, uint64_t offset,
			  unsigned int size, uint32_t value)
{
	unsigned int i = 0;

	if (size != 1 && size != 2 && size != 4)
		return -EINVAL;
	if (offset >= RTL_REGS_SIZE || size > RTL_REGS_SIZE - offset)
		return -ERANGE;
	if (nic->in_dma > 0) {
		nic->stats.reentered++;
		rtl8139_guest_log(nic, "register write from DMA refused");
		return -EBUSY;
	}
	rtl8139_enter(nic);
	while (i < size) {
		unsigned int off = (unsigned int)offset + i;
		unsigned int w = rtl8139_reg_width(off);
		unsigned int base = off & ~(w - 1);
		uint32_t v = 0, mask = 0;

		for (; off < base + w && i < size; off++, i++) {
			v |= ((value >> (8 * i)) & 0xff) << (8 * (off - base));
			mask |= 0xffu << (8 * (off - base));
		}
		rtl8139_reg_write(nic, base, v, mask);
	}
	rtl8139_leave(nic);
	return 0;
}

/**
 * unet_rtl8139_pci_config_read() - the guest reads configuration space
 * @nic: the model
 * @offset: offset in configuration space
 * @size: 1, 2 or 4
 *
 * Return: the value, or all ones for a bad access.
 */
uint32_t unet_rtl8139_pci_config_read(struct unet_rtl8139 *nic,
				      uint32_t offset, unsigned int size)
{
	uint32_t val = 0;
	unsigned int i;

	if (size != 1 && size != 2 && size != 4)
		return UINT32_MAX;
	if (offset >= RTL_PCI_CONFIG_SIZE ||
	    size > RTL_PCI_CONFIG_SIZE - offset)
		return size == 4 ? UINT32_MAX : (1u << (8 * size)) - 1;
	for (i = 0; i < size; i++) {
		uint8_t b = nic->pci[offset + i];

		if (offset + i == RTL_PCI_STATUS && rtl8139_irq_wanted(nic))
			b |= RTL_PCI_STS_INTX;
		val |= (uint32_t)b << (8 * i);
	}
	return val;
}

/**
 * unet_rtl8139_pci_config_write() - the guest writes configuration space
 * @nic: the model
 * @offset: offset in configuration space
 * @size: 1, 2 or 4
 * @value: the value
 *
 * Return: 0, -EINVAL for a bad size, -ERANGE outside.
 */
int unet_rtl8139_pci_config_write(struct unet_rtl8139 *nic, uint32_t offset,
				  unsigned int size, uint32_t value)
{
	unsigned int i;

	if (size != 1 && size != 2 && size != 4)
		return -EINVAL;
	if (offset >= RTL_PCI_CONFIG_SIZE ||
	    size > RTL_PCI_CONFIG_SIZE - offset)
		return -ERANGE;
	rtl8139_enter(nic);
	for (i = 0; i < size; i++) {
		unsigned int o = offset + i;
		uint8_t v = (uint8_t)(value >> (8 * i));

		nic->pci[o] = merge8(nic->pci[o], v, nic->pci_wmask[o]);
		nic->pci[o] &= (uint8_t)~(v & nic->pci_w1c[o]);
	}
	rtl8139_leave(nic);	/* INTx disable may have changed */
	return 0;
}

/**
 * unet_rtl8139_run_timer() - bring the timer interrupt up to date
 * @nic: the model
 *
 * Return: the hub time of the timer's next expiry, 0 without a timer.
 */
uint64_t unet_rtl8139_run_timer(struct unet_rtl8139 *nic)
{
	uint64_t tick, ns;

	rtl8139_enter(nic);
	rtl8139_timer_update(nic);
	rtl8139_leave(nic);
	if (nic->timerint == 0)
		return 0;
	tick = nic->timerint + (nic->timer_seen << 32);
	ns = tick / RTL_PCI_CLOCK_HZ * RTL_NS_PER_S +
	     (tick % RTL_PCI_CLOCK_HZ * RTL_NS_PER_S + RTL_PCI_CLOCK_HZ - 1) /
		     RTL_PCI_CLOCK_HZ;
	return nic->tctr_base + ns;
}

/**
 * unet_rtl8139_irq_level() - the interrupt line's level
 * @nic: the model
 *
 * Return: the level last given to set_irq.
 */
bool unet_rtl8139_irq_level(const struct unet_rtl8139 *nic)
{
	return nic->irq_level;
}

/* ---- The port, creation ----------------------------------------------- */

static int rtl8139_port_send(struct unet_port *port, const void *frame,
			     size_t len)
{
	struct unet_rtl8139 *nic = rtl8139_of(port);

	/* A frame pushed from inside one of our DMA callbacks: refused. */
	if (nic->in_dma > 0) {
		nic->stats.reentered++;
		return 0;
	}
	rtl8139_enter(nic);
	rtl8139_receive(nic, frame, len);
	rtl8139_leave(nic);
	return 0;
}

static void rtl8139_port_close(struct unet_port *port)
{
	unet_rtl8139_close(rtl8139_of(port));
}

static const struct unet_port_ops rtl8139_port_ops = {
	.name = "rtl8139",
	.send = rtl8139_port_send,
	.close = rtl8139_port_close,
};

/**
 * unet_rtl8139_config_init() - fill a configuration with the defaults
 * @config: the configuration
 */
void unet_rtl8139_config_init(struct unet_rtl8139_config *config)
{
	memset(config, 0, sizeof(*config));
	config->size = sizeof(*config);
	memcpy(config->mac, rtl8139_default_mac, sizeof(config->mac));
	config->revision = UNET_RTL8139_REV_CPLUS;
}

static bool rtl8139_config_ok(const struct unet_rtl8139_config *c)
{
	static const uint8_t zero[6];

	return c->dma_read != NULL && c->dma_write != NULL &&
	       !wire_eth_is_group(c->mac) &&
	       memcmp(c->mac, zero, sizeof(zero)) != 0 &&
	       (c->revision == UNET_RTL8139_REV_CPLUS ||
		c->revision == UNET_RTL8139_REV_C);
}

/**
 * unet_rtl8139_new() - make an RTL8139 and attach it to a hub
 * @hub: the hub
 * @id: the port's name
 * @config: the configuration; copied, so the caller keeps it (a versioned
 *          struct, see hub.h)
 * @nicp: receives the model, which the caller owns until
 *        unet_rtl8139_close() (or unet_hub_close())
 *
 * Return: 0; -EINVAL for a bad configuration (or a
 * &unet_rtl8139_config.size below the first release's); -E2BIG for a larger
 * size whose extra bytes are not zero; -ENOMEM.
 */
int unet_rtl8139_new(struct unet_hub *hub, const char *id,
		     const struct unet_rtl8139_config *config,
		     struct unet_rtl8139 **nicp)
{
	struct unet_rtl8139_config cfg;
	struct unet_rtl8139 *nic;
	int r;

	if (hub == NULL || config == NULL || nicp == NULL)
		return -EINVAL;
	unet_rtl8139_config_init(&cfg);
	r = unet__config_copy(&cfg, sizeof(cfg), config, config->size,
			      RTL8139_CONFIG_SIZE_V1);
	if (r < 0)
		return r;
	if (!rtl8139_config_ok(&cfg))
		return -EINVAL;
	nic = calloc(1, sizeof(*nic));
	if (nic == NULL)
		return -ENOMEM;
	nic->hub = hub;
	memcpy(&nic->cfg, &cfg, sizeof(nic->cfg));
	nic->cfg.size = sizeof(nic->cfg);
	nic->frame_max = unet_hub_frame_max(hub);
	nic->cp_buf = malloc(RTL_CP_HEADROOM + RTL_CP_BUF_MAX);
	nic->seg_buf = malloc(nic->frame_max);
	if (nic->cp_buf == NULL || nic->seg_buf == NULL) {
		free(nic->cp_buf);
		free(nic->seg_buf);
		free(nic);
		return -ENOMEM;
	}
	rtl8139_ee_init(&nic->ee, nic->cfg.mac);
	rtl8139_pci_reset(nic);
	rtl8139_autoload(nic);
	unet_port_init(&nic->port, &rtl8139_port_ops, id);
	r = unet_hub_attach(hub, &nic->port);
	if (r < 0) {
		unet_rtl8139_close(nic);
		return r;
	}
	*nicp = nic;
	return 0;
}

/**
 * unet_rtl8139_close() - take the model off its hub and free it
 * @nic: the model; may be NULL
 */
void unet_rtl8139_close(struct unet_rtl8139 *nic)
{
	if (nic == NULL)
		return;
	assert(nic->depth == 0);
	unet_hub_detach(&nic->port);
	free(nic->cp_buf);
	free(nic->seg_buf);
	free(nic);
}

/**
 * unet_rtl8139_reset() - a PCI reset
 * @nic: the model
 */
void unet_rtl8139_reset(struct unet_rtl8139 *nic)
{
	if (nic->in_dma > 0) {
		nic->stats.reentered++;
		return;
	}
	rtl8139_enter(nic);
	rtl8139_pci_reset(nic);
	rtl8139_autoload(nic);
	rtl8139_leave(nic);
}

/**
 * unet_rtl8139_port() - the model's port
 * @nic: the model
 *
 * Return: the port.
 */
struct unet_port *unet_rtl8139_port(struct unet_rtl8139 *nic)
{
	return &nic->port;
}

/**
 * unet_rtl8139_stats() - read the model's counters
 * @nic: the model
 * @stats: receives the counters; its @size set by the caller
 *
 * Return: 0; -EINVAL when @stats->size is below the struct's first size
 * (the caller did not set it).
 */
int unet_rtl8139_stats(const struct unet_rtl8139 *nic,
		       struct unet_rtl8139_stats *stats)
{
	return unet__stats_copy(stats, &nic->stats, sizeof(nic->stats),
				RTL_STATS_SIZE_V1);
}
