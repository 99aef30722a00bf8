/* SPDX-License-Identifier: MIT */
/*
 * The replay port and the pcap reader behind `usernet replay`.
 *
 * Theory of operation: the replay port plays the guest. Frames injected with
 * unet_replay_send() enter the hub from it; every frame the hub delivers to
 * it is a frame towards the guest, handed to the embedder's callback. Since
 * the hub delivers every frame to every port but its sender, the port sees
 * all the hub's traffic, and with a record file it writes each frame, in the
 * order the hub carried it, as a pcapng Enhanced Packet Block
 * (pcapng_proto.h) whose epb_flags give the direction (outbound = from the
 * guest). pcapng is written here because libpcap 1.10 writes only classic
 * pcap, which has no direction.
 * Timestamps are the hub's clock in nanoseconds, so a run on a virtual clock
 * records the same bytes every time.
 *
 * The reader wraps libpcap (pcap and pcapng) and turns whatever libpcap
 * refuses (a truncated record, a captured length past any frame, a file
 * that is neither) into one message naming the file and the record. It
 * also refuses link types other than Ethernet and records cut short by the
 * capture's snaplen, which cannot be replayed faithfully.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include <usernet/replay.h>

#include "wire/config_copy.h"
#include "hub_internal.h"
#include "pcapng_proto.h"

/* The size of struct unet_replay_stats when it got its size field. */
#define REPLAY_STATS_SIZE_V1 \
	UNET__CONFIG_SIZE_TO(struct unet_replay_stats, rx_bytes)

/* The size of struct unet_replay_config in 0.1.0, its first release. */
#define REPLAY_CONFIG_SIZE_V1 \
	UNET__CONFIG_SIZE_TO(struct unet_replay_config, opaque)

/**
 * struct unet_replay - a replay port
 * @port: the hub's port, embedded
 * @rec: the record file, NULL when not recording
 * @rec_failed: a write failed and was logged; recording stopped
 * @rx: the embedder's callback for frames towards the guest
 * @opaque: passed to @rx
 * @stats: what the port carried
 */
struct unet_replay {
	struct unet_port port;
	FILE *rec;
	bool rec_failed;
	unet_replay_rx_cb rx;
	void *opaque;
	struct unet_replay_stats stats;
};

/**
 * struct unet_pcap_reader - a pcap or pcapng file being read
 * @pcap: libpcap's handle
 * @path: the file's name, for messages
 * @record: number of the last record read, from 1
 * @first_ns: timestamp of the first record
 * @last_ns: offset of the last record, so offsets never go backwards
 */
struct unet_pcap_reader {
	pcap_t *pcap;
	char *path;
	uint64_t record;
	uint64_t first_ns;
	uint64_t last_ns;
};

static int replay_write(struct unet_replay *rp, const void *buf, size_t len)
{
	if (len > 0 && fwrite(buf, 1, len, rp->rec) != len)
		return -EIO;
	return 0;
}

static int replay_write_header(struct unet_replay *rp)
{
	struct pcapng_shb shb = {
		.type = PCAPNG_SHB,
		.len = sizeof(shb),
		.magic = PCAPNG_BYTE_ORDER,
		.major = 1,
		.minor = 0,
		.section_len = UINT64_MAX, /* unknown */
		.len2 = sizeof(shb),
	};
	struct pcapng_idb idb = {
		.type = PCAPNG_IDB,
		.len = sizeof(idb),
		.linktype = PCAPNG_LINKTYPE_ETHERNET,
		.snaplen = 0, /* no limit */
		.tsresol_code = PCAPNG_OPT_IF_TSRESOL,
		.tsresol_len = 1,
		.tsresol = PCAPNG_TSRESOL_NS,
		.opt_end = PCAPNG_OPT_END,
		.len2 = sizeof(idb),
	};

	if (replay_write(rp, &shb, sizeof(shb)) < 0 ||
	    replay_write(rp, &idb, sizeof(idb)) < 0 || fflush(rp->rec) != 0)
		return -EIO;
	return 0;
}

static void replay_record(struct unet_replay *rp, const void *frame,
			  size_t len, uint32_t flags)
{
	static const unsigned char pad[4];
	struct pcapng_epb_head head;
	struct pcapng_epb_tail tail;
	size_t padded = (len + 3) & ~(size_t)3;
	uint32_t blen = (uint32_t)(sizeof(head) + padded + sizeof(tail));
	uint64_t ns;

	if (rp->rec == NULL || rp->rec_failed || rp->port.hub == NULL)
		return;
	ns = unet_hub_realtime_ns(rp->port.hub);
	head.type = PCAPNG_EPB;
	head.len = blen;
	head.iface = 0;
	head.ts_high = (uint32_t)(ns >> 32);
	head.ts_low = (uint32_t)ns;
	head.caplen = (uint32_t)len;
	head.origlen = (uint32_t)len;
	tail.flags_code = PCAPNG_OPT_EPB_FLAGS;
	tail.flags_len = sizeof(tail.flags);
	tail.flags = flags;
	tail.opt_end = PCAPNG_OPT_END;
	tail.len2 = blen;
	if (replay_write(rp, &head, sizeof(head)) < 0 ||
	    replay_write(rp, frame, len) < 0 ||
	    replay_write(rp, pad, padded - len) < 0 ||
	    replay_write(rp, &tail, sizeof(tail)) < 0) {
		unet_hub_log(rp->port.hub, UNET_LOG_ERROR,
			     "replay %s: cannot write the record file, frames "
			     "are no longer recorded", rp->port.id);
		rp->rec_failed = true;
	}
}

static int replay_port_send(struct unet_port *port, const void *frame,
			    size_t len)
{
	struct unet_replay *rp = container_of(port, struct unet_replay, port);

	rp->stats.rx_frames++;
	rp->stats.rx_bytes += len;
	replay_record(rp, frame, len, PCAPNG_FLAG_INBOUND);
	if (rp->rx != NULL)
		rp->rx(rp->opaque, frame, len);
	return 0;
}

static void replay_port_close(struct unet_port *port)
{
	struct unet_replay *rp = container_of(port, struct unet_replay, port);

	/* The record is buffered (a replay runs in a blink); written here. */
	if (rp->rec != NULL && fclose(rp->rec) != 0 && !rp->rec_failed &&
	    port->hub != NULL)
		unet_hub_log(port->hub, UNET_LOG_ERROR,
			     "replay %s: cannot write the record file",
			     port->id);
	unet_hub_detach(port);
	free(rp);
}

static const struct unet_port_ops replay_port_ops = {
	.name = "replay",
	.send = replay_port_send,
	.close = replay_port_close,
};

/**
 * unet_replay_config_init() - fill a replay configuration with the defaults
 * @config: the configuration to fill
 */
void unet_replay_config_init(struct unet_replay_config *config)
{
	memset(config, 0, sizeof(*config));
	config->size = sizeof(*config);
}

/**
 * unet_replay_open() - attach a port that plays the guest
 * @hub: the hub, usually made with &unet_hub_config.virtual_clock
 * @id: the port's name
 * @config: the configuration, NULL for the defaults; read during the call
 *          only (a versioned struct, see hub.h)
 * @replayp: receives the port; unet_replay_close() releases it (so does
 *           unet_hub_close())
 *
 * Return: 0, -EINVAL (also for a &unet_replay_config.size below the first
 * release's), -E2BIG (a larger size with fields this library does not know
 * set), -ENOMEM, or the negative errno of creating or writing the record
 * file.
 */
int unet_replay_open(struct unet_hub *hub, const char *id,
		     const struct unet_replay_config *config,
		     struct unet_replay **replayp)
{
	struct unet_replay_config cfg;
	struct unet_replay *rp;
	int r;

	unet_replay_config_init(&cfg);
	if (hub == NULL || replayp == NULL)
		return -EINVAL;
	if (config != NULL) {
		r = unet__config_copy(&cfg, sizeof(cfg), config, config->size,
				      REPLAY_CONFIG_SIZE_V1);
		if (r < 0)
			return r;
	}
	rp = calloc(1, sizeof(*rp));
	if (rp == NULL)
		return -ENOMEM;
	unet_port_init(&rp->port, &replay_port_ops, id);
	rp->rx = cfg.rx;
	rp->opaque = cfg.opaque;
	if (cfg.record_path != NULL) {
		rp->rec = fopen(cfg.record_path, "wbe");
		if (rp->rec == NULL) {
			r = errno != 0 ? -errno : -EIO;
			free(rp);
			return r;
		}
		r = replay_write_header(rp);
		if (r < 0) {
			fclose(rp->rec);
			free(rp);
			return r;
		}
	}
	r = unet_hub_attach(hub, &rp->port);
	if (r < 0) {
		if (rp->rec != NULL)
			fclose(rp->rec);
		free(rp);
		return r;
	}
	*replayp = rp;
	return 0;
}

/**
 * unet_replay_close() - detach a replay port and close its record file
 * @replay: the port; may be NULL
 */
void unet_replay_close(struct unet_replay *replay)
{
	if (replay != NULL)
		replay_port_close(&replay->port);
}

/**
 * unet_replay_port() - the hub port behind a replay port
 * @replay: the replay port
 *
 * Return: its &struct unet_port (counters, id), part of the replay port
 * and valid until it is closed.
 */
struct unet_port *unet_replay_port(struct unet_replay *replay)
{
	return &replay->port;
}

/**
 * unet_replay_send() - inject a frame from the guest
 * @replay: the replay port
 * @frame: the frame, borrowed for the call
 * @len: its length
 *
 * The frame is recorded, then delivered to every other port; the answers
 * it causes at once (an ARP reply, say) reach &unet_replay_config.rx from
 * inside this call.
 *
 * Return: as unet_hub_input().
 */
int unet_replay_send(struct unet_replay *replay, const void *frame,
		     size_t len)
{
	if (replay->port.hub == NULL)
		return -ENOTCONN;
	if (len >= UNET_ETH_HLEN && len <= unet_hub_frame_max(replay->port.hub)) {
		replay->stats.sent_frames++;
		replay->stats.sent_bytes += len;
		replay_record(replay, frame, len, PCAPNG_FLAG_OUTBOUND);
	}
	return unet_hub_input(&replay->port, frame, len);
}

/**
 * unet_replay_stats() - what a replay port carried
 * @replay: the replay port
 * @stats: receives the counters; its @size set by the caller
 *
 * Return: 0; -EINVAL when @stats->size is below the struct's first size
 * (the caller did not set it).
 */
int unet_replay_stats(const struct unet_replay *replay,
		      struct unet_replay_stats *stats)
{
	return unet__stats_copy(stats, &replay->stats, sizeof(replay->stats),
				REPLAY_STATS_SIZE_V1);
}

/**
 * unet_pcap_reader_open() - open a pcap or pcapng file of Ethernet frames
 * @path: the file
 * @readerp: receives the reader; unet_pcap_reader_close() releases it
 * @err: receives a message naming the file when it fails; may be NULL
 * @errlen: size of @err
 *
 * Return: 0, -ENOENT (and other errnos of opening the file), -EINVAL for a
 * file libpcap cannot read or whose link type is not Ethernet, -ENOMEM.
 */
int unet_pcap_reader_open(const char *path, struct unet_pcap_reader **readerp,
			  char *err, size_t errlen)
{
	char pcap_err[PCAP_ERRBUF_SIZE] = "";
	struct unet_pcap_reader *rd;
	FILE *fp;
	int r, dlt;

	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (path == NULL || readerp == NULL)
		return -EINVAL;
	fp = fopen(path, "rbe");
	if (fp == NULL) {
		r = errno != 0 ? -errno : -EIO;
		if (err != NULL)
			snprintf(err, errlen, "%s: %s", path, strerror(-r));
		return r;
	}
	rd = calloc(1, sizeof(*rd));
	if (rd == NULL || (rd->path = strdup(path)) == NULL) {
		free(rd);
		fclose(fp);
		return -ENOMEM;
	}
	rd->pcap = pcap_fopen_offline_with_tstamp_precision(
		fp, PCAP_TSTAMP_PRECISION_NANO, pcap_err);
	if (rd->pcap == NULL) {
		fclose(fp);
		if (err != NULL)
			snprintf(err, errlen, "%s: not a pcap or pcapng file "
				 "(%s)", path, pcap_err);
		r = -EINVAL;
		goto fail;
	}
	dlt = pcap_datalink(rd->pcap);
	if (dlt != DLT_EN10MB) {
		const char *name = pcap_datalink_val_to_name(dlt);

		if (err != NULL)
			snprintf(err, errlen, "%s: link type %s (%d), not "
				 "Ethernet (EN10MB)", path,
				 name != NULL ? name : "unknown", dlt);
		pcap_close(rd->pcap);
		r = -EINVAL;
		goto fail;
	}
	*readerp = rd;
	return 0;
fail:
	free(rd->path);
	free(rd);
	return r;
}

/**
 * unet_pcap_reader_next() - read the next frame
 * @reader: the reader
 * @frame: receives the frame, valid until the next call or the close
 * @len: receives its length
 * @offset_ns: receives its time after the first record's (never less than
 *             the previous record's, so a capture whose clock stepped back
 *             still plays forward)
 * @err: receives a message naming the file and the record when it fails;
 *       may be NULL
 * @errlen: size of @err
 *
 * Return: 1 with a frame, 0 at the end of the file, -EINVAL for a record
 * that is truncated, longer than libpcap allows, or cut short by the
 * capture's snaplen.
 */
int unet_pcap_reader_next(struct unet_pcap_reader *reader, const void **frame,
			  size_t *len, uint64_t *offset_ns, char *err,
			  size_t errlen)
{
	struct pcap_pkthdr *hdr;
	const u_char *data;
	uint64_t ns;
	int r;

	r = pcap_next_ex(reader->pcap, &hdr, &data);
	if (r == PCAP_ERROR_BREAK)
		return 0;
	if (r != 1) {
		if (err != NULL)
			snprintf(err, errlen, "%s: record %llu: %s",
				 reader->path,
				 (unsigned long long)reader->record + 1,
				 pcap_geterr(reader->pcap));
		return -EINVAL;
	}
	reader->record++;
	if (hdr->caplen < hdr->len) {
		if (err != NULL)
			snprintf(err, errlen, "%s: record %llu: only %u of its "
				 "%u bytes were captured (snaplen)",
				 reader->path,
				 (unsigned long long)reader->record,
				 hdr->caplen, hdr->len);
		return -EINVAL;
	}
	ns = (uint64_t)hdr->ts.tv_sec * 1000000000u +
	     (uint64_t)hdr->ts.tv_usec;	/* nanoseconds: opened as NANO */
	if (reader->record == 1)
		reader->first_ns = ns;
	ns = ns > reader->first_ns ? ns - reader->first_ns : 0;
	if (ns < reader->last_ns)
		ns = reader->last_ns;
	reader->last_ns = ns;
	*frame = data;
	*len = hdr->caplen;
	*offset_ns = ns;
	return 1;
}

/**
 * unet_pcap_reader_close() - close a pcap file
 * @reader: the reader; may be NULL
 */
void unet_pcap_reader_close(struct unet_pcap_reader *reader)
{
	if (reader == NULL)
		return;
	pcap_close(reader->pcap);
	free(reader->path);
	free(reader);
}
