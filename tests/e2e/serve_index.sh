#!/bin/sh
# sumdbd serve's lookup index at its edges.  The server is
# tests/e2e/sumdbd_index_faults, sumdbd with GNU ld --wrap in front of the
# index's build (tests/e2e/index_faults.c): a log of five records stands
# for one too large to index, and the build can be paused at its first
# record.
#   1. a log with more records than the index holds: serve says there is
#      no index and why, and every lookup still answers, from the
#      database's own index: each record with its text, others 404; a
#      log of as many records as the index holds is indexed;
#   2. a stop while the index is being built: the build ends at the next
#      record, serve says the index was not built, and exits 0.
. "$top_srcdir/tests/e2e/lib.sh"
if ! command -v curl >/dev/null 2>&1; then
	echo "SKIP: needs curl"
	exit 77
fi
FAULTS="$top_builddir/tests/e2e/sumdbd_index_faults"

# faulty NAME VAR=VALUE: $WORK/NAME runs the faulty copy with VAR set, in
# place of sumdbd (for SUMDBD_WRAP).
faulty() {
	cat >"$WORK/$1" <<EOF2
#!/bin/sh
shift
$2 exec "$FAULTS" "\$@"
EOF2
	chmod +x "$WORK/$1"
}
# lookup M: status and record lines (the id, then the record) of
# example.com/M@v1.0.0.
lookup() {
	curl -s -o "$WORK/body" -w '%{http_code}\n' "$URL/lookup/example.com/$1@v1.0.0" &&
	    sed -n '1,3p' "$WORK/body"
}

expect 0 'verifier key: ' "init" -- "$SUMDBD" init --db "$WORK/db" --name localhost.localdev/sumdb
gosum_lines 0 5 >"$WORK/go.sum"
expect 0 '' "five records added" -- "$SUMDBD" add --db "$WORK/db" "$WORK/go.sum"

# --- 1. more records than the index holds -------------------------------
faulty limit4 SDB_TEST_INDEX_MAX_RECORDS=4
SUMDBD_WRAP="$WORK/limit4" start_sumdbd "$WORK/db" --no-admin
expect 0 '^yes$' "five records, the index holds four: serve says there is none, and why" -- \
	ok_if wait_for 30 grep -Fqx "sumdbd: lookup index: none (5 records: more than the 4 the lookup index holds); lookups read the database's own index" \
	"$WORK/serve.err"
for i in 0 1 2 3 4; do
	sed -n "$((2 * i + 1)),$((2 * i + 2))p" "$WORK/go.sum" >"$WORK/want"
	lookup "m$i" >"$WORK/got"
	expect 0 '^yes$' "without the index, example.com/m$i@v1.0.0 answers 200 with its record" -- \
		ok_if sh -c "sed -n 1p '$WORK/got' | grep -qx 200 && sed -n 2p '$WORK/got' | grep -Eqx '[0-9]+' && sed -n '3,4p' '$WORK/got' | cmp -s - '$WORK/want'"
done
expect 0 '^404$' "without the index, a version not recorded is 404" -- \
	curl -s -o /dev/null -w '%{http_code}\n' "$URL/lookup/example.com/m5@v1.0.0"
stop_sumdbd
expect 0 '^0$' "the server stops cleanly" -- echo "$SUMDBD_STATUS"

faulty limit5 SDB_TEST_INDEX_MAX_RECORDS=5
SUMDBD_WRAP="$WORK/limit5" start_sumdbd "$WORK/db" --no-admin
expect 0 '^yes$' "five records, the index holds five: all indexed" -- \
	ok_if wait_for 30 grep -Eqx 'sumdbd: lookup index: 5 records in 0\.0 MiB, built in [0-9.]* s' \
	"$WORK/serve.err"
stop_sumdbd

# --- 2. a stop during the build -----------------------------------------
mkdir "$WORK/pause"
faulty paused "SDB_TEST_INDEX_PAUSE_DIR='$WORK/pause'"
SUMDBD_WRAP="$WORK/paused" start_sumdbd "$WORK/db" --no-admin
expect 0 '^yes$' "the build is under way, paused at its first record" -- \
	ok_if wait_for 30 test -e "$WORK/pause/paused"
lookup m3 >"$WORK/got"
expect 0 '^200$' "meanwhile lookups answer from the database" -- sed -n 1p "$WORK/got"
kill -TERM "$SUMDBD_PID"
expect 0 '^yes$' "SIGTERM: serve is stopping" -- \
	ok_if wait_for 30 grep -q '^sumdbd: stopping (signal 15)$' "$WORK/serve.err"
touch "$WORK/pause/go"
stop_sumdbd
expect 0 '^0$' "the server stops cleanly" -- echo "$SUMDBD_STATUS"
expect 0 '^yes$' "the build ended at the next record: the index was not built, and serve said so" -- \
	ok_if grep -Fqx 'sumdbd: lookup index: not built (the server is stopping: stopped after 0 of 5 records)' \
	"$WORK/serve.err"
expect 0 '^yes$' "... and read no further: no index of the five records" -- \
	ok_if sh -c "! grep -q 'lookup index: 5 records' '$WORK/serve.err'"
stopped=$(grep -n '^sumdbd: stopping' "$WORK/serve.err" | cut -d: -f1)
notbuilt=$(grep -n '^sumdbd: lookup index: not built' "$WORK/serve.err" | cut -d: -f1)
expect 0 '^yes$' "... said after the stop" -- ok_if test "${stopped:-0}" -lt "${notbuilt:-0}"
e2e_done
