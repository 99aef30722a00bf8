# SPDX-License-Identifier: MIT
# Shared helpers of the integration tests: sourced, never run by itself.
#
# Every test gets a private scratch folder, names its namespaces and taps
# with its own PID so that runs never collide, starts background processes
# directly (so $! is the real PID), and cleans up on any exit through
# cleanup(): the PIDs it started, the namespaces it made, its scratch folder.

set -u

USERNET=${USERNET:?USERNET must name the usernet binary}
SRCDIR=${SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
TMP=$(mktemp -d /tmp/usernet-test.XXXXXX)
chmod 755 "$TMP"
TAG=$$
PIDS=()
NETNS=()
CLEANUPS=()
FAILED=0

cleanup() {
	local pid ns c
	for c in "${CLEANUPS[@]}"; do eval "$c" || true; done
	for pid in "${PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${PIDS[@]}"; do
		for _ in $(seq 50); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	done
	for ns in "${NETNS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
	rm -rf "$TMP"
}
trap cleanup EXIT

skip() {
	echo "SKIP: $*"
	exit 77
}

fail() {
	echo "FAIL: $*"
	FAILED=1
}

ok() {
	echo "ok: $*"
}

# Ends the test with the verdict.
finish() {
	if [ "$FAILED" != 0 ]; then
		echo "some checks failed"
		exit 1
	fi
	echo "all checks passed"
	exit 0
}

need_root() {
	[ "$(id -u)" = 0 ] || skip "needs root (network namespaces and taps); run the suite as root"
	[ -c /dev/net/tun ] || skip "/dev/net/tun is missing on this machine"
}

need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "$c is not installed (tools/setup.sh installs it)"
	done
}

# new_netns NAME: makes a namespace, deleted again at exit.
new_netns() {
	ip netns add "$1" || { echo "cannot make namespace $1"; exit 1; }
	NETNS+=("$1")
	ip -n "$1" link set lo up
}

# udhcpc_script FILE: writes a busybox udhcpc script that configures the
# interface from the lease (address, MTU, default route), as a
# distribution's default.script does.
udhcpc_script() {
	cat >"$1" <<'EOF'
#!/bin/sh
case "$1" in
deconfig)
	ip -4 addr flush dev "$interface"
	ip link set "$interface" up
	;;
bound|renew)
	ip -4 addr flush dev "$interface"
	ip addr add "$ip/$subnet" dev "$interface"
	[ -n "${mtu-}" ] && ip link set dev "$interface" mtu "$mtu"
	[ -n "${router-}" ] && ip route replace default via "$router" dev "$interface"
	;;
esac
exit 0
EOF
	chmod 755 "$1"
}

# free_port [ADDR]: a port free on ADDR (127.0.0.1; ::1 for IPv6) for both
# UDP and TCP, below the ephemeral range; nothing printed when none is.
free_port() {
	python3 - "${1:-127.0.0.1}" <<'EOF'
import random, socket, sys
addr = sys.argv[1]
fam = socket.AF_INET6 if ":" in addr else socket.AF_INET
for _ in range(200):
    p = random.randint(20000, 31999)
    try:
        u = socket.socket(fam, socket.SOCK_DGRAM)
        u.bind((addr, p))
        t = socket.socket(fam, socket.SOCK_STREAM)
        t.bind((addr, p))
    except OSError:
        continue
    u.close()
    t.close()
    print(p)
    break
EOF
}

# usernet_on_tap NS TAP LOG ARGS...: starts usernet with ARGS and a tap
# port TAP (logging to LOG), then moves the tap into a new namespace NS;
# usernet's PID in UPID. Ends the test when the tap does not appear.
usernet_on_tap() {
	local gns=$1 gtap=$2 log=$3
	shift 3
	"$USERNET" "$@" -netdev tap,id=t,ifname="$gtap" 2>"$log" &
	UPID=$!
	PIDS+=("$UPID")
	wait_for 10 ip link show "$gtap" ||
		{ cat "$log"; fail "usernet did not create $gtap"; finish; }
	new_netns "$gns"
	ip link set "$gtap" netns "$gns"
}

# guest_static HNS GNS TAP: moves TAP (made by usernet in namespace HNS)
# into namespace GNS and gives it the gateway's default static guest:
# 10.0.2.15/24 and fec0::15/64 (no router advertisements), default routes
# via 10.0.2.2 and fec0::2.
guest_static() {
	local hns=$1 gns=$2 tap=$3
	ip -n "$hns" link set "$tap" netns "$gns"
	ip netns exec "$gns" sysctl -qw net.ipv6.conf."$tap".accept_ra=0
	ip -n "$gns" addr add 10.0.2.15/24 dev "$tap"
	ip -n "$gns" addr add fec0::15/64 dev "$tap" nodad
	ip -n "$gns" link set "$tap" up
	ip -n "$gns" route add default via 10.0.2.2
	ip -n "$gns" -6 route add default via fec0::2
}

# wait_for SECONDS COMMAND...: polls COMMAND until it succeeds; bounded.
wait_for() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	return 1
}

# stop_pid PID: SIGTERM, then waits (bounded) and returns its exit status.
stop_pid() {
	local pid=$1 sig=${2:-TERM} i
	kill -"$sig" "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
		echo "process $pid did not stop on SIG$sig"
	fi
	wait "$pid"
}

# world_veth HNS HIF WNS WIF: a veth pair HIF (in namespace HNS, where
# usernet runs) - WIF (in namespace WNS, the world), both up:
# 198.18.0.1/24 and 2001:db8:1::1/64 on HIF, 198.18.0.2/24 and
# 2001:db8:1::2/64 on WIF.
world_veth() {
	local hns=$1 hif=$2 wns=$3 wif=$4
	ip -n "$hns" link add "$hif" type veth peer name "$wif" netns "$wns"
	ip -n "$hns" addr add 198.18.0.1/24 dev "$hif"
	ip -n "$hns" addr add 2001:db8:1::1/64 dev "$hif" nodad
	ip -n "$wns" addr add 198.18.0.2/24 dev "$wif"
	ip -n "$wns" addr add 2001:db8:1::2/64 dev "$wif" nodad
	ip -n "$hns" link set "$hif" up
	ip -n "$wns" link set "$wif" up
}
