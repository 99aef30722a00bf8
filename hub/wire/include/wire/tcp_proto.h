/* SPDX-License-Identifier: MIT */
/*
 * The TCP header (RFC 9293), its flags and options.
 */
#ifndef USERNET_WIRE_TCP_PROTO_H
#define USERNET_WIRE_TCP_PROTO_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WIRE_TCP_HLEN 20 /* without options */
#define WIRE_TCP_HLEN_MAX 60

#define WIRE_TCP_FIN 0x01
#define WIRE_TCP_SYN 0x02
#define WIRE_TCP_RST 0x04
#define WIRE_TCP_PSH 0x08
#define WIRE_TCP_ACK 0x10
#define WIRE_TCP_URG 0x20
#define WIRE_TCP_ECE 0x40
#define WIRE_TCP_CWR 0x80

#define WIRE_TCPOPT_EOL 0
#define WIRE_TCPOPT_NOP 1
#define WIRE_TCPOPT_MSS 2
#define WIRE_TCPOPT_WSCALE 3
#define WIRE_TCPOPT_SACK_OK 4
#define WIRE_TCPOPT_TIMESTAMP 8

/**
 * struct wire_tcp - a TCP header (options follow when wire_tcp_hlen() > 20)
 * @sport: source port (network order)
 * @dport: destination port (network order)
 * @seq: sequence number (network order)
 * @ack: acknowledgement number (network order)
 * @off: data offset in 32-bit words (high nibble)
 * @flags: WIRE_TCP_* flags
 * @win: window (network order)
 * @csum: checksum
 * @urp: urgent pointer
 */
struct wire_tcp {
	uint16_t sport;
	uint16_t dport;
	uint32_t seq;
	uint32_t ack;
	uint8_t off;
	uint8_t flags;
	uint16_t win;
	uint16_t csum;
	uint16_t urp;
} __attribute__((packed));

_Static_assert(sizeof(struct wire_tcp) == WIRE_TCP_HLEN, "TCP header");

static inline uint16_t wire_tcp_sport(const struct wire_tcp *h)
{
	return ntohs(h->sport);
}

static inline uint16_t wire_tcp_dport(const struct wire_tcp *h)
{
	return ntohs(h->dport);
}

static inline uint32_t wire_tcp_seq(const struct wire_tcp *h)
{
	return ntohl(h->seq);
}

static inline uint32_t wire_tcp_ack(const struct wire_tcp *h)
{
	return ntohl(h->ack);
}

/* The header's length in bytes, options included (20..60 when valid). */
static inline size_t wire_tcp_hlen(const struct wire_tcp *h)
{
	return (size_t)(h->off >> 4) * 4;
}

static inline bool wire_tcp_has(const struct wire_tcp *h, uint8_t flags)
{
	return (h->flags & flags) != 0;
}

#endif /* USERNET_WIRE_TCP_PROTO_H */
