// The reference side of tools/bench-audit (a benchmark, not a test): the
// work of `sumdb audit --full`, written with golang.org/x/mod 0.7.0's tlog
// and note the way a Go program would: fetch and verify the signed tree,
// authenticate every level-0 tile root through tlog.TileHashReader (which
// downloads the hash tiles above level 0), download every data tile with
// WORKERS goroutines, check that each record is framed as sum.golang.org
// frames it (two go.sum lines, then a blank line), hash the records
// (tlog.RecordHash, tlog.NodeHash), compare every full tile's root with the
// authenticated one and the whole tree with the signed root.  Memory stays
// bounded: tiles are consumed in order through a window of 2*WORKERS.
// With -modcheck it also checks each record's module path and version with
// x/mod's module.Check, as sumdb audit --full does (it also indexes every
// module@version in its state file to find duplicates, which this program
// does not do at all).
//
//	bench_audit_ref [-workers N] [-modcheck] URL VKEY
//
// Prints "checked N records in S s (R records/s), root ok" and exits 0, or
// names what failed and exits 1 (2 for a mismatch).  Built in GOPATH mode
// against Debian's golang-golang-x-mod-dev by tools/bench-audit.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

var client = &http.Client{Timeout: time.Minute}

func die(code int, f string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, "bench_audit_ref: "+f+"\n", a...)
	os.Exit(code)
}

func get(url string) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		resp, err := client.Get(url)
		if err == nil {
			body, rerr := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
			resp.Body.Close()
			if rerr == nil && resp.StatusCode == 200 {
				return body, nil
			}
			err = fmt.Errorf("%s: HTTP %d %v", url, resp.StatusCode, rerr)
		}
		if attempt >= 3 {
			return nil, err
		}
		time.Sleep(time.Duration(attempt+1) * 100 * time.Millisecond)
	}
}

// tileReader fetches hash tiles for tlog.TileHashReader.
type tileReader struct{ base string }

func (r *tileReader) Height() int { return 8 }

func (r *tileReader) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		data, err := get(r.base + "/" + t.Path())
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (r *tileReader) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

// frontier folds complete subtrees, left to right, into the tree hash.
type frontier struct {
	hash []tlog.Hash
	size []int64
}

func (f *frontier) push(h tlog.Hash, n int64) {
	f.hash = append(f.hash, h)
	f.size = append(f.size, n)
	for k := len(f.size); k >= 2 && f.size[k-1] == f.size[k-2]; k = len(f.size) {
		f.hash[k-2] = tlog.NodeHash(f.hash[k-2], f.hash[k-1])
		f.size[k-2] *= 2
		f.hash, f.size = f.hash[:k-1], f.size[:k-1]
	}
}

func (f *frontier) root() tlog.Hash {
	if len(f.hash) == 0 {
		return tlog.Hash{}
	}
	h := f.hash[len(f.hash)-1]
	for i := len(f.hash) - 2; i >= 0; i-- {
		h = tlog.NodeHash(f.hash[i], h)
	}
	return h
}

var modcheck bool

// checkRecord: "M V h1:X\nM V/go.mod h1:Y\n".
func checkRecord(rec []byte) bool {
	i := bytes.IndexByte(rec, '\n')
	if i < 0 || i+1 >= len(rec) || rec[len(rec)-1] != '\n' {
		return false
	}
	l1, l2 := strings.Fields(string(rec[:i])), strings.Fields(string(rec[i+1:len(rec)-1]))
	ok := len(l1) == 3 && len(l2) == 3 && l1[0] == l2[0] && l2[1] == l1[1]+"/go.mod" &&
		strings.HasPrefix(l1[2], "h1:") && strings.HasPrefix(l2[2], "h1:") &&
		bytes.Count(rec, []byte("\n")) == 2
	return ok && (!modcheck || module.Check(l1[0], l1[1]) == nil)
}

type result struct {
	leaves []tlog.Hash
	err    error
}

// dataTile fetches data tile n of width w and hashes its records.
func dataTile(base string, n int64, w int) result {
	t := tlog.Tile{H: 8, L: -1, N: n, W: w}
	body, err := get(base + "/" + t.Path())
	if err != nil {
		return result{err: err}
	}
	leaves := make([]tlog.Hash, 0, w)
	for len(body) > 0 {
		end := bytes.Index(body, []byte("\n\n"))
		if end < 0 {
			return result{err: fmt.Errorf("%s: record %d not followed by a blank line", t.Path(), len(leaves))}
		}
		rec := body[:end+1]
		if !checkRecord(rec) {
			return result{err: fmt.Errorf("%s: record %d is not a go.sum record", t.Path(), len(leaves))}
		}
		leaves = append(leaves, tlog.RecordHash(rec))
		body = body[end+2:]
	}
	if len(leaves) != w {
		return result{err: fmt.Errorf("%s: %d records, want %d", t.Path(), len(leaves), w)}
	}
	return result{leaves: leaves}
}

func subtreeRoot(h []tlog.Hash) tlog.Hash {
	for len(h) > 1 {
		next := h[:0:0]
		for i := 0; i+1 < len(h); i += 2 {
			next = append(next, tlog.NodeHash(h[i], h[i+1]))
		}
		h = next
	}
	return h[0]
}

func main() {
	workers := flag.Int("workers", 4, "parallel data tile downloads")
	flag.BoolVar(&modcheck, "modcheck", false, "also module.Check every record")
	flag.Parse()
	if flag.NArg() != 2 {
		die(1, "usage: bench_audit_ref [-workers N] [-modcheck] URL VKEY")
	}
	base, vkey := strings.TrimSuffix(flag.Arg(0), "/"), flag.Arg(1)
	client.Transport = &http.Transport{MaxIdleConnsPerHost: *workers + 2}
	start := time.Now()

	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		die(1, "%v", err)
	}
	msg, err := get(base + "/latest")
	if err != nil {
		die(1, "%v", err)
	}
	n, err := note.Open(msg, note.VerifierList(verifier))
	if err != nil {
		die(2, "/latest: %v", err)
	}
	tree, err := tlog.ParseTree([]byte(n.Text))
	if err != nil {
		die(2, "/latest: %v", err)
	}
	thr := tlog.TileHashReader(tree, &tileReader{base})
	full, ntiles := tree.N/256, (tree.N+255)/256

	// Data tiles in order through a window of 2*workers.
	jobs := make(chan int64)
	window := 2 * *workers
	slots := make([]chan result, window)
	for i := range slots {
		slots[i] = make(chan result, 1)
	}
	var wg sync.WaitGroup
	for i := 0; i < *workers; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range jobs {
				w := 256
				if k == full {
					w = int(tree.N % 256)
				}
				slots[k%int64(window)] <- dataTile(base, k, w)
			}
		}()
	}
	var sem = make(chan struct{}, window)
	go func() {
		for k := int64(0); k < ntiles; k++ {
			sem <- struct{}{}
			jobs <- k
		}
		close(jobs)
	}()

	var f frontier
	var want []tlog.Hash
	for k := int64(0); k < ntiles; k++ {
		// The authenticated level-0 tile roots, 256 at a time.
		if k < full && k%256 == 0 {
			var idx []int64
			for j := k; j < full && j < k+256; j++ {
				idx = append(idx, tlog.StoredHashIndex(8, j))
			}
			if want, err = thr.ReadHashes(idx); err != nil {
				die(2, "level-0 tile roots: %v", err)
			}
		}
		r := <-slots[k%int64(window)]
		<-sem
		if r.err != nil {
			die(1, "%v", r.err)
		}
		if k < full {
			root := subtreeRoot(r.leaves)
			if root != want[k%256] {
				die(2, "data tile %d does not hash to the authenticated tile root", k)
			}
			f.push(root, 256)
		} else {
			for _, h := range r.leaves {
				f.push(h, 1)
			}
		}
	}
	wg.Wait()
	if f.root() != tree.Hash {
		die(2, "the %d records do not hash to the signed root", tree.N)
	}
	el := time.Since(start).Seconds()
	fmt.Printf("checked %d records in %.2f s (%.0f records/s), root ok\n", tree.N, el, float64(tree.N)/el)
}
