#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The gateway's IPv6 services against real peers: the Linux kernel in a
# namespace autoconfigures an address from the router advertisement
# (SLAAC, with its own duplicate address detection) and a default route
# via fe80::2; rdisc6 sees every advertised option (prefix, MTU, RDNSS,
# DNSSL, the O flag); ndisc6 gets the gateway's MAC and the kernel marks it
# a router; ping -6 reaches fec0::2, fec0::3 and fe80::2; dhclient -6 -S
# gets the DNS server and the domain list (stateless DHCPv6); dig asks
# AAAA and A through fec0::3 over UDP and TCP, with dnsmasq on the host's
# ::1 as the upstream. A second usernet with ipv6-dhcp=stateful advertises
# the M flag and dhclient -6 gets fec0::100. `usernet run` gets a SLAAC
# address and fec0::3 in resolv.conf. With ipv6=off there is no RA, no NA
# and no echo.
#
#   namespace "guest" ($ns)           host namespace
#  +-------------------------+  tap  +-------------------------------------+
#  | unetvN  SLAAC fec0::/64 |<----->| usernet -netdev user,dnssearch=..., |
#  | rdisc6 ndisc6 ping -6   |       |   dns-upstream=[::1]:PORT  --UDP/TCP-->
#  | dhclient -6 -S, dig     |       | dnsmasq [::1]:PORT                  |
#  +-------------------------+       |                                     |
#  namespace "stateful" ($ns2)       | usernet #2: ipv6-dhcp=stateful      |
#  +-------------------------+  tap  |                                     |
#  | unetwN  dhclient -6     |<----->|                                     |
#  +-------------------------+       |                                     |
#  namespace "off" ($ns3)            | usernet #3: ipv6=off                |
#  +-------------------------+  tap  |                                     |
#  | unetxN  rdisc6 ndisc6   |<----->|                                     |
#  +-------------------------+       +-------------------------------------+
. "$(dirname "$0")/lib/common.sh"
need_root
need_cmd ip ping rdisc6 ndisc6 dhclient dig dnsmasq python3 timeout

ns=unet-v6-$TAG
ns2=unet-v6s-$TAG
ns3=unet-v6o-$TAG
tap=unetv$TAG
tap2=unetw$TAG
tap3=unetx$TAG

[ -e /proc/sys/net/ipv6 ] || skip "this kernel has no IPv6"

PORT=$(free_port ::1)
[ -n "$PORT" ] || { echo "no free port on ::1"; exit 1; }

dnsmasq --no-daemon --conf-file=/dev/null --port="$PORT" \
	--listen-address=::1 --bind-interfaces --no-resolv --no-hosts \
	--user=root --group=root --address=/test.example/192.0.2.10 \
	--address=/test.example/2001:db8::10 --pid-file="$TMP/dnsmasq.pid" \
	2>"$TMP/dnsmasq.err" &
PIDS+=("$!")
wait_for 10 dig @::1 -p "$PORT" +time=1 +tries=1 a.test.example ||
	{ cat "$TMP/dnsmasq.err"; fail "dnsmasq did not start on ::1"; finish; }
ok "dnsmasq answers on [::1]:$PORT"

# start_guest NS TAP LOG NETDEV-KEYS: usernet with a tap moved into a new
# namespace NS, IPv6 on it as a host's (router advertisements accepted,
# duplicate address detection on); its PID in UPID.
start_guest() {
	local gns=$1 gtap=$2 log=$3 keys=$4
	usernet_on_tap "$gns" "$gtap" "$log" -v --mtu 1500 \
		-netdev "user,id=u$keys"
	ip netns exec "$gns" sysctl -qw net.ipv6.conf."$gtap".disable_ipv6=0 \
		net.ipv6.conf."$gtap".accept_ra=1 net.ipv6.conf."$gtap".autoconf=1
	ip -n "$gns" link set "$gtap" mtu 1500 up
}

# wait_ll NS TAP: until the tap's link-local address is past DAD.
wait_ll() {
	wait_for 10 sh -c "ip -n $1 -6 addr show dev $2 scope link | grep -q 'inet6 fe80' &&
		! ip -n $1 -6 addr show dev $2 | grep -q tentative" ||
		fail "no link-local address on $2"
}

start_guest "$ns" "$tap" "$TMP/usernet.log" \
	",dnssearch=example.com,dnssearch=test.local,dns-upstream=[::1]:$PORT"
upid=$UPID

# SLAAC: the kernel's own address from the RA's prefix, once DAD is done.
if wait_for 15 sh -c "ip -n $ns -6 addr show dev $tap scope site | grep -q 'inet6 fec0::.*/64' && ! ip -n $ns -6 addr show dev $tap | grep -q tentative"; then
	ok "SLAAC: $(ip -n "$ns" -6 -o addr show dev "$tap" scope site | awk '{print $4}')"
else
	ip -n "$ns" -6 addr
	fail "no SLAAC address from fec0::/64"
fi
if ip -n "$ns" -6 route show default | grep -q 'via fe80::2 dev.*proto ra'; then
	ok "default route via fe80::2 from the RA"
else
	ip -n "$ns" -6 route
	fail "no default route via fe80::2"
fi

# rdisc6: every option of the advertisement.
timeout 10 ip netns exec "$ns" rdisc6 -1 -w 2000 "$tap" >"$TMP/rdisc6" 2>&1
for want in 'Stateful address conf\. *: *No' 'Stateful other conf\. *: *Yes' \
	'Router lifetime *: *1800' 'Source link-layer address: 52:55:0A:00:02:02' \
	'MTU *: *1500 bytes' 'Prefix *: fec0::/64' 'On-link *: *Yes' \
	'Autonomous address conf\. *: *Yes' 'Recursive DNS server *: fec0::3' \
	'DNS search list *: example.com test.local' 'from fe80::2'; do
	grep -Eq "$want" "$TMP/rdisc6" || { cat "$TMP/rdisc6"; fail "rdisc6: no '$want'"; }
done
grep -q 'Prefix' "$TMP/rdisc6" && ok "rdisc6: prefix, MTU, RDNSS, DNSSL, O flag, lifetime"

# ndisc6: the gateway's addresses resolve to its MAC; the kernel keeps it
# as a router (the NA's Router flag).
for a in fec0::2 fec0::3 fe80::2; do
	if timeout 10 ip netns exec "$ns" ndisc6 -1 -w 1000 "$a" "$tap" 2>&1 |
		grep -q 'Target link-layer address: 52:55:0A:00:02:02'; then
		ok "ndisc6 $a: 52:55:0a:00:02:02"
	else
		fail "ndisc6 $a"
	fi
done

# ping -6 to the three addresses.
for a in fec0::2 fec0::3 "fe80::2%$tap"; do
	if ip netns exec "$ns" ping -6 -c 2 -i 0.2 -W 2 "$a" >"$TMP/ping" 2>&1 &&
		grep -q '2 received' "$TMP/ping"; then
		ok "ping -6 $a"
	else
		cat "$TMP/ping"
		fail "ping -6 $a"
	fi
done
if ip -n "$ns" -6 neigh show fe80::2 dev "$tap" | grep -q router; then
	ok "the kernel marks fe80::2 a router"
else
	ip -n "$ns" -6 neigh
	fail "fe80::2 is not marked a router"
fi

# dhclient -6 -S: stateless DHCPv6, the DNS server and the domain list.
OUTDIR=$TMP/out
mkdir -p "$OUTDIR"
{
	echo '#!/bin/sh'
	echo "OUTDIR='$OUTDIR'"
	cat <<'EOF'
env | grep -E '^(reason|new_)' | sort >"$OUTDIR/dhclient.$reason"
exit 0
EOF
} >"$TMP/dhclient.sh"
chmod 755 "$TMP/dhclient.sh"
dhclient_run() {
	local gns=$1 gtap=$2 tag=$3
	shift 3
	ip netns exec "$gns" dhclient -6 "$@" -d -v -lf "$TMP/$tag.leases" \
		-pf "$TMP/$tag.pid" -sf "$TMP/dhclient.sh" "$gtap" \
		>"$TMP/$tag.log" 2>&1 &
	DPID=$!
	PIDS+=("$DPID")
}
dhclient_run "$ns" "$tap" stateless -S
if wait_for 15 test -s "$OUTDIR/dhclient.RENEW6" ||
	wait_for 1 test -s "$OUTDIR/dhclient.BOUND6"; then
	f=$(ls "$OUTDIR"/dhclient.RENEW6 "$OUTDIR"/dhclient.BOUND6 2>/dev/null | head -n 1)
	if grep -q 'new_dhcp6_name_servers=fec0::3' "$f" &&
		grep -q 'new_dhcp6_domain_search=example.com. test.local.' "$f"; then
		ok "dhclient -6 -S: DNS fec0::3, search example.com test.local"
	else
		cat "$f"
		fail "dhclient -6 -S: options"
	fi
else
	cat "$TMP/stateless.log"
	fail "dhclient -6 -S got no reply"
fi
stop_pid "$DPID" >/dev/null 2>&1

# DNS over IPv6: AAAA and A through fec0::3, UDP and TCP.
gdig() { ip netns exec "$ns" timeout 20 dig @fec0::3 +time=3 +tries=1 "$@"; }
if gdig +short AAAA a.test.example | grep -qx '2001:db8::10'; then
	ok "UDP: AAAA a.test.example is 2001:db8::10"
else
	gdig AAAA a.test.example
	fail "UDP: AAAA"
fi
gdig A a.test.example >"$TMP/a.out" 2>&1
if grep -q '192.0.2.10' "$TMP/a.out" && grep -q 'SERVER: fec0::3#53(fec0::3) (UDP)' "$TMP/a.out"; then
	ok "UDP: A a.test.example is 192.0.2.10 from fec0::3"
else
	cat "$TMP/a.out"
	fail "UDP: A"
fi
gdig +tcp AAAA a.test.example >"$TMP/tcp.out" 2>&1
if grep -q '2001:db8::10' "$TMP/tcp.out" && grep -q '(TCP)' "$TMP/tcp.out"; then
	ok "TCP: AAAA a.test.example is 2001:db8::10"
else
	cat "$TMP/tcp.out"
	fail "TCP: AAAA"
fi

# Stateful DHCPv6 on a second usernet: the M flag, and an address.
start_guest "$ns2" "$tap2" "$TMP/usernet2.log" ",ipv6-dhcp=stateful"
wait_ll "$ns2" "$tap2"
timeout 10 ip netns exec "$ns2" rdisc6 -1 -w 2000 "$tap2" >"$TMP/rdisc6.2" 2>&1
if grep -Eq 'Stateful address conf\. *: *Yes' "$TMP/rdisc6.2"; then
	ok "ipv6-dhcp=stateful: the RA has the M flag"
else
	cat "$TMP/rdisc6.2"
	fail "stateful: no M flag"
fi
rm -f "$OUTDIR"/dhclient.*
dhclient_run "$ns2" "$tap2" stateful
if wait_for 20 test -s "$OUTDIR/dhclient.BOUND6" &&
	grep -q 'new_ip6_address=fec0::100' "$OUTDIR/dhclient.BOUND6"; then
	ok "dhclient -6: bound to fec0::100"
else
	cat "$TMP/stateful.log" "$OUTDIR"/dhclient.* 2>/dev/null
	fail "dhclient -6: no fec0::100"
fi
stop_pid "$DPID" >/dev/null 2>&1

# usernet run: SLAAC in the new namespace, fec0::3 in its resolv.conf.
timeout 60 "$USERNET" run -- sh -c \
	'ip -6 -o addr show dev tap0 scope site; ip -6 route show default; cat /etc/resolv.conf; ping -6 -c 1 -W 2 fec0::2' \
	>"$TMP/run" 2>&1
if grep -q 'inet6 fec0::.*/64' "$TMP/run" && grep -q 'default via fe80::2' "$TMP/run" &&
	grep -qx 'nameserver fec0::3' "$TMP/run" && grep -q '1 received' "$TMP/run"; then
	ok "usernet run: SLAAC address, route via fe80::2, fec0::3 in resolv.conf, ping"
else
	cat "$TMP/run"
	fail "usernet run over IPv6"
fi

# ipv6=off: no RA, no NA, no echo.
start_guest "$ns3" "$tap3" "$TMP/usernet3.log" ",ipv6=off"
wait_ll "$ns3" "$tap3"
timeout 10 ip netns exec "$ns3" rdisc6 -1 -w 1000 -r 2 "$tap3" >"$TMP/rdisc6.3" 2>&1
if grep -q 'No response' "$TMP/rdisc6.3"; then
	ok "ipv6=off: no router advertisement"
else
	cat "$TMP/rdisc6.3"
	fail "ipv6=off: rdisc6 did not time out"
fi
timeout 10 ip netns exec "$ns3" ndisc6 -1 -w 500 -r 2 fe80::2 "$tap3" >"$TMP/ndisc6.3" 2>&1
if grep -q 'No response' "$TMP/ndisc6.3"; then
	ok "ipv6=off: no neighbour advertisement for fe80::2"
else
	cat "$TMP/ndisc6.3"
	fail "ipv6=off: ndisc6 did not time out"
fi
if ip netns exec "$ns3" ping -6 -c 1 -W 1 "fe80::2%$tap3" >/dev/null 2>&1; then
	fail "ipv6=off: fe80::2 answered a ping"
else
	ok "ipv6=off: no echo from fe80::2"
fi

# The counters (SIGUSR1) say what was answered.
kill -USR1 "$upid"
sleep 0.5
if grep -Eq 'services6: ndp rs_in [1-9]' "$TMP/usernet.log" &&
	grep -Eq 'dhcp6: in [1-9]' "$TMP/usernet.log"; then
	ok "SIGUSR1 counts ND and DHCPv6"
else
	grep services6 "$TMP/usernet.log"
	fail "SIGUSR1: no ND/DHCPv6 counters"
fi

finish
