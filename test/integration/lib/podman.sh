# SPDX-License-Identifier: MIT
# Rootless podman for the tests and the benchmark (test/integration/podman.sh,
# test/bench/podman.sh): sourced, never run by itself. Needs TMP (a scratch
# folder of mode 755) set by the caller; the caller runs pod_teardown on
# every exit (before it removes TMP).
#
# pod_setup makes a throw-away user with subordinate UID/GID ranges, its
# runtime folder /run/user/UID (there is no logind session to make it),
# and its containers.conf and storage.conf:
#   runtime = "runc", cgroup_manager = "cgroupfs": on hosts with hybrid
#     cgroups (v1 controllers and a v2 mount) crun refuses to start
#     containers; runc with cgroupfs runs them (no cgroups for a rootless
#     user on v1; podman 4.3 refuses runc with cgroups = "disabled").
#   events_logger = "file", log_driver = "k8s-file": no journald needed.
#   storage driver "vfs": no fuse-overlayfs, no overlay mount rights.
#   network_cmd_path: pod_net_cmd sets it.
# There is no registry: pod_image builds a busybox root file system (the
# binaries and the shared libraries ldd names; Debian's busybox-static
# conflicts with the busybox package the other tests use) and imports it
# with `podman import`.
#
# Every podman command (pod) runs as the user, with only PATH, HOME, USER
# and XDG_RUNTIME_DIR in its environment, in a private mount namespace
# where /etc/resolv.conf is POD_RESOLV (when set): podman's network command
# reads it for its DNS forwarder, and rootless podman's pause process keeps
# the namespaces of the first call for the later ones. / is made shared
# there (podman warns otherwise); nothing propagates back to the host.
#
# pod_teardown removes the containers, then stops the user's processes
# (the pause process podman left, and anything else of that user: all of
# them were started by this script through podman), removes the user with
# its home and storage, its runtime folder and its subordinate ranges, and
# gives /dev/net/tun its mode back.

POD_USER=
POD_UID=
POD_HOME=
POD_RUN=
POD_RESOLV=
POD_TUN_MODE=
POD_IMAGE=localhost/usernet-test

# pod_setup NAME: the user NAME and its podman configuration. Return: 1
# (with a message) when something cannot be made.
pod_setup() {
	local f
	POD_USER=$1
	if getent passwd "$POD_USER" >/dev/null; then
		echo "user $POD_USER exists already"
		POD_USER=
		return 1
	fi
	# Rootless podman opens /dev/net/tun through its network command.
	POD_TUN_MODE=$(stat -c %a /dev/net/tun)
	chmod 0666 /dev/net/tun
	for f in /etc/subuid /etc/subgid; do
		[ -e "$f" ] || touch "$f"
	done
	useradd -m -s /bin/sh "$POD_USER" || { POD_USER= && return 1; }
	POD_UID=$(id -u "$POD_USER")
	POD_HOME=$(getent passwd "$POD_USER" | cut -d: -f6)
	# useradd gives a new user ranges of 65536 when the files exist; a
	# system whose login.defs says otherwise gets one here.
	if ! grep -q "^$POD_USER:" /etc/subuid || ! grep -q "^$POD_USER:" /etc/subgid; then
		local top
		top=$(cat /etc/subuid /etc/subgid | awk -F: '{ e = $2 + $3; if (e > m) m = e } END { print (m > 100000 ? m : 100000) }')
		usermod --add-subuids "$top-$((top + 65535))" --add-subgids "$top-$((top + 65535))" "$POD_USER" ||
			return 1
	fi
	POD_RUN=/run/user/$POD_UID
	mkdir -p "$POD_RUN"
	chown "$POD_USER:" "$POD_RUN"
	chmod 700 "$POD_RUN"
	mkdir -p "$POD_HOME/.config/containers"
	cat >"$POD_HOME/.config/containers/containers.conf" <<'EOF'
[containers]
log_driver = "k8s-file"

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
network_cmd_path = ""
EOF
	printf '[storage]\ndriver = "vfs"\n' >"$POD_HOME/.config/containers/storage.conf"
	chown -R "$POD_USER:" "$POD_HOME/.config"
}

# pod_net_cmd PATH: podman's network command (network_cmd_path) from now on.
pod_net_cmd() {
	sed -i "s|^network_cmd_path = .*|network_cmd_path = \"$1\"|" \
		"$POD_HOME/.config/containers/containers.conf"
}

# pod_runnable PATH: 0 when the test user can run PATH (a build tree under
# a private home folder is out of its reach).
pod_runnable() {
	runuser -u "$POD_USER" -- test -x "$1"
}

# pod ARGS...: podman ARGS as the test user (at most 120 s).
pod() {
	local resolv=${POD_RESOLV:-/etc/resolv.conf}
	unshare --mount sh -c 'mount --make-rshared / &&
		{ [ "$0" = /etc/resolv.conf ] || mount --bind "$0" /etc/resolv.conf; } && exec "$@"' \
		"$resolv" runuser -u "$POD_USER" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		HOME="$POD_HOME" USER="$POD_USER" XDG_RUNTIME_DIR="$POD_RUN" \
		timeout 120 podman "$@"
}

# pod_rootfs DIR BINARY...: a root file system in DIR: busybox with a link
# for each of its applets in /bin, the other BINARYs in /bin, and the
# shared libraries they all load at their paths.
pod_rootfs() {
	local root=$1 bin lib app
	shift
	mkdir -p "$root/bin" "$root/etc" "$root/tmp"
	chmod 1777 "$root/tmp"
	for bin in "$(command -v busybox)" "$@"; do
		cp -L "$bin" "$root/bin/"
		for lib in $(ldd "$bin" | grep -o '/[^ ]*'); do
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		done
	done
	for app in $(busybox --list); do
		[ -e "$root/bin/$app" ] || ln -s busybox "$root/bin/$app"
	done
}

# pod_image DIR: imports the root file system in DIR as POD_IMAGE.
pod_image() {
	tar -C "$1" -cf "$TMP/rootfs.tar" . && chmod 644 "$TMP/rootfs.tar" &&
		pod import -q "$TMP/rootfs.tar" "$POD_IMAGE" >/dev/null
}

# pod_net_pids: the PIDs of the test user's network command processes
# that still run (slirp4netns, or usernet started through its slirp4netns
# link: both are named so; zombies waiting for a reaper do not count).
pod_net_pids() {
	ps -u "$POD_UID" -o pid=,stat=,comm= 2>/dev/null |
		awk '$2 !~ /^Z/ && $3 == "slirp4netns" { print $1 }'
}

# pod_user_pids: the test user's processes (zombies waiting for a reaper
# left out).
pod_user_pids() {
	ps -u "$POD_UID" -o pid=,stat= 2>/dev/null | awk '$2 !~ /^Z/ { print $1 }'
}

# pod_teardown: everything pod_setup and podman made, gone.
pod_teardown() {
	local pid i n left
	if [ -n "$POD_USER" ]; then
		pod rm -a -f -t 0 >/dev/null 2>&1
		# The processes of the test user: the pause process, conmon, and
		# what they left; all started by this script through podman.
		for i in 1 2 3; do
			left=$(pod_user_pids)
			[ -z "$left" ] && break
			for pid in $left; do
				kill -"$([ "$i" = 3 ] && echo KILL || echo TERM)" "$pid" 2>/dev/null
			done
			for ((n = 0; n < 30; n++)); do
				[ -z "$(pod_user_pids)" ] && break
				sleep 0.1
			done
		done
		userdel -r -f "$POD_USER" >/dev/null 2>&1 || echo "userdel $POD_USER failed"
		# userdel removes the subordinate ranges too; make sure.
		sed -i "/^$POD_USER:/d" /etc/subuid /etc/subgid
		rm -rf "$POD_RUN"
		POD_USER=
	fi
	[ -n "$POD_TUN_MODE" ] && chmod "$POD_TUN_MODE" /dev/net/tun
	POD_TUN_MODE=
}
