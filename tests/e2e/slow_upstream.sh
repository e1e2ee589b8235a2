#!/bin/sh
# A slow upstream never stalls other clients (DESIGN.md "Rules that are
# never bent", issue 4):
#   1. sumdbd with 2 HTTP workers, 4 miss threads and a miss queue of 2,
#      its upstream a proxy whose zips hang (tests/e2e/faultproxy.py): 6
#      lookup misses pending (4 running, 2 queued; more than the workers),
#      a 7th is refused at once with 503 and Retry-After, and the log says
#      so once (an 8th within the minute is only counted, and said at the
#      stop); meanwhile 200
#      requests for tiles, lookups of known records and /latest, each on a
#      new connection, are all answered 200 while every miss is still
#      pending (shown by order: none of the six has its answer when the
#      last of the 200 has its own; the upstream holds the misses until
#      the test lets it answer); then the misses end with the upstream's
#      404 and nothing is recorded.
#   2. graceful shutdown with misses pending: the queued one gets 503 at
#      once, the running one (whose fetch outlasts the 10 s grace) a 503
#      when the grace ends, the log says so, and the server exits 0 with no
#      sanitizer report.
#   3. clients that ask and go: with one miss thread busy on a hanging
#      fetch, three clients ask for other hanging modules and close their
#      connections at once; the upstream is never asked for those (before,
#      each was fetched in turn for nobody, 5 s apiece), and a miss asked
#      after them is recorded as soon as the busy thread is free.
#   4. one hanging version asked by more clients than there are miss
#      threads: they share one fetch, waiting off the miss threads (a
#      lookup of another module is recorded meanwhile), and all get its
#      answer, the same 504 (before, each miss thread waited on the one
#      fetch, every other miss queued behind it, and the clients left
#      in the queue then fetched it all over again).
#   5. SIGTERM in the middle of a zip download that stalls, with the
#      default timeouts: the download is cancelled once the grace period
#      is over (it is not tried again), the server exits 0, its client and
#      a second one waiting on that fetch get 503 (the log counts both),
#      and nothing is recorded (before, the download ran on through its
#      30 s stall timeout and three retries: two minutes before the
#      server stopped).
. "$top_srcdir/tests/e2e/lib.sh"
MKZIP="$top_srcdir/tests/e2e/mkzip.py"
PIDS=
slow_cleanup() {
	stop_pids
	e2e_cleanup
}
trap slow_cleanup EXIT
if ! command -v curl >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1 ||
    ! command -v ss >/dev/null 2>&1; then
	echo "SKIP: needs curl, python3 and ss (iproute2)"
	exit 77
fi

# serve TAG DB ARGS...: sumdbd serve (tests/e2e/server.sh) without the
# admin socket; sets URL and SPID.
serve() {
	_tag=$1
	shift
	sumdbd_start "$_tag" "$@" --no-admin
	eval "SPID=\$${_tag}_PID URL=\$${_tag}_URL"
	PIDS="$PIDS $SPID"
}

# zips_asked N PATTERN: the proxy saw at least N zip requests matching PATTERN.
zips_asked() { [ "$(grep -c "^csumdb-sumdbd /corp.example.com/$2/@v/v1.0.0.zip\$" "$WORK/hits" 2>/dev/null)" -ge "$1" ]; }

# miss NAME: GET /lookup/corp.example.com/NAME@v1.0.0 in the background;
# status and time in $WORK/NAME.st, body in $WORK/NAME.body.
miss() {
	curl -s --max-time 60 -o "$WORK/$1.body" -w '%{http_code} %{time_total}\n' \
	    "$URL/lookup/corp.example.com/$1@v1.0.0" >"$WORK/$1.st" 2>&1 &
	PIDS="$PIDS $!"
}
tree_size() { curl -s "$1/latest" | sed -n 2p; }

mkdir -p "$WORK/proxy"
for m in hang1 hang2 hang3 hang4 hang5 hang6 hang7 hang8 hang9 hangb hangd1 hangd2 hangd3 recd hangm quick stallt; do
	python3 "$MKZIP" proxy "$WORK/proxy" "corp.example.com/$m" v1.0.0 "${#m}" 3 || exit 1
done
python3 "$top_srcdir/tests/e2e/faultproxy.py" "$WORK/proxy" >"$WORK/proxy.out" 2>"$WORK/proxy.err" &
PIDS="$PIDS $!"
wait_for 10 grep -q '^port ' "$WORK/proxy.out" || { echo "FAIL: proxy did not start"; exit 1; }
PROXY="http://127.0.0.1:$(sed -n 's/^port //p' "$WORK/proxy.out")"

mkdir -p "$WORK/db1" "$WORK/db2" "$WORK/db3" "$WORK/db4" "$WORK/db5"
for d in db1 db2 db3 db4 db5; do
	"$SUMDBD" init --db "$WORK/$d/sumdb.db" --name localhost.localdev/sumdb >"$WORK/$d.init" 2>&1 ||
	    { cat "$WORK/$d.init"; exit 1; }
done
gosum_lines 0 600 >"$WORK/g.sum"
expect 0 '^yes$' "600 known records imported" -- ok_if "$SUMDBD" add --db "$WORK/db1/sumdb.db" "$WORK/g.sum"

# --- 2 starts first: its fetch must outlast the grace period ---------------
# Its first attempt alone (30 s, the proxy never answering) outlasts the
# 10 s grace period by far, however late the stop comes on a slow machine
# (with 3 s, four attempts and their pauses ended about 14 s after the
# fetch began, and a stop 4 s late found the fetch over).  The stop
# cancels the fetch, so the test does not wait for that timeout.
serve s2 "$WORK/db2/sumdb.db" --threads 2 --upstream "$PROXY" --private corp.example.com \
    --upstream-timeout 30 --upstream-concurrency 1 --miss-queue 1
S2=$URL S2PID=$SPID
miss hang8
wait_for 10 zips_asked 1 hang8 || fail "hang8 never reached the upstream"
miss hang9
# the stop must find hang9 queued: wait until the server has read it
expect 0 '^yes$' "shutdown: a miss running and one queued" -- ok_if wait_for 30 requests_read "$S2" 2
T0=$(date +%s)
kill -TERM "$S2PID"

# --- 3 starts here too: its fetches run while 1 runs ------------------------
serve s3 "$WORK/db3/sumdb.db" --threads 2 --upstream "$PROXY" --private corp.example.com \
    --upstream-timeout 1 --upstream-concurrency 1 --miss-queue 8
S3=$URL
curl -s --max-time 60 -o "$WORK/hangb.body" -w '%{http_code}\n' "$S3/lookup/corp.example.com/hangb@v1.0.0" \
    >"$WORK/hangb.st" 2>&1 &
PIDS="$PIDS $!"
wait_for 10 zips_asked 1 hangb || fail "hangb never reached the upstream"
# ask and go: each request, then its connection closed as soon as the
# server has read the request (bytes in, none unread, seen by ss on the
# server's side of that connection: waiting for the server to read them
# all afterwards would race with the server closing the connections of
# the clients that went), so that recd, asked next, comes after them.
cat >"$WORK/askgo.py" <<'PY'
import socket, subprocess, sys, time
host, port = sys.argv[1].rsplit(":", 1)
def read_by_server(cport):
    out = subprocess.run(["ss", "-H", "-tni", "state", "all",
        "( sport = :%s and dport = :%d )" % (port, cport)],
        capture_output=True, text=True).stdout.split("\n")
    for i, line in enumerate(out):
        if line[:1] not in ("", " ", "\t") and line.split()[1] == "0" and \
                i + 1 < len(out) and "bytes_received:" in out[i + 1] and \
                "bytes_received:0 " not in out[i + 1] + " ":
            return True
    return False
for m in ("hangd1", "hangd2", "hangd3"):
    s = socket.create_connection((host, int(port)))
    s.sendall(b"GET /lookup/corp.example.com/%s@v1.0.0 HTTP/1.1\r\nHost: sumdb\r\n\r\n" % m.encode())
    cport = s.getsockname()[1]
    deadline = time.time() + 30
    while not read_by_server(cport):
        if time.time() > deadline:
            sys.exit("%s: the server did not read the request" % m)
        time.sleep(0.05)
    s.close()
print("yes")
PY
expect 0 '^yes$' "three clients asked and went while a miss was running" -- python3 "$WORK/askgo.py" "${S3#http://}"
curl -s --max-time 60 -o "$WORK/recd.body" -w '%{http_code}\n' "$S3/lookup/corp.example.com/recd@v1.0.0" \
    >"$WORK/recd.st" 2>&1 &
PIDS="$PIDS $!"

# --- 1. misses pending, others served --------------------------------------
# Its upstream is a gate that holds every request until the test opens
# it, so that the misses stay pending for as long as the test needs,
# however slow the machine, rather than for the few seconds of a short
# --upstream-timeout: it logs each request's path to $WORK/gate.hits,
# answers 200 and sends a byte of the body each second (no stall for the
# fetcher to give up on) until $WORK/gate.open exists, then cuts the
# answer short; asked again once open, it answers 404.
cat >"$WORK/gate.py" <<'GATE'
import http.server, os, socketserver, sys, threading, time
work = sys.argv[1]
opened = os.path.join(work, "gate.open")
lock = threading.Lock()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a):
        pass
    def do_GET(self):
        with lock, open(os.path.join(work, "gate.hits"), "a") as f:
            f.write(self.path + "\n")
        if os.path.exists(opened):
            self.send_response(404)
            self.send_header("Content-Length", "10")
            self.end_headers()
            self.wfile.write(b"not found\n")
            return
        self.send_response(200)
        self.send_header("Content-Length", "1000000")
        self.end_headers()
        # a deadline that only ends a test that never opens the gate
        deadline = time.monotonic() + 600
        while not os.path.exists(opened) and time.monotonic() < deadline:
            self.wfile.write(b"x")
            self.wfile.flush()
            for _ in range(20):
                if os.path.exists(opened):
                    break
                time.sleep(0.05)
        self.close_connection = True
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
s = S(("127.0.0.1", 0), H)
print("port %d" % s.server_address[1], flush=True)
s.serve_forever()
GATE
python3 "$WORK/gate.py" "$WORK" >"$WORK/gate.out" 2>"$WORK/gate.err" &
GATE_PID=$!
PIDS="$PIDS $GATE_PID"
wait_for 10 grep -q '^port ' "$WORK/gate.out" || { echo "FAIL: the gate did not start"; cat "$WORK/gate.err"; exit 1; }
GATE="http://127.0.0.1:$(sed -n 's/^port //p' "$WORK/gate.out")"
# gate_asked M: the gate was asked for a file of module M.
gate_asked() { grep -q "^/corp.example.com/$1/@v/" "$WORK/gate.hits" 2>/dev/null; }
serve s1 "$WORK/db1/sumdb.db" --threads 2 --upstream "$GATE" --private corp.example.com \
    --upstream-timeout 600 --upstream-concurrency 4 --miss-queue 2
S1=$URL S1PID=$SPID
before=$(tree_size "$S1")
for i in 1 2 3 4; do miss "hang$i"; done
four_asked() { gate_asked hang1 && gate_asked hang2 && gate_asked hang3 && gate_asked hang4; }
expect 0 '^yes$' "four misses running at once: the upstream holds four requests" -- \
	ok_if wait_for 10 four_asked
miss hang5
miss hang6
# hang7 must come after them: wait until the server has read all six
expect 0 '^yes$' "six misses pending: four running, two queued" -- ok_if wait_for 30 requests_read "$S1" 6
expect 0 '^503 Retry-After: [0-9]+ busy: too many lookups waiting' \
	"a miss past the queue: 503 at once with Retry-After and a clear body" -- sh -c \
	"curl -s --max-time 60 -D '$WORK/h7' -o '$WORK/b7' -w '%{http_code} ' '$S1/lookup/corp.example.com/hang7@v1.0.0'; \
	 sed -n 's/^\(Retry-After: [0-9]*\).*/\1 /p' '$WORK/h7' | tr -d '\n'; cat '$WORK/b7'"
# The operator hears of it: one line naming the limits, and a second
# refusal within the minute only counted (doc/sumdbd.8 LOG).
curl -s --max-time 60 -o /dev/null "$S1/lookup/corp.example.com/hang7@v1.0.0"
expect 0 '^1 1$' "two refusals: one log line, naming what the lookups wait for and the limits" -- sh -c \
	"printf '%s %s\n' \"\$(grep -c '^sumdbd: busy: answered 503 to a lookup waiting for the upstream, over --upstream-concurrency 4 and --miss-queue 2 (refusals are said at most once a minute)\$' '$WORK/s1.err')\" \"\$(grep -c '^sumdbd: busy:' '$WORK/s1.err')\""

# 200 requests, each on its own connection, spread over both workers
: >"$WORK/probe.cfg"
i=0
while [ $i -lt 40 ]; do
	for p in /tile/8/0/000 /tile/8/0/001 /tile/8/data/001 "/lookup/example.com/m$((i * 13 % 600))@v1.0.0" /latest; do
		printf 'url = "%s%s"\noutput = /dev/null\n' "$S1" "$p" >>"$WORK/probe.cfg"
	done
	i=$((i + 1))
done
curl -s -H 'Connection: close' -K "$WORK/probe.cfg" -w '%{http_code} %{time_total}\n' >"$WORK/probe.txt"
expect 0 '^200 200$' "200 requests during the misses, all answered 200" -- sh -c \
	"echo \$(wc -l <'$WORK/probe.txt') \$(grep -c '^200 ' '$WORK/probe.txt')"
# Not stalled, shown by order rather than by a time: every miss was still
# pending when the last of the 200 was answered (the gate holds the four
# running ones until it is opened, below).  How fast such requests are
# answered is for the benchmarks under tools/.
expect 0 '^none$' "... all answered while the six misses were still pending" -- sh -c \
	"cat '$WORK'/hang[1-6].st | grep . || echo none"

: >"$WORK/gate.open"
for i in 1 2 3 4 5 6; do
	wait_for 120 test -s "$WORK/hang$i.st"
	expect 0 "^404 [0-9.]+ not found: " \
		"hang$i: once the upstream answers, its 404" -- sh -c "tr -d '\n' <'$WORK/hang$i.st'; printf ' '; cat '$WORK/hang$i.body'"
done
ctl_server_stop GATE_PID
expect 0 "^$before\$" "nothing recorded" -- tree_size "$S1"
expect 0 '^go.sum database tree$' "the server keeps serving" -- sh -c "curl -s '$S1/latest' | head -n 1"
# at its stop, the refusal only counted is said
kill -TERM "$S1PID"
wait "$S1PID"
expect 0 '^1$' "at the stop, the second refusal, only counted, is said" -- grep -c \
	'^sumdbd: busy: answered 503 to 1 lookup waiting for the upstream since the last such line, over --upstream-concurrency 4 and --miss-queue 2$' \
	"$WORK/s1.err"

# --- 2. graceful shutdown, end ---------------------------------------------
wait_for 20 test -s "$WORK/hang9.st"
expect 0 '^503 .*shutting down' "shutdown: the queued miss gets 503" -- sh -c "tr -d '\n' <'$WORK/hang9.st'; printf ' '; cat '$WORK/hang9.body'"
wait "$S2PID"
st=$?
T1=$(date +%s)
# the server has answered and exited; its client may still be writing
wait_for 10 test -s "$WORK/hang8.st"
expect 0 '^503 .*shutting down' "shutdown: the miss still fetching after the grace period gets 503" -- \
	sh -c "tr -d '\n' <'$WORK/hang8.st'; printf ' '; cat '$WORK/hang8.body'"
expect 0 '^0$' "the server exits 0 after $((T1 - T0)) s" -- echo "$st"
expect 0 '^1$' "the log says why those clients got 503" -- grep -c \
	'^sumdbd: stopping: answered 503 to 1 lookup queued for a miss thread and to 1 lookup still fetching after the 10 s grace period, whose fetches are cancelled$' \
	"$WORK/s2.err"
expect 0 '^clean$' "no sanitizer report" -- sh -c "grep -E 'Sanitizer|runtime error' '$WORK/s2.err' || echo clean"

# --- 3. clients that ask and go, end ---------------------------------------
wait_for 60 test -s "$WORK/recd.st"
expect 0 '^200$' "a miss queued behind three clients that went: recorded" -- cat "$WORK/recd.st"
expect 0 '^0$' "the upstream was never asked for the modules of the clients that went" -- \
	sh -c "grep -c '/corp.example.com/hangd' '$WORK/hits' || true"
sumdbd_stop s3
expect 0 '^0$' "that server stops cleanly" -- echo "$SUMDBD_STATUS"
expect 0 '^clean$' "no sanitizer report from it" -- sh -c "grep -E 'Sanitizer|runtime error' '$WORK/s3.err' || echo clean"

# --- 4. one hanging version, many clients ----------------------------------
serve s4 "$WORK/db4/sumdb.db" --threads 2 --upstream "$PROXY" --private corp.example.com \
    --upstream-timeout 2 --upstream-concurrency 2 --miss-queue 8
S4=$URL
for i in 1 2 3 4 5; do
	curl -s --max-time 60 -o "$WORK/hangm$i.body" -w '%{http_code}\n' \
	    "$S4/lookup/corp.example.com/hangm@v1.0.0" >"$WORK/hangm$i.st" 2>&1 &
	PIDS="$PIDS $!"
	[ $i -gt 1 ] || wait_for 10 zips_asked 1 hangm || fail "hangm never reached the upstream"
done
# quick must come after the five: wait until the server has read them all
expect 0 '^yes$' "five clients ask for one hanging version" -- ok_if wait_for 30 requests_read "$S4" 5
expect 0 '^corp.example.com/quick v1.0.0 h1:' "five clients wait on one hanging version: another is recorded meanwhile" -- \
	curl -s --max-time 60 "$S4/lookup/corp.example.com/quick@v1.0.0"
expect 0 '^none$' "... while all five still wait" -- sh -c \
	"cat '$WORK'/hangm?.st | grep . || echo none"
for i in 1 2 3 4 5; do wait_for 60 test -s "$WORK/hangm$i.st"; done
expect 0 "^504 fetching corp.example.com/hangm@v1.0.0 failed: .*timed out" \
	"the first client's answer: 504 naming the timeout" -- sh -c "tr -d '\n' <'$WORK/hangm1.st'; printf ' '; cat '$WORK/hangm1.body'"
expect 0 '^same$' "all five get that same answer" -- sh -c \
	"for i in 2 3 4 5; do cmp -s '$WORK/hangm1.body' \"$WORK/hangm\$i.body\" && cmp -s '$WORK/hangm1.st' \"$WORK/hangm\$i.st\" || exit 1; done; echo same"
expect 0 '^4$' "one fetch for the five (its first attempt and three retries)" -- \
	sh -c "grep -c '^csumdb-sumdbd /corp.example.com/hangm/@v/v1.0.0.zip\$' '$WORK/hits'"
sumdbd_stop s4
expect 0 '^0$' "that server stops cleanly" -- echo "$SUMDBD_STATUS"
expect 0 '^clean$' "no sanitizer report from it" -- sh -c "grep -E 'Sanitizer|runtime error' '$WORK/s4.err' || echo clean"

# --- 5. SIGTERM in the middle of a download ----------------------------------
serve s5 "$WORK/db5/sumdb.db" --upstream "$PROXY" --private corp.example.com
curl -s --max-time 200 -o "$WORK/stallt.body" -w '%{http_code}\n' \
    "$URL/lookup/corp.example.com/stallt@v1.0.0" >"$WORK/stallt.st" 2>&1 &
PIDS="$PIDS $!"
wait_for 10 zips_asked 1 stallt || fail "stallt never reached the upstream"
# a second client of that version waits on its fetch
curl -s --max-time 200 -o "$WORK/stallt2.body" -w '%{http_code}\n' \
    "$URL/lookup/corp.example.com/stallt@v1.0.0" >"$WORK/stallt2.st" 2>&1 &
PIDS="$PIDS $!"
# the stop must find both waiting: wait until the server has read both
expect 0 '^yes$' "two clients wait on a stalled download" -- ok_if wait_for 30 requests_read "$URL" 2
T0=$(date +%s)
SUMDBD_STOP_LIMIT=150 sumdbd_stop s5
T1=$(date +%s)
expect 0 '^0$' "stopped in the middle of a download: exits 0" -- echo "$SUMDBD_STATUS"
# A bound that only catches the old stall (the download run on through its
# 30 s stall timeout and three retries: two minutes and more), not a
# measure of speed: the stop takes the 10 s grace period and about a
# second more.  That the download was not retried is shown by the
# proxy's log below.
expect 0 '^yes$' "... well before the download's own timeouts and retries would end (took $((T1 - T0)) s; the grace period is 10 s)" -- \
	ok_if [ $((T1 - T0)) -lt 100 ]
wait_for 10 test -s "$WORK/stallt.st"
expect 0 '^503 .*shutting down' "its client gets 503" -- \
	sh -c "tr -d '\n' <'$WORK/stallt.st'; printf ' '; cat '$WORK/stallt.body'"
wait_for 10 test -s "$WORK/stallt2.st"
expect 0 '^503 .*shutting down' "... and so does the client waiting on its fetch" -- \
	sh -c "tr -d '\n' <'$WORK/stallt2.st'; printf ' '; cat '$WORK/stallt2.body'"
expect 0 '^1$' "the log counts both" -- grep -c \
	'^sumdbd: stopping: answered 503 to 2 lookups still fetching after the 10 s grace period, whose fetches are cancelled$' \
	"$WORK/s5.err"
expect 0 '^1$' "the download was not tried again" -- \
	sh -c "grep -c '^csumdb-sumdbd /corp.example.com/stallt/@v/v1.0.0.zip\$' '$WORK/hits'"
expect 0 '^tree: 0 records' "nothing recorded" -- "$SUMDBD" status --db "$WORK/db5/sumdb.db"
e2e_done
