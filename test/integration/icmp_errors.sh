#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# ICMP and ICMPv6 errors that the host's UDP and ping sockets receive reach
# the guest, as from a router, for IPv4 and IPv6: a connected UDP socket in
# the guest gets ECONNREFUSED from a closed port in the world; a datagram
# larger than a 1280-byte link on the path makes the guest learn the path
# MTU (its socket's IP_MTU / IPV6_MTU) when it set DF (IPv6: always), while
# one without DF is fragmented on the way and arrives; the guest's ping to a
# route the router calls unreachable or prohibited prints the error, and a
# routing loop gives it "Time to live exceeded", and so does a TTL of 1
# (the guest's TTL leaves with its datagram; the gateway is no hop); usernet
# counts what it sent and idles afterwards.
#
#   ns "guest"               ns "host"                  ns "router"                 ns "world"
#  +-----------------+ tap  +---------------------+ veth +------------------+ veth  +------------------+
#  | 10.0.2.15/24    |<---->| usernet             |<---->| 198.18.0.1/24    |<----->| 198.18.1.2/24    |
#  | fec0::15/64     |      |  -netdev user       |      | 2001:db8:1::1/64 | MTU   | 2001:db8:2::2/64 |
#  | python3, ping   |      | 198.18.0.254/24     |      | 198.18.1.1/24    | 1280  | UDP echo, closed |
#  +-----------------+      | 2001:db8:1::fe/64   |      | 2001:db8:2::1/64 |       | ports            |
#                           | 198.18.0.0/15,      |      | unreachable 198.18.3/24, 2001:db8:3::/64 |
#                           | 2001:db8::/32 via   |      | prohibit 198.18.5/24, 2001:db8:5::/64    |
#                           | the router          |      | 198.18.4/24, 2001:db8:4::/64 to the      |
#                           +---------------------+      | world, whose default route is the router:|
#                                                        | a loop (both forward)                    |
#                                                        +------------------------------------------+
#
# usernet runs in a namespace of its own, so that the test's routes and its
# ping_group_range touch nothing of the machine's.
. "$(dirname "$0")/lib/common.sh"
need_root
need_cmd ip ping python3 timeout sysctl

HNS=unet-ih-$TAG
GNS=unet-ig-$TAG
RNS=unet-ir-$TAG
WNS=unet-iw-$TAG
GTAP=uniet$TAG
HR_H=unihr$TAG
HR_R=unirh$TAG
RW_R=unirw$TAG
RW_W=uniwr$TAG
WORLD4=198.18.1.2
WORLD6=2001:db8:2::2
PORT=$((20000 + TAG % 10000))
CLOSED=$((PORT + 1))
UPID=
ULOG=$TMP/usernet.log
GX=(ip netns exec "$GNS")
WX=(ip netns exec "$WNS")
gx() { "${GX[@]}" "$@"; }

[ "$(sysctl -n net.ipv6.conf.all.disable_ipv6)" = 0 ] || skip "IPv6 is turned off on this host"

# --- the namespaces --------------------------------------------------------------
for ns in "$HNS" "$GNS" "$RNS" "$WNS"; do new_netns "$ns"; done
ip -n "$HNS" link add "$HR_H" type veth peer name "$HR_R" netns "$RNS"
ip -n "$RNS" link add "$RW_R" mtu 1280 type veth peer name "$RW_W" netns "$WNS"
ip -n "$WNS" link set "$RW_W" mtu 1280
ip -n "$HNS" addr add 198.18.0.254/24 dev "$HR_H"
ip -n "$HNS" addr add 2001:db8:1::fe/64 dev "$HR_H" nodad
ip -n "$RNS" addr add 198.18.0.1/24 dev "$HR_R"
ip -n "$RNS" addr add 2001:db8:1::1/64 dev "$HR_R" nodad
ip -n "$RNS" addr add 198.18.1.1/24 dev "$RW_R"
ip -n "$RNS" addr add 2001:db8:2::1/64 dev "$RW_R" nodad
ip -n "$WNS" addr add "$WORLD4/24" dev "$RW_W"
ip -n "$WNS" addr add "$WORLD6/64" dev "$RW_W" nodad
for l in "$HNS $HR_H" "$RNS $HR_R" "$RNS $RW_R" "$WNS $RW_W"; do
	set -- $l
	ip -n "$1" link set "$2" up
done
ip -n "$HNS" route add 198.18.0.0/15 via 198.18.0.1
ip -n "$HNS" -6 route add 2001:db8::/32 via 2001:db8:1::1
ip -n "$WNS" route add default via 198.18.1.1
ip -n "$WNS" -6 route add default via 2001:db8:2::1
# The router's refusals and the loop back to the host.
ip -n "$RNS" route add unreachable 198.18.3.0/24
ip -n "$RNS" -6 route add unreachable 2001:db8:3::/64
ip -n "$RNS" route add prohibit 198.18.5.0/24
ip -n "$RNS" -6 route add prohibit 2001:db8:5::/64
ip -n "$RNS" route add 198.18.4.0/24 via "$WORLD4"
ip -n "$RNS" -6 route add 2001:db8:4::/64 via "$WORLD6"
for ns in "$RNS" "$WNS"; do
	ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.forwarding=1
done
# Errors from the router and the world come at once, every time.
for ns in "$RNS" "$WNS" "$HNS"; do
	ip netns exec "$ns" sysctl -qw net.ipv4.icmp_ratelimit=0
	ip netns exec "$ns" sysctl -qw net.ipv6.icmp.ratelimit=0
done
# usernet's pings leave through ping sockets, which its namespace allows.
ip netns exec "$HNS" sysctl -qw net.ipv4.ping_group_range="0 2147483647"
wait_for 10 ip netns exec "$HNS" ping -c 1 -W 1 "$WORLD4" ||
	{ fail "the host namespace cannot ping the world"; finish; }
wait_for 10 ip netns exec "$HNS" ping -6 -c 1 -W 1 "$WORLD6" ||
	{ fail "the host namespace cannot ping the world over IPv6"; finish; }

# --- usernet and the guest -------------------------------------------------------
ip netns exec "$HNS" "$USERNET" -netdev user,id=u -netdev tap,id=t,ifname="$GTAP" 2>"$ULOG" &
UPID=$!
PIDS+=("$UPID")
wait_for 10 ip -n "$HNS" link show "$GTAP" || { cat "$ULOG"; fail "usernet did not create $GTAP"; finish; }
guest_static "$HNS" "$GNS" "$GTAP"
wait_for 10 gx ping -c 1 -W 1 "$WORLD4" || { cat "$ULOG"; fail "the guest cannot ping the world"; finish; }
wait_for 10 gx ping -6 -c 1 -W 1 "$WORLD6" || { cat "$ULOG"; fail "the guest cannot ping the world over IPv6"; finish; }

cat >"$TMP/udp.py" <<'EOF'
# udp.py serve ADDR PORT | refused ADDR PORT | pmtu ADDR PORT SIZE
#       | nodf ADDR PORT SIZE
import select, socket, sys, time
IP_MTU_DISCOVER, IP_PMTUDISC_DONT, IP_PMTUDISC_DO, IP_MTU = 10, 0, 2, 14
IPV6_MTU_DISCOVER, IPV6_PMTUDISC_DO, IPV6_MTU = 23, 2, 24
mode, addr, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
v6 = ":" in addr
s = socket.socket(socket.AF_INET6 if v6 else socket.AF_INET, socket.SOCK_DGRAM)
if mode == "serve":
    s.bind((addr, port))
    open(sys.argv[4], "w").close()
    while True:
        data, peer = s.recvfrom(65535)
        s.sendto(data, peer)
s.connect((addr, port))
if mode == "refused":
    s.settimeout(1)
    for _ in range(5):
        s.send(b"anyone there?")
        try:
            s.recv(100)
            print("an answer")
            sys.exit(1)
        except ConnectionRefusedError:
            print("ECONNREFUSED")
            sys.exit(0)
        except socket.timeout:
            pass
    print("no error")
    sys.exit(1)
size = int(sys.argv[4])
if mode == "pmtu":
    if v6:
        s.setsockopt(socket.IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_DO)
    else:
        s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DO)
    for _ in range(20):
        try:
            s.send(b"x" * size)
        except OSError as e:
            pass
        time.sleep(0.25)
        mtu = s.getsockopt(socket.IPPROTO_IPV6 if v6 else socket.IPPROTO_IP,
                           IPV6_MTU if v6 else IP_MTU)
        if mtu < 1500:
            print(mtu)
            sys.exit(0)
    print("mtu still", mtu)
    sys.exit(1)
if mode == "nodf":
    s.setsockopt(socket.IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_DONT)
    s.settimeout(1)
    for _ in range(5):
        s.send(b"y" * size)
        try:
            data = s.recv(65535)
        except socket.timeout:
            continue
        print(len(data))
        sys.exit(0 if data == b"y" * size else 1)
    print("no echo")
    sys.exit(1)
EOF

# --- UDP to a closed port: ECONNREFUSED in the guest -------------------------------
for a in "$WORLD4" "$WORLD6"; do
	out=$(gx timeout 20 python3 "$TMP/udp.py" refused "$a" "$CLOSED" 2>&1)
	if [ "$out" = ECONNREFUSED ]; then
		ok "UDP to closed port $a:$CLOSED: the guest's connected socket gets ECONNREFUSED"
	else
		fail "UDP to closed port $a:$CLOSED: the guest's socket says '$out', expected ECONNREFUSED"
	fi
done

# --- a path MTU of 1280 --------------------------------------------------------------
for a in "$WORLD4" "$WORLD6"; do
	out=$(gx timeout 20 python3 "$TMP/udp.py" pmtu "$a" "$CLOSED" 1400 2>&1)
	if [ "$out" = 1280 ]; then
		ok "1428-byte UDP datagram with DF to $a across a 1280-byte link: the guest learns the path MTU 1280"
	else
		fail "1428-byte UDP datagram with DF to $a across a 1280-byte link: the guest's MTU is '$out', expected 1280"
	fi
done
gx ip route get "$WORLD4" | grep -q 'mtu 1280' &&
	ok "the guest's route cache for $WORLD4 holds mtu 1280" ||
	fail "the guest's route cache for $WORLD4 has no mtu 1280: $(gx ip route get "$WORLD4")"
rm -f "$TMP/echo.ready"
"${WX[@]}" python3 "$TMP/udp.py" serve "$WORLD4" "$PORT" "$TMP/echo.ready" &
PIDS+=("$!")
wait_for 10 test -e "$TMP/echo.ready" || fail "the world's UDP echo did not start"
out=$(gx timeout 20 python3 "$TMP/udp.py" nodf "$WORLD4" "$PORT" 1400 2>&1)
if [ "$out" = 1400 ]; then
	ok "a 1428-byte UDP datagram without DF across the 1280-byte link is fragmented on the way and echoed whole"
else
	fail "a 1428-byte UDP datagram without DF: '$out', expected its 1400-byte echo"
fi

# --- ping: unreachable, prohibited, TTL exceeded ----------------------------------
# ping_err ADDR PATTERN LABEL [ping options...]
ping_err() {
	local addr=$1 pat=$2 label=$3 out
	shift 3
	out=$(gx timeout 10 ping "$@" -c 1 -W 3 "$addr" 2>&1)
	if echo "$out" | grep -qiE "$pat"; then
		ok "ping $* $addr ($label): the guest's ping prints '$(echo "$out" | grep -ioE "$pat" | head -1)'"
	else
		fail "ping $* $addr ($label): no '$pat' in: $out"
	fi
}
ping_err 198.18.3.1 'Destination Host Unreachable' "unreachable route"
ping_err 2001:db8:3::1 'Destination unreachable: No route' "unreachable route" -6
ping_err 198.18.5.1 'Packet filtered|prohibited' "prohibit route"
ping_err 2001:db8:5::1 'Administratively prohibited' "prohibit route" -6
ping_err 198.18.4.1 'Time to live exceeded' "routing loop"
ping_err 2001:db8:4::1 'Time exceeded: Hop limit' "routing loop" -6
# The guest's TTL leaves with its datagram: 1 runs out at the router.
ping_err "$WORLD4" 'Time to live exceeded' "TTL 1, the router one hop away" -t 1
ping_err "$WORLD6" 'Time exceeded: Hop limit' "hop limit 1, the router one hop away" -6 -t 1
out=$(gx timeout 10 ping -c 1 -W 3 -t 2 "$WORLD4" 2>&1)
echo "$out" | grep -q ' 0% packet loss' &&
	ok "ping -t 2 $WORLD4: the world, two hops away, answers" ||
	fail "ping -t 2 $WORLD4: no answer from the world two hops away: $out"

# --- the counters -------------------------------------------------------------------
kill -USR1 "$UPID"
wait_for 5 grep -q 'icmp errors' "$ULOG"
line=$(grep -o 'icmp errors.*' "$ULOG" | tail -1)
v4=$(echo "$line" | sed -n 's/.*sent v4 \([0-9]*\).*/\1/p')
v6=$(echo "$line" | sed -n 's/.*v6 \([0-9]*\).*/\1/p')
pmtu=$(echo "$line" | sed -n 's/.*pmtu \([0-9]*\).*/\1/p')
if [ "${v4:-0}" -ge 5 ] && [ "${v6:-0}" -ge 5 ] && [ "${pmtu:-0}" -ge 2 ]; then
	ok "usernet counts the errors it sent: $line"
else
	fail "usernet's counters: '$line', expected at least 5 ICMP, 5 ICMPv6 and 2 path MTU errors"
fi

# An error queue left unread would keep the sockets readable: usernet spins.
cpu() { awk '{ print $14 + $15 }' "/proc/$UPID/stat"; }
c0=$(cpu)
sleep 2
c1=$(cpu)
if [ $((c1 - c0)) -le 20 ]; then
	ok "usernet idles after the errors: $((c1 - c0)) CPU ticks in 2 s"
else
	fail "usernet spins after the errors: $((c1 - c0)) CPU ticks in 2 s"
fi

stop_pid "$UPID" TERM || fail "usernet did not exit 0 on SIGTERM"
if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error:' "$ULOG"; then
	grep -E -A20 'AddressSanitizer|LeakSanitizer|runtime error:' "$ULOG" | head -40
	fail "usernet's log has a sanitizer report"
fi
finish
