# Shared helpers for the end-to-end tests (sourced by tests/e2e/*.sh).
# Each check prints one line; the script fails when any check failed.
set -u

# e2e_session_left SID: the processes still running in session SID (not
# zombies), one "PID COMMAND" line each.
e2e_session_left() {
	cat /proc/[0-9]*/stat 2>/dev/null | awk -v sid="$1" '{
		# PID (COMMAND) STATE PPID PGRP SESSION ...: COMMAND may hold
		# spaces and parentheses, so the fields count from the last ")"
		i = length($0)
		while (i > 0 && substr($0, i, 2) != ") ")
			i--
		n = split(substr($0, i + 2), f, " ")
		if (n >= 4 && f[4] == sid && f[1] != "Z")
			print $1, substr($0, index($0, "(") + 1, i - index($0, "(") - 1)
	}'
}

# A test runs in a session (and process group) of its own, under a shell
# that waits for it: a signal that ends the test (make check interrupted,
# a harness timeout), sent to that shell alone, is passed on to every
# process of the test as SIGTERM.  A shell runs its traps only once its
# foreground command is over, so a test signalled alone went on until its
# foreground command ended (a curl waiting on a hanging lookup, the go
# command), its servers with it; now that command ends too, and the
# test's EXIT trap stops its servers by their PIDs and removes $WORK.
# When the test is over, any of its processes still running (a test that
# did not stop what it started) is named and killed.
_e2e_sid=$(sed 's/.*) //' /proc/$$/stat 2>/dev/null | cut -d' ' -f4)
if [ "${E2E_SESSION:-}" != "$$" ] || [ "$_e2e_sid" != "$$" ]; then
	if ! command -v setsid >/dev/null 2>&1; then
		echo "SKIP: needs setsid (util-linux)"
		exit 77
	fi
	_e2e_sig=
	_e2e_test=
	# SIGTERM to the test's process group, which is pinned (the test,
	# its leader, is not reaped until the wait below); before setsid
	# has made that group, to the one process the test is then.
	e2e_forward() {
		[ -z "$_e2e_test" ] || kill -TERM "-$_e2e_test" 2>/dev/null ||
		    kill -TERM "$_e2e_test" 2>/dev/null
	}
	_e2e_nsig=0
	trap '_e2e_sig=129 _e2e_nsig=$((_e2e_nsig + 1)); e2e_forward' HUP
	trap '_e2e_sig=130 _e2e_nsig=$((_e2e_nsig + 1)); e2e_forward' INT
	trap '_e2e_sig=143 _e2e_nsig=$((_e2e_nsig + 1)); e2e_forward' TERM
	# The test shell is the one running this (the same program), on the
	# same script and arguments, with SIGINT (which & ignores) and SIGHUP
	# (which nohup ignores) given back; its standard input is /dev/null,
	# as for any command started with &, and no descriptor is touched
	# (make's jobserver passes its own to the test).  setsid forks only
	# when called by a group leader, which a command started by a shell
	# without job control never is: the test's PID is $!.
	# An env with no --default-signal (coreutils before 8.31, busybox)
	# runs the test as it is: SIGINT stays ignored in it, which costs
	# nothing, as what this shell passes on is SIGTERM.
	_e2e_env="env --default-signal=HUP,INT,TERM"
	$_e2e_env true 2>/dev/null || _e2e_env=env
	E2E_SESSION=
	$_e2e_env sh -c 'E2E_SESSION=$$ exec setsid "$@"' sh \
	    "$(readlink /proc/$$/exe)" "$0" "$@" &
	_e2e_test=$!
	[ -z "$_e2e_sig" ] || e2e_forward
	_e2e_seen=0
	wait "$_e2e_test"
	_e2e_status=$?
	# A wait cut short by a signal: wait again (a wait for a test
	# already reaped returns at once, its status again or 127).
	while [ "$_e2e_seen" -ne "$_e2e_nsig" ]; do
		_e2e_seen=$_e2e_nsig
		wait "$_e2e_test" 2>/dev/null
		_e2e_st=$?
		[ "$_e2e_st" -eq 127 ] || _e2e_status=$_e2e_st
	done
	_e2e_left=$(e2e_session_left "$_e2e_test")
	if [ -n "$_e2e_left" ]; then
		echo "note: processes of the test still running after it ended, killed:"
		echo "$_e2e_left" | sed 's/^/    /'
		kill -KILL "-$_e2e_test" 2>/dev/null
	fi
	[ -z "$_e2e_sig" ] || exit "$_e2e_sig"
	exit "$_e2e_status"
fi
unset E2E_SESSION
SUMDB="$top_builddir/sumdb"
DATA="$top_srcdir/tests/data"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/csumdb-e2e.XXXXXX")
. "$top_srcdir/tests/e2e/server.sh"
# The go command leaves its module cache read-only.
e2e_cleanup() {
	stop_sumdbd
	chmod -R u+w "$WORK" 2>/dev/null
	rm -rf "$WORK"
	[ "${SERVER_FAILURES:-0}" -eq 0 ] || exit 1
}
trap e2e_cleanup EXIT
# A test stopped by a signal (make check interrupted, a harness timeout)
# must still stop its servers and remove $WORK: the shell runs the EXIT
# trap (this one, or the test's own) on exit, but not when a signal ends
# it, so each of these signals ends the test by exit.
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM
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

# fail DESCRIPTION: counts a failed step that is not an expect (a wait
# that timed out, a setup command that failed), so that the test fails.
fail() {
	e2e_fail=$((e2e_fail + 1))
	echo "FAIL: $*"
}

e2e_done() {
	echo "$e2e_pass passed, $e2e_fail failed"
	[ "${SERVER_FAILURES:-0}" -eq 0 ] || echo "FAIL: $SERVER_FAILURES sumdbd serve exits not 0"
	[ "$e2e_fail" -eq 0 ] && [ "${SERVER_FAILURES:-0}" -eq 0 ]
}

# --- helpers for tests that run sumdbd (and the verifier against it) ---
SUMDBD="$top_builddir/sumdbd"

# gosum_lines N0 N1 [TAG]: go.sum lines for example.com/mN v1.0.0,
# N0 <= N < N1, with made-up well-formed hashes (TAG varies them).
gosum_lines() {
	python3 - "$1" "$2" "${3:-}" <<'PY'
import base64, hashlib, sys
tag = sys.argv[3]
for i in range(int(sys.argv[1]), int(sys.argv[2])):
    h = lambda s: "h1:" + base64.b64encode(hashlib.sha256((s + tag).encode()).digest()).decode()
    print("example.com/m%d v1.0.0 %s" % (i, h("zip%d" % i)))
    print("example.com/m%d v1.0.0/go.mod %s" % (i, h("mod%d" % i)))
PY
}

# stop_pids: SIGTERM to every process in $PIDS (background jobs a test
# started: curl clients, helpers), each waited for.
stop_pids() {
	for _p in $PIDS; do
		kill -TERM "$_p" 2>/dev/null
		wait "$_p" 2>/dev/null
	done
	return 0
}

# pids_forget PID: PID, stopped and waited for, is no longer one for
# stop_pids to signal (the number may be another process's by then).
pids_forget() {
	_keep=
	for _p in $PIDS; do
		[ "$_p" = "$1" ] || _keep="$_keep $_p"
	done
	PIDS=$_keep
}

# hold_lock FILE: the user nobody tries to take a shared flock on FILE
# and, if it gets it, holds it until drop_lock; its words in
# $WORK/flock.out.  Returns once the try is over (refused, or the lock
# held), so that what follows comes after it.  The holder is one process
# (the shell that opened the file, then the sleep it becomes, the lock
# on that open file kept), so that drop_lock, which stops it by its PID,
# releases the lock at once.  Needs root (setpriv).
hold_lock() {
	rm -f "$WORK/flock.out"
	setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups \
	    sh -c 'exec 9<"$1" && flock -n -s 9 && exec sleep 600' sh "$1" \
	    >"$WORK/flock.out" 2>&1 &
	FL_PID=$!
	PIDS="$PIDS $FL_PID"
	expect 0 '^yes$' "another user tries to take the lock" -- \
		ok_if wait_for 30 lock_tried "$1" "$WORK/flock.out"
}
drop_lock() {
	kill "$FL_PID" 2>/dev/null
	wait "$FL_PID"
	pids_forget "$FL_PID"
}

# proc_start PID: the start time of process PID (field 22 of its stat),
# which tells it from a later process given the same PID; empty when
# there is no process PID.
proc_start() {
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20
}

# wait_for SECS CMD...: runs CMD every 0.1 s until it succeeds; 1 if it never did.
wait_for() {
	_n=$(($1 * 10))
	shift
	while [ "$_n" -gt 0 ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		_n=$((_n - 1))
	done
	return 1
}

# requests_read URL N: at least N connections to the server at URL
# (http://127.0.0.1:PORT) have had their requests read by it: bytes came
# in (bytes_received) and none wait unread (Recv-Q 0).  A request the
# server has read is one it has answered or is working on (a lookup miss
# queued or fetching), so a test waits for this, never for a fixed time,
# before counting on a request having reached the server.  Connections in
# any state count: a client that asked and went leaves its connection in
# CLOSE-WAIT until the server closes it.  Needs ss (iproute2).
requests_read() {
	_rr_port=${1##*:}
	[ "$(ss -H -tni state all "( sport = :$_rr_port )" | awk '
		/^[^ \t]/ { q = $2; next }
		q == 0 && /bytes_received:[1-9]/ { n++ }
		END { print n + 0 }')" -ge "$2" ]
}

# lock_tried FILE OUT: a flock(1) of FILE, run with its words going to
# OUT, is past its try: refused (its words written to OUT) or holding a
# lock on FILE (listed in /proc/locks by FILE's inode).
lock_tried() {
	test -s "$2" && return 0
	_lt_ino=$(stat -c %i "$1" 2>/dev/null) || return 1
	awk -v ino="$_lt_ino" '{ n = split($6, a, ":"); if (a[n] == ino) f = 1 } END { exit !f }' /proc/locks
}

# ctl_server_start NAME SCRIPT READY: runs tests/e2e/SCRIPT, a test server
# driven by the control file $WORK/NAME.ctl (made empty), its output in
# $WORK/NAME.out and .err; waits (at most 10 s) for a line matching READY
# on its output, and sets _ctl_pid and _ctl_port (its "port N" line).
# ctl_server_stop VAR stops the one whose PID is in VAR, and empties VAR.
ctl_server_start() {
	: >"$WORK/$1.ctl"
	rm -f "$WORK/$1.out"
	python3 "$top_srcdir/tests/e2e/$2" "$WORK/$1.ctl" >"$WORK/$1.out" 2>"$WORK/$1.err" &
	_ctl_pid=$!
	if ! wait_for 10 grep -q "$3" "$WORK/$1.out"; then
		echo "FAIL: $2 did not start:"; cat "$WORK/$1.err"
		exit 1
	fi
	_ctl_port=$(sed -n 's/^port //p' "$WORK/$1.out")
}
ctl_server_stop() {
	eval "_p=\${$1:-}"
	if [ -n "$_p" ]; then
		kill -TERM "$_p" 2>/dev/null
		wait "$_p" 2>/dev/null
		eval "$1="
	fi
}

# proxy_start: runs tests/e2e/sumdb_proxy.py with control file $WORK/proxy.ctl;
# sets PROXY_PID and PROXY_URL.  proxy_stop stops it.
proxy_start() {
	ctl_server_start proxy sumdb_proxy.py '^port [0-9]'
	PROXY_PID=$_ctl_pid
	PROXY_URL="http://127.0.0.1:$_ctl_port"
}
proxy_stop() { ctl_server_stop PROXY_PID; }
# proxy_set LINE...: replaces the proxy's directives, by a rename: the
# proxy reads the file on every request (and every 0.1 s while one hangs),
# and rewritten in place it is empty for a moment, which the proxy read
# as no upstream (the request dropped) and counted faults as taken out.
proxy_set() {
	printf '%s\n' "$@" >"$WORK/proxy.ctl.new" && mv -f "$WORK/proxy.ctl.new" "$WORK/proxy.ctl"
}

# evil_start: runs tests/e2e/evillog.py (a log that lies as told) with
# control file $WORK/evil.ctl; sets EVIL_PID, EVIL_URL and EVIL_VKEY.
# evil_set replaces the control file (Python, see evillog.py) by its
# standard input, by a rename, which also starts its SEEN counts over;
# evil_stop stops the server.
evil_start() {
	ctl_server_start evil evillog.py '^vkey '
	EVIL_PID=$_ctl_pid
	EVIL_VKEY=$(sed -n 's/^vkey //p' "$WORK/evil.out")
	EVIL_URL="http://127.0.0.1:$_ctl_port"
}
evil_set() {
	cat >"$WORK/evil.ctl.new" && mv -f "$WORK/evil.ctl.new" "$WORK/evil.ctl"
}
evil_stop() { ctl_server_stop EVIL_PID; }

# ok_if CMD...: prints "yes" when CMD succeeds (expect needs output to match).
ok_if() { "$@" && echo yes; }

# printable FILE N: "yes" when FILE is N lines, each of printable ASCII
# only (no escape, no carriage return, no byte of UTF-8), each ending in
# a newline.
printable() {
	LC_ALL=C grep -q '[^ -~]' "$1" && return 1
	[ "$(wc -l <"$1")" -eq "$2" ] && [ "$(tail -c 1 "$1" | od -An -c | tr -d ' ')" = '\n' ] &&
		echo yes
}

# gorun DIR GOPATH GOSUMDB CMD...: runs CMD (the go command) in DIR with
# nothing from the environment: GOPATH and its module cache, GOSUMDB as
# given, the module proxy directory $WORK/proxy (or the GOPROXY list in
# $GORUN_PROXY), no private patterns.
gorun() {
	(
		cd "$1" || exit 1
		gp=$2
		sdb=$3
		shift 3
		mkdir -p "$WORK/home"
		exec env -u GOTOOLCHAIN -u GOROOT HOME="$WORK/home" GOPATH="$gp" GOMODCACHE="$gp/pkg/mod" \
		    GOCACHE="$WORK/gocache" GOENV=off GOFLAGS="-mod=mod -modcacherw" GO111MODULE=on \
		    GONOSUMDB= GOPRIVATE= GONOPROXY= GONOSUMCHECK= GOINSECURE= \
		    GOPROXY="${GORUN_PROXY:-file://$WORK/proxy}" GOSUMDB="$sdb" "$@"
	)
}

# gomain DIR MODULE@VERSION...: a main module in DIR that requires and
# imports each module (whose package is the module path and has Name()).
gomain() {
	dir=$1
	shift
	mkdir -p "$dir"
	{ echo "module example.com/main"; echo; echo "go 1.16"; echo; echo "require ("; } >"$dir/go.mod"
	{ echo "package main"; echo; echo "import ("; echo '	"fmt"'; } >"$dir/main.go"
	calls=
	n=0
	for mv in "$@"; do
		m=${mv%@*}
		echo "	$m ${mv#*@}" >>"$dir/go.mod"
		echo "	p$n \"$m\"" >>"$dir/main.go"
		calls="$calls p$n.Name(),"
		n=$((n + 1))
	done
	echo ")" >>"$dir/go.mod"
	{ echo ")"; echo; echo "func main() { fmt.Println($calls) }"; } >>"$dir/main.go"
}
