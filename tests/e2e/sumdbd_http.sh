#!/bin/sh
# sumdbd serve over HTTP, checked with curl against PROTOCOL.md
# "Endpoints": exact bodies, status codes, content types and Cache-Control
# of /latest, /lookup, hash and data tiles (full, every partial width,
# beyond the tree), the /sumdb/NAME/ prefix, malformed requests (400/405/
# 414/431 with short bodies, and the server keeps serving), an import
# through the admin socket while serving, a second server on its port and
# fsck beside it (both refused), and a graceful SIGTERM that leaves a
# database fsck finds clean.
. "$top_srcdir/tests/e2e/lib.sh"
SUMDBD="$top_builddir/sumdbd"
# the admin socket's clients started in the background, stopped on any exit
PIDS=
http_cleanup() {
	stop_pids
	e2e_cleanup
}
trap http_cleanup EXIT
NAME=localhost.localdev/sumdb
DB="$WORK/db/sumdb.db"
# gosum N0 N1: go.sum lines for example.com/mN v1.0.0, N0 <= N < N1, with
# made-up (but well-formed) hashes.
gosum() {
	python3 - "$1" "$2" <<'PY'
import base64, hashlib, sys
for i in range(int(sys.argv[1]), int(sys.argv[2])):
    h = lambda s: "h1:" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()
    print("example.com/m%d v1.0.0 %s" % (i, h("zip%d" % i)))
    print("example.com/m%d v1.0.0/go.mod %s" % (i, h("mod%d" % i)))
PY
}

mkdir -p "$WORK/db"
expect 0 'verifier key: ' "init" -- "$SUMDBD" init --db "$DB" --name "$NAME"
VKEY=$(sed -n 's/^verifier key: //p' "$WORK/out")
VKEY_RE=$(printf '%s' "$VKEY" | sed 's/[+.]/\\&/g')
gosum 0 300 >"$WORK/g1.sum"
expect 0 '^yes$' "offline add of 300 module versions" -- ok_if "$SUMDBD" add --db "$DB" "$WORK/g1.sum"
start_sumdbd "$DB"
expect 0 "^GOSUMDB=\"$VKEY_RE http://127\\.0\\.0\\.1:[0-9]+\"" "serve prints the GOSUMDB line" -- cat "$WORK/serve.out"

# a request that hangs fails its check rather than the whole run
get() { curl -sS --max-time 30 -D "$WORK/hdr" -o "$WORK/body" "$@"; cat "$WORK/hdr"; }

# /latest
expect 0 '^HTTP/1.1 200' "/latest 200" -- get "$URL/latest"
cp "$WORK/body" "$WORK/latest"
expect 0 '^Content-Type: text/plain; charset=UTF-8' "/latest content type" -- cat "$WORK/hdr"
expect 0 '^Cache-Control: ' "/latest has Cache-Control" -- cat "$WORK/hdr"
expect 0 "^tree size: 300$" "/latest is a tree of 300 signed by our key" -- \
	"$top_builddir/sumdb" verify-note --vkey "$VKEY" "$WORK/latest"
expect 0 '^HTTP/1.1 200' "HEAD /latest" -- curl -sS -I "$URL/latest"
expect 0 '^Content-Length: 0' "HEAD /latest has no body" -- sh -c "curl -sS -I '$URL/latest' -o /dev/null -w 'Content-Length: %{size_download}\n'"

# /lookup: exact body ID\n record \n note
expect 0 '^HTTP/1.1 200' "lookup m7" -- get "$URL/lookup/example.com/m7@v1.0.0"
id=$(head -n 1 "$WORK/body")
{ printf '%s\n' "$id"; grep '^example.com/m7 ' "$WORK/g1.sum"; printf '\n'; cat "$WORK/latest"; } >"$WORK/want"
expect 0 '^yes$' "lookup body is ID, record, blank line, /latest note" -- ok_if cmp "$WORK/want" "$WORK/body"
expect 0 '^Content-Type: text/plain; charset=UTF-8' "lookup content type" -- cat "$WORK/hdr"
expect 0 '^HTTP/1.1 404' "lookup of an unknown module: 404" -- get "$URL/lookup/example.com/nope@v1.0.0"
printf 'not found: example.com/nope@v1.0.0: not recorded in this checksum database, and lookups in the public checksum database are off in this server (--no-public)\n' >"$WORK/want"
expect 0 '^yes$' "404 body: not found: PATH@VERSION: REASON" -- ok_if cmp "$WORK/want" "$WORK/body"
expect 0 '^Cache-Control: public, max-age=60' "404 Cache-Control" -- cat "$WORK/hdr"
for bad in 'example.com/m7@v1.0.0%00' 'example.com/m%007@v1.0.0' 'example.com/M7@v1.0.0' \
    'example.com/!!m7@v1.0.0' 'example.com/!7@v1.0.0' 'example.com/m7' 'example.com/m7@v1.0.0/go.mod' \
    'example.com/m7@v1.0' 'example.com/m7@latest' 'example.com/m7@V1.0.0' 'example.com/m7@v01.0.0' \
    '%zz@v1.0.0'; do
	expect 0 '^HTTP/1.1 400' "bad lookup $bad: 400" -- get "$URL/lookup/$bad"
	expect 0 '^yes$' "bad lookup $bad: one short line" -- ok_if sh -c "test \$(wc -l <'$WORK/body') -eq 1 && test \$(wc -c <'$WORK/body') -lt 300"
done
long=$(python3 -c 'print("example.com/" + "a" * 10240 + "@v1.0.0")')
expect 0 '^HTTP/1.1 4[0-9][0-9]' "10 KiB lookup path: 4xx" -- get "$URL/lookup/$long"
# The longest lookup the server takes (4,096 bytes of path@version), with
# 6 KiB of headers besides (a proxy's, a token), still fits a connection's
# memory and is looked up: 404, not 414 or 431.
long=$(python3 -c 'print("example.com/" + "a" * 4077 + "@v1.0.0")')
pad=$(python3 -c 'print("p" * 6144)')
expect 0 '^HTTP/1.1 404' "longest lookup path, with 6 KiB of headers: 404" -- \
    get -H "X-Pad: $pad" "$URL/lookup/$long"
long=$(python3 -c 'print("example.com/" + "a" * 4078 + "@v1.0.0")')
expect 0 '^HTTP/1.1 400' "one byte longer: 400" -- get "$URL/lookup/$long"
# The longest request path looked at is 5,120 bytes (decoded in place on
# the worker's stack): that one reaches the handler (an unknown path,
# 404), one byte more gets 414.
long=$(python3 -c 'print("a" * 5119)')
expect 0 '^HTTP/1.1 404' "request path of 5,120 bytes: handled (404)" -- get "$URL/$long"
long=$(python3 -c 'print("a" * 5120)')
expect 0 '^HTTP/1.1 414' "request path of 5,121 bytes: 414" -- get "$URL/$long"

# hash tiles: 300 records = a full tile 0 and 1.p/44 at level 0, 0.p/1 at level 1
expect 0 '^HTTP/1.1 200' "full tile 8/0/000" -- get "$URL/tile/8/0/000"
expect 0 '^Content-Type: application/octet-stream' "hash tile content type" -- cat "$WORK/hdr"
expect 0 '^Cache-Control: public, max-age=31536000, immutable' "full tile is immutable" -- cat "$WORK/hdr"
expect 0 '^8192$' "full tile is 256 hashes" -- wc -c <"$WORK/body"
expect 0 '^HTTP/1.1 200' "partial tile 8/0/001.p/44" -- get "$URL/tile/8/0/001.p/44"
expect 0 '^1408$' "1.p/44 is 44 hashes" -- wc -c <"$WORK/body"
cp "$WORK/body" "$WORK/t44"
expect 0 '^Cache-Control: public, max-age=60' "partial tile: short max-age" -- cat "$WORK/hdr"
ok=0
for w in 1 2 10 43; do
	curl -sS -o "$WORK/tw" "$URL/tile/8/0/001.p/$w"
	head -c $((w * 32)) "$WORK/t44" | cmp -s - "$WORK/tw" || ok=1
done
expect 0 '^yes$' "every narrower width is a prefix of the current one" -- ok_if test $ok -eq 0
expect 0 '^HTTP/1.1 200' "level 1 tile 8/1/000.p/1" -- get "$URL/tile/8/1/000.p/1"
expect 0 '^32$' "level 1 tile is one hash" -- wc -c <"$WORK/body"
for beyond in 8/0/001.p/45 8/0/001 8/0/002.p/1 8/1/000.p/2 8/2/000.p/1 8/data/001.p/45 8/0/x001/000; do
	expect 0 '^HTTP/1.1 404' "tile $beyond beyond the tree: 404" -- get "$URL/tile/$beyond"
done
for bad in 8/0/0 8/0/1 8/0/0000 8/0/000.p/0 8/0/000.p/256 8/0/000.p/044 8/0/x000/001 08/0/000 8/00/000 \
    8/-1/000 8/0/000.p 8/0/000/ 8/data/000.p/0 8/0/000.p/1x; do
	expect 0 '^HTTP/1.1 400' "non-canonical tile $bad: 400" -- get "$URL/tile/$bad"
done

# data tiles: each record followed by "\n", and they hash to the hash tile
expect 0 '^HTTP/1.1 200' "data tile 8/data/001.p/44" -- get "$URL/tile/8/data/001.p/44"
expect 0 '^Content-Type: text/plain; charset=UTF-8' "data tile content type" -- cat "$WORK/hdr"
expect 0 '^ok$' "data tile records hash to the level 0 hash tile" -- python3 - "$WORK/body" "$WORK/t44" <<'PY'
import hashlib, sys
data = open(sys.argv[1], "rb").read()
tile = open(sys.argv[2], "rb").read()
assert data.endswith(b"\n\n")
recs = [r + b"\n" for r in data[:-1].split(b"\n\n")]
recs[-1] = recs[-1][:-1] if recs[-1].endswith(b"\n\n") else recs[-1]
assert len(recs) == 44, len(recs)
for i, r in enumerate(recs):
    assert hashlib.sha256(b"\0" + r).digest() == tile[32 * i:32 * i + 32], i
print("ok")
PY
expect 0 '^HTTP/1.1 200' "full data tile 8/data/000" -- get "$URL/tile/8/data/000"
expect 0 '^Cache-Control: public, max-age=31536000, immutable' "full data tile is immutable" -- cat "$WORK/hdr"

# /sumdb/NAME/ prefix
expect 0 '^HTTP/1.1 200' "/sumdb/NAME/supported" -- get "$URL/sumdb/$NAME/supported"
expect 0 '^HTTP/1.1 200' "/sumdb/NAME/latest" -- get "$URL/sumdb/$NAME/latest"
expect 0 '^yes$' "/sumdb/NAME/latest equals /latest" -- ok_if cmp "$WORK/latest" "$WORK/body"
expect 0 '^HTTP/1.1 200' "/sumdb/NAME/lookup" -- get "$URL/sumdb/$NAME/lookup/example.com/m7@v1.0.0"
expect 0 '^HTTP/1.1 200' "/sumdb/NAME/tile" -- get "$URL/sumdb/$NAME/tile/8/0/001.p/44"
expect 0 '^yes$' "/sumdb/NAME/tile equals /tile" -- ok_if cmp "$WORK/t44" "$WORK/body"
expect 0 '^HTTP/1.1 404' "/sumdb/OTHER/supported: 404" -- get "$URL/sumdb/sum.golang.org/supported"
expect 0 '^HTTP/1.1 404' "unknown path: 404" -- get "$URL/nothing"

# methods, oversized requests
expect 0 '^HTTP/1.1 405' "POST /latest: 405" -- get -X POST -d x "$URL/latest"
expect 0 '^Allow: GET, HEAD' "405 names the allowed methods" -- cat "$WORK/hdr"
expect 0 '^HTTP/1.1 405' "PUT /lookup: 405" -- get -X PUT -d x "$URL/lookup/example.com/m7@v1.0.0"
big=$(python3 -c 'print("x" * 40000)')
expect 0 '^HTTP/1.1 431' "oversized header: 431" -- get -H "X-Big: $big" "$URL/latest"
big=$(python3 -c 'print("x" * 16384)')
expect 0 '^HTTP/1.1 431' "16 KiB header: 431" -- get -H "X-Big: $big" "$URL/latest"
expect 0 '^HTTP/1.1 200' "still serving after bad requests" -- get "$URL/latest"

# an import while serving goes through the admin socket
gosum 300 310 >"$WORK/g2.sum"
expect 0 '^added 10, already present 0 \(module versions\); tree size 310$' \
	"add while the server runs (the same summary as offline)" -- "$SUMDBD" add --db "$DB" "$WORK/g2.sum"
expect 0 '^added 0, already present 10 \(module versions\); tree size 310$' \
	"again: nothing new" -- "$SUMDBD" add --db "$DB" "$WORK/g2.sum"
expect 0 'signs with its own key; --key is not used' "--key with a running server: said" -- \
	"$SUMDBD" add --db "$DB" --key "$DB.key" "$WORK/g2.sum"
# go mod tidy keeps only the /go.mod line of some versions
{ cat "$WORK/g2.sum"; gosum 900 901 | sed -n 2p; } >"$WORK/g2m.sum"
expect 1 'example.com/m900 v1.0.0 has no h1: \(module zip\) line.*--skip-gomod-only' \
	"a version with only its /go.mod line is refused, the flag named" -- "$SUMDBD" add --db "$DB" "$WORK/g2m.sum"
"$SUMDBD" add --db "$DB" --skip-gomod-only "$WORK/g2m.sum" >"$WORK/skip.out" 2>&1
expect 0 '^skipped 1 version with only a /go.mod line$' "--skip-gomod-only skips it and says so" -- \
	cat "$WORK/skip.out"
expect 0 '^HTTP/1.1 404' "and it is not recorded" -- get "$URL/lookup/example.com/m900@v1.0.0"
expect 0 '^HTTP/1.1 200' "the new record is served" -- get "$URL/lookup/example.com/m305@v1.0.0"
expect 0 "^tree size: 310$" "the tree grew to 310" -- sh -c "curl -sS '$URL/latest' | '$top_builddir/sumdb' verify-note --vkey '$VKEY'"
expect 0 '^HTTP/1.1 200' "tile 1.p/54 now exists" -- get "$URL/tile/8/0/001.p/54"
expect 0 '^yes$' "and extends 1.p/44" -- ok_if sh -c "head -c 1408 '$WORK/body' | cmp - '$WORK/t44'"
gosum 7 8 | sed 's/h1:.\{4\}/h1:AAAA/; 2d' >"$WORK/g3.sum"
gosum 7 8 | sed -n 2p >>"$WORK/g3.sum"
"$SUMDBD" add --db "$DB" "$WORK/g3.sum" >"$WORK/g3.out" 2>&1
expect 0 '^2$' "a conflicting hash is refused through the admin socket (exit 2)" -- echo $?
expect 0 'CONFLICT: example.com/m7 v1.0.0 is recorded \(id 7\) with other hashes' \
	"the conflict is named" -- cat "$WORK/g3.out"
expect 0 '^  log:   example.com/m7 v1.0.0 h1:' "with the recorded line" -- cat "$WORK/g3.out"
expect 0 '^sumdbd add: 1 conflict with recorded hashes; nothing recorded$' "and once" -- \
	sh -c "grep -c . '$WORK/g3.out' | grep -qx 6 && tail -1 '$WORK/g3.out'"

# A token file that is not the running server's (replaced since it
# started): refused, and the refusal names the file and the way out.
cp "$DB.admin.token" "$WORK/token.saved"
printf '%064d' 0 >"$DB.admin.token"
expect 1 "the running server refused the admin token in .*\.admin\.token: not the one it wrote at start.*restart sumdbd serve" \
	"add with a stale admin token names the token file and the way out" -- "$SUMDBD" add --db "$DB" "$WORK/g2.sum"
expect 0 "^yes$" "... and never prints the token" -- \
	ok_if sh -c "! grep -q '$(cat "$WORK/token.saved")' '$WORK/out' && ! grep -q '0000000000000000' '$WORK/out'"
cp "$WORK/token.saved" "$DB.admin.token"

# dribble OUT: a client of the admin socket that sends its request a
# byte every half second, for up to a minute, then writes the answer it
# got to OUT.  The admin thread takes one request at a time: a client
# like this must not hold it, nor the server's stop, for as long as it
# likes.  Returns once the server has taken its first byte (the client's
# connection accepted, nothing left unread in it): it then holds the
# admin thread.
dribble() {
	rm -f "$WORK/dribble.ready"
	python3 - "$DB.admin.sock" "$1" "$WORK/dribble.ready" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.send(b"a")
open(sys.argv[3], "w").close()
try:
    for _ in range(119):
        time.sleep(0.5)
        s.send(b"a")
except OSError:
    pass
s.settimeout(30)
try:
    answer = s.recv(4096)
except OSError as e:
    answer = repr(e).encode()
open(sys.argv[2], "wb").write(answer or b"(closed without an answer)")
PY
	DRIBBLE_PID=$!
	PIDS="$PIDS $DRIBBLE_PID"
	expect 0 '^yes$' "a client dribbling its request holds the admin thread" -- \
		ok_if wait_for 30 dribbler_holds
}
# admin_conns: the connections the admin thread has accepted and read
# all that came on (ss: the server's ends of the admin socket, Recv-Q 0).
# admin_backlog: connections waiting in its backlog, not yet accepted
# (the listening socket's Recv-Q).
admin_conns() {
	ss -H -x src "$DB.admin.sock" | awk '$2 != "LISTEN" && $3 == 0 { n++ } END { print n + 0 }'
}
admin_backlog() {
	ss -H -xl src "$DB.admin.sock" | awk '{ n += $3 } END { print n + 0 }'
}
dribbler_holds() { test -e "$WORK/dribble.ready" && [ "$(admin_conns)" -ge 1 ]; }
add_waits() { [ "$(admin_backlog)" -ge 1 ]; }
gosum 330 331 >"$WORK/g5.sum"
dribble "$WORK/dribble.out"
# The dribbling client holds the admin thread 10 s at most (its request's
# deadline), then the add is served.  The timeout only ends a hang.
expect 0 '^added 1, already present 0 \(module versions\); tree size 311$' \
	"an add behind a client that dribbles its request goes through within its deadline" -- \
	timeout 120 "$SUMDBD" add --db "$DB" "$WORK/g5.sum"
wait "$DRIBBLE_PID"
expect 0 '^the request did not arrive whole within 10 s; nothing of it was recorded$' \
	"... and the dribbling client is cut off after 10 s, told why" -- cat "$WORK/dribble.out"

# A stop while a request is still arriving, and another add waits: the
# server stops at once; both are told it stopped and that nothing of
# theirs was recorded (and it was not).
gosum 340 341 >"$WORK/g6.sum"
dribble "$WORK/dribble.out"
"$SUMDBD" add --db "$DB" "$WORK/g6.sum" >"$WORK/waiting.out" 2>&1 &
WAITING_PID=$!
PIDS="$PIDS $WAITING_PID"
expect 0 '^yes$' "an add waits behind it" -- ok_if wait_for 30 add_waits
# Not held up is shown by order, not by a time: the client still sending
# is answered that the server stops (error -2, below), not cut off at its
# 10 s deadline (error -4) as it would be had the stop waited for it.
stop_sumdbd
expect 0 '^0$' "a stop with a client still sending its request: exit status 0" -- echo "$SUMDBD_STATUS"
wait "$WAITING_PID"
echo "exit $?" >>"$WORK/waiting.out"
expect 0 '^sumdbd add: the server is stopping; nothing of this add was recorded: run it again' \
	"an add waiting at the stop is told that nothing of it was recorded" -- cat "$WORK/waiting.out"
expect 0 '^exit 1$' "... exit 1" -- cat "$WORK/waiting.out"
wait "$DRIBBLE_PID"
expect 0 '^error -2$' "... and so is the client still sending: the stop did not wait for it" -- \
	cat "$WORK/dribble.out"
expect 0 '^added 1, already present 0 \(module versions\); tree size 312$' \
	"... and it was not: added now, offline" -- "$SUMDBD" add --db "$DB" "$WORK/g6.sum"
start_sumdbd "$DB"

# Operator mistakes beside a running server.  A second server, for another
# database, on the port this one holds stops at once, saying why, and
# leaves no admin socket behind; fsck of the database in use is refused,
# --drop-unsigned dropping nothing.
PORT=${URL##*:}
mkdir -p "$WORK/db2"
"$SUMDBD" init --db "$WORK/db2/other.db" --name other.example >/dev/null
expect 1 "^sumdbd serve: cannot listen on 127\.0\.0\.1:$PORT: Address already in use$" \
	"serve on a port another server holds: exit 1, saying so" -- \
	timeout 20 "$SUMDBD" serve --db "$WORK/db2/other.db" --listen "127.0.0.1:$PORT" --no-public
expect 0 '^yes$' "... leaving no admin socket or token" -- \
	ok_if test ! -e "$WORK/db2/other.db.admin.sock" -a ! -e "$WORK/db2/other.db.admin.token"
expect 0 '^HTTP/1.1 200' "... and the server on that port goes on serving" -- get "$URL/latest"
expect 1 'sumdb\.db is in use by another sumdbd' "fsck of the database a server holds: exit 1" -- \
	"$SUMDBD" fsck --db "$DB"
expect 1 '^\(stop the server holding it first\)$' "... saying what to do" -- "$SUMDBD" fsck --db "$DB"
expect 1 'sumdb\.db is in use by another sumdbd' "fsck --drop-unsigned beside the server: refused" -- \
	"$SUMDBD" fsck --db "$DB" --drop-unsigned
expect 0 '^312$' "... and every record still served" -- sh -c "curl -s '$URL/latest' | sed -n 2p"

# graceful stop
stop_sumdbd
expect 0 '^yes$' "SIGTERM: exit status 0" -- ok_if test "$SUMDBD_STATUS" -eq 0
expect 0 '^yes$' "admin socket removed at stop" -- ok_if test ! -e "$DB.admin.sock"
expect 0 '^yes$' "fsck after the stop is clean" -- ok_if "$SUMDBD" fsck --db "$DB"
# SIGHUP (the terminal the server was started from closing) stops it the
# same way, cleaning up after itself.  The server gets SIGHUP's default
# whatever this test got (a suite run under nohup ignores it, and the
# server would rightly keep serving).
SUMDBD_WRAP="env --default-signal=HUP"
start_sumdbd "$DB"
SUMDBD_WRAP=
SUMDBD_STOP_SIGNAL=HUP stop_sumdbd
expect 0 '^yes$' "SIGHUP: exit status 0" -- ok_if test "$SUMDBD_STATUS" -eq 0
expect 0 '^yes$' "SIGHUP: admin socket and token removed" -- \
	ok_if test ! -e "$DB.admin.sock" -a ! -e "$DB.admin.token"
# ... unless it was started with SIGHUP ignored (nohup)
SUMDBD_WRAP=nohup
start_sumdbd "$DB"
SUMDBD_WRAP=
# sighup_in FIELD: 1 when SIGHUP (bit 0) is in the server's signal mask
# FIELD of /proc/PID/status (SigIgn, SigPnd, ShdPnd), else 0.
sighup_in() {
	awk -v f="$1:" '$1 == f { print (index("13579bdfBDF", substr($2, length($2))) > 0) ? 1 : 0 }' \
	    "/proc/$SUMDBD_PID/status"
}
hup_taken() { [ "$(sighup_in SigPnd)$(sighup_in ShdPnd)" = 00 ]; }
expect 0 '^1$' "under nohup, the server leaves SIGHUP ignored" -- sighup_in SigIgn
kill -HUP "$SUMDBD_PID"
# an ignored signal is dropped when sent; one with a handler is pending
# until the server takes it: either way, none is pending once it is done
expect 0 '^yes$' "... the SIGHUP sent to it is no longer pending" -- \
	ok_if wait_for 30 hup_taken
expect 0 '^HTTP/1.1 200' "under nohup, SIGHUP leaves it serving" -- get "$URL/latest"
stop_sumdbd

# HTTP workers: one per CPU the server may use, less one, at least one.
# cpus K: the first K CPUs this test may run on, as taskset takes them.
cpus() {
	python3 -c 'import os, sys; print(",".join(str(c) for c in sorted(os.sched_getaffinity(0))[:int(sys.argv[1])]))' "$1"
}
for k in 1 2 3; do
	[ "$(nproc)" -ge $k ] || continue
	want=$((k > 1 ? k - 1 : 1))
	case $want in 1) workers="1 HTTP worker" ;; *) workers="$want HTTP workers" ;; esac
	SUMDBD_WRAP="taskset -c $(cpus $k)"
	start_sumdbd "$DB" --no-admin
	expect 0 "^sumdbd: serving .*, $workers) on " "$k CPUs: $workers" -- cat "$WORK/serve.out"
	stop_sumdbd
done
SUMDBD_WRAP=
start_sumdbd "$DB" --no-admin --threads 3
expect 0 '^sumdbd: serving .*, 3 HTTP workers) on ' "--threads 3: three workers" -- cat "$WORK/serve.out"
expect 1 'in use by another sumdbd \(its writer lock is held\), and no admin interface answers' \
	"add beside a server without admin interface says so" -- "$SUMDBD" add --db "$DB" "$WORK/g2.sum"
stop_sumdbd

# A server that dies in the middle of an add (killed, crashed) answers
# nothing: whether the add was recorded is unknown, and the message says
# what to do.  A stand-in holds the writer lock, takes the request and
# closes the connection; then it is gone, its socket and token left
# behind as a killed server leaves them, and the next add goes to the
# database itself.
gosum 310 320 >"$WORK/g4.sum"
python3 - "$DB" "$WORK/dying.ready" >"$WORK/dying.out" 2>&1 <<'PY' &
import fcntl, os, socket, sys
db, ready = sys.argv[1], sys.argv[2]
lock = open(os.path.realpath(db) + "-lock", "a")
fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
with open(db + ".admin.token", "w") as f:
    f.write("ab" * 32)
if os.path.exists(db + ".admin.sock"):
    os.unlink(db + ".admin.sock")
s = socket.socket(socket.AF_UNIX)
s.bind(db + ".admin.sock")
s.listen(1)
open(ready, "w").close()
c, _ = s.accept()
while not c.recv(65536).endswith(b"\n"):
    pass
c.close()
PY
DYING_PID=$!
PIDS="$PIDS $DYING_PID"
wait_for 10 test -e "$WORK/dying.ready"
expect 1 "the server closed the connection without an answer .*: the add may or may not have been recorded; run it again" \
	"add to a server that dies before answering: outcome unknown, run it again" -- \
	"$SUMDBD" add --db "$DB" "$WORK/g4.sum"
wait "$DYING_PID"
expect 0 '^added 10, already present 0 \(module versions\); tree size 322$' \
	"... and again, the stale socket and token left behind: added to the database directly" -- \
	"$SUMDBD" add --db "$DB" "$WORK/g4.sum"
e2e_done
