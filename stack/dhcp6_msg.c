/* SPDX-License-Identifier: MIT */
/*
 * The DHCPv6 message codec (dhcp6_msg.h).
 *
 * Theory of operation: a client's message is a 4-byte header and a run of
 * options, each checked to lie whole inside what holds it before its data
 * is looked at; an IA's options (IA_NA, IA_PD, IA_TA) are walked the
 * same way inside its data (after its fixed part, 12 bytes, 12 and 4), and
 * an IA_NA's IAADDR's fixed 24 bytes must be there; the first
 * UNET__DHCP6_IA_MAX IAs are kept. A walk takes at least 4 bytes per option, so it ends. What is
 * malformed (a header cut short, an option past its container, a DUID
 * empty or over 130 bytes, an IA or IAADDR shorter than its fixed
 * part) makes the whole message -EINVAL with a reason; relay messages and
 * the server's own types are refused too (no relays on a hub). Options the
 * server has no use for are skipped.
 *
 * The builder writes Server Identifier, Client Identifier, a Status Code,
 * the IAs (each with its IAADDR and Status Code), Rapid Commit, DNS servers and
 * the domain list, in that order, each only when asked for; it returns 0
 * when they do not fit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>

#include "wire/cursor.h"

#include "dhcp6_msg.h"

/*
 * A walk over options: takes the next option's code and data off @c.
 * Return: 1, 0 at the end, -EINVAL when the option runs past @c.
 */
static int dhcp6_next_opt(struct unet_cursor *c, uint16_t *code,
			  struct unet_cursor *data)
{
	const struct wire_dhcp6_opt *o;
	size_t len;
	bool ok;

	if (c->len == 0)
		return 0;
	o = cursor_take_hdr(c, struct wire_dhcp6_opt);
	if (o == NULL)
		return -EINVAL;
	len = ntohs(o->len);
	*data = cursor_sub(c, len, &ok);
	if (!ok)
		return -EINVAL;
	*code = ntohs(o->code);
	return 1;
}

/* Keeps a DUID option's data; false when its length is impossible. */
static bool dhcp6_duid(struct unet_cursor d, const uint8_t **p, size_t *len)
{
	if (d.len < 2 || d.len > DHCP6_DUID_MAX)
		return false;
	if (*p == NULL) {
		*p = d.p;
		*len = d.len;
	}
	return true;
}

/*
 * Parses an IA option's data: IA_NA (IAID, T1, T2, then IAADDR options),
 * IA_TA (IAID, then options) or IA_PD (IAID, T1, T2, then IAPREFIX
 * options, not looked into). Only IA_NA's addresses are collected.
 */
static int dhcp6_ia(struct unet_cursor d, uint16_t ia_code,
		    struct unet__dhcp6_msg *m, const char **why)
{
	const struct wire_dhcp6_ia_na *fixed;
	const struct wire_dhcp6_iaaddr *a;
	struct unet__dhcp6_ia *ia = NULL;
	struct unet_cursor sub;
	uint32_t iaid;
	uint16_t code;
	int r;

	if (ia_code == DHCP6_OPT_IA_TA) {
		if (!cursor_take_be32(&d, &iaid)) {
			*why = "IA_TA shorter than 4 bytes";
			return -EINVAL;
		}
	} else {
		/* IA_PD's fixed part is IA_NA's: IAID, T1, T2. */
		fixed = cursor_take_hdr(&d, struct wire_dhcp6_ia_na);
		if (fixed == NULL) {
			*why = ia_code == DHCP6_OPT_IA_NA ?
				       "IA_NA shorter than 12 bytes" :
				       "IA_PD shorter than 12 bytes";
			return -EINVAL;
		}
		iaid = ntohl(fixed->iaid);
	}
	m->n_ias_all++;
	if (m->n_ias < UNET__DHCP6_IA_MAX) {
		ia = &m->ias[m->n_ias++];
		ia->code = ia_code;
		ia->iaid = iaid;
	}
	if (ia_code == DHCP6_OPT_IA_NA && m->n_ia_na++ == 0)
		m->iaid = iaid;
	while ((r = dhcp6_next_opt(&d, &code, &sub)) > 0) {
		if (code != DHCP6_OPT_IAADDR || ia_code != DHCP6_OPT_IA_NA)
			continue;
		a = cursor_take_hdr(&sub, struct wire_dhcp6_iaaddr);
		if (a == NULL) {
			*why = "IAADDR shorter than 24 bytes";
			return -EINVAL;
		}
		if (m->n_ia_na == 1 && m->ia_addr == NULL)
			m->ia_addr = a->addr;
		if (ia != NULL && ia->addr == NULL)
			ia->addr = a->addr;
		if (m->n_addrs < UNET__DHCP6_ADDRS_MAX)
			m->addrs[m->n_addrs++] = a->addr;
	}
	if (r < 0) {
		*why = "an option inside an IA runs past it";
		return -EINVAL;
	}
	return 0;
}

/* Notes which options an Option Request option asks for. */
static void dhcp6_oro(struct unet_cursor d, struct unet__dhcp6_msg *m)
{
	uint16_t code;

	while (cursor_take_be16(&d, &code)) {
		if (code == DHCP6_OPT_DNS_SERVERS)
			m->oro_dns = true;
		else if (code == DHCP6_OPT_DOMAIN_LIST)
			m->oro_domains = true;
	}
}

/**
 * unet__dhcp6_parse() - parse a client's DHCPv6 message
 * @buf: the UDP payload
 * @len: its length
 * @m: receives what was found
 * @why: receives a reason when the message is refused
 *
 * Return: 0; -EINVAL when the message is malformed, a relay's, or not a
 * client's message type.
 */
int unet__dhcp6_parse(const uint8_t *buf, size_t len, struct unet__dhcp6_msg *m,
		      const char **why)
{
	struct unet_cursor c = cursor_init(buf, len), d;
	const struct wire_dhcp6 *h;
	uint16_t code;
	int r;

	memset(m, 0, sizeof(*m));
	h = cursor_take_hdr(&c, struct wire_dhcp6);
	if (h == NULL) {
		*why = "shorter than its header";
		return -EINVAL;
	}
	m->type = h->type;
	m->xid = (uint32_t)h->xid[0] << 16 | (uint32_t)h->xid[1] << 8 |
		 h->xid[2];
	switch (m->type) {
	case DHCP6_SOLICIT:
	case DHCP6_REQUEST:
	case DHCP6_CONFIRM:
	case DHCP6_RENEW:
	case DHCP6_REBIND:
	case DHCP6_RELEASE:
	case DHCP6_DECLINE:
	case DHCP6_INFORMATION_REQUEST:
		break;
	default:
		*why = "not a client's message type";
		return -EINVAL;
	}
	while ((r = dhcp6_next_opt(&c, &code, &d)) > 0) {
		switch (code) {
		case DHCP6_OPT_CLIENTID:
			if (!dhcp6_duid(d, &m->client_id, &m->client_id_len)) {
				*why = "bad client DUID length";
				return -EINVAL;
			}
			break;
		case DHCP6_OPT_SERVERID:
			if (!dhcp6_duid(d, &m->server_id, &m->server_id_len)) {
				*why = "bad server DUID length";
				return -EINVAL;
			}
			break;
		case DHCP6_OPT_IA_NA:
		case DHCP6_OPT_IA_TA:
		case DHCP6_OPT_IA_PD:
			if (dhcp6_ia(d, code, m, why) < 0)
				return -EINVAL;
			break;
		case DHCP6_OPT_ORO:
			dhcp6_oro(d, m);
			break;
		case DHCP6_OPT_RAPID_COMMIT:
			m->rapid_commit = true;
			break;
		default:
			break;
		}
	}
	if (r < 0) {
		*why = "an option runs past the message";
		return -EINVAL;
	}
	return 0;
}

/**
 * struct dhcp6_writer - a bounded writer
 * @out: the buffer
 * @cap: its size
 * @len: bytes written
 * @ok: everything fitted
 */
struct dhcp6_writer {
	uint8_t *out;
	size_t cap;
	size_t len;
	bool ok;
};

static void dhcp6_put(struct dhcp6_writer *w, const void *data, size_t n)
{
	if (n == 0)
		return;
	if (!w->ok || w->cap - w->len < n) {
		w->ok = false;
		return;
	}
	memcpy(w->out + w->len, data, n);
	w->len += n;
}

static void dhcp6_put32(struct dhcp6_writer *w, uint32_t v)
{
	v = htonl(v);
	dhcp6_put(w, &v, sizeof(v));
}

/* An option's header; returns where its length goes, for dhcp6_end(). */
static size_t dhcp6_begin(struct dhcp6_writer *w, uint16_t code)
{
	struct wire_dhcp6_opt o = { .code = htons(code) };
	size_t at = w->len;

	dhcp6_put(w, &o, sizeof(o));
	return at;
}

/* Writes the length of the option begun at @at. */
static void dhcp6_end(struct dhcp6_writer *w, size_t at)
{
	uint16_t len;

	if (!w->ok)
		return;
	len = htons((uint16_t)(w->len - at - DHCP6_OPT_HLEN));
	memcpy(w->out + at + offsetof(struct wire_dhcp6_opt, len), &len,
	       sizeof(len));
}

static void dhcp6_put_opt(struct dhcp6_writer *w, uint16_t code,
			  const void *data, size_t n)
{
	size_t at = dhcp6_begin(w, code);

	if (n > 0xffff) {
		w->ok = false;
		return;
	}
	dhcp6_put(w, data, n);
	dhcp6_end(w, at);
}

/* A Status Code option with no message. */
static void dhcp6_put_status(struct dhcp6_writer *w, int status)
{
	uint16_t s = htons((uint16_t)status);

	dhcp6_put_opt(w, DHCP6_OPT_STATUS_CODE, &s, sizeof(s));
}

/**
 * unet__dhcp6_build() - build a server's Advertise or Reply
 * @out: where it goes (the UDP payload)
 * @cap: its size
 * @r: what it says
 *
 * Return: its length; 0 when it does not fit in @cap.
 */
size_t unet__dhcp6_build(uint8_t *out, size_t cap,
			 const struct unet__dhcp6_reply *r)
{
	struct dhcp6_writer w = { .out = out, .cap = cap, .ok = true };
	struct wire_dhcp6 h = {
		.type = r->type,
		.xid = { (uint8_t)(r->xid >> 16), (uint8_t)(r->xid >> 8),
			 (uint8_t)r->xid },
	};
	const struct unet__dhcp6_reply_ia *ia;
	size_t at, addr;
	unsigned int i;

	dhcp6_put(&w, &h, sizeof(h));
	dhcp6_put_opt(&w, DHCP6_OPT_SERVERID, r->server_id, r->server_id_len);
	if (r->client_id != NULL)
		dhcp6_put_opt(&w, DHCP6_OPT_CLIENTID, r->client_id,
			      r->client_id_len);
	if (r->status >= 0)
		dhcp6_put_status(&w, r->status);
	for (i = 0; i < r->n_ias && i < UNET__DHCP6_IA_MAX; i++) {
		ia = &r->ias[i];
		at = dhcp6_begin(&w, ia->code);
		dhcp6_put32(&w, ia->iaid);
		if (ia->code != DHCP6_OPT_IA_TA) {
			dhcp6_put32(&w, ia->t1);
			dhcp6_put32(&w, ia->t2);
		}
		if (ia->addr != NULL) {
			addr = dhcp6_begin(&w, DHCP6_OPT_IAADDR);
			dhcp6_put(&w, ia->addr, 16);
			dhcp6_put32(&w, ia->preferred);
			dhcp6_put32(&w, ia->valid);
			dhcp6_end(&w, addr);
		}
		if (ia->status >= 0)
			dhcp6_put_status(&w, ia->status);
		dhcp6_end(&w, at);
	}
	if (r->rapid_commit)
		dhcp6_put_opt(&w, DHCP6_OPT_RAPID_COMMIT, NULL, 0);
	if (r->dns != NULL)
		dhcp6_put_opt(&w, DHCP6_OPT_DNS_SERVERS, r->dns, 16);
	if (r->domains_len > 0)
		dhcp6_put_opt(&w, DHCP6_OPT_DOMAIN_LIST, r->domains,
			      r->domains_len);
	return w.ok ? w.len : 0;
}
