// xmod-serve: a checksum database served by x/mod 0.7.0's own
// sumdb.NewServer over in-memory ServerOps, for the verifier's end-to-end
// tests against the reference server (tests/e2e/sumdb_xmod.sh) and for
// benchmarks that want the reference on the other side of the wire.
//
//	oracle xmod-serve [-key FILE] [-listen ADDR] [-extra-sig KIND] [-tiles DIR] GOSUM...
//
// The go.sum files give the records, one per module version, in the order
// their versions first appear: "M V h1:..." and "M V/go.mod h1:..." make
// the two-line record "M V h1:...\nM V/go.mod h1:...\n" (both lines are
// required, as in sum.golang.org's records).  The tree of all of them is
// signed once, at start, with the signer key in FILE (PRIVATE+KEY+...,
// x/mod's note format; without -key a new key is made and its verifier key
// printed).  -extra-sig adds a second signature line after the real one:
// "unknown" a valid signature by a key nobody knows (clients must ignore
// it), "malformed" a line whose base64 is too short to be a signature
// (x/mod and every client must reject the whole note).  -tiles writes
// every full hash tile under DIR/tile/... and their paths, one a line, to
// DIR/tile-paths.txt (for a static file server beside it, as
// tools/bench-sumdbd does).
//
// Prints "vkey KEY", "size N root HASH", "port P" and "listening HOST:P"
// (ADDR defaults to 127.0.0.1:0), then serves until SIGTERM or SIGINT, and
// exits 0.  What the server sends is x/mod's: data tiles carry 0.7.0's id
// lines.  This is also the reference server of tools/bench-sumdbd.
package main

import (
	"bufio"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func init() {
	register("xmod-serve", "[-key FILE] [-listen ADDR] [-extra-sig unknown|malformed] GOSUM...: serve with x/mod's sumdb.Server", xmodServe)
}

// xmodOps is sumdb.ServerOps over records that never change while serving.
type xmodOps struct {
	signed  []byte
	records [][]byte
	lookup  map[string]int64
	hashes  []tlog.Hash
}

func (s *xmodOps) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	list := make([]tlog.Hash, 0, len(indexes))
	for _, id := range indexes {
		if id < 0 || id >= int64(len(s.hashes)) {
			return nil, os.ErrNotExist
		}
		list = append(list, s.hashes[id])
	}
	return list, nil
}

func (s *xmodOps) Signed(ctx context.Context) ([]byte, error) { return s.signed, nil }

func (s *xmodOps) ReadRecords(ctx context.Context, id, n int64) ([][]byte, error) {
	if id < 0 || n < 0 || id+n > int64(len(s.records)) {
		return nil, os.ErrNotExist
	}
	return s.records[id : id+n], nil
}

func (s *xmodOps) Lookup(ctx context.Context, m module.Version) (int64, error) {
	id, ok := s.lookup[m.String()]
	if !ok {
		return 0, &os.PathError{Op: "lookup", Path: m.String(), Err: os.ErrNotExist}
	}
	return id, nil
}

func (s *xmodOps) ReadTileData(ctx context.Context, t tlog.Tile) ([]byte, error) {
	// Tiles beyond the tree are not found (404), as on sum.golang.org.
	if t.N<<uint(t.H)+int64(t.W) > int64(len(s.records))>>uint(t.L*t.H) {
		return nil, os.ErrNotExist
	}
	return tlog.ReadTileData(t, s)
}

// xmodLoad reads go.sum files into records, in order of first appearance.
// With dups, a module version whose two lines were already read starts a
// new record (a log holding it twice, which sumdbd refuses to build).
func xmodLoad(files []string, dups bool) (*xmodOps, error) {
	type pair struct{ zip, mod string }
	var order []string
	pairs := map[string]*pair{}
	for _, name := range files {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<16), 1<<20)
		for ln := 1; sc.Scan(); ln++ {
			fl := strings.Fields(sc.Text())
			if len(fl) == 0 {
				continue
			}
			if len(fl) != 3 || !strings.HasPrefix(fl[2], "h1:") {
				f.Close()
				return nil, fmt.Errorf("%s:%d: not a go.sum line", name, ln)
			}
			gomod := strings.HasSuffix(fl[1], "/go.mod")
			v := strings.TrimSuffix(fl[1], "/go.mod")
			key := fl[0] + "@" + v
			p := pairs[key]
			for dups && p != nil && p.zip != "" && p.mod != "" {
				key += "#"
				p = pairs[key]
			}
			if p == nil {
				p = &pair{}
				pairs[key] = p
				order = append(order, key)
			}
			line := sc.Text() + "\n"
			if gomod {
				p.mod = line
			} else {
				p.zip = line
			}
		}
		err = sc.Err()
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	s := &xmodOps{lookup: make(map[string]int64, len(order))}
	for _, key := range order {
		p := pairs[key]
		if p.zip == "" || p.mod == "" {
			return nil, fmt.Errorf("%s: needs both its h1 and its go.mod line", key)
		}
		rec := []byte(p.zip + p.mod)
		id := int64(len(s.records))
		hs, err := tlog.StoredHashesForRecordHash(id, tlog.RecordHash(rec), s)
		if err != nil {
			return nil, err
		}
		s.records = append(s.records, rec)
		if _, ok := s.lookup[strings.TrimRight(key, "#")]; !ok {
			s.lookup[strings.TrimRight(key, "#")] = id
		}
		s.hashes = append(s.hashes, hs...)
	}
	return s, nil
}

func xmodServe(args []string, in *bufio.Reader, out *bufio.Writer) error {
	fs := flag.NewFlagSet("xmod-serve", flag.ContinueOnError)
	keyFile := fs.String("key", "", "file holding the signer key")
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	extra := fs.String("extra-sig", "", "unknown or malformed: a second signature line")
	tiles := fs.String("tiles", "", "directory to write the full hash tiles to")
	sumForm := fs.Bool("sum-form", false, "keep repeated module versions as records; "+
		"serve data tiles in sum.golang.org's form (no id lines)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		return fmt.Errorf("usage: xmod-serve [-key FILE] [-listen ADDR] [-extra-sig KIND] GOSUM...")
	}
	var skey string
	if *keyFile == "" {
		var err error
		if skey, _, err = note.GenerateKey(nil, "xmod.example/ref"); err != nil {
			return err
		}
	} else {
		data, err := os.ReadFile(*keyFile)
		if err != nil {
			return err
		}
		skey = strings.TrimSpace(string(data))
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		return fmt.Errorf("signer key: %v", err)
	}
	vkey, err := xmodVerifierKey(skey)
	if err != nil {
		return err
	}
	s, err := xmodLoad(fs.Args(), *sumForm)
	if err != nil {
		return err
	}
	n := int64(len(s.records))
	root, err := tlog.TreeHash(n, s)
	if err != nil {
		return err
	}
	text := string(tlog.FormatTree(tlog.Tree{N: n, Hash: root}))
	if s.signed, err = note.Sign(&note.Note{Text: text}, signer); err != nil {
		return err
	}
	switch *extra {
	case "":
	case "unknown":
		k, _, err := note.GenerateKey(nil, "unknown.example/other")
		if err != nil {
			return err
		}
		other, err := note.NewSigner(k)
		if err != nil {
			return err
		}
		both, err := note.Sign(&note.Note{Text: text}, signer, other)
		if err != nil {
			return err
		}
		s.signed = both
	case "malformed":
		// 3 bytes of base64 payload: shorter than a key hash, which
		// x/mod's note.Open calls a malformed note.
		s.signed = append(s.signed, []byte("\u2014 unknown.example/other AAAA\n")...)
	default:
		return fmt.Errorf("-extra-sig: unknown or malformed, not %q", *extra)
	}
	if *tiles != "" {
		if err := xmodWriteTiles(s, *tiles, n); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "vkey %s\nsize %d root %s\nport %d\nlistening %s\n", vkey, n, root,
		ln.Addr().(*net.TCPAddr).Port, ln.Addr())
	if err := out.Flush(); err != nil {
		return err
	}
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	var h http.Handler = sumdb.NewServer(s)
	if *sumForm {
		h = sumFormTiles(s, h)
	}
	srv := &http.Server{Handler: h}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case <-stop:
		return srv.Close()
	case err := <-done:
		return err
	}
}

// xmodVerifierKey derives the verifier key of a signer key
// (PRIVATE+KEY+NAME+HASH+KEY: x/mod keeps the derivation private).
func xmodVerifierKey(skey string) (string, error) {
	f := strings.SplitN(skey, "+", 5)
	if len(f) != 5 || f[0] != "PRIVATE" || f[1] != "KEY" {
		return "", fmt.Errorf("signer key: not PRIVATE+KEY+NAME+HASH+KEY")
	}
	b, err := base64.StdEncoding.DecodeString(f[4])
	if err != nil || len(b) != 1+ed25519.SeedSize || b[0] != 1 {
		return "", fmt.Errorf("signer key: not an Ed25519 seed")
	}
	pub := ed25519.NewKeyFromSeed(b[1:]).Public().(ed25519.PublicKey)
	return note.NewEd25519VerifierKey(f[2], pub)
}

// xmodWriteTiles writes every full hash tile of the n-record tree under
// dir/tile/... and the list of their paths to dir/tile-paths.txt.
func xmodWriteTiles(s *xmodOps, dir string, n int64) error {
	list, err := os.Create(filepath.Join(dir, "tile-paths.txt"))
	if err != nil {
		return err
	}
	w := bufio.NewWriter(list)
	for L := 0; n>>(8*uint(L)) >= 256; L++ {
		for i := int64(0); i < (n>>(8*uint(L)))/256; i++ {
			t := tlog.Tile{H: 8, L: L, N: i, W: 256}
			data, err := tlog.ReadTileData(t, s)
			if err != nil {
				list.Close()
				return err
			}
			p := filepath.Join(dir, filepath.FromSlash(t.Path()))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				list.Close()
				return err
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				list.Close()
				return err
			}
			fmt.Fprintf(w, "/%s\n", t.Path())
		}
	}
	if err := w.Flush(); err != nil {
		list.Close()
		return err
	}
	return list.Close()
}

// sumFormTiles serves data tiles as sum.golang.org does (each record
// followed by a blank line, no id lines) and passes the rest to next.
func sumFormTiles(s *xmodOps, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.URL.Path, "/tile/") || !strings.Contains(r.URL.Path, "/data/") {
			next.ServeHTTP(w, r)
			return
		}
		t, err := tlog.ParseTilePath(r.URL.Path[strings.Index(r.URL.Path, "/tile/")+1:])
		if err != nil || t.L != -1 {
			http.Error(w, "bad tile path", http.StatusBadRequest)
			return
		}
		start := t.N << uint(t.H)
		if start+int64(t.W) > int64(len(s.records)) {
			http.Error(w, "not found", http.StatusNotFound)
			return
		}
		var data []byte
		for _, rec := range s.records[start : start+int64(t.W)] {
			data = append(append(data, rec...), '\n')
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write(data)
	})
}
