#!/bin/sh
# Replays every committed fuzz corpus (tests/fuzz/corpus/NAME/) through its
# target; part of make check.  A target without a corpus is a failure.
set -u
replay="$top_builddir/tests/fuzz/replay"
corpus="$top_srcdir/tests/fuzz/corpus"
status=0
# Targets that read files (dupidx, state, sumdbd_request) make them under
# TMPDIR: a directory of the replay's own, removed however it ends, also
# when a target traps before its own cleanup.
TMPDIR=$(mktemp -d "${TMPDIR:-/tmp}/csumdb-replay.XXXXXX") || exit 1
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
for name in $(sed -n 's/^SDB_FUZZ(\([a-z0-9_]*\))$/\1/p' "$top_srcdir/tests/fuzz/targets.h"); do
	if [ ! -d "$corpus/$name" ]; then
		echo "FAIL: fuzz target $name has no corpus at tests/fuzz/corpus/$name"
		status=1
		continue
	fi
	"$replay" "$name" "$corpus/$name" || status=1
done
exit $status
