#!/bin/sh
# sumdb check --jobs and audit --full when a mutex, a condition variable
# or a thread cannot be made.  tests/e2e/sumdb_pthread_faults is sumdb
# with those calls behind a fault switch (tests/e2e/pthread_faults.c):
# from the Nth call of one of them on, each fails, leaving the object
# undefined (filled with garbage), as POSIX allows.  For every such N up
# to past the last call, each command either gives the very output and
# exit status it gives without the fault (fewer threads, or none: the
# lookups one at a time), or exits 1 with a message saying what could not
# be made; never a hang, a crash or another outcome.  A failure of each
# call must have been met at least once; check must have survived one of
# each (its lookups then go one at a time), audit --full one of
# pthread_create (it needs one download thread, and its mutex and
# condition variables).
. "$top_srcdir/tests/e2e/lib.sh"
trap 'sumdbd_stop A; e2e_cleanup' EXIT
FAULTS="$top_builddir/tests/e2e/sumdb_pthread_faults"
NAME=localhost.localdev/sumdb

expect 0 'verifier key: ' "init" -- "$SUMDBD" init --db "$WORK/a.db" --name "$NAME"
VKEY=$(sed -n 's/^verifier key: //p' "$WORK/out")
gosum_lines 0 600 >"$WORK/g.sum"
expect 0 'tree size 600' "600 records" -- "$SUMDBD" add --db "$WORK/a.db" "$WORK/g.sum"
sumdbd_start A "$WORK/a.db"
head -n 80 "$WORK/g.sum" >"$WORK/forty.sum"
printf 'example.com/m3 v1.0.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n' >>"$WORK/forty.sum"

# run NAME FAULT CMD...: runs the faulting sumdb (at most 30 s) with
# SDB_TEST_PTHREAD_FAIL=FAULT (empty: none); exit status, stdout, stderr
# (without the time a full audit took) and the faults met in
# $WORK/NAME.{status,out,err,log}.
run() {
	_n=$1 _f=$2
	shift 2
	rm -f "$WORK/$_n.log"
	SDB_TEST_PTHREAD_FAIL=$_f SDB_TEST_PTHREAD_LOG="$WORK/$_n.log" \
	    timeout 30 "$FAULTS" "$@" >"$WORK/$_n.out" 2>"$WORK/$_n.err"
	echo $? >"$WORK/$_n.status"
	sed -i 's| in [0-9.]* s ([0-9]* records/s)||' "$WORK/$_n.out" "$WORK/$_n.err"
	touch "$WORK/$_n.log"
}

# sweep SURVIVE CMD...: runs CMD with each call failing from its Nth on,
# N = 1..8; says "clean" when every run gave the output of the run
# without faults ($WORK/ref.*) or refused cleanly, each call's failure
# was met at least once, and those of the calls in SURVIVE were survived
# (the output of the run without faults) at least once; else shows what
# went wrong.
sweep() {
	_bad= _must=$1
	shift
	for _fn in mutex_init cond_init create; do
		_met=no _survived=no
		for _i in 1 2 3 4 5 6 7 8; do
			rm -f "$WORK/st"; cp "$WORK/st0" "$WORK/st" 2>/dev/null
			run f "$_fn:$_i" "$@"
			[ -s "$WORK/f.log" ] && _met=yes
			if cmp -s "$WORK/f.status" "$WORK/ref.status" && cmp -s "$WORK/f.out" "$WORK/ref.out" &&
			    cmp -s "$WORK/f.err" "$WORK/ref.err"; then
				[ -s "$WORK/f.log" ] && _survived=yes
			elif [ "$(cat "$WORK/f.status")" = 1 ] && [ -s "$WORK/f.log" ] &&
			    grep -Eq "^sumdb [a-z]+: .*(could not|cannot) (make|start)" "$WORK/f.err"; then
				:
			else
				_bad="$_bad
$_fn from call $_i on: exit $(cat "$WORK/f.status") (want $(cat "$WORK/ref.status")), faults met: $(tr '\n' ' ' <"$WORK/f.log")
$(diff "$WORK/ref.out" "$WORK/f.out"; diff "$WORK/ref.err" "$WORK/f.err")"
			fi
		done
		[ "$_met" = yes ] || _bad="$_bad
$_fn: no failure of it was met"
		case " $_must " in *" $_fn "*)
			[ "$_survived" = yes ] || _bad="$_bad
$_fn: no failure of it was survived";;
		esac
	done
	if [ -n "$_bad" ]; then echo "$_bad"; else echo clean; fi
}

# --- sumdb check --jobs 4 ----------------------------------------------------
run ref "" check --jobs 1 --url "$A_URL" "$VKEY" "$WORK/forty.sum"
expect 0 '^2$' "check without faults: exit 2 (one mismatch)" -- cat "$WORK/ref.status"
expect 0 '80 lines match the log' "... the others match" -- cat "$WORK/ref.out" "$WORK/ref.err"
expect 0 '^clean$' "check --jobs 4 with each thread call failing from its Nth on: the same outcome, or a clean refusal" -- \
    sweep "mutex_init cond_init create" check --jobs 4 --url "$A_URL" "$VKEY" "$WORK/forty.sum"

# --- sumdb audit --full --------------------------------------------------------
# each run from the same state: the tree accepted, nothing checked in full
expect 0 '^first run: trusting the tree of 600 records' "a first audit" -- \
    "$SUMDB" audit --state "$WORK/st0" --url "$A_URL" "$VKEY"
cp "$WORK/st0" "$WORK/st"
run ref "" audit --full --state "$WORK/st" --url "$A_URL" "$VKEY"
expect 0 '^0$' "audit --full without faults: exit 0" -- cat "$WORK/ref.status"
expect 0 '^full audit: 600 records checked' "... every record checked" -- cat "$WORK/ref.out"
expect 0 '^clean$' "audit --full with each thread call failing from its Nth on: the same outcome, or a clean refusal" -- \
    sweep create audit --full --state "$WORK/st" --url "$A_URL" "$VKEY"

sumdbd_stop A
e2e_done
