/* SPDX-License-Identifier: MIT */
/*
 * Wire format of the stream transports: QEMU's `-netdev socket,listen=` /
 * `connect=` and `-netdev stream` (net/socket.c, net/stream.c), which passt
 * speaks too, over TCP or a unix stream socket.
 *
 * Each frame is preceded by its length as a 4-byte big-endian integer; no
 * vnet header, no FCS, no padding. QEMU's receive buffer (NET_BUFSIZE) bounds
 * the length: a larger one makes QEMU drop the connection, and usernet does
 * the same. A length of 0 is never sent by QEMU and is a framing error.
 */
#ifndef USERNET_HUB_STREAM_PROTO_H
#define USERNET_HUB_STREAM_PROTO_H

/* Bytes of the length prefix before every frame. */
#define STREAM_HDR_LEN 4
/* Largest frame length on the wire: QEMU's NET_BUFSIZE (4096 + 65536). */
#define STREAM_FRAME_MAX 69632

/*
 * usernet's offload extension (offload=on at both ends; never QEMU's).
 *
 * A port that offers it sends a hello as an ordinary frame when its
 * connection comes up: to STREAM_HELLO_DST, EtherType STREAM_HELLO_TYPE
 * (IEEE's local experimental one), the payload STREAM_HELLO_MAGIC, one byte
 * of version (1) and one of the UNET_PORT_OFFLOAD_* bits its side takes
 * whole, zeros up to the 60-byte minimum frame, before any other record.
 * A peer that offers it takes a hello only as the connection's first
 * record (so a guest behind QEMU can't forge one) and keeps it out of its
 * hub; QEMU passes it on like any frame, and
 * its guests drop it (a link-local group no NIC joins, an unknown type).
 *
 * Only after the peer's hello does a port send frames with facts. Such a
 * record has STREAM_F_OFFLOAD set in its length prefix, which QEMU's
 * lengths (at most STREAM_FRAME_MAX) never have, and its length counts a
 * STREAM_OFF_LEN-byte header before the frame:
 *   flags (1), gso_type (1), hdr_len (2), gso_size (2), csum_start (2),
 *   csum_offset (2), zero (2)
 * big-endian, the values of struct unet_offload. A port that offers the
 * extension accepts such records from its peer at any time, checks them
 * like a tap's, and still takes ordinary records.
 */
#define STREAM_F_OFFLOAD 0x80000000u
#define STREAM_OFF_LEN 12
#define STREAM_HELLO_TYPE 0x88b5
#define STREAM_HELLO_MAGIC "usernet-offload"
#define STREAM_HELLO_MAGIC_LEN 15
#define STREAM_HELLO_VERSION 1
/* The offset of the hello's version byte; its bits follow. */
#define STREAM_HELLO_VERSION_OFF (14 + STREAM_HELLO_MAGIC_LEN)
#define STREAM_HELLO_LEN 60

#endif /* USERNET_HUB_STREAM_PROTO_H */
