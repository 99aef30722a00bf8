#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# outbound= and outbound6=: every host socket of the NAT proxy binds to the
# given address before it connects or sends. The host has two addresses of
# each family on its veth to a "world" namespace; a server there logs the
# source of every TCP connection, UDP datagram and ping (raw sockets), and
# the guest's TCP, UDP and ping over IPv4 and IPv6 must come from the
# outbound address, not from the address the host's routing would pick (the
# run without outbound= shows that one). The gateway's 10.0.2.2 still
# reaches the host's loopback. An address the host does not have is an
# error at start (exit status 1, the address named). dns-server=off: DHCP
# names no DNS server (busybox udhcpc), 10.0.2.3 answers no query, and
# usernet run leaves the host's resolv.conf to the command.
#
#   namespace "guest"            host namespace                               namespace "world"
#  +----------------------+ tap +--------------------------------------+ veth +-----------------------+
#  | unetpN 10.0.2.15/24  |<--->| usernet outbound=198.18.N.253         |<---->| 198.18.N.1/24         |
#  |        fec0::15/64   |     |         outbound6=2001:db8:N::fd      |      | 2001:db8:N::1/64      |
#  | socat, ping          |     | veth: 198.18.N.254/24 + .253/32       |      | peer_log.py: tcp, udp,|
#  +----------------------+     |       2001:db8:N::fe/64 + ::fd/128    |      |   ping sources        |
#                               | peer_log.py on the host (10.0.2.2)    |      +-----------------------+
#                               +--------------------------------------+
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/proxy_env.sh"
need_root
need_cmd ip ping socat python3 sysctl busybox dig

N=$((100 + TAG % 100))
W4=198.18.$N.1
H4=198.18.$N.254
O4=198.18.$N.253
W6=2001:db8:$N::1
H6=2001:db8:$N::fe
O6=2001:db8:$N::fd
GUEST6=fec0::15
P=$PBASE
PH=$((PBASE + 1))
LOGPEER=(python3 "$SRCDIR/test/integration/lib/peer_log.py")

[ "$(sysctl -n net.ipv6.conf.all.disable_ipv6)" = 0 ] || skip "IPv6 is turned off on this host"
# The proxy's ping sockets need the host's permission.
old_range=$(sysctl -n net.ipv4.ping_group_range | tr '\t' ' ')
CLEANUPS+=("sysctl -q -w net.ipv4.ping_group_range='$old_range'")
sysctl -q -w net.ipv4.ping_group_range="0 2147483647"

new_netns "$WNS"
CLEANUPS+=("ip link del $WVETH_H 2>/dev/null")
ip link add "$WVETH_H" type veth peer name "$WVETH_W" netns "$WNS"
ip addr add "$H4/24" dev "$WVETH_H"
ip addr add "$O4/32" dev "$WVETH_H"
ip addr add "$H6/64" dev "$WVETH_H" nodad
# Deprecated: the routing never picks it as a source by itself.
ip addr add "$O6/128" dev "$WVETH_H" nodad preferred_lft 0
ip link set "$WVETH_H" up
ip -n "$WNS" addr add "$W4/24" dev "$WVETH_W"
ip -n "$WNS" addr add "$W6/64" dev "$WVETH_W" nodad
ip -n "$WNS" link set "$WVETH_W" up
# The world answers the outbound /32 and /128 too: they are on-link there.
ip -n "$WNS" route add "$O4/32" dev "$WVETH_W"
ip -n "$WNS" -6 route add "$O6/128" dev "$WVETH_W"
wait_for 10 ping -c 1 -W 1 "$W4" || { fail "the host cannot ping the world namespace"; finish; }
wait_for 10 ping -6 -c 1 -W 1 "$W6" || { fail "the host cannot ping the world over IPv6"; finish; }

rm -f "$TMP/w.ready" "$TMP/h.ready"
bg "${WX[@]}" timeout 200 "${LOGPEER[@]}" --port "$P" --time 190 --ready "$TMP/w.ready" >"$TMP/world.log" 2>"$TMP/world.err"
bg timeout 200 "${LOGPEER[@]}" --port "$PH" --time 190 --no-icmp --ready "$TMP/h.ready" >"$TMP/host.log" 2>"$TMP/host.err"
wait_for 10 test -e "$TMP/w.ready" || { cat "$TMP/world.err"; fail "the world's server did not start"; finish; }
wait_for 10 test -e "$TMP/h.ready" || { cat "$TMP/host.err"; fail "the host's server did not start"; finish; }

# guest_up: the guest on the tap, 10.0.2.15 and fec0::15 (no SLAAC).
guest_up() {
	attach_guest
	gx sysctl -qw net.ipv6.conf."$GTAP".accept_ra=0
	ip -n "$GNS" addr add "$GUEST6/64" dev "$GTAP" nodad
	ip -n "$GNS" -6 route add default via fec0::2
}

# probe LABEL FAMILY DEST WANT: the guest's TCP, UDP and ping to DEST; the
# world's log must show WANT as the source of each.
probe() {
	local label=$1 fam=$2 dst=$3 want=$4 got u t pre=""
	[ "$fam" = 6 ] && pre=6
	got=$(gx timeout 10 socat -T 5 - "TCP$pre:$dst:$P" </dev/null)
	[ "$fam" = 6 ] && dst=${dst#[} && dst=${dst%]}
	if [ "${got% *}" = "hello $want" ] && grep -q "^tcp $want " "$TMP/world.log"; then
		ok "$label: the guest's TCP reaches the world from $want"
	else
		fail "$label: TCP: the world saw '${got:-nothing}' (want $want); log: $(grep ^tcp "$TMP/world.log" | tail -1)"
	fi
	[ "$fam" = 6 ] && u="UDP6:[$dst]:$P" || u="UDP4:$dst:$P"
	got=$(echo x | gx timeout 10 socat -T 3 - "$u")
	if [ "${got% *}" = "hello $want" ]; then
		ok "$label: the guest's UDP reaches the world from $want"
	else
		fail "$label: UDP: the world saw '${got:-nothing}' (want $want)"
	fi
	t=$(grep -c "^ping $want\$" "$TMP/world.log")
	gx ping -"$fam" -c 1 -W 3 "$dst" >/dev/null ||
		fail "$label: the guest's ping to $dst got no reply $(grep -m1 'ICMP' "$ULOG"; sysctl net.ipv4.ping_group_range)"
	if wait_for 5 sh -c "[ \$(grep -c '^ping $want\$' '$TMP/world.log') -gt $t ]"; then
		ok "$label: the guest's ping reaches the world from $want"
	else
		fail "$label: ping: no echo request from $want in the world's log: $(grep ^ping "$TMP/world.log" | tail -2 | tr '\n' ' ')"
	fi
}

# lease_dns LABEL WANT: a DHCP lease for the guest; its DNS option must be
# WANT ("" for none).
cat >"$TMP/dhcp.sh" <<EOF
#!/bin/sh
[ "\$1" = bound ] && echo "dns=\${dns-}" >"$TMP/lease"
exit 0
EOF
chmod 755 "$TMP/dhcp.sh"
lease_dns() {
	rm -f "$TMP/lease"
	gx timeout 20 busybox udhcpc -i "$GTAP" -n -q -t 5 -T 1 -s "$TMP/dhcp.sh" >/dev/null 2>&1
	if [ "$(cat "$TMP/lease" 2>/dev/null)" = "dns=$2" ]; then
		ok "$1: the DHCP lease names DNS '${2:-none}'"
	else
		fail "$1: the DHCP lease: '$(cat "$TMP/lease" 2>/dev/null)', want dns=$2"
	fi
}

# --- outbound= and outbound6= (and dns-server=off) ----------------------------
start_usernet "$TMP/usernet.log" -netdev "user,id=u,outbound=$O4,outbound6=$O6,dns-server=off"
guest_up
lease_dns "dns-server=off" ""
if gx dig @10.0.2.3 +time=1 +tries=2 +short example.test >/dev/null 2>&1; then
	fail "dns-server=off: 10.0.2.3 still answers DNS"
else
	ok "dns-server=off: 10.0.2.3 answers no DNS query"
fi
probe "outbound=$O4" 4 "$W4" "$O4"
probe "outbound6=$O6" 6 "[$W6]" "$O6"
got=$(gx timeout 10 socat -T 5 - "TCP:$GW:$PH" </dev/null)
if [ "${got% *}" = "hello $O4" ]; then
	ok "10.0.2.2 still reaches the host's loopback, from $O4"
else
	fail "10.0.2.2 to the host's loopback: '${got:-nothing}' (want hello $O4 PORT)"
fi
stop_usernet

# --- without: the routing's choice, so the checks above can fail -------------
start_usernet "$TMP/usernet0.log" -netdev user,id=u
ULOG=$TMP/usernet0.log
ip netns del "$GNS" 2>/dev/null
guest_up
got=$(gx timeout 10 socat -T 5 - "TCP:$W4:$P" </dev/null)
[ "${got% *}" = "hello $H4" ] && ok "without outbound=, TCP comes from the host's primary $H4" ||
	fail "without outbound=: the world saw '${got:-nothing}' (want $H4)"
got=$(gx timeout 10 socat -T 5 - "TCP6:[$W6]:$P" </dev/null)
[ "${got% *}" = "hello $H6" ] && ok "without outbound6=, TCP comes from $H6" ||
	fail "without outbound6=: the world saw '${got:-nothing}' (want $H6)"
lease_dns "dns-server=on (default)" 10.0.2.3
stop_usernet

# --- usernet run with dns-server=off: the host's resolv.conf, unchanged -------
timeout 20 "$USERNET" run -netdev user,id=u,dns-server=off -- cat /etc/resolv.conf >"$TMP/run.resolv" 2>"$TMP/run.err"
if cmp -s "$TMP/run.resolv" /etc/resolv.conf; then
	ok "run with dns-server=off: the command sees the host's resolv.conf"
else
	cat "$TMP/run.err"
	fail "run with dns-server=off: resolv.conf is '$(cat "$TMP/run.resolv")'"
fi

# --- an address the host does not have: an error at start --------------------
for kv in "outbound=198.18.$N.77" "outbound6=2001:db8:$N::77"; do
	timeout 10 "$USERNET" -netdev "user,id=u,$kv" 2>"$TMP/bad.err" &
	pid=$!
	PIDS+=("$pid")
	wait "$pid"
	rc=$?
	addr=${kv#*=}
	if [ "$rc" = 1 ] && grep -q "outbound address $addr: cannot bind" "$TMP/bad.err"; then
		ok "$kv (not the host's): exit status 1, '$(grep -m1 'outbound address' "$TMP/bad.err")'"
	else
		cat "$TMP/bad.err"
		fail "$kv (not the host's): exit status $rc"
	fi
done
finish
