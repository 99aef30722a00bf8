#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Runs the whole test suite on a fresh Debian 12 machine: installs every
# dependency (tools/setup.sh), checks the format of the lines the change
# touches (tools/check-format.sh; set BASE to name the commit the change
# starts from), then builds and runs all tests twice, once
# with AddressSanitizer + UndefinedBehaviorSanitizer and once plainly, with
# warnings as errors; then builds the libFuzzer targets with clang and runs
# each for a short smoke pass over its seed corpus. Integration tests need
# root; as another user they are reported as skipped, with the reason.
#
# Usage: tools/test.sh [CTEST-ARGS...]   e.g. tools/test.sh -R unit
set -euo pipefail
cd "$(dirname "$0")/.."

lwip=$(tools/setup.sh | tail -n 1)
jobs=$(nproc 2>/dev/null || echo 2)

status=0
echo "=== format of the changed lines ==="
tools/check-format.sh || status=1
for variant in sanitize plain; do
	dir=build/test-$variant
	opts=(-DUSERNET_WERROR=ON -DLWIP_DIR="$lwip")
	[ $variant = sanitize ] && opts+=(-DUSERNET_SANITIZE=ON)
	echo "=== $variant build ==="
	cmake -S . -B "$dir" "${opts[@]}" >/dev/null
	cmake --build "$dir" -j"$jobs"
	echo "=== $variant tests ==="
	ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
	UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
		ctest --test-dir "$dir" --output-on-failure "$@" || status=1
done
# Fuzz targets: a short smoke pass of each over its seed corpus (clang).
echo "=== fuzz build ==="
CC=clang cmake -S . -B build/test-fuzz -DUSERNET_FUZZ=ON -DLWIP_DIR="$lwip" >/dev/null
cmake --build build/test-fuzz -j"$jobs"
echo "=== fuzz smoke tests ==="
ctest --test-dir build/test-fuzz --output-on-failure -R '^fuzz\.' || status=1
exit $status
