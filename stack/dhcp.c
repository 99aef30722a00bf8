/* SPDX-License-Identifier: MIT */
/*
 * The gateway's DHCP and BOOTP server (RFC 2131, 2132, 951, 1542).
 *
 * Theory of operation: an lwIP UDP pcb bound to any address, port 67, takes
 * what clients send, broadcast from 0.0.0.0 (lwipopts.h lets those through
 * with LWIP_IP_ACCEPT_UDP_PORT) or unicast to the gateway when renewing.
 * Each message is copied out of its pbuf and parsed with the bounds-checked
 * cursor: the 236-byte fixed part, the magic cookie, the options (and the
 * options overloaded into the file and sname fields, option 52). Anything
 * short, with a length past the end, without an end option, with another
 * op, htype or hlen, or sent through a relay (giaddr set: there are no
 * relays on a hub) is dropped and counted in dhcp_drop.
 *
 * Leases: a table of exactly dhcp_count entries, entry i being address
 * dhcp_start + i. An entry remembers its owner (the client identifier,
 * option 61, or else chaddr), a state and when that state ends:
 *
 *   FREE      nobody holds the address; the last owner is remembered, so
 *             that it gets the same address back while nobody took it
 *   OFFERED   held for the owner for DHCP_OFFER_HOLD_S after an OFFER
 *   BOUND     leased to the owner until the lease ends (BOOTP: forever)
 *   DECLINED  a client said someone else uses it: out of the pool for
 *             DHCP_DECLINE_HOLD_S, with no owner
 *
 * A state whose time is over counts as FREE; nothing runs on a timer, the
 * hub's clock is read when a message comes. A client gets the entry it owns,
 * else the address it asked for when that is free, else an entry nobody
 * ever owned, else the free entry whose last owner left longest ago. When
 * none is left the client gets no offer and the log one line, until an
 * address is handed out again.
 *
 * Replies are built whole here, Ethernet, IPv4 and UDP headers and
 * checksums included, and put on the hub with unet__stack_output_frame(): a
 * client without an address yet cannot answer ARP, so lwIP's output path
 * (which would ARP for yiaddr) is not used. Where they go follows RFC 2131
 * 4.1: NAKs, replies to clients that asked for broadcast and replies with no
 * address to go to are broadcast; replies to a client with an address
 * (ciaddr: renewing, rebinding, INFORM) are unicast to that address; the
 * rest is unicast to yiaddr at chaddr. A reply stays within 576 bytes of IP,
 * or within the client's maximum message size (option 57) and the hub's
 * MTU; options that do not fit are left out, the domain search list (119),
 * the domain name (15) and the host name (12) first.
 *
 * What a guest can make this hold: nothing beyond the lease table, which is
 * allocated at start. Log lines a guest can cause are rate-limited.
 */
#include <uv.h>

#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lwip/ip.h"
#include "lwip/ip_addr.h"
#include "lwip/pbuf.h"
#include "lwip/udp.h"

#include "wire/cursor.h"
#include "dhcp_proto.h"
#include "stack_internal.h"
#include "stack_proxy.h"

/** Lease time handed out, in seconds (QEMU's 24 hours). */
#define DHCP_LEASE_S 86400
/** How long an OFFER holds its address for the client, in seconds. */
#define DHCP_OFFER_HOLD_S 60
/** How long a declined address stays out of the pool, in seconds. */
#define DHCP_DECLINE_HOLD_S 600
/** Largest message taken; longer ones are dropped as malformed. */
#define DHCP_REQ_MAX 2048
/** Largest reply, in bytes of IP, whatever option 57 says. */
#define DHCP_REPLY_IP_MAX 1500
/** Bytes of a client's identity kept in a lease (longer ones are hashed). */
#define DHCP_KEY_MAX 64
/** Room for option 119's data: 2 bytes more than each name at most. */
#define DHCP_SEARCH_MAX \
	(2 * sizeof(((struct unet_stack_config *)NULL)->dnssearch) + 2)
/** Most names in the search list that compression can point back to. */
#define DHCP_SEARCH_SUFFIX_MAX 512
/** Log messages a guest may cause in a burst, then one a second. */
#define DHCP_LOG_BURST 10

#define NS_PER_S 1000000000ull

/** The state of a lease table entry (see the theory of operation). */
enum dhcp_lease_state {
	DHCP_LEASE_FREE,
	DHCP_LEASE_OFFERED,
	DHCP_LEASE_BOUND,
	DHCP_LEASE_DECLINED,
	DHCP_LEASE_STATE_NUM
};

/* How a client is known (first byte of a key). */
enum dhcp_key_kind {
	DHCP_KEY_CHADDR,	/* chaddr: 6 bytes */
	DHCP_KEY_CLIENT_ID,	/* option 61, whole */
	DHCP_KEY_CLIENT_ID_HASH,/* option 61, its start and a hash of all */
	DHCP_KEY_KIND_NUM
};

/**
 * struct dhcp_key - who a client is
 * @len: bytes used in @data; 0 for nobody
 * @data: a &enum dhcp_key_kind, then the chaddr or the client identifier
 */
struct dhcp_key {
	uint8_t len;
	uint8_t data[DHCP_KEY_MAX];
};

/**
 * struct dhcp_lease - one address of the pool
 * @owner: the client it is (or was last) held for; len 0 for none
 * @mac: that client's chaddr, for log lines
 * @state: an &enum dhcp_lease_state
 * @expires_ns: when @state ends, on the hub's clock (UINT64_MAX: never)
 */
struct dhcp_lease {
	struct dhcp_key owner;
	uint8_t mac[6];
	uint8_t state;
	uint64_t expires_ns;
};

/**
 * struct unet_dhcp - the DHCP server of a stack
 * @stack: the stack
 * @hub: its hub (clock, randomness, log)
 * @cfg: the stack's configuration
 * @stats: the stack's counters
 * @pcb: the pcb on port 67
 * @leases: the lease table, @n_leases entries
 * @n_leases: the pool's size (dhcp_count)
 * @mtu: the hub's MTU
 * @ip_id: IPv4 identification of the next reply
 * @pool_full_logged: the pool ran out and that was logged
 * @search: option 119's data, encoded once at start
 * @search_len: bytes in @search (0: no option 119)
 * @log_refill_ns: when the log bucket last gained a token
 * @log_tokens: messages that may be logged now
 * @req: the message being parsed, copied out of its pbuf
 * @frame: the reply being built
 */
struct unet_dhcp {
	struct unet_stack *stack;
	struct unet_hub *hub;
	const struct unet_stack_config *cfg;
	struct unet_stack_stats *stats;
	struct udp_pcb *pcb;
	struct dhcp_lease *leases;
	unsigned int n_leases;
	unsigned int mtu;
	uint16_t ip_id;
	bool pool_full_logged;
	uint8_t search[DHCP_SEARCH_MAX];
	size_t search_len;
	uint64_t log_refill_ns;
	unsigned int log_tokens;
	uint8_t req[DHCP_REQ_MAX];
	uint8_t frame[DHCP_ETH_HLEN + DHCP_REPLY_IP_MAX];
};

/**
 * struct dhcp_msg - a client's message, parsed
 * @len: its length
 * @xid: the transaction ID (4 bytes)
 * @flags: the flags field
 * @ciaddr: the client's address, 0 when it has none
 * @giaddr: the relay's address (0 here, or the message is dropped)
 * @chaddr: the client hardware address field (16 bytes, the MAC first)
 * @type: option 53; 0 for BOOTP (no option 53)
 * @has_requested: option 50 was there
 * @requested: option 50, the address the client asks for
 * @has_server_id: option 54 was there
 * @server_id: option 54, the server the client talks to
 * @client_id: option 61's data, NULL when absent
 * @client_id_len: its length (1..255)
 * @max_size: option 57, the largest message it takes; 0 when absent
 * @overload: option 52: which of file and sname carry options (0: none)
 *
 * Pointers point into &unet_dhcp.req; addresses are in network order.
 */
struct dhcp_msg {
	size_t len;
	const uint8_t *xid;
	uint16_t flags;
	uint32_t ciaddr;
	uint32_t giaddr;
	const uint8_t *chaddr;
	uint8_t type;
	bool has_requested;
	uint32_t requested;
	bool has_server_id;
	uint32_t server_id;
	const uint8_t *client_id;
	size_t client_id_len;
	unsigned int max_size;
	uint8_t overload;
};

/**
 * struct dhcp_writer - a bounded writer over a buffer of ours
 * @buf: the buffer
 * @cap: its size
 * @len: bytes written
 */
struct dhcp_writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
};

static_assert(DHCP_LEASE_STATE_NUM <= UINT8_MAX, "dhcp_lease.state is a byte");
static_assert(DHCP_REPLY_IP_MAX >= DHCP_MIN_IP_LEN,
	      "replies must hold what every client accepts");
static_assert(DHCP_SEARCH_MAX <= 0xffff, "option 119 data length");
static_assert(4 + DHCP_XID_LEN + 4 + 4 * 4 + DHCP_CHADDR_LEN + DHCP_SNAME_LEN +
		      DHCP_FILE_LEN == DHCP_FIXED_LEN,
	      "the fields of the fixed part fill it");

/*
 * Logs something a guest caused: a burst, then one message a second.
 * Return: whether the message was let through.
 */
__attribute__((format(printf, 3, 4)))
static bool dhcp_log(struct unet_dhcp *dhcp, enum unet_log_level level,
		     const char *fmt, ...)
{
	uint64_t now = unet_hub_now_ns(dhcp->hub);
	char msg[256];
	va_list ap;

	if (now - dhcp->log_refill_ns >= NS_PER_S) {
		dhcp->log_refill_ns = now;
		if (dhcp->log_tokens < DHCP_LOG_BURST)
			dhcp->log_tokens++;
	}
	if (dhcp->log_tokens == 0)
		return false;
	dhcp->log_tokens--;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	unet_hub_log(dhcp->hub, level, "dhcp: %s", msg);
	return true;
}

static const char *dhcp_mac_str(const uint8_t *mac, char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1],
		 mac[2], mac[3], mac[4], mac[5]);
	return out;
}

static const char *dhcp_addr_str(uint32_t addr, char out[INET_ADDRSTRLEN])
{
	struct in_addr a = { .s_addr = addr };

	return inet_ntop(AF_INET, &a, out, INET_ADDRSTRLEN);
}

static void dhcp_drop(struct unet_dhcp *dhcp, const char *why)
{
	dhcp->stats->dhcp_drop++;
	dhcp_log(dhcp, UNET_LOG_DEBUG, "dropped a message: %s", why);
}

/* ---- parsing ----------------------------------------------------------- */

static uint32_t dhcp_get_addr(const uint8_t *b)
{
	uint32_t a;

	memcpy(&a, b, sizeof(a));
	return a;
}

/* Takes one option the server looks at; later instances are ignored. */
static int dhcp_take_option(struct dhcp_msg *m, uint8_t code,
			    const uint8_t *data, size_t len, bool top)
{
	switch (code) {
	case DHCP_OPT_MSG_TYPE:
		if (len != 1)
			return -EINVAL;
		if (m->type == 0)
			m->type = data[0];
		break;
	case DHCP_OPT_REQUESTED_IP:
		if (len == 4 && !m->has_requested) {
			m->has_requested = true;
			m->requested = dhcp_get_addr(data);
		}
		break;
	case DHCP_OPT_SERVER_ID:
		if (len == 4 && !m->has_server_id) {
			m->has_server_id = true;
			m->server_id = dhcp_get_addr(data);
		}
		break;
	case DHCP_OPT_CLIENT_ID:
		if (len > 0 && m->client_id == NULL) {
			m->client_id = data;
			m->client_id_len = len;
		}
		break;
	case DHCP_OPT_MAX_MSG_SIZE:
		if (len == 2 && m->max_size == 0)
			m->max_size = cursor_be16(data, 0);
		break;
	case DHCP_OPT_OVERLOAD:
		/* Only the options field may overload the others. */
		if (top && len == 1 && data[0] >= DHCP_OVERLOAD_FILE &&
		    data[0] <= DHCP_OVERLOAD_BOTH)
			m->overload = data[0];
		break;
	default:
		break;
	}
	return 0;
}

/*
 * Walks the options in @c up to the end option. Return: 0, or -EINVAL when
 * an option runs past the end, the end option is missing or option 53 is
 * malformed.
 */
static int dhcp_parse_options(struct unet_cursor c, struct dhcp_msg *m,
			      bool top)
{
	const uint8_t *code, *len, *data;
	int r;

	for (;;) {
		code = cursor_take(&c, 1);
		if (code == NULL)
			return -EINVAL;
		if (*code == DHCP_OPT_PAD)
			continue;
		if (*code == DHCP_OPT_END)
			return 0;
		len = cursor_take(&c, 1);
		if (len == NULL)
			return -EINVAL;
		data = cursor_take(&c, *len);
		if (data == NULL)
			return -EINVAL;
		r = dhcp_take_option(m, *code, data, *len, top);
		if (r < 0)
			return r;
	}
}

/*
 * Parses a client's message of @len bytes at @buf. Return: 0, or -EINVAL
 * with @why saying what was wrong.
 */
static int dhcp_parse(const uint8_t *buf, size_t len, struct dhcp_msg *m,
		      const char **why)
{
	struct unet_cursor c = cursor_init(buf, len), f;
	const uint8_t *fixed, *hdr, *xid, *fl, *ciaddr, *giaddr, *sname, *file;
	const uint8_t *cookie;

	memset(m, 0, sizeof(*m));
	m->len = len;
	fixed = cursor_take(&c, DHCP_FIXED_LEN);
	cookie = cursor_take(&c, DHCP_COOKIE_LEN);
	if (fixed == NULL || cookie == NULL) {
		*why = "shorter than a BOOTP message with a magic cookie";
		return -EINVAL;
	}
	/* The fields of the fixed part, which is all there. */
	f = cursor_init(fixed, DHCP_FIXED_LEN);
	hdr = cursor_take(&f, 4);	/* op, htype, hlen, hops */
	xid = cursor_take(&f, DHCP_XID_LEN);
	fl = cursor_take(&f, 4);	/* secs, flags */
	ciaddr = cursor_take(&f, 4);
	cursor_take(&f, 4);		/* yiaddr */
	cursor_take(&f, 4);		/* siaddr */
	giaddr = cursor_take(&f, 4);
	m->chaddr = cursor_take(&f, DHCP_CHADDR_LEN);
	sname = cursor_take(&f, DHCP_SNAME_LEN);
	file = cursor_take(&f, DHCP_FILE_LEN);
	if (hdr[0] != DHCP_BOOTREQUEST) {
		*why = "not a BOOTREQUEST";
		return -EINVAL;
	}
	if (hdr[1] != DHCP_HTYPE_ETHER || hdr[2] != DHCP_HLEN_ETHER) {
		*why = "not Ethernet (htype 1, hlen 6)";
		return -EINVAL;
	}
	if (cookie[0] != DHCP_COOKIE0 || cookie[1] != DHCP_COOKIE1 ||
	    cookie[2] != DHCP_COOKIE2 || cookie[3] != DHCP_COOKIE3) {
		*why = "bad magic cookie";
		return -EINVAL;
	}
	m->xid = xid;
	m->flags = cursor_be16(fl, 2);
	m->ciaddr = dhcp_get_addr(ciaddr);
	m->giaddr = dhcp_get_addr(giaddr);
	if (dhcp_parse_options(c, m, true) < 0) {
		*why = "malformed options";
		return -EINVAL;
	}
	/* RFC 2131 4.1: the file field first, then sname. */
	if ((m->overload & DHCP_OVERLOAD_FILE) &&
	    dhcp_parse_options(cursor_init(file, DHCP_FILE_LEN), m,
			       false) < 0) {
		*why = "malformed options in the file field";
		return -EINVAL;
	}
	if ((m->overload & DHCP_OVERLOAD_SNAME) &&
	    dhcp_parse_options(cursor_init(sname, DHCP_SNAME_LEN), m,
			       false) < 0) {
		*why = "malformed options in the sname field";
		return -EINVAL;
	}
	return 0;
}

/* ---- leases ------------------------------------------------------------ */

static uint64_t dhcp_fnv1a(const uint8_t *p, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= p[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

/* The client's identity: option 61 when it sent one, else chaddr. */
static void dhcp_key_of(const struct dhcp_msg *m, struct dhcp_key *k)
{
	uint64_t h;
	size_t keep;

	memset(k, 0, sizeof(*k));
	if (m->client_id == NULL) {
		k->data[0] = DHCP_KEY_CHADDR;
		memcpy(k->data + 1, m->chaddr, DHCP_HLEN_ETHER);
		k->len = 1 + DHCP_HLEN_ETHER;
	} else if (m->client_id_len <= DHCP_KEY_MAX - 1) {
		k->data[0] = DHCP_KEY_CLIENT_ID;
		memcpy(k->data + 1, m->client_id, m->client_id_len);
		k->len = (uint8_t)(1 + m->client_id_len);
	} else {
		keep = DHCP_KEY_MAX - 1 - sizeof(h);
		h = dhcp_fnv1a(m->client_id, m->client_id_len);
		k->data[0] = DHCP_KEY_CLIENT_ID_HASH;
		memcpy(k->data + 1, m->client_id, keep);
		memcpy(k->data + 1 + keep, &h, sizeof(h));
		k->len = DHCP_KEY_MAX;
	}
}

static bool dhcp_key_eq(const struct dhcp_key *a, const struct dhcp_key *b)
{
	return a->len != 0 && a->len == b->len &&
	       memcmp(a->data, b->data, a->len) == 0;
}

/* Whether an entry is held (offered, leased, declined) at @now. */
static bool dhcp_lease_live(const struct dhcp_lease *l, uint64_t now)
{
	return l->state != DHCP_LEASE_FREE && now < l->expires_ns;
}

static uint32_t dhcp_lease_addr(const struct unet_dhcp *dhcp, unsigned int i)
{
	return htonl(ntohl(dhcp->cfg->dhcp_start.s_addr) + i);
}

/* The pool index of @addr, or -1 when it is outside the pool. */
static int dhcp_pool_index(const struct unet_dhcp *dhcp, uint32_t addr)
{
	uint32_t h = ntohl(addr), first = ntohl(dhcp->cfg->dhcp_start.s_addr);

	if (h < first || h - first >= dhcp->n_leases)
		return -1;
	return (int)(h - first);
}

/* The entry the client owns, or -1. */
static int dhcp_find_owned(const struct unet_dhcp *dhcp,
			   const struct dhcp_key *k)
{
	unsigned int i;

	for (i = 0; i < dhcp->n_leases; i++)
		if (dhcp_key_eq(&dhcp->leases[i].owner, k))
			return (int)i;
	return -1;
}

/*
 * The entry for a client that needs an address: the one it owns, else the
 * one it asked for (@requested, 0 for none) when free, else one nobody ever
 * owned, else the one free the longest. -1 when the pool is exhausted.
 */
static int dhcp_pick(const struct unet_dhcp *dhcp, const struct dhcp_key *k,
		     uint32_t requested, uint64_t now)
{
	const struct dhcp_lease *l;
	uint64_t oldest = UINT64_MAX;
	int i, best = -1;

	i = dhcp_find_owned(dhcp, k);
	if (i >= 0)
		return i;
	i = requested != 0 ? dhcp_pool_index(dhcp, requested) : -1;
	if (i >= 0 && !dhcp_lease_live(&dhcp->leases[i], now))
		return i;
	for (i = 0; i < (int)dhcp->n_leases; i++) {
		l = &dhcp->leases[i];
		if (dhcp_lease_live(l, now))
			continue;
		if (l->owner.len == 0)
			return i;
		if (best < 0 || l->expires_ns < oldest) {
			best = i;
			oldest = l->expires_ns;
		}
	}
	return best;
}

/* Makes entry @i the client's. */
static void dhcp_lease_own(struct unet_dhcp *dhcp, unsigned int i,
			   const struct dhcp_key *k, const struct dhcp_msg *m)
{
	struct dhcp_lease *l = &dhcp->leases[i];

	if (!dhcp_key_eq(&l->owner, k)) {
		l->owner = *k;
		l->state = DHCP_LEASE_FREE;
	}
	memcpy(l->mac, m->chaddr, sizeof(l->mac));
	dhcp->pool_full_logged = false;
}

static void dhcp_pool_exhausted(struct unet_dhcp *dhcp,
				const struct dhcp_msg *m)
{
	char mac[18];

	dhcp->stats->dhcp_drop++;
	if (dhcp->pool_full_logged)
		return;
	/* Once per exhaustion, when the rate limit lets it through. */
	dhcp->pool_full_logged =
		dhcp_log(dhcp, UNET_LOG_WARN,
			 "address pool exhausted (%u addresses): no address for %s",
			 dhcp->n_leases, dhcp_mac_str(m->chaddr, mac));
}

/* ---- replies ----------------------------------------------------------- */

static bool dhcp_put(struct dhcp_writer *w, const void *data, size_t n)
{
	if (n > w->cap - w->len)
		return false;
	memcpy(w->buf + w->len, data, n);
	w->len += n;
	return true;
}

static bool dhcp_put_zero(struct dhcp_writer *w, size_t n)
{
	if (n > w->cap - w->len)
		return false;
	memset(w->buf + w->len, 0, n);
	w->len += n;
	return true;
}

static void dhcp_put8(struct dhcp_writer *w, uint8_t v)
{
	dhcp_put(w, &v, 1);
}

static void dhcp_put_be16(struct dhcp_writer *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	dhcp_put(w, b, sizeof(b));
}

/* Writes a NUL-padded string field of @size bytes. */
static void dhcp_put_field(struct dhcp_writer *w, const char *s, size_t size)
{
	size_t n = strnlen(s, size - 1);

	dhcp_put(w, s, n);
	dhcp_put_zero(w, size - n);
}

/*
 * Adds option @code when it fits with one byte left for the end option;
 * data longer than one instance holds is split into consecutive instances
 * (RFC 3396). Return: whether it was added (all of it, or nothing).
 */
static bool dhcp_put_opt(struct dhcp_writer *w, uint8_t code,
			 const void *data, size_t n)
{
	const uint8_t *d = data;
	size_t need = n + 2 * ((n + DHCP_OPT_DATA_MAX - 1) / DHCP_OPT_DATA_MAX);
	size_t chunk;

	if (n == 0 || need + 1 > w->cap - w->len)
		return false;
	while (n > 0) {
		chunk = n < DHCP_OPT_DATA_MAX ? n : DHCP_OPT_DATA_MAX;
		dhcp_put8(w, code);
		dhcp_put8(w, (uint8_t)chunk);
		dhcp_put(w, d, chunk);
		d += chunk;
		n -= chunk;
	}
	return true;
}

static bool dhcp_put_opt_u32(struct dhcp_writer *w, uint8_t code, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 8), (uint8_t)v };

	return dhcp_put_opt(w, code, b, sizeof(b));
}

static bool dhcp_put_opt_addr(struct dhcp_writer *w, uint8_t code,
			      uint32_t addr)
{
	return dhcp_put_opt(w, code, &addr, sizeof(addr));
}

static bool dhcp_put_opt_str(struct dhcp_writer *w, uint8_t code,
			     const char *s)
{
	return dhcp_put_opt(w, code, s, strlen(s));
}

static uint32_t dhcp_sum(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static uint16_t dhcp_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/*
 * Puts the Ethernet, IPv4 and UDP headers in front of the @plen-byte
 * message at frame + 42 and sends the frame to @dst at @dmac.
 */
static void dhcp_output(struct unet_dhcp *dhcp, size_t plen,
			const uint8_t *dmac, uint32_t dst)
{
	struct dhcp_writer w = { .buf = dhcp->frame,
				 .cap = DHCP_ETH_HLEN + DHCP_IP_HLEN +
					DHCP_UDP_HLEN };
	uint8_t *ip = dhcp->frame + DHCP_ETH_HLEN;
	uint8_t *udp = ip + DHCP_IP_HLEN;
	size_t ulen = DHCP_UDP_HLEN + plen, iplen = DHCP_IP_HLEN + ulen;
	uint32_t src = dhcp->cfg->host.s_addr, sum;
	uint16_t c;
	uint8_t ph[4];

	dhcp_put(&w, dmac, 6);
	dhcp_put(&w, dhcp->cfg->mac, 6);
	dhcp_put_be16(&w, DHCP_ETHTYPE_IP);

	dhcp_put8(&w, DHCP_IP_VHL);
	dhcp_put8(&w, 0);			/* TOS */
	dhcp_put_be16(&w, (uint16_t)iplen);
	dhcp_put_be16(&w, dhcp->ip_id++);
	dhcp_put_be16(&w, 0);			/* no fragments */
	dhcp_put8(&w, DHCP_IP_TTL);
	dhcp_put8(&w, DHCP_IP_PROTO_UDP);
	dhcp_put_be16(&w, 0);			/* checksum, below */
	dhcp_put(&w, &src, 4);
	dhcp_put(&w, &dst, 4);

	dhcp_put_be16(&w, DHCP_SERVER_PORT);
	dhcp_put_be16(&w, DHCP_CLIENT_PORT);
	dhcp_put_be16(&w, (uint16_t)ulen);
	dhcp_put_be16(&w, 0);			/* checksum, below */

	c = dhcp_fold(dhcp_sum(0, ip, DHCP_IP_HLEN));
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;

	/* The pseudo-header: addresses, protocol, UDP length. */
	sum = dhcp_sum(0, ip + 12, 8);
	ph[0] = 0;
	ph[1] = DHCP_IP_PROTO_UDP;
	ph[2] = (uint8_t)(ulen >> 8);
	ph[3] = (uint8_t)ulen;
	sum = dhcp_sum(sum, ph, sizeof(ph));
	c = dhcp_fold(dhcp_sum(sum, udp, ulen));
	if (c == 0)
		c = 0xffff;		/* 0 would mean "no checksum" */
	udp[6] = (uint8_t)(c >> 8);
	udp[7] = (uint8_t)c;

	if (unet__stack_output_frame(dhcp->stack, dhcp->frame,
				     DHCP_ETH_HLEN + iplen) == 0)
		dhcp->stats->dhcp_out++;
}

/*
 * Builds and sends a reply to @m: @type is an option 53 value, or 0 for a
 * BOOTP reply; @yiaddr the address given (0 for none).
 */
static void dhcp_reply(struct unet_dhcp *dhcp, const struct dhcp_msg *m,
		       uint8_t type, uint32_t yiaddr)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	static const uint8_t cookie[DHCP_COOKIE_LEN] = {
		DHCP_COOKIE0, DHCP_COOKIE1, DHCP_COOKIE2, DHCP_COOKIE3
	};
	const struct unet_stack_config *cfg = dhcp->cfg;
	const size_t hdrs = DHCP_ETH_HLEN + DHCP_IP_HLEN + DHCP_UDP_HLEN;
	struct dhcp_writer w = { .buf = dhcp->frame + hdrs };
	bool nak = type == DHCP_NAK, lease = type == DHCP_OFFER ||
					     (type == DHCP_ACK && yiaddr != 0);
	uint32_t ciaddr = 0, siaddr = nak ? 0 : cfg->host.s_addr, dst;
	size_t ip_max = DHCP_MIN_IP_LEN, min_len = DHCP_BOOTP_MIN_LEN;
	const uint8_t *dmac;

	/* How large the reply may be (RFC 2131 2, RFC 2132 9.10). */
	if (m->max_size > ip_max)
		ip_max = m->max_size;
	if (ip_max > dhcp->mtu)
		ip_max = dhcp->mtu;
	if (ip_max > DHCP_REPLY_IP_MAX)
		ip_max = DHCP_REPLY_IP_MAX;
	w.cap = ip_max - DHCP_IP_HLEN - DHCP_UDP_HLEN;
	/* A BOOTP client may take no more than it sent (and 300 bytes). */
	if (type == 0 && m->len > min_len)
		min_len = m->len;
	if (type == 0 && w.cap > min_len)
		w.cap = min_len;

	if (type == DHCP_ACK || type == 0)
		ciaddr = m->ciaddr;
	dhcp_put8(&w, DHCP_BOOTREPLY);
	dhcp_put8(&w, DHCP_HTYPE_ETHER);
	dhcp_put8(&w, DHCP_HLEN_ETHER);
	dhcp_put8(&w, 0);			/* hops */
	dhcp_put(&w, m->xid, DHCP_XID_LEN);
	dhcp_put_be16(&w, 0);			/* secs */
	dhcp_put_be16(&w, m->flags);
	dhcp_put(&w, &ciaddr, 4);
	dhcp_put(&w, &yiaddr, 4);
	dhcp_put(&w, &siaddr, 4);
	dhcp_put(&w, &m->giaddr, 4);
	dhcp_put(&w, m->chaddr, DHCP_CHADDR_LEN);
	dhcp_put_field(&w, nak ? "" : cfg->tftp_server_name, DHCP_SNAME_LEN);
	dhcp_put_field(&w, nak ? "" : cfg->bootfile, DHCP_FILE_LEN);
	dhcp_put(&w, cookie, sizeof(cookie));

	/* Options, most needed first: what does not fit is left out. */
	if (type != 0) {
		dhcp_put_opt(&w, DHCP_OPT_MSG_TYPE, &type, 1);
		dhcp_put_opt_addr(&w, DHCP_OPT_SERVER_ID, cfg->host.s_addr);
	}
	if (lease) {
		dhcp_put_opt_u32(&w, DHCP_OPT_LEASE_TIME, DHCP_LEASE_S);
		dhcp_put_opt_u32(&w, DHCP_OPT_T1, DHCP_LEASE_S / 2);
		dhcp_put_opt_u32(&w, DHCP_OPT_T2, DHCP_LEASE_S / 8 * 7);
	}
	/* RFC 6842: the client identifier goes back as it came. */
	if (type != 0 && m->client_id != NULL)
		dhcp_put_opt(&w, DHCP_OPT_CLIENT_ID, m->client_id,
			     m->client_id_len);
	if (!nak) {
		dhcp_put_opt_addr(&w, DHCP_OPT_SUBNET_MASK, cfg->mask.s_addr);
		/*
		 * A restricted guest gets no router; nor a DNS server, unless
		 * the forwarder stays on for it (restrict_dns).
		 */
		if (!unet__stack_restricted(dhcp->stack))
			dhcp_put_opt_addr(&w, DHCP_OPT_ROUTER,
					  cfg->host.s_addr);
		if (!unet__stack_restricted(dhcp->stack) || cfg->restrict_dns)
			dhcp_put_opt_addr(&w, DHCP_OPT_DNS, cfg->dns.s_addr);
		if (dhcp->mtu != 1500) {
			uint8_t mtu[2] = { (uint8_t)(dhcp->mtu >> 8),
					   (uint8_t)dhcp->mtu };

			dhcp_put_opt(&w, DHCP_OPT_MTU, mtu, sizeof(mtu));
		}
		/* BOOTP clients have these in the sname and file fields. */
		if (type != 0) {
			dhcp_put_opt_str(&w, DHCP_OPT_TFTP_SERVER,
					 cfg->tftp_server_name);
			dhcp_put_opt_str(&w, DHCP_OPT_BOOTFILE, cfg->bootfile);
		}
		dhcp_put_opt_str(&w, DHCP_OPT_HOSTNAME, cfg->hostname);
		dhcp_put_opt_str(&w, DHCP_OPT_DOMAIN_NAME, cfg->domainname);
		dhcp_put_opt(&w, DHCP_OPT_DOMAIN_SEARCH, dhcp->search,
			     dhcp->search_len);
	}
	/* dhcp_put_opt() kept a byte for the end option. */
	dhcp_put8(&w, DHCP_OPT_END);
	if (w.len < DHCP_BOOTP_MIN_LEN)
		dhcp_put_zero(&w, DHCP_BOOTP_MIN_LEN - w.len);

	/* Where it goes: RFC 2131 4.1 (giaddr is always 0 here). */
	if (nak) {
		dst = INADDR_BROADCAST;
	} else if (m->ciaddr != 0) {
		dst = m->ciaddr;
	} else if ((m->flags & DHCP_FLAG_BROADCAST) || yiaddr == 0) {
		dst = INADDR_BROADCAST;
	} else {
		dst = yiaddr;
	}
	dmac = dst == INADDR_BROADCAST ? bcast : m->chaddr;
	dhcp_output(dhcp, w.len, dmac, dst);
}

/* ---- the messages ------------------------------------------------------ */

static void dhcp_discover(struct unet_dhcp *dhcp, const struct dhcp_msg *m,
			  const struct dhcp_key *k, uint64_t now)
{
	struct dhcp_lease *l;
	int i;

	i = dhcp_pick(dhcp, k, m->has_requested ? m->requested : 0, now);
	if (i < 0) {
		dhcp_pool_exhausted(dhcp, m);
		return;
	}
	dhcp_lease_own(dhcp, (unsigned int)i, k, m);
	l = &dhcp->leases[i];
	/* A client's live lease stays; anything else is held for a while. */
	if (!(l->state == DHCP_LEASE_BOUND && dhcp_lease_live(l, now))) {
		l->state = DHCP_LEASE_OFFERED;
		l->expires_ns = now + DHCP_OFFER_HOLD_S * NS_PER_S;
	}
	dhcp_reply(dhcp, m, DHCP_OFFER, dhcp_lease_addr(dhcp, (unsigned int)i));
}

/* Answers a REQUEST for @addr with an ACK when the client may have it. */
static void dhcp_request_addr(struct unet_dhcp *dhcp, const struct dhcp_msg *m,
			      const struct dhcp_key *k, uint32_t addr,
			      uint64_t now)
{
	char a[INET_ADDRSTRLEN], mac[18];
	struct dhcp_lease *l;
	int i = dhcp_pool_index(dhcp, addr), own = dhcp_find_owned(dhcp, k);
	bool renewal;

	/*
	 * NAK an address outside the pool, another one than the client's,
	 * and one that someone else holds (RFC 2131 4.3.2).
	 */
	if (i < 0 || (own >= 0 && own != i) ||
	    (own < 0 && dhcp_lease_live(&dhcp->leases[i], now))) {
		dhcp_log(dhcp, UNET_LOG_DEBUG, "NAK %s to %s",
			 dhcp_addr_str(addr, a), dhcp_mac_str(m->chaddr, mac));
		dhcp_reply(dhcp, m, DHCP_NAK, 0);
		return;
	}
	l = &dhcp->leases[i];
	renewal = own == i && l->state == DHCP_LEASE_BOUND;
	dhcp_lease_own(dhcp, (unsigned int)i, k, m);
	l->state = DHCP_LEASE_BOUND;
	l->expires_ns = now + DHCP_LEASE_S * NS_PER_S;
	if (!renewal)
		dhcp_log(dhcp, UNET_LOG_INFO, "%s leased to %s",
			 dhcp_addr_str(addr, a), dhcp_mac_str(m->chaddr, mac));
	dhcp_reply(dhcp, m, DHCP_ACK, addr);
}

static void dhcp_request(struct unet_dhcp *dhcp, const struct dhcp_msg *m,
			 const struct dhcp_key *k, uint64_t now)
{
	struct dhcp_lease *l;
	int i;

	if (m->has_server_id && m->server_id != dhcp->cfg->host.s_addr) {
		/*
		 * SELECTING another server's offer (RFC 2131 3.1 step 4):
		 * ours was declined, and this server stays silent.
		 */
		i = dhcp_find_owned(dhcp, k);
		if (i >= 0) {
			l = &dhcp->leases[i];
			if (l->state == DHCP_LEASE_OFFERED) {
				l->state = DHCP_LEASE_FREE;
				l->expires_ns = now;
			}
		}
		dhcp_drop(dhcp, "REQUEST for another server");
		return;
	}
	if (m->has_requested)		/* SELECTING or INIT-REBOOT */
		dhcp_request_addr(dhcp, m, k, m->requested, now);
	else if (m->ciaddr != 0)	/* RENEWING or REBINDING */
		dhcp_request_addr(dhcp, m, k, m->ciaddr, now);
	else
		dhcp_drop(dhcp, "REQUEST without an address");
}

static void dhcp_decline(struct unet_dhcp *dhcp, const struct dhcp_msg *m,
			 const struct dhcp_key *k, uint64_t now)
{
	char a[INET_ADDRSTRLEN], mac[18];
	struct dhcp_lease *l;
	int i;

	if ((m->has_server_id && m->server_id != dhcp->cfg->host.s_addr) ||
	    !m->has_requested) {
		dhcp_drop(dhcp, "DECLINE for another server or no address");
		return;
	}
	i = dhcp_pool_index(dhcp, m->requested);
	if (i < 0 || !dhcp_key_eq(&dhcp->leases[i].owner, k)) {
		dhcp_drop(dhcp, "DECLINE of an address not the client's");
		return;
	}
	l = &dhcp->leases[i];
	memset(&l->owner, 0, sizeof(l->owner));
	l->state = DHCP_LEASE_DECLINED;
	l->expires_ns = now + DHCP_DECLINE_HOLD_S * NS_PER_S;
	dhcp_log(dhcp, UNET_LOG_WARN,
		 "%s declined by %s (in use?): not handed out for %d s",
		 dhcp_addr_str(m->requested, a), dhcp_mac_str(m->chaddr, mac),
		 DHCP_DECLINE_HOLD_S);
}

static void dhcp_release(struct unet_dhcp *dhcp, const struct dhcp_msg *m,
			 const struct dhcp_key *k, uint64_t now)
{
	struct dhcp_lease *l;
	int i;

	if (m->has_server_id && m->server_id != dhcp->cfg->host.s_addr) {
		dhcp_drop(dhcp, "RELEASE for another server");
		return;
	}
	i = dhcp_pool_index(dhcp, m->ciaddr);
	if (i < 0 || !dhcp_key_eq(&dhcp->leases[i].owner, k)) {
		dhcp_drop(dhcp, "RELEASE of an address not the client's");
		return;
	}
	/* The owner stays remembered: it gets the address back if free. */
	l = &dhcp->leases[i];
	l->state = DHCP_LEASE_FREE;
	l->expires_ns = now;
}

static void dhcp_bootp(struct unet_dhcp *dhcp, const struct dhcp_msg *m,
		       const struct dhcp_key *k, uint64_t now)
{
	struct dhcp_lease *l;
	int i;

	i = dhcp_pick(dhcp, k, 0, now);
	if (i < 0) {
		dhcp_pool_exhausted(dhcp, m);
		return;
	}
	dhcp_lease_own(dhcp, (unsigned int)i, k, m);
	l = &dhcp->leases[i];
	l->state = DHCP_LEASE_BOUND;
	l->expires_ns = UINT64_MAX;	/* BOOTP addresses are permanent */
	dhcp_reply(dhcp, m, 0, dhcp_lease_addr(dhcp, (unsigned int)i));
}

/* Whether a datagram to @dst is for this server. */
static bool dhcp_dst_ok(const struct unet_dhcp *dhcp, uint32_t dst)
{
	uint32_t bcast = dhcp->cfg->net.s_addr | ~dhcp->cfg->mask.s_addr;

	return dst == INADDR_BROADCAST || dst == bcast ||
	       dst == dhcp->cfg->host.s_addr;
}

static void dhcp_recv(void *arg, struct udp_pcb *pcb, struct pbuf *p,
		      const ip_addr_t *addr, u16_t port)
{
	struct unet_dhcp *dhcp = arg;
	const char *why = NULL;
	struct dhcp_key k;
	struct dhcp_msg m;
	uint64_t now;
	size_t len;

	dhcp->stats->dhcp_in++;
	if (!dhcp_dst_ok(dhcp, ip4_addr_get_u32(ip4_current_dest_addr()))) {
		pbuf_free(p);
		dhcp_drop(dhcp, "not to the gateway or broadcast");
		return;
	}
	if (p->tot_len > sizeof(dhcp->req)) {
		pbuf_free(p);
		dhcp_drop(dhcp, "too long");
		return;
	}
	len = pbuf_copy_partial(p, dhcp->req, p->tot_len, 0);
	pbuf_free(p);
	if (dhcp_parse(dhcp->req, len, &m, &why) < 0) {
		dhcp_drop(dhcp, why);
		return;
	}
	if (m.giaddr != 0) {
		dhcp_drop(dhcp, "relayed (giaddr set)");
		return;
	}
	dhcp_key_of(&m, &k);
	now = unet_hub_now_ns(dhcp->hub);
	switch (m.type) {
	case 0:
		dhcp_bootp(dhcp, &m, &k, now);
		break;
	case DHCP_DISCOVER:
		dhcp_discover(dhcp, &m, &k, now);
		break;
	case DHCP_REQUEST:
		dhcp_request(dhcp, &m, &k, now);
		break;
	case DHCP_DECLINE:
		dhcp_decline(dhcp, &m, &k, now);
		break;
	case DHCP_RELEASE:
		dhcp_release(dhcp, &m, &k, now);
		break;
	case DHCP_INFORM:
		/* RFC 2131 4.3.5: the options, no address and no lease. */
		dhcp_reply(dhcp, &m, DHCP_ACK, 0);
		break;
	default:
		dhcp_drop(dhcp, "not a client's message type");
		break;
	}
}

/* ---- start and stop ---------------------------------------------------- */

/**
 * struct dhcp_suffix - a name's suffix already in option 119's data
 * @name: its text (in the configured list, not NUL-terminated)
 * @len: its length
 * @off: where its labels start in the data (what a pointer points to)
 */
struct dhcp_suffix {
	const char *name;
	size_t len;
	size_t off;
};

/*
 * Encodes one name (@len bytes at @name, no trailing dot) into @w as DNS
 * labels, pointing back to a suffix encoded before when there is one.
 * Return: false when the name is malformed or does not fit.
 */
static bool dhcp_search_add(struct dhcp_writer *w, const char *name,
			    size_t len, struct dhcp_suffix *sfx,
			    size_t *n_sfx)
{
	size_t start = w->len, pos = 0, label, wire = 1, j;
	const char *dot;

	/* Check the whole name first: nothing is written for a bad one. */
	while (pos < len) {
		dot = memchr(name + pos, '.', len - pos);
		label = dot != NULL ? (size_t)(dot - (name + pos)) : len - pos;
		if (label == 0 || label > DHCP_DNS_LABEL_MAX)
			return false;
		wire += label + 1;
		pos += label + 1;
	}
	if (len == 0 || wire > DHCP_DNS_NAME_MAX)
		return false;

	for (pos = 0; pos < len; pos += label + 1) {
		for (j = 0; j < *n_sfx; j++) {
			if (sfx[j].len == len - pos &&
			    strncasecmp(sfx[j].name, name + pos,
					sfx[j].len) == 0)
				break;
		}
		if (j < *n_sfx) {
			if (w->cap - w->len < 2) {
				w->len = start;
				return false;
			}
			dhcp_put8(w, (uint8_t)(DHCP_DNS_PTR | sfx[j].off >> 8));
			dhcp_put8(w, (uint8_t)sfx[j].off);
			return true;
		}
		dot = memchr(name + pos, '.', len - pos);
		label = dot != NULL ? (size_t)(dot - (name + pos)) : len - pos;
		if (w->len <= DHCP_DNS_PTR_MAX &&
		    *n_sfx < DHCP_SEARCH_SUFFIX_MAX) {
			sfx[*n_sfx].name = name + pos;
			sfx[*n_sfx].len = len - pos;
			sfx[*n_sfx].off = w->len;
			(*n_sfx)++;
		}
		if (w->cap - w->len < label + 1 + 1) {
			w->len = start;
			return false;
		}
		dhcp_put8(w, (uint8_t)label);
		dhcp_put(w, name + pos, label);
	}
	if (w->cap - w->len < 1) {
		w->len = start;
		return false;
	}
	dhcp_put8(w, 0);
	return true;
}

/*
 * Encodes the comma-separated domain search list as option 119's data (RFC
 * 3397), with compression pointers; malformed names are logged and left out.
 */
static int dhcp_search_encode(struct unet_dhcp *dhcp, const char *list)
{
	struct dhcp_writer w = { .buf = dhcp->search,
				 .cap = sizeof(dhcp->search) };
	struct dhcp_suffix *sfx;
	size_t n_sfx = 0, len, n;
	const char *comma;

	sfx = calloc(DHCP_SEARCH_SUFFIX_MAX, sizeof(*sfx));
	if (sfx == NULL)
		return -ENOMEM;
	while (*list != '\0') {
		comma = strchr(list, ',');
		len = comma != NULL ? (size_t)(comma - list) : strlen(list);
		n = len;
		if (n > 0 && list[n - 1] == '.')
			n--;	/* "example.com." is "example.com" */
		/* Rejected suffixes may have been recorded: drop them again. */
		if (n > 0 && !dhcp_search_add(&w, list, n, sfx, &n_sfx)) {
			while (n_sfx > 0 && sfx[n_sfx - 1].off >= w.len)
				n_sfx--;
			unet_hub_log(dhcp->hub, UNET_LOG_WARN,
				     "dhcp: dnssearch: '%.*s' is not a domain name that fits; left out",
				     (int)len, list);
		}
		list += len;
		if (*list == ',')
			list++;
	}
	free(sfx);
	dhcp->search_len = w.len;
	return 0;
}

/**
 * unet__dhcp_start() - start the DHCP server on port 67
 * @stack: the stack; its configuration gives the pool (dhcp_start,
 *         dhcp_count) and the options
 *
 * Allocates the lease table (dhcp_count entries; nothing else grows later),
 * encodes the domain search list once, and binds port 67 on any address.
 *
 * Return: 0; -ENOMEM; -EADDRINUSE when port 67 is taken.
 */
int unet__dhcp_start(struct unet_stack *stack)
{
	const struct unet_stack_config *cfg = unet__stack_config(stack);
	struct unet_hub *hub = unet__stack_hub(stack);
	struct unet_dhcp *dhcp;
	int r;

	dhcp = calloc(1, sizeof(*dhcp));
	if (dhcp == NULL)
		return -ENOMEM;
	dhcp->stack = stack;
	dhcp->hub = hub;
	dhcp->cfg = cfg;
	dhcp->stats = unet__stack_stats(stack);
	dhcp->n_leases = cfg->dhcp_count;
	dhcp->mtu = unet_hub_mtu(hub);
	dhcp->ip_id = (uint16_t)unet_hub_random(hub);
	dhcp->log_tokens = DHCP_LOG_BURST;
	dhcp->log_refill_ns = unet_hub_now_ns(hub);
	dhcp->leases = calloc(dhcp->n_leases, sizeof(*dhcp->leases));
	if (dhcp->leases == NULL) {
		free(dhcp);
		return -ENOMEM;
	}
	r = dhcp_search_encode(dhcp, cfg->dnssearch);
	if (r < 0)
		goto fail;
	dhcp->pcb = udp_new();
	if (dhcp->pcb == NULL) {
		r = -ENOMEM;
		goto fail;
	}
	if (udp_bind(dhcp->pcb, IP4_ADDR_ANY, DHCP_SERVER_PORT) != ERR_OK) {
		unet_hub_log(hub, UNET_LOG_ERROR, "dhcp: port %d is taken",
			     DHCP_SERVER_PORT);
		udp_remove(dhcp->pcb);
		r = -EADDRINUSE;
		goto fail;
	}
	udp_recv(dhcp->pcb, dhcp_recv, dhcp);
	unet__stack_services(stack)->dhcp = dhcp;
	return 0;

fail:
	free(dhcp->leases);
	free(dhcp);
	return r;
}

/**
 * unet__dhcp_stop() - stop the DHCP server
 * @stack: the stack
 *
 * Releases the pcb and the lease table at once (the server has no uv
 * handles). Does nothing when the server was not started.
 */
void unet__dhcp_stop(struct unet_stack *stack)
{
	struct stack_services *s = unet__stack_services(stack);
	struct unet_dhcp *dhcp = s->dhcp;

	if (dhcp == NULL)
		return;
	s->dhcp = NULL;
	udp_remove(dhcp->pcb);
	free(dhcp->leases);
	free(dhcp);
}
