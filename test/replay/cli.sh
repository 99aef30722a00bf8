#!/bin/bash
# SPDX-License-Identifier: MIT
# `usernet replay` from the outside: options, script errors, failing
# expectations and what they print, --in runs, and malformed pcap files.
#
#   cli.sh USERNET
set -u
usernet=$1
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

# check NAME WANT_STATUS PATTERN -- CMD...: CMD exits WANT_STATUS and its
# stderr matches the extended regex PATTERN ("" for an empty stderr).
check() {
	local name=$1 want=$2 pattern=$3 got
	shift 4
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" != "$want" ] ||
	   { [ -n "$pattern" ] && ! grep -Eq -- "$pattern" "$tmp/err"; } ||
	   { [ -z "$pattern" ] && [ -s "$tmp/err" ]; }; then
		echo "FAIL $name: status $got (want $want), stderr:" >&2
		sed 's/^/    /' "$tmp/err" >&2
		fails=$((fails + 1))
	else
		echo "ok   $name"
	fi
}

# ---- options ----
check "no input" 2 "nothing to play" -- "$usernet" replay
check "bad seed" 2 "--seed x" -- "$usernet" replay --seed x --script "$here/arp.replay"
check "seed 0" 2 "above 0" -- "$usernet" replay --seed 0 --script "$here/arp.replay"
check "bad mtu" 2 "--mtu 100" -- "$usernet" replay --mtu 100 --in "$here/arp.pcap"
check "bad linger" 2 "--linger 5" -- "$usernet" replay --linger 5 --in "$here/arp.pcap"
check "fast alone" 2 "--fast goes with --in" -- "$usernet" replay --fast --script "$here/arp.replay"
check "in-filter alone" 2 "--in-filter goes with --in" -- "$usernet" replay --in-filter arp --script "$here/arp.replay"
check "unknown option" 2 "unknown option" -- "$usernet" replay --bogus
check "not a user netdev" 2 "only a user netdev" -- "$usernet" replay -netdev tap,id=t0 --in "$here/arp.pcap"
check "help" 0 "" -- "$usernet" replay --help
grep -q -- "--script FILE" "$tmp/out" || { echo "FAIL help text" >&2; fails=$((fails + 1)); }
check "missing script" 1 "nope.replay: No such file" -- "$usernet" replay --script "$tmp/nope.replay"

# ---- script syntax: exit 2, the file and line named ----
bad() {
	printf '%s\n' "$2" >"$tmp/bad.replay"
	check "script: $1" 2 "bad.replay: line [0-9]+: .*$3" -- "$usernet" replay --script "$tmp/bad.replay"
}
bad "unknown step" "frobnicate" "unknown step 'frobnicate'"
bad "open quote" 'expect "arp' "a quote is not closed"
bad "no duration unit" "advance 5" "advance: needs one duration"
bad "within without duration" 'expect "arp" within' "'within' needs a duration"
bad "count 0" 'expect 0 "arp"' "count '0' is not"
bad "unknown send" "send smoke" "unknown kind 'smoke'"
bad "bad hex" "send hex zz" "'zz' is not hex"
bad "unknown key" "send icmp 10.0.2.2 colour=red" "unknown key"
bad "save field" 'expect "arp" save x=ip.colour' "unknown field"
bad "seed late" "$(printf 'advance 1s\nseed 3')" "seed must come before"
bad "serve kind" "serve ftp x" "serve: KIND NAME"
bad "dhcp kind" "send dhcp offer" "not discover, request or release"
bad "http size" "serve http web size=100000000" "up to 64 MiB"
bad "size on echo" "serve tcp-echo e size=10" "only http takes size"

# ---- failures at run time: exit 1, the step, filter and frames shown ----
cat >"$tmp/fail.replay" <<'SCRIPT'
send arp 10.0.2.2
expect "arp[6:2] = 2 and arp[14:4] = 0x0a000203" within 200ms
SCRIPT
check "expect fails" 1 "fail.replay:2: expect .*arp\[14:4\] = 0x0a000203" -- "$usernet" replay --script "$tmp/fail.replay"
grep -q "0 of 1 frame matching" "$tmp/err" &&
grep -q "ARP reply 10.0.2.2 is-at 52:55:0a:00:02:02" "$tmp/err" ||
	{ echo "FAIL expect fails: no summary of the frames that came" >&2; fails=$((fails + 1)); }
printf 'send icmp 10.0.2.2\nexpect-none "icmp" within 100ms\n' >"$tmp/none.replay"
check "expect-none fails" 1 "1 frame matching \"icmp\" arrived" -- "$usernet" replay --script "$tmp/none.replay"
printf 'send icmp 10.0.2.2 id=$nope\n' >"$tmp/var.replay"
check "unset variable" 1 "\\\$nope is not set" -- "$usernet" replay --script "$tmp/var.replay"
printf 'expect "tcp port" within 1ms\n' >"$tmp/filter.replay"
check "bad filter" 1 "filter \"tcp port\"" -- "$usernet" replay --script "$tmp/filter.replay"
printf 'send pcap arp.pcap\nexpect 2 "arp" within 1s like arp-expect.pcap#2\n' >"$tmp/like.replay"
cp "$here/arp.pcap" "$here/arp-expect.pcap" "$tmp/"
check "like mismatch" 1 "byte [0-9]+ is 0x" -- "$usernet" replay --script "$tmp/like.replay"

# ---- --in: timed and fast, the same bytes on every run ----
check "in timed" 0 "" -- "$usernet" replay --in "$here/icmp.pcap" --out "$tmp/a.pcapng"
check "in timed again" 0 "" -- "$usernet" replay --in "$here/icmp.pcap" --out "$tmp/b.pcapng"
cmp -s "$tmp/a.pcapng" "$tmp/b.pcapng" ||
	{ echo "FAIL --in: two runs differ" >&2; fails=$((fails + 1)); }
check "in other seed" 0 "" -- "$usernet" replay --seed 99 --in "$here/icmp.pcap" --out "$tmp/c.pcapng"
check "in fast" 0 "" -- "$usernet" replay --fast --in "$here/icmp.pcap" --out "$tmp/f.pcapng"
if command -v tshark >/dev/null; then
	# Timed: the three replies 1 s apart; fast: all at 0. Directions set.
	got=$(tshark -r "$tmp/a.pcapng" -Y "icmp.type == 0" -T fields -e frame.time_relative 2>/dev/null | tr '\n' ' ')
	[ "$got" = "0.000000000 1.000000000 2.000000000 " ] ||
		{ echo "FAIL timed replies at '$got'" >&2; fails=$((fails + 1)); }
	got=$(tshark -r "$tmp/f.pcapng" -Y "icmp.type == 0" -T fields -e frame.time_relative 2>/dev/null | tr '\n' ' ')
	[ "$got" = "0.000000000 0.000000000 0.000000000 " ] ||
		{ echo "FAIL fast replies at '$got'" >&2; fails=$((fails + 1)); }
	got=$(tshark -r "$tmp/a.pcapng" -T fields -e frame.packet_flags_direction -e icmp.type 2>/dev/null | awk '$2 != "" {print $1 "/" $2}' | sort | uniq -c | tr -s ' ' | tr '\n' ' ')
	[ "$got" = " 3 0x00000001/0  3 0x00000002/8 " ] ||
		{ echo "FAIL directions: '$got'" >&2; fails=$((fails + 1)); }
	echo "ok   timing and directions read back by tshark"
fi

# ---- --in-filter and send pcap filter=: only the frames that match ----
check "in-filter" 0 "" -- "$usernet" replay --in "$here/icmp.pcap" --in-filter "icmp[6:2] = 2" --out "$tmp/flt.pcapng"
check "bad in-filter" 1 "filter \"icmp\[\": " -- "$usernet" replay --in "$here/icmp.pcap" --in-filter "icmp["
if command -v tshark >/dev/null; then
	got=$(tshark -r "$tmp/flt.pcapng" -Y icmp -T fields -e icmp.type -e icmp.seq 2>/dev/null | tr '\n\t' ' :')
	[ "$got" = "8:2 0:2 " ] || { echo "FAIL in-filter injected '$got'" >&2; fails=$((fails + 1)); }
fi
cp "$here/arp.pcap" "$tmp/"
cat >"$tmp/flt.replay" <<'SCRIPT'
send pcap arp.pcap fast filter="arp[24:4] = 0x0a000203"
expect "arp[6:2] = 2 and arp[14:4] = 0x0a000203" within 10ms
expect-none "arp[6:2] = 2" within 2s
SCRIPT
check "send pcap filter=" 0 "" -- "$usernet" replay --script "$tmp/flt.replay"

# ---- malformed pcap files: exit 1, the file and the record named ----
python3 - "$tmp" "$here/icmp.pcap" <<'PY'
import struct, sys
tmp, good = sys.argv[1], open(sys.argv[2], "rb").read()
hdr, rec1 = good[:24], good[24:24 + 16 + 98]
def w(name, data):
    open(f"{tmp}/{name}", "wb").write(data)
w("trunc-header.pcap", hdr + rec1 + rec1[:10])          # record 2 cut in its header
w("trunc-data.pcap", hdr + rec1 + rec1[:40])            # record 2 cut in its data
w("huge.pcap", hdr + rec1 + struct.pack("<IIII", 0, 0, 0x7fffffff, 0x7fffffff) + b"x" * 64)
w("linktype.pcap", hdr[:20] + struct.pack("<I", 101) + rec1)   # raw IP, not Ethernet
w("snapped.pcap", hdr + rec1[:8] + struct.pack("<II", 60, 98) + rec1[16:76])
w("garbage.pcap", b"this is not a capture file at all\n" * 4)
w("empty.pcap", b"")
PY
check "truncated record header" 1 "trunc-header.pcap: record 2: .*truncated" -- "$usernet" replay --in "$tmp/trunc-header.pcap"
check "truncated record data" 1 "trunc-data.pcap: record 2: .*truncated" -- "$usernet" replay --in "$tmp/trunc-data.pcap"
check "absurd captured length" 1 "huge.pcap: record 2: .*(bigger|length)" -- "$usernet" replay --in "$tmp/huge.pcap"
check "wrong link type" 1 "linktype.pcap: link type .*not Ethernet" -- "$usernet" replay --in "$tmp/linktype.pcap"
check "snapped record" 1 "snapped.pcap: record 1: only 60 of its 98 bytes" -- "$usernet" replay --in "$tmp/snapped.pcap"
check "not a pcap" 1 "garbage.pcap: not a pcap or pcapng file" -- "$usernet" replay --in "$tmp/garbage.pcap"
check "empty file" 1 "empty.pcap: not a pcap or pcapng file" -- "$usernet" replay --in "$tmp/empty.pcap"
check "missing file" 1 "nothere.pcap: No such file" -- "$usernet" replay --in "$tmp/nothere.pcap"
printf 'send pcap huge.pcap\n' >"$tmp/huge.replay"
check "bad pcap in a script" 1 "huge.replay:1: send pcap huge.pcap" -- "$usernet" replay --script "$tmp/huge.replay"

if [ "$fails" -ne 0 ]; then
	echo "$fails check(s) failed" >&2
	exit 1
fi
echo "all checks passed"
