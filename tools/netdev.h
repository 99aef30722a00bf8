/* SPDX-License-Identifier: MIT */
/*
 * netdev: the parser of usernet's `-netdev TYPE,id=ID,key=value,...` options.
 *
 * The syntax is QEMU's (QemuOpts): comma separated elements, the first one
 * the type, then key=value pairs in which a doubled comma ",," stands for a
 * literal comma. The parser does no I/O and opens nothing: it only turns one
 * option string into a struct netdev, or into one line of error text.
 */
#ifndef USERNET_TOOLS_NETDEV_H
#define USERNET_TOOLS_NETDEV_H

#include <stdbool.h>
#include <stddef.h>

#include <usernet/ports.h>
#include <usernet/proxy.h>
#include <usernet/stack.h>

/** Size of struct netdev's id, with its NUL: ids have at most 31 chars. */
#define NETDEV_ID_MAX 32
/** Size of a dump netdev's file name, with its NUL. */
#define NETDEV_FILE_MAX 4096
/** Default snap length of a dump netdev, as QEMU's -net dump. */
#define NETDEV_DUMP_LEN_DEFAULT 65536
/** Most hostfwd= keys one user netdev may have. */
#define NETDEV_FWD_MAX 32
/** Most hubs one process runs: distinct hub= and hubport,hubid= values. */
#define NETDEV_HUB_MAX 16
/** Size of a host name or address in an address key, with its NUL. */
#define NETDEV_HOST_MAX 256
/** Size of a unix socket path, with its NUL (sockaddr_un's sun_path). */
#define NETDEV_PATH_MAX 108
/** Size of a vde netdev's group= value, with its NUL. */
#define NETDEV_GROUP_MAX 64
/** Largest reconnect= value, in seconds (one day). */
#define NETDEV_RECONNECT_MAX 86400
/** The memory budget a user netdev takes (mem-budget=): 4 MiB to 1 TiB. */
#define NETDEV_MEM_BUDGET_MIN (UINT64_C(4) << 20)
#define NETDEV_MEM_BUDGET_MAX (UINT64_C(1) << 40)
/** The longest tcp-stall-timeout= in seconds: a day. */
#define NETDEV_STALL_MAX 86400
/** The longest policy-ttl-min= and policy-ttl-max= in seconds: a week. */
#define NETDEV_NAMES_TTL_MAX 604800
/** Default mode= of a vde netdev's data socket (QEMU's). */
#define NETDEV_VDE_MODE_DEFAULT 0700

/**
 * enum netdev_type - the kinds of -netdev usernet knows
 * @NETDEV_USER: the user-mode stack ("user")
 * @NETDEV_TAP: a tap interface, by name or by an inherited fd ("tap")
 * @NETDEV_DUMP: a pcap file of every frame on the hub ("dump")
 * @NETDEV_SOCKET: QEMU's socket netdev: listen=, connect= (a stream),
 *                 mcast=, udp= (datagrams) ("socket")
 * @NETDEV_STREAM: QEMU 7.2's stream netdev: inet, unix or fd ("stream")
 * @NETDEV_DGRAM: QEMU 7.2's dgram netdev: inet, multicast or unix ("dgram")
 * @NETDEV_VDE: a VDE switch through libvdeplug ("vde")
 * @NETDEV_VXLAN: one segment across hosts over VXLAN ("vxlan")
 * @NETDEV_HUBPORT: puts netdev= on hub hubid= ("hubport")
 * @NETDEV_TYPE_NUM: the number of types
 */
enum netdev_type {
	NETDEV_USER,
	NETDEV_TAP,
	NETDEV_DUMP,
	NETDEV_SOCKET,
	NETDEV_STREAM,
	NETDEV_DGRAM,
	NETDEV_VDE,
	NETDEV_VXLAN,
	NETDEV_HUBPORT,
	NETDEV_TYPE_NUM
};

/**
 * enum netdev_addr_type - the kinds of address QEMU's addr.type= names
 * @NETDEV_ADDR_NONE: not given
 * @NETDEV_ADDR_INET: a host and a port ("inet")
 * @NETDEV_ADDR_UNIX: a unix socket path ("unix")
 * @NETDEV_ADDR_FD: an inherited descriptor ("fd")
 * @NETDEV_ADDR_TYPE_NUM: the number of kinds
 */
enum netdev_addr_type {
	NETDEV_ADDR_NONE,
	NETDEV_ADDR_INET,
	NETDEV_ADDR_UNIX,
	NETDEV_ADDR_FD,
	NETDEV_ADDR_TYPE_NUM
};

/**
 * struct netdev_addr - a socket address as written; resolved when opened
 * @type: which of the fields below is meant
 * @host: inet: a host name or an IPv4/IPv6 address (no brackets); empty
 *        for any address (listening only)
 * @port: inet: the port, 0..65535 (0 only when listening: the kernel
 *        chooses)
 * @path: unix: the socket's path, 1..107 bytes
 * @fd: fd: the inherited descriptor
 */
struct netdev_addr {
	enum netdev_addr_type type;
	char host[NETDEV_HOST_MAX];
	unsigned int port;
	char path[NETDEV_PATH_MAX];
	int fd;
};

/**
 * struct netdev_link - the settings of a socket, stream or dgram netdev
 * @stream: a stream transport (socket listen=/connect=, stream); else
 *          datagrams (socket mcast=/udp=, dgram)
 * @server: stream: listen for a peer (socket listen=, stream server=on);
 *          else connect (default)
 * @reconnect: stream, connecting: reconnect=SECONDS, the longest back-off
 *             between connect attempts, 0..NETDEV_RECONNECT_MAX (default 0:
 *             never, as QEMU 7.2)
 * @offload: stream: offload=on, offer usernet's offload extension to the
 *           peer (default off)
 * @addr: stream: the address to listen on or connect to
 * @local: datagrams: the local address (for multicast: the interface's
 *         address, localaddr=; NETDEV_ADDR_NONE when not given)
 * @remote: datagrams: the peer, or the multicast group
 */
struct netdev_link {
	bool stream;
	bool server;
	unsigned int reconnect;
	bool offload;
	struct netdev_addr addr;
	struct netdev_addr local;
	struct netdev_addr remote;
};

/** Largest ageing= value of a vxlan netdev, in seconds (a million). */
#define NETDEV_VXLAN_AGEING_MAX 1000000

/**
 * struct netdev_vxlan - the settings of a vxlan netdev
 * @vni: vni=N, 0..16777215 (required)
 * @port: port=N, the UDP port bound and sent to, 1..65535 (default 4789)
 * @local: local=ADDR, an IPv4 or IPv6 address to bind; empty for any
 * @remotes: remote=HOST[:PORT] (repeatable, at most
 *           UNET_VXLAN_REMOTES_MAX; an IPv6 address with a port goes in
 *           brackets); port 0 when not given (then @port)
 * @n_remotes: how many of @remotes are used
 * @group: group=ADDR[:PORT], an IPv4 or IPv6 multicast address; type
 *         NETDEV_ADDR_NONE when not given
 * @dev: dev=IFNAME, the underlay interface; empty for none
 * @learning: learning=on|off (default on)
 * @ageing: ageing=SECONDS, 0..NETDEV_VXLAN_AGEING_MAX (default 300; 0:
 *          for ever)
 */
struct netdev_vxlan {
	unsigned int vni;
	unsigned int port;
	char local[NETDEV_HOST_MAX];
	struct netdev_addr remotes[UNET_VXLAN_REMOTES_MAX];
	int n_remotes;
	struct netdev_addr group;
	char dev[UNET_IFNAME_MAX];
	bool learning;
	unsigned int ageing;
};

/**
 * struct netdev_user - the settings of a user netdev
 * @stack: the stack's addresses: keys net=ADDR[/MASK] (default
 *         10.0.2.0/24), host=ADDR (default net + 2), dns=ADDR (default
 *         net + 3), dhcpstart=ADDR (default net + 15); @stack.mac is
 *         unet_stack_config_init()'s default
 * @proxy: the proxy's behaviour: restrict=on|off sets
 *         @proxy.restrict_guest (default off), loopback=on|off sets
 *         @proxy.loopback (default on); the rest is
 *         unet_proxy_config_init()'s defaults
 * @fwds: the hostfwd= keys, in the order given; ports and addresses in
 *        network order, each side AF_INET or, bracketed, AF_INET6; a
 *        missing host address INADDR_ANY, a missing guest address
 *        @stack.dhcp_start
 * @n_fwds: how many of @fwds are used, 0..NETDEV_FWD_MAX
 * @fwd_guest_default: per forward, true when its guest address was left
 *                     out (the caller may put another default there, e.g.
 *                     the namespace's address in `usernet run`)
 * @policy_file: policy=FILE, the egress policy file read at start (see
 *               usernet/policy.h); empty for none
 * @egress: egress=allow|deny, the policy's default verdict (overrides the
 *          file's `default` line): UNET_POLICY_ALLOW, UNET_POLICY_DENY, or
 *          -1 when not given (the file's default, or allow)
 * @audit_file: audit=FILE, where the egress audit log is appended (one
 *              JSON line per decision and per flow end); empty for none
 */
struct netdev_user {
	struct unet_stack_config stack;
	struct unet_proxy_config proxy;
	struct unet_fwd_ex fwds[NETDEV_FWD_MAX];
	int n_fwds;
	bool fwd_guest_default[NETDEV_FWD_MAX];
	char policy_file[4096];
	int egress;
	char audit_file[4096];
};

/**
 * struct netdev - one parsed -netdev option
 * @type: which of @u is valid
 * @id: the id= value, NUL-terminated; 1..31 characters from [A-Za-z0-9_.-],
 *      the first a letter (QEMU's rule)
 * @u: the type's settings
 * @u.user: the user-mode stack, its proxy and its forwards (type user)
 * @u.tap: a tap interface (type tap)
 * @u.tap.ifname: ifname=NAME; empty when not given (the kernel chooses one
 *                when @u.tap.fd is -1 too)
 * @u.tap.fd: fd=N, an inherited descriptor; -1 when not given. ifname= and
 *            fd= exclude each other
 * @u.tap.netns: netns=PID|PATH, the network namespace to make the tap in
 *               (a PID's, joining its user namespace too, or a namespace
 *               file); empty when not given. Excludes fd=
 * @u.tap.no_offload: offload=off: plain frames, no vnet header (default
 *                    on: the kernel hands over 64 KiB TCP segments)
 * @u.dump: a pcap dump (type dump)
 * @u.dump.file: file=PATH, required
 * @u.dump.len: len=N, bytes kept of each frame, 1..INT_MAX (default 65536)
 * @u.link: a socket, stream or dgram netdev
 * @u.vde: a VDE switch (type vde)
 * @u.vde.sock: sock=PATH|URL; empty for libvdeplug's default switch
 * @u.vde.port: port=N, the switch port, 0..65535 (default 0: any)
 * @u.vde.group: group=NAME owning the data socket; empty for none
 * @u.vde.mode: mode=OCTAL, the data socket's permissions, 0..0777
 *              (default 0700)
 * @u.vxlan: a VXLAN tunnel endpoint (type vxlan)
 * @u.hubport: a hubport (type hubport); its hubid= is in @hub
 * @u.hubport.netdev: netdev=ID, the netdev put on that hub; empty for none
 * @hub: the hub the netdev is on: hub=N (hubid=N for a hubport), 0..INT_MAX
 *       (default 0); a hubport naming the netdev sets it too
 * @hub_given: hub= (or hubid=) was given, or a hubport named the netdev
 */
struct netdev {
	enum netdev_type type;
	char id[NETDEV_ID_MAX];
	unsigned int hub;
	bool hub_given;
	struct unet_port_loss loss;
	union {
		struct netdev_user user;
		struct {
			char ifname[UNET_IFNAME_MAX];
			int fd;
			char netns[NETDEV_FILE_MAX];
			bool no_offload;
		} tap;
		struct {
			char file[NETDEV_FILE_MAX];
			size_t len;
		} dump;
		struct netdev_link link;
		struct {
			char sock[NETDEV_FILE_MAX];
			unsigned int port;
			char group[NETDEV_GROUP_MAX];
			unsigned int mode;
		} vde;
		struct netdev_vxlan vxlan;
		struct {
			char netdev[NETDEV_ID_MAX];
		} hubport;
	} u;
};

int netdev_parse(const char *arg, struct netdev *nd, char *err, size_t errlen);
const char *netdev_type_name(enum netdev_type type);
int netdev_assign_hubs(struct netdev *nds, int n, char *err, size_t errlen);
const char *netdev_sa_str(const union unet_sockaddr *sa, char *buf, size_t len);

#endif /* USERNET_TOOLS_NETDEV_H */
