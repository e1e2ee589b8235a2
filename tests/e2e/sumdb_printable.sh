#!/bin/sh
# sumdb says what it was given and what a log sent (file names,
# MODULE@VERSION arguments, go.sum lines, error bodies, record texts) in
# lines that are safe for a terminal and a log: each byte that is not
# printable ASCII is written as '?' (or quoted, where a message quotes
# bytes), so that an escape sequence never reaches the terminal and a
# newline or carriage return never forges a second line.  The log is
# tests/e2e/evillog.py, which serves whatever it is told to.
. "$top_srcdir/tests/e2e/lib.sh"
trap 'evil_stop; rm -rf "$WORK"' EXIT
ESC=$(printf '\033')
CR=$(printf '\r')
NL='
'

evil_start
K=$EVIL_VKEY
U=$EVIL_URL
evil_set </dev/null

# check: a go.sum file whose name holds a newline and an escape sequence;
# its findings and its summary name it, on standard output
gs="$WORK/g${NL}sumdb check: forged${ESC}[2J.sum"
{
	gosum_lines 5 6
	gosum_lines 6 7 other
	printf 'example.com/m7 v1.0.0%s[2J h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n' "$ESC"
} >"$gs"
"$SUMDB" check --url "$U" "$K" "$gs" >"$WORK/out1" 2>"$WORK/err1"
expect 0 '^yes$' "check: a file name with a newline and ESC: its findings and summary are printable lines" -- \
	printable "$WORK/out1" 4
expect 0 "^$WORK/g\?sumdb check: forged\?\[2J\.sum:3: MISMATCH example\.com/m6 v1\.0\.0: go\.sum has" \
	"... a finding names the file with '?' for each of those bytes" -- cat "$WORK/out1"
expect 0 "^$WORK/g\?sumdb check: forged\?\[2J\.sum: 2 lines match the log, 2 mismatches" \
	"... and so does the summary" -- cat "$WORK/out1"
expect 0 '^0$' "... and nothing on standard error" -- sh -c "wc -c <'$WORK/err1'"

# lookup and prove: a MODULE@VERSION argument echoed back
"$SUMDB" lookup --url "$U" "$K" "example.com/m5@v1.0.0${ESC}[2J${CR}" >"$WORK/out" 2>"$WORK/err"
expect 0 '^yes$' "lookup: an argument with ESC and CR is named in one printable line" -- \
	printable "$WORK/err" 1
expect 0 '^sumdb lookup: example\.com/m5@v1\.0\.0\?\[2J\?: ' "... with '?' for those bytes" -- \
	cat "$WORK/err"
"$SUMDB" prove --url "$U" --out "$WORK/p" "$K" "example.com/m5@v1${NL}x${ESC}[2J" >"$WORK/out" 2>"$WORK/err"
expect 0 '^yes$' "prove: an argument with a newline and ESC is named in one printable line" -- \
	printable "$WORK/err" 1
expect 0 '^sumdb prove: example\.com/m5@v1\?x\?\[2J: ' "... with '?' for those bytes" -- \
	cat "$WORK/err"

# verify-note: a note in a file whose name holds ESC and a newline, not
# signed by the key given: one line, naming the file and the signers
other=$("$SUMDBD" keygen other.example | sed -n 2p)
nf="$WORK/n${ESC}]0;x${NL}note"
curl -sS "$U/latest" >"$nf"
"$SUMDB" verify-note --vkey "$other" "$nf" >"$WORK/out" 2>"$WORK/err"
expect 0 '^yes$' "verify-note: a file name with ESC and a newline, not signed by the key: one printable line" -- \
	printable "$WORK/err" 1
expect 0 "^sumdb verify-note: $WORK/n\?\]0;x\?note: not signed by other\.example\+[0-9a-f]{8} \(signed only by evil\.example/sumdb\+" \
	"... naming the file and the signer" -- cat "$WORK/err"

# What the log sends: a lookup's error body with an escape sequence and
# CRLF, and a record whose module path holds an escape sequence, are
# shown quoted or with '?', in one line each.
evil_set <<'PY'
def hook(path, status, body):
    if path.startswith("/lookup/"):
        return 404, b"not found: \x1b]0;pwned\x07\x1b[2J\r\nsumdb lookup: forged\n"
    return status, body
PY
"$SUMDB" lookup --url "$U" "$K" example.com/m5@v1.0.0 >"$WORK/out" 2>"$WORK/err"
expect 0 '^yes$' "lookup: an error body with ESC and CRLF gives one printable line" -- \
	printable "$WORK/err" 1
evil_set <<'PY'
LOGS = {"a": recs(0, 5) + [rec(5).replace(b"example.com/m5", b"example.com/m\x1b[2J5")] + recs(6, 10)}
PY
"$SUMDB" audit --full --state "$WORK/st" --url "$U" "$K" >"$WORK/out" 2>"$WORK/err"
expect 0 '^yes$' "audit --full: a record holding ESC gives printable lines on standard error" -- \
	printable "$WORK/err" 2
expect 0 '^sumdb audit: record 5 is not a valid go\.sum record: malformed module path "example\.com/m\\x1b\[2J5"' \
	"... quoting the record's path" -- cat "$WORK/err"

# Evidence is data, kept byte for byte: a signed note in it may hold what
# a terminal obeys (a note's text may hold DEL and the C1 controls, such
# as U+009B, CSI to some terminals; here ESC too, as an edited state
# would).  sumdb evidence writes it as it is to a pipe or a file, and
# with '?' for those only to a terminal (script(1) gives it one); the
# rest of UTF-8, such as the em dash of a signature line, is kept.
C1=$(printf '\302\233')
DASH=$(printf '\342\200\224')
sqlite3 "$WORK/st" "INSERT INTO evidence(time, text) VALUES (0, 'a note: ${ESC}[2J and ${C1}31m
${DASH} evil.example sig
')"
"$SUMDB" evidence --state "$WORK/st" "$K" >"$WORK/ev.pipe" 2>&1
expect 0 '^yes$' "evidence to a pipe: ESC and the C1 control kept as they are" -- \
	ok_if grep -q "a note: ${ESC}\[2J and ${C1}31m" "$WORK/ev.pipe"
script -qec "'$SUMDB' evidence --state '$WORK/st' '$K'" /dev/null >"$WORK/ev.tty" 2>&1
expect 0 '^yes$' "evidence to a terminal: ESC and the C1 control as '?', the em dash kept" -- \
	ok_if sh -c "grep -q 'a note: ?\[2J and ??31m' '$WORK/ev.tty' && grep -q '^$DASH evil' '$WORK/ev.tty' &&
	    ! grep -q '$ESC' '$WORK/ev.tty' && ! grep -q '$C1' '$WORK/ev.tty'"

# A key's name may hold DEL and the C1 controls (Go's note format takes
# any name without spaces or '+'; only C0 controls make a note malformed).
# The default state file is named after the key: each byte of a control
# there is %XX, so that no ls or message naming the state carries one;
# any other name (UTF-8 included) maps to the file it always did.  The log
# signs with such keys under $U/ctl and $U/utf, and tells their verifier
# keys at .../vkey.
evil_set <<'PY'
KEYS = {"/ctl": Key("ev\x7fil\u009bx.example", b"\x0a" * 32),
        "/utf": Key("s\u00fcm.example/db", b"\x0b" * 32)}
def hook(path, status, body):
    for pre, k in KEYS.items():
        if path == pre + "/vkey":
            return 200, k.vkey.encode()
        if path == pre + "/latest":
            return 200, note(LOGS["a"], 600, key=k)
        if path.startswith(pre + "/"):
            return answer(path[len(pre):])
    return status, body
PY
CTLK=$(curl -sS "$U/ctl/vkey")
UTFK=$(curl -sS "$U/utf/vkey")
SD="$WORK/home/.local/state/csumdb"
env -u XDG_STATE_HOME HOME="$WORK/home" "$SUMDB" audit --url "$U/ctl" "$CTLK" >"$WORK/ctl.out" 2>&1
expect 0 '^ev%7Fil%C2%9Bx\.example\.state$' \
	"audit: a key name with DEL and a C1 control: the default state's name has %XX for them" -- \
	ls "$SD"
expect 0 '^yes$' "... and the message naming it is one printable line" -- printable "$WORK/ctl.out" 1
env -u XDG_STATE_HOME HOME="$WORK/home" "$SUMDB" audit --url "$U/utf" "$UTFK" >/dev/null 2>&1
expect 0 "^s$(printf '\303\274')m\.example_db\.state\$" \
	"... a UTF-8 name with no control: the file it always had ('/' as '_')" -- ls "$SD"
expect 0 '^consistent: 600 records, unchanged' "... and the next run finds the state of the first" -- \
	env -u XDG_STATE_HOME HOME="$WORK/home" "$SUMDB" audit --url "$U/ctl" "$CTLK"
expect 0 '/ev%7Fil%C2%9Bx\.example\.state: 0 pieces of evidence' \
	"... as sumdb evidence does" -- \
	env -u XDG_STATE_HOME HOME="$WORK/home" "$SUMDB" evidence "$CTLK"
# A state an older csumdb made under the name byte for byte is still the
# key's: a first run under the %XX name would trust whatever it is shown.
SD2="$WORK/home2/.local/state/csumdb"
mkdir -p "$SD2" && chmod 700 "$WORK/home2" "$WORK/home2/.local" "$WORK/home2/.local/state" "$SD2"
"$SUMDB" audit --state "$SD2/$(printf 'ev\177il\302\233x').example.state" --url "$U/ctl" "$CTLK" \
	>/dev/null 2>&1
expect 0 ': 0 pieces of evidence' "sumdb evidence: a state made under the key's name byte for byte is still found" -- \
	env -u XDG_STATE_HOME HOME="$WORK/home2" "$SUMDB" evidence "$CTLK"
expect 0 '^consistent: 600 records, unchanged' \
	"... as by audit (no first run under the %XX name)" -- \
	env -u XDG_STATE_HOME HOME="$WORK/home2" "$SUMDB" audit --url "$U/ctl" "$CTLK"
# verify-note names such a key as it names the signers, quoted, also
# when its signature does not verify (a tree size changed after signing)
curl -sS "$U/ctl/latest" | sed 's/^600$/601/' >"$WORK/ctl.note"
"$SUMDB" verify-note --vkey "$CTLK" "$WORK/ctl.note" >"$WORK/ctl.out" 2>&1
expect 0 '^sumdb verify-note: .*: invalid signature for key "ev\\x7fil\\xc2\\x9bx\.example"\+[0-9a-f]{8}$' \
	"verify-note: a bad signature by a key whose name holds controls: named quoted" -- \
	cat "$WORK/ctl.out"
evil_set </dev/null

# Without --url the log's URL is https://NAME: a key's name that is no
# host name (controls, an '@' that would make credentials of what is
# before it) is said to be so, with what to do, in one printable line,
# before anything is fetched; exit 1 (usage).  The names are Python
# bytes; the key is any (nothing is verified).
vkey_named() {
	python3 -c '
import base64, hashlib, sys
name, pub = eval(sys.argv[1]), bytes(range(32))
h = hashlib.sha256(name + b"\n\x01" + pub).digest()[:4]
sys.stdout.buffer.write(name + b"+" + h.hex().encode() + b"+" + base64.b64encode(b"\x01" + pub))' "$1"
}
ESCK=$(vkey_named 'b"ev\x1b[31mil\x7f\xc2\x9bx"')
gosum_lines 5 6 >"$WORK/url.sum"
for cmd in audit lookup check; do
	case $cmd in
	audit) set -- ;;
	lookup) set -- example.com/m5@v1.0.0 ;;
	check) set -- "$WORK/url.sum" ;;
	esac
	env -u XDG_STATE_HOME HOME="$WORK/home" "$SUMDB" $cmd "$ESCK" "$@" >"$WORK/url.out" 2>&1
	url_rc=$?
	expect 0 "^sumdb $cmd: the key's name \"ev\\\\x1b\[31mil\\\\x7f\\\\xc2\\\\x9bx\" is not a host name .*: give the log's URL with --url\$" \
		"$cmd: a key name with controls and no --url: not a host name, pass --url" -- cat "$WORK/url.out"
	expect 0 '^yes$' "... in one printable line" -- printable "$WORK/url.out" 1
	expect 0 '^1$' "... exit 1" -- echo "$url_rc"
done
expect 1 "^sumdb audit: the key's name u@127\.0\.0\.1:1 is not a host name .*--url" \
	"audit: a key name with an '@' and no --url: not a host name" -- \
	"$SUMDB" audit --state "$WORK/at.state" "$(vkey_named 'b"u@127.0.0.1:1"')"
expect 0 '^yes$' "... and no state file made" -- ok_if test ! -e "$WORK/at.state"

# options getopt does not know, or a flag given a value: printable
"$SUMDB" lookup "--u${ESC}[2J${CR}" 2>"$WORK/err"
expect 0 "^sumdb lookup: unrecognized option '--u\?\[2J\?'$" "an unknown option is echoed printable" -- \
	cat "$WORK/err"
"$SUMDB" lookup "--json=${ESC}[2J" 2>"$WORK/err"
expect 0 "^sumdb lookup: option '--json' doesn't allow an argument$" "a flag given a value: named without it" -- \
	cat "$WORK/err"
expect 0 '^yes$' "... and no escape byte anywhere" -- ok_if sh -c "! grep -q '$ESC' '$WORK/err'"
"$SUMDB" lookup --url 2>"$WORK/err"
expect 0 "^sumdb lookup: option '--url' requires an argument$" "an option without its value is named" -- \
	cat "$WORK/err"

e2e_done
