/* SPDX-License-Identifier: MIT */
/*
 * The vxlan port: the hub's frames over VXLAN (RFC 7348), interoperating
 * with the Linux kernel's vxlan device, so that one Ethernet segment spans
 * hosts (see vxlan_proto.h for the wire format).
 *
 * Theory of operation
 *
 * One non-blocking UDP socket, bound to the local address (or any) and the
 * VXLAN port, carries everything: datagrams from any remote come in on it
 * and every frame leaves from it, so a remote that learns our address
 * learns the one that receives. A group, when given, is joined on that
 * socket (on dev=, if named), with multicast loopback off so our own
 * floods do not come back.
 *
 * Sending a frame: a unicast destination that the FDB (vxlan_fdb.c) knows
 * goes to its remote only; everything else (broadcast, multicast, unknown
 * unicast) is flooded: one datagram to each configured remote (head-end
 * replication) and one to the group. The header and the frame go out with
 * one sendmsg() each, no copy. A socket that is full turns the first
 * datagram of a frame into -EAGAIN: the hub queues the frame (bounded) and
 * the port polls for writability, then flushes; a flood that fills the
 * socket part way loses the rest of its copies (counted), since the hub
 * cannot queue a part of a frame.
 *
 * Receiving: each wake-up reads up to VXLAN_READ_BUDGET datagrams into one
 * buffer a byte longer than the header plus the hub's longest frame
 * (MSG_TRUNC reports a datagram's real length, so a longer one reads as
 * too long). vxlan_codec.c judges each; what is not a frame of our VNI is
 * dropped and counted by reason. A good frame's source MAC is learned
 * against the remote it came from; the remote's port is the configured
 * remote's at the same address, else the VXLAN port (the kernel's devices
 * send from a hashed source port and listen on the VXLAN port).
 *
 * Ageing: lookups ignore (and remove) entries older than the ageing time;
 * a timer on the hub's clock sweeps the table every half ageing time so
 * that stale entries give their slots back. On a virtual clock, ageing
 * follows unet_hub_clock_advance().
 *
 * Inner MTU: read once at open (see unet_vxlan_open() in ports.h). Frames
 * above it are dropped on the way out, so no datagram needs fragments.
 *
 * What can go wrong: ICMP errors of earlier sends surface as receive errors
 * and are skipped; a remote that is not there makes sends fail (logged,
 * rate-limited, counted); any other receive error is logged and reading
 * stops, so a broken socket cannot make the loop spin.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <usernet/ports.h>

#include "wire/cursor.h"

#include "wire/config_copy.h"
#include "link_internal.h"
#include "vxlan_codec.h"
#include "vxlan_fdb.h"

/* The size of struct unet_vxlan_stats when it got its size field. */
#define VXLAN_STATS_SIZE_V1 \
	UNET__CONFIG_SIZE_TO(struct unet_vxlan_stats, underlay_mtu)

/* The size of struct unet_vxlan_config in 0.1.0, its first release. */
#define VXLAN_CONFIG_SIZE_V1 \
	UNET__CONFIG_SIZE_TO(struct unet_vxlan_config, ageing_s)

/* Datagrams read per wake-up, so that one busy socket leaves room. */
#define VXLAN_READ_BUDGET 64
/* The TTL of what goes to the group: 1, as the kernel's `ttl auto`. */
#define VXLAN_MCAST_TTL 1
/* Socket buffers asked for: room for bursts of large frames. */
#define VXLAN_SOCK_BUF (4 << 20)

/**
 * struct vxlan_port - a VXLAN attachment
 * @port: the hub's port, embedded
 * @poll: polls @fd
 * @ageing: sweeps the FDB every half ageing time
 * @fd: the UDP socket
 * @events: the events @poll is started with
 * @family: the underlay's address family
 * @vni: the VNI
 * @port_nbo: the VXLAN port, network order
 * @learning: learn source addresses
 * @reading: reading is on (off for good after a receive error)
 * @writing: frames are queued and the port waits for @fd to be writable
 * @failing: sends fail (logged when it starts and when it stops)
 * @closing: the port is closed and waits for its handles' close callbacks
 * @handles: handles whose close callback is still to come
 * @n_remotes: how many of @remotes are used
 * @remotes: the configured unicast remotes
 * @has_group: @group is set
 * @group: the multicast group
 * @self: the socket's own address, to skip our own datagrams
 * @inner_mtu: the largest IP packet a frame carries across
 * @stats: the port's own counters
 * @rl: rate limit of the messages peers can trigger
 * @fdb: the learned addresses
 * @buf_len: size of @buf: header plus the hub's longest frame plus one
 * @buf: the receive buffer
 */
struct vxlan_port {
	struct unet_port port;
	uv_poll_t poll;
	struct unet_timer ageing;
	int fd;
	int events;
	int family;
	uint32_t vni;
	uint16_t port_nbo;
	bool learning;
	bool reading;
	bool writing;
	bool failing;
	bool closing;
	unsigned int handles;
	unsigned int n_remotes;
	union unet__vxlan_addr remotes[UNET_VXLAN_REMOTES_MAX];
	bool has_group;
	union unet__vxlan_addr group;
	union unet__vxlan_addr self;
	unsigned int inner_mtu;
	struct unet_vxlan_stats stats;
	struct unet__ratelimit rl;
	struct unet__vxlan_fdb fdb;
	size_t buf_len;
	unsigned char buf[];
};

static int vxlan_send(struct unet_port *port, const void *frame, size_t len);
static void vxlan_close(struct unet_port *port);

static const struct unet_port_ops vxlan_ops = {
	.name = "vxlan",
	.send = vxlan_send,
	.close = vxlan_close,
};

static void vxlan_poll_cb(uv_poll_t *handle, int status, int events);

static socklen_t vxlan_addr_len(const union unet__vxlan_addr *a)
{
	return a->sa.sa_family == AF_INET6 ? sizeof(a->in6) : sizeof(a->in);
}

static const char *vxlan_addr_str(const union unet__vxlan_addr *a, char *buf,
				  size_t size)
{
	return unet__addr_str(&a->sa, vxlan_addr_len(a), buf, size);
}

/* Poll for what @reading and @writing ask for. */
static void vxlan_update_poll(struct vxlan_port *vp)
{
	int events = (vp->reading ? UV_READABLE : 0) |
		     (vp->writing ? UV_WRITABLE : 0);
	int r;

	if (vp->closing || events == vp->events)
		return;
	if (events == 0)
		r = uv_poll_stop(&vp->poll);
	else
		r = uv_poll_start(&vp->poll, events, vxlan_poll_cb);
	if (r < 0) {
		unet_hub_log(vp->port.hub, UNET_LOG_ERROR,
			     "vxlan %s: cannot poll: %s", vp->port.id,
			     uv_strerror(r));
		return;
	}
	vp->events = events;
}

/* The endpoint to learn for a datagram from @src: a configured remote at
 * that address if there is one, else the address at the VXLAN port (at
 * the source's own port when the VXLAN port is 0, kernel-chosen). */
static void vxlan_learn_addr(const struct vxlan_port *vp,
			     const union unet__vxlan_addr *src,
			     union unet__vxlan_addr *out)
{
	unsigned int i;

	for (i = 0; i < vp->n_remotes; i++)
		if (unet__vxlan_addr_equal(&vp->remotes[i], src)) {
			*out = vp->remotes[i];
			return;
		}
	for (i = 0; i < vp->n_remotes; i++) {
		const union unet__vxlan_addr *r = &vp->remotes[i];

		if (src->sa.sa_family == AF_INET &&
		    r->in.sin_addr.s_addr == src->in.sin_addr.s_addr) {
			*out = *r;
			return;
		}
		if (src->sa.sa_family == AF_INET6 &&
		    !memcmp(&r->in6.sin6_addr, &src->in6.sin6_addr,
			    sizeof(r->in6.sin6_addr))) {
			*out = *r;
			return;
		}
	}
	*out = *src;
	if (vp->port_nbo == 0)
		return;	/* no VXLAN port configured: answer the source's */
	if (out->sa.sa_family == AF_INET6)
		out->in6.sin6_port = vp->port_nbo;
	else
		out->in.sin_port = vp->port_nbo;
}

/* One datagram from @src, @n bytes long (more than @buf_len: truncated). */
static void vxlan_input(struct vxlan_port *vp, size_t n,
			const union unet__vxlan_addr *src)
{
	const size_t frame_max = unet_hub_frame_max(vp->port.hub);
	enum unet__vxlan_decap verdict;
	union unet__vxlan_addr from;
	const struct wire_eth *eth;
	char a[UNET__ADDRSTR_MAX];
	struct unet_cursor c;
	const uint8_t *frame;
	size_t frame_len;

	/* A longer datagram was cut to the buffer, which is one byte longer
	 * than the longest frame with its header: it decodes as too long. */
	if (n > vp->buf_len)
		n = vp->buf_len;
	verdict = unet__vxlan_decap(vp->buf, n, vp->vni, frame_max, &frame,
				    &frame_len);
	switch (verdict) {
	case UNET__VXLAN_DECAP_OK:
		break;
	case UNET__VXLAN_DECAP_SHORT:
		vp->stats.rx_short++;
		goto drop;
	case UNET__VXLAN_DECAP_FLAGS:
		vp->stats.rx_flags++;
		goto drop;
	case UNET__VXLAN_DECAP_VNI:
		vp->stats.rx_other_vni++;
		goto drop;
	case UNET__VXLAN_DECAP_RUNT:
		vp->stats.rx_runt++;
		goto drop;
	case UNET__VXLAN_DECAP_LONG:
	default:
		vp->stats.rx_too_long++;
		goto drop;
	}
	c = cursor_init(frame, frame_len);
	eth = cursor_take_hdr(&c, struct wire_eth);
	if (eth == NULL) {	/* the codec checked; kept for the reader */
		vp->stats.rx_runt++;
		return;
	}
	if (vp->learning) {
		vxlan_learn_addr(vp, src, &from);
		switch (unet__vxlan_fdb_learn(&vp->fdb, eth->src, &from,
					      unet_hub_now_ns(vp->port.hub))) {
		case UNET__VXLAN_LEARN_NEW:
		case UNET__VXLAN_LEARN_MOVED:
			vp->stats.learned++;
			break;
		case UNET__VXLAN_LEARN_FULL:
			vp->stats.fdb_full++;
			break;
		default:
			break;
		}
	}
	unet_hub_input(&vp->port, frame, frame_len);
	return;
drop:
	unet__log_limited(vp->port.hub, &vp->rl, UNET_LOG_DEBUG,
			  "vxlan %s: dropped a datagram from %s (%s)",
			  vp->port.id, vxlan_addr_str(src, a, sizeof(a)),
			  verdict == UNET__VXLAN_DECAP_VNI ? "another VNI" :
			  verdict == UNET__VXLAN_DECAP_LONG ? "frame too long" :
							      "malformed");
}

/* Read up to VXLAN_READ_BUDGET datagrams into the hub. */
static void vxlan_read(struct vxlan_port *vp)
{
	union unet__vxlan_addr src;
	socklen_t src_len;
	unsigned int i;
	ssize_t n;

	for (i = 0; i < VXLAN_READ_BUDGET; i++) {
		memset(&src, 0, sizeof(src));
		src_len = sizeof(src);
		n = recvfrom(vp->fd, vp->buf, vp->buf_len,
			     MSG_TRUNC | MSG_DONTWAIT, &src.sa, &src_len);
		if (n < 0) {
			if (errno == EINTR || unet__udp_soft_error(errno))
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			unet_hub_log(vp->port.hub, UNET_LOG_ERROR,
				     "vxlan %s: %s, no longer reading",
				     vp->port.id, strerror(errno));
			vp->reading = false;
			vxlan_update_poll(vp);
			return;
		}
		if (unet__vxlan_addr_equal(&src, &vp->self))
			continue;	/* our own flood, looped back */
		vxlan_input(vp, (size_t)n, &src);
		if (vp->closing || vp->port.hub == NULL)
			return;
	}
}

static void vxlan_poll_cb(uv_poll_t *handle, int status, int events)
{
	struct vxlan_port *vp = handle->data;

	if (vp->closing)
		return;
	if (status < 0) {
		unet_hub_log(vp->port.hub, UNET_LOG_ERROR,
			     "vxlan %s: poll failed: %s, port stopped",
			     vp->port.id, uv_strerror(status));
		vp->reading = false;
		vp->writing = false;
		vxlan_update_poll(vp);
		return;
	}
	if ((events & UV_WRITABLE) && vp->writing &&
	    unet_port_flush(&vp->port) == 0 && !vp->closing) {
		vp->writing = false;
		vxlan_update_poll(vp);
	}
	if ((events & UV_READABLE) && vp->reading && !vp->closing)
		vxlan_read(vp);
}

/* One datagram, header and frame, to @to. Return: 0 or a negative errno. */
static int vxlan_send_one(struct vxlan_port *vp,
			  const union unet__vxlan_addr *to,
			  const struct vxlan_hdr *hdr, const void *frame,
			  size_t len)
{
	struct iovec iov[2] = {
		{ .iov_base = (void *)hdr, .iov_len = sizeof(*hdr) },
		{ .iov_base = (void *)frame, .iov_len = len },
	};
	struct msghdr msg = {
		.msg_name = (void *)&to->sa,
		.msg_namelen = vxlan_addr_len(to),
		.msg_iov = iov,
		.msg_iovlen = 2,
	};
	ssize_t n;

	do {
		n = sendmsg(vp->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	vp->stats.tx_datagrams++;
	return 0;
}

/* A send to @to failed with @err (not a full socket). */
static void vxlan_send_failed(struct vxlan_port *vp,
			      const union unet__vxlan_addr *to, int err)
{
	char a[UNET__ADDRSTR_MAX];

	vp->stats.tx_errors++;
	if (vp->failing)
		return;
	vp->failing = true;
	unet__log_limited(vp->port.hub, &vp->rl, UNET_LOG_WARN,
			  "vxlan %s: cannot send to %s: %s (frames dropped until it works)",
			  vp->port.id, vxlan_addr_str(to, a, sizeof(a)),
			  strerror(-err));
}

static void vxlan_send_works(struct vxlan_port *vp)
{
	if (!vp->failing)
		return;
	vp->failing = false;
	unet__log_limited(vp->port.hub, &vp->rl, UNET_LOG_INFO,
			  "vxlan %s: sending works again", vp->port.id);
}

/* The socket is full: have the hub queue the frame, poll for room. */
static int vxlan_wait_writable(struct vxlan_port *vp)
{
	if (!vp->writing) {
		vp->writing = true;
		vxlan_update_poll(vp);
	}
	return -EAGAIN;
}

/* The longest frame that fits the inner MTU: tagged frames get their tag. */
static size_t vxlan_frame_fits(const struct vxlan_port *vp,
			       const struct wire_eth *eth)
{
	size_t max = (size_t)vp->inner_mtu + sizeof(*eth);

	if (wire_eth_type(eth) == WIRE_ETHTYPE_VLAN)
		max += WIRE_VLAN_HLEN;
	return max;
}

static int vxlan_send(struct unet_port *port, const void *frame, size_t len)
{
	struct vxlan_port *vp = container_of(port, struct vxlan_port, port);
	struct unet_cursor c = cursor_init(frame, len);
	const union unet__vxlan_addr *to = NULL;
	const struct wire_eth *eth;
	struct vxlan_hdr hdr;
	unsigned int i, sent = 0;
	int r, err = 0;

	eth = cursor_take_hdr(&c, struct wire_eth);
	if (eth == NULL)
		return -EINVAL;	/* the hub passes no such frame */
	if (len > vxlan_frame_fits(vp, eth)) {
		vp->stats.tx_too_long++;
		return 0;	/* dropped, counted here */
	}
	unet__vxlan_encap_hdr(&hdr, vp->vni);
	if (vp->learning && !wire_eth_is_group(eth->dst))
		to = unet__vxlan_fdb_lookup(&vp->fdb, eth->dst,
					    unet_hub_now_ns(port->hub));
	if (to != NULL) {
		r = vxlan_send_one(vp, to, &hdr, frame, len);
		if (r == -EAGAIN || r == -ENOBUFS)
			return vxlan_wait_writable(vp);
		if (r < 0) {
			vxlan_send_failed(vp, to, r);
			return r;
		}
		vxlan_send_works(vp);
		vp->stats.tx_unicast++;
		return 0;
	}
	/* Flood: every remote, then the group. */
	for (i = 0; i <= vp->n_remotes; i++) {
		const union unet__vxlan_addr *dst =
			i < vp->n_remotes ? &vp->remotes[i] :
			vp->has_group ? &vp->group : NULL;

		if (dst == NULL)
			break;
		r = vxlan_send_one(vp, dst, &hdr, frame, len);
		if ((r == -EAGAIN || r == -ENOBUFS) && sent == 0)
			return vxlan_wait_writable(vp);
		if (r < 0) {
			if (r != -EAGAIN && r != -ENOBUFS)
				vxlan_send_failed(vp, dst, r);
			else
				vp->stats.tx_errors++;
			err = r;
			continue;
		}
		sent++;
	}
	if (sent == 0)
		return err != 0 ? err : -EIO;
	vxlan_send_works(vp);
	vp->stats.tx_flooded++;
	return 0;
}

static void vxlan_free(struct vxlan_port *vp)
{
	if (vp->fd >= 0)
		close(vp->fd);
	free(vp);
}

static void vxlan_closed(uv_handle_t *handle)
{
	struct vxlan_port *vp = handle->data;

	if (--vp->handles == 0)
		vxlan_free(vp);
}

static void vxlan_close(struct unet_port *port)
{
	struct vxlan_port *vp = container_of(port, struct vxlan_port, port);

	if (vp->closing)
		return;
	unet_hub_detach(port);
	vp->closing = true;
	if (vp->handles == 0) {
		vxlan_free(vp);
		return;
	}
	unet_timer_close(&vp->ageing, vxlan_closed);
	if (vp->handles > 1) {
		uv_poll_stop(&vp->poll);
		uv_close((uv_handle_t *)&vp->poll, vxlan_closed);
	}
}

static void vxlan_ageing_cb(struct unet_timer *timer)
{
	struct vxlan_port *vp = container_of(timer, struct vxlan_port, ageing);

	unet__vxlan_fdb_expire(&vp->fdb, unet_hub_now_ns(vp->port.hub));
	unet_timer_start(&vp->ageing, vxlan_ageing_cb,
			 vp->fdb.ageing_ns / 2000000u);
}

/* Copy one configured address, defaulting its port to the VXLAN port. */
static int vxlan_take_addr(const struct sockaddr_storage *ss, uint16_t port,
			   union unet__vxlan_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (ss->ss_family == AF_INET) {
		memcpy(&out->in, ss, sizeof(out->in));
		if (out->in.sin_port == 0)
			out->in.sin_port = htons(port);
		return 0;
	}
	if (ss->ss_family == AF_INET6) {
		memcpy(&out->in6, ss, sizeof(out->in6));
		if (out->in6.sin6_port == 0)
			out->in6.sin6_port = htons(port);
		return 0;
	}
	return -EAFNOSUPPORT;
}

/* The underlay's MTU: dev='s, else the route's toward @to. 0: unknown. */
static unsigned int vxlan_underlay_mtu(const struct vxlan_port *vp,
				       const char *dev,
				       const union unet__vxlan_addr *to)
{
	struct ifreq ifr;
	socklen_t len;
	int fd, mtu = 0;

	if (dev[0] != '\0') {
		memset(&ifr, 0, sizeof(ifr));
		snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
		if (ioctl(vp->fd, SIOCGIFMTU, &ifr) == 0)
			return ifr.ifr_mtu > 0 ? (unsigned int)ifr.ifr_mtu : 0;
		return 0;
	}
	fd = socket(vp->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return 0;
	len = sizeof(mtu);
	if (connect(fd, &to->sa, vxlan_addr_len(to)) < 0 ||
	    getsockopt(fd, vp->family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
		       vp->family == AF_INET6 ? IPV6_MTU : IP_MTU, &mtu,
		       &len) < 0)
		mtu = 0;
	close(fd);
	return mtu > 0 ? (unsigned int)mtu : 0;
}

/* The inner MTU from the underlay's; warn when the hub's does not fit. */
static void vxlan_set_mtu(struct vxlan_port *vp, struct unet_hub *hub,
			  const char *dev)
{
	const union unet__vxlan_addr *to =
		vp->n_remotes > 0 ? &vp->remotes[0] : &vp->group;
	unsigned int hub_mtu = unet_hub_mtu(hub);
	unsigned int under, cap, overhead;
	char a[UNET__ADDRSTR_MAX];

	under = vxlan_underlay_mtu(vp, dev, to);
	vp->stats.underlay_mtu = under;
	vp->inner_mtu = hub_mtu;
	if (under == 0) {
		unet_hub_log(hub, UNET_LOG_WARN,
			     "vxlan %s: cannot read the underlay's MTU; frames up to the hub's MTU %u are sent, which needs an underlay MTU of %u",
			     vp->port.id, hub_mtu,
			     hub_mtu + (vp->family == AF_INET6 ?
						VXLAN_OVERHEAD_IP6 :
						VXLAN_OVERHEAD_IP4));
		return;
	}
	overhead = vp->family == AF_INET6 ? VXLAN_OVERHEAD_IP6 :
					    VXLAN_OVERHEAD_IP4;
	cap = vp->family == AF_INET6 ? VXLAN_IP6_TOTAL_MAX :
				       VXLAN_IP4_TOTAL_MAX;
	if (under < cap)
		cap = under;
	cap = cap > overhead ? cap - overhead : 0;
	if (hub_mtu <= cap)
		return;
	vp->inner_mtu = cap;
	unet_hub_log(hub, UNET_LOG_WARN,
		     "vxlan %s: the hub's MTU %u does not fit the underlay (MTU %u %s %s): the inner MTU is %u (%s - %u); larger frames are dropped. Set the hub's MTU to %u (--mtu %u)",
		     vp->port.id, hub_mtu, under,
		     dev[0] != '\0' ? "on" : "toward",
		     dev[0] != '\0' ? dev : vxlan_addr_str(to, a, sizeof(a)),
		     cap, cap + overhead < under ? "the largest IP packet" :
						    "underlay",
		     overhead, cap, cap);
}

/* Open, bind and set up the socket; join the group. */
static int vxlan_open_socket(struct vxlan_port *vp,
			     const struct unet_vxlan_config *cfg)
{
	union unet__vxlan_addr local;
	unsigned int ifindex = 0;
	int one = 1, buf = VXLAN_SOCK_BUF;
	socklen_t len;
	int r;

	if (cfg->dev[0] != '\0') {
		ifindex = if_nametoindex(cfg->dev);
		if (ifindex == 0)
			return -ENODEV;
	}
	memset(&local, 0, sizeof(local));
	if (cfg->local_len > 0) {
		r = vxlan_take_addr(&cfg->local, 0, &local);
		if (r < 0)
			return r;
	}
	local.sa.sa_family = (sa_family_t)vp->family;
	if (vp->family == AF_INET6)
		local.in6.sin6_port = vp->port_nbo;
	else
		local.in.sin_port = vp->port_nbo;

	vp->fd = socket(vp->family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			0);
	if (vp->fd < 0)
		return -errno;
	if (vp->family == AF_INET6) {
		r = unet__setsockopt(vp->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one,
				     sizeof(one));
		if (r < 0)
			return r;
	}
	/* Larger buffers help; a smaller limit is not an error. */
	(void)unet__setsockopt(vp->fd, SOL_SOCKET, SO_RCVBUF, &buf,
			       sizeof(buf));
	(void)unet__setsockopt(vp->fd, SOL_SOCKET, SO_SNDBUF, &buf,
			       sizeof(buf));
	if (bind(vp->fd, &local.sa, vxlan_addr_len(&local)) < 0)
		return -errno;
	len = sizeof(vp->self);
	if (getsockname(vp->fd, &vp->self.sa, &len) < 0)
		return -errno;
	if (!vp->has_group)
		return 0;
	r = unet__mcast_join(vp->fd, &vp->group.sa, ifindex,
			     vp->family == AF_INET && cfg->local_len > 0 &&
					     ifindex == 0 ?
				     &local.in.sin_addr : NULL);
	if (r < 0)
		return r;
	return unet__mcast_sender(vp->fd, vp->family, ifindex,
				  vp->family == AF_INET &&
						  cfg->local_len > 0 &&
						  ifindex == 0 ?
					  &local.in.sin_addr : NULL,
				  VXLAN_MCAST_TTL, false);
}

/* Check @cfg and take its addresses into @vp. */
static int vxlan_configure(struct vxlan_port *vp,
			   const struct unet_vxlan_config *cfg)
{
	unsigned int i;
	int r;

	if (cfg->vni > VXLAN_VNI_MAX || cfg->n_remotes > UNET_VXLAN_REMOTES_MAX ||
	    cfg->local_len > sizeof(cfg->local) ||
	    cfg->group_len > sizeof(cfg->group) ||
	    (cfg->n_remotes == 0 && cfg->group_len == 0) ||
	    strnlen(cfg->dev, sizeof(cfg->dev)) >= sizeof(cfg->dev))
		return -EINVAL;
	vp->vni = cfg->vni;
	vp->port_nbo = htons(cfg->port);
	vp->learning = cfg->learning;
	vp->family = cfg->local_len > 0 ? cfg->local.ss_family :
		     cfg->group_len > 0 ? cfg->group.ss_family :
					  cfg->remotes[0].ss_family;
	if (vp->family != AF_INET && vp->family != AF_INET6)
		return -EAFNOSUPPORT;
	if (cfg->group_len > 0) {
		r = vxlan_take_addr(&cfg->group, cfg->port, &vp->group);
		if (r < 0)
			return r;
		if (vp->group.sa.sa_family != vp->family ||
		    !unet__addr_is_mcast(&vp->group.sa))
			return -EINVAL;
		vp->has_group = true;
	}
	for (i = 0; i < cfg->n_remotes; i++) {
		r = vxlan_take_addr(&cfg->remotes[i], cfg->port,
				    &vp->remotes[i]);
		if (r < 0)
			return r;
		if (vp->remotes[i].sa.sa_family != vp->family ||
		    unet__addr_is_mcast(&vp->remotes[i].sa))
			return -EINVAL;
	}
	vp->n_remotes = cfg->n_remotes;
	if (cfg->local_len > 0 && cfg->local.ss_family != vp->family)
		return -EINVAL;
	return 0;
}

/* The timer, the poll handle, and the hub. */
static int vxlan_start(struct vxlan_port *vp, struct unet_hub *hub)
{
	int r;

	r = unet_timer_init(hub, &vp->ageing);
	if (r < 0)
		return r;
	vp->ageing.uv.data = vp;	/* for vxlan_closed() */
	vp->handles++;
	r = uv_poll_init_socket(unet_hub_loop(hub), &vp->poll, vp->fd);
	if (r < 0)
		return r;
	vp->poll.data = vp;
	vp->handles++;
	r = unet_hub_attach(hub, &vp->port);
	if (r < 0)
		return r;
	if (vp->fdb.ageing_ns != 0)
		unet_timer_start(&vp->ageing, vxlan_ageing_cb,
				 vp->fdb.ageing_ns / 2000000u);
	vp->reading = true;
	vxlan_update_poll(vp);
	return 0;
}

/**
 * unet_vxlan_config_init() - fill a vxlan configuration with the defaults
 * @config: the configuration: VNI 0, port 4789, learning on, ageing 300 s,
 *          no endpoints yet
 */
void unet_vxlan_config_init(struct unet_vxlan_config *config)
{
	memset(config, 0, sizeof(*config));
	config->size = sizeof(*config);
	config->port = UNET_VXLAN_PORT;
	config->learning = true;
	config->ageing_s = UNET_VXLAN_AGEING_DEFAULT;
}

/**
 * unet_vxlan_open() - a port that carries the hub's frames over VXLAN
 * @hub: the hub to attach to
 * @id: the port's name
 * @config: the VNI and the tunnel endpoints; read during the call only (a
 *          versioned struct, see hub.h)
 * @portp: receives the port
 *
 * See the header for the behaviour.
 *
 * Return: 0, -EINVAL for a bad configuration, -E2BIG for a
 * &unet_vxlan_config.size above this library's whose extra bytes are not
 * zero, -EAFNOSUPPORT, -ENODEV for an unknown dev, -ENOMEM, or the
 * negative errno of socket(), bind() or setsockopt().
 */
int unet_vxlan_open(struct unet_hub *hub, const char *id,
		    const struct unet_vxlan_config *config,
		    struct unet_port **portp)
{
	struct unet_vxlan_config *cfg;
	struct vxlan_port *vp;
	char a[UNET__ADDRSTR_MAX], g[UNET__ADDRSTR_MAX];
	size_t buf_len;
	int r;

	if (hub == NULL || config == NULL || portp == NULL)
		return -EINVAL;
	/* Large (the remotes): on the heap, not the stack. */
	cfg = malloc(sizeof(*cfg));
	if (cfg == NULL)
		return -ENOMEM;
	unet_vxlan_config_init(cfg);
	r = unet__config_copy(cfg, sizeof(*cfg), config, config->size,
			      VXLAN_CONFIG_SIZE_V1);
	if (r < 0) {
		free(cfg);
		return r;
	}
	buf_len = sizeof(struct vxlan_hdr) + unet_hub_frame_max(hub) + 1;
	vp = calloc(1, sizeof(*vp) + buf_len);
	if (vp == NULL) {
		free(cfg);
		return -ENOMEM;
	}
	unet_port_init(&vp->port, &vxlan_ops, id);
	vp->buf_len = buf_len;
	vp->fd = -1;
	unet__vxlan_fdb_init(&vp->fdb, (uint64_t)cfg->ageing_s * 1000000000u,
			     (uint64_t)unet_hub_random(hub) << 32 |
				     unet_hub_random(hub));
	r = vxlan_configure(vp, cfg);
	if (r == 0)
		r = vxlan_open_socket(vp, cfg);
	if (r == 0) {
		vxlan_set_mtu(vp, hub, cfg->dev);
		r = vxlan_start(vp, hub);
	}
	free(cfg);
	if (r < 0) {
		vxlan_close(&vp->port);
		return r;
	}
	unet_hub_log(hub, UNET_LOG_INFO,
		     "vxlan %s: VNI %u on %s, %u remote%s%s%s, inner MTU %u",
		     vp->port.id, vp->vni,
		     vxlan_addr_str(&vp->self, a, sizeof(a)), vp->n_remotes,
		     vp->n_remotes == 1 ? "" : "s",
		     vp->has_group ? ", group " : "",
		     vp->has_group ? vxlan_addr_str(&vp->group, g, sizeof(g)) :
				     "",
		     vp->inner_mtu);
	*portp = &vp->port;
	return 0;
}

/**
 * unet_vxlan_stats() - the counters of a vxlan port
 * @port: a port made by unet_vxlan_open()
 * @stats: receives the counters
 *
 * Return: 0; -EINVAL for another kind of port, or when @stats->size is
 * below the struct's first size (the caller did not set it).
 */
int unet_vxlan_stats(const struct unet_port *port,
		     struct unet_vxlan_stats *stats)
{
	const struct vxlan_port *vp;
	struct unet_vxlan_stats st;

	if (port == NULL || stats == NULL || port->ops != &vxlan_ops)
		return -EINVAL;
	vp = container_of(port, const struct vxlan_port, port);
	st = vp->stats;
	st.fdb_entries = (uint32_t)vp->fdb.count;
	st.inner_mtu = vp->inner_mtu;
	return unet__stats_copy(stats, &st, sizeof(st), VXLAN_STATS_SIZE_V1);
}

/**
 * unet_vxlan_local_addr() - the address a vxlan port receives on
 * @port: a port made by unet_vxlan_open()
 * @addr: receives the address
 * @addrlen: in: the size of @addr; out: the address's length
 *
 * Return: 0, -EINVAL for another kind of port, or getsockname()'s negative
 * errno.
 */
int unet_vxlan_local_addr(const struct unet_port *port, struct sockaddr *addr,
			  socklen_t *addrlen)
{
	const struct vxlan_port *vp;

	if (port == NULL || addr == NULL || addrlen == NULL ||
	    port->ops != &vxlan_ops)
		return -EINVAL;
	vp = container_of(port, const struct vxlan_port, port);
	if (vp->closing || vp->fd < 0)
		return -EINVAL;
	if (getsockname(vp->fd, addr, addrlen) < 0)
		return -errno;
	return 0;
}
