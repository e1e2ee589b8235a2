#!/bin/sh
# The log compiler of the unit tests (Makefile.am): runs one unit test
# program with a TMPDIR of its own, and fails it when it leaves anything
# there, so that no suite litters the TMPDIR of whoever runs make check.
set -u
prog=$1
shift
dir=$(mktemp -d "${TMPDIR:-/tmp}/csumdb-unit-run.XXXXXX") || exit 99
# others may pass through (not list): a test run as root checks what
# another user may do with the files it makes here (test_state)
chmod 711 "$dir" || exit 99
TMPDIR=$dir "$prog" "$@"
status=$?
left=$(cd "$dir" && find . -mindepth 1 | sort | head -n 20)
if [ -n "$left" ]; then
	echo "FAIL: $prog left files in its TMPDIR:"
	echo "$left"
	[ "$status" -ne 0 ] || status=1
fi
chmod -R u+w "$dir" 2>/dev/null
rm -rf "$dir"
exit "$status"
