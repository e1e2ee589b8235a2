#!/bin/sh
# sumdbd serve under a low open-files limit: the miss threads
# (--upstream-concurrency) get the descriptors their fetches need, so that
# with every connection taken each fetch still opens its socket and its
# temporary zip (no "Too many open files", no 502); and a limit that
# cannot hold them is refused at start, saying what to change.
. "$top_srcdir/tests/e2e/lib.sh"
if ! command -v curl >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: needs curl and python3"
	exit 77
fi
MKZIP="$top_srcdir/tests/e2e/mkzip.py"
N=20
i=1
while [ $i -le $N ]; do
	python3 "$MKZIP" proxy "$WORK/proxy" "corp.example.com/hang$i" v1.0.0 "$i" 2 >/dev/null || exit 1
	i=$((i + 1))
done
python3 "$top_srcdir/tests/e2e/faultproxy.py" "$WORK/proxy" >"$WORK/proxy.out" 2>"$WORK/proxy.err" &
PIDS=$!
# the proxy and the connection holder, by PID, however the test ends
trap 'stop_pids; sumdbd_stop fd; e2e_cleanup' EXIT
wait_for 30 grep -q '^port ' "$WORK/proxy.out" || { echo "FAIL: proxy did not start"; exit 1; }
PROXY="http://127.0.0.1:$(sed -n 's/^port //p' "$WORK/proxy.out")"
mkdir "$WORK/db"
"$SUMDBD" init --db "$WORK/db/s.db" --name sum.test.example >"$WORK/init.out" 2>&1 ||
	{ cat "$WORK/init.out"; exit 1; }
printf '#!/bin/sh\nulimit -n 200 || exit 1\nexec "$@"\n' >"$WORK/lowfd"
chmod +x "$WORK/lowfd"

# --- 1. a limit the miss threads cannot fit in: refused at start ----------
# (a server that starts all the same is stopped, and fails the check)
"$WORK/lowfd" "$SUMDBD" serve --db "$WORK/db/s.db" --listen 127.0.0.1:0 --no-public \
    --threads 1 --upstream "$PROXY" --private corp.example.com --upstream-concurrency 40 \
    >"$WORK/refused.out" 2>"$WORK/refused.err" &
R=$!
wait_for 60 sh -c '! kill -0 "$1" 2>/dev/null || grep -q "^sumdbd: serving" "$2"' sh $R \
    "$WORK/refused.out"
kill -TERM $R 2>/dev/null
wait $R
echo "exit $?" >>"$WORK/refused.err"
expect 0 "^sumdbd serve: open-files limit 200 is too low: 1 HTTP worker \(--threads\) and 40 miss threads \(--upstream-concurrency 40, --public-concurrency 0\) need up to [0-9]+ descriptors besides client connections; raise the limit" \
	"--upstream-concurrency 40 under an open-files limit of 200 is refused" -- cat "$WORK/refused.err"
expect 0 "^exit 1$" "... with exit status 1" -- cat "$WORK/refused.err"
expect 0 "^absent$" "... leaving no admin socket behind" -- \
	sh -c 'test -e "$1" || echo absent' sh "$WORK/db/s.db.admin.sock"

# --- 2. every connection taken while N fetches hang -----------------------
SUMDBD_WRAP="$WORK/lowfd"
sumdbd_start fd "$WORK/db/s.db" --threads 1 --upstream "$PROXY" --private corp.example.com \
    --upstream-concurrency $N --upstream-timeout 2
SUMDBD_WRAP=
CLIENTS=
i=1
while [ $i -le $N ]; do
	curl -s -m 120 -o /dev/null -w '%{http_code}\n' \
	    "$fd_URL/lookup/corp.example.com/hang$i@v1.0.0" >"$WORK/code.$i" &
	CLIENTS="$CLIENTS $!"
	i=$((i + 1))
done
# every fetch under way (its .zip asked for) before the connections are taken
wait_for 60 sh -c '[ "$(grep -c "hang.*\.zip$" "$1")" -ge "$2" ]' sh "$WORK/hits" $N ||
	echo "FAIL: the fetches did not all start"
python3 - "${fd_URL#http://}" >"$WORK/hold.out" 2>&1 <<'PY' &
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
socks = []
for i in range(300):
    try:
        socks.append(socket.create_connection((host, int(port))))
    except OSError:
        break
print("held", len(socks), flush=True)
time.sleep(600)
PY
HOLDER=$!
PIDS="$PIDS $HOLDER"
wait_for 30 grep -q '^held' "$WORK/hold.out" || fail "the connections were not opened"
for p in $CLIENTS; do
	wait "$p"
done
kill -TERM "$HOLDER"
wait "$HOLDER" 2>/dev/null
expect 0 "^$N$" "every hung fetch ends as the upstream timing out (504), none failing for descriptors" -- \
	sh -c 'cat "$1"/code.* | grep -c "^504$"' sh "$WORK"
sumdbd_stop fd
expect 0 "^none$" "no fetch met \"Too many open files\"" -- \
	sh -c 'grep "Too many open files" "$1" || echo none' sh "$WORK/fd.err"
expect 0 "^yes$" "the connections were lowered to fit the miss threads" -- ok_if \
	grep -Eq "open-files limit 200: at most [0-9]+ connections" "$WORK/fd.err"
e2e_done
