/* SPDX-License-Identifier: MIT */
/*
 * The hub.
 *
 * Theory of operation: a hub is a list of ports. unet_hub_input() checks a
 * frame's length once and offers it to every other port. A port that answers
 * -EAGAIN gets a copy in its own bounded FIFO; while that FIFO is not empty,
 * later frames join its tail so that order is kept, and the port drains it
 * with unet_port_flush() when it can write again. Past the FIFO's bounds
 * (frames and bytes) frames are dropped and counted: memory never grows
 * without bound and the loop never blocks.
 *
 * Delivery is synchronous and may nest (a port's send can make another frame,
 * e.g. the stack answering an ARP request from inside its send op). Nesting is
 * bounded; each nesting level keeps a cursor into the port list, and detaching
 * a port moves any cursor that points at it, so a port may detach (and free
 * itself) from inside a delivery.
 *
 * A frame may carry offload facts (struct unet_offload, unet_hub_input_offload()):
 * they are checked once on the way in (offload.c); a port whose
 * &unet_port.offload covers what the frame needs gets it whole through its
 * send_offload op, every other port gets it made ordinary first (its
 * checksum finished in a copy, a GSO frame cut into segments within the
 * MTU), one port at a time, so that no memory is kept between deliveries.
 * Queued frames keep their facts.
 *
 * The hub is also where the library's log lives, and (in clock.c) its
 * clock, timers and random source.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wire/config_copy.h"
#include "hub_internal.h"
#include "offload_internal.h"

/* The size of struct unet_hub_config in 0.1.0, its first release. */
#define HUB_CONFIG_SIZE_V1 \
	UNET__CONFIG_SIZE_TO(struct unet_hub_config, epoch_ns)

/**
 * struct unet_port_frame - a copy of a frame waiting in a port's queue
 * @next: the next frame in the queue
 * @len: length of @data
 * @has_off: @off holds the frame's offload facts
 * @off: the facts, for the port's send_offload op
 * @data: the frame
 */
struct unet_port_frame {
	struct unet_port_frame *next;
	size_t len;
	bool has_off;
	struct unet_offload off;
	unsigned char data[];
};

/**
 * unet_hub_config_init() - fill a hub configuration with the defaults
 * @config: the configuration to fill
 */
void unet_hub_config_init(struct unet_hub_config *config)
{
	memset(config, 0, sizeof(*config));
	config->size = sizeof(*config);
	config->mtu = UNET_MTU_DEFAULT;
	config->log_level = UNET_LOG_INFO;
}

/**
 * unet_hub_new() - make a hub on a loop
 * @loop: the embedder's loop; the hub starts no handles of its own
 * @config: the configuration, NULL for the defaults; read during the call
 *          only (a versioned struct, see hub.h)
 * @hubp: receives the hub, which the caller owns until unet_hub_close()
 *
 * Return: 0, -EINVAL for a bad configuration (or a &unet_hub_config.size
 * below the first release's), -E2BIG for a larger size whose fields this
 * library does not know are not zero, -ENOMEM.
 */
int unet_hub_new(uv_loop_t *loop, const struct unet_hub_config *config,
		 struct unet_hub **hubp)
{
	struct unet_hub_config cfg;
	struct unet_hub *hub;
	int r;

	unet_hub_config_init(&cfg);
	if (loop == NULL || hubp == NULL)
		return -EINVAL;
	if (config != NULL) {
		r = unet__config_copy(&cfg, sizeof(cfg), config,
				      config->size, HUB_CONFIG_SIZE_V1);
		if (r < 0)
			return r;
	}
	if (cfg.mtu < UNET_MTU_MIN || cfg.mtu > UNET_MTU_MAX)
		return -EINVAL;
	if ((unsigned int)cfg.log_level >= UNET_LOG_LEVEL_NUM)
		return -EINVAL;

	hub = calloc(1, sizeof(*hub));
	if (hub == NULL)
		return -ENOMEM;
	hub->loop = loop;
	hub->mtu = cfg.mtu;
	hub->log_cb = cfg.log_cb;
	hub->log_opaque = cfg.log_opaque;
	hub->log_level = cfg.log_level;
	unet__clock_init(hub, &cfg);
	*hubp = hub;
	return 0;
}

/**
 * unet_hub_close() - close every port still attached, then free the hub
 * @hub: the hub, freed here; may be NULL
 *
 * Ports whose close finishes asynchronously (on the loop) no longer touch the
 * hub; the embedder runs the loop until they are done.
 */
void unet_hub_close(struct unet_hub *hub)
{
	if (hub == NULL)
		return;
	assert(hub->depth == 0);
	while (hub->ports != NULL) {
		struct unet_port *port = hub->ports;

		port->ops->close(port);
		if (hub->ports == port)
			unet_hub_detach(port);
	}
	unet__clock_close(hub);
	free(hub);
}

/**
 * unet_hub_loop() - the loop a hub runs on
 * @hub: the hub
 *
 * Return: the loop given to unet_hub_new().
 */
uv_loop_t *unet_hub_loop(const struct unet_hub *hub)
{
	return hub->loop;
}

/**
 * unet_hub_mtu() - the hub's MTU
 * @hub: the hub
 *
 * Return: the largest IP packet a frame on this hub carries.
 */
unsigned int unet_hub_mtu(const struct unet_hub *hub)
{
	return hub->mtu;
}

/**
 * unet_hub_frame_max() - the longest frame the hub passes on
 * @hub: the hub
 *
 * Return: the MTU plus an Ethernet header and one VLAN tag.
 */
size_t unet_hub_frame_max(const struct unet_hub *hub)
{
	return (size_t)hub->mtu + UNET_ETH_HLEN + UNET_VLAN_HLEN;
}

/**
 * unet_hub_set_log() - change where a hub's log messages go
 * @hub: the hub
 * @cb: the callback, NULL for nowhere; called on the loop's thread
 * @opaque: passed to @cb; the caller keeps it alive while @cb is installed
 * @level: the most verbose level passed on
 */
void unet_hub_set_log(struct unet_hub *hub, unet_log_cb cb, void *opaque,
		      enum unet_log_level level)
{
	hub->log_cb = cb;
	hub->log_opaque = opaque;
	if ((unsigned int)level < UNET_LOG_LEVEL_NUM)
		hub->log_level = level;
}

/**
 * unet_hub_log() - log a message through the hub's callback
 * @hub: the hub
 * @level: the message's level; above the hub's level the message is dropped
 * @fmt: printf format
 * @...: its arguments
 *
 * The message is formatted into a bounded buffer (a longer one is cut) and
 * handed to &unet_hub_config.log_cb; without a callback it goes nowhere:
 * the library never writes to stderr itself.
 */
void unet_hub_log(const struct unet_hub *hub, enum unet_log_level level,
		  const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	size_t n;

	if (hub == NULL || hub->log_cb == NULL || level > hub->log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	n = strlen(msg);
	while (n > 0 && msg[n - 1] == '\n')
		msg[--n] = '\0';
	hub->log_cb(hub->log_opaque, level, msg);
}

/**
 * unet_hub_ports() - the first port of a hub, for walking its ports
 * @hub: the hub
 *
 * Return: the first port, NULL when none; each port's @next leads to the
 * following one. The ports belong to their owners, not to the caller; the
 * list holds until a port is attached or detached.
 */
struct unet_port *unet_hub_ports(const struct unet_hub *hub)
{
	return hub->ports;
}

/**
 * unet_port_init() - prepare a port before attaching it
 * @port: the port, usually embedded in an attachment, owned by the caller
 * @ops: its kind, a static table that outlives the port
 * @id: its name, copied (truncated to fit); NULL for ""
 */
void unet_port_init(struct unet_port *port, const struct unet_port_ops *ops,
		    const char *id)
{
	memset(port, 0, sizeof(*port));
	port->ops = ops;
	snprintf(port->id, sizeof(port->id), "%s", id != NULL ? id : "");
	port->queue_max = 256;
	port->queue_bytes_max = 4u << 20;
}

/**
 * unet_hub_attach() - attach a port to a hub
 * @hub: the hub
 * @port: a port prepared with unet_port_init(), not attached anywhere
 *
 * The port stays its owner's: the hub keeps a pointer to it until
 * unet_hub_detach(), and unet_hub_close() calls its close op. The port is
 * offered frames after the ports attached before it, except that observers
 * (&unet_port.observer) come before all the others.
 *
 * Return: 0, or -EINVAL (a NULL @hub or @port, ops without send or close,
 * or a port already attached).
 */
int unet_hub_attach(struct unet_hub *hub, struct unet_port *port)
{
	struct unet_port **pp;

	if (hub == NULL || port == NULL || port->ops == NULL ||
	    port->ops->send == NULL || port->ops->close == NULL ||
	    port->hub != NULL)
		return -EINVAL;
	/* Observers first (in attach order), then the others. */
	for (pp = &hub->ports; *pp != NULL; pp = &(*pp)->next)
		if (port->observer && !(*pp)->observer)
			break;
	port->next = *pp;
	*pp = port;
	port->hub = hub;
	return 0;
}

static void port_queue_clear(struct unet_port *port)
{
	struct unet_port_frame *f, *next;

	for (f = port->queue_head; f != NULL; f = next) {
		next = f->next;
		free(f);
	}
	port->queue_head = port->queue_tail = NULL;
	port->queue_len = port->queue_bytes = 0;
}

/**
 * unet_hub_detach() - take a port off its hub
 * @port: the port; nothing happens when it is not attached
 *
 * Frames still queued for the port are freed (not counted as drops: the port
 * is going away). Safe to call from inside a delivery.
 */
void unet_hub_detach(struct unet_port *port)
{
	struct unet_hub *hub = port->hub;
	struct unet_port **pp;
	unsigned int i;

	if (hub == NULL)
		return;
	for (i = 0; i < hub->depth; i++)
		if (hub->cursor[i] == port)
			hub->cursor[i] = port->next;
	for (pp = &hub->ports; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == port) {
			*pp = port->next;
			break;
		}
	}
	port->next = NULL;
	port->hub = NULL;
	port_queue_clear(port);
}

/**
 * unet_port_close() - close a port, whatever its kind
 * @port: the port; may be NULL
 */
void unet_port_close(struct unet_port *port)
{
	if (port != NULL && port->ops != NULL)
		port->ops->close(port);
}

static void port_enqueue(struct unet_port *port, const void *frame, size_t len,
			 const struct unet_offload *off)
{
	struct unet_port_frame *f;

	if (port->queue_len >= port->queue_max ||
	    port->queue_bytes >= port->queue_bytes_max ||
	    len > port->queue_bytes_max - port->queue_bytes) {
		port->stats.drops[UNET_DROP_QUEUE_FULL]++;
		return;
	}
	f = malloc(sizeof(*f) + len);
	if (f == NULL) {
		port->stats.drops[UNET_DROP_QUEUE_FULL]++;
		return;
	}
	f->next = NULL;
	f->len = len;
	f->has_off = off != NULL;
	if (off != NULL)
		f->off = *off;
	memcpy(f->data, frame, len);
	if (port->queue_tail != NULL)
		port->queue_tail->next = f;
	else
		port->queue_head = f;
	port->queue_tail = f;
	port->queue_len++;
	port->queue_bytes += len;
}

/* Whether the frame now offered to @port is one &unet_port.loss loses. */
static bool port_lose(struct unet_port *port)
{
	const struct unet_port_loss *l = &port->loss;
	uint64_t n, now;

	if (l->one_in == 0 && l->burst_every == 0)
		return false;
	n = port->loss_seen++;
	now = unet_hub_now_ns(port->hub);
	if (l->burst_every != 0 && n % l->burst_every == 0)
		port->loss_burst_left = l->burst_len;
	else if (now - port->loss_last_ns >= UNET_LOSS_BURST_GAP_MS * 1000000ull)
		port->loss_burst_left = 0;
	port->loss_last_ns = now;
	if (port->loss_burst_left != 0) {
		port->loss_burst_left--;
		return true;
	}
	return l->one_in != 0 && unet_hub_random(port->hub) % l->one_in == 0;
}

/* A frame to @port, with @off only for a port that takes it (send_offload). */
static void port_offer(struct unet_port *port, const void *frame, size_t len,
		       const struct unet_offload *off)
{
	int r;

	if (port_lose(port)) {
		port->stats.drops[UNET_DROP_LOSS]++;
		return;
	}
	if (port->queue_head != NULL) {
		port_enqueue(port, frame, len, off);
		return;
	}
	if (off != NULL)
		r = port->ops->send_offload(port, frame, len, off);
	else
		r = port->ops->send(port, frame, len);
	if (r == 0) {
		port->stats.out_frames++;
		port->stats.out_bytes += len;
	} else if (r == -EAGAIN) {
		port_enqueue(port, frame, len, off);
	} else {
		port->stats.drops[UNET_DROP_ERROR]++;
	}
}

/*
 * Whether @port takes frames with offload facts at all: not while it loses
 * frames on purpose, whose unit is the wire frame.
 */
static bool port_takes_offload(const struct unet_port *port)
{
	return port->ops->send_offload != NULL &&
	       (port->offload & UNET_PORT_OFFLOAD_CSUM) != 0 &&
	       port->loss.one_in == 0 && port->loss.burst_every == 0;
}

/**
 * unet_hub_offload_others() - what every other port takes whole
 * @from: a port on a hub
 *
 * A sender that may make offloaded frames (the gateway merging its TCP
 * segments into GSO frames) asks whether doing so pays: a port that does
 * not take them gets them cut back in software.
 *
 * Return: the UNET_PORT_OFFLOAD_* bits that all ports but @from take
 * through their send_offload op; 0 when one of them takes none, or when no
 * other port is attached.
 */
unsigned int unet_hub_offload_others(const struct unet_port *from)
{
	const struct unet_port *port;
	unsigned int bits = ~0u;
	bool any = false;

	if (from->hub == NULL)
		return 0;
	for (port = from->hub->ports; port != NULL; port = port->next) {
		if (port == from)
			continue;
		any = true;
		bits &= port_takes_offload(port) ? port->offload : 0;
	}
	return any ? bits : 0;
}

/* The facts a segment or a finished frame carries to a port that takes them. */
static const struct unet_offload hub_data_valid = {
	.flags = UNET_OFFLOAD_F_DATA_VALID,
};

/**
 * struct hub_soft - one port's share of a frame made ordinary
 * @hub: the hub
 * @port: the port
 */
struct hub_soft {
	struct unet_hub *hub;
	struct unet_port *port;
};

static int hub_soft_seg(void *opaque, const void *frame, size_t len)
{
	struct hub_soft *s = opaque;

	port_offer(s->port, frame, len,
		   port_takes_offload(s->port) ? &hub_data_valid : NULL);
	/* The port may have detached itself from inside its send. */
	return s->port->hub == s->hub ? 0 : 1;
}

/*
 * Offers a frame with facts @port does not take whole: its checksum
 * finished in a copy, or cut into segments (with their checksums done).
 */
static void port_offer_soft(struct unet_port *port, const void *frame,
			    size_t len, const struct unet_offload *off,
			    const struct unet__offload_pkt *pkt)
{
	struct unet_hub *hub = port->hub;
	struct hub_soft s = { .hub = hub, .port = port };
	size_t buf_len = len;
	void *buf;
	int r;

	if (!unet__offload_plain(off) &&
	    (off->gso_type & (uint8_t)~UNET_GSO_ECN) != UNET_GSO_NONE)
		buf_len = pkt->hdr_len +
			  unet__offload_seg_max(pkt, off, hub->mtu);
	buf = malloc(buf_len);
	if (buf == NULL) {
		port->stats.drops[UNET_DROP_ERROR]++;
		return;
	}
	if ((off->gso_type & (uint8_t)~UNET_GSO_ECN) != UNET_GSO_NONE) {
		r = unet__offload_segment(frame, len, off, pkt, hub->mtu, buf,
					  buf_len, hub_soft_seg, &s);
	} else {
		memcpy(buf, frame, len);
		r = unet__offload_csum(buf, len, off, pkt);
		if (r == 0)
			hub_soft_seg(&s, buf, len);
	}
	if (r < 0)
		port->stats.drops[UNET_DROP_OFFLOAD]++;
	free(buf);
}

/* Offers a frame, with or without facts, in the form @port takes. */
static void port_offer_any(struct unet_port *port, const void *frame,
			   size_t len, const struct unet_offload *off,
			   const struct unet__offload_pkt *pkt)
{
	unsigned int need = unet__offload_needs(off);

	if (off == NULL) {
		port_offer(port, frame, len, NULL);
	} else if (port_takes_offload(port) && (port->offload & need) == need) {
		port_offer(port, frame, len, off);
	} else if (need == 0) {
		/* Only "known good": an ordinary frame to this port. */
		port_offer(port, frame, len, NULL);
	} else {
		port_offer_soft(port, frame, len, off, pkt);
	}
}

/* Delivers a checked frame (with checked facts, or none) to the other ports. */
static void hub_deliver(struct unet_hub *hub, struct unet_port *from,
			const void *frame, size_t len,
			const struct unet_offload *off,
			const struct unet__offload_pkt *pkt)
{
	struct unet_port *port;
	unsigned int level;

	from->stats.in_frames++;
	from->stats.in_bytes += len;

	level = hub->depth++;
	hub->cursor[level] = hub->ports;
	while ((port = hub->cursor[level]) != NULL) {
		hub->cursor[level] = port->next;
		if (port != from)
			port_offer_any(port, frame, len, off, pkt);
	}
	hub->depth--;
}

/* The checks every frame passes on its way in; 0 or a negative errno. */
static int hub_input_check(struct unet_port *from, size_t len, size_t max)
{
	struct unet_hub *hub = from->hub;

	if (hub == NULL)
		return -ENOTCONN;
	if (len < UNET_ETH_HLEN) {
		from->stats.drops[UNET_DROP_SHORT]++;
		return -EINVAL;
	}
	if (len > max) {
		from->stats.drops[UNET_DROP_LONG]++;
		return -EINVAL;
	}
	if (hub->depth >= HUB_DEPTH_MAX) {
		from->stats.drops[UNET_DROP_ERROR]++;
		return -ELOOP;
	}
	return 0;
}

/**
 * unet_hub_input() - a port pushes a frame into its hub
 * @from: the port the frame comes from
 * @frame: the frame, borrowed for the call
 * @len: its length
 *
 * Return: 0 when the frame was passed on; -EINVAL for a frame too short or
 * too long (dropped and counted on @from), -ENOTCONN when @from is not
 * attached, -ELOOP when deliveries nest too deeply (counted as an error).
 */
int unet_hub_input(struct unet_port *from, const void *frame, size_t len)
{
	int r = hub_input_check(from, len,
				from->hub ? unet_hub_frame_max(from->hub) : 0);

	if (r < 0)
		return r;
	hub_deliver(from->hub, from, frame, len, NULL, NULL);
	return 0;
}

/**
 * unet_hub_input_offload() - push a frame with its offload facts
 * @from: the port the frame comes from
 * @frame: the frame, borrowed for the call
 * @len: its length: up to UNET_GSO_FRAME_MAX for a GSO frame, else as
 *       unet_hub_input()
 * @off: its facts (borrowed for the call); NULL or all zero is an ordinary
 *       frame
 *
 * The facts are untrusted: they must fit the frame (see struct
 * unet_offload), else the frame is dropped and counted as
 * %UNET_DROP_OFFLOAD. Ports whose &unet_port.offload covers what the frame
 * needs get it whole; the others get it with its checksum finished and a
 * GSO frame cut into segments within the hub's MTU.
 *
 * Return: 0 when the frame was passed on; -EINVAL for a frame too short or
 * too long or with facts that do not fit it, or unet_hub_input()'s errors.
 */
int unet_hub_input_offload(struct unet_port *from, const void *frame,
			   size_t len, const struct unet_offload *off)
{
	struct unet__offload_pkt pkt;
	size_t max;
	int r;

	if (off == NULL || (off->flags == 0 && off->gso_type == UNET_GSO_NONE))
		return unet_hub_input(from, frame, len);
	if (from->hub == NULL)
		return -ENOTCONN;
	max = unet_hub_frame_max(from->hub);
	if ((off->gso_type & (uint8_t)~UNET_GSO_ECN) != UNET_GSO_NONE)
		max = UNET_GSO_FRAME_MAX;
	r = hub_input_check(from, len, max);
	if (r < 0)
		return r;
	if (unet__offload_check(frame, len, off, &pkt) < 0) {
		from->stats.drops[UNET_DROP_OFFLOAD]++;
		return -EINVAL;
	}
	hub_deliver(from->hub, from, frame, len, off, &pkt);
	return 0;
}

/**
 * unet_port_flush() - offer a port's queued frames to it again
 * @port: the port, typically once its fd became writable
 *
 * Return: 0 when the queue is empty, -EAGAIN when the port took only part.
 */
int unet_port_flush(struct unet_port *port)
{
	struct unet_port_frame *f;
	int r;

	while ((f = port->queue_head) != NULL) {
		if (f->has_off)
			r = port->ops->send_offload(port, f->data, f->len,
						    &f->off);
		else
			r = port->ops->send(port, f->data, f->len);
		if (r == -EAGAIN)
			return -EAGAIN;
		if (port->hub == NULL)
			return 0; /* the port detached itself: queue freed */
		if (r == 0) {
			port->stats.out_frames++;
			port->stats.out_bytes += f->len;
		} else {
			port->stats.drops[UNET_DROP_ERROR]++;
		}
		port->queue_head = f->next;
		if (port->queue_head == NULL)
			port->queue_tail = NULL;
		port->queue_len--;
		port->queue_bytes -= f->len;
		free(f);
	}
	return 0;
}

/**
 * unet_port_queue_empty() - whether a port has frames waiting
 * @port: the port
 *
 * Return: true when nothing is queued for the port.
 */
bool unet_port_queue_empty(const struct unet_port *port)
{
	return port->queue_head == NULL;
}
