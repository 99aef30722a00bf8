#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Loss toward a real Linux guest: the hub loses frames on their way to the
# guest's tap, as a NIC without receive flow control does when its ring
# overflows (bursts) and as a lossy link does (at random). 64 MiB from the
# host must reach the guest byte-exact, and usernet's own counters must show
# that fast recovery repaired the losses, not the retransmission timer.
#
#   namespace "guest"                  host namespace
#  +----------------------+  tap  +------------------------------------------+
#  | unetpN 10.0.2.15/24  |<--X---| usernet -netdev user                     |
#  | proxy_peer.py recv   |  loss |   10.0.2.2 -> 127.0.0.1                  |
#  |   sha256 <-----------|-------|   source-gen 64 MiB                      |
#  +----------------------+       +------------------------------------------+
#   X: tap loss=50 (1 frame in 50 at random), loss-burst=60/3000 (60 frames
#      in a row at the start of every 3000)
#
# Environment: LOSS_MB (64) MiB to send.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/proxy_env.sh"
need_root
need_cmd ip ping python3 timeout

LOSS_MB=${LOSS_MB:-64}
P_DOWN=$((PBASE + 12))

TAP_KEYS=",loss=50,loss-burst=60/3000"
start_usernet "$TMP/usernet.log" --seed 7 -netdev user,id=u
attach_guest

# stack_counters: SIGUSR1 to usernet; prints the stack's counter line it
# logs in answer (the port lines come just before it).
stack_counters() {
	local n
	n=$(grep -c "usernet: stack:" "$ULOG")
	kill -USR1 "$UPID"
	wait_for 5 test "$(grep -c "usernet: stack:" "$ULOG")" -gt "$n" ||
		fail "no counters after SIGUSR1"
	grep "usernet: stack:" "$ULOG" | tail -n 1
}
# counter NAME LINE: the number after NAME in LINE.
counter() {
	sed -nE "s/.*$1 ([0-9]+).*/\1/p" <<<"$2"
}

before=$(stack_counters)
want=$((LOSS_MB * 1048576))
peer_serve down -- source-gen 127.0.0.1 "$P_DOWN" "$LOSS_MB" 21
t0=$(now_ms)
gx timeout 240 "${PEER[@]}" recv "$GW" "$P_DOWN" >"$TMP/down.cli" 2>&1
rc=$?
ms=$(($(now_ms) - t0))
peer_wait down 30
if [ "$rc" = 0 ] && [ "$(cut -d' ' -f1 "$TMP/down.out")" = "$want" ] &&
	[ "$(cat "$TMP/down.out")" = "$(cat "$TMP/down.cli")" ]; then
	ok "$LOSS_MB MiB reached the lossy guest byte-exact (sha256) in ${ms} ms"
else
	cat "$TMP/down.cli" "$TMP/down.err"
	fail "client exit $rc after ${ms} ms; host '$(cat "$TMP/down.out")', guest '$(cat "$TMP/down.cli")'"
fi

after=$(stack_counters)
lost=$(grep "usernet: port t (tap)" "$ULOG" | tail -n 1 | sed -nE 's/.* loss ([0-9]+).*/\1/p')
fr=$(($(counter "fast recoveries" "$after") - $(counter "fast recoveries" "$before")))
rto=$(($(counter "retransmission timeouts" "$after") - $(counter "retransmission timeouts" "$before")))
echo "frames lost on purpose: ${lost:-?}; fast recoveries: $fr; retransmission timeouts: $rto"
if [ -n "$lost" ] && [ "$lost" -ge 500 ]; then
	ok "the tap lost $lost frames toward the guest"
else
	fail "the tap lost ${lost:-no} frames: loss= and loss-burst= did not work"
fi
# Every loss episode needs one repair: the recoveries must be many, and
# timeouts (each at least 200 ms) a small part of the repairs.
if [ "$fr" -ge 100 ] && [ "$rto" -le $((fr / 10)) ]; then
	ok "fast recovery did the work: $fr recoveries, $rto timeouts"
else
	fail "recovery counters: $fr fast recoveries, $rto timeouts (want >= 100 and timeouts <= 10%)"
fi

stop_usernet
finish
