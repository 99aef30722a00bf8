#!/bin/sh
# guest.sh - the part of test/bench/bench.sh that runs inside the namespace.
#
#   guest.sh WORKLOAD PORT SECONDS BENCHNET FWDPIDFILE USE_SOCKPERF [FAMILY [HOST]]
#
# WORKLOAD is probe, tcp_up (guest->host), tcp_down (host->guest), rr
# (request/response latency) or crr (connections per second). FAMILY is 4
# (the default) or 6. HOST is the address that reaches the host's loopback;
# "gw" (the default) means the namespace's default gateway. With IPv4 that
# is 10.0.2.2 for usernet and slirp4netns, the host's own gateway address
# for pasta (which maps it to the host's loopback). With IPv6 bench.sh names
# the address for usernet (fec0::2) and slirp4netns (fd00::2), and "gw" for
# pasta (the host's IPv6 gateway, which pasta maps to ::1; a link-local
# gateway gets the interface as its scope). FWDPIDFILE holds the forwarder's
# PID (usernet, slirp4netns or pasta), whose CPU time is sampled around the
# workload. USE_SOCKPERF is 1 to measure the round trip with sockperf, 0 for
# benchnet rr.
#
# FWDPIDFILE may hold "machine" instead of a PID: then the CPU time is the
# whole machine's busy time (every CPU's non-idle ticks from /proc/stat),
# which is where the kernel's own path (the veth row) spends it.
#
# Prints exactly one line: "RESULT VALUE CPU% PER_UNIT" or "FAIL reason".
# PER_UNIT is the CPU time per unit of work: milliseconds per gigabit moved
# (tcp_up, tcp_down) or microseconds per transaction (rr: per round trip,
# crr: per connection); "-" when unknown. Every wait is bounded.

wl=$1 port=$2 secs=$3 benchnet=$4 pidfile=$5 use_sockperf=${6:-0}
family=${7:-4} host=${8:-gw}

fail() { echo "FAIL $*"; exit 1; }

case $family in
4 | 6) ;;
*) fail "unknown address family $family" ;;
esac

# Whether the namespace has an IPv6 address other than link-local that
# has left the tentative state (or failed duplicate address detection).
ip6_ready() {
	ip -6 -o addr show 2>/dev/null | awk '
		/ scope (global|site) / && !/ tentative/ && !/ dadfailed/ { ok = 1 }
		END { exit !ok }'
}

# Wait (at most 10 s) for the forwarder to configure the interface: a
# default route and, with IPv6, an address from SLAAC (or pasta's copy of
# the host's) out of duplicate address detection.
gw='' dev=''
i=0
while [ $i -lt 100 ]; do
	if [ "$family" = 4 ] || ip6_ready; then
		# shellcheck disable=SC2046 # "VIA DEV", split on purpose
		set -- $(ip "-$family" route show default 2>/dev/null |
			awk '{ for (j = 1; j < NF; j++) {
				if ($j == "via") g = $(j + 1)
				if ($j == "dev") d = $(j + 1) }
			print g, d; exit }')
		gw=${1:-} dev=${2:-}
		[ -n "$gw" ] && break
	fi
	sleep 0.1
	i=$((i + 1))
done
if [ -z "$gw" ]; then
	[ "$family" = 6 ] && ! ip6_ready &&
		fail "no IPv6 address out of tentative state in the namespace after 10 s"
	fail "no IPv$family default route in the namespace after 10 s"
fi
if [ "$host" = gw ]; then
	host=$gw
	case $host in fe80:* | FE80:*) host=$host%$dev ;; esac
fi

fwdpid=
i=0
while [ $i -lt 50 ]; do
	[ -s "$pidfile" ] && fwdpid=$(cat "$pidfile") && break
	sleep 0.1
	i=$((i + 1))
done

cpu_ticks() {
	# utime + stime (fields 14, 15) of the forwarder, in clock ticks; for
	# "machine", every CPU's user, nice, system, irq and softirq ticks
	# (/proc/stat; idle, iowait and steal left out).
	if [ "$fwdpid" = machine ]; then
		awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8; exit }' /proc/stat
		return
	fi
	if [ -z "$fwdpid" ] || [ ! -r "/proc/$fwdpid/stat" ]; then
		echo -
		return
	fi
	sed 's/^.*) //' "/proc/$fwdpid/stat" | awk '{print $12 + $13}'
}
now() { date +%s.%N; }

# units: the work done, for the CPU time per unit (gigabits moved, round
# trips, connections).
units=-
c0=$(cpu_ticks) t0=$(now)
case $wl in
probe)
	out=$(timeout 10 "$benchnet" crr "$host" "$port" 3 3 2>&1) ||
		fail "no TCP connection to the host through $host: $(echo "$out" | tail -n 1)"
	val=ok
	;;
tcp_up | tcp_down)
	r=
	[ "$wl" = tcp_down ] && r=-R
	out=$(timeout $((secs + 20)) iperf3 "-$family" -c "$host" -p "$port" -t "$secs" \
		-f m --connect-timeout 3000 $r 2>&1)
	rc=$?
	if [ $rc -ne 0 ]; then
		# Its error line, else its last line (an interval, on a stall).
		msg=$(echo "$out" | grep 'error' | tail -n 1)
		[ -n "$msg" ] || msg=$(echo "$out" | grep -v '^ *$' | tail -n 1)
		[ $rc -eq 124 ] && msg="killed after $((secs + 20)) s; last line: $msg"
		fail "iperf3: $msg"
	fi
	val=$(echo "$out" | awk '/receiver/ { for (i = 2; i <= NF; i++)
		if ($i == "Mbits/sec") v = $(i - 1) }
		END { if (v != "") printf "%.3f", v / 1000 }')
	[ -n "$val" ] || fail "iperf3: no receiver line in its output"
	units=$(awk -v v="$val" -v s="$secs" 'BEGIN { printf "%.6f", v * s }')
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
		out=$(timeout $((secs + 20)) sockperf ping-pong --tcp -i "$host" \
			-p "$port" -t "$secs" -m 14 2>&1) ||
			fail "sockperf: $(echo "$out" | grep -v '^ *$' | tail -n 1)"
		val=$(echo "$out" | awk '/percentile 50.000/ { printf "%.2f", 2 * $NF }')
		# Every round trip of the run, its warm-up included (the CPU
		# time covers it too).
		units=$(echo "$out" | sed -n 's/.*Total Run.*ReceivedMessages=\([0-9]*\).*/\1/p')
	else
		out=$(timeout $((secs + 20)) "$benchnet" rr "$host" "$port" "$secs" 2>&1) ||
			fail "benchnet rr: $(echo "$out" | tail -n 1)"
		val=$(echo "$out" | sed -n 's/.*rtt_us_median=\([0-9.]*\).*/\1/p')
		units=$(echo "$out" | sed -n 's/^n=\([0-9]*\) .*/\1/p')
	fi
	[ -n "$val" ] || fail "no latency figure in the output"
	;;
crr)
	out=$(timeout $((secs + 20)) "$benchnet" crr "$host" "$port" "$secs" 20000 2>&1) ||
		fail "benchnet crr: $(echo "$out" | tail -n 1)"
	val=$(echo "$out" | sed -n 's/.*rate=\([0-9.]*\).*/\1/p')
	nfail=$(echo "$out" | sed -n 's/.*fail=\([0-9]*\).*/\1/p')
	units=$(echo "$out" | sed -n 's/^ok=\([0-9]*\) .*/\1/p')
	[ -n "$val" ] || fail "no rate in the output"
	[ "${nfail:-0}" -eq 0 ] ||
		echo "NOTE $nfail failed connections ($(echo "$out" | sed -n 's/.*last_error=//p'))"
	;;
*)
	fail "unknown workload $wl"
	;;
esac
c1=$(cpu_ticks) t1=$(now)

# shellcheck disable=SC2046 # "CPU% PER_UNIT", split on purpose
set -- $(awk -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v u="${units:--}" \
	-v wl="$wl" -v hz="$(getconf CLK_TCK)" 'BEGIN {
	if (c0 == "-" || c1 == "-" || t1 <= t0) { print "- -"; exit }
	s = (c1 - c0) / hz
	printf "%.0f ", 100 * s / (t1 - t0)
	if (u == "-" || u <= 0) print "-"
	else if (wl == "tcp_up" || wl == "tcp_down") printf "%.1f\n", 1000 * s / u
	else printf "%.1f\n", 1e6 * s / u }')
echo "RESULT $val $1 $2"
