#!/bin/sh
# sumdbd serve --upstream: internal modules recorded on demand.
#   1. the real go command, GOPROXY = a loopback HTTP proxy, GOSUMDB =
#      sumdbd with that proxy upstream and nothing imported: go mod download
#      succeeds and go.sum equals the lines the go command computes itself
#      with GOSUMDB=off (h1 agreement: nested folders, empty files, unicode
#      names, +incompatible, pseudo-version, upper-case path);
#   2. eight concurrent go mod download processes record each version once;
#   3. upstream faults (tests/e2e/faultproxy.py): 500 then 200 and 429 are
#      retried and recorded; hanging, truncated, garbage, missing, a
#      go.mod without its zip, outside the patterns, upstream down, zips
#      that zip readers read differently: clear 404/502/504, nothing
#      recorded, the server keeps serving;
#   4. GOPROXY lists: ',' and '|' as the go command reads them, and the
#      failure it would report when every proxy failed;
#   5. downloads leave no file in TMPDIR, not even after a kill -9;
#   6. each version not recorded is said in the server's log, with why
#      (its credentials masked), for the operator;
#   7. everyday go commands recording on demand: go get @latest, -u and
#      of a retracted version, go mod tidy with a zip without go.mod, go
#      install m/cmd@v outside a module, GOSUMDB as URL/sumdb/NAME.
. "$top_srcdir/tests/e2e/lib.sh"
SUMDBD="$top_builddir/sumdbd"
MKZIP="$top_srcdir/tests/e2e/mkzip.py"
NAME=localhost.localdev/sumdb
PIDS=
cleanup() {
	for p in $PIDS; do
		kill -TERM "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	chmod -R u+w "$WORK" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
if ! command -v go >/dev/null 2>&1 || ! command -v curl >/dev/null 2>&1; then
	echo "SKIP: needs go and curl"
	exit 77
fi

# wait_line FILE SED-EXPR: prints the first match in FILE, waiting up to 10 s.
wait_line() {
	_i=0
	while [ $_i -lt 100 ]; do
		_v=$(sed -n "$2" "$1" 2>/dev/null | head -n 1)
		if [ -n "$_v" ]; then echo "$_v"; return 0; fi
		sleep 0.1
		_i=$((_i + 1))
	done
	echo "FAIL: nothing in $1:" >&2; cat "$1" >&2
	return 1
}

# serve TAG DB ARGS...: sumdbd serve (tests/e2e/server.sh) without the
# admin socket; sets URL.
serve() {
	_tag=$1
	shift
	sumdbd_start "$_tag" "$@" --no-admin
	eval "PIDS=\"\$PIDS \$${_tag}_PID\" URL=\$${_tag}_URL"
}

# newdb TAG: a new log; sets DB and VKEY.
newdb() {
	mkdir -p "$WORK/$1"
	DB="$WORK/$1/sumdb.db"
	"$SUMDBD" init --db "$DB" --name "$NAME" >"$WORK/$1/init.out" 2>&1 || { cat "$WORK/$1/init.out"; exit 1; }
	VKEY=$(sed -n 's/^verifier key: //p' "$WORK/$1/init.out")
}

# gorun DIR GOPATH GOPROXY GOSUMDB CMD...: the go command, hermetic.
gorun() {
	(
		cd "$1" || exit 1
		gp=$2 px=$3 sdb=$4
		shift 4
		exec env -u GOTOOLCHAIN -u GOROOT HOME="$WORK/home" GOPATH="$gp" GOMODCACHE="$gp/pkg/mod" \
		    GOCACHE="$WORK/gocache" GOENV=off GOFLAGS="-mod=mod -modcacherw" GO111MODULE=on \
		    GONOSUMDB= GOPRIVATE= GONOPROXY= GOINSECURE= \
		    GOPROXY="$px" GOSUMDB="$sdb" "$@"
	)
}

# gomod DIR MODULE@VERSION...: a main module requiring them.
gomod() {
	mkdir -p "$1"
	_d=$1
	shift
	{ echo "module example.com/main"; echo; echo "go 1.16"; echo; echo "require ("
	  for mv in "$@"; do echo "	${mv%@*} ${mv#*@}"; done; echo ")"; } >"$_d/go.mod"
}

tree_size() { curl -s "$1/latest" | sed -n 2p; }
mkdir -p "$WORK/home" "$WORK/proxy"

MODS="corp.example.com/a@v1.0.0 corp.example.com/Upper/Case@v1.2.3
corp.example.com/inc@v2.0.0+incompatible corp.example.com/pseudo@v0.0.0-20200101000000-abcdefabcdef
corp.example.com/flaky@v1.0.0 corp.example.com/slow429@v1.0.0 corp.example.com/hang@v1.0.0
corp.example.com/trunc@v1.0.0 corp.example.com/garbage@v1.0.0 public.example.org/x@v1.0.0"
s=1
for mv in $MODS; do
	python3 "$MKZIP" proxy "$WORK/proxy" "${mv%@*}" "${mv#*@}" $s 25 || exit 1
	s=$((s + 1))
done
for v in v1.0.0 v1.0.1 v1.0.2 v1.0.3; do
	python3 "$MKZIP" proxy "$WORK/proxy" corp.example.com/auth $v 70 3 || exit 1
done
for i in 1 2 3 4 5 6; do python3 "$MKZIP" proxy "$WORK/proxy" corp.example.com/c$i v1.0.$i $((i + 50)) 5; done
python3 "$MKZIP" proxy "$WORK/proxy" corp.example.com/stall v1.0.0 60 400 || exit 1

# corp.example.com/auth wants the token or alice's password (Basic).
FAULTPROXY_AUTH='Bearer token123|Basic YWxpY2U6czNjcmV0' \
python3 "$top_srcdir/tests/e2e/faultproxy.py" "$WORK/proxy" >"$WORK/proxy.out" 2>"$WORK/proxy.err" &
PIDS="$PIDS $!"
PORT=$(wait_line "$WORK/proxy.out" 's/^port \([0-9]*\)$/\1/p') || exit 1
PROXY="http://127.0.0.1:$PORT"

# --- 0. the two options need each other, and say which is missing
newdb opts
expect 1 '--private needs --upstream' "--private alone names --upstream" -- \
	timeout 10 "$SUMDBD" serve --db "$DB" --listen 127.0.0.1:0 --no-admin --private 'corp.example.com/*'
expect 1 '--upstream needs --private' "--upstream alone names --private" -- \
	timeout 10 "$SUMDBD" serve --db "$DB" --listen 127.0.0.1:0 --no-admin --upstream "$PROXY"

# Given twice, the second would replace the first: lookups of the modules
# the first --private named would go to the public log (their names with
# them) instead of the upstream.
expect 1 '--private given twice.*comma' "--private twice: refused, saying how to give several" -- \
	timeout 10 "$SUMDBD" serve --db "$DB" --listen 127.0.0.1:0 --no-admin --upstream "$PROXY" \
	--private corp.example.com --private git.corp.example.com
# A malformed pattern, or a list of none, matches no module (as in
# GOPRIVATE): the modules meant would never be recorded, and their names
# would go to the public log.
expect 1 '^sumdbd serve: --private: corp.example.com/\[a-: malformed pattern' \
	"a malformed --private pattern: refused, naming it" -- \
	timeout 10 "$SUMDBD" serve --db "$DB" --listen 127.0.0.1:0 --no-admin --upstream "$PROXY" \
	--private 'git.corp.example.com,corp.example.com/[a-'
expect 1 '^sumdbd serve: --private ,/,: no pattern' "a --private list without a pattern: refused" -- \
	timeout 10 "$SUMDBD" serve --db "$DB" --listen 127.0.0.1:0 --no-admin --upstream "$PROXY" \
	--private ',/,'
# Go trims one '/' from the end of a pattern, and "x\/" is a slash.  The
# server is waited for until it serves (not given a fixed time to do so).
sumdbd_start pat "$DB" --no-admin --upstream "$PROXY" --private 'corp.example.com/x\//'
PIDS="$PIDS $pat_PID"
expect 0 'serving' "a pattern ending in an escaped '/' and a '/': accepted, as in GOPRIVATE" -- \
	cat "$WORK/pat.out"
sumdbd_stop pat
expect 1 '--upstream given twice' "--upstream twice: refused" -- \
	timeout 10 "$SUMDBD" serve --db "$DB" --listen 127.0.0.1:0 --no-admin --upstream "$PROXY" \
	--upstream "file://$WORK/proxy" --private corp.example.com

# A bearer token is the only credential libcurl then sends, to every
# host: a .netrc or a user:password@ in an --upstream URL would be left
# unused without a word, and every fetch fail with 401.
echo token123 >"$WORK/token"
printf 'machine 127.0.0.1\nlogin alice\npassword s3cret\n' >"$WORK/netrc"
chmod 600 "$WORK/token" "$WORK/netrc"
expect 1 '--upstream-token-file .*--upstream-netrc' "a token and a .netrc: refused, naming both" -- \
	timeout 10 "$SUMDBD" serve --db "$DB" --listen 127.0.0.1:0 --no-admin --upstream "$PROXY" \
	--private corp.example.com --upstream-token-file "$WORK/token" --upstream-netrc "$WORK/netrc"
expect 1 '--upstream-token-file .*http://xxxxx@127' "a token and a user:password@ URL: refused, naming the URL masked" -- \
	timeout 10 "$SUMDBD" serve --db "$DB" --listen 127.0.0.1:0 --no-admin \
	--upstream "$PROXY|http://alice:s3cret@127.0.0.1:1" --private corp.example.com --upstream-token-file "$WORK/token"
expect 0 '^clean$' "that refusal does not show the password" -- \
	sh -c "if grep -q s3cret '$WORK/out'; then cat '$WORK/out'; else echo clean; fi"

# Each credential reaches a proxy that wants it, and the version is
# recorded; without one the proxy's 401 is a 502.  A credential file that
# others can read is warned about (it is used all the same).
newdb auth0
serve a0 "$DB" --upstream "$PROXY" --private corp.example.com
expect 0 '^502 .*401' "no credential: the proxy's 401 is a 502 saying so" -- sh -c \
	"curl -s -w '%{http_code} ' -o '$WORK/body' '$URL/lookup/corp.example.com/auth@v1.0.0'; cat '$WORK/body'"
newdb auth1
serve a1 "$DB" --upstream "$PROXY" --private corp.example.com --upstream-token-file "$WORK/token"
expect 0 '^corp.example.com/auth v1.0.0 h1:' "--upstream-token-file: the token is sent, the version recorded" -- \
	curl -s "$URL/lookup/corp.example.com/auth@v1.0.0"
newdb auth2
serve a2 "$DB" --upstream "$PROXY" --private corp.example.com --upstream-netrc "$WORK/netrc"
expect 0 '^corp.example.com/auth v1.0.1 h1:' "--upstream-netrc: the password is sent, the version recorded" -- \
	curl -s "$URL/lookup/corp.example.com/auth@v1.0.1"
newdb auth3
serve a3 "$DB" --upstream "http://alice:s3cret@127.0.0.1:$PORT" --private corp.example.com
expect 0 '^corp.example.com/auth v1.0.2 h1:' "user:password@ in --upstream: sent, the version recorded" -- \
	curl -s "$URL/lookup/corp.example.com/auth@v1.0.2"
expect 0 '^none$' "credential files of mode 0600: no warning" -- sh -c \
	"cat '$WORK/a1.err' '$WORK/a2.err' | grep warning || echo none"
chmod 644 "$WORK/token"
newdb auth4
serve a4 "$DB" --upstream "$PROXY" --private corp.example.com --upstream-token-file "$WORK/token"
expect 0 "^sumdbd serve: warning: --upstream-token-file $WORK/token can be read or written by others \\(mode 0644\\); chmod 600 it\$" \
	"a token file others can read is warned about" -- cat "$WORK/a4.err"
expect 0 '^corp.example.com/auth v1.0.3 h1:' "... and used all the same" -- \
	curl -s "$URL/lookup/corp.example.com/auth@v1.0.3"
chmod 600 "$WORK/token"

# --- 1. the go command, nothing imported -------------------------------
GOOD="corp.example.com/a@v1.0.0 corp.example.com/Upper/Case@v1.2.3 corp.example.com/inc@v2.0.0+incompatible corp.example.com/pseudo@v0.0.0-20200101000000-abcdefabcdef"
gomod "$WORK/m0" $GOOD
gorun "$WORK/m0" "$WORK/gp0" "$PROXY" off go mod download -json >"$WORK/dl.json" 2>"$WORK/dl.err"
expect 0 '"GoModSum"' "go mod download -json with GOSUMDB=off (the go command's own hashes)" -- \
	cat "$WORK/dl.json" "$WORK/dl.err"
python3 -c '
import json, sys
dec, s, i, out = json.JSONDecoder(), open(sys.argv[1]).read(), 0, []
while True:
    while i < len(s) and s[i].isspace():
        i += 1
    if i >= len(s):
        break
    o, i = dec.raw_decode(s, i)
    out += ["%s %s %s" % (o["Path"], o["Version"], o["Sum"]),
            "%s %s/go.mod %s" % (o["Path"], o["Version"], o["GoModSum"])]
print("\n".join(sorted(out)))' "$WORK/dl.json" >"$WORK/ref.sum"
newdb db1
serve s1 "$DB" --upstream "$PROXY" --private 'corp.example.com' --upstream-timeout 2 --threads 8
S1=$URL
gomod "$WORK/m1" $GOOD
expect 0 '^yes$' "go mod download with GOSUMDB=sumdbd --upstream, nothing imported" -- \
	ok_if gorun "$WORK/m1" "$WORK/gp1" "$PROXY" "$VKEY $S1" go mod download
for mv in $GOOD; do
	p=$(echo "${mv%@*}" | sed 's/\([A-Z]\)/!\1/g' | tr 'A-Z' 'a-z')
	curl -s "$S1/lookup/$p@${mv#*@}" | sed -n '2,3p'
done | sort >"$WORK/got.sum"
expect 0 '^8 ' "the reference has 8 go.sum lines" -- wc -l "$WORK/ref.sum"
expect 0 '^same$' "the records sumdbd logged equal the go command's own hashes" -- \
	sh -c "diff '$WORK/ref.sum' '$WORK/got.sum' && echo same"
expect 0 '^same$' "the go.sum the client wrote holds only those lines" -- \
	sh -c "sort '$WORK/m1/go.sum' | comm -23 - '$WORK/ref.sum' | grep . || echo same"
expect 0 '^4$' "four records logged" -- tree_size "$S1"
expect 0 '^corp.example.com/Upper/Case v1.2.3 h1:' "lookup of the upper-case path answers the record" -- \
	curl -s "$S1/lookup/corp.example.com/!upper/!case@v1.2.3"
gomod "$WORK/m1b" $GOOD
expect 0 '^yes$' "a second client (fresh GOPATH) downloads from the log" -- \
	ok_if gorun "$WORK/m1b" "$WORK/gp1b" "$PROXY" "$VKEY $S1" go mod download
expect 0 '^4$' "nothing recorded twice" -- tree_size "$S1"

# --- 2. eight concurrent go commands -----------------------------------
CS="corp.example.com/c1@v1.0.1 corp.example.com/c2@v1.0.2 corp.example.com/c3@v1.0.3 corp.example.com/c4@v1.0.4 corp.example.com/c5@v1.0.5 corp.example.com/c6@v1.0.6"
newdb db2
serve s2 "$DB" --upstream "$PROXY" --private 'corp.example.com/*' --threads 16
S2=$URL
cpids=
for i in 1 2 3 4 5 6 7 8; do
	gomod "$WORK/c$i" $CS
	gorun "$WORK/c$i" "$WORK/gpc$i" "$PROXY" "$VKEY $S2" go mod download >"$WORK/c$i.log" 2>&1 &
	cpids="$cpids $!"
done
failed=0
for p in $cpids; do wait "$p" || failed=$((failed + 1)); done
expect 0 '^0$' "eight concurrent go mod download all succeed" -- echo "$failed"
expect 0 '^6$' "each of the 6 versions recorded exactly once" -- tree_size "$S2"
expect 0 '^1$' "one upstream fetch of c3's zip for eight clients" -- \
	sh -c "grep -c '^csumdb-sumdbd /corp.example.com/c3/@v/v1.0.3.zip\$' '$WORK/hits'"

# --- 3. upstream faults --------------------------------------------------
before=$(tree_size "$S1")
expect 0 '^corp.example.com/flaky v1.0.0 h1:' "500 then 200: retried and recorded" -- \
	curl -s "$S1/lookup/corp.example.com/flaky@v1.0.0"
expect 0 '^corp.example.com/slow429 v1.0.0 h1:' "429 with Retry-After: retried and recorded" -- \
	curl -s "$S1/lookup/corp.example.com/slow429@v1.0.0"
expect 0 "^$((before + 2))\$" "two records more" -- tree_size "$S1"
before=$((before + 2))
expect 0 '^504 .*(timed out|Timeout)' "hanging upstream: 504 naming the timeout" -- \
	sh -c "curl -s --max-time 60 -w '%{http_code} ' -o '$WORK/body' '$S1/lookup/corp.example.com/hang@v1.0.0'; cat '$WORK/body'"
expect 0 '^502 .*(partial|Partial|retries)' "truncated zip: 502 after retries" -- sh -c \
	"curl -s -w '%{http_code} ' -o '$WORK/body' '$S1/lookup/corp.example.com/trunc@v1.0.0'; cat '$WORK/body'"
expect 0 '^4$' "the truncated zip was asked for 4 times (retries)" -- \
	sh -c "grep -c '^csumdb-sumdbd /corp.example.com/trunc/@v/v1.0.0.zip\$' '$WORK/hits'"
expect 0 '^502 .*not a valid zip' "garbage zip: 502 naming the rule" -- sh -c \
	"curl -s -w '%{http_code} ' -o '$WORK/body' '$S1/lookup/corp.example.com/garbage@v1.0.0'; cat '$WORK/body'"
expect 0 '^404 not found: corp.example.com/a@v1.9.9: upstream .* 404' "version the upstream lacks: 404" -- sh -c \
	"curl -s -w '%{http_code} ' -o '$WORK/body' '$S1/lookup/corp.example.com/a@v1.9.9'; cat '$WORK/body'"
expect 0 'max-age=60' "the 404 is cached briefly" -- curl -s -D - -o /dev/null "$S1/lookup/corp.example.com/a@v1.9.9"
# A proxy with the go.mod of a version but not its zip, as a module cache
# used as GOPROXY holds for every version whose go.mod alone the go command
# needed: not found (the next proxy of a list is asked), nothing recorded.
python3 "$MKZIP" proxy "$WORK/proxy" corp.example.com/modonly v1.0.0 3 3 || exit 1
rm "$WORK/proxy/corp.example.com/modonly/@v/v1.0.0.zip"
expect 0 '^404 not found: corp.example.com/modonly@v1.0.0: upstream .* has the go.mod but answered 404 for the zip' \
	"go.mod without zip upstream: 404, saying so" -- sh -c \
	"curl -s -w '%{http_code} ' -o '$WORK/body' '$S1/lookup/corp.example.com/modonly@v1.0.0'; cat '$WORK/body'"
expect 0 '^404 not found: public.example.org/x@v1.0.0: .*private patterns' "module outside the patterns: 404" -- sh -c \
	"curl -s -w '%{http_code} ' -o '$WORK/body' '$S1/lookup/public.example.org/x@v1.0.0'; cat '$WORK/body'"
expect 0 "^$before\$" "nothing recorded by the faults" -- tree_size "$S1"
expect 0 '^go.sum database tree$' "the server keeps serving" -- sh -c "curl -s '$S1/latest' | head -n 1"
expect 0 '^502 ' "a refused zip asked again: refused again, never half-recorded" -- sh -c \
	"curl -s -w '%{http_code} ' -o /dev/null '$S1/lookup/corp.example.com/garbage@v1.0.0'"
# 6. the operator reads why in the server's log
expect 0 '^sumdbd: upstream: corp.example.com/garbage@v1.0.0 not recorded: upstream .*not a valid zip' \
	"the log says why a zip was refused" -- cat "$WORK/s1.err"
expect 0 '^sumdbd: upstream: corp.example.com/hang@v1.0.0 not recorded: .*(timed out|Timeout)' \
	"the log says an upstream timed out" -- cat "$WORK/s1.err"
expect 0 '^sumdbd: upstream: corp.example.com/trunc@v1.0.0 not recorded: .*(partial|Partial|retries)' \
	"the log says a download failed" -- cat "$WORK/s1.err"
expect 0 '^sumdbd: upstream: corp.example.com/a@v1.9.9 not recorded: upstream .* answered 404' \
	"the log says the upstream lacks a version" -- cat "$WORK/s1.err"
expect 0 '^sumdbd: upstream: corp.example.com/auth@v1.0.0 not recorded: .*HTTP 401' \
	"the log says the upstream wants a credential" -- cat "$WORK/a0.err"
expect 0 '^none$' "nothing is said of a module outside the patterns, nor of those recorded" -- sh -c \
	"grep -E 'public.example.org|/flaky|/slow429|/pseudo' '$WORK/s1.err' || echo none"

# Zips zip readers read differently: refused, never recorded with a hash
# the go command does not compute.
for z in two_eocd zip64_locator_unmarked; do
	m=corp.example.com/hostile$z
	mkdir -p "$WORK/hostile$z" "$WORK/proxy/$m/@v"
	python3 "$MKZIP" hostile "$WORK/hostile$z" "$m" v1.0.0 || exit 1
	cp "$WORK/hostile$z/$z.zip" "$WORK/proxy/$m/@v/v1.0.0.zip"
	printf 'module %s\n' "$m" >"$WORK/proxy/$m/@v/v1.0.0.mod"
done
expect 0 '^502 .*second end of central directory' "a zip with two end records: 502" -- sh -c \
	"curl -s -w '%{http_code} ' -o '$WORK/body' '$S1/lookup/corp.example.com/hostiletwo_eocd@v1.0.0'; cat '$WORK/body'"
expect 0 '^502 .*zip64 locator' "a zip64 locator archive/zip does not read: 502" -- sh -c \
	"curl -s -w '%{http_code} ' -o '$WORK/body' '$S1/lookup/corp.example.com/hostilezip64_locator_unmarked@v1.0.0'; cat '$WORK/body'"
expect 0 "^$before\$" "none of them recorded" -- tree_size "$S1"

newdb db3
serve s3 "$DB" --upstream http://alice:s3cret@127.0.0.1:1 --private 'corp.example.com' --upstream-timeout 2
expect 0 '^502 .*127.0.0.1:1' "upstream down: 502 naming it" -- sh -c \
	"curl -s -w '%{http_code} ' -o '$WORK/body' '$URL/lookup/corp.example.com/a@v1.0.0'; cat '$WORK/body'"
expect 0 '^clean$' "the 502 names the upstream without the credentials in its URL" -- sh -c \
	"if grep -q 's3cret' '$WORK/body'; then cat '$WORK/body'; else echo clean; fi"
expect 0 '^sumdbd: upstream: corp.example.com/a@v1.0.0 not recorded: .*http://xxxxx@127.0.0.1:1' \
	"the log names that upstream too ..." -- cat "$WORK/s3.err"
expect 0 '^clean$' "... without its credentials" -- sh -c \
	"if grep -q 's3cret' '$WORK/s3.err'; then cat '$WORK/s3.err'; else echo clean; fi"
expect 0 '^0$' "nothing recorded" -- tree_size "$URL"

# GOPROXY lists, as the go command reads them: after ',' the next proxy
# only when one answered 404 or 410, after '|' after any failure; when all
# failed, the answer says the most telling failure (a proxy that failed
# outranks one that lacks the version), never a 404 for a version a
# failing proxy may well have.
mkdir -p "$WORK/empty"
for m in list1 list2 list3; do
	python3 "$MKZIP" proxy "$WORK/proxy" corp.example.com/$m v1.0.0 7 3 || exit 1
done
newdb db5
serve s5 "$DB" --upstream "file://$WORK/empty,$PROXY" --private corp.example.com
expect 0 '^corp.example.com/list1 v1.0.0 h1:' "A,B: A lacks the version: B's recorded" -- \
	curl -s "$URL/lookup/corp.example.com/list1@v1.0.0"
newdb db6
serve s6 "$DB" --upstream "http://127.0.0.1:1,$PROXY" --private corp.example.com --upstream-timeout 2
expect 0 '^502 .*127.0.0.1:1' "A,B: A down: 502 naming A" -- sh -c \
	"curl -s -w '%{http_code} ' -o '$WORK/body' '$URL/lookup/corp.example.com/list2@v1.0.0'; cat '$WORK/body'"
expect 0 '^0$' "A,B: A down: B never asked" -- \
	sh -c "grep -c '^csumdb-sumdbd /corp.example.com/list2/' '$WORK/hits' || true"
newdb db7
serve s7 "$DB" --upstream "http://127.0.0.1:1|$PROXY" --private corp.example.com --upstream-timeout 2
expect 0 '^corp.example.com/list3 v1.0.0 h1:' "A|B: A down: B's recorded" -- \
	curl -s "$URL/lookup/corp.example.com/list3@v1.0.0"
expect 0 '^502 .*127.0.0.1:1' "A|B: A down, B lacks the version: 502 naming A, not 404" -- sh -c \
	"curl -s -w '%{http_code} ' -o '$WORK/body' '$URL/lookup/corp.example.com/list3@v1.9.9'; cat '$WORK/body'"
newdb db8
serve s8 "$DB" --upstream "file://$WORK/empty|file://$WORK/empty/2" --private corp.example.com
expect 0 '^404 not found: .*empty/2 answered 404' "A|B: both lack it: 404 naming the last" -- sh -c \
	"curl -s -w '%{http_code} ' -o '$WORK/body' '$URL/lookup/corp.example.com/list3@v1.9.9'; cat '$WORK/body'"

# Redirects, which module proxies send to their blob stores: followed
# within a scheme, and never from https to http (the go command refuses
# that too): a zip that came in clear text could be anyone's, and its
# hash would be logged for good.
python3 "$MKZIP" proxy "$WORK/proxy" corp.example.com/redir v1.0.0 9 3 || exit 1
newdb db9
serve s9 "$DB" --upstream "$PROXY" --private corp.example.com
expect 0 '^corp.example.com/redir v1.0.0 h1:' "http to http redirect of the zip: followed, recorded" -- \
	curl -s "$URL/lookup/corp.example.com/redir@v1.0.0"
if command -v openssl >/dev/null 2>&1; then
	mkdir -p "$WORK/tls"
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=csumdb-test-ca \
	    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign \
	    -keyout "$WORK/tls/ca.key" -out "$WORK/tls/ca.pem" >/dev/null 2>&1 &&
	openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
	    -keyout "$WORK/tls/srv.key" -out "$WORK/tls/srv.csr" >/dev/null 2>&1 &&
	printf 'subjectAltName=IP:127.0.0.1\n' >"$WORK/tls/ext" &&
	openssl x509 -req -days 2 -in "$WORK/tls/srv.csr" -CA "$WORK/tls/ca.pem" -CAkey "$WORK/tls/ca.key" \
	    -CAcreateserial -extfile "$WORK/tls/ext" -out "$WORK/tls/srv.pem" >/dev/null 2>&1 ||
	    { echo "FAIL: openssl could not make a test certificate"; exit 1; }
	python3 "$top_srcdir/tests/e2e/faultproxy.py" "$WORK/proxy" "$WORK/tls/srv.pem" "$WORK/tls/srv.key" \
	    "$PROXY" >"$WORK/tproxy.out" 2>"$WORK/tproxy.err" &
	PIDS="$PIDS $!"
	TPROXY="https://127.0.0.1:$(wait_line "$WORK/tproxy.out" 's/^port \([0-9]*\)$/\1/p')" || exit 1
	newdb db10
	serve s10 "$DB" --upstream "$TPROXY" --private corp.example.com --upstream-ca "$WORK/tls/ca.pem"
	expect 0 '^corp.example.com/c1 v1.0.1 h1:' "an https upstream: recorded" -- \
		curl -s "$URL/lookup/corp.example.com/c1@v1.0.1"
	expect 0 '^502 .*https://127.0.0.1:[0-9]+/corp.example.com/redir/@v/v1.0.0.zip: HTTP 302 redirects to a URL that is not https' \
		"a redirect from https to http: 502 saying so" -- sh -c \
		"curl -s -w '%{http_code} ' -o '$WORK/body' '$URL/lookup/corp.example.com/redir@v1.0.0'; cat '$WORK/body'"
	expect 0 '^1$' "the clear-text URL was never asked (only by the http server above)" -- \
		sh -c "grep -c '^csumdb-sumdbd /blob/corp.example.com/redir/' '$WORK/hits' || true"
	expect 0 '^1$' "nothing recorded from it (c1 only)" -- tree_size "$URL"
	# --upstream-ca is the only CA an upstream's certificate may come
	# from: not one of the system's either, also where libcurl was built
	# with a CA directory (Debian's /etc/ssl/certs) besides its bundle.
	# Seen by putting the test CA in that directory, in a mount namespace
	# of the server's own, and giving another CA as --upstream-ca.
	capath=$(curl-config --configure 2>/dev/null | tr ' ' '\n' |
	    sed -n "s/^'--with-ca-path=\(.*\)'$/\1/p")
	if [ -n "$capath" ] && [ -d "$capath" ] && unshare -rm true 2>/dev/null; then
		mkdir -p "$WORK/tls/sys"
		cp "$WORK/tls/ca.pem" "$WORK/tls/sys/" && openssl rehash "$WORK/tls/sys" >/dev/null 2>&1 &&
		openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=csumdb-other-ca \
		    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=keyCertSign \
		    -keyout "$WORK/tls/other.key" -out "$WORK/tls/other.pem" >/dev/null 2>&1 ||
		    { echo "FAIL: openssl could not make a second test CA"; exit 1; }
		cat >"$WORK/tls/capath-wrap" <<EOF
#!/bin/sh
exec unshare -rm sh -c 'mount --bind "\$0" "\$1" && shift && exec "\$@"' "$WORK/tls/sys" "$capath" "\$@"
EOF
		chmod +x "$WORK/tls/capath-wrap"
		newdb db11
		SUMDBD_WRAP="$WORK/tls/capath-wrap"
		serve s11 "$DB" --upstream "$TPROXY" --private corp.example.com --upstream-ca "$WORK/tls/other.pem"
		SUMDBD_WRAP=
		expect 0 '^502 .*certificate' "--upstream-ca names another CA: a certificate from the system's CA directory is refused" -- sh -c \
			"curl -s -w '%{http_code} ' -o '$WORK/body' '$URL/lookup/corp.example.com/c2@v1.0.2'; cat '$WORK/body'"
		expect 0 '^0$' "nothing recorded" -- tree_size "$URL"
	else
		echo "skip: no CA directory in libcurl, or no unshare: --upstream-ca alone not checked"
	fi
else
	echo "skip: no openssl, no https upstream checks"
fi

# Everyday go commands, each version recorded when the go command first
# asks for it: go get @latest (the version from the proxy's list, then
# the latest go.mod, read for its retractions) and -u, a retracted
# version, a module whose zip has no go.mod (the proxy's .mod is made up
# for it), go install of a command outside any module (no go.sum), and
# GOSUMDB naming the log by its /sumdb/NAME/ URL.
python3 - "$WORK/everyday" <<'PY2'
import json, os, sys, zipfile
root = sys.argv[1]
def mod(path, ver, files, gomod, gomod_in_zip=True):
    d = os.path.join(root, path, "@v")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "list"), "a") as f:
        f.write(ver + "\n")
    json.dump({"Version": ver, "Time": "2020-01-01T00:00:00Z"}, open(os.path.join(d, ver + ".info"), "w"))
    open(os.path.join(d, ver + ".mod"), "w").write(gomod)
    with zipfile.ZipFile(os.path.join(d, ver + ".zip"), "w") as z:
        pre = "%s@%s/" % (path, ver)
        if gomod_in_zip:
            z.writestr(pre + "go.mod", gomod)
        for name, text in files:
            z.writestr(pre + name, text)
lib = "corp.example.com/lib"
for v in ("v1.0.0", "v1.1.0", "v1.2.0"):
    gm = "module %s\n\ngo 1.16\n" % lib + ("\nretract v1.1.0 // broken\n" if v == "v1.2.0" else "")
    mod(lib, v, [("lib.go", 'package lib\n\nfunc V() string { return "%s" }\n' % v)], gm)
mod("corp.example.com/nogomod", "v1.0.0", [("nogomod.go", "package nogomod\n")],
    "module corp.example.com/nogomod\n", gomod_in_zip=False)
mod("corp.example.com/tool", "v1.0.0",
    [("cmd/tool/main.go", 'package main\n\nimport (\n\t"fmt"\n\n\t"corp.example.com/lib"\n)\n\n'
      'func main() { fmt.Println("tool", lib.V()) }\n')],
    "module corp.example.com/tool\n\ngo 1.16\n\nrequire corp.example.com/lib v1.0.0\n")
PY2
newdb db12
serve s12 "$DB" --upstream "file://$WORK/everyday" --private corp.example.com
EVERY="file://$WORK/everyday"
gomod "$WORK/e1"
expect 0 'added corp.example.com/lib v1.2.0' "go get @latest: the latest version, recorded on demand" -- \
	gorun "$WORK/e1" "$WORK/gpe" "$EVERY" "$VKEY $URL" go get corp.example.com/lib@latest
expect 0 'retracted by module author: broken' "go get of a retracted version: recorded, the go command warns" -- \
	gorun "$WORK/e1" "$WORK/gpe" "$EVERY" "$VKEY $URL" go get corp.example.com/lib@v1.1.0
gomod "$WORK/e2" corp.example.com/lib@v1.0.0
printf 'package main\n\nimport (\n\t_ "corp.example.com/lib"\n\t_ "corp.example.com/nogomod"\n)\n\nfunc main() {}\n' \
	>"$WORK/e2/main.go"
expect 0 'upgraded corp.example.com/lib v1.0.0 => v1.2.0' "go get -u ./... (a fresh GOPATH)" -- \
	gorun "$WORK/e2" "$WORK/gpe2" "$EVERY" "$VKEY $URL" go get -u ./...
expect 0 '^yes$' "go mod tidy: a zip without go.mod, the proxy's .mod hashed" -- \
	ok_if gorun "$WORK/e2" "$WORK/gpe2" "$EVERY" "$VKEY $URL" go mod tidy
mkdir -p "$WORK/e3"
expect 0 '^yes$' "go install m/cmd@v outside any module" -- \
	ok_if gorun "$WORK/e3" "$WORK/gpe3" "$EVERY" "$VKEY $URL" go install corp.example.com/tool/cmd/tool@v1.0.0
expect 0 '^tool v1.0.0$' "... and the command runs" -- "$WORK/gpe3/bin/tool"
gomod "$WORK/e4" corp.example.com/lib@v1.2.0 corp.example.com/tool@v1.0.0
expect 0 '^yes$' "GOSUMDB naming the log by URL/sumdb/NAME" -- \
	ok_if gorun "$WORK/e4" "$WORK/gpe4" "$EVERY" "$VKEY $URL/sumdb/$NAME" go mod download
expect 0 '^5$' "five versions recorded, each once" -- tree_size "$URL"

# Downloaded zips wait for their checks in files without a name: nothing
# in TMPDIR while a zip downloads, and nothing after a crash in the middle
# of one.
mkdir -p "$WORK/tmp4"
newdb db4
_tmpdir_was=${TMPDIR-}
export TMPDIR="$WORK/tmp4"
sumdbd_start s4 "$DB" --no-admin --upstream "$PROXY" --private corp.example.com
PIDS="$PIDS $s4_PID"
if [ -n "$_tmpdir_was" ]; then TMPDIR=$_tmpdir_was; else unset TMPDIR; fi
curl -s -o /dev/null --max-time 30 "$s4_URL/lookup/corp.example.com/stall@v1.0.0" &
cpid=$!
PIDS="$PIDS $cpid"
# downloading: the server holds a file in TMPDIR with the half of the zip
# the proxy sent before it stalls (seen through /proc/PID/fd, which also
# shows a file that has no name)
downloading() {
	for _f in /proc/"$s4_PID"/fd/*; do
		case $(readlink "$_f" 2>/dev/null) in
		"$WORK/tmp4/"*) [ "$(stat -L -c %s "$_f" 2>/dev/null || echo 0)" -gt 0 ] && return 0 ;;
		esac
	done
	return 1
}
expect 0 '^yes$' "a zip downloads into a file in TMPDIR" -- ok_if wait_for 30 downloading
expect 0 '^0$' "nothing named in TMPDIR while a zip downloads" -- sh -c "ls -A '$WORK/tmp4' | wc -l"
kill -KILL "$s4_PID"
wait "$s4_PID" 2>/dev/null
s4_PID=
kill "$cpid" 2>/dev/null
wait "$cpid" 2>/dev/null
expect 0 '^0$' "a crash in the middle of a download leaves nothing in TMPDIR" -- \
	sh -c "ls -A '$WORK/tmp4' | wc -l"
e2e_done
