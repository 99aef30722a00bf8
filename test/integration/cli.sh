#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The command line: every bad option is one line on stderr naming it, exit
# status 2, and nothing is started; runtime failures exit 1 with a reason;
# --help tells every netdev type. No network is touched (a tap is only
# created in the one check that shows a bad option stops it being made).
. "$(dirname "$0")/lib/common.sh"

# expect_usage_error EXPECTED-SUBSTRING ARGS...
expect_usage_error() {
	local want=$1 rc lines
	shift
	timeout 10 "$USERNET" "$@" >"$TMP/out" 2>"$TMP/err"
	rc=$?
	lines=$(wc -l <"$TMP/err")
	if [ "$rc" = 2 ] && [ "$lines" = 1 ] && grep -qF -- "$want" "$TMP/err" && [ ! -s "$TMP/out" ]; then
		ok "usernet $*: exit 2: $(cat "$TMP/err")"
	else
		fail "usernet $*: exit $rc, $lines lines: $(cat "$TMP/err") (wanted '$want')"
	fi
}

expect_usage_error "unknown type 'bogus'" -netdev bogus,id=x
expect_usage_error "unknown key 'foo'" -netdev user,id=u,foo=1
expect_usage_error "id" -netdev user
expect_usage_error "net" -netdev user,id=u,net=10.0.2.5/24
expect_usage_error "host" -netdev user,id=u,host=10.0.3.2
expect_usage_error "dns" -netdev user,id=u,dns=10.0.2.2
expect_usage_error "10.0.2.256" -netdev user,id=u,dns=10.0.2.256
expect_usage_error "ifname" -netdev tap,id=t,ifname=averyveryverylongname
expect_usage_error "fd" -netdev tap,id=t,fd=12x
expect_usage_error "file" -netdev dump,id=d
expect_usage_error "len" -netdev dump,id=d,file=x.pcap,len=0
expect_usage_error "'u' used twice" -netdev user,id=u -netdev dump,id=u,file=x.pcap
expect_usage_error "only one user netdev" -netdev user,id=a -netdev user,id=b
expect_usage_error "--mtu" --mtu 100 -netdev user,id=u
expect_usage_error "--mtu" --mtu 70000 -netdev user,id=u
expect_usage_error "--mtu" --mtu abc -netdev user,id=u
expect_usage_error "--busy-poll" --busy-poll 1001 -netdev user,id=u
expect_usage_error "--busy-poll" --busy-poll -1 -netdev user,id=u
expect_usage_error "--seed" --seed 0 -netdev user,id=u
expect_usage_error "--seed" --seed -3 -netdev user,id=u
expect_usage_error "--seed" --seed 1x -netdev user,id=u
expect_usage_error "needs a value" -netdev
expect_usage_error "unknown option '--frobnicate'" --frobnicate
expect_usage_error "unexpected argument 'stray'" -netdev user,id=u stray
expect_usage_error "nothing to do"
expect_usage_error "missing '-- CMD'" run
expect_usage_error "unknown key" run -netdev user,id=u,bad=1 -- true

# --help and friends: exit 0, on stdout.
timeout 10 "$USERNET" --help >"$TMP/help" 2>&1 && rc=0 || rc=$?
if [ "$rc" = 0 ] && grep -q -- '-netdev user' "$TMP/help" && grep -q -- '-netdev tap' "$TMP/help" &&
	grep -q -- '-netdev dump' "$TMP/help" && grep -q -- '--mtu' "$TMP/help" && grep -q 'usernet run' "$TMP/help"; then
	ok "--help names user, tap, dump, --mtu and run"
else
	fail "--help: exit $rc"
fi
timeout 10 "$USERNET" run --help >"$TMP/help" 2>&1 && grep -q '10.0.2.100' "$TMP/help" &&
	ok "run --help describes the namespace" || fail "run --help"
timeout 10 "$USERNET" -netdev help >"$TMP/help" 2>&1 && grep -q 'user tap dump' "$TMP/help" &&
	ok "-netdev help lists the types" || fail "-netdev help: $(cat "$TMP/help")"
timeout 10 "$USERNET" --version | grep -qE '^usernet [0-9]+\.[0-9]+' && ok "--version" || fail "--version"

# Runtime failures: exit 1 and a line that says what could not be opened.
timeout 10 "$USERNET" -netdev dump,id=d,file=/nonexistent-dir/x.pcap 2>"$TMP/err"
rc=$?
[ "$rc" = 1 ] && grep -q 'dump,id=d: cannot write /nonexistent-dir/x.pcap' "$TMP/err" &&
	ok "unwritable dump file: exit 1: $(cat "$TMP/err")" || fail "unwritable dump: exit $rc: $(cat "$TMP/err")"
timeout 10 "$USERNET" -netdev tap,id=t,fd=987 2>"$TMP/err"
rc=$?
[ "$rc" = 1 ] && grep -q 'tap,id=t: cannot open tap' "$TMP/err" &&
	ok "bad tap fd: exit 1: $(cat "$TMP/err")" || fail "bad tap fd: exit $rc: $(cat "$TMP/err")"

# A bad option later on the line stops everything before it from starting.
if [ "$(id -u)" = 0 ] && [ -c /dev/net/tun ]; then
	tap=unetc$TAG
	timeout 10 "$USERNET" -netdev tap,id=t,ifname="$tap" -netdev bogus,id=x 2>/dev/null
	rc=$?
	if [ "$rc" = 2 ] && ! ip link show "$tap" >/dev/null 2>&1; then
		ok "a bad option after a tap: exit 2 and no tap was made"
	else
		ip link del "$tap" 2>/dev/null
		fail "a bad option after a tap: exit $rc, tap made: $(ip link show "$tap" 2>&1)"
	fi
else
	echo "note: not root, the no-tap-made check is left out"
fi

finish
