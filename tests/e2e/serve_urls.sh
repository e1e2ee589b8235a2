#!/bin/sh
# sumdbd serve refuses, at start, an --upstream or --public-url that
# names no host ("http:///", a port or credentials alone): such a URL
# would be taken and every lookup that needs it would fail with 502.
# The message names the option and the URL, its credentials masked;
# nothing is served.
. "$top_srcdir/tests/e2e/lib.sh"

expect 0 'verifier key: ' "init" -- "$SUMDBD" init --db "$WORK/db" --name localhost.localdev/sumdb
# serve ARGS...: serve on the database, as a test that must not hang
# on a server that started (it would be refused only by the limit).
serve() {
	timeout 10 "$SUMDBD" serve --db "$WORK/db" --no-admin --listen 127.0.0.1:0 "$@"
}
# lit S: S as an extended regular expression that matches S alone
lit() { printf '%s' "$1" | sed 's/[][\.*^$?+(){}|]/\\&/g'; }
WANT=$(lit ': no host: want http://HOST[:PORT][/PATH] or https://HOST[:PORT][/PATH]')
for u in 'http:///' 'https:///sumdb/sum.golang.org' 'http://:8080/' 'http://[]/'; do
	expect 1 "^sumdbd serve: --upstream: $(lit "$u")$WANT\$" "--upstream $u: refused at start" -- \
		serve --no-public --private corp.example.com --upstream "$u"
	expect 1 "^sumdbd serve: --public-url $(lit "$u")$WANT\$" "--public-url $u: refused at start" -- \
		serve --public-url "$u"
done
serve --no-public --private corp.example.com --upstream 'https://alice:s3cret@:8443/' \
    >"$WORK/cred.out" 2>&1
expect 0 '^sumdbd serve: --upstream: https://xxxxx@:8443/: no host' \
	"--upstream with credentials but no host: refused, the credentials masked" -- \
	cat "$WORK/cred.out"
expect 1 "^sumdbd serve: --upstream: http://xxxxx@/: no host" \
	"... and so is the second URL of a list" -- \
	serve --no-public --private corp.example.com --upstream "file://$WORK,http://tok@/"
serve --public-url 'https://alice:s3cret@/sumdb' >>"$WORK/cred.out" 2>&1
expect 0 '^sumdbd serve: --public-url https://xxxxx@/sumdb: no host' \
	"--public-url with credentials but no host: refused, the credentials masked" -- \
	cat "$WORK/cred.out"
expect 0 '^none$' "... which no message shows" -- \
	sh -c "grep s3cret '$WORK/cred.out' || echo none"

# --upstream takes what --public-url takes: a port that is a port, and
# credentials that cannot cut the URL short, so that no fetch fails on
# them later; and a refused item never quotes its credentials, with a
# scheme or without.
for u in 'http://h:99999/' 'https://proxy.example:65536'; do
	expect 1 "^sumdbd serve: --upstream: $(lit "$u"): its host and port .* a port is a number up to 65535\$" \
		"--upstream $u: refused at start" -- \
		serve --no-public --private corp.example.com --upstream "$u"
	expect 1 "^sumdbd serve: --public-url $(lit "$u"): its host and port .* a port is a number up to 65535\$" \
		"--public-url $u: refused at start" -- serve --public-url "$u"
done
expect 1 "^sumdbd serve: --upstream: http://proxy\.example/x\?a=1: a URL with a query" \
	"--upstream with a query: refused at start" -- \
	serve --no-public --private corp.example.com --upstream 'http://proxy.example/x?a=1'
# upstream_refused OUT URL...: each --upstream URL is refused at start
# (exit 1, saying so); all that serve said is gathered in $WORK/OUT.
upstream_refused() {
	_ur_out=$1
	shift
	: >"$WORK/$_ur_out"
	for u in "$@"; do
		serve --no-public --private corp.example.com --upstream "$u" >"$WORK/cred1.out" 2>&1
		st=$?
		expect 0 '^1 yes$' "--upstream $u: refused at start (exit 1, saying so)" -- \
			sh -c "printf '%s ' $st; grep -q '^sumdbd serve: --upstream: ' '$WORK/cred1.out' && echo yes"
		cat "$WORK/cred1.out" >>"$WORK/$_ur_out"
	done
}
upstream_refused cred2.out 'alice:s3cret@proxy.example/x' 'ftp://alice:s3cret@proxy.example/' \
    'http://alice:s3/cret@proxy.example/' "file://$WORK,alice:s3cret@proxy.example"
expect 0 '^none$' "... and none of those messages shows the password" -- \
	sh -c "grep -e s3cret -e cret@ '$WORK/cred2.out' || echo none"
# A ',' or '|' in a password splits the list inside it ("https://alice:s3c"
# and "ret@proxy.example/"): the first part, refused, is not quoted either,
# for the user name and the start of the password are in it.
upstream_refused cred3.out 'https://alice:s3c,ret@proxy.example/' 'https://alice:s3c|ret@proxy.example/' \
    'alice:s3c,ret@proxy.example' 'https://alice:s3c/r,et@proxy.example/' \
    'https://alice:s3c,r,et@proxy.example/'
expect 0 '^none$' "... and none of those messages shows the user name or the password" -- \
	sh -c "grep -e alice -e s3c '$WORK/cred3.out' || echo none"
# the credentials of a later item do not hide an item refused on its own
expect 1 "^sumdbd serve: --upstream: http://h:99999/: its host and port" \
	"--upstream with a bad port before a URL with credentials: the bad one is named" -- \
	serve --no-public --private corp.example.com --upstream 'http://h:99999/,https://tok@proxy.example/'
e2e_done
