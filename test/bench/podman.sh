#!/bin/bash
# podman.sh - rootless podman's path: a container's iperf3 to the host,
# with Debian's slirp4netns and with usernet's slirp4netns link as podman's
# network command, side by side in the same run (issue 16).
#
# Not a test: it asserts nothing about speed and is not registered in CTest.
# It prints one table of medians. See test/bench/README.md.
#
#   test/bench/podman.sh           # as root
#
#   host (root)                          throw-away user's rootless podman
#  +-------------------------+  host   +----------------------------------+
#  | iperf3 -s -1            | sockets | network command: slirp4netns or  |
#  |   127.0.0.1:PORT        |<--------|   usernet's link, started by     |
#  +-------------------------+         |   podman (allow_host_loopback)   |
#                                      |        | tap0 (MTU 65520 / 1500)  |
#                                      |  container: iperf3 -c 10.0.2.2   |
#                                      |    [-R] -t T  (busybox image     |
#                                      |    with the host's iperf3 and    |
#                                      |    its shared libraries)         |
#                                      +----------------------------------+
#
# Environment:
#   USERNET        the usernet binary (default ./build/usernet, then the
#                  repository's build/usernet); podman runs the slirp4netns
#                  link beside it
#   BENCH_PODMAN_S4N  another command for the usernet column
#   BENCH_RUNS     runs of every workload, the median is reported (default 3)
#   BENCH_TIME     seconds per run (default 5)
#   BENCH_MTUS     MTUs (podman's mtu= option; default "65520 1500")
#   BENCH_NO_INSTALL=1  never call apt-get
#
# The user, its podman configuration and the image are made as
# test/integration/podman.sh makes them (test/integration/lib/podman.sh)
# and removed at exit, with every process the script started; every wait
# is bounded. Traffic goes only to the host's loopback.

set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
RUNS=${BENCH_RUNS:-3}
SECS=${BENCH_TIME:-5}
MTUS=${BENCH_MTUS:-65520 1500}
. "$here/lib/common.sh"
. "$repo/test/integration/lib/podman.sh"

case $RUNS in '' | *[!0-9]* | 0) die "BENCH_RUNS must be a positive integer" ;; esac
case $SECS in '' | *[!0-9]* | 0) die "BENCH_TIME must be a positive integer" ;; esac
[ "$(id -u)" = 0 ] || die "run me as root (I make a user and install packages)"

install_missing podman=podman+runc runc=runc newuidmap=uidmap iperf3=iperf3 \
	slirp4netns=slirp4netns busybox=busybox python3=python3 ss=iproute2
for c in podman runc newuidmap iperf3 slirp4netns busybox python3 ss; do
	command -v "$c" >/dev/null || die "$c is needed"
done
S4N_USERNET=${BENCH_PODMAN_S4N:-$(dirname "$USERNET")/slirp4netns}
[ -x "$S4N_USERNET" ] || die "no slirp4netns link beside $USERNET (build first)"

TMP=$(mktemp -d /tmp/usernet-bench.XXXXXX) || die "mktemp failed"
chmod 755 "$TMP"
cleanup_more() { pod_teardown >&2; }
pod_setup "unetbench$$" >&2 || die "cannot make the user"
if ! pod_runnable "$S4N_USERNET"; then
	mkdir -p "$TMP/bin"
	cp "$USERNET" "$TMP/bin/usernet"
	ln -s usernet "$TMP/bin/slirp4netns"
	S4N_USERNET=$TMP/bin/slirp4netns
fi
pod_rootfs "$TMP/rootfs" "$(command -v iperf3)"
pod_image "$TMP/rootfs" || die "podman import failed"

# run_one TOOL MTU DIR: one iperf3 run; its receiver's Gbit/s in R_VAL,
# empty when it failed (the reason on stderr).
run_one() {
	local tool=$1 mtu=$2 dir=$3 srv rev=
	R_VAL=
	[ "$dir" = down ] && rev=-R
	if [ "$tool" = usernet ]; then pod_net_cmd "$S4N_USERNET"; else pod_net_cmd /usr/bin/slirp4netns; fi
	free_port
	iperf3 -s -1 -B 127.0.0.1 -p "$PORT" >"$TMP/srv.log" 2>&1 &
	srv=$!
	PIDS+=("$srv")
	wait_listen "$PORT" || { say "iperf3 server did not start"; kill_pid "$srv"; return; }
	pod run --rm --network "slirp4netns:allow_host_loopback=true,enable_ipv6=false,mtu=$mtu" \
		"$POD_IMAGE" /bin/iperf3 -c 10.0.2.2 -p "$PORT" -t "$SECS" $rev -J \
		>"$TMP/client.json" 2>"$TMP/client.err"
	wait_deadline "$srv" 5 || kill_pid "$srv"
	R_VAL=$(python3 -c 'import json,sys
d = json.load(open(sys.argv[1]))
print("%.2f" % (d["end"]["sum_received"]["bits_per_second"] / 1e9))' "$TMP/client.json" 2>/dev/null) ||
		say "  $tool mtu $mtu $dir failed: $(tail -n 3 "$TMP/client.err" | tr '\n' ' ')"
}

declare -A VALS
say "podman.sh: $RUNS runs x ${SECS}s, MTUs $MTUS, load $(cut -d' ' -f1-3 /proc/loadavg)"
for ((r = 1; r <= RUNS; r++)); do
	for mtu in $MTUS; do
		for dir in up down; do
			for tool in slirp4netns usernet; do
				run_one "$tool" "$mtu" "$dir"
				say "  run $r: $tool mtu $mtu $dir: ${R_VAL:-failed} Gbit/s"
				VALS[$tool,$mtu,$dir]="${VALS[$tool,$mtu,$dir]:-} $R_VAL"
			done
		done
	done
done

echo "rootless podman $(podman --version | awk '{ print $3 }') (runc), container iperf3 -> host 127.0.0.1 via 10.0.2.2"
echo "medians of $RUNS runs x ${SECS}s; load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-28s %6s %12s %12s %10s\n' "row" "MTU" "slirp4netns" "usernet" "ratio"
for mtu in $MTUS; do
	for dir in up down; do
		# shellcheck disable=SC2086 # the lists are split on purpose
		a=$(median ${VALS[slirp4netns,$mtu,$dir]})
		b=$(median ${VALS[usernet,$mtu,$dir]})
		ratio=n/a
		[ -n "$a" ] && [ -n "$b" ] && ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { if (a > 0) printf "%.2fx", b / a; else print "n/a" }')
		[ "$dir" = up ] && row="TCP container->host Gbit/s" || row="TCP host->container Gbit/s"
		printf '%-28s %6s %12s %12s %10s\n' "$row" "$mtu" "${a:-n/a}" "${b:-n/a}" "$ratio"
	done
done
echo "ratio: usernet / slirp4netns, above 1.00x usernet is faster"
