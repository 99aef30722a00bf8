#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Host-to-guest forwards (hostfwd=): curl on the host reaches an HTTP server
# in the guest namespace, a host UDP client reaches a UDP echo server in the
# guest, a host connect with nothing listening in the guest fails at once
# (not a hang), and the same under `usernet run` (the guest address then
# defaults to the namespace's 10.0.2.100).
#
#   host namespace                                   namespace "guest"
#  +--------------------------------------------+ tap +----------------------+
#  | curl 127.0.0.1:HP -> usernet listens       |<--->| unetpN 10.0.2.15/24  |
#  |   hostfwd=tcp:127.0.0.1:HP-10.0.2.15:80    |     | http.server :80      |
#  |   hostfwd=udp::UP-10.0.2.15:5353           |     | UDP echo :5353       |
#  | proxy_peer.py udp 127.0.0.1:UP             |     +----------------------+
#  +--------------------------------------------+
#
#   host namespace                                 usernet run's namespace
#  +--------------------------------------------+ tap +----------------------+
#  | curl 127.0.0.1:HP2 -> usernet run          |<--->| tap0 10.0.2.100/24   |
#  |   hostfwd=tcp::HP2-:8080                   |     | http.server :8080    |
#  +--------------------------------------------+     +----------------------+
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/proxy_env.sh"
need_root
need_cmd ip ping curl python3 timeout cmp ss

HP=$((PBASE + 15))
UP=$((PBASE + 16))
HP2=$((PBASE + 17))

mkdir -p "$TMP/www"
head -c 1048576 /dev/urandom >"$TMP/www/small.bin"
head -c $((16 * 1048576)) /dev/urandom >"$TMP/www/big.bin"

start_usernet "$TMP/usernet.log" \
	-netdev "user,id=u,hostfwd=tcp:127.0.0.1:$HP-$GUEST:80,hostfwd=udp::$UP-$GUEST:5353"
attach_guest

# The forwards listen where they were told to.
if wait_for 5 sh -c "ss -Hltn 'sport = :$HP' | grep -q '127.0.0.1:$HP '"; then
	ok "hostfwd tcp listens on 127.0.0.1:$HP"
else
	ss -ltnp | grep ":$HP " || true
	fail "hostfwd tcp: no listener on 127.0.0.1:$HP"
fi
ss -Hltn "sport = :$HP" | grep -q "0.0.0.0:$HP " && fail "hostfwd tcp listens on 0.0.0.0:$HP, not only 127.0.0.1"
if ss -Hlun "sport = :$UP" | grep -q "0.0.0.0:$UP "; then
	ok "hostfwd udp bound to 0.0.0.0:$UP"
else
	ss -lunp | grep ":$UP " || true
	fail "hostfwd udp: not bound to 0.0.0.0:$UP"
fi

# --- TCP: an HTTP server in the guest -----------------------------------
bg "${GX[@]}" python3 -m http.server 80 --bind "$GUEST" --directory "$TMP/www" >"$TMP/ghttp.log" 2>&1
ghttp=$BGPID
wait_until 10 gx curl -sf --max-time 2 -o /dev/null "http://$GUEST:80/small.bin" || fail "the guest's http.server did not start"
for f in small.bin big.bin; do
	if timeout 30 curl -sS --max-time 20 -o "$TMP/got.$f" "http://127.0.0.1:$HP/$f" &&
		cmp -s "$TMP/got.$f" "$TMP/www/$f"; then
		ok "curl http://127.0.0.1:$HP/$f on the host: the guest's file, byte-exact ($(stat -c %s "$TMP/www/$f") bytes)"
	else
		fail "curl http://127.0.0.1:$HP/$f on the host (file differs or curl failed)"
	fi
done
# Several at once.
cpids=()
for i in 1 2 3 4 5 6 7 8; do
	timeout 30 curl -sS --max-time 20 -o "$TMP/par.$i" "http://127.0.0.1:$HP/small.bin" &
	cpids+=($!)
done
wait "${cpids[@]}"
n=0
for i in 1 2 3 4 5 6 7 8; do cmp -s "$TMP/par.$i" "$TMP/www/small.bin" && n=$((n + 1)); done
[ "$n" = 8 ] && ok "8 curls at once through the forward: all byte-exact" || fail "8 curls at once: $n byte-exact"

# --- UDP: an echo server in the guest -------------------------------------
peer_serve gecho "${GX[@]}" -- udp-echo "$GUEST" 5353
for size in 100 1400; do
	out=$(timeout 20 "${PEER[@]}" udp 127.0.0.1 "$UP" "$size" 2>&1)
	if [ "$out" = "echo $size ok" ]; then
		ok "UDP $size bytes to 127.0.0.1:$UP on the host: echoed by the guest"
	else
		echo "$out"
		fail "UDP $size bytes to 127.0.0.1:$UP: no exact echo from the guest"
	fi
done

# --- nothing listening in the guest: a prompt failure, not a hang -----------
stop_pid "$ghttp" >/dev/null
gx sh -c "! ss -Hltn 'sport = :80' | grep -q ." || fail "port 80 still listens in the guest"
t0=$(now_ms)
timeout 30 curl -sS --max-time 10 -o /dev/null "http://127.0.0.1:$HP/small.bin" >"$TMP/closed.err" 2>&1
rc=$?
ms=$(($(now_ms) - t0))
if [ "$rc" != 0 ] && [ "$rc" != 28 ] && [ "$rc" != 124 ] && [ "$ms" -lt 3000 ]; then
	ok "nothing on guest port 80: host curl fails at once (exit $rc, $(tr -d '\n' <"$TMP/closed.err"), ${ms} ms)"
else
	cat "$TMP/closed.err"
	fail "nothing on guest port 80: host curl exit $rc after ${ms} ms (expected a prompt close or reset)"
fi
# The forward still works once something listens again.
bg "${GX[@]}" python3 -m http.server 80 --bind "$GUEST" --directory "$TMP/www" >"$TMP/ghttp2.log" 2>&1
wait_until 10 gx curl -sf --max-time 2 -o /dev/null "http://$GUEST:80/small.bin" || fail "the guest's http.server did not restart"
if timeout 30 curl -sS --max-time 20 -o "$TMP/got.again" "http://127.0.0.1:$HP/small.bin" &&
	cmp -s "$TMP/got.again" "$TMP/www/small.bin"; then
	ok "the forward works again once the guest listens"
else
	fail "the forward does not work again after a refused guest connect"
fi
stop_usernet

# --- usernet run: the forward goes to the namespace's 10.0.2.100 -------------
bg "$USERNET" run -netdev "user,id=u,hostfwd=tcp::$HP2-:8080" -- \
	python3 -m http.server 8080 --directory "$TMP/www" >"$TMP/run.out" 2>"$TMP/run.log"
rpid=$BGPID
if wait_until 20 curl -sf --max-time 2 -o "$TMP/got.run" "http://127.0.0.1:$HP2/small.bin" &&
	cmp -s "$TMP/got.run" "$TMP/www/small.bin"; then
	ok "usernet run, hostfwd=tcp::$HP2-:8080: curl on the host reaches the server in the namespace"
else
	cat "$TMP/run.log"
	fail "usernet run, hostfwd=tcp::$HP2-:8080: curl http://127.0.0.1:$HP2/ on the host"
fi
# The namespace's MTU is 65520: the guest answers in full-size frames.
if timeout 30 curl -sS --max-time 20 -o "$TMP/got.run.big" "http://127.0.0.1:$HP2/big.bin" &&
	cmp -s "$TMP/got.run.big" "$TMP/www/big.bin"; then
	ok "usernet run (MTU 65520): 16 MiB from the namespace's server, byte-exact"
else
	cat "$TMP/run.log"
	fail "usernet run (MTU 65520): 16 MiB from the namespace's server"
fi
stop_pid "$rpid" TERM >/dev/null
ULOG=$TMP/run.log check_ulog

finish
