/* SPDX-License-Identifier: MIT */
/*
 * The gateway of the virtual network.
 *
 * Theory of operation: the stack is a port on the hub and one lwIP netif,
 * the gateway (default 10.0.2.2, MAC 52:55:0a:00:02:02). Frames the hub
 * delivers are first classified here, on untrusted bytes: unicast frames for
 * another MAC are dropped (lwIP's ethernet_input does not filter), ARP
 * requests for the gateway's other addresses (the DNS address) are answered
 * here because lwIP's etharp answers only its netif's one address, and
 * everything else is copied into a pbuf and handed to lwIP.
 *
 * Packets to a gateway alias (the DNS address) are accepted through a second,
 * output-less "catcher" netif: lwIP's IPv4 input hook writes the packet's
 * destination into the catcher's address, so that stock ip4_input validates,
 * reassembles and dispatches it (ICMP echo is answered, from that address,
 * on the gateway netif). The NAT proxy will widen the same hook to foreign
 * destinations.
 *
 * What lwIP sends leaves through stack_linkoutput() into the hub. lwIP's
 * timers run from one timer on the hub's clock (struct unet_timer). On a
 * real clock a uv prepare handle re-arms it from lwIP's next timeout before
 * the loop sleeps. On a virtual clock the loop may never run, so the timer
 * is re-armed where lwIP is entered instead: after each frame it took and
 * after each round of its timeouts. lwIP always has cyclic timeouts of at
 * most 100 ms (MLD), so a timeout some other path adds (e.g. a pcb the
 * proxy connects) is looked at within 100 ms, before it is due.
 *
 * State: the configuration, the two netifs, the two uv handles. The struct
 * is freed from the last uv close callback.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/etharp.h"
#include "lwip/ethip6.h"
#include "lwip/ip.h"
#include "lwip/ip4.h"
#include "lwip/netif.h"
#include "lwip/prot/etharp.h"
#include "lwip/prot/ethernet.h"
#include "lwip/prot/ip4.h"
#include "lwip/prot/ip6.h"
#include "lwip/timeouts.h"
#include "netif/ethernet.h"

#include "budget.h"
#include "wire/cursor.h"
#include "wire/config_copy.h"
#include "stack_internal.h"
#include "stack_proxy.h"

/* The size of struct unet_stack_config in 0.1.0, its first release. */
#define STACK_CONFIG_SIZE_V1 \
	UNET__CONFIG_SIZE_TO(struct unet_stack_config, resolv_conf)

#define ETH_TYPE_ARP 0x0806
/* Bytes before a received frame so that its IP header is 8-byte aligned. */
#define STACK_ETH_PAD 2
#define ARP_HLEN 28

/**
 * struct unet_stack - the gateway
 * @port: the stack's port on the hub
 * @hub: the hub
 * @cfg: the configuration it was made with
 * @gw: the gateway netif
 * @catcher: output-less netif that accepts packets for gateway aliases
 * @timer: runs lwIP's timeouts
 * @prepare: re-arms @timer before the loop sleeps
 * @handles: uv handles not yet closed
 * @txbuf: flattens chained pbufs into one frame
 * @txcap: size of @txbuf
 * @stats: counters, the services' too
 * @services: the gateway's services (DHCP, DNS, TFTP)
 * @refs: service handles still closing (the stack is freed at 0)
 * @ip4_cb: the proxy's packet callback, or NULL
 * @ip4_opaque: passed to @ip4_cb
 * @proxy_restrict: a restricted proxy is on the stack (see
 *                  unet__stack_restricted())
 */
struct unet_stack {
	struct unet_port port;
	struct unet_hub *hub;
	struct unet_stack_config cfg;
	struct netif gw;
	struct netif catcher;
	struct unet_timer timer;
	uv_prepare_t prepare;
	int handles;
	unsigned char *txbuf;
	size_t txcap;
	struct unet_stack_stats stats;
	struct stack_services services;
	int refs;
	unet_stack_ip4_cb ip4_cb;
	void *ip4_opaque;
	bool proxy_restrict;
};

/**
 * unet_stack_config_init() - fill a stack configuration with the defaults
 * @config: the configuration (QEMU's user-mode network: 10.0.2.0/24, gateway
 *          10.0.2.2, DNS 10.0.2.3, DHCP from 10.0.2.15, MAC 52:55:0a:00:02:02)
 */
void unet_stack_config_init(struct unet_stack_config *config)
{
	static const uint8_t mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };

	memset(config, 0, sizeof(*config));
	config->size = sizeof(*config);
	config->net.s_addr = htonl(0x0a000200);
	config->mask.s_addr = htonl(0xffffff00);
	config->host.s_addr = htonl(0x0a000202);
	config->dns.s_addr = htonl(0x0a000203);
	config->dhcp_start.s_addr = htonl(0x0a00020f);
	memcpy(config->mac, mac, sizeof(mac));
	config->dhcp_count = 16;
	snprintf(config->resolv_conf, sizeof(config->resolv_conf), "%s",
		 "/etc/resolv.conf");
}

/* A fixed-size string field must hold its NUL. */
#define STR_OK(field) (memchr((field), '\0', sizeof(field)) != NULL)

static bool stack_addr_ok(const struct unet_stack_config *cfg,
			  struct in_addr a)
{
	uint32_t net = ntohl(cfg->net.s_addr), mask = ntohl(cfg->mask.s_addr);
	uint32_t h = ntohl(a.s_addr);

	return (h & mask) == net && h != net && h != (net | ~mask);
}

static bool stack_config_ok(const struct unet_stack_config *cfg)
{
	uint32_t mask = ntohl(cfg->mask.s_addr);

	/* A contiguous mask that leaves at least 4 addresses. */
	if ((~mask & (~mask + 1)) != 0 || mask > 0xfffffffcu)
		return false;
	if ((ntohl(cfg->net.s_addr) & ~mask) != 0)
		return false;
	if (!stack_addr_ok(cfg, cfg->host) || !stack_addr_ok(cfg, cfg->dns) ||
	    !stack_addr_ok(cfg, cfg->dhcp_start))
		return false;
	if (cfg->host.s_addr == cfg->dns.s_addr)
		return false;
	/* The whole DHCP pool inside the net, below its broadcast address. */
	if (cfg->dhcp_count == 0 ||
	    cfg->dhcp_count > (~mask & 0xffffffffu) ||
	    (uint64_t)ntohl(cfg->dhcp_start.s_addr) + cfg->dhcp_count - 1 >=
		    (uint64_t)(ntohl(cfg->net.s_addr) | ~mask))
		return false;
	if (cfg->n_dns_upstream > UNET_DNS_UPSTREAM_MAX)
		return false;
	if (!STR_OK(cfg->hostname) || !STR_OK(cfg->domainname) ||
	    !STR_OK(cfg->dnssearch) || !STR_OK(cfg->bootfile) ||
	    !STR_OK(cfg->tftp_server_name) || !STR_OK(cfg->tftp_root) ||
	    !STR_OK(cfg->resolv_conf))
		return false;
	if (cfg->mem_budget != 0 && cfg->mem_budget < UNET_BUDGET_MIN)
		return false;
	/* The MAC must be unicast. */
	return (cfg->mac[0] & 1) == 0;
}

/**
 * unet__stack_hub() - the hub of a stack
 * @stack: the stack
 *
 * Return: its hub.
 */
struct unet_hub *unet__stack_hub(struct unet_stack *stack)
{
	return stack->hub;
}

static bool stack_is_alias(const struct unet_stack *stack, uint32_t addr)
{
	return addr == stack->cfg.dns.s_addr;
}

/* Parses the IPv4 header lwIP has not yet validated; false if malformed. */
static bool stack_ip4_parse(const struct pbuf *p, struct unet_ip4_pkt *pkt)
{
	struct unet_cursor c = cursor_init(p->payload, p->len);
	const uint8_t *ip;
	size_t total;
	uint16_t frag;

	ip = cursor_take(&c, IP_HLEN);
	if (ip == NULL || (ip[0] >> 4) != 4)
		return false;
	pkt->hlen = (size_t)(ip[0] & 0x0f) * 4;
	total = cursor_be16(ip, 2);
	if (pkt->hlen < IP_HLEN || total < pkt->hlen || total > p->len)
		return false;
	c = cursor_init(ip, total);
	if (cursor_take(&c, pkt->hlen) == NULL)
		return false;
	memcpy(&pkt->src, ip + 12, 4);
	memcpy(&pkt->dst, ip + 16, 4);
	pkt->proto = ip[9];
	frag = cursor_be16(ip, 6);
	pkt->fragment = (frag & 0x3fff) != 0; /* MF set or an offset */
	if ((frag & 0x1fff) == 0) {
		pkt->l4 = c.p;
		pkt->l4_len = c.len;
	} else {
		pkt->l4 = NULL;
		pkt->l4_len = 0;
	}
	return true;
}

/*
 * Broadcast, multicast, "this network", loopback and the virtual net's own
 * addresses are never proxied.
 */
static bool stack_is_foreign_unicast(const struct unet_stack *stack,
				     uint32_t addr)
{
	uint32_t h = ntohl(addr), mask = ntohl(stack->cfg.mask.s_addr);
	uint32_t net = ntohl(stack->cfg.net.s_addr);

	if (h == 0xffffffffu || (h >> 28) == 0xe || (h >> 24) == 0 ||
	    (h >> 24) == 127 || (h >> 28) == 0xf)
		return false;
	/* Other hosts of the virtual net are reached on the hub, not here. */
	return (h & mask) != net;
}

/**
 * unet__stack_ip4_input() - decide where an IPv4 packet is accepted
 * @stack: the stack
 * @p: the packet, payload at its (unvalidated) IPv4 header
 * @inp: the netif it arrived on
 *
 * Points the catcher netif at the packet's destination when that is a
 * gateway alias, or a foreign address the proxy accepts, so that lwIP takes
 * the packet; lwIP validates the rest. TCP and UDP to the gateway itself and
 * packets to foreign addresses are first put to the proxy, when there is one.
 *
 * Return: 0 to go on in lwIP, 1 when the packet was dropped (and freed).
 */
int unet__stack_ip4_input(struct unet_stack *stack, struct pbuf *p,
			  struct netif *inp)
{
	struct unet_ip4_pkt pkt;
	uint32_t accept = 0;

	if (inp != &stack->gw)
		return 0;
	if (!stack_ip4_parse(p, &pkt)) {
		stack->stats.drop_bad++;
		pbuf_free(p);
		return 1;
	}
	/*
	 * Only the virtual net's own addresses (and 0.0.0.0, a DHCP client's)
	 * may send: an answer to any other source could not be delivered, and
	 * the proxy must not open host connections for spoofed guests (it
	 * also refuses the gateway's own and the net's special addresses).
	 */
	if (pkt.src != 0 &&
	    (pkt.src & stack->cfg.mask.s_addr) != stack->cfg.net.s_addr) {
		stack->stats.drop_bad++;
		pbuf_free(p);
		return 1;
	}
	if (stack_is_alias(stack, pkt.dst)) {
		accept = pkt.dst;
	} else if (pkt.dst == stack->cfg.host.s_addr) {
		if (stack->ip4_cb != NULL &&
		    (pkt.proto == IP_PROTO_TCP || pkt.proto == IP_PROTO_UDP) &&
		    stack->ip4_cb(stack->ip4_opaque, p, &pkt) ==
			    UNET_VERDICT_DROP) {
			pbuf_free(p);
			return 1;
		}
	} else if (stack->ip4_cb != NULL &&
		   stack_is_foreign_unicast(stack, pkt.dst)) {
		if (stack->ip4_cb(stack->ip4_opaque, p, &pkt) ==
		    UNET_VERDICT_DROP) {
			pbuf_free(p);
			return 1;
		}
		accept = pkt.dst;
	}
	/* Written directly: netif_set_ipaddr() would abort bound pcbs. */
	ip4_addr_set_u32(ip_2_ip4(&stack->catcher.ip_addr), accept);
	return 0;
}

/**
 * unet__stack_set_ip4_cb() - install the proxy's packet callback
 * @stack: the stack
 * @cb: the callback, NULL to remove it
 * @opaque: passed to @cb
 *
 * Return: 0, -EBUSY when a callback is installed already (one proxy per
 * stack).
 */
int unet__stack_set_ip4_cb(struct unet_stack *stack, unet_stack_ip4_cb cb,
			   void *opaque)
{
	if (cb != NULL && stack->ip4_cb != NULL)
		return -EBUSY;
	stack->ip4_cb = cb;
	stack->ip4_opaque = opaque;
	return 0;
}

/**
 * unet__stack_set_restrict() - say whether a restricted proxy is on the stack
 * @stack: the stack
 * @on: the proxy restricts the guest (its restrict_guest)
 *
 * A proxy that keeps the guest from everything outside makes the stack's
 * services keep it in too (the DNS forwarder), whatever the stack's own
 * configuration says.
 */
void unet__stack_set_restrict(struct unet_stack *stack, bool on)
{
	stack->proxy_restrict = on;
}

/**
 * unet__stack_restricted() - whether the guest is restricted
 * @stack: the stack
 *
 * Return: true when the stack's configuration or its proxy restricts the
 * guest; the DNS forwarder then refuses queries unless restrict_dns.
 */
bool unet__stack_restricted(const struct unet_stack *stack)
{
	return stack->cfg.restrict_guest || stack->proxy_restrict;
}

/**
 * unet__stack_is_guest_addr() - whether an address may be a guest's own
 * @stack: the stack
 * @addr: a source address (network order)
 *
 * A guest's packets that make the gateway act for it (a host socket, a
 * transfer, an upstream query) must come from an address a guest can
 * have: inside the virtual network, and not its network or broadcast
 * address, nor one of the gateway's own (the gateway, the DNS address).
 * 0.0.0.0 is only a DHCP client's, which the DHCP server takes itself.
 *
 * Return: true when @addr is such an address.
 */
bool unet__stack_is_guest_addr(const struct unet_stack *stack, uint32_t addr)
{
	struct in_addr a = { .s_addr = addr };

	return stack_addr_ok(&stack->cfg, a) &&
	       !unet__stack_is_gateway_addr(stack, addr);
}

/**
 * unet__stack_fd_reserve() - file descriptors the gateway's services may need
 * @stack: the stack
 *
 * What the DNS forwarder and (when it is on) the TFTP server hold at their
 * limits, so that the proxy can leave them that many: a flood of flows must
 * not take the descriptors a DNS query or a TFTP transfer needs.
 *
 * Return: the count.
 */
unsigned int unet__stack_fd_reserve(const struct unet_stack *stack)
{
	return unet__dns_fds_max() +
	       (stack->cfg.tftp_root[0] != '\0' ? unet__tftp_fds_max() : 0);
}

/**
 * unet__stack_netif() - the gateway netif
 * @stack: the stack
 *
 * Return: the netif the guest is on.
 */
struct netif *unet__stack_netif(struct unet_stack *stack)
{
	return &stack->gw;
}

/**
 * unet__stack_config() - the stack's configuration
 * @stack: the stack
 *
 * Return: the configuration it was made with.
 */
const struct unet_stack_config *unet__stack_config(const struct unet_stack *stack)
{
	return &stack->cfg;
}

/**
 * unet__stack_is_gateway_addr() - whether the gateway answers an address
 * @stack: the stack
 * @addr: the address (network order)
 *
 * Return: true for the gateway's address and its aliases.
 */
bool unet__stack_is_gateway_addr(const struct unet_stack *stack, uint32_t addr)
{
	return addr == stack->cfg.host.s_addr || stack_is_alias(stack, addr);
}

static err_t stack_linkoutput(struct netif *netif, struct pbuf *p)
{
	struct unet_stack *stack = netif->state;
	const void *frame = p->payload;

	if (p->next != NULL || p->len != p->tot_len) {
		if (p->tot_len > stack->txcap)
			return ERR_BUF;
		pbuf_copy_partial(p, stack->txbuf, p->tot_len, 0);
		frame = stack->txbuf;
	}
	if (unet_hub_input(&stack->port, frame, p->tot_len) < 0)
		return ERR_IF;
	return ERR_OK;
}

static err_t stack_gw_init(struct netif *netif)
{
	struct unet_stack *stack = netif->state;

	netif->name[0] = 'g';
	netif->name[1] = 'w';
	netif->mtu = (u16_t)unet_hub_mtu(stack->hub);
	netif->hwaddr_len = ETH_HWADDR_LEN;
	memcpy(netif->hwaddr, stack->cfg.mac, ETH_HWADDR_LEN);
	netif->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP |
		       NETIF_FLAG_ETHERNET | NETIF_FLAG_LINK_UP |
		       NETIF_FLAG_MLD6;
	netif->output = etharp_output;
	netif->output_ip6 = ethip6_output;
	netif->linkoutput = stack_linkoutput;
	return ERR_OK;
}

static err_t stack_catcher_output(struct netif *netif, struct pbuf *p,
				  const ip4_addr_t *dst)
{
	return ERR_RTE;
}

static err_t stack_catcher_init(struct netif *netif)
{
	netif->name[0] = 'c';
	netif->name[1] = 'a';
	netif->mtu = 0;
	netif->flags = NETIF_FLAG_LINK_UP;
	netif->output = stack_catcher_output;
	return ERR_OK;
}

/* Answers an ARP request for a gateway alias (lwIP answers only the gateway). */
static void stack_arp_alias(struct unet_stack *stack, const uint8_t *arp)
{
	uint8_t reply[SIZEOF_ETH_HDR + ARP_HLEN];
	uint8_t *eth = reply, *a = reply + SIZEOF_ETH_HDR;
	uint32_t tpa;

	/* htype 1 (Ethernet), ptype IPv4, hlen 6, plen 4, op 1 (request) */
	if (cursor_be16(arp, 0) != 1 || cursor_be16(arp, 2) != ETHTYPE_IP ||
	    arp[4] != 6 || arp[5] != 4 || cursor_be16(arp, 6) != 1)
		return;
	memcpy(&tpa, arp + 24, sizeof(tpa));
	if (!stack_is_alias(stack, tpa))
		return;
	if (arp[8] & 1) /* a multicast sender cannot be answered */
		return;

	memcpy(eth, arp + 8, 6);
	memcpy(eth + 6, stack->cfg.mac, 6);
	eth[12] = ETH_TYPE_ARP >> 8;
	eth[13] = ETH_TYPE_ARP & 0xff;
	memcpy(a, arp, 6); /* htype, ptype, hlen, plen */
	a[6] = 0;
	a[7] = 2; /* reply */
	memcpy(a + 8, stack->cfg.mac, 6);
	memcpy(a + 14, &tpa, 4);
	memcpy(a + 18, arp + 8, 10); /* the requester's MAC and address */
	stack->stats.arp_replies++;
	unet_hub_input(&stack->port, reply, sizeof(reply));
}

static void stack_timer_arm(struct unet_stack *stack);

static int stack_send(struct unet_port *port, const void *frame, size_t len)
{
	struct unet_stack *stack = container_of(port, struct unet_stack, port);
	struct unet_cursor c = cursor_init(frame, len);
	const uint8_t *eth, *arp, *ip, *ip6;
	struct pbuf *p;
	size_t pad, iplen;

	eth = cursor_take(&c, SIZEOF_ETH_HDR);
	if (eth == NULL) {
		stack->stats.drop_bad++;
		return 0;
	}
	if ((eth[0] & 1) == 0 && memcmp(eth, stack->cfg.mac, 6) != 0) {
		stack->stats.drop_mac++;
		return 0;
	}
	/*
	 * lwIP reads a few header fields before it checks lengths (ip4_input
	 * reads the total length of a packet shorter than a header; etharp
	 * trusts the ARP header to be there): the whole fixed header of each
	 * protocol handed on must be in the frame.
	 */
	switch (cursor_be16(eth, 12)) {
	case ETH_TYPE_ARP:
		arp = cursor_take(&c, ARP_HLEN);
		if (arp == NULL) {
			stack->stats.drop_bad++;
			return 0;
		}
		stack_arp_alias(stack, arp);
		break;
	case ETHTYPE_IP:
		ip = cursor_take(&c, IP_HLEN);
		if (ip == NULL) {
			stack->stats.drop_bad++;
			return 0;
		}
		/*
		 * Padding past the IP total length is not kept: a frame's
		 * pbuf may wait long in a queue (out-of-order data), and a
		 * guest could otherwise pad 1-byte segments to the MTU.
		 */
		iplen = cursor_be16(ip, 2);
		if (iplen >= IP_HLEN && SIZEOF_ETH_HDR + iplen < len)
			len = SIZEOF_ETH_HDR + iplen;
		break;
	case ETHTYPE_IPV6:
		ip6 = cursor_take(&c, IP6_HLEN);
		if (ip6 == NULL) {
			stack->stats.drop_bad++;
			return 0;
		}
		/*
		 * lwIP 2.1.3's ip6_input() reads an extension header before it
		 * checks that the header is there (a heap over-read the frames
		 * fuzz target found). The gateway serves IPv6 on its link-local
		 * address only, so extension headers stop here.
		 */
		if (ip6[6] != IP6_NEXTH_ICMP6 && ip6[6] != IP6_NEXTH_TCP &&
		    ip6[6] != IP6_NEXTH_UDP) {
			stack->stats.drop_bad++;
			return 0;
		}
		break;
	default:
		/* lwIP speaks nothing else: not counted as malformed */
		return 0;
	}
	if (len > 0xffff) {
		stack->stats.drop_bad++;
		return 0;
	}
	if (!unet__budget_admit_frame(len))
		return 0;
	/*
	 * Two bytes in front of the 14-byte Ethernet header put the IP header
	 * on an 8-byte boundary (lwIP's reassembly keeps a pointer inside the
	 * IP header, and headers read faster aligned), when the 16-bit pbuf
	 * length leaves room for them: a full 65534-byte frame at MTU 65520
	 * goes in unpadded.
	 */
	pad = len + STACK_ETH_PAD <= 0xffff ? STACK_ETH_PAD : 0;
	p = pbuf_alloc(PBUF_RAW, (u16_t)(len + pad), PBUF_RAM);
	if (p == NULL)
		return -ENOMEM;
	pbuf_remove_header(p, pad);
	pbuf_take(p, frame, (u16_t)len);
	if (stack->gw.input(p, &stack->gw) != ERR_OK)
		pbuf_free(p);
	if (unet_hub_virtual_clock(stack->hub))
		stack_timer_arm(stack);
	return 0;
}

static void stack_timer_cb(struct unet_timer *timer)
{
	struct unet_stack *stack = container_of(timer, struct unet_stack,
						timer);

	sys_check_timeouts();
	if (unet_hub_virtual_clock(stack->hub))
		stack_timer_arm(stack);
}

/* Arms the timer for lwIP's next timeout. */
static void stack_timer_arm(struct unet_stack *stack)
{
	u32_t sleep = sys_timeouts_sleeptime();

	if (sleep == SYS_TIMEOUTS_SLEEPTIME_INFINITE)
		unet_timer_stop(&stack->timer);
	else
		unet_timer_start(&stack->timer, stack_timer_cb, sleep);
}

static void stack_prepare_cb(uv_prepare_t *prepare)
{
	stack_timer_arm(prepare->data);
}

static void stack_handle_closed(uv_handle_t *handle)
{
	struct unet_stack *stack = handle->data;

	unet__stack_unref(stack);
}

/**
 * unet__stack_ref() - a service opened a handle the stack must outlive
 * @stack: the stack
 */
void unet__stack_ref(struct unet_stack *stack)
{
	stack->refs++;
}

/**
 * unet__stack_unref() - a service's handle finished closing
 * @stack: the stack; freed here after unet_stack_close() and the last one
 */
void unet__stack_unref(struct unet_stack *stack)
{
	if (--stack->refs == 0) {
		free(stack->txbuf);
		free(stack);
	}
}

/**
 * unet__stack_services() - where the gateway's services keep their state
 * @stack: the stack
 *
 * Return: the services' pointers.
 */
struct stack_services *unet__stack_services(struct unet_stack *stack)
{
	return &stack->services;
}

/**
 * unet__stack_stats() - the counters services add to
 * @stack: the stack
 *
 * Return: the stack's counters.
 */
struct unet_stack_stats *unet__stack_stats(struct unet_stack *stack)
{
	return &stack->stats;
}

/**
 * unet__stack_output_frame() - send a whole Ethernet frame to the guests
 * @stack: the stack
 * @frame: the frame, built by a service (e.g. DHCP to a client's MAC)
 * @len: its length
 *
 * Return: 0, or the hub's negative errno.
 */
int unet__stack_output_frame(struct unet_stack *stack, const void *frame,
			     size_t len)
{
	return unet_hub_input(&stack->port, frame, len);
}

/**
 * unet_stack_stats() - read the gateway's counters
 * @stack: the stack
 * @stats: receives them
 */
void unet_stack_stats(const struct unet_stack *stack,
		      struct unet_stack_stats *stats)
{
	memcpy(stats, &stack->stats, sizeof(*stats));
	stats->mem_budget = unet__budget.limit;
	stats->mem_used = unet__budget_used();
	stats->mem_lwip = unet__budget.lwip;
	stats->mem_proxy = unet__budget.proxy;
	stats->mem_peak = unet__budget.peak;
	stats->budget_frames_dropped = unet__budget.frames_dropped;
	stats->budget_ooseq_squeezed = unet__budget.ooseq_squeezed;
}

static void stack_port_close(struct unet_port *port)
{
	unet_stack_close(container_of(port, struct unet_stack, port));
}

static const struct unet_port_ops stack_port_ops = {
	.name = "user",
	.send = stack_send,
	.close = stack_port_close,
};

/**
 * unet_stack_new() - put a gateway on a hub
 * @hub: the hub
 * @id: the port's name
 * @config: the configuration, NULL for the defaults; copied, so the caller
 *          keeps it (a versioned struct, see hub.h)
 * @stackp: receives the stack, which the caller releases with
 *          unet_stack_close() (unet_hub_close() also does)
 *
 * Return: 0; -EINVAL for a bad configuration (or a &unet_stack_config.size
 * below the first release's); -E2BIG for a larger size whose extra bytes are
 * not zero; -EBUSY when this process has a stack already (lwIP is
 * process-wide); -ENOMEM.
 */
int unet_stack_new(struct unet_hub *hub, const char *id,
		   const struct unet_stack_config *config,
		   struct unet_stack **stackp)
{
	struct unet_stack_config cfg;
	struct unet_stack *stack;
	ip4_addr_t addr, mask, gw, any;
	int r;

	if (hub == NULL || stackp == NULL)
		return -EINVAL;
	unet_stack_config_init(&cfg);
	if (config != NULL) {
		r = unet__config_copy(&cfg, sizeof(cfg), config, config->size,
				      STACK_CONFIG_SIZE_V1);
		if (r < 0)
			return r;
	}
	if (!stack_config_ok(&cfg))
		return -EINVAL;
	stack = calloc(1, sizeof(*stack));
	if (stack == NULL)
		return -ENOMEM;
	stack->hub = hub;
	memcpy(&stack->cfg, &cfg, sizeof(stack->cfg));
	stack->cfg.size = sizeof(stack->cfg);
	stack->txcap = unet_hub_frame_max(hub);
	stack->txbuf = malloc(stack->txcap);
	if (stack->txbuf == NULL) {
		free(stack);
		return -ENOMEM;
	}
	r = unet__lwip_attach(stack);
	if (r < 0) {
		free(stack->txbuf);
		free(stack);
		return r;
	}
	unet__budget_reset(cfg.mem_budget != 0 ? cfg.mem_budget :
						 UNET_BUDGET_DEFAULT);

	/* netif_add() prepends: add the catcher first so the gateway leads. */
	ip4_addr_set_zero(&any);
	ip4_addr_set_u32(&mask, 0xffffffffu);
	netif_add(&stack->catcher, &any, &mask, &any, stack,
		  stack_catcher_init, ip4_input);
	netif_set_up(&stack->catcher);

	ip4_addr_set_u32(&addr, stack->cfg.host.s_addr);
	ip4_addr_set_u32(&mask, stack->cfg.mask.s_addr);
	/* No gateway of its own: it only ever talks to the virtual net. */
	ip4_addr_set_zero(&gw);
	netif_add(&stack->gw, &addr, &mask, &gw, stack, stack_gw_init,
		  ethernet_input);
	netif_create_ip6_linklocal_address(&stack->gw, 1);
	netif_set_default(&stack->gw);
	netif_set_up(&stack->gw);

	unet_timer_init(hub, &stack->timer);
	uv_prepare_init(unet_hub_loop(hub), &stack->prepare);
	stack->timer.uv.data = stack->prepare.data = stack;
	stack->handles = 2;
	stack->refs = 2;
	uv_unref((uv_handle_t *)&stack->timer.uv);
	uv_unref((uv_handle_t *)&stack->prepare);
	if (unet_hub_virtual_clock(hub))
		stack_timer_arm(stack);
	else
		uv_prepare_start(&stack->prepare, stack_prepare_cb);

	unet_port_init(&stack->port, &stack_port_ops, id);
	r = unet_hub_attach(hub, &stack->port);
	if (r == 0)
		r = unet__dhcp_start(stack);
	if (r == 0)
		r = unet__dns_start(stack);
	if (r == 0 && stack->cfg.tftp_root[0] != '\0')
		r = unet__tftp_start(stack);
	if (r < 0) {
		unet_stack_close(stack);
		return r;
	}
	*stackp = stack;
	return 0;
}

/**
 * unet_stack_close() - take the gateway off its hub and release it
 * @stack: the stack; may be NULL
 *
 * lwIP is released at once (another stack may be made right after); the
 * memory is freed from the loop once its handles are closed.
 */
void unet_stack_close(struct unet_stack *stack)
{
	if (stack == NULL || stack->handles <= 0 ||
	    uv_is_closing((uv_handle_t *)&stack->timer.uv))
		return;
	unet__tftp_stop(stack);
	unet__dns_stop(stack);
	unet__dhcp_stop(stack);
	unet_hub_detach(&stack->port);
	netif_remove(&stack->gw);
	netif_remove(&stack->catcher);
	unet__lwip_detach(stack);
	unet_timer_close(&stack->timer, stack_handle_closed);
	uv_close((uv_handle_t *)&stack->prepare, stack_handle_closed);
}

/**
 * unet_stack_port() - the stack's port on its hub
 * @stack: the stack
 *
 * Return: the port (for its counters and its name), part of the stack and
 * valid until it is closed.
 */
struct unet_port *unet_stack_port(struct unet_stack *stack)
{
	return &stack->port;
}
