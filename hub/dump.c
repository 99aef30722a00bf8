/* SPDX-License-Identifier: MIT */
/*
 * The dump port: every frame on the hub, written to a pcap file.
 *
 * The hub delivers a frame to every port but its sender, so a port that only
 * listens sees all the hub's traffic. Each frame is written with libpcap
 * (classic pcap, DLT_EN10MB, microsecond timestamps from the hub's clock) and
 * the file is flushed after every frame, so that a reader (tshark, a test)
 * sees it while usernet runs.
 *
 * The file is opened here with fopen() rather than by pcap_dump_open(), so
 * that a file that cannot be created gives its real errno (and is not
 * inherited by a child process). Once a write failed (a full disk), the
 * stream stays in error: that is logged once and each later frame counts as
 * an error drop, and the file keeps what was written before.
 */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcap/pcap.h>

#include <usernet/ports.h>

#include "hub_internal.h"

/* The snaplen meaning "whole frames" (libpcap's largest for Ethernet). */
#define DUMP_SNAPLEN_WHOLE 262144u

static_assert(DUMP_SNAPLEN_WHOLE >=
		      UNET_MTU_MAX + UNET_ETH_HLEN + UNET_VLAN_HLEN,
	      "a whole-frame snaplen must hold the longest frame of any hub");

/**
 * struct dump_port - a pcap dump attachment
 * @port: the hub's port, embedded
 * @pcap: the "dead" pcap handle the dumper is made from
 * @dumper: the open pcap file
 * @snaplen: bytes kept of each frame
 * @failed: a write failed and was logged; later frames are error drops
 */
struct dump_port {
	struct unet_port port;
	pcap_t *pcap;
	pcap_dumper_t *dumper;
	size_t snaplen;
	bool failed;
};

static int dump_send(struct unet_port *port, const void *frame, size_t len)
{
	struct dump_port *dp = container_of(port, struct dump_port, port);
	struct pcap_pkthdr hdr;
	uint64_t ns = 0;

	if (port->hub != NULL)
		ns = unet_hub_realtime_ns(port->hub);
	memset(&hdr, 0, sizeof(hdr));
	hdr.ts.tv_sec = (time_t)(ns / 1000000000u);
	hdr.ts.tv_usec = (suseconds_t)(ns % 1000000000u / 1000u);
	/* The hub passes on no frame longer than UNET_MTU_MAX and a bit. */
	hdr.caplen = (bpf_u_int32)(len < dp->snaplen ? len : dp->snaplen);
	hdr.len = (bpf_u_int32)len;
	pcap_dump((u_char *)dp->dumper, &hdr, frame);
	if (pcap_dump_flush(dp->dumper) < 0 ||
	    ferror(pcap_dump_file(dp->dumper))) {
		if (!dp->failed)
			unet_hub_log(port->hub, UNET_LOG_ERROR,
				     "dump %s: cannot write the file, frames "
				     "are no longer written", port->id);
		dp->failed = true;
		return -EIO;
	}
	return 0;
}

static void dump_close(struct unet_port *port)
{
	struct dump_port *dp = container_of(port, struct dump_port, port);

	unet_hub_detach(port);
	pcap_dump_close(dp->dumper);
	pcap_close(dp->pcap);
	free(dp);
}

static const struct unet_port_ops dump_ops = {
	.name = "dump",
	.send = dump_send,
	.close = dump_close,
};

/**
 * unet_dump_open() - write every frame on the hub to a pcap file
 * @hub: the hub to attach to
 * @id: the port's name
 * @path: the file, created or truncated
 * @snaplen: bytes kept of each frame; 0 keeps whole frames (so does any
 *           value above 262144, more than any frame holds)
 * @portp: receives the port
 *
 * The file is a classic pcap file (DLT_EN10MB) written with libpcap and
 * flushed after every frame, so it can be read while usernet runs.
 * Timestamps come from the hub's clock (unet_hub_realtime_ns()). Nothing is
 * logged when the file cannot be created: the caller reports the error.
 *
 * Return: 0, -EINVAL for a NULL @hub, @path or @portp, -ENOMEM, or the
 * negative errno of creating or writing the file (-ENOENT, -EACCES,
 * -EISDIR, -ENOSPC, ...).
 */
int unet_dump_open(struct unet_hub *hub, const char *id, const char *path,
		   size_t snaplen, struct unet_port **portp)
{
	struct dump_port *dp;
	FILE *fp;
	int r;

	if (hub == NULL || path == NULL || portp == NULL)
		return -EINVAL;
	if (snaplen == 0 || snaplen > DUMP_SNAPLEN_WHOLE)
		snaplen = DUMP_SNAPLEN_WHOLE;

	dp = calloc(1, sizeof(*dp));
	if (dp == NULL)
		return -ENOMEM;
	dp->snaplen = snaplen;
	dp->pcap = pcap_open_dead_with_tstamp_precision(
		DLT_EN10MB, (int)snaplen, PCAP_TSTAMP_PRECISION_MICRO);
	if (dp->pcap == NULL) {
		free(dp);
		return -ENOMEM;
	}
	fp = fopen(path, "wbe");
	if (fp == NULL) {
		r = errno != 0 ? -errno : -EIO;
		goto fail_pcap;
	}
	/*
	 * For DLT_EN10MB, pcap_dump_fopen() fails only when it cannot write
	 * the file header, and then it has closed @fp itself.
	 */
	dp->dumper = pcap_dump_fopen(dp->pcap, fp);
	if (dp->dumper == NULL) {
		r = -EIO;
		goto fail_pcap;
	}
	/* Write the header now, so that a reader finds a valid file at once. */
	errno = 0;
	if (pcap_dump_flush(dp->dumper) < 0) {
		r = errno != 0 ? -errno : -EIO;
		goto fail_dumper;
	}
	unet_port_init(&dp->port, &dump_ops, id);
	dp->port.observer = true;	/* each frame before its answers */
	r = unet_hub_attach(hub, &dp->port);
	if (r < 0)
		goto fail_dumper;
	*portp = &dp->port;
	return 0;

fail_dumper:
	pcap_dump_close(dp->dumper);
fail_pcap:
	pcap_close(dp->pcap);
	free(dp);
	return r;
}
