/* SPDX-License-Identifier: MIT */
/*
 * The DNS message codec (dns_msg.h).
 *
 * Theory of operation: a query is checked before it is forwarded: a
 * 12-byte header, QR 0, at least one question, and well-formed question
 * names (every label inside the message, no compression pointer or other
 * label kind, at most 255 bytes). Any opcode passes. The records after the
 * questions are only looked through for an OPT record (EDNS(0): the UDP
 * size the guest takes); what cannot be parsed there is left to the
 * upstream to judge. Compression pointers are never followed, so no name
 * can loop.
 *
 * A reply answers a query when it has QR set, the id the query went out
 * with, and the same question section: names compared without regard to
 * ASCII case (the query's labels are plain, checked), types and classes
 * exactly. The short replies built here are a header and the question
 * section only.
 *
 * The domain search list of DHCP option 119 (RFC 3397) is a sequence of
 * names in DNS wire form, each pointing back with a compression pointer to
 * a suffix written before when there is one. A name that is malformed
 * (an empty label, a label over 63 bytes, over 255 bytes in all) or that
 * does not fit is left out whole, and the caller is told.
 *
 * Every header field is read through struct wire_dns / wire_dns_rr and
 * every byte through the cursor; nothing here allocates but the encoder's
 * table of suffixes.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wire/cursor.h"
#include "wire/dns_proto.h"

#include "dns_msg.h"

/** Most names in a search list that compression can point back to. */
#define DNS_SEARCH_SUFFIX_MAX 512

/*
 * Skips a name. In a question (@in_question) only plain labels are taken: a
 * query's question comes first in the message and has nothing earlier to
 * point to. Elsewhere a compression pointer ends the name; it is not
 * followed, so no pointer can loop.
 */
static int dns_name_skip(struct unet_cursor *c, bool in_question)
{
	size_t total = 0;
	uint8_t b;

	for (;;) {
		if (!cursor_take_u8(c, &b))
			return -EINVAL;
		if ((b & DNS_LABEL_KIND) == DNS_LABEL_PTR) {
			if (in_question || total + DNS_PTR_LEN > DNS_NAME_MAX ||
			    !cursor_skip(c, 1))
				return -EINVAL;
			return 0;
		}
		/* 01 and 10: extended label kinds, obsolete and unused. */
		if ((b & DNS_LABEL_KIND) != 0)
			return -EINVAL;
		total += 1 + (size_t)b;
		if (total > DNS_NAME_MAX)
			return -EINVAL;
		if (b == 0)
			return 0;
		if (!cursor_skip(c, b))
			return -EINVAL;
	}
}

/**
 * unet__dns_query_parse() - check a guest's query
 * @msg: the message
 * @len: its length
 * @info: receives what the checks found
 *
 * Only the header and the question section must be well-formed; the
 * records after them are only looked through for an OPT record.
 *
 * Return: 0, or -EINVAL for a message that is not a well-formed query.
 */
int unet__dns_query_parse(const uint8_t *msg, size_t len,
			  struct unet__dns_query_info *info)
{
	struct unet_cursor c = cursor_init(msg, len);
	const struct wire_dns_rr *rr;
	const struct wire_dns *h;
	unsigned int i, n, first_ar;
	size_t before;

	memset(info, 0, sizeof(*info));
	h = cursor_take_hdr(&c, struct wire_dns);
	if (h == NULL)
		return -EINVAL;
	info->id = wire_dns_id(h);
	info->flags = wire_dns_flags(h);
	info->qdcount = wire_dns_qdcount(h);
	if ((info->flags & DNS_FLAG_QR) != 0 || info->qdcount == 0)
		return -EINVAL;
	before = c.len;
	for (i = 0; i < info->qdcount; i++) {
		if (dns_name_skip(&c, true) < 0 || !cursor_skip(&c, DNS_QFIXED))
			return -EINVAL;
	}
	info->qlen = before - c.len;

	first_ar = (unsigned int)wire_dns_ancount(h) + wire_dns_nscount(h);
	n = first_ar + wire_dns_arcount(h);
	for (i = 0; i < n; i++) {
		if (dns_name_skip(&c, false) < 0)
			break;
		rr = cursor_take_hdr(&c, struct wire_dns_rr);
		if (rr == NULL || !cursor_skip(&c, wire_dns_rr_rdlen(rr)))
			break;
		if (i >= first_ar && wire_dns_rr_type(rr) == DNS_TYPE_OPT) {
			info->edns = true;
			info->edns_size = wire_dns_rr_class(rr);
		}
	}
	return 0;
}

static bool dns_label_equal(const uint8_t *a, const uint8_t *b, size_t n)
{
	size_t i;
	uint8_t x, y;

	for (i = 0; i < n; i++) {
		x = a[i];
		y = b[i];
		if (x >= 'A' && x <= 'Z')
			x = (uint8_t)(x - 'A' + 'a');
		if (y >= 'A' && y <= 'Z')
			y = (uint8_t)(y - 'A' + 'a');
		if (x != y)
			return false;
	}
	return true;
}

/* Whether the next question name of @r equals that of @q (plain labels). */
static bool dns_name_matches(struct unet_cursor *q, struct unet_cursor *r)
{
	const uint8_t *a, *b;
	uint8_t la, lb;

	for (;;) {
		if (!cursor_take_u8(q, &la) || !cursor_take_u8(r, &lb) ||
		    la != lb)
			return false;
		if (la == 0)
			return true;
		/* The query's labels are plain (checked). */
		a = cursor_take(q, la);
		b = cursor_take(r, la);
		if (a == NULL || b == NULL || !dns_label_equal(a, b, la))
			return false;
	}
}

/**
 * unet__dns_reply_matches() - whether a reply answers a query
 * @reply: the reply
 * @rlen: its length
 * @id: the id the query went out with
 * @query: the query, checked by unet__dns_query_parse()
 * @qlen: its length
 *
 * Return: true when @reply has QR set, @id, and the same questions (names
 * without regard to ASCII case, types and classes exactly).
 */
bool unet__dns_reply_matches(const uint8_t *reply, size_t rlen, uint16_t id,
			     const uint8_t *query, size_t qlen)
{
	struct unet_cursor r = cursor_init(reply, rlen);
	struct unet_cursor q = cursor_init(query, qlen);
	const struct wire_dns *rh, *qh;
	unsigned int i, qdcount;
	const uint8_t *a, *b;

	rh = cursor_take_hdr(&r, struct wire_dns);
	qh = cursor_take_hdr(&q, struct wire_dns);
	if (rh == NULL || qh == NULL || wire_dns_id(rh) != id ||
	    (wire_dns_flags(rh) & DNS_FLAG_QR) == 0 ||
	    wire_dns_qdcount(rh) != wire_dns_qdcount(qh))
		return false;
	qdcount = wire_dns_qdcount(qh);
	for (i = 0; i < qdcount; i++) {
		if (!dns_name_matches(&q, &r))
			return false;
		a = cursor_take(&q, DNS_QFIXED);
		b = cursor_take(&r, DNS_QFIXED);
		if (a == NULL || b == NULL || memcmp(a, b, DNS_QFIXED) != 0)
			return false;
	}
	return true;
}

/*
 * Builds a reply of a header and @qlen bytes of question section at @qoff
 * of @msg into @out (room for DNS_HLEN + @qlen). Return: its length, 0 when
 * @msg has no such question section.
 */
static size_t dns_build_short(uint8_t *out, uint16_t id, uint16_t flags,
			      uint16_t qdcount, const uint8_t *msg, size_t len,
			      size_t qlen)
{
	struct unet_cursor c = cursor_init(msg, len);
	const uint8_t *question;
	struct wire_dns *h = (struct wire_dns *)out;

	if (!cursor_skip(&c, DNS_HLEN))
		return 0;
	question = cursor_take(&c, qlen);
	if (question == NULL)
		return 0;
	memset(h, 0, sizeof(*h));
	h->id = htons(id);
	h->flags = htons(flags);
	h->qdcount = htons(qdcount);
	memcpy(out + DNS_HLEN, question, qlen);
	return DNS_HLEN + qlen;
}

/**
 * unet__dns_build_error() - an answer with no records and a response code
 * @out: where it is built: room for DNS_HLEN + @info->qlen bytes
 * @query: the query, checked by unet__dns_query_parse()
 * @len: its length
 * @info: what the checks found in it
 * @rcode: the response code (DNS_RCODE_SERVFAIL, DNS_RCODE_REFUSED ...)
 *
 * The answer carries the query's id, opcode, RD and CD bits and question.
 *
 * Return: its length.
 */
size_t unet__dns_build_error(uint8_t *out, const uint8_t *query, size_t len,
			     const struct unet__dns_query_info *info,
			     uint16_t rcode)
{
	uint16_t flags =
		DNS_FLAG_QR | DNS_FLAG_RA | rcode |
		(info->flags & (DNS_FLAG_OPCODE | DNS_FLAG_RD | DNS_FLAG_CD));

	return dns_build_short(out, info->id, flags, info->qdcount, query, len,
			       info->qlen);
}

/**
 * unet__dns_build_truncated() - a reply cut to its header and question
 * @out: where it is built: room for DNS_HLEN + @info->qlen bytes
 * @reply: a reply that unet__dns_reply_matches() the query
 * @len: its length
 * @info: what the checks found in the query
 *
 * For a reply larger than the guest takes over UDP: the reply's flags with
 * TC set, the guest's id, the question; the guest asks again over TCP.
 *
 * Return: its length; 0 when @reply is shorter than a header and question.
 */
size_t unet__dns_build_truncated(uint8_t *out, const uint8_t *reply, size_t len,
				 const struct unet__dns_query_info *info)
{
	struct unet_cursor c = cursor_init(reply, len);
	const struct wire_dns *h = cursor_take_hdr(&c, struct wire_dns);

	if (h == NULL)
		return 0;
	return dns_build_short(out, info->id,
			       (uint16_t)(wire_dns_flags(h) | DNS_FLAG_TC),
			       wire_dns_qdcount(h), reply, len, info->qlen);
}

/**
 * unet__dns_set_id() - write a message's id
 * @msg: a message of at least DNS_HLEN bytes
 * @id: the id
 */
void unet__dns_set_id(uint8_t *msg, uint16_t id)
{
	((struct wire_dns *)msg)->id = htons(id);
}

/**
 * struct dns_suffix - a name's suffix already in a search list's data
 * @name: its text (in the list, not NUL-terminated)
 * @len: its length
 * @off: where its labels start in the data (what a pointer points to)
 */
struct dns_suffix {
	const char *name;
	size_t len;
	size_t off;
};

/**
 * struct dns_search - a search list being encoded
 * @out: the data
 * @cap: its size
 * @len: bytes written
 * @sfx: suffixes written, that later names can point to
 * @n_sfx: how many
 * @plain: no compression pointers (@sfx is never filled)
 */
struct dns_search {
	uint8_t *out;
	size_t cap;
	size_t len;
	struct dns_suffix *sfx;
	size_t n_sfx;
	bool plain;
};

/* The length of the label at @name (up to the next dot or @len). */
static size_t dns_label_len(const char *name, size_t len)
{
	const char *dot = memchr(name, '.', len);

	return dot != NULL ? (size_t)(dot - name) : len;
}

/* Whether @len bytes of a name are a name that fits in wire form. */
static bool dns_search_name_ok(const char *name, size_t len)
{
	size_t pos = 0, label, wire = 1;

	while (pos < len) {
		label = dns_label_len(name + pos, len - pos);
		if (label == 0 || label > DNS_LABEL_MAX)
			return false;
		wire += label + 1;
		pos += label + 1;
	}
	return len > 0 && wire <= DNS_NAME_MAX;
}

/* The suffix written before that is @len bytes at @name, or NULL. */
static const struct dns_suffix *dns_search_find(const struct dns_search *s,
						const char *name, size_t len)
{
	size_t j;

	for (j = 0; j < s->n_sfx; j++)
		if (s->sfx[j].len == len &&
		    strncasecmp(s->sfx[j].name, name, len) == 0)
			return &s->sfx[j];
	return NULL;
}

/*
 * Encodes one name (@len bytes at @name, no trailing dot) as DNS labels,
 * pointing back to a suffix encoded before when there is one. Return:
 * false, with nothing written, when the name is malformed or does not fit.
 */
static bool dns_search_add(struct dns_search *s, const char *name, size_t len)
{
	const struct dns_suffix *to;
	size_t start = s->len, pos, label;

	if (!dns_search_name_ok(name, len))
		return false;
	for (pos = 0; pos < len; pos += label + 1) {
		to = dns_search_find(s, name + pos, len - pos);
		if (to != NULL) {
			if (s->cap - s->len < DNS_PTR_LEN)
				goto full;
			s->out[s->len++] =
				(uint8_t)(DNS_LABEL_PTR | to->off >> 8);
			s->out[s->len++] = (uint8_t)to->off;
			return true;
		}
		label = dns_label_len(name + pos, len - pos);
		if (!s->plain && s->len <= DNS_PTR_MAX &&
		    s->n_sfx < DNS_SEARCH_SUFFIX_MAX) {
			s->sfx[s->n_sfx].name = name + pos;
			s->sfx[s->n_sfx].len = len - pos;
			s->sfx[s->n_sfx].off = s->len;
			s->n_sfx++;
		}
		/* The label, and at least the final 0 after it. */
		if (s->cap - s->len < label + 1 + 1)
			goto full;
		s->out[s->len++] = (uint8_t)label;
		memcpy(s->out + s->len, name + pos, label);
		s->len += label;
	}
	if (s->cap - s->len < 1)
		goto full;
	s->out[s->len++] = 0;
	return true;

full:
	s->len = start;
	/* Suffixes recorded for the name left out go again. */
	while (s->n_sfx > 0 && s->sfx[s->n_sfx - 1].off >= start)
		s->n_sfx--;
	return false;
}

/* Encodes @list into @s (see unet__dns_search_encode()). */
static void dns_search_encode(struct dns_search *s, const char *list,
			      unet__dns_search_reject_fn *reject, void *opaque)
{
	const char *comma;
	size_t n, name_len;

	while (*list != '\0') {
		comma = strchr(list, ',');
		n = comma != NULL ? (size_t)(comma - list) : strlen(list);
		name_len = n;
		if (name_len > 0 && list[name_len - 1] == '.')
			name_len--; /* "example.com." is "example.com" */
		if (name_len > 0 && !dns_search_add(s, list, name_len) &&
		    reject != NULL)
			reject(opaque, list, n);
		list += n;
		if (*list == ',')
			list++;
	}
}

/**
 * unet__dns_search_encode() - encode a domain search list (RFC 3397)
 * @list: comma-separated domain names ("a.example,b.example"); a name's
 *        trailing dot is dropped, empty names are skipped
 * @out: where the data goes (DHCP option 119's, without code and length)
 * @cap: its size
 * @len: receives how many bytes were written (0: no name fitted)
 * @reject: called with each name left out (malformed, or no room left);
 *          may be NULL
 * @opaque: passed to @reject
 *
 * Names point back to suffixes written before with compression pointers.
 *
 * Return: 0, or -ENOMEM.
 */
int unet__dns_search_encode(const char *list, uint8_t *out, size_t cap,
			    size_t *len, unet__dns_search_reject_fn *reject,
			    void *opaque)
{
	struct dns_search s = { .out = out, .cap = cap };

	*len = 0;
	s.sfx = calloc(DNS_SEARCH_SUFFIX_MAX, sizeof(*s.sfx));
	if (s.sfx == NULL)
		return -ENOMEM;
	dns_search_encode(&s, list, reject, opaque);
	free(s.sfx);
	*len = s.len;
	return 0;
}

/**
 * unet__dns_search_encode_plain() - encode a domain list without
 * compression
 * @list: comma-separated domain names, as unet__dns_search_encode() takes
 * @out: where the data goes
 * @cap: its size
 * @reject: called with each name left out; may be NULL
 * @opaque: passed to @reject
 *
 * The names one after another as whole DNS labels, each ending in its zero
 * byte: the form of the DNSSL option of router advertisements (RFC 8106)
 * and of DHCPv6's domain list (RFC 3646), which allow no pointers.
 *
 * Return: how many bytes were written (0: no name fitted).
 */
size_t unet__dns_search_encode_plain(const char *list, uint8_t *out, size_t cap,
				     unet__dns_search_reject_fn *reject,
				     void *opaque)
{
	struct dns_search s = { .out = out, .cap = cap, .plain = true };

	dns_search_encode(&s, list, reject, opaque);
	return s.len;
}
