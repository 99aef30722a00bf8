/* SPDX-License-Identifier: MIT */
/*
 * replay_vars: a script's variables and the expansion of $NAME in its words
 * (see replay_vars.h).
 *
 * Theory of operation: a fixed table of at most REPLAY_VARS_MAX names, each
 * with a value cut to its buffer; setting a name again replaces its value.
 * Expansion copies a word, replacing each $NAME (letters, digits and '_',
 * at most REPLAY_VAR_NAME - 1 of them) by its value, and $NAME+N or
 * $NAME-N by the value plus or minus N modulo 2^32. Everything is bounded
 * by the caller's buffer: an unknown name, arithmetic on a value that is
 * not a number, or a result that does not fit is an error with a message,
 * never a longer write.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "replay_vars.h"
#include "script.h"

/* Messages are cut to their buffers on purpose. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

static int replay_vars_find(const struct replay_vars *vars, const char *name)
{
	int i;

	for (i = 0; i < vars->n; i++)
		if (strcmp(vars->v[i].name, name) == 0)
			return i;
	return -1;
}

/**
 * replay_vars_set() - set a variable, adding it when new
 * @vars: the variables
 * @name: its name
 * @value: its value, cut to REPLAY_VAR_VALUE - 1 bytes
 *
 * Return: 0, or -ENOSPC when a new name does not fit (the table is full or
 * the name is REPLAY_VAR_NAME bytes or longer).
 */
int replay_vars_set(struct replay_vars *vars, const char *name,
		    const char *value)
{
	int i = replay_vars_find(vars, name);

	if (i < 0) {
		if (vars->n == REPLAY_VARS_MAX ||
		    strlen(name) >= REPLAY_VAR_NAME)
			return -ENOSPC;
		i = vars->n++;
	}
	snprintf(vars->v[i].name, REPLAY_VAR_NAME, "%s", name);
	snprintf(vars->v[i].value, REPLAY_VAR_VALUE, "%s", value);
	return 0;
}

/**
 * replay_vars_get() - a variable's value
 * @vars: the variables
 * @name: its name
 *
 * Return: the value, or NULL when @name is not set.
 */
const char *replay_vars_get(const struct replay_vars *vars, const char *name)
{
	int i = replay_vars_find(vars, name);

	return i >= 0 ? vars->v[i].value : NULL;
}

/**
 * replay_vars_expand() - a word with its variables replaced
 * @vars: the variables
 * @in: the word
 * @out: receives the expanded word
 * @cap: size of @out
 * @err: receives a message on failure
 * @errlen: size of @err
 *
 * Copies @in to @out with each $NAME replaced by its value; $NAME+N and
 * $NAME-N add to a numeric value (modulo 2^32, as sequence numbers do).
 *
 * Return: 0, or -EINVAL for an unknown name, arithmetic on a value that is
 * no number up to 2^32 - 1, or a result longer than @cap - 1.
 */
int replay_vars_expand(const struct replay_vars *vars, const char *in,
		       char *out, size_t cap, char *err, size_t errlen)
{
	size_t o = 0;

	while (*in != '\0') {
		char name[REPLAY_VAR_NAME], val[REPLAY_VAR_VALUE];
		const char *v;
		size_t n = 0;

		if (*in != '$') {
			if (o + 1 >= cap)
				goto too_long;
			out[o++] = *in++;
			continue;
		}
		in++;
		while ((isalnum((unsigned char)*in) || *in == '_') &&
		       n + 1 < sizeof(name))
			name[n++] = *in++;
		name[n] = '\0';
		v = replay_vars_get(vars, name);
		if (v == NULL) {
			snprintf(err, errlen, "$%s is not set", name);
			return -EINVAL;
		}
		snprintf(val, sizeof(val), "%s", v);
		if ((*in == '+' || *in == '-') &&
		    isdigit((unsigned char)in[1])) {
			uint64_t base, delta;
			char *end;

			if (script_parse_u64(val, UINT32_MAX, &base) < 0) {
				snprintf(err, errlen,
					 "$%s (%s) is not a "
					 "number to add to",
					 name, val);
				return -EINVAL;
			}
			delta = strtoull(in + 1, &end, 10);
			base = *in == '+' ? base + delta : base - delta;
			snprintf(val, sizeof(val), "%u", (uint32_t)base);
			in = end;
		}
		n = strlen(val);
		if (o + n >= cap)
			goto too_long;
		memcpy(out + o, val, n);
		o += n;
	}
	out[o] = '\0';
	return 0;
too_long:
	snprintf(err, errlen, "a word is too long once expanded");
	return -EINVAL;
}
