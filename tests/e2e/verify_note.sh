#!/bin/sh
# sumdb verify-note on notes signed by golang.org/x/mod (tests/data/notes,
# made by gen.go there): the golden note and each forgery of it.
. "$top_srcdir/tests/e2e/lib.sh"
N="$DATA/notes"
PETER=PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW
OTHER=other.example/sumdb+21a8ce4b+AeIC38kZcFy49gt/s5jH4KrhjhB7h1egDAtHe9KMo7Vp
ROOT=TszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=
ROOT_RE=$(printf %s "$ROOT" | sed 's/[+]/\\+/g')

expect 0 "^tree size: 123456789012$" "golden note: size" -- "$SUMDB" verify-note --vkey "$PETER" "$N/tree.note"
expect 0 "^root hash: $ROOT_RE$" "golden note: root" -- "$SUMDB" verify-note --vkey "$PETER" "$N/tree.note"
expect 0 "^signer: PeterNeumann\+c74f20a3$" "golden note: signer" -- "$SUMDB" verify-note --vkey "$PETER" "$N/tree.note"
expect 0 "^tree size: 123456789012$" "note from standard input" -- sh -c "\"$SUMDB\" verify-note --vkey $PETER < \"$N/tree.note\""
expect 0 "^tree size: 123456789012$" "note from - " -- sh -c "\"$SUMDB\" verify-note --vkey $PETER - < \"$N/tree.note\""
expect 0 '^\{"valid":true,"signer":"PeterNeumann\+c74f20a3","tree_size":123456789012,"root_hash":"'"$ROOT_RE"'"\}$' "--json" -- "$SUMDB" verify-note --json --vkey "$PETER" "$N/tree.note"
expect 0 "^signer: other.example/sumdb\+21a8ce4b$" "two signers, verified with the first" -- "$SUMDB" verify-note --vkey "$OTHER" "$N/tree-two-signers.note"
expect 0 "^signer: PeterNeumann\+c74f20a3$" "two signers, verified with the second" -- "$SUMDB" verify-note --vkey "$PETER" "$N/tree-two-signers.note"

# Forgeries: each must exit 2 and say what is wrong.
expect 2 "invalid signature for key PeterNeumann" "flipped signature bit" -- "$SUMDB" verify-note --vkey "$PETER" "$N/tree-bad-signature.note"
# A reader that has gone (a closed pipe): still exit 2, not killed by
# SIGPIPE (141 under a shell).
closed_pipe() {
	python3 -c 'import os, subprocess, sys
r, w = os.pipe()
os.close(r)
p = subprocess.run(sys.argv[1:], stdout=w, stderr=subprocess.DEVNULL)
print("exit", p.returncode)' "$@"
}
expect 0 "^exit 2$" "a verification failure written to a closed pipe is still exit 2" -- \
	closed_pipe "$SUMDB" verify-note --json --vkey "$PETER" "$N/tree-bad-signature.note"
expect 0 "^exit 1$" "... and a valid note whose verdict cannot be written is exit 1, not 0" -- \
	closed_pipe "$SUMDB" verify-note --vkey "$PETER" "$N/tree.note"
expect 2 "invalid signature for key PeterNeumann" "tree size changed after signing" -- "$SUMDB" verify-note --vkey "$PETER" "$N/tree-changed-size.note"
expect 2 "not signed by PeterNeumann\+c74f20a3 \(signed only by other.example/sumdb\+21a8ce4b\)" "signed by another key only" -- "$SUMDB" verify-note --vkey "$PETER" "$N/tree-other-signer.note"
# a signer's name may hold DEL and C1 controls (as in Go): shown quoted,
# never raw on the terminal
LC_ALL=C sed "s|other.example/sumdb|$(printf 'evil\177\302\233x')|" "$N/tree-other-signer.note" \
	>"$WORK/control-signer.note"
expect 2 'signed only by "evil\\x7f\\xc2\\x9bx"\+21a8ce4b\)' "a signer's name with control bytes, quoted" -- \
	"$SUMDB" verify-note --vkey "$PETER" "$WORK/control-signer.note"
# a verifier key's name may hold ESC, DEL and C1 controls too (Go's note
# package takes any name without spaces or '+'): the key is named as the
# signers are, NAME+HASH with the name quoted, on standard error and in
# --json's detail alike, so no control reaches the terminal raw
CTL_KEY=$(python3 -c '
import base64, hashlib, sys
name, pub = b"ev\x1b[31mil\x7f\xc2\x9bx", bytes(range(32))
h = hashlib.sha256(name + b"\n\x01" + pub).digest()[:4]
sys.stdout.buffer.write(name + b"+" + h.hex().encode() + b"+" + base64.b64encode(b"\x01" + pub))')
expect 2 '^sumdb verify-note: .*: not signed by "ev\\x1b\[31mil\\x7f\\xc2\\x9bx"\+[0-9a-f]{8} \(signed only by ' \
	"a key whose name holds controls: named quoted, as the signers" -- \
	"$SUMDB" verify-note --vkey "$CTL_KEY" "$N/tree-other-signer.note"
expect 0 '^\{"valid":false,"reason":"not-signed-by-key","detail":"not signed by \\"ev\\\\x1b\[31mil\\\\x7f\\\\xc2\\\\x9bx\\"\+[0-9a-f]{8}"\}$' \
	"... and so in --json's detail" -- \
	sh -c "'$SUMDB' verify-note --json --vkey '$CTL_KEY' '$N/tree-other-signer.note' 2>/dev/null; test \$? -eq 2"
# another key of the same name (a log's new key): the two hashes tell
# the key given and the signer apart
NEWPETER=$(python3 -c '
import base64, hashlib, sys
name, pub = b"PeterNeumann", bytes(range(32))
h = hashlib.sha256(name + b"\n\x01" + pub).digest()[:4]
print("%s+%s+%s" % (name.decode(), h.hex(), base64.b64encode(b"\x01" + pub).decode()))')
NEWHASH=$(echo "$NEWPETER" | cut -d+ -f2)
expect 2 "not signed by PeterNeumann\+$NEWHASH \(signed only by PeterNeumann\+c74f20a3\)\$" \
	"another key of the signer's name: both named with their hashes" -- \
	"$SUMDB" verify-note --vkey "$NEWPETER" "$N/tree.note"
expect 2 "not signed by sum.golang.org" "built-in key name, note not by it" -- "$SUMDB" verify-note --vkey sum.golang.org "$N/tree.note"
expect 2 "malformed note" "trailing bytes after the signatures" -- "$SUMDB" verify-note --vkey "$PETER" "$N/tree-trailing-bytes.note"
expect 2 "malformed note" "no blank line before the signatures" -- "$SUMDB" verify-note --vkey "$PETER" "$N/tree-no-blank-line.note"
expect 2 "malformed tree note" "signed note that is not a tree" -- "$SUMDB" verify-note --vkey "$PETER" "$N/not-a-tree.note"
printf 'go.sum database tree\n1\n' > "$WORK/unsigned"
expect 2 "malformed note" "unsigned text" -- "$SUMDB" verify-note --vkey "$PETER" "$WORK/unsigned"
# --json: a note that does not verify is an object too, on standard output
json_out() { "$SUMDB" verify-note --json "$@" 2>/dev/null; }
expect 2 '^\{"valid":false,"reason":"bad-signature","detail":"invalid signature for key PeterNeumann' \
	"--json, flipped signature bit" -- json_out --vkey "$PETER" "$N/tree-bad-signature.note"
expect 2 '^\{"valid":false,"reason":"not-signed-by-key","detail":"not signed by PeterNeumann\+c74f20a3"\}$' \
	"--json, signed by another key only" -- json_out --vkey "$PETER" "$N/tree-other-signer.note"
expect 2 '^\{"valid":false,"reason":"malformed-note","detail":"malformed' \
	"--json, unsigned text" -- json_out --vkey "$PETER" "$WORK/unsigned"
expect 2 '^\{"valid":false,"reason":"malformed-note","detail":"malformed tree note' \
	"--json, signed note that is not a tree" -- json_out --vkey "$PETER" "$N/not-a-tree.note"

# Usage and I/O errors exit 1.
expect 1 "--vkey is required" "missing --vkey" -- "$SUMDB" verify-note "$N/tree.note"
expect 1 "--vkey:" "malformed --vkey" -- "$SUMDB" verify-note --vkey "PeterNeumann+c74f20a3+AAAA" "$N/tree.note"
expect 1 "no-such-file" "missing file" -- "$SUMDB" verify-note --vkey "$PETER" "$WORK/no-such-file"
expect 1 "larger than" "oversized input" -- sh -c "head -c 1000001 /dev/zero | \"$SUMDB\" verify-note --vkey $PETER"
# empty input (curl -s of a server that is down) is no note at all
expect 1 "^sumdb verify-note: no note on standard input \(empty input\)$" "empty standard input: exit 1" -- \
	sh -c "\"$SUMDB\" verify-note --vkey $PETER </dev/null"
: >"$WORK/empty"
expect 1 "^sumdb verify-note: no note in .*/empty \(empty file\)$" "empty file: exit 1" -- \
	"$SUMDB" verify-note --vkey "$PETER" "$WORK/empty"
expect 0 '^exit 1 stdout \[\{"valid":null,"reason":"could-not-check","detail":"no note on standard input \(empty input\)"\}\]$' \
	"empty input, --json: valid null, could-not-check (not a verification failure)" -- \
	sh -c "o=\$(\"$SUMDB\" verify-note --json --vkey $PETER </dev/null 2>/dev/null); echo \"exit \$? stdout [\$o]\""
# a key argument that is something else than a verifier key says what it is
expect 1 "--vkey: a GOSUMDB value \(KEY URL\), not a verifier key: give the key alone, and the URL, where needed, with --url$" \
	"--vkey with a GOSUMDB value" -- "$SUMDB" verify-note --vkey "$PETER https://sum.example" "$N/tree.note"
expect 1 "--vkey: malformed verifier key: want NAME\\+HASH\\+KEY, as sumdbd init prints it \\(only sum.golang.org is known by its name alone\\)$" \
	"--vkey with a log's name alone" -- "$SUMDB" verify-note --vkey PeterNeumann "$N/tree.note"
SIGNER=PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz
expect 1 "--vkey: this is a signer \(private\) key; give its verifier key$" \
	"--vkey with a signer key" -- "$SUMDB" verify-note --vkey "$SIGNER" "$N/tree.note"
cp "$WORK/out" "$WORK/signer.out"
expect 0 "^yes$" "... which is not echoed" -- ok_if sh -c "! grep -q AYEKFALV '$WORK/signer.out'"
expect 0 "usage: sumdb verify-note" "--help" -- "$SUMDB" verify-note --help
expect 1 "unknown command" "unknown command" -- "$SUMDB" frobnicate
# a failed write of the result is an error, not success
if [ -w /dev/full ]; then
	expect 1 "^sumdb verify-note: writing standard output: " "output to a full disk: exit 1" -- \
		sh -c "\"$SUMDB\" verify-note --vkey $PETER \"$N/tree.note\" >/dev/full"
	expect 2 "^sumdb verify-note: writing standard output: " "... a failed verification stays exit 2" -- \
		sh -c "\"$SUMDB\" verify-note --json --vkey $PETER \"$N/tree-bad-signature.note\" >/dev/full"
	expect 1 "^sumdb: writing standard output: " "--help to a full disk: exit 1" -- \
		sh -c "\"$SUMDB\" --help >/dev/full"
fi
e2e_done
