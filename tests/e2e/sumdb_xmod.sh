#!/bin/sh
# sumdb against the reference server: golang.org/x/mod 0.7.0's own
# sumdb.NewServer (tests/oracle xmod-serve) on loopback, under a key made by
# sumdbd keygen.  audit (first run, growth by restarting the reference with
# more records under the same key, a fork by restarting it with a diverging
# log), lookup, prove / verify-proof, check; the signed note with an extra
# signature by an unknown key (ignored) and with a malformed extra
# signature (rejected, by audit and lookup and offline by verify-note);
# and audit --full, which must say that x/mod 0.7.0's data tiles carry id
# lines, not sum.golang.org's form; and --full's duplicate report on logs
# that hold a module version twice (xmod-serve -sum-form: sumdbd refuses
# to build them), identical (reported) and conflicting (critical, exit 2).
. "$top_srcdir/tests/e2e/lib.sh"
trap 'xmod_stop X; e2e_cleanup' EXIT
[ -x "${ORACLE:-}" ] || { echo "SKIP: no oracle (Go)"; exit 77; }
ST="$WORK/audit.state"

# xmod_start NAME ARGS...: oracle xmod-serve ARGS in the background; sets
# ${NAME}_PID and ${NAME}_URL.  xmod_stop NAME stops it by its PID.
xmod_start() {
	_n=$1
	shift
	rm -f "$WORK/$_n.out"
	"$ORACLE" xmod-serve "$@" >"$WORK/$_n.out" 2>"$WORK/$_n.err" &
	eval "${_n}_PID=\$!"
	_i=0
	while [ $_i -lt 100 ]; do
		_port=$(sed -n 's/^port \([0-9]*\)$/\1/p' "$WORK/$_n.out" 2>/dev/null)
		if [ -n "$_port" ]; then
			eval "${_n}_URL=http://127.0.0.1:\$_port"
			return 0
		fi
		eval "kill -0 \$${_n}_PID" 2>/dev/null || break
		sleep 0.1
		_i=$((_i + 1))
	done
	echo "FAIL: oracle xmod-serve did not start:"; cat "$WORK/$_n.out" "$WORK/$_n.err"
	exit 1
}
xmod_stop() { ctl_server_stop "${1}_PID"; }
audit() { "$SUMDB" audit --state "$ST" --url "$X_URL" "$@" "$VKEY"; }
state_sum() { python3 -c '
import sqlite3, sys; c = sqlite3.connect(sys.argv[1])
print("|".join(str(x) for x in c.execute("SELECT size, hex(hash) FROM accepted").fetchone()))' "$ST"; }

"$SUMDBD" keygen localhost.localdev/xmod >"$WORK/keys"
head -n 1 "$WORK/keys" >"$WORK/skey"
VKEY=$(sed -n 2p "$WORK/keys")
"$SUMDBD" keygen localhost.localdev/xmod >"$WORK/other.keys"
head -n 1 "$WORK/other.keys" >"$WORK/other.skey"
OKEY=$(sed -n 2p "$WORK/other.keys")
gosum_lines 0 300 >"$WORK/g0.sum"
gosum_lines 300 603 >"$WORK/g1.sum"
cat "$WORK/g0.sum" "$WORK/g1.sum" >"$WORK/all.sum"

# audit: first run, then growth (the reference restarted with more records)
xmod_start X -key "$WORK/skey" "$WORK/g0.sum"
expect 0 "^vkey $(printf %s "$VKEY" | sed 's/[+]/\\+/g')$" "xmod-serve signs with the key given" -- cat "$WORK/X.out"
expect 0 '^first run: trusting the tree of 300 records' "audit, first run" -- audit
expect 0 '^consistent: 300 records, unchanged' "audit again, same tree" -- audit
xmod_stop X
xmod_start X -key "$WORK/skey" "$WORK/g0.sum" "$WORK/g1.sum"
expect 0 '^consistent: 300 -> 603 records' "audit: the grown reference log is consistent" -- audit
expect 0 '"status":"consistent","tree_size":603,.*"old_tree_size":603,"latest_tree_size":603' "audit --json" -- audit --json

# lookup
grep '^example.com/m7 ' "$WORK/g0.sum" >"$WORK/m7.want"
expect 0 '^example.com/m7 v1.0.0/go.mod h1:' "lookup" -- "$SUMDB" lookup --url "$X_URL" "$VKEY" example.com/m7@v1.0.0
cp "$WORK/out" "$WORK/m7.got"
expect 0 '^yes$' "lookup prints exactly the record" -- ok_if cmp "$WORK/m7.want" "$WORK/m7.got"
expect 0 '"found":true,"index":600,"tree_size":603' "lookup --json in the partial last tile" -- "$SUMDB" lookup --json --url "$X_URL" "$VKEY" example.com/m600@v1.0.0
expect 0 '^example.com/m450 v1.0.0 h1:' "lookup --state" -- "$SUMDB" lookup --state "$ST" --url "$X_URL" "$VKEY" example.com/m450@v1.0.0
expect 1 'not found in the log' "lookup of a version the log does not have: exit 1" -- "$SUMDB" lookup --url "$X_URL" "$VKEY" example.com/m7@v1.0.1
expect 2 'not signed by|VERIFICATION FAILED' "lookup with another key: exit 2" -- "$SUMDB" lookup --url "$X_URL" "$OKEY" example.com/m7@v1.0.0

# prove / verify-proof
expect 0 '^yes$' "prove" -- ok_if sh -c "'$SUMDB' prove --url '$X_URL' '$VKEY' example.com/m300@v1.0.0 >'$WORK/p.tlog-proof'"
"$SUMDB" lookup --url "$X_URL" "$VKEY" example.com/m300@v1.0.0 >"$WORK/m300.rec"
"$SUMDB" lookup --url "$X_URL" "$VKEY" example.com/m301@v1.0.0 >"$WORK/m301.rec"
expect 0 '^valid: record 300$' "verify-proof of the reference's record" -- "$SUMDB" verify-proof --vkey "$VKEY" --record "$WORK/m300.rec" "$WORK/p.tlog-proof"
expect 2 'INVALID: proof does not lead' "verify-proof with another record: exit 2" -- "$SUMDB" verify-proof --vkey "$VKEY" --record "$WORK/m301.rec" "$WORK/p.tlog-proof"

# check
head -n 40 "$WORK/all.sum" >"$WORK/ok.sum"
expect 0 '40 lines match the log, 0 mismatches' "check a matching go.sum" -- "$SUMDB" check --url "$X_URL" "$VKEY" "$WORK/ok.sum"
{ head -n 2 "$WORK/all.sum"; echo 'example.com/m1 v1.0.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='; } >"$WORK/bad.sum"
expect 2 'bad.sum:3: MISMATCH example.com/m1 v1.0.0' "check: a mismatch, exit 2" -- "$SUMDB" check --url "$X_URL" "$VKEY" "$WORK/bad.sum"

# --full: x/mod 0.7.0's data tiles have id lines; said so, exit 1, tree kept
before=$(state_sum)
expect 1 'x/mod v0.7.0 form with a record id line' "audit --full names the 0.7.0 data tile form, exit 1" -- audit --full
expect 0 '^yes$' "audit --full: the accepted tree is kept" -- ok_if test "$(state_sum)" = "$before"
xmod_stop X

# an extra signature by an unknown key is ignored; a malformed one is not
xmod_start X -key "$WORK/skey" -extra-sig unknown "$WORK/all.sum"
expect 0 '^consistent: 603 records, unchanged' "extra signature by an unknown key: ignored" -- audit
expect 0 '^example.com/m7 v1.0.0 h1:' "lookup, extra signature by an unknown key" -- "$SUMDB" lookup --url "$X_URL" "$VKEY" example.com/m7@v1.0.0
xmod_stop X
xmod_start X -key "$WORK/skey" -extra-sig malformed "$WORK/all.sum"
expect 1 'malformed note.*nothing was checked' "audit: a malformed extra signature rejects the note" -- audit
expect 1 'malformed note' "lookup: a malformed extra signature rejects the note" -- "$SUMDB" lookup --url "$X_URL" "$VKEY" example.com/m7@v1.0.0
curl -s --noproxy '*' "$X_URL/latest" >"$WORK/malformed.note" 2>/dev/null ||
	python3 -c 'import sys, urllib.request; sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1]).read())' "$X_URL/latest" >"$WORK/malformed.note"
expect 2 'malformed note' "verify-note: the note with a malformed extra signature is invalid, exit 2" -- "$SUMDB" verify-note --vkey "$VKEY" "$WORK/malformed.note"
expect 0 '^yes$' "the accepted tree is kept" -- ok_if test "$(state_sum)" = "$before"
xmod_stop X

# a fork: the reference restarted with a log that shares the first 300
# records and then diverges, same key and size
gosum_lines 300 603 x >"$WORK/g1x.sum"
xmod_start X -key "$WORK/skey" "$WORK/g0.sum" "$WORK/g1x.sum"
expect 2 '^proof of misbehavior' "fork: same size, another hash: exit 2" -- audit
expect 0 '^yes$' "fork: the accepted tree is kept" -- ok_if test "$(state_sum)" = "$before"
xmod_stop X
xmod_start X -key "$WORK/other.skey" "$WORK/all.sum"
expect 2 'does not verify: .*signed by unknown key' "the same log under another key: exit 2" -- audit
xmod_stop X
# --full and duplicates: the reference with -sum-form keeps a module
# version given twice as two records and serves sum.golang.org's data
# tiles.  m0 again, identical: a duplicate (exit 0); m5 again with other
# hashes: critical (exit 2).  A pair is printed by the run that finds it;
# the log keeps its records, so every later run still counts it, a
# conflict still fails, and sumdb evidence shows it.
ST="$WORK/dups.state"
{ cat "$WORK/g0.sum"; head -n 2 "$WORK/g0.sum"; gosum_lines 300 520; } >"$WORK/dup.sum"
xmod_start X -key "$WORK/skey" -sum-form "$WORK/dup.sum"
expect 0 '^first run: trusting' "duplicates: first audit" -- audit
expect 0 'duplicate: example.com/m0@v1.0.0 is in the log twice .records 0 and 300.' \
	"--full: an identical duplicate is reported, exit 0" -- audit --full
expect 0 '"duplicates":0,"conflicts":0,"bad_records":0,"log_duplicates":1,"log_conflicts":0' \
	"--full again: a pair is printed once, and still counted" -- audit --full --json
expect 0 '^yes$' "... not printed again" -- ok_if sh -c "! grep -q 'is in the log twice' '$WORK/out'"
expect 0 '0 pieces of evidence' "a duplicate is not evidence of misbehavior" -- "$SUMDB" evidence --state "$ST" "$VKEY"
xmod_stop X
gosum_lines 5 6 x >"$WORK/m5x.sum"
cat "$WORK/dup.sum" "$WORK/m5x.sum" >"$WORK/dup2.sum"
xmod_start X -key "$WORK/skey" -sum-form "$WORK/dup2.sum"
expect 2 'CRITICAL: example.com/m5@v1.0.0 is in the log twice .records 5 and 521. with conflicting hashes' \
	"--full after growth: a conflicting record is critical, exit 2; only the new pair" -- audit --full
expect 2 '"status":"verification-failed","detail":"the log holds 1 conflicting record and 0 invalid records".*"conflicts":0,.*"log_conflicts":1,' \
	"--full again: nothing new, but the conflict is still there: exit 2" -- audit --full --json
expect 0 '^yes$' "... not printed again" -- ok_if sh -c "! grep -q 'is in the log twice' '$WORK/out'"
expect 2 'the log holds 1 conflicting record and 0 invalid records \(CRITICAL' "... said in text too" -- audit --full
expect 0 'holds 1 piece of evidence of misbehavior' "every audit says the state holds evidence (its own verdict: exit 0)" -- audit
expect 2 '^example.com/m5 v1.0.0 h1:' "sumdb evidence: exit 2, with both records" -- "$SUMDB" evidence --state "$ST" "$VKEY"
cp "$WORK/out" "$WORK/ev.out"
expect 0 '^conflicting hashes in the log: .*example.com/m5@v1.0.0 is in the log twice' \
	"... naming the module version" -- cat "$WORK/ev.out"
expect 0 '^record 521:$' "... and the record ids" -- cat "$WORK/ev.out"
expect 2 '^\{"n":1,"stored":"[0-9T:Z-]*","text":"conflicting hashes' "sumdb evidence --json" -- \
	"$SUMDB" evidence --json --state "$ST" "$VKEY"
expect 1 'no state file' "sumdb evidence without a state: exit 1" -- "$SUMDB" evidence --state "$WORK/none.state" "$VKEY"
expect 0 '^yes$' "... and none is made" -- ok_if test ! -e "$WORK/none.state"
# On a terminal (script(1)'s pseudo-terminal) the progress line drawn
# while the tiles are read is ended before the pairs, found after them,
# are said: each message on a line of its own, the line ended at last.
if command -v script >/dev/null 2>&1; then
	script -qec "'$SUMDB' audit --full --state '$WORK/tty.state' --url '$X_URL' '$VKEY' \
	    >'$WORK/tty.o'" /dev/null >"$WORK/tty.raw"
	tr -d '\r' <"$WORK/tty.raw" >"$WORK/tty"
	expect 0 ' records/s  ETA ' "--full on a terminal: the progress line is drawn" -- cat "$WORK/tty"
	expect 0 '^sumdb audit: CRITICAL: example.com/m5@v1.0.0 is in the log twice' \
		"... and the pair found after it is said on a line of its own" -- cat "$WORK/tty"
	expect 0 '^yes$' "... as is every message" -- ok_if sh -c "! grep -q '.sumdb audit: ' '$WORK/tty'"
	expect 0 "^ 0a$" "... and the progress line is ended" -- sh -c "tail -c 1 '$WORK/tty' | od -An -tx1"
fi
xmod_stop X

# Records signed into the log that are not go.sum records (a hash that is
# not base64): one in the first, full tile (committed with the progress)
# and one in the partial tail tile (checked again by every run).  Each run
# counts both once, and fails.
ST="$WORK/bad.state"
bad() { printf 'example.com/bad%s v1.0.0 h1:not-base64\nexample.com/bad%s v1.0.0/go.mod h1:not-base64\n' "$1" "$1"; }
{ gosum_lines 0 2; bad 1; gosum_lines 2 289; bad 2; gosum_lines 289 297; } >"$WORK/bad.sum"
xmod_start X -key "$WORK/skey" -sum-form "$WORK/bad.sum"
expect 0 '^first run: trusting the tree of 299' "invalid records: first audit" -- audit
# a lookup meets the same invalid record: the log signed it (it is in the
# signed tree), as audit --full finds: exit 2, and evidence with --state;
# prove and check say so too
expect 2 'VERIFICATION FAILED: record 2 of the signed tree of 299 records.* is not a valid go.sum record' \
	"lookup of an invalid record the log signed: exit 2" -- \
	"$SUMDB" lookup --url "$X_URL" "$VKEY" example.com/bad1@v1.0.0
expect 2 '"found":false,"error":"verification-failed"' "... --json: verification-failed" -- \
	"$SUMDB" lookup --json --url "$X_URL" "$VKEY" example.com/bad1@v1.0.0
expect 2 'VERIFICATION FAILED: proof of misbehavior \(stored' "lookup --state: stored as evidence" -- \
	"$SUMDB" lookup --state "$ST" --url "$X_URL" "$VKEY" example.com/bad1@v1.0.0
expect 2 '^invalid record in the log: .*record 2 is not a valid go.sum record' "... which sumdb evidence shows" -- \
	"$SUMDB" evidence --state "$ST" "$VKEY"
expect 2 'VERIFICATION FAILED: record 2 ' "prove of the invalid record: exit 2" -- \
	"$SUMDB" prove --url "$X_URL" "$VKEY" example.com/bad1@v1.0.0
echo 'example.com/bad1 v1.0.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=' >"$WORK/bad1.sum"
expect 2 '"finding":"verification-failed"' "check of a go.sum naming it: exit 2" -- \
	"$SUMDB" check --json --url "$X_URL" "$VKEY" "$WORK/bad1.sum"
cp "$WORK/out" "$WORK/bad1.json"
expect 0 '"verification_failed":1,"not_found":0,"malformed":0,"could_not_check":0\}$' \
	"... counted as failed verification, not as could not check" -- cat "$WORK/bad1.json"
expect 2 ', 1 failed verification, 0 not in the log, 0 malformed, 0 not checked$' \
	"... and so in the text summary" -- "$SUMDB" check --url "$X_URL" "$VKEY" "$WORK/bad1.sum"
expect 2 'record 2 is not a valid go.sum record' "--full: an invalid record in a full tile, exit 2" -- audit --full
cp "$WORK/out" "$WORK/bad.out"
expect 0 'record 290 is not a valid go.sum record' "... and one in the tail tile" -- cat "$WORK/bad.out"
expect 0 'the log holds 0 conflicting records and 2 invalid records' "... 2 in all" -- cat "$WORK/bad.out"
expect 2 '2 pieces of evidence' "lookup's evidence of record 2 and --full's are one piece" -- \
	"$SUMDB" evidence --state "$ST" "$VKEY"
expect 2 '"bad_records":1,.*"log_bad_records":2,' \
	"--full again: the tail checked again, the first tile's from the state: still 2, exit 2" -- audit --full --json
cp "$WORK/out" "$WORK/full2.out"
expect 0 '^yes$' "... resumed: the index of a log with invalid records is whole" -- \
	ok_if sh -c "! grep -q 'starts again from record 0' '$WORK/full2.out'"
expect 2 '"log_bad_records":2,' "... and again" -- audit --full --json
# the log grows (the tail record still in the tail tile): no new evidence
xmod_stop X
{ cat "$WORK/bad.sum"; gosum_lines 297 310; } >"$WORK/bad2.sum"
xmod_start X -key "$WORK/skey" -sum-form "$WORK/bad2.sum"
expect 0 '^consistent: 299 -> 312' "the log grows to 312" -- audit
expect 2 '"bad_records":1,.*"log_bad_records":2,' "--full in the larger tree: still 2" -- audit --full --json
expect 2 '^invalid record in the log: .*record 2 is not a valid go.sum record' \
	"sumdb evidence: the invalid records" -- "$SUMDB" evidence --state "$ST" "$VKEY"
cp "$WORK/out" "$WORK/ev2.out"
expect 0 '2 pieces of evidence' "... each kept once" -- cat "$WORK/ev2.out"

# Records that are not even record text (a control byte, a byte that is
# not UTF-8): the log signed them, so --full reports them as invalid
# records, and does not stop at their tile as if it could not be read.
xmod_stop X
ST="$WORK/ctl.state"
{
	gosum_lines 0 2
	printf 'example.com/ctl v1.0.0 h1:\033[31mEVIL\nexample.com/ctl v1.0.0/go.mod h1:zz\n'
	printf 'example.com/utf v1.0.0 h1:\377\nexample.com/utf v1.0.0/go.mod h1:zz\n'
	gosum_lines 2 10
} >"$WORK/ctl.sum"
xmod_start X -key "$WORK/skey" -sum-form "$WORK/ctl.sum"
expect 0 '^first run: trusting the tree of 12' "records that are not record text: first audit" -- audit
expect 2 'the log holds 0 conflicting records and 2 invalid records' \
	"--full: a signed record with a control byte and one not UTF-8 are invalid records, exit 2" -- \
	audit --full
cp "$WORK/out" "$WORK/ctl.out"
expect 0 'record 3 is not a valid go.sum record' "... each named" -- cat "$WORK/ctl.out"
expect 0 '^yes$' "... and no control byte reaches the terminal" -- \
	ok_if sh -c '! grep -q "$(printf "\033")" "$1"' - "$WORK/ctl.out"
expect 2 '2 pieces of evidence' "... and kept as evidence" -- "$SUMDB" evidence --state "$ST" "$VKEY"

# More invalid records than one run keeps as evidence: all counted, the
# first 20 kept, and the run says so rather than only "sumdb evidence
# shows them".
xmod_stop X
ST="$WORK/many.state"
{ i=1; while [ $i -le 25 ]; do bad "m$i"; i=$((i + 1)); done; gosum_lines 0 240; } >"$WORK/many.sum"
xmod_start X -key "$WORK/skey" -sum-form "$WORK/many.sum"
expect 0 '^first run: trusting the tree of 265' "25 invalid records: first audit" -- audit
expect 2 'only the first 20 conflicting pairs and the first 20 invalid records this run found are kept as evidence' \
	"--full: 25 invalid records, of which the first 20 are kept as evidence: said" -- audit --full
cp "$WORK/out" "$WORK/many.out"
expect 0 'the log holds 0 conflicting records and 25 invalid records' "... all 25 counted" -- cat "$WORK/many.out"
expect 2 ': 20 pieces of evidence' "... and sumdb evidence shows the 20" -- "$SUMDB" evidence --state "$ST" "$VKEY"

xmod_stop X
e2e_done
