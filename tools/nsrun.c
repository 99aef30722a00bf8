/* SPDX-License-Identifier: MIT */
/*
 * nsrun: run CMD in a new network namespace on a tap whose fd usernet keeps.
 *
 * Theory of operation: nsrun_start() makes a SOCK_SEQPACKET socketpair (the
 * control socket) and forks. The child, still single-threaded, builds its
 * world step by step:
 *
 *   1. unless it is root: a user namespace mapping uid/gid 0 to the
 *      caller's, so that it holds CAP_NET_ADMIN and CAP_SYS_ADMIN over the
 *      namespaces it creates next;
 *   2. new network and mount namespaces, all mounts made private so nothing
 *      it mounts shows in the host;
 *   3. lo up; the tap created and configured with plain ioctls (MTU, address,
 *      netmask, up, default route), no dependency on ip(8); with IPv6, the
 *      tap's sysctls set for the kernel's own SLAAC (IPv6 on, router
 *      advertisements accepted, no solicitation delay, no duplicate
 *      address detection: the gateway is the only other node);
 *   4. a resolv.conf naming the gateway's DNS (and its IPv6 DNS after it;
 *      none when the gateway has no DNS server, dns-server=off),
 *      written on a scratch tmpfs
 *      that is mounted over /tmp only for the moment it takes to bind-mount
 *      the file over /etc/resolv.conf (the bind mount keeps the tmpfs alive,
 *      and nothing is ever written to the host's /tmp);
 *   5. the tap's fd sent back with SCM_RIGHTS, then a wait for one "go" byte;
 *   6. on "go" (the hub now carries the tap, so the kernel's router
 *      solicitation is answered), with IPv6 a bounded wait for the SLAAC
 *      address (NSRUN_SLAAC_WAIT_MS; a warning, not a failure, when none
 *      comes), the open-files limit usernet started with back, and
 *      execvp(CMD).
 *
 * Every message from the child is one struct nsrun_msg: a warning (printed
 * by the parent, setup goes on), a failure (errno and the step that failed;
 * the child then exits 1) or the tap. The parent waits for the tap or a
 * failure with a bound on the time; on any failure it kills and reaps the
 * child itself, so the caller only ever reaps a child that got its tap.
 *
 * The child holds PR_SET_PDEATHSIG(SIGKILL), so neither it nor CMD outlives
 * usernet, and it exits if the control socket closes before "go". Signals are
 * blocked across fork() so that none of the parent's handlers (libuv's write
 * to the parent's own signal pipe) runs in the child; the child resets every
 * disposition to the default and unblocks everything before doing anything
 * else.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/route.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <ifaddrs.h>
#include <time.h>
#include <unistd.h>

#include "fdpass.h"
#include "netns.h"
#include "nsrun.h"

#define NSRUN_IFNAME "tap0"
#define NSRUN_ADDR "10.0.2.100"
#define NSRUN_PREFIX 24
#define NSRUN_GATEWAY "10.0.2.2"
#define NSRUN_DNS "10.0.2.3"
#define NSRUN_MTU 65520
#define NSRUN_MTU_MIN 68
#define NSRUN_MTU_MAX 65535

/* How long the parent waits for the child to hand over the tap. */
#define NSRUN_TIMEOUT_MS 10000

/* Where the scratch tmpfs for resolv.conf is mounted for a moment. */
#define NSRUN_SCRATCH "/tmp"
#define NSRUN_RESOLV "/etc/resolv.conf"

/* The byte nsrun_go() sends. */
#define NSRUN_GO 'g'

enum nsrun_msg_kind {
	NSRUN_MSG_WARN,
	NSRUN_MSG_FAIL,
	NSRUN_MSG_TAP,
	NSRUN_MSG_NUM
};

/**
 * struct nsrun_msg - one message from the child to the parent
 * @kind: an enum nsrun_msg_kind
 * @err: the errno that goes with @text, or 0
 * @text: what failed or what to warn about, NUL-terminated
 *
 * A NSRUN_MSG_TAP message carries the tap's fd as SCM_RIGHTS.
 */
struct nsrun_msg {
	int kind;
	int err;
	char text[240];
};

/**
 * struct nsrun_child - what the child needs, captured before fork()
 * @cfg: the configuration, defaults filled in
 * @ctl: the child's end of the control socket
 * @uid: the parent's effective uid, mapped to 0 in the user namespace
 * @gid: the parent's effective gid, mapped to 0 in the user namespace
 * @ppid: the parent's pid, to notice its death before PR_SET_PDEATHSIG
 */
struct nsrun_child {
	const struct nsrun_config *cfg;
	int ctl;
	uid_t uid;
	gid_t gid;
	pid_t ppid;
};

static void nsrun_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void nsrun_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* Child side. */

static void nsrun_child_send(const struct nsrun_child *c, int kind, int err,
			     int fd, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void nsrun_child_send(const struct nsrun_child *c, int kind, int err,
			     int fd, const char *fmt, ...)
{
	struct nsrun_msg msg = { .kind = kind, .err = err };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg.text, sizeof(msg.text), fmt, ap);
	va_end(ap);
	/* Nobody to tell if the parent is gone: the child just goes on to
	 * its next read of ctl, which sees the end of the socket. */
	fdpass_send(c->ctl, &msg, sizeof(msg), fd);
}

#define nsrun_child_fail(c, err, ...)                                        \
	do {                                                                 \
		nsrun_child_send(c, NSRUN_MSG_FAIL, err, -1, __VA_ARGS__);   \
		_exit(1);                                                    \
	} while (0)

#define nsrun_child_warn(c, err, ...)                                        \
	nsrun_child_send(c, NSRUN_MSG_WARN, err, -1, __VA_ARGS__)

static void nsrun_child_signals(void)
{
	struct sigaction sa = { .sa_handler = SIG_DFL };
	sigset_t none;
	int sig;

	/* Fails harmlessly for SIGKILL, SIGSTOP and the C library's own. */
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static void nsrun_child_pdeathsig(const struct nsrun_child *c)
{
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
		nsrun_child_fail(c, errno,
				 "cannot set the parent-death signal");
	if (getppid() != c->ppid)
		_exit(1);
}

static void nsrun_child_userns(const struct nsrun_child *c)
{
	const char *what;
	int ret;

	if (unshare(CLONE_NEWUSER) < 0)
		nsrun_child_fail(c, errno, "cannot create user namespace");
	ret = netns_map_ids(0, c->uid, 0, c->gid, &what);
	if (ret < 0)
		nsrun_child_fail(c, -ret, "cannot write %s", what);
}

static void nsrun_child_netns(const struct nsrun_child *c)
{
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) < 0)
		nsrun_child_fail(c, errno,
				 "cannot create network and mount namespaces");
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		nsrun_child_fail(c, errno, "cannot make mounts private");
}

static void nsrun_sockaddr(struct sockaddr *sa, struct in_addr a)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_addr = a };

	memcpy(sa, &sin, sizeof(sin));
}

static int nsrun_if_up(int sock, const char *name)
{
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, name);
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0)
		return -errno;
	return 0;
}

/*
 * The tap's IPv6 sysctls, before it is up: IPv6 on, SLAAC from router
 * advertisements, the first solicitation at once, no duplicate address
 * detection (nobody but the gateway is on the link, and it defends its
 * own addresses only). A failure is a warning: CMD runs without IPv6.
 */
static void nsrun_child_ip6(const struct nsrun_child *c, const char *name)
{
	static const struct {
		const char *key;
		const char *val;
	} set[] = {
		{ "disable_ipv6", "0\n" },
		{ "accept_ra", "1\n" },
		{ "autoconf", "1\n" },
		{ "router_solicitation_delay", "0\n" },
		{ "dad_transmits", "0\n" },
	};
	char path[128];
	size_t i;
	int ret;

	for (i = 0; i < sizeof(set) / sizeof(set[0]); i++) {
		snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/%s",
			 name, set[i].key);
		ret = netns_write_file(path, set[i].val);
		if (ret < 0) {
			nsrun_child_warn(c, -ret, "cannot set %s: no IPv6",
					 path);
			return;
		}
	}
}

/* Whether @name has a global IPv6 address (one SLAAC made). */
static bool nsrun_has_ip6(const char *name)
{
	struct ifaddrs *ifa, *i;
	const struct sockaddr_in6 *a;
	bool found = false;

	if (getifaddrs(&ifa) < 0)
		return false;
	for (i = ifa; i != NULL && !found; i = i->ifa_next) {
		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET6 ||
		    strcmp(i->ifa_name, name) != 0)
			continue;
		a = (const struct sockaddr_in6 *)i->ifa_addr;
		found = !IN6_IS_ADDR_LINKLOCAL(&a->sin6_addr);
	}
	freeifaddrs(ifa);
	return found;
}

/*
 * After "go": waits, at most NSRUN_SLAAC_WAIT_MS, for the address the
 * gateway's router advertisement makes; says so on stderr if none came.
 */
static void nsrun_child_wait_ip6(const char *name)
{
	struct timespec ten_ms = { .tv_nsec = 10000000 };
	int i;

	for (i = 0; i < NSRUN_SLAAC_WAIT_MS / 10; i++) {
		if (nsrun_has_ip6(name))
			return;
		nanosleep(&ten_ms, NULL);
	}
	fprintf(stderr,
		"usernet: warning: no IPv6 address on %s from the gateway's router advertisement within %d ms\n",
		name, NSRUN_SLAAC_WAIT_MS);
}

/* Returns the tap's fd, non-blocking; the name the kernel gave it in @name. */
static int nsrun_child_tap(const struct nsrun_child *c, char name[IFNAMSIZ])
{
	const struct nsrun_config *cfg = c->cfg;
	char gw[INET_ADDRSTRLEN], addr[INET_ADDRSTRLEN];
	struct in_addr mask, any = { .s_addr = INADDR_ANY };
	struct rtentry rt;
	struct ifreq ifr;
	int sock, tap, ret;

	inet_ntop(AF_INET, &cfg->addr, addr, sizeof(addr));
	inet_ntop(AF_INET, &cfg->gateway, gw, sizeof(gw));

	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		nsrun_child_fail(c, errno, "cannot create a socket");

	ret = nsrun_if_up(sock, "lo");
	if (ret < 0)
		nsrun_child_fail(c, -ret, "cannot bring lo up");

	tap = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (tap < 0)
		nsrun_child_fail(c, errno, "cannot open /dev/net/tun");

	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, cfg->ifname);
	/*
	 * With a vnet header the port asks for offloads when it adopts the
	 * fd (hub/tap.c): the kernel turns TSO and checksum offload on for
	 * the tap, and CMD's TCP hands over 64 KiB segments at any MTU.
	 */
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (cfg->vnet_hdr)
		ifr.ifr_flags |= IFF_VNET_HDR;
	if (ioctl(tap, TUNSETIFF, &ifr) < 0)
		nsrun_child_fail(c, errno, "cannot create tap %s", cfg->ifname);
	/* The kernel may have expanded a "%d" in the name. */
	memcpy(name, ifr.ifr_name, IFNAMSIZ);
	name[IFNAMSIZ - 1] = '\0';

	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, name);
	ifr.ifr_mtu = (int)cfg->mtu;
	if (ioctl(sock, SIOCSIFMTU, &ifr) < 0)
		nsrun_child_fail(c, errno, "cannot set MTU %u on %s", cfg->mtu,
				 name);

	if (cfg->ipv6)
		nsrun_child_ip6(c, name);
	if (cfg->no_ipv4) {
		ret = nsrun_if_up(sock, name);
		if (ret < 0)
			nsrun_child_fail(c, -ret, "cannot bring %s up", name);
		close(sock);
		return tap;
	}
	nsrun_sockaddr(&ifr.ifr_addr, cfg->addr);
	if (ioctl(sock, SIOCSIFADDR, &ifr) < 0)
		nsrun_child_fail(c, errno, "cannot set address %s on %s", addr,
				 name);

	mask.s_addr = htonl(cfg->prefix ? ~0u << (32 - cfg->prefix) : 0);
	nsrun_sockaddr(&ifr.ifr_netmask, mask);
	if (ioctl(sock, SIOCSIFNETMASK, &ifr) < 0)
		nsrun_child_fail(c, errno, "cannot set netmask /%u on %s",
				 cfg->prefix, name);

	ret = nsrun_if_up(sock, name);
	if (ret < 0)
		nsrun_child_fail(c, -ret, "cannot bring %s up", name);

	memset(&rt, 0, sizeof(rt));
	nsrun_sockaddr(&rt.rt_dst, any);
	nsrun_sockaddr(&rt.rt_genmask, any);
	nsrun_sockaddr(&rt.rt_gateway, cfg->gateway);
	rt.rt_flags = RTF_UP | RTF_GATEWAY;
	rt.rt_dev = name;
	if (ioctl(sock, SIOCADDRT, &rt) < 0)
		nsrun_child_fail(c, errno,
				 "cannot add default route via %s on %s", gw,
				 name);

	close(sock);
	return tap;
}

/* Failures here are warnings: CMD still runs, with the host's resolv.conf. */
static void nsrun_child_resolv(const struct nsrun_child *c)
{
	char dns[INET6_ADDRSTRLEN], text[128];
	const char *file = NSRUN_SCRATCH "/resolv.conf";
	size_t used = 0;
	struct stat st;
	int ret;

	if (stat(NSRUN_RESOLV, &st) < 0) {
		if (errno == ENOENT && lstat(NSRUN_RESOLV, &st) == 0)
			nsrun_child_warn(c, 0, "%s is a dangling symlink; "
					 "CMD has no nameserver", NSRUN_RESOLV);
		else
			nsrun_child_warn(c, errno, "cannot use %s",
					 NSRUN_RESOLV);
		return;
	}

	if (mount("tmpfs", NSRUN_SCRATCH, "tmpfs", MS_NOSUID | MS_NODEV |
		  MS_NOEXEC, "mode=0755,size=16k") < 0) {
		nsrun_child_warn(c, errno, "cannot mount a tmpfs for %s",
				 NSRUN_RESOLV);
		return;
	}

	text[0] = '\0';
	if (!c->cfg->no_ipv4) {
		inet_ntop(AF_INET, &c->cfg->dns, dns, sizeof(dns));
		used = (size_t)snprintf(text, sizeof(text), "nameserver %s\n",
					dns);
	}
	if (c->cfg->ipv6) {
		inet_ntop(AF_INET6, &c->cfg->dns6, dns, sizeof(dns));
		snprintf(text + used, sizeof(text) - used, "nameserver %s\n",
			 dns);
	}
	ret = open(file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (ret >= 0) {
		close(ret);
		ret = netns_write_file(file, text);
		if (ret < 0)
			nsrun_child_warn(c, -ret, "cannot write %s", file);
	} else {
		nsrun_child_warn(c, errno, "cannot create %s", file);
	}

	if (ret >= 0 && mount(file, NSRUN_RESOLV, NULL, MS_BIND, NULL) < 0)
		nsrun_child_warn(c, errno, "cannot bind-mount a resolv.conf "
				 "over %s", NSRUN_RESOLV);

	/* The bind mount, if any, keeps the tmpfs alive. */
	if (umount2(NSRUN_SCRATCH, MNT_DETACH) < 0)
		nsrun_child_warn(c, errno, "cannot unmount the scratch tmpfs "
				 "on %s", NSRUN_SCRATCH);
}

static void __attribute__((noreturn)) nsrun_child(const struct nsrun_child *c)
{
	char name[IFNAMSIZ], go;
	ssize_t n;
	int tap;

	nsrun_child_signals();
	nsrun_child_pdeathsig(c);

	if (c->uid != 0) {
		nsrun_child_userns(c);
		/* New credentials: make sure the death signal survived. */
		nsrun_child_pdeathsig(c);
	}
	nsrun_child_netns(c);
	tap = nsrun_child_tap(c, name);
	if (!c->cfg->no_dns)
		nsrun_child_resolv(c);

	nsrun_child_send(c, NSRUN_MSG_TAP, 0, tap, "%s", name);
	close(tap);

	do
		n = read(c->ctl, &go, 1);
	while (n < 0 && errno == EINTR);
	if (n != 1 || go != NSRUN_GO)
		_exit(1);
	close(c->ctl);
	if (c->cfg->ipv6)
		nsrun_child_wait_ip6(name);

	if (c->cfg->nofile.rlim_cur != 0)
		setrlimit(RLIMIT_NOFILE, &c->cfg->nofile);
	execvp(c->cfg->argv[0], c->cfg->argv);
	n = errno;
	fprintf(stderr, "usernet: %s: %s\n", c->cfg->argv[0], strerror((int)n));
	_exit(n == EACCES ? 126 : 127);
}

/* Parent side. */

static int nsrun_reap(pid_t pid, int *wstatus)
{
	pid_t r;

	do
		r = waitpid(pid, wstatus, 0);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

static void nsrun_describe_exit(struct nsrun *ns, char *err, size_t errlen)
{
	int wstatus;

	if (nsrun_reap(ns->pid, &wstatus) < 0) {
		nsrun_errf(err, errlen, "the namespace helper vanished");
	} else if (WIFSIGNALED(wstatus)) {
		nsrun_errf(err, errlen,
			   "the namespace helper was killed by signal %d (%s)",
			   WTERMSIG(wstatus), strsignal(WTERMSIG(wstatus)));
	} else {
		nsrun_errf(err, errlen,
			   "the namespace helper exited with status %d",
			   WEXITSTATUS(wstatus));
	}
	ns->pid = 0;
}

static int64_t nsrun_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Reads one message; *fd gets the fd it carried, or -1. */
static ssize_t nsrun_recv(int ctl, struct nsrun_msg *msg, int *fd)
{
	int ret = fdpass_recv(ctl, msg, sizeof(*msg), fd);

	if (ret == -EPIPE)
		return 0;
	if (ret < 0)
		return ret;
	msg->text[sizeof(msg->text) - 1] = '\0';
	return (ssize_t)sizeof(*msg);
}

static int nsrun_wait_tap(struct nsrun *ns, char *err, size_t errlen)
{
	int64_t deadline = nsrun_now_ms() + NSRUN_TIMEOUT_MS, left;
	struct pollfd pfd = { .fd = ns->ctl_fd, .events = POLLIN };
	struct nsrun_msg msg;
	ssize_t n;
	int fd, ret;

	for (;;) {
		left = deadline - nsrun_now_ms();
		if (left <= 0) {
			nsrun_errf(err, errlen, "the namespace helper did not "
				   "answer within %d ms", NSRUN_TIMEOUT_MS);
			return -ETIMEDOUT;
		}
		ret = poll(&pfd, 1, (int)left);
		if (ret < 0 && errno == EINTR)
			continue;
		if (ret < 0) {
			ret = -errno;
			nsrun_errf(err, errlen, "cannot wait for the namespace "
				   "helper: %s", strerror(-ret));
			return ret;
		}
		if (ret == 0)
			continue;

		n = nsrun_recv(ns->ctl_fd, &msg, &fd);
		if (n == 0) {
			nsrun_describe_exit(ns, err, errlen);
			return -EIO;
		}
		if (n < 0) {
			nsrun_errf(err, errlen,
				   "cannot read from the namespace helper: %s",
				   strerror((int)-n));
			return (int)n;
		}

		switch (msg.kind) {
		case NSRUN_MSG_WARN:
			if (fd >= 0)
				close(fd);
			if (msg.err)
				fprintf(stderr, "usernet: warning: %s: %s\n",
					msg.text, strerror(msg.err));
			else
				fprintf(stderr, "usernet: warning: %s\n",
					msg.text);
			break;
		case NSRUN_MSG_FAIL:
			if (fd >= 0)
				close(fd);
			ret = msg.err > 0 ? msg.err : EIO;
			nsrun_errf(err, errlen, "%s: %s", msg.text,
				   strerror(ret));
			return -ret;
		case NSRUN_MSG_TAP:
			if (fd < 0) {
				nsrun_errf(err, errlen, "the namespace helper "
					   "sent no tap");
				return -EPROTO;
			}
			ns->tap_fd = fd;
			return 0;
		default:
			if (fd >= 0)
				close(fd);
			nsrun_errf(err, errlen,
				   "bad message from the namespace helper");
			return -EPROTO;
		}
	}
}

/**
 * nsrun_start() - fork CMD's child and build its network namespace
 * @cfg: what to build; see struct nsrun_config for defaults
 * @ns: filled in: @ns->pid, @ns->tap_fd and the private @ns->ctl_fd
 * @err: gets a one-line message (no trailing newline) on failure; may be NULL
 * @errlen: size of @err
 *
 * The child creates a user namespace unless usernet runs as root, then
 * network and mount namespaces, lo, the tap (address, netmask, MTU, default
 * route) and a resolv.conf naming @cfg->dns, hands the tap's fd back and
 * waits for nsrun_go(). Problems that do not stop CMD from running (no
 * resolv.conf) are printed to stderr as "usernet: warning: ...". Blocks for
 * at most 10 seconds. Signals are blocked in the calling thread for the time
 * of the fork().
 *
 * Return: 0 with @ns->pid and @ns->tap_fd set; the caller must then call
 * nsrun_go() (or nsrun_abort()) and reap @ns->pid. Or a negative errno with
 * the message in @err (e.g. "cannot open /dev/net/tun: Permission denied"),
 * the child already reaped and nothing left open.
 */
int nsrun_start(const struct nsrun_config *cfg, struct nsrun *ns, char *err,
		size_t errlen)
{
	struct nsrun_config c;
	struct nsrun_child child;
	sigset_t all, old;
	int sv[2], ret;
	pid_t pid;

	ns->pid = 0;
	ns->tap_fd = -1;
	ns->ctl_fd = -1;
	nsrun_errf(err, errlen, "no error");

	if (!cfg || !cfg->argv || !cfg->argv[0]) {
		nsrun_errf(err, errlen, "no command to run");
		return -EINVAL;
	}
	c = *cfg;
	if (!c.ifname)
		c.ifname = NSRUN_IFNAME;
	if (!c.addr.s_addr)
		inet_pton(AF_INET, NSRUN_ADDR, &c.addr);
	if (!c.prefix)
		c.prefix = NSRUN_PREFIX;
	if (!c.gateway.s_addr)
		inet_pton(AF_INET, NSRUN_GATEWAY, &c.gateway);
	if (!c.dns.s_addr)
		inet_pton(AF_INET, NSRUN_DNS, &c.dns);
	if (!c.mtu)
		c.mtu = NSRUN_MTU;

	if (!c.ifname[0] || strlen(c.ifname) >= IFNAMSIZ) {
		nsrun_errf(err, errlen, "bad interface name \"%s\": 1 to %d "
			   "characters", c.ifname, IFNAMSIZ - 1);
		return -EINVAL;
	}
	if (c.prefix > 32) {
		nsrun_errf(err, errlen, "bad prefix length %u", c.prefix);
		return -EINVAL;
	}
	if (c.mtu < NSRUN_MTU_MIN || c.mtu > NSRUN_MTU_MAX) {
		nsrun_errf(err, errlen, "bad MTU %u: %d to %d", c.mtu,
			   NSRUN_MTU_MIN, NSRUN_MTU_MAX);
		return -EINVAL;
	}

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		ret = -errno;
		nsrun_errf(err, errlen, "cannot create a socket pair: %s",
			   strerror(-ret));
		return ret;
	}

	child = (struct nsrun_child){
		.cfg = &c,
		.ctl = sv[1],
		.uid = geteuid(),
		.gid = getegid(),
		.ppid = getpid(),
	};

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		nsrun_child(&child);
	}
	ret = pid < 0 ? -errno : 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	close(sv[1]);

	if (pid < 0) {
		close(sv[0]);
		nsrun_errf(err, errlen, "cannot fork: %s", strerror(-ret));
		return ret;
	}

	ns->pid = pid;
	ns->ctl_fd = sv[0];
	ret = nsrun_wait_tap(ns, err, errlen);
	if (ret < 0)
		nsrun_abort(ns);
	return ret;
}

/**
 * nsrun_go() - let the child exec CMD
 * @ns: a namespace nsrun_start() built
 *
 * Call once @ns->tap_fd is on the hub, so that no early frame from CMD is
 * lost. Closes the control socket whatever happens; if the child is gone,
 * the caller learns how from waitpid().
 *
 * Return: 0, -EBADF if already called, or another negative errno (-EPIPE:
 * the child died).
 */
int nsrun_go(struct nsrun *ns)
{
	char go = NSRUN_GO;
	ssize_t n;
	int ret = 0;

	if (ns->ctl_fd < 0)
		return -EBADF;
	do
		n = send(ns->ctl_fd, &go, 1, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		ret = -errno;
	close(ns->ctl_fd);
	ns->ctl_fd = -1;
	return ret;
}

/**
 * nsrun_abort() - give up on a child before nsrun_go()
 * @ns: a namespace nsrun_start() built
 *
 * For a caller that fails between nsrun_start() and nsrun_go(): closes the
 * control socket, so CMD never runs, kills the child with SIGKILL and reaps
 * it, setting @ns->pid to 0. Leaves @ns->tap_fd to the caller. Safe to call
 * more than once.
 */
void nsrun_abort(struct nsrun *ns)
{
	if (ns->ctl_fd >= 0) {
		close(ns->ctl_fd);
		ns->ctl_fd = -1;
	}
	if (ns->pid > 0) {
		/* Not reaped yet, so the pid cannot have been reused. */
		kill(ns->pid, SIGKILL);
		nsrun_reap(ns->pid, NULL);
		ns->pid = 0;
	}
}

/**
 * nsrun_kill() - forward a signal to the child
 * @ns: a namespace nsrun_start() built
 * @sig: the signal
 *
 * Sends @sig to @ns->pid only (not its process group). Does nothing once the
 * caller reaped the child and set @ns->pid to 0.
 */
void nsrun_kill(struct nsrun *ns, int sig)
{
	if (ns->pid > 0)
		kill(ns->pid, sig);
}

/**
 * nsrun_status_to_exit() - the exit code a shell would give for a status
 * @wstatus: a status from waitpid()
 *
 * Return: WEXITSTATUS() for a normal exit, 128 + the signal number for a
 * death by signal, 1 for anything else.
 */
int nsrun_status_to_exit(int wstatus)
{
	if (WIFEXITED(wstatus))
		return WEXITSTATUS(wstatus);
	if (WIFSIGNALED(wstatus))
		return 128 + WTERMSIG(wstatus);
	return 1;
}
