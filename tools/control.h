/* SPDX-License-Identifier: MIT */
/*
 * control: usernet's own control protocol, spoken on `--api-socket PATH`
 * (tools/ctlsock.c is the socket). One JSON object per line in, one JSON
 * object per line out, in order:
 *
 *   {"op": "version"}                      -> {"ok":true,"version":...}
 *   {"op": "fwd_add", "proto": "tcp", "host_addr": "::1", "host_port": 8080,
 *    "guest_addr": "10.0.2.15", "guest_port": 80}  -> {"ok":true,"id":3,...}
 *   {"op": "fwd_list"}                     -> {"ok":true,"forwards":[...]}
 *   {"op": "fwd_remove", "id": 3}          -> {"ok":true}
 *   {"op": "stats"}                        -> {"ok":true,"proxy":{...},...}
 *   {"op": "flows"}                        -> {"ok":true,"flows":[...]}
 *   {"op": "log_level"[, "level": "debug"]} -> {"ok":true,"level":"debug"}
 *   {"op": "policy_stats"}                 -> {"ok":true,"rules":2,...}
 *   {"op": "policy_set", "rules": "default deny\nallow tcp port 443",
 *    "flows": "cut"}                       -> {"ok":true,"rules":1,"cut":0,...}
 *   {"op": "help"}                         -> {"ok":true,"ops":[...]}
 *   anything wrong                         -> {"ok":false,"error":"..."}
 *
 * The same operations as the C API (unet_proxy_fwd_add_ex() and friends,
 * the stats calls, unet_proxy_flows(), unet_hub_set_log()), reached
 * through struct control_ops so that tests can put fakes behind them.
 */
#ifndef USERNET_TOOLS_CONTROL_H
#define USERNET_TOOLS_CONTROL_H

#include <netinet/in.h>
#include <stddef.h>

#include <usernet/hub.h>
#include <usernet/proxy.h>
#include <usernet/stack.h>

/** The control protocol's version, as the version op gives it. */
#define CONTROL_PROTOCOL 1
/** The longest request line, in bytes, its newline not counted. */
#define CONTROL_LINE_MAX 4096
/** fwd_add refuses once the proxy holds this many forwards. */
#define CONTROL_FWD_MAX 4096

/**
 * typedef control_port_cb - receives one port of a walk of the hubs
 * @opaque: the pointer given to &control_ops.ports
 * @hub: the port's hub number (hub= / hubid=)
 * @port: the port, borrowed for the call
 */
typedef void (*control_port_cb)(void *opaque, unsigned int hub,
				const struct unet_port *port);

/**
 * struct control_ops - what the control protocol acts on
 * @fwd_add: unet_proxy_fwd_add_ex()'s contract
 * @fwd_remove: unet_proxy_fwd_remove_ex()'s contract
 * @fwd_list: unet_proxy_fwd_list_ex()'s contract
 * @flows: unet_proxy_flows()'s contract
 * @proxy_stats: unet_proxy_stats()'s contract
 * @stack_stats: unet_stack_stats()'s contract
 * @ports: calls its callback once for every port of every hub
 * @set_log_level: makes @level the most verbose level logged
 * @policy_stats: unet_proxy_policy_stats()'s contract; NULL where there
 *                is no egress policy to read
 * @policy_set: unet_proxy_set_policy()'s contract; NULL where there is
 *              no egress policy to replace
 * @policy_default: unet_proxy_set_policy_default()'s contract; NULL where
 *                  @policy_set is
 *
 * control_live_ops does it on a struct control_target; tests use fakes.
 */
struct control_ops {
	int (*fwd_add)(void *opaque, struct unet_fwd_ex *fwd);
	int (*fwd_remove)(void *opaque, const struct unet_fwd_ex *fwd);
	int (*fwd_list)(void *opaque, struct unet_fwd_ex *fwds, size_t n);
	int (*flows)(void *opaque, unet_flow_cb cb, void *cb_opaque);
	int (*proxy_stats)(void *opaque, struct unet_proxy_stats *st);
	int (*stack_stats)(void *opaque, struct unet_stack_stats *st);
	void (*ports)(void *opaque, control_port_cb cb, void *cb_opaque);
	void (*set_log_level)(void *opaque, enum unet_log_level level);
	int (*policy_stats)(void *opaque, struct unet_policy_stats *st,
			    uint64_t *hits, size_t n);
	int (*policy_set)(void *opaque, const struct unet_policy *policy,
			  unsigned int flags);
	int (*policy_default)(void *opaque, enum unet_policy_verdict def,
			      unsigned int flags);
};

/**
 * struct control_target - a running usernet, for control_live_ops
 * @proxy: the user netdev's proxy
 * @stack: its stack
 * @hubs: every hub
 * @hub_ids: the number of each of @hubs
 * @n_hubs: how many
 * @log_cb: the hubs' log callback (kept when the level changes)
 * @log_opaque: passed to @log_cb
 * @log_level: the level in force when the control socket opens
 */
struct control_target {
	struct unet_proxy *proxy;
	struct unet_stack *stack;
	struct unet_hub *const *hubs;
	const unsigned int *hub_ids;
	int n_hubs;
	unet_log_cb log_cb;
	void *log_opaque;
	enum unet_log_level log_level;
};

extern const struct control_ops control_live_ops;

/**
 * struct control_fwd - a forward of the proxy, with the id the protocol
 *	gave it
 * @id: from 1 up, never reused
 * @fwd: the forward as the proxy lists it
 */
struct control_fwd {
	int id;
	struct unet_fwd_ex fwd;
};

/**
 * struct control - the protocol's state
 * @ops: what it acts on
 * @opaque: passed to @ops
 * @guest: fwd_add's default guest address (network order)
 * @level: the log level in force
 * @fwds: every forward of the proxy known so far, by id
 * @n_fwds: how many
 * @next_id: the next forward's id
 */
struct control {
	const struct control_ops *ops;
	void *opaque;
	struct in_addr guest;
	enum unet_log_level level;
	struct control_fwd *fwds;
	int n_fwds;
	int next_id;
};

void control_init(struct control *c, const struct control_ops *ops,
		  void *opaque, struct in_addr guest,
		  enum unet_log_level level);
char *control_handle(struct control *c, const char *req, size_t len);
void control_close(struct control *c);
const char *control_log_level_name(enum unet_log_level level);
const char *control_proto_name(int proto);

#endif /* USERNET_TOOLS_CONTROL_H */
