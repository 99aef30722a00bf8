// SPDX-License-Identifier: MIT
/*
 * netns: open a tap inside an existing network namespace.
 *
 * Theory of operation: joining a user namespace cannot be undone, and
 * usernet's host sockets must stay in the host's network namespace, so the
 * work is done by a short-lived child. netns_open_tap() makes a
 * SOCK_SEQPACKET socket pair and forks; the child (single-threaded, as
 * setns(CLONE_NEWUSER) requires)
 *
 *   1. joins the user namespace (the target process's, or --userns-path),
 *      unless it is already in it: that gives it CAP_NET_ADMIN over the
 *      network namespace when usernet is not root. A failure here is only
 *      remembered (slirp4netns goes on too: root needs no user namespace);
 *      it is reported if joining the network namespace then fails;
 *   2. joins the network namespace;
 *   3. creates the tap (TUNSETIFF, IFF_TAP | IFF_NO_PI), non-blocking;
 *   4. with a struct netns_ifconfig: lo up, the tap's MTU, MAC, address and
 *      netmask, up, and a default route via the gateway, with plain ioctls;
 *   5. sends the tap's fd back with SCM_RIGHTS, or the step that failed and
 *      its errno, and exits.
 *
 * The parent never leaves its namespaces. It waits for the one message with
 * a bound on the time, then reaps the child (killing it first when it did
 * not answer). Signals are blocked across fork() so that no handler of the
 * parent's (libuv's signal pipe) runs in the child.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <net/route.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fdpass.h"
#include "netns.h"

/* How long the parent waits for the child's answer. */
#define NETNS_TIMEOUT_MS 10000

/**
 * struct netns_msg - the child's one message
 * @err: 0 with the tap's fd attached, else the errno of the failed step
 * @text: the failed step, NUL-terminated
 */
struct netns_msg {
	int err;
	char text[240];
};

static void netns_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void netns_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/**
 * netns_write_file() - write a short text to an existing file in one write
 * @path: the file (a /proc or /sys file, most often)
 * @text: what to write
 *
 * Return: 0, or a negative errno (-EIO when the write was short).
 */
int netns_write_file(const char *path, const char *text)
{
	size_t len = strlen(text);
	ssize_t n;
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (n < 0)
		ret = -errno;
	else if ((size_t)n != len)
		ret = -EIO;
	close(fd);
	return ret;
}

/**
 * netns_map_ids() - map the caller's ids in the user namespace it just made
 * @uid_in: the uid @uid is inside (0: root inside, as `run` wants)
 * @uid: the caller's uid outside
 * @gid_in: the gid @gid is inside
 * @gid: the caller's gid outside
 * @what: receives the /proc file that could not be written
 *
 * Writes "deny" to /proc/self/setgroups (older kernels have no such file
 * and need none), then one line to uid_map and one to gid_map: all an
 * unprivileged process may map.
 *
 * Return: 0, or a negative errno.
 */
int netns_map_ids(unsigned int uid_in, uid_t uid, unsigned int gid_in,
		  gid_t gid, const char **what)
{
	char map[64];
	int ret;

	*what = "/proc/self/setgroups";
	ret = netns_write_file(*what, "deny");
	if (ret < 0 && ret != -ENOENT)
		return ret;
	*what = "/proc/self/uid_map";
	snprintf(map, sizeof(map), "%u %u 1\n", uid_in, (unsigned int)uid);
	ret = netns_write_file(*what, map);
	if (ret < 0)
		return ret;
	*what = "/proc/self/gid_map";
	snprintf(map, sizeof(map), "%u %u 1\n", gid_in, (unsigned int)gid);
	return netns_write_file(*what, map);
}

/**
 * netns_parse_target() - a namespace as -netdev tap,netns= gives it
 * @s: a PID (digits only, above 0) or a path
 * @t: receives the target; @t->netns_path points into @s
 *
 * Return: 0, or -EINVAL for an empty string or a PID out of range.
 */
int netns_parse_target(const char *s, struct netns_target *t)
{
	char *end;
	long v;

	memset(t, 0, sizeof(*t));
	if (s == NULL || *s == '\0')
		return -EINVAL;
	if (strspn(s, "0123456789") != strlen(s)) {
		t->netns_path = s;
		return 0;
	}
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0 || v > INT_MAX)
		return -EINVAL;
	t->pid = (pid_t)v;
	return 0;
}

/* Child side: each failure sends the step and errno, then exits. */

static void __attribute__((noreturn))
netns_child_send(int ctl, int err, int fd, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void __attribute__((noreturn))
netns_child_send(int ctl, int err, int fd, const char *fmt, ...)
{
	struct netns_msg msg = { .err = err };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg.text, sizeof(msg.text), fmt, ap);
	va_end(ap);
	fdpass_send(ctl, &msg, sizeof(msg), fd);
	_exit(err == 0 ? 0 : 1);
}

/* True when @fd is the user namespace this process is in already. */
static bool netns_same_userns(int fd)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat("/proc/self/ns/user", &b) == 0 &&
	       a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static void netns_sin(struct sockaddr *sa, struct in_addr a)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr = a };

	memcpy(sa, &sin, sizeof(sin));
}

/* Sets @flags on interface @name; 0 or -errno. */
static int netns_if_flags(int sock, const char *name, short flags)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	ifr.ifr_flags |= flags;
	return ioctl(sock, SIOCSIFFLAGS, &ifr) < 0 ? -errno : 0;
}

/* Step 4: lo, then the tap's settings and the default route. */
static void netns_child_configure(int ctl, const char *name,
				  const struct netns_ifconfig *cfg)
{
	struct in_addr mask, any = { .s_addr = INADDR_ANY };
	char addr[INET_ADDRSTRLEN];
	struct rtentry rt;
	struct ifreq ifr;
	int sock, r;

	inet_ntop(AF_INET, &cfg->addr, addr, sizeof(addr));
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		netns_child_send(ctl, errno, -1, "cannot make a socket");
	r = netns_if_flags(sock, "lo", IFF_UP);
	if (r < 0)
		netns_child_send(ctl, -r, -1, "cannot bring lo up");

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	ifr.ifr_mtu = (int)cfg->mtu;
	if (ioctl(sock, SIOCSIFMTU, &ifr) < 0)
		netns_child_send(ctl, errno, -1, "cannot set MTU %u on %s",
				 cfg->mtu, name);
	if (cfg->set_mac) {
		ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
		memcpy(ifr.ifr_hwaddr.sa_data, cfg->mac, sizeof(cfg->mac));
		if (ioctl(sock, SIOCSIFHWADDR, &ifr) < 0)
			netns_child_send(ctl, errno, -1,
					 "cannot set the MAC address of %s",
					 name);
	}
	netns_sin(&ifr.ifr_addr, cfg->addr);
	if (ioctl(sock, SIOCSIFADDR, &ifr) < 0)
		netns_child_send(ctl, errno, -1, "cannot set address %s on %s",
				 addr, name);
	mask.s_addr = htonl(cfg->prefix ? ~0u << (32 - cfg->prefix) : 0);
	netns_sin(&ifr.ifr_netmask, mask);
	if (ioctl(sock, SIOCSIFNETMASK, &ifr) < 0)
		netns_child_send(ctl, errno, -1, "cannot set netmask /%u on %s",
				 cfg->prefix, name);
	r = netns_if_flags(sock, name, IFF_UP);
	if (r < 0)
		netns_child_send(ctl, -r, -1, "cannot bring %s up", name);

	memset(&rt, 0, sizeof(rt));
	netns_sin(&rt.rt_dst, any);
	netns_sin(&rt.rt_genmask, any);
	netns_sin(&rt.rt_gateway, cfg->gateway);
	rt.rt_flags = RTF_UP | RTF_GATEWAY;
	rt.rt_dev = (char *)name;
	if (ioctl(sock, SIOCADDRT, &rt) < 0)
		netns_child_send(ctl, errno, -1,
				 "cannot add the default route on %s", name);
	close(sock);
}

static void __attribute__((noreturn))
netns_child(int ctl, const struct netns_target *t, const char *ifname,
	    const struct netns_ifconfig *cfg, bool vnet_hdr)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	char netpath[64], userpath[64];
	const char *net = t->netns_path, *user = t->userns_path;
	int userfd = -1, netfd, tap, user_err = 0, sig;
	struct ifreq ifr;
	sigset_t none;

	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (t->pid > 0) {
		snprintf(netpath, sizeof(netpath), "/proc/%d/ns/net",
			 (int)t->pid);
		net = netpath;
		if (user == NULL) {
			snprintf(userpath, sizeof(userpath), "/proc/%d/ns/user",
				 (int)t->pid);
			user = userpath;
		}
	}
	if (user != NULL) {
		userfd = open(user, O_RDONLY | O_CLOEXEC);
		if (userfd < 0)
			netns_child_send(ctl, errno, -1, "cannot open %s",
					 user);
	}
	netfd = open(net, O_RDONLY | O_CLOEXEC);
	if (netfd < 0)
		netns_child_send(ctl, errno, -1, "cannot open %s", net);
	if (userfd >= 0 && !netns_same_userns(userfd) &&
	    setns(userfd, CLONE_NEWUSER) < 0)
		user_err = errno;
	if (setns(netfd, CLONE_NEWNET) < 0) {
		if (user_err != 0)
			netns_child_send(
				ctl, errno, -1,
				"cannot join the network namespace %s (and the user namespace %s: %s)",
				net, user, strerror(user_err));
		netns_child_send(ctl, errno, -1,
				 "cannot join the network namespace %s", net);
	}

	tap = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (tap < 0)
		netns_child_send(ctl, errno, -1, "cannot open /dev/net/tun");
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	/* the port that adopts the fd asks for offloads (hub/tap.c) */
	if (vnet_hdr)
		ifr.ifr_flags |= IFF_VNET_HDR;
	if (ioctl(tap, TUNSETIFF, &ifr) < 0)
		netns_child_send(ctl, errno, -1, "cannot create tap %s in %s",
				 ifname, net);
	if (cfg != NULL)
		netns_child_configure(ctl, ifr.ifr_name, cfg);
	netns_child_send(ctl, 0, tap, "%s", ifr.ifr_name);
}

/* Parent side. */

/**
 * netns_open_tap() - create a tap inside an existing network namespace
 * @t: the namespace (see struct netns_target)
 * @ifname: the tap's name, 1..15 characters ("%d" lets the kernel number it)
 * @cfg: what to configure on the tap and lo inside, or NULL for nothing
 * @vnet_hdr: make the tap with a virtio-net header (IFF_VNET_HDR), so that
 *            unet_tap_adopt() turns on its offloads (TSO, checksum)
 * @tap_fd: receives the tap's fd, non-blocking and close-on-exec
 * @err: receives a one-line message on failure; may be NULL
 * @errlen: size of @err
 *
 * A child process joins the user namespace when needed (see the theory of
 * operation), then the network namespace, makes the tap and hands its fd
 * back; the caller stays in its own namespaces. Blocks for at most 10 s.
 *
 * Return: 0, or a negative errno with the step that failed in @err (e.g.
 * "cannot join the network namespace /proc/42/ns/net: Operation not
 * permitted").
 */
int netns_open_tap(const struct netns_target *t, const char *ifname,
		   const struct netns_ifconfig *cfg, bool vnet_hdr, int *tap_fd,
		   char *err, size_t errlen)
{
	struct pollfd pfd;
	struct netns_msg msg;
	sigset_t all, old;
	int sv[2], r, fd;
	pid_t pid;

	*tap_fd = -1;
	if (t == NULL || (t->pid <= 0 && t->netns_path == NULL) ||
	    ifname == NULL || ifname[0] == '\0' || strlen(ifname) >= IFNAMSIZ) {
		netns_errf(err, errlen, "bad namespace or interface name");
		return -EINVAL;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		r = -errno;
		netns_errf(err, errlen, "cannot make a socket pair: %s",
			   strerror(-r));
		return r;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		netns_child(sv[1], t, ifname, cfg, vnet_hdr);
	}
	r = pid < 0 ? -errno : 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		netns_errf(err, errlen, "cannot fork: %s", strerror(-r));
		return r;
	}

	pfd = (struct pollfd){ .fd = sv[0], .events = POLLIN };
	do
		r = poll(&pfd, 1, NETNS_TIMEOUT_MS);
	while (r < 0 && errno == EINTR);
	if (r <= 0) {
		netns_errf(err, errlen, "the namespace helper did not answer");
		kill(pid, SIGKILL);
		r = -ETIMEDOUT;
	} else {
		r = fdpass_recv(sv[0], &msg, sizeof(msg), &fd);
		if (r < 0)
			netns_errf(err, errlen, "the namespace helper died: %s",
				   strerror(-r));
		else if (msg.err != 0 || fd < 0) {
			msg.text[sizeof(msg.text) - 1] = '\0';
			r = msg.err > 0 ? -msg.err : -EPROTO;
			netns_errf(err, errlen, "%s: %s", msg.text,
				   strerror(-r));
			if (fd >= 0)
				close(fd);
		} else {
			*tap_fd = fd;
		}
	}
	close(sv[0]);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
	return r;
}
