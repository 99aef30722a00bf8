# SPDX-License-Identifier: MIT
# common.sh - sourced by the benchmarks, after they set repo= (the top of
# the repository): the usernet binary they measure (USERNET, default
# ./build/usernet, else the repository's build/usernet), say and die,
# bounded waits, medians, and the bookkeeping that tracks every background
# process by PID and kills it on exit (Ctrl-C included) and removes the
# scratch folders. A script adds each process it starts to PIDS and names
# its scratch folders in TMP and STAGE (either may stay empty); a function
# cleanup_more, when it defines one, runs at exit too (after the processes
# are gone).

BENCH_NAME=$(basename "$0")
say() { printf '%s\n' "$*" >&2; }
die() { say "$BENCH_NAME: $*"; exit 1; }

if [ -n "${USERNET:-}" ]; then
	:
elif [ -x ./build/usernet ]; then
	USERNET=./build/usernet
else
	USERNET=$repo/build/usernet
fi
case $USERNET in /*) ;; *) USERNET=$PWD/$USERNET ;; esac

PIDS=()     # every background process the script started, by PID
TMP=        # the scratch folder, removed at exit
STAGE=      # a second one (vm.sh: the initramfs being built), removed too
# kill_pid PID: TERM, then KILL after 3 s, and reap. Only our own children.
kill_pid() {
	local pid=$1 i
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null
		for ((i = 0; i < 30; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	forget_pid "$pid"
}

forget_pid() {
	local i
	for i in "${!PIDS[@]}"; do
		[ "${PIDS[$i]}" = "$1" ] && unset 'PIDS[i]'
	done
}

cleanup() {
	local pid
	trap - EXIT INT TERM
	for pid in "${PIDS[@]}"; do
		kill_pid "$pid"
	done
	declare -F cleanup_more >/dev/null && cleanup_more
	[ -n "$STAGE" ] && rm -rf -- "$STAGE"
	[ -n "$TMP" ] && rm -rf -- "$TMP"
}
trap cleanup EXIT
trap 'say "$BENCH_NAME: interrupted"; exit 130' INT
trap 'exit 143' TERM

# wait_deadline PID SECS: 0 when PID ended in time (reaped), 1 otherwise.
wait_deadline() {
	local pid=$1 n=$(($2 * 10))
	while ((n-- > 0)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null
			forget_pid "$pid"
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# wait_for SECS COMMAND...: until COMMAND succeeds; 1 when it never did.
wait_for() {
	local i
	for ((i = 0; i < $1 * 10; i++)); do
		"${@:2}" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# median WORDS...: the median of numbers (lists are split on purpose);
# nothing for no numbers.
median() {
	printf '%s\n' "$@" | awk 'NF' | sort -g | awk '{ a[NR] = $1 }
		END { if (NR == 0) exit
		      if (NR % 2) print a[(NR + 1) / 2]
		      else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# free_port: a TCP port nothing uses now, in PORT (a new one each call,
# from a random start in 20000..39999).
NEXT_PORT=$((20000 + RANDOM % 20000))
free_port() {
	while ss -Htan "( sport = :$NEXT_PORT )" 2>/dev/null | grep -q .; do
		NEXT_PORT=$((NEXT_PORT + 1))
	done
	PORT=$NEXT_PORT
	NEXT_PORT=$((NEXT_PORT + 1))
}

# install_missing [NO_INSTALL_VAR] CMD=PACKAGE...: installs, with apt-get,
# the package of every command not found (a CMD starting with '/' is a
# file that must be executable; PACKAGE may name several, separated by
# '+'), one at a time so that one that fails does not stop the others.
# With the variable NO_INSTALL_VAR (default BENCH_NO_INSTALL) set to 1 it
# only says what is missing. apt-get update runs once, and only when
# something is missing (apt_update).
APT_UPDATED=0
# apt_update: apt-get update, once per run.
apt_update() {
	[ "$APT_UPDATED" = 1 ] && return 0
	APT_UPDATED=1
	say "$BENCH_NAME: apt-get update"
	DEBIAN_FRONTEND=noninteractive timeout 300 apt-get update -qq >&2 ||
		say "$BENCH_NAME: apt-get update failed"
}
install_missing() {
	local var=BENCH_NO_INSTALL pkgs=() pair cmd p
	case ${1:-} in *=*) ;; *) var=$1; shift ;; esac
	for pair in "$@"; do
		cmd=${pair%%=*}
		case $cmd in
		/*) [ -x "$cmd" ] && continue ;;
		*) command -v "$cmd" >/dev/null && continue ;;
		esac
		pkgs+=("${pair#*=}")
	done
	[ ${#pkgs[@]} -eq 0 ] && return
	if [ "${!var:-0}" = 1 ]; then
		say "$BENCH_NAME: missing packages, not installed ($var=1): ${pkgs[*]//+/ }"
		return
	fi
	[ "$(id -u)" = 0 ] || die "missing packages (${pkgs[*]//+/ }): install them, or run me as root"
	apt_update
	for p in "${pkgs[@]}"; do
		say "$BENCH_NAME: installing ${p//+/ }"
		# shellcheck disable=SC2086 # '+' separates several packages
		DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq \
			--no-install-recommends ${p//+/ } >&2 ||
			say "$BENCH_NAME: could not install ${p//+/ } (what needs it will be n/a)"
	done
}

# wait_listen PORT: until something listens on TCP PORT (at most 5 s).
wait_listen() {
	local i
	for ((i = 0; i < 50; i++)); do
		ss -Hltn "( sport = :$1 )" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	return 1
}

# wait_netns PID: until PID is in a network namespace other than ours (at
# most 5 s), so that nothing ever attaches to the host's own namespace.
wait_netns() {
	local i self ns
	self=$(readlink /proc/self/ns/net)
	for ((i = 0; i < 50; i++)); do
		ns=$(readlink "/proc/$1/ns/net" 2>/dev/null) || return 1
		[ -n "$ns" ] && [ "$ns" != "$self" ] && return 0
		sleep 0.1
	done
	return 1
}

# start_peer TOOL MTU NSPID LOG [FAMILY]: starts slirp4netns or pasta for
# the network namespace of NSPID, MTU MTU, its output to LOG; sets FWD (its
# PID, also in PIDS). FAMILY 6 starts slirp4netns with --enable-ipv6 (pasta
# does IPv6 by default, when the host has an IPv6 route). pasta runs as root with --runas 0:0 (else it would
# switch to nobody and lose access to the namespace) and with no port
# forwarding at all (-t/-u/-T/-U none): traffic must cross the tap, not
# pasta's loopback splice shortcut. Its gateway address reaches the host's
# loopback (pasta's default, see "--no-map-gw" in pasta(1)).
start_peer() {
	local tool=$1 mtu=$2 ns=$3 log=$4 v6=()
	[ "${5:-4}" = 6 ] && v6=(--enable-ipv6)
	if [ "$tool" = slirp4netns ]; then
		slirp4netns --configure --mtu="$mtu" "${v6[@]}" "$ns" tap0 >"$log" 2>&1 &
	else
		pasta --runas 0:0 -q -f --config-net -m "$mtu" \
			-t none -u none -T none -U none "$ns" >"$log" 2>&1 &
	fi
	FWD=$!
	PIDS+=("$FWD")
}

# start_ns LOG CMD...: runs CMD in a new user, network and PID namespace
# (killing unshare kills its child, and with it everything in the PID
# namespace), its output to LOG; sets NS (unshare's PID, also in PIDS).
# Return: 1, with NS killed, when no namespace appeared within 5 s.
start_ns() {
	local log=$1
	shift
	unshare --user --map-root-user --net --pid --kill-child -- "$@" \
		>"$log" 2>&1 &
	NS=$!
	PIDS+=("$NS")
	wait_netns "$NS" && return 0
	kill_pid "$NS"
	return 1
}
