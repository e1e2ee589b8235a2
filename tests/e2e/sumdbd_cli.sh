#!/bin/sh
# sumdbd init, keygen, add and fsck on a scratch database: the GOSUMDB
# line, the key file's mode, refusals to overwrite, add's counts and its
# all-or-nothing refusals, fsck clean and fsck on records, tiles and
# signed trees damaged with raw SQLite, and --help on every command.
. "$top_srcdir/tests/e2e/lib.sh"
SUMDBD="$top_builddir/sumdbd"
# background processes, stopped by PID, and the directory of the lock
# attack (outside $WORK, which others cannot enter), on every exit
PIDS=
CL=
cli_cleanup() {
	stop_pids
	[ -z "$CL" ] || rm -rf "$CL"
	e2e_cleanup
}
trap cli_cleanup EXIT
DB="$WORK/s.db"
VKEY_RE='sum\.test\.example\+[0-9a-f]{8}\+[A-Za-z0-9+/=]{44}'

expect 0 "^GOSUMDB=\"$VKEY_RE http://127\.0\.0\.1:3030\"$" "init prints the GOSUMDB line" -- \
	"$SUMDBD" init --db "$DB" --name sum.test.example
expect 0 "^600$" "key file is mode 0600" -- stat -c %a "$DB.key"
expect 1 "refusing to overwrite a database" "init refuses an existing database" -- \
	"$SUMDBD" init --db "$DB" --name sum.test.example
expect 1 "refusing to overwrite a key file" "init refuses an existing key file" -- \
	"$SUMDBD" init --db "$WORK/t.db" --name sum.test.example --key-out "$DB.key"
expect 0 "^absent$" "a refused init leaves no database behind" -- \
	sh -c "test -e \"$WORK/t.db\" || echo absent"
# A --db in a directory that is not there: said of the directory, not of
# the key file init would first fail to write in it.
expect 1 "^sumdbd init: --db $WORK/nodir/x\.db: directory $WORK/nodir: No such file or directory \(make it first\)$" \
	"init names a missing directory of --db" -- "$SUMDBD" init --db "$WORK/nodir/x.db" --name sum.test.example
expect 1 "^sumdbd init: --key-out $WORK/nodir/x\.key: directory $WORK/nodir: No such file" \
	"... and of --key-out" -- "$SUMDBD" init --db "$WORK/x.db" --key-out "$WORK/nodir/x.key" --name sum.test.example
expect 0 "^none$" "... leaving nothing behind" -- sh -c "ls '$WORK' | grep '^x\.db' || echo none"
expect 1 "not a valid log name" "init refuses a name that is not host[/path]" -- \
	"$SUMDBD" init --db "$WORK/u.db" --name "bad name+x"
expect 0 "^GOSUMDB=\"sum\.test\.example\+" "init imports an existing key" -- \
	"$SUMDBD" init --db "$WORK/imp.db" --key "$DB.key"
expect 0 "^PRIVATE\+KEY\+k\.example\+[0-9a-f]{8}\+" "keygen prints a signer key" -- \
	"$SUMDBD" keygen k.example
expect 0 "^k\.example\+[0-9a-f]{8}\+[A-Za-z0-9+/=]{44}$" "keygen prints a verifier key" -- \
	"$SUMDBD" keygen k.example
expect 1 "usage: sumdbd keygen" "keygen without a name" -- "$SUMDBD" keygen
# getopt's own messages name the program and the command, as ours do.
expect 1 "^sumdbd serve: unrecognized option '--bogus'" "an unknown option is named with the command" -- \
	"$SUMDBD" serve --bogus
expect 1 "^sumdbd add: option '--db' requires an argument" "a missing option argument too" -- \
	"$SUMDBD" add --db
# keygen makes no key that init --key would then refuse for its name.
expect 1 "^sumdbd keygen: a_b\.example: not a valid log name \(host\[/path\]" \
	"keygen refuses a name init refuses" -- "$SUMDBD" keygen a_b.example
# keygen's output as it is, in a file, is a key file; a second line that
# is not the key's own verifier key is refused.
(umask 077; "$SUMDBD" keygen kg.example >"$WORK/kg.key")
expect 0 "^GOSUMDB=\"kg\.example\+" "init takes keygen's two-line output as a key file" -- \
	"$SUMDBD" init --db "$WORK/kg.db" --key "$WORK/kg.key"
"$SUMDBD" init --db "$WORK/kg2.db" --key "$WORK/kg.key" >"$WORK/kg2.out" 2>&1
expect 0 '^yes$' "with the verifier key keygen printed" -- \
	ok_if grep -qxF "verifier key: $(sed -n 2p "$WORK/kg.key")" "$WORK/kg2.out"
# The example keygen --help gives, as it stands, for a name with a path
# (as the quick start's localhost.localdev/sumdb): a key file init takes.
kg_cmd=$("$SUMDBD" keygen --help | sed -n 's/^  (\(umask 077; sumdbd keygen NAME > .*\))$/\1/p')
expect 0 '^yes$' "keygen --help shows how to write a key file" -- ok_if test -n "$kg_cmd"
kg_run=$(printf '%s\n' "$kg_cmd" | sed 's/NAME/"$NAME"/g')
mkdir "$WORK/kgex"
(cd "$WORK/kgex" && NAME=localhost.localdev/sumdb PATH="$top_builddir:$PATH" && eval "$kg_run")
expect 0 '^GOSUMDB="localhost\.localdev/sumdb\+' "... which works for a log name with a path" -- \
	sh -c "cd '$WORK/kgex' && NAME=localhost.localdev/sumdb && '$SUMDBD' init --db ex.db --key ${kg_run##*> }"
{ sed -n 1p "$WORK/kg.key"; "$SUMDBD" keygen kg.example | sed -n 2p; } >"$WORK/kg-mixed.key"
chmod 600 "$WORK/kg-mixed.key"
expect 1 "second line may only be the key's own verifier key" "a key file with another key's verifier line is refused" -- \
	"$SUMDBD" init --db "$WORK/kg3.db" --key "$WORK/kg-mixed.key"

# A signer key others can read is used, with a warning naming the fix.
cp "$DB.key" "$WORK/open.key"
chmod 644 "$WORK/open.key"
expect 0 "warning: signer key file .*open.key can be read or written by others \(mode 0644\); chmod 600" \
	"a key file readable by others: warned" -- "$SUMDBD" init --db "$WORK/open.db" --key "$WORK/open.key"
expect 0 '^1$' "... once" -- sh -c "\"$SUMDBD\" init --db \"$WORK/open2.db\" --key \"$WORK/open.key\" 2>&1 | grep -c warning"
expect 0 '^yes$' "a key file of mode 0600: no warning" -- \
	ok_if sh -c "! \"$SUMDBD\" init --db \"$WORK/closed.db\" --key \"$DB.key\" 2>&1 | grep -q warning"

cat >"$WORK/a.sum" <<'GOSUM'
golang.org/x/text v0.3.0 h1:g61tztE5qeGQ89tm6NTjjM9VPIm088od1l6aSorWRWg=
golang.org/x/text v0.3.0/go.mod h1:NqM8EUOU14njkJ3fqMW+pc6Ldnwhi/IjpwHt7yyuwOQ=
rsc.io/quote v1.5.2 h1:w5fcysjrx7yqtD/aO+QwRjYZOKnaM9Uh2b40tElTs3Y=
rsc.io/quote v1.5.2/go.mod h1:LzX7hefJvL54yjefDEDHNONDjII0t9xZLPXsUe+TKr0=
GOSUM
cat >"$WORK/b.sum" <<'GOSUM'
rsc.io/quote v1.5.2 h1:w5fcysjrx7yqtD/aO+QwRjYZOKnaM9Uh2b40tElTs3Y=
rsc.io/quote v1.5.2/go.mod h1:LzX7hefJvL54yjefDEDHNONDjII0t9xZLPXsUe+TKr0=
rsc.io/sampler v1.3.0 h1:7uVkIFmeBqHfdjD+gZwtXXI+RODJ2Wc4O7MPEh/QiW4=
rsc.io/sampler v1.3.0/go.mod h1:T1hPZKmBbMNahiBKFy5HrXp6adAjACjK9JXDnKaTXpA=
GOSUM
# A new version plus a conflicting hash for a recorded one.
cat >"$WORK/conflict.sum" <<'GOSUM'
example.com/new v1.0.0 h1:w5fcysjrx7yqtD/aO+QwRjYZOKnaM9Uh2b40tElTs3Y=
example.com/new v1.0.0/go.mod h1:LzX7hefJvL54yjefDEDHNONDjII0t9xZLPXsUe+TKr0=
golang.org/x/text v0.3.0 h1:AAAAztE5qeGQ89tm6NTjjM9VPIm088od1l6aSorWRWg=
golang.org/x/text v0.3.0/go.mod h1:NqM8EUOU14njkJ3fqMW+pc6Ldnwhi/IjpwHt7yyuwOQ=
GOSUM
printf 'example.com/half v1.0.0 h1:w5fcysjrx7yqtD/aO+QwRjYZOKnaM9Uh2b40tElTs3Y=\n' >"$WORK/half.sum"
printf 'rsc.io/quote v1.5.2 h1:w5fcysjrx7yqtD/aO+QwRjYZOKnaM9Uh2b40tElTs3Y=\nthis is not a go.sum line\n' >"$WORK/bad.sum"

expect 0 "^added 2, already present 0 .*tree size 2$" "add records two versions" -- \
	"$SUMDBD" add --db "$DB" "$WORK/a.sum"
expect 0 "^added 0, already present 2 .*tree size 2$" "re-adding skips them (stdin)" -- \
	sh -c "\"$SUMDBD\" add --db \"$DB\" < \"$WORK/a.sum\""
expect 0 "^added 1, already present 1 .*tree size 3$" "add of a partly new file" -- \
	"$SUMDBD" add --db "$DB" "$WORK/b.sum"
expect 2 "CONFLICT: golang.org/x/text v0.3.0 is recorded" "conflicting hash refused" -- \
	"$SUMDBD" add --db "$DB" "$WORK/conflict.sum"
expect 0 "^added 0, already present 3 .*tree size 3$" "nothing of the refused batch was written" -- \
	"$SUMDBD" add --db "$DB" "$WORK/a.sum" "$WORK/b.sum"
expect 1 "example.com/half v1.0.0 has no /go.mod h1: line" "version without /go.mod line refused, named" -- \
	"$SUMDBD" add --db "$DB" "$WORK/half.sum"
printf 'example.com/modonly v1.0.0/go.mod h1:w5fcysjrx7yqtD/aO+QwRjYZOKnaM9Uh2b40tElTs3Y=\n' >"$WORK/modonly.sum"
expect 1 "has no h1: \(module zip\) line" "offline: a version with only its /go.mod line is refused" -- \
	"$SUMDBD" add --db "$DB" "$WORK/a.sum" "$WORK/modonly.sum"
expect 0 "^skipped 1 version with only a /go.mod line$" "offline: --skip-gomod-only skips it" -- \
	"$SUMDBD" add --db "$DB" --skip-gomod-only "$WORK/a.sum" "$WORK/modonly.sum"
expect 1 "bad.sum: go.sum line 2" "malformed line reported with its line number" -- \
	"$SUMDBD" add --db "$DB" "$WORK/bad.sum"
expect 1 "no-such.sum" "missing input file" -- "$SUMDBD" add --db "$DB" "$WORK/no-such.sum"
# An input over the 64 MiB an add reads of each (a sparse file: no disk
# used) is refused with the way to add it: in pieces, to one add.
truncate -s 67108865 "$WORK/huge.sum"
expect 1 "^sumdbd add: $WORK/huge\.sum: larger than 67108864 bytes: split it into pieces of at most 64 MiB \(split -C 64M\) and give them all to one add" \
	"an input over 64 MiB is refused, saying how to add it" -- "$SUMDBD" add --db "$DB" "$WORK/huge.sum"
rm -f "$WORK/huge.sum"
# ... which records the versions of every piece as one input: a version's
# two lines may be in two pieces.
sed -n 1p "$WORK/conflict.sum" >"$WORK/piece1.sum"
sed -n 2p "$WORK/conflict.sum" >"$WORK/piece2.sum"
"$SUMDBD" init --db "$WORK/pieces.db" --name sum.test.example >/dev/null
expect 0 "^added 1, already present 0 .*tree size 1$" "a version's two lines in two inputs of one add" -- \
	"$SUMDBD" add --db "$WORK/pieces.db" "$WORK/piece1.sum" "$WORK/piece2.sum"

expect 0 "^checked 3 records, 1 tiles, 3 signed trees: clean$" "fsck of a clean database" -- \
	"$SUMDBD" fsck --db "$DB"
# only --drop-unsigned reads the checkpoint: not taken as if checked
expect 1 "^sumdbd fsck: --checkpoint is for --drop-unsigned, which is not given" \
	"fsck --checkpoint without --drop-unsigned: refused" -- \
	"$SUMDBD" fsck --db "$DB" --checkpoint "$DB.key.checkpoint"

# A refused init leaves nothing behind, not even the writer lock file of
# the database it had begun: a second try must not trip over debris.
expect 1 "has already signed a tree of size 3 for another database" \
	"init refuses a key that has signed another log" -- "$SUMDBD" init --db "$WORK/again.db" --key "$DB.key"
expect 0 "^none$" "... and leaves no file behind, no lock file either" -- \
	sh -c "ls '$WORK' | grep '^again\.db' || echo none"
# An init that fails after it made the key: the database cannot be
# written (a file size limit, as on a full disk), or the key's checkpoint
# cannot (its temporary file's name is taken by a directory).  Each says
# what failed, exits 1 and leaves neither key nor database nor any of
# their side files, so that it can simply be run again.
mkdir "$WORK/fail"
expect 1 "^sumdbd init: $WORK/fail/big\.db: database: " "init whose database cannot be written says so" -- \
	sh -c "trap '' XFSZ; ulimit -f 1 && exec '$SUMDBD' init --db '$WORK/fail/big.db' --name big.example"
mkdir "$WORK/fail/cp.db.key.checkpoint.tmp"
expect 1 "^sumdbd init: $WORK/fail/cp\.db: cannot write checkpoint $WORK/fail/cp\.db\.key\.checkpoint: its temporary file $WORK/fail/cp\.db\.key\.checkpoint\.tmp: " \
	"init whose checkpoint cannot be written says so" -- \
	"$SUMDBD" init --db "$WORK/fail/cp.db" --name cp.example
expect 0 "^cp\.db\.key\.checkpoint\.tmp $" "... and each leaves nothing behind but what was there" -- \
	sh -c "ls -A '$WORK/fail' | tr '\n' ' '"
rmdir "$WORK/fail/cp.db.key.checkpoint.tmp"
expect 0 "^GOSUMDB=" "... so that init can be run again" -- "$SUMDBD" init --db "$WORK/fail/cp.db" --name cp.example
# An init whose new key's checkpoint lock another process holds (one
# that took it after init looked) is refused as in use, and leaves that
# lock file alone: removing a lock another holds would let a third take
# a new one beside it.
if command -v flock >/dev/null 2>&1; then
	: >"$WORK/fail/held.db.key.checkpoint.lock"
	# one process that holds the lock until it is stopped: flock(1)
	# running a command would leave that command holding it after
	# flock itself is stopped
	(exec 9>>"$WORK/fail/held.db.key.checkpoint.lock" && flock -x 9 && exec sleep 600) &
	HOLDER=$!
	PIDS="$PIDS $HOLDER"
	wait_for 10 sh -c "! flock -n -x '$WORK/fail/held.db.key.checkpoint.lock' true"
	expect 1 "in use by another sumdbd" "init whose checkpoint lock another holds is refused" -- \
		"$SUMDBD" init --db "$WORK/fail/held.db" --name held.example
	expect 0 "^held\.db\.key\.checkpoint\.lock $" "... and leaves that lock file in place" -- \
		sh -c "ls -A '$WORK/fail' | grep '^held' | tr '\n' ' '"
	# ... and the checkpoint under that lock, written by its holder
	# after init looked for one, is the holder's too: left in place.
	# (strace slows each flock of init, so that the checkpoint can be
	# written between init's look and its clean-up; LeakSanitizer
	# cannot work under a tracer: off for this run.)
	if command -v strace >/dev/null 2>&1 && strace -o /dev/null true 2>/dev/null; then
		ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" strace -f -o /dev/null \
		    -e trace=flock -e inject=flock:delay_enter=500000 "$SUMDBD" init \
		    --db "$WORK/fail/held2.db" --name held.example \
		    --checkpoint "$WORK/fail/held.db.key.checkpoint" >"$WORK/held2.out" 2>&1 &
		INIT=$!
		PIDS="$PIDS $INIT"
		wait_for 10 test -e "$WORK/fail/held2.db"
		echo "the holder's checkpoint" >"$WORK/fail/held.db.key.checkpoint"
		wait "$INIT"
		INIT_ST=$?
		expect 1 "in use by another sumdbd" "an init refused so while the holder writes its checkpoint" -- \
			sh -c "cat '$WORK/held2.out'; exit $INIT_ST"
		expect 0 "^held\.db\.key\.checkpoint held\.db\.key\.checkpoint\.lock $" \
			"... leaves that checkpoint and its lock, and nothing of its own" -- \
			sh -c "ls -A '$WORK/fail' | grep '^held' | tr '\n' ' '"
		rm -f "$WORK/fail/held.db.key.checkpoint"
	else
		echo "skip: strace cannot trace here: an init's clean-up beside a held checkpoint is not checked"
	fi
	kill "$HOLDER"
	wait "$HOLDER" 2>/dev/null
	rm -f "$WORK/fail/held.db.key.checkpoint.lock"
fi
# The verifier key and GOSUMDB line are said only by init: when they
# cannot be written (standard output on a full disk), init fails as a
# whole, and exit 1 still means that it can be run again.
if [ -w /dev/full ]; then
	expect 1 "^sumdbd init: writing standard output: .*: the verifier key could not be printed; undoing the init of $WORK/fail/out\.db$" \
		"init >/dev/full: exit 1, said" -- \
		sh -c "'$SUMDBD' init --db '$WORK/fail/out.db' --name out.example >/dev/full"
	expect 0 "^none$" "... leaving neither database nor key" -- \
		sh -c "ls '$WORK/fail' | grep '^out\.db' || echo none"
fi
# A --db that is not a csumdb database (arguments swapped, a mistyped
# name) is refused as such, and left exactly as it was: another
# program's SQLite database is not switched to WAL, and no lock file is
# left beside it.
expect 1 "a\.sum is not a csumdb database" "add refuses a --db that is a go.sum file" -- \
	"$SUMDBD" add --db "$WORK/a.sum" "$WORK/b.sum"
expect 1 "a\.sum is not a csumdb database" "... so does fsck" -- "$SUMDBD" fsck --db "$WORK/a.sum"
expect 1 "a\.sum is not a csumdb database" "... and status" -- "$SUMDBD" status --db "$WORK/a.sum"
expect 0 "^none$" "... and no lock file is left beside it" -- \
	sh -c "ls '$WORK' | grep '^a\.sum-' || echo none"
if command -v sqlite3 >/dev/null 2>&1; then
	sqlite3 "$WORK/other.db" "CREATE TABLE t(x); INSERT INTO t VALUES (1)"
	expect 1 "other\.db is not a csumdb database" "add refuses another program's SQLite database" -- \
		"$SUMDBD" add --db "$WORK/other.db" "$WORK/a.sum"
	expect 1 "other\.db is not a csumdb database" "... so does fsck --drop-unsigned" -- \
		"$SUMDBD" fsck --drop-unsigned --db "$WORK/other.db"
	expect 0 "^delete$" "... and leaves it in its journal mode (not WAL)" -- \
		sqlite3 "$WORK/other.db" "PRAGMA journal_mode"
	expect 0 "^none$" "... without a lock file beside it" -- \
		sh -c "ls '$WORK' | grep '^other\.db-' || echo none"
	# Tables named as csumdb's, made by another program, are no
	# evidence: it is another program's database, left as it was.
	sqlite3 "$WORK/lookalike.db" "CREATE TABLE config(key TEXT PRIMARY KEY, value TEXT);
		CREATE TABLE records(id INTEGER PRIMARY KEY, path, version, text);
		CREATE TABLE tiles(level, n, hashes); CREATE TABLE trees(size, hash, note)"
	expect 1 "lookalike\.db is not a csumdb database" "fsck refuses a database whose tables only have csumdb's names" -- \
		"$SUMDBD" fsck --db "$WORK/lookalike.db"
	expect 1 "lookalike\.db is not a csumdb database" "... so does add" -- \
		"$SUMDBD" add --db "$WORK/lookalike.db" "$WORK/a.sum"
	expect 0 "^delete$" "... leaving it in its journal mode" -- sqlite3 "$WORK/lookalike.db" "PRAGMA journal_mode"
	expect 0 "^none$" "... without a lock file beside it" -- \
		sh -c "ls '$WORK' | grep '^lookalike\.db-' || echo none"

	# A csumdb database with parts missing is damage, not another
	# program's file: what is left of it is, byte for byte, what sumdbd
	# init made.  fsck reports the damage; serve, add and status refuse
	# to use it, naming what is missing.
	cp "$DB" "$WORK/notiles.db"
	sqlite3 "$WORK/notiles.db" "DROP TABLE tiles"
	expect 2 "notiles\.db is damaged: it has no tiles table" "fsck reports a dropped tiles table as damage" -- \
		"$SUMDBD" fsck --db "$WORK/notiles.db"
	expect 2 "notiles\.db is damaged: it has no tiles table" "... so does fsck --drop-unsigned, dropping nothing" -- \
		"$SUMDBD" fsck --db "$WORK/notiles.db" --drop-unsigned
	expect 2 "notiles\.db is damaged: it has no tiles table" "add refuses it as damaged" -- \
		"$SUMDBD" add --db "$WORK/notiles.db" "$WORK/b.sum"
	expect 1 "notiles\.db is damaged: it has no tiles table" "... so does status" -- \
		"$SUMDBD" status --db "$WORK/notiles.db"
	expect 1 "notiles\.db is damaged: it has no tiles table" "... and serve" -- \
		timeout 10 "$SUMDBD" serve --db "$WORK/notiles.db" --listen 127.0.0.1:0 --no-admin --no-public
	cp "$DB" "$WORK/noversion.db"
	sqlite3 "$WORK/noversion.db" "DELETE FROM config WHERE key = 'schema_version'"
	expect 2 "noversion\.db is damaged: it has no schema_version config row" \
		"fsck reports a missing schema_version row as damage" -- "$SUMDBD" fsck --db "$WORK/noversion.db"
	expect 1 "noversion\.db is damaged: it has no schema_version config row" "... and status refuses it" -- \
		"$SUMDBD" status --db "$WORK/noversion.db"
	cp "$DB" "$WORK/noconfig.db"
	sqlite3 "$WORK/noconfig.db" "DROP TABLE config; DROP TABLE trees"
	expect 2 "noconfig\.db is damaged: it has no config table, no trees table;" \
		"fsck names every missing part" -- "$SUMDBD" fsck --db "$WORK/noconfig.db"
fi

# status names the signer key the database uses, and says when it is not
# there (serve and add would fail at start), never reading it.
expect 0 "^signer key: .*/s\.db\.key$" "status names the signer key file" -- "$SUMDBD" status --db "$DB"
mv "$DB.key" "$WORK/moved.key"
expect 1 "^signer key: .*/s\.db\.key: No such file or directory \(serve and add cannot sign without --key FILE\)$" \
	"status says when the signer key file is gone (its checkpoint unknown: exit 1)" -- "$SUMDBD" status --db "$DB"
mv "$WORK/moved.key" "$DB.key"
chmod 640 "$DB.key"
expect 0 "^signer key: .*/s\.db\.key \(mode 0640: others can read or write it; chmod 600 it\)$" \
	"... and when others can read it" -- "$SUMDBD" status --db "$DB"
chmod 600 "$DB.key"
# A --checkpoint in a directory that is not there: said of the directory,
# as init says it, not taken for a checkpoint not written yet.
expect 1 "^checkpoint: $WORK/nodir/x\.checkpoint: directory $WORK/nodir: No such file or directory \(make it first" \
	"status names a missing directory of --checkpoint" -- \
	"$SUMDBD" status --db "$DB" --checkpoint "$WORK/nodir/x.checkpoint"
# A checkpoint that cannot be read, or is no tree the key signed: one
# "checkpoint:" before its path, as on the other checkpoint lines.
printf 'not a signed tree\n' >"$WORK/bad.checkpoint"
expect 1 "^checkpoint: $WORK/bad\.checkpoint is not a tree this key signed" \
	"status says when the checkpoint is not a signed tree" -- \
	"$SUMDBD" status --db "$DB" --checkpoint "$WORK/bad.checkpoint"
mkdir "$WORK/dir.checkpoint"
expect 1 "^checkpoint: $WORK/dir\.checkpoint: Is a directory$" \
	"... and when it cannot be read" -- \
	"$SUMDBD" status --db "$DB" --checkpoint "$WORK/dir.checkpoint"
expect 1 "^checkpoint: $WORK/x\.checkpoint: none, and the database holds a tree of [0-9]* records: serve and add refuse it without --checkpoint FILE .* or --new-checkpoint " \
	"... while one not written yet, with records in the database, is one serve and add refuse" -- \
	"$SUMDBD" status --db "$DB" --checkpoint "$WORK/x.checkpoint"
"$SUMDBD" init --db "$WORK/e.db" --name sum.test.example >/dev/null
expect 1 "^checkpoint: $WORK/x\.checkpoint: none, and the database holds a tree of 0 records: serve and add refuse it" \
	"... and of an empty database too (init writes one)" -- \
	"$SUMDBD" status --db "$WORK/e.db" --checkpoint "$WORK/x.checkpoint"
# Records whose signed tree is gone (a damaged or edited database): never
# "none signed yet", even when no checkpoint is there to object.
"$SUMDBD" init --db "$WORK/notree.db" --name sum.test.example >/dev/null
gosum_lines 0 3 >"$WORK/notree.sum"
"$SUMDBD" add --db "$WORK/notree.db" "$WORK/notree.sum" >/dev/null || fail "add to notree.db"
gosum_lines 3 5 >"$WORK/notree.sum"
"$SUMDBD" add --db "$WORK/notree.db" "$WORK/notree.sum" >/dev/null || fail "add to notree.db"
python3 -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("DELETE FROM trees WHERE size = (SELECT max(size) FROM trees)")
c.commit()' "$WORK/notree.db"
expect 1 "^tree: DAMAGED: the database holds 5 records, its newest signed tree 3 \(sumdbd fsck tells more\)$" \
	"status says when records are past the newest signed tree" -- \
	"$SUMDBD" status --db "$WORK/notree.db" --checkpoint "$WORK/none.checkpoint"
python3 -c '
import sqlite3, sys
c = sqlite3.connect(sys.argv[1])
c.execute("DELETE FROM trees")
c.commit()' "$WORK/notree.db"
expect 1 "^tree: DAMAGED: the database holds 5 records, but no signed tree \(sumdbd fsck tells more\)$" \
	"... and when no tree is signed over records, with no checkpoint there (exit 1, not 0)" -- \
	"$SUMDBD" status --db "$WORK/notree.db" --checkpoint "$WORK/none.checkpoint"
expect 1 "^sumdbd init: --checkpoint $WORK/nodir/x\.checkpoint: directory $WORK/nodir: No such file or directory \(make it first\)$" \
	"init names a missing directory of --checkpoint" -- \
	"$SUMDBD" init --db "$WORK/cpdir.db" --name sum.test.example --checkpoint "$WORK/nodir/x.checkpoint"
expect 0 "^none$" "... leaving nothing behind" -- sh -c "ls '$WORK' | grep '^cpdir\.db' || echo none"

# The checkpoint is written to CHECKPOINT.tmp, then renamed: a symlink
# left there (by whoever may write the key's directory) is not followed
# into the file it names.
"$SUMDBD" init --db "$WORK/cpl.db" --name cpl.example >/dev/null
printf 'precious\n' >"$WORK/victim"
ln -s "$WORK/victim" "$WORK/cpl.db.key.checkpoint.tmp"
expect 0 "tree size 2" "add with a symlink where the checkpoint's temporary file goes" -- \
	"$SUMDBD" add --db "$WORK/cpl.db" "$WORK/a.sum"
expect 0 "^precious$" "... the file it names is left as it was" -- cat "$WORK/victim"
expect 0 "^yes$" "... and the checkpoint is a file of its own, the signed tree of 2" -- \
	ok_if sh -c "test ! -L '$WORK/cpl.db.key.checkpoint' && sed -n 2p '$WORK/cpl.db.key.checkpoint' | grep -qx 2"

# A name SQLite would read as a URI is a file name: the log is kept there.
expect 0 "created file:u.db" "init of a URI-looking relative name" -- \
	sh -c "cd '$WORK' && '$SUMDBD' init --db 'file:u.db?mode=memory' --name uri.example"
expect 0 "tree size 2" "add to it" -- sh -c "cd '$WORK' && '$SUMDBD' add --db 'file:u.db?mode=memory' '$WORK/a.sum'"
expect 0 "^checked 2 records, 1 tiles, 2 signed trees: clean$" "... and the records are in that file" -- \
	sh -c "cd '$WORK' && '$SUMDBD' fsck --db 'file:u.db?mode=memory'"
if command -v sqlite3 >/dev/null 2>&1; then
	cp "$DB" "$WORK/bad.db"
	sqlite3 "$WORK/bad.db" "UPDATE records SET text = replace(text, 'h1:w5', 'h1:x5') WHERE id = 1"
	expect 2 "record 1: the stored hash .* is not the hash of its text" "fsck finds an edited record" -- \
		"$SUMDBD" fsck --db "$WORK/bad.db"
	expect 2 "signed tree 2: its root is not the root" "fsck names the trees it breaks" -- \
		"$SUMDBD" fsck --db "$WORK/bad.db"
	# Every damage named so an operator sees what it is.
	cp "$DB" "$WORK/gap.db"
	sqlite3 "$WORK/gap.db" "DELETE FROM records WHERE id = 1"
	expect 2 "database damaged: record 1 is missing \(the next id stored is 2\); the check stops there" \
		"fsck names a missing record, and says it stops there" -- "$SUMDBD" fsck --db "$WORK/gap.db"
	cp "$DB" "$WORK/root.db"
	sqlite3 "$WORK/root.db" "UPDATE trees SET hash = zeroblob(32) WHERE size = 2"
	expect 2 "tree 2: its stored root is not the root its note signs" \
		"fsck names a trees row whose root is not its note's" -- "$SUMDBD" fsck --db "$WORK/root.db"
	# The other damage an operator must be told of: a signed note
	# altered, a trees row holding another tree's note, a tile lost, a
	# tile that no record gives, a record text that is no go.sum record.
	cp "$DB" "$WORK/note.db"
	sqlite3 "$WORK/note.db" "UPDATE trees SET note = replace(note, 'go.sum', 'Go.sum') WHERE size = 3"
	expect 2 "tree 3: its note does not verify: invalid signature" \
		"fsck names a signed note that does not verify" -- "$SUMDBD" fsck --db "$WORK/note.db"
	cp "$DB" "$WORK/swap.db"
	sqlite3 "$WORK/swap.db" "UPDATE trees SET (hash, note) = (SELECT hash, note FROM trees WHERE size = 2) WHERE size = 3"
	expect 2 "tree 3: its note signs another tree \(size 2\)" \
		"fsck names a trees row holding another tree's note" -- "$SUMDBD" fsck --db "$WORK/swap.db"
	cp "$DB" "$WORK/notile.db"
	sqlite3 "$WORK/notile.db" "DELETE FROM tiles WHERE level = 0 AND n = 0"
	expect 2 "^sumdbd fsck: tile 0/0 is missing$" "fsck names a missing tile" -- \
		"$SUMDBD" fsck --db "$WORK/notile.db"
	cp "$DB" "$WORK/extratile.db"
	sqlite3 "$WORK/extratile.db" "INSERT INTO tiles VALUES (0, 1, zeroblob(32))"
	expect 2 "^sumdbd fsck: 2 tiles stored, the records give 1$" "fsck names a tile no record gives" -- \
		"$SUMDBD" fsck --db "$WORK/extratile.db"
	# A server signs a tree per batch, about as many as it records
	# modules: fsck holds none of them in memory.  With no allocation
	# of more than 1 MiB allowed (AddressSanitizer's cap, so only in a
	# sanitizer build), 40,000 trees (40 bytes each) still check.
	if ldd "$SUMDBD" 2>/dev/null | grep -q libasan; then
		cp "$DB" "$WORK/trees.db"
		sqlite3 "$WORK/trees.db" "INSERT INTO trees(size, hash, note) WITH RECURSIVE c(x) AS
			(SELECT 100 UNION ALL SELECT x + 1 FROM c WHERE x < 40099) SELECT x, zeroblob(32), 'x' FROM c"
		expect 2 "^checked 3 records, 1 tiles, 40003 signed trees: 80000 problems$" \
			"fsck's memory does not grow with the signed trees" -- \
			env ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}max_allocation_size_mb=1:allocator_may_return_null=1" \
			"$SUMDBD" fsck --db "$WORK/trees.db"
	else
		echo "skip: fsck's memory with many trees (needs a sanitizer build)"
	fi
	cp "$DB" "$WORK/junk.db"
	sqlite3 "$WORK/junk.db" "UPDATE records SET text = CAST('junk' AS BLOB) WHERE id = 1"
	expect 2 "^sumdbd fsck: record 1 \(.+\): not a valid record: " \
		"fsck names a record text that is no go.sum record" -- "$SUMDBD" fsck --db "$WORK/junk.db"
	# A database that lost its latest trees row: the records past the
	# tree before it were signed (the key's checkpoint holds the larger
	# tree), so --drop-unsigned must not drop them.  A copy with a copy
	# of the key and of its checkpoint, as a restore would have.
	log_copy "$DB" "$WORK/lost.db"
	cp "$DB.key.checkpoint" "$WORK/lost.db.key.checkpoint"
	sqlite3 "$WORK/lost.db" "DELETE FROM trees WHERE size = 3"
	expect 2 "1 record past the latest signed tree \(size 2\): never signed, unless the key's checkpoint" \
		"fsck: records past the latest tree, the checkpoint named" -- "$SUMDBD" fsck --db "$WORK/lost.db"
	expect 2 "checkpoint .*lost\.db\.key\.checkpoint holds a signed tree of size 3, past the database's latest \(size 2\).*Nothing dropped" \
		"fsck --drop-unsigned refuses to drop records the key signed" -- \
		"$SUMDBD" fsck --db "$WORK/lost.db" --drop-unsigned
	expect 0 "^3$" "... and they are all still there" -- sqlite3 "$WORK/lost.db" "SELECT count(*) FROM records"
	expect 2 "holds a signed tree of size 3" "... also with the checkpoint given by --checkpoint" -- \
		"$SUMDBD" fsck --db "$WORK/lost.db" --drop-unsigned --checkpoint "$DB.key.checkpoint"
	echo garbage >"$WORK/garbage.checkpoint"
	expect 1 "cannot tell whether the records past the latest signed tree were signed: .*nothing dropped" \
		"... and a checkpoint it cannot read stops it too" -- \
		"$SUMDBD" fsck --db "$WORK/lost.db" --drop-unsigned --checkpoint "$WORK/garbage.checkpoint"
	expect 1 "cannot tell whether the records past the latest signed tree were signed: .*nodir: No such file or directory.*nothing dropped" \
		"... and so does a --checkpoint in a directory that is not there" -- \
		"$SUMDBD" fsck --db "$WORK/lost.db" --drop-unsigned --checkpoint "$WORK/nodir/lost.checkpoint"
	expect 0 "^3$" "... the records all still there" -- sqlite3 "$WORK/lost.db" "SELECT count(*) FROM records"
	sqlite3 "$WORK/bad.db" "UPDATE tiles SET hashes = zeroblob(96) WHERE level = 0 AND n = 0"
	expect 2 "ROOT_MISMATCH|do not reproduce the signed tree" "add refuses a database whose tiles do not give the root" -- \
		"$SUMDBD" add --db "$WORK/bad.db" "$WORK/a.sum"
else
	echo "skip: sqlite3 not installed"
fi

# A directory holding a database and its key can move: the database names
# a key beside it by its bare name; one that names an absolute path that
# is gone (made before) takes DB.key beside it, if it is the database's key.
mkdir -p "$WORK/mv1"
"$SUMDBD" init --db "$WORK/mv1/m.db" --name mv.example >/dev/null
mv "$WORK/mv1" "$WORK/mv2"
expect 0 "^added 2, already present 0 " "add after the database's directory moved" -- \
	"$SUMDBD" add --db "$WORK/mv2/m.db" "$WORK/a.sum"
mkdir -p "$WORK/lnk"
ln -s "$WORK/mv2/m.db" "$WORK/lnk/m.db"
expect 0 "^added 0, already present 2 " "add through a symlink to the database finds the key beside the file" -- \
	"$SUMDBD" add --db "$WORK/lnk/m.db" "$WORK/a.sum"
if command -v sqlite3 >/dev/null 2>&1; then
	sqlite3 "$WORK/mv2/m.db" "UPDATE config SET value = '$WORK/gone/m.db.key' WHERE key = 'signer_key_file'"
	expect 0 "note: the signer key file the database names, .*gone/m.db.key, is gone; using .*mv2/m.db.key" \
		"a stored absolute key path that is gone: DB.key beside it, said" -- \
		"$SUMDBD" add --db "$WORK/mv2/m.db" "$WORK/a.sum"
	"$SUMDBD" keygen mv.example | sed -n 1p >"$WORK/mv2/m.db.key"
	expect 1 "is not the key of this database" "... only when it is the database's key" -- \
		"$SUMDBD" add --db "$WORK/mv2/m.db" "$WORK/a.sum"
fi

# A database its user may not write: refused at start, not at the first
# write.  Root writes any file, so as root the check runs as nobody.
ro_run() { sh -c "$1"; }
RO=$WORK/ro
RO_SUMDBD=$SUMDBD
if [ "$(id -u)" = 0 ]; then
	if id nobody >/dev/null 2>&1 && command -v su >/dev/null 2>&1; then
		RO=$(mktemp -d /tmp/csumdb-ro.XXXXXX)
		chmod 755 "$RO"
		chown nobody "$RO"
		ro_run() { su nobody -s /bin/sh -c "$1"; }
		# nobody runs a copy: the build tree may be where nobody
		# cannot reach it (root's home is mode 0700)
		cp "$SUMDBD" "$RO/sumdbd"
		RO_SUMDBD=$RO/sumdbd
	else
		RO=
	fi
fi
if [ -n "$RO" ]; then
	mkdir -p "$RO"
	cp "$WORK/a.sum" "$RO/a.sum"
	chmod 644 "$RO/a.sum"
	ro_run "'$RO_SUMDBD' init --db '$RO/r.db' --name ro.example >/dev/null && chmod 400 '$RO/r.db'"
	expect 1 "database .*r.db cannot be written \(Permission denied\)" "serve refuses a database it cannot write" -- \
		ro_run "timeout 10 '$RO_SUMDBD' serve --db '$RO/r.db' --listen 127.0.0.1:0 --no-admin"
	expect 1 "database .*r.db cannot be written" "so does add" -- \
		ro_run "'$RO_SUMDBD' add --db '$RO/r.db' '$RO/a.sum'"
	expect 0 ": clean$" "fsck checks a database it cannot write" -- \
		ro_run "'$RO_SUMDBD' fsck --db '$RO/r.db'"
	# A directory its user may not write: SQLite cannot make the
	# write-ahead log there, and the message says so rather than blame
	# the database file.
	ro_run "mkdir '$RO/d' && '$RO_SUMDBD' init --db '$RO/d/r.db' --name rodir.example >/dev/null && chmod 555 '$RO/d'"
	for c in status fsck; do
		expect 1 "r\.db: directory .*/d cannot be written \(Permission denied\), and SQLite makes the database's write-ahead log" \
			"$c in a directory it cannot write names the directory" -- ro_run "'$RO_SUMDBD' $c --db '$RO/d/r.db'"
	done
	expect 1 "r\.db: directory .*/d cannot be written \(Permission denied\)" \
		"... so does add" -- ro_run "'$RO_SUMDBD' add --db '$RO/d/r.db' '$RO/a.sum'"
	ro_run "chmod 755 '$RO/d'"
	ro_run "chmod 000 '$RO/r.db'"
	expect 1 "unable to open database file \(Permission denied\)" "a database it cannot read: the system's reason" -- \
		ro_run "'$RO_SUMDBD' status --db '$RO/r.db'"
	[ "$RO" = "$WORK/ro" ] || rm -rf "$RO"
else
	echo "skip: running as root without a user nobody: no read-only check"
fi

# The signer key's checkpoint lock: flock takes a descriptor opened only
# for reading, so a lock file others may read is one any local user can
# hold, keeping serve and add from starting.  As root, the other user is
# nobody.
if [ "$(id -u)" = 0 ] && id nobody >/dev/null 2>&1 && command -v setpriv >/dev/null 2>&1 &&
    command -v flock >/dev/null 2>&1; then
	CL=$(mktemp -d /tmp/csumdb-cl.XXXXXX)
	chmod 755 "$CL"
	"$SUMDBD" init --db "$CL/c.db" --name cl.example >/dev/null
	expect 0 "^600$" "the key's checkpoint lock is mode 0600" -- stat -c %a "$CL/c.db.key.checkpoint.lock"
	hold_lock "$CL/c.db.key.checkpoint.lock"
	expect 0 "^added 2, already present 0 " "another user cannot hold it to keep add from starting" -- \
		"$SUMDBD" add --db "$CL/c.db" "$WORK/a.sum"
	drop_lock
	expect 0 "Permission denied" "... the other user's open was refused" -- cat "$WORK/flock.out"
	# one that an older sumdbd made readable to others
	chmod 644 "$CL/c.db.key.checkpoint.lock"
	expect 0 "^added 0, already present 2 " "a lock file others may read is taken" -- \
		"$SUMDBD" add --db "$CL/c.db" "$WORK/a.sum"
	expect 0 "^600$" "... and made 0600" -- stat -c %a "$CL/c.db.key.checkpoint.lock"
	hold_lock "$CL/c.db.key.checkpoint.lock"
	expect 0 "^added 0, already present 2 " "... so that no one else can hold it again" -- \
		"$SUMDBD" add --db "$CL/c.db" "$WORK/a.sum"
	drop_lock
	rm -rf "$CL"
	CL=
else
	echo "skip: not root, or no user nobody, setpriv or flock: the checkpoint lock is not attacked"
fi

expect 1 "sumdbd fsck: unexpected argument 'extra'" "an extra argument is named" -- "$SUMDBD" fsck --db "$DB" extra
expect 1 "sumdbd serve: unexpected argument 'extra'" "... by serve too" -- "$SUMDBD" serve --db "$DB" extra
# In these checks of refused options, each timeout only ends a server
# that would serve anyway (a refusal exits at once), generous so that a
# slow start on a loaded machine is never taken for one.
# A port past 65535 is refused, not cut to 16 bits (99999 listened on 34463).
expect 1 "sumdbd serve: --listen 127\.0\.0\.1:99999: want HOST:PORT with PORT a number from 0 to 65535 in at most 5 digits" \
	"serve refuses a port past 65535" -- \
	timeout 30 "$SUMDBD" serve --db "$DB" --no-admin --listen 127.0.0.1:99999
# Leading zeros are allowed (0080 is 80), but not past 5 digits: the
# message says so, not only the range 000080 is in.
expect 1 "sumdbd serve: --listen 127\.0\.0\.1:000080: want HOST:PORT with PORT a number from 0 to 65535 in at most 5 digits" \
	"... and a port of 6 digits, naming the digits" -- \
	timeout 30 "$SUMDBD" serve --db "$DB" --no-admin --listen 127.0.0.1:000080
# Numeric options take decimal digits only: no sign, no space, no number
# past the range that wraps around into it.
for bad in '+4' ' 4' '-1' '0' '257' '4x' '' '18446744073709551620'; do
	expect 1 "^sumdbd serve: --threads wants 1\.\.256$" "serve refuses --threads '$bad'" -- \
		timeout 30 "$SUMDBD" serve --db "$DB" --no-admin --listen 127.0.0.1:0 --threads "$bad"
done
expect 1 "^sumdbd serve: --public-timeout wants 1\.\.3600$" "serve refuses --public-timeout +5" -- \
	timeout 30 "$SUMDBD" serve --db "$DB" --no-admin --listen 127.0.0.1:0 --public-timeout +5
expect 1 "^sumdbd serve: --max-conns wants 1\.\.1000000$" "serve refuses --max-conns ' 9'" -- \
	timeout 30 "$SUMDBD" serve --db "$DB" --no-admin --listen 127.0.0.1:0 --max-conns ' 9'
# Listening on all addresses: 0.0.0.0 is no URL for a client elsewhere,
# so the GOSUMDB line names the host, and a line on stderr says so.
sumdbd_start ALL "$DB" --no-admin --listen 0.0.0.0:0
expect 0 "^GOSUMDB=\"$VKEY_RE http://$(hostname):${ALL_URL##*:}\"$" \
	"listening on all addresses, the GOSUMDB line names this host" -- cat "$WORK/ALL.out"
expect 0 "listening on all addresses; the GOSUMDB line names this host as $(hostname): give clients" \
	"... and says so" -- cat "$WORK/ALL.err"
sumdbd_stop ALL
# PORT is read in decimal whatever its leading zeros (as a URL's port),
# at most 5 digits: --help says so, and a port the test picks and checks
# free, below 10000, given with a leading zero, is the port listened on.
expect 0 "PORT in decimal, 0\.\.65535, at most 5 digits" "serve --help says how PORT is read" -- \
	"$SUMDBD" serve --help
expect 0 "leading zeros are no octal: 0080 is 80" "... that leading zeros are no octal" -- \
	"$SUMDBD" serve --help
LZPORT=$(python3 -c '
import random, socket
for p in random.sample(range(2000, 10000), 200):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    print(p)
    break')
sumdbd_start LZ "$DB" --no-admin --listen "127.0.0.1:0$LZPORT"
expect 0 "^yes$" "--listen 127.0.0.1:0$LZPORT listens on port $LZPORT" -- \
	ok_if test "$LZ_URL" = "http://127.0.0.1:$LZPORT"
sumdbd_stop LZ
# A database whose admin socket path would not fit a Unix socket address:
# serve says how to go on.
LONGDIR="$WORK/$(printf '%0100d' 0)"
mkdir -p "$LONGDIR"
"$SUMDBD" init --db "$LONGDIR/s.db" --name localhost.localdev/long >/dev/null 2>&1
expect 1 "s\.db\.admin\.sock: path too long for a Unix socket \(107 bytes at most\): give --db a shorter path .*or serve with --no-admin" \
	"serve: an admin socket path too long names the ways out" -- \
	timeout 30 "$SUMDBD" serve --db "$LONGDIR/s.db" --listen 127.0.0.1:0
# Each public-log option is named by itself, as this server spells it.
expect 1 "^sumdbd serve: --public-url notaurl: want http://, https:// or file://$" \
	"serve names --public-url for a URL that is none" -- \
	timeout 30 "$SUMDBD" serve --db "$DB" --no-admin --listen 127.0.0.1:0 --public-url notaurl
expect 1 "^sumdbd serve: --public-url \\(the URL given\\): want http://, https:// or file://$" \
	"... and shows no credentials of one without a scheme" -- \
	timeout 30 "$SUMDBD" serve --db "$DB" --no-admin --listen 127.0.0.1:0 --public-url alice:s3cret@proxy.example/sumdb
expect 1 "^sumdbd serve: --public-url http://xxxxx@proxy\\.example/sumdb\\?x=1: a URL with a query \\(\\?\\) or a fragment \\(#\\) cannot be followed by the log's paths" \
	"... and one with a query, whose lookups would all be not found" -- \
	timeout 30 "$SUMDBD" serve --db "$DB" --no-admin --listen 127.0.0.1:0 --public-url 'http://u:pw@proxy.example/sumdb?x=1'
expect 1 "^sumdbd serve: --public-key: malformed verifier key" \
	"... and --public-key for a malformed key" -- \
	timeout 30 "$SUMDBD" serve --db "$DB" --no-admin --listen 127.0.0.1:0 --public-key garbage
# The GOSUMDB value pasted whole as --public-key: serve takes the URL by
# an option of its own, which is the one to name.
expect 1 "^sumdbd serve: --public-key: a GOSUMDB value \\(KEY URL\\), not a verifier key: give the key alone with --public-key, and the URL with --public-url$" \
	"... and --public-key given a whole GOSUMDB value names --public-url" -- \
	timeout 30 "$SUMDBD" serve --db "$DB" --no-admin --listen 127.0.0.1:0 \
	--public-key "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8 https://sum.golang.org"
# A public key whose name is no host, and no --public-url: the URL is
# serve's --public-url, not the verifier's --url.
NOHOST=$(python3 -c '
import base64, hashlib
name, pub = b"u@127.0.0.1:1", bytes(range(32))
h = hashlib.sha256(name + b"\n\x01" + pub).digest()[:4]
print((name + b"+" + h.hex().encode() + b"+" + base64.b64encode(b"\x01" + pub)).decode())')
expect 1 "^sumdbd serve: --public-key/--public-url: the key's name u@127\\.0\\.0\\.1:1 is not a host name .*: give the log's URL with --public-url$" \
	"... and a --public-key whose name is no host names --public-url" -- \
	timeout 30 "$SUMDBD" serve --db "$DB" --no-admin --listen 127.0.0.1:0 --public-key "$NOHOST"
# An --upstream URL with a query is a module proxy's, not a log's.
expect 1 "^sumdbd serve: --upstream: http://proxy\\.example/x\\?a=1: a URL with a query \\(\\?\\) or a fragment \\(#\\) cannot be followed by module paths \\(PATH/@v/VERSION\\.zip\\): give the module proxy's base URL, as in GOPROXY, without the query or fragment$" \
	"... and --upstream with a query says what goes after it" -- \
	timeout 30 "$SUMDBD" serve --db "$DB" --no-admin --listen 127.0.0.1:0 --no-public \
	--private corp.example --upstream 'http://proxy.example/x?a=1'
# A mistyped CA or .netrc file is said at start, not by a 502 (or a
# request without credentials) at every private lookup; and a directory
# is said to be one, not taken for a file that holds no token.
mkdir -p "$WORK/a-dir"
for o in --upstream-ca --upstream-netrc --upstream-token-file; do
	expect 1 "^sumdbd serve: $o .*no-such-file: No such file or directory$" \
		"serve refuses a $o that is not there" -- \
		timeout 30 "$SUMDBD" serve --db "$DB" --no-admin --listen 127.0.0.1:0 \
		--upstream https://proxy.invalid --private corp.example "$o" "$WORK/no-such-file"
	expect 1 "^sumdbd serve: $o .*a-dir: Is a directory$" \
		"serve refuses a $o that is a directory, saying so" -- \
		timeout 30 "$SUMDBD" serve --db "$DB" --no-admin --listen 127.0.0.1:0 \
		--upstream https://proxy.invalid --private corp.example "$o" "$WORK/a-dir"
done
# A directory given as the signer key is said to be one, with no warning
# about its mode (a directory's 0755 is no key left readable).
chmod 755 "$WORK/a-dir"
expect 1 "signer key file .*a-dir: Is a directory$" "serve with a directory as --key says so" -- \
	timeout 30 "$SUMDBD" serve --db "$DB" --no-admin --listen 127.0.0.1:0 --key "$WORK/a-dir"
cp "$WORK/out" "$WORK/keydir.out"
expect 0 '^none$' "... and gives no warning about its mode" -- \
	sh -c "grep warning '$WORK/keydir.out' || echo none"
# An option that only --upstream or only the public path uses is refused
# when that path is not there, instead of being ignored.
expect 1 "^sumdbd serve: --upstream-ca is for the module proxy of --upstream, which is not given$" \
	"serve refuses --upstream-ca without --upstream" -- \
	timeout 30 "$SUMDBD" serve --db "$DB" --no-admin --listen 127.0.0.1:0 --upstream-ca "$WORK/ca.pem"
expect 1 "^sumdbd serve: --upstream-timeout is for the module proxy" \
	"... and --upstream-timeout" -- \
	timeout 30 "$SUMDBD" serve --db "$DB" --no-admin --listen 127.0.0.1:0 --upstream-timeout 5
expect 1 "^sumdbd serve: --public-url is for the public log, which --no-public turns off: give one or the other$" \
	"serve refuses --public-url with --no-public" -- \
	timeout 30 "$SUMDBD" serve --db "$DB" --no-admin --listen 127.0.0.1:0 --no-public \
	--public-url http://127.0.0.1:1
expect 1 "^sumdbd serve: --public-timeout is for the public log" \
	"... and --public-timeout given before --no-public" -- \
	timeout 30 "$SUMDBD" serve --db "$DB" --no-admin --listen 127.0.0.1:0 --public-timeout 5 \
	--no-public
expect 1 "sumdbd add: $WORK: Is a directory" "add of a directory says so" -- "$SUMDBD" add --db "$DB" "$WORK"

# tools/run: a relative CSUMDB_DATA is a folder where it is run, not in
# the source tree.  A stand-in source tree: install-deps and configure
# are stubs, and its build links this build's programs.
RT=$WORK/run-tree
mkdir -p "$RT/tools" "$WORK/here"
cp "$top_srcdir/tools/run" "$RT/tools/run"
printf '#!/bin/sh\nexit 0\n' >"$RT/tools/install-deps"
printf '#!/bin/sh\nprintf "sumdbd:\\n\\tln -sf %s/sumdbd sumdbd\\nsumdb:\\n\\tln -sf %s/sumdb sumdb\\n" >Makefile\n' \
	"$top_builddir" "$top_builddir" >"$RT/configure"
chmod 755 "$RT/tools/run" "$RT/tools/install-deps" "$RT/configure"
(cd "$WORK/here" && CSUMDB_DATA=mydata CSUMDB_LISTEN=127.0.0.1:0 exec "$RT/tools/run" \
	>"$WORK/run.out" 2>&1) &
RUN_PID=$!
PIDS="$PIDS $RUN_PID"
wait_for 30 grep -q '^GOSUMDB=' "$WORK/run.out"
expect 0 '^yes$' "tools/run: CSUMDB_DATA=mydata is ./mydata where it is run" -- \
	ok_if test -f "$WORK/here/mydata/sumdb.db"
kill -TERM "$RUN_PID" 2>/dev/null
wait "$RUN_PID"
expect 0 "stopping \(signal 15\)" "... and it stops on SIGTERM" -- cat "$WORK/run.out"
# A log keeps its name: CSUMDB_NAME for a folder that holds another log
# is refused, not ignored (the timeout ends a run that serves anyway).
expect 1 "^tools/run: .*/mydata/sumdb\.db is the log localhost\.localdev/sumdb; CSUMDB_NAME=other\.example names a new database only" \
	"tools/run: CSUMDB_NAME that the existing database does not have: refused" -- \
	sh -c "cd '$WORK/here' && CSUMDB_DATA=mydata CSUMDB_NAME=other.example CSUMDB_LISTEN=127.0.0.1:0 \
	    timeout 30 '$RT/tools/run'"

for c in init keygen add fsck; do
	expect 0 "usage: sumdbd $c" "$c --help" -- "$SUMDBD" "$c" --help
done
expect 0 "usage: sumdbd COMMAND" "--help" -- "$SUMDBD" --help
# A usage error says what was wrong, then the usage lines and where the
# rest is: the whole help (ninety lines for serve) would scroll the
# message out of sight.
for c in init serve status add fsck keygen; do
	"$SUMDBD" "$c" --bogus >"$WORK/usage.out" 2>&1
	expect 0 "^sumdbd $c: unrecognized option '--bogus'$" "$c: a usage error's message comes first" -- \
		sed -n 1p "$WORK/usage.out"
	expect 0 "^Run 'sumdbd $c --help' for its options\.$" "... its last line says where the options are" -- \
		sed -n '$p' "$WORK/usage.out"
	expect 0 '^yes$' "... and it is short" -- ok_if test "$(wc -l <"$WORK/usage.out")" -le 4
done
expect 1 "^sumdbd serve: --db is required$" "serve without --db: said first" -- "$SUMDBD" serve
expect 1 "^sumdbd keygen: want the log NAME$" "keygen without a name: said" -- "$SUMDBD" keygen
expect 1 "^sumdbd keygen: unexpected argument 'b'$" "keygen with two names: said" -- "$SUMDBD" keygen a.example b
expect 1 "unknown command" "unknown command" -- "$SUMDBD" frobnicate
# an argument after --version or --help is a mistake, said, not dropped;
# `help COMMAND` is COMMAND's --help
expect 1 "^sumdbd: unexpected argument 'serve'$" "--version serve: refused" -- "$SUMDBD" --version serve
expect 1 "^sumdbd: unexpected argument 'x'$" "--help x: refused" -- "$SUMDBD" --help x
expect 1 "^sumdbd: unexpected argument 'b'$" "help a b: refused" -- "$SUMDBD" help a b
"$SUMDBD" serve --help >"$WORK/serve.help" 2>&1
expect 0 '^yes$' "help serve: serve's --help" -- \
	ok_if sh -c "'$SUMDBD' help serve | cmp -s - '$WORK/serve.help' && grep -q -- '--upstream-concurrency' '$WORK/serve.help'"
expect 1 "^sumdbd: unknown command 'frobnicate'$" "help of an unknown command: said" -- "$SUMDBD" help frobnicate
for h in help --help -h; do
	expect 0 '^usage: sumdbd COMMAND' "help $h: the list of commands" -- "$SUMDBD" help "$h"
done
# a failed write of the output is an error, not success
if [ -w /dev/full ]; then
	expect 1 "^sumdbd status: writing standard output: " "status >/dev/full: exit 1" -- \
		sh -c "'$SUMDBD' status --db '$DB' >/dev/full"
	expect 1 "^sumdbd keygen: writing standard output: " "keygen >/dev/full: exit 1" -- \
		sh -c "'$SUMDBD' keygen k.example >/dev/full"
	expect 1 "^sumdbd: writing standard output: " "--version >/dev/full: exit 1" -- \
		sh -c "'$SUMDBD' --version >/dev/full"
fi
e2e_done
