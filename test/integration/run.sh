#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `usernet run -- CMD`: CMD runs in a new network namespace whose only
# network is a tap on usernet's hub, as root and as an unprivileged user.
#
#   usernet (caller's namespaces)          new user+net+mount namespace
#  +------------------------------+  tap  +---------------------------+
#  | gateway 10.0.2.2 / dns .3 -- |<----->| tap0 10.0.2.100/24         |
#  |  hub                         |       | default via 10.0.2.2       |
#  +------------------------------+       | resolv.conf: 10.0.2.3; CMD |
#                                         +---------------------------+
. "$(dirname "$0")/lib/common.sh"
need_root
need_cmd ip ping runuser

# The main job, as the README shows it.
if timeout 60 "$USERNET" run -- ping -c 3 -i 0.2 -W 2 10.0.2.2 >"$TMP/out" 2>&1 &&
	grep -q '3 received' "$TMP/out"; then
	ok "root: usernet run -- ping -c 3 10.0.2.2 exits 0, 3 replies"
else
	cat "$TMP/out"
	fail "root: usernet run -- ping -c 3 10.0.2.2"
fi

# What CMD sees: the tap's address, MTU, route and resolv.conf.
timeout 60 "$USERNET" run -- sh -c \
	'ip -o -4 addr show tap0; ip -o link show tap0; ip route; cat /etc/resolv.conf; ip -o link | wc -l' \
	>"$TMP/view" 2>&1
grep -q 'inet 10.0.2.100/24' "$TMP/view" && ok "tap0 has 10.0.2.100/24" || fail "tap0 address: $(cat "$TMP/view")"
grep -q 'mtu 65520' "$TMP/view" && ok "tap0 MTU 65520 by default" || fail "tap0 MTU: $(cat "$TMP/view")"
grep -q 'default via 10.0.2.2 dev tap0' "$TMP/view" && ok "default route via 10.0.2.2" || fail "route: $(cat "$TMP/view")"
grep -qx 'nameserver 10.0.2.3' "$TMP/view" && ok "resolv.conf names 10.0.2.3" || fail "resolv.conf: $(cat "$TMP/view")"
[ "$(tail -n 1 "$TMP/view")" = 2 ] && ok "only lo and tap0 in the namespace" || fail "interfaces: $(cat "$TMP/view")"
grep -qx 'nameserver 10.0.2.3' /etc/resolv.conf 2>/dev/null && fail "the host's resolv.conf was changed"

timeout 60 "$USERNET" run --mtu 1500 -- ip -o link show tap0 >"$TMP/mtu" 2>&1
grep -q 'mtu 1500' "$TMP/mtu" && ok "--mtu 1500 reaches tap0" || fail "--mtu 1500: $(cat "$TMP/mtu")"

# Another network through -netdev user: the namespace follows it.
timeout 60 "$USERNET" run -netdev user,id=u,net=192.168.76.0/24 -- sh -c \
	'ip -o -4 addr show tap0; ip route; ping -c 1 -W 2 192.168.76.3' >"$TMP/net" 2>&1
if grep -q 'inet 192.168.76.100/24' "$TMP/net" && grep -q 'default via 192.168.76.2' "$TMP/net" &&
	grep -q '1 received' "$TMP/net"; then
	ok "net=192.168.76.0/24: tap0 .100, route via .2, .3 answers"
else
	cat "$TMP/net"
	fail "net=192.168.76.0/24"
fi

# Exit status: CMD's own, 128+N for a signal, 127 for a missing command.
timeout 60 "$USERNET" run -- sh -c 'exit 7'
rc=$?
[ "$rc" = 7 ] && ok "exit status 7 passed through" || fail "exit status: $rc, expected 7"
timeout 60 "$USERNET" run -- sh -c 'kill -TERM $$'
rc=$?
[ "$rc" = 143 ] && ok "CMD killed by SIGTERM: 143" || fail "signal status: $rc, expected 143"
timeout 60 "$USERNET" run -- /nonexistent/command 2>"$TMP/err"
rc=$?
[ "$rc" = 127 ] && grep -q 'nonexistent' "$TMP/err" && ok "missing command: 127 and a message" ||
	fail "missing command: status $rc, stderr $(cat "$TMP/err")"

# SIGTERM to usernet reaches CMD, and usernet exits with CMD's status.
"$USERNET" run -- sleep 30 &
upid=$!
PIDS+=("$upid")
sleep 1
stop_pid "$upid" TERM
rc=$?
[ "$rc" = 143 ] && ok "SIGTERM to usernet ends CMD (143)" || fail "SIGTERM to usernet: status $rc"

# Nothing left behind: no child of ours is still running.
pgrep -P $$ -l >"$TMP/left"
[ ! -s "$TMP/left" ] && ok "no process left behind" || fail "left behind: $(cat "$TMP/left")"

# --busy-poll: traffic goes on, and an idle usernet still sleeps: over 2 s
# of a namespace doing nothing its CPU time stays far below the 2 s a loop
# that never slept would take.
if timeout 60 "$USERNET" run --busy-poll 200 -- ping -c 3 -i 0.2 -W 2 10.0.2.2 >"$TMP/bp" 2>&1 &&
	grep -q '3 received' "$TMP/bp"; then
	ok "--busy-poll 200: ping -c 3 10.0.2.2, 3 replies"
else
	cat "$TMP/bp"
	fail "--busy-poll 200: ping -c 3 10.0.2.2"
fi
cpu_ms=$( { TIMEFORMAT='%U %S'; time timeout 60 "$USERNET" run --busy-poll 1000 -- sleep 2 >/dev/null 2>&1; } 2>&1 |
	awk '{ printf "%d", ($1 + $2) * 1000 }')
if [ -n "$cpu_ms" ] && [ "$cpu_ms" -lt 500 ]; then
	ok "--busy-poll 1000, idle for 2 s: $cpu_ms ms of CPU"
else
	fail "--busy-poll 1000, idle for 2 s: ${cpu_ms:-?} ms of CPU (a loop that does not sleep)"
fi

# Unprivileged: a new user namespace, no capability needed beyond a usable
# /dev/net/tun (most distributions ship it 0666; this machine may not).
mode=$(stat -c %a /dev/net/tun)
CLEANUPS+=("chmod $mode /dev/net/tun")
chmod 0666 /dev/net/tun
cp "$USERNET" "$TMP/usernet"
chmod 755 "$TMP/usernet"
if (cd / && timeout 60 runuser -u nobody -- "$TMP/usernet" run -- ping -c 3 -i 0.2 -W 2 10.0.2.2) >"$TMP/nobody" 2>&1 &&
	grep -q '3 received' "$TMP/nobody"; then
	ok "nobody: usernet run -- ping -c 3 10.0.2.2 exits 0, 3 replies"
else
	cat "$TMP/nobody"
	fail "nobody: usernet run -- ping -c 3 10.0.2.2"
fi
(cd / && timeout 60 runuser -u nobody -- "$TMP/usernet" run -- sh -c 'id -u; exit 5') >"$TMP/id" 2>&1
rc=$?
[ "$rc" = 5 ] && [ "$(head -n 1 "$TMP/id")" = 0 ] && ok "nobody: uid 0 inside, status 5 passed through" ||
	fail "nobody: status $rc, output $(cat "$TMP/id")"
chmod "$mode" /dev/net/tun

finish
