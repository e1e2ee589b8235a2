#!/bin/sh
# Differential test: module zip h1: hashes and verdicts, csumdb
# (src/lib/modzip.c, dirhash.c) against x/mod zip.CheckZip +
# dirhash.HashZip, over a seeded corpus of synthetic modules made by
# tests/e2e/mkzip.py (nested folders, empty files, files of several MiB,
# unicode names, +incompatible, pseudo-versions, upper-case paths) and over
# the broken zips of tests/e2e/modzip.sh (both must refuse each), plus the
# go.mod h1 of a few go.mod files.
. "$top_srcdir/tests/diff/lib.sh"
TOOL="$top_builddir/tests/diff/modzip_tool"
MKZIP="$top_srcdir/tests/e2e/mkzip.py"

mkdir "$WORK/good" "$WORK/bad"
python3 "$MKZIP" corpus "$WORK/good" "$SEED"
python3 "$MKZIP" bad "$WORK/bad" example.com/m v1.0.0
: >"$WORK/cases"
while IFS="$(printf '\t')" read -r f p v; do
	printf '%s\t%s\t%s\n' "$WORK/good/$f" "$p" "$v" >>"$WORK/cases"
done <"$WORK/good/list"
for f in "$WORK"/bad/*.zip; do
	# total_big is bad only under a lowered limit; x/mod takes symlink
	# entries as files, csumdb refuses them (PROTOCOL.md: no symlinks),
	# and entries whose data overlap (the work they cost)
	case "$f" in */total_big.zip | */symlink.zip | */shared_data.zip) continue ;; esac
	printf '%s\t%s\t%s\n' "$f" example.com/m v1.0.0 >>"$WORK/cases"
done
"$ORACLE" dirhash-zip <"$WORK/cases" >"$WORK/go"
: >"$WORK/c"
while IFS="$(printf '\t')" read -r f p v; do
	if out=$("$TOOL" zip "$f" "$p" "$v"); then echo "$out"; else echo err; fi >>"$WORK/c"
done <"$WORK/cases"
ngood=$(grep -c '^h1:' "$WORK/go")
if [ "$ngood" -lt 7 ]; then
	echo "FAIL: the oracle accepted only $ngood zips" >&2
	exit 1
fi
if ! cmp -s "$WORK/go" "$WORK/c"; then
	paste "$WORK/cases" "$WORK/go" "$WORK/c" | awk -F'\t' '$4 != $5 { print "MISMATCH " $1 " " $2 "@" $3 ": x/mod " $4 " csumdb " $5 }'
	echo "FAIL: csumdb and x/mod disagree on module zips (seed $SEED)" >&2
	exit 1
fi
echo "ok: $(wc -l <"$WORK/cases") zips ($ngood good) agree with x/mod"

# Zips the go command and libzip could read differently (mkzip.py hostile):
# csumdb must compute x/mod's h1 for those marked "same", and for the rest
# either x/mod's h1 or an error, never another hash.
mkdir "$WORK/hostile"
python3 "$MKZIP" hostile "$WORK/hostile" example.com/m v1.0.0
: >"$WORK/hcases"
while IFS="$(printf '\t')" read -r name kind; do
	printf '%s\texample.com/m\tv1.0.0\n' "$WORK/hostile/$name.zip" >>"$WORK/hcases"
done <"$WORK/hostile/list"
# zips the go command's own writer makes: a small one, and one of 65536
# entries, past which it writes a zip64 end record
for n in 3 65536; do
	"$ORACLE" dirhash-create "$WORK/hostile/gowriter$n.zip" example.com/m v1.0.0 $n
	printf 'gowriter%s\tsame\n' $n >>"$WORK/hostile/list"
	printf '%s\texample.com/m\tv1.0.0\n' "$WORK/hostile/gowriter$n.zip" >>"$WORK/hcases"
done
"$ORACLE" dirhash-zip <"$WORK/hcases" >"$WORK/hgo"
nh=0
bad=0
while IFS="$(printf '\t')" read -r name kind && IFS= read -r want <&3; do
	got=$("$TOOL" zip "$WORK/hostile/$name.zip" example.com/m v1.0.0) || true
	nh=$((nh + 1))
	case "$kind:$got" in
	same:"$want") continue ;;
	same-or-refused:"$want" | same-or-refused:error*) continue ;;
	esac
	echo "MISMATCH $name ($kind): x/mod $want csumdb $got"
	bad=$((bad + 1))
done <"$WORK/hostile/list" 3<"$WORK/hgo"
if [ "$bad" -ne 0 ]; then
	echo "FAIL: csumdb hashes $bad hostile zips otherwise than x/mod" >&2
	exit 1
fi
echo "ok: $nh hostile zips hashed as x/mod does or refused"

printf 'module example.com/m\n' >"$WORK/m1"
printf 'module example.com/m\n\ngo 1.19\n\nrequire example.com/x v1.0.0\n' >"$WORK/m2"
: >"$WORK/m3"
"$ORACLE" dirhash-gomod "$WORK/m1" "$WORK/m2" "$WORK/m3" >"$WORK/gomod.go"
for f in m1 m2 m3; do "$TOOL" gomod "$WORK/$f"; done >"$WORK/gomod.c"
cmp "$WORK/gomod.go" "$WORK/gomod.c" || { echo "FAIL: go.mod h1 differs" >&2; exit 1; }
echo "ok: go.mod h1 agrees with x/mod"
