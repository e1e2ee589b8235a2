#!/usr/bin/env python3
"""A checksum database that lies, for the verifier's end-to-end tests
(tests/e2e/sumdb_evil.sh): a whole log in Python, with a key of its own,
that signs whatever tree it is told to and serves whatever lookups, tiles
and notes it is told to, so that a test can show a verifier a fork, a
rewritten history or a forged answer without a real server.

  evillog.py CONTROL

CONTROL is Python source, read again whenever the file is replaced (tests
write it elsewhere and rename it into place), that may set:

  LOGS = {"a": [text, ...], ...}  the record texts of each log (default:
                                  one log "a" of 600 records, recs(0, 600))
  LATEST = ("a", N)               /latest: the signed tree of the first N
                                  records of log "a" (default: all of "a")
  LOOKUP = ("a", N)               the tree of lookup answers (default:
                                  LATEST); the record is looked for in it
  TILES = "a"                     the log whose tiles are served, as far as
                                  its records go (default: LATEST's log)
  def hook(path, status, body):   rewrites any answer last; returns
      return status, body         (status, body) or (status, body, headers)

Its code runs with the helpers below in scope: rec, recs, note, answer,
sign_note, tree_hash, tree_text, the keys KEY, OTHER, STRANGER, and SEEN,
the number of requests of each path since CONTROL was last replaced
(this request included), so that a hook can answer the first request of a
path apart from the later ones.  answer(path, **overrides) is what the log
answers with LOGS, LATEST, LOOKUP or TILES overridden.

Every request path is appended to CONTROL + ".log".  Prints "port N" and
"vkey KEY" on stdout once listening.  The key is made from a fixed seed, so
every run has the same verifier key; its Ed25519 code is RFC 8032's
reference (section 6), in pure Python.  Test infrastructure only.
"""
import base64, hashlib, http.server, os, sys, threading

# --- Ed25519, RFC 8032 section 6 ------------------------------------------
_p = 2**255 - 19
_q = 2**252 + 27742317777372353535851937790883648493
_d = -121665 * pow(121666, _p - 2, _p) % _p


def _add(P, Q):
    A, B = (P[1] - P[0]) * (Q[1] - Q[0]) % _p, (P[1] + P[0]) * (Q[1] + Q[0]) % _p
    C, D = 2 * P[3] * Q[3] * _d % _p, 2 * P[2] * Q[2] % _p
    E, F, G, H = B - A, D - C, D + C, B + A
    return (E * F, G * H, F * G, E * H)


def _mul(s, P):
    Q = (0, 1, 1, 0)
    while s > 0:
        if s & 1:
            Q = _add(Q, P)
        P = _add(P, P)
        s >>= 1
    return Q


def _recover_x(y, sign):
    x2 = (y * y - 1) * pow(_d * y * y + 1, _p - 2, _p)
    x = pow(x2, (_p + 3) // 8, _p)
    if (x * x - x2) % _p != 0:
        x = x * pow(2, (_p - 1) // 4, _p) % _p
    if (x & 1) != sign:
        x = _p - x
    return x


_gy = 4 * pow(5, _p - 2, _p) % _p
_gx = _recover_x(_gy, 0)
_G = (_gx, _gy, 1, _gx * _gy % _p)


def _compress(P):
    zi = pow(P[2], _p - 2, _p)
    x, y = P[0] * zi % _p, P[1] * zi % _p
    return int.to_bytes(y | ((x & 1) << 255), 32, "little")


def _expand(seed):
    h = hashlib.sha512(seed).digest()
    a = int.from_bytes(h[:32], "little")
    a &= (1 << 254) - 8
    a |= 1 << 254
    return a, h[32:]


def ed25519_sign(seed, msg):
    a, prefix = _expand(seed)
    A = _compress(_mul(a, _G))
    r = int.from_bytes(hashlib.sha512(prefix + msg).digest(), "little") % _q
    R = _compress(_mul(r, _G))
    h = int.from_bytes(hashlib.sha512(R + A + msg).digest(), "little") % _q
    return R + int.to_bytes((r + h * a) % _q, 32, "little")


# --- keys and notes (x/mod sumdb/note) -------------------------------------
class Key:
    def __init__(self, name, seed):
        self.name, self.seed = name, seed
        self.pub = _compress(_mul(_expand(seed)[0], _G))
        self.hash = hashlib.sha256(name.encode() + b"\n\x01" + self.pub).digest()[:4]
        self.vkey = "%s+%s+%s" % (name, self.hash.hex(),
                                  base64.b64encode(b"\x01" + self.pub).decode())

    def sigline(self, text, keyhash=None):
        """This key's signature line for text; keyhash: the one the line
        claims instead of the key's own."""
        sig = ed25519_sign(self.seed, text)
        return b"\xe2\x80\x94 %s %s\n" % (self.name.encode(),
                                          base64.b64encode((keyhash or self.hash) + sig))


KEY = Key("evil.example/sumdb", b"\x07" * 32)
OTHER = Key("evil.example/sumdb", b"\x08" * 32)   # KEY's name, another key
STRANGER = Key("stranger.example", b"\x09" * 32)

lock = threading.Lock()
_sigs = {}


def sign_note(text, key=None):
    """The note of text (bytes ending in a newline) signed by key (KEY)."""
    key = key or KEY
    with lock:
        line = _sigs.get((text, key.seed))
    if line is None:
        line = key.sigline(text)
        with lock:
            _sigs[(text, key.seed)] = line
    return text + b"\n" + line


# --- the tree (RFC 6962, as x/mod sumdb/tlog) -------------------------------
_hashes = {}


class _Log(tuple):
    """A log's record texts, hashed once as a dictionary key."""

    def __hash__(self):
        h = self.__dict__.get("h")
        if h is None:
            h = self.__dict__["h"] = tuple.__hash__(self)
        return h


def subtree(log, lo, n):
    """Hash of records lo .. lo+n-1 of log (a _Log)."""
    k = (log, lo, n)
    with lock:
        h = _hashes.get(k)
    if h is not None:
        return h
    if n == 1:
        h = hashlib.sha256(b"\x00" + log[lo]).digest()
    else:
        s = 1
        while s * 2 < n:
            s *= 2
        h = hashlib.sha256(b"\x01" + subtree(log, lo, s) + subtree(log, lo + s, n - s)).digest()
    with lock:
        _hashes[k] = h
    return h


def tree_hash(log, n):
    return b"\x00" * 32 if n == 0 else subtree(log, 0, n)


def tree_text(n, h):
    return b"go.sum database tree\n%d\n%s\n" % (n, base64.b64encode(h))


def note(log, n, key=None):
    """The signed tree note of the first n records of log."""
    return sign_note(tree_text(n, tree_hash(log, n)), key)


def rec(i, tag=""):
    """The record of example.com/mI v1.0.0 (tag varies its hashes)."""
    h = lambda s: "h1:" + base64.b64encode(hashlib.sha256((s + tag).encode()).digest()).decode()
    return ("example.com/m%d v1.0.0 %s\nexample.com/m%d v1.0.0/go.mod %s\n" %
            (i, h("zip%d" % i), i, h("mod%d" % i))).encode()


def recs(lo, hi, tag=""):
    return [rec(i, tag) for i in range(lo, hi)]


def _tile(log, level, n, w):
    """Tile 8/level/n of width w of log (level -1: data), or None when
    the log does not have it."""
    span = 1 if level < 0 else 1 << (8 * level)
    if (n * 256 + w) * span > len(log):
        return None
    if level < 0:
        return b"".join(t + b"\n" for t in log[n * 256: n * 256 + w])
    return b"".join(subtree(log, (n * 256 + i) * span, span) for i in range(w))


def _parse_tile(path):
    """(level, n, w) of tile/8/L/NNN[.p/W] (level -1: data), or None."""
    if not path.startswith("/tile/8/"):
        return None
    lv, _, nn = path[len("/tile/8/"):].partition("/")
    w = 256
    if ".p/" in nn:
        nn, _, ws = nn.partition(".p/")
        w = int(ws)
    return (-1 if lv == "data" else int(lv), int(nn.replace("x", "").replace("/", "")), w)


def _answer(env, path):
    logs = env["LOGS"]
    path = path.split("?")[0]
    if path == "/latest":
        name, n = env["LATEST"]
        return 200, note(logs[name], n)
    if path.startswith("/lookup/"):
        name, n = env["LOOKUP"]
        log = logs[name]
        mv = path[len("/lookup/"):]
        m, _, v = mv.rpartition("@")
        prefix = ("%s %s " % (m, v)).encode()
        for i in range(n):
            if log[i].startswith(prefix):
                return 200, b"%d\n" % i + log[i] + b"\n" + note(log, n)
        return 404, b"not found: %s\n" % mv.encode()
    t = _parse_tile(path)
    body = None if t is None else _tile(logs[env["TILES"]], *t)
    return (404, b"not found\n") if body is None else (200, body)


CONTROL = sys.argv[1]
_env = [None, None]   # (device, inode, mtime) of CONTROL, its namespace
_reload = threading.Lock()   # held while CONTROL's namespace is made


def control():
    """CONTROL's namespace, made again whenever the file was replaced."""
    try:
        st = os.stat(CONTROL)
        ident = (st.st_dev, st.st_ino, st.st_mtime_ns)
    except FileNotFoundError:
        ident = None
    # One request at a time makes it: two that met the new file at once
    # would each run it and get namespaces of their own (two Barriers of
    # one control file, each waited on alone).
    with _reload:
        with lock:
            if _env[0] == ident and _env[1] is not None:
                return _env[1]
        src = ""
        if ident is not None:
            with open(CONTROL) as f:
                src = f.read()
        env = {k: v for k, v in globals().items() if not k.startswith("_")}
        env["LOGS"] = {"a": recs(0, 600)}
        env["SEEN"] = {}
        exec(compile(src, CONTROL, "exec"), env)
        env["LOGS"] = {k: _Log(v) for k, v in env["LOGS"].items()}
        env.setdefault("LATEST", ("a", len(env["LOGS"]["a"])))
        env.setdefault("TILES", env["LATEST"][0])
        env.setdefault("LOOKUP", env["LATEST"])
        env["answer"] = lambda path, **kw: _answer(dict(env, **kw), path)
        with lock:
            _env[0], _env[1] = ident, env
        return env


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *a):
        pass

    def do_GET(self):
        path = self.path
        with lock, open(CONTROL + ".log", "a") as f:
            f.write(path + "\n")
        headers = {}
        try:
            env = control()
            with lock:
                env["SEEN"][path] = env["SEEN"].get(path, 0) + 1
            status, body = _answer(env, path)
            if "hook" in env:
                res = env["hook"](path, status, body)
                status, body = res[0], res[1]
                if len(res) > 2:
                    headers = res[2]
        except Exception as e:  # a broken control file: said, and a 500
            sys.stderr.write("evillog: %s: %r\n" % (path, e))
            status, body, headers = 500, b"evillog: %r\n" % e, {}
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print("port %d" % srv.server_address[1], flush=True)
print("vkey %s" % KEY.vkey, flush=True)
srv.serve_forever()
