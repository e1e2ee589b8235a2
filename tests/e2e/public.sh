#!/bin/sh
# sumdbd answers for public modules (issue 6).  A second sumdbd under
# another name and key plays the public log, behind the fault proxy
# (tests/e2e/sumdb_proxy.py, which also counts requests); the private
# sumdbd has it as --public-key/--public-url and records corp.example.com
# from --upstream.  With GOSUMDB = the private sumdbd:
#   - one go mod download fetches private and public modules; the go.sum
#     lines of the public ones equal the public log's records;
#   - a public record already recorded is served without asking the
#     public log again; a new one costs a few public-log requests;
#   - a restart keeps the accepted public tree (no second first contact);
#   - a record that is not in the public tree with a forged level-0
#     tile, then a lookup answer whose note bears no signature of the
#     public log's key, then one whose record was garbled on the way:
#     502, the go command fails, nothing is recorded;
#     anything between us and the log could have made them, so none
#     is stored as misbehavior and sumdbd status stays 0;
#   - the public log forks (a diverging copy under the same key behind
#     the same URL, larger or of the accepted size): 502, nothing is
#     recorded, and the two signed trees are kept as evidence that
#     sumdbd status shows, exiting 2;
#   - a record the public log signed that is not a go.sum record: 502,
#     and kept as evidence as a fork is.
. "$top_srcdir/tests/e2e/lib.sh"
if ! command -v go >/dev/null 2>&1; then
	echo "SKIP: no go command"
	exit 77
fi
PUBNAME=pub.sum.example
NAME=corp.sum.example
XMOD_PID=
cleanup_public() {
	[ -z "$XMOD_PID" ] || { kill "$XMOD_PID" 2>/dev/null; wait "$XMOD_PID" 2>/dev/null; }
	proxy_stop
	sumdbd_stop PUB
	sumdbd_stop FORK
	sumdbd_stop FORK2
	e2e_cleanup
}
trap cleanup_public EXIT

# The module proxy: public modules a..e, a private one.
python3 - "$WORK/proxy" <<'PY'
import json, os, sys, zipfile
root = sys.argv[1]
mods = [("pub.example.org/" + n, n) for n in "abcde"] + [("corp.example.com/x", "x")]
for path, pkg in mods:
    ver = "v1.0.0"
    d = os.path.join(root, path, "@v")
    os.makedirs(d, exist_ok=True)
    gomod = "module %s\n\ngo 1.16\n" % path
    open(os.path.join(d, "list"), "w").write(ver + "\n")
    json.dump({"Version": ver, "Time": "2020-01-01T00:00:00Z"}, open(os.path.join(d, ver + ".info"), "w"))
    open(os.path.join(d, ver + ".mod"), "w").write(gomod)
    with zipfile.ZipFile(os.path.join(d, ver + ".zip"), "w") as z:
        z.writestr("%s@%s/go.mod" % (path, ver), gomod)
        z.writestr("%s@%s/%s.go" % (path, ver, pkg), "package %s\n\nfunc Name() string { return %s }\n" % (pkg, json.dumps(path)))
PY

# The true go.sum lines, from the go command with GOSUMDB=off.
ALL="pub.example.org/a@v1.0.0 pub.example.org/b@v1.0.0 pub.example.org/c@v1.0.0 pub.example.org/d@v1.0.0 pub.example.org/e@v1.0.0 corp.example.com/x@v1.0.0"
gomain "$WORK/m0" $ALL
gorun "$WORK/m0" "$WORK/gp0" off go mod download -json >"$WORK/dl.json" 2>"$WORK/dl.err"
python3 - "$WORK/dl.json" "$WORK" <<'PY'
import json, sys
dec, s, i = json.JSONDecoder(), open(sys.argv[1]).read(), 0
while True:
    while i < len(s) and s[i].isspace(): i += 1
    if i >= len(s): break
    o, i = dec.raw_decode(s, i)
    name = o["Path"].rsplit("/", 1)[1]
    with open("%s/%s.sum" % (sys.argv[2], name), "w") as f:
        f.write("%s %s %s\n%s %s/go.mod %s\n" % (o["Path"], o["Version"], o["Sum"], o["Path"], o["Version"], o["GoModSum"]))
PY
expect 0 'h1:' "go.sum lines computed with GOSUMDB=off" -- cat "$WORK/a.sum" "$WORK/x.sum"

# The public log: 300 filler records, then a, b, c.  FORK: a copy of its
# first 300 records under the same key, to grow differently.
expect 0 'verifier key: ' "init the public stand-in" -- "$SUMDBD" init --db "$WORK/pub.db" --name "$PUBNAME"
PUBVKEY=$(sed -n 's/^verifier key: //p' "$WORK/out")
gosum_lines 0 300 >"$WORK/fill.sum"
expect 0 'tree size 300' "300 filler records" -- "$SUMDBD" add --db "$WORK/pub.db" "$WORK/fill.sum"
log_copy "$WORK/pub.db" "$WORK/fork.db"
log_copy "$WORK/fork.db" "$WORK/fork2.db"
cat "$WORK/a.sum" "$WORK/b.sum" "$WORK/c.sum" >"$WORK/abc.sum"
expect 0 'tree size 303' "public modules a, b, c" -- "$SUMDBD" add --db "$WORK/pub.db" "$WORK/abc.sum"
sumdbd_start PUB "$WORK/pub.db"
proxy_start
proxy_set "upstream $PUB_URL"
: >"$WORK/proxy.ctl.log"
reqs() { wc -l <"$WORK/proxy.ctl.log" | tr -d ' '; }

# The private sumdbd.
expect 0 'verifier key: ' "init the private log" -- "$SUMDBD" init --db "$WORK/priv.db" --name "$NAME"
VKEY=$(sed -n 's/^verifier key: //p' "$WORK/out")
start_sumdbd "$WORK/priv.db" --no-admin --public-key "$PUBVKEY" --public-url "$PROXY_URL" \
    --upstream "file://$WORK/proxy" --private corp.example.com
GOSUMDB_PRIV="$VKEY $URL"
size() { curl -s "$URL/latest" | sed -n 2p; }

# 1. One go mod download: private and public modules.
gomain "$WORK/m1" pub.example.org/a@v1.0.0 pub.example.org/b@v1.0.0 corp.example.com/x@v1.0.0
expect 0 '^yes$' "go mod download of a, b (public) and x (private) through the private sumdbd" -- \
    ok_if gorun "$WORK/m1" "$WORK/gp1" "$GOSUMDB_PRIV" go mod download
gorun "$WORK/m1" "$WORK/gp1" "$GOSUMDB_PRIV" go build -o /dev/null . >/dev/null 2>&1
grep '^pub.example.org/' "$WORK/m1/go.sum" | sort >"$WORK/got.pub"
cat "$WORK/a.sum" "$WORK/b.sum" | sort >"$WORK/want.pub"
expect 0 '^yes$' "the public modules' go.sum lines equal the public log's records" -- \
    ok_if sh -c "[ -s '$WORK/got.pub' ] && cmp '$WORK/got.pub' '$WORK/want.pub'"
for m in a b; do
	curl -s "$PUB_URL/lookup/pub.example.org/$m@v1.0.0" | sed -n 2,3p >"$WORK/pubrec.$m"
	curl -s "$URL/lookup/pub.example.org/$m@v1.0.0" | sed -n 2,3p >"$WORK/privrec.$m"
	expect 0 '^yes$' "the private log records $m exactly as the public log does" -- \
	    ok_if cmp "$WORK/pubrec.$m" "$WORK/privrec.$m"
done
expect 0 '^corp.example.com/x v1.0.0 h1:' "x was recorded from the upstream" -- \
    curl -s "$URL/lookup/corp.example.com/x@v1.0.0"
expect 0 "first contact.*303 records" "first contact is logged" -- cat "$WORK/serve.err"
expect 0 '^3$' "the private log holds a, b, x" -- size
expect 0 '^go.sum database tree$' "sumdbd status: the accepted public tree" -- "$SUMDBD" status --db "$WORK/priv.db"
expect 0 '^303$' "... of 303 records" -- sh -c "'$SUMDBD' status --db '$WORK/priv.db' | sed -n '/^public tree accepted:/{n;n;p;}'"
expect 0 'misbehavior: 0 seen' "... and no misbehavior" -- "$SUMDBD" status --db "$WORK/priv.db"

# 2. Recorded public records are served from our log alone.
: >"$WORK/proxy.ctl.log"
expect 0 '^pub.example.org/a v1.0.0 h1:' "a recorded public record is answered" -- \
    curl -s "$URL/lookup/pub.example.org/a@v1.0.0"
gomain "$WORK/m2" pub.example.org/a@v1.0.0 pub.example.org/b@v1.0.0
expect 0 '^yes$' "a fresh client downloads a and b again" -- ok_if gorun "$WORK/m2" "$WORK/gp2" "$GOSUMDB_PRIV" go mod download
expect 0 '^0$' "... without a single request to the public log" -- reqs
# A new public module in the same public tree: the lookup and cached tiles.
: >"$WORK/proxy.ctl.log"
expect 0 '^pub.example.org/c v1.0.0 h1:' "c: a new public module is recorded" -- \
    curl -s "$URL/lookup/pub.example.org/c@v1.0.0"
n=$(reqs)
echo "public-log requests for c: $n"
expect 0 '^yes$' "... with at most 3 public-log requests ($n)" -- ok_if [ "$n" -le 3 ]
expect 0 '^not found: pub.example.org/nope@v1.0.0' "a module the public log lacks: 404" -- \
    sh -c "curl -s -w '%{http_code}' '$URL/lookup/pub.example.org/nope@v1.0.0' | grep -o '^not found: [^:]*'; curl -s -o /dev/null -w '%{http_code}\n' '$URL/lookup/pub.example.org/nope@v1.0.0' | grep -q 404"
# The go command shows at most 648 bytes of an error body, and nothing of
# a longer line: a long module path, which the 404 names three times (and
# the public log's own answer quoted), must not hide why.
LONGM=pub.example.org/platform-team/very-long-repository-name-of-the-payments-group/services/billing-reconciliation-engine/internal/clients/ledger-gateway-grpc-transport-adapter/v2
LONGV=v2.0.0-20231012003039-104c0ad2c8a7
python3 "$top_srcdir/tests/e2e/mkzip.py" proxy "$WORK/proxy" "$LONGM" "$LONGV" 1 1 || exit 1
expect 0 '^yes$' "a 404 naming a long module path is cut to 648 bytes and a newline" -- \
    ok_if sh -c "curl -s '$URL/lookup/$LONGM@$LONGV' >'$WORK/long' && [ \$(wc -c <'$WORK/long') -eq 649 ] && [ \$(wc -l <'$WORK/long') -eq 1 ]"
expect 0 '^not found: pub.example.org/platform-team/.* \.\.\. .*: not recorded in this checksum database, and lookups in the public checksum database are off in this server \(--no-public\)$' \
    "... keeping its start and its end, the public log's reason" -- cat "$WORK/long"
gomain "$WORK/mlong" "$LONGM@$LONGV"
expect 1 'server response: not found: pub.example.org/platform-team/.*: not recorded in this checksum database' \
    "... which the go command shows" -- gorun "$WORK/mlong" "$WORK/gplong" "$GOSUMDB_PRIV" go mod download

# 3. A restart keeps the accepted public tree.
stop_sumdbd
start_sumdbd "$WORK/priv.db" --no-admin --public-key "$PUBVKEY" --public-url "$PROXY_URL" \
    --upstream "file://$WORK/proxy" --private corp.example.com
GOSUMDB_PRIV="$VKEY $URL"
expect 0 '^yes$' "after a restart: no second first contact" -- ok_if sh -c "! grep -q 'first contact' '$WORK/serve.err'"
expect 0 '^303$' "... the accepted tree is still 303" -- sh -c "'$SUMDBD' status --db '$WORK/priv.db' | sed -n '/^public tree accepted:/{n;n;p;}'"

# 4. A record that is not in the public tree, with a forged level-0 tile
#    that agrees with it (CVE-2026-56864/56865 together).
expect 0 'tree size 304' "the public log grows by d" -- "$SUMDBD" add --db "$WORK/pub.db" "$WORK/d.sum"
DID=$(curl -s "$PUB_URL/lookup/pub.example.org/d@v1.0.0" | head -1)
proxy_set "upstream $PUB_URL" "forge pub.example.org/d@v1.0.0 $DID"
before=$(size)
expect 0 '^502 .*did not verify' "forged record and tile: 502 saying the answer did not verify" -- \
    sh -c "curl -s -w '%{http_code} ' -o '$WORK/body' '$URL/lookup/pub.example.org/d@v1.0.0'; cat '$WORK/body'"
gomain "$WORK/m3" pub.example.org/d@v1.0.0
expect 1 '502|Bad Gateway|did not verify' "the go command fails" -- gorun "$WORK/m3" "$WORK/gp3" "$GOSUMDB_PRIV" go mod download
expect 0 "^$before\$" "nothing recorded" -- size
expect 0 'answer for pub.example.org/d@v1.0.0 did not verify.*not evidence' "a log line on stderr" -- cat "$WORK/serve.err"
expect 0 '^yes$' "... which calls it no misbehavior" -- ok_if sh -c "! grep -q MISBEHAVED '$WORK/serve.err'"
expect 0 'misbehavior: 0 seen' "sumdbd status: exit 0, no misbehavior (unsigned tiles prove nothing against the log)" -- \
    "$SUMDBD" status --db "$WORK/priv.db"
expect 0 '^yes$' "... and no evidence stored" -- ok_if sh -c "! '$SUMDBD' status --db '$WORK/priv.db' | grep -q 'evidence'"
expect 0 '^303$' "... and the accepted tree unchanged" -- sh -c "'$SUMDBD' status --db '$WORK/priv.db' | sed -n '/^public tree accepted:/{n;n;p;}'"

# 4b. A lookup answer whose note bears no signature of the public log's
#     key (another key's in its place): not verifiable, so refused, and
#     no evidence against the log either.
proxy_set "upstream $PUB_URL" "unsign /lookup/pub.example.org/d@"
expect 0 '^502 .*did not verify: .*(no verifiable signatures|unknown key)' \
    "an unsigned lookup answer: 502 saying it did not verify" -- \
    sh -c "curl -s -w '%{http_code} ' -o '$WORK/body' '$URL/lookup/pub.example.org/d@v1.0.0'; cat '$WORK/body'"
expect 0 "^$before\$" "nothing recorded" -- size
expect 0 '^yes$' "no MISBEHAVED line for it" -- ok_if sh -c "! grep -q MISBEHAVED '$WORK/serve.err'"
expect 0 'misbehavior: 0 seen' "sumdbd status: exit 0, an unsigned answer is no evidence" -- \
    "$SUMDBD" status --db "$WORK/priv.db"

# 4c. A lookup answer whose record is no go.sum record and not the tree's
#     (damaged on the way): fetched again, then refused, no evidence;
#     damaged once, the answer fetched again is accepted.
proxy_set "upstream $PUB_URL" "garble-record /lookup/pub.example.org/d@"
: >"$WORK/proxy.ctl.log"
expect 0 '^502 .*the answer does not parse: record line 1' \
    "a garbled record, every time: 502 saying the answer does not parse" -- \
    sh -c "curl -s -w '%{http_code} ' -o '$WORK/body' '$URL/lookup/pub.example.org/d@v1.0.0'; cat '$WORK/body'"
expect 0 '^3$' "... after asking 3 times" -- sh -c "grep -c '/lookup/pub.example.org/d@' '$WORK/proxy.ctl.log'"
expect 0 "^$before\$" "nothing recorded" -- size
expect 0 'misbehavior: 0 seen' "sumdbd status: exit 0, a garbled answer is no evidence" -- \
    "$SUMDBD" status --db "$WORK/priv.db"
proxy_set "upstream $PUB_URL" "garble-record /lookup/pub.example.org/d@ 1"
expect 0 '^pub.example.org/d v1.0.0 h1:' "an answer garbled once is fetched again and accepted" -- \
    curl -s "$URL/lookup/pub.example.org/d@v1.0.0"
proxy_set "upstream $PUB_URL"
expect 0 '^304$' "... and the accepted tree moves to 304" -- sh -c "'$SUMDBD' status --db '$WORK/priv.db' | sed -n '/^public tree accepted:/{n;n;p;}'"

# 5. A fork: the copy of the first 300 records grown with other records
#    and e, under the same key, swapped in behind the same URL.
gosum_lines 300 306 fork >"$WORK/forkfill.sum"
cat "$WORK/forkfill.sum" "$WORK/e.sum" >"$WORK/fork.sum"
expect 0 'tree size 307' "the fork grows differently to 307" -- "$SUMDBD" add --db "$WORK/fork.db" "$WORK/fork.sum"
sumdbd_start FORK "$WORK/fork.db"
proxy_set "upstream $FORK_URL"
before=$(size)
expect 0 '^502 .*(not a prefix|misbehaved)' "fork: 502" -- \
    sh -c "curl -s -w '%{http_code} ' -o '$WORK/body' '$URL/lookup/pub.example.org/e@v1.0.0'; cat '$WORK/body'"
gomain "$WORK/m4" pub.example.org/e@v1.0.0
expect 1 '502|Bad Gateway|misbehav' "the go command fails" -- gorun "$WORK/m4" "$WORK/gp4" "$GOSUMDB_PRIV" go mod download
expect 0 "^$before\$" "nothing recorded" -- size
expect 0 'MISBEHAVED \(pub.example.org/e@v1.0.0\)' "a MISBEHAVED line on stderr" -- cat "$WORK/serve.err"
expect 2 'misbehavior: 1 seen' "sumdbd status: exit 2, one misbehavior seen" -- "$SUMDBD" status --db "$WORK/priv.db"
expect 0 'MISBEHAVED \(pub.example.org/e@v1.0.0\).*stored already' \
    "... the same fork, met again by the go command, logged but not stored again" -- cat "$WORK/serve.err"
expect 2 'consistency proof \([1-9][0-9]* hashes\):' "sumdbd status shows the fork evidence with its proof" -- "$SUMDBD" status --db "$WORK/priv.db"
expect 2 'tree served \(307 records\)' "... and the forked tree as served" -- "$SUMDBD" status --db "$WORK/priv.db"
expect 0 '^304$' "... and the accepted tree unchanged" -- sh -c "'$SUMDBD' status --db '$WORK/priv.db' | sed -n '/^public tree accepted:/{n;n;p;}'"
sumdbd_stop FORK

# 5b. A fork of the accepted size: another tree of 304 records.
gosum_lines 300 303 fork2 >"$WORK/fork2fill.sum"
cat "$WORK/fork2fill.sum" "$WORK/e.sum" >"$WORK/fork2.sum"
expect 0 'tree size 304' "a second fork grows to the accepted size, 304" -- "$SUMDBD" add --db "$WORK/fork2.db" "$WORK/fork2.sum"
sumdbd_start FORK2 "$WORK/fork2.db"
proxy_set "upstream $FORK2_URL"
expect 0 '^502 .*two different trees of 304' "same-size fork: 502" -- \
    sh -c "curl -s -w '%{http_code} ' -o '$WORK/body' '$URL/lookup/pub.example.org/e@v1.0.0'; cat '$WORK/body'"
expect 2 'misbehavior: 2 seen' "sumdbd status: another fork is a second misbehavior" -- "$SUMDBD" status --db "$WORK/priv.db"
expect 2 'two different trees of 304 records signed by the same key: no proof is needed' \
    "sumdbd status: the same-size fork needs no proof, and says so" -- "$SUMDBD" status --db "$WORK/priv.db"
expect 0 '^yes$' "... and prints no hash computed for it" -- ok_if sh -c \
    "! '$SUMDBD' status --db '$WORK/priv.db' | sed -n '/two different trees of 304/,\$p' | grep -q 'computed'"
sumdbd_stop FORK2
expect 0 '^304$' "... and the accepted tree unchanged" -- sh -c "'$SUMDBD' status --db '$WORK/priv.db' | sed -n '/^public tree accepted:/{n;n;p;}'"
expect 0 '^pub.example.org/a v1.0.0 h1:' "records already recorded are still served" -- \
    curl -s "$URL/lookup/pub.example.org/a@v1.0.0"

# 6. --no-public: a public miss is a 404 saying so.
stop_sumdbd
start_sumdbd "$WORK/priv.db" --no-admin
expect 0 'public checksum database are off' "--no-public: 404 saying the public path is off" -- \
    curl -s "$URL/lookup/pub.example.org/e@v1.0.0"

# 7. Credentials in --public-url never reach a client in an error body.
stop_sumdbd
start_sumdbd "$WORK/priv.db" --no-admin --public-key "$PUBVKEY" \
    --public-url "http://alice:s3cret@127.0.0.1:1" --public-timeout 2
expect 0 '^502 .*127.0.0.1:1' "public log down: 502 naming it" -- sh -c \
    "curl -s -w '%{http_code} ' -o '$WORK/body' '$URL/lookup/pub.example.org/f@v1.0.0'; cat '$WORK/body'"
expect 0 '^clean$' "... without the credentials in its URL" -- sh -c \
    "if grep -q 's3cret' '$WORK/body'; then cat '$WORK/body'; else echo clean; fi"

stop_sumdbd
expect 0 '^0$' "sumdbd serve exits 0 on SIGTERM" -- echo "$SUMDBD_STATUS"

# 8. A record the public log signed that is not a go.sum record (x/mod's
#    server signs whatever it is given): in its signed tree, so the log
#    cannot deny it: 502, nothing recorded, evidence kept, status exit 2.
if [ -x "${ORACLE:-}" ]; then
	"$SUMDBD" keygen bad.sum.example >"$WORK/bad.keys"
	head -n 1 "$WORK/bad.keys" >"$WORK/bad.skey"
	{ gosum_lines 0 3; printf 'example.com/bad v1.0.0 h1:not-base64\nexample.com/bad v1.0.0/go.mod h1:not-base64\n'; } \
	    >"$WORK/bad.sum"
	"$ORACLE" xmod-serve -key "$WORK/bad.skey" -sum-form "$WORK/bad.sum" >"$WORK/xmod.out" 2>"$WORK/xmod.err" &
	XMOD_PID=$!
	wait_for 10 grep -q '^port ' "$WORK/xmod.out"
	XMOD_URL=http://127.0.0.1:$(sed -n 's/^port //p' "$WORK/xmod.out")
	"$SUMDBD" init --db "$WORK/priv2.db" --name "$NAME" >/dev/null
	start_sumdbd "$WORK/priv2.db" --no-admin --public-key "$(sed -n 2p "$WORK/bad.keys")" \
	    --public-url "$XMOD_URL"
	expect 0 '^502 .*misbehaved: record 3 of its signed tree of 4 records, its answer for example.com/bad@v1.0.0, is not a valid go.sum record' \
	    "a signed record that is no go.sum record: 502 calling it misbehavior" -- \
	    sh -c "curl -s -w '%{http_code} ' -o '$WORK/body' '$URL/lookup/example.com/bad@v1.0.0'; cat '$WORK/body'"
	expect 0 '^0$' "nothing recorded" -- sh -c "curl -s '$URL/latest' | sed -n 2p"
	expect 0 'MISBEHAVED \(example.com/bad@v1.0.0\).*evidence stored' "a MISBEHAVED line on stderr" -- cat "$WORK/serve.err"
	expect 0 '^502 .*is not a valid go.sum record' "asked again: 502 again" -- \
	    sh -c "curl -s -w '%{http_code} ' -o '$WORK/body' '$URL/lookup/example.com/bad@v1.0.0'; cat '$WORK/body'"
	expect 2 'misbehavior: 1 seen' "sumdbd status: exit 2, the record kept once" -- "$SUMDBD" status --db "$WORK/priv2.db"
	cp "$WORK/out" "$WORK/status2"
	expect 0 '^example.com/bad v1.0.0 h1:not-base64$' "... the evidence holds the record as served" -- \
	    sed -n '/^record 3 as served:$/{n;p;}' "$WORK/status2"
	expect 0 '^4$' "... and the signed tree it is in" -- sed -n '/^tree served (4 records):$/{n;n;p;}' "$WORK/status2"
	expect 0 '^example.com/m1 v1.0.0 h1:' "a valid record of that log is still recorded" -- \
	    curl -s "$URL/lookup/example.com/m1@v1.0.0"
	stop_sumdbd
	expect 0 '^0$' "that sumdbd exits 0 on SIGTERM" -- echo "$SUMDBD_STATUS"
	kill "$XMOD_PID" 2>/dev/null
	wait "$XMOD_PID" 2>/dev/null
	XMOD_PID=
else
	echo "note: section 8 not run: no oracle (Go)"
fi
e2e_done
