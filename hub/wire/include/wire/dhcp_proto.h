/* SPDX-License-Identifier: MIT */
/*
 * DHCP and BOOTP on the wire: RFC 951 (BOOTP), RFC 1542 (the broadcast
 * flag), RFC 2131 (DHCP), RFC 2132 (options), RFC 3396 (long options split
 * into several instances), RFC 3397 (the domain search list), RFC 6842
 * (the client identifier echoed in replies).
 *
 * A message is a 236-byte fixed part, the magic cookie 99.130.83.99, then
 * options (code, length, data; 0 is a one-byte pad, 255 the end):
 *
 *   op | htype | hlen | hops | xid (4) | secs (2) | flags (2) |
 *   ciaddr (4) | yiaddr (4) | siaddr (4) | giaddr (4) | chaddr (16) |
 *   sname (64) | file (128) | cookie (4) | options ...
 *
 * Multi-byte fields are big-endian; addresses are in network order.
 */
#ifndef USERNET_WIRE_DHCP_PROTO_H
#define USERNET_WIRE_DHCP_PROTO_H

#include <arpa/inet.h>
#include <stdint.h>

/* UDP ports. */
#define DHCP_SERVER_PORT 67
#define DHCP_CLIENT_PORT 68

/* op */
#define DHCP_BOOTREQUEST 1
#define DHCP_BOOTREPLY 2

/* htype and hlen of Ethernet (the only hardware this server answers). */
#define DHCP_HTYPE_ETHER 1
#define DHCP_HLEN_ETHER 6

/* Lengths of the fields of the fixed part, in order. */
#define DHCP_XID_LEN 4
#define DHCP_CHADDR_LEN 16
#define DHCP_SNAME_LEN 64
#define DHCP_FILE_LEN 128
/** The fixed part, up to and without the magic cookie. */
#define DHCP_FIXED_LEN 236
/** The magic cookie that starts the options (RFC 2131 3). */
#define DHCP_COOKIE_LEN 4
#define DHCP_COOKIE0 99
#define DHCP_COOKIE1 130
#define DHCP_COOKIE2 83
#define DHCP_COOKIE3 99
/** A BOOTP message with its 64-byte vendor area: the smallest reply sent. */
#define DHCP_BOOTP_MIN_LEN 300
/** Messages a client must accept: 576 bytes of IP (RFC 2131 2). */
#define DHCP_MIN_IP_LEN 576

/** The broadcast bit of flags (RFC 1542). */
#define DHCP_FLAG_BROADCAST 0x8000

/* Options (RFC 2132 unless noted). */
#define DHCP_OPT_PAD 0
#define DHCP_OPT_SUBNET_MASK 1
#define DHCP_OPT_ROUTER 3
#define DHCP_OPT_DNS 6
#define DHCP_OPT_HOSTNAME 12
#define DHCP_OPT_DOMAIN_NAME 15
#define DHCP_OPT_MTU 26
#define DHCP_OPT_REQUESTED_IP 50
#define DHCP_OPT_LEASE_TIME 51
#define DHCP_OPT_OVERLOAD 52
#define DHCP_OPT_MSG_TYPE 53
#define DHCP_OPT_SERVER_ID 54
#define DHCP_OPT_PARAM_LIST 55
#define DHCP_OPT_MAX_MSG_SIZE 57
#define DHCP_OPT_T1 58
#define DHCP_OPT_T2 59
#define DHCP_OPT_CLIENT_ID 61
#define DHCP_OPT_TFTP_SERVER 66
#define DHCP_OPT_BOOTFILE 67
#define DHCP_OPT_DOMAIN_SEARCH 119	/* RFC 3397 */
/*
 * iPXE's encapsulated options (iPXE include/ipxe/dhcp.h, DHCP_EB_ENCAP):
 * option 175 holds sub-options in the same code, length, data form.
 * Sub-option 176 (DHCP_EB_NO_PXEDHCP), non-zero, makes iPXE skip the
 * ProxyDHCP wait (about 3 s) and PXE's own options.
 */
#define DHCP_OPT_IPXE_ENCAP 175
#define DHCP_IPXE_NO_PXEDHCP 176
#define DHCP_OPT_END 255

/** Most data bytes in one option instance. */
#define DHCP_OPT_DATA_MAX 255

/* Values of option 52: which fields carry more options. */
#define DHCP_OVERLOAD_FILE 1
#define DHCP_OVERLOAD_SNAME 2
#define DHCP_OVERLOAD_BOTH 3

/* Values of option 53. */
#define DHCP_DISCOVER 1
#define DHCP_OFFER 2
#define DHCP_REQUEST 3
#define DHCP_DECLINE 4
#define DHCP_ACK 5
#define DHCP_NAK 6
#define DHCP_RELEASE 7
#define DHCP_INFORM 8

/**
 * struct wire_dhcp - the fixed part of a BOOTP/DHCP message (RFC 2131)
 * @op: DHCP_BOOTREQUEST or DHCP_BOOTREPLY
 * @htype: hardware type (1, Ethernet)
 * @hlen: hardware address length (6)
 * @hops: relay hops
 * @xid: transaction id, echoed as it came
 * @secs: seconds since the client began (network order)
 * @flags: DHCP_FLAG_BROADCAST (network order)
 * @ciaddr: the client's address, when it has one (network order)
 * @yiaddr: "your" address, offered or acknowledged (network order)
 * @siaddr: the next server (TFTP) (network order)
 * @giaddr: the relay agent (network order)
 * @chaddr: the client's hardware address, padded
 * @sname: server name, or options when overloaded
 * @file: boot file name, or options when overloaded
 */
struct wire_dhcp {
	uint8_t op;
	uint8_t htype;
	uint8_t hlen;
	uint8_t hops;
	uint8_t xid[DHCP_XID_LEN];
	uint16_t secs;
	uint16_t flags;
	uint32_t ciaddr;
	uint32_t yiaddr;
	uint32_t siaddr;
	uint32_t giaddr;
	uint8_t chaddr[DHCP_CHADDR_LEN];
	uint8_t sname[DHCP_SNAME_LEN];
	uint8_t file[DHCP_FILE_LEN];
} __attribute__((packed));

_Static_assert(sizeof(struct wire_dhcp) == DHCP_FIXED_LEN, "DHCP fixed part");

static inline uint16_t wire_dhcp_flags(const struct wire_dhcp *h)
{
	return ntohs(h->flags);
}

#endif /* USERNET_WIRE_DHCP_PROTO_H */
