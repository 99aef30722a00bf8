/* SPDX-License-Identifier: MIT */
/*
 * poll_loop: usernet inside a program that has its own poll() loop and its
 * own "NIC", as an emulator or a VMM with an event loop of its own has.
 *
 *   this program's tap fd --read()--> unet_cb_port_input() --+
 *                                                           hub -- gateway
 *   this program's tap fd <-write()-- callback port's rx <--+      + NAT
 *
 * The program owns the tap: it opens /dev/net/tun itself and keeps the fd
 * in its own poll set. usernet reaches the hub through the callback port
 * (<usernet/ports.h>), never through the fd. libuv, which the library runs
 * on, is driven from the same poll() with three calls and no thread:
 *
 *   uv_backend_fd()       one fd (an epoll fd) readable when libuv has work
 *   uv_backend_timeout()  how long poll() may sleep: the next timer
 *   uv_run(UV_RUN_NOWAIT) run what is ready, once per round, without sleeping
 *
 * Run it as root: ./poll_loop tap0 (SIGINT / SIGTERM: close down, exit 0).
 * The tap then gets DHCP, DNS and NAT from 10.0.2.2, as with tap_nat.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <net/if.h>
#include <sys/ioctl.h>

#include <usernet/usernet.h>

/* Frames read from the tap in one round before the others get a turn. */
#define TAP_BURST 64

/**
 * struct nic - the program's own network device
 * @fd: the tap, non-blocking
 * @blocked: a write to @fd would block; the hub queues frames for us until
 *           the fd is writable again and we call unet_port_flush()
 * @port: our callback port on the hub
 */
struct nic {
	int fd;
	bool blocked;
	struct unet_port *port;
};

static int sig_pipe[2] = { -1, -1 };

/* Signal handlers only wake the poll() up; the loop does the work. */
static void on_signal(int signum)
{
	int saved = errno;
	char c = (char)signum;
	/* A full pipe already holds a wake-up: a failed write loses nothing. */
	ssize_t n = write(sig_pipe[1], &c, 1);

	(void)n;
	errno = saved;
}

static void on_log(void *opaque, enum unet_log_level level, const char *msg)
{
	(void)opaque, (void)level;
	fprintf(stderr, "poll_loop: %s\n", msg);
}

/* Opens (creating when missing) tap @name: an fd, or a negative errno. */
static int tap_open(const char *name)
{
	struct ifreq ifr;
	int fd, r;

	if (strlen(name) >= IFNAMSIZ)
		return -ENAMETOOLONG;
	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

/* The callback port's rx: the hub has a frame for our NIC. */
static int nic_rx(void *opaque, const void *frame, size_t len)
{
	struct nic *nic = opaque;

	if (nic->blocked)
		return -EAGAIN;
	if (write(nic->fd, frame, len) >= 0)
		return 0;
	if (errno == EAGAIN || errno == EWOULDBLOCK) {
		nic->blocked = true;	/* poll for POLLOUT, then flush */
		return -EAGAIN;
	}
	return -errno;			/* the hub counts it as an error */
}

/* The tap is readable: hand up to TAP_BURST frames to the hub. */
static int nic_read(struct nic *nic)
{
	static unsigned char buf[UNET_MTU_MAX + UNET_ETH_HLEN + UNET_VLAN_HLEN];
	ssize_t n;
	int i;

	for (i = 0; i < TAP_BURST; i++) {
		n = read(nic->fd, buf, sizeof(buf));
		if (n < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -errno;
		/* A frame the hub refuses (too short, too long) is counted. */
		unet_cb_port_input(nic->port, buf, (size_t)n);
	}
	return 0;
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "poll_loop: %s: %s\n", what, strerror(-err));
	return err;
}

/* Runs until a signal or an error; returns 0 or a negative errno. */
static int run(uv_loop_t *loop, struct nic *nic)
{
	struct pollfd pfd[3];
	int r;

	for (;;) {
		pfd[0] = (struct pollfd){ .fd = nic->fd, .events = POLLIN };
		if (nic->blocked)
			pfd[0].events |= POLLOUT;
		pfd[1] = (struct pollfd){ .fd = uv_backend_fd(loop),
					  .events = POLLIN };
		pfd[2] = (struct pollfd){ .fd = sig_pipe[0], .events = POLLIN };
		if (poll(pfd, 3, uv_backend_timeout(loop)) < 0) {
			if (errno == EINTR)
				continue;
			return fail("poll", -errno);
		}
		if (pfd[2].revents != 0)
			return 0;
		if (pfd[0].revents & (POLLERR | POLLHUP | POLLNVAL))
			return fail("tap", -EIO);
		if (pfd[0].revents & POLLOUT) {
			nic->blocked = false;
			unet_port_flush(nic->port);	/* may block again */
		}
		if ((pfd[0].revents & POLLIN) && (r = nic_read(nic)) < 0)
			return fail("reading the tap", r);
		/* Timers, host sockets and closes: whatever is ready now. */
		uv_run(loop, UV_RUN_NOWAIT);
	}
}

int main(int argc, char **argv)
{
	struct nic nic = { .fd = -1 };
	struct unet_hub_config hc;
	struct unet_hub *hub = NULL;
	struct unet_stack *stack;
	struct unet_proxy *proxy = NULL;
	struct sigaction sa;
	struct pollfd wait_uv;
	uv_loop_t loop;
	int r, i;

	if (argc != 2) {
		fprintf(stderr, "usage: poll_loop IFNAME\n");
		return 2;
	}
	if (pipe(sig_pipe) < 0 || fcntl(sig_pipe[0], F_SETFL, O_NONBLOCK) < 0 ||
	    fcntl(sig_pipe[1], F_SETFL, O_NONBLOCK) < 0) {
		fail("pipe", -errno);
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);	/* host peers that go away */

	nic.fd = tap_open(argv[1]);
	if (nic.fd < 0) {
		fail(argv[1], nic.fd);
		return 1;
	}
	r = uv_loop_init(&loop);
	if (r < 0) {
		fail("uv_loop_init", r);
		return 1;
	}
	unet_hub_config_init(&hc);
	hc.log_cb = on_log;
	if ((r = unet_hub_new(&loop, &hc, &hub)) < 0 ||
	    (r = unet_cb_port_open(hub, "nic", nic_rx, &nic, &nic.port)) < 0 ||
	    (r = unet_stack_new(hub, "user", NULL, &stack)) < 0 ||
	    (r = unet_proxy_new(stack, NULL, &proxy)) < 0) {
		fail("starting usernet", r);
	} else {
		printf("poll_loop: %s is on 10.0.2.0/24\n", argv[1]);
		fflush(stdout);
		r = run(&loop, &nic);
	}

	/* Close down: the proxy first, then the hub with all its ports. The
	 * closes finish on the loop, which runs until nothing is left. */
	unet_proxy_close(proxy);
	unet_hub_close(hub);
	wait_uv = (struct pollfd){ .fd = uv_backend_fd(&loop), .events = POLLIN };
	for (i = 0; i < 500 && uv_run(&loop, UV_RUN_NOWAIT) != 0; i++)
		poll(&wait_uv, 1, 10);
	if (uv_loop_close(&loop) != 0)
		r = fail("closing the loop", -EBUSY);
	close(nic.fd);
	close(sig_pipe[0]);
	close(sig_pipe[1]);
	return r == 0 ? 0 : 1;
}
