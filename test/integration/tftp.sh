#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The gateway's TFTP server, with real clients in a guest namespace:
# tftp-hpa (512-byte blocks, no options: a big file wraps the block number)
# and busybox tftp (blksize); byte-exact small and big files, two transfers
# at once, traversal attempts that must fail without a byte of content, and
# transfers through a link that drops 5 % of the guest's frames (lost ACKs
# and requests).
#
#   namespace "guest"                       usernet (host namespace)
#  +------------------------------+  tap  +-----------------------------------+
#  | unettN 10.0.2.15/24          |<----->| tap port --- hub --- user gateway |
#  | tftp / busybox tftp          |       |   10.0.2.2:69 serves $TMP/root    |
#  +------------------------------+       |   read-only (tftp=DIR)            |
#                                         +-----------------------------------+
#  (the lost-frame check has a topology of its own, pictured there)
#
#   $TMP/root: small.txt, big.bin ($TFTP_BIG_MB MiB), lossy.bin (256 KiB),
#              shadow -> /etc/shadow, passwd -> /etc/passwd,
#              out -> $TMP/outside (holds secret.txt)
#
# Environment: TFTP_BIG_MB (100) MiB for the big file.
. "$(dirname "$0")/lib/common.sh"
need_root
need_cmd ip ping tftp busybox sha256sum timeout cmp python3 sysctl

TFTP_BIG_MB=${TFTP_BIG_MB:-100}
tap=unett$TAG
ns=unet-tftp-$TAG
GW=10.0.2.2
ROOT=$TMP/root
OUT=$TMP/guest
gx() { ip netns exec "$ns" "$@"; }

busybox tftp 2>&1 | grep -q -- '-b SIZE' || skip "this busybox has no tftp blksize option"

mkdir -p "$ROOT" "$OUT" "$TMP/outside"
echo "SECRET-OUTSIDE-THE-ROOT" >"$TMP/outside/secret.txt"
printf 'hello from the gateway\nsecond line\n' >"$ROOT/small.txt"
head -c $((TFTP_BIG_MB * 1024 * 1024)) /dev/urandom >"$ROOT/big.bin"
head -c $((256 * 1024)) /dev/urandom >"$ROOT/lossy.bin"
ln -s /etc/shadow "$ROOT/shadow"
ln -s /etc/passwd "$ROOT/passwd"
ln -s "$TMP/outside" "$ROOT/out"
big_sum=$(sha256sum <"$ROOT/big.bin" | cut -d' ' -f1)

"$USERNET" -v -netdev user,id=u,tftp="$ROOT" -netdev tap,id=t,ifname="$tap" \
	2>"$TMP/usernet.log" &
upid=$!
PIDS+=("$upid")
if ! wait_for 10 ip link show "$tap"; then
	cat "$TMP/usernet.log"
	if grep -q "tftp" "$TMP/usernet.log"; then
		fail "usernet refused tftp=DIR (is the key there?)"
	else
		fail "usernet did not create $tap"
	fi
	finish
fi
new_netns "$ns"
ip link set "$tap" netns "$ns"
ip -n "$ns" addr add 10.0.2.15/24 dev "$tap"
ip -n "$ns" link set "$tap" up
wait_for 10 gx ping -c 1 -W 1 "$GW" || { cat "$TMP/usernet.log"; fail "the gateway does not answer ping"; finish; }

# hpa_get REMOTE LOCAL [SECONDS]: tftp-hpa, octet mode, in the guest; its
# output in LOCAL.log (tftp-hpa exits 0 even when a transfer fails).
hpa_get() {
	(cd "$OUT" && gx timeout "${3:-60}" tftp -m binary "$GW" -c get "$1" "$2") \
		>"$OUT/$2.log" 2>&1
}

# bb_get REMOTE LOCAL [BLKSIZE [SECONDS]]: busybox tftp; 0 when it got it.
bb_get() {
	local b=()
	[ -n "${3:-}" ] && b=(-b "$3")
	(cd "$OUT" && gx timeout "${4:-60}" busybox tftp -g "${b[@]}" -r "$1" -l "$2" "$GW") \
		>"$OUT/$2.log" 2>&1
}

# --- small file, byte-exact ------------------------------------------------
rm -f "$OUT/small.hpa"
if hpa_get small.txt small.hpa && cmp -s "$OUT/small.hpa" "$ROOT/small.txt"; then
	ok "tftp-hpa: small.txt, byte-exact"
else
	cat "$OUT/small.hpa.log"
	fail "tftp-hpa: small.txt"
fi
if bb_get small.txt small.bb && cmp -s "$OUT/small.bb" "$ROOT/small.txt"; then
	ok "busybox tftp: small.txt, byte-exact"
else
	cat "$OUT/small.bb.log"
	fail "busybox tftp: small.txt"
fi

# --- the big file: 512-byte blocks (the block number wraps), and blksize ---
t0=$(date +%s%N)
if hpa_get big.bin big.hpa 240 &&
	[ "$(sha256sum <"$OUT/big.hpa" | cut -d' ' -f1)" = "$big_sum" ]; then
	t1=$(date +%s%N)
	ok "tftp-hpa: $TFTP_BIG_MB MiB in 512-byte blocks ($(((TFTP_BIG_MB * 1024 * 1024 + 511) / 512)) blocks), sha256 equal, $(((t1 - t0) / 1000000)) ms"
else
	cat "$OUT/big.hpa.log"
	fail "tftp-hpa: big.bin (sha256 differs or the transfer failed)"
fi
rm -f "$OUT/big.hpa"
t0=$(date +%s%N)
if bb_get big.bin big.bb 1468 240 &&
	[ "$(sha256sum <"$OUT/big.bb" | cut -d' ' -f1)" = "$big_sum" ]; then
	t1=$(date +%s%N)
	ok "busybox tftp -b 1468: $TFTP_BIG_MB MiB, sha256 equal, $(((t1 - t0) / 1000000)) ms"
else
	cat "$OUT/big.bb.log"
	fail "busybox tftp -b 1468: big.bin (sha256 differs or the transfer failed)"
fi
rm -f "$OUT/big.bb"

# --- two transfers at once -------------------------------------------------
hpa_get big.bin conc1 240 &
p1=$!
bb_get big.bin conc2 1468 240 &
p2=$!
wait "$p1"
r1=$?
wait "$p2"
r2=$?
s1=$(sha256sum <"$OUT/conc1" 2>/dev/null | cut -d' ' -f1)
s2=$(sha256sum <"$OUT/conc2" 2>/dev/null | cut -d' ' -f1)
if [ "$r1" = 0 ] && [ "$r2" = 0 ] && [ "$s1" = "$big_sum" ] && [ "$s2" = "$big_sum" ]; then
	ok "two transfers at once (tftp-hpa and busybox): both sha256 equal"
else
	cat "$OUT/conc1.log" "$OUT/conc2.log"
	fail "two transfers at once: exit $r1/$r2, sums ${s1:-none}/${s2:-none}"
fi
rm -f "$OUT/conc1" "$OUT/conc2"

# --- traversal: each fails with an error and no content --------------------
# content_free FILE: true when FILE is missing or holds nothing of the files
# outside the root.
content_free() {
	[ ! -s "$1" ] || ! grep -qE 'root:|SECRET' "$1"
}
i=0
for name in ../../etc/passwd /etc/passwd shadow passwd out/secret.txt \
	../outside/secret.txt sub/../../outside/secret.txt; do
	i=$((i + 1))
	rm -f "$OUT/trav$i"
	hpa_get "$name" "trav$i" 30
	if grep -qiE 'error code [12]|access violation|not found' "$OUT/trav$i.log" &&
		content_free "$OUT/trav$i"; then
		ok "tftp-hpa get $name: $(grep -oiE 'error code [0-9]+: [a-z ]+' "$OUT/trav$i.log" | head -1), no content"
	else
		cat "$OUT/trav$i.log"
		fail "tftp-hpa get $name: no error, or content arrived"
	fi
	rm -f "$OUT/btrav$i"
	if bb_get "$name" "btrav$i" "" 30; then
		fail "busybox tftp get $name succeeded"
	elif content_free "$OUT/btrav$i"; then
		ok "busybox tftp get $name: $(head -c 80 "$OUT/btrav$i.log" | tr '\n' ' ')"
	else
		fail "busybox tftp get $name: content arrived"
	fi
done
if hpa_get nothere.txt nothere 30 && grep -qi 'error code 1' "$OUT/nothere.log"; then
	ok "tftp-hpa get nothere.txt: error 1, file not found"
else
	cat "$OUT/nothere.log"
	fail "tftp-hpa get nothere.txt: no 'error code 1'"
fi
# A write is refused and nothing appears in the root.
echo data >"$OUT/up.txt"
(cd "$OUT" && gx timeout 30 tftp -m binary "$GW" -c put up.txt) >"$OUT/put.log" 2>&1
if grep -qi 'error code 2' "$OUT/put.log" && [ ! -e "$ROOT/up.txt" ]; then
	ok "tftp-hpa put: error 2, nothing written"
else
	cat "$OUT/put.log"
	fail "tftp-hpa put: not refused with error 2"
fi

# --- lost frames: 5 % of what the guest sends is dropped -------------------
# This kernel may lack sch_netem, so the dropping point is a relay: a second
# usernet whose tap stays in the host namespace, and a small Python relay
# between that tap (AF_PACKET) and a tap of its own in a second guest
# namespace. It drops 5 % of the guest's frames (requests and ACKs), with a
# fixed seed, and passes everything else both ways.
#
#   namespace "lossy"            relay.py (host ns)              usernet #2
#  +-------------------+  tap  +-------------------+  AF_PACKET  +------------------+
#  | unetlN 10.0.2.15  |<----->| drops 5 % of the  |<----------->| tap unetuN --    |
#  | busybox, tftp-hpa |       | guest's frames    |   on unetuN | gateway, tftp=   |
#  +-------------------+       +-------------------+             +------------------+
lns=unet-tftpl-$TAG
ltap=unetl$TAG
utap=unetu$TAG
cat >"$TMP/relay.py" <<'PY'
import fcntl, os, random, select, socket, struct, sys
guest_if, usernet_if, loss, stats = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
TUNSETIFF, IFF_TAP, IFF_NO_PI, PACKET_OUTGOING = 0x400454ca, 0x0002, 0x1000, 4
tap = os.open("/dev/net/tun", os.O_RDWR)
fcntl.ioctl(tap, TUNSETIFF, struct.pack("16sH", guest_if.encode(), IFF_TAP | IFF_NO_PI))
pkt = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
pkt.bind((usernet_if, 0))
rnd = random.Random(1350)
passed = dropped = 0
open(stats + ".ready", "w").close()
while True:
    ready, _, _ = select.select([tap, pkt], [], [])
    if tap in ready:
        frame = os.read(tap, 65536)
        if rnd.random() < loss:
            dropped += 1
            with open(stats, "w") as f:
                f.write("%d %d\n" % (dropped, passed))
            continue
        passed += 1
        try:
            pkt.send(frame)
        except OSError:
            pass
    if pkt in ready:
        frame, addr = pkt.recvfrom(65536)
        if addr[2] != PACKET_OUTGOING:
            try:
                os.write(tap, frame)
            except OSError:
                pass
PY
"$USERNET" -netdev user,id=u,tftp="$ROOT" -netdev tap,id=t,ifname="$utap" \
	2>"$TMP/usernet2.log" &
u2pid=$!
PIDS+=("$u2pid")
if wait_for 10 ip link show "$utap"; then
	sysctl -qw "net.ipv6.conf.$utap.disable_ipv6=1"
	ip link set "$utap" up
	python3 "$TMP/relay.py" "$ltap" "$utap" 0.05 "$TMP/relay.stats" 2>"$TMP/relay.log" &
	PIDS+=("$!")
	wait_for 10 test -e "$TMP/relay.stats.ready" || fail "the relay did not start: $(cat "$TMP/relay.log")"
	new_netns "$lns"
	ip link set "$ltap" netns "$lns"
	ip -n "$lns" addr add 10.0.2.15/24 dev "$ltap"
	ip -n "$lns" link set "$ltap" up
	wait_for 20 ip netns exec "$lns" ping -c 1 -W 1 "$GW" || fail "no ping through the relay"
	t0=$(date +%s%N)
	rm -f "$OUT/lossy.bb"
	if (cd "$OUT" && ip netns exec "$lns" timeout 120 busybox tftp -g -b 1468 \
		-r lossy.bin -l lossy.bb "$GW") >"$OUT/lossy.bb.log" 2>&1 &&
		cmp -s "$OUT/lossy.bb" "$ROOT/lossy.bin"; then
		t1=$(date +%s%N)
		read -r d p <"$TMP/relay.stats" || d=0
		ok "busybox tftp -b 1468 with 5 % of the guest's frames lost: 256 KiB byte-exact (${d:-0} dropped so far, $(((t1 - t0) / 1000000)) ms)"
	else
		cat "$OUT/lossy.bb.log"
		fail "busybox tftp with 5 % loss: failed or differs"
	fi
	d0=$(cut -d' ' -f1 "$TMP/relay.stats" 2>/dev/null || echo 0)
	t0=$(date +%s%N)
	rm -f "$OUT/lossy.hpa"
	if (cd "$OUT" && ip netns exec "$lns" timeout 240 tftp -m binary "$GW" \
		-c get lossy.bin lossy.hpa) >"$OUT/lossy.hpa.log" 2>&1 &&
		cmp -s "$OUT/lossy.hpa" "$ROOT/lossy.bin"; then
		t1=$(date +%s%N)
		d1=$(cut -d' ' -f1 "$TMP/relay.stats")
		if [ "$d1" -gt "$d0" ]; then
			ok "tftp-hpa with 5 % loss: 256 KiB in 512-byte blocks byte-exact, $((d1 - d0)) of its frames dropped, $(((t1 - t0) / 1000000)) ms"
		else
			fail "tftp-hpa with 5 % loss: no frame was dropped, the check proves nothing"
		fi
	else
		cat "$OUT/lossy.hpa.log"
		fail "tftp-hpa with 5 % loss: failed or differs"
	fi
else
	cat "$TMP/usernet2.log"
	fail "the second usernet did not create $utap"
fi

# usernet logged the refusals (rate-limited) and no error.
n=$(grep -cE "tftp: (refused|.*(cross-device|symbolic links))" "$TMP/usernet.log")
[ "$n" -ge 1 ] && ok "usernet logged $n refusals (rate-limited)" || fail "usernet logged no refusal"
stop_pid "$upid" INT
rc=$?
[ "$rc" = 0 ] && ok "SIGINT: usernet exited 0" || fail "SIGINT: usernet exited $rc"
grep -iE 'assert|sanitizer' "$TMP/usernet.log" && fail "usernet logged assertion or sanitizer errors"

finish
