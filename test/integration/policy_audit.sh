#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The egress audit log (audit=FILE), read back with jq: curl fetches a
# 1 MiB file through an allowed rule (port 443, IPv4 and IPv6) and tries a
# denied port (80); the log has one decision line per attempt with the
# right fields (the rule's line in the policy file, null for the default),
# and the allowed flow's end line counts what curl moved (bytes_in = body
# + headers curl received, bytes_out = its request) in a sane duration. A
# stream of denied datagrams from one guest socket is one line. Then a
# flood of 20000 denied SYNs (non-blocking connects in the guest): usernet's
# RSS grows by less than 8 MiB (x4 under AddressSanitizer), the log's
# denied lines stay within the rate limit (a burst of 200, then 100 a
# second, and a "suppressed" line at most once a second), the suppressed
# counter (the control socket's policy_stats) is above 0, and the
# "suppressed" lines' counts add up to it once the next line is written.
#
#   ns "guest"               ns "host"                     ns "world"
#  +-----------------+ tap  +------------------------+ veth +--------------------+
#  | 10.0.2.15/24    |<---->| usernet -netdev user,  |<---->| 198.18.0.2/24      |
#  | fec0::15/64     |      |   policy=FILE,         |      | 2001:db8:1::2/64   |
#  | curl, python3   |      |   audit=FILE           |      | HTTP on 80 and 443 |
#  |   (the flood)   |      | 198.18.0.1/24          |      | (a 1 MiB file)     |
#  +-----------------+      | 2001:db8:1::1/64       |      +--------------------+
#                           +------------------------+
. "$(dirname "$0")/lib/common.sh"
need_root
need_cmd ip python3 curl socat jq timeout sysctl

HNS=unet-ah-$TAG
GNS=unet-ag-$TAG
WNS=unet-aw-$TAG
GTAP=unat$TAG
HW_H=unahw$TAG
HW_W=unawh$TAG
W4=198.18.0.2
W6=2001:db8:1::2
ULOG=$TMP/usernet.log
AUDIT=$TMP/audit.log
FLOOD=20000
RSS_BOUND_KB=8192
# Under AddressSanitizer (as floods.sh): its quarantine off, and the bound
# x4 for its allocator's own caches.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0"
if ldd "$USERNET" 2>/dev/null | grep -q 'libasan'; then
	RSS_BOUND_KB=$((RSS_BOUND_KB * 4))
	echo "usernet has AddressSanitizer: RSS bound x4, quarantine off"
fi
gx() { ip netns exec "$GNS" "$@"; }
wx() { ip netns exec "$WNS" "$@"; }

[ "$(sysctl -n net.ipv6.conf.all.disable_ipv6)" = 0 ] || skip "IPv6 is turned off on this host"

# --- the namespaces and the world's servers -------------------------------------------
for ns in "$HNS" "$GNS" "$WNS"; do new_netns "$ns"; done
world_veth "$HNS" "$HW_H" "$WNS" "$HW_W"

mkdir -p "$TMP/www"
head -c 1048576 /dev/urandom >"$TMP/www/big.bin"
for port in 80 443; do
	ip netns exec "$WNS" python3 -m http.server "$port" --bind :: --directory "$TMP/www" >/dev/null 2>&1 &
	PIDS+=($!)
done
for port in 80 443; do
	wait_for 10 wx curl -s -o /dev/null "http://127.0.0.1:$port/big.bin" ||
		{ fail "the world's HTTP server on $port did not start"; finish; }
done

cat >"$TMP/egress.policy" <<EOF
# policy_audit.sh: the world's 443 only
default deny
allow tcp to 198.18.0.0/15 port 443
allow tcp to 2001:db8::/32 port 443
EOF

# --- usernet and the guest -------------------------------------------------------------
ip netns exec "$HNS" "$USERNET" --api-socket "$TMP/ctl" \
	-netdev user,id=u,policy="$TMP/egress.policy",audit="$AUDIT" \
	-netdev tap,id=t,ifname="$GTAP" 2>"$ULOG" &
UPID=$!
PIDS+=("$UPID")
wait_for 10 ip -n "$HNS" link show "$GTAP" || { cat "$ULOG"; fail "usernet did not create $GTAP"; finish; }
guest_static "$HNS" "$GNS" "$GTAP"
[ "$(stat -c %a "$AUDIT")" = 600 ] && ok "the audit file is made mode 600" ||
	fail "the audit file's mode is $(stat -c %a "$AUDIT" 2>&1)"
t0=$(date +%s)

# jq over the audit file's lines as one array.
aq() { jq -s "$@" "$AUDIT"; }
policy_stats() { echo '{"op":"policy_stats"}' | timeout 5 socat - UNIX-CONNECT:"$TMP/ctl"; }

# --- curl through the allowed rule, and to the denied port -------------------------------
wait_for 10 gx curl -s -o /dev/null --max-time 2 "http://$W4:443/" ||
	{ cat "$ULOG"; fail "the guest cannot reach $W4:443"; finish; }
sleep 0.5
: >"$AUDIT" # from here on, only this test's lines
out=$(gx curl -s -o /dev/null --max-time 10 -w '%{size_download} %{size_header} %{size_request} %{local_port}' "http://$W4:443/big.bin")
read -r size_dl size_hdr size_req lport <<<"$out"
[ "${size_dl:-0}" = 1048576 ] && ok "curl http://$W4:443/big.bin: $size_dl bytes + $size_hdr of headers, request $size_req, from port $lport" ||
	{ fail "curl http://$W4:443/big.bin: '$out'"; finish; }
gx curl -s -o /dev/null --max-time 5 "http://$W4:80/big.bin"
rc=$?
[ "$rc" = 7 ] && ok "curl http://$W4:80/ (denied): exit 7" || fail "curl http://$W4:80/ (denied): exit $rc"
out6=$(gx curl -s -o /dev/null --max-time 10 -w '%{size_download} %{local_port}' "http://[$W6]:443/big.bin")
read -r size6 lport6 <<<"$out6"
[ "${size6:-0}" = 1048576 ] && ok "curl http://[$W6]:443/big.bin: $size6 bytes" ||
	fail "curl http://[$W6]:443/big.bin: '$out6'"

# The allowed flows' end lines come once both sides have closed.
wait_for 10 test "$(aq '[.[] | select(.event == "end" and .proto == "tcp")] | length')" -ge 2 ||
	fail "no end lines after 10 s: $(cat "$AUDIT")"

n=$(aq "[.[] | select(.event == \"decision\" and .dst == \"$W4\" and .dst_port == 443)] | length")
[ "$n" = 1 ] && ok "one decision line for the allowed curl" || fail "$n decision lines for $W4:443: $(cat "$AUDIT")"
d=$(aq -c ".[] | select(.event == \"decision\" and .dst == \"$W4\" and .dst_port == 443)")
echo "$d" | jq -e --argjson p "$lport" --argjson t0 "$t0" '
	.proto == "tcp" and .family == "ipv4" and .guest == "10.0.2.15" and
	.guest_port == $p and .name == null and .verdict == "allow" and
	.rule == 3 and
	(.time | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$")) and
	((.time | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601) >= $t0 - 1) and
	((.time | sub("\\.[0-9]+Z$"; "Z") | fromdateiso8601) <= now + 1)' >/dev/null &&
	ok "the allowed decision: $d" || fail "the allowed decision's fields: '$d' (guest port $lport, rule 3)"

n=$(aq "[.[] | select(.event == \"decision\" and .dst == \"$W4\" and .dst_port == 80)] | length")
d=$(aq -c ".[] | select(.event == \"decision\" and .dst == \"$W4\" and .dst_port == 80)")
[ "$n" = 1 ] && echo "$d" | jq -e '.verdict == "deny" and .rule == null and .proto == "tcp"' >/dev/null &&
	ok "one decision line for the denied curl: $d" || fail "$n decision lines for $W4:80: '$d'"

d=$(aq -c ".[] | select(.event == \"decision\" and .dst == \"$W6\")")
echo "$d" | jq -e --argjson p "$lport6" '.family == "ipv6" and .guest == "fec0::15" and .guest_port == $p and .dst_port == 443 and .rule == 4 and .verdict == "allow"' >/dev/null &&
	ok "the IPv6 decision: $d" || fail "the IPv6 decision: '$d'"

e=$(aq -c ".[] | select(.event == \"end\" and .dst == \"$W4\" and .guest_port == $lport)")
echo "$e" | jq -e --argjson in "$((size_dl + size_hdr))" --argjson out "$size_req" '
	.proto == "tcp" and .dst_port == 443 and .bytes_in == $in and
	.bytes_out == $out and .duration_ms >= 0 and .duration_ms < 10000 and
	(has("verdict") | not)' >/dev/null &&
	ok "the end line: $e (curl received $((size_dl + size_hdr)), sent $size_req)" ||
	fail "the end line: '$e' (expected bytes_in $((size_dl + size_hdr)), bytes_out $size_req)"
n=$(aq "[.[] | select(.event == \"end\" and .dst_port == 80)] | length")
[ "$n" = 0 ] && ok "no end line for the denied flow" || fail "$n end lines for the denied flow"

# --- a stream of denied datagrams from one socket: one line ---------------------------------
gx python3 -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(('10.0.2.15', 45454))
for _ in range(50):
    try:
        s.sendto(b'x', ('$W4', 9))
    except OSError:
        pass
    time.sleep(0.002)
"
sleep 0.3
n=$(aq '[.[] | select(.event == "decision" and .proto == "udp" and .guest_port == 45454)] | length')
[ "$n" = 1 ] && ok "50 denied datagrams from one socket to one place: one line" ||
	fail "50 denied datagrams: $n lines"

# --- the flood of denied SYNs -----------------------------------------------------------------
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$UPID/status"; }
rss0=$(rss)
before=$(wc -l <"$AUDIT")
denied0=$(policy_stats | jq '.denied')
cat >"$TMP/flood.py" <<'EOF'
# flood.py ADDR PORT N: N connection attempts, each a SYN, none waited for.
import socket, sys, time
addr, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t0 = time.monotonic()
for i in range(n):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect((addr, port))
    except OSError:
        pass
    s.close()
    if i % 500 == 499:
        time.sleep(0.01)  # room for the tap's queue, not a rate limit
print("%.3f" % (time.monotonic() - t0))
EOF
t_flood=$(date +%s.%N)
secs=$(gx timeout 60 python3 "$TMP/flood.py" "$W4" 80 "$FLOOD")
sleep 1
elapsed=$(awk -v a="$t_flood" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')
rss1=$(rss)
st=$(policy_stats)
denied=$(($(echo "$st" | jq '.denied') - denied0))
suppressed=$(echo "$st" | jq '.audit_suppressed')
lines=$(($(wc -l <"$AUDIT") - before))
# The burst, 100 a second, and a "suppressed" line a second at most.
bound=$(awk -v e="$elapsed" 'BEGIN { printf "%d", 200 + 101 * (e + 1) }')
if [ "$denied" -ge $((FLOOD / 2)) ]; then
	ok "the flood: $FLOOD connects in $secs s, $denied denied decisions in usernet"
else
	fail "the flood: only $denied of $FLOOD SYNs reached usernet's policy ($secs s)"
fi
[ "$((rss1 - rss0))" -lt "$RSS_BOUND_KB" ] &&
	ok "usernet's RSS: $rss0 kB before, $rss1 kB after (bound +$RSS_BOUND_KB kB)" ||
	fail "usernet's RSS grew from $rss0 kB to $rss1 kB (bound +$RSS_BOUND_KB kB)"
[ "$lines" -le "$bound" ] && [ "$lines" -ge 200 ] &&
	ok "the audit log: $lines lines for the flood over $elapsed s (at most $bound)" ||
	fail "the audit log: $lines lines for the flood over $elapsed s (expected 200..$bound)"
[ "${suppressed:-0}" -gt 0 ] && ok "policy_stats: audit_suppressed $suppressed" ||
	fail "policy_stats: '$st'"

# The next line written (a second after the last count) is preceded by
# the count of what was held back since.
sleep 1
gx curl -s -o /dev/null --max-time 5 "http://$W4:443/"
st=$(policy_stats)
counted=$(aq '[.[] | select(.event == "suppressed") | .count] | add // 0')
[ "$counted" -gt 0 ] && [ "$counted" = "$(echo "$st" | jq '.audit_suppressed')" ] &&
	ok "\"suppressed\" lines count $counted, as audit_suppressed says" ||
	fail "\"suppressed\" lines count $counted; policy_stats '$st'"
last=$(aq -c '[.[] | select(.event == "suppressed")] | last')
echo "$last" | jq -e 'keys == ["count", "event", "time"]' >/dev/null &&
	ok "the suppressed line: $last" || fail "the suppressed line: '$last'"
# Every line the proxy counts is in the file (the file was emptied once,
# after the lines counted then).
total=$(wc -l <"$AUDIT")
jq -e . "$AUDIT" >/dev/null && ok "all $total lines are JSON" || fail "the audit file is not JSON lines"
[ "$(echo "$st" | jq '.audit_errors')" = 0 ] && ok "audit_errors 0" || fail "audit_errors: '$st'"

kill -USR1 "$UPID"
wait_for 5 grep -q 'audit log: lines' "$ULOG" &&
	ok "SIGUSR1: $(grep -o 'audit log: lines.*' "$ULOG" | tail -1)" ||
	fail "SIGUSR1 shows no audit counters"

# --- a bad audit= path: exit 1 with the path ---------------------------------------------
out=$(timeout 10 "$USERNET" -netdev user,id=u2,audit="$TMP/no/such/dir/audit.log" 2>&1)
rc=$?
if [ "$rc" = 1 ] && echo "$out" | grep -q "audit=$TMP/no/such/dir/audit.log: No such file or directory"; then
	ok "a bad audit= path: exit 1 and '$out'"
else
	fail "a bad audit= path: exit $rc, '$out'"
fi

stop_pid "$UPID" TERM || fail "usernet did not exit 0 on SIGTERM"
grep -q 'Sanitizer' "$ULOG" && fail "usernet's log has a sanitizer report"
finish
