#!/bin/sh
# Replays every committed fuzz corpus (tests/fuzz/corpus/NAME/) through its
# target; part of make check.  A target without a corpus is a failure.
set -u
replay="$top_builddir/tests/fuzz/replay"
corpus="$top_srcdir/tests/fuzz/corpus"
status=0
for name in $(sed -n 's/^SDB_FUZZ(\([a-z0-9_]*\))$/\1/p' "$top_srcdir/tests/fuzz/targets.h"); do
	if [ ! -d "$corpus/$name" ]; then
		echo "FAIL: fuzz target $name has no corpus at tests/fuzz/corpus/$name"
		status=1
		continue
	fi
	"$replay" "$name" "$corpus/$name" || status=1
done
exit $status
