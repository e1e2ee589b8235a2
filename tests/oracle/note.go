// Oracle kinds for signed notes, note keys and tree notes (x/mod
// sumdb/note and sumdb/tlog/note.go), used by tests/diff/note.sh.
//
// Signed notes, one case per line, tab-separated:
//
//	VKEYS MSG VERDICT TEXT SIGS UNVERIFIED
//
// VKEYS is a comma-separated list of base64(verifier key) or "-"; MSG is
// base64(message); VERDICT is ok, unverified, badsig or malformed; TEXT is
// base64(note text) or "-" (when neither ok nor unverified); SIGS and
// UNVERIFIED are comma-separated base64(name).hhhhhhhh.base64(sig base64)
// or "-".
//
// Keys: KIND(v|s) base64(KEY) VERDICT(ok|bad) NAME-B64 HASH (last two "-"
// when bad).  Trees: base64(TEXT) VERDICT(ok|bad) N HASHHEX FORMAT-B64.
//
// gen-* writes cases with x/mod's verdicts; check-* reads cases (from the
// C side) and fails on the first line where x/mod disagrees.
package main

import (
	"bufio"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func init() {
	register("gen-note", "SEED N: signed notes (x/mod keys) with x/mod's verdicts", noteGenNote)
	register("check-note", "check signed-note lines against x/mod", noteCheckNote)
	register("gen-keys", "SEED N: key strings with x/mod's verdicts", noteGenKeys)
	register("check-keys", "check key lines against x/mod", noteCheckKeys)
	register("gen-tree", "SEED N: tree note texts with x/mod's verdicts", noteGenTree)
	register("check-tree", "check tree note lines against x/mod", noteCheckTree)
}

var noteB64 = base64.StdEncoding

func noteSeedCount(args []string) (int64, int, error) {
	if len(args) != 2 {
		return 0, 0, errors.New("want SEED N")
	}
	seed, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil {
		return 0, 0, err
	}
	n, err := strconv.Atoi(args[1])
	return seed, n, err
}

// noteRandName makes a valid key name, sometimes with non-ASCII letters.
func noteRandName(r *rand.Rand) string {
	const alpha = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789./_-"
	var b strings.Builder
	n := 1 + r.Intn(20)
	for i := 0; i < n; i++ {
		switch r.Intn(12) {
		case 0:
			b.WriteString([]string{"é", "世", "ß", "\u200b", "🙂"}[r.Intn(5)])
		default:
			b.WriteByte(alpha[r.Intn(len(alpha))])
		}
	}
	return b.String()
}

// noteRandText makes a note text that x/mod's Open accepts.
func noteRandText(r *rand.Rand) string {
	var b strings.Builder
	lines := 1 + r.Intn(5)
	for i := 0; i < lines; i++ {
		n := r.Intn(40)
		for j := 0; j < n; j++ {
			switch r.Intn(20) {
			case 0:
				b.WriteString([]string{"é", "世", "—", "\u2028", "\x7f", "\u0085", "🙂"}[r.Intn(7)])
			case 1:
				b.WriteByte(' ')
			default:
				b.WriteByte(byte(0x21 + r.Intn(0x5e)))
			}
		}
		b.WriteByte('\n')
		if r.Intn(8) == 0 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}

var noteInteresting = []byte{'\n', ' ', 0x01, 0xff, 0x80, '+', 'A', '=', '\r', 0xe2, 0x94, '-', 0}

// noteMutate corrupts msg in one of several ways (tests/diff/diff_note.c has
// the same list).
func noteMutate(r *rand.Rand, msg []byte) []byte {
	m := append([]byte(nil), msg...)
	switch r.Intn(9) {
	case 0: // flip a bit
		i := r.Intn(len(m))
		m[i] ^= 1 << uint(r.Intn(8))
	case 1: // delete a byte
		i := r.Intn(len(m))
		m = append(m[:i], m[i+1:]...)
	case 2: // insert a byte
		i := r.Intn(len(m) + 1)
		c := noteInteresting[r.Intn(len(noteInteresting))]
		m = append(m[:i], append([]byte{c}, m[i:]...)...)
	case 3: // truncate
		m = m[:r.Intn(len(m))]
	case 4: // append a junk line
		m = append(m, "junk line\n"...)
	case 5: // hyphen for the em dash of the last signature
		i := strings.LastIndex(string(m), "—")
		if i >= 0 {
			m = append(m[:i], append([]byte("-"), m[i+len("—"):]...)...)
		}
	case 6: // repeat the last signature line up to 101 lines
		i := strings.LastIndex(string(m[:len(m)-1]), "\n")
		line := append([]byte(nil), m[i+1:]...)
		for k := 0; k < 101; k++ {
			m = append(m, line...)
		}
	case 7: // flip a bit inside the last signature's base64 (keep it base64)
		i := strings.LastIndex(string(m), " ")
		if i >= 0 && i+10 < len(m) {
			j := i + 1 + r.Intn(len(m)-i-3)
			if m[j] == 'A' {
				m[j] = 'B'
			} else {
				m[j] = 'A'
			}
		}
	case 8: // change the text's first byte
		if m[0] == 'x' {
			m[0] = 'y'
		} else {
			m[0] = 'x'
		}
	}
	return m
}

func noteFmtSigs(sigs []note.Signature) string {
	if len(sigs) == 0 {
		return "-"
	}
	var parts []string
	for _, s := range sigs {
		parts = append(parts, fmt.Sprintf("%s.%08x.%s", noteB64.EncodeToString([]byte(s.Name)), s.Hash, noteB64.EncodeToString([]byte(s.Base64))))
	}
	return strings.Join(parts, ",")
}

// noteOpenLine opens msg with the verifier keys and returns the result fields.
func noteOpenLine(vkeys []string, msg []byte) (verdict, text, sigs, unv string, err error) {
	var vs []note.Verifier
	for _, k := range vkeys {
		v, err := note.NewVerifier(k)
		if err != nil {
			return "", "", "", "", fmt.Errorf("verifier key %q: %v", k, err)
		}
		vs = append(vs, v)
	}
	n, oerr := note.Open(msg, note.VerifierList(vs...))
	var uerr *note.UnverifiedNoteError
	var serr *note.InvalidSignatureError
	switch {
	case oerr == nil:
		verdict = "ok"
	case errors.As(oerr, &uerr):
		verdict = "unverified"
		n = uerr.Note
	case errors.As(oerr, &serr):
		verdict = "badsig"
	case oerr.Error() == "malformed note":
		verdict = "malformed"
	default:
		return "", "", "", "", fmt.Errorf("unexpected error %v", oerr)
	}
	if n == nil {
		return verdict, "-", "-", "-", nil
	}
	return verdict, noteB64.EncodeToString([]byte(n.Text)), noteFmtSigs(n.Sigs), noteFmtSigs(n.UnverifiedSigs), nil
}

func noteEncKeys(vkeys []string) string {
	if len(vkeys) == 0 {
		return "-"
	}
	var parts []string
	for _, k := range vkeys {
		parts = append(parts, noteB64.EncodeToString([]byte(k)))
	}
	return strings.Join(parts, ",")
}

func noteGenNote(args []string, in *bufio.Reader, out *bufio.Writer) error {
	seed, count, err := noteSeedCount(args)
	if err != nil {
		return err
	}
	r := rand.New(rand.NewSource(seed))
	for c := 0; c < count; c++ {
		nsig := 1 + r.Intn(4)
		var signers []note.Signer
		var vkeys []string
		for i := 0; i < nsig; i++ {
			skey, vkey, err := note.GenerateKey(r, noteRandName(r))
			if err != nil {
				return err
			}
			s, err := note.NewSigner(skey)
			if err != nil {
				return err
			}
			signers = append(signers, s)
			if r.Intn(3) != 0 {
				vkeys = append(vkeys, vkey)
			}
		}
		if r.Intn(10) == 0 { // the same key signs twice
			signers = append(signers, signers[0])
		}
		if r.Intn(5) == 0 { // a known key that signed nothing
			_, vkey, _ := note.GenerateKey(r, noteRandName(r))
			vkeys = append(vkeys, vkey)
		}
		msg, err := note.Sign(&note.Note{Text: noteRandText(r)}, signers...)
		if err != nil {
			return err
		}
		if r.Intn(10) < 4 {
			msg = noteMutate(r, msg)
		}
		verdict, text, sigs, unv, err := noteOpenLine(vkeys, msg)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s\t%s\t%s\t%s\t%s\t%s\n", noteEncKeys(vkeys), noteB64.EncodeToString(msg), verdict, text, sigs, unv)
	}
	return nil
}

func noteReadLines(in *bufio.Reader, fields int, f func(line string, fs []string) error) error {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	n := 0
	for sc.Scan() {
		fs := strings.Split(sc.Text(), "\t")
		if len(fs) != fields {
			return fmt.Errorf("line %d: want %d fields, got %d", n+1, fields, len(fs))
		}
		if err := f(sc.Text(), fs); err != nil {
			return fmt.Errorf("DISAGREEMENT on line %d: %v\ninput: %s", n+1, err, sc.Text())
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return err
	}
	if n == 0 {
		return errors.New("no cases read")
	}
	fmt.Fprintf(os.Stderr, "oracle: %d cases agree\n", n)
	return nil
}

func noteCheckNote(args []string, in *bufio.Reader, out *bufio.Writer) error {
	return noteReadLines(in, 6, func(line string, fs []string) error {
		var vkeys []string
		if fs[0] != "-" {
			for _, k := range strings.Split(fs[0], ",") {
				raw, err := noteB64.DecodeString(k)
				if err != nil {
					return err
				}
				vkeys = append(vkeys, string(raw))
			}
		}
		msg, err := noteB64.DecodeString(fs[1])
		if err != nil {
			return err
		}
		verdict, text, sigs, unv, err := noteOpenLine(vkeys, msg)
		if err != nil {
			return err
		}
		got := []string{verdict, text, sigs, unv}
		if strings.Join(got, "\t") != strings.Join(fs[2:], "\t") {
			return fmt.Errorf("x/mod says %q", strings.Join(got, "\t"))
		}
		return nil
	})
}

// noteMutateKey corrupts a key string (the C side has the same list).
func noteMutateKey(r *rand.Rand, k string) string {
	b := []byte(k)
	switch r.Intn(6) {
	case 0:
		b[r.Intn(len(b))] ^= 1 << uint(r.Intn(8))
	case 1:
		i := r.Intn(len(b))
		b = append(b[:i], b[i+1:]...)
	case 2:
		i := r.Intn(len(b) + 1)
		b = append(b[:i], append([]byte{noteInteresting[r.Intn(len(noteInteresting))]}, b[i:]...)...)
	case 3:
		b = b[:r.Intn(len(b))]
	case 4: // upper-case the hash (still valid for x/mod)
		s := string(b)
		i := strings.LastIndex(s, "+")
		j := strings.LastIndex(s[:i], "+")
		b = []byte(s[:j] + strings.ToUpper(s[j:i]) + s[i:])
	case 5:
		b = append(b, "=="...)
	}
	return string(b)
}

func noteKeyVerdict(kind, key string) (verdict, name, hash string) {
	var n string
	var h uint32
	if kind == "v" {
		v, err := note.NewVerifier(key)
		if err != nil {
			return "bad", "-", "-"
		}
		n, h = v.Name(), v.KeyHash()
	} else {
		s, err := note.NewSigner(key)
		if err != nil {
			return "bad", "-", "-"
		}
		n, h = s.Name(), s.KeyHash()
	}
	if strings.IndexByte(n, 0) >= 0 { // csumdb's documented deviation
		return "bad", "-", "-"
	}
	return "ok", noteB64.EncodeToString([]byte(n)), fmt.Sprintf("%08x", h)
}

func noteGenKeys(args []string, in *bufio.Reader, out *bufio.Writer) error {
	seed, count, err := noteSeedCount(args)
	if err != nil {
		return err
	}
	r := rand.New(rand.NewSource(seed))
	for c := 0; c < count; c++ {
		skey, vkey, err := note.GenerateKey(r, noteRandName(r))
		if err != nil {
			return err
		}
		for _, kk := range [][2]string{{"v", vkey}, {"s", skey}} {
			k := kk[1]
			if r.Intn(2) == 0 {
				k = noteMutateKey(r, k)
			}
			v, n, h := noteKeyVerdict(kk[0], k)
			fmt.Fprintf(out, "%s\t%s\t%s\t%s\t%s\n", kk[0], noteB64.EncodeToString([]byte(k)), v, n, h)
		}
	}
	return nil
}

func noteCheckKeys(args []string, in *bufio.Reader, out *bufio.Writer) error {
	return noteReadLines(in, 5, func(line string, fs []string) error {
		key, err := noteB64.DecodeString(fs[1])
		if err != nil {
			return err
		}
		v, n, h := noteKeyVerdict(fs[0], string(key))
		if v != fs[2] || n != fs[3] || h != fs[4] {
			return fmt.Errorf("x/mod says %s %s %s", v, n, h)
		}
		// A C-made signer and its verifier must work in x/mod too.
		if v == "ok" && fs[0] == "s" {
			s, _ := note.NewSigner(string(key))
			if _, err := note.Sign(&note.Note{Text: "x\n"}, s); err != nil {
				return err
			}
		}
		return nil
	})
}

func noteTreeVerdict(text []byte) string {
	t, err := tlog.ParseTree(text)
	if err != nil {
		return "bad\t-\t-\t-"
	}
	return fmt.Sprintf("ok\t%d\t%s\t%s", t.N, hex.EncodeToString(t.Hash[:]), noteB64.EncodeToString(tlog.FormatTree(t)))
}

func noteMutateTree(r *rand.Rand, t []byte) []byte {
	s := string(t)
	lines := strings.SplitN(s, "\n", 4)
	switch r.Intn(10) {
	case 0:
		lines[1] = "0" + lines[1]
	case 1:
		lines[1] = "+" + lines[1]
	case 2:
		lines[1] = "-" + lines[1]
	case 3:
		lines[2] = lines[2][:len(lines[2])-1]
	case 4:
		lines[2] = "AAAA" + lines[2]
	case 5:
		lines[3] = "junk\nmore junk"
	case 6:
		b := []byte(s)
		b[r.Intn(len(b))] ^= 1 << uint(r.Intn(8))
		return b
	case 7:
		return t[:r.Intn(len(t))]
	case 8:
		lines[1] = "9223372036854775808"
	case 9: // non-canonical last base64 digit
		h := []byte(lines[2])
		h[42] ^= 1
		lines[2] = string(h)
	}
	return []byte(strings.Join(lines, "\n"))
}

func noteRandTree(r *rand.Rand) tlog.Tree {
	var t tlog.Tree
	switch r.Intn(4) {
	case 0:
		t.N = int64(r.Intn(10))
	case 1:
		t.N = r.Int63n(1 << 32)
	default:
		t.N = r.Int63()
	}
	r.Read(t.Hash[:])
	return t
}

func noteGenTree(args []string, in *bufio.Reader, out *bufio.Writer) error {
	seed, count, err := noteSeedCount(args)
	if err != nil {
		return err
	}
	r := rand.New(rand.NewSource(seed))
	for c := 0; c < count; c++ {
		text := tlog.FormatTree(noteRandTree(r))
		if r.Intn(2) == 0 {
			text = noteMutateTree(r, text)
		}
		fmt.Fprintf(out, "%s\t%s\n", noteB64.EncodeToString(text), noteTreeVerdict(text))
	}
	return nil
}

func noteCheckTree(args []string, in *bufio.Reader, out *bufio.Writer) error {
	return noteReadLines(in, 5, func(line string, fs []string) error {
		text, err := noteB64.DecodeString(fs[0])
		if err != nil {
			return err
		}
		if got := noteTreeVerdict(text); got != strings.Join(fs[1:], "\t") {
			return fmt.Errorf("x/mod says %s", got)
		}
		return nil
	})
}
