/* SPDX-License-Identifier: MIT */
/*
 * apisock: the API socket (`--api-socket PATH`, slirp4netns's `-a PATH`): a
 * unix stream socket that speaks slirp4netns's JSON protocol, so that
 * rootless podman and rootlesskit can add and remove port forwards of a
 * running usernet. One request per connection: the client writes one JSON
 * object (and may shut its side down), gets one reply, and the connection
 * is closed.
 *
 *   {"execute": "add_hostfwd", "arguments": {"proto": "tcp",
 *     "host_addr": "0.0.0.0", "host_port": 8080,
 *     "guest_addr": "10.0.2.100", "guest_port": 80}}  -> {"return":{"id":1}}
 *   {"execute": "list_hostfwd"}       -> {"entries":[{"id":1,"proto":...}]}
 *   {"execute": "remove_hostfwd", "arguments": {"id": 1}} -> {"return":{}}
 *   {"execute": "get_info"}           -> {"return":{"mtu":1500,...}}
 *   anything wrong                    -> {"error":{"desc":"bad request: ..."}}
 *
 * get_info is usernet's own; slirp4netns 1.2 answers it "unknown execute".
 */
#ifndef USERNET_TOOLS_APISOCK_H
#define USERNET_TOOLS_APISOCK_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

#include <usernet/proxy.h>

#include "unixsrv.h"

/** The largest request, in bytes (slirp4netns's: a request of 4096 bytes
 * or more is refused). */
#define APISOCK_REQ_MAX 4096
/** The most forwards the API socket keeps at once. */
#define APISOCK_FWD_MAX 1024
/** The most connections served at once; more are closed at once. */
#define APISOCK_CONN_MAX 16
/** A connection that sent no whole request by then is closed. */
#define APISOCK_TIMEOUT_MS 10000

/**
 * struct apisock_ops - how forwards are added and removed
 * @add: adds @fwd (unet_proxy_fwd_add()'s contract); 0 or a negative errno
 * @remove: removes @fwd (unet_proxy_fwd_remove()'s contract)
 *
 * apisock_proxy_ops does it on a struct unet_proxy; tests use fakes.
 */
struct apisock_ops {
	int (*add)(void *opaque, struct unet_fwd *fwd);
	int (*remove)(void *opaque, const struct unet_fwd *fwd);
};

extern const struct apisock_ops apisock_proxy_ops;

/**
 * struct apisock_info - the network, for get_info and the defaults
 * @mtu: the MTU
 * @net: the network address (network order, as all addresses here)
 * @mask: its netmask
 * @host: the gateway
 * @dns: the DNS address
 * @dhcp_start: the first DHCP address
 * @guest: the guest's address: the default guest_addr of add_hostfwd
 * @ipv6: IPv6 is on (fd00::/64 in the slirp4netns personality)
 * @host_loopback: the gateway reaches the host's loopback
 */
struct apisock_info {
	unsigned int mtu;
	struct in_addr net;
	struct in_addr mask;
	struct in_addr host;
	struct in_addr dns;
	struct in_addr dhcp_start;
	struct in_addr guest;
	bool ipv6;
	bool host_loopback;
};

/**
 * struct apisock_fwd - a forward added through the socket
 * @id: its id, from 1 up, never reused
 * @fwd: the forward, ports and addresses in network order
 */
struct apisock_fwd {
	int id;
	struct unet_fwd fwd;
};

/**
 * struct apisock - the API socket and the forwards it added
 * @ops: how forwards are added and removed
 * @opaque: passed to @ops
 * @info: the network
 * @fwds: the forwards, oldest first (as slirp4netns lists them)
 * @n_fwds: how many
 * @next_id: the id of the next forward
 * @srv: the listening socket and its connections
 */
struct apisock {
	const struct apisock_ops *ops;
	void *opaque;
	struct apisock_info info;
	struct apisock_fwd *fwds;
	int n_fwds;
	int next_id;
	struct unixsrv srv;
};

void apisock_init(struct apisock *a, const struct apisock_ops *ops,
		  void *opaque, const struct apisock_info *info);
char *apisock_handle(struct apisock *a, const char *req, size_t len);
int apisock_listen(struct apisock *a, uv_loop_t *loop, const char *path,
		   char *err, size_t errlen);
void apisock_close(struct apisock *a);

#endif /* USERNET_TOOLS_APISOCK_H */
