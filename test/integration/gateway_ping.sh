#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The Linux kernel as the guest: a namespace whose tap is on usernet's hub
# pings the gateway and the DNS address; its ARP table learns the gateway's
# MAC; tshark reads the pcap that the dump port wrote meanwhile.
#
#   namespace "guest"                    usernet (host namespace)
#  +--------------------+   tap    +-----------------------------------+
#  | unetgN 10.0.2.15/24|<-------->| tap port --- hub --- user (gateway|
#  +--------------------+          |               |      10.0.2.2/.3) |
#                                  |           dump port -> x.pcap     |
#                                  +-----------------------------------+
. "$(dirname "$0")/lib/common.sh"
need_root
need_cmd ip ping tshark

GW_MAC=52:55:0a:00:02:02
tap=unetg$TAG
ns=unet-guest-$TAG
pcap=$TMP/hub.pcap

"$USERNET" -netdev user,id=u0 -netdev tap,id=t0,ifname="$tap" \
	-netdev dump,id=d0,file="$pcap" 2>"$TMP/usernet.log" &
upid=$!
PIDS+=("$upid")
wait_for 10 ip link show "$tap" || { cat "$TMP/usernet.log"; fail "usernet did not create $tap"; finish; }

new_netns "$ns"
ip link set "$tap" netns "$ns"
ip -n "$ns" addr add 10.0.2.15/24 dev "$tap"
ip -n "$ns" link set "$tap" up

for dst in 10.0.2.2 10.0.2.3; do
	if ip netns exec "$ns" timeout 20 ping -c 3 -i 0.2 -W 2 "$dst" >"$TMP/ping.$dst" 2>&1 &&
		grep -q '3 received' "$TMP/ping.$dst"; then
		ok "ping $dst: 3 of 3 answered"
	else
		cat "$TMP/ping.$dst"
		fail "ping $dst"
	fi
done

# 10.0.2.9 is nobody: no answer, and no ARP reply either.
if ip netns exec "$ns" timeout 10 ping -c 1 -W 1 10.0.2.9 >/dev/null 2>&1; then
	fail "10.0.2.9 answered a ping"
else
	ok "10.0.2.9 does not answer"
fi

for dst in 10.0.2.2 10.0.2.3; do
	mac=$(ip -n "$ns" neigh show "$dst" dev "$tap" | awk '{print $3}')
	if [ "$mac" = "$GW_MAC" ]; then
		ok "ARP table: $dst is at $GW_MAC"
	else
		fail "ARP table: $dst is at '$mac', expected $GW_MAC"
	fi
done

# The pcap is flushed after every frame: readable while usernet runs.
n=$(tshark -r "$pcap" -Y "icmp.type == 0 && ip.src == 10.0.2.2" 2>/dev/null | wc -l)
if [ "$n" -ge 3 ]; then
	ok "pcap, read while usernet runs: $n echo replies from 10.0.2.2"
else
	fail "pcap, read while usernet runs: $n echo replies from 10.0.2.2"
fi

stop_pid "$upid" INT
rc=$?
[ "$rc" = 0 ] && ok "SIGINT: usernet exited 0" || fail "SIGINT: usernet exited $rc"
grep -iE 'error|assert' "$TMP/usernet.log" && fail "usernet logged errors"

fields() {
	tshark -r "$pcap" -Y "$1" -T fields -e "$2" 2>/dev/null | sort -u | tr '\n' ' '
}
got=$(fields "arp.opcode == 2 && eth.src == $GW_MAC" arp.src.proto_ipv4)
[ "$got" = "10.0.2.2 10.0.2.3 " ] && ok "pcap: ARP replies for $got" ||
	fail "pcap: ARP replies for '$got', expected 10.0.2.2 and 10.0.2.3"
got=$(fields "arp.opcode == 2 && arp.src.proto_ipv4 == 10.0.2.9" arp.src.proto_ipv4)
[ -z "$got" ] && ok "pcap: no ARP reply for 10.0.2.9" || fail "pcap: ARP reply for 10.0.2.9"
for dst in 10.0.2.2 10.0.2.3; do
	req=$(tshark -r "$pcap" -Y "icmp.type == 8 && ip.dst == $dst" 2>/dev/null | wc -l)
	rep=$(tshark -r "$pcap" -Y "icmp.type == 0 && ip.src == $dst && eth.src == $GW_MAC" 2>/dev/null | wc -l)
	if [ "$req" = 3 ] && [ "$rep" = 3 ]; then
		ok "pcap: 3 echo requests to $dst and 3 replies"
	else
		fail "pcap: $req echo requests to $dst, $rep replies (expected 3 and 3)"
	fi
done
# Every reply carries a correct IP and ICMP checksum, as tshark checks them.
bad=$(tshark -r "$pcap" -o ip.check_checksum:TRUE -o icmp.check_checksum:TRUE \
	-Y "ip.checksum.status == 0 || icmp.checksum.status == 0" 2>/dev/null | wc -l)
[ "$bad" = 0 ] && ok "pcap: no bad checksums" || fail "pcap: $bad frames with bad checksums"

finish
