/* SPDX-License-Identifier: MIT */
/*
 * usernet hub: an in-process Ethernet hub with ports.
 *
 * A frame that one port pushes into the hub is delivered to every other port
 * of that hub, never back to the sender. Frames are borrowed for the duration
 * of a delivery call; a port that must keep one copies it. A port that cannot
 * take a frame now returns -EAGAIN from its send op: the hub then keeps a copy
 * in that port's bounded queue (dropping and counting past the bound) and
 * offers the queue again when the port calls unet_port_flush().
 *
 * The hub is also the one place the library takes time, randomness and
 * logging from, so that an embedder (or a replay run) can drive all three.
 *
 * Threads: everything of a hub (its ports, stack, proxy, timers) runs on the
 * thread of the hub's loop, and the library takes no locks: call it only
 * from that thread, and expect its callbacks only there.
 *
 * Versioned configurations: every struct unet_*_config starts with a size
 * field that the caller sets to the sizeof it was compiled with (the
 * _config_init() functions do). The library reads the caller's struct only
 * during the call that takes it, and copies the fields both sides know over
 * its own defaults (the rule of Linux's copy_struct_from_user()):
 *  - a size below the struct's size in its first release (0.1.0): -EINVAL;
 *  - a smaller size, from a binary built against an older header: the
 *    fields that binary does not know keep their defaults;
 *  - a larger size, from a binary built against a newer header: accepted
 *    when every byte this library does not know is zero (the newer fields
 *    left at their defaults, which are all zero bytes), else -E2BIG.
 * Fields are only ever appended to a configuration struct.
 *
 * Versioned counters: every struct unet_*_stats starts with a size field
 * too, which the caller sets to the sizeof it was compiled with before
 * asking for the counters (`struct unet_proxy_stats st = { .size =
 * sizeof(st) };`). The library fills as many bytes as both sides know and
 * zeroes the rest of a larger struct; a size below the struct's size in
 * its first release is -EINVAL. Counters are only ever appended.
 */
#ifndef USERNET_HUB_H
#define USERNET_HUB_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(UNET_BUILDING) && defined(__GNUC__)
#define UNET_EXTERN __attribute__((visibility("default")))
#else
#define UNET_EXTERN
#endif

/* A result the caller must look at (the counters' calls: a size not set). */
#if defined(__GNUC__)
#define UNET_MUST_CHECK __attribute__((warn_unused_result))
#else
#define UNET_MUST_CHECK
#endif

/** Length of an Ethernet header (destination, source, type). */
#define UNET_ETH_HLEN 14
/** Room for one 802.1Q tag on top of the MTU. */
#define UNET_VLAN_HLEN 4
/** Largest MTU a hub accepts (QEMU's and passt's 65520). */
#define UNET_MTU_MAX 65520
/** Smallest MTU a hub accepts (IPv4's minimum). */
#define UNET_MTU_MIN 576
/** Default hub MTU. */
#define UNET_MTU_DEFAULT 65520

/**
 * enum unet_log_level - how verbose a log message is
 * @UNET_LOG_ERROR: something failed: a port stopped, a file could not be
 *                  written
 * @UNET_LOG_WARN: something went wrong and was dealt with
 * @UNET_LOG_INFO: what the library did: a port opened, a peer connected
 * @UNET_LOG_DEBUG: details, such as frames dropped as malformed
 *                  (rate-limited where a guest can cause them)
 * @UNET_LOG_LEVEL_NUM: the number of levels
 *
 * In increasing verbosity: a hub passes on the messages up to its level
 * (&unet_hub_config.log_level, unet_hub_set_log()).
 */
enum unet_log_level {
	UNET_LOG_ERROR,
	UNET_LOG_WARN,
	UNET_LOG_INFO,
	UNET_LOG_DEBUG,
	UNET_LOG_LEVEL_NUM
};

/**
 * typedef unet_log_cb - receives every log message of a hub and its ports
 * @opaque: the pointer given with the callback
 * @level: the message's level
 * @msg: the message, one line without a trailing newline, borrowed for the
 *       call
 *
 * Called on the loop's thread, from inside the library call that logs: it
 * must not close the hub or any of its ports.
 */
typedef void (*unet_log_cb)(void *opaque, enum unet_log_level level,
			    const char *msg);

/**
 * typedef unet_clock_cb - a clock that replaces the host's monotonic clock
 * @opaque: the pointer given with the callback
 *
 * Return: the current time in nanoseconds, never going backwards.
 */
typedef uint64_t (*unet_clock_cb)(void *opaque);

/**
 * enum unet_drop_reason - why the hub dropped a frame
 * @UNET_DROP_SHORT: shorter than an Ethernet header
 * @UNET_DROP_LONG: longer than the hub's largest frame
 * @UNET_DROP_QUEUE_FULL: the port's queue was full
 * @UNET_DROP_ERROR: the port failed to take it
 * @UNET_DROP_LOSS: lost on purpose, as &unet_port.loss asked
 * @UNET_DROP_OFFLOAD: its offload facts (&struct unet_offload) did not fit
 *                     the frame (a checksum place past its end, a GSO frame
 *                     that is not TCP or UDP over IP, a segment size of 0)
 * @UNET_DROP_NUM: the number of reasons
 *
 * Indexes &unet_port_stats.drops.
 */
enum unet_drop_reason {
	UNET_DROP_SHORT,
	UNET_DROP_LONG,
	UNET_DROP_QUEUE_FULL,
	UNET_DROP_ERROR,
	UNET_DROP_LOSS,
	UNET_DROP_OFFLOAD,
	UNET_DROP_NUM
};

/**
 * struct unet_port_stats - counters of one port
 * @in_frames: frames the port pushed into the hub
 * @in_bytes: bytes of those frames
 * @out_frames: frames the hub delivered to the port
 * @out_bytes: bytes of those frames
 * @drops: frames dropped on their way in or out, by reason
 */
struct unet_port_stats {
	uint64_t in_frames;
	uint64_t in_bytes;
	uint64_t out_frames;
	uint64_t out_bytes;
	uint64_t drops[UNET_DROP_NUM];
};

/**
 * struct unet_port_loss - frames toward a port that the hub loses on purpose
 * @one_in: lose each frame with a chance of 1 in @one_in, drawn from the
 *          hub's (seedable) random source (0: never)
 * @burst_len: lose this many frames in a row...
 * @burst_every: ...at the start of every @burst_every frames offered to the
 *               port (0: never)
 *
 * For testing how the port's peer recovers from loss: a guest whose NIC
 * ring overflows loses the tail of a burst, a lossy link loses frames at
 * random. Like a ring, which drains when frames stop coming, a burst ends
 * early at a frame that comes %UNET_LOSS_BURST_GAP_MS or more after the one
 * before it (so a sender's lone retransmission is not swallowed again and
 * again). What is lost is counted as %UNET_DROP_LOSS. All 0 (the default):
 * nothing is lost. A port that loses frames gets no offloaded frame whole
 * (a GSO frame is cut first), so what it loses are wire frames.
 */
/* A pause after which a loss burst is over (see &struct unet_port_loss). */
#define UNET_LOSS_BURST_GAP_MS 10

struct unet_port_loss {
	uint32_t one_in;
	uint32_t burst_len;
	uint32_t burst_every;
};

struct unet_hub;
struct unet_port;
struct unet_port_frame;

/** &unet_offload.flags: the transport checksum is left to do (partial). */
#define UNET_OFFLOAD_F_NEEDS_CSUM 1
/** &unet_offload.flags: the transport checksum is known to be good. */
#define UNET_OFFLOAD_F_DATA_VALID 2

/** &unet_offload.gso_type: one packet, no segmentation. */
#define UNET_GSO_NONE 0
/** &unet_offload.gso_type: a TCP over IPv4 segment to cut at gso_size. */
#define UNET_GSO_TCPV4 1
/** &unet_offload.gso_type: a TCP over IPv6 segment to cut at gso_size. */
#define UNET_GSO_TCPV6 4
/** &unet_offload.gso_type: UDP datagrams of gso_size glued together. */
#define UNET_GSO_UDP_L4 5
/** &unet_offload.gso_type, or-ed in: the TCP flow uses ECN (CWR once). */
#define UNET_GSO_ECN 0x80

/** Longest frame a GSO frame may be: a 65535-byte IP packet, tagged. */
#define UNET_GSO_FRAME_MAX (65535 + UNET_ETH_HLEN + UNET_VLAN_HLEN)

/**
 * struct unet_offload - a virtio-net header's facts about one frame
 * @flags: UNET_OFFLOAD_F_NEEDS_CSUM: the transport checksum is partial
 *         (its field holds the pseudo-header's sum); the bytes from
 *         @csum_start to the packet's end are to be summed into the field at
 *         @csum_start + @csum_offset. UNET_OFFLOAD_F_DATA_VALID: the
 *         checksum was verified already.
 * @gso_type: UNET_GSO_NONE, or the kind of segments the frame holds
 *            (UNET_GSO_TCPV4, UNET_GSO_TCPV6, UNET_GSO_UDP_L4, with
 *            UNET_GSO_ECN or-ed in)
 * @hdr_len: the sender's hint of the headers' length (the hub measures the
 *           headers itself and only checks that this is within the frame)
 * @gso_size: the payload bytes of each segment but the last
 * @csum_start: where checksumming starts, from the frame's first byte
 * @csum_offset: where the checksum field lies, from @csum_start
 *
 * All host order; the values are virtio's (struct virtio_net_hdr), so a
 * tap or a virtio device copies them across. A frame that carries facts is
 * pushed with unet_hub_input_offload().
 */
struct unet_offload {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
};

/** &unet_port.offload: takes frames with UNET_OFFLOAD_F_NEEDS_CSUM. */
#define UNET_PORT_OFFLOAD_CSUM 0x1
/** &unet_port.offload: takes UNET_GSO_TCPV4 frames. */
#define UNET_PORT_OFFLOAD_TSO4 0x2
/** &unet_port.offload: takes UNET_GSO_TCPV6 frames. */
#define UNET_PORT_OFFLOAD_TSO6 0x4
/** &unet_port.offload: takes UNET_GSO_UDP_L4 frames. */
#define UNET_PORT_OFFLOAD_USO 0x8

/**
 * struct unet_port_ops - what a kind of port does; one static table per kind
 * @name: the kind, e.g. "tap", "dump", "user"
 * @send: take one frame from the hub. Return 0 when taken (or dropped by the
 *        port for its own reasons, which it counts), -EAGAIN when it cannot
 *        take the frame now (the hub queues a copy), another negative errno
 *        when it failed (the hub counts an error drop).
 * @close: detach from the hub (unet_hub_detach()) and release the port. Called
 *         by unet_hub_close() for every port still attached. It must not
 *         touch the hub after detaching; it may finish asynchronously.
 * @send_offload: optional; take one frame with its offload facts, answered
 *                as @send. Only called for a port whose &unet_port.offload
 *                names what the frame needs (or with just
 *                UNET_OFFLOAD_F_DATA_VALID); every other port gets frames
 *                the hub made ordinary: checksums done, GSO frames cut to
 *                the MTU.
 */
struct unet_port_ops {
	const char *name;
	int (*send)(struct unet_port *port, const void *frame, size_t len);
	void (*close)(struct unet_port *port);
	int (*send_offload)(struct unet_port *port, const void *frame,
			    size_t len, const struct unet_offload *off);
};

/**
 * struct unet_port - a port on a hub; attachments embed it
 * @ops: the port's kind
 * @id: the name given by the user (e.g. the -netdev id), NUL-terminated
 * @stats: the port's counters
 * @hub: the hub it is attached to, NULL when detached
 * @queue_max: how many frames the queue may hold (default 256)
 * @queue_bytes_max: how many bytes the queue may hold (default 4 MiB)
 * @observer: the port only watches (a pcap dump): the hub offers it every
 *            frame before the ports that may answer it, so that what it
 *            records keeps each frame before its answers (default false;
 *            set before unet_hub_attach())
 * @loss: frames toward the port to lose on purpose (default none)
 * @offload: which offloaded frames the port takes whole through its
 *           send_offload op (UNET_PORT_OFFLOAD_* bits; default 0: none)
 *
 * The remaining fields are the hub's: leave them alone.
 */
struct unet_port {
	const struct unet_port_ops *ops;
	char id[32];
	struct unet_port_stats stats;
	struct unet_hub *hub;
	size_t queue_max;
	size_t queue_bytes_max;
	bool observer;
	struct unet_port_loss loss;
	unsigned int offload;
	/* private to the hub */
	uint64_t loss_seen;
	uint64_t loss_last_ns;
	uint32_t loss_burst_left;
	struct unet_port *next;
	struct unet_port_frame *queue_head;
	struct unet_port_frame *queue_tail;
	size_t queue_len;
	size_t queue_bytes;
};

/**
 * struct unet_hub_config - how to build a hub
 * @size: sizeof(struct unet_hub_config), see hub.h on versioned
 *        configurations
 * @mtu: the largest IP packet a frame may carry (default UNET_MTU_DEFAULT);
 *       the largest frame is @mtu + UNET_ETH_HLEN + UNET_VLAN_HLEN
 * @log_cb: where log messages go (default: nowhere)
 * @log_opaque: passed to @log_cb
 * @log_level: the most verbose level passed on (default UNET_LOG_INFO)
 * @clock_cb: the clock (default: the host's monotonic clock)
 * @clock_opaque: passed to @clock_cb
 * @seed: seed of the random source; 0 (the default) seeds from the kernel
 * @virtual_clock: run the library on a virtual clock (default false): time
 *                 stands still and moves only with unet_hub_clock_advance(),
 *                 and every timer of the library (struct unet_timer) fires
 *                 from there instead of from the loop. @clock_cb is ignored.
 * @epoch_ns: with @virtual_clock, the wall-clock time (ns since the Unix
 *            epoch) at virtual time 0, used for timestamps (default 0)
 */
struct unet_hub_config {
	size_t size;
	unsigned int mtu;
	unet_log_cb log_cb;
	void *log_opaque;
	enum unet_log_level log_level;
	unet_clock_cb clock_cb;
	void *clock_opaque;
	uint64_t seed;
	bool virtual_clock;
	uint64_t epoch_ns;
};

struct unet_timer;

/**
 * typedef unet_timer_cb - a timer expired
 * @timer: the timer; it is stopped, and may be started again from here
 */
typedef void (*unet_timer_cb)(struct unet_timer *timer);

/**
 * struct unet_timer - a one-shot timer on the library's clock
 * @uv: the loop's timer behind it on a real clock. Closing goes through
 *      unet_timer_close(), whose callback receives &@uv as its handle.
 *
 * On a hub with a real clock this is a uv timer; on a hub with
 * &unet_hub_config.virtual_clock it waits in the hub's virtual timer list
 * and fires from unet_hub_clock_advance(). The remaining fields are private.
 */
struct unet_timer {
	uv_timer_t uv;
	/* private */
	struct unet_hub *hub;
	unet_timer_cb cb;
	uint64_t due_ns;
	struct unet_timer *vnext;
	struct unet_timer *vprev;
	bool pending;
};

UNET_EXTERN void unet_hub_config_init(struct unet_hub_config *config);
UNET_EXTERN int unet_hub_new(uv_loop_t *loop,
			     const struct unet_hub_config *config,
			     struct unet_hub **hubp);
UNET_EXTERN void unet_hub_close(struct unet_hub *hub);
UNET_EXTERN uv_loop_t *unet_hub_loop(const struct unet_hub *hub);
UNET_EXTERN unsigned int unet_hub_mtu(const struct unet_hub *hub);
UNET_EXTERN size_t unet_hub_frame_max(const struct unet_hub *hub);
UNET_EXTERN uint64_t unet_hub_now_ns(const struct unet_hub *hub);
UNET_EXTERN uint64_t unet_hub_realtime_ns(const struct unet_hub *hub);
UNET_EXTERN uint32_t unet_hub_random(struct unet_hub *hub);
UNET_EXTERN void unet_hub_log(const struct unet_hub *hub,
			      enum unet_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
UNET_EXTERN void unet_hub_set_log(struct unet_hub *hub, unet_log_cb cb,
				  void *opaque, enum unet_log_level level);
UNET_EXTERN struct unet_port *unet_hub_ports(const struct unet_hub *hub);
UNET_EXTERN unsigned int unet_hub_offload_others(const struct unet_port *from);

UNET_EXTERN bool unet_hub_virtual_clock(const struct unet_hub *hub);
UNET_EXTERN int unet_hub_clock_advance(struct unet_hub *hub, uint64_t ns);
UNET_EXTERN int unet_hub_next_timer(const struct unet_hub *hub,
				    uint64_t *in_ns);

UNET_EXTERN int unet_timer_init(struct unet_hub *hub, struct unet_timer *timer);
UNET_EXTERN void unet_timer_start(struct unet_timer *timer, unet_timer_cb cb,
				  uint64_t ms);
UNET_EXTERN void unet_timer_stop(struct unet_timer *timer);
UNET_EXTERN bool unet_timer_active(const struct unet_timer *timer);
UNET_EXTERN void unet_timer_close(struct unet_timer *timer, uv_close_cb cb);

UNET_EXTERN void unet_port_init(struct unet_port *port,
				const struct unet_port_ops *ops,
				const char *id);
UNET_EXTERN int unet_hub_attach(struct unet_hub *hub, struct unet_port *port);
UNET_EXTERN void unet_hub_detach(struct unet_port *port);
UNET_EXTERN void unet_port_close(struct unet_port *port);
UNET_EXTERN int unet_hub_input(struct unet_port *from, const void *frame,
			       size_t len);
UNET_EXTERN int unet_hub_input_offload(struct unet_port *from,
				       const void *frame, size_t len,
				       const struct unet_offload *off);
UNET_EXTERN int unet_port_flush(struct unet_port *port);
UNET_EXTERN bool unet_port_queue_empty(const struct unet_port *port);

#ifdef __cplusplus
}
#endif

#endif /* USERNET_HUB_H */
