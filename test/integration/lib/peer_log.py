#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A server that logs who reaches it: TCP and UDP on one port (IPv4 and
IPv6), and ICMP / ICMPv6 echo requests seen on raw sockets. One line per
event on stdout, flushed: "tcp ADDR PORT", "udp ADDR PORT", "ping ADDR".
TCP connections get "hello ADDR PORT\n" back (the peer as seen here) and
UDP datagrams the same as a reply, so a client can print what the server
saw. Runs until killed or --time seconds; --ready FILE is created once
every socket is bound."""
import argparse
import select
import socket
import sys


def norm(addr):
    """An IPv4-mapped IPv6 address as plain IPv4."""
    return addr[7:] if addr.startswith("::ffff:") else addr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ready")
    ap.add_argument("--time", type=float, default=120)
    ap.add_argument("--no-icmp", action="store_true")
    a = ap.parse_args()
    socks = []
    tcp = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    tcp.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    tcp.bind(("::", a.port))
    tcp.listen(16)
    udp = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
    udp.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
    udp.bind(("::", a.port))
    socks += [tcp, udp]
    icmp4 = icmp6 = None
    if not a.no_icmp:
        icmp4 = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
        icmp6 = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
        socks += [icmp4, icmp6]
    if a.ready:
        open(a.ready, "w").close()
    import time
    end = time.monotonic() + a.time
    while time.monotonic() < end:
        r, _, _ = select.select(socks, [], [], 0.5)
        for s in r:
            if s is tcp:
                c, peer = tcp.accept()
                line = "tcp %s %d" % (norm(peer[0]), peer[1])
                print(line, flush=True)
                try:
                    c.sendall(("hello %s %d\n" % (norm(peer[0]), peer[1])).encode())
                except OSError:
                    pass
                c.close()
            elif s is udp:
                data, peer = udp.recvfrom(2048)
                print("udp %s %d" % (norm(peer[0]), peer[1]), flush=True)
                udp.sendto(("hello %s %d\n" % (norm(peer[0]), peer[1])).encode(), peer)
            elif s is icmp4:
                data, peer = icmp4.recvfrom(2048)
                ihl = (data[0] & 15) * 4
                if len(data) > ihl and data[ihl] == 8:
                    print("ping %s" % peer[0], flush=True)
            elif s is icmp6:
                data, peer = icmp6.recvfrom(2048)
                if data and data[0] == 128:
                    print("ping %s" % peer[0], flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
