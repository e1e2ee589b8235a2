#!/bin/sh
# sumdbd serve against a public log that lies: tests/e2e/evillog.py (a
# whole log with a key of its own, "a": 600 records example.com/mN) is
# the public log behind --public-url.
#
# Every signed tree a public lookup answer carries is checked against the
# accepted public tree before the answer's record is trusted, as the go
# command's client (x/mod) merges a lookup's tree before it checks the
# record, and as sumdb lookup does: a fork shown once, in an answer whose
# record is then asked for again or is no record of the tree, or beside
# tiles that do not match it, is a fork.  For each lie: the status and
# body a client gets, what is recorded (nothing from a lie), the evidence
# sumdbd status shows (only what the log signed and cannot deny), and the
# log line.
. "$top_srcdir/tests/e2e/lib.sh"
M60=
evil_cleanup() {
	if [ -n "$M60" ]; then
		kill "$M60" 2>/dev/null
		wait "$M60" 2>/dev/null
	fi
	sumdbd_stop S2
	evil_stop
	e2e_cleanup
}
trap evil_cleanup EXIT
if ! command -v curl >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: needs curl and python3"
	exit 77
fi
evil_start
K=$EVIL_VKEY
# with credentials, as a company's proxy of the public log may want them:
# shown nowhere (section at the end)
U="http://csumdb:s3cret-pw@${EVIL_URL#http://}"

# get M: GETs our lookup of example.com/M@v1.0.0; prints "STATUS BODY" on
# one line.
get() {
	curl -s --max-time 120 -o "$WORK/body" -w '%{http_code} ' "$URL/lookup/example.com/$1@v1.0.0"
	tr '\n' ' ' <"$WORK/body"
	echo
}
size() { curl -s "$URL/latest" | sed -n 2p; }
# status_of DB: sumdbd status's output; its exit status is its own.
status_of() { "$SUMDBD" status --db "$1"; }
# accepted DB: the size of the accepted public tree in DB.
accepted() { "$SUMDBD" status --db "$1" | sed -n '/^public tree accepted:/{n;n;p;}'; }

expect 0 'verifier key: ' "init our log" -- "$SUMDBD" init --db "$WORK/priv.db" --name corp.sum.example
VKEY=$(sed -n 's/^verifier key: //p' "$WORK/out")
evil_set </dev/null
start_sumdbd "$WORK/priv.db" --no-admin --public-key "$K" --public-url "$U"
expect 0 '^200 [0-9]+ example.com/m0 v1.0.0 h1:' "first contact with the honest public log: m0 recorded" -- get m0
expect 0 '^600$' "... its tree of 600 records accepted" -- accepted "$WORK/priv.db"

# --- lies that prove nothing against the log: refused, nothing kept ------
# A record whose hashes differ from what the tiles prove.
evil_set <<'EOF'
def hook(path, status, body):
    if path.startswith("/lookup/") and status == 200:
        i = body.index(b" h1:") + 4
        return status, body[:i] + (b"A" if body[i:i+1] != b"A" else b"B") + body[i+1:]
    return status, body
EOF
expect 0 '^502 .*did not verify: .*not record 11 of the signed tree' "a forged record: 502, did not verify" -- get m11
# A record outside its tree (an id past it), another module's record.
evil_set <<'EOF'
def hook(path, status, body):
    if path.startswith("/lookup/") and status == 200:
        return status, b"600\n" + body.split(b"\n", 1)[1]
    return status, body
EOF
expect 0 '^502 .*did not verify: record 600 is not in the signed tree of 600' "an id outside its tree: 502" -- get m12
evil_set <<'EOF'
def hook(path, status, body):
    if path.startswith("/lookup/"):
        return answer("/lookup/example.com/m1@v1.0.0")
    return status, body
EOF
expect 0 '^502 .*did not verify: .*with the record of example.com/m1 v1.0.0' "another module's record: 502" -- get m13
# A note signed by another key of the log's name, every time; a note
# garbled every time.
evil_set <<'EOF'
def hook(path, status, body):
    if path.startswith("/lookup/"):
        i = body.rindex(b"\xe2\x80\x94 ")
        return status, body[:i] + OTHER.sigline(body[body.index(b"go.sum database tree"):i - 1])
    return status, body
EOF
expect 0 '^502 .*did not verify: .*unknown key' "a note by another key: 502" -- get m14
evil_set <<'EOF'
def hook(path, status, body):
    if path.startswith("/lookup/"):
        return status, body[:-30]
    return status, body
EOF
expect 0 '^502 .*' "a note garbled every time: 502" -- get m15
expect 0 '^1$' "none of them recorded: our log holds m0 alone" -- size
expect 0 'did not verify: .*not evidence against the log' "each is logged as not verified" -- cat "$WORK/serve.err"
expect 0 '^yes$' "... none as MISBEHAVED" -- ok_if sh -c "! grep -q MISBEHAVED '$WORK/serve.err'"
expect 0 'misbehavior: 0 seen' "sumdbd status: exit 0, no evidence" -- status_of "$WORK/priv.db"

# --- forks --------------------------------------------------------------
# "b": the same 600 records but from 350 on.
# A fork of the accepted size, shown once in an answer whose id is outside
# it; every later answer is the honest log's.
evil_set <<'EOF'
LOGS = {"a": recs(0, 600), "b": recs(0, 350) + recs(350, 600, "b")}
def hook(path, status, body):
    if path.startswith("/lookup/") and SEEN[path] == 1:
        status, body = answer(path, LOOKUP=("b", 600))
        return status, b"700\n" + body.split(b"\n", 1)[1]
    return status, body
EOF
expect 0 '^502 .*misbehaved: two different trees of 600 records' \
    "a fork shown once, in an answer whose record is outside its tree: 502, misbehaved" -- get m21
expect 2 'misbehavior: 1 seen' "sumdbd status: exit 2, the fork kept" -- status_of "$WORK/priv.db"
expect 2 'two different trees of 600 records signed by the same key' "... both trees of 600 in it" -- \
    status_of "$WORK/priv.db"
expect 0 'MISBEHAVED \(example.com/m21@v1.0.0\).*evidence stored' "a MISBEHAVED line" -- cat "$WORK/serve.err"
expect 0 '^1$' "nothing recorded" -- size
# The go command, through us, meets the same fork shown once: it fails,
# naming the public log's misbehavior.
if command -v go >/dev/null 2>&1; then
	python3 "$top_srcdir/tests/e2e/mkzip.py" proxy "$WORK/proxy" example.com/m28 v1.0.0 1 2 || exit 1
	gomain "$WORK/gm" example.com/m28@v1.0.0
	evil_set <<'EOF'
LOGS = {"a": recs(0, 600), "b": recs(0, 350) + recs(350, 600, "b")}
def hook(path, status, body):
    if path.startswith("/lookup/") and SEEN[path] == 1:
        status, body = answer(path, LOOKUP=("b", 600))
        return status, b"700\n" + body.split(b"\n", 1)[1]
    return status, body
EOF
	expect 1 'example.com/m28@v1.0.0.*502 Bad Gateway' "go mod download: fails with our 502" -- \
	    gorun "$WORK/gm" "$WORK/gp" "$VKEY $URL" go mod download example.com/m28
	cp "$WORK/out" "$WORK/go.out"
	expect 0 'server response: .*misbehaved: two different trees of 600 records' \
	    "... showing our body, which names the misbehavior" -- cat "$WORK/go.out"
	expect 0 '^1$' "nothing recorded" -- size
else
	echo "note: the go command's view not checked: no go command"
fi

# The same fork shown once in an answer whose record is no go.sum record
# (asked for again, as damaged on the way), then honesty.
evil_set <<'EOF'
LOGS = {"a": recs(0, 600), "b": recs(0, 350) + recs(350, 600, "b")}
def hook(path, status, body):
    if path.startswith("/lookup/") and SEEN[path] == 1:
        status, body = answer(path, LOOKUP=("b", 600))
        return status, body.replace(b" h1:", b" h1:garbled", 1)
    return status, body
EOF
expect 0 '^502 .*misbehaved: two different trees of 600 records' \
    "a fork shown once in an answer then asked for again: 502, not the honest answer recorded" -- get m22
expect 0 '^1$' "nothing recorded" -- size

# The fork's tree in every answer, beside the honest log's tiles.
evil_set <<'EOF'
LOGS = {"a": recs(0, 600), "b": recs(0, 350) + recs(350, 600, "b")}
LOOKUP = ("b", 600)
EOF
expect 0 '^502 .*misbehaved: two different trees of 600 records' \
    "a fork of the accepted size beside tiles that do not match it: 502, misbehaved" -- get m23
# (m28's line, when the go command ran, is the first of its kind: the
# others are said at most once a minute)
expect 0 'MISBEHAVED \(example.com/m2[38]@v1.0.0\).*stored already' \
    "... the same two trees met again: logged, stored once" -- cat "$WORK/serve.err"

# A larger fork ("c": record 599 differs, 650 records) shown once with an
# id outside it; the tiles of widths only c has are c's, so that its
# tiles prove it is no extension of the accepted tree.
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
expect 0 '^502 .*misbehaved: the tree of 600 records is not a prefix of the tree of 650' \
    "a larger fork shown once: 502, misbehaved, proved by its tiles" -- get m24
expect 2 'consistency proof \([1-9][0-9]* hashes\)' "sumdbd status: its proof" -- status_of "$WORK/priv.db"

# Rollback: a smaller tree that is a prefix of the accepted one (a stale
# cache) is good; one that is not is a fork.
evil_set <<'EOF'
LOOKUP = ("a", 450)
EOF
expect 0 '^200 [0-9]+ example.com/m25 v1.0.0 h1:' "an older tree, a prefix of the accepted one: recorded" -- get m25
expect 0 '^600$' "... the accepted tree stays 600" -- accepted "$WORK/priv.db"
evil_set <<'EOF'
LOGS = {"a": recs(0, 600), "b": recs(0, 350) + recs(350, 600, "b")}
LOOKUP = ("b", 450)
TILES = "b"
EOF
expect 0 '^502 .*misbehaved: the tree of 450 records is not a prefix of the tree of 600' \
    "an older tree that is no prefix of the accepted one: 502, misbehaved" -- get m26
# A signed tree of 0 records whose hash is not 32 zero bytes.
evil_set <<'EOF'
def hook(path, status, body):
    if path.startswith("/lookup/") and status == 200:
        return status, body[:body.index(b"go.sum database tree")] + sign_note(tree_text(0, b"\x01" * 32))
    return status, body
EOF
expect 0 '^502 .*misbehaved: the tree of 0 records is not a prefix' \
    "a signed tree of 0 records with a hash not zero: 502, misbehaved" -- get m27
# The first fork again, after others were stored: kept once.
evil_set <<'EOF'
LOGS = {"a": recs(0, 600), "b": recs(0, 350) + recs(350, 600, "b")}
LOOKUP = ("b", 600)
EOF
expect 0 '^502 .*misbehaved: two different trees of 600 records' \
    "the first fork again, after others: 502, misbehaved" -- get m29
expect 0 '^yes$' "... not logged as stored again" -- \
    ok_if sh -c "! grep -E 'MISBEHAVED \(example.com/m29@v1.0.0\).*evidence stored' '$WORK/serve.err'"
expect 0 '^2$' "only m0 and m25 recorded" -- size
expect 0 '^600$' "the accepted tree is still the honest 600" -- accepted "$WORK/priv.db"
expect 2 'misbehavior: 4 seen' "sumdbd status: four forks kept (the trees of 600 once)" -- status_of "$WORK/priv.db"

# --- first contact ------------------------------------------------------
# A second log that has accepted nothing: shown the fork "b" once (its
# tiles served with it, then the honest log's), in an answer whose record
# is asked for again.  The two trees of 600 are one log's fork.
# new_server ARGS...: a new log of our own, S2 ($WORK/s2.db), that has
# accepted no public tree yet, served with ARGS.
S2N=0
new_server() {
	sumdbd_stop S2
	S2N=$((S2N + 1))
	S2DB=$WORK/s2-$S2N.db
	"$SUMDBD" init --db "$S2DB" --name corp2.sum.example >/dev/null
	sumdbd_start S2 "$S2DB" --no-admin --public-key "$K" --public-url "$U" "$@"
}
get2() {
	curl -s --max-time 120 -o "$WORK/body" -w '%{http_code} ' "$S2_URL/lookup/example.com/$1@v1.0.0"
	tr '\n' ' ' <"$WORK/body"
	echo
}
evil_set <<'EOF'
LOGS = {"a": recs(0, 600), "b": recs(0, 350) + recs(350, 600, "b")}
def hook(path, status, body):
    first = SEEN.get("/lookup/example.com/m31@v1.0.0", 0) <= 1
    if path.startswith("/lookup/") and SEEN[path] == 1:
        status, body = answer(path, LOOKUP=("b", 600))
        return status, body.replace(b" h1:", b" h1:garbled", 1)
    if path.startswith("/tile/") and first:
        return answer(path, TILES="b")
    return status, body
EOF
new_server
expect 0 '^502 .*misbehaved: two different trees of 600 records' \
    "first contact, a fork shown once then honesty: 502, misbehaved" -- get2 m31
expect 0 '^0$' "... nothing recorded" -- sh -c "curl -s '$S2_URL/latest' | sed -n 2p"
expect 2 'misbehavior: 1 seen' "... the fork kept" -- status_of "$S2DB"
# A first contact with a tree of 0 records whose hash is not zero.
evil_set <<'EOF'
def hook(path, status, body):
    if path.startswith("/lookup/") and status == 200:
        return status, body[:body.index(b"go.sum database tree")] + sign_note(tree_text(0, b"\x01" * 32))
    return status, body
EOF
new_server
expect 0 '^502 .*misbehaved: a signed tree of 0 records whose hash is not 32 zero bytes' \
    "first contact, a tree of 0 records with a hash not zero: 502, misbehaved" -- get2 m32
expect 2 'public tree accepted: none yet' "... nothing accepted" -- status_of "$S2DB"
expect 2 'misbehavior: 1 seen' "... the signed tree kept" -- status_of "$S2DB"

# --- big and slow answers -----------------------------------------------
evil_set <<'EOF'
def hook(path, status, body):
    if path.startswith("/lookup/"):
        return status, body + b"x" * 2000000
    return status, body
EOF
expect 0 '^502 .*response over' "an oversized lookup answer: 502" -- get m41
evil_set <<'EOF'
def hook(path, status, body):
    if path.startswith("/tile/"):
        return status, body * 300
    return status, body
EOF
new_server
expect 0 '^502 ' "oversized tiles: 502" -- get2 m42
evil_set <<'EOF'
import time
def hook(path, status, body):
    if path.startswith("/lookup/"):
        time.sleep(8)
    return status, body
EOF
new_server --public-timeout 2
expect 0 '^504 .*(timed out|time allowed)' "a lookup answered past --public-timeout: 504" -- get2 m43
evil_set <<'EOF'
import time
def hook(path, status, body):
    if path.startswith("/tile/"):
        time.sleep(8)
    return status, body
EOF
expect 0 '^504 .*(timed out|time allowed)' "a tile answered past --public-timeout: 504" -- get2 m44
expect 0 '^0$' "... nothing recorded" -- sh -c "curl -s '$S2_URL/latest' | sed -n 2p"
sumdbd_stop S2

# Twin: the honest log, recorded.
evil_set </dev/null
expect 0 '^200 [0-9]+ example.com/m50 v1.0.0 h1:' "the honest log again: recorded" -- get m50

# --- two lookups at once, the accepted tree moving under one ---------------
# The log grows to 700.  m60's answer shows its tree of 650, whose check
# waits on a slow tile; meanwhile m61's shows 700, which becomes the
# accepted tree.  m60's check, made against 600, must not then move the
# accepted tree back to 650: it is checked again against 700.  The order
# is made, not hoped for: m61 is asked once the slow tile has been asked
# for, and that tile is held until m61 has its answer (at most 15 s, well
# inside the default --public-timeout of 20 s, so a hold gone wrong ends
# the wait rather than the lookup).
tiles_before=$(grep -cx /tile/8/0/002.p/138 "$WORK/evil.ctl.log")
rm -f "$WORK/m61.done"
evil_set <<EOF
import os, time
LOGS = {"a": recs(0, 700)}
def hook(path, status, body):
    if path == "/lookup/example.com/m60@v1.0.0":
        return answer(path, LOOKUP=("a", 650))
    if path == "/tile/8/0/002.p/138" and SEEN[path] == 1:
        for _ in range(150):
            if os.path.exists("$WORK/m61.done"):
                break
            time.sleep(0.1)
    return status, body
EOF
slow_tile_asked() {
	[ "$(grep -cx /tile/8/0/002.p/138 "$WORK/evil.ctl.log")" -gt "$tiles_before" ]
}
get m60 >"$WORK/m60.out" &
M60=$!
expect 0 '^yes$' "m60's check waits on the slow tile" -- ok_if wait_for 30 slow_tile_asked
expect 0 '^200 [0-9]+ example.com/m61 v1.0.0 h1:' "a lookup showing 700 beside a slow one showing 650" -- get m61
: >"$WORK/m61.done"
expect 0 '^700$' "... 700 accepted" -- accepted "$WORK/priv.db"
wait "$M60"
M60=
expect 0 '^200 [0-9]+ example.com/m60 v1.0.0 h1:' "the slow one, a prefix of 700: recorded" -- cat "$WORK/m60.out"
expect 0 '^700$' "... the accepted tree stays 700, not moved back to 650" -- accepted "$WORK/priv.db"
expect 0 '^/tile/8/0/002\.p/138$' "... (the slow tile was asked for)" -- grep -x /tile/8/0/002.p/138 "$WORK/evil.ctl.log"

# --- the public log gone; its credentials --------------------------------
evil_stop
# A server of its own: a line of this kind (an answer that did not parse)
# was said less than a minute ago, and such lines are said at most once a
# minute.  (What the first one said stays for the checks below.)
stop_sumdbd
cp "$WORK/serve.err" "$WORK/serve1.err"
start_sumdbd "$WORK/priv.db" --no-admin --public-key "$K" --public-url "$U"
expect 0 '^502 ' "the public log unreachable: 502" -- get m51
expect 0 'public log http://xxxxx@127\.0\.0\.1:[0-9]+: example\.com/m51@v1\.0\.0 not recorded: ' \
    "... and a log line saying why" -- cat "$WORK/serve.err"
stop_sumdbd
expect 0 '^yes$' "the public log's password is in no log line" -- \
    ok_if sh -c "! grep -l s3cret-pw '$WORK'/*.err"
expect 0 '^yes$' "... nor in the evidence sumdbd status shows" -- \
    ok_if sh -c "for d in '$WORK'/*.db; do '$SUMDBD' status --db \"\$d\"; done >'$WORK/all.status' 2>&1;
        grep -q 'public log misbehavior' '$WORK/all.status' && ! grep -q s3cret-pw '$WORK/all.status'"
e2e_done
