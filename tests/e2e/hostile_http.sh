#!/bin/sh
# Hostile HTTP clients (issue 7), a short run of tools/hostile_http.py
# (which runs any of these parts longer or harder) on loopback:
#   1. 500 slowloris connections sending headers one byte every 0.5 s
#      while a normal client fetches tiles on new connections: every
#      normal request answered 200, none waiting for the header timeout
#      a client held up behind them would wait, and every slow
#      connection cut by the header timeout (2 s here), none left open;
#   2. 5,000 idle connections (from 10 loopback addresses): the server
#      takes them all, keeps serving the normal client, and cuts them;
#   3. oversized headers and URLs, pipelined garbage, NUL bytes in the
#      request line, random bytes: 4xx or a closed connection, and the
#      server answers /latest after each; a GET or HEAD with a body: 400
#      and the connection closed (not closed without an answer); an
#      absolute-form target (http://HOST/PATH) served as PATH;
#   3b. 3,000 spellings of one full data tile (%74ile/...): all served,
#      and the server's memory does not grow with them (each used to be
#      kept in the response cache, pushing real tiles out);
#   4. bursts: 256 keep-alive connections whose requests all become ready
#      at once (the server is stopped with SIGSTOP while they are sent):
#      every round answered in full, none waits for a timeout;
#   4b. SIGTERM while 64 keep-alive clients ask as fast as they can: each
#      is told Connection: close within a few answers, instead of being
#      served on through the grace period;
#   then the server is still alive and stops cleanly (no sanitizer report);
#   5. connection limits: a server with 4 per address and 10 in all keeps
#      exactly that many, closes the others at once, takes as many again
#      once they are closed, says on standard error that it refused
#      connections over each limit (once: at most once a minute), and
#      stops cleanly on SIGTERM, saying then the refusals only counted.
. "$top_srcdir/tests/e2e/lib.sh"
TOOL="$top_srcdir/tools/hostile_http.py"
if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: needs python3"
	exit 77
fi
# field KEY FILE PREFIX: the value of KEY=... on the line starting with PREFIX.
field() { sed -n "s/^$3.* $1=\([^ ]*\).*/\1/p" "$2" | head -n 1; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 < b + 0) }'; }

mkdir -p "$WORK/db"
"$SUMDBD" init --db "$WORK/db/sumdb.db" --name localhost.localdev/sumdb >"$WORK/init.out" 2>&1 ||
    { cat "$WORK/init.out"; exit 1; }
gosum_lines 0 600 >"$WORK/g.sum"
expect 0 '^yes$' "600 records imported" -- ok_if "$SUMDBD" add --db "$WORK/db/sumdb.db" "$WORK/g.sum"
# Under AddressSanitizer freed memory is held in quarantine (256 MiB):
# without it the server's resident size still tells what it keeps.
_asan=${ASAN_OPTIONS:-}
ASAN_OPTIONS="${_asan:+$_asan:}quarantine_size_mb=0"
export ASAN_OPTIONS
start_sumdbd "$WORK/db/sumdb.db" --no-admin --threads 2 --header-timeout 2 --idle-timeout 30
ASAN_OPTIONS=$_asan
ADDR=${URL#http://}
PID=$SUMDBD_PID
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$PID/status"; }
rss0=$(rss)

# --- 1. slowloris ------------------------------------------------------------
python3 "$TOOL" slowloris "$ADDR" --conns 500 --interval 0.5 --seconds 8 >"$WORK/slow.txt" 2>&1
cat "$WORK/slow.txt"
expect 0 '^500$' "500 slowloris connections held" -- field held "$WORK/slow.txt" 'slowloris'
expect 0 '^500$' "all 500 cut by the server" -- field cut "$WORK/slow.txt" 'slowloris held'
# Not before the header timeout; and by it, not by the 30 s idle timeout:
# all within the 8 s run (a bound that catches the wrong timeout, not a
# measure of how promptly the server cuts).
cut_window() { lt 1.9 "$1" && lt "$2" 8; }
expect 0 '^yes$' "cut after the 2 s header timeout, not before, and not left to the idle timeout" -- \
	ok_if cut_window "$(field cut_after_s_min "$WORK/slow.txt" 'slowloris held')" "$(field max "$WORK/slow.txt" 'slowloris held')"
expect 0 '^0$' "the normal client saw no failure" -- field fail "$WORK/slow.txt" probe
# A client held up behind the hostile connections waits for the 2 s header
# timeout that frees a worker; its p99 is a few ms here, tens of ms on a
# loaded machine (it is measured in the same Python process that drives
# the hostile connections).  The bound is that timeout: it catches
# requests held up until a cut, and is no measure of speed (that is for
# the benchmarks under tools/).
P99_MAX=2000
p99=$(field p99_ms "$WORK/slow.txt" probe)
expect 0 '^yes$' "normal client p99 under $P99_MAX ms during slowloris ($p99 ms)" -- ok_if lt "$p99" "$P99_MAX"
# A client held up behind the slowloris connections gets about one answer
# per 2 s header timeout, 4 in these 8 s; an unhindered one makes hundreds
# (over 300 on a loaded machine, 37 with its own process starved of CPU).
expect 0 '^yes$' "the normal client made over 20 requests" -- ok_if lt 20 "$(field requests "$WORK/slow.txt" probe)"

# --- 2. 5,000 idle connections -----------------------------------------------
nofile=$(ulimit -n)
if [ "$nofile" != unlimited ] && [ "$nofile" -lt 5400 ]; then
	ulimit -n 5400 2>/dev/null || echo "note: ulimit -n is $nofile and cannot be raised; fewer idle connections"
fi
python3 "$TOOL" idle "$ADDR" --conns 5000 --seconds 6 >"$WORK/idle.txt" 2>&1
cat "$WORK/idle.txt"
expect 0 '^5000$' "5000 idle connections taken" -- field held "$WORK/idle.txt" 'idle'
expect 0 '^5000$' "all cut by the server" -- field cut "$WORK/idle.txt" 'idle held'
expect 0 '^0$' "the normal client saw no failure meanwhile" -- field fail "$WORK/idle.txt" probe
p99=$(field p99_ms "$WORK/idle.txt" probe)
expect 0 '^yes$' "normal client p99 under $P99_MAX ms with 5000 idle connections ($p99 ms)" -- ok_if lt "$p99" "$P99_MAX"

# --- 3. garbage --------------------------------------------------------------
python3 "$TOOL" garbage "$ADDR" >"$WORK/garbage.txt" 2>&1
cat "$WORK/garbage.txt"
expect 0 'server_alive_after_each=yes' "the server answers /latest after every garbage case" -- cat "$WORK/garbage.txt"
expect 0 'case=big_header answers=431' "oversized header: 431" -- cat "$WORK/garbage.txt"
expect 0 'case=big_url answers=(414|431)' "oversized URL: 414 or 431" -- cat "$WORK/garbage.txt"
expect 0 'case=pipelined_garbage answers=200,400' "pipelined garbage: the good request answered, then 400" -- cat "$WORK/garbage.txt"
# libmicrohttpd 0.9.75 hands the path over as a C string: a raw NUL ends
# it (so /lat<NUL>est is /lat, a 404); %00 is refused by our decoder
expect 0 'case=nul_request_line answers=4[0-9][0-9]' "NUL in the request line: 4xx" -- cat "$WORK/garbage.txt"
expect 0 'case=encoded_nul answers=400' "%00 in a lookup: 400" -- cat "$WORK/garbage.txt"
expect 0 'case=post_with_body answers=405' "POST: 405" -- cat "$WORK/garbage.txt"
# libmicrohttpd takes no answer before a request's body is in: a GET with
# a body was cut without one
expect 0 'case=get_with_body answers=400 closed=yes' "GET with a body: 400, connection closed" -- cat "$WORK/garbage.txt"
expect 0 'case=head_with_body answers=400 closed=yes' "HEAD with a body: 400, connection closed" -- cat "$WORK/garbage.txt"
expect 0 'case=expect_100_with_body answers=100,400 closed=yes' "Expect: 100-continue with a body: 100, then 400" -- cat "$WORK/garbage.txt"
expect 0 'case=chunked_get_with_body answers=400 closed=yes' "chunked GET with a body: 400" -- cat "$WORK/garbage.txt"
expect 0 'case=chunked_get_empty answers=200,200 closed=no' "an empty chunked body is no body: served, kept alive" -- cat "$WORK/garbage.txt"
expect 0 'case=get_content_length_0 answers=200,200 closed=no' "Content-Length: 0: served, kept alive" -- cat "$WORK/garbage.txt"
expect 0 'case=absolute_form answers=200 ' "absolute-form target http://HOST/latest: served (RFC 9112 3.2.2)" -- cat "$WORK/garbage.txt"
expect 0 'case=absolute_form_tile answers=200 ' "absolute-form target HTTPS://HOST:443/tile/...: served" -- cat "$WORK/garbage.txt"

# --- 3b. many spellings of one tile ------------------------------------------
# first as many of a partial tile (never kept), so that the memory the
# allocator holds for answering them is in before the measure
python3 "$TOOL" spellings "$ADDR" --path /tile/8/data/002.p/88 --conns 3000 >"$WORK/spell0.txt" 2>&1
expect 0 'asked=3000 codes=200:3000$' "3,000 spellings of /tile/8/data/002.p/88: all 200" -- cat "$WORK/spell0.txt"
rss_a=$(rss)
python3 "$TOOL" spellings "$ADDR" --path /tile/8/data/000 --conns 3000 >"$WORK/spell.txt" 2>&1
rss_b=$(rss)
cat "$WORK/spell.txt"
echo "server RSS: ${rss_a} kB before the spellings, ${rss_b} kB after"
expect 0 'asked=3000 codes=200:3000$' "3,000 spellings of /tile/8/data/000: all 200" -- cat "$WORK/spell.txt"
expect 0 '^yes$' "memory grew under 4 MiB with them ($((rss_b - rss_a)) kB)" -- ok_if lt $((rss_b - rss_a)) 4096

# --- 4. bursts ---------------------------------------------------------------
# libmicrohttpd 0.9.75's own worker loop slept with every one of 128 or
# 256 ready connections unanswered until the 2 s header timeout cut them
# (http.c): this failed within a few rounds with it
python3 "$TOOL" burst "$ADDR" --pid "$PID" --conns 256 --rounds 30 >"$WORK/burst.txt" 2>&1
cat "$WORK/burst.txt"
expect 0 '^30$' "30 rounds of 256 requests ready at once" -- field rounds "$WORK/burst.txt" burst
expect 0 '^0$' "every request of every round answered 200" -- field failed "$WORK/burst.txt" burst
slowest=$(field slowest_round_ms "$WORK/burst.txt" burst)
# A round that waited for a timeout would take the 2 s header timeout
# (its requests then cut, failing the check above): the bound catches
# that, and is no measure of speed.
expect 0 '^yes$' "the slowest round answered before the header timeout ($slowest ms), none waited for it" -- \
	ok_if lt "$slowest" 2000

rss1=$(rss)
echo "server RSS: ${rss0} kB at start, ${rss1} kB after the hostile clients"
expect 0 '^go.sum database tree$' "the server still serves" -- sh -c "curl -s '$URL/latest' | head -n 1"

# --- 4b. stopped under load ---------------------------------------------------
# 64 keep-alive clients asking as fast as they are answered get SIGTERM
# sent to the server: each gets an answer that says Connection: close
# and no more; before, none was told, and they were served on (up to 140
# answers each) until the grace period ran out or happened to find no
# request in flight.  A client slower than 0.1 s to ask again after an
# answer it got just before the stop is closed without another answer,
# as HTTP allows of an idle connection (its client retries): so most,
# not always all, are told.
python3 "$TOOL" drain "$ADDR" --pid "$PID" --conns 64 >"$WORK/drain.txt" 2>&1
cat "$WORK/drain.txt"
expect 0 '^yes$' "SIGTERM under load: keep-alive connections told Connection: close (48 of 64 at least)" -- \
	ok_if lt 47 "$(field told_close "$WORK/drain.txt" drain)"
# counted from the first answer that said Connection: close, not from the
# signal: a loaded machine may run the server's stop tens of ms after
# the signal was sent, and the clients are answered meanwhile
most=$(field most_answers_after_close "$WORK/drain.txt" drain)
expect 0 '^yes$' "some client was told to close (-1: none)" -- ok_if lt -1 "$most"
expect 0 '^yes$' "and none served more than 5 answers after the first told to close ($most)" -- \
	ok_if lt "$most" 6
stop_sumdbd
expect 0 '^0$' "the server stops cleanly" -- echo "$SUMDBD_STATUS"
expect 0 '^clean$' "no sanitizer report" -- sh -c "grep -E 'Sanitizer|runtime error' '$WORK/serve.err' || echo clean"

# --- 5. connection limits ----------------------------------------------------
sumdbd_start lim "$WORK/db/sumdb.db" --no-admin --threads 2 --max-conns-per-ip 4 --max-conns 10
LADDR=${lim_URL#http://}
python3 "$TOOL" limits "$LADDR" --conns 6 --sources 1 >"$WORK/lim1.txt" 2>&1
cat "$WORK/lim1.txt"
expect 0 '^4$' "one address: 4 of 6 connections kept" -- field kept "$WORK/lim1.txt" limits
expect 0 '^2$' "one address: the other 2 closed at once" -- field closed_at_once "$WORK/lim1.txt" limits
expect 0 '^4$' "one address: 4 kept again once the first ones closed" -- field again_kept "$WORK/lim1.txt" limits
python3 "$TOOL" limits "$LADDR" --conns 15 --sources 3 >"$WORK/lim2.txt" 2>&1
cat "$WORK/lim2.txt"
expect 0 '^10$' "three addresses: 10 of 15 kept (the total)" -- field kept "$WORK/lim2.txt" limits
expect 0 '^4,3,3$' "three addresses: none over 4" -- field kept_per_source "$WORK/lim2.txt" limits
expect 0 '^10$' "three addresses: 10 kept again once the first ones closed" -- field again_kept "$WORK/lim2.txt" limits
expect 0 '^go.sum database tree$' "the limited server still serves" -- sh -c "curl -s '$lim_URL/latest' | head -n 1"
# A refused client sees only its connection closed (behind a reverse
# proxy, whose address every client has, a 502 from the proxy): the
# server says so, once a minute at most.
expect 0 '^1$' "refusals over --max-conns-per-ip said, with the address and the fix behind a proxy" -- \
	grep -Ec "^sumdbd: refused a connection from 127\\.0\\.0\\.[0-9]+ over --max-conns-per-ip 4; behind a reverse proxy every client has the proxy's address: raise --max-conns-per-ip to --max-conns \\(refusals are said at most once a minute\\)\$" "$WORK/lim.err"
expect 0 '^1$' "... once for the refusals of both runs" -- grep -c 'over --max-conns-per-ip' "$WORK/lim.err"
expect 0 '^1$' "refusals over --max-conns said, once" -- \
	grep -Ec '^sumdbd: refused a connection from 127\.0\.0\.[0-9]+ over --max-conns 10 \(refusals' "$WORK/lim.err"
sumdbd_stop lim
expect 0 '^1$' "at the stop, the refusals only counted are said, with their number" -- \
	grep -Ec "^sumdbd: refused [1-9][0-9]* connections? over --max-conns-per-ip 4 since the last such line; behind a reverse proxy every client has the proxy's address: raise --max-conns-per-ip to --max-conns\$" "$WORK/lim.err"
expect 0 '^no$' "the limited server stops on SIGTERM (within $SUMDBD_STOP_LIMIT s)" -- echo "$SUMDBD_STOP_TIMED_OUT"
expect 0 '^0$' "and exits 0" -- echo "$SUMDBD_STATUS"
expect 0 '^clean$' "no sanitizer report from the limited server" -- sh -c "grep -E 'Sanitizer|runtime error' '$WORK/lim.err' || echo clean"
e2e_done
