#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Offloads on the tap (vnet header, TSO, checksum left to do) at MTU 1500:
# the guest's kernel hands usernet TCP segments up to 64 KiB; the stack
# takes them whole, and a port that does not take offloads (a pcap dump)
# sees them cut to the MTU with valid checksums.
#
# 1. usernet run, offloads on and off (--no-offload):
#
#    usernet (this namespace)                 new namespace (CMD)
#   +-------------------------------+  tap   +-----------------------+
#   | gateway 10.0.2.2 -> 127.0.0.1 |<------>| tap0 10.0.2.100, MTU  |
#   | hub MTU 1500                  | vnet   | 1500, TSO on/off      |
#   +-------------------------------+ header |  socat/curl a 24 MiB  |
#        |  127.0.0.1:PORT (socat, python http.server)  file each way |
#                                            +-----------------------+
#
# 2. A tap guest and a dump port on one hub:
#
#   +----------- usernet --------------+       namespace offload-g-PID
#   | user (gateway)   dump -> pcap    | tap   +----------------------+
#   |            hub MTU 1500          |<----->| offg PID 10.0.2.15   |
#   +----------------------------------+       | TSO on, socat 16 MiB |
#                                              +----------------------+
#   tshark reads the pcap: every frame <= 1514 bytes, every IPv4 and TCP
#   checksum good.
. "$(dirname "$0")/lib/common.sh"
need_root
need_cmd ip socat curl sha256sum tshark ethtool unshare nsenter

head -c $((24 << 20)) /dev/urandom >"$TMP/big"
want=$(sha256sum <"$TMP/big" | cut -d' ' -f1)

# The tap port's in_bytes / in_frames from a SIGUSR1 dump in LOG, for PORT.
avg_in() {
	sed -n "s/^usernet: port $2 (tap): in \([0-9]*\) frames \([0-9]*\) bytes.*/\2 \1/p" "$1" |
		tail -n 1 | awk '$2 > 0 { print int($1 / $2) }'
}

# The same for the frames the hub wrote to PORT.
avg_out() {
	sed -n "s/^usernet: port $2 (tap): .*; out \([0-9]*\) frames \([0-9]*\) bytes.*/\2 \1/p" "$1" |
		tail -n 1 | awk '$2 > 0 { print int($1 / $2) }'
}
# The GSO frames the gateway merged from its segments, from LOG's dump.
merged() {
	sed -n 's/^usernet: stack: .*; merged [0-9]* segments into \([0-9]*\) GSO frames; .*/\1/p' "$1" |
		tail -n 1
}
# The segments of many MSS lwIP built and the gateway sent as GSO frames.
tso() {
	sed -n 's/^usernet: stack: .*; \([0-9]*\) segments of many MSS; .*/\1/p' "$1" |
		tail -n 1
}
# The segments whose data the gateway sent from the proxy's read buffer.
held() {
	sed -n "s/^usernet: stack: .*; \([0-9]*\) segments sent from the host's bytes uncopied\$/\1/p" "$1" |
		tail -n 1
}

# wait_exit PID: waits (bounded, 30 s) for a receiving socat to finish at
# the sender's end of file, then stops it if it did not.
wait_exit() {
	wait_for 30 sh -c "! kill -0 $1 || grep -q ') Z' /proc/$1/stat"
	stop_pid "$1" >/dev/null
}

# run_case on|off: both directions through usernet run at MTU 1500.
run_case() {
	local mode=$1 flag="" port hport got spid hpid avg oavg nmerged ntso nheld
	[ "$mode" = off ] && flag=--no-offload
	port=$(free_port)
	hport=$(free_port)
	rm -f "$TMP/recv"
	socat -u TCP-LISTEN:"$port",bind=127.0.0.1,reuseaddr OPEN:"$TMP/recv",creat,trunc &
	spid=$!
	PIDS+=("$spid")
	(cd "$TMP" && exec python3 -m http.server "$hport" --bind 127.0.0.1) >/dev/null 2>&1 &
	hpid=$!
	PIDS+=("$hpid")
	wait_for 10 curl -sf -o /dev/null "http://127.0.0.1:$hport/" ||
		fail "$mode: the host's HTTP server did not start"
	# CMD asks usernet (its parent) for its counters once it is done.
	timeout 120 "$USERNET" run $flag --mtu 1500 -- sh -c "
		ethtool -k tap0 | grep -E '^(tcp-segmentation-offload|tx-checksumming):'
		timeout 60 socat -u FILE:$TMP/big TCP:10.0.2.2:$port || echo 'upload failed'
		timeout 60 curl -sf -o $TMP/down.$mode http://10.0.2.2:$hport/big || echo 'download failed'
		kill -USR1 \$PPID; sleep 0.5" >"$TMP/run.$mode" 2>&1
	wait_exit "$spid"
	got=$(sha256sum <"$TMP/recv" | cut -d' ' -f1)
	[ "$got" = "$want" ] && ok "$mode: 24 MiB guest -> host byte-exact (sha256)" ||
		{ cat "$TMP/run.$mode"; fail "$mode: guest -> host: sha256 $got, want $want"; }
	got=$(sha256sum <"$TMP/down.$mode" 2>/dev/null | cut -d' ' -f1)
	[ "$got" = "$want" ] && ok "$mode: 24 MiB host -> guest byte-exact (sha256)" ||
		{ cat "$TMP/run.$mode"; fail "$mode: host -> guest: sha256 $got, want $want"; }
	stop_pid "$hpid" >/dev/null
	avg=$(avg_in "$TMP/run.$mode" ns0)
	oavg=$(avg_out "$TMP/run.$mode" ns0)
	nmerged=$(merged "$TMP/run.$mode")
	ntso=$(tso "$TMP/run.$mode")
	nheld=$(held "$TMP/run.$mode")
	if [ "$mode" = on ]; then
		# The download's data left as segments of many MSS (GSO): the
		# flow began while the tap was the only other port.
		[ -n "$oavg" ] && [ "$oavg" -gt 1514 ] && [ "${ntso:-0}" -gt 0 ] &&
			ok "on: frames to tap0 average $oavg bytes, $ntso segments of many MSS, $nmerged GSO frames merged" ||
			fail "on: frames to tap0 average '${oavg}' bytes, '${ntso}' segments of many MSS: $(cat "$TMP/run.$mode")"
		# ... and their data straight from the proxy's reads, uncopied
		# (byte-exact above).
		[ "${nheld:-0}" -gt 0 ] &&
			ok "on: $nheld segments sent from the host's bytes uncopied" ||
			fail "on: no segment sent uncopied ('${nheld}'): $(cat "$TMP/run.$mode")"
		grep -q '^tcp-segmentation-offload: on' "$TMP/run.$mode" &&
			ok "on: the kernel turned TSO on for tap0" ||
			fail "on: TSO is not on: $(cat "$TMP/run.$mode")"
		# Segments bigger than a 1514-byte frame came through the tap.
		[ -n "$avg" ] && [ "$avg" -gt 1514 ] &&
			ok "on: frames from tap0 average $avg bytes (GSO, MTU 1500)" ||
			fail "on: frames from tap0 average '${avg}' bytes, no GSO: $(cat "$TMP/run.$mode")"
	else
		grep -q '^tcp-segmentation-offload: off' "$TMP/run.$mode" &&
			ok "off: TSO off on tap0" ||
			fail "off: TSO is not off: $(cat "$TMP/run.$mode")"
		[ -n "$avg" ] && [ "$avg" -le 1514 ] &&
			ok "off: frames from tap0 average $avg bytes (<= 1514)" ||
			fail "off: frames from tap0 average '${avg}' bytes"
		[ -n "$oavg" ] && [ "$oavg" -le 1514 ] && [ "$nmerged" = 0 ] &&
			[ "$ntso" = 0 ] && [ "$nheld" = 0 ] &&
			ok "off: frames to tap0 average $oavg bytes, none merged, no segment of many MSS, none uncopied" ||
			fail "off: frames to tap0 average '${oavg}' bytes, '${nmerged}' merged, '${ntso}' of many MSS, '${nheld}' uncopied"
	fi
}

run_case on
run_case off

# ---- 2. a port that does not take offloads sees ordinary frames ----------
gns=offload-g-$TAG
gtap=offg$TAG
port=$(free_port)
usernet_on_tap "$gns" "$gtap" "$TMP/hub.log" --mtu 1500 -v \
	-netdev user,id=u -netdev dump,id=d,file="$TMP/hub.pcap"
ip -n "$gns" link set "$gtap" mtu 1500
ip -n "$gns" addr add 10.0.2.15/24 dev "$gtap"
ip -n "$gns" link set "$gtap" up
ip -n "$gns" route add default via 10.0.2.2
ip netns exec "$gns" ethtool -k "$gtap" | grep -q '^tcp-segmentation-offload: on' &&
	ok "hub: TSO on for the guest's tap" || fail "hub: TSO not on for $gtap"
head -c $((16 << 20)) /dev/urandom >"$TMP/big2"
want2=$(sha256sum <"$TMP/big2" | cut -d' ' -f1)
socat -u TCP-LISTEN:"$port",bind=127.0.0.1,reuseaddr OPEN:"$TMP/recv2",creat,trunc &
spid=$!
PIDS+=("$spid")
sleep 0.3
timeout 60 ip netns exec "$gns" socat -u FILE:"$TMP/big2" TCP:10.0.2.2:"$port" ||
	fail "hub: upload from the guest failed"
wait_exit "$spid"
got=$(sha256sum <"$TMP/recv2" | cut -d' ' -f1)
[ "$got" = "$want2" ] && ok "hub: 16 MiB guest -> host byte-exact" ||
	fail "hub: guest -> host: sha256 $got, want $want2"
kill -USR1 "$UPID"
sleep 0.5
avg=$(avg_in "$TMP/hub.log" t)
[ -n "$avg" ] && [ "$avg" -gt 1514 ] &&
	ok "hub: frames from the guest's tap average $avg bytes (GSO)" ||
	fail "hub: frames from the tap average '${avg}' bytes: $(tail -n 20 "$TMP/hub.log")"
# The dump port takes no GSO frames: the gateway's segments stay unmerged.
nmerged=$(merged "$TMP/hub.log")
ntso=$(tso "$TMP/hub.log")
[ "$nmerged" = 0 ] && [ "$ntso" = 0 ] &&
	ok "hub: nothing merged, no segment of many MSS while a port takes no GSO" ||
	fail "hub: '${nmerged}' GSO frames merged, '${ntso}' of many MSS with a dump port attached"
stop_pid "$UPID" >/dev/null

# The dump saw the transfer cut to the MTU, every checksum verified good.
tshark -r "$TMP/hub.pcap" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
	-T fields -e frame.len -e ip.checksum.status -e tcp.checksum.status \
	-Y "tcp.port == $port" >"$TMP/fields" 2>"$TMP/tshark.err"
frames=$(wc -l <"$TMP/fields")
max=$(cut -f1 "$TMP/fields" | sort -n | tail -n 1)
bad=$(awk -F'\t' '$2 != 2 && $2 != 1 || $3 != 2 && $3 != 1 { n++ } END { print n + 0 }' "$TMP/fields")
good=$(awk -F'\t' '$3 == 1 { n++ } END { print n + 0 }' "$TMP/fields")
[ "$frames" -gt 10000 ] && ok "dump: $frames frames of the transfer" ||
	fail "dump: only $frames frames of the transfer: $(cat "$TMP/tshark.err")"
[ -n "$max" ] && [ "$max" -le 1514 ] && ok "dump: largest frame $max bytes (<= 1514)" ||
	fail "dump: a frame of $max bytes past the MTU"
[ "$bad" = 0 ] && [ "$good" -gt 10000 ] &&
	ok "dump: $good TCP checksums verified good, none bad" ||
	fail "dump: $bad frames with a bad (or unverified) checksum, $good good"

# ---- 3. a tap made with netns= has the offloads too ----------------------
for keys in "" ",offload=off"; do
	unshare --net sleep 60 &
	tpid=$!
	PIDS+=("$tpid")
	wait_for 5 sh -c "[ \"\$(readlink /proc/$tpid/ns/net)\" != \"\$(readlink /proc/self/ns/net)\" ]" ||
		fail "netns: no new namespace"
	"$USERNET" -netdev user,id=u -netdev "tap,id=t,netns=$tpid,ifname=tap0$keys" \
		2>"$TMP/netns.log" &
	npid=$!
	PIDS+=("$npid")
	want=on
	[ -n "$keys" ] && want=off
	wait_for 10 nsenter -t "$tpid" -n ip link show tap0 ||
		fail "netns$keys: no tap0 in the namespace: $(cat "$TMP/netns.log")"
	tso=$(nsenter -t "$tpid" -n ethtool -k tap0 | sed -n 's/^tcp-segmentation-offload: //p')
	[ "$tso" = "$want" ] && ok "netns$keys: TSO $tso on the tap made in the namespace" ||
		fail "netns$keys: TSO '$tso' on tap0, want $want"
	stop_pid "$npid" >/dev/null
	stop_pid "$tpid" >/dev/null
done
finish
