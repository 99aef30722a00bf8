#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The egress policy's DNS-name rules against real peers: `usernet run`
# runs a guest whose only resolver is usernet's forwarder, dnsmasq in a
# "world" namespace is the upstream (short TTLs, an alias by CNAME), and
# a web server there listens on every address. With `default deny` and
# name rules only:
#  - curl to an allowed name works (IPv4 and, by its AAAA, IPv6), and to
#    an alias (CNAME) of an allowed name too;
#  - a name a deny rule names does not resolve: dig gets REFUSED over UDP
#    and TCP, curl fails at once (exit 6), and dnsmasq never sees the
#    query;
#  - an address the guest never resolved gets a RST (curl exit 7), as does
#    an allowed name's address on a port the rule does not allow;
#  - an allowed name's address is refused once its TTL (2 s, within
#    policy-ttl-min=1 and policy-ttl-max=2) is over, until resolved again.
#
#   usernet run (new netns)        ns "host"                   ns "world"
#  +----------------------+ tap  +---------------------+ veth +---------------------+
#  | 10.0.2.100, fec0::   |<---->| usernet -netdev     |<---->| 198.18.0.2-.6/24    |
#  | resolv.conf: 10.0.2.3|      |  user,policy=FILE,  |      | 2001:db8:1::2/64    |
#  | curl, dig            |      |  dns-upstream=      |      | dnsmasq :53         |
#  +----------------------+      |   198.18.0.2:53     |      | HTTP :80 and :8080  |
#                                | 198.18.0.1/24       |      +---------------------+
#                                | 2001:db8:1::1/64    |
#                                +---------------------+
. "$(dirname "$0")/lib/common.sh"
need_root
need_cmd ip python3 curl dig dnsmasq timeout sysctl

HNS=unet-nh-$TAG
WNS=unet-nw-$TAG
HW_H=unnhw$TAG
HW_W=unnwh$TAG
W6=2001:db8:1::2
# For short commands only: background processes start directly, so that
# $! is theirs.
wx() { ip netns exec "$WNS" "$@"; }

[ "$(sysctl -n net.ipv6.conf.all.disable_ipv6)" = 0 ] || skip "IPv6 is turned off on this host"

# --- the namespaces, the world's servers -------------------------------------
for ns in "$HNS" "$WNS"; do new_netns "$ns"; done
world_veth "$HNS" "$HW_H" "$WNS" "$HW_W"
for i in 3 4 5 6; do ip -n "$WNS" addr add "198.18.0.$i/24" dev "$HW_W"; done

mkdir -p "$TMP/www"
echo "hello from the world" >"$TMP/www/index.html"
for port in 80 8080; do
	ip netns exec "$WNS" python3 -m http.server "$port" --bind :: --directory "$TMP/www" >/dev/null 2>&1 &
	PIDS+=($!)
done
# Every answer has TTL 2 (--local-ttl); target.example is what
# alias.example is a CNAME of.
ip netns exec "$WNS" dnsmasq --no-daemon --conf-file=/dev/null --port=53 \
	--listen-address=198.18.0.2 --bind-interfaces --no-resolv --no-hosts \
	--user=root --group=root --local-ttl=2 \
	--address=/ok.example/198.18.0.2 --address=/ok.example/$W6 \
	--host-record=target.example,198.18.0.3 --cname=alias.example,target.example \
	--address=/ttl.example/198.18.0.5 \
	--address=/evil.example/198.18.0.6 \
	--log-queries --log-facility="$TMP/dnsmasq.log" 2>"$TMP/dnsmasq.err" &
PIDS+=($!)
for port in 80 8080; do
	wait_for 10 wx curl -s -o /dev/null "http://127.0.0.1:$port/" ||
		{ fail "the world's HTTP server on $port did not start"; finish; }
done
wait_for 10 sh -c "ip netns exec $WNS dig @198.18.0.2 +time=1 +tries=1 +short ok.example | grep -qx 198.18.0.2" ||
	{ cat "$TMP/dnsmasq.err"; fail "dnsmasq did not start"; finish; }
ttl=$(wx dig @198.18.0.2 +noall +answer ttl.example | awk '{print $2; exit}')
[ "$ttl" = 2 ] || { fail "dnsmasq answers with TTL '$ttl', not 2"; finish; }
ok "dnsmasq answers ok.example, alias.example and ttl.example with TTL 2"

cat >"$TMP/names.policy" <<'EOF'
# policy_names.sh: names only
default deny
allow tcp to OK.example. port 80
allow tcp to alias.example port 80
allow tcp to ttl.example port 80
deny to *.evil.example
deny to evil.example
EOF

# --- the guest ----------------------------------------------------------------
# Each step prints "STEP RESULT"; curl's exit status and its time in ms.
cat >"$TMP/guest.sh" <<'EOF'
step() {
	local name=$1 t0 rc
	shift
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1
	rc=$?
	echo "$name rc=$rc ms=$((($(date +%s%N) - t0) / 1000000))"
}
c() { curl -s -o /dev/null --max-time 8 "$@"; }
# Wait for the gateway and the IPv6 address (SLAAC).
for i in $(seq 50); do
	ip -6 -o addr show scope site | grep -q fec0:: && break
	sleep 0.2
done
step ok4 c -4 http://ok.example/
step ok6 c -6 http://ok.example/
step okport c -4 http://ok.example:8080/
step alias c http://alias.example/
step evil c http://evil.example/
step subevil c http://www.evil.example/
echo "dig-udp $(dig @10.0.2.3 +time=2 +tries=1 www.evil.example | grep -o 'status: [A-Z]*')"
echo "dig-tcp $(dig @10.0.2.3 +tcp +time=2 +tries=1 evil.example | grep -o 'status: [A-Z]*')"
echo "dig-ok-tcp $(dig @10.0.2.3 +tcp +time=2 +tries=1 +short ok.example A)"
step never c http://198.18.0.4/
step direct-unresolved c --resolve ttl.example:80:198.18.0.5 http://ttl.example/
step ttl-fresh c http://ttl.example/
step ttl-again c --resolve ttl.example:80:198.18.0.5 http://ttl.example/
sleep 3
step ttl-expired c --resolve ttl.example:80:198.18.0.5 http://ttl.example/
step ttl-resolved c http://ttl.example/
EOF

timeout 120 ip netns exec "$HNS" "$USERNET" run -v \
	-netdev "user,id=u,policy=$TMP/names.policy,dns-upstream=198.18.0.2:53,policy-ttl-min=1,policy-ttl-max=2" \
	-- sh "$TMP/guest.sh" >"$TMP/guest.out" 2>"$TMP/usernet.log"
rc=$?
[ "$rc" = 0 ] || { cat "$TMP/guest.out" "$TMP/usernet.log"; fail "usernet run: exit $rc"; finish; }

# result STEP: "rc=N ms=M" of the guest's step.
result() { grep "^$1 " "$TMP/guest.out" | cut -d' ' -f2-; }
rc_of() { result "$1" | sed -n 's/^rc=\([0-9]*\) .*/\1/p'; }
ms_of() { result "$1" | sed -n 's/.* ms=\([0-9]*\)$/\1/p'; }
expect_rc() { # STEP RC WHAT [MAXMS]
	local r m
	r=$(rc_of "$1")
	m=$(ms_of "$1")
	if [ "$r" = "$2" ] && { [ -z "${4:-}" ] || [ "${m:-99999}" -le "$4" ]; }; then
		ok "$3 (curl exit $r in ${m} ms)"
	else
		fail "$3: curl exit '$r' in '${m}' ms, expected $2${4:+ within $4 ms}"
	fi
}

expect_rc ok4 0 "an allowed name over IPv4 (A)"
expect_rc ok6 0 "an allowed name over IPv6 (AAAA)"
expect_rc okport 7 "an allowed name on a port its rule does not allow: RST" 2000
expect_rc alias 0 "an alias (CNAME) of an allowed name"
expect_rc evil 6 "a denied name does not resolve" 3000
expect_rc subevil 6 "a name under a denied domain does not resolve" 3000
for s in dig-udp dig-tcp; do
	if [ "$(result "$s")" = "status: REFUSED" ]; then
		ok "$s: a denied name's query is answered REFUSED"
	else
		fail "$s: '$(result "$s")', expected status: REFUSED"
	fi
done
if [ "$(result dig-ok-tcp)" = 198.18.0.2 ]; then
	ok "an allowed name resolves over TCP"
else
	fail "an allowed name over TCP: '$(result dig-ok-tcp)'"
fi
if grep -Eq 'query\[[A-Z]+\] (www\.)?evil\.example from' "$TMP/dnsmasq.log"; then
	grep 'evil.example' "$TMP/dnsmasq.log"
	fail "a denied name's query reached the upstream"
else
	ok "no query for a denied name reached the upstream"
fi
expect_rc never 7 "an address never resolved, under a name-only allow list: RST" 2000
expect_rc direct-unresolved 7 "an allowed name's address before it was resolved: RST" 2000
expect_rc ttl-fresh 0 "ttl.example resolved and reached"
expect_rc ttl-again 0 "its address within the TTL, without resolving"
expect_rc ttl-expired 7 "its address after the TTL (2 s) is over: RST" 2000
expect_rc ttl-resolved 0 "resolved again, it is reached again"
finish
