#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The folder boundaries that include paths alone cannot enforce (DESIGN.md,
# "Arrows go one way"): no source reaches another folder's files by a
# relative or root-relative path ("../hub/x.h", "stack/x.h"), and only the
# lwIP glue includes lwIP's private headers.
# Usage: check_layout.sh SOURCE-ROOT
set -u
cd "$1" || exit 2
status=0
files=$(git ls-files '*.c' '*.h' 2>/dev/null ||
	find hub nic stack proxy tools test -name '*.[ch]')
bad=$(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]+"(\.\./|(hub|nic|stack|proxy|tools|test)/)' \
	$files /dev/null)
if [ -n "$bad" ]; then
	echo "includes that reach into another folder by path (use the"
	echo "folder's public include/, hub/wire's \"wire/...\" or stack/contract):"
	echo "$bad"
	status=1
fi
priv=$(grep -lE '#[[:space:]]*include[[:space:]]+"lwip/priv/' $files /dev/null |
	grep -vxE 'stack/lwip_glue\.c')
if [ -n "$priv" ]; then
	echo "lwIP's private headers outside stack/lwip_glue.c:"
	echo "$priv"
	status=1
fi
[ $status = 0 ] && echo "layout: $(echo "$files" | wc -l) files, no include crosses a folder by path"
exit $status
