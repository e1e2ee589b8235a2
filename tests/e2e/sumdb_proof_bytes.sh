#!/bin/sh
# The proof export round trip as a security team uses it: sumdb prove
# against a real sumdbd, then sumdb verify-proof with the log stopped (no
# network, as on another machine), and every single-byte change of that
# proof refused.  Each byte is changed once: a base64 symbol to the symbol
# whose value differs in its lowest bit (which reaches the unused bits
# before a padding '='), any other byte by its lowest bit; the unit test
# of tlogproof.c tries all 255 values of every byte.
. "$top_srcdir/tests/e2e/lib.sh"
trap 'sumdbd_stop A; rm -rf "$WORK"' EXIT
NAME=localhost.localdev/sumdb

expect 0 'verifier key: ' "init" -- "$SUMDBD" init --db "$WORK/a.db" --name "$NAME"
VKEY=$(sed -n 's/^verifier key: //p' "$WORK/out")
gosum_lines 0 3 >"$WORK/g.sum"
expect 0 'tree size 3' "3 records" -- "$SUMDBD" add --db "$WORK/a.db" "$WORK/g.sum"
sumdbd_start A "$WORK/a.db"
expect 0 'record 1 of the tree of 3 records' "prove" -- \
	"$SUMDB" prove --url "$A_URL" --out "$WORK/m1.tlog-proof" "$VKEY" example.com/m1@v1.0.0
grep '^example.com/m1 ' "$WORK/g.sum" >"$WORK/m1.rec"
sumdbd_stop A
A_PID=
expect 0 '^valid: record 1$' "verify-proof with the log stopped" -- \
	"$SUMDB" verify-proof --vkey "$VKEY" --record "$WORK/m1.rec" "$WORK/m1.tlog-proof"
cp "$WORK/out" "$WORK/verify.out"
expect 0 '^root hash: ' "... names the root" -- cat "$WORK/verify.out"

# every byte changed once: each refused with exit 2, and the list of
# those that were not (exit 0, or any other status) is empty
python3 - "$SUMDB" "$VKEY" "$WORK/m1.rec" "$WORK/m1.tlog-proof" "$WORK/flip.tlog-proof" \
    >"$WORK/flips" 2>&1 <<'PY'
import string, subprocess, sys
sumdb, vkey, rec, proof, out = sys.argv[1:6]
data = open(proof, "rb").read()
b64 = (string.ascii_uppercase + string.ascii_lowercase + string.digits + "+/").encode()
tried = 0
for i, c in enumerate(data):
    k = b64.find(bytes([c]))
    d = bytearray(data)
    d[i] = b64[k ^ 1] if k >= 0 else c ^ 1
    with open(out, "wb") as f:
        f.write(d)
    r = subprocess.run([sumdb, "verify-proof", "--vkey", vkey, "--record", rec, out],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tried += 1
    if r.returncode != 2:
        print("byte %d %#04x -> %#04x: exit %d" % (i, c, d[i], r.returncode))
print("tried %d" % tried)
PY
size=$(wc -c <"$WORK/m1.tlog-proof")
expect 0 "^tried $size\$" "every byte of the proof changed once" -- cat "$WORK/flips"
expect 0 '^none$' "... and every change refused (exit 2)" -- sh -c "grep '^byte ' '$WORK/flips' || echo none"
e2e_done
