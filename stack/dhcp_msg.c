/* SPDX-License-Identifier: MIT */
/*
 * A client's DHCP or BOOTP message, parsed (dhcp_msg.h).
 *
 * Theory of operation: the 236-byte fixed part is taken as a struct
 * wire_dhcp, then the magic cookie and the options (code, length, data; 0
 * a one-byte pad, 255 the end), and the options overloaded into the file
 * and sname fields when option 52 says so (file first, then sname: RFC 2131
 * 4.1). Anything short, with an option past the end, without an end
 * option, with a malformed option 53, with another op, htype or hlen, or
 * a bad cookie is refused with a reason. Only the options the server looks
 * at are kept (53, 50, 54, 61, 57, 52), each its first instance; every
 * other option is skipped by its length. Nothing is copied: the result
 * points into the caller's bytes.
 */
#include <errno.h>
#include <string.h>

#include "wire/cursor.h"
#include "wire/util.h"

#include "dhcp_msg.h"

static uint32_t dhcp_msg_addr(const uint8_t *b)
{
	uint32_t a;

	memcpy(&a, b, sizeof(a));
	return a;
}

/* Takes one option the server looks at; later instances are ignored. */
static int dhcp_msg_take_option(struct unet__dhcp_msg *m, uint8_t code,
				const uint8_t *data, size_t len, bool top)
{
	switch (code) {
	case DHCP_OPT_MSG_TYPE:
		if (len != 1)
			return -EINVAL;
		if (m->type == 0)
			m->type = data[0];
		break;
	case DHCP_OPT_REQUESTED_IP:
		if (len == 4 && !m->has_requested) {
			m->has_requested = true;
			m->requested = dhcp_msg_addr(data);
		}
		break;
	case DHCP_OPT_SERVER_ID:
		if (len == 4 && !m->has_server_id) {
			m->has_server_id = true;
			m->server_id = dhcp_msg_addr(data);
		}
		break;
	case DHCP_OPT_CLIENT_ID:
		if (len > 0 && m->client_id == NULL) {
			m->client_id = data;
			m->client_id_len = len;
		}
		break;
	case DHCP_OPT_MAX_MSG_SIZE:
		if (len == 2 && m->max_size == 0)
			m->max_size = unet__get_be16(data);
		break;
	case DHCP_OPT_OVERLOAD:
		/* Only the options field may overload the others. */
		if (top && len == 1 && data[0] >= DHCP_OVERLOAD_FILE &&
		    data[0] <= DHCP_OVERLOAD_BOTH)
			m->overload = data[0];
		break;
	default:
		break;
	}
	return 0;
}

/*
 * Walks the options in @c up to the end option (@top: the options field,
 * else the file or sname field). Return: 0, or -EINVAL when an option runs
 * past the end, the end option is missing or option 53 is malformed.
 */
static int dhcp_msg_options(struct unet_cursor c, struct unet__dhcp_msg *m,
			    bool top)
{
	const uint8_t *data;
	uint8_t code, len;
	int r;

	for (;;) {
		if (!cursor_take_u8(&c, &code))
			return -EINVAL;
		if (code == DHCP_OPT_PAD)
			continue;
		if (code == DHCP_OPT_END)
			return 0;
		if (!cursor_take_u8(&c, &len))
			return -EINVAL;
		data = cursor_take(&c, len);
		if (data == NULL)
			return -EINVAL;
		r = dhcp_msg_take_option(m, code, data, len, top);
		if (r < 0)
			return r;
	}
}

/**
 * unet__dhcp_msg_parse() - parse a client's message
 * @buf: the UDP payload
 * @len: its length
 * @m: receives the message, pointing into @buf
 * @why: receives what was wrong, on failure
 *
 * Return: 0, or -EINVAL with @why set.
 */
int unet__dhcp_msg_parse(const uint8_t *buf, size_t len,
			 struct unet__dhcp_msg *m, const char **why)
{
	static const uint8_t magic[DHCP_COOKIE_LEN] = {
		DHCP_COOKIE0, DHCP_COOKIE1, DHCP_COOKIE2, DHCP_COOKIE3
	};
	struct unet_cursor c = cursor_init(buf, len);
	const struct wire_dhcp *d;
	const uint8_t *cookie;

	memset(m, 0, sizeof(*m));
	m->len = len;
	d = cursor_take_hdr(&c, struct wire_dhcp);
	cookie = cursor_take(&c, DHCP_COOKIE_LEN);
	if (d == NULL || cookie == NULL) {
		*why = "shorter than a BOOTP message with a magic cookie";
		return -EINVAL;
	}
	if (d->op != DHCP_BOOTREQUEST) {
		*why = "not a BOOTREQUEST";
		return -EINVAL;
	}
	if (d->htype != DHCP_HTYPE_ETHER || d->hlen != DHCP_HLEN_ETHER) {
		*why = "not Ethernet (htype 1, hlen 6)";
		return -EINVAL;
	}
	if (memcmp(cookie, magic, sizeof(magic)) != 0) {
		*why = "bad magic cookie";
		return -EINVAL;
	}
	m->fixed = d;
	m->flags = wire_dhcp_flags(d);
	m->ciaddr = d->ciaddr;
	m->giaddr = d->giaddr;
	if (dhcp_msg_options(c, m, true) < 0) {
		*why = "malformed options";
		return -EINVAL;
	}
	/* RFC 2131 4.1: the file field first, then sname. */
	if ((m->overload & DHCP_OVERLOAD_FILE) &&
	    dhcp_msg_options(cursor_init(d->file, sizeof(d->file)), m, false) <
		    0) {
		*why = "malformed options in the file field";
		return -EINVAL;
	}
	if ((m->overload & DHCP_OVERLOAD_SNAME) &&
	    dhcp_msg_options(cursor_init(d->sname, sizeof(d->sname)), m,
			     false) < 0) {
		*why = "malformed options in the sname field";
		return -EINVAL;
	}
	return 0;
}
