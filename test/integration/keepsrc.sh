#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# keepsrc=on: forwards keep the client's source. A client in a "world"
# namespace reaches TCP and UDP forwards (IPv4 and IPv6) on the host; the
# guest's server prints the peer it sees and answers with it, so the
# client reads back the address and port the guest saw: its own, with the
# exact source port socat bound. The guest's answers go to its default
# route, the gateway, and back to the client (UDP proves it datagram by
# datagram). A client on the host's loopback, which the guest could not
# answer, shows as the gateway (10.0.2.2, fec0::2); without keepsrc every
# client does, as before.
#
#   namespace "world"           host namespace                         namespace "guest"
#  +---------------------+ veth +--------------------------------+ tap +------------------------+
#  | 198.18.N.1/24       |<---->| 198.18.N.254/24, 2001:db8:N::fe |<--->| unetpN 10.0.2.15/24    |
#  | 2001:db8:N::1/64    |      | usernet keepsrc=on              |     |   fec0::15/64          |
#  | socat clients       |      |  hostfwd tcp/udp :P  -> 10.0.2.15|    | default via the gateway|
#  +---------------------+      |  hostfwd tcp/udp [::]:P6 -> fec0::15| | peer_log.py :GP        |
#                               | socat clients on 127.0.0.1, ::1 |     +------------------------+
#                               +--------------------------------+
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/proxy_env.sh"
need_root
need_cmd ip socat python3 sysctl

N=$((100 + TAG % 100))
W4=198.18.$N.1
H4=198.18.$N.254
W6=2001:db8:$N::1
H6=2001:db8:$N::fe
GUEST6=fec0::15
GP=$PBASE
P=$((PBASE + 1))
P6=$((PBASE + 2))
CP=$((PBASE + 3))
LOGPEER=(python3 "$SRCDIR/test/integration/lib/peer_log.py")

[ "$(sysctl -n net.ipv6.conf.all.disable_ipv6)" = 0 ] || skip "IPv6 is turned off on this host"

new_netns "$WNS"
CLEANUPS+=("ip link del $WVETH_H 2>/dev/null")
ip link add "$WVETH_H" type veth peer name "$WVETH_W" netns "$WNS"
ip addr add "$H4/24" dev "$WVETH_H"
ip addr add "$H6/64" dev "$WVETH_H" nodad
ip link set "$WVETH_H" up
ip -n "$WNS" addr add "$W4/24" dev "$WVETH_W"
ip -n "$WNS" addr add "$W6/64" dev "$WVETH_W" nodad
ip -n "$WNS" link set "$WVETH_W" up
wait_for 10 ping -c 1 -W 1 "$W4" || { fail "the host cannot ping the world namespace"; finish; }

FWDS="hostfwd=tcp::$P-$GUEST:$GP,hostfwd=udp::$P-$GUEST:$GP"
FWDS="$FWDS,hostfwd=tcp:[]:$P6-[$GUEST6]:$GP,hostfwd=udp:[]:$P6-[$GUEST6]:$GP"

# guest_up: the guest on the tap with both families and its server.
guest_up() {
	attach_guest
	gx sysctl -qw net.ipv6.conf."$GTAP".accept_ra=0
	ip -n "$GNS" addr add "$GUEST6/64" dev "$GTAP" nodad
	ip -n "$GNS" -6 route add default via fec0::2
	rm -f "$TMP/g.ready"
	bg "${GX[@]}" timeout 120 "${LOGPEER[@]}" --port "$GP" --time 110 --no-icmp --ready "$TMP/g.ready" >"$TMP/guest.log" 2>"$TMP/guest.err"
	GPID=$BGPID
	wait_for 10 test -e "$TMP/g.ready" || { cat "$TMP/guest.err"; fail "the guest's server did not start"; finish; }
}

# seen LABEL WANT CMD...: CMD's first line must be "hello WANT" (address
# and port, or address alone when WANT has no space).
seen() {
	local label=$1 want=$2 got
	shift 2
	got=$("$@" | head -1)
	case "$want" in
	*" "*) [ "$got" = "hello $want" ] ;;
	*) [ "${got% *}" = "hello $want" ] ;;
	esac && ok "$label: the guest saw ${got#hello }" ||
		fail "$label: the guest saw '${got#hello }', want $want"
}

start_usernet "$TMP/usernet.log" -netdev "user,id=u,keepsrc=on,$FWDS"
guest_up
seen "keepsrc, TCP from the world" "$W4 $CP" \
	wx timeout 10 socat -T 5 - "TCP4:$H4:$P,sourceport=$CP" </dev/null
seen "keepsrc, UDP from the world (and its answer back)" "$W4 $((CP + 1))" \
	sh -c "echo x | ${WX[*]} timeout 10 socat -T 3 - UDP4:$H4:$P,sourceport=$((CP + 1))"
# (Other source ports: the IPv4 ones may still be in TIME_WAIT.)
seen "keepsrc, TCP over IPv6 from the world" "$W6 $((CP + 2))" \
	wx timeout 10 socat -T 5 - "TCP6:[$H6]:$P6,sourceport=$((CP + 2))" </dev/null
seen "keepsrc, UDP over IPv6 from the world" "$W6 $((CP + 3))" \
	sh -c "echo x | ${WX[*]} timeout 10 socat -T 3 - UDP6:[$H6]:$P6,sourceport=$((CP + 3))"
# A second datagram of the same UDP flow, and a second TCP connection.
seen "keepsrc, the same UDP client again" "$W4 $((CP + 1))" \
	sh -c "echo y | ${WX[*]} timeout 10 socat -T 3 - UDP4:$H4:$P,sourceport=$((CP + 1))"
seen "keepsrc, another TCP connection" "$W4" \
	wx timeout 10 socat -T 5 - "TCP4:$H4:$P" </dev/null
seen "keepsrc, a client on the host's 127.0.0.1 shows as the gateway" "$GW" \
	timeout 10 socat -T 5 - "TCP4:127.0.0.1:$P" </dev/null
seen "keepsrc, UDP from 127.0.0.1 shows as the gateway" "$GW" \
	sh -c "echo x | timeout 10 socat -T 3 - UDP4:127.0.0.1:$P"
seen "keepsrc, a client on ::1 shows as the gateway's fec0::2" "fec0::2" \
	timeout 10 socat -T 5 - "TCP6:[::1]:$P6" </dev/null
# An IPv4 client of an IPv4 forward to the guest's IPv6 address would be
# another family: covered by the rule, not by a forward here.
n=$(grep -c "^tcp $W4 $CP\$" "$TMP/guest.log")
[ "$n" = 1 ] && ok "the guest's server logged the world's TCP client as $W4:$CP" ||
	fail "the guest's log has $n lines 'tcp $W4 $CP': $(cat "$TMP/guest.log")"
stop_usernet
kill "$GPID" 2>/dev/null

# --- without keepsrc: the gateway, as before ------------------------------------
ULOG=$TMP/usernet0.log
ip netns del "$GNS" 2>/dev/null
start_usernet "$ULOG" -netdev "user,id=u,$FWDS"
guest_up
seen "without keepsrc, TCP from the world shows as the gateway" "$GW" \
	wx timeout 10 socat -T 5 - "TCP4:$H4:$P" </dev/null
seen "without keepsrc, UDP from the world shows as the gateway" "$GW" \
	sh -c "echo x | ${WX[*]} timeout 10 socat -T 3 - UDP4:$H4:$P"
seen "without keepsrc, TCP over IPv6 shows as fec0::2" "fec0::2" \
	wx timeout 10 socat -T 5 - "TCP6:[$H6]:$P6" </dev/null
stop_usernet
finish
