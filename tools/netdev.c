// SPDX-License-Identifier: MIT
/*
 * netdev: the parser of `-netdev TYPE,id=ID,key=value,...` options.
 *
 * Theory of operation
 *
 * One left-to-right pass over the option string. The first element, up to
 * the first comma, is the type. Every following element is KEY=VALUE: the
 * key ends at the first '=' (a ',' before it is an error: keys need values),
 * the value at the first single ','; a doubled ",," inside a value is one
 * literal comma (QemuOpts' escape). Each value is unescaped into a bounded
 * scratch buffer, checked and stored as soon as it is read, and a bit per key
 * catches repeats (hostfwd= alone may repeat, up to NETDEV_FWD_MAX times).
 * The checks that involve several keys (a missing id, tap's ifname= against
 * fd=, the user network's derived and explicit addresses, the forwards'
 * guest addresses against the network) run once the string is consumed.
 *
 * Everything is built in a local struct netdev that is copied out only on
 * success, so the caller's struct is untouched by a failed parse. An error
 * is one line: the option as given (cut at NETDEV_ECHO_MAX bytes), then the
 * offending key and what is wrong with it; control characters are replaced
 * by '?' so that hostile input cannot forge extra lines. Nothing here
 * allocates, and every copy is bounded by its destination.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netdev.h"
#include "wire/addr.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* At most this many bytes of the option are repeated in an error. */
#define NETDEV_ECHO_MAX 80
/* At most this many bytes of a key are repeated in an error. */
#define NETDEV_KEY_ECHO_MAX 32
/* Prefix lengths a user network may have: QEMU's lower bound, and at least
 * four addresses (network, gateway, DNS, broadcast).
 */
#define NETDEV_PREFIX_MIN 4
#define NETDEV_PREFIX_MAX 30

static const char *const netdev_type_names[] = {
	[NETDEV_USER] = "user",
	[NETDEV_TAP] = "tap",
	[NETDEV_DUMP] = "dump",
	[NETDEV_SOCKET] = "socket",
	[NETDEV_STREAM] = "stream",
	[NETDEV_DGRAM] = "dgram",
	[NETDEV_VDE] = "vde",
	[NETDEV_VXLAN] = "vxlan",
	[NETDEV_HUBPORT] = "hubport",
};
static_assert(ARRAY_SIZE(netdev_type_names) == NETDEV_TYPE_NUM,
	      "netdev_type_names must name every enum netdev_type");

enum netdev_key {
	NETDEV_KEY_ID,
	NETDEV_KEY_NET,
	NETDEV_KEY_HOST,
	NETDEV_KEY_DNS,
	NETDEV_KEY_DHCPSTART,
	NETDEV_KEY_IFNAME,
	NETDEV_KEY_FD,
	NETDEV_KEY_NETNS,
	NETDEV_KEY_FILE,
	NETDEV_KEY_LEN,
	NETDEV_KEY_HOSTFWD,
	NETDEV_KEY_RESTRICT,
	NETDEV_KEY_RESTRICT_DNS,
	NETDEV_KEY_MEM_BUDGET,
	NETDEV_KEY_TCP_STALL_TIMEOUT,
	NETDEV_KEY_LOOPBACK,
	NETDEV_KEY_HOSTNAME,
	NETDEV_KEY_DOMAINNAME,
	NETDEV_KEY_DNSSEARCH,
	NETDEV_KEY_BOOTFILE,
	NETDEV_KEY_TFTP,
	NETDEV_KEY_TFTP_SERVER_NAME,
	NETDEV_KEY_DNS_UPSTREAM,
	NETDEV_KEY_HUB,
	NETDEV_KEY_HUBID,
	NETDEV_KEY_NETDEV,
	NETDEV_KEY_LISTEN,
	NETDEV_KEY_CONNECT,
	NETDEV_KEY_MCAST,
	NETDEV_KEY_UDP,
	NETDEV_KEY_LOCALADDR,
	NETDEV_KEY_RECONNECT,
	NETDEV_KEY_SERVER,
	/* addr.*, local.*, remote.*: five keys each, in this order */
	NETDEV_KEY_ADDR_TYPE,
	NETDEV_KEY_ADDR_HOST,
	NETDEV_KEY_ADDR_PORT,
	NETDEV_KEY_ADDR_PATH,
	NETDEV_KEY_ADDR_STR,
	NETDEV_KEY_LOCAL_TYPE,
	NETDEV_KEY_LOCAL_HOST,
	NETDEV_KEY_LOCAL_PORT,
	NETDEV_KEY_LOCAL_PATH,
	NETDEV_KEY_LOCAL_STR,
	NETDEV_KEY_REMOTE_TYPE,
	NETDEV_KEY_REMOTE_HOST,
	NETDEV_KEY_REMOTE_PORT,
	NETDEV_KEY_REMOTE_PATH,
	NETDEV_KEY_REMOTE_STR,
	NETDEV_KEY_SOCK,
	NETDEV_KEY_PORT,
	NETDEV_KEY_GROUP,
	NETDEV_KEY_MODE,
	NETDEV_KEY_LOSS,
	NETDEV_KEY_LOSS_BURST,
	NETDEV_KEY_VNI,
	NETDEV_KEY_LOCAL,
	NETDEV_KEY_REMOTE,
	NETDEV_KEY_DEV,
	NETDEV_KEY_LEARNING,
	NETDEV_KEY_AGEING,
	NETDEV_KEY_IPV4,
	NETDEV_KEY_IPV6,
	NETDEV_KEY_IPV6_NET,
	NETDEV_KEY_IPV6_PREFIX,
	NETDEV_KEY_IPV6_PREFIXLEN,
	NETDEV_KEY_IPV6_HOST,
	NETDEV_KEY_IPV6_DNS,
	NETDEV_KEY_IPV6_DHCP,
	NETDEV_KEY_OUTBOUND,
	NETDEV_KEY_OUTBOUND6,
	NETDEV_KEY_KEEPSRC,
	NETDEV_KEY_DNS_SERVER,
	NETDEV_KEY_POLICY,
	NETDEV_KEY_EGRESS,
	NETDEV_KEY_AUDIT,
	NETDEV_KEY_OFFLOAD,
	NETDEV_KEY_DENY_TCP,
	NETDEV_KEY_POLICY_TTL_MIN,
	NETDEV_KEY_POLICY_TTL_MAX,
	NETDEV_KEY_NUM
};

static const char *const netdev_key_names[] = {
	[NETDEV_KEY_ID] = "id",
	[NETDEV_KEY_NET] = "net",
	[NETDEV_KEY_HOST] = "host",
	[NETDEV_KEY_DNS] = "dns",
	[NETDEV_KEY_DHCPSTART] = "dhcpstart",
	[NETDEV_KEY_IFNAME] = "ifname",
	[NETDEV_KEY_FD] = "fd",
	[NETDEV_KEY_NETNS] = "netns",
	[NETDEV_KEY_OFFLOAD] = "offload",
	[NETDEV_KEY_FILE] = "file",
	[NETDEV_KEY_LEN] = "len",
	[NETDEV_KEY_HOSTFWD] = "hostfwd",
	[NETDEV_KEY_RESTRICT] = "restrict",
	[NETDEV_KEY_RESTRICT_DNS] = "restrict-dns",
	[NETDEV_KEY_MEM_BUDGET] = "mem-budget",
	[NETDEV_KEY_TCP_STALL_TIMEOUT] = "tcp-stall-timeout",
	[NETDEV_KEY_LOOPBACK] = "loopback",
	[NETDEV_KEY_HOSTNAME] = "hostname",
	[NETDEV_KEY_DOMAINNAME] = "domainname",
	[NETDEV_KEY_DNSSEARCH] = "dnssearch",
	[NETDEV_KEY_BOOTFILE] = "bootfile",
	[NETDEV_KEY_TFTP] = "tftp",
	[NETDEV_KEY_TFTP_SERVER_NAME] = "tftp-server-name",
	[NETDEV_KEY_DNS_UPSTREAM] = "dns-upstream",
	[NETDEV_KEY_HUB] = "hub",
	[NETDEV_KEY_HUBID] = "hubid",
	[NETDEV_KEY_NETDEV] = "netdev",
	[NETDEV_KEY_LISTEN] = "listen",
	[NETDEV_KEY_CONNECT] = "connect",
	[NETDEV_KEY_MCAST] = "mcast",
	[NETDEV_KEY_UDP] = "udp",
	[NETDEV_KEY_LOCALADDR] = "localaddr",
	[NETDEV_KEY_RECONNECT] = "reconnect",
	[NETDEV_KEY_SERVER] = "server",
	[NETDEV_KEY_ADDR_TYPE] = "addr.type",
	[NETDEV_KEY_ADDR_HOST] = "addr.host",
	[NETDEV_KEY_ADDR_PORT] = "addr.port",
	[NETDEV_KEY_ADDR_PATH] = "addr.path",
	[NETDEV_KEY_ADDR_STR] = "addr.str",
	[NETDEV_KEY_LOCAL_TYPE] = "local.type",
	[NETDEV_KEY_LOCAL_HOST] = "local.host",
	[NETDEV_KEY_LOCAL_PORT] = "local.port",
	[NETDEV_KEY_LOCAL_PATH] = "local.path",
	[NETDEV_KEY_LOCAL_STR] = "local.str",
	[NETDEV_KEY_REMOTE_TYPE] = "remote.type",
	[NETDEV_KEY_REMOTE_HOST] = "remote.host",
	[NETDEV_KEY_REMOTE_PORT] = "remote.port",
	[NETDEV_KEY_REMOTE_PATH] = "remote.path",
	[NETDEV_KEY_REMOTE_STR] = "remote.str",
	[NETDEV_KEY_SOCK] = "sock",
	[NETDEV_KEY_PORT] = "port",
	[NETDEV_KEY_GROUP] = "group",
	[NETDEV_KEY_MODE] = "mode",
	[NETDEV_KEY_LOSS] = "loss",
	[NETDEV_KEY_LOSS_BURST] = "loss-burst",
	[NETDEV_KEY_VNI] = "vni",
	[NETDEV_KEY_LOCAL] = "local",
	[NETDEV_KEY_REMOTE] = "remote",
	[NETDEV_KEY_DEV] = "dev",
	[NETDEV_KEY_LEARNING] = "learning",
	[NETDEV_KEY_AGEING] = "ageing",
	[NETDEV_KEY_IPV4] = "ipv4",
	[NETDEV_KEY_IPV6] = "ipv6",
	[NETDEV_KEY_IPV6_NET] = "ipv6-net",
	[NETDEV_KEY_IPV6_PREFIX] = "ipv6-prefix",
	[NETDEV_KEY_IPV6_PREFIXLEN] = "ipv6-prefixlen",
	[NETDEV_KEY_IPV6_HOST] = "ipv6-host",
	[NETDEV_KEY_IPV6_DNS] = "ipv6-dns",
	[NETDEV_KEY_IPV6_DHCP] = "ipv6-dhcp",
	[NETDEV_KEY_OUTBOUND] = "outbound",
	[NETDEV_KEY_OUTBOUND6] = "outbound6",
	[NETDEV_KEY_KEEPSRC] = "keepsrc",
	[NETDEV_KEY_DNS_SERVER] = "dns-server",
	[NETDEV_KEY_POLICY] = "policy",
	[NETDEV_KEY_EGRESS] = "egress",
	[NETDEV_KEY_AUDIT] = "audit",
	[NETDEV_KEY_DENY_TCP] = "deny-tcp",
	[NETDEV_KEY_POLICY_TTL_MIN] = "policy-ttl-min",
	[NETDEV_KEY_POLICY_TTL_MAX] = "policy-ttl-max",
};
static_assert(ARRAY_SIZE(netdev_key_names) == NETDEV_KEY_NUM,
	      "netdev_key_names must name every enum netdev_key");

#define TYPE_BIT(t) (1u << (t))
static_assert(NETDEV_TYPE_NUM <= 16, "netdev_key_types holds 16 types");
/* Every type that makes a port: its hub and its test loss. */
#define TYPES_PORT                                          \
	(TYPE_BIT(NETDEV_USER) | TYPE_BIT(NETDEV_TAP) |     \
	 TYPE_BIT(NETDEV_DUMP) | TYPE_BIT(NETDEV_SOCKET) |  \
	 TYPE_BIT(NETDEV_STREAM) | TYPE_BIT(NETDEV_DGRAM) | \
	 TYPE_BIT(NETDEV_VDE) | TYPE_BIT(NETDEV_VXLAN))
#define TYPES_USER TYPE_BIT(NETDEV_USER)
#define TYPES_STREAM TYPE_BIT(NETDEV_STREAM)
#define TYPES_DGRAM TYPE_BIT(NETDEV_DGRAM)

/*
 * The types that accept each key: a row per key, so that a new key is one
 * line here and one in netdev_key_names[], whatever the number of keys.
 */
static const uint16_t netdev_key_types[] = {
	[NETDEV_KEY_ID] = TYPES_PORT | TYPE_BIT(NETDEV_HUBPORT),
	[NETDEV_KEY_NET] = TYPES_USER,
	[NETDEV_KEY_HOST] = TYPES_USER,
	[NETDEV_KEY_DNS] = TYPES_USER,
	[NETDEV_KEY_DHCPSTART] = TYPES_USER,
	[NETDEV_KEY_IFNAME] = TYPE_BIT(NETDEV_TAP),
	[NETDEV_KEY_FD] = TYPE_BIT(NETDEV_TAP),
	[NETDEV_KEY_NETNS] = TYPE_BIT(NETDEV_TAP),
	[NETDEV_KEY_OFFLOAD] = TYPE_BIT(NETDEV_TAP) | TYPE_BIT(NETDEV_SOCKET) |
			       TYPES_STREAM,
	[NETDEV_KEY_FILE] = TYPE_BIT(NETDEV_DUMP),
	[NETDEV_KEY_LEN] = TYPE_BIT(NETDEV_DUMP),
	[NETDEV_KEY_HOSTFWD] = TYPES_USER,
	[NETDEV_KEY_RESTRICT] = TYPES_USER,
	[NETDEV_KEY_RESTRICT_DNS] = TYPES_USER,
	[NETDEV_KEY_MEM_BUDGET] = TYPES_USER,
	[NETDEV_KEY_TCP_STALL_TIMEOUT] = TYPES_USER,
	[NETDEV_KEY_LOOPBACK] = TYPES_USER,
	[NETDEV_KEY_HOSTNAME] = TYPES_USER,
	[NETDEV_KEY_DOMAINNAME] = TYPES_USER,
	[NETDEV_KEY_DNSSEARCH] = TYPES_USER,
	[NETDEV_KEY_BOOTFILE] = TYPES_USER,
	[NETDEV_KEY_TFTP] = TYPES_USER,
	[NETDEV_KEY_TFTP_SERVER_NAME] = TYPES_USER,
	[NETDEV_KEY_DNS_UPSTREAM] = TYPES_USER,
	[NETDEV_KEY_HUB] = TYPES_PORT,
	[NETDEV_KEY_HUBID] = TYPE_BIT(NETDEV_HUBPORT),
	[NETDEV_KEY_NETDEV] = TYPE_BIT(NETDEV_HUBPORT),
	[NETDEV_KEY_LISTEN] = TYPE_BIT(NETDEV_SOCKET),
	[NETDEV_KEY_CONNECT] = TYPE_BIT(NETDEV_SOCKET),
	[NETDEV_KEY_MCAST] = TYPE_BIT(NETDEV_SOCKET),
	[NETDEV_KEY_UDP] = TYPE_BIT(NETDEV_SOCKET),
	[NETDEV_KEY_LOCALADDR] = TYPE_BIT(NETDEV_SOCKET),
	[NETDEV_KEY_RECONNECT] = TYPE_BIT(NETDEV_SOCKET) | TYPES_STREAM,
	[NETDEV_KEY_SERVER] = TYPES_STREAM,
	[NETDEV_KEY_ADDR_TYPE] = TYPES_STREAM,
	[NETDEV_KEY_ADDR_HOST] = TYPES_STREAM,
	[NETDEV_KEY_ADDR_PORT] = TYPES_STREAM,
	[NETDEV_KEY_ADDR_PATH] = TYPES_STREAM,
	[NETDEV_KEY_ADDR_STR] = TYPES_STREAM,
	[NETDEV_KEY_LOCAL_TYPE] = TYPES_DGRAM,
	[NETDEV_KEY_LOCAL_HOST] = TYPES_DGRAM,
	[NETDEV_KEY_LOCAL_PORT] = TYPES_DGRAM,
	[NETDEV_KEY_LOCAL_PATH] = TYPES_DGRAM,
	[NETDEV_KEY_LOCAL_STR] = TYPES_DGRAM,
	[NETDEV_KEY_REMOTE_TYPE] = TYPES_DGRAM,
	[NETDEV_KEY_REMOTE_HOST] = TYPES_DGRAM,
	[NETDEV_KEY_REMOTE_PORT] = TYPES_DGRAM,
	[NETDEV_KEY_REMOTE_PATH] = TYPES_DGRAM,
	[NETDEV_KEY_REMOTE_STR] = TYPES_DGRAM,
	[NETDEV_KEY_SOCK] = TYPE_BIT(NETDEV_VDE),
	[NETDEV_KEY_PORT] = TYPE_BIT(NETDEV_VDE) | TYPE_BIT(NETDEV_VXLAN),
	[NETDEV_KEY_GROUP] = TYPE_BIT(NETDEV_VDE) | TYPE_BIT(NETDEV_VXLAN),
	[NETDEV_KEY_MODE] = TYPE_BIT(NETDEV_VDE),
	[NETDEV_KEY_LOSS] = TYPES_PORT,
	[NETDEV_KEY_LOSS_BURST] = TYPES_PORT,
	[NETDEV_KEY_VNI] = TYPE_BIT(NETDEV_VXLAN),
	[NETDEV_KEY_LOCAL] = TYPE_BIT(NETDEV_VXLAN),
	[NETDEV_KEY_REMOTE] = TYPE_BIT(NETDEV_VXLAN),
	[NETDEV_KEY_DEV] = TYPE_BIT(NETDEV_VXLAN),
	[NETDEV_KEY_LEARNING] = TYPE_BIT(NETDEV_VXLAN),
	[NETDEV_KEY_AGEING] = TYPE_BIT(NETDEV_VXLAN),
	[NETDEV_KEY_IPV4] = TYPES_USER,
	[NETDEV_KEY_IPV6] = TYPES_USER,
	[NETDEV_KEY_IPV6_NET] = TYPES_USER,
	[NETDEV_KEY_IPV6_PREFIX] = TYPES_USER,
	[NETDEV_KEY_IPV6_PREFIXLEN] = TYPES_USER,
	[NETDEV_KEY_IPV6_HOST] = TYPES_USER,
	[NETDEV_KEY_IPV6_DNS] = TYPES_USER,
	[NETDEV_KEY_IPV6_DHCP] = TYPES_USER,
	[NETDEV_KEY_OUTBOUND] = TYPES_USER,
	[NETDEV_KEY_OUTBOUND6] = TYPES_USER,
	[NETDEV_KEY_KEEPSRC] = TYPES_USER,
	[NETDEV_KEY_DNS_SERVER] = TYPES_USER,
	[NETDEV_KEY_POLICY] = TYPES_USER,
	[NETDEV_KEY_EGRESS] = TYPES_USER,
	[NETDEV_KEY_AUDIT] = TYPES_USER,
	[NETDEV_KEY_DENY_TCP] = TYPES_USER,
	[NETDEV_KEY_POLICY_TTL_MIN] = TYPES_USER,
	[NETDEV_KEY_POLICY_TTL_MAX] = TYPES_USER,
};
static_assert(ARRAY_SIZE(netdev_key_types) == NETDEV_KEY_NUM,
	      "netdev_key_types must cover every enum netdev_key");

/* Keys that may be given more than once. */
static const bool netdev_key_repeats[NETDEV_KEY_NUM] = {
	[NETDEV_KEY_HOSTFWD] = true,
	[NETDEV_KEY_DNSSEARCH] = true,
	[NETDEV_KEY_DNS_UPSTREAM] = true,
	[NETDEV_KEY_REMOTE] = true,
};

/* A bit per key, as many 64-bit words as the keys need. */
#define NETDEV_KEY_WORDS ((NETDEV_KEY_NUM + 63) / 64)

/**
 * struct netdev_keyset - a set of keys
 * @w: bit k % 64 of word k / 64 is key k
 */
struct netdev_keyset {
	uint64_t w[NETDEV_KEY_WORDS];
};

static bool netdev_keyset_has(const struct netdev_keyset *s, int k)
{
	return (s->w[k / 64] >> (k % 64) & 1) != 0;
}

static void netdev_keyset_add(struct netdev_keyset *s, int k)
{
	s->w[k / 64] |= UINT64_C(1) << (k % 64);
}

#define NETDEV_HOSTFWD_SYNTAX \
	"[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport"

/* Values are unescaped into a NETDEV_FILE_MAX scratch buffer: a file= that
 * fits there fits in struct netdev.
 */
static_assert(NETDEV_FILE_MAX == sizeof(((struct netdev *)0)->u.dump.file),
	      "file= scratch buffer must match struct netdev");

/* State of one netdev_parse() call. */
struct netdev_parser {
	const char *arg;
	char *err;
	size_t errlen;
	struct netdev_keyset seen; /* the keys given so far */
	struct netdev nd;	/* built here, copied out on success */
	/* socket's localaddr=, read once mcast= or udp= is known */
	char localaddr[NETDEV_HOST_MAX + 8];
};

/* Whether key @k was given. */
static bool netdev_seen(const struct netdev_parser *p, enum netdev_key k)
{
	return netdev_keyset_has(&p->seen, k);
}

/*
 * Write "-netdev ARG: MESSAGE" into the caller's buffer, cut to its size,
 * with control characters made visible as '?'. Always returns -EINVAL so
 * that callers can `return netdev_error(...)`.
 */
__attribute__((format(printf, 2, 3)))
static int netdev_error(struct netdev_parser *p, const char *fmt, ...)
{
	size_t shown = strnlen(p->arg, NETDEV_ECHO_MAX + 1);
	const char *more = "";
	va_list ap;
	size_t i;
	int n;

	if (!p->err || !p->errlen)
		return -EINVAL;
	if (shown > NETDEV_ECHO_MAX) {
		shown = NETDEV_ECHO_MAX;
		more = "...";
	}
	n = snprintf(p->err, p->errlen, "-netdev %.*s%s: ", (int)shown, p->arg,
		     more);
	if (n >= 0 && (size_t)n < p->errlen) {
		va_start(ap, fmt);
		vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	for (i = 0; i < p->errlen && p->err[i]; i++) {
		unsigned char c = (unsigned char)p->err[i];

		if (c < 0x20 || c == 0x7f)
			p->err[i] = '?';
	}
	return -EINVAL;
}

/* "user, tap, dump", for messages about the type. */
static const char *netdev_known_types(char *buf, size_t len)
{
	size_t used = 0;
	int i;

	buf[0] = '\0';
	for (i = 0; i < NETDEV_TYPE_NUM; i++) {
		int n = snprintf(buf + used, len - used, "%s%s",
				 i ? ", " : "", netdev_type_names[i]);

		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
	return buf;
}

static int netdev_lookup_type(const char *name, size_t len)
{
	int i;

	for (i = 0; i < NETDEV_TYPE_NUM; i++)
		if (strlen(netdev_type_names[i]) == len &&
		    !memcmp(netdev_type_names[i], name, len))
			return i;
	return -1;
}

static int netdev_lookup_key(enum netdev_type type, const char *name,
			     size_t len)
{
	int i;

	for (i = 0; i < NETDEV_KEY_NUM; i++)
		if ((netdev_key_types[i] & TYPE_BIT(type)) &&
		    strlen(netdev_key_names[i]) == len &&
		    !memcmp(netdev_key_names[i], name, len))
			return i;
	return -1;
}

/* QEMU's id_wellformed(): a letter, then letters, digits, '-', '.', '_'. */
static bool netdev_id_wellformed(const char *id)
{
	size_t i;

	if (!isalpha((unsigned char)id[0]))
		return false;
	for (i = 1; id[i]; i++)
		if (!isalnum((unsigned char)id[i]) && !strchr("-._", id[i]))
			return false;
	return true;
}

/* A decimal number in [min, max], all of @s, no sign or blanks. */
static bool netdev_parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (!isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/*
 * A size in bytes: digits, then optionally K, M, G or T (powers of 1024),
 * inside [min, max].
 */
static bool netdev_parse_size(const char *s, uint64_t min, uint64_t max,
			      size_t *out)
{
	static const char units[] = "KMGT";
	const char *u;
	unsigned long long v;
	char *end;
	int shift = 0;

	if (!isdigit((unsigned char)s[0]))
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return false;
	if (*end != '\0') {
		u = strchr(units, toupper((unsigned char)*end));
		if (u == NULL || end[1] != '\0')
			return false;
		shift = 10 * (int)(u - units + 1);
	}
	if (v > max >> shift || v << shift < min)
		return false;
	*out = (size_t)(v << shift);
	return true;
}

/* Dotted IPv4 only: inet_pton() refuses short forms and trailing junk. */
static bool netdev_parse_addr(const char *s, struct in_addr *addr)
{
	return inet_pton(AF_INET, s, addr) == 1;
}

static unsigned int netdev_prefix_len(struct in_addr mask)
{
	uint32_t m = ntohl(mask.s_addr);
	unsigned int n = 0;

	while (m & UINT32_C(0x80000000)) {
		n++;
		m <<= 1;
	}
	return n;
}

static struct in_addr netdev_prefix_mask(unsigned int prefix)
{
	struct in_addr mask;

	mask.s_addr = htonl(prefix ? UINT32_MAX << (32 - prefix) : 0);
	return mask;
}

/* net=ADDR[/PREFIX|/MASK]; without a mask the network is a /24. */
static int netdev_parse_net(struct netdev_parser *p, char *val)
{
	struct unet_stack_config *cfg = &p->nd.u.user.stack;
	char *slash = strchr(val, '/');
	struct in_addr addr, mask;
	unsigned int prefix = 24;
	long v;

	if (slash)
		*slash = '\0';
	if (!netdev_parse_addr(val, &addr))
		return netdev_error(p, "net: bad IPv4 address '%s'", val);
	if (slash) {
		const char *m = slash + 1;

		*slash = '/';
		if (strchr(m, '.')) {
			uint32_t hostmask;

			if (!netdev_parse_addr(m, &mask))
				return netdev_error(p, "net: bad netmask '%s'",
						    m);
			hostmask = ~ntohl(mask.s_addr);
			if (hostmask & (hostmask + 1))
				return netdev_error(p,
						    "net: netmask %s is not contiguous",
						    m);
			prefix = netdev_prefix_len(mask);
		} else {
			if (!netdev_parse_long(m, 0, 32, &v))
				return netdev_error(p,
						    "net: bad prefix length '/%s' (want /%d../%d or a dotted netmask)",
						    m, NETDEV_PREFIX_MIN,
						    NETDEV_PREFIX_MAX);
			prefix = (unsigned int)v;
		}
	}
	if (prefix > NETDEV_PREFIX_MAX)
		return netdev_error(p,
				    "net: prefix /%u leaves fewer than 4 addresses (want /%d../%d)",
				    prefix, NETDEV_PREFIX_MIN,
				    NETDEV_PREFIX_MAX);
	if (prefix < NETDEV_PREFIX_MIN)
		return netdev_error(p,
				    "net: prefix /%u is too short (want /%d../%d)",
				    prefix, NETDEV_PREFIX_MIN,
				    NETDEV_PREFIX_MAX);
	mask = netdev_prefix_mask(prefix);
	if (addr.s_addr & ~mask.s_addr)
		return netdev_error(p,
				    "net: host bits set in network address %s",
				    val);
	cfg->net = addr;
	cfg->mask = mask;
	return 0;
}

static int netdev_parse_ifname(struct netdev_parser *p, const char *val)
{
	size_t len = strlen(val);
	size_t i;

	if (len >= sizeof(p->nd.u.tap.ifname))
		return netdev_error(p,
				    "ifname: '%s' is longer than %zu characters",
				    val, sizeof(p->nd.u.tap.ifname) - 1);
	if (!strcmp(val, ".") || !strcmp(val, ".."))
		return netdev_error(p,
				    "ifname: '%s' is not a valid interface name",
				    val);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)val[i];

		if (isspace(c))
			return netdev_error(p,
					    "ifname: '%s' contains whitespace, not allowed in interface names",
					    val);
		if (c == '/' || c == ':')
			return netdev_error(p,
					    "ifname: '%s' contains '%c', not allowed in interface names",
					    val, c);
	}
	memcpy(p->nd.u.tap.ifname, val, len + 1);
	return 0;
}

/* on|off, and the other spellings QEMU's booleans take. */
static bool netdev_parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "on", "yes", "true", "y" };
	static const char *const no[] = { "off", "no", "false", "n" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcmp(s, yes[i])) {
			*out = true;
			return true;
		}
		if (!strcmp(s, no[i])) {
			*out = false;
			return true;
		}
	}
	return false;
}

/*
 * Takes one address of a hostfwd= off *@sp, up to the separator @sep:
 * "[v6addr]" in brackets (QEMU's spelling) or a bare IPv4 address or
 * nothing. *@sp moves past the separator. NULL when the separator or the
 * closing bracket is missing; @bracketed says whether brackets were used.
 */
static char *netdev_hostfwd_addr(char **sp, char sep, bool *bracketed)
{
	char *a = *sp, *end;

	*bracketed = *a == '[';
	if (*bracketed) {
		end = strchr(a, ']');
		if (end == NULL || end[1] != sep)
			return NULL;
		*end = '\0';
		*sp = end + 2;
		return a + 1;
	}
	end = strchr(a, sep);
	if (end == NULL)
		return NULL;
	*end = '\0';
	*sp = end + 1;
	return a;
}

/*
 * Parses a hostfwd= address into @sa: IPv6 when bracketed, IPv4 otherwise;
 * empty is the family's any address (IPv4 when bare). False when it does
 * not parse.
 */
static bool netdev_hostfwd_sa(const char *a, bool bracketed,
			      union unet_sockaddr *sa)
{
	memset(sa, 0, sizeof(*sa));
	if (bracketed) {
		sa->in6.sin6_family = AF_INET6;
		return !*a || inet_pton(AF_INET6, a, &sa->in6.sin6_addr) == 1;
	}
	sa->in.sin_family = AF_INET;
	sa->in.sin_addr.s_addr = htonl(INADDR_ANY);
	return !*a || netdev_parse_addr(a, &sa->in.sin_addr);
}

/* Sets the port (network order) of a socket address of either family. */
static void netdev_sa_set_port(union unet_sockaddr *sa, uint16_t port)
{
	if (sa->sa.sa_family == AF_INET6)
		sa->in6.sin6_port = port;
	else
		sa->in.sin_port = port;
}

/*
 * hostfwd=[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport, split as
 * QEMU's slirp_hostfwd() splits it: at the first ':', the next ':', the
 * next '-' and the next ':'; an address in brackets is IPv6 ("[::1]",
 * "[fec0::15]"; "[]" the IPv6 any address), and each side has its own
 * family. An empty protocol is tcp, an empty host address is IPv4's any,
 * an empty guest address is the default IPv4 one (filled in by
 * netdev_finish_user(), which also checks it against the network).
 */
static int netdev_parse_hostfwd(struct netdev_parser *p, char *val)
{
	struct netdev_user *u = &p->nd.u.user;
	char *rest, *proto = val, *haddr, *hport, *gaddr, *gport;
	bool hbr, gbr;
	struct unet_fwd_ex fwd;
	long hp, gp;

	if (u->n_fwds >= NETDEV_FWD_MAX)
		return netdev_error(p, "hostfwd: at most %d forwards",
				    NETDEV_FWD_MAX);
	rest = strchr(proto, ':');
	if (rest == NULL)
		return netdev_error(p,
				    "hostfwd: expected " NETDEV_HOSTFWD_SYNTAX);
	*rest++ = '\0';
	haddr = netdev_hostfwd_addr(&rest, ':', &hbr);
	hport = rest;
	rest = haddr ? strchr(hport, '-') : NULL;
	if (rest != NULL)
		*rest++ = '\0';
	gaddr = rest ? netdev_hostfwd_addr(&rest, ':', &gbr) : NULL;
	gport = rest;
	if (!gaddr)
		return netdev_error(p,
				    "hostfwd: expected " NETDEV_HOSTFWD_SYNTAX);

	memset(&fwd, 0, sizeof(fwd));
	if (!*proto || !strcmp(proto, "tcp"))
		fwd.proto = IPPROTO_TCP;
	else if (!strcmp(proto, "udp"))
		fwd.proto = IPPROTO_UDP;
	else
		return netdev_error(p,
				    "hostfwd: bad protocol '%s' (want tcp or udp)",
				    proto);
	if (!netdev_hostfwd_sa(haddr, hbr, &fwd.host))
		return netdev_error(p, "hostfwd: bad host address '%s'", haddr);
	if (!netdev_parse_long(hport, 0, 65535, &hp))
		return netdev_error(p,
				    "hostfwd: bad host port '%s' (want 0..65535)",
				    hport);
	if (!netdev_hostfwd_sa(gaddr, gbr, &fwd.guest) || (gbr && !*gaddr))
		return netdev_error(p, "hostfwd: bad guest address '%s'",
				    gaddr);
	if (!netdev_parse_long(gport, 1, 65535, &gp))
		return netdev_error(p,
				    "hostfwd: bad guest port '%s' (want 1..65535)",
				    gport);
	netdev_sa_set_port(&fwd.host, htons((uint16_t)hp));
	netdev_sa_set_port(&fwd.guest, htons((uint16_t)gp));
	u->fwd_guest_default[u->n_fwds] = !*gaddr;
	u->fwds[u->n_fwds++] = fwd;
	return 0;
}

/* Copies a string value into a fixed field, or says it is too long. */
static int netdev_set_str(struct netdev_parser *p, enum netdev_key key,
			  char *dst, size_t size, const char *val)
{
	if (strlen(val) >= size)
		return netdev_error(p, "%s: longer than %zu characters",
				    netdev_key_names[key], size - 1);
	memcpy(dst, val, strlen(val) + 1);
	return 0;
}

/*
 * A DNS name as DHCP options carry it: labels of 1..63 letters, digits,
 * '-' or '_', separated by single dots, at most 253 characters.
 */
static bool netdev_domain_wellformed(const char *s)
{
	size_t label = 0, len = strlen(s);

	if (len == 0 || len > 253)
		return false;
	for (; *s; s++) {
		if (*s == '.') {
			if (label == 0)
				return false;
			label = 0;
		} else if (isalnum((unsigned char)*s) || *s == '-' ||
			   *s == '_') {
			if (++label > 63)
				return false;
		} else {
			return false;
		}
	}
	return label > 0 || len > 1;
}

/* dnssearch=DOMAIN, repeatable: joined with commas into the stack config. */
static int netdev_parse_dnssearch(struct netdev_parser *p, const char *val)
{
	char *list = p->nd.u.user.stack.dnssearch;
	size_t used = strlen(list), need = strlen(val) + (used > 0);

	if (!netdev_domain_wellformed(val))
		return netdev_error(p, "dnssearch: '%s' is not a domain name",
				    val);
	if (used + need >= sizeof(p->nd.u.user.stack.dnssearch))
		return netdev_error(p, "dnssearch: the list is longer than %zu characters",
				    sizeof(p->nd.u.user.stack.dnssearch) - 1);
	if (used > 0)
		list[used++] = ',';
	memcpy(list + used, val, strlen(val) + 1);
	return 0;
}

/*
 * dns-upstream=[ADDR]:PORT or [ADDR] or ADDR (an IPv6 address, which holds
 * colons of its own, is bracketed when a port follows), into the
 * forwarder's IPv6 servers.
 */
static int netdev_parse_dns_upstream6(struct netdev_parser *p, char *val)
{
	struct unet_stack_config *cfg = &p->nd.u.user.stack;
	struct sockaddr_in6 *sa;
	char *addr = val, *end;
	long port = 53;

	if (cfg->n_dns_upstream6 >= UNET_DNS_UPSTREAM_MAX)
		return netdev_error(p, "dns-upstream: at most %d IPv6 servers",
				    UNET_DNS_UPSTREAM_MAX);
	if (val[0] == '[') {
		addr = val + 1;
		end = strchr(addr, ']');
		if (end == NULL)
			return netdev_error(
				p,
				"dns-upstream: missing ']' in '%s' (want [ADDR]:PORT)",
				val);
		*end++ = '\0';
		if (*end == ':') {
			if (!netdev_parse_long(end + 1, 1, 65535, &port))
				return netdev_error(
					p,
					"dns-upstream: bad port '%s' (want 1..65535)",
					end + 1);
		} else if (*end != '\0') {
			return netdev_error(
				p,
				"dns-upstream: '%s' after ']' (want [ADDR]:PORT)",
				end);
		}
	}
	sa = &cfg->dns_upstream6[cfg->n_dns_upstream6];
	memset(sa, 0, sizeof(*sa));
	if (inet_pton(AF_INET6, addr, &sa->sin6_addr) != 1)
		return netdev_error(
			p,
			"dns-upstream: bad IPv6 address '%s' (want [ADDR]:PORT)",
			addr);
	sa->sin6_family = AF_INET6;
	sa->sin6_port = htons((uint16_t)port);
	cfg->n_dns_upstream6++;
	return 0;
}

/*
 * dns-upstream=ADDR[:PORT] or [ADDR6]:PORT, repeatable: the forwarder's
 * servers, in order within each family.
 */
static int netdev_parse_dns_upstream(struct netdev_parser *p, char *val)
{
	struct unet_stack_config *cfg = &p->nd.u.user.stack;
	struct sockaddr_in *sa;
	char *colon = strchr(val, ':');
	long port = 53;

	if (val[0] == '[' || (colon != NULL && strchr(colon + 1, ':')))
		return netdev_parse_dns_upstream6(p, val);
	if (cfg->n_dns_upstream >= UNET_DNS_UPSTREAM_MAX)
		return netdev_error(p, "dns-upstream: at most %d servers",
				    UNET_DNS_UPSTREAM_MAX);
	if (colon != NULL) {
		*colon = '\0';
		if (!netdev_parse_long(colon + 1, 1, 65535, &port))
			return netdev_error(p,
					    "dns-upstream: bad port '%s' (want 1..65535)",
					    colon + 1);
	}
	sa = &cfg->dns_upstream[cfg->n_dns_upstream];
	memset(sa, 0, sizeof(*sa));
	if (!netdev_parse_addr(val, &sa->sin_addr))
		return netdev_error(
			p,
			"dns-upstream: bad IPv4 address '%s' (want ADDR[:PORT] or [ADDR6]:PORT)",
			val);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	cfg->n_dns_upstream++;
	return 0;
}

/* An IPv6 address, no prefix length, no scope. */
static bool netdev_parse_addr6(const char *s, struct in6_addr *addr)
{
	return inet_pton(AF_INET6, s, addr) == 1;
}

/*
 * ipv6-net=PREFIX[/LEN] (QEMU 7.2's; LEN 64 when left out); LEN is checked
 * in netdev_finish_ip6().
 */
static int netdev_parse_ipv6_net(struct netdev_parser *p, char *val)
{
	struct unet_stack_config *cfg = &p->nd.u.user.stack;
	char *slash = strchr(val, '/');
	long v;

	if (slash != NULL)
		*slash = '\0';
	if (!netdev_parse_addr6(val, &cfg->ip6_prefix))
		return netdev_error(p, "ipv6-net: bad IPv6 prefix '%s'", val);
	cfg->ip6_prefix_len = 64;
	if (slash != NULL && !netdev_parse_long(slash + 1, 0, 128, &v))
		return netdev_error(
			p, "ipv6-net: bad prefix length '/%s' (want /64)",
			slash + 1);
	if (slash != NULL)
		cfg->ip6_prefix_len = (unsigned int)v;
	return 0;
}

/* The IPv6 keys, each one value; see netdev_finish_ip6() for the rest. */
static int netdev_set_ip6(struct netdev_parser *p, enum netdev_key key,
			  char *val)
{
	struct unet_stack_config *cfg = &p->nd.u.user.stack;
	const char *name = netdev_key_names[key];
	bool on;
	long v;

	switch (key) {
	case NETDEV_KEY_IPV4:
	case NETDEV_KEY_IPV6:
		if (!netdev_parse_bool(val, &on))
			return netdev_error(p, "%s: '%s' is not on or off",
					    name, val);
		if (key == NETDEV_KEY_IPV4)
			cfg->no_ipv4 = !on;
		else
			cfg->no_ipv6 = !on;
		return 0;
	case NETDEV_KEY_IPV6_NET:
		return netdev_parse_ipv6_net(p, val);
	case NETDEV_KEY_IPV6_PREFIX:
		if (!netdev_parse_addr6(val, &cfg->ip6_prefix))
			return netdev_error(p, "%s: bad IPv6 prefix '%s'", name,
					    val);
		return 0;
	case NETDEV_KEY_IPV6_PREFIXLEN:
		if (!netdev_parse_long(val, 0, 128, &v))
			return netdev_error(
				p, "%s: bad prefix length '%s' (want 64)", name,
				val);
		cfg->ip6_prefix_len = (unsigned int)v;
		return 0;
	case NETDEV_KEY_IPV6_HOST:
	case NETDEV_KEY_IPV6_DNS:
		if (!netdev_parse_addr6(val, key == NETDEV_KEY_IPV6_HOST ?
						     &cfg->ip6_host :
						     &cfg->ip6_dns))
			return netdev_error(p, "%s: bad IPv6 address '%s'",
					    name, val);
		return 0;
	case NETDEV_KEY_IPV6_DHCP:
		if (strcmp(val, "stateless") == 0)
			cfg->ip6_dhcp_stateful = false;
		else if (strcmp(val, "stateful") == 0)
			cfg->ip6_dhcp_stateful = true;
		else
			return netdev_error(
				p, "%s: '%s' is not stateless or stateful",
				name, val);
		return 0;
	default:
		break;
	}
	return netdev_error(p, "internal error: key %d", (int)key);
}

/* The address addr.*, local.* or remote.* key @key belongs to. */
static struct netdev_addr *netdev_key_addr(struct netdev_parser *p,
					   enum netdev_key key)
{
	struct netdev_link *l = &p->nd.u.link;

	if (key >= NETDEV_KEY_REMOTE_TYPE)
		return &l->remote;
	if (key >= NETDEV_KEY_LOCAL_TYPE)
		return &l->local;
	return &l->addr;
}

/*
 * A host as address keys take it: a name or an IPv4/IPv6 address, from
 * letters, digits, '.', '-', '_' and (for IPv6) ':'. What it resolves to is
 * found when the netdev is opened.
 */
static bool netdev_host_wellformed(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len >= NETDEV_HOST_MAX)
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr(".-_:", s[i]))
			return false;
	return true;
}

/* Whether @host is a dotted IPv4 multicast address (224.0.0.0/4). */
static bool netdev_is_mcast(const char *host)
{
	struct in_addr a;

	return netdev_parse_addr(host, &a) && IN_MULTICAST(ntohl(a.s_addr));
}

/*
 * "HOST:PORT" or "[IPV6]:PORT" (QEMU's host:port) into @addr; HOST may be
 * empty when @host_optional (any address), the port is @port_min..65535.
 */
static int netdev_parse_hostport(struct netdev_parser *p, enum netdev_key key,
				 const char *val, struct netdev_addr *addr,
				 bool host_optional, long port_min)
{
	const char *name = netdev_key_names[key];
	const char *host = val, *port, *end;
	size_t host_len;
	long v;

	if (val[0] == '[') {
		host = val + 1;
		end = strchr(host, ']');
		if (end == NULL || end[1] != ':')
			return netdev_error(p, "%s: expected [ADDRESS]:PORT in '%s'",
					    name, val);
		host_len = (size_t)(end - host);
		port = end + 2;
	} else {
		end = strrchr(val, ':');
		if (end == NULL)
			return netdev_error(p, "%s: expected HOST:PORT, got '%s'",
					    name, val);
		if (strchr(val, ':') != end)
			return netdev_error(p, "%s: an IPv6 address goes in brackets: '[ADDRESS]:PORT'",
					    name);
		host_len = (size_t)(end - val);
		port = end + 1;
	}
	if (host_len == 0 && !host_optional)
		return netdev_error(p, "%s: missing host in '%s'", name, val);
	if (host_len > 0 && !netdev_host_wellformed(host, host_len))
		return netdev_error(p, "%s: bad host '%.*s'", name,
				    (int)(host_len < NETDEV_KEY_ECHO_MAX ?
					  host_len : NETDEV_KEY_ECHO_MAX),
				    host);
	if (!netdev_parse_long(port, port_min, 65535, &v))
		return netdev_error(p, "%s: bad port '%s' (want %ld..65535)",
				    name, port, port_min);
	addr->type = NETDEV_ADDR_INET;
	memcpy(addr->host, host, host_len);
	addr->host[host_len] = '\0';
	addr->port = (unsigned int)v;
	return 0;
}

/* One of the five keys of addr.*, local.* or remote.*. */
static int netdev_set_addr_key(struct netdev_parser *p, enum netdev_key key,
			       const char *val)
{
	static const char *const types[] = {
		[NETDEV_ADDR_INET] = "inet",
		[NETDEV_ADDR_UNIX] = "unix",
		[NETDEV_ADDR_FD] = "fd",
	};
	struct netdev_addr *a = netdev_key_addr(p, key);
	const char *name = netdev_key_names[key];
	unsigned int field = (unsigned int)(key - NETDEV_KEY_ADDR_TYPE) % 5;
	size_t len = strlen(val);
	long v;
	int t;

	switch (field) {
	case 0:	/* .type */
		for (t = NETDEV_ADDR_INET; t < NETDEV_ADDR_TYPE_NUM; t++) {
			if (!strcmp(val, types[t])) {
				a->type = (enum netdev_addr_type)t;
				return 0;
			}
		}
		return netdev_error(p, "%s: '%s' is not inet, unix or fd", name,
				    val);
	case 1:	/* .host */
		if (!netdev_host_wellformed(val, len))
			return netdev_error(p, "%s: bad host '%s'", name, val);
		memcpy(a->host, val, len + 1);
		return 0;
	case 2:	/* .port */
		if (!netdev_parse_long(val, 0, 65535, &v))
			return netdev_error(p, "%s: bad port '%s' (want 0..65535)",
					    name, val);
		a->port = (unsigned int)v;
		return 0;
	case 3:	/* .path */
		if (len >= sizeof(a->path))
			return netdev_error(p, "%s: longer than %zu characters",
					    name, sizeof(a->path) - 1);
		memcpy(a->path, val, len + 1);
		return 0;
	default: /* .str: a descriptor */
		if (!netdev_parse_long(val, 0, INT_MAX, &v))
			return netdev_error(p, "%s: '%s' is not a file descriptor number",
					    name, val);
		a->fd = (int)v;
		return 0;
	}
}

/* mode=OCTAL, as QEMU's vde mode=. */
static int netdev_parse_mode(struct netdev_parser *p, const char *val)
{
	unsigned int mode = 0;
	size_t i;

	for (i = 0; val[i]; i++) {
		if (val[i] < '0' || val[i] > '7' || i >= 4)
			return netdev_error(p, "mode: '%s' is not an octal mode 0..0777",
					    val);
		mode = mode * 8 + (unsigned int)(val[i] - '0');
	}
	if (mode > 0777)
		return netdev_error(p, "mode: '%s' is not an octal mode 0..0777",
				    val);
	p->nd.u.vde.mode = mode;
	return 0;
}

/* The keys the new transports and hubs add; see netdev_set(). */
/* loss-burst=LEN/EVERY: LEN frames in a row lost at the start of every
 * EVERY (1..UINT32_MAX, LEN <= EVERY). */
static int netdev_parse_loss_burst(struct netdev_parser *p, const char *val,
				   struct unet_port_loss *loss)
{
	char len[16];
	const char *slash = strchr(val, '/');
	long n, every;

	if (slash == NULL || (size_t)(slash - val) >= sizeof(len))
		goto bad;
	memcpy(len, val, (size_t)(slash - val));
	len[slash - val] = '\0';
	if (!netdev_parse_long(len, 0, UINT32_MAX, &n) ||
	    !netdev_parse_long(slash + 1, 1, UINT32_MAX, &every) || n > every)
		goto bad;
	loss->burst_len = (uint32_t)n;
	loss->burst_every = (uint32_t)every;
	return 0;
bad:
	return netdev_error(p,
			    "loss-burst: '%s' is not LEN/EVERY with 0 <= LEN <= EVERY, 1 <= EVERY <= %u",
			    val, UINT32_MAX);
}

/*
 * An IPv4 or IPv6 literal: its family (AF_INET, AF_INET6), or 0 for a
 * name or nonsense.
 */
static int netdev_addr_family(const char *host)
{
	unsigned char buf[sizeof(struct in6_addr)];

	if (inet_pton(AF_INET, host, buf) == 1)
		return AF_INET;
	if (inet_pton(AF_INET6, host, buf) == 1)
		return AF_INET6;
	return 0;
}

/* Whether @host is an IPv4 or IPv6 multicast literal. */
static bool netdev_is_mcast_any(const char *host)
{
	struct in6_addr a6;

	if (netdev_is_mcast(host))
		return true;
	return inet_pton(AF_INET6, host, &a6) == 1 && IN6_IS_ADDR_MULTICAST(&a6);
}

/*
 * vxlan's "HOST[:PORT]": "[IPV6]", "[IPV6]:PORT", an IPv6 literal alone
 * (two colons or more), "HOST" or "HOST:PORT". The port is 1..65535, 0
 * when left out.
 */
static int netdev_parse_vxlan_endpoint(struct netdev_parser *p,
				       enum netdev_key key, const char *val,
				       struct netdev_addr *a)
{
	const char *name = netdev_key_names[key];
	const char *colon = strchr(val, ':');
	size_t len = strlen(val);

	if (val[0] == '[' && val[len - 1] == ']') {
		if (!netdev_host_wellformed(val + 1, len - 2))
			return netdev_error(p, "%s: bad host '%s'", name, val);
		a->type = NETDEV_ADDR_INET;
		memcpy(a->host, val + 1, len - 2);
		a->host[len - 2] = '\0';
		a->port = 0;
		return 0;
	}
	if (val[0] == '[' || (colon != NULL && strchr(colon + 1, ':') == NULL))
		return netdev_parse_hostport(p, key, val, a, false, 1);
	if (!netdev_host_wellformed(val, len))
		return netdev_error(p, "%s: bad host '%s'", name, val);
	a->type = NETDEV_ADDR_INET;
	memcpy(a->host, val, len + 1);
	a->port = 0;
	return 0;
}

/* The keys of a vxlan netdev. */
static int netdev_set_vxlan(struct netdev_parser *p, enum netdev_key key,
			    const char *val)
{
	struct netdev_vxlan *vx = &p->nd.u.vxlan;
	long v;

	switch (key) {
	case NETDEV_KEY_VNI:
		if (!netdev_parse_long(val, 0, 0xffffff, &v))
			return netdev_error(p, "vni: '%s' is not a number in 0..16777215",
					    val);
		vx->vni = (unsigned int)v;
		return 0;
	case NETDEV_KEY_PORT:
		if (!netdev_parse_long(val, 1, 65535, &v))
			return netdev_error(p, "port: '%s' is not a number in 1..65535",
					    val);
		vx->port = (unsigned int)v;
		return 0;
	case NETDEV_KEY_LOCAL:
		if (netdev_addr_family(val) == 0)
			return netdev_error(p, "local: '%s' is not an IPv4 or IPv6 address",
					    val);
		return netdev_set_str(p, key, vx->local, sizeof(vx->local),
				      val);
	case NETDEV_KEY_REMOTE:
		if (vx->n_remotes >= UNET_VXLAN_REMOTES_MAX)
			return netdev_error(p, "remote: more than %d remotes",
					    UNET_VXLAN_REMOTES_MAX);
		if (netdev_parse_vxlan_endpoint(p, key, val,
						&vx->remotes[vx->n_remotes]))
			return -EINVAL;
		if (netdev_is_mcast_any(vx->remotes[vx->n_remotes].host))
			return netdev_error(p, "remote: '%s' is a multicast address (use group=)",
					    vx->remotes[vx->n_remotes].host);
		vx->n_remotes++;
		return 0;
	case NETDEV_KEY_GROUP:
		if (netdev_parse_vxlan_endpoint(p, key, val, &vx->group))
			return -EINVAL;
		if (!netdev_is_mcast_any(vx->group.host))
			return netdev_error(p, "group: '%s' is not a multicast address (224.0.0.0/4 or ff00::/8)",
					    vx->group.host);
		return 0;
	case NETDEV_KEY_DEV:
		if (strlen(val) >= sizeof(vx->dev) || strchr(val, '/') ||
		    strchr(val, ':'))
			return netdev_error(p, "dev: '%s' is not an interface name",
					    val);
		strcpy(vx->dev, val);
		return 0;
	case NETDEV_KEY_LEARNING:
		if (!netdev_parse_bool(val, &vx->learning))
			return netdev_error(p, "learning: '%s' is not on or off",
					    val);
		return 0;
	case NETDEV_KEY_AGEING:
		if (!netdev_parse_long(val, 0, NETDEV_VXLAN_AGEING_MAX, &v))
			return netdev_error(p, "ageing: '%s' is not a number of seconds in 0..%d",
					    val, NETDEV_VXLAN_AGEING_MAX);
		vx->ageing = (unsigned int)v;
		return 0;
	default:
		break;
	}
	return netdev_error(p, "internal error: key %d", (int)key);
}

static int netdev_set_link(struct netdev_parser *p, enum netdev_key key,
			   const char *val)
{
	struct netdev *nd = &p->nd;
	struct netdev_link *l = &nd->u.link;
	long v;

	if (nd->type == NETDEV_VXLAN && key != NETDEV_KEY_HUB &&
	    key != NETDEV_KEY_LOSS && key != NETDEV_KEY_LOSS_BURST)
		return netdev_set_vxlan(p, key, val);

	switch (key) {
	case NETDEV_KEY_HUB:
	case NETDEV_KEY_HUBID:
		if (!netdev_parse_long(val, 0, INT_MAX, &v))
			return netdev_error(p, "%s: '%s' is not a number in 0..%d",
					    netdev_key_names[key], val, INT_MAX);
		nd->hub = (unsigned int)v;
		nd->hub_given = true;
		return 0;
	case NETDEV_KEY_LOSS:
		if (!netdev_parse_long(val, 0, UINT32_MAX, &v))
			return netdev_error(p, "loss: '%s' is not a number in 0..%u",
					    val, UINT32_MAX);
		nd->loss.one_in = (uint32_t)v;
		return 0;
	case NETDEV_KEY_LOSS_BURST:
		return netdev_parse_loss_burst(p, val, &nd->loss);
	case NETDEV_KEY_NETDEV:
		if (strlen(val) >= sizeof(nd->u.hubport.netdev) ||
		    !netdev_id_wellformed(val))
			return netdev_error(p, "netdev: '%s' is not a netdev id",
					    val);
		strcpy(nd->u.hubport.netdev, val);
		return 0;
	case NETDEV_KEY_LISTEN:
		return netdev_parse_hostport(p, key, val, &l->addr, true, 0);
	case NETDEV_KEY_CONNECT:
		return netdev_parse_hostport(p, key, val, &l->addr, false, 1);
	case NETDEV_KEY_UDP:
		return netdev_parse_hostport(p, key, val, &l->remote, false, 1);
	case NETDEV_KEY_MCAST:
		if (netdev_parse_hostport(p, key, val, &l->remote, false, 1))
			return -EINVAL;
		if (!netdev_is_mcast(l->remote.host))
			return netdev_error(p, "mcast: '%s' is not an IPv4 multicast address (224.0.0.0/4)",
					    l->remote.host);
		return 0;
	case NETDEV_KEY_LOCALADDR:
		if (strlen(val) >= sizeof(p->localaddr))
			return netdev_error(p, "localaddr: longer than %zu characters",
					    sizeof(p->localaddr) - 1);
		strcpy(p->localaddr, val);
		return 0;
	case NETDEV_KEY_RECONNECT:
		if (!netdev_parse_long(val, 0, NETDEV_RECONNECT_MAX, &v))
			return netdev_error(p, "reconnect: '%s' is not a number of seconds in 0..%d",
					    val, NETDEV_RECONNECT_MAX);
		l->reconnect = (unsigned int)v;
		return 0;
	case NETDEV_KEY_SERVER:
		if (!netdev_parse_bool(val, &l->server))
			return netdev_error(p, "server: '%s' is not on or off",
					    val);
		return 0;
	case NETDEV_KEY_SOCK:
		/* Fits: the scratch buffer is as large as sock=. */
		strcpy(nd->u.vde.sock, val);
		return 0;
	case NETDEV_KEY_PORT:
		if (!netdev_parse_long(val, 0, 65535, &v))
			return netdev_error(p, "port: '%s' is not a number in 0..65535",
					    val);
		nd->u.vde.port = (unsigned int)v;
		return 0;
	case NETDEV_KEY_GROUP:
		return netdev_set_str(p, key, nd->u.vde.group,
				      sizeof(nd->u.vde.group), val);
	case NETDEV_KEY_MODE:
		return netdev_parse_mode(p, val);
	default:
		if (key >= NETDEV_KEY_ADDR_TYPE && key <= NETDEV_KEY_REMOTE_STR)
			return netdev_set_addr_key(p, key, val);
		break;
	}
	return netdev_error(p, "internal error: key %d", (int)key);
}

/* Check and store one KEY=VALUE; @val is unescaped and non-empty. */
static int netdev_set(struct netdev_parser *p, enum netdev_key key, char *val)
{
	struct netdev *nd = &p->nd;
	struct in_addr *addr;
	bool on;
	long v;

	switch (key) {
	case NETDEV_KEY_ID:
		if (strlen(val) >= sizeof(nd->id))
			return netdev_error(p,
					    "id: '%s' is longer than %zu characters",
					    val, sizeof(nd->id) - 1);
		if (!netdev_id_wellformed(val))
			return netdev_error(p,
					    "id: '%s' must start with a letter and hold only letters, digits, '-', '.', '_'",
					    val);
		strcpy(nd->id, val);
		return 0;
	case NETDEV_KEY_NET:
		return netdev_parse_net(p, val);
	case NETDEV_KEY_HOST:
	case NETDEV_KEY_DNS:
	case NETDEV_KEY_DHCPSTART:
		addr = key == NETDEV_KEY_HOST ? &nd->u.user.stack.host :
		       key == NETDEV_KEY_DNS ? &nd->u.user.stack.dns :
		       &nd->u.user.stack.dhcp_start;
		if (!netdev_parse_addr(val, addr))
			return netdev_error(p, "%s: bad IPv4 address '%s'",
					    netdev_key_names[key], val);
		return 0;
	case NETDEV_KEY_IFNAME:
		return netdev_parse_ifname(p, val);
	case NETDEV_KEY_FD:
		if (!netdev_parse_long(val, 0, INT_MAX, &v))
			return netdev_error(p,
					    "fd: '%s' is not a number in 0..%d",
					    val, INT_MAX);
		nd->u.tap.fd = (int)v;
		return 0;
	case NETDEV_KEY_NETNS:
		if (val[0] == '\0')
			return netdev_error(p, "netns: give a PID or a path");
		if (strlen(val) >= sizeof(nd->u.tap.netns))
			return netdev_error(p, "netns: longer than %zu bytes",
					    sizeof(nd->u.tap.netns) - 1);
		strcpy(nd->u.tap.netns, val);
		return 0;
	case NETDEV_KEY_OFFLOAD:
		if (!netdev_parse_bool(val, &on))
			return netdev_error(p, "offload: '%s' is not on or off",
					    val);
		if (nd->type == NETDEV_TAP)
			nd->u.tap.no_offload = !on;
		else
			nd->u.link.offload = on;
		return 0;
	case NETDEV_KEY_FILE:
		/* Fits: the scratch buffer is as large as the file name. */
		strcpy(nd->u.dump.file, val);
		return 0;
	case NETDEV_KEY_LEN:
		if (!netdev_parse_long(val, 1, INT_MAX, &v))
			return netdev_error(p,
					    "len: '%s' is not a number in 1..%d",
					    val, INT_MAX);
		nd->u.dump.len = (size_t)v;
		return 0;
	case NETDEV_KEY_HOSTFWD:
		return netdev_parse_hostfwd(p, val);
	case NETDEV_KEY_RESTRICT:
	case NETDEV_KEY_LOOPBACK:
		if (!netdev_parse_bool(val, key == NETDEV_KEY_RESTRICT ?
					    &nd->u.user.proxy.restrict_guest :
					    &nd->u.user.proxy.loopback))
			return netdev_error(p, "%s: '%s' is not on or off",
					    netdev_key_names[key], val);
		/* restrict= also keeps the router and DNS out of DHCP. */
		nd->u.user.stack.restrict_guest =
			nd->u.user.proxy.restrict_guest;
		return 0;
	case NETDEV_KEY_RESTRICT_DNS:
		if (!netdev_parse_bool(val, &nd->u.user.stack.restrict_dns))
			return netdev_error(p, "%s: '%s' is not on or off",
					    netdev_key_names[key], val);
		return 0;
	case NETDEV_KEY_MEM_BUDGET:
		if (!netdev_parse_size(val, NETDEV_MEM_BUDGET_MIN,
				       NETDEV_MEM_BUDGET_MAX,
				       &nd->u.user.stack.mem_budget))
			return netdev_error(p, "mem-budget: '%s' is not a size from 4M to 1T (bytes, or with K, M, G or T)",
					    val);
		return 0;
	case NETDEV_KEY_OUTBOUND:
		if (!netdev_parse_addr(val, &nd->u.user.proxy.outbound) ||
		    nd->u.user.proxy.outbound.s_addr == INADDR_ANY)
			return netdev_error(
				p, "outbound: bad IPv4 address '%s'", val);
		return 0;
	case NETDEV_KEY_OUTBOUND6:
		if (!netdev_parse_addr6(val, &nd->u.user.proxy.outbound6) ||
		    IN6_IS_ADDR_UNSPECIFIED(&nd->u.user.proxy.outbound6) ||
		    IN6_IS_ADDR_MULTICAST(&nd->u.user.proxy.outbound6))
			return netdev_error(
				p, "outbound6: bad IPv6 address '%s'", val);
		return 0;
	case NETDEV_KEY_KEEPSRC:
		if (!netdev_parse_bool(val, &nd->u.user.proxy.keepsrc))
			return netdev_error(p, "%s: '%s' is not on or off",
					    netdev_key_names[key], val);
		return 0;
	case NETDEV_KEY_DNS_SERVER:
		if (!netdev_parse_bool(val, &on))
			return netdev_error(p, "%s: '%s' is not on or off",
					    netdev_key_names[key], val);
		nd->u.user.stack.no_dns = !on;
		return 0;
	case NETDEV_KEY_POLICY:
		return netdev_set_str(p, key, nd->u.user.policy_file,
				      sizeof(nd->u.user.policy_file), val);
	case NETDEV_KEY_AUDIT:
		return netdev_set_str(p, key, nd->u.user.audit_file,
				      sizeof(nd->u.user.audit_file), val);
	case NETDEV_KEY_EGRESS:
		if (strcmp(val, "allow") != 0 && strcmp(val, "deny") != 0)
			return netdev_error(
				p, "egress: '%s' is not allow or deny", val);
		nd->u.user.egress = strcmp(val, "allow") == 0 ?
					    UNET_POLICY_ALLOW :
					    UNET_POLICY_DENY;
		return 0;
	case NETDEV_KEY_DENY_TCP:
		if (strcmp(val, "rst") != 0 && strcmp(val, "icmp") != 0)
			return netdev_error(
				p, "deny-tcp: '%s' is not rst or icmp", val);
		nd->u.user.proxy.deny_tcp_icmp = strcmp(val, "icmp") == 0;
		return 0;
	case NETDEV_KEY_POLICY_TTL_MIN:
	case NETDEV_KEY_POLICY_TTL_MAX:
		if (!netdev_parse_long(val, 0, NETDEV_NAMES_TTL_MAX, &v))
			return netdev_error(
				p,
				"%s: '%s' is not a number of seconds in 0..%d",
				netdev_key_names[key], val,
				NETDEV_NAMES_TTL_MAX);
		if (key == NETDEV_KEY_POLICY_TTL_MIN)
			nd->u.user.proxy.names_ttl_min = (unsigned int)v;
		else
			nd->u.user.proxy.names_ttl_max = (unsigned int)v;
		return 0;
	case NETDEV_KEY_TCP_STALL_TIMEOUT:
		if (!netdev_parse_long(val, 0, NETDEV_STALL_MAX, &v))
			return netdev_error(p, "tcp-stall-timeout: '%s' is not a number of seconds in 0..%d",
					    val, NETDEV_STALL_MAX);
		nd->u.user.proxy.tcp_stall_timeout_ms =
			(unsigned int)v * 1000u;
		return 0;
	case NETDEV_KEY_HOSTNAME:
	case NETDEV_KEY_DOMAINNAME:
		if (!netdev_domain_wellformed(val))
			return netdev_error(p, "%s: '%s' is not a %s",
					    netdev_key_names[key], val,
					    key == NETDEV_KEY_HOSTNAME ?
						    "host name" : "domain name");
		return key == NETDEV_KEY_HOSTNAME ?
			       netdev_set_str(p, key, nd->u.user.stack.hostname,
					      sizeof(nd->u.user.stack.hostname),
					      val) :
			       netdev_set_str(p, key,
					      nd->u.user.stack.domainname,
					      sizeof(nd->u.user.stack.domainname),
					      val);
	case NETDEV_KEY_DNSSEARCH:
		return netdev_parse_dnssearch(p, val);
	case NETDEV_KEY_BOOTFILE:
		return netdev_set_str(p, key, nd->u.user.stack.bootfile,
				      sizeof(nd->u.user.stack.bootfile), val);
	case NETDEV_KEY_TFTP:
		return netdev_set_str(p, key, nd->u.user.stack.tftp_root,
				      sizeof(nd->u.user.stack.tftp_root), val);
	case NETDEV_KEY_TFTP_SERVER_NAME:
		return netdev_set_str(p, key, nd->u.user.stack.tftp_server_name,
				      sizeof(nd->u.user.stack.tftp_server_name),
				      val);
	case NETDEV_KEY_DNS_UPSTREAM:
		return netdev_parse_dns_upstream(p, val);
	case NETDEV_KEY_IPV4:
	case NETDEV_KEY_IPV6:
	case NETDEV_KEY_IPV6_NET:
	case NETDEV_KEY_IPV6_PREFIX:
	case NETDEV_KEY_IPV6_PREFIXLEN:
	case NETDEV_KEY_IPV6_HOST:
	case NETDEV_KEY_IPV6_DNS:
	case NETDEV_KEY_IPV6_DHCP:
		return netdev_set_ip6(p, key, val);
	case NETDEV_KEY_NUM:
		break;
	default:
		return netdev_set_link(p, key, val);
	}
	return netdev_error(p, "internal error: key %d", (int)key);
}

/*
 * One of host/dns/dhcpstart must be inside the network and be neither its
 * network nor its broadcast address. @derived says it was computed from
 * net=, so the message can tell the user which key to add.
 */
static int netdev_check_in_net(struct netdev_parser *p, enum netdev_key key,
			       struct in_addr addr, bool derived)
{
	const struct unet_stack_config *cfg = &p->nd.u.user.stack;
	uint32_t a = ntohl(addr.s_addr);
	uint32_t net = ntohl(cfg->net.s_addr);
	uint32_t mask = ntohl(cfg->mask.s_addr);
	char as[INET_ADDRSTRLEN], ns[INET_ADDRSTRLEN];
	const char *why = NULL;

	if ((a & mask) != net)
		why = "is outside";
	else if (a == net)
		why = "is the network address of";
	else if (a == (net | ~mask))
		why = "is the broadcast address of";
	if (!why)
		return 0;
	inet_ntop(AF_INET, &addr, as, sizeof(as));
	inet_ntop(AF_INET, &cfg->net, ns, sizeof(ns));
	return netdev_error(p, "%s: %s %s %s/%u%s%s%s", netdev_key_names[key],
			    as, why, ns, netdev_prefix_len(cfg->mask),
			    derived ? " (derived from net=; give " : "",
			    derived ? netdev_key_names[key] : "",
			    derived ? "= explicitly)" : "");
}

/*
 * Why an IPv6 guest address of a forward is no guest's: outside the IPv6
 * prefix (ipv6-net=, QEMU's fec0::/64 when not given: the stack resolves
 * it so), its subnet-router anycast address, or the gateway's ipv6-host or
 * ipv6-dns (prefix ::2 and ::3 when not given). NULL when it may be one.
 */
static const char *netdev_fwd_guest6_why(const struct unet_stack_config *cfg,
					 const struct in6_addr *a)
{
	static const uint8_t zero[16];
	struct in6_addr prefix = cfg->ip6_prefix, host = cfg->ip6_host;
	struct in6_addr dns = cfg->ip6_dns;

	if (memcmp(&prefix, zero, 16) == 0)
		prefix.s6_addr[0] = 0xfe, prefix.s6_addr[1] = 0xc0;
	if (memcmp(&host, zero, 16) == 0)
		host = prefix, host.s6_addr[15] = 2;
	if (memcmp(&dns, zero, 16) == 0)
		dns = prefix, dns.s6_addr[15] = 3;
	if (memcmp(a->s6_addr, prefix.s6_addr, 8) != 0)
		return "is outside the IPv6 prefix (ipv6-net=)";
	if (memcmp(a->s6_addr + 8, zero, 8) == 0)
		return "is the subnet-router anycast address of the IPv6 prefix";
	if (memcmp(a, &host, 16) == 0)
		return "is the gateway's IPv6 address (ipv6-host=)";
	if (memcmp(a, &dns, 16) == 0)
		return "is the IPv6 DNS address (ipv6-dns=)";
	return NULL;
}

/*
 * Whether two forwards' host sides are the same address and a port that is
 * not 0 (the kernel picks a new one for each 0).
 */
static bool netdev_fwd_same_host(const union unet_sockaddr *a,
				 const union unet_sockaddr *b)
{
	if (a->sa.sa_family != b->sa.sa_family)
		return false;
	if (a->sa.sa_family == AF_INET6)
		return a->in6.sin6_port != 0 &&
		       a->in6.sin6_port == b->in6.sin6_port &&
		       memcmp(&a->in6.sin6_addr, &b->in6.sin6_addr, 16) == 0;
	return a->in.sin_port != 0 && a->in.sin_port == b->in.sin_port &&
	       a->in.sin_addr.s_addr == b->in.sin_addr.s_addr;
}

/**
 * netdev_sa_str() - a socket address as a message shows it
 * @sa: an AF_INET or AF_INET6 address and port
 * @buf: where the text goes
 * @len: its size (INET6_ADDRSTRLEN + 8 holds either)
 *
 * Return: @buf, "1.2.3.4:80" or "[::1]:80".
 */
const char *netdev_sa_str(const union unet_sockaddr *sa, char *buf, size_t len)
{
	return unet__addr_str(&sa->sa, sizeof(*sa), buf, len);
}

/* Why an IPv4 guest address of a forward is no guest's, or NULL. */
static const char *netdev_fwd_guest4_why(const struct unet_stack_config *cfg,
					 struct in_addr ga)
{
	uint32_t net = ntohl(cfg->net.s_addr), mask = ntohl(cfg->mask.s_addr);
	uint32_t a = ntohl(ga.s_addr);

	if ((a & mask) != net)
		return "is outside";
	if (a == net)
		return "is the network address of";
	if (a == (net | ~mask))
		return "is the broadcast address of";
	if (ga.s_addr == cfg->host.s_addr)
		return "is the gateway (host=) of";
	if (ga.s_addr == cfg->dns.s_addr)
		return "is the DNS address (dns=) of";
	return NULL;
}

/*
 * Fill in the default guest addresses, then check each forward's guest
 * address against the network (or the IPv6 prefix) and the forwards
 * against each other: one host port of a protocol (on one address) goes to
 * one place.
 */
static int netdev_finish_fwds(struct netdev_parser *p)
{
	struct netdev_user *u = &p->nd.u.user;
	const struct unet_stack_config *cfg = &u->stack;
	char as[INET6_ADDRSTRLEN + 8], ns[INET_ADDRSTRLEN];
	int i, j;

	for (i = 0; i < u->n_fwds; i++) {
		struct unet_fwd_ex *f = &u->fwds[i];
		const char *why;

		if (u->fwd_guest_default[i])
			f->guest.in.sin_addr = cfg->dhcp_start;
		if (f->guest.sa.sa_family == AF_INET6) {
			why = netdev_fwd_guest6_why(cfg,
						    &f->guest.in6.sin6_addr);
			inet_ntop(AF_INET6, &f->guest.in6.sin6_addr, as,
				  sizeof(as));
			if (why)
				return netdev_error(
					p, "hostfwd: guest address %s %s", as,
					why);
		} else {
			why = netdev_fwd_guest4_why(cfg, f->guest.in.sin_addr);
			inet_ntop(AF_INET, &f->guest.in.sin_addr, as,
				  sizeof(as));
			inet_ntop(AF_INET, &cfg->net, ns, sizeof(ns));
			if (why)
				return netdev_error(
					p, "hostfwd: guest address %s %s %s/%u",
					as, why, ns,
					netdev_prefix_len(cfg->mask));
		}
		for (j = 0; j < i; j++) {
			const struct unet_fwd_ex *g = &u->fwds[j];

			if (g->proto != f->proto ||
			    !netdev_fwd_same_host(&g->host, &f->host))
				continue;
			return netdev_error(
				p, "hostfwd: %s %s is forwarded twice",
				f->proto == IPPROTO_UDP ? "udp" : "tcp",
				netdev_sa_str(&f->host, as, sizeof(as)));
		}
	}
	return 0;
}

/* @a lies in the /64 @prefix and is not its all-zero (anycast) address. */
static bool netdev_in_prefix6(const struct in6_addr *prefix,
			      const struct in6_addr *a)
{
	static const uint8_t zero[8];

	return memcmp(a->s6_addr, prefix->s6_addr, 8) == 0 &&
	       memcmp(a->s6_addr + 8, zero, 8) != 0;
}

/*
 * The IPv6 network: ipv6-net= or QEMU's older ipv6-prefix=/ipv6-prefixlen=
 * (not both), a /64 (SLAAC's only length) that is an ordinary unicast
 * prefix with no bits past /64, and ipv6-host=/ipv6-dns= inside it and
 * apart. The defaults (fec0::/64, ::2, ::3) are filled in here, as the
 * stack would, so that a derived address can be checked and named.
 */
static int netdev_finish_ip6(struct netdev_parser *p)
{
	static const struct in6_addr fec0 = { .s6_addr = { 0xfe, 0xc0 } };
	static const uint8_t zero[16];
	struct unet_stack_config *cfg = &p->nd.u.user.stack;
	bool host_given = netdev_seen(p, NETDEV_KEY_IPV6_HOST);
	bool dns_given = netdev_seen(p, NETDEV_KEY_IPV6_DNS);
	const uint8_t *b = cfg->ip6_prefix.s6_addr;
	char as[INET6_ADDRSTRLEN];

	if (netdev_seen(p, NETDEV_KEY_IPV6_NET) &&
	    (netdev_seen(p, NETDEV_KEY_IPV6_PREFIX) ||
	     netdev_seen(p, NETDEV_KEY_IPV6_PREFIXLEN)))
		return netdev_error(
			p,
			"ipv6-net: not with ipv6-prefix= or ipv6-prefixlen= (the same setting)");
	if (cfg->no_ipv4 && cfg->no_ipv6)
		return netdev_error(p,
				    "ipv4=off and ipv6=off: no network left");
	if (!netdev_seen(p, NETDEV_KEY_IPV6_NET) &&
	    !netdev_seen(p, NETDEV_KEY_IPV6_PREFIX))
		cfg->ip6_prefix = fec0;
	if (cfg->ip6_prefix_len == 0 && !netdev_seen(p, NETDEV_KEY_IPV6_NET) &&
	    !netdev_seen(p, NETDEV_KEY_IPV6_PREFIXLEN))
		cfg->ip6_prefix_len = 64;
	if (cfg->ip6_prefix_len != 64)
		return netdev_error(
			p,
			"%s: prefix length %u is not supported (want 64: SLAAC needs a /64)",
			netdev_seen(p, NETDEV_KEY_IPV6_NET) ? "ipv6-net" :
							      "ipv6-prefixlen",
			cfg->ip6_prefix_len);
	inet_ntop(AF_INET6, &cfg->ip6_prefix, as, sizeof(as));
	if (memcmp(b + 8, zero, 8) != 0)
		return netdev_error(p, "%s: bits set past /64 in %s",
				    netdev_seen(p, NETDEV_KEY_IPV6_NET) ?
					    "ipv6-net" :
					    "ipv6-prefix",
				    as);
	if (b[0] == 0xff || (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) ||
	    memcmp(b, zero, 8) == 0)
		return netdev_error(
			p,
			"%s: %s/64 is not a unicast prefix (multicast, link-local or ::)",
			netdev_seen(p, NETDEV_KEY_IPV6_NET) ? "ipv6-net" :
							      "ipv6-prefix",
			as);
	if (!host_given) {
		cfg->ip6_host = cfg->ip6_prefix;
		cfg->ip6_host.s6_addr[15] = 2;
	}
	if (!dns_given) {
		cfg->ip6_dns = cfg->ip6_prefix;
		cfg->ip6_dns.s6_addr[15] = 3;
	}
	if (!netdev_in_prefix6(&cfg->ip6_prefix, &cfg->ip6_host)) {
		inet_ntop(AF_INET6, &cfg->ip6_host, as, sizeof(as));
		return netdev_error(
			p, "ipv6-host: %s is not inside the /64 prefix%s", as,
			host_given ? "" : " (derived)");
	}
	if (!netdev_in_prefix6(&cfg->ip6_prefix, &cfg->ip6_dns)) {
		inet_ntop(AF_INET6, &cfg->ip6_dns, as, sizeof(as));
		return netdev_error(
			p, "ipv6-dns: %s is not inside the /64 prefix%s", as,
			dns_given ? "" : " (derived)");
	}
	if (memcmp(&cfg->ip6_host, &cfg->ip6_dns, sizeof(cfg->ip6_dns)) == 0) {
		inet_ntop(AF_INET6, &cfg->ip6_dns, as, sizeof(as));
		return netdev_error(p, "%s: %s is the same address as %s",
				    dns_given ? "ipv6-dns" : "ipv6-host", as,
				    dns_given ? "ipv6-host" : "ipv6-dns");
	}
	return 0;
}

/* Derive the addresses net= implies and check the whole network. */
static int netdev_finish_user(struct netdev_parser *p)
{
	struct unet_stack_config *cfg = &p->nd.u.user.stack;
	bool net_given = netdev_seen(p, NETDEV_KEY_NET);
	bool host_derived = net_given && !netdev_seen(p, NETDEV_KEY_HOST);
	bool dns_derived = net_given && !netdev_seen(p, NETDEV_KEY_DNS);
	bool dhcp_derived = net_given && !netdev_seen(p, NETDEV_KEY_DHCPSTART);
	uint32_t net = ntohl(cfg->net.s_addr);
	char hs[INET_ADDRSTRLEN];
	int ret;

	if (host_derived)
		cfg->host.s_addr = htonl(net + 2);
	if (dns_derived)
		cfg->dns.s_addr = htonl(net + 3);
	if (dhcp_derived)
		cfg->dhcp_start.s_addr = htonl(net + 15);

	ret = netdev_check_in_net(p, NETDEV_KEY_HOST, cfg->host, host_derived);
	if (!ret)
		ret = netdev_check_in_net(p, NETDEV_KEY_DNS, cfg->dns,
					  dns_derived);
	if (!ret)
		ret = netdev_check_in_net(p, NETDEV_KEY_DHCPSTART,
					  cfg->dhcp_start, dhcp_derived);
	if (ret)
		return ret;
	if (cfg->host.s_addr == cfg->dns.s_addr) {
		/* Blame the one the user wrote; dns when both were. */
		bool dns_given = netdev_seen(p, NETDEV_KEY_DNS);

		inet_ntop(AF_INET, &cfg->host, hs, sizeof(hs));
		return netdev_error(p, "%s: %s is the same address as %s",
				    dns_given ? "dns" : "host", hs,
				    dns_given ? "host" : "dns");
	}
	if (p->nd.u.user.proxy.names_ttl_min > p->nd.u.user.proxy.names_ttl_max)
		return netdev_error(
			p,
			"policy-ttl-min (%u s) is above policy-ttl-max (%u s)",
			p->nd.u.user.proxy.names_ttl_min,
			p->nd.u.user.proxy.names_ttl_max);
	ret = netdev_finish_ip6(p);
	if (ret)
		return ret;
	return netdev_finish_fwds(p);
}

/*
 * The keys of one address (@first is its .type key) against its type:
 * what the type needs is there, and nothing that belongs to another type.
 * Port 0 is allowed only when @listening; the port may be left out when
 * !@need_port (a multicast interface's address).
 */
static int netdev_finish_addr(struct netdev_parser *p, enum netdev_key first,
			      const struct netdev_addr *a, bool listening,
			      bool need_port)
{
	enum netdev_key host = first + 1, port = first + 2, path = first + 3,
			str = first + 4;
	bool allowed[5] = { true };
	int k;

	switch (a->type) {
	case NETDEV_ADDR_INET:
		allowed[host - first] = allowed[port - first] = true;
		if (!netdev_seen(p, host))
			return netdev_error(p, "%s=inet needs %s=",
					    netdev_key_names[first],
					    netdev_key_names[host]);
		if (!netdev_seen(p, port) && need_port)
			return netdev_error(p, "%s=inet needs %s=",
					    netdev_key_names[first],
					    netdev_key_names[port]);
		if (a->port == 0 && !listening)
			return netdev_error(p, "%s: port 0 only when listening (want 1..65535)",
					    netdev_key_names[port]);
		break;
	case NETDEV_ADDR_UNIX:
		allowed[path - first] = true;
		if (!netdev_seen(p, path))
			return netdev_error(p, "%s=unix needs %s=",
					    netdev_key_names[first],
					    netdev_key_names[path]);
		break;
	case NETDEV_ADDR_FD:
		allowed[str - first] = true;
		if (!netdev_seen(p, str))
			return netdev_error(p, "%s=fd needs %s=",
					    netdev_key_names[first],
					    netdev_key_names[str]);
		break;
	default:
		return netdev_error(p, "missing %s=inet|unix|fd",
				    netdev_key_names[first]);
	}
	for (k = first; k <= (int)str; k++)
		if (netdev_seen(p, (enum netdev_key)k) && !allowed[k - first])
			return netdev_error(p, "%s= does not go with %s=%s",
					    netdev_key_names[k],
					    netdev_key_names[first],
					    a->type == NETDEV_ADDR_INET ? "inet" :
					    a->type == NETDEV_ADDR_UNIX ? "unix" :
					    "fd");
	return 0;
}

/* Any key of the address whose .type key is @first. */
static bool netdev_seen_addr(const struct netdev_parser *p,
			     enum netdev_key first)
{
	int k;

	for (k = first; k < (int)first + 5; k++)
		if (netdev_seen(p, (enum netdev_key)k))
			return true;
	return false;
}

/* socket: exactly one of listen=, connect=, mcast=, udp=. */
static int netdev_finish_socket(struct netdev_parser *p)
{
	struct netdev_link *l = &p->nd.u.link;
	static const enum netdev_key modes[] = {
		NETDEV_KEY_LISTEN, NETDEV_KEY_CONNECT, NETDEV_KEY_MCAST,
		NETDEV_KEY_UDP,
	};
	enum netdev_key mode = NETDEV_KEY_NUM;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(modes); i++) {
		if (!netdev_seen(p, modes[i]))
			continue;
		if (mode != NETDEV_KEY_NUM)
			return netdev_error(p, "%s= and %s= exclude each other",
					    netdev_key_names[mode],
					    netdev_key_names[modes[i]]);
		mode = modes[i];
	}
	if (mode == NETDEV_KEY_NUM)
		return netdev_error(p, "give one of listen=, connect=, mcast=, udp= (socket,fd= is not supported)");
	if (netdev_seen(p, NETDEV_KEY_RECONNECT) && mode != NETDEV_KEY_CONNECT)
		return netdev_error(p, "reconnect= goes with connect=");
	if (netdev_seen(p, NETDEV_KEY_OFFLOAD) && mode != NETDEV_KEY_CONNECT &&
	    mode != NETDEV_KEY_LISTEN)
		return netdev_error(p,
				    "offload= goes with listen= or connect=");
	if (netdev_seen(p, NETDEV_KEY_LOCALADDR) &&
	    (mode == NETDEV_KEY_LISTEN || mode == NETDEV_KEY_CONNECT))
		return netdev_error(p, "localaddr= goes with mcast= or udp=");
	switch (mode) {
	case NETDEV_KEY_LISTEN:
		l->server = true;
		/* fall through */
	case NETDEV_KEY_CONNECT:
		l->stream = true;
		return 0;
	case NETDEV_KEY_MCAST:
		if (!netdev_seen(p, NETDEV_KEY_LOCALADDR))
			return 0;
		if (!netdev_parse_addr(p->localaddr, &(struct in_addr){ 0 }))
			return netdev_error(p, "localaddr: '%s' is not an IPv4 address (with mcast=, an interface's address, no port)",
					    p->localaddr);
		l->local.type = NETDEV_ADDR_INET;
		strcpy(l->local.host, p->localaddr);
		return 0;
	default:	/* udp */
		if (!netdev_seen(p, NETDEV_KEY_LOCALADDR))
			return netdev_error(p, "udp= needs localaddr=HOST:PORT");
		return netdev_parse_hostport(p, NETDEV_KEY_LOCALADDR,
					     p->localaddr, &l->local, true, 0);
	}
}

/* stream: addr.type= and its keys; reconnect= only for a client. */
static int netdev_finish_stream(struct netdev_parser *p)
{
	struct netdev_link *l = &p->nd.u.link;
	int ret;

	l->stream = true;
	ret = netdev_finish_addr(p, NETDEV_KEY_ADDR_TYPE, &l->addr, l->server,
				 true);
	if (ret)
		return ret;
	if (netdev_seen(p, NETDEV_KEY_RECONNECT) &&
	    (l->server || l->addr.type == NETDEV_ADDR_FD))
		return netdev_error(p, "reconnect= goes with server=off and addr.type=inet|unix");
	return 0;
}

/* dgram: a remote; a local one too unless the remote is a group. */
static int netdev_finish_dgram(struct netdev_parser *p)
{
	struct netdev_link *l = &p->nd.u.link;
	bool mcast;
	int ret;

	if (!netdev_seen_addr(p, NETDEV_KEY_REMOTE_TYPE))
		return netdev_error(p, "missing remote.type=inet|unix (local.type=fd alone is not supported)");
	ret = netdev_finish_addr(p, NETDEV_KEY_REMOTE_TYPE, &l->remote, false,
				 true);
	if (ret)
		return ret;
	if (l->remote.type == NETDEV_ADDR_FD)
		return netdev_error(p, "remote.type=fd is not supported");
	mcast = l->remote.type == NETDEV_ADDR_INET &&
		netdev_is_mcast(l->remote.host);
	if (netdev_seen_addr(p, NETDEV_KEY_LOCAL_TYPE)) {
		ret = netdev_finish_addr(p, NETDEV_KEY_LOCAL_TYPE, &l->local,
					 true, !mcast);
		if (ret)
			return ret;
		if (l->local.type == NETDEV_ADDR_FD)
			return netdev_error(p, "local.type=fd is not supported");
	}
	if (mcast) {
		if (l->local.type == NETDEV_ADDR_NONE)
			return 0;
		if (l->local.type != NETDEV_ADDR_INET ||
		    !netdev_parse_addr(l->local.host, &(struct in_addr){ 0 }))
			return netdev_error(p, "local.host: with a multicast remote, the interface's IPv4 address");
		return 0;
	}
	if (l->local.type == NETDEV_ADDR_NONE)
		return netdev_error(p, "a unicast remote needs local.type=");
	if (l->local.type != l->remote.type)
		return netdev_error(p, "local.type= and remote.type= differ");
	return 0;
}

/* vxlan: vni=, a remote or a group, and addresses of one family. */
static int netdev_finish_vxlan(struct netdev_parser *p)
{
	const struct netdev_vxlan *vx = &p->nd.u.vxlan;
	int family = 0, f, i;

	if (!netdev_seen(p, NETDEV_KEY_VNI))
		return netdev_error(p, "missing vni=N");
	if (vx->n_remotes == 0 && vx->group.type == NETDEV_ADDR_NONE)
		return netdev_error(p, "give remote=HOST[:PORT] (repeatable), group=ADDR, or both");
	if (vx->local[0] != '\0')
		family = netdev_addr_family(vx->local);
	if (vx->group.type != NETDEV_ADDR_NONE) {
		f = netdev_addr_family(vx->group.host);
		if (family != 0 && f != family)
			return netdev_error(p, "group: '%s' is not of local='s family",
					    vx->group.host);
		family = f;
	}
	for (i = 0; i < vx->n_remotes; i++) {
		f = netdev_addr_family(vx->remotes[i].host);
		if (f == 0)
			continue;	/* a name: resolved in the family */
		if (family != 0 && f != family)
			return netdev_error(p, "remote: '%s' is not of the same family as the other addresses (one underlay: IPv4 or IPv6)",
					    vx->remotes[i].host);
		family = f;
	}
	if (netdev_seen(p, NETDEV_KEY_AGEING) && !vx->learning)
		return netdev_error(p, "ageing= goes with learning=on");
	return 0;
}

/* hubport: hubid= is required, netdev= may not name the hubport itself. */
static int netdev_finish_hubport(struct netdev_parser *p)
{
	if (!netdev_seen(p, NETDEV_KEY_HUBID))
		return netdev_error(p, "missing hubid=N");
	if (!strcmp(p->nd.u.hubport.netdev, p->nd.id))
		return netdev_error(p, "netdev: '%s' is the hubport itself",
				    p->nd.id);
	return 0;
}

/* The checks that need the whole option: required keys, exclusions. */
static int netdev_finish(struct netdev_parser *p)
{
	if (!netdev_seen(p, NETDEV_KEY_ID))
		return netdev_error(p, "missing id=ID");
	switch (p->nd.type) {
	case NETDEV_USER:
		return netdev_finish_user(p);
	case NETDEV_TAP:
		if (netdev_seen(p, NETDEV_KEY_IFNAME) &&
		    netdev_seen(p, NETDEV_KEY_FD))
			return netdev_error(p,
					    "ifname= and fd= exclude each other");
		if (netdev_seen(p, NETDEV_KEY_NETNS) &&
		    netdev_seen(p, NETDEV_KEY_FD))
			return netdev_error(p, "netns= excludes fd=");
		return 0;
	case NETDEV_DUMP:
		if (!netdev_seen(p, NETDEV_KEY_FILE))
			return netdev_error(p, "missing file=PATH");
		return 0;
	case NETDEV_SOCKET:
		return netdev_finish_socket(p);
	case NETDEV_STREAM:
		return netdev_finish_stream(p);
	case NETDEV_DGRAM:
		return netdev_finish_dgram(p);
	case NETDEV_VDE:
		return 0;
	case NETDEV_VXLAN:
		return netdev_finish_vxlan(p);
	case NETDEV_HUBPORT:
		return netdev_finish_hubport(p);
	case NETDEV_TYPE_NUM:
		break;
	}
	return netdev_error(p, "internal error: type %d", (int)p->nd.type);
}

static void netdev_defaults(struct netdev *nd, enum netdev_type type)
{
	memset(nd, 0, sizeof(*nd));
	nd->type = type;
	switch (type) {
	case NETDEV_USER:
		unet_stack_config_init(&nd->u.user.stack);
		unet_proxy_config_init(&nd->u.user.proxy);
		nd->u.user.egress = -1;
		break;
	case NETDEV_TAP:
		nd->u.tap.fd = -1;
		break;
	case NETDEV_DUMP:
		nd->u.dump.len = NETDEV_DUMP_LEN_DEFAULT;
		break;
	case NETDEV_SOCKET:
	case NETDEV_STREAM:
	case NETDEV_DGRAM:
		nd->u.link.addr.fd = -1;
		nd->u.link.local.fd = -1;
		nd->u.link.remote.fd = -1;
		break;
	case NETDEV_VDE:
		nd->u.vde.mode = NETDEV_VDE_MODE_DEFAULT;
		break;
	case NETDEV_VXLAN:
		nd->u.vxlan.port = UNET_VXLAN_PORT;
		nd->u.vxlan.learning = true;
		nd->u.vxlan.ageing = UNET_VXLAN_AGEING_DEFAULT;
		for (int i = 0; i < UNET_VXLAN_REMOTES_MAX; i++)
			nd->u.vxlan.remotes[i].fd = -1;
		nd->u.vxlan.group.fd = -1;
		break;
	case NETDEV_HUBPORT:
	case NETDEV_TYPE_NUM:
		break;
	}
}

/**
 * netdev_parse() - parse one -netdev option
 * @arg: the option's text, e.g. "user,id=n0,net=192.168.76.0/24"
 * @nd: receives the result; left untouched when the parse fails
 * @err: receives a one-line message on failure (no trailing newline),
 *       cut to @errlen, and "" on success; may be NULL when @errlen is 0
 * @errlen: size of @err
 *
 * QEMU's QemuOpts syntax: the type, then comma separated KEY=VALUE pairs,
 * each key at most once; ",," in a value is a literal comma. id= is required
 * (QEMU's id rule, at most 31 characters). The keys, by type:
 *
 * - user: net=ADDR[/PREFIX|/MASK] (default 10.0.2.0/24; /24 without a mask;
 *   prefix /4../30; no host bits set), host=ADDR (default net + 2),
 *   dns=ADDR (default net + 3), dhcpstart=ADDR (default net + 15). The
 *   three must lie inside net, be neither its network nor its broadcast
 *   address, and host must differ from dns.
 *   hostfwd=[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport (QEMU's;
 *   any number up to NETDEV_FWD_MAX; protocol default tcp, host address
 *   default any, host port 0..65535 (0: the kernel chooses), guest address
 *   default dhcpstart, inside net and not host= or dns=, guest port
 *   1..65535; one host address and port per protocol), restrict=on|off
 *   (default off), restrict-dns=on|off (default off: with restrict=on the
 *   DNS forwarder refuses queries; on keeps it), loopback=on|off (default
 *   on), mem-budget=SIZE (bytes, or with K, M, G or T; 4M..1T; default
 *   256M), tcp-stall-timeout=SECONDS (0..NETDEV_STALL_MAX, 0 never;
 *   default 120), outbound=ADDR (an IPv4 address, not 0.0.0.0),
 *   outbound6=ADDR6 (an IPv6 unicast address, not ::), keepsrc=on|off
 *   (default off), dns-server=on|off (default on), policy=FILE (the
 *   egress policy, read at start), egress=allow|deny (its default
 *   verdict; default the file's, or allow), audit=FILE (the egress
 *   audit log, appended to), deny-tcp=rst|icmp (what a denied TCP
 *   connection gets; default rst), policy-ttl-min=SECONDS and
 *   policy-ttl-max=SECONDS (0..NETDEV_NAMES_TTL_MAX, how long a resolved
 *   name stays known for an address at least and at most; default 30
 *   and 3600, min <= max); booleans also take
 *   yes/no, true/false, y/n as QEMU's do.
 * - tap: ifname=NAME (1..15 characters, no '/', ':' or whitespace, not "."
 *   or ".."), fd=N (0..INT_MAX); not both. Neither lets the kernel choose.
 *   netns=PID|PATH (not with fd=): made inside that network namespace.
 *   offload=on|off (default on): a vnet header and the kernel's offloads.
 * - dump: file=PATH (required), len=N (1..INT_MAX, default 65536).
 * - socket: exactly one of listen=[HOST]:PORT (a stream; empty host: any
 *   address), connect=HOST:PORT (a stream; reconnect=SECONDS,
 *   0..NETDEV_RECONNECT_MAX, default 0), mcast=GROUP:PORT (an IPv4
 *   multicast group; localaddr=ADDR, an IPv4 address, optional) or
 *   udp=HOST:PORT (localaddr=[HOST]:PORT required). An IPv6 host goes in
 *   brackets. Ports 1..65535 (0 allowed for listen=).
 * - stream: server=on|off (default off), addr.type=inet with addr.host= and
 *   addr.port= (0 only with server=on), addr.type=unix with addr.path=
 *   (1..107 bytes), or addr.type=fd with addr.str=N; reconnect=SECONDS
 *   with server=off and inet or unix.
 * - dgram: remote.type=inet|unix with remote.host=/remote.port= or
 *   remote.path=; an IPv4 multicast remote.host may have a local.type=inet
 *   whose local.host= is an interface's IPv4 address, any other remote
 *   needs a local.* address of the same type.
 * - vde: sock=PATH|URL (default: libvdeplug's), port=N (0..65535, default
 *   0), group=NAME, mode=OCTAL (0..0777, default 0700).
 * - vxlan: vni=N (required, 0..16777215), remote=HOST[:PORT] (repeatable,
 *   at most UNET_VXLAN_REMOTES_MAX; an IPv6 address with a port in
 *   brackets; not multicast) and/or group=ADDR[:PORT] (an IPv4 or IPv6
 *   multicast address), at least one of the two; local=ADDR (an IPv4 or
 *   IPv6 address), port=N (1..65535, default 4789), dev=IFNAME,
 *   learning=on|off (default on), ageing=SECONDS (0..1000000, default 300,
 *   only with learning on). The literal addresses must be of one family.
 * - hubport: hubid=N (required, 0..INT_MAX), netdev=ID (optional, not the
 *   hubport's own id).
 * - every type but hubport: hub=N (0..INT_MAX, default 0), loss=N
 *   (0..UINT32_MAX, default 0) and loss-burst=LEN/EVERY (default none).
 *
 * Return: 0, or -EINVAL on any error, including a NULL @arg or @nd.
 */
int netdev_parse(const char *arg, struct netdev *nd, char *err, size_t errlen)
{
	struct netdev_parser p = {
		.arg = arg ? arg : "(null)",
		.err = err,
		.errlen = errlen,
	};
	char val[NETDEV_FILE_MAX];
	char known[96];
	const char *s, *type;
	size_t len;
	int t, ret;

	if (err && errlen)
		err[0] = '\0';
	if (!arg)
		return netdev_error(&p, "no option given");
	if (!nd)
		return netdev_error(&p, "no result to fill");

	s = arg;
	type = s;
	while (*s && *s != ',')
		s++;
	len = (size_t)(s - type);
	if (!len)
		return netdev_error(&p, "missing type (known: %s)",
				    netdev_known_types(known, sizeof(known)));
	if (memchr(type, '=', len))
		return netdev_error(&p,
				    "the first element '%.*s' must be the type (known: %s)",
				    (int)(len > NETDEV_KEY_ECHO_MAX ?
					  NETDEV_KEY_ECHO_MAX : len),
				    type,
				    netdev_known_types(known, sizeof(known)));
	t = netdev_lookup_type(type, len);
	if (t < 0)
		return netdev_error(&p, "unknown type '%.*s' (known: %s)",
				    (int)(len > NETDEV_KEY_ECHO_MAX ?
					  NETDEV_KEY_ECHO_MAX : len),
				    type,
				    netdev_known_types(known, sizeof(known)));
	netdev_defaults(&p.nd, (enum netdev_type)t);

	while (*s == ',') {
		const char *key = ++s;
		bool overflow = false;
		size_t n = 0;
		int k;

		while (*s && *s != '=' && *s != ',')
			s++;
		len = (size_t)(s - key);
		if (!len && *s == '=')
			return netdev_error(&p, "empty key before '='");
		if (!len && !*s)
			return netdev_error(&p, "empty option after a trailing ','");
		if (!len)
			return netdev_error(&p, "empty option between ',' and ','");
		k = netdev_lookup_key(p.nd.type, key, len);
		if (k < 0)
			return netdev_error(&p, "unknown key '%.*s' for type %s",
					    (int)(len > NETDEV_KEY_ECHO_MAX ?
						  NETDEV_KEY_ECHO_MAX : len),
					    key, netdev_type_names[p.nd.type]);
		if (netdev_seen(&p, (enum netdev_key)k) &&
		    !netdev_key_repeats[k])
			return netdev_error(&p, "repeated key '%s'",
					    netdev_key_names[k]);
		netdev_keyset_add(&p.seen, k);
		if (*s != '=')
			return netdev_error(&p, "%s: missing '=VALUE'",
					    netdev_key_names[k]);
		s++;

		while (*s) {
			char c = *s;

			if (c == ',') {
				if (s[1] != ',')
					break;
				s++;
			}
			s++;
			if (n < sizeof(val) - 1)
				val[n++] = c;
			else
				overflow = true;
		}
		val[n] = '\0';
		if (overflow)
			return netdev_error(&p, "%s: value longer than %zu bytes",
					    netdev_key_names[k],
					    sizeof(val) - 1);
		if (!n)
			return netdev_error(&p, "%s: empty value",
					    netdev_key_names[k]);
		ret = netdev_set(&p, (enum netdev_key)k, val);
		if (ret)
			return ret;
	}

	ret = netdev_finish(&p);
	if (ret)
		return ret;
	*nd = p.nd;
	return 0;
}

/**
 * netdev_type_name() - the name of a netdev type, as written on the command line
 * @type: the type
 *
 * Return: "user", "tap", "dump", "socket", "stream", "dgram", "vde",
 * "vxlan" or "hubport"; NULL for a value outside the enum.
 */
const char *netdev_type_name(enum netdev_type type)
{
	if ((unsigned int)type >= NETDEV_TYPE_NUM)
		return NULL;
	return netdev_type_names[type];
}

/* The index of the netdev with id @id among @nds, or -1. */
static int netdev_find(const struct netdev *nds, int n, const char *id)
{
	int i;

	for (i = 0; i < n; i++)
		if (!strcmp(nds[i].id, id))
			return i;
	return -1;
}

/**
 * netdev_assign_hubs() - put each netdev on its hub, as the hubports say
 * @nds: the parsed netdevs, in command-line order; their @hub fields are
 *       updated
 * @n: how many
 * @err: receives a one-line message on failure, cut to @errlen
 * @errlen: size of @err
 *
 * A `hubport,hubid=N,netdev=ID` puts netdev ID on hub N, as in QEMU; any
 * other netdev is on its hub= (default 0). A hubport without netdev= only
 * makes its hub exist. Checks that each netdev= names a netdev that exists
 * and is not a hubport, that no netdev is named by two hubports or by a
 * hubport and a different hub=, and that at most NETDEV_HUB_MAX distinct
 * hubs are used.
 *
 * Return: 0, or -EINVAL with @err filled.
 */
int netdev_assign_hubs(struct netdev *nds, int n, char *err, size_t errlen)
{
	unsigned int hubs[NETDEV_HUB_MAX];
	int i, j, k, n_hubs = 0;

	if (err && errlen)
		err[0] = '\0';
	for (i = 0; i < n; i++) {
		const struct netdev *hp = &nds[i];

		if (hp->type != NETDEV_HUBPORT || !hp->u.hubport.netdev[0])
			continue;
		j = netdev_find(nds, n, hp->u.hubport.netdev);
		if (j < 0) {
			snprintf(err, errlen,
				 "-netdev hubport,id=%s: netdev=%s: no -netdev with that id",
				 hp->id, hp->u.hubport.netdev);
			return -EINVAL;
		}
		if (nds[j].type == NETDEV_HUBPORT) {
			snprintf(err, errlen,
				 "-netdev hubport,id=%s: netdev=%s is a hubport itself",
				 hp->id, hp->u.hubport.netdev);
			return -EINVAL;
		}
		for (k = 0; k < i; k++) {
			if (nds[k].type == NETDEV_HUBPORT &&
			    !strcmp(nds[k].u.hubport.netdev, nds[j].id)) {
				snprintf(err, errlen,
					 "-netdev hubport,id=%s: netdev=%s is already on hubport %s",
					 hp->id, nds[j].id, nds[k].id);
				return -EINVAL;
			}
		}
		if (nds[j].hub_given && nds[j].hub != hp->hub) {
			snprintf(err, errlen,
				 "-netdev hubport,id=%s: netdev=%s has hub=%u, not %u",
				 hp->id, nds[j].id, nds[j].hub, hp->hub);
			return -EINVAL;
		}
		nds[j].hub = hp->hub;
		nds[j].hub_given = true;
	}
	for (i = 0; i < n; i++) {
		for (k = 0; k < n_hubs && hubs[k] != nds[i].hub; k++)
			;
		if (k < n_hubs)
			continue;
		if (n_hubs == NETDEV_HUB_MAX) {
			snprintf(err, errlen,
				 "-netdev %s,id=%s: at most %d hubs (hub=/hubid= values) per process",
				 netdev_type_names[nds[i].type], nds[i].id,
				 NETDEV_HUB_MAX);
			return -EINVAL;
		}
		hubs[n_hubs++] = nds[i].hub;
	}
	return 0;
}
