package main

// dirhash-zip: module zip checks and h1: hashes through x/mod.
//
// Input, one case per line, tab-separated: ZIPFILE PATH VERSION.
// Output, one line per case: "h1:..." (zip.CheckZip accepts the zip and
// dirhash.HashZip hashes it, as the go command does on download) or "err".
//
// dirhash-gomod FILE...: one line per file, the go.mod h1 of its bytes
// (dirhash.Hash1 over one file named go.mod, as modfetch does).

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"
)

func init() {
	register("dirhash-zip", "CheckZip + HashZip of ZIPFILE\\tPATH\\tVERSION lines", func(args []string, in *bufio.Reader, out *bufio.Writer) error {
		for {
			line, err := in.ReadString('\n')
			if line == "" && err != nil {
				if err == io.EOF {
					return nil
				}
				return err
			}
			f := strings.Split(strings.TrimSuffix(line, "\n"), "\t")
			if len(f) != 3 {
				out.WriteString("err\n")
				continue
			}
			if _, err := modzip.CheckZip(module.Version{Path: f[1], Version: f[2]}, f[0]); err != nil {
				out.WriteString("err\n")
				continue
			}
			h, err := dirhash.HashZip(f[0], dirhash.Hash1)
			if err != nil {
				out.WriteString("err\n")
				continue
			}
			out.WriteString(h + "\n")
		}
	})
	register("dirhash-gomod", "go.mod h1 of each FILE argument", func(args []string, in *bufio.Reader, out *bufio.Writer) error {
		for _, a := range args {
			data, err := os.ReadFile(a)
			if err != nil {
				return err
			}
			h, err := dirhash.Hash1([]string{"go.mod"}, func(string) (io.ReadCloser, error) {
				return io.NopCloser(bytes.NewReader(data)), nil
			})
			if err != nil {
				return err
			}
			out.WriteString(h + "\n")
		}
		return nil
	})
}
