/* SPDX-License-Identifier: MIT */
/*
 * The RTL8139C(+) on the wire and on the bus: PCI identity and configuration
 * space, the 256-byte register window, the 93C46 EEPROM protocol, the normal
 * mode receive header, the C+ mode descriptors, the tally counter dump, and
 * the padding and CRC of received frames. Every constant the model uses for
 * guest-visible state lives here and nowhere else; the Ethernet, IPv4, TCP
 * and UDP headers the offloads read are wire/'s (hub/wire/include/wire/).
 *
 * Sources: Realtek's RTL8139C and RTL8139C+ datasheets, and what Linux
 * 8139too / 8139cp, FreeBSD rl / re and QEMU's hw/net/rtl8139.c rely on.
 */
#ifndef USERNET_RTL8139_PROTO_H
#define USERNET_RTL8139_PROTO_H

/* ---- PCI ------------------------------------------------------------- */

#define RTL_PCI_VENDOR		0x10ec
#define RTL_PCI_DEVICE		0x8139
#define RTL_PCI_CLASS_NET	0x02	/* base class: network controller */
#define RTL_PCI_SUBCLASS_ETH	0x00	/* sub-class: Ethernet */
#define RTL_PCI_REV_C		0x10	/* RTL8139C: 8139too, normal mode */
#define RTL_PCI_REV_CPLUS	0x20	/* RTL8139C+: Linux 8139cp, C+ mode */
#define RTL_PCI_MIN_GNT		0x20
#define RTL_PCI_MAX_LAT		0x40
#define RTL_PCI_CONFIG_SIZE	256

/* Configuration space offsets (type 0 header). */
#define RTL_PCI_VENDOR_ID	0x00
#define RTL_PCI_DEVICE_ID	0x02
#define RTL_PCI_COMMAND		0x04
#define RTL_PCI_STATUS		0x06
#define RTL_PCI_REVISION	0x08
#define RTL_PCI_PROG_IF		0x09
#define RTL_PCI_SUBCLASS	0x0a
#define RTL_PCI_CLASS		0x0b
#define RTL_PCI_CACHE_LINE	0x0c
#define RTL_PCI_LATENCY		0x0d
#define RTL_PCI_HEADER_TYPE	0x0e
#define RTL_PCI_BAR0		0x10	/* I/O, the register window */
#define RTL_PCI_BAR1		0x14	/* memory, the same registers */
#define RTL_PCI_SUBSYS_VENDOR	0x2c
#define RTL_PCI_SUBSYS_ID	0x2e
#define RTL_PCI_INT_LINE	0x3c
#define RTL_PCI_INT_PIN		0x3d
#define RTL_PCI_MIN_GNT_REG	0x3e
#define RTL_PCI_MAX_LAT_REG	0x3f

/* Command register bits. */
#define RTL_PCI_CMD_IO		0x0001
#define RTL_PCI_CMD_MEM		0x0002
#define RTL_PCI_CMD_MASTER	0x0004
#define RTL_PCI_CMD_MWI		0x0010
#define RTL_PCI_CMD_PARITY	0x0040
#define RTL_PCI_CMD_SERR	0x0100
#define RTL_PCI_CMD_INTX_OFF	0x0400
#define RTL_PCI_CMD_WRITABLE	(RTL_PCI_CMD_IO | RTL_PCI_CMD_MEM | \
				 RTL_PCI_CMD_MASTER | RTL_PCI_CMD_MWI | \
				 RTL_PCI_CMD_PARITY | RTL_PCI_CMD_SERR | \
				 RTL_PCI_CMD_INTX_OFF)

/* Status register bits. */
#define RTL_PCI_STS_INTX	0x0008	/* the function asks for an interrupt */
#define RTL_PCI_STS_FAST_B2B	0x0080
#define RTL_PCI_STS_DEVSEL_MED	0x0200
#define RTL_PCI_STS_MASTER_ABORT 0x2000	/* received master abort (DMA failed) */
#define RTL_PCI_STS_W1C		0xf900	/* error bits, write 1 to clear */

/* BARs: both windows are 256 bytes. */
#define RTL_PCI_BAR_IO_FLAG	0x01
#define RTL_PCI_BAR_ADDR_MASK	0xffffff00u
#define RTL_PCI_INT_PIN_A	0x01

/* ---- The register window -------------------------------------------- */

#define RTL_REGS_SIZE		256

#define RTL_IDR0	0x00	/* 6 x b: MAC address */
#define RTL_MAR0	0x08	/* 8 x b: multicast filter */
#define RTL_TSD0	0x10	/* 4 x l: transmit status (normal mode) */
#define RTL_DTCCR	0x10	/* 2 x l: dump tally counters (C+ mode) */
#define RTL_TSAD0	0x20	/* 4 x l: transmit start address (normal) */
#define RTL_TNPDS	0x20	/* 2 x l: C+ normal priority TX ring */
#define RTL_THPDS	0x28	/* 2 x l: C+ high priority TX ring */
#define RTL_RBSTART	0x30	/* l: receive ring (normal mode) */
#define RTL_ERBCR	0x34	/* w: early receive byte count */
#define RTL_ERSR	0x36	/* b: early receive status */
#define RTL_CR		0x37	/* b: command */
#define RTL_CAPR	0x38	/* w: current address of packet read - 16 */
#define RTL_CBR		0x3a	/* w: current buffer address (write) */
#define RTL_IMR		0x3c	/* w: interrupt mask */
#define RTL_ISR		0x3e	/* w: interrupt status, write 1 to clear */
#define RTL_TCR		0x40	/* l: transmit configuration */
#define RTL_RCR		0x44	/* l: receive configuration */
#define RTL_TCTR	0x48	/* l: timer count (33 MHz) */
#define RTL_MPC		0x4c	/* l: missed packet counter, 24 bits */
#define RTL_MPC_MASK	0x00ffffff
#define RTL_9346CR	0x50	/* b: EEPROM command */
#define RTL_CONFIG0	0x51
#define RTL_CONFIG1	0x52
#define RTL_TIMERINT	0x54	/* l: timer interrupt at this TCTR value */
#define RTL_MSR		0x58	/* b: media status */
#define RTL_CONFIG3	0x59
#define RTL_CONFIG4	0x5a
#define RTL_HLTCLK	0x5b	/* b: halt clock (old chips only) */
#define RTL_MULINT	0x5c	/* w: multiple interrupt select */
#define RTL_RERID	0x5e	/* b: revision */
#define RTL_TSAD_SUM	0x60	/* w: transmit status of all descriptors */
#define RTL_BMCR	0x62	/* w: PHY basic mode control */
#define RTL_BMSR	0x64	/* w: PHY basic mode status */
#define RTL_ANAR	0x66	/* w: autonegotiation advertisement */
#define RTL_ANLPAR	0x68	/* w: link partner ability */
#define RTL_ANER	0x6a	/* w: autonegotiation expansion */
#define RTL_DIS		0x6c	/* w: disconnect counter */
#define RTL_FCSC	0x6e	/* w: false carrier sense counter */
#define RTL_NWAYTR	0x70	/* w: N-way test */
#define RTL_REC		0x72	/* w: RX_ER counter */
#define RTL_CSCR	0x74	/* w: chip status and configuration */
#define RTL_PHY1_PARM	0x78	/* l */
#define RTL_TW_PARM	0x7c	/* l: twister parameters */
#define RTL_PHY2_PARM	0x80	/* b */
#define RTL_CONFIG5	0xd8
#define RTL_TPPOLL	0xd9	/* b: C+ transmit poll */
#define RTL_CPCR	0xe0	/* w: C+ command */
#define RTL_INTRMIT	0xe2	/* w: C+ interrupt mitigation */
#define RTL_RDSAR	0xe4	/* 2 x l: C+ receive ring */
#define RTL_ETTHR	0xec	/* b: C+ early transmit threshold */
#define RTL_FER		0xf0	/* l: CardBus function event */
#define RTL_FEMR	0xf4	/* l: CardBus function event mask */
#define RTL_FPSR	0xf8	/* l: CardBus function present state */
#define RTL_FFER	0xfc	/* l: CardBus function force event */

/* CR */
#define RTL_CR_RST	0x10
#define RTL_CR_RE	0x08
#define RTL_CR_TE	0x04
#define RTL_CR_BUFE	0x01	/* read only: the receive ring is empty */

/* IMR / ISR */
#define RTL_INT_ROK	0x0001
#define RTL_INT_RER	0x0002
#define RTL_INT_TOK	0x0004
#define RTL_INT_TER	0x0008
#define RTL_INT_RXOVW	0x0010	/* normal: ring overflow; C+: RDU */
#define RTL_INT_RDU	0x0010
#define RTL_INT_LINKCHG	0x0020
#define RTL_INT_FOVW	0x0040
#define RTL_INT_TDU	0x0080	/* C+: no transmit descriptor */
#define RTL_INT_SWINT	0x0100	/* C+: software interrupt */
#define RTL_INT_LENCHG	0x2000
#define RTL_INT_TIMEOUT	0x4000
#define RTL_INT_SERR	0x8000
#define RTL_IMR_WRITABLE 0xe1ff

/* TSD (normal mode transmit status) */
#define RTL_TSD_SIZE_MASK 0x00001fff
#define RTL_TSD_OWN	0x00002000	/* 1: the driver owns it, DMA done */
#define RTL_TSD_TUN	0x00004000
#define RTL_TSD_TOK	0x00008000
#define RTL_TSD_ERTXTH	0x003f0000
#define RTL_TSD_TABT	0x40000000
#define RTL_TSD_WRITABLE (RTL_TSD_SIZE_MASK | RTL_TSD_OWN | RTL_TSD_ERTXTH)
#define RTL_TX_NORMAL_MAX 1792		/* largest normal mode frame */
#define RTL_TX_DESCS	4

/* TSAD summary register (0x60) */
#define RTL_TSADS_OWN(n)  (1u << (n))
#define RTL_TSADS_TABT(n) (1u << (4 + (n)))
#define RTL_TSADS_TUN(n)  (1u << (8 + (n)))
#define RTL_TSADS_TOK(n)  (1u << (12 + (n)))

/* TCR */
#define RTL_TCR_CLRABT	0x00000001
#define RTL_TCR_LBK_MASK 0x00060000
#define RTL_TCR_LBK_ON	0x00060000	/* loopback: TX goes to our own RX */
#define RTL_TCR_WRITABLE 0x030707f0
#define RTL_TCR_HWVER_C	    0x74000000	/* RTL8139C */
#define RTL_TCR_HWVER_CPLUS 0x74800000	/* RTL8139C+ */

/* RCR */
#define RTL_RCR_AAP	0x00000001	/* accept all physical addresses */
#define RTL_RCR_APM	0x00000002	/* accept physical match */
#define RTL_RCR_AM	0x00000004	/* accept multicast (hash) */
#define RTL_RCR_AB	0x00000008	/* accept broadcast */
#define RTL_RCR_AR	0x00000010	/* accept runt */
#define RTL_RCR_AER	0x00000020	/* accept error */
#define RTL_RCR_WRAP	0x00000080	/* 1: write past the ring end */
#define RTL_RCR_RBLEN_SHIFT 11
#define RTL_RCR_RBLEN_MASK  0x3
#define RTL_RCR_WRITABLE 0x0f03ffbf

/* Normal mode receive ring */
#define RTL_RX_RING_MIN	8192		/* RBLEN 0; 8K << RBLEN */
#define RTL_RX_RING_MAX	65536
#define RTL_CAPR_BIAS	16		/* CAPR = read pointer - 16 */
#define RTL_RX_HDR_LEN	4		/* status, length */
#define RTL_RX_NORMAL_MAX 1518		/* longest frame taken, without CRC */
#define RTL_RXS_ROK	0x0001
#define RTL_RXS_BAR	0x2000
#define RTL_RXS_PAM	0x4000
#define RTL_RXS_MAR	0x8000

/* 9346CR and the 93C46 EEPROM */
#define RTL_EEM_MASK	0xc0
#define RTL_EEM_NORMAL	0x00
#define RTL_EEM_AUTOLOAD 0x40
#define RTL_EEM_PROGRAM	0x80
#define RTL_EEM_CONFIG	0xc0		/* CONFIG registers writable */
#define RTL_EE_CS	0x08
#define RTL_EE_SK	0x04
#define RTL_EE_DI	0x02
#define RTL_EE_DO	0x01
#define RTL_9346CR_WRITABLE 0xce
#define RTL_EE_WORDS	64
#define RTL_EE_ADDR_BITS 6
#define RTL_EE_CMD_BITS	(2 + RTL_EE_ADDR_BITS)	/* opcode, address */
#define RTL_EE_DATA_BITS 16
#define RTL_EE_OP_READ	0x2
#define RTL_EE_OP_WRITE	0x1
#define RTL_EE_OP_ERASE	0x3
#define RTL_EE_OP_EXT	0x0		/* the address's top bits select: */
#define RTL_EE_EXT_EWDS	0x0
#define RTL_EE_EXT_WRAL	0x1
#define RTL_EE_EXT_ERAL	0x2
#define RTL_EE_EXT_EWEN	0x3
#define RTL_EE_ID	0x8129		/* word 0 */
#define RTL_EE_W_ID	0
#define RTL_EE_W_VENDOR	1
#define RTL_EE_W_DEVICE	2
#define RTL_EE_W_SUBVENDOR 3
#define RTL_EE_W_SUBSYS	4
#define RTL_EE_W_MAC	7		/* words 7..9, each little-endian */

/* CONFIGx reset values and the bits a driver may change (9346CR = 11) */
#define RTL_CONFIG1_RESET 0x0c		/* IOMAP | MEMMAP */
#define RTL_CONFIG1_WRITABLE 0xf3
#define RTL_CONFIG3_RESET 0x01		/* fast back-to-back */
#define RTL_CONFIG3_WRITABLE 0x70
#define RTL_CONFIG4_WRITABLE 0xf5
#define RTL_CONFIG5_WRITABLE 0x7f	/* not behind the 9346CR lock */
#define RTL_MULINT_WRITABLE 0x0fff

/* The PHY: link up, 100 Mb/s full duplex, autonegotiation complete. */
#define RTL_MSR_LINK_UP	0xd0		/* LINKB (bit 2) clear */
#define RTL_BMCR_VALUE	0x3100		/* 100 Mb/s, autoneg, full duplex */
#define RTL_BMCR_RESET	0x8000		/* PHY to defaults; self-clearing */
#define RTL_BMCR_ANRESTART 0x0200	/* renegotiate; self-clearing */
#define RTL_BMSR_VALUE	0x782d		/* abilities, autoneg done, link */
#define RTL_ANAR_RESET	0x05e1
#define RTL_ANLPAR_VALUE 0x45e1
#define RTL_ANER_VALUE	0x0001
#define RTL_CSCR_VALUE	0x0340

/* TPPoll */
#define RTL_TPPOLL_HPQ	0x80
#define RTL_TPPOLL_NPQ	0x40
#define RTL_TPPOLL_FSWINT 0x01

/* CPCR */
#define RTL_CPCR_TXENB	0x0001
#define RTL_CPCR_RXENB	0x0002
#define RTL_CPCR_MULRW	0x0008
#define RTL_CPCR_DAC	0x0010
#define RTL_CPCR_RXCHKSUM 0x0020
#define RTL_CPCR_RXVLAN	0x0040
#define RTL_CPCR_WRITABLE 0x007b

/* DTCCR: the counters are dumped to a 64-byte aligned address. */
#define RTL_DTCCR_CMD	0x00000008
#define RTL_DTCCR_ADDR_MASK 0xffffffc0u
#define RTL_TALLY_LEN	64
#define RTL_TALLY_TXOK	0	/* le64 */
#define RTL_TALLY_RXOK	8	/* le64 */
#define RTL_TALLY_TXERR	16	/* le64 */
#define RTL_TALLY_RXERR	24	/* le32 */
#define RTL_TALLY_MISSPKT 28	/* le16 */
#define RTL_TALLY_FAE	30	/* le16 */
#define RTL_TALLY_TX1COL 32	/* le32 */
#define RTL_TALLY_TXMCOL 36	/* le32 */
#define RTL_TALLY_RXOKPHY 40	/* le64 */
#define RTL_TALLY_RXOKBRD 48	/* le64 */
#define RTL_TALLY_RXOKMUL 56	/* le32 */
#define RTL_TALLY_TXABT	60	/* le16 */
#define RTL_TALLY_TXUNDRN 62	/* le16 */

/* C+ descriptors: 16 bytes, little-endian dw0, dw1, buffer address. */
#define RTL_DESC_LEN	16
#define RTL_DESC_OWN	0x80000000u	/* 1: the device owns it */
#define RTL_DESC_EOR	0x40000000u	/* last of the ring */
#define RTL_DESC_FS	0x20000000u
#define RTL_DESC_LS	0x10000000u
/*
 * A C+ ring holds at most 64 descriptors (the RTL8139C+'s limit; 1024 is
 * the RTL8169's). After the 64th the index wraps to the first even without
 * EOR, as QEMU's model wraps its transmit ring.
 */
#define RTL_RING_MAX	64
#define RTL_RING_WALK_MAX 64		/* descriptors handled per poll */

/* C+ transmit dw0 / dw1 */
#define RTL_TXD_LGSEN	0x08000000u	/* large send (TSO) */
#define RTL_TXD_MSS_SHIFT 16
#define RTL_TXD_MSS_MASK 0x7ff		/* bits 26:16, with LGSEN */
#define RTL_TXD_IPCS	0x00040000u	/* without LGSEN */
#define RTL_TXD_UDPCS	0x00020000u
#define RTL_TXD_TCPCS	0x00010000u
#define RTL_TXD_LEN_MASK 0x0000ffffu
#define RTL_TXD_UNF	0x02000000u	/* status written back: */
#define RTL_TXD_TES	0x00800000u	/* error summary */
#define RTL_TXD_OWC	0x00400000u
#define RTL_TXD_LNKF	0x00200000u
#define RTL_TXD_EXC	0x00100000u
#define RTL_TXD_STATUS	(RTL_TXD_UNF | RTL_TXD_TES | RTL_TXD_OWC | \
			 RTL_TXD_LNKF | RTL_TXD_EXC)
#define RTL_TXD1_TAGC	0x00020000u	/* insert the VLAN tag below */
#define RTL_TXD1_TCI_MASK 0x0000ffffu	/* TCI, big-endian in the LE word */

/* C+ receive dw0 / dw1 */
#define RTL_RXD_BUF_MASK 0x00001fffu	/* buffer size; length when done */
#define RTL_RXD_FAE	0x08000000u
#define RTL_RXD_MAR	0x04000000u
#define RTL_RXD_PAM	0x02000000u
#define RTL_RXD_BAR	0x01000000u
#define RTL_RXD_FOVF	0x00400000u
#define RTL_RXD_RWT	0x00200000u	/* too long for the buffer */
#define RTL_RXD_RES	0x00100000u	/* error summary */
#define RTL_RXD_RUNT	0x00080000u
#define RTL_RXD_CRC	0x00040000u
#define RTL_RXD_PID_SHIFT 16		/* bits 17:16, protocol id */
#define RTL_RXD_PID_NONE 0
#define RTL_RXD_PID_TCP	1
#define RTL_RXD_PID_UDP	2
#define RTL_RXD_PID_IP	3
#define RTL_RXD_IPF	0x00008000u	/* IP checksum failed */
#define RTL_RXD_UDPF	0x00004000u
#define RTL_RXD_TCPF	0x00002000u
#define RTL_RXD1_TAVA	0x00010000u	/* a VLAN tag was stripped */
#define RTL_RXD1_TCI_MASK 0x0000ffffu

/* Timer: TCTR counts the 33 MHz PCI clock. */
#define RTL_PCI_CLOCK_HZ 33000000u

/* ---- The frames the chip receives --------------------------------- */

#define RTL_ETH_ZLEN 60 /* shorter frames are padded to this */
#define RTL_ETH_CRC_LEN 4 /* the FCS the chip appends */

#endif /* USERNET_RTL8139_PROTO_H */
