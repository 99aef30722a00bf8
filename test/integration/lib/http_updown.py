#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""An HTTP server for byte-exact transfers both ways, over IPv4 or IPv6.

  http_updown.py ADDR PORT FILE [--ready PATH]

GET /anything answers with FILE; PUT /anything reads the body (its
Content-Length) and answers "<bytes> <sha256>\\n" of what it read. Serves
until killed, one thread per connection; every socket read is bounded by a
60-second timeout, so a stuck client never hangs the test. --ready names a
file written once the server listens.
"""
import hashlib
import http.server
import os
import socket
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    timeout = 60

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        path = self.server.file
        self.send_response(200)
        self.send_header("Content-Length", str(os.path.getsize(path)))
        self.end_headers()
        with open(path, "rb") as f:
            while True:
                chunk = f.read(1 << 20)
                if not chunk:
                    break
                self.wfile.write(chunk)

    def do_PUT(self):
        left = int(self.headers.get("Content-Length", "0"))
        h, n = hashlib.sha256(), 0
        while left > 0:
            chunk = self.rfile.read(min(left, 1 << 20))
            if not chunk:
                break
            h.update(chunk)
            n += len(chunk)
            left -= len(chunk)
        body = ("%d %s\n" % (n, h.hexdigest())).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True


def main():
    args = sys.argv[1:]
    ready = None
    if "--ready" in args:
        i = args.index("--ready")
        ready = args[i + 1]
        del args[i:i + 2]
    addr, port, path = args
    Server.address_family = socket.AF_INET6 if ":" in addr else socket.AF_INET
    srv = Server((addr, int(port)), Handler)
    srv.file = path
    if ready:
        open(ready, "w").close()
    srv.serve_forever()


if __name__ == "__main__":
    main()
