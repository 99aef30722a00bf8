#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# pxe.sh - benchmark (not a test): how long a network boot with QEMU's iPXE
# ROM takes over usernet, beside QEMU's own libslirp, in one run.
#
#   VM: qemu-system-x86_64 -machine pc -accel tcg, no disk, -boot n
#  +---------------------------+              forwarder
#  | SeaBIOS -> iPXE ROM of    | unix   +-----------------------------------+
#  | the NIC (rtl8139, e1000,  |<------>| usernet -netdev user,tftp=,       |
#  | virtio-net-pci): DHCP,    | stream |   bootfile=boot.ipxe + stream     |
#  | tftp boot.ipxe, vmlinuz,  |  or in +-----------------------------------+
#  | initrd.gz; boot           |  QEMU: -netdev user,tftp=,bootfile= (libslirp)
#  +---------------------------+
#     serial console (-nographic) -> lib/pxe.py: a timestamp per milestone
#
# The boot file is an iPXE script that loads Debian's kernel and the busybox
# initramfs vm.sh boots (lib/vmimage.sh builds both, in the same cache) with
# "console=ttyS0 earlyprintk=ttyS0 rdinit=/bin/poweroff -- -f": the kernel
# prints its first line ("Linux version") at once, and its init powers the
# VM off. Times come from the serial console (iPXE's "Configuring (net0 ...)"
# is where its DHCP starts) and from a capture of the VM's NIC (QEMU's
# filter-dump: DHCP, router solicitations, TFTP requests). Every figure is
# the median of VM_RUNS runs, the forwarders interleaved run by run.
#
#   test/bench/pxe.sh > pxe.txt      (progress on stderr, the report on stdout)
#
# Environment:
#   USERNET         the usernet binary (default ./build/usernet, else the
#                   repository's build/usernet)
#   VM_RUNS         boots of every combination (default 3)
#   VM_NICS         NIC models (default rtl8139; also e1000 virtio-net-pci)
#   VM_TOOLS        forwarders (default "usernet libslirp"; also
#                   libslirp-hub: libslirp in a guest-less QEMU behind a
#                   stream link, wired like usernet)
#   PXE_ROM         efi (QEMU's default romfile, efi-NIC.rom) or pxe
#                   (pxe-NIC.rom), both from Debian's ipxe-qemu
#   VM_TIMEOUT      seconds a VM may take from start to power-off (default 120)
#   VM_NO_INSTALL=1 never call apt-get (the kernel and busybox-static must
#                   then be in the cache already)
#   VM_KEEP_LOGS=DIR keep the console, capture and forwarder log of every
#                   failed run (with VM_DEBUG=1: of every run) in DIR
#
# Every process this script starts is tracked by PID and killed on exit,
# Ctrl-C included; its scratch folder under /tmp is removed. Traffic stays
# between QEMU and the forwarder (a unix socket, or inside QEMU).

set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
RUNS=${VM_RUNS:-3}
NICS=${VM_NICS:-rtl8139}
TOOLS=${VM_TOOLS:-usernet libslirp}
ROM=${PXE_ROM:-efi}
VM_TIMEOUT=${VM_TIMEOUT:-120}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/usernet/vm
ROMDIR=/usr/lib/ipxe/qemu
. "$here/lib/common.sh"

case $RUNS in '' | *[!0-9]* | 0) die "VM_RUNS must be a positive integer" ;; esac
case $VM_TIMEOUT in '' | *[!0-9]* | 0) die "VM_TIMEOUT must be a positive integer" ;; esac
[ "$VM_TIMEOUT" -ge 30 ] || die "VM_TIMEOUT below 30 s leaves no time to boot"
case $ROM in efi | pxe) ;; *) die "PXE_ROM must be efi or pxe" ;; esac
declare -A ROMNAME=([rtl8139]=rtl8139 [e1000]=e1000 [virtio-net-pci]=virtio)
for n in $NICS; do
	[ -n "${ROMNAME[$n]:-}" ] || die "unknown NIC in VM_NICS: $n"
done
for t in $TOOLS; do
	case $t in usernet | libslirp | libslirp-hub) ;; *) die "unknown tool in VM_TOOLS: $t" ;; esac
done

# ---------------------------------------------------------- installation --

NO_INSTALL=${VM_NO_INSTALL:-0}
install_missing VM_NO_INSTALL qemu-system-x86_64=qemu-system-x86 \
	"$ROMDIR=ipxe-qemu" /usr/bin/python3=python3 gzip=gzip

command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is needed (package qemu-system-x86)"
[ -x /usr/bin/python3 ] || die "/usr/bin/python3 is needed to timestamp the console"
command -v dpkg-deb >/dev/null || die "dpkg-deb is needed to unpack the guest's packages"
for n in $NICS; do
	[ -r "$ROMDIR/$ROM-${ROMNAME[$n]}.rom" ] || die "no iPXE ROM $ROMDIR/$ROM-${ROMNAME[$n]}.rom (package ipxe-qemu)"
done
case " $TOOLS " in *" usernet "*) [ -x "$USERNET" ] || die "no usernet binary at $USERNET (build it, or set USERNET)" ;; esac

# ------------------------------------------------------------ the guest --

. "$here/lib/vmimage.sh"
vm_image

TMP=$(mktemp -d /tmp/usernet-pxebench.XXXXXX) || die "mktemp failed"
mkdir -p "$TMP/tftp"
# Copies, not links: a TFTP server may refuse a link out of its folder.
cp "$VMLINUZ" "$TMP/tftp/vmlinuz" && cp "$INITRD" "$TMP/tftp/initrd.gz" ||
	die "cannot copy the kernel and the initramfs to $TMP/tftp"
# "--" ends the kernel's parameters: "-f" goes to init, and busybox's
# poweroff -f powers off at once.
cat >"$TMP/tftp/boot.ipxe" <<'EOF'
#!ipxe
kernel tftp://${next-server}/vmlinuz console=ttyS0 earlyprintk=ttyS0 panic=-1 rdinit=/bin/poweroff -- -f
initrd tftp://${next-server}/initrd.gz
boot
EOF
KERNEL_KB=$(($(stat -c %s "$TMP/tftp/vmlinuz") / 1024))
INITRD_KB=$(($(stat -c %s "$TMP/tftp/initrd.gz") / 1024))

# -------------------------------------------------------------- sessions --

cpu_ticks() {
	awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)

# The phases, in report order: NAME "label" FROM TO (console milestones of
# lib/pxe.py) or pcap:FROM:TO (events of the capture; FROM empty: the first
# DHCPDISCOVER).
PHASES=(total handoff dhcp_cfg dhcp_x lease_wait script kernel initrd linux)
declare -A PH_LABEL=(
	[total]="DHCP -> kernel start"
	[handoff]="DHCP -> iPXE boots kernel"
	[dhcp_cfg]="  iPXE Configuring..ok"
	[dhcp_x]="    DISCOVER -> ACK"
	[lease_wait]="    ACK -> 1st TFTP request"
	[script]="  TFTP boot.ipxe"
	[kernel]="  TFTP vmlinuz"
	[initrd]="  TFTP initrd.gz"
	[linux]="  iPXE boot -> Linux"
)
declare -A PH_SPAN=(
	[total]="dhcp linux"
	[handoff]="dhcp boot"
	[dhcp_cfg]="dhcp config"
	[dhcp_x]="pcap: ack"
	[lease_wait]="pcap:ack rrq_script"
	[script]="config script"
	[kernel]="script kernel"
	[initrd]="kernel initrd"
	[linux]="boot linux"
)

SESSION=0
# run_boot TOOL NIC: one network boot. Sets R_ERR (empty when it worked),
# R[PHASE] (seconds), R_PCAP (the capture's KEY=VALUE line), R_SECS (the
# VM's wall time) and R_CPU (the forwarder's CPU seconds, empty for
# libslirp inside the VM's own QEMU).
declare -A R
run_boot() {
	local tool=$1 nic=$2 fwd='' n rom='' vm stamp log ev fwdlog qlog pcapf sock net c0=0 t0 p a b
	local -A E P
	R=() R_ERR='' R_PCAP='' R_SECS='' R_CPU=''
	SESSION=$((SESSION + 1))
	log=$TMP/console.$SESSION.log
	ev=$TMP/events.$SESSION
	fwdlog=$TMP/fwd.$SESSION.log
	qlog=$TMP/qemu.$SESSION.log
	pcapf=$TMP/nic.$SESSION.pcap
	sock=$TMP/s.$SESSION.sock
	: >"$ev"

	case $tool in
	usernet)
		"$USERNET" -netdev "user,id=u0,tftp=$TMP/tftp,bootfile=boot.ipxe" \
			-netdev "stream,id=s0,server=on,addr.type=unix,addr.path=$sock" \
			>"$fwdlog" 2>&1 &
		fwd=$!
		;;
	libslirp-hub)
		qemu-system-x86_64 -machine none -nodefaults -no-user-config \
			-display none -monitor none \
			-netdev "user,id=u0,tftp=$TMP/tftp,bootfile=boot.ipxe" \
			-netdev "stream,id=s0,server=on,addr.type=unix,addr.path=$sock" \
			-netdev hubport,id=h0,hubid=0,netdev=u0 \
			-netdev hubport,id=h1,hubid=0,netdev=s0 >"$fwdlog" 2>&1 &
		fwd=$!
		;;
	esac
	if [ -n "$fwd" ]; then
		PIDS+=("$fwd")
		wait_for 10 test -S "$sock" || {
			R_ERR="$tool did not listen: $(tail -n 1 "$fwdlog")"
			kill_pid "$fwd"
			return
		}
		net=stream,id=n0,server=off,addr.type=unix,addr.path=$sock
		c0=$(cpu_ticks "$fwd")
	else
		net=user,id=n0,tftp=$TMP/tftp,bootfile=boot.ipxe
	fi

	# QEMU's default ROM is efi-NIC.rom; it is left to QEMU to find, as a
	# user's QEMU does (QEMU 7.2's virtio-net-pci given any romfile= boots
	# no ROM at all).
	[ "$ROM" = efi ] || rom=,romfile=$ROMDIR/$ROM-${ROMNAME[$nic]}.rom
	mkfifo "$TMP/con.$SESSION" || { R_ERR="mkfifo failed"; [ -n "$fwd" ] && kill_pid "$fwd"; return; }
	/usr/bin/python3 "$here/lib/pxe.py" console "$ev" "$log" <"$TMP/con.$SESSION" &
	stamp=$!
	PIDS+=("$stamp")
	t0=$(date +%s%N)
	qemu-system-x86_64 -machine pc -accel tcg -m 256 -nographic -no-reboot \
		-no-user-config -netdev "$net" \
		-object "filter-dump,id=d0,netdev=n0,file=$pcapf" \
		-device "$nic,netdev=n0$rom" \
		-boot n </dev/null >"$TMP/con.$SESSION" 2>"$qlog" &
	vm=$!
	PIDS+=("$vm")
	# Until the VM powers off, at most VM_TIMEOUT s; at once when the
	# console says the boot failed.
	n=$((VM_TIMEOUT * 10))
	while kill -0 "$vm" 2>/dev/null && ((n-- > 0)); do
		grep -q '^fail ' "$ev" && break
		sleep 0.1
	done
	if grep -q '^fail ' "$ev"; then
		R_ERR="the boot failed"
		kill_pid "$vm"
	elif kill -0 "$vm" 2>/dev/null; then
		R_ERR="no power-off within $VM_TIMEOUT s"
		kill_pid "$vm"
	else
		wait "$vm" 2>/dev/null
		forget_pid "$vm"
	fi
	R_SECS=$(awk -v ns="$(($(date +%s%N) - t0))" 'BEGIN { printf "%.1f", ns / 1e9 }')
	wait_deadline "$stamp" 5 || kill_pid "$stamp"
	if [ -n "$fwd" ]; then
		R_CPU=$(awk -v t="$(($(cpu_ticks "$fwd") - c0))" -v hz="$HZ" 'BEGIN { printf "%.2f", t / hz }')
		kill -0 "$fwd" 2>/dev/null ||
			R_ERR="${R_ERR:+$R_ERR; }$tool exited: $(tail -n 1 "$fwdlog")"
		kill_pid "$fwd"
	fi

	while read -r a b; do
		E[$a]=$b
	done <"$ev"
	if [ -s "$pcapf" ]; then
		R_PCAP=$(/usr/bin/python3 "$here/lib/pxe.py" pcap "$pcapf" 2>&1 | tail -n 1)
		for p in $R_PCAP; do
			case $p in *=*) P[${p%%=*}]=${p#*=} ;; esac
		done
	fi
	local ph span from to
	for ph in "${PHASES[@]}"; do
		span=${PH_SPAN[$ph]}
		from=${span%% *} to=${span#* }
		case $from in
		pcap:*)
			from=${from#pcap:}
			if [ -z "$from" ]; then a=0; else a=${P[$from]:-}; fi
			b=${P[$to]:-}
			;;
		*) a=${E[$from]:-} b=${E[$to]:-} ;;
		esac
		[ -n "$a" ] && [ -n "$b" ] &&
			R[$ph]=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", b - a }')
	done
	if [ "$R_ERR" = "the boot failed" ]; then
		R_ERR="the boot failed: $(tr -d '\r' <"$log" |
			sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' | grep -a -v '^[[:space:]]*$' | tail -n 1 | cut -c1-100)"
	fi
	if [ -z "$R_ERR" ]; then
		for p in dhcp config script kernel initrd boot linux off; do
			[ -n "${E[$p]:-}" ] && continue
			R_ERR="the console never showed '$p'; its last line: $(tr -d '\r' <"$log" |
				sed 's/\x1b\[[0-9;?]*[a-zA-Z]//g' | grep -a -v '^[[:space:]]*$' | tail -n 1 | cut -c1-100)"
			break
		done
	fi
	if { [ -n "$R_ERR" ] || [ "${VM_DEBUG:-0}" = 1 ]; } && [ -n "${VM_KEEP_LOGS:-}" ]; then
		cp "$log" "$VM_KEEP_LOGS/console.$SESSION.log" 2>/dev/null
		cp "$ev" "$VM_KEEP_LOGS/events.$SESSION" 2>/dev/null
		cp "$pcapf" "$VM_KEEP_LOGS/nic.$SESSION.pcap" 2>/dev/null
		[ -e "$fwdlog" ] && cp "$fwdlog" "$VM_KEEP_LOGS/fwd.$SESSION.log" 2>/dev/null
	fi
	rm -f "$log" "$ev" "$fwdlog" "$qlog" "$pcapf" "$sock" "$TMP/con.$SESSION"
}

# ------------------------------------------------------------------ runs --

declare -A VAL DETAIL ERRS
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
T_START=$(date +%s)
for ((run = 1; run <= RUNS; run++)); do
	for nic in $NICS; do
		for tool in $TOOLS; do
			key="$nic|$tool"
			run_boot "$tool" "$nic"
			d="run $run:"
			for ph in "${PHASES[@]}"; do
				d+=" $ph=${R[$ph]:-?}"
			done
			d+=" | capture: ${R_PCAP:-none} | VM ${R_SECS} s${R_CPU:+, forwarder CPU $R_CPU s}"
			DETAIL[$key]="${DETAIL[$key]:-}$d"$'\n'
			if [ -n "$R_ERR" ]; then
				ERRS[$key]="${ERRS[$key]:-}run $run: $R_ERR; "
				say "[run $run/$RUNS] $nic, $tool: FAILED: $R_ERR (VM $R_SECS s)"
				continue
			fi
			for ph in "${PHASES[@]}"; do
				[ -n "${R[$ph]:-}" ] && VAL[$key|$ph]="${VAL[$key|$ph]:-} ${R[$ph]}"
			done
			say "[run $run/$RUNS] $nic, $tool: DHCP -> kernel ${R[total]:-?} s (config ${R[dhcp_cfg]:-?}, kernel TFTP ${R[kernel]:-?}, boot -> Linux ${R[linux]:-?}), VM $R_SECS s"
		done
	done
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
T_MIN=$((($(date +%s) - T_START + 59) / 60))

# ---------------------------------------------------------------- report --

# shellcheck disable=SC2048,SC2086
count() { set -- $*; echo $#; }
has_tool() { case " $TOOLS " in *" $1 "*) return 0 ;; esac; return 1; }

# med KEY: the median of VAL[KEY], empty when none.
# shellcheck disable=SC2086
med() { median ${VAL[$1]:-}; }

# cell KEY: the median in seconds, '*' when some runs gave none, n/a when
# no run did, '-' when the tool was not run.
cell() {
	local v n tool=${1#*|}
	tool=${tool%%|*}
	has_tool "$tool" || { echo -; return; }
	v=$(med "$1")
	[ -n "$v" ] || { echo n/a; return; }
	n=$(count "${VAL[$1]:-}")
	printf '%.2f%s' "$v" "$([ "$n" -lt "$RUNS" ] && echo '*')"
}

# ratio NIC PHASE PEER: PEER's time / usernet's (above 1.00x usernet is faster).
ratio() {
	local u p
	u=$(med "$1|usernet|$2")
	p=$(med "$1|$3|$2")
	if [ -z "$u" ] || [ -z "$p" ]; then echo n/a; return; fi
	awk -v u="$u" -v p="$p" 'BEGIN { if (u > 0) printf "%.2fx", p / u; else print "n/a" }'
}

PEERS=()
for t in libslirp libslirp-hub; do has_tool "$t" && PEERS+=("$t"); done

echo
echo "usernet PXE boot benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $T_MIN min"
echo "machine: $(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), kernel $(uname -r), load average $LOAD_START at start, $LOAD_END at end"
commit=
case $USERNET in "$repo"/*) commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null) ;; esac
has_tool usernet && echo "usernet: $("$USERNET" --version 2>&1 | head -n 1) ($USERNET${commit:+, commit $commit}), QEMU -netdev stream to it"
how="the VM's own -netdev user"
has_tool libslirp-hub && how="libslirp: $how; libslirp-hub: a guest-less QEMU behind -netdev stream"
echo "libslirp: QEMU's user netdev, $(qemu-system-x86_64 --version | head -n 1), libslirp $(dpkg-query -W -f '${Version}' libslirp0 2>/dev/null || echo '?') ($how)"
echo "VM: qemu-system-x86_64 -machine pc -accel tcg -m 256, -boot n; iPXE $(dpkg-query -W -f '${Version}' ipxe-qemu 2>/dev/null || echo '?') ($ROM-NIC.rom); boot.ipxe loads $KPKG ($KERNEL_KB KiB) and the busybox initramfs ($INITRD_KB KiB) over TFTP"
echo "each figure: seconds, median of $RUNS runs, the forwarders interleaved run by run"
echo

hdr=$(printf '%-14s %-30s %9s' NIC phase usernet)
sep=$(printf '%-14s %-30s %9s' -------------- ------------------------------ ---------)
for t in "${PEERS[@]}"; do
	hdr+=$(printf ' %12s %7s' "$t" ratio)
	sep+=$(printf ' %12s %7s' ------------ -------)
done
echo "$hdr"
echo "$sep"
for nic in $NICS; do
	first=$nic
	for ph in "${PHASES[@]}"; do
		line=$(printf '%-14s %-30s %9s' "$first" "${PH_LABEL[$ph]}" "$(cell "$nic|usernet|$ph")")
		for t in "${PEERS[@]}"; do
			line+=$(printf ' %12s %7s' "$(cell "$nic|$t|$ph")" "$(ratio "$nic" "$ph" "$t")")
		done
		echo "$line"
		first=
	done
done
echo
echo "DHCP -> kernel start: from iPXE's \"Configuring (net0 ...)\" (its DHCP"
echo "starts) to the kernel's first line (\"Linux version\", earlyprintk) on the"
echo "serial console; iPXE boots kernel: its \"Probing EDD\", when the network"
echo "part is over. Indented rows split them: \"Configuring..ok\" is iPXE's"
echo "whole network configuration (DHCP, the wait for ProxyDHCP offers, IPv6"
echo "autoconfiguration); DISCOVER -> ACK and ACK -> 1st TFTP request come from"
echo "a capture of the NIC (QEMU's filter-dump, the VM's own clock); a TFTP row"
echo "ends with iPXE's \"ok\" for that file; boot -> Linux is the kernel's real-"
echo "mode setup and XZ decompression under TCG (no network; both forwarders"
echo "alike). ratio: the peer's time / usernet's, above 1.00x usernet is faster."
echo "*: some runs failed or lacked the event, left out; n/a: none had it."
if has_tool usernet; then
	for nic in $NICS; do
		v=$(med "$nic|usernet|total")
		[ -n "$v" ] || continue
		awk -v v="$v" -v n="$nic" -v h="$(med "$nic|usernet|handoff")" \
			-v k="$(med "$nic|usernet|linux")" -v p="$(med "$nic|libslirp|total")" 'BEGIN {
			printf "target (issue 15): DHCP -> kernel start <= 4.5 s (libslirp: 7.5 s there); %s: usernet %.2f s%s: %s\n",
				n, v, (p != "" ? sprintf(", libslirp %.2f s", p) : ""), (v <= 4.5 ? "met" : "not met")
			if (h != "" && k != "")
				printf "  of which iPXE boot -> Linux (no network, TCG) %.2f s; usernet DHCP -> iPXE boots kernel %.2f s\n", k, h }'
	done
fi
echo
echo "every run (seconds; capture: seconds after the first DHCPDISCOVER, n_: counts):"
for nic in $NICS; do
	for tool in $TOOLS; do
		printf '%s, %s:\n' "$nic" "$tool"
		printf '%s' "${DETAIL[$nic|$tool]:-}" | sed 's/^/  /'
	done
done

notes=()
for nic in $NICS; do
	for tool in $TOOLS; do
		[ -n "${ERRS[$nic|$tool]:-}" ] && notes+=("failed: $nic, $tool: ${ERRS[$nic|$tool]}")
	done
done
if [ ${#notes[@]} -gt 0 ]; then
	echo
	printf '%s\n' "${notes[@]}"
fi
