#!/bin/sh
# Both programs started with standard input, output or error closed (a
# supervisor that closes them, `sumdbd serve >&- 2>&-`): the files they
# open must not take descriptors 0, 1 and 2, else a message meant for
# standard error is written into a lock file, a key file or a socket.
# What cannot be written is still reported as before.
. "$top_srcdir/tests/e2e/lib.sh"
DB="$WORK/s.db"

"$SUMDBD" init --db "$DB" --name sum.test.example >"$WORK/init.out" 2>&1 ||
	{ cat "$WORK/init.out"; exit 1; }
VKEY=$(sed -n 's/^verifier key: //p' "$WORK/init.out")
gosum_lines 0 2 >"$WORK/a.sum"
gosum_lines 0 2 other >"$WORK/b.sum"
expect 0 "^added 2," "add records two modules" -- "$SUMDBD" add --db "$DB" "$WORK/a.sum"

# no_message FILE DESC: FILE holds no line a command would say.
no_message() {
	if grep -q "sumdb" "$1"; then
		e2e_fail=$((e2e_fail + 1))
		echo "FAIL: $2: $1 holds a message:"
		sed 's/^/    /' "$1"
	else
		e2e_pass=$((e2e_pass + 1))
		echo "ok: $2"
	fi
}

# add opens the database's lock file first: with standard error closed
# it took descriptor 2, and the conflict report went into it.
: >"$DB-lock"
expect 0 "^2$" "add of conflicting lines with standard error closed exits 2" -- \
	sh -c '"$1" add --db "$2" "$3" 2>&-; echo $?' sh "$SUMDBD" "$DB" "$WORK/b.sum"
no_message "$DB-lock" "... and its report is not written into the lock file"
expect 0 "^2$" "... nor with all three closed" -- \
	sh -c '"$1" add --db "$2" "$3" <&- >&- 2>&-; echo $?' sh "$SUMDBD" "$DB" "$WORK/b.sum"
no_message "$DB-lock" "... in the lock file"
expect 2 "CONFLICT: example.com/m0 v1.0.0" "the same conflict with standard error open is reported" -- \
	"$SUMDBD" add --db "$DB" "$WORK/b.sum"

# A closed standard output is still one that cannot be written.
: >"$DB-lock"
expect 1 "^sumdbd fsck: writing standard output: Bad file descriptor$" \
	"fsck with standard output closed says its report could not be written" -- \
	sh -c 'exec "$1" fsck --db "$2" >&-' sh "$SUMDBD" "$DB"
no_message "$DB-lock" "... and writes it into no file"
expect 1 "^sumdbd add: standard input: Bad file descriptor$" \
	"add - with standard input closed says it cannot read it" -- \
	sh -c 'exec "$1" add --db "$2" - <&-' sh "$SUMDBD" "$DB"

# serve and the verifier: every file they leave holds what it should.
: >"$DB-lock"
"$SUMDBD" serve --db "$DB" --listen 127.0.0.1:0 --no-public <&- >&- 2>&- &
PIDS=$!
wait_for 20 test -S "$DB.admin.sock" || echo "FAIL: serve with all three closed made no admin socket"
expect 0 "^added 0, already present 2" "serve with all three closed takes an add" -- \
	"$SUMDBD" add --db "$DB" "$WORK/a.sum"
for f in "$DB-lock" "$DB.key" "$DB.key.checkpoint" "$DB.key.checkpoint.lock" "$DB.admin.token"; do
	no_message "$f" "serve with all three closed: nothing said into ${f#"$WORK"/}"
done
kill -TERM "$PIDS"
wait "$PIDS"
PIDS=

STATE="$WORK/audit.state"
sumdbd_start srv "$DB"
expect 0 "^1$" "sumdb audit --full with all three closed exits 1 (its report unwritable)" -- \
	sh -c '"$1" audit --full --state "$2" --url "$3" "$4" <&- >&- 2>&-; echo $?' \
	sh "$SUMDB" "$STATE" "$srv_URL" "$VKEY"
sumdbd_stop srv
for f in "$STATE"-*; do
	no_message "$f" "sumdb audit with all three closed: nothing said into ${f#"$WORK"/}"
done

e2e_done
