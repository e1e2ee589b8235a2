package main

// modzip-go: what the go command makes of a module zip it downloads.
//
// Input, one case per line, tab-separated: ZIPFILE PATH VERSION.
// Output, one line per case: "h1:..." when the go command would take the
// zip, else "err<TAB>REASON" (the first check that failed).
//
// The checks are those of Go 1.19's cmd/go/internal/modfetch downloadZip
// and the Unzip that follows it: archive/zip must read the directory,
// every entry must be under PATH@VERSION/, dirhash.HashZip must read and
// hash every entry (archive/zip checks each entry's size, CRC-32 and data
// descriptor as it reads), and x/mod's checkZip (through CheckZip, as
// Unzip calls it) must accept the names and declared sizes.
//
// With the argument "unzip" each accepted zip is also extracted with
// x/mod's zip.Unzip into a fresh directory under $TMPDIR, as the go command
// does into its module cache, so that what the file system refuses shows
// too ("err<TAB>unzip: ...").

import (
	"archive/zip"
	"bufio"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/sumdb/dirhash"
	modzip "golang.org/x/mod/zip"
)

func goCommandZip(file, path, version string, unzip bool) (string, error) {
	f, err := os.Open(file)
	if err != nil {
		return "", err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return "", err
	}
	z, err := zip.NewReader(f, fi.Size())
	if err != nil {
		return "", fmt.Errorf("archive/zip: %v", err)
	}
	prefix := path + "@" + version + "/"
	for _, zf := range z.File {
		if !strings.HasPrefix(zf.Name, prefix) {
			return "", fmt.Errorf("unexpected file %q", zf.Name)
		}
	}
	h, err := dirhash.HashZip(file, dirhash.Hash1)
	if err != nil {
		return "", fmt.Errorf("HashZip: %v", err)
	}
	if _, err := modzip.CheckZip(module.Version{Path: path, Version: version}, file); err != nil {
		return "", fmt.Errorf("CheckZip: %v", err)
	}
	if unzip {
		dir, err := os.MkdirTemp("", "oracle-unzip")
		if err != nil {
			return "", err
		}
		err = modzip.Unzip(dir+"/m", module.Version{Path: path, Version: version}, file)
		os.RemoveAll(dir)
		if err != nil {
			return "", fmt.Errorf("unzip: %v", err)
		}
	}
	return h, nil
}

func init() {
	register("modzip-go", "[unzip]: the go command's verdict and h1 on ZIPFILE\\tPATH\\tVERSION lines", func(args []string, in *bufio.Reader, out *bufio.Writer) error {
		unzip := len(args) == 1 && args[0] == "unzip"
		if len(args) > 0 && !unzip {
			return fmt.Errorf("the only argument is \"unzip\"")
		}
		return eachZipCase(in, out, func(zip, path, version string) string {
			h, err := goCommandZip(zip, path, version, unzip)
			if err == nil {
				return h
			}
			// one line per case, whatever the message holds
			msg := strings.Map(func(r rune) rune {
				if r == '\n' || r == '\t' || r < ' ' {
					return ' '
				}
				return r
			}, err.Error())
			if len(msg) > 300 {
				msg = msg[:300] + "..."
			}
			return "err\t" + msg
		})
	})
}
