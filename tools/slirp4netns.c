// SPDX-License-Identifier: MIT
/*
 * slirp4netns: usernet in slirp4netns's place.
 *
 * Theory of operation: s4n_parse() takes slirp4netns 1.2's command line
 * with its defaults and checks (a bad option: a message on stderr, exit
 * status 1, as slirp4netns). s4n_main() then builds what slirp4netns builds
 * with usernet's parts: a hub with the MTU, the gateway stack on the --cidr
 * network (gateway .2, DNS .3, DHCP from .15, the guest's address .100;
 * with -6 fd00::/64, gateway fd00::2, DNS fd00::3), its proxy (host
 * loopback unless --disable-host-loopback), and a tap made inside the
 * target namespace by netns_open_tap() (configured there with -c). Once
 * the tap is on the hub it prints a summary on stdout, opens the API
 * socket, watches the exit fd and writes "1" to the ready fd (ready.c).
 * SIGINT, SIGTERM and the exit fd end it with status 0.
 * --enable-sandbox and --enable-seccomp are usernet's --sandbox and
 * --seccomp (sandbox.c), entered after the API socket opens and before
 * the ready fd is written; resolv.conf stays readable.
 *
 * --outbound-addr and --outbound-addr6 take an address or, as slirp4netns
 * 1.2, an interface name whose address is taken at start
 * (s4n_outbound_addr()); the proxy binds every host socket to it and
 * checks at start that it can. --disable-dns starts no DNS forwarder.
 * The tap is made with a vnet header, so the namespace's kernel hands over
 * 64 KiB TCP segments and takes them back (offloads, hub/tap.c), unless
 * --disable-offload (usernet's own option) says not to.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <uv.h>

#include <usernet/hub.h>
#include <usernet/ports.h>
#include <usernet/proxy.h>
#include <usernet/stack.h>
#include <usernet/version.h>

#include "netns.h"
#include "ready.h"
#include "sandbox.h"
#include "slirp4netns.h"

/* The slirp4netns release whose command line and API this follows. */
#define S4N_COMPAT_VERSION "1.2.0"
#define S4N_CIDR_DEFAULT "10.0.2.0/24"
#define S4N_PREFIX_MIN 1
#define S4N_PREFIX_MAX 25

static void s4n_usage(FILE *f)
{
	fprintf(f,
		"Usage: slirp4netns [OPTION]... PID|PATH [TAPNAME]\n"
		"usernet's slirp4netns personality: a network for an unprivileged network\n"
		"namespace through a tap (default tap0) made inside it.\n"
		"\n"
		"-c, --configure          give the tap its address, MTU and default route\n"
		"-e, --exit-fd=FD         exit when FD becomes readable or is closed\n"
		"-r, --ready-fd=FD        write \"1\" to FD once the network is up\n"
		"-m, --mtu=MTU            the MTU (default=%d, max=%d; usernet: %u to %u)\n"
		"-6, --enable-ipv6        IPv6 too: fd00::/64, gateway fd00::2, DNS fd00::3\n"
		"-a, --api-socket=PATH    the JSON API socket for port forwards\n"
		"--cidr=CIDR              the network (default=%s, prefix /%d to /%d)\n"
		"--disable-host-loopback  the gateway does not reach the host's 127.0.0.1\n"
		"--netns-type=TYPE        what PID|PATH is ([path|pid], default=pid)\n"
		"--userns-path=PATH       the user namespace to join first\n"
		"--enable-sandbox         create a new mount namespace with an empty root and\n"
		"                         drop all capabilities (usernet --sandbox)\n"
		"--enable-seccomp         enable seccomp to limit syscalls: an allow-list,\n"
		"                         other calls fail with EPERM (usernet --seccomp)\n"
		"--outbound-addr=IPv4     bind host sockets to this address (or IFNAME's)\n"
		"--outbound-addr6=IPv6    bind IPv6 host sockets to this address (or IFNAME's)\n"
		"--disable-dns            no DNS forwarder on 10.0.2.3 (or --cidr's .3)\n"
		"--disable-offload        a plain tap (usernet: by default the tap has a\n"
		"                         vnet header, TSO and checksum offload on)\n"
		"--macaddress=MAC         the tap's MAC address (only with -c)\n"
		"--target-type=TYPE       what to connect ([netns], default=netns)\n"
		"-h, --help               show this help and exit\n"
		"-v, --version            show the version and exit\n",
		S4N_MTU_DEFAULT, S4N_MTU_MAX, UNET_MTU_MIN, UNET_MTU_MAX,
		S4N_CIDR_DEFAULT, S4N_PREFIX_MIN, S4N_PREFIX_MAX);
}

static void s4n_version(void)
{
	printf("slirp4netns version %s\n", S4N_COMPAT_VERSION);
	printf("usernet: %s\n", UNET_VERSION_STRING);
}

/* A.B.C.D/N with N in S4N_PREFIX_MIN..S4N_PREFIX_MAX and no host bits. */
static int s4n_parse_cidr(const char *s, struct in_addr *net,
			  struct in_addr *mask)
{
	char addr[INET_ADDRSTRLEN], *end;
	const char *slash = strchr(s, '/');
	long prefix;

	if (slash == NULL || (size_t)(slash - s) >= sizeof(addr) ||
	    slash[1] < '0' || slash[1] > '9')
		return -EINVAL;
	memcpy(addr, s, (size_t)(slash - s));
	addr[slash - s] = '\0';
	if (inet_pton(AF_INET, addr, net) != 1)
		return -EINVAL;
	errno = 0;
	prefix = strtol(slash + 1, &end, 10);
	if (errno != 0 || *end != '\0' || prefix < S4N_PREFIX_MIN ||
	    prefix > S4N_PREFIX_MAX)
		return -ERANGE;
	mask->s_addr = htonl(~0u << (32 - prefix));
	if ((net->s_addr & ~mask->s_addr) != 0)
		return -EDOM;
	return 0;
}

/* xx:xx:xx:xx:xx:xx, each one or two hex digits. */
static int s4n_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned long v;
	char *end;
	int i;

	for (i = 0; i < 6; i++) {
		if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f') ||
		      (*s >= 'A' && *s <= 'F')))
			return -EINVAL;
		v = strtoul(s, &end, 16);
		if (end - s > 2 || *end != (i == 5 ? '\0' : ':'))
			return -EINVAL;
		mac[i] = (uint8_t)v;
		s = end + (i == 5 ? 0 : 1);
	}
	return 0;
}

static int s4n_parse_int(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return -EINVAL;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

#define s4n_bad(...)                                          \
	do {                                                  \
		fprintf(stderr, "slirp4netns: " __VA_ARGS__); \
		fprintf(stderr, " (try --help)\n");           \
		return EXIT_FAILURE;                          \
	} while (0)

/*
 * The first address of @family on interface @name (for IPv6, the first
 * that is not link-local: binding one of those needs its scope), as
 * slirp4netns takes an interface's.
 */
static int s4n_ifaddr(const char *name, int family, void *addr)
{
	struct ifaddrs *list, *ifa;
	int r = -ENOENT;

	if (getifaddrs(&list) < 0)
		return -errno;
	for (ifa = list; ifa != NULL; ifa = ifa->ifa_next) {
		if (ifa->ifa_addr == NULL ||
		    ifa->ifa_addr->sa_family != family ||
		    strcmp(ifa->ifa_name, name) != 0)
			continue;
		if (family == AF_INET) {
			memcpy(addr,
			       &((struct sockaddr_in *)ifa->ifa_addr)->sin_addr,
			       sizeof(struct in_addr));
		} else {
			const struct in6_addr *a6 =
				&((struct sockaddr_in6 *)ifa->ifa_addr)
					 ->sin6_addr;

			if (IN6_IS_ADDR_LINKLOCAL(a6))
				continue;
			memcpy(addr, a6, sizeof(*a6));
		}
		r = 0;
		break;
	}
	freeifaddrs(list);
	return r;
}

/**
 * s4n_outbound_addr() - the address of --outbound-addr or --outbound-addr6
 * @arg: an address of @family, or an interface's name
 * @family: AF_INET or AF_INET6
 * @addr: receives the address (struct in_addr or struct in6_addr)
 *
 * An interface gives its first address of @family (IPv6: its first that is
 * not link-local), read now: a later change of the interface's addresses
 * is not followed, as with slirp4netns.
 *
 * Return: 0; -EINVAL for the any or a multicast address, or a name that is
 * no interface's; -ENOENT for an interface without such an address.
 */
int s4n_outbound_addr(const char *arg, int family, void *addr)
{
	struct in6_addr a6;
	struct in_addr a4;

	if (family == AF_INET && inet_pton(AF_INET, arg, &a4) == 1) {
		if (a4.s_addr == INADDR_ANY || IN_MULTICAST(ntohl(a4.s_addr)))
			return -EINVAL;
		memcpy(addr, &a4, sizeof(a4));
		return 0;
	}
	if (family == AF_INET6 && inet_pton(AF_INET6, arg, &a6) == 1) {
		if (IN6_IS_ADDR_UNSPECIFIED(&a6) || IN6_IS_ADDR_MULTICAST(&a6))
			return -EINVAL;
		memcpy(addr, &a6, sizeof(a6));
		return 0;
	}
	if (arg[0] == '\0' || strlen(arg) >= IFNAMSIZ ||
	    if_nametoindex(arg) == 0)
		return -EINVAL;
	return s4n_ifaddr(arg, family, addr);
}

/**
 * s4n_parse() - parse slirp4netns's command line
 * @argc: argument count
 * @argv: the arguments, argv[0] the program's name; GNU getopt may permute
 *	them (options after PID|PATH are taken, as slirp4netns takes them)
 * @o: receives the options; strings point into @argv
 *
 * Return: -1 to go on, or the exit status: 0 after --help or --version
 * (printed on stdout), 1 after an error (a line on stderr), as slirp4netns.
 */
int s4n_parse(int argc, char **argv, struct s4n_options *o)
{
	enum {
		OPT_CIDR = 256,
		OPT_NO_LOOPBACK,
		OPT_NETNS_TYPE,
		OPT_USERNS,
		OPT_SANDBOX,
		OPT_SECCOMP,
		OPT_OUTBOUND,
		OPT_OUTBOUND6,
		OPT_NO_DNS,
		OPT_NO_OFFLOAD,
		OPT_MAC,
		OPT_TARGET,
	};
	static const struct option longopts[] = {
		{ "configure", no_argument, NULL, 'c' },
		{ "exit-fd", required_argument, NULL, 'e' },
		{ "ready-fd", required_argument, NULL, 'r' },
		{ "mtu", required_argument, NULL, 'm' },
		{ "cidr", required_argument, NULL, OPT_CIDR },
		{ "disable-host-loopback", no_argument, NULL, OPT_NO_LOOPBACK },
		{ "no-host-loopback", no_argument, NULL, OPT_NO_LOOPBACK },
		{ "netns-type", required_argument, NULL, OPT_NETNS_TYPE },
		{ "userns-path", required_argument, NULL, OPT_USERNS },
		{ "api-socket", required_argument, NULL, 'a' },
		{ "enable-ipv6", no_argument, NULL, '6' },
		{ "enable-sandbox", no_argument, NULL, OPT_SANDBOX },
		{ "create-sandbox", no_argument, NULL, OPT_SANDBOX },
		{ "enable-seccomp", no_argument, NULL, OPT_SECCOMP },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'v' },
		{ "outbound-addr", required_argument, NULL, OPT_OUTBOUND },
		{ "outbound-addr6", required_argument, NULL, OPT_OUTBOUND6 },
		{ "disable-dns", no_argument, NULL, OPT_NO_DNS },
		{ "disable-offload", no_argument, NULL, OPT_NO_OFFLOAD },
		{ "macaddress", required_argument, NULL, OPT_MAC },
		{ "target-type", required_argument, NULL, OPT_TARGET },
		{ NULL, 0, NULL, 0 },
	};
	const char *cidr = S4N_CIDR_DEFAULT, *mac = NULL;
	bool path = false;
	long v;
	int c, r;

	memset(o, 0, sizeof(*o));
	o->exit_fd = -1;
	o->ready_fd = -1;
	o->mtu = S4N_MTU_DEFAULT;
	o->tapname = "tap0";
	opterr = 0;
	/* 0, not 1: GNU getopt's full reset, for a second parse in a test. */
	optind = 0;
	while ((c = getopt_long(argc, argv, ":ce:r:m:a:6hv", longopts, NULL)) !=
	       -1) {
		switch (c) {
		case 'c':
			o->configure = true;
			break;
		case 'e':
		case 'r':
			if (ready_parse_fd(optarg, c == 'e' ? &o->exit_fd :
							      &o->ready_fd) < 0)
				s4n_bad("--%s-fd %s: not a file descriptor number",
					c == 'e' ? "exit" : "ready", optarg);
			break;
		case 'm':
			if (s4n_parse_int(optarg, 1, S4N_MTU_MAX, &v) < 0)
				s4n_bad("--mtu %s: not a number from 1 to %d",
					optarg, S4N_MTU_MAX);
			if (v < UNET_MTU_MIN || v > UNET_MTU_MAX)
				s4n_bad("--mtu %s: usernet takes %u to %u",
					optarg, UNET_MTU_MIN, UNET_MTU_MAX);
			o->mtu = (unsigned int)v;
			break;
		case OPT_CIDR:
			cidr = optarg;
			break;
		case OPT_NO_LOOPBACK:
			o->disable_host_loopback = true;
			break;
		case OPT_NETNS_TYPE:
			if (strcmp(optarg, "pid") != 0 &&
			    strcmp(optarg, "path") != 0)
				s4n_bad("--netns-type=%s: pid or path", optarg);
			path = strcmp(optarg, "path") == 0;
			break;
		case OPT_USERNS:
			if (access(optarg, F_OK) < 0)
				s4n_bad("--userns-path %s: %s", optarg,
					strerror(errno));
			o->userns_path = optarg;
			break;
		case 'a':
			o->api_socket = optarg;
			break;
		case '6':
			o->ipv6 = true;
			break;
		case OPT_SANDBOX:
			o->sandbox = true;
			break;
		case OPT_SECCOMP:
			if (!sandbox_seccomp_available())
				s4n_bad("--enable-seccomp: this usernet was built without libseccomp");
			o->seccomp = true;
			break;
		case OPT_OUTBOUND:
			o->outbound_addr = optarg;
			break;
		case OPT_OUTBOUND6:
			o->outbound_addr6 = optarg;
			break;
		case OPT_NO_DNS:
			o->disable_dns = true;
			break;
		case OPT_NO_OFFLOAD:
			o->disable_offload = true;
			break;
		case OPT_MAC:
			mac = optarg;
			break;
		case OPT_TARGET:
			if (strcmp(optarg, "netns") != 0)
				s4n_bad("--target-type=%s: usernet knows only netns",
					optarg);
			break;
		case 'h':
			s4n_usage(stdout);
			return 0;
		case 'v':
			s4n_version();
			return 0;
		case ':':
			s4n_bad("option %s needs a value", argv[optind - 1]);
		default:
			s4n_bad("unknown option '%s'", argv[optind - 1]);
		}
	}
	r = s4n_parse_cidr(cidr, &o->net, &o->mask);
	if (r == -ERANGE)
		s4n_bad("--cidr %s: the prefix length must be %d to %d", cidr,
			S4N_PREFIX_MIN, S4N_PREFIX_MAX);
	if (r == -EDOM)
		s4n_bad("--cidr %s: give the network address (like 10.0.2.0/24)",
			cidr);
	if (r < 0)
		s4n_bad("--cidr %s: not an IPv4 CIDR", cidr);
	if (mac != NULL && !o->configure)
		s4n_bad("--macaddress needs --configure");
	if (mac != NULL && s4n_parse_mac(mac, o->mac) < 0)
		s4n_bad("--macaddress %s: not a MAC address (xx:xx:xx:xx:xx:xx)",
			mac);
	o->set_mac = mac != NULL;
	if (o->outbound_addr != NULL &&
	    s4n_outbound_addr(o->outbound_addr, AF_INET, &o->outbound) < 0)
		s4n_bad("--outbound-addr %s: not an IPv4 address nor an interface with one",
			o->outbound_addr);
	if (o->outbound_addr6 != NULL &&
	    s4n_outbound_addr(o->outbound_addr6, AF_INET6, &o->outbound6) < 0)
		s4n_bad("--outbound-addr6 %s: not an IPv6 address nor an interface with a global one",
			o->outbound_addr6);
	if (optind >= argc)
		s4n_bad("missing PID|PATH");
	if (path) {
		if (access(argv[optind], F_OK) < 0)
			s4n_bad("%s: %s (--netns-type=path wants an existing path)",
				argv[optind], strerror(errno));
		o->netns_path = argv[optind];
	} else {
		if (s4n_parse_int(argv[optind], 1, INT_MAX, &v) < 0)
			s4n_bad("%s: the PID must be a positive integer",
				argv[optind]);
		o->pid = (pid_t)v;
	}
	if (optind + 1 < argc) {
		o->tapname = argv[optind + 1];
		if (o->tapname[0] == '\0' || strlen(o->tapname) >= IFNAMSIZ ||
		    strchr(o->tapname, '/') != NULL)
			s4n_bad("%s: not an interface name (1 to %d characters)",
				o->tapname, IFNAMSIZ - 1);
	}
	if (optind + 2 < argc)
		fprintf(stderr,
			"slirp4netns: warning: extra arguments from '%s' on are ignored\n",
			argv[optind + 2]);
	return -1;
}

/**
 * struct s4n - the running personality
 * @loop: the loop
 * @hub: the hub the gateway and the tap are on
 * @stack: the gateway
 * @proxy: its NAT proxy
 * @ready: ready fd, exit fd, API socket
 * @signals: SIGINT and SIGTERM
 * @down: shut down already
 */
struct s4n {
	uv_loop_t loop;
	struct unet_hub *hub;
	struct unet_stack *stack;
	struct unet_proxy *proxy;
	struct ready ready;
	uv_signal_t signals[2];
	bool down;
};

static void s4n_log(void *opaque, enum unet_log_level level, const char *msg)
{
	static const char *const names[] = { "error", "warning", "info",
					     "debug" };

	fprintf(stderr, "usernet: %s: %s\n",
		(unsigned int)level < 4 ? names[level] : "?", msg);
}

static void s4n_shutdown(struct s4n *s)
{
	int i;

	if (s->down)
		return;
	s->down = true;
	ready_close(&s->ready);
	if (s->proxy != NULL)
		unet_proxy_close(s->proxy);
	if (s->hub != NULL)
		unet_hub_close(s->hub);
	s->proxy = NULL;
	s->stack = NULL;
	s->hub = NULL;
	for (i = 0; i < 2; i++)
		if (!uv_is_closing((uv_handle_t *)&s->signals[i]))
			uv_close((uv_handle_t *)&s->signals[i], NULL);
}

static void s4n_on_signal(uv_signal_t *h, int signum)
{
	s4n_shutdown(h->data);
}

static void s4n_on_exit_fd(void *data)
{
	s4n_shutdown(data);
}

/* --enable-sandbox, --enable-seccomp: the last step before the ready fd. */
static int s4n_confine(void *data, char *err, size_t errlen)
{
	return sandbox_enter(data, err, errlen);
}

static struct in_addr s4n_offset(struct in_addr net, uint32_t n)
{
	return (struct in_addr){ .s_addr = htonl(ntohl(net.s_addr) + n) };
}

/* The gateway's configuration, as slirp4netns configures libslirp. */
static void s4n_stack_config(const struct s4n_options *o,
			     struct unet_stack_config *sc)
{
	unet_stack_config_init(sc);
	sc->net = o->net;
	sc->mask = o->mask;
	sc->host = s4n_offset(o->net, 2);
	sc->dns = s4n_offset(o->net, 3);
	sc->dhcp_start = s4n_offset(o->net, 15);
	sc->no_ipv6 = !o->ipv6;
	sc->no_dns = o->disable_dns;
	if (o->ipv6) {
		inet_pton(AF_INET6, "fd00::", &sc->ip6_prefix);
		sc->ip6_prefix_len = 64;
		inet_pton(AF_INET6, "fd00::2", &sc->ip6_host);
		inet_pton(AF_INET6, "fd00::3", &sc->ip6_dns);
	}
}

/* What the API socket's get_info tells. */
static void s4n_info(const struct s4n_options *o,
		     const struct unet_stack_config *sc,
		     struct apisock_info *in)
{
	memset(in, 0, sizeof(*in));
	in->mtu = o->mtu;
	in->net = sc->net;
	in->mask = sc->mask;
	in->host = sc->host;
	in->dns = sc->dns;
	in->dhcp_start = sc->dhcp_start;
	in->guest = s4n_offset(o->net, S4N_GUEST_OFFSET);
	in->ipv6 = o->ipv6;
	in->host_loopback = !o->disable_host_loopback;
}

/* The summary on stdout, as slirp4netns prints one at start. */
static void s4n_banner(const struct s4n_options *o,
		       const struct apisock_info *in)
{
	char a[INET_ADDRSTRLEN], a6[INET6_ADDRSTRLEN];

	printf("usernet %s as slirp4netns %s\n", UNET_VERSION_STRING,
	       S4N_COMPAT_VERSION);
	printf("* MTU:             %u\n", in->mtu);
	printf("* Network:         %s\n",
	       inet_ntop(AF_INET, &in->net, a, sizeof(a)));
	printf("* Netmask:         %s\n",
	       inet_ntop(AF_INET, &in->mask, a, sizeof(a)));
	printf("* Gateway:         %s\n",
	       inet_ntop(AF_INET, &in->host, a, sizeof(a)));
	printf("* DNS:             %s\n",
	       inet_ntop(AF_INET, &in->dns, a, sizeof(a)));
	printf("* Recommended IP:  %s\n",
	       inet_ntop(AF_INET, &in->guest, a, sizeof(a)));
	if (o->ipv6)
		printf("* IPv6:            fd00::/64, gateway fd00::2, DNS fd00::3\n");
	if (o->api_socket != NULL)
		printf("* API Socket:      %s\n", o->api_socket);
	if (o->outbound_addr != NULL)
		printf("* Outbound IPv4:   %s\n",
		       inet_ntop(AF_INET, &o->outbound, a6, sizeof(a6)));
	if (o->outbound_addr6 != NULL)
		printf("* Outbound IPv6:   %s\n",
		       inet_ntop(AF_INET6, &o->outbound6, a6, sizeof(a6)));
	if (o->disable_dns)
		printf("* DNS:             disabled (--disable-dns)\n");
	if (in->host_loopback)
		printf("WARNING: the gateway %s reaches the host's 127.0.0.1 (--disable-host-loopback stops it)\n",
		       inet_ntop(AF_INET, &in->host, a, sizeof(a)));
	fflush(stdout);
}

/* Hub, gateway and proxy; the tap inside the namespace. */
static int s4n_start(struct s4n *s, const struct s4n_options *o,
		     const struct unet_stack_config *sc)
{
	struct unet_hub_config hc;
	struct unet_proxy_config pc;
	struct netns_target t = { .pid = o->pid,
				  .netns_path = o->netns_path,
				  .userns_path = o->userns_path };
	struct netns_ifconfig ic;
	struct unet_port *port;
	uint64_t limit;
	char err[512];
	int r, fd;

	unet_hub_config_init(&hc);
	hc.mtu = o->mtu;
	hc.log_cb = s4n_log;
	hc.log_level = UNET_LOG_WARN;
	r = unet_hub_new(&s->loop, &hc, &s->hub);
	if (r < 0) {
		fprintf(stderr, "slirp4netns: cannot make the hub: %s\n",
			strerror(-r));
		return r;
	}
	if (unet_proxy_raise_nofile(&limit) < 0)
		unet_hub_log(s->hub, UNET_LOG_WARN,
			     "cannot raise the open-files limit");
	r = unet_stack_new(s->hub, "slirp", sc, &s->stack);
	if (r < 0) {
		fprintf(stderr, "slirp4netns: cannot start the gateway: %s\n",
			strerror(-r));
		return r;
	}
	unet_proxy_config_init(&pc);
	pc.loopback = !o->disable_host_loopback;
	pc.outbound = o->outbound;
	pc.outbound6 = o->outbound6;
	r = unet_proxy_new(s->stack, &pc, &s->proxy);
	if (r < 0) {
		fprintf(stderr, "slirp4netns: cannot start the proxy: %s\n",
			strerror(-r));
		return r;
	}

	memset(&ic, 0, sizeof(ic));
	ic.addr = s4n_offset(o->net, S4N_GUEST_OFFSET);
	ic.prefix = (unsigned int)__builtin_popcount(o->mask.s_addr);
	ic.gateway = sc->host;
	ic.mtu = o->mtu;
	ic.set_mac = o->set_mac;
	memcpy(ic.mac, o->mac, sizeof(ic.mac));
	r = netns_open_tap(&t, o->tapname, o->configure ? &ic : NULL,
			   !o->disable_offload, &fd, err, sizeof(err));
	if (r < 0) {
		fprintf(stderr, "slirp4netns: %s\n", err);
		return r;
	}
	r = unet_tap_adopt(s->hub, "tap", fd, &port);
	if (r < 0) {
		fprintf(stderr, "slirp4netns: cannot attach the tap: %s\n",
			strerror(-r));
		close(fd);
	}
	return r;
}

/**
 * s4n_main() - run as slirp4netns
 * @argc: argument count
 * @argv: slirp4netns's arguments, argv[0] the program's name
 *
 * Return: the exit status: 0 after --help, --version, the exit fd, SIGINT
 * or SIGTERM; 1 after a bad option or a failure to start.
 */
int s4n_main(int argc, char **argv)
{
	static const int signums[2] = { SIGINT, SIGTERM };
	struct ready_options ro;
	struct sandbox_options so;
	struct unet_stack_config sc;
	struct apisock_info info;
	struct s4n_options o;
	struct s4n s;
	char err[512];
	int r, i;

	r = s4n_parse(argc, argv, &o);
	if (r >= 0)
		return r;
	memset(&s, 0, sizeof(s));
	signal(SIGPIPE, SIG_IGN);
	if (uv_loop_init(&s.loop) != 0) {
		fprintf(stderr, "slirp4netns: cannot make the event loop\n");
		return EXIT_FAILURE;
	}
	for (i = 0; i < 2; i++) {
		uv_signal_init(&s.loop, &s.signals[i]);
		s.signals[i].data = &s;
		uv_signal_start(&s.signals[i], s4n_on_signal, signums[i]);
	}
	s4n_stack_config(&o, &sc);
	s4n_info(&o, &sc, &info);
	r = s4n_start(&s, &o, &sc);
	if (r == 0) {
		s4n_banner(&o, &info);
		ready_options_init(&ro);
		ro.ready_fd = o.ready_fd;
		ro.exit_fd = o.exit_fd;
		ro.api_socket = o.api_socket;
		memset(&so, 0, sizeof(so));
		so.mounts = o.sandbox;
		so.seccomp = o.seccomp;
		so.keep_file = sc.resolv_conf;
		if (o.sandbox || o.seccomp) {
			ro.confine = s4n_confine;
			ro.confine_data = &so;
		}
		r = ready_start(&s.ready, &s.loop, &ro, s.proxy, &info,
				s4n_on_exit_fd, &s, err, sizeof(err));
		if (r < 0)
			fprintf(stderr, "slirp4netns: %s\n", err);
	}
	if (r == 0)
		uv_run(&s.loop, UV_RUN_DEFAULT);
	s4n_shutdown(&s);
	uv_run(&s.loop, UV_RUN_DEFAULT);
	uv_loop_close(&s.loop);
	return r == 0 ? 0 : EXIT_FAILURE;
}
