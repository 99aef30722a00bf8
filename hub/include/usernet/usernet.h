/* SPDX-License-Identifier: MIT */
/*
 * usernet: every public header at once.
 *
 *   #include <usernet/usernet.h>
 *
 * brings the hub and its port contract (hub.h), the attachments (ports.h:
 * tap, callback, pcap dump, stream, dgram, vde), pcap replay (replay.h), the
 * user-mode gateway (stack.h), the NAT proxy (proxy.h), the RTL8139 device
 * model (rtl8139.h) and the version (version.h). Each may also be included
 * alone. Build flags: pkg-config --cflags --libs usernet, or CMake's
 * find_package(usernet) and the target usernet::usernet.
 */
#ifndef USERNET_USERNET_H
#define USERNET_USERNET_H

#include <usernet/version.h>
#include <usernet/hub.h>
#include <usernet/ports.h>
#include <usernet/replay.h>
#include <usernet/stack.h>
#include <usernet/proxy.h>
#include <usernet/rtl8139.h>

#endif /* USERNET_USERNET_H */
