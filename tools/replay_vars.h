/* SPDX-License-Identifier: MIT */
/*
 * replay_vars: the variables of a replay script. `serve` and `expect ...
 * save NAME=FIELD` set them; every word of a step is expanded before use:
 * $NAME becomes its value, and $NAME+N / $NAME-N add to a numeric value
 * modulo 2^32 (as sequence numbers do).
 */
#ifndef USERNET_TOOLS_REPLAY_VARS_H
#define USERNET_TOOLS_REPLAY_VARS_H

#include <stddef.h>

/* Variables a script may set, and the size of a name and a value. */
#define REPLAY_VARS_MAX 256
#define REPLAY_VAR_NAME 32
#define REPLAY_VAR_VALUE 64

/**
 * struct replay_vars - a script's variables; all zero is none
 * @v: the variables, in the order they were first set
 * @v.name: a variable's name
 * @v.value: its value (cut to REPLAY_VAR_VALUE - 1 bytes)
 * @n: how many of @v are used
 */
struct replay_vars {
	struct {
		char name[REPLAY_VAR_NAME];
		char value[REPLAY_VAR_VALUE];
	} v[REPLAY_VARS_MAX];
	int n;
};

int replay_vars_set(struct replay_vars *vars, const char *name,
		    const char *value);
const char *replay_vars_get(const struct replay_vars *vars, const char *name);
int replay_vars_expand(const struct replay_vars *vars, const char *in,
		       char *out, size_t cap, char *err, size_t errlen);

#endif /* USERNET_TOOLS_REPLAY_VARS_H */
