#!/usr/bin/env python3
"""A loopback HTTP proxy in front of a checksum database for the verifier's
end-to-end tests (tests/e2e/sumdb_*.sh): one stable URL whose upstream can
be switched (a server restarted on another port, another log), injecting
faults read from the control file argv[1] before every request, one
directive a line:

  upstream URL        forward to URL (required)
  down                close the connection without answering
  fail N STATUS       answer the next N requests with STATUS (e.g. 503)
  garble-latest       truncate /latest bodies to half
  truncate-tiles      cut the last byte of every hash tile
  flip-tile PATH      flip one bit of the body of tile PATH
  xmod07-data         rewrite data tiles in the x/mod 0.7.0 form (an id
                      line before each record)
  forge M@V ID        lie about record ID (module M@V): a different h1 in
                      the lookup and a level-0 tile that agrees with it

Every request path is appended to argv[1] + ".log" (tests count them).
Prints "port N" on stdout once listening.  Test infrastructure only.
"""
import base64, hashlib, http.server, sys, threading, urllib.error, urllib.request

CONTROL = sys.argv[1]
lock = threading.Lock()
failed = {"n": 0, "key": None}
# never through an environment proxy
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def directives():
    d = {}
    try:
        with open(CONTROL) as f:
            for line in f:
                parts = line.split()
                if parts:
                    d[parts[0]] = parts[1:]
    except FileNotFoundError:
        pass
    return d


def forged(text):
    lines = text.split(b"\n")
    first = lines[0].split(b" ")
    first[2] = b"h1:" + base64.b64encode(b"\x42" * 32)
    lines[0] = b" ".join(first)
    return b"\n".join(lines)


def get(url):
    try:
        with opener.open(url, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def do_GET(self):
        with lock, open(CONTROL + ".log", "a") as f:
            f.write(self.path + "\n")
        d = directives()
        if "down" in d:
            self.close_connection = True
            self.connection.close()
            return
        if "fail" in d:
            n, status = int(d["fail"][0]), int(d["fail"][1])
            with lock:
                if failed["key"] != tuple(d["fail"]):
                    failed["key"], failed["n"] = tuple(d["fail"]), 0
                fail = failed["n"] < n
                failed["n"] += 1
            if fail:
                self.reply(status, b"injected failure\n", {"Retry-After": "0"})
                return
        up = d["upstream"][0].rstrip("/")
        try:
            status, body = get(up + self.path)
        except OSError:
            self.reply(502, b"upstream down\n")
            return
        p = self.path
        if status == 200:
            if "garble-latest" in d and p.endswith("/latest"):
                body = body[: len(body) // 2]
            if "truncate-tiles" in d and "/tile/" in p and "/data/" not in p:
                body = body[:-1]
            if "flip-tile" in d and p.endswith("/" + d["flip-tile"][0]):
                body = bytes([body[0] ^ 1]) + body[1:]
            if "xmod07-data" in d and "/tile/8/data/" in p:
                n = int(p.split("/tile/8/data/")[1].split(".p/")[0].replace("x", "").replace("/", ""))
                recs = body[:-1].split(b"\n\n")
                body = b"".join(b"%d\n%s\n" % (n * 256 + i, r) for i, r in enumerate(recs))
            if "forge" in d:
                mv, rid = d["forge"][0], int(d["forge"][1])
                if p.endswith("/lookup/" + mv):
                    idline, rest = body.split(b"\n", 1)
                    text, note = rest.split(b"\n\n", 1)
                    body = idline + b"\n" + forged(text + b"\n") + b"\n" + note
                if ("/tile/8/0/%03d" % (rid // 256)) in p:
                    # the forged record's hash where the real one was
                    rest = get(up + "/lookup/" + mv)[1].split(b"\n", 1)[1]
                    text = rest.split(b"\n\n", 1)[0] + b"\n"
                    h = hashlib.sha256(b"\x00" + forged(text)).digest()
                    k = rid % 256
                    if len(body) >= 32 * (k + 1):
                        body = body[: 32 * k] + h + body[32 * (k + 1):]
        self.reply(status, body)

    def reply(self, status, body, headers=None):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print("port %d" % srv.server_address[1], flush=True)
srv.serve_forever()
