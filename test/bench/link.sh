#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Benchmark (not a test): throughput of a link between two usernet
# processes, for each stream and datagram attachment, at MTU 1500 and 65520;
# then VXLAN beside them at inner MTU 1450 and 8950 (a 1500 and a 9000
# underlay), with the ratios.
#
#   namespace A            usernet A                usernet B          namespace B
#  +------------+  tap  +--------------+  link  +--------------+  tap  +------------+
#  | iperf3 -s  |<----->| tap -- link  |<------>| link -- tap  |<----->| iperf3 -c  |
#  | 10.0.2.15  |       +--------------+        +--------------+       | 10.0.2.16  |
#  +------------+                                                      +------------+
#
# Each figure is the median of BENCH_RUNS (3) iperf3 runs of BENCH_TIME (5)
# seconds; frames per second come from usernet B's counters for its link
# port (SIGUSR1), in both directions together; CPU us/frame is the CPU time
# (utime + stime) of both usernets during the run over those frames. Run as
# root:
#   USERNET=build/usernet test/bench/link.sh
# LINK_KINDS (default "socket-tcp socket-tcp-offload stream-unix
# stream-unix-offload dgram-udp"; "-offload": offload=on at both ends, the
# GSO frames of the namespaces' taps cross whole) and LINK_MTUS
# (default "1500 65520") pick the first table's rows; LINK_VXLAN=0 leaves
# out the VXLAN table.
set -u
USERNET=${USERNET:-$(dirname "$0")/../../build/usernet}
RUNS=${BENCH_RUNS:-3}
SECS=${BENCH_TIME:-5}
TMP=$(mktemp -d /tmp/usernet-linkbench.XXXXXX)
TAG=$$
PIDS=()
NS=()

cleanup() {
	local p n
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	for n in "${NS[@]}"; do ip netns del "$n" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || { echo "link.sh: run as root (namespaces and taps)"; exit 1; }
[ -x "$USERNET" ] || { echo "link.sh: no usernet at $USERNET (set USERNET)"; exit 1; }
command -v iperf3 >/dev/null || { echo "link.sh: iperf3 is not installed"; exit 1; }

wait_for() { # SECONDS COMMAND...
	local i
	for ((i = 0; i < $1 * 10; i++)); do "${@:2}" >/dev/null 2>&1 && return 0; sleep 0.1; done
	return 1
}

median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print NR ? a[int((NR+1)/2)] : "n/a"}'; }

# link_frames PID PORTID: frames in + out of that port, from a SIGUSR1 dump.
link_frames() {
	local log=$TMP/b.log before
	before=$(wc -l <"$log")
	kill -USR1 "$1"
	sleep 0.3
	tail -n +"$((before + 1))" "$log" |
		awk -v id="$2" '$3 == id { for (i = 1; i <= NF; i++) { if ($i == "in") a = $(i+1); if ($i == "out") b = $(i+1) } } END { print a + b }'
}

# cpu_ticks PID...: utime + stime of the processes, in clock ticks.
cpu_ticks() {
	local p t=0
	for p in "$@"; do
		t=$((t + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{ print $12 + $13 }')))
	done
	echo "$t"
}

# one_case NAME MTU "A-NETDEV" "B-NETDEV": prints "Gbit/s frames/s CPU-us/frame".
one_case() {
	local name=$1 mtu=$2 la=$3 lb=$4 ta=ulba$TAG tb=ulbb$TAG na=unet-lba-$TAG nb=unet-lbb-$TAG
	local apid bpid spid r gbits=() fps=() cpf=() f0 f1 c0 c1 out
	"$USERNET" --mtu "$mtu" -netdev tap,id=ta,ifname="$ta" -netdev "$la" 2>"$TMP/a.log" &
	apid=$!; PIDS+=("$apid")
	wait_for 5 ip link show "$ta" || { echo "n/a n/a"; return; }
	"$USERNET" --mtu "$mtu" -netdev tap,id=tb,ifname="$tb" -netdev "$lb" 2>"$TMP/b.log" &
	bpid=$!; PIDS+=("$bpid")
	wait_for 5 ip link show "$tb" || { echo "n/a n/a"; return; }
	ip netns add "$na"; NS+=("$na"); ip netns add "$nb"; NS+=("$nb")
	ip link set "$ta" netns "$na"; ip link set "$tb" netns "$nb"
	ip -n "$na" addr add 10.0.2.15/24 dev "$ta"; ip -n "$nb" addr add 10.0.2.16/24 dev "$tb"
	ip -n "$na" link set "$ta" mtu "$mtu" up; ip -n "$nb" link set "$tb" mtu "$mtu" up
	ip -n "$na" link set lo up; ip -n "$nb" link set lo up
	ip netns exec "$na" iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
	spid=$!
	wait_for 10 ip netns exec "$nb" ping -c 1 -W 1 10.0.2.15 || { echo "n/a n/a n/a"; kill "$spid"; return; }
	kill "$spid" 2>/dev/null; wait "$spid" 2>/dev/null
	for ((r = 0; r < RUNS; r++)); do
		ip netns exec "$na" iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
		spid=$!
		sleep 0.3
		f0=$(link_frames "$bpid" lb)
		c0=$(cpu_ticks "$apid" "$bpid")
		out=$(ip netns exec "$nb" timeout $((SECS + 20)) iperf3 -c 10.0.2.15 -p 5201 -t "$SECS" -J 2>/dev/null)
		c1=$(cpu_ticks "$apid" "$bpid")
		f1=$(link_frames "$bpid" lb)
		wait "$spid" 2>/dev/null
		g=$(printf '%s' "$out" | python3 -c 'import json,sys; print("%.2f" % (json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e9))' 2>/dev/null) || g=
		[ -n "$g" ] && gbits+=("$g") && fps+=("$(( (f1 - f0) / SECS ))") &&
			cpf+=("$(awk -v c=$((c1 - c0)) -v f=$((f1 - f0)) -v hz="$(getconf CLK_TCK)" \
				'BEGIN { if (f > 0) printf "%.2f", 1e6 * c / hz / f; else print "n/a" }')")
	done
	kill "$apid" "$bpid" 2>/dev/null; wait "$apid" "$bpid" 2>/dev/null
	ip netns del "$na"; ip netns del "$nb"
	echo "$(median "${gbits[@]:-n/a}") $(median "${fps[@]:-n/a}") $(median "${cpf[@]:-n/a}")"
}

port=$((20000 + TAG % 20000))

# link_netdevs KIND: sets $a and $b, the two usernets' netdevs for KIND.
link_netdevs() {
	case $1 in
	socket-tcp)
		a="socket,id=la,listen=127.0.0.1:$port"
		b="socket,id=lb,connect=127.0.0.1:$port" ;;
	stream-unix)
		a="stream,id=la,server=on,addr.type=unix,addr.path=$TMP/s.sock"
		b="stream,id=lb,server=off,addr.type=unix,addr.path=$TMP/s.sock" ;;
	socket-tcp-offload | stream-unix-offload)
		# usernet's offload extension (offload=on at both ends)
		link_netdevs "${1%-offload}"
		a="$a,offload=on"
		b="$b,offload=on" ;;
	dgram-udp)
		a="socket,id=la,udp=127.0.0.1:$((port + 1)),localaddr=127.0.0.1:$port"
		b="socket,id=lb,udp=127.0.0.1:$port,localaddr=127.0.0.1:$((port + 1))" ;;
	vxlan)
		# Two VXLAN endpoints on one host: each its own UDP port.
		a="vxlan,id=la,vni=42,local=127.0.0.1,port=$port,remote=127.0.0.1:$((port + 1))"
		b="vxlan,id=lb,vni=42,local=127.0.0.1,port=$((port + 1)),remote=127.0.0.1:$port" ;;
	esac
}

printf '\nusernet link benchmark, %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
printf 'machine: %s CPUs, kernel %s; median of %s runs of %s s (iperf3, one TCP stream)\n\n' \
	"$(nproc)" "$(uname -r)" "$RUNS" "$SECS"
printf '%-34s %10s %14s %14s\n' "link [MTU]" "Gbit/s" "frames/s" "CPU us/frame"
for mtu in ${LINK_MTUS:-1500 65520}; do
	for kind in ${LINK_KINDS:-socket-tcp socket-tcp-offload stream-unix stream-unix-offload dgram-udp}; do
		link_netdevs "$kind"
		rm -f "$TMP/s.sock"
		if [ "$kind" = dgram-udp ] && [ "$mtu" -gt 65493 ]; then
			# a UDP datagram holds at most 65507 bytes: a full frame
			# at this MTU cannot cross a datagram link at all
			printf '%-34s %10s %14s\n' "$kind [$mtu]" "n/a" "(frame > 65507)"
			continue
		fi
		read -r g f c < <(one_case "$kind" "$mtu" "$a" "$b")
		printf '%-34s %10s %14s %14s\n' "$kind [$mtu]" "$g" "$f" "$c"
		port=$((port + 2))
	done
done

[ "${LINK_VXLAN:-1}" = 0 ] && exit 0

# VXLAN at the inner MTUs of a 1500 and a 9000 underlay, beside the other
# links at the same MTU; the ratios are vxlan's figure over each other's.
ratio() { python3 -c "import sys; a, b = sys.argv[1:]; print('%.2f' % (float(a) / float(b)))" "$1" "$2" 2>/dev/null || echo n/a; }
printf '\nVXLAN beside the other links (loopback underlay; inner MTU 1450 = 1500 - 50, 8950 = 9000 - 50)\n'
printf '%-34s %10s %14s %14s %14s\n' "link [MTU]" "Gbit/s" "frames/s" "vxlan/x Gb/s" "vxlan/x fr/s"
for mtu in 1450 8950; do
	declare -A G=() F=()
	for kind in socket-tcp stream-unix dgram-udp vxlan; do
		link_netdevs "$kind"
		rm -f "$TMP/s.sock"
		read -r g f _ < <(one_case "$kind" "$mtu" "$a" "$b")
		G[$kind]=$g
		F[$kind]=$f
		port=$((port + 2))
	done
	for kind in socket-tcp stream-unix dgram-udp vxlan; do
		if [ "$kind" = vxlan ]; then
			printf '%-34s %10s %14s\n' "$kind [$mtu]" "${G[$kind]}" "${F[$kind]}"
		else
			printf '%-34s %10s %14s %14s %14s\n' "$kind [$mtu]" "${G[$kind]}" "${F[$kind]}" \
				"$(ratio "${G[vxlan]}" "${G[$kind]}")" "$(ratio "${F[vxlan]}" "${F[$kind]}")"
		fi
	done
done
