/* SPDX-License-Identifier: MIT */
/*
 * The tap port: frames between a hub and a tap interface, or any fd that
 * reads and writes one Ethernet frame per call (a datagram or seqpacket
 * socket works the same way and is what the unit tests use).
 *
 * Theory of operation: the fd is non-blocking and polled on the hub's loop.
 * It is polled for reading from the start; each wake-up reads up to
 * TAP_READ_BUDGET frames and pushes each into the hub, so one busy fd cannot
 * starve the rest of the loop. The read buffer is one byte longer than the
 * hub's longest frame, so that a frame the fd truncated to the buffer still
 * reads as "too long" and the hub drops and counts it.
 *
 * Frames from the hub are written straight away. A write that would block
 * returns -EAGAIN: the hub queues the frame on the port (bounded) and the port
 * polls for writability, then hands the queue back with unet_port_flush()
 * and stops polling for writability once the queue is empty.
 *
 * What can go wrong: a read error or end of file (the peer of an adopted
 * socket went away) is logged once and reading stops, so a dead fd cannot
 * make the loop spin; writes keep being tried, and fail into the hub's error
 * counter. A write error other than "would block" is returned to the hub,
 * which counts it. Sockets are written with MSG_NOSIGNAL, so a closed peer
 * gives EPIPE and never a SIGPIPE.
 *
 * Offloads: a tap opened with IFF_VNET_HDR (unet_tap_open() does so unless
 * told not to; an adopted fd is asked with TUNGETIFF) carries a 12-byte
 * virtio-net header before each frame, both ways. The port asks the kernel
 * (TUNSETOFFLOAD) to hand it frames with checksums left to do and TCP
 * segments up to 64 KiB (CSUM, TSO4, TSO6, TSO_ECN; USO4/6 too where the
 * kernel has them), falling back to fewer, then to none, when the kernel
 * refuses. What the header says goes into the hub as struct unet_offload
 * (unet_hub_input_offload()); the port takes such frames from the hub too
 * (the kernel accepts checksums left to do and GSO frames written to a
 * tap), so a guest's 64 KiB segment crosses the hub whole. The read buffer
 * then holds the header and a 64 KiB frame. UNET_TAP_NO_OFFLOAD keeps the
 * port to plain frames.
 *
 * The port's memory holds the uv_poll_t, so it is freed (and the fd closed)
 * only from the handle's close callback; the port never frees itself from
 * inside a delivery.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <linux/virtio_net.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <usernet/ports.h>

#include "hub_internal.h"

/* Frames read per wake-up, so that one busy fd leaves room for the others. */
#define TAP_READ_BUDGET 64

/*
 * The vnet header's size: virtio 1.0's (struct virtio_net_hdr_mrg_rxbuf),
 * whose last two bytes (num_buffers) a tap neither fills nor reads.
 */
#define TAP_VNET_HLEN 12

/* UDP segmentation offload, Linux 6.2 (older uapi headers lack them). */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#endif
#ifndef TUN_F_USO6
#define TUN_F_USO6 0x40
#endif

static_assert(UNET_OFFLOAD_F_NEEDS_CSUM == VIRTIO_NET_HDR_F_NEEDS_CSUM &&
		      UNET_OFFLOAD_F_DATA_VALID == VIRTIO_NET_HDR_F_DATA_VALID,
	      "offload flags are virtio's");
static_assert(UNET_GSO_TCPV4 == VIRTIO_NET_HDR_GSO_TCPV4 &&
		      UNET_GSO_TCPV6 == VIRTIO_NET_HDR_GSO_TCPV6 &&
		      UNET_GSO_ECN == VIRTIO_NET_HDR_GSO_ECN,
	      "GSO types are virtio's");
static_assert(sizeof(struct virtio_net_hdr) <= TAP_VNET_HLEN,
	      "the vnet header fits");

/**
 * struct tap_port - a tap attachment
 * @port: the hub's port, embedded
 * @poll: polls @fd on the hub's loop
 * @fd: the tap (or socket) fd, owned by the port
 * @events: the events @poll is started with now, 0 when stopped
 * @reading: reading is on (turned off for good by a read error or EOF)
 * @writing: frames are queued and the port waits for @fd to be writable
 * @is_socket: @fd is a socket: written with send(MSG_NOSIGNAL)
 * @empty_is_frame: a read of 0 bytes is an empty datagram, not end of file
 * @closing: the port is closed and waits for @poll's close callback
 * @vnet_len: the vnet header's length before each frame, 0 without one
 * @buf_len: size of @buf: the vnet header and the longest frame the port
 *           takes in (the hub's, or a GSO frame's with a header), plus one
 * @buf: the read buffer
 */
struct tap_port {
	struct unet_port port;
	uv_poll_t poll;
	int fd;
	int events;
	bool reading;
	bool writing;
	bool is_socket;
	bool empty_is_frame;
	bool closing;
	size_t vnet_len;
	size_t buf_len;
	unsigned char buf[];
};

static int tap_send(struct unet_port *port, const void *frame, size_t len);
static int tap_send_offload(struct unet_port *port, const void *frame,
			    size_t len, const struct unet_offload *off);
static void tap_close(struct unet_port *port);

static const struct unet_port_ops tap_ops = {
	.name = "tap",
	.send = tap_send,
	.close = tap_close,
	.send_offload = tap_send_offload,
};

static void tap_poll_cb(uv_poll_t *handle, int status, int events);

/* Start, change or stop polling to match @reading and @writing. */
static void tap_update_poll(struct tap_port *tp)
{
	int events = 0;
	int r;

	if (tp->closing)
		return;
	if (tp->reading)
		events |= UV_READABLE;
	if (tp->writing)
		events |= UV_WRITABLE;
	if (events == tp->events)
		return;
	if (events == 0)
		r = uv_poll_stop(&tp->poll);
	else
		r = uv_poll_start(&tp->poll, events, tap_poll_cb);
	if (r < 0) {
		unet_hub_log(tp->port.hub, UNET_LOG_ERROR,
			     "tap %s: cannot poll: %s", tp->port.id,
			     uv_strerror(r));
		return;
	}
	tp->events = events;
}

/* Stop reading for good after a read error (@err) or end of file (0). */
static void tap_read_stop(struct tap_port *tp, int err)
{
	unet_hub_log(tp->port.hub, UNET_LOG_ERROR,
		     "tap %s: %s, no longer reading", tp->port.id,
		     err != 0 ? strerror(err) : "end of file");
	tp->reading = false;
	tap_update_poll(tp);
}

/* A frame read after its vnet header: its facts go into the hub with it. */
static void tap_input_vnet(struct tap_port *tp, size_t len)
{
	struct virtio_net_hdr h;
	struct unet_offload off;

	if (len < tp->vnet_len) {
		tp->port.stats.drops[UNET_DROP_SHORT]++;
		return;
	}
	memcpy(&h, tp->buf, sizeof(h));
	/* The tap's header is in the host's order (no TUNSETVNETLE/BE). */
	off.flags = h.flags;
	off.gso_type = h.gso_type;
	off.hdr_len = h.hdr_len;
	off.gso_size = h.gso_size;
	off.csum_start = h.csum_start;
	off.csum_offset = h.csum_offset;
	unet_hub_input_offload(&tp->port, tp->buf + tp->vnet_len,
			       len - tp->vnet_len, &off);
}

/* Read up to TAP_READ_BUDGET frames into the hub. */
static void tap_read(struct tap_port *tp)
{
	unsigned int i;
	ssize_t n;
	size_t len;

	for (i = 0; i < TAP_READ_BUDGET; i++) {
		n = read(tp->fd, tp->buf, tp->buf_len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			tap_read_stop(tp, errno);
			return;
		}
		if (n == 0 && !tp->empty_is_frame) {
			tap_read_stop(tp, 0);
			return;
		}
		/*
		 * A tap may report the length of a frame it truncated; the
		 * hub drops anything past its maximum without reading it,
		 * but never name more bytes than the buffer holds.
		 */
		len = (size_t)n;
		if (len > tp->buf_len)
			len = tp->buf_len;
		if (tp->vnet_len != 0)
			tap_input_vnet(tp, len);
		else
			unet_hub_input(&tp->port, tp->buf, len);
		/* A port the frame reached may have closed or detached us. */
		if (tp->closing || tp->port.hub == NULL)
			return;
	}
}

static void tap_poll_cb(uv_poll_t *handle, int status, int events)
{
	struct tap_port *tp = container_of(handle, struct tap_port, poll);

	if (tp->closing)
		return;
	if (status < 0) {
		unet_hub_log(tp->port.hub, UNET_LOG_ERROR,
			     "tap %s: poll failed: %s, port stopped",
			     tp->port.id, uv_strerror(status));
		tp->reading = false;
		tp->writing = false;
		tap_update_poll(tp);
		return;
	}
	if ((events & UV_WRITABLE) && tp->writing &&
	    unet_port_flush(&tp->port) == 0) {
		tp->writing = false;
		tap_update_poll(tp);
	}
	if ((events & UV_READABLE) && tp->reading && !tp->closing)
		tap_read(tp);
}

/* Writes one frame, after a vnet header when the fd has one. */
static int tap_write(struct tap_port *tp, const void *frame, size_t len,
		     const struct unet_offload *off)
{
	unsigned char hdr[TAP_VNET_HLEN];
	struct virtio_net_hdr h;
	struct iovec iov[2];
	ssize_t n;
	size_t want = len;
	int err;

	do {
		if (tp->vnet_len != 0) {
			memset(&h, 0, sizeof(h));
			if (off != NULL) {
				h.flags = off->flags;
				h.gso_type = off->gso_type;
				h.hdr_len = off->hdr_len;
				h.gso_size = off->gso_size;
				h.csum_start = off->csum_start;
				h.csum_offset = off->csum_offset;
			}
			memset(hdr, 0, sizeof(hdr));
			memcpy(hdr, &h, sizeof(h));
			iov[0].iov_base = hdr;
			iov[0].iov_len = tp->vnet_len;
			iov[1].iov_base = (void *)frame;
			iov[1].iov_len = len;
			want = tp->vnet_len + len;
			n = writev(tp->fd, iov, 2);
		} else if (tp->is_socket) {
			n = send(tp->fd, frame, len, MSG_NOSIGNAL);
		} else {
			n = write(tp->fd, frame, len);
		}
	} while (n < 0 && errno == EINTR);
	if (n >= 0 && (size_t)n == want)
		return 0;
	err = n < 0 ? errno : EAGAIN;
	/*
	 * A frame-per-call fd never writes short; should one, the frame is
	 * offered again whole once the fd is writable.
	 */
	if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) {
		if (!tp->writing) {
			tp->writing = true;
			tap_update_poll(tp);
		}
		return -EAGAIN;
	}
	return -err;
}

static int tap_send(struct unet_port *port, const void *frame, size_t len)
{
	return tap_write(container_of(port, struct tap_port, port), frame, len,
			 NULL);
}

static int tap_send_offload(struct unet_port *port, const void *frame,
			    size_t len, const struct unet_offload *off)
{
	return tap_write(container_of(port, struct tap_port, port), frame, len,
			 off);
}

static void tap_close_cb(uv_handle_t *handle)
{
	struct tap_port *tp =
		container_of((uv_poll_t *)handle, struct tap_port, poll);

	close(tp->fd);
	free(tp);
}

static void tap_close(struct unet_port *port)
{
	struct tap_port *tp = container_of(port, struct tap_port, port);

	if (tp->closing)
		return;
	unet_hub_detach(port);
	tp->closing = true;
	uv_poll_stop(&tp->poll);
	uv_close((uv_handle_t *)&tp->poll, tap_close_cb);
}

/*
 * Sets up the vnet header of a tap opened with IFF_VNET_HDR: its size, and
 * the offloads the kernel may hand over (the most it accepts of CSUM, TSO
 * and USO; none with UNET_TAP_NO_OFFLOAD). Returns the port's
 * &unet_port.offload, or a negative errno when the header size is refused.
 */
static int tap_vnet_setup(int fd, unsigned int flags)
{
	static const unsigned int tries[] = {
		TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN |
			TUN_F_USO4 | TUN_F_USO6,
		TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN,
		TUN_F_CSUM,
		0,
	};
	int hlen = TAP_VNET_HLEN;
	size_t i;

	if (ioctl(fd, TUNSETVNETHDRSZ, &hlen) < 0)
		return -errno;
	for (i = (flags & UNET_TAP_NO_OFFLOAD) ? UNET__ARRAY_SIZE(tries) - 1 :
						 0;
	     i < UNET__ARRAY_SIZE(tries); i++) {
		if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)tries[i]) < 0)
			continue;
		if (flags & UNET_TAP_NO_OFFLOAD)
			return 0;
		/* Written to a tap, all of these are taken (USO: 6.2+). */
		return UNET_PORT_OFFLOAD_CSUM | UNET_PORT_OFFLOAD_TSO4 |
		       UNET_PORT_OFFLOAD_TSO6 |
		       ((tries[i] & TUN_F_USO4) ? UNET_PORT_OFFLOAD_USO : 0);
	}
	/* No TUNSETOFFLOAD at all: the kernel sends nothing offloaded. */
	return flags & UNET_TAP_NO_OFFLOAD ? 0 : UNET_PORT_OFFLOAD_CSUM;
}

/* Whether @fd is a tap opened with IFF_VNET_HDR. */
static bool tap_has_vnet(int fd)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	return ioctl(fd, TUNGETIFF, &ifr) == 0 &&
	       (ifr.ifr_flags & IFF_VNET_HDR) != 0;
}

/* Make a tap port around @fd, which it owns from now on, also on failure. */
static int tap_new(struct unet_hub *hub, const char *id, int fd,
		   unsigned int tflags, struct unet_port **portp)
{
	int offload = 0;
	bool vnet = false;
	struct tap_port *tp;
	struct stat st;
	size_t buf_len;
	int flags, type = 0;
	socklen_t optlen = sizeof(type);
	int r;

	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0 ||
	    fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	if (S_ISSOCK(st.st_mode) &&
	    (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &optlen) < 0 ||
	     type == SOCK_STREAM)) {
		/* A byte stream has no frame boundaries to keep. */
		close(fd);
		return -EINVAL;
	}
	if (!S_ISSOCK(st.st_mode) && tap_has_vnet(fd)) {
		offload = tap_vnet_setup(fd, tflags);
		if (offload < 0) {
			close(fd);
			return offload;
		}
		vnet = true;
	}
	buf_len = unet_hub_frame_max(hub) + 1;
	if (vnet)
		buf_len = TAP_VNET_HLEN + UNET_GSO_FRAME_MAX + 1;
	tp = calloc(1, sizeof(*tp) + buf_len);
	if (tp == NULL) {
		close(fd);
		return -ENOMEM;
	}
	unet_port_init(&tp->port, &tap_ops, id);
	tp->fd = fd;
	tp->buf_len = buf_len;
	tp->vnet_len = vnet ? TAP_VNET_HLEN : 0;
	tp->port.offload = (unsigned int)offload;
	tp->reading = true;
	tp->is_socket = S_ISSOCK(st.st_mode);
	/* Only a datagram socket carries empty frames; see tap_read(). */
	tp->empty_is_frame = tp->is_socket && type == SOCK_DGRAM;

	r = uv_poll_init(unet_hub_loop(hub), &tp->poll, fd);
	if (r < 0) {
		/* The handle was not initialised: free it here. */
		close(fd);
		free(tp);
		return r;
	}
	r = uv_poll_start(&tp->poll, UV_READABLE, tap_poll_cb);
	if (r == 0) {
		tp->events = UV_READABLE;
		r = unet_hub_attach(hub, &tp->port);
	}
	if (r < 0) {
		tap_close(&tp->port);
		return r;
	}
	*portp = &tp->port;
	return 0;
}

/**
 * unet_tap_adopt_ex() - attach an already-open tap fd, with flags
 * @hub: the hub to attach to
 * @id: the port's name
 * @fd: an fd that reads and writes one Ethernet frame per call (a tap opened
 *      with IFF_NO_PI, or a datagram/seqpacket socket); the port owns it from
 *      now on, also when this call fails
 * @flags: UNET_TAP_NO_OFFLOAD, or 0
 * @portp: receives the port
 *
 * The fd is made non-blocking. For a seqpacket socket or a tap, a read of
 * nothing means end of file: the port logs it and stops reading. For a
 * datagram socket it is an empty frame, dropped by the hub as too short.
 * A tap opened with IFF_VNET_HDR is used with its vnet header: the port
 * sets its size (12 bytes) and asks the kernel for offloads (none with
 * UNET_TAP_NO_OFFLOAD).
 *
 * Return: 0, -EBADF for a negative or closed @fd, -EINVAL for a NULL @hub
 * or @portp or a stream socket, -ENOMEM, the negative errno of a refused
 * vnet header size, or what libuv answers for an fd it cannot poll (-EPERM
 * for a regular file, -EEXIST for an fd the loop polls already).
 */
int unet_tap_adopt_ex(struct unet_hub *hub, const char *id, int fd,
		      unsigned int flags, struct unet_port **portp)
{
	if (fd < 0)
		return -EBADF;
	if (hub == NULL || portp == NULL) {
		close(fd);
		return -EINVAL;
	}
	return tap_new(hub, id, fd, flags, portp);
}

/**
 * unet_tap_adopt() - attach an already-open tap fd
 * @hub: the hub to attach to
 * @id: the port's name
 * @fd: as unet_tap_adopt_ex()'s; the port owns it from now on
 * @portp: receives the port
 *
 * unet_tap_adopt_ex() with no flags: a tap with a vnet header gets offloads.
 *
 * Return: as unet_tap_adopt_ex().
 */
int unet_tap_adopt(struct unet_hub *hub, const char *id, int fd,
		   struct unet_port **portp)
{
	return unet_tap_adopt_ex(hub, id, fd, 0, portp);
}

/**
 * unet_tap_open_ex() - open a tap interface by name, with flags
 * @hub: the hub to attach to
 * @id: the port's name (e.g. the -netdev id)
 * @ifname: the interface name; NULL or "" lets the kernel choose one; a
 *          "%d" in it is replaced by the kernel with a free number
 * @flags: UNET_TAP_NO_OFFLOAD (plain frames, no vnet header), or 0
 * @portp: receives the port
 *
 * Opens /dev/net/tun with IFF_TAP | IFF_NO_PI, and IFF_VNET_HDR unless
 * @flags has UNET_TAP_NO_OFFLOAD (or the kernel refuses it): the kernel
 * then hands over TCP segments up to 64 KiB with checksums left to do, and
 * takes them (see the file's theory of operation). The fd is non-blocking
 * and polled on the hub's loop; each wake-up reads many frames; a write
 * that would block queues the frame instead (bounded) and resumes when
 * writable. An interface this call creates is not persistent: it goes away
 * when the port is closed.
 *
 * Return: 0, or a negative errno: -EINVAL for a NULL @hub or @portp or a
 * name of UNET_IFNAME_MAX characters or more (or one the kernel refuses),
 * -ENOENT without /dev/net/tun, -EPERM without CAP_NET_ADMIN, -EBUSY when
 * the interface is already open elsewhere, -ENOMEM.
 */
int unet_tap_open_ex(struct unet_hub *hub, const char *id, const char *ifname,
		     unsigned int flags, struct unet_port **portp)
{
	struct ifreq ifr;
	size_t len = 0;
	int fd, r;

	if (hub == NULL || portp == NULL)
		return -EINVAL;
	memset(&ifr, 0, sizeof(ifr));
	if (ifname != NULL) {
		len = strnlen(ifname, sizeof(ifr.ifr_name));
		if (len >= sizeof(ifr.ifr_name))
			return -EINVAL;
		memcpy(ifr.ifr_name, ifname, len);
	}
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (!(flags & UNET_TAP_NO_OFFLOAD))
		ifr.ifr_flags |= IFF_VNET_HDR;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = ioctl(fd, TUNSETIFF, &ifr);
	if (r < 0 && errno == EINVAL && (ifr.ifr_flags & IFF_VNET_HDR)) {
		/* An existing interface made without a vnet header. */
		ifr.ifr_flags &= (short)~IFF_VNET_HDR;
		r = ioctl(fd, TUNSETIFF, &ifr);
	}
	if (r < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return tap_new(hub, id, fd, flags, portp);
}

/**
 * unet_tap_open() - open a tap interface by name, creating it when missing
 * @hub: the hub to attach to
 * @id: the port's name (e.g. the -netdev id)
 * @ifname: the interface name; NULL or "" lets the kernel choose one
 * @portp: receives the port
 *
 * unet_tap_open_ex() with no flags: with a vnet header and offloads.
 *
 * Return: as unet_tap_open_ex().
 */
int unet_tap_open(struct unet_hub *hub, const char *id, const char *ifname,
		  struct unet_port **portp)
{
	return unet_tap_open_ex(hub, id, ifname, 0, portp);
}

/**
 * unet_tap_ifname() - the interface name of a tap port
 * @port: a port made by unet_tap_open() or unet_tap_adopt()
 * @buf: receives the name, NUL-terminated
 * @len: size of @buf (UNET_IFNAME_MAX is enough)
 *
 * Asks the kernel (TUNGETIFF), so it also names an interface the kernel
 * named. Any failure of that question means the fd is not a tap.
 *
 * Return: 0, -EINVAL when @port is not a tap (or @port or @buf is NULL),
 * -ENOTTY when the fd is not a tap (an adopted socket), -ENOSPC when @buf is
 * too small.
 */
int unet_tap_ifname(const struct unet_port *port, char *buf, size_t len)
{
	const struct tap_port *tp;
	struct ifreq ifr;
	size_t n;

	if (port == NULL || buf == NULL || port->ops != &tap_ops)
		return -EINVAL;
	tp = container_of(port, const struct tap_port, port);
	if (tp->is_socket)
		return -ENOTTY;
	memset(&ifr, 0, sizeof(ifr));
	if (ioctl(tp->fd, TUNGETIFF, &ifr) < 0)
		return -ENOTTY;
	n = strnlen(ifr.ifr_name, sizeof(ifr.ifr_name));
	if (n >= len)
		return -ENOSPC;
	memcpy(buf, ifr.ifr_name, n);
	buf[n] = '\0';
	return 0;
}
