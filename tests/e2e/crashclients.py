#!/usr/bin/env python3
"""Clients of a sumdbd that is about to be killed (tests/e2e/crash.sh).

    crashclients.py run SUMDBD DB URL DIR SEED SECONDS
        Until DIR/stop exists (or SECONDS pass): one importer thread runs
        `sumdbd add --db DB` with batches of new go.sum lines (they reach
        the server through its admin socket; with the server dead, add
        writes the database itself), and two lookup threads fetch /latest
        and /lookup/M@V of records already acknowledged.  What a client
        was told is written only after it was told:
          DIR/acked    "PATH VERSION" of each version `sumdbd add` accepted
          DIR/ids      "PATH VERSION ID" of each lookup answered 200
          DIR/notes/   every distinct signed tree note any client received
        Batches are numbered from the count of lines in DIR/acked and DIR/
        tried, so module paths never repeat across runs.
    crashclients.py verify URL DIR
        Looks up every acknowledged version over one connection; each must
        be answered 200 with the id a client was given earlier (if any);
        saves the note it is answered with, like any client.  Prints
        "verified N records (M with ids)".
"""
import base64
import hashlib
import http.client
import os
import random
import subprocess
import sys
import threading
import time
import urllib.parse

VERSION = "v1.0.0"


def h1(s):
    return "h1:" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()


def gosum(path):
    return "%s %s %s\n%s %s/go.mod %s\n" % (path, VERSION, h1("zip " + path),
                                           path, VERSION, h1("mod " + path))


def append_line(path, line, lock):
    with lock:
        with open(path, "a") as f:
            f.write(line + "\n")
            f.flush()


def save_note(notes_dir, body, lock):
    name = hashlib.sha256(body).hexdigest()[:32]
    p = os.path.join(notes_dir, name)
    with lock:
        if not os.path.exists(p):
            with open(p + ".tmp", "wb") as f:
                f.write(body)
            os.rename(p + ".tmp", p)


class Conn:
    def __init__(self, url):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port
        self.c = None

    def get(self, path):
        for _ in range(2):
            try:
                if self.c is None:
                    self.c = http.client.HTTPConnection(self.host, self.port, timeout=5)
                self.c.request("GET", path)
                r = self.c.getresponse()
                return r.status, r.read()
            except (OSError, http.client.HTTPException):
                if self.c is not None:
                    self.c.close()
                self.c = None
        return None, b""


def lookup_note(body):
    # a lookup body is "ID\nTEXT\n" then the signed note after a blank line
    i = body.find(b"\n\n")
    return int(body.split(b"\n", 1)[0]), body[i + 2:]


def run(sumdbd, db, url, d, seed, seconds):
    rnd = random.Random(int(seed))
    lock = threading.Lock()
    notes = os.path.join(d, "notes")
    os.makedirs(notes, exist_ok=True)
    stop = os.path.join(d, "stop")
    deadline = time.time() + float(seconds)
    acked = []
    for name in ("acked", "tried"):
        open(os.path.join(d, name), "a").close()
    with open(os.path.join(d, "acked")) as f:
        acked = [l.split()[0] for l in f if l.strip()]
    with open(os.path.join(d, "tried")) as f:
        batch_no = sum(1 for _ in f)

    def done():
        return os.path.exists(stop) or time.time() > deadline

    def importer():
        nonlocal batch_no
        while not done():
            size = rnd.randint(1, 40)
            paths = ["example.com/c%d/m%d" % (batch_no, i) for i in range(size)]
            append_line(os.path.join(d, "tried"), "batch %d" % batch_no, lock)
            batch_no += 1
            p = subprocess.run([sumdbd, "add", "--db", db], input="".join(map(gosum, paths)),
                               capture_output=True, text=True)
            if p.returncode == 0:
                # acknowledged: only now may anyone count on it
                for path in paths:
                    append_line(os.path.join(d, "acked"), "%s %s" % (path, VERSION), lock)
                with lock:
                    acked.extend(paths)

    def looker(n):
        c = Conn(url)
        r = random.Random(int(seed) * 7 + n)
        while not done():
            st, body = c.get("/latest")
            if st == 200:
                save_note(notes, body, lock)
            with lock:
                path = r.choice(acked) if acked else None
            if path is None:
                time.sleep(0.01)
                continue
            st, body = c.get("/lookup/%s@%s" % (path, VERSION))
            if st == 200:
                rid, note = lookup_note(body)
                save_note(notes, note, lock)
                append_line(os.path.join(d, "ids"), "%s %s %d" % (path, VERSION, rid), lock)
            elif st is None:
                time.sleep(0.02)

    ts = [threading.Thread(target=importer)] + [threading.Thread(target=looker, args=(i,))
                                                for i in range(2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


def verify(url, d):
    lock = threading.Lock()
    notes = os.path.join(d, "notes")
    ids = {}
    if os.path.exists(os.path.join(d, "ids")):
        with open(os.path.join(d, "ids")) as f:
            for l in f:
                path, ver, rid = l.split()
                key = (path, ver)
                if key in ids and ids[key] != int(rid):
                    print("FAIL: %s@%s was answered with ids %d and %s" % (path, ver, ids[key], rid))
                    return 1
                ids[key] = int(rid)
    with open(os.path.join(d, "acked")) as f:
        acked = [tuple(l.split()) for l in f if l.strip()]
    c = Conn(url)
    bad = 0
    for path, ver in acked:
        st, body = c.get("/lookup/%s@%s" % (path, ver))
        if st != 200:
            print("FAIL: acknowledged %s@%s: lookup answered %s %r" % (path, ver, st, body[:100]))
            bad += 1
            continue
        rid, note = lookup_note(body)
        save_note(notes, note, lock)
        want = body.split(b"\n", 1)[1].split(b"\n\n", 1)[0] + b"\n"
        if want != gosum(path).encode():
            print("FAIL: %s@%s: another record text" % (path, ver))
            bad += 1
        if (path, ver) in ids and ids[(path, ver)] != rid:
            print("FAIL: %s@%s: id %d, a client was told %d" % (path, ver, rid, ids[(path, ver)]))
            bad += 1
    if bad:
        return 1
    print("verified %d records (%d with ids a client saw)" % (len(acked), len(ids)))
    return 0


def main():
    if len(sys.argv) == 8 and sys.argv[1] == "run":
        run(*sys.argv[2:])
        return 0
    if len(sys.argv) == 4 and sys.argv[1] == "verify":
        return verify(*sys.argv[2:])
    print(__doc__, file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
