/* SPDX-License-Identifier: MIT */
/*
 * The DNS forwarder's upstream servers from resolv.conf: its IPv4
 * "nameserver" lines, read again when the file changes.
 */
#ifndef USERNET_STACK_DNS_CONF_H
#define USERNET_STACK_DNS_CONF_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <usernet/hub.h>
#include <usernet/stack.h>

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
 * @servers: the IPv4 nameservers, port 53, in the file's order
 * @n: how many
 * @key: the file as it was when read
 * @read: it was read (or found missing) at least once
 * @checked_ns: when it was last looked at
 */
struct unet__dns_resolv {
	struct sockaddr_in servers[UNET_DNS_UPSTREAM_MAX];
	unsigned int n;
	struct unet__dns_resolv_key key;
	bool read;
	uint64_t checked_ns;
};

/** resolv.conf is looked at no more often than this, in nanoseconds. */
#define UNET__DNS_RESOLV_RECHECK_NS 1000000000ull
/** Most bytes of resolv.conf read. */
#define UNET__DNS_RESOLV_BYTES_MAX (64 * 1024)

int unet__dns_resolv_line(char *line, struct sockaddr_in *sa);
void unet__dns_resolv_read(struct unet__dns_resolv *rc, const char *path,
			   const struct unet_hub *hub);
void unet__dns_resolv_refresh(struct unet__dns_resolv *rc, const char *path,
			      uint64_t now_ns, const struct unet_hub *hub);
const char *unet__dns_addr_str(const struct sockaddr_in *sa, char *buf,
			       size_t len);

#endif /* USERNET_STACK_DNS_CONF_H */
