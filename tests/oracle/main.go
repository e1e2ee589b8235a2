// Command oracle runs golang.org/x/mod (the reference implementation of the
// checksum database) on inputs for csumdb's differential tests.
//
//	oracle KIND [ARGS...]
//
// Each KIND is registered by one file of this package (tlog.go, note.go,
// module.go) and reads or writes line-oriented text on stdin/stdout; the
// format of each is described beside its registration.  Built in GOPATH
// mode against Debian's golang-golang-x-mod-dev; see Makefile.am.
package main

import (
	"bufio"
	"fmt"
	"os"
	"sort"
)

type command struct {
	help string
	run  func(args []string, in *bufio.Reader, out *bufio.Writer) error
}

var commands = map[string]command{}

func register(name, help string, run func([]string, *bufio.Reader, *bufio.Writer) error) {
	if _, dup := commands[name]; dup {
		panic("oracle: duplicate command " + name)
	}
	commands[name] = command{help, run}
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: oracle KIND [ARGS...]\nkinds:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "  %-20s %s\n", n, commands[n].help)
	}
	os.Exit(1)
}

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	c, ok := commands[os.Args[1]]
	if !ok {
		usage()
	}
	in := bufio.NewReaderSize(os.Stdin, 1<<20)
	out := bufio.NewWriterSize(os.Stdout, 1<<20)
	err := c.run(os.Args[2:], in, out)
	if ferr := out.Flush(); err == nil {
		err = ferr
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "oracle %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
