/* SPDX-License-Identifier: MIT */
/*
 * The gateway's TFTP server: read-only, from one folder (RFC 1350, with the
 * option extension of RFC 2347 and the blksize, timeout, tsize and
 * windowsize options of RFC 2348, 2349 and 7440).
 *
 * Theory of operation: an lwIP UDP pcb on the gateway's address, port 69,
 * takes requests. A read request (RRQ) names a file under the TFTP root,
 * which tftp_file.c opens once at start and resolves names beneath
 * (openat2(RESOLVE_BENEATH), or a walk with O_NOFOLLOW): "..", absolute
 * names, symlinks that lead out of the root and what is not a regular
 * file all end in ERROR 2, and nothing outside the root is opened. Write
 * requests and other opcodes get an ERROR; nothing is ever written.
 *
 * Each accepted RRQ becomes a transfer with its own transfer ID: a pcb bound
 * to (gateway, random port) and connected to the client's address and port,
 * which is also what tells the NAT proxy to leave that port to lwIP. When
 * the client asked for an option this server takes, an OACK goes first and
 * DATA starts after the client's ACK 0; otherwise DATA 1 goes at once.
 *
 * A transfer keeps no file data: it keeps the file descriptor and, for each
 * block of the window in flight, where that block starts in the file (and
 * for netascii the half of a CR LF / CR NUL pair that did not fit into the
 * block before). Blocks are read (unet__tftp_file_read(), pread() on the
 * loop's thread) when they are sent and read again when they are sent
 * again. An ACK that moves
 * the window sends the next window; a duplicate or stale ACK is ignored, and
 * only the retransmission timer resends (no Sorcerer's Apprentice storm).
 * After TFTP_TRIES_MAX resends without progress the transfer is dropped.
 * Block numbers wrap from 65535 to 0, as tftp-hpa and most clients expect;
 * the window is tracked with a 64-bit block counter. A block shorter than
 * blksize ends the file; a file of an exact multiple of blksize ends with an
 * empty block.
 *
 * Netascii converts on the fly (LF to CR LF, CR to CR NUL), so its length
 * is not the file's: tsize is not offered for netascii.
 *
 * What a guest can make this hold: TFTP_XFERS_MAX transfers, at most
 * TFTP_XFERS_PER_CLIENT of them for one client address (one more gets
 * ERROR "too many transfers"), each a small struct, a pcb, a timer and an
 * open file. A slot is held at most TFTP_XFER_TIME_MAX seconds in all (a
 * client that acknowledges just often enough is then sent an ERROR), and a
 * client that vanished frees it after its retransmissions run out: the
 * timeout option is granted up to TFTP_TIMEOUT_GRANT_MAX seconds, so that
 * is at most (TFTP_TRIES_MAX + 1) x 5 s, not 6 x 255 s. Messages a guest
 * can trigger are rate-limited (wire/log.h), per level.
 *
 * The OACK carries the timeout granted, which is lower than the one asked
 * for when that is above the cap. RFC 2349 has the server echo the
 * client's value; but the option only sets the server's own retransmission
 * timer, and clients take the OACK's value or ignore it, so a shorter timer
 * is announced rather than one that lets a vanished client hold a slot for
 * minutes.
 */
#include <uv.h>

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "lwip/ip.h"
#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/udp.h"

#include "wire/cursor.h"
#include "wire/log.h"
#include "wire/tftp_proto.h"
#include "wire/util.h"

#include "stack_internal.h"
#include "stack_proxy.h"
#include "tftp_file.h"

/** Transfers under way at once; one more is refused with an ERROR. */
#define TFTP_XFERS_MAX 64
/** Transfers one client address may have at once; one more is refused. */
#define TFTP_XFERS_PER_CLIENT 8
/** Largest retransmission timeout granted (the timeout option), seconds. */
#define TFTP_TIMEOUT_GRANT_MAX 5
/** Longest a transfer may hold its slot, in seconds; then it is ended. */
#define TFTP_XFER_TIME_MAX 600
/** Resends of one window (or OACK) without progress before giving up. */
#define TFTP_TRIES_MAX 5
/** Retransmission timeout without the timeout option, in seconds. */
#define TFTP_TIMEOUT_DEFAULT 1
/** Largest request packet read; longer ones are dropped as malformed. */
#define TFTP_REQ_MAX 1024
/** Largest windowsize granted. */
#define TFTP_WINDOW_MAX 64
/** Most bytes one window may put on the hub in one burst. */
#define TFTP_WINDOW_BYTES_MAX (1024 * 1024)
/** Bytes of a packet to a transfer port that are looked at. */
#define TFTP_XFER_PKT_MAX 516
/** Room for an OACK: every option this server knows, with its value. */
#define TFTP_OACK_MAX 128

struct unet_tftp;

/**
 * struct tftp_xfer - one read transfer
 * @tftp: the server
 * @next: next transfer of the server
 * @pcb: bound to (gateway, the transfer ID) and connected to the client
 * @timer: retransmission timer
 * @fd: the file
 * @name: the name the client asked for (for duplicate requests and logs)
 * @netascii: netascii mode (else octet)
 * @oack: an OACK was sent and the client's ACK 0 is awaited
 * @last_sent: the window in flight ends with the file's last block
 * @progressed: the client acknowledged something
 * @blksize: negotiated block size
 * @window: negotiated window size, in blocks
 * @timeout_ms: retransmission timeout
 * @start_ns: when the transfer started (hub clock)
 * @tries: resends since the last progress
 * @base: number of the first unacknowledged block, counted from 1, no wrap
 * @nsent: blocks of the window sent, from @base
 * @pos: where blocks @base .. @base + @nsent start (@nsent + 1 entries)
 * @oack_buf: the OACK, kept to be resent
 * @oack_len: its length
 */
struct tftp_xfer {
	struct unet_tftp *tftp;
	struct tftp_xfer *next;
	struct udp_pcb *pcb;
	struct unet_timer timer;
	int fd;
	char name[UNET__TFTP_NAME_MAX + 1];
	bool netascii;
	bool oack;
	bool last_sent;
	bool progressed;
	uint16_t blksize;
	unsigned int window;
	unsigned int timeout_ms;
	uint64_t start_ns;
	unsigned int tries;
	uint64_t base;
	unsigned int nsent;
	struct unet__tftp_pos pos[TFTP_WINDOW_MAX + 1];
	uint8_t oack_buf[TFTP_OACK_MAX];
	size_t oack_len;
};

/**
 * struct unet_tftp - the TFTP server of a stack
 * @stack: the stack
 * @hub: its hub (clock, randomness, log)
 * @stats: the stack's counters
 * @pcb: the pcb on port 69
 * @root: the root folder
 * @blksize_max: largest block that fits the hub's MTU
 * @xfers: transfers under way
 * @n_xfers: how many
 * @n_handles: transfer timers not yet closed
 * @stopping: unet__tftp_stop() ran; freed with the last handle
 * @block: a block being built
 * @raw: netascii: file bytes before conversion
 * @rl: log rate limiters, one per level (so that routine debug messages,
 *      which the hub may not even pass on, never silence a refusal)
 */
struct unet_tftp {
	struct unet_stack *stack;
	struct unet_hub *hub;
	struct unet_stack_stats *stats;
	struct udp_pcb *pcb;
	struct unet__tftp_root root;
	unsigned int blksize_max;
	struct tftp_xfer *xfers;
	unsigned int n_xfers;
	unsigned int n_handles;
	bool stopping;
	uint8_t *block;
	uint8_t *raw;
	struct unet__ratelimit rl[UNET_LOG_LEVEL_NUM];
};

/**
 * struct tftp_req - a parsed read request
 * @name: the file name, NUL-terminated in the packet
 * @name_len: its length
 * @netascii: netascii mode (else octet)
 * @any_option: an option was granted: answer with an OACK
 * @want_tsize: tsize granted (octet only)
 * @has_blksize: blksize granted, as @blksize
 * @has_timeout: timeout granted, as @timeout_s
 * @has_window: windowsize granted, as @window
 * @blksize: block size (default 512)
 * @window: window size in blocks (default 1)
 * @timeout_s: retransmission timeout in seconds (default 1)
 */
struct tftp_req {
	const char *name;
	size_t name_len;
	bool netascii;
	bool any_option;
	bool want_tsize;
	bool has_blksize;
	bool has_timeout;
	bool has_window;
	unsigned int blksize;
	unsigned int window;
	unsigned int timeout_s;
};

static void tftp_xfer_send_window(struct tftp_xfer *x);

/* Logs something a guest caused, rate-limited per level. */
#define tftp_log(tftp, level, fmt, ...)                               \
	unet__log_limited((tftp)->hub, &(tftp)->rl[(level)], (level), \
			  "tftp: " fmt, ##__VA_ARGS__)

/* A guest's file name made fit for a log line. */
static const char *tftp_printable(const char *name, char *out, size_t size)
{
	size_t i;

	for (i = 0; i + 1 < size && name[i] != '\0'; i++)
		out[i] = (name[i] >= 0x20 && name[i] < 0x7f) ? name[i] : '?';
	out[i] = '\0';
	return out;
}

/*
 * Takes a NUL-terminated string from @c; NULL when no NUL remains (and then
 * nothing is taken). @lenp receives its length without the NUL.
 */
static const char *tftp_take_str(struct unet_cursor *c, size_t *lenp)
{
	struct unet_cursor probe = *c;
	const uint8_t *b;
	const char *s;
	size_t n = 0;

	for (;;) {
		b = cursor_take(&probe, 1);
		if (b == NULL)
			return NULL;
		if (*b == '\0')
			break;
		n++;
	}
	s = cursor_take(c, n + 1);
	*lenp = n;
	return s;
}

/* A decimal option value: digits only, at most @max. */
static bool tftp_parse_num(const char *s, size_t len, uint64_t max,
			   uint64_t *v)
{
	uint64_t r = 0;
	size_t i;

	if (len == 0 || len > 20)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (r > (max - (uint64_t)(s[i] - '0')) / 10)
			return false;
		r = r * 10 + (uint64_t)(s[i] - '0');
	}
	*v = r;
	return true;
}

/* Sends a pbuf on @pcb, to @addr:@port when given (else connected). */
static void tftp_send(struct udp_pcb *pcb, struct pbuf *p,
		      const ip_addr_t *addr, u16_t port)
{
	if (addr != NULL)
		udp_sendto(pcb, p, addr, port);
	else
		udp_send(pcb, p);
	pbuf_free(p);
}

/*
 * Sends ERROR @code with @msg from @pcb (to @addr:@port, or on a connected
 * pcb when @addr is NULL).
 */
static void tftp_send_error(struct unet_tftp *tftp, struct udp_pcb *pcb,
			    const ip_addr_t *addr, u16_t port, uint16_t code,
			    const char *msg)
{
	size_t mlen = strlen(msg);
	uint8_t hdr[4];
	struct pbuf *p;

	p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)(sizeof(hdr) + mlen + 1),
		       PBUF_RAM);
	if (p == NULL)
		return;
	unet__put_be16(hdr, TFTP_ERROR);
	unet__put_be16(hdr + TFTP_OPCODE_LEN, code);
	pbuf_take(p, hdr, sizeof(hdr));
	pbuf_take_at(p, msg, (u16_t)(mlen + 1), sizeof(hdr));
	tftp->stats->tftp_errors++;
	tftp_send(pcb, p, addr, port);
}

/*
 * Builds the block that starts at @at into tftp->block; @next receives
 * where the following one starts. Return: its length, or a negative errno.
 */
static ssize_t tftp_xfer_read(struct tftp_xfer *x,
			      const struct unet__tftp_pos *at,
			      struct unet__tftp_pos *next)
{
	return unet__tftp_file_read(x->fd, x->netascii, at, next,
				    x->tftp->block, x->blksize, x->tftp->raw);
}

/* ---- transfers -------------------------------------------------------- */

static void tftp_free(struct unet_tftp *tftp)
{
	free(tftp->block);
	free(tftp->raw);
	free(tftp);
}

static void tftp_xfer_closed(uv_handle_t *handle)
{
	struct tftp_xfer *x = handle->data;
	struct unet_tftp *tftp = x->tftp;
	struct unet_stack *stack = tftp->stack;

	free(x);
	if (--tftp->n_handles == 0 && tftp->stopping)
		tftp_free(tftp);
	/* Last: it may free the stack. */
	unet__stack_unref(stack);
}

/* Ends a transfer: its pcb and file now, its memory once the timer closed. */
static void tftp_xfer_close(struct tftp_xfer *x)
{
	struct unet_tftp *tftp = x->tftp;
	struct tftp_xfer **pp;

	for (pp = &tftp->xfers; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == x) {
			*pp = x->next;
			tftp->n_xfers--;
			break;
		}
	}
	if (x->pcb != NULL) {
		udp_remove(x->pcb);
		x->pcb = NULL;
	}
	if (x->fd >= 0) {
		close(x->fd);
		x->fd = -1;
	}
	unet_timer_close(&x->timer, tftp_xfer_closed);
}

/* Sends an ERROR on the transfer's port and ends the transfer. */
static void tftp_xfer_fail(struct tftp_xfer *x, uint16_t code,
			   const char *msg)
{
	tftp_send_error(x->tftp, x->pcb, NULL, 0, code, msg);
	tftp_xfer_close(x);
}

static void tftp_xfer_arm(struct tftp_xfer *x);

/* Sends the OACK (again). */
static void tftp_xfer_send_oack(struct tftp_xfer *x)
{
	struct pbuf *p;

	p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)x->oack_len, PBUF_RAM);
	if (p != NULL) {
		pbuf_take(p, x->oack_buf, (u16_t)x->oack_len);
		tftp_send(x->pcb, p, NULL, 0);
	}
	tftp_xfer_arm(x);
}

/*
 * Sends block @base + @i, which starts at pos[@i], and records where the
 * next one starts. Return: the block's length, or a negative errno.
 */
static ssize_t tftp_xfer_send_block(struct tftp_xfer *x, unsigned int i)
{
	uint64_t blk = x->base + i;
	uint8_t hdr[TFTP_HLEN];
	struct pbuf *p;
	ssize_t n;

	n = tftp_xfer_read(x, &x->pos[i], &x->pos[i + 1]);
	if (n < 0)
		return n;
	p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)(TFTP_HLEN + (size_t)n),
		       PBUF_RAM);
	/* Out of memory is a lost packet: the timer sends it again. */
	if (p == NULL)
		return n;
	unet__put_be16(hdr, TFTP_DATA);
	/* The block number wraps to 0. */
	unet__put_be16(hdr + TFTP_OPCODE_LEN, (uint16_t)blk);
	pbuf_take(p, hdr, sizeof(hdr));
	if (n > 0)
		pbuf_take_at(p, x->tftp->block, (u16_t)n, TFTP_HLEN);
	tftp_send(x->pcb, p, NULL, 0);
	return n;
}

/* Sends the window from @base: up to @window blocks, fewer at the end. */
static void tftp_xfer_send_window(struct tftp_xfer *x)
{
	char pname[64];
	unsigned int i;
	ssize_t n;

	x->nsent = 0;
	x->last_sent = false;
	for (i = 0; i < x->window; i++) {
		n = tftp_xfer_send_block(x, i);
		if (n < 0) {
			tftp_log(x->tftp, UNET_LOG_WARN, "reading %s: %s",
				 tftp_printable(x->name, pname, sizeof(pname)),
				 strerror((int)-n));
			tftp_xfer_fail(x, TFTP_EUNDEF, "read error");
			return;
		}
		x->nsent = i + 1;
		if ((size_t)n < x->blksize) {
			x->last_sent = true;
			break;
		}
	}
	tftp_xfer_arm(x);
}

/*
 * Ends a transfer that has held its slot TFTP_XFER_TIME_MAX seconds, with an
 * ERROR to the client. Return: whether it did.
 */
static bool tftp_xfer_overtime(struct tftp_xfer *x)
{
	uint64_t held = unet_hub_now_ns(x->tftp->hub) - x->start_ns;
	char pname[64];

	if (held < TFTP_XFER_TIME_MAX * 1000000000ull)
		return false;
	tftp_log(x->tftp, UNET_LOG_INFO, "%s: not done after %u s, ended",
		 tftp_printable(x->name, pname, sizeof(pname)),
		 TFTP_XFER_TIME_MAX);
	tftp_xfer_fail(x, TFTP_EUNDEF, "transfer takes too long");
	return true;
}

static void tftp_xfer_timeout(struct unet_timer *timer)
{
	struct tftp_xfer *x = container_of(timer, struct tftp_xfer, timer);
	char pname[64];

	if (tftp_xfer_overtime(x))
		return;
	if (++x->tries > TFTP_TRIES_MAX) {
		tftp_log(x->tftp, UNET_LOG_DEBUG,
			 "%s: no answer after %u tries, dropped",
			 tftp_printable(x->name, pname, sizeof(pname)),
			 x->tries);
		tftp_xfer_close(x);
		return;
	}
	if (x->oack)
		tftp_xfer_send_oack(x);
	else
		tftp_xfer_send_window(x);
}

static void tftp_xfer_arm(struct tftp_xfer *x)
{
	unet_timer_start(&x->timer, tftp_xfer_timeout, x->timeout_ms);
}

/* An ACK of block number @blk (16 bits, as on the wire). */
static void tftp_xfer_ack(struct tftp_xfer *x, uint16_t blk)
{
	unsigned int delta;
	char pname[64];

	if (x->oack) {
		if (blk != 0)
			return;
		x->oack = false;
		x->progressed = true;
		x->tries = 0;
		tftp_xfer_send_window(x);
		return;
	}
	/*
	 * How far the ACK moves the window: 0 is a duplicate of the ACK
	 * before it, past @nsent a stale one. Both are ignored; only the
	 * timer resends.
	 */
	delta = (uint16_t)(blk - (uint16_t)(x->base - 1));
	if (delta == 0 || delta > x->nsent)
		return;
	if (tftp_xfer_overtime(x))
		return;
	x->progressed = true;
	if (x->last_sent && delta == x->nsent) {
		tftp_log(x->tftp, UNET_LOG_DEBUG, "%s: sent",
			 tftp_printable(x->name, pname, sizeof(pname)));
		tftp_xfer_close(x);
		return;
	}
	memmove(&x->pos[0], &x->pos[delta],
		(x->nsent - delta + 1) * sizeof(x->pos[0]));
	x->base += delta;
	x->tries = 0;
	tftp_xfer_send_window(x);
}

/* A packet from the client on the transfer's port. */
static void tftp_xfer_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p,
			   const ip_addr_t *addr, u16_t port)
{
	struct tftp_xfer *x = arg;
	uint8_t buf[TFTP_XFER_PKT_MAX];
	uint16_t opcode, blk;
	struct unet_cursor c;
	char pname[64];
	u16_t len;

	len = pbuf_copy_partial(p, buf, sizeof(buf), 0);
	pbuf_free(p);
	c = cursor_init(buf, len);
	if (!cursor_take_be16(&c, &opcode)) {
		x->tftp->stats->tftp_drop++;
		return;
	}
	switch (opcode) {
	case TFTP_ACK:
		if (!cursor_take_be16(&c, &blk)) {
			x->tftp->stats->tftp_drop++;
			return;
		}
		tftp_xfer_ack(x, blk);
		break;
	case TFTP_ERROR:
		/* Never answered (RFC 1350): the client gave up. */
		tftp_log(x->tftp, UNET_LOG_DEBUG, "%s: the client sent an error",
			 tftp_printable(x->name, pname, sizeof(pname)));
		tftp_xfer_close(x);
		break;
	default:
		tftp_xfer_fail(x, TFTP_EBADOP, "illegal TFTP operation");
		break;
	}
}

/* Appends "name\0value\0" to the OACK being built. */
static void tftp_oack_add(struct tftp_xfer *x, const char *name,
			  uint64_t value)
{
	int n;

	n = snprintf((char *)x->oack_buf + x->oack_len,
		     sizeof(x->oack_buf) - x->oack_len, "%s%c%" PRIu64, name,
		     '\0', value);
	/* The buffer holds every option there is: this never truncates. */
	if (n > 0 && (size_t)n + 1 <= sizeof(x->oack_buf) - x->oack_len)
		x->oack_len += (size_t)n + 1;
}

/* Binds a transfer's pcb to the gateway and a random port (the TID). */
static int tftp_xfer_bind(struct unet_tftp *tftp, struct udp_pcb *pcb)
{
	const struct unet_stack_config *cfg = unet__stack_config(tftp->stack);
	ip_addr_t host;
	u16_t port;
	int i;

	ip_addr_set_ip4_u32_val(host, cfg->host.s_addr);
	for (i = 0; i < 16; i++) {
		port = (u16_t)(49152 + unet_hub_random(tftp->hub) % 16384);
		if (udp_bind(pcb, &host, port) == ERR_OK)
			return 0;
	}
	return udp_bind(pcb, &host, 0) == ERR_OK ? 0 : -EADDRINUSE;
}

/* Starts a transfer of @fd (of @size bytes) for @req, from @addr:@port. */
static void tftp_xfer_start(struct unet_tftp *tftp, int fd, uint64_t size,
			    const struct tftp_req *req, const ip_addr_t *addr,
			    u16_t port)
{
	struct tftp_xfer *x;
	size_t n;

	x = calloc(1, sizeof(*x));
	if (x == NULL) {
		close(fd);
		tftp_send_error(tftp, tftp->pcb, addr, port, TFTP_EUNDEF,
				"out of memory");
		return;
	}
	x->pcb = udp_new();
	if (x->pcb == NULL || tftp_xfer_bind(tftp, x->pcb) < 0 ||
	    udp_connect(x->pcb, addr, port) != ERR_OK) {
		if (x->pcb != NULL)
			udp_remove(x->pcb);
		free(x);
		close(fd);
		tftp_send_error(tftp, tftp->pcb, addr, port, TFTP_EUNDEF,
				"no transfer port");
		return;
	}
	udp_recv(x->pcb, tftp_xfer_recv, x);
	x->tftp = tftp;
	x->fd = fd;
	/* tftp_rrq() refused longer names. */
	n = req->name_len < sizeof(x->name) ? req->name_len :
					      sizeof(x->name) - 1;
	memcpy(x->name, req->name, n);
	x->name[n] = '\0';
	x->netascii = req->netascii;
	x->blksize = (uint16_t)req->blksize;
	x->window = req->window;
	x->timeout_ms = req->timeout_s * 1000u;
	x->start_ns = unet_hub_now_ns(tftp->hub);
	x->base = 1;
	unet_timer_init(tftp->hub, &x->timer);
	x->timer.uv.data = x;
	/* Like the stack's own handles, a transfer does not keep the loop up. */
	uv_unref((uv_handle_t *)&x->timer.uv);
	unet__stack_ref(tftp->stack);
	tftp->n_handles++;
	x->next = tftp->xfers;
	tftp->xfers = x;
	tftp->n_xfers++;
	tftp->stats->tftp_transfers++;

	if (!req->any_option) {
		tftp_xfer_send_window(x);
		return;
	}
	x->oack_buf[0] = 0;
	x->oack_buf[1] = TFTP_OACK;
	x->oack_len = TFTP_OPCODE_LEN;
	if (req->has_blksize)
		tftp_oack_add(x, TFTP_OPT_BLKSIZE, req->blksize);
	if (req->want_tsize)
		tftp_oack_add(x, TFTP_OPT_TSIZE, size);
	if (req->has_timeout)
		tftp_oack_add(x, TFTP_OPT_TIMEOUT, req->timeout_s);
	if (req->has_window)
		tftp_oack_add(x, TFTP_OPT_WINDOWSIZE, req->window);
	x->oack = true;
	tftp_xfer_send_oack(x);
}

/* ---- requests ------------------------------------------------------- */

/*
 * Takes the options of an RRQ (RFC 2347): known ones within their ranges
 * are granted (blksize and windowsize capped to what this server sends),
 * others are ignored, and so is a last option cut short.
 */
static void tftp_parse_options(struct unet_tftp *tftp, struct unet_cursor *c,
			       struct tftp_req *req)
{
	bool seen_blksize = false, seen_timeout = false, seen_window = false;
	bool seen_tsize = false;
	const char *opt, *val;
	size_t olen, vlen;
	uint64_t v;
	unsigned int wmax;

	for (;;) {
		opt = tftp_take_str(c, &olen);
		if (opt == NULL)
			break;
		val = tftp_take_str(c, &vlen);
		if (val == NULL)
			break;
		if (!seen_blksize && strcasecmp(opt, TFTP_OPT_BLKSIZE) == 0) {
			seen_blksize = true;
			if (!tftp_parse_num(val, vlen, UINT64_MAX, &v) ||
			    v < TFTP_BLKSIZE_MIN)
				continue;
			req->blksize = (unsigned int)(v < tftp->blksize_max ?
						      v : tftp->blksize_max);
			req->has_blksize = true;
		} else if (!seen_tsize &&
			   strcasecmp(opt, TFTP_OPT_TSIZE) == 0) {
			seen_tsize = true;
			if (req->netascii ||
			    !tftp_parse_num(val, vlen, UINT64_MAX, &v))
				continue;
			req->want_tsize = true;
		} else if (!seen_timeout &&
			   strcasecmp(opt, TFTP_OPT_TIMEOUT) == 0) {
			seen_timeout = true;
			if (!tftp_parse_num(val, vlen, TFTP_TIMEOUT_MAX, &v) ||
			    v < TFTP_TIMEOUT_MIN)
				continue;
			/* Granted up to the cap; the OACK says so. */
			req->timeout_s = (unsigned int)(v < TFTP_TIMEOUT_GRANT_MAX ?
							v : TFTP_TIMEOUT_GRANT_MAX);
			req->has_timeout = true;
		} else if (!seen_window &&
			   strcasecmp(opt, TFTP_OPT_WINDOWSIZE) == 0) {
			seen_window = true;
			if (!tftp_parse_num(val, vlen, TFTP_WINDOWSIZE_MAX,
					    &v) ||
			    v < TFTP_WINDOWSIZE_MIN)
				continue;
			req->window = (unsigned int)(v < TFTP_WINDOW_MAX ?
						     v : TFTP_WINDOW_MAX);
			req->has_window = true;
		}
	}
	req->any_option = req->has_blksize || req->want_tsize ||
			  req->has_timeout || req->has_window;
	/* One window may not flood the hub, whatever the block size. */
	wmax = TFTP_WINDOW_BYTES_MAX / req->blksize;
	if (wmax < 1)
		wmax = 1;
	if (req->window > wmax)
		req->window = wmax;
}

/* The transfer already under way from @addr:@port, or NULL. */
static struct tftp_xfer *tftp_find(struct unet_tftp *tftp,
				   const ip_addr_t *addr, u16_t port)
{
	struct tftp_xfer *x;

	for (x = tftp->xfers; x != NULL; x = x->next)
		if (x->pcb != NULL && x->pcb->remote_port == port &&
		    ip_addr_cmp(&x->pcb->remote_ip, addr))
			return x;
	return NULL;
}

/* The transfers under way to @addr (any port): at most TFTP_XFERS_MAX. */
static unsigned int tftp_client_xfers(struct unet_tftp *tftp,
				      const ip_addr_t *addr)
{
	struct tftp_xfer *x;
	unsigned int n = 0;

	for (x = tftp->xfers; x != NULL; x = x->next)
		n += x->pcb != NULL && ip_addr_cmp(&x->pcb->remote_ip, addr);
	return n;
}

/* Answers a failed open of @name. */
static void tftp_open_failed(struct unet_tftp *tftp, const ip_addr_t *addr,
			     u16_t port, const char *name, int err)
{
	char pname[64];

	if (err == -ENODEV) {
		tftp_log(tftp, UNET_LOG_INFO, "%s: not a regular file",
			 tftp_printable(name, pname, sizeof(pname)));
		tftp_send_error(tftp, tftp->pcb, addr, port, TFTP_EACCESS,
				"not a regular file");
		return;
	}
	tftp_log(tftp, UNET_LOG_INFO, "%s: %s",
		 tftp_printable(name, pname, sizeof(pname)), strerror(-err));
	switch (err) {
	case -ENOENT:
	case -ENOTDIR:
	case -ENAMETOOLONG:
		tftp_send_error(tftp, tftp->pcb, addr, port, TFTP_ENOTFOUND,
				"file not found");
		break;
	case -EXDEV:
	case -ELOOP:
	case -EACCES:
	case -EPERM:
		tftp_send_error(tftp, tftp->pcb, addr, port, TFTP_EACCESS,
				"access violation");
		break;
	default:
		tftp_send_error(tftp, tftp->pcb, addr, port, TFTP_EUNDEF,
				"cannot open the file");
		break;
	}
}

/* A read request from @addr:@port, @c after the opcode. */
static void tftp_rrq(struct unet_tftp *tftp, struct unet_cursor *c,
		     const ip_addr_t *addr, u16_t port)
{
	struct tftp_req req = {
		.blksize = TFTP_BLKSIZE_DEFAULT,
		.window = 1,
		.timeout_s = TFTP_TIMEOUT_DEFAULT,
	};
	struct tftp_xfer *old;
	const char *mode;
	size_t mlen;
	uint64_t size;
	char pname[64];
	int fd;

	req.name = tftp_take_str(c, &req.name_len);
	mode = req.name != NULL ? tftp_take_str(c, &mlen) : NULL;
	if (mode == NULL) {
		tftp->stats->tftp_drop++;
		tftp_log(tftp, UNET_LOG_DEBUG, "request without name or mode");
		return;
	}
	if (strcasecmp(mode, TFTP_MODE_NETASCII) == 0) {
		req.netascii = true;
	} else if (strcasecmp(mode, TFTP_MODE_OCTET) != 0) {
		tftp_send_error(tftp, tftp->pcb, addr, port, TFTP_EBADOP,
				"unsupported mode");
		return;
	}
	if (req.name_len == 0) {
		tftp_send_error(tftp, tftp->pcb, addr, port, TFTP_ENOTFOUND,
				"file not found");
		return;
	}
	if (req.name_len > UNET__TFTP_NAME_MAX ||
	    !unet__tftp_name_ok(req.name)) {
		tftp_log(tftp, UNET_LOG_INFO, "refused %s",
			 tftp_printable(req.name, pname, sizeof(pname)));
		tftp_send_error(tftp, tftp->pcb, addr, port, TFTP_EACCESS,
				"access violation");
		return;
	}
	tftp_parse_options(tftp, c, &req);

	/*
	 * The same client port again: a resent request while nothing was
	 * acknowledged yet is a duplicate (the timer resends); anything else
	 * means the client gave the old transfer up.
	 */
	old = tftp_find(tftp, addr, port);
	if (old != NULL) {
		if (!old->progressed && strcmp(old->name, req.name) == 0)
			return;
		tftp_xfer_close(old);
	}
	if (tftp->n_xfers >= TFTP_XFERS_MAX ||
	    tftp_client_xfers(tftp, addr) >= TFTP_XFERS_PER_CLIENT) {
		tftp_log(tftp, UNET_LOG_INFO, "too many transfers%s",
			 tftp->n_xfers >= TFTP_XFERS_MAX ? "" :
							  " for one client");
		tftp_send_error(tftp, tftp->pcb, addr, port, TFTP_EUNDEF,
				"too many transfers");
		return;
	}
	fd = unet__tftp_file_open(&tftp->root, req.name, &size);
	if (fd < 0) {
		tftp_open_failed(tftp, addr, port, req.name, fd);
		return;
	}
	tftp_log(tftp, UNET_LOG_DEBUG, "sending %s",
		 tftp_printable(req.name, pname, sizeof(pname)));
	tftp_xfer_start(tftp, fd, size, &req, addr, port);
}

/* Whether a request's source can be answered: a guest of the virtual net. */
static bool tftp_src_ok(struct unet_tftp *tftp, const ip_addr_t *addr,
			u16_t port)
{
	if (port == 0 || !IP_IS_V4(addr))
		return false;
	return unet__stack_is_guest_addr(tftp->stack,
					 ip4_addr_get_u32(ip_2_ip4(addr)));
}

/* A packet to port 69. */
static void tftp_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p,
		      const ip_addr_t *addr, u16_t port)
{
	struct unet_tftp *tftp = arg;
	const struct unet_stack_config *cfg = unet__stack_config(tftp->stack);
	uint8_t buf[TFTP_REQ_MAX];
	struct unet_cursor c;
	uint16_t opcode;
	u16_t len;

	if (p->tot_len > sizeof(buf) || !tftp_src_ok(tftp, addr, port) ||
	    ip4_addr_get_u32(ip4_current_dest_addr()) != cfg->host.s_addr) {
		tftp->stats->tftp_drop++;
		pbuf_free(p);
		return;
	}
	len = pbuf_copy_partial(p, buf, sizeof(buf), 0);
	pbuf_free(p);
	c = cursor_init(buf, len);
	if (!cursor_take_be16(&c, &opcode)) {
		tftp->stats->tftp_drop++;
		return;
	}
	switch (opcode) {
	case TFTP_RRQ:
		tftp_rrq(tftp, &c, addr, port);
		break;
	case TFTP_WRQ:
		tftp_send_error(tftp, pcb, addr, port, TFTP_EACCESS,
				"writes are refused");
		break;
	case TFTP_ERROR:
		/* An error is never answered. */
		tftp->stats->tftp_drop++;
		break;
	default:
		tftp_send_error(tftp, pcb, addr, port, TFTP_EBADOP,
				"illegal TFTP operation");
		break;
	}
}

/**
 * unet__tftp_fds_max() - the most file descriptors the TFTP server holds
 *
 * Return: one open file per transfer at the transfer limit, and the root.
 */
unsigned int unet__tftp_fds_max(void)
{
	return TFTP_XFERS_MAX + 1;
}

/**
 * unet__tftp_start() - start the TFTP server on the gateway's port 69
 * @stack: the stack, whose configuration names a non-empty tftp_root
 *
 * Opens the root folder once (it stays open for the server's life) and
 * binds port 69 on the gateway's address.
 *
 * Return: 0; -ENOMEM; the errno of opening the root (-ENOENT, -ENOTDIR,
 * -EACCES ...), logged with the folder's name; -EADDRINUSE when port 69 is
 * taken.
 */
int unet__tftp_start(struct unet_stack *stack)
{
	const struct unet_stack_config *cfg = unet__stack_config(stack);
	struct unet_hub *hub = unet__stack_hub(stack);
	struct unet_tftp *tftp;
	unsigned int mtu = unet_hub_mtu(hub);
	ip_addr_t host;
	int r;

	tftp = calloc(1, sizeof(*tftp));
	if (tftp == NULL)
		return -ENOMEM;
	tftp->stack = stack;
	tftp->hub = hub;
	tftp->stats = unet__stack_stats(stack);
	tftp->blksize_max = TFTP_BLKSIZE_MAX;
	if (mtu - TFTP_IP4_OVERHEAD < tftp->blksize_max)
		tftp->blksize_max = mtu - TFTP_IP4_OVERHEAD;
	tftp->block = malloc(tftp->blksize_max);
	tftp->raw = malloc(tftp->blksize_max);
	if (tftp->block == NULL || tftp->raw == NULL) {
		tftp_free(tftp);
		return -ENOMEM;
	}
	r = unet__tftp_root_open(&tftp->root, cfg->tftp_root, hub);
	if (r < 0) {
		unet_hub_log(hub, UNET_LOG_ERROR, "tftp: cannot open %s: %s",
			     cfg->tftp_root, strerror(-r));
		tftp_free(tftp);
		return r;
	}
	tftp->pcb = udp_new();
	if (tftp->pcb == NULL) {
		unet__tftp_root_close(&tftp->root);
		tftp_free(tftp);
		return -ENOMEM;
	}
	ip_addr_set_ip4_u32_val(host, cfg->host.s_addr);
	if (udp_bind(tftp->pcb, &host, TFTP_PORT) != ERR_OK) {
		unet_hub_log(hub, UNET_LOG_ERROR, "tftp: port %d is taken",
			     TFTP_PORT);
		udp_remove(tftp->pcb);
		unet__tftp_root_close(&tftp->root);
		tftp_free(tftp);
		return -EADDRINUSE;
	}
	udp_recv(tftp->pcb, tftp_recv, tftp);
	unet__stack_services(stack)->tftp = tftp;
	return 0;
}

/**
 * unet_stack_tftp_reopen() - serve TFTP from the folder at another path
 * @stack: the stack
 * @path: the same folder, reached another way (a sandbox's bind mount of it)
 *
 * Opens @path as the new root folder, then closes the one opened at start,
 * so that no descriptor into the old path's tree is left (--sandbox: the
 * old descriptor's ".." would lead out of the sandbox's root). Transfers
 * under way keep the files they have open. On failure the old root stays.
 *
 * Return: 0; -ENOENT when the stack serves no TFTP folder; the errno of
 * opening @path (-ENOENT, -ENOTDIR, -EACCES ...).
 */
int unet_stack_tftp_reopen(struct unet_stack *stack, const char *path)
{
	struct unet_tftp *tftp = unet__stack_services(stack)->tftp;
	struct unet__tftp_root root;
	int r;

	if (tftp == NULL)
		return -ENOENT;
	r = unet__tftp_root_open(&root, path, tftp->hub);
	if (r < 0)
		return r;
	root.no_openat2 = tftp->root.no_openat2;
	unet__tftp_root_close(&tftp->root);
	tftp->root = root;
	return 0;
}

/**
 * unet__tftp_stop() - stop the TFTP server
 * @stack: the stack
 *
 * Ends every transfer (no packet is sent) and releases the pcbs and files
 * at once; the memory goes once the transfers' timers are closed. Does
 * nothing when the server was not started.
 */
void unet__tftp_stop(struct unet_stack *stack)
{
	struct stack_services *s = unet__stack_services(stack);
	struct unet_tftp *tftp = s->tftp;

	if (tftp == NULL)
		return;
	s->tftp = NULL;
	tftp->stopping = true;
	udp_remove(tftp->pcb);
	tftp->pcb = NULL;
	while (tftp->xfers != NULL)
		tftp_xfer_close(tftp->xfers);
	unet__tftp_root_close(&tftp->root);
	if (tftp->n_handles == 0)
		tftp_free(tftp);
}
