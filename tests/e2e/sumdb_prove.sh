#!/bin/sh
# sumdb lookup, prove, verify-proof and check against a real sumdbd on
# loopback (behind tests/e2e/sumdb_proxy.py to forge answers): verified
# lookups, a record that is not in the tree even though the server serves a
# matching forged level-0 tile (x/mod 0.7.0 accepted that; the expected
# answer comes from the tree, not from x/mod), a forged tile, lookups with
# --state; proofs that verify and each forgery twin that must not; go.sum
# checks with a mismatch, an unknown version and a malformed line; --full
# on data tiles in x/mod 0.7.0's form.
. "$top_srcdir/tests/e2e/lib.sh"
trap 'sumdbd_stop A; proxy_stop; rm -rf "$WORK"' EXIT
NAME=localhost.localdev/sumdb
ok_if() { "$@" && echo yes; }

expect 0 'verifier key: ' "init" -- "$SUMDBD" init --db "$WORK/a.db" --name "$NAME"
VKEY=$(sed -n 's/^verifier key: //p' "$WORK/out")
expect 0 'verifier key: ' "init another log (for a wrong key)" -- "$SUMDBD" init --db "$WORK/o.db" --name "$NAME"
OKEY=$(sed -n 's/^verifier key: //p' "$WORK/out")
gosum_lines 0 603 >"$WORK/g.sum"
expect 0 'tree size 603' "603 records" -- "$SUMDBD" add --db "$WORK/a.db" "$WORK/g.sum"
sumdbd_start A "$WORK/a.db"
proxy_start
proxy_set "upstream $A_URL"
U=$PROXY_URL

# lookup
expect 0 '^example.com/m7 v1.0.0/go.mod h1:' "lookup prints the go.sum lines" -- "$SUMDB" lookup --url "$U" "$VKEY" example.com/m7@v1.0.0
grep '^example.com/m7 ' "$WORK/g.sum" >"$WORK/m7.want"
"$SUMDB" lookup --url "$U" "$VKEY" example.com/m7@v1.0.0 >"$WORK/m7.rec" 2>/dev/null
expect 0 '^yes$' "lookup output is the record" -- ok_if cmp "$WORK/m7.want" "$WORK/m7.rec"
expect 0 '"found":true,"index":7,"tree_size":603' "lookup --json" -- "$SUMDB" lookup --json --url "$U" "$VKEY" example.com/m7@v1.0.0
expect 1 'not found in the log' "lookup of an unknown version: exit 1" -- "$SUMDB" lookup --url "$U" "$VKEY" example.com/m7@v1.9.9
expect 1 'HTTP 404: not found: example.com/m7@v1.9.9: ' "... with the server's own words" -- \
	"$SUMDB" lookup --url "$U" "$VKEY" example.com/m7@v1.9.9
expect 2 'not signed by|no signature|VERIFICATION FAILED' "lookup with another log's key: exit 2" -- "$SUMDB" lookup --url "$U" "$OKEY" example.com/m7@v1.0.0
expect 1 'not canonical.*such as example.com/m7@v1.0.0$' "lookup of a non-canonical version: refused, naming the canonical one" -- \
	"$SUMDB" lookup --url http://127.0.0.1:1 "$VKEY" example.com/m7@v1.0
expect 1 '"error":"invalid"' "... with --json: error invalid" -- "$SUMDB" lookup --json --url http://127.0.0.1:1 "$VKEY" example.com/m7@v1
expect 1 'malformed module path' "lookup of a malformed module path: refused" -- "$SUMDB" lookup --url http://127.0.0.1:1 "$VKEY" Example.com/m7@v1.0.0
expect 1 'not canonical' "prove of a non-canonical version: refused" -- "$SUMDB" prove --url http://127.0.0.1:1 "$VKEY" example.com/m7@v1.0.0+meta
proxy_set "upstream $A_URL" "forge example.com/m7@v1.0.0 7"
expect 2 'VERIFICATION FAILED.*does not match its parent|VERIFICATION FAILED.*not record 7' \
	"a forged record with a matching forged level-0 tile: exit 2" -- "$SUMDB" lookup --url "$U" "$VKEY" example.com/m7@v1.0.0
# another module's record, which is in the tree: the answer is not for the
# module asked about, and says so (not a record missing from the tree)
proxy_set "upstream $A_URL" "swap-lookup /m7@ /m8@"
expect 2 'VERIFICATION FAILED: the log answered the lookup of example.com/m7@v1.0.0 with the record of example.com/m8 v1.0.0$' \
	"a lookup answered with another module's record: exit 2, naming it" -- "$SUMDB" lookup --url "$U" "$VKEY" example.com/m7@v1.0.0
expect 2 '"error":"verification-failed","detail":"the log answered the lookup of example.com/m7@v1.0.0 with the record of example.com/m8 v1.0.0"' \
	"... with --json" -- "$SUMDB" lookup --json --url "$U" "$VKEY" example.com/m7@v1.0.0
proxy_set "upstream $A_URL" "flip-tile tile/8/0/001"
expect 2 'VERIFICATION FAILED' "a forged tile below a correct parent: exit 2" -- "$SUMDB" lookup --url "$U" "$VKEY" example.com/m300@v1.0.0
proxy_set "upstream $A_URL" "truncate-tiles"
expect 1 'could not check' "truncated tiles: exit 1" -- "$SUMDB" lookup --url "$U" "$VKEY" example.com/m300@v1.0.0
# a record that is no go.sum record only on the way (the tree does not
# hold it): fetched again, and never called misbehavior (the twin of
# sumdb_xmod.sh's invalid record that the log signed: exit 2)
proxy_set "upstream $A_URL" "garble-record example.com/m300@ 1"
expect 0 '^example.com/m300 v1.0.0 h1:' "a record garbled once: fetched again, exit 0" -- \
	"$SUMDB" lookup --url "$U" "$VKEY" example.com/m300@v1.0.0
proxy_set "upstream $A_URL" "garble-record example.com/m300@"
expect 1 'could not check: .*record line 1: hash is not h1' "a record garbled for good: could not check, exit 1" -- \
	"$SUMDB" lookup --url "$U" "$VKEY" example.com/m300@v1.0.0
expect 1 'could not check' "... prove: exit 1" -- "$SUMDB" prove --url "$U" "$VKEY" example.com/m300@v1.0.0
grep '^example.com/m300 ' "$WORK/g.sum" >"$WORK/m300.sum"
expect 1 '"finding":"could-not-check"' "... check: exit 1" -- "$SUMDB" check --json --url "$U" "$VKEY" "$WORK/m300.sum"
proxy_set "upstream $A_URL"
expect 0 '^example.com/m300 v1.0.0 h1:' "lookup --state, first time" -- "$SUMDB" lookup --state "$WORK/st" --url "$U" "$VKEY" example.com/m300@v1.0.0
gosum_lines 603 700 >"$WORK/g2.sum"
expect 0 'tree size 700' "the log grows" -- "$SUMDBD" add --db "$WORK/a.db" "$WORK/g2.sum"
expect 0 '^example.com/m650 v1.0.0 h1:' "lookup --state: the grown tree is consistent" -- "$SUMDB" lookup --state "$WORK/st" --url "$U" "$VKEY" example.com/m650@v1.0.0
expect 0 '^consistent: 700 records, unchanged' "and was accepted in the state" -- "$SUMDB" audit --state "$WORK/st" --url "$U" "$VKEY"

# prove and verify-proof
expect 0 '^yes$' "prove to standard output" -- ok_if sh -c "'$SUMDB' prove --url '$U' '$VKEY' example.com/m300@v1.0.0 >'$WORK/p.tlog-proof'"
expect 0 '^c2sp.org/tlog-proof@v1$' "the proof is a C2SP tlog-proof" -- head -n 1 "$WORK/p.tlog-proof"
"$SUMDB" lookup --url "$U" "$VKEY" example.com/m300@v1.0.0 >"$WORK/m300.rec"
expect 0 '^valid: record 300$' "verify-proof: valid" -- "$SUMDB" verify-proof --vkey "$VKEY" --record "$WORK/m300.rec" "$WORK/p.tlog-proof"
cp "$WORK/out" "$WORK/vp.out"
expect 0 '^tree size: 700$' "verify-proof prints the tree size" -- cat "$WORK/vp.out"
expect 0 '^module: example.com/m300@v1.0.0$' "verify-proof names the module version it verified" -- cat "$WORK/vp.out"
expect 0 '^\{"valid":true,.*,"module":"example.com/m300@v1.0.0"\}$' "... also with --json" -- \
	"$SUMDB" verify-proof --json --vkey "$VKEY" --record "$WORK/m300.rec" "$WORK/p.tlog-proof"
expect 0 '"valid":true,"index":300,"tree_size":700' "verify-proof --json" -- "$SUMDB" verify-proof --json --vkey "$VKEY" --record "$WORK/m300.rec" "$WORK/p.tlog-proof"
expect 0 'proof written to' "prove --out" -- "$SUMDB" prove --out "$WORK/q.tlog-proof" --url "$U" "$VKEY" example.com/m300@v1.0.0
expect 0 '^yes$' "--out writes the same proof" -- ok_if cmp "$WORK/p.tlog-proof" "$WORK/q.tlog-proof"
expect 0 '"index":300,"tree_size":700' "prove --json --out" -- "$SUMDB" prove --json --out "$WORK/q.tlog-proof" --url "$U" "$VKEY" example.com/m300@v1.0.0
# --out - is standard output, as without --out; it makes no file named "-"
mkdir "$WORK/cwd"
expect 0 '^yes$' "prove --out -: the proof on standard output" -- ok_if sh -c "cd '$WORK/cwd' &&
    '$SUMDB' prove --out - --url '$U' '$VKEY' example.com/m300@v1.0.0 >'$WORK/dash.out' &&
    cmp '$WORK/p.tlog-proof' '$WORK/dash.out'"
expect 0 '^yes$' "... and no file named -" -- ok_if test ! -e "$WORK/cwd/-"
# --json without a file (no --out, or --out -) is JSON too: one object,
# "file" null and the proof file's text inside it, byte for byte
for o in "" "--out -"; do
	(cd "$WORK/cwd" && "$SUMDB" prove --json $o --url "$U" "$VKEY" example.com/m300@v1.0.0 \
	    >"$WORK/dash.json" 2>"$WORK/dash.err"; echo $? >"$WORK/dash.rc")
	expect 0 '^yes$' "prove --json ${o:-without --out}: one object holding the proof" -- python3 -c '
import json, sys
text = open(sys.argv[1], encoding="utf-8").read()
o = [json.loads(l) for l in text.splitlines()]
proof = open(sys.argv[2], "rb").read().decode("utf-8")
ok = (open(sys.argv[3]).read().strip() == "0" and len(o) == 1 and o[0]["file"] is None and
      o[0]["tlog_proof"] == proof and o[0]["index"] == 300 and o[0]["tree_size"] == 700 and
      o[0]["module"] == "example.com/m300@v1.0.0")
print("yes" if ok else text)' "$WORK/dash.json" "$WORK/p.tlog-proof" "$WORK/dash.rc"
done
expect 0 '^yes$' "... and no file named -" -- ok_if test ! -e "$WORK/cwd/-"
expect 1 '^\{"module":"example.com/m300@v1.9.9","error":"not-found","detail":".+"\}$' \
	"prove --json without --out, a version the log does not know: an object too" -- \
	sh -c "'$SUMDB' prove --json --url '$U' '$VKEY' example.com/m300@v1.9.9 2>/dev/null"
expect 0 'proof written to \./-$' "prove --out ./-: a file named -" -- sh -c "cd '$WORK/cwd' &&
    '$SUMDB' prove --out ./- --url '$U' '$VKEY' example.com/m300@v1.0.0"
expect 0 '^yes$' "... holding the proof" -- ok_if cmp "$WORK/p.tlog-proof" "$WORK/cwd/-"
# The same thing has the same name in every command's --json (doc/sumdb.1
# "JSON OUTPUT"): tree_size, root_hash, index, module.  Each output is
# one JSON document (one object a line for lookup).
"$SUMDB" lookup --json --url "$U" "$VKEY" example.com/m300@v1.0.0 >"$WORK/j.lookup" 2>/dev/null
"$SUMDB" prove --json --out "$WORK/j.tlog-proof" --url "$U" "$VKEY" example.com/m300@v1.0.0 \
    >"$WORK/j.prove" 2>/dev/null
"$SUMDB" verify-proof --json --vkey "$VKEY" --record "$WORK/m300.rec" "$WORK/j.tlog-proof" \
    >"$WORK/j.verify-proof" 2>/dev/null
sed '1,/^$/d' "$WORK/j.tlog-proof" >"$WORK/j.note"
"$SUMDB" verify-note --json --vkey "$VKEY" "$WORK/j.note" >"$WORK/j.verify-note" 2>/dev/null
"$SUMDB" audit --json --state "$WORK/j.state" --url "$U" "$VKEY" >"$WORK/j.audit" 2>/dev/null
"$SUMDB" audit --json --state "$WORK/j.state" --url "$U" "$VKEY" >"$WORK/j.audit2" 2>/dev/null
"$SUMDB" audit --full --json --state "$WORK/j.state" --url "$U" "$VKEY" >"$WORK/j.full" 2>/dev/null
expect 0 '^yes$' "--json: one name for each thing, in every command" -- python3 -c '
import json, sys
d = sys.argv[1]
o = {c: json.load(open(d + "/j." + c)) for c in
     ("lookup", "prove", "verify-proof", "verify-note", "audit", "audit2", "full")}
root = o["lookup"]["root_hash"]
bad = [c for c in o if o[c].get("tree_size") != 700]
bad += [c for c in o if c != "full" and o[c].get("root_hash") != root]
bad += [c for c in ("lookup", "prove", "verify-proof") if o[c].get("index") != 300 or
        o[c].get("module") != "example.com/m300@v1.0.0"]
bad += [c for c in ("audit", "audit2", "full") if o[c].get("state") != d + "/j.state"]
bad += [c for c in o for k in ("size", "hash", "root", "id", "old_size", "new_size") if k in o[c]]
print("yes" if not bad else (bad, o))' "$WORK"
# --out where no file can be made: the proof is checked, then the file
# named with why it could not be written, exit 1 (with --json, its object)
expect 1 "^sumdb prove: .*/nodir/r\.tlog-proof: writing it: No such file or directory$" \
	"prove --out in a missing directory: exit 1, naming the file" -- \
	"$SUMDB" prove --out "$WORK/nodir/r.tlog-proof" --url "$U" "$VKEY" example.com/m300@v1.0.0
expect 1 '^\{"module":"example.com/m300@v1.0.0","error":"could-not-check","detail":".*/nodir/r\.tlog-proof: writing it: No such file or directory"\}$' \
	"... with --json, one object saying so" -- \
	sh -c "'$SUMDB' prove --json --out '$WORK/nodir/r.tlog-proof' --url '$U' '$VKEY' example.com/m300@v1.0.0 2>/dev/null"
# A proof reported written survives a crash: after the rename into place
# the directory is synced (its descriptor opened and fsync()ed), as strace
# sees the calls.  (LeakSanitizer cannot work under a tracer: off for
# this run.)
mkdir -p "$WORK/pd"
if command -v strace >/dev/null 2>&1 && strace -o /dev/null true 2>/dev/null; then
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -e trace=openat,rename,renameat,renameat2,fsync -o "$WORK/prove.strace" \
	    "$SUMDB" prove --out "$WORK/pd/s.tlog-proof" --url "$U" "$VKEY" example.com/m300@v1.0.0 \
	    >/dev/null 2>&1
	expect 0 '^synced after the rename$' "prove --out syncs the directory after the rename" -- \
		python3 - "$WORK/prove.strace" "$WORK/pd" <<'PY'
import re, sys
d = sys.argv[2]
renamed, dirfds = False, set()
for line in open(sys.argv[1]):
    if not renamed:
        renamed = re.search(r'rename(at2?)?\(.*"%s/s\.tlog-proof".*\)\s+= 0$' % re.escape(d), line) is not None
        continue
    m = re.search(r'openat\(AT_FDCWD, "%s", [^)]*O_DIRECTORY[^)]*\)\s+= (\d+)$' % re.escape(d), line)
    if m:
        dirfds.add(m.group(1))
    m = re.search(r'fsync\((\d+)\)\s+= 0$', line)
    if m and m.group(1) in dirfds:
        print("synced after the rename")
        break
else:
    print("renamed: %s; no fsync of %s after it" % (renamed, d))
PY
	# SIGTERM (as Ctrl-C) while the temporary file is synced, strace
	# sending it as the fsync starts: the run ends, and leaves either
	# the whole proof or nothing, never a temporary file beside it
	mkdir -p "$WORK/pt"
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -o /dev/null \
	    -e trace=fsync -e inject=fsync:signal=SIGTERM:when=1 \
	    "$SUMDB" prove --out "$WORK/pt/t.tlog-proof" --url "$U" "$VKEY" example.com/m300@v1.0.0 \
	    >/dev/null 2>&1
	expect 0 '^t\.tlog-proof$' "prove --out stopped by SIGTERM while syncing: no temporary file is left" -- \
		ls "$WORK/pt"
	expect 0 '^yes$' "... and the file is the whole proof" -- \
		ok_if cmp -s "$WORK/p.tlog-proof" "$WORK/pt/t.tlog-proof"
else
	echo "skip: strace cannot trace here: the directory sync of prove --out, and a stop while it writes, are not checked"
fi
# --out in a directory others can write to (/tmp): a link planted at the
# name the temporary file once had (OUT.tmpPID, PID guessed) must not make
# prove write the proof through it into the file it names
echo precious >"$WORK/victim"
expect 0 'proof written to' "prove --out beside a planted link: written" -- \
	sh -c 'ln -s "$1" "$2.tmp$$" && exec "$3" prove --out "$2" --url "$4" "$5" example.com/m300@v1.0.0' \
	sh "$WORK/victim" "$WORK/r.tlog-proof" "$SUMDB" "$U" "$VKEY"
expect 0 '^precious$' "... the file the link names is left as it was" -- cat "$WORK/victim"
expect 0 '^yes$' "... and --out is the proof, a file of its own" -- \
	ok_if sh -c "test ! -L '$WORK/r.tlog-proof' && cmp -s '$WORK/p.tlog-proof' '$WORK/r.tlog-proof'"
# --out naming what a rename would replace: a symbolic link is followed
# (the link stays, the file it names is the proof), and what is not a
# regular file (a FIFO here; /dev/stdout, /dev/null) is written to as it
# is, not replaced by a regular file
echo old >"$WORK/archived.tlog-proof"
ln -s archived.tlog-proof "$WORK/link.tlog-proof"
expect 0 'proof written to .*/link\.tlog-proof$' "prove --out a symbolic link: written" -- \
	"$SUMDB" prove --out "$WORK/link.tlog-proof" --url "$U" "$VKEY" example.com/m300@v1.0.0
expect 0 '^yes$' "... the link is still a link, and the file it names the proof" -- \
	ok_if sh -c "test -L '$WORK/link.tlog-proof' && cmp -s '$WORK/p.tlog-proof' '$WORK/archived.tlog-proof'"
ln -s nothing.tlog-proof "$WORK/dangling.tlog-proof"
expect 1 '^sumdb prove: .*/dangling\.tlog-proof: following its symbolic link: No such file or directory$' \
	"prove --out a link to nothing: exit 1, saying so" -- \
	"$SUMDB" prove --out "$WORK/dangling.tlog-proof" --url "$U" "$VKEY" example.com/m300@v1.0.0
expect 0 '^yes$' "... and the link is left as it was" -- \
	ok_if sh -c "test -L '$WORK/dangling.tlog-proof' && test ! -e '$WORK/nothing.tlog-proof'"
# a proof made again in place of one the team reads keeps its mode,
# whatever the umask of the run that replaces it
echo old >"$WORK/shared.tlog-proof"
chmod 644 "$WORK/shared.tlog-proof"
expect 0 'proof written to' "prove --out over a file of mode 0644, under umask 077" -- \
	sh -c 'umask 077 && exec "$1" prove --out "$2" --url "$3" "$4" example.com/m300@v1.0.0' \
	sh "$SUMDB" "$WORK/shared.tlog-proof" "$U" "$VKEY"
expect 0 '^644$' "... which keeps its mode" -- stat -c %a "$WORK/shared.tlog-proof"
mkdir "$WORK/adir"
expect 1 '^sumdb prove: .*/adir: writing it: Is a directory$' "prove --out a directory: exit 1" -- \
	"$SUMDB" prove --out "$WORK/adir" --url "$U" "$VKEY" example.com/m300@v1.0.0
mkfifo "$WORK/fifo"
cat "$WORK/fifo" >"$WORK/fifo.got" &
fifo_reader=$!
expect 0 'proof written to .*/fifo$' "prove --out a FIFO: written" -- \
	"$SUMDB" prove --out "$WORK/fifo" --url "$U" "$VKEY" example.com/m300@v1.0.0
expect 0 '^yes$' "... it is still a FIFO" -- ok_if test -p "$WORK/fifo"
# (a reader left waiting on the FIFO is stopped, by its PID)
kill -TERM "$fifo_reader" 2>/dev/null
wait "$fifo_reader" 2>/dev/null
expect 0 '^yes$' "... and its reader read the proof" -- ok_if cmp -s "$WORK/p.tlog-proof" "$WORK/fifo.got"

# forgery twins, each exit 2 with what failed
python3 - "$WORK/p.tlog-proof" "$WORK" <<'PY'
import sys
p = open(sys.argv[1], "rb").read()
w = sys.argv[2]
lines = p.split(b"\n")
def put(name, data): open(w + "/" + name, "wb").write(data)
flip = bytearray(p); i = p.index(b"\n", p.index(b"index ")) + 5; flip[i] = ord("B") if flip[i] != ord("B") else ord("C"); put("flip", bytes(flip))
put("missing", b"\n".join(lines[:2] + lines[3:]))
put("extra", b"\n".join(lines[:3] + [lines[2]] + lines[3:]))
put("index", p.replace(b"index 300\n", b"index 301\n"))
put("trailing", p + b"x")
PY
for twin in flip missing extra index trailing; do
	expect 2 'INVALID' "verify-proof rejects the $twin twin" -- "$SUMDB" verify-proof --vkey "$VKEY" --record "$WORK/m300.rec" "$WORK/$twin"
done
expect 2 'INVALID: malformed note: no signature' "verify-proof: the trailing twin names the note's fault" -- \
	"$SUMDB" verify-proof --vkey "$VKEY" --record "$WORK/m300.rec" "$WORK/trailing"
cp "$WORK/out" "$WORK/trailing.out"
expect 0 '^yes$' "... saying malformed note once" -- ok_if sh -c "! grep -q 'malformed note: malformed note' '$WORK/trailing.out'"
# a record file that is not a go.sum record is a local input error (exit 1),
# not an invalid proof
head -c -1 "$WORK/m300.rec" >"$WORK/nonl.rec"
expect 1 'nonl.rec: not a go.sum record: .*no final newline' "verify-proof: the record without its final newline" -- "$SUMDB" verify-proof --vkey "$VKEY" --record "$WORK/nonl.rec" "$WORK/p.tlog-proof"
: >"$WORK/empty.rec"
expect 1 'empty.rec: not a go.sum record: it is empty' "verify-proof: an empty record file" -- "$SUMDB" verify-proof --vkey "$VKEY" --record "$WORK/empty.rec" "$WORK/p.tlog-proof"
sed 's/$/\r/' "$WORK/m300.rec" >"$WORK/crlf.rec"
expect 1 'crlf.rec: not a go.sum record: .*CRLF' "verify-proof: a record with CRLF line endings" -- "$SUMDB" verify-proof --vkey "$VKEY" --record "$WORK/crlf.rec" "$WORK/p.tlog-proof"
head -n 1 "$WORK/m300.rec" >"$WORK/one.rec"
{ printf '\357\273\277'; cat "$WORK/m300.rec"; } >"$WORK/bom.rec"
expect 1 'bom.rec: not a go.sum record: it starts with a byte order mark \(U\+FEFF.*remove it' \
	"verify-proof: a record starting with a byte order mark, named so" -- \
	"$SUMDB" verify-proof --vkey "$VKEY" --record "$WORK/bom.rec" "$WORK/p.tlog-proof"
sed 's/$/\r/' "$WORK/p.tlog-proof" >"$WORK/crlf.tlog-proof"
expect 2 'INVALID: malformed proof: tlog-proof: line 1: ends in a carriage return \(CRLF line endings\?\)' \
	"verify-proof: a proof with CRLF line endings, named so" -- \
	"$SUMDB" verify-proof --vkey "$VKEY" --record "$WORK/m300.rec" "$WORK/crlf.tlog-proof"
{ printf '\357\273\277'; cat "$WORK/p.tlog-proof"; } >"$WORK/bom.tlog-proof"
expect 2 'INVALID: malformed proof: tlog-proof: line 1: starts with a byte order mark \(U\+FEFF.*remove it' \
	"verify-proof: a proof starting with a byte order mark, named so" -- \
	"$SUMDB" verify-proof --vkey "$VKEY" --record "$WORK/m300.rec" "$WORK/bom.tlog-proof"
expect 1 'one.rec: not a go.sum record: record has one line' "verify-proof: a record of one line" -- "$SUMDB" verify-proof --vkey "$VKEY" --record "$WORK/one.rec" "$WORK/p.tlog-proof"
expect 0 '^exit 1 stdout \[\{"valid":null,"reason":"could-not-check","detail":".*one.rec: not a go.sum record: [^"]*"\}\]$' \
	"... and --json says valid null, could-not-check (no verification was done)" -- \
	sh -c "o=\$('$SUMDB' verify-proof --json --vkey '$VKEY' --record '$WORK/one.rec' '$WORK/p.tlog-proof' 2>/dev/null); echo \"exit \$? stdout [\$o]\""
expect 1 'cannot both be standard input' "verify-proof --record - -: usage error" -- \
	sh -c "'$SUMDB' verify-proof --vkey '$VKEY' --record - - <'$WORK/p.tlog-proof'"
"$SUMDB" lookup --url "$U" "$VKEY" example.com/m301@v1.0.0 >"$WORK/m301.rec"
expect 2 'INVALID: proof does not lead' "verify-proof: another record" -- "$SUMDB" verify-proof --vkey "$VKEY" --record "$WORK/m301.rec" "$WORK/p.tlog-proof"
cp "$WORK/out" "$WORK/vp2.out"
expect 0 'p.tlog-proof: example.com/m301@v1.0.0: INVALID: ' "... naming the module version of the record it was given" -- cat "$WORK/vp2.out"
expect 2 '^sumdb verify-proof: standard input: example.com/m301@v1.0.0: INVALID: ' \
	"... a proof read from standard input named so, as every message names it" -- \
	sh -c "'$SUMDB' verify-proof --vkey '$VKEY' --record '$WORK/m301.rec' - <'$WORK/p.tlog-proof'"
expect 2 '^\{"valid":false,"reason":"root-mismatch",.*,"module":"example.com/m301@v1.0.0"\}$' "... also with --json" -- \
	"$SUMDB" verify-proof --json --vkey "$VKEY" --record "$WORK/m301.rec" "$WORK/p.tlog-proof"
expect 2 'INVALID: note not signed by the key' "verify-proof: another key" -- "$SUMDB" verify-proof --vkey "$OKEY" --record "$WORK/m300.rec" "$WORK/p.tlog-proof"
expect 2 '"valid":false' "verify-proof --json on a twin" -- "$SUMDB" verify-proof --json --vkey "$VKEY" --record "$WORK/m300.rec" "$WORK/flip"
# --json reasons: the same tokens as verify-note's (doc/sumdb.1)
vp_json() { "$SUMDB" verify-proof --json --vkey "$1" --record "$WORK/$2" "$WORK/$3" 2>/dev/null; }
expect 2 '^\{"valid":false,"reason":"not-signed-by-key",' "--json reason: another key" -- vp_json "$OKEY" m300.rec p.tlog-proof
expect 2 '^\{"valid":false,"reason":"root-mismatch",' "--json reason: another record" -- vp_json "$VKEY" m301.rec p.tlog-proof
expect 2 '^\{"valid":false,"reason":"proof-length",' "--json reason: a hash missing" -- vp_json "$VKEY" m300.rec missing
expect 2 '^\{"valid":false,"reason":"malformed-note",' "--json reason: trailing bytes" -- vp_json "$VKEY" m300.rec trailing
sed 's/^index 300$/index 9999/' "$WORK/p.tlog-proof" >"$WORK/far"
expect 2 '^\{"valid":false,"reason":"index-not-in-tree",' "--json reason: an index past the tree" -- vp_json "$VKEY" m300.rec far
sed 's/^index 300$/index 0300/' "$WORK/p.tlog-proof" >"$WORK/zero"
expect 2 '^\{"valid":false,"reason":"malformed-proof",' "--json reason: a proof that does not parse" -- vp_json "$VKEY" m300.rec zero
expect 1 'verify-proof' "verify-proof of a missing file: exit 1" -- "$SUMDB" verify-proof --vkey "$VKEY" --record "$WORK/m300.rec" "$WORK/nonexistent"
# a proof file or its note over the size limit is not checked, whatever
# the size past the limit: exit 1 and valid null, as verify-note's
# oversized note
for pad in 10000 30000 100000; do
	{ cat "$WORK/p.tlog-proof"; head -c $((1000000 + pad)) /dev/zero | tr '\0' x; } >"$WORK/huge.tlog-proof"
	expect 0 '^exit 1 stdout \[\{"valid":null,"reason":"could-not-check","detail":"[^"]*huge.tlog-proof: (tlog-proof: the note is )?larger than [0-9]+ bytes"\}\]$' \
		"verify-proof of a proof $pad bytes past a 1 MB note: too large, not checked" -- \
		sh -c "o=\$('$SUMDB' verify-proof --json --vkey '$VKEY' --record '$WORK/m300.rec' '$WORK/huge.tlog-proof' 2>/dev/null); echo \"exit \$? stdout [\$o]\""
done
: >"$WORK/empty.tlog-proof"
expect 1 'no proof in .*empty.tlog-proof \(empty file\)$' "verify-proof of an empty file: exit 1" -- \
	"$SUMDB" verify-proof --vkey "$VKEY" --record "$WORK/m300.rec" "$WORK/empty.tlog-proof"
expect 1 'no proof on standard input \(empty input\)$' "verify-proof of empty standard input: exit 1" -- \
	sh -c "'$SUMDB' verify-proof --vkey '$VKEY' --record '$WORK/m300.rec' - </dev/null"

# check
head -n 20 "$WORK/g.sum" >"$WORK/ok.sum"
expect 0 '20 lines match the log, 0 mismatches' "check: a matching go.sum" -- "$SUMDB" check --url "$U" "$VKEY" "$WORK/ok.sum"
{ head -n 4 "$WORK/g.sum"; echo 'example.com/m2 v1.0.0/go.mod h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='; echo 'this is not a go.sum line'; echo 'example.com/new v1.2.3 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='; } >"$WORK/bad.sum"
expect 2 'bad.sum:5: MISMATCH example.com/m2 v1.0.0/go.mod' "check: a mismatch, exit 2, with its line" -- "$SUMDB" check --url "$U" "$VKEY" "$WORK/bad.sum"
cp "$WORK/out" "$WORK/check.out"
expect 0 'bad.sum:6: malformed line' "check: the malformed line, with its number" -- cat "$WORK/check.out"
expect 0 'bad.sum:7: example.com/new v1.2.3: not in the log' "check: the unknown version" -- cat "$WORK/check.out"
{ head -n 4 "$WORK/g.sum"; echo 'example.com/new v1.2.3 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='; } >"$WORK/unk.sum"
expect 1 'not in the log' "check: unknown versions alone: exit 1" -- "$SUMDB" check --url "$U" "$VKEY" "$WORK/unk.sum"
expect 2 '"finding":"mismatch"' "check --json" -- "$SUMDB" check --json --url "$U" "$VKEY" "$WORK/bad.sum"
cp "$WORK/out" "$WORK/check.json"
expect 0 '^\{"line":7,"finding":"not-found",' "check --json: a version the log does not know is not-found, as in lookup --json" -- cat "$WORK/check.json"
expect 0 '"mismatches":1,"verification_failed":0,"not_found":1,"malformed":1,"could_not_check":0\}$' \
	"check --json: the summary counts each finding once" -- cat "$WORK/check.json"
# findings come in the file's order, whatever order the lookups go in
{ echo 'example.com/zz v1.0.0 h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='; echo 'not a go.sum line'; echo 'example.com/m2 v1.0.0/go.mod h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='; } >"$WORK/order.sum"
expect 2 '^order.sum:3: MISMATCH' "check: a file with three findings" -- sh -c "cd '$WORK' && '$SUMDB' check --url '$U' '$VKEY' order.sum"
cp "$WORK/out" "$WORK/order.out"
expect 0 '^1 2 3 $' "check: the findings in line order" -- sh -c "sed -n 's/^order.sum:\([0-9]*\):.*/\1/p' '$WORK/order.out' | tr '\n' ' '"
expect 2 '"line":3' "check --json: the same three findings" -- "$SUMDB" check --json --url "$U" "$VKEY" "$WORK/order.sum"
cp "$WORK/out" "$WORK/order.out"
expect 0 '^1 2 3 $' "check --json: the findings in line order" -- sh -c "sed -n 's/^{\"line\":\([0-9]*\),.*/\1/p' '$WORK/order.out' | tr '\n' ' '"

# lines not checked (a hash algorithm but h1) are counted, and not passed
{ head -n 2 "$WORK/g.sum"; echo 'example.com/m3 v1.0.0 h2:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA='; } >"$WORK/h2.sum"
expect 1 '2 lines match the log, 0 mismatches, 0 failed verification, 0 not in the log, 0 malformed, 1 not checked' \
	"check: an h2 line is not checked, counted, exit 1" -- "$SUMDB" check --url "$U" "$VKEY" "$WORK/h2.sum"
expect 1 '"summary":true,"lines":3,' "check --json: lines counts the go.sum lines" -- \
	"$SUMDB" check --json --url "$U" "$VKEY" "$WORK/h2.sum"
# ... its go.sum lines: blank lines, and the empty go.mod's hash that the
# go command drops, are no go.sum lines, so lines is what the counts add up to
{ echo; head -n 2 "$WORK/g.sum"; printf ' \t\n'; echo 'example.com/m3 v1.0.0/go.mod h1:G7mAYYxgmS0lVkHyy2hEOLQCFB0DlQFTMLWggykrydY='; echo; echo 'not a go.sum line'; } >"$WORK/blank.sum"
expect 1 '^\{"summary":true,"lines":3,"matched":2,"mismatches":0,"verification_failed":0,"not_found":0,"malformed":1,"could_not_check":0\}$' \
	"check --json: blank lines and a dropped line are not counted in lines" -- \
	"$SUMDB" check --json --url "$U" "$VKEY" "$WORK/blank.sum"
cp "$WORK/out" "$WORK/blank.json"
expect 0 '^\{"line":7,"finding":"malformed",' "... and the findings keep the file's line numbers" -- cat "$WORK/blank.json"
# a log that stopped answering is not asked about every remaining version
proxy_set "upstream $A_URL" "down"
head -n 16 "$WORK/g.sum" >"$WORK/down.sum"
: >"$WORK/proxy.ctl.log"
expect 1 'not checked, the log did not answer the last 3 lookups' "check: the log down: gives up after 3 lookups" -- \
	"$SUMDB" check --url "$U" "$VKEY" "$WORK/down.sum"
expect 0 '^3$' "... having asked about 3 module versions of 8" -- \
	sh -c "grep -o 'lookup/[^@]*@' '$WORK/proxy.ctl.log' | sort -u | wc -l"
proxy_set "upstream $A_URL"

# --full on data tiles in the x/mod 0.7.0 form: says what is wrong
proxy_set "upstream $A_URL" "xmod07-data"
expect 1 'x/mod v0.7.0 form' "audit --full on x/mod 0.7.0 data tiles: named, exit 1" -- "$SUMDB" audit --full --state "$WORK/st" --url "$U" "$VKEY"

# A query or a fragment would have the log's paths appended to it, and
# every module would be "not found": refused, saying why.
for u in "$A_URL/?token=1" "$A_URL#top"; do
	expect 1 "^sumdb lookup: --url .*: a URL with a query \(\?\) or a fragment \(#\) cannot be followed by the log's paths" \
		"lookup refuses --url $u" -- "$SUMDB" lookup --url "$u" "$VKEY" example.com/m7@v1.0.0
done
# credentials in --url (a proxy behind basic auth) are used, and never
# shown: not in messages, not in --json, whatever failed
CU="http://someone:s3cr3tpw@${U#http://}"
expect 0 '^example.com/m7 v1.0.0 h1:' "lookup with credentials in --url" -- "$SUMDB" lookup --url "$CU" "$VKEY" example.com/m7@v1.0.0
for c in "lookup --url $CU $VKEY example.com/m7@v1.9.9" "lookup --json --url http://someone:s3cr3tpw@127.0.0.1:1 $VKEY example.com/m7@v1.0.0" \
    "prove --json --out $WORK/cred.tlog-proof --url $CU $VKEY example.com/m7@v1.9.9" "check --json --url http://someone:s3cr3tpw@127.0.0.1:1 $VKEY $WORK/m300.sum"; do
	expect 1 'http://xxxxx@127\.0\.0\.1:' "${c%% *}: the URL shown without its credentials" -- sh -c "'$SUMDB' $c"
	cp "$WORK/out" "$WORK/cred.out"
	expect 0 '^yes$' "... and never the password" -- ok_if sh -c "! grep -q s3cr3tpw '$WORK/cred.out'"
done
# a token as the user name alone, holding a '/' percent-encoded: used
# (the log answers), and never shown, neither as typed nor decoded
TU="http://t0ken%2Fs3cr3t@${U#http://}"
expect 0 '^example.com/m7 v1.0.0 h1:' "lookup with a user-name token holding %2F in --url" -- \
	"$SUMDB" lookup --url "$TU" "$VKEY" example.com/m7@v1.0.0
for c in "lookup --json --url $TU $VKEY example.com/m7@v1.9.9" \
    "audit --json --state $WORK/tok.state --url $TU/nolog $VKEY"; do
	expect 1 'http://xxxxx@127\.0\.0\.1:[0-9]+/' "${c%% *}: the URL shown as xxxxx@" -- sh -c "'$SUMDB' $c"
	cp "$WORK/out" "$WORK/cred.out"
	expect 0 '^yes$' "... and never the token" -- ok_if sh -c "! grep -q 't0ken\|s3cr3t' '$WORK/cred.out'"
done
# a password (a token) holding '/', '?', '#' or '@' as it is: refused
# before anything is fetched, saying to percent-encode it, and never
# shown, not even the part before the character that cut it short
for pw in 's3cr/3tpw' 's3cr?3tpw' 's3cr#3tpw' 's3cr@3tpw'; do
	expect 1 '^sumdb lookup: --url .*: its host and port .* do not parse: a user name or password holding .* must be percent-encoded' \
		"lookup --url with '$(printf %s "$pw" | tr -d 's3crtpw')' in the password: refused, saying why" -- \
		"$SUMDB" lookup --url "http://someone:$pw@${U#http://}" "$VKEY" example.com/m7@v1.0.0
	cp "$WORK/out" "$WORK/cred.out"
	expect 0 '^yes$' "... and never the password" -- ok_if sh -c "! grep -q s3cr '$WORK/cred.out'"
done
# ... a '/' after digits, where what precedes it parses as a host and a
# port: refused all the same, never tried nor shown
expect 1 "^sumdb lookup: --url \(the URL given\): an '@' after its host and port: a user name or password holding .* must be percent-encoded" \
	"lookup --url with a password of digits, '/' and more: refused, saying why" -- \
	"$SUMDB" lookup --url "http://someone:1234/s3cr3tpw@${U#http://}" "$VKEY" example.com/m7@v1.0.0
cp "$WORK/out" "$WORK/cred.out"
expect 0 '^yes$' "... and never the password" -- ok_if sh -c "! grep -q s3cr '$WORK/cred.out'"
# a key argument that is not a verifier key says what it is
expect 1 'a GOSUMDB value \(KEY URL\), not a verifier key: give the key alone, and the URL, where needed, with --url$' \
	"lookup with a pasted GOSUMDB value" -- "$SUMDB" lookup "$VKEY $U" example.com/m7@v1.0.0
SKEY=$(head -n 1 "$WORK/a.db.key")
expect 1 'this is a signer \(private\) key; give its verifier key$' "lookup with the signer key" -- \
	"$SUMDB" lookup --url "$U" "$SKEY" example.com/m7@v1.0.0
cp "$WORK/out" "$WORK/skey.out"
# the key's base64 part, whole: it may hold '+' itself, and the part
# after its last '+' is as short as one letter, or empty
expect 0 '^yes$' "... which is not echoed" -- ok_if sh -c "! grep -qF '${SKEY#PRIVATE+KEY+*+*+}' '$WORK/skey.out'"

# a failed write of the result is an error, not success (exit 2 stays 2)
if [ -w /dev/full ]; then
	for c in "lookup --url $U $VKEY example.com/m7@v1.0.0" "audit --state $WORK/st --url $U $VKEY" \
	    "prove --url $U $VKEY example.com/m7@v1.0.0" "check --url $U $VKEY $WORK/ok.sum" \
	    "verify-proof --vkey $VKEY --record $WORK/m300.rec $WORK/p.tlog-proof"; do
		expect 1 "^sumdb ${c%% *}: writing standard output: " "${c%% *} >/dev/full: exit 1" -- \
			sh -c "'$SUMDB' $c >/dev/full"
	done
	expect 2 "^sumdb verify-proof: writing standard output: " "verify-proof --json of a twin >/dev/full: exit 2" -- \
		sh -c "'$SUMDB' verify-proof --json --vkey '$VKEY' --record '$WORK/m300.rec' '$WORK/flip' >/dev/full"
fi

# A file:// URL reads a copy of the log in a directory (the log's paths as
# files there): a mirror made while the log was up is audited, looked up
# and proved from offline; a file that is not there is the log's 404.
python3 - "$A_URL" "$WORK/mirror" <<'PY'
import os, sys, urllib.request
base, out = sys.argv[1:3]
def get(path):
    body = urllib.request.urlopen(base + "/" + path).read()
    os.makedirs(os.path.dirname(os.path.join(out, path)), exist_ok=True)
    open(os.path.join(out, path), "wb").write(body)
    return body
def nnn(n):
    s = "%03d" % (n % 1000)
    while n >= 1000:
        n //= 1000
        s = "x%03d/" % (n % 1000) + s
    return s
size = int(get("latest").decode().split("\n")[1])
for level in ("data", 0, 1, 2):
    w = size // 256 ** (0 if level == "data" else level)   # hashes at that level
    for n in range((w + 255) // 256):
        part = "" if (n + 1) * 256 <= w else ".p/%d" % (w - n * 256)
        get("tile/8/%s/%s%s" % (level, nnn(n), part))
get("lookup/example.com/m300@v1.0.0")
PY
F="file://$WORK/mirror"
"$SUMDB" prove --url "$A_URL" "$VKEY" example.com/m300@v1.0.0 >"$WORK/online.tlog-proof"
expect 0 '^first run: trusting the tree' "file:// URL: audit of a copy of the log in a directory" -- \
	"$SUMDB" audit --state "$WORK/file.state" --url "$F" "$VKEY"
expect 0 '^full audit: .*every record hashes to the signed root' "... audit --full" -- \
	"$SUMDB" audit --full --state "$WORK/file.state" --url "$F" "$VKEY"
expect 0 '^yes$' "... lookup" -- ok_if sh -c "'$SUMDB' lookup --url '$F' '$VKEY' example.com/m300@v1.0.0 |
    cmp - '$WORK/m300.rec'"
expect 0 '^yes$' "... prove, the same proof as from the log" -- ok_if sh -c "'$SUMDB' prove --url '$F' \
    '$VKEY' example.com/m300@v1.0.0 | cmp - '$WORK/online.tlog-proof'"
expect 1 'not found in the log: file://.*/mirror/lookup/example.com/m301@v1.0.0' \
	"... a lookup the copy does not hold: not found, exit 1, naming the file" -- \
	"$SUMDB" lookup --url "$F" "$VKEY" example.com/m301@v1.0.0
rm "$WORK/mirror/tile/8/1/000.p/2"
expect 1 'could not check: .*tile/8/1/000.p/2.*nothing was stored' "... a tile the copy does not hold: could not check, exit 1" -- \
	"$SUMDB" audit --state "$WORK/file2.state" --url "$F" "$VKEY"

# usage and help
for c in audit lookup prove verify-proof check; do
	expect 0 "^usage: sumdb $c" "$c --help" -- "$SUMDB" $c --help
	expect 1 "usage: sumdb $c" "$c without arguments: usage, exit 1" -- "$SUMDB" $c
	expect 1 "^sumdb $c: unrecognized option '--bogus'" "$c names itself in getopt's messages" -- \
		"$SUMDB" $c --bogus
	# the message first, then the usage lines and where the options
	# are, not the whole help
	"$SUMDB" $c >"$WORK/usage.out" 2>&1
	expect 0 "^sumdb $c: (want|--vkey is required)" "$c without arguments: the message comes first" -- \
		sed -n 1p "$WORK/usage.out"
	expect 0 "^Run 'sumdb $c --help' for its options\.$" "... then where the options are" -- \
		sed -n '$p' "$WORK/usage.out"
	expect 0 '^yes$' "... and it is short" -- ok_if test "$(wc -l <"$WORK/usage.out")" -le 4
done
sumdbd_stop A
e2e_done
