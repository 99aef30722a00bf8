#!/bin/bash
# bench.sh - usernet against slirp4netns and pasta, side by side (issue #3),
# with the kernel's own path (a namespace on a veth pair) as the limit, and
# what a 100-rule egress policy costs usernet (issue 20).
#
# Not a test: it asserts nothing about speed and is not registered in CTest.
# It prints markdown tables of medians. See test/bench/README.md.
#
#   test/bench/bench.sh            # as root
#
# Environment:
#   USERNET      the usernet binary (default ./build/usernet, then the
#                repository's build/usernet)
#   BENCH_RUNS   runs of every workload, the median is reported (default 3)
#   BENCH_TIME   seconds per workload run (default 5)
#   BENCH_TOOLS  which tools to run (default "usernet slirp4netns pasta veth
#                usernet-policy"): veth is a namespace on a veth pair to the
#                host (no forwarder: the kernel's path), usernet-policy is
#                usernet with a policy of 100 rules whose allowing rule is
#                the last (it runs the guest->host MTU 1500 and connection
#                rate rows only); usernet-busypoll (not in the default) is
#                usernet with --busy-poll BENCH_BUSY_POLL (default 50)
#                microseconds, on the round trip and connection rows only
#   BENCH_BUSY_POLL  usernet-busypoll's --busy-poll (default 50)
#   BENCH_FAMILIES  IP versions to measure, "4", "6" or "4 6" (default "4 6");
#                every workload has a row per version
#   BENCH_ROWS   which rows to run, by id (default all: "up1500 down1500
#                up65520 down65520 rr crr")
#   BENCH_NO_INSTALL=1  never call apt-get
#   BENCH_NO_SOCKPERF=1 measure the round trip with benchnet rr (1-byte
#                ping-pong) even when sockperf is installed
#
# Traffic goes only to the host's loopback (127.0.0.1 and ::1) and to the
# namespaces this script creates. Every process it starts is tracked by PID
# and killed on exit, Ctrl-C included; its scratch folder under /tmp is
# removed.

set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
RUNS=${BENCH_RUNS:-3}
SECS=${BENCH_TIME:-5}
TOOLS=${BENCH_TOOLS:-usernet slirp4netns pasta veth usernet-policy}
FAMILIES=${BENCH_FAMILIES:-4 6}
. "$here/lib/common.sh"


case $RUNS in '' | *[!0-9]* | 0) die "BENCH_RUNS must be a positive integer" ;; esac
case $SECS in '' | *[!0-9]* | 0) die "BENCH_TIME must be a positive integer" ;; esac
for fam in $FAMILIES; do
	case $fam in 4 | 6) ;; *) die "BENCH_FAMILIES: $fam is not 4 or 6" ;; esac
done
[ -n "${FAMILIES// /}" ] || die "BENCH_FAMILIES names no IP version"
has_family() { case " $FAMILIES " in *" $1 "*) return 0 ;; esac; return 1; }
[ "$(id -u)" = 0 ] || die "run me as root (I install packages and make namespaces)"

# ---------------------------------------------------------- installation --

install_missing slirp4netns=slirp4netns pasta=passt iperf3=iperf3 \
	sockperf=sockperf cc=gcc+libc6-dev ss=iproute2 ip=iproute2 \
	unshare=util-linux

command -v iperf3 >/dev/null || die "iperf3 is needed and could not be installed"
command -v cc >/dev/null || die "a C compiler is needed for test/bench/benchnet.c"
command -v ss >/dev/null || die "ss (iproute2) is needed"

TMP=$(mktemp -d /tmp/usernet-bench.XXXXXX) || die "mktemp failed"
chmod 755 "$TMP"
BENCHNET=$TMP/benchnet
cc -O2 -o "$BENCHNET" "$here/benchnet.c" || die "cannot build benchnet.c"
cp "$here/guest.sh" "$TMP/guest.sh"
GUEST=$TMP/guest.sh

# The veth row: a namespace with one end of a veth pair, the host the other,
# addresses from the documentation and benchmarking ranges. The server
# listens on the host's end, so every byte crosses the pair: the kernel's own
# path, what a user-mode forwarder can at best approach.
declare -A VETH_HOST=([4]=198.18.0.1 [6]=2001:db8:b::1)
declare -A VETH_GUEST=([4]=198.18.0.2 [6]=2001:db8:b::2)
VETH_NS=usernet-bench-$$
VETH_IF=ubv$$
VETH_IF=${VETH_IF:0:12}

# veth_down: the namespace and the pair (deleting either end deletes both).
veth_down() {
	ip link del "${VETH_IF}h" 2>/dev/null
	ip netns del "$VETH_NS" 2>/dev/null
}
cleanup_more() { veth_down; }

# veth_up MTU: the namespace VETH_NS and the pair, both ends at MTU, with
# IPv4 and IPv6 addresses (no duplicate address detection: nothing else is
# on the link) and the default routes via the host's end.
veth_up() {
	local mtu=$1
	veth_down
	ip netns add "$VETH_NS" &&
		ip link add "${VETH_IF}h" mtu "$mtu" type veth peer name "${VETH_IF}g" mtu "$mtu" &&
		ip link set "${VETH_IF}g" netns "$VETH_NS" || return 1
	ip addr add "${VETH_HOST[4]}/24" dev "${VETH_IF}h" &&
		ip addr add "${VETH_HOST[6]}/64" dev "${VETH_IF}h" nodad &&
		ip netns exec "$VETH_NS" ip addr add "${VETH_GUEST[4]}/24" dev "${VETH_IF}g" &&
		ip netns exec "$VETH_NS" ip addr add "${VETH_GUEST[6]}/64" dev "${VETH_IF}g" nodad ||
		return 1
	ip link set "${VETH_IF}h" up &&
		ip netns exec "$VETH_NS" ip link set lo up &&
		ip netns exec "$VETH_NS" ip link set "${VETH_IF}g" up &&
		ip netns exec "$VETH_NS" ip route add default via "${VETH_HOST[4]}" &&
		ip netns exec "$VETH_NS" ip -6 route add default via "${VETH_HOST[6]}"
}

# The usernet-policy row's policy files, one per IP version: the default
# denies, 99 rules of the row's family match nothing the workloads do
# (destinations in 198.18.0.0/15 or 2001:db8::/32), and the 100th, the
# last, allows TCP: every connection walks the whole list (the matcher is a
# linear walk, first match wins).
declare -A POLICY=([4]=$TMP/policy4 [6]=$TMP/policy6)
for f in 4 6; do
	{
		echo "# bench.sh: 100 rules, the allowing one last"
		echo "default deny"
		for ((i = 1; i <= 99; i++)); do
			if [ $f = 4 ]; then
				echo "deny tcp to 198.18.$i.0/24 port $((1000 + i))"
			else
				printf 'deny tcp to 2001:db8:%x::/48 port %d\n' "$i" $((1000 + i))
			fi
		done
		echo "allow tcp"
	} >"${POLICY[$f]}"
done

# ------------------------------------------------------------- sessions --

# The host's loopback address, and sockperf or not, per IP version.
declare -A LOOPBACK=([4]=127.0.0.1 [6]=::1) USE_SOCKPERF=([4]=0 [6]=0)
if command -v sockperf >/dev/null && [ "${BENCH_NO_SOCKPERF:-0}" != 1 ]; then
	USE_SOCKPERF[4]=1
	# Debian 12's sockperf 3.7 takes no IPv6 address ("Invalid address");
	# a later one that listens on ::1 measures the IPv6 round trip too.
	if has_family 6; then
		free_port
		sockperf server --tcp -i ::1 -p "$PORT" >/dev/null 2>&1 &
		pid=$!
		PIDS+=("$pid")
		# Until it listens or exits (at once, on "Invalid address"), 5 s.
		for ((i = 0; i < 50; i++)); do
			ss -Hltn "( sport = :$PORT )" | grep -q . &&
				{ USE_SOCKPERF[6]=1; break; }
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill_pid "$pid"
	fi
fi

# host_addr TOOL FAMILY: the address in the namespace that reaches the
# host's loopback, as guest.sh takes it ("gw": the default gateway). With
# IPv6, usernet's gateway is ::2 in its prefix (QEMU's fec0::/64) and
# slirp4netns's fd00::2; pasta's is the host's own IPv6 gateway. The veth
# row reaches the host's end of the pair.
host_addr() {
	case $2:$1 in
	*:veth) echo "${VETH_HOST[$2]}" ;;
	6:usernet*) echo fec0::2 ;;
	6:slirp4netns) echo fd00::2 ;;
	*) echo gw ;;
	esac
}

SESSION=0
# run_session TOOL MTU WORKLOAD FAMILY: sets R_VAL, R_CPU, R_PER (CPU time
# per unit of work), R_ERR (empty when fine), R_NOTE.
run_session() {
	local tool=$1 mtu=$2 wl=$3 fam=$4 srv ns fwd pidfile log fwdlog line
	local lo=${LOOPBACK[$4]} sp=${USE_SOCKPERF[$4]} host
	R_VAL='' R_CPU='' R_PER='' R_ERR='' R_NOTE=''
	[ "$tool" = veth ] && lo=${VETH_HOST[$fam]}
	if [ "$tool" = veth ] && ! veth_up "$mtu" >"$TMP/veth.log" 2>&1; then
		R_ERR="cannot make the veth pair: $(tail -n 1 "$TMP/veth.log")"
		veth_down
		return
	fi
	SESSION=$((SESSION + 1))
	pidfile=$TMP/fwd.$SESSION.pid
	log=$TMP/session.$SESSION.log
	fwdlog=$TMP/fwd.$SESSION.log

	free_port
	case $wl in
	tcp_up | tcp_down)
		iperf3 -s -1 -B "$lo" -p "$PORT" >"$TMP/srv.log" 2>&1 &
		;;
	rr)
		if [ "$sp" = 1 ]; then
			sockperf server --tcp -i "$lo" -p "$PORT" >"$TMP/srv.log" 2>&1 &
		else
			"$BENCHNET" serve "$lo" "$PORT" >"$TMP/srv.log" 2>&1 &
		fi
		;;
	*)
		"$BENCHNET" serve "$lo" "$PORT" >"$TMP/srv.log" 2>&1 &
		;;
	esac
	srv=$!
	PIDS+=("$srv")
	if ! wait_listen "$PORT"; then
		R_ERR="host server did not listen on $lo port $PORT: $(tail -n 1 "$TMP/srv.log")"
		kill_pid "$srv"
		return
	fi

	local deadline=$((SECS + 45))
	host=$(host_addr "$tool" "$fam")
	case $tool in
	usernet | usernet-policy | usernet-busypoll)
		local nd=()
		[ "$tool" = usernet-policy ] &&
			nd=(-netdev "user,id=u,policy=${POLICY[$fam]}")
		[ "$tool" = usernet-busypoll ] &&
			nd=(--busy-poll "${BENCH_BUSY_POLL:-50}")
		"$USERNET" run --mtu "$mtu" "${nd[@]}" -- sh "$GUEST" "$wl" "$PORT" \
			"$SECS" "$BENCHNET" "$pidfile" "$sp" "$fam" "$host" >"$log" 2>&1 &
		fwd=$!
		PIDS+=("$fwd")
		echo "$fwd" >"$pidfile"
		wait_deadline "$fwd" "$deadline" || R_ERR="timed out after $deadline s"
		kill_pid "$fwd"
		;;
	veth)
		# No forwarder: the CPU time is the whole machine's (guest.sh).
		echo machine >"$pidfile"
		ip netns exec "$VETH_NS" sh "$GUEST" "$wl" "$PORT" "$SECS" \
			"$BENCHNET" "$pidfile" "$sp" "$fam" "$host" >"$log" 2>&1 &
		fwd=$!
		PIDS+=("$fwd")
		wait_deadline "$fwd" "$deadline" || R_ERR="timed out after $deadline s"
		kill_pid "$fwd"
		veth_down
		;;
	slirp4netns | pasta)
		if ! start_ns "$log" sh "$GUEST" "$wl" "$PORT" "$SECS" \
			"$BENCHNET" "$pidfile" "$sp" "$fam" "$host"; then
			R_ERR="unshare did not make a network namespace: $(tail -n 1 "$log")"
			kill_pid "$srv"
			return
		fi
		ns=$NS
		start_peer "$tool" "$mtu" "$ns" "$fwdlog" "$fam"
		fwd=$FWD
		echo "$fwd" >"$pidfile"
		wait_deadline "$ns" "$deadline" || R_ERR="timed out after $deadline s"
		kill_pid "$ns"
		if ! kill -0 "$fwd" 2>/dev/null && [ -z "$R_ERR" ] &&
			! grep -q '^RESULT' "$log"; then
			R_ERR="$tool exited: $(grep -v -e syslog -e '^ *$' "$fwdlog" | tail -n 1)"
		fi
		kill_pid "$fwd"
		;;
	*)
		R_ERR="unknown tool $tool"
		;;
	esac
	kill_pid "$srv"

	line=$(grep -E '^(RESULT|FAIL) ' "$log" | tail -n 1)
	R_NOTE=$(sed -n 's/^NOTE //p' "$log" | tail -n 1)
	case $line in
	RESULT*)
		# shellcheck disable=SC2086 # split RESULT VALUE CPU PER_UNIT
		set -- $line
		R_VAL=$2 R_CPU=$3 R_PER=${4:--}
		R_ERR=
		;;
	FAIL*)
		R_ERR=${line#FAIL }
		;;
	*)
		[ -n "$R_ERR" ] ||
			R_ERR="no result: $(grep -v -e '^ *$' "$log" | tail -n 1)"
		;;
	esac
	rm -f "$pidfile" "$log" "$fwdlog"
}

# ------------------------------------------------------------ workloads --

# id | guest.sh workload | MTU | label | unit | better (hi/lo) | format
WORKLOADS=(
	"up1500|tcp_up|1500|TCP guest->host, MTU 1500|Gbit/s|hi|%.2f"
	"down1500|tcp_down|1500|TCP host->guest, MTU 1500|Gbit/s|hi|%.2f"
	"up65520|tcp_up|65520|TCP guest->host, MTU 65520|Gbit/s|hi|%.2f"
	"down65520|tcp_down|65520|TCP host->guest, MTU 65520|Gbit/s|hi|%.2f"
	"rr|rr|65520|TCP round trip, MTU 65520|us|lo|%.1f"
	"crr|crr|65520|TCP connect+1B req/resp|conn/s|hi|%.0f"
)
# BENCH_ROWS: only these rows, by id (the first field above).
if [ -n "${BENCH_ROWS:-}" ]; then
	picked=()
	for w in "${WORKLOADS[@]}"; do
		case " $BENCH_ROWS " in *" ${w%%|*} "*) picked+=("$w") ;; esac
	done
	[ "${#picked[@]}" -gt 0 ] || die "BENCH_ROWS='$BENCH_ROWS' names no row (up1500 down1500 up65520 down65520 rr crr)"
	WORKLOADS=("${picked[@]}")
fi

declare -A VALS CPUS PERS ERRS NOTES DISABLED

# runs_row TOOL ID: whether TOOL has the row ID (usernet-policy only the
# two that show what a policy costs per connection and per byte).
runs_row() {
	case $1 in usernet-policy) case $2 in up1500 | crr) return 0 ;; *) return 1 ;; esac ;; esac
	case $1 in usernet-busypoll) case $2 in rr | crr) return 0 ;; *) return 1 ;; esac ;; esac
	return 0
}

tool_version() {
	case $1 in
	usernet*) [ -x "$USERNET" ] && "$USERNET" --version 2>&1 | head -n 1 ;;
	veth) printf 'Linux %s veth' "$(uname -r)" ;;
	slirp4netns) command -v slirp4netns >/dev/null &&
		slirp4netns --version 2>&1 | awk '/^slirp4netns version/ { v = $3 }
			/^libslirp:/ { l = $2 } END { printf "%s (libslirp %s)", v, l }' ;;
	pasta) command -v pasta >/dev/null &&
		printf 'passt %s' "$(dpkg-query -W -f '${Version}' passt 2>/dev/null)" ;;
	esac
}

# Preflight: one short TCP exchange through each tool, over each IP
# version. A tool that cannot carry it gets "n/a" in every row of that
# version (every row, when the tool is missing), with the reason, and costs
# no more time. DISABLED is keyed "TOOL" (missing) or "TOOL|FAMILY".
for tool in $TOOLS; do
	case $tool in
	usernet | usernet-policy | usernet-busypoll) [ -x "$USERNET" ] || { DISABLED[$tool]="no usernet binary at $USERNET"; continue; } ;;
	veth) command -v ip >/dev/null || { DISABLED[$tool]="ip (iproute2) is not installed"; continue; } ;;
	slirp4netns | pasta) command -v "$tool" >/dev/null ||
		{ DISABLED[$tool]="$tool is not installed"; continue; } ;;
	*) die "unknown tool in BENCH_TOOLS: $tool" ;;
	esac
	for fam in $FAMILIES; do
		say "bench.sh: probing $tool, IPv$fam"
		run_session "$tool" 65520 probe "$fam"
		[ -n "$R_ERR" ] && DISABLED[$tool|$fam]="probe failed: $R_ERR"
	done
done

# off TOOL FAMILY: whether TOOL sits out the rows of FAMILY.
off() { [ -n "${DISABLED[$1]:-}${DISABLED[$1|$2]:-}" ]; }

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
for ((run = 1; run <= RUNS; run++)); do
	for w in "${WORKLOADS[@]}"; do
		IFS='|' read -r id wl mtu label unit better fmt <<<"$w"
		for fam in $FAMILIES; do
			for tool in $TOOLS; do
				off "$tool" "$fam" && continue
				runs_row "$tool" "$id" || continue
				run_session "$tool" "$mtu" "$wl" "$fam"
				key="$id|$fam|$tool"
				if [ -n "$R_ERR" ]; then
					ERRS[$key]="${ERRS[$key]:-}run $run: $R_ERR; "
					say "[run $run/$RUNS] $label, IPv$fam, $tool: FAILED: $R_ERR"
				else
					VALS[$key]="${VALS[$key]:-} $R_VAL"
					[ "$R_CPU" != - ] && CPUS[$key]="${CPUS[$key]:-} $R_CPU"
					[ "$R_PER" != - ] && PERS[$key]="${PERS[$key]:-} $R_PER"
					[ -n "$R_NOTE" ] && NOTES[$key]="${NOTES[$key]:-}run $run: $R_NOTE; "
					say "[run $run/$RUNS] $label, IPv$fam, $tool: $R_VAL $unit (CPU ${R_CPU}%, $R_PER per unit)"
				fi
			done
		done
	done
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report --

# count WORDS...: how many words (unquoted on purpose: the lists of figures
# are space-separated).
# shellcheck disable=SC2048,SC2086
count() { set -- $*; echo $#; }

# ratio USERNET PEER BETTER: > 1 always means usernet is better.
ratio() {
	if [ -z "$1" ] || [ -z "$2" ]; then echo n/a; return; fi
	awk -v u="$1" -v p="$2" -v b="$3" 'BEGIN {
		r = (b == "hi") ? (p > 0 ? u / p : -1) : (u > 0 ? p / u : -1)
		if (r < 0) print "n/a"; else printf "%.2fx", r }'
}

declare -A MED
NOTES_OUT=()
for w in "${WORKLOADS[@]}"; do
	IFS='|' read -r id wl mtu label unit better fmt <<<"$w"
	for fam in $FAMILIES; do
		for tool in $TOOLS; do
			key="$id|$fam|$tool"
			# shellcheck disable=SC2086
			MED[$key]=$(median ${VALS[$key]:-})
			# shellcheck disable=SC2086
			n=$(count ${VALS[$key]:-})
			if off "$tool" "$fam" || ! runs_row "$tool" "$id"; then
				:
			elif [ "$n" -eq 0 ]; then
				NOTES_OUT+=("n/a: $tool, $label, IPv$fam: ${ERRS[$key]:-no result}")
			elif [ "$n" -lt "$RUNS" ]; then
				NOTES_OUT+=("*: $tool, $label, IPv$fam: median of $n of $RUNS runs; ${ERRS[$key]}")
			fi
			[ -n "${NOTES[$key]:-}" ] && NOTES_OUT+=("note: $tool, $label, IPv$fam: ${NOTES[$key]}")
		done
	done
done
for tool in $TOOLS; do
	[ -n "${DISABLED[$tool]:-}" ] && NOTES_OUT+=("n/a: $tool: ${DISABLED[$tool]}")
	for fam in $FAMILIES; do
		[ -n "${DISABLED[$tool|$fam]:-}" ] &&
			NOTES_OUT+=("n/a: $tool, IPv$fam: ${DISABLED[$tool|$fam]}")
	done
done

cell() { # cell KEY FMT
	local v=${MED[$1]:-} n
	[ -n "$v" ] || { echo n/a; return; }
	# shellcheck disable=SC2086
	n=$(count ${VALS[$1]:-})
	# shellcheck disable=SC2059
	printf "$2%s" "$v" "$([ "$n" -lt "$RUNS" ] && echo '*')"
}

has_tool() { case " $TOOLS " in *" $1 "*) return 0 ;; esac; return 1; }

# latency_tool FAMILY: what measured the round trip.
latency_tool() {
	if [ "${USE_SOCKPERF[$1]}" = 1 ]; then
		echo "sockperf $(sockperf --version 2>&1 | awk '/version/ { print $3; exit }') ping-pong, 14-byte messages (its smallest); round trip = 2 x its half-RTT median"
	elif [ "$1" = 6 ] && [ "${USE_SOCKPERF[4]}" = 1 ]; then
		echo "benchnet rr, 1-byte ping-pong (this sockperf takes no IPv6 address; BENCH_NO_SOCKPERF=1 measures IPv4 the same way)"
	else
		echo "benchnet rr, 1-byte ping-pong"
	fi
}

echo
echo "usernet benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
echo "machine: $(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), kernel $(uname -r), load average $LOAD_START at start, $LOAD_END at end"
# The commit only when the binary is the repository's own build.
commit=
case $USERNET in "$repo"/*) commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null) ;; esac
echo "usernet: $(tool_version usernet || echo 'n/a') ($USERNET${commit:+, commit $commit})"
echo "slirp4netns: $(tool_version slirp4netns || echo n/a)"
echo "pasta: $(tool_version pasta || echo n/a)"
echo "veth: $(tool_version veth) (a namespace on a veth pair, the server on the host's end: ${VETH_HOST[4]}, ${VETH_HOST[6]})"
echo "iperf3: $(iperf3 --version 2>&1 | head -n 1)"
for fam in $FAMILIES; do
	echo "latency, IPv$fam: $(latency_tool "$fam")"
done
echo "each figure: median of $RUNS runs of $SECS s, the tools interleaved run by run"
has_family 6 && echo "IP 6: to the host's ::1 (usernet at fec0::2, slirp4netns --enable-ipv6 at fd00::2, pasta at its gateway); IP 4: to 127.0.0.1"
echo

# row CELLS...: one markdown table row.
row() { local c; for c in "$@"; do printf '| %s ' "$c"; done; printf '|\n'; }

# Main table: usernet beside the others (peers not in BENCH_TOOLS are "-").
PEERS=(slirp4netns pasta veth)
hdr=("workload [unit, better]" IP usernet "${PEERS[@]}")
sep=(--- --- ---: ---: ---: ---:)
for p in "${PEERS[@]}"; do hdr+=("vs $p"); sep+=(---:); done
row "${hdr[@]}"
row "${sep[@]}"
for w in "${WORKLOADS[@]}"; do
	IFS='|' read -r id wl mtu label unit better fmt <<<"$w"
	b=higher; [ "$better" = lo ] && b=lower
	for fam in $FAMILIES; do
		k="$id|$fam"
		c=()
		for tool in usernet "${PEERS[@]}"; do
			if has_tool "$tool"; then c+=("$(cell "$k|$tool" "$fmt")"); else c+=(-); fi
		done
		for p in "${PEERS[@]}"; do
			c+=("$(ratio "${MED[$k|usernet]:-}" "${MED[$k|$p]:-}" "$better")")
		done
		row "$label [$unit, $b]" "$fam" "${c[@]}"
	done
done
echo
echo "vs X: how many times better usernet is than X (throughput and conn/s:"
echo "usernet / X; round trip: X / usernet). Above 1.00x usernet is better;"
echo "veth is the kernel's own path, the limit (1.00x: as fast as the kernel)."
echo

# per_cell KEY: "CPU per unit (CPU %)", medians.
per_cell() {
	local per cpu
	# shellcheck disable=SC2086
	per=$(median ${PERS[$1]:-})
	# shellcheck disable=SC2086
	cpu=$(median ${CPUS[$1]:-})
	if [ -z "$per" ] && [ -z "$cpu" ]; then echo n/a; return; fi
	printf '%s (%s%%)' "${per:-n/a}" "${cpu:-n/a}"
}

echo "CPU per unit of work, median: ms of CPU per gigabit moved (throughput"
echo "rows) or us of CPU per transaction (round trip: per round trip;"
echo "connections: per connection), lower is better; in brackets the CPU"
echo "time in % of one core during the workload. usernet, slirp4netns and"
echo "pasta: the forwarder process's own utime+stime (/proc/PID/stat), the"
echo "clients and servers not counted. veth: there is no forwarder, the"
echo "kernel does the work in the sender's and receiver's system calls and"
echo "softirqs, so its figure is the WHOLE machine's busy time (/proc/stat,"
echo "all CPUs: iperf3/sockperf/benchnet on both ends included, and whatever"
echo "else ran meanwhile), an upper bound of the kernel's own cost."
echo
row "workload [CPU per unit]" IP usernet "${PEERS[@]}"
row --- --- ---: ---: ---: ---:
for w in "${WORKLOADS[@]}"; do
	IFS='|' read -r id wl mtu label unit better fmt <<<"$w"
	u="ms/Gbit"
	case $wl in rr) u="us/round trip" ;; crr) u="us/connection" ;; esac
	for fam in $FAMILIES; do
		c=()
		for tool in usernet "${PEERS[@]}"; do
			if has_tool "$tool"; then c+=("$(per_cell "$id|$fam|$tool")"); else c+=(-); fi
		done
		row "$label [$u]" "$fam" "${c[@]}"
	done
done

# beside_rows TOOL: a row per workload TOOL runs, usernet without and with
# what TOOL changes: both figures, the ratio, both CPU costs.
beside_rows() {
	local tool=$1 w id wl mtu label unit better fmt fam k
	for w in "${WORKLOADS[@]}"; do
		IFS='|' read -r id wl mtu label unit better fmt <<<"$w"
		runs_row "$tool" "$id" || continue
		for fam in $FAMILIES; do
			k="$id|$fam"
			row "$label [$unit]" "$fam" "$(cell "$k|usernet" "$fmt")" \
				"$(cell "$k|$tool" "$fmt")" \
				"$(ratio "${MED[$k|$tool]:-}" "${MED[$k|usernet]:-}" "$better")" \
				"$(per_cell "$k|usernet")" "$(per_cell "$k|$tool")"
		done
	done
}

if has_tool usernet-policy; then
	echo
	echo "Egress policy (issue 20): usernet with policy=FILE of 100 rules (default"
	echo "deny, 99 rules of the row's family that match nothing, the allowing rule"
	echo "last: the longest walk) beside usernet without a policy, same run."
	echo "ratio = with policy / without (throughput, conn/s: below 1.00x the"
	echo "policy costs); CPU per unit as above."
	echo
	row "workload [unit]" IP "no policy" "100 rules" ratio "CPU no policy" "CPU 100 rules"
	row --- --- ---: ---: ---: ---: ---:
	beside_rows usernet-policy
fi

if has_tool usernet-busypoll; then
	echo
	echo "Busy polling: usernet --busy-poll ${BENCH_BUSY_POLL:-50} beside usernet without it,"
	echo "same run. ratio: how many times better with it (round trip: without /"
	echo "with; conn/s: with / without); CPU per unit as above. veth's figures"
	echo "are in the first table."
	echo
	row "workload [unit]" IP "usernet" "--busy-poll" ratio "CPU usernet" "CPU --busy-poll"
	row --- --- ---: ---: ---: ---: ---:
	beside_rows usernet-busypoll
fi

if [ ${#NOTES_OUT[@]} -gt 0 ]; then
	echo
	printf '%s\n' "${NOTES_OUT[@]}"
fi
