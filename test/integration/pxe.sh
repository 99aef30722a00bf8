#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The gateway as a PXE boot server: with bootfile= and tftp= a client that
# boots from the network learns where its boot file is from DHCP alone (the
# BOOTP file field or option 67, the server from siaddr or option 66) and
# fetches it by TFTP, byte-exact. The client does what a PXE ROM does, with
# busybox: udhcpc on an unconfigured interface, then tftp from what it got.
#
#   namespace "guest"                    usernet (host namespace)
#  +----------------------+   tap   +-----------------------------------+
#  | unetxN  udhcpc, tftp |<------->| tap --- hub --- user (10.0.2.2:   |
#  +----------------------+         |                  DHCP, TFTP from  |
#                                   |                  DIR)             |
#                                   +-----------------------------------+
. "$(dirname "$0")/lib/common.sh"
need_root
need_cmd ip busybox sha256sum
busybox udhcpc --help >/dev/null 2>&1 || skip "this busybox has no udhcpc applet"
busybox tftp --help >/dev/null 2>&1 || skip "this busybox has no tftp applet"

tap=unetx$TAG
ns=unet-pxe-$TAG
mkdir -p "$TMP/tftp/boot" "$TMP/out"
head -c 300000 /dev/urandom >"$TMP/tftp/boot/loader.bin"

# The DHCP script records what the "ROM" was told and configures the link.
{ echo '#!/bin/sh'; echo "OUT='$TMP/out/lease'"; } >"$TMP/script.sh"
cat >>"$TMP/script.sh" <<'SCRIPT'
case "$1" in
bound)
	echo "ip=$ip subnet=$subnet boot_file=${boot_file-} siaddr=${siaddr-} tftp=${tftp-} sname=${sname-}" >"$OUT"
	ip addr add "$ip/$subnet" dev "$interface"
	;;
deconfig)
	ip link set "$interface" up
	;;
esac
exit 0
SCRIPT
chmod 755 "$TMP/script.sh"

"$USERNET" -netdev user,id=u,tftp="$TMP/tftp",bootfile=boot/loader.bin \
	-netdev tap,id=t,ifname="$tap" 2>"$TMP/usernet.log" &
PIDS+=("$!")
wait_for 10 ip link show "$tap" || { cat "$TMP/usernet.log"; fail "no tap"; finish; }
new_netns "$ns"
ip link set "$tap" netns "$ns"
ip -n "$ns" link set "$tap" up

if ip netns exec "$ns" timeout 30 busybox udhcpc -i "$tap" -q -n -t 5 -T 1 \
	-s "$TMP/script.sh" >"$TMP/udhcpc.log" 2>&1 && [ -s "$TMP/out/lease" ]; then
	ok "DHCP: $(cat "$TMP/out/lease")"
else
	cat "$TMP/udhcpc.log"
	fail "udhcpc got no lease"
	finish
fi
. <(tr ' ' '\n' <"$TMP/out/lease" | sed 's/^/lease_/')
[ "$lease_boot_file" = boot/loader.bin ] && ok "the boot file is named: $lease_boot_file" ||
	fail "boot file '$lease_boot_file', expected boot/loader.bin"
server=${lease_siaddr:-${lease_tftp:-}}
[ "$server" = 10.0.2.2 ] && ok "the boot server is $server" ||
	fail "boot server '$server' (siaddr '$lease_siaddr', option 66 '$lease_tftp'), expected 10.0.2.2"

# The "ROM" fetches what DHCP named, from where DHCP said.
if (cd "$TMP/out" && ip netns exec "$ns" timeout 60 busybox tftp -g -r "$lease_boot_file" \
	-l loader.bin "${server:-10.0.2.2}") >"$TMP/tftp.log" 2>&1; then
	want=$(sha256sum <"$TMP/tftp/boot/loader.bin")
	got=$(sha256sum <"$TMP/out/loader.bin")
	[ "$want" = "$got" ] && ok "boot file fetched by TFTP, byte-exact ($(stat -c %s "$TMP/out/loader.bin") bytes)" ||
		fail "boot file differs"
else
	cat "$TMP/tftp.log"
	fail "tftp of the boot file"
fi
finish
