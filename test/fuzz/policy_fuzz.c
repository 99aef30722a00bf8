/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer target of the egress policy (proxy/policy.c): the parser and
 * the matcher. The input is a policy's text; when it parses, a few flows
 * made from its own bytes (both families, every protocol, half of them
 * with a name from its last bytes for the name rules) are matched
 * against it. Whatever the text holds, the parser stays inside it (the
 * sanitizers watch), a failure says "name:line:", a success holds at most
 * UNET_POLICY_RULES_MAX rules, and the matcher names a rule that exists.
 */
#include <assert.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>

#include <usernet/policy.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP,
				      IPPROTO_ICMPV6 };
	struct unet_policy *p = NULL;
	struct unet_flow_desc d;
	char err[128], name[64];
	size_t i;
	int rule;

	if (unet_policy_parse((const char *)data, size, "f", &p, err,
			      sizeof(err)) < 0) {
		assert(p == NULL);
		assert(strncmp(err, "f:", 2) == 0);
		return 0;
	}
	assert(unet_policy_rules(p) <= UNET_POLICY_RULES_MAX);
	for (i = 0; i < 8; i++) {
		memset(&d, 0, sizeof(d));
		d.proto = protos[i % 4];
		d.family = i < 4 ? AF_INET : AF_INET6;
		if (size >= 18) {
			memcpy(&d.dst, data + i, 4);
			memcpy(&d.dst6, data + i % 2, 16);
			d.port = (uint16_t)(data[i] << 8 | data[i + 1]);
		}
		/* Half the flows carry a name made of the input's tail. */
		if (i % 2 == 1) {
			size_t n = size < sizeof(name) - 1 ? size :
							     sizeof(name) - 1;

			memcpy(name, data + size - n, n);
			name[n] = '\0';
			d.name = name;
		}
		(void)unet_policy_match(p, &d, &rule);
		assert(rule >= -1 && rule < (int)unet_policy_rules(p));
	}
	unet_policy_free(p);
	return 0;
}
