// Oracle kinds for sumdbd's read side (tests/diff/sumdbd_tiles.sh): a
// running `sumdbd serve`, grown one record at a time, checked over HTTP at
// every size against what x/mod's tlog computes for the same records, and
// read by x/mod's own sumdb.Client.
//
//	sumdbd-gosum SEED N: prints go.sum lines (the h1: line, then the
//	/go.mod line) for N distinct module versions: plain paths, paths with
//	upper-case letters, /vN major versions, +incompatible versions and
//	pseudo-versions, with hashes drawn from SEED.
//
//	sumdbd-grow URL VKEY GOSUMFILE WIDTHS ADDCMD [ARGS...]: URL serves an
//	empty log signed by VKEY.  For each module version of GOSUMFILE in
//	turn it runs ADDCMD with that version's two lines on stdin (sumdbd
//	add, which returns once the record is committed and published), then,
//	at the new size N, checks:
//	  - /latest opens with VKEY and signs the tree x/mod computes;
//	  - the tiles tlog.NewTiles(8, 0, N) lists (every full tile and every
//	    width 1..W of the last tile, at every level) equal
//	    tlog.ReadTileData: all of them when WIDTHS is "all", else every
//	    full tile, the current width W of each last tile and about WIDTHS
//	    of its narrower widths, drawn at random (over the sizes every
//	    width is checked anyway, when it is the current one); also one
//	    narrower width of each full level-0 tile.  The data tile beside
//	    each level-0 tile is the sum.golang.org form (each record text
//	    followed by "\n");
//	  - the next width and the next tile of every level answer 404;
//	  - /lookup of the new record is exactly ID, record, blank line and
//	    the /latest note;
//	  - one sumdb.Client, kept across all sizes (its latest tree in
//	    memory, starting empty), looks the new record up and gets its
//	    lines, so every step is also a consistency proof from the tree it
//	    saw before.
//	At the end a fresh Client looks up every record.  Prints "ok SIZES
//	TILES LOOKUPS".
package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func init() {
	register("sumdbd-gosum", "SEED N: go.sum lines of N varied module versions", sumdbdGosum)
	register("sumdbd-grow", "URL VKEY GOSUMFILE WIDTHS ADDCMD...: grow a served log, check every size", sumdbdGrow)
}

func sumdbdGosum(args []string, in *bufio.Reader, out *bufio.Writer) error {
	if len(args) != 2 {
		return errors.New("want SEED N")
	}
	seed, err := strconv.ParseInt(args[0], 10, 64)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(args[1])
	if err != nil {
		return err
	}
	rnd := rand.New(rand.NewSource(seed))
	h1 := func() string {
		var b [32]byte
		rnd.Read(b[:])
		return "h1:" + base64.StdEncoding.EncodeToString(b[:])
	}
	for i := 0; i < n; i++ {
		var path, vers string
		switch i % 6 {
		case 0, 1:
			path, vers = fmt.Sprintf("example.com/m%d", i), fmt.Sprintf("v1.%d.%d", i%5, i)
		case 2:
			path, vers = fmt.Sprintf("github.com/Org%d/Upper_Case", i), "v0.1.0"
		case 3:
			path, vers = fmt.Sprintf("example.org/x%d/v3", i), fmt.Sprintf("v3.0.%d", i)
		case 4:
			path, vers = fmt.Sprintf("example.net/inc%d", i), "v2.0.1+incompatible"
		default:
			path = fmt.Sprintf("example.com/pseudo/p%d", i)
			vers = fmt.Sprintf("v0.0.0-20200101%06d-%012x", i, rnd.Int63()&0xffffffffffff)
		}
		if err := module.Check(path, vers); err != nil {
			return err
		}
		fmt.Fprintf(out, "%s %s %s\n%s %s/go.mod %s\n", path, vers, h1(), path, vers, h1())
	}
	return nil
}

// growRecord is one module version of the go.sum file and its record text.
type growRecord struct {
	path, vers string
	lines      []string // the two go.sum lines, without "\n"
	text       []byte   // the record: both lines, each ending in "\n"
}

func readGrowRecords(file string) ([]growRecord, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
	if len(lines)%2 != 0 {
		return nil, errors.New("go.sum: odd number of lines")
	}
	var recs []growRecord
	for i := 0; i < len(lines); i += 2 {
		a, b := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		if len(a) != 3 || len(b) != 3 || a[0] != b[0] || b[1] != a[1]+"/go.mod" {
			return nil, fmt.Errorf("go.sum line %d: want the h1: line, then the /go.mod line", i+1)
		}
		recs = append(recs, growRecord{a[0], a[1], lines[i : i+2],
			[]byte(lines[i] + "\n" + lines[i+1] + "\n")})
	}
	return recs, nil
}

// growOps is a sumdb.ClientOps over HTTP to sumdbd, with its config and
// cache in memory.
type growOps struct {
	get    func(path string) (int, []byte, error)
	vkey   string
	mu     sync.Mutex
	config map[string][]byte
	cache  map[string][]byte
	secerr []string
}

func newGrowOps(get func(string) (int, []byte, error), vkey string) *growOps {
	return &growOps{get: get, vkey: vkey, config: map[string][]byte{}, cache: map[string][]byte{}}
}

func (o *growOps) ReadRemote(path string) ([]byte, error) {
	code, body, err := o.get(path)
	if err != nil {
		return nil, err
	}
	if code != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %q", path, code, body)
	}
	return body, nil
}

func (o *growOps) ReadConfig(file string) ([]byte, error) {
	if file == "key" {
		return []byte(o.vkey), nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.config[file], nil // a missing latest is the empty tree
}

func (o *growOps) WriteConfig(file string, old, new []byte) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if !bytes.Equal(o.config[file], old) {
		return sumdb.ErrWriteConflict
	}
	o.config[file] = append([]byte(nil), new...)
	return nil
}

func (o *growOps) ReadCache(file string) ([]byte, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if d, ok := o.cache[file]; ok {
		return d, nil
	}
	return nil, os.ErrNotExist
}

func (o *growOps) WriteCache(file string, data []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.cache[file] = append([]byte(nil), data...)
}

func (o *growOps) Log(msg string) {}

func (o *growOps) SecurityError(msg string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.secerr = append(o.secerr, msg)
}

// growLookup looks r up with c and checks the lines it returns.
func growLookup(c *sumdb.Client, ops *growOps, r growRecord) error {
	for i, v := range []string{r.vers, r.vers + "/go.mod"} {
		got, err := c.Lookup(r.path, v)
		if len(ops.secerr) > 0 {
			return fmt.Errorf("sumdb.Client: security error: %s", strings.Join(ops.secerr, "; "))
		}
		if err != nil {
			return fmt.Errorf("sumdb.Client: %v", err)
		}
		if len(got) != 1 || got[0] != r.lines[i] {
			return fmt.Errorf("sumdb.Client lookup %s@%s: got %q, want %q", r.path, v, got, r.lines[i])
		}
	}
	return nil
}

func sumdbdGrow(args []string, in *bufio.Reader, out *bufio.Writer) error {
	if len(args) < 5 {
		return errors.New("want URL VKEY GOSUMFILE WIDTHS ADDCMD [ARGS...]")
	}
	widths := -1 // every width
	if args[3] != "all" {
		w, err := strconv.Atoi(args[3])
		if err != nil || w < 0 {
			return fmt.Errorf("WIDTHS: want all or a count, not %q", args[3])
		}
		widths = w
	}
	base, vkey := strings.TrimSuffix(args[0], "/"), args[1]
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		return err
	}
	recs, err := readGrowRecords(args[2])
	if err != nil {
		return err
	}
	addCmd := args[4:]

	hc := &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 8, DisableCompression: true},
	}
	get := func(path string) (int, []byte, error) {
		resp, err := hc.Get(base + path)
		if err != nil {
			return 0, nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp.StatusCode, body, err
	}

	var stored []tlog.Hash
	hr := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		h := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			if x < 0 || x >= int64(len(stored)) {
				return nil, fmt.Errorf("oracle: no stored hash %d", x)
			}
			h[i] = stored[x]
		}
		return h, nil
	})
	// dataTile is the sum.golang.org form of data tile t.
	dataTile := func(t tlog.Tile) []byte {
		var b bytes.Buffer
		for i := t.N << 8; i < t.N<<8+int64(t.W); i++ {
			b.Write(recs[i].text)
			b.WriteByte('\n')
		}
		return b.Bytes()
	}

	ops := newGrowOps(get, vkey)
	client := sumdb.NewClient(ops)
	rnd := rand.New(rand.NewSource(int64(len(recs))))
	var tiles int64
	lookups := 0
	var lastLatest []byte

	// checkTile fetches t (and its data tile when t is at level 0) and
	// compares with the oracle.
	checkTile := func(N int64, t tlog.Tile) error {
		want, err := tlog.ReadTileData(t, hr)
		if err != nil {
			return err
		}
		code, got, err := get("/" + t.Path())
		if err != nil {
			return err
		}
		if code != 200 || !bytes.Equal(got, want) {
			return fmt.Errorf("size %d: tile %s: status %d, %d bytes differ from x/mod's %d",
				N, t.Path(), code, len(got), len(want))
		}
		atomic.AddInt64(&tiles, 1)
		if t.L != 0 {
			return nil
		}
		dt := t
		dt.L = -1
		code, got, err = get("/" + dt.Path())
		if err != nil {
			return err
		}
		if want := dataTile(t); code != 200 || !bytes.Equal(got, want) {
			return fmt.Errorf("size %d: tile %s: status %d, got %q, want %q",
				N, dt.Path(), code, got, want)
		}
		atomic.AddInt64(&tiles, 1)
		return nil
	}
	want404 := func(N int64, t tlog.Tile) error {
		for _, l := range []int{t.L, -1} {
			if l == -1 && t.L != 0 {
				break
			}
			u := t
			u.L = l
			code, body, err := get("/" + u.Path())
			if err != nil {
				return err
			}
			if code != 404 {
				return fmt.Errorf("size %d: tile %s beyond the tree: status %d, body %q",
					N, u.Path(), code, body)
			}
			atomic.AddInt64(&tiles, 1)
		}
		return nil
	}

	for i, r := range recs {
		N := int64(i + 1)
		cmd := exec.Command(addCmd[0], addCmd[1:]...)
		cmd.Stdin = strings.NewReader(r.lines[0] + "\n" + r.lines[1] + "\n")
		if msg, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("size %d: %s: %v: %s", N, strings.Join(addCmd, " "), err, msg)
		}
		hs, err := tlog.StoredHashes(int64(i), r.text, hr)
		if err != nil {
			return err
		}
		stored = append(stored, hs...)
		th, err := tlog.TreeHash(N, hr)
		if err != nil {
			return err
		}

		// /latest
		code, latest, err := get("/latest")
		if err != nil {
			return err
		}
		if code != 200 {
			return fmt.Errorf("size %d: /latest: status %d", N, code)
		}
		n, err := note.Open(latest, note.VerifierList(verifier))
		if err != nil {
			return fmt.Errorf("size %d: /latest: %v", N, err)
		}
		tree, err := tlog.ParseTree([]byte(n.Text))
		if err != nil {
			return fmt.Errorf("size %d: /latest: %v", N, err)
		}
		if tree.N != N || tree.Hash != th {
			return fmt.Errorf("size %d: /latest signs tree %d %v, x/mod computes %v", N, tree.N, tree.Hash, th)
		}

		// every tile of the tree, and what lies just beyond it, fetched
		// by a few workers (the server has several threads)
		var jobs []func() error
		for _, t := range tlog.NewTiles(8, 0, N) {
			t := t
			if t.W != 256 && widths >= 0 {
				// a narrower width of the last tile: keep a sample
				cur := int((N >> (8 * t.L)) & 255)
				if t.W < cur && rnd.Intn(cur-1) >= widths {
					continue
				}
			}
			jobs = append(jobs, func() error { return checkTile(N, t) })
			if t.W == 256 && t.L == 0 {
				t.W = 1 + rnd.Intn(255)
				jobs = append(jobs, func() error { return checkTile(N, t) })
			}
		}
		for L := 0; N>>(8*L) > 0; L++ {
			w := N >> (8 * L)
			last := tlog.Tile{H: 8, L: L, N: w >> 8, W: int(w & 255)}
			if last.W > 0 && last.W < 255 {
				last.W++
				jobs = append(jobs, func() error { return want404(N, last) })
			}
			next := tlog.Tile{H: 8, L: L, N: w>>8 + 1, W: 1}
			jobs = append(jobs, func() error { return want404(N, next) })
		}
		if err := runJobs(jobs, 6); err != nil {
			return err
		}

		// /lookup of the new record, byte for byte
		epath, _ := module.EscapePath(r.path)
		evers, _ := module.EscapeVersion(r.vers)
		code, body, err := get("/lookup/" + epath + "@" + evers)
		if err != nil {
			return err
		}
		want := fmt.Sprintf("%d\n%s\n%s", i, r.text, latest)
		if code != 200 || string(body) != want {
			return fmt.Errorf("size %d: /lookup/%s@%s: status %d, got %q, want %q",
				N, epath, evers, code, body, want)
		}
		lookups++

		// x/mod's client, holding the tree of the previous size
		if err := growLookup(client, ops, r); err != nil {
			return fmt.Errorf("size %d: %v", N, err)
		}
		lookups += 2
		lastLatest = latest
	}

	// a fresh client verifies every record against the final tree
	ops2 := newGrowOps(get, vkey)
	client2 := sumdb.NewClient(ops2)
	for _, r := range recs {
		if err := growLookup(client2, ops2, r); err != nil {
			return fmt.Errorf("final size %d: %v", len(recs), err)
		}
		lookups += 2
	}
	if got := ops.config[verifier.Name()+"/latest"]; !bytes.Equal(got, lastLatest) {
		return fmt.Errorf("the client's latest tree is %q, the server's %q", got, lastLatest)
	}
	fmt.Fprintf(out, "ok %d %d %d\n", len(recs), tiles, lookups)
	return nil
}

// runJobs runs jobs on n goroutines and returns the first error.
func runJobs(jobs []func() error, n int) error {
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  int
	)
	for k := 0; k < n; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				mu.Lock()
				if next >= len(jobs) || first != nil {
					mu.Unlock()
					return
				}
				j := jobs[next]
				next++
				mu.Unlock()
				if err := j(); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return first
}
