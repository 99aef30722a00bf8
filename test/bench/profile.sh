#!/bin/bash
# profile.sh - where usernet's cycles go in one bench.sh workload (issue 17).
#
# Not a test. Runs one workload of bench.sh (a namespace from `usernet run`,
# the server on the host's loopback) with `perf record` attached to the
# usernet process only (not to the client in the namespace nor to the
# server), then prints perf report's top entries by self time and by
# children (self + callees) time, so the README can quote where the cycles
# go. See test/bench/README.md.
#
#   test/bench/profile.sh                                   # as root
#   PROFILE_WORKLOAD=crr USERNET=build-rel/usernet test/bench/profile.sh
#
# Environment:
#   USERNET           the usernet binary (default ./build/usernet, then the
#                     repository's build/usernet); a Release build is what
#                     users run
#   PROFILE_WORKLOAD  g2h (TCP guest->host, iperf3), h2g (host->guest,
#                     iperf3 -R), rr (round trips, sockperf or benchnet) or
#                     crr (connect + 1-byte request/response); default g2h
#   PROFILE_MTU       the hub's MTU, 1500 or 65520 (any usernet takes);
#                     default 1500
#   PROFILE_FAMILY    4 or 6 (default 4)
#   PROFILE_TIME      seconds of the workload (default 8)
#   PROFILE_TOP       entries of each list (default 15)
#   PROFILE_FREQ      samples per second (default 999)
#   PROFILE_CALLGRAPH perf's --call-graph mode: dwarf (default: stacks
#                     unwound from a copy of the stack, right also for a
#                     Release build without frame pointers) or fp (perf
#                     record -g: cheaper, but callers are lost in code
#                     built without -fno-omit-frame-pointer)
#   PROFILE_KEEP      a folder to keep perf.data in (default: removed)
#   BENCH_NO_INSTALL=1  never call apt-get
#
# Traffic goes only to the host's loopback and the namespace usernet makes.
# Every process the script starts is tracked by PID and killed on exit,
# Ctrl-C included; its scratch folder under /tmp is removed.

set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
. "$here/lib/common.sh"

WL=${PROFILE_WORKLOAD:-g2h}
MTU=${PROFILE_MTU:-1500}
FAM=${PROFILE_FAMILY:-4}
SECS=${PROFILE_TIME:-8}
TOP=${PROFILE_TOP:-15}
FREQ=${PROFILE_FREQ:-999}
CG=${PROFILE_CALLGRAPH:-dwarf}

case $WL in
g2h) gwl=tcp_up ;;
h2g) gwl=tcp_down ;;
rr | crr) gwl=$WL ;;
*) die "PROFILE_WORKLOAD must be g2h, h2g, rr or crr, not $WL" ;;
esac
case $FAM in 4 | 6) ;; *) die "PROFILE_FAMILY must be 4 or 6" ;; esac
for v in MTU SECS TOP FREQ; do
	case ${!v} in '' | *[!0-9]* | 0) die "PROFILE_$v must be a positive integer" ;; esac
done
case $CG in dwarf) cg=(--call-graph dwarf) ;; fp) cg=(-g) ;;
*) die "PROFILE_CALLGRAPH must be dwarf or fp" ;; esac
[ "$(id -u)" = 0 ] || die "run me as root (perf on another process, namespaces)"
[ -x "$USERNET" ] || die "no usernet binary at $USERNET (set USERNET)"

install_missing perf=linux-perf iperf3=iperf3 sockperf=sockperf \
	cc=gcc+libc6-dev ss=iproute2
for c in perf iperf3 cc ss; do
	command -v "$c" >/dev/null || die "$c is needed and could not be installed"
done

TMP=$(mktemp -d /tmp/usernet-profile.XXXXXX) || die "mktemp failed"
chmod 755 "$TMP"
cc -O2 -o "$TMP/benchnet" "$here/benchnet.c" || die "cannot build benchnet.c"
cp "$here/guest.sh" "$TMP/guest.sh"

lo=127.0.0.1 host=gw sp=0
[ "$FAM" = 6 ] && lo=::1 host=fec0::2
# sockperf 3.7 (Debian 12) takes no IPv6 address: benchnet rr there.
[ "$WL" = rr ] && [ "$FAM" = 4 ] && command -v sockperf >/dev/null && sp=1

free_port
case $gwl in
tcp_up | tcp_down) iperf3 -s -1 -B "$lo" -p "$PORT" >"$TMP/srv.log" 2>&1 & ;;
rr) if [ "$sp" = 1 ]; then
	sockperf server --tcp -i "$lo" -p "$PORT" >"$TMP/srv.log" 2>&1 &
else
	"$TMP/benchnet" serve "$lo" "$PORT" >"$TMP/srv.log" 2>&1 &
fi ;;
crr) "$TMP/benchnet" serve "$lo" "$PORT" >"$TMP/srv.log" 2>&1 & ;;
esac
srv=$!
PIDS+=("$srv")
wait_listen "$PORT" || die "the server did not listen: $(tail -n 1 "$TMP/srv.log")"

# The guest waits for the pidfile, so the workload starts only once perf is
# attached (perf's own start-up is not in the profile).
pidfile=$TMP/fwd.pid
"$USERNET" run --mtu "$MTU" -- sh "$TMP/guest.sh" "$gwl" "$PORT" "$SECS" \
	"$TMP/benchnet" "$pidfile.go" "$sp" "$FAM" "$host" >"$TMP/guest.log" 2>&1 &
fwd=$!
PIDS+=("$fwd")
perf record -q -F "$FREQ" "${cg[@]}" -p "$fwd" -o "$TMP/perf.data" \
	>"$TMP/perf.log" 2>&1 &
perf_pid=$!
PIDS+=("$perf_pid")
# perf is attached once it has written its header; give it a moment.
wait_for 5 test -s "$TMP/perf.data" || say "$BENCH_NAME: perf.data is still empty after 5 s"
sleep 0.5
echo "$fwd" >"$pidfile.go"
wait_deadline "$fwd" $((SECS + 60)) || say "$BENCH_NAME: the workload timed out"
kill_pid "$fwd"
# perf stops by itself when the process it follows exits; bounded anyway.
wait_for 10 sh -c "! kill -0 $perf_pid" || kill -INT "$perf_pid" 2>/dev/null
wait_deadline "$perf_pid" 20 || kill_pid "$perf_pid"
kill_pid "$srv"

line=$(grep -E '^(RESULT|FAIL) ' "$TMP/guest.log" | tail -n 1)
case $line in RESULT*) ;; *) die "workload failed: ${line:-$(tail -n 3 "$TMP/guest.log")}" ;; esac
# shellcheck disable=SC2086
set -- $line
val=$2 cpu=$3 per=${4:--}
unit=Gbit/s perunit=ms/Gbit
case $gwl in rr) unit="us (round trip p50)" perunit="us/round trip" ;;
crr) unit=conn/s perunit="us/connection" ;; esac
[ -s "$TMP/perf.data" ] || die "perf recorded nothing: $(tail -n 2 "$TMP/perf.log")"

commit=
case $USERNET in "$repo"/*) commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null) ;; esac
echo "usernet profile, $(date -u '+%Y-%m-%d %H:%M:%S UTC'): workload $WL, MTU $MTU, IPv$FAM, $SECS s"
echo "usernet: $("$USERNET" --version 2>&1 | head -n 1) ($USERNET${commit:+, commit $commit})"
echo "machine: $(nproc) CPUs, kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "result: $val $unit; usernet CPU $cpu% of one core, $per $perunit"
echo "perf: $(perf --version), -F $FREQ, call graph $CG, attached to usernet only"

# report MODE: the top entries, one per symbol ("[k]" kernel, "[.]" user).
report() {
	perf report -i "$TMP/perf.data" --stdio -g none --sort dso,symbol \
		"$1" --percent-limit 0.5 2>/dev/null |
		awk -v top="$TOP" -v mode="$1" '
		/^#/ || NF == 0 { next }
		{
			if (mode == "--children") { c = $1; s = $2; i = 3 }
			else { s = $1; c = ""; i = 2 }
			dso = $i; rest = ""
			# Frames perf could not name (the internals of a stripped library
			# such as libuv, the end of an unwound stack) say nothing.
			if (dso == "[unknown]") next
			for (j = i + 1; j <= NF; j++) rest = rest (rest == "" ? "" : " ") $j
			if (rest ~ /^\[.\] 0x[0-9a-f]+/) next
			sub(/( -)+$/, "", rest)
			if (mode == "--children")
				printf "| %s | %s | %s | %s |\n", c, s, rest, dso
			else
				printf "| %s | %s | %s |\n", s, rest, dso
			if (++n >= top) exit
		}'
}
echo
echo "Top $TOP by self time (the function itself):"
echo
echo "| self | symbol | object |"
echo "|---:|---|---|"
report --no-children
echo
echo "Top $TOP by children time (the function and what it calls):"
echo
echo "| children | self | symbol | object |"
echo "|---:|---:|---|---|"
report --children
if [ -n "${PROFILE_KEEP:-}" ]; then
	mkdir -p "$PROFILE_KEEP" && cp "$TMP/perf.data" "$PROFILE_KEEP/perf-$WL-$MTU.data" &&
		say "$BENCH_NAME: kept $PROFILE_KEEP/perf-$WL-$MTU.data"
fi
