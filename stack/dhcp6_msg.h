/* SPDX-License-Identifier: MIT */
/*
 * The DHCPv6 message codec (RFC 8415, RFC 3646): parses a client's message
 * into what the server looks at, and builds the server's Advertise and
 * Reply. Pure functions over caller-given bytes: the server (dhcp6.c), its
 * unit test and its fuzz target share them.
 */
#ifndef USERNET_STACK_DHCP6_MSG_H
#define USERNET_STACK_DHCP6_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/dhcp6_proto.h"

/** Most IAADDR addresses a parse collects (for Confirm). */
#define UNET__DHCP6_ADDRS_MAX 8
/** Most IAs (IA_NA, IA_TA, IA_PD) a parse collects, and a reply holds. */
#define UNET__DHCP6_IA_MAX 4

/**
 * struct unet__dhcp6_ia - an IA of a client's message
 * @code: DHCP6_OPT_IA_NA, DHCP6_OPT_IA_TA or DHCP6_OPT_IA_PD
 * @iaid: its IAID
 * @addr: its first IAADDR address (IA_NA only), NULL when none
 */
struct unet__dhcp6_ia {
	uint16_t code;
	uint32_t iaid;
	const uint8_t *addr;
};

/**
 * struct unet__dhcp6_msg - a client's message, parsed
 * @type: DHCP6_SOLICIT, ...
 * @xid: the transaction id (24 bits)
 * @client_id: the Client Identifier option's DUID, NULL when absent
 * @client_id_len: its length (1..DHCP6_DUID_MAX)
 * @server_id: the Server Identifier option's DUID, NULL when absent
 * @server_id_len: its length
 * @n_ia_na: IA_NA options in the message
 * @iaid: the first IA_NA's IAID
 * @ia_addr: the first IA_NA's first IAADDR address, NULL when none
 * @addrs: the IAADDR addresses of every IA_NA, in order
 * @n_addrs: how many are in @addrs (at most UNET__DHCP6_ADDRS_MAX)
 * @ias: the IAs of every kind, in order, the first UNET__DHCP6_IA_MAX
 * @n_ias: how many are in @ias
 * @n_ias_all: how many IA options of any kind the message has
 * @rapid_commit: the Rapid Commit option is there
 * @oro_dns: the Option Request option asks for DNS servers
 * @oro_domains: it asks for the domain list
 *
 * Pointers point into the parsed bytes. The first instance of an option
 * counts; later ones are ignored.
 */
struct unet__dhcp6_msg {
	uint8_t type;
	uint32_t xid;
	const uint8_t *client_id;
	size_t client_id_len;
	const uint8_t *server_id;
	size_t server_id_len;
	unsigned int n_ia_na;
	uint32_t iaid;
	const uint8_t *ia_addr;
	const uint8_t *addrs[UNET__DHCP6_ADDRS_MAX];
	unsigned int n_addrs;
	struct unet__dhcp6_ia ias[UNET__DHCP6_IA_MAX];
	unsigned int n_ias;
	unsigned int n_ias_all;
	bool rapid_commit;
	bool oro_dns;
	bool oro_domains;
};

/**
 * struct unet__dhcp6_reply_ia - an IA of a server's Advertise or Reply
 * @code: DHCP6_OPT_IA_NA, DHCP6_OPT_IA_TA or DHCP6_OPT_IA_PD
 * @iaid: its IAID
 * @t1: its T1, seconds (not in an IA_TA)
 * @t2: its T2, seconds (not in an IA_TA)
 * @addr: its IAADDR's address (NULL: none)
 * @preferred: the IAADDR's preferred lifetime
 * @valid: its valid lifetime
 * @status: a Status Code inside the IA (-1: none)
 */
struct unet__dhcp6_reply_ia {
	uint16_t code;
	uint32_t iaid;
	uint32_t t1;
	uint32_t t2;
	const uint8_t *addr;
	uint32_t preferred;
	uint32_t valid;
	int status;
};

/**
 * struct unet__dhcp6_reply - what a server's Advertise or Reply says
 * @type: DHCP6_ADVERTISE or DHCP6_REPLY
 * @xid: the client's transaction id
 * @server_id: the server's DUID
 * @server_id_len: its length
 * @client_id: the client's DUID (NULL: none echoed)
 * @client_id_len: its length
 * @status: a top-level Status Code option (-1: none)
 * @ias: the IAs that go in, in order
 * @n_ias: how many (at most UNET__DHCP6_IA_MAX)
 * @rapid_commit: the Rapid Commit option goes in
 * @dns: the DNS Recursive Name Server option's address (NULL: none)
 * @domains: the Domain Search List option's names (uncompressed labels)
 * @domains_len: their length (0: no option)
 */
struct unet__dhcp6_reply {
	uint8_t type;
	uint32_t xid;
	const uint8_t *server_id;
	size_t server_id_len;
	const uint8_t *client_id;
	size_t client_id_len;
	int status;
	struct unet__dhcp6_reply_ia ias[UNET__DHCP6_IA_MAX];
	unsigned int n_ias;
	bool rapid_commit;
	const uint8_t *dns;
	const uint8_t *domains;
	size_t domains_len;
};

int unet__dhcp6_parse(const uint8_t *buf, size_t len, struct unet__dhcp6_msg *m,
		      const char **why);
size_t unet__dhcp6_build(uint8_t *out, size_t cap,
			 const struct unet__dhcp6_reply *r);

#endif /* USERNET_STACK_DHCP6_MSG_H */
