/* SPDX-License-Identifier: MIT */
/*
 * lwIP options for usernet's stack: one single-threaded lwIP (NO_SYS) driven
 * by a libuv loop, acting as the gateway of a virtual network. Every option
 * set here differs from lwIP's opt.h default for a reason given beside it.
 */
#ifndef USERNET_LWIPOPTS_H
#define USERNET_LWIPOPTS_H

/*
 * <netinet/tcp.h> (which libuv's headers pull in) names a socket option
 * TCP_MSS; lwIP uses the name for its MSS. Include it first and let lwIP's
 * meaning win, so the two can meet in one file.
 */
#include <netinet/tcp.h>
#undef TCP_MSS

/* ---- system ------------------------------------------------------------ */
/* No threads, no OS layer: the loop calls into lwIP. */
#define NO_SYS 1
#define SYS_LIGHTWEIGHT_PROT 0
#define LWIP_NETCONN 0
#define LWIP_SOCKET 0
#define LWIP_TIMERS 1
/* Several netifs: the gateway, and later the proxy's catch-all netif. */
#define LWIP_SINGLE_NETIF 0
#define LWIP_NETIF_LOOPBACK 0
#define LWIP_HAVE_LOOPIF 0

/* ---- memory: from malloc, bounded by usernet's own per-flow caps ----- */
#define MEM_LIBC_MALLOC 1
#define MEMP_MEM_MALLOC 1
/*
 * Every block lwIP takes is counted against the memory budget
 * (stack/budget.c), which also lowers the out-of-order caps below as it
 * fills.
 */
#include <stddef.h>
void *unet__lwip_malloc(size_t size);
void *unet__lwip_calloc(size_t n, size_t size);
void unet__lwip_free(void *p);
unsigned int unet__ooseq_pbufs_limit(void);
unsigned long unet__ooseq_bytes_limit(void);
#define mem_clib_malloc unet__lwip_malloc
#define mem_clib_calloc unet__lwip_calloc
#define mem_clib_free unet__lwip_free
#define MEM_ALIGNMENT 8
#define MEM_SIZE (1024 * 1024)
#define MEMP_NUM_PBUF 1024
#define MEMP_NUM_RAW_PCB 16
#define MEMP_NUM_UDP_PCB 1024
#define MEMP_NUM_TCP_PCB 1024
#define MEMP_NUM_TCP_PCB_LISTEN 256
#define MEMP_NUM_TCP_SEG 8192
#define MEMP_NUM_REASSDATA 64
#define MEMP_NUM_FRAG_PBUF 256
#define MEMP_NUM_ARP_QUEUE 64
#define MEMP_NUM_SYS_TIMEOUT 32
#define PBUF_POOL_SIZE 64

/* ---- link ------------------------------------------------------------- */
#define LWIP_ARP 1
#define LWIP_ETHERNET 1
#define ARP_TABLE_SIZE 64
#define ARP_QUEUEING 1
#define ARP_QUEUE_LEN 16
#define ETHARP_SUPPORT_STATIC_ENTRIES 1
/* The stack checks source and destination MACs itself before lwIP. */
#define ETHARP_SUPPORT_VLAN 0

/* ---- IPv4 / IPv6 ------------------------------------------------------- */
#define LWIP_IPV4 1
#define LWIP_IPV6 1
#define IP_FORWARD 0
#define IP_REASSEMBLY 1
#define IP_FRAG 1
/* Datagrams up to 65535 bytes, reassembled from many fragments. */
#define IP_REASS_MAX_PBUFS 256
#define IP_REASS_MAXAGE 15
#define IP_DEFAULT_TTL 64
#define LWIP_IPV6_REASS 1
#define LWIP_IPV6_FRAG 1
/* 64-bit pointers do not fit in the fragment header: copy it aside. */
#define IPV6_FRAG_COPYHEADER 1
/* The gateway configures itself; it never autoconfigures or solicits. */
#define LWIP_IPV6_AUTOCONFIG 0
#define LWIP_IPV6_SEND_ROUTER_SOLICIT 0
#define LWIP_IPV6_DUP_DETECT_ATTEMPTS 0
#define LWIP_IPV6_MLD 1
#define LWIP_IPV6_DHCP6 0
#define LWIP_IPV6_NUM_ADDRESSES 3
#define LWIP_ICMP 1
#define LWIP_ICMP6 1
#define LWIP_RAW 1
#define LWIP_IGMP 0
#define LWIP_DHCP 0
#define LWIP_AUTOIP 0
#define LWIP_DNS 0
/* DHCP clients send from 0.0.0.0 to port 67; lwIP drops those otherwise. */
#define LWIP_IP_ACCEPT_UDP_PORT(port) ((port) == PP_NTOHS(67))

/* ---- UDP / TCP --------------------------------------------------------- */
#define LWIP_UDP 1
#define LWIP_UDPLITE 0
#define LWIP_TCP 1
#define LWIP_WND_SCALE 1
#define TCP_RCV_SCALE 7
/*
 * MSS up to 65480 for MTU 65520. lwIP's TCP sanity checks (init.c) stay on;
 * the one such an MSS cannot pass, "TCP_SNDLOWAT must at least be 4*MSS below
 * u16_t overflow" (netconn's, not built here), is patched out by name in
 * stack/lwip-patches/tcp-sanity-sndlowat.patch.
 */
#define TCP_MSS 65480
#define TCP_WND (4 * 1024 * 1024)
/*
 * The most a connection holds toward the guest, and what it holds toward a
 * guest behind a tap with a vnet header. Such a guest acknowledges within a
 * loop turn or two, but every turn that lwIP's buffer runs dry costs the
 * proxy a stop and a restart of its host reads: 1 MiB took host -> guest
 * from 9.2 to 13.5 Gbit/s at MTU 1500 and 65520 (test/bench, medians of 4
 * alternating runs) where 256 KiB had a third of the machine idle. Other
 * guests (a VM's NIC model) get a quarter of it: unet__stack_tcp_sndbuf().
 * The memory budget (budget.c) bounds what all flows hold together.
 */
#define TCP_SND_BUF (1024 * 1024)
#define TCP_SND_QUEUELEN 1024
#define TCP_SNDLOWAT (TCP_SND_BUF / 4)
#define TCP_SNDQUEUELOWAT (TCP_SND_QUEUELEN / 4)
/* A small oversize so that small writes do not reserve 64 KiB each. */
#define TCP_OVERSIZE 1460
/*
 * No backlog limit: the proxy's listeners accept only handshakes it let in
 * (connect-first), and many may be under way at once on one port.
 */
#define TCP_LISTEN_BACKLOG 0
/*
 * The proxy's listeners on ANY:port share ports with accepted and outgoing
 * pcbs; SO_REUSEADDR on all of them lets them coexist.
 */
#define SO_REUSE 1
#define LWIP_TCP_KEEPALIVE 1
#define LWIP_TCP_TIMESTAMPS 0
#define TCP_QUEUE_OOSEQ 1
/*
 * Out-of-order data from the guest is kept, but not without bound: at most
 * 256 segments (pbufs) and 1 MiB per connection; what lies above that is
 * dropped, and the guest sends it again. Without these, a guest sending
 * 1-byte segments above a hole it never fills grew memory by ~150 bytes a
 * segment without limit, and every insertion walked the whole queue.
 */
#define TCP_OOSEQ_MAX_PBUFS 256
#define TCP_OOSEQ_MAX_BYTES (1024 * 1024)
/* ...and less, down to nothing, as the memory budget fills (budget.c). */
#define TCP_OOSEQ_PBUFS_LIMIT(pcb) ((u16_t)unet__ooseq_pbufs_limit())
#define TCP_OOSEQ_BYTES_LIMIT(pcb) ((u32_t)unet__ooseq_bytes_limit())
/*
 * The link to the guest is a hub in this process: nothing lingers on it for
 * a minute. A shorter TIME_WAIT (2 x 5 s) keeps fewer pcbs for lwIP to walk.
 */
#define TCP_MSL 5000UL
/*
 * Each segment finds its pcb in one of 16,384 hash buckets
 * (stack/lwip-patches/tcp-pcb-hash.patch), however many connections and
 * listeners a guest opened.
 */
#define TCP_PCB_HASH_BITS 14
#define LWIP_TCP_SACK_OUT 1
/*
 * Loss toward the guest is normal (a NIC without receive flow control drops
 * the tail of any burst longer than its free descriptors), so it must cost
 * round trips, not seconds. lwIP's TCP timer ticks every 25 ms instead of
 * 250: delayed ACKs leave within 25 ms, and the retransmission timeout is
 * measured in 50 ms steps instead of 500. TCP_RTO_MIN (milliseconds, from
 * stack/lwip-patches/tcp-loss-recovery.patch; default there 0, no floor)
 * keeps it at 200 ms or more, Linux's floor, however short the round trips
 * on the local link. The same patch makes fast retransmit go back N with
 * NewReno's partial ACKs (see the patch's top).
 */
#define TCP_TMR_INTERVAL 25
#define TCP_RTO_MIN 200
/*
 * The tail of a flight that the guest lost brings no duplicate ACK: after
 * 100 ms with nothing acknowledged and two segments or more out, recover as
 * from duplicate ACKs (a tail loss probe, the same patch) instead of
 * waiting for the 200 ms timeout. A guest that was only slow gets
 * duplicates it reports as such (D-SACK).
 */
#define TCP_TLP_MS 100
#define LWIP_CALLBACK_API 1
#define LWIP_EVENT_API 0

/* ---- checksums --------------------------------------------------------- */
#define LWIP_CHECKSUM_CTRL_PER_NETIF 1
/*
 * No: the gateway's TCP checksums are left to the ports or computed once
 * the segment is final (stack.c, STACK_CSUM_CTRL), never while copying.
 */
#define LWIP_CHECKSUM_ON_COPY 0
#define LWIP_CHKSUM_ALGORITHM 3
/*
 * lwIP's sums (algorithm 3: 32 bits at a time, a branch per carry) cost a
 * fifth of the forwarder's CPU in a bulk transfer either way; the ground
 * floor's (hub/wire/checksum.c: 16 bytes a step into 64 bits) is several
 * times faster. Same result: the one's complement sum in memory order.
 */
unsigned short unet__lwip_chksum(const void *data, int len);
#define LWIP_CHKSUM unet__lwip_chksum

/* ---- netif ------------------------------------------------------------- */
#define LWIP_NETIF_STATUS_CALLBACK 0
#define LWIP_NETIF_LINK_CALLBACK 0
#define LWIP_NUM_NETIF_CLIENT_DATA 1

/* ---- hooks: time, randomness and acceptance come from usernet ---------- */
#define LWIP_HOOK_FILENAME "unet_lwip_hooks.h"
#define LWIP_RAND() unet__lwip_rand()
/* The C library provides htons() and friends (netinet/in.h). */
#define LWIP_DONT_PROVIDE_BYTEORDER_FUNCTIONS 1

/*
 * LWIP_TESTMODE, lwIP's hook for its own unit tests, exposes its timeout list
 * (sys_timeouts_get_next_timeout(), lwip_cyclic_timer) and in 2.1 changes
 * nothing else: a new stack restarts lwIP's timeouts on its own hub's clock
 * through it (lwip_glue.c). Default 0: CMakeLists.txt sets it to 1 for the
 * two files that define and use the list, lwIP's core/timeouts.c and
 * stack/lwip_glue.c, and nowhere else.
 */
#ifndef LWIP_TESTMODE
#define LWIP_TESTMODE 0
#endif

/* ---- statistics and debugging ----------------------------------------- */
#define LWIP_STATS 0
#define LWIP_STATS_DISPLAY 0
#define LWIP_DEBUG 0

#endif /* USERNET_LWIPOPTS_H */
