// +build ignore

// gen.go writes the signed-note fixtures of tests/e2e/verify_note.sh with
// golang.org/x/mod/sumdb/note (the reference), so the C verifier is tested
// against notes the Go side produced.  Ed25519 is deterministic: running it
// again gives the same bytes.
//
//	cd tests/data/notes && GO111MODULE=off GOPATH=/usr/share/gocode go run gen.go
package main

import (
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

// The key pair of x/mod's own note tests, and a second key made once with
// note.GenerateKey for the "other signer" cases.
const (
	peterSkey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
	otherSkey = "PRIVATE+KEY+other.example/sumdb+21a8ce4b+AV52W177KSa/y57bQBWHSSp+0iDHtA0oDA2l9QqVMRe0"
	tree      = "go.sum database tree\n123456789012\nTszzRgjTG6xce+z2AG31kAXYKBgQVtCSCE40HmuwBb0=\n"
)

func sign(text string, keys ...string) string {
	var signers []note.Signer
	for _, k := range keys {
		s, err := note.NewSigner(k)
		if err != nil {
			panic(err)
		}
		signers = append(signers, s)
	}
	msg, err := note.Sign(&note.Note{Text: text}, signers...)
	if err != nil {
		panic(err)
	}
	return string(msg)
}

func write(name, content string) {
	if err := os.WriteFile(name, []byte(content), 0o644); err != nil {
		panic(err)
	}
}

func main() {
	good := sign(tree, peterSkey)
	write("tree.note", good)
	write("tree-two-signers.note", sign(tree, otherSkey, peterSkey))
	write("tree-other-signer.note", sign(tree, otherSkey))
	write("not-a-tree.note", sign("hello, world\n", peterSkey))
	// Forgeries of the good note.
	i := strings.Index(good, "\n— ") + len("\n— PeterNeumann ") + 10
	b := []byte(good)
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	write("tree-bad-signature.note", string(b))
	write("tree-changed-size.note", strings.Replace(good, "123456789012", "123456789013", 1))
	write("tree-trailing-bytes.note", good+"x")
	write("tree-no-blank-line.note", strings.Replace(good, "\n\n", "\n", 1))
}
