/* SPDX-License-Identifier: MIT */
/*
 * The DNS forwarder's upstream servers from resolv.conf (dns_conf.h).
 *
 * Theory of operation: the "nameserver" lines of the file, IPv4 and IPv6,
 * are the upstreams, in order, at most UNET_DNS_UPSTREAM_MAX of them. A
 * link-local IPv6 one is used with the scope its line names (fe80::1%eth0,
 * an interface name looked up when the file is read, or fe80::1%2, an
 * interface index), which the sockets that reach it keep (sin6_scope_id).
 * Those past the limit, link-local ones without a scope or with a scope
 * that names no interface, and other addresses with a scope (meaningless
 * there) are skipped and said so in the log.
 * At most UNET__DNS_RESOLV_BYTES_MAX bytes are read, and the rest of a
 * line longer than the line buffer is skipped, not read as a line of its
 * own. A missing file gives no upstream (and a warning). The file is read
 * again when its mtime, size or inode changes, looked at no more than once
 * a second on the caller's clock, and only when the caller asks.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "wire/dns_proto.h"

#include "dns_conf.h"

/**
 * unet__dns_addr_str() - an upstream's address for a log line
 * @sa: the address
 * @buf: where it is written, "a.b.c.d:port" or "[v6]:port"
 * @len: its size (UNET__DNS_ADDR_STRLEN holds every address)
 *
 * Return: @buf.
 */
const char *unet__dns_addr_str(const union unet__dns_sa *sa, char *buf,
			       size_t len)
{
	char a[INET6_ADDRSTRLEN], zone[IF_NAMESIZE + 1] = "";
	bool v6 = sa->sa.sa_family == AF_INET6;

	if (inet_ntop(sa->sa.sa_family,
		      v6 ? (const void *)&sa->in6.sin6_addr :
			   (const void *)&sa->in.sin_addr,
		      a, sizeof(a)) == NULL)
		snprintf(a, sizeof(a), "?");
	if (v6 && sa->in6.sin6_scope_id != 0) {
		zone[0] = '%';
		if (if_indextoname(sa->in6.sin6_scope_id, zone + 1) == NULL)
			snprintf(zone, sizeof(zone), "%%%u",
				 (unsigned int)sa->in6.sin6_scope_id);
	}
	snprintf(buf, len, v6 ? "[%s%s]:%u" : "%s%s:%u", a, zone,
		 ntohs(v6 ? sa->in6.sin6_port : sa->in.sin_port));
	return buf;
}

/**
 * unet__dns_sa_same() - whether a datagram's source is an upstream
 * @a: the source, as the socket reports it
 * @b: the upstream, as connected to
 *
 * Return: true when family, address and port are the same (and for an
 * upstream with a scope, the scope).
 */
bool unet__dns_sa_same(const struct sockaddr *a, const union unet__dns_sa *b)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)a;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)a;

	if (a->sa_family != b->sa.sa_family)
		return false;
	if (a->sa_family == AF_INET)
		return a4->sin_addr.s_addr == b->in.sin_addr.s_addr &&
		       a4->sin_port == b->in.sin_port;
	return a->sa_family == AF_INET6 &&
	       memcmp(&a6->sin6_addr, &b->in6.sin6_addr,
		      sizeof(a6->sin6_addr)) == 0 &&
	       a6->sin6_port == b->in6.sin6_port &&
	       (b->in6.sin6_scope_id == 0 ||
		a6->sin6_scope_id == b->in6.sin6_scope_id);
}

/**
 * unet__dns_sa_mapped() - an upstream as a dual-stack socket reaches it
 * @in: the upstream
 * @out: receives it as IPv6: an IPv4 one as ::ffff:a.b.c.d, an IPv6 one
 *       unchanged
 */
void unet__dns_sa_mapped(const union unet__dns_sa *in, union unet__dns_sa *out)
{
	if (in->sa.sa_family != AF_INET) {
		*out = *in;
		return;
	}
	memset(out, 0, sizeof(*out));
	out->in6.sin6_family = AF_INET6;
	out->in6.sin6_port = in->in.sin_port;
	out->in6.sin6_addr.s6_addr[10] = 0xff;
	out->in6.sin6_addr.s6_addr[11] = 0xff;
	memcpy(&out->in6.sin6_addr.s6_addr[12], &in->in.sin_addr, 4);
}

/*
 * The interface a scope names: a decimal index (1..UINT32_MAX, not checked
 * against the host's interfaces, as glibc does not) or an interface's name
 * (if_nametoindex(), at most IF_NAMESIZE - 1 bytes). 0 when it names none.
 */
static uint32_t dns_conf_scope(const char *zone)
{
	unsigned long long v;
	char *end;

	if (zone[0] == '\0' || strlen(zone) >= IF_NAMESIZE)
		return 0;
	if (zone[0] >= '0' && zone[0] <= '9') {
		errno = 0;
		v = strtoull(zone, &end, 10);
		if (errno == 0 && *end == '\0' && v <= UINT32_MAX)
			return (uint32_t)v;
	}
	return if_nametoindex(zone);
}

/**
 * unet__dns_resolv_line() - read one line of resolv.conf
 * @line: the line, NUL-terminated (taken apart in place)
 * @sa: receives a nameserver's address, port 53; for a link-local IPv6 one
 *      its scope (sin6_scope_id) too
 *
 * Return: 1 for a nameserver (in @sa, IPv4 or IPv6), 2 for an IPv6 one
 * skipped for its scope (link-local without one, or with one that names no
 * interface; any other address with one), 0 for any other line.
 */
int unet__dns_resolv_line(char *line, union unet__dns_sa *sa)
{
	struct in6_addr a6;
	struct in_addr a;
	char *save, *kw, *val, *pct;
	uint32_t scope = 0;
	bool ll;

	kw = strtok_r(line, " \t\r\n", &save);
	if (kw == NULL || strcmp(kw, "nameserver") != 0)
		return 0;
	val = strtok_r(NULL, " \t\r\n", &save);
	if (val == NULL)
		return 0;
	memset(sa, 0, sizeof(*sa));
	if (inet_pton(AF_INET, val, &a) == 1) {
		sa->in.sin_family = AF_INET;
		sa->in.sin_addr = a;
		sa->in.sin_port = htons(DNS_PORT);
		return 1;
	}
	pct = strchr(val, '%');
	if (pct != NULL)
		*pct = '\0';
	if (inet_pton(AF_INET6, val, &a6) != 1)
		return 0;
	ll = a6.s6_addr[0] == 0xfe && (a6.s6_addr[1] & 0xc0) == 0x80;
	if (pct != NULL)
		scope = dns_conf_scope(pct + 1);
	if (ll != (pct != NULL) || (ll && scope == 0))
		return 2;
	sa->in6.sin6_family = AF_INET6;
	sa->in6.sin6_addr = a6;
	sa->in6.sin6_port = htons(DNS_PORT);
	sa->in6.sin6_scope_id = scope;
	return 1;
}

/* Logs the servers read from @path, and what was skipped. */
static void dns_resolv_report(const struct unet__dns_resolv *rc,
			      const char *path, unsigned int scoped,
			      unsigned int more, const struct unet_hub *hub)
{
	char list[UNET_DNS_UPSTREAM_MAX * UNET__DNS_ADDR_STRLEN];
	char one[UNET__DNS_ADDR_STRLEN];
	size_t used = 0;
	unsigned int i;

	list[0] = '\0';
	for (i = 0; i < rc->n; i++) {
		snprintf(list + used, sizeof(list) - used, "%s%s",
			 i > 0 ? " " : "",
			 unet__dns_addr_str(&rc->servers[i], one, sizeof(one)));
		used += strlen(list + used);
	}
	unet_hub_log(hub, rc->n > 0 ? UNET_LOG_INFO : UNET_LOG_WARN,
		     "dns: upstream servers from %s: %s", path,
		     rc->n > 0 ? list : "none");
	if (scoped > 0)
		unet_hub_log(
			hub, UNET_LOG_INFO,
			"dns: %u IPv6 nameserver(s) in %s skipped for their scope (link-local without an interface that exists, or another address with one)",
			scoped, path);
	if (more > 0)
		unet_hub_log(
			hub, UNET_LOG_INFO,
			"dns: %u nameserver(s) past the first %d in %s skipped",
			more, UNET_DNS_UPSTREAM_MAX, path);
}

/**
 * unet__dns_resolv_read() - read the nameservers of a resolv.conf
 * @rc: receives them (@rc->servers, @rc->n)
 * @path: the file
 * @hub: where what was read is logged; may be NULL
 */
void unet__dns_resolv_read(struct unet__dns_resolv *rc, const char *path,
			   const struct unet_hub *hub)
{
	unsigned int scoped = 0, more = 0;
	union unet__dns_sa sa;
	size_t total = 0;
	char line[512];
	int kind, ch;
	FILE *f;

	rc->n = 0;
	f = fopen(path, "re");
	if (f == NULL) {
		unet_hub_log(hub, UNET_LOG_WARN,
			     "dns: cannot read %s (%s): no upstream servers",
			     path, strerror(errno));
		return;
	}
	while (total < UNET__DNS_RESOLV_BYTES_MAX &&
	       fgets(line, sizeof(line), f) != NULL) {
		total += strlen(line);
		/* The rest of a longer line is skipped, not read as a line. */
		if (strchr(line, '\n') == NULL) {
			while ((ch = fgetc(f)) != EOF && ch != '\n')
				total++;
		}
		/* Into a local: the table may be full. */
		kind = unet__dns_resolv_line(line, &sa);
		if (kind == 2) {
			scoped++;
		} else if (kind == 1) {
			if (rc->n < UNET_DNS_UPSTREAM_MAX)
				rc->servers[rc->n++] = sa;
			else
				more++;
		}
	}
	fclose(f);
	dns_resolv_report(rc, path, scoped, more, hub);
}

/**
 * unet__dns_resolv_refresh() - read resolv.conf again when it changed
 * @rc: the nameservers read before (all zero: never read)
 * @path: the file
 * @now_ns: the hub's clock
 * @hub: where a new reading is logged; may be NULL
 *
 * Looks at the file at most once every UNET__DNS_RESOLV_RECHECK_NS, and
 * reads it only when its mtime, size, inode or device changed (or on the
 * first call).
 */
void unet__dns_resolv_refresh(struct unet__dns_resolv *rc, const char *path,
			      uint64_t now_ns, const struct unet_hub *hub)
{
	struct unet__dns_resolv_key key;
	struct stat st;

	if (rc->read && now_ns - rc->checked_ns < UNET__DNS_RESOLV_RECHECK_NS)
		return;
	rc->checked_ns = now_ns;
	memset(&key, 0, sizeof(key));
	if (stat(path, &st) == 0) {
		key.mtime = st.st_mtim;
		key.size = st.st_size;
		key.ino = st.st_ino;
		key.dev = st.st_dev;
	}
	if (rc->read && memcmp(&key, &rc->key, sizeof(key)) == 0)
		return;
	rc->key = key;
	rc->read = true;
	unet__dns_resolv_read(rc, path, hub);
}
