/* SPDX-License-Identifier: MIT */
/*
 * The VXLAN header codec: what a datagram from the underlay carries (a
 * frame of our VNI, or a reason to drop it), and the header in front of a
 * frame going out. Pure functions over caller-given bytes; the vxlan port,
 * its unit test and its fuzz target share them.
 */
#ifndef USERNET_HUB_VXLAN_CODEC_H
#define USERNET_HUB_VXLAN_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "vxlan_proto.h"

/**
 * enum unet__vxlan_decap - the verdict on one datagram
 * @UNET__VXLAN_DECAP_OK: a frame of our VNI
 * @UNET__VXLAN_DECAP_SHORT: shorter than the VXLAN header
 * @UNET__VXLAN_DECAP_FLAGS: the I flag is clear (no valid VNI)
 * @UNET__VXLAN_DECAP_VNI: another VNI's frame
 * @UNET__VXLAN_DECAP_RUNT: the inner frame is shorter than an Ethernet
 *                          header
 * @UNET__VXLAN_DECAP_LONG: the inner frame is longer than the hub takes
 * @UNET__VXLAN_DECAP_NUM: the number of verdicts
 */
enum unet__vxlan_decap {
	UNET__VXLAN_DECAP_OK,
	UNET__VXLAN_DECAP_SHORT,
	UNET__VXLAN_DECAP_FLAGS,
	UNET__VXLAN_DECAP_VNI,
	UNET__VXLAN_DECAP_RUNT,
	UNET__VXLAN_DECAP_LONG,
	UNET__VXLAN_DECAP_NUM
};

enum unet__vxlan_decap unet__vxlan_decap(const void *dgram, size_t len,
					 uint32_t vni, size_t frame_max,
					 const uint8_t **frame,
					 size_t *frame_len);
void unet__vxlan_encap_hdr(struct vxlan_hdr *hdr, uint32_t vni);

#endif /* USERNET_HUB_VXLAN_CODEC_H */
