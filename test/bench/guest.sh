#!/bin/sh
# guest.sh - the part of test/bench/bench.sh that runs inside the namespace.
#
#   guest.sh WORKLOAD PORT SECONDS BENCHNET FWDPIDFILE USE_SOCKPERF
#
# WORKLOAD is probe, tcp_up (guest->host), tcp_down (host->guest), rr
# (request/response latency) or crr (connections per second). The host is
# reached at the namespace's default gateway: 10.0.2.2 for usernet and
# slirp4netns, the host's own gateway address for pasta (which maps it to the
# host's loopback). FWDPIDFILE holds the forwarder's PID (usernet, slirp4netns
# or pasta), whose CPU time is sampled around the workload. USE_SOCKPERF is 1
# to measure the round trip with sockperf, 0 for benchnet rr.
#
# Prints exactly one line: "RESULT VALUE CPU%" or "FAIL reason".
# Every wait is bounded.

wl=$1 port=$2 secs=$3 benchnet=$4 pidfile=$5 use_sockperf=${6:-0}

fail() { echo "FAIL $*"; exit 1; }

# Wait (at most 10 s) for the forwarder to configure the interface.
gw=
i=0
while [ $i -lt 100 ]; do
	gw=$(ip -4 route show default 2>/dev/null | awk '{print $3; exit}')
	[ -n "$gw" ] && break
	sleep 0.1
	i=$((i + 1))
done
[ -n "$gw" ] || fail "no default route in the namespace after 10 s"

fwdpid=
i=0
while [ $i -lt 50 ]; do
	[ -s "$pidfile" ] && fwdpid=$(cat "$pidfile") && break
	sleep 0.1
	i=$((i + 1))
done

cpu_ticks() {
	# utime + stime (fields 14, 15) of the forwarder, in clock ticks.
	if [ -z "$fwdpid" ] || [ ! -r "/proc/$fwdpid/stat" ]; then
		echo -
		return
	fi
	sed 's/^.*) //' "/proc/$fwdpid/stat" | awk '{print $12 + $13}'
}
now() { date +%s.%N; }

c0=$(cpu_ticks) t0=$(now)
case $wl in
probe)
	out=$(timeout 10 "$benchnet" crr "$gw" "$port" 3 3 2>&1) ||
		fail "no TCP connection to the host through $gw: $(echo "$out" | tail -n 1)"
	val=ok
	;;
tcp_up | tcp_down)
	r=
	[ "$wl" = tcp_down ] && r=-R
	out=$(timeout $((secs + 20)) iperf3 -c "$gw" -p "$port" -t "$secs" \
		-f m --connect-timeout 3000 $r 2>&1) ||
		fail "iperf3: $(echo "$out" | grep -v '^ *$' | tail -n 1)"
	val=$(echo "$out" | awk '/receiver/ { for (i = 2; i <= NF; i++)
		if ($i == "Mbits/sec") v = $(i - 1) }
		END { if (v != "") printf "%.3f", v / 1000 }')
	[ -n "$val" ] || fail "iperf3: no receiver line in its output"
	# One-second intervals that moved nothing: a stall, not a slow path.
	stalled=$(echo "$out" | grep -v -e sender -e receiver |
		grep -c -E 'sec +0(\.00)? Bytes')
	[ "$stalled" -gt 0 ] &&
		echo "NOTE stalled: $stalled of $secs one-second intervals moved 0 bytes"
	;;
rr)
	if [ "$use_sockperf" = 1 ]; then
		# sockperf's figures are half round trips; report the round trip.
		# 14 bytes is sockperf's smallest message (its header).
		out=$(timeout $((secs + 20)) sockperf ping-pong --tcp -i "$gw" \
			-p "$port" -t "$secs" -m 14 2>&1) ||
			fail "sockperf: $(echo "$out" | grep -v '^ *$' | tail -n 1)"
		val=$(echo "$out" | awk '/percentile 50.000/ { printf "%.2f", 2 * $NF }')
	else
		out=$(timeout $((secs + 20)) "$benchnet" rr "$gw" "$port" "$secs" 2>&1) ||
			fail "benchnet rr: $(echo "$out" | tail -n 1)"
		val=$(echo "$out" | sed -n 's/.*rtt_us_median=\([0-9.]*\).*/\1/p')
	fi
	[ -n "$val" ] || fail "no latency figure in the output"
	;;
crr)
	out=$(timeout $((secs + 20)) "$benchnet" crr "$gw" "$port" "$secs" 20000 2>&1) ||
		fail "benchnet crr: $(echo "$out" | tail -n 1)"
	val=$(echo "$out" | sed -n 's/.*rate=\([0-9.]*\).*/\1/p')
	nfail=$(echo "$out" | sed -n 's/.*fail=\([0-9]*\).*/\1/p')
	[ -n "$val" ] || fail "no rate in the output"
	[ "${nfail:-0}" -eq 0 ] ||
		echo "NOTE $nfail failed connections ($(echo "$out" | sed -n 's/.*last_error=//p'))"
	;;
*)
	fail "unknown workload $wl"
	;;
esac
c1=$(cpu_ticks) t1=$(now)

cpu=$(awk -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" \
	-v hz="$(getconf CLK_TCK)" 'BEGIN {
	if (c0 == "-" || c1 == "-" || t1 <= t0) print "-";
	else printf "%.0f", 100 * (c1 - c0) / hz / (t1 - t0) }')
echo "RESULT $val $cpu"
