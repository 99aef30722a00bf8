/* SPDX-License-Identifier: MIT */
/*
 * usernet rtl8139: a register-level model of the Realtek RTL8139C / C+ that a
 * VMM, emulator or sandbox embeds to give its guest a NIC the guest's stock
 * driver knows (Linux 8139too in normal mode, 8139cp in C+ mode).
 *
 * The model is a port on a hub: what the guest transmits goes to the hub,
 * what the hub delivers lands in the guest's receive ring. The embedder
 * forwards the guest's register and PCI configuration accesses, and gives
 * the model callbacks that read and write guest memory (DMA) and drive the
 * interrupt line. Every access to guest memory goes through those two
 * callbacks, and only while the guest enabled bus mastering.
 *
 * Threading: like the rest of the library, one thread. Calls into a model
 * must not overlap, and a callback of the model must not close it.
 */
#ifndef USERNET_RTL8139_H
#define USERNET_RTL8139_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <usernet/hub.h>

#ifdef __cplusplus
extern "C" {
#endif

/** PCI revision of the RTL8139C+ (C+ mode; QEMU's default, Linux 8139cp). */
#define UNET_RTL8139_REV_CPLUS 0x20
/** PCI revision of the RTL8139C (normal mode only; Linux 8139too). */
#define UNET_RTL8139_REV_C 0x10
/** Size of the register window behind BAR0 (I/O) and BAR1 (memory). */
#define UNET_RTL8139_REGS_SIZE 256
/** Size of the PCI configuration space. */
#define UNET_RTL8139_PCI_CONFIG_SIZE 256

/**
 * typedef unet_rtl8139_dma_read_cb - read guest memory for the device
 * @opaque: &unet_rtl8139_config.opaque
 * @addr: guest physical (bus) address
 * @buf: where the bytes go
 * @len: how many, at least 1
 *
 * Return: 0 when all @len bytes were read, a negative errno (-EFAULT) when
 * any of them lies outside what the guest owns; the model then uses none.
 */
typedef int (*unet_rtl8139_dma_read_cb)(void *opaque, uint64_t addr,
					void *buf, size_t len);

/**
 * typedef unet_rtl8139_dma_write_cb - write guest memory for the device
 * @opaque: &unet_rtl8139_config.opaque
 * @addr: guest physical (bus) address
 * @buf: the bytes
 * @len: how many, at least 1
 *
 * Return: 0 when all @len bytes were written, a negative errno (-EFAULT)
 * when any of them lies outside what the guest owns (write none then).
 */
typedef int (*unet_rtl8139_dma_write_cb)(void *opaque, uint64_t addr,
					 const void *buf, size_t len);

/**
 * typedef unet_rtl8139_set_irq_cb - drive the device's interrupt line (INTA)
 * @opaque: &unet_rtl8139_config.opaque
 * @level: true to assert the (level-triggered) line, false to release it
 *
 * Called only when the level changes, at the end of the call into the model
 * that changed it (never from inside a DMA callback).
 */
typedef void (*unet_rtl8139_set_irq_cb)(void *opaque, bool level);

/**
 * struct unet_rtl8139_config - how to build a model
 * @size: sizeof(struct unet_rtl8139_config), see hub.h on versioned
 *        configurations
 * @mac: the MAC address the EEPROM holds (default 52:54:00:12:34:56,
 *       QEMU's first NIC); neither multicast nor all zeros
 * @revision: PCI revision, UNET_RTL8139_REV_CPLUS (0x20, the default: C+
 *            mode available) or UNET_RTL8139_REV_C (0x10: normal mode only)
 * @dma_read: reads guest memory (required)
 * @dma_write: writes guest memory (required)
 * @set_irq: drives the interrupt line (may be NULL for an embedder that
 *           polls unet_rtl8139_irq_level())
 * @opaque: passed to the three callbacks
 */
struct unet_rtl8139_config {
	size_t size;
	uint8_t mac[6];
	uint8_t revision;
	unet_rtl8139_dma_read_cb dma_read;
	unet_rtl8139_dma_write_cb dma_write;
	unet_rtl8139_set_irq_cb set_irq;
	void *opaque;
};

/**
 * struct unet_rtl8139_stats - counters of one model
 * @size: sizeof(struct unet_rtl8139_stats), set by the caller (see hub.h on
 *        versioned counters)
 * @tx_frames: frames the guest sent (to the hub, or looped back)
 * @tx_bytes: bytes of those frames
 * @tx_segments: frames made by TCP segmentation offload (within @tx_frames)
 * @tx_errors: transmissions aborted: a DMA failure, a normal mode size above
 *             1792, a C+ frame too long to assemble or a TSO request whose
 *             headers do not check out
 * @tx_dropped: frames not sent: shorter than an Ethernet header, or longer
 *              than the hub's largest frame
 * @tx_bad_offload: checksum or TSO requests whose headers did not check out
 *                  against the frame (the checksums that did not fit were
 *                  skipped and the others filled in; a TSO frame was
 *                  dropped)
 * @rx_frames: frames written to the guest
 * @rx_bytes: bytes of those frames (without the CRC)
 * @rx_filtered: frames RCR and the multicast filter did not want
 * @rx_disabled: frames that came while the receiver was off
 * @rx_missed: frames dropped for want of room: normal ring full, or no free
 *             C+ descriptor (RDU)
 * @rx_too_long: frames longer than the normal ring takes (1518 bytes) or
 *               than the C+ descriptor's buffer
 * @dma_errors: DMA the callbacks refused (the model raised SERR)
 * @dma_blocked: DMA not attempted because bus mastering was off
 * @ring_limit: descriptor walks stopped at the per-poll bound (64)
 * @reentered: register writes, resets and frames from the hub refused
 *             because they came from inside one of the model's DMA
 *             callbacks
 */
struct unet_rtl8139_stats {
	size_t size;
	uint64_t tx_frames;
	uint64_t tx_bytes;
	uint64_t tx_segments;
	uint64_t tx_errors;
	uint64_t tx_dropped;
	uint64_t tx_bad_offload;
	uint64_t rx_frames;
	uint64_t rx_bytes;
	uint64_t rx_filtered;
	uint64_t rx_disabled;
	uint64_t rx_missed;
	uint64_t rx_too_long;
	uint64_t dma_errors;
	uint64_t dma_blocked;
	uint64_t ring_limit;
	uint64_t reentered;
};

struct unet_rtl8139;

/**
 * unet_rtl8139_config_init() - fill a configuration with the defaults
 * @config: the configuration; the callbacks are left NULL
 */
UNET_EXTERN void unet_rtl8139_config_init(struct unet_rtl8139_config *config);

/**
 * unet_rtl8139_new() - make an RTL8139 and attach it to a hub
 * @hub: the hub
 * @id: the port's name (e.g. the -device id)
 * @config: the configuration, filled by unet_rtl8139_config_init() first;
 *          copied, so the caller keeps it
 * @nicp: receives the model, which the caller owns until
 *        unet_rtl8139_close() (or unet_hub_close())
 *
 * The model starts as after power-on: PCI command register 0 (no I/O, memory
 * or bus mastering until the guest's firmware or OS turns them on), BARs 0,
 * the MAC loaded from the EEPROM, receiver and transmitter off.
 *
 * Return: 0; -EINVAL for a bad configuration (missing DMA callbacks, a
 * multicast or zero MAC, another revision, a @size below the first
 * release's); -E2BIG for a @size above this library's whose extra bytes are
 * not zero; -ENOMEM.
 */
UNET_EXTERN int unet_rtl8139_new(struct unet_hub *hub, const char *id,
				 const struct unet_rtl8139_config *config,
				 struct unet_rtl8139 **nicp);

/**
 * unet_rtl8139_close() - take the model off its hub and free it
 * @nic: the model; may be NULL
 *
 * unet_hub_close() closes models still attached: do not close one again
 * after its hub was closed. The interrupt line is left as it is.
 */
UNET_EXTERN void unet_rtl8139_close(struct unet_rtl8139 *nic);

/**
 * unet_rtl8139_reset() - a PCI reset (power-on, or the VMM's system reset)
 * @nic: the model
 *
 * Resets the configuration space and every register, reloads the MAC from
 * the EEPROM (whose contents are non-volatile and stay), drops a frame
 * being assembled and releases the interrupt line. Refused (and counted
 * as &unet_rtl8139_stats.reentered) from inside a DMA callback.
 */
UNET_EXTERN void unet_rtl8139_reset(struct unet_rtl8139 *nic);

/**
 * unet_rtl8139_io_read() - the guest reads the register window
 * @nic: the model
 * @offset: offset in the 256-byte window (BAR0 and BAR1 decode the same
 *          registers)
 * @size: 1, 2 or 4 bytes; need not be aligned, and may span registers
 *
 * The embedder decodes the BARs (and honours the PCI command register's
 * I/O and memory enable bits) and passes only the offset.
 *
 * Return: the value, little-endian as the bus carries it; all ones for a
 * bad @size or an access not wholly inside the window.
 */
UNET_EXTERN uint32_t unet_rtl8139_io_read(struct unet_rtl8139 *nic,
					  uint64_t offset, unsigned int size);

/**
 * unet_rtl8139_io_write() - the guest writes the register window
 * @nic: the model
 * @offset: offset in the 256-byte window
 * @size: 1, 2 or 4 bytes; need not be aligned, and may span registers
 * @value: the value, in its low @size bytes
 *
 * A write may transmit (and so put frames on the hub, which may answer
 * before this returns) and change the interrupt line.
 *
 * Return: 0; -EINVAL for a bad @size, -ERANGE for an access not wholly
 * inside the window, -EBUSY when called from inside one of the model's DMA
 * callbacks (a guest aiming DMA at the device itself); nothing is written
 * then, and the last case is counted in &unet_rtl8139_stats.reentered.
 */
UNET_EXTERN int unet_rtl8139_io_write(struct unet_rtl8139 *nic,
				      uint64_t offset, unsigned int size,
				      uint32_t value);

/**
 * unet_rtl8139_pci_config_read() - the guest reads PCI configuration space
 * @nic: the model
 * @offset: offset in the 256-byte configuration space
 * @size: 1, 2 or 4 bytes
 *
 * Vendor 10ec, device 8139, class 020000, the configured revision, BAR0 I/O
 * 256 bytes, BAR1 memory 256 bytes, interrupt pin A, no capabilities.
 *
 * Return: the value; all ones for a bad @size or an access outside.
 */
UNET_EXTERN uint32_t unet_rtl8139_pci_config_read(struct unet_rtl8139 *nic,
						  uint32_t offset,
						  unsigned int size);

/**
 * unet_rtl8139_pci_config_write() - the guest writes PCI configuration space
 * @nic: the model
 * @offset: offset in the 256-byte configuration space
 * @size: 1, 2 or 4 bytes
 * @value: the value, in its low @size bytes
 *
 * Writable: the command register (I/O, memory, bus master, parity, SERR,
 * INTx disable), the status register's error bits (write 1 to clear), cache
 * line size, latency timer, the BARs' address bits (writing all ones and
 * reading back gives the size mask) and the interrupt line. Without bus
 * mastering the model does no DMA; with INTx disabled it does not assert
 * its interrupt line.
 *
 * Return: 0; -EINVAL for a bad @size, -ERANGE for an access outside.
 */
UNET_EXTERN int unet_rtl8139_pci_config_write(struct unet_rtl8139 *nic,
					      uint32_t offset,
					      unsigned int size,
					      uint32_t value);

/**
 * unet_rtl8139_run_timer() - bring the TCTR / TimerInt interrupt up to date
 * @nic: the model
 *
 * TCTR counts the 33 MHz PCI clock on the hub's clock (unet_hub_now_ns());
 * when it passes TimerInt the model raises ISR.TimeOut. Register reads of
 * ISR do this on their own; an embedder whose guest relies on the timer
 * interrupt calls this at (or after) the returned time.
 *
 * Return: the hub time, in nanoseconds, at which the timer next fires, or
 * 0 when TimerInt is 0 (no timer).
 */
UNET_EXTERN uint64_t unet_rtl8139_run_timer(struct unet_rtl8139 *nic);

/**
 * unet_rtl8139_irq_level() - the level of the interrupt line
 * @nic: the model
 *
 * Return: true while ISR & IMR is not zero and INTx is not disabled.
 */
UNET_EXTERN bool unet_rtl8139_irq_level(const struct unet_rtl8139 *nic);

/**
 * unet_rtl8139_port() - the model's port on its hub
 * @nic: the model
 *
 * Return: the port (for its counters and its name), part of the model and
 * valid until it is closed.
 */
UNET_EXTERN struct unet_port *unet_rtl8139_port(struct unet_rtl8139 *nic);

/**
 * unet_rtl8139_stats() - read the model's counters
 * @nic: the model
 * @stats: receives the counters; its @size set by the caller
 *
 * Return: 0; -EINVAL when @stats->size is below the struct's first size
 * (the caller did not set it).
 */
UNET_EXTERN UNET_MUST_CHECK int
unet_rtl8139_stats(const struct unet_rtl8139 *nic,
		   struct unet_rtl8139_stats *stats);

#ifdef __cplusplus
}
#endif

#endif /* USERNET_RTL8139_H */
