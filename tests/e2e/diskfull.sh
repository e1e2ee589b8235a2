#!/bin/sh
# Disk full (issue 7): the database on a small filesystem the test makes
# (a 4 MB tmpfs; without mount rights, a file size limit on the server,
# RLIMIT_FSIZE, raised again with prlimit).  While no space is left:
# `sumdbd add` through the admin socket fails with a clear error and
# writes nothing, a lookup that needs an append (an internal module
# fetched from the upstream proxy) gets 503, and known lookups, tiles and
# /latest are still served.  Once space returns, appends resume; fsck is
# clean and the server exits 0 on SIGTERM (no sanitizer report).
. "$top_srcdir/tests/e2e/lib.sh"
FS="$WORK/fs"
MODE=
FILLER=
diskfull_cleanup() {
	stop_sumdbd
	if [ "$MODE" = tmpfs ]; then
		umount "$FS" 2>/dev/null || umount -l "$FS" 2>/dev/null
	fi
	e2e_cleanup
}
trap diskfull_cleanup EXIT
mkdir -p "$FS" "$WORK/proxy"
if mount -t tmpfs -o size=4m tmpfs "$FS" 2>/dev/null; then
	MODE=tmpfs
elif command -v prlimit >/dev/null 2>&1 && (ulimit -f 100000) 2>/dev/null; then
	MODE=fsize
else
	echo "SKIP: cannot mount a tmpfs here and no prlimit to raise a file size limit"
	exit 77
fi
echo "disk full by: $MODE"

DB="$FS/d.db"
"$SUMDBD" init --db "$DB" --name diskfull.test.example >/dev/null 2>&1 || { echo "FAIL: init"; exit 1; }
gosum_lines 0 300 | "$SUMDBD" add --db "$DB" >/dev/null || { echo "FAIL: add"; exit 1; }
for i in 1 2 3 4; do
	python3 "$top_srcdir/tests/e2e/mkzip.py" proxy "$WORK/proxy" corp.example.com/d$i v1.0.0 $i 3 ||
		exit 1
done
# get PATH: "HTTP CODE" then the body.
get() {
	_c=$(curl -s -o "$WORK/body" -w '%{http_code}' "$URL$1")
	echo "HTTP $_c"
	cat "$WORK/body"
}

# In fsize mode the server ignores SIGXFSZ (inherited), so a write over
# the limit fails with EFBIG instead of killing it.
[ "$MODE" = fsize ] && trap '' XFSZ
start_sumdbd "$DB" --upstream "file://$WORK/proxy" --private corp.example.com
[ "$MODE" = fsize ] && trap - XFSZ
expect 0 '^HTTP 200$' "with space: an internal module is fetched and recorded" -- \
	get /lookup/corp.example.com/d1@v1.0.0

# No space left: fill the filesystem to the last block.
if [ "$MODE" = tmpfs ]; then
	dd if=/dev/zero of="$FS/filler" bs=4k >/dev/null 2>&1
	expect 0 '^yes$' "the filesystem is full" -- \
		ok_if sh -c "! dd if=/dev/zero of='$FS/probe' bs=4k count=1 2>/dev/null"
	rm -f "$FS/probe"
else
	prlimit --pid "$SUMDBD_PID" --fsize=0:unlimited || { echo "FAIL: prlimit"; exit 1; }
fi
latest_before=$(get /latest)

expect 0 '^HTTP 503$' "full: a lookup that needs an append gets 503" -- \
	get /lookup/corp.example.com/d2@v1.0.0
tail -1 "$WORK/out"
gosum_lines 300 400 >"$WORK/new.sum"
expect 1 'full|space|EFBIG|too large' "full: sumdbd add fails with a clear error" -- \
	"$SUMDBD" add --db "$DB" "$WORK/new.sum"
tail -2 "$WORK/out"
expect 0 '^HTTP 200$' "full: a known lookup is served" -- get /lookup/example.com/m7@v1.0.0
expect 0 '^HTTP 200$' "full: a recorded internal module is served" -- \
	get /lookup/corp.example.com/d1@v1.0.0
expect 0 '^HTTP 200$' "full: a full hash tile is served" -- get /tile/8/0/000
expect 0 '^HTTP 200$' "full: a partial hash tile is served" -- get /tile/8/0/001.p/45
expect 0 '^HTTP 200$' "full: a data tile is served" -- get /tile/8/data/000
expect 0 '^yes$' "full: /latest is served and unchanged" -- \
	ok_if test "$(get /latest)" = "$latest_before"
expect 0 '^HTTP 503$' "full: still 503 on a second try" -- get /lookup/corp.example.com/d3@v1.0.0

# Space returns.
if [ "$MODE" = tmpfs ]; then
	rm -f "$FS/filler"
else
	prlimit --pid "$SUMDBD_PID" --fsize=unlimited:unlimited || { echo "FAIL: prlimit"; exit 1; }
fi
expect 0 '^HTTP 200$' "space again: the lookup that got 503 is recorded" -- \
	get /lookup/corp.example.com/d2@v1.0.0
expect 0 '^added 100, already present 0 \(module versions\)' "space again: sumdbd add records everything" -- \
	"$SUMDBD" add --db "$DB" "$WORK/new.sum"
expect 0 '^HTTP 200$' "space again: the new records are served" -- get /lookup/example.com/m350@v1.0.0
expect 0 '^HTTP 200$' "space again: the second 503 lookup is recorded" -- \
	get /lookup/corp.example.com/d3@v1.0.0
stop_sumdbd
expect 0 '^0$' "sumdbd serve exits 0 on SIGTERM (no sanitizer report)" -- echo "$SUMDBD_STATUS"
[ "$SUMDBD_STATUS" = 0 ] || cat "$WORK/serve.err"
expect 0 '^checked 403 records, [0-9]+ tiles, [0-9]+ signed trees: clean$' "fsck is clean" -- \
	"$SUMDBD" fsck --db "$DB"
e2e_done
