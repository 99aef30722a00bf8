#!/bin/bash
# tftp.sh - lock-step TFTP through a stream or socket link: usernet's
# gateway against QEMU's libslirp, side by side (issue #12).
#
# Not a test: it asserts nothing about speed and is not registered in CTest.
# It prints one table of medians. See test/bench/README.md.
#
#   namespace            usernet (hub: tap + link)        gateway
#  +------------+  tap  +---------------------+  link  +----------------------------+
#  | busybox    |<----->| tap -- stream/socket |<------>| usernet: user,tftp=DIR     |
#  | tftp -b    |       | (as a VM's QEMU      |  unix  |   or                       |
#  | 1432       |       |  would connect)      |  / TCP | qemu -machine none: hub of |
#  | 10.0.2.15  |       +---------------------+        | user,tftp=DIR + link       |
#  +------------+                                      +----------------------------+
#
# The client asks for 1432-byte blocks, as iPXE does, and fetches a file of
# TFTP_SIZE_MB MiB from 10.0.2.2. Every block is one round trip: the
# client's ACK goes through the tap, the middle usernet and the link to the
# gateway, whose next DATA comes back the same way. Both gateways sit behind
# the same middle usernet, so what differs is the gateway and its end of the
# link.
#
#   test/bench/tftp.sh            # as root
#
# Environment:
#   USERNET      the usernet binary (default ./build/usernet, then the
#                repository's build/usernet)
#   BENCH_RUNS   runs of every case, the median is reported (default 3)
#   BENCH_TOOLS  which gateways (default "usernet libslirp"; "usernet-base"
#                is a second usernet binary, USERNET_BASE, as the gateway,
#                e.g. a build before a change; the middle usernet is always
#                USERNET)
#   USERNET_BASE the binary of "usernet-base"
#   TFTP_LINKS   which links (default "stream socket")
#   TFTP_SIZE_MB size of the file (default 32)
#   TFTP_BLKSIZE the blksize the client asks for (default 1432)
#
# Traffic goes only to the host's loopback (127.0.0.1) and to the namespace
# this script creates. Every process it starts is tracked by PID and killed
# on exit, Ctrl-C included; its scratch folder under /tmp is removed.

set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
RUNS=${BENCH_RUNS:-3}
TOOLS=${BENCH_TOOLS:-usernet libslirp}
LINKS=${TFTP_LINKS:-stream socket}
SIZE_MB=${TFTP_SIZE_MB:-32}
BLKSIZE=${TFTP_BLKSIZE:-1432}
. "$here/lib/common.sh"
USERNET_BASE=${USERNET_BASE:-}
case $USERNET_BASE in '' | /*) ;; *) USERNET_BASE=$PWD/$USERNET_BASE ;; esac
QEMU=(qemu-system-x86_64 -machine none -nodefaults -display none -no-user-config)


case $RUNS in '' | *[!0-9]* | 0) die "BENCH_RUNS must be a positive integer" ;; esac
case $SIZE_MB in '' | *[!0-9]* | 0) die "TFTP_SIZE_MB must be a positive integer" ;; esac
case $BLKSIZE in '' | *[!0-9]* | 0) die "TFTP_BLKSIZE must be a positive integer" ;; esac
[ "$(id -u)" = 0 ] || die "run me as root (I make a namespace and taps)"
[ -x "$USERNET" ] || die "no usernet at $USERNET (set USERNET)"
command -v busybox >/dev/null || die "busybox is needed (its tftp client)"
command -v dumpcap >/dev/null || die "dumpcap is needed (Debian's wireshark-common or tshark)"
command -v python3 >/dev/null || die "python3 is needed to read the captures"
command -v ss >/dev/null || die "ss (iproute2) is needed"

# ---------------------------------------------------------------- cleanup --

NS=unet-tftpb-$$
cleanup_more() { ip netns del "$NS" 2>/dev/null; }

# median NUMBERS...: this script's own, n/a for none and the lower middle
# of an even count (common.sh's prints nothing and averages the two).
median() {
	[ $# -eq 0 ] && { echo n/a; return; }
	printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

TMP=$(mktemp -d /tmp/usernet-tftpbench.XXXXXX) || die "mktemp failed"
chmod 755 "$TMP"
mkdir "$TMP/root"
head -c $((SIZE_MB << 20)) /dev/urandom >"$TMP/root/blob" || die "cannot write the file"
ip netns add "$NS" || die "cannot make a namespace"
ip -n "$NS" link set lo up

# The per-block round trips, from a capture on the tap (the guest's side):
# for each block, from the client's ACK of block n to the gateway's DATA
# n+1 (the gateway's side: middle usernet, link, gateway and back), and
# from DATA n to ACK n (the client's side). Prints "GW_US GW_MEAN_US
# CLIENT_US BLOCKS": medians, and the gateway side's mean, in microseconds.
cat >"$TMP/rtt.py" <<'EOF'
import struct, sys
f = open(sys.argv[1], 'rb')
magic = struct.unpack('<I', f.read(24)[:4])[0]
scale = 1e-9 if magic == 0xa1b23c4d else 1e-6
data, ack = {}, {}
while True:
    h = f.read(16)
    if len(h) < 16:
        break
    sec, frac, incl, _ = struct.unpack('<IIII', h)
    p = f.read(incl)
    t = sec + frac * scale
    if len(p) < 14 + 20 + 8 + 4 or p[12:14] != b'\x08\x00':
        continue
    ihl = (p[14] & 15) * 4
    if p[23] != 17:
        continue
    u = p[14 + ihl + 8:]
    if len(u) < 4:
        continue
    op, blk = struct.unpack('>HH', u[:4])
    src = p[26:30]
    if op == 3 and src == bytes([10, 0, 2, 2]):
        data.setdefault(blk, t)
    elif op == 4 and src == bytes([10, 0, 2, 15]):
        ack.setdefault(blk, t)
gw = sorted(data[(b + 1) & 0xffff] - ack[b] for b in ack
            if (b + 1) & 0xffff in data and data[(b + 1) & 0xffff] > ack[b])
cl = sorted(ack[b] - data[b] for b in ack if b in data and ack[b] >= data[b])
med = lambda v: v[len(v) // 2] * 1e6 if v else float('nan')
mean = lambda v: sum(v) / len(v) * 1e6 if v else float('nan')
print('%.0f %.0f %.0f %d' % (med(gw), mean(gw), med(cl), len(gw)))
EOF

# --------------------------------------------------------------- a case --

PORT=$((20000 + $$ % 20000))
GW_PID=
MID_PID=
TAP=

gw_binary() {
	if [ "$1" = usernet-base ]; then echo "$USERNET_BASE"; else echo "$USERNET"; fi
}

# cpu_ticks PID: user + system CPU time of PID so far, in clock ticks.
cpu_ticks() {
	awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# start_case TOOL LINK: the gateway, the middle usernet and its tap in the
# namespace, up to a first ping of 10.0.2.2. Returns 1 when that fails.
start_case() {
	local tool=$1 link=$2 gwnd midnd sock=$TMP/link.sock
	PORT=$((PORT + 1))
	rm -f "$sock"
	case $link in
	stream)
		gwnd="stream,id=s0,server=on,addr.type=unix,addr.path=$sock"
		midnd="stream,id=s0,server=off,addr.type=unix,addr.path=$sock,reconnect=1" ;;
	socket)
		gwnd="socket,id=s0,listen=127.0.0.1:$PORT"
		midnd="socket,id=s0,connect=127.0.0.1:$PORT,reconnect=1" ;;
	esac
	case $tool in
	usernet | usernet-base)
		"$(gw_binary "$tool")" -netdev "user,id=u0,tftp=$TMP/root" \
			-netdev "$gwnd" >"$TMP/gw.log" 2>&1 & ;;
	libslirp)
		"${QEMU[@]}" -netdev "user,id=u0,tftp=$TMP/root" -netdev "$gwnd" \
			-netdev hubport,id=h0,hubid=0,netdev=s0 \
			-netdev hubport,id=h1,hubid=0,netdev=u0 \
			>"$TMP/gw.log" 2>&1 & ;;
	esac
	GW_PID=$!
	PIDS+=("$GW_PID")
	case $link in
	stream) wait_for 10 test -S "$sock" ;;
	socket) wait_for 10 bash -c "ss -Hltn 'sport = :$PORT' | grep -q ." ;;
	esac || { say "tftp.sh: $tool does not listen"; cat "$TMP/gw.log" >&2; return 1; }
	TAP=unettb$PORT
	"$USERNET" -netdev "tap,id=t0,ifname=$TAP" -netdev "$midnd" >"$TMP/mid.log" 2>&1 &
	MID_PID=$!
	PIDS+=("$MID_PID")
	wait_for 10 ip link show "$TAP" || { say "tftp.sh: no tap"; cat "$TMP/mid.log" >&2; return 1; }
	ip link set "$TAP" netns "$NS" &&
		ip -n "$NS" addr add 10.0.2.15/24 dev "$TAP" &&
		ip -n "$NS" link set "$TAP" up || return 1
	wait_for 10 ip netns exec "$NS" ping -c 1 -W 1 10.0.2.2 ||
		{ say "tftp.sh: $tool over $link: no ping"; return 1; }
}

stop_case() {
	[ -n "$MID_PID" ] && kill_pid "$MID_PID"
	[ -n "$GW_PID" ] && kill_pid "$GW_PID"
	MID_PID='' GW_PID=''
}

# fetch: one transfer; prints the seconds it took, or fails.
fetch() {
	local t0 t1
	rm -f "$TMP/got"
	t0=$(date +%s.%N)
	ip netns exec "$NS" timeout 120 busybox tftp -g -b "$BLKSIZE" \
		-r blob -l "$TMP/got" 10.0.2.2 >"$TMP/tftp.log" 2>&1 || return 1
	t1=$(date +%s.%N)
	cmp -s "$TMP/got" "$TMP/root/blob" || { say "tftp.sh: the file arrived damaged"; return 1; }
	echo "$t0 $t1" | awk '{ printf "%.3f\n", $2 - $1 }'
}

# one_run TOOL LINK: a transfer for the rate, a captured one for the round
# trips. Sets rate, cpu, gw, gwm and cl (MiB/s; microseconds: the gateway
# process's CPU time per block in the first transfer, the gateway side's
# median and mean round trip, the client side's median), n/a when they
# failed.
# Runs in the script's own shell, so that every PID it starts is tracked.
one_run() {
	local tool=$1 link=$2 secs cap=$TMP/cap.pcap dpid c0
	rate=n/a cpu=n/a gw=n/a gwm=n/a cl=n/a
	if ! start_case "$tool" "$link"; then
		stop_case
		return
	fi
	c0=$(cpu_ticks "$GW_PID")
	if secs=$(fetch); then
		rate=$(awk -v s="$secs" -v m="$SIZE_MB" 'BEGIN { printf "%.2f", m / s }')
		cpu=$(awk -v t=$(($(cpu_ticks "$GW_PID") - c0)) -v hz="$(getconf CLK_TCK)" \
			-v n=$(((SIZE_MB << 20) / BLKSIZE)) 'BEGIN { printf "%.1f", t / hz / n * 1e6 }')
	fi
	rm -f "$cap"
	ip netns exec "$NS" dumpcap -q -P -s 64 -B 64 -i "$TAP" -w "$cap" \
		-f udp 2>"$TMP/dumpcap.log" &
	dpid=$!
	PIDS+=("$dpid")
	wait_for 5 test -s "$cap"
	if fetch >/dev/null; then
		sleep 0.3
		kill_pid "$dpid"
		read -r gw gwm cl _ < <(python3 "$TMP/rtt.py" "$cap") || gw=n/a
	else
		kill_pid "$dpid"
	fi
	stop_case
	gw=${gw:-n/a} gwm=${gwm:-n/a} cl=${cl:-n/a}
}

# ----------------------------------------------------------------- main --

declare -A RATE CPU GW GWM CL
for tool in $TOOLS; do
	case $tool in
	usernet) ;;
	usernet-base) [ -x "$USERNET_BASE" ] || die "usernet-base needs USERNET_BASE, a usernet binary" ;;
	libslirp) command -v qemu-system-x86_64 >/dev/null ||
		die "libslirp needs qemu-system-x86_64 (Debian's qemu-system-x86)" ;;
	*) die "unknown tool $tool (usernet, usernet-base, libslirp)" ;;
	esac
done
for link in $LINKS; do
	case $link in stream | socket) ;; *) die "unknown link $link (stream, socket)" ;; esac
done

LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
for ((r = 1; r <= RUNS; r++)); do
	for link in $LINKS; do
		for tool in $TOOLS; do
			one_run "$tool" "$link"
			say "run $r/$RUNS $tool over $link: $rate MiB/s, gateway CPU $cpu us/block; per block: gateway side ${gw} us (mean $gwm), client side $cl us"
			[ "$rate" != n/a ] && RATE[$tool.$link]+=" $rate" && CPU[$tool.$link]+=" $cpu"
			[ "$gw" != n/a ] && GW[$tool.$link]+=" $gw" && GWM[$tool.$link]+=" $gwm"
			[ "$cl" != n/a ] && CL[$tool.$link]+=" $cl"
		done
	done
done
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

# ratio A B: A / B with two decimals, n/a when either is missing.
ratio() {
	case "$1$2" in *n/a* | '') echo n/a; return ;; esac
	awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'
}

printf '\nusernet TFTP benchmark, %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
printf 'machine: %s CPUs, kernel %s, load %s at the start, %s at the end\n' \
	"$(nproc)" "$(uname -r)" "$LOAD0" "$LOAD1"
printf 'busybox tftp -b %s, a %s MiB file; median of %s runs\n' "$BLKSIZE" "$SIZE_MB" "$RUNS"
printf 'RTT: ACK n to DATA n+1 on the tap (the gateway side: middle usernet, link, gateway),\n'
printf '     median and mean over the blocks of a captured transfer\n'
printf 'client: DATA n to ACK n on the tap (the namespace'"'"'s kernel and busybox), median\n'
printf 'CPU: the gateway process'"'"'s CPU time per block (user + system)\n\n'
printf '%-8s %-13s %8s %9s %9s %11s %8s\n' link gateway MiB/s "RTT us" "mean us" "client us" "CPU us"
for link in $LINKS; do
	for tool in $TOOLS; do
		# shellcheck disable=SC2086
		printf '%-8s %-13s %8s %9s %9s %11s %8s\n' "$link" "$tool" \
			"$(median ${RATE[$tool.$link]:-})" "$(median ${GW[$tool.$link]:-})" \
			"$(median ${GWM[$tool.$link]:-})" "$(median ${CL[$tool.$link]:-})" \
			"$(median ${CPU[$tool.$link]:-})"
	done
done
for tool in $TOOLS; do
	[ "$tool" = libslirp ] && continue
	case " $TOOLS " in *" libslirp "*) ;; *) break ;; esac
	printf '\n%s / libslirp (above 1.00x %s is better: rate %s/libslirp, RTT libslirp/%s)\n' \
		"$tool" "$tool" "$tool" "$tool"
	printf '%-8s %10s %10s %10s\n' link rate RTT "mean RTT"
	for link in $LINKS; do
		# shellcheck disable=SC2086
		printf '%-8s %10s %10s %10s\n' "$link" \
			"$(ratio "$(median ${RATE[$tool.$link]:-})" "$(median ${RATE[libslirp.$link]:-})")" \
			"$(ratio "$(median ${GW[libslirp.$link]:-})" "$(median ${GW[$tool.$link]:-})")" \
			"$(ratio "$(median ${GWM[libslirp.$link]:-})" "$(median ${GWM[$tool.$link]:-})")"
	done
done
