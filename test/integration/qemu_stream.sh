#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# QEMU itself as the peer of usernet's stream ports. QEMU runs with no guest
# at all: its hub joins a socket/stream netdev to its own user-mode stack
# (libslirp). usernet has NO stack here: a namespace on usernet's tap gets
# its DHCP lease from QEMU's slirp and fetches a file over HTTP through it
# (10.0.2.2 is the host namespace's 127.0.0.1 to slirp), byte for byte.
#
#   namespace "host" (lo only)
#  +--------------------------------------------------------------------+
#  |  qemu-system-x86_64 -machine none          usernet (no user netdev) |
#  |  +------------------------------+  TCP  +------------------------+ |
#  |  | user (slirp) -- hub 0 -- s0  |<----->| s0 -- hub -- tap t0     | |
#  |  +------------------------------+ or    +------------|-----------+ |
#  |  python3 http.server 127.0.0.1:8080   unix          |             |
#  +-----------------------------------------------------|-------------+
#                             namespace "guest": udhcpc, curl on the tap
#
# Cases: QEMU listens / usernet connects; usernet listens / QEMU connects
# (socket netdev, TCP); QEMU 7.2's stream netdev over a unix socket, each
# side the server once; usernet with offload=on toward QEMU, which never
# answers its hello.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/link.sh"
need_root
need_cmd ip qemu-system-x86_64 busybox curl python3 sha256sum
busybox udhcpc --help >/dev/null 2>&1 || skip "this busybox has no udhcpc applet"

link_setup
http_server "$HOSTNS" 127.0.0.1 8080 || { fail "HTTP server did not start"; finish; }

qemu_case "socket: QEMU listens, usernet connects" qemu \
	socket,id=s0,listen=127.0.0.1:5555 \
	socket,id=s0,connect=127.0.0.1:5555
qemu_case "socket: usernet listens, QEMU connects" usernet \
	socket,id=s0,connect=127.0.0.1:5556 \
	socket,id=s0,listen=127.0.0.1:5556
qemu_case "stream unix: QEMU server, usernet client" qemu \
	stream,id=s0,server=on,addr.type=unix,addr.path="$TMP/q.sock" \
	stream,id=s0,server=off,addr.type=unix,addr.path="$TMP/q.sock"
qemu_case "stream unix: usernet server, QEMU client" usernet \
	stream,id=s0,server=off,addr.type=unix,addr.path="$TMP/u.sock" \
	stream,id=s0,server=on,addr.type=unix,addr.path="$TMP/u.sock"
qemu_case "stream inet: QEMU server, usernet client with reconnect=" qemu \
	stream,id=s0,server=on,addr.type=inet,addr.host=127.0.0.1,addr.port=5557 \
	stream,id=s0,addr.type=inet,addr.host=127.0.0.1,addr.port=5557,reconnect=2
[ -e "$TMP/u.sock" ] && fail "usernet left its unix socket behind"

# offload=on toward QEMU: the hello goes out, QEMU never answers one, so
# usernet sends only plain frames (the namespace's GSO frames cut first).
qemu_case "socket: QEMU listens, usernet connects with offload=on" qemu \
	socket,id=s0,listen=127.0.0.1:5558 \
	socket,id=s0,connect=127.0.0.1:5558,offload=on
grep -q "offering offloads" "$TMP/upid.log" ||
	fail "offload=on: usernet did not offer offloads"
if grep -q "takes offloads" "$TMP/upid.log"; then
	fail "offload=on: usernet took QEMU for a usernet"
else
	ok "offload=on: QEMU sent no hello, usernet sent it plain frames only"
fi

finish
