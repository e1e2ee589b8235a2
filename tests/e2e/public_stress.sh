#!/bin/sh
# Many concurrent public lookups of different modules while the public log
# (tests/e2e/evillog.py) grows, forks and answers slowly, then a stop in
# the middle of slow lookups (tests/e2e/public_stress.py does the lookups
# and checks each answer and the accepted tree as it moves).  Run under the
# sanitizers (and ThreadSanitizer, by hand) for the threads of the public
# path: the accepted tree under its mutex, the shared tile cache, the
# evidence store.
#   grow: answers carry trees of any size up to the log's, older after
#         newer: the accepted tree is always the honest log's, never
#         smaller than before, and ends at 900; every 200 is the honest
#         record.
#   fork: half the answers carry another tree of 900 records: refused
#         (502), nothing recorded, the fork stored as evidence once.
#   slow: lookups hang at the log when SIGTERM comes: the server stops
#         within its grace period, exit 0, no sanitizer report.
. "$top_srcdir/tests/e2e/lib.sh"
STRESS="$top_srcdir/tests/e2e/public_stress.py"
PIDS=
stress_cleanup() {
	stop_pids
	evil_stop
	e2e_cleanup
}
trap stress_cleanup EXIT
if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: needs python3"
	exit 77
fi
evil_start
# evidence DB: the number of pieces of evidence sumdbd status counts.
evidence() { "$SUMDBD" status --db "$1" | sed -n 's/^.*misbehavior: \([0-9]*\) seen.*$/\1/p'; }
accepted() { "$SUMDBD" status --db "$1" | sed -n '/^public tree accepted:/{n;n;p;}'; }
# records DB: "ok" when every record in our log is the honest log's
# (evillog.py's rec), else the first that is not.
records() {
	python3 - "$1" <<'PY'
import base64, hashlib, sqlite3, sys
def rec(i):
    h = lambda s: "h1:" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()
    return "example.com/m%d v1.0.0 %s\nexample.com/m%d v1.0.0/go.mod %s\n" % (
        i, h("zip%d" % i), i, h("mod%d" % i))
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True)
n = 0
for path, text in c.execute("SELECT path, text FROM records"):
    text = text if isinstance(text, str) else text.decode()
    if text != rec(int(path[len("example.com/m"):])):
        print("not honest: %s %r" % (path, text))
        sys.exit(1)
    n += 1
print("ok: %d records" % n)
PY
}

expect 0 'verifier key: ' "init our log" -- "$SUMDBD" init --db "$WORK/priv.db" --name corp.sum.example
evil_set <<'EOF'
LATEST = ("a", 100)
EOF
start_sumdbd "$WORK/priv.db" --no-admin --public-key "$EVIL_VKEY" --public-url "$EVIL_URL" \
    --public-concurrency 8 --public-timeout 30
expect 0 '^ok: grow' "grow: answers honest or refused, the accepted tree honest and never smaller" -- \
    python3 "$STRESS" "$URL" "$WORK/evil.ctl" "$WORK/priv.db" grow
expect 0 '^900$' "... ends at the log's 900 records" -- accepted "$WORK/priv.db"
expect 0 '^0$' "... no evidence: the log did not lie" -- evidence "$WORK/priv.db"
expect 0 '^ok: fork' "fork: answers honest or refused, the accepted tree unmoved" -- \
    python3 "$STRESS" "$URL" "$WORK/evil.ctl" "$WORK/priv.db" fork
expect 0 '^900$' "... still the honest 900" -- accepted "$WORK/priv.db"
expect 0 '^1$' "... the fork stored once, however many lookups met it at once" -- \
    evidence "$WORK/priv.db"
expect 0 '^ok: [0-9]+ records' "nothing recorded from a lie" -- records "$WORK/priv.db"

before=$(grep -c '^/lookup/' "$WORK/evil.ctl.log")
python3 "$STRESS" "$URL" "$WORK/evil.ctl" "$WORK/priv.db" slow >"$WORK/slow.out" 2>&1 &
SLOW_PID=$!
PIDS=$SLOW_PID
# lookups_asked: the log has been asked for lookups since the slow phase
# began (each one then waits there 2 to 4 s)
lookups_asked() { test "$(grep -c '^/lookup/' "$WORK/evil.ctl.log")" -gt "$before"; }
expect 0 '^yes$' "slow: lookups are waiting at the log" -- ok_if wait_for 30 lookups_asked
SUMDBD_STOP_LIMIT=40
stop_sumdbd
expect 0 '^0$' "SIGTERM in the middle of slow lookups: exit 0" -- echo "$SUMDBD_STATUS"
wait "$SLOW_PID"
PIDS=
expect 0 '^clean$' "no sanitizer report" -- \
    sh -c "grep -E 'Sanitizer|runtime error' '$WORK/serve.err' || echo clean"
expect 0 '^ok: [0-9]+ records' "nothing recorded from a lie, after the stop" -- records "$WORK/priv.db"
e2e_done
