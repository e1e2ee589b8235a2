#!/bin/sh
# sumdb against a log that lies: tests/e2e/evillog.py, a whole log with a
# key of its own that signs whatever tree it is told to, so that the
# verifier can be shown what no honest log shows.
#
# Every signed tree a lookup answer carries is checked against the trees
# known before (the run's others, and the accepted one with --state)
# before the answer's record is judged, as x/mod's client merges a
# lookup's tree before it checks the record: a fork shown once, in an
# answer whose record is then asked for again, or alongside tiles that do
# not match it, is a fork (exit 2, evidence kept with --state), never
# passed over.
. "$top_srcdir/tests/e2e/lib.sh"
trap 'evil_stop; rm -rf "$WORK"' EXIT
ST="$WORK/st"
evil_start
K=$EVIL_VKEY
U=$EVIL_URL
M5=example.com/m5@v1.0.0
M400=example.com/m400@v1.0.0

# the honest log "a" of 600 records: the state accepts it, go.sum has its lines
evil_set </dev/null
expect 0 'first run: trusting the tree of 600 records' "first audit of the honest log" -- \
    "$SUMDB" audit --state "$ST" --url "$U" "$K"
"$SUMDB" lookup --url "$U" "$K" "$M5" "$M400" >"$WORK/go.sum" 2>"$WORK/lookup.err"
expect 0 '^4$' "go.sum lines from the honest log" -- grep -c ' h1:' "$WORK/go.sum"
cp "$ST" "$WORK/st600"
# fresh_state: ST back to the state that accepted a's 600 records, no evidence
fresh_state() { rm -f "$ST" "$ST-wal" "$ST-shm"; cp "$WORK/st600" "$ST"; }

# The first answer to each lookup carries the signed tree of a fork of the
# same size ("b": records from 350 on differ) and an id outside it, so that
# its record is asked for again; every later answer is the honest log's.
# The two signed trees of 600 records prove the fork without any tile.
fork_once() {
	evil_set <<'EOF'
LOGS = {"a": recs(0, 600), "b": recs(0, 350) + recs(350, 600, "b")}
def hook(path, status, body):
    if path.startswith("/lookup/") and SEEN[path] == 1:
        status, body = answer(path, LOOKUP=("b", 600))
        return status, b"700\n" + body.split(b"\n", 1)[1]
    return status, body
EOF
}
fresh_state
fork_once
expect 2 'proof of misbehavior' "lookup --state: a fork shown once, in an answer asked for again, is a fork" -- \
    "$SUMDB" lookup --state "$ST" --url "$U" "$K" "$M5"
expect 2 'two different trees of the same size' "... and its evidence is kept in the state" -- \
    "$SUMDB" evidence --state "$ST" "$K"
# A state with no tree accepted yet (or an older one) has nothing that
# tells the two trees of 600 apart: the trees one run was shown must still
# be one log's, as without a state, and the fork is kept as evidence.
rm -f "$WORK/stn" "$WORK/stn-wal" "$WORK/stn-shm"
fork_once
expect 2 'proof of misbehavior' "lookup --state, no tree accepted yet: a fork shown once is a fork" -- \
    "$SUMDB" lookup --state "$WORK/stn" --url "$U" "$K" "$M5"
expect 2 'two different trees of the same size' "... and its evidence is kept in the state" -- \
    "$SUMDB" evidence --state "$WORK/stn" "$K"
expect 0 '^no tree$' "... and neither tree accepted" -- \
    sh -c '"$1" audit --no-first-run --state "$2" --url "$3" "$4" >/dev/null 2>&1; [ $? = 1 ] && echo no tree' - "$SUMDB" "$WORK/stn" "$U" "$K"
fork_once
expect 2 'two trees that cannot both be honest' "lookup: one lookup shown a fork, then the log, is a fork" -- \
    "$SUMDB" lookup --url "$U" "$K" "$M5"
fork_once
expect 2 ' 4 failed verification' "check --jobs 1: every version shown the fork fails verification" -- \
    "$SUMDB" check --jobs 1 --url "$U" "$K" "$WORK/go.sum"
fork_once
expect 2 ' 4 failed verification' "check: the same with lookups at once" -- \
    "$SUMDB" check --url "$U" "$K" "$WORK/go.sum"
fork_once
expect 2 'two trees that cannot both be honest' "prove: a lookup shown a fork, then the log, is a fork" -- \
    "$SUMDB" prove --url "$U" "$K" "$M5"
# Without a state the evidence is printed on standard error: both signed
# notes, which anyone can check (verify-note) and compare.
# evidence_notes CMD...: runs CMD; prints its exit status, the number of
# signed notes in the proof of misbehavior it printed on standard error,
# and the tree size verify-note finds in each
evidence_notes() {
	"$@" >/dev/null 2>"$WORK/ev.err"
	_rc=$?
	rm -f "$WORK"/ev.note*
	python3 - "$WORK/ev.err" "$WORK/ev.note" <<'EOF'
import sys
t = open(sys.argv[1], "rb").read()
t = t[t.find(b"proof of misbehavior: "):] if b"proof of misbehavior: " in t else b""
for i, n in enumerate(t.split(b"go.sum database tree\n")[1:]):
    n = b"go.sum database tree\n" + n
    k = n.index(b"\n", n.index(b"\n\n") + 2)
    open("%s%d" % (sys.argv[2], i), "wb").write(n[:k + 1])
EOF
	_sizes=
	for _f in "$WORK"/ev.note*; do
		[ -e "$_f" ] && _sizes="$_sizes $("$SUMDB" verify-note --vkey "$K" "$_f" | sed -n 's/^tree size: //p')"
	done
	echo "exit $_rc, notes:$_sizes"
}
fork_once
expect 0 '^exit 2, notes: 600 600$' "lookup: the two signed notes of the fork are printed" -- \
    evidence_notes "$SUMDB" lookup --url "$U" "$K" "$M5"
fork_once
expect 0 '^exit 2, notes: 600 600$' "check: the same, once for the versions that met it" -- \
    evidence_notes "$SUMDB" check --url "$U" "$K" "$WORK/go.sum"
fork_once
expect 0 '^exit 2, notes: 600 600$' "prove: the same" -- \
    evidence_notes "$SUMDB" prove --url "$U" "$K" "$M5"

# The fork's signed tree in the answer, with the honest log's tiles (which
# do not match it): still the same two signed trees of one size.
fresh_state
evil_set <<'EOF'
LOGS = {"a": recs(0, 600), "b": recs(0, 350) + recs(350, 600, "b")}
LOOKUP = ("b", 600)
EOF
expect 2 'proof of misbehavior.*two different trees of 600 records' \
    "lookup --state: a fork of the accepted size beside tiles that do not match it is a fork" -- \
    "$SUMDB" lookup --state "$ST" --url "$U" "$K" "$M5"
expect 2 'two different trees of the same size' "... and its evidence is kept in the state" -- \
    "$SUMDB" evidence --state "$ST" "$K"

# A larger fork ("c": record 599 differs, 650 records) shown once, with an
# id outside it; the tiles of widths only c has are c's, so that its tiles
# prove it is no extension of the accepted tree.
fresh_state
evil_set <<'EOF'
LOGS = {"a": recs(0, 600), "c": recs(0, 599) + recs(599, 650, "c")}
def hook(path, status, body):
    if path.startswith("/lookup/") and SEEN[path] == 1:
        status, body = answer(path, LOOKUP=("c", 650))
        return status, b"700\n" + body.split(b"\n", 1)[1]
    if path.startswith("/tile/8/0/002.p/") and int(path.split("/")[-1]) > 88:
        return answer(path, TILES="c")
    return status, body
EOF
expect 2 'proof of misbehavior.*not a prefix' "lookup --state: a larger fork shown once is a fork, proved by its tiles" -- \
    "$SUMDB" lookup --state "$ST" --url "$U" "$K" "$M5"

# A tree that cannot be checked against the accepted one (an older tree,
# the accepted tree's tile it needs neither cached nor served) does not
# hide what the record shows: a record forged for good is exit 2, as it
# is without that tree; an honest record is exit 1, could not check.
rm -f "$WORK/st1" "$WORK/st1-wal" "$WORK/st1-shm"
evil_set </dev/null
expect 0 'first run' "a first audit caches only the edge of the tree of 600" -- \
    "$SUMDB" audit --state "$WORK/st1" --url "$U" "$K"
cp "$WORK/st1" "$WORK/st1.copy"
evil_set <<'EOF'
LOOKUP = ("a", 450)
def hook(path, status, body):
    if path == "/tile/8/0/001":
        return 404, b"not found\n"
    if path.startswith("/lookup/example.com/m5@"):
        return status, body.replace(b"h1:LURcc", b"h1:AAAAA", 1)
    return status, body
EOF
expect 2 'VERIFICATION FAILED: the record for example.com/m5@v1.0.0 is not record 5' \
    "lookup --state: a forged record beside a tree that cannot be checked: exit 2" -- \
    "$SUMDB" lookup --state "$WORK/st1" --url "$U" "$K" "$M5"
expect 1 'm7@v1.0.0: could not check: .*tile/8/0/001' \
    "lookup --state: an honest record beside that tree: exit 1" -- \
    "$SUMDB" lookup --state "$WORK/st1.copy" --url "$U" "$K" example.com/m7@v1.0.0

# An answer garbled on the way is fetched again, whichever byte of its
# signature line was hit: one in the key's name or key hash (a note signed
# by no key known) as one in the signature (a signature that does not
# verify).  The same note by another key answered again is concluded:
# exit 2, as for a log under another key.
garble_once() {
	evil_set <<EOF
def hook(path, status, body):
    if (path == "/latest" or path.startswith("/lookup/")) and SEEN[path] == 1:
        i = body.rindex(b"\xe2\x80\x94 ") + $1
        body = body[:i] + (b"B" if body[i:i+1] != b"B" else b"C") + body[i+1:]
    return status, body
EOF
}
for at in 6 24 40; do   # in the name, the key hash, the signature
	fresh_state
	garble_once $at
	expect 0 'consistent: 600 records, unchanged' "audit: /latest garbled once at byte $at of its signature line" -- \
	    "$SUMDB" audit --state "$ST" --url "$U" "$K"
	garble_once $at
	expect 0 "^example.com/m5 v1.0.0 " "lookup --state: its answer garbled once at byte $at" -- \
	    "$SUMDB" lookup --state "$ST" --url "$U" "$K" "$M5"
	garble_once $at
	expect 0 ' 4 lines match the log' "check: each answer garbled once at byte $at" -- \
	    "$SUMDB" check --url "$U" "$K" "$WORK/go.sum"
done
evil_set <<'EOF'
def hook(path, status, body):
    if path == "/latest" or path.startswith("/lookup/"):
        i = body.rindex(b"\xe2\x80\x94 ")
        return status, body[:i] + OTHER.sigline(body[body.index(b"go.sum database tree"):i - 1])
    return status, body
EOF
fresh_state
: >"$WORK/evil.ctl.log"
expect 2 'does not verify: .*signed by unknown key evil.example/sumdb\+' \
    "audit: a note signed by another key of the name, each time: exit 2" -- \
    "$SUMDB" audit --state "$ST" --url "$U" "$K"
expect 2 'VERIFICATION FAILED: .*unknown key' "lookup: the same" -- \
    "$SUMDB" lookup --url "$U" "$K" "$M5"
expect 0 '^2$' "... /latest asked for twice, not more" -- grep -c '^/latest$' "$WORK/evil.ctl.log"

# A log may stop serving a partial tile once the full tile is there
# (c2sp.org/tlog-tiles; x/mod's client then reads the full tile's first
# hashes): a lookup answered with an older tree is checked with the full
# tile's prefix, authenticated as ever.  Twin: a full tile that does not
# match the older tree is still a tile that does not match.
evil_set <<'EOF'
LOOKUP = ("a", 300)
def hook(path, status, body):
    if path.startswith("/tile/") and ".p/" in path and answer(path.split(".p/")[0])[0] == 200:
        return 404, b"not found\n"
    return status, body
EOF
expect 0 "^example.com/m5 v1.0.0 " "lookup: an older tree's partial tile gone, its full tile read" -- \
    "$SUMDB" lookup --url "$U" "$K" "$M5"
expect 0 "^/tile/8/0/001\$" "... the full tile asked for" -- cat "$WORK/evil.ctl.log"
# An object store without list permission answers 403 for an object that
# is not there: read as gone too, as x/mod's client reads any failure.
evil_set <<'EOF'
LOOKUP = ("a", 300)
def hook(path, status, body):
    if path.startswith("/tile/") and ".p/" in path and answer(path.split(".p/")[0])[0] == 200:
        return 403, b"<Error><Code>AccessDenied</Code></Error>\n"
    return status, body
EOF
expect 0 "^example.com/m5 v1.0.0 " "lookup: an older tree's partial tile answered 403, its full tile read" -- \
    "$SUMDB" lookup --url "$U" "$K" "$M5"
evil_set <<'EOF'
LOGS = {"a": recs(0, 600), "b": recs(0, 290) + recs(290, 600, "b")}
LOOKUP = ("a", 300)
def hook(path, status, body):
    if path.startswith("/tile/") and ".p/" in path and answer(path.split(".p/")[0])[0] == 200:
        return 404, b"not found\n"
    if path == "/tile/8/0/001":
        return answer(path, TILES="b")
    return status, body
EOF
expect 2 'VERIFICATION FAILED: .*do not match' "lookup: a full tile that does not match the older tree: exit 2" -- \
    "$SUMDB" lookup --url "$U" "$K" "$M5"

# A signed tree of 0 records hashes to 32 zero bytes (x/mod's TreeHash);
# one with another hash is no tree at all, which a first run must not
# trust (audit --full refuses it too).  Twin: the empty tree, trusted.
evil_set <<'EOF'
def hook(path, status, body):
    if path == "/latest":
        return status, sign_note(tree_text(0, b"\x01" * 32))
    return status, body
EOF
expect 2 'tree of 0 records' "first audit: a tree of 0 records with a hash not zero: exit 2" -- \
    "$SUMDB" audit --state "$WORK/st0" --url "$U" "$K"
expect 0 '^no state$' "... and nothing stored" -- sh -c 'test -e "$1" && echo state || echo no state' - "$WORK/st0"
evil_set <<'EOF'
def hook(path, status, body):
    if path == "/latest":
        return status, sign_note(tree_text(0, b"\x00" * 32))
    return status, body
EOF
expect 0 'trusting the tree of 0 records' "first audit of the empty tree: exit 0" -- \
    "$SUMDB" audit --state "$WORK/st0" --url "$U" "$K"

# Twins: the honest log, the same commands, exit 0; the accepted tree is
# the one accepted before.
evil_set </dev/null
expect 0 "^example.com/m5 v1.0.0 " "lookup --state of the honest log" -- \
    "$SUMDB" lookup --state "$ST" --url "$U" "$K" "$M5"
expect 0 'consistent: 600 records, unchanged' "audit: the accepted tree is still the honest one" -- \
    "$SUMDB" audit --state "$ST" --url "$U" "$K"
expect 0 ' 4 lines match the log' "check of the honest log" -- \
    "$SUMDB" check --url "$U" "$K" "$WORK/go.sum"
expect 0 '^index 5$' "prove of the honest log" -- "$SUMDB" prove --url "$U" "$K" "$M5"

e2e_done
