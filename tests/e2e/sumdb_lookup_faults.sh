#!/bin/sh
# sumdb lookup --state when the network fails part way, against real
# sumdbd servers behind the fault proxy (tests/e2e/sumdb_proxy.py): 500s
# on the lookup or on tiles, connections closed before or during an
# answer, truncated tiles, the server down, and one module failing among
# several.  While the faults last: exit 1, never 2, and the state is left
# as it was or consistent.  A fault that passes (a garbled tile on the
# consistency check's path, a garbled lookup answer) is fetched again, as
# audit does, instead of being called a forgery.  Afterwards audit --state
# and lookup --state of the same state exit 0 with the right go.sum lines.
# Real failures still exit 2: a tile forged for good, a forged record, a
# fork; and what a run authenticated against a forked tree never reaches
# the state, where a later run (a stale frontend) would meet it.
. "$top_srcdir/tests/e2e/lib.sh"
trap 'sumdbd_stop A; sumdbd_stop B; sumdbd_stop S; proxy_stop; rm -rf "$WORK"' EXIT
NAME=localhost.localdev/sumdb
ST="$WORK/st"
lk() { "$SUMDB" lookup --state "$ST" --url "$PROXY_URL" "$VKEY" "$@"; }
state_sum() { python3 -c '
import sqlite3, sys; c = sqlite3.connect(sys.argv[1])
print("|".join(str(x) for x in c.execute("SELECT size, hex(hash) FROM accepted").fetchone()))' "$ST"; }
# want M...: the go.sum lines of example.com/mM v1.0.0 for each M, in order
want() { for m in "$@"; do grep "^example.com/m$m " "$WORK/all.sum"; done; }
# same_lines M... -- COMMAND...: runs COMMAND and prints "exit N, same
# lines" when its standard output is exactly want M... ("other lines"
# otherwise), then its standard error.
same_lines() {
	want_args=
	while [ "$1" != -- ]; do want_args="$want_args $1"; shift; done
	shift
	"$@" >"$WORK/got" 2>"$WORK/got.err"
	rc=$?
	want $want_args >"$WORK/want"
	if cmp -s "$WORK/want" "$WORK/got"; then echo "exit $rc, same lines"; else echo "exit $rc, other lines:"; cat "$WORK/got"; fi
	cat "$WORK/got.err"
}

expect 0 'verifier key: ' "init log A" -- "$SUMDBD" init --db "$WORK/a.db" --name "$NAME"
VKEY=$(sed -n 's/^verifier key: //p' "$WORK/out")
gosum_lines 0 300 >"$WORK/g0.sum"
gosum_lines 300 600 >"$WORK/g1.sum"
gosum_lines 600 700 >"$WORK/g2.sum"
gosum_lines 1000 1400 x >"$WORK/gb.sum"
cat "$WORK/g0.sum" "$WORK/g1.sum" "$WORK/g2.sum" >"$WORK/all.sum"
expect 0 'tree size 300' "300 records in A" -- "$SUMDBD" add --db "$WORK/a.db" "$WORK/g0.sum"
# B: a copy of A (same key, same first 300 records), to be grown differently
log_copy "$WORK/a.db" "$WORK/b.db"

sumdbd_start A "$WORK/a.db"
proxy_start
proxy_set "upstream $A_URL"
expect 0 '^exit 0, same lines$' "lookup --state, first contact with the tree of 300: exit 0, the right go.sum lines" -- same_lines 5 -- lk example.com/m5@v1.0.0
# A grows to 600, by way of 430: S, a copy of A at 430, is a stale
# frontend later on.
head -n 260 "$WORK/g1.sum" >"$WORK/g1a.sum"
tail -n +261 "$WORK/g1.sum" >"$WORK/g1b.sum"
expect 0 'tree size 430' "A grows to 430" -- "$SUMDBD" add --db "$WORK/a.db" "$WORK/g1a.sum"
sumdbd_stop A
log_copy "$WORK/a.db" "$WORK/s.db"
sumdbd_start A "$WORK/a.db"
expect 0 'tree size 600' "A grows to 600" -- "$SUMDBD" add --db "$WORK/a.db" "$WORK/g1b.sum"
proxy_set "upstream $A_URL"
cp "$ST" "$WORK/st300"
before=$(state_sum)

# While the faults last: could not check, exit 1 (expect wants exactly 1,
# so a 2 fails), and the state as it was.  Tile 0/001 is read only by the
# consistency check 300 -> 600, not by m5's inclusion.
for fault in "fail 1000 500 /tile/" "fail 1000 500 /lookup/" "fail 1000 503 /tile/8/0/001" \
    "drop 1000 /tile/8/0/001" "cut 1000 /tile/8/0/001" "cut 1000 /lookup/" "truncate-tiles" \
    "down"; do
	proxy_set "upstream $A_URL" "$fault"
	expect 1 'could not check' "$fault: exit 1, not 2" -- lk example.com/m5@v1.0.0
	expect 0 '^yes$' "$fault: the state is unchanged" -- ok_if test "$(state_sum)" = "$before"
done
proxy_set "upstream $A_URL"
cp "$ST" "$WORK/st.copy"
expect 0 '^consistent: 300 -> 600 records' "then audit --state of that state: exit 0" -- \
	"$SUMDB" audit --state "$WORK/st.copy" --url "$PROXY_URL" "$VKEY"

# Faults that pass: retried (fetch.h) or fetched again (tiles and lookup
# answers that do not verify), exit 0 with the right lines.
for fault in "fail 3 500" "drop 2 /tile/8/0/001" "cut 2 /tile/" "flip-tile tile/8/0/001 1" \
    "flip-tile lookup/example.com/m5@v1.0.0 1"; do
	cp "$WORK/st300" "$ST"
	proxy_set "upstream $A_URL" "$fault"
	expect 0 '^exit 0, same lines$' "$fault, then none: exit 0, the right go.sum lines" -- same_lines 5 -- lk example.com/m5@v1.0.0
done

# One module of several fails (its lookup answers 500 for good): the others
# are printed, exit 1, and the state is consistent.
cp "$WORK/st300" "$ST"
proxy_set "upstream $A_URL" "fail 1000 500 lookup/example.com/m400@"
expect 0 '^exit 1, same lines$' "one of three modules cannot be checked: exit 1, the others printed" -- \
	same_lines 5 7 -- lk example.com/m5@v1.0.0 example.com/m400@v1.0.0 example.com/m7@v1.0.0
expect 0 'm400@v1.0.0: could not check' "and the one that could not be checked named" -- cat "$WORK/got.err"
expect 0 'm400@v1\.0\.0: could not check: .*: HTTP 500 after [0-9]+ attempts: injected failure$' \
	"... with what the server said of its failure" -- cat "$WORK/got.err"
proxy_set "upstream $A_URL"
cp "$ST" "$WORK/st.copy"
expect 0 '^consistent: 600 records, unchanged' "audit --state of that state: exit 0" -- \
	"$SUMDB" audit --state "$WORK/st.copy" --url "$PROXY_URL" "$VKEY"
expect 0 '^exit 0, same lines$' "lookup --state of that state, healthy: exit 0, the right go.sum lines" -- \
	same_lines 400 5 -- lk example.com/m400@v1.0.0 example.com/m5@v1.0.0

# Real failures still exit 2, and leave the accepted tree alone.
cp "$WORK/st300" "$ST"
proxy_set "upstream $A_URL" "flip-tile tile/8/0/001"
expect 2 'VERIFICATION FAILED.*does not match' "a tile forged for good: exit 2" -- lk example.com/m5@v1.0.0
expect 0 '^yes$' "a tile forged for good: the state is unchanged" -- ok_if test "$(state_sum)" = "$before"
proxy_set "upstream $A_URL" "forge example.com/m7@v1.0.0 7"
expect 2 'VERIFICATION FAILED' "a forged record: exit 2" -- lk example.com/m7@v1.0.0
expect 0 '^yes$' "a forged record: the state is unchanged" -- ok_if test "$(state_sum)" = "$before"

# A fork.  The state accepts A's tree of 600 (with the tiles of m400's
# and m5's inclusion cached, all a check of 430 against 600 needs); B is
# A's first 300 records grown differently to 700.
proxy_set "upstream $A_URL"
expect 0 '^exit 0, same lines$' "lookup --state accepts A's tree of 600" -- \
	same_lines 400 5 -- lk example.com/m400@v1.0.0 example.com/m5@v1.0.0
expect 0 'tree size 700' "B grows differently to 700" -- "$SUMDBD" add --db "$WORK/b.db" "$WORK/gb.sum"
sumdbd_start B "$WORK/b.db"
sumdbd_start S "$WORK/s.db"
before=$(state_sum)
proxy_set "upstream $B_URL"
expect 2 'VERIFICATION FAILED: proof of misbehavior' "a fork: exit 2" -- lk example.com/m1000@v1.0.0
expect 0 '^yes$' "a fork: the accepted tree is kept" -- ok_if test "$(state_sum)" = "$before"
# One run meets B first, with a forged record (a RECORD_MISMATCH after B's
# tiles were authenticated against B's tree; ID 65280's tile is never
# read), then A for the next module.
proxy_set "upstream $B_URL" "forge example.com/m1000@v1.0.0 65280" \
	"switch-on lookup/example.com/m5@ $A_URL"
expect 2 'm1000@v1.0.0: VERIFICATION FAILED' "B's forged record then A's record in one run: exit 2" -- \
	lk example.com/m1000@v1.0.0 example.com/m5@v1.0.0
expect 0 '^yes$' "the accepted tree is kept" -- ok_if test "$(state_sum)" = "$before"
expect 0 '^only A$' "the state caches no tile of B's tree" -- python3 -c '
import sqlite3, sys, urllib.request
def path(l, n, w):
    s = "%03d" % (n % 1000); n //= 1000
    while n: s = "x%03d/%s" % (n % 1000, s); n //= 1000
    return "tile/8/%d/%s%s" % (l, s, "" if w == 256 else ".p/%d" % w)
bad = []
for l, n, data in sqlite3.connect(sys.argv[1]).execute("SELECT l, n, data FROM tiles WHERE l >= 0"):
    p = path(l, n, len(data) // 32)
    try:
        a = urllib.request.urlopen(sys.argv[2] + "/" + p).read()
    except Exception as e:
        a = str(e).encode()
    if a != data: bad.append(p)
print("not tiles of A: " + " ".join(bad) if bad else "only A")' "$ST" "$A_URL"
# Without a state, one run still meets one log: A, then B for the next
# module (a split view) is a fork, proved from B's tiles, in lookup and in
# check.  B first and A after is proved too: A's tree is checked before
# m5's record, while the tiles the run authenticated against B's tree are
# still at hand (A does not serve them), as x/mod's client proves it from
# its tile cache.
proxy_set "upstream $A_URL" "switch-on lookup/example.com/m1000@ $B_URL"
expect 2 'example.com/m1000@v1.0.0: VERIFICATION FAILED.*two trees that cannot both be honest' \
	"lookup, no state, A then B in one run: exit 2" -- \
	"$SUMDB" lookup --url "$PROXY_URL" "$VKEY" example.com/m5@v1.0.0 example.com/m1000@v1.0.0
proxy_set "upstream $A_URL" "switch-on lookup/example.com/m1000@v $B_URL"
{ grep '^example.com/m1 ' "$WORK/g0.sum"; grep '^example.com/m1000 ' "$WORK/gb.sum"; } >"$WORK/split.sum"
expect 2 'example.com/m1000 v1.0.0: VERIFICATION FAILED.*two trees that cannot both be honest' \
	"check, A then B in one run: exit 2" -- "$SUMDB" check --url "$PROXY_URL" "$VKEY" "$WORK/split.sum"
proxy_set "upstream $B_URL" "switch-on lookup/example.com/m5@v $A_URL"
expect 2 'example.com/m5@v1.0.0: VERIFICATION FAILED.*two trees that cannot both be honest' \
	"lookup, B then A in one run: exit 2, proved from the tiles of B's tree" -- \
	"$SUMDB" lookup --url "$PROXY_URL" "$VKEY" example.com/m1000@v1.0.0 example.com/m5@v1.0.0
proxy_set "upstream $A_URL"
expect 1 '2 lines match the log, 0 mismatches, 0 failed verification, 2 not in the log' \
	"check against A alone: B's version is only unknown, exit 1" -- "$SUMDB" check --url "$PROXY_URL" "$VKEY" "$WORK/split.sum"
proxy_set "upstream $S_URL"
expect 0 '^exit 0, same lines$' "then a stale frontend (A at 430) is checked as a prefix: exit 0, the right lines" -- \
	same_lines 5 -- lk example.com/m5@v1.0.0
expect 0 '^yes$' "the accepted tree is kept" -- ok_if test "$(state_sum)" = "$before"

# Healthy again: the state serves both commands.
expect 0 'tree size 700' "A grows to 700" -- "$SUMDBD" add --db "$WORK/a.db" "$WORK/g2.sum"
proxy_set "upstream $A_URL"
expect 0 '^exit 0, same lines$' "lookup --state against the healthy server: exit 0, the right go.sum lines" -- \
	same_lines 650 5 400 -- lk example.com/m650@v1.0.0 example.com/m5@v1.0.0 example.com/m400@v1.0.0
expect 0 '^consistent: 700 records, unchanged' "audit --state of the same state: exit 0" -- \
	"$SUMDB" audit --state "$ST" --url "$PROXY_URL" "$VKEY"
sumdbd_stop A
sumdbd_stop B
sumdbd_stop S
proxy_stop
e2e_done
