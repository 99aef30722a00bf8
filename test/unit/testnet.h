/* SPDX-License-Identifier: MIT */
/*
 * Scaffolding shared by the unit tests that play the guest on a hub: a
 * capture port that records what the hub sends it, the guest's and the
 * gateway's addresses, checksums, frame builders and a loop runner with a
 * deadline. Only public headers are used, as in the tests themselves.
 *
 * The helpers are prefixed tn_ rather than testnet_: they appear in nearly
 * every line of a test, and the short prefix keeps those lines readable.
 */
#ifndef USERNET_TEST_TESTNET_H
#define USERNET_TEST_TESTNET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include <usernet/hub.h>
#include <usernet/proxy.h>
#include <usernet/stack.h>

/* The most frames a capture keeps; later ones are only counted. */
#define TN_CAP_MAX 4096

/* The gateway's MAC (52:55:0a:00:02:02), as lwIP's netif has it. */
extern const uint8_t tn_gw_mac[6];
/* The guest's MAC (02:00:00:00:00:0f). */
extern const uint8_t tn_guest_mac[6];
/* The Ethernet broadcast address. */
extern const uint8_t tn_bcast[6];

/**
 * typedef tn_keep_fn - which frames a capture records
 * @frame: the frame the hub sends
 * @len: its length
 *
 * Return: true to record (and count) the frame, false to ignore it.
 */
typedef bool (*tn_keep_fn)(const uint8_t *frame, size_t len);

/**
 * struct tn_capture - a test port that records the frames the hub sends it
 * @port: the port on the hub; frames the test injects come in through it
 * @keep: which frames to record; NULL records all
 * @limit: frames whose contents are kept, at most TN_CAP_MAX
 * @max_len: when not 0, a longer frame fails the test (default 0)
 * @snaplen: when not 0, frames are cut to this many bytes, and @len says so
 *	(default 0)
 * @frames: frames recorded so far, counting those past @limit; a test may
 *	set it to 0 to start over (the copies are freed as they are replaced,
 *	and by tn_capture_reset())
 * @len: the length of each kept frame
 * @data: a copy of each kept frame, malloc'ed
 */
struct tn_capture {
	struct unet_port port;
	tn_keep_fn keep;
	int limit;
	size_t max_len;
	size_t snaplen;
	int frames;
	size_t len[TN_CAP_MAX];
	uint8_t *data[TN_CAP_MAX];
};

void tn_capture_init(struct tn_capture *c, tn_keep_fn keep, int limit);
void tn_capture_take_offload(struct tn_capture *c, unsigned int bits);
void tn_capture_attach(struct tn_capture *c, struct unet_hub *hub);
void tn_capture_reset(struct tn_capture *c);
bool tn_keep_ipv4(const uint8_t *frame, size_t len);
bool tn_keep_ipv4_arp(const uint8_t *frame, size_t len);

uint32_t tn_ip(const char *s);
uint16_t tn_get16(const uint8_t *p);
uint32_t tn_get32(const uint8_t *p);
void tn_put16(uint8_t *p, uint16_t v);
void tn_put32(uint8_t *p, uint32_t v);

uint32_t tn_sum_add(uint32_t sum, const uint8_t *p, size_t len);
uint16_t tn_sum_fold(uint32_t sum);
uint16_t tn_csum(const uint8_t *p, size_t len);
uint16_t tn_l4_csum(uint32_t src, uint32_t dst, uint8_t proto,
		    const uint8_t *l4, size_t len);

size_t tn_arp_request(uint8_t *buf, const uint8_t *dst, uint32_t spa,
		      uint32_t tpa);
int tn_learn_guest(struct tn_capture *c);
size_t tn_ip_header(uint8_t *buf, const uint8_t *dmac, uint32_t src,
		    uint32_t dst, uint8_t proto, size_t iplen, uint16_t id,
		    uint16_t frag);

/**
 * struct tn_gw - a gateway under test: a loop, a hub, the stack and its
 *                proxy, and the capture port the guest's frames go through
 * @loop: the loop
 * @hub: the hub
 * @stack: the stack
 * @proxy: its proxy
 * @cap: the guest's port
 */
struct tn_gw {
	uv_loop_t loop;
	struct unet_hub *hub;
	struct unet_stack *stack;
	struct unet_proxy *proxy;
	struct tn_capture cap;
};

void tn_gw_open(struct tn_gw *g, const struct unet_stack_config *sc,
		const struct unet_proxy_config *pc, tn_keep_fn keep, int limit);
void tn_gw_close(struct tn_gw *g);

int tn_proxy_flows(struct unet_proxy *proxy, struct unet_flow_info *last);
struct unet_proxy_stats tn_proxy_stats(struct unet_proxy *proxy);

uint16_t tn_udp_loopback(uv_loop_t *loop, uv_udp_t *udp, void *data);
uint16_t tn_tcp_listen_loopback(uv_loop_t *loop, uv_tcp_t *tcp, void *data,
				int backlog, uv_connection_cb cb);

void tn_ip6(const char *s, uint8_t out[16]);
size_t tn_ip6_header(uint8_t *buf, const uint8_t *dmac, const uint8_t *src,
		     const uint8_t *dst, uint8_t nexthdr, size_t plen);
uint16_t tn_l4_csum6(const uint8_t *src, const uint8_t *dst, uint8_t proto,
		     const uint8_t *l4, size_t len);
bool tn_keep_ipv6(const uint8_t *frame, size_t len);
size_t tn_udp6_frame(uint8_t *buf, const uint8_t *src, uint16_t sport,
		     const uint8_t *dst, uint16_t dport, const void *data,
		     size_t len);
size_t tn_tcp4_frame(uint8_t *buf, uint32_t dst, uint16_t sport, uint16_t dport,
		     uint32_t seq, uint32_t ack, uint8_t flags,
		     const uint8_t *opt, size_t optlen, const uint8_t *data,
		     size_t len);
size_t tn_tcp6_frame(uint8_t *buf, const uint8_t *src, uint16_t sport,
		     const uint8_t *dst, uint16_t dport, uint32_t seq,
		     uint32_t ack, uint8_t flags);
int tn_learn_guest6(struct tn_capture *c);

bool tn_run_until(uv_loop_t *loop, bool (*cond)(void *arg), void *arg,
		  unsigned int ms);
void tn_run_for(uv_loop_t *loop, unsigned int ms);

#endif
