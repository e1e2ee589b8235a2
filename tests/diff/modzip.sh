#!/bin/sh
# Differential test: module zips, csumdb (src/lib/modzip.c) against what
# the go command does with a zip it downloads (oracle modzip-go: Go 1.19's
# archive/zip, x/mod's CheckZip and HashZip).  For each zip made by
# tests/diff/modzip_gen.py both must accept it with the same h1, or both
# refuse it; csumdb may refuse more only where modzip_gen.py's DELIBERATE
# says so.  The zips are the named cases of modzip_gen.py regress, then
# MODZIP_CASES (default 400) random ones from seed MODZIP_SEED (default
# fixed, so that a run is the same everywhere; set it to explore, and
# MODZIP_BIG=1 for zips of 65535 and 65536 entries and 500 MiB of content).
. "$top_srcdir/tests/diff/lib.sh"
TOOL="$top_builddir/tests/diff/modzip_tool"
GEN="$top_srcdir/tests/diff/modzip_gen.py"

# run_cases DIR: both sides on DIR/cases, then the comparison; a fifth
# field lowers csumdb's limit on the total content (the go command's is
# 500 MiB) to test it on small zips
run_cases() {
	cut -f1-3 "$1/cases" | sed "s|^|$1/|" >"$1/in"
	cut -f1-3,5 "$1/cases" | sed "s|^|$1/|" >"$1/in.c"
	"$ORACLE" modzip-go <"$1/in" >"$1/go"
	"$TOOL" zips <"$1/in.c" >"$1/c"
	python3 "$GEN" compare "$1/cases" "$1/go" "$1/c"
}

mkdir "$WORK/regress"
python3 "$GEN" regress "$WORK/regress"
run_cases "$WORK/regress"

ZSEED=${MODZIP_SEED:-20240611}
ZCASES=${MODZIP_CASES:-400}
echo "random zips: seed $ZSEED, $ZCASES cases (MODZIP_SEED, MODZIP_CASES)"
mkdir "$WORK/random"
python3 "$GEN" gen "$WORK/random" "$ZSEED" "$ZCASES" ${MODZIP_BIG:+big}
run_cases "$WORK/random"
