#!/bin/sh
# sumdb check on go.sum files as real repositories have them, against a
# real sumdbd (behind tests/e2e/sumdb_proxy.py, which logs the paths
# asked for): CRLF line endings, no final newline, blank and duplicate
# lines, lines of one version in any order, go.mod-only entries,
# +incompatible, pseudo-versions, upper-case paths (escaped in lookups),
# gopkg.in, a go.sum of thousands of lines, several files at once (every
# finding names its file and line), go.work.sum, standard input, a
# directory, a file that is not a go.sum; and --private, whose modules
# the log never hears of, matched as the go command matches GONOSUMDB.
. "$top_srcdir/tests/e2e/lib.sh"
trap 'sumdbd_stop A; proxy_stop; rm -rf "$WORK"' EXIT
NAME=localhost.localdev/sumdb
Z=h1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=

expect 0 'verifier key: ' "init" -- "$SUMDBD" init --db "$WORK/a.db" --name "$NAME"
VKEY=$(sed -n 's/^verifier key: //p' "$WORK/out")
# real-world shapes, then 3000 more module versions
python3 - >"$WORK/real.sum" <<'PY'
import base64, hashlib
h = lambda s: "h1:" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()
for p, v in [("github.com/Azure/go-autorest", "v14.2.0+incompatible"),
             ("github.com/BurntSushi/toml", "v1.2.1"),
             ("gopkg.in/yaml.v2", "v2.4.0"),
             ("gopkg.in/check.v1", "v0.0.0-20161208181325-20d25e280405"),
             ("golang.org/x/sys", "v0.0.0-20220722155257-8c9f86f7a55f"),
             ("github.com/google/uuid", "v1.3.1-0.20220101000000-abcdefabcdef"),
             ("k8s.io/klog/v2", "v2.80.1")]:
    print(p, v, h("zip" + p + v))
    print(p, v + "/go.mod", h("mod" + p + v))
PY
gosum_lines 0 3000 >"$WORK/big.sum"
cat "$WORK/real.sum" "$WORK/big.sum" >"$WORK/all.sum"
expect 0 'tree size 3007' "3007 records" -- "$SUMDBD" add --db "$WORK/a.db" "$WORK/all.sum"
sumdbd_start A "$WORK/a.db"
proxy_start
proxy_set "upstream $A_URL"
U=$PROXY_URL
chk() { "$SUMDB" check --url "$U" "$VKEY" "$@"; }

expect 0 'real.sum: 14 lines match the log, 0 mismatches' "the real-world shapes match" -- chk "$WORK/real.sum"
sed 's/$/\r/' "$WORK/real.sum" >"$WORK/crlf.sum"
expect 0 'crlf.sum: 14 lines match the log, 0 mismatches, 0 failed verification, 0 not in the log, 0 malformed' \
	"CRLF line endings" -- chk "$WORK/crlf.sum"
# a byte order mark (as some editors write UTF-8): named as what it is
{ printf '\357\273\277'; cat "$WORK/real.sum"; } >"$WORK/bom.sum"
expect 1 '^.*bom.sum:1: malformed line: the file starts with a byte order mark \(U\+FEFF, bytes EF BB BF\).*: remove it' \
	"a byte order mark: the first line is malformed, saying why" -- chk "$WORK/bom.sum"
cp "$WORK/out" "$WORK/bom.out"
expect 0 'bom.sum: 13 lines match the log, 0 mismatches, 0 failed verification, 0 not in the log, 1 malformed' \
	"... and the other lines are checked" -- cat "$WORK/bom.out"
printf '%s' "$(cat "$WORK/real.sum")" >"$WORK/nonl.sum"
expect 0 'nonl.sum: 14 lines match the log' "no final newline" -- chk "$WORK/nonl.sum"
{ echo; sed -n 1,4p "$WORK/real.sum"; printf '\n \t\n'; sed -n 1,4p "$WORK/real.sum"; } >"$WORK/dup.sum"
expect 0 'dup.sum: 8 lines match the log' "blank and duplicate lines" -- chk "$WORK/dup.sum"
grep '/go.mod ' "$WORK/real.sum" | sort -r >"$WORK/gomod.sum"
expect 0 'gomod.sum: 7 lines match the log' "go.mod-only entries, in another order" -- chk "$WORK/gomod.sum"
expect 0 'lookup/github.com/!azure/go-autorest@v14.2.0\+incompatible' "... an upper-case path looked up escaped" -- \
	cat "$WORK/proxy.ctl.log"
expect 0 '^-: 14 lines match the log' "standard input" -- sh -c "'$SUMDB' check --url '$U' '$VKEY' - <'$WORK/real.sum'"

# a go.sum of 6000 lines with two mismatches: both named, with their lines
awk 'NR == 4001 || NR == 6000 { $3 = "'"$Z"'" } { print }' "$WORK/big.sum" >"$WORK/big2.sum"
expect 2 'big2.sum: 5998 lines match the log, 2 mismatches' "a go.sum of 6000 lines" -- chk "$WORK/big2.sum"
cp "$WORK/out" "$WORK/big2.out"
expect 0 '^4001 6000 $' "... each mismatch named with its line" -- \
	sh -c "sed -n 's/^.*big2.sum:\([0-9]*\): MISMATCH.*/\1/p' '$WORK/big2.out' | tr '\n' ' '"

# several files: each finding under its own file, a summary for each
{ sed -n 1,4p "$WORK/real.sum"; echo "example.com/gone v1.0.0 $Z"; } >"$WORK/a.sum"
{ echo "example.com/gone v1.0.0/go.mod $Z"; echo "github.com/BurntSushi/toml v1.2.1/go.mod $Z"; \
	sed -n 5,6p "$WORK/real.sum"; } >"$WORK/b.sum"
sed -n 7,8p "$WORK/real.sum" >"$WORK/go.work.sum"
expect 2 '^b.sum:2: MISMATCH github.com/BurntSushi/toml v1.2.1/go.mod' "several files at once: the mismatch under its file" -- \
	sh -c "cd '$WORK' && '$SUMDB' check --url '$U' '$VKEY' a.sum b.sum go.work.sum"
cp "$WORK/out" "$WORK/multi.out"
expect 0 '^a.sum:5: example.com/gone v1.0.0: not in the log$' "... an unknown version in one file" -- cat "$WORK/multi.out"
expect 0 '^b.sum:1: example.com/gone v1.0.0: not in the log$' "... and in the other, each told" -- cat "$WORK/multi.out"
expect 0 '^go.work.sum: 2 lines match the log, 0 mismatches' "... go.work.sum, with its own summary" -- cat "$WORK/multi.out"
expect 0 '^a.sum: 4 lines match the log, 0 mismatches, 0 failed verification, 1 not in the log' \
	"... the counts of each file" -- cat "$WORK/multi.out"
expect 2 '"file":"b.sum"\}$' "... --json names the file of each finding" -- \
	sh -c "cd '$WORK' && '$SUMDB' check --json --url '$U' '$VKEY' a.sum b.sum go.work.sum"
expect 2 '^\{"summary":true,"lines":11,"matched":8,"mismatches":1,' "... and one summary of every file" -- \
	sh -c "cd '$WORK' && '$SUMDB' check --json --url '$U' '$VKEY' a.sum b.sum go.work.sum"
expect 2 '^-:2: MISMATCH' "... standard input among them" -- \
	sh -c "cd '$WORK' && '$SUMDB' check --url '$U' '$VKEY' a.sum - <b.sum"
expect 1 'more than once' "standard input twice: refused" -- chk - -

# a log that stops answering: every file with versions not checked is
# told so, also one whose versions all come after the one given up at
sed -n '1,4p;7,10p' "$WORK/real.sum" >"$WORK/x.sum"
sed -n 13,14p "$WORK/real.sum" >"$WORK/y.sum"
proxy_set "down"
expect 1 '^x.sum:5: gopkg.in/check.v1 [^ ]* and the 0 go.sum lines after its own: not checked, the log did not answer the last 3 lookups' \
	"the log down: given up, in the file of the version given up at" -- \
	sh -c "cd '$WORK' && '$SUMDB' check --url '$U' '$VKEY' x.sum y.sum"
cp "$WORK/out" "$WORK/down.out"
expect 0 '^y.sum:1: k8s.io/klog/v2 v2.80.1 and the 0 go.sum lines after its own: not checked, the log did not answer' \
	"... and in the file whose versions all come after it" -- cat "$WORK/down.out"
expect 0 '^y.sum: 0 lines match the log, .*, 2 not checked$' "... which counts them" -- cat "$WORK/down.out"
proxy_set "upstream $A_URL"

# not go.sum files: refused or malformed, never a pass
expect 1 'Is a directory' "a directory: could not check" -- chk "$WORK"
expect 1 'Is a directory' "... among other files too" -- chk "$WORK/a.sum" "$WORK"
printf 'module example.com/x\n\ngo 1.19\n\nrequire example.com/y v1.0.0\n' >"$WORK/go.mod"
expect 1 'go.mod: 0 lines match the log, 0 mismatches, 0 failed verification, 0 not in the log, 3 malformed' \
	"a go.mod given as a go.sum: its lines are malformed" -- chk "$WORK/go.mod"

# --private: lines of matching modules are not looked up (the log never
# hears of them), as GONOSUMDB; an empty list (GONOSUMDB unset) is none
{ sed -n 1,2p "$WORK/real.sum"; echo "corp.example.com/secret v1.0.0 $Z"; \
	echo "git.corp.example.com/team/tool/v2 v2.0.0/go.mod $Z"; } >"$WORK/priv.sum"
: >"$WORK/proxy.ctl.log"
expect 0 'priv.sum: 2 lines match the log, 0 mismatches, 0 failed verification, 0 not in the log, 0 malformed, 0 not checked, 2 private$' \
	"--private: matching modules are private, exit 0" -- \
	chk --private 'corp.example.com,*.corp.example.com/team' "$WORK/priv.sum"
expect 0 '^none$' "... and never sent to the log" -- \
	sh -c "grep 'corp.example' '$WORK/proxy.ctl.log' || echo none"
# "lines" is the sum of the other counts, private lines included
expect 0 '^\{"summary":true,"lines":4,"matched":2,.*"not_found":0,"malformed":0,"could_not_check":0,"private":2\}$' \
	"--private --json counts them, among the lines" -- \
	"$SUMDB" check --json --private 'corp.example.com,*.corp.example.com/team' --url "$U" "$VKEY" "$WORK/priv.sum"
expect 1 'git.corp.example.com/team/tool/v2 v2.0.0: not in the log' \
	"--private matches path elements as Go does: corp.example.com is not git.corp.example.com" -- \
	chk --private 'corp.example.com' "$WORK/priv.sum"
expect 1 'priv.sum: 2 lines match the log, 0 mismatches, 0 failed verification, 2 not in the log' \
	"--private '' (GONOSUMDB unset): nothing private" -- chk --private '' "$WORK/priv.sum"
expect 1 "--private: a\\[: malformed pattern" "--private with a malformed pattern: refused" -- \
	chk --private 'corp.example.com,a[' "$WORK/priv.sum"
e2e_done
