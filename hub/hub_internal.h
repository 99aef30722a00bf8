/* SPDX-License-Identifier: MIT */
/*
 * Internals shared by the files of hub/: the hub's own struct, which hub.c
 * (the ports and delivery) and clock.c (time, timers, randomness) both
 * work on.
 */
#ifndef USERNET_HUB_INTERNAL_H
#define USERNET_HUB_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <usernet/hub.h>

#include "wire/util.h"

/* How deeply deliveries may nest before frames are dropped as errors. */
#define HUB_DEPTH_MAX 8

/**
 * struct unet__clock - a hub's clock, virtual timers and random source
 * @cb: clock callback, NULL for the host's monotonic clock
 * @opaque: passed to @cb
 * @realtime_base: wall-clock time (ns since the epoch) at @base
 * @base: the hub's clock when the hub was made
 * @rng: state of the random source (splitmix64)
 * @virtual_clock: time moves only with unet_hub_clock_advance()
 * @vnow: the virtual clock, in ns
 * @vtimers: pending timers on the virtual clock, soonest first
 * @vtimers_tail: the last of them
 */
struct unet__clock {
	unet_clock_cb cb;
	void *opaque;
	uint64_t realtime_base;
	uint64_t base;
	uint64_t rng;
	bool virtual_clock;
	uint64_t vnow;
	struct unet_timer *vtimers;
	struct unet_timer *vtimers_tail;
};

/**
 * struct unet_hub - an Ethernet hub
 * @loop: the embedder's loop
 * @mtu: largest IP packet a frame carries
 * @ports: attached ports, newest last
 * @cursor: per nesting level, the next port a delivery will visit
 * @depth: how many deliveries are under way (nesting)
 * @log_cb: log callback, may be NULL
 * @log_opaque: passed to @log_cb
 * @log_level: most verbose level passed on
 * @clock: the clock, its timers and the random source (clock.c)
 */
struct unet_hub {
	uv_loop_t *loop;
	unsigned int mtu;
	struct unet_port *ports;
	struct unet_port *cursor[HUB_DEPTH_MAX];
	unsigned int depth;
	unet_log_cb log_cb;
	void *log_opaque;
	enum unet_log_level log_level;
	struct unet__clock clock;
};

void unet__clock_init(struct unet_hub *hub, const struct unet_hub_config *cfg);
void unet__clock_close(struct unet_hub *hub);

#endif /* USERNET_HUB_INTERNAL_H */
