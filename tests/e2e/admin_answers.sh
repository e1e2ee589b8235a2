#!/bin/sh
# The admin socket's answers as `sumdbd add` reads them ("ok\n" REPORT or
# "error " CODE "\n" MSG, src/sumdbd/admin.c): a CODE that is not the
# number the server writes is a malformed answer, said as such, not a
# number read from its first digits.  A stand-in for the server holds the
# database's writer lock and answers each add with fixed bytes.
. "$top_srcdir/tests/e2e/lib.sh"
if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: needs python3"
	exit 77
fi
DB="$WORK/db"
"$SUMDBD" init --db "$DB" --name sum.test.example >"$WORK/init.out" 2>&1 ||
	{ cat "$WORK/init.out"; exit 1; }
gosum_lines 0 1 >"$WORK/a.sum"
gosum_lines 0 1 other >"$WORK/b.sum"
expect 0 "^added 1," "add records a module" -- "$SUMDBD" add --db "$DB" "$WORK/a.sum"

# answer BYTES: runs the stand-in, answering BYTES (printf's escapes) to
# every request, until answer_stop.
answer() {
	rm -f "$WORK/ready"
	python3 - "$DB" "$1" "$WORK/ready" <<'PY' &
import fcntl, os, socket, sys
db, answer, ready = sys.argv[1], sys.argv[2].encode().decode("unicode_escape").encode("latin-1"), sys.argv[3]
lock = open(db + "-lock", "r+")
fcntl.flock(lock, fcntl.LOCK_EX)
with open(db + ".admin.token", "w") as f:
    f.write("0" * 64)
try:
    os.unlink(db + ".admin.sock")
except FileNotFoundError:
    pass
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(db + ".admin.sock")
s.listen(4)
open(ready, "w").close()
while True:
    c, _ = s.accept()
    c.settimeout(5)
    data = b""
    try:
        while b"\n" not in data:
            b = c.recv(4096)
            if not b:
                break
            data += b
        head, _, body = data.partition(b"\n")
        want = int(head.split(b" ")[2])
        while len(body) < want:
            b = c.recv(4096)
            if not b:
                break
            body += b
    except (OSError, ValueError, IndexError):
        pass
    c.sendall(answer)
    c.close()
PY
	ANSWER_PID=$!
	wait_for 20 test -e "$WORK/ready" || echo "FAIL: the stand-in did not start"
}
answer_stop() {
	kill -TERM "$ANSWER_PID" 2>/dev/null
	wait "$ANSWER_PID" 2>/dev/null
	rm -f "$DB.admin.sock" "$DB.admin.token"
}
PIDS=
ANSWER_PID=
trap 'answer_stop; e2e_cleanup' EXIT

# The conflict code (-31) followed by junk: read as a conflict by strtol.
answer 'error -31junk\nthe server says so\n'
expect 1 "^sumdbd add: admin interface .*db\.admin\.sock: malformed answer: error code '-31junk' is not a number" \
	"an error code with junk after it is a malformed answer" -- "$SUMDBD" add --db "$DB" "$WORK/b.sum"
answer_stop
answer 'error -031\nthe server says so\n'
expect 1 "malformed answer: error code '-031' is not a number" \
	"... and one with a leading zero" -- "$SUMDBD" add --db "$DB" "$WORK/b.sum"
answer_stop
answer 'error  -31\nthe server says so\n'
expect 1 "malformed answer: error code ' -31' is not a number" \
	"... and one after a space" -- "$SUMDBD" add --db "$DB" "$WORK/b.sum"
answer_stop
answer 'error -26\nforked, says the server\n'
expect 2 "^sumdbd add: forked, says the server$" \
	"a well-formed verification failure code is exit 2 with the server's message" -- \
	"$SUMDBD" add --db "$DB" "$WORK/b.sum"
answer_stop
answer 'error -999\nsomething new\n'
expect 1 "^sumdbd add: something new$" \
	"a code this add does not know is a local error with the server's message" -- \
	"$SUMDBD" add --db "$DB" "$WORK/b.sum"
answer_stop
answer 'whatever\n'
expect 1 "malformed answer \(neither \"ok\" nor \"error CODE\"\)" \
	"an answer of neither kind is a malformed answer" -- "$SUMDBD" add --db "$DB" "$WORK/b.sum"
answer_stop

e2e_done
