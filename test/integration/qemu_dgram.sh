#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# QEMU itself as the peer of usernet's datagram ports, one frame per
# datagram. QEMU runs with no guest: its hub joins a socket/dgram netdev to
# its own user-mode stack (libslirp). usernet has NO stack here: a namespace
# on usernet's tap gets its DHCP lease from QEMU's slirp and fetches a file
# over HTTP through it, byte for byte.
#
#   namespace "host" (lo only, multicast on, 224.0.0.0/4 via lo)
#  +--------------------------------------------------------------------+
#  |  qemu-system-x86_64 -machine none          usernet (no user netdev) |
#  |  +------------------------------+  UDP  +------------------------+ |
#  |  | user (slirp) -- hub 0 -- s0  |<----->| s0 -- hub -- tap t0     | |
#  |  +------------------------------+ mcast +------------|-----------+ |
#  |  python3 http.server 127.0.0.1:8080   unix dgram    |             |
#  +-----------------------------------------------------|-------------+
#                             namespace "guest": udhcpc, curl on the tap
#
# Cases: socket,udp= with localaddr=; QEMU 7.2's dgram netdev with inet and
# with unix addresses; multicast (socket,mcast= and dgram), where QEMU is
# the bridge between the group and a second usernet (see mcast_case).
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/link.sh"
need_root
need_cmd ip qemu-system-x86_64 busybox curl python3 sha256sum
busybox udhcpc --help >/dev/null 2>&1 || skip "this busybox has no udhcpc applet"

link_setup
http_server "$HOSTNS" 127.0.0.1 8080 || { fail "HTTP server did not start"; finish; }

qemu_case "socket udp: fixed peers" qemu \
	socket,id=s0,udp=127.0.0.1:5563,localaddr=127.0.0.1:5562 \
	socket,id=s0,udp=127.0.0.1:5562,localaddr=127.0.0.1:5563
qemu_case "dgram inet: fixed peers" qemu \
	dgram,id=s0,local.type=inet,local.host=127.0.0.1,local.port=5564,remote.type=inet,remote.host=127.0.0.1,remote.port=5565 \
	dgram,id=s0,local.type=inet,local.host=127.0.0.1,local.port=5565,remote.type=inet,remote.host=127.0.0.1,remote.port=5564
qemu_case "dgram unix: fixed peers" qemu \
	dgram,id=s0,local.type=unix,local.path="$TMP/q.dg",remote.type=unix,remote.path="$TMP/u.dg" \
	dgram,id=s0,local.type=unix,local.path="$TMP/u.dg",remote.type=unix,remote.path="$TMP/q.dg"
[ -e "$TMP/u.dg" ] && fail "usernet left its unix socket behind"

# Multicast. QEMU takes its own looped-back frames in again (it cannot tell
# them from its neighbours'), so its slirp on the same hub would get its own
# packets back; QEMU is therefore the bridge here, not the stack:
#
#   usernet A (user + tap) --mcast group-- QEMU hub --TCP-- usernet B (tap)
#
# B gets its lease from A's stack through QEMU and fetches the blob from the
# host namespace through A's proxy (10.0.2.2:8080). A must not take in its
# own frames when the group loops them back (its stack would see its own
# packets, as QEMU's does).
mcast_case() {
	local name=$1 qnd=$2 und=$3 lease
	local ta=unetma$TAG tb=unetmb$TAG ga=unet-lga-$TAG gb=unet-lgb-$TAG
	start qpid "${QEMU[@]}" -netdev "$qnd" -netdev hubport,id=h0,hubid=0,netdev=s0 \
		-netdev socket,id=s1,listen=127.0.0.1:5570 \
		-netdev hubport,id=h1,hubid=0,netdev=s1
	sleep 0.5
	start apid "$USERNET" -v -netdev user,id=u0 -netdev tap,id=t0,ifname="$ta" -netdev "$und"
	start bpid "$USERNET" -v -netdev tap,id=t0,ifname="$tb" \
		-netdev socket,id=s0,connect=127.0.0.1:5570
	if ! guest "$ga" "$ta" || ! guest "$gb" "$tb"; then
		fail "$name: a tap did not appear"
	elif ! alive "$qpid" qpid || ! alive "$apid" apid || ! alive "$bpid" bpid; then
		fail "$name: a peer exited"
	elif ! lease=$(dhcp "$gb" "$tb"); then
		cat "$TMP/apid.log" "$TMP/bpid.log"
		fail "$name: B got no DHCP lease from A's stack through QEMU"
	elif [ "$lease" != "10.0.2.15 10.0.2.2" ]; then
		fail "$name: lease '$lease', expected 10.0.2.15 via 10.0.2.2"
	elif ! fetch "$gb" http://10.0.2.2:8080/blob; then
		cat "$TMP/apid.log"
		fail "$name: HTTP from B through QEMU's mcast bridge did not return the file"
	else
		ok "$name: B's lease $lease from A across QEMU's group, 4 MiB over HTTP intact"
	fi
	stop_pid "$apid" INT >/dev/null || fail "$name: usernet A did not exit 0"
	stop_pid "$bpid" INT >/dev/null || fail "$name: usernet B did not exit 0"
	stop_pid "$qpid" >/dev/null
	grep -E 'AddressSanitizer|runtime error' "$TMP/apid.log" "$TMP/bpid.log" &&
		fail "$name: sanitizer report"
	ip netns del "$ga" 2>/dev/null
	ip netns del "$gb" 2>/dev/null
}

mcast_case "socket mcast: QEMU bridges usernet's group" \
	socket,id=s0,mcast=239.255.42.1:5560 \
	socket,id=s0,mcast=239.255.42.1:5560
mcast_case "socket mcast with localaddr=" \
	socket,id=s0,mcast=239.255.42.2:5561,localaddr=127.0.0.1 \
	socket,id=s0,mcast=239.255.42.2:5561,localaddr=127.0.0.1
mcast_case "dgram mcast (QEMU 7.2 dgram syntax)" \
	dgram,id=s0,remote.type=inet,remote.host=239.255.42.3,remote.port=5566 \
	dgram,id=s0,remote.type=inet,remote.host=239.255.42.3,remote.port=5566

finish
