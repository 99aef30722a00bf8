#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# usernet on VDE: two usernet processes plugged into Debian's vde_switch
# (and then into a vdeplug4 vxvde:// distributed switch, which needs no
# switch process at all), a namespace on each. Only A runs a stack: both
# namespaces get their DHCP lease from it (B's through the switch), ping
# each other and move 4 MiB over HTTP, compared byte for byte. MTU 1500: a
# classic vde_switch truncates frames above 1518 bytes.
#
#   namespace "host" (lo only, multicast on)
#  +-------------------------------------------------------------------+
#  |  usernet A (user, tap, vde) --+   vde_switch -s DIR   +-- usernet B |
#  |                               +---(unix dgram)--------+   (tap, vde)|
#  +-----------|--------------------------------------------------|-----+
#      namespace "ga": udhcpc, httpd          namespace "gb": udhcpc, curl
#
# vde_switch runs in the foreground (its PID is ours to stop); it exits on
# end of file on its console, so its stdin is a FIFO the test holds open.
# Then the switch is stopped under a plugged-in usernet, which must notice.
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/link.sh"
need_root
need_cmd ip vde_switch busybox curl sha256sum ping
busybox udhcpc --help >/dev/null 2>&1 || skip "this busybox has no udhcpc applet"
busybox httpd --help >/dev/null 2>&1 || skip "this busybox has no httpd applet"
# libvdeplug4 loads its plugins with dlopen(RTLD_DEEPBIND), which the
# AddressSanitizer runtime refuses (google/sanitizers#611): the plain build
# of tools/test.sh runs this test.
if ldd "$USERNET" 2>/dev/null | grep -q 'lib[at]san'; then
	skip "usernet is built with a sanitizer, which cannot load libvdeplug's plugins (RTLD_DEEPBIND); the plain build runs this test"
fi

link_setup
GA=unet-lga-$TAG
GB=unet-lgb-$TAG

# vde_check NAME TAPA TAPB: leases, pings, the transfer B <- A.
vde_check() {
	local name=$1 ta=$2 tb=$3 la lb hpid
	if ! guest "$GA" "$ta" || ! guest "$GB" "$tb"; then
		fail "$name: a tap did not appear"
		return
	fi
	ip -n "$GA" link set "$ta" mtu 1500
	ip -n "$GB" link set "$tb" mtu 1500
	if ! la=$(dhcp "$GA" "$ta") || ! lb=$(dhcp "$GB" "$tb"); then
		cat "$TMP/apid.log" "$TMP/bpid.log"
		fail "$name: no DHCP lease (B's goes through the switch)"
		return
	fi
	la=${la%% *}
	lb=${lb%% *}
	if ! ip netns exec "$GB" timeout 10 ping -c 3 -i 0.2 -W 2 "$la" >"$TMP/ping" 2>&1 ||
		! ip netns exec "$GA" timeout 10 ping -c 3 -i 0.2 -W 2 "$lb" >>"$TMP/ping" 2>&1; then
		cat "$TMP/ping"
		fail "$name: ping between $la and $lb"
		return
	fi
	ip netns exec "$GA" busybox httpd -f -p "$la:8000" -h "$TMP/www" \
		>/dev/null 2>&1 &
	hpid=$!
	PIDS+=("$hpid")
	wait_for 10 ip netns exec "$GA" bash -c "exec 3<>/dev/tcp/$la/8000"
	if fetch "$GB" "http://$la:8000/blob"; then
		ok "$name: leases $la (A) and $lb (B, through the switch), ping both ways, 4 MiB intact"
	else
		fail "$name: the transfer from $la to $lb"
	fi
	kill "$hpid" 2>/dev/null
	wait "$hpid" 2>/dev/null
}

# vde_case NAME SOCK: A and B plugged into SOCK.
vde_case() {
	local name=$1 sock=$2 ta=unetva$3$TAG tb=unetvb$3$TAG
	start apid "$USERNET" -v --mtu 1500 -netdev user,id=u0 \
		-netdev tap,id=t0,ifname="$ta" -netdev vde,id=v0,sock="$sock"
	start bpid "$USERNET" -v --mtu 1500 -netdev tap,id=t0,ifname="$tb" \
		-netdev vde,id=v0,sock="$sock"
	vde_check "$name" "$ta" "$tb"
	alive "$apid" apid || fail "$name: A exited"
	alive "$bpid" bpid || fail "$name: B exited"
	stop_pid "$apid" INT >/dev/null || fail "$name: A did not exit 0 on SIGINT"
	stop_pid "$bpid" INT >/dev/null || fail "$name: B did not exit 0 on SIGINT"
	grep -E 'AddressSanitizer|runtime error' "$TMP/apid.log" "$TMP/bpid.log" &&
		fail "$name: sanitizer report"
	ip netns del "$GA" 2>/dev/null
	ip netns del "$GB" 2>/dev/null
}

# The classic switch, its console on a FIFO we hold open.
mkfifo "$TMP/vde.console"
ip netns exec "$HOSTNS" vde_switch -s "$TMP/switch" <"$TMP/vde.console" \
	>"$TMP/switch.log" 2>&1 &
SWITCH=$!
PIDS+=("$SWITCH")
exec 9>"$TMP/vde.console"
CLEANUPS+=("exec 9>&-")
wait_for 10 test -S "$TMP/switch/ctl" || { cat "$TMP/switch.log"; fail "vde_switch did not start"; finish; }

vde_case "vde_switch" "$TMP/switch" 1

# A switch that goes away: the port says so once and usernet goes on.
alive "$SWITCH" switch || fail "vde_switch exited early"
# Right after two clients left, libvdeplug's vde_open() has been seen to
# fail once in a while with ENOENT although the switch runs (an open
# question, see the issue); a bounded retry keeps this check about the
# switch going away.
for try in 1 2 3; do
	start apid "$USERNET" -v --mtu 1500 -netdev vde,id=v0,sock="$TMP/switch"
	wait_for 10 grep -q "plugged into" "$TMP/apid.log" && break
	wait "$apid" 2>/dev/null
	echo "vde: try $try: $(cat "$TMP/apid.log")"
	sleep 0.5
done
grep -q "plugged into" "$TMP/apid.log" || fail "vde: usernet did not plug in"
stop_pid "$SWITCH" >/dev/null
wait_for 10 grep -q "port down" "$TMP/apid.log" &&
	ok "vde_switch gone: usernet logged it and kept running" ||
	{ cat "$TMP/apid.log"; fail "vde: the switch's end was not noticed"; }
alive "$apid" apid || fail "vde: usernet exited when the switch went away"
stop_pid "$apid" INT >/dev/null || fail "vde: usernet did not exit 0 after the switch left"
exec 9>&-

# vxvde: a distributed switch over multicast, no switch process.
vde_case "vxvde:// (vdeplug4)" "vxvde://239.255.44.1" 2

finish
