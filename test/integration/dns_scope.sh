#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# A link-local IPv6 upstream with its scope in resolv.conf
# (`nameserver fe80::53%unetv0`): the DNS forwarder asks dnsmasq on that
# address over the interface the scope names, and a guest's query through
# 10.0.2.3 is answered, over UDP and over TCP; usernet logs the upstream
# with its scope. A scope naming no interface leaves no upstream
# (SERVFAIL). Everything but the guest's tap lives in a namespace the
# test makes, usernet with a private mount of resolv.conf: the host's
# interfaces and files are not touched.
#
#   namespace "up" ($up)                          namespace "guest" ($ns)
#  +------------------------------------------+  tap  +-------------------+
#  | veth unetv0 fe80::53/64 (peer unetv1)    |<----->| unetsN 10.0.2.15  |
#  | dnsmasq on [fe80::53%unetv0]:53          |       | dig @10.0.2.3     |
#  |   test.example -> 192.0.2.10             |       +-------------------+
#  | usernet, /etc/resolv.conf (bind mount):  |
#  |   nameserver fe80::53%unetv0             |
#  +------------------------------------------+
. "$(dirname "$0")/lib/common.sh"
need_root
need_cmd ip dig dnsmasq unshare mount timeout

up=unet-dscu-$TAG
ns=unet-dscg-$TAG
tap=unets$TAG

new_netns "$up"
ip -n "$up" link add unetv0 type veth peer name unetv1 ||
	skip "no veth interfaces in this kernel"
ip -n "$up" link set unetv0 up
ip -n "$up" link set unetv1 up
ip -n "$up" addr add fe80::53/64 dev unetv0 nodad

ip netns exec "$up" dnsmasq --no-daemon --conf-file=/dev/null --port=53 \
	--interface=unetv0 --bind-interfaces --no-resolv --no-hosts \
	--user=root --group=root --address=/test.example/192.0.2.10 \
	--log-queries --log-facility="$TMP/dnsmasq.log" 2>"$TMP/dnsmasq.err" &
PIDS+=("$!")
wait_for 10 ip netns exec "$up" dig @fe80::53%unetv0 +time=1 +tries=1 a.test.example ||
	{ cat "$TMP/dnsmasq.err"; fail "dnsmasq did not start"; finish; }
ok "dnsmasq answers on [fe80::53%unetv0]:53"

# start_usernet RESOLV LOG: usernet in $up with RESOLV as its
# /etc/resolv.conf, its tap moved into a new $ns as 10.0.2.15/24.
start_usernet() {
	local resolv=$1 log=$2
	ip netns exec "$up" unshare -m sh -c \
		'mount --bind "$1" /etc/resolv.conf && shift && exec "$@"' sh \
		"$resolv" "$USERNET" -v -netdev user,id=u \
		-netdev tap,id=t,ifname="$tap" 2>"$log" &
	UPID=$!
	PIDS+=("$UPID")
	wait_for 10 ip -n "$up" link show "$tap" ||
		{ cat "$log"; fail "usernet did not create $tap"; finish; }
	new_netns "$ns"
	ip -n "$up" link set "$tap" netns "$ns"
	ip -n "$ns" addr add 10.0.2.15/24 dev "$tap"
	ip -n "$ns" link set "$tap" up
}

printf 'nameserver fe80::53%%unetv0\n' >"$TMP/resolv.conf"
start_usernet "$TMP/resolv.conf" "$TMP/usernet.log"
gdig() { ip netns exec "$ns" timeout 20 dig @10.0.2.3 +time=3 +tries=1 "$@"; }

if wait_for 10 sh -c "ip netns exec $ns dig @10.0.2.3 +time=1 +tries=1 +short a.test.example | grep -qx 192.0.2.10"; then
	ok "UDP: a.test.example is 192.0.2.10 through the link-local upstream"
else
	gdig a.test.example
	cat "$TMP/usernet.log"
	fail "UDP through the link-local upstream"
fi
if gdig +tcp +short b.test.example | grep -qx 192.0.2.10; then
	ok "TCP: b.test.example is 192.0.2.10"
else
	fail "TCP through the link-local upstream"
fi
if grep -q 'upstream servers from /etc/resolv.conf: \[fe80::53%unetv0\]:53' "$TMP/usernet.log"; then
	ok "usernet names the upstream with its scope"
else
	cat "$TMP/usernet.log"
	fail "no log line naming [fe80::53%unetv0]:53"
fi
if grep -q 'query\[A\] b.test.example from fe80::' "$TMP/dnsmasq.log"; then
	ok "dnsmasq saw the query from a link-local address"
else
	cat "$TMP/dnsmasq.log"
	fail "dnsmasq did not log the query"
fi
stop_pid "$UPID" >/dev/null
ip netns del "$ns"

# A scope that names no interface: skipped, so no upstream at all.
printf 'nameserver fe80::53%%nosuchif9\n' >"$TMP/resolv2.conf"
start_usernet "$TMP/resolv2.conf" "$TMP/usernet2.log"
if wait_for 10 sh -c "ip netns exec $ns dig @10.0.2.3 +time=1 +tries=1 a.test.example | grep -q 'status: SERVFAIL'"; then
	ok "a scope naming no interface: SERVFAIL"
else
	gdig a.test.example
	fail "a scope naming no interface was used"
fi
if grep -q 'skipped for their scope' "$TMP/usernet2.log"; then
	ok "usernet says it skipped it"
else
	cat "$TMP/usernet2.log"
	fail "no log line about the skipped nameserver"
fi
finish
