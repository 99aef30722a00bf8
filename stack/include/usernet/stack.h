/* SPDX-License-Identifier: MIT */
/*
 * usernet stack: the gateway of a virtual network, a port on a hub.
 *
 * One lwIP netif on the hub plays the gateway: it answers ARP for the
 * gateway and DNS addresses and ICMP echo to both. lwIP keeps process-wide
 * state, so one process holds at most one stack at a time.
 */
#ifndef USERNET_STACK_H
#define USERNET_STACK_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include <usernet/hub.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Most upstream DNS servers the forwarder asks. */
#define UNET_DNS_UPSTREAM_MAX 8

/**
 * struct unet_stack_config - the virtual network and the gateway's services
 * @size: sizeof(struct unet_stack_config), see hub.h on versioned
 *        configurations
 * @net: the network address (default 10.0.2.0)
 * @mask: its netmask (default 255.255.255.0)
 * @host: the gateway's address (default 10.0.2.2)
 * @dns: the DNS server's address, answered by the gateway (default 10.0.2.3)
 * @dhcp_start: first address handed out by DHCP (default 10.0.2.15)
 * @mac: the gateway's MAC address (default 52:55:0a:00:02:02)
 * @dhcp_count: how many addresses DHCP hands out from @dhcp_start
 *              (default 16)
 * @restrict_guest: the guest is restricted, as with QEMU's restrict=on:
 *                  DHCP leaves out the router and DNS options and the DNS
 *                  forwarder refuses queries (unless @restrict_dns); a
 *                  proxy with &unet_proxy_config.restrict_guest restricts
 *                  the stack as well (default false)
 * @hostname: DHCP option 12 for the guest ("" for none, the default)
 * @domainname: DHCP option 15 ("" for none, the default)
 * @dnssearch: DHCP option 119, domains separated by commas ("" for none,
 *             the default)
 * @bootfile: DHCP option 67 and the BOOTP file field ("" for none, the
 *            default); with @tftp_root the gateway is a PXE server
 * @tftp_server_name: DHCP option 66 ("" for none, the default)
 * @tftp_root: folder the TFTP server on @host serves read-only ("" for no
 *             TFTP server, the default)
 * @dns_upstream: servers the DNS forwarder asks, in order (address and port,
 *                network order); with @n_dns_upstream and
 *                @n_dns_upstream6 0 (the default) the nameservers of
 *                @resolv_conf
 * @n_dns_upstream: how many of @dns_upstream are used
 * @resolv_conf: where the host's resolvers are read from (default
 *               "/etc/resolv.conf")
 * @restrict_dns: while the guest is restricted (@restrict_guest, or a proxy
 *                with &unet_proxy_config.restrict_guest), the DNS forwarder
 *                still forwards and DHCP still names it (default false:
 *                restricted queries are refused, as the forwarder is a
 *                channel to the outside through the upstream resolvers)
 * @mem_budget: bytes that guests can make the process hold, lwIP's buffers
 *              and the proxy's together (0 for the default, 256 MiB; at
 *              least 4 MiB). As it fills, TCP windows toward the guest
 *              shrink, host sockets are read less, out-of-order queues are
 *              cut, and at the limit guest frames longer than 128 bytes
 *              are dropped. lwIP's state is process-wide, so the budget is
 *              the process's.
 * @no_ipv4: no IPv4 on the virtual network (QEMU's ipv4=off; default
 *           false). The gateway then answers neither ARP nor DHCP, and the
 *           proxy takes no IPv4 packets.
 * @no_ipv6: no IPv6 on the virtual network (QEMU's ipv6=off; default false)
 * @ip6_prefix: the guests' IPv6 prefix, advertised for SLAAC (:: for the
 *              default, QEMU's fec0::)
 * @ip6_prefix_len: its length (0 for the default, 64; SLAAC needs 64)
 * @ip6_host: the gateway's IPv6 address (:: for the default, @ip6_prefix::2)
 * @ip6_dns: the DNS server's IPv6 address, answered by the gateway (:: for
 *           the default, @ip6_prefix::3)
 * @ip6_dhcp_stateful: DHCPv6 also hands out addresses (IA_NA, from
 *                     @ip6_prefix::100 on) and router advertisements set
 *                     the M flag (default false: stateless DHCPv6 only,
 *                     the O flag, addresses by SLAAC)
 * @dns_upstream6: IPv6 servers the DNS forwarder asks (address and port,
 *                 network order), after those of @dns_upstream; with
 *                 @n_dns_upstream and @n_dns_upstream6 both 0 (the
 *                 default) the nameservers of @resolv_conf
 * @n_dns_upstream6: how many of @dns_upstream6 are used
 * @no_dns: the gateway runs no DNS forwarder (slirp4netns's --disable-dns;
 *          default false): its DNS addresses (@dns, @ip6_dns) still
 *          answer ARP, neighbour solicitations and ping, but a UDP query
 *          to them gets no answer and a TCP one a RST, and
 *          DHCP, DHCPv6 and router advertisements name no DNS server
 *
 * Addresses are in network byte order. @host, @dns and @dhcp_start must lie
 * inside @net/@mask and be neither its network nor its broadcast address.
 */
struct unet_stack_config {
	size_t size;
	struct in_addr net;
	struct in_addr mask;
	struct in_addr host;
	struct in_addr dns;
	struct in_addr dhcp_start;
	uint8_t mac[6];
	unsigned int dhcp_count;
	bool restrict_guest;
	char hostname[64];
	char domainname[256];
	char dnssearch[1024];
	char bootfile[128];
	char tftp_server_name[64];
	char tftp_root[4096];
	struct sockaddr_in dns_upstream[UNET_DNS_UPSTREAM_MAX];
	unsigned int n_dns_upstream;
	char resolv_conf[4096];
	bool restrict_dns;
	size_t mem_budget;
	bool no_ipv4;
	bool no_ipv6;
	struct in6_addr ip6_prefix;
	unsigned int ip6_prefix_len;
	struct in6_addr ip6_host;
	struct in6_addr ip6_dns;
	bool ip6_dhcp_stateful;
	struct sockaddr_in6 dns_upstream6[UNET_DNS_UPSTREAM_MAX];
	unsigned int n_dns_upstream6;
	bool no_dns;
};

/**
 * struct unet_stack_stats - counters of the gateway and its services
 * @size: sizeof(struct unet_stack_stats), set by the caller (see hub.h on
 *        versioned counters)
 * @drop_mac: frames for another MAC
 * @drop_bad: malformed frames and packets
 * @arp_replies: ARP replies for gateway aliases
 * @dhcp_in: DHCP/BOOTP messages taken
 * @dhcp_out: DHCP/BOOTP replies sent
 * @dhcp_drop: DHCP messages dropped as malformed or unanswerable
 * @dns_queries: DNS queries taken (UDP and TCP)
 * @dns_replies: DNS replies sent to the guest
 * @dns_drop: DNS queries dropped as malformed
 * @dns_servfail: queries answered SERVFAIL (no upstream answered)
 * @tftp_transfers: TFTP transfers started
 * @tftp_errors: TFTP error packets sent
 * @tftp_drop: TFTP packets dropped as malformed
 * @tcp_fast_recoveries: times a TCP connection toward the guest repaired a
 *	loss by fast recovery (duplicate ACKs or a tail probe, then everything
 *	from the hole resent at once)
 * @tcp_tail_probes: those of @tcp_fast_recoveries that a tail loss probe
 *	began (nothing acknowledged for 100 ms with two segments or more out)
 * @tcp_rto_timeouts: times a TCP connection's retransmission timer fired
 *	(a loss no duplicate ACK revealed, or a lost retransmission; at least
 *	200 ms each)
 * @dns_refused: DNS queries refused because the guest is restricted (UDP
 *               answered REFUSED, TCP connections reset), or because the
 *               proxy's egress policy refuses their name (answered
 *               REFUSED, over UDP and TCP)
 * @mem_budget: the memory budget, bytes (&unet_stack_config.mem_budget)
 * @mem_used: bytes held now against it (@mem_lwip + @mem_proxy)
 * @mem_lwip: of those, lwIP's (frames, queues, connections)
 * @mem_proxy: of those, the proxy's buffers
 * @mem_peak: the most @mem_used has been since the stack started
 * @budget_frames_dropped: guest frames dropped because the budget was spent
 * @budget_ooseq_squeezed: out-of-order TCP segments that met a queue cap
 *                         the budget had lowered
 * @family_off_drop: frames of a family the configuration turned off
 *                   (no_ipv4: ARP and IPv4; no_ipv6: IPv6), dropped
 * @nd_rs_in: router solicitations taken
 * @nd_ra_sent: router advertisements sent (solicited and periodic)
 * @nd_na_sent: neighbour advertisements sent for the gateway's IPv6
 *              addresses
 * @nd_drop: neighbour discovery messages dropped: invalid (RFC 4861's
 *           checks), router advertisements and redirects from guests,
 *           advertisements claiming a gateway address
 * @dhcp6_in: DHCPv6 messages taken
 * @dhcp6_out: DHCPv6 replies sent
 * @dhcp6_drop: DHCPv6 messages dropped as malformed or unanswerable
 * @frag6_discarded: IPv6 datagrams discarded whole during reassembly
 *                   because a fragment overlapped another or disagreed
 *                   on the datagram's end (RFC 5722); their later
 *                   fragments are dropped too, until the reassembly timer
 *                   (60 s) ends
 * @tx_merged: GSO frames the gateway sent, each lwIP's TCP segments to the
 *             guest merged (only while every other port takes them whole)
 * @tx_merged_segs: the segments merged into them
 * @tx_tso: GSO frames the gateway sent, each one TCP segment lwIP built of
 *          many of the guest's MSS (only for connections established while
 *          every other port took such frames whole, the guest's MSS the
 *          link's)
 * @tx_held: TCP segments the gateway sent whose data was never copied into
 *           lwIP: host bytes the proxy read, sent from its own buffer
 *           (connections whose segments are 16 KiB or more)
 */
struct unet_stack_stats {
	size_t size;
	uint64_t drop_mac;
	uint64_t drop_bad;
	uint64_t arp_replies;
	uint64_t dhcp_in;
	uint64_t dhcp_out;
	uint64_t dhcp_drop;
	uint64_t dns_queries;
	uint64_t dns_replies;
	uint64_t dns_drop;
	uint64_t dns_servfail;
	uint64_t tftp_transfers;
	uint64_t tftp_errors;
	uint64_t tftp_drop;
	uint64_t tcp_fast_recoveries;
	uint64_t tcp_tail_probes;
	uint64_t tcp_rto_timeouts;
	uint64_t dns_refused;
	uint64_t mem_budget;
	uint64_t mem_used;
	uint64_t mem_lwip;
	uint64_t mem_proxy;
	uint64_t mem_peak;
	uint64_t budget_frames_dropped;
	uint64_t budget_ooseq_squeezed;
	uint64_t family_off_drop;
	uint64_t nd_rs_in;
	uint64_t nd_ra_sent;
	uint64_t nd_na_sent;
	uint64_t nd_drop;
	uint64_t dhcp6_in;
	uint64_t dhcp6_out;
	uint64_t dhcp6_drop;
	uint64_t frag6_discarded;
	uint64_t tx_merged;
	uint64_t tx_merged_segs;
	uint64_t tx_tso;
	uint64_t tx_held;
};

struct unet_stack;

UNET_EXTERN void unet_stack_config_init(struct unet_stack_config *config);
UNET_EXTERN int unet_stack_new(struct unet_hub *hub, const char *id,
			       const struct unet_stack_config *config,
			       struct unet_stack **stackp);
UNET_EXTERN void unet_stack_close(struct unet_stack *stack);
UNET_EXTERN struct unet_port *unet_stack_port(struct unet_stack *stack);
UNET_EXTERN UNET_MUST_CHECK int
unet_stack_stats(const struct unet_stack *stack,
		 struct unet_stack_stats *stats);
UNET_EXTERN int unet_stack_tftp_reopen(struct unet_stack *stack,
				       const char *path);

#ifdef __cplusplus
}
#endif

#endif /* USERNET_STACK_H */
