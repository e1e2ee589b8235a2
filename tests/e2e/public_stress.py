#!/usr/bin/env python3
"""Concurrent public lookups against a public log that grows, forks and
answers slowly (tests/e2e/public_stress.sh drives it; evillog.py is the
public log).  Test infrastructure only.

  public_stress.py URL EVIL_CTL DB PHASE

PHASE "grow": client threads look up the newest modules example.com/mK
while the log grows from 100 to 900 records; each lookup answer carries a
tree of a random size up to the log's, so that answers of older trees
arrive after newer ones; then every answer carries the tree of 900.
PHASE "fork": the log stays at 900 records, and the lookup answers for the
odd modules carry a fork: log "b", another tree of 900 records, the same
up to record 700.  PHASE "slow" (the odd modules, mostly kept out of our
log by the fork): lookup answers take seconds; the clients are left running
(the caller stops the server under them) and this prints "started" once
they run.

Throughout "grow" and "fork", a sampler reads the accepted public tree in
DB (sumdbd's config table) every few milliseconds and checks that it is
always a tree of the honest log "a" and that its size never goes down:
every tree of "a" is consistent with every other, so that is "only ever
moves forward, to a tree consistent with the one before".  Each answer a
client gets is checked: 200 with the honest record, or an error status.
Prints one "ok: ..." or "FAIL: ..." line per check.
"""
import base64, hashlib, http.client, os, random, sqlite3, sys, threading, time, urllib.parse

URL, CTL, DB, PHASE = sys.argv[1:5]
CLIENTS = 12
SIZE = 900          # the honest log's records at the end of "grow"
FORK_AT = 700       # the fork's records differ from here on


def rec(i, tag=""):
    """evillog.py's rec: the record of example.com/mI v1.0.0."""
    h = lambda s: "h1:" + base64.b64encode(hashlib.sha256((s + tag).encode()).digest()).decode()
    return ("example.com/m%d v1.0.0 %s\nexample.com/m%d v1.0.0/go.mod %s\n" %
            (i, h("zip%d" % i), i, h("mod%d" % i))).encode()


def tree_hashes(log):
    """The RFC 6962 root of each prefix of log: {n: hash}."""
    out = {0: b"\x00" * 32}

    def sub(lo, n):
        if n == 1:
            return hashlib.sha256(b"\x00" + log[lo]).digest()
        s = 1
        while s * 2 < n:
            s *= 2
        return hashlib.sha256(b"\x01" + sub(lo, s) + sub(lo + s, n - s)).digest()
    for n in range(25, len(log) + 1, 25):
        out[n] = sub(0, n)
    return out


HONEST = [rec(i) for i in range(SIZE)]
# Lookups are to go to the public log, not to our store: "grow" looks up
# the newest records, "slow" the modules the fork kept out of our log.
frontier = [100]
ROOTS = tree_hashes(HONEST)
failures = []
lock = threading.Lock()


def fail(msg):
    with lock:
        failures.append(msg)


def evil_set(src):
    with open(CTL + ".new", "w") as f:
        f.write(src)
    os.rename(CTL + ".new", CTL)


def accepted():
    """(size, hash) of the accepted public tree in DB, or None."""
    c = sqlite3.connect("file:%s?mode=ro" % DB, uri=True, timeout=5)
    try:
        row = c.execute("SELECT value FROM config WHERE key = 'public_tree'").fetchone()
    finally:
        c.close()
    if row is None:
        return None
    lines = (row[0] if isinstance(row[0], str) else row[0].decode()).split("\n")
    return int(lines[1]), base64.b64decode(lines[2])


stop = threading.Event()
samples = [0]


def sampler():
    last = None
    while not stop.is_set():
        try:
            t = accepted()
        except sqlite3.OperationalError:
            t = None  # busy: the next sample will do
        if t is not None:
            samples[0] += 1
            if ROOTS.get(t[0]) != t[1]:
                fail("accepted tree of %d records is not the honest log's" % t[0])
            if last is not None and t[0] < last:
                fail("accepted tree moved back from %d to %d records" % (last, t[0]))
            last = t[0]
        time.sleep(0.005)


answers = {}


def client(seed, until):
    r = random.Random(seed)
    u = urllib.parse.urlsplit(URL)
    while time.time() < until and not stop.is_set():
        if PHASE == "grow":
            k = r.randrange(max(0, frontier[0] - 100), frontier[0])
        else:
            k = r.randrange(PHASE == "slow", SIZE, 2 if PHASE == "slow" else 1)
        try:
            c = http.client.HTTPConnection(u.hostname, u.port, timeout=120)
            c.request("GET", "/lookup/example.com/m%d@v1.0.0" % k)
            resp = c.getresponse()
            body = resp.read()
            c.close()
        except OSError as e:
            if PHASE == "slow":
                return  # the server stopped under it
            fail("lookup of m%d: %r" % (k, e))
            continue
        with lock:
            answers[resp.status] = answers.get(resp.status, 0) + 1
        if resp.status == 200:
            lines = body.split(b"\n")
            if b"\n".join(lines[1:3]) + b"\n" != HONEST[k]:
                fail("m%d answered with a record not the honest log's: %r" % (k, body[:200]))
        elif resp.status not in (404, 502, 503, 504):
            fail("m%d: status %d: %r" % (k, resp.status, body[:200]))


def run_clients(seconds):
    until = time.time() + seconds
    ts = [threading.Thread(target=client, args=(i, until), daemon=True) for i in range(CLIENTS)]
    for t in ts:
        t.start()
    return ts


def report(what):
    for m in failures:
        print("FAIL: %s" % m)
    if not failures:
        print("ok: %s" % what)


if PHASE == "slow":
    # every lookup answer takes 2 to 4 s: the server is stopped while
    # they hang
    evil_set("import time\n"
             "LOGS = {'a': recs(0, %d)}\n"
             "def hook(path, status, body):\n"
             "    if path.startswith('/lookup/'):\n"
             "        time.sleep(2 + hash(path) %% 3)\n"
             "    return status, body\n" % SIZE)
    ts = run_clients(60)
    print("started", flush=True)
    # the caller's SIGTERM to the server ends every client's request
    for t in ts:
        t.join(90)
    print("answers: %s" % " ".join("%d:%d" % kv for kv in sorted(answers.items())))
    sys.exit(0)

s = threading.Thread(target=sampler, daemon=True)
s.start()
if PHASE == "grow":
    ts = run_clients(8)
    for n in range(100, SIZE + 1, 50):
        # answers carry a tree of any size of 25 records up to n, and a
        # tile fetch now and then takes a while
        evil_set("import random, time\n"
                 "LOGS = {'a': recs(0, %d)}\n"
                 "LATEST = ('a', %d)\n"
                 "def hook(path, status, body):\n"
                 "    if path.startswith('/lookup/'):\n"
                 "        return answer(path, LOOKUP=('a', random.randrange(4, %d // 25 + 1) * 25))\n"
                 "    if path.startswith('/tile/') and random.random() < 0.2:\n"
                 "        time.sleep(0.2)\n"
                 "    return status, body\n" % (SIZE, n, n))
        frontier[0] = n
        time.sleep(0.4)
    # and then the log's latest tree in every answer
    evil_set("LOGS = {'a': recs(0, %d)}\n" % SIZE)
else:
    # "b": the same records up to FORK_AT, others after; a lookup of an odd
    # module is answered with b's tree of SIZE records, slowly now and then
    evil_set("import random, time\n"
             "LOGS = {'a': recs(0, %d), 'b': recs(0, %d) + recs(%d, %d, 'b')}\n"
             "def hook(path, status, body):\n"
             "    if path.startswith('/lookup/'):\n"
             "        k = int(path.split('/m')[1].split('@')[0])\n"
             "        if random.random() < 0.3:\n"
             "            time.sleep(0.3)\n"
             "        if k %% 2 == 1:\n"
             "            return answer(path, LOOKUP=('b', %d))\n"
             "    return status, body\n" % (SIZE, FORK_AT, FORK_AT, SIZE, SIZE))
    ts = run_clients(5)
for t in ts:
    t.join()
stop.set()
s.join()
if samples[0] == 0:
    fail("the accepted tree was never read")
print("answers: %s; accepted tree read %d times" % (
    " ".join("%d:%d" % kv for kv in sorted(answers.items())), samples[0]))
if answers.get(200, 0) == 0:
    fail("no lookup was answered 200")
if PHASE == "fork" and answers.get(502, 0) == 0:
    fail("no lookup met the fork")
report("%s: every answer honest or refused, the accepted tree the honest log's and "
       "never smaller" % PHASE)
sys.exit(1 if failures else 0)
