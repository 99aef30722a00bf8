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
	{ "bogus,id=x", "unknown type 'bogus' (known: user, tap, dump, socket, stream, dgram, vde, vxlan, hubport)" },
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
	/* loss= and loss-burst=, which every type but hubport takes */
	{ "tap,id=t0,loss=", "loss: empty value" },
	{ "tap,id=t0,loss=-1", "loss: '-1' is not a number" },
	{ "tap,id=t0,loss=x", "loss: 'x' is not a number" },
	{ "tap,id=t0,loss=4294967296", "loss: '4294967296' is not a number" },
	{ "tap,id=t0,loss=5,loss=6", "repeated key 'loss'" },
	{ "tap,id=t0,loss-burst=5", "loss-burst: '5' is not LEN/EVERY" },
	{ "tap,id=t0,loss-burst=6/5", "loss-burst: '6/5' is not LEN/EVERY" },
	{ "tap,id=t0,loss-burst=1/0", "loss-burst: '1/0' is not LEN/EVERY" },
	{ "tap,id=t0,loss-burst=/5", "loss-burst: '/5' is not LEN/EVERY" },
	{ "tap,id=t0,loss-burst=1/", "loss-burst: '1/' is not LEN/EVERY" },
	{ "tap,id=t0,loss-burst=1/2/3", "loss-burst: '1/2/3' is not LEN/EVERY" },
	{ "tap,id=t0,loss-burst=12345678901234567/2", "is not LEN/EVERY" },
	{ "hubport,id=h,hubid=1,loss=5", "unknown key 'loss' for type hubport" },
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
	{ "user,id=u,restrict-dns=maybe", "restrict-dns: 'maybe' is not on or off" },
	{ "user,id=u,restrict-dns=", "restrict-dns: empty value" },
	{ "user,id=u,restrict-dns=on,restrict-dns=on", "repeated key 'restrict-dns'" },
	{ "tap,id=t,restrict-dns=on", "unknown key 'restrict-dns' for type tap" },
	{ "user,id=u,mem-budget=3M", "mem-budget: '3M' is not a size from 4M to 1T (bytes, or with K, M, G or T)" },
	{ "user,id=u,mem-budget=2T", "mem-budget: '2T' is not a size from 4M to 1T (bytes, or with K, M, G or T)" },
	{ "user,id=u,mem-budget=64X", "mem-budget: '64X' is not a size from 4M to 1T (bytes, or with K, M, G or T)" },
	{ "user,id=u,mem-budget=64MB", "mem-budget: '64MB' is not a size from 4M to 1T (bytes, or with K, M, G or T)" },
	{ "user,id=u,mem-budget=-1", "mem-budget: '-1' is not a size from 4M to 1T (bytes, or with K, M, G or T)" },
	{ "user,id=u,mem-budget=99999999999999999999", "mem-budget: '99999999999999999999' is not a size from 4M to 1T (bytes, or with K, M, G or T)" },
	{ "tap,id=t,mem-budget=64M", "unknown key 'mem-budget' for type tap" },
	{ "user,id=u,tcp-stall-timeout=86401", "tcp-stall-timeout: '86401' is not a number of seconds in 0..86400" },
	{ "user,id=u,tcp-stall-timeout=1.5", "tcp-stall-timeout: '1.5' is not a number of seconds in 0..86400" },
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
	/* socket */
	{ "socket,id=s", "give one of listen=, connect=, mcast=, udp=" },
	{ "socket,id=s,listen=:1,connect=a:2", "listen= and connect= exclude each other" },
	{ "socket,id=s,mcast=239.1.1.1:5,udp=a:2,localaddr=:3", "mcast= and udp= exclude each other" },
	{ "socket,id=s,listen=1234", "listen: expected HOST:PORT, got '1234'" },
	{ "socket,id=s,listen=:", "listen: bad port ''" },
	{ "socket,id=s,listen=:65536", "listen: bad port '65536'" },
	{ "socket,id=s,connect=:1234", "connect: missing host" },
	{ "socket,id=s,connect=h:0", "connect: bad port '0' (want 1..65535)" },
	{ "socket,id=s,connect=::1:80", "connect: an IPv6 address goes in brackets" },
	{ "socket,id=s,connect=[::1:80", "connect: expected [ADDRESS]:PORT" },
	{ "socket,id=s,connect=a b:80", "connect: bad host 'a b'" },
	{ "socket,id=s,connect=h:1,localaddr=1.2.3.4", "localaddr= goes with mcast= or udp=" },
	{ "socket,id=s,listen=:1,reconnect=5", "reconnect= goes with connect=" },
	{ "socket,id=s,connect=h:1,reconnect=-1", "reconnect: '-1' is not a number of seconds" },
	{ "socket,id=s,connect=h:1,reconnect=86401", "reconnect: '86401'" },
	{ "socket,id=s,mcast=10.0.0.1:1234", "mcast: '10.0.0.1' is not an IPv4 multicast address" },
	{ "socket,id=s,mcast=239.1.1.1:1234,localaddr=1.2.3.4:5",
	  "localaddr: '1.2.3.4:5' is not an IPv4 address" },
	{ "socket,id=s,udp=127.0.0.1:5", "udp= needs localaddr=HOST:PORT" },
	{ "socket,id=s,udp=127.0.0.1:5,localaddr=127.0.0.1", "localaddr: expected HOST:PORT" },
	{ "socket,id=s,fd=3", "unknown key 'fd' for type socket" },
	{ "socket,id=s,listen=:1,hub=x", "hub: 'x' is not a number" },
	{ "socket,id=s,listen=:1,hub=-1", "hub: '-1'" },
	/* stream */
	{ "stream,id=s", "missing addr.type=inet|unix|fd" },
	{ "stream,id=s,addr.type=vsock", "addr.type: 'vsock' is not inet, unix or fd" },
	{ "stream,id=s,addr.type=inet,addr.port=1", "addr.type=inet needs addr.host=" },
	{ "stream,id=s,addr.type=inet,addr.host=h", "addr.type=inet needs addr.port=" },
	{ "stream,id=s,addr.type=inet,addr.host=h,addr.port=0", "addr.port: port 0 only when listening" },
	{ "stream,id=s,addr.type=unix", "addr.type=unix needs addr.path=" },
	{ "stream,id=s,addr.type=unix,addr.path=/p,addr.port=4", "addr.port= does not go with addr.type=unix" },
	{ "stream,id=s,addr.type=fd", "addr.type=fd needs addr.str=" },
	{ "stream,id=s,addr.type=fd,addr.str=x", "addr.str: 'x' is not a file descriptor number" },
	{ "stream,id=s,server=maybe,addr.type=unix,addr.path=/p", "server: 'maybe' is not on or off" },
	{ "stream,id=s,server=on,addr.type=unix,addr.path=/p,reconnect=1",
	  "reconnect= goes with server=off" },
	{ "stream,id=s,addr.type=unix,addr.path="
	  "0123456789012345678901234567890123456789012345678901234567890123"
	  "0123456789012345678901234567890123456789012345",
	  "addr.path: longer than 107 characters" },
	{ "stream,id=s,addr.type=inet,addr.host=h,addr.port=1,local.type=inet",
	  "unknown key 'local.type' for type stream" },
	/* dgram */
	{ "dgram,id=d", "missing remote.type=inet|unix" },
	{ "dgram,id=d,local.type=fd,local.str=3", "missing remote.type" },
	{ "dgram,id=d,remote.type=inet,remote.host=h,remote.port=1", "a unicast remote needs local.type=" },
	{ "dgram,id=d,remote.type=inet,remote.host=h,remote.port=1,local.type=unix,local.path=/x",
	  "local.type= and remote.type= differ" },
	{ "dgram,id=d,remote.type=fd,remote.str=3", "remote.type=fd is not supported" },
	{ "dgram,id=d,remote.type=inet,remote.host=h,remote.port=0,local.type=inet,local.host=h,local.port=1",
	  "remote.port: port 0 only when listening" },
	{ "dgram,id=d,remote.type=inet,remote.host=239.1.2.3,remote.port=1,local.type=inet,local.host=h,local.port=1",
	  "local.host: with a multicast remote, the interface's IPv4 address" },
	{ "dgram,id=d,addr.type=inet", "unknown key 'addr.type' for type dgram" },
	/* vde */
	{ "vde,id=v,mode=0800", "mode: '0800' is not an octal mode" },
	{ "vde,id=v,mode=01777", "mode: '01777' is not an octal mode" },
	{ "vde,id=v,port=65536", "port: '65536' is not a number in 0..65535" },
	{ "vde,id=v,listen=:1", "unknown key 'listen' for type vde" },
	/* vxlan */
	{ "vxlan,id=v,remote=198.18.0.2", "missing vni=N" },
	{ "vxlan,id=v,vni=1", "give remote=HOST[:PORT] (repeatable), group=ADDR, or both" },
	{ "vxlan,id=v,vni=16777216,remote=h", "vni: '16777216' is not a number in 0..16777215" },
	{ "vxlan,id=v,vni=-1,remote=h", "vni: '-1' is not a number" },
	{ "vxlan,id=v,vni=1,remote=h,port=0", "port: '0' is not a number in 1..65535" },
	{ "vxlan,id=v,vni=1,remote=h:0", "remote: bad port '0'" },
	{ "vxlan,id=v,vni=1,remote=[2001:db8::1", "remote: expected [ADDRESS]:PORT" },
	{ "vxlan,id=v,vni=1,remote=[]", "remote: bad host '[]'" },
	{ "vxlan,id=v,vni=1,remote=a/b", "remote: bad host 'a/b'" },
	{ "vxlan,id=v,vni=1,remote=239.1.1.1", "remote: '239.1.1.1' is a multicast address (use group=)" },
	{ "vxlan,id=v,vni=1,group=198.18.0.1", "group: '198.18.0.1' is not a multicast address" },
	{ "vxlan,id=v,vni=1,group=name.example", "group: 'name.example' is not a multicast address" },
	{ "vxlan,id=v,vni=1,group=239.1.1.1,remote=2001:db8::1",
	  "remote: '2001:db8::1' is not of the same family" },
	{ "vxlan,id=v,vni=1,local=2001:db8::1,group=239.1.1.1", "group: '239.1.1.1' is not of local='s family" },
	{ "vxlan,id=v,vni=1,local=host.example,remote=h", "local: 'host.example' is not an IPv4 or IPv6 address" },
	{ "vxlan,id=v,vni=1,remote=h,dev=a/b", "dev: 'a/b' is not an interface name" },
	{ "vxlan,id=v,vni=1,remote=h,dev=sixteen-chars-xx", "dev: 'sixteen-chars-xx' is not an interface name" },
	{ "vxlan,id=v,vni=1,remote=h,learning=maybe", "learning: 'maybe' is not on or off" },
	{ "vxlan,id=v,vni=1,remote=h,ageing=1000001", "ageing: '1000001' is not a number of seconds" },
	{ "vxlan,id=v,vni=1,remote=h,learning=off,ageing=5", "ageing= goes with learning=on" },
	{ "vxlan,id=v,vni=1,vni=2,remote=h", "repeated key 'vni'" },
	{ "vxlan,id=v,vni=1,remote=h,mode=0700", "unknown key 'mode' for type vxlan" },
	{ "vxlan,id=v,vni=1,remote=h,sock=/x", "unknown key 'sock' for type vxlan" },
	{ "vxlan,id=v,vni=1,remote=h,remote=h,remote=h,remote=h,remote=h,remote=h,remote=h,remote=h,"
	  "remote=h,remote=h,remote=h,remote=h,remote=h,remote=h,remote=h,remote=h,remote=h",
	  "remote: more than 16 remotes" },
	/* hubport */
	{ "hubport,id=h", "missing hubid=N" },
	{ "hubport,id=h,hubid=1,hub=1", "unknown key 'hub' for type hubport" },
	{ "hubport,id=h,hubid=1,netdev=h", "netdev: 'h' is the hubport itself" },
	{ "hubport,id=h,hubid=1,netdev=0x", "netdev: '0x' is not a netdev id" },
	{ "tap,id=t,hubid=1", "unknown key 'hubid' for type tap" },
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

/* mem-budget= takes bytes or K, M, G, T; tcp-stall-timeout= seconds. */
static void test_budget_keys(void **state)
{
	static const struct {
		const char *arg;
		size_t budget;
		unsigned int stall_ms;
	} rows[] = {
		{ "user,id=u,mem-budget=64M", (size_t)64 << 20, 120000 },
		{ "user,id=u,mem-budget=4194304", (size_t)4 << 20, 120000 },
		{ "user,id=u,mem-budget=1g", (size_t)1 << 30, 120000 },
		{ "user,id=u,mem-budget=1T", (size_t)1 << 40, 120000 },
		{ "user,id=u,mem-budget=8192K,tcp-stall-timeout=0", (size_t)8 << 20, 0 },
		{ "user,id=u,tcp-stall-timeout=30", 0, 30000 },
	};
	struct netdev nd;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		if (netdev_parse(rows[i].arg, &nd, err, sizeof(err)) != 0) {
			print_error("%s: %s\n", rows[i].arg, err);
			fail();
		}
		assert_int_equal(nd.u.user.stack.mem_budget, rows[i].budget);
		assert_int_equal(nd.u.user.proxy.tcp_stall_timeout_ms,
				 rows[i].stall_ms);
	}
}

/* outbound=, outbound6=, keepsrc=, dns-server= and their defaults. */
static void test_outbound_keys(void **state)
{
	static const struct bad_case bad[] = {
		{ "user,id=u,outbound=0.0.0.0",
		  "outbound: bad IPv4 address '0.0.0.0'" },
		{ "user,id=u,outbound=198.18.0",
		  "outbound: bad IPv4 address '198.18.0'" },
		{ "user,id=u,outbound=::1",
		  "outbound: bad IPv4 address '::1'" },
		{ "user,id=u,outbound=lo", "outbound: bad IPv4 address 'lo'" },
		{ "user,id=u,outbound6=::",
		  "outbound6: bad IPv6 address '::'" },
		{ "user,id=u,outbound6=ff02::1",
		  "outbound6: bad IPv6 address 'ff02::1'" },
		{ "user,id=u,outbound6=198.18.0.1",
		  "outbound6: bad IPv6 address '198.18.0.1'" },
		{ "user,id=u,outbound6=[2001:db8::1]",
		  "outbound6: bad IPv6 address '[2001:db8::1]'" },
		{ "user,id=u,keepsrc=2", "keepsrc: '2' is not on or off" },
		{ "user,id=u,dns-server=of",
		  "dns-server: 'of' is not on or off" },
		{ "tap,id=t,ifname=x,outbound=198.18.0.1",
		  "unknown key 'outbound' for type tap" },
	};
	char err[256], a[INET6_ADDRSTRLEN];
	struct netdev nd;
	size_t i;

	(void)state;
	assert_int_equal(netdev_parse("user,id=u", &nd, err, sizeof(err)), 0);
	assert_int_equal(nd.u.user.proxy.outbound.s_addr, 0);
	assert_true(IN6_IS_ADDR_UNSPECIFIED(&nd.u.user.proxy.outbound6));
	assert_false(nd.u.user.proxy.keepsrc);
	assert_false(nd.u.user.stack.no_dns);
	assert_int_equal(
		netdev_parse(
			"user,id=u,outbound=198.18.0.9,outbound6=2001:db8::9,keepsrc=on,dns-server=off",
			&nd, err, sizeof(err)),
		0);
	assert_string_equal(inet_ntop(AF_INET, &nd.u.user.proxy.outbound, a,
				      sizeof(a)),
			    "198.18.0.9");
	assert_string_equal(inet_ntop(AF_INET6, &nd.u.user.proxy.outbound6, a,
				      sizeof(a)),
			    "2001:db8::9");
	assert_true(nd.u.user.proxy.keepsrc);
	assert_true(nd.u.user.stack.no_dns);
	assert_int_equal(netdev_parse("user,id=u,keepsrc=off,dns-server=yes",
				      &nd, err, sizeof(err)),
			 0);
	assert_false(nd.u.user.proxy.keepsrc);
	assert_false(nd.u.user.stack.no_dns);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (netdev_parse(bad[i].arg, &nd, err, sizeof(err)) == 0 ||
		    strstr(err, bad[i].want) == NULL) {
			print_error("'%s': error '%s' lacks '%s'\n", bad[i].arg,
				    err, bad[i].want);
			fail();
		}
	}
}

/*
 * policy=, egress=, audit=, deny-tcp=, policy-ttl-min= and policy-ttl-max=:
 * the files' names kept for start, the default verdict, RST or ICMP for a
 * denied connection, the TTL bounds of name rules.
 */
static void test_policy_keys(void **state)
{
	static const struct bad_case bad[] = {
		{ "user,id=u,policy=", "policy: empty value" },
		{ "user,id=u,egress=maybe",
		  "egress: 'maybe' is not allow or deny" },
		{ "user,id=u,egress=", "egress: empty value" },
		{ "user,id=u,deny-tcp=drop",
		  "deny-tcp: 'drop' is not rst or icmp" },
		{ "tap,id=t,ifname=x,deny-tcp=icmp",
		  "unknown key 'deny-tcp' for type tap" },
		{ "tap,id=t,ifname=x,policy=/p",
		  "unknown key 'policy' for type tap" },
		{ "user,id=u,audit=", "audit: empty value" },
		{ "tap,id=t,ifname=x,audit=/a",
		  "unknown key 'audit' for type tap" },
		{ "user,id=u,policy-ttl-min=x",
		  "policy-ttl-min: 'x' is not a number of seconds in 0..604800" },
		{ "user,id=u,policy-ttl-max=604801",
		  "policy-ttl-max: '604801' is not a number" },
		{ "user,id=u,policy-ttl-min=100,policy-ttl-max=99",
		  "policy-ttl-min (100 s) is above policy-ttl-max (99 s)" },
		{ "user,id=u,policy-ttl-max=10",
		  "policy-ttl-min (30 s) is above policy-ttl-max (10 s)" },
	};
	char err[256];
	struct netdev nd;
	size_t i;

	(void)state;
	assert_int_equal(netdev_parse("user,id=u", &nd, err, sizeof(err)), 0);
	assert_string_equal(nd.u.user.policy_file, "");
	assert_int_equal(nd.u.user.egress, -1);
	assert_null(nd.u.user.proxy.policy);
	assert_int_equal(
		netdev_parse("user,id=u,policy=/etc/unet.policy,egress=deny",
			     &nd, err, sizeof(err)),
		0);
	assert_string_equal(nd.u.user.policy_file, "/etc/unet.policy");
	assert_int_equal(nd.u.user.egress, UNET_POLICY_DENY);
	assert_string_equal(nd.u.user.audit_file, "");
	assert_int_equal(netdev_parse("user,id=u,audit=/var/log/unet.audit",
				      &nd, err, sizeof(err)),
			 0);
	assert_string_equal(nd.u.user.audit_file, "/var/log/unet.audit");
	assert_int_equal(netdev_parse("user,id=u,egress=allow", &nd, err,
				      sizeof(err)),
			 0);
	assert_int_equal(nd.u.user.egress, UNET_POLICY_ALLOW);
	assert_false(nd.u.user.proxy.deny_tcp_icmp);
	assert_int_equal(netdev_parse("user,id=u,deny-tcp=icmp", &nd, err,
				      sizeof(err)),
			 0);
	assert_true(nd.u.user.proxy.deny_tcp_icmp);
	assert_int_equal(netdev_parse("user,id=u,deny-tcp=rst", &nd, err,
				      sizeof(err)),
			 0);
	assert_false(nd.u.user.proxy.deny_tcp_icmp);
	/* The TTL bounds of name rules: defaults, and in either order. */
	assert_int_equal(nd.u.user.proxy.names_ttl_min, 30);
	assert_int_equal(nd.u.user.proxy.names_ttl_max, 3600);
	assert_int_equal(
		netdev_parse("user,id=u,policy-ttl-max=2,policy-ttl-min=1", &nd,
			     err, sizeof(err)),
		0);
	assert_int_equal(nd.u.user.proxy.names_ttl_min, 1);
	assert_int_equal(nd.u.user.proxy.names_ttl_max, 2);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (netdev_parse(bad[i].arg, &nd, err, sizeof(err)) == 0 ||
		    strstr(err, bad[i].want) == NULL) {
			print_error("'%s': error '%s' lacks '%s'\n", bad[i].arg,
				    err, bad[i].want);
			fail();
		}
	}
}

/* The IPv6 keys land in the stack's configuration, defaults derived. */
static void test_ip6_keys(void **state)
{
	const struct unet_stack_config *c;
	char err[256], a[INET6_ADDRSTRLEN];
	struct netdev nd;

	(void)state;
	c = &nd.u.user.stack;
	assert_int_equal(netdev_parse("user,id=u", &nd, err, sizeof(err)), 0);
	assert_false(c->no_ipv4);
	assert_false(c->no_ipv6);
	assert_false(c->ip6_dhcp_stateful);
	assert_int_equal(c->ip6_prefix_len, 64);
	assert_string_equal(inet_ntop(AF_INET6, &c->ip6_prefix, a, sizeof(a)),
			    "fec0::");
	assert_string_equal(inet_ntop(AF_INET6, &c->ip6_host, a, sizeof(a)),
			    "fec0::2");
	assert_string_equal(inet_ntop(AF_INET6, &c->ip6_dns, a, sizeof(a)),
			    "fec0::3");

	assert_int_equal(
		netdev_parse(
			"user,id=u,ipv4=off,ipv6-net=2001:db8:1::/64,"
			"ipv6-dns=2001:db8:1::53,ipv6-dhcp=stateful,"
			"dns-upstream=[::1]:5353,dns-upstream=2001:db8::35,"
			"dns-upstream=[2001:db8::36],dns-upstream=192.0.2.1",
			&nd, err, sizeof(err)),
		0);
	assert_true(c->no_ipv4);
	assert_true(c->ip6_dhcp_stateful);
	assert_string_equal(inet_ntop(AF_INET6, &c->ip6_host, a, sizeof(a)),
			    "2001:db8:1::2");
	assert_string_equal(inet_ntop(AF_INET6, &c->ip6_dns, a, sizeof(a)),
			    "2001:db8:1::53");
	assert_int_equal(c->n_dns_upstream, 1);
	assert_int_equal(c->n_dns_upstream6, 3);
	assert_int_equal(c->dns_upstream6[0].sin6_family, AF_INET6);
	assert_int_equal(ntohs(c->dns_upstream6[0].sin6_port), 5353);
	assert_string_equal(inet_ntop(AF_INET6, &c->dns_upstream6[0].sin6_addr,
				      a, sizeof(a)),
			    "::1");
	assert_int_equal(ntohs(c->dns_upstream6[1].sin6_port), 53);
	assert_int_equal(ntohs(c->dns_upstream6[2].sin6_port), 53);
	assert_string_equal(inet_ntop(AF_INET6, &c->dns_upstream6[2].sin6_addr,
				      a, sizeof(a)),
			    "2001:db8::36");

	/* QEMU's older spelling; a prefix without /LEN is a /64 */
	assert_int_equal(netdev_parse("user,id=u,ipv6=off,ipv6-prefix=fd00::,"
				      "ipv6-prefixlen=64,ipv6-host=fd00::1",
				      &nd, err, sizeof(err)),
			 0);
	assert_true(c->no_ipv6);
	assert_string_equal(inet_ntop(AF_INET6, &c->ip6_host, a, sizeof(a)),
			    "fd00::1");
	assert_string_equal(inet_ntop(AF_INET6, &c->ip6_dns, a, sizeof(a)),
			    "fd00::3");
	assert_int_equal(netdev_parse("user,id=u,ipv6-net=fd00:1::", &nd, err,
				      sizeof(err)),
			 0);
	assert_int_equal(c->ip6_prefix_len, 64);
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
				      "restrict=on,restrict-dns=on",
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
	assert_true(c->restrict_dns);
	assert_int_equal(c->dhcp_count, 16);
	assert_string_equal(c->resolv_conf, "/etc/resolv.conf");
	assert_int_equal(c->mem_budget, 0);
	assert_int_equal(nd.u.user.proxy.tcp_stall_timeout_ms, 120000);

	/* nothing given: every service option at its default */
	assert_int_equal(netdev_parse("user,id=u", &nd, err, sizeof(err)), 0);
	assert_string_equal(c->hostname, "");
	assert_string_equal(c->dnssearch, "");
	assert_string_equal(c->tftp_root, "");
	assert_int_equal(c->n_dns_upstream, 0);
	assert_false(c->restrict_guest);
	assert_false(c->restrict_dns);
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

/* "1.2.3.4:80" or "[::1]:80". */
static const char *sa_string(const union unet_sockaddr *sa, char *buf,
			     size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (sa->sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &sa->in6.sin6_addr, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, ntohs(sa->in6.sin6_port));
	} else {
		assert_int_equal(sa->sa.sa_family, AF_INET);
		inet_ntop(AF_INET, &sa->in.sin_addr, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, ntohs(sa->in.sin_port));
	}
	return buf;
}

/* "tcp 0.0.0.0:8080-10.0.2.15:80*; ..." for the forwards of @u. */
static void fwds_string(const struct netdev_user *u, char *buf, size_t len)
{
	char h[INET6_ADDRSTRLEN + 8], g[INET6_ADDRSTRLEN + 8];
	size_t used = 0;
	int i, n;

	buf[0] = '\0';
	for (i = 0; i < u->n_fwds; i++) {
		const struct unet_fwd_ex *f = &u->fwds[i];

		assert_true(f->proto == IPPROTO_TCP || f->proto == IPPROTO_UDP);
		n = snprintf(buf + used, len - used, "%s%s %s-%s%s",
			     i ? "; " : "",
			     f->proto == IPPROTO_TCP ? "tcp" : "udp",
			     sa_string(&f->host, h, sizeof(h)),
			     sa_string(&f->guest, g, sizeof(g)),
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
		assert_int_equal(nd.u.user.proxy.max_flows, 21504);
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
		assert_int_equal(ntohs(nd.u.user.fwds[i].host.in.sin_port),
				 1000 + i);
		assert_int_equal(ntohs(nd.u.user.fwds[i].guest.in.sin_port),
				 1 + i);
		assert_true(nd.u.user.fwd_guest_default[i]);
	}
	sprintf(arg + n, ",hostfwd=tcp::2000-:1");
	poison(&nd);
	assert_int_equal(netdev_parse(arg, &nd, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "hostfwd: at most 32 forwards"));
	assert_true(is_poisoned(&nd));
}

/* The IPv6 keys' errors. */
static const struct bad_case bad_ip6_cases[] = {
	{ "user,id=u,ipv6=maybe", "ipv6: 'maybe' is not on or off" },
	{ "user,id=u,ipv4=off,ipv6=off",
	  "ipv4=off and ipv6=off: no network left" },
	{ "user,id=u,ipv6-net=fec0::/48",
	  "ipv6-net: prefix length 48 is not supported (want 64" },
	{ "user,id=u,ipv6-net=fec0::/129",
	  "ipv6-net: bad prefix length '/129'" },
	{ "user,id=u,ipv6-net=fec0::1/64",
	  "ipv6-net: bits set past /64 in fec0::1" },
	{ "user,id=u,ipv6-net=fe80::/64",
	  "ipv6-net: fe80::/64 is not a unicast prefix" },
	{ "user,id=u,ipv6-net=ff02::/64",
	  "ipv6-net: ff02::/64 is not a unicast prefix" },
	{ "user,id=u,ipv6-net=::/64",
	  "ipv6-net: ::/64 is not a unicast prefix" },
	{ "user,id=u,ipv6-net=10.0.2.0/24",
	  "ipv6-net: bad IPv6 prefix '10.0.2.0'" },
	{ "user,id=u,ipv6-net=2001:db8::/64,ipv6-prefix=2001:db8::",
	  "ipv6-net: not with ipv6-prefix= or ipv6-prefixlen=" },
	{ "user,id=u,ipv6-prefix=2001:db8::,ipv6-prefixlen=56",
	  "ipv6-prefixlen: prefix length 56 is not supported" },
	{ "user,id=u,ipv6-prefixlen=x",
	  "ipv6-prefixlen: bad prefix length 'x'" },
	{ "user,id=u,ipv6-host=2001:db8::2",
	  "ipv6-host: 2001:db8::2 is not inside the /64 prefix" },
	{ "user,id=u,ipv6-net=2001:db8::/64,ipv6-dns=fec0::3",
	  "ipv6-dns: fec0::3 is not inside the /64 prefix" },
	{ "user,id=u,ipv6-dns=fec0::",
	  "ipv6-dns: fec0:: is not inside the /64 prefix" },
	{ "user,id=u,ipv6-dns=fec0::2",
	  "ipv6-dns: fec0::2 is the same address as ipv6-host" },
	{ "user,id=u,ipv6-host=fec0::3",
	  "ipv6-host: fec0::3 is the same address as ipv6-dns" },
	{ "user,id=u,ipv6-host=fec0::1/64",
	  "ipv6-host: bad IPv6 address 'fec0::1/64'" },
	{ "user,id=u,ipv6-dhcp=yes",
	  "ipv6-dhcp: 'yes' is not stateless or stateful" },
	{ "user,id=u,dns-upstream=[::1", "dns-upstream: missing ']'" },
	{ "user,id=u,dns-upstream=[::1]x", "dns-upstream: 'x' after ']'" },
	{ "user,id=u,dns-upstream=[::1]:0", "dns-upstream: bad port '0'" },
	{ "user,id=u,dns-upstream=[1.2.3.4]:53",
	  "dns-upstream: bad IPv6 address '1.2.3.4'" },
	{ "user,id=u,dns-upstream=fe80::1::2",
	  "dns-upstream: bad IPv6 address 'fe80::1::2'" },
	{ "tap,id=t,ipv6=on", "unknown key 'ipv6' for type tap" },
};

/* Each of @cases fails with -EINVAL, its message, the result untouched. */
static void check_bad(const struct bad_case *cases, size_t n)
{
	char err[512];
	int failed = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		const struct bad_case *c = &cases[i];
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

/* Parses @arg into @nd, which must succeed. */
static void parse_ok(const char *arg, struct netdev *nd)
{
	char err[256];

	if (netdev_parse(arg, nd, err, sizeof(err))) {
		print_error("%s: %s\n", arg, err);
		fail();
	}
}

/* offload= on links: streams only. */
static const struct bad_case bad_offload_cases[] = {
	{ "socket,id=s,mcast=239.1.1.1:5,offload=on",
	  "offload= goes with listen= or connect=" },
	{ "socket,id=s,udp=h:1,localaddr=:2,offload=off",
	  "offload= goes with listen= or connect=" },
	{ "socket,id=s,connect=h:1,offload=maybe",
	  "offload: 'maybe' is not on or off" },
	{ "dgram,id=d,remote.type=unix,remote.path=/b,local.type=unix,"
	  "local.path=/a,offload=on",
	  "unknown key 'offload' for type dgram" },
};

static void test_bad(void **state)
{
	(void)state;
	check_bad(bad_cases, ARRAY_SIZE(bad_cases));
	check_bad(bad_ip6_cases, ARRAY_SIZE(bad_ip6_cases));
	check_bad(bad_offload_cases, ARRAY_SIZE(bad_offload_cases));
}

/* offload=on|off on socket listen=/connect= and stream (default off). */
static void test_link_offload(void **state)
{
	static const struct {
		const char *arg;
		bool offload;
	} cases[] = {
		{ "socket,id=s,listen=:1,offload=on", true },
		{ "socket,id=s,connect=h:1", false },
		{ "stream,id=s,addr.type=unix,addr.path=/a,offload=on", true },
		{ "stream,id=s,addr.type=fd,addr.str=4,offload=off", false },
		{ "stream,id=s,addr.type=fd,addr.str=4,offload=on", true },
	};
	struct netdev nd;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		parse_ok(cases[i].arg, &nd);
		assert_true(nd.u.link.stream);
		assert_int_equal(nd.u.link.offload, cases[i].offload);
	}
	/* A tap's offload= is its own (default on). */
	parse_ok("tap,id=t,offload=off", &nd);
	assert_true(nd.u.tap.no_offload);
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
		  "-netdev bogus,id=x: unknown type 'bogus' (known: user, tap, dump, socket, stream, dgram, vde, vxlan, hubport)" },
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
	assert_string_equal(netdev_type_name(NETDEV_SOCKET), "socket");
	assert_string_equal(netdev_type_name(NETDEV_STREAM), "stream");
	assert_string_equal(netdev_type_name(NETDEV_DGRAM), "dgram");
	assert_string_equal(netdev_type_name(NETDEV_VDE), "vde");
	assert_string_equal(netdev_type_name(NETDEV_VXLAN), "vxlan");
	assert_string_equal(netdev_type_name(NETDEV_HUBPORT), "hubport");
	assert_null(netdev_type_name(NETDEV_TYPE_NUM));
	assert_null(netdev_type_name((enum netdev_type)-1));
}

/* Socket, stream, dgram, vde and hubport options, and what they must give. */
struct link_case {
	const char *arg;
	enum netdev_type type;
	unsigned int hub;
	bool hub_given;
	/* socket/stream/dgram: "stream"|"dgram", server, reconnect, and the
	 * addresses as "inet HOST PORT", "unix PATH", "fd N" or "" for none
	 */
	const char *kind;
	bool server;
	unsigned int reconnect;
	const char *addr, *local, *remote;
	/* vde: sock, port, group, mode; hubport: netdev (in sock) */
	const char *sock;
	unsigned int port;
	const char *group;
	unsigned int mode;
};

#define LINK(a, t, k, s, rc, ad, lo, re) \
	{ .arg = (a), .type = (t), .kind = (k), .server = (s), \
	  .reconnect = (rc), .addr = (ad), .local = (lo), .remote = (re) }

static const struct link_case link_cases[] = {
	LINK("socket,id=s,listen=:1234", NETDEV_SOCKET, "stream", true, 0,
	     "inet  1234", "", ""),
	LINK("socket,id=s,listen=127.0.0.1:0", NETDEV_SOCKET, "stream", true, 0,
	     "inet 127.0.0.1 0", "", ""),
	LINK("socket,id=s,connect=localhost:1234", NETDEV_SOCKET, "stream",
	     false, 0, "inet localhost 1234", "", ""),
	LINK("socket,id=s,connect=[::1]:80,reconnect=5", NETDEV_SOCKET,
	     "stream", false, 5, "inet ::1 80", "", ""),
	LINK("socket,id=s,mcast=230.0.0.1:1234", NETDEV_SOCKET, "dgram", false,
	     0, "", "", "inet 230.0.0.1 1234"),
	LINK("socket,id=s,mcast=239.1.2.3:5,localaddr=127.0.0.1",
	     NETDEV_SOCKET, "dgram", false, 0, "", "inet 127.0.0.1 0",
	     "inet 239.1.2.3 5"),
	LINK("socket,id=s,udp=127.0.0.1:5000,localaddr=127.0.0.1:5001",
	     NETDEV_SOCKET, "dgram", false, 0, "", "inet 127.0.0.1 5001",
	     "inet 127.0.0.1 5000"),
	LINK("socket,id=s,udp=h:5000,localaddr=:5001", NETDEV_SOCKET, "dgram",
	     false, 0, "", "inet  5001", "inet h 5000"),
	LINK("stream,id=s,server=on,addr.type=inet,addr.host=0.0.0.0,addr.port=0",
	     NETDEV_STREAM, "stream", true, 0, "inet 0.0.0.0 0", "", ""),
	LINK("stream,id=s,addr.type=inet,addr.host=::1,addr.port=9",
	     NETDEV_STREAM, "stream", false, 0, "inet ::1 9", "", ""),
	LINK("stream,id=s,server=off,addr.type=unix,addr.path=/tmp/a,,b,reconnect=2",
	     NETDEV_STREAM, "stream", false, 2, "unix /tmp/a,b", "", ""),
	LINK("stream,id=s,addr.type=fd,addr.str=4", NETDEV_STREAM, "stream",
	     false, 0, "fd 4", "", ""),
	LINK("dgram,id=d,remote.type=inet,remote.host=230.0.0.1,remote.port=1234",
	     NETDEV_DGRAM, "dgram", false, 0, "", "", "inet 230.0.0.1 1234"),
	LINK("dgram,id=d,remote.type=inet,remote.host=230.0.0.1,remote.port=1234,"
	     "local.type=inet,local.host=127.0.0.1",
	     NETDEV_DGRAM, "dgram", false, 0, "", "inet 127.0.0.1 0",
	     "inet 230.0.0.1 1234"),
	LINK("dgram,id=d,local.type=inet,local.host=127.0.0.1,local.port=7,"
	     "remote.type=inet,remote.host=127.0.0.1,remote.port=8",
	     NETDEV_DGRAM, "dgram", false, 0, "", "inet 127.0.0.1 7",
	     "inet 127.0.0.1 8"),
	LINK("dgram,id=d,local.type=unix,local.path=/a,remote.type=unix,remote.path=/b",
	     NETDEV_DGRAM, "dgram", false, 0, "", "unix /a", "unix /b"),
	{ .arg = "vde,id=v", .type = NETDEV_VDE, .sock = "", .group = "",
	  .mode = 0700 },
	{ .arg = "vde,id=v,sock=/tmp/sw,port=3,group=kvm,mode=0770,hub=2",
	  .type = NETDEV_VDE, .hub = 2, .hub_given = true, .sock = "/tmp/sw",
	  .port = 3, .group = "kvm", .mode = 0770 },
	{ .arg = "vde,id=v,sock=vxvde://239.0.0.1", .type = NETDEV_VDE,
	  .sock = "vxvde://239.0.0.1", .group = "", .mode = 0700 },
	{ .arg = "hubport,id=h,hubid=3", .type = NETDEV_HUBPORT, .hub = 3,
	  .hub_given = true, .sock = "" },
	{ .arg = "hubport,id=h,hubid=0,netdev=s0", .type = NETDEV_HUBPORT,
	  .hub = 0, .hub_given = true, .sock = "s0" },
	{ .arg = "tap,id=t,hub=7", .type = NETDEV_TAP, .hub = 7,
	  .hub_given = true },
	{ .arg = "user,id=u,hub=1", .type = NETDEV_USER, .hub = 1,
	  .hub_given = true },
};

/* An address as link_cases spell it. */
static void addr_text(const struct netdev_addr *a, char *buf, size_t len)
{
	switch (a->type) {
	case NETDEV_ADDR_INET:
		snprintf(buf, len, "inet %s %u", a->host, a->port);
		break;
	case NETDEV_ADDR_UNIX:
		snprintf(buf, len, "unix %s", a->path);
		break;
	case NETDEV_ADDR_FD:
		snprintf(buf, len, "fd %d", a->fd);
		break;
	default:
		snprintf(buf, len, "%s", "");
		break;
	}
}

static void assert_addr_text(const char *arg, const char *what,
			     const struct netdev_addr *a, const char *want)
{
	char got[NETDEV_HOST_MAX + 32];

	addr_text(a, got, sizeof(got));
	if (strcmp(got, want)) {
		print_error("%s: %s is '%s', want '%s'\n", arg, what, got, want);
		fail();
	}
}

/* loss= and loss-burst= on every type that makes a port. */
static void test_loss(void **state)
{
	static const struct {
		const char *arg;
		uint32_t one_in, burst_len, burst_every;
	} cases[] = {
		{ "tap,id=t0", 0, 0, 0 },
		{ "tap,id=t0,loss=50", 50, 0, 0 },
		{ "tap,id=t0,loss=0,loss-burst=0/1", 0, 0, 1 },
		{ "tap,id=t0,loss-burst=60/3000,loss=50", 50, 60, 3000 },
		{ "user,id=u,loss=4294967295", 4294967295u, 0, 0 },
		{ "dump,id=d,file=x,loss-burst=5/5", 0, 5, 5 },
		{ "socket,id=s,listen=:1,loss=2", 2, 0, 0 },
		{ "stream,id=s,addr.type=unix,addr.path=p,loss-burst=1/7", 0, 1, 7 },
		{ "vde,id=v,loss=3", 3, 0, 0 },
	};
	struct netdev nd;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		parse_ok(cases[i].arg, &nd);
		assert_int_equal(nd.loss.one_in, cases[i].one_in);
		assert_int_equal(nd.loss.burst_len, cases[i].burst_len);
		assert_int_equal(nd.loss.burst_every, cases[i].burst_every);
	}
}

static void test_link(void **state)
{
	struct netdev nd;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(link_cases); i++) {
		const struct link_case *c = &link_cases[i];

		if (netdev_parse(c->arg, &nd, err, sizeof(err))) {
			print_error("%s: %s\n", c->arg, err);
			fail();
		}
		assert_int_equal(nd.type, c->type);
		assert_int_equal(nd.hub, c->hub);
		assert_int_equal(nd.hub_given, c->hub_given);
		if (c->kind != NULL) {
			assert_int_equal(nd.u.link.stream,
					 !strcmp(c->kind, "stream"));
			assert_int_equal(nd.u.link.server, c->server);
			assert_int_equal(nd.u.link.reconnect, c->reconnect);
			assert_addr_text(c->arg, "addr", &nd.u.link.addr,
					 c->addr);
			assert_addr_text(c->arg, "local", &nd.u.link.local,
					 c->local);
			assert_addr_text(c->arg, "remote", &nd.u.link.remote,
					 c->remote);
		} else if (c->type == NETDEV_VDE) {
			assert_string_equal(nd.u.vde.sock, c->sock);
			assert_int_equal(nd.u.vde.port, c->port);
			assert_string_equal(nd.u.vde.group, c->group);
			assert_int_equal(nd.u.vde.mode, c->mode);
		} else if (c->type == NETDEV_HUBPORT) {
			assert_string_equal(nd.u.hubport.netdev, c->sock);
		}
	}
}

/* Parse @args (NULL-terminated) and assign hubs; 0 or -EINVAL. */
static int assign(const char *const *args, struct netdev *nds, int *n,
		  char *err, size_t errlen)
{
	*n = 0;
	for (; *args != NULL; args++) {
		assert_int_equal(netdev_parse(*args, &nds[*n], err, errlen), 0);
		(*n)++;
	}
	return netdev_assign_hubs(nds, *n, err, errlen);
}

/* vxlan: every key, the defaults, and the endpoint forms. */
static void test_vxlan(void **state)
{
	struct netdev nd;
	char err[256];

	(void)state;
	assert_int_equal(netdev_parse("vxlan,id=v,vni=42,remote=198.18.0.2",
				      &nd, err, sizeof(err)), 0);
	assert_int_equal(nd.type, NETDEV_VXLAN);
	assert_int_equal(nd.u.vxlan.vni, 42);
	assert_int_equal(nd.u.vxlan.port, 4789);
	assert_true(nd.u.vxlan.learning);
	assert_int_equal(nd.u.vxlan.ageing, 300);
	assert_string_equal(nd.u.vxlan.local, "");
	assert_string_equal(nd.u.vxlan.dev, "");
	assert_int_equal(nd.u.vxlan.group.type, NETDEV_ADDR_NONE);
	assert_int_equal(nd.u.vxlan.n_remotes, 1);
	assert_string_equal(nd.u.vxlan.remotes[0].host, "198.18.0.2");
	assert_int_equal(nd.u.vxlan.remotes[0].port, 0);
	assert_int_equal(nd.hub, 0);

	assert_int_equal(netdev_parse("vxlan,id=v,vni=16777215,local=2001:db8::1,"
				      "remote=2001:db8::2,remote=[2001:db8::3],"
				      "remote=[2001:db8::4]:8472,remote=host-b.example:4790,"
				      "remote=host-c.example,group=[ff05::4:5]:4789,dev=eth0,"
				      "port=4790,learning=on,ageing=0,hub=3",
				      &nd, err, sizeof(err)), 0);
	assert_int_equal(nd.u.vxlan.vni, 16777215);
	assert_string_equal(nd.u.vxlan.local, "2001:db8::1");
	assert_int_equal(nd.u.vxlan.n_remotes, 5);
	assert_string_equal(nd.u.vxlan.remotes[0].host, "2001:db8::2");
	assert_int_equal(nd.u.vxlan.remotes[0].port, 0);
	assert_string_equal(nd.u.vxlan.remotes[1].host, "2001:db8::3");
	assert_int_equal(nd.u.vxlan.remotes[1].port, 0);
	assert_string_equal(nd.u.vxlan.remotes[2].host, "2001:db8::4");
	assert_int_equal(nd.u.vxlan.remotes[2].port, 8472);
	assert_string_equal(nd.u.vxlan.remotes[3].host, "host-b.example");
	assert_int_equal(nd.u.vxlan.remotes[3].port, 4790);
	assert_string_equal(nd.u.vxlan.remotes[4].host, "host-c.example");
	assert_int_equal(nd.u.vxlan.group.type, NETDEV_ADDR_INET);
	assert_string_equal(nd.u.vxlan.group.host, "ff05::4:5");
	assert_int_equal(nd.u.vxlan.group.port, 4789);
	assert_string_equal(nd.u.vxlan.dev, "eth0");
	assert_int_equal(nd.u.vxlan.port, 4790);
	assert_int_equal(nd.u.vxlan.ageing, 0);
	assert_int_equal(nd.hub, 3);

	/* Multicast alone, learning off (the kernel's nolearning). */
	assert_int_equal(netdev_parse("vxlan,id=v,vni=0,group=239.1.1.1,dev=vA,learning=off",
				      &nd, err, sizeof(err)), 0);
	assert_int_equal(nd.u.vxlan.n_remotes, 0);
	assert_string_equal(nd.u.vxlan.group.host, "239.1.1.1");
	assert_false(nd.u.vxlan.learning);
}

static void test_hubs(void **state)
{
	static const char *const qemu[] = {
		"socket,id=s0,listen=127.0.0.1:1", "hubport,id=h0,hubid=0,netdev=s0",
		"user,id=u0", "hubport,id=h1,hubid=0,netdev=u0", NULL };
	static const char *const two[] = {
		"hubport,id=h1,hubid=5,netdev=t1", "tap,id=t0", "tap,id=t1",
		"socket,id=s1,hub=5,connect=h:1", NULL };
	static const char *const agree[] = {
		"tap,id=t0,hub=4", "hubport,id=h,hubid=4,netdev=t0", NULL };
	static const char *const unknown[] = {
		"hubport,id=h,hubid=1,netdev=nope", NULL };
	static const char *const hubport_hubport[] = {
		"hubport,id=a,hubid=1", "hubport,id=b,hubid=1,netdev=a", NULL };
	static const char *const twice[] = {
		"tap,id=t0", "hubport,id=a,hubid=1,netdev=t0",
		"hubport,id=b,hubid=2,netdev=t0", NULL };
	static const char *const conflict[] = {
		"tap,id=t0,hub=3", "hubport,id=a,hubid=1,netdev=t0", NULL };
	struct netdev nds[NETDEV_HUB_MAX + 2];
	char err[256], arg[64];
	const char *many[NETDEV_HUB_MAX + 2];
	int n, i;

	(void)state;
	assert_int_equal(assign(qemu, nds, &n, err, sizeof(err)), 0);
	for (i = 0; i < n; i++)
		assert_int_equal(nds[i].hub, 0);
	assert_int_equal(assign(two, nds, &n, err, sizeof(err)), 0);
	assert_int_equal(nds[1].hub, 0);
	assert_int_equal(nds[2].hub, 5);
	assert_int_equal(nds[3].hub, 5);
	assert_int_equal(assign(agree, nds, &n, err, sizeof(err)), 0);
	assert_int_equal(nds[0].hub, 4);
	assert_int_equal(assign(unknown, nds, &n, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "netdev=nope: no -netdev with that id"));
	assert_int_equal(assign(hubport_hubport, nds, &n, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "netdev=a is a hubport itself"));
	assert_int_equal(assign(twice, nds, &n, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "netdev=t0 is already on hubport a"));
	assert_int_equal(assign(conflict, nds, &n, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "netdev=t0 has hub=3, not 1"));

	/* NETDEV_HUB_MAX hubs are fine, one more is not. */
	for (i = 0; i <= NETDEV_HUB_MAX; i++) {
		snprintf(arg, sizeof(arg), "hubport,id=h%d,hubid=%d", i, i * 7);
		assert_int_equal(netdev_parse(arg, &nds[i], err, sizeof(err)),
				 0);
		many[i] = NULL;
	}
	assert_int_equal(netdev_assign_hubs(nds, NETDEV_HUB_MAX, err,
					    sizeof(err)), 0);
	assert_int_equal(netdev_assign_hubs(nds, NETDEV_HUB_MAX + 1, err,
					    sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "at most 16 hubs"));
	(void)many;
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
	for (i = 0; i < ARRAY_SIZE(link_cases); i++)
		mangle_one(link_cases[i].arg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_service_keys),
		cmocka_unit_test(test_ip6_keys),
		cmocka_unit_test(test_budget_keys),
		cmocka_unit_test(test_outbound_keys),
		cmocka_unit_test(test_policy_keys),
		cmocka_unit_test(test_user),
		cmocka_unit_test(test_fwd_limit),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_long_values),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_null_args),
		cmocka_unit_test(test_type_name),
		cmocka_unit_test(test_no_crash),
		cmocka_unit_test(test_link),
		cmocka_unit_test(test_link_offload),
		cmocka_unit_test(test_loss),
		cmocka_unit_test(test_hubs),
		cmocka_unit_test(test_vxlan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
