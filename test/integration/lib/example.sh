# SPDX-License-Identifier: MIT
# Runs an embedding example (tools/examples/tap_nat.c, poll_loop.c) with a
# real guest: the Linux kernel in a namespace on the example's tap gets a
# DHCP lease with busybox udhcpc and fetches a file from a web server on the
# host's loopback through the gateway (http://10.0.2.2:PORT/) with curl.
#
#   namespace unet-exN-TAG             host namespace
#  +----------------------------+ tap +------------------------------------+
#  | unetxTAGN  10.0.2.15 (DHCP)|<--->| EXAMPLE IFNAME: hub - gateway      |
#  | curl http://10.0.2.2:PORT/ |     |   10.0.2.2 - NAT proxy -> sockets  |
#  +----------------------------+     | python3 http.server 127.0.0.1:PORT |
#                                     +------------------------------------+
#
# Sourced after common.sh by test/integration/install.sh, or run by itself
# (ctest's example.* tests):  bash example.sh PROGRAM [NAME]
# which checks one built example the same way. Safe under set -e.

# example_setup: the checks' needs (skips when missing), the web server
# with a 1 MiB file of random bytes, and udhcpc's script.
example_setup() {
	need_root
	need_cmd ip busybox curl python3 sha256sum timeout
	busybox udhcpc --help >/dev/null 2>&1 || skip "this busybox has no udhcpc applet"
	mkdir -p "$TMP/www"
	head -c 1048576 /dev/urandom >"$TMP/www/file.bin"
	EX_SUM=$(sha256sum <"$TMP/www/file.bin" | cut -d' ' -f1)
	# Port 0: the kernel chooses; http.server says which.
	python3 -u -m http.server 0 --bind 127.0.0.1 --directory "$TMP/www" \
		>"$TMP/http.log" 2>&1 &
	PIDS+=("$!")
	if ! wait_for 10 grep -q 'port [0-9]' "$TMP/http.log"; then
		cat "$TMP/http.log"
		fail "python3 http.server did not start"
		finish
	fi
	EX_PORT=$(sed -n 's/.* port \([0-9]*\).*/\1/p' "$TMP/http.log" | head -n 1)
	udhcpc_script "$TMP/udhcpc.sh"
	EX_N=0
}

# example_run NAME PROGRAM [ENV=VALUE...]: runs PROGRAM IFNAME with the
# environment given (env(1) syntax), gives its tap to a new namespace, and
# checks a lease, the download and a clean exit on SIGTERM.
example_run() {
	local name=$1 prog=$2 tap ns pid rc sum ip4
	shift 2
	EX_N=$((EX_N + 1))
	tap=unetx$TAG$EX_N
	ns=unet-ex$EX_N-$TAG
	env "$@" "$prog" "$tap" >"$TMP/$name.log" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	if ! wait_for 10 ip link show "$tap"; then
		cat "$TMP/$name.log"
		fail "$name: no tap $tap after 10 s"
		return
	fi
	new_netns "$ns"
	ip link set "$tap" netns "$ns"
	if ip netns exec "$ns" timeout 30 busybox udhcpc -i "$tap" -q -n -t 5 -T 1 \
		-s "$TMP/udhcpc.sh" >"$TMP/$name.udhcpc" 2>&1; then
		ip4=$(ip -n "$ns" -o -4 addr show dev "$tap" | grep -o 'inet [0-9./]*' || true)
		ok "$name: udhcpc got a lease from the stack ($ip4)"
	else
		cat "$TMP/$name.udhcpc" "$TMP/$name.log"
		fail "$name: udhcpc got no lease"
	fi
	rm -f "$TMP/$name.got"
	if ip netns exec "$ns" timeout 30 curl -sS --max-time 20 \
		-o "$TMP/$name.got" "http://10.0.2.2:$EX_PORT/file.bin"; then
		sum=$(sha256sum <"$TMP/$name.got" | cut -d' ' -f1)
		[ "$sum" = "$EX_SUM" ] &&
			ok "$name: curl http://10.0.2.2:$EX_PORT/file.bin: 1 MiB, sha256 matches" ||
			fail "$name: the file fetched differs (sha256 $sum)"
	else
		fail "$name: curl http://10.0.2.2:$EX_PORT/file.bin failed"
	fi
	stop_pid "$pid" TERM && rc=0 || rc=$?
	if [ "$rc" = 0 ]; then
		ok "$name: SIGTERM: closed down, exit 0"
	else
		cat "$TMP/$name.log"
		fail "$name: SIGTERM: exit status $rc"
	fi
	ip netns del "$ns" 2>/dev/null || true
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	[ $# -ge 1 ] || { echo "usage: $0 PROGRAM [NAME]"; exit 2; }
	set -eu
	. "$(dirname "$0")/common.sh"
	example_setup
	example_run "${2:-$(basename "$1")}" "$1"
	finish
fi
