#!/bin/sh
# The e2e harness itself: a test ended by a signal (make check
# interrupted, a harness timeout) still stops the servers it started and
# removes its $WORK directory.  A child test, sourcing lib.sh as every
# test does, starts sumdbd serve and waits; it is sent SIGTERM, SIGINT or
# SIGHUP, and then must have exited with 128 + the signal's number, with
# its server stopped and its directory gone.
. "$top_srcdir/tests/e2e/lib.sh"

cat >"$WORK/child.sh" <<'CHILD'
. "$top_srcdir/tests/e2e/lib.sh"
"$SUMDBD" init --db "$WORK/sum.db" --name localhost.localdev/sumdb >"$WORK/init.out" 2>&1 ||
    { cat "$WORK/init.out"; exit 1; }
start_sumdbd "$WORK/sum.db" --no-admin
sleep 600 &
echo "$SUMDBD_PID $! $WORK" >"$STATE"
wait $!
echo "FAIL: the child test went on after its signal"
CHILD

# Stops, by PID, what a child that did not clean up left running.
LEFT=
child_cleanup() {
	for p in $LEFT; do
		kill -KILL "$p" 2>/dev/null
	done
	e2e_cleanup
}
trap child_cleanup EXIT

for sig in TERM INT HUP; do
	case $sig in TERM) want=143 ;; INT) want=130 ;; HUP) want=129 ;; esac
	STATE="$WORK/state.$sig"
	# A command started with & has SIGINT ignored, make check run under
	# nohup has SIGHUP ignored, and a shell cannot trap what was ignored
	# when it started: env gives all three back.
	STATE=$STATE TMPDIR=$WORK env --default-signal=HUP,INT,TERM sh "$WORK/child.sh" \
	    >"$WORK/child.$sig" 2>&1 &
	child=$!
	i=0
	while [ ! -s "$STATE" ] && kill -0 "$child" 2>/dev/null && [ $i -lt 300 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	if [ ! -s "$STATE" ]; then
		echo "FAIL: the child test did not start its server:"
		sed 's/^/    /' "$WORK/child.$sig"
		kill -KILL "$child" 2>/dev/null
		e2e_fail=$((e2e_fail + 1))
		continue
	fi
	read -r server sleeper cwork <"$STATE"
	LEFT="$LEFT $server $sleeper"
	kill -"$sig" "$child"
	# A child that ignored the signal is killed after 60 s (and fails).
	i=0
	while kill -0 "$child" 2>/dev/null && [ $i -lt 600 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$child" 2>/dev/null
	wait "$child"
	got=$?
	kill -KILL "$sleeper" 2>/dev/null
	expect 0 '^yes$' "SIG$sig: the child test exits $want" -- \
	    ok_if test "$got" -eq "$want"
	# The server is stopped by the child's cleanup, which waits for it.
	expect 0 '^yes$' "SIG$sig: its sumdbd serve is stopped" -- \
	    ok_if sh -c "! kill -0 $server 2>/dev/null"
	expect 0 '^yes$' "SIG$sig: its directory is removed" -- \
	    ok_if test ! -e "$cwork"
done
e2e_done
