/* SPDX-License-Identifier: MIT */
/*
 * The DNS forwarder's upstream servers from resolv.conf (dns_conf.h).
 *
 * Theory of operation: the IPv4 "nameserver" lines of the file are the
 * upstreams, in order, at most UNET_DNS_UPSTREAM_MAX of them; IPv6
 * nameservers and those past the limit are skipped and said so in the log.
 * At most UNET__DNS_RESOLV_BYTES_MAX bytes are read, and the rest of a
 * line longer than the line buffer is skipped, not read as a line of its
 * own. A missing file gives no upstream (and a warning). The file is read
 * again when its mtime, size or inode changes, looked at no more than once
 * a second on the caller's clock, and only when the caller asks.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "wire/dns_proto.h"

#include "dns_conf.h"

/**
 * unet__dns_addr_str() - an upstream's address for a log line
 * @sa: the address
 * @buf: where it is written, "a.b.c.d:port"
 * @len: its size (24 bytes hold every address)
 *
 * Return: @buf.
 */
const char *unet__dns_addr_str(const struct sockaddr_in *sa, char *buf,
			       size_t len)
{
	char a[INET_ADDRSTRLEN];

	if (inet_ntop(AF_INET, &sa->sin_addr, a, sizeof(a)) == NULL)
		snprintf(a, sizeof(a), "?");
	snprintf(buf, len, "%s:%u", a, ntohs(sa->sin_port));
	return buf;
}

/**
 * unet__dns_resolv_line() - read one line of resolv.conf
 * @line: the line, NUL-terminated (taken apart in place)
 * @sa: receives an IPv4 nameserver's address, port 53
 *
 * Return: 1 for an IPv4 nameserver (in @sa), 2 for an IPv6 one, 0 for any
 * other line.
 */
int unet__dns_resolv_line(char *line, struct sockaddr_in *sa)
{
	struct in_addr a;
	char *save, *kw, *val;

	kw = strtok_r(line, " \t\r\n", &save);
	if (kw == NULL || strcmp(kw, "nameserver") != 0)
		return 0;
	val = strtok_r(NULL, " \t\r\n", &save);
	if (val == NULL)
		return 0;
	if (inet_pton(AF_INET, val, &a) == 1) {
		memset(sa, 0, sizeof(*sa));
		sa->sin_family = AF_INET;
		sa->sin_addr = a;
		sa->sin_port = htons(DNS_PORT);
		return 1;
	}
	return strchr(val, ':') != NULL ? 2 : 0;
}

/* Logs the servers read from @path, and what was skipped. */
static void dns_resolv_report(const struct unet__dns_resolv *rc,
			      const char *path, unsigned int v6,
			      unsigned int more, const struct unet_hub *hub)
{
	char list[UNET_DNS_UPSTREAM_MAX * 24], one[24];
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
	if (v6 > 0)
		unet_hub_log(hub, UNET_LOG_INFO,
			     "dns: %u IPv6 nameserver(s) in %s skipped (IPv4 only for now)",
			     v6, path);
	if (more > 0)
		unet_hub_log(hub, UNET_LOG_INFO,
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
	unsigned int v6 = 0, more = 0;
	struct sockaddr_in sa;
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
			v6++;
		} else if (kind == 1) {
			if (rc->n < UNET_DNS_UPSTREAM_MAX)
				rc->servers[rc->n++] = sa;
			else
				more++;
		}
	}
	fclose(f);
	dns_resolv_report(rc, path, v6, more, hub);
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
