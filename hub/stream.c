/* SPDX-License-Identifier: MIT */
/*
 * The stream port: frames between a hub and a peer on a stream socket (TCP
 * or unix), in the format of QEMU's `-netdev socket,listen=|connect=` and
 * `-netdev stream`, which passt uses too: a 4-byte big-endian length, then
 * the frame (stream_proto.h).
 *
 * Theory of operation
 *
 * The port has at most one connection at a time, in one of four states:
 * IDLE (no peer), CONNECTING, UP and CLOSING (its handle is being closed).
 * The connection's libuv handle lives inside the port and is set up afresh
 * for every peer; it is reused only after its close callback ran.
 *
 * Listening, the port accepts one peer; while that peer is up, libuv holds
 * the next pending connection without accepting it (a connection callback
 * that does not call uv_accept() makes libuv stop watching the listener), so
 * a second peer waits in the kernel's backlog until the first leaves, as
 * with QEMU. Connecting, a failed connect or a lost peer is retried after a
 * back-off (250 ms doubling up to reconnect_ms), or never when reconnect_ms
 * is 0, as QEMU 7.2.
 *
 * Receiving: libuv reads into one buffer of the port; the deframer
 * (deframer.c) cuts it into frames, in place where it can, and each goes
 * into the hub. A framing error (a length of 0, or above QEMU's 69632) is
 * one log line and a reset connection; the hub and its other ports go on.
 * Frames the hub cannot carry (too short, or longer than its MTU allows)
 * are dropped and counted by the hub and the stream goes on: the framing
 * is intact, and QEMU would have sent them too.
 *
 * Sending: frames from the hub are appended, prefix and all, to one of two
 * output buffers of bounded size. A lone frame never waits: when no write
 * is under way and no batch is open, it is written at once with
 * uv_try_write(), which needs no request, no callback and no change of the
 * epoll set when the socket takes it all (the usual case: lock-step
 * traffic such as TFTP costs one write() per frame). That write opens a
 * batch: frames that follow before the loop's next idle phase (the rest of
 * a burst the stack sends from one callback) are appended and written
 * together from an idle callback, which runs before the loop can block.
 * What the socket does not take goes with uv_write(); frames then go into
 * the other buffer and are written when that write completes. A frame that
 * does not fit into the filling buffer returns -EAGAIN, so the hub keeps it
 * in the port's bounded queue, which is handed back with unet_port_flush()
 * after every completed write. A frame is appended whole or not at all, so frames never
 * interleave. Without a peer, frames are dropped (-ENOTCONN, counted by the
 * hub), as QEMU drops them.
 *
 * Offloads (offload=on, usernet at both ends; stream_proto.h): a port
 * that offers them sends a hello when its connection comes up and accepts
 * records with facts from then on. The peer's hello sets &unet_port.offload
 * to what the peer takes whole, so the hub hands this port its GSO frames
 * and checksums left to do unchanged, and they cross the link as one record
 * each instead of a record per MTU. A peer that sends no hello (QEMU,
 * passt, a usernet without offload=on) never gets such a record; the
 * bits go back to 0 when the connection ends.
 *
 * Memory: per port, one read buffer, two output buffers, the deframer's
 * reassembly buffer; all fixed at open. The port is freed only from the
 * close callback of its last handle (timer, idle, listener, connection).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <usernet/ports.h>

#include "wire/config_copy.h"
#include "wire/deframer.h"
#include "wire/util.h"
#include "link_internal.h"
#include "stream_proto.h"

/* The size of struct unet_stream_config in 0.1.0, its first release. */
#define STREAM_CONFIG_SIZE_V1 \
	UNET__CONFIG_SIZE_TO(struct unet_stream_config, reconnect_ms)

/* First retry of a failed connect, before the back-off doubles it. */
#define STREAM_BACKOFF_MIN_MS 250
/* The read buffer: libuv reads up to this much per read call. */
#define STREAM_RBUF_LEN (256u << 10)
/* Each of the two output buffers; at least one frame of any hub fits. */
#define STREAM_OBUF_LEN (256u << 10)
/* Pending connections the kernel keeps while one peer is served. */
#define STREAM_BACKLOG 1
/* What a port that offers offloads takes: its hub cuts for the rest. */
#define STREAM_OFFLOAD_ALL                                 \
	(UNET_PORT_OFFLOAD_CSUM | UNET_PORT_OFFLOAD_TSO4 | \
	 UNET_PORT_OFFLOAD_TSO6 | UNET_PORT_OFFLOAD_USO)
/* The link-local group the hello goes to (802.1D's, never forwarded). */
static const unsigned char stream_hello_dst[6] = { 0x01, 0x80, 0xc2,
						   0x00, 0x00, 0x0e };

_Static_assert(STREAM_OBUF_LEN >= STREAM_HDR_LEN + UNET_MTU_MAX +
		       UNET_ETH_HLEN + UNET_VLAN_HLEN,
	       "an output buffer holds the longest frame of any hub");
_Static_assert(STREAM_OFF_LEN + UNET_GSO_FRAME_MAX <= STREAM_FRAME_MAX &&
		       STREAM_HDR_LEN + STREAM_OFF_LEN + UNET_GSO_FRAME_MAX <=
			       STREAM_OBUF_LEN,
	       "a GSO frame and its facts fit a record and an output buffer");

enum stream_state {
	STREAM_IDLE,
	STREAM_CONNECTING,
	STREAM_UP,
	STREAM_CLOSING,
	STREAM_STATE_NUM
};

/* The libuv handle of a listener or a connection, TCP or unix. */
union stream_handle {
	uv_handle_t h;
	uv_stream_t s;
	uv_tcp_t tcp;
	uv_pipe_t pipe;
};

/**
 * struct stream_obuf - one output buffer
 * @data: STREAM_OBUF_LEN bytes
 * @len: bytes of whole prefixed frames in @data
 */
struct stream_obuf {
	unsigned char *data;
	size_t len;
};

/**
 * struct stream_port - a stream attachment
 * @port: the hub's port, embedded
 * @loop: the hub's loop
 * @state: the connection's state
 * @listen: the port listens (else it connects, or was adopted)
 * @is_unix: the address is a unix socket path
 * @adopted: the connection came from unet_stream_adopt(): never renewed
 * @server_open: @server is initialised (a listening port)
 * @accept_pending: a peer waits to be accepted once the current one leaves
 * @write_busy: a uv_write() of the other output buffer is under way
 * @batching: a frame was just written at once; frames that follow wait for
 *            @idle, which is active
 * @closing: the port is closed and waits for its handles' close callbacks
 * @unlink_path: remove @addr's unix path when the port closes
 * @failing: connect attempts fail (logged once, then at debug level)
 * @offer: the port offers usernet's offload extension (offload=on)
 * @hello_sent: this connection's hello is out
 * @first_in: no record has come in on this connection yet
 * @handles: handles whose close callback is still to come
 * @addr: the address to listen on or connect to
 * @addrlen: its length
 * @addr_str: @addr as text, for log messages
 * @reconnect_ms: the longest back-off between connect attempts, 0 for none
 * @backoff_ms: the next back-off
 * @server: the listener
 * @conn: the connection
 * @connect_req: the connect request of @conn
 * @write_req: the write request of the buffer being written
 * @timer: the reconnect timer
 * @idle: writes the batch opened by a frame written at once
 * @df: the deframer of the connection's bytes
 * @out: the output buffers; @fill is the one frames go into
 * @fill: index into @out
 * @rbuf: the read buffer, STREAM_RBUF_LEN bytes
 * @rl: rate limit of the messages a peer can trigger
 */
struct stream_port {
	struct unet_port port;
	uv_loop_t *loop;
	enum stream_state state;
	bool listen;
	bool is_unix;
	bool adopted;
	bool server_open;
	bool accept_pending;
	bool write_busy;
	bool batching;
	bool closing;
	bool unlink_path;
	bool failing;
	bool offer;
	bool hello_sent;
	bool first_in;
	unsigned int handles;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	char addr_str[UNET__ADDRSTR_MAX];
	unsigned int reconnect_ms;
	unsigned int backoff_ms;
	union stream_handle server;
	union stream_handle conn;
	uv_connect_t connect_req;
	uv_write_t write_req;
	struct unet_timer timer;
	uv_idle_t idle;
	struct unet__deframer df;
	struct stream_obuf out[2];
	unsigned int fill;
	unsigned char *rbuf;
	struct unet__ratelimit rl;
};

static int stream_send(struct unet_port *port, const void *frame, size_t len);
static int stream_send_offload(struct unet_port *port, const void *frame,
			       size_t len, const struct unet_offload *off);
static void stream_close(struct unet_port *port);

static const struct unet_port_ops stream_ops = {
	.name = "stream",
	.send = stream_send,
	.close = stream_close,
	.send_offload = stream_send_offload,
};

static void stream_connect(struct stream_port *sp);

static struct unet_hub *stream_hub(const struct stream_port *sp)
{
	return sp->port.hub;
}

static void stream_maybe_free(struct stream_port *sp)
{
	if (!sp->closing || sp->handles > 0)
		return;
	unet__deframer_free(&sp->df);
	free(sp->out[0].data);
	free(sp->out[1].data);
	free(sp->rbuf);
	free(sp);
}

/* Close callback of the timer, the idle handle and the listener. */
static void stream_handle_closed(uv_handle_t *handle)
{
	struct stream_port *sp = handle->data;

	sp->handles--;
	stream_maybe_free(sp);
}

static void stream_accept(struct stream_port *sp);

static void stream_timer_cb(struct unet_timer *timer)
{
	struct stream_port *sp = container_of(timer, struct stream_port, timer);

	if (!sp->closing && sp->state == STREAM_IDLE)
		stream_connect(sp);
}

/* The connection's handle is closed: drain, then find the next peer. */
static void stream_conn_closed(uv_handle_t *handle)
{
	struct stream_port *sp = handle->data;
	unsigned int delay;

	sp->handles--;
	sp->state = STREAM_IDLE;
	if (sp->closing) {
		stream_maybe_free(sp);
		return;
	}
	/* Frames that waited for the peer that left: dropped and counted. */
	if (!unet_port_queue_empty(&sp->port))
		unet_port_flush(&sp->port);
	if (sp->closing || sp->port.hub == NULL)
		return;
	if (sp->listen) {
		if (sp->accept_pending) {
			sp->accept_pending = false;
			stream_accept(sp);
		}
		return;
	}
	if (sp->adopted || sp->reconnect_ms == 0)
		return;
	delay = sp->backoff_ms;
	sp->backoff_ms = delay >= sp->reconnect_ms / 2 ? sp->reconnect_ms :
							 delay * 2;
	unet_timer_start(&sp->timer, stream_timer_cb, delay);
}

/*
 * End the connection: stop reading, forget partial input and unsent output,
 * close the handle (with a TCP reset when @reset). The rest happens in
 * stream_conn_closed(). Never drains the hub's queue itself, because it may
 * run from inside unet_port_flush().
 */
static void stream_conn_drop(struct stream_port *sp, bool reset)
{
	if (sp->state == STREAM_IDLE || sp->state == STREAM_CLOSING)
		return;
	if (sp->state == STREAM_UP)
		uv_read_stop(&sp->conn.s);
	sp->state = STREAM_CLOSING;
	/* The next peer has to say again what it takes. */
	sp->port.offload = 0;
	unet__deframer_reset(&sp->df);
	sp->out[0].len = 0;
	sp->out[1].len = 0;
	sp->fill = 0;
	sp->batching = false;
	uv_idle_stop(&sp->idle);
	if (reset && !sp->is_unix &&
	    uv_tcp_close_reset(&sp->conn.tcp, stream_conn_closed) == 0)
		return;
	uv_close(&sp->conn.h, stream_conn_closed);
}

/* Prepare the connection handle for a new peer. */
static int stream_conn_init(struct stream_port *sp)
{
	int r;

	if (sp->is_unix)
		r = uv_pipe_init(sp->loop, &sp->conn.pipe, 0);
	else
		r = uv_tcp_init(sp->loop, &sp->conn.tcp);
	if (r < 0)
		return r;
	sp->conn.h.data = sp;
	sp->handles++;
	return 0;
}

static void stream_write_cb(uv_write_t *req, int status);

static void stream_write_failed(struct stream_port *sp, int err)
{
	unet__log_limited(stream_hub(sp), &sp->rl, UNET_LOG_WARN,
			  "stream %s: write to %s: %s, connection closed",
			  sp->port.id, sp->addr_str, uv_strerror(err));
	stream_conn_drop(sp, false);
}

/*
 * Write the filling buffer, no write being under way. What the socket takes
 * now is done with, and the buffer is empty again; the rest goes with
 * uv_write(), and frames go into the other buffer meanwhile.
 */
static void stream_write_start(struct stream_port *sp)
{
	struct stream_obuf *b = &sp->out[sp->fill];
	uv_buf_t buf = uv_buf_init((char *)b->data, (unsigned int)b->len);
	int r;

	r = uv_try_write(&sp->conn.s, &buf, 1);
	if (r == (int)b->len) {
		b->len = 0;
		return;
	}
	if (r < 0 && r != UV_EAGAIN) {
		stream_write_failed(sp, r);
		return;
	}
	if (r > 0) {
		buf.base += r;
		buf.len -= (unsigned int)r;
	}
	r = uv_write(&sp->write_req, &sp->conn.s, &buf, 1, stream_write_cb);
	if (r < 0) {
		stream_write_failed(sp, r);
		return;
	}
	sp->write_busy = true;
	sp->fill ^= 1;
}

static void stream_write_cb(uv_write_t *req, int status)
{
	struct stream_port *sp = container_of(req, struct stream_port,
					      write_req);

	sp->write_busy = false;
	if (status == UV_ECANCELED || sp->closing ||
	    sp->state != STREAM_UP)
		return;
	if (status < 0) {
		stream_write_failed(sp, status);
		return;
	}
	sp->out[sp->fill ^ 1].len = 0;
	if (sp->out[sp->fill].len > 0)
		stream_write_start(sp);
	/* Room again: take back what the hub queued meanwhile. */
	if (sp->state == STREAM_UP && !unet_port_queue_empty(&sp->port))
		unet_port_flush(&sp->port);
}

/*
 * The loop's idle phase after a frame was written at once: the frames that
 * followed it leave together, before the loop can block.
 */
static void stream_idle_cb(uv_idle_t *idle)
{
	struct stream_port *sp = idle->data;

	uv_idle_stop(idle);
	sp->batching = false;
	if (sp->closing || sp->state != STREAM_UP || sp->write_busy)
		return;
	if (sp->out[sp->fill].len > 0)
		stream_write_start(sp);
	if (sp->state == STREAM_UP && !sp->write_busy &&
	    !unet_port_queue_empty(&sp->port))
		unet_port_flush(&sp->port);
}

/* The extension's header of a record with facts (stream_proto.h). */
static void stream_put_off(unsigned char *p, const struct unet_offload *off)
{
	p[0] = off->flags;
	p[1] = off->gso_type;
	unet__put_be16(p + 2, off->hdr_len);
	unet__put_be16(p + 4, off->gso_size);
	unet__put_be16(p + 6, off->csum_start);
	unet__put_be16(p + 8, off->csum_offset);
	unet__put_be16(p + 10, 0);
}

static void stream_get_off(const unsigned char *p, struct unet_offload *off)
{
	off->flags = p[0];
	off->gso_type = p[1];
	off->hdr_len = unet__get_be16(p + 2);
	off->gso_size = unet__get_be16(p + 4);
	off->csum_start = unet__get_be16(p + 6);
	off->csum_offset = unet__get_be16(p + 8);
}

/*
 * Append one record (with the facts @off, or an ordinary one) to the
 * filling buffer, and write it at once when nothing else is under way.
 */
static int stream_append(struct stream_port *sp, const void *frame, size_t len,
			 const struct unet_offload *off)
{
	size_t extra = off != NULL ? STREAM_OFF_LEN : 0;
	uint32_t flags = off != NULL ? STREAM_F_OFFLOAD : 0;
	struct stream_obuf *b;
	unsigned char *p;

	if (sp->state != STREAM_UP)
		return -ENOTCONN;
	if (len == 0 || extra + len > STREAM_FRAME_MAX)
		return -EMSGSIZE;
	b = &sp->out[sp->fill];
	/*
	 * Full: the hub queues the frame until this buffer is written. (Not
	 * writing a full batch at once: fewer, larger writes carry bulk
	 * faster, measured at MTU 65520 over unix.)
	 */
	if (STREAM_OBUF_LEN - b->len < STREAM_HDR_LEN + extra + len)
		return -EAGAIN;
	p = b->data + b->len;
	unet__put_be32(p, flags | (uint32_t)(extra + len));
	if (off != NULL)
		stream_put_off(p + STREAM_HDR_LEN, off);
	memcpy(p + STREAM_HDR_LEN + extra, frame, len);
	b->len += STREAM_HDR_LEN + extra + len;
	if (sp->write_busy || sp->batching)
		return 0;
	stream_write_start(sp);
	if (sp->state == STREAM_UP && !sp->write_busy) {
		sp->batching = true;
		uv_idle_start(&sp->idle, stream_idle_cb);
	}
	return 0;
}

static int stream_send(struct unet_port *port, const void *frame, size_t len)
{
	struct stream_port *sp = container_of(port, struct stream_port, port);

	return stream_append(sp, frame, len, NULL);
}

static int stream_send_offload(struct unet_port *port, const void *frame,
			       size_t len, const struct unet_offload *off)
{
	struct stream_port *sp = container_of(port, struct stream_port, port);

	/* Queued for a peer that has left since: the next may not speak it. */
	if (sp->port.offload == 0)
		return -ENOTCONN;
	return stream_append(sp, frame, len, off);
}

/* Offer the extension to a new peer: the hello, as an ordinary frame. */
static void stream_send_hello(struct stream_port *sp)
{
	unsigned char f[STREAM_HELLO_LEN];

	memset(f, 0, sizeof(f));
	memcpy(f, stream_hello_dst, sizeof(stream_hello_dst));
	/* Source: a locally administered address, unicast, of no NIC. */
	f[6] = 0x02;
	unet__put_be16(f + 12, STREAM_HELLO_TYPE);
	memcpy(f + 14, STREAM_HELLO_MAGIC, STREAM_HELLO_MAGIC_LEN);
	f[STREAM_HELLO_VERSION_OFF] = STREAM_HELLO_VERSION;
	f[STREAM_HELLO_VERSION_OFF + 1] = STREAM_OFFLOAD_ALL;
	sp->hello_sent = true;
	if (stream_append(sp, f, sizeof(f), NULL) < 0)
		unet_hub_log(stream_hub(sp), UNET_LOG_WARN,
			     "stream %s: cannot offer offloads to %s",
			     sp->port.id, sp->addr_str);
}

/*
 * Whether @frame is a peer's hello (stream_proto.h); if so, take what it
 * says it takes. Another version's hello is kept out of the hub too, and
 * offers nothing. Only the connection's first record can be one: a usernet
 * sends its hello before anything else, and a guest behind a QEMU peer
 * that forges one later (to have us send QEMU records it cannot read) is
 * just a frame.
 */
static bool stream_hello(struct stream_port *sp, const unsigned char *frame,
			 size_t len)
{
	if (len < STREAM_HELLO_VERSION_OFF + 2 ||
	    memcmp(frame, stream_hello_dst, sizeof(stream_hello_dst)) != 0 ||
	    unet__get_be16(frame + 12) != STREAM_HELLO_TYPE ||
	    memcmp(frame + 14, STREAM_HELLO_MAGIC, STREAM_HELLO_MAGIC_LEN) != 0)
		return false;
	if (frame[STREAM_HELLO_VERSION_OFF] != STREAM_HELLO_VERSION) {
		unet__log_limited(
			stream_hub(sp), &sp->rl, UNET_LOG_INFO,
			"stream %s: peer %s offers offload extension version %u; this is version %u: none used",
			sp->port.id, sp->addr_str,
			frame[STREAM_HELLO_VERSION_OFF], STREAM_HELLO_VERSION);
		return true;
	}
	/* Facts go only with a checksum left to do or known: CSUM first. */
	sp->port.offload = frame[STREAM_HELLO_VERSION_OFF + 1] &
			   STREAM_OFFLOAD_ALL;
	if ((sp->port.offload & UNET_PORT_OFFLOAD_CSUM) == 0)
		sp->port.offload = 0;
	unet_hub_log(stream_hub(sp), UNET_LOG_INFO,
		     "stream %s: peer %s takes offloads (%#x)", sp->port.id,
		     sp->addr_str, sp->port.offload);
	return true;
}

/* One frame from the peer into the hub; a record with facts, checked. */
static void stream_input_frame(struct stream_port *sp,
			       const unsigned char *frame, size_t len)
{
	struct unet_offload off;
	bool first = sp->first_in;

	sp->first_in = false;
	if ((sp->df.flags & STREAM_F_OFFLOAD) == 0) {
		if (!sp->offer || !first || !stream_hello(sp, frame, len))
			unet_hub_input(&sp->port, frame, len);
		return;
	}
	if (len < STREAM_OFF_LEN) {
		sp->port.stats.drops[UNET_DROP_OFFLOAD]++;
		return;
	}
	stream_get_off(frame, &off);
	unet_hub_input_offload(&sp->port, frame + STREAM_OFF_LEN,
			       len - STREAM_OFF_LEN, &off);
}

static void stream_alloc_cb(uv_handle_t *handle, size_t suggested,
			    uv_buf_t *buf)
{
	struct stream_port *sp = handle->data;

	(void)suggested;
	*buf = uv_buf_init((char *)sp->rbuf, STREAM_RBUF_LEN);
}

/* Cut received bytes into frames and push each into the hub. */
static void stream_input(struct stream_port *sp, const unsigned char *data,
			 size_t len)
{
	const unsigned char *frame;
	size_t frame_len;
	int r;

	while ((r = unet__deframer_next(&sp->df, &data, &len, &frame,
					&frame_len)) == 1) {
		stream_input_frame(sp, frame, frame_len);
		/* A port the frame reached may have closed us or the peer. */
		if (sp->closing || sp->state != STREAM_UP)
			return;
	}
	if (r == 0)
		return;
	sp->port.stats.drops[UNET_DROP_ERROR]++;
	if (r == -EMSGSIZE)
		unet__log_limited(stream_hub(sp), &sp->rl, UNET_LOG_ERROR,
				  "stream %s: peer %s sent a frame length of %zu, above %d: connection reset",
				  sp->port.id, sp->addr_str, sp->df.frame_len,
				  STREAM_FRAME_MAX);
	else
		unet__log_limited(stream_hub(sp), &sp->rl, UNET_LOG_ERROR,
				  "stream %s: peer %s sent a frame length of 0: connection reset",
				  sp->port.id, sp->addr_str);
	stream_conn_drop(sp, true);
}

static void stream_read_cb(uv_stream_t *stream, ssize_t nread,
			   const uv_buf_t *buf)
{
	struct stream_port *sp = stream->data;
	size_t pending;

	(void)buf;
	if (sp->closing || sp->state != STREAM_UP)
		return;
	if (nread > 0) {
		stream_input(sp, sp->rbuf, (size_t)nread);
		return;
	}
	if (nread == 0)
		return;
	pending = unet__deframer_pending(&sp->df);
	if (pending > 0) {
		sp->port.stats.drops[UNET_DROP_ERROR]++;
		unet__log_limited(stream_hub(sp), &sp->rl, UNET_LOG_INFO,
				  "stream %s: peer %s left in the middle of a frame: %zu bytes dropped",
				  sp->port.id, sp->addr_str, pending);
	}
	if (nread == UV_EOF)
		unet__log_limited(stream_hub(sp), &sp->rl, UNET_LOG_INFO,
				  "stream %s: peer %s left%s", sp->port.id,
				  sp->addr_str,
				  sp->listen ? "" :
				  sp->adopted || sp->reconnect_ms == 0 ?
						 ", port down" :
						 ", reconnecting");
	else
		unet__log_limited(stream_hub(sp), &sp->rl, UNET_LOG_WARN,
				  "stream %s: reading from %s: %s, connection closed",
				  sp->port.id, sp->addr_str,
				  uv_strerror((int)nread));
	stream_conn_drop(sp, false);
}

/* The connection is established: start reading. */
static void stream_conn_up(struct stream_port *sp)
{
	int r;

	sp->state = STREAM_UP;
	sp->failing = false;
	sp->backoff_ms = sp->reconnect_ms < STREAM_BACKOFF_MIN_MS ?
				 sp->reconnect_ms : STREAM_BACKOFF_MIN_MS;
	unet__deframer_reset(&sp->df);
	sp->df.flag_mask = sp->offer ? STREAM_F_OFFLOAD : 0;
	sp->port.offload = 0;
	sp->hello_sent = false;
	sp->first_in = true;
	sp->out[0].len = sp->out[1].len = 0;
	sp->fill = 0;
	/* Frames are whole messages, written as soon as they are complete. */
	if (!sp->is_unix)
		uv_tcp_nodelay(&sp->conn.tcp, 1);
	r = uv_read_start(&sp->conn.s, stream_alloc_cb, stream_read_cb);
	if (r < 0) {
		unet_hub_log(stream_hub(sp), UNET_LOG_ERROR,
			     "stream %s: cannot read from %s: %s", sp->port.id,
			     sp->addr_str, uv_strerror(r));
		sp->state = STREAM_CONNECTING;	/* not reading: just close */
		stream_conn_drop(sp, false);
		return;
	}
	unet_hub_log(stream_hub(sp), UNET_LOG_INFO, "stream %s: %s %s%s%s",
		     sp->port.id,
		     sp->listen	 ? "peer" :
		     sp->adopted ? "adopted connection," :
				   "connected to",
		     sp->addr_str, sp->listen ? " connected" : "",
		     sp->offer ? ", offering offloads" : "");
	if (sp->offer)
		stream_send_hello(sp);
}

/* A connect attempt failed with @err: close the handle, maybe retry. */
static void stream_connect_failed(struct stream_port *sp, int err)
{
	enum unet_log_level level = sp->failing ? UNET_LOG_DEBUG :
				    sp->reconnect_ms ? UNET_LOG_WARN :
				    UNET_LOG_ERROR;

	unet_hub_log(stream_hub(sp), level, "stream %s: cannot connect to %s: %s%s",
		     sp->port.id, sp->addr_str, uv_strerror(err),
		     sp->reconnect_ms ? ", will retry" :
					", port down (no reconnect=)");
	sp->failing = true;
	stream_conn_drop(sp, false);
}

static void stream_connect_cb(uv_connect_t *req, int status)
{
	struct stream_port *sp = container_of(req, struct stream_port,
					      connect_req);

	if (status == UV_ECANCELED || sp->closing ||
	    sp->state != STREAM_CONNECTING)
		return;
	if (status < 0) {
		stream_connect_failed(sp, status);
		return;
	}
	stream_conn_up(sp);
}

static void stream_connect(struct stream_port *sp)
{
	const struct sockaddr_un *un = (const void *)&sp->addr;
	int r;

	r = stream_conn_init(sp);
	if (r < 0) {
		unet_hub_log(stream_hub(sp), UNET_LOG_ERROR,
			     "stream %s: cannot make a socket: %s",
			     sp->port.id, uv_strerror(r));
		return;
	}
	sp->state = STREAM_CONNECTING;
	if (sp->is_unix) {
		uv_pipe_connect(&sp->connect_req, &sp->conn.pipe, un->sun_path,
				stream_connect_cb);
		return;
	}
	r = uv_tcp_connect(&sp->connect_req, &sp->conn.tcp,
			   (const struct sockaddr *)&sp->addr,
			   stream_connect_cb);
	if (r < 0)
		stream_connect_failed(sp, r);
}

/* Take the peer that waits on the listener. */
static void stream_accept(struct stream_port *sp)
{
	struct sockaddr_storage peer;
	int len = sizeof(peer);
	int r;

	r = stream_conn_init(sp);
	if (r < 0) {
		unet_hub_log(stream_hub(sp), UNET_LOG_ERROR,
			     "stream %s: cannot accept: %s", sp->port.id,
			     uv_strerror(r));
		return;
	}
	sp->state = STREAM_CONNECTING;
	r = uv_accept(&sp->server.s, &sp->conn.s);
	if (r < 0) {
		unet__log_limited(stream_hub(sp), &sp->rl, UNET_LOG_WARN,
				  "stream %s: accept: %s", sp->port.id,
				  uv_strerror(r));
		stream_conn_drop(sp, false);
		return;
	}
	if (!sp->is_unix &&
	    uv_tcp_getpeername(&sp->conn.tcp, (struct sockaddr *)&peer,
			       &len) == 0)
		unet__addr_str((const struct sockaddr *)&peer,
			       (socklen_t)len, sp->addr_str,
			       sizeof(sp->addr_str));
	stream_conn_up(sp);
}

static void stream_connection_cb(uv_stream_t *server, int status)
{
	struct stream_port *sp = server->data;

	if (sp->closing)
		return;
	if (status < 0) {
		unet__log_limited(stream_hub(sp), &sp->rl, UNET_LOG_WARN,
				  "stream %s: listening: %s", sp->port.id,
				  uv_strerror(status));
		return;
	}
	if (sp->state != STREAM_IDLE) {
		/*
		 * One peer at a time, as QEMU: not accepting makes libuv
		 * hold this one and stop watching the listener until
		 * stream_accept() runs.
		 */
		sp->accept_pending = true;
		unet_hub_log(stream_hub(sp), UNET_LOG_DEBUG,
			     "stream %s: another peer waits", sp->port.id);
		return;
	}
	stream_accept(sp);
}

static void stream_close(struct unet_port *port)
{
	struct stream_port *sp = container_of(port, struct stream_port, port);
	const struct sockaddr_un *un = (const void *)&sp->addr;

	if (sp->closing)
		return;
	unet_hub_detach(port);
	sp->closing = true;
	unet_timer_close(&sp->timer, stream_handle_closed);
	uv_close((uv_handle_t *)&sp->idle, stream_handle_closed);
	if (sp->server_open)
		uv_close(&sp->server.h, stream_handle_closed);
	if (sp->state == STREAM_UP)
		uv_read_stop(&sp->conn.s);
	if (sp->state != STREAM_IDLE && sp->state != STREAM_CLOSING) {
		sp->state = STREAM_CLOSING;
		uv_close(&sp->conn.h, stream_conn_closed);
	}
	if (sp->unlink_path)
		unlink(un->sun_path);
}

/* A port with its buffers and timer, not attached yet. */
static int stream_new(struct unet_hub *hub, const char *id,
		      struct stream_port **spp)
{
	struct stream_port *sp;
	int r;

	sp = calloc(1, sizeof(*sp));
	if (sp == NULL)
		return -ENOMEM;
	unet_port_init(&sp->port, &stream_ops, id);
	sp->loop = unet_hub_loop(hub);
	sp->out[0].data = malloc(STREAM_OBUF_LEN);
	sp->out[1].data = malloc(STREAM_OBUF_LEN);
	sp->rbuf = malloc(STREAM_RBUF_LEN);
	r = unet__deframer_init(&sp->df, STREAM_HDR_LEN, STREAM_FRAME_MAX);
	if (r == 0 && (sp->out[0].data == NULL || sp->out[1].data == NULL ||
		       sp->rbuf == NULL))
		r = -ENOMEM;
	if (r == 0)
		r = unet_timer_init(hub, &sp->timer);
	if (r < 0) {
		sp->closing = true;
		stream_maybe_free(sp);
		return r;
	}
	sp->timer.uv.data = sp;
	uv_idle_init(sp->loop, &sp->idle);
	sp->idle.data = sp;
	sp->handles = 2;
	*spp = sp;
	return 0;
}

/* Check a configuration's address and copy it into the port. */
static int stream_set_addr(struct stream_port *sp,
			   const struct unet_stream_config *config)
{
	const struct sockaddr *sa = (const void *)&config->addr;
	const struct sockaddr_un *un = (const void *)&config->addr;
	size_t max;

	switch (sa->sa_family) {
	case AF_INET:
		if (config->addrlen < sizeof(struct sockaddr_in))
			return -EINVAL;
		break;
	case AF_INET6:
		if (config->addrlen < sizeof(struct sockaddr_in6))
			return -EINVAL;
		break;
	case AF_UNIX:
		if (config->addrlen <= offsetof(struct sockaddr_un, sun_path))
			return -EINVAL;
		max = config->addrlen - offsetof(struct sockaddr_un, sun_path);
		if (max > sizeof(un->sun_path))
			max = sizeof(un->sun_path);
		/* A path, NUL-terminated: no abstract names. */
		if (un->sun_path[0] == '\0')
			return -EINVAL;
		if (strnlen(un->sun_path, max) >= max)
			return -ENAMETOOLONG;
		sp->is_unix = true;
		break;
	default:
		return -EAFNOSUPPORT;
	}
	if (config->addrlen > sizeof(sp->addr))
		return -EINVAL;
	memcpy(&sp->addr, &config->addr, config->addrlen);
	sp->addrlen = config->addrlen;
	unet__addr_str(sa, config->addrlen, sp->addr_str,
		       sizeof(sp->addr_str));
	return 0;
}

/* Bind and listen on the port's address. */
static int stream_listen(struct stream_port *sp)
{
	const struct sockaddr_un *un = (const void *)&sp->addr;
	int r;

	if (sp->is_unix) {
		r = unet__unlink_stale_socket(un->sun_path);
		if (r < 0)
			return r;
		r = uv_pipe_init(sp->loop, &sp->server.pipe, 0);
	} else {
		r = uv_tcp_init(sp->loop, &sp->server.tcp);
	}
	if (r < 0)
		return r;
	sp->server.h.data = sp;
	sp->server_open = true;
	sp->handles++;
	if (sp->is_unix) {
		r = uv_pipe_bind(&sp->server.pipe, un->sun_path);
		if (r == 0)
			sp->unlink_path = true;
	} else {
		r = uv_tcp_bind(&sp->server.tcp,
				(const struct sockaddr *)&sp->addr, 0);
	}
	if (r == 0)
		r = uv_listen(&sp->server.s, STREAM_BACKLOG,
			      stream_connection_cb);
	return r;
}

/**
 * unet_stream_config_init() - fill a stream configuration with the defaults
 * @config: the configuration: connect, no address yet, no reconnect
 */
void unet_stream_config_init(struct unet_stream_config *config)
{
	memset(config, 0, sizeof(*config));
	config->size = sizeof(*config);
}

/**
 * unet_stream_open() - a port that carries frames over a stream socket
 * @hub: the hub to attach to
 * @id: the port's name
 * @config: where the peer is, and whether to listen or connect; read
 *          during the call only (a versioned struct, see hub.h)
 * @portp: receives the port
 *
 * See the header for the behaviour. Listening and binding happen now;
 * connecting happens on the loop.
 *
 * Return: 0, -EINVAL for a bad configuration, -E2BIG for a
 * &unet_stream_config.size above this library's whose extra bytes are not
 * zero, -EAFNOSUPPORT for another address family, -ENAMETOOLONG for a unix
 * path that does not fit, -EEXIST when something other than a socket is at
 * a unix path to listen on, -ENOMEM, or what bind()/listen() answered
 * (-EADDRINUSE, ...).
 */
int unet_stream_open(struct unet_hub *hub, const char *id,
		     const struct unet_stream_config *config,
		     struct unet_port **portp)
{
	struct unet_stream_config cfg;
	struct stream_port *sp;
	int r;

	if (hub == NULL || config == NULL || portp == NULL)
		return -EINVAL;
	unet_stream_config_init(&cfg);
	r = unet__config_copy(&cfg, sizeof(cfg), config, config->size,
			      STREAM_CONFIG_SIZE_V1);
	if (r < 0)
		return r;
	r = stream_new(hub, id, &sp);
	if (r < 0)
		return r;
	r = stream_set_addr(sp, &cfg);
	if (r == 0) {
		sp->listen = cfg.listen;
		sp->offer = cfg.offload;
		sp->reconnect_ms = cfg.listen ? 0 : cfg.reconnect_ms;
		sp->backoff_ms = sp->reconnect_ms < STREAM_BACKOFF_MIN_MS ?
					 sp->reconnect_ms :
					 STREAM_BACKOFF_MIN_MS;
		if (sp->listen)
			r = stream_listen(sp);
	}
	if (r == 0)
		r = unet_hub_attach(hub, &sp->port);
	if (r < 0) {
		stream_close(&sp->port);
		return r;
	}
	if (sp->listen)
		unet_hub_log(hub, UNET_LOG_INFO, "stream %s: listening on %s",
			     sp->port.id, sp->addr_str);
	else
		stream_connect(sp);
	*portp = &sp->port;
	return 0;
}

/**
 * unet_stream_adopt() - a stream port on an already-connected socket
 * @hub: the hub to attach to
 * @id: the port's name
 * @fd: a connected stream socket (TCP or unix); the port owns it from now
 *      on, also when this call fails. When the peer leaves the port stays
 *      down.
 * @portp: receives the port
 *
 * Return: 0, -EBADF for a negative @fd, -EINVAL for a NULL @hub or @portp
 * or an fd that is not a stream socket, -ENOMEM.
 */
int unet_stream_adopt(struct unet_hub *hub, const char *id, int fd,
		      struct unet_port **portp)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	socklen_t optlen = sizeof(int);
	struct stream_port *sp;
	int type = 0;
	int r;

	if (fd < 0)
		return -EBADF;
	if (hub == NULL || portp == NULL ||
	    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &optlen) < 0 ||
	    type != SOCK_STREAM ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) < 0 ||
	    (ss.ss_family != AF_UNIX && ss.ss_family != AF_INET &&
	     ss.ss_family != AF_INET6)) {
		close(fd);
		return -EINVAL;
	}
	r = stream_new(hub, id, &sp);
	if (r < 0) {
		close(fd);
		return r;
	}
	sp->adopted = true;
	sp->is_unix = ss.ss_family == AF_UNIX;
	snprintf(sp->addr_str, sizeof(sp->addr_str), "fd %d", fd);
	r = stream_conn_init(sp);
	if (r < 0) {
		close(fd);
		stream_close(&sp->port);
		return r;
	}
	sp->state = STREAM_CONNECTING;
	if (sp->is_unix)
		r = uv_pipe_open(&sp->conn.pipe, fd);
	else
		r = uv_tcp_open(&sp->conn.tcp, fd);
	if (r < 0)
		close(fd);
	if (r == 0)
		r = unet_hub_attach(hub, &sp->port);
	if (r < 0) {
		stream_close(&sp->port);
		return r;
	}
	stream_conn_up(sp);
	*portp = &sp->port;
	return 0;
}

/**
 * unet_stream_set_offload() - offer usernet's offload extension, or stop
 * @port: a port made by unet_stream_open() or unet_stream_adopt()
 * @on: offer it (as &unet_stream_config.offload) or not
 *
 * For an adopted connection, whose peer is up from the start: turned on,
 * the hello goes out now, which must be before any frame (call it right
 * after unet_stream_adopt()); a peer takes a hello only as the first
 * record. Turned off, no more frames with facts are sent; records with
 * facts the peer already sent are still taken.
 *
 * Return: 0, -EINVAL for another kind of port.
 */
int unet_stream_set_offload(struct unet_port *port, bool on)
{
	struct stream_port *sp;

	if (port == NULL || port->ops != &stream_ops)
		return -EINVAL;
	sp = container_of(port, struct stream_port, port);
	sp->offer = on;
	if (!on) {
		sp->port.offload = 0;
		return 0;
	}
	if (sp->state == STREAM_UP && !sp->hello_sent) {
		sp->df.flag_mask = STREAM_F_OFFLOAD;
		stream_send_hello(sp);
	}
	return 0;
}

/**
 * unet_stream_connected() - whether a stream port has a peer now
 * @port: a port made by unet_stream_open() or unet_stream_adopt()
 *
 * Return: true while a connection is up; false for another kind of port.
 */
bool unet_stream_connected(const struct unet_port *port)
{
	const struct stream_port *sp;

	if (port == NULL || port->ops != &stream_ops)
		return false;
	sp = container_of(port, const struct stream_port, port);
	return sp->state == STREAM_UP;
}

/**
 * unet_stream_local_addr() - the address a stream port listens on
 * @port: a port made by unet_stream_open() with &unet_stream_config.listen
 * @addr: receives the address
 * @addrlen: in: the size of @addr; out: the address's length
 *
 * Return: 0, -EINVAL for a port that does not listen, or getsockname()'s
 * negative errno.
 */
int unet_stream_local_addr(const struct unet_port *port,
			   struct sockaddr *addr, socklen_t *addrlen)
{
	const struct stream_port *sp;
	uv_os_fd_t fd;

	if (port == NULL || addr == NULL || addrlen == NULL ||
	    port->ops != &stream_ops)
		return -EINVAL;
	sp = container_of(port, const struct stream_port, port);
	if (!sp->server_open || sp->closing ||
	    uv_fileno(&sp->server.h, &fd) < 0)
		return -EINVAL;
	if (getsockname(fd, addr, addrlen) < 0)
		return -errno;
	return 0;
}
