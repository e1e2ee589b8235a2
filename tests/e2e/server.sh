# Starting and stopping `sumdbd serve` in a test (sourced by
# tests/e2e/lib.sh and by tests/diff/sumdbd_tiles.sh).  Every server binds
# a free loopback port and is stopped by its PID, with SIGTERM, and waited
# for; an exit status but 0 (a sanitizer report, a crash) fails the test.
# Needs $top_builddir and a $WORK directory.

SUMDBD_PID=

# sumdbd_start NAME DB [ARGS...]: runs `sumdbd serve` on DB with ARGS on
# 127.0.0.1:0 and waits until it prints its address; sets ${NAME}_PID and
# ${NAME}_URL.  Its stdout and stderr go to $WORK/NAME.out and NAME.err.
# Lookups of public modules are off (--no-public: tests never reach
# sum.golang.org) unless ARGS name a --public-url.  Exits the test when
# the server does not start.  $SUMDBD_WRAP, when set, is a command the
# server runs under (such as "taskset -c 0").
sumdbd_start() {
	_name=$1 _db=$2
	shift 2
	case " $* " in *" --public-url "*) _pub= ;; *) _pub=--no-public ;; esac
	# A restart must not read the address of the server before.
	rm -f "$WORK/$_name.out"
	${SUMDBD_WRAP:-} "$top_builddir/sumdbd" serve --db "$_db" --listen 127.0.0.1:0 $_pub "$@" \
	    >"$WORK/$_name.out" 2>"$WORK/$_name.err" &
	eval "${_name}_PID=\$!"
	_i=0
	while [ $_i -lt 200 ]; do
		# $WORK/NAME.out may not exist yet (the background shell makes
		# it): a failing sed must not end a caller under set -e.
		_u=$(sed -n 's|^sumdbd: serving .* on \(http://[][0-9a-f.:]*\)$|\1|p' "$WORK/$_name.out" 2>/dev/null || true)
		if [ -n "$_u" ]; then
			eval "${_name}_URL=\$_u"
			return 0
		fi
		eval "kill -0 \$${_name}_PID" 2>/dev/null || break
		sleep 0.1
		_i=$((_i + 1))
	done
	echo "FAIL: sumdbd serve $_db did not start:"
	cat "$WORK/$_name.out" "$WORK/$_name.err"
	exit 1
}

# log_copy SRC DST: copies the stopped sumdbd database SRC (made by init
# with its key beside it, SRC.key) to DST with a copy of the key, DST.key,
# and of its checkpoint, that DST names as its key, as if on another
# machine.  For tests that build a fork or a stale copy of a log on
# purpose: the key's checkpoint (and its lock) are per key file, and refuse
# a second database under one, and a database with records under a key
# without one.
log_copy() {
	cp "$1" "$2" && cp "$1.key" "$2.key" &&
	    cp "$1.key.checkpoint" "$2.key.checkpoint" && python3 -c '
import os, sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("UPDATE config SET value = ? WHERE key = ?",
          (os.path.basename(sys.argv[1]) + ".key", "signer_key_file"))
c.commit()' "$2" || { echo "FAIL: log_copy $1 $2"; exit 1; }
}

# sumdbd_stop NAME: SIGTERM to the server started as NAME, if any, and
# waits for it, at most SUMDBD_STOP_LIMIT seconds: a server still running
# then is killed (SUMDBD_STOP_TIMED_OUT=yes), so that a stop that hangs
# fails the test instead of hanging it.  Its exit status is left in
# $SUMDBD_STATUS, and anything but 0 counts in $SERVER_FAILURES (e2e_done
# fails the test on it).
SUMDBD_STOP_LIMIT=120
sumdbd_stop() {
	SUMDBD_STATUS=
	SUMDBD_STOP_TIMED_OUT=no
	eval "_p=\${${1}_PID:-}"
	if [ -n "$_p" ]; then
		kill -"${SUMDBD_STOP_SIGNAL:-TERM}" "$_p" 2>/dev/null
		_i=0
		while kill -0 "$_p" 2>/dev/null && [ $_i -lt $((SUMDBD_STOP_LIMIT * 10)) ]; do
			sleep 0.1
			_i=$((_i + 1))
		done
		if kill -0 "$_p" 2>/dev/null; then
			echo "FAIL: sumdbd serve $1 still running $SUMDBD_STOP_LIMIT s after SIG${SUMDBD_STOP_SIGNAL:-TERM}; killed"
			SUMDBD_STOP_TIMED_OUT=yes
			kill -KILL "$_p" 2>/dev/null
		fi
		wait "$_p" 2>/dev/null && SUMDBD_STATUS=0 || SUMDBD_STATUS=$?
		if [ "$SUMDBD_STATUS" != 0 ]; then
			echo "FAIL: sumdbd serve $1 exited $SUMDBD_STATUS on SIG${SUMDBD_STOP_SIGNAL:-TERM}; its stderr:"
			tail -n 40 "$WORK/$1.err"
			SERVER_FAILURES=$((${SERVER_FAILURES:-0} + 1))
		fi
		eval "${1}_PID="
	fi
	return 0
}

# start_sumdbd DB [ARGS...] / stop_sumdbd: the same for the one server of
# a test that needs only one; sets URL and SUMDBD_PID ($WORK/serve.out).
start_sumdbd() {
	sumdbd_start serve "$@"
	SUMDBD_PID=$serve_PID
	URL=$serve_URL
}

stop_sumdbd() {
	serve_PID=$SUMDBD_PID
	sumdbd_stop serve
	SUMDBD_PID=
}
