/* SPDX-License-Identifier: MIT */
/*
 * The DNS message codec: checks a guest's query, tells whether an
 * upstream's reply answers it, reads the names and addresses an answer
 * teaches (for the egress policy's name rules), builds the short replies the forwarder sends
 * itself (SERVFAIL, REFUSED, truncated), and encodes a domain search list
 * (RFC 3397, DHCP option 119; uncompressed for RFC 8106's DNSSL and
 * DHCPv6). Pure functions over caller-given bytes: the
 * forwarder, the DHCP server, their unit tests and fuzz targets share them.
 */
#ifndef USERNET_STACK_DNS_MSG_H
#define USERNET_STACK_DNS_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * struct unet__dns_query_info - what the checks found in a query
 * @id: the guest's transaction id
 * @flags: the header's flags
 * @qdcount: how many questions
 * @qlen: length of the question section, after the header
 * @edns: the query carries an OPT record
 * @edns_size: its UDP payload size
 */
struct unet__dns_query_info {
	uint16_t id;
	uint16_t flags;
	uint16_t qdcount;
	size_t qlen;
	bool edns;
	uint16_t edns_size;
};

/**
 * typedef unet__dns_search_reject_fn - told of a name left out of a list
 * @opaque: the encoder's caller's pointer
 * @name: the name as it stood in the list (not NUL-terminated)
 * @len: its length
 */
typedef void unet__dns_search_reject_fn(void *opaque, const char *name,
					size_t len);

int unet__dns_query_parse(const uint8_t *msg, size_t len,
			  struct unet__dns_query_info *info);
bool unet__dns_reply_matches(const uint8_t *reply, size_t rlen, uint16_t id,
			     const uint8_t *query, size_t qlen);
size_t unet__dns_build_error(uint8_t *out, const uint8_t *query, size_t len,
			     const struct unet__dns_query_info *info,
			     uint16_t rcode);
size_t unet__dns_build_truncated(uint8_t *out, const uint8_t *reply, size_t len,
				 const struct unet__dns_query_info *info);
void unet__dns_set_id(uint8_t *msg, uint16_t id);
int unet__dns_search_encode(const char *list, uint8_t *out, size_t cap,
			    size_t *len, unet__dns_search_reject_fn *reject,
			    void *opaque);
size_t unet__dns_search_encode_plain(const char *list, uint8_t *out, size_t cap,
				     unet__dns_search_reject_fn *reject,
				     void *opaque);

struct unet_dns_answer;

int unet__dns_question_name(const uint8_t *msg, size_t len, unsigned int index,
			    char *out);
int unet__dns_answer_parse(const uint8_t *msg, size_t len,
			   struct unet_dns_answer *ans);

#endif /* USERNET_STACK_DNS_MSG_H */
