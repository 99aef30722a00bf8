/* SPDX-License-Identifier: MIT */
/*
 * TFTP on the wire: RFC 1350 (the protocol), RFC 2347 (option extension),
 * RFC 2348 (blksize), RFC 2349 (timeout, tsize), RFC 7440 (windowsize).
 *
 * Every packet starts with a 16-bit big-endian opcode:
 *
 *   RRQ/WRQ  | opcode | filename | 0 | mode | 0 | opt | 0 | value | 0 | ...
 *   DATA     | opcode | block # | data (0..blksize bytes)
 *   ACK      | opcode | block #
 *   ERROR    | opcode | error code | message | 0
 *   OACK     | opcode | opt | 0 | value | 0 | ...
 */
#ifndef USERNET_WIRE_TFTP_PROTO_H
#define USERNET_WIRE_TFTP_PROTO_H

/** The server's well-known port. */
#define TFTP_PORT 69

/* Opcodes (RFC 1350, RFC 2347). */
#define TFTP_RRQ 1
#define TFTP_WRQ 2
#define TFTP_DATA 3
#define TFTP_ACK 4
#define TFTP_ERROR 5
#define TFTP_OACK 6

/** Length of the opcode field. */
#define TFTP_OPCODE_LEN 2
/** Length of a DATA or ACK header (opcode and block number). */
#define TFTP_HLEN 4

/* Error codes (RFC 1350, RFC 2347). */
#define TFTP_EUNDEF 0		/* not defined, see the message */
#define TFTP_ENOTFOUND 1	/* file not found */
#define TFTP_EACCESS 2		/* access violation */
#define TFTP_ENOSPACE 3		/* disk full or allocation exceeded */
#define TFTP_EBADOP 4		/* illegal TFTP operation */
#define TFTP_EBADID 5		/* unknown transfer ID */
#define TFTP_EEXISTS 6		/* file already exists */
#define TFTP_ENOUSER 7		/* no such user */
#define TFTP_EOPTNEG 8		/* option negotiation refused */

/* Transfer modes (RFC 1350; compared without regard to case). */
#define TFTP_MODE_OCTET "octet"
#define TFTP_MODE_NETASCII "netascii"

/* Options and their ranges. */
#define TFTP_OPT_BLKSIZE "blksize"	/* RFC 2348 */
#define TFTP_OPT_TSIZE "tsize"		/* RFC 2349 */
#define TFTP_OPT_TIMEOUT "timeout"	/* RFC 2349 */
#define TFTP_OPT_WINDOWSIZE "windowsize" /* RFC 7440 */

/** Block size without the blksize option. */
#define TFTP_BLKSIZE_DEFAULT 512
/** Smallest blksize a client may ask for (RFC 2348). */
#define TFTP_BLKSIZE_MIN 8
/** Largest blksize a client may ask for (RFC 2348). */
#define TFTP_BLKSIZE_MAX 65464
/** Range of the timeout option, in seconds (RFC 2349). */
#define TFTP_TIMEOUT_MIN 1
#define TFTP_TIMEOUT_MAX 255
/** Range of the windowsize option, in blocks (RFC 7440). */
#define TFTP_WINDOWSIZE_MIN 1
#define TFTP_WINDOWSIZE_MAX 65535

/** IPv4 header, UDP header and TFTP header under a DATA block. */
#define TFTP_IP4_OVERHEAD (20 + 8 + TFTP_HLEN)

#endif /* USERNET_WIRE_TFTP_PROTO_H */
