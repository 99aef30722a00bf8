#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A guest that reconnects from the same port right after the host closed
# first: lwIP holds the old 4-tuple in TIME_WAIT (it sent the first FIN),
# and the new SYN must end that TIME_WAIT rather than be dropped until it
# expires. Also a burst of short connections (connect, 1 byte each way,
# close), which once stalled after ~3000 for exactly this reason.
#
#   usernet run (new user+net namespace)          host namespace
#  +-------------------------------+   tap   +---------------------------+
#  | python3 client 10.0.2.100     |<------->| usernet gateway 10.0.2.2  |
#  |  bind(:PORT) connect 10.0.2.2 |         |  -> 127.0.0.1:SRV server  |
#  +-------------------------------+         |     (closes first)        |
#                                            +---------------------------+
. "$(dirname "$0")/lib/common.sh"
need_root
need_cmd python3

srv_port=$((20000 + TAG % 20000))
cat >"$TMP/client.py" <<'PY'
import errno, socket, sys, time
port, n, fixed = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "fixed"
t0 = time.time()
for i in range(n):
    for attempt in range(50):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.settimeout(5)
        if fixed:
            s.bind(("0.0.0.0", 40123))
        try:
            s.connect(("10.0.2.2", port))
            break
        except OSError as e:
            # our own side may still be in LAST-ACK for a moment; a
            # SYN that lwIP drops shows up as a timeout, not this
            if e.errno != errno.EADDRNOTAVAIL:
                raise
            s.close()
            time.sleep(0.1)
    s.sendall(b"x")
    if s.recv(1) != b"y":
        print("bad answer on connection", i); sys.exit(1)
    while s.recv(1):  # wait for the server's FIN
        pass
    s.close()
    if fixed:
        # let our FIN be acknowledged (LAST-ACK would refuse the port);
        # lwIP's TIME_WAIT for the old 4-tuple lasts far longer than this
        time.sleep(0.2)
print("%d connections in %.2f s" % (n, time.time() - t0))
PY
python3 "$(dirname "$0")/lib/close_first_server.py" "$srv_port" &
PIDS+=("$!")
wait_for 5 python3 -c "import socket; socket.create_connection(('127.0.0.1', $srv_port)).close()" ||
	{ fail "server did not start"; finish; }

if timeout 60 "$USERNET" run -- python3 "$TMP/client.py" "$srv_port" 5 fixed >"$TMP/fixed" 2>&1; then
	ok "5 connections in a row from source port 40123: $(tail -n 1 "$TMP/fixed")"
else
	cat "$TMP/fixed"
	fail "reconnecting from the same source port after the host closed first"
fi
n=${CONNS:-5000}
if timeout 120 "$USERNET" run -- python3 "$TMP/client.py" "$srv_port" "$n" any >"$TMP/burst" 2>&1; then
	ok "$n short connections: $(tail -n 1 "$TMP/burst")"
else
	tail -n 3 "$TMP/burst"
	fail "$n short connections in a row"
fi
finish
