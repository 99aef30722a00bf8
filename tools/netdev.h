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

/**
 * enum netdev_type - the kinds of -netdev usernet knows
 * @NETDEV_USER: the user-mode stack ("user")
 * @NETDEV_TAP: a tap interface, by name or by an inherited fd ("tap")
 * @NETDEV_DUMP: a pcap file of every frame on the hub ("dump")
 * @NETDEV_TYPE_NUM: the number of types
 */
enum netdev_type {
	NETDEV_USER,
	NETDEV_TAP,
	NETDEV_DUMP,
	NETDEV_TYPE_NUM
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
 *        network order, a missing host address INADDR_ANY, a missing guest
 *        address @stack.dhcp_start
 * @n_fwds: how many of @fwds are used, 0..NETDEV_FWD_MAX
 * @fwd_guest_default: per forward, true when its guest address was left
 *                     out (the caller may put another default there, e.g.
 *                     the namespace's address in `usernet run`)
 */
struct netdev_user {
	struct unet_stack_config stack;
	struct unet_proxy_config proxy;
	struct unet_fwd fwds[NETDEV_FWD_MAX];
	int n_fwds;
	bool fwd_guest_default[NETDEV_FWD_MAX];
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
 * @u.dump: a pcap dump (type dump)
 * @u.dump.file: file=PATH, required
 * @u.dump.len: len=N, bytes kept of each frame, 1..INT_MAX (default 65536)
 */
struct netdev {
	enum netdev_type type;
	char id[NETDEV_ID_MAX];
	union {
		struct netdev_user user;
		struct {
			char ifname[UNET_IFNAME_MAX];
			int fd;
		} tap;
		struct {
			char file[NETDEV_FILE_MAX];
			size_t len;
		} dump;
	} u;
};

int netdev_parse(const char *arg, struct netdev *nd, char *err, size_t errlen);
const char *netdev_type_name(enum netdev_type type);

#endif /* USERNET_TOOLS_NETDEV_H */
