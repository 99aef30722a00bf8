#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Two usernet processes joined by each attachment type, a namespace on each.
# Only A runs a stack: both namespaces get their DHCP lease from it (B's
# across the link), then ping each other and move 4 MiB over HTTP from one
# namespace to the other, compared byte for byte. The TCP and unix stream
# links run once more with offload=on at both ends (usernet's extension):
# the namespaces' GSO frames must cross whole.
#
#   namespace "host" (lo only, multicast on)
#  +------------------------------------------------------------------+
#  |  usernet A                               usernet B               |
#  |  user -- hub -- link port  <---------->  link port -- hub        |
#  |           |       TCP / unix stream / mcast / UDP /   |          |
#  |          tap      unix dgram                          tap        |
#  +-----------|-------------------------------------------|----------+
#      namespace "ga": udhcpc,            namespace "gb": udhcpc, ping,
#      busybox httpd on its lease         curl
#
# The last case is one usernet process with two hubs (hub=1, and a
# hubport), joined through a socket port to itself.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/link.sh"
need_root
need_cmd ip busybox curl python3 sha256sum ping
busybox udhcpc --help >/dev/null 2>&1 || skip "this busybox has no udhcpc applet"
busybox httpd --help >/dev/null 2>&1 || skip "this busybox has no httpd applet"

link_setup
k=0

# check_pair NAME TAPA TAPB: leases, pings, the transfer B <- A.
check_pair() {
	local name=$1 ta=$2 tb=$3 la lb ga=unet-lga-$TAG gb=unet-lgb-$TAG hpid
	if ! guest "$ga" "$ta" || ! guest "$gb" "$tb"; then
		fail "$name: a tap did not appear"
		return
	fi
	if ! la=$(dhcp "$ga" "$ta"); then
		fail "$name: A's namespace got no lease"
		return
	fi
	if ! lb=$(dhcp "$gb" "$tb"); then
		fail "$name: B's namespace got no lease across the link"
		return
	fi
	la=${la%% *}
	lb=${lb%% *}
	if [ "$la" = "$lb" ]; then
		fail "$name: both namespaces got $la"
		return
	fi
	if ip netns exec "$gb" timeout 10 ping -c 3 -i 0.2 -W 2 "$la" >"$TMP/ping" 2>&1 &&
		ip netns exec "$ga" timeout 10 ping -c 3 -i 0.2 -W 2 "$lb" >>"$TMP/ping" 2>&1; then
		:
	else
		cat "$TMP/ping"
		fail "$name: ping between $la and $lb"
		return
	fi
	# busybox httpd: python's http.server would look its address up in
	# the DNS first (getfqdn), which only times out in here.
	ip netns exec "$ga" busybox httpd -f -p "$la:8000" -h "$TMP/www" \
		>/dev/null 2>&1 &
	hpid=$!
	PIDS+=("$hpid")
	wait_for 10 ip netns exec "$ga" bash -c "exec 3<>/dev/tcp/$la/8000"
	if fetch "$gb" "http://$la:8000/blob"; then
		ok "$name: leases $la (A) and $lb (B, across the link), ping both ways, 4 MiB intact"
	else
		fail "$name: the transfer from $la to $lb"
	fi
	kill "$hpid" 2>/dev/null
	wait "$hpid" 2>/dev/null
}

# pair_case NAME NETDEV_A NETDEV_B: A (stack, tap, NETDEV_A) starts first.
pair_case() {
	local name=$1 nda=$2 ndb=$3
	k=$((k + 1))
	local ta=unetpa$k$TAG tb=unetpb$k$TAG
	start apid "$USERNET" -v -netdev user,id=u0 -netdev tap,id=t0,ifname="$ta" -netdev "$nda"
	sleep 0.3
	start bpid "$USERNET" -v -netdev tap,id=t0,ifname="$tb" -netdev "$ndb"
	check_pair "$name" "$ta" "$tb"
	alive "$apid" apid || fail "$name: A exited"
	alive "$bpid" bpid || fail "$name: B exited"
	# B's counters, for check_offload
	kill -USR1 "$bpid"
	wait_for 5 grep -q "^usernet: port s0 " "$TMP/bpid.log"
	stop_pid "$apid" INT >/dev/null || fail "$name: A did not exit 0 on SIGINT"
	stop_pid "$bpid" INT >/dev/null || fail "$name: B did not exit 0 on SIGINT"
	grep -E 'AddressSanitizer|runtime error' "$TMP/apid.log" "$TMP/bpid.log" &&
		fail "$name: sanitizer report"
	ip netns del "unet-lga-$TAG" 2>/dev/null
	ip netns del "unet-lgb-$TAG" 2>/dev/null
}

# check_offload NAME: after a pair_case with offload=on at both ends, both
# took the other's hello, and the frames B's link port got from A (the 4
# MiB download) averaged more than a 1514-byte frame: GSO frames crossed.
check_offload() {
	local f b
	grep -q "takes offloads" "$TMP/apid.log" || fail "$1: A did not take B's hello"
	grep -q "takes offloads" "$TMP/bpid.log" || fail "$1: B did not take A's hello"
	read -r f b < <(grep -E '^usernet: port s0 \(stream\):' "$TMP/bpid.log" | tail -n 1 |
		sed -E 's/.* in ([0-9]+) frames ([0-9]+) bytes.*/\1 \2/')
	if [ -n "${f:-}" ] && [ "$f" -gt 0 ] && [ "$((b / f))" -gt 1514 ]; then
		ok "$1: B's link port took $f frames averaging $((b / f)) bytes"
	else
		fail "$1: no GSO frames crossed (B's link port: ${f:-?} frames, ${b:-?} bytes)"
	fi
}

pair_case "socket TCP (listen/connect)" \
	socket,id=s0,listen=127.0.0.1:5580 socket,id=s0,connect=127.0.0.1:5580
pair_case "stream unix (server/client)" \
	stream,id=s0,server=on,addr.type=unix,addr.path="$TMP/p.sock" \
	stream,id=s0,addr.type=unix,addr.path="$TMP/p.sock"
pair_case "socket TCP, offload=on at both ends" \
	socket,id=s0,listen=127.0.0.1:5584,offload=on \
	socket,id=s0,connect=127.0.0.1:5584,offload=on
check_offload "socket TCP, offload=on"
pair_case "stream unix, offload=on at both ends" \
	stream,id=s0,server=on,addr.type=unix,addr.path="$TMP/o.sock",offload=on \
	stream,id=s0,addr.type=unix,addr.path="$TMP/o.sock",offload=on
check_offload "stream unix, offload=on"
pair_case "socket mcast" \
	socket,id=s0,mcast=239.255.43.1:5581 socket,id=s0,mcast=239.255.43.1:5581
pair_case "socket udp" \
	socket,id=s0,udp=127.0.0.1:5583,localaddr=127.0.0.1:5582 \
	socket,id=s0,udp=127.0.0.1:5582,localaddr=127.0.0.1:5583
pair_case "dgram unix" \
	dgram,id=s0,local.type=unix,local.path="$TMP/a.dg",remote.type=unix,remote.path="$TMP/b.dg" \
	dgram,id=s0,local.type=unix,local.path="$TMP/b.dg",remote.type=unix,remote.path="$TMP/a.dg"

# One process, two hubs: hub 0 has the stack, tap A and a listening socket;
# hub 1 (hub= and a hubport) has tap B and a socket connected to hub 0's.
ta=unetpa0$TAG
tb=unetpb0$TAG
start apid "$USERNET" -v -netdev user,id=u0 -netdev tap,id=ta,ifname="$ta" \
	-netdev socket,id=s0,listen=127.0.0.1:5590 \
	-netdev tap,id=tb,ifname="$tb",hub=1 \
	-netdev socket,id=s1,connect=127.0.0.1:5590 \
	-netdev hubport,id=h1,hubid=1,netdev=s1
check_pair "two hubs in one process" "$ta" "$tb"
kill -USR1 "$apid"
wait_for 5 grep -q "hub 1:" "$TMP/apid.log" || fail "two hubs: SIGUSR1 does not list hub 1"
stop_pid "$apid" INT >/dev/null || fail "two hubs: usernet did not exit 0 on SIGINT"
grep -E 'AddressSanitizer|runtime error' "$TMP/apid.log" && fail "two hubs: sanitizer report"

finish
