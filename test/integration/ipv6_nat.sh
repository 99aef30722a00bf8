#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The NAT proxy over IPv6, with the Linux kernel as the guest and as every
# host peer: curl -6 to an HTTP server on the host's ::1 through the
# gateway's fec0::2 and to a "world" namespace's 2001:db8:1::1, 256 MiB
# byte-exact each way to each; a UDP echo over IPv6 (socat) to both; ping -6
# to the world through ping sockets; an unreachable destination answered
# with ICMPv6; hostfwd= with IPv6 on the host side, on the guest side and
# both, reached with curl from the host; loopback=off refuses ::1 through
# the gateway and restrict=on refuses everything, as for IPv4. The guest has
# a static address (fec0::15/64, default route via fec0::2): router
# advertisements are another test's.
#
#   namespace "guest"                 host namespace                        namespace "world"
#  +-------------------------+  tap  +--------------------------------+ veth +--------------------------+
#  | unetpN fec0::15/64      |<----->| usernet -netdev user           |<---->| unwwN 2001:db8:1::1/64   |
#  | default via fec0::2     |       |  fec0::2 -> ::1                |      | http_updown.py, socat    |
#  | curl -6, socat, ping -6 |       | unwhN 2001:db8:1::fe/64        |      +--------------------------+
#  | http.server [::]:PORT   |       | 2001:db8::/32 via 2001:db8:1::1|
#  +-------------------------+       | http_updown.py, socat on ::1   |
#                                    +--------------------------------+
#
# The host routes 2001:db8::/32 to the world namespace, which has no route
# beyond its own /64: 2001:db8:ffff::1 is unreachable, and the world says so
# with ICMPv6, all inside the test's namespaces.
#
# Environment: BIG_MB (256) MiB for each bulk transfer.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/proxy_env.sh"
need_root
need_cmd ip ping curl python3 sha256sum timeout socat sysctl

BIG_MB=${BIG_MB:-256}
GUEST6=fec0::15
GW6=fec0::2
WORLD6=2001:db8:1::1
WORLD6_H=2001:db8:1::fe
UNREACH6=2001:db8:ffff::1
P_HTTP=$PBASE
P_WHTTP=$((PBASE + 1))
P_UDP=$((PBASE + 2))
P_WUDP=$((PBASE + 3))
P_GHTTP=$((PBASE + 4))
P_FWD66=$((PBASE + 5))
P_FWD46=$((PBASE + 6))
P_FWD64=$((PBASE + 7))
P_UFWD=$((PBASE + 8))
P_GUDP=$((PBASE + 9))
P_CLOSED=$((PBASE + 10))
UPDOWN=(python3 "$SRCDIR/test/integration/lib/http_updown.py")

[ "$(sysctl -n net.ipv6.conf.all.disable_ipv6)" = 0 ] || skip "IPv6 is turned off on this host"
ip -6 addr show dev lo | grep -q '::1/128' || skip "the host's loopback has no ::1"

# make_world6: the world namespace on a veth pair, IPv6 only; the host
# routes 2001:db8::/32 there.
make_world6() {
	new_netns "$WNS"
	CLEANUPS+=("ip link del $WVETH_H 2>/dev/null")
	ip link add "$WVETH_H" type veth peer name "$WVETH_W" netns "$WNS"
	ip addr add "$WORLD6_H/64" dev "$WVETH_H" nodad
	ip link set "$WVETH_H" up
	ip -6 route add 2001:db8::/32 via "$WORLD6" dev "$WVETH_H"
	ip -n "$WNS" addr add "$WORLD6/64" dev "$WVETH_W" nodad
	ip -n "$WNS" link set "$WVETH_W" up
	wait_for 10 ping -6 -c 1 -W 1 "$WORLD6" || { fail "the host cannot ping the world namespace"; finish; }
}

# attach_guest6: $GTAP into the guest namespace with fec0::15/64 and a
# default route via the gateway; waits until the gateway answers a ping.
attach_guest6() {
	ip netns list | grep -qw "$GNS" || new_netns "$GNS"
	ip link set "$GTAP" netns "$GNS"
	# The gateway's router advertisements would add a SLAAC address, and
	# a reply from a socket bound to :: could leave from it instead of
	# fec0::15: this test's guest keeps its one static address.
	ip netns exec "$GNS" sysctl -qw net.ipv6.conf."$GTAP".accept_ra=0
	ip -n "$GNS" addr add "$GUEST6/64" dev "$GTAP" nodad
	ip -n "$GNS" link set "$GTAP" up
	ip -n "$GNS" -6 route add default via "$GW6"
	if ! wait_for 10 gx ping -6 -c 1 -W 1 "$GW6"; then
		cat "$ULOG"
		fail "the guest cannot ping the gateway's $GW6"
		finish
	fi
}

# updown NAME [PREFIX...] -- ADDR PORT FILE: http_updown.py, ready on return.
updown() {
	local name=$1 pre=()
	shift
	while [ "$1" != -- ]; do pre+=("$1"); shift; done
	shift
	rm -f "$TMP/$name.ready"
	bg "${pre[@]}" "${UPDOWN[@]}" "$@" --ready "$TMP/$name.ready" >"$TMP/$name.log" 2>&1
	wait_for 10 test -e "$TMP/$name.ready" || fail "http server $name ($*) did not start"
}

make_world6
start_usernet "$TMP/usernet.log" -netdev "user,id=u,hostfwd=tcp:[::1]:$P_FWD66-[$GUEST6]:$P_GHTTP,hostfwd=tcp:127.0.0.1:$P_FWD46-[$GUEST6]:$P_GHTTP,hostfwd=tcp:[::1]:$P_FWD64-$GUEST:$P_GHTTP,hostfwd=udp:[::1]:$P_UFWD-[$GUEST6]:$P_GUDP"
attach_guest6
ip -n "$GNS" addr add "$GUEST/24" dev "$GTAP"

head -c "$((BIG_MB * 1048576))" /dev/urandom >"$TMP/big"
want="$((BIG_MB * 1048576)) $(sha256sum "$TMP/big" | cut -d' ' -f1)"
updown host -- ::1 "$P_HTTP" "$TMP/big"
updown world "${WX[@]}" -- "$WORLD6" "$P_WHTTP" "$TMP/big"

# --- curl -6 both ways, to the host's ::1 and to the world ---------------------
# bulk6 LABEL URL: GET of the file and PUT of it, both byte-exact.
bulk6() {
	local label=$1 url=$2 got t0 ms
	t0=$(now_ms)
	got=$(gx timeout 280 curl -6 -sS --max-time 270 "$url" | sha256sum | cut -d' ' -f1)
	ms=$(($(now_ms) - t0))
	if [ "$((BIG_MB * 1048576)) $got" = "$want" ]; then
		ok "$label: curl -6 GET $url: $BIG_MB MiB byte-exact (sha256), ${ms} ms, $((BIG_MB * 1000 / (ms + 1))) MiB/s"
	else
		fail "$label: curl -6 GET $url: sha256 $got, expected ${want#* }"
	fi
	t0=$(now_ms)
	got=$(gx timeout 280 curl -6 -sS --max-time 270 -T "$TMP/big" "$url")
	ms=$(($(now_ms) - t0))
	if [ "$got" = "$want" ]; then
		ok "$label: curl -6 PUT $url: $BIG_MB MiB byte-exact (sha256), ${ms} ms, $((BIG_MB * 1000 / (ms + 1))) MiB/s"
	else
		fail "$label: curl -6 PUT $url: the server got '$got', expected '$want'"
	fi
}
bulk6 "host ::1 through $GW6" "http://[$GW6]:$P_HTTP/big"
bulk6 "world $WORLD6" "http://[$WORLD6]:$P_WHTTP/big"

# --- UDP echo over IPv6 ----------------------------------------------------------
bg socat UDP6-RECVFROM:"$P_UDP",bind=[::1],fork EXEC:cat
bg "${WX[@]}" socat UDP6-RECVFROM:"$P_WUDP",bind="[$WORLD6]",fork EXEC:cat
wait_until 10 sh -c "ss -Hlun | grep -q ':$P_UDP '"
udp_echo() {
	local label=$1 to=$2 got
	got=$(echo "hello $label over IPv6" | gx timeout 10 socat -T 3 - "UDP6:$to")
	if [ "$got" = "hello $label over IPv6" ]; then
		ok "UDP echo over IPv6 to $to ($label)"
	else
		fail "UDP echo over IPv6 to $to ($label): got '$got'"
	fi
}
udp_echo host "[$GW6]:$P_UDP"
udp_echo world "[$WORLD6]:$P_WUDP"

# --- ping -6 through the host's ping sockets ------------------------------------
old_range=$(sysctl -n net.ipv4.ping_group_range | tr '\t' ' ')
CLEANUPS+=("sysctl -q -w net.ipv4.ping_group_range='$old_range'")
sysctl -q -w net.ipv4.ping_group_range="0 2147483647"
if gx timeout 20 ping -6 -c 3 -i 0.2 -W 2 "$WORLD6" >"$TMP/ping6" 2>&1 && grep -q '3 received' "$TMP/ping6"; then
	ok "ping -6 $WORLD6 from the guest: $(grep -o '[0-9]* received' "$TMP/ping6")"
else
	cat "$TMP/ping6"
	fail "ping -6 $WORLD6 from the guest"
fi

# --- refused and unreachable -----------------------------------------------------
# curl_fails6 NAME URL REGEX MAXMS: curl -6 from the guest fails with exit 7,
# its message matching REGEX, within MAXMS milliseconds.
curl_fails6() {
	local name=$1 url=$2 re=$3 maxms=$4 t0 rc ms
	t0=$(now_ms)
	gx timeout 30 curl -6 -v --max-time 20 -o /dev/null "$url" >"$TMP/$name.err" 2>&1
	rc=$?
	ms=$(($(now_ms) - t0))
	if [ "$rc" = 7 ] && grep -qE "$re" "$TMP/$name.err" && [ "$ms" -lt "$maxms" ]; then
		ok "$name: curl -6 $url: exit 7, '$(grep -oE "$re" "$TMP/$name.err" | head -n 1)', ${ms} ms"
	else
		cat "$TMP/$name.err"
		fail "$name: curl -6 $url: exit $rc after ${ms} ms, expected exit 7 matching '$re' in under $maxms ms"
	fi
}
curl_fails6 refused "http://[$GW6]:$P_CLOSED/" "Connection refused" 2000
# The world answers the host's SYN with ICMPv6 no route; the guest gets an
# ICMPv6 destination unreachable from the proxy for its own SYN.
curl_fails6 unreachable "http://[$UNREACH6]:80/" "No route to host|Network is unreachable" 5000

# --- hostfwd= with IPv6 ------------------------------------------------------------
mkdir -p "$TMP/gwww"
echo "guest page" >"$TMP/gwww/index.html"
bg "${GX[@]}" python3 -m http.server "$P_GHTTP" --bind :: --directory "$TMP/gwww" >"$TMP/ghttp.log" 2>&1
wait_until 10 gx curl -sf -o /dev/null "http://[::1]:$P_GHTTP/" || fail "the guest's http.server did not start"
fwd_check() {
	local label=$1 url=$2 got
	got=$(timeout 20 curl -sS --max-time 10 "$url")
	if [ "$got" = "guest page" ]; then
		ok "hostfwd $label: curl $url from the host reaches the guest"
	else
		fail "hostfwd $label: curl $url from the host: got '$got'"
	fi
}
fwd_check "[::1] -> [$GUEST6]" "http://[::1]:$P_FWD66/"
fwd_check "127.0.0.1 -> [$GUEST6]" "http://127.0.0.1:$P_FWD46/"
fwd_check "[::1] -> $GUEST" "http://[::1]:$P_FWD64/"
bg "${GX[@]}" socat UDP6-RECVFROM:"$P_GUDP",fork EXEC:cat
sleep 0.5
got=$(echo "hello guest" | timeout 10 socat -T 3 - "UDP6:[::1]:$P_UFWD")
[ "$got" = "hello guest" ] && ok "hostfwd udp [::1] -> [$GUEST6]: echoed by the guest" ||
	fail "hostfwd udp [::1] -> [$GUEST6]: got '$got'"
check_ulog
stop_usernet

# --- loopback=off: ::1 refused through the gateway, the world still reached ----
start_usernet "$TMP/usernet-lo.log" -netdev user,id=u,loopback=off
attach_guest6
curl_fails6 loopback-off "http://[$GW6]:$P_HTTP/big" "Connection refused" 2000
if gx timeout 30 curl -6 -sS --max-time 20 -o /dev/null -r 0-1023 "http://[$WORLD6]:$P_WHTTP/big"; then
	ok "loopback=off: the world is still reached over IPv6"
else
	fail "loopback=off: the world is not reached over IPv6"
fi
stop_usernet

# --- restrict=on: nothing outside ------------------------------------------------------
start_usernet "$TMP/usernet-restrict.log" -netdev user,id=u,restrict=on
attach_guest6
curl_fails6 restrict-host "http://[$GW6]:$P_HTTP/big" "Connection refused" 2000
curl_fails6 restrict-world "http://[$WORLD6]:$P_WHTTP/big" "Connection refused" 2000
got=$(echo "x" | gx timeout 10 socat -T 2 - "UDP6:[$WORLD6]:$P_WUDP")
[ -z "$got" ] && ok "restrict=on: no UDP echo from the world over IPv6" ||
	fail "restrict=on: UDP over IPv6 reached the world"
stop_usernet
finish
