#!/bin/sh
# Connection limits against clients the loopback addresses of
# hostile_http.sh cannot play (tools/hostile_http.py):
#   1. IPv6, in a network namespace of its own where 2001:db8::/32 is
#      local (skipped where unshare or ip is missing): with
#      --max-conns-per-ip 4, 6 connections from 6 addresses of one /64
#      are counted as from one client (4 kept: a host picks any address
#      of its /64 at will), 6 from 6 /64s are all kept, and IPv4 clients
#      of the same dual-stack socket (::ffff:127.0.0.x) count per IPv4
#      address, not all as one /64;
#   2. a low open-files limit (200): the server takes fewer connections
#      than that and keeps descriptors for its own work, so that with as
#      many connections as a flood can open, a lookup that records a
#      module from the upstream (a database reader, a socket, a zip file)
#      is still answered 200; the server stops cleanly.
if [ -z "${CONN_LIMITS_NETNS:-}" ] && command -v unshare >/dev/null 2>&1 &&
    command -v ip >/dev/null 2>&1 && unshare -rn true 2>/dev/null; then
	CONN_LIMITS_NETNS=1 exec unshare -rn sh "$0" "$@"
fi
. "$top_srcdir/tests/e2e/lib.sh"
TOOL="$top_srcdir/tools/hostile_http.py"
MKZIP="$top_srcdir/tests/e2e/mkzip.py"
PIDS=
limits_cleanup() {
	stop_pids
	e2e_cleanup
}
trap limits_cleanup EXIT
if ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: needs python3"
	exit 77
fi
field() { sed -n "s/^$3.* $1=\([^ ]*\).*/\1/p" "$2" | head -n 1; }

mkdir -p "$WORK/db" "$WORK/proxy"
"$SUMDBD" init --db "$WORK/db/sumdb.db" --name localhost.localdev/sumdb >"$WORK/init.out" 2>&1 ||
    { cat "$WORK/init.out"; exit 1; }
gosum_lines 0 300 >"$WORK/g.sum"
expect 0 '^yes$' "300 records imported" -- ok_if "$SUMDBD" add --db "$WORK/db/sumdb.db" "$WORK/g.sum"

# --- 1. IPv6 -----------------------------------------------------------------
# the server's address, then 6 of one /64 and one in each of 6 /64s
v6addrs() {
	echo 2001:db8::1
	for i in 2 3 4 5 6 7; do echo "2001:db8:0:1::$i 2001:db8:0:$i::1"; done
}
v6=no
if [ -n "${CONN_LIMITS_NETNS:-}" ] && ip link set lo up 2>/dev/null; then
	v6=yes
	for a in $(v6addrs); do
		ip -6 addr add "$a/128" dev lo nodad 2>/dev/null || v6=no
	done
fi
if [ "$v6" = yes ]; then
	sumdbd_start v6 "$WORK/db/sumdb.db" --no-admin --threads 2 --listen '[::]:0' --max-conns-per-ip 4
	PORT=${v6_URL##*:}
	python3 "$TOOL" limits "[2001:db8::1]:$PORT" --conns 6 --sources 6 \
	    --source-fmt '2001:db8:0:1::%x' >"$WORK/l1.txt" 2>&1
	cat "$WORK/l1.txt"
	expect 0 '^4$' "6 addresses of one /64: 4 connections kept, as from one client" -- \
		field kept "$WORK/l1.txt" limits
	python3 "$TOOL" limits "[2001:db8::1]:$PORT" --conns 6 --sources 6 \
	    --source-fmt '2001:db8:0:%x::1' >"$WORK/l2.txt" 2>&1
	cat "$WORK/l2.txt"
	expect 0 '^6$' "6 /64s: all 6 kept" -- field kept "$WORK/l2.txt" limits
	python3 "$TOOL" limits "127.0.0.1:$PORT" --conns 12 --sources 3 >"$WORK/l3.txt" 2>&1
	cat "$WORK/l3.txt"
	expect 0 '^4,4,4$' "IPv4 clients of the IPv6 socket: 4 per IPv4 address" -- \
		field kept_per_source "$WORK/l3.txt" limits
	sumdbd_stop v6
	expect 0 '^0$' "the IPv6 server stops cleanly" -- echo "$SUMDBD_STATUS"
else
	echo "note: no network namespace with IPv6 here (unshare, ip): IPv6 limits not tested"
fi

# --- 2. a low open-files limit -----------------------------------------------
python3 "$MKZIP" proxy "$WORK/proxy" corp.example.com/rec v1.0.0 1 3 || exit 1
python3 "$top_srcdir/tests/e2e/faultproxy.py" "$WORK/proxy" >"$WORK/proxy.out" 2>"$WORK/proxy.err" &
PIDS="$PIDS $!"
wait_for 10 grep -q '^port ' "$WORK/proxy.out" || { echo "FAIL: proxy did not start"; exit 1; }
PROXY="http://127.0.0.1:$(sed -n 's/^port //p' "$WORK/proxy.out")"
printf '#!/bin/sh\nulimit -n 200 || exit 1\nexec "$@"\n' >"$WORK/lowfd"
chmod +x "$WORK/lowfd"
SUMDBD_WRAP="$WORK/lowfd"
sumdbd_start fd "$WORK/db/sumdb.db" --no-admin --threads 2 --upstream "$PROXY" --private corp.example.com
SUMDBD_WRAP=
cat "$WORK/fd.err"
expect 0 '^yes$' "open-files limit 200: fewer connections than that" -- ok_if awk '
	/open-files limit 200: at most [0-9]+ connections/ { n = $(NF - 1) } END { exit !(n > 0 && n < 200) }' "$WORK/fd.err"
python3 "$TOOL" exhaust "${fd_URL#http://}" --conns 400 --sources 20 \
    --path /lookup/corp.example.com/rec@v1.0.0 >"$WORK/ex.txt" 2>&1
cat "$WORK/ex.txt"
expect 0 '^200$' "with every connection taken, a lookup that records from the upstream: 200" -- \
	field answer "$WORK/ex.txt" exhaust
expect 0 '^go.sum database tree$' "the server still serves" -- sh -c "curl -s '$fd_URL/latest' | head -n 1"
sumdbd_stop fd
expect 0 '^0$' "the server stops cleanly" -- echo "$SUMDBD_STATUS"
expect 0 '^clean$' "no sanitizer report" -- sh -c "grep -E 'Sanitizer|runtime error' '$WORK/fd.err' '$WORK/v6.err' 2>/dev/null || echo clean"
e2e_done
