#!/bin/sh
# Crash safety of sumdbd (issue 7): SIGKILL at random moments while
# `sumdbd add` imports through the admin socket and clients look records
# up (tests/e2e/crashclients.py), then restart.  After each kill: sumdbd
# fsck is clean; after each restart every version an import acknowledged
# is answered, with the id any lookup was given before.  At the end every
# signed tree any client received during the whole run (from /latest and
# from lookups) must be a prefix of the final tree: a consistency proof
# checked by x/mod (oracle treecheck).
# CRASH_KILLS (default 8) and CRASH_SEED set the length and the schedule;
# tools/crash-loop runs the long version.
. "$top_srcdir/tests/e2e/lib.sh"
KILLS=${CRASH_KILLS:-8}
SEED=${CRASH_SEED:-$$}
CL="$WORK/clients"
mkdir -p "$CL"
CLIENTS_PID=

stop_clients() {
	if [ -n "$CLIENTS_PID" ]; then
		: >"$CL/stop"
		wait "$CLIENTS_PID"
		rm -f "$CL/stop"
		CLIENTS_PID=
	fi
}
crash_cleanup() {
	stop_clients
	e2e_cleanup
}
trap crash_cleanup EXIT

echo "seed $SEED, $KILLS kills"
"$SUMDBD" init --db "$WORK/c.db" --name crash.test.example >"$WORK/init.out" 2>&1 ||
	{ cat "$WORK/init.out"; exit 1; }
VKEY=$(sed -n 's/^GOSUMDB="\([^ ]*\) .*/\1/p' "$WORK/init.out")

# sleep_ms N: a random pause of up to N ms (from the seed and the round).
rnd_ms() { python3 -c 'import random,sys; r=random.Random(int(sys.argv[1])*1000+int(sys.argv[2])); print("%.3f" % (r.randint(int(sys.argv[3]), int(sys.argv[4]))/1000))' "$SEED" "$1" "$2" "$3"; }

kills=0 fsck_bad=0 verify_bad=0
k=1
while [ $k -le "$KILLS" ]; do
	start_sumdbd "$WORK/c.db"
	python3 "$top_srcdir/tests/e2e/crashclients.py" run "$SUMDBD" "$WORK/c.db" "$URL" "$CL" \
	    "$SEED$k" 60 >"$WORK/clients.out" 2>&1 &
	CLIENTS_PID=$!
	sleep "$(rnd_ms "$k" 300 1500)"
	kill -KILL "$SUMDBD_PID"
	wait "$SUMDBD_PID" 2>/dev/null
	SUMDBD_PID=
	kills=$((kills + 1))
	# The clients go on for a moment with the server dead (`sumdbd add`
	# then writes the database itself), then stop.
	sleep "$(rnd_ms "$k" 0 200)"
	stop_clients
	if ! "$SUMDBD" fsck --db "$WORK/c.db" >"$WORK/fsck.out" 2>&1; then
		fsck_bad=$((fsck_bad + 1))
		echo "FAIL: fsck after kill $k:"; cat "$WORK/fsck.out"
	fi
	start_sumdbd "$WORK/c.db"
	if ! python3 "$top_srcdir/tests/e2e/crashclients.py" verify "$URL" "$CL" >"$WORK/verify.out" 2>&1; then
		verify_bad=$((verify_bad + 1))
		echo "FAIL: after restart $k:"; head -20 "$WORK/verify.out"
	fi
	echo "kill $k: $(cat "$WORK/fsck.out"); $(tail -1 "$WORK/verify.out")"
	stop_sumdbd
	if [ "$SUMDBD_STATUS" != 0 ]; then
		echo "FAIL: sumdbd serve exited $SUMDBD_STATUS on SIGTERM after restart $k:"
		cat "$WORK/serve.err"
		verify_bad=$((verify_bad + 1))
	fi
	k=$((k + 1))
done

acked=$(wc -l <"$CL/acked")
withid=$(cut -d' ' -f1,2 "$CL/ids" 2>/dev/null | sort -u | wc -l)
expect 0 "^$KILLS$" "sumdbd killed $KILLS times" -- echo "$kills"
expect 0 "^0$" "fsck clean after every kill" -- echo "$fsck_bad"
expect 0 "^0$" "every acknowledged record present after every restart, same id" -- echo "$verify_bad"
expect 0 "^yes$" "some imports were acknowledged ($acked versions, $withid looked up)" -- \
	ok_if test "$acked" -gt 0 -a "$withid" -gt 0

# Every signed tree any client received, against the final tree.
start_sumdbd "$WORK/c.db"
ls "$CL"/notes/* >"$WORK/notes.list"
nnotes=$(wc -l <"$WORK/notes.list")
if [ -x "${ORACLE:-}" ]; then
	expect 0 "^checked $nnotes notes against tree [0-9]+$" \
	    "all $nnotes signed trees clients saw are prefixes of the final tree (x/mod)" -- \
	    "$ORACLE" treecheck "$URL" "$VKEY" <"$WORK/notes.list"
	tail -1 "$WORK/out"
	# The check can fail: a tree signed with the same key over other
	# records (a fork) is refused.  The fork signs with a copy of the key
	# file: sumdbd refuses a second log under the file itself.
	cp "$WORK/c.db.key" "$WORK/fork.key"
	"$SUMDBD" init --db "$WORK/fork.db" --key "$WORK/fork.key" >/dev/null 2>&1
	gosum_lines 0 3 fork | "$SUMDBD" add --db "$WORK/fork.db" >/dev/null 2>&1
	python3 -c 'import sqlite3,sys; sys.stdout.buffer.write(sqlite3.connect(sys.argv[1]).execute("SELECT note FROM trees ORDER BY size DESC LIMIT 1").fetchone()[0])' \
	    "$WORK/fork.db" >"$WORK/fork.note"
	expect 1 "is not a prefix of tree" "a forked tree with the same key is caught" -- \
	    sh -c 'echo "$1" | "$2" treecheck "$3" "$4"' - "$WORK/fork.note" "$ORACLE" "$URL" "$VKEY"
else
	echo "SKIP: no x/mod oracle (Go); signed trees not checked"
fi
stop_sumdbd
expect 0 "^0$" "sumdbd serve exits 0 on SIGTERM (no sanitizer report)" -- echo "$SUMDBD_STATUS"
e2e_done
