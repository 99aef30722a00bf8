#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A bug report arrives as a pcap: a real Linux guest's session with the
# gateway (a DHCP lease by busybox udhcpc, pings, a UDP datagram to a
# gateway port nobody serves, TFTP by busybox tftp) is recorded with the
# dump port, then replayed with `usernet replay --in`: the guest's side is
# injected at its recorded offsets, and the replay's answers must be the
# recorded answers (same DHCP lease and options, same ping replies, same
# TFTP data), recorded byte-identically on two runs.
#
#   recording:                              replay:
#  +---------------+  tap  +------------+   +-------------------------+
#  | unetrr guest  |<----->| usernet    |   | usernet replay --in     |
#  | udhcpc, ping, |       | dump port  |-->| rec.pcap (guest frames) |
#  | tftp          |       | -> rec.pcap|   | --out a.pcapng, b.pcapng|
#  +---------------+       +------------+   +-------------------------+
. "$(dirname "$0")/lib/common.sh"
need_root
need_cmd ip ping busybox tshark cmp
busybox udhcpc --help >/dev/null 2>&1 || skip "this busybox has no udhcpc applet"

tap=unetrr$TAG
ns=unet-rr-$TAG
rec=$TMP/rec.pcap
mkdir -p "$TMP/tftp"
head -c 3000 /dev/urandom >"$TMP/tftp/blob"

udhcpc_script "$TMP/udhcpc.sh"

# ---- the recording ---------------------------------------------------------
# --mtu 1500 so that the guest's tap and the replay's hub agree; --seed so
# that the replay makes the same random choices (the TFTP server's port).
"$USERNET" --mtu 1500 --seed 5 -netdev "user,id=u,tftp=$TMP/tftp" \
	-netdev tap,id=t0,ifname="$tap" -netdev dump,id=d0,file="$rec" \
	2>"$TMP/usernet.log" &
upid=$!
PIDS+=("$upid")
wait_for 10 ip link show "$tap" || { cat "$TMP/usernet.log"; fail "usernet did not start"; finish; }
new_netns "$ns"
ip link set "$tap" netns "$ns"
ip -n "$ns" link set "$tap" mtu 1500 up
ip netns exec "$ns" timeout 30 busybox udhcpc -i "$tap" -q -n -t 5 -T 1 \
	-s "$TMP/udhcpc.sh" >"$TMP/udhcpc.log" 2>&1 ||
	{ cat "$TMP/udhcpc.log"; fail "no lease while recording"; }
ip netns exec "$ns" timeout 10 ping -c 3 -i 0.5 -W 2 10.0.2.2 >/dev/null ||
	fail "no ping replies while recording"
(cd "$TMP" && ip netns exec "$ns" timeout 20 busybox tftp -g -r blob -l got 10.0.2.2) ||
	fail "tftp failed while recording"
cmp -s "$TMP/tftp/blob" "$TMP/got" && ok "recorded a DHCP lease, 3 pings and a TFTP transfer" ||
	fail "tftp while recording: the file differs"
stop_pid "$upid"

# What the recording holds, and what the stack answered then.
answers() {	# FILE: one line per frame towards the guest, its content in short
	tshark -r "$1" -Y "eth.src == 52:55:0a:00:02:02 and (dhcp or icmp or tftp)" \
		-T fields -e frame.len -e dhcp.option.dhcp -e dhcp.ip.your \
		-e dhcp.option.subnet_mask -e dhcp.option.router \
		-e dhcp.option.domain_name_server -e icmp.type -e icmp.seq \
		-e tftp.opcode -e tftp.block 2>/dev/null
}
answers "$rec" >"$TMP/want"
n_want=$(wc -l <"$TMP/want")
grep -q "	2	10.0.2.15" "$TMP/want" && grep -q "	5	10.0.2.15" "$TMP/want" &&
	[ "$(grep -c '	0	[123]	' "$TMP/want")" = 3 ] &&
	[ "$(grep -c '	3	[1-6]$' "$TMP/want")" = 6 ] ||
	{ cat "$TMP/want"; fail "the recording lacks the answers it should hold"; }

# ---- the replay, twice -----------------------------------------------------
for run in a b; do
	if "$USERNET" replay --mtu 1500 --seed 5 -netdev "user,tftp=$TMP/tftp" \
		--in "$rec" --out "$TMP/$run.pcapng" 2>"$TMP/replay.$run.log"; then
		ok "replay $run ran"
	else
		cat "$TMP/replay.$run.log"
		fail "replay $run failed"
	fi
done
answers "$TMP/a.pcapng" >"$TMP/got"
if diff "$TMP/want" "$TMP/got" >"$TMP/diff"; then
	ok "the replay answered as the recording did ($n_want answers: lease, pings, TFTP blocks)"
else
	cat "$TMP/diff"
	fail "the replay's answers differ from the recording's"
fi
# The injected side is the guest's side only, at its recorded offsets.
guest_rec=$(tshark -r "$rec" -Y "eth.src != 52:55:0a:00:02:02" 2>/dev/null | wc -l)
guest_out=$(tshark -r "$TMP/a.pcapng" -Y "frame.packet_flags_direction == 2" 2>/dev/null | wc -l)
[ "$guest_rec" = "$guest_out" ] && ok "$guest_out guest frames injected, as recorded" ||
	fail "$guest_rec guest frames recorded, $guest_out injected"
cmp -s "$TMP/a.pcapng" "$TMP/b.pcapng" && ok "two replays recorded the same bytes" ||
	fail "two replays of one recording differ"
finish
