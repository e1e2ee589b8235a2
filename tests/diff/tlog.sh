#!/bin/sh
# Differential test of tlog and tiles against x/mod: tree hashes, stored
# hash index math, record and tree proofs (each side checks the other's),
# tile paths, tile data, NewTiles and the authenticating tile reader.
. "$top_srcdir/tests/diff/lib.sh"

"$ORACLE" gen-tlog "$SEED" "$CASES" >"$WORK/go.txt"
if ! "$DIFFDIR/diff_tlog" check "$SEED" "$CASES" <"$WORK/go.txt" >"$WORK/c-check.txt"; then
	cat "$WORK/c-check.txt"
	echo "FAIL: csumdb disagrees with x/mod (seed $SEED)" >&2
	exit 1
fi
cat "$WORK/c-check.txt"

"$DIFFDIR/diff_tlog" gen "$SEED" "$CASES" >"$WORK/c.txt"
if ! "$ORACLE" check-tlog "$SEED" "$CASES" <"$WORK/c.txt" >"$WORK/go-check.txt"; then
	cat "$WORK/go-check.txt"
	echo "FAIL: x/mod disagrees with csumdb (seed $SEED)" >&2
	exit 1
fi
cat "$WORK/go-check.txt"
