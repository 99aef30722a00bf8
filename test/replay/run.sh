#!/bin/bash
# SPDX-License-Identifier: MIT
# Runs one golden replay script: it must pass, and a script that opens no
# host socket (no `serve`) must record the same bytes on a second run.
#
#   run.sh USERNET SCRIPT OUTDIR
set -eu
usernet=$1 script=$2 out=$3
name=$(basename "$script" .replay)
mkdir -p "$out"
"$usernet" replay --script "$script" --out "$out/$name.1.pcapng"
if grep -q '^serve' "$script"; then
	echo "$name: passed (host sockets: not byte-compared)"
	exit 0
fi
"$usernet" replay --script "$script" --out "$out/$name.2.pcapng"
if ! cmp "$out/$name.1.pcapng" "$out/$name.2.pcapng"; then
	echo "$name: two runs recorded different bytes" >&2
	exit 1
fi
echo "$name: passed, $(stat -c %s "$out/$name.1.pcapng") bytes recorded twice alike"
