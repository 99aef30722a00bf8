/* SPDX-License-Identifier: MIT */
/*
 * frame: the frames a replay script builds and the fields it reads.
 *
 * Builders write one Ethernet frame (IPv4 or IPv6 over Ethernet, ARP) with correct
 * lengths and checksums into a caller's buffer and return its length. The
 * readers take a received frame, which they bounds-check like any input:
 * frame_summary() prints one decoded line, frame_field() reads a named
 * field, frame_field_span() says where it lies (for masked comparisons).
 */
#ifndef USERNET_TOOLS_FRAME_H
#define USERNET_TOOLS_FRAME_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/** Largest frame a builder writes: an IP packet of 65535 bytes. */
#define FRAME_MAX (14 + 65535)

/**
 * struct frame_ends - the two ends of a built IPv4 packet
 * @src_mac: the guest's MAC
 * @dst_mac: the gateway's MAC
 * @src: source address (network order)
 * @dst: destination address (network order)
 * @ttl: time to live (default 64)
 * @ip_id: the IP identification
 */
struct frame_ends {
	uint8_t src_mac[6];
	uint8_t dst_mac[6];
	struct in_addr src;
	struct in_addr dst;
	unsigned int ttl;
	uint16_t ip_id;
};

/**
 * struct frame_ends6 - the two ends of a built IPv6 packet
 * @src_mac: the guest's MAC
 * @dst_mac: the gateway's MAC
 * @src: source address
 * @dst: destination address
 * @hop_limit: hop limit (default 64)
 */
struct frame_ends6 {
	uint8_t src_mac[6];
	uint8_t dst_mac[6];
	struct in6_addr src;
	struct in6_addr dst;
	unsigned int hop_limit;
};

/**
 * struct frame_tcp - the TCP fields of a built segment
 * @sport: source port
 * @dport: destination port
 * @seq: sequence number
 * @ack: acknowledgement number
 * @flags: TCP flags (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10)
 * @win: the window (unscaled)
 * @mss: an MSS option when not 0 (SYN only)
 * @wscale: a window-scale option with this shift when >= 0 (SYN only)
 */
struct frame_tcp {
	uint16_t sport;
	uint16_t dport;
	uint32_t seq;
	uint32_t ack;
	uint8_t flags;
	uint16_t win;
	uint16_t mss;
	int wscale;
};

size_t frame_arp_request(uint8_t *buf, const uint8_t mac[6],
			 struct in_addr sender, struct in_addr target);
size_t frame_arp_reply(uint8_t *buf, const uint8_t mac[6], struct in_addr ip,
		       const uint8_t to_mac[6], struct in_addr to_ip);
size_t frame_udp(uint8_t *buf, const struct frame_ends *e, uint16_t sport,
		 uint16_t dport, const void *payload, size_t plen);
size_t frame_tcp(uint8_t *buf, const struct frame_ends *e,
		 const struct frame_tcp *t, const void *payload, size_t plen);
size_t frame_icmp_echo(uint8_t *buf, const struct frame_ends *e, uint16_t id,
		       uint16_t seq, size_t size);
size_t frame_dhcp(uint8_t *buf, const uint8_t mac[6], int type, uint32_t xid,
		  struct in_addr ciaddr, struct in_addr requested,
		  struct in_addr server);
int frame_fragment(const uint8_t *frame, size_t len, size_t frag,
		   int (*cb)(void *opaque, const uint8_t *f, size_t flen),
		   void *opaque);
uint8_t *frame_ip6(uint8_t *buf, const struct frame_ends6 *e, uint8_t nexthdr,
		   size_t l4len);
uint16_t frame_l4_sum6(const struct frame_ends6 *e, uint8_t proto,
		       const uint8_t *l4, size_t len);
size_t frame_udp6(uint8_t *buf, const struct frame_ends6 *e, uint16_t sport,
		  uint16_t dport, const void *payload, size_t plen);
size_t frame_tcp6(uint8_t *buf, const struct frame_ends6 *e,
		  const struct frame_tcp *t, const void *payload, size_t plen);
bool frame_ns6_target(const uint8_t *f, size_t len, uint8_t from_mac[6],
		      struct in6_addr *from, struct in6_addr *target);
int frame_fragment6(const uint8_t *frame, size_t len, size_t frag, uint32_t id,
		    int (*cb)(void *opaque, const uint8_t *f, size_t flen),
		    void *opaque);

void frame_summary(const uint8_t *f, size_t len, char *buf, size_t cap);
int frame_field(const uint8_t *f, size_t len, const char *field, char *out,
		size_t cap);
int frame_field_span(const uint8_t *f, size_t len, const char *field,
		     size_t *off, size_t *flen);
int frame_parse_mac(const char *s, uint8_t mac[6]);

#endif /* USERNET_TOOLS_FRAME_H */
