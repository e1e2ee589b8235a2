#!/bin/sh
# A public log that shows a fork (tests/e2e/evillog.py) while sumdbd cannot
# write its database (a file size limit of 0 set on the running server
# with prlimit, so that every write fails with EFBIG, as on a full disk).
# Each lookup meeting the fork tries to store its evidence and fails: the
# first time is said at once, with the reason, but a client asking again
# and again must not make a line each: the rest are said at most once a
# minute, counted, and at the stop the last of them with the count.  Once
# writes work again, the next lookup meeting the fork stores its evidence.
. "$top_srcdir/tests/e2e/lib.sh"
if ! command -v curl >/dev/null 2>&1 || ! command -v prlimit >/dev/null 2>&1; then
	echo "SKIP: needs curl and prlimit"
	exit 77
fi
PIDS=
unstored_cleanup() {
	stop_sumdbd
	stop_pids
	evil_stop
	e2e_cleanup
}
trap unstored_cleanup EXIT
# codes: the status codes of lookups of example.com/m1..m20, counted.
codes() {
	for i in $(seq 1 20); do
		printf 'url = "%s"\noutput = "/dev/null"\n' "$URL/lookup/example.com/m$i@v1.0.0"
	done >"$WORK/ask.curl"
	curl -s -w '%{http_code}\n' -K "$WORK/ask.curl" | sort | uniq -c | awk '{ print $1, $2 }'
}
lines() { grep -Ec -- "$1" "$WORK/serve.log" || true; }
evidence() { "$SUMDBD" status --db "$WORK/priv.db" | sed -n 's/^public log misbehavior: \([0-9]*\) seen$/\1/p'; }

evil_start
evil_set </dev/null
expect 0 'verifier key: ' "init our log" -- "$SUMDBD" init --db "$WORK/priv.db" --name corp.sum.example
# the server ignores SIGXFSZ (inherited): a write over the limit fails
# with EFBIG instead of killing it.  Its standard error, where the lines
# go, is a pipe (the limit is on files): $WORK/serve.err a FIFO, read
# into $WORK/serve.log.
mkfifo "$WORK/serve.err" || { echo "FAIL: mkfifo"; exit 1; }
cat "$WORK/serve.err" >"$WORK/serve.log" &
CAT_PID=$!
PIDS=$CAT_PID
trap '' XFSZ
start_sumdbd "$WORK/priv.db" --no-admin --public-key "$EVIL_VKEY" --public-url "$EVIL_URL"
trap - XFSZ
expect 0 '^200$' "first contact: m0 recorded, the tree of 600 accepted" -- \
	curl -s -o /dev/null -w '%{http_code}' "$URL/lookup/example.com/m0@v1.0.0"

# A line of another kind said just before, with the same error (the
# public log failing a lookup: an I/O error, as the unstored evidence's)
# holds nothing back: the alarm is a kind of its own.
evil_set <<'EOF'
def hook(path, status, body):
    if path.startswith("/lookup/"):
        return 500, b"down for a moment\n"
    return status, body
EOF
expect 0 '^5[0-9][0-9]$' "the public log failing a lookup: not recorded" -- \
	curl -s -o /dev/null -w '%{http_code}' "$URL/lookup/example.com/m99@v1.0.0"
expect 0 '^1$' "... said" -- lines 'm99@v1\.0\.0 not recorded'

prlimit --pid "$SUMDBD_PID" --fsize=0:unlimited || { echo "FAIL: prlimit"; exit 1; }
evil_set <<'EOF'
LOGS = {"a": recs(0, 600), "b": recs(0, 350) + recs(350, 600, "b")}
LOOKUP = ("b", 600)
EOF
expect 0 '^20 502$' "the database not writable, 20 lookups each shown the fork: 20 answers 502" -- codes
expect 0 '^1$' "... one line says the evidence could not be stored" -- \
	lines 'MISBEHAVED .*WARNING: the evidence could not be stored'
expect 0 'MISBEHAVED \(example\.com/m1@v1\.0\.0\): .*WARNING: the evidence could not be stored: .+ \(lines of this kind are said at most once a minute\)$' \
	"... the first, at once, with its reason" -- cat "$WORK/serve.log"
expect 0 '^0$' "... and none that it was stored" -- lines 'evidence stored|stored already'

prlimit --pid "$SUMDBD_PID" --fsize=unlimited:unlimited || { echo "FAIL: prlimit"; exit 1; }
expect 0 '^502$' "writable again: the next lookup meeting the fork gets 502" -- \
	curl -s -o /dev/null -w '%{http_code}' "$URL/lookup/example.com/m21@v1.0.0"
expect 0 '^1$' "... and stores its evidence" -- lines 'MISBEHAVED .*evidence stored \(sumdbd status\)$'
stop_sumdbd
wait "$CAT_PID"
PIDS=
expect 0 '^0$' "the server stops cleanly" -- echo "$SUMDBD_STATUS"
expect 0 '^1$' "at the stop, the 19 lines only counted are said as one, with the count" -- \
	lines 'MISBEHAVED \(example\.com/m20@v1\.0\.0\): .*WARNING: the evidence could not be stored: .* \(and 18 more of this kind since the last such line\)$'
expect 0 '^2$' "... so two such lines in all" -- lines 'WARNING: the evidence could not be stored'
expect 0 '^1$' "sumdbd status: the evidence is stored" -- evidence
e2e_done
