#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Real DHCP clients against the gateway's DHCP server: busybox udhcpc gets a
# lease with every option usernet's command line configures and sets up its
# interface with it; a second namespace on the same hub gets another
# address; udhcpc renews (SIGUSR1: a unicast REQUEST with ciaddr) and keeps
# its address; ISC dhclient gets a lease too. tshark checks the frames the
# dump port saw: where replies went and that their checksums are right.
#
#   namespace A                          usernet (host namespace)
#  +-------------------+   tap    +--------------------------------------+
#  | unetdA  udhcpc    |<-------->| tap t0 --+                           |
#  +-------------------+          |          hub --- user (gateway       |
#  +-------------------+   tap    |          |  |     10.0.2.2, DHCP on  |
#  | unetdB  udhcpc,   |<-------->| tap t1 --+  |     port 67)           |
#  |         dhclient  |          |             dump port -> hub.pcap    |
#  +-------------------+          +--------------------------------------+
. "$(dirname "$0")/lib/common.sh"
need_root
need_cmd ip ping busybox dhclient tshark
busybox udhcpc --help >/dev/null 2>&1 || skip "this busybox has no udhcpc applet"

GW_MAC=52:55:0a:00:02:02
tap_a=unetdA$TAG
tap_b=unetdB$TAG
ns_a=unet-dhcpA-$TAG
ns_b=unet-dhcpB-$TAG
pcap=$TMP/hub.pcap
mkdir -p "$TMP/tftp" "$TMP/out"
echo boot >"$TMP/tftp/pxelinux.0"

# udhcpc's script: records what it was given, per event, and configures
# the interface the way a distribution's default.script does. (Clients run
# their scripts with an environment of their own: the folder is written in.)
OUTDIR=$TMP/out
{ echo '#!/bin/sh'; echo "OUTDIR='$OUTDIR'"; } >"$TMP/udhcpc.sh"
{ echo '#!/bin/sh'; echo "OUTDIR='$OUTDIR'"; } >"$TMP/dhclient.sh"
cat >>"$TMP/udhcpc.sh" <<'EOF'
# $1: deconfig, bound, renew, nak or leasefail; the options in variables.
out="$OUTDIR/udhcpc.$interface.$1"
for v in ip subnet router dns domain hostname search mtu boot_file bootfile \
	tftp sname siaddr serverid lease; do
	eval "echo $v=\"\${$v-}\""
done >"$out.tmp"
mv "$out.tmp" "$out"
case "$1" in
deconfig)
	ip -4 addr flush dev "$interface"
	ip link set "$interface" up
	;;
bound|renew)
	ip -4 addr flush dev "$interface"
	ip addr add "$ip/$subnet" dev "$interface"
	[ -n "${mtu-}" ] && ip link set dev "$interface" mtu "$mtu"
	[ -n "${router-}" ] && ip route replace default via "$router" dev "$interface"
	;;
esac
exit 0
EOF
# dhclient's script: the same for ISC's variable names.
cat >>"$TMP/dhclient.sh" <<'EOF'
case "$reason" in
PREINIT)
	ip link set "$interface" up
	;;
BOUND|RENEW|REBIND|REBOOT)
	for v in new_ip_address new_subnet_mask new_routers \
		new_domain_name_servers new_domain_name new_host_name \
		new_domain_search new_interface_mtu new_tftp_server_name \
		new_bootfile_name new_filename new_server_name \
		new_dhcp_server_identifier new_dhcp_lease_time; do
		eval "echo $v=\"\${$v-}\""
	done >"$OUTDIR/dhclient.tmp"
	mv "$OUTDIR/dhclient.tmp" "$OUTDIR/dhclient.$reason"
	ip -4 addr flush dev "$interface"
	ip addr add "$new_ip_address/$new_subnet_mask" dev "$interface"
	;;
esac
exit 0
EOF
cat >"$TMP/dhclient.conf" <<'EOF'
request subnet-mask, routers, domain-name-servers, host-name, domain-name,
	domain-search, interface-mtu, tftp-server-name, bootfile-name;
timeout 15;
retry 1;
EOF
chmod 755 "$TMP/udhcpc.sh" "$TMP/dhclient.sh"

"$USERNET" -v -netdev "user,id=u,hostname=guest1,domainname=example.com,dnssearch=example.com,dnssearch=test.local,bootfile=pxelinux.0,tftp=$TMP/tftp,tftp-server-name=boot.example.com" \
	-netdev tap,id=t0,ifname="$tap_a" -netdev tap,id=t1,ifname="$tap_b" \
	-netdev dump,id=d0,file="$pcap" 2>"$TMP/usernet.log" &
upid=$!
PIDS+=("$upid")
if ! wait_for 10 ip link show "$tap_b"; then
	cat "$TMP/usernet.log"
	fail "usernet did not start (are the hostname=, dnssearch=, bootfile=, tftp= keys there?)"
	finish
fi
new_netns "$ns_a"
new_netns "$ns_b"
ip link set "$tap_a" netns "$ns_a"
ip link set "$tap_b" netns "$ns_b"
ip -n "$ns_a" link set "$tap_a" up
ip -n "$ns_b" link set "$tap_b" up
mac_a=$(ip -n "$ns_a" -o link show "$tap_a" | grep -o 'link/ether [0-9a-f:]*' | cut -d' ' -f2)

# got FILE VAR: the value VAR had in a script's record FILE.
got() {
	sed -n "s/^$2=//p" "$1"
}

check_var() {
	local file=$1 var=$2 want=$3 have
	have=$(got "$file" "$var")
	if [ "$have" = "$want" ]; then
		ok "$(basename "$file"): $var=$want"
	else
		fail "$(basename "$file"): $var='$have', expected '$want'"
	fi
}

udhcpc_once() {
	local ns=$1 tap=$2
	ip netns exec "$ns" timeout 30 busybox udhcpc -i "$tap" -q -n -t 5 -T 1 \
		-s "$TMP/udhcpc.sh" >"$TMP/udhcpc.$tap.log" 2>&1
}

# ---- udhcpc in namespace A: every option ----------------------------------
if udhcpc_once "$ns_a" "$tap_a" && [ -f "$OUTDIR/udhcpc.$tap_a.bound" ]; then
	ok "udhcpc in A got a lease"
else
	cat "$TMP/udhcpc.$tap_a.log"
	fail "udhcpc in A got no lease"
fi
rec=$OUTDIR/udhcpc.$tap_a.bound
touch "$rec"
check_var "$rec" ip 10.0.2.15
check_var "$rec" subnet 255.255.255.0
check_var "$rec" router 10.0.2.2
check_var "$rec" dns 10.0.2.3
check_var "$rec" serverid 10.0.2.2
check_var "$rec" lease 86400
check_var "$rec" hostname guest1
check_var "$rec" domain example.com
check_var "$rec" search "example.com test.local"
check_var "$rec" mtu 65520
check_var "$rec" bootfile pxelinux.0
check_var "$rec" boot_file pxelinux.0
check_var "$rec" tftp boot.example.com
check_var "$rec" sname boot.example.com
check_var "$rec" siaddr 10.0.2.2

# The script configured the interface from the lease: it works.
ip -n "$ns_a" -o -4 addr show dev "$tap_a" | grep -q 'inet 10.0.2.15/24' &&
	ok "A: $tap_a has 10.0.2.15/24" || fail "A: $tap_a: $(ip -n "$ns_a" -o -4 addr show dev "$tap_a")"
ip -n "$ns_a" route show default | grep -q 'via 10.0.2.2' &&
	ok "A: default route via 10.0.2.2" || fail "A: routes: $(ip -n "$ns_a" route)"
ip -n "$ns_a" -o link show "$tap_a" | grep -q 'mtu 65520' &&
	ok "A: MTU 65520 from option 26" || fail "A: $(ip -n "$ns_a" -o link show "$tap_a")"
if ip netns exec "$ns_a" timeout 10 ping -c 1 -W 2 10.0.2.2 >/dev/null 2>&1; then
	ok "A: pings the gateway from its leased address"
else
	fail "A: no ping reply from the gateway"
fi

# ---- udhcpc in namespace B: another address -------------------------------
if udhcpc_once "$ns_b" "$tap_b" && [ -f "$OUTDIR/udhcpc.$tap_b.bound" ]; then
	ok "udhcpc in B got a lease"
else
	cat "$TMP/udhcpc.$tap_b.log"
	fail "udhcpc in B got no lease"
fi
touch "$OUTDIR/udhcpc.$tap_b.bound"
ip_b=$(got "$OUTDIR/udhcpc.$tap_b.bound" ip)
if [ -n "$ip_b" ] && [ "$ip_b" != 10.0.2.15 ]; then
	ok "B got $ip_b, not A's 10.0.2.15"
else
	fail "B got '$ip_b'"
fi

# ---- renewal: udhcpc stays, SIGUSR1 renews --------------------------------
ip netns exec "$ns_a" busybox udhcpc -i "$tap_a" -f -n -t 5 -T 1 \
	-s "$TMP/udhcpc.sh" >"$TMP/udhcpc.renew.log" 2>&1 &
cpid=$!
PIDS+=("$cpid")
rm -f "$OUTDIR/udhcpc.$tap_a.bound" "$OUTDIR/udhcpc.$tap_a.renew"
if wait_for 20 test -f "$OUTDIR/udhcpc.$tap_a.bound"; then
	check_var "$OUTDIR/udhcpc.$tap_a.bound" ip 10.0.2.15
	kill -USR1 "$cpid"
	if wait_for 20 test -f "$OUTDIR/udhcpc.$tap_a.renew"; then
		check_var "$OUTDIR/udhcpc.$tap_a.renew" ip 10.0.2.15
		check_var "$OUTDIR/udhcpc.$tap_a.renew" lease 86400
	else
		cat "$TMP/udhcpc.renew.log"
		fail "udhcpc did not renew on SIGUSR1"
	fi
else
	cat "$TMP/udhcpc.renew.log"
	fail "long-running udhcpc got no lease"
fi
stop_pid "$cpid" TERM >/dev/null

# ---- ISC dhclient in namespace B -----------------------------------------
ip -n "$ns_b" -4 addr flush dev "$tap_b"
# -d keeps it in the foreground, so that its PID is known and stopped.
ip netns exec "$ns_b" dhclient -d -1 -v -cf "$TMP/dhclient.conf" \
	-sf "$TMP/dhclient.sh" -pf "$TMP/dhclient.pid" -lf "$TMP/dhclient.leases" \
	"$tap_b" >"$TMP/dhclient.log" 2>&1 &
dpid=$!
PIDS+=("$dpid")
if wait_for 30 test -f "$OUTDIR/dhclient.BOUND"; then
	rec=$OUTDIR/dhclient.BOUND
	ip_d=$(got "$rec" new_ip_address)
	case "$ip_d" in
	10.0.2.1[5-9] | 10.0.2.2[0-9] | 10.0.2.30)
		ok "dhclient got $ip_d from the pool" ;;
	*)
		fail "dhclient got '$ip_d'" ;;
	esac
	[ "$ip_d" != 10.0.2.15 ] && ok "dhclient's lease is not A's address" ||
		fail "dhclient got A's address"
	check_var "$rec" new_subnet_mask 255.255.255.0
	check_var "$rec" new_routers 10.0.2.2
	check_var "$rec" new_domain_name_servers 10.0.2.3
	check_var "$rec" new_dhcp_server_identifier 10.0.2.2
	check_var "$rec" new_dhcp_lease_time 86400
	check_var "$rec" new_host_name guest1
	check_var "$rec" new_domain_name example.com
	check_var "$rec" new_domain_search "example.com. test.local."
	check_var "$rec" new_interface_mtu 65520
	check_var "$rec" new_tftp_server_name boot.example.com
	check_var "$rec" new_bootfile_name pxelinux.0
	check_var "$rec" new_filename pxelinux.0
	check_var "$rec" new_server_name boot.example.com
	grep -q "fixed-address $ip_d;" "$TMP/dhclient.leases" &&
		ok "dhclient's lease file holds $ip_d" ||
		fail "dhclient's lease file: $(cat "$TMP/dhclient.leases")"
	ip -n "$ns_b" -o -4 addr show dev "$tap_b" | grep -q "inet $ip_d/24" &&
		ok "B: $tap_b has $ip_d/24 from dhclient" ||
		fail "B: $(ip -n "$ns_b" -o -4 addr show dev "$tap_b")"
else
	cat "$TMP/dhclient.log"
	fail "dhclient got no lease"
fi
stop_pid "$dpid" TERM >/dev/null

stop_pid "$upid" INT
rc=$?
[ "$rc" = 0 ] && ok "SIGINT: usernet exited 0" || fail "SIGINT: usernet exited $rc"
grep -iE 'error|assert' "$TMP/usernet.log" && fail "usernet logged errors"

# ---- what the hub saw -------------------------------------------------------
count() {
	tshark -r "$pcap" -Y "$1" 2>/dev/null | wc -l
}
srv="udp.srcport == 67 && eth.src == $GW_MAC && ip.src == 10.0.2.2"
n=$(count "$srv && dhcp.option.dhcp == 2 && eth.dst == $mac_a && ip.dst == 10.0.2.15")
[ "$n" -ge 1 ] && ok "pcap: OFFERs to A unicast to 10.0.2.15 at its MAC ($n)" ||
	fail "pcap: no unicast OFFER to A"
n=$(count "udp.dstport == 67 && ip.dst == 10.0.2.2 && dhcp.option.dhcp == 3 && dhcp.ip.client == 10.0.2.15")
[ "$n" -ge 1 ] && ok "pcap: A's renewal was a unicast REQUEST with ciaddr ($n)" ||
	fail "pcap: no unicast REQUEST with ciaddr 10.0.2.15"
n=$(count "$srv && dhcp.option.dhcp == 5 && ip.dst == 10.0.2.15 && dhcp.ip.client == 10.0.2.15")
[ "$n" -ge 1 ] && ok "pcap: the renewal's ACK went unicast to ciaddr ($n)" ||
	fail "pcap: no ACK to ciaddr 10.0.2.15"
n=$(count "$srv && dhcp.option.dhcp == 6")
[ "$n" = 0 ] && ok "pcap: no NAKs" || fail "pcap: $n NAKs"
n=$(count "$srv")
bad=$(tshark -r "$pcap" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
	-Y "$srv && (ip.checksum.status == 0 || udp.checksum.status == 0)" 2>/dev/null | wc -l)
[ "$n" -ge 6 ] && [ "$bad" = 0 ] && ok "pcap: $n server replies, no bad checksums" ||
	fail "pcap: $n server replies, $bad with bad checksums"
big=$(tshark -r "$pcap" -Y "$srv && ip.len > 576" 2>/dev/null | wc -l)
[ "$big" = 0 ] && ok "pcap: every reply within 576 bytes of IP" ||
	fail "pcap: $big replies over 576 bytes"

finish
