/* SPDX-License-Identifier: MIT */
/*
 * usernet: the command line.
 *
 *   usernet [OPTIONS] -netdev TYPE,id=ID[,KEY=VALUE...] ...
 *   usernet run [OPTIONS] [-netdev ...] -- CMD [ARGS...]
 *
 * Theory of operation: every option is parsed and checked before anything is
 * opened (a bad option is one line on stderr and exit status 2). Then hub 0
 * is made on a libuv loop and each -netdev becomes a port on its hub (hub=,
 * or the hubid= of a hubport naming it; default 0), the hub made on first
 * use, at most NETDEV_HUB_MAX. Host names in socket addresses are looked up
 * then, once. In `run` mode a child process makes a new network namespace
 * (and a user namespace when not root) with a tap that is handed back to
 * this process and put on hub 0, and then runs CMD; usernet exits with
 * CMD's status. SIGINT and
 * SIGTERM close every port (pcap files are flushed) and end the loop; in
 * `run` mode they are passed on to CMD first. SIGUSR1 prints the flow table
 * and the counters to stderr.
 *
 * The user netdev is a stack with a proxy on it, and the proxy holds the
 * hostfwd= forwards. A forward's default guest address is the stack's
 * dhcpstart, or in `run` mode the namespace's address, so forwards open only
 * once that is known; one that cannot open is a runtime failure (exit 1).
 * The proxy is closed before the hub (and so before the stack under it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uv.h>

#include <usernet/hub.h>
#include <usernet/ports.h>
#include <usernet/proxy.h>
#include <usernet/stack.h>
#include <usernet/version.h>

#include "control.h"
#include "memtrim.h"
#include "netdev.h"
#include "netns.h"
#include "nsrun.h"
#include "ready.h"
#include "replay.h"
#include "sandbox.h"
#include "slirp4netns.h"

#define NETDEV_MAX 64
#define EXIT_USAGE 2

/**
 * struct options - the parsed command line
 * @run: `usernet run` mode
 * @argv: in run mode, CMD and its arguments
 * @netdevs: the -netdev options, in order
 * @n_netdevs: how many
 * @mtu: the hub's MTU (and the namespace tap's)
 * @seed: the random seed of every hub (0: from the kernel)
 * @level: log level
 * @ready: --ready-fd, --exit-fd, --pidfile, --api-socket
 * @sandbox: --sandbox
 * @seccomp: --seccomp
 * @no_offload: run: --no-offload
 * @busy_poll_us: --busy-poll (0: off)
 */
struct options {
	bool run;
	char **argv;
	struct netdev netdevs[NETDEV_MAX];
	int n_netdevs;
	unsigned int mtu;
	unsigned long seed;
	enum unet_log_level level;
	struct ready_options ready;
	bool sandbox;
	bool seccomp;
	bool no_offload;
	unsigned int busy_poll_us;
};

/* The longest --busy-poll, in microseconds. */
#define BUSY_POLL_MAX_US 1000

/**
 * struct usernet - the running program
 * @loop: the loop
 * @hub: hub 0, made first: the log goes through it, and in run mode the
 *       namespace's tap is on it
 * @hubs: every hub, made when the first netdev on it opens; @hubs[0] is @hub
 * @hub_ids: the hub= / hubid= number of each of @hubs
 * @n_hubs: how many of @hubs are made
 * @hub_config: the configuration every hub is made with
 * @stack: the gateway, when a user netdev was given (or in run mode)
 * @proxy: the stack's NAT proxy and forwards
 * @signals: SIGINT, SIGTERM, SIGCHLD, SIGUSR1, SIGHUP watchers (SIGHUP's
 *           started only with policy=FILE)
 * @ns: the namespace child in run mode
 * @nofile: the open-files limit usernet started with (raised for the
 *          proxy's flows; CMD of run gets it back)
 * @trim: gives the heap back after a flood
 * @child_done: the child has been reaped
 * @status: the exit status to return
 * @ready: the ready and exit fds, pidfile and API socket
 * @control: what the control socket (--api-socket) acts on
 * @audit_fd: audit=FILE, open for appending (the -netdev user's), or -1
 * @policy_id: the user netdev whose policy=FILE SIGHUP reads again, or NULL
 * @policy_user: its keys
 */
struct usernet {
	uv_loop_t loop;
	struct unet_hub *hub;
	struct unet_hub *hubs[NETDEV_HUB_MAX];
	unsigned int hub_ids[NETDEV_HUB_MAX];
	int n_hubs;
	struct unet_hub_config hub_config;
	struct unet_stack *stack;
	struct unet_proxy *proxy;
	uv_signal_t signals[5];
	struct nsrun ns;
	struct rlimit nofile;
	struct memtrim trim;
	bool child_done;
	int status;
	struct ready ready;
	struct control_target control;
	int audit_fd;
	const char *policy_id;
	const struct netdev_user *policy_user;
};

/* The help text is laid out as it prints. */
/* clang-format off */
static void usage_main(FILE *f)
{
	fprintf(f,
"Usage: usernet [OPTIONS] -netdev TYPE,id=ID[,KEY=VALUE...] ...\n"
"       usernet run [OPTIONS] [-netdev ...] -- CMD [ARGS...]\n"
"       usernet replay [--in FILE] [--script FILE] [--out FILE] [--seed N] ...\n"
"\n"
"Gives virtual machines, containers and sandboxes a network without\n"
"privileges. Every -netdev becomes a port on an Ethernet hub (hub 0 unless\n"
"hub= or a hubport says otherwise); a frame from one port reaches all the\n"
"other ports of its hub.\n"
"\n"
"Commands:\n"
"  run -- CMD    run CMD in a new network namespace whose only network is\n"
"                usernet (see 'usernet run --help')\n"
"  replay        run the stack on a virtual clock, driven by a pcap file or a\n"
"                test script (see 'usernet replay --help')\n"
"\n"
"Netdevs (QEMU's -netdev syntax; ',,' is a literal comma in a value):\n"
"  -netdev user,id=ID[,net=ADDR[/MASK]][,host=ADDR][,dns=ADDR][,dhcpstart=ADDR]\n"
"                [,hostfwd=[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT...]\n"
"                [,restrict=on|off][,restrict-dns=on|off][,loopback=on|off]\n"
"                [,hostname=NAME][,domainname=DOMAIN][,dnssearch=DOMAIN...]\n"
"                [,tftp=DIR][,bootfile=FILE][,tftp-server-name=NAME]\n"
"                [,dns-upstream=ADDR[:PORT]|[ADDR6]:PORT...][,mem-budget=SIZE]\n"
"                [,tcp-stall-timeout=SECONDS][,ipv4=on|off][,ipv6=on|off]\n"
"                [,ipv6-net=PREFIX/64][,ipv6-host=ADDR6][,ipv6-dns=ADDR6]\n"
"                [,ipv6-dhcp=stateless|stateful][,outbound=ADDR]\n"
"                [,outbound6=ADDR6][,keepsrc=on|off][,dns-server=on|off]\n"
"                [,policy=FILE][,egress=allow|deny][,audit=FILE]\n"
"                [,deny-tcp=rst|icmp]\n"
"                [,policy-ttl-min=SECONDS][,policy-ttl-max=SECONDS]\n"
"        the user-mode gateway: answers ARP and ping for host= and dns=, and\n"
"        carries the guest's TCP, UDP and ping over host sockets (NAT).\n"
"        It serves DHCP (from dhcpstart, 16 addresses; hostname=,\n"
"        domainname=, dnssearch= (repeatable), bootfile= and\n"
"        tftp-server-name= become DHCP options; none by default), DNS on\n"
"        dns= (forwarded to dns-upstream= servers, repeatable, at most 8,\n"
"        port 53 by default; without them the host's /etc/resolv.conf), and\n"
"        TFTP on host= from DIR, read-only (tftp=; off by default; 64\n"
"        transfers, 8 per client, timeout option up to 5 s, 10 min each).\n"
"        bootfile= with tftp= makes the gateway a PXE boot server.\n"
"        Defaults: net=10.0.2.0/24, host=net+2, dns=net+3, dhcpstart=net+15.\n"
"        hostfwd= (repeatable, at most %d) forwards a host port to the guest:\n"
"        protocol default tcp, HOSTADDR default any, HOSTPORT 0 lets the\n"
"        kernel choose, GUESTADDR default dhcpstart; an address in brackets\n"
"        is IPv6 (hostfwd=tcp:[::1]:8080-[fec0::15]:80), each side its own.\n"
"        restrict=on: the guest reaches only the gateway itself (ping,\n"
"        DHCP, TFTP) and the forwards; the DNS forwarder refuses it too,\n"
"        unless restrict-dns=on (default off for both). loopback=off:\n"
"        host= no longer reaches the host's 127.0.0.1, nor the gateway's\n"
"        IPv6 address the host's ::1 (default on).\n"
"        outbound=ADDR, outbound6=ADDR6: every host socket of the NAT (TCP,\n"
"        UDP, ping) binds to that address of the host (an address it lacks\n"
"        is an error at start). keepsrc=on: forwards keep the client's\n"
"        address and port (a client on the host's loopback, or one the guest\n"
"        could not answer, shows as the gateway; default off).\n"
"        dns-server=off: no DNS forwarder on dns= and ipv6-dns (UDP gets\n"
"        nothing, TCP a reset), none named by DHCP or RAs, run writes no\n"
"        resolv.conf (default on).\n"
"        policy=FILE: the egress policy, read at start, one rule a line:\n"
"        allow|deny [tcp|udp|icmp] [to CIDR|NAME|*.DOMAIN|*] [port N[-M]],\n"
"        first match wins, `default allow|deny`, # comments (README:\n"
"        Egress policy). A NAME rule matches addresses the guest resolved\n"
"        from that name through dns=, for the answer's TTL kept within\n"
"        policy-ttl-min..policy-ttl-max (default 30..3600 s); a query for\n"
"        a name a deny rule (no protocol, no port) names is REFUSED.\n"
"        egress=allow|deny: the default verdict (default: the file's, or\n"
"        allow). Denied TCP gets a RST (deny-tcp=icmp: an ICMP admin\n"
"        prohibited instead), UDP an ICMP admin prohibited, ping nothing;\n"
"        DHCP, DNS, TFTP and forwards are not governed by it. SIGHUP reads\n"
"        FILE again (open flows kept); the control socket's policy_set\n"
"        replaces the policy at run time, keeping or cutting open flows.\n"
"        audit=FILE: the egress audit log, appended to FILE (mode 600): a\n"
"        JSON line per decision on a flow the guest opens and per allowed\n"
"        flow's end (bytes, duration); denied decisions at most 100 a\n"
"        second after a burst of 200, the rest counted in a \"suppressed\"\n"
"        line (README: Audit log).\n"
"        mem-budget=SIZE bounds what guests can make the process hold (bytes,\n"
"        or with K, M, G, T; 4M to 1T; default 256M): as it fills, TCP\n"
"        windows shrink and host reads slow; at the limit, guest frames\n"
"        over 128 bytes are dropped. tcp-stall-timeout=S resets a TCP flow\n"
"        whose host socket takes none of the guest's data for S seconds\n"
"        (default 120; 0 never). At most one per process.\n"
"        IPv6 (ipv6=on by default): ipv6-net=fec0::/64 (only /64; QEMU's\n"
"        older ipv6-prefix= and ipv6-prefixlen= too), ipv6-host=prefix::2,\n"
"        ipv6-dns=prefix::3. The gateway answers neighbour solicitations for\n"
"        fe80::2, ipv6-host and ipv6-dns as a router, router solicitations\n"
"        at once (and advertises every 200-600 s): the prefix for SLAAC, the\n"
"        MTU, RDNSS ipv6-dns, DNSSL dnssearch=, the O flag. DHCPv6 answers\n"
"        Information-requests (DNS, domains); ipv6-dhcp=stateful also hands\n"
"        out addresses from prefix::100 and sets the M flag. DNS answers on\n"
"        ipv6-dns too; dns-upstream=[ADDR6]:PORT names IPv6 upstreams.\n"
"        ipv4=off: no ARP, DHCP or IPv4; ipv6=off: no IPv6 at all.\n"
"  -netdev tap,id=ID[,ifname=NAME | ,fd=N][,offload=on|off]\n"
"        a tap interface: opened by name (created when missing, which needs\n"
"        CAP_NET_ADMIN), or an already-open tap fd inherited from the caller.\n"
"        offload=on (default): a vnet header, and the kernel hands over TCP\n"
"        segments up to 64 KiB with checksums left to do (TSO, at any MTU);\n"
"        ports that do not take them get them cut to the MTU. off: plain.\n"
"  -netdev dump,id=ID,file=PATH[,len=N]\n"
"        writes every frame on the hub to a pcap file (first N bytes of each,\n"
"        default 65536), flushed after every frame.\n"
"  -netdev socket,id=ID,listen=[HOST]:PORT | connect=HOST:PORT[,reconnect=S]\n"
"        frames over TCP, each after its 4-byte big-endian length (QEMU's and\n"
"        passt's format). listen serves one peer at a time; connect retries\n"
"        with a back-off of up to S seconds (reconnect=; default 0: never).\n"
"        offload=on (default off; socket listen=/connect= and stream): when\n"
"        the peer is a usernet with offload=on too, 64 KiB TCP segments and\n"
"        checksums left to do cross the link whole (usernet's extension; a\n"
"        peer that does not answer its hello, as QEMU, gets plain frames).\n"
"  -netdev socket,id=ID,mcast=GROUP:PORT[,localaddr=ADDR]\n"
"        one frame per UDP datagram to an IPv4 multicast group, shared with\n"
"        QEMU's socket,mcast= and other usernet processes.\n"
"  -netdev socket,id=ID,udp=HOST:PORT,localaddr=[HOST]:PORT\n"
"        one frame per UDP datagram to one peer, received on localaddr.\n"
"  -netdev stream,id=ID[,server=on|off],addr.type=inet,addr.host=H,addr.port=P\n"
"  -netdev stream,id=ID[,server=on|off],addr.type=unix,addr.path=PATH\n"
"  -netdev stream,id=ID,addr.type=fd,addr.str=N\n"
"        QEMU 7.2's stream netdev (the socket format over TCP, a unix\n"
"        socket or an inherited connected socket); reconnect=S and\n"
"        offload=on as above.\n"
"  -netdev dgram,id=ID,remote.type=inet,remote.host=H,remote.port=P,\n"
"                local.type=inet,local.host=H,local.port=P\n"
"  -netdev dgram,id=ID,remote.type=unix,remote.path=P,local.type=unix,\n"
"                local.path=P\n"
"        QEMU 7.2's dgram netdev; a multicast remote.host joins that group\n"
"        (local.host= then names the interface's address, optional).\n"
"  -netdev vde,id=ID[,sock=PATH|URL][,port=N][,group=NAME][,mode=OCTAL]\n"
"        a VDE switch through libvdeplug: a vde_switch directory or a\n"
"        vdeplug4 URL (udp://, hub://, ...). Keep --mtu 1500 on a classic\n"
"        switch. libvdeplug's vxlan:// is refused (use vxlan below);\n"
"        vxvde:// is VDE's own switch, not the kernel's VXLAN.\n"
"  -netdev vxlan,id=ID,vni=N[,remote=HOST[:PORT]...][,group=ADDR[:PORT]]\n"
"                [,local=ADDR][,port=N][,dev=IFNAME][,learning=on|off]\n"
"                [,ageing=S]\n"
"        one Ethernet segment across hosts over VXLAN (RFC 7348), with the\n"
"        Linux kernel's vxlan device or other usernets as peers. Broadcast\n"
"        and unknown unicast go to every remote= (repeatable, at most %d)\n"
"        and to the multicast group=; learned MACs go to their remote only\n"
"        (learning=on, forgotten after ageing=S seconds, default 300).\n"
"        port= (default 4789) is bound and sent to; local= binds an address;\n"
"        dev= names the underlay interface (group and MTU). Inner MTU: the\n"
"        underlay's MTU - 50 (IPv4) or - 70 (IPv6); set --mtu to it (1450\n"
"        on a 1500 underlay): larger frames are dropped, with a warning.\n"
"  -netdev hubport,id=ID,hubid=N[,netdev=ND]\n"
"        puts netdev ND on hub N, as QEMU's hubport. Every other netdev also\n"
"        takes hub=N (default 0); at most %d hubs, each with its own ports,\n"
"        joined only through netdevs such as socket or vde.\n"
"  Every netdev but hubport also takes, for testing how a peer recovers\n"
"  from loss: loss=N (lose 1 in N frames toward it at random, from the\n"
"  seeded random source; 0: none) and loss-burst=LEN/EVERY (lose LEN\n"
"  frames in a row at the start of every EVERY). Default: nothing lost.\n"
"\n"
"Options:\n"
"  -netdev SPEC, --netdev SPEC   add a port (see above)\n"
"  --mtu N        hub MTU, %u..%u (default %u)\n"
"  --seed N       seed the random choices (TFTP ports, DNS ids, the secret\n"
"                 of TCP ISNs) with N, so that a capture of this run replays\n"
"                 with 'usernet replay --seed N' (default: from the kernel)\n"
"  --busy-poll US after each wake-up, look for more work for US microseconds\n"
"                 (0..1000; default 0: sleep at once) instead of sleeping:\n"
"                 a shorter round trip for request/response traffic, paid\n"
"                 in CPU time (up to US per wake-up)\n"
"  -v, --verbose  log more (repeat for debug)\n"
"  -q, --quiet    log errors only\n"
"  -h, --help     show this help\n"
"  --version      show the version\n"
"\n"
"SIGINT and SIGTERM shut down cleanly. With policy=FILE, SIGHUP reads FILE\n"
"again. SIGUSR1 prints the flow table, the proxy's, the services' and each\n"
"port's counters and the memory in use to stderr. usernet raises its\n"
"open-files limit to the hard limit (run's CMD keeps the old one), caps\n"
"flows per protocol to fit it, and gives the heap back after a flood.\n"
"Exit status: 0, 1 on a runtime failure (e.g. a hostfwd port that cannot\n"
"be opened), 2 on a bad option.\n",
		NETDEV_FWD_MAX, UNET_VXLAN_REMOTES_MAX, NETDEV_HUB_MAX,
		UNET_MTU_MIN, UNET_MTU_MAX, UNET_MTU_DEFAULT);
	/* Kept apart so that the text above is not rewrapped by the format
	 * check each time a line is added to it. */
	fprintf(f,
		"\n"
		"For a supervisor (podman, rootlesskit, a sandbox manager):\n"
		"  -netdev tap,...,netns=PID|PATH   make the tap inside PID's network\n"
		"                 namespace (joining its user namespace first) or the\n"
		"                 namespace file PATH; usernet stays where it is\n"
		"  --ready-fd FD  write \"1\" to FD and close it once everything runs\n"
		"  --exit-fd FD   shut down when FD becomes readable or is closed\n"
		"  --pidfile FILE write the PID to FILE (removed at exit)\n"
		"  --api-socket PATH  the control socket: JSON requests, one per line,\n"
		"                 one reply line each (socat - UNIX-CONNECT:PATH):\n"
		"                 {\"op\":\"fwd_add\",\"host_port\":8080,\"guest_port\":80}\n"
		"                 (also proto, host_addr, guest_addr; IPv4 or IPv6),\n"
		"                 fwd_list, fwd_remove (id), stats, flows, log_level\n"
		"                 (level), version, help. A connection whose first\n"
		"                 request has \"execute\" gets slirp4netns's API.\n"
		"                 Needs a -netdev user (or run)\n"
		"  --sandbox      once set up (before the ready fd): a new mount\n"
		"                 namespace with an empty read-only root (resolv.conf\n"
		"                 kept when DNS reads it, the tftp= folder at /tftp),\n"
		"                 every capability dropped, no new privileges; needs\n"
		"                 CAP_SYS_ADMIN or a user namespace of its own (made\n"
		"                 when unprivileged)\n"
		"  --seccomp      then a system-call allow-list (libseccomp): any other\n"
		"                 call fails with EPERM, usernet goes on; neither option\n"
		"                 lets usernet remove its pidfile and API socket at exit\n"
		"Invoked as slirp4netns, or as 'usernet slirp4netns', usernet takes\n"
		"slirp4netns 1.2's command line (see 'usernet slirp4netns --help').\n");
}
/* clang-format on */

/* The help text is laid out as it prints. */
/* clang-format off */
static void usage_run(FILE *f)
{
	fprintf(f,
"Usage: usernet run [OPTIONS] [-netdev ...] -- CMD [ARGS...]\n"
"\n"
"Runs CMD in a new network namespace (and a new user namespace when not\n"
"root, so no privilege is needed) whose only interface besides lo is a tap,\n"
"tap0, on usernet's hub. The tap has address net+100 (10.0.2.100/24 by\n"
"default), a default route via the gateway (10.0.2.2) and the MTU of the\n"
"hub; the namespace sees a resolv.conf naming the DNS address (10.0.2.3).\n"
"With IPv6 (ipv6=on, the default) the kernel in the namespace takes its\n"
"address and a default route via fe80::2 from the gateway's router\n"
"advertisement (SLAAC, fec0::/64 by default); CMD starts once the address\n"
"is there (at most 3 s), and resolv.conf names the IPv6 DNS address\n"
"(fec0::3) after the IPv4 one. With ipv4=off the tap has no IPv4.\n"
"Without a '-netdev user', one with the defaults is added. usernet exits\n"
"with CMD's exit status (128+N when CMD was killed by signal N), and\n"
"SIGINT/SIGTERM are passed on to CMD. SIGUSR1 is not: it prints the flow\n"
"table and counters to stderr.\n"
"\n"
"A hostfwd= without GUESTADDR forwards to the namespace's address\n"
"(10.0.2.100 by default), e.g. -netdev user,id=u,hostfwd=tcp::8080-:80\n"
"makes the host's port 8080 reach port 80 inside the namespace.\n"
"\n"
"Options: -netdev SPEC, --mtu N, --seed N, --busy-poll US, -v, -q, -h,\n"
"--ready-fd FD, --exit-fd FD, --pidfile FILE, --api-socket PATH, --sandbox,\n"
"--seccomp\n"
"(as for usernet itself; the control socket's forwards lead into the\n"
"namespace by default; under --seccomp usernet may signal and reap CMD\n"
"only). tap0 has a vnet header and the kernel's offloads (TSO, checksum;\n"
"64 KiB TCP segments at any MTU); --no-offload makes it a plain tap.\n"
"\n"
"Example: usernet run -- ping -c 3 10.0.2.2\n"
"Unprivileged use needs /dev/net/tun to be usable by the caller.\n");
}
/* clang-format on */

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (s == NULL || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static void print_netdev_help(void)
{
	int t;

	printf("Available netdev types:");
	for (t = 0; t < NETDEV_TYPE_NUM; t++)
		printf(" %s", netdev_type_name((enum netdev_type)t));
	printf("\n");
}

/*
 * Parses argv into @o. Returns -1 to go on, or an exit status: 0 after
 * --help, EXIT_USAGE after an error (already printed).
 */
static int parse_args(int argc, char **argv, struct options *o)
{
	enum {
		OPT_MTU = 256,
		OPT_VERSION,
		OPT_SEED,
		OPT_READY_FD,
		OPT_EXIT_FD,
		OPT_PIDFILE,
		OPT_API_SOCKET,
		OPT_SANDBOX,
		OPT_SECCOMP,
		OPT_NO_OFFLOAD,
		OPT_BUSY_POLL,
	};
	static const struct option longopts[] = {
		{ "netdev", required_argument, NULL, 'n' },
		{ "mtu", required_argument, NULL, OPT_MTU },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, OPT_VERSION },
		{ "ready-fd", required_argument, NULL, OPT_READY_FD },
		{ "exit-fd", required_argument, NULL, OPT_EXIT_FD },
		{ "pidfile", required_argument, NULL, OPT_PIDFILE },
		{ "api-socket", required_argument, NULL, OPT_API_SOCKET },
		{ "sandbox", no_argument, NULL, OPT_SANDBOX },
		{ "seccomp", no_argument, NULL, OPT_SECCOMP },
		{ "no-offload", no_argument, NULL, OPT_NO_OFFLOAD },
		{ "busy-poll", required_argument, NULL, OPT_BUSY_POLL },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long v;
	char err[512];
	int c, i, j, *fdp;

	memset(o, 0, sizeof(*o));
	o->mtu = UNET_MTU_DEFAULT;
	o->level = UNET_LOG_WARN;
	ready_options_init(&o->ready);
	if (argc > 1 && strcmp(argv[1], "run") == 0) {
		o->run = true;
		argv++;
		argc--;
	}
	/*
	 * QEMU spells it -netdev: rename it for getopt, up to the first word
	 * that is not an option (CMD's own arguments are left alone).
	 */
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-netdev") == 0)
			argv[i] = "--netdev";
		if (strcmp(argv[i], "--netdev") == 0 ||
		    strcmp(argv[i], "--mtu") == 0 ||
		    strcmp(argv[i], "--seed") == 0 ||
		    strcmp(argv[i], "--busy-poll") == 0 ||
		    strcmp(argv[i], "--ready-fd") == 0 ||
		    strcmp(argv[i], "--exit-fd") == 0 ||
		    strcmp(argv[i], "--pidfile") == 0 ||
		    strcmp(argv[i], "--api-socket") == 0)
			i++;
		else if (argv[i][0] != '-' || strcmp(argv[i], "--") == 0)
			break;
	}
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, "+:vqh", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if (strcmp(optarg, "help") == 0) {
				print_netdev_help();
				return 0;
			}
			if (o->n_netdevs == NETDEV_MAX) {
				fprintf(stderr, "usernet: at most %d -netdev options\n",
					NETDEV_MAX);
				return EXIT_USAGE;
			}
			if (netdev_parse(optarg, &o->netdevs[o->n_netdevs], err,
					 sizeof(err)) < 0) {
				fprintf(stderr, "usernet: %s\n", err);
				return EXIT_USAGE;
			}
			o->n_netdevs++;
			break;
		case OPT_MTU:
			if (parse_uint(optarg, UNET_MTU_MAX, &v) < 0 ||
			    v < UNET_MTU_MIN) {
				fprintf(stderr,
					"usernet: --mtu %s: not a number from %u to %u\n",
					optarg, UNET_MTU_MIN, UNET_MTU_MAX);
				return EXIT_USAGE;
			}
			o->mtu = (unsigned int)v;
			break;
		case OPT_SEED:
			if (parse_uint(optarg, ULONG_MAX, &v) < 0 || v == 0) {
				fprintf(stderr,
					"usernet: --seed %s: not a number above 0\n",
					optarg);
				return EXIT_USAGE;
			}
			o->seed = v;
			break;
		case OPT_READY_FD:
		case OPT_EXIT_FD:
			fdp = c == OPT_READY_FD ? &o->ready.ready_fd :
						  &o->ready.exit_fd;
			if (ready_parse_fd(optarg, fdp) < 0) {
				fprintf(stderr,
					"usernet: %s %s: not a file descriptor number\n",
					c == OPT_READY_FD ? "--ready-fd" :
							    "--exit-fd",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case OPT_PIDFILE:
			o->ready.pidfile = optarg;
			break;
		case OPT_API_SOCKET:
			o->ready.api_socket = optarg;
			break;
		case OPT_SANDBOX:
			o->sandbox = true;
			break;
		case OPT_NO_OFFLOAD:
			o->no_offload = true;
			break;
		case OPT_BUSY_POLL:
			if (parse_uint(optarg, BUSY_POLL_MAX_US, &v) < 0) {
				fprintf(stderr,
					"usernet: --busy-poll %s: not a number of microseconds from 0 to %d\n",
					optarg, BUSY_POLL_MAX_US);
				return EXIT_USAGE;
			}
			o->busy_poll_us = (unsigned int)v;
			break;
		case OPT_SECCOMP:
			if (!sandbox_seccomp_available()) {
				fprintf(stderr,
					"usernet: --seccomp: this usernet was built without libseccomp\n");
				return EXIT_USAGE;
			}
			o->seccomp = true;
			break;
		case 'v':
			if (o->level < UNET_LOG_DEBUG)
				o->level++;
			break;
		case 'q':
			o->level = UNET_LOG_ERROR;
			break;
		case 'h':
			if (o->run)
				usage_run(stdout);
			else
				usage_main(stdout);
			return 0;
		case OPT_VERSION:
			printf("usernet %s\n", UNET_VERSION_STRING);
			return 0;
		case ':':
			fprintf(stderr, "usernet: option %s needs a value\n",
				strcmp(argv[optind - 1], "--netdev") == 0 ?
					"-netdev" : argv[optind - 1]);
			return EXIT_USAGE;
		default:
			fprintf(stderr,
				"usernet: unknown option '%s' (try --help)\n",
				argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	for (i = 0; i < o->n_netdevs; i++) {
		for (j = 0; j < i; j++) {
			if (strcmp(o->netdevs[i].id, o->netdevs[j].id) == 0) {
				fprintf(stderr, "usernet: -netdev id '%s' used twice\n",
					o->netdevs[i].id);
				return EXIT_USAGE;
			}
			if (o->netdevs[i].type == NETDEV_USER &&
			    o->netdevs[j].type == NETDEV_USER) {
				fprintf(stderr,
					"usernet: -netdev user,id=%s: only one user netdev per process\n",
					o->netdevs[i].id);
				return EXIT_USAGE;
			}
		}
	}
	if (netdev_assign_hubs(o->netdevs, o->n_netdevs, err, sizeof(err)) < 0) {
		fprintf(stderr, "usernet: %s\n", err);
		return EXIT_USAGE;
	}
	if (o->run) {
		if (optind >= argc) {
			fprintf(stderr,
				"usernet: run: missing '-- CMD' (try 'usernet run --help')\n");
			return EXIT_USAGE;
		}
		o->argv = &argv[optind];
		return -1;
	}
	if (optind < argc) {
		fprintf(stderr, "usernet: unexpected argument '%s' (try --help)\n",
			argv[optind]);
		return EXIT_USAGE;
	}
	if (o->n_netdevs == 0) {
		fprintf(stderr,
			"usernet: nothing to do: give at least one -netdev (try --help)\n");
		return EXIT_USAGE;
	}
	for (i = 0; i < o->n_netdevs && o->netdevs[i].type != NETDEV_USER; i++)
		;
	if (o->ready.api_socket != NULL && i == o->n_netdevs) {
		fprintf(stderr,
			"usernet: --api-socket needs a -netdev user (its forwards)\n");
		return EXIT_USAGE;
	}
	return -1;
}

static void log_stderr(void *opaque, enum unet_log_level level,
		       const char *msg)
{
	fprintf(stderr, "usernet: %s: %s\n", control_log_level_name(level),
		msg);
}

static void shutdown_all(struct usernet *u)
{
	size_t i;

	ready_close(&u->ready);
	/* The proxy works on the stack's pcbs: it goes first. */
	if (u->proxy != NULL) {
		unet_proxy_close(u->proxy);
		u->proxy = NULL;
	}
	/* Hub 0 last: the others log through their own callbacks. */
	while (u->n_hubs > 0) {
		u->n_hubs--;
		unet_hub_close(u->hubs[u->n_hubs]);
		u->hubs[u->n_hubs] = NULL;
	}
	u->hub = NULL;
	u->stack = NULL;
	for (i = 0; i < sizeof(u->signals) / sizeof(u->signals[0]); i++)
		if (!uv_is_closing((uv_handle_t *)&u->signals[i]))
			uv_close((uv_handle_t *)&u->signals[i], NULL);
	memtrim_stop(&u->trim);
}

/* The names the control socket uses (control.c), in the dump too. */
static const char *proto_name(int proto)
{
	return control_proto_name(proto);
}

/* A flow's side as a socket address: its family's address, @port. */
static const union unet_sockaddr *
flow_side(union unet_sockaddr *sa, const struct unet_flow_info *f,
	  struct in_addr a4, const struct in6_addr *a6, unsigned int port)
{
	memset(sa, 0, sizeof(*sa));
	if (f->family == AF_INET6) {
		sa->in6.sin6_family = AF_INET6;
		sa->in6.sin6_addr = *a6;
		sa->in6.sin6_port = htons((uint16_t)port);
	} else {
		sa->in.sin_family = AF_INET;
		sa->in.sin_addr = a4;
		sa->in.sin_port = htons((uint16_t)port);
	}
	return sa;
}

static void dump_flow(void *opaque, const struct unet_flow_info *f)
{
	char g[INET6_ADDRSTRLEN + 8], r[INET6_ADDRSTRLEN + 8];
	union unet_sockaddr sg, sr;

	(void)opaque;
	fprintf(stderr, "  %-5s %-3s %-21s %-21s %-11s %12llu %12llu %8llu\n",
		proto_name(f->proto), f->inbound ? "in" : "out",
		netdev_sa_str(flow_side(&sg, f, f->guest_addr, &f->guest_addr6,
					f->guest_port),
			      g, sizeof(g)),
		netdev_sa_str(flow_side(&sr, f, f->remote_addr,
					&f->remote_addr6, f->remote_port),
			      r, sizeof(r)),
		unet_flow_state_name(f->state),
		(unsigned long long)f->bytes_out,
		(unsigned long long)f->bytes_in,
		(unsigned long long)(f->idle_ms / 1000));
}

/* A vxlan port's own counters, one more line. */
static void dump_vxlan(const struct unet_port *port)
{
	struct unet_vxlan_stats vs = { .size = sizeof(vs) };

	if (unet_vxlan_stats(port, &vs) < 0)
		return;
	fprintf(stderr,
		"usernet: port %s (vxlan): tx unicast %llu flooded %llu datagrams %llu too-long %llu errors %llu; rx drops short %llu flags %llu other-vni %llu runt %llu too-long %llu; fdb %u entries, learned %llu, full %llu; inner MTU %u, underlay MTU %u\n",
		port->id, (unsigned long long)vs.tx_unicast,
		(unsigned long long)vs.tx_flooded,
		(unsigned long long)vs.tx_datagrams,
		(unsigned long long)vs.tx_too_long,
		(unsigned long long)vs.tx_errors,
		(unsigned long long)vs.rx_short,
		(unsigned long long)vs.rx_flags,
		(unsigned long long)vs.rx_other_vni,
		(unsigned long long)vs.rx_runt,
		(unsigned long long)vs.rx_too_long, vs.fdb_entries,
		(unsigned long long)vs.learned,
		(unsigned long long)vs.fdb_full, vs.inner_mtu,
		vs.underlay_mtu);
}

/* One port's counters, one line. */
static void dump_port(const struct unet_port *port)
{
	fprintf(stderr,
		"usernet: port %s (%s): in %llu frames %llu bytes; out %llu frames %llu bytes; drops short %llu long %llu queue-full %llu error %llu loss %llu offload %llu\n",
		port->id, port->ops->name,
		(unsigned long long)port->stats.in_frames,
		(unsigned long long)port->stats.in_bytes,
		(unsigned long long)port->stats.out_frames,
		(unsigned long long)port->stats.out_bytes,
		(unsigned long long)port->stats.drops[UNET_DROP_SHORT],
		(unsigned long long)port->stats.drops[UNET_DROP_LONG],
		(unsigned long long)port->stats.drops[UNET_DROP_QUEUE_FULL],
		(unsigned long long)port->stats.drops[UNET_DROP_ERROR],
		(unsigned long long)port->stats.drops[UNET_DROP_LOSS],
		(unsigned long long)port->stats.drops[UNET_DROP_OFFLOAD]);
	dump_vxlan(port);
}

/* The gateway's services' counters: IPv4's on one line, IPv6's on one. */
static void dump_services(const struct unet_stack *stack)
{
	struct unet_stack_stats ss = { .size = sizeof(ss) };

	if (unet_stack_stats(stack, &ss) < 0)
		return;
	fprintf(stderr,
		"usernet: services: dhcp in %llu out %llu drop %llu; dns queries %llu replies %llu servfail %llu refused %llu drop %llu; tftp transfers %llu errors %llu drop %llu\n",
		(unsigned long long)ss.dhcp_in,
		(unsigned long long)ss.dhcp_out,
		(unsigned long long)ss.dhcp_drop,
		(unsigned long long)ss.dns_queries,
		(unsigned long long)ss.dns_replies,
		(unsigned long long)ss.dns_servfail,
		(unsigned long long)ss.dns_refused,
		(unsigned long long)ss.dns_drop,
		(unsigned long long)ss.tftp_transfers,
		(unsigned long long)ss.tftp_errors,
		(unsigned long long)ss.tftp_drop);
	fprintf(stderr,
		"usernet: services6: ndp rs_in %llu ra_sent %llu na_sent %llu drop %llu; dhcp6: in %llu out %llu drop %llu; family off drop %llu; frag6 discarded %llu\n",
		(unsigned long long)ss.nd_rs_in,
		(unsigned long long)ss.nd_ra_sent,
		(unsigned long long)ss.nd_na_sent,
		(unsigned long long)ss.nd_drop, (unsigned long long)ss.dhcp6_in,
		(unsigned long long)ss.dhcp6_out,
		(unsigned long long)ss.dhcp6_drop,
		(unsigned long long)ss.family_off_drop,
		(unsigned long long)ss.frag6_discarded);
}

/* The process's memory, one line: what the heap holds beside RSS. */
static void dump_memory(struct usernet *u)
{
	struct memtrim_usage mu;

	memtrim_usage(&mu);
	fprintf(stderr,
		"usernet: memory: rss %zu KiB; heap in use %zu KiB, free %zu KiB; trimmed %llu times, %llu KiB given back\n",
		mu.rss / 1024, mu.heap_in_use / 1024, mu.heap_free / 1024,
		(unsigned long long)u->trim.trims,
		(unsigned long long)(u->trim.released / 1024));
}

/* The memory budget, one line: what guests made lwIP and the proxy hold. */
static void dump_budget(struct usernet *u)
{
	struct unet_proxy_stats ps = { .size = sizeof(ps) };
	struct unet_stack_stats ss = { .size = sizeof(ss) };

	if (unet_stack_stats(u->stack, &ss) < 0 ||
	    (u->proxy != NULL && unet_proxy_stats(u->proxy, &ps) < 0))
		return;
	fprintf(stderr,
		"usernet: budget: used %llu KiB of %llu KiB (lwip %llu, proxy %llu), peak %llu KiB; frames dropped %llu; ooseq squeezed %llu; tcp windows shrunk %llu, reads deferred %llu, data deferred %llu, stalled %llu\n",
		(unsigned long long)(ss.mem_used / 1024),
		(unsigned long long)(ss.mem_budget / 1024),
		(unsigned long long)(ss.mem_lwip / 1024),
		(unsigned long long)(ss.mem_proxy / 1024),
		(unsigned long long)(ss.mem_peak / 1024),
		(unsigned long long)ss.budget_frames_dropped,
		(unsigned long long)ss.budget_ooseq_squeezed,
		(unsigned long long)ps.tcp_windows_shrunk,
		(unsigned long long)ps.tcp_reads_deferred,
		(unsigned long long)ps.tcp_data_deferred,
		(unsigned long long)ps.tcp_stalled);
}

/* SIGUSR1's line of the egress policy: totals, then the first rules' hits. */
static void dump_policy(const struct unet_proxy *proxy)
{
	struct unet_policy_stats st = { .size = sizeof(st) };
	uint64_t hits[32];
	int n, i;

	n = unet_proxy_policy_stats(proxy, &st, hits,
				    (sizeof(hits) / sizeof(hits[0])));
	if (n < 0 || (n == 0 && st.allowed + st.denied == 0))
		return;
	fprintf(stderr,
		"usernet: egress policy: rules %d allowed %llu denied %llu default %llu; hits",
		n, (unsigned long long)st.allowed,
		(unsigned long long)st.denied,
		(unsigned long long)st.default_hits);
	for (i = 0; i < n && i < (int)(sizeof(hits) / sizeof(hits[0])); i++)
		fprintf(stderr, " %llu", (unsigned long long)hits[i]);
	fprintf(stderr, "%s\n",
		n > (int)(sizeof(hits) / sizeof(hits[0])) ? " ..." : "");
	if (st.audit_lines + st.audit_suppressed + st.audit_errors > 0)
		fprintf(stderr,
			"usernet: audit log: lines %llu suppressed %llu errors %llu\n",
			(unsigned long long)st.audit_lines,
			(unsigned long long)st.audit_suppressed,
			(unsigned long long)st.audit_errors);
	fprintf(stderr,
		"usernet: resolved names: known %llu learned %llu expired %llu evicted %llu; dns refused %llu\n",
		(unsigned long long)st.names,
		(unsigned long long)st.names_learned,
		(unsigned long long)st.names_expired,
		(unsigned long long)st.names_evicted,
		(unsigned long long)st.dns_refused);
}

/*
 * SIGUSR1: the flow table, the proxy's and services' counters, the memory,
 * the ports' counters, then the stack's.
 */
static void dump_state(struct usernet *u)
{
	struct unet_proxy_stats ps = { .size = sizeof(ps) };
	const struct unet_port *port;
	int i;

	if (u->hub == NULL)
		return;
	if (u->proxy != NULL && unet_proxy_stats(u->proxy, &ps) == 0) {
		fprintf(stderr, "usernet: flow table (%llu flows):\n",
			(unsigned long long)ps.flows);
		fprintf(stderr, "  %-5s %-3s %-21s %-21s %-11s %12s %12s %8s\n",
			"proto", "dir", "guest", "remote", "state",
			"bytes-out", "bytes-in", "idle-s");
		unet_proxy_flows(u->proxy, dump_flow, NULL);
		dump_policy(u->proxy);
		fprintf(stderr,
			"usernet: proxy: flows %llu (tcp %llu of %llu, udp %llu of %llu, icmp %llu of %llu); opened tcp %llu udp %llu icmp %llu (over IPv6: tcp %llu udp %llu icmp %llu; icmp6 errors sent %llu); refused limit %llu (tcp %llu udp %llu icmp %llu) policy %llu spoofed %llu; udp evicted %llu; tcp refused %llu unreachable %llu timeouts %llu; dropped %llu; expired udp %llu icmp %llu\n",
			(unsigned long long)ps.flows,
			(unsigned long long)ps.tcp_flows,
			(unsigned long long)ps.tcp_cap,
			(unsigned long long)ps.udp_flows,
			(unsigned long long)ps.udp_cap,
			(unsigned long long)ps.icmp_flows,
			(unsigned long long)ps.icmp_cap,
			(unsigned long long)ps.tcp_opened,
			(unsigned long long)ps.udp_opened,
			(unsigned long long)ps.icmp_opened,
			(unsigned long long)ps.tcp6_opened,
			(unsigned long long)ps.udp6_opened,
			(unsigned long long)ps.icmp6_opened,
			(unsigned long long)ps.icmp6_errors,
			(unsigned long long)ps.refused_limit,
			(unsigned long long)ps.tcp_refused_limit,
			(unsigned long long)ps.udp_refused_limit,
			(unsigned long long)ps.icmp_refused_limit,
			(unsigned long long)ps.refused_policy,
			(unsigned long long)ps.refused_spoofed,
			(unsigned long long)ps.udp_evicted,
			(unsigned long long)ps.tcp_refused,
			(unsigned long long)ps.tcp_unreachable,
			(unsigned long long)ps.tcp_timeouts,
			(unsigned long long)ps.dropped,
			(unsigned long long)ps.udp_expired,
			(unsigned long long)ps.icmp_expired);
		fprintf(stderr,
			"usernet: proxy: icmp errors sent v4 %llu v6 %llu (pmtu %llu), rate-limited %llu; socket errors read %llu\n",
			(unsigned long long)ps.icmp4_errors,
			(unsigned long long)ps.icmp6_errors,
			(unsigned long long)ps.pmtu_errors,
			(unsigned long long)ps.icmp_errors_limited,
			(unsigned long long)ps.sock_errors);
	} else {
		fprintf(stderr, "usernet: no user netdev: no flows\n");
	}
	if (u->stack != NULL)
		dump_services(u->stack);
	dump_memory(u);
	if (u->stack != NULL)
		dump_budget(u);
	for (i = 0; i < u->n_hubs; i++) {
		if (u->n_hubs > 1)
			fprintf(stderr, "usernet: hub %u:\n", u->hub_ids[i]);
		for (port = unet_hub_ports(u->hubs[i]); port != NULL;
		     port = port->next)
			dump_port(port);
	}
	/* Last: a script that sees this line has the whole dump. */
	if (u->stack != NULL) {
		struct unet_stack_stats ss = { .size = sizeof(ss) };

		if (unet_stack_stats(u->stack, &ss) < 0)
			return;
		fprintf(stderr,
			"usernet: stack: tcp fast recoveries %llu (tail probes %llu), retransmission timeouts %llu; merged %llu segments into %llu GSO frames; %llu segments of many MSS; %llu segments sent from the host's bytes uncopied\n",
			(unsigned long long)ss.tcp_fast_recoveries,
			(unsigned long long)ss.tcp_tail_probes,
			(unsigned long long)ss.tcp_rto_timeouts,
			(unsigned long long)ss.tx_merged_segs,
			(unsigned long long)ss.tx_merged,
			(unsigned long long)ss.tx_tso,
			(unsigned long long)ss.tx_held);
	}
}

static int load_policy(const char *id, const struct netdev_user *user,
		       struct unet_policy **out);

/*
 * SIGHUP: policy=FILE is read again and replaces the policy in force,
 * flows kept (the control socket's policy_set can cut them); a file that
 * does not read or parse leaves the old policy, with the error on stderr.
 */
static void reload_policy(struct usernet *u)
{
	struct unet_policy *p;
	int r;

	if (u->proxy == NULL || u->policy_user == NULL)
		return;
	r = load_policy(u->policy_id, u->policy_user, &p);
	if (r == 0) {
		r = unet_proxy_set_policy(u->proxy, p, UNET_POLICY_KEEP_FLOWS);
		unet_policy_free(p);
	}
	unet_hub_log(u->hub, r < 0 ? UNET_LOG_ERROR : UNET_LOG_INFO,
		     "SIGHUP: policy=%s %s", u->policy_user->policy_file,
		     r < 0 ? "not replaced: the policy in force stays" :
			     "read again and in force, open flows kept");
}

static void on_signal(uv_signal_t *handle, int signum)
{
	struct usernet *u = handle->data;
	int wstatus;
	pid_t pid;

	if (signum == SIGUSR1) {
		dump_state(u);
		return;
	}
	if (signum == SIGHUP) {
		reload_policy(u);
		return;
	}
	if (signum == SIGCHLD) {
		if (u->ns.pid <= 0 || u->child_done)
			return;
		pid = waitpid(u->ns.pid, &wstatus, WNOHANG);
		if (pid != u->ns.pid)
			return;
		u->child_done = true;
		u->status = nsrun_status_to_exit(wstatus);
		shutdown_all(u);
		return;
	}
	if (u->ns.pid > 0 && !u->child_done) {
		nsrun_kill(&u->ns, signum);
		return;
	}
	unet_hub_log(u->hub, UNET_LOG_INFO, "%s: shutting down",
		     strsignal(signum));
	u->status = 0;
	shutdown_all(u);
}

/*
 * The egress policy of policy= and egress=, NULL in *@out when neither was
 * given; a bad file is reported with its name and line.
 */
static int load_policy(const char *id, const struct netdev_user *user,
		       struct unet_policy **out)
{
	char err[256];
	int r;

	*out = NULL;
	if (user->policy_file[0] != '\0')
		r = unet_policy_load(user->policy_file, out, err, sizeof(err));
	else if (user->egress >= 0)
		r = unet_policy_new(UNET_POLICY_ALLOW, out);
	else
		return 0;
	if (r < 0 && user->policy_file[0] != '\0') {
		fprintf(stderr, "usernet: -netdev user,id=%s: policy=%s\n", id,
			err);
		return r;
	}
	if (r < 0) {
		fprintf(stderr, "usernet: -netdev user,id=%s: %s\n", id,
			strerror(-r));
		return r;
	}
	if (user->egress >= 0)
		unet_policy_set_default(*out, user->egress);
	return 0;
}

/*
 * audit=FILE: each line with one write(2) to the file opened O_APPEND (so
 * lines from several writers do not mix) and O_NONBLOCK (a FIFO whose
 * reader lags loses the line rather than stalling the loop). A short or
 * failed write is the line lost, counted by the proxy (audit_errors).
 */
static int audit_line(void *opaque, const char *line, size_t len)
{
	const int *fd = opaque;
	ssize_t n = write(*fd, line, len);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/* Opens audit=FILE for start_user(); 0, or the error, said on stderr. */
static int open_audit(struct usernet *u, const char *id,
		      const struct netdev_user *user)
{
	u->audit_fd = -1;
	if (user->audit_file[0] == '\0')
		return 0;
	u->audit_fd = open(user->audit_file,
			   O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC |
				   O_NONBLOCK | O_NOCTTY,
			   0600);
	if (u->audit_fd < 0) {
		int e = errno;

		fprintf(stderr, "usernet: -netdev user,id=%s: audit=%s: %s\n",
			id, user->audit_file, strerror(e));
		return -e;
	}
	return 0;
}

/* The gateway (on @hub) and its proxy; the forwards come later. */
static int start_user(struct usernet *u, struct unet_hub *hub, const char *id,
		      const struct netdev_user *user)
{
	struct unet_policy *policy;
	struct unet_proxy_config pc;
	struct stat st;
	int r;

	/* Say which folder is wrong rather than a bare errno from the stack. */
	if (user->stack.tftp_root[0] != '\0') {
		r = stat(user->stack.tftp_root, &st) < 0 ? -errno :
		    !S_ISDIR(st.st_mode)		     ? -ENOTDIR :
							       0;
		if (r < 0) {
			fprintf(stderr, "usernet: -netdev user,id=%s: tftp=%s: %s\n",
				id, user->stack.tftp_root, strerror(-r));
			return r;
		}
	}
	r = unet_stack_new(hub, id, &user->stack, &u->stack);
	if (r < 0) {
		fprintf(stderr, "usernet: -netdev user,id=%s: %s\n", id,
			strerror(-r));
		return r;
	}
	r = load_policy(id, user, &policy);
	if (r == 0)
		r = open_audit(u, id, user);
	if (r < 0) {
		unet_policy_free(policy);
		return r;
	}
	pc = user->proxy;
	pc.policy = policy;
	if (u->audit_fd >= 0) {
		pc.audit = audit_line;
		pc.audit_opaque = &u->audit_fd;
	}
	r = unet_proxy_new(u->stack, &pc, &u->proxy);
	unet_policy_free(policy); /* the proxy keeps its own copy */
	if (r == 0 && user->policy_file[0] != '\0') {
		u->policy_id = id;
		u->policy_user = user;
		uv_signal_start(&u->signals[4], on_signal, SIGHUP);
	}
	if (r < 0)
		fprintf(stderr, "usernet: -netdev user,id=%s: cannot start the proxy: %s\n",
			id, strerror(-r));
	return r;
}

/* A forward's address as hostfwd= spells it: "1.2.3.4", "[::1]", or "". */
static const char *fwd_spec_addr(char *buf, size_t len,
				 const union unet_sockaddr *sa, bool omit)
{
	char a[INET6_ADDRSTRLEN] = "?";

	buf[0] = '\0';
	if (omit)
		return buf;
	if (sa->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &sa->in6.sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]", a);
	} else if (sa->in.sin_addr.s_addr != htonl(INADDR_ANY)) {
		inet_ntop(AF_INET, &sa->in.sin_addr, buf, (socklen_t)len);
	}
	return buf;
}

/* A forward as hostfwd= spells it: "tcp::8080-:80", "tcp:[::1]:80-...". */
static void fwd_spec(char *buf, size_t len, const struct unet_fwd_ex *f,
		     bool guest_default)
{
	char h[INET6_ADDRSTRLEN + 2], g[INET6_ADDRSTRLEN + 2];
	bool h6 = f->host.sa.sa_family == AF_INET6;
	bool g6 = f->guest.sa.sa_family == AF_INET6;

	snprintf(buf, len, "%s:%s:%u-%s:%u", proto_name(f->proto),
		 fwd_spec_addr(h, sizeof(h), &f->host, false),
		 ntohs(h6 ? f->host.in6.sin6_port : f->host.in.sin_port),
		 fwd_spec_addr(g, sizeof(g), &f->guest, guest_default),
		 ntohs(g6 ? f->guest.in6.sin6_port : f->guest.in.sin_port));
}

/*
 * Opens the user netdev's forwards; @guest (network order, 0 for none)
 * replaces the guest address of those that left it out. On failure, prints
 * which forward and why; what was opened is closed with the proxy.
 */
static int open_forwards(struct usernet *u, const char *id,
			 const struct netdev_user *user, uint32_t guest)
{
	char spec[160], ha[INET6_ADDRSTRLEN + 8], ga[INET6_ADDRSTRLEN + 8];
	struct unet_fwd_ex f;
	int i, r;

	for (i = 0; i < user->n_fwds; i++) {
		f = user->fwds[i];
		if (user->fwd_guest_default[i] && guest != 0)
			f.guest.in.sin_addr.s_addr = guest;
		r = unet_proxy_fwd_add_ex(u->proxy, &f);
		if (r < 0) {
			fwd_spec(spec, sizeof(spec), &user->fwds[i],
				 user->fwd_guest_default[i]);
			fprintf(stderr,
				"usernet: -netdev user,id=%s: hostfwd=%s: cannot listen on %s: %s\n",
				id, spec,
				netdev_sa_str(&f.host, ha, sizeof(ha)),
				strerror(-r));
			return r;
		}
		unet_hub_log(u->hub, UNET_LOG_INFO, "forwarding %s %s -> %s",
			     proto_name(f.proto),
			     netdev_sa_str(&f.host, ha, sizeof(ha)),
			     netdev_sa_str(&f.guest, ga, sizeof(ga)));
	}
	return 0;
}

/*
 * The hub numbered @id (hub= / hubid=), made on first use with the same
 * configuration as hub 0. parse_args() has bounded how many there are.
 */
static int get_hub(struct usernet *u, unsigned int id, struct unet_hub **hubp)
{
	int i, r;

	for (i = 0; i < u->n_hubs; i++) {
		if (u->hub_ids[i] == id) {
			*hubp = u->hubs[i];
			return 0;
		}
	}
	if (u->n_hubs == NETDEV_HUB_MAX)
		return -ENOSPC;
	r = unet_hub_new(&u->loop, &u->hub_config, &u->hubs[u->n_hubs]);
	if (r < 0) {
		fprintf(stderr, "usernet: cannot make hub %u: %s\n", id,
			strerror(-r));
		return r;
	}
	u->hub_ids[u->n_hubs] = id;
	*hubp = u->hubs[u->n_hubs++];
	return 0;
}

/*
 * An inet or unix address of a netdev as a socket address. A host name is
 * looked up (IPv4, or IPv6 for a host with ':'); an empty host is any IPv4
 * address. Prints why on failure.
 */
static int resolve_addr(const struct netdev *nd, const char *what,
			const struct netdev_addr *a, int socktype,
			struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_un *un = (struct sockaddr_un *)ss;
	struct addrinfo hints, *res = NULL;
	char port[8];
	int r;

	memset(ss, 0, sizeof(*ss));
	if (a->type == NETDEV_ADDR_UNIX) {
		un->sun_family = AF_UNIX;
		snprintf(un->sun_path, sizeof(un->sun_path), "%s", a->path);
		*len = (socklen_t)sizeof(*un);
		return 0;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = strchr(a->host, ':') != NULL ? AF_INET6 : AF_INET;
	hints.ai_socktype = socktype;
	hints.ai_flags = AI_NUMERICSERV | (a->host[0] == '\0' ? AI_PASSIVE : 0);
	snprintf(port, sizeof(port), "%u", a->port);
	r = getaddrinfo(a->host[0] != '\0' ? a->host : NULL, port, &hints,
			&res);
	if (r != 0 || res == NULL || res->ai_addrlen > sizeof(*ss)) {
		fprintf(stderr, "usernet: -netdev %s,id=%s: %s: cannot resolve '%s': %s\n",
			netdev_type_name(nd->type), nd->id, what, a->host,
			r != 0 ? gai_strerror(r) : "no address");
		if (res != NULL)
			freeaddrinfo(res);
		return -EINVAL;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* A socket, stream or dgram netdev on @hub. */
static int open_link(struct unet_hub *hub, const struct netdev *nd)
{
	const struct netdev_link *l = &nd->u.link;
	const char *type = netdev_type_name(nd->type);
	struct unet_stream_config sc;
	struct unet_dgram_config dc;
	struct unet_port *port;
	char where[UNET_IFNAME_MAX + NETDEV_HOST_MAX + NETDEV_PATH_MAX];
	int r;

	if (l->stream && l->addr.type == NETDEV_ADDR_FD) {
		r = unet_stream_adopt(hub, nd->id, l->addr.fd, &port);
		if (r < 0)
			fprintf(stderr, "usernet: -netdev %s,id=%s: fd %d: %s\n",
				type, nd->id, l->addr.fd,
				r == -EINVAL ? "not a connected stream socket" :
					       strerror(-r));
		else if (l->offload)
			unet_stream_set_offload(port, true);
		return r;
	}
	if (l->stream) {
		unet_stream_config_init(&sc);
		sc.listen = l->server;
		sc.reconnect_ms = l->reconnect * 1000u;
		sc.offload = l->offload;
		r = resolve_addr(nd, "address", &l->addr, SOCK_STREAM, &sc.addr,
				 &sc.addrlen);
		if (r < 0)
			return r;
		r = unet_stream_open(hub, nd->id, &sc, &port);
		if (l->addr.type == NETDEV_ADDR_UNIX)
			snprintf(where, sizeof(where), "%s", l->addr.path);
		else
			snprintf(where, sizeof(where), "%s:%u", l->addr.host,
				 l->addr.port);
		if (r < 0)
			fprintf(stderr, "usernet: -netdev %s,id=%s: cannot %s %s: %s\n",
				type, nd->id,
				l->server ? "listen on" : "connect to", where,
				strerror(-r));
		return r;
	}
	unet_dgram_config_init(&dc);
	r = resolve_addr(nd, "remote address", &l->remote, SOCK_DGRAM,
			 &dc.remote, &dc.remote_len);
	if (r == 0 && l->local.type != NETDEV_ADDR_NONE)
		r = resolve_addr(nd, "local address", &l->local, SOCK_DGRAM,
				 &dc.local, &dc.local_len);
	if (r < 0)
		return r;
	r = unet_dgram_open(hub, nd->id, &dc, &port);
	if (r < 0)
		fprintf(stderr, "usernet: -netdev %s,id=%s: cannot open the socket: %s\n",
			type, nd->id, strerror(-r));
	return r;
}

/* A vxlan netdev on @hub: its names resolved in the underlay's family. */
static int open_vxlan(struct unet_hub *hub, const struct netdev *nd)
{
	const struct netdev_vxlan *vx = &nd->u.vxlan;
	struct unet_vxlan_config *vc;
	struct netdev_addr local = { .type = NETDEV_ADDR_INET };
	struct unet_port *port;
	int i, r;

	vc = malloc(sizeof(*vc));	/* large: the remotes */
	if (vc == NULL)
		return -ENOMEM;
	unet_vxlan_config_init(vc);
	vc->vni = vx->vni;
	vc->port = (uint16_t)vx->port;
	vc->learning = vx->learning;
	vc->ageing_s = vx->ageing;
	snprintf(vc->dev, sizeof(vc->dev), "%s", vx->dev);
	r = 0;
	if (vx->local[0] != '\0') {
		snprintf(local.host, sizeof(local.host), "%s", vx->local);
		r = resolve_addr(nd, "local address", &local, SOCK_DGRAM,
				 &vc->local, &vc->local_len);
	}
	if (r == 0 && vx->group.type != NETDEV_ADDR_NONE)
		r = resolve_addr(nd, "group", &vx->group, SOCK_DGRAM,
				 &vc->group, &vc->group_len);
	for (i = 0; r == 0 && i < vx->n_remotes; i++) {
		socklen_t len;

		r = resolve_addr(nd, "remote", &vx->remotes[i], SOCK_DGRAM,
				 &vc->remotes[i], &len);
	}
	vc->n_remotes = (unsigned int)vx->n_remotes;
	if (r == 0) {
		r = unet_vxlan_open(hub, nd->id, vc, &port);
		if (r < 0)
			fprintf(stderr, "usernet: -netdev vxlan,id=%s: cannot open the tunnel endpoint (UDP port %u): %s%s\n",
				nd->id, vx->port, strerror(-r),
				r == -EADDRINUSE ?
					" (a kernel vxlan device or another usernet in this network namespace has it)" :
				r == -ENODEV ? " (no such dev=)" :
				r == -EINVAL ? " (the addresses must be of one family)" :
					       "");
	}
	free(vc);
	return r;
}

/* A vde netdev on @hub. */
static int open_vde(struct unet_hub *hub, const struct netdev *nd)
{
	struct unet_vde_config vc;
	struct unet_port *port;
	int r;

	unet_vde_config_init(&vc);
	vc.sock = nd->u.vde.sock;
	vc.port = nd->u.vde.port;
	vc.group = nd->u.vde.group[0] != '\0' ? nd->u.vde.group : NULL;
	vc.mode = nd->u.vde.mode;
	r = unet_vde_open(hub, nd->id, &vc, &port);
	if (r < 0)
		fprintf(stderr, "usernet: -netdev vde,id=%s: cannot plug into %s: %s%s\n",
			nd->id,
			nd->u.vde.sock[0] != '\0' ? nd->u.vde.sock :
						    "the default VDE switch",
			strerror(-r),
			r == -EPROTONOSUPPORT ?
				" (libvdeplug's vxlan:// does not work through usernet: use -netdev vxlan,id=ID,vni=N,group=ADDR|remote=HOST)" :
				"");
	return r;
}

/* A tap made inside another network namespace (netns=). */
static int open_tap_netns(struct unet_hub *hub, const struct netdev *nd)
{
	const char *name = nd->u.tap.ifname[0] != '\0' ? nd->u.tap.ifname :
							 "tap%d";
	struct netns_target t;
	struct unet_port *port;
	char err[512];
	int r, fd;

	r = netns_parse_target(nd->u.tap.netns, &t);
	if (r == 0)
		r = netns_open_tap(&t, name, NULL, !nd->u.tap.no_offload, &fd,
				   err, sizeof(err));
	else
		snprintf(err, sizeof(err), "not a PID or a path");
	if (r == 0) {
		r = unet_tap_adopt(hub, nd->id, fd, &port);
		if (r < 0) {
			snprintf(err, sizeof(err), "%s", strerror(-r));
			close(fd);
		}
	}
	if (r < 0)
		fprintf(stderr, "usernet: -netdev tap,id=%s,netns=%s: %s\n",
			nd->id, nd->u.tap.netns, err);
	return r;
}

static int open_netdev(struct usernet *u, const struct netdev *nd,
		       const struct options *o)
{
	struct unet_port *port;
	struct unet_hub *hub;
	int r = 0;

	r = get_hub(u, nd->hub, &hub);
	if (r < 0)
		return r;
	switch (nd->type) {
	case NETDEV_USER:
		r = start_user(u, hub, nd->id, &nd->u.user);
		break;
	case NETDEV_TAP:
		if (nd->u.tap.netns[0] != '\0') {
			r = open_tap_netns(hub, nd);
			break;
		}
		if (nd->u.tap.fd >= 0)
			r = unet_tap_adopt_ex(
				hub, nd->id, nd->u.tap.fd,
				nd->u.tap.no_offload ? UNET_TAP_NO_OFFLOAD : 0,
				&port);
		else
			r = unet_tap_open_ex(
				hub, nd->id, nd->u.tap.ifname,
				nd->u.tap.no_offload ? UNET_TAP_NO_OFFLOAD : 0,
				&port);
		if (r < 0)
			fprintf(stderr,
				"usernet: -netdev tap,id=%s: cannot open tap%s%s: %s\n",
				nd->id, nd->u.tap.fd >= 0 ? " fd" : " ",
				nd->u.tap.fd >= 0 ? "" : nd->u.tap.ifname,
				strerror(-r));
		break;
	case NETDEV_DUMP:
		r = unet_dump_open(hub, nd->id, nd->u.dump.file,
				   nd->u.dump.len, &port);
		if (r < 0)
			fprintf(stderr,
				"usernet: -netdev dump,id=%s: cannot write %s: %s\n",
				nd->id, nd->u.dump.file, strerror(-r));
		break;
	case NETDEV_SOCKET:
	case NETDEV_STREAM:
	case NETDEV_DGRAM:
		r = open_link(hub, nd);
		break;
	case NETDEV_VDE:
		r = open_vde(hub, nd);
		break;
	case NETDEV_VXLAN:
		r = open_vxlan(hub, nd);
		break;
	case NETDEV_HUBPORT:
		/* Its hub exists now; the netdev it names is put on it. */
		break;
	case NETDEV_TYPE_NUM:
		r = -EINVAL;
		break;
	}
	(void)o;
	if (r == 0 && (nd->loss.one_in != 0 || nd->loss.burst_every != 0)) {
		for (port = unet_hub_ports(hub); port != NULL; port = port->next)
			if (strcmp(port->id, nd->id) == 0)
				port->loss = nd->loss;
	}
	return r;
}

/*
 * Every flow holds a file descriptor, and the proxy sizes its caps from the
 * open-files limit: raise the soft limit to the hard one before the user
 * netdev opens. Keeps the old limit in @u->nofile for run's CMD.
 */
static void raise_nofile(struct usernet *u)
{
	uint64_t limit;
	int r;

	if (getrlimit(RLIMIT_NOFILE, &u->nofile) < 0)
		memset(&u->nofile, 0, sizeof(u->nofile));
	r = unet_proxy_raise_nofile(&limit);
	if (r < 0)
		unet_hub_log(u->hub, UNET_LOG_WARN,
			     "cannot raise the open-files limit (%llu): %s",
			     (unsigned long long)u->nofile.rlim_cur,
			     strerror(-r));
	else
		unet_hub_log(u->hub, UNET_LOG_DEBUG,
			     "open-files limit %llu (was %llu)",
			     (unsigned long long)limit,
			     (unsigned long long)u->nofile.rlim_cur);
}

/* The exit fd fired: as SIGTERM, CMD first in run mode. */
static void on_exit_fd(void *data)
{
	struct usernet *u = data;

	if (u->ns.pid > 0 && !u->child_done) {
		nsrun_kill(&u->ns, SIGTERM);
		return;
	}
	u->status = 0;
	shutdown_all(u);
}

/*
 * --pidfile, --api-socket (forwards to @guest by default), --exit-fd, and
 * last --ready-fd, once everything runs. Prints why on failure.
 */
static int start_ready(struct usernet *u, const struct options *o,
		       const struct netdev_user *user, struct in_addr guest)
{
	struct ready_options ro = o->ready;
	struct apisock_info info;
	char err[512];
	int r;

	/* --api-socket speaks usernet's control protocol (ctlsock.h). */
	u->control.proxy = u->proxy;
	u->control.stack = u->stack;
	u->control.hubs = u->hubs;
	u->control.hub_ids = u->hub_ids;
	u->control.n_hubs = u->n_hubs;
	u->control.log_cb = log_stderr;
	u->control.log_level = o->level;
	ro.control = &u->control;
	memset(&info, 0, sizeof(info));
	info.mtu = o->mtu;
	if (user != NULL) {
		info.net = user->stack.net;
		info.mask = user->stack.mask;
		info.host = user->stack.host;
		info.dns = user->stack.dns;
		info.dhcp_start = user->stack.dhcp_start;
		info.ipv6 = !user->stack.no_ipv6;
		info.host_loopback = user->proxy.loopback;
	}
	info.guest = guest;
	r = ready_start(&u->ready, &u->loop, &ro, u->proxy, &info, on_exit_fd,
			u, err, sizeof(err));
	if (r < 0)
		fprintf(stderr, "usernet: %s\n", err);
	return r;
}

/* --sandbox, --seccomp: the last step before the ready fd. */
static int confine(void *data, char *err, size_t errlen)
{
	return sandbox_enter(data, err, errlen);
}

/* --sandbox: the TFTP server's folder, opened again inside the sandbox. */
static int reopen_tftp(void *data, const char *path, char *err, size_t errlen)
{
	int r = unet_stack_tftp_reopen(data, path);

	if (r < 0)
		snprintf(err, errlen,
			 "cannot open the TFTP folder again in the sandbox: %s",
			 strerror(-r));
	return r;
}

/*
 * What the sandbox must leave usable: resolv.conf when the DNS forwarder
 * reads it (no dns-upstream=), the TFTP folder, run's CMD.
 */
static void sandbox_config(const struct options *o,
			   const struct netdev_user *user,
			   struct unet_stack *stack, pid_t child,
			   struct sandbox_options *so)
{
	memset(so, 0, sizeof(*so));
	so->mounts = o->sandbox;
	so->seccomp = o->seccomp;
	so->child = child;
	if (user != NULL && user->stack.n_dns_upstream == 0 &&
	    user->stack.n_dns_upstream6 == 0)
		so->keep_file = user->stack.resolv_conf;
	if (user != NULL && stack != NULL && user->stack.tftp_root[0] != '\0') {
		so->keep_dir = user->stack.tftp_root;
		so->reopen_dir = reopen_tftp;
		so->reopen_data = stack;
	}
}

/* The namespace's settings, from the user netdev's addresses. */
static void run_config(const struct options *o,
		       const struct unet_stack_config *user,
		       struct nsrun_config *nc)
{
	uint32_t net = ntohl(user->net.s_addr), mask = ntohl(user->mask.s_addr);
	uint32_t addr = net | (100 & ~mask);

	memset(nc, 0, sizeof(*nc));
	nc->argv = o->argv;
	nc->ifname = "tap0";
	/* net+100 unless the net is too small or that is taken already. */
	if ((100 & mask) != 0 || addr == ntohl(user->host.s_addr) ||
	    addr == ntohl(user->dns.s_addr) || addr == (net | ~mask))
		addr = ntohl(user->dhcp_start.s_addr);
	nc->addr.s_addr = htonl(addr);
	nc->prefix = (unsigned int)__builtin_popcount(mask);
	nc->gateway = user->host;
	nc->dns = user->dns;
	nc->mtu = o->mtu;
	nc->no_ipv4 = user->no_ipv4;
	nc->ipv6 = !user->no_ipv6;
	nc->dns6 = user->ip6_dns;
	nc->no_dns = user->no_dns;
	nc->vnet_hdr = !o->no_offload;
	/* Left at :: for the stack to fill in: its default, fec0::3. */
	if (IN6_IS_ADDR_UNSPECIFIED(&nc->dns6)) {
		nc->dns6.s6_addr[0] = 0xfe;
		nc->dns6.s6_addr[1] = 0xc0;
		nc->dns6.s6_addr[15] = 3;
	}
}

const char *__lsan_default_options(void);

/**
 * __lsan_default_options() - LeakSanitizer's options in sanitized builds
 *
 * lwIP's IPv6 reassembly keeps the pointer to each queued fragment in a
 * packed struct inside the previous fragment's bytes (ip6_frag.c with
 * IPV6_FRAG_COPYHEADER), 4 bytes off alignment on 64-bit: LeakSanitizer
 * must look at unaligned words, or fragments still queued at exit look
 * leaked. Unused in builds without the sanitizer.
 *
 * Return: the options.
 */
const char *__lsan_default_options(void)
{
	return "use_unaligned=1";
}

/*
 * The main loop. With --busy-poll, each time the loop wakes up it goes on
 * looking for work without sleeping for @busy_poll_us: in a request and
 * response exchange the answer comes within that time, and being awake
 * then saves the wake-up, which costs tens of microseconds on a
 * virtualised host. An idle usernet still sleeps: the window opens only
 * after a wake-up, and timers wake it a few times a second at most.
 */
static void run_loop(uv_loop_t *loop, unsigned int busy_poll_us)
{
	uint64_t window = (uint64_t)busy_poll_us * 1000;
	uint64_t start;

	if (window == 0) {
		uv_run(loop, UV_RUN_DEFAULT);
		return;
	}
	while (uv_run(loop, UV_RUN_ONCE) != 0) {
		start = uv_hrtime();
		while (uv_hrtime() - start < window)
			if (uv_run(loop, UV_RUN_NOWAIT) == 0)
				return;
	}
}

int main(int argc, char **argv)
{
	static struct options o;
	static struct netdev_user defaults;
	const struct netdev_user *user = NULL;
	const char *user_id = "user0";
	static const int signums[5] = { SIGINT, SIGTERM, SIGCHLD, SIGUSR1,
					SIGHUP };
	struct sandbox_options so;
	struct nsrun_config nc;
	struct unet_port *port;
	struct in_addr guest;
	struct usernet u;
	char err[512];
	int r, i;

	memtrim_tune();
	if (argc > 1 && strcmp(argv[1], "replay") == 0)
		return replay_main(argc - 1, argv + 1);
	if (strcmp(basename(argv[0]), "slirp4netns") == 0)
		return s4n_main(argc, argv);
	if (argc > 1 && strcmp(argv[1], "slirp4netns") == 0)
		return s4n_main(argc - 1, argv + 1);
	r = parse_args(argc, argv, &o);
	if (r >= 0)
		return r;

	memset(&u, 0, sizeof(u));
	u.ns.pid = -1;
	u.ns.tap_fd = -1;
	u.ns.ctl_fd = -1;
	signal(SIGPIPE, SIG_IGN);
	if (uv_loop_init(&u.loop) != 0) {
		fprintf(stderr, "usernet: cannot make the event loop\n");
		return 1;
	}
	unet_hub_config_init(&u.hub_config);
	u.hub_config.mtu = o.mtu;
	u.hub_config.seed = o.seed;
	u.hub_config.log_cb = log_stderr;
	u.hub_config.log_level = o.level;
	r = get_hub(&u, 0, &u.hub);
	if (r < 0)
		return 1;
	raise_nofile(&u);
	memtrim_start(&u.trim, &u.loop);
	for (i = 0; i < 5; i++) {
		uv_signal_init(&u.loop, &u.signals[i]);
		u.signals[i].data = &u;
		if (signums[i] == SIGHUP)
			continue; /* with policy=FILE only: start_user() */
		if (signums[i] != SIGCHLD || o.run)
			uv_signal_start(&u.signals[i], on_signal, signums[i]);
	}

	for (i = 0; i < o.n_netdevs; i++) {
		if (o.netdevs[i].type == NETDEV_USER) {
			user = &o.netdevs[i].u.user;
			user_id = o.netdevs[i].id;
		}
		if (open_netdev(&u, &o.netdevs[i], &o) < 0)
			goto fail;
	}
	if (!o.run && user != NULL &&
	    open_forwards(&u, user_id, user, 0) < 0)
		goto fail;
	if (o.run) {
		if (user == NULL) {
			unet_stack_config_init(&defaults.stack);
			unet_proxy_config_init(&defaults.proxy);
			defaults.egress = -1;
			user = &defaults;
			if (start_user(&u, u.hub, user_id, user) < 0)
				goto fail;
		}
		run_config(&o, &user->stack, &nc);
		nc.nofile = u.nofile;
		/* Forwards without a guest address lead into the namespace. */
		if (open_forwards(&u, user_id, user, nc.addr.s_addr) < 0)
			goto fail;
		r = nsrun_start(&nc, &u.ns, err, sizeof(err));
		if (r < 0) {
			fprintf(stderr, "usernet: run: %s\n", err);
			goto fail;
		}
		r = unet_tap_adopt(u.hub, "ns0", u.ns.tap_fd, &port);
		u.ns.tap_fd = -1;
		if (r < 0) {
			fprintf(stderr, "usernet: run: cannot attach the tap: %s\n",
				strerror(-r));
			nsrun_abort(&u.ns);
			goto fail;
		}
		r = nsrun_go(&u.ns);
		if (r < 0) {
			fprintf(stderr, "usernet: run: cannot start %s: %s\n",
				o.argv[0], strerror(-r));
			nsrun_abort(&u.ns);
			goto fail;
		}
	}

	/* The API socket's forwards go where hostfwd='s do by default. */
	memset(&guest, 0, sizeof(guest));
	if (o.run)
		guest = nc.addr;
	else if (user != NULL)
		guest = user->stack.dhcp_start;
	sandbox_config(&o, user, u.stack, u.ns.pid > 0 ? u.ns.pid : 0, &so);
	if (o.sandbox || o.seccomp) {
		o.ready.confine = confine;
		o.ready.confine_data = &so;
	}
	if (start_ready(&u, &o, user, guest) < 0) {
		if (u.ns.pid > 0 && !u.child_done)
			nsrun_kill(&u.ns, SIGKILL);
		goto fail;
	}
	run_loop(&u.loop, o.busy_poll_us);
	shutdown_all(&u);
	uv_run(&u.loop, UV_RUN_DEFAULT);
	uv_loop_close(&u.loop);
	return u.status;

fail:
	if (u.ns.pid > 0 && !u.child_done)
		waitpid(u.ns.pid, NULL, 0);
	shutdown_all(&u);
	uv_run(&u.loop, UV_RUN_DEFAULT);
	uv_loop_close(&u.loop);
	return 1;
}
