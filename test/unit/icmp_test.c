/* SPDX-License-Identifier: MIT */
/*
 * Unit tests of the proxy's ICMP echo. A test port on the hub plays the
 * guest (10.0.2.15); the host's kernel answers the pings the proxy sends
 * through its unprivileged ICMP sockets:
 *
 *   capture port (guest) --- hub --- stack + proxy --- ping socket
 *     10.0.2.15                       198.51.100.7 ==> kernel (lo:1)
 *
 * Pings need an address outside the virtual net that the kernel answers and
 * ping sockets allowed for our group. When it can (as root), the test moves
 * itself into a network namespace of its own, with lo up, 198.51.100.7 on
 * it and net.ipv4.ping_group_range opened there: the host's own setting is
 * never touched. Otherwise it uses the host as it is: a non-loopback
 * address of this machine, and the host's ping_group_range; tests that need
 * what is missing are skipped, saying why.
 *
 * Covered: echo to the gateway is still lwIP's; malformed and non-echo ICMP
 * to the outside is dropped and counted; restrict; the round trip with the
 * guest's id, sequence and payload; one flow per (id, address); the flow
 * limit; idle expiry; and a host that refuses ping sockets (logged once).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <usernet/hub.h>
#include <usernet/proxy.h>
#include <usernet/stack.h>

#include "testnet.h"

#define CAP_MAX 32
#define PING_RANGE "/proc/sys/net/ipv4/ping_group_range"
#define NETNS_ADDR "198.51.100.7"
#define NETNS_ADDR6 "2001:db8::77"

/* What the environment allows; found once in main(). */
static struct {
	bool netns;		/* in our own namespace: sysctl is ours */
	bool ping_ok;		/* ping sockets allowed, @target answers */
	uint32_t target;	/* an address the kernel answers */
	bool ping6_ok; /* NETNS_ADDR6 answers ICMPv6 echo too */
	char why[160];		/* why @ping_ok is false */
} env;

struct fixture {
	uv_loop_t loop;
	struct unet_hub *hub;
	struct unet_stack *stack;
	struct unet_proxy *proxy;
	struct tn_capture cap;
	int warnings;		/* warnings naming ping_group_range */
};

/* Builds an ICMP frame (type @type, echo id and sequence); returns its size. */
static size_t icmp_frame(uint8_t *buf, uint32_t dst, uint8_t type,
			 uint16_t id, uint16_t seq, size_t payload)
{
	uint8_t *iph = buf + 14, *icmp = buf + 34;
	uint32_t src = tn_ip("10.0.2.15");
	size_t iplen = 20 + 8 + payload, i;

	memcpy(buf, tn_gw_mac, 6);
	memcpy(buf + 6, tn_guest_mac, 6);
	buf[12] = 0x08;
	buf[13] = 0x00;
	memset(iph, 0, 20);
	iph[0] = 0x45;
	tn_put16(iph + 2, (uint16_t)iplen);
	tn_put16(iph + 4, seq);
	iph[8] = 64;
	iph[9] = 1;
	memcpy(iph + 12, &src, 4);
	memcpy(iph + 16, &dst, 4);
	tn_put16(iph + 10, tn_csum(iph, 20));
	memset(icmp, 0, 8);
	icmp[0] = type;
	tn_put16(icmp + 4, id);
	tn_put16(icmp + 6, seq);
	for (i = 0; i < payload; i++)
		icmp[8 + i] = (uint8_t)(i * 13 + seq);
	tn_put16(icmp + 2, tn_csum(icmp, 8 + payload));
	return 14 + iplen;
}

static void ping(struct fixture *f, uint32_t dst, uint16_t id, uint16_t seq,
		 size_t payload)
{
	static uint8_t buf[14 + 20 + 8 + 8192];
	size_t n;

	assert_true(payload <= 8192);
	n = icmp_frame(buf, dst, 8, id, seq, payload);
	assert_int_equal(unet_hub_input(&f->cap.port, buf, n), 0);
}

static void log_cb(void *opaque, enum unet_log_level level, const char *msg)
{
	struct fixture *f = opaque;

	if (level == UNET_LOG_WARN && strstr(msg, "ping_group_range") != NULL)
		f->warnings++;
}

/* Makes the hub, stack and proxy, and teaches the gateway the guest's MAC. */
static void start(struct fixture *f, const struct unet_proxy_config *pcfg)
{
	struct unet_hub_config hc;

	unet_hub_config_init(&hc);
	hc.log_cb = log_cb;
	hc.log_opaque = f;
	hc.log_level = UNET_LOG_INFO;
	assert_int_equal(unet_hub_new(&f->loop, &hc, &f->hub), 0);
	tn_capture_init(&f->cap, tn_keep_ipv4, CAP_MAX);
	tn_capture_attach(&f->cap, f->hub);
	assert_int_equal(unet_stack_new(f->hub, "user", NULL, &f->stack), 0);
	assert_int_equal(unet_proxy_new(f->stack, pcfg, &f->proxy), 0);

	tn_learn_guest(&f->cap);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(uv_loop_init(&f->loop), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	unet_proxy_close(f->proxy);
	unet_hub_close(f->hub);
	uv_run(&f->loop, UV_RUN_DEFAULT);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	tn_capture_reset(&f->cap);
	free(f);
	return 0;
}

/* Checks that frame @i is an echo reply from @src with id, seq, payload. */
static void assert_echo_reply(struct fixture *f, int i, uint32_t src,
			      uint16_t id, uint16_t seq, size_t payload)
{
	const uint8_t *r = f->cap.data[i], *icmp = r + 34;
	uint32_t g = tn_ip("10.0.2.15");
	size_t k;

	assert_true(i < f->cap.frames);
	assert_int_equal(f->cap.len[i], 14 + 20 + 8 + payload);
	assert_memory_equal(r, tn_guest_mac, 6);
	assert_int_equal(r[23], 1);
	assert_memory_equal(r + 26, &src, 4);
	assert_memory_equal(r + 30, &g, 4);
	assert_int_equal(tn_csum(r + 14, 20), 0);
	assert_int_equal(tn_get16(r + 16), 20 + 8 + payload);
	assert_int_equal(icmp[0], 0);
	assert_int_equal(icmp[1], 0);
	assert_int_equal(tn_get16(icmp + 4), id);
	assert_int_equal(tn_get16(icmp + 6), seq);
	assert_int_equal(tn_csum(icmp, 8 + payload), 0);
	for (k = 0; k < payload; k++)
		assert_int_equal(icmp[8 + k], (uint8_t)(k * 13 + seq));
}

static bool replies1(void *arg)
{
	struct fixture *f = arg;
	return f->cap.frames >= 1;
}

static bool replies2(void *arg)
{
	struct fixture *f = arg;
	return f->cap.frames >= 2;
}

static bool replies3(void *arg)
{
	struct fixture *f = arg;
	return f->cap.frames >= 3;
}

static void need_ping(void)
{
	if (!env.ping_ok) {
		print_message("skipped: %s\n", env.why);
		skip();
	}
}

/* Echo to the gateway's addresses is answered by lwIP at once, not proxied. */
static void test_icmp_gateway_is_lwip(void **state)
{
	struct fixture *f = *state;

	start(f, NULL);
	ping(f, tn_ip("10.0.2.2"), 0x1234, 1, 56);
	ping(f, tn_ip("10.0.2.3"), 0x1234, 2, 56);
	assert_int_equal(f->cap.frames, 2);
	assert_echo_reply(f, 0, tn_ip("10.0.2.2"), 0x1234, 1, 56);
	assert_echo_reply(f, 1, tn_ip("10.0.2.3"), 0x1234, 2, 56);
	assert_int_equal(tn_proxy_flows(f->proxy, NULL), 0);
	assert_int_equal(tn_proxy_stats(f->proxy).icmp_opened, 0);
	assert_int_equal(tn_proxy_stats(f->proxy).dropped, 0);
}

/* Malformed or non-echo ICMP to the outside: dropped and counted. */
static void test_icmp_malformed(void **state)
{
	struct fixture *f = *state;
	uint32_t dst = tn_ip(NETNS_ADDR);
	uint8_t buf[128];
	size_t n;
	int dropped = 0;

	start(f, NULL);
	/* bad checksum */
	n = icmp_frame(buf, dst, 8, 1, 1, 32);
	buf[34 + 8] ^= 0xff;
	unet_hub_input(&f->cap.port, buf, n);
	assert_int_equal(tn_proxy_stats(f->proxy).dropped, ++dropped);
	/* ICMP cut to 4 and to 0 bytes (IP length says so) */
	n = icmp_frame(buf, dst, 8, 1, 2, 32);
	tn_put16(buf + 16, 20 + 4);
	tn_put16(buf + 24, 0);
	tn_put16(buf + 24, tn_csum(buf + 14, 20));
	unet_hub_input(&f->cap.port, buf, 14 + 20 + 4);
	assert_int_equal(tn_proxy_stats(f->proxy).dropped, ++dropped);
	tn_put16(buf + 16, 20);
	tn_put16(buf + 24, 0);
	tn_put16(buf + 24, tn_csum(buf + 14, 20));
	unet_hub_input(&f->cap.port, buf, 14 + 20);
	assert_int_equal(tn_proxy_stats(f->proxy).dropped, ++dropped);
	/* not an echo request: timestamp, echo reply, echo with code 1 */
	n = icmp_frame(buf, dst, 13, 1, 3, 12);
	unet_hub_input(&f->cap.port, buf, n);
	assert_int_equal(tn_proxy_stats(f->proxy).dropped, ++dropped);
	n = icmp_frame(buf, dst, 0, 1, 4, 12);
	unet_hub_input(&f->cap.port, buf, n);
	assert_int_equal(tn_proxy_stats(f->proxy).dropped, ++dropped);
	n = icmp_frame(buf, dst, 8, 1, 5, 12);
	buf[35] = 1;
	tn_put16(buf + 36, 0);
	tn_put16(buf + 36, tn_csum(buf + 34, 8 + 12));
	unet_hub_input(&f->cap.port, buf, n);
	assert_int_equal(tn_proxy_stats(f->proxy).dropped, ++dropped);

	tn_run_for(&f->loop, 20);
	assert_int_equal(f->cap.frames, 0);
	assert_int_equal(tn_proxy_flows(f->proxy, NULL), 0);
	assert_int_equal(tn_proxy_stats(f->proxy).icmp_opened, 0);
}

static void test_icmp_restrict(void **state)
{
	struct fixture *f = *state;
	struct unet_proxy_config pc;

	unet_proxy_config_init(&pc);
	pc.restrict_guest = true;
	start(f, &pc);
	ping(f, tn_ip(NETNS_ADDR), 1, 1, 8);
	tn_run_for(&f->loop, 20);
	assert_int_equal(f->cap.frames, 0);
	assert_int_equal(tn_proxy_flows(f->proxy, NULL), 0);
	assert_int_equal(tn_proxy_stats(f->proxy).refused_policy, 1);
	assert_int_equal(tn_proxy_stats(f->proxy).icmp_opened, 0);
	/* the gateway still answers */
	ping(f, tn_ip("10.0.2.2"), 1, 2, 8);
	assert_int_equal(f->cap.frames, 1);
}

static void test_icmp_echo(void **state)
{
	struct fixture *f = *state;
	struct unet_flow_info info;

	need_ping();
	start(f, NULL);
	ping(f, env.target, 0xbeef, 7, 56);
	assert_int_equal(tn_proxy_flows(f->proxy, &info), 1);
	assert_true(tn_run_until(&f->loop, replies1, f, 5000));
	assert_echo_reply(f, 0, env.target, 0xbeef, 7, 56);
	assert_int_equal(tn_proxy_stats(f->proxy).icmp_opened, 1);

	/* the same id and address: the same flow */
	ping(f, env.target, 0xbeef, 8, 4000);
	assert_true(tn_run_until(&f->loop, replies2, f, 5000));
	assert_echo_reply(f, 1, env.target, 0xbeef, 8, 4000);
	assert_int_equal(tn_proxy_stats(f->proxy).icmp_opened, 1);
	assert_int_equal(tn_proxy_flows(f->proxy, &info), 1);
	assert_int_equal(info.proto, IPPROTO_ICMP);
	assert_int_equal(info.state, UNET_FLOW_ACTIVE);
	assert_int_equal(info.guest_addr.s_addr, tn_ip("10.0.2.15"));
	assert_int_equal(info.guest_port, 0xbeef);
	assert_int_equal(info.remote_addr.s_addr, env.target);
	assert_int_equal(info.bytes_out, 56 + 4000);
	assert_int_equal(info.bytes_in, 56 + 4000);

	/* another id: another flow */
	ping(f, env.target, 0x0001, 9, 0);
	assert_true(tn_run_until(&f->loop, replies3, f, 5000));
	assert_echo_reply(f, 2, env.target, 0x0001, 9, 0);
	assert_int_equal(tn_proxy_flows(f->proxy, NULL), 2);
	assert_int_equal(tn_proxy_stats(f->proxy).icmp_opened, 2);
	assert_int_equal(tn_proxy_stats(f->proxy).dropped, 0);
}

static void test_icmp_flow_limit(void **state)
{
	struct fixture *f = *state;
	struct unet_proxy_config pc;

	need_ping();
	unet_proxy_config_init(&pc);
	pc.max_flows = 1;
	start(f, &pc);
	ping(f, env.target, 1, 1, 8);
	ping(f, env.target, 2, 1, 8);
	assert_true(tn_run_until(&f->loop, replies1, f, 5000));
	tn_run_for(&f->loop, 50);
	assert_int_equal(f->cap.frames, 1);
	assert_int_equal(tn_proxy_flows(f->proxy, NULL), 1);
	assert_int_equal(tn_proxy_stats(f->proxy).refused_limit, 1);
	assert_int_equal(tn_proxy_stats(f->proxy).icmp_opened, 1);
}

static bool no_flows(void *arg)
{
	struct fixture *f = arg;
	return tn_proxy_flows(f->proxy, NULL) == 0;
}

static void test_icmp_idle_expiry(void **state)
{
	struct fixture *f = *state;
	struct unet_proxy_config pc;
	uint64_t t0;

	need_ping();
	unet_proxy_config_init(&pc);
	pc.icmp_timeout_ms = 200;
	start(f, &pc);
	t0 = uv_hrtime();
	ping(f, env.target, 0x77, 1, 8);
	assert_true(tn_run_until(&f->loop, replies1, f, 5000));
	assert_int_equal(tn_proxy_flows(f->proxy, NULL), 1);
	assert_true(tn_run_until(&f->loop, no_flows, f, 5000));
	assert_true((uv_hrtime() - t0) / 1000000u >= 200);
	/* Counted as an ICMP expiry, not a UDP one. */
	assert_int_equal(tn_proxy_stats(f->proxy).icmp_expired, 1);
	assert_int_equal(tn_proxy_stats(f->proxy).udp_expired, 0);
	assert_int_equal(tn_proxy_stats(f->proxy).flows, 0);
}

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	return n == (ssize_t)strlen(s) ? 0 : -EIO;
}

/* A host that refuses ping sockets: dropped, and one warning that says why. */
static void test_icmp_refused(void **state)
{
	struct fixture *f = *state;
	char range[64] = "";
	FILE *fp;

	if (env.netns) {
		assert_int_equal(write_file(PING_RANGE, "1 0"), 0);
	} else {
		fp = fopen(PING_RANGE, "r");
		if (fp != NULL) {
			if (fgets(range, sizeof(range), fp) == NULL)
				range[0] = 0;
			fclose(fp);
		}
		range[strcspn(range, "\n")] = 0;
		if (strncmp(range, "1\t0", 3) != 0 &&
		    strncmp(range, "1 0", 3) != 0) {
			print_message("skipped: ping sockets allowed on the "
				      "host (%s) and no namespace of our own\n",
				      range);
			skip();
		}
	}
	start(f, NULL);
	ping(f, tn_ip(NETNS_ADDR), 5, 1, 8);
	ping(f, tn_ip(NETNS_ADDR), 5, 2, 8);
	ping(f, tn_ip(NETNS_ADDR), 6, 1, 8);
	if (env.netns)
		assert_int_equal(write_file(PING_RANGE, "0 2147483647"), 0);
	tn_run_for(&f->loop, 20);
	assert_int_equal(f->cap.frames, 0);
	assert_int_equal(tn_proxy_flows(f->proxy, NULL), 0);
	assert_int_equal(tn_proxy_stats(f->proxy).dropped, 3);
	assert_int_equal(tn_proxy_stats(f->proxy).icmp_opened, 0);
	assert_int_equal(f->warnings, 1);
}

/*
 * A namespace of our own: lo up, NETNS_ADDR on it, ping sockets allowed
 * there. Needs CAP_SYS_ADMIN; false (and nothing changed) without.
 */
static bool env_netns(void)
{
	struct sockaddr_in *sin;
	struct ifreq ifr;
	int s;

	if (unshare(CLONE_NEWNET) < 0)
		return false;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return false;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		goto fail;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		goto fail;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo:1");
	sin = (struct sockaddr_in *)&ifr.ifr_addr;
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = tn_ip(NETNS_ADDR);
	if (ioctl(s, SIOCSIFADDR, &ifr) < 0)
		goto fail;
	close(s);
	if (write_file(PING_RANGE, "0 2147483647") < 0)
		return false;
	env.netns = true;
	env.ping_ok = true;
	env.target = tn_ip(NETNS_ADDR);
	return true;
fail:
	close(s);
	return false;
}

/* The host as it is: its ping_group_range and a non-loopback address. */
static void env_host(void)
{
	struct ifaddrs *ifa, *i;
	unsigned long lo = 1, hi = 0;
	gid_t gid = getegid();
	FILE *fp;

	fp = fopen(PING_RANGE, "r");
	if (fp == NULL || fscanf(fp, "%lu %lu", &lo, &hi) != 2) {
		snprintf(env.why, sizeof(env.why), "cannot read %s",
			 PING_RANGE);
		if (fp != NULL)
			fclose(fp);
		return;
	}
	fclose(fp);
	if (gid < lo || gid > hi) {
		snprintf(env.why, sizeof(env.why),
			 "%s is \"%lu %lu\", without our group %u, and no "
			 "namespace of our own (not root?)",
			 PING_RANGE, lo, hi, (unsigned int)gid);
		return;
	}
	if (getifaddrs(&ifa) < 0) {
		snprintf(env.why, sizeof(env.why), "getifaddrs failed");
		return;
	}
	for (i = ifa; i != NULL; i = i->ifa_next) {
		uint32_t a;

		if (i->ifa_addr == NULL || i->ifa_addr->sa_family != AF_INET ||
		    (i->ifa_flags & IFF_LOOPBACK))
			continue;
		a = ((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr;
		/* not 127/8 and not inside the guest's 10.0.2.0/24 */
		if ((ntohl(a) >> 24) == 127 ||
		    (ntohl(a) & 0xffffff00u) == 0x0a000200u)
			continue;
		env.target = a;
		env.ping_ok = true;
		break;
	}
	freeifaddrs(ifa);
	if (!env.ping_ok)
		snprintf(env.why, sizeof(env.why),
			 "no non-loopback IPv4 address on this machine");
}

/* ---- ICMPv6 echo ---------------------------------------------------------- */

/*
 * In our own namespace, 2001:db8::77 on lo as well (ioctl's in6_ifreq, as
 * ifconfig does; loopback does no duplicate address detection). False
 * when it cannot be added.
 */
static bool env_netns6(void)
{
	struct {
		struct in6_addr addr;
		uint32_t prefixlen;
		int ifindex;
	} req;
	int s;

	if (!env.netns)
		return false;
	s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return false;
	memset(&req, 0, sizeof(req));
	inet_pton(AF_INET6, NETNS_ADDR6, &req.addr);
	req.prefixlen = 128;
	req.ifindex = (int)if_nametoindex("lo");
	if (req.ifindex == 0 || ioctl(s, SIOCSIFADDR, &req) < 0) {
		close(s);
		return false;
	}
	close(s);
	return true;
}

/* An ICMPv6 echo request from fec0::15 to @dst; returns the frame's size. */
static size_t icmp6_frame(uint8_t *buf, const uint8_t *dst, uint16_t id,
			  uint16_t seq, size_t payload)
{
	uint8_t src[16], *e;
	size_t i;

	tn_ip6("fec0::15", src);
	e = buf + tn_ip6_header(buf, tn_gw_mac, src, dst, 58, 8 + payload);
	memset(e, 0, 8);
	e[0] = 128;
	tn_put16(e + 4, id);
	tn_put16(e + 6, seq);
	for (i = 0; i < payload; i++)
		e[8 + i] = (uint8_t)(i * 7 + seq);
	tn_put16(e + 2, tn_l4_csum6(src, dst, 58, e, 8 + payload));
	return 54 + 8 + payload;
}

/*
 * ping -6 through an AF_INET6 ping socket: the reply comes from the address
 * pinged, with the guest's id and a checksum over the IPv6 pseudo-header.
 */
static void test_icmp6_echo(void **state)
{
	struct fixture *f = *state;
	struct unet_flow_info info;
	uint8_t buf[256], dst[16], g[16];
	const uint8_t *r;

	if (!env.ping6_ok) {
		print_message("skipped: needs our own network namespace\n");
		skip();
	}
	start(f, NULL);
	f->cap.keep = tn_keep_ipv6;
	tn_learn_guest6(&f->cap);
	tn_ip6(NETNS_ADDR6, dst);
	tn_ip6("fec0::15", g);
	unet_hub_input(&f->cap.port, buf, icmp6_frame(buf, dst, 0x6666, 3, 40));
	assert_true(tn_run_until(&f->loop, replies1, f, 5000));
	r = f->cap.data[0];
	assert_int_equal(f->cap.len[0], 54 + 8 + 40);
	assert_int_equal(r[20], 58);
	assert_memory_equal(r + 22, dst, 16);
	assert_memory_equal(r + 38, g, 16);
	assert_int_equal(r[54], 129);
	assert_int_equal(tn_get16(r + 58), 0x6666);
	assert_int_equal(tn_get16(r + 60), 3);
	assert_int_equal(tn_l4_csum6(dst, g, 58, r + 54, 48), 0);
	assert_int_equal(r[62 + 5], (uint8_t)(5 * 7 + 3));
	assert_int_equal(tn_proxy_flows(f->proxy, &info), 1);
	assert_int_equal(info.proto, IPPROTO_ICMPV6);
	assert_int_equal(info.family, AF_INET6);
	assert_int_equal(tn_proxy_stats(f->proxy).icmp6_opened, 1);
}

/* restrict=on: no ICMPv6 echo leaves either. */
static void test_icmp6_restrict(void **state)
{
	struct fixture *f = *state;
	struct unet_proxy_config pc;
	uint8_t buf[128], dst[16];

	unet_proxy_config_init(&pc);
	pc.restrict_guest = true;
	start(f, &pc);
	f->cap.keep = tn_keep_ipv6;
	tn_learn_guest6(&f->cap);
	tn_ip6("2001:db8::99", dst);
	unet_hub_input(&f->cap.port, buf, icmp6_frame(buf, dst, 1, 1, 8));
	tn_run_for(&f->loop, 50);
	assert_int_equal(f->cap.frames, 0);
	assert_int_equal(tn_proxy_flows(f->proxy, NULL), 0);
	assert_int_equal(tn_proxy_stats(f->proxy).refused_policy, 1);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_icmp_gateway_is_lwip,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_icmp_malformed, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_icmp_restrict, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_icmp_echo, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_icmp_flow_limit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_icmp_idle_expiry, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_icmp_refused, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_icmp6_echo, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_icmp6_restrict, setup,
						teardown),
	};

	if (!env_netns())
		env_host();
	env.ping6_ok = env_netns6();
	print_message("ping environment: %s\n",
		      env.netns ? "own network namespace" :
		      env.ping_ok ? "the host's" : env.why);
	if (argc > 1)
		cmocka_set_test_filter(argv[1]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
