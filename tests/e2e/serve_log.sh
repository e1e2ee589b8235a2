#!/bin/sh
# sumdbd serve's log under a flood of lookups a client can make at will:
#   1. versions the upstream does not have (404), asked by the hundred:
#      the first is said, naming the version and that such lines are said
#      at most once a minute, the rest only counted, and every client
#      still gets its 404;
#   2. a zip the upstream serves that breaks a rule, asked again and
#      again (a failure is not remembered: each lookup fetches anew):
#      said once as well, and not held back by the 404s before it;
#   3. public modules while the public log is down, and while it answers
#      with a note that does not verify under the key given: one line
#      each, and every client still gets its 502;
#   4. a public log that shows a fork in every answer (tests/e2e/evillog.py):
#      the misbehavior is said when its evidence is stored, and its
#      meeting again, by lookup after lookup, once more;
#   5. a line that quotes bytes that are not printable ASCII (here an
#      --upstream URL holding an escape sequence and a newline): one line,
#      those bytes written as '?', so that no line is forged and nothing
#      reaches a terminal as a command; the same for the lines said at
#      start (a --db path or a --checkpoint path holding them);
#   the lookup index, at each start: how many records it holds;
#   and at each stop, the lines only counted are said: for each kind the
#   last of them with the count of the others, so that no count is lost;
#   then the server stops cleanly.
. "$top_srcdir/tests/e2e/lib.sh"
MKZIP="$top_srcdir/tests/e2e/mkzip.py"
if ! command -v curl >/dev/null 2>&1; then
	echo "SKIP: needs curl"
	exit 77
fi
N=300

# ask TAG URL...: one curl for all the URLs, one after the other (four
# at once with ASK_FLAGS="-Z --parallel-max 4"); $WORK/TAG.codes gets the
# answers' status codes, one per line.
ASK_FLAGS=
ask() {
	_tag=$1
	shift
	for _u in "$@"; do printf 'url = "%s"\noutput = "/dev/null"\n' "$_u"; done >"$WORK/$_tag.curl"
	curl -s $ASK_FLAGS -w '%{http_code}\n' -K "$WORK/$_tag.curl" >"$WORK/$_tag.codes" 2>/dev/null
}
# codes TAG: the status codes of ask TAG, counted ("300 404").
codes() { sort "$WORK/$1.codes" | uniq -c | awk '{ print $1, $2 }'; }
# lines FILE REGEX: how many lines of FILE match.
lines() { grep -Ec -- "$2" "$1"; }

mkdir -p "$WORK/db" "$WORK/proxy"
"$SUMDBD" init --db "$WORK/db/sumdb.db" --name localhost.localdev/sumdb >"$WORK/init.out" 2>&1 ||
    { cat "$WORK/init.out"; exit 1; }
python3 "$MKZIP" proxy "$WORK/proxy" corp.example.com/rec v1.0.0 1 3 || exit 1
python3 "$MKZIP" proxy "$WORK/proxy" corp.example.com/bad v1.0.0 2 3 || exit 1
echo 'not a zip' >"$WORK/proxy/corp.example.com/bad/@v/v1.0.0.zip"

# --- 1, 2. the upstream ------------------------------------------------------
start_sumdbd "$WORK/db/sumdb.db" --no-admin --upstream "file://$WORK/proxy" \
    --private corp.example.com
expect 0 '^200$' "a version the upstream has is recorded" -- \
	curl -s -o /dev/null -w '%{http_code}' "$URL/lookup/corp.example.com/rec@v1.0.0"
ask none $(seq 1 $N | sed "s|.*|$URL/lookup/corp.example.com/none&@v1.0.0|")
expect 0 "^$N 404\$" "$N versions the upstream does not have: $N answers 404" -- codes none
expect 0 '^1$' "... and one line in the log for them all" -- \
	lines "$WORK/serve.err" 'not recorded: .*answered 404'
expect 0 '^sumdbd: upstream: corp\.example\.com/none1@v1\.0\.0 not recorded: upstream file://.* answered 404 \(lines of this kind are said at most once a minute\)$' \
	"... which names the first version and says the rest are held back" -- cat "$WORK/serve.err"
ask bad $(seq 1 50 | sed "s|.*|$URL/lookup/corp.example.com/bad@v1.0.0|")
expect 0 '^50 502$' "a zip that breaks a rule, asked 50 times: 50 answers 502" -- codes bad
expect 0 '^1$' "... and one line in the log, not held back by the 404s" -- \
	lines "$WORK/serve.err" 'corp\.example\.com/bad@v1\.0\.0 not recorded: .*not a valid zip'
stop_sumdbd
expect 0 '^0$' "the server stops cleanly" -- echo "$SUMDBD_STATUS"
expect 0 '^sumdbd: upstream: corp\.example\.com/none300@v1\.0\.0 not recorded: .* answered 404 \(and 298 more of this kind since the last such line\)$' \
	"at the stop, the 404s only counted are said: the last of them, and how many more" -- \
	cat "$WORK/serve.err"
expect 0 '^sumdbd: upstream: corp\.example\.com/bad@v1\.0\.0 not recorded: .*not a valid zip.* \(and 48 more of this kind since the last such line\)$' \
	"... and so are the bad zip's" -- cat "$WORK/serve.err"
expect 0 '^sumdbd: lookup index: 0 records in 0\.0 MiB, built in [0-9.]* s$' \
	"at start, the lookup index of the empty log was said" -- cat "$WORK/serve.err"
expect 0 '^6$' "nothing else was said: the index, the two lines, the stop and the two counts" -- \
	sh -c "wc -l <'$WORK/serve.err'"
start_sumdbd "$WORK/db/sumdb.db" --no-admin
expect 0 '^yes$' "restarted on the one version recorded: the index holds it, and says so" -- \
	ok_if wait_for 10 grep -Eq '^sumdbd: lookup index: 1 record in 0\.0 MiB, built in [0-9.]* s$' \
	"$WORK/serve.err"
stop_sumdbd

# --- 3. the public log -------------------------------------------------------
"$SUMDBD" init --db "$WORK/pub.db" --name pub.sum.example >"$WORK/pinit.out" 2>&1 ||
    { cat "$WORK/pinit.out"; exit 1; }
PUBVKEY=$(sed -n 's/^verifier key: //p' "$WORK/pinit.out")
OTHERVKEY=$("$SUMDBD" keygen other.sum.example | sed -n 2p)
gosum_lines 0 40 | sed 's/^example\.com/pub.example.org/' >"$WORK/pub.sum"
"$SUMDBD" add --db "$WORK/pub.db" "$WORK/pub.sum" >/dev/null || exit 1
sumdbd_start PUB "$WORK/pub.db" --no-admin
PUBURL=$PUB_URL
sumdbd_start wrong "$WORK/db/sumdb.db" --no-admin --public-url "$PUBURL" \
    --public-key "$OTHERVKEY"
# each takes a while (refetched, retried): four at once
ASK_FLAGS="-Z --parallel-max 4"
ask unv $(seq 0 19 | sed "s|.*|$wrong_URL/lookup/pub.example.org/m&@v1.0.0|")
expect 0 '^20 502$' "20 answers under another key: 20 answers 502" -- codes unv
expect 0 '^1$' "... and one line in the log" -- lines "$WORK/wrong.err" 'did not verify'
sumdbd_stop wrong
expect 0 '^1$' "... and at the stop one more, counting the 19 others" -- \
	lines "$WORK/wrong.err" 'did not verify.* \(and 18 more of this kind since the last such line\)$'
sumdbd_stop PUB
sumdbd_start down "$WORK/db/sumdb.db" --no-admin --public-url "$PUBURL" \
    --public-key "$PUBVKEY" --public-timeout 5
ask down $(seq 0 19 | sed "s|.*|$down_URL/lookup/pub.example.org/m&@v1.0.0|")
expect 0 '^20 502$' "20 lookups while the public log is down: 20 answers 502" -- codes down
expect 0 '^1$' "... and one line in the log" -- lines "$WORK/down.err" 'not recorded'
sumdbd_stop down
expect 0 '^1$' "... and at the stop one more, counting the 19 others" -- \
	lines "$WORK/down.err" 'not recorded.* \(and 18 more of this kind since the last such line\)$'
expect 0 '^0$' "the server stops cleanly" -- echo "$SUMDBD_STATUS"

# --- 4. a public log that lies -----------------------------------------------
trap 'evil_stop; e2e_cleanup' EXIT
evil_start
evil_set </dev/null
"$SUMDBD" init --db "$WORK/evil.db" --name localhost.localdev/sumdb >"$WORK/einit.out" 2>&1 ||
    { cat "$WORK/einit.out"; exit 1; }
sumdbd_start fork "$WORK/evil.db" --no-admin --public-url "$EVIL_URL" --public-key "$EVIL_VKEY"
expect 0 '^200$' "first contact with the public log: recorded" -- \
	curl -s -o /dev/null -w '%{http_code}' "$fork_URL/lookup/example.com/m0@v1.0.0"
evil_set <<'EOF'
LOGS = {"a": recs(0, 600), "b": recs(0, 350) + recs(350, 600, "b")}
LOOKUP = ("b", 600)
EOF
ask fork $(seq 1 20 | sed "s|.*|$fork_URL/lookup/example.com/m&@v1.0.0|")
expect 0 '^20 502$' "20 lookups each shown the fork: 20 answers 502" -- codes fork
expect 0 '^1$' "... one line says it was stored as evidence" -- \
	lines "$WORK/fork.err" 'MISBEHAVED .*evidence stored'
expect 0 '^1$' "... and one line that it was met again" -- \
	lines "$WORK/fork.err" 'MISBEHAVED .*stored already'
sumdbd_stop fork
expect 0 '^1$' "... and at the stop one more, counting the 18 meetings after it" -- \
	lines "$WORK/fork.err" 'MISBEHAVED .*stored already.* \(and 17 more of this kind since the last such line\)$'
evil_stop
expect 0 '^0$' "the server stops cleanly" -- echo "$SUMDBD_STATUS"

# --- 5. bytes that are not printable ASCII ------------------------------------
ESC=$(printf '\033')
odd=$(printf 'up%s[2Jx\nsumdbd: forged' "$ESC")
mkdir -p "$WORK/$odd"
sumdbd_start odd "$WORK/db/sumdb.db" --no-admin --upstream "file://$WORK/$odd" \
    --private corp.example.com
curl -s -o /dev/null "$odd_URL/lookup/corp.example.com/odd@v1.0.0"
sumdbd_stop odd
expect 0 '^sumdbd: upstream: corp\.example\.com/odd@v1\.0\.0 not recorded: .*/up\?\[2Jx\?sumdbd: forged/' \
	"a line quoting an escape and a newline: one line, each written as '?'" -- cat "$WORK/odd.err"
expect 0 '^0 0$' "... no line forged, no escape written" -- sh -c \
	"echo \$(grep -c '^sumdbd: forged' '$WORK/odd.err') \$(grep -c '$ESC' '$WORK/odd.err')"
expect 0 '^0$' "the server stops cleanly" -- echo "$SUMDBD_STATUS"
# at start: a refusal naming --db, a note naming --checkpoint
timeout 60 "$SUMDBD" serve --db "$WORK/$odd/none.db" --listen 127.0.0.1:0 --no-public \
    >"$WORK/oddstart.err" 2>&1
expect 0 '^1$' "a --db path holding an escape and a newline: serve refuses to start" -- echo $?
expect 0 '^sumdbd serve: .*/up\?\[2Jx\?sumdbd: forged/none\.db: .*/up\?\[2Jx\?sumdbd: forged/none\.db$' \
	"... in one line, each written as '?'" -- cat "$WORK/oddstart.err"
expect 0 '^1 0 0$' "... no line forged, no escape written" -- sh -c \
	"echo \$(wc -l <'$WORK/oddstart.err') \$(grep -c '^sumdbd: forged' '$WORK/oddstart.err') \$(grep -c '$ESC' '$WORK/oddstart.err')"
"$SUMDBD" init --db "$WORK/cp.db" --name cp.sum.example >/dev/null 2>&1 || { echo "FAIL: init cp.db"; exit 1; }
sumdbd_start oddcp "$WORK/cp.db" --no-admin --checkpoint "$WORK/$odd/cp" --new-checkpoint
sumdbd_stop oddcp
expect 0 '^sumdbd: note: no checkpoint at .*/up\?\[2Jx\?sumdbd: forged/cp yet: ' \
	"a --checkpoint path holding them, named at start: one line, each written as '?'" -- \
	cat "$WORK/oddcp.err"
expect 0 '^0 0$' "... no line forged, no escape written" -- sh -c \
	"echo \$(grep -c '^sumdbd: forged' '$WORK/oddcp.err') \$(grep -c '$ESC' '$WORK/oddcp.err')"
expect 0 '^0$' "the server stops cleanly" -- echo "$SUMDBD_STATUS"
e2e_done
