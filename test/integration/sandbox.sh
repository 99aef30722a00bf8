#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# usernet confined (--sandbox --seccomp) still does everything, and is
# confined: the kernel's own view of the process (/proc/PID/status: no
# capability, NoNewPrivs 1, Seccomp 2; /proc/PID/root: an empty root), and
# forbidden calls tried from inside it refused (USERNET_SANDBOX_SELFTEST=1
# makes it try execve, ptrace, open for writing, a netlink socket,
# unshare, executable memory, reading /etc/passwd, right after confining,
# and log each result; then it lists every descriptor it holds and, for a
# folder, where 32 levels of ".." from it end: the TFTP folder, opened
# before confining, must have been reopened from the read-only bind mount
# at /tftp in the empty root, so ".." ends at that root and the host's
# /etc/passwd stays out of reach). Four ways in:
#
# 1. -netdev user + a tap in a namespace, as root, every feature:
#
#    namespace "guest"                        host namespace
#   +------------------------------+  tap  +------------------------------------+
#   | unsbN: DHCP (udhcpc) 10.0.2.15 |<---->| usernet --sandbox --seccomp         |
#   |   SLAAC fec0::/64             |       |  10.0.2.2 -> 127.0.0.1, fec0::2->::1|
#   | dig (UDP, TCP, v4, v6)        |       |  DNS -> dnsmasq 127.0.0.1:DP, ::1:DP|
#   | curl, socat UDP, ping         |       |  TFTP from $TMP/tftp                |
#   | busybox tftp                  |       |  hostfwd 127.0.0.1:F1 -> :8000      |
#   | http.server :8000             |       |  API socket: add_hostfwd F2 -> :8000|
#   +------------------------------+       | http.server [::]:HP, socat UDP echo |
#                                           | veth unsdN 198.18.77.1, 2001:db8:77::1 (ping)
#                                           +------------------------------------+
# 2. usernet run --sandbox --seccomp -- CMD: CMD's network and TFTP, its exit
#    status, SIGTERM passed on to CMD (kill is allowed to CMD alone).
# 3. the slirp4netns personality with --enable-sandbox --enable-seccomp, as
#    podman runs it, in a host-side namespace of its own: resolv.conf stays
#    readable (the root shows etc/ only) and DNS goes through it.
# 4. unprivileged: nobody's usernet run --sandbox --seccomp makes its own
#    user namespace for the mount namespace (and binds the TFTP folder
#    there); and without CAP_SYS_ADMIN and
#    with user namespaces refused, a clear error and exit status 1.
#
# Environment: SANDBOX_STRACE=FILE straces the usernet of part 1 into FILE.
. "$(dirname "$0")/lib/common.sh"
need_root
# In sanitized builds: LeakSanitizer's check at exit needs ptrace, clone and
# /proc, all of which the sandbox takes away (it would fail the exit
# status). Leaks are the other tests' to find.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
need_cmd ip ping curl dig dnsmasq socat busybox python3 nsenter unshare runuser setpriv timeout sysctl

GNS=unet-sb-$TAG
GTAP=unsb$TAG
DUMMY=unsd$TAG
HP=$(free_port ::1)
DP=$(free_port)
UP=$(free_port)
F1=$(free_port)
F2=$(free_port)
[ -n "$HP" ] && [ -n "$DP" ] && [ -n "$UP" ] && [ -n "$F1" ] && [ -n "$F2" ] ||
	{ fail "no free ports"; finish; }

# The host side: an HTTP server on the loopback (v4 and v6), a UDP echo,
# dnsmasq as the upstream DNS, local addresses on a veth to ping through the
# proxy's ping sockets (which net.ipv4.ping_group_range must allow).
mkdir -p "$TMP/www" "$TMP/wwwns" "$TMP/tftp"
echo "host loopback" >"$TMP/www/index.txt"
echo "inside the namespace" >"$TMP/wwwns/index.txt"
head -c 300000 /dev/urandom >"$TMP/tftp/boot.bin"
python3 -m http.server --bind :: --directory "$TMP/www" "$HP" >/dev/null 2>&1 &
PIDS+=("$!")
socat UDP4-RECVFROM:"$UP",bind=127.0.0.1,fork EXEC:cat >/dev/null 2>&1 &
PIDS+=("$!")
socat UDP6-RECVFROM:"$UP",bind=[::1],fork EXEC:cat >/dev/null 2>&1 &
PIDS+=("$!")
dnsmasq --no-daemon --conf-file=/dev/null --port="$DP" --listen-address=127.0.0.1 \
	--listen-address=::1 --bind-interfaces --no-resolv --no-hosts --user=root \
	--group=root --address=/test.example/192.0.2.10 2>"$TMP/dnsmasq.err" &
PIDS+=("$!")
wait_for 10 curl -sf "http://127.0.0.1:$HP/index.txt" || { fail "host http server"; finish; }
wait_for 10 dig @127.0.0.1 -p "$DP" +time=1 +tries=1 a.test.example ||
	{ cat "$TMP/dnsmasq.err"; fail "dnsmasq did not start"; finish; }
CLEANUPS+=("ip link del $DUMMY 2>/dev/null")
ip link add "$DUMMY" type veth peer name "${DUMMY}p" || { fail "cannot make a veth pair"; finish; }
ip link set "${DUMMY}p" up
ip addr add 198.18.77.1/32 dev "$DUMMY"
ip addr add 2001:db8:77::1/128 dev "$DUMMY" nodad
ip link set "$DUMMY" up
old_range=$(sysctl -n net.ipv4.ping_group_range | tr '\t' ' ')
CLEANUPS+=("sysctl -q -w net.ipv4.ping_group_range='$old_range'")
sysctl -q -w net.ipv4.ping_group_range="0 2147483647"

# confined PID WHAT: the kernel's view of PID: no capabilities, no new
# privileges, a seccomp filter, nothing in its root (or only $3).
confined() {
	local pid=$1 what=$2 root=${3:-} st
	st=$(cat "/proc/$pid/status")
	if grep -q '^Seccomp:[[:space:]]*2$' <<<"$st" && grep -q '^NoNewPrivs:[[:space:]]*1$' <<<"$st" &&
		grep -q '^CapEff:[[:space:]]*0*$' <<<"$st" && grep -q '^CapPrm:[[:space:]]*0*$' <<<"$st" &&
		grep -q '^CapBnd:[[:space:]]*0*$' <<<"$st"; then
		ok "$what: Seccomp 2, NoNewPrivs 1, CapEff/CapPrm/CapBnd 0"
	else
		fail "$what: /proc/$pid/status: $(grep -E '^(Seccomp|NoNewPrivs|Cap)' <<<"$st" | tr '\n' ' ')"
	fi
	if [ "$(ls -A "/proc/$pid/root/" | tr '\n' ' ')" = "$root" ]; then
		ok "$what: its root holds ${root:-nothing}"
	else
		fail "$what: its root holds: $(ls -A "/proc/$pid/root/" | tr '\n' ' ')"
	fi
}

# selftest LOG WHAT: the forbidden calls the process tried were refused.
selftest() {
	local log=$1 what=$2 line want
	for line in "open /etc/passwd: No such file or directory" \
		"open /usernet-selftest for writing: Operation not permitted" \
		"execve /bin/sh: Operation not permitted" \
		"ptrace PTRACE_TRACEME: Operation not permitted" \
		"socket AF_NETLINK: Operation not permitted" \
		"unshare CLONE_NEWUSER: Operation not permitted" \
		"mmap PROT_EXEC: Operation not permitted"; do
		grep -qF "sandbox self-test: $line" "$log" || { want=$line; break; }
	done
	if [ -z "${want:-}" ]; then
		ok "$what: execve, ptrace, netlink, unshare, exec memory, writing refused (EPERM); /etc/passwd absent"
	else
		fail "$what: self-test line missing: '$want'; log: $(grep self-test "$log")"
	fi
}

# fds LOG WHAT TFTP: no descriptor the process holds once confined is a
# folder whose ".." leads out of its root, nothing opens the host's
# /etc/passwd through one; with TFTP=tftp, the TFTP folder was seen.
fds() {
	local log=$1 what=$2 tftp=$3 bad
	bad=$(grep -E "self-test: fd [0-9]+: folder, its ../.. (ends outside|:)|self-test: open ../../etc/passwd from fd [0-9]+: allowed" "$log")
	if ! grep -q "self-test: fd [0-9]*: " "$log"; then
		fail "$what: the self-test listed no descriptor"
	elif [ -n "$bad" ]; then
		fail "$what: a descriptor leads out of the sandbox: $bad"
	elif [ "$tftp" = tftp ] && ! grep -q "self-test: fd [0-9]*: folder, its ../.. ends at the sandbox's root" "$log"; then
		fail "$what: the TFTP folder's descriptor is not in the list: $(grep 'self-test: fd' "$log" | tr '\n' ' ')"
	else
		ok "$what: $(grep -c 'self-test: fd [0-9]*: ' "$log") descriptors, no folder leads out of the root${tftp:+ (.. from the TFTP folder ends at the root; host /etc/passwd out of reach)}"
	fi
}

# --- 1. a tap in a namespace, every feature ---------------------------------
g() { ip netns exec "$GNS" "$@"; }
udhcpc_script "$TMP/udhcpc.sh"
USERNET_SANDBOX_SELFTEST=1 "$USERNET" -v --sandbox --seccomp \
	-netdev user,id=u,tftp="$TMP/tftp",dns-upstream=127.0.0.1:"$DP",dns-upstream=[::1]:"$DP",hostfwd=tcp:127.0.0.1:"$F1"-:8000 \
	-netdev tap,id=t,ifname="$GTAP" --api-socket "$TMP/api" --ready-fd 4 \
	4>"$TMP/ready" 2>"$TMP/u1.log" &
UPID=$!
PIDS+=("$UPID")
wait_for 10 grep -qx 1 "$TMP/ready" || { cat "$TMP/u1.log"; fail "usernet --sandbox --seccomp: not ready"; finish; }
ok "usernet --sandbox --seccomp starts and writes its ready fd"
# SANDBOX_STRACE=FILE: strace the confined usernet into FILE, to find calls
# the allow-list misses (they end in "= -1 EPERM").
if [ -n "${SANDBOX_STRACE:-}" ]; then
	strace -f -p "$UPID" -o "$SANDBOX_STRACE" &
	PIDS+=("$!")
	sleep 1
fi
new_netns "$GNS"
ip link set "$GTAP" netns "$GNS"
g ip link set "$GTAP" up
confined "$UPID" "tap" "tftp "
selftest "$TMP/u1.log" "tap"
fds "$TMP/u1.log" "tap" tftp

if g timeout 20 busybox udhcpc -i "$GTAP" -n -q -t 5 -T 2 -s "$TMP/udhcpc.sh" >"$TMP/dhcp" 2>&1 &&
	g ip -4 addr show "$GTAP" | grep -q 'inet 10.0.2.15/24'; then
	ok "DHCP: 10.0.2.15/24"
else
	cat "$TMP/dhcp"
	fail "DHCP under the sandbox"
fi
wait_for 10 sh -c "ip netns exec $GNS ip -6 addr show dev $GTAP | grep 'inet6 fec0::' | grep -qv tentative" &&
	ok "SLAAC: a fec0::/64 address, DAD done" || fail "no SLAAC address: $(g ip -6 addr show dev "$GTAP")"
g ip -6 route replace default via fe80::2 dev "$GTAP" 2>/dev/null

[ "$(g dig @10.0.2.3 +time=2 +tries=2 +short a.test.example)" = 192.0.2.10 ] &&
	ok "DNS over UDP (10.0.2.3 -> dnsmasq)" || fail "DNS over UDP"
[ "$(g dig @10.0.2.3 +tcp +time=2 +tries=2 +short a.test.example)" = 192.0.2.10 ] &&
	ok "DNS over TCP" || fail "DNS over TCP"
[ "$(g dig @fec0::3 +time=2 +tries=2 +short a.test.example)" = 192.0.2.10 ] &&
	ok "DNS over IPv6 (fec0::3)" || fail "DNS over IPv6"
[ "$(g timeout 10 curl -s -m 5 "http://10.0.2.2:$HP/index.txt")" = "host loopback" ] &&
	ok "TCP through the proxy, IPv4 (10.0.2.2 -> 127.0.0.1)" || fail "TCP over IPv4"
[ "$(g timeout 10 curl -s -m 5 "http://[fec0::2]:$HP/index.txt")" = "host loopback" ] &&
	ok "TCP through the proxy, IPv6 (fec0::2 -> ::1)" || fail "TCP over IPv6"
[ "$(echo ping4 | g timeout 5 socat -t 2 - UDP4:10.0.2.2:"$UP")" = ping4 ] &&
	ok "UDP through the proxy, IPv4" || fail "UDP over IPv4"
[ "$(echo ping6 | g timeout 5 socat -t 2 - UDP6:[fec0::2]:"$UP")" = ping6 ] &&
	ok "UDP through the proxy, IPv6" || fail "UDP over IPv6"
g ping -c 2 -i 0.3 -W 2 198.18.77.1 >"$TMP/ping4" 2>&1 && grep -q '2 received' "$TMP/ping4" &&
	ok "ping through the proxy, IPv4 (198.18.77.1)" || fail "ping over IPv4: $(cat "$TMP/ping4")"
g ping -6 -c 2 -i 0.3 -W 2 2001:db8:77::1 >"$TMP/ping6" 2>&1 && grep -q '2 received' "$TMP/ping6" &&
	ok "ping through the proxy, IPv6 (2001:db8:77::1)" || fail "ping over IPv6: $(cat "$TMP/ping6")"
(cd "$TMP" && g timeout 20 busybox tftp -g -r boot.bin -l "$TMP/got.bin" 10.0.2.2) >"$TMP/tftp.log" 2>&1
cmp -s "$TMP/got.bin" "$TMP/tftp/boot.bin" && ok "TFTP: 300000 bytes, byte-exact" ||
	fail "TFTP: $(cat "$TMP/tftp.log")"
ip netns exec "$GNS" python3 -m http.server --bind 0.0.0.0 --directory "$TMP/wwwns" 8000 >/dev/null 2>&1 &
PIDS+=("$!")
wait_for 10 g curl -sf http://127.0.0.1:8000/index.txt
[ "$(timeout 10 curl -s -m 5 "http://127.0.0.1:$F1/index.txt")" = "inside the namespace" ] &&
	ok "hostfwd= 127.0.0.1:$F1 -> guest :8000" || fail "hostfwd="
reply=$(printf '%s' "{\"execute\": \"add_hostfwd\", \"arguments\": {\"proto\": \"tcp\", \"host_addr\": \"127.0.0.1\", \"host_port\": $F2, \"guest_port\": 8000}}" |
	timeout 10 socat -t 5 - "UNIX-CONNECT:$TMP/api")
grep -q '"return"' <<<"$reply" && [ "$(timeout 10 curl -s -m 5 "http://127.0.0.1:$F2/index.txt")" = "inside the namespace" ] &&
	ok "API socket: add_hostfwd at run time, 127.0.0.1:$F2 reaches the guest" ||
	fail "API add_hostfwd: $reply"
kill -USR1 "$UPID"
wait_for 5 grep -q 'usernet: stack:' "$TMP/u1.log" && ok "SIGUSR1 dumps the state" || fail "SIGUSR1 dump"
kill -0 "$UPID" 2>/dev/null && ok "still running after all of it" || fail "usernet died: $(tail -5 "$TMP/u1.log")"
stop_pid "$UPID"
rc=$?
[ "$rc" = 0 ] && ok "SIGTERM: exit status 0" || fail "exit status $rc after SIGTERM: $(tail -5 "$TMP/u1.log")"

# --- 2. usernet run ------------------------------------------------------------
USERNET_SANDBOX_SELFTEST=1 timeout 60 "$USERNET" run --sandbox --seccomp \
	-netdev user,id=u,dns-upstream=127.0.0.1:"$DP",tftp="$TMP/tftp" -- sh -c \
	"ping -c 2 -i 0.3 -W 2 10.0.2.2 >/dev/null && curl -s -m 5 http://10.0.2.2:$HP/index.txt &&
	 dig @10.0.2.3 +short +time=2 a.test.example &&
	 busybox tftp -g -r boot.bin -l $TMP/got2.bin 10.0.2.2; exit 7" >"$TMP/run.out" 2>"$TMP/run.err"
rc=$?
if [ "$rc" = 7 ] && grep -qx "host loopback" "$TMP/run.out" && grep -qx 192.0.2.10 "$TMP/run.out" &&
	cmp -s "$TMP/got2.bin" "$TMP/tftp/boot.bin"; then
	ok "run: ping, TCP, DNS, TFTP (byte-exact) work; CMD's exit status 7 passed through"
else
	fail "run: status $rc, out $(cat "$TMP/run.out"), err $(tail -5 "$TMP/run.err")"
fi
selftest "$TMP/run.err" "run"
fds "$TMP/run.err" "run" tftp
USERNET_SANDBOX_SELFTEST=1 "$USERNET" run --sandbox --seccomp -- sleep 30 2>"$TMP/run2.err" &
RPID=$!
PIDS+=("$RPID")
wait_for 10 grep -q 'self-test: mmap' "$TMP/run2.err"
confined "$RPID" "run" "etc "
stop_pid "$RPID" TERM
rc=$?
[ "$rc" = 143 ] && ok "run: SIGTERM reaches CMD through the filter (143)" || fail "run: SIGTERM: status $rc"

# --- 3. the slirp4netns personality, as podman runs it ------------------------
# In a host-side namespace of its own (HNS), where port 53 on the loopback
# is this test's: slirp4netns asks /etc/resolv.conf's nameservers on port
# 53, so a dnsmasq there, named by a resolv.conf bind-mounted over
# /etc/resolv.conf in a private mount namespace (as slirp4netns.sh does).
S4N="$(dirname "$USERNET")/slirp4netns"
HNS=unet-sbh-$TAG
new_netns "$HNS"
# (not through a function for what runs in the background: $! must be it)
h() { ip netns exec "$HNS" "$@"; }
unshare --net sleep 300 &
TPID=$!
PIDS+=("$TPID")
wait_for 5 sh -c "[ \"\$(readlink /proc/$TPID/ns/net)\" != \"\$(readlink /proc/self/ns/net)\" ]" ||
	fail "slirp4netns: no target namespace"
ip netns exec "$HNS" dnsmasq --no-daemon --conf-file=/dev/null --port=53 --listen-address=127.0.0.1 \
	--bind-interfaces --no-resolv --no-hosts --user=root --group=root \
	--address=/test.example/192.0.2.11 2>"$TMP/dnsmasq2.err" &
PIDS+=("$!")
ip netns exec "$HNS" python3 -m http.server --bind 127.0.0.1 --directory "$TMP/www" "$HP" >/dev/null 2>&1 &
PIDS+=("$!")
echo "nameserver 127.0.0.1" >"$TMP/resolv.conf"
wait_for 10 sh -c "[ \"\$(ip netns exec $HNS dig @127.0.0.1 +time=1 +tries=1 +short a.test.example)\" = 192.0.2.11 ]" ||
	{ cat "$TMP/dnsmasq2.err"; fail "dnsmasq in $HNS did not start"; }
wait_for 10 h curl -sf "http://127.0.0.1:$HP/index.txt" || fail "http server in $HNS"
USERNET_SANDBOX_SELFTEST=1 ip netns exec "$HNS" unshare --mount sh -c 'mount --bind "$0" /etc/resolv.conf && exec "$@"' \
	"$TMP/resolv.conf" "$S4N" --configure --mtu=65520 --enable-sandbox --enable-seccomp \
	--enable-ipv6 --netns-type=pid --ready-fd=4 --api-socket "$TMP/s4n.sock" "$TPID" tap0 \
	4>"$TMP/s4n.ready" >"$TMP/s4n.out" 2>"$TMP/s4n.err" &
SPID=$!
PIDS+=("$SPID")
if wait_for 10 grep -qx 1 "$TMP/s4n.ready"; then
	ok "slirp4netns --enable-sandbox --enable-seccomp: ready"
	confined "$SPID" "slirp4netns" "etc "
	selftest "$TMP/s4n.err" "slirp4netns"
	fds "$TMP/s4n.err" "slirp4netns" ""
	ns="nsenter -t $TPID -n"
	[ "$($ns dig @10.0.2.3 +time=2 +tries=2 +short a.test.example)" = 192.0.2.11 ] &&
		ok "slirp4netns: DNS through the kept resolv.conf" ||
		fail "slirp4netns: DNS: $($ns dig @10.0.2.3 +time=2 +tries=1 a.test.example 2>&1 | grep -E "status|timed out")"
	[ "$($ns timeout 10 curl -s -m 5 "http://10.0.2.2:$HP/index.txt")" = "host loopback" ] &&
		ok "slirp4netns: TCP to the host's loopback" || fail "slirp4netns: TCP"
	$ns python3 -m http.server --bind 10.0.2.100 --directory "$TMP/wwwns" 8000 >/dev/null 2>&1 &
	PIDS+=("$!")
	wait_for 10 $ns curl -sf http://10.0.2.100:8000/index.txt
	reply=$(printf '%s' "{\"execute\": \"add_hostfwd\", \"arguments\": {\"proto\": \"tcp\", \"host_addr\": \"127.0.0.1\", \"host_port\": $F2, \"guest_addr\": \"10.0.2.100\", \"guest_port\": 8000}}" |
		timeout 10 socat -t 5 - "UNIX-CONNECT:$TMP/s4n.sock")
	[ "$(h timeout 10 curl -s -m 5 "http://127.0.0.1:$F2/index.txt")" = "inside the namespace" ] &&
		ok "slirp4netns: add_hostfwd over the API socket" || fail "slirp4netns: add_hostfwd: $reply"
else
	cat "$TMP/s4n.err"
	fail "slirp4netns --enable-sandbox --enable-seccomp: not ready"
fi
stop_pid "$SPID"

# --- 4. unprivileged --------------------------------------------------------------
mode=$(stat -c %a /dev/net/tun)
CLEANUPS+=("chmod $mode /dev/net/tun")
chmod 0666 /dev/net/tun
cp "$USERNET" "$TMP/usernet"
chmod 755 "$TMP/usernet"
(cd / && USERNET_SANDBOX_SELFTEST=1 timeout 60 runuser -u nobody -- "$TMP/usernet" run --sandbox --seccomp \
	-netdev user,id=u,tftp="$TMP/tftp" -- sh -c \
	"ping -c 2 -i 0.3 -W 2 10.0.2.2 && busybox tftp -g -r boot.bin -l - 10.0.2.2 | cksum") >"$TMP/nobody" 2>&1
rc=$?
if [ "$rc" = 0 ] && grep -q '2 received' "$TMP/nobody" && grep -qxF "$(cksum <"$TMP/tftp/boot.bin")" "$TMP/nobody"; then
	ok "nobody: usernet run --sandbox --seccomp: ping and TFTP work (own user namespace for the sandbox)"
else
	fail "nobody: status $rc: $(cat "$TMP/nobody")"
fi
selftest "$TMP/nobody" "nobody"
fds "$TMP/nobody" "nobody" tftp
chmod "$mode" /dev/net/tun
# No CAP_SYS_ADMIN and no user namespace to be had: root of a user namespace
# that allows no nested one, with an empty bounding set.
unshare -U -r sh -c 'echo 0 >/proc/sys/user/max_user_namespaces &&
	exec setpriv --bounding-set -all --inh-caps -all -- "$0" --sandbox -netdev user,id=u' \
	"$USERNET" >"$TMP/nouserns" 2>&1
rc=$?
if [ "$rc" = 1 ] && grep -q 'needs CAP_SYS_ADMIN' "$TMP/nouserns"; then
	ok "no CAP_SYS_ADMIN, no user namespace: exit 1, '$(grep -o 'a mount namespace needs CAP_SYS_ADMIN[^:]*' "$TMP/nouserns")'"
else
	fail "no user namespace: status $rc: $(cat "$TMP/nouserns")"
fi

finish
