// SPDX-License-Identifier: MIT
/*
 * Unit tests of the -netdev option parser (tools/netdev.c): a table of good
 * options with the fields they must give, a table of good user options with
 * the forwards and proxy switches they must give, a table of bad ones with
 * the words their error must contain, error truncation, the forward limit,
 * and every prefix of every input run through the parser (under ASan/UBSan
 * in CI).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "netdev.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct good_case {
	const char *arg;
	enum netdev_type type;
	const char *id;
	/* user */
	const char *net, *mask, *host, *dns, *dhcp_start;
	/* tap */
	const char *ifname;
	int fd;
	/* dump */
	const char *file;
	size_t len;
};

#define USER(a, i, n, m, h, d, s)					\
	{ .arg = (a), .type = NETDEV_USER, .id = (i), .net = (n), .mask = (m), \
	  .host = (h), .dns = (d), .dhcp_start = (s) }
#define TAP(a, i, n, f)							\
	{ .arg = (a), .type = NETDEV_TAP, .id = (i), .ifname = (n), .fd = (f) }
#define DUMP(a, i, f, l)						\
	{ .arg = (a), .type = NETDEV_DUMP, .id = (i), .file = (f), .len = (l) }

static const struct good_case good_cases[] = {
	USER("user,id=n0", "n0",
	     "10.0.2.0", "255.255.255.0", "10.0.2.2", "10.0.2.3", "10.0.2.15"),
	USER("user,id=n0,net=192.168.76.0/24", "n0",
	     "192.168.76.0", "255.255.255.0", "192.168.76.2", "192.168.76.3", "192.168.76.15"),
	USER("user,id=n0,net=192.168.76.0", "n0",
	     "192.168.76.0", "255.255.255.0", "192.168.76.2", "192.168.76.3", "192.168.76.15"),
	USER("user,id=n0,net=10.0.0.0/255.255.0.0", "n0",
	     "10.0.0.0", "255.255.0.0", "10.0.0.2", "10.0.0.3", "10.0.0.15"),
	USER("user,id=n0,net=172.16.0.0/12", "n0",
	     "172.16.0.0", "255.240.0.0", "172.16.0.2", "172.16.0.3", "172.16.0.15"),
	USER("user,id=n0,net=10.9.0.0/27", "n0",
	     "10.9.0.0", "255.255.255.224", "10.9.0.2", "10.9.0.3", "10.9.0.15"),
	USER("user,id=n0,net=10.1.2.0/24,host=10.1.2.1,dns=10.1.2.53,dhcpstart=10.1.2.100", "n0",
	     "10.1.2.0", "255.255.255.0", "10.1.2.1", "10.1.2.53", "10.1.2.100"),
	USER("user,id=n0,host=10.0.2.1,dns=10.0.2.254", "n0",
	     "10.0.2.0", "255.255.255.0", "10.0.2.1", "10.0.2.254", "10.0.2.15"),
	USER("user,dhcpstart=192.168.0.4,net=192.168.0.0/29,id=Net_0.a-b", "Net_0.a-b",
	     "192.168.0.0", "255.255.255.248", "192.168.0.2", "192.168.0.3", "192.168.0.4"),
	USER("user,id=n0,net=16.0.0.0/4", "n0",
	     "16.0.0.0", "240.0.0.0", "16.0.0.2", "16.0.0.3", "16.0.0.15"),
	USER("user,id=abcdefghijklmnopqrstuvwxyz01234", "abcdefghijklmnopqrstuvwxyz01234",
	     "10.0.2.0", "255.255.255.0", "10.0.2.2", "10.0.2.3", "10.0.2.15"),
	TAP("tap,id=t0", "t0", "", -1),
	TAP("tap,id=t0,ifname=tap0", "t0", "tap0", -1),
	TAP("tap,ifname=abcdefghijklmno,id=t0", "t0", "abcdefghijklmno", -1),
	TAP("tap,id=t0,ifname=usernet%d", "t0", "usernet%d", -1),
	TAP("tap,id=t0,fd=3", "t0", "", 3),
	TAP("tap,id=t0,fd=0", "t0", "", 0),
	TAP("tap,id=t0,fd=2147483647", "t0", "", 2147483647),
	DUMP("dump,id=d0,file=/tmp/x.pcap", "d0", "/tmp/x.pcap", 65536),
	DUMP("dump,id=d0,file=a,,b.pcap", "d0", "a,b.pcap", 65536),
	DUMP("dump,id=d0,file=,,,,x,,", "d0", ",,x,", 65536),
	DUMP("dump,id=d0,file=a=b c", "d0", "a=b c", 65536),
	DUMP("dump,id=d0,file=f.pcap,len=128", "d0", "f.pcap", 128),
	DUMP("dump,len=1,file=f,id=d0", "d0", "f", 1),
};

struct bad_case {
	const char *arg;
	const char *want;	/* a substring the error must contain */
};

static const struct bad_case bad_cases[] = {
	/* the option as a whole */
	{ "", "missing type" },
	{ ",", "missing type" },
	{ ",,,", "missing type" },
	{ "bogus,id=x", "unknown type 'bogus' (known: user, tap, dump)" },
	{ "User,id=x", "unknown type 'User'" },
	{ "id=n0,user", "must be the type" },
	{ "user,id=n0,", "trailing ','" },
	{ "user,,id=n0", "empty option" },
	{ "user,id=n0,,", "id: 'n0,'" },	/* ",," is a literal comma */
	{ "user,id=n0,=x", "empty key" },
	/* keys */
	{ "tap,id=t0,foo=1", "unknown key 'foo' for type tap" },
	{ "tap,id=t0,net=10.0.2.0/24", "unknown key 'net' for type tap" },
	{ "user,id=n0,file=x", "unknown key 'file' for type user" },
	{ "tap,id=t0,hostfwd=tcp::22-:22", "unknown key 'hostfwd' for type tap" },
	{ "dump,id=d0,file=f,restrict=on", "unknown key 'restrict' for type dump" },
	{ "user,id=n0,fo\no=1", "unknown key 'fo?o'" },
	{ "user,id=n0,net", "net: missing '=VALUE'" },
	{ "user,net,id=n0", "net: missing '=VALUE'" },
	{ "user,id", "id: missing '=VALUE'" },
	{ "user,id=", "id: empty value" },
	{ "user,id=n0,net=", "net: empty value" },
	{ "tap,id=t0,ifname=,fd=3", "ifname: empty value" },
	{ "user,id=n0,id=n1", "repeated key 'id'" },
	{ "user,id=n0,dns=10.0.2.3,dns=10.0.2.4", "repeated key 'dns'" },
	{ "tap,id=t0,fd=3,fd=3", "repeated key 'fd'" },
	/* id */
	{ "user", "missing id" },
	{ "user,net=10.0.2.0/24", "missing id" },
	{ "tap,ifname=tap0", "missing id" },
	{ "user,id=0n", "id: '0n' must start with a letter" },
	{ "user,id=_n", "id: '_n'" },
	{ "user,id=n 0", "id: 'n 0'" },
	{ "user,id=n/0", "id: 'n/0'" },
	{ "user,id=n,,0", "id: 'n,0'" },
	{ "user,id=abcdefghijklmnopqrstuvwxyz012345", "id: 'abcdefghijklmnopqrstuvwxyz012345' is longer" },
	/* addresses */
	{ "user,id=n0,host=10.0.2", "host: bad IPv4 address '10.0.2'" },
	{ "user,id=n0,host=10.0.2.256", "host: bad IPv4 address '10.0.2.256'" },
	{ "user,id=n0,dns=10.0.2.2x", "dns: bad IPv4 address '10.0.2.2x'" },
	{ "user,id=n0,dns=10.0.2.3 ", "dns: bad IPv4 address" },
	{ "user,id=n0,dhcpstart=::1", "dhcpstart: bad IPv4 address" },
	{ "user,id=n0,host=0x0a000202", "host: bad IPv4 address" },
	{ "user,id=n0,net=10.0.2/24", "net: bad IPv4 address '10.0.2'" },
	{ "user,id=n0,host=10.0.3.2", "host: 10.0.3.2 is outside 10.0.2.0/24" },
	{ "user,id=n0,net=192.168.1.0/24,host=10.0.2.2", "host: 10.0.2.2 is outside 192.168.1.0/24" },
	{ "user,id=n0,host=10.0.2.255", "host: 10.0.2.255 is the broadcast address" },
	{ "user,id=n0,host=10.0.2.0", "host: 10.0.2.0 is the network address" },
	{ "user,id=n0,dns=10.0.2.255", "dns: 10.0.2.255 is the broadcast" },
	{ "user,id=n0,dhcpstart=10.0.3.15", "dhcpstart: 10.0.3.15 is outside" },
	{ "user,id=n0,host=10.0.2.3", "host: 10.0.2.3 is the same address as dns" },
	{ "user,id=n0,dns=10.0.2.2", "dns: 10.0.2.2 is the same address as host" },
	{ "user,id=n0,host=10.0.2.9,dns=10.0.2.9", "dns: 10.0.2.9 is the same address as host" },
	/* net */
	{ "user,id=n0,net=10.0.2.5/24", "net: host bits set in network address 10.0.2.5/24" },
	{ "user,id=n0,net=10.0.2.5", "net: host bits set in network address 10.0.2.5" },
	{ "user,id=n0,net=10.0.0.0/8,host=10.0.0.2,net=10.0.0.0/8", "repeated key 'net'" },
	{ "user,id=n0,net=10.0.2.0/31", "net: prefix /31" },
	{ "user,id=n0,net=10.0.2.0/32", "net: prefix /32" },
	{ "user,id=n0,net=10.0.2.0/33", "net: bad prefix length '/33'" },
	{ "user,id=n0,net=10.0.2.0/", "net: bad prefix length" },
	{ "user,id=n0,net=10.0.2.0/-8", "net: bad prefix length" },
	{ "user,id=n0,net=10.0.2.0/24x", "net: bad prefix length" },
	{ "user,id=n0,net=10.0.2.0/ 24", "net: bad prefix length" },
	{ "user,id=n0,net=0.0.0.0/0", "net: prefix /0 is too short" },
	{ "user,id=n0,net=10.0.2.0/255.0.255.0", "net: netmask 255.0.255.0 is not contiguous" },
	{ "user,id=n0,net=10.0.2.0/255.255.255.254", "net: prefix /31" },
	{ "user,id=n0,net=10.0.2.0/255.255.255", "net: bad netmask" },
	{ "user,id=n0,net=10.0.2.0/24/24", "net: bad prefix length" },
	{ "user,id=n0,net=10.0.2.0/29",
	  "dhcpstart: 10.0.2.15 is outside 10.0.2.0/29 (derived from net=; give dhcpstart= explicitly)" },
	{ "user,id=n0,net=10.0.2.0/28", "dhcpstart: 10.0.2.15 is the broadcast address of 10.0.2.0/28" },
	{ "user,id=n0,net=0.0.0.0/3", "net: prefix /3 is too short" },
	{ "user,id=n0,net=10.0.2.0/30,dns=10.0.2.1", "dhcpstart: 10.0.2.15 is outside 10.0.2.0/30" },
	{ "user,id=n0,net=10.0.2.0/30", "dns: 10.0.2.3 is the broadcast" },
	{ "user,id=n0,net=10.0.2.0/28,dhcpstart=10.0.2.16",
	  "dhcpstart: 10.0.2.16 is outside 10.0.2.0/28" },
	{ "user,id=n0,net=255.255.255.248/29", "dhcpstart: 0.0.0.7 is outside 255.255.255.248/29" },
	/* tap */
	{ "tap,id=t0,ifname=abcdefghijklmnop", "ifname: 'abcdefghijklmnop' is longer than 15" },
	{ "tap,id=t0,ifname=a/b", "ifname: 'a/b' contains '/'" },
	{ "tap,id=t0,ifname=a:b", "ifname: 'a:b' contains ':'" },
	{ "tap,id=t0,ifname=a b", "ifname: 'a b' contains whitespace" },
	{ "tap,id=t0,ifname=a\tb", "ifname: 'a?b' contains whitespace" },
	{ "tap,id=t0,ifname=.", "ifname: '.' is not a valid" },
	{ "tap,id=t0,ifname=..", "ifname: '..' is not a valid" },
	{ "tap,id=t0,ifname=tap0,fd=3", "ifname= and fd= exclude each other" },
	{ "tap,id=t0,fd=-1", "fd: '-1' is not a number" },
	{ "tap,id=t0,fd=12x", "fd: '12x' is not a number" },
	{ "tap,id=t0,fd=99999999999", "fd: '99999999999' is not a number" },
	{ "tap,id=t0,fd=2147483648", "fd: '2147483648'" },
	{ "tap,id=t0,fd=+3", "fd: '+3'" },
	{ "tap,id=t0,fd= 3", "fd: ' 3'" },
	{ "tap,id=t0,fd=0x3", "fd: '0x3'" },
	/* dump */
	{ "dump,id=d0", "missing file=PATH" },
	{ "dump,id=d0,len=100", "missing file=PATH" },
	{ "dump,id=d0,file=", "file: empty value" },
	{ "dump,id=d0,file=f,len=0", "len: '0' is not a number in 1..2147483647" },
	{ "dump,id=d0,file=f,len=-5", "len: '-5'" },
	{ "dump,id=d0,file=f,len=2147483648", "len: '2147483648'" },
	{ "dump,id=d0,file=f,len=", "len: empty value" },
	{ "dump,id=d0,file=f,ifname=x", "unknown key 'ifname' for type dump" },
	/* hostfwd */
	{ "user,id=u,hostfwd=", "hostfwd: empty value" },
	{ "user,id=u,hostfwd=tcp::80", "hostfwd: expected [tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport" },
	{ "user,id=u,hostfwd=tcp::80:80", "hostfwd: expected" },	/* no '-' */
	{ "user,id=u,hostfwd=tcp::80-80", "hostfwd: expected" },	/* no guest ':' */
	{ "user,id=u,hostfwd=tcp:80-:80", "hostfwd: expected" },	/* no host ':' */
	{ "user,id=u,hostfwd=80", "hostfwd: expected" },
	{ "user,id=u,hostfwd=:::", "hostfwd: expected" },
	{ "user,id=u,hostfwd=sctp::80-:80", "hostfwd: bad protocol 'sctp' (want tcp or udp)" },
	{ "user,id=u,hostfwd=TCP::80-:80", "hostfwd: bad protocol 'TCP'" },
	{ "user,id=u,hostfwd=tcp6::80-:80", "hostfwd: bad protocol 'tcp6'" },
	{ "user,id=u,hostfwd=tcp::-:80", "hostfwd: bad host port '' (want 0..65535)" },
	{ "user,id=u,hostfwd=tcp::65536-:80", "hostfwd: bad host port '65536' (want 0..65535)" },
	{ "user,id=u,hostfwd=tcp::99999999999999999999-:80", "hostfwd: bad host port '99999999999999999999'" },
	{ "user,id=u,hostfwd=tcp::x-:80", "hostfwd: bad host port 'x'" },
	{ "user,id=u,hostfwd=tcp::+80-:80", "hostfwd: bad host port '+80'" },
	{ "user,id=u,hostfwd=tcp::0x50-:80", "hostfwd: bad host port '0x50'" },
	{ "user,id=u,hostfwd=tcp:: 80-:80", "hostfwd: bad host port ' 80'" },
	{ "user,id=u,hostfwd=tcp::80-:0", "hostfwd: bad guest port '0' (want 1..65535)" },
	{ "user,id=u,hostfwd=tcp::80-:65536", "hostfwd: bad guest port '65536' (want 1..65535)" },
	{ "user,id=u,hostfwd=tcp::80-:", "hostfwd: bad guest port ''" },
	{ "user,id=u,hostfwd=tcp::80-:-1", "hostfwd: bad guest port '-1'" },
	{ "user,id=u,hostfwd=tcp::80-:80:1", "hostfwd: bad guest port '80:1'" },
	{ "user,id=u,hostfwd=tcp::80-:80-", "hostfwd: bad guest port '80-'" },
	{ "user,id=u,hostfwd=tcp:10.0.2:80-:80", "hostfwd: bad host address '10.0.2'" },
	{ "user,id=u,hostfwd=tcp:localhost:80-:80", "hostfwd: bad host address 'localhost'" },
	{ "user,id=u,hostfwd=tcp:127.0.0.256:80-:80", "hostfwd: bad host address '127.0.0.256'" },
	{ "user,id=u,hostfwd=tcp:::1:80-:80", "hostfwd: bad host port ':1:80'" },
	{ "user,id=u,hostfwd=tcp::80-10.0.2.300:80", "hostfwd: bad guest address '10.0.2.300'" },
	{ "user,id=u,hostfwd=tcp::80-0x0a00020f:80", "hostfwd: bad guest address '0x0a00020f'" },
	{ "user,id=u,hostfwd=udp::80-guest:80", "hostfwd: bad guest address 'guest'" },
	{ "user,id=u,hostfwd=tcp::80-10.0.3.15:80", "hostfwd: guest address 10.0.3.15 is outside 10.0.2.0/24" },
	{ "user,id=u,hostfwd=tcp::80-10.0.2.2:80", "hostfwd: guest address 10.0.2.2 is the gateway (host=) of 10.0.2.0/24" },
	{ "user,id=u,hostfwd=tcp::80-10.0.2.3:80", "hostfwd: guest address 10.0.2.3 is the DNS address (dns=)" },
	{ "user,id=u,hostfwd=tcp::80-10.0.2.255:80", "hostfwd: guest address 10.0.2.255 is the broadcast address" },
	{ "user,id=u,hostfwd=tcp::80-10.0.2.0:80", "hostfwd: guest address 10.0.2.0 is the network address" },
	{ "user,id=u,hostfwd=tcp::80-10.0.2.15:80,net=192.168.76.0/24",
	  "hostfwd: guest address 10.0.2.15 is outside 192.168.76.0/24" },
	{ "user,id=u,hostfwd=tcp::80-:80,host=10.0.2.15,dhcpstart=10.0.2.15",
	  "hostfwd: guest address 10.0.2.15 is the gateway" },
	{ "user,id=u,hostfwd=tcp::80-:80,hostfwd=tcp::80-:81", "hostfwd: tcp 0.0.0.0:80 is forwarded twice" },
	{ "user,id=u,hostfwd=udp:127.0.0.1:53-:53,hostfwd=udp:127.0.0.1:53-10.0.2.16:53",
	  "hostfwd: udp 127.0.0.1:53 is forwarded twice" },
	{ "user,id=u,hostfwd=::80-:80,hostfwd=tcp:0.0.0.0:80-:81", "hostfwd: tcp 0.0.0.0:80 is forwarded twice" },
	{ "user,id=u,hostfwd=tcp::80-:80,hostfwd=tcp::8o-:80", "hostfwd: bad host port '8o'" },
	/* restrict, loopback */
	{ "user,id=u,restrict=maybe", "restrict: 'maybe' is not on or off" },
	{ "user,id=u,restrict=ON", "restrict: 'ON' is not on or off" },
	{ "user,id=u,restrict=1", "restrict: '1'" },
	{ "user,id=u,restrict=", "restrict: empty value" },
	{ "user,id=u,restrict", "restrict: missing '=VALUE'" },
	{ "user,id=u,loopback=2", "loopback: '2' is not on or off" },
	{ "user,id=u,loopback=of", "loopback: 'of' is not on or off" },
	{ "user,id=u,restrict=on,restrict=off", "repeated key 'restrict'" },
	{ "user,id=u,loopback=on,loopback=on", "repeated key 'loopback'" },
	/* the gateway's services */
	{ "user,id=u,hostname=a_b!", "hostname: 'a_b!' is not a host name" },
	{ "user,id=u,hostname=a..b", "hostname: 'a..b' is not a host name" },
	{ "user,id=u,hostname=.", "hostname: '.' is not a host name" },
	{ "user,id=u,hostname=" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	  "hostname: 'aaaa" },
	{ "user,id=u,hostname=a,hostname=b", "repeated key 'hostname'" },
	{ "user,id=u,domainname=ex ample.com", "domainname: 'ex ample.com' is not a domain name" },
	{ "user,id=u,dnssearch=x..y", "dnssearch: 'x..y' is not a domain name" },
	{ "user,id=u,dnssearch=", "dnssearch: empty value" },
	{ "user,id=u,tftp=", "tftp: empty value" },
	{ "user,id=u,bootfile=", "bootfile: empty value" },
	{ "user,id=u,bootfile=" "0123456789012345678901234567890123456789012345678901234567890123"
	  "0123456789012345678901234567890123456789012345678901234567890123",
	  "bootfile: longer than 127 characters" },
	{ "user,id=u,tftp-server-name=" "0123456789012345678901234567890123456789012345678901234567890123",
	  "tftp-server-name: longer than 63 characters" },
	{ "user,id=u,dns-upstream=1.2.3", "dns-upstream: bad IPv4 address '1.2.3'" },
	{ "user,id=u,dns-upstream=1.2.3.4:0", "dns-upstream: bad port '0'" },
	{ "user,id=u,dns-upstream=1.2.3.4:65536", "dns-upstream: bad port '65536'" },
	{ "user,id=u,dns-upstream=1.2.3.4:", "dns-upstream: bad port ''" },
	{ "user,id=u,dns-upstream=1.1.1.1,dns-upstream=1.1.1.2,dns-upstream=1.1.1.3,"
	  "dns-upstream=1.1.1.4,dns-upstream=1.1.1.5,dns-upstream=1.1.1.6,"
	  "dns-upstream=1.1.1.7,dns-upstream=1.1.1.8,dns-upstream=1.1.1.9",
	  "dns-upstream: at most 8 servers" },
	{ "tap,id=t,hostname=x", "unknown key 'hostname' for type tap" },
};

/* User options with forwards and proxy switches, and what they must give. */
struct user_case {
	const char *arg;
	bool restrict_guest;
	bool loopback;
	/* the forwards, "PROTO HOSTADDR:PORT-GUESTADDR:PORT" joined by "; ",
	 * a '*' after a guest address that was left out
	 */
	const char *fwds;
};

static const struct user_case user_cases[] = {
	{ "user,id=u", false, true, "" },
	{ "user,id=u,hostfwd=tcp::8080-:80", false, true,
	  "tcp 0.0.0.0:8080-10.0.2.15:80*" },
	{ "user,id=u,hostfwd=::2222-:22", false, true,
	  "tcp 0.0.0.0:2222-10.0.2.15:22*" },
	{ "user,id=u,hostfwd=udp:127.0.0.1:5353-10.0.2.20:53", false, true,
	  "udp 127.0.0.1:5353-10.0.2.20:53" },
	{ "user,id=u,hostfwd=tcp::0-:80,hostfwd=tcp::0-:81", false, true,
	  "tcp 0.0.0.0:0-10.0.2.15:80*; tcp 0.0.0.0:0-10.0.2.15:81*" },
	{ "user,id=u,hostfwd=tcp::1-:1,hostfwd=udp::1-:1,hostfwd=tcp:127.0.0.1:1-10.0.2.15:2",
	  false, true,
	  "tcp 0.0.0.0:1-10.0.2.15:1*; udp 0.0.0.0:1-10.0.2.15:1*; tcp 127.0.0.1:1-10.0.2.15:2" },
	{ "user,id=u,hostfwd=udp::65535-:65535", false, true,
	  "udp 0.0.0.0:65535-10.0.2.15:65535*" },
	{ "user,id=u,hostfwd=tcp::80-:80,net=192.168.76.0/24", false, true,
	  "tcp 0.0.0.0:80-192.168.76.15:80*" },
	{ "user,id=u,hostfwd=tcp::80-:80,net=192.168.76.0/24,dhcpstart=192.168.76.9",
	  false, true, "tcp 0.0.0.0:80-192.168.76.9:80*" },
	{ "user,id=u,hostfwd=tcp::80-10.0.2.15:80", false, true,
	  "tcp 0.0.0.0:80-10.0.2.15:80" },
	{ "user,id=u,hostfwd=tcp::80-10.0.2.254:80", false, true,
	  "tcp 0.0.0.0:80-10.0.2.254:80" },
	{ "user,id=u,hostfwd=tcp::080-:0080", false, true,
	  "tcp 0.0.0.0:80-10.0.2.15:80*" },
	{ "user,id=u,restrict=on", true, true, "" },
	{ "user,id=u,restrict=off", false, true, "" },
	{ "user,id=u,restrict=yes,loopback=no", true, false, "" },
	{ "user,id=u,loopback=off", false, false, "" },
	{ "user,id=u,loopback=on,restrict=true", true, true, "" },
	{ "user,loopback=false,hostfwd=udp::53-:53,restrict=y,id=u", true, false,
	  "udp 0.0.0.0:53-10.0.2.15:53*" },
};

/* Fill with a pattern that a parse must not touch on failure. */
static void poison(struct netdev *nd)
{
	memset(nd, 0xa5, sizeof(*nd));
}

static bool is_poisoned(const struct netdev *nd)
{
	const unsigned char *b = (const unsigned char *)nd;
	size_t i;

	for (i = 0; i < sizeof(*nd); i++)
		if (b[i] != 0xa5)
			return false;
	return true;
}

static void assert_addr(struct in_addr addr, const char *want,
			const char *arg, const char *field)
{
	char got[INET_ADDRSTRLEN];

	assert_non_null(inet_ntop(AF_INET, &addr, got, sizeof(got)));
	if (strcmp(got, want)) {
		print_error("%s: %s is %s, want %s\n", arg, field, got, want);
		fail();
	}
}

/* The service keys land in the stack's configuration. */
static void test_service_keys(void **state)
{
	struct netdev nd;
	char err[256];
	const struct unet_stack_config *c = &nd.u.user.stack;

	(void)state;
	assert_int_equal(netdev_parse("user,id=u,hostname=guest1,domainname=example.com,"
				      "dnssearch=example.com,dnssearch=test.local,"
				      "bootfile=pxelinux.0,tftp=/srv/tftp,,x,"
				      "tftp-server-name=boot.example.com,"
				      "dns-upstream=127.0.0.1:5353,dns-upstream=192.0.2.53,"
				      "restrict=on",
				      &nd, err, sizeof(err)),
			 0);
	assert_string_equal(c->hostname, "guest1");
	assert_string_equal(c->domainname, "example.com");
	assert_string_equal(c->dnssearch, "example.com,test.local");
	assert_string_equal(c->bootfile, "pxelinux.0");
	assert_string_equal(c->tftp_root, "/srv/tftp,x");
	assert_string_equal(c->tftp_server_name, "boot.example.com");
	assert_int_equal(c->n_dns_upstream, 2);
	assert_addr(c->dns_upstream[0].sin_addr, "127.0.0.1", "dns-upstream", "0");
	assert_int_equal(ntohs(c->dns_upstream[0].sin_port), 5353);
	assert_int_equal(c->dns_upstream[0].sin_family, AF_INET);
	assert_addr(c->dns_upstream[1].sin_addr, "192.0.2.53", "dns-upstream", "1");
	assert_int_equal(ntohs(c->dns_upstream[1].sin_port), 53);
	assert_true(c->restrict_guest);
	assert_true(nd.u.user.proxy.restrict_guest);
	assert_int_equal(c->dhcp_count, 16);
	assert_string_equal(c->resolv_conf, "/etc/resolv.conf");

	/* nothing given: every service option at its default */
	assert_int_equal(netdev_parse("user,id=u", &nd, err, sizeof(err)), 0);
	assert_string_equal(c->hostname, "");
	assert_string_equal(c->dnssearch, "");
	assert_string_equal(c->tftp_root, "");
	assert_int_equal(c->n_dns_upstream, 0);
	assert_false(c->restrict_guest);
}

static void test_good(void **state)
{
	static const uint8_t qemu_mac[6] = { 0x52, 0x55, 0x0a, 0x00, 0x02, 0x02 };
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(good_cases); i++) {
		const struct good_case *c = &good_cases[i];
		struct netdev nd;
		int ret;

		poison(&nd);
		ret = netdev_parse(c->arg, &nd, err, sizeof(err));
		if (ret) {
			print_error("'%s' failed: %d, %s\n", c->arg, ret, err);
			fail();
		}
		assert_string_equal(err, "");
		assert_int_equal(nd.type, c->type);
		assert_string_equal(nd.id, c->id);
		switch (c->type) {
		case NETDEV_USER:
			assert_int_equal(nd.u.user.stack.size,
					 sizeof(struct unet_stack_config));
			assert_addr(nd.u.user.stack.net, c->net, c->arg, "net");
			assert_addr(nd.u.user.stack.mask, c->mask, c->arg, "mask");
			assert_addr(nd.u.user.stack.host, c->host, c->arg, "host");
			assert_addr(nd.u.user.stack.dns, c->dns, c->arg, "dns");
			assert_addr(nd.u.user.stack.dhcp_start, c->dhcp_start,
				    c->arg, "dhcpstart");
			assert_memory_equal(nd.u.user.stack.mac, qemu_mac, 6);
			break;
		case NETDEV_TAP:
			assert_string_equal(nd.u.tap.ifname, c->ifname);
			assert_int_equal(nd.u.tap.fd, c->fd);
			break;
		case NETDEV_DUMP:
			assert_string_equal(nd.u.dump.file, c->file);
			assert_int_equal(nd.u.dump.len, c->len);
			break;
		default:
			fail();
		}
	}
}

/* "tcp 0.0.0.0:8080-10.0.2.15:80*; ..." for the forwards of @u. */
static void fwds_string(const struct netdev_user *u, char *buf, size_t len)
{
	char h[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];
	size_t used = 0;
	int i, n;

	buf[0] = '\0';
	for (i = 0; i < u->n_fwds; i++) {
		const struct unet_fwd *f = &u->fwds[i];

		assert_true(f->proto == IPPROTO_TCP || f->proto == IPPROTO_UDP);
		inet_ntop(AF_INET, &f->host_addr, h, sizeof(h));
		inet_ntop(AF_INET, &f->guest_addr, g, sizeof(g));
		n = snprintf(buf + used, len - used, "%s%s %s:%u-%s:%u%s",
			     i ? "; " : "",
			     f->proto == IPPROTO_TCP ? "tcp" : "udp", h,
			     ntohs(f->host_port), g, ntohs(f->guest_port),
			     u->fwd_guest_default[i] ? "*" : "");
		assert_true(n > 0 && (size_t)n < len - used);
		used += (size_t)n;
	}
}

static void test_user(void **state)
{
	char err[256], got[1024];
	int failed = 0;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(user_cases); i++) {
		const struct user_case *c = &user_cases[i];
		struct netdev nd;
		int ret;

		poison(&nd);
		ret = netdev_parse(c->arg, &nd, err, sizeof(err));
		if (ret) {
			print_error("'%s' failed: %d, %s\n", c->arg, ret, err);
			failed++;
			continue;
		}
		assert_int_equal(nd.type, NETDEV_USER);
		assert_int_equal(nd.u.user.proxy.size,
				 sizeof(struct unet_proxy_config));
		assert_int_equal(nd.u.user.proxy.restrict_guest,
				 c->restrict_guest);
		assert_int_equal(nd.u.user.proxy.loopback, c->loopback);
		/* the rest is the library's default */
		assert_int_equal(nd.u.user.proxy.max_flows, 16384);
		assert_int_equal(nd.u.user.proxy.udp_timeout_ms, 240000);
		fwds_string(&nd.u.user, got, sizeof(got));
		if (strcmp(got, c->fwds)) {
			print_error("'%s': forwards '%s', want '%s'\n", c->arg,
				    got, c->fwds);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* NETDEV_FWD_MAX forwards fit; one more is refused. */
static void test_fwd_limit(void **state)
{
	char arg[2048], err[256];
	struct netdev nd;
	size_t n;
	int i;

	(void)state;
	n = (size_t)sprintf(arg, "user,id=u");
	for (i = 0; i < NETDEV_FWD_MAX; i++)
		n += (size_t)sprintf(arg + n, ",hostfwd=%s::%d-:%d",
				     i % 2 ? "udp" : "tcp", 1000 + i, 1 + i);
	assert_int_equal(netdev_parse(arg, &nd, err, sizeof(err)), 0);
	assert_int_equal(nd.u.user.n_fwds, NETDEV_FWD_MAX);
	for (i = 0; i < NETDEV_FWD_MAX; i++) {
		assert_int_equal(nd.u.user.fwds[i].proto,
				 i % 2 ? IPPROTO_UDP : IPPROTO_TCP);
		assert_int_equal(ntohs(nd.u.user.fwds[i].host_port), 1000 + i);
		assert_int_equal(ntohs(nd.u.user.fwds[i].guest_port), 1 + i);
		assert_true(nd.u.user.fwd_guest_default[i]);
	}
	sprintf(arg + n, ",hostfwd=tcp::2000-:1");
	poison(&nd);
	assert_int_equal(netdev_parse(arg, &nd, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "hostfwd: at most 32 forwards"));
	assert_true(is_poisoned(&nd));
}

static void test_bad(void **state)
{
	char err[512];
	int failed = 0;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad_cases); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct netdev nd;
		int ret;

		poison(&nd);
		memset(err, 'X', sizeof(err));
		ret = netdev_parse(c->arg, &nd, err, sizeof(err));
		if (ret != -EINVAL) {
			print_error("'%s' gave %d, want -EINVAL\n", c->arg, ret);
			failed++;
			continue;
		}
		assert_non_null(memchr(err, '\0', sizeof(err)));
		if (!strstr(err, c->want)) {
			print_error("'%s': error '%s' lacks '%s'\n", c->arg,
				    err, c->want);
			failed++;
		}
		assert_true(!strncmp(err, "-netdev ", 8));
		assert_null(strchr(err, '\n'));
		assert_true(is_poisoned(&nd));
	}
	assert_int_equal(failed, 0);
}

/* The example messages of the design, word for word. */
static void test_messages(void **state)
{
	static const struct {
		const char *arg, *msg;
	} cases[] = {
		{ "user,id=n0,net=10.0.2.5/24",
		  "-netdev user,id=n0,net=10.0.2.5/24: net: host bits set in network address 10.0.2.5/24" },
		{ "tap,id=t0,foo=1",
		  "-netdev tap,id=t0,foo=1: unknown key 'foo' for type tap" },
		{ "bogus,id=x",
		  "-netdev bogus,id=x: unknown type 'bogus' (known: user, tap, dump)" },
		{ "user,id=u,hostfwd=tcp::80",
		  "-netdev user,id=u,hostfwd=tcp::80: hostfwd: expected [tcp|udp]:[hostaddr]:hostport-[guestaddr]:guestport" },
	};
	struct netdev nd;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		assert_int_equal(netdev_parse(cases[i].arg, &nd, err,
					      sizeof(err)), -EINVAL);
		assert_string_equal(err, cases[i].msg);
	}
}

/* Values too long for their buffers, and a long option in the message. */
static void test_long_values(void **state)
{
	size_t big = NETDEV_FILE_MAX + 64;
	char *arg = malloc(2 * NETDEV_FILE_MAX + 64);
	struct netdev nd;
	char err[256];
	size_t n;

	(void)state;
	assert_non_null(arg);

	/* The longest file name that fits, then one byte more. */
	n = (size_t)sprintf(arg, "dump,id=d0,file=");
	memset(arg + n, 'f', NETDEV_FILE_MAX - 1);
	arg[n + NETDEV_FILE_MAX - 1] = '\0';
	assert_int_equal(netdev_parse(arg, &nd, err, sizeof(err)), 0);
	assert_int_equal(strlen(nd.u.dump.file), NETDEV_FILE_MAX - 1);
	strcat(arg, "f");
	assert_int_equal(netdev_parse(arg, &nd, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "file: value longer than 4095 bytes"));
	assert_non_null(strstr(err, "...: "));

	/* Escaped commas count once: 4095 of them fit. */
	n = (size_t)sprintf(arg, "dump,id=d0,file=");
	memset(arg + n, ',', 2 * (NETDEV_FILE_MAX - 1));
	arg[n + 2 * (NETDEV_FILE_MAX - 1)] = '\0';
	assert_int_equal(netdev_parse(arg, &nd, err, sizeof(err)), 0);
	assert_int_equal(strlen(nd.u.dump.file), NETDEV_FILE_MAX - 1);
	assert_int_equal(nd.u.dump.file[0], ',');

	/* A long unknown key and a long type are cut in the message. */
	n = (size_t)sprintf(arg, "user,id=n0,");
	memset(arg + n, 'k', big);
	strcpy(arg + n + big, "=1");
	assert_int_equal(netdev_parse(arg, &nd, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown key 'kkkk"));
	memset(arg, 't', big);
	arg[big] = '\0';
	assert_int_equal(netdev_parse(arg, &nd, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "unknown type 'tttt"));
	free(arg);
}

/* A tiny buffer gets a cut, NUL-terminated message and nothing past it. */
static void test_truncation(void **state)
{
	char buf[16];
	struct netdev nd;
	size_t len, i;

	(void)state;
	for (len = 1; len <= 12; len++) {
		memset(buf, '#', sizeof(buf));
		assert_int_equal(netdev_parse("bogus,id=x", &nd, buf, len),
				 -EINVAL);
		assert_int_equal(strlen(buf), len - 1);
		assert_true(!strncmp(buf, "-netdev bogus", len - 1));
		for (i = len; i < sizeof(buf); i++)
			assert_int_equal(buf[i], '#');
	}

	memset(buf, '#', sizeof(buf));
	assert_int_equal(netdev_parse("user,id=n0,net=10.0.2.5/24", &nd, buf,
				      8), -EINVAL);
	assert_string_equal(buf, "-netdev");
	assert_int_equal(buf[8], '#');

	/* No buffer at all. */
	assert_int_equal(netdev_parse("bogus", &nd, NULL, 0), -EINVAL);
	memset(buf, '#', sizeof(buf));
	assert_int_equal(netdev_parse("bogus", &nd, buf, 0), -EINVAL);
	assert_int_equal(buf[0], '#');
	assert_int_equal(netdev_parse("user,id=n0", &nd, NULL, 0), 0);
}

static void test_null_args(void **state)
{
	struct netdev nd;
	char err[128];

	(void)state;
	assert_int_equal(netdev_parse(NULL, &nd, err, sizeof(err)), -EINVAL);
	assert_true(!strncmp(err, "-netdev ", 8));
	assert_int_equal(netdev_parse("user,id=n0", NULL, err, sizeof(err)),
			 -EINVAL);
	assert_int_equal(netdev_parse(NULL, NULL, NULL, 0), -EINVAL);
}

static void test_type_name(void **state)
{
	(void)state;
	assert_string_equal(netdev_type_name(NETDEV_USER), "user");
	assert_string_equal(netdev_type_name(NETDEV_TAP), "tap");
	assert_string_equal(netdev_type_name(NETDEV_DUMP), "dump");
	assert_null(netdev_type_name(NETDEV_TYPE_NUM));
	assert_null(netdev_type_name((enum netdev_type)-1));
}

/* Parse @arg cut at every length and with each byte replaced in turn. */
static void mangle_one(const char *arg)
{
	static const char subst[] = { ',', '=', '/', '.', '\0', '\n', 'x',
				      '9', (char)0xff };
	size_t len = strlen(arg);
	char *buf = malloc(len + 1);
	struct netdev nd;
	char err[64];
	size_t i, j;
	int ret;

	assert_non_null(buf);
	for (i = 0; i <= len; i++) {
		memcpy(buf, arg, i);
		buf[i] = '\0';
		ret = netdev_parse(buf, &nd, err, sizeof(err));
		assert_true(ret == 0 || ret == -EINVAL);
		assert_null(strchr(err, '\n'));
	}
	for (i = 0; i < len; i++) {
		for (j = 0; j < sizeof(subst); j++) {
			memcpy(buf, arg, len + 1);
			buf[i] = subst[j];
			ret = netdev_parse(buf, &nd, err, sizeof(err));
			assert_true(ret == 0 || ret == -EINVAL);
			assert_null(strchr(err, '\n'));
		}
	}
	free(buf);
}

static void test_no_crash(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(good_cases); i++)
		mangle_one(good_cases[i].arg);
	for (i = 0; i < ARRAY_SIZE(bad_cases); i++)
		mangle_one(bad_cases[i].arg);
	for (i = 0; i < ARRAY_SIZE(user_cases); i++)
		mangle_one(user_cases[i].arg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_service_keys),
		cmocka_unit_test(test_user),
		cmocka_unit_test(test_fwd_limit),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_long_values),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_null_args),
		cmocka_unit_test(test_type_name),
		cmocka_unit_test(test_no_crash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
