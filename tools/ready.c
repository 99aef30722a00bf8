// SPDX-License-Identifier: MIT
/*
 * ready: readiness, exit, pidfile and API socket of a running usernet.
 *
 * ready_start() runs last, once the network is up: it writes the pidfile,
 * opens the API socket, starts watching the exit fd and only then writes
 * "1" to the ready fd and closes it (slirp4netns's order: a supervisor that
 * saw "1" may use the API socket at once). The exit fd is polled for
 * readability and hang-up: a pipe whose write end the supervisor holds
 * fires when the supervisor closes it or dies.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "ready.h"

/**
 * ready_options_init() - no fds, no files
 * @o: the options
 */
void ready_options_init(struct ready_options *o)
{
	memset(o, 0, sizeof(*o));
	o->ready_fd = -1;
	o->exit_fd = -1;
}

/**
 * ready_parse_fd() - a file descriptor number as an option gives it
 * @s: decimal digits
 * @fd: receives the number
 *
 * Return: 0, or -EINVAL for anything but a number from 0 to INT_MAX.
 */
int ready_parse_fd(const char *s, int *fd)
{
	char *end;
	long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > INT_MAX)
		return -EINVAL;
	*fd = (int)v;
	return 0;
}

static void ready_on_exit_fd(uv_poll_t *p, int status, int events)
{
	struct ready *r = p->data;

	uv_poll_stop(p);
	if (r->on_exit != NULL)
		r->on_exit(r->data);
}

static int ready_pidfile(const char *path, char *err, size_t errlen)
{
	char text[32];
	int fd, n, r = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		r = -errno;
		snprintf(err, errlen, "--pidfile %s: %s", path, strerror(-r));
		return r;
	}
	n = snprintf(text, sizeof(text), "%d\n", (int)getpid());
	if (write(fd, text, (size_t)n) != n) {
		r = -EIO;
		snprintf(err, errlen, "--pidfile %s: cannot write it", path);
	}
	close(fd);
	return r;
}

/**
 * ready_start() - tell the supervisor the network is up, and listen to it
 * @r: the running state, filled in
 * @loop: the loop
 * @o: the options
 * @proxy: the proxy the API socket adds forwards to (NULL: no API socket);
 *	with &ready_options.control the control socket acts on that target
 * @info: the network, for the API socket
 * @on_exit: called when the exit fd fires
 * @data: passed to @on_exit
 * @err: receives a one-line message on failure
 * @errlen: size of @err
 *
 * Return: 0, or a negative errno with the reason in @err; ready_close()
 * must be called either way.
 */
int ready_start(struct ready *r, uv_loop_t *loop, const struct ready_options *o,
		struct unet_proxy *proxy, const struct apisock_info *info,
		void (*on_exit)(void *data), void *data, char *err,
		size_t errlen)
{
	ssize_t n;
	int ret;

	memset(r, 0, sizeof(*r));
	r->on_exit = on_exit;
	r->data = data;
	if (o->pidfile != NULL) {
		ret = ready_pidfile(o->pidfile, err, errlen);
		if (ret < 0)
			return ret;
		r->pidfile = o->pidfile;
	}
	if (o->api_socket != NULL && proxy != NULL && o->control != NULL) {
		ctlsock_init(&r->ctl, &control_live_ops, o->control,
			     &apisock_proxy_ops, proxy, info,
			     o->control->log_level);
		r->ctl_open = true;
		ret = ctlsock_listen(&r->ctl, loop, o->api_socket, err, errlen);
		if (ret < 0)
			return ret;
	} else if (o->api_socket != NULL && proxy != NULL) {
		apisock_init(&r->api, &apisock_proxy_ops, proxy, info);
		r->api_open = true;
		ret = apisock_listen(&r->api, loop, o->api_socket, err, errlen);
		if (ret < 0)
			return ret;
	}
	if (o->exit_fd >= 0) {
		ret = uv_poll_init(loop, &r->exit_poll, o->exit_fd);
		if (ret < 0) {
			snprintf(err, errlen, "--exit-fd %d: %s", o->exit_fd,
				 uv_strerror(ret));
			return ret;
		}
		r->exit_watching = true;
		r->exit_poll.data = r;
		uv_poll_start(&r->exit_poll, UV_READABLE | UV_DISCONNECT,
			      ready_on_exit_fd);
	}
	if (o->confine != NULL) {
		/* jansson seeds its hash on first use from /dev/urandom: now,
		 * while there is one. */
		json_object_seed(0);
		ret = o->confine(o->confine_data, err, errlen);
		if (ret < 0)
			return ret;
	}
	if (o->ready_fd >= 0) {
		do
			n = write(o->ready_fd, "1", 1);
		while (n < 0 && errno == EINTR);
		ret = n == 1 ? 0 : n < 0 ? -errno : -EIO;
		close(o->ready_fd);
		if (ret < 0) {
			snprintf(err, errlen, "--ready-fd %d: %s", o->ready_fd,
				 strerror(-ret));
			return ret;
		}
	}
	return 0;
}

/**
 * ready_close() - stop watching, close the API socket, remove the pidfile
 * @r: the running state (zeroed or ready_start()'ed); safe to call twice
 */
void ready_close(struct ready *r)
{
	if (r->exit_watching) {
		uv_close((uv_handle_t *)&r->exit_poll, NULL);
		r->exit_watching = false;
	}
	if (r->api_open) {
		apisock_close(&r->api);
		r->api_open = false;
	}
	if (r->ctl_open) {
		ctlsock_close(&r->ctl);
		r->ctl_open = false;
	}
	if (r->pidfile != NULL) {
		unlink(r->pidfile);
		r->pidfile = NULL;
	}
}
