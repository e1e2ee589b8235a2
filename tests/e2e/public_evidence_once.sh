#!/bin/sh
# Two lookups that meet the same misbehavior of the public log at the same
# moment store its evidence once.  The log (tests/e2e/evillog.py) holds
# two lookup answers until both are asked for, then shows each the same
# fork; sumdbd is tests/e2e/sumdbd_delays, whose open_memstream (with which
# the evidence is written) pauses a second, so that both lookups are in
# the middle of writing it at once: whether it is stored already and its
# store must be one step, or each finds it new.
. "$top_srcdir/tests/e2e/lib.sh"
PIDS=
once_cleanup() {
	stop_pids
	evil_stop
	e2e_cleanup
}
trap once_cleanup EXIT
if ! command -v curl >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: needs curl and python3"
	exit 77
fi
evil_start
# the server, run through SUMDBD_WRAP: the delaying copy in its place
cat >"$WORK/delayed" <<EOF2
#!/bin/sh
shift
SDB_TEST_MEMSTREAM_DELAY_MS=1000 exec "$top_builddir/tests/e2e/sumdbd_delays" "\$@"
EOF2
chmod +x "$WORK/delayed"
# get NAME M: GETs our lookup of example.com/M@v1.0.0 in the background;
# "STATUS SECONDS" in $WORK/NAME.st, the body in $WORK/NAME.body.
get() {
	curl -s --max-time 60 -o "$WORK/$1.body" -w '%{http_code} %{time_total}\n' \
	    "$URL/lookup/example.com/$2@v1.0.0" >"$WORK/$1.st" 2>&1 &
	PIDS="$PIDS $!"
}
evidence() { "$SUMDBD" status --db "$1" | sed -n 's/^.*misbehavior: \([0-9]*\) seen.*$/\1/p'; }

expect 0 'verifier key: ' "init our log" -- "$SUMDBD" init --db "$WORK/priv.db" --name corp.sum.example
evil_set </dev/null
SUMDBD_WRAP="$WORK/delayed" start_sumdbd "$WORK/priv.db" --no-admin --public-key "$EVIL_VKEY" \
    --public-url "$EVIL_URL" --public-concurrency 4
get m0 m0
wait_for 30 test -s "$WORK/m0.st"
expect 0 '^200 ' "first contact: m0 recorded, the tree of 600 accepted" -- cat "$WORK/m0.st"

# "b": the same 600 records but from 350 on; both answers leave together.
evil_set <<'EOF2'
import threading
LOGS = {"a": recs(0, 600), "b": recs(0, 350) + recs(350, 600, "b")}
BOTH = threading.Barrier(2)
def hook(path, status, body):
    if path.startswith("/lookup/"):
        BOTH.wait(30)
        return answer(path, LOOKUP=("b", 600))
    return status, body
EOF2
get one m1
get two m2
wait_for 40 sh -c "test -s '$WORK/one.st' && test -s '$WORK/two.st'"
for n in one two; do
	expect 0 '^502 ([1-9]|[0-9]*\.)' "lookup $n: 502 after the evidence's writing (the pause of 1 s)" -- \
	    sh -c "awk '{ print \$1, (\$2 >= 1 ? \$2 : \"too-soon\") }' '$WORK/$n.st'"
	expect 0 'misbehaved: two different trees of 600 records' "... naming the fork" -- cat "$WORK/$n.body"
done
expect 0 '^1$' "the fork both met at once stored once" -- evidence "$WORK/priv.db"
expect 0 '^1$' "... one log line says it was stored" -- grep -c 'MISBEHAVED.*evidence stored' "$WORK/serve.err"
expect 0 '^1$' "... the other that it was stored already" -- grep -c 'MISBEHAVED.*stored already' "$WORK/serve.err"
e2e_done
