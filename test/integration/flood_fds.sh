#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A guest floods new flows while usernet runs at an open-files limit of
# 1024 (hard, so it cannot raise it): 900 TCP connects that never complete
# on the host side (a loopback listener with a full backlog) and 900 UDP
# flows from as many ports. The per-protocol caps, sized from the limit,
# must stop both before the descriptors run out, so that meanwhile DNS
# (dig, through dnsmasq) and TFTP (busybox tftp) still answer and new TCP
# is still refused with a RST, not left hanging; SIGUSR1 counts the
# refusals per protocol; and the caps are said in the log.
#
#   usernet run namespace                 host namespace (usernet, ulimit -n 1024)
#  +------------------------------+  tap  +--------------------------------------+
#  | tap0 10.0.2.100/24           |<----->| -netdev user,tftp=$TMP/root,         |
#  | flood.py: 900 TCP connects   |       |   dns-upstream=127.0.0.1:PORT        |
#  |   to 10.0.2.2:LPORT, 900 UDP |       | listener 127.0.0.1:LPORT (backlog 1, |
#  |   sockets to 10.0.2.2:9      |       |   never accepts)                     |
#  | dig @10.0.2.3, busybox tftp  |       | dnsmasq 127.0.0.1:PORT               |
#  +------------------------------+       +--------------------------------------+
. "$(dirname "$0")/lib/common.sh"
need_root
need_cmd ip ss python3 dig dnsmasq busybox timeout

PORT=$((20000 + TAG % 5000))
LPORT=$((PORT + 5000))

dnsmasq --no-daemon --conf-file=/dev/null --port="$PORT" \
	--listen-address=127.0.0.1 --bind-interfaces --no-resolv --no-hosts \
	--user=root --group=root --address=/test.example/192.0.2.10 \
	--pid-file="$TMP/dnsmasq.pid" 2>"$TMP/dnsmasq.err" &
PIDS+=("$!")
python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(1)
time.sleep(120)
' "$LPORT" &
PIDS+=("$!")
wait_for 10 dig @127.0.0.1 -p "$PORT" +time=1 +tries=1 a.test.example ||
	{ cat "$TMP/dnsmasq.err"; fail "dnsmasq did not start"; finish; }
wait_for 10 sh -c "ss -Hltn 'sport = :$LPORT' | grep -q LISTEN" ||
	{ fail "the listener did not start"; finish; }

mkdir -p "$TMP/root"
echo "hello from the gateway" >"$TMP/root/small.txt"

# The flood: forked workers (each under the 1024 limit too), every socket
# kept open until the end.
cat >"$TMP/flood.py" <<'EOF'
import os, socket, sys, time
lport, n, secs = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
kids = []
for w in range(n // 300):
    pid = os.fork()
    if pid == 0:
        keep = []
        for i in range(300):
            t = socket.socket()
            t.setblocking(False)
            try:
                t.connect(("10.0.2.2", lport))
            except BlockingIOError:
                pass
            keep.append(t)
            u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            u.sendto(b"x", ("10.0.2.2", 9))
            keep.append(u)
        time.sleep(secs)
        os._exit(0)
    kids.append(pid)
for pid in kids:
    os.waitpid(pid, 0)
EOF

# In the namespace: the flood in the background, then DNS, TFTP and one
# more TCP connect while it holds; then SIGUSR1 to usernet (the parent).
cat >"$TMP/guest.sh" <<EOF
python3 $TMP/flood.py $LPORT 900 12 &
sleep 5
dig +time=3 +tries=2 +short @10.0.2.3 a.test.example >$TMP/dig.out 2>&1
cd $TMP && busybox tftp -g -r small.txt -l $TMP/got.txt 10.0.2.2 >$TMP/tftp.out 2>&1
python3 -c '
import socket, sys
s = socket.socket()
s.settimeout(5)
try:
    s.connect(("10.0.2.2", int(sys.argv[1])))
    print("connected")
except ConnectionRefusedError:
    print("refused")
except OSError as e:
    print("error", e)
' $LPORT >$TMP/tcp.out 2>&1
kill -USR1 \$PPID
sleep 0.5
wait
EOF

(
	ulimit -Sn 1024 && ulimit -Hn 1024 &&
	exec timeout 90 "$USERNET" run -v \
		-netdev user,id=u,tftp="$TMP/root",dns-upstream=127.0.0.1:"$PORT" \
		-- sh "$TMP/guest.sh"
) >"$TMP/usernet.log" 2>&1
rc=$?
[ "$rc" = 0 ] && ok "usernet run exited 0" || { tail -n 20 "$TMP/usernet.log"; fail "usernet run exited $rc"; }

grep -q 'open-files limit (1024)' "$TMP/usernet.log" &&
	ok "the log says the caps: $(grep -o 'at most [0-9]* tcp, [0-9]* udp and [0-9]* icmp flows' "$TMP/usernet.log")" ||
	fail "no log line about the open-files limit"
grep -qx 192.0.2.10 "$TMP/dig.out" && ok "during the flood: dig @10.0.2.3 answers 192.0.2.10" ||
	{ cat "$TMP/dig.out"; fail "during the flood: DNS did not answer"; }
cmp -s "$TMP/root/small.txt" "$TMP/got.txt" && ok "during the flood: TFTP serves small.txt" ||
	{ cat "$TMP/tftp.out"; fail "during the flood: TFTP failed"; }
grep -qx refused "$TMP/tcp.out" && ok "during the flood: one more TCP connect is refused (RST) at once" ||
	{ cat "$TMP/tcp.out"; fail "during the flood: one more TCP connect was not refused"; }
line=$(grep -E '^usernet: proxy: .*refused limit' "$TMP/usernet.log" | tail -n 1)
tcp_ref=$(echo "$line" | sed -nE 's/.*refused limit [0-9]+ \(tcp ([0-9]+) udp ([0-9]+) icmp [0-9]+\).*/\1/p')
udp_ref=$(echo "$line" | sed -nE 's/.*refused limit [0-9]+ \(tcp ([0-9]+) udp ([0-9]+) icmp [0-9]+\).*/\2/p')
if [ "${tcp_ref:-0}" -gt 0 ] && [ "${udp_ref:-0}" -gt 0 ]; then
	ok "SIGUSR1: refused at the caps: tcp $tcp_ref, udp $udp_ref"
else
	echo "$line"
	fail "SIGUSR1: no refusals at the caps counted"
fi
grep -iE 'too many open files|sanitizer|assert' "$TMP/usernet.log" &&
	fail "usernet ran out of descriptors or logged errors"

finish
