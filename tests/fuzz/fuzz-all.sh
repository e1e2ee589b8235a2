#!/bin/sh
# tools/fuzz-all gives the targets a TMPDIR of the run's own, on /dev/shm
# where there is one (else under TMPDIR; here, as a test writes nothing
# outside its directory, under FUZZ_SHM), and removes it however the run
# ends: when the targets are done, and when the run is stopped by a signal
# (its fuzzers stopped first).  tools/fuzz-all runs here in a copy of the
# source tree's shape whose build, dependencies and fuzzer are stand-ins:
# the fuzzer records its TMPDIR, leaves a file there as a crashed target
# would, and (for the signal) waits to be stopped.
set -u
WORK=$(mktemp -d "${TMPDIR:-/tmp}/csumdb-fuzz-all-test.XXXXXX") || exit 1
stand_in=""
cleanup() {
	[ -n "$stand_in" ] && kill "$stand_in" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
pass=0
failed=0
check() {
	if [ "$1" = "$2" ]; then
		pass=$((pass + 1))
		echo "ok: $3"
	else
		failed=$((failed + 1))
		echo "FAIL: $3: got '$1', want '$2'"
	fi
}

T="$WORK/top"
mkdir -p "$T/tools" "$T/tests/fuzz/corpus/state" "$WORK/build/tests/fuzz" "$WORK/tmp" "$WORK/shm"
cp "$top_srcdir/tools/fuzz-all" "$T/tools/"
printf '#!/bin/sh\nexit 0\n' >"$T/tools/install-deps"
: >"$T/configure.ac"
printf '#!/bin/sh\nexit 0\n' >"$T/configure"
touch -d '2000-01-01' "$T/configure.ac"
chmod +x "$T/tools/install-deps" "$T/configure"
printf 'SDB_FUZZ(state)\n' >"$T/tests/fuzz/targets.h"
printf 'x' >"$T/tests/fuzz/corpus/state/a"
printf 'libcsumdb.a fuzz:\n\t@:\n' >"$WORK/build/Makefile"
# the fuzzer: records TMPDIR and its pid, leaves a file, and waits for
# $WORK/go (not made: it waits until stopped) when $WORK/hold exists
cat >"$WORK/build/tests/fuzz/fuzz_state" <<EOF
#!/bin/sh
echo "\$TMPDIR" >"$WORK/tmpdir"
mkdir "\$TMPDIR/csumdb-fuzz-left" && : >"\$TMPDIR/csumdb-fuzz-left/state.db"
echo "stat::number_of_executed_units: 7"
if [ -e "$WORK/hold" ]; then
	echo \$\$ >"$WORK/fuzzer.pid"
	while [ ! -e "$WORK/go" ]; do sleep 1; done
fi
EOF
chmod +x "$WORK/build/tests/fuzz/fuzz_state"

fuzz_all() {
	env TMPDIR="$WORK/tmp" FUZZ_SHM="$WORK/shm" FUZZ_BUILD="$WORK/build" FUZZ_WORK="$WORK/fw" \
	    "$T/tools/fuzz-all" 1 1
}
base="$WORK/shm"

fuzz_all >"$WORK/out" 2>&1
check "$?" 0 "a run of the stand-in fuzzer: exit 0"
check "$(grep -c '^state  *7 execs' "$WORK/out")" 1 "... its executions counted"
seen=$(cat "$WORK/tmpdir" 2>/dev/null)
case $seen in
"$base"/csumdb-fuzz-all.*/tmp) where=yes ;;
*) where="no ($seen)" ;;
esac
check "$where" yes "the fuzzer's TMPDIR: a directory of the run's own under $base"
check "$(test -e "$seen" && echo left || echo gone)" gone "... removed at the end, with what the fuzzer left"

# stopped by SIGTERM while its fuzzer runs: the fuzzer is stopped and the
# directory removed
: >"$WORK/hold"
rm -f "$WORK/tmpdir" "$WORK/fuzzer.pid"
env TMPDIR="$WORK/tmp" FUZZ_SHM="$WORK/shm" FUZZ_BUILD="$WORK/build" FUZZ_WORK="$WORK/fw" \
	"$T/tools/fuzz-all" 1 1 >"$WORK/out" 2>&1 &
stand_in=$!
n=0
while [ ! -s "$WORK/fuzzer.pid" ] && [ "$n" -lt 600 ]; do
	sleep 0.1
	n=$((n + 1))
done
seen=$(cat "$WORK/tmpdir" 2>/dev/null)
check "$(test -n "$seen" && test -d "$seen" && echo there)" there "... while the fuzzer runs, its TMPDIR is there"
kill -TERM "$stand_in"
wait "$stand_in"
rc=$?
stand_in=""
check "$rc" 143 "fuzz-all stopped by SIGTERM: exit 143"
fpid=$(cat "$WORK/fuzzer.pid" 2>/dev/null)
check "$(test -n "$fpid" && kill -0 "$fpid" 2>/dev/null && echo running || echo stopped)" stopped \
	"... its fuzzer stopped"
[ -n "$fpid" ] && kill "$fpid" 2>/dev/null
check "$(test -n "$seen" && test -e "$seen" && echo left || echo gone)" gone "... and the TMPDIR removed"
check "$(test -e "${seen%/tmp}" && echo left || echo gone)" gone "... with the run's directory"

echo "$pass passed, $failed failed"
[ "$failed" -eq 0 ]
