/* SPDX-License-Identifier: MIT */
/*
 * The VDE port: the hub plugged into a VDE switch through libvdeplug, so a
 * classic vde_switch (a directory) and the vdeplug4 URLs (vxvde://, udp://,
 * hub://, ...) work, as QEMU's `-netdev vde`.
 *
 * One URL is refused: libvdeplug 4.0.1's vxlan:// plugin. It binds the
 * VXLAN port itself (one process per host, never beside a kernel vxlan
 * device), is multicast-only, and its unicast replies to a learned peer
 * fail with EDESTADDRREQ ("Destination address required"), so a DHCP
 * exchange across it never completes. The vxlan port (vxlan.c) speaks the
 * kernel's VXLAN instead; the refusal says so. vxvde:// works, but is VDE's
 * own distributed switch (UDP port 14789), not the kernel's VXLAN: the
 * port says that once when it plugs in.
 *
 * Theory of operation: libvdeplug gives a data fd to poll for frames and,
 * for a classic switch, a control fd whose end of file means the switch went
 * away. Each wake-up takes up to VDE_READ_BUDGET frames into the hub.
 *
 * libvdeplug's calls block on the plugin's own terms (a classic switch's
 * data socket is blocking and the flags of vde_send()/vde_recv() are
 * ignored; vxvde's vde_recv() waits on an epoll fd). So: when the data fd
 * is a socket, the port makes it non-blocking and reads until EAGAIN; when
 * it is anything else, the port asks poll() with a zero timeout before each
 * vde_recv(), so a read never waits. A send that would block returns
 * -EAGAIN: the hub queues the frame (bounded) and the port flushes once the
 * data fd is writable. Plugins return 0 or 1 for a datagram they consumed
 * themselves (vxvde's control messages, its own looped-back frames): those
 * are skipped silently.
 *
 * What can go wrong: the switch goes away (end of file on the control fd,
 * or a receive error): logged once, the port stops polling and drops every
 * frame from then on (counted by the hub). libvdeplug's handle is closed
 * from the close callback of the port's last poll handle.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <libvdeplug.h>

#include <usernet/ports.h>

#include "wire/config_copy.h"
#include "link_internal.h"

/* The size of struct unet_vde_config in 0.1.0, its first release. */
#define VDE_CONFIG_SIZE_V1 UNET__CONFIG_SIZE_TO(struct unet_vde_config, mode)

/* Frames read per wake-up, so that a busy switch leaves room. */
#define VDE_READ_BUDGET 64
/* Room for the switch's URL, its port's description and the group. */
#define VDE_STR_MAX 4096

/**
 * struct vde_port - a VDE attachment
 * @port: the hub's port, embedded
 * @data_poll: polls @data_fd
 * @ctl_poll: polls @ctl_fd for the switch going away
 * @conn: libvdeplug's connection
 * @data_fd: vde_datafd()
 * @ctl_fd: vde_ctlfd(), or -1 when the plugin has none (or shares @data_fd)
 * @data_events: the events @data_poll is started with
 * @nonblocking: @data_fd is a socket made non-blocking: read until EAGAIN
 * @reading: reading is on
 * @writing: frames are queued and the port waits for @data_fd to be writable
 * @down: the switch went away: frames are dropped
 * @closing: the port is closed and waits for its handles' close callbacks
 * @handles: poll handles whose close callback is still to come
 * @rl: rate limit of the messages the switch's peers can trigger
 * @buf_len: size of @buf: the hub's longest frame plus one
 * @buf: the receive buffer
 */
struct vde_port {
	struct unet_port port;
	uv_poll_t data_poll;
	uv_poll_t ctl_poll;
	VDECONN *conn;
	int data_fd;
	int ctl_fd;
	int data_events;
	bool nonblocking;
	bool reading;
	bool writing;
	bool down;
	bool closing;
	unsigned int handles;
	struct unet__ratelimit rl;
	size_t buf_len;
	unsigned char buf[];
};

static int vde_port_send(struct unet_port *port, const void *frame,
			 size_t len);
static void vde_port_close(struct unet_port *port);

static const struct unet_port_ops vde_ops = {
	.name = "vde",
	.send = vde_port_send,
	.close = vde_port_close,
};

static void vde_data_cb(uv_poll_t *handle, int status, int events);

static void vde_update_poll(struct vde_port *vp)
{
	int events = 0;
	int r;

	if (vp->closing || vp->handles == 0)
		return;
	if (vp->reading)
		events |= UV_READABLE;
	if (vp->writing)
		events |= UV_WRITABLE;
	if (events == vp->data_events)
		return;
	if (events == 0)
		r = uv_poll_stop(&vp->data_poll);
	else
		r = uv_poll_start(&vp->data_poll, events, vde_data_cb);
	if (r < 0) {
		unet_hub_log(vp->port.hub, UNET_LOG_ERROR,
			     "vde %s: cannot poll: %s", vp->port.id,
			     uv_strerror(r));
		return;
	}
	vp->data_events = events;
}

/* The switch went away (@why): stop for good. */
static void vde_go_down(struct vde_port *vp, const char *why)
{
	if (vp->down)
		return;
	vp->down = true;
	vp->reading = false;
	vp->writing = false;
	unet_hub_log(vp->port.hub, UNET_LOG_ERROR,
		     "vde %s: %s, port down", vp->port.id, why);
	vde_update_poll(vp);
	if (vp->ctl_fd >= 0)
		uv_poll_stop(&vp->ctl_poll);
	/* What waited for the switch is dropped and counted. */
	if (!unet_port_queue_empty(&vp->port))
		unet_port_flush(&vp->port);
}

/* Whether a frame waits on a data fd that cannot be made non-blocking. */
static bool vde_readable(const struct vde_port *vp)
{
	struct pollfd pfd = { .fd = vp->data_fd, .events = POLLIN };

	return poll(&pfd, 1, 0) > 0 && (pfd.revents & POLLIN);
}

static void vde_read(struct vde_port *vp)
{
	unsigned int i;
	ssize_t n;
	size_t len;

	for (i = 0; i < VDE_READ_BUDGET; i++) {
		if (!vp->nonblocking && !vde_readable(vp))
			return;
		n = vde_recv(vp->conn, vp->buf, vp->buf_len, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			vde_go_down(vp, strerror(errno));
			return;
		}
		if (n <= 1)
			continue;	/* consumed by the plugin itself */
		len = (size_t)n;
		if (len > vp->buf_len)
			len = vp->buf_len;
		unet_hub_input(&vp->port, vp->buf, len);
		if (vp->closing || vp->port.hub == NULL || vp->down)
			return;
	}
}

static void vde_data_cb(uv_poll_t *handle, int status, int events)
{
	struct vde_port *vp = handle->data;

	if (vp->closing || vp->down)
		return;
	if (status < 0) {
		vde_go_down(vp, uv_strerror(status));
		return;
	}
	if ((events & UV_WRITABLE) && vp->writing &&
	    unet_port_flush(&vp->port) == 0 && !vp->closing) {
		vp->writing = false;
		vde_update_poll(vp);
	}
	if ((events & UV_READABLE) && vp->reading && !vp->closing)
		vde_read(vp);
}

static void vde_ctl_cb(uv_poll_t *handle, int status, int events)
{
	struct vde_port *vp = handle->data;
	char byte[64];
	ssize_t n;

	(void)events;
	if (vp->closing || vp->down)
		return;
	if (status < 0) {
		vde_go_down(vp, uv_strerror(status));
		return;
	}
	n = recv(vp->ctl_fd, byte, sizeof(byte), MSG_DONTWAIT);
	if (n == 0)
		vde_go_down(vp, "the switch closed the connection");
	else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
		 errno != EINTR)
		vde_go_down(vp, strerror(errno));
}

static int vde_port_send(struct unet_port *port, const void *frame,
			 size_t len)
{
	struct vde_port *vp = container_of(port, struct vde_port, port);
	ssize_t n;
	int err;

	if (vp->down)
		return -ENOTCONN;
	do {
		n = vde_send(vp->conn, frame, len, MSG_DONTWAIT | MSG_NOSIGNAL);
	} while (n < 0 && errno == EINTR);
	if (n >= 0)
		return 0;	/* a plugin may take less, e.g. runts */
	err = errno;
	if (err == EAGAIN || err == EWOULDBLOCK || err == ENOBUFS) {
		if (!vp->writing) {
			vp->writing = true;
			vde_update_poll(vp);
		}
		return -EAGAIN;
	}
	unet__log_limited(port->hub, &vp->rl, UNET_LOG_WARN,
			  "vde %s: send: %s", port->id, strerror(err));
	return -err;
}

static void vde_free(struct vde_port *vp)
{
	if (vp->conn != NULL)
		vde_close(vp->conn);
	free(vp);
}

static void vde_closed(uv_handle_t *handle)
{
	struct vde_port *vp = handle->data;

	if (--vp->handles == 0)
		vde_free(vp);
}

static void vde_port_close(struct unet_port *port)
{
	struct vde_port *vp = container_of(port, struct vde_port, port);

	if (vp->closing)
		return;
	unet_hub_detach(port);
	vp->closing = true;
	if (vp->handles == 0) {
		vde_free(vp);
		return;
	}
	uv_poll_stop(&vp->data_poll);
	uv_close((uv_handle_t *)&vp->data_poll, vde_closed);
	if (vp->handles > 1) {
		uv_poll_stop(&vp->ctl_poll);
		uv_close((uv_handle_t *)&vp->ctl_poll, vde_closed);
	}
}

/* Whether @sock starts with @scheme, case-insensitively (as libvdeplug). */
static bool vde_scheme(const char *sock, const char *scheme)
{
	return strncasecmp(sock, scheme, strlen(scheme)) == 0;
}

/* Make the data fd non-blocking when it is a socket; see the top. */
static void vde_setup_fds(struct vde_port *vp)
{
	struct stat st;
	int flags;

	vp->data_fd = vde_datafd(vp->conn);
	vp->ctl_fd = vde_ctlfd(vp->conn);
	if (vp->ctl_fd == vp->data_fd)
		vp->ctl_fd = -1;
	if (fstat(vp->data_fd, &st) == 0 && S_ISSOCK(st.st_mode)) {
		flags = fcntl(vp->data_fd, F_GETFL);
		if (flags >= 0 &&
		    fcntl(vp->data_fd, F_SETFL, flags | O_NONBLOCK) == 0)
			vp->nonblocking = true;
	}
}

static int vde_start(struct vde_port *vp, struct unet_hub *hub)
{
	uv_loop_t *loop = unet_hub_loop(hub);
	int r;

	if (vp->data_fd < 0)
		return -EBADF;
	r = uv_poll_init(loop, &vp->data_poll, vp->data_fd);
	if (r < 0)
		return r;
	vp->data_poll.data = vp;
	vp->handles++;
	if (vp->ctl_fd >= 0) {
		r = uv_poll_init(loop, &vp->ctl_poll, vp->ctl_fd);
		if (r < 0)
			return r;
		vp->ctl_poll.data = vp;
		vp->handles++;
		r = uv_poll_start(&vp->ctl_poll, UV_READABLE, vde_ctl_cb);
		if (r < 0)
			return r;
	}
	r = unet_hub_attach(hub, &vp->port);
	if (r < 0)
		return r;
	vp->reading = true;
	vde_update_poll(vp);
	return 0;
}

/**
 * unet_vde_config_init() - fill a VDE configuration with the defaults
 * @config: the configuration
 */
void unet_vde_config_init(struct unet_vde_config *config)
{
	memset(config, 0, sizeof(*config));
	config->size = sizeof(*config);
}

/**
 * unet_vde_open() - plug the hub into a VDE switch through libvdeplug
 * @hub: the hub to attach to
 * @id: the port's name (also the port's description on the switch)
 * @config: the switch; read during the call only (a versioned struct, see
 *          hub.h)
 * @portp: receives the port
 *
 * See the header for the behaviour.
 *
 * Return: 0, -EINVAL, -E2BIG for a &unet_vde_config.size above this
 * library's whose extra bytes are not zero, -ENOMEM, or the negative errno
 * libvdeplug left (-ENOENT or -ECONNREFUSED for no switch at @config's
 * sock).
 */
int unet_vde_open(struct unet_hub *hub, const char *id,
		  const struct unet_vde_config *config,
		  struct unet_port **portp)
{
	char sock[VDE_STR_MAX], descr[64], group[256];
	struct unet_vde_config cfg;
	struct vde_open_args args;
	struct vde_port *vp;
	size_t buf_len;
	int r;

	if (hub == NULL || config == NULL || portp == NULL)
		return -EINVAL;
	unet_vde_config_init(&cfg);
	r = unet__config_copy(&cfg, sizeof(cfg), config, config->size,
			      VDE_CONFIG_SIZE_V1);
	if (r < 0)
		return r;
	if (cfg.port > INT32_MAX ||
	    (cfg.sock != NULL && strlen(cfg.sock) >= sizeof(sock)) ||
	    (cfg.group != NULL && strlen(cfg.group) >= sizeof(group)))
		return -EINVAL;
	if (cfg.sock != NULL && vde_scheme(cfg.sock, "vxlan://")) {
		unet_hub_log(hub, UNET_LOG_ERROR,
			     "vde %s: libvdeplug's vxlan:// is not supported: its replies to a learned peer fail (Destination address required), it is multicast-only and binds the VXLAN port for one process per host. Use the vxlan port instead (usernet -netdev vxlan,vni=N,remote=HOST or group=ADDR), which speaks VXLAN as the kernel's vxlan device does",
			     id != NULL ? id : "");
		return -EPROTONOSUPPORT;
	}
	buf_len = unet_hub_frame_max(hub) + 1;
	vp = calloc(1, sizeof(*vp) + buf_len);
	if (vp == NULL)
		return -ENOMEM;
	unet_port_init(&vp->port, &vde_ops, id);
	vp->buf_len = buf_len;
	vp->data_fd = vp->ctl_fd = -1;

	/* libvdeplug takes non-const strings. */
	snprintf(sock, sizeof(sock), "%s",
		 cfg.sock != NULL ? cfg.sock : "");
	snprintf(descr, sizeof(descr), "usernet %s", vp->port.id);
	snprintf(group, sizeof(group), "%s",
		 cfg.group != NULL ? cfg.group : "");
	memset(&args, 0, sizeof(args));
	args.port = (int)cfg.port;
	args.group = group[0] != '\0' ? group : NULL;
	args.mode = (mode_t)cfg.mode;
	errno = 0;
	vp->conn = vde_open(sock[0] != '\0' ? sock : NULL, descr, &args);
	if (vp->conn == NULL) {
		r = errno != 0 ? -errno : -ECONNREFUSED;
		free(vp);
		return r;
	}
	vde_setup_fds(vp);
	r = vde_start(vp, hub);
	if (r < 0) {
		vde_port_close(&vp->port);
		return r;
	}
	unet_hub_log(hub, UNET_LOG_INFO, "vde %s: plugged into %s", vp->port.id,
		     sock[0] != '\0' ? sock : "the default switch");
	if (vde_scheme(sock, "vxvde://"))
		unet_hub_log(hub, UNET_LOG_INFO,
			     "vde %s: vxvde:// is VDE's own distributed switch (UDP port 14789) for VDE peers; it does not reach the kernel's vxlan devices (the vxlan port does)",
			     vp->port.id);
	*portp = &vp->port;
	return 0;
}
