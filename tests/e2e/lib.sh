# Shared helpers for the end-to-end tests (sourced by tests/e2e/*.sh).
# Each check prints one line; the script fails when any check failed.
set -u
SUMDB="$top_builddir/sumdb"
DATA="$top_srcdir/tests/data"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/csumdb-e2e.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
e2e_pass=0
e2e_fail=0

# expect STATUS GREP-PATTERN DESCRIPTION -- COMMAND...: runs COMMAND, keeps
# its stdout+stderr in $WORK/out, and checks the exit status and that the
# output matches the extended regular expression.
expect() {
	want=$1 pattern=$2 desc=$3
	shift 4
	"$@" >"$WORK/out" 2>&1
	got=$?
	if [ "$got" -eq "$want" ] && grep -Eq -- "$pattern" "$WORK/out"; then
		e2e_pass=$((e2e_pass + 1))
		echo "ok: $desc"
	else
		e2e_fail=$((e2e_fail + 1))
		echo "FAIL: $desc: exit $got (want $want), output:"
		sed 's/^/    /' "$WORK/out"
		echo "    (wanted a line matching: $pattern)"
	fi
}

e2e_done() {
	echo "$e2e_pass passed, $e2e_fail failed"
	[ "$e2e_fail" -eq 0 ]
}
