/* SPDX-License-Identifier: MIT */
/*
 * The datagram port: one frame per datagram between a hub and a fixed peer
 * (QEMU's `-netdev socket,udp=`, `-netdev dgram` with inet or unix
 * addresses) or a multicast group (`-netdev socket,mcast=`, `-netdev dgram`
 * with a multicast remote).
 *
 * Theory of operation
 *
 * Unicast: one non-blocking socket, bound to the local address; frames are
 * sent to the remote address and datagrams from any source are taken in, as
 * QEMU does.
 *
 * Multicast: the receiving socket is set up as QEMU sets up its own
 * (SO_REUSEADDR, bound to the group and port, IP_ADD_MEMBERSHIP on the
 * interface of localaddr= or any), so that any number of QEMU and usernet
 * processes on one host share the group. The group loops every frame back
 * to every member, the sender included. QEMU's members send from the
 * group's port, so they cannot tell their own frames from their neighbours';
 * this port sends from a second socket bound to a port of its own and
 * connected to the group, whose address (getsockname()) is therefore the
 * source of exactly the frames it sent. Datagrams from that address are
 * its own frames coming back and are not taken in again.
 *
 * Receiving: each wake-up reads up to DGRAM_READ_BUDGET datagrams, several
 * per recvmmsg() call, into a row of buffers each a byte longer than the
 * hub's longest frame (MSG_TRUNC reports a datagram's real length, so a
 * longer one reads as too long and the hub drops and counts it). The row
 * holds DGRAM_BATCH buffers at most and DGRAM_RX_BYTES in all (at least
 * one buffer): 32 at MTU 1500, 3 at MTU 65520.
 *
 * Sending: a lone frame never waits. When nothing is pending it goes at
 * once with one sendto(), as lock-step traffic (TFTP, a ping) wants, and
 * opens a batch: frames that follow before the loop's next idle phase (the
 * rest of a burst the stack sends from one callback) are copied into the
 * batch buffer (DGRAM_BATCH frames, DGRAM_TX_BYTES at most) and leave
 * together with sendmmsg() from an idle callback, which runs before the
 * loop can block. A frame that does not fit returns -EAGAIN, so the hub
 * keeps it in the port's bounded queue, and the idle callback takes the
 * queue back batch by batch. A send that would block (EAGAIN, ENOBUFS)
 * keeps the unsent rest of the batch; the port polls for writability, and
 * meanwhile answers -EAGAIN so that later frames queue behind it in the
 * hub, in order. Frames of a batch that the kernel refuses for another
 * reason are dropped and counted as errors, one at a time, and the rest go
 * on.
 *
 * What can go wrong: ICMP errors from earlier sends surface as receive
 * errors on unicast UDP and are skipped. A peer that is not there (a unix
 * path without a socket, a refused UDP port) makes sends fail: logged once
 * when it starts and once when it stops, counted by the hub each time. Any
 * other receive error is logged and reading stops, so a broken socket
 * cannot make the loop spin.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <usernet/ports.h>

#include "wire/config_copy.h"
#include "dgram_proto.h"
#include "link_internal.h"

/* The size of struct unet_dgram_config in 0.1.0, its first release. */
#define DGRAM_CONFIG_SIZE_V1 \
	UNET__CONFIG_SIZE_TO(struct unet_dgram_config, remote_len)

/* Datagrams read per wake-up, so that one busy socket leaves room. */
#define DGRAM_READ_BUDGET 64
/* Datagrams per recvmmsg() or sendmmsg() call, at most. */
#define DGRAM_BATCH 32
/* Bytes of the receive buffers, all together (at least one buffer). */
#define DGRAM_RX_BYTES (192u << 10)
/* Bytes of the send batch (at least one frame of the hub). */
#define DGRAM_TX_BYTES (128u << 10)

/**
 * struct dgram_port - a datagram attachment
 * @port: the hub's port, embedded
 * @rx_poll: polls @rx_fd (and @tx_fd's writability when it is the same fd)
 * @tx_poll: polls @tx_fd for writability (multicast only)
 * @rx_fd: the socket datagrams arrive on
 * @tx_fd: the socket frames leave from: @rx_fd, or a second one (multicast)
 * @rx_events: the events @rx_poll is started with
 * @tx_events: the events @tx_poll is started with
 * @mcast: the remote address is a multicast group
 * @reading: reading is on (off for good after a receive error)
 * @writing: frames are queued and the port waits for @tx_fd to be writable
 * @failing: sends fail (logged when it starts and when it stops)
 * @closing: the port is closed and waits for its handles' close callbacks
 * @unlink_path: remove @local's unix path when the port closes
 * @handles: poll handles whose close callback is still to come
 * @remote: where frames go (unicast)
 * @remote_len: its length
 * @self: the address of @tx_fd, the source of this port's own frames
 * @self_len: its length
 * @local: the local address (for the unix path to remove)
 * @remote_str: @remote as text, for log messages
 * @rl: rate limit of the messages a peer can trigger
 * @idle: sends the batch opened by a frame sent at once
 * @batching: a frame was just sent at once; frames that follow go into the
 *            batch, which @idle sends
 * @tx_len: bytes of frames in @tx_buf
 * @tx_count: frames in the batch (each @tx_iov points into @tx_buf)
 * @tx_next: the first of them not sent yet
 * @tx_cap: size of @tx_buf
 * @tx_buf: the batch's frames, copied
 * @tx_iov: one per frame of the batch
 * @tx_msg: one per frame of the batch, for sendmmsg()
 * @rx_iov: one per receive buffer
 * @rx_msg: one per receive buffer, for recvmmsg()
 * @rx_src: the source address of each datagram read
 * @rx_count: receive buffers in @buf
 * @buf_len: size of each receive buffer: the hub's longest frame plus one
 * @buf: the receive buffers, @rx_count of @buf_len bytes
 */
struct dgram_port {
	struct unet_port port;
	uv_poll_t rx_poll;
	uv_poll_t tx_poll;
	int rx_fd;
	int tx_fd;
	int rx_events;
	int tx_events;
	bool mcast;
	bool reading;
	bool writing;
	bool failing;
	bool closing;
	bool unlink_path;
	unsigned int handles;
	struct sockaddr_storage remote;
	socklen_t remote_len;
	struct sockaddr_storage self;
	socklen_t self_len;
	struct sockaddr_storage local;
	socklen_t local_len;
	char remote_str[UNET__ADDRSTR_MAX];
	struct unet__ratelimit rl;
	uv_idle_t idle;
	bool batching;
	size_t tx_len;
	unsigned int tx_count;
	unsigned int tx_next;
	size_t tx_cap;
	unsigned char *tx_buf;
	struct iovec tx_iov[DGRAM_BATCH];
	struct mmsghdr tx_msg[DGRAM_BATCH];
	struct iovec rx_iov[DGRAM_BATCH];
	struct mmsghdr rx_msg[DGRAM_BATCH];
	struct sockaddr_storage rx_src[DGRAM_BATCH];
	unsigned int rx_count;
	size_t buf_len;
	unsigned char buf[];
};

static int dgram_send(struct unet_port *port, const void *frame, size_t len);
static void dgram_close(struct unet_port *port);

static const struct unet_port_ops dgram_ops = {
	.name = "dgram",
	.send = dgram_send,
	.close = dgram_close,
};

static void dgram_poll_cb(uv_poll_t *handle, int status, int events);

/* Start, change or stop @poll to poll for @events. */
static void dgram_poll_set(struct dgram_port *dp, uv_poll_t *poll,
			   int *current, int events)
{
	int r;

	if (dp->closing || events == *current)
		return;
	if (events == 0)
		r = uv_poll_stop(poll);
	else
		r = uv_poll_start(poll, events, dgram_poll_cb);
	if (r < 0) {
		unet_hub_log(dp->port.hub, UNET_LOG_ERROR,
			     "dgram %s: cannot poll: %s", dp->port.id,
			     uv_strerror(r));
		return;
	}
	*current = events;
}

/* Poll for what @reading and @writing ask for. */
static void dgram_update_poll(struct dgram_port *dp)
{
	int rx = dp->reading ? UV_READABLE : 0;

	if (dp->mcast) {
		dgram_poll_set(dp, &dp->tx_poll, &dp->tx_events,
			       dp->writing ? UV_WRITABLE : 0);
	} else if (dp->writing) {
		rx |= UV_WRITABLE;
	}
	dgram_poll_set(dp, &dp->rx_poll, &dp->rx_events, rx);
}

/* Read up to DGRAM_READ_BUDGET datagrams into the hub, a row at a time. */
static void dgram_read(struct dgram_port *dp)
{
	unsigned int got = 0, want, i;
	struct mmsghdr *m;
	size_t len;
	int n;

	while (got < DGRAM_READ_BUDGET) {
		want = DGRAM_READ_BUDGET - got;
		if (want > dp->rx_count)
			want = dp->rx_count;
		for (i = 0; i < want; i++) {
			m = &dp->rx_msg[i];
			m->msg_hdr.msg_name = &dp->rx_src[i];
			m->msg_hdr.msg_namelen = sizeof(dp->rx_src[i]);
			m->msg_hdr.msg_flags = 0;
		}
		n = recvmmsg(dp->rx_fd, dp->rx_msg, want,
			     MSG_TRUNC | MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno == EINTR || unet__udp_soft_error(errno)) {
				got++; /* bounded: an error costs a turn */
				continue;
			}
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			unet_hub_log(dp->port.hub, UNET_LOG_ERROR,
				     "dgram %s: %s, no longer reading",
				     dp->port.id, strerror(errno));
			dp->reading = false;
			dgram_update_poll(dp);
			return;
		}
		for (i = 0; i < (unsigned int)n; i++) {
			m = &dp->rx_msg[i];
			if (dp->mcast && m->msg_hdr.msg_namelen > 0 &&
			    unet__addr_equal(m->msg_hdr.msg_name,
					     m->msg_hdr.msg_namelen,
					     (const struct sockaddr *)&dp->self,
					     dp->self_len))
				continue; /* our own frame, looped back */
			/* Past the buffer means longer than the hub takes. */
			len = m->msg_len;
			if (len > dp->buf_len ||
			    (m->msg_hdr.msg_flags & MSG_TRUNC))
				len = dp->buf_len;
			unet_hub_input(&dp->port, m->msg_hdr.msg_iov->iov_base,
				       len);
			if (dp->closing || dp->port.hub == NULL)
				return;
		}
		got += (unsigned int)n;
		if ((unsigned int)n < want)
			return; /* the socket is empty */
	}
}

/*
 * Send the batch's unsent frames. Return: 0 when the batch is empty again,
 * -EAGAIN when the socket took only part (the rest stays).
 */
static int dgram_batch_send(struct dgram_port *dp)
{
	struct unet_port *port = &dp->port;
	size_t len;
	int n, err;

	while (dp->tx_next < dp->tx_count) {
		n = sendmmsg(dp->tx_fd, &dp->tx_msg[dp->tx_next],
			     dp->tx_count - dp->tx_next,
			     MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n > 0) {
			dp->tx_next += (unsigned int)n;
			if (dp->failing) {
				dp->failing = false;
				unet__log_limited(
					port->hub, &dp->rl, UNET_LOG_INFO,
					"dgram %s: sending to %s works again",
					port->id, dp->remote_str);
			}
			continue;
		}
		err = n < 0 ? errno : EAGAIN;
		if (err == EINTR)
			continue;
		if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS)
			return -EAGAIN;
		/*
		 * The hub counted the frame as sent when the batch took it:
		 * it is an error after all. The rest of the batch goes on.
		 */
		len = dp->tx_iov[dp->tx_next].iov_len;
		port->stats.out_frames--;
		port->stats.out_bytes -= len;
		port->stats.drops[UNET_DROP_ERROR]++;
		if (!dp->failing) {
			dp->failing = true;
			unet__log_limited(
				port->hub, &dp->rl, UNET_LOG_WARN,
				"dgram %s: cannot send to %s: %s (frames dropped until it works)",
				port->id, dp->remote_str, strerror(err));
		}
		dp->tx_next++;
	}
	dp->tx_count = dp->tx_next = 0;
	dp->tx_len = 0;
	return 0;
}

/*
 * Send the batch, then what the hub queued meanwhile, a batch at a time,
 * until both are empty or the socket is full (then wait for writability).
 */
static void dgram_drain(struct dgram_port *dp)
{
	for (;;) {
		if (dgram_batch_send(dp) < 0) {
			dp->batching = false;
			if (!dp->writing) {
				dp->writing = true;
				dgram_update_poll(dp);
			}
			return;
		}
		if (dp->closing || dp->port.hub == NULL ||
		    unet_port_queue_empty(&dp->port))
			break;
		/* The queued frames go into the batch, up to its bounds. */
		dp->batching = true;
		unet_port_flush(&dp->port);
		if (dp->closing || dp->port.hub == NULL)
			return;
	}
	dp->batching = false;
}

static void dgram_idle_cb(uv_idle_t *idle)
{
	struct dgram_port *dp = idle->data;

	uv_idle_stop(idle);
	if (dp->closing || dp->writing) {
		dp->batching = false;
		return;
	}
	dgram_drain(dp);
}

static void dgram_poll_cb(uv_poll_t *handle, int status, int events)
{
	struct dgram_port *dp = handle->data;

	if (dp->closing)
		return;
	if (status < 0) {
		unet_hub_log(dp->port.hub, UNET_LOG_ERROR,
			     "dgram %s: poll failed: %s, port stopped",
			     dp->port.id, uv_strerror(status));
		dp->reading = false;
		dp->writing = false;
		dgram_update_poll(dp);
		return;
	}
	if ((events & UV_WRITABLE) && dp->writing) {
		dp->writing = false;
		dgram_drain(dp);
		if (dp->closing)
			return;
		if (!dp->writing)
			dgram_update_poll(dp);
	}
	if ((events & UV_READABLE) && handle == &dp->rx_poll &&
	    dp->reading && !dp->closing)
		dgram_read(dp);
}

/* Copy a frame into the batch. Return: 0, or -EAGAIN when it is full. */
static int dgram_batch_add(struct dgram_port *dp, const void *frame, size_t len)
{
	struct mmsghdr *m;
	struct iovec *iov;

	if (dp->tx_count == DGRAM_BATCH || dp->tx_cap - dp->tx_len < len)
		return -EAGAIN;
	iov = &dp->tx_iov[dp->tx_count];
	iov->iov_base = dp->tx_buf + dp->tx_len;
	iov->iov_len = len;
	memcpy(iov->iov_base, frame, len);
	m = &dp->tx_msg[dp->tx_count];
	memset(m, 0, sizeof(*m));
	m->msg_hdr.msg_iov = iov;
	m->msg_hdr.msg_iovlen = 1;
	if (!dp->mcast) {
		m->msg_hdr.msg_name = &dp->remote;
		m->msg_hdr.msg_namelen = dp->remote_len;
	}
	dp->tx_len += len;
	dp->tx_count++;
	if (!uv_is_active((uv_handle_t *)&dp->idle))
		uv_idle_start(&dp->idle, dgram_idle_cb);
	return 0;
}

static int dgram_send(struct unet_port *port, const void *frame, size_t len)
{
	struct dgram_port *dp = container_of(port, struct dgram_port, port);
	ssize_t n;
	int err;

	/* Waiting for room: the hub queues the frame behind the batch. */
	if (dp->writing)
		return -EAGAIN;
	if (dp->batching || dp->tx_count > 0)
		return dgram_batch_add(dp, frame, len);
	do {
		if (dp->mcast)
			n = send(dp->tx_fd, frame, len,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		else
			n = sendto(dp->tx_fd, frame, len,
				   MSG_NOSIGNAL | MSG_DONTWAIT,
				   (const struct sockaddr *)&dp->remote,
				   dp->remote_len);
	} while (n < 0 && errno == EINTR);
	if (n >= 0 && (size_t)n == len) {
		if (dp->failing) {
			dp->failing = false;
			unet__log_limited(port->hub, &dp->rl, UNET_LOG_INFO,
					  "dgram %s: sending to %s works again",
					  port->id, dp->remote_str);
		}
		/* The frames that follow in this turn of the loop wait. */
		dp->batching = true;
		if (!dp->closing && !uv_is_active((uv_handle_t *)&dp->idle))
			uv_idle_start(&dp->idle, dgram_idle_cb);
		return 0;
	}
	err = n < 0 ? errno : EMSGSIZE;
	if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) {
		if (!dp->writing) {
			dp->writing = true;
			dgram_update_poll(dp);
		}
		return -EAGAIN;
	}
	if (!dp->failing) {
		dp->failing = true;
		unet__log_limited(port->hub, &dp->rl, UNET_LOG_WARN,
				  "dgram %s: cannot send to %s: %s (frames dropped until it works)",
				  port->id, dp->remote_str, strerror(err));
	}
	return -err;
}

static void dgram_free(struct dgram_port *dp)
{
	if (dp->tx_fd >= 0 && dp->tx_fd != dp->rx_fd)
		close(dp->tx_fd);
	if (dp->rx_fd >= 0)
		close(dp->rx_fd);
	free(dp->tx_buf);
	free(dp);
}

static void dgram_closed(uv_handle_t *handle)
{
	struct dgram_port *dp = handle->data;

	if (--dp->handles == 0)
		dgram_free(dp);
}

static void dgram_close(struct unet_port *port)
{
	struct dgram_port *dp = container_of(port, struct dgram_port, port);
	const struct sockaddr_un *un = (const void *)&dp->local;
	unsigned int h;

	if (dp->closing)
		return;
	unet_hub_detach(port);
	dp->closing = true;
	if (dp->unlink_path)
		unlink(un->sun_path);
	if (dp->handles == 0) {
		dgram_free(dp);
		return;
	}
	/* The handles were set up in this order: idle, rx, tx. */
	h = dp->handles;
	uv_close((uv_handle_t *)&dp->idle, dgram_closed);
	if (h > 1)
		uv_close((uv_handle_t *)&dp->rx_poll, dgram_closed);
	if (h > 2)
		uv_close((uv_handle_t *)&dp->tx_poll, dgram_closed);
}

/* Check one address of a configuration. */
static int dgram_check_addr(const struct sockaddr_storage *ss, socklen_t len)
{
	const struct sockaddr_un *un = (const void *)ss;
	size_t max;

	switch (ss->ss_family) {
	case AF_INET:
		return len >= sizeof(struct sockaddr_in) ? 0 : -EINVAL;
	case AF_INET6:
		return len >= sizeof(struct sockaddr_in6) ? 0 : -EINVAL;
	case AF_UNIX:
		if (len <= offsetof(struct sockaddr_un, sun_path) ||
		    len > sizeof(*un))
			return -EINVAL;
		max = len - offsetof(struct sockaddr_un, sun_path);
		if (un->sun_path[0] == '\0')
			return -EINVAL;	/* no abstract names */
		return strnlen(un->sun_path, max) < max ? 0 : -ENAMETOOLONG;
	default:
		return -EAFNOSUPPORT;
	}
}

/* The multicast sockets: a receiver on the group, a sender of our own. */
static int dgram_open_mcast(struct dgram_port *dp,
			    const struct unet_dgram_config *config)
{
	const struct sockaddr_in *group = (const void *)&config->remote;
	const struct sockaddr_in *local = (const void *)&config->local;
	struct in_addr ifaddr = { .s_addr = htonl(INADDR_ANY) };
	struct sockaddr_in any = { .sin_family = AF_INET };
	int one = 1;
	int r;

	if (config->local_len > 0) {
		if (config->local.ss_family != AF_INET ||
		    config->local_len < sizeof(*local))
			return -EINVAL;
		ifaddr = local->sin_addr;
	}
	dp->rx_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			   0);
	if (dp->rx_fd < 0)
		return -errno;
	r = unet__setsockopt(dp->rx_fd, SOL_SOCKET, SO_REUSEADDR, &one,
			     sizeof(one));
	if (r == 0 && bind(dp->rx_fd, (const struct sockaddr *)group,
			   sizeof(*group)) < 0)
		r = -errno;
	if (r == 0)
		r = unet__mcast_join(dp->rx_fd, (const struct sockaddr *)group,
				     0, &ifaddr);
	if (r < 0)
		return r;

	dp->tx_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
			   0);
	if (dp->tx_fd < 0)
		return -errno;
	any.sin_addr = ifaddr;
	if (bind(dp->tx_fd, (const struct sockaddr *)&any, sizeof(any)) < 0)
		return -errno;
	/* QEMU's members take the group's loopback copies: keep it on. */
	r = unet__mcast_sender(dp->tx_fd, AF_INET, 0,
			       config->local_len > 0 ? &ifaddr : NULL,
			       DGRAM_MCAST_TTL, true);
	if (r < 0)
		return r;
	/* Connected, its address is the source of every frame it sends. */
	if (connect(dp->tx_fd, (const struct sockaddr *)group,
		    sizeof(*group)) < 0)
		return -errno;
	dp->self_len = sizeof(dp->self);
	if (getsockname(dp->tx_fd, (struct sockaddr *)&dp->self,
			&dp->self_len) < 0)
		return -errno;
	dp->mcast = true;
	return 0;
}

/* The unicast socket: bound to the local address, sending to the remote. */
static int dgram_open_unicast(struct dgram_port *dp,
			      const struct unet_dgram_config *config)
{
	const struct sockaddr_un *un = (const void *)&config->local;
	int r;

	if (config->local_len == 0 ||
	    config->local.ss_family != config->remote.ss_family)
		return -EINVAL;
	r = dgram_check_addr(&config->local, config->local_len);
	if (r < 0)
		return r;
	if (config->local.ss_family == AF_UNIX) {
		r = unet__unlink_stale_socket(un->sun_path);
		if (r < 0)
			return r;
	}
	dp->rx_fd = socket(config->local.ss_family,
			   SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (dp->rx_fd < 0)
		return -errno;
	dp->tx_fd = dp->rx_fd;
	if (bind(dp->rx_fd, (const struct sockaddr *)&config->local,
		 config->local_len) < 0)
		return -errno;
	if (config->local.ss_family == AF_UNIX) {
		memcpy(&dp->local, &config->local, config->local_len);
		dp->local_len = config->local_len;
		dp->unlink_path = true;
	}
	return 0;
}

/* Poll the sockets on the hub's loop and attach the port. */
static int dgram_start(struct dgram_port *dp, struct unet_hub *hub)
{
	uv_loop_t *loop = unet_hub_loop(hub);
	int r;

	r = uv_idle_init(loop, &dp->idle);
	if (r < 0)
		return r;
	dp->idle.data = dp;
	dp->handles++;
	r = uv_poll_init_socket(loop, &dp->rx_poll, dp->rx_fd);
	if (r < 0)
		return r;
	dp->rx_poll.data = dp;
	dp->handles++;
	if (dp->mcast) {
		r = uv_poll_init_socket(loop, &dp->tx_poll, dp->tx_fd);
		if (r < 0)
			return r;
		dp->tx_poll.data = dp;
		dp->handles++;
	}
	r = unet_hub_attach(hub, &dp->port);
	if (r < 0)
		return r;
	dp->reading = true;
	dgram_update_poll(dp);
	return 0;
}

/**
 * unet_dgram_config_init() - fill a datagram configuration with defaults
 * @config: the configuration: no addresses yet
 */
void unet_dgram_config_init(struct unet_dgram_config *config)
{
	memset(config, 0, sizeof(*config));
	config->size = sizeof(*config);
}

/**
 * unet_dgram_open() - a port that carries one frame per datagram
 * @hub: the hub to attach to
 * @id: the port's name
 * @config: the local and remote addresses; read during the call only (a
 *          versioned struct, see hub.h)
 * @portp: receives the port
 *
 * See the header for the behaviour.
 *
 * Return: 0, -EINVAL for a bad configuration, -E2BIG for a
 * &unet_dgram_config.size above this library's whose extra bytes are not
 * zero, -EAFNOSUPPORT, -ENAMETOOLONG, -EEXIST (something other than a
 * socket at a unix path), -ENOMEM, or the negative errno of socket(),
 * bind() or setsockopt().
 */
int unet_dgram_open(struct unet_hub *hub, const char *id,
		    const struct unet_dgram_config *config,
		    struct unet_port **portp)
{
	struct unet_dgram_config cfg;
	const struct sockaddr_in *in = (const void *)&cfg.remote;
	struct dgram_port *dp;
	size_t buf_len, rx_count, i;
	int r;

	if (hub == NULL || config == NULL || portp == NULL)
		return -EINVAL;
	unet_dgram_config_init(&cfg);
	r = unet__config_copy(&cfg, sizeof(cfg), config, config->size,
			      DGRAM_CONFIG_SIZE_V1);
	if (r < 0)
		return r;
	if (cfg.remote_len == 0 || cfg.remote_len > sizeof(cfg.remote) ||
	    cfg.local_len > sizeof(cfg.local))
		return -EINVAL;
	r = dgram_check_addr(&cfg.remote, cfg.remote_len);
	if (r < 0)
		return r;
	buf_len = unet_hub_frame_max(hub) + 1;
	rx_count = DGRAM_RX_BYTES / buf_len;
	if (rx_count > DGRAM_BATCH)
		rx_count = DGRAM_BATCH;
	if (rx_count == 0)
		rx_count = 1;
	dp = calloc(1, sizeof(*dp) + rx_count * buf_len);
	if (dp == NULL)
		return -ENOMEM;
	unet_port_init(&dp->port, &dgram_ops, id);
	dp->buf_len = buf_len;
	dp->rx_count = (unsigned int)rx_count;
	for (i = 0; i < rx_count; i++) {
		dp->rx_iov[i].iov_base = dp->buf + i * buf_len;
		dp->rx_iov[i].iov_len = buf_len;
		dp->rx_msg[i].msg_hdr.msg_iov = &dp->rx_iov[i];
		dp->rx_msg[i].msg_hdr.msg_iovlen = 1;
	}
	dp->tx_cap = DGRAM_TX_BYTES > buf_len ? DGRAM_TX_BYTES : buf_len;
	dp->tx_buf = malloc(dp->tx_cap);
	if (dp->tx_buf == NULL) {
		free(dp);
		return -ENOMEM;
	}
	dp->rx_fd = dp->tx_fd = -1;
	memcpy(&dp->remote, &cfg.remote, cfg.remote_len);
	dp->remote_len = cfg.remote_len;
	unet__addr_str((const struct sockaddr *)&dp->remote, dp->remote_len,
		       dp->remote_str, sizeof(dp->remote_str));

	if (cfg.remote.ss_family == AF_INET &&
	    IN_MULTICAST(ntohl(in->sin_addr.s_addr)))
		r = dgram_open_mcast(dp, &cfg);
	else
		r = dgram_open_unicast(dp, &cfg);
	if (r == 0)
		r = dgram_start(dp, hub);
	if (r < 0) {
		dgram_close(&dp->port);
		return r;
	}
	unet_hub_log(hub, UNET_LOG_INFO, "dgram %s: %s %s", dp->port.id,
		     dp->mcast ? "joined multicast group" : "sending to",
		     dp->remote_str);
	*portp = &dp->port;
	return 0;
}

/**
 * unet_dgram_local_addr() - the address a datagram port receives on
 * @port: a port made by unet_dgram_open()
 * @addr: receives the address
 * @addrlen: in: the size of @addr; out: the address's length
 *
 * Return: 0, -EINVAL for another kind of port, or getsockname()'s negative
 * errno.
 */
int unet_dgram_local_addr(const struct unet_port *port, struct sockaddr *addr,
			  socklen_t *addrlen)
{
	const struct dgram_port *dp;

	if (port == NULL || addr == NULL || addrlen == NULL ||
	    port->ops != &dgram_ops)
		return -EINVAL;
	dp = container_of(port, const struct dgram_port, port);
	if (dp->closing)
		return -EINVAL;
	if (getsockname(dp->rx_fd, addr, addrlen) < 0)
		return -errno;
	return 0;
}
