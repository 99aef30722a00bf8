/* SPDX-License-Identifier: MIT */
/*
 * The callback port: frames in with a call, frames out through a callback.
 *
 * For an embedder that owns its own device model or transport (as QEMU owns
 * its NICs in front of libslirp): it hands the hub a frame with
 * unet_cb_port_input() and receives every frame for it in its callback. The
 * callback may refuse a frame with -EAGAIN; the hub then queues it (bounded)
 * and offers it again when the embedder calls unet_port_flush().
 *
 * A VMM whose device speaks virtio-net can opt in to offloads
 * (unet_cb_port_set_offload()): it then hands over frames with their
 * virtio-net header's facts (unet_cb_port_input_offload(), a guest's 64 KiB
 * TSO segment, say) and receives them (a merged GSO frame from the
 * gateway) through a second callback, instead of having the hub cut them.
 */
#include <errno.h>
#include <stdlib.h>

#include <usernet/ports.h>

#include "hub_internal.h"

/**
 * struct cb_port - a callback attachment
 * @port: the hub's port, embedded
 * @rx: the embedder's callback
 * @rx_off: its callback for frames with offload facts, once it opted in
 * @opaque: passed to @rx and @rx_off
 */
struct cb_port {
	struct unet_port port;
	unet_cb_port_rx_cb rx;
	unet_cb_port_rx_offload_cb rx_off;
	void *opaque;
};

static int cb_port_send(struct unet_port *port, const void *frame, size_t len)
{
	struct cb_port *cp = container_of(port, struct cb_port, port);

	return cp->rx(cp->opaque, frame, len);
}

static int cb_port_send_offload(struct unet_port *port, const void *frame,
				size_t len, const struct unet_offload *off)
{
	struct cb_port *cp = container_of(port, struct cb_port, port);

	return cp->rx_off(cp->opaque, frame, len, off);
}

static void cb_port_close(struct unet_port *port)
{
	unet_hub_detach(port);
	free(container_of(port, struct cb_port, port));
}

static const struct unet_port_ops cb_port_ops = {
	.name = "callback",
	.send = cb_port_send,
	.close = cb_port_close,
	.send_offload = cb_port_send_offload,
};

/**
 * unet_cb_port_open() - a port whose frames go through the embedder's calls
 * @hub: the hub to attach to
 * @id: the port's name
 * @rx: receives every frame the hub delivers to the port, on the loop's
 *      thread, borrowed for the call; returns 0 when it took the frame (or
 *      dropped it for its own reasons), -EAGAIN to have the hub queue it
 * @opaque: passed to @rx
 * @portp: receives the port; unet_port_close() releases it
 *
 * Return: 0, -EINVAL without a hub or callback, -ENOMEM.
 */
int unet_cb_port_open(struct unet_hub *hub, const char *id,
		      unet_cb_port_rx_cb rx, void *opaque,
		      struct unet_port **portp)
{
	struct cb_port *cp;
	int r;

	if (hub == NULL || rx == NULL || portp == NULL)
		return -EINVAL;
	cp = calloc(1, sizeof(*cp));
	if (cp == NULL)
		return -ENOMEM;
	unet_port_init(&cp->port, &cb_port_ops, id);
	cp->rx = rx;
	cp->opaque = opaque;
	r = unet_hub_attach(hub, &cp->port);
	if (r < 0) {
		free(cp);
		return r;
	}
	*portp = &cp->port;
	return 0;
}

/**
 * unet_cb_port_input() - hand the hub a frame from a callback port
 * @port: a port made by unet_cb_port_open()
 * @frame: the frame, borrowed for the call
 * @len: its length
 *
 * The frame is delivered to every other port before the call returns; replies
 * (an ARP answer from the stack, say) may reach the port's callback from
 * inside this call.
 *
 * Return: as unet_hub_input(): 0, -EINVAL for a frame too short or too long,
 * -ENOTCONN when the port is detached.
 */
int unet_cb_port_input(struct unet_port *port, const void *frame, size_t len)
{
	if (port == NULL || port->ops != &cb_port_ops)
		return -EINVAL;
	return unet_hub_input(port, frame, len);
}

/**
 * unet_cb_port_set_offload() - let a callback port take offloaded frames
 * @port: a port made by unet_cb_port_open()
 * @offload: the UNET_PORT_OFFLOAD_* bits the embedder takes whole
 *           (%UNET_PORT_OFFLOAD_CSUM is needed for any); 0 to opt out
 * @rx_off: receives frames that carry facts the port takes; required with
 *          a non-zero @offload
 *
 * Frames whose facts are not covered by @offload still come cut and
 * summed through the plain callback. The facts are virtio-net's (see
 * struct unet_offload), so a virtio device model copies them into its
 * header.
 *
 * Return: 0, -EINVAL for another kind of port, unknown bits, or bits
 * without a callback.
 */
int unet_cb_port_set_offload(struct unet_port *port, unsigned int offload,
			     unet_cb_port_rx_offload_cb rx_off)
{
	struct cb_port *cp;
	unsigned int known = UNET_PORT_OFFLOAD_CSUM | UNET_PORT_OFFLOAD_TSO4 |
			     UNET_PORT_OFFLOAD_TSO6 | UNET_PORT_OFFLOAD_USO;

	if (port == NULL || port->ops != &cb_port_ops ||
	    (offload & ~known) != 0 || (offload != 0 && rx_off == NULL))
		return -EINVAL;
	cp = container_of(port, struct cb_port, port);
	cp->rx_off = offload != 0 ? rx_off : NULL;
	port->offload = offload;
	return 0;
}

/**
 * unet_cb_port_input_offload() - hand the hub a frame with offload facts
 * @port: a port made by unet_cb_port_open()
 * @frame: the frame, borrowed for the call
 * @len: its length: up to %UNET_GSO_FRAME_MAX for a GSO frame
 * @off: its facts (untrusted: checked, as unet_hub_input_offload() does)
 *
 * Any callback port may hand over such frames, whether or not it takes
 * them (unet_cb_port_set_offload() is about frames toward it).
 *
 * Return: as unet_hub_input_offload().
 */
int unet_cb_port_input_offload(struct unet_port *port, const void *frame,
			       size_t len, const struct unet_offload *off)
{
	if (port == NULL || port->ops != &cb_port_ops)
		return -EINVAL;
	return unet_hub_input_offload(port, frame, len, off);
}
