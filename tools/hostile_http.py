#!/usr/bin/env python3
"""Hostile HTTP clients against a sumdbd on loopback (issue 7), with a
normal client measuring its latency meanwhile.

  hostile_http.py slowloris HOST:PORT [--conns N] [--interval S] [--seconds S]
      N connections each sending a request's headers one byte every S
      seconds (never finishing them); reports how many the server cut and
      after how long.
  hostile_http.py idle HOST:PORT [--conns N] [--seconds S]
      N connections that send nothing; reports how many the server took,
      how many it refused at once, how many it cut and when.
  hostile_http.py garbage HOST:PORT
      oversized headers, an oversized URL, pipelined garbage, a request
      line with NUL bytes, random bytes: reports the server's answer to
      each, and checks after each that it still answers /latest.
  hostile_http.py limits HOST:PORT [--conns N] [--sources K] [--source-fmt F]
      opens N connections spread over K source addresses and reports how
      many the server kept and how many it closed at once (over its
      per-address or total limit), per source; then closes them all and
      opens them again, to see that closed connections were given back.
  hostile_http.py spellings HOST:PORT --path P [--conns N]
      asks for N spellings of path P (each byte as itself, %xx or %XX) on
      one connection; reports the status codes.
  hostile_http.py drain HOST:PORT --pid PID [--conns N]
      N keep-alive connections, each asking for PATHS in turn as fast as
      answers come; after a second the server (PID) gets SIGTERM; reports
      the most answers one connection got after it, how many connections
      were told "Connection: close" in their last answer, and how long
      after the signal the last connection ended.
  hostile_http.py exhaust HOST:PORT --path P [--conns N] [--sources K]
      opens one connection, then N more from K source addresses and
      holds them; then asks for P on the first one and reports its
      answer: a server that let the others take every descriptor cannot
      answer what needs one more (a database reader, an upstream socket).
  hostile_http.py burst HOST:PORT --pid PID [--conns N] [--rounds R]
      N keep-alive connections; in each round the server (PID) is
      stopped with SIGSTOP while every connection sends a request, then
      continued, so that all N requests are ready at once; reports how
      long the slowest round took to be answered in full.

While slowloris and idle run, a normal client fetches PATHS (--paths,
comma-separated; default tiles and /latest), each on a new connection,
and reports count, failures, p50/p99/max latency.  The hostile
connections come from 127.0.0.2 and up (--sources addresses, spread
evenly) so that the per-address connection limit does not refuse them
all; the normal client uses 127.0.0.1.  --source-fmt names other
sources: "2001:db8:0:1::%x" (K addresses of one IPv6 /64) or
"2001:db8:0:%x::1" (K /64s), for a server inside a network namespace.

Bounded: at most 20,000 connections and 600 s; loopback addresses (and
2001:db8::/32, the documentation prefix, inside a namespace) only;
every socket is closed before it exits.  Output: one "key=value ..." line
per figure, for scripts.
"""
import argparse
import collections
import os
import random
import resource
import select
import signal
import socket
import sys
import threading
import time

MAX_CONNS = 20000
MAX_SECONDS = 600


def parse_addr(s):
    host, _, port = s.rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        if host != "::1" and not host.lower().startswith("2001:db8:"):
            sys.exit("hostile_http: ::1 or 2001:db8::/32 only, not %r" % host)
    elif not host.startswith("127."):
        sys.exit("hostile_http: loopback (127.x.y.z) only, not %r" % host)
    return host, int(port)


def source_addr(fmt, i):
    """The i-th source address of --source-fmt, checked as parse_addr."""
    a = fmt % i
    if not (a.startswith("127.") or a.lower().startswith("2001:db8:")):
        sys.exit("hostile_http: source %r is not loopback nor 2001:db8::/32" % a)
    return a


def raise_nofile(n):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = min(hard, max(soft, n + 256)) if hard != resource.RLIM_INFINITY else n + 256
    if want > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def pct(xs, p):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p / 100.0))]


def http_get(addr, path, timeout=5.0):
    """One GET on a new connection; returns (status or 0, seconds)."""
    t0 = time.monotonic()
    s = socket.create_connection(addr, timeout=timeout, source_address=("127.0.0.1", 0))
    try:
        s.sendall(("GET %s HTTP/1.1\r\nHost: sumdb\r\nConnection: close\r\n\r\n" % path).encode())
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    dt = time.monotonic() - t0
    try:
        return int(data.split(b" ", 2)[1]), dt
    except (IndexError, ValueError):
        return 0, dt


class Prober(threading.Thread):
    """The normal client: GETs paths in turn until stopped."""

    def __init__(self, addr, paths, pause):
        super().__init__(daemon=True)
        self.addr, self.paths, self.pause = addr, paths, pause
        self.lat, self.fail, self.codes = [], 0, {}
        self.stop = threading.Event()

    def run(self):
        i = 0
        while not self.stop.is_set():
            p = self.paths[i % len(self.paths)]
            i += 1
            try:
                code, dt = http_get(self.addr, p)
            except OSError:
                code, dt = 0, 0.0
            self.codes[code] = self.codes.get(code, 0) + 1
            if code == 200:
                self.lat.append(dt)
            else:
                self.fail += 1
            time.sleep(self.pause)

    def report(self):
        self.stop.set()
        self.join()
        print("probe requests=%d fail=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f codes=%s" % (
            len(self.lat) + self.fail, self.fail, pct(self.lat, 50) * 1000,
            pct(self.lat, 99) * 1000, (max(self.lat) if self.lat else float("nan")) * 1000,
            ",".join("%d:%d" % kv for kv in sorted(self.codes.items()))))
        sys.stdout.flush()


class Sock(socket.socket):
    """A socket that remembers when it connected."""
    opened_at = 0.0


def open_one(addr, src):
    """A non-blocking connection to addr from src, or None when refused."""
    s = Sock(socket.AF_INET6 if ":" in src else socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind((src, 0))
        s.settimeout(5)
        s.connect(addr)
        s.setblocking(False)
        s.opened_at = time.monotonic()
        return s
    except OSError:
        s.close()
        return None


def open_conns(addr, n, sources, fmt="127.0.0.%d"):
    socks, refused = [], 0
    for i in range(n):
        s = open_one(addr, source_addr(fmt, 2 + i % sources))
        if s is None:
            refused += 1
        else:
            socks.append(s)
    return socks, refused


def open_settled(addr, n, sources, settle):
    """As open_conns, but each connection is looked at settle seconds
    after its own connect, while the later ones are still being opened:
    returns (the connections the server kept, the number refused, the
    number it closed at once).  Looking at all of them once all are open
    instead measured the first ones at the age the whole opening took: on
    a loaded machine opening thousands takes longer than the server's
    header timeout, which then cut the first ones, and those were counted
    as closed at once (refused over a limit)."""
    kept, pending, refused, closed = [], collections.deque(), 0, 0

    def look(s):
        nonlocal closed
        if closed_by_peer(s):
            closed += 1
            s.close()
        else:
            kept.append(s)

    for i in range(n):
        s = open_one(addr, source_addr("127.0.0.%d", 2 + i % sources))
        if s is None:
            refused += 1
        else:
            pending.append(s)
        now = time.monotonic()
        while pending and now - pending[0].opened_at >= settle:
            look(pending.popleft())
    while pending:
        wait = pending[0].opened_at + settle - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        look(pending.popleft())
    return kept, refused, closed


def closed_by_peer(s):
    """1 when the server closed s (EOF or reset), else 0; reads away any
    answer (a 408 or 400) the server sent first."""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return 1
    except BlockingIOError:
        return 0
    except OSError:
        return 1


def hold(socks, seconds, drip, interval):
    """Keeps socks open for up to seconds (dripping one header byte each
    interval when drip); returns the number cut by the server, the seconds
    from each one's connect to its cut, and the number left open."""
    t0 = time.monotonic()
    alive = {s.fileno(): s for s in socks}
    sent = {fd: 0 for fd in alive}
    cut_at = []
    line = b"GET /latest HTTP/1.1\r\nHost: sumdb\r\nX-Slow: " + b"a" * 100000
    next_drip = t0
    poller = select.poll()
    for fd in alive:
        poller.register(fd, select.POLLIN)
    while alive and time.monotonic() - t0 < seconds:
        now = time.monotonic()
        if drip and now >= next_drip:
            next_drip = now + interval
            for fd, s in list(alive.items()):
                try:
                    s.send(line[sent[fd]:sent[fd] + 1])
                    sent[fd] += 1
                except BlockingIOError:
                    pass
                except OSError:
                    poller.unregister(fd)
                    del alive[fd]
                    cut_at.append(now - s.opened_at)
                    s.close()
        for fd, _ev in poller.poll(100):
            s = alive.get(fd)
            if s is not None and closed_by_peer(s):
                poller.unregister(fd)
                del alive[fd]
                cut_at.append(time.monotonic() - s.opened_at)
                s.close()
    for s in alive.values():
        s.close()
    return len(cut_at), cut_at, len(alive)


def cmd_flood(args, drip):
    addr = parse_addr(args.addr)
    n = min(args.conns, MAX_CONNS)
    limit = raise_nofile(n)
    if limit < n + 64:
        print("note nofile=%d: opening only %d connections" % (limit, limit - 64))
        n = limit - 64
    paths = args.paths.split(",")
    prober = Prober(addr, paths, args.pause)
    prober.start()
    t0 = time.monotonic()
    # connections the server took and closed at once (over a limit): each
    # looked at 0.3 s after its connect
    kept, refused, refused_late = open_settled(addr, n, args.sources, 0.3)
    opened = time.monotonic() - t0
    print("%s conns=%d connected=%d refused=%d closed_at_once=%d open_s=%.2f" % (
        "slowloris" if drip else "idle", n, len(kept) + refused_late, refused, refused_late, opened))
    sys.stdout.flush()
    ncut, cut_at, left = hold(kept, min(args.seconds, MAX_SECONDS), drip, args.interval)
    print("%s held=%d cut=%d still_open=%d cut_after_s_min=%.2f p50=%.2f max=%.2f" % (
        "slowloris" if drip else "idle", len(kept), ncut, left,
        min(cut_at) if cut_at else float("nan"), pct(cut_at, 50),
        max(cut_at) if cut_at else float("nan")))
    prober.report()


def raw_exchange(addr, payload, timeout=5.0, quiet=1.0):
    """Sends payload on a new connection, reads until the server closes or
    goes quiet for quiet seconds; returns the status codes of the answers
    seen, and whether the server closed.  quiet must stay well under the
    server's header timeout (2 s in tests/e2e/hostile_http.sh): an idle
    connection cut by that timeout is not a close because of the request,
    and with equal times the two raced."""
    s = socket.create_connection(addr, timeout=timeout, source_address=("127.0.0.1", 0))
    data, closed = b"", False
    try:
        try:
            s.sendall(payload)
        except OSError:
            pass
        s.settimeout(quiet)
        while len(data) < 1 << 20:
            try:
                d = s.recv(65536)
            except socket.timeout:
                break
            except OSError:
                closed = True
                break
            if not d:
                closed = True
                break
            data += d
    finally:
        s.close()
    codes = []
    for part in data.split(b"HTTP/1.1 ")[1:]:
        codes.append(part[:3].decode("ascii", "replace"))
    return codes, closed


def cmd_garbage(args):
    addr = parse_addr(args.addr)
    rnd = random.Random(7)
    good = b"GET /latest HTTP/1.1\r\nHost: sumdb\r\n\r\n"
    cases = [
        ("big_header", b"GET /latest HTTP/1.1\r\nHost: sumdb\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n"),
        ("many_headers", b"GET /latest HTTP/1.1\r\nHost: sumdb\r\n" +
         b"".join(b"X-%d: v\r\n" % i for i in range(5000)) + b"\r\n"),
        ("big_url", b"GET /lookup/" + b"a" * 70000 + b"@v1.0.0 HTTP/1.1\r\nHost: sumdb\r\n\r\n"),
        ("long_url_in_pool", b"GET /tile/" + b"x" * 9000 + b" HTTP/1.1\r\nHost: sumdb\r\n\r\n"),
        ("pipelined_garbage", good + b"\x16\x03\x01garbage \x00\xff\r\n\r\n" + bytes(rnd.randrange(256) for _ in range(4096))),
        ("pipelined_many", good * 50 + b"BREW /coffee HTCPCP/1.0\r\n\r\n" + good),
        ("nul_request_line", b"GET /lat\x00est HTTP/1.1\r\nHost: sumdb\r\n\r\n"),
        ("nul_in_lookup", b"GET /lookup/example.com/m1@v1.0.0\x00x HTTP/1.1\r\nHost: sumdb\r\n\r\n"),
        ("encoded_nul", b"GET /lookup/example.com/m1@v1.0.0%00 HTTP/1.1\r\nHost: sumdb\r\n\r\n"),
        ("random_bytes", bytes(rnd.randrange(256) for _ in range(65536))),
        ("bare_lf", b"GET /latest HTTP/1.1\nHost: sumdb\n\n"),
        ("http10_no_host", b"GET /latest HTTP/1.0\r\n\r\n"),
        ("post_with_body", b"POST /latest HTTP/1.1\r\nHost: sumdb\r\nContent-Length: 1000000\r\n\r\n" + b"x" * 65536),
        ("chunked_get", b"GET /latest HTTP/1.1\r\nHost: sumdb\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n"),
        ("get_with_body", b"GET /latest HTTP/1.1\r\nHost: sumdb\r\nContent-Length: 5\r\n\r\nhello" + good),
        ("head_with_body", b"HEAD /latest HTTP/1.1\r\nHost: sumdb\r\nContent-Length: 5\r\n\r\nhello"),
        ("expect_100_with_body", b"GET /latest HTTP/1.1\r\nHost: sumdb\r\nContent-Length: 5\r\n"
         b"Expect: 100-continue\r\n\r\nhello"),
        ("chunked_get_with_body", b"GET /latest HTTP/1.1\r\nHost: sumdb\r\nTransfer-Encoding: chunked\r\n\r\n"
         b"5\r\nhello\r\n0\r\n\r\n" + good),
        ("chunked_get_empty", b"GET /latest HTTP/1.1\r\nHost: sumdb\r\nTransfer-Encoding: chunked\r\n\r\n"
         b"0\r\n\r\n" + good),
        ("get_content_length_0", b"GET /latest HTTP/1.1\r\nHost: sumdb\r\nContent-Length: 0\r\n\r\n" + good),
        ("absolute_form", b"GET http://sumdb/latest HTTP/1.1\r\nHost: sumdb\r\n\r\n"),
        ("absolute_form_tile", b"GET HTTPS://sumdb:443/tile/8/0/000 HTTP/1.1\r\nHost: sumdb\r\n\r\n"),
        ("absolute_form_no_path", b"GET http://sumdb HTTP/1.1\r\nHost: sumdb\r\n\r\n"),
    ]
    alive_fail = 0
    for name, payload in cases:
        try:
            codes, closed = raw_exchange(addr, payload)
        except OSError as e:
            codes, closed = ["connect-error:%s" % e.__class__.__name__], True
        try:
            code, dt = http_get(addr, "/latest")
        except OSError:
            code, dt = 0, 0.0
        if code != 200:
            alive_fail += 1
        answers = ",".join(codes) if codes else "-"
        if len(codes) > 6:
            answers = "%s..(%d answers)..%s" % (",".join(codes[:3]), len(codes), ",".join(codes[-2:]))
        print("garbage case=%s answers=%s closed=%s then_latest=%d" % (
            name, answers, "yes" if closed else "no", code))
        sys.stdout.flush()
    print("garbage cases=%d server_alive_after_each=%s" % (
        len(cases), "yes" if alive_fail == 0 else "no(%d)" % alive_fail))


def cmd_limits(args):
    addr = parse_addr(args.addr)
    n = min(args.conns, MAX_CONNS)
    raise_nofile(n)
    rounds = []
    for _ in range(2):
        socks, _refused = open_conns(addr, n, args.sources, args.source_fmt)
        time.sleep(0.5)
        kept = {}
        for s in socks:
            if not closed_by_peer(s):
                src = socket.inet_pton(s.family, s.getsockname()[0])
                kept[src] = kept.get(src, 0) + 1
        rounds.append(kept)
        for s in socks:
            s.close()
        time.sleep(0.5)
    k0, k1 = rounds
    print("limits conns=%d kept=%d closed_at_once=%d kept_per_source=%s again_kept=%d" % (
        n, sum(k0.values()), n - sum(k0.values()),
        ",".join(str(k0.get(addr_bytes(source_addr(args.source_fmt, 2 + i)), 0))
                 for i in range(args.sources)),
        sum(k1.values())))


def addr_bytes(a):
    return socket.inet_pton(socket.AF_INET6 if ":" in a else socket.AF_INET, a)


def percent_spellings(path):
    """Spellings of path: after its first "/", each byte as itself, %xx or
    %XX, in turn."""
    head, rest = path[:1], path[1:]
    n = len(rest)
    for k in range(3 ** n):
        out = []
        for c in rest:
            k, form = divmod(k, 3)
            out.append(c if form == 0 else "%%%02x" % ord(c) if form == 1 else "%%%02X" % ord(c))
        yield head + "".join(out)


def cmd_spellings(args):
    addr = parse_addr(args.addr)
    s = socket.create_connection(addr, timeout=30, source_address=("127.0.0.1", 0))
    codes, buf, asked = {}, b"", 0
    try:
        for p in percent_spellings(args.path):
            if asked == min(args.conns, MAX_CONNS):
                break
            s.sendall(("GET %s HTTP/1.1\r\nHost: sumdb\r\n\r\n" % p).encode())
            code, buf = read_answer(s, buf)
            codes[code] = codes.get(code, 0) + 1
            asked += 1
            if code == 0:
                break
    finally:
        s.close()
    print("spellings path=%s asked=%d codes=%s" % (
        args.path, asked, ",".join("%d:%d" % kv for kv in sorted(codes.items()))))


def cmd_exhaust(args):
    addr = parse_addr(args.addr)
    n = min(args.conns, MAX_CONNS)
    raise_nofile(n)
    first = socket.create_connection(addr, timeout=60, source_address=("127.0.0.1", 0))
    socks, _refused = open_conns(addr, n, args.sources)
    time.sleep(0.5)
    kept = [s for s in socks if not closed_by_peer(s)]
    try:
        first.sendall(("GET %s HTTP/1.1\r\nHost: sumdb\r\n\r\n" % args.path).encode())
        code, _ = read_answer(first, b"")
    except OSError:
        code = 0
    print("exhaust conns=%d kept=%d closed_at_once=%d answer=%d" % (
        n, len(kept), n - len(kept), code))
    for s in socks:
        s.close()
    first.close()


def read_answer_head(s, buf):
    """As read_answer, but returns (status, header block, rest of buf)."""
    while True:
        end = buf.find(b"\r\n\r\n")
        if end >= 0:
            head = buf[:end].decode("latin-1")
            length = 0
            for line in head.split("\r\n")[1:]:
                k, _, v = line.partition(":")
                if k.strip().lower() == "content-length":
                    length = int(v.strip())
            if len(buf) >= end + 4 + length:
                return int(head.split(" ", 2)[1]), head, buf[end + 4 + length:]
        try:
            d = s.recv(65536)
        except OSError:
            return 0, "", b""
        if not d:
            return 0, "", b""
        buf += d


def cmd_drain(args):
    """Keep-alive clients ask as fast as they are answered while the
    server gets SIGTERM.  Counts, per client, the answers read after the
    signal was sent, and the answers read after the first answer any
    client got that said Connection: close (the server draining: from
    then on each connection's next answer should say it, so this stays
    small however late the server got to the signal); -1 when none said
    it."""
    addr = parse_addr(args.addr)
    n = min(args.conns, MAX_CONNS)
    raise_nofile(n)
    paths = args.paths.split(",")
    signalled = threading.Event()
    closing = threading.Event()
    lock = threading.Lock()
    stats = {"after": [], "after_close": [], "told_close": 0, "ended": []}

    def client(i):
        s = socket.create_connection(addr, timeout=30, source_address=("127.0.0.1", 0))
        buf, after, after_close, last_head, k = b"", 0, 0, "", i
        try:
            while True:
                p = paths[k % len(paths)]
                k += 1
                try:
                    s.sendall(("GET %s HTTP/1.1\r\nHost: sumdb\r\n\r\n" % p).encode())
                except OSError:
                    break
                code, head, buf = read_answer_head(s, buf)
                if code == 0:
                    break
                last_head = head
                if signalled.is_set():
                    after += 1
                if closing.is_set():
                    after_close += 1
                if says_close(head):
                    closing.set()
        finally:
            s.close()
        with lock:
            stats["after"].append(after)
            stats["after_close"].append(after_close)
            stats["told_close"] += says_close(last_head)
            stats["ended"].append(time.monotonic())

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    t0 = time.monotonic()
    signalled.set()
    os.kill(args.pid, signal.SIGTERM)
    for t in threads:
        t.join(60)
    print("drain conns=%d ended=%d most_answers_after_signal=%d most_answers_after_close=%d "
          "told_close=%d last_end_s=%.2f" % (
              n, len(stats["ended"]), max(stats["after"]) if stats["after"] else -1,
              max(stats["after_close"]) if closing.is_set() and stats["after_close"] else -1,
              stats["told_close"],
              (max(stats["ended"]) - t0) if stats["ended"] else float("nan")))


def says_close(head):
    """Whether the answer head says Connection: close."""
    return any(l.lower().replace(" ", "") == "connection:close" for l in head.split("\r\n"))


def read_answer(s, buf):
    """Reads one whole answer (headers and Content-Length bytes of body)
    from s, buf holding what was read before; returns (status, rest of
    buf) or (0, b"") when the connection ended first."""
    status, _, rest = read_answer_head(s, buf)
    return status, rest


def cmd_burst(args):
    addr = parse_addr(args.addr)
    n = min(args.conns, MAX_CONNS)
    raise_nofile(n)
    socks = []
    for _ in range(n):
        s = socket.create_connection(addr, timeout=30, source_address=("127.0.0.1", 0))
        socks.append(s)
    req = b"GET /latest HTTP/1.1\r\nHost: sumdb\r\n\r\n"
    worst, failed, done = 0.0, 0, 0
    bufs = [b""] * n
    for _ in range(args.rounds):
        sent = []
        os.kill(args.pid, signal.SIGSTOP)
        try:
            for s in socks:
                try:
                    s.sendall(req)
                    sent.append(s)
                except OSError:
                    failed += 1
            time.sleep(0.05)
        finally:
            os.kill(args.pid, signal.SIGCONT)
        t0 = time.monotonic()
        for i, s in enumerate(socks):
            if s not in sent:
                continue
            code, bufs[i] = read_answer(s, bufs[i])
            if code != 200:
                failed += 1
        worst = max(worst, time.monotonic() - t0)
        done += 1
        if failed:
            break
    for s in socks:
        s.close()
    print("burst conns=%d rounds=%d failed=%d slowest_round_ms=%.1f" % (
        n, done, failed, worst * 1000))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=["slowloris", "idle", "garbage", "limits", "burst",
                                     "spellings", "exhaust", "drain"])
    ap.add_argument("addr", help="HOST:PORT of sumdbd (loopback)")
    ap.add_argument("--conns", type=int, default=500)
    ap.add_argument("--interval", type=float, default=1.0, help="slowloris: seconds between bytes")
    ap.add_argument("--seconds", type=float, default=20.0, help="how long to hold the connections")
    ap.add_argument("--sources", type=int, default=10, help="source addresses 127.0.0.2..")
    ap.add_argument("--source-fmt", default="127.0.0.%d",
                    help="limits: source address i (from 2) as FMT %% i")
    ap.add_argument("--path", default="/tile/8/0/000", help="spellings, exhaust: the path asked for")
    ap.add_argument("--paths", default="/tile/8/0/000,/tile/8/0/001,/tile/8/data/000,/latest")
    ap.add_argument("--pause", type=float, default=0.005, help="normal client: seconds between requests")
    ap.add_argument("--rounds", type=int, default=20, help="burst: rounds")
    ap.add_argument("--pid", type=int, default=0, help="burst, drain: the server's process id")
    args = ap.parse_args()
    args.sources = max(1, min(args.sources, 250))
    if args.mode == "garbage":
        cmd_garbage(args)
    elif args.mode == "limits":
        cmd_limits(args)
    elif args.mode == "spellings":
        cmd_spellings(args)
    elif args.mode == "exhaust":
        cmd_exhaust(args)
    elif args.mode == "drain":
        if args.pid <= 0:
            sys.exit("hostile_http: drain needs --pid of the server")
        cmd_drain(args)
    elif args.mode == "burst":
        if args.pid <= 0:
            sys.exit("hostile_http: burst needs --pid of the server")
        cmd_burst(args)
    else:
        cmd_flood(args, args.mode == "slowloris")


if __name__ == "__main__":
    main()
