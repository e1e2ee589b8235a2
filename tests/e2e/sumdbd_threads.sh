#!/bin/sh
# sumdbd serve and add when a mutex, a condition variable or a thread
# cannot be made.  tests/e2e/sumdbd_pthread_faults is sumdbd with those
# calls behind a fault switch (tests/e2e/pthread_faults.c): from the Nth
# call of one of them on, or at the Nth call alone, each fails, leaving
# the object undefined (filled with garbage), as POSIX allows.  Nothing
# in sumdbd does without a mutex or a condition variable it asked for: a
# run that met such a failure must exit 1 saying what it could not make,
# never go on with the garbage (serve, hang, crash).  A thread that cannot
# be started is refused the same way, or done without.  A run that met no
# failure (N past the last call) does what sumdbd does; every sweep must
# get there, so that each call was made to fail.
. "$top_srcdir/tests/e2e/lib.sh"
FAULTS="$top_builddir/tests/e2e/sumdbd_pthread_faults"
NAME=localhost.localdev/sumdbd

expect 0 'verifier key: ' "init" -- "$SUMDBD" init --db "$WORK/a.db" --name "$NAME"
gosum_lines 0 20 >"$WORK/g.sum"
expect 0 'tree size 20' "20 records" -- "$SUMDBD" add --db "$WORK/a.db" "$WORK/g.sum"

# serve_run FAULT: runs the faulting `sumdbd serve` on a.db with
# SDB_TEST_PTHREAD_FAIL=FAULT until it serves or exits (at most 30 s),
# with an upstream proxy for private modules (never asked: nothing is
# looked up) so that the upstream fetcher is made too.  A
# server that serves is asked for /latest and stopped with SIGTERM.
# Prints "serves" (it answered the signed tree and stopped with exit 0),
# "refused" (exit 1, saying it cannot make or start something), or what
# else happened; then " met" when a failure was met.
serve_run() {
	rm -f "$WORK/f.log" "$WORK/f.out" "$WORK/f.err"
	SDB_TEST_PTHREAD_FAIL=$1 SDB_TEST_PTHREAD_LOG="$WORK/f.log" \
	    timeout -k 5 30 "$FAULTS" serve --db "$WORK/a.db" --listen 127.0.0.1:0 --no-public \
	    --threads 2 --upstream http://127.0.0.1:9 --private corp.example.com \
	    >"$WORK/f.out" 2>"$WORK/f.err" &
	_pid=$! _url= _i=0
	while [ $_i -lt 300 ] && kill -0 $_pid 2>/dev/null; do
		_url=$(sed -n 's|^sumdbd: serving .* on \(http://[0-9.:]*\)$|\1|p' "$WORK/f.out" 2>/dev/null || true)
		[ -n "$_url" ] && break
		sleep 0.1
		_i=$((_i + 1))
	done
	_got=
	if [ -n "$_url" ]; then
		_latest=$(curl -s --max-time 10 "$_url/latest" | head -n 1)
		kill -TERM $_pid
	fi
	wait $_pid
	_st=$?
	if [ -n "$_url" ]; then
		if [ "$_latest" = "go.sum database tree" ] && [ $_st = 0 ]; then
			_got=serves
		else
			_got="served, /latest: '$_latest', exit $_st on SIGTERM"
		fi
	elif [ $_st = 1 ] && grep -Eq '^sumdbd serve: .*(could not|cannot) (make|start)' "$WORK/f.err"; then
		_got=refused
	else
		_got="exit $_st: $(tr '\n' ' ' <"$WORK/f.err")"
	fi
	[ -s "$WORK/f.log" ] && _got="$_got met"
	echo "$_got"
}

# add_run FAULT: `sumdbd add` of g.sum again (nothing new: the database
# is left as it was) with SDB_TEST_PTHREAD_FAIL=FAULT; prints "adds",
# "refused" or what else happened, then " met" as serve_run.
add_run() {
	rm -f "$WORK/f.log"
	SDB_TEST_PTHREAD_FAIL=$1 SDB_TEST_PTHREAD_LOG="$WORK/f.log" \
	    timeout -k 5 30 "$FAULTS" add --db "$WORK/a.db" "$WORK/g.sum" >"$WORK/f.out" 2>&1
	_st=$?
	if [ $_st = 0 ] && grep -q 'tree size 20' "$WORK/f.out"; then
		_got=adds
	elif [ $_st = 1 ] && grep -Eq '^sumdbd add: .*(could not|cannot) (make|start)' "$WORK/f.out"; then
		_got=refused
	else
		_got="exit $_st: $(tr '\n' ' ' <"$WORK/f.out")"
	fi
	[ -s "$WORK/f.log" ] && _got="$_got met"
	echo "$_got"
}

# sweep RUN OK: RUN with each of mutex_init, cond_init and create failing
# from its Nth call on, and with mutex_init and cond_init failing at
# their Nth call alone (a failure ignored is then not hidden by a later
# call that refuses), N = 1, 2, ... until a run meets no failure; says
# "clean" when every run that met a failure was refused (or, for create,
# gave OK, the outcome without faults), and every one that met none gave
# OK; else shows the first run of each call that went wrong.
sweep() {
	_bad=
	for _f in mutex_init: cond_init: create: mutex_init= cond_init=; do
		_fn=${_f%?}
		case "$_f" in *=) _at="at call" _on=" alone" ;; *) _at="from call" _on=" on" ;; esac
		_n=1
		while :; do
			_r=$($1 "$_f$_n")
			case "$_r" in
			"refused met") ;;
			"$2 met")
				if [ "$_fn" != create ]; then
					_bad="$_bad
$_fn $_at $_n$_on: went on with what it could not make: $_r"
					break
				fi;;
			"$2") break;;
			*) _bad="$_bad
$_fn $_at $_n$_on: $_r"
				break;;
			esac
			_n=$((_n + 1))
			if [ $_n -gt 40 ]; then
				_bad="$_bad
$_fn: a failure met at every call up to 40"
				break
			fi
		done
	done
	if [ -n "$_bad" ]; then echo "$_bad"; else echo clean; fi
}

expect 0 '^serves$' "serve without faults" -- serve_run ""
expect 0 '^clean$' "serve with each thread call failing (from) its Nth: a clean refusal" -- \
    sweep serve_run serves
expect 0 '^adds$' "add without faults" -- add_run ""
expect 0 '^clean$' "add with each thread call failing (from) its Nth: a clean refusal" -- \
    sweep add_run adds
e2e_done
