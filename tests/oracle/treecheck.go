// Oracle kind for the crash tests (tests/e2e/crash.sh, tools/crash-loop):
// are the signed trees clients saw during a run all prefixes of the log's
// final tree?  Checked with x/mod alone, over HTTP, as a client would.
//
//	treecheck URL VKEY < NOTEFILES
//
// Fetches URL/latest, opens it with VKEY, and for each file named on
// standard input (one path per line, each holding one signed tree note a
// client received) opens the note with VKEY and checks a consistency proof
// (tlog.ProveTree over the server's tiles, authenticated by
// tlog.TileHashReader against the final tree; tlog.CheckTree).  Prints
// "ok N FILE" per note and a last line "checked K notes against tree N";
// fails on the first note that is not consistent, does not verify, or is
// larger than the final tree (a rollback).
package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func init() {
	register("treecheck", "URL VKEY < NOTEFILES: each saved signed tree is a prefix of URL's latest tree", treeCheck)
}

type httpTiles struct{ base string }

func httpGet(url string) ([]byte, error) {
	resp, err := http.Get(url)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return data, nil
}

func (t httpTiles) Height() int { return 8 }

func (t httpTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, tile := range tiles {
		data, err := httpGet(t.base + "/" + tile.Path())
		if err != nil {
			return nil, err
		}
		out[i] = data
	}
	return out, nil
}

func (t httpTiles) SaveTiles(tiles []tlog.Tile, data [][]byte) {}

func openTree(data []byte, v note.Verifiers) (tlog.Tree, error) {
	n, err := note.Open(data, v)
	if err != nil {
		return tlog.Tree{}, err
	}
	return tlog.ParseTree([]byte(n.Text))
}

func treeCheck(args []string, in *bufio.Reader, out *bufio.Writer) error {
	if len(args) != 2 {
		return fmt.Errorf("usage: treecheck URL VKEY < NOTEFILES")
	}
	base := strings.TrimRight(args[0], "/")
	v, err := note.NewVerifier(args[1])
	if err != nil {
		return err
	}
	vs := note.VerifierList(v)
	latest, err := httpGet(base + "/latest")
	if err != nil {
		return err
	}
	final, err := openTree(latest, vs)
	if err != nil {
		return fmt.Errorf("final tree: %v", err)
	}
	thr := tlog.TileHashReader(final, httpTiles{base})
	count := 0
	for {
		line, err := in.ReadString('\n')
		file := strings.TrimSpace(line)
		if file != "" {
			data, rerr := os.ReadFile(file)
			if rerr != nil {
				return rerr
			}
			t, oerr := openTree(data, vs)
			if oerr != nil {
				return fmt.Errorf("%s: %v", file, oerr)
			}
			if t.N > final.N {
				return fmt.Errorf("%s: tree %d is larger than the final tree %d (rolled back)", file, t.N, final.N)
			}
			if t.N == final.N {
				if t.Hash != final.Hash {
					return fmt.Errorf("%s: two different trees of size %d", file, t.N)
				}
			} else if t.N == 0 {
				if empty, _ := tlog.TreeHash(0, nil); t.Hash != empty {
					return fmt.Errorf("%s: tree 0 with a hash that is not the empty tree's", file)
				}
			} else {
				p, perr := tlog.ProveTree(final.N, t.N, thr)
				if perr != nil {
					return fmt.Errorf("%s: proving tree %d in %d: %v", file, t.N, final.N, perr)
				}
				if cerr := tlog.CheckTree(p, final.N, final.Hash, t.N, t.Hash); cerr != nil {
					return fmt.Errorf("%s: tree %d is not a prefix of tree %d: %v", file, t.N, final.N, cerr)
				}
			}
			count++
			fmt.Fprintf(out, "ok %d %s\n", t.N, file)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	fmt.Fprintf(out, "checked %d notes against tree %d\n", count, final.N)
	return nil
}
