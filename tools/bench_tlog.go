// Benchmark twin of tools/bench_tlog.c using x/mod's tlog (run by
// tools/bench-tlog): the same records, the same proof sequence.
//
//	bench_tlog_go RECORDS PROOFS
package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

type store []tlog.Hash

func (s *store) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = (*s)[x]
	}
	return out, nil
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: bench_tlog_go RECORDS PROOFS")
		os.Exit(1)
	}
	nrec, err1 := strconv.ParseInt(os.Args[1], 10, 64)
	nproof, err2 := strconv.ParseInt(os.Args[2], 10, 64)
	if err1 != nil || err2 != nil || nrec < 1 || nproof < 1 {
		fmt.Fprintln(os.Stderr, "bad arguments")
		os.Exit(1)
	}
	s := make(store, 0, tlog.StoredHashCount(nrec))
	t0 := time.Now()
	for i := int64(0); i < nrec; i++ {
		text := fmt.Sprintf("example.com/module/number%08d v1.2.3 h1:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=\n"+
			"example.com/module/number%08d v1.2.3/go.mod h1:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb=\n", i, i)
		hs, err := tlog.StoredHashes(i, []byte(text), &s)
		if err != nil {
			panic(err)
		}
		s = append(s, hs...)
	}
	d := time.Since(t0).Seconds()
	th, err := tlog.TreeHash(nrec, &s)
	if err != nil {
		panic(err)
	}
	fmt.Printf("root %x\nrecords_per_s %.0f\n", th[:], float64(nrec)/d)

	x := uint64(88172645463325252)
	t0 = time.Now()
	for i := int64(0); i < nproof; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		n := int64(x % uint64(nrec))
		p, err := tlog.ProveRecord(nrec, n, &s)
		if err != nil {
			panic(err)
		}
		if err := tlog.CheckRecord(p, nrec, th, n, s[tlog.StoredHashIndex(0, n)]); err != nil {
			panic(err)
		}
	}
	fmt.Printf("proofs_per_s %.0f\n", float64(nproof)/time.Since(t0).Seconds())
}
