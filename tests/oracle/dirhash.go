package main

// dirhash-zip: module zip checks and h1: hashes through x/mod.
//
// Input, one case per line, tab-separated: ZIPFILE PATH VERSION.
// Output, one line per case: "h1:..." (zip.CheckZip accepts the zip and
// dirhash.HashZip hashes it, as the go command does on download) or "err".
//
// dirhash-gomod FILE...: one line per file, the go.mod h1 of its bytes
// (dirhash.Hash1 over one file named go.mod, as modfetch does).
//
// dirhash-create ZIPFILE PATH VERSION N: writes a module zip of go.mod and
// N small files with x/mod's zip.Create (archive/zip's Writer, as the go
// command makes zips: data descriptors, and a zip64 end record from 65535
// entries on).

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"
)

func init() {
	register("dirhash-zip", "CheckZip + HashZip of ZIPFILE\\tPATH\\tVERSION lines", func(args []string, in *bufio.Reader, out *bufio.Writer) error {
		return eachZipCase(in, out, func(zip, path, version string) string {
			if _, err := modzip.CheckZip(module.Version{Path: path, Version: version}, zip); err != nil {
				return "err"
			}
			h, err := dirhash.HashZip(zip, dirhash.Hash1)
			if err != nil {
				return "err"
			}
			return h
		})
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
	register("dirhash-create", "ZIPFILE PATH VERSION N: a module zip made by zip.Create", func(args []string, in *bufio.Reader, out *bufio.Writer) error {
		if len(args) != 4 {
			return fmt.Errorf("want ZIPFILE PATH VERSION N")
		}
		n, err := strconv.Atoi(args[3])
		if err != nil {
			return err
		}
		files := []modzip.File{memFile{"go.mod", "module " + args[1] + "\n"}}
		for i := 0; i < n; i++ {
			files = append(files, memFile{fmt.Sprintf("d%d/f%d.txt", i%100, i), fmt.Sprintf("file %d\n", i)})
		}
		f, err := os.Create(args[0])
		if err != nil {
			return err
		}
		if err := modzip.Create(f, module.Version{Path: args[1], Version: args[2]}, files); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	})
}

// eachZipCase reads ZIPFILE\tPATH\tVERSION lines from in and writes the
// line answer gives for each to out.
func eachZipCase(in *bufio.Reader, out *bufio.Writer, answer func(zip, path, version string) string) error {
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
			return fmt.Errorf("want ZIPFILE\\tPATH\\tVERSION, got %q", line)
		}
		out.WriteString(answer(f[0], f[1], f[2]) + "\n")
	}
}

// memFile is a modzip.File held in memory.
type memFile struct{ name, data string }

func (m memFile) Path() string                 { return m.name }
func (m memFile) Lstat() (os.FileInfo, error)  { return m, nil }
func (m memFile) Open() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(m.data)), nil }
func (m memFile) Name() string                 { return m.name }
func (m memFile) Size() int64                  { return int64(len(m.data)) }
func (m memFile) Mode() os.FileMode            { return 0o644 }
func (m memFile) ModTime() time.Time           { return time.Time{} }
func (m memFile) IsDir() bool                  { return false }
func (m memFile) Sys() interface{}             { return nil }
