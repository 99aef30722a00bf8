/* SPDX-License-Identifier: MIT */
#ifndef USERNET_HUB_INTERNAL_H
#define USERNET_HUB_INTERNAL_H

#include <stddef.h>

#include <usernet/hub.h>

#include "wire/util.h"

#endif /* USERNET_HUB_INTERNAL_H */
