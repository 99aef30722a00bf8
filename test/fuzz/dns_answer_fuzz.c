/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target of the DNS answer reader (stack/dns_msg.c), for the
 * egress policy's name rules: each input is an upstream's reply read by
 * unet__dns_answer_parse(), and its question names read as text.
 *
 * Whatever the bytes, the reader stays inside them (the sanitizers watch)
 * and ends (no pointer loop); an error leaves the answer empty; a result
 * holds at most UNET_DNS_CHAIN_MAX names, each a host name (lower-case
 * letters, digits, '-', '_' and single dots, 1..253 bytes, no two alike)
 * and at most UNET_DNS_ADDRS_MAX addresses, each of a known family,
 * belonging to 1..n_names names, with a TTL of at most 2^31 - 1.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include "wire/dns_proto.h"

#include "dns_msg.h"
#include "dns_observe.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_name(const char *name)
{
	size_t len = strlen(name), i, label = 0;

	assert(len >= 1 && len <= 253);
	for (i = 0; i < len; i++) {
		char ch = name[i];

		if (ch == '.') {
			assert(label > 0);
			label = 0;
			continue;
		}
		assert((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		       ch == '-' || ch == '_');
		label++;
		assert(label <= 63);
	}
	assert(label > 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct unet_dns_answer ans;
	char name[UNET_DNS_NAME_TEXT];
	unsigned int i, j;
	int r;

	r = unet__dns_answer_parse(data, size, &ans);
	assert(r == 0 || r == -22);
	if (r < 0)
		assert(ans.n_names == 0 && ans.n_addrs == 0);
	assert(ans.n_names <= UNET_DNS_CHAIN_MAX);
	assert(ans.n_addrs <= UNET_DNS_ADDRS_MAX);
	assert(ans.n_addrs == 0 || ans.n_names > 0);
	for (i = 0; i < ans.n_names; i++) {
		check_name(ans.names[i]);
		for (j = 0; j < i; j++)
			assert(strcmp(ans.names[i], ans.names[j]) != 0);
	}
	for (i = 0; i < ans.n_addrs; i++) {
		assert(ans.addrs[i].family == AF_INET ||
		       ans.addrs[i].family == AF_INET6);
		assert(ans.addrs[i].names >= 1 &&
		       ans.addrs[i].names <= ans.n_names);
		assert(ans.addrs[i].ttl <= DNS_TTL_MAX);
	}
	for (i = 0; i < 4; i++) {
		r = unet__dns_question_name(data, size, i, name);
		if (r == 1)
			check_name(name);
		else
			assert(name[0] == '\0');
	}
	return 0;
}
