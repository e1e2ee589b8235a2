#!/bin/sh
# A slow public log never stalls private recording, nor other public
# lookups (issues 4 and 6).  A second sumdbd plays the public log behind
# the fault proxy (tests/e2e/sumdb_proxy.py), whose "hang" directive holds
# requests unanswered; the private sumdbd records corp.example.com from a
# file:// module proxy and asks the public log for the rest.
#   1. Four public lookups hang at the public log (as many as the default
#      miss threads): a private lookup is still recorded and answered
#      while they hang, and the public ones succeed once the log answers.
#   2. A public lookup whose tile fetch hangs does not hold up another
#      public lookup that needs nothing from the network.
#   3. --public-timeout bounds a public lookup: a log that never answers
#      gets 504 naming the timeout, long before a client gives up, and
#      nothing is recorded.
#   4. A tile that does not authenticate is fetched again, pausing longer
#      each time; when the next pause would pass --public-timeout, the
#      lookup ends as a timeout (504 saying so), not as an answer that did
#      not verify: the refetch that might have cleared it never ran.  With
#      time for every refetch, the same tile is refused (502).
#   5. The same for a lookup answer that does not parse: fetched again,
#      pausing longer each time; a refetch the timeout leaves no time for
#      ends the lookup as a timeout (504), and with time for every
#      refetch the answer is refused (502).
# Timings are only ever compared with generous bounds: the point is that
# the other lookup completes while the slow ones are still pending.
. "$top_srcdir/tests/e2e/lib.sh"
MKZIP="$top_srcdir/tests/e2e/mkzip.py"
PIDS=
slow_cleanup() {
	stop_pids
	proxy_stop
	sumdbd_stop PUB
	e2e_cleanup
}
trap slow_cleanup EXIT
if ! command -v curl >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: needs curl and python3"
	exit 77
fi

# get NAME URL: GET URL in the background (at most 200 s); status and time
# in $WORK/NAME.st, body in $WORK/NAME.body.
get() {
	curl -s --max-time 200 -o "$WORK/$1.body" -w '%{http_code} %{time_total}\n' "$2" \
	    >"$WORK/$1.st" 2>&1 &
	PIDS="$PIDS $!"
}
pending() { [ ! -s "$WORK/$1.st" ]; }
# answered NAME: its status, time and the first two lines of its body, on one line.
answered() { tr -d '\n' <"$WORK/$1.st"; printf ' '; head -n 2 "$WORK/$1.body" | tr '\n' ' '; echo; }
# asked N SUB: the public log was asked at least N times for paths with SUB.
asked() { [ "$(grep -c -- "$2" "$WORK/proxy.ctl.log" 2>/dev/null)" -ge "$1" ]; }
size() { curl -s "$URL/latest" | sed -n 2p; }

# The private module, in a file:// module proxy.
python3 "$MKZIP" proxy "$WORK/modproxy" corp.example.com/x v1.0.0 1 3 || exit 1

# The public log: 600 records (three level-0 tiles), behind the proxy.
expect 0 'verifier key: ' "init the public stand-in" -- "$SUMDBD" init --db "$WORK/pub.db" --name pub.sum.example
PUBVKEY=$(sed -n 's/^verifier key: //p' "$WORK/out")
gosum_lines 0 600 >"$WORK/fill.sum"
expect 0 'tree size 600' "600 public records" -- "$SUMDBD" add --db "$WORK/pub.db" "$WORK/fill.sum"
sumdbd_start PUB "$WORK/pub.db"
proxy_start
proxy_set "upstream $PUB_URL"

expect 0 'verifier key: ' "init the private log" -- "$SUMDBD" init --db "$WORK/priv.db" --name corp.sum.example
start_sumdbd "$WORK/priv.db" --no-admin --public-key "$PUBVKEY" --public-url "$PROXY_URL" \
    --upstream "file://$WORK/modproxy" --private corp.example.com
expect 0 '^example.com/m0 v1.0.0 h1:' "first contact: a public record is recorded" -- \
    curl -s --max-time 60 "$URL/lookup/example.com/m0@v1.0.0"

# --- 1. hanging public lookups, a private one ------------------------------
proxy_set "upstream $PUB_URL" "hang /lookup/"
: >"$WORK/proxy.ctl.log"
for i in 1 2 3 4; do get "pub$i" "$URL/lookup/example.com/m$i@v1.0.0"; done
expect 0 '^yes$' "four public lookups are waiting for the public log" -- \
    ok_if wait_for 30 asked 4 /lookup/
get priv "$URL/lookup/corp.example.com/x@v1.0.0"
wait_for 60 test -s "$WORK/priv.st"
expect 0 '^200 [0-9.]+ [0-9]+ corp.example.com/x v1.0.0 h1:' \
    "a private lookup is recorded while they hang" -- answered priv
expect 0 '^yes$' "... and the four public lookups were still waiting when it was answered" -- \
    ok_if sh -c "[ ! -s '$WORK/pub1.st' ] && [ ! -s '$WORK/pub2.st' ] && [ ! -s '$WORK/pub3.st' ] && [ ! -s '$WORK/pub4.st' ]"
echo "private lookup while four public ones hang: $(cat "$WORK/priv.st")"
proxy_set "upstream $PUB_URL"
for i in 1 2 3 4; do
	wait_for 60 test -s "$WORK/pub$i.st"
	expect 0 "^200 [0-9.]+ [0-9]+ example.com/m$i v1.0.0 h1:" \
	    "public m$i is recorded once the public log answers" -- answered "pub$i"
done

# --- 2. a public tile fetch hangs, another public lookup goes on -----------
# m300 is in level-0 tile 001, which no lookup has needed yet; m5 needs
# only tile 000 and the level-1 tile, both already fetched and cached.
proxy_set "upstream $PUB_URL" "hang /tile/8/0/001"
: >"$WORK/proxy.ctl.log"
get slowtile "$URL/lookup/example.com/m300@v1.0.0"
expect 0 '^yes$' "a public lookup waits for a tile the public log does not send" -- \
    ok_if wait_for 30 asked 1 /tile/8/0/001
get other "$URL/lookup/example.com/m5@v1.0.0"
wait_for 60 test -s "$WORK/other.st"
expect 0 '^200 [0-9.]+ [0-9]+ example.com/m5 v1.0.0 h1:' \
    "another public lookup is verified and recorded meanwhile" -- answered other
expect 0 '^yes$' "... while the first still waits for its tile" -- ok_if pending slowtile
echo "public lookup while another's tile hangs: $(cat "$WORK/other.st")"
proxy_set "upstream $PUB_URL"
wait_for 60 test -s "$WORK/slowtile.st"
expect 0 '^200 [0-9.]+ [0-9]+ example.com/m300 v1.0.0 h1:' \
    "the first is recorded once the tile comes" -- answered slowtile

# --- 3. --public-timeout ----------------------------------------------------
stop_sumdbd
expect 0 '--public-timeout SECS' "--help names --public-timeout" -- "$SUMDBD" serve --help
start_sumdbd "$WORK/priv.db" --no-admin --public-key "$PUBVKEY" --public-url "$PROXY_URL" \
    --upstream "file://$WORK/modproxy" --private corp.example.com --public-timeout 3
before=$(size)
proxy_set "upstream $PUB_URL" "hang /lookup/"
get late "$URL/lookup/example.com/m7@v1.0.0"
wait_for 60 test -s "$WORK/late.st"
expect 0 '^504 [0-9.]+ fetching example.com/m7@v1.0.0 failed: .*(timed out|time allowed)' \
    "a public log that never answers: 504 naming the timeout" -- answered late
t=$(cut -d' ' -f2 "$WORK/late.st")
echo "public lookup with --public-timeout 3 against a hanging log: $t s"
expect 0 '^yes$' "... well within a client's patience ($t s)" -- ok_if awk -v v="$t" 'BEGIN { exit !(v < 30) }'
expect 0 "^$before\$" "nothing recorded" -- size
proxy_set "upstream $PUB_URL"
expect 0 '^example.com/m7 v1.0.0 h1:' "the lookup succeeds once the public log answers" -- \
    curl -s --max-time 60 "$URL/lookup/example.com/m7@v1.0.0"
expect 0 'misbehavior: 0 seen' "a slow public log is no misbehavior" -- "$SUMDBD" status --db "$WORK/priv.db"

# --- 4. a tile refetch cut short by --public-timeout -------------------------
# Restarted, so that no tile is in the memory cache; tile 0/000 arrives
# with one bit flipped every time.
stop_sumdbd
start_sumdbd "$WORK/priv.db" --no-admin --public-key "$PUBVKEY" --public-url "$PROXY_URL" \
    --upstream "file://$WORK/modproxy" --private corp.example.com --public-timeout 1
before=$(size)
proxy_set "upstream $PUB_URL" "flip-tile 8/0/000"
: >"$WORK/proxy.ctl.log"
get cut "$URL/lookup/example.com/m8@v1.0.0"
wait_for 60 test -s "$WORK/cut.st"
expect 0 '^504 [0-9.]+ fetching example.com/m8@v1.0.0 failed: .*did not authenticate.*time allowed' \
    "a bad tile whose refetch would pass --public-timeout 1: 504 saying so" -- answered cut
echo "answer: $(answered cut)"
expect 0 '^yes$' "... after fetching the tile more than once" -- ok_if asked 2 /tile/8/0/000
expect 0 "^$before\$" "nothing recorded" -- size
stop_sumdbd
start_sumdbd "$WORK/priv.db" --no-admin --public-key "$PUBVKEY" --public-url "$PROXY_URL" \
    --upstream "file://$WORK/modproxy" --private corp.example.com
: >"$WORK/proxy.ctl.log"
get bad "$URL/lookup/example.com/m8@v1.0.0"
wait_for 60 test -s "$WORK/bad.st"
expect 0 '^502 [0-9.]+ fetching example.com/m8@v1.0.0 failed: .*did not verify' \
    "the same tile with time for every refetch: 502, it did not verify" -- answered bad
expect 0 '^yes$' "... after fetching it 4 times" -- ok_if asked 4 /tile/8/0/000
proxy_set "upstream $PUB_URL"
expect 0 '^example.com/m8 v1.0.0 h1:' "the lookup succeeds once the tile is whole" -- \
    curl -s --max-time 60 "$URL/lookup/example.com/m8@v1.0.0"
expect 0 'misbehavior: 0 seen' "a damaged tile is no misbehavior" -- "$SUMDBD" status --db "$WORK/priv.db"

# --- 5. a lookup refetch cut short by --public-timeout -----------------------
proxy_set "upstream $PUB_URL" "garble-lookup example.com/m9@"
: >"$WORK/proxy.ctl.log"
get badl "$URL/lookup/example.com/m9@v1.0.0"
wait_for 60 test -s "$WORK/badl.st"
expect 0 '^502 [0-9.]+ fetching example.com/m9@v1.0.0 failed: .*malformed note' \
    "a garbled lookup answer with time for every refetch: 502" -- answered badl
expect 0 '^yes$' "... after asking 4 times" -- ok_if asked 4 /lookup/example.com/m9@
stop_sumdbd
start_sumdbd "$WORK/priv.db" --no-admin --public-key "$PUBVKEY" --public-url "$PROXY_URL" \
    --upstream "file://$WORK/modproxy" --private corp.example.com --public-timeout 1
before=$(size)
: >"$WORK/proxy.ctl.log"
get cutl "$URL/lookup/example.com/m9@v1.0.0"
wait_for 60 test -s "$WORK/cutl.st"
expect 0 '^504 [0-9.]+ fetching example.com/m9@v1.0.0 failed: .*/lookup/example.com/m9@v1.0.0: .*time allowed' \
    "a garbled lookup answer whose refetch would pass --public-timeout 1: 504 saying so" -- \
    answered cutl
echo "answer: $(answered cutl)"
expect 0 '^yes$' "... after asking more than once" -- ok_if asked 2 /lookup/example.com/m9@
expect 0 "^$before\$" "nothing recorded" -- size
proxy_set "upstream $PUB_URL"
expect 0 '^example.com/m9 v1.0.0 h1:' "the lookup succeeds once the answer is whole" -- \
    curl -s --max-time 60 "$URL/lookup/example.com/m9@v1.0.0"

stop_sumdbd
expect 0 '^0$' "sumdbd serve exits 0 on SIGTERM" -- echo "$SUMDBD_STATUS"
e2e_done
