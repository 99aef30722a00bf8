# SPDX-License-Identifier: MIT
# vmimage.sh - sourced by vm.sh and pxe.sh, after lib/common.sh: builds the
# guest both boot, from Debian packages fetched with 'apt-get download' and
# unpacked with dpkg-deb into CACHE (nothing is installed from them):
#
#   vm_image    sets VMLINUZ (Debian's kernel), INITRD (a gzipped cpio of
#               busybox-static, the NICs' modules and test/bench/vm/init),
#               KPKG, KVER, KDEB and BDEB (the two .deb files)
#
# The caller sets here (test/bench), CACHE (the cache folder) and NO_INSTALL
# (1: never call apt-get; the packages must be in the cache already). The
# initramfs is built once and rebuilt when vm/ or the kernel changes (its
# name carries a hash of its inputs); STAGE names the folder it is staged
# in while that runs, so that common.sh's cleanup removes it on Ctrl-C.

# fetch_deb PACKAGE: the path of PACKAGE's .deb in the cache, downloaded
# with apt-get download when missing (never installed).
mkdir -p "$CACHE/debs" || die "cannot make the cache folder $CACHE"

fetch_deb() {
	local pkg=$1 deb
	deb=$(ls -t "$CACHE/debs/${pkg}_"*.deb 2>/dev/null | head -n 1)
	if [ -z "$deb" ]; then
		[ "$NO_INSTALL" = 1 ] && return 1
		say "$BENCH_NAME: apt-get download $pkg (into $CACHE/debs)"
		# As root, apt drops to the _apt user to download, who may not
		# write to the cache: stay root for this one download.
		if ! (cd "$CACHE/debs" && timeout 600 apt-get download -q \
			-o APT::Sandbox::User=root "$pkg" >&2); then
			apt_update
			(cd "$CACHE/debs" && timeout 600 apt-get download -q \
				-o APT::Sandbox::User=root "$pkg" >&2) || return 1
		fi
		deb=$(ls -t "$CACHE/debs/${pkg}_"*.deb 2>/dev/null | head -n 1)
	fi
	[ -n "$deb" ] && echo "$deb"
}

# unpack DEB: the folder DEB is unpacked in (in the cache, once).
unpack() {
	local dir
	dir=$CACHE/$(basename "$1" .deb)
	if [ ! -e "$dir/.done" ]; then
		rm -rf -- "$dir"
		dpkg-deb -x "$1" "$dir" || return 1
		touch "$dir/.done"
	fi
	echo "$dir"
}

# mod_cat FILE: the module's ELF, decompressed.
mod_cat() {
	case $1 in
	*.xz) "$BB" xz -dc "$1" ;;
	*.gz) gzip -dc "$1" ;;
	*.zst) zstd -dcq "$1" ;;
	*) cat "$1" ;;
	esac
}

# mod_order NAME...: NAME and what it depends on (.modinfo "depends="), each
# once, dependencies first; built-ins left out.
mod_visit() {
	local m=${1//-/_} d
	[ -n "${SEEN[$m]:-}" ] && return 0
	SEEN[$m]=1
	[ -n "${BUILTIN[$m]:-}" ] && return 0
	[ -n "${MODFILE[$m]:-}" ] || { say "$BENCH_NAME: module $m is not in $KPKG"; return 1; }
	for d in $(mod_cat "${MODFILE[$m]}" | tr '\0' '\n' |
		sed -n 's/^depends=//p' | head -n 1 | tr ',' ' '); do
		mod_visit "$d" || return 1
	done
	ORDER+=("$m")
}

# vm_image: see the top of this file.
vm_image() {
	local f m a nic hash
	mkdir -p "$CACHE/debs" || die "cannot make the cache folder $CACHE"
	# The kernel: linux-image-amd64 is a metapackage; its dependency names the
	# real package (linux-image-6.1.0-NN-amd64). Without apt, the newest one
	# already in the cache.
	KPKG=
	if [ "$NO_INSTALL" != 1 ]; then
		kdeps() { apt-cache depends linux-image-amd64 2>/dev/null |
			awk '$1 == "Depends:" && $2 ~ /^linux-image-[0-9]/ { print $2; exit }'; }
		KPKG=$(kdeps)
		[ -n "$KPKG" ] || { apt_update; KPKG=$(kdeps); }
	fi
	if [ -z "$KPKG" ]; then
		KPKG=$(ls -t "$CACHE/debs/" 2>/dev/null | sed -n 's/^\(linux-image-[0-9][^_]*-amd64\)_.*/\1/p' | head -n 1)
	fi
	[ -n "$KPKG" ] || die "no kernel package: apt-cache knows no linux-image-amd64 and the cache has none"
	KDEB=$(fetch_deb "$KPKG") || die "cannot fetch $KPKG"
	BDEB=$(fetch_deb busybox-static) || die "cannot fetch busybox-static"
	KDIR=$(unpack "$KDEB") || die "cannot unpack $KDEB"
	BDIR=$(unpack "$BDEB") || die "cannot unpack $BDEB"
	VMLINUZ=$(ls "$KDIR"/boot/vmlinuz-* 2>/dev/null | head -n 1)
	[ -n "$VMLINUZ" ] || die "no vmlinuz in $KDEB"
	KVER=${VMLINUZ##*/vmlinuz-}
	MODDIR=$KDIR/lib/modules/$KVER
	BB=$BDIR/bin/busybox
	[ -x "$BB" ] || die "no busybox in $BDEB"

	# The modules each NIC needs, before dependencies.
	declare -gA NIC_MODS=(
		[rtl8139]="8139cp"         # QEMU's rtl8139 is a C+ chip (revision 0x20)
		[e1000]="e1000"
		[virtio-net-pci]="virtio_pci virtio_net"
	)

	# Module index: name (dashes as underscores) -> file, for every .ko[.xz|.zst]
	# of the kernel; built-ins (modules.builtin) need no file.
	declare -gA MODFILE=() BUILTIN=()
	while IFS= read -r f; do
		m=${f##*/}
		m=${m%.xz}
		m=${m%.zst}
		m=${m%.gz}
		m=${m%.ko}
		MODFILE[${m//-/_}]=$f
	done < <(find "$MODDIR/kernel" -name '*.ko*')
	if [ -r "$MODDIR/modules.builtin" ]; then
		while IFS= read -r f; do
			m=${f##*/}
			m=${m%.ko}
			BUILTIN[${m//-/_}]=1
		done <"$MODDIR/modules.builtin"
	fi


	declare -gA SEEN=()
	ORDER=()

	# The initramfs: busybox and its applets, /init, the udhcpc script, the
	# modules and one list per NIC. Rebuilt when any input changes (its name
	# carries a hash of them).
	STAGE=$CACHE/stage.$$
	rm -rf -- "$STAGE"
	mkdir -p "$STAGE"/{bin,dev,proc,sys,tmp,etc,lib/modules} || die "cannot stage the initramfs"
	cp "$BB" "$STAGE/bin/busybox"
	for a in $("$BB" --list); do
		[ "$a" = busybox ] || ln -s busybox "$STAGE/bin/$a"
	done
	install -m 755 "$here/vm/init" "$STAGE/init"
	install -m 755 "$here/vm/udhcpc.sh" "$STAGE/etc/udhcpc.sh"
	ALLMODS=()
	for nic in "${!NIC_MODS[@]}"; do
		SEEN=()
		ORDER=()
		for m in ${NIC_MODS[$nic]}; do
			mod_visit "$m" || die "cannot resolve the modules of $nic"
		done
		printf '%s\n' "${ORDER[@]}" >"$STAGE/etc/modules.$nic"
		for m in "${ORDER[@]}"; do
			[ -e "$STAGE/lib/modules/$m.ko" ] && continue
			mod_cat "${MODFILE[$m]}" >"$STAGE/lib/modules/$m.ko" || die "cannot unpack module $m"
			ALLMODS+=("$m")
		done
		say "$BENCH_NAME: $nic needs modules: ${ORDER[*]:-(all built in)}"
	done
	# A console node for the kernel to open before /init mounts devtmpfs
	# (only root can make it; without it /init's first lines go nowhere).
	mknod -m 600 "$STAGE/dev/console" c 5 1 2>/dev/null
	hash=$( (cd "$STAGE" && find . -type f | LC_ALL=C sort | xargs cat; echo "$KPKG") |
		sha256sum | cut -c1-16)
	INITRD=$CACHE/initrd-$KVER-$hash.cpio.gz
	if [ ! -s "$INITRD" ]; then
		say "$BENCH_NAME: building $INITRD"
		if ! (set -o pipefail && cd "$STAGE" && find . | LC_ALL=C sort |
			"$BB" cpio -o -H newc -R 0:0 2>/dev/null | gzip -9) >"$INITRD.$$" ||
			! mv "$INITRD.$$" "$INITRD"; then
			rm -f "$INITRD.$$"
			die "cannot build the initramfs"
		fi
		# Older initramfs images (from older vm/ files) are of no more use.
		for f in "$CACHE"/initrd-*.cpio.gz; do
			[ "$f" = "$INITRD" ] || rm -f -- "$f"
		done
	fi
	rm -rf -- "$STAGE"
	STAGE=
}
