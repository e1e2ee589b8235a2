#!/bin/sh
# The admin socket's requests, byte for byte ("add TOKEN LENGTH\n" and
# LENGTH bytes of go.sum, src/sumdbd/admin.c): LENGTH is decimal digits
# as `sumdbd add` writes it, nothing else.  A sign, a space, a leading
# zero, or a negative number that wraps around to a small one is a
# malformed request, refused, and nothing of it is recorded; a number over
# the limit, however many digits, is refused as too large; the length as
# sumdbd add writes it is recorded.
. "$top_srcdir/tests/e2e/lib.sh"
if ! command -v curl >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
	echo "SKIP: needs curl and python3"
	exit 77
fi

# send LENGTH FILE: one request with LENGTH as given and FILE's bytes
# after it; prints the server's answer.
send() {
	python3 - "$WORK/db.admin.sock" "$WORK/db.admin.token" "$1" "$2" <<'PY'
import socket, sys
sock, tokfile, length, body = sys.argv[1:]
token = open(tokfile).read().strip()
data = open(body, "rb").read()
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sock)
s.sendall(b"add " + token.encode() + b" " + length.encode() + b"\n" + data)
s.shutdown(socket.SHUT_WR)
out = b""
# a refusal comes before the body is read: the answer, then a reset
try:
    while True:
        b = s.recv(4096)
        if not b:
            break
        out += b
except ConnectionResetError:
    pass
sys.stdout.write(out.decode(errors="replace"))
PY
}
# status M: the status of a lookup of example.com/M@v1.0.0.
status() { curl -s -o /dev/null -w '%{http_code}\n' "$URL/lookup/example.com/$1@v1.0.0"; }

expect 0 'verifier key: ' "init" -- "$SUMDBD" init --db "$WORK/db" --name localhost.localdev/sumdb
start_sumdbd "$WORK/db"
i=0
for form in ' %d' '+%d' '0%d' '%d ' '-0' '-18446744073709551615'; do
	gosum_lines $i $((i + 1)) >"$WORK/m$i.sum"
	n=$(wc -c <"$WORK/m$i.sum")
	# "-0" and "-18446744073709551615" stand for 0 and 1 to strtoull:
	# bodies of that length
	case "$form" in
	-0) : >"$WORK/m$i.sum" ;;
	-1*) printf '\n' >"$WORK/m$i.sum" ;;
	esac
	len=$(printf -- "$form" "$n")
	send "$len" "$WORK/m$i.sum" >"$WORK/ans"
	expect 0 '^malformed admin request: the go\.sum length is not a decimal number$' \
		"length '$len': refused as malformed" -- cat "$WORK/ans"
	expect 0 '^error -10$' "... with the code of invalid input" -- cat "$WORK/ans"
	i=$((i + 1))
done
for len in 67108865 18446744073709551616 99999999999999999999999999999999; do
	send "$len" /dev/null >"$WORK/ans"
	expect 0 '^go\.sum length over the limit of 67108864 bytes$' \
		"length $len: refused as over the limit" -- cat "$WORK/ans"
	expect 0 '^error -11$' "... with the code of too large" -- cat "$WORK/ans"
done
gosum_lines 9 10 >"$WORK/m9.sum"
send "$(wc -c <"$WORK/m9.sum")" "$WORK/m9.sum" >"$WORK/ans"
expect 0 '^ok$' "the length as sumdbd add writes it: recorded" -- cat "$WORK/ans"
expect 0 '^200$' "... and served" -- status m9
# Each add taken whole is said in the server's log, its outcome: what
# was recorded, or why nothing was (a conflict with a recorded hash, a
# full disk) for the operator, not only for the client.
expect 0 '^sumdbd: admin add: added 1, already present 0 \(module versions\); tree size 1$' \
	"... and said in the server's log" -- cat "$WORK/serve.err"
gosum_lines 9 10 other >"$WORK/m9x.sum"
send "$(wc -c <"$WORK/m9x.sum")" "$WORK/m9x.sum" >"$WORK/ans"
expect 0 '^error ' "other hashes for the recorded m9: refused" -- cat "$WORK/ans"
expect 0 '^sumdbd: admin add refused, nothing recorded: example\.com/m9@v1\.0\.0 is already recorded .* with other hashes$' \
	"... and said in the server's log, naming the version" -- cat "$WORK/serve.err"
for m in m0 m1 m2; do
	expect 0 '^404$' "nothing of the refused $m was recorded" -- status $m
done
stop_sumdbd
e2e_done
