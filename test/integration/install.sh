#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The embedding kit, as an embedder gets it: `cmake --install` puts the
# library (shared, with its SONAME, and static), the headers, the command,
# the man page, usernet.pc and the CMake package into a fresh prefix; the
# examples are then built out of the tree against that prefix, once with
# pkg-config and once with find_package(usernet) and usernet::usernet, and
# each program built runs with a real guest (lib/example.sh):
#
#   $TMP/prefix (cmake --install)        out-of-tree builds
#  +------------------------------+     +-----------------------------------+
#  | include/usernet/*.h          |---->| cc tap_nat.c $(pkg-config ...)    |
#  | lib/libusernet.so.0 (SONAME) |     | cmake: find_package(usernet)      |
#  | lib/pkgconfig/usernet.pc     |     |   -> tap_nat, poll_loop, version  |
#  | lib/cmake/usernet/*.cmake    |     +-----------------+-----------------+
#  | bin/usernet, man1/usernet.1  |                       | LD_LIBRARY_PATH
#  +------------------------------+                       v
#   namespace unet-exN-TAG                   host namespace
#  +----------------------------+  tap  +-------------------------------------+
#  | unetxTAGN 10.0.2.15 (DHCP) |<----->| tap_nat / poll_loop IFNAME          |
#  | curl http://10.0.2.2:PORT/ |       |   gateway 10.0.2.2 -> 127.0.0.1     |
#  +----------------------------+       | python3 http.server 127.0.0.1:PORT  |
#                                       +-------------------------------------+
#
# The tree tested is the one $USERNET was built in. A sanitizer or fuzz
# build is not what an embedder installs: then a plain tree is configured
# and built from $SRCDIR in the scratch folder instead.
set -eu
. "$(dirname "$0")/lib/common.sh"
. "$(dirname "$0")/lib/example.sh"
need_cmd cmake cc pkg-config readelf nm man

BUILD=$(cd "$(dirname "$USERNET")" && pwd)
PREFIX=$TMP/prefix
EXAMPLES=$SRCDIR/tools/examples
[ -f "$BUILD/CMakeCache.txt" ] || skip "$BUILD is not a CMake build tree"

cache_get() {
	sed -n "s/^$1:[A-Z]*=//p" "$BUILD/CMakeCache.txt"
}

# ---- install ---------------------------------------------------------------
if [ "$(cache_get USERNET_SANITIZE)" = ON ] || [ "$(cache_get USERNET_FUZZ)" = ON ]; then
	echo "$BUILD has sanitizers: configuring a plain build in $TMP/build"
	if ! cmake -S "$SRCDIR" -B "$TMP/build" -DUSERNET_TESTS=OFF \
		-DLWIP_DIR="$(cache_get LWIP_DIR)" >"$TMP/configure.log" 2>&1 ||
		! cmake --build "$TMP/build" -j "$(nproc)" >"$TMP/build.log" 2>&1; then
		tail -n 30 "$TMP/configure.log" "$TMP/build.log" 2>/dev/null || true
		fail "the plain build failed"
		finish
	fi
	BUILD=$TMP/build
fi
if cmake --install "$BUILD" --prefix "$PREFIX" >"$TMP/install.log" 2>&1; then
	ok "cmake --install $BUILD --prefix \$TMP/prefix"
else
	cat "$TMP/install.log"
	fail "cmake --install failed"
	finish
fi

# ---- what was installed -------------------------------------------------------
inc=$PREFIX/include/usernet
version=$(sed -n 's/^#define UNET_VERSION_STRING "\(.*\)"$/\1/p' "$inc/version.h" 2>/dev/null || true)
major=${version%%.*}
[ -n "$version" ] && ok "version.h: UNET_VERSION_STRING $version" ||
	fail "no UNET_VERSION_STRING in $inc/version.h"
missing=
for h in usernet version hub ports replay stack proxy rtl8139; do
	[ -f "$inc/$h.h" ] || missing="$missing $h.h"
done
[ -z "$missing" ] && ok "headers: every public header under include/usernet/" ||
	fail "headers missing under include/usernet/:$missing"
for h in "$SRCDIR"/*/include/usernet/*.h; do
	cmp -s "$h" "$inc/$(basename "$h")" || fail "installed $(basename "$h") differs from $h"
done

lib=$(find "$PREFIX" -name "libusernet.so.$version" | head -n 1)
if [ -n "$lib" ]; then
	libdir=$(dirname "$lib")
	ok "library: ${lib#"$PREFIX"/}"
else
	libdir=$PREFIX/lib
	fail "no libusernet.so.$version under the prefix"
fi
soname=$(readelf -d "$lib" 2>/dev/null | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = "libusernet.so.$major" ] && ok "SONAME $soname" ||
	fail "SONAME is '$soname', expected libusernet.so.$major"
[ "$(readlink "$libdir/libusernet.so.$major")" = "libusernet.so.$version" ] &&
	[ -L "$libdir/libusernet.so" ] && ok "symlinks libusernet.so.$major and libusernet.so" ||
	fail "symlinks: $(ls -l "$libdir" | grep libusernet)"
[ -f "$libdir/libusernet.a" ] && ok "static library libusernet.a" || fail "no libusernet.a"
nm -D --defined-only "$lib" | grep -qw unet_version && ok "unet_version is exported" ||
	fail "unet_version is not exported"
have=$("$PREFIX/bin/usernet" --version 2>&1 || true)
[ "$have" = "usernet $version" ] && ok "bin/usernet --version: $have" ||
	fail "bin/usernet --version: '$have'"

man=$PREFIX/share/man/man1/usernet.1
if [ -f "$man" ] && MANWIDTH=80 man --warnings -l "$man" >"$TMP/man.txt" 2>"$TMP/man.err" &&
	[ ! -s "$TMP/man.err" ] && grep -q 'usernet run' "$TMP/man.txt"; then
	ok "man -l share/man/man1/usernet.1 renders without warnings"
else
	cat "$TMP/man.err" 2>/dev/null || true
	fail "man page missing or rendered with warnings"
fi

export PKG_CONFIG_PATH=$libdir/pkgconfig
pc_version=$(pkg-config --modversion usernet 2>&1 || true)
[ "$pc_version" = "$version" ] && ok "pkg-config --modversion usernet: $pc_version" ||
	fail "pkg-config --modversion usernet: '$pc_version'"
cflags=$(pkg-config --cflags usernet)
libs=$(pkg-config --libs usernet)
static_libs=$(pkg-config --static --libs usernet)
[[ " $libs " == *" -lusernet "* && " $libs " == *" -luv "* ]] &&
	ok "pkg-config --libs: $libs" || fail "pkg-config --libs: '$libs'"
[[ " $static_libs " == *" -lvdeplug "* && " $static_libs " == *" -lpcap "* ]] &&
	ok "pkg-config --static --libs names libpcap and libvdeplug" ||
	fail "pkg-config --static --libs: '$static_libs'"
for f in usernet-config.cmake usernet-config-version.cmake; do
	[ -f "$libdir/cmake/usernet/$f" ] && ok "CMake package: $f" ||
		fail "no $libdir/cmake/usernet/$f"
done

# Each header compiles by itself, in C and (extern "C") in C++.
alone=0
for h in "$inc"/*.h; do
	echo "#include <usernet/$(basename "$h")>" >"$TMP/one.c"
	# Strict C11 plus POSIX, which <uv.h> itself needs.
	if cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror -fsyntax-only \
		$cflags "$TMP/one.c" 2>"$TMP/one.err"; then
		alone=$((alone + 1))
	else
		cat "$TMP/one.err"
		fail "<usernet/$(basename "$h")> does not compile alone"
	fi
done
ok "$alone headers compile alone (cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Werror)"
if command -v c++ >/dev/null 2>&1; then
	echo '#include <usernet/usernet.h>' >"$TMP/one.cc"
	c++ -Wall -Werror -fsyntax-only $cflags "$TMP/one.cc" 2>"$TMP/one.err" &&
		ok "<usernet/usernet.h> compiles as C++" ||
		{ cat "$TMP/one.err"; fail "<usernet/usernet.h> does not compile as C++"; }
fi

# The README shows tap_nat.c inline: it must be the file that is tested.
sed -n "/^\*\*A tap with a NAT'd network\*\*/,/^\`\`\`\$/{/^\`\`\`c\$/,/^\`\`\`\$/p}" \
	"$SRCDIR/README.md" | sed '1d;$d' >"$TMP/readme_tap_nat.c"
sed -n '/^#include <signal.h>/,$p' "$EXAMPLES/tap_nat.c" >"$TMP/file_tap_nat.c"
if [ -s "$TMP/readme_tap_nat.c" ] && cmp -s "$TMP/readme_tap_nat.c" "$TMP/file_tap_nat.c"; then
	ok "README's tap_nat.c is tools/examples/tap_nat.c"
else
	diff "$TMP/readme_tap_nat.c" "$TMP/file_tap_nat.c" | head -n 20 || true
	fail "README's tap_nat.c differs from tools/examples/tap_nat.c"
fi

# The library loaded says the version the headers say.
cat >"$TMP/version.c" <<'EOF'
#include <stdio.h>
#include <string.h>
#include <usernet/usernet.h>

int main(void)
{
	printf("%s\n", unet_version());
	return strcmp(unet_version(), UNET_VERSION_STRING) != 0 ||
	       unet_version_number() != UNET_VERSION_HEX;
}
EOF

# ---- out-of-tree builds: pkg-config, and find_package --------------------------
mkdir -p "$TMP/pc"
built=1
for p in tap_nat poll_loop; do
	cc -std=gnu11 -Wall -Wextra -Werror -o "$TMP/pc/$p" "$EXAMPLES/$p.c" \
		$cflags $libs 2>"$TMP/pc-$p.err" || { cat "$TMP/pc-$p.err"; built=0; }
done
cc -Wall -Werror -o "$TMP/pc/version" "$TMP/version.c" $cflags $libs 2>"$TMP/pc-version.err" ||
	{ cat "$TMP/pc-version.err"; built=0; }
[ $built = 1 ] && ok "pkg-config: tap_nat, poll_loop and a version check built" ||
	fail "pkg-config: building against the prefix failed"

# libusernet.a keeps only the unet_ API global (lwIP's symbols and the
# library's internals are local): a program with its own lwIP, here three
# of lwIP's names defined again, links the archive (its dependencies
# shared) and runs.
cat >"$TMP/own_lwip.c" <<'EOF'
#include <stdint.h>
#include <usernet/proxy.h>
#include <usernet/stack.h>
uint32_t sys_now(void);
void lwip_init(void);
int tcp_input(void *p, void *inp);
void own_lwip_beside_usernet(void);
uint32_t sys_now(void) { return 1; }
void lwip_init(void) { }
int tcp_input(void *p, void *inp) { return p == inp; }
/* Pulls the stack and the proxy, and with them lwIP, out of the archive. */
void own_lwip_beside_usernet(void)
{
	struct unet_stack_config s;
	struct unet_proxy_config p;

	unet_stack_config_init(&s);
	unet_proxy_config_init(&p);
}
EOF
mkdir -p "$TMP/static"
if cc -Wall -Werror -o "$TMP/static/version" "$TMP/version.c" "$TMP/own_lwip.c" \
	$cflags "$libdir/libusernet.a" ${libs//-lusernet/} -lpcap -lvdeplug 2>"$TMP/static.err" &&
	! readelf -d "$TMP/static/version" | grep -q 'libusernet\.so' &&
	"$TMP/static/version" >/dev/null; then
	ok "libusernet.a links beside a program's own lwIP symbols (sys_now, lwip_init, tcp_input)"
else
	cat "$TMP/static.err"
	fail "static link of libusernet.a beside the program's own lwIP symbols"
fi

mkdir -p "$TMP/cmake-src"
cat >"$TMP/cmake-src/CMakeLists.txt" <<EOF
cmake_minimum_required(VERSION 3.18)
project(embed C)
set(WANT "$version" CACHE STRING "usernet version asked for")
find_package(usernet \${WANT} REQUIRED)
foreach(p tap_nat poll_loop)
  add_executable(\${p} "$EXAMPLES/\${p}.c")
  target_compile_options(\${p} PRIVATE -Wall -Wextra -Werror)
  target_link_libraries(\${p} PRIVATE usernet::usernet)
endforeach()
add_executable(version "$TMP/version.c")
target_link_libraries(version PRIVATE usernet::usernet)
EOF
if cmake -S "$TMP/cmake-src" -B "$TMP/cmake" -DCMAKE_PREFIX_PATH="$PREFIX" \
	>"$TMP/cmake.log" 2>&1 && cmake --build "$TMP/cmake" >>"$TMP/cmake.log" 2>&1; then
	ok "find_package(usernet $version) and usernet::usernet: built the same programs"
else
	cat "$TMP/cmake.log"
	fail "the CMake project against the prefix failed"
fi
if cmake -S "$TMP/cmake-src" -B "$TMP/cmake-next" -DCMAKE_PREFIX_PATH="$PREFIX" \
	-DWANT=$((major + 1)).0 >"$TMP/cmake-next.log" 2>&1; then
	fail "find_package(usernet $((major + 1)).0) accepted $version"
else
	ok "find_package(usernet $((major + 1)).0) refuses $version (another major)"
fi

for d in pc cmake; do
	[ -x "$TMP/$d/version" ] || continue
	have=$(LD_LIBRARY_PATH=$libdir "$TMP/$d/version" 2>&1) &&
		ok "$d: unet_version() is $have, as the headers say" ||
		fail "$d: unet_version() is '$have', headers say $version"
	needed=$(readelf -d "$TMP/$d/version" | sed -n 's/.*(NEEDED).*\[\(libusernet[^]]*\)\]/\1/p')
	[ "$needed" = "libusernet.so.$major" ] && ok "$d: the program needs $needed" ||
		fail "$d: the program needs '$needed'"
done

# ---- the programs built, with a real guest ----------------------------------
if [ "$FAILED" != 0 ]; then
	finish
fi
[ "$(id -u)" = 0 ] || skip "installed and built fine; running the examples needs root (namespaces and taps)"
example_setup
for d in pc cmake; do
	for p in tap_nat poll_loop; do
		if [ -x "$TMP/$d/$p" ]; then
			example_run "$d-$p" "$TMP/$d/$p" LD_LIBRARY_PATH="$libdir"
		else
			fail "$d: $p was not built"
		fi
	done
done
finish
