#!/bin/sh
# Differential test of sumdbd's write side against x/mod
# (tests/oracle/sumdbd.go): keys from `sumdbd keygen` parse, sign and
# verify in x/mod's note package, and the tree a fresh log signs after
# `sumdbd add` opens with x/mod and is the tree x/mod's tlog computes from
# the stored records.
. "$top_srcdir/tests/diff/lib.sh"
SUMDBD="$top_builddir/sumdbd"

echo "== sumdbd keygen keys in x/mod"
i=0
: >"$WORK/keys"
while [ $i -lt 20 ]; do
	"$SUMDBD" keygen "k$i.example/sumdb" | tr '\n' ' ' >>"$WORK/keys"
	echo >>"$WORK/keys"
	i=$((i + 1))
done
"$ORACLE" sumdbd-keys <"$WORK/keys" | grep -qx "ok 20"

if ! command -v sqlite3 >/dev/null 2>&1; then
	echo "sqlite3 not installed: skipping the log check"
	exit 0
fi

echo "== the signed trees of a fresh log in x/mod"
DB="$WORK/d.db"
"$SUMDBD" init --db "$DB" --name sum.diff.example >"$WORK/init.out"
VKEY=$(sed -n 's/^verifier key: //p' "$WORK/init.out")
check_tree() {
	sqlite3 "$DB" "SELECT writefile('$WORK/note', note) FROM trees ORDER BY size DESC LIMIT 1" >/dev/null
	sqlite3 "$DB" "SELECT text FROM records ORDER BY id" >"$WORK/records"
	"$ORACLE" sumdbd-log "$VKEY" "$WORK/note" <"$WORK/records" | grep -q "^ok $1 "
}
check_tree 0
# Three go.sum files of growing size (300, 1, 500 versions) in turn.
gen_sum() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		for (i = a; i < b; i++) {
			printf "example.com/m%d v1.0.%d h1:%042dA=\n", i, i % 9, i
			printf "example.com/m%d v1.0.%d/go.mod h1:%042dE=\n", i, i % 9, i
		}
	}'
}
gen_sum 0 300 >"$WORK/1.sum"
gen_sum 300 301 >"$WORK/2.sum"
gen_sum 301 801 >"$WORK/3.sum"
"$SUMDBD" add --db "$DB" "$WORK/1.sum" >/dev/null
check_tree 300
"$SUMDBD" add --db "$DB" "$WORK/2.sum" >/dev/null
check_tree 301
"$SUMDBD" add --db "$DB" "$WORK/3.sum" >/dev/null
check_tree 801
"$SUMDBD" fsck --db "$DB" | grep -q "clean$"
echo "ok"
