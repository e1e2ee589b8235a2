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

# The checks cost memory in proportion to the names: four names of 65000
# bytes, each 32000 one-letter directories deep (x/mod's collision check
# folds every parent directory apart), are checked in well under 200 MB,
# not in gigabytes.
python3 - "$WORK/deep.zip" "$M@$V/" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], "w") as zf:
    zf.writestr(sys.argv[2] + "go.mod", b"module example.com/m\n")
    for c in "abcd":
        zf.writestr(sys.argv[2] + "/".join([c] * 32400) + ".go", b"package x\n")
PY
expect 0 '^h1:.* peak [0-9]+ KiB$' "a zip of four 32000-deep names is hashed" -- \
	python3 - "$TOOL" "$WORK/deep.zip" "$M" "$V" <<'PY'
import resource, subprocess, sys
p = subprocess.run([sys.argv[1], "zip"] + sys.argv[2:], stdout=subprocess.PIPE)
kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(p.stdout.decode().strip(), "peak", kib, "KiB")
sys.exit(p.returncode or (kib > 200 * 1024))
PY
e2e_done
