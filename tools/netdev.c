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
	NETDEV_KEY_FILE,
	NETDEV_KEY_LEN,
	NETDEV_KEY_HOSTFWD,
	NETDEV_KEY_RESTRICT,
	NETDEV_KEY_LOOPBACK,
	NETDEV_KEY_HOSTNAME,
	NETDEV_KEY_DOMAINNAME,
	NETDEV_KEY_DNSSEARCH,
	NETDEV_KEY_BOOTFILE,
	NETDEV_KEY_TFTP,
	NETDEV_KEY_TFTP_SERVER_NAME,
	NETDEV_KEY_DNS_UPSTREAM,
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
	[NETDEV_KEY_FILE] = "file",
	[NETDEV_KEY_LEN] = "len",
	[NETDEV_KEY_HOSTFWD] = "hostfwd",
	[NETDEV_KEY_RESTRICT] = "restrict",
	[NETDEV_KEY_LOOPBACK] = "loopback",
	[NETDEV_KEY_HOSTNAME] = "hostname",
	[NETDEV_KEY_DOMAINNAME] = "domainname",
	[NETDEV_KEY_DNSSEARCH] = "dnssearch",
	[NETDEV_KEY_BOOTFILE] = "bootfile",
	[NETDEV_KEY_TFTP] = "tftp",
	[NETDEV_KEY_TFTP_SERVER_NAME] = "tftp-server-name",
	[NETDEV_KEY_DNS_UPSTREAM] = "dns-upstream",
};
static_assert(ARRAY_SIZE(netdev_key_names) == NETDEV_KEY_NUM,
	      "netdev_key_names must name every enum netdev_key");
static_assert(NETDEV_KEY_NUM <= 32, "netdev_parser.seen is 32 bits");

#define KEY_BIT(k) (UINT32_C(1) << (k))

/* The keys each type accepts. */
static const uint32_t netdev_type_keys[] = {
	[NETDEV_USER] = KEY_BIT(NETDEV_KEY_ID) | KEY_BIT(NETDEV_KEY_NET) |
			KEY_BIT(NETDEV_KEY_HOST) | KEY_BIT(NETDEV_KEY_DNS) |
			KEY_BIT(NETDEV_KEY_DHCPSTART) |
			KEY_BIT(NETDEV_KEY_HOSTFWD) |
			KEY_BIT(NETDEV_KEY_RESTRICT) |
			KEY_BIT(NETDEV_KEY_LOOPBACK) |
			KEY_BIT(NETDEV_KEY_HOSTNAME) |
			KEY_BIT(NETDEV_KEY_DOMAINNAME) |
			KEY_BIT(NETDEV_KEY_DNSSEARCH) |
			KEY_BIT(NETDEV_KEY_BOOTFILE) |
			KEY_BIT(NETDEV_KEY_TFTP) |
			KEY_BIT(NETDEV_KEY_TFTP_SERVER_NAME) |
			KEY_BIT(NETDEV_KEY_DNS_UPSTREAM),
	[NETDEV_TAP] = KEY_BIT(NETDEV_KEY_ID) | KEY_BIT(NETDEV_KEY_IFNAME) |
		       KEY_BIT(NETDEV_KEY_FD),
	[NETDEV_DUMP] = KEY_BIT(NETDEV_KEY_ID) | KEY_BIT(NETDEV_KEY_FILE) |
			KEY_BIT(NETDEV_KEY_LEN),
};
static_assert(ARRAY_SIZE(netdev_type_keys) == NETDEV_TYPE_NUM,
	      "netdev_type_keys must cover every enum netdev_type");

/* Keys that may be given more than once. */
#define NETDEV_KEYS_REPEAT                                             \
	(KEY_BIT(NETDEV_KEY_HOSTFWD) | KEY_BIT(NETDEV_KEY_DNSSEARCH) | \
	 KEY_BIT(NETDEV_KEY_DNS_UPSTREAM))

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
	uint32_t seen;		/* KEY_BIT()s of the keys given so far */
	struct netdev nd;	/* built here, copied out on success */
};

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
		if ((netdev_type_keys[type] & KEY_BIT(i)) &&
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
 * hostfwd=[tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport, split as
 * QEMU's slirp_hostfwd() splits it: at the first ':', the next ':', the
 * next '-' and the next ':'. An empty protocol is tcp, an empty host address
 * is any, an empty guest address is the default one (filled in by
 * netdev_finish_user(), which also checks it against the network).
 */
static int netdev_parse_hostfwd(struct netdev_parser *p, char *val)
{
	struct netdev_user *u = &p->nd.u.user;
	char *proto = val, *haddr, *hport, *gaddr, *gport;
	struct unet_fwd fwd;
	long v;

	if (u->n_fwds >= NETDEV_FWD_MAX)
		return netdev_error(p, "hostfwd: at most %d forwards",
				    NETDEV_FWD_MAX);
	haddr = strchr(proto, ':');
	hport = haddr ? strchr(haddr + 1, ':') : NULL;
	gaddr = hport ? strchr(hport + 1, '-') : NULL;
	gport = gaddr ? strchr(gaddr + 1, ':') : NULL;
	if (!gport)
		return netdev_error(p, "hostfwd: expected " NETDEV_HOSTFWD_SYNTAX);
	*haddr++ = '\0';
	*hport++ = '\0';
	*gaddr++ = '\0';
	*gport++ = '\0';

	memset(&fwd, 0, sizeof(fwd));
	if (!*proto || !strcmp(proto, "tcp"))
		fwd.proto = IPPROTO_TCP;
	else if (!strcmp(proto, "udp"))
		fwd.proto = IPPROTO_UDP;
	else
		return netdev_error(p,
				    "hostfwd: bad protocol '%s' (want tcp or udp)",
				    proto);
	fwd.host_addr.s_addr = htonl(INADDR_ANY);
	if (*haddr && !netdev_parse_addr(haddr, &fwd.host_addr))
		return netdev_error(p, "hostfwd: bad host address '%s'", haddr);
	if (!netdev_parse_long(hport, 0, 65535, &v))
		return netdev_error(p,
				    "hostfwd: bad host port '%s' (want 0..65535)",
				    hport);
	fwd.host_port = htons((uint16_t)v);
	if (*gaddr && !netdev_parse_addr(gaddr, &fwd.guest_addr))
		return netdev_error(p, "hostfwd: bad guest address '%s'",
				    gaddr);
	if (!netdev_parse_long(gport, 1, 65535, &v))
		return netdev_error(p,
				    "hostfwd: bad guest port '%s' (want 1..65535)",
				    gport);
	fwd.guest_port = htons((uint16_t)v);
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

/* dns-upstream=ADDR[:PORT], repeatable: the forwarder's servers, in order. */
static int netdev_parse_dns_upstream(struct netdev_parser *p, char *val)
{
	struct unet_stack_config *cfg = &p->nd.u.user.stack;
	struct sockaddr_in *sa;
	char *colon = strchr(val, ':');
	long port = 53;

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
		return netdev_error(p,
				    "dns-upstream: bad IPv4 address '%s' (want ADDR[:PORT])",
				    val);
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	cfg->n_dns_upstream++;
	return 0;
}

/* Check and store one KEY=VALUE; @val is unescaped and non-empty. */
static int netdev_set(struct netdev_parser *p, enum netdev_key key, char *val)
{
	struct netdev *nd = &p->nd;
	struct in_addr *addr;
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
	case NETDEV_KEY_NUM:
		break;
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
 * Fill in the default guest addresses, then check each forward's guest
 * address against the network and the forwards against each other: one host
 * port of a protocol (on one address) goes to one place.
 */
static int netdev_finish_fwds(struct netdev_parser *p)
{
	struct netdev_user *u = &p->nd.u.user;
	const struct unet_stack_config *cfg = &u->stack;
	uint32_t net = ntohl(cfg->net.s_addr), mask = ntohl(cfg->mask.s_addr);
	char as[INET_ADDRSTRLEN], ns[INET_ADDRSTRLEN];
	int i, j;

	for (i = 0; i < u->n_fwds; i++) {
		struct unet_fwd *f = &u->fwds[i];
		uint32_t a;
		const char *why = NULL;

		if (u->fwd_guest_default[i])
			f->guest_addr = cfg->dhcp_start;
		a = ntohl(f->guest_addr.s_addr);
		if ((a & mask) != net)
			why = "is outside";
		else if (a == net)
			why = "is the network address of";
		else if (a == (net | ~mask))
			why = "is the broadcast address of";
		else if (f->guest_addr.s_addr == cfg->host.s_addr)
			why = "is the gateway (host=) of";
		else if (f->guest_addr.s_addr == cfg->dns.s_addr)
			why = "is the DNS address (dns=) of";
		if (why) {
			inet_ntop(AF_INET, &f->guest_addr, as, sizeof(as));
			inet_ntop(AF_INET, &cfg->net, ns, sizeof(ns));
			return netdev_error(p,
					    "hostfwd: guest address %s %s %s/%u",
					    as, why, ns,
					    netdev_prefix_len(cfg->mask));
		}
		for (j = 0; j < i; j++) {
			const struct unet_fwd *g = &u->fwds[j];

			if (f->host_port == 0 || g->proto != f->proto ||
			    g->host_port != f->host_port ||
			    g->host_addr.s_addr != f->host_addr.s_addr)
				continue;
			inet_ntop(AF_INET, &f->host_addr, as, sizeof(as));
			return netdev_error(p,
					    "hostfwd: %s %s:%u is forwarded twice",
					    f->proto == IPPROTO_UDP ? "udp" :
					    "tcp", as, ntohs(f->host_port));
		}
	}
	return 0;
}

/* Derive the addresses net= implies and check the whole network. */
static int netdev_finish_user(struct netdev_parser *p)
{
	struct unet_stack_config *cfg = &p->nd.u.user.stack;
	bool net_given = p->seen & KEY_BIT(NETDEV_KEY_NET);
	bool host_derived = net_given && !(p->seen & KEY_BIT(NETDEV_KEY_HOST));
	bool dns_derived = net_given && !(p->seen & KEY_BIT(NETDEV_KEY_DNS));
	bool dhcp_derived = net_given &&
			    !(p->seen & KEY_BIT(NETDEV_KEY_DHCPSTART));
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
		bool dns_given = p->seen & KEY_BIT(NETDEV_KEY_DNS);

		inet_ntop(AF_INET, &cfg->host, hs, sizeof(hs));
		return netdev_error(p, "%s: %s is the same address as %s",
				    dns_given ? "dns" : "host", hs,
				    dns_given ? "host" : "dns");
	}
	return netdev_finish_fwds(p);
}

/* The checks that need the whole option: required keys, exclusions. */
static int netdev_finish(struct netdev_parser *p)
{
	if (!(p->seen & KEY_BIT(NETDEV_KEY_ID)))
		return netdev_error(p, "missing id=ID");
	switch (p->nd.type) {
	case NETDEV_USER:
		return netdev_finish_user(p);
	case NETDEV_TAP:
		if ((p->seen & KEY_BIT(NETDEV_KEY_IFNAME)) &&
		    (p->seen & KEY_BIT(NETDEV_KEY_FD)))
			return netdev_error(p,
					    "ifname= and fd= exclude each other");
		return 0;
	case NETDEV_DUMP:
		if (!(p->seen & KEY_BIT(NETDEV_KEY_FILE)))
			return netdev_error(p, "missing file=PATH");
		return 0;
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
		break;
	case NETDEV_TAP:
		nd->u.tap.fd = -1;
		break;
	case NETDEV_DUMP:
		nd->u.dump.len = NETDEV_DUMP_LEN_DEFAULT;
		break;
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
 *   (default off), loopback=on|off (default on); booleans also take
 *   yes/no, true/false, y/n as QEMU's do.
 * - tap: ifname=NAME (1..15 characters, no '/', ':' or whitespace, not "."
 *   or ".."), fd=N (0..INT_MAX); not both. Neither lets the kernel choose.
 * - dump: file=PATH (required), len=N (1..INT_MAX, default 65536).
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
	char known[64];
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
		if (p.seen & KEY_BIT(k) & ~NETDEV_KEYS_REPEAT)
			return netdev_error(&p, "repeated key '%s'",
					    netdev_key_names[k]);
		p.seen |= KEY_BIT(k);
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
 * Return: "user", "tap" or "dump"; NULL for a value outside the enum.
 */
const char *netdev_type_name(enum netdev_type type)
{
	if ((unsigned int)type >= NETDEV_TYPE_NUM)
		return NULL;
	return netdev_type_names[type];
}
