#!/bin/sh
# The real go command (Debian golang-go) against sumdbd serve: a module
# proxy directory of synthetic modules (GOPROXY=file://), their go.sum
# lines computed once with GOSUMDB=off and imported with `sumdbd add`,
# then with GOSUMDB="<vkey> http://127.0.0.1:PORT" and a fresh GOPATH:
#   - go mod download and go build succeed, and go.sum equals the imports;
#   - the same with GOSUMDB naming only the key and the database reached
#     through GOPROXY (its /sumdb/NAME/ paths);
#   - a log that recorded a wrong hash makes the go command fail with
#     SECURITY ERROR;
#   - a client holding tree N (same GOPATH) goes on after the server
#     restarts and grows, with no misbehaviour reported.
. "$top_srcdir/tests/e2e/lib.sh"
SUMDBD="$top_builddir/sumdbd"
NAME=localhost.localdev/sumdb
if ! command -v go >/dev/null 2>&1; then
	echo "SKIP: no go command"
	exit 77
fi

# The module proxy: one +incompatible version, one pseudo-version, one path
# with upper-case letters (escaped as !x in the proxy), and one module
# ("later") imported only after a restart.
python3 - "$WORK/proxy" <<'PY'
import json, os, sys, zipfile
root = sys.argv[1]
def esc(s):
    return "".join("!" + c.lower() if c.isupper() else c for c in s)
mods = [
    ("example.com/hello", "v1.0.0", "hello", True),
    ("example.com/Upper/mod", "v1.2.0", "mod", True),
    ("example.com/incompat", "v2.0.0+incompatible", "incompat", False),
    ("example.com/pseudo", "v0.0.0-20200101000000-abcdefabcdef", "pseudo", True),
    ("example.com/later", "v1.0.0", "later", True),
]
for path, ver, pkg, has_gomod in mods:
    d = os.path.join(root, esc(path), "@v")
    os.makedirs(d, exist_ok=True)
    gomod = "module %s\n\ngo 1.16\n" % path if has_gomod else "module %s\n" % path
    with open(os.path.join(d, "list"), "w") as f:
        f.write("" if "-2020" in ver else ver + "\n")
    with open(os.path.join(d, ver + ".info"), "w") as f:
        json.dump({"Version": ver, "Time": "2020-01-01T00:00:00Z"}, f)
    with open(os.path.join(d, ver + ".mod"), "w") as f:
        f.write(gomod)
    with zipfile.ZipFile(os.path.join(d, ver + ".zip"), "w") as z:
        pre = "%s@%s/" % (path, ver)
        if has_gomod:
            z.writestr(pre + "go.mod", gomod)
        z.writestr(pre + pkg + ".go", "package %s\n\nfunc Name() string { return %s }\n" % (pkg, json.dumps(path)))
PY

FIRST="example.com/hello@v1.0.0 example.com/Upper/mod@v1.2.0 example.com/incompat@v2.0.0+incompatible example.com/pseudo@v0.0.0-20200101000000-abcdefabcdef"


# 1. go.sum lines, computed with GOSUMDB=off
gomain "$WORK/m0" $FIRST example.com/later@v1.0.0
gorun "$WORK/m0" "$WORK/gp0" off go mod download -json >"$WORK/dl.json" 2>"$WORK/dl.err"
expect 0 '"GoModSum"' "go mod download -json with GOSUMDB=off" -- cat "$WORK/dl.json" "$WORK/dl.err"
python3 - "$WORK/dl.json" "$WORK" <<'PY'
import json, sys
dec = json.JSONDecoder()
s = open(sys.argv[1]).read()
i = 0
first, later = [], []
while True:
    while i < len(s) and s[i].isspace():
        i += 1
    if i >= len(s):
        break
    o, i = dec.raw_decode(s, i)
    lines = ["%s %s %s" % (o["Path"], o["Version"], o["Sum"]),
             "%s %s/go.mod %s" % (o["Path"], o["Version"], o["GoModSum"])]
    (later if o["Path"] == "example.com/later" else first).extend(lines)
open(sys.argv[2] + "/first.sum", "w").write("\n".join(first) + "\n")
open(sys.argv[2] + "/later.sum", "w").write("\n".join(later) + "\n")
PY
expect 0 '^8$' "8 go.sum lines for the first 4 modules" -- sh -c "wc -l <'$WORK/first.sum'"

# 2. an honest log: download, build, go.sum as imported
mkdir -p "$WORK/db" "$WORK/db2"
DB="$WORK/db/sumdb.db"
expect 0 'verifier key: ' "init" -- "$SUMDBD" init --db "$DB" --name "$NAME"
VKEY=$(sed -n 's/^verifier key: //p' "$WORK/out")
expect 0 '^yes$' "sumdbd add the go.sum lines" -- ok_if "$SUMDBD" add --db "$DB" "$WORK/first.sum"
start_sumdbd "$DB"
gomain "$WORK/m1" $FIRST
expect 0 '^yes$' "go mod download with GOSUMDB=sumdbd succeeds" -- \
	ok_if gorun "$WORK/m1" "$WORK/gp1" "$VKEY $URL" go mod download
expect 0 '^yes$' "go build of a main module requiring them" -- \
	ok_if gorun "$WORK/m1" "$WORK/gp1" "$VKEY $URL" go build -o "$WORK/main.bin" .
expect 0 '^yes$' "the go.sum written equals the imported lines" -- ok_if sh -c \
	"sort '$WORK/m1/go.sum' >'$WORK/a' && sort '$WORK/first.sum' >'$WORK/b' && cmp '$WORK/a' '$WORK/b'"
expect 0 '^sumdb$' "the client remembers the tree" -- ls "$WORK/gp1/pkg/sumdb/localhost.localdev"
expect 0 '^go.sum database tree$' "its latest is our tree note" -- head -n 1 "$WORK/gp1/pkg/sumdb/localhost.localdev/sumdb/latest"

# 2b. through a proxy: GOSUMDB names only the key, and the first GOPROXY
# (this server: /sumdb/NAME/supported answers 200, module files 404) is
# where the go command reaches the database, at /sumdb/NAME/...; the
# module files come from the next proxy of the list.  The key's name,
# localhost.localdev, resolves nowhere: a download that succeeds went
# through the proxy.
gomain "$WORK/m1p" $FIRST
GORUN_PROXY="$URL,file://$WORK/proxy"
expect 0 '^yes$' "GOSUMDB=<key> alone, the database reached through GOPROXY: download succeeds" -- \
	ok_if gorun "$WORK/m1p" "$WORK/gp1p" "$VKEY" go mod download
expect 0 '^yes$' "... and the build" -- \
	ok_if gorun "$WORK/m1p" "$WORK/gp1p" "$VKEY" go build -o "$WORK/main-p.bin" .
unset GORUN_PROXY
expect 0 '^yes$' "... and the go.sum written equals the imported lines" -- ok_if sh -c \
	"sort '$WORK/m1p/go.sum' >'$WORK/a' && sort '$WORK/first.sum' >'$WORK/b' && cmp '$WORK/a' '$WORK/b'"
expect 0 '^4$' "... and the client holds this server's tree" -- \
	sed -n 2p "$WORK/gp1p/pkg/sumdb/localhost.localdev/sumdb/latest"
# Set up wrong, the go command shows this server's 404 body: it must say
# what is wrong.  GOPROXY naming this server alone (no module proxy) ...
gomain "$WORK/m1q" $FIRST
GORUN_PROXY="$URL"
expect 1 'server response: not found: localhost.localdev/sumdb is a checksum database \(GOSUMDB\), not a module proxy \(GOPROXY\)' \
	"GOPROXY naming this server alone: the go command shows it is no module proxy" -- \
	gorun "$WORK/m1q" "$WORK/gp1q" "$VKEY" go mod download
unset GORUN_PROXY
# ... and GOSUMDB's URL naming another database under /sumdb/.
expect 1 'server response: not found: no such checksum database: this server is localhost.localdev/sumdb, at /sumdb/localhost.localdev/sumdb/' \
	"GOSUMDB's URL naming another database: the go command shows the name served" -- \
	gorun "$WORK/m1q" "$WORK/gp1q" "$VKEY $URL/sumdb/sum.golang.org" go mod download

# 3. growth and restart: the client holding tree 4 (same GOPATH) goes on
stop_sumdbd
expect 0 '^yes$' "add more records while stopped" -- ok_if "$SUMDBD" add --db "$DB" "$WORK/later.sum"
start_sumdbd "$DB"
gomain "$WORK/m2" $FIRST example.com/later@v1.0.0
expect 0 '^yes$' "after restart and growth the old client goes on" -- \
	ok_if gorun "$WORK/m2" "$WORK/gp1" "$VKEY $URL" go mod download
cp "$WORK/out" "$WORK/go2.out"
expect 0 '^yes$' "no misbehaviour reported" -- ok_if sh -c "! grep -q -i 'misbehavior\|SECURITY' '$WORK/go2.out'"
expect 0 '^5$' "the client's tree moved to 5" -- sed -n 2p "$WORK/gp1/pkg/sumdb/localhost.localdev/sumdb/latest"
stop_sumdbd

# 4. tamper: a log that recorded a wrong hash for example.com/hello
DB2="$WORK/db2/sumdb.db"
expect 0 'verifier key: ' "init a second log" -- "$SUMDBD" init --db "$DB2" --name "$NAME"
VKEY2=$(sed -n 's/^verifier key: //p' "$WORK/out")
python3 - "$WORK/first.sum" "$WORK/bad.sum" <<'PY'
import base64, sys
out = []
for line in open(sys.argv[1]):
    p, v, h = line.split()
    if p == "example.com/hello" and not v.endswith("/go.mod"):
        h = "h1:" + base64.b64encode(b"\x01" * 32).decode()
    out.append("%s %s %s\n" % (p, v, h))
open(sys.argv[2], "w").write("".join(out))
PY
expect 0 '^yes$' "import a wrong hash into the second log" -- ok_if "$SUMDBD" add --db "$DB2" "$WORK/bad.sum"
start_sumdbd "$DB2"
gomain "$WORK/m3" $FIRST
expect 1 'SECURITY ERROR' "the go command detects the wrong hash" -- \
	gorun "$WORK/m3" "$WORK/gp3" "$VKEY2 $URL" go mod download
stop_sumdbd
e2e_done
