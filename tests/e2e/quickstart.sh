#!/bin/sh
# tools/run, README's quick start, run as an operator runs it:
#   - the first run builds, makes the data folder, its database and key,
#     serves, and prints the GOSUMDB line; Ctrl-C (SIGINT) stops it
#     cleanly (exit 0);
#   - the second run serves the same log from the same folder, under the
#     same key, and makes nothing new;
#   - in a source tree configured in place (README "Building by hand":
#     ./configure), whose configure refuses a second build beside it,
#     it builds and serves from the tree itself.
# A stand-in source tree: install-deps, configure and the Makefile it
# writes are stubs, the build linking this build's programs; configure
# refuses a build beside one made in place, as automake's does.
. "$top_srcdir/tests/e2e/lib.sh"

expect 0 'source directory already configured' \
	"automake's configure refuses a build beside one made in place" -- \
	grep -F 'source directory already configured' "$top_srcdir/configure"

# stand_in DIR: a source tree with tools/run and the stubs.
stand_in() {
	mkdir -p "$1/tools"
	cp "$top_srcdir/tools/run" "$1/tools/run"
	printf '#!/bin/sh\nexit 0\n' >"$1/tools/install-deps"
	cat >"$1/configure" <<EOF
#!/bin/sh
src=\$(cd "\$(dirname "\$0")" && pwd)
if [ "\$src" != "\$(pwd)" ] && [ -f "\$src/config.status" ]; then
	echo 'configure: error: source directory already configured; run "make distclean" there first' >&2
	exit 1
fi
printf 'sumdbd:\n\tln -sf %s/sumdbd sumdbd\nsumdb:\n\tln -sf %s/sumdb sumdb\n' \
	'$top_builddir' '$top_builddir' >Makefile
: >config.status
EOF
	chmod 755 "$1/tools/run" "$1/tools/install-deps" "$1/configure"
}

# run_start TREE DATA: tools/run of TREE serving the folder DATA on a
# free port, as from a terminal: SIGINT is not ignored, as it is for a
# background job of a script.  Sets RUN_PID (tools/run execs sumdbd).
RUN_PID=
run_start() {
	# emptied here, not only by the redirection below, which the
	# background shell makes in its own time: until then the wait would
	# find the last run's GOSUMDB line and go on before this run began
	: >"$WORK/run.out"
	(cd "$WORK" && CSUMDB_DATA=$2 CSUMDB_LISTEN=127.0.0.1:0 exec python3 -c '
import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
os.execv(sys.argv[1], sys.argv[1:])' "$1/tools/run" >"$WORK/run.out" 2>&1) &
	RUN_PID=$!
	# until it serves, or has stopped; the deadline only catches a hang
	wait_for 300 sh -c "grep -q '^GOSUMDB=' '$WORK/run.out' || ! kill -0 $RUN_PID"
	# Ended without serving: what there is to know, for the checks
	# that fail next (its status is RUN_STATUS, as after run_interrupt).
	if ! kill -0 "$RUN_PID" 2>/dev/null; then
		wait "$RUN_PID"
		RUN_STATUS=$?
		RUN_PID=
		echo "note: tools/run ended before serving, exit $RUN_STATUS, with" \
		    "$(wc -c <"$WORK/run.out") bytes of output; $2: $(ls -A "$WORK/$2" 2>&1 | tr '\n' ' ')"
	fi
}
# run_interrupt: Ctrl-C; the exit status in RUN_STATUS.
run_interrupt() {
	[ -n "$RUN_PID" ] || return 0
	kill -INT "$RUN_PID" 2>/dev/null
	wait "$RUN_PID"
	RUN_STATUS=$?
	RUN_PID=
}
trap '[ -z "$RUN_PID" ] || { kill -TERM "$RUN_PID"; wait "$RUN_PID"; }; e2e_cleanup' EXIT

T=$WORK/tree
stand_in "$T"
run_start "$T" data
expect 0 '^created .*/data/sumdb\.db for log localhost\.localdev/sumdb$' \
	"first run: makes the database in CSUMDB_DATA" -- cat "$WORK/run.out"
expect 0 '^yes$' "... and its signer key, mode 0600" -- \
	ok_if test "$(stat -c %a "$WORK/data/sumdb.db.key")" = 600
expect 0 '^yes$' "... built in build/run" -- ok_if test -x "$T/build/run/sumdbd"
# ere TEXT: TEXT as an extended regular expression matching itself
ere() { printf '%s\n' "$1" | sed 's/[][\\.*^$+?()|]/\\&/g'; }
VKEY=$(sed -n 's/^verifier key: //p' "$WORK/run.out")
URL=$(sed -n 's/^sumdbd: serving .* on \(http:[^ ]*\)$/\1/p' "$WORK/run.out")
expect 0 "^GOSUMDB=\"$(ere "$VKEY $URL")\"\$" "... prints the GOSUMDB line of the address it serves" -- \
	cat "$WORK/run.out"
expect 0 '^go\.sum database tree$' "... and serves the log there" -- curl -sS "$URL/latest"
run_interrupt
expect 0 '^yes$' "Ctrl-C (SIGINT) stops it, exit 0" -- ok_if test "$RUN_STATUS" = 0
expect 0 '^sumdbd: stopping \(signal 2\)$' "... saying so" -- cat "$WORK/run.out"
expect 0 '^none$' "... and removes the admin socket" -- \
	sh -c "ls '$WORK/data' | grep -F admin || echo none"

run_start "$T" data
expect 0 "^GOSUMDB=\"$(ere "$VKEY") http:" "second run: the same log, under the same key" -- cat "$WORK/run.out"
expect 0 '^none$' "... made nothing new" -- sh -c "grep -E '^(created|signer key|verifier key)' '$WORK/run.out' || echo none"
run_interrupt
expect 0 '^yes$' "... and Ctrl-C stops it again" -- ok_if test "$RUN_STATUS" = 0

# README "Building by hand" first, then the quick start.
P=$WORK/inplace
stand_in "$P"
(cd "$P" && ./configure) || exit 1
run_start "$P" data2
expect 0 '^GOSUMDB="localhost\.localdev/sumdb\+' "a tree configured in place: tools/run serves" -- \
	cat "$WORK/run.out"
expect 0 "^Audit it:  $P/sumdb audit " "... with the programs built in the tree itself" -- \
	cat "$WORK/run.out"
run_interrupt
expect 0 '^yes$' "... and Ctrl-C stops it" -- ok_if test "$RUN_STATUS" = 0
e2e_done
