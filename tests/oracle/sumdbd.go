// Oracle kinds for sumdbd's write side (tests/diff/sumdbd_log.sh): keys
// printed by `sumdbd keygen` and the log a fresh `sumdbd init` + `add`
// writes, checked with x/mod's note and tlog packages.
//
//	sumdbd-keys: lines "SIGNERKEY VERIFIERKEY"; each pair must parse with
//	note.NewSigner / note.NewVerifier, agree on name and hash, and a note
//	signed by one must open with the other.  Prints "ok N".
//
//	sumdbd-log VKEY NOTEFILE: stdin holds the record texts in id order,
//	each followed by one blank line (the data tile form); the note in
//	NOTEFILE must open with VKEY, and its tree must be the tree x/mod
//	computes from those records.  Prints "ok N HASH".
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func init() {
	register("sumdbd-keys", "check SIGNER VERIFIER key lines from sumdbd keygen", sumdbdKeys)
	register("sumdbd-log", "VKEY NOTEFILE: check a signed tree against records on stdin", sumdbdLog)
}

func sumdbdKeys(args []string, in *bufio.Reader, out *bufio.Writer) error {
	n := 0
	sc := bufio.NewScanner(in)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) != 2 {
			return fmt.Errorf("line %d: want SIGNER VERIFIER", n+1)
		}
		s, err := note.NewSigner(f[0])
		if err != nil {
			return fmt.Errorf("line %d: signer: %v", n+1, err)
		}
		v, err := note.NewVerifier(f[1])
		if err != nil {
			return fmt.Errorf("line %d: verifier: %v", n+1, err)
		}
		if s.Name() != v.Name() || s.KeyHash() != v.KeyHash() {
			return fmt.Errorf("line %d: signer and verifier disagree", n+1)
		}
		msg, err := note.Sign(&note.Note{Text: "hello\n"}, s)
		if err != nil {
			return err
		}
		if _, err := note.Open(msg, note.VerifierList(v)); err != nil {
			return fmt.Errorf("line %d: open: %v", n+1, err)
		}
		n++
	}
	if err := sc.Err(); err != nil {
		return err
	}
	fmt.Fprintf(out, "ok %d\n", n)
	return nil
}

func sumdbdLog(args []string, in *bufio.Reader, out *bufio.Writer) error {
	if len(args) != 2 {
		return errors.New("want VKEY NOTEFILE")
	}
	v, err := note.NewVerifier(args[0])
	if err != nil {
		return err
	}
	msg, err := os.ReadFile(args[1])
	if err != nil {
		return err
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		return fmt.Errorf("note: %v", err)
	}
	tree, err := tlog.ParseTree([]byte(n.Text))
	if err != nil {
		return err
	}
	data, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	var recs [][]byte
	for len(data) > 0 {
		i := bytes.Index(data, []byte("\n\n"))
		if i < 0 {
			return errors.New("records: missing blank line")
		}
		recs = append(recs, data[:i+1])
		data = data[i+2:]
	}
	if int64(len(recs)) != tree.N {
		return fmt.Errorf("note says %d records, stdin has %d", tree.N, len(recs))
	}
	var stored []tlog.Hash
	hr := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		h := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			h[i] = stored[x]
		}
		return h, nil
	})
	for i, r := range recs {
		hs, err := tlog.StoredHashes(int64(i), r, hr)
		if err != nil {
			return err
		}
		stored = append(stored, hs...)
	}
	th, err := tlog.TreeHash(tree.N, hr)
	if err != nil {
		return err
	}
	if th != tree.Hash {
		return fmt.Errorf("tree %d: x/mod computes %v, the note signs %v", tree.N, th, tree.Hash)
	}
	fmt.Fprintf(out, "ok %d %v\n", tree.N, th)
	return nil
}
