#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Connection rate: a burst of short connections the host closes first
# (connect, 1 byte each way, the host's FIN, close), as bench.sh's CRR row
# makes them. Each must succeed, and lwIP must not keep the gateway's side of
# every one in TIME_WAIT for 2 x TCP_MSL: the proxy ends a TIME_WAIT at the
# flow's end by lwIP's next slow timer, so that its timer does not walk
# (and the budget does not hold) a pcb per recent connection. Seen in the
# SIGUSR1 budget line: lwIP's memory a second after the burst is about what
# it was before it, not a pcb per connection.
#
#   usernet run (new user+net namespace)          host namespace
#  +-------------------------------+   tap   +---------------------------+
#  | python3 client 10.0.2.100     |<------->| usernet gateway 10.0.2.2  |
#  |  N x connect 10.0.2.2:SRV     |         |  -> 127.0.0.1:SRV server  |
#  +-------------------------------+         |     (closes first)        |
#                                            +---------------------------+
. "$(dirname "$0")/lib/common.sh"
need_root
need_cmd python3

srv_port=$((20000 + TAG % 20000))
N=${CONNS:-2000}
# The client: one connection, a pause (the "before" dump is taken), the
# burst, then it waits (at most 20 s) for the test to take the "after" dump.
cat >"$TMP/client.py" <<'PY'
import os, socket, sys, time
port, n, mark = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
def one():
    s = socket.socket()
    s.settimeout(5)
    s.connect(("10.0.2.2", port))
    s.sendall(b"x")
    if s.recv(1) != b"y":
        raise SystemExit("bad answer")
    while s.recv(1):  # the server's FIN
        pass
    s.close()
one()
open(mark + ".warm", "w").close()
for _ in range(200):
    if os.path.exists(mark + ".go"):
        break
    time.sleep(0.1)
t0 = time.time()
for i in range(n):
    one()
print("%d connections in %.2f s" % (n, time.time() - t0), flush=True)
open(mark + ".done", "w").close()
for _ in range(200):
    if os.path.exists(mark + ".end"):
        break
    time.sleep(0.1)
PY
python3 "$(dirname "$0")/lib/close_first_server.py" "$srv_port" &
PIDS+=("$!")
wait_for 5 python3 -c "import socket; socket.create_connection(('127.0.0.1', $srv_port)).close()" ||
	{ fail "server did not start"; finish; }

"$USERNET" run -- python3 "$TMP/client.py" "$srv_port" "$N" "$TMP/mark" \
	>"$TMP/client.out" 2>"$TMP/usernet.log" &
RUNPID=$!
PIDS+=("$RUNPID")

# lwip_kib: lwIP's memory (KiB) in the newest SIGUSR1 budget line.
lwip_kib() {
	grep '^usernet: budget:' "$TMP/usernet.log" | tail -n 1 |
		sed -nE 's/.*\(lwip ([0-9]+),.*/\1/p'
}
dumps() { grep -c '^usernet: budget:' "$TMP/usernet.log"; }
dumped() { [ "$(dumps)" -gt "$1" ]; }
dump() {
	local n
	n=$(dumps)
	kill -USR1 "$RUNPID"
	wait_for 10 dumped "$n"
}

wait_for 30 test -e "$TMP/mark.warm" || { fail "the first connection did not complete"; finish; }
sleep 1
dump || { fail "no SIGUSR1 dump"; finish; }
before=$(lwip_kib)
touch "$TMP/mark.go"
if wait_for 120 test -e "$TMP/mark.done"; then
	ok "$(tail -n 1 "$TMP/client.out")"
else
	fail "$N short connections did not complete within 120 s: $(tail -n 2 "$TMP/client.out")"
	finish
fi
# One slow timer (500 ms) and some slack; TIME_WAIT would be 10 s.
sleep 1.5
dump || { fail "no SIGUSR1 dump"; finish; }
after=$(lwip_kib)
touch "$TMP/mark.end"
wait_for 20 sh -c "! kill -0 $RUNPID 2>/dev/null" || fail "usernet run did not end"
# A TIME_WAIT pcb is about 250 bytes: N of them would be N/4 KiB.
if [ -n "$before" ] && [ -n "$after" ] && [ "$after" -le $((before + N / 40)) ]; then
	ok "lwIP's memory 1.5 s after $N connections: $after KiB (before: $before KiB): no pcb kept per connection"
else
	fail "lwIP's memory 1.5 s after $N connections: '${after}' KiB (before: '${before}' KiB; a TIME_WAIT per connection would be about $((N / 4)) KiB)"
fi
finish
