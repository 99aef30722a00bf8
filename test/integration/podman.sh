#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Rootless podman (Debian 12's podman 4.3 with runc) with usernet's
# slirp4netns link as its network command (containers.conf
# network_cmd_path), side by side with Debian's slirp4netns in the same
# run: the same containers, the same checks, and every observation of the
# two printed next to each other; a difference fails the test unless the
# check is marked "(not compared)" (the documented differences below).
#
#   host (root)                           test user's rootless podman
#  +-----------------------------+       +-------------------------------------+
#  | http 127.0.0.1:HP ("v4")    |       | network command (podman starts it): |
#  | http [::1]:HP     ("v6")    |<------|   slirp4netns | usernet's link      |
#  | dnsmasq 127.0.0.79:53, ::1  |  host |   --mtu=65520 [--enable-ipv6] -c    |
#  |  (the resolv.conf podman's  | socks |   -e 3 -r 4 [--api-socket]          |
#  |   namespace sees names it)  |       |   --netns-type=path NETNS tap0      |
#  | curl 127.0.0.1:FWD1, FWD2 --|------>|          | tap0                     |
#  +-----------------------------+  API  |  +-------v------------------------+ |
#                                  fwds  |  | container (busybox image):     | |
#                                        |  | 10.0.2.100/24, fd00::/64 SLAAC | |
#                                        |  | wget 10.0.2.2, [fd00::2]       | |
#                                        |  | nslookup @10.0.2.3, @fd00::3   | |
#                                        |  | httpd :80 (-p FWD1:80, ...)    | |
#                                        |  +--------------------------------+ |
#                                        +-------------------------------------+
#
# Per network command: a container with allow_host_loopback=true and
# enable_ipv6=true (tap0 address and MTU, routes, SLAAC address in
# fd00::/64 within 10 s, the host's 127.0.0.1 and ::1 through 10.0.2.2 and
# fd00::2, DNS A+AAAA through 10.0.2.3 and fd00::3), one without
# allow_host_loopback (neither reaches), one with cidr=10.5.0.0/24 and
# mtu=1500 (tap0, route, resolv.conf and gateway follow), one with
# outbound_addr=127.0.0.2 (the host's server sees that client address;
# podman passes --outbound-addr=127.0.0.2), one detached with
# port_handler=slirp4netns and -p FWD1:80 -p 127.0.0.1:FWD2:80 (both reach
# busybox httpd in the container; list_hostfwd on podman's API socket;
# enable_ipv6=false leaves no global v6 address), and after each container
# the network command process must be gone (within 5 s for the detached
# one's `podman stop`).
#
# Documented differences (not compared): the error a refused connection to
# 10.0.2.2 / fd00::2 gives (slirp4netns: "Network is unreachable";
# usernet: "Connection refused"), how long SLAAC took, and the binary.
#
# Workarounds for this kind of host (see lib/podman.sh): runc with
# cgroupfs (crun refuses hybrid cgroups), vfs storage, file events and
# k8s-file logs (no journald), /dev/net/tun opened to 0666 for the test
# (mode restored at the end), /run/user/UID made by hand (no logind).
# podman passes --enable-sandbox and --enable-seccomp because --help lists
# them; usernet must accept them for its column to work.
#
# Environment: USERNET_PODMAN_S4N: another slirp4netns-compatible command
# for the usernet column (default: the build's slirp4netns link beside
# $USERNET).
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/podman.sh"
need_root
need_cmd podman runc newuidmap slirp4netns busybox dnsmasq python3 curl socat useradd runuser unshare

S4N_USERNET=${USERNET_PODMAN_S4N:-$(dirname "$USERNET")/slirp4netns}
[ -x "$S4N_USERNET" ] || { fail "no slirp4netns link beside $USERNET"; finish; }

# A usernet whose --help still says it refuses --outbound-addr: that
# check is left out for both (and said so), the rest runs.
OUTBOUND=1
if "$S4N_USERNET" --help | grep -q -- '--outbound-addr=IPv4 *not yet'; then
	OUTBOUND=0
	echo "note: $S4N_USERNET refuses --outbound-addr: podman's outbound_addr not checked"
fi

CLEANUPS+=("pod_teardown")
pod_setup "unetpod$TAG" || { fail "cannot make the test user"; finish; }
if ! pod_runnable "$S4N_USERNET"; then
	# A build tree under a private folder: a copy the user can reach.
	mkdir -p "$TMP/bin"
	cp "$USERNET" "$TMP/bin/usernet"
	ln -s usernet "$TMP/bin/slirp4netns"
	S4N_USERNET=$TMP/bin/slirp4netns
fi

# A port free for TCP on both 127.0.0.1 and ::1.
for _ in $(seq 20); do
	HP=$(free_port 127.0.0.1)
	python3 -c 'import socket,sys; socket.socket(socket.AF_INET6).bind(("::1", int(sys.argv[1])))' "$HP" 2>/dev/null && break
done
FWD1=$(free_port)
FWD2=$(free_port)
mkdir -p "$TMP/www4" "$TMP/www6"
echo "host loopback v4" >"$TMP/www4/index.txt"
echo "host loopback v6" >"$TMP/www6/index.txt"
# (its log names each request's client address: outbound_addr's check)
python3 -m http.server --bind 127.0.0.1 --directory "$TMP/www4" "$HP" >/dev/null 2>"$TMP/http4.log" &
PIDS+=("$!")
python3 -m http.server --bind ::1 --directory "$TMP/www6" "$HP" >/dev/null 2>&1 &
PIDS+=("$!")
wait_for 10 curl -sf "http://127.0.0.1:$HP/index.txt" && wait_for 10 curl -sf "http://[::1]:$HP/index.txt" ||
	{ fail "host http servers on port $HP"; finish; }

# The upstream DNS: dnsmasq on 127.0.0.79 (and ::1 when its port 53 is
# free: slirp4netns answers on fd00::3 only with a v6 server in
# resolv.conf), named by the resolv.conf podman's namespaces see.
DNS6=::1
DNSNAME=pod$TAG.test.example
ss -Hlun 'sport = :53' | grep -q '\[::1\]:53\|\[::\]:53\|\*:53' && DNS6=
dnsmasq --no-daemon --conf-file=/dev/null --port=53 --listen-address=127.0.0.79 \
	${DNS6:+--listen-address=::1} --bind-interfaces --no-resolv --no-hosts \
	--user=root --group=root --address="/$DNSNAME/192.0.2.10" \
	--address="/$DNSNAME/2001:db8::10" 2>"$TMP/dnsmasq.err" &
DNSPID=$!
PIDS+=("$DNSPID")
wait_for 10 sh -c "busybox nslookup $DNSNAME 127.0.0.79 | grep -q 2001:db8::10" && kill -0 "$DNSPID" ||
	{ cat "$TMP/dnsmasq.err"; fail "dnsmasq did not start"; finish; }
{
	echo "nameserver 127.0.0.79"
	[ -n "$DNS6" ] && echo "nameserver ::1"
} >"$TMP/resolv.conf"
chmod 644 "$TMP/resolv.conf"
POD_RESOLV=$TMP/resolv.conf

# The image: busybox, a page for httpd, and the probe the containers run.
pod_rootfs "$TMP/rootfs"
mkdir -p "$TMP/rootfs/www"
echo "inside the container" >"$TMP/rootfs/www/index.txt"
cat >"$TMP/rootfs/probe.sh" <<'EOF'
#!/bin/sh
# probe.sh RUN HOSTPORT DNS6 NAME: what the container sees, "check: value"
# lines.
run=$1 hp=$2 dns6=$3 name=$4
fetch() {
	if out=$(timeout 5 wget -q -O - "$2" 2>&1); then
		echo "$1: $out"
	else
		echo "$1: not reached"
		echo "$1, error (not compared): $(echo "$out" | tail -n 1)"
	fi
}
v6addr() {
	ip -6 -o addr show dev tap0 scope global |
		awk '{ print $4, ($0 ~ /dynamic/ ? "(SLAAC, dynamic)" : "(static)") }' |
		sed 's|^fd00::[0-9a-f:]*/64 |fd00::IID/64 |'
}
lookup() {
	nslookup "$name" "$1" 2>&1 |
		awk '/^Name:/ { n = 1; next } n && /^Address/ { print $2 }' | sort | tr '\n' ' ' | sed 's/ $//'
}
wait_v6() {
	i=0
	while [ $i -lt 100 ] && [ -z "$(v6addr)" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	echo "SLAAC address after (not compared): $((i / 10)).$((i % 10)) s"
}
case $run in
loop)
	echo "tap0 IPv4 address: $(ip -o -4 addr show tap0 | awk '{ print $4 }')"
	echo "tap0 MTU: $(ip -o link show tap0 | grep -o 'mtu [0-9]*')"
	echo "IPv4 default route: $(ip -4 route show default | sed 's/ *$//')"
	wait_v6
	echo "tap0 IPv6 global address: $(v6addr)"
	echo "IPv6 default route: $(ip -6 route show default | awk '{ print $1, $2, $3, $4, $5 }')"
	fetch "host's 127.0.0.1 via 10.0.2.2" "http://10.0.2.2:$hp/index.txt"
	fetch "host's ::1 via fd00::2" "http://[fd00::2]:$hp/index.txt"
	echo "resolv.conf's first nameserver: $(awk '/^nameserver/ { print $2; exit }' /etc/resolv.conf)"
	echo "DNS via 10.0.2.3: $(lookup 10.0.2.3)"
	if [ -n "$dns6" ]; then
		echo "DNS via fd00::3: $(lookup fd00::3)"
	else
		echo "DNS via fd00::3: skipped (port 53 on ::1 taken)"
	fi
	;;
noloop)
	wait_v6 >/dev/null
	fetch "host's 127.0.0.1 via 10.0.2.2" "http://10.0.2.2:$hp/index.txt"
	fetch "host's ::1 via fd00::2" "http://[fd00::2]:$hp/index.txt"
	;;
cidr)
	echo "tap0 IPv4 address: $(ip -o -4 addr show tap0 | awk '{ print $4 }')"
	echo "tap0 MTU: $(ip -o link show tap0 | grep -o 'mtu [0-9]*')"
	echo "IPv4 default route: $(ip -4 route show default | sed 's/ *$//')"
	echo "resolv.conf's first nameserver: $(awk '/^nameserver/ { print $2; exit }' /etc/resolv.conf)"
	fetch "host's 127.0.0.1 via 10.5.0.2" "http://10.5.0.2:$hp/index.txt"
	;;
outbound)
	fetch "host's 127.0.0.1 via 10.0.2.2" "http://10.0.2.2:$hp/index.txt?outbound-$name"
	;;
nov6)
	sleep 3
	a=$(v6addr)
	echo "tap0 IPv6 global address after 3 s: ${a:-none}"
	;;
esac
EOF
chmod 755 "$TMP/rootfs/probe.sh"
pod_image "$TMP/rootfs" || { fail "podman import"; finish; }
ok "$(podman --version), $(runc --version | head -n 1), $(slirp4netns --version | head -n 1); busybox image imported ($(du -sh "$TMP/rootfs" | cut -f1))"

# net_left: how many network command processes still run, after waiting
# up to 5 s for none.
net_left() {
	local i
	for ((i = 0; i < 50; i++)); do
		[ -z "$(pod_net_pids)" ] && break
		sleep 0.1
	done
	pod_net_pids | wc -l
}

# observe NAME CMD: every check of one network command, into $TMP/obs.NAME.
observe() {
	local name=$1 cmd=$2 o=$TMP/obs.$1 id pids pid exe sock
	pod_net_cmd "$cmd"
	: >"$o"
	# 1. host loopback allowed, IPv6 on.
	if ! pod run --rm --network slirp4netns:allow_host_loopback=true,enable_ipv6=true \
		"$POD_IMAGE" /bin/sh /probe.sh loop "$HP" "$DNS6" "$DNSNAME" \
		>"$TMP/loop.$name" 2>"$TMP/loop.$name.err"; then
		cat "$TMP/loop.$name.err"
		grep -q 'enable-sandbox\|enable-seccomp' "$TMP/loop.$name.err" &&
			echo "note: podman passes --enable-sandbox --enable-seccomp ($cmd --help lists them); $name must take them"
		fail "$name: podman run with allow_host_loopback=true"
	fi
	sed 's/^/[loopback+v6] /' "$TMP/loop.$name" >>"$o"
	# 2. host loopback not allowed (podman's default), IPv6 on.
	pod run --rm --network slirp4netns:enable_ipv6=true \
		"$POD_IMAGE" /bin/sh /probe.sh noloop "$HP" "$DNS6" 2>>"$TMP/noloop.$name.err" |
		sed 's/^/[default] /' >>"$o"
	# 3. another network and MTU.
	pod run --rm --network slirp4netns:cidr=10.5.0.0/24,mtu=1500,allow_host_loopback=true \
		"$POD_IMAGE" /bin/sh /probe.sh cidr "$HP" 2>>"$TMP/cidr.$name.err" |
		sed 's/^/[cidr=10.5.0.0\/24,mtu=1500] /' >>"$o"
	# 4. the host sockets bound to 127.0.0.2: the host's server sees it.
	[ "$OUTBOUND" = 1 ] && pod run --rm --network slirp4netns:allow_host_loopback=true,outbound_addr=127.0.0.2 \
		"$POD_IMAGE" /bin/sh /probe.sh outbound "$HP" "" "$name" 2>>"$TMP/outbound.$name.err" |
		sed 's/^/[outbound_addr=127.0.0.2] /' >>"$o"
	[ "$OUTBOUND" = 1 ] && echo "[outbound_addr=127.0.0.2] the host's server saw the client: $(awk -v p="outbound-$name" 'index($0, p) { print $1 }' "$TMP/http4.log")" >>"$o"
	grep -qs 'outbound-addr' "$TMP/outbound.$name.err" && cat "$TMP/outbound.$name.err"
	echo "[after the --rm runs] network command running: $(net_left)" >>"$o"
	# 3. detached, forwards through the API socket, IPv6 off.
	id=$(pod run -d --name "web-$name" -p "$FWD1:80" -p "127.0.0.1:$FWD2:80" \
		--network slirp4netns:port_handler=slirp4netns,enable_ipv6=false \
		"$POD_IMAGE" /bin/httpd -f -p 80 -h /www 2>"$TMP/fwd.$name.err")
	if [ -z "$id" ]; then
		cat "$TMP/fwd.$name.err"
		fail "$name: podman run -d"
		return
	fi
	pids=$(pod_net_pids)
	for pid in $pids; do
		exe=$(readlink "/proc/$pid/exe")
		echo "[detached] network command binary (not compared): $exe" >>"$o"
		case $name:$exe in
		slirp4netns:/usr/bin/slirp4netns | usernet:*/usernet) ;;
		*) fail "$name: the network command runs $exe" ;;
		esac
	done
	echo "[detached] network command processes: $(echo "$pids" | grep -c .)" >>"$o"
	wait_for 10 curl -sf -m 2 "http://127.0.0.1:$FWD1/index.txt"
	echo "[detached] -p FWD1:80 from 127.0.0.1: $(curl -s -m 5 "http://127.0.0.1:$FWD1/index.txt" || echo not reached)" >>"$o"
	echo "[detached] -p 127.0.0.1:FWD2:80: $(curl -s -m 5 "http://127.0.0.1:$FWD2/index.txt" || echo not reached)" >>"$o"
	sock=$POD_RUN/libpod/tmp/$id.net
	# podman adds its forwards in no fixed order (a Go map), so the ids
	# are compared as a set and the entries sorted by address.
	echo "[detached] list_hostfwd: $(printf '{"execute": "list_hostfwd"}' | timeout 10 socat -t 5 - "UNIX-CONNECT:$sock" |
		jq -c '{ids: [.entries[].id] | sort, entries: [.entries[] | del(.id)] | sort_by(.host_addr, .host_port)}' |
		sed "s/$FWD1/FWD1/g; s/$FWD2/FWD2/g")" >>"$o"
	pod exec "web-$name" /bin/sh /probe.sh nov6 | sed 's/^/[detached, enable_ipv6=false] /' >>"$o"
	pod stop -t 0 "web-$name" >/dev/null 2>>"$TMP/fwd.$name.err"
	echo "[detached] network command after podman stop: $([ "$(net_left)" = 0 ] && echo gone || echo "still running ($(pod_net_pids))")" >>"$o"
	pod rm -f -t 0 "web-$name" >/dev/null 2>&1
}

observe slirp4netns /usr/bin/slirp4netns
observe usernet "$S4N_USERNET"

# The values expected of both, then the two side by side.
for name in slirp4netns usernet; do
	o=$TMP/obs.$name
	expect() {
		if grep -qxF "$1" "$o"; then ok "$name: $1"; else fail "$name: expected '$1'"; fi
	}
	expect "[loopback+v6] tap0 IPv4 address: 10.0.2.100/24"
	expect "[loopback+v6] tap0 MTU: mtu 65520"
	expect "[loopback+v6] IPv4 default route: default via 10.0.2.2 dev tap0"
	expect "[loopback+v6] tap0 IPv6 global address: fd00::IID/64 (SLAAC, dynamic)"
	expect "[loopback+v6] host's 127.0.0.1 via 10.0.2.2: host loopback v4"
	expect "[loopback+v6] host's ::1 via fd00::2: host loopback v6"
	expect "[loopback+v6] resolv.conf's first nameserver: 10.0.2.3"
	expect "[loopback+v6] DNS via 10.0.2.3: 192.0.2.10 2001:db8::10"
	[ -n "$DNS6" ] && expect "[loopback+v6] DNS via fd00::3: 192.0.2.10 2001:db8::10"
	expect "[after the --rm runs] network command running: 0"
	expect "[cidr=10.5.0.0/24,mtu=1500] tap0 IPv4 address: 10.5.0.100/24"
	expect "[cidr=10.5.0.0/24,mtu=1500] tap0 MTU: mtu 1500"
	expect "[cidr=10.5.0.0/24,mtu=1500] IPv4 default route: default via 10.5.0.2 dev tap0"
	expect "[cidr=10.5.0.0/24,mtu=1500] resolv.conf's first nameserver: 10.5.0.3"
	expect "[cidr=10.5.0.0/24,mtu=1500] host's 127.0.0.1 via 10.5.0.2: host loopback v4"
	if [ "$OUTBOUND" = 1 ]; then
		expect "[outbound_addr=127.0.0.2] host's 127.0.0.1 via 10.0.2.2: host loopback v4"
		expect "[outbound_addr=127.0.0.2] the host's server saw the client: 127.0.0.2"
	fi
	expect "[default] host's 127.0.0.1 via 10.0.2.2: not reached"
	expect "[default] host's ::1 via fd00::2: not reached"
	expect "[detached] network command processes: 1"
	expect "[detached] -p FWD1:80 from 127.0.0.1: inside the container"
	expect "[detached] -p 127.0.0.1:FWD2:80: inside the container"
	expect "[detached, enable_ipv6=false] tap0 IPv6 global address after 3 s: none"
	expect "[detached] network command after podman stop: gone"
done

# side NAME1 NAME2: the table, one check a line; 1 when a compared check
# differs.
side() {
	awk -v a="$1" -v b="$2" '
		FNR == 1 { f++ }
		{ i = index($0, ": "); k = substr($0, 1, i - 1); v = substr($0, i + 2)
		  if (!(k in seen)) { seen[k] = 1; keys[++n] = k }
		  val[f, k] = val[f, k] (val[f, k] == "" ? "" : " | ") v }
		END { printf "%-66s %-34s %s\n", "check", a, b
		      bad = 0
		      for (j = 1; j <= n; j++) {
			k = keys[j]; same = val[1, k] == val[2, k]
			mark = same ? "" : (k ~ /not compared/ ? "  (differs, documented)" : "  <-- DIFFERS")
			if (!same && k !~ /not compared/) bad = 1
			printf "%-66s %-34s %s%s\n", k, val[1, k], val[2, k], mark }
		      exit bad }' "$TMP/obs.$1" "$TMP/obs.$2"
}
echo
if side slirp4netns usernet; then
	ok "slirp4netns and usernet under podman: the same in every compared check ($(grep -vc 'not compared' "$TMP/obs.usernet") lines)"
else
	fail "slirp4netns and usernet under podman differ (<-- DIFFERS above)"
	cat "$TMP"/*.err 2>/dev/null | tail -n 20
fi
echo

finish
