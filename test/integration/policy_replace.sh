#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The egress policy replaced at run time through the control socket
# (policy_set), and TCP refusals as ICMP (deny-tcp=icmp). A `usernet run`
# guest holds a slow download open from the world under an allow policy:
# a deny policy with flows=keep leaves it running while new connections
# are refused; a bad policy text gets an error naming its line and changes
# nothing; the same deny policy with flows=cut resets the download at once
# (curl exits with 56, "Connection reset by peer") and counts it in
# cut_by_policy; a download through a hostfwd is never cut; SIGHUP reads
# policy=FILE again. Then a second usernet with deny-tcp=icmp: a denied
# connect fails at once with EHOSTUNREACH ("No route to host", IPv4) or
# EACCES ("Permission denied", IPv6) instead of ECONNREFUSED, and curl
# exits with 7.
#
#   ns "host"                                         ns "world"
#  +----------------------------------------------+ veth +---------------------+
#  | usernet run --api-socket ctl                 |<---->| 198.18.0.2/24       |
#  |   -netdev user,policy=FILE[,deny-tcp=icmp]   |      | 2001:db8:1::2/64    |
#  |   hostfwd 127.0.0.1:HP -> guest :8000        |      | HTTP on 80 and 443  |
#  | 198.18.0.1/24, 2001:db8:1::1/64              |      | (/slow drips 30 s)  |
#  |        | tap0                                |      +---------------------+
#  |  +-----v-------------------------------+     |
#  |  | run's namespace: 10.0.2.100, fec0:: |     |
#  |  | (SLAAC); curl, python3; HTTP :8000  |     |
#  |  +-------------------------------------+     |
#  +----------------------------------------------+
. "$(dirname "$0")/lib/common.sh"
need_root
need_cmd ip python3 curl socat timeout sysctl nsenter

HNS=unet-rh-$TAG
WNS=unet-rw-$TAG
HW_H=unrhw$TAG
HW_W=unrwh$TAG
W4=198.18.0.2
W6=2001:db8:1::2
SOCK=$TMP/ctl.sock
hx() { ip netns exec "$HNS" "$@"; }
wx() { ip netns exec "$WNS" "$@"; }

[ "$(sysctl -n net.ipv6.conf.all.disable_ipv6)" = 0 ] || skip "IPv6 is turned off on this host"

for ns in "$HNS" "$WNS"; do new_netns "$ns"; done
world_veth "$HNS" "$HW_H" "$WNS" "$HW_W"

# The world's (and the guest's) HTTP server: / says hello, /slow drips
# 300 kB over 30 s.
cat >"$TMP/server.py" <<'EOF'
import http.server, socket, sys, time
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        try:
            self.send_response(200)
            self.end_headers()
            if self.path == "/slow":
                for _ in range(300):
                    self.wfile.write(b"x" * 1000)
                    self.wfile.flush()
                    time.sleep(0.1)
                return
            self.wfile.write(b"hello\n")
        except OSError:
            pass
    def log_message(self, *args):
        pass
class S(http.server.ThreadingHTTPServer):
    address_family = socket.AF_INET6
    daemon_threads = True
    def server_bind(self):
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()
S(("::", int(sys.argv[1])), H).serve_forever()
EOF
# connect.py ADDR PORT: the errno name a TCP connect ends with ("ok").
cat >"$TMP/connect.py" <<'EOF'
import errno, socket, sys
a, p = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_INET6 if ":" in a else socket.AF_INET)
s.settimeout(5)
try:
    s.connect((a, p))
    print("ok")
except socket.timeout:
    print("timeout")
except OSError as e:
    print(errno.errorcode.get(e.errno, str(e.errno)))
EOF
for port in 80 443; do
	ip netns exec "$WNS" python3 "$TMP/server.py" "$port" &
	PIDS+=($!)
done
for port in 80 443; do
	wait_for 10 wx curl -s -o /dev/null "http://127.0.0.1:$port/" ||
		{ fail "the world's HTTP server on $port did not start"; finish; }
done

cat >"$TMP/allow.policy" <<'EOF'
# policy_replace.sh: everything to the world
default deny
allow tcp to 198.18.0.0/15
allow tcp to 2001:db8::/32
EOF
DENY80='default deny\nallow tcp port 443'

# start_usernet LOG KEYS: `usernet run` in the host namespace, its CMD a
# sleep that tells its PID; GPID is the guest's namespace (for nsenter).
start_usernet() {
	local log=$1 keys=$2
	rm -f "$TMP/gpid" "$SOCK"
	ip netns exec "$HNS" "$USERNET" run --api-socket "$SOCK" \
		-netdev "user,id=u,policy=$TMP/allow.policy,hostfwd=tcp:127.0.0.1:$HP-:8000$keys" \
		-- sh -c "echo \$\$ >$TMP/gpid; exec sleep 600" 2>"$log" &
	UPID=$!
	PIDS+=("$UPID")
	wait_for 10 test -S "$SOCK" -a -s "$TMP/gpid" ||
		{ cat "$log"; fail "usernet run did not start"; finish; }
	GPID=$(cat "$TMP/gpid")
	# IPv6 comes by SLAAC: wait for the address to leave tentative.
	wait_for 10 sh -c "nsenter -t $GPID -n ip -6 -o addr show dev tap0 | grep -v tentative | grep -q 'inet6 fec0'" ||
		{ cat "$log"; fail "the guest has no IPv6 address"; finish; }
}
gx() { nsenter -t "$GPID" -n -- "$@"; }

# ctl LINE: one request on the control socket, its reply (usernet closes
# the connection once the client's side is done, so socat ends at once).
ctl() {
	printf '%s\n' "$1" | timeout 10 socat -t 5 - UNIX-CONNECT:"$SOCK"
}
# jget JSON EXPR: EXPR (Python, on the parsed reply r) printed.
jget() {
	python3 -c 'import json, sys; r = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"
}
# size FILE: its size in bytes, 0 when missing.
size() { stat -c %s "$1" 2>/dev/null || echo 0; }
# curl_ms URL: curl's exit status and the milliseconds it took.
curl_ms() {
	local t0 rc
	t0=$(date +%s%N)
	gx curl -sS -g -o /dev/null --max-time 5 "$1" 2>"$TMP/curl.err"
	rc=$?
	echo "$rc $((($(date +%s%N) - t0) / 1000000))"
}

HP=$(hx python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
start_usernet "$TMP/usernet.log" ""
ULOG=$TMP/usernet.log

out=$(gx curl -s --max-time 5 "http://$W4:80/")
[ "$out" = hello ] && ok "under the allow policy: curl http://$W4:80/ works" ||
	{ cat "$ULOG"; fail "under the allow policy: curl :80: '$out'"; finish; }

# A guest server behind the hostfwd, and a slow download through it.
nsenter -t "$GPID" -n -- python3 "$TMP/server.py" 8000 &
PIDS+=($!)
wait_for 10 hx curl -s -o /dev/null "http://127.0.0.1:$HP/" || fail "the hostfwd to the guest's :8000 does not answer"

# --- the long-lived downloads --------------------------------------------------
# Started directly (not through a function), so that $! is curl itself:
# its exit status is waited for, and nothing outlives the test.
nsenter -t "$GPID" -n -- curl -s -g -o "$TMP/slow4" "http://$W4:80/slow" &
SLOW4=$!
PIDS+=("$SLOW4")
nsenter -t "$GPID" -n -- curl -s -g -o "$TMP/slow6" "http://[$W6]:80/slow" &
SLOW6=$!
PIDS+=("$SLOW6")
ip netns exec "$HNS" curl -s -o "$TMP/slowfwd" "http://127.0.0.1:$HP/slow" &
SLOWF=$!
PIDS+=("$SLOWF")
moving() {
	[ "$(size "$TMP/slow4")" -gt 5000 ] && [ "$(size "$TMP/slow6")" -gt 5000 ] &&
		[ "$(size "$TMP/slowfwd")" -gt 5000 ]
}
wait_for 10 moving ||
	{ fail "the slow downloads do not move: $(size "$TMP/slow4") $(size "$TMP/slow6") $(size "$TMP/slowfwd") bytes"; finish; }
ok "three slow downloads under way (IPv4, IPv6, and one through the hostfwd)"

# --- flows=keep: the open ones go on, new ones are refused -----------------------
r=$(ctl "{\"op\":\"policy_set\",\"rules\":\"$DENY80\",\"flows\":\"keep\"}")
[ "$(jget "$r" 'r["ok"] and r["rules"] == 1 and r["cut"] == 0')" = True ] &&
	ok "policy_set (deny port 80, flows keep): $r" || fail "policy_set keep: $r"
s0=$(size "$TMP/slow4") s60=$(size "$TMP/slow6")
sleep 1.5
s1=$(size "$TMP/slow4") s61=$(size "$TMP/slow6")
if [ "$s1" -gt "$s0" ] && [ "$s61" -gt "$s60" ] && kill -0 "$SLOW4" 2>/dev/null; then
	ok "flows=keep: the open downloads go on ($s0 -> $s1, $s60 -> $s61 bytes)"
else
	fail "flows=keep: the downloads stopped ($s0 -> $s1, $s60 -> $s61 bytes)"
fi
read -r rc ms < <(curl_ms "http://$W4:80/")
[ "$rc" = 7 ] && [ "$ms" -lt 1000 ] &&
	ok "flows=keep: a new connection to :80 is refused (curl exit 7 after $ms ms: $(cat "$TMP/curl.err"))" ||
	fail "flows=keep: a new connection to :80: exit $rc after $ms ms"
out=$(gx curl -s --max-time 5 "http://$W4:443/")
[ "$out" = hello ] && ok "flows=keep: :443 is allowed" || fail "flows=keep: :443: '$out'"

# --- a bad policy: an error with its line, nothing changes --------------------------
r=$(ctl '{"op":"policy_set","rules":"allow tcp\nallow tcp port 99999","flows":"cut"}')
if [ "$(jget "$r" 'r["ok"] == False and r["line"] == 2 and "rules:2:" in r["error"]')" = True ]; then
	ok "a bad policy: $r"
else
	fail "a bad policy: $r"
fi
read -r rc ms < <(curl_ms "http://$W4:80/")
r=$(ctl '{"op":"policy_stats"}')
[ "$rc" = 7 ] && [ "$(jget "$r" 'r["rules"]')" = 1 ] && kill -0 "$SLOW4" 2>/dev/null &&
	ok "after the bad policy the old one is in force (:80 still refused, 1 rule, the download still open)" ||
	fail "after the bad policy: curl :80 exit $rc, policy_stats $r"

# --- flows=cut: the open downloads are reset at once; the hostfwd's is not -----------
t0=$(date +%s%N)
r=$(ctl "{\"op\":\"policy_set\",\"rules\":\"$DENY80\",\"flows\":\"cut\"}")
[ "$(jget "$r" 'r["ok"] and r["cut"] >= 2')" = True ] &&
	ok "policy_set (flows cut): $r" || fail "policy_set cut: $r"
gone() { ! kill -0 "$1" 2>/dev/null; }
for v in 4 6; do
	pid=$SLOW4
	[ "$v" = 6 ] && pid=$SLOW6
	if ! wait_for 3 gone "$pid"; then
		fail "flows=cut: the IPv$v download still runs 3 s later"
		continue
	fi
	t1=$(date +%s%N)
	wait "$pid"
	rc=$?
	ms=$(((t1 - t0) / 1000000))
	[ "$rc" = 56 ] && [ "$ms" -lt 2000 ] &&
		ok "flows=cut: the IPv$v download ends $ms ms after the request, curl exit 56 (connection reset) after $(size "$TMP/slow$v") bytes" ||
		fail "flows=cut: the IPv$v download ended with exit $rc $ms ms after the request (expected 56 within 2 s)"
done
s0=$(size "$TMP/slowfwd")
sleep 1
s1=$(size "$TMP/slowfwd")
[ "$s1" -gt "$s0" ] && kill -0 "$SLOWF" 2>/dev/null &&
	ok "flows=cut spares the hostfwd's download ($s0 -> $s1 bytes)" ||
	fail "flows=cut: the hostfwd's download stopped ($s0 -> $s1 bytes)"
r=$(ctl '{"op":"stats"}')
n=$(jget "$r" 'r["proxy"]["cut_by_policy"]')
[ "$n" -ge 2 ] && ok "stats: cut_by_policy $n" || fail "stats: cut_by_policy '$n'"
ctl '{"op":"help"}' | grep -q '"policy_set":\["rules","file","default","flows"\]' &&
	ok "help lists policy_set and its members" || fail "help: $(ctl '{"op":"help"}')"

# --- the default alone; then SIGHUP reads policy=FILE again ---------------------------
r=$(ctl '{"op":"policy_set","default":"allow"}')
out=$(gx curl -s --max-time 5 "http://$W4:80/")
[ "$out" = hello ] && [ "$(jget "$r" 'r["ok"] and r["rules"] == 1')" = True ] &&
	ok "policy_set default allow alone: the rule stays, :80 (no rule) now allowed: $r" ||
	fail "policy_set default allow: curl :80 '$out', $r"
ctl '{"op":"policy_set","default":"deny"}' >/dev/null
read -r rc ms < <(curl_ms "http://$W4:80/")
[ "$rc" = 7 ] && ok "policy_set default deny: :80 refused again" ||
	fail "policy_set default deny: curl :80 exit $rc"
r=$(ctl '{"op":"policy_set","rules":"deny tcp to 198.18.0.0/15"}')
read -r rc ms < <(curl_ms "http://$W4:443/")
[ "$rc" = 7 ] && ok "policy_set deny 198.18.0.0/15: :443 refused now" || fail "policy_set deny world: :443 exit $rc ($r)"
kill -HUP "$UPID"
hup_done() { [ "$(jget "$(ctl '{"op":"policy_stats"}')" 'r["rules"]')" = 2 ]; }
wait_for 5 hup_done || fail "SIGHUP: the file's 2 rules are not in force: $(ctl '{"op":"policy_stats"}')"
out=$(gx curl -s --max-time 5 "http://$W4:443/")
[ "$out" = hello ] && kill -0 "$UPID" &&
	ok "SIGHUP: policy=FILE read again (2 rules), :443 allowed again" ||
	fail "SIGHUP: curl :443 '$out'"
printf 'allow tcp port 0\n' >"$TMP/allow.policy"
kill -HUP "$UPID"
wait_for 5 grep -q 'SIGHUP: policy=.* not replaced' "$ULOG" && grep -q "allow.policy:1:" "$ULOG" &&
	ok "SIGHUP with a bad file: $(grep -o 'allow.policy:1:.*' "$ULOG" | head -1); the policy in force stays" ||
	fail "SIGHUP with a bad file: $(tail -3 "$ULOG")"
out=$(gx curl -s --max-time 5 "http://$W4:443/")
[ "$out" = hello ] || fail "after the bad SIGHUP: curl :443 '$out'"

stop_pid "$UPID" TERM || true
grep -q 'Sanitizer' "$ULOG" && fail "usernet's log has a sanitizer report"

# --- deny-tcp=icmp: the guest hears ICMP administratively prohibited ---------------------
cat >"$TMP/allow.policy" <<'EOF'
default deny
allow tcp port 443
EOF
start_usernet "$TMP/usernet2.log" ",deny-tcp=icmp"
ULOG=$TMP/usernet2.log
for a in "$W4" "$W6"; do
	case $a in *:*) want=EACCES url="http://[$a]" ;; *) want=EHOSTUNREACH url="http://$a" ;; esac
	out=$(gx timeout 10 python3 "$TMP/connect.py" "$a" 80)
	[ "$out" = "$want" ] && ok "deny-tcp=icmp: connect $a:80 fails with $out" ||
		fail "deny-tcp=icmp: connect $a:80: '$out' (expected $want)"
	read -r rc ms < <(curl_ms "$url:80/")
	[ "$rc" = 7 ] && [ "$ms" -lt 1000 ] &&
		ok "deny-tcp=icmp: curl $url:80/ exit 7 after $ms ms: $(cat "$TMP/curl.err")" ||
		fail "deny-tcp=icmp: curl $url:80/ exit $rc after $ms ms"
	out=$(gx curl -s -g --max-time 5 "$url:443/")
	[ "$out" = hello ] || fail "deny-tcp=icmp: curl $url:443/ (allowed): '$out'"
done
r=$(ctl '{"op":"stats"}')
[ "$(jget "$r" 'r["proxy"]["icmp4_errors"] >= 2 and r["proxy"]["icmp6_errors"] >= 2')" = True ] &&
	ok "deny-tcp=icmp: ICMP errors counted (icmp4 $(jget "$r" 'r["proxy"]["icmp4_errors"]'), icmp6 $(jget "$r" 'r["proxy"]["icmp6_errors"]'))" ||
	fail "deny-tcp=icmp: counters $r"
stop_pid "$UPID" TERM || true
grep -q 'Sanitizer' "$ULOG" && fail "usernet's log has a sanitizer report"
finish
