/* SPDX-License-Identifier: MIT */
/*
 * The cursor moved to the ground floor, hub/wire/cursor.h, so that the
 * hub's own attachments (vxlan.c) parse with it too; this stays for the
 * files of stack/ and proxy/ that include it by its old name.
 */
#ifndef USERNET_STACK_CURSOR_H
#define USERNET_STACK_CURSOR_H

#include "hub/wire/cursor.h"

#endif /* USERNET_STACK_CURSOR_H */
