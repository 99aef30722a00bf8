#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# libusernet.so exports exactly the symbols tools/libusernet.map lists:
# an accidental export or a listed symbol that went missing fails.
# Usage: check_exports.sh LIBUSERNET.SO MAPFILE
set -u
lib=$1 map=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
nm -D --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {sub(/@.*/, "", $3); print $3}' |
	sort -u >"$tmp/exported"
sed -n '/global:/,/local:/p' "$map" | grep -oE '^[[:space:]]*[a-z_][a-z0-9_]*;' |
	tr -d ' \t;' | sort -u >"$tmp/listed"
status=0
extra=$(comm -23 "$tmp/exported" "$tmp/listed")
missing=$(comm -13 "$tmp/exported" "$tmp/listed")
[ -z "$extra" ] || { echo "exported but not listed in the map: $extra"; status=1; }
[ -z "$missing" ] || { echo "listed in the map but not exported: $missing"; status=1; }
grep -v '^unet_' "$tmp/exported" && { echo "exports without the unet_ prefix (above)"; status=1; }
n=$(wc -l <"$tmp/exported")
[ "$n" -gt 0 ] || { echo "no symbols exported at all"; status=1; }
[ $status = 0 ] && echo "1 passed, 0 failed: $n symbols exported, all listed" ||
	echo "0 passed, 1 failed"
exit $status
