#!/bin/bash
# flows.sh - memory per idle TCP flow: usernet against slirp4netns and
# pasta, side by side in the same run (issue 13).
#
# Not a test: it asserts nothing and is not registered in CTest. It prints
# one table. See test/bench/README.md.
#
#   test/bench/flows.sh            # as root
#
# For each tool: a fresh network namespace behind the tool; an echo server
# (benchnet hold-serve) on the host's 127.0.0.1; in the namespace, benchnet
# flows opens BENCH_FLOWS connections to it through the tool's gateway, each
# sending 1 byte and reading it back, and holds them idle. The forwarder's
# VmRSS is read before the first connection and again with all of them
# held (after 2 s of quiet); the difference over the flows held is the RSS
# per idle flow. usernet's goal is at most 64 KiB.
#
#   namespace (usernet run / unshare)        host
#  +-------------------------------+  tap  +------------------------------+
#  | benchnet flows GW PORT N      |<----->| forwarder: usernet,          |
#  |   N connections, 1 byte each  |       |   slirp4netns or pasta       |
#  |   way, then held idle         |       |   (VmRSS, descriptors read)  |
#  +-------------------------------+       | benchnet hold-serve          |
#                                          |   127.0.0.1:PORT             |
#                                          +------------------------------+
#
# Environment:
#   USERNET      the usernet binary (default ./build/usernet, then the
#                repository's build/usernet)
#   BENCH_FLOWS  connections held at once (default 10000)
#   BENCH_TOOLS  which tools to run (default "usernet slirp4netns pasta")
#   BENCH_NO_INSTALL=1  never call apt-get
#
# Each of the forwarder, the server and the guest program needs a
# descriptor per flow, and usernet sizes its TCP cap from its limit (about
# 3/4 of what is left after its services' reserve): the script raises its
# open-files limit (soft and hard) to at least 4/3 x BENCH_FLOWS + 1024,
# which its children inherit, or says why not. Traffic goes only
# to the host's loopback and to the namespaces this script creates; every
# process it starts is tracked by PID and killed on exit, every wait is
# bounded, and its scratch folder under /tmp is removed.

set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
FLOWS=${BENCH_FLOWS:-10000}
TOOLS=${BENCH_TOOLS:-usernet slirp4netns pasta}
. "$here/lib/common.sh"

case $FLOWS in '' | *[!0-9]* | 0) die "BENCH_FLOWS must be a positive integer" ;; esac
[ "$(id -u)" = 0 ] || die "run me as root (I make namespaces and raise the open-files limit)"

need_fds=$((FLOWS * 4 / 3 + 1024))
if [ "$(ulimit -Hn)" != unlimited ] && [ "$(ulimit -Hn)" -lt "$need_fds" ]; then
	ulimit -Hn "$need_fds" 2>/dev/null ||
		say "flows.sh: cannot raise the open-files hard limit to $need_fds (it is $(ulimit -Hn)): fewer flows may be held"
fi
ulimit -Sn "$(ulimit -Hn)" || die "cannot raise the open-files soft limit"

install_missing slirp4netns=slirp4netns pasta=passt cc=gcc+libc6-dev \
	ss=iproute2 unshare=util-linux
command -v cc >/dev/null || die "a C compiler is needed for test/bench/benchnet.c"
command -v ss >/dev/null || die "ss (iproute2) is needed"

TMP=$(mktemp -d /tmp/usernet-flows.XXXXXX) || die "mktemp failed"
chmod 755 "$TMP"
BENCHNET=$TMP/benchnet
cc -O2 -o "$BENCHNET" "$here/benchnet.c" || die "cannot build benchnet.c"

# The guest's part: waits (at most 10 s) for the default route the tool
# configures, then holds the flows through that gateway.
cat >"$TMP/guest.sh" <<'EOF'
port=$1 n=$2 go=$3 done=$4 benchnet=$5
i=0
while [ $i -lt 100 ]; do
	gw=$(ip -4 route show default 2>/dev/null | awk '{ print $3; exit }')
	[ -n "$gw" ] && break
	sleep 0.1
	i=$((i + 1))
done
[ -n "$gw" ] || { echo "FAIL no default route after 10 s"; exit 1; }
echo "gw=$gw"
exec "$benchnet" flows "$gw" "$port" "$n" "$go" "$done"
EOF

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null; }
nfds() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
# rss_median PID: the median of 5 readings of VmRSS over 1 s.
rss_median() {
	local i v=()
	for ((i = 0; i < 5; i++)); do
		v+=("$(rss_kb "$1")")
		sleep 0.2
	done
	median "${v[@]}"
}

# run_tool TOOL: sets R_HELD, R_BASE, R_RSS (KiB), R_FDS, R_ERR, R_HEAP
# (usernet's SIGUSR1 heap in use, before and held, in KiB).
run_tool() {
	local tool=$1 srv ns= fwd log=$TMP/$1.out fwdlog=$TMP/$1.err go=$TMP/$1.go done=$TMP/$1.done line i
	R_HELD='' R_BASE='' R_RSS='' R_FDS='' R_ERR='' R_HEAP=''
	free_port
	"$BENCHNET" hold-serve 127.0.0.1 "$PORT" >"$TMP/srv.log" 2>&1 &
	srv=$!
	PIDS+=("$srv")
	if ! wait_listen "$PORT"; then
		R_ERR="the server did not listen on 127.0.0.1:$PORT: $(tail -n 1 "$TMP/srv.log")"
		kill_pid "$srv"
		return
	fi
	case $tool in
	usernet)
		"$USERNET" run -- sh "$TMP/guest.sh" "$PORT" "$FLOWS" "$go" "$done" "$BENCHNET" \
			>"$log" 2>"$fwdlog" &
		fwd=$!
		PIDS+=("$fwd")
		;;
	slirp4netns | pasta)
		if ! start_ns "$log" sh "$TMP/guest.sh" "$PORT" "$FLOWS" "$go" \
			"$done" "$BENCHNET"; then
			R_ERR="unshare did not make a network namespace: $(tail -n 1 "$log")"
			kill_pid "$srv"
			return
		fi
		ns=$NS
		start_peer "$tool" 65520 "$ns" "$fwdlog"
		fwd=$FWD
		;;
	esac
	# The namespace is up once the guest has seen its gateway.
	if ! wait_for 15 grep -q '^gw=' "$log"; then
		R_ERR="no gateway in the namespace: $(grep -v '^ *$' "$log" "$fwdlog" | tail -n 1)"
	elif ! kill -0 "$fwd" 2>/dev/null; then
		R_ERR="$tool exited: $(tail -n 1 "$fwdlog")"
	else
		sleep 1
		R_BASE=$(rss_median "$fwd")
		[ "$tool" = usernet ] && R_HEAP=$(usernet_heap "$fwd" "$fwdlog")
		touch "$go"
		for ((i = 0; i < 3000; i++)); do
			grep -q '^held=' "$log" && break
			kill -0 "$fwd" 2>/dev/null || break
			sleep 0.1
		done
		line=$(grep '^held=' "$log")
		if [ -z "$line" ]; then
			R_ERR="no flows held: $(grep -v '^ *$' "$log" "$fwdlog" | tail -n 1)"
		else
			sleep 2
			R_HELD=$(sed -nE 's/^held=([0-9]+).*/\1/p' <<<"$line")
			R_RSS=$(rss_median "$fwd")
			R_FDS=$(nfds "$fwd")
			[ "$tool" = usernet ] && R_HEAP="$R_HEAP $(usernet_heap "$fwd" "$fwdlog")"
			[ "$R_HELD" -lt "$FLOWS" ] &&
				R_NOTE+=("$tool: held $R_HELD of $FLOWS ($(sed -nE 's/.*last_error=//p' <<<"$line"))")
			kill -0 "$fwd" 2>/dev/null || R_ERR="$tool died holding the flows"
		fi
	fi
	touch "$done"
	[ -n "$ns" ] && { wait_deadline "$ns" 30 || kill_pid "$ns"; }
	[ "$tool" = usernet ] && { wait_deadline "$fwd" 30 || R_NOTE+=("usernet: still running 30 s after its command should have ended"); }
	kill_pid "$fwd"
	kill_pid "$srv"
}

# usernet_heap PID LOG: usernet's heap in use (KiB) from its SIGUSR1 dump.
usernet_heap() {
	local n
	n=$(grep -c '^usernet: memory:' "$2")
	kill -USR1 "$1"
	for ((i = 0; i < 100; i++)); do
		[ "$(grep -c '^usernet: memory:' "$2")" -gt "$n" ] && break
		sleep 0.1
	done
	grep '^usernet: memory:' "$2" | tail -n 1 | sed -nE 's/.*heap in use ([0-9]+) KiB.*/\1/p'
}

tool_version() {
	case $1 in
	usernet) "$USERNET" --version 2>&1 | head -n 1 ;;
	slirp4netns) slirp4netns --version 2>&1 | awk '/^slirp4netns version/ { v = $3 }
		/^libslirp:/ { l = $2 } END { printf "%s (libslirp %s)", v, l }' ;;
	pasta) printf 'passt %s' "$(dpkg-query -W -f '${Version}' passt 2>/dev/null)" ;;
	esac
}

declare -A HELD BASE RSS FDS ERR PER
R_NOTE=()
for tool in $TOOLS; do
	case $tool in
	usernet) [ -x "$USERNET" ] || { ERR[$tool]="no usernet binary at $USERNET"; continue; } ;;
	slirp4netns | pasta) command -v "$tool" >/dev/null || { ERR[$tool]="$tool is not installed"; continue; } ;;
	*) die "unknown tool $tool" ;;
	esac
	say "flows.sh: $tool: $FLOWS flows"
	run_tool "$tool"
	HELD[$tool]=$R_HELD BASE[$tool]=$R_BASE RSS[$tool]=$R_RSS FDS[$tool]=$R_FDS ERR[$tool]=$R_ERR
	if [ -z "$R_ERR" ] && [ -n "$R_HELD" ] && [ "$R_HELD" -gt 0 ]; then
		PER[$tool]=$(awk -v a="$R_BASE" -v b="$R_RSS" -v n="$R_HELD" 'BEGIN { printf "%.2f", (b - a) / n }')
	fi
	[ "$tool" = usernet ] && USERNET_HEAP=$R_HEAP
done

mib() { [ -n "$1" ] && awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }' || echo n/a; }
ratio() {
	[ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }' ||
		echo n/a
}

echo "flows benchmark: $FLOWS idle TCP flows, namespace -> forwarder -> 127.0.0.1 ($(date -u +%Y-%m-%d), $(nproc) cores, $(uname -r))"
for tool in usernet slirp4netns pasta; do
	echo "$tool: $(tool_version "$tool" 2>/dev/null || echo n/a)"
done
echo
FMT='%-12s %8s %12s %12s %14s %10s %14s\n'
printf "$FMT" tool "flows" "RSS before" "RSS held" "RSS/flow" "fds held" "usernet/this"
printf "$FMT" ------------ -------- ------------ ------------ -------------- ---------- --------------
for tool in usernet slirp4netns pasta; do
	case " $TOOLS " in *" $tool "*) ;; *) continue ;; esac
	if [ -n "${PER[$tool]:-}" ]; then
		printf "$FMT" "$tool" "${HELD[$tool]}" "$(mib "${BASE[$tool]}") MiB" "$(mib "${RSS[$tool]}") MiB" \
			"${PER[$tool]} KiB" "${FDS[$tool]}" "$(ratio "${PER[usernet]:-}" "${PER[$tool]}")"
	else
		printf "$FMT" "$tool" n/a n/a n/a n/a n/a n/a
	fi
done
echo
if [ -n "${PER[usernet]:-}" ]; then
	awk -v p="${PER[usernet]}" 'BEGIN { printf "usernet: %.2f KiB of RSS per idle flow, goal <= 64 KiB: %s\n", p, (p <= 64 ? "met" : "NOT met") }'
	read -r h0 h1 <<<"${USERNET_HEAP:-}"
	[ -n "${h1:-}" ] && awk -v a="$h0" -v b="$h1" -v n="${HELD[usernet]}" -v p="${PER[usernet]}" \
		'BEGIN { h = (b - a) / n; printf "usernet: heap in use (malloc, SIGUSR1) %.1f -> %.1f MiB: %.2f KiB per flow%s\n", a / 1024, b / 1024, h, (h > 2 * p ? ", most of it never touched, so not resident" : "") }'
fi
for tool in $TOOLS; do
	[ -n "${ERR[$tool]:-}" ] && echo "$tool: n/a: ${ERR[$tool]}"
done
for n in "${R_NOTE[@]}"; do echo "note: $n"; done
exit 0
