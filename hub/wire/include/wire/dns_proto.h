/* SPDX-License-Identifier: MIT */
/*
 * DNS on the wire: RFC 1035 (messages, names, UDP and TCP transport),
 * RFC 6891 (EDNS(0) and its OPT pseudo-record), RFC 7766 (TCP).
 *
 * A message is a 12-byte header and four sections:
 *
 *   | id | flags | qdcount | ancount | nscount | arcount |   (16 bits each)
 *   | question: name | qtype | qclass |  (qdcount times)
 *   | answer, authority, additional: name | type | class | ttl | rdlength |
 *     rdata |  (ancount, nscount, arcount times)
 *
 *   flags: | QR | opcode (4) | AA | TC | RD | RA | Z | AD | CD | rcode (4) |
 *
 * A name is a sequence of labels, each a length byte (0..63) and that many
 * bytes, ended by the empty label; a length byte with its top two bits set
 * is a compression pointer (14-bit offset into the message) that ends the
 * name. Over TCP every message is preceded by its 16-bit length.
 */
#ifndef USERNET_WIRE_DNS_PROTO_H
#define USERNET_WIRE_DNS_PROTO_H

#include <arpa/inet.h>
#include <stdint.h>

/** The server's well-known port (UDP and TCP). */
#define DNS_PORT 53

/** Length of the header. */
#define DNS_HLEN 12

/* Bits of the flags field. */
#define DNS_FLAG_QR 0x8000	/* a response */
#define DNS_FLAG_OPCODE 0x7800	/* the kind of query (0: QUERY) */
#define DNS_FLAG_AA 0x0400	/* authoritative answer */
#define DNS_FLAG_TC 0x0200	/* truncated: ask again over TCP */
#define DNS_FLAG_RD 0x0100	/* recursion desired */
#define DNS_FLAG_RA 0x0080	/* recursion available */
#define DNS_FLAG_CD 0x0010	/* checking disabled (DNSSEC) */
#define DNS_FLAG_RCODE 0x000f	/* response code */

/* Response codes. */
#define DNS_RCODE_NOERROR 0
#define DNS_RCODE_FORMERR 1
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_REFUSED 5

/** Longest label. */
#define DNS_LABEL_MAX 63
/** Longest name on the wire, its length bytes and the final 0 included. */
#define DNS_NAME_MAX 255
/** The top bits of a length byte: 00 a label, 11 a compression pointer. */
#define DNS_LABEL_KIND 0xc0
#define DNS_LABEL_PTR 0xc0
/** Length of a compression pointer. */
#define DNS_PTR_LEN 2
/** Largest offset a compression pointer can hold (14 bits). */
#define DNS_PTR_MAX 0x3fff

/** Bytes after a question's name: type and class. */
#define DNS_QFIXED 4
/** Bytes after a record's name: type, class, TTL and rdlength. */
#define DNS_RRFIXED 10

/** The OPT pseudo-record (EDNS(0)); its class is the sender's UDP size. */
#define DNS_TYPE_OPT 41
/* Record types of addresses and aliases (RFC 1035, RFC 3596). */
#define DNS_TYPE_A 1
#define DNS_TYPE_CNAME 5
#define DNS_TYPE_AAAA 28
/** The Internet class. */
#define DNS_CLASS_IN 1
/** TTLs with the top bit set are taken as 0 (RFC 2181 8). */
#define DNS_TTL_MAX 0x7fffffffu

/** Largest message over UDP without EDNS(0). */
#define DNS_UDP_PLAIN_MAX 512

/** Length of the length field in front of a message over TCP. */
#define DNS_TCP_LEN_LEN 2
/** Largest message over TCP (what the length field can say). */
#define DNS_TCP_MSG_MAX 65535

/**
 * struct wire_dns - a DNS message header (RFC 1035 4.1.1)
 * @id: query identifier
 * @flags: DNS_FLAG_* bits and the response code (network order)
 * @qdcount: questions (network order)
 * @ancount: answer records (network order)
 * @nscount: authority records (network order)
 * @arcount: additional records (network order)
 */
struct wire_dns {
	uint16_t id;
	uint16_t flags;
	uint16_t qdcount;
	uint16_t ancount;
	uint16_t nscount;
	uint16_t arcount;
} __attribute__((packed));

/**
 * struct wire_dns_rr - the fixed part of a resource record, after its name
 * @type: record type (network order)
 * @class: class (network order)
 * @ttl: time to live in seconds (network order)
 * @rdlen: length of the data that follows (network order)
 */
struct wire_dns_rr {
	uint16_t type;
	uint16_t class;
	uint32_t ttl;
	uint16_t rdlen;
} __attribute__((packed));

_Static_assert(sizeof(struct wire_dns) == DNS_HLEN, "DNS header");
_Static_assert(sizeof(struct wire_dns_rr) == DNS_RRFIXED, "DNS record");

static inline uint16_t wire_dns_id(const struct wire_dns *h)
{
	return ntohs(h->id);
}

static inline uint16_t wire_dns_flags(const struct wire_dns *h)
{
	return ntohs(h->flags);
}

static inline uint16_t wire_dns_qdcount(const struct wire_dns *h)
{
	return ntohs(h->qdcount);
}

static inline uint16_t wire_dns_ancount(const struct wire_dns *h)
{
	return ntohs(h->ancount);
}

static inline uint16_t wire_dns_nscount(const struct wire_dns *h)
{
	return ntohs(h->nscount);
}

static inline uint16_t wire_dns_arcount(const struct wire_dns *h)
{
	return ntohs(h->arcount);
}

static inline uint16_t wire_dns_rr_type(const struct wire_dns_rr *r)
{
	return ntohs(r->type);
}

static inline uint16_t wire_dns_rr_class(const struct wire_dns_rr *r)
{
	return ntohs(r->class);
}

static inline uint32_t wire_dns_rr_ttl(const struct wire_dns_rr *r)
{
	uint32_t ttl = ntohl(r->ttl);

	return ttl > DNS_TTL_MAX ? 0 : ttl;
}

static inline uint16_t wire_dns_rr_rdlen(const struct wire_dns_rr *r)
{
	return ntohs(r->rdlen);
}

#endif /* USERNET_WIRE_DNS_PROTO_H */
