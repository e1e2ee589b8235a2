#!/bin/sh
# The e2e harness itself: a test ended by a signal (make check
# interrupted, a harness timeout) still stops every process it started
# and removes its $WORK directory, even when the signal reaches its shell
# alone in the middle of a foreground command that would run on for long
# (a shell runs its traps only once the foreground command is over).  A
# child test, sourcing lib.sh as every test does, starts sumdbd serve,
# then runs a foreground command that would last 10 minutes; its shell
# alone is sent SIGTERM, SIGINT or SIGHUP, and then it must have exited
# at once with 128 + the signal's number, with its server stopped, no
# process of its own left and its directory gone.
. "$top_srcdir/tests/e2e/lib.sh"

# reap_child: the exit status of $child in got, once it has ended; one
# that has not ended 60 s after its signal is killed, and fails its
# check: the bound catches only a hang, the signal passed on ends it at
# once.
reap_child() {
	wait_for 60 sh -c "! kill -0 $child"
	kill -KILL "$child" 2>/dev/null
	wait "$child"
	got=$?
}

cat >"$WORK/child.sh" <<'CHILD'
. "$top_srcdir/tests/e2e/lib.sh"
"$SUMDBD" init --db "$WORK/sum.db" --name localhost.localdev/sumdb >"$WORK/init.out" 2>&1 ||
    { cat "$WORK/init.out"; exit 1; }
start_sumdbd "$WORK/sum.db" --no-admin
echo "$$ $SUMDBD_PID $(proc_start "$SUMDBD_PID") $WORK" >"$STATE.new" && mv "$STATE.new" "$STATE"
sleep 600
echo "FAIL: the child test went on after its signal"
CHILD

for sig in TERM INT HUP; do
	case $sig in TERM) want=143 ;; INT) want=130 ;; HUP) want=129 ;; esac
	STATE="$WORK/state.$sig"
	# A command started with & has SIGINT ignored, make check run under
	# nohup has SIGHUP ignored, and a shell cannot trap what was ignored
	# when it started: env gives all three back.
	STATE=$STATE TMPDIR=$WORK env --default-signal=HUP,INT,TERM sh "$WORK/child.sh" \
	    >"$WORK/child.$sig" 2>&1 &
	# $child is this shell's own child: its PID is no one else's until
	# the wait below, so it alone is signalled and killed by that PID.
	child=$!
	wait_for 30 sh -c "[ -s '$STATE' ] || ! kill -0 $child"
	if [ ! -s "$STATE" ]; then
		echo "FAIL: the child test did not start its server:"
		sed 's/^/    /' "$WORK/child.$sig"
		kill -KILL "$child" 2>/dev/null
		wait "$child"
		e2e_fail=$((e2e_fail + 1))
		continue
	fi
	read -r sid server server_start cwork <"$STATE"
	kill -"$sig" "$child"
	reap_child
	expect 0 '^yes$' "SIG$sig: the child test exits $want" -- \
	    ok_if test "$got" -eq "$want"
	expect 0 '^yes$' "SIG$sig: ... without going on after the signal" -- \
	    ok_if sh -c "! grep -q 'went on' '$WORK/child.$sig'"
	# The server is stopped by the child's cleanup, which waits for it;
	# a process of that PID started later is another one.
	expect 0 '^yes$' "SIG$sig: its sumdbd serve is stopped" -- \
	    ok_if test "$(proc_start "$server")" != "$server_start"
	# Each test runs in a session of its own (lib.sh), whose ID is the
	# test shell's PID.
	left=$(e2e_session_left "$sid")
	expect 0 '^none$' "SIG$sig: no process of the child test is left" -- \
	    sh -c "echo '$left' | grep . || echo none"
	# Those left are killed by their process group, which they keep
	# from being taken by any other process while they run.
	[ -z "$left" ] || kill -KILL "-$sid" 2>/dev/null
	expect 0 '^yes$' "SIG$sig: its directory is removed" -- \
	    ok_if test ! -e "$cwork"
done

# An env with no --default-signal (coreutils before 8.31, busybox): the
# child test still runs in a session of its own, and its exit status,
# 77 (skip) as any other, is passed on unchanged.
mkdir "$WORK/oldenv"
cat >"$WORK/oldenv/env" <<EOF
#!/bin/sh
case "\$1" in
--default-signal*) echo "env: unrecognized option '\$1'" >&2; exit 125 ;;
esac
exec $(command -v env) "\$@"
EOF
chmod +x "$WORK/oldenv/env"
cat >"$WORK/skip.sh" <<'CHILD'
. "$top_srcdir/tests/e2e/lib.sh"
sid=$(sed 's/.*) //' /proc/$$/stat | cut -d' ' -f4)
[ "$sid" = "$$" ] && echo "in a session of its own"
exit 77
CHILD
expect 77 '^in a session of its own$' \
	"an env without --default-signal: the test runs in its session, its exit 77 passed on" -- \
	env PATH="$WORK/oldenv:$PATH" TMPDIR="$WORK" sh "$WORK/skip.sh"

# A signal before the test has a session of its own (setsid has not run
# yet, here held back for as long as $WORK/held is there) still ends it: there is no
# process group of the test to signal yet, but there is its one process.
mkdir "$WORK/slowsetsid"
cat >"$WORK/slowsetsid/setsid" <<'EOF'
#!/bin/sh
echo $$ >"$SETSID_HELD.new" && mv "$SETSID_HELD.new" "$SETSID_HELD"
while [ -e "$SETSID_HELD" ]; do sleep 0.1; done
exit 1
EOF
chmod +x "$WORK/slowsetsid/setsid"
SETSID_HELD="$WORK/held" PATH="$WORK/slowsetsid:$PATH" TMPDIR=$WORK \
    sh "$WORK/skip.sh" >"$WORK/early.out" 2>&1 &
child=$!
wait_for 30 sh -c "[ -s '$WORK/held' ] || ! kill -0 $child"
kill -TERM "$child"
reap_child
expect 0 '^yes$' "SIGTERM before the test's session is made: the test ends, exit 143" -- \
    ok_if test "$got" -eq 143
# a held setsid that was not signalled ends once this file is gone
rm -f "$WORK/held"
e2e_done
