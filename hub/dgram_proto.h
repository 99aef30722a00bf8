/* SPDX-License-Identifier: MIT */
/*
 * Wire format of the datagram transports: QEMU's `-netdev socket,mcast=` and
 * `socket,udp=` (net/socket.c) and `-netdev dgram` (net/dgram.c), over UDP or
 * unix datagram sockets.
 *
 * Each datagram is one raw Ethernet frame: no header, no FCS, no padding.
 * QEMU receives into a NET_BUFSIZE buffer, so a larger datagram is truncated
 * there; usernet never sends more than its hub's largest frame.
 */
#ifndef USERNET_HUB_DGRAM_PROTO_H
#define USERNET_HUB_DGRAM_PROTO_H

/* QEMU's receive buffer for one datagram (NET_BUFSIZE). */
#define DGRAM_FRAME_MAX 69632
/* Multicast TTL: QEMU leaves the kernel's default of 1 (one segment). */
#define DGRAM_MCAST_TTL 1

#endif /* USERNET_HUB_DGRAM_PROTO_H */
