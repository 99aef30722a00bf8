/* SPDX-License-Identifier: MIT */
/*
 * jsonreply: the one way the API socket (apisock.c) and the control socket
 * (control.c) turn a reply built with jansson into the bytes they send.
 */
#ifndef USERNET_TOOLS_JSONREPLY_H
#define USERNET_TOOLS_JSONREPLY_H

#include <stddef.h>

#include <jansson.h>

/**
 * jsonreply_take() - serialize a reply compactly and drop it
 * @v: the reply (a new reference, consumed), or NULL when building it ran
 *	out of memory
 *
 * Return: the reply's compact JSON text (slirp4netns's form: no spaces),
 * to free(); NULL when @v was NULL or memory ran out.
 */
static inline char *jsonreply_take(json_t *v)
{
	char *s;

	if (v == NULL)
		return NULL;
	s = json_dumps(v, JSON_COMPACT);
	json_decref(v);
	return s;
}

#endif /* USERNET_TOOLS_JSONREPLY_H */
