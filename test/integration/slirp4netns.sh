#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# usernet's slirp4netns personality beside Debian's slirp4netns, driven the
# same way (podman's command line: --configure --netns-type=pid PID tap0
# --ready-fd --exit-fd --api-socket): what the namespace sees, the gateway
# to the host's loopback (and not with --disable-host-loopback), DNS through
# 10.0.2.3 to dnsmasq, forwards over the API socket, the API's replies byte
# for byte, the ready fd and the exit fd; --outbound-addr and --disable-dns. Every observation of each is
# written to a file and the two files are compared: a difference is a diff.
# Then the rootless case (an unprivileged user's own user+net namespace),
# and rootlesskit with usernet as its slirp4netns binary.
#
#   host (root; each slirp4netns in a private mount namespace whose
#   /etc/resolv.conf names dnsmasq)          target: unshare --net sleep
#  +-------------------------------------+  tap0  +-------------------------+
#  | slirp4netns | usernet slirp4netns   |<------>| tap0 10.0.2.100/24      |
#  |  10.0.2.2 -> 127.0.0.1              |        | default via 10.0.2.2    |
#  |  10.0.2.3 -> dnsmasq 127.0.0.77:53  |        | http server :8000       |
#  |  API socket: add_hostfwd            |        | curl, dig (nsenter -n)  |
#  |    127.0.0.1:FWD -> 10.0.2.100:8000 |        +-------------------------+
#  | http server 127.0.0.1:HP            |
#  +-------------------------------------+
. "$(dirname "$0")/lib/common.sh"
need_root
need_cmd slirp4netns python3 curl dig dnsmasq socat nsenter unshare ip ethtool sha256sum

S4N_USERNET="$(dirname "$USERNET")/slirp4netns"
[ -x "$S4N_USERNET" ] || { fail "no slirp4netns link beside $USERNET"; finish; }
"$S4N_USERNET" --version | grep -q usernet || { fail "$S4N_USERNET is not usernet"; finish; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
HP=$(free_port)
FWD=$(free_port)
mkdir -p "$TMP/www" "$TMP/wwwns"
echo "host loopback" >"$TMP/www/index.txt"
echo "inside the namespace" >"$TMP/wwwns/index.txt"
python3 -m http.server --bind 127.0.0.1 --directory "$TMP/www" "$HP" >/dev/null 2>&1 &
PIDS+=("$!")
wait_for 10 curl -sf "http://127.0.0.1:$HP/index.txt" || { fail "host http server"; finish; }

# The upstream DNS: dnsmasq on 127.0.0.77:53, named by the resolv.conf each
# slirp4netns sees (both read /etc/resolv.conf, as slirp4netns does).
dnsmasq --no-daemon --conf-file=/dev/null --port=53 --listen-address=127.0.0.77 \
	--bind-interfaces --no-resolv --no-hosts --user=root --group=root \
	--address=/test.example/192.0.2.10 2>"$TMP/dnsmasq.err" &
PIDS+=("$!")
wait_for 10 dig @127.0.0.77 +time=1 +tries=1 a.test.example ||
	{ cat "$TMP/dnsmasq.err"; fail "dnsmasq did not start"; finish; }
echo "nameserver 127.0.0.77" >"$TMP/resolv.conf"

# api SOCKET JSON: one request, one reply (slirp4netns's client protocol).
api() {
	printf '%s' "$2" | timeout 10 socat -t 5 - "UNIX-CONNECT:$1"
	echo
}

# start IMPL NAME ARGS...: a target namespace (its sleep's PID in TPID) and
# IMPL on it, with ready fd 4 (a file), exit fd 3 (a fifo whose write end
# this shell holds as fd 9) and the API socket; its PID in SPID.
start() {
	local impl=$1 name=$2
	shift 2
	unshare --net sleep 300 &
	TPID=$!
	PIDS+=("$TPID")
	# Not before unshare(1) made the namespace, or the tap lands in ours.
	wait_for 5 sh -c "[ \"\$(readlink /proc/$TPID/ns/net)\" != \"\$(readlink /proc/self/ns/net)\" ]" ||
		fail "$name: no new namespace"
	rm -f "$TMP/exit.$name"
	mkfifo "$TMP/exit.$name"
	exec 8<>"$TMP/exit.$name"
	exec 9>"$TMP/exit.$name"
	exec 8>&-
	unshare --mount sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' \
		"$TMP/resolv.conf" "$impl" --configure --mtu=1500 \
		--netns-type=pid --ready-fd=4 --exit-fd=3 \
		--api-socket "$TMP/api.$name" "$@" "$TPID" tap0 \
		3<"$TMP/exit.$name" 4>"$TMP/ready.$name" 9>&- \
		>"$TMP/out.$name" 2>"$TMP/err.$name" &
	SPID=$!
	PIDS+=("$SPID")
	wait_for 10 grep -qx 1 "$TMP/ready.$name" ||
		{ cat "$TMP/err.$name"; fail "$name: nothing on the ready fd"; }
}

# observe NAME: everything the namespace and the API show, one per line.
observe() {
	local name=$1 sock=$TMP/api.$1 o=$TMP/obs.$1
	local ns="nsenter -t $TPID -n"
	{
		echo "ready fd: $(cat "$TMP/ready.$name")"
		$ns ip -o -4 addr show tap0 | awk '{print "tap0:", $4}'
		$ns ip -o link show tap0 | grep -o 'mtu [0-9]*'
		$ns ip route show default
		echo "host loopback: $($ns timeout 10 curl -s -m 5 "http://10.0.2.2:$HP/index.txt")"
		echo "dns: $($ns dig @10.0.2.3 +time=2 +tries=2 +short a.test.example)"
		# (not holding the exit fifo's write end, fd 9, open)
		$ns python3 -m http.server --bind 10.0.2.100 --directory "$TMP/wwwns" 8000 >/dev/null 2>&1 9>&- &
		PIDS+=("$!")
		wait_for 10 $ns curl -sf http://10.0.2.100:8000/index.txt
		api "$sock" "{\"execute\": \"add_hostfwd\", \"arguments\": {\"proto\": \"tcp\", \"host_addr\": \"127.0.0.1\", \"host_port\": $FWD, \"guest_addr\": \"10.0.2.100\", \"guest_port\": 8000}}"
		echo "forward: $(timeout 10 curl -s -m 5 "http://127.0.0.1:$FWD/index.txt")"
		api "$sock" "{\"execute\": \"add_hostfwd\", \"arguments\": {\"proto\": \"udp\", \"host_port\": $FWD, \"guest_port\": 53}}"
		api "$sock" '{"execute": "list_hostfwd"}'
		api "$sock" '{"execute": "remove_hostfwd", "arguments": {"id": 1}}'
		api "$sock" '{"execute": "remove_hostfwd", "arguments": {"id": 1}}'
		echo "forward removed: $(timeout 10 curl -s -m 3 "http://127.0.0.1:$FWD/index.txt" || echo refused)"
		api "$sock" '{"execute": "list_hostfwd"}'
		api "$sock" 'not json'
		api "$sock" '[1]'
		api "$sock" '{"execute": 1}'
		api "$sock" '{"execute": "frobnicate"}'
		api "$sock" '{"execute": "add_hostfwd", "arguments": {"proto": "sctp", "host_port": 1, "guest_port": 2}}'
		api "$sock" '{"execute": "add_hostfwd", "arguments": {"proto": "tcp", "host_port": "80", "guest_port": 2}}'
		api "$sock" '{"execute": "add_hostfwd", "arguments": {"proto": "tcp", "host_addr": "1.2.3", "host_port": 80, "guest_port": 2}}'
		api "$sock" '{"execute": "add_hostfwd", "arguments": {"proto": "tcp", "host_port": 80}}'
		api "$sock" '{"execute": "remove_hostfwd", "arguments": {"id": 99}}'
	} >"$o" 2>&1
	api "$sock" '{"execute": "get_info"}' >"$TMP/info.$name"
}

# stop NAME: closes the exit fd; the process must be gone within 5 s.
stop() {
	local name=$1 i
	exec 9>&-
	for ((i = 0; i < 50; i++)); do
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$SPID" 2>/dev/null; then
		fail "$name: still running 5 s after its exit fd closed"
	else
		wait "$SPID"
		rc=$?
		[ "$rc" = 0 ] && ok "$name: exits with status 0 when its exit fd closes" ||
			{ cat "$TMP/err.$name"; fail "$name: exit status $rc after the exit fd closed"; }
	fi
	kill "$TPID" 2>/dev/null
}

start slirp4netns debian
observe debian
stop debian
start "$S4N_USERNET" usernet
observe usernet
stop usernet

# The expected values, then the two side by side.
for name in debian usernet; do
	o=$TMP/obs.$name
	grep -qx 'ready fd: 1' "$o" && ok "$name: \"1\" on the ready fd" || fail "$name: ready fd"
	grep -qx 'tap0: 10.0.2.100/24' "$o" && ok "$name: tap0 has 10.0.2.100/24" || fail "$name: tap0 address"
	grep -qx 'mtu 1500' "$o" && ok "$name: tap0 MTU 1500" || fail "$name: MTU"
	grep -q '^default via 10.0.2.2 dev tap0' "$o" && ok "$name: default route via 10.0.2.2" || fail "$name: route"
	grep -qx 'host loopback: host loopback' "$o" && ok "$name: 10.0.2.2 reaches the host's 127.0.0.1" || fail "$name: host loopback"
	grep -qx 'dns: 192.0.2.10' "$o" && ok "$name: DNS through 10.0.2.3 to dnsmasq" || fail "$name: DNS"
	grep -qx 'forward: inside the namespace' "$o" && ok "$name: add_hostfwd reaches the namespace's server" || fail "$name: forward"
	grep -qx 'forward removed: refused' "$o" && ok "$name: remove_hostfwd closes it" || fail "$name: removed forward"
done
if diff -u "$TMP/obs.debian" "$TMP/obs.usernet" >"$TMP/obs.diff"; then
	ok "slirp4netns and usernet: the same observations and API replies, byte for byte ($(wc -l <"$TMP/obs.usernet") lines)"
else
	cat "$TMP/obs.diff" "$TMP/err.usernet"
	fail "slirp4netns and usernet differ"
fi

# get_info: slirp4netns 1.2 has none; usernet's values are those slirp4netns
# prints at start.
grep -qx '{"error":{"desc":"bad request: unknown execute"}}' "$TMP/info.debian" &&
	ok "slirp4netns 1.2 has no get_info" || fail "slirp4netns get_info: $(cat "$TMP/info.debian")"
banner() { sed -n "s/^\* $1: *//p" "$TMP/out.debian"; }
info() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["return"][sys.argv[2]])' "$TMP/info.usernet" "$1"; }
for pair in "MTU mtu" "Network network" "Netmask netmask" "Gateway gateway" "DNS dns" \
	"DHCP begin dhcp_begin" "DHCP end dhcp_end" "Recommended IP recommended_ip"; do
	key=${pair##* }
	label=${pair% *}
	if [ "$(banner "$label")" = "$(info "$key")" ]; then
		ok "get_info $key = $(info "$key"), as slirp4netns's '$label'"
	else
		fail "get_info $key: '$(info "$key")', slirp4netns's '$label': '$(banner "$label")'"
		cat "$TMP/out.debian"
	fi
done

# --disable-host-loopback: the gateway no longer reaches 127.0.0.1.
for impl in slirp4netns "$S4N_USERNET"; do
	name=noloop-$(basename "$(readlink -f "$impl")")
	start "$impl" "$name" --disable-host-loopback
	if nsenter -t "$TPID" -n timeout 10 curl -s -m 3 "http://10.0.2.2:$HP/index.txt" >/dev/null; then
		fail "$name: --disable-host-loopback still reaches the host's 127.0.0.1"
	else
		ok "$name: --disable-host-loopback refuses 10.0.2.2 -> 127.0.0.1"
	fi
	stop "$name"
done

# Offloads (usernet's): the tap has a vnet header, the namespace's kernel
# turns TSO on for it, and 16 MiB cross both ways byte-exact; with
# --disable-offload the tap is plain.
head -c $((16 << 20)) /dev/urandom >"$TMP/www/big"
want=$(sha256sum <"$TMP/www/big" | cut -d' ' -f1)
for flag in "" --disable-offload; do
	name=offload${flag:+-off}
	start "$S4N_USERNET" "$name" $flag
	tso=$(nsenter -t "$TPID" -n ethtool -k tap0 | sed -n 's/^tcp-segmentation-offload: //p')
	[ "$tso" = "$([ -n "$flag" ] && echo off || echo on)" ] &&
		ok "$name: TSO $tso on tap0" || fail "$name: TSO '$tso' on tap0"
	got=$(nsenter -t "$TPID" -n timeout 30 curl -sf "http://10.0.2.2:$HP/big" | sha256sum | cut -d' ' -f1)
	[ "$got" = "$want" ] && ok "$name: 16 MiB host -> namespace byte-exact" ||
		fail "$name: host -> namespace: sha256 $got"
	UPP=$(free_port)
	socat -u "TCP-LISTEN:$UPP,bind=127.0.0.1,reuseaddr" "OPEN:$TMP/up.$name,creat,trunc" &
	upid=$!
	PIDS+=("$upid")
	sleep 0.3
	nsenter -t "$TPID" -n timeout 30 socat -u "FILE:$TMP/www/big" "TCP:10.0.2.2:$UPP" ||
		fail "$name: upload failed"
	wait_for 10 sh -c "! kill -0 $upid 2>/dev/null"
	got=$(sha256sum <"$TMP/up.$name" | cut -d' ' -f1)
	[ "$got" = "$want" ] && ok "$name: 16 MiB namespace -> host byte-exact" ||
		fail "$name: namespace -> host: sha256 $got"
	stop "$name"
done

# --outbound-addr and --disable-dns: host sockets bind to 127.0.0.9 (the
# host's loopback is a /8), which a socat server on 127.0.0.1 reports; the
# gateway's 10.0.2.3 no longer answers DNS (a UDP query times out with
# both; usernet resets a TCP one at once).
OUTP=$(free_port)
socat "TCP-LISTEN:$OUTP,bind=127.0.0.1,reuseaddr,fork" SYSTEM:'echo peer $SOCAT_PEERADDR' 2>/dev/null &
PIDS+=("$!")
wait_for 10 sh -c "socat -T 2 - TCP:127.0.0.1:$OUTP </dev/null | grep -q peer" || fail "socat peer server"
for impl in slirp4netns "$S4N_USERNET"; do
	name=outbound-$(basename "$(readlink -f "$impl")")
	start "$impl" "$name" --outbound-addr=127.0.0.9 --disable-dns
	got=$(nsenter -t "$TPID" -n timeout 10 socat -T 5 - "TCP:10.0.2.2:$OUTP" </dev/null)
	[ "$got" = "peer 127.0.0.9" ] && ok "$name: --outbound-addr=127.0.0.9: the host sees the guest's TCP from 127.0.0.9" ||
		{ cat "$TMP/err.$name"; fail "$name: --outbound-addr: the host saw '$got'"; }
	if nsenter -t "$TPID" -n dig @10.0.2.3 +time=2 +tries=1 +short a.test.example >"$TMP/dig.$name" 2>&1; then
		fail "$name: --disable-dns still answers: $(cat "$TMP/dig.$name")"
	else
		ok "$name: --disable-dns: no DNS answer on 10.0.2.3 ($(grep -o -m1 'refused\|timed out\|no servers' "$TMP/dig.$name"))"
	fi
	if [ "$name" = outbound-usernet ]; then
		nsenter -t "$TPID" -n dig +tcp @10.0.2.3 +time=2 +tries=1 a.test.example >"$TMP/dig.tcp" 2>&1
		grep -q refused "$TMP/dig.tcp" && ok "$name: --disable-dns: a TCP query to 10.0.2.3 is reset at once" ||
			fail "$name: --disable-dns over TCP: $(cat "$TMP/dig.tcp")"
	fi
	stop "$name"
done
"$S4N_USERNET" --outbound-addr=198.51.100.77 --netns-type=path /proc/self/ns/net tap0 >/dev/null 2>"$TMP/err.badout"
rc=$?
[ "$rc" = 1 ] && grep -q 'outbound address 198.51.100.77: cannot bind' "$TMP/err.badout" &&
	ok "usernet --outbound-addr with an address the host lacks: exit status 1, '$(grep -m1 'outbound' "$TMP/err.badout")'" ||
	{ cat "$TMP/err.badout"; fail "usernet --outbound-addr=198.51.100.77: exit status $rc"; }
"$S4N_USERNET" --outbound-addr=nosuchif0 --netns-type=path /proc/self/ns/net tap0 >/dev/null 2>"$TMP/err.badif"
rc=$?
[ "$rc" = 1 ] && grep -q 'nosuchif0' "$TMP/err.badif" && ok "usernet --outbound-addr=nosuchif0: exit status 1" ||
	{ cat "$TMP/err.badif"; fail "usernet --outbound-addr=nosuchif0: exit status $rc"; }

# Rootless: an unprivileged user's own user+net namespace, joined by the
# personality running as that user (needs /dev/net/tun usable by it).
mode=$(stat -c %a /dev/net/tun)
CLEANUPS+=("chmod $mode /dev/net/tun")
chmod 0666 /dev/net/tun
cp "$USERNET" "$TMP/usernet"
ln -sf usernet "$TMP/slirp4netns"
chmod 755 "$TMP/usernet"
chmod 1777 "$TMP"
for impl in slirp4netns "$TMP/slirp4netns"; do
	name=rootless-$(basename "$(readlink -f "$impl")")
	runuser -u nobody -- unshare --user --map-root-user --net sleep 300 2>/dev/null &
	TPID=$!
	PIDS+=("$TPID")
	wait_for 5 test -e "/proc/$TPID/ns/user"
	# runuser forks: the namespace's process is its child.
	wait_for 5 pgrep -P "$TPID" sleep
	inner=$(pgrep -P "$TPID" sleep || echo "$TPID")
	wait_for 5 sh -c "[ \"\$(readlink /proc/$inner/ns/net)\" != \"\$(readlink /proc/self/ns/net)\" ]" ||
		fail "$name: no new namespace"
	runuser -u nobody -- "$impl" -c --ready-fd=4 "$inner" tap0 \
		4>"$TMP/ready.$name" >"$TMP/out.$name" 2>"$TMP/err.$name" &
	SPID=$!
	PIDS+=("$SPID")
	if wait_for 10 grep -qx 1 "$TMP/ready.$name" &&
		nsenter -t "$inner" -U -n --preserve-credentials ip -o -4 addr show tap0 | grep -q 10.0.2.100/24 &&
		nsenter -t "$inner" -U -n --preserve-credentials timeout 10 curl -sf -m 5 "http://10.0.2.2:$HP/index.txt" >/dev/null; then
		ok "$name: as nobody, tap0 10.0.2.100/24 in nobody's namespace and the host's loopback through 10.0.2.2"
	else
		cat "$TMP/err.$name"
		fail "$name: rootless"
	fi
	kill "$SPID" "$TPID" 2>/dev/null
	wait "$SPID" 2>/dev/null
done

# RootlessKit (as nobody, with a subuid/subgid range for the test's time):
# --net=slirp4netns with each binary, --disable-host-loopback honoured, and
# its slirp4netns port driver adding a forward over the API socket.
if command -v rootlesskit >/dev/null && command -v newuidmap >/dev/null; then
	for f in /etc/subuid /etc/subgid; do
		if [ -e "$f" ]; then
			cp "$f" "$TMP/$(basename "$f").orig"
			CLEANUPS+=("cp $TMP/$(basename "$f").orig $f")
		else
			CLEANUPS+=("rm -f $f")
		fi
		echo "nobody:300000:65536" >>"$f"
	done
	mkdir -p "$TMP/rk"
	chmod 777 "$TMP/rk"
	RKPORT=$(free_port)
	for impl in slirp4netns "$TMP/slirp4netns"; do
		name=rootlesskit-$(basename "$(readlink -f "$impl")")
		runuser -u nobody -- env XDG_RUNTIME_DIR="$TMP/rk" timeout 60 \
			rootlesskit --state-dir="$TMP/rk/$name" --net=slirp4netns \
			--slirp4netns-binary="$impl" --disable-host-loopback \
			--port-driver=slirp4netns -p "127.0.0.1:$RKPORT:8000/tcp" \
			sh -c "ip -o -4 addr show tap0; curl -s -m 3 http://10.0.2.2:$HP/index.txt || echo refused; python3 -m http.server --directory $TMP/wwwns 8000 >/dev/null 2>&1 & s=\$!; sleep 8; kill \$s" \
			>"$TMP/out.$name" 2>"$TMP/err.$name" &
		RPID=$!
		PIDS+=("$RPID")
		if wait_for 15 curl -sf -m 2 "http://127.0.0.1:$RKPORT/index.txt"; then
			ok "$name: its port driver's forward reaches the namespace"
		else
			fail "$name: forward 127.0.0.1:$RKPORT"
		fi
		wait "$RPID"
		grep -q 'inet 10.0.2.100/24' "$TMP/out.$name" && grep -qx refused "$TMP/out.$name" &&
			ok "$name: tap0 10.0.2.100/24, and --disable-host-loopback refuses 10.0.2.2" ||
			{ cat "$TMP/out.$name" "$TMP/err.$name"; fail "$name"; }
	done
else
	echo "note: rootlesskit or uidmap not installed: its checks skipped"
fi

ip link show tap0 >/dev/null 2>&1 && fail "a tap0 appeared in the test's own namespace"

finish
