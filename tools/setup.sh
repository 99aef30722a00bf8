#!/usr/bin/env bash
# Installs every build and test dependency of usernet from Debian's packages
# and fetches lwIP's source (Debian's source package) into a cache folder
# outside the source tree. Idempotent: a second run changes nothing.
#
# Usage: tools/setup.sh            (as root, or with sudo available)
# Environment:
#   USERNET_CACHE   where lwIP's source is unpacked
#                   (default: ${XDG_CACHE_HOME:-$HOME/.cache}/usernet)
# Prints the lwIP source folder on its last line of output.
set -euo pipefail

cache=${USERNET_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/usernet}
sudo=""
if [ "$(id -u)" != 0 ]; then
	sudo="sudo"
fi

packages=(
	# build
	build-essential cmake pkg-config clang llvm libclang-rt-14-dev patch
	libuv1-dev libcmocka-dev libpcap-dev libvdeplug-dev libjansson-dev
	libseccomp-dev
	xz-utils ca-certificates
	# the format check of changed lines (tools/check-format.sh)
	clang-format git
	# API reference (doxygen, with gawk's kernel-doc filter); the man page check
	doxygen gawk man-db
	# test peers
	iproute2 iputils-ping busybox curl tshark iperf3 dnsutils dnsmasq-base
	tftp-hpa isc-dhcp-client util-linux procps python3 ndisc6
	qemu-system-x86 vde2 socat ethtool jq
	# slirp4netns side by side with usernet's personality, and a client
	# (rootlesskit, which needs newuidmap from uidmap)
	slirp4netns rootlesskit uidmap
	# rootless podman with usernet as its network command (runc: crun
	# refuses hosts with hybrid cgroups)
	podman runc
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing+=("$p")
	fi
done

# apt-get source needs a deb-src entry; Debian 12 images often ship none.
have_src() {
	grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/
}
added_src=0
if ! have_src; then
	# Copy the Debian archive's own stanzas (deb822 or one-line format) with
	# the type changed to deb-src; third-party repositories are left alone.
	tmp=$(mktemp)
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -f "$f" ] || continue
		awk 'BEGIN { RS=""; ORS="\n\n" }
		     /debian-archive-keyring/ && /Types:[^\n]*deb/ {
			sub(/Types:[^\n]*/, "Types: deb-src"); print }' "$f" >>"$tmp"
	done
	codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -f "$f" ] || continue
		grep -E "^deb [^#]*[[:space:]]${codename}(-[a-z]+)?[[:space:]]" "$f" 2>/dev/null |
			sed 's/^deb /deb-src /' >>"$tmp.list" || true
	done
	if [ -s "$tmp" ]; then
		$sudo install -m 0644 "$tmp" /etc/apt/sources.list.d/usernet-src.sources
		added_src=1
	fi
	if [ -s "$tmp.list" ]; then
		$sudo install -m 0644 "$tmp.list" /etc/apt/sources.list.d/usernet-src.list
		added_src=1
	fi
	rm -f "$tmp" "$tmp.list"
fi

# The newest lwIP 2.1.x source tree in the cache, by version (sort -V puts
# 2.1.10 above 2.1.3), the one CMakeLists.txt takes from the same folder.
newest_lwip() {
	local d
	for d in "$cache"/lwip-2.1.*; do
		if [ -f "$d/src/core/tcp.c" ]; then echo "$d"; fi
	done | sort -V | tail -n 1
}
lwip_dir=$(newest_lwip)

if [ ${#missing[@]} -gt 0 ] || [ $added_src = 1 ] || [ -z "$lwip_dir" ]; then
	$sudo apt-get update -q
fi
if [ ${#missing[@]} -gt 0 ]; then
	# tshark asks whether non-root users may capture; answer no, silently.
	echo "wireshark-common wireshark-common/install-setuid boolean false" |
		$sudo debconf-set-selections
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q \
		--no-install-recommends "${missing[@]}"
fi

if [ -z "$lwip_dir" ]; then
	mkdir -p "$cache/src"
	(cd "$cache/src" && apt-get source --download-only lwip >/dev/null)
	tarball=$(ls "$cache"/src/lwip_2.1.*.orig.tar.* | sort -V | tail -n 1)
	tar -xf "$tarball" -C "$cache"
	lwip_dir=$(newest_lwip)
fi
if [ -z "$lwip_dir" ] || [ ! -f "$lwip_dir/src/Filelists.cmake" ]; then
	echo "setup: $lwip_dir does not look like an lwIP source tree" >&2
	exit 1
fi
echo "$lwip_dir"
