#!/bin/sh
# The deployment of contrib/: sumdbd serve with the options of
# contrib/sumdbd.service, behind nginx configured by the site file
# contrib/nginx-sumdbd.conf (its own CA and certificate, loopback ports,
# nginx stopped by its PID), and the real go command through https
# (SSL_CERT_FILE naming the CA, a fresh GOPATH, GOPROXY=file://):
#   - go mod download and go build succeed, of a module added through the
#     admin socket and one recorded on demand from --upstream;
#   - a log that recorded a wrong hash makes the go command fail with
#     SECURITY ERROR;
#   - nginx answers over HTTP/2 and passes sumdbd's Cache-Control: full
#     tiles immutable, partial tiles and lookups 60 s, /latest no-cache.
# Skipped without nginx.  NGINX_PROGRAM names the nginx program (default:
# nginx on PATH, or /usr/sbin/nginx), such as one unpacked from Debian's
# package without installing it, as .ci/run does.  (Not NGINX: nginx
# reads that variable itself, as sockets handed to it.)
. "$top_srcdir/tests/e2e/lib.sh"
NAME=localhost.localdev/sumdb
UNIT="$top_srcdir/contrib/sumdbd.service"
SITE="$top_srcdir/contrib/nginx-sumdbd.conf"
NGINX=${NGINX_PROGRAM:-$(command -v nginx || echo /usr/sbin/nginx)}
for t in "$NGINX" go openssl curl; do
	if ! command -v "$t" >/dev/null 2>&1; then
		echo "SKIP: no $t"
		exit 77
	fi
done

# The unit's sumdbd serve options, but for --db and --listen, which the
# test sets (a database of its own, port 0): the unit's --listen must be
# the site's upstream server.
set -- $(sed -n 's/^ExecStart=//p' "$UNIT")
[ "${2:-}" = serve ] || { echo "FAIL: no ExecStart=... serve in $UNIT"; exit 1; }
shift 2
UNIT_ARGS= UNIT_LISTEN=
while [ $# -gt 0 ]; do
	case $1 in
	--db) shift ;;
	--listen) UNIT_LISTEN=$2; shift ;;
	*) UNIT_ARGS="$UNIT_ARGS $1" ;;
	esac
	shift
done
expect 0 "^	server $UNIT_LISTEN;\$" "the site's upstream is the unit's --listen ($UNIT_LISTEN)" -- \
	grep -F "	server $UNIT_LISTEN;" "$SITE"
expect 0 '^yes$' "the unit raises --max-conns-per-ip to --max-conns' default" -- \
	ok_if sh -c "echo '$UNIT_ARGS' | grep -q -- '--max-conns-per-ip 10000'"

# A CA of the test's own and a certificate for 127.0.0.1 it signed.
T="$WORK/tls"
mkdir -p "$T"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=csumdb-test-ca \
	-keyout "$T/ca.key" -out "$T/ca.pem" 2>"$T/err" &&
openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 \
	-keyout "$T/site.key" -out "$T/site.csr" 2>>"$T/err" &&
printf 'subjectAltName=IP:127.0.0.1\n' >"$T/ext" &&
openssl x509 -req -in "$T/site.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial \
	-days 2 -extfile "$T/ext" -out "$T/site.pem" 2>>"$T/err" ||
	{ echo "FAIL: openssl:"; cat "$T/err"; exit 1; }
export SSL_CERT_FILE="$T/ca.pem"

# nginx_start BACKEND_URL: nginx with the site file, its upstream
# BACKEND_URL, on a free loopback port; sets NGINX_PID and HTTPS_URL.
# nginx cannot listen on port 0: a port found free may be taken before
# nginx binds it, so another is tried then.
NGINX_PID=
N="$WORK/nginx"
nginx_start() {
	mkdir -p "$N"
	for _try in 1 2 3; do
		_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
		sed -e "s|^	server $UNIT_LISTEN;|	server ${1#http://};|" \
		    -e "s|^	listen 443 ssl http2;|	listen 127.0.0.1:$_port ssl http2;|" \
		    -e '/^	listen \[::\]:443 /d' \
		    -e "s|^	ssl_certificate .*|	ssl_certificate $T/site.pem;|" \
		    -e "s|^	ssl_certificate_key .*|	ssl_certificate_key $T/site.key;|" \
		    "$SITE" >"$N/site.conf"
		for _want in "server ${1#http://};" "listen 127.0.0.1:$_port ssl" "$T/site.pem;" "$T/site.key;"; do
			grep -qF "$_want" "$N/site.conf" || { echo "FAIL: the site file changed: no '$_want' made"; exit 1; }
		done
		cat >"$N/nginx.conf" <<EOF
worker_processes 1;
pid $N/nginx.pid;
error_log $N/error.log;
user $(id -un) $(id -gn);
events { worker_connections 256; }
http {
	access_log $N/access.log;
	client_body_temp_path $N/body;
	proxy_temp_path $N/proxy;
	fastcgi_temp_path $N/fastcgi;
	uwsgi_temp_path $N/uwsgi;
	scgi_temp_path $N/scgi;
	include $N/site.conf;
}
EOF
		"$NGINX" -p "$N" -c "$N/nginx.conf" -e "$N/error.log" -g 'daemon off;' 2>"$N/stderr" &
		NGINX_PID=$!
		HTTPS_URL="https://127.0.0.1:$_port"
		if wait_for 10 curl -sf --cacert "$T/ca.pem" -o /dev/null "$HTTPS_URL/latest"; then
			return 0
		fi
		nginx_stop
	done
	echo "FAIL: nginx did not start:"
	cat "$N/stderr" "$N/error.log"
	exit 1
}
nginx_stop() {
	if [ -n "$NGINX_PID" ]; then
		kill -TERM "$NGINX_PID" 2>/dev/null
		wait "$NGINX_PID" 2>/dev/null
		NGINX_PID=
	fi
}
trap 'nginx_stop; e2e_cleanup' EXIT

# The module proxy: example.com/a, added with sumdbd add, and
# corp.example.com/b, recorded on demand from it.
MKZIP="$top_srcdir/tests/e2e/mkzip.py"
python3 "$MKZIP" proxy "$WORK/proxy" example.com/a v1.0.0 1 3 &&
python3 "$MKZIP" proxy "$WORK/proxy" corp.example.com/b v1.0.0 2 3 || exit 1
# gomain_blank DIR: a main module importing both.
gomain_blank() {
	mkdir -p "$1"
	printf 'module example.com/main\n\ngo 1.16\n\nrequire (\n\texample.com/a v1.0.0\n\tcorp.example.com/b v1.0.0\n)\n' >"$1/go.mod"
	printf 'package main\n\nimport (\n\t_ "corp.example.com/b"\n\t_ "example.com/a"\n)\n\nfunc main() {}\n' >"$1/main.go"
}
gomain_blank "$WORK/m0"
gorun "$WORK/m0" "$WORK/gp0" off go mod download -json example.com/a >"$WORK/dl.json" 2>"$WORK/dl.err"
python3 - "$WORK/dl.json" >"$WORK/a.sum" <<'PY'
import json, sys
o = json.load(open(sys.argv[1]))
print("%s %s %s" % (o["Path"], o["Version"], o["Sum"]))
print("%s %s/go.mod %s" % (o["Path"], o["Version"], o["GoModSum"]))
PY
expect 0 '^2$' "go.sum lines of example.com/a, with GOSUMDB=off" -- sh -c "wc -l <'$WORK/a.sum'"

# 1. an honest log behind nginx
mkdir -p "$WORK/db" "$WORK/db2"
DB="$WORK/db/sumdb.db"
expect 0 'verifier key: ' "init" -- "$SUMDBD" init --db "$DB" --name "$NAME"
VKEY=$(sed -n 's/^verifier key: //p' "$WORK/out")
start_sumdbd "$DB" $UNIT_ARGS --upstream "file://$WORK/proxy" --private corp.example.com
expect 0 'added 1, ' "sumdbd add through the admin socket" -- "$SUMDBD" add --db "$DB" "$WORK/a.sum"
gosum_lines 0 256 >"$WORK/full.sum"
expect 0 'added 256, ' "256 more records: a full tile" -- "$SUMDBD" add --db "$DB" "$WORK/full.sum"
nginx_start "$URL"

gomain_blank "$WORK/m1"
expect 0 '^yes$' "go mod download through nginx (https) succeeds" -- \
	ok_if gorun "$WORK/m1" "$WORK/gp1" "$VKEY $HTTPS_URL" go mod download
expect 0 '^yes$' "... and go build" -- \
	ok_if gorun "$WORK/m1" "$WORK/gp1" "$VKEY $HTTPS_URL" go build -o "$WORK/main.bin" .
expect 0 '^corp.example.com/b v1.0.0 h1:' "... corp.example.com/b recorded on demand" -- \
	grep '^corp.example.com/b v1.0.0 h1:' "$WORK/m1/go.sum"
expect 0 '^yes$' "... and example.com/a's go.sum lines are those added" -- \
	ok_if sh -c "grep '^example.com/a ' '$WORK/m1/go.sum' | cmp - '$WORK/a.sum'"
expect 0 '^258$' "the client holds the tree of 258 records" -- \
	sed -n 2p "$WORK/gp1/pkg/sumdb/localhost.localdev/sumdb/latest"

# The answers as nginx passes them: HTTP/2, and sumdbd's Cache-Control.
# cc PATH: the HTTP version and the Cache-Control of PATH, one line.
cc() {
	curl -sS --cacert "$T/ca.pem" -o /dev/null -D "$WORK/hdr" -w '%{http_code} HTTP/%{http_version} ' "$HTTPS_URL$1" &&
	sed -n 's/^cache-control: *//Ip' "$WORK/hdr" | tr -d '\r'
}
expect 0 '^200 HTTP/2 public, max-age=31536000, immutable$' "a full tile: immutable" -- cc /tile/8/0/000
expect 0 '^200 HTTP/2 public, max-age=60$' "a partial tile: 60 s" -- cc /tile/8/0/001.p/2
expect 0 '^200 HTTP/2 no-cache, max-age=0$' "/latest: no-cache" -- cc /latest
expect 0 '^200 HTTP/2 public, max-age=60$' "a lookup: 60 s" -- cc /lookup/example.com/a@v1.0.0
expect 0 '^404 HTTP/2 public, max-age=60$' "a lookup's 404: 60 s" -- cc /lookup/corp.example.com/c@v1.0.0
expect 0 '^yes$' "nginx logged no error" -- ok_if sh -c "! grep -E '\[(error|crit|alert|emerg)\]' '$N/error.log'"
nginx_stop
stop_sumdbd

# 2. a log that recorded a wrong hash for example.com/a, behind nginx
DB2="$WORK/db2/sumdb.db"
expect 0 'verifier key: ' "init a second log" -- "$SUMDBD" init --db "$DB2" --name "$NAME"
VKEY2=$(sed -n 's/^verifier key: //p' "$WORK/out")
python3 - "$WORK/a.sum" >"$WORK/bad.sum" <<'PY'
import base64, sys
for line in open(sys.argv[1]):
    p, v, h = line.split()
    if not v.endswith("/go.mod"):
        h = "h1:" + base64.b64encode(b"\x01" * 32).decode()
    print(p, v, h)
PY
expect 0 'added 1, ' "record the wrong hash" -- "$SUMDBD" add --db "$DB2" "$WORK/bad.sum"
start_sumdbd "$DB2" $UNIT_ARGS
nginx_start "$URL"
mkdir -p "$WORK/m2"
printf 'module example.com/main\n\ngo 1.16\n\nrequire example.com/a v1.0.0\n' >"$WORK/m2/go.mod"
printf 'package main\n\nimport _ "example.com/a"\n\nfunc main() {}\n' >"$WORK/m2/main.go"
expect 1 'SECURITY ERROR' "through nginx, the wrong hash: SECURITY ERROR" -- \
	gorun "$WORK/m2" "$WORK/gp2" "$VKEY2 $HTTPS_URL" go mod download
nginx_stop
stop_sumdbd
e2e_done
