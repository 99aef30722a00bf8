#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The same IPv6 guest, once on usernet's gateway and once on QEMU's own
# libslirp (-netdev user,ipv6=on in a guest-less QEMU, reached over a
# socket port), runs the same checks, and the two sets of answers must be
# the same: a user moving between them sees no difference but the speed.
#
#   namespace "host" (lo only): dnsmasq 127.0.0.1:53 and [::1]:53,
#   python3 http.server on [::1]:8080, resolv.conf -> 127.0.0.1
#  +------------------------------------------------------------------------+
#  | (a) usernet: tap t0 -- hub -- user (fec0::/64, RA, DNS fec0::3)        |
#  | (b) usernet: tap t0 -- hub -- socket ==TCP== QEMU -machine none:       |
#  |                                   socket -- hub 0 -- user,ipv6=on      |
#  +-------------|----------------------------------------------------------+
#        namespace "guest": the kernel's SLAAC, ping -6, dig AAAA, curl -6
#
# Checks, each recorded as a line of facts and compared between (a) and
# (b): the address SLAAC made (fec0::/64 from the guest's MAC), the default
# route via fe80::2, the advertised prefix and RDNSS (rdisc6), an echo
# reply from fec0::2 and fec0::3, a name through fec0::3 (UDP and TCP), and
# 4 MiB over HTTP from the host's ::1 through fec0::2. The RA's MTU option
# is left out on purpose: usernet advertises its hub's MTU (65520 by
# default, as DHCP's option 26 does), libslirp none at its default 1500.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/link.sh"
need_root
need_cmd ip qemu-system-x86_64 curl python3 sha256sum dig dnsmasq rdisc6

link_setup
# The resolvers both gateways read: dnsmasq in the host namespace.
mkdir -p "/etc/netns/$HOSTNS"
CLEANUPS+=("rm -rf '/etc/netns/$HOSTNS'")
printf 'nameserver 127.0.0.1\nnameserver ::1\n' >"/etc/netns/$HOSTNS/resolv.conf"
ip netns exec "$HOSTNS" dnsmasq --no-daemon --no-resolv --no-hosts \
	--listen-address=127.0.0.1 --listen-address=::1 --bind-interfaces --port=53 \
	--host-record=peer6.test,2001:db8::7 --address=/peer4.test/198.18.0.7 \
	--pid-file="$TMP/dnsmasq.pid" >"$TMP/dnsmasq.log" 2>&1 &
PIDS+=("$!")
wait_for 10 ip netns exec "$HOSTNS" dig +short +time=1 +tries=1 @127.0.0.1 peer6.test AAAA ||
	{ cat "$TMP/dnsmasq.log"; fail "dnsmasq did not start"; finish; }
http_server "$HOSTNS" ::1 8080 || { fail "HTTP server on [::1]:8080 did not start"; finish; }

MAC=52:54:00:12:34:56

# facts NS TAP: one line per check, comparable between gateways.
facts() {
	local ns=$1 tap=$2 addr route ra
	ip netns exec "$ns" sysctl -qw net.ipv6.conf."$tap".accept_ra=1
	ip -n "$ns" link set "$tap" address "$MAC"
	ip -n "$ns" link set "$tap" down
	ip -n "$ns" link set "$tap" up
	# fec0::/10 is site-local to the kernel: no scope filter.
	if wait_for 20 sh -c "ip -n $ns -6 addr show dev $tap | grep -v tentative | grep -q 'inet6 fec0::'"; then
		addr=$(ip -n "$ns" -6 -o addr show dev "$tap" | awk '$4 ~ /^fec0::/ {print $4}' | head -n 1)
	else
		addr=none
	fi
	echo "slaac address: $addr"
	route=$(ip -n "$ns" -6 route show default | awk '{print $1, $2, $3}' | head -n 1)
	echo "default route: ${route:-none}"
	ra=$(ip netns exec "$ns" timeout 10 rdisc6 -1 -w 2000 -r 3 "$tap" 2>/dev/null)
	echo "ra prefix: $(echo "$ra" | awk '/Prefix/ {print $3}' | sort | tr '\n' ' ')"
	echo "ra rdnss: $(echo "$ra" | awk '/Recursive DNS server/ {print $NF}' | sort | tr '\n' ' ')"
	for a in fec0::2 fec0::3; do
		if ip netns exec "$ns" ping -6 -c 1 -W 2 "$a" >/dev/null 2>&1; then
			echo "echo $a: reply"
		else
			echo "echo $a: none"
		fi
	done
	echo "dns udp: $(ip netns exec "$ns" dig +short +time=2 +tries=2 @fec0::3 peer6.test AAAA 2>&1 | head -n 1)"
	echo "dns tcp: $(ip netns exec "$ns" dig +tcp +short +time=2 +tries=2 @fec0::3 peer4.test A 2>&1 | head -n 1)"
	rm -f "$TMP/got"
	if ip netns exec "$ns" timeout 30 curl -6 -sS --max-time 25 -o "$TMP/got" \
		"http://[fec0::2]:8080/blob" 2>"$TMP/curl.err" &&
		[ "$(sha256sum <"$TMP/got" | cut -d' ' -f1)" = "$BLOB_SUM" ]; then
		echo "http [fec0::2] -> [::1]: 4 MiB intact"
	else
		echo "http [fec0::2] -> [::1]: failed ($(head -c 200 "$TMP/curl.err"))"
	fi
}

# (a) usernet's own gateway.
tap=unet6a$TAG
start upid "$USERNET" -v -netdev user,id=u -netdev tap,id=t0,ifname="$tap"
if ! guest "$GUEST" "$tap"; then
	cat "$TMP/upid.log"
	fail "usernet's tap did not appear"
	finish
fi
facts "$GUEST" "$tap" >"$TMP/facts.usernet"
stop_pid "$upid" INT >/dev/null || fail "usernet exited badly on SIGINT"
grep -E 'AddressSanitizer|runtime error' "$TMP/upid.log" && fail "sanitizer report (usernet gateway)"
ip netns del "$GUEST"
NETNS=("${NETNS[@]/$GUEST/}")

# (b) QEMU's libslirp, the same guest through usernet's socket port.
tap=unet6b$TAG
start qpid "${QEMU[@]}" -netdev socket,id=s0,listen=127.0.0.1:5655 \
	-netdev hubport,id=h0,hubid=0,netdev=s0 \
	-netdev user,id=u0,ipv6=on -netdev hubport,id=h1,hubid=0,netdev=u0
sleep 0.5
start upid "$USERNET" -v -netdev tap,id=t0,ifname="$tap" \
	-netdev socket,id=s0,connect=127.0.0.1:5655
if ! guest "$GUEST" "$tap" || ! alive "$qpid" qpid; then
	cat "$TMP/upid.log"
	fail "the libslirp side did not come up"
	finish
fi
facts "$GUEST" "$tap" >"$TMP/facts.libslirp"
stop_pid "$upid" INT >/dev/null
stop_pid "$qpid" >/dev/null

echo "--- usernet:"
cat "$TMP/facts.usernet"
echo "--- libslirp:"
cat "$TMP/facts.libslirp"
if diff -u "$TMP/facts.libslirp" "$TMP/facts.usernet"; then
	ok "usernet and libslirp give the same $(wc -l <"$TMP/facts.usernet") answers"
else
	fail "usernet's answers differ from libslirp's (diff above: - libslirp, + usernet)"
fi
grep -q 'slaac address: fec0::' "$TMP/facts.usernet" || fail "no SLAAC address from usernet"
grep -q '4 MiB intact' "$TMP/facts.usernet" || fail "no HTTP over IPv6 through usernet"
finish
