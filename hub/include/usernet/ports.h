/* SPDX-License-Identifier: MIT */
/*
 * usernet attachments: ports that carry a hub's frames to and from the
 * outside world. Each is created attached to a hub and released with
 * unet_port_close() (or by unet_hub_close()).
 */
#ifndef USERNET_PORTS_H
#define USERNET_PORTS_H

#include <stdbool.h>

#include <sys/socket.h>

#include <usernet/hub.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Largest length of a network interface name, with its NUL (IFNAMSIZ). */
#define UNET_IFNAME_MAX 16

/**
 * typedef unet_cb_port_rx_cb - a frame for a callback port's embedder
 * @opaque: the pointer given to unet_cb_port_open()
 * @frame: the frame, borrowed for the call
 * @len: its length
 *
 * Return: 0 when taken, -EAGAIN to have the hub queue it until the embedder
 * calls unet_port_flush(), another negative errno to drop it as an error.
 */
typedef int (*unet_cb_port_rx_cb)(void *opaque, const void *frame, size_t len);

UNET_EXTERN int unet_cb_port_open(struct unet_hub *hub, const char *id,
				  unet_cb_port_rx_cb rx, void *opaque,
				  struct unet_port **portp);
UNET_EXTERN int unet_cb_port_input(struct unet_port *port, const void *frame,
				   size_t len);

/**
 * typedef unet_cb_port_rx_offload_cb - a frame with offload facts for a
 *	callback port that opted in (unet_cb_port_set_offload())
 * @opaque: the pointer given to unet_cb_port_open()
 * @frame: the frame, borrowed for the call (up to %UNET_GSO_FRAME_MAX
 *         bytes for a GSO frame)
 * @len: its length
 * @off: its facts (checked by the hub), borrowed for the call
 *
 * Return: as &unet_cb_port_rx_cb.
 */
typedef int (*unet_cb_port_rx_offload_cb)(void *opaque, const void *frame,
					  size_t len,
					  const struct unet_offload *off);

UNET_EXTERN int unet_cb_port_set_offload(struct unet_port *port,
					 unsigned int offload,
					 unet_cb_port_rx_offload_cb rx_off);
UNET_EXTERN int unet_cb_port_input_offload(struct unet_port *port,
					   const void *frame, size_t len,
					   const struct unet_offload *off);

/**
 * unet_tap_open() - open a tap interface by name, creating it when missing
 * @hub: the hub to attach to
 * @id: the port's name (e.g. the -netdev id)
 * @ifname: the interface name; NULL or "" lets the kernel choose one
 * @portp: receives the port
 *
 * Opens /dev/net/tun with IFF_TAP | IFF_NO_PI | IFF_VNET_HDR and asks the
 * kernel for offloads (unet_tap_open_ex() with no flags). The fd is
 * non-blocking and polled on the hub's loop; each wake-up reads many
 * frames; a write that would block queues the frame instead (bounded) and
 * resumes when writable.
 *
 * Return: 0, or a negative errno (-EPERM without CAP_NET_ADMIN, ...).
 */
UNET_EXTERN int unet_tap_open(struct unet_hub *hub, const char *id,
			      const char *ifname, struct unet_port **portp);

/**
 * UNET_TAP_NO_OFFLOAD - a flag of unet_tap_open_ex() and
 * unet_tap_adopt_ex(): plain frames only. A tap the port opens gets no vnet
 * header; an adopted one with a vnet header asks the kernel for no
 * offloads and takes none from the hub.
 */
#define UNET_TAP_NO_OFFLOAD 0x1

/**
 * unet_tap_open_ex() - unet_tap_open() with flags
 * @hub: the hub to attach to
 * @id: the port's name
 * @ifname: the interface name; NULL or "" lets the kernel choose one
 * @flags: UNET_TAP_NO_OFFLOAD, or 0
 * @portp: receives the port
 *
 * With a vnet header (the default) the kernel hands the hub TCP segments
 * up to 64 KiB with checksums left to do (TUNSETOFFLOAD with CSUM, TSO4,
 * TSO6 and, where the kernel has it, USO), and takes them from the hub;
 * ports that do not take offloads get them cut to the MTU by the hub.
 *
 * Return: 0, or a negative errno, as unet_tap_open().
 */
UNET_EXTERN int unet_tap_open_ex(struct unet_hub *hub, const char *id,
				 const char *ifname, unsigned int flags,
				 struct unet_port **portp);

/**
 * unet_tap_adopt_ex() - unet_tap_adopt() with flags
 * @hub: the hub to attach to
 * @id: the port's name
 * @fd: as unet_tap_adopt()'s; the port owns it from now on
 * @flags: UNET_TAP_NO_OFFLOAD, or 0
 * @portp: receives the port
 *
 * A tap fd opened with IFF_VNET_HDR is used with its vnet header (set to 12
 * bytes) and, without UNET_TAP_NO_OFFLOAD, with offloads.
 *
 * Return: 0, or a negative errno, as unet_tap_adopt().
 */
UNET_EXTERN int unet_tap_adopt_ex(struct unet_hub *hub, const char *id, int fd,
				  unsigned int flags, struct unet_port **portp);

/**
 * unet_tap_adopt() - attach an already-open tap fd
 * @hub: the hub to attach to
 * @id: the port's name
 * @fd: an fd that reads and writes one Ethernet frame per call (a tap opened
 *      with IFF_NO_PI, or a datagram/seqpacket socket); the port owns it from
 *      now on, also when this call fails
 * @portp: receives the port
 *
 * Return: 0, or a negative errno.
 */
UNET_EXTERN int unet_tap_adopt(struct unet_hub *hub, const char *id, int fd,
			       struct unet_port **portp);

/**
 * unet_tap_ifname() - the interface name of a tap port
 * @port: a port made by unet_tap_open() or unet_tap_adopt()
 * @buf: receives the name, NUL-terminated
 * @len: size of @buf (UNET_IFNAME_MAX is enough)
 *
 * Return: 0, -EINVAL when @port is not a tap, -ENOTTY when the fd is not a
 * tap (an adopted socket), -ENOSPC when @buf is too small.
 */
UNET_EXTERN int unet_tap_ifname(const struct unet_port *port, char *buf,
				size_t len);

/**
 * unet_dump_open() - write every frame on the hub to a pcap file
 * @hub: the hub to attach to
 * @id: the port's name
 * @path: the file, created or truncated
 * @snaplen: bytes kept of each frame; 0 keeps whole frames
 * @portp: receives the port
 *
 * The file is a classic pcap file (DLT_EN10MB) written with libpcap and
 * flushed after every frame, so it can be read while usernet runs.
 * Timestamps come from the hub's clock.
 *
 * Return: 0, or a negative errno (the file could not be created).
 */
UNET_EXTERN int unet_dump_open(struct unet_hub *hub, const char *id,
			       const char *path, size_t snaplen,
			       struct unet_port **portp);

/**
 * struct unet_stream_config - how a stream port reaches its peer
 * @size: sizeof(struct unet_stream_config), see hub.h on versioned
 *        configurations
 * @listen: true: listen on @addr and serve one peer at a time (the next one
 *          is accepted when the current one leaves), as QEMU's
 *          `socket,listen=` and `stream,server=on`; false (the default):
 *          connect to @addr, as `socket,connect=` and `stream,server=off`
 * @addr: the address: AF_INET or AF_INET6 (port 0 when listening lets the
 *        kernel choose, see unet_stream_local_addr()), or AF_UNIX with a
 *        path (a socket left at the path by an earlier run is replaced when
 *        listening; the path is removed again when the port closes)
 * @addrlen: the length of @addr
 * @reconnect_ms: when connecting: after a failed connect or a lost peer, try
 *                again after a back-off that starts at 250 ms (or this, if
 *                less) and doubles up to this many milliseconds; 0 (the
 *                default) never tries again, as QEMU 7.2
 * @offload: offer usernet's offload extension (false by default): the port
 *           sends the peer a hello (one ordinary frame, which a QEMU peer
 *           passes on and its guests drop); a peer that answers with its
 *           own (a usernet with this on) gets GSO frames and checksums
 *           left to do whole, one record each, instead of frames cut to
 *           the MTU. Never sent to a peer whose first record was not its
 *           hello. The format is in the README ("Offloads").
 */
struct unet_stream_config {
	size_t size;
	bool listen;
	struct sockaddr_storage addr;
	socklen_t addrlen;
	unsigned int reconnect_ms;
	bool offload;
};

/**
 * unet_stream_config_init() - fill a stream configuration with the defaults
 * @config: the configuration: connect, no address yet, no reconnect
 */
UNET_EXTERN void unet_stream_config_init(struct unet_stream_config *config);

/**
 * unet_stream_open() - a port that carries frames over a stream socket
 * @hub: the hub to attach to
 * @id: the port's name
 * @config: where the peer is, and whether to listen or connect
 * @portp: receives the port
 *
 * Frames travel as QEMU's `-netdev socket` / `-netdev stream` and passt send
 * them: a 4-byte big-endian length, then the frame. A frame length of 0 or
 * above 69632 (QEMU's limit) resets the connection with one log line; a
 * frame the hub cannot carry (too short or longer than its MTU allows) is
 * dropped and counted, and the connection goes on. Frames split across
 * reads are reassembled; a partial frame at close is dropped. While there
 * is no peer, frames from the hub are dropped and counted as errors. A peer
 * that reads too slowly fills a bounded buffer and then the port's queue;
 * past that, frames are dropped and counted.
 *
 * Listening and binding happen now (so an address in use fails here);
 * connecting happens on the loop, and its failure is logged.
 *
 * Return: 0, -EINVAL for a bad configuration, -E2BIG for a @config whose
 * size is above this library's and whose extra bytes are not zero,
 * -EAFNOSUPPORT for another address family, -ENAMETOOLONG for a unix path
 * that does not fit, -EEXIST when something other than a socket is at a
 * unix path to listen on, -ENOMEM, or what bind()/listen() answered
 * (-EADDRINUSE, ...).
 */
UNET_EXTERN int unet_stream_open(struct unet_hub *hub, const char *id,
				 const struct unet_stream_config *config,
				 struct unet_port **portp);

/**
 * unet_stream_adopt() - a stream port on an already-connected socket
 * @hub: the hub to attach to
 * @id: the port's name
 * @fd: a connected stream socket (TCP or unix), as QEMU's
 *      `stream,addr.type=fd`; the port owns it from now on, also when this
 *      call fails. When the peer leaves the port stays down.
 * @portp: receives the port
 *
 * Return: 0, -EBADF for a negative @fd, -EINVAL for a NULL @hub or @portp
 * or an fd that is not a stream socket, -ENOMEM.
 */
UNET_EXTERN int unet_stream_adopt(struct unet_hub *hub, const char *id,
				  int fd, struct unet_port **portp);

/**
 * unet_stream_set_offload() - offer usernet's offload extension, or stop
 * @port: a port made by unet_stream_open() or unet_stream_adopt()
 * @on: as &unet_stream_config.offload; for an adopted connection the hello
 *      goes out at once, so call it right after unet_stream_adopt(): a
 *      peer takes a hello only as the connection's first record
 *
 * Return: 0, -EINVAL for another kind of port.
 */
UNET_EXTERN int unet_stream_set_offload(struct unet_port *port, bool on);

/**
 * unet_stream_connected() - whether a stream port has a peer now
 * @port: a port made by unet_stream_open() or unet_stream_adopt()
 *
 * Return: true while a connection is up.
 */
UNET_EXTERN bool unet_stream_connected(const struct unet_port *port);

/**
 * unet_stream_local_addr() - the address a stream port listens on
 * @port: a port made by unet_stream_open() with &unet_stream_config.listen
 * @addr: receives the address (the port the kernel chose, for port 0)
 * @addrlen: in: the size of @addr; out: the address's length
 *
 * Return: 0, -EINVAL for a port that does not listen, or getsockname()'s
 * negative errno.
 */
UNET_EXTERN int unet_stream_local_addr(const struct unet_port *port,
				       struct sockaddr *addr,
				       socklen_t *addrlen);

/**
 * struct unet_dgram_config - the addresses of a datagram port
 * @size: sizeof(struct unet_dgram_config), see hub.h on versioned
 *        configurations
 * @local: the local address. For unicast UDP (QEMU's `socket,udp=` with
 *         `localaddr=`, `dgram` with inet addresses) the address and port
 *         to bind; for unix datagrams (`dgram` with unix addresses) the
 *         path to bind (an old socket there is replaced; removed again on
 *         close); for multicast, optional: the address of the interface to
 *         join and send on (QEMU's `localaddr=`; its port is ignored)
 * @local_len: the length of @local; 0 for none
 * @remote: where frames go: an IPv4 multicast group and port makes the
 *          port join that group (QEMU's `socket,mcast=`); any other
 *          address is the one peer frames are sent to, of @local's family
 * @remote_len: the length of @remote
 */
struct unet_dgram_config {
	size_t size;
	struct sockaddr_storage local;
	socklen_t local_len;
	struct sockaddr_storage remote;
	socklen_t remote_len;
};

/**
 * unet_dgram_config_init() - fill a datagram configuration with defaults
 * @config: the configuration: no addresses yet
 */
UNET_EXTERN void unet_dgram_config_init(struct unet_dgram_config *config);

/**
 * unet_dgram_open() - a port that carries one frame per datagram
 * @hub: the hub to attach to
 * @id: the port's name
 * @config: the local and remote addresses
 * @portp: receives the port
 *
 * Each frame is one datagram, as QEMU sends them. Unicast: frames go to
 * @config's remote address, and datagrams from any source are taken in (as
 * QEMU does). Multicast: the port joins the group with the socket options
 * QEMU uses (so QEMU and usernet processes on one group form one segment)
 * and sends from a socket of its own, so that it recognises its own frames
 * when the group loops them back and does not take them in again.
 *
 * Return: 0, -EINVAL for a bad configuration (no remote address, a unicast
 * port without a local one, families that differ), -E2BIG for a @config
 * whose size is above this library's and whose extra bytes are not zero,
 * -EAFNOSUPPORT, -ENAMETOOLONG, -EEXIST (something other than a socket at
 * a unix path), -ENOMEM, or the negative errno of socket(), bind() or
 * setsockopt().
 */
UNET_EXTERN int unet_dgram_open(struct unet_hub *hub, const char *id,
				const struct unet_dgram_config *config,
				struct unet_port **portp);

/**
 * unet_dgram_local_addr() - the address a datagram port receives on
 * @port: a port made by unet_dgram_open()
 * @addr: receives the address (the port the kernel chose, for port 0)
 * @addrlen: in: the size of @addr; out: the address's length
 *
 * Return: 0, -EINVAL for another kind of port, or getsockname()'s negative
 * errno.
 */
UNET_EXTERN int unet_dgram_local_addr(const struct unet_port *port,
				      struct sockaddr *addr,
				      socklen_t *addrlen);

/**
 * struct unet_vde_config - how to reach a VDE switch
 * @size: sizeof(struct unet_vde_config), see hub.h on versioned
 *        configurations
 * @sock: the switch: a classic vde_switch's directory, or a vdeplug4 URL
 *        (vxvde://GROUP, vde:///DIR, udp://..., ...); NULL or "" for
 *        libvdeplug's default switch. vxlan:// is refused (see
 *        unet_vde_open())
 * @port: the switch port to plug into; 0 (the default) for any
 * @group: the group that owns the data socket; NULL (the default) for none
 * @mode: the data socket's permissions; 0 (the default) for libvdeplug's
 */
struct unet_vde_config {
	size_t size;
	const char *sock;
	unsigned int port;
	const char *group;
	unsigned int mode;
};

/**
 * unet_vde_config_init() - fill a VDE configuration with the defaults
 * @config: the configuration
 */
UNET_EXTERN void unet_vde_config_init(struct unet_vde_config *config);

/**
 * unet_vde_open() - plug the hub into a VDE switch through libvdeplug
 * @hub: the hub to attach to
 * @id: the port's name (also the port's description on the switch)
 * @config: the switch
 * @portp: receives the port
 *
 * Connecting to a classic switch happens now (libvdeplug blocks for its
 * handshake). A classic vde_switch truncates frames above 1518 bytes: keep
 * the hub's MTU at 1500 on a VDE segment. When the switch goes away the port
 * logs it and stops.
 *
 * libvdeplug's vxlan:// plugin is refused (-EPROTONOSUPPORT, with the
 * reason logged): its replies to a learned peer fail, it is multicast-only
 * and allows one process per host; unet_vxlan_open() speaks the kernel's
 * VXLAN instead. vxvde:// (VDE's own distributed switch) works.
 *
 * Return: 0, -EINVAL, -E2BIG for a @config whose size is above this
 * library's and whose extra bytes are not zero, -EPROTONOSUPPORT for
 * vxlan://, -ENOMEM, or the negative errno libvdeplug left (-ENOENT or
 * -ECONNREFUSED for no switch at @config's sock).
 */
UNET_EXTERN int unet_vde_open(struct unet_hub *hub, const char *id,
			      const struct unet_vde_config *config,
			      struct unet_port **portp);

/** The UDP port of VXLAN (IANA's; the kernel's vxlan device takes it with
 * `dstport 4789`). */
#define UNET_VXLAN_PORT 4789
/** Most unicast remotes one vxlan port replicates to. */
#define UNET_VXLAN_REMOTES_MAX 16
/** Default seconds a learned MAC address lives unrefreshed (the kernel's). */
#define UNET_VXLAN_AGEING_DEFAULT 300

/**
 * struct unet_vxlan_config - how a vxlan port reaches its tunnel endpoints
 * @size: sizeof(struct unet_vxlan_config), see hub.h on versioned
 *        configurations
 * @vni: the VXLAN network identifier, 0..0xffffff (default 0)
 * @port: the UDP port bound locally and sent to where a remote or the
 *        group names none (default UNET_VXLAN_PORT); 0 lets the kernel
 *        choose the local one (see unet_vxlan_local_addr()), and every
 *        remote then needs its own port
 * @local: optional: the local address to bind (its port is ignored: @port
 *         is used); @local_len 0 binds any address of the family of the
 *         group or the first remote
 * @local_len: the length of @local; 0 for none
 * @remotes: unicast endpoints (IPv4 or IPv6, all of one family): every
 *           broadcast, multicast and unknown-unicast frame is sent to each
 *           (head-end replication, as the kernel's all-zeros FDB entries);
 *           a port of 0 means @port
 * @n_remotes: how many of @remotes are used, 0..UNET_VXLAN_REMOTES_MAX
 * @group: optional: a multicast group (224.0.0.0/4 or ff00::/8) to join and
 *         flood to, as the kernel's `group`; a port of 0 means @port
 * @group_len: the length of @group; 0 for none
 * @dev: the interface the group is joined and sent on ("" for the routing
 *       table's choice); also where the underlay MTU is read
 * @learning: learn which remote owns which source MAC, and send unicast
 *            frames to that remote only (default true)
 * @ageing_s: seconds a learned address lives without a frame refreshing
 *            it (default UNET_VXLAN_AGEING_DEFAULT; 0: for ever)
 *
 * At least one remote or a group is needed; all addresses are of one
 * family (the underlay's).
 */
struct unet_vxlan_config {
	size_t size;
	uint32_t vni;
	uint16_t port;
	struct sockaddr_storage local;
	socklen_t local_len;
	struct sockaddr_storage remotes[UNET_VXLAN_REMOTES_MAX];
	unsigned int n_remotes;
	struct sockaddr_storage group;
	socklen_t group_len;
	char dev[UNET_IFNAME_MAX];
	bool learning;
	unsigned int ageing_s;
};

/**
 * struct unet_vxlan_stats - counters of a vxlan port, beyond the hub's
 * @size: sizeof(struct unet_vxlan_stats), set by the caller (see hub.h on
 *        versioned counters)
 * @rx_short: datagrams shorter than the VXLAN header, dropped
 * @rx_flags: datagrams without the I flag (no valid VNI), dropped
 * @rx_other_vni: datagrams of another VNI, dropped
 * @rx_runt: inner frames shorter than an Ethernet header, dropped
 * @rx_too_long: inner frames longer than the hub takes, dropped
 * @tx_unicast: frames sent to the one remote that owns the destination
 * @tx_flooded: frames sent to every remote and the group (broadcast,
 *              multicast, unknown unicast)
 * @tx_datagrams: datagrams sent in all (a flood is one per remote)
 * @tx_too_long: frames above the inner MTU, dropped
 * @tx_errors: datagrams not sent: refused by the socket, or copies of a
 *             flood lost to a full socket buffer (the hub can queue a
 *             whole frame, not the rest of its copies)
 * @learned: addresses learned or moved to another remote
 * @fdb_full: addresses not learned because the table was full
 * @fdb_entries: addresses in the table now
 * @inner_mtu: the largest IP packet a frame may carry across: the hub's
 *             MTU, or the underlay's MTU minus 50 (IPv4) or 70 (IPv6)
 *             when that is less
 * @underlay_mtu: the underlay's MTU as read when the port opened (0:
 *                unknown)
 */
struct unet_vxlan_stats {
	size_t size;
	uint64_t rx_short;
	uint64_t rx_flags;
	uint64_t rx_other_vni;
	uint64_t rx_runt;
	uint64_t rx_too_long;
	uint64_t tx_unicast;
	uint64_t tx_flooded;
	uint64_t tx_datagrams;
	uint64_t tx_too_long;
	uint64_t tx_errors;
	uint64_t learned;
	uint64_t fdb_full;
	uint32_t fdb_entries;
	unsigned int inner_mtu;
	unsigned int underlay_mtu;
};

/**
 * unet_vxlan_config_init() - fill a vxlan configuration with the defaults
 * @config: the configuration: VNI 0, port 4789, learning on, ageing 300 s,
 *          no endpoints yet
 */
UNET_EXTERN void unet_vxlan_config_init(struct unet_vxlan_config *config);

/**
 * unet_vxlan_open() - a port that carries the hub's frames over VXLAN
 * @hub: the hub to attach to
 * @id: the port's name
 * @config: the VNI and the tunnel endpoints
 * @portp: receives the port
 *
 * Speaks RFC 7348 as the Linux kernel's vxlan device does, in both of its
 * modes: unicast remotes with head-end replication of broadcast, multicast
 * and unknown-unicast frames, and a multicast group. With
 * &unet_vxlan_config.learning, the source MAC of every frame received is
 * remembered with the remote it came from (its address, and the port of
 * the configured remote at that address, else &unet_vxlan_config.port),
 * for &unet_vxlan_config.ageing_s, and frames to it go to that remote only.
 * The port's own multicast frames do not come back to it.
 *
 * Inner MTU: a frame crosses whole in one datagram that fits the
 * underlay's MTU when the hub's MTU is at most the underlay's minus 50
 * (IPv4) or 70 (IPv6). The underlay's MTU is read when the port opens
 * (from &unet_vxlan_config.dev, else from the route to the first remote or
 * the group); a hub whose MTU is larger gets a warning, and frames above
 * the inner MTU are dropped and counted (&unet_vxlan_stats.tx_too_long).
 * Datagrams that are too short, carry another VNI, lack the I flag or
 * hold a frame the hub cannot take are dropped and counted.
 *
 * Return: 0, -EINVAL for a bad configuration (no remote and no group, a
 * VNI above 0xffffff, mixed families, a group that is not multicast),
 * -E2BIG for a @config whose size is above this library's and whose extra
 * bytes are not zero, -ENODEV for an unknown @dev, -ENOMEM, or the
 * negative errno of socket(), bind() or setsockopt() (-EADDRINUSE when
 * the port is taken, e.g. by a kernel vxlan device in the same namespace).
 */
UNET_EXTERN int unet_vxlan_open(struct unet_hub *hub, const char *id,
				const struct unet_vxlan_config *config,
				struct unet_port **portp);

/**
 * unet_vxlan_stats() - the counters of a vxlan port
 * @port: a port made by unet_vxlan_open()
 * @stats: receives the counters
 *
 * Return: 0, or -EINVAL for another kind of port.
 */
UNET_EXTERN UNET_MUST_CHECK int
unet_vxlan_stats(const struct unet_port *port, struct unet_vxlan_stats *stats);

/**
 * unet_vxlan_local_addr() - the address a vxlan port receives on
 * @port: a port made by unet_vxlan_open()
 * @addr: receives the address
 * @addrlen: in: the size of @addr; out: the address's length
 *
 * Return: 0, -EINVAL for another kind of port, or getsockname()'s negative
 * errno.
 */
UNET_EXTERN int unet_vxlan_local_addr(const struct unet_port *port,
				      struct sockaddr *addr,
				      socklen_t *addrlen);

#ifdef __cplusplus
}
#endif

#endif /* USERNET_PORTS_H */
