#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The DNS forwarder on 10.0.2.3:53 with dnsmasq as the upstream and dig in a
# guest namespace: A over UDP and over TCP; a TXT answer of about 2 KB whole
# over UDP with EDNS0 (fragmented at MTU 1500 by usernet, reassembled by
# the guest's kernel), truncated (TC) without EDNS0, and whole again through
# dig's fallback to TCP; SERVFAIL within 3 s when the upstream is down;
# garbage to port 53 gets no answer and the forwarder keeps serving;
# `usernet run` resolves through it; and with restrict=on nothing does
# (unless restrict-dns=on).
#
#   namespace "guest" ($ns)          host namespace
#  +-----------------------+  tap  +-------------------------------------+
#  | unetdN 10.0.2.15/24   |<----->| usernet --mtu 1500                  |
#  | mtu 1500              |       |  -netdev user,dns-upstream=         |
#  | dig @10.0.2.3         |       |     127.0.0.1:PORT   ---UDP/TCP-->  |
#  | python3 (garbage)     |       |  dnsmasq 127.0.0.1:PORT             |
#  +-----------------------+       |    test.example -> 192.0.2.10      |
#                                  |    big.txt.example: 10 x 200 B TXT |
#  namespace "guest2" ($ns2)       |                                     |
#  +-----------------------+  tap  | usernet #2: dns-upstream=           |
#  | unetdN 10.0.2.15/24   |<----->|   127.0.0.1:DEADPORT (nobody there) |
#  +-----------------------+       +-------------------------------------+
. "$(dirname "$0")/lib/common.sh"
need_root
need_cmd ip dig dnsmasq python3 timeout tshark

ns=unet-dns-$TAG
ns2=unet-dns2-$TAG
tap=unetd$TAG
tap2=unete$TAG

PORT=$(free_port)
DEADPORT=$(free_port)
[ -n "$PORT" ] && [ -n "$DEADPORT" ] && [ "$PORT" != "$DEADPORT" ] ||
	{ echo "no free ports"; exit 1; }

# The upstream: dnsmasq with an A record for *.test.example and ten
# 200-byte TXT strings (about 2 KB) on big.txt.example.
s200=$(printf 'x%.0s' $(seq 200))
txt=big.txt.example
for i in $(seq 0 9); do txt="$txt,$i${s200:1}"; done
dnsmasq --no-daemon --conf-file=/dev/null --port="$PORT" \
	--listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts \
	--user=root --group=root --edns-packet-max=4096 \
	--address=/test.example/192.0.2.10 --txt-record="$txt" \
	--pid-file="$TMP/dnsmasq.pid" --log-queries \
	--log-facility="$TMP/dnsmasq.log" 2>"$TMP/dnsmasq.err" &
PIDS+=("$!")
wait_for 10 dig @127.0.0.1 -p "$PORT" +time=1 +tries=1 a.test.example ||
	{ cat "$TMP/dnsmasq.err"; fail "dnsmasq did not start"; finish; }
ok "dnsmasq answers on 127.0.0.1:$PORT"

# start_guest NS TAP LOG UPSTREAM [NETDEV...]: usernet with a tap moved into
# a new namespace NS as 10.0.2.15/24; its PID in UPID.
start_guest() {
	local gns=$1 gtap=$2 log=$3 up=$4
	shift 4
	usernet_on_tap "$gns" "$gtap" "$log" -v --mtu 1500 \
		-netdev user,id=u,dns-upstream="$up" "$@"
	ip -n "$gns" link set "$gtap" mtu 1500
	ip -n "$gns" addr add 10.0.2.15/24 dev "$gtap"
	ip -n "$gns" link set "$gtap" up
	ip -n "$gns" route add default via 10.0.2.2
}

pcap=$TMP/hub.pcap
start_guest "$ns" "$tap" "$TMP/usernet.log" "127.0.0.1:$PORT" -netdev dump,id=d,file="$pcap"
upid=$UPID
gdig() { ip netns exec "$ns" timeout 20 dig @10.0.2.3 +time=3 +tries=1 "$@"; }

# A over UDP (the first query also waits for the guest's link and ARP).
if wait_for 10 sh -c "ip netns exec $ns dig @10.0.2.3 +time=1 +tries=1 +short a.test.example | grep -qx 192.0.2.10"; then
	ok "UDP: a.test.example is 192.0.2.10"
else
	gdig a.test.example
	fail "UDP: a.test.example"
fi
gdig a.test.example >"$TMP/udp.out" 2>&1
if grep -q 'status: NOERROR' "$TMP/udp.out" && grep -q 'SERVER: 10.0.2.3#53(10.0.2.3) (UDP)' "$TMP/udp.out"; then
	ok "UDP: NOERROR from 10.0.2.3#53"
else
	cat "$TMP/udp.out"
	fail "UDP: status or server"
fi

# A over TCP.
gdig +tcp a.test.example >"$TMP/tcp.out" 2>&1
if grep -q '192.0.2.10' "$TMP/tcp.out" && grep -q '(TCP)' "$TMP/tcp.out" &&
	grep -q 'status: NOERROR' "$TMP/tcp.out"; then
	ok "TCP: a.test.example is 192.0.2.10"
else
	cat "$TMP/tcp.out"
	fail "TCP: a.test.example"
fi

# Three queries on one TCP connection, one after the other (+keepopen).
gdig +tcp +keepopen a.test.example b.test.example c.test.example >"$TMP/tcp3.out" 2>&1
n=$(grep -c '^[abc].test.example.*192.0.2.10' "$TMP/tcp3.out")
if [ "$n" = 3 ]; then
	ok "TCP: three queries on one connection answered"
else
	cat "$TMP/tcp3.out"
	fail "TCP: $n of three queries on one connection answered"
fi

# msg_size FILE: the reply size dig reports.
msg_size() { sed -n 's/^;; MSG SIZE  rcvd: \([0-9]*\).*/\1/p' "$1" | tail -n 1; }

# The big TXT answer over UDP with EDNS0: whole, no TC, over 2000 bytes.
gdig +bufsize=4096 +ignore big.txt.example TXT >"$TMP/big_edns.out" 2>&1
size=$(msg_size "$TMP/big_edns.out")
if grep -q 'status: NOERROR' "$TMP/big_edns.out" && grep -q '(UDP)' "$TMP/big_edns.out" &&
	! grep -q 'flags:[^;]* tc' "$TMP/big_edns.out" && [ "${size:-0}" -gt 2000 ] &&
	[ "$(grep -c '^big.txt.example.*TXT' "$TMP/big_edns.out")" = 1 ]; then
	ok "UDP + EDNS0 (4096): the whole $size-byte TXT answer, fragmented at MTU 1500"
else
	cat "$TMP/big_edns.out"
	fail "UDP + EDNS0: big TXT answer"
fi

# Without EDNS0: a truncated reply (TC, no answer) when dig is told to keep it.
gdig +noedns +ignore big.txt.example TXT >"$TMP/big_tc.out" 2>&1
size=$(msg_size "$TMP/big_tc.out")
if grep -q 'flags:[^;]* tc' "$TMP/big_tc.out" && grep -q 'ANSWER: 0' "$TMP/big_tc.out" &&
	[ "${size:-9999}" -le 512 ]; then
	ok "UDP without EDNS0: TC set, header and question only ($size bytes)"
else
	cat "$TMP/big_tc.out"
	fail "UDP without EDNS0: expected a truncated reply"
fi

# ... and dig's own fallback to TCP gets the whole answer.
gdig +noedns big.txt.example TXT >"$TMP/big_fb.out" 2>&1
size=$(msg_size "$TMP/big_fb.out")
if grep -qi 'truncated, retrying in TCP mode' "$TMP/big_fb.out" && grep -q '(TCP)' "$TMP/big_fb.out" &&
	[ "${size:-0}" -gt 2000 ] && grep -q 'status: NOERROR' "$TMP/big_fb.out"; then
	ok "UDP without EDNS0, then TCP: the whole $size-byte answer"
else
	cat "$TMP/big_fb.out"
	fail "TCP fallback for the big TXT answer"
fi

# Garbage to 10.0.2.3:53: no answer; then a normal query still works.
cat >"$TMP/garbage.py" <<'EOF'
import socket, sys
bad = [
    b"\x12",                                         # shorter than a header
    b"\x12\x34\x81\x00\x00\x01\x00\x00\x00\x00\x00\x00\x01a\x00\x00\x01\x00\x01",  # QR=1
    b"\x12\x34\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00",  # no question
    b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x3fabc",  # label past the end
    b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01",  # pointer loop
    b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00" + b"\x3f" + b"a" * 63 + b"\x3f" + b"b" * 63
    + b"\x3f" + b"c" * 63 + b"\x3f" + b"d" * 63 + b"\x00\x00\x01\x00\x01",  # name of 257 bytes
    bytes(range(256)) * 4,
]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1.5)
for b in bad:
    s.sendto(b, ("10.0.2.3", 53))
try:
    data, addr = s.recvfrom(65535)
    print("answered:", addr, data[:16].hex())
    sys.exit(1)
except socket.timeout:
    print("no answer")
EOF
if ip netns exec "$ns" timeout 20 python3 "$TMP/garbage.py" >"$TMP/garbage.out" 2>&1; then
	ok "7 malformed queries: no answer"
else
	cat "$TMP/garbage.out"
	fail "malformed queries were answered"
fi
kill -0 "$upid" 2>/dev/null && ok "usernet still runs" || fail "usernet died"
gdig +short a.test.example >"$TMP/after.out" 2>&1
grep -qx 192.0.2.10 "$TMP/after.out" && ok "after the garbage, a.test.example still resolves" ||
	{ cat "$TMP/after.out"; fail "no answer after the garbage"; }

# The upstream saw every query with an id other than dig's (dnsmasq logs
# "query[A] a.test.example from 127.0.0.1"; ids are compared in the unit
# tests): here, that the queries did go through dnsmasq.
n=$(grep -c 'query\[A\] a.test.example from 127.0.0.1' "$TMP/dnsmasq.log")
[ "$n" -ge 3 ] && ok "dnsmasq logged $n A queries for a.test.example from 127.0.0.1" ||
	fail "dnsmasq logged $n A queries for a.test.example"

# On the hub: the big answer left 10.0.2.3 as IP fragments of at most 1500
# bytes, and every UDP reply from 10.0.2.3:53 has good checksums.
frags=$(tshark -r "$pcap" -Y "ip.src == 10.0.2.3 && ip.flags.mf == 1" 2>/dev/null | wc -l)
big=$(tshark -r "$pcap" -Y "ip.src == 10.0.2.3 && ip.len > 1500" 2>/dev/null | wc -l)
[ "$frags" -ge 1 ] && [ "$big" = 0 ] && ok "pcap: $frags first fragments from 10.0.2.3, none over 1500 bytes" ||
	fail "pcap: $frags fragments from 10.0.2.3, $big packets over 1500 bytes"
bad=$(tshark -r "$pcap" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
	-Y "ip.src == 10.0.2.3 && (ip.checksum.status == 0 || udp.checksum.status == 0)" 2>/dev/null | wc -l)
replies=$(tshark -r "$pcap" -Y "ip.src == 10.0.2.3 && udp.srcport == 53" 2>/dev/null | wc -l)
[ "$bad" = 0 ] && [ "$replies" -ge 5 ] && ok "pcap: $replies UDP replies from 10.0.2.3:53, no bad checksums" ||
	fail "pcap: $replies UDP replies from 10.0.2.3:53, $bad with bad checksums"

stop_pid "$upid" INT
rc=$?
[ "$rc" = 0 ] && ok "SIGINT: usernet exited 0" || fail "SIGINT: usernet exited $rc"
grep -iE 'error|assert|sanitizer' "$TMP/usernet.log" && fail "usernet logged errors"

# An upstream that is down: SERVFAIL, and quickly.
start_guest "$ns2" "$tap2" "$TMP/usernet2.log" "127.0.0.1:$DEADPORT"
upid2=$UPID
wait_for 10 ip netns exec "$ns2" ping -c 1 -W 1 10.0.2.3 || fail "usernet #2: 10.0.2.3 does not answer ping"
t0=$(date +%s%N)
ip netns exec "$ns2" timeout 20 dig @10.0.2.3 +tries=1 +time=5 a.test.example >"$TMP/down.out" 2>&1
ms=$((($(date +%s%N) - t0) / 1000000))
if grep -q 'status: SERVFAIL' "$TMP/down.out" && [ "$ms" -lt 3000 ]; then
	ok "upstream down: SERVFAIL in $ms ms"
else
	cat "$TMP/down.out"
	fail "upstream down: expected SERVFAIL within 3 s (took $ms ms)"
fi
ip netns exec "$ns2" timeout 20 dig @10.0.2.3 +tcp +tries=1 +time=10 a.test.example >"$TMP/down_tcp.out" 2>&1
grep -q 'status: SERVFAIL' "$TMP/down_tcp.out" && ok "upstream down, over TCP: SERVFAIL" ||
	{ cat "$TMP/down_tcp.out"; fail "upstream down, over TCP: expected SERVFAIL"; }
stop_pid "$upid2" INT
rc=$?
[ "$rc" = 0 ] && ok "SIGINT: usernet #2 exited 0" || fail "SIGINT: usernet #2 exited $rc"

# usernet run: the namespace's resolv.conf names 10.0.2.3, and resolving
# goes through the forwarder.
timeout 60 "$USERNET" run -- cat /etc/resolv.conf >"$TMP/run_rc.out" 2>&1
grep -qx 'nameserver 10.0.2.3' "$TMP/run_rc.out" && ok "usernet run: resolv.conf names 10.0.2.3" ||
	{ cat "$TMP/run_rc.out"; fail "usernet run: resolv.conf"; }
timeout 60 "$USERNET" run -netdev user,id=u,dns-upstream=127.0.0.1:"$PORT" -- \
	dig +short +time=3 +tries=2 a.test.example >"$TMP/run_dig.out" 2>&1
grep -qx 192.0.2.10 "$TMP/run_dig.out" && ok "usernet run -- dig +short a.test.example: 192.0.2.10" ||
	{ cat "$TMP/run_dig.out"; fail "usernet run -- dig"; }

# restrict=on: no DNS channel out. dig over UDP gets REFUSED, over TCP no
# answer; dnsmasq never sees the name. restrict-dns=on keeps the forwarder.
timeout 60 "$USERNET" run -netdev user,id=u,restrict=on,dns-upstream=127.0.0.1:"$PORT" -- \
	sh -c 'dig +time=2 +tries=1 @10.0.2.3 x.exfil.test.example; dig +tcp +time=2 +tries=1 @10.0.2.3 y.exfil.test.example' \
	>"$TMP/restrict_dig.out" 2>&1
if grep -q 'status: REFUSED' "$TMP/restrict_dig.out" && ! grep -q '192.0.2.10' "$TMP/restrict_dig.out" &&
	! grep -q 'exfil' "$TMP/dnsmasq.log"; then
	ok "restrict=on: dig over UDP REFUSED, over TCP no answer, nothing reached dnsmasq"
else
	cat "$TMP/restrict_dig.out"
	grep exfil "$TMP/dnsmasq.log"
	fail "restrict=on: DNS went through"
fi
timeout 60 "$USERNET" run -netdev user,id=u,restrict=on,restrict-dns=on,dns-upstream=127.0.0.1:"$PORT" -- \
	dig +short +time=3 +tries=2 @10.0.2.3 a.test.example >"$TMP/restrict_dns.out" 2>&1
grep -qx 192.0.2.10 "$TMP/restrict_dns.out" && ok "restrict=on,restrict-dns=on: dig resolves" ||
	{ cat "$TMP/restrict_dns.out"; fail "restrict=on,restrict-dns=on: dig"; }

finish
