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
e2e_done
