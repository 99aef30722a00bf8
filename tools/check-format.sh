#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Checks that the lines a change touches in .c and .h files are formatted as
# .clang-format says (kernel style), with clang-format-diff: only the changed
# lines are looked at (a moved file's unchanged lines are not: the diff
# follows renames), so old code nobody touched never fails the check and the
# tree is not reformatted wholesale. tools/test.sh (CI) runs it.
#
# Usage: tools/check-format.sh [--fix]
#   --fix   format the changed lines in the working tree instead of checking
#
# The change is everything between a base commit and the working tree
# (uncommitted edits included). The base is, in this order:
#   1. $BASE, when set (a commit, branch or tag: BASE=origin/main), or
#      rather where HEAD left it (git merge-base), so that what BASE gained
#      since does not count as this change;
#   2. git merge-base HEAD origin/main, when origin/main exists and HEAD is
#      not already part of it (a branch under review);
#   3. HEAD~1, the last commit (main itself, or a clone without
#      origin/main, as CI's checkout of one commit may be);
#   4. none, in a clone holding a single commit (git clone --depth 1): the
#      check is skipped with a note. Fetch one more commit (--depth 2) or
#      set BASE for it to run there.
set -euo pipefail
cd "$(dirname "$0")/.."

fix=0
case ${1:-} in
--fix) fix=1 ;;
"") ;;
*) echo "usage: $0 [--fix]" >&2; exit 2 ;;
esac

if ! command -v clang-format >/dev/null || ! command -v clang-format-diff >/dev/null; then
	echo "check-format: clang-format and clang-format-diff needed (Debian: clang-format; tools/setup.sh installs it)" >&2
	exit 1
fi
if ! git rev-parse --verify -q HEAD >/dev/null; then
	echo "check-format: not in a git work tree with a commit; nothing checked"
	exit 0
fi

base=${BASE:-}
how="\$BASE"
if [ -z "$base" ] && git rev-parse --verify -q origin/main >/dev/null; then
	mb=$(git merge-base HEAD origin/main 2>/dev/null || true)
	if [ -n "$mb" ] && [ "$mb" != "$(git rev-parse HEAD)" ]; then
		base=$mb
		how="merge-base with origin/main"
	fi
fi
if [ -z "$base" ] && git rev-parse --verify -q HEAD~1 >/dev/null; then
	base=HEAD~1
	how="the last commit"
fi
if [ -z "$base" ]; then
	echo "check-format: skipped: no base commit (a single-commit clone?); set BASE or fetch more history"
	exit 0
fi
if ! git rev-parse --verify -q "$base^{commit}" >/dev/null; then
	echo "check-format: BASE '$base' is not a commit" >&2
	exit 1
fi
if [ "$how" = "\$BASE" ]; then
	base=$(git merge-base HEAD "$base") || {
		echo "check-format: HEAD and BASE '$BASE' have no common commit" >&2
		exit 1
	}
fi

# The change: its added and modified lines, no context, renames followed.
changes() {
	git diff -U0 --no-color --no-ext-diff -M --diff-filter=d "$base" -- '*.c' '*.h'
}
files=$(git diff --name-only -M --diff-filter=d "$base" -- '*.c' '*.h' | wc -l)
echo "check-format: $files .c/.h file(s) changed since $(git rev-parse --short "$base") ($how)"
[ "$files" -gt 0 ] || exit 0

format=(clang-format-diff -p1 -binary "$(command -v clang-format)")
if [ $fix = 1 ]; then
	changes | "${format[@]}" -i
	exit 0
fi
out=$(changes | "${format[@]}")
if [ -n "$out" ]; then
	echo "$out"
	echo "check-format: the changed lines above are not formatted as .clang-format says;"
	echo "check-format: tools/check-format.sh --fix formats them (BASE=$base)"
	exit 1
fi
echo "check-format: the changed lines are formatted"
