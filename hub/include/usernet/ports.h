/* SPDX-License-Identifier: MIT */
/*
 * usernet attachments: ports that carry a hub's frames to and from the
 * outside world. Each is created attached to a hub and released with
 * unet_port_close() (or by unet_hub_close()).
 */
#ifndef USERNET_PORTS_H
#define USERNET_PORTS_H

#include <usernet/hub.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Largest length of a network interface name, with its NUL (IFNAMSIZ). */
#define UNET_IFNAME_MAX 16

/**
 * unet_tap_open() - open a tap interface by name, creating it when missing
 * @hub: the hub to attach to
 * @id: the port's name (e.g. the -netdev id)
 * @ifname: the interface name; NULL or "" lets the kernel choose one
 * @portp: receives the port
 *
 * Opens /dev/net/tun with IFF_TAP | IFF_NO_PI. The fd is non-blocking and
 * polled on the hub's loop; each wake-up reads many frames; a write that
 * would block queues the frame instead (bounded) and resumes when writable.
 *
 * Return: 0, or a negative errno (-EPERM without CAP_NET_ADMIN, ...).
 */
UNET_EXTERN int unet_tap_open(struct unet_hub *hub, const char *id,
			      const char *ifname, struct unet_port **portp);

/**
 * unet_tap_adopt() - attach an already-open tap fd
 * @hub: the hub to attach to
 * @id: the port's name
 * @fd: an fd that reads and writes one Ethernet frame per call (a tap opened
 *      with IFF_NO_PI, or a datagram/seqpacket socket); the port owns it from
 *      now on, also when this call fails
 * @portp: receives the port
 *
 * Return: 0, or a negative errno.
 */
UNET_EXTERN int unet_tap_adopt(struct unet_hub *hub, const char *id, int fd,
			       struct unet_port **portp);

/**
 * unet_tap_ifname() - the interface name of a tap port
 * @port: a port made by unet_tap_open() or unet_tap_adopt()
 * @buf: receives the name, NUL-terminated
 * @len: size of @buf (UNET_IFNAME_MAX is enough)
 *
 * Return: 0, -EINVAL when @port is not a tap, -ENOTTY when the fd is not a
 * tap (an adopted socket), -ENOSPC when @buf is too small.
 */
UNET_EXTERN int unet_tap_ifname(const struct unet_port *port, char *buf,
				size_t len);

/**
 * unet_dump_open() - write every frame on the hub to a pcap file
 * @hub: the hub to attach to
 * @id: the port's name
 * @path: the file, created or truncated
 * @snaplen: bytes kept of each frame; 0 keeps whole frames
 * @portp: receives the port
 *
 * The file is a classic pcap file (DLT_EN10MB) written with libpcap and
 * flushed after every frame, so it can be read while usernet runs.
 * Timestamps come from the hub's clock.
 *
 * Return: 0, or a negative errno (the file could not be created).
 */
UNET_EXTERN int unet_dump_open(struct unet_hub *hub, const char *id,
			       const char *path, size_t snaplen,
			       struct unet_port **portp);

#ifdef __cplusplus
}
#endif

#endif /* USERNET_PORTS_H */
