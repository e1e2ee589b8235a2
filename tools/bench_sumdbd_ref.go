// The reference side of tools/bench-sumdbd (a benchmark, not a test): a
// checksum database served by x/mod's sumdb.Server over in-memory storage,
// as x/mod's own sumdb/test.go TestServer (and servers built on it, such as
// pseudomuto/sumdb and xgosumdb) do it, plus the helpers the script needs.
// Built in GOPATH mode against Debian's golang-golang-x-mod-dev.
//
//	bench_sumdbd_ref gen N DIR FILES      write N synthetic records as FILES
//	                                      go.sum files DIR/gosum-K.txt
//	bench_sumdbd_ref freeport             print a free loopback port
//	bench_sumdbd_ref serve ADDR TILEDIR GOSUM...
//	                                      load the records in input order
//	                                      (the order sumdbd add gives them
//	                                      ids), write every full hash tile
//	                                      under TILEDIR/tile/... with their
//	                                      paths in TILEDIR/tile-paths.txt
//	                                      (TILEDIR "-" writes none), print
//	                                      "size N root HASH" and
//	                                      "listening ADDR", then serve.
//
// Unlike TestServer, the signed tree is signed once at start: signing per
// request would measure Ed25519, not the server.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"math/rand"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type hashes []tlog.Hash

func (h hashes) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	list := make([]tlog.Hash, 0, len(indexes))
	for _, id := range indexes {
		list = append(list, h[id])
	}
	return list, nil
}

// ops implements sumdb.ServerOps over records that never change while
// serving, so no lock is needed.
type ops struct {
	signed  []byte
	records [][]byte
	lookup  map[string]int64
	hashes  hashes
}

func (s *ops) Signed(ctx context.Context) ([]byte, error) { return s.signed, nil }

func (s *ops) ReadRecords(ctx context.Context, id, n int64) ([][]byte, error) {
	if id < 0 || n < 0 || id+n > int64(len(s.records)) {
		return nil, fmt.Errorf("missing records")
	}
	return s.records[id : id+n], nil
}

func (s *ops) Lookup(ctx context.Context, m module.Version) (int64, error) {
	id, ok := s.lookup[m.String()]
	if !ok {
		return 0, fmt.Errorf("%s not found", m.String())
	}
	return id, nil
}

func (s *ops) ReadTileData(ctx context.Context, t tlog.Tile) ([]byte, error) {
	return tlog.ReadTileData(t, s.hashes)
}

func die(f string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "bench_sumdbd_ref: "+f+"\n", a...)
	os.Exit(1)
}

func gen(n, files int, dir string) {
	rng := rand.New(rand.NewSource(1))
	per := (n + files - 1) / files
	var h [32]byte
	i := 0
	for k := 0; k < files; k++ {
		f, err := os.Create(filepath.Join(dir, fmt.Sprintf("gosum-%d.txt", k)))
		if err != nil {
			die("%v", err)
		}
		w := bufio.NewWriterSize(f, 1<<20)
		for j := 0; j < per && i < n; j, i = j+1, i+1 {
			rng.Read(h[:])
			fmt.Fprintf(w, "example.com/m%06d v1.0.0 h1:%s\n", i, base64.StdEncoding.EncodeToString(h[:]))
			rng.Read(h[:])
			fmt.Fprintf(w, "example.com/m%06d v1.0.0/go.mod h1:%s\n", i, base64.StdEncoding.EncodeToString(h[:]))
		}
		if err := w.Flush(); err != nil {
			die("%v", err)
		}
		if err := f.Close(); err != nil {
			die("%v", err)
		}
	}
}

// load reads go.sum files whose two lines of each version are adjacent,
// as gen writes them, into records in input order.
func load(files []string) *ops {
	s := &ops{lookup: make(map[string]int64)}
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			die("%v", err)
		}
		lines := bytes.SplitAfter(data, []byte("\n"))
		for i := 0; i+1 < len(lines); i += 2 {
			f := strings.Fields(string(lines[i]))
			if len(f) != 3 || !bytes.HasPrefix(lines[i+1], []byte(f[0]+" "+f[1]+"/go.mod ")) {
				die("%s: unexpected line %q", name, lines[i])
			}
			rec := append(append([]byte{}, lines[i]...), lines[i+1]...)
			id := int64(len(s.records))
			s.records = append(s.records, rec)
			s.lookup[f[0]+"@"+f[1]] = id
			hs, err := tlog.StoredHashesForRecordHash(id, tlog.RecordHash(rec), s.hashes)
			if err != nil {
				die("%v", err)
			}
			s.hashes = append(s.hashes, hs...)
		}
	}
	return s
}

func writeTiles(s *ops, dir string, n int64) {
	list, err := os.Create(filepath.Join(dir, "tile-paths.txt"))
	if err != nil {
		die("%v", err)
	}
	w := bufio.NewWriter(list)
	for L := 0; ; L++ {
		count := n >> (8 * uint(L))
		if count < 256 {
			break
		}
		for i := int64(0); i < count/256; i++ {
			t := tlog.Tile{H: 8, L: L, N: i, W: 256}
			data, err := tlog.ReadTileData(t, s.hashes)
			if err != nil {
				die("%v", err)
			}
			p := filepath.Join(dir, filepath.FromSlash(t.Path()))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				die("%v", err)
			}
			if err := os.WriteFile(p, data, 0o644); err != nil {
				die("%v", err)
			}
			fmt.Fprintf(w, "/%s\n", t.Path())
		}
	}
	if err := w.Flush(); err != nil {
		die("%v", err)
	}
	list.Close()
}

func serve(addr, tileDir string, files []string) {
	s := load(files)
	n := int64(len(s.records))
	root, err := tlog.TreeHash(n, s.hashes)
	if err != nil {
		die("%v", err)
	}
	skey, _, err := note.GenerateKey(nil, "bench.example/ref")
	if err != nil {
		die("%v", err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		die("%v", err)
	}
	s.signed, err = note.Sign(&note.Note{Text: string(tlog.FormatTree(tlog.Tree{N: n, Hash: root}))}, signer)
	if err != nil {
		die("%v", err)
	}
	if tileDir != "-" {
		writeTiles(s, tileDir, n)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		die("%v", err)
	}
	fmt.Printf("size %d root %s\nlistening %s\n", n, root, ln.Addr())
	os.Stdout.Sync()
	die("%v", http.Serve(ln, sumdb.NewServer(s)))
}

func main() {
	if len(os.Args) >= 5 && os.Args[1] == "gen" {
		n, err1 := strconv.Atoi(os.Args[2])
		files, err2 := strconv.Atoi(os.Args[4])
		if err1 != nil || err2 != nil || n < 1 || files < 1 || n > 1000000 {
			die("gen N (1..1000000) DIR FILES")
		}
		gen(n, files, os.Args[3])
		return
	}
	if len(os.Args) == 2 && os.Args[1] == "freeport" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			die("%v", err)
		}
		fmt.Println(ln.Addr().(*net.TCPAddr).Port)
		ln.Close()
		return
	}
	if len(os.Args) >= 5 && os.Args[1] == "serve" {
		serve(os.Args[2], os.Args[3], os.Args[4:])
		return
	}
	die("usage: gen N DIR FILES | freeport | serve ADDR TILEDIR GOSUM...")
}
