/* SPDX-License-Identifier: MIT */
/* libFuzzer target: the -netdev option parser, on any string. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "netdev.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct netdev nd;
	char err[256];
	char *s;

	s = malloc(size + 1);
	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	netdev_parse(s, &nd, err, sizeof(err));
	free(s);
	return 0;
}
