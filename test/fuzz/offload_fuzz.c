/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: offload facts from a tap or a virtio device
 * (hub/offload.c) and the hub that carries them.
 *
 * The input is 11 bytes of facts and MTU choice, then the frame: flags,
 * gso_type, hdr_len, gso_size, csum_start, csum_offset (16-bit values
 * little-endian), and a byte that picks the hub's MTU (576, 1280, 1500 or
 * 9000). The facts are checked against the frame; facts that pass are
 * followed: the checksum finished in a copy, a GSO frame cut into
 * segments, each of which must fit the MTU (ASan checks every byte read
 * and written). The same frame then goes through a hub with a plain port
 * (which gets segments) and a port that takes offloads (which gets it
 * whole), and nothing the plain port gets may exceed the hub's frame size.
 */
#include <assert.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <usernet/hub.h>

#include "offload_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const unsigned int fuzz_mtus[] = { 576, 1280, 1500, 9000 };

static unsigned int fuzz_mtu;

static int fuzz_seg(void *opaque, const void *frame, size_t len)
{
	(void)opaque;
	(void)frame;
	assert(len <= fuzz_mtu + UNET_ETH_HLEN + UNET_VLAN_HLEN);
	return 0;
}

static int fuzz_send(struct unet_port *port, const void *frame, size_t len)
{
	assert(len <= unet_hub_frame_max(port->hub));
	(void)frame;
	return 0;
}

static int fuzz_send_off(struct unet_port *port, const void *frame, size_t len,
			 const struct unet_offload *off)
{
	(void)port;
	(void)frame;
	(void)off;
	assert(len <= UNET_GSO_FRAME_MAX);
	return 0;
}

static void fuzz_close(struct unet_port *port)
{
	unet_hub_detach(port);
}

static const struct unet_port_ops fuzz_plain_ops = {
	.name = "plain",
	.send = fuzz_send,
	.close = fuzz_close,
};

static const struct unet_port_ops fuzz_off_ops = {
	.name = "off",
	.send = fuzz_send,
	.close = fuzz_close,
	.send_offload = fuzz_send_off,
};

static uint16_t fuzz_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void fuzz_hub(const uint8_t *frame, size_t len,
		     const struct unet_offload *off)
{
	struct unet_port from, plain, whole;
	struct unet_hub_config cfg;
	struct unet_hub *hub;
	uv_loop_t loop;

	if (uv_loop_init(&loop) < 0)
		return;
	unet_hub_config_init(&cfg);
	cfg.mtu = fuzz_mtu;
	cfg.seed = 1;
	if (unet_hub_new(&loop, &cfg, &hub) == 0) {
		unet_port_init(&from, &fuzz_plain_ops, "from");
		unet_port_init(&plain, &fuzz_plain_ops, "plain");
		unet_port_init(&whole, &fuzz_off_ops, "whole");
		whole.offload = UNET_PORT_OFFLOAD_CSUM | UNET_PORT_OFFLOAD_TSO4;
		unet_hub_attach(hub, &from);
		unet_hub_attach(hub, &plain);
		unet_hub_attach(hub, &whole);
		unet_hub_input_offload(&from, frame, len, off);
		unet_hub_close(hub);
	}
	uv_loop_close(&loop);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct unet__offload_pkt pkt;
	struct unet_offload off;
	size_t len, buf_len;
	uint8_t *copy, *buf;

	if (size < 11)
		return 0;
	off.flags = data[0];
	off.gso_type = data[1];
	off.hdr_len = fuzz_le16(data + 2);
	off.gso_size = fuzz_le16(data + 4);
	off.csum_start = fuzz_le16(data + 6);
	off.csum_offset = fuzz_le16(data + 8);
	fuzz_mtu = fuzz_mtus[data[10] % 4];
	data += 11;
	len = size - 11;
	/* An exact-size copy, so that ASan sees any read past the frame. */
	copy = malloc(len ? len : 1);
	if (copy == NULL)
		return 0;
	memcpy(copy, data, len);
	if (unet__offload_check(copy, len, &off, &pkt) == 0) {
		assert(pkt.end <= len && pkt.hdr_len <= pkt.end);
		if (off.flags & UNET_OFFLOAD_F_NEEDS_CSUM)
			unet__offload_csum(copy, len, &off, &pkt);
		if (!unet__offload_plain(&off) && pkt.proto != 0) {
			buf_len = pkt.hdr_len +
				  unet__offload_seg_max(&pkt, &off, fuzz_mtu);
			buf = malloc(buf_len);
			if (buf != NULL)
				unet__offload_segment(data, len, &off, &pkt,
						      fuzz_mtu, buf, buf_len,
						      fuzz_seg, NULL);
			free(buf);
		}
	}
	memcpy(copy, data, len);
	fuzz_hub(copy, len, &off);
	free(copy);
	return 0;
}
