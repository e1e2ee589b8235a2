#!/bin/sh
# sumdb audit against real sumdbd servers on loopback, behind a fault
# proxy that keeps one URL: first run, growth, a stale frontend, --full
# (incremental), never crying wolf (server down, 5xx then ok, garbled
# /latest, truncated tiles: exit 1, state unchanged), a forged tile, and a
# fork (a copy of the database grown differently under the same key, served
# on the same URL): exit 2, proof of misbehavior printed and stored, the
# accepted tree kept.
. "$top_srcdir/tests/e2e/lib.sh"
trap 'sumdbd_stop A; sumdbd_stop B; sumdbd_stop S; sumdbd_stop C; proxy_stop; rm -rf "$WORK"' EXIT
NAME=localhost.localdev/sumdb
ST="$WORK/audit.state"
ok_if() { "$@" && echo yes; }
audit() { "$SUMDB" audit --state "$ST" --url "$PROXY_URL" "$@" "$VKEY"; }
state_sum() { sqlite3 "$ST" 'SELECT size, hex(hash) FROM accepted' 2>/dev/null || python3 -c '
import sqlite3, sys; c = sqlite3.connect(sys.argv[1])
print("|".join(str(x) for x in c.execute("SELECT size, hex(hash) FROM accepted").fetchone()))' "$ST"; }

expect 0 'verifier key: ' "init log A" -- "$SUMDBD" init --db "$WORK/a.db" --name "$NAME"
VKEY=$(sed -n 's/^verifier key: //p' "$WORK/out")
gosum_lines 0 300 >"$WORK/g0.sum"
expect 0 'tree size 300' "add 300 records to A" -- "$SUMDBD" add --db "$WORK/a.db" "$WORK/g0.sum"
# B: a copy of A (same key, same first 300 records), to be grown differently
log_copy "$WORK/a.db" "$WORK/b.db"

sumdbd_start A "$WORK/a.db"
proxy_start
proxy_set "upstream $A_URL"

expect 0 '^first run: trusting the tree of 300 records' "first run trusts and says so" -- audit
expect 0 '^consistent: 300 records, unchanged' "second run, same tree" -- audit
expect 0 '"status":"consistent","tree_size":300,.*"old_tree_size":300,"latest_tree_size":300' "--json" -- audit --json
# a first run with --json: one object, the tree trusted (an audit job's
# first night)
ROOT_RE=$(curl -s "$A_URL/latest" | sed -n 3p | sed 's/[+.]/\\&/g')
expect 0 "^\\{\"status\":\"first-run\",\"trusted\":true,\"tree_size\":300,\"root_hash\":\"$ROOT_RE\",\"state\":\"$WORK/json-first.state\",\"evidence_count\":0\\}\$" \
	"--json, first run: one object naming the tree trusted" -- \
	"$SUMDB" audit --json --state "$WORK/json-first.state" --url "$PROXY_URL" "$VKEY"
expect 0 '^consistent: 300 records, unchanged' "... which the next run holds" -- \
	"$SUMDB" audit --state "$WORK/json-first.state" --url "$PROXY_URL" "$VKEY"
# --json when the audit cannot be done or fails at once: still one object
expect 1 '^\{"status":"could-not-check","detail":".+"\}$' "--json, log unreachable" -- \
	sh -c "'$SUMDB' audit --json --state '$ST' --url http://127.0.0.1:1 '$VKEY' 2>/dev/null"
expect 1 '^\{"status":"could-not-check","detail":".+"\}$' "--json, a malformed key" -- \
	sh -c "'$SUMDB' audit --json --state '$ST' --url '$PROXY_URL' not+a+key 2>/dev/null"
OTHER_VKEY=$("$SUMDBD" keygen "$NAME" | sed -n 2p)
expect 2 '^\{"status":"verification-failed","detail":".+"\}$' "--json, note not signed by the key" -- \
	sh -c "'$SUMDB' audit --json --state '$WORK/other.state' --url '$PROXY_URL' '$OTHER_VKEY' 2>/dev/null"

gosum_lines 300 420 >"$WORK/g1.sum"
expect 0 'tree size 420' "A grows to 420 (through the admin socket)" -- "$SUMDBD" add --db "$WORK/a.db" "$WORK/g1.sum"
expect 0 '^consistent: 300 -> 420 records' "growth is consistent" -- audit
expect 0 '^full audit: 420 records checked.*signed root' "--full checks every record" -- audit --full
expect 0 '420 verified by earlier runs|256 verified by earlier runs' "--full again resumes" -- audit --full
expect 0 '"root_ok":true' "--full --json" -- audit --full --json
audit --full --json >"$WORK/full.json" 2>/dev/null
expect 0 '^yes$' "... naming the state file that keeps what it finds" -- python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
print("yes" if o["state"] == sys.argv[2] and o["status"] == "ok" else o)' "$WORK/full.json" "$ST"
# The tail data tile has no level-1 hash: its records are checked against
# their authenticated level-0 hashes before anything is concluded, so that
# one garbled on the way is fetched again, as a full tile is, and one served
# wrong for good is a tile that does not match: never an invalid record
# kept as evidence against the log.
TS="$WORK/tail.state"
ta() { "$SUMDB" audit --state "$TS" --url "$PROXY_URL" "$@" "$VKEY"; }
proxy_set "upstream $A_URL" "flip-tile tile/8/data/001.p/164 1"
expect 0 '^full audit: 420 records checked.*signed root' "--full, the tail data tile garbled once: fetched again, exit 0" -- ta --full
proxy_set "upstream $A_URL" "flip-tile tile/8/data/001.p/164"
expect 2 'data/001.p/164: .*does not match the signed tree' "--full, the tail data tile served wrong for good: exit 2" -- ta --full
expect 0 ': 0 pieces of evidence' "... and no invalid record kept as evidence" -- "$SUMDB" evidence --state "$TS" "$VKEY"
# --json with no evidence: still JSON (a summary), never an empty output
"$SUMDB" evidence --json --state "$TS" "$VKEY" >"$WORK/ev0.json" 2>"$WORK/ev0.err"
expect 0 '^yes$' "evidence --json, no evidence: exit 0 and one summary object naming the state" -- python3 -c '
import json, sys
o = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
print("yes" if sys.argv[3] == "0" and o == [{"summary": True, "state": sys.argv[2], "evidence_count": 0}]
      else (sys.argv[3], o))' "$WORK/ev0.json" "$TS" "$?"
proxy_set "upstream $A_URL"
# a state file copied without its -dups files: checked again from the start
cp "$ST" "$WORK/copy.state"
expect 0 'starts again from record 0 \(the accepted tree is kept\)' \
	"--full on a state copied without its duplicate index: said" -- \
	"$SUMDB" audit --full --state "$WORK/copy.state" --url "$PROXY_URL" "$VKEY"
cp "$WORK/out" "$WORK/copy.out"
expect 0 '^full audit: 420 records checked.* 0 verified by earlier runs' "... and every record checked again" -- \
	cat "$WORK/copy.out"
expect 0 '420 verified by earlier runs|256 verified by earlier runs' "... after which it resumes as before" -- \
	"$SUMDB" audit --full --state "$WORK/copy.state" --url "$PROXY_URL" "$VKEY"

# never cry wolf: exit 1, state unchanged
before=$(state_sum)
proxy_set "upstream $A_URL" "down"
expect 1 'could not check' "server down: exit 1" -- audit
proxy_set "upstream http://127.0.0.1:1"
expect 1 'could not check' "connection refused upstream (502s): exit 1" -- audit
proxy_set "upstream $A_URL" "garble-latest"
expect 1 'could not check' "garbled /latest: exit 1, not 2" -- audit
proxy_set "upstream $A_URL" "truncate-tiles"
gosum_lines 420 430 >"$WORK/g2.sum"
expect 0 'tree size 430' "A grows to 430" -- "$SUMDBD" add --db "$WORK/a.db" "$WORK/g2.sum"
# keep a copy of A at 430 for the stale frontend below
sumdbd_stop A
log_copy "$WORK/a.db" "$WORK/a430.db"
sumdbd_start A "$WORK/a.db"
proxy_set "upstream $A_URL" "truncate-tiles"
expect 1 'could not check' "truncated tiles: exit 1, not 2" -- audit
expect 0 '^yes$' "state unchanged by all of that" -- ok_if test "$(state_sum)" = "$before"
proxy_set "upstream $A_URL" "fail 2 503"
expect 0 '^consistent: 420 -> 430 records' "503 twice, then ok: retried, exit 0" -- audit

# a forged level-0 tile below a correct parent: exit 2, not a fork
gosum_lines 430 600 >"$WORK/g3.sum"
expect 0 'tree size 600' "A grows to 600" -- "$SUMDBD" add --db "$WORK/a.db" "$WORK/g3.sum"
proxy_set "upstream $A_URL" "flip-tile tile/8/0/001"
expect 2 'do not match the signed tree' "forged tile: exit 2" -- audit
cp "$WORK/out" "$WORK/forged.out"
expect 0 '^yes$' "forged tile: no evidence of a fork stored" -- ok_if sh -c "! grep -q 'proof of misbehavior' '$WORK/forged.out'"

# a stale frontend: A's tree of 600 accepted, then a server still at 430
proxy_set "upstream $A_URL"
expect 0 '^consistent: 430 -> 600' "accept 600" -- audit
# a state that trusted 600 on its first run caches only that tree's edge
FS="$WORK/first600.state"
expect 0 '^first run: trusting the tree of 600' "another state's first run, at 600" -- \
	"$SUMDB" audit --state "$FS" --url "$PROXY_URL" "$VKEY"
sumdbd_stop A
sumdbd_start B "$WORK/b.db"
gosum_lines 1000 1150 x >"$WORK/gb.sum"
expect 0 'tree size 450' "B (same key, same first 300) grows differently to 450" -- "$SUMDBD" add --db "$WORK/b.db" "$WORK/gb.sum"
before=$(state_sum)
proxy_set "upstream $B_URL"
expect 2 '^proof of misbehavior' "fork on the same URL: exit 2, proof of misbehavior" -- audit
cp "$WORK/out" "$WORK/fork.out"
expect 0 'consistency proof 450 -> 600' "the proof hashes are printed" -- cat "$WORK/fork.out"
expect 0 '^go.sum database tree$' "both signed notes are printed" -- cat "$WORK/fork.out"
expect 0 '^yes$' "the accepted tree is kept" -- ok_if test "$(state_sum)" = "$before"
expect 0 '^1$' "the evidence is stored in the state" -- python3 -c '
import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM evidence WHERE text LIKE ?", ("%proof of misbehavior%",)).fetchone()[0])' "$ST"
expect 2 '"status":"fork"' "again with --json" -- audit --json
# A script running the audit finds the evidence from the JSON alone: the
# state file that keeps it, and the number sumdb evidence shows it under.
audit --json >"$WORK/fork.json" 2>/dev/null
"$SUMDB" evidence --json --state "$ST" "$VKEY" >"$WORK/ev.json" 2>/dev/null
expect 0 '^yes$' "--json, fork: the state file and the evidence's number, which sumdb evidence shows" -- \
	python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
ev = [json.loads(l) for l in open(sys.argv[3])]
s = ev.pop()
print("yes" if o["status"] == "fork" and o["evidence_stored"] is True and o["state"] == sys.argv[2]
      and o["evidence_n"] == 1 and [e["n"] for e in ev] == [1] and o["evidence_count"] == 1
      and s == {"summary": True, "state": sys.argv[2], "evidence_count": 1}
      and ev[0]["text"].startswith("proof of misbehavior") and o["latest"]["note"] in ev[0]["text"]
      else (o, ev))' "$WORK/fork.json" "$ST" "$WORK/ev.json"
expect 2 "the evidence is stored in the state file $ST\$" "... and the words name the state file too" -- audit
# A state that may only be read (another user's, mode 0444): evidence
# still reads it, exit 2 while it holds any.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1; then
	mkdir "$WORK/ro"
	python3 -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).execute("VACUUM INTO ?", (sys.argv[2],))' \
	    "$ST" "$WORK/ro/state"
	chmod 444 "$WORK/ro/state"
	chmod 1777 "$WORK/ro"
	chmod 711 "$WORK"
	expect 2 'proof of misbehavior' "sumdb evidence reads a read-only state of another user" -- \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$SUMDB" evidence --state "$WORK/ro/state" "$VKEY"
	# ... also in its owner's directory, which the reader cannot write
	# (where SQLite cannot make the -shm file it reads a state with),
	# as the nightly job's user keeps it (a copy of the state itself, in
	# WAL mode as the audit left it); the name needs no quoting
	mkdir "$WORK/svc"
	cp "$ST" "$WORK/svc/o?#%.state"
	chmod 755 "$WORK/svc"
	chmod 644 "$WORK/svc/o?#%.state"
	expect 2 '^--- evidence 1, stored .*---$' "sumdb evidence reads another user's state in that user's directory" -- \
		setpriv --reuid=65534 --regid=65534 --clear-groups "$SUMDB" evidence --state "$WORK/svc/o?#%.state" "$VKEY"
	expect 0 '^yes$' "... and leaves nothing beside it" -- \
		ok_if test "$(ls "$WORK/svc")" = 'o?#%.state'
	chmod 700 "$WORK"
else
	echo "SKIP: not root (or no setpriv): a read-only state of another user not checked"
fi
gosum_lines 1150 1400 x >"$WORK/gb2.sum"
expect 0 'tree size 700' "B grows past A" -- "$SUMDBD" add --db "$WORK/b.db" "$WORK/gb2.sum"
expect 2 'proof of misbehavior' "a larger forked tree: exit 2" -- audit
sumdbd_stop B

# a stale frontend: a copy of A at 430 while 600 is accepted is a prefix
sumdbd_start S "$WORK/a430.db"
proxy_set "upstream $S_URL"
expect 0 '^stale: the latest tree \(430 records\) is older' "stale frontend: checked as a prefix, exit 0" -- audit
expect 0 '^yes$' "stale frontend: the accepted tree is kept" -- ok_if test "$(state_sum)" = "$before"
expect 1 'could not check: the latest tree \(430 records\) is older than the accepted tree \(600 records' \
	"stale frontend, the accepted tree's tiles neither cached nor served: exit 1, saying what was checked" -- \
	"$SUMDB" audit --state "$FS" --url "$PROXY_URL" "$VKEY"
sumdbd_stop S

# a fork of the accepted size: another tree of 600 records
log_copy "$WORK/a430.db" "$WORK/c.db"
gosum_lines 430 600 c >"$WORK/gc.sum"
expect 0 'tree size 600' "C (a copy of A at 430) grows differently to 600" -- "$SUMDBD" add --db "$WORK/c.db" "$WORK/gc.sum"
sumdbd_start C "$WORK/c.db"
proxy_set "upstream $C_URL"
expect 2 '^two different trees of the same size' "same-size fork: exit 2, said so" -- audit
expect 0 '^yes$' "... with no computed hash or proof" -- ok_if sh -c "! grep -q 'computed\|consistency proof' '$WORK/out'"
expect 2 '"computed":null,"proof":\[\]' "same-size fork with --json: computed null, no proof" -- audit --json
audit --json >"$WORK/fork.json" 2>/dev/null
expect 0 '^yes$' "... its evidence a new piece, and the state named" -- python3 -c '
import json, sys
o = json.load(open(sys.argv[1]))
print("yes" if o["evidence_n"] > 1 and o["state"] == sys.argv[2] else o)' "$WORK/fork.json" "$ST"
expect 0 '^yes$' "same-size fork: the accepted tree is kept" -- ok_if test "$(state_sum)" = "$before"
sumdbd_stop C
sumdbd_start A "$WORK/a.db"
proxy_set "upstream $A_URL"
expect 0 '^consistent: 600 records, unchanged' "honest A again" -- audit
# the next nights are consistent again, and their JSON still says that
# the state holds evidence (the words on standard error say so too)
audit --json >"$WORK/again.json" 2>/dev/null
audit --full --json >"$WORK/again-full.json" 2>/dev/null
"$SUMDB" evidence --json --state "$ST" "$VKEY" >"$WORK/ev.json" 2>/dev/null
expect 0 '^yes$' "--json after a fork, consistent again: the evidence the state holds is counted" -- \
	python3 -c '
import json, sys
o, f = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
ev = [json.loads(l) for l in open(sys.argv[3]).read().splitlines()]
n = len(ev) - 1   # pieces of evidence, then the summary
print("yes" if o["status"] == "consistent" and n >= 2 and o["evidence_count"] == n and
      ev[-1]["evidence_count"] == n and
      f["evidence_count"] == n else (o, f, n))' "$WORK/again.json" "$WORK/again-full.json" "$WORK/ev.json"

# --state names a file of its own, never SQLite's memory or URI names, and
# an empty or foreign file is refused instead of starting a first run
sa() { "$SUMDB" audit --url "$PROXY_URL" "$@" "$VKEY"; }
expect 1 'no state file named' "--state '': refused" -- sa --state ""
expect 1 'forgotten at exit' "--state :memory:: refused" -- sa --state :memory:
expect 0 '^first run' "--state file:u.state?mode=memory: a file of that name" -- \
	sh -c "cd '$WORK' && '$SUMDB' audit --url '$PROXY_URL' --state 'file:u.state?mode=memory' '$VKEY'"
expect 0 '^consistent: 600 records, unchanged' "... kept between runs" -- \
	sh -c "cd '$WORK' && '$SUMDB' audit --url '$PROXY_URL' --state 'file:u.state?mode=memory' '$VKEY'"
: >"$WORK/empty.state"
expect 1 'state file .*/empty.state: the file is empty, so it is damaged' "an empty state file: refused, exit 1" -- sa --state "$WORK/empty.state"
before_a=$(python3 -c 'import sqlite3,sys; print(sorted(r[0] for r in sqlite3.connect(sys.argv[1]).execute("SELECT name FROM sqlite_master")))' "$WORK/a430.db")
expect 1 'not a sumdb state file \(it holds the table' "a sumdbd database as --state: refused" -- sa --state "$WORK/a430.db"
expect 0 '^yes$' "... and left without new tables" -- ok_if test "$before_a" = "$(python3 -c 'import sqlite3,sys; print(sorted(r[0] for r in sqlite3.connect(sys.argv[1]).execute("SELECT name FROM sqlite_master")))' "$WORK/a430.db")"
expect 1 'cannot create the state file .*/nodir/x.state: directory .*/nodir: No such file' "--state in a missing directory: named" -- sa --state "$WORK/nodir/x.state"
mkdir "$WORK/statedir"
expect 1 'state file .*/statedir: not a regular file \(a directory\): give --state a file' \
	"--state a directory: refused, saying to name a file" -- sa --state "$WORK/statedir"
expect 0 '^yes$' "... and nothing made in it" -- ok_if test -z "$(ls -A "$WORK/statedir")"

# A run that checks nothing makes no state file: a mistyped URL, or a key
# the log does not sign with, on the first night would leave a file that
# holds that key (the right key refused the next night) and reads as an
# audit with no evidence.
NEW="$WORK/new.state"
expect 2 '^sumdb audit: http://xxxxx@127\.0\.0\.1:[0-9]+/latest does not verify' \
	"first run, a key the log does not sign with: exit 2, the URL's password not shown" -- \
	"$SUMDB" audit --state "$NEW" --url "http://auditor:s3cret@${PROXY_URL#http://}" "$OTHER_VKEY"
expect 0 '^yes$' "... and no state file is made" -- ok_if test ! -e "$NEW"
expect 1 'no state file' "sumdb evidence: no audit has stored anything" -- "$SUMDB" evidence --state "$NEW" "$VKEY"
expect 0 '^first run: trusting the tree of 600' "the next run, with the right key, is a first run" -- sa --state "$NEW"
expect 1 'could not check' "first run, log unreachable: exit 1" -- sa --state "$WORK/new2.state" --url http://127.0.0.1:1
expect 0 '^yes$' "... and no state file is made" -- ok_if test ! -e "$WORK/new2.state"
expect 1 'could not check' "lookup --state, log unreachable: exit 1" -- \
	"$SUMDB" lookup --state "$WORK/lookup.state" --url http://127.0.0.1:1 "$VKEY" example.com/m1@v1.0.0
expect 0 '^yes$' "... and no state file is made" -- ok_if test ! -e "$WORK/lookup.state"

# --no-first-run: a lost state (a CI cache evicted, a new runner, a wrong
# --state) is a failure of its own, exit 1, before anything is fetched or
# made, instead of a first run that trusts whatever tree it is shown.
LOST="$WORK/lost.state"
expect 1 'no tree accepted .*lost.state.*does not exist.*restore it.*without --no-first-run' \
	"--no-first-run, no state file: exit 1, saying what to do" -- sa --state "$LOST" --no-first-run
expect 0 '^yes$' "... and no state file is made" -- ok_if test ! -e "$LOST"
expect 1 'no tree accepted' "--no-first-run --full: the same" -- sa --state "$LOST" --no-first-run --full
# ... also the default state (a new runner's fresh home): not even its
# directories are made
expect 1 'no tree accepted .*/nohome/\.local/state/csumdb/.*\.state does not exist' \
	"--no-first-run, no default state: exit 1" -- \
	env -u XDG_STATE_HOME HOME="$WORK/nohome" "$SUMDB" audit --url "$PROXY_URL" --no-first-run "$VKEY"
expect 0 '^yes$' "... and nothing is made under the home directory" -- ok_if test ! -e "$WORK/nohome"
# ... also a --state whose directory is gone with it (a cache evicted
# whole): a lost state, not a state file that could not be created
expect 1 '^sumdb audit: no tree accepted .*/gone/lost\.state does not exist.*restore it' \
	"--no-first-run, the --state directory gone too: exit 1, the state said lost" -- \
	sa --state "$WORK/gone/lost.state" --no-first-run
expect 1 '^\{"status":"no-accepted-tree","detail":".*/gone/lost\.state does not exist.*"\}$' \
	"... and in --json, its own status" -- \
	sh -c "'$SUMDB' audit --json --no-first-run --state '$WORK/gone/lost.state' --url '$PROXY_URL' '$VKEY' 2>/dev/null"
expect 0 '^yes$' "... and nothing is made" -- ok_if test ! -e "$WORK/gone"
# twins: a name no state file may have is refused as such, also here
expect 1 'no state file named' "--no-first-run --state '': refused" -- sa --state "" --no-first-run
expect 1 'a state in memory would be forgotten' "--no-first-run --state :memory:: refused" -- \
	sa --state :memory: --no-first-run
expect 1 'no tree accepted' "--no-first-run, the log unreachable: the same (nothing is fetched)" -- \
	"$SUMDB" audit --state "$LOST" --url http://127.0.0.1:1 --no-first-run "$VKEY"
expect 1 '^\{"status":"no-accepted-tree","detail":".*lost.state.*"\}$' \
	"--no-first-run --json: one object of its own status" -- \
	sh -c "'$SUMDB' audit --json --no-first-run --state '$LOST' --url '$PROXY_URL' '$VKEY' 2>/dev/null"
cp "$WORK/out" "$WORK/lost.json"
expect 0 '^no-accepted-tree$' "... which is JSON" -- python3 -c '
import json, sys
print(json.loads(open(sys.argv[1]).read())["status"])' "$WORK/lost.json"
# a state file that holds evidence but no tree is no accepted tree either
python3 -c 'import shutil, sys; shutil.copyfile(sys.argv[1], sys.argv[2])' "$NEW" "$LOST"
python3 -c 'import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute("DELETE FROM accepted"); c.commit()' "$LOST"
expect 1 'no tree accepted .*lost.state.*holds none' "--no-first-run, a state without a tree: exit 1" -- \
	sa --state "$LOST" --no-first-run
# Twin: with the tree accepted, --no-first-run changes nothing.
expect 0 '^consistent: 600 records, unchanged' "--no-first-run with a state: checked as ever" -- \
	sa --state "$NEW" --no-first-run
expect 0 '"status":"consistent"' "... also with --json" -- sa --state "$NEW" --no-first-run --json

# A damaged duplicate index is the state's fault, not the log's: exit 1,
# naming the file, never "malformed data tile".
printf 'garbage!garbage!' | dd of="$ST-dups" bs=16 count=1 conv=notrunc 2>/dev/null
expect 1 'duplicate index .*audit.state-dups is damaged' "--full with a damaged duplicate index: exit 1, the file named" -- audit --full
cp "$WORK/out" "$WORK/dups.out"
expect 0 '^yes$' "... and the log is not blamed" -- ok_if sh -c "! grep -q 'malformed data tile' '$WORK/dups.out'"
expect 0 'remove .*audit.state-dups and .*audit.state-dups.new to check every record again' \
	"... and the message says how to start the full audit again" -- cat "$WORK/dups.out"
rm -f "$ST-dups" "$ST-dups.new"
expect 0 'full audit starts again from record 0' "the index removed as it says: --full checks all again, exit 0" -- audit --full

# A first run reads the tree's right edge before trusting it: a garbled
# edge tile is fetched again (exit 0), one served wrong for good is exit 2
# with nothing stored.
ST="$WORK/first.state"
proxy_set "upstream $A_URL" "flip-tile tile/8/0/002.p/88 1"
expect 0 '^first run: trusting the tree of 600' "first run, an edge tile garbled once: fetched again, exit 0" -- audit
rm -f "$ST" "$ST-wal" "$ST-shm"
proxy_set "upstream $A_URL" "flip-tile tile/8/0/002.p/88"
expect 2 'do not match the signed tree.*nothing was stored' "first run, an edge tile forged: exit 2" -- audit
expect 0 '^yes$' "first run, forged edge: no state file made" -- ok_if test ! -e "$ST"
expect 0 '^accepted trees: 0$' "first run, forged edge: no tree accepted" -- python3 -c '
import os, sqlite3, sys
n = 0
if os.path.exists(sys.argv[1]):
    c = sqlite3.connect(sys.argv[1])
    if c.execute("SELECT count(*) FROM sqlite_master WHERE name = ?", ("accepted",)).fetchone()[0]:
        n = c.execute("SELECT count(*) FROM accepted").fetchone()[0]
print("accepted trees:", n)' "$ST"
e2e_done
