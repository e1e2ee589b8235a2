# Starting and stopping `sumdbd serve` in a test (sourced by
# tests/e2e/lib.sh and by tests/diff/sumdbd_tiles.sh).  The server binds a
# free loopback port; it is stopped by its PID, with SIGTERM, and waited
# for.  Needs $top_builddir and a $WORK directory.

SUMDBD_PID=

# start_sumdbd DB [ARGS...]: runs sumdbd serve on DB (with ARGS, e.g.
# --key FILE) on 127.0.0.1:0 and waits until it prints its address; sets
# URL.  Lookups of public modules are off (--no-public: tests never reach
# sum.golang.org) unless ARGS name a --public-url.  Its stdout and stderr go to $WORK/serve.out and $WORK/serve.err.
# Exits the test when the server does not start.
start_sumdbd() {
	_db=$1
	shift
	# A restart must not read the address of the server before: the
	# background shell may truncate serve.out after the first look.
	rm -f "$WORK/serve.out"
	case " $* " in *" --public-url "*) _pub= ;; *) _pub=--no-public ;; esac
	"$top_builddir/sumdbd" serve --db "$_db" --listen 127.0.0.1:0 $_pub "$@" \
	    >"$WORK/serve.out" 2>"$WORK/serve.err" &
	SUMDBD_PID=$!
	_i=0
	URL=
	while [ $_i -lt 100 ]; do
		# serve.out may not exist yet (the background shell creates it):
		# a failing sed must not end a caller running under set -e.
		URL=$(sed -n 's|^sumdbd: serving .* on \(http://[0-9.:]*\)$|\1|p' "$WORK/serve.out" 2>/dev/null || true)
		[ -n "$URL" ] && return 0
		kill -0 "$SUMDBD_PID" 2>/dev/null || break
		sleep 0.1
		_i=$((_i + 1))
	done
	echo "FAIL: sumdbd serve did not start:"
	cat "$WORK/serve.out" "$WORK/serve.err"
	exit 1
}

# stop_sumdbd: SIGTERM to the server start_sumdbd started, if any, and
# waits for it; its exit status is left in $SUMDBD_STATUS, and anything but
# 0 counts in $SERVER_FAILURES.
stop_sumdbd() {
	SUMDBD_STATUS=
	if [ -n "$SUMDBD_PID" ]; then
		kill -TERM "$SUMDBD_PID" 2>/dev/null
		wait "$SUMDBD_PID" 2>/dev/null && SUMDBD_STATUS=0 || SUMDBD_STATUS=$?
		# A sanitizer report (ASan aborts, UBSan halts) or a crash shows
		# only in the exit status: it fails the test (e2e_done, e2e_cleanup).
		if [ "$SUMDBD_STATUS" != 0 ]; then
			echo "FAIL: sumdbd serve exited $SUMDBD_STATUS on SIGTERM; its stderr:"
			tail -n 40 "$WORK/serve.err"
			SERVER_FAILURES=$((${SERVER_FAILURES:-0} + 1))
		fi
		SUMDBD_PID=
	fi
	return 0
}
