/* SPDX-License-Identifier: MIT */
/*
 * The pcapng blocks the replay port writes (the pcapng specification,
 * draft-ietf-opsawg-pcapng): a Section Header Block, one Interface
 * Description Block for Ethernet with nanosecond timestamps, and an
 * Enhanced Packet Block per frame with its direction in epb_flags.
 *
 * pcapng is written in the writer's byte order (the byte-order magic says
 * which), so these fields are host-order. A block's total length is written
 * at its start and again at its end; an EPB's frame is padded to 4 bytes
 * between its head and tail.
 */
#ifndef USERNET_HUB_PCAPNG_PROTO_H
#define USERNET_HUB_PCAPNG_PROTO_H

#include <stdint.h>

/* Block types and the byte-order magic. */
#define PCAPNG_SHB 0x0a0d0d0au
#define PCAPNG_IDB 0x00000001u
#define PCAPNG_EPB 0x00000006u
#define PCAPNG_BYTE_ORDER 0x1a2b3c4du
/* Options. */
#define PCAPNG_OPT_END 0
#define PCAPNG_OPT_IF_TSRESOL 9
#define PCAPNG_OPT_EPB_FLAGS 2
#define PCAPNG_TSRESOL_NS 9 /* 10^-9 s */
/* epb_flags: the direction. */
#define PCAPNG_FLAG_INBOUND 1u
#define PCAPNG_FLAG_OUTBOUND 2u
#define PCAPNG_LINKTYPE_ETHERNET 1

/**
 * struct pcapng_shb - a Section Header Block without options
 * @type: PCAPNG_SHB
 * @len: the block's length
 * @magic: PCAPNG_BYTE_ORDER
 * @major: version 1
 * @minor: version 0
 * @section_len: the section's length, all ones for unknown
 * @len2: the block's length again
 */
struct pcapng_shb {
	uint32_t type;
	uint32_t len;
	uint32_t magic;
	uint16_t major;
	uint16_t minor;
	uint64_t section_len;
	uint32_t len2;
} __attribute__((packed));

/**
 * struct pcapng_idb - an Interface Description Block with if_tsresol
 * @type: PCAPNG_IDB
 * @len: the block's length
 * @linktype: PCAPNG_LINKTYPE_ETHERNET
 * @reserved: zero
 * @snaplen: 0, no limit
 * @tsresol_code: PCAPNG_OPT_IF_TSRESOL
 * @tsresol_len: 1
 * @tsresol: PCAPNG_TSRESOL_NS
 * @tsresol_pad: zero, to 4 bytes
 * @opt_end: PCAPNG_OPT_END with length 0
 * @len2: the block's length again
 */
struct pcapng_idb {
	uint32_t type;
	uint32_t len;
	uint16_t linktype;
	uint16_t reserved;
	uint32_t snaplen;
	uint16_t tsresol_code;
	uint16_t tsresol_len;
	uint8_t tsresol;
	uint8_t tsresol_pad[3];
	uint32_t opt_end;
	uint32_t len2;
} __attribute__((packed));

/**
 * struct pcapng_epb_head - an Enhanced Packet Block up to its frame
 * @type: PCAPNG_EPB
 * @len: the block's length, head, padded frame and tail
 * @iface: the interface, 0
 * @ts_high: the timestamp's upper 32 bits (ns)
 * @ts_low: its lower 32 bits
 * @caplen: the bytes of the frame in the block
 * @origlen: the frame's length on the wire
 */
struct pcapng_epb_head {
	uint32_t type;
	uint32_t len;
	uint32_t iface;
	uint32_t ts_high;
	uint32_t ts_low;
	uint32_t caplen;
	uint32_t origlen;
} __attribute__((packed));

/**
 * struct pcapng_epb_tail - an Enhanced Packet Block after its frame
 * @flags_code: PCAPNG_OPT_EPB_FLAGS
 * @flags_len: 4
 * @flags: PCAPNG_FLAG_INBOUND or _OUTBOUND
 * @opt_end: PCAPNG_OPT_END with length 0
 * @len2: the block's length again
 */
struct pcapng_epb_tail {
	uint16_t flags_code;
	uint16_t flags_len;
	uint32_t flags;
	uint32_t opt_end;
	uint32_t len2;
} __attribute__((packed));

_Static_assert(sizeof(struct pcapng_shb) == 28, "pcapng SHB");
_Static_assert(sizeof(struct pcapng_idb) == 32, "pcapng IDB");
_Static_assert(sizeof(struct pcapng_epb_head) == 28, "pcapng EPB head");
_Static_assert(sizeof(struct pcapng_epb_tail) == 16, "pcapng EPB tail");

#endif /* USERNET_HUB_PCAPNG_PROTO_H */
