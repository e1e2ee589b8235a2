#!/bin/sh
# Differential test of signed notes, note keys and tree notes against
# x/mod (tests/oracle/note.go, tests/diff/diff_note.c): both directions for
# each kind, corrupted inputs included, verdicts compared by error class.
. "$top_srcdir/tests/diff/lib.sh"

S2=$(( (SEED + 1) % 4294967296 ))
S3=$(( (SEED + 2) % 4294967296 ))

step() {
	echo "== $1"
}

step "x/mod-signed notes opened by csumdb"
"$ORACLE" gen-note "$SEED" "$CASES" >"$WORK/notes.go"
"$DIFFDIR/diff_note" check <"$WORK/notes.go"

step "csumdb-signed notes opened by x/mod"
"$DIFFDIR/diff_note" gen "$SEED" "$CASES" >"$WORK/notes.c"
"$ORACLE" check-note <"$WORK/notes.c"

step "x/mod keys parsed by csumdb"
"$ORACLE" gen-keys "$S2" "$CASES" >"$WORK/keys.go"
"$DIFFDIR/diff_note" check-keys <"$WORK/keys.go"

step "csumdb keys parsed by x/mod"
"$DIFFDIR/diff_note" gen-keys "$S2" "$CASES" >"$WORK/keys.c"
"$ORACLE" check-keys <"$WORK/keys.c"

step "x/mod tree notes parsed by csumdb"
"$ORACLE" gen-tree "$S3" "$CASES" >"$WORK/trees.go"
"$DIFFDIR/diff_note" check-tree <"$WORK/trees.go"

step "csumdb tree notes parsed by x/mod"
"$DIFFDIR/diff_note" gen-tree "$S3" "$CASES" >"$WORK/trees.c"
"$ORACLE" check-tree <"$WORK/trees.c"
