# SPDX-License-Identifier: MIT
# The topology of the proxy tests, sourced after common.sh:
#
#   namespace "guest" ($GNS)          host namespace                       namespace "world" ($WNS)
#  +------------------------+  tap  +-------------------------------+ veth +------------------------+
#  | $GTAP 10.0.2.15/24     |<----->| usernet: hub - gateway 10.0.2.2|<--->| $WVETH_W 198.51.100.1  |
#  | default via 10.0.2.2   |       |   NAT proxy -> host sockets   |      |   servers              |
#  +------------------------+       | $WVETH_H 198.51.100.254/24    |      +------------------------+
#                                   | servers on 127.0.0.1          |
#                                   +-------------------------------+
#
# usernet runs in the host namespace, so its host sockets see the host's
# loopback (10.0.2.2 maps to 127.0.0.1) and the world namespace directly on
# the host's end of the veth pair (TEST-NET-2, nothing forwarded).
#
# Ports are derived from $TAG so that runs never collide: $PBASE + 0..19,
# all in 20000..31999, below Linux's ephemeral range (32768..60999 by
# default): a listener cannot bind a port that a connection usernet made
# earlier still holds in TIME_WAIT, which an ephemeral port may be.

PBASE=$((20000 + TAG % 600 * 20))
GNS=unet-pg-$TAG
WNS=unet-pw-$TAG
GTAP=unetp$TAG
WVETH_H=unwh$TAG
WVETH_W=unww$TAG
GUEST=10.0.2.15
GW=10.0.2.2
WORLD=198.51.100.1
PEER=(python3 "$SRCDIR/test/integration/lib/proxy_peer.py")
UPID=
ULOG=
declare -A PEER_PIDS=()

# gx CMD...: runs CMD in the guest namespace; wx: in the world namespace.
# GX and WX are the same as command prefixes, for bg and peer_serve (a
# function would put a subshell between $! and the process).
GX=(ip netns exec "$GNS")
WX=(ip netns exec "$WNS")
gx() { "${GX[@]}" "$@"; }
wx() { "${WX[@]}" "$@"; }

# now_ms: a monotonic-enough clock in milliseconds.
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# wait_until SECS CMD...: polls CMD (output discarded) until it succeeds,
# for at most SECS seconds of wall time however long each try takes.
wait_until() {
	local end=$(($(now_ms) + $1 * 1000))
	shift
	while [ "$(now_ms)" -lt "$end" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# bg CMD...: starts CMD in the background, tracked in PIDS; its PID in BGPID.
bg() {
	"$@" &
	BGPID=$!
	PIDS+=("$BGPID")
}

# start_usernet LOG [OPTIONS/NETDEVS...]: usernet with the given options plus
# a tap named $GTAP (with the extra keys in $TAP_KEYS, e.g. ",loss=50"),
# stderr to LOG; its PID in UPID. Fails the test and
# finishes when the tap does not appear. With KEEP_LOGS=DIR in the
# environment, LOG is copied into DIR at exit.
start_usernet() {
	ULOG=$1
	shift
	[ -n "${KEEP_LOGS:-}" ] && CLEANUPS+=("cp '$ULOG' '$KEEP_LOGS/' 2>/dev/null")
	"$USERNET" "$@" -netdev tap,id=t,ifname="$GTAP${TAP_KEYS:-}" 2>"$ULOG" &
	UPID=$!
	PIDS+=("$UPID")
	if ! wait_for 10 ip link show "$GTAP"; then
		cat "$ULOG"
		fail "usernet $* did not create $GTAP"
		finish
	fi
}

# attach_guest [MTU]: moves $GTAP into the guest namespace (made on first
# use) as 10.0.2.15/24 with a default route via the gateway; waits until
# the gateway answers a ping.
attach_guest() {
	ip netns list | grep -qw "$GNS" || new_netns "$GNS"
	ip link set "$GTAP" netns "$GNS"
	ip -n "$GNS" addr add "$GUEST/24" dev "$GTAP"
	[ -n "${1:-}" ] && ip -n "$GNS" link set "$GTAP" mtu "$1"
	ip -n "$GNS" link set "$GTAP" up
	ip -n "$GNS" route add default via "$GW"
	if ! wait_for 10 gx ping -c 1 -W 1 "$GW"; then
		cat "$ULOG"
		fail "the guest cannot ping the gateway"
		finish
	fi
}

# stop_usernet: SIGTERM to usernet; checks it exits 0 and its log is free of
# sanitizer reports; waits until its tap is gone from the guest namespace.
stop_usernet() {
	local rc
	stop_pid "$UPID" TERM
	rc=$?
	[ "$rc" = 0 ] || fail "usernet exited $rc on SIGTERM"
	check_ulog
	wait_for 10 sh -c "! ip -n $GNS link show $GTAP" || fail "$GTAP still in $GNS"
	UPID=
}

# check_ulog: fails the test on a sanitizer report or a crash in $ULOG.
check_ulog() {
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:|SUMMARY:' "$ULOG"; then
		grep -E -A20 'AddressSanitizer|LeakSanitizer|runtime error:' "$ULOG" | head -60
		fail "usernet's log has a sanitizer report ($ULOG)"
	fi
}

# make_world: the world namespace, on a veth pair with the host.
make_world() {
	new_netns "$WNS"
	CLEANUPS+=("ip link del $WVETH_H 2>/dev/null")
	ip link add "$WVETH_H" type veth peer name "$WVETH_W" netns "$WNS"
	ip addr add 198.51.100.254/24 dev "$WVETH_H"
	ip link set "$WVETH_H" up
	ip -n "$WNS" addr add "$WORLD/24" dev "$WVETH_W"
	ip -n "$WNS" link set "$WVETH_W" up
	wait_for 10 ping -c 1 -W 1 "$WORLD" || { fail "the host cannot ping the world namespace"; finish; }
}

# peer_serve NAME [PREFIX...] -- ROLE ARGS...: a proxy_peer.py server role,
# optionally in a namespace (PREFIX is "${GX[@]}" or "${WX[@]}"), tracked in
# PIDS and PEER_PIDS[NAME], ready when this returns.
peer_serve() {
	local name=$1 pre=()
	shift
	while [ "$1" != -- ]; do pre+=("$1"); shift; done
	shift
	rm -f "$TMP/$name.ready"
	bg "${pre[@]}" timeout 300 "${PEER[@]}" --ready "$TMP/$name.ready" "$@" \
		>"$TMP/$name.out" 2>"$TMP/$name.err"
	PEER_PIDS[$name]=$BGPID
	wait_for 10 test -e "$TMP/$name.ready" || { cat "$TMP/$name.err"; fail "server $name ($*) did not start"; }
}

# peer_wait NAME [SECS]: waits (bounded, default 60 s) for the server of
# peer_serve NAME to exit; returns its status, its output in $TMP/NAME.out.
peer_wait() {
	local pid=${PEER_PIDS[$1]} secs=${2:-60} i
	for ((i = 0; i < secs * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		echo "server $1 still running after ${secs}s: stopped"
	fi
	wait "$pid"
}

# rss_kb PID: the process's resident set size in KiB.
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
