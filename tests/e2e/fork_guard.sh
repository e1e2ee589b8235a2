#!/bin/sh
# Forks and the server's refusals (DESIGN.md "Rules that are never bent").
#   - sumdbd's own refusals at the command line: a second `sumdbd serve`
#     on a database in use; a database whose stored tiles no longer give
#     the last signed root (a corrupted tile); a tampered signed tree row;
#     a log rolled back under a tree it has signed, which must not sign a
#     second tree of that size.
#   - the signer key's checkpoint: an older copy of the database (a
#     restored backup), a copy grown apart, a new log, or a second server
#     under one key file are refused; a checkpoint a crash left one tree
#     behind is accepted.
#   - a fork the server cannot prevent (a copy of the database grown
#     differently and served under the same key): the real go command,
#     holding a tree of one branch (same GOPATH, cached latest), reports
#     misbehaviour when pointed at the other, at the same size and at a
#     larger one.  This proves the test setup can see a fork.
. "$top_srcdir/tests/e2e/lib.sh"
SUMDBD="$top_builddir/sumdbd"
NAME=localhost.localdev/sumdb

# gosum N0 N1: go.sum lines for example.com/rN v1.0.0, N0 <= N < N1, with
# made-up (but well-formed) hashes.
gosum() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		for (i = a; i < b; i++) {
			printf "example.com/r%d v1.0.0 h1:%042dA=\n", i, i
			printf "example.com/r%d v1.0.0/go.mod h1:%042dE=\n", i, i
		}
	}'
}
# sql DB SQL: one statement through the sqlite3 shell.
sql() { sqlite3 "$1" "$2"; }
# tree_note DB N: the signed note of DB's tree of size N, byte for byte.
tree_note() {
	python3 -c 'import sqlite3, sys; sys.stdout.buffer.write(sqlite3.connect(sys.argv[1]).execute("SELECT note FROM trees WHERE size = ?", (int(sys.argv[2]),)).fetchone()[0])' "$1" "$2"
}
# flip DB LEVEL N BYTE: flips one bit of byte BYTE of stored tile LEVEL/N.
flip() {
	python3 - "$@" <<'PY'
import sqlite3, sys
db, level, n, i = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
c = sqlite3.connect(db)
h = bytearray(c.execute("SELECT hashes FROM tiles WHERE level = ? AND n = ?", (level, n)).fetchone()[0])
h[i] ^= 1
c.execute("UPDATE tiles SET hashes = ? WHERE level = ? AND n = ?", (bytes(h), level, n))
c.commit()
PY
}
# serve_once DB [ARGS...]: `sumdbd serve` that must refuse to start; a
# server that starts anyway is stopped after 10 s (the check fails: 124).
serve_once() {
	_db=$1
	shift
	timeout 10 "$SUMDBD" serve --db "$_db" --listen 127.0.0.1:0 "$@"
}

if ! command -v sqlite3 >/dev/null 2>&1; then
	echo "SKIP: no sqlite3"
	exit 77
fi

# ---- 1. the server's own refusals
mkdir -p "$WORK/r"
R="$WORK/r/log.db"
expect 0 'verifier key: ' "init" -- "$SUMDBD" init --db "$R" --name "$NAME"
gosum 0 300 >"$WORK/r300.sum"
expect 0 '^yes$' "add 300 records" -- ok_if "$SUMDBD" add --db "$R" "$WORK/r300.sum"
start_sumdbd "$R"
expect 1 'in use by another sumdbd' "a second sumdbd serve on the same database refuses" -- \
	serve_once "$R"
expect 0 '^yes$' "and the first one goes on serving" -- ok_if curl -sSf -o /dev/null "$URL/latest"
# Another name for the same file (a hard link, cp -l) would have its own
# lock and write-ahead log: refused, while the server runs and after.
ln "$R" "$WORK/r/hard.db"
mkdir -p "$WORK/r/sub"
ln "$R" "$WORK/r/sub/log.db"
expect 1 'has 3 names \(hard links\)' "serve through a hard link refuses" -- serve_once "$WORK/r/hard.db"
expect 1 'has 3 names \(hard links\)' "add through a hard link in another directory refuses" -- \
	"$SUMDBD" add --db "$WORK/r/sub/log.db" --key "$R.key" "$WORK/r300.sum"
stop_sumdbd
expect 1 'has 3 names \(hard links\)' "so does add through the database's own name" -- \
	"$SUMDBD" add --db "$R" "$WORK/r300.sum"
rm -f "$WORK/r/hard.db" "$WORK/r/sub/log.db"
expect 0 '^added 0, already present 300' "with the links gone it is itself again" -- \
	"$SUMDBD" add --db "$R" "$WORK/r300.sum"
expect 0 '^yes$' "the first one stops cleanly" -- ok_if test "$SUMDBD_STATUS" -eq 0
expect 0 '^yes$' "and leaves its database clean for fsck" -- ok_if "$SUMDBD" fsck --db "$R"

# copy DB NAME: a copy of the stopped database DB (as an operator's cp).
copy() {
	mkdir -p "$WORK/$2"
	cp "$1" "$WORK/$2/log.db"
	for side in -wal -shm; do
		if [ -e "$1$side" ]; then cp "$1$side" "$WORK/$2/log.db$side"; fi
	done
	echo "$WORK/$2/log.db"
}

# A corrupted hash on the right edge of the tree (level 0 tile 1 is the
# partial tile 1.p/44, so its last hash feeds the signed root).
C=$(copy "$R" corrupt)
flip "$C" 0 1 1407
expect 1 'do not reproduce the signed tree of size 300' "serve refuses a database with a corrupted tile" -- \
	serve_once "$C" --key "$R.key"
cp "$WORK/out" "$WORK/refusal.out"
expect 0 '^yes$' "the refusal comes before anything is served" -- ok_if sh -c "! grep -q '^sumdbd: serving' '$WORK/refusal.out'"
gosum 1000 1001 >"$WORK/other.sum"
expect 2 'do not reproduce the signed tree of size 300' "offline add refuses it too (exit 2: a mismatch)" -- \
	"$SUMDBD" add --db "$C" --key "$R.key" "$WORK/other.sum"
expect 0 '^300$' "and signs nothing" -- sql "$C" "SELECT max(size) FROM trees"
expect 2 'record 299: the stored hash \(tile 0/1\) is not the hash of its text' \
	"fsck reports the corrupted tile" -- "$SUMDBD" fsck --db "$C"
# Inside the full tile 0 the root does not depend on the level 0 hashes
# (serve checks the right edge only, to start fast); fsck finds it.
I=$(copy "$R" interior)
flip "$I" 0 0 100
expect 2 'record 3: the stored hash \(tile 0/0\) is not the hash of its text' \
	"fsck reports a corrupted hash inside a full tile" -- "$SUMDBD" fsck --db "$I"

# A tampered signed tree: the stored root of size 300 no longer matches.
T=$(copy "$R" tampered)
sql "$T" "UPDATE trees SET hash = zeroblob(32) WHERE size = 300"
expect 1 'tree of size 300|signs another tree|300' "serve refuses a tampered signed tree row" -- \
	serve_once "$T" --key "$R.key"

# A rollback under a signed tree: record 299 and its hashes removed, the
# signed tree of size 300 kept.  The log must not sign a second tree of
# size 300 (it must not start, or not sign).
B=$(copy "$R" rollback)
sql "$B" "DELETE FROM records WHERE id = 299"
python3 - "$B" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
h = c.execute("SELECT hashes FROM tiles WHERE level = 0 AND n = 1").fetchone()[0]
c.execute("UPDATE tiles SET hashes = ? WHERE level = 0 AND n = 1", (h[:-32],))
c.commit()
PY
H300=$(sql "$B" "SELECT hex(hash) FROM trees WHERE size = 300")
expect 1 'tile 0/1 holds 43 hashes, the tree needs 44' "serve refuses a log rolled back under its signed tree" -- \
	serve_once "$B" --key "$R.key"
expect 2 'tile 0/1 holds 43 hashes, the tree needs 44' "offline add of another record refuses to sign size 300 again" -- \
	"$SUMDBD" add --db "$B" --key "$R.key" "$WORK/other.sum"
expect 0 "^$H300\$" "the signed tree of size 300 is unchanged" -- sql "$B" "SELECT hex(hash) FROM trees WHERE size = 300"
expect 0 '^1$' "and is the only tree of that size" -- sql "$B" "SELECT count(*) FROM trees WHERE size = 300"

# A record past the latest signed tree (never signed: written outside a
# batch).  Every append would trip over it, so the log does not start.
P=$(copy "$R" past)
expect 1 'past/log.db.key: No such file or directory \(the key file the database names; give --key FILE' \
	"a copy in another directory without its key: --key named" -- serve_once "$P"
sql "$P" "INSERT INTO records SELECT 300, path || '/past', version, text FROM records WHERE id = 299"
expect 1 '301 records stored, the latest signed tree has 300' "serve refuses records past the signed tree" -- \
	serve_once "$P" --key "$R.key"
expect 2 '301 records stored, the latest signed tree has 300' "offline add refuses them too" -- \
	"$SUMDBD" add --db "$P" --key "$R.key" "$WORK/other.sum"
expect 2 '1 record past the latest signed tree \(size 300\): never signed' \
	"fsck reports the record past the signed tree" -- "$SUMDBD" fsck --db "$P"
# ... with a tile hash past it too (as a batch cut short left them)
python3 - "$P" <<'PY'
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
h = c.execute("SELECT hashes FROM tiles WHERE level = 0 AND n = 1").fetchone()[0]
c.execute("UPDATE tiles SET hashes = ? WHERE level = 0 AND n = 1", (h + bytes(32),))
c.commit()
PY
expect 0 'dropped 1 record past the latest signed tree \(size 300\)' \
	"fsck --drop-unsigned removes them" -- "$SUMDBD" fsck --db "$P" --drop-unsigned \
	--checkpoint "$R.key.checkpoint"
cp "$WORK/out" "$WORK/drop.out"
expect 0 ': clean$' "and then finds the database clean" -- cat "$WORK/drop.out"
expect 0 '^44$' "the last level-0 tile is back to the tree's width" -- \
	sql "$P" "SELECT length(hashes) / 32 FROM tiles WHERE level = 0 AND n = 1"
expect 0 '^added 1, already present 0 \(module versions\); tree size 301$' "and the log grows again" -- \
	"$SUMDBD" add --db "$P" --key "$R.key" "$WORK/other.sum"

# ---- 1b. the key's checkpoint: the last tree the key signed, kept beside
# the key, refuses an older copy of the database and a copy grown apart
mkdir -p "$WORK/k"
K="$WORK/k/log.db"
expect 0 'verifier key: ' "init K" -- "$SUMDBD" init --db "$K" --name "$NAME"
expect 0 '^yes$' "init writes the key's checkpoint, the empty tree" -- \
	ok_if test "$(sed -n 2p "$K.key.checkpoint")" = 0
gosum 0 10 | "$SUMDBD" add --db "$K" >/dev/null
cp "$K" "$WORK/k/backup.db"
gosum 10 20 >"$WORK/k20.sum"
expect 0 'tree size 20$' "K grows to 20 after a backup at 10" -- "$SUMDBD" add --db "$K" "$WORK/k20.sum"
expect 0 '^yes$' "the checkpoint follows: tree 20" -- ok_if test "$(sed -n 2p "$K.key.checkpoint")" = 20
expect 1 'older copy of the log, such as a restored backup; refusing to sign' \
	"serve refuses the backup under the same key" -- serve_once "$WORK/k/backup.db"
gosum 50 51 >"$WORK/k51.sum"
expect 2 'older copy of the log' "add to the backup is refused too" -- \
	"$SUMDBD" add --db "$WORK/k/backup.db" "$WORK/k51.sum"
expect 0 '^10$' "and writes nothing" -- sql "$WORK/k/backup.db" "SELECT max(size) FROM trees"
expect 1 '^checkpoint: REFUSES THIS DATABASE: .* older copy' "status says so of the backup" -- \
	"$SUMDBD" status --db "$WORK/k/backup.db"
expect 0 '^checkpoint: .*: tree 20, held by this database$' "and of K that the key signs for it" -- \
	"$SUMDBD" status --db "$K"
# The checkpoint lost as well: nothing shows the backup is older, so
# serve and add refuse a database with records, and only the operator
# can say it is the latest (--new-checkpoint).
mv "$K.key.checkpoint" "$WORK/k/cp.aside"
expect 1 "no checkpoint at $K\.key\.checkpoint, and the database holds a tree of 10 records: .* older copy .*--new-checkpoint to start one" \
	"without the checkpoint, serve refuses the backup, naming --new-checkpoint" -- \
	serve_once "$WORK/k/backup.db"
expect 1 "no checkpoint at .*, and the database holds a tree of 10 records" "add refuses it too" -- \
	"$SUMDBD" add --db "$WORK/k/backup.db" "$WORK/k51.sum"
expect 0 '^10$' "and writes nothing" -- sql "$WORK/k/backup.db" "SELECT max(size) FROM trees"
expect 0 '^yes$' "nor starts a checkpoint" -- ok_if test ! -e "$K.key.checkpoint"
expect 1 "^checkpoint: $K\.key\.checkpoint: none, and the database holds a tree of 10 records: serve and add refuse it" \
	"status says serve and add refuse it (exit 1)" -- "$SUMDBD" status --db "$WORK/k/backup.db"
mv "$WORK/k/cp.aside" "$K.key.checkpoint"
log_copy "$K" "$WORK/k/kn.db"
rm "$WORK/k/kn.db.key.checkpoint"
start_sumdbd "$WORK/k/kn.db" --no-admin --new-checkpoint
expect 0 "^sumdbd: note: no checkpoint at .*/kn\.db\.key\.checkpoint yet: it starts at this database's tree of size 20" \
	"told --new-checkpoint, serve starts one at the database's tree, and says so" -- cat "$WORK/serve.err"
stop_sumdbd
expect 0 '^20$' "... which the checkpoint holds" -- sed -n 2p "$WORK/k/kn.db.key.checkpoint"
# KC: a copy of K at 20 grown apart to 25 (under a copy of the key), then
# pointed at K's own key file once K has signed its own tree of 25.
log_copy "$K" "$WORK/k/kc.db"
gosum 100 105 | "$SUMDBD" add --db "$WORK/k/kc.db" >/dev/null
gosum 20 25 | "$SUMDBD" add --db "$K" >/dev/null
expect 2 'does not hold the tree of size 25 its key last signed' \
	"a copy grown apart is refused under the key" -- \
	"$SUMDBD" add --db "$WORK/k/kc.db" --key "$K.key" "$WORK/k51.sum"
expect 1 'already signed a tree of size 25 for another database' \
	"init of a new log with a key that has signed is refused" -- \
	"$SUMDBD" init --db "$WORK/k/new.db" --key "$K.key"
expect 0 '^yes$' "and leaves no database behind" -- ok_if test ! -e "$WORK/k/new.db"
start_sumdbd "$K"
gosum 200 201 >"$WORK/k201.sum"
expect 1 'in use by another sumdbd \(for another database' \
	"a second server under the key file, on another database, is refused" -- \
	serve_once "$WORK/k/kc.db" --key "$K.key"
# KB: a backup of K taken while it runs, so far the same log: a second
# server on it would sign apart from K at its next record.  A
# configuration tool rewrites the key file by rename (same bytes, new
# file): the lock is on the checkpoint, not on the key file's inode.
sql "$K" ".backup '$WORK/k/kb.db'"
cp -p "$K.key" "$WORK/k/key.new" && mv "$WORK/k/key.new" "$K.key"
expect 1 'in use by another sumdbd' "a second server on a same-tree copy is refused once the key file was replaced" -- \
	serve_once "$WORK/k/kb.db"
cp "$K.key" "$WORK/k/kb.key"
expect 1 'in use by another sumdbd' "... and under another key file given K's checkpoint" -- \
	serve_once "$WORK/k/kb.db" --key "$WORK/k/kb.key" --checkpoint "$K.key.checkpoint"
expect 0 '^yes$' "a record added through the running server moves the checkpoint" -- \
	ok_if "$SUMDBD" add --db "$K" "$WORK/k201.sum"
expect 0 '^yes$' "to tree 26" -- ok_if test "$(sed -n 2p "$K.key.checkpoint")" = 26
# With the lock file removed under K, KB starts; once K signs, KB may not.
rm "$K.key.checkpoint.lock"
sql "$K" ".backup '$WORK/k/kb2.db'"
trap 'sumdbd_stop KB; e2e_cleanup' EXIT
sumdbd_start KB "$WORK/k/kb2.db"
gosum 300 301 >"$WORK/k300.sum"
gosum 301 302 >"$WORK/k301.sum"
expect 0 'tree size 27$' "K signs on" -- "$SUMDBD" add --db "$K" "$WORK/k300.sum"
expect 2 'is not the one this sumdbd read or wrote last' "KB, under the same checkpoint, signs nothing" -- \
	"$SUMDBD" add --db "$WORK/k/kb2.db" "$WORK/k301.sum"
sumdbd_stop KB
stop_sumdbd
# A crash between a commit and the checkpoint's write leaves it one tree
# behind: accepted, and brought up to date.
tree_note "$K" 26 >"$K.key.checkpoint"
start_sumdbd "$K"
stop_sumdbd
expect 0 '^yes$' "a checkpoint one tree behind is accepted and caught up" -- \
	ok_if test "$(sed -n 2p "$K.key.checkpoint")" = 27
# One key file, one checkpoint: a symbolic link to the key finds the
# key's own, and a hard link (no one name) is refused.
ln -s "$K.key" "$WORK/k/link.key"
expect 2 'older copy of the log' "a symbolic link to the key does not get a checkpoint of its own" -- \
	"$SUMDBD" add --db "$WORK/k/backup.db" --key "$WORK/k/link.key" "$WORK/k51.sum"
ln "$K.key" "$WORK/k/hard.key"
expect 1 'has 2 names \(hard links\)' "a signer key with a hard link is refused" -- \
	"$SUMDBD" add --db "$K" --key "$WORK/k/hard.key" "$WORK/k51.sum"
rm -f "$WORK/k/hard.key"
# init with a new key never takes over (nor, failing, removes) a
# checkpoint that is there already.
cp "$K.key.checkpoint" "$WORK/k/cp.saved"
expect 1 'checkpoint of another signer key' "init refuses a new key where a checkpoint is" -- \
	"$SUMDBD" init --db "$WORK/k/n2.db" --name "$NAME" --checkpoint "$K.key.checkpoint"
expect 0 '^yes$' "and leaves that checkpoint as it was" -- ok_if cmp "$WORK/k/cp.saved" "$K.key.checkpoint"
printf 'not a note\n' >"$K.key.checkpoint"
expect 1 'is not a tree this key signed' "a damaged checkpoint stops the server" -- serve_once "$K"
tree_note "$K" 27 >"$K.key.checkpoint"
expect 1 "checkpoint must be writable; --checkpoint FILE keeps it elsewhere" \
	"a checkpoint that cannot be written stops the server" -- \
	serve_once "$K" --checkpoint "$WORK/k/no-such-dir/cp"
# A log made with init --checkpoint, then used without it: the key's
# checkpoint is not beside it.  Refused, also while the log is still
# empty (as it is right after init): nothing shows the key signed no
# larger tree, and its next tree could fork the log.
expect 0 'verifier key: ' "init with --checkpoint" -- \
	"$SUMDBD" init --db "$WORK/k/cp0.db" --name "$NAME" --checkpoint "$WORK/k/cp0.cp"
expect 1 "no checkpoint at .*/k/cp0\.db\.key\.checkpoint, and the database holds a tree of 0 records: .*--new-checkpoint" \
	"add without that --checkpoint is refused, even at the empty tree" -- \
	"$SUMDBD" add --db "$WORK/k/cp0.db" "$WORK/k201.sum"
expect 0 'tree size 1$' "... and goes on with it" -- \
	"$SUMDBD" add --db "$WORK/k/cp0.db" --checkpoint "$WORK/k/cp0.cp" "$WORK/k201.sum"

if ! command -v go >/dev/null 2>&1; then
	echo "SKIP: no go command: the fork is not checked"
	e2e_done
	exit $?
fi

# ---- 2. a fork, seen by the go command
python3 - "$WORK/proxy" base a b c <<'PY'
import json, os, sys
import zipfile
root = sys.argv[1]
for m in sys.argv[2:]:
    path, ver = "example.com/fork/" + m, "v1.0.0"
    d = os.path.join(root, path, "@v")
    os.makedirs(d, exist_ok=True)
    gomod = "module %s\n\ngo 1.16\n" % path
    open(os.path.join(d, "list"), "w").write(ver + "\n")
    json.dump({"Version": ver, "Time": "2020-01-01T00:00:00Z"}, open(os.path.join(d, ver + ".info"), "w"))
    open(os.path.join(d, ver + ".mod"), "w").write(gomod)
    with zipfile.ZipFile(os.path.join(d, ver + ".zip"), "w") as z:
        pre = "%s@%s/" % (path, ver)
        z.writestr(pre + "go.mod", gomod)
        z.writestr(pre + m + ".go", "package %s\n\nfunc Name() string { return %s }\n" % (m, json.dumps(m)))
PY
mkdir -p "$WORK/sums"
gorun "$WORK/sums" "$WORK/gp0" off go mod download -json \
	example.com/fork/base@v1.0.0 example.com/fork/a@v1.0.0 example.com/fork/b@v1.0.0 example.com/fork/c@v1.0.0 \
	>"$WORK/dl.json" 2>"$WORK/dl.err"
expect 0 '"GoModSum"' "go mod download -json with GOSUMDB=off" -- cat "$WORK/dl.json" "$WORK/dl.err"
python3 - "$WORK/dl.json" "$WORK/sums" <<'PY'
import json, sys
dec = json.JSONDecoder()
s = open(sys.argv[1]).read()
i = 0
while True:
    while i < len(s) and s[i].isspace():
        i += 1
    if i >= len(s):
        break
    o, i = dec.raw_decode(s, i)
    with open("%s/%s.sum" % (sys.argv[2], o["Path"].rsplit("/", 1)[1]), "w") as f:
        f.write("%s %s %s\n%s %s/go.mod %s\n" % (o["Path"], o["Version"], o["Sum"],
                                               o["Path"], o["Version"], o["GoModSum"]))
PY

# Branch A: base, then a.  Branch B: a copy of A at base (the .db and its
# key file copied while no server runs), then b, then c.
mkdir -p "$WORK/a"
A="$WORK/a/log.db"
expect 0 'verifier key: ' "init branch A" -- "$SUMDBD" init --db "$A" --name "$NAME"
VKEY=$(sed -n 's/^verifier key: //p' "$WORK/out")
expect 0 '^yes$' "A: add base" -- ok_if "$SUMDBD" add --db "$A" "$WORK/sums/base.sum"
B=$(copy "$A" b)
cp "$A.key" "$WORK/b/log.db.key"
expect 0 '^yes$' "A: add a (tree 2)" -- ok_if "$SUMDBD" add --db "$A" "$WORK/sums/a.sum"
expect 1 "no checkpoint at $WORK/b/log\.db\.key\.checkpoint, and the database holds a tree of [0-9]* records: .*--new-checkpoint" \
	"B: the copied key has no checkpoint: refused, naming --new-checkpoint" -- \
	"$SUMDBD" add --db "$B" --key "$WORK/b/log.db.key" "$WORK/sums/b.sum"
expect 0 '^yes$' "B: add b (another tree 2), told to start a checkpoint" -- \
	ok_if "$SUMDBD" add --db "$B" --key "$WORK/b/log.db.key" --new-checkpoint "$WORK/sums/b.sum"
HA=$(sql "$A" "SELECT hex(hash) FROM trees WHERE size = 2")
HB=$(sql "$B" "SELECT hex(hash) FROM trees WHERE size = 2")
expect 0 '^yes$' "the two branches sign different trees of size 2" -- ok_if test "$HA" != "$HB"

# A client sees branch A.
start_sumdbd "$A"
gomain "$WORK/m1" example.com/fork/base@v1.0.0 example.com/fork/a@v1.0.0
expect 0 '^yes$' "a client downloads from branch A" -- \
	ok_if gorun "$WORK/m1" "$WORK/gp1" "$VKEY $URL" go mod download
LATEST="$WORK/gp1/pkg/sumdb/$NAME/latest"
expect 0 '^2$' "and remembers A's tree 2" -- sed -n 2p "$LATEST"
cp "$LATEST" "$WORK/latestA"
stop_sumdbd

# Control: branch B on its own is a valid log (a fresh client is content).
start_sumdbd "$B" --key "$WORK/b/log.db.key"
gomain "$WORK/m2" example.com/fork/base@v1.0.0 example.com/fork/b@v1.0.0
expect 0 '^yes$' "a fresh client downloads from branch B" -- \
	ok_if gorun "$WORK/m2" "$WORK/gp2" "$VKEY $URL" go mod download

# The client that saw A, pointed at B: same size, another tree.
rm -f "$WORK/m2/go.sum"
expect 1 'SECURITY ERROR' "the client that saw A detects the fork at size 2" -- \
	gorun "$WORK/m2" "$WORK/gp1" "$VKEY $URL" go mod download
cp "$WORK/out" "$WORK/fork2.out"
expect 0 'go.sum database server misbehavior detected' "and reports misbehaviour" -- cat "$WORK/fork2.out"
expect 0 '^yes$' "it keeps A's tree" -- ok_if cmp "$WORK/latestA" "$LATEST"
stop_sumdbd

# B grows on: a larger tree that does not contain A's tree 2.
expect 0 '^yes$' "B: add c (tree 3)" -- ok_if "$SUMDBD" add --db "$B" --key "$WORK/b/log.db.key" "$WORK/sums/c.sum"
start_sumdbd "$B" --key "$WORK/b/log.db.key"
gomain "$WORK/m3" example.com/fork/c@v1.0.0
expect 1 'SECURITY ERROR' "the client that saw A detects the fork at size 3" -- \
	gorun "$WORK/m3" "$WORK/gp1" "$VKEY $URL" go mod download
cp "$WORK/out" "$WORK/fork3.out"
expect 0 'go.sum database server misbehavior detected' "and reports misbehaviour" -- cat "$WORK/fork3.out"
expect 0 '^yes$' "it keeps A's tree" -- ok_if cmp "$WORK/latestA" "$LATEST"
stop_sumdbd
e2e_done
