# SPDX-License-Identifier: MIT
# procs.sh - sourced by the benchmarks: every background process they start
# is tracked by PID and killed on exit (Ctrl-C included), and their scratch
# folders are removed. Before sourcing, a script defines say() (to stderr);
# it adds each process it starts to PIDS and names its scratch folders in
# TMP and STAGE (either may stay empty).

PIDS=()     # every background process the script started, by PID
TMP=        # the scratch folder, removed at exit
STAGE=      # a second one (vm.sh: the initramfs being built), removed too
BENCH_NAME=$(basename "$0")

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
