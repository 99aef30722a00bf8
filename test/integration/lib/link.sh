# SPDX-License-Identifier: MIT
# Helpers of the tests of the link attachments (socket, stream, dgram, vde):
# sourced after common.sh, never run by itself.
#
# Every such test works inside a "host" namespace of its own ($HOSTNS): lo
# up with multicast on and a route for 224.0.0.0/4, so that QEMU, usernet,
# vde_switch and the HTTP servers meet on its loopback and nothing leaves
# it. Guests are further namespaces, each with one tap of a usernet.

HOSTNS=unet-lhost-$TAG

# link_setup: the host namespace, and a file of random bytes to transfer.
link_setup() {
	new_netns "$HOSTNS"
	ip -n "$HOSTNS" link set lo multicast on
	ip -n "$HOSTNS" route add 224.0.0.0/4 dev lo
	mkdir -p "$TMP/www"
	head -c 4194304 /dev/urandom >"$TMP/www/blob"
	BLOB_SUM=$(sha256sum <"$TMP/www/blob" | cut -d' ' -f1)
	# udhcpc's script: configure the interface, record the lease.
	{ echo '#!/bin/sh'; echo "OUT='$TMP'"; } >"$TMP/udhcpc.sh"
	cat >>"$TMP/udhcpc.sh" <<'EOF'
case "$1" in
deconfig)
	ip -4 addr flush dev "$interface"
	ip link set "$interface" up
	;;
bound|renew)
	ip -4 addr flush dev "$interface"
	ip addr add "$ip/$subnet" dev "$interface"
	[ -n "${router-}" ] && ip route replace default via "$router" dev "$interface"
	echo "$ip ${router-}" >"$OUT/lease.$interface"
	;;
esac
exit 0
EOF
	chmod 755 "$TMP/udhcpc.sh"
}

# in_host CMD...: runs CMD in the host namespace (exec: $! is CMD's PID).
in_host() {
	ip netns exec "$HOSTNS" "$@"
}

# http_server NS ADDR PORT: serves $TMP/www from namespace NS, remembered.
http_server() {
	(cd "$TMP/www" && exec ip netns exec "$1" python3 -m http.server \
		--bind "$2" "$3" >/dev/null 2>&1) &
	PIDS+=("$!")
	wait_for 10 ip netns exec "$1" bash -c "exec 3<>/dev/tcp/$2/$3"
}

# guest NS TAP: makes namespace NS (once) and moves TAP there from the host
# namespace, up. Fails when the tap does not appear in time.
guest() {
	local ns=$1 tap=$2
	ip netns list | grep -qw "$ns" || new_netns "$ns"
	wait_for 10 ip -n "$HOSTNS" link show "$tap" || return 1
	ip -n "$HOSTNS" link set "$tap" netns "$ns" || return 1
	ip -n "$ns" link set "$tap" up
}

# dhcp NS TAP: a lease with busybox udhcpc, bounded; prints "ADDR ROUTER".
dhcp() {
	local ns=$1 tap=$2
	rm -f "$TMP/lease.$tap"
	ip netns exec "$ns" timeout 20 busybox udhcpc -f -q -n -i "$tap" \
		-t 8 -T 1 -s "$TMP/udhcpc.sh" >"$TMP/udhcpc.$tap.log" 2>&1 || {
		cat "$TMP/udhcpc.$tap.log"
		return 1
	}
	cat "$TMP/lease.$tap"
}

# fetch NS URL: downloads URL in NS and compares it with the blob.
fetch() {
	local ns=$1 url=$2 sum
	rm -f "$TMP/got"
	ip netns exec "$ns" timeout 30 curl -sS --max-time 25 -o "$TMP/got" "$url" || return 1
	sum=$(sha256sum <"$TMP/got" | cut -d' ' -f1)
	[ "$sum" = "$BLOB_SUM" ]
}

# start NAME CMD...: starts CMD in the host namespace in the background,
# logs to $TMP/NAME.log, remembers its PID in the variable NAME.
start() {
	local name=$1
	shift
	# Not through a shell function: $! must be the process itself
	# (ip netns exec execs CMD in place).
	ip netns exec "$HOSTNS" "$@" >"$TMP/$name.log" 2>&1 &
	PIDS+=("$!")
	printf -v "$name" '%s' "$!"
}

# alive PID NAME: checks that the process still runs; says why not.
alive() {
	kill -0 "$1" 2>/dev/null && return 0
	echo "--- $2 exited early:"
	cat "$TMP/$2.log"
	return 1
}

QEMU=(qemu-system-x86_64 -machine none -nodefaults -display none -no-user-config)
GUEST=unet-lguest-$TAG
n=0

# qemu_case NAME FIRST QEMU_NETDEV USERNET_NETDEV: starts QEMU with no
# guest (QEMU_NETDEV, id s0, on its hub 0 beside its user stack) and usernet
# (USERNET_NETDEV and a tap, no stack), the listening one FIRST ("qemu" or
# "usernet"); a guest namespace on the tap must get a DHCP lease from QEMU's
# stack and fetch the blob over HTTP from the host namespace's 127.0.0.1:8080
# (http_server) through it. Stops both.
qemu_case() {
	local name=$1 first=$2 qnd=$3 und=$4 tap lease
	n=$((n + 1))
	tap=unetq$n$TAG
	local qargs=("${QEMU[@]}" -netdev "$qnd" -netdev hubport,id=h0,hubid=0,netdev=s0
		-netdev user,id=u0 -netdev hubport,id=h1,hubid=0,netdev=u0)
	local uargs=("$USERNET" -v -netdev tap,id=t0,ifname="$tap" -netdev "$und")
	if [ "$first" = qemu ]; then
		start qpid "${qargs[@]}"
		sleep 0.5
		start upid "${uargs[@]}"
	else
		start upid "${uargs[@]}"
		wait_for 10 grep -q "listening on" "$TMP/upid.log"
		start qpid "${qargs[@]}"
	fi
	if ! guest "$GUEST" "$tap"; then
		cat "$TMP/upid.log" "$TMP/qpid.log"
		fail "$name: usernet's tap did not appear"
	elif ! alive "$qpid" qpid || ! alive "$upid" upid; then
		fail "$name: a peer exited"
	elif ! lease=$(dhcp "$GUEST" "$tap"); then
		cat "$TMP/upid.log"
		fail "$name: no DHCP lease from QEMU's stack"
	elif [ "$lease" != "10.0.2.15 10.0.2.2" ]; then
		fail "$name: lease '$lease', expected 10.0.2.15 via 10.0.2.2"
	elif ! fetch "$GUEST" http://10.0.2.2:8080/blob; then
		cat "$TMP/upid.log"
		fail "$name: HTTP through QEMU's stack did not return the file"
	else
		ok "$name: DHCP lease $lease from QEMU's slirp, 4 MiB over HTTP intact"
	fi
	stop_pid "$upid" INT >/dev/null
	local rc=$?
	[ "$rc" = 0 ] || fail "$name: usernet exited $rc on SIGINT"
	grep -E 'ERROR|AddressSanitizer|runtime error' "$TMP/upid.log" && fail "$name: sanitizer report"
	stop_pid "$qpid" >/dev/null
}
