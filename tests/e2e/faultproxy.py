#!/usr/bin/env python3
"""A module proxy with faults, for tests/e2e/upstream.sh.

  faultproxy.py DIR [CERT KEY [BASE]]
                      serves the GOPROXY tree DIR on 127.0.0.1 (a free
                      port, printed as "port N" on stdout), over TLS
                      with CERT and KEY when given, with a fault
                      chosen by a word in the module path:
    flaky   every file answers 500 on its first request, then the file
    slow429 every file answers 429 Retry-After: 1 first, then the file
    hang    the .zip request is never answered
    trunc   the .zip is cut short (Content-Length promises more)
    stall   half the .zip is sent, then nothing for 60 s
    garbage the .zip is HTML, not a zip
    redir   the .zip is a 302 to BASE/blob/PATH (BASE: this proxy);
            /blob/PATH serves PATH without a fault
    auth    every file answers 401 unless the request's Authorization
            header is one of the '|'-separated values of $FAULTPROXY_AUTH
  and logs every request to DIR/../hits as "USER-AGENT-NAME PATH" lines.
"""
import http.server
import os
import socketserver
import sys
import threading
import time
import urllib.parse

ROOT = sys.argv[1]
BASE = sys.argv[4] if len(sys.argv) > 4 else ""
AUTH = [a for a in os.environ.get("FAULTPROXY_AUTH", "").split("|") if a]
HITS = os.path.join(os.path.dirname(os.path.abspath(ROOT)), "hits")
seen = set()
lock = threading.Lock()


class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def send_body(self, code, body, extra=()):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        for k, v in extra:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        p = urllib.parse.unquote(self.path.split("?")[0])
        with lock:
            first = p not in seen
            seen.add(p)
            with open(HITS, "a") as f:
                f.write("%s %s\n" % (self.headers.get("User-Agent", "-").split("/")[0], p))
        blob = p.startswith("/blob/")
        if blob:
            p = p[len("/blob"):]
        fn = os.path.join(ROOT, p.lstrip("/"))
        if ".." in p or not os.path.isfile(fn):
            return self.send_body(404, b"not found\n")
        if "auth" in p and self.headers.get("Authorization") not in AUTH:
            return self.send_body(401, b"unauthorized\n",
                                  [("WWW-Authenticate", 'Basic realm="proxy"')])
        data = open(fn, "rb").read()
        if "flaky" in p and first:
            return self.send_body(500, b"internal error\n")
        if "slow429" in p and first:
            return self.send_body(429, b"slow down\n", [("Retry-After", "1")])
        if p.endswith(".zip") and not blob:
            if "redir" in p:
                return self.send_body(302, b"", [("Location", BASE + "/blob" + p)])
            if "hang" in p:
                time.sleep(60)
                return
            if "stall" in p:
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                time.sleep(60)
                return
            if "trunc" in p:
                self.send_response(200)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            if "garbage" in p:
                return self.send_body(200, b"<html>proxy error page</html>\n" * 20)
        self.send_body(200, data)


class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


srv = S(("127.0.0.1", 0), H)
if len(sys.argv) > 3:
    import ssl
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[2], sys.argv[3])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print("port %d" % srv.server_address[1], flush=True)
srv.serve_forever()
