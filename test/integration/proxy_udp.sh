#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The NAT proxy's UDP and ICMP echo: request and response to an echo server
# on the host's loopback (through 10.0.2.2) and in a "world" namespace; a
# 60000-byte datagram from a guest on a 1500-byte MTU goes out whole and its
# echo comes back whole (lwIP reassembles and fragments); the flow shows in
# the SIGUSR1 flow table; ping to the world works when the host's
# net.ipv4.ping_group_range allows ping sockets, and when it does not, the
# ping fails and usernet warns once.
#
#   namespace "guest"                 host namespace                     namespace "world"
#  +----------------------+  tap  +------------------------------+ veth +----------------------+
#  | unetpN 10.0.2.15/24  |<----->| usernet --mtu 1500           |<---->| unwwN 198.51.100.1   |
#  | mtu 1500             |  MTU  |  -netdev user (10.0.2.2 ->   |      | UDP echo :PORT       |
#  | default via 10.0.2.2 |  1500 |   127.0.0.1), -netdev dump   |      +----------------------+
#  | proxy_peer.py, ping  |       | unwhN 198.51.100.254/24      |
#  +----------------------+       | UDP echo 127.0.0.1:PORT      |
#                                 +------------------------------+
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/proxy_env.sh"
need_root
need_cmd ip ping python3 timeout sysctl tshark

P_ECHO=$((PBASE + 12))
P_WECHO=$((PBASE + 13))
P_GUEST=$((PBASE + 14))
pcap=$TMP/hub.pcap

old_range=$(sysctl -n net.ipv4.ping_group_range | tr '\t' ' ')
CLEANUPS+=("sysctl -q -w net.ipv4.ping_group_range='$old_range'")

make_world
start_usernet "$TMP/usernet.log" --mtu 1500 -netdev user,id=u -netdev dump,id=d,file="$pcap"
attach_guest 1500
ip -n "$GNS" link show "$GTAP" | grep -q 'mtu 1500 ' || fail "the guest's link MTU is not 1500"

peer_serve echo -- udp-echo 127.0.0.1 "$P_ECHO"
peer_serve wecho "${WX[@]}" -- udp-echo "$WORLD" "$P_WECHO"

# udp_echo NAME HOST PORT SIZE [BINDPORT]: one datagram out, the same back.
udp_echo() {
	local name=$1 out
	shift
	out=$(gx timeout 20 "${PEER[@]}" udp "$@" 2>&1)
	if [ "$out" = "echo $3 ok" ]; then
		ok "$name: $3 bytes to $1:$2 and the same $3 back"
	else
		echo "$out"
		fail "$name: $3 bytes to $1:$2: no exact echo"
	fi
}
udp_echo "UDP via $GW to the host's 127.0.0.1" "$GW" "$P_ECHO" 100
udp_echo "UDP to the world" "$WORLD" "$P_WECHO" 100
udp_echo "UDP 60000-byte datagram via $GW, guest MTU 1500" "$GW" "$P_ECHO" 60000
udp_echo "UDP 60000-byte datagram to the world, guest MTU 1500" "$WORLD" "$P_WECHO" 60000

# On the hub the big datagram and its echo went as fragments of at most
# 1500 bytes of IP: the guest fragmented it, usernet reassembled the guest's
# and fragmented the echo.
frags_out=$(tshark -r "$pcap" -Y "ip.src == $GUEST && ip.flags.mf == 1" 2>/dev/null | wc -l)
frags_in=$(tshark -r "$pcap" -Y "ip.dst == $GUEST && ip.flags.mf == 1" 2>/dev/null | wc -l)
biggest=$(tshark -r "$pcap" -Y ip -T fields -e ip.len 2>/dev/null | sort -n | tail -n 1)
if [ "$frags_out" -ge 40 ] && [ "$frags_in" -ge 40 ] && [ "${biggest:-99999}" -le 1500 ]; then
	ok "pcap: the 60000-byte datagrams crossed the hub as fragments ($frags_out out, $frags_in in, largest IP packet $biggest)"
else
	fail "pcap: $frags_out fragments out, $frags_in in, largest IP packet $biggest (expected >= 40, >= 40, <= 1500)"
fi

# One guest port to two destinations (one flow, keyed by the guest's port):
# each answer comes back from the address the guest sent to.
udp_echo "UDP from guest port $P_GUEST to the host" "$GW" "$P_ECHO" 10 "$P_GUEST"
udp_echo "UDP from guest port $P_GUEST to the world" "$WORLD" "$P_WECHO" 10 "$P_GUEST"

# The flow table (SIGUSR1) shows the guest's UDP flow from its own port (a
# UDP flow is keyed by the guest's address and port alone).
flow_shown() {
	kill -USR1 "$UPID"
	sleep 0.3
	grep -qE "^ +udp +out +$GUEST:$P_GUEST +" "$ULOG"
}
if wait_until 5 flow_shown; then
	ok "SIGUSR1: the flow table shows $(grep -E "^ +udp +out +$GUEST:$P_GUEST " "$ULOG" | tail -n 1 | tr -s ' ')"
else
	sed -n '/flow table/,/proxy:/p' "$ULOG" | tail -n 20
	fail "SIGUSR1: no udp line for $GUEST:$P_GUEST in the flow table"
fi
# ... with the UDP flows beside their cap, and the heap in use beside RSS
# (0 under AddressSanitizer, whose allocator mallinfo2() does not see).
line=$(grep -E '^usernet: proxy: flows [0-9]+ \(tcp [0-9]+ of [0-9]+, udp [1-9][0-9]* of [1-9][0-9]*, ' "$ULOG" | tail -n 1)
mem=$(grep -E '^usernet: memory: rss [1-9][0-9]* KiB; heap in use [0-9]+ KiB' "$ULOG" | tail -n 1)
[ -n "$line" ] && [ -n "$mem" ] && ok "SIGUSR1: flows per protocol and cap; $mem" ||
	{ grep -E '^usernet: (proxy|memory):' "$ULOG"; fail "SIGUSR1: no per-protocol flows or memory line"; }

# ICMP echo to the world through the host's ping sockets.
WARN='refuses ICMP echo sockets'
sysctl -q -w net.ipv4.ping_group_range="0 2147483647"
if gx timeout 20 ping -c 3 -i 0.2 -W 2 "$WORLD" >"$TMP/ping.ok" 2>&1 && grep -q '3 received' "$TMP/ping.ok"; then
	ok "ping_group_range '0 2147483647': ping $WORLD from the guest, 3 of 3 answered"
else
	cat "$TMP/ping.ok"
	fail "ping_group_range '0 2147483647': ping $WORLD from the guest"
fi
sysctl -q -w net.ipv4.ping_group_range="1 0"
for i in 1 2; do
	if gx timeout 20 ping -c 2 -i 0.2 -W 1 "$WORLD" >"$TMP/ping.no$i" 2>&1; then
		fail "ping_group_range '1 0': ping $WORLD (run $i) was answered"
	else
		ok "ping_group_range '1 0': ping $WORLD (run $i) gets no answer"
	fi
done
n=$(grep -c "$WARN" "$ULOG")
if [ "$n" = 1 ]; then
	ok "usernet warned once: $(grep "$WARN" "$ULOG" | cut -c1-120)..."
else
	grep -i 'icmp' "$ULOG"
	fail "usernet logged '$WARN' $n times, expected once"
fi
if gx timeout 20 ping -c 2 -i 0.2 -W 2 "$GW" >"$TMP/ping.gw" 2>&1 && grep -q '2 received' "$TMP/ping.gw"; then
	ok "ping_group_range '1 0': ping $GW (the gateway itself) still answered"
else
	fail "ping_group_range '1 0': ping $GW"
fi
sysctl -q -w net.ipv4.ping_group_range="$old_range"

stop_usernet
finish
