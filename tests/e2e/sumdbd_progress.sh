#!/bin/sh
# sumdbd add and fsck show a progress line on standard error when it is
# a terminal (here script(1)'s pseudo-terminal), stage by stage, and
# nothing but what they always printed otherwise: scripts and journald
# must see the same bytes as before.
. "$top_srcdir/tests/e2e/lib.sh"
if ! command -v script >/dev/null 2>&1; then
	echo "SKIP: no script(1) (util-linux) to run under a terminal"
	exit 77
fi
DB="$WORK/p.db"
"$SUMDBD" init --db "$DB" --name sum.test.example >/dev/null
gosum_lines 0 3000 >"$WORK/a.sum"
gosum_lines 3000 6000 >"$WORK/b.sum"
"$SUMDBD" init --db "$WORK/q.db" --name sum.test.example >/dev/null

# on_tty OUT CMD: runs the shell command CMD with standard error on a
# terminal and standard output in OUT; the terminal's bytes on stdout and
# in $WORK/tty; the status is that of the copy, not of CMD.
on_tty() {
	script -qec "$2 >'$1'" /dev/null | tee "$WORK/tty"
}

# Without a terminal: exactly what add and fsck always printed.
expect 0 "^ok$" "add without a terminal: its one line on stdout, nothing on stderr" -- \
	sh -c "'$SUMDBD' add --db '$WORK/q.db' '$WORK/a.sum' >'$WORK/o' 2>'$WORK/e' &&
	    printf 'added 3000, already present 0 (module versions); tree size 3000\n' | cmp - '$WORK/o' &&
	    cmp /dev/null '$WORK/e' && echo ok"
expect 0 "^ok$" "fsck without a terminal: its one line on stdout, nothing on stderr" -- \
	sh -c "'$SUMDBD' fsck --db '$WORK/q.db' >'$WORK/o' 2>'$WORK/e' &&
	    printf 'checked 3000 records, 13 tiles, 2 signed trees: clean\n' | cmp - '$WORK/o' &&
	    cmp /dev/null '$WORK/e' && echo ok"

# On a terminal: one line per stage, each ended, on stderr; stdout as ever.
expect 0 "read 0/0 MiB \(100\.0%\) .* MiB/s  ETA 0:00" "add on a terminal: the reading's progress" -- \
	on_tty "$WORK/o" "'$SUMDBD' add --db '$DB' '$WORK/a.sum' - <'$WORK/b.sum'"
expect 0 "looked up 6000/6000 records \(100\.0%\) .* records/s  ETA 0:00" "... the lookups'" -- \
	cat "$WORK/tty"
expect 0 "wrote 6000/6000 records \(100\.0%\) .* records/s  ETA 0:00" "... the writing's" -- \
	cat "$WORK/tty"
expect 0 "^ok$" "... each stage on a line of its own, and stdout as without a terminal" -- \
	sh -c "test \"\$(grep -c 'records/s' '$WORK/tty')\" -eq 2 &&
	    printf 'added 6000, already present 0 (module versions); tree size 6000\n' | cmp - '$WORK/o' &&
	    echo ok"
expect 0 "  verified 2/2 notes \(100\.0%\) .* notes/s  ETA 0:00" "fsck on a terminal: the notes' progress" -- \
	on_tty "$WORK/o" "'$SUMDBD' fsck --db '$DB'"
expect 0 "  verified 1/2 notes \(50\.0%\) " "... drawn while the notes are verified, not only at their end" -- \
	cat "$WORK/tty"
expect 0 "  checked 6000/6000 records \(100\.0%\) .* records/s  ETA 0:00" "... the records'" -- \
	cat "$WORK/tty"
expect 0 "^ok$" "... each stage on a line of its own" -- \
	sh -c "test \"\$(grep -c '/s  ETA' '$WORK/tty')\" -eq 2 && echo ok"
expect 0 "^checked 6000 records, 25 tiles, 2 signed trees: clean$" "... and its report on stdout" -- \
	cat "$WORK/o"
expect 0 "^ 0a$" "... its line ended" -- sh -c "tail -c 1 '$WORK/tty' | od -An -tx1"
# A problem found after the line was drawn goes on a line of its own.
python3 -c "import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute(\"UPDATE records SET text = replace(text, 'h1:', 'h1:x') WHERE id = 5000\")
db.commit()" "$DB"
expect 0 "^sumdbd fsck: record 5000 " "fsck on a terminal: a problem on a line of its own" -- \
	on_tty "$WORK/o" "'$SUMDBD' fsck --db '$DB'"
e2e_done
