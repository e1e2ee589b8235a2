#!/usr/bin/env python3
"""A loopback HTTP proxy in front of a checksum database for the verifier's
end-to-end tests (tests/e2e/sumdb_*.sh): one stable URL whose upstream can
be switched (a server restarted on another port, another log), injecting
faults read from the control file argv[1] before every request, one
directive a line:

  upstream URL        forward to URL (required)
  switch-on SUB URL   forward to URL instead from the first request whose
                      path contains SUB on (one run of a client meets two
                      logs)
  down                close the connection without answering
  fail N STATUS [SUB] answer the next N requests (whose path contains SUB,
                      when given) with STATUS (e.g. 503)
  drop N [SUB]        close the next N such connections without answering
  cut N [SUB]         send the headers and half of the body of the next N
                      such answers, then close (a connection lost mid-body)
  garble-latest       truncate /latest bodies to half
  truncate-tiles [N]  cut the last byte of every hash tile (the first N)
  flip-tile PATH [N]  flip one bit of the body of tile PATH, or of any
                      answer whose path ends so (the first N times)
  xmod07-data         rewrite data tiles in the x/mod 0.7.0 form (an id
                      line before each record)
  forge M@V ID        lie about record ID (module M@V): a different h1 in
                      the lookup and a level-0 tile that agrees with it
  garble-record SUB [N]
                      make the record of lookup answers whose path contains
                      SUB no go.sum record (its first hash "h1:garbled"),
                      the first N times: damage on the way, which the tree
                      does not hold
  hang SUB            hold every request whose path contains SUB, without
                      answering, for as long as this line stays (then
                      answer it as the other lines say)
  swap-lookup A B     answer lookups whose path contains A with the
                      lookup answer for the path with A replaced by B
                      (another module's record, genuinely in the tree)
  garble-lookup SUB   cut the last 20 bytes off lookup answers whose path
                      contains SUB (a note damaged on the way, which does
                      not parse)
  unsign SUB          replace the signatures of the note in lookup answers
                      whose path contains SUB by one of an unknown key
                      (what anyone between a client and the log can do)
  route SUB URL [SUB URL...]
                      forward requests whose path contains SUB to URL
                      (the first SUB that matches), whenever they come:
                      a log that shows some lookups another tree
  delay MS [SUB]      hold every request (whose path contains SUB, when
                      given) MS milliseconds before answering it

A counted fault (N), and switch-on, start over when their line changes
or is taken out.
Every request path is appended to argv[1] + ".log" (tests count them),
and for each /lookup/ request the number of /lookup/ requests being
answered when it came, itself included, to argv[1] + ".inflight" (so
the largest number says how many lookups a client had in flight at once).
Prints "port N" on stdout once listening.  Test infrastructure only.
"""
import base64, hashlib, http.server, socket, sys, threading, time, urllib.error, urllib.request

CONTROL = sys.argv[1]
lock = threading.Lock()
counters = {}  # directive -> [its arguments, matching requests seen]
lookups = [0]  # /lookup/ requests being answered
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


def counted(d, kw, limit):
    """Counts one more request matched by directive kw; true while there
    have been at most limit (None: no limit) since its line last changed."""
    with lock:
        c = counters.get(kw)
        if c is None or c[0] != tuple(d[kw]):
            c = counters[kw] = [tuple(d[kw]), 0]
        c[1] += 1
        return limit is None or c[1] <= limit


def switched(d, path):
    """Whether switch-on's URL replaces upstream for this request."""
    with lock:
        c = counters.get("switch-on")
        if c is None or c[0] != tuple(d["switch-on"]):
            c = counters["switch-on"] = [tuple(d["switch-on"]), 0]
        if d["switch-on"][0] in path:
            c[1] = 1
        return c[1] == 1


def matches(d, kw, i, path):
    """Whether path contains directive kw's argument i (any path when the
    argument is not given)."""
    return len(d[kw]) <= i or d[kw][i] in path


def forged(text):
    lines = text.split(b"\n")
    first = lines[0].split(b" ")
    first[2] = b"h1:" + base64.b64encode(b"\x42" * 32)
    lines[0] = b" ".join(first)
    return b"\n".join(lines)


def garbled(body):
    """body (a lookup answer) with its record's first hash not base64."""
    idline, rest = body.split(b"\n", 1)
    text, note = rest.split(b"\n\n", 1)
    first, others = text.split(b"\n", 1)
    f = first.split(b" ")
    f[2] = b"h1:garbled"
    return idline + b"\n" + b" ".join(f) + b"\n" + others + b"\n\n" + note


def unsigned(body):
    """body (a lookup answer) with its note's signature lines replaced."""
    i = body.rfind(b"\n\n")
    if i < 0:
        return body
    return body[: i + 2] + b"\xe2\x80\x94 someone.else " + base64.b64encode(b"\x00" * 68) + b"\n"


def get(url):
    try:
        with opener.open(url, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # the headers and the body go out in two writes: without TCP_NODELAY
    # the body waits for the client's delayed ACK of the headers (40 ms)
    disable_nagle_algorithm = True

    def log_message(self, *a):
        pass

    def do_GET(self):
        with lock, open(CONTROL + ".log", "a") as f:
            f.write(self.path + "\n")
        if "/lookup/" not in self.path:
            self.answer()
            return
        with lock, open(CONTROL + ".inflight", "a") as f:
            lookups[0] += 1
            f.write("%d\n" % lookups[0])
        try:
            self.answer()
        finally:
            with lock:
                lookups[0] -= 1

    def answer(self):
        d = directives()
        p = self.path
        while "hang" in d and d["hang"] and d["hang"][0] in p:
            time.sleep(0.1)
            d = directives()
        if "delay" in d and matches(d, "delay", 1, p):
            time.sleep(int(d["delay"][0]) / 1000)
        with lock:
            for kw in [k for k in counters if k not in d]:
                del counters[kw]
        if "down" in d or ("drop" in d and matches(d, "drop", 1, p) and
                           counted(d, "drop", int(d["drop"][0]))):
            self.close_connection = True
            self.connection.close()
            return
        if "fail" in d and matches(d, "fail", 2, p):
            n, status = int(d["fail"][0]), int(d["fail"][1])
            if counted(d, "fail", n):
                self.reply(status, b"injected failure\n", {"Retry-After": "0"})
                return
        up = d["upstream"][0].rstrip("/")
        if "switch-on" in d and switched(d, p):
            up = d["switch-on"][1].rstrip("/")
        routes = d.get("route", [])
        for sub, url in zip(routes[0::2], routes[1::2]):
            if sub in p:
                up = url.rstrip("/")
                break
        q = self.path
        if "swap-lookup" in d and "/lookup/" in p and d["swap-lookup"][0] in p:
            q = q.replace(d["swap-lookup"][0], d["swap-lookup"][1])
        try:
            status, body = get(up + q)
        except OSError:
            self.reply(502, b"upstream down\n")
            return
        if status == 200:
            if "garble-latest" in d and p.endswith("/latest"):
                body = body[: len(body) // 2]
            if ("truncate-tiles" in d and "/tile/" in p and "/data/" not in p and
                    counted(d, "truncate-tiles", int(d["truncate-tiles"][0])
                            if d["truncate-tiles"] else None)):
                body = body[:-1]
            if ("flip-tile" in d and p.endswith("/" + d["flip-tile"][0]) and
                    counted(d, "flip-tile", int(d["flip-tile"][1])
                            if len(d["flip-tile"]) > 1 else None)):
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
            if ("garble-record" in d and "/lookup/" in p and matches(d, "garble-record", 0, p) and
                    counted(d, "garble-record", int(d["garble-record"][1])
                            if len(d["garble-record"]) > 1 else None)):
                body = garbled(body)
            if ("garble-lookup" in d and d["garble-lookup"] and "/lookup/" in p and
                    d["garble-lookup"][0] in p):
                body = body[:-20]
            if "unsign" in d and d["unsign"] and d["unsign"][0] in p and "/lookup/" in p:
                body = unsigned(body)
        if "cut" in d and matches(d, "cut", 1, p) and counted(d, "cut", int(d["cut"][0])):
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
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
