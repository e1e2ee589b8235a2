#!/bin/sh
# sumdb check --jobs: several module versions looked up at once against a
# real sumdbd behind the test proxy (tests/e2e/sumdb_proxy.py), with the
# same outcome as one at a time.  The lookups overlap (the proxy holds each
# one a moment and counts how many are in flight: more than one with
# --jobs 4, never more than one with --jobs 1; no timing is measured);
# every tile above the data's level is fetched once, whatever the number of
# lookups.  Output and exit status are byte for byte those of --jobs 1 for
# a go.sum with matches, mismatches, versions the log does not know,
# malformed, blank and h2 lines; for a log that answers some versions
# with errors, that answers one with another's record, that stops
# answering part way (given up after three versions in a row, in path
# order) and that is down from the start (asked about no more versions
# than one at a time asks about); and for a log that shows two lookups
# two trees that cannot both be honest while the lookup of the version
# checked first ends last: the trees are checked in path order, and the
# fork is reported on the same line.
. "$top_srcdir/tests/e2e/lib.sh"
trap 'sumdbd_stop A; sumdbd_stop B; sumdbd_stop S; proxy_stop; rm -rf "$WORK"' EXIT
NAME=localhost.localdev/sumdb
Z=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=

# largest: the most /lookup/ requests the proxy had in flight at once
# since $WORK/proxy.ctl.inflight was emptied.
largest() { sort -n "$WORK/proxy.ctl.inflight" | tail -n 1; }
# asked: the module versions the proxy was asked to look up since
# $WORK/proxy.ctl.log was emptied.
asked() { grep -o 'lookup/[^@]*@' "$WORK/proxy.ctl.log" | sort -u | wc -l; }
# same_as_one STATUS JOBS FILE: check --jobs JOBS of FILE, as text and with
# --json, exits STATUS with a summary and prints what --jobs 1 prints, byte
# for byte, standard error included; says "same" or shows the difference.
# The four runs go at once (the faults the proxy injects do not depend on
# the order of requests).
same_as_one() {
	_pids=
	for _j in 1 "$2"; do
		for _f in text json; do
			_o=; [ "$_f" = json ] && _o=--json
			(cd "$WORK" && exec "$SUMDB" check $_o --jobs "$_j" --url "$PROXY_URL" "$VKEY" "$3") \
			    >"$WORK/run.$_j.$_f.out" 2>"$WORK/run.$_j.$_f.err" &
			_pids="$_pids $!:$_j.$_f"
		done
	done
	for _p in $_pids; do
		wait "${_p%%:*}"
		echo $? >"$WORK/run.${_p#*:}.status"
	done
	for _f in text json; do
		_a="$WORK/run.1.$_f" _b="$WORK/run.$2.$_f"
		if [ "$(cat "$_a.status")" != "$1" ] ||
		    ! grep -Eq '(not checked|"summary":true,"lines")' "$_a.out"; then
			echo "--jobs 1 ($_f): exit $(cat "$_a.status") (want $1), output:"
			cat "$_a.out" "$_a.err"
			return
		fi
		if ! cmp -s "$_a.status" "$_b.status" || ! cmp -s "$_a.out" "$_b.out" ||
		    ! cmp -s "$_a.err" "$_b.err"; then
			echo "--jobs $2 ($_f): exit $(cat "$_b.status"), --jobs 1: exit $(cat "$_a.status"); the difference:"
			diff "$_a.out" "$_b.out"
			diff "$_a.err" "$_b.err"
			return
		fi
	done
	cp "$WORK/run.1.json.out" "$WORK/one.json"
	echo same
}

expect 0 'verifier key: ' "init" -- "$SUMDBD" init --db "$WORK/a.db" --name "$NAME"
VKEY=$(sed -n 's/^verifier key: //p' "$WORK/out")
gosum_lines 0 603 >"$WORK/g.sum"
expect 0 'tree size 603' "603 records" -- "$SUMDBD" add --db "$WORK/a.db" "$WORK/g.sum"
sumdbd_start A "$WORK/a.db"
proxy_start
proxy_set "upstream $A_URL"

# --- the lookups overlap ----------------------------------------------------
head -n 24 "$WORK/g.sum" >"$WORK/twelve.sum"
proxy_set "upstream $A_URL" "delay 200 /lookup/"
for jobs in 4 1; do
	: >"$WORK/proxy.ctl.inflight"
	expect 0 '24 lines match the log' "check --jobs $jobs of 12 versions, each lookup held 0.2 s" -- \
		"$SUMDB" check --jobs "$jobs" --url "$PROXY_URL" "$VKEY" "$WORK/twelve.sum"
	cp "$WORK/proxy.ctl.inflight" "$WORK/inflight.$jobs"
done
expect 0 '^yes$' "--jobs 4: more than one lookup in flight at once" -- \
	ok_if test "$(sort -n "$WORK/inflight.4" | tail -n 1)" -gt 1
expect 0 '^yes$' "--jobs 1: one lookup at a time" -- \
	ok_if test "$(sort -n "$WORK/inflight.1" | tail -n 1)" -eq 1
expect 0 '^yes$' "... and each of the 12 versions asked about once in both runs" -- \
	ok_if test "$(wc -l <"$WORK/inflight.4")" -eq 12 -a "$(wc -l <"$WORK/inflight.1")" -eq 12
: >"$WORK/proxy.ctl.inflight"
expect 0 '24 lines match the log' "check without --jobs, the default" -- \
	"$SUMDB" check --url "$PROXY_URL" "$VKEY" "$WORK/twelve.sum"
expect 0 '^yes$' "the default: more than one lookup in flight at once" -- ok_if test "$(largest)" -gt 1

# --- the lookups share one tile cache ---------------------------------------
proxy_set "upstream $A_URL"
: >"$WORK/proxy.ctl.log"
expect 0 '1206 lines match the log' "check --jobs 8 of all 603 versions" -- \
	"$SUMDB" check --jobs 8 --url "$PROXY_URL" "$VKEY" "$WORK/g.sum"
grep '^/tile/' "$WORK/proxy.ctl.log" | sort | uniq -c >"$WORK/tiles"
expect 0 '^yes$' "tiles were fetched" -- ok_if test -s "$WORK/tiles"
expect 0 '^none$' "every tile above the data's level fetched once" -- \
	sh -c "awk '\$2 ~ /^\/tile\/8\/[1-9]/ && \$1 > 1' '$WORK/tiles' | grep . || echo none"
expect 0 '^none$' "no tile fetched more than --jobs times" -- \
	sh -c "awk '\$1 > 8' '$WORK/tiles' | grep . || echo none"

# --- the same output as one at a time ---------------------------------------
# 200 versions in a shuffled order with duplicates, mismatches of both
# kinds, versions the log does not know, malformed, blank and h2 lines
python3 - "$WORK/g.sum" "$Z" >"$WORK/mixed.sum" <<'PY'
import random, sys
rnd = random.Random(7)
lines = open(sys.argv[1]).read().splitlines()[:400]
z = sys.argv[2]
out = []
for i, l in enumerate(lines):
    f = l.split()
    if i % 37 == 5:
        f[2] = "h1:" + z          # a mismatch of the zip or the go.mod hash
    if i % 53 == 11:
        f[2] = "h2:" + z          # not checked
    out.append(" ".join(f))
out += ["example.com/unknown%d v1.0.0 h1:%s" % (i, z) for i in range(9)]
out += ["not a go.sum line", "example.com/m3 v1.0.0", "Example.com/m3 v1.0.0 h1:" + z, "", "  "]
out += lines[0:10]                # the same versions again
rnd.shuffle(out)
print("\n".join(out))
PY
expect 0 '^same$' "a go.sum of every kind of line: --jobs 4 prints what --jobs 1 prints" -- \
	same_as_one 2 4 mixed.sum
expect 0 '^same$' "... and so does the default" -- same_as_one 2 8 mixed.sum
expect 0 '"mismatches":[1-9][0-9]*,"verification_failed":0,"not_found":9,"malformed":3,' \
	"... which has mismatches, unknown versions and malformed lines" -- cat "$WORK/one.json"

# a log that answers some versions with errors, for good
head -n 80 "$WORK/g.sum" >"$WORK/forty.sum"
proxy_set "upstream $A_URL" "fail 100000 500 lookup/example.com/m1@"
expect 0 '^same$' "a log that fails one version: the same output" -- same_as_one 1 4 forty.sum
expect 0 '^\{"line":3,"finding":"could-not-check",' "... that one could not be checked" -- cat "$WORK/one.json"
# a log that answers one version with another's record (fetched again
# before it is called a forgery)
proxy_set "upstream $A_URL" "swap-lookup /m7@ /m8@"
expect 0 '^same$' "a log that answers with another module's record: the same output" -- \
	same_as_one 2 4 forty.sum
expect 0 '^\{"line":15,"finding":"verification-failed",' "... the version failed verification" -- \
	cat "$WORK/one.json"
# a log that stops answering part way: the versions of example.com/m2*
# come one after another in path order (m2, m20, m21, ...), and the
# fourth of them is where the check gives up
proxy_set "upstream $A_URL" "drop 100000 lookup/example.com/m2"
expect 0 '^same$' "a log that stops answering part way: the same output" -- same_as_one 1 4 forty.sum
expect 0 '"finding":"could-not-check","detail":"example.com/m22 v1.0.0 and the 48 go.sum lines after its own: not checked, the log did not answer the last 3 lookups"' \
	"... given up at the fourth version in a row not answered" -- cat "$WORK/one.json"
# a log down from the start: asked about three versions, as one at a time
proxy_set "upstream $A_URL" "down"
expect 0 '^same$' "a log down from the start: the same output" -- same_as_one 1 4 forty.sum
: >"$WORK/proxy.ctl.log"
expect 1 'not checked, the log did not answer the last 3 lookups' "check --jobs 4, the log down" -- \
	"$SUMDB" check --jobs 4 --url "$PROXY_URL" "$VKEY" "$WORK/forty.sum"
expect 0 '^3$' "... asked about 3 versions of 40, as one at a time is" -- asked
proxy_set "upstream $A_URL"

# --- one log, whichever lookup ends first -----------------------------------
# S, A and B share their first 260 records (S: a stale frontend of 260);
# A goes on to 300 (m260..m299), B to 290 (m1000..m1029), so A and B
# cannot both be honest.  The proxy answers example.com/m0 from S,
# example.com/m1001 from B, everything else from A, and B's one tile of
# its own (0/001.p/34: A's is 0/001.p/44, S's 0/001.p/4 is A's too) from
# B.  In path order m0 (S), then m1001 (B) extend the run's tree, and
# m261 (A) is the fork; m1001's lookup is held so that m261's ends first.
sumdbd_stop A
proxy_set "upstream $A_URL"
expect 0 'verifier key: ' "init the log of the fork" -- "$SUMDBD" init --db "$WORK/f.db" --name "$NAME"
VKEY=$(sed -n 's/^verifier key: //p' "$WORK/out")
gosum_lines 0 260 >"$WORK/f0.sum"
gosum_lines 260 300 >"$WORK/fa.sum"
gosum_lines 1000 1030 x >"$WORK/fb.sum"
expect 0 'tree size 260' "260 records" -- "$SUMDBD" add --db "$WORK/f.db" "$WORK/f0.sum"
log_copy "$WORK/f.db" "$WORK/fs.db"
log_copy "$WORK/f.db" "$WORK/fbb.db"
expect 0 'tree size 300' "A: 300 records" -- "$SUMDBD" add --db "$WORK/f.db" "$WORK/fa.sum"
expect 0 'tree size 290' "B: 290 other records" -- "$SUMDBD" add --db "$WORK/fbb.db" "$WORK/fb.sum"
sumdbd_start A "$WORK/f.db"
sumdbd_start B "$WORK/fbb.db"
sumdbd_start S "$WORK/fs.db"
{ grep '^example.com/m0 ' "$WORK/f0.sum"; grep '^example.com/m261 ' "$WORK/fa.sum"; grep '^example.com/m1001 ' "$WORK/fb.sum"; } >"$WORK/fork.sum"
proxy_set "upstream $A_URL" \
	"route lookup/example.com/m0@ $S_URL lookup/example.com/m1001@ $B_URL tile/8/0/001.p/34 $B_URL" \
	"delay 500 lookup/example.com/m1001@"
expect 0 '^same$' "A and B in one run, the lookup checked first ending last: the same output as --jobs 1" -- \
	same_as_one 2 4 fork.sum
expect 0 '^\{"line":3,"finding":"verification-failed","detail":"example.com/m261 v1.0.0: VERIFICATION FAILED: this run was shown two trees that cannot both be honest' \
	"... the fork found at A's version, the one checked after B's" -- cat "$WORK/one.json"
expect 0 '"matched":4,"mismatches":0,"verification_failed":2,' "... and only there" -- cat "$WORK/one.json"
# on a fork, --json is still one JSON object a line, for check and for
# lookup (the fork shown to the lookups of one run)
"$SUMDB" lookup --json --url "$PROXY_URL" "$VKEY" example.com/m0@v1.0.0 example.com/m1001@v1.0.0 \
    example.com/m261@v1.0.0 >"$WORK/fork-lookup.json" 2>/dev/null
expect 0 '^yes$' "--json on a fork: check and lookup print JSON objects, one a line" -- python3 -c '
import json, sys
c = [json.loads(l) for l in open(sys.argv[1])]
l = [json.loads(l) for l in open(sys.argv[2])]
print("yes" if c[-1]["summary"] is True and c[-1]["verification_failed"] == 2 and
      [x["module"] for x in l] == ["example.com/m0@v1.0.0", "example.com/m1001@v1.0.0",
                                   "example.com/m261@v1.0.0"] and
      l[2]["found"] is False and l[2]["error"] == "verification-failed" else (c, l))' \
	"$WORK/one.json" "$WORK/fork-lookup.json"

# usage
expect 1 '^sumdb check: --jobs wants 1\.\.32$' "--jobs 0 refused" -- "$SUMDB" check --jobs 0 "$VKEY" "$WORK/fork.sum"
expect 1 '^sumdb check: --jobs wants 1\.\.32$' "--jobs 33 refused" -- "$SUMDB" check --jobs 33 "$VKEY" "$WORK/fork.sum"
expect 1 '^sumdb check: --jobs wants 1\.\.32$' "--jobs 4x refused" -- "$SUMDB" check --jobs 4x "$VKEY" "$WORK/fork.sum"
expect 1 '^sumdb check: --jobs wants 1\.\.32$' "--jobs +4 refused (digits only)" -- "$SUMDB" check --jobs +4 "$VKEY" "$WORK/fork.sum"
expect 1 '^sumdb check: --jobs wants 1\.\.32$' "--jobs ' 4' refused" -- "$SUMDB" check --jobs ' 4' "$VKEY" "$WORK/fork.sum"
expect 0 '^  --jobs N ' "check --help names --jobs" -- "$SUMDB" check --help
sumdbd_stop A
sumdbd_stop B
sumdbd_stop S
proxy_stop
e2e_done
