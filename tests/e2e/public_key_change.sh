#!/bin/sh
# sumdbd serve given another --public-key than the one the database
# accepted public trees under (the operator moves to another public log,
# or back).  Two small sumdbd logs play the public logs A and B, B2 a
# fork of B (B's key, the same size, other records) and A2 a fork of A
# (A's key, larger, but not holding A's tree).  The private server, under
# A, accepts A's tree of 40 records; then, under B:
#   - at start it says the accepted tree is for A, not B, and that B is a
#     first contact;
#   - B's smaller tree (15) is accepted as a first contact, not judged
#     against A's tree (no fork blamed on B), and sumdbd status shows B's
#     key and tree;
#   - a restart under B keeps B's tree: no second first contact, and B2,
#     behind B's URL, is caught as a fork of it (evidence stored);
#   - back under A, A2 behind A's URL: no first contact, A's tree of 40
#     accepted before is the one checked against, and A2 is caught as a
#     fork of it (evidence stored, naming A's key);
#   - back under A, A's URL: recorded, A's tree the accepted one again,
#     and the evidence against B and A kept;
#   - under B once more: B's tree of 15 is the one checked against, no
#     first contact.
# With the misbehavior count deleted, new evidence goes beside the
# evidence stored, not over it.
# sumdbd status lists each key's kept tree (size, root) all along; A's
# deleted as sumdbd(8) says, status no longer lists it, and A given again
# is a first contact.
. "$top_srcdir/tests/e2e/lib.sh"
if ! command -v curl >/dev/null 2>&1; then
	echo "SKIP: needs curl"
	exit 77
fi
cleanup_key_change() {
	sumdbd_stop A
	sumdbd_stop B
	sumdbd_stop B2
	sumdbd_stop A2
	e2e_cleanup
}
trap cleanup_key_change EXIT

# pubinit NAME LOGNAME N0 N1: a public stand-in NAME.db with the records
# pub.example.org/mN, N0 <= N < N1; its verifier key in NAME.vkey.
pubinit() {
	"$SUMDBD" init --db "$WORK/$1.db" --name "$2" >"$WORK/$1.init" 2>&1 &&
	    sed -n 's/^verifier key: //p' "$WORK/$1.init" >"$WORK/$1.vkey" &&
	    pubadd "$1" "$3" "$4" || { echo "FAIL: init $1"; cat "$WORK/$1.init"; exit 1; }
}
# pubadd NAME N0 N1: adds pub.example.org/mN, N0 <= N < N1, to NAME.db.
pubadd() {
	gosum_lines "$2" "$3" | sed 's/^example\.com/pub.example.org/' >"$WORK/$1.sum" &&
	    "$SUMDBD" add --db "$WORK/$1.db" "$WORK/$1.sum" >"$WORK/$1.add" 2>&1 ||
	    { echo "FAIL: add to $1"; cat "$WORK/$1.add"; exit 1; }
}
pubinit A a.sum.example 0 10
log_copy "$WORK/A.db" "$WORK/A2.db"
pubadd A 10 40
pubadd A2 50 90
pubinit B b.sum.example 0 10
log_copy "$WORK/B.db" "$WORK/B2.db"
pubadd B 40 45
pubadd B2 45 50
AKEY=$(cat "$WORK/A.vkey") BKEY=$(cat "$WORK/B.vkey")
# the keys as regular expressions (they hold + and /)
AKEY_RE=$(sed 's/[+.]/\\&/g' "$WORK/A.vkey") BKEY_RE=$(sed 's/[+.]/\\&/g' "$WORK/B.vkey")
sumdbd_start A "$WORK/A.db" --no-admin
sumdbd_start B "$WORK/B.db" --no-admin
sumdbd_start B2 "$WORK/B2.db" --no-admin
sumdbd_start A2 "$WORK/A2.db" --no-admin

"$SUMDBD" init --db "$WORK/priv.db" --name priv.sum.example >/dev/null 2>&1 || { echo "FAIL: init"; exit 1; }
# code M: the status of a lookup of pub.example.org/M@v1.0.0 at $URL
code() { curl -s -o /dev/null -w '%{http_code}' "$URL/lookup/pub.example.org/$1@v1.0.0"; }
# status: sumdbd status of the private database, its exit status last
status() { "$SUMDBD" status --db "$WORK/priv.db"; echo "exit $?"; }
# said REGEX: how many lines of the server's standard error match
said() { grep -Ec -- "$1" "$WORK/serve.err" || true; }

start_sumdbd "$WORK/priv.db" --no-admin --public-key "$AKEY" --public-url "$A_URL"
expect 0 '^200$' "under A: a public module is recorded" -- code m0
stop_sumdbd
expect 0 '^public log key: a\.sum\.example\+' "... and A's tree is the accepted one" -- status

start_sumdbd "$WORK/priv.db" --no-admin --public-key "$BKEY" --public-url "$B_URL"
expect 0 '^1$' "under B: the start says the accepted tree is A's, and B a first contact" -- \
	said "^sumdbd: public log: the accepted tree in the database is for $AKEY_RE, not $BKEY_RE: first contact with the new key$"
expect 0 '^200$' "... B's tree of 15, smaller than A's 40, is no fork of it: recorded" -- code m1
expect 0 '^1$' "... as a first contact" -- said "first contact: trusting its tree of 15 records"
expect 0 '^0$' "... and no misbehavior is said" -- said MISBEHAVED
stop_sumdbd
status >"$WORK/status.b"
expect 0 "^public log key: $BKEY_RE$" "status: the accepted tree is for B's key" -- cat "$WORK/status.b"
expect 0 '^yes$' "... B's tree of 15" -- ok_if sh -c "grep -A2 '^public tree accepted:' '$WORK/status.b' | grep -qx 15"
expect 0 '^exit 0$' "... and no misbehavior seen" -- cat "$WORK/status.b"
expect 0 "^public tree kept for $AKEY_RE: 40 records, root [A-Za-z0-9+/]{43}= \\(what its log is checked against when serve is given that --public-key again\\)$" \
	"... and lists A's tree of 40, kept for when A is given again" -- cat "$WORK/status.b"

start_sumdbd "$WORK/priv.db" --no-admin --public-key "$BKEY" --public-url "$B2_URL"
expect 0 '^502$' "under B again, B2 (B forked, same size) behind B's URL: refused" -- code m2
expect 0 '^0$' "... no first contact at this start" -- said 'first contact'
expect 0 '^1$' "... the fork said" -- said "MISBEHAVED"
stop_sumdbd
expect 0 '^exit 2$' "status: misbehavior stored, exit 2" -- status

start_sumdbd "$WORK/priv.db" --no-admin --public-key "$AKEY" --public-url "$A2_URL"
expect 0 '^1$' "back under A: the accepted tree is B's, and A's own tree of 40 is checked against" -- \
	said "^sumdbd: public log: the accepted tree in the database is for $BKEY_RE, not $AKEY_RE: checking against the tree of 40 records accepted from $AKEY_RE before$"
expect 0 '^502$' "... A2 (A forked while B was the key) behind A's URL: refused" -- code m50
expect 0 '^0$' "... no first contact" -- said 'first contact'
expect 0 '^1$' "... the fork said" -- said "MISBEHAVED .*evidence stored"
stop_sumdbd
status >"$WORK/status.a2"
expect 0 '^public log misbehavior: 2 seen$' "status: the fork of A is stored" -- cat "$WORK/status.a2"
expect 0 "^public log: $AKEY_RE at $A2_URL$" "... naming A's key" -- sed -n '/^--- evidence 2 ---$/,$p' "$WORK/status.a2"
expect 0 '^40$' "... against A's tree of 40 accepted before" -- \
	sh -c "sed -n '/^--- evidence 2 ---$/,\$p' '$WORK/status.a2' | grep -A3 '^accepted tree (40 records):$' | sed -n 3p"

start_sumdbd "$WORK/priv.db" --no-admin --public-key "$AKEY" --public-url "$A_URL"
expect 0 '^1$' "under A, A's URL: A's tree of 40 is checked against again" -- \
	said "checking against the tree of 40 records accepted from $AKEY_RE before$"
expect 0 '^200$' "... a public module is recorded" -- code m3
expect 0 '^0$' "... no first contact" -- said 'first contact'
stop_sumdbd
status >"$WORK/status.a"
expect 0 "^public log key: $AKEY_RE$" "status: the accepted tree is A's" -- cat "$WORK/status.a"
expect 0 '^public log misbehavior: 2 seen$' "... the evidence against B and A is kept" -- cat "$WORK/status.a"
expect 0 "^public log: $BKEY_RE at $B2_URL$" "... naming B's key" -- sed -n '/^--- evidence 1 ---$/,/^--- evidence 2 ---$/p' "$WORK/status.a"
expect 0 '^exit 2$' "... and status still exits 2" -- cat "$WORK/status.a"
expect 0 "^public tree kept for $BKEY_RE: 15 records, root " "... and lists B's tree of 15, kept" -- \
	cat "$WORK/status.a"
expect 0 "^public tree kept for $AKEY_RE: 40 records, root .* \\(not used while it is the public log key; replaced when the key changes\\)$" \
	"... and A's own kept tree, said to be unused while A is the key" -- cat "$WORK/status.a"

start_sumdbd "$WORK/priv.db" --no-admin --public-key "$BKEY" --public-url "$B_URL"
expect 0 '^1$' "under B once more: B's tree of 15 is checked against" -- \
	said "^sumdbd: public log: the accepted tree in the database is for $AKEY_RE, not $BKEY_RE: checking against the tree of 15 records accepted from $BKEY_RE before$"
expect 0 '^200$' "... a public module is recorded" -- code m4
expect 0 '^0$' "... no first contact" -- said 'first contact'
stop_sumdbd
expect 0 "^public log key: $BKEY_RE$" "status: the accepted tree is B's again" -- status
expect 0 "^public tree kept for $AKEY_RE: 40 records, root " "... and A's tree of 40 is kept" -- status

# the misbehavior count deleted (a damaged or edited database): under B,
# B2 behind B's URL again, the new evidence goes beside the two stored,
# not over the first
python3 -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("DELETE FROM config WHERE key = ?", ("public_evidence_count",))
c.commit()' "$WORK/priv.db"
start_sumdbd "$WORK/priv.db" --no-admin --public-key "$BKEY" --public-url "$B2_URL"
expect 0 '^1$' "the misbehavior count deleted: serve says so at start" -- \
	said "^sumdbd: public log: config public_evidence_count is missing, while 2 evidence rows are stored \\(the database was damaged or edited\\): counting on from 2"
expect 0 '^502$' "... B2 behind B's URL: refused" -- code m6
expect 0 '^1$' "... and its evidence stored" -- said "MISBEHAVED .*evidence stored"
stop_sumdbd
status >"$WORK/status.cnt"
expect 0 '^public log misbehavior: 3 seen$' "status: 3 seen" -- cat "$WORK/status.cnt"
expect 0 "^public log: $AKEY_RE at $A2_URL$" "... the evidence against A still there" -- \
	sed -n '/^--- evidence 2 ---$/,/^--- evidence 3 ---$/p' "$WORK/status.cnt"
expect 0 "^public log: $BKEY_RE at $B2_URL$" "... and the first against B" -- \
	sed -n '/^--- evidence 1 ---$/,/^--- evidence 2 ---$/p' "$WORK/status.cnt"
expect 0 "^public log: $BKEY_RE at $B2_URL$" "... beside the new one" -- \
	sed -n '/^--- evidence 3 ---$/,$p' "$WORK/status.cnt"

# A's kept tree removed, as sumdbd(8) says: status no longer lists it, and
# A given again is a first contact
python3 -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("DELETE FROM config WHERE key = ?", ("public_tree_for." + sys.argv[2],))
c.commit()' "$WORK/priv.db" "$AKEY"
status >"$WORK/status.rm"
expect 0 '^yes$' "A's kept tree deleted: status no longer lists it" -- \
	ok_if sh -c "! grep -q '^public tree kept for a\\.sum\\.example' '$WORK/status.rm'"
expect 0 "^public tree kept for $BKEY_RE: 15 records, root " "... and still lists B's" -- \
	cat "$WORK/status.rm"
start_sumdbd "$WORK/priv.db" --no-admin --public-key "$AKEY" --public-url "$A_URL"
expect 0 '^1$' "... and A given again is a first contact" -- \
	said "^sumdbd: public log: the accepted tree in the database is for $BKEY_RE, not $AKEY_RE: first contact with the new key$"
stop_sumdbd
e2e_done
