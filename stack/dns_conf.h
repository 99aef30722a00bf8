/* SPDX-License-Identifier: MIT */
/*
 * The DNS forwarder's upstream servers from resolv.conf: its "nameserver"
 * lines, IPv4 and IPv6, read again when the file changes; and the address
 * type both families share.
 */
#ifndef USERNET_STACK_DNS_CONF_H
#define USERNET_STACK_DNS_CONF_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <usernet/hub.h>
#include <usernet/stack.h>

/**
 * union unet__dns_sa - an upstream server's address, of either family
 * @sa: the family
 * @in: an IPv4 server (@sa.sa_family AF_INET)
 * @in6: an IPv6 server (AF_INET6)
 */
union unet__dns_sa {
	struct sockaddr sa;
	struct sockaddr_in in;
	struct sockaddr_in6 in6;
};

/** Room for unet__dns_addr_str(): "[" IPv6 "%" scope "]:" port. */
#define UNET__DNS_ADDR_STRLEN (INET6_ADDRSTRLEN + 8 + 16)
/** Most upstreams a query asks: the configuration's of both families. */
#define UNET__DNS_UP_MAX (2 * UNET_DNS_UPSTREAM_MAX)

/**
 * struct unet__dns_resolv_key - what tells that resolv.conf changed
 * @mtime: its modification time
 * @size: its size
 * @ino: its inode
 * @dev: its device
 */
struct unet__dns_resolv_key {
	struct timespec mtime;
	off_t size;
	ino_t ino;
	dev_t dev;
};

/**
 * struct unet__dns_resolv - the nameservers of resolv.conf; all zero is a
 * file not read yet
 * @servers: the nameservers, port 53, in the file's order
 * @n: how many
 * @key: the file as it was when read
 * @read: it was read (or found missing) at least once
 * @checked_ns: when it was last looked at
 */
struct unet__dns_resolv {
	union unet__dns_sa servers[UNET_DNS_UPSTREAM_MAX];
	unsigned int n;
	struct unet__dns_resolv_key key;
	bool read;
	uint64_t checked_ns;
};

/** resolv.conf is looked at no more often than this, in nanoseconds. */
#define UNET__DNS_RESOLV_RECHECK_NS 1000000000ull
/** Most bytes of resolv.conf read. */
#define UNET__DNS_RESOLV_BYTES_MAX (64 * 1024)

int unet__dns_resolv_line(char *line, union unet__dns_sa *sa);
void unet__dns_resolv_read(struct unet__dns_resolv *rc, const char *path,
			   const struct unet_hub *hub);
void unet__dns_resolv_refresh(struct unet__dns_resolv *rc, const char *path,
			      uint64_t now_ns, const struct unet_hub *hub);
const char *unet__dns_addr_str(const union unet__dns_sa *sa, char *buf,
			       size_t len);
bool unet__dns_sa_same(const struct sockaddr *a, const union unet__dns_sa *b);
void unet__dns_sa_mapped(const union unet__dns_sa *in, union unet__dns_sa *out);

#endif /* USERNET_STACK_DNS_CONF_H */
