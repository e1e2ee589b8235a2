#!/bin/sh
# sumdbd's commands say what they read (file names, go.sum lines, record
# texts and paths from a database that may have been altered, an
# argument echoed back) in lines that are safe for a terminal and a log:
# each byte that is not printable ASCII is written as '?', so that an
# escape sequence never reaches the terminal and a newline or carriage
# return never forges a second line.
. "$top_srcdir/tests/e2e/lib.sh"
DB="$WORK/s.db"
ESC=$(printf '\033')
BEL=$(printf '\007')
CR=$(printf '\r')
NL='
'

# no_esc FILE: "yes" when FILE holds no ESC byte.
no_esc() { LC_ALL=C grep -q "$ESC" "$1" || echo yes; }

"$SUMDBD" init --db "$DB" --name sum.test.example >/dev/null

# add: the name of an input file and the go.sum line it holds
bad="$WORK/in${NL}sumdbd add: forged${ESC}[2J.sum"
printf 'example.com/m v1.0.0 h1:x y\n' >"$bad"
"$SUMDBD" add --db "$DB" "$bad" 2>"$WORK/err"
expect 0 '^yes$' "add: a file name with a newline and ESC gives one printable line" -- \
	printable "$WORK/err" 1
expect 0 "^sumdbd add: $WORK/in\?sumdbd add: forged\?\[2J\.sum: go\.sum line 1: wrong number of fields 4" \
	"... naming the file with '?' for each of those bytes" -- cat "$WORK/err"
"$SUMDBD" add --db "$DB" "$WORK/none${CR}${ESC}]0;x${BEL}.sum" 2>"$WORK/err"
expect 0 '^yes$' "add: a file that is not there, named with CR, ESC and BEL: one printable line" -- \
	printable "$WORK/err" 1
expect 0 "^sumdbd add: $WORK/none\?\?\]0;x\?\.sum: No such file or directory$" \
	"... saying it is not there" -- cat "$WORK/err"

# add: a conflict with a record whose text was altered in the database
gosum_lines 0 1 >"$WORK/a.sum"
gosum_lines 0 1 other >"$WORK/b.sum"
"$SUMDBD" add --db "$DB" "$WORK/a.sum" >/dev/null
sqlite3 "$DB" "UPDATE records SET text = replace(text, 'v1.0.0/go.mod',
    'v1.0.0/go.mod' || char(27) || '[2J' || char(13) || char(10) || 'forged')"
"$SUMDBD" add --db "$DB" "$WORK/b.sum" 2>"$WORK/err"
expect 0 '^yes$' "add: a conflict with an altered record text: printable lines, one per line of it" -- \
	printable "$WORK/err" 7
expect 0 '^  log:   example\.com/m0 v1\.0\.0/go\.mod\?\[2J\?$' \
	"... the escape and carriage return shown as '?'" -- cat "$WORK/err"
expect 0 '^  log:   forged h1:' "... and the line after the newline as a line of the record" -- \
	cat "$WORK/err"

# fsck: a record's path and version altered to hold an escape sequence,
# a bell and a newline
sqlite3 "$DB" "UPDATE records SET path = 'example.com/m0' || char(27) || ']0;pwned' || char(7),
    version = 'v1.0.0' || char(10) || 'sumdbd fsck: clean'"
"$SUMDBD" fsck --db "$DB" 2>"$WORK/err" >"$WORK/out"
expect 0 '^yes$' "fsck: problems of an altered record are printable lines" -- printable "$WORK/err" 3
expect 0 '^sumdbd fsck: record 0 \(example\.com/m0\?\]0;pwned\? v1\.0\.0\?sumdbd fsck: clean\): not a valid record' \
	"... naming the record with '?' for each of those bytes" -- cat "$WORK/err"

# fsck: a record's path altered to one longer than any line buffer: the
# line says it whole, up to what the record's text holds instead
DB2="$WORK/long.db"
"$SUMDBD" init --db "$DB2" --name sum.test.example >/dev/null
"$SUMDBD" add --db "$DB2" "$WORK/a.sum" >/dev/null
sqlite3 "$DB2" "UPDATE records SET path = 'example.com/' || replace(hex(zeroblob(3000)), '0', 'l')"
"$SUMDBD" fsck --db "$DB2" 2>"$WORK/err" >"$WORK/out"
expect 0 '^yes$' "fsck: a record with a path of 6000 bytes is one printable line" -- printable "$WORK/err" 1
expect 0 '^sumdbd fsck: record 0 \(example\.com/l{6000} v1\.0\.0\): its text is the record of example\.com/m0 v1\.0\.0$' \
	"... naming the path whole, and what the record's text holds" -- cat "$WORK/err"

# keygen and init: a NAME with control bytes is no log name, and is
# echoed back printable
"$SUMDBD" keygen "k.example${ESC}[31m${NL}x" >"$WORK/out" 2>"$WORK/err"
expect 0 '^yes$' "keygen: a NAME with ESC and a newline is refused in one printable line" -- \
	printable "$WORK/err" 1
expect 0 '^sumdbd keygen: k\.example\?\[31m\?x: not a valid log name' "... saying it is not a log name" -- \
	cat "$WORK/err"
expect 0 '^0$' "... and printing no key" -- sh -c "wc -c <'$WORK/out'"
"$SUMDBD" init --db "$WORK/n.db" --name "n.example${CR}${ESC}[2K" 2>"$WORK/err"
expect 0 '^yes$' "init: a --name with CR and ESC is refused in one printable line" -- \
	printable "$WORK/err" 1
expect 0 '^sumdbd init: --name n\.example\?\?\[2K: not a valid log name' "... echoing it printable" -- \
	cat "$WORK/err"

# the shared command line: an unknown command, an argument too many
"$SUMDBD" "x${ESC}[2J${NL}y" 2>"$WORK/err"
expect 0 "^sumdbd: unknown command 'x\?\[2J\?y'$" "an unknown command is echoed printable" -- \
	cat "$WORK/err"
expect 0 '^yes$' "... with no escape byte anywhere" -- no_esc "$WORK/err"
"$SUMDBD" fsck --db "$DB" "a${ESC}[2J${NL}b" 2>"$WORK/err"
expect 0 "^sumdbd fsck: unexpected argument 'a\?\[2J\?b'$" "an argument too many is echoed printable" -- \
	cat "$WORK/err"
expect 0 '^yes$' "... with no escape byte anywhere" -- no_esc "$WORK/err"

# options getopt does not know, named as given: printable too
"$SUMDBD" init "--x${ESC}[2J${NL}y" 2>"$WORK/err"
expect 0 "^sumdbd init: unrecognized option '--x\?\[2J\?y'$" "an unknown option is echoed printable" -- \
	cat "$WORK/err"
expect 0 '^yes$' "... with no escape byte anywhere" -- no_esc "$WORK/err"
"$SUMDBD" fsck "-${ESC}" 2>"$WORK/err"
expect 0 "^sumdbd fsck: invalid option -- '\?'$" "an unknown short option is echoed printable" -- \
	cat "$WORK/err"
expect 0 '^yes$' "... with no escape byte anywhere" -- no_esc "$WORK/err"

# status: a path it names, and the evidence of a public log's misbehavior
# (kept byte for byte: a signed note may hold what a terminal obeys, ESC
# in the record, U+009B (a C1 control, CSI to some terminals) in the note)
"$SUMDBD" status --db "$DB" --checkpoint "$WORK/cp${ESC}[2J${NL}x" >"$WORK/st.out" 2>&1
expect 0 "^checkpoint: $WORK/cp\?\[2J\?x: " "status: a path with ESC and a newline, named printable" -- \
	cat "$WORK/st.out"
expect 0 '^yes$' "... with no escape byte anywhere" -- no_esc "$WORK/st.out"
C1=$(printf '\302\233')
sqlite3 "$DB" "INSERT INTO config(key, value) VALUES ('public_evidence_count', '1'),
    ('public_evidence.0', 'a fork: ${ESC}[2J and ${C1}31m, an em dash $(printf '\342\200\224') kept
')"
"$SUMDBD" status --db "$DB" >"$WORK/st.pipe" 2>&1
expect 0 '^yes$' "status to a pipe: the evidence as it is stored" -- \
	ok_if grep -q "a fork: ${ESC}\[2J and ${C1}31m" "$WORK/st.pipe"
script -qec "'$SUMDBD' status --db '$DB'" /dev/null >"$WORK/st.tty" 2>&1
expect 0 '^yes$' "status to a terminal: ESC and the C1 control written as '?', the em dash kept" -- \
	ok_if sh -c "grep -q 'a fork: ?\[2J and ??31m, an em dash $(printf '\342\200\224') kept' '$WORK/st.tty' &&
	    ! grep -q '$ESC' '$WORK/st.tty' && ! grep -q '$C1' '$WORK/st.tty'"

e2e_done
