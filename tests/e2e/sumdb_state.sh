#!/bin/sh
# The audit state as the nightly job meets it: two runs of sumdb audit
# --full on one state at once (the second checks the tree, then leaves
# the full audit to the first, which finishes with an index both did not
# write over); the default state's directories (made 0700, a relative
# XDG_STATE_HOME ignored as XDG says, a directory others may write or
# another user owns refused, and so are the directories above it, up to
# the home directory); evidence of a fork that cannot be stored
# (another process holds the state's write lock) said so, with why, and
# never lost without a word; a tile cache that cannot be written said so
# (on a line of its own, also past --full's progress line on a terminal),
# with why, and the audit going on; an accept held in the -wal only by a
# reader copied into the file by the next run, which finds the tree
# unchanged.
. "$top_srcdir/tests/e2e/lib.sh"
PIDS=
SL=
trap 'stop_pids; sumdbd_stop A; sumdbd_stop B; proxy_stop; rm -rf "$WORK"; [ -z "$SL" ] || rm -rf "$SL"' EXIT
NAME=localhost.localdev/sumdb
ST="$WORK/audit.state"
audit() { "$SUMDB" audit --state "$ST" --url "$PROXY_URL" "$@" "$VKEY"; }

expect 0 'verifier key: ' "init" -- "$SUMDBD" init --db "$WORK/a.db" --name "$NAME"
VKEY=$(sed -n 's/^verifier key: //p' "$WORK/out")
gosum_lines 0 3000 >"$WORK/g.sum"
expect 0 'tree size 3000' "3000 records" -- "$SUMDBD" add --db "$WORK/a.db" "$WORK/g.sum"
sumdbd_start A "$WORK/a.db"
proxy_start
proxy_set "upstream $A_URL"
expect 0 '^first run' "first run" -- audit

# bg NAME ARGS...: audit ARGS in the background, its output in
# $WORK/NAME.out and its exit status in $WORK/NAME.rc when it ends; the
# sumdb and the shell waiting for it are in PIDS.
bg() {
	_n=$1
	shift
	rm -f "$WORK/$_n.rc" "$WORK/$_n.pid"
	( "$SUMDB" audit --state "$ST" --url "$PROXY_URL" "$@" "$VKEY" >"$WORK/$_n.out" 2>&1 &
	  echo $! >"$WORK/$_n.pid"; wait $!; echo $? >"$WORK/$_n.rc" ) &
	PIDS="$PIDS $!"
	wait_for 10 test -s "$WORK/$_n.pid" && PIDS="$(cat "$WORK/$_n.pid") $PIDS"
}
data_tiles_asked() { grep -q 'tile/8/data/' "$WORK/proxy.ctl.log"; }

# The first run's data tiles are held at the proxy, so that the second
# starts while the first holds the state's full audit.
: >"$WORK/proxy.ctl.log"
proxy_set "upstream $A_URL" "hang tile/8/data/"
bg one --full
expect 0 '^yes$' "the first --full run is reading data tiles" -- ok_if wait_for 20 data_tiles_asked
bg two --full
wait_for 20 test -s "$WORK/two.rc"
proxy_set "upstream $A_URL"
expect 0 '^yes$' "both runs end" -- ok_if wait_for 60 test -s "$WORK/one.rc" -a -s "$WORK/two.rc"
stop_pids
PIDS=
expect 0 '^1$' "the second --full run at once: exit 1" -- cat "$WORK/two.rc"
expect 0 'another sumdb audit --full is at work on it \(it holds .*/audit.state-lock\)' \
	"... saying another run holds the state, and which lock" -- cat "$WORK/two.out"
expect 0 '^consistent: 3000 records, unchanged' "... after checking the tree as ever" -- cat "$WORK/two.out"
expect 0 '^0$' "the first run: exit 0" -- cat "$WORK/one.rc"
expect 0 'every record hashes to the signed root' "... every record checked" -- cat "$WORK/one.out"
gosum_lines 3000 3300 >"$WORK/g2.sum"
expect 0 'tree size 3300' "300 more records" -- "$SUMDBD" add --db "$WORK/a.db" "$WORK/g2.sum"
# progress is kept at whole data tiles: the first run's ends at the last one
DONE=$((3000 / 256 * 256))
expect 0 "$((3300 - DONE)) records checked.*$DONE verified by earlier runs" \
	"the next --full run goes on from the first's progress" -- audit --full
cp "$WORK/out" "$WORK/three.out"
expect 0 'this run found 0 duplicates, 0 conflicting' "... and its index holds no damage" -- \
	cat "$WORK/three.out"

# The default state: $XDG_STATE_HOME/csumdb/NAME.state, directories made
# 0700 whatever the umask.
FILE=localhost.localdev_sumdb.state
da() { env -u XDG_STATE_HOME HOME="$WORK/home" "$@" "$SUMDB" audit --url "$PROXY_URL" "$VKEY"; }
expect 0 '^first run: .*stored in .*/xdg/csumdb/'"$FILE" "XDG_STATE_HOME: the default state there" -- \
	sh -c "umask 0; XDG_STATE_HOME='$WORK/xdg' '$SUMDB' audit --url '$PROXY_URL' '$VKEY'"
expect 0 '^700 700$' "... its directories made 0700 under umask 0" -- \
	sh -c "echo \$(stat -c '%a' '$WORK/xdg' '$WORK/xdg/csumdb')"
expect 0 "^first run: .*stored in $WORK/home/.local/state/csumdb/$FILE" "HOME: ~/.local/state/csumdb" -- da
expect 0 '^700$' "... csumdb made 0700" -- stat -c '%a' "$WORK/home/.local/state/csumdb"
mkdir "$WORK/cwd"
expect 0 "^first run: .*stored in $WORK/home2/.local/state/csumdb/$FILE" \
	"a relative XDG_STATE_HOME is ignored (XDG), not taken from the working directory" -- \
	sh -c "cd '$WORK/cwd' && XDG_STATE_HOME=rel HOME='$WORK/home2' '$SUMDB' audit --url '$PROXY_URL' '$VKEY'"
expect 0 '^yes$' "... and nothing made there" -- ok_if test ! -e "$WORK/cwd/rel"
chmod 0777 "$WORK/home/.local/state/csumdb"
expect 1 'directory .*/home/.local/state/csumdb of the state file can be written by others \(mode 0777\).*chmod go-w' \
	"a state directory others may write: refused" -- da
chmod 0770 "$WORK/home/.local/state/csumdb"
expect 1 'can be written by others \(mode 0770\)' "... the group too" -- da
chmod 0700 "$WORK/home/.local/state/csumdb"
expect 0 '^consistent' "... and 0700 again: the audit goes on" -- da
if [ "$(id -u)" -eq 0 ]; then
	chown 65534 "$WORK/home/.local/state/csumdb"
	expect 1 'belongs to uid 65534, not to this user \(uid 0\)' \
		"a state directory of another user: refused" -- da
	chown 0 "$WORK/home/.local/state/csumdb"
fi
# The directories above it, up to the home directory (as ssh checks those
# above ~/.ssh): whoever may write one could rename csumdb/ (or a
# directory above it) and put one of their own in its place.
chmod 0775 "$WORK/home/.local/state"
expect 1 "directory $WORK/home/.local/state, above the state's directory $WORK/home/.local/state/csumdb, can be written by others \\(mode 0775\\).*: chmod go-w $WORK/home/.local/state" \
	"~/.local/state writable by its group (umask 002): refused, naming it and what to do" -- da
chmod 0700 "$WORK/home/.local/state"
chmod 0757 "$WORK/home/.local"
expect 1 "directory $WORK/home/.local, above .* can be written by others \\(mode 0757\\)" \
	"~/.local writable by others: refused" -- da
chmod 0700 "$WORK/home/.local"
chmod 0770 "$WORK/home"
expect 1 "directory $WORK/home, above .* can be written by others \\(mode 0770\\)" \
	"the home directory itself writable by its group: refused" -- da
chmod 0700 "$WORK/home"
chmod 0777 "$WORK"
expect 0 '^consistent' "above the home directory nothing is checked (as ssh does)" -- da
chmod 0700 "$WORK"
if [ "$(id -u)" -eq 0 ]; then
	chown 65534 "$WORK/home/.local"
	expect 1 "directory $WORK/home/.local, above .* belongs to uid 65534, neither this user \\(uid 0\\) nor root" \
		"~/.local of another user: refused" -- da
	chown 0 "$WORK/home/.local"
fi
# With the home directory not above it ($XDG_STATE_HOME elsewhere): every
# directory up to /, where one that others may write is safe when its
# sticky bit keeps them from renaming what is not theirs (/tmp).
mkdir "$WORK/shared"
chmod 1777 "$WORK/shared"
xa() { env XDG_STATE_HOME="$WORK/shared/xdg" HOME="$WORK/home" "$SUMDB" audit --url "$PROXY_URL" "$VKEY"; }
expect 0 "^first run: .*stored in $WORK/shared/xdg/csumdb/$FILE" \
	"XDG_STATE_HOME outside the home directory, in a sticky directory others may write: used" -- xa
chmod 0777 "$WORK/shared"
expect 1 "directory $WORK/shared, above .* can be written by others \\(mode 0777\\)" \
	"... and refused once it loses its sticky bit" -- xa
chmod 1777 "$WORK/shared"
ln -s "$WORK/shared/xdg" "$WORK/home/xdglink"
chmod 0777 "$WORK/shared"
expect 1 "directory $WORK/shared, above .* can be written by others" \
	"a symbolic link on the way is followed: the directories checked are those it leads to" -- \
	env XDG_STATE_HOME="$WORK/home/xdglink" HOME="$WORK/home" "$SUMDB" audit --url "$PROXY_URL" "$VKEY"
chmod 1777 "$WORK/shared"

# A fork met while the state cannot be written: B, a copy of A grown
# differently to the size A grows to.
sumdbd_stop A
log_copy "$WORK/a.db" "$WORK/b.db"
gosum_lines 3300 3310 a >"$WORK/ga.sum"
gosum_lines 3300 3310 b >"$WORK/gb.sum"
expect 0 'tree size 3310' "A grows to 3310" -- "$SUMDBD" add --db "$WORK/a.db" "$WORK/ga.sum"
expect 0 'tree size 3310' "B, a copy, grows to 3310 differently" -- "$SUMDBD" add --db "$WORK/b.db" "$WORK/gb.sum"
sumdbd_start A "$WORK/a.db"
proxy_set "upstream $A_URL"
# The state's tile cache cannot be written (a trigger stands in for a
# full disk): the cache only saves fetches, so the audit goes on and
# accepts, and the warning says why the tiles were not kept.
python3 -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("CREATE TRIGGER no_room BEFORE INSERT ON tiles BEGIN SELECT RAISE(ABORT, \"no room for tiles\"); END")
c.commit()' "$ST"
expect 0 '^consistent: 3300 -> 3310 records' "A's 3310 accepted, the tile cache failing" -- audit
cp "$WORK/out" "$WORK/cache.out"
expect 0 'warning: could not cache tiles in the state \(.*no room for tiles.*\); the next run fetches them again' \
	"... saying why the tiles were not cached" -- cat "$WORK/cache.out"
# --full on a terminal (script(1)'s pseudo-terminal), on a copy of the
# state with the same trigger: the warning ends the progress line drawn
# while the tiles are read, and goes on a line of its own
if command -v script >/dev/null 2>&1; then
	python3 -c '
import sqlite3, sys
src, dst = sqlite3.connect(sys.argv[1]), sqlite3.connect(sys.argv[2])
src.backup(dst)
dst.close()' "$ST" "$WORK/tty.state"
	script -qec "'$SUMDB' audit --full --state '$WORK/tty.state' --url '$PROXY_URL' '$VKEY' \
	    >'$WORK/tty.o'" /dev/null >"$WORK/tty.raw"
	tr -d '\r' <"$WORK/tty.raw" >"$WORK/tty"
	expect 0 ' records/s  ETA ' "--full on a terminal, the tile cache failing: the progress line is drawn" -- \
		cat "$WORK/tty"
	expect 0 '^sumdb audit: warning: could not cache tiles in the state \(.*no room for tiles' \
		"... and the warning about the cache is said on a line of its own" -- cat "$WORK/tty"
	expect 0 '^yes$' "... as is every message" -- ok_if sh -c "! grep -q '.sumdb audit: ' '$WORK/tty'"
fi
python3 -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("DROP TRIGGER no_room")
c.commit()' "$ST"
sumdbd_start B "$WORK/b.db"
proxy_set "upstream $B_URL"
# another process (an sqlite3 shell, say) holds the state's write lock
python3 -c '
import sqlite3, sys, time
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=0)
c.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(300)' "$ST" >"$WORK/holder.out" 2>&1 &
PIDS="$PIDS $!"
expect 0 '^yes$' "another process holds the state's write lock" -- \
	ok_if wait_for 20 grep -q locked "$WORK/holder.out"
expect 2 'WARNING: evidence of misbehavior could not be stored \(state file .*/audit.state: store evidence: .*another process' \
	"audit, a fork: the evidence cannot be stored, and why" -- audit
cp "$WORK/out" "$WORK/fork.out"
expect 0 'WARNING: the evidence could not be stored \(see above\): keep this output' \
	"... and to keep what it printed" -- cat "$WORK/fork.out"
expect 0 '^two different trees of the same size' "... which is the evidence" -- cat "$WORK/fork.out"
expect 2 'could not be stored \(state file .*another process.*\); here it is, keep it:' \
	"lookup --state, the same fork: the evidence is printed since it cannot be stored" -- \
	"$SUMDB" lookup --state "$ST" --url "$PROXY_URL" "$VKEY" example.com/m5@v1.0.0
cp "$WORK/out" "$WORK/lookup.out"
expect 0 '^two different trees of the same size' "... the evidence itself" -- cat "$WORK/lookup.out"
stop_pids
PIDS=
expect 2 'the evidence is stored in the state file' "the lock gone, the next audit stores it" -- audit
expect 2 '1 piece of evidence of misbehavior' "sumdb evidence shows it" -- \
	"$SUMDB" evidence --state "$ST" "$VKEY"

# An accept whose copy into the state file a reader of an older snapshot
# held up is in the -wal only; the next run, finding the tree unchanged,
# copies it into the file.  A reader of the newest snapshot is there
# meanwhile: it holds no copy up, but keeps the last connection's close
# from copying (as it would with no other process at the state).
ST2="$WORK/wal.state"
audit2() { "$SUMDB" audit --state "$ST2" --url "$A_URL" "$VKEY"; }
# in_file: the tree accepted in a copy of the state file alone, without
# its -wal (what a backup of the file alone holds)
in_file() {
	rm -f "$WORK/copy.state" "$WORK/copy.state-wal" "$WORK/copy.state-shm"
	cp "$ST2" "$WORK/copy.state" && python3 -c \
	    'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT size FROM accepted").fetchone()[0])' \
	    "$WORK/copy.state"
}
# hold: a read-only connection to the state that reads in a transaction
# and keeps it open, holding the snapshot it read.  The output of an
# earlier one goes first: the new one's redirection is made in the
# background, and the wait below must not find the old "reading" line.
hold() {
	rm -f "$WORK/hold.out"
	python3 -c '
import sqlite3, sys, time
c = sqlite3.connect("file:%s?mode=ro" % sys.argv[1], uri=True, isolation_level=None)
c.execute("BEGIN")
print("reading", c.execute("SELECT size FROM accepted").fetchone()[0], flush=True)
time.sleep(300)' "$ST2" >"$WORK/hold.out" 2>&1 &
	PIDS="$PIDS $!"
	wait_for 20 grep -q reading "$WORK/hold.out"
}
expect 0 '^first run: trusting the tree of 3310 records' "a state of its own" -- audit2
hold
gosum_lines 3310 3320 >"$WORK/g3.sum"
expect 0 'tree size 3320' "A grows to 3320" -- "$SUMDBD" add --db "$WORK/a.db" "$WORK/g3.sum"
expect 1 'the tree of 3320 records is accepted, but is held in .*/wal.state-wal only' \
	"a reader of an older snapshot: the accept is held in the -wal only, and said so" -- audit2
expect 0 '^3310$' "... the file alone holds the tree before" -- in_file
stop_pids
PIDS=
hold
expect 0 '^reading 3320$' "that reader gone, another reads the newest snapshot" -- cat "$WORK/hold.out"
expect 0 '^consistent: 3320 records, unchanged' "the next run finds the tree unchanged" -- audit2
expect 0 '^3320$' "... and copies it into the file" -- in_file
stop_pids
PIDS=

# The full audit's lock: flock takes a descriptor opened for reading
# alone, so a lock file others may open is one any local user can hold,
# keeping every full audit from running.  As root, the other user is
# nobody.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null 2>&1 &&
    command -v flock >/dev/null 2>&1; then
	SL=$(mktemp -d /tmp/csumdb-sl.XXXXXX)
	chmod 755 "$SL"
	full3() { (umask 022 && "$SUMDB" audit --full --state "$SL/s.state" --url "$A_URL" "$VKEY"); }
	expect 0 'first run' "a full audit of a state others may read" -- full3
	expect 0 '^644 600$' "its lock is 0600" -- sh -c "echo \$(stat -c %a '$SL/s.state' '$SL/s.state-lock')"
	hold_lock "$SL/s.state-lock"
	expect 0 '^consistent' "another user cannot hold it to keep the full audit from running" -- full3
	drop_lock
	expect 0 "Permission denied" "... the other user's open was refused" -- cat "$WORK/flock.out"
	chmod 644 "$SL/s.state-lock"
	expect 0 '^consistent' "a lock file others may read (made so before) is taken" -- full3
	expect 0 '^600$' "... and made 0600" -- stat -c %a "$SL/s.state-lock"
	rm -rf "$SL"
	SL=
else
	echo "skip: not root, or no user nobody, setpriv or flock: the full audit's lock is not attacked"
fi
e2e_done
