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

#endif /* USERNET_HUB_STREAM_PROTO_H */
