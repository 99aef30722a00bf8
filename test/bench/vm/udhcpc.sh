#!/bin/sh
# SPDX-License-Identifier: MIT
# busybox udhcpc's event script in the guest of test/bench/vm.sh: on a lease,
# configure the interface and the default route, and note the address.
# udhcpc sets interface, ip, subnet and router in the environment.
# shellcheck disable=SC2154
case $1 in
deconfig)
	ip addr flush dev "$interface"
	;;
bound | renew)
	ifconfig "$interface" "$ip" netmask "${subnet:-255.255.255.0}" up
	for r in $router; do
		ip route replace default via "$r" dev "$interface"
		break
	done
	echo "$ip" >/tmp/lease
	;;
esac
exit 0
