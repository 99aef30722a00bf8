#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# vm.sh - benchmark (not a test): real VMs on usernet beside QEMU's own
# libslirp, for each NIC model QEMU emulates and each way QEMU reaches an
# external network process.
#
#   VM: qemu-system-x86_64, Debian's kernel, a busybox initramfs (vm/init)
#  +------------------------------+             forwarder                 host
#  | udhcpc, wget, tftp           |       +---------------------+
#  | NIC: rtl8139 | e1000 |       | unix  | usernet:            |  sockets  python3 -m
#  |      virtio-net-pci          |<----->|  stream/socket port |<--------> http.server
#  | netdev stream (unix) or      |  or   |  + user netdev      |          on 127.0.0.1
#  |        socket (TCP)          |  TCP  | or QEMU -machine none:           (10.0.2.2 to
#  +------------------------------+       |  stream/socket --   |           the guest)
#                                         |  hubport -- user    |
#                                         |  (libslirp)         |
#                                         +---------------------+
#
# The guest gets a DHCP lease, downloads VM_SIZE MiB over HTTP from the
# gateway 10.0.2.2 (the host's loopback), samples its rx byte counter every
# 100 ms meanwhile (the longest stall, and the 1-s windows below 10% of the
# best one), then fetches a 1 MiB file from the gateway's TFTP server, and
# prints RESULT lines on its serial console, which goes to a file here. Each
# figure is the median of VM_RUNS runs, the two forwarders interleaved run by
# run.
#
#   test/bench/vm.sh > vm.txt      (progress on stderr, the report on stdout)
#
# Environment:
#   USERNET         the usernet binary (default ./build/usernet, else the
#                   repository's build/usernet)
#   VM_RUNS         runs of every combination (default 3)
#   VM_NICS         NIC models (default "rtl8139 e1000 virtio-net-pci")
#   VM_TRANSPORTS   links between the VM and the forwarder (default
#                   "stream socket": a unix stream socket, a TCP socket)
#   VM_TOOLS        forwarders (default "usernet libslirp")
#   VM_SIZE         MiB of the HTTP download (default 64)
#   VM_TIMEOUT      seconds a VM may take from start to power-off (default 180)
#   VM_NO_INSTALL=1 never call apt-get (the kernel and busybox-static must
#                   then be in the cache already)
#
# The guest is built from Debian packages fetched with 'apt-get download'
# (linux-image-*-amd64, busybox-static), unpacked with dpkg-deb into
# ${XDG_CACHE_HOME:-$HOME/.cache}/usernet/vm; nothing is installed from them.
# Every process this script starts is tracked by PID and killed on exit,
# Ctrl-C included; its scratch folder under /tmp is removed.

set -u
export LC_ALL=C

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
RUNS=${VM_RUNS:-3}
NICS=${VM_NICS:-rtl8139 e1000 virtio-net-pci}
TRANSPORTS=${VM_TRANSPORTS:-stream socket}
TOOLS=${VM_TOOLS:-usernet libslirp}
SIZE=${VM_SIZE:-64}
VM_TIMEOUT=${VM_TIMEOUT:-180}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/usernet/vm
TFTP_KIB=1024
. "$here/lib/common.sh"


case $RUNS in '' | *[!0-9]* | 0) die "VM_RUNS must be a positive integer" ;; esac
case $SIZE in '' | *[!0-9]* | 0) die "VM_SIZE must be a positive integer (MiB)" ;; esac
case $VM_TIMEOUT in '' | *[!0-9]* | 0) die "VM_TIMEOUT must be a positive integer" ;; esac
[ "$VM_TIMEOUT" -ge 60 ] || die "VM_TIMEOUT below 60 s leaves no time to boot"
for n in $NICS; do
	case $n in rtl8139 | e1000 | virtio-net-pci) ;; *) die "unknown NIC in VM_NICS: $n" ;; esac
done
for t in $TRANSPORTS; do
	case $t in stream | socket) ;; *) die "unknown transport in VM_TRANSPORTS: $t" ;; esac
done
for t in $TOOLS; do
	case $t in usernet | libslirp) ;; *) die "unknown tool in VM_TOOLS: $t" ;; esac
done

# ---------------------------------------------------------- installation --

NO_INSTALL=${VM_NO_INSTALL:-0}
install_missing VM_NO_INSTALL qemu-system-x86_64=qemu-system-x86 \
	/usr/bin/python3=python3 ss=iproute2 gzip=gzip

command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is needed (package qemu-system-x86)"
[ -x /usr/bin/python3 ] || die "/usr/bin/python3 is needed for the HTTP server"
command -v ss >/dev/null || die "ss (iproute2) is needed"
command -v dpkg-deb >/dev/null || die "dpkg-deb is needed to unpack the guest's packages"

# ------------------------------------------------------------ the guest --

. "$here/lib/vmimage.sh"
vm_image

# KVM only when /dev/kvm works: a guest-less QEMU with it must still be
# running after 2 s (timeout then ends it, status 124).
ACCEL=tcg
if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
	timeout 2 qemu-system-x86_64 -accel kvm -machine none -nodefaults \
		-no-user-config -display none -monitor none >/dev/null 2>&1
	[ $? = 124 ] && ACCEL=kvm
fi

# --------------------------------------------------------------- host side --

TMP=$(mktemp -d /tmp/usernet-vmbench.XXXXXX) || die "mktemp failed"
mkdir -p "$TMP/www" "$TMP/tftp"
truncate -s "${SIZE}M" "$TMP/www/blob" || die "cannot make the $SIZE MiB file"
head -c $((TFTP_KIB * 1024)) /dev/urandom >"$TMP/tftp/tftp.bin" || die "cannot make the TFTP file"

listening() { ss -Hltn "( sport = :$1 )" 2>/dev/null | grep -q .; }

free_port
HTTP_PORT=$PORT
/usr/bin/python3 -m http.server --bind 127.0.0.1 --directory "$TMP/www" \
	"$HTTP_PORT" >"$TMP/http.log" 2>&1 &
HTTP_PID=$!
PIDS+=("$HTTP_PID")
wait_for 10 listening "$HTTP_PORT" ||
	die "the HTTP server did not listen on 127.0.0.1:$HTTP_PORT: $(tail -n 1 "$TMP/http.log")"

# -------------------------------------------------------------- sessions --

# cpu_ticks PID: user + system clock ticks PID has used so far.
cpu_ticks() {
	awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)

SESSION=0
# run_vm TOOL NIC TRANSPORT: one boot. Sets R_ERR (empty when the run
# worked), R_MBIT, R_STALL, R_FIRST (ms to the first data), R_SLOW
# (slow/windows), R_TFTP (KiB/s, empty when TFTP failed), R_TFTP_ERR,
# R_LEASE and R_SETTLE (ms), R_NOTE, R_SECS (wall time of the VM), R_CPU
# (forwarder CPU seconds).
run_vm() {
	local tool=$1 nic=$2 tr=$3 fwd vm log fwdlog sock fnd gnd c0 t0 line
	local -A kv
	R_ERR='' R_MBIT='' R_STALL='' R_SLOW='' R_TFTP='' R_TFTP_ERR='' R_LEASE=''
	R_SECS='' R_CPU='' R_FIRST='' R_SETTLE='' R_NOTE=''
	SESSION=$((SESSION + 1))
	log=$TMP/console.$SESSION.log
	fwdlog=$TMP/fwd.$SESSION.log
	sock=$TMP/s.$SESSION.sock
	case $tr in
	stream)
		fnd=stream,id=s0,server=on,addr.type=unix,addr.path=$sock
		gnd=stream,id=n0,server=off,addr.type=unix,addr.path=$sock
		;;
	socket)
		free_port
		fnd=socket,id=s0,listen=127.0.0.1:$PORT
		gnd=socket,id=n0,connect=127.0.0.1:$PORT
		;;
	esac

	case $tool in
	usernet)
		"$USERNET" -netdev "user,id=u0,tftp=$TMP/tftp" -netdev "$fnd" >"$fwdlog" 2>&1 &
		;;
	libslirp)
		# QEMU with no guest: its hub 0 joins its user stack and the
		# stream/socket netdev through two hubports.
		qemu-system-x86_64 -machine none -nodefaults -no-user-config \
			-display none -monitor none \
			-netdev "user,id=u0,tftp=$TMP/tftp" -netdev "$fnd" \
			-netdev hubport,id=h0,hubid=0,netdev=u0 \
			-netdev hubport,id=h1,hubid=0,netdev=s0 >"$fwdlog" 2>&1 &
		;;
	esac
	fwd=$!
	PIDS+=("$fwd")
	if [ "$tr" = stream ]; then
		wait_for 10 test -S "$sock"
	else
		wait_for 10 listening "$PORT"
	fi || {
		R_ERR="$tool did not listen: $(tail -n 1 "$fwdlog")"
		kill_pid "$fwd"
		return
	}

	c0=$(cpu_ticks "$fwd")
	t0=$(date +%s%N)
	qemu-system-x86_64 -accel "$ACCEL" -m 256M -smp 1 -nodefaults -no-user-config \
		-display none -monitor none -no-reboot -serial "file:$log" \
		-kernel "$VMLINUZ" -initrd "$INITRD" \
		-append "console=ttyS0 quiet panic=-1 usernet.nic=$nic usernet.port=$HTTP_PORT usernet.size=$SIZE usernet.tftp=tftp.bin usernet.timeout=$((VM_TIMEOUT - 60)) usernet.debug=${VM_DEBUG:-0}" \
		-netdev "$gnd" -device "$nic,netdev=n0" >"$TMP/qemu.$SESSION.log" 2>&1 &
	vm=$!
	PIDS+=("$vm")
	if ! wait_deadline "$vm" "$VM_TIMEOUT"; then
		R_ERR="no power-off within $VM_TIMEOUT s"
		kill_pid "$vm"
	fi
	R_SECS=$((($(date +%s%N) - t0) / 1000000000))
	R_CPU=$(awk -v t="$(($(cpu_ticks "$fwd") - c0))" -v hz="$HZ" 'BEGIN { printf "%.1f", t / hz }')
	if ! kill -0 "$fwd" 2>/dev/null; then
		R_ERR="${R_ERR:+$R_ERR; }$tool exited: $(tail -n 1 "$fwdlog")"
	fi
	kill_pid "$fwd"

	# The console has \r\n line ends.
	tr -d '\r' <"$log" >"$log.txt" 2>/dev/null
	while read -r line; do
		kv=()
		local w
		for w in ${line#RESULT * }; do
			kv[${w%%=*}]=${w#*=}
		done
		case $line in
		"RESULT lease "*) R_LEASE=${kv[ms]:-} ;;
		"RESULT settle "*) R_SETTLE=${kv[ms]:-} ;;
		"FAIL settle"*) R_NOTE=${line#FAIL } ;;
		"RESULT http "*)
			R_MBIT=$(awk -v b="${kv[bytes]}" -v ms="${kv[ms]}" \
				'BEGIN { if (ms > 0) printf "%.1f", b * 8 / ms / 1000 }')
			R_STALL=${kv[stall_ms]:-}
			R_FIRST=${kv[first_ms]:-}
			R_SLOW=${kv[slow1s]:-}/${kv[windows]:-}
			;;
		"RESULT tftp "*)
			R_TFTP=$(awk -v b="${kv[bytes]}" -v ms="${kv[ms]}" \
				'BEGIN { if (ms > 0) printf "%.0f", b / 1024 / (ms / 1000) }')
			[ "${kv[bytes]}" = $((TFTP_KIB * 1024)) ] ||
				{ R_TFTP='' R_TFTP_ERR="tftp got ${kv[bytes]} bytes"; }
			;;
		"FAIL tftp"*) R_TFTP_ERR=${line#FAIL } ;;
		"FAIL "*) R_ERR="${R_ERR:+$R_ERR; }${line#FAIL }" ;;
		esac
	done < <(grep -E '^(RESULT|FAIL) ' "$log.txt")
	if [ -z "$R_MBIT" ] && [ -z "$R_ERR" ]; then
		R_ERR="no result on the console: $(grep -v '^ *$' "$log.txt" | tail -n 1)"
	fi
	[ -n "$R_ERR" ] && R_MBIT=''
	[ -z "$R_TFTP" ] && [ -z "$R_TFTP_ERR" ] && R_TFTP_ERR="no TFTP result"
	if { [ -n "$R_ERR" ] || [ "${VM_DEBUG:-0}" = 1 ]; } && [ -n "${VM_KEEP_LOGS:-}" ]; then
		cp "$log.txt" "$VM_KEEP_LOGS/console.$SESSION.log" 2>/dev/null
		cp "$fwdlog" "$VM_KEEP_LOGS/fwd.$SESSION.log" 2>/dev/null
	fi
	rm -f "$log" "$log.txt" "$fwdlog" "$TMP/qemu.$SESSION.log" "$sock"
}

# ------------------------------------------------------------------ runs --

declare -A MBIT STALL SLOW TFTP ERRS TERRS DETAIL
LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
T_START=$(date +%s)
for ((run = 1; run <= RUNS; run++)); do
	for nic in $NICS; do
		for tr in $TRANSPORTS; do
			for tool in $TOOLS; do
				key="$nic|$tr|$tool"
				run_vm "$tool" "$nic" "$tr"
				d="run $run: ${R_MBIT:-failed} Mbit/s, first data ${R_FIRST:-?} ms, stall ${R_STALL:-?} ms, slow 1-s ${R_SLOW:-?}, TFTP ${R_TFTP:-failed} KiB/s, lease ${R_LEASE:-?} ms, settle ${R_SETTLE:-?} ms, VM ${R_SECS} s, forwarder CPU ${R_CPU} s${R_NOTE:+ ($R_NOTE)}"
				DETAIL[$key]="${DETAIL[$key]:-}$d"$'\n'
				if [ -n "$R_ERR" ]; then
					ERRS[$key]="${ERRS[$key]:-}run $run: $R_ERR; "
					say "[run $run/$RUNS] $nic, $tr, $tool: FAILED: $R_ERR ($R_SECS s)"
				else
					MBIT[$key]="${MBIT[$key]:-} $R_MBIT"
					STALL[$key]="${STALL[$key]:-} $R_STALL"
					SLOW[$key]="${SLOW[$key]:-} ${R_SLOW%%/*}"
					say "[run $run/$RUNS] $nic, $tr, $tool: $R_MBIT Mbit/s, stall $R_STALL ms, slow 1-s $R_SLOW, TFTP ${R_TFTP:-failed} KiB/s, VM $R_SECS s"
				fi
				if [ -n "$R_TFTP" ]; then
					TFTP[$key]="${TFTP[$key]:-} $R_TFTP"
				else
					TERRS[$key]="${TERRS[$key]:-}run $run: $R_TFTP_ERR; "
				fi
			done
		done
	done
done
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
T_MIN=$((($(date +%s) - T_START + 59) / 60))

# ---------------------------------------------------------------- report --

# shellcheck disable=SC2048,SC2086
count() { set -- $*; echo $#; }
has_tool() { case " $TOOLS " in *" $1 "*) return 0 ;; esac; return 1; }

# cell ARRAY KEY FMT: the median of ARRAY[KEY] in FMT, '*' when some runs
# failed, n/a when all did, '-' when the tool was not run.
cell() {
	local -n arr=$1
	local v n
	has_tool "${2##*|}" || { echo -; return; }
	# shellcheck disable=SC2086
	v=$(median ${arr[$2]:-})
	[ -n "$v" ] || { echo n/a; return; }
	# shellcheck disable=SC2086
	n=$(count ${arr[$2]:-})
	# shellcheck disable=SC2059
	printf "$3%s" "$v" "$([ "$n" -lt "$RUNS" ] && echo '*')"
}

ratio() {
	local u p
	# shellcheck disable=SC2086
	u=$(median ${MBIT[$1|usernet]:-})
	# shellcheck disable=SC2086
	p=$(median ${MBIT[$1|libslirp]:-})
	if [ -z "$u" ] || [ -z "$p" ]; then echo n/a; return; fi
	awk -v u="$u" -v p="$p" 'BEGIN { if (p > 0) printf "%.2fx", u / p; else print "n/a" }'
}

tr_label() { case $1 in stream) echo "stream unix" ;; socket) echo "socket TCP" ;; esac; }

echo
echo "usernet VM benchmark, $(date -u '+%Y-%m-%d %H:%M:%S UTC'), $T_MIN min"
echo "machine: $(nproc) CPUs ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), kernel $(uname -r), load average $LOAD_START at start, $LOAD_END at end"
# The tree's commit only when the binary is the tree's build.
commit=
case $USERNET in "$repo"/*) commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null) ;; esac
echo "usernet: $("$USERNET" --version 2>&1 | head -n 1) ($USERNET${commit:+, commit $commit})"
echo "libslirp: QEMU's user netdev, $(qemu-system-x86_64 --version | head -n 1), libslirp $(dpkg-query -W -f '${Version}' libslirp0 2>/dev/null || echo '?')"
echo "guest: $ACCEL, 1 vCPU, 256 MiB; $KPKG ($(dpkg-deb -f "$KDEB" Version)), busybox-static $(dpkg-deb -f "$BDEB" Version)"
echo "each run: boot, DHCP, wget of $SIZE MiB from 10.0.2.2 (python3 http.server on 127.0.0.1), tftp of $TFTP_KIB KiB (512-byte blocks)"
echo "each figure: median of $RUNS runs, the forwarders interleaved run by run"
echo

FMT='%-15s %-12s %9s %9s %7s %8s %8s %7s %7s %8s %8s\n'
printf '%-15s %-12s %-27s %-17s %-15s %s\n' "" "" "  HTTP Mbit/s (median)" \
	" longest stall ms" "   slow 1-s" "   TFTP KiB/s"
# shellcheck disable=SC2059
printf "$FMT" NIC link usernet libslirp ratio usernet libslirp usernet libslirp usernet libslirp
# shellcheck disable=SC2059
printf "$FMT" --------------- ------------ --------- --------- ------- -------- -------- ------- ------- -------- --------
for nic in $NICS; do
	for tr in $TRANSPORTS; do
		k="$nic|$tr"
		# shellcheck disable=SC2059
		printf "$FMT" "$nic" "$(tr_label "$tr")" \
			"$(cell MBIT "$k|usernet" %.1f)" "$(cell MBIT "$k|libslirp" %.1f)" \
			"$(ratio "$k")" \
			"$(cell STALL "$k|usernet" %.0f)" "$(cell STALL "$k|libslirp" %.0f)" \
			"$(cell SLOW "$k|usernet" %.0f)" "$(cell SLOW "$k|libslirp" %.0f)" \
			"$(cell TFTP "$k|usernet" %.0f)" "$(cell TFTP "$k|libslirp" %.0f)"
	done
done
echo
echo "ratio: usernet / libslirp HTTP throughput; above 1.00x usernet is faster."
echo "longest stall: the longest time the guest's NIC received nothing between"
echo "the first and the last data of the download (rx bytes sampled every"
echo "100 ms); slow 1-s: the whole 1-s windows that received less than 10% of"
echo "the best one. *: some runs failed, left out of the median; n/a: every run"
echo "failed (see below)."

echo
echo "every run:"
for nic in $NICS; do
	for tr in $TRANSPORTS; do
		for tool in $TOOLS; do
			k="$nic|$tr|$tool"
			printf '%s, %s, %s:\n' "$nic" "$(tr_label "$tr")" "$tool"
			printf '%s' "${DETAIL[$k]:-}" | sed 's/^/  /'
		done
	done
done

notes=()
for nic in $NICS; do
	for tr in $TRANSPORTS; do
		for tool in $TOOLS; do
			k="$nic|$tr|$tool"
			[ -n "${ERRS[$k]:-}" ] && notes+=("failed: $nic, $(tr_label "$tr"), $tool: ${ERRS[$k]}")
			[ -n "${TERRS[$k]:-}" ] && notes+=("TFTP failed: $nic, $(tr_label "$tr"), $tool: ${TERRS[$k]}")
		done
	done
done
if [ ${#notes[@]} -gt 0 ]; then
	echo
	printf '%s\n' "${notes[@]}"
fi
