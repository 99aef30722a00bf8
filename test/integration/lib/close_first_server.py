#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A TCP server on 127.0.0.1:PORT (argv[1]) for the connection tests
(proxy_crr.sh, proxy_port_reuse.sh): it answers one byte with "y" and
closes first, so the host side of every connection ends in TIME_WAIT."""
import socket
import sys

s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(512)
while True:
    c, _ = s.accept()
    c.settimeout(5)
    try:
        if c.recv(1):
            c.sendall(b"y")
    except OSError:
        pass
    c.close()  # the server closes first
