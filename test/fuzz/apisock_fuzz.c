/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target: the API socket's protocol (tools/apisock.c), on any
 * bytes, with a fake proxy that takes every forward: each input is a
 * sequence of requests separated by NUL bytes, answered in order against
 * one state, so adds, lists and removes meet.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apisock.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_add(void *opaque, struct unet_fwd *fwd)
{
	return ntohs(fwd->host_port) % 7 == 0 ? -98 : 0;
}

static int fuzz_remove(void *opaque, const struct unet_fwd *fwd)
{
	return 0;
}

static const struct apisock_ops fuzz_ops = {
	.add = fuzz_add,
	.remove = fuzz_remove,
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct apisock_info info = { .mtu = 1500 };
	const char *p = (const char *)data, *end = p + size, *nul;
	struct apisock a;
	char *reply;

	inet_pton(AF_INET, "10.0.2.100", &info.guest);
	apisock_init(&a, &fuzz_ops, NULL, &info);
	while (p <= end) {
		nul = memchr(p, '\0', (size_t)(end - p));
		if (nul == NULL)
			nul = end;
		reply = apisock_handle(&a, p, (size_t)(nul - p));
		free(reply);
		p = nul + 1;
	}
	apisock_close(&a);
	return 0;
}
