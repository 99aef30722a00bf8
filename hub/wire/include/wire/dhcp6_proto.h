/* SPDX-License-Identifier: MIT */
/*
 * DHCPv6 on the wire: RFC 8415 (messages, options, status codes, DUIDs),
 * RFC 3646 (the DNS servers and domain list options).
 *
 * A client-server message is a 1-byte type and a 3-byte transaction id,
 * then options, each a 2-byte code, a 2-byte length and that many bytes of
 * data; some options (IA_NA, IAADDR) carry options of their own after
 * their fixed part:
 *
 *   msg-type | transaction-id (3) | options ...
 *   option: code (2) | length (2) | data ...
 *   IA_NA:  IAID (4) | T1 (4) | T2 (4) | options ...
 *   IAADDR: address (16) | preferred lifetime (4) | valid lifetime (4) |
 *           options ...
 *
 * Multi-byte fields are big-endian. Clients send from port 546 to port 547
 * of ff02::1:2 (All_DHCP_Relay_Agents_and_Servers).
 */
#ifndef USERNET_WIRE_DHCP6_PROTO_H
#define USERNET_WIRE_DHCP6_PROTO_H

#include <stdint.h>

/* UDP ports. */
#define DHCP6_CLIENT_PORT 546
#define DHCP6_SERVER_PORT 547

/* Message types. */
#define DHCP6_SOLICIT 1
#define DHCP6_ADVERTISE 2
#define DHCP6_REQUEST 3
#define DHCP6_CONFIRM 4
#define DHCP6_RENEW 5
#define DHCP6_REBIND 6
#define DHCP6_REPLY 7
#define DHCP6_RELEASE 8
#define DHCP6_DECLINE 9
#define DHCP6_RECONFIGURE 10
#define DHCP6_INFORMATION_REQUEST 11
#define DHCP6_RELAY_FORW 12
#define DHCP6_RELAY_REPL 13

/* Options. */
#define DHCP6_OPT_CLIENTID 1
#define DHCP6_OPT_SERVERID 2
#define DHCP6_OPT_IA_NA 3
#define DHCP6_OPT_IA_TA 4
#define DHCP6_OPT_IAADDR 5
#define DHCP6_OPT_ORO 6
#define DHCP6_OPT_PREFERENCE 7
#define DHCP6_OPT_ELAPSED_TIME 8
#define DHCP6_OPT_STATUS_CODE 13
#define DHCP6_OPT_RAPID_COMMIT 14
#define DHCP6_OPT_DNS_SERVERS 23 /* RFC 3646 */
#define DHCP6_OPT_DOMAIN_LIST 24 /* RFC 3646 */
#define DHCP6_OPT_IA_PD 25
#define DHCP6_OPT_INFORMATION_REFRESH_TIME 32

/* Status codes. */
#define DHCP6_STATUS_SUCCESS 0
#define DHCP6_STATUS_UNSPEC_FAIL 1
#define DHCP6_STATUS_NO_ADDRS_AVAIL 2
#define DHCP6_STATUS_NO_BINDING 3
#define DHCP6_STATUS_NOT_ON_LINK 4
#define DHCP6_STATUS_USE_MULTICAST 5
#define DHCP6_STATUS_NO_PREFIX_AVAIL 6

/* DUID types, and the hardware type of Ethernet. */
#define DHCP6_DUID_LLT 1
#define DHCP6_DUID_EN 2
#define DHCP6_DUID_LL 3
#define DHCP6_DUID_UUID 4
#define DHCP6_HWTYPE_ETHER 1
/** A DUID's longest length (RFC 8415 11.1: 128 bytes after its type). */
#define DHCP6_DUID_MAX 130

/** Lengths of fixed parts. */
#define DHCP6_HLEN 4
#define DHCP6_OPT_HLEN 4
#define DHCP6_IA_NA_LEN 12
#define DHCP6_IAADDR_LEN 24

/**
 * struct wire_dhcp6 - a client-server message's header
 * @type: DHCP6_SOLICIT, ...
 * @xid: the transaction id
 */
struct wire_dhcp6 {
	uint8_t type;
	uint8_t xid[3];
} __attribute__((packed));

/**
 * struct wire_dhcp6_opt - an option's header
 * @code: DHCP6_OPT_* (network order)
 * @len: bytes of data that follow (network order)
 */
struct wire_dhcp6_opt {
	uint16_t code;
	uint16_t len;
} __attribute__((packed));

/**
 * struct wire_dhcp6_ia_na - the fixed part of an IA_NA option's data
 * @iaid: the identity association's id
 * @t1: when the client renews, seconds
 * @t2: when it rebinds, seconds
 */
struct wire_dhcp6_ia_na {
	uint32_t iaid;
	uint32_t t1;
	uint32_t t2;
} __attribute__((packed));

/**
 * struct wire_dhcp6_iaaddr - the fixed part of an IAADDR option's data
 * @addr: the address
 * @preferred: preferred lifetime, seconds
 * @valid: valid lifetime, seconds
 */
struct wire_dhcp6_iaaddr {
	uint8_t addr[16];
	uint32_t preferred;
	uint32_t valid;
} __attribute__((packed));

_Static_assert(sizeof(struct wire_dhcp6) == DHCP6_HLEN, "DHCPv6 header");
_Static_assert(sizeof(struct wire_dhcp6_opt) == DHCP6_OPT_HLEN,
	       "DHCPv6 option header");
_Static_assert(sizeof(struct wire_dhcp6_ia_na) == DHCP6_IA_NA_LEN, "IA_NA");
_Static_assert(sizeof(struct wire_dhcp6_iaaddr) == DHCP6_IAADDR_LEN, "IAADDR");

#endif /* USERNET_WIRE_DHCP6_PROTO_H */
