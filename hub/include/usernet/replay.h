/* SPDX-License-Identifier: MIT */
/*
 * usernet replay: play the guest from recorded frames, record what the hub
 * carries, on a virtual clock.
 *
 * A replay run makes its hub with &unet_hub_config.virtual_clock and a fixed
 * &unet_hub_config.seed, opens a replay port (the guest), injects frames with
 * unet_replay_send() (from a pcap read with unet_pcap_reader_next(), or built
 * by a script) and moves time with unet_hub_clock_advance(). With the same
 * inputs, seed and options, a run that touches no host sockets records the
 * same bytes every time.
 */
#ifndef USERNET_REPLAY_H
#define USERNET_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <usernet/hub.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * typedef unet_replay_rx_cb - a frame the hub delivered towards the guest
 * @opaque: &unet_replay_config.opaque
 * @frame: the frame, borrowed for the call
 * @len: its length
 */
typedef void (*unet_replay_rx_cb)(void *opaque, const void *frame,
				  size_t len);

/**
 * struct unet_replay_config - how to build a replay port
 * @size: sizeof(struct unet_replay_config), see hub.h on versioned
 *        configurations
 * @record_path: a pcapng file to write every frame the port sees to, in
 *               order, with its direction (epb_flags: outbound for frames
 *               from the guest, inbound for frames towards it) and the
 *               hub's clock in nanoseconds; NULL (the default) records
 *               nothing
 * @rx: receives every frame towards the guest (default NULL: none)
 * @opaque: passed to @rx
 */
struct unet_replay_config {
	size_t size;
	const char *record_path;
	unet_replay_rx_cb rx;
	void *opaque;
};

/**
 * struct unet_replay_stats - what a replay port carried
 * @size: sizeof(struct unet_replay_stats), set by the caller (see hub.h on
 *        versioned counters)
 * @sent_frames: frames injected from the guest (unet_replay_send())
 * @sent_bytes: their bytes
 * @rx_frames: frames delivered towards the guest
 * @rx_bytes: their bytes
 */
struct unet_replay_stats {
	size_t size;
	uint64_t sent_frames;
	uint64_t sent_bytes;
	uint64_t rx_frames;
	uint64_t rx_bytes;
};

struct unet_replay;
struct unet_pcap_reader;

UNET_EXTERN void unet_replay_config_init(struct unet_replay_config *config);
UNET_EXTERN int unet_replay_open(struct unet_hub *hub, const char *id,
				 const struct unet_replay_config *config,
				 struct unet_replay **replayp);
UNET_EXTERN void unet_replay_close(struct unet_replay *replay);
UNET_EXTERN struct unet_port *unet_replay_port(struct unet_replay *replay);
UNET_EXTERN int unet_replay_send(struct unet_replay *replay, const void *frame,
				 size_t len);
UNET_EXTERN UNET_MUST_CHECK int
unet_replay_stats(const struct unet_replay *replay,
		  struct unet_replay_stats *stats);

UNET_EXTERN int unet_pcap_reader_open(const char *path,
				      struct unet_pcap_reader **readerp,
				      char *err, size_t errlen);
UNET_EXTERN int unet_pcap_reader_next(struct unet_pcap_reader *reader,
				      const void **frame, size_t *len,
				      uint64_t *offset_ns, char *err,
				      size_t errlen);
UNET_EXTERN void unet_pcap_reader_close(struct unet_pcap_reader *reader);

#ifdef __cplusplus
}
#endif

#endif /* USERNET_REPLAY_H */
