#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the input and expected pcaps of the replay golden tests.

Every frame is built here from the RFCs (ARP, IPv4, ICMP, UDP, DHCP,
TFTP; IPv6 RFC 8200 with its fragments, ICMPv6 RFC 4443, neighbour discovery RFC 4861 and
RFC 8106, DHCPv6 RFC 8415 and RFC 3646), independently of usernet's own code, so that a golden test compares
the stack's answers with frames nobody derived from the stack. Run it with
the folder to write to; the test `replay.inputs` checks that the committed
files are what this writes.
"""
import os
import struct
import sys

GUEST_MAC = bytes.fromhex("525400123456")
GW_MAC = bytes.fromhex("52550a000202")
BCAST = b"\xff" * 6
GUEST = bytes([10, 0, 2, 15])
GW = bytes([10, 0, 2, 2])
DNS = bytes([10, 0, 2, 3])


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def eth(dst, src, etype, payload):
    return dst + src + struct.pack("!H", etype) + payload


def ipv4(src, dst, proto, payload, ident=1, ttl=64, frag=0):
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident,
                      frag, ttl, proto, 0, src, dst)
    hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
    return hdr + payload


def udp(src, dst, sport, dport, payload):
    hdr = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    pseudo = src + dst + struct.pack("!BBH", 0, 17, 8 + len(payload))
    c = csum(pseudo + hdr + payload) or 0xFFFF
    return hdr[:6] + struct.pack("!H", c) + payload


def arp(op, sha, spa, tha, tpa):
    return struct.pack("!HHBBH", 1, 0x0800, 6, 4, op) + sha + spa + tha + tpa


def icmp_echo(typ, ident, seq, data):
    msg = struct.pack("!BBHHH", typ, 0, 0, ident, seq) + data
    return msg[:2] + struct.pack("!H", csum(msg)) + msg[4:]


def fragments(src, dst, proto, payload, size, ident):
    out = []
    for off in range(0, len(payload), size):
        part = payload[off:off + size]
        more = 0x2000 if off + size < len(payload) else 0
        out.append(ipv4(src, dst, proto, part, ident, frag=more | off // 8))
    return out


# IPv6 (RFC 8200) for the fragment tests: the guest fec0::15, the gateway
# fec0::2 (QEMU's default prefix).
GUEST6 = bytes.fromhex("fec00000000000000000000000000015")
GW6 = bytes.fromhex("fec00000000000000000000000000002")


def ipv6(src, dst, nexthdr, payload, hlim=64):
    return struct.pack("!IHBB16s16s", 6 << 28, len(payload), nexthdr, hlim,
                       src, dst) + payload


def icmp6_echo(src, dst, typ, ident, seq, data):
    """RFC 4443 4.1: the checksum covers the IPv6 pseudo-header."""
    msg = struct.pack("!BBHHH", typ, 0, 0, ident, seq) + data
    pseudo = src + dst + struct.pack("!I3xB", len(msg), 58)
    return msg[:2] + struct.pack("!H", csum(pseudo + msg)) + msg[4:]


def frag6(src, dst, nexthdr, part, off, more, ident):
    """One fragment (RFC 8200 4.5): the IPv6 header is the unfragmentable
    part, then a fragment header: next header, reserved, offset in 8-byte
    units in bits 15..3 with M in bit 0, identification."""
    fh = struct.pack("!BBHI", nexthdr, 0, off | (1 if more else 0), ident)
    return ipv6(src, dst, 44, fh + part)


def fragments6(src, dst, nexthdr, payload, size, ident):
    return [frag6(src, dst, nexthdr, payload[off:off + size], off,
                  off + size < len(payload), ident)
            for off in range(0, len(payload), size)]


def dhcp(msgtype, xid, requested=None, server=None):
    msg = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 1, 1, 6, 0, xid, 0, 0,
                      b"\0" * 4, b"\0" * 4, b"\0" * 4, b"\0" * 4,
                      GUEST_MAC + b"\0" * 10, b"", b"")
    msg += b"\x63\x82\x53\x63" + bytes([53, 1, msgtype])
    if requested:
        msg += bytes([50, 4]) + requested
    if server:
        msg += bytes([54, 4]) + server
    msg += b"\xff"
    return eth(BCAST, GUEST_MAC, 0x0800,
               ipv4(b"\0" * 4, b"\xff" * 4, 17,
                    udp(b"\0" * 4, b"\xff" * 4, 68, 67, msg)))


# IPv6: the guest's link-local address (its MAC's modified EUI-64), the
# gateway's fe80::2 and QEMU's default prefix fec0::/64 (::2, ::3).
GUEST_LL = bytes.fromhex("fe80000000000000505400fffe123456")
GW_LL = bytes.fromhex("fe800000000000000000000000000002")
GW6 = bytes.fromhex("fec00000000000000000000000000002")
DNS6 = bytes.fromhex("fec00000000000000000000000000003")
ALL_NODES = bytes.fromhex("ff020000000000000000000000000001")
ALL_ROUTERS = bytes.fromhex("ff020000000000000000000000000002")
DHCP6_SERVERS = bytes.fromhex("ff020000000000000000000000010002")
UNSPEC = bytes(16)


def group_mac(group):
    return b"\x33\x33" + group[12:]


def solicited(addr):
    return bytes.fromhex("ff0200000000000000000001ff") + addr[13:]


def icmp6(src, dst, typ, code, body, hlim=255):
    """An ICMPv6 message (checksum over the pseudo header) in IPv6."""
    msg = struct.pack("!BBH", typ, code, 0) + body
    pseudo = src + dst + struct.pack("!IxxxB", len(msg), 58)
    msg = msg[:2] + struct.pack("!H", csum(pseudo + msg)) + msg[4:]
    return ipv6(src, dst, 58, msg, hlim)


def udp6(src, dst, sport, dport, payload, hlim=64):
    hdr = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    pseudo = src + dst + struct.pack("!IxxxB", 8 + len(payload), 17)
    c = csum(pseudo + hdr + payload) or 0xFFFF
    return ipv6(src, dst, 17, hdr[:6] + struct.pack("!H", c) + payload,
                hlim)


def nd_opt(typ, data):
    """An ND option: type, length in 8-byte units, data padded with 0."""
    data += bytes(-(len(data) + 2) % 8)
    return bytes([typ, (len(data) + 2) // 8]) + data


def dns_names(names):
    """Uncompressed DNS names, as DNSSL and DHCPv6 option 24 carry them."""
    out = b""
    for name in names:
        for label in name.split("."):
            out += bytes([len(label)]) + label.encode()
        out += b"\0"
    return out


def ns(src, dst, target, sll=True):
    body = struct.pack("!I16s", 0, target)
    if sll:
        body += nd_opt(1, GUEST_MAC)
    return icmp6(src, dst, 135, 0, body)


def na(dst, target, flags):
    """The gateway's answer: Router, Solicited, Override flags; its MAC."""
    body = struct.pack("!B3x16s", flags, target) + nd_opt(2, GW_MAC)
    return icmp6(target, dst, 136, 0, body)


def ra(mtu, names, flags=0x40):
    """The gateway's advertisement (RFC 4861 4.2, RFC 8106 5)."""
    body = struct.pack("!BBHII", 64, flags, 1800, 0, 0)
    body += nd_opt(1, GW_MAC)
    body += nd_opt(5, struct.pack("!HI", 0, mtu))
    body += nd_opt(3, struct.pack("!BBIII16s", 64, 0xC0, 86400, 14400, 0,
                                  bytes.fromhex("fec0") + bytes(14)))
    body += nd_opt(25, struct.pack("!HI", 0, 1800) + DNS6)
    if names:
        body += nd_opt(31, struct.pack("!HI", 0, 1800) + dns_names(names))
    return icmp6(GW_LL, ALL_NODES, 134, 0, body)


def d6opt(code, data):
    return struct.pack("!HH", code, len(data)) + data


DUID_GUEST = bytes.fromhex("00030001") + GUEST_MAC
DUID_GW = bytes.fromhex("00030001") + GW_MAC


def dhcp6_client(msgtype, xid, server=False, ia=None, addr=None):
    msg = bytes([msgtype]) + xid.to_bytes(3, "big") + d6opt(1, DUID_GUEST)
    if server:
        msg += d6opt(2, DUID_GW)
    if ia is not None:
        sub = d6opt(5, addr + bytes(8)) if addr else b""
        msg += d6opt(3, struct.pack("!III", ia, 0, 0) + sub)
    msg += d6opt(6, struct.pack("!HH", 23, 24)) + d6opt(8, b"\0\0")
    return eth(group_mac(DHCP6_SERVERS), GUEST_MAC, 0x86DD,
               udp6(GUEST_LL, DHCP6_SERVERS, 546, 547, msg))


def dhcp6_server(msgtype, xid, names, ia=None, addr=None):
    """The server's answer: its DUID-LL, the client's, the lease, DNS."""
    msg = bytes([msgtype]) + xid.to_bytes(3, "big")
    msg += d6opt(2, DUID_GW) + d6opt(1, DUID_GUEST)
    if ia is not None:
        sub = d6opt(5, addr + struct.pack("!II", 86400, 86400))
        msg += d6opt(3, struct.pack("!III", ia, 43200, 69120) + sub)
    msg += d6opt(23, DNS6) + d6opt(24, dns_names(names))
    return eth(GUEST_MAC, GW_MAC, 0x86DD,
               udp6(GW_LL, GUEST_LL, 547, 546, msg))


def ia_opt(code, iaid, addr=None, status=None, lifetimes=(0, 0)):
    """An IA option (RFC 8415 21.4, 21.5, 21.21): IA_NA and IA_PD carry
    IAID, T1, T2; IA_TA only its IAID. Inside, an IAADDR (address,
    preferred and valid lifetimes) and a Status Code (code, no message)."""
    data = struct.pack("!I", iaid)
    if code != 4:
        data += struct.pack("!II", *lifetimes)
    if addr is not None:
        data += d6opt(5, addr + struct.pack("!II", 86400, 86400))
    if status is not None:
        data += d6opt(13, struct.pack("!H", status))
    return d6opt(code, data)


def dhcp6_ias_client(msgtype, xid, ias, server=True):
    """A client's message with several IAs (already encoded)."""
    msg = bytes([msgtype]) + xid.to_bytes(3, "big") + d6opt(1, DUID_GUEST)
    if server:
        msg += d6opt(2, DUID_GW)
    msg += b"".join(ias) + d6opt(8, b"\0\0")
    return eth(group_mac(DHCP6_SERVERS), GUEST_MAC, 0x86DD,
               udp6(GUEST_LL, DHCP6_SERVERS, 546, 547, msg))


def dhcp6_ias_server(msgtype, xid, names, ias, status=None):
    """The server's answer with several IAs; with a status and no IAs,
    only the identifiers and the status (no DNS options)."""
    msg = bytes([msgtype]) + xid.to_bytes(3, "big")
    msg += d6opt(2, DUID_GW) + d6opt(1, DUID_GUEST)
    if status is not None:
        msg += d6opt(13, struct.pack("!H", status))
    msg += b"".join(ias)
    if status is None:
        msg += d6opt(23, DNS6) + d6opt(24, dns_names(names))
    return eth(GUEST_MAC, GW_MAC, 0x86DD,
               udp6(GW_LL, GUEST_LL, 547, 546, msg))


def write_pcap(path, frames):
    """frames: list of (seconds, frame bytes)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for t, frame in frames:
            sec, usec = int(t), int(round((t - int(t)) * 1e6))
            f.write(struct.pack("<IIII", 1700000000 + sec, usec, len(frame),
                                len(frame)))
            f.write(frame)


def main(out):
    os.makedirs(out, exist_ok=True)
    p = lambda name: os.path.join(out, name)

    # ARP: the guest asks for the gateway and the DNS address.
    write_pcap(p("arp.pcap"), [
        (0, eth(BCAST, GUEST_MAC, 0x0806, arp(1, GUEST_MAC, GUEST, b"\0" * 6, GW))),
        (0.5, eth(BCAST, GUEST_MAC, 0x0806, arp(1, GUEST_MAC, GUEST, b"\0" * 6, DNS))),
        (1, eth(BCAST, GUEST_MAC, 0x0806,
                arp(1, GUEST_MAC, GUEST, b"\0" * 6, bytes([10, 0, 2, 99])))),
    ])
    write_pcap(p("arp-expect.pcap"), [
        (0, eth(GUEST_MAC, GW_MAC, 0x0806, arp(2, GW_MAC, GW, GUEST_MAC, GUEST))),
        (0, eth(GUEST_MAC, GW_MAC, 0x0806, arp(2, GW_MAC, DNS, GUEST_MAC, GUEST))),
    ])

    # ICMP: three pings to the gateway, one second apart.
    data = bytes(range(56))
    write_pcap(p("icmp.pcap"), [
        (i, eth(GW_MAC, GUEST_MAC, 0x0800,
                ipv4(GUEST, GW, 1, icmp_echo(8, 0x4242, i + 1, data), 100 + i)))
        for i in range(3)])
    write_pcap(p("icmp-expect.pcap"), [
        (i, eth(GUEST_MAC, GW_MAC, 0x0800,
                ipv4(GW, GUEST, 1, icmp_echo(0, 0x4242, i + 1, data), 0)))
        for i in range(3)])

    # IP fragments: a 3000-byte ping to the gateway in three fragments, the
    # last one first; at MTU 1500 the answer comes back in fragments too.
    big = bytes(i % 251 for i in range(3000))
    frags = fragments(GUEST, GW, 1, icmp_echo(8, 0x77, 1, big), 1480, 555)
    write_pcap(p("fragments.pcap"), [
        (0, eth(GW_MAC, GUEST_MAC, 0x0800, f))
        for f in [frags[2], frags[0], frags[1]]])
    write_pcap(p("fragments-expect.pcap"), [
        (0, eth(GUEST_MAC, GW_MAC, 0x0800, f))
        for f in fragments(GW, GUEST, 1, icmp_echo(0, 0x77, 1, big), 1480, 0)])

    # Two of the three fragments of another ping: never answered.
    write_pcap(p("fragments-partial.pcap"), [
        (0, eth(GW_MAC, GUEST_MAC, 0x0800, f))
        for f in fragments(GUEST, GW, 1, icmp_echo(8, 0x78, 1, big), 1480,
                           556)[:2]])

    # IPv6 fragments: a ping with 3000 bytes of data to the gateway in
    # fragments of 1232 bytes (the minimum MTU's share), the last first.
    e6 = lambda f: (0, eth(GW_MAC, GUEST_MAC, 0x86DD, f))
    echo = icmp6_echo(GUEST6, GW6, 128, 0x66, 1, big)
    f6 = fragments6(GUEST6, GW6, 58, echo, 1232, 0x6001)
    write_pcap(p("fragments6.pcap"), [e6(f) for f in [f6[2], f6[0], f6[1]]])
    # An overlapping fragment (bytes 1224..1287 of the message, other
    # bytes) between the first and the rest of another ping: RFC 5722
    # section 4, the whole datagram is discarded, the fragments that come
    # after it too.
    echo = icmp6_echo(GUEST6, GW6, 128, 0x67, 1, big[:2000])
    f6 = fragments6(GUEST6, GW6, 58, echo, 1232, 0x6002)
    bad = frag6(GUEST6, GW6, 58, b"\xee" * 64, 1224, True, 0x6002)
    write_pcap(p("fragments6-overlap.pcap"), [e6(f) for f in [f6[0], bad, f6[1]]])
    # The same datagram's two clean fragments again: still discarded while
    # its reassembly lasts (60 s, RFC 8200 4.5), reassembled after that.
    write_pcap(p("fragments6-retry.pcap"), [e6(f) for f in f6])
    # An exact duplicate of a fragment is dropped alone (RFC 5722 section
    # 4 allows it): the datagram is still reassembled.
    echo = icmp6_echo(GUEST6, GW6, 128, 0x69, 1, big[:2000])
    f6 = fragments6(GUEST6, GW6, 58, echo, 1232, 0x6004)
    write_pcap(p("fragments6-dup.pcap"), [e6(f) for f in [f6[0], f6[0], f6[1]]])
    # A fragment past the end the last fragment set (offset 2008, the
    # message being 2008 bytes): the datagram is discarded too.
    echo = icmp6_echo(GUEST6, GW6, 128, 0x6A, 1, big[:2000])
    f6 = fragments6(GUEST6, GW6, 58, echo, 1232, 0x6005)
    past = frag6(GUEST6, GW6, 58, b"\xee" * 8, 2008, True, 0x6005)
    write_pcap(p("fragments6-end.pcap"), [e6(f) for f in [f6[1], past, f6[0]]])
    # Too many fragments: a 2408-byte message in 301 fragments of 8 bytes,
    # more than lwIP queues for reassembly (256): never reassembled.
    echo = icmp6_echo(GUEST6, GW6, 128, 0x68, 1, big[:2400])
    write_pcap(p("fragments6-many.pcap"),
               [e6(f) for f in fragments6(GUEST6, GW6, 58, echo, 8, 0x6003)])

    # DHCP: DISCOVER, then REQUEST for the first address from the gateway.
    write_pcap(p("dhcp.pcap"), [
        (0, dhcp(1, 0x0C0FFEE0)),
        (0.2, dhcp(3, 0x0C0FFEE0, GUEST, GW)),
    ])

    # TFTP: a read request for hello.txt, octet mode, from port 1069.
    rrq = struct.pack("!H", 1) + b"hello.txt\0octet\0"
    write_pcap(p("tftp.pcap"), [
        (0, eth(GW_MAC, GUEST_MAC, 0x0800,
                ipv4(GUEST, GW, 17, udp(GUEST, GW, 1069, 69, rrq), 7))),
    ])
    # IPv6 neighbour discovery: the guest asks for the gateway's three
    # addresses; each answer has the Router flag. A duplicate address probe
    # (from ::) for fec0::2 is defended to all nodes; one for the guest's
    # own tentative address is never answered.
    tentative = bytes.fromhex("fec00000000000005054") + bytes.fromhex("00fffe123456")
    write_pcap(p("nd.pcap"), [
        (0, eth(group_mac(solicited(GW6)), GUEST_MAC, 0x86DD,
                ns(GUEST_LL, solicited(GW6), GW6))),
        (0, eth(group_mac(solicited(DNS6)), GUEST_MAC, 0x86DD,
                ns(GUEST_LL, solicited(DNS6), DNS6))),
        (0, eth(GW_MAC, GUEST_MAC, 0x86DD, ns(GUEST_LL, GW_LL, GW_LL))),
        (0, eth(group_mac(solicited(GW6)), GUEST_MAC, 0x86DD,
                ns(UNSPEC, solicited(GW6), GW6, sll=False))),
        (0, eth(group_mac(solicited(tentative)), GUEST_MAC, 0x86DD,
                ns(UNSPEC, solicited(tentative), tentative, sll=False))),
    ])
    write_pcap(p("nd-expect.pcap"), [
        (0, eth(GUEST_MAC, GW_MAC, 0x86DD, na(GUEST_LL, GW6, 0xE0))),
        (0, eth(GUEST_MAC, GW_MAC, 0x86DD, na(GUEST_LL, DNS6, 0xE0))),
        (0, eth(GUEST_MAC, GW_MAC, 0x86DD, na(GUEST_LL, GW_LL, 0xE0))),
        (0, eth(group_mac(ALL_NODES), GW_MAC, 0x86DD,
                na(ALL_NODES, GW6, 0xA0))),
    ])

    # A router solicitation and the advertisement it gets, all options.
    rs = icmp6(GUEST_LL, ALL_ROUTERS, 133, 0, bytes(4) + nd_opt(1, GUEST_MAC))
    write_pcap(p("ra.pcap"), [
        (0, eth(group_mac(ALL_ROUTERS), GUEST_MAC, 0x86DD, rs))])
    write_pcap(p("ra-expect.pcap"), [
        (0, eth(group_mac(ALL_NODES), GW_MAC, 0x86DD,
                ra(1500, ["example.com", "test.local"]))),
        (0, eth(group_mac(ALL_NODES), GW_MAC, 0x86DD,
                ra(1500, ["example.com", "test.local"], 0xC0))),
    ])

    # ICMPv6 echo to the gateway's address, answered by it.
    data6 = bytes(range(56))
    write_pcap(p("icmp6.pcap"), [
        (0, eth(GW_MAC, GUEST_MAC, 0x86DD,
                icmp6(GUEST_LL, GW6, 128, 0,
                      struct.pack("!HH", 0x4243, 1) + data6, 64)))])
    write_pcap(p("icmp6-expect.pcap"), [
        (0, eth(GUEST_MAC, GW_MAC, 0x86DD,
                icmp6(GW6, GUEST_LL, 129, 0,
                      struct.pack("!HH", 0x4243, 1) + data6, 255)))])

    # DHCPv6, stateless: an Information-request gets DNS and the domains.
    names = ["example.com", "test.local"]
    write_pcap(p("dhcp6.pcap"), [(0, dhcp6_client(11, 0x123456))])
    write_pcap(p("dhcp6-expect.pcap"), [
        (0, dhcp6_server(7, 0x123456, names))])
    # Stateful: Solicit, Advertise of fec0::100, Request, Reply.
    lease6 = bytes.fromhex("fec0") + bytes(12) + bytes.fromhex("0100")
    write_pcap(p("dhcp6-stateful.pcap"), [
        (0, dhcp6_client(1, 0x000001, ia=7)),
        (0.1, dhcp6_client(3, 0x000002, server=True, ia=7, addr=lease6)),
    ])
    write_pcap(p("dhcp6-stateful-expect.pcap"), [
        (0, dhcp6_server(2, 0x000001, names, ia=7, addr=lease6)),
        (0, dhcp6_server(7, 0x000002, names, ia=7, addr=lease6)),
    ])

    # Stateful with several IAs (RFC 8415 18.3): each IA_NA its own
    # address, IA_PD NoPrefixAvail (6), IA_TA NoAddrsAvail (2); at most 4
    # addresses per client, so the third new IA_NA of a later Solicit gets
    # NoAddrsAvail; Release of one; Renew of a released IA: NoBinding (3).
    lease = lambda n: bytes.fromhex("fec0") + bytes(12) + bytes([1, n])
    life = (43200, 69120)
    ia_na = lambda iaid, n=None: ia_opt(3, iaid, lease(n) if n is not None else None)
    na_lease = lambda iaid, n: ia_opt(3, iaid, lease(n), lifetimes=life)
    write_pcap(p("dhcp6-ias.pcap"), [
        (0, dhcp6_ias_client(1, 0x10, [ia_na(7), ia_na(8), ia_opt(25, 9),
                                       ia_opt(4, 10)], server=False)),
        (0.1, dhcp6_ias_client(3, 0x11, [ia_na(7, 0), ia_na(8, 1),
                                         ia_opt(25, 9)])),
        (0.2, dhcp6_ias_client(5, 0x12, [ia_na(7, 0), ia_na(8, 1)])),
        (0.3, dhcp6_ias_client(1, 0x13, [ia_na(11), ia_na(12), ia_na(13)],
                               server=False)),
        (0.4, dhcp6_ias_client(8, 0x14, [ia_na(8, 1)])),
        (0.5, dhcp6_ias_client(5, 0x15, [ia_na(7, 0), ia_na(8, 1)])),
        (0.6, dhcp6_ias_client(6, 0x16, [ia_na(8, 1)], server=False)),
    ])
    write_pcap(p("dhcp6-ias-expect.pcap"), [
        (0, dhcp6_ias_server(2, 0x10, names, [
            na_lease(7, 0), na_lease(8, 1), ia_opt(25, 9, status=6),
            ia_opt(4, 10, status=2)])),
        (0, dhcp6_ias_server(7, 0x11, names, [
            na_lease(7, 0), na_lease(8, 1), ia_opt(25, 9, status=6)])),
        (0, dhcp6_ias_server(7, 0x12, names, [na_lease(7, 0),
                                              na_lease(8, 1)])),
        (0, dhcp6_ias_server(2, 0x13, names, [
            na_lease(11, 2), na_lease(12, 3), ia_opt(3, 13, status=2)])),
        (0, dhcp6_ias_server(7, 0x14, names, [], status=0)),
        (0, dhcp6_ias_server(7, 0x15, names, [na_lease(7, 0),
                                              ia_opt(3, 8, status=3)])),
    ])

    # The file it asks for: 1300 bytes, three blocks of 512 or less.
    os.makedirs(p("tftp"), exist_ok=True)
    with open(p("tftp/hello.txt"), "wb") as f:
        f.write(bytes(ord("a") + i % 26 for i in range(1300)))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(
        os.path.abspath(__file__)))
