#!/bin/sh
# Backing up, restoring and moving a sumdbd database the way README.md
# ("Backups and the key's checkpoint") and sumdbd(8) (BACKUPS) tell an
# operator to:
#   1. sqlite3's .backup while serve runs under load (adds through the
#      admin socket, lookups recording private modules from --upstream):
#      the copy passes fsck;
#   2. the database lost: a backup, with the key and its checkpoint, kept
#      apart, is refused when it is older than the checkpoint (the refusal
#      says what to do, and nothing is signed) and serves when it holds
#      the checkpoint's tree; a go client that used the lost server goes
#      on with the restored one;
#   3. the wrong ways: a cp of the database file alone while serve runs
#      (its -wal left behind) is an older copy, refused; a backup put
#      where a crashed server left its -wal, or a copy cut short, is
#      damage for fsck (exit 2);
#   4. moving: the directory moved whole serves as it was; a database
#      moved without its key has a checkpoint status cannot tell (exit
#      1) until given --key, and fsck --drop-unsigned drops nothing then.
# (An older backup refused at the command line is in fork_guard.sh.)
. "$top_srcdir/tests/e2e/lib.sh"
MKZIP="$top_srcdir/tests/e2e/mkzip.py"
NAME=localhost.localdev/sumdb
PIDS=
trap 'stop_pids; e2e_cleanup' EXIT
if ! command -v sqlite3 >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1; then
	echo "SKIP: needs sqlite3 and curl"
	exit 77
fi

# serve_once DB [ARGS...]: `sumdbd serve` that must refuse to start; one
# that starts anyway is stopped after 10 s (the check fails: 124).
serve_once() {
	_db=$1
	shift
	timeout 10 "$SUMDBD" serve --db "$_db" --listen 127.0.0.1:0 --no-public --no-admin "$@"
}
# tree_of DB: the size of DB's latest signed tree.
tree_of() { sqlite3 "$1" "SELECT max(size) FROM trees"; }
# latest_size URL: the size of the tree URL serves.
latest_size() { curl -sf "$1/latest" | sed -n 2p; }
# backup DB COPY: the online backup README.md shows.
backup() { sqlite3 "$1" ".backup '$2'"; }

mkdir -p "$WORK/keys" "$WORK/data" "$WORK/backup" "$WORK/proxy"
for i in 1 2 3 4 5 6 7 8 9 10 11 12; do
	python3 "$MKZIP" proxy "$WORK/proxy" "corp.example.com/p$i" v1.0.0 "$i" 3 || exit 1
done
UPSTREAM="--upstream file://$WORK/proxy --private corp.example.com"

# ---- 1. a backup while serve runs under load
DB="$WORK/data/sum.db"
KEY="$WORK/keys/sum.key"
expect 0 'verifier key: ' "init, the key and its checkpoint apart from the database" -- \
	"$SUMDBD" init --db "$DB" --name "$NAME" --key-out "$KEY"
VKEY=$(sed -n 's/^verifier key: //p' "$WORK/out")
start_sumdbd "$DB" $UPSTREAM
(
	i=0
	while [ $i -lt 40 ]; do
		gosum_lines $((i * 25)) $((i * 25 + 25)) >"$WORK/load$i.sum"
		"$SUMDBD" add --db "$DB" "$WORK/load$i.sum" >/dev/null || echo "FAIL: add $i"
		i=$((i + 1))
	done
) >"$WORK/adds.out" 2>&1 &
ADDS=$!
PIDS="$PIDS $ADDS"
(
	for i in 2 3 4 5 6 7 8 9 10; do
		curl -sf -o /dev/null "$URL/lookup/corp.example.com/p$i@v1.0.0" || echo "FAIL: lookup p$i"
	done
) >"$WORK/lookups.out" 2>&1 &
LOOKUPS=$!
PIDS="$PIDS $LOOKUPS"
wait_for 60 sh -c "test \"\$(curl -sf '$URL/latest' | sed -n 2p)\" -ge 200" ||
	fail "the log did not grow under load"
expect 0 '^yes$' "sqlite3 .backup while serve runs and records are added" -- \
	ok_if backup "$DB" "$WORK/backup/load.db"
wait "$ADDS"
wait "$LOOKUPS"
PIDS=
expect 0 '^yes$' "every add and lookup of the load succeeded" -- \
	ok_if test ! -s "$WORK/adds.out" -a ! -s "$WORK/lookups.out"
gosum_lines 1000 1001 >"$WORK/last.sum"
expect 0 'tree size' "one more add after the backup" -- "$SUMDBD" add --db "$DB" "$WORK/last.sum"
LIVE=$(latest_size "$URL")
expect 0 ': clean$' "the backup taken under load passes fsck" -- "$SUMDBD" fsck --db "$WORK/backup/load.db"
expect 0 '^yes$' "and is older than the log" -- ok_if test "$(tree_of "$WORK/backup/load.db")" -lt "$LIVE"
expect 0 '^yes$' "it holds private modules recorded from the upstream" -- ok_if test \
	"$(sqlite3 "$WORK/backup/load.db" "SELECT count(*) FROM records WHERE path LIKE 'corp.example.com/%'")" -ge 1
expect 1 '^checkpoint: REFUSES THIS DATABASE: .*older copy of the log' \
	"status --key says the key would not sign for it" -- \
	"$SUMDBD" status --db "$WORK/backup/load.db" --key "$KEY"

# The wrong way: cp of the database file alone while serve runs leaves
# the commits in its -wal behind.
mkdir -p "$WORK/cp"
cp "$DB" "$WORK/cp/sum.db"
expect 0 '^yes$' "a cp of the database file alone is older than the log" -- \
	ok_if test "$(tree_of "$WORK/cp/sum.db")" -lt "$LIVE"

# A client of the log, before the loss.
if command -v go >/dev/null 2>&1; then
	GORUN_PROXY="file://$WORK/proxy"
	export GORUN_PROXY
	gomain "$WORK/m1" corp.example.com/p1@v1.0.0 corp.example.com/p11@v1.0.0
	expect 0 '^yes$' "go mod download through the log" -- \
		ok_if gorun "$WORK/m1" "$WORK/gp" "$VKEY $URL" go mod download
	CLIENT_SIZE=$(sed -n 2p "$WORK/gp/pkg/sumdb/$NAME/latest")
fi
# An idle moment: the backup holds the tree the key signed last.
backup "$DB" "$WORK/backup/idle.db"
LIVE=$(latest_size "$URL")
stop_sumdbd

# ---- 2. the database lost; a backup restored with the key and checkpoint
rm -f "$DB" "$DB-wal" "$DB-shm" "$DB-lock"
CP_BEFORE=$(cat "$KEY.checkpoint")
mkdir -p "$WORK/data2"
R="$WORK/data2/sum.db"
cp "$WORK/backup/load.db" "$R"
expect 1 "older copy of the log, such as a restored backup; refusing to sign for it.*a later copy of it that holds the tree of size $LIVE \\(sumdbd status --db COPY --key KEYFILE says whether it does\\)" \
	"serve refuses the backup older than the checkpoint, saying what to do" -- serve_once "$R"
expect 2 'older copy of the log' "add refuses it too" -- "$SUMDBD" add --db "$R" "$WORK/last.sum"
expect 1 "older copy of the log, such as a restored backup; refusing to sign" \
	"serve refuses the cp of the database file alone too" -- serve_once "$WORK/cp/sum.db"
expect 0 '^yes$' "and nothing was signed" -- ok_if test "$(tree_of "$R")" = "$(tree_of "$WORK/backup/load.db")"
expect 0 '^yes$' "the checkpoint is as it was" -- ok_if test "$(cat "$KEY.checkpoint")" = "$CP_BEFORE"
rm -f "$R" "$R-wal" "$R-shm"
cp "$WORK/backup/idle.db" "$R"
expect 0 ': clean$' "the backup taken at an idle moment passes fsck" -- "$SUMDBD" fsck --db "$R"
expect 0 "^checkpoint: .*/keys/sum\\.key\\.checkpoint: tree $LIVE, held by this database\$" \
	"status: the key's checkpoint is held by it" -- "$SUMDBD" status --db "$R"
start_sumdbd "$R" $UPSTREAM
expect 0 "^$LIVE\$" "the restored log serves the tree the key signed last" -- latest_size "$URL"
if command -v go >/dev/null 2>&1; then
	gomain "$WORK/m2" corp.example.com/p1@v1.0.0 corp.example.com/p12@v1.0.0
	expect 0 '^yes$' "the go client of the lost server goes on with the restored one" -- \
		ok_if gorun "$WORK/m2" "$WORK/gp" "$VKEY $URL" go mod download
	expect 0 '^yes$' "... past the tree it held" -- \
		ok_if test "$(sed -n 2p "$WORK/gp/pkg/sumdb/$NAME/latest")" -gt "$CLIENT_SIZE"
fi
stop_sumdbd

# ---- 3. a backup put where a crashed server left its -wal
mkdir -p "$WORK/w"
W="$WORK/w/sum.db"
"$SUMDBD" init --db "$W" --name "$NAME" >/dev/null || exit 1
gosum_lines 0 100 | "$SUMDBD" add --db "$W" >/dev/null
sumdbd_start W "$W"
backup "$W" "$WORK/backup/w.db"
gosum_lines 100 300 | "$SUMDBD" add --db "$W" >/dev/null
# what SQLite does once the -wal grows: the main file moves on
sqlite3 "$W" "PRAGMA wal_checkpoint(PASSIVE)" >/dev/null
gosum_lines 300 600 | "$SUMDBD" add --db "$W" >/dev/null
kill -KILL "$W_PID"
wait "$W_PID" 2>/dev/null
W_PID=
expect 0 '^yes$' "the crashed server left its -wal" -- ok_if test -s "$W-wal"
rm -f "$W.admin.sock" "$W.admin.token"
cp "$WORK/backup/w.db" "$W"
expect 2 'database disk image is malformed \(the database file is damaged, or the -wal file beside it is another' \
	"fsck: a backup put beside the crashed server's -wal is damage (exit 2)" -- "$SUMDBD" fsck --db "$W"
expect 0 '^yes$' "and fsck leaves the file as it was, the -wal not written into it" -- \
	ok_if cmp "$WORK/backup/w.db" "$W"
rm -f "$W-wal" "$W-shm"
expect 2 'older copy of the log' "with the old -wal moved aside, the backup is what it is: an older copy" -- \
	"$SUMDBD" add --db "$W" "$WORK/last.sum"
# A torn copy (cut short, as by a full disk): damage, and nothing signed.
head -c $(($(wc -c <"$WORK/backup/idle.db") / 2)) "$WORK/backup/idle.db" >"$WORK/torn.db"
cp "$KEY.checkpoint" "$WORK/cp.before"
expect 2 'malformed \(the database file is damaged' "fsck: a torn copy is damage (exit 2)" -- \
	"$SUMDBD" fsck --db "$WORK/torn.db"
expect 1 'malformed \(the database file is damaged' "serve refuses it" -- serve_once "$WORK/torn.db" --key "$KEY"
expect 0 '^yes$' "and signs nothing" -- ok_if cmp "$WORK/cp.before" "$KEY.checkpoint"

# ---- 4. moving a database
# The directory moved whole: the database names its key by its bare name.
mkdir -p "$WORK/site"
S="$WORK/site/sum.db"
"$SUMDBD" init --db "$S" --name "$NAME" >/dev/null || exit 1
gosum_lines 0 10 | "$SUMDBD" add --db "$S" >/dev/null
mv "$WORK/site" "$WORK/moved"
M="$WORK/moved/sum.db"
expect 0 "^checkpoint: .*/moved/sum\\.db\\.key\\.checkpoint: tree 10, held by this database\$" \
	"a directory moved whole: status finds the key and its checkpoint" -- "$SUMDBD" status --db "$M"
expect 0 'tree size 11$' "and add signs there" -- "$SUMDBD" add --db "$M" "$WORK/last.sum"
# The database moved alone (the key stays): where its checkpoint is, only
# the --key serve will be given says.
mkdir -p "$WORK/alone"
A="$WORK/alone/sum.db"
mv "$M" "$A"
expect 1 "^checkpoint: cannot tell \\(the signer key file .*/alone/sum\\.db\\.key the database names: No such file or directory; .*give --key FILE, or --checkpoint FILE\\)\$" \
	"a database moved without its key: status cannot tell its checkpoint (exit 1)" -- \
	"$SUMDBD" status --db "$A"
expect 0 "^checkpoint: .*/moved/sum\\.db\\.key\\.checkpoint: tree 11, held by this database\$" \
	"status --key: the checkpoint beside the key serve will be given" -- \
	"$SUMDBD" status --db "$A" --key "$WORK/moved/sum.db.key"
sumdbd_start MV "$A" --key "$WORK/moved/sum.db.key"
expect 0 '^11$' "serve --key serves it" -- latest_size "$MV_URL"
sumdbd_stop MV
# A copy that lost the row of its latest signed tree (its records and
# tiles kept): the key's checkpoint says they were signed.  Moved
# without its key, fsck --drop-unsigned cannot tell, and drops nothing.
backup "$A" "$WORK/alone/lost.db"
sqlite3 "$WORK/alone/lost.db" "DELETE FROM trees WHERE size = 11"
expect 1 "cannot tell whether the records past the latest signed tree were signed: the signer key file .*/alone/sum\\.db\\.key the database names: No such file" \
	"fsck --drop-unsigned on a database without its key: nothing dropped" -- \
	"$SUMDBD" fsck --db "$WORK/alone/lost.db" --drop-unsigned
expect 0 '^11$' "... its records all there" -- sqlite3 "$WORK/alone/lost.db" "SELECT count(*) FROM records"
expect 2 'holds a signed tree of size 11, past the database' "with the key's --checkpoint it refuses, saying why" -- \
	"$SUMDBD" fsck --db "$WORK/alone/lost.db" --drop-unsigned --checkpoint "$WORK/moved/sum.db.key.checkpoint"
e2e_done
