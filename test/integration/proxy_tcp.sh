#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The NAT proxy's TCP, with the Linux kernel as the guest and as every host
# peer: HTTP to the host's loopback through 10.0.2.2 and to a "world"
# namespace by its own address; refused and unreachable connects; byte-exact
# bulk transfers both ways; FIN and RST crossing each way; many connections
# at once; loopback=off and restrict=on.
#
#   namespace "guest"                 host namespace                     namespace "world"
#  +----------------------+  tap  +------------------------------+ veth +----------------------+
#  | unetpN 10.0.2.15/24  |<----->| usernet -netdev user         |<---->| unwwN 198.51.100.1   |
#  | default via 10.0.2.2 |       |  10.0.2.2 -> 127.0.0.1       |      | http.server :PORT    |
#  | curl, proxy_peer.py  |       | unwhN 198.51.100.254/24      |      +----------------------+
#  +----------------------+       | http.server 127.0.0.1:PORT   |
#                                 | proxy_peer.py 127.0.0.1:PORT |
#                                 +------------------------------+
#
# Environment: BIG_MB (256) MiB for each bulk transfer at guest MTU 1500,
# JUMBO_MB (64) at guest MTU 65520, CONNS (1000) connections at once.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/proxy_env.sh"
need_root
need_cmd ip ping curl python3 sha256sum timeout cmp

BIG_MB=${BIG_MB:-256}
JUMBO_MB=${JUMBO_MB:-64}
CONNS=${CONNS:-1000}
P_HTTP=$PBASE
P_WHTTP=$((PBASE + 1))
P_CLOSED=$((PBASE + 2))
P_UP=$((PBASE + 3))
P_DOWN=$((PBASE + 4))
P_HC1=$((PBASE + 5))
P_HC2=$((PBASE + 6))
P_RST1=$((PBASE + 7))
P_RST2=$((PBASE + 8))
P_ECHO=$((PBASE + 9))
UNREACH=203.0.113.1

make_world
start_usernet "$TMP/usernet.log" -netdev user,id=u
attach_guest

mkdir -p "$TMP/www" "$TMP/wwww"
head -c 1048576 /dev/urandom >"$TMP/www/host.bin"
head -c 1048576 /dev/urandom >"$TMP/wwww/world.bin"
bg python3 -m http.server "$P_HTTP" --bind 127.0.0.1 --directory "$TMP/www" >"$TMP/http.log" 2>&1
bg "${WX[@]}" python3 -m http.server "$P_WHTTP" --bind "$WORLD" --directory "$TMP/wwww" >"$TMP/whttp.log" 2>&1
wait_until 10 curl -sf --max-time 2 -o /dev/null "http://127.0.0.1:$P_HTTP/host.bin" || fail "host http.server did not start"
wait_until 10 curl -sf --max-time 2 -o /dev/null "http://$WORLD:$P_WHTTP/world.bin" || fail "world http.server did not start"

# --- HTTP to the host's loopback and to the world -------------------------
if gx timeout 30 curl -sS --max-time 20 -o "$TMP/got.host" "http://$GW:$P_HTTP/host.bin" &&
	cmp -s "$TMP/got.host" "$TMP/www/host.bin"; then
	ok "curl http://$GW:$P_HTTP/ from the guest: the host's 127.0.0.1 file, byte-exact"
else
	fail "curl http://$GW:$P_HTTP/ from the guest (file differs or curl failed)"
fi
if gx timeout 30 curl -sS --max-time 20 -o "$TMP/got.world" "http://$WORLD:$P_WHTTP/world.bin" &&
	cmp -s "$TMP/got.world" "$TMP/wwww/world.bin"; then
	ok "curl http://$WORLD:$P_WHTTP/ from the guest: the world's file, byte-exact"
else
	fail "curl http://$WORLD:$P_WHTTP/ from the guest (file differs or curl failed)"
fi

# --- refused: RST to the guest, at once --------------------------------------
# curl_fails NAME URL RC REGEX MAXMS: curl from the guest fails with exit
# status RC, its verbose output matches REGEX, within MAXMS milliseconds.
curl_fails() {
	local name=$1 url=$2 want=$3 re=$4 maxms=$5 t0 rc ms
	t0=$(now_ms)
	gx timeout 30 curl -v --max-time 20 -o /dev/null "$url" >"$TMP/$name.err" 2>&1
	rc=$?
	ms=$(($(now_ms) - t0))
	if [ "$rc" = "$want" ] && grep -qE "$re" "$TMP/$name.err" && [ "$ms" -lt "$maxms" ]; then
		ok "$name: curl $url: exit $rc, '$(grep -oE "$re" "$TMP/$name.err" | head -n 1)', ${ms} ms"
	else
		grep -E '^\*|curl:' "$TMP/$name.err" | tail -n 5
		fail "$name: curl $url: exit $rc after ${ms} ms, expected exit $want matching '$re' in under $maxms ms"
	fi
}
curl_fails refused "http://$GW:$P_CLOSED/" 7 'Connection refused' 1000
curl_fails refused-world "http://$WORLD:$P_CLOSED/" 7 'Connection refused' 1000

# --- unreachable: an ICMP error to the guest, at once -------------------------
# 203.0.113.1 (TEST-NET-3) must have no route on the host; when the host has
# a default route, a temporary "unreachable" route for that one address
# gives the host's connect EHOSTUNREACH (removed at exit).
if ip route get "$UNREACH" >/dev/null 2>&1; then
	echo "note: the host routes $UNREACH; adding a temporary unreachable route for it"
	ip route add unreachable "$UNREACH/32" && CLEANUPS+=("ip route del unreachable $UNREACH/32")
fi
if ip route get "$UNREACH" >/dev/null 2>&1; then
	echo "note: $UNREACH is still routable on the host: unreachable check skipped"
else
	curl_fails unreachable "http://$UNREACH:80/" 7 'No route to host|Network is unreachable' 2000
fi

# --- bulk transfers both ways, byte-exact --------------------------------------
# bulk LABEL MB: MB MiB of random data from the guest to a host sink on
# 127.0.0.1 and back from a host source; sha256 compared at both ends.
bulk() {
	local label=$1 mb=$2 want rc t0 ms
	head -c "$((mb * 1048576))" /dev/urandom >"$TMP/big"
	want="$((mb * 1048576)) $(sha256sum "$TMP/big" | cut -d' ' -f1)"

	peer_serve up -- sink 127.0.0.1 "$P_UP"
	t0=$(now_ms)
	gx timeout 280 "${PEER[@]}" send "$GW" "$P_UP" "$TMP/big" >"$TMP/up.cli" 2>&1
	rc=$?
	ms=$(($(now_ms) - t0))
	peer_wait up 30
	if [ "$rc" = 0 ] && [ "$(cat "$TMP/up.out")" = "$want" ] && [ "$(cat "$TMP/up.cli")" = "$want" ]; then
		ok "$label: guest -> host upload of $mb MiB: byte-exact (sha256), ${ms} ms, $((mb * 1000 / (ms + 1))) MiB/s"
	else
		cat "$TMP/up.cli" "$TMP/up.err"
		fail "$label: guest -> host upload of $mb MiB: client exit $rc after ${ms} ms, host got '$(cat "$TMP/up.out")', expected '$want'"
	fi

	peer_serve down -- source 127.0.0.1 "$P_DOWN" "$TMP/big"
	t0=$(now_ms)
	gx timeout 280 "${PEER[@]}" recv "$GW" "$P_DOWN" >"$TMP/down.cli" 2>&1
	rc=$?
	ms=$(($(now_ms) - t0))
	peer_wait down 30
	if [ "$rc" = 0 ] && [ "$(cat "$TMP/down.cli")" = "$want" ] && [ "$(cat "$TMP/down.out")" = "$want" ]; then
		ok "$label: host -> guest download of $mb MiB: byte-exact (sha256), ${ms} ms, $((mb * 1000 / (ms + 1))) MiB/s"
	else
		cat "$TMP/down.cli" "$TMP/down.err"
		fail "$label: host -> guest download of $mb MiB: client exit $rc after ${ms} ms, guest got '$(cat "$TMP/down.cli")', expected '$want'"
	fi
	rm -f "$TMP/big"
}
bulk "guest MTU 1500" "$BIG_MB"

# --- half-close each way ----------------------------------------------------------
# The guest shuts its write side; the host reads to EOF and only then replies.
peer_serve hc1 -- reply-after-eof 127.0.0.1 "$P_HC1"
gx timeout 60 "${PEER[@]}" halfclose "$GW" "$P_HC1" 100000 >"$TMP/hc1.cli" 2>&1
rc=$?
peer_wait hc1 10
if [ "$rc" = 0 ] && [ "$(cat "$TMP/hc1.out")" = "$(cat "$TMP/hc1.cli")" ]; then
	ok "guest half-close: the host saw EOF after 100000 bytes and the guest still got its reply"
else
	cat "$TMP/hc1.cli" "$TMP/hc1.err"
	fail "guest half-close: client exit $rc, host '$(cat "$TMP/hc1.out")', guest '$(cat "$TMP/hc1.cli")'"
fi
# The host shuts its write side first; the guest reads to EOF, then sends.
peer_serve hc2 -- fin-first 127.0.0.1 "$P_HC2"
gx timeout 60 "${PEER[@]}" after-fin "$GW" "$P_HC2" 100000 >"$TMP/hc2.cli" 2>&1
rc=$?
peer_wait hc2 10
if [ "$rc" = 0 ] && [ -s "$TMP/hc2.out" ] && [ "$(cat "$TMP/hc2.out")" = "$(cat "$TMP/hc2.cli")" ]; then
	ok "host half-close: the guest saw EOF and still sent 100000 bytes the host got whole"
else
	cat "$TMP/hc2.cli" "$TMP/hc2.err"
	fail "host half-close: client exit $rc, host '$(cat "$TMP/hc2.out")', guest '$(cat "$TMP/hc2.cli")'"
fi

# --- RST each way -----------------------------------------------------------------------
peer_serve rst1 -- rst @127.0.0.1 "$P_RST1"
gx timeout 60 "${PEER[@]}" expect-rst "$GW" "$P_RST1" >"$TMP/rst1.cli" 2>&1
peer_wait rst1 10
if [ "$(cat "$TMP/rst1.cli")" = ECONNRESET ] && [ "$(cat "$TMP/rst1.out")" = "rst sent" ]; then
	ok "host RST (SO_LINGER 0 close): the reading guest gets ECONNRESET"
else
	cat "$TMP/rst1.err"
	fail "host RST: the guest got '$(cat "$TMP/rst1.cli")', expected ECONNRESET"
fi
peer_serve rst2 -- expect-rst @127.0.0.1 "$P_RST2"
gx timeout 60 "${PEER[@]}" rst "$GW" "$P_RST2" >"$TMP/rst2.cli" 2>&1
peer_wait rst2 10
if [ "$(cat "$TMP/rst2.out")" = ECONNRESET ] && [ "$(cat "$TMP/rst2.cli")" = "rst sent" ]; then
	ok "guest RST (SO_LINGER 0 close): the reading host gets ECONNRESET"
else
	cat "$TMP/rst2.err" "$TMP/rst2.cli"
	fail "guest RST: the host got '$(cat "$TMP/rst2.out")', expected ECONNRESET"
fi

# --- many connections at once ---------------------------------------------------------------
peer_serve echo -- echo 127.0.0.1 "$P_ECHO"
t0=$(now_ms)
gx timeout 150 "${PEER[@]}" many "$GW" "$P_ECHO" "$CONNS" 120 >"$TMP/many.cli" 2>&1
rc=$?
ms=$(($(now_ms) - t0))
if [ "$rc" = 0 ] && [ "$(head -n 1 "$TMP/many.cli")" = "$CONNS of $CONNS" ]; then
	ok "$CONNS connections open at once to a host echo server: all byte-exact, ${ms} ms"
else
	cat "$TMP/many.cli"
	fail "$CONNS connections at once: exit $rc after ${ms} ms"
fi
stop_pid "${PEER_PIDS[echo]}" >/dev/null

# Every flow closed: the flow table (SIGUSR1) empties once the peers are gone.
flows_zero() {
	kill -USR1 "$UPID"
	sleep 0.3
	tail -n 200 "$ULOG" | grep 'flow table (' | tail -n 1 | grep -q 'flow table (0 flows)'
}
if wait_until 20 flows_zero; then
	ok "SIGUSR1: the flow table is empty again"
else
	grep 'flow table (' "$ULOG" | tail -n 1
	fail "SIGUSR1: flows still open 20 s after every peer closed"
fi
stop_usernet

# --- loopback=off: 10.0.2.2 no longer reaches the host's 127.0.0.1 ------------------------
start_usernet "$TMP/usernet.lo.log" -netdev user,id=u,loopback=off
attach_guest
curl_fails loopback-off "http://$GW:$P_HTTP/host.bin" 7 'Connection refused|No route to host|Network is unreachable' 2000
if gx timeout 30 curl -sS --max-time 20 -o "$TMP/got.world2" "http://$WORLD:$P_WHTTP/world.bin" &&
	cmp -s "$TMP/got.world2" "$TMP/wwww/world.bin"; then
	ok "loopback=off: the world's server still works"
else
	fail "loopback=off: the world's server does not work"
fi
stop_usernet

# --- restrict=on: nothing outside, the gateway still answers --------------------------------------
start_usernet "$TMP/usernet.restrict.log" -netdev user,id=u,restrict=on
attach_guest
for url in "http://$GW:$P_HTTP/host.bin" "http://$WORLD:$P_WHTTP/world.bin"; do
	t0=$(now_ms)
	gx timeout 30 curl -sS --max-time 5 -o /dev/null "$url" >"$TMP/restrict.err" 2>&1
	rc=$?
	ms=$(($(now_ms) - t0))
	if [ "$rc" != 0 ] && [ "$ms" -lt 7000 ]; then
		ok "restrict=on: curl $url fails (exit $rc) in ${ms} ms"
	else
		cat "$TMP/restrict.err"
		fail "restrict=on: curl $url: exit $rc after ${ms} ms"
	fi
done
if gx timeout 20 ping -c 3 -i 0.2 -W 2 "$GW" >"$TMP/restrict.ping" 2>&1 && grep -q '3 received' "$TMP/restrict.ping"; then
	ok "restrict=on: ping $GW still answered"
else
	cat "$TMP/restrict.ping"
	fail "restrict=on: ping $GW"
fi
stop_usernet

# --- the hub's default MTU on the guest's link too ---------------------------------------------
# 65520 is usernet's default MTU and the MTU `usernet run` gives its
# namespace: the guest then sends full 65534-byte frames (65480-byte
# segments), the largest the hub carries.
start_usernet "$TMP/usernet.jumbo.log" -netdev user,id=u
attach_guest 65520
if gx timeout 30 curl -sS --max-time 20 -o "$TMP/got.jumbo" "http://$GW:$P_HTTP/host.bin" &&
	cmp -s "$TMP/got.jumbo" "$TMP/www/host.bin"; then
	ok "guest MTU 65520: curl http://$GW:$P_HTTP/ byte-exact"
else
	fail "guest MTU 65520: curl http://$GW:$P_HTTP/"
fi
bulk "guest MTU 65520" "$JUMBO_MB"
stop_usernet

finish
