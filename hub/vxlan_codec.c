/* SPDX-License-Identifier: MIT */
/*
 * The VXLAN header codec (see vxlan_codec.h and vxlan_proto.h).
 *
 * A datagram is read once, through the cursor: the header is taken whole
 * (or the datagram is too short), its fields are read by name, and what
 * remains is the inner frame, checked against the Ethernet header's length
 * and the hub's longest frame. No field of the inner frame is read here.
 */
#include "wire/cursor.h"

#include "vxlan_codec.h"

/**
 * unet__vxlan_decap() - take the frame out of a VXLAN datagram
 * @dgram: the UDP payload as received
 * @len: its length (at most the buffer's: a truncated read is the caller's
 *       to treat as too long)
 * @vni: the VNI this port carries
 * @frame_max: the longest inner frame taken
 * @frame: receives the inner frame (inside @dgram) on UNET__VXLAN_DECAP_OK
 * @frame_len: receives its length on UNET__VXLAN_DECAP_OK
 *
 * Reserved bits are ignored, as RFC 7348 asks of a receiver.
 *
 * Return: the verdict (enum unet__vxlan_decap).
 */
enum unet__vxlan_decap unet__vxlan_decap(const void *dgram, size_t len,
					 uint32_t vni, size_t frame_max,
					 const uint8_t **frame,
					 size_t *frame_len)
{
	struct unet_cursor c = cursor_init(dgram, len);
	const struct vxlan_hdr *h = cursor_take_hdr(&c, struct vxlan_hdr);

	if (h == NULL)
		return UNET__VXLAN_DECAP_SHORT;
	if (!(h->flags & VXLAN_FLAG_I))
		return UNET__VXLAN_DECAP_FLAGS;
	if (vxlan_hdr_vni(h) != vni)
		return UNET__VXLAN_DECAP_VNI;
	if (c.len < sizeof(struct wire_eth))
		return UNET__VXLAN_DECAP_RUNT;
	if (c.len > frame_max)
		return UNET__VXLAN_DECAP_LONG;
	*frame = c.p;
	*frame_len = c.len;
	return UNET__VXLAN_DECAP_OK;
}

/**
 * unet__vxlan_encap_hdr() - the header in front of a frame of @vni
 * @hdr: receives the header
 * @vni: the VNI, at most VXLAN_VNI_MAX
 */
void unet__vxlan_encap_hdr(struct vxlan_hdr *hdr, uint32_t vni)
{
	vxlan_hdr_set(hdr, vni);
}
