#!/bin/sh
# Crash safety of the audit state: sumdb audit (accepting a growing tree,
# then --full with its progress commits) killed with -9 at random points,
# many times; after each kill the state must load, verify against the key
# and be consistent (the next audit exits 0), and a final --full run must
# finish with every record hashing to the signed root.
. "$top_srcdir/tests/e2e/lib.sh"
trap 'sumdbd_stop A; rm -rf "$WORK"' EXIT
NAME=localhost.localdev/sumdb
ST="$WORK/st"
ok_if() { "$@" && echo yes; }

expect 0 'verifier key: ' "init" -- "$SUMDBD" init --db "$WORK/a.db" --name "$NAME"
VKEY=$(sed -n 's/^verifier key: //p' "$WORK/out")
gosum_lines 0 20000 >"$WORK/g.sum"
expect 0 'tree size 20000' "20000 records" -- "$SUMDBD" add --db "$WORK/a.db" "$WORK/g.sum"
sumdbd_start A "$WORK/a.db"
expect 0 '^first run' "first run" -- "$SUMDB" audit --state "$ST" --url "$A_URL" "$VKEY"

bad=0
i=0
while [ $i -lt 25 ]; do
	if [ $((i % 5)) -eq 4 ]; then
		gosum_lines $((20000 + i * 10)) $((20010 + i * 10)) >"$WORK/more.sum"
		"$SUMDBD" add --db "$WORK/a.db" "$WORK/more.sum" >/dev/null 2>&1 || bad=$((bad + 1))
	fi
	"$SUMDB" audit --full --state "$ST" --url "$A_URL" "$VKEY" >/dev/null 2>&1 &
	pid=$!
	sleep "0.0$(( (i * 37) % 10 ))$(( (i * 53) % 10 ))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	"$SUMDB" audit --state "$ST" --url "$A_URL" "$VKEY" >"$WORK/after" 2>&1 || {
		bad=$((bad + 1)); echo "after kill $i:"; cat "$WORK/after"; }
	i=$((i + 1))
done
expect 0 '^yes$' "25 kills at random points: the state always loads and stays consistent" -- ok_if test $bad -eq 0
expect 0 'every record hashes to the signed root' "a final --full run completes" -- "$SUMDB" audit --full --state "$ST" --url "$A_URL" "$VKEY"
sumdbd_stop A
e2e_done
