#!/bin/sh
# A database kept by a service user (as contrib/sumdbd.service runs it),
# and root running sumdbd commands on it (sudo sumdbd add, status, fsck):
#   - root's add while the server is stopped, under umask 077, leaves the
#     key's checkpoint the service user's, and every file in the
#     directory too, so the server starts again as that user;
#   - root's add reaches the running server's admin socket (mode 0600);
#   - another user's add is refused, saying why.
# Needs root and setpriv (util-linux); skipped otherwise.
. "$top_srcdir/tests/e2e/lib.sh"
if [ "$(id -u)" -ne 0 ] || ! command -v setpriv >/dev/null 2>&1; then
	echo "SKIP: needs root and setpriv"
	exit 77
fi
SVC=61234
OTHER=61235
as_svc() { setpriv --reuid=$SVC --regid=$SVC --clear-groups "$@"; }
as_other() { setpriv --reuid=$OTHER --regid=$OTHER --clear-groups "$@"; }
D="$WORK/svc"
DB="$D/sum.db"
chmod 0711 "$WORK"
mkdir "$D" && chown $SVC:$SVC "$D" && chmod 0750 "$D" || exit 1
(umask 077 && as_svc "$SUMDBD" init --db "$DB" --name localhost.localdev/sumdb) >"$WORK/init.out" 2>&1 ||
	{ cat "$WORK/init.out"; exit 1; }
gosum_lines 0 3 >"$WORK/a.sum"
gosum_lines 3 6 >"$WORK/b.sum"
gosum_lines 6 9 >"$WORK/c.sum"

# owners: "none" when the service user owns every file in the directory,
# else the files it does not own
owners() {
	find "$D" ! -user $SVC -o ! -group $SVC >"$WORK/owners"
	[ -s "$WORK/owners" ] && cat "$WORK/owners" || echo none
}
# other_add: another user adds, the go.sum on its standard input
other_add() { as_other "$SUMDBD" add --db "$DB" <"$WORK/c.sum"; }

expect 0 'added 3, ' "root adds while the server is stopped (umask 077)" -- \
	sh -c "umask 077 && '$SUMDBD' add --db '$DB' '$WORK/a.sum'"
expect 0 "^$SVC:$SVC\$" "... and the key's checkpoint keeps the service user's owner" -- \
	stat -c %u:%g "$DB.key.checkpoint"
expect 0 'tree: 3 records' "root: status" -- "$SUMDBD" status --db "$DB"
expect 0 ': clean$' "root: fsck" -- "$SUMDBD" fsck --db "$DB"
expect 0 '^none$' "every file in the directory is still the service user's" -- owners

SUMDBD_WRAP="setpriv --reuid=$SVC --regid=$SVC --clear-groups" start_sumdbd "$DB" --no-admin
stop_sumdbd
expect 0 '^yes$' "the server starts as the service user after root's add" -- ok_if test "$SUMDBD_STATUS" = 0
SUMDBD_WRAP="setpriv --reuid=$SVC --regid=$SVC --clear-groups" start_sumdbd "$DB"
expect 0 'added 3, .*tree size 6' "root adds through the running server's admin socket" -- \
	"$SUMDBD" add --db "$DB" "$WORK/b.sum"
expect 1 "cannot open database $DB: Permission denied" "another user's add is refused, saying why" -- other_add
stop_sumdbd
expect 0 '^none$' "every file in the directory is the service user's at the end" -- owners
e2e_done
