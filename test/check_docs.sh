#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every public function, type and callback carries a kernel-doc comment, and
# the public headers stay inside usernet's namespaces:
#  1. each symbol tools/libusernet.map exports is declared in a public
#     header and has a block "/**" whose first line is " * NAME() - ...",
#     in the library's sources or headers; unless the function returns
#     void, one of its blocks has a "Return:" line;
#  2. each struct, union, enum and typedef named unet_* that a public
#     header defines has a block whose first line is " * struct NAME - ",
#     " * union NAME - ", " * enum NAME - " or " * typedef NAME - " (an
#     opaque declaration such as "struct unet_hub;" needs none);
#  3. the public headers define no macro, type or enumerator outside the
#     UNET_, USERNET_ and unet_ namespaces (include guards are USERNET_*_H).
# Usage: check_docs.sh SRCDIR MAPFILE
set -u
src=$1 map=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
shopt -s nullglob

comps="hub stack proxy nic"
lib=() pub=()
for c in $comps; do
	lib+=("$src/$c"/*.c "$src/$c"/*.h "$src/$c"/*.h.in)
	pub+=("$src/$c"/include/usernet/*.h)
done
# <usernet/version.h> is generated from hub/version.h.in and installed.
pub+=("$src"/hub/version.h.in)
lib+=("${pub[@]}")
if [ ${#pub[@]} -eq 0 ]; then
	echo "no public headers under $src"
	echo "0 passed, 1 failed"
	exit 1
fi

# Kernel-doc blocks: "KIND NAME RETURN FILE:LINE", KIND one of function,
# struct, union, enum, typedef; RETURN 1 when the block has "Return:".
awk '
FNR == 1 { inblk = 0 }
inblk && first {
	first = 0
	kind = ""
	line = $0
	if (line ~ /^ \* [A-Za-z_][A-Za-z0-9_]*\(\) - /) {
		kind = "function"
		sub(/^ \* /, "", line)
		sub(/\(\).*/, "", line)
	} else if (line ~ /^ \* (struct|union|enum|typedef) [A-Za-z_][A-Za-z0-9_]* - /) {
		sub(/^ \* /, "", line)
		kind = line
		sub(/ .*/, "", kind)
		sub(/^[a-z]+ /, "", line)
		sub(/ .*/, "", line)
	}
	name = line
	where = FILENAME ":" FNR
}
inblk && /Return:/ { ret = 1 }
inblk && /\*\// {
	inblk = 0
	if (kind != "")
		print kind, name, ret, where
	next
}
/^\/\*\*[ \t]*$/ { inblk = 1; first = 1; ret = 0 }
' "${lib[@]}" >"$tmp/blocks"

# What the public headers define: "KIND NAME FILE:LINE", KIND one of
# macro, struct, union, enum, opaque (a declaration without a body),
# typedef, enumerator, function (with its return type after NAME).
awk '
function emit(kind, name, extra) {
	print kind, name, FILENAME ":" FNR, extra
}
function strip(s) {
	gsub(/\/\*([^*]|\*+[^*\/])*\*+\//, "", s)
	gsub(/\/\/.*/, "", s)
	return s
}
FNR == 1 { inenum = 0; intd = 0; indecl = 0; incomment = 0 }
{
	line = $0
	if (incomment) {
		if (line !~ /\*\//)
			next
		sub(/^.*\*\//, "", line)
		incomment = 0
	}
	line = strip(line)
	if (line ~ /\/\*/) {
		sub(/\/\*.*/, "", line)
		incomment = 1
	}
}
intd {
	td = td " " line
	n = split(line, ch, "")
	for (i = 1; i <= n; i++) {
		if (ch[i] == "{") depth++
		if (ch[i] == "}") depth--
	}
	if (depth <= 0 && line ~ /;/) {
		intd = 0
		typedef_name(td)
	}
	next
}
function typedef_name(s,    t) {
	if (s ~ /\([ \t]*\*[ \t]*[A-Za-z_][A-Za-z0-9_]*[ \t]*\)/) {
		t = s
		sub(/^[^(]*\([ \t]*\*[ \t]*/, "", t)
		sub(/[^A-Za-z0-9_].*/, "", t)
	} else {
		t = s
		sub(/.*\}/, "", t)
		sub(/[ \t]*(\[[^]]*\][ \t]*)*;.*/, "", t)
		sub(/.*[^A-Za-z0-9_]/, "", t)
	}
	emit("typedef", t)
}
indecl {
	decl = decl " " line
	if (decl ~ /\(/) {
		indecl = 0
		function_decl(decl)
	}
	next
}
function function_decl(s,    name, type) {
	sub(/\(.*/, "", s)
	name = s
	sub(/.*[^A-Za-z0-9_]/, "", name)
	type = s
	sub(/^[ \t]*UNET_EXTERN[ \t]+/, "", type)
	sub(/[A-Za-z0-9_]+[ \t]*$/, "", type)
	gsub(/[ \t]+/, " ", type)
	sub(/^ /, "", type)
	sub(/ $/, "", type)
	emit("function", name, type)
}
inenum {
	if (line ~ /^[ \t]*\}/) {
		inenum = 0
		next
	}
	if (line ~ /^[ \t]*[A-Za-z_][A-Za-z0-9_]*/) {
		e = line
		sub(/^[ \t]*/, "", e)
		sub(/[^A-Za-z0-9_].*/, "", e)
		emit("enumerator", e)
	}
	next
}
line ~ /^#[ \t]*define[ \t]+[A-Za-z_]/ {
	m = line
	sub(/^#[ \t]*define[ \t]+/, "", m)
	sub(/[^A-Za-z0-9_].*/, "", m)
	emit("macro", m)
	next
}
line ~ /^(struct|union|enum)[ \t]+[A-Za-z_][A-Za-z0-9_]*[ \t]*(\{.*)?$/ {
	split(line, w, /[ \t{]+/)
	if (line ~ /\{/) {
		emit(w[1], w[2])
		if (w[1] == "enum" && line !~ /\}/)
			inenum = 1
	} else {
		# The brace on the next line, kernel style does not do it.
		emit(w[1], w[2])
	}
	next
}
line ~ /^(struct|union|enum)[ \t]+[A-Za-z_][A-Za-z0-9_]*[ \t]*;/ {
	split(line, w, /[ \t;]+/)
	emit("opaque", w[2])
	next
}
line ~ /^typedef[ \t]/ {
	td = line
	depth = 0
	n = split(line, ch, "")
	for (i = 1; i <= n; i++) {
		if (ch[i] == "{") depth++
		if (ch[i] == "}") depth--
	}
	if (depth <= 0 && line ~ /;/)
		typedef_name(td)
	else
		intd = 1
	next
}
line ~ /^UNET_EXTERN[ \t]/ {
	decl = line
	if (decl ~ /\(/)
		function_decl(decl)
	else
		indecl = 1
	next
}
' "${pub[@]}" >"$tmp/public"

sed -n '/global:/,/local:/p' "$map" | grep -oE '^[[:space:]]*[a-z_][a-z0-9_]*;' |
	tr -d ' \t;' | sort -u >"$tmp/listed"

status=0
fail() {
	echo "$1"
	status=1
}

# 1. Exported functions.
nfunc=0
while read -r sym; do
	nfunc=$((nfunc + 1))
	decl=$(awk -v s="$sym" '$1 == "function" && $2 == s' "$tmp/public" | head -n 1)
	if [ -z "$decl" ]; then
		fail "$sym: listed in the map but declared in no public header"
		continue
	fi
	blocks=$(awk -v s="$sym" '$1 == "function" && $2 == s' "$tmp/blocks")
	if [ -z "$blocks" ]; then
		fail "$sym: no kernel-doc block (\" * $sym() - ...\")"
		continue
	fi
	type=$(echo "$decl" | cut -d' ' -f4-)
	if [ "$type" != "void" ] &&
		! echo "$blocks" | awk '$3 == 1 { found = 1 } END { exit !found }'; then
		fail "$sym: returns $type, but its kernel-doc has no \"Return:\" ($(echo "$blocks" | awk '{print $4}' | paste -sd' '))"
	fi
done <"$tmp/listed"

# 2. Public types.
ntype=0
while read -r kind name where _; do
	case $kind in struct | union | enum | typedef) ;; *) continue ;; esac
	case $name in unet_*) ;; *) continue ;; esac
	ntype=$((ntype + 1))
	awk -v k="$kind" -v s="$name" '$1 == k && $2 == s { found = 1 } END { exit !found }' \
		"$tmp/blocks" ||
		fail "$where: $kind $name has no kernel-doc block (\" * $kind $name - ...\")"
done <"$tmp/public"

# 3. Namespaces.
while read -r kind name where _; do
	case $kind in
	macro | enumerator) case $name in UNET_* | USERNET_*) continue ;; esac ;;
	function) continue ;;
	*) case $name in unet_*) continue ;; esac ;;
	esac
	fail "$where: $kind $name is outside the UNET_/USERNET_/unet_ namespaces"
done <"$tmp/public"

if [ $status = 0 ]; then
	echo "1 passed, 0 failed: $nfunc functions and $ntype types documented"
else
	echo "0 passed, 1 failed"
fi
exit $status
