#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The egress policy (policy=FILE): with `default deny` and a few allow
# rules, the guest reaches the world's port 443 and not its port 80 (curl
# fails at once with exit 7: the guest got a RST), over IPv4 and IPv6;
# UDP to an allowed port is echoed, to a denied one the guest's connected
# socket fails at once (ICMP admin prohibited: EHOSTUNREACH over IPv4,
# EACCES over IPv6); an allowed ping is answered, a denied one is not; the
# gateway's address reaches the host's loopback only as a rule for
# 127.0.0.1 allows; the gateway's own ping and a hostfwd are not governed;
# SIGUSR1 shows the rules' hits; a bad policy file stops usernet with exit
# 1 and file:line.
#
#   ns "guest"               ns "host"                     ns "world"
#  +-----------------+ tap  +------------------------+ veth +--------------------+
#  | 10.0.2.15/24    |<---->| usernet -netdev user,  |<---->| 198.18.0.2/24      |
#  | fec0::15/64     |      |   policy=FILE          |      | 2001:db8:1::2/64   |
#  | curl, python3,  |      | 198.18.0.1/24          |      | HTTP on 80 and 443,|
#  | ping; HTTP :8000|      | 2001:db8:1::1/64       |      | UDP echo on 5353   |
#  +-----------------+      | HTTP on 127.0.0.1:8080 |      | and 5354           |
#                           | hostfwd 127.0.0.1:HP   |      +--------------------+
#                           |   -> guest :8000       |
#                           +------------------------+
. "$(dirname "$0")/lib/common.sh"
need_root
need_cmd ip ping python3 curl socat timeout sysctl

HNS=unet-ph-$TAG
GNS=unet-pg-$TAG
WNS=unet-pw-$TAG
GTAP=unpt$TAG
HW_H=unphw$TAG
HW_W=unpwh$TAG
W4=198.18.0.2
W6=2001:db8:1::2
HP=$((20000 + TAG % 10000))
ULOG=$TMP/usernet.log
GX=(ip netns exec "$GNS")
gx() { "${GX[@]}" "$@"; }
# Helpers for short commands; background processes start directly, so
# that $! is theirs.
wx() { ip netns exec "$WNS" "$@"; }
hx() { ip netns exec "$HNS" "$@"; }

[ "$(sysctl -n net.ipv6.conf.all.disable_ipv6)" = 0 ] || skip "IPv6 is turned off on this host"

# --- a bad policy file: exit 1, file:line --------------------------------------
printf '# comment\ndefault deny\nallow tcp to 198.18.0.0/15 port 80-\n' >"$TMP/bad.policy"
out=$(timeout 10 "$USERNET" -netdev user,id=u,policy="$TMP/bad.policy" 2>&1)
rc=$?
if [ "$rc" = 1 ] && echo "$out" | grep -q "$TMP/bad.policy:3: '80-' is not a port"; then
	ok "a bad policy file: exit 1 and '$out'"
else
	fail "a bad policy file: exit $rc, '$out' (expected 1 and $TMP/bad.policy:3:)"
fi

# --- the namespaces -----------------------------------------------------------
for ns in "$HNS" "$GNS" "$WNS"; do new_netns "$ns"; done
world_veth "$HNS" "$HW_H" "$WNS" "$HW_W"
hx sysctl -qw net.ipv4.ping_group_range="0 2147483647"

cat >"$TMP/udp.py" <<'EOF'
# udp.py serve PORT READY | ask ADDR PORT
import errno, socket, sys
if sys.argv[1] == "serve":
    s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    s.bind(("::", int(sys.argv[2])))
    open(sys.argv[3], "w").close()
    while True:
        data, peer = s.recvfrom(2048)
        s.sendto(data, peer)
addr, port = sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
s.connect((addr, port))
s.settimeout(1)
for _ in range(3):
    s.send(b"ping")
    try:
        print("echo" if s.recv(100) == b"ping" else "garbage")
        sys.exit(0)
    except socket.timeout:
        continue
    except OSError as e:
        print(errno.errorcode.get(e.errno, str(e.errno)))
        sys.exit(0)
print("timeout")
EOF
mkdir -p "$TMP/www"
echo "hello from the world" >"$TMP/www/index.html"
for port in 80 443; do
	ip netns exec "$WNS" python3 -m http.server "$port" --bind :: --directory "$TMP/www" >/dev/null 2>&1 &
	PIDS+=($!)
done
for port in 5353 5354; do
	ip netns exec "$WNS" python3 "$TMP/udp.py" serve "$port" "$TMP/udp$port.ready" &
	PIDS+=($!)
done
ip netns exec "$HNS" python3 -m http.server 8080 --bind 127.0.0.1 --directory "$TMP/www" >/dev/null 2>&1 &
PIDS+=($!)
for port in 80 443; do
	wait_for 10 wx curl -s -o /dev/null "http://127.0.0.1:$port/" ||
		{ fail "the world's HTTP server on $port did not start"; finish; }
done
wait_for 10 hx curl -s -o /dev/null http://127.0.0.1:8080/ ||
	{ fail "the host's loopback HTTP server did not start"; finish; }
wait_for 10 test -e "$TMP/udp5353.ready" -a -e "$TMP/udp5354.ready" ||
	{ fail "the world's UDP echo did not start"; finish; }

cat >"$TMP/egress.policy" <<EOF
# policy.sh: the world's 443, UDP 5353, IPv4 ping, the host's 8080
default deny
allow tcp to 198.18.0.0/15 port 443
allow tcp to 2001:db8::/32 port 443
allow udp port 5353
allow icmp to $W4
allow tcp to 127.0.0.1 port 8080   # the gateway's address, as the host's loopback
EOF

# --- usernet and the guest -------------------------------------------------------
ip netns exec "$HNS" "$USERNET" --api-socket "$TMP/ctl" -netdev user,id=u,policy="$TMP/egress.policy",hostfwd=tcp:127.0.0.1:$HP-10.0.2.15:8000 \
	-netdev tap,id=t,ifname="$GTAP" 2>"$ULOG" &
UPID=$!
PIDS+=("$UPID")
wait_for 10 ip -n "$HNS" link show "$GTAP" || { cat "$ULOG"; fail "usernet did not create $GTAP"; finish; }
guest_static "$HNS" "$GNS" "$GTAP"
wait_for 10 gx ping -c 1 -W 1 "$W4" || { cat "$ULOG"; fail "the guest cannot ping the world (an allowed ping)"; finish; }
ok "ping $W4 (allow icmp to $W4): answered"

# --- TCP: 443 admitted, 80 refused at once ------------------------------------------
for url in "http://$W4" "http://[$W6]"; do
	out=$(gx curl -s --max-time 5 "$url:443/")
	[ "$out" = "hello from the world" ] &&
		ok "curl $url:443/ (allowed): '$out'" ||
		fail "curl $url:443/ (allowed): '$out'"
	t0=$(date +%s%N)
	gx curl -s -o /dev/null --max-time 5 "$url:80/"
	rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	if [ "$rc" = 7 ] && [ "$ms" -lt 1000 ]; then
		ok "curl $url:80/ (denied): exit 7 (connection refused) after $ms ms"
	else
		fail "curl $url:80/ (denied): exit $rc after $ms ms (expected 7 within a second)"
	fi
done

# --- UDP: 5353 echoed, 5354 refused with an ICMP error ------------------------------
for a in "$W4" "$W6"; do
	out=$(gx timeout 10 python3 "$TMP/udp.py" ask "$a" 5353)
	[ "$out" = echo ] && ok "UDP to $a:5353 (allowed): echoed" ||
		fail "UDP to $a:5353 (allowed): '$out'"
	case $a in *:*) want=EACCES ;; *) want=EHOSTUNREACH ;; esac
	t0=$(date +%s%N)
	out=$(gx timeout 10 python3 "$TMP/udp.py" ask "$a" 5354)
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$out" = "$want" ] &&
		ok "UDP to $a:5354 (denied): the guest's connected socket gets $out (admin prohibited) after $ms ms" ||
		fail "UDP to $a:5354 (denied): '$out', expected $want"
done

# --- ping: IPv6 denied, no answer ----------------------------------------------------
if gx ping -6 -c 2 -W 1 "$W6" >/dev/null 2>&1; then
	fail "ping -6 $W6 (denied): answered"
else
	ok "ping -6 $W6 (denied): no answer"
fi

# --- the gateway: its own ping; its address as the host's loopback -------------------
gx ping -c 1 -W 1 10.0.2.2 >/dev/null 2>&1 &&
	ok "ping 10.0.2.2: the gateway answers itself (not governed)" ||
	fail "ping 10.0.2.2: no answer from the gateway"
out=$(gx curl -s --max-time 5 http://10.0.2.2:8080/)
[ "$out" = "hello from the world" ] &&
	ok "curl http://10.0.2.2:8080/ (allow tcp to 127.0.0.1 port 8080): '$out'" ||
	fail "curl http://10.0.2.2:8080/: '$out'"
gx curl -s -o /dev/null --max-time 5 http://10.0.2.2:8081/
rc=$?
[ "$rc" = 7 ] && ok "curl http://10.0.2.2:8081/ (no rule): exit 7" ||
	fail "curl http://10.0.2.2:8081/ (no rule): exit $rc"

# --- a forward is not governed -------------------------------------------------------
mkdir -p "$TMP/gwww"
echo "hello from the guest" >"$TMP/gwww/index.html"
"${GX[@]}" python3 -m http.server 8000 --bind 10.0.2.15 --directory "$TMP/gwww" >/dev/null 2>&1 &
PIDS+=($!)
wait_for 10 gx curl -s -o /dev/null http://10.0.2.15:8000/ || fail "the guest's HTTP server did not start"
out=$(hx curl -s --max-time 5 "http://127.0.0.1:$HP/")
[ "$out" = "hello from the guest" ] &&
	ok "hostfwd 127.0.0.1:$HP -> guest :8000 under default deny: '$out'" ||
	fail "hostfwd under default deny: '$out'"

# --- the counters ----------------------------------------------------------------------
kill -USR1 "$UPID"
wait_for 5 grep -q 'egress policy' "$ULOG"
line=$(grep -o 'egress policy.*' "$ULOG" | tail -1)
hits=$(echo "$line" | sed -n 's/.*hits //p')
denied=$(echo "$line" | sed -n 's/.*denied \([0-9]*\).*/\1/p')
set -- $hits
if [ "$#" = 5 ] && [ "$1" -ge 1 ] && [ "$2" -ge 1 ] && [ "$3" -ge 2 ] &&
	[ "$4" -ge 1 ] && [ "$5" -ge 1 ] && [ "${denied:-0}" -ge 6 ]; then
	ok "SIGUSR1: $line"
else
	fail "SIGUSR1: '$line' (expected 5 rules, each hit, 6 or more denied)"
fi
out=$(echo '{"op":"policy_stats"}' | timeout 5 socat - UNIX-CONNECT:"$TMP/ctl")
echo "$out" | grep -q '"ok":true,"rules":5,.*"hits":\[[1-9][0-9]*,[1-9][0-9]*,[2-9][0-9]*,[1-9][0-9]*,[1-9][0-9]*\]' &&
	ok "the control socket's policy_stats: $out" ||
	fail "the control socket's policy_stats: '$out'"
grep -q 'policy [1-9]' "$ULOG" && ok "refused_policy counts the refusals" ||
	fail "refused_policy is 0: $(grep -o 'refused limit.*' "$ULOG" | tail -1)"

stop_pid "$UPID" TERM || fail "usernet did not exit 0 on SIGTERM"
grep -q 'Sanitizer' "$ULOG" && fail "usernet's log has a sanitizer report"
finish
