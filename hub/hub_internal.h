/* SPDX-License-Identifier: MIT */
#ifndef USERNET_HUB_INTERNAL_H
#define USERNET_HUB_INTERNAL_H

#include <stddef.h>

#include <usernet/hub.h>

#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))
#endif

#endif /* USERNET_HUB_INTERNAL_H */
