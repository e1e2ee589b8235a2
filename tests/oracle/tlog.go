// Oracle kinds for the tlog and tile modules (tests/diff/tlog.sh).
//
// Both sides build the same log: record i (0-based) of a run with seed S
// has the text "record S i\n".  Lines are tab-separated, hashes in hex,
// lists comma-separated ("-" when empty).  Each line starts with its kind:
//
//	tree     N ROOT                  tree hash of the first N records
//	index    LEVEL N INDEX           StoredHashIndex(LEVEL, N) = INDEX
//	count    N COUNT                 StoredHashCount(N)
//	rproof   T N ROOT LEAF PROOF     ProveRecord(T, N) on the log
//	tproof   T N ROOT OLDROOT PROOF  ProveTree(T, N) on the log
//	path     H L N W PATH            Tile{H, L, N, W}.Path()
//	tiledata H L N W DATA            ReadTileData of that tile of the log
//	newtiles H OLD NEW PATHS         NewTiles(H, OLD, NEW)
//	tileread H T INDEXES HASHES      TileHashReader(tree T, honest tiles)
//	pathacc  PATH OK H L N W         (from C) C's verdict on a tile path
//
// gen-tlog SEED CASES writes every kind but pathacc; check-tlog SEED CASES
// reads C's lines (rproof, tproof, path, pathacc, tree) and checks them.
package main

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

func init() {
	register("gen-tlog", "SEED CASES: x/mod tlog/tile results for tests/diff/diff_tlog check", genTlog)
	register("check-tlog", "SEED CASES: check tlog lines from tests/diff/diff_tlog gen", checkTlog)
}

// tlogLog is the shared log of one run: its stored hashes.
type tlogLog struct {
	stored []tlog.Hash
	n      int64
}

func newTlogLog(seed int64, n int64) (*tlogLog, error) {
	l := &tlogLog{}
	for i := int64(0); i < n; i++ {
		hs, err := tlog.StoredHashes(i, []byte(fmt.Sprintf("record %d %d\n", seed, i)), l)
		if err != nil {
			return nil, err
		}
		l.stored = append(l.stored, hs...)
	}
	l.n = n
	return l, nil
}

func (l *tlogLog) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(l.stored)) {
			return nil, fmt.Errorf("index %d not stored", x)
		}
		out[i] = l.stored[x]
	}
	return out, nil
}

func (l *tlogLog) root(n int64) tlog.Hash {
	h, err := tlog.TreeHash(n, l)
	if err != nil {
		panic(err)
	}
	return h
}

func (l *tlogLog) leaf(n int64) tlog.Hash {
	return l.stored[tlog.StoredHashIndex(0, n)]
}

// tlogHonestTiles serves tiles of the log for a tree of size n.
type tlogHonestTiles struct {
	l *tlogLog
	h int
}

func (t *tlogHonestTiles) Height() int { return t.h }
func (t *tlogHonestTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, tile := range tiles {
		d, err := tlog.ReadTileData(tile, t.l)
		if err != nil {
			return nil, err
		}
		out[i] = d
	}
	return out, nil
}
func (t *tlogHonestTiles) SaveTiles([]tlog.Tile, [][]byte) {}

func tlogHexList(hs []tlog.Hash) string {
	if len(hs) == 0 {
		return "-"
	}
	s := make([]string, len(hs))
	for i, h := range hs {
		s[i] = hex.EncodeToString(h[:])
	}
	return strings.Join(s, ",")
}

func tlogParseHexList(s string) ([]tlog.Hash, error) {
	if s == "-" {
		return nil, nil
	}
	var out []tlog.Hash
	for _, f := range strings.Split(s, ",") {
		b, err := hex.DecodeString(f)
		if err != nil || len(b) != tlog.HashSize {
			return nil, fmt.Errorf("bad hash %q", f)
		}
		var h tlog.Hash
		copy(h[:], b)
		out = append(out, h)
	}
	return out, nil
}

func tlogHex(h tlog.Hash) string { return hex.EncodeToString(h[:]) }

func tlogSeedCases(args []string) (int64, int, error) {
	if len(args) != 2 {
		return 0, 0, fmt.Errorf("want SEED CASES")
	}
	seed, err1 := strconv.ParseInt(args[0], 10, 64)
	cases, err2 := strconv.Atoi(args[1])
	if err1 != nil || err2 != nil || cases < 2 {
		return 0, 0, fmt.Errorf("bad SEED or CASES")
	}
	return seed, cases, nil
}

// randTile returns a tile within csumdb's range (every hash it lists
// exists in some tree below 2^62 records) with n below 2^40.
func tlogRandTile(r *rand.Rand) tlog.Tile {
	h := 1 + r.Intn(30)
	maxL := 62 / h
	l := -1 + r.Intn(maxL+2)
	level := 0
	if l > 0 {
		level = h * l
	}
	avail := 62 - level
	var n int64
	w := 1 + r.Intn(1<<uint(h))
	if h > avail {
		w = 1 + r.Intn(1<<uint(avail))
	} else {
		bits := avail - h
		if bits > 40 {
			bits = 40
		}
		n = r.Int63n(int64(1) << uint(bits))
		if r.Intn(4) == 0 && bits >= 10 {
			n = r.Int63n(1000) // short paths too
		}
	}
	if r.Intn(3) == 0 && h <= avail {
		w = 1 << uint(h)
	}
	return tlog.Tile{H: h, L: l, N: n, W: w}
}

func genTlog(args []string, in *bufio.Reader, out *bufio.Writer) error {
	seed, cases, err := tlogSeedCases(args)
	if err != nil {
		return err
	}
	r := rand.New(rand.NewSource(seed))
	M := int64(cases)
	lg, err := newTlogLog(seed, M)
	if err != nil {
		return err
	}
	for n := int64(1); n <= M; n++ {
		fmt.Fprintf(out, "tree\t%d\t%s\n", n, tlogHex(lg.root(n)))
	}
	for i := 0; i < cases; i++ {
		level := r.Intn(41)
		n := r.Int63n(int64(1) << uint(40-level+1))
		fmt.Fprintf(out, "index\t%d\t%d\t%d\n", level, n, tlog.StoredHashIndex(level, n))
		c := r.Int63n(int64(1) << 40)
		if i < 100 {
			c = int64(i)
		}
		fmt.Fprintf(out, "count\t%d\t%d\n", c, tlog.StoredHashCount(c))
	}
	for i := 0; i < cases; i++ {
		t := 1 + r.Int63n(M)
		n := r.Int63n(t)
		p, err := tlog.ProveRecord(t, n, lg)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "rproof\t%d\t%d\t%s\t%s\t%s\n", t, n, tlogHex(lg.root(t)), tlogHex(lg.leaf(n)), tlogHexList(p))
		n = 1 + r.Int63n(t)
		tp, err := tlog.ProveTree(t, n, lg)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "tproof\t%d\t%d\t%s\t%s\t%s\n", t, n, tlogHex(lg.root(t)), tlogHex(lg.root(n)), tlogHexList(tp))
	}
	for i := 0; i < cases; i++ {
		tile := tlogRandTile(r)
		fmt.Fprintf(out, "path\t%d\t%d\t%d\t%d\t%s\n", tile.H, tile.L, tile.N, tile.W, tile.Path())
	}
	for i := 0; i < cases; i++ {
		// A random existing hash tile of the log (height 1..8).
		h := 1 + r.Intn(8)
		var tile tlog.Tile
		for {
			x := r.Int63n(tlog.StoredHashCount(M))
			tile = tlog.TileForIndex(h, x)
			if tile.L*h > 0 && r.Intn(2) == 0 {
				continue // favour level 0, where most tiles are
			}
			break
		}
		d, err := tlog.ReadTileData(tile, lg)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "tiledata\t%d\t%d\t%d\t%d\t%s\n", tile.H, tile.L, tile.N, tile.W, hex.EncodeToString(d))
	}
	for i := 0; i < cases; i++ {
		h := 3 + r.Intn(6)
		nw := r.Int63n(M + 1)
		old := nw - r.Int63n(nw+1)
		if nw-old > 600 {
			old = nw - r.Int63n(600)
		}
		ts := tlog.NewTiles(h, old, nw)
		ps := make([]string, len(ts))
		for j, t := range ts {
			ps[j] = t.Path()
		}
		pl := strings.Join(ps, ",")
		if pl == "" {
			pl = "-"
		}
		fmt.Fprintf(out, "newtiles\t%d\t%d\t%d\t%s\n", h, old, nw, pl)
	}
	for i := 0; i < cases; i++ {
		h := 1 + r.Intn(8)
		t := 1 + r.Int63n(M)
		k := 1 + r.Intn(4)
		idx := make([]int64, k)
		strs := make([]string, k)
		for j := range idx {
			idx[j] = r.Int63n(tlog.StoredHashCount(t))
			strs[j] = strconv.FormatInt(idx[j], 10)
		}
		thr := tlog.TileHashReader(tlog.Tree{N: t, Hash: lg.root(t)}, &tlogHonestTiles{lg, h})
		hs, err := thr.ReadHashes(idx)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "tileread\t%d\t%d\t%s\t%s\n", h, t, strings.Join(strs, ","), tlogHexList(hs))
	}
	return nil
}

func checkTlog(args []string, in *bufio.Reader, out *bufio.Writer) error {
	seed, cases, err := tlogSeedCases(args)
	if err != nil {
		return err
	}
	lg, err := newTlogLog(seed, int64(cases))
	if err != nil {
		return err
	}
	bad := 0
	fail := func(line string, f string, a ...interface{}) {
		bad++
		if bad <= 20 {
			fmt.Fprintf(out, "MISMATCH %s: %s\n", fmt.Sprintf(f, a...), line)
		}
	}
	seen := map[string]int{}
	for {
		line, err := in.ReadString('\n')
		if err == io.EOF && line == "" {
			break
		}
		if err != nil && err != io.EOF {
			return err
		}
		line = strings.TrimSuffix(line, "\n")
		f := strings.Split(line, "\t")
		seen[f[0]]++
		num := func(i int) int64 {
			v, err := strconv.ParseInt(f[i], 10, 64)
			if err != nil {
				fail(line, "bad number %q", f[i])
			}
			return v
		}
		switch f[0] {
		case "tree":
			n := num(1)
			if tlogHex(lg.root(n)) != f[2] {
				fail(line, "tree hash")
			}
		case "rproof", "tproof":
			t, n := num(1), num(2)
			if tlogHex(lg.root(t)) != f[3] {
				fail(line, "root")
				continue
			}
			p, err := tlogParseHexList(f[5])
			if err != nil {
				fail(line, "%v", err)
				continue
			}
			if f[0] == "rproof" {
				if tlogHex(lg.leaf(n)) != f[4] {
					fail(line, "leaf")
				} else if err := tlog.CheckRecord(p, t, lg.root(t), n, lg.leaf(n)); err != nil {
					fail(line, "CheckRecord: %v", err)
				}
			} else {
				if tlogHex(lg.root(n)) != f[4] {
					fail(line, "old root")
				} else if err := tlog.CheckTree(p, t, lg.root(t), n, lg.root(n)); err != nil {
					fail(line, "CheckTree: %v", err)
				}
			}
		case "path":
			h, l, n, w := num(1), num(2), num(3), num(4)
			want := tlog.Tile{H: int(h), L: int(l), N: n, W: int(w)}
			if want.Path() != f[5] {
				fail(line, "Path() = %s", want.Path())
			}
			got, err := tlog.ParseTilePath(f[5])
			if err != nil || got != want {
				fail(line, "ParseTilePath = %+v, %v", got, err)
			}
		case "pathacc":
			// Everything C accepts, x/mod accepts and formats identically.
			p, err := strconv.Unquote(f[1])
			if err != nil {
				fail(line, "bad quoting")
				continue
			}
			if f[2] != "1" {
				continue
			}
			got, err := tlog.ParseTilePath(p)
			want := tlog.Tile{H: int(num(3)), L: int(num(4)), N: num(5), W: int(num(6))}
			if err != nil || got != want || got.Path() != p {
				fail(line, "x/mod: %+v, %v", got, err)
			}
		default:
			fail(line, "unknown kind")
		}
	}
	for _, k := range []string{"tree", "rproof", "tproof", "path", "pathacc"} {
		if seen[k] < cases {
			fail("", "only %d %s lines", seen[k], k)
		}
	}
	if bad > 0 {
		return fmt.Errorf("%d mismatches", bad)
	}
	fmt.Fprintf(out, "check-tlog: ok (%d tree, %d rproof, %d tproof, %d path, %d pathacc)\n",
		seen["tree"], seen["rproof"], seen["tproof"], seen["path"], seen["pathacc"])
	return nil
}
