#!/bin/sh
# Module zip checks (src/lib/modzip.c): one broken or malicious zip per rule
# of PROTOCOL.md "h1: hashes", each made by tests/e2e/mkzip.py and each
# rejected with a message naming the rule; the good zip of the same set is
# hashed.
. "$top_srcdir/tests/e2e/lib.sh"
TOOL="$top_builddir/tests/diff/modzip_tool"
M=example.com/m
V=v1.0.0
mkdir "$WORK/bad"
python3 "$top_srcdir/tests/e2e/mkzip.py" bad "$WORK/bad" "$M" "$V" || exit 1

expect 0 '^h1:[A-Za-z0-9+/]{43}=$' "good zip is hashed" -- "$TOOL" zip "$WORK/bad/good.zip" "$M" "$V"
expect 1 'not canonical|invalid version|version' "non-canonical version refused" -- "$TOOL" zip "$WORK/bad/good.zip" "$M" v1.0
expect 1 'outside example.com/other@v1.0.0/' "zip of another module refused" -- "$TOOL" zip "$WORK/bad/good.zip" example.com/other "$V"
n=0
while IFS="$(printf '\t')" read -r name regex limit; do
	expect 1 "$regex" "$name.zip rejected: $regex" -- "$TOOL" zip "$WORK/bad/$name.zip" "$M" "$V" $limit
	n=$((n + 1))
done <"$WORK/bad/expect"
[ "$n" -ge 20 ] || { echo "FAIL: only $n bad zips made"; exit 1; }
e2e_done
