#!/bin/sh
# sumdb --json when a command fails before its normal output: a refused
# KEY or --url, an unreadable file, a state file that cannot be opened, a
# log that cannot be reached.  Standard output must still hold JSON
# objects, one a line, of the shape the command's normal output has (one
# per module version for lookup, a summary for check, "valid" for the
# offline verifiers, "status" for audit and evidence), with the word of
# one vocabulary (could-not-check, invalid, ...) and a detail; a usage
# error stays on standard error only (doc/sumdb.1 "--json").
. "$top_srcdir/tests/e2e/lib.sh"

# jexpect STATUS PYTHON-EXPR DESCRIPTION -- COMMAND...: COMMAND must exit
# STATUS and print on standard output nothing but JSON objects, one a
# line, of which the Python expression over their list o holds.
jexpect() {
	_want=$1 _cond=$2 _desc=$3
	shift 4
	"$@" >"$WORK/json.out" 2>"$WORK/json.err"
	_got=$?
	expect 0 '^yes$' "$_desc" -- python3 -c '
import json, sys
want, got, cond, out, err = sys.argv[1:6]
text = open(out, encoding="utf-8").read()   # JSON text is UTF-8 (RFC 8259)
try:
    o = [json.loads(l) for l in text.splitlines()]
    ok = all(isinstance(x, dict) for x in o) and eval("(" + cond + ")")
except Exception:
    ok = False
if int(got) == int(want) and ok:
    print("yes")
else:
    print("exit %s (want %s); standard output:\n%s; standard error:\n%s" % (got, want, text,
          open(err).read()))' "$_want" "$_got" "$_cond" "$WORK/json.out" "$WORK/json.err"
}

KEY=$("$SUMDBD" keygen localhost.localdev/json | sed -n 2p)
DOWN=http://127.0.0.1:1
gosum_lines 0 1 >"$WORK/m0.rec"
gosum_lines 0 3 >"$WORK/g.sum"
printf 'not a database, only text long enough to fill a header.........\n' >"$WORK/bad.state"

# A refused --url: a version that is not canonical is still "invalid",
# as a run that could look it up would call it; the others could not be
# checked.
jexpect 1 'len(o) == 2 and o[0]["error"] == "invalid" and o[1]["error"] == "could-not-check"' \
	"a refused --url: a non-canonical version is invalid, the others not checked" -- \
	"$SUMDB" lookup --json --url ftp://x "$KEY" example.com/m0@v1 example.com/m0@v1.0.0

# Input that is not UTF-8 (a byte 0xff typed in a module path) is not
# copied into the JSON text, which must be UTF-8: it is replaced.
jexpect 1 'o[0]["error"] == "invalid" and o[0]["module"].endswith("v1.0.0\ufffd")' \
	"a module path that is not UTF-8 is replaced, so the line stays JSON" -- \
	"$SUMDB" lookup --json --url "$DOWN" "$KEY" "$(printf 'example.com/m0@v1.0.0\377')"

# lookup: one object per module version, also when none was looked up
jexpect 1 'len(o) == 2 and [x["module"] for x in o] == ["example.com/m0@v1.0.0", "example.com/m1@v1.0.0"] and
    all(x["found"] is False and x["error"] == "could-not-check" and "GOSUMDB value" in x["detail"] for x in o)' \
	"lookup --json, a GOSUMDB value as KEY: an object per module version" -- \
	"$SUMDB" lookup --json "$KEY $DOWN" example.com/m0@v1.0.0 example.com/m1@v1.0.0
jexpect 1 'len(o) == 1 and o[0]["found"] is False and o[0]["error"] == "could-not-check" and
    "bad.state" in o[0]["detail"]' \
	"lookup --json, a state file that cannot be opened" -- \
	"$SUMDB" lookup --json --state "$WORK/bad.state" --url "$DOWN" "$KEY" example.com/m0@v1.0.0
jexpect 1 'len(o) == 1 and o[0]["error"] == "could-not-check" and "ftp://x" in o[0]["detail"]' \
	"lookup --json, a URL refused" -- "$SUMDB" lookup --json --url 'ftp://x' "$KEY" example.com/m0@v1.0.0
jexpect 1 '[x["error"] for x in o] == ["invalid", "could-not-check"]' \
	"lookup --json, a bad MODULE@VERSION and a log that cannot be reached" -- \
	"$SUMDB" lookup --json --url "$DOWN" "$KEY" example.com/m0@v1 example.com/m0@v1.0.0

# prove: its summary object, or one saying why there is none
jexpect 1 'len(o) == 1 and o[0]["module"] == "example.com/m0@v1" and o[0]["error"] == "invalid" and
    "v1.0.0" in o[0]["detail"]' \
	"prove --json --out, a version that is not canonical" -- \
	"$SUMDB" prove --json --out "$WORK/p.tlog-proof" --url "$DOWN" "$KEY" example.com/m0@v1
jexpect 1 'len(o) == 1 and o[0]["error"] == "could-not-check" and "127.0.0.1" in o[0]["detail"]' \
	"prove --json --out, a log that cannot be reached" -- \
	"$SUMDB" prove --json --out "$WORK/p.tlog-proof" --url "$DOWN" "$KEY" example.com/m0@v1.0.0
expect 0 '^yes$' "... and no proof file" -- ok_if test ! -e "$WORK/p.tlog-proof"
jexpect 1 'len(o) == 1 and o[0]["error"] == "could-not-check"' "prove --json --out, a malformed key" -- \
	"$SUMDB" prove --json --out "$WORK/p.tlog-proof" not+a+key example.com/m0@v1.0.0
jexpect 1 'len(o) == 1 and o[0]["error"] == "could-not-check" and o[0]["module"] == "example.com/m0@v1.0.0"' \
	"prove --json without --out: an object too (the proof would be in one)" -- \
	"$SUMDB" prove --json --url "$DOWN" "$KEY" example.com/m0@v1.0.0

# check: the summary says the file could not be checked, with no counts
jexpect 1 'len(o) == 1 and o[0]["summary"] is True and o[0]["error"] == "could-not-check" and
    "none.sum" in o[0]["detail"] and "lines" not in o[0]' \
	"check --json, an unreadable go.sum" -- "$SUMDB" check --json --url "$DOWN" "$KEY" "$WORK/none.sum"
jexpect 1 'len(o) == 1 and o[0]["summary"] is True and o[0]["error"] == "could-not-check"' \
	"check --json, a malformed key" -- "$SUMDB" check --json not+a+key "$WORK/g.sum"
jexpect 1 'o[-1]["summary"] is True and o[-1]["could_not_check"] == 6 and "error" not in o[-1]' \
	"check --json, a log that cannot be reached: the usual findings and summary" -- \
	"$SUMDB" check --json --url "$DOWN" "$KEY" "$WORK/g.sum"

# verify-note, verify-proof: "valid" is null when nothing was checked
# (false stays for a note or proof that does not verify)
jexpect 1 'o == [{"valid": None, "reason": "could-not-check", "detail": o[0]["detail"]}] and
    "none.note" in o[0]["detail"]' \
	"verify-note --json, an unreadable file" -- "$SUMDB" verify-note --json --vkey "$KEY" "$WORK/none.note"
jexpect 1 'len(o) == 1 and o[0]["valid"] is None and "empty" in o[0]["detail"]' \
	"verify-note --json, empty input" -- sh -c "'$SUMDB' verify-note --json --vkey '$KEY' </dev/null"
jexpect 1 'len(o) == 1 and o[0]["valid"] is None and o[0]["detail"].startswith("--vkey: ")' \
	"verify-note --json, a malformed --vkey" -- "$SUMDB" verify-note --json --vkey not+a+key "$WORK/m0.rec"
jexpect 1 'len(o) == 1 and o[0]["valid"] is None and o[0]["reason"] == "could-not-check" and
    "none.rec" in o[0]["detail"]' \
	"verify-proof --json, an unreadable record file" -- \
	"$SUMDB" verify-proof --json --vkey "$KEY" --record "$WORK/none.rec" "$WORK/none.proof"
jexpect 1 'len(o) == 1 and o[0]["valid"] is None and "not a go.sum record" in o[0]["detail"]' \
	"verify-proof --json, a record file that is not a record" -- \
	"$SUMDB" verify-proof --json --vkey "$KEY" --record "$WORK/g.sum" "$WORK/none.proof"
jexpect 1 'len(o) == 1 and o[0]["valid"] is None and "empty" in o[0]["detail"]' \
	"verify-proof --json, an empty proof" -- \
	sh -c "'$SUMDB' verify-proof --json --vkey '$KEY' --record '$WORK/m0.rec' - </dev/null"

# evidence and audit: {"status":"could-not-check","detail":...}
jexpect 1 'o == [{"status": "could-not-check", "detail": o[0]["detail"]}] and "no state file" in o[0]["detail"]' \
	"evidence --json, no state file" -- "$SUMDB" evidence --json --state "$WORK/none.state" "$KEY"
jexpect 1 'len(o) == 1 and o[0]["status"] == "could-not-check" and "bad.state" in o[0]["detail"]' \
	"evidence --json, a state file that cannot be read" -- \
	"$SUMDB" evidence --json --state "$WORK/bad.state" "$KEY"
jexpect 1 'len(o) == 1 and o[0]["status"] == "could-not-check" and "bad.state" in o[0]["detail"]' \
	"audit --json, a state file that cannot be read" -- \
	"$SUMDB" audit --json --state "$WORK/bad.state" --url "$DOWN" "$KEY"

# a usage error is the calling script's bug: standard error only
for c in "lookup --json --no-such-option $KEY example.com/m0@v1.0.0" "lookup --json $KEY" \
    "check --json $KEY" "prove --json --out $WORK/p $KEY" "verify-note --json" \
    "verify-proof --json --vkey $KEY $WORK/none.proof" "evidence --json" "audit --json"; do
	jexpect 1 'o == []' "usage error, nothing on standard output: sumdb $(echo "$c" |
	    sed "s|$KEY|KEY|; s|$WORK/||")" -- $SUMDB $c
done
e2e_done
