/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target of resolv.conf's line reader (stack/dns_conf.c), called
 * directly, no stack: each input, cut at 511 bytes and at its first NUL, is
 * one line of the file (as unet__dns_resolv_read() reads them).
 *
 *   - a nameserver (1) is IPv4 or IPv6 with port 53, and only a link-local
 *     IPv6 one has a scope, which it must have;
 *   - unet__dns_addr_str() of it fits its buffer and names its port;
 *   - the reader never writes past the line.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns_conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_LINE_MAX 511

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *line, str[UNET__DNS_ADDR_STRLEN];
	union unet__dns_sa sa;
	bool ll;
	int kind;

	if (size > FUZZ_LINE_MAX)
		size = FUZZ_LINE_MAX;
	/* Exactly the line and its NUL, so that ASan sees any overrun. */
	line = malloc(size + 1);
	if (line == NULL)
		return 0;
	memcpy(line, data, size);
	line[size] = '\0';
	kind = unet__dns_resolv_line(line, &sa);
	free(line);
	assert(kind >= 0 && kind <= 2);
	if (kind != 1)
		return 0;
	if (sa.sa.sa_family == AF_INET) {
		assert(ntohs(sa.in.sin_port) == 53);
	} else {
		assert(sa.sa.sa_family == AF_INET6);
		assert(ntohs(sa.in6.sin6_port) == 53);
		ll = sa.in6.sin6_addr.s6_addr[0] == 0xfe &&
		     (sa.in6.sin6_addr.s6_addr[1] & 0xc0) == 0x80;
		assert(ll == (sa.in6.sin6_scope_id != 0));
	}
	unet__dns_addr_str(&sa, str, sizeof(str));
	assert(strlen(str) < sizeof(str) - 1);
	assert(strstr(str, ":53") != NULL);
	return 0;
}
