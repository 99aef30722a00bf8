#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Hostile guest traffic for test/integration/floods.sh: one flood per
invocation, run inside the guest namespace. Python's standard library only
(no scapy, which tools/setup.sh does not install): packets are built here
and sent on a packet socket (AF_PACKET, SOCK_DGRAM) straight to the
gateway's MAC, past the guest kernel's routing and source checks, so any
source address can be written, 0.0.0.0 included (a raw IP socket would fill
that one in).

Every flood is bounded in count and time and prints one line on stdout,
"sent N ..." with what it did; errors go to stderr with exit status 1.

  ooo IF GWMAC HOST PORT CONNS SEGS SIZES HOLD [RATE]
      CONNS real connections (the guest kernel's) to HOST:PORT; on each,
      SEGS segments above a 1-byte hole that is never filled, each a byte
      past the one before (seq = next + 1 + i (size + 1)), so every one is
      out of order and none touches another. SIZES is a comma list of
      segment sizes taken in turn by the connections (e.g. 1,1000). The
      connections stay open HOLD seconds after the last segment. RATE:
      segments a second (default 12500).
  syn IF GWMAC SRC COUNT SECS DST:PORTLO-PORTHI...
      COUNT SYNs from SRC (random source ports), paced over SECS seconds,
      in turn to each DST:PORTLO-PORTHI, whose addresses (DST may be
      A.B.C.X-Y for a range) and ports it walks through.
  udp IF GWMAC SRC DST DPORT PORTLO PORTHI SECS
      one 16-byte datagram from each source port PORTLO..PORTHI of SRC to
      DST:DPORT, paced over SECS seconds.
  frag IF GWMAC SRC DST COUNT SECS
      COUNT fragments of datagrams that never complete, paced over SECS:
      first fragments (MF, 1400 bytes) with new ids, middle fragments
      without a first, and last fragments of 64 KiB datagrams.
  spoof IF GWMAC DST TPORT UPORT REPEAT SECS SRC...
      from each SRC, REPEAT TCP SYNs to DST:TPORT and REPEAT UDP
      datagrams to DST:UPORT (new source port each time), paced over SECS.
  dns SERVER COUNT SECS
      COUNT well-formed A queries (new id each) from one UDP socket,
      paced over SECS; counts the answers and their rcodes.
  hold HOST PORT CONNS SECS [MBPS [STOPFILE]]
      CONNS real connections to HOST:PORT (a peer that accepts and never
      reads); on each, as much data as the connection takes in SECS
      seconds (non-blocking writes until nothing more goes; at most MBPS
      megabytes a second in all, when given, 0 for no limit), then the
      connections are closed from the guest. With STOPFILE it goes on past
      SECS until that file exists (60 s at most), so a slow check made
      during the flood can't outlast it. Prints the bytes sent.
  tftp SRC SERVER COUNT TIMEOUT [HOLD]
      COUNT read requests for "small.txt" with option timeout=TIMEOUT,
      each from a new socket bound to SRC; reads the first answer (OACK or
      ERROR) and closes the socket without acknowledging anything: a
      client that vanished. Prints the answers and the timeouts granted,
      then waits HOLD seconds (default 0).
"""
import array
import os
import random
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
PACKET_OUTGOING = 4
TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK = 0x02, 0x04, 0x08, 0x10


def die(msg):
    sys.stderr.write("flood: %s\n" % msg)
    sys.exit(1)


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(array.array("H", data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    # Summed in host order, so the result is in host order: pack it "H".
    return ~s & 0xFFFF


def ip4(src, dst, proto, payload, ident=0, frag=0x4000, length=None):
    """An IPv4 header (no options) before payload; frag is the 16-bit
    flags+offset field (DF by default); length overrides total length."""
    tot = 20 + len(payload) if length is None else length
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tot, ident & 0xFFFF, frag, 64,
                    proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack("H", csum(h)) + h[12:] + payload


def tcp4(src, dst, sport, dport, seq, ack, flags, payload=b"", win=65535):
    h = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF,
                    ack & 0xFFFFFFFF, 5 << 4, flags, win, 0, 0)
    pseudo = struct.pack("!4s4sBBH", socket.inet_aton(src),
                         socket.inet_aton(dst), 0, 6, len(h) + len(payload))
    c = csum(pseudo + h + payload)
    seg = h[:16] + struct.pack("H", c) + h[18:] + payload
    return ip4(src, dst, 6, seg, ident=random.getrandbits(16))


def udp4(src, dst, sport, dport, payload):
    n = 8 + len(payload)
    h = struct.pack("!HHHH", sport, dport, n, 0)
    pseudo = struct.pack("!4s4sBBH", socket.inet_aton(src),
                         socket.inet_aton(dst), 0, 17, n)
    c = csum(pseudo + h + payload) or 0xFFFF
    return ip4(src, dst, 17, h[:6] + struct.pack("H", c) + payload,
               ident=random.getrandbits(16))


class Link:
    """Sends IPv4 packets to the gateway's MAC on interface IF."""

    def __init__(self, ifname, gwmac):
        self.ifname = ifname
        self.mac = bytes.fromhex(gwmac.replace(":", ""))
        self.s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM,
                               socket.htons(ETH_P_IP))
        self.s.bind((ifname, ETH_P_IP))
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        self.sent = 0

    def send(self, pkt):
        try:
            self.s.sendto(pkt, (self.ifname, ETH_P_IP, 0, 0, self.mac))
            self.sent += 1
        except (BlockingIOError, OSError):
            # A full tap queue: the packet is lost, as on a real link.
            time.sleep(0.001)


class Pacer:
    """Spreads COUNT sends over SECS seconds, in bursts of 100."""

    def __init__(self, count, secs):
        self.t0 = time.monotonic()
        self.rate = count / max(secs, 0.001)
        self.n = 0

    def tick(self):
        self.n += 1
        if self.n % 100 == 0:
            ahead = self.n / self.rate - (time.monotonic() - self.t0)
            if ahead > 0:
                time.sleep(ahead)


def parse_dest(spec):
    """DST:LO-HI or A.B.C.X-Y:LO-HI into ([addr...], [port...])."""
    addr, ports = spec.rsplit(":", 1)
    lo, hi = (int(x) for x in ports.split("-")) if "-" in ports \
        else (int(ports), int(ports))
    head, last = addr.rsplit(".", 1)
    a, b = (int(x) for x in last.split("-")) if "-" in last \
        else (int(last), int(last))
    return (["%s.%d" % (head, x) for x in range(a, b + 1)],
            list(range(lo, hi + 1)))


def flood_ooo(ifname, gwmac, host, port, conns, segs, sizes, hold, rate):
    link = Link(ifname, gwmac)
    # ETH_P_ALL: a socket bound to one protocol never sees outgoing frames.
    sniff = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM,
                          socket.htons(ETH_P_ALL))
    sniff.bind((ifname, ETH_P_ALL))
    sniff.settimeout(5)
    socks, flows = [], []
    for _ in range(conns):
        s = socket.create_connection((host, int(port)), timeout=10)
        socks.append(s)
        lport = s.getsockname()[1]
        # The guest kernel's last handshake ACK: its seq is the next byte
        # it will send, its ack the server's next byte.
        end = time.monotonic() + 5
        while True:
            if time.monotonic() > end:
                die("ooo: no outgoing segment seen for port %d" % lport)
            pkt, addr = sniff.recvfrom(65535)
            if addr[1] != ETH_P_IP or addr[2] != PACKET_OUTGOING or \
                    len(pkt) < 40 or pkt[9] != 6:
                continue
            ihl = (pkt[0] & 15) * 4
            sp, dp, seq, ack = struct.unpack("!HHII", pkt[ihl:ihl + 12])
            if sp == lport and pkt[ihl + 13] & TCP_ACK:
                src = socket.inet_ntoa(pkt[12:16])
                dst = socket.inet_ntoa(pkt[16:20])
                flows.append((src, dst, sp, dp, seq, ack))
                break
    sniff.close()
    pacer = Pacer(conns * segs, max(conns * segs / rate, 0.1))
    for i in range(segs):
        for k, (src, dst, sp, dp, seq, ack) in enumerate(flows):
            size = sizes[k % len(sizes)]
            link.send(tcp4(src, dst, sp, dp, seq + 1 + i * (size + 1), ack,
                           TCP_ACK | TCP_PSH, b"x" * size, win=512))
            pacer.tick()
    print("sent %d out-of-order segments on %d connections" %
          (link.sent, conns))
    sys.stdout.flush()
    time.sleep(hold)
    for s in socks:
        s.close()


def flood_syn(ifname, gwmac, src, count, secs, specs):
    link = Link(ifname, gwmac)
    dests = [parse_dest(s) for s in specs]
    pacer = Pacer(count, secs)
    rnd = random.Random(13)
    for i in range(count):
        addrs, ports = dests[i % len(dests)]
        k = i // len(dests)
        link.send(tcp4(src, addrs[k % len(addrs)], rnd.randrange(1024, 65536),
                       ports[k % len(ports)], rnd.getrandbits(32), 0, TCP_SYN))
        pacer.tick()
    print("sent %d SYNs to %d addresses" %
          (link.sent, sum(len(a) for a, _ in dests)))


def flood_udp(ifname, gwmac, src, dst, dport, lo, hi, secs):
    link = Link(ifname, gwmac)
    pacer = Pacer(hi - lo + 1, secs)
    for sport in range(lo, hi + 1):
        link.send(udp4(src, dst, sport, dport, b"flood-%09d" % sport))
        pacer.tick()
    print("sent %d datagrams from %d source ports" % (link.sent, hi - lo + 1))


def flood_frag(ifname, gwmac, src, dst, count, secs):
    link = Link(ifname, gwmac)
    pacer = Pacer(count, secs)
    body = bytes(1400)
    for i in range(count):
        ident = i & 0xFFFF
        kind = i % 3
        if kind == 0:
            # A first fragment (offset 0, MF) of a UDP datagram.
            pkt = ip4(src, dst, 17, body, ident=ident, frag=0x2000)
        elif kind == 1:
            # A middle fragment (offset 1400 * k, MF) with no first.
            off = (1400 * (1 + i % 40)) // 8
            pkt = ip4(src, dst, 17, body, ident=ident, frag=0x2000 | off)
        else:
            # The last fragment of a 64 KiB datagram (offset near 64 KiB).
            pkt = ip4(src, dst, 6, body[:64], ident=ident,
                      frag=(65400 // 8))
        link.send(pkt)
        pacer.tick()
    print("sent %d fragments" % link.sent)


def flood_spoof(ifname, gwmac, dst, tport, uport, repeat, secs, srcs):
    link = Link(ifname, gwmac)
    rnd = random.Random(4)
    t0 = time.monotonic()
    for i in range(repeat):
        for src in srcs:
            link.send(tcp4(src, dst, rnd.randrange(1024, 65536), tport,
                           rnd.getrandbits(32), 0, TCP_SYN))
            link.send(udp4(src, dst, rnd.randrange(1024, 65536), uport,
                           b"spoofed from " + src.encode()))
        ahead = (i + 1) * secs / repeat - (time.monotonic() - t0)
        if ahead > 0:
            time.sleep(ahead)
    print("sent %d packets from %s" % (link.sent, " ".join(srcs)))


def dns_query(qid, name):
    q = struct.pack("!HHHHHH", qid, 0x0100, 1, 0, 0, 0)
    for label in name.split("."):
        q += bytes([len(label)]) + label.encode()
    return q + b"\0" + struct.pack("!HH", 1, 1)


def flood_dns(server, count, secs):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.setblocking(False)
    pacer = Pacer(count, secs)
    rcodes = {}

    def drain():
        while True:
            try:
                r = s.recv(4096)
            except BlockingIOError:
                return
            if len(r) >= 4:
                rc = r[3] & 15
                rcodes[rc] = rcodes.get(rc, 0) + 1

    for i in range(count):
        try:
            s.sendto(dns_query(i & 0xFFFF, "q%d.flood.example" % i),
                     (server, 53))
        except BlockingIOError:
            pass
        pacer.tick()
        if i % 100 == 0:
            drain()
    end = time.monotonic() + 3
    while time.monotonic() < end:
        drain()
        time.sleep(0.05)
    print("sent %d queries; answers %d (%s)" % (
        count, sum(rcodes.values()),
        " ".join("rcode%d=%d" % kv for kv in sorted(rcodes.items()))))


def flood_tftp(src, server, count, timeout, hold):
    answers = []
    for i in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((src, 0))
        s.settimeout(2)
        s.sendto(b"\0\1small.txt\0octet\0timeout\0%d\0" % timeout,
                 (server, 69))
        try:
            r, _ = s.recvfrom(1024)
        except socket.timeout:
            answers.append("none")
            s.close()
            continue
        op = struct.unpack("!H", r[:2])[0]
        if op == 6:
            opts = r[2:].split(b"\0")
            d = dict(zip(opts[0::2], opts[1::2]))
            answers.append("oack:timeout=%s" %
                           d.get(b"timeout", b"?").decode())
        elif op == 5:
            answers.append("error:%s" % r[4:].split(b"\0")[0].decode())
        else:
            answers.append("op%d" % op)
        s.close()
    print("sent %d requests; %s" % (count, " ".join(answers)))
    sys.stdout.flush()
    time.sleep(hold)


def flood_hold(host, port, conns, secs, mbps, stopfile=None):
    socks = []
    for i in range(conns):
        s = socket.create_connection((host, port), timeout=10)
        s.setblocking(False)
        socks.append(s)
    chunk = b"h" * 65536
    total = 0
    start = time.monotonic()
    end = start + secs
    if mbps > 0:
        chunk = b"h" * 8192  # paced: small writes, no bursts

    def going():
        t = time.monotonic()
        if t < end:
            return True
        return (stopfile is not None and t < start + 60 and
                not os.path.exists(stopfile))

    while going():
        moved = 0
        for s in socks:
            if mbps > 0 and total > mbps * 1e6 * (time.monotonic() - start):
                time.sleep(0.002)
                continue
            try:
                n = s.send(chunk)
            except BlockingIOError:
                continue
            total += n
            moved += n
        if moved == 0:
            time.sleep(0.05)
    print("sent 0 frames counted; %d bytes on %d connections" %
          (total, conns))
    sys.stdout.flush()
    for s in socks:
        s.close()


def main(argv):
    if len(argv) < 2:
        die("usage: see the top of flood.py")
    cmd, a = argv[1], argv[2:]
    try:
        if cmd == "ooo":
            flood_ooo(a[0], a[1], a[2], int(a[3]), int(a[4]), int(a[5]),
                      [int(x) for x in a[6].split(",")], float(a[7]),
                      float(a[8]) if len(a) > 8 else 12500.0)
        elif cmd == "syn":
            flood_syn(a[0], a[1], a[2], int(a[3]), float(a[4]), a[5:])
        elif cmd == "udp":
            flood_udp(a[0], a[1], a[2], a[3], int(a[4]), int(a[5]),
                      int(a[6]), float(a[7]))
        elif cmd == "frag":
            flood_frag(a[0], a[1], a[2], a[3], int(a[4]), float(a[5]))
        elif cmd == "spoof":
            flood_spoof(a[0], a[1], a[2], int(a[3]), int(a[4]), int(a[5]),
                        float(a[6]), a[7:])
        elif cmd == "dns":
            flood_dns(a[0], int(a[1]), float(a[2]))
        elif cmd == "hold":
            flood_hold(a[0], int(a[1]), int(a[2]), float(a[3]),
                       float(a[4]) if len(a) > 4 else 0,
                       a[5] if len(a) > 5 else None)
        elif cmd == "tftp":
            flood_tftp(a[0], a[1], int(a[2]), int(a[3]),
                       float(a[4]) if len(a) > 4 else 0)
        else:
            die("unknown flood %s" % cmd)
    except (IndexError, ValueError) as e:
        die("%s: bad arguments (%s)" % (cmd, e))
    except OSError as e:
        die("%s: %s" % (cmd, e))


if __name__ == "__main__":
    main(sys.argv)
