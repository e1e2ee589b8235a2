package main

// module-eval: module paths, versions and escapes through x/mod.
//
// Input, one case per line, fields separated by tabs, strings in hex:
//
//	path HEX        CheckPath, CheckImportPath, CheckFilePath, EscapePath,
//	                SplitPathVersion
//	ver HEX         semver IsValid, Canonical, Major, Prerelease, Build,
//	                IsPseudoVersion, EscapeVersion
//	check HEX HEX   module.Check(path, version): ok, path or version error
//	cmp HEX HEX     semver.Compare
//	unesc HEX       UnescapePath, UnescapeVersion
//	lookup HEX      the server's /lookup/ gate (modVerRE, then both
//	                unescapes), plus csumdb's refusal of NUL and "%00"
//	match HEX HEX   path.Match(pattern, name): 1, 0 or err
//	prefix HEX HEX  module.MatchPrefixPatterns(globs, target)
//
// Output: one line per case, tab-separated; tests/diff/diff_module.c
// writes the same format for csumdb, and tests/diff/module.sh compares.

import (
	"bufio"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"regexp"
	"strings"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
)

// As golang.org/x/mod/sumdb/server.go modVerRE.
var lookupRE = regexp.MustCompile(`^[^@]+@v[0-9]+\.[0-9]+\.[0-9]+(-[^@]*)?(\+incompatible)?$`)

func verdict(err error) string {
	if err != nil {
		return "err"
	}
	return "ok"
}

func strOrErr(s string, err error) string {
	if err != nil {
		return "err"
	}
	return "=" + hex.EncodeToString([]byte(s))
}

func hx(s string) string { return "=" + hex.EncodeToString([]byte(s)) }

func b2s(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func evalModuleCase(f []string) (string, error) {
	args := make([]string, len(f)-1)
	for i := range args {
		b, err := hex.DecodeString(f[i+1])
		if err != nil {
			return "", err
		}
		args[i] = string(b)
	}
	need := map[string]int{"path": 1, "ver": 1, "check": 2, "cmp": 2, "unesc": 1, "lookup": 1, "match": 2, "prefix": 2}
	if n, ok := need[f[0]]; !ok || n != len(args) {
		return "", fmt.Errorf("bad case %q", strings.Join(f, "\t"))
	}
	switch f[0] {
	case "path":
		p := args[0]
		pre, major, ok := module.SplitPathVersion(p)
		return strings.Join([]string{"path",
			verdict(module.CheckPath(p)),
			verdict(module.CheckImportPath(p)),
			verdict(module.CheckFilePath(p)),
			strOrErr(module.EscapePath(p)),
			hx(pre) + "," + hx(major) + "," + b2s(ok)}, "\t"), nil
	case "ver":
		v := args[0]
		return strings.Join([]string{"ver",
			b2s(semver.IsValid(v)),
			hx(semver.Canonical(v)),
			hx(semver.Major(v)),
			hx(semver.Prerelease(v)),
			hx(semver.Build(v)),
			b2s(module.IsPseudoVersion(v)),
			strOrErr(module.EscapeVersion(v))}, "\t"), nil
	case "check":
		err := module.Check(args[0], args[1])
		r := "ok"
		var pe *module.InvalidPathError
		if errors.As(err, &pe) {
			r = "path"
		} else if err != nil {
			r = "version"
		}
		return "check\t" + r, nil
	case "cmp":
		return fmt.Sprintf("cmp\t%d", semver.Compare(args[0], args[1])), nil
	case "unesc":
		return strings.Join([]string{"unesc",
			strOrErr(module.UnescapePath(args[0])),
			strOrErr(module.UnescapeVersion(args[0]))}, "\t"), nil
	case "lookup":
		s := args[0]
		if strings.Contains(s, "\x00") || strings.Contains(s, "%00") || !lookupRE.MatchString(s) {
			return "lookup\tsyntax", nil
		}
		i := strings.Index(s, "@")
		p, err := module.UnescapePath(s[:i])
		if err != nil {
			return "lookup\tpath", nil
		}
		v, err := module.UnescapeVersion(s[i+1:])
		if err != nil {
			return "lookup\tversion", nil
		}
		return "lookup\t" + hx(p) + "\t" + hx(v), nil
	case "match":
		m, err := path.Match(args[0], args[1])
		if err != nil {
			return "match\terr", nil
		}
		return "match\t" + b2s(m), nil
	case "prefix":
		return "prefix\t" + b2s(module.MatchPrefixPatterns(args[0], args[1])), nil
	}
	return "", nil
}

func init() {
	register("module-eval", "module paths/versions/escapes: tab-separated hex cases on stdin",
		func(args []string, in *bufio.Reader, out *bufio.Writer) error {
			sc := bufio.NewScanner(in)
			sc.Buffer(make([]byte, 1<<20), 1<<20)
			for sc.Scan() {
				line := sc.Text()
				if line == "" {
					continue
				}
				r, err := evalModuleCase(strings.Split(line, "\t"))
				if err != nil {
					return err
				}
				fmt.Fprintln(out, r)
			}
			return sc.Err()
		})
}
