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
 * An answer is read for what it teaches the guest (unet__dns_answer_parse(),
 * for the egress policy's name rules): the one question's name, then the
 * A, AAAA and CNAME records of class IN in the answer section (at most
 * DNS_ANSWER_RR_MAX), then the chain from the question's name: the
 * addresses whose owner is the name, and the CNAME whose owner it is leads
 * to the next name (at most UNET_DNS_CHAIN_MAX names, a name met twice
 * ends it). Records off the chain are ignored: the guest's resolver does
 * not use them either. Names are read with their compression pointers
 * followed, each of which must point before itself, and at most
 * DNS_WALK_JUMPS_MAX of them a name, so no name loops or costs more than a
 * few hundred steps; as text they are lower case, and a name with a byte
 * other than a letter, digit, '-' or '_' in a label (or the root) is no
 * host name: it is never learned (nor, in a query, matched but by `*`).
 * A record cut short is a malformed answer, unless the answer says it is
 * truncated (TC), where what came whole is used.
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
#include "dns_observe.h"

/** Most names in a search list that compression can point back to. */
#define DNS_SEARCH_SUFFIX_MAX 512
/** Most compression pointers followed in one name. */
#define DNS_WALK_JUMPS_MAX 16
/** Most address and alias records of an answer looked at. */
#define DNS_ANSWER_RR_MAX 64

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

/**
 * struct dns_walk - a walk over a name's labels, pointers followed
 * @msg: the message
 * @len: its length
 * @c: at the next length byte
 * @total: wire bytes of the name so far
 * @jumps: pointers followed
 */
struct dns_walk {
	const uint8_t *msg;
	size_t len;
	struct unet_cursor c;
	size_t total;
	unsigned int jumps;
};

/* Starts a walk at @off of @msg (a walk past the end fails at once). */
static void dns_walk_init(struct dns_walk *w, const uint8_t *msg, size_t len,
			  size_t off)
{
	w->msg = msg;
	w->len = len;
	w->c = cursor_init(msg, len);
	w->total = 0;
	w->jumps = 0;
	if (!cursor_skip(&w->c, off))
		w->c = cursor_init(msg, 0);
}

/*
 * The next label: 1 with it in *@label, *@llen; 0 at the name's end;
 * -EINVAL for a name that runs out, points forward (or at itself), jumps
 * too often, uses another label kind, or exceeds 255 bytes.
 */
static int dns_walk_next(struct dns_walk *w, const uint8_t **label,
			 uint8_t *llen)
{
	size_t here, to;
	uint8_t b, lo;

	for (;;) {
		here = w->len - w->c.len;
		if (!cursor_take_u8(&w->c, &b))
			return -EINVAL;
		if ((b & DNS_LABEL_KIND) == DNS_LABEL_PTR) {
			if (!cursor_take_u8(&w->c, &lo) ||
			    ++w->jumps > DNS_WALK_JUMPS_MAX)
				return -EINVAL;
			to = (size_t)(b & ~DNS_LABEL_KIND) << 8 | lo;
			if (to >= here)
				return -EINVAL;
			w->c = cursor_init(w->msg, w->len);
			cursor_skip(&w->c, to);
			continue;
		}
		if ((b & DNS_LABEL_KIND) != 0)
			return -EINVAL;
		w->total += 1 + (size_t)b;
		if (w->total > DNS_NAME_MAX)
			return -EINVAL;
		if (b == 0)
			return 0;
		*label = cursor_take(&w->c, b);
		if (*label == NULL)
			return -EINVAL;
		*llen = b;
		return 1;
	}
}

static uint8_t dns_lower(uint8_t ch)
{
	return ch >= 'A' && ch <= 'Z' ? (uint8_t)(ch - 'A' + 'a') : ch;
}

/*
 * The name at @off as lower-case text in @out (UNET_DNS_NAME_TEXT bytes).
 * Return: 1 for a host name; 0 for a well-formed name that is none (the
 * root, or a label byte other than a letter, digit, '-', '_'), @out then
 * empty; -EINVAL for a malformed one.
 */
static int dns_name_text(const uint8_t *msg, size_t len, size_t off, char *out)
{
	struct dns_walk w;
	const uint8_t *label;
	size_t n = 0, i;
	bool host = true;
	uint8_t llen, ch;
	int r;

	dns_walk_init(&w, msg, len, off);
	while ((r = dns_walk_next(&w, &label, &llen)) > 0) {
		/* 255 wire bytes make at most 253 of text: it fits. */
		if (n > 0)
			out[n++] = '.';
		for (i = 0; i < llen; i++) {
			ch = dns_lower(label[i]);
			if (!((ch >= 'a' && ch <= 'z') ||
			      (ch >= '0' && ch <= '9') || ch == '-' ||
			      ch == '_'))
				host = false;
			out[n++] = (char)ch;
		}
	}
	if (r < 0 || n == 0 || !host) {
		out[0] = '\0';
		return r < 0 ? r : 0;
	}
	out[n] = '\0';
	return 1;
}

/* Whether the names at @a and @b are equal (ASCII case aside). */
static bool dns_name_equal(const uint8_t *msg, size_t len, size_t a, size_t b)
{
	struct dns_walk wa, wb;
	const uint8_t *la, *lb;
	uint8_t na, nb, i;
	int ra, rb;

	if (a == b)
		return true;
	dns_walk_init(&wa, msg, len, a);
	dns_walk_init(&wb, msg, len, b);
	for (;;) {
		ra = dns_walk_next(&wa, &la, &na);
		rb = dns_walk_next(&wb, &lb, &nb);
		if (ra < 0 || rb < 0 || ra != rb)
			return false;
		if (ra == 0)
			return true;
		if (na != nb)
			return false;
		for (i = 0; i < na; i++)
			if (dns_lower(la[i]) != dns_lower(lb[i]))
				return false;
	}
}

/**
 * unet__dns_question_name() - the text of a checked query's question name
 * @msg: the query, checked by unet__dns_query_parse()
 * @len: its length
 * @index: which question (0 the first)
 * @out: receives the name in lower case without the trailing dot, or ""
 *       when it is no host name (UNET_DNS_NAME_TEXT bytes)
 *
 * Return: 1 for a host name, 0 for a name that is none (the root, or a
 * label byte other than a letter, digit, '-' or '_'), -EINVAL when there
 * is no such question.
 */
int unet__dns_question_name(const uint8_t *msg, size_t len, unsigned int index,
			    char *out)
{
	struct unet_cursor c = cursor_init(msg, len);
	unsigned int i;

	out[0] = '\0';
	if (!cursor_skip(&c, DNS_HLEN))
		return -EINVAL;
	for (i = 0; i < index; i++)
		if (dns_name_skip(&c, false) < 0 ||
		    !cursor_skip(&c, DNS_QFIXED))
			return -EINVAL;
	return dns_name_text(msg, len, len - c.len, out);
}

/**
 * struct dns_rr_ref - an address or alias record of an answer
 * @type: DNS_TYPE_A, DNS_TYPE_AAAA or DNS_TYPE_CNAME
 * @ttl: its TTL (seconds, RFC 2181's top bit taken as 0)
 * @owner: where its owner name starts in the message
 * @rdata: where its data starts (an address, or the CNAME's target)
 */
struct dns_rr_ref {
	uint16_t type;
	uint32_t ttl;
	size_t owner;
	size_t rdata;
};

/*
 * Reads the answer section's address and alias records of class IN into
 * @rr (room for DNS_ANSWER_RR_MAX). Return: how many, or -EINVAL for a
 * record cut short or malformed (unless @truncated: then those before it).
 */
static int dns_answer_records(const uint8_t *msg, size_t len,
			      struct unet_cursor *c, unsigned int ancount,
			      bool truncated, struct dns_rr_ref *rr)
{
	const struct wire_dns_rr *h;
	struct unet_cursor rd;
	unsigned int i, n = 0;
	uint16_t type, rdlen;
	size_t owner, rdata;
	bool ok = true;

	for (i = 0; i < ancount; i++) {
		owner = len - c->len;
		h = NULL;
		if (dns_name_skip(c, false) == 0)
			h = cursor_take_hdr(c, struct wire_dns_rr);
		if (h == NULL)
			return truncated ? (int)n : -EINVAL;
		rdlen = wire_dns_rr_rdlen(h);
		rdata = len - c->len;
		rd = cursor_sub(c, rdlen, &ok);
		if (!ok)
			return truncated ? (int)n : -EINVAL;
		type = wire_dns_rr_type(h);
		if (wire_dns_rr_class(h) != DNS_CLASS_IN)
			continue;
		if ((type == DNS_TYPE_A && rdlen != 4) ||
		    (type == DNS_TYPE_AAAA && rdlen != 16))
			return -EINVAL;
		/* A CNAME's target lies inside its data (pointers aside). */
		if (type == DNS_TYPE_CNAME &&
		    (dns_name_skip(&rd, false) < 0 || rd.len != 0))
			return -EINVAL;
		if ((type != DNS_TYPE_A && type != DNS_TYPE_AAAA &&
		     type != DNS_TYPE_CNAME) ||
		    n == DNS_ANSWER_RR_MAX)
			continue;
		rr[n].type = type;
		rr[n].ttl = wire_dns_rr_ttl(h);
		rr[n].owner = owner;
		rr[n].rdata = rdata;
		n++;
	}
	return (int)n;
}

/* Adds the address records owned by the name at @cur to @ans. */
static void dns_answer_addrs(const uint8_t *msg, size_t len,
			     const struct dns_rr_ref *rr, unsigned int n,
			     size_t cur, uint32_t chain_ttl,
			     struct unet_dns_answer *ans)
{
	struct unet_dns_addr *a;
	struct unet_cursor c;
	const void *data;
	unsigned int i;
	size_t alen;

	for (i = 0; i < n && ans->n_addrs < UNET_DNS_ADDRS_MAX; i++) {
		if (rr[i].type == DNS_TYPE_CNAME ||
		    !dns_name_equal(msg, len, rr[i].owner, cur))
			continue;
		alen = rr[i].type == DNS_TYPE_A ? 4 : 16;
		c = cursor_init(msg, len);
		if (!cursor_skip(&c, rr[i].rdata))
			continue;
		data = cursor_take(&c, alen);
		if (data == NULL)
			continue;
		a = &ans->addrs[ans->n_addrs++];
		memset(a, 0, sizeof(*a));
		a->family = rr[i].type == DNS_TYPE_A ? AF_INET : AF_INET6;
		memcpy(a->addr, data, alen);
		a->ttl = rr[i].ttl < chain_ttl ? rr[i].ttl : chain_ttl;
		a->names = ans->n_names;
	}
}

/* The CNAME record owned by the name at @cur, or NULL. */
static const struct dns_rr_ref *dns_answer_cname(const uint8_t *msg, size_t len,
						 const struct dns_rr_ref *rr,
						 unsigned int n, size_t cur)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (rr[i].type == DNS_TYPE_CNAME &&
		    dns_name_equal(msg, len, rr[i].owner, cur))
			return &rr[i];
	return NULL;
}

/**
 * unet__dns_answer_parse() - what an answer teaches the guest
 * @msg: an upstream's reply, already matched to the guest's query
 * @len: its length
 * @ans: receives the chain's names and the addresses on it
 *
 * Only a response (QR) to a standard query with one question of class IN,
 * rcode NOERROR, teaches anything; the A and AAAA records whose owner is
 * the question's name, or a CNAME target on the chain from it, are taken
 * (see the top of this file).
 *
 * Return: 0 (@ans->n_names 0 when nothing is learned), or -EINVAL for a
 * malformed message (@ans then empty).
 */
int unet__dns_answer_parse(const uint8_t *msg, size_t len,
			   struct unet_dns_answer *ans)
{
	struct dns_rr_ref rr[DNS_ANSWER_RR_MAX];
	struct unet_cursor c = cursor_init(msg, len);
	const struct dns_rr_ref *cname;
	const struct wire_dns *h;
	uint32_t chain_ttl = DNS_TTL_MAX;
	uint16_t flags, qclass;
	unsigned int j;
	size_t cur;
	int n, r;

	ans->n_names = 0;
	ans->n_addrs = 0;
	h = cursor_take_hdr(&c, struct wire_dns);
	if (h == NULL)
		return -EINVAL;
	flags = wire_dns_flags(h);
	if ((flags & DNS_FLAG_QR) == 0)
		return -EINVAL;
	if ((flags & (DNS_FLAG_OPCODE | DNS_FLAG_RCODE)) != 0 ||
	    wire_dns_qdcount(h) != 1)
		return 0;
	cur = DNS_HLEN;
	if (dns_name_skip(&c, false) < 0 || !cursor_skip(&c, 2) ||
	    !cursor_take_be16(&c, &qclass))
		return -EINVAL;
	if (qclass != DNS_CLASS_IN)
		return 0;
	n = dns_answer_records(msg, len, &c, wire_dns_ancount(h),
			       (flags & DNS_FLAG_TC) != 0, rr);
	if (n < 0)
		return n;
	r = dns_name_text(msg, len, cur, ans->names[0]);
	if (r <= 0)
		return r;
	ans->n_names = 1;
	for (;;) {
		dns_answer_addrs(msg, len, rr, (unsigned int)n, cur, chain_ttl,
				 ans);
		cname = dns_answer_cname(msg, len, rr, (unsigned int)n, cur);
		if (cname == NULL || ans->n_names == UNET_DNS_CHAIN_MAX)
			break;
		r = dns_name_text(msg, len, cname->rdata,
				  ans->names[ans->n_names]);
		if (r <= 0)
			break;
		for (j = 0; j < ans->n_names; j++)
			if (strcmp(ans->names[j], ans->names[ans->n_names]) ==
			    0)
				break;
		if (j < ans->n_names)
			break; /* a loop: the chain ends here */
		if (cname->ttl < chain_ttl)
			chain_ttl = cname->ttl;
		cur = cname->rdata;
		ans->n_names++;
	}
	return 0;
}
