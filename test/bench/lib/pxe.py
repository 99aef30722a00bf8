#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# pxe.py - the two readers of test/bench/pxe.sh.
#
#   pxe.py console EVENTS LOG   reads a VM's serial console on stdin until
#                               EOF, copies it to LOG, and writes to EVENTS
#                               one line "NAME SECONDS" the first time each
#                               milestone below shows up (seconds on the
#                               monotonic clock since this reader started)
#   pxe.py pcap FILE            reads a capture (QEMU's filter-dump) and
#                               prints "KEY=VALUE" pairs: the DHCP, IPv6 and
#                               TFTP events of an iPXE boot, in seconds
#                               after the first DHCPDISCOVER
#
# Both read hostile bytes (a guest's console, a guest's frames): every
# length is checked, and the console reader keeps only a short tail in
# memory.
import os
import re
import struct
import sys
import time

# iPXE 1.0.0 (Debian's ipxe-qemu) and Linux print these on the serial
# console. iPXE prints some text twice, interleaved ("PPrroobbiinngg"),
# once itself and once through the BIOS console, hence the '+'.
MILESTONES = [
    ("dhcp", rb"Configuring \("),                       # ifconf starts: DHCP
    ("config", rb"Configuring \([^)]*\)[. ]*ok"),       # DHCP (+ waits) done
    ("script", rb"boot\.ipxe : \d+ bytes"),             # boot file fetched
    # A download prints "URI... ", maybe a percentage (backspaced), "ok".
    ("kernel", rb"/vmlinuz\.\.\.[^\r\n]*ok"),           # kernel fetched
    ("initrd", rb"/initrd\.gz\.\.\.[^\r\n]*ok"),        # initramfs fetched
    ("boot", rb"P+r+o+b+i+n+g+ +E+D+D+"),               # iPXE starts the bzImage
    ("linux", rb"Linux version"),                       # the kernel's first line
    ("off", rb"reboot: Power down"),                    # /bin/poweroff -f ran
    # The boot failed: SeaBIOS found no ROM to boot, or iPXE gave up.
    ("fail", rb"No bootable device|No more network devices"),
]
TAIL = 512  # bytes kept between reads; longer than any match


def console(events_path, log_path):
    t0 = time.monotonic()
    todo = [(n, re.compile(p)) for n, p in MILESTONES]
    tail = b""
    with open(log_path, "wb") as log, open(events_path, "w") as ev:
        while True:
            try:
                chunk = os.read(0, 65536)
            except InterruptedError:
                continue
            if not chunk:
                break
            t = time.monotonic() - t0
            log.write(chunk)
            buf = tail + chunk
            left = []
            for name, rx in todo:
                if rx.search(buf):
                    ev.write("%s %.3f\n" % (name, t))
                    ev.flush()
                else:
                    left.append((name, rx))
            todo = left
            tail = buf[-TAIL:]


def frames(path):
    """(seconds, bytes) of every frame of a classic pcap file."""
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return
    for endian in "<>":
        (magic,) = struct.unpack(endian + "I", data[:4])
        if magic == 0xA1B2C3D4:
            div = 1e6
            break
        if magic == 0xA1B23C4D:
            div = 1e9
            break
    else:
        return
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        if incl > len(data) - off:
            return
        yield sec + frac / div, data[off:off + incl]
        off += incl


DHCP_TYPES = {1: "discover", 2: "offer", 3: "request", 5: "ack", 6: "nak"}


def dhcp_options(payload):
    """DHCP options of a BOOTP payload, as {code: bytes} (first of each)."""
    opts = {}
    if len(payload) < 240 or payload[236:240] != b"\x63\x82\x53\x63":
        return opts
    i = 240
    while i < len(payload):
        code = payload[i]
        if code == 255:
            break
        if code == 0:
            i += 1
            continue
        if i + 1 >= len(payload):
            break
        ln = payload[i + 1]
        opts.setdefault(code, payload[i + 2:i + 2 + ln])
        i += 2 + ln
    return opts


def pcap(path):
    ev = {}      # name -> first time
    count = {}   # name -> how many
    last = {}    # name -> last time
    client_ports = set()  # of the RRQs: TFTP DATA goes to them

    def seen(name, t):
        ev.setdefault(name, t)
        last[name] = t
        count[name] = count.get(name, 0) + 1

    for t, fr in frames(path):
        if len(fr) < 14:
            continue
        (etype,) = struct.unpack("!H", fr[12:14])
        p = fr[14:]
        if etype == 0x86DD and len(p) >= 41:
            if p[6] == 58:  # ICMPv6 with no extension header
                typ = p[40]
                if typ == 133:
                    seen("rs", t)
                elif typ == 134:
                    seen("ra", t)
            continue
        if etype != 0x0800 or len(p) < 20 or p[9] != 17:
            continue
        ihl = (p[0] & 15) * 4
        if ihl < 20 or len(p) < ihl + 8:
            continue
        sport, dport = struct.unpack("!HH", p[ihl:ihl + 4])
        u = p[ihl + 8:]
        if {sport, dport} == {67, 68}:
            o = dhcp_options(u)
            typ = DHCP_TYPES.get(o.get(53, b"\0")[0])
            if typ:
                seen(typ, t)
                if typ == "offer" and "offer_opt175" not in ev:
                    ev["offer_opt175"] = 1 if 175 in o else 0
        elif dport == 69 and len(u) >= 4 and u[:2] == b"\0\1":
            name = u[2:].split(b"\0", 1)[0].decode("ascii", "replace")
            base = name.rsplit("/", 1)[-1]
            for key, want in (("rrq_script", ".ipxe"), ("rrq_kernel", "vmlinuz"),
                              ("rrq_initrd", "initrd")):
                if want in base:
                    seen(key, t)
                    break
            client_ports.add(sport)
        elif dport in client_ports and len(u) >= 2 and u[:2] == b"\0\3":
            seen("tftp_data", t)

    t0 = ev.get("discover")
    if t0 is None:
        print("error=no DHCPDISCOVER in the capture")
        return
    out = []
    for k in ("offer", "request", "ack", "rs", "ra", "rrq_script",
              "rrq_kernel", "rrq_initrd"):
        if k in ev:
            out.append("%s=%.3f" % (k, ev[k] - t0))
    if "rs" in last:
        out.append("rs_last=%.3f" % (last["rs"] - t0))
    if "tftp_data" in last:
        out.append("tftp_last=%.3f" % (last["tftp_data"] - t0))
    for k in ("discover", "rs", "ra", "tftp_data"):
        out.append("n_%s=%d" % (k, count.get(k, 0)))
    if "offer_opt175" in ev:
        out.append("offer_opt175=%d" % ev["offer_opt175"])
    print(" ".join(out))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "console":
        console(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "pcap":
        pcap(sys.argv[2])
    else:
        sys.exit("usage: pxe.py console EVENTS LOG | pxe.py pcap FILE")


if __name__ == "__main__":
    main()
