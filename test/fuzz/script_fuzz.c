// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the replay script parser (tools/script.c), which reads
 * scripts a user hands to `usernet replay`. Every input must parse or fail
 * with a message, without reading out of bounds or leaking; a parsed
 * script's steps must be well formed.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "script.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct script sc;
	char err[256];
	size_t i;
	int r, w;

	r = script_parse((const char *)data, size, &sc, err, sizeof(err));
	if (r < 0) {
		assert(strlen(err) > 0 && strlen(err) < sizeof(err));
		assert(sc.n_steps == 0 && sc.steps == NULL);
		return 0;
	}
	for (i = 0; i < sc.n_steps; i++) {
		const struct script_step *st = &sc.steps[i];

		assert((unsigned int)st->op < SCRIPT_OP_NUM);
		assert(st->nwords >= 1 && st->nwords <= SCRIPT_WORDS_MAX);
		assert(strcmp(st->words[0], script_op_name(st->op)) == 0);
		for (w = 0; w < st->nwords; w++)
			assert(strlen(st->words[w]) <= SCRIPT_LINE_MAX);
		if (st->op == SCRIPT_EXPECT || st->op == SCRIPT_EXPECT_NONE)
			assert(st->filter > 0 && st->filter < st->nwords &&
			       st->count >= 1 && st->count <= SCRIPT_COUNT_MAX &&
			       st->within_ns <= SCRIPT_DURATION_MAX);
		if (st->op == SCRIPT_ADVANCE)
			assert(st->duration_ns <= SCRIPT_DURATION_MAX);
	}
	script_free(&sc);
	return 0;
}
