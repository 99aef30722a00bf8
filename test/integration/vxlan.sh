#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# One Ethernet segment across "hosts" over VXLAN, with usernet's vxlan
# netdev at two ends and the Linux kernel's own vxlan device at the third.
# Each host is a network namespace on one underlay (a bridge in a namespace
# of its own), 198.18.0.0/24 and 2001:db8::/64, MTU 1500; the gateway
# (usernet's user netdev) lives on host A only.
#
#            namespace "ul": bridge br0 (the underlay, multicast flooded)
#        +--------------------+--------------------+
#   vA 198.18.0.1        vB 198.18.0.2        vC 198.18.0.3
#   2001:db8::1          2001:db8::2          2001:db8::3
#  +--------------+     +--------------+     +-----------------------+
#  | host A       |     | host B       |     | host C                |
#  | usernet      |     | usernet      |     | kernel vxlan device   |
#  |  user (NAT,  |     |  tap --------+--+  |  (udhcpc, ping, curl  |
#  |  DHCP, DNS)  |     |  vxlan       |  |  |   on it directly)     |
#  |  vxlan       |     +--------------+  |  | tshark on vC          |
#  | dnsmasq :5353|                       |  +-----------------------+
#  | http :8080   |     namespace gB: the tap, udhcpc, dig, curl
#  +--------------+
#
# Cases:
#  1. IPv4 unicast, three hosts: A and B with remote= lists, C's kernel
#     device with all-zeros FDB entries for A and B (head-end replication
#     both ways). B's guest gets its lease from A, resolves a name through
#     A's DNS, and fetches 64 MiB byte-exact from A's loopback through the
#     proxy. C's kernel device gets a lease, pings the gateway, fetches
#     4 MiB; tshark on C's underlay decodes usernet's datagrams as VXLAN
#     with VNI 42 and the inner ICMP intact.
#  2. Learning: once both sides have spoken, B's guest pinging A's gateway
#     puts (almost) nothing on C's underlay link, and usernet B sends those
#     frames unicast.
#  3. The inner MTU rule: a usernet with the default hub MTU warns that it
#     does not fit a 1500 underlay and names 1450; frames above 1450 are
#     dropped and counted, smaller ones cross.
#  4. IPv4 multicast (group= on dev=) with the kernel device in group mode.
#  5. IPv6 unicast and 6. IPv6 multicast, each with the kernel device.
#  7. libvdeplug's vxlan:// through the vde netdev is refused with a reason.
. "$(dirname "$0")/lib/common.sh"
need_root
need_cmd ip bridge busybox curl dig dnsmasq ethtool python3 sha256sum tshark timeout
busybox udhcpc --help >/dev/null 2>&1 || skip "this busybox has no udhcpc applet"
ip link add uvxp$$ type vxlan id 1 dstport 4789 2>/dev/null ||
	skip "this kernel has no vxlan device (modprobe vxlan)"
ip link del uvxp$$

UL=unet-vxul-$TAG
HA=unet-vxa-$TAG
HB=unet-vxb-$TAG
HC=unet-vxc-$TAG
GB=unet-vxg-$TAG
TAP=vxt$TAG
KVX=kvx$TAG

# --- the underlay --------------------------------------------------------
new_netns "$UL"
ip -n "$UL" link add br0 type bridge mcast_snooping 0
ip -n "$UL" link set br0 up
n=0
for h in A B C; do
	n=$((n + 1))
	ns=unet-vx${h,,}-$TAG
	new_netns "$ns"
	ip -n "$UL" link add "u$h" type veth peer name "v$h" netns "$ns"
	ip -n "$UL" link set "u$h" master br0 up
	ip -n "$ns" link set "v$h" mtu 1500 up
	ip -n "$ns" addr add "198.18.0.$n/24" dev "v$h"
	ip -n "$ns" addr add "2001:db8::$n/64" dev "v$h" nodad
	ip -n "$ns" link set lo multicast on
done
# The kernel's vxlan device leaves the inner TCP/UDP checksum to the
# "hardware" of its lower device; a veth's hardware is the receiving
# kernel, which hands usernet's socket the bytes with the checksum still
# unfilled. A real NIC fills it: so does a veth with tx offload off.
ip netns exec "$HC" ethtool -K vC tx off >/dev/null
wait_for 10 ip netns exec "$HA" ping -c 1 -W 1 198.18.0.3 ||
	{ fail "the underlay does not carry IPv4"; finish; }
wait_for 10 ip netns exec "$HA" ping -c 1 -W 1 2001:db8::3 ||
	{ fail "the underlay does not carry IPv6"; finish; }

# --- host A's services: a name, and files on its loopback ----------------
mkdir -p "$TMP/www"
head -c 67108864 /dev/urandom >"$TMP/www/blob64"
head -c 4194304 /dev/urandom >"$TMP/www/blob4"
SUM64=$(sha256sum <"$TMP/www/blob64" | cut -d' ' -f1)
SUM4=$(sha256sum <"$TMP/www/blob4" | cut -d' ' -f1)
(cd "$TMP/www" && exec ip netns exec "$HA" python3 -m http.server \
	--bind 127.0.0.1 8080 >/dev/null 2>&1) &
PIDS+=("$!")
ip netns exec "$HA" dnsmasq --no-daemon --conf-file=/dev/null --port=5353 \
	--listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts \
	--user=root --group=root --address=/files.vxlan.test/10.0.2.2 \
	--pid-file="$TMP/dnsmasq.pid" 2>"$TMP/dnsmasq.err" &
PIDS+=("$!")
wait_for 10 ip netns exec "$HA" bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080' ||
	{ fail "HTTP server on host A did not start"; finish; }

udhcpc_script "$TMP/udhcpc.sh"

# run_bg NAME NS CMD...: CMD in NS in the background, output in
# $TMP/NAME.log, its PID in variable NAME.
run_bg() {
	local name=$1 ns=$2
	shift 2
	ip netns exec "$ns" "$@" >"$TMP/$name.log" 2>&1 &
	PIDS+=("$!")
	printf -v "$name" '%s' "$!"
}

# lease NS IFACE: a DHCP lease with busybox udhcpc, bounded; prints the
# address.
lease() {
	ip netns exec "$1" timeout 25 busybox udhcpc -f -q -n -i "$2" -t 10 \
		-T 1 -s "$TMP/udhcpc.sh" >"$TMP/udhcpc.$2.log" 2>&1 ||
		{ cat "$TMP/udhcpc.$2.log"; return 1; }
	ip -n "$1" -4 -o addr show dev "$2" | awk '{ print $4 }'
}

# fetch NS URL SUM SECONDS: download URL in NS and compare its sha256.
fetch() {
	local sum
	rm -f "$TMP/got"
	ip netns exec "$1" timeout "$4" curl -sS --max-time "$4" -o "$TMP/got" "$2" ||
		return 1
	sum=$(sha256sum <"$TMP/got" | cut -d' ' -f1)
	[ "$sum" = "$3" ]
}

# rx_packets NS IFACE: packets received on an underlay link so far.
rx_packets() {
	ip -n "$1" -s -j link show dev "$2" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats64"]["rx"]["packets"])'
}

# vxlan_counter PID LOG NAME: a counter of usernet's vxlan port, from the
# SIGUSR1 dump ("tx unicast N flooded N ...").
vxlan_counter() {
	local before
	before=$(wc -l <"$2")
	kill -USR1 "$1"
	wait_for 5 bash -c "tail -n +$((before + 1)) '$2' | grep -q '(vxlan): tx'"
	tail -n +"$((before + 1))" "$2" | grep '(vxlan): tx' | tail -1 |
		awk -v k="$3" '{ for (i = 1; i < NF; i++) if ($i == k) { v = $(i + 1); gsub(/[;,]/, "", v); print v; exit } }'
}

# kernel_vxlan NAME MTU ARGS...: the kernel's vxlan device in host C, up,
# without IPv6 chatter (so the learning counts are the test's frames).
kernel_vxlan() {
	local name=$1 mtu=$2
	shift 2
	ip -n "$HC" link add "$name" mtu "$mtu" type vxlan "$@" dstport 4789 &&
		ip netns exec "$HC" sysctl -qw "net.ipv6.conf.$name.disable_ipv6=1" &&
		ip -n "$HC" link set "$name" up
}

# kernel_peer_checks CASE IFACE: the kernel's device gets a lease from
# host A's gateway, pings it, and fetches 4 MiB through the proxy.
kernel_peer_checks() {
	local name=$1 dev=$2 addr
	if ! addr=$(lease "$HC" "$dev"); then
		fail "$name: the kernel's vxlan device got no DHCP lease"
		return 1
	fi
	ok "$name: the kernel's vxlan device got $addr from usernet's gateway"
	if ip netns exec "$HC" ping -c 3 -W 2 -I "$dev" 10.0.2.2 >"$TMP/ping.log" 2>&1; then
		ok "$name: the kernel's vxlan device pings the gateway"
	else
		cat "$TMP/ping.log"
		fail "$name: no ping across"
	fi
	if fetch "$HC" http://10.0.2.2:8080/blob4 "$SUM4" 60; then
		ok "$name: 4 MiB over TCP to the kernel's device, byte-exact"
	else
		fail "$name: the TCP transfer to the kernel's device failed"
	fi
	ip -n "$HC" -4 addr flush dev "$dev"
}

# === 1. IPv4 unicast, three hosts ========================================
run_bg apid "$HA" "$USERNET" -v --mtu 1450 \
	-netdev user,id=u0,dns-upstream=127.0.0.1:5353 \
	-netdev vxlan,id=v0,vni=42,local=198.18.0.1,remote=198.18.0.2,remote=198.18.0.3
run_bg bpid "$HB" "$USERNET" -v --mtu 1450 -netdev tap,id=t0,ifname="$TAP" \
	-netdev vxlan,id=v0,vni=42,remote=198.18.0.1,remote=198.18.0.3
kernel_vxlan "$KVX" 1450 id 42 local 198.18.0.3 remote 198.18.0.1 dev vC
bridge -n "$HC" fdb append 00:00:00:00:00:00 dev "$KVX" dst 198.18.0.2
new_netns "$GB"
if ! wait_for 10 ip -n "$HB" link show "$TAP"; then
	cat "$TMP/bpid.log"
	fail "usernet B's tap did not appear"
	finish
fi
ip -n "$HB" link set "$TAP" netns "$GB"
ip netns exec "$GB" sysctl -qw "net.ipv6.conf.$TAP.disable_ipv6=1"
ip -n "$GB" link set "$TAP" up
grep -q "vxlan v0: VNI 42 on 198.18.0.1:4789, 2 remotes, inner MTU 1450" "$TMP/apid.log" &&
	ok "usernet A: VNI 42 on 198.18.0.1:4789, 2 remotes, inner MTU 1450" ||
	{ cat "$TMP/apid.log"; fail "usernet A did not report its tunnel as expected"; }

if addr=$(lease "$GB" "$TAP"); then
	ok "unicast: B's guest got $addr from the gateway on host A"
	[ "$addr" = 10.0.2.15/24 ] || fail "unicast: lease $addr, expected 10.0.2.15/24"
	ip -n "$GB" link show "$TAP" | grep -q "mtu 1450" &&
		ok "unicast: the lease carried MTU 1450" ||
		fail "unicast: the guest's MTU is not 1450: $(ip -n "$GB" link show "$TAP" | head -1)"
	name=$(ip netns exec "$GB" dig @10.0.2.3 +short +time=2 +tries=3 files.vxlan.test A)
	if [ "$name" = 10.0.2.2 ]; then
		ok "unicast: B's guest resolved files.vxlan.test through A's DNS"
	else
		fail "unicast: files.vxlan.test resolved to '$name' through A's DNS"
	fi
	t0=$(date +%s.%N)
	if fetch "$GB" "http://${name:-10.0.2.2}:8080/blob64" "$SUM64" 120; then
		t1=$(date +%s.%N)
		ok "unicast: 64 MiB from host A's loopback to B's guest, byte-exact ($(python3 -c "print('%.1f' % (64 / ($t1 - $t0)))") MiB/s)"
	else
		fail "unicast: the 64 MiB transfer failed or differs"
	fi
else
	cat "$TMP/apid.log" "$TMP/bpid.log"
	fail "unicast: B's guest got no DHCP lease across VXLAN"
fi

# tshark on C's underlay while the kernel's device pings: usernet A's
# replies must decode as VXLAN, VNI 42, inner ICMP echo reply from the
# gateway with a good checksum.
run_bg tspid "$HC" tshark -n -i vC -f "udp port 4789" -w "$TMP/c.pcapng"
wait_for 10 grep -q "Capturing on" "$TMP/tspid.log" || fail "tshark did not start"
kernel_peer_checks "unicast" "$KVX"
sleep 0.5
stop_pid "$tspid" INT >/dev/null 2>&1
decoded=$(tshark -n -r "$TMP/c.pcapng" 2>/dev/null \
	-Y 'vxlan && icmp.type == 0 && ip.src == 198.18.0.1' \
	-T fields -E separator=' ' -e vxlan.vni -e ip.src -e ip.dst -e icmp.checksum.status | head -1)
case $decoded in
"42 198.18.0.1,10.0.2.2 198.18.0.3,10.0.2."*" 1")
	ok "tshark decodes usernet's datagrams as VXLAN: $decoded" ;;
*)
	tshark -n -r "$TMP/c.pcapng" 2>/dev/null | head -20
	fail "tshark: no VXLAN-decoded echo reply from usernet A with VNI 42 and a good inner checksum (got '$decoded')" ;;
esac
malformed=$(tshark -n -r "$TMP/c.pcapng" -Y '_ws.malformed || _ws.expert.severity >= "Warning"' 2>/dev/null | wc -l)
[ "$malformed" = 0 ] && ok "tshark: nothing malformed on the underlay" ||
	fail "tshark: $malformed malformed or warned-about frames on the underlay"

# === 2. Learning =========================================================
# Both sides have spoken: A knows B's guest, B knows the gateway's MAC.
ip netns exec "$GB" ping -c 2 -W 2 10.0.2.2 >/dev/null 2>&1
c0=$(rx_packets "$HC" vC)
a0=$(rx_packets "$HA" vA)
u0=$(vxlan_counter "$bpid" "$TMP/bpid.log" unicast)
if ip netns exec "$GB" ping -c 100 -i 0.01 -W 2 10.0.2.2 >/dev/null 2>&1; then
	c1=$(rx_packets "$HC" vC)
	a1=$(rx_packets "$HA" vA)
	u1=$(vxlan_counter "$bpid" "$TMP/bpid.log" unicast)
	echo "learning: 100 pings B->A: host A's link received $((a1 - a0)) packets, host C's $((c1 - c0)); usernet B sent $((u1 - u0)) frames unicast"
	[ $((a1 - a0)) -ge 100 ] || fail "learning: host A's link got only $((a1 - a0)) packets for 100 pings"
	[ $((c1 - c0)) -le 20 ] && ok "learning: host C's link saw $((c1 - c0)) packets while 100 pings crossed" ||
		fail "learning: host C's link got $((c1 - c0)) packets: unicast frames were flooded"
	[ $((u1 - u0)) -ge 100 ] && ok "learning: usernet B sent the echo requests unicast" ||
		fail "learning: usernet B sent only $((u1 - u0)) frames unicast"
else
	fail "learning: B's guest cannot ping the gateway"
fi

# === 3. The inner MTU rule ===============================================
# A usernet left at the default hub MTU on this underlay: warned, and a
# frame above 1450 (from a tap whose MTU is larger) is dropped and counted,
# while a small one goes out.
run_bg mpid "$HB" "$USERNET" -netdev tap,id=t9,ifname="vxm$TAG" \
	-netdev vxlan,id=v9,vni=9,port=4790,remote=198.18.0.1
if wait_for 10 ip -n "$HB" link show "vxm$TAG"; then
	if grep -q "the hub's MTU 65520 does not fit the underlay (MTU 1500 toward 198.18.0.1:4790): the inner MTU is 1450" "$TMP/mpid.log"; then
		ok "MTU: the default hub MTU is warned about, 1450 named"
	else
		cat "$TMP/mpid.log"
		fail "MTU: no warning for a hub MTU the underlay cannot carry"
	fi
	ip netns exec "$HB" sysctl -qw "net.ipv6.conf.vxm$TAG.disable_ipv6=1"
	ip -n "$HB" link set "vxm$TAG" mtu 9000 up
	ip -n "$HB" addr add 10.9.9.1/24 dev "vxm$TAG"
	ip -n "$HB" neigh add 10.9.9.2 lladdr 02:00:00:00:09:02 dev "vxm$TAG"
	ip netns exec "$HB" ping -c 2 -i 0.2 -W 1 -s 3000 -M dont 10.9.9.2 >/dev/null 2>&1
	ip netns exec "$HB" ping -c 2 -i 0.2 -W 1 -s 100 10.9.9.2 >/dev/null 2>&1
	big=$(vxlan_counter "$mpid" "$TMP/mpid.log" too-long)
	small=$(vxlan_counter "$mpid" "$TMP/mpid.log" flooded)
	if [ "${big:-0}" -ge 2 ] && [ "${small:-0}" -ge 2 ]; then
		ok "MTU: frames above the inner MTU dropped and counted ($big), small ones sent ($small)"
	else
		grep vxlan "$TMP/mpid.log" | tail -3
		fail "MTU: too-long $big, flooded $small (want >= 2 each)"
	fi
else
	cat "$TMP/mpid.log"
	fail "MTU: the tap of the MTU check did not appear"
fi
stop_pid "$mpid" >/dev/null 2>&1
stop_pid "$bpid" >/dev/null 2>&1
ip -n "$HC" link del "$KVX"

# === 4. IPv4 multicast ===================================================
stop_pid "$apid" >/dev/null 2>&1
run_bg apid "$HA" "$USERNET" -v --mtu 1450 -netdev user,id=u0 \
	-netdev vxlan,id=v0,vni=43,group=239.1.1.1,dev=vA
wait_for 10 grep -q "vxlan v0: VNI 43" "$TMP/apid.log" ||
	{ cat "$TMP/apid.log"; fail "multicast: usernet A did not open its tunnel"; }
kernel_vxlan "${KVX}m" 1450 id 43 group 239.1.1.1 dev vC ttl 1
kernel_peer_checks "IPv4 multicast" "${KVX}m"
ip -n "$HC" link del "${KVX}m"

# === 5. IPv6 unicast =====================================================
stop_pid "$apid" >/dev/null 2>&1
run_bg apid "$HA" "$USERNET" -v --mtu 1430 -netdev user,id=u0 \
	-netdev vxlan,id=v0,vni=44,local=2001:db8::1,remote=[2001:db8::3]
wait_for 10 grep -q "vxlan v0: VNI 44 on \[2001:db8::1\]:4789, 1 remote, inner MTU 1430" "$TMP/apid.log" ||
	{ cat "$TMP/apid.log"; fail "IPv6: usernet A did not open its tunnel as expected"; }
kernel_vxlan "${KVX}6" 1430 id 44 local 2001:db8::3 remote 2001:db8::1 dev vC
kernel_peer_checks "IPv6 unicast" "${KVX}6"
ip -n "$HC" link del "${KVX}6"

# === 6. IPv6 multicast ===================================================
stop_pid "$apid" >/dev/null 2>&1
run_bg apid "$HA" "$USERNET" -v --mtu 1430 -netdev user,id=u0 \
	-netdev vxlan,id=v0,vni=45,group=ff05::4:5,dev=vA
wait_for 10 grep -q "vxlan v0: VNI 45" "$TMP/apid.log" ||
	{ cat "$TMP/apid.log"; fail "IPv6 multicast: usernet A did not open its tunnel"; }
kernel_vxlan "${KVX}g" 1430 id 45 group ff05::4:5 dev vC
kernel_peer_checks "IPv6 multicast" "${KVX}g"
ip -n "$HC" link del "${KVX}g"
stop_pid "$apid" >/dev/null 2>&1

# === 7. libvdeplug's vxlan:// is refused, with the reason ================
if ip netns exec "$HB" timeout 5 "$USERNET" -netdev user,id=u0 \
	-netdev vde,id=d0,sock=vxlan://239.0.0.1 >"$TMP/vde.log" 2>&1; then
	fail "vde: vxlan:// was accepted"
elif grep -q "use -netdev vxlan" "$TMP/vde.log"; then
	ok "vde: vxlan:// refused: $(grep -m1 'vxlan://' "$TMP/vde.log")"
else
	cat "$TMP/vde.log"
	fail "vde: vxlan:// failed without the reason"
fi

finish
