/* SPDX-License-Identifier: MIT */
/*
 * ctlsock: usernet's own `--api-socket PATH`, a unix stream socket that
 * speaks the control protocol (control.h: one JSON request per line, one
 * reply line each, many per connection) and still answers slirp4netns's
 * requests (apisock.h: {"execute": ...}) as slirp4netns does, one per
 * connection, so that tools written for slirp4netns's API socket keep
 * working with usernet's own command line.
 */
#ifndef USERNET_TOOLS_CTLSOCK_H
#define USERNET_TOOLS_CTLSOCK_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

#include "apisock.h"
#include "control.h"

/** The most connections served at once; more are closed at once. */
#define CTLSOCK_CONN_MAX 16
/** A connection that neither sends a request nor takes a reply for this
 * long is closed. */
#define CTLSOCK_IDLE_MS 60000
/** Reply bytes queued on a connection before usernet stops reading its
 * requests (until the client takes them). */
#define CTLSOCK_OUT_MAX (64 * 1024)

/**
 * struct ctlsock - the control socket
 * @ctl: the control protocol's state
 * @api: slirp4netns's protocol's state (its forwards), not listening
 * @srv: the listening socket and its connections
 */
struct ctlsock {
	struct control ctl;
	struct apisock api;
	struct unixsrv srv;
};

void ctlsock_init(struct ctlsock *s, const struct control_ops *ops,
		  void *opaque, const struct apisock_ops *api_ops,
		  void *api_opaque, const struct apisock_info *info,
		  enum unet_log_level level);
int ctlsock_listen(struct ctlsock *s, uv_loop_t *loop, const char *path,
		   char *err, size_t errlen);
void ctlsock_close(struct ctlsock *s);

#endif /* USERNET_TOOLS_CTLSOCK_H */
