#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The control socket (--api-socket, usernet's own protocol: one JSON
# request per line, one reply line each) driven from a shell with socat,
# against `usernet run` serving HTTP inside its namespace: a forward added
# at run time carries curl (IPv4 and IPv6 host sides), fwd_list shows it,
# stats show the counters move, flows show curl's connection while a slow
# transfer runs, log_level changes what usernet logs, fwd_remove closes
# the port (connection refused after), malformed lines get error replies
# on a connection that keeps working, and a slirp4netns request on the
# same socket gets slirp4netns's reply.
#
#   test (host namespace)                      usernet run namespace
#  +----------------------------------+       +-------------------------+
#  | socat -- $TMP/ctl.sock ---------+|       |                         |
#  |                                 v|  tap  | tap0 10.0.2.100         |
#  | curl 127.0.0.1:P / [::1]:P6 -> usernet -->| python3 HTTP server :80 |
#  |          (forwards added through the socket)                        |
#  +----------------------------------+       +-------------------------+
. "$(dirname "$0")/lib/common.sh"
need_root
need_cmd ip socat curl python3

SOCK=$TMP/ctl.sock
# The guest's server: /hello.txt; /slow drips 200 kB over 10 s; /probe
# makes the guest send a malformed DNS query to the gateway (which usernet
# logs at debug level only).
cat >"$TMP/server.py" <<'EOF'
import http.server, socket, time
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        try:
            if self.path == "/slow":
                self.send_response(200)
                self.end_headers()
                for _ in range(200):
                    self.wfile.write(b"x" * 1000)
                    self.wfile.flush()
                    time.sleep(0.05)
                return
            body = b"hello through the control socket\n"
            if self.path == "/probe":
                s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
                s.sendto(b"abc", ("10.0.2.3", 53))
                s.close()
                body = b"probed\n"
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("0.0.0.0", 80), H).serve_forever()
EOF
echo "hello through the control socket" >"$TMP/hello.txt"

"$USERNET" run --api-socket "$SOCK" -- python3 "$TMP/server.py" 2>"$TMP/usernet.log" &
UPID=$!
PIDS+=("$UPID")
wait_for 10 test -S "$SOCK" || { cat "$TMP/usernet.log"; fail "no control socket"; finish; }

# ctl LINE...: sends the lines on one connection, prints the replies.
ctl() {
	printf '%s\n' "$@" | timeout 10 socat -t 5 - UNIX-CONNECT:"$SOCK"
}

# jget JSON EXPR: EXPR (Python, on the parsed reply r) printed.
jget() {
	python3 -c 'import json, sys; r = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"
}

# What each request gets; the reply must say ok.
ctl_ok() {
	local r
	r=$(ctl "$1")
	if [ "$(jget "$r" 'r["ok"]' 2>/dev/null)" != True ]; then
		echo "request $1 got: $r" >&2
		return 1
	fi
	printf '%s\n' "$r"
}

r=$(ctl '{"op":"version"}')
[ "$(jget "$r" 'r["ok"] and r["protocol"]')" = 1 ] && ok "version: $r" || fail "version: $r"

# A forward, added at run time; the guest address defaults to the
# namespace's (10.0.2.100).
P=$(free_port)
P6=$(free_port ::1)
[ -n "$P" ] && [ -n "$P6" ] || { fail "no free port"; finish; }
r=$(ctl_ok "{\"op\":\"fwd_add\",\"proto\":\"tcp\",\"host_addr\":\"127.0.0.1\",\"host_port\":$P,\"guest_port\":80}") ||
	fail "fwd_add 127.0.0.1:$P"
ID=$(jget "$r" 'r["id"]')
[ "$(jget "$r" 'r["guest_addr"]')" = 10.0.2.100 ] && ok "fwd_add: id $ID, to 10.0.2.100:80" ||
	fail "fwd_add reply: $r"
r=$(ctl_ok "{\"op\":\"fwd_add\",\"host_addr\":\"::1\",\"host_port\":$P6,\"guest_addr\":\"10.0.2.100\",\"guest_port\":80}") ||
	fail "fwd_add [::1]:$P6"
ID6=$(jget "$r" 'r["id"]')

S0=$(ctl_ok '{"op":"stats"}') || fail "stats"
if wait_for 10 curl -sf -o "$TMP/got" "http://127.0.0.1:$P/hello.txt" &&
	cmp -s "$TMP/got" "$TMP/hello.txt"; then
	ok "curl through the forward added over the socket"
else
	fail "curl 127.0.0.1:$P: $(cat "$TMP/got" 2>/dev/null)"
fi
if curl -sf -g -o "$TMP/got6" "http://[::1]:$P6/hello.txt" && cmp -s "$TMP/got6" "$TMP/hello.txt"; then
	ok "curl through the IPv6 host side [::1]:$P6"
else
	fail "curl [::1]:$P6"
fi

r=$(ctl_ok '{"op":"fwd_list"}') || fail "fwd_list"
n=$(jget "$r" "len([f for f in r['forwards'] if f['id'] in ($ID, $ID6) and f['host_port'] in ($P, $P6) and f['guest_port'] == 80])")
[ "$n" = 2 ] && ok "fwd_list shows both forwards" || fail "fwd_list: $r"

# The counters moved: the proxy opened TCP flows, the namespace's tap port
# carried frames.
S1=$(ctl_ok '{"op":"stats"}') || fail "stats"
d=$(python3 -c '
import json, sys
a, b = json.loads(sys.argv[1]), json.loads(sys.argv[2])
port = lambda s: [p for p in s["ports"] if p["id"] == "ns0"][0]
print(b["proxy"]["tcp_opened"] - a["proxy"]["tcp_opened"],
      port(b)["out_frames"] - port(a)["out_frames"],
      b["stack"]["mem_budget"] > 0)' "$S0" "$S1")
read -r dtcp dframes budget <<<"$d"
[ "$dtcp" -ge 2 ] && [ "$dframes" -gt 0 ] && [ "$budget" = True ] &&
	ok "stats: tcp_opened +$dtcp, ns0 out_frames +$dframes" || fail "stats did not move: $d"

# The flow table while a slow transfer runs: curl's connection is there,
# inbound, established, and its bytes grow.
curl -s -o /dev/null "http://127.0.0.1:$P/slow" &
CPID=$!
PIDS+=("$CPID")
flow_bytes() {
	local r
	r=$(ctl '{"op":"flows"}')
	jget "$r" 'max([f["bytes_in"] + f["bytes_out"] for f in r["flows"] if f["proto"] == "tcp" and f["inbound"] and f["guest_port"] == 80 and f["guest_addr"] == "10.0.2.100" and f["state"] == "established" and f["age_ms"] >= f["idle_ms"]] or [0])'
}
b1=0
for _ in $(seq 50); do
	b1=$(flow_bytes)
	[ "$b1" -gt 0 ] && break
	sleep 0.1
done
sleep 1
b2=$(flow_bytes)
if [ "$b1" -gt 0 ] && [ "$b2" -gt "$b1" ]; then
	ok "flows: curl's inbound flow to 10.0.2.100:80, established, bytes $b1 -> $b2"
else
	ctl '{"op":"flows"}'
	fail "flows: bytes $b1 -> $b2"
fi
kill "$CPID" 2>/dev/null
wait "$CPID" 2>/dev/null

# The log level: warning by default; at debug, usernet logs the guest's
# malformed DNS query, and not before.
probe_lines() {
	curl -sf -o /dev/null "http://127.0.0.1:$P/probe" || echo "probe failed" >&2
	sleep 0.3
	grep -c 'malformed 3-byte query dropped' "$TMP/usernet.log"
}
r=$(ctl '{"op":"log_level"}')
[ "$(jget "$r" 'r["level"]')" = warning ] && ok "log_level: warning" || fail "log_level: $r"
before=$(probe_lines)
r=$(ctl '{"op":"log_level","level":"debug"}')
[ "$(jget "$r" 'r["level"]')" = debug ] || fail "log_level debug: $r"
after=$(probe_lines)
[ "$before" = 0 ] && [ "$after" -gt 0 ] &&
	ok "log_level debug: the guest's bad DNS query is logged now ($before -> $after lines)" ||
	fail "log_level debug: $before -> $after lines"
r=$(ctl '{"op":"log_level","level":"warning"}')
[ "$(jget "$r" 'r["level"]')" = warning ] || fail "log_level back to warning: $r"
again=$(probe_lines)
[ "$again" = "$after" ] && ok "log_level warning: quiet again" || fail "log_level warning: $after -> $again lines"

# Malformed lines: an error reply each, and the connection goes on.
big=$(head -c 5000 /dev/zero | tr '\0' x)
ctl 'nonsense' '{"op":"fwd_remove","id":"x"}' "$big" '{"op":"nope"}' '{"op":"version"}' >"$TMP/bad"
if [ "$(wc -l <"$TMP/bad")" = 5 ] &&
	[ "$(head -n 4 "$TMP/bad" | grep -c '"ok":false,"error":')" = 4 ] &&
	tail -n 1 "$TMP/bad" | grep -q '"ok":true,"version"'; then
	ok "malformed lines: 4 errors, then the connection still answers"
else
	cat "$TMP/bad"
	fail "malformed lines"
fi

# slirp4netns's protocol on the same socket, one request per connection.
r=$(printf '{"execute": "list_hostfwd"}' | timeout 10 socat -t 5 - UNIX-CONNECT:"$SOCK")
[ "$r" = '{"entries":[]}' ] && ok "a slirp4netns request gets slirp4netns's reply" ||
	fail "slirp4netns request: $r"

# Removed: the port is closed; the other forward goes on.
ctl_ok "{\"op\":\"fwd_remove\",\"id\":$ID}" >/dev/null || fail "fwd_remove $ID"
curl -s -o /dev/null "http://127.0.0.1:$P/hello.txt"
rc=$?
[ "$rc" = 7 ] && ok "after fwd_remove: connection refused (curl 7)" || fail "after fwd_remove: curl $rc"
r=$(ctl '{"op":"fwd_remove","id":'"$ID"'}')
[ "$(jget "$r" 'r["ok"]')" = False ] && ok "fwd_remove twice: $(jget "$r" 'r["error"]')" || fail "second remove: $r"
curl -sf -g -o /dev/null "http://[::1]:$P6/hello.txt" && ok "the IPv6 forward still works" ||
	fail "the IPv6 forward after removing the other"

# usernet is still well, and goes away cleanly.
kill -0 "$UPID" 2>/dev/null && ok "usernet still runs" || fail "usernet died: $(cat "$TMP/usernet.log")"
stop_pid "$UPID" >/dev/null
[ ! -e "$SOCK" ] && ok "socket removed at exit" || fail "socket left behind"
finish
