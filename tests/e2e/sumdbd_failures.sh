#!/bin/sh
# sumdbd when its storage or its surroundings fail: what the operator is
# told, and that nothing is left half done.
#   - add and serve over a FILE-shm that SQLite left read-only: the
#     file named; a signer key this user may not read, and serve where
#     the admin interface cannot keep its token: what to do;
#   - init where the database's directory may not be written, under a
#     file size limit (ulimit -f; never killed by SIGXFSZ), and on a full
#     file system: exit 1, a message naming the file, the reason and what
#     to do, and no file left behind;
#   - serve under a file size limit that its database outgrows: the add
#     is refused with the reason, the server goes on serving;
#   - add while another program (an sqlite3 shell) holds a transaction on
#     the database: what holds it and what to do;
#   - a damaged page of the records table met while serving: 500 with a
#     short text body and no caching, one log line naming the database
#     and the fsck to run, and every other record still served;
#   - serve with standard output closed (a supervisor's >&-): said once
#     on standard error at start, and exit 0 after a clean stop.
# A case that cannot run here says why.
. "$top_srcdir/tests/e2e/lib.sh"
FS="$WORK/fs"
MOUNTED=
HOLDER=
failures_cleanup() {
	[ -n "$HOLDER" ] && kill -TERM "$HOLDER" 2>/dev/null && wait "$HOLDER" 2>/dev/null
	[ -n "$MOUNTED" ] && { umount "$FS" 2>/dev/null || umount -l "$FS" 2>/dev/null; }
	e2e_cleanup
}
trap failures_cleanup EXIT

# left DIR: the files in DIR, one line, or "none".
left() {
	_l=$(ls -A "$1" | tr '\n' ' ')
	echo "${_l:-none}"
}

# A command run as a user who is not root (modes do not bind root).
if [ "$(id -u)" -eq 0 ]; then
	if command -v setpriv >/dev/null 2>&1; then
		as_user() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
		chmod 0711 "$WORK"
	else
		as_user=
	fi
else
	as_user() { "$@"; }
fi

# --- init in a directory this user may not write ---
RO="$WORK/ro"
mkdir "$RO" "$WORK/keys"
"$SUMDBD" keygen ro.test.example | head -1 >"$WORK/keys/ro.key"
chmod 0600 "$WORK/keys/ro.key"
chmod 0711 "$WORK/keys"
chmod 0555 "$RO"
if [ "$(id -u)" -eq 0 ] && ! command -v setpriv >/dev/null 2>&1; then
	echo "note: init in a read-only directory not checked: running as root without setpriv"
else
	[ "$(id -u)" -eq 0 ] && chown nobody "$WORK/keys/ro.key"
	expect 1 "^sumdbd init: $RO/r\.db\.key: Permission denied: this user may not make files in its directory: .*--key-out" \
		"init in a read-only directory: the key file, and what to do" -- \
		as_user "$SUMDBD" init --db "$RO/r.db" --name ro.test.example
	expect 1 "^sumdbd init: $RO/r\.db: cannot create $RO/r\.db: Permission denied: let this user write the file and its directory" \
		"... and with --key, the database, and what to do" -- \
		as_user "$SUMDBD" init --db "$RO/r.db" --key "$WORK/keys/ro.key"
	expect 0 "^none$" "... and nothing is left there" -- left "$RO"
fi

# --- a -shm file left read-only ---
# SQLite makes FILE-wal and FILE-shm with the database's mode: a status
# run while the database was read-only leaves them read-only, and once
# the database is writable again every write fails as "attempt to write
# a readonly database", of a database that is writable.  The message
# names the file that is not.
if [ "$(id -u)" -eq 0 ] && ! command -v setpriv >/dev/null 2>&1; then
	echo "note: a read-only -shm file not checked: running as root without setpriv"
else
	SHM="$WORK/shm"
	mkdir "$SHM"
	[ "$(id -u)" -eq 0 ] && chown nobody "$SHM"
	as_user "$SUMDBD" init --db "$SHM/s.db" --name shm.test.example >"$WORK/init.out" 2>&1 ||
		{ cat "$WORK/init.out"; exit 1; }
	chmod 0444 "$SHM/s.db"
	as_user "$SUMDBD" status --db "$SHM/s.db" >/dev/null 2>&1
	chmod 0600 "$SHM/s.db"
	gosum_lines 0 1 >"$WORK/shm.sum"
	chmod 0644 "$WORK/shm.sum"
	expect 1 "attempt to write a readonly database: $SHM/s\.db-shm cannot be written by this user \(Permission denied\): give it the owner and mode of the database" \
		"add over a -shm file left read-only names that file" -- \
		as_user "$SUMDBD" add --db "$SHM/s.db" "$WORK/shm.sum"
	chmod 0600 "$SHM/s.db-shm" "$SHM/s.db-wal"
	expect 0 "^added 1," "... which once given the database's mode takes the add" -- \
		as_user "$SUMDBD" add --db "$SHM/s.db" "$WORK/shm.sum"
	# a signer key this user may not read: who may, or another --key
	chmod 0000 "$SHM/s.db.key"
	expect 1 "^sumdbd add: $SHM/s\.db: signer key file $SHM/s\.db\.key: Permission denied: run sumdbd as a user that may read it .*or give --key" \
		"add with a signer key this user may not read: who may, or --key" -- \
		as_user "$SUMDBD" add --db "$SHM/s.db" "$WORK/shm.sum"
	chmod 0600 "$SHM/s.db.key"
	# serve where the admin interface cannot keep its token, the
	# database's -wal and -shm kept by another reader (a backup; SQLite
	# gives what it makes as root the database's owner): the way out
	# that needs no write there
	python3 -c '
import signal, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("SELECT count(*) FROM records").fetchone()
print("held", flush=True)
signal.pause()' "$SHM/s.db" >"$WORK/reader.out" 2>&1 &
	HOLDER=$!
	wait_for 30 grep -q held "$WORK/reader.out" || fail "the reader did not start"
	chmod 0555 "$SHM"
	expect 1 "s\.db\.admin\.token: Permission denied: .*let this user write that directory, or serve with --no-admin" \
		"serve in a directory this user may not write: the admin token, and --no-admin" -- \
		as_user timeout 30 "$SUMDBD" serve --db "$SHM/s.db" --listen 127.0.0.1:0
	chmod 0755 "$SHM"
	kill -TERM "$HOLDER"
	wait "$HOLDER" 2>/dev/null
	HOLDER=
fi

# --- init under a file size limit ---
# With SIGXFSZ's default action, as a shell or service manager leaves it:
# a write past the limit would kill init, leaving its files behind.
cat >"$WORK/fsize.py" <<'PY'
import os, resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
n = int(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (n, n))
os.execv(sys.argv[2], sys.argv[2:])
PY
fsize() { python3 "$WORK/fsize.py" "$@"; }
mkdir "$WORK/lim"
for n in 1024 8192; do
	expect 1 "^sumdbd init: $WORK/lim/l\.db: database: .*file size limit.*raise" \
		"init under a file size limit of $n bytes: exit 1, the limit named" -- \
		fsize $n "$SUMDBD" init --db "$WORK/lim/l.db" --name lim.test.example
	expect 0 "^none$" "... and nothing is left behind" -- left "$WORK/lim"
done

# --- init on a full file system ---
mkdir "$FS"
if mount -t tmpfs -o size=64k tmpfs "$FS" 2>/dev/null; then
	MOUNTED=yes
	dd if=/dev/zero of="$FS/filler" bs=4k >/dev/null 2>&1
	rm -f "$FS/filler"
	dd if=/dev/zero of="$FS/filler" bs=4k count=14 >/dev/null 2>&1
	expect 1 "^sumdbd init: $FS/f\.db: database: .*full.*: free space there, then try again" \
		"init on a full file system: exit 1, and what to do" -- \
		"$SUMDBD" init --db "$FS/f.db" --name full.test.example
	expect 0 "^filler $" "... and nothing is left behind" -- left "$FS"
	dd if=/dev/zero of="$FS/filler2" bs=4k >/dev/null 2>&1
	expect 1 "^sumdbd init: $FS/f\.db\.key: cannot write the key: No space left on device: .*free space there, then run init again" \
		"... even the key file cannot be written: said, and what to do" -- \
		"$SUMDBD" init --db "$FS/f.db" --name full.test.example
	expect 0 "^filler filler2 $" "... and nothing is left behind" -- left "$FS"
	umount "$FS" && MOUNTED=
else
	echo "note: init on a full file system not checked: cannot mount a tmpfs here (needs root)"
fi

# --- serve under a file size limit its database outgrows ---
DB="$WORK/s.db"
"$SUMDBD" init --db "$DB" --name fail.test.example >"$WORK/init.out" 2>&1 ||
	{ cat "$WORK/init.out"; exit 1; }
gosum_lines 0 300 >"$WORK/a.sum"
gosum_lines 300 2000 >"$WORK/b.sum"
expect 0 "^added 300," "add 300 records" -- "$SUMDBD" add --db "$DB" "$WORK/a.sum"
if command -v prlimit >/dev/null 2>&1; then
	SUMDBD_WRAP="python3 $WORK/fsize.py -1" start_sumdbd "$DB"
	prlimit --pid "$SUMDBD_PID" --fsize=0:unlimited || fail "prlimit"
	expect 1 "file size limit.*raise" \
		"serve's database outgrows its file size limit: the add says why" -- \
		"$SUMDBD" add --db "$DB" "$WORK/b.sum"
	expect 0 "^yes$" "... and the server goes on serving" -- \
		ok_if curl -sf -o /dev/null "$URL/lookup/example.com/m7@v1.0.0"
	prlimit --pid "$SUMDBD_PID" --fsize=unlimited:unlimited || fail "prlimit"
	expect 0 "^added 1700," "... and records once the limit is raised" -- \
		"$SUMDBD" add --db "$DB" "$WORK/b.sum"
	stop_sumdbd
	expect 0 "^0$" "... and exits 0 on SIGTERM" -- echo "$SUMDBD_STATUS"
else
	echo "note: serve under a file size limit not checked: no prlimit (util-linux)"
	"$SUMDBD" add --db "$DB" "$WORK/b.sum" >/dev/null || fail "add b.sum"
fi

# --- another program holds a transaction on the database ---
python3 -c '
import signal, sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
print("held", flush=True)
signal.pause()' "$DB" >"$WORK/holder.out" 2>&1 &
HOLDER=$!
wait_for 20 grep -q held "$WORK/holder.out" || fail "the sqlite3 holder did not start"
gosum_lines 2000 2001 >"$WORK/c.sum"
expect 1 "database is locked: another program holds a transaction on the database, such as an sqlite3 shell left in BEGIN: end it, then try again" \
	"add while another program holds a transaction: what holds it, what to do" -- \
	"$SUMDBD" add --db "$DB" "$WORK/c.sum"
kill -TERM "$HOLDER"
wait "$HOLDER" 2>/dev/null
HOLDER=
expect 0 "^added 1," "... and once it is gone the add records" -- "$SUMDBD" add --db "$DB" "$WORK/c.sum"

# --- add under a file size limit ---
# Every command, not only init and serve: a batch past the limit is
# refused and said, and nothing of it is written (SIGXFSZ's default
# action would kill add in the middle of its commit).
"$SUMDBD" init --db "$WORK/lim/a.db" --name lim.test.example >/dev/null 2>&1 ||
	fail "init lim/a.db"
expect 1 "^sumdbd add: database: .*file size limit.*raise it, then try again; nothing recorded" \
	"add under a file size limit: exit 1, the limit named" -- \
	fsize 65536 "$SUMDBD" add --db "$WORK/lim/a.db" "$WORK/b.sum"
expect 0 "^tree: 0 records," "... and nothing of the batch is recorded" -- \
	"$SUMDBD" status --db "$WORK/lim/a.db"
expect 0 ": clean$" "... and the database checks clean" -- \
	"$SUMDBD" fsck --db "$WORK/lim/a.db"

# --- a damaged page of the records table, met while serving ---
# No server runs: the database is one file, its -wal folded in.  A leaf page of the
# records table, and a module whose record lies on it and one whose does
# not; then the page's type byte is overwritten.
test -s "$DB-wal" && fail "a -wal file is left beside $DB"
python3 - "$DB" >"$WORK/page" <<'PY' || fail "no records page found"
import re, sqlite3, sys
db = sys.argv[1]
c = sqlite3.connect(db)
size = c.execute("PRAGMA page_size").fetchone()[0]
pages = [r[0] for r in c.execute(
    "SELECT pageno FROM dbstat WHERE name = 'records' AND pagetype = 'leaf' ORDER BY pageno")]
c.close()
data = open(db, "rb").read()
name = lambda p: set(re.findall(rb"example\.com/m(\d+) v1\.0\.0 h1:", data[(p - 1) * size:p * size]))
bad, good = pages[len(pages) // 2], pages[0]
hit = sorted(name(bad) - name(good))
print((bad - 1) * size, hit[0].decode(), sorted(name(good))[0].decode())
PY
read -r OFF BAD GOOD <"$WORK/page"
printf '\377' | dd of="$DB" bs=1 seek="$OFF" conv=notrunc 2>/dev/null
start_sumdbd "$DB"
curl -s -D "$WORK/hdr" -o "$WORK/body" "$URL/lookup/example.com/m$BAD@v1.0.0"
expect 0 "^HTTP/1\.1 500 " "a lookup whose record is on the damaged page: 500" -- cat "$WORK/hdr"
expect 0 "^Cache-Control: no-store" "... not to be cached" -- tr -d '\r' <"$WORK/hdr"
expect 0 "^yes$" "... with a short text body, one line" -- printable "$WORK/body" 1
expect 0 "^sumdbd: database $DB: lookup of example\.com/m$BAD@v1\.0\.0: .*malformed.*stop the server and check the database with: sumdbd fsck --db $DB( |$)" \
	"... and the log names the database, the reason and the fsck to run" -- cat "$WORK/serve.err"
expect 0 "^1$" "... in one line" -- grep -c "database $DB" "$WORK/serve.err"
expect 0 "^200$" "a lookup whose record is on another page is served" -- \
	curl -s -o /dev/null -w '%{http_code}\n' "$URL/lookup/example.com/m$GOOD@v1.0.0"
expect 0 "^200$" "... and /latest" -- curl -s -o /dev/null -w '%{http_code}\n' "$URL/latest"
tile=$(printf '%03d' $((BAD / 256)))
curl -s -D "$WORK/hdr" -o "$WORK/body" "$URL/tile/8/data/$tile"
expect 0 "^HTTP/1\.1 500 " "the data tile of the damaged page: 500" -- cat "$WORK/hdr"
expect 0 "^Cache-Control: no-store" "... not to be cached" -- tr -d '\r' <"$WORK/hdr"
expect 0 "^200$" "the hash tile of those records is served" -- \
	curl -s -o /dev/null -w '%{http_code}\n' "$URL/tile/8/0/$tile"
stop_sumdbd
expect 0 "^0$" "the server exits 0 on SIGTERM" -- echo "$SUMDBD_STATUS"
# The same database under a path that is not printable ASCII: the line
# shows its bytes as '?', so it gives no command, which would name
# another file.
NP="$WORK/d$(printf '\303\251').db"
log_copy "$DB" "$NP"
start_sumdbd "$NP"
curl -s -o /dev/null "$URL/lookup/example.com/m$BAD@v1.0.0"
expect 0 "stop the server and check the database with sumdbd fsck \(its path holds bytes shown here as '\?'\)" \
	"a path that is not printable: the log says to run fsck" -- cat "$WORK/serve.err"
expect 0 "^yes$" "... and gives no command naming another file" -- \
	ok_if sh -c "! grep -q 'fsck --db' '$WORK/serve.err'"
stop_sumdbd

# --- serve with standard output closed ---
DB2="$WORK/o.db"
"$SUMDBD" init --db "$DB2" --name out.test.example >/dev/null 2>&1 || fail "init o.db"
"$SUMDBD" serve --db "$DB2" --listen 127.0.0.1:0 --no-public >&- 2>"$WORK/o.err" &
OPID=$!
wait_for 20 grep -q "serving on http://" "$WORK/o.err" || fail "serve with standard output closed did not start"
expect 0 "^sumdbd serve: writing standard output: Bad file descriptor: its lines .*not shown there; serving on http://127\.0\.0\.1:[1-9]" \
	"serve with standard output closed says so at start, with its address" -- cat "$WORK/o.err"
ourl=$(sed -n 's/^.*serving on \(http:[^ ]*\)$/\1/p' "$WORK/o.err")
expect 0 "^200$" "... and serves" -- curl -s -o /dev/null -w '%{http_code}\n' "$ourl/latest"
kill -TERM "$OPID"
wait "$OPID"
expect 0 "^0$" "... and exits 0 after a clean stop" -- echo "$?"
expect 0 "^1$" "... having said it once" -- grep -c "standard output" "$WORK/o.err"
e2e_done
