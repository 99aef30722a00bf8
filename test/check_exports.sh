#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# libusernet.so, or the archive libusernet.a, exports exactly the symbols
# tools/libusernet.map lists: an accidental export (an lwIP symbol, a
# unet__ internal) or a listed symbol that went missing fails.
# Usage: check_exports.sh LIBUSERNET.SO|LIBUSERNET.A MAPFILE
set -u
lib=$1 map=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
case $lib in
*.a)	# every global symbol an archive member defines
	nm -g --defined-only "$lib" | awk 'NF == 3 {print $3}' ;;
*)	nm -D --defined-only "$lib" |
		awk '$2 ~ /^[TDBRVW]$/ {sub(/@.*/, "", $3); print $3}' ;;
esac | sort -u >"$tmp/exported"
sed -n '/global:/,/local:/p' "$map" | grep -oE '^[[:space:]]*[a-z_][a-z0-9_]*;' |
	tr -d ' \t;' | sort -u >"$tmp/listed"
status=0
extra=$(comm -23 "$tmp/exported" "$tmp/listed")
missing=$(comm -13 "$tmp/exported" "$tmp/listed")
[ -z "$extra" ] || { echo "exported but not listed in the map:" $extra; status=1; }
[ -z "$missing" ] || { echo "listed in the map but not exported:" $missing; status=1; }
grep -v '^unet_' "$tmp/exported" && { echo "exports without the unet_ prefix (above)"; status=1; }
grep '^unet__' "$tmp/exported" && { echo "internal unet__ symbols exported (above)"; status=1; }
n=$(wc -l <"$tmp/exported")
[ "$n" -gt 0 ] || { echo "no symbols exported at all"; status=1; }
[ $status = 0 ] && echo "1 passed, 0 failed: $n symbols exported, all listed" ||
	echo "0 passed, 1 failed"
exit $status
