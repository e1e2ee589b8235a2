#!/bin/sh
# Differential test: module paths, versions, escapes and the lookup gate,
# csumdb against golang.org/x/mod.  diff_module generates $CASES seeded
# cases of each kind; the oracle and csumdb each answer every case; the two
# answer files must be identical line for line.
. "$top_srcdir/tests/diff/lib.sh"

"$DIFFDIR/diff_module" gen "$SEED" "$CASES" >"$WORK/cases"
"$ORACLE" module-eval <"$WORK/cases" >"$WORK/go"
"$DIFFDIR/diff_module" eval <"$WORK/cases" >"$WORK/c"

n=$(wc -l <"$WORK/cases")
if [ "$n" -lt $((CASES * 6)) ] || [ "$(wc -l <"$WORK/go")" -ne "$n" ]; then
	echo "FAIL: expected $n answers from the oracle" >&2
	exit 1
fi
if ! cmp -s "$WORK/go" "$WORK/c"; then
	# print the first few disagreements with their inputs
	i=0
	paste -d '\n' "$WORK/cases" "$WORK/go" "$WORK/c" | while IFS= read -r c && IFS= read -r g && IFS= read -r m; do
		if [ "$g" != "$m" ]; then
			echo "MISMATCH input: $c"
			echo "  x/mod:  $g"
			echo "  csumdb: $m"
			i=$((i + 1))
			[ $i -ge 10 ] && break
		fi
	done
	echo "FAIL: csumdb and x/mod disagree (seed $SEED)" >&2
	exit 1
fi
echo "ok: $n module cases agree with x/mod"
