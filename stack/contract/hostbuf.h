/* SPDX-License-Identifier: MIT */
/*
 * Host bytes that lwIP sends toward the guest without copying them
 * (stack/hostbuf.c): the proxy reads a host socket into a buffer, cuts it
 * into pbufs that lwIP queues as segments (tcp_write_pbuf()), and the
 * buffer lives until lwIP frees the last of them.
 */
#ifndef USERNET_HOSTBUF_H
#define USERNET_HOSTBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lwip/pbuf.h"

/**
 * The bytes kept writable before each piece's data: Ethernet, IPv6 and a
 * TCP header with the most options (14 + 40 + 60), rounded up.
 */
#define UNET_HOSTBUF_ROOM 128
/** The most pieces one buffer is cut into. */
#define UNET_HOSTBUF_PIECES 20

struct unet__hostbuf;

struct unet__hostbuf *unet__hostbuf_new(size_t cap);
uint8_t *unet__hostbuf_data(struct unet__hostbuf *hb);
size_t unet__hostbuf_cap(const struct unet__hostbuf *hb);
void unet__hostbuf_free(struct unet__hostbuf *hb);
unsigned int unet__hostbuf_cut(struct unet__hostbuf **hbp, size_t len,
			       size_t piece, struct pbuf **out);
size_t unet__hostbuf_join(struct pbuf *p, uint8_t *save, uint8_t **frame);
void unet__hostbuf_unjoin(struct pbuf *p, const uint8_t *save, size_t hlen);

#endif /* USERNET_HOSTBUF_H */
