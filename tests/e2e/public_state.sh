#!/bin/sh
# sumdbd serve over a public-log state in the database that is damaged
# (a disk fault, a hand edit): the accepted public tree does not verify
# under --public-key, or is missing while public_vkey names its key, or
# the tree kept for a key given before does not verify, or the accepted
# tree is there while public_vkey is missing.  Each time serve
# refuses to start (exit 1, never a silent first contact: a fork of the
# public log would pass), naming the database and the row, and saying
# what to do: put the row back, or delete it with the SQL it gives (run
# here as given: the next start is a first contact), or --no-public.
# The sqlite3 command it gives runs as pasted into a shell, and deletes
# that row alone, whatever the key's name holds (a ', a " $ ` !, UTF-8)
# and wherever the database is.  sumdbd status over each such damage,
# and over a misbehavior count or evidence row that is damaged, says so
# and never exits 0.
. "$top_srcdir/tests/e2e/lib.sh"
if ! command -v curl >/dev/null 2>&1; then
	echo "SKIP: needs curl"
	exit 77
fi
cleanup_state() {
	sumdbd_stop P
	e2e_cleanup
}
trap cleanup_state EXIT

# sql DB STATEMENT: runs STATEMENT on DB (no server holds it).
sql() {
	python3 -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute(sys.argv[2])
c.commit()' "$1" "$2"
}
# get DB KEY: the config value KEY of DB.
get() {
	python3 -c '
import sqlite3, sys
r = sqlite3.connect(sys.argv[1]).execute("SELECT value FROM config WHERE key = ?", (sys.argv[2],)).fetchone()
sys.stdout.write(r[0] if r else "")' "$1" "$2"
}
# serve ARGS...: sumdbd serve on the private database, expected to refuse
# to start (a server that starts after all is stopped by the timeout,
# exit 124, and fails the check); what it said is also kept in
# $WORK/refused.
serve() {
	timeout 60 "$SUMDBD" serve --db "$DB" --listen 127.0.0.1:0 --no-admin "$@" >"$WORK/refused" 2>&1
	_st=$?
	cat "$WORK/refused"
	return $_st
}
# advice: the SQL statement of the last refusal.
advice() { sed -n 's/^.*(sqlite3 .* "\(DELETE FROM config WHERE [^"]*\)").*$/\1/p' "$WORK/refused"; }

"$SUMDBD" init --db "$WORK/pub.db" --name pub.sum.example >"$WORK/pinit.out" 2>&1 ||
    { cat "$WORK/pinit.out"; exit 1; }
PKEY=$(sed -n 's/^verifier key: //p' "$WORK/pinit.out")
OKEY=$("$SUMDBD" keygen other.sum.example | sed -n 2p)
gosum_lines 0 20 | sed 's/^example\.com/pub.example.org/' >"$WORK/pub.sum"
"$SUMDBD" add --db "$WORK/pub.db" "$WORK/pub.sum" >/dev/null || exit 1
sumdbd_start P "$WORK/pub.db" --no-admin
DB="$WORK/priv.db"
"$SUMDBD" init --db "$DB" --name priv.sum.example >/dev/null 2>&1 || { echo "FAIL: init"; exit 1; }
start_sumdbd "$DB" --no-admin --public-key "$PKEY" --public-url "$P_URL"
expect 0 '^200$' "a public module is recorded: the public tree of 20 accepted" -- \
	curl -s -o /dev/null -w '%{http_code}' "$URL/lookup/pub.example.org/m0@v1.0.0"
stop_sumdbd
TREE=$(get "$DB" public_tree)

# --- sumdbd status over a damaged public state: never an all clear -----------
# Each case on a copy of the database: status says what cannot be read
# or what serve refuses, and exits 1, or 2 when evidence is stored.
S="$WORK/st.db"
# st SQL...: a copy of the database in $S, each SQL run on it.
st() {
	cp "$DB" "$S" || exit 1
	for _q in "$@"; do
		sql "$S" "$_q"
	done
}
# status: sumdbd status of the copy, its exit status last.
status() { "$SUMDBD" status --db "$S"; echo "exit $?"; }
EV="INSERT INTO config(key, value) VALUES ('public_evidence.0', 'public log misbehavior: a test' || char(10))"
st
status >"$WORK/st.out"
expect 0 '^public log misbehavior: 0 seen$' "status of the state intact: no misbehavior seen" -- cat "$WORK/st.out"
expect 0 '^public trees kept for keys given before: none$' "... no tree kept for another key" -- \
	cat "$WORK/st.out"
expect 0 '^exit 0$' "... exit 0" -- cat "$WORK/st.out"
# A record and its tree committed (as serve commits them) while status is
# paused between reading the record count and the newest tree: no
# damage, as status reads both in one snapshot.
st
mkdir "$WORK/pause"
SDB_TEST_PAUSE_DIR="$WORK/pause" "$top_builddir/tests/e2e/sumdbd_status_pause" status --db "$S" \
    >"$WORK/st.out" 2>&1 &
_pid=$!
wait_for 60 test -e "$WORK/pause/paused" || echo "status did not pause" >>"$WORK/st.out"
python3 -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
n = c.execute("SELECT count(*) FROM records").fetchone()[0]
c.execute("INSERT INTO records(id, path, version, text) VALUES (?, ?, ?, ?)",
          (n, "example.com/late", "v1.0.0", b"late"))
c.execute("INSERT INTO trees(size, hash, note) VALUES (?, zeroblob(32), ?)", (n + 1, b"late"))
c.commit()' "$S"
: >"$WORK/pause/go"
wait "$_pid"
echo "exit $?" >>"$WORK/st.out"
expect 0 '^tree: [0-9]+ records, root ' "a commit while status reads: the tree of its snapshot" -- \
	cat "$WORK/st.out"
expect 0 '^yes$' "... not said to be damaged" -- ok_if sh -c "! grep -q DAMAGED '$WORK/st.out'"
expect 0 '^exit 0$' "... exit 0" -- cat "$WORK/st.out"
st "$EV"
status >"$WORK/st.out"
expect 0 '^public log misbehavior: CANNOT BE READ: config public_evidence_count is missing, while 1 evidence row is stored' \
	"evidence stored without its count: status says the count cannot be read" -- cat "$WORK/st.out"
expect 0 '^public log misbehavior: a test$' "... shows the evidence" -- cat "$WORK/st.out"
expect 0 '^exit 2$' "... and exits 2" -- cat "$WORK/st.out"
st "$EV" "INSERT INTO config(key, value) VALUES ('public_evidence_count', 'many')"
status >"$WORK/st.out"
expect 0 '^public log misbehavior: CANNOT BE READ: config public_evidence_count is "many", not a count' \
	"a count that does not parse: cannot be read" -- cat "$WORK/st.out"
expect 0 '^exit 2$' "... evidence stored: exit 2" -- cat "$WORK/st.out"
st "INSERT INTO config(key, value) VALUES ('public_evidence_count', '')"
status >"$WORK/st.out"
expect 0 '^public log misbehavior: CANNOT BE READ: config public_evidence_count is "", not a count' \
	"an empty count, no evidence row: cannot be read" -- cat "$WORK/st.out"
expect 0 '^exit 1$' "... exit 1, not 0" -- cat "$WORK/st.out"
# a number past 2^63-1 is no count either (read as 2^63-1 once)
st "INSERT INTO config(key, value) VALUES ('public_evidence_count', '99999999999999999999')"
status >"$WORK/st.out"
expect 0 '^public log misbehavior: CANNOT BE READ: config public_evidence_count is "99999999999999999999", not a count' \
	"a count past 2^63-1: cannot be read" -- cat "$WORK/st.out"
st "$EV" "INSERT INTO config(key, value) VALUES ('public_evidence_count', '0')"
status >"$WORK/st.out"
expect 0 '^public log misbehavior: CANNOT BE READ: config public_evidence_count says 0, but evidence rows past it are stored' \
	"a count of 0 beside evidence: cannot be read" -- cat "$WORK/st.out"
expect 0 '^exit 2$' "... exit 2" -- cat "$WORK/st.out"
st "$EV" "INSERT INTO config(key, value) VALUES ('public_evidence_count', '2')"
status >"$WORK/st.out"
expect 0 '^--- evidence 2: MISSING: config public_evidence\.1 is not there' \
	"a counted evidence row missing: said" -- cat "$WORK/st.out"
expect 0 '^exit 2$' "... exit 2" -- cat "$WORK/st.out"
st "UPDATE config SET value = replace(value, char(10) || '20' || char(10), char(10) || '21' || char(10)) WHERE key = 'public_tree'"
status >"$WORK/st.out"
expect 0 '^public tree accepted: DAMAGED: it does not verify with its key: .*: serve with that --public-key refuses to start$' \
	"an accepted tree that does not verify: damaged" -- cat "$WORK/st.out"
expect 0 '^exit 1$' "... exit 1" -- cat "$WORK/st.out"
st "DELETE FROM config WHERE key = 'public_tree'"
status >"$WORK/st.out"
expect 0 '^public tree accepted: DAMAGED: config public_tree is missing, while public_vkey names its key: serve refuses to start, whatever --public-key \(only --no-public starts\)$' \
	"an accepted tree missing beside its key: damaged, not none yet" -- cat "$WORK/st.out"
expect 0 '^exit 1$' "... exit 1" -- cat "$WORK/st.out"
st "DELETE FROM config WHERE key = 'public_vkey'"
status >"$WORK/st.out"
expect 0 '^public log key: DAMAGED: config public_vkey is missing' \
	"an accepted tree without its key: damaged" -- cat "$WORK/st.out"
expect 0 '^exit 1$' "... exit 1" -- cat "$WORK/st.out"
st "INSERT INTO config(key, value) VALUES ('public_tree_for.$OKEY', 'x')"
status >"$WORK/st.out"
expect 0 '^public tree kept for other\.sum\.example\+[0-9a-f]{8}\+[^:]*: DAMAGED: it does not verify with its key' \
	"a tree kept for another key that does not verify: damaged" -- cat "$WORK/st.out"
expect 0 '^exit 1$' "... exit 1" -- cat "$WORK/st.out"

# --- the accepted tree does not verify ---------------------------------------
sql "$DB" "UPDATE config SET value = replace(value, char(10) || '20' || char(10), char(10) || '21' || char(10)) WHERE key = 'public_tree'"
expect 1 "^sumdbd serve: $WORK/priv\\.db: the public tree accepted before \\(config public_tree\\) does not verify with --public-key " \
	"an accepted tree that does not verify: refused, naming the database and the row" -- \
	serve --public-key "$PKEY" --public-url "$P_URL"
expect 0 'refusing to start rather than forget it' "... saying why" -- cat "$WORK/refused"
expect 0 'put back that row from a backup' "... that the row can be put back" -- cat "$WORK/refused"
expect 0 "^DELETE FROM config WHERE key IN \\('public_vkey', 'public_tree'\\)$" \
	"... or deleted, with the SQL to do it" -- advice
expect 0 'or serve with --no-public meanwhile$' "... or --no-public used meanwhile" -- cat "$WORK/refused"
expect 0 '^1$' "... one line" -- sh -c "wc -l <'$WORK/refused'"
expect 0 '^yes$' "... and the database is left as it was" -- \
	ok_if sh -c "test \"\$(python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(\"SELECT count(*) FROM config WHERE key = ? AND value LIKE ?\", (\"public_tree\", \"%\" + chr(10) + \"21\" + chr(10) + \"%\")).fetchone()[0])' '$DB')\" = 1"
start_sumdbd "$DB" --no-admin
expect 0 '^404$' "with --no-public it starts, public lookups off" -- \
	curl -s -o /dev/null -w '%{http_code}' "$URL/lookup/pub.example.org/m1@v1.0.0"
stop_sumdbd

# --- the advice followed ------------------------------------------------------
serve --public-key "$PKEY" --public-url "$P_URL" >/dev/null
advice >"$WORK/sql"
expect 0 '^DELETE ' "the refusal again gives the SQL" -- cat "$WORK/sql"
expect 0 '^yes$' "the advice's SQL runs" -- ok_if sql "$DB" "$(cat "$WORK/sql")"
start_sumdbd "$DB" --no-admin --public-key "$PKEY" --public-url "$P_URL"
expect 0 '^200$' "... and then serve starts; a public module is recorded" -- \
	curl -s -o /dev/null -w '%{http_code}' "$URL/lookup/pub.example.org/m1@v1.0.0"
expect 0 'first contact: trusting its tree of 20 records' "... as a first contact" -- \
	cat "$WORK/serve.err"
stop_sumdbd

# --- the accepted tree missing while public_vkey names its key ---------------
sql "$DB" "DELETE FROM config WHERE key = 'public_tree'"
expect 1 "^sumdbd serve: $WORK/priv\\.db: the public tree accepted before \\(config public_tree\\) is missing, while public_vkey names its key; refusing to start" \
	"an accepted tree missing beside its key: refused" -- \
	serve --public-key "$PKEY" --public-url "$P_URL"
expect 1 "^sumdbd serve: $WORK/priv\\.db: the public tree accepted before \\(config public_tree\\) is missing, while public_vkey names its key; refusing to start" \
	"... and so it is with another --public-key (as status says)" -- \
	serve --public-key "$OKEY" --public-url "$P_URL"
expect 0 "^DELETE FROM config WHERE key IN \\('public_vkey', 'public_tree'\\)$" \
	"... with the SQL to start afresh" -- advice

# --- the accepted tree there while public_vkey, its key, is missing ----------
st "DELETE FROM config WHERE key = 'public_vkey'" "INSERT INTO config(key, value) VALUES ('public_tree', '$TREE')"
_db=$DB DB=$S
expect 1 "^sumdbd serve: $WORK/st\\.db: the public tree accepted before \\(config public_tree\\) is there, while public_vkey, the key it is for, is missing; refusing to start" \
	"an accepted tree without its key: refused, not replaced by a first contact" -- \
	serve --public-key "$PKEY" --public-url "$P_URL"
DB=$_db
expect 0 "^DELETE FROM config WHERE key IN \\('public_vkey', 'public_tree'\\)$" \
	"... with the SQL to start afresh" -- advice
expect 0 '^yes$' "... and the tree is left as it was" -- ok_if test "$(get "$S" public_tree)" = "$TREE"

# --- the tree kept for a key given before does not verify ---------------------
# the accepted tree is another key's; P's own, kept from before, is damaged
sql "$DB" "INSERT INTO config(key, value) VALUES ('public_tree', 'x')"
sql "$DB" "UPDATE config SET value = '$OKEY' WHERE key = 'public_vkey'"
python3 -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("INSERT INTO config(key, value) VALUES (?, ?)",
          ("public_tree_for." + sys.argv[2], sys.argv[3].replace("\n20\n", "\n19\n")))
c.commit()' "$DB" "$PKEY" "$TREE"
expect 1 "^sumdbd serve: $WORK/priv\\.db: the public tree accepted before \\(config public_tree_for\\.pub\\.sum\\.example\\+[0-9a-f]{8}\\+[^)]*\\) does not verify with --public-key " \
	"a key given again whose tree kept from before does not verify: refused, naming its row" -- \
	serve --public-key "$PKEY" --public-url "$P_URL"
expect 0 "^DELETE FROM config WHERE key = 'public_tree_for\\.pub\\.sum\\.example\\+" \
	"... with the SQL that deletes that row" -- advice

# --- key names that SQL or a shell would read: the command given runs ---------
# Go's note names may hold any character but spaces and '+': a ' (SQL's
# quote), a " $ ` (a shell's, between the command's double quotes),
# UTF-8 (said as '?' in the line).  For each, the tree kept for the key
# is damaged, and the sqlite3 command of the refusal, run by a shell as
# pasted, deletes exactly that row.  sqlite3 here is a stand-in that runs
# its two arguments as sqlite3 would.
mkdir "$WORK/bin"
cat >"$WORK/bin/sqlite3" <<'PY'
#!/usr/bin/env python3
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute(sys.argv[2])
c.commit()
PY
chmod +x "$WORK/bin/sqlite3"
# keyname NAME: a verifier key named NAME (P's public key).
keyname() {
	python3 -c '
import base64, hashlib, sys
name = sys.argv[1].encode()
k = base64.b64decode(sys.argv[2].split("+", 2)[2])
h = hashlib.sha256(name + b"\n" + k).hexdigest()[:8]
sys.stdout.write(sys.argv[1] + "+" + h + "+" + base64.b64encode(k).decode())' "$1" "$PKEY"
}
# refusal_cmd: the sqlite3 command of the last refusal.
refusal_cmd() { sed -n 's/^.*(\(sqlite3 .*"\)); or serve with --no-public meanwhile$/\1/p' "$WORK/refused"; }
# rows DB: the config keys of DB that hold public state, one a line.
rows() {
	python3 -c '
import sqlite3, sys
for (k,) in sqlite3.connect(sys.argv[1]).execute("SELECT key FROM config WHERE key LIKE ? ORDER BY key", ("public%",)):
    print(k)' "$1"
}
# rows_kept DB: whether DB's public rows are those of $WORK/rows.before.
rows_kept() { rows "$1" | cmp -s - "$WORK/rows.before"; }
# quoted NAME DB DESC: the kept tree of the key named NAME damaged in DB;
# serve refuses, and the command it gives deletes that row alone.
quoted() {
	_key=$(keyname "$1")
	python3 -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("INSERT INTO config(key, value) VALUES (?, ?)", ("public_tree_for." + sys.argv[2], "x"))
c.commit()' "$2" "$_key"
	rows "$2" | grep -vxF "public_tree_for.$_key" >"$WORK/rows.before"
	_db=$DB DB=$2
	serve --public-key "$_key" --public-url "$P_URL" >/dev/null
	DB=$_db
	refusal_cmd >"$WORK/cmd"
	expect 0 '^sqlite3 ' "$3: the refusal gives a sqlite3 command" -- cat "$WORK/cmd"
	expect 0 '^yes$' "... which runs as pasted into a shell" -- \
		ok_if env PATH="$WORK/bin:$PATH" sh -c "cd '$WORK/bin' && $(cat "$WORK/cmd")"
	expect 0 '^yes$' "... and deletes that row, and only that row" -- \
		ok_if rows_kept "$2"
	expect 0 '^yes$' "... and nothing else ran" -- ok_if test ! -e "$WORK/bin/ran"
}
quoted "o'brien.sum.example" "$DB" "a key name with a '"
quoted "x\"\$(>ran)\`>ran\`!.sum.example" "$DB" 'a key name with " $( ` !'
quoted "sum.$(printf '\303\251').example" "$DB" "a key name in UTF-8"
cp "$DB" "$WORK/it's a db"
# a key name so long that the refusal would be cut in its command
_long=$(python3 -c 'print("l" * 450 + ".sum.example")')
_key=$(keyname "$_long")
python3 -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("INSERT INTO config(key, value) VALUES (?, ?)", ("public_tree_for." + sys.argv[2], "x"))
c.commit()' "$DB" "$_key"
serve --public-key "$_key" --public-url "$P_URL" >/dev/null
expect 0 'a first contact \((sqlite3 .*"|with sqlite3)\); or serve with --no-public meanwhile$' \
	"a key name too long for the command: the refusal leaves it out rather than cut" -- \
	cat "$WORK/refused"
quoted "o'hara.sum.example" "$WORK/it's a db" "a database path with a ' and spaces"
# A database path in UTF-8: a log line shows its bytes past ASCII as '?',
# and a command naming "base-??.db" would open another file (sqlite3
# makes it, empty): the refusal leaves the command out, and gives the
# statement alone, to be run on the database by hand.
_db8="$WORK/base-$(printf '\303\251').db"
cp "$WORK/it's a db" "$_db8"
_key=$(keyname "utf8path.sum.example")
python3 -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("INSERT INTO config(key, value) VALUES (?, ?)", ("public_tree_for." + sys.argv[2], "x"))
c.commit()' "$_db8" "$_key"
_db=$DB DB=$_db8
serve --public-key "$_key" --public-url "$P_URL" >/dev/null
DB=$_db
expect 0 "a first contact \\(with sqlite3 on the database, whose path holds bytes shown here as '\\?': DELETE FROM config WHERE key = 'public_tree_for\\.utf8path\\.sum\\.example\\+[^)]*'\\); or serve with --no-public meanwhile\$" \
	"a database path in UTF-8: the refusal names no sqlite3 command for another file, only the statement" -- \
	cat "$WORK/refused"
e2e_done
