#!/bin/sh
# Differential test of sumdbd's read side against x/mod
# (tests/oracle/sumdbd_http.go): one `sumdbd serve`, grown one record at a
# time with `sumdbd add` through its admin socket; at every size 1..N
# (N = DIFF_TILES_SIZE, default 600) the hash and data tiles of the tree
# equal what x/mod computes for the same records: every full tile, the
# current width of the last tile at every level (so over the sizes every
# width of every tile), and DIFF_TILES_WIDTHS (default 16; "all" for
# every one) of its narrower widths at random; tiles beyond the tree are 404,
# /latest signs x/mod's tree, /lookup of the new record is exact, and
# x/mod's sumdb.Client, holding the previous tree, verifies the new
# record; at the end a fresh Client verifies every record.
. "$top_srcdir/tests/diff/lib.sh"
. "$top_srcdir/tests/e2e/server.sh"
trap 'stop_sumdbd; rm -rf "$WORK"' EXIT
SUMDBD="$top_builddir/sumdbd"
SIZE=${DIFF_TILES_SIZE:-600}
WIDTHS=${DIFF_TILES_WIDTHS:-16}

DB="$WORK/d.db"
"$SUMDBD" init --db "$DB" --name sum.tiles.example >"$WORK/init.out"
VKEY=$(sed -n 's/^verifier key: //p' "$WORK/init.out")
"$ORACLE" sumdbd-gosum "$SEED" "$SIZE" >"$WORK/go.sum"
start_sumdbd "$DB"
echo "== $SIZE sizes served by $URL"
"$ORACLE" sumdbd-grow "$URL" "$VKEY" "$WORK/go.sum" "$WIDTHS" "$SUMDBD" add --db "$DB" >"$WORK/grow.out"
cat "$WORK/grow.out"
grep -q "^ok $SIZE " "$WORK/grow.out"
stop_sumdbd
test "$SUMDBD_STATUS" -eq 0
"$SUMDBD" fsck --db "$DB" | grep -q "clean$"
echo "ok"
