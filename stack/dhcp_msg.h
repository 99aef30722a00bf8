/* SPDX-License-Identifier: MIT */
/*
 * A client's DHCP or BOOTP message, parsed: the fixed part and the options
 * the server looks at. A pure function over caller-given bytes; the server,
 * its unit test and its fuzz target share it.
 */
#ifndef USERNET_STACK_DHCP_MSG_H
#define USERNET_STACK_DHCP_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wire/dhcp_proto.h"

/**
 * struct unet__dhcp_msg - a client's message, parsed
 * @len: its length
 * @fixed: its fixed part (xid, chaddr, sname, file ...)
 * @flags: the flags field
 * @ciaddr: the client's address, 0 when it has none
 * @giaddr: the relay's address
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
 * Pointers point into the parsed bytes; addresses are in network order.
 * The first instance of an option counts; later ones are ignored.
 */
struct unet__dhcp_msg {
	size_t len;
	const struct wire_dhcp *fixed;
	uint16_t flags;
	uint32_t ciaddr;
	uint32_t giaddr;
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

int unet__dhcp_msg_parse(const uint8_t *buf, size_t len,
			 struct unet__dhcp_msg *m, const char **why);

#endif /* USERNET_STACK_DHCP_MSG_H */
