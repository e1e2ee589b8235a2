#!/bin/sh
# What sumdbd serve itself holds, seen from /proc (and the file system):
#   1. the admin socket at the open-files limit: a sumdbd add that
#      connects while the server has no descriptor left (its soft limit
#      lowered with prlimit) waits, the admin thread resting between
#      tries instead of spinning on accept (the server's CPU time while
#      it waits stays low), and is served once descriptors are free;
#   2. threads: with --no-public the public log's miss threads are not
#      started at all: the server has exactly --public-concurrency
#      threads fewer than one that looks up public modules;
#   3. the database's -wal file stays bounded while the log grows
#      under a keep-alive client;
#   4. ... and while a lookup miss waits on a hanging upstream.
. "$top_srcdir/tests/e2e/lib.sh"
PIDS=
resources_cleanup() {
	stop_pids
	e2e_cleanup
}
trap resources_cleanup EXIT
if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: needs python3"
	exit 77
fi

DB="$WORK/r.db"
"$SUMDBD" init --db "$DB" --name localhost.localdev/sumdb >"$WORK/init.out" 2>&1 ||
    { cat "$WORK/init.out"; exit 1; }
gosum_lines 0 5 >"$WORK/g.sum"

# cpu_ticks PID: the process's user and system time, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

if command -v prlimit >/dev/null 2>&1 && command -v ss >/dev/null 2>&1; then
	start_sumdbd "$DB"
	SOFT=$(prlimit --pid "$SUMDBD_PID" --nofile --output SOFT --noheadings | tr -d ' ')
	# The lowest descriptor number the server does not use: with that as
	# its soft limit, the next descriptor it asks for is refused (EMFILE).
	LOW=$(python3 -c '
import os, sys
fds = {int(x) for x in os.listdir("/proc/%s/fd" % sys.argv[1])}
n = 0
while n in fds:
    n += 1
print(n)' "$SUMDBD_PID")
	prlimit --pid "$SUMDBD_PID" --nofile="$LOW:" || { echo "FAIL: prlimit"; exit 1; }
	timeout 60 "$SUMDBD" add --db "$DB" "$WORK/g.sum" >"$WORK/add.out" 2>&1 &
	ADD_PID=$!
	PIDS="$PIDS $ADD_PID"
	# the add connects; its connection waits in the backlog of the admin
	# socket (a listening socket's Recv-Q: connections not yet accepted)
	in_backlog() {
		[ "$(ss -H -xl src "$DB.admin.sock" | awk '{ print $3 }')" -ge 1 ] 2>/dev/null
	}
	expect 0 '^yes$' "an add waits in the admin socket's backlog" -- ok_if wait_for 30 in_backlog
	# The CPU time the server uses in 2 s: a thread spinning on accept
	# uses a CPU's worth of it, one resting next to none.  The window's
	# length is not what decides: a slow or loaded machine gives a resting
	# server no more CPU time, so the check cannot fail for want of speed
	# (a machine loaded far past its CPUs could at worst hide a spinner).
	t0=$(cpu_ticks "$SUMDBD_PID")
	sleep 2
	t1=$(cpu_ticks "$SUMDBD_PID")
	HZ=$(getconf CLK_TCK)
	expect 0 '^rests$' "at the open-files limit the admin thread rests, not spins" -- \
		sh -c "t=$((t1 - t0)); if [ \$t -lt $((HZ / 2)) ]; then echo rests; else echo \"spins: \$t ticks of CPU in 2 s (CLK_TCK $HZ)\"; fi"
	expect 0 '^alive$' "... and the add still waits for its answer" -- \
		sh -c "kill -0 $ADD_PID 2>/dev/null && echo alive || { echo gone; cat '$WORK/add.out'; }"
	prlimit --pid "$SUMDBD_PID" --nofile="$SOFT:" || { echo "FAIL: prlimit"; exit 1; }
	wait "$ADD_PID"
	echo "exit $?" >>"$WORK/add.out"
	expect 0 '^added 5, already present 0 ' "once descriptors are free the add is served" -- cat "$WORK/add.out"
	expect 0 '^exit 0$' "... exit 0" -- cat "$WORK/add.out"
	stop_sumdbd
else
	echo "skip: no prlimit or ss: the admin socket at the open-files limit is not checked"
fi

# nthreads PID: the threads of the process.
nthreads() { ls "/proc/$1/task" | wc -l; }
# The public log's URL is never asked at start: a closed port will do.
start_sumdbd "$DB" --threads 2 --public-url http://127.0.0.1:1 --public-concurrency 5
ON=$(nthreads "$SUMDBD_PID")
stop_sumdbd
start_sumdbd "$DB" --threads 2 --no-public
OFF=$(nthreads "$SUMDBD_PID")
stop_sumdbd
expect 0 '^5$' "--no-public starts none of the public log's miss threads" -- echo "$((ON - OFF))"

# 3. the -wal file: a log that grows while a keep-alive client (one
# connection, never closed) looks up each batch as it is published.
# SQLite checkpoints the WAL at 1000 pages (4 MiB) and starts it over
# from its beginning only at a moment no reader is inside it: so
# without readers letting go between requests, 60 batches of 500
# records grow it to about 11 MB, without bound; with them it stays at
# the checkpoint size plus a batch.
# wal_growth DB: adds 60 batches of 500 records to DB while one
# keep-alive connection to the server at $URL looks each batch up;
# prints "wal SIZE", the -wal file's size at the end.
wal_growth() {
	python3 - "$SUMDBD" "$1" "$URL" "$WORK" <<'PY'
import base64, hashlib, http.client, os, subprocess, sys, urllib.parse
sumdbd, db, url, work = sys.argv[1:]
u = urllib.parse.urlsplit(url)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
h = lambda s: "h1:" + base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()
sock = None
for k in range(60):
    with open(work + "/b.sum", "w") as f:
        for i in range(500):
            f.write("example.com/b%d-%d v1.0.0 %s\n" % (k, i, h("z%d-%d" % (k, i))))
            f.write("example.com/b%d-%d v1.0.0/go.mod %s\n" % (k, i, h("m%d-%d" % (k, i))))
    subprocess.run([sumdbd, "add", "--db", db, work + "/b.sum"], check=True, stdout=subprocess.DEVNULL)
    for i in (0, 499):
        conn.request("GET", "/lookup/example.com/b%d-%d@v1.0.0" % (k, i))
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            sys.exit("lookup: %d" % r.status)
    if sock is None:
        sock = conn.sock
    elif conn.sock is not sock:
        sys.exit("the connection was closed")
print("wal %d" % os.path.getsize(db + "-wal"))
PY
}
DB3="$WORK/w.db"
"$SUMDBD" init --db "$DB3" --name localhost.localdev/sumdb >"$WORK/init.out" 2>&1 ||
    { cat "$WORK/init.out"; exit 1; }
start_sumdbd "$DB3" --threads 1 --no-public
wal_growth "$DB3" >"$WORK/wal.out" 2>&1
stop_sumdbd
expect 0 '^wal ([0-9]{1,6}|[0-5][0-9]{6})$' "the -wal file stays under 6 MB under a keep-alive reader" -- \
    cat "$WORK/wal.out"

# 4. the same while a lookup miss waits on its upstream (a proxy whose
# zip is never answered): the miss thread must not hold a snapshot over
# the fetch.  It did (one taken by the lookup that found nothing), and
# the -wal file grew to about 11 MB as in 3 without the round's release.
if command -v curl >/dev/null 2>&1; then
	mkdir -p "$WORK/proxy"
	python3 "$top_srcdir/tests/e2e/mkzip.py" proxy "$WORK/proxy" corp.example.com/hang v1.0.0 1 1 || exit 1
	python3 "$top_srcdir/tests/e2e/faultproxy.py" "$WORK/proxy" >"$WORK/proxy.out" 2>"$WORK/proxy.err" &
	FP_PID=$!
	PIDS="$PIDS $FP_PID"
	wait_for 10 grep -q '^port ' "$WORK/proxy.out" || { echo "FAIL: proxy did not start"; exit 1; }
	DB4="$WORK/w4.db"
	"$SUMDBD" init --db "$DB4" --name localhost.localdev/sumdb >"$WORK/init.out" 2>&1 ||
	    { cat "$WORK/init.out"; exit 1; }
	start_sumdbd "$DB4" --threads 1 --no-public --upstream-timeout 120 --private corp.example.com \
	    --upstream "http://127.0.0.1:$(sed -n 's/^port //p' "$WORK/proxy.out")"
	# a first batch, so that the WAL holds frames the miss's snapshot can see
	"$SUMDBD" add --db "$DB4" "$WORK/g.sum" >/dev/null 2>&1 || { echo "FAIL: add"; exit 1; }
	curl -s --max-time 300 -o /dev/null "$URL/lookup/corp.example.com/hang@v1.0.0" &
	PIDS="$PIDS $!"
	hang_asked() { grep -q '/corp.example.com/hang/@v/v1.0.0.zip$' "$WORK/hits" 2>/dev/null; }
	expect 0 '^yes$' "a lookup miss waits on a hanging upstream" -- ok_if wait_for 10 hang_asked
	wal_growth "$DB4" >"$WORK/wal4.out" 2>&1
	# the fetch fails at once when the proxy is gone: the server stops quickly
	kill "$FP_PID"
	stop_sumdbd
	expect 0 '^wal ([0-9]{1,6}|[0-5][0-9]{6})$' "... and while a lookup miss waits on its upstream" -- \
	    cat "$WORK/wal4.out"
else
	echo "skip: no curl: the -wal file under a waiting lookup miss is not checked"
fi

e2e_done
