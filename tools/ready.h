/* SPDX-License-Identifier: MIT */
/*
 * ready: how a supervisor (podman, rootlesskit, a sandbox manager) drives a
 * running usernet, in both personalities: --ready-fd (usernet writes "1"
 * there once the network is up), --exit-fd (usernet exits when that fd
 * becomes readable or its other end closes), --pidfile and --api-socket.
 */
#ifndef USERNET_TOOLS_READY_H
#define USERNET_TOOLS_READY_H

#include <stdbool.h>
#include <stddef.h>

#include <uv.h>

#include <usernet/proxy.h>

#include "apisock.h"
#include "ctlsock.h"

/**
 * struct ready_options - what the supervisor asked for
 * @ready_fd: --ready-fd FD, or -1
 * @exit_fd: --exit-fd FD, or -1
 * @pidfile: --pidfile FILE, or NULL
 * @api_socket: --api-socket PATH, or NULL
 * @control: with @api_socket, what usernet's own control protocol acts on
 *	(ctlsock.h, which answers slirp4netns's requests too); NULL for
 *	slirp4netns's API socket alone (apisock.h, the slirp4netns
 *	personality)
 * @confine: called once everything above is open and before the ready fd
 *	is written (--sandbox, --seccomp); a failure is ready_start()'s, with
 *	the reason in its @err; NULL for nothing
 * @confine_data: passed to @confine
 */
struct ready_options {
	int ready_fd;
	int exit_fd;
	const char *pidfile;
	const char *api_socket;
	struct control_target *control;
	int (*confine)(void *data, char *err, size_t errlen);
	void *confine_data;
};

/**
 * struct ready - the running side of struct ready_options
 * @exit_poll: watches the exit fd
 * @exit_watching: @exit_poll is initialized
 * @on_exit: called once when the exit fd fires
 * @data: passed to @on_exit
 * @api: the API socket
 * @api_open: @api is listening (or was tried: it must be closed)
 * @ctl: the control socket (&ready_options.control set)
 * @ctl_open: @ctl is listening (or was tried: it must be closed)
 * @pidfile: the pidfile written, removed by ready_close(); NULL for none
 */
struct ready {
	uv_poll_t exit_poll;
	bool exit_watching;
	void (*on_exit)(void *data);
	void *data;
	struct apisock api;
	bool api_open;
	struct ctlsock ctl;
	bool ctl_open;
	const char *pidfile;
};

void ready_options_init(struct ready_options *o);
int ready_parse_fd(const char *s, int *fd);
int ready_start(struct ready *r, uv_loop_t *loop, const struct ready_options *o,
		struct unet_proxy *proxy, const struct apisock_info *info,
		void (*on_exit)(void *data), void *data, char *err,
		size_t errlen);
void ready_close(struct ready *r);

#endif /* USERNET_TOOLS_READY_H */
