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
