# Shared setup for the differential tests (sourced by tests/diff/*.sh).
# Provides $ORACLE (the x/mod oracle), $DIFFDIR (C drivers), a fresh
# $WORK directory removed on exit, $SEED (random unless DIFF_SEED is set,
# printed so a failure can be replayed) and $CASES (default 10000).
set -eu
: "${ORACLE:?ORACLE not set (run through make check)}"
DIFFDIR="$top_builddir/tests/diff"
if [ ! -x "$ORACLE" ]; then
	echo "oracle not built: $ORACLE" >&2
	exit 99
fi
WORK=$(mktemp -d "${TMPDIR:-/tmp}/csumdb-diff.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
# ended by a signal, still run the EXIT trap (as tests/e2e/lib.sh does)
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
SEED=${DIFF_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
CASES=${DIFF_CASES:-10000}
echo "seed $SEED (replay with DIFF_SEED=$SEED), $CASES cases per kind"
