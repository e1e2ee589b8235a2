#!/bin/sh
# The documentation against the programs: every command line README.md
# and the man pages show (synopses, examples) names a command that exists
# and only options that command's --help lists; every option a man page
# names is one of its program's, and every option of every command's
# --help is in its man page; the man pages render without warnings.
. "$top_srcdir/tests/e2e/lib.sh"

# doc_lines FILE: the command lines of FILE, one per line: README's
# indented blocks, a man page's SYNOPSIS (one command per .br) and
# EXAMPLES, with roff escapes and line continuations undone.
doc_lines() {
	python3 - "$1" <<'PY'
import re, sys
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
out = []
if path.endswith(".md"):
    block = [l[4:] for l in text.split("\n") if l.startswith("    ")]
    out = "\n".join(block).replace("\\\n", " ").split("\n")
else:
    text = re.sub(r"\\f[BIRP]", "", text.replace("\\-", "-").replace("\\e", "\\"))
    syn = re.search(r"^\.SH SYNOPSIS\n(.*?)^\.SH ", text, re.S | re.M).group(1)
    for cmd in syn.split(".br\n"):
        words = []
        for l in cmd.split("\n"):
            l = re.sub(r"^\.[A-Z]+ ?", "", l)
            words.append(l.replace('"', ""))
        out.append(" ".join(words))
    ex = re.search(r"^\.SH EXAMPLES\n(.*?)^\.SH ", text, re.S | re.M).group(1)
    out += ex.replace("\\\n", " ").replace("|\n", "| ").split("\n")
for l in out:
    # a pipeline's commands each on its own; a "|" between alternatives
    # ([--key KEYFILE | --key-out KEYFILE]) stays in its command
    cmds = []
    for part in l.split("|"):
        m = re.search(r"\b(sumdbd?) ([a-z-]+)(.*)", part)
        if m:
            cmds.append([m.group(1), m.group(2), m.group(3)])
        elif cmds:
            cmds[-1][2] += " " + part
    for prog, cmd, rest in cmds:
        opts = sorted(set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*[a-z0-9]", rest)))
        print(prog, cmd, " ".join(opts))
PY
}

# help_opts PROG [CMD]: the long options PROG [CMD] --help names.
help_opts() {
	"$top_builddir/$1" ${2:+"$2"} --help | grep -oE -- '--[a-z][a-z0-9-]*[a-z0-9]' | sort -u
}

# man_opts FILE: the long options a man page names.
man_opts() {
	sed 's/\\-/-/g' "$1" | grep -oE -- '--[a-z][a-z0-9-]*[a-z0-9]' | sort -u
}

SUMDBD_CMDS="init keygen add fsck serve status"
SUMDB_CMDS="audit lookup prove verify-proof check verify-note evidence"

for doc in README.md doc/sumdbd.8 doc/sumdb.1; do
	doc_lines "$top_srcdir/$doc" >"$WORK/lines" || echo "FAIL: reading $doc"
	expect 0 '^yes$' "$doc shows command lines" -- ok_if test -s "$WORK/lines"
	while read -r prog cmd opts; do
		expect 0 "^usage: $prog $cmd" "$doc: $prog $cmd is a command" -- "$top_builddir/$prog" "$cmd" --help
		help_opts "$prog" "$cmd" >"$WORK/cmd.opts"
		for o in $opts; do
			expect 0 "^$o\$" "$doc: $prog $cmd takes $o" -- grep -x -- "$o" "$WORK/cmd.opts"
		done
	done <"$WORK/lines"
done

# man page <-> --help, both ways, for the whole program
for p in "sumdbd doc/sumdbd.8 $SUMDBD_CMDS" "sumdb doc/sumdb.1 $SUMDB_CMDS"; do
	set -- $p
	prog=$1 page=$2
	shift 2
	{ help_opts "$prog"; for c in "$@"; do help_opts "$prog" "$c"; done; } | sort -u >"$WORK/help.opts"
	man_opts "$top_srcdir/$page" >"$WORK/man.opts"
	# "--public-..." in the text names a family, not an option ("--upstream-..."
	# reads as --upstream, which is one)
	expect 0 '^none$' "every option $page names is one of $prog's" -- \
		sh -c "grep -vx -e --public '$WORK/man.opts' | comm -23 - '$WORK/help.opts' | grep . || echo none"
	expect 0 '^none$' "every option of $prog's --help is in $page" -- \
		sh -c "comm -13 '$WORK/man.opts' '$WORK/help.opts' | grep . || echo none"
done

if command -v man >/dev/null 2>&1 && man --help 2>&1 | grep -q -- --warnings; then
	for page in doc/sumdbd.8 doc/sumdb.1; do
		expect 0 '^none$' "$page renders without warnings" -- \
			sh -c "MANWIDTH=80 man --warnings -l '$top_srcdir/$page' 2>&1 >/dev/null | grep . || echo none"
	done
else
	echo "skip: no man with --warnings to render the man pages"
fi
e2e_done
