#!/bin/sh
# The documentation against the programs: every command line README.md
# and the man pages show (synopses, examples) names a command that exists
# and only options that command's --help lists; every option a man page
# names is one of its program's, and every option of every command's
# --help is in its man page; the man pages render without warnings.
# For sumdbd also: each command's getopt table and its --help list the
# same options; serve's --help and sumdbd.8 give the same defaults; the
# nginx site and the unit agree with serve's defaults; the paths of the
# deployment documents are the unit's; the setup they have
# root run needs nothing a Debian system may lack; what a usage line
# shows as required is required; sumdbd.8 as rendered names every
# option whole.
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

# The commands: those each program's --help lists (so a new one is
# checked here without a word to this file).
# prog_cmds PROG: the commands PROG --help lists, one per line.
prog_cmds() {
	"$top_builddir/$1" --help | sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\)  .*/\1/p'
}
SUMDBD_CMDS=$(prog_cmds sumdbd | tr '\n' ' ')
SUMDB_CMDS=$(prog_cmds sumdb | tr '\n' ' ')
expect 0 '^yes$' "sumdbd --help lists commands ($SUMDBD_CMDS)" -- ok_if test -n "$SUMDBD_CMDS"
expect 0 '^yes$' "sumdb --help lists commands ($SUMDB_CMDS)" -- ok_if test -n "$SUMDB_CMDS"
# sumdbd.8 describes each under COMMANDS and shows it in the SYNOPSIS,
# and no other.
prog_cmds sumdbd | sort -u >"$WORK/cmds"
sed -n '/^\.SH COMMANDS$/,/^\.SH /{/^\.TP$/{n;s/^\.B \([a-z][a-z-]*\)$/\1/p}}' \
	"$top_srcdir/doc/sumdbd.8" | sort -u >"$WORK/man.cmds"
expect 0 '^none$' "sumdbd.8's COMMANDS are sumdbd's" -- \
	sh -c "diff '$WORK/cmds' '$WORK/man.cmds' | grep '^[<>]' || echo none"
sed -n '/^\.SH SYNOPSIS$/,/^\.SH /s/^\.B sumdbd \([a-z][a-z-]*\)$/\1/p' \
	"$top_srcdir/doc/sumdbd.8" | sort -u >"$WORK/man.cmds"
expect 0 '^none$' "sumdbd.8's SYNOPSIS shows sumdbd's commands" -- \
	sh -c "diff '$WORK/cmds' '$WORK/man.cmds' | grep '^[<>]' || echo none"

for doc in README.md doc/sumdbd.8 doc/sumdb.1; do
	doc_lines "$top_srcdir/$doc" >"$WORK/lines" || fail "reading $doc"
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

# Each command's parser against its --help: the long options of the
# command's getopt table (src/sumdbd/cmd_CMD.c, serve.c for serve) are
# the options its --help lists (one a line, indented), so none is
# accepted unsaid.
# parser_opts FILE: the long options of FILE's getopt table.
parser_opts() {
	python3 - "$1" <<'PY'
import re, sys
src = open(sys.argv[1], encoding="utf-8").read()
table = re.search(r"struct option opts\[\] = \{(.*?)\n\t*\};", src, re.S).group(1)
for name in re.findall(r'\{ "([a-z0-9-]+)",', table):
    print("--" + name)
PY
}
for cmd in $SUMDBD_CMDS; do
	src=$top_srcdir/src/sumdbd/cmd_$cmd.c
	[ "$cmd" = serve ] && src=$top_srcdir/src/sumdbd/serve.c
	parser_opts "$src" | sort -u >"$WORK/parser.opts"
	"$top_builddir/sumdbd" "$cmd" --help | sed -n 's/^ \{1,\}\(--[a-z][a-z0-9-]*\).*/\1/p' |
		sort -u >"$WORK/cmd.opts"
	expect 0 '^yes$' "sumdbd $cmd: its getopt table has options" -- ok_if test -s "$WORK/parser.opts"
	expect 0 '^none$' "sumdbd $cmd: every option its parser takes is in its --help" -- \
		sh -c "comm -23 '$WORK/parser.opts' '$WORK/cmd.opts' | grep . || echo none"
	expect 0 '^none$' "sumdbd $cmd: every option its --help lists is one its parser takes" -- \
		sh -c "comm -13 '$WORK/parser.opts' '$WORK/cmd.opts' | grep . || echo none"
done

# The defaults serve's --help and sumdbd.8's SERVE OPTIONS give each
# option (a number, an address or a URL) are the same.
# serve_defaults FILE: "OPTION DEFAULT" for each option FILE (serve's
# --help, or the man page) gives a default of that kind.
serve_defaults() {
	python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
val = r"\(default:? ([0-9]([0-9.:]*[0-9])?|https?://[^ ;,)]*[a-z])"
if text.startswith(".TH"):
    text = re.sub(r"\\f[BIRP]", "", text.replace("\\-", "-"))
    sec = re.search(r"^\.SH SERVE OPTIONS\n(.*?)^\.SH ", text, re.S | re.M).group(1)
    for blk in re.split(r"^\.TP\n", sec, flags=re.M)[1:]:
        first, _, body = blk.partition("\n")
        m = re.match(r"\.BI? (--[a-z0-9-]+)", first)
        body = re.split(r"^\.PP", body, flags=re.M)[0]
        d = re.search(val, re.sub(r"\s+", " ", body))
        if m and d:
            print(m.group(1), d.group(1))
else:
    opts = re.split(r"\n  (?=--[a-z])", text)
    for o in opts[1:]:
        name = o.split()[0]
        d = re.search(val, re.sub(r"\s+", " ", o.split("\n\n")[0]))
        if d:
            print(name, d.group(1))
PY
}
"$top_builddir/sumdbd" serve --help >"$WORK/serve.help"
serve_defaults "$WORK/serve.help" | sort >"$WORK/help.defaults"
serve_defaults "$top_srcdir/doc/sumdbd.8" | sort >"$WORK/man.defaults"
expect 0 '^yes$' "serve's --help gives defaults" -- ok_if test -s "$WORK/help.defaults"
expect 0 '^none$' "serve's defaults: --help and sumdbd.8 say the same" -- \
	sh -c "diff '$WORK/help.defaults' '$WORK/man.defaults' | grep '^[<>]' || echo none"

# The ranges of serve's numeric options: every option whose argument is
# a number (N, SECS) gives its range in --help ("1..3600"), sumdbd.8
# gives the same ("1 to 3600"), and serve refuses a value just past
# either end with a message that names the option and that range: the
# documents cannot drift from the parser.
# serve_ranges FILE: "OPTION LOW HIGH" for each numeric option FILE
# (serve's --help, or the man page) gives a range, "OPTION -" for one it
# gives none.
serve_ranges() {
	python3 - "$1" <<'PY'
import re, sys
text = open(sys.argv[1], encoding="utf-8").read()
if text.startswith(".TH"):
    text = re.sub(r"\\f[BIRP]", "", text.replace("\\-", "-"))
    sec = re.search(r"^\.SH SERVE OPTIONS\n(.*?)^\.SH ", text, re.S | re.M).group(1)
    blocks = []
    for blk in re.split(r"^\.TP\n", sec, flags=re.M)[1:]:
        first, _, body = blk.partition("\n")
        m = re.match(r'\.BI (--[a-z0-9-]+) " ?(N|SECS)"', first)
        if m:
            body = re.split(r"^\.PP", body, flags=re.M)[0]
            blocks.append((m.group(1), re.sub(r"\s+", " ", body), r"\b([0-9]+) to ([0-9]+)\b"))
else:
    blocks = []
    for o in re.split(r"\n  (?=--[a-z])", text)[1:]:
        w = o.split()
        if len(w) > 1 and w[1] in ("N", "SECS"):
            blocks.append((w[0], re.sub(r"\s+", " ", o.split("\n\n")[0]), r"\b([0-9]+)\.\.([0-9]+)\b"))
for name, body, pat in blocks:
    r = re.search(pat, body)
    print(name, *(r.groups() if r else ["-"]))
PY
}
serve_ranges "$WORK/serve.help" | sort >"$WORK/help.ranges"
serve_ranges "$top_srcdir/doc/sumdbd.8" | sort >"$WORK/man.ranges"
expect 0 '^yes$' "serve's --help has numeric options" -- ok_if test -s "$WORK/help.ranges"
expect 0 '^none$' "serve's --help gives the range of every numeric option" -- \
	sh -c "grep ' -\$' '$WORK/help.ranges' || echo none"
expect 0 '^none$' "serve's ranges: --help and sumdbd.8 say the same" -- \
	sh -c "diff '$WORK/help.ranges' '$WORK/man.ranges' | grep '^[<>]' || echo none"
while read -r opt lo hi; do
	[ "$lo" = - ] && continue
	for v in $((lo - 1)) $((hi + 1)); do
		expect 1 "^sumdbd serve: $opt wants $lo\.\.$hi\$" \
			"serve $opt $v: refused, naming the option and its range" -- \
			"$top_builddir/sumdbd" serve --db "$WORK/none.db" "$opt" "$v"
	done
done <"$WORK/help.ranges"

# contrib/ against serve's defaults (its --help): the defaults the files
# quote ("--idle-timeout (15 s)"); nginx lets go of a kept-alive
# connection before --idle-timeout ends it, waits for a lookup longer
# than one --upstream-timeout attempt, and limits each client as
# --max-conns-per-ip does; the unit raises --max-conns-per-ip to
# --max-conns.
# dflt OPTION: serve's default for OPTION, from its --help.
dflt() { sed -n "s/^$1 //p" "$WORK/help.defaults"; }
SITE="$top_srcdir/contrib/nginx-sumdbd.conf"
UNIT="$top_srcdir/contrib/sumdbd.service"
for f in "$SITE" "$UNIT"; do
	grep -oE -- '--[a-z][a-z0-9-]* \([0-9]+( s)?\)' "$f" | tr -d '()' | sed 's/ s$//' |
		sort -u >"$WORK/quoted"
	while read -r opt n; do
		expect 0 "^$n\$" "${f##*/} quotes serve's $opt default ($n)" -- dflt "$opt"
	done <"$WORK/quoted"
done
# nginx_s DIRECTIVE: the seconds of DIRECTIVE in the site file
nginx_s() { sed -n "s/^[[:space:]]*$1 \\([0-9]*\\)s;/\\1/p" "$SITE"; }
expect 0 '^yes$' "nginx keepalive_timeout ($(nginx_s keepalive_timeout) s) < serve's --idle-timeout" -- \
	ok_if test "$(nginx_s keepalive_timeout)" -lt "$(dflt --idle-timeout)"
expect 0 '^yes$' "nginx proxy_read_timeout ($(nginx_s proxy_read_timeout) s) > serve's --upstream-timeout" -- \
	ok_if test "$(nginx_s proxy_read_timeout)" -gt "$(dflt --upstream-timeout)"
expect 0 "^$(dflt --max-conns-per-ip)\$" "nginx limit_conn is serve's --max-conns-per-ip default" -- \
	sed -n 's/^[[:space:]]*limit_conn sumdbd_perip \([0-9]*\);/\1/p' "$SITE"
expect 0 "^$(dflt --max-conns)\$" "the unit raises --max-conns-per-ip to --max-conns' default" -- \
	sed -n 's/^ExecStart=.* --max-conns-per-ip \([0-9]*\).*/\1/p' "$UNIT"

# The deployment the documents describe is the unit's: every path under
# /var/lib that README.md, sumdbd.8 and the unit's own comments name is in
# the unit's StateDirectory=, and every --db there is its ExecStart's (an
# operator following sumdbd.8's examples after contrib/sumdbd.service
# must reach the database the service serves).
STATE_DIR=/var/lib/$(sed -n 's/^StateDirectory=//p' "$UNIT")
UNIT_DB=$(sed -n 's/^ExecStart=.* --db \([^ ]*\).*/\1/p' "$UNIT")
expect 0 "^$STATE_DIR/" "the unit serves a database in its StateDirectory= ($STATE_DIR)" -- \
	echo "$UNIT_DB"
for doc in README.md doc/sumdbd.8 contrib/sumdbd.service; do
	sed 's/\\-/-/g' "$top_srcdir/$doc" | grep -oE '/var/lib[^ `;,)]*' | sort -u >"$WORK/paths"
	expect 0 '^none$' "$doc: every path under /var/lib is in $STATE_DIR" -- \
		sh -c "grep -vx -e '$STATE_DIR' -e '$STATE_DIR/.*' '$WORK/paths' || echo none"
	sed 's/\\-/-/g' "$top_srcdir/$doc" | grep -oE -- '--db /var/lib[^ `;,)]*' | sort -u >"$WORK/dbs"
	expect 0 '^none$' "$doc: every --db under /var/lib is the unit's ($UNIT_DB)" -- \
		sh -c "grep -vx -e '--db $UNIT_DB' '$WORK/dbs' || echo none"
done

# The setup the deployment documents have root run (README.md's
# Deploying block, the unit's comments) works on a fresh Debian 12
# system: each program it runs, but csumdb's own, comes from a package of
# priority required or important, which every Debian system has (sudo,
# say, is optional: runuser does what sudo -u does, for root).
# setup_programs FILE...: those programs, one per line.
setup_programs() {
	python3 - "$@" <<'PY'
import re, sys
for path in sys.argv[1:]:
    lines = open(path, encoding="utf-8").read().split("\n")
    if path.endswith(".md"):
        i = lines.index("## Deploying")
        end = next(j for j in range(i + 1, len(lines)) if lines[j].startswith("## "))
        cmds = [l[4:] for l in lines[i:end] if l.startswith("    ")]
    else:
        cmds = [l[4:] for l in lines if re.match(r"^#   [a-z]", l)]
    for c in cmds:
        for part in c.split("#")[0].split("&&"):
            w = part.split()
            while w and w[0] in ("sudo", "runuser"):
                # sudo -u USER PROG, runuser -u USER -- PROG: both
                print(w[0])
                w = w[w.index("--") + 1:] if "--" in w else w[3:]
            if w and w[0] not in ("sumdbd", "sumdb"):
                print(w[0])
PY
}
if command -v dpkg-query >/dev/null 2>&1; then
	setup_programs "$top_srcdir/README.md" "$top_srcdir/contrib/sumdbd.service" | sort -u >"$WORK/setup"
	expect 0 '^yes$' "the deployment documents show setup commands" -- ok_if test -s "$WORK/setup"
	# sudo is optional, and often not installed where this runs: by name.
	expect 0 '^none$' "the setup does not need sudo" -- sh -c "grep -x sudo '$WORK/setup' || echo none"
	while read -r prog; do
		pkg=$(dpkg -S "bin/$prog" 2>/dev/null | sed -n "s|^\([^:,]*\): .*bin/$prog\$|\1|p" | head -n1)
		if [ -z "$pkg" ]; then
			# a minimal system (a CI chroot) lacks even important ones
			echo "skip: $prog is not installed here: its package's priority is not known"
			continue
		fi
		prio=$(dpkg-query -W -f '${Priority}' "$pkg")
		expect 0 '^(required|important)( |$)' "the setup's $prog is on every Debian system" -- \
			echo "$prio (package $pkg)"
	done <"$WORK/setup"
else
	echo "skip: no dpkg to tell which packages the setup's programs come from"
fi

# What a usage line shows as required is required.  Each form of a
# sumdbd command that its --help usage and the man page's SYNOPSIS show,
# with one option that is outside brackets left out (and every other
# option of the form given), must be refused, naming that option: unless
# what is left is another form.  The command's parser is the other
# source: a usage that calls an option required when the command runs
# without it (init --key takes its name from the key) fails here.
# usage_drops PROG CMD HELP-FILE MAN-FILE: the command lines to try, one
# per line: the option left out, then the arguments, each option's value
# a placeholder: KEY (a key file for NAME), NAME, COUNT, ADDR, or NEW (a
# path to make).
usage_drops() {
	python3 - "$@" <<'PY'
import re, sys
prog, cmd, helpf, manf = sys.argv[1:5]

def forms(text):
    """(required, optional) option lists, each option (name, has-value),
    of every form "PROG CMD ..." in text."""
    out = []
    for f in re.split(r"(?=\b%s [a-z-]+ )" % prog, text):
        m = re.match(r"%s %s (.*)" % (prog, re.escape(cmd)), f, re.S)
        if not m:
            continue
        toks = re.sub(r"([\[\]|])", r" \1 ", m.group(1)).split()
        req, opt, depth, skip = [], [], 0, None
        for i, t in enumerate(toks):
            if t == "[":
                depth += 1
            elif t == "]":
                depth -= 1
                if skip is not None and depth < skip:
                    skip = None
            elif t == "|" and depth > 0 and skip is None:
                skip = depth   # the first alternative only
            elif t.startswith("--") and skip is None:
                nxt = toks[i + 1] if i + 1 < len(toks) else "]"
                o = (t, None if re.match(r"[\[\]|-]", nxt) else nxt)
                (opt if depth else req).append(o)
        out.append((req, opt))
    return out

help_text = open(helpf).read().split("\n\n")[0].replace("usage:", "")
man = open(manf, encoding="utf-8").read()
man = re.sub(r"\\f[BIRP]", "", man.replace("\\-", "-"))
syn = re.search(r"^\.SH SYNOPSIS\n(.*?)^\.SH ", man, re.S | re.M).group(1)
syn = " ".join(re.sub(r"^\.[A-Z]+ ?", "", l).replace('"', "") for l in syn.split("\n"))
for src in (help_text, syn.replace(".br", "\n")):
    fs = forms(src)
    for req, opt in fs:
        for drop in req:
            rest = [o for o in req + opt if o != drop]
            names = set(o[0] for o in rest)
            if any(set(o[0] for o in r) <= names <= set(o[0] for o in r + p) for r, p in fs):
                continue
            args = []
            for name, val in rest:
                args.append(name)
                if val:
                    args.append({"--key": "KEY", "--name": "NAME"}.get(name) or
                                {"N": "COUNT", "ADDR": "ADDR", "HOST": "ADDR"}.get(val, "NEW"))
            print(drop[0], " ".join(args))
PY
}
R="$WORK/required"
mkdir -p "$R"
(umask 077 && "$top_builddir/sumdbd" keygen localhost.localdev/sumdb >"$R/key")
run=0
for cmd in $SUMDBD_CMDS; do
	"$top_builddir/sumdbd" "$cmd" --help >"$R/help" 2>&1
	usage_drops sumdbd "$cmd" "$R/help" "$top_srcdir/doc/sumdbd.8" | sort -u >"$R/drops"
	while read -r drop args; do
		run=$((run + 1))
		mkdir -p "$R/$run"
		set --
		for a in $args; do
			case $a in
			KEY) a=$R/key ;;
			NAME) a=localhost.localdev/sumdb ;;
			COUNT) a=1 ;;
			ADDR) a=127.0.0.1:0 ;;
			NEW) a=$R/$run/new$# ;;
			esac
			set -- "$@" "$a"
		done
		expect 1 "^sumdbd $cmd: .*$drop( |\$)" \
			"sumdbd $cmd without $drop, which its usage requires, is refused ($*)" -- \
			timeout 20 "$top_builddir/sumdbd" "$cmd" "$@" </dev/null
	done <"$R/drops"
done
expect 0 '^yes$' "usage lines with required options were tried" -- ok_if test "$run" -gt 0

if command -v man >/dev/null 2>&1 && man --help 2>&1 | grep -q -- --warnings; then
	for page in doc/sumdbd.8 doc/sumdb.1; do
		expect 0 '^none$' "$page renders without warnings" -- \
			sh -c "MANWIDTH=80 man --warnings -l '$top_srcdir/$page' 2>&1 >/dev/null | grep . || echo none"
	done
	# What the reader sees names the options whole: an option hyphenated
	# at a line's end ("--skip-go-" "mod-only") cannot be searched for
	# in the pager nor copied.  The options of each page as rendered, at
	# several widths, must all be its program's.
	for p in "sumdbd doc/sumdbd.8 $SUMDBD_CMDS" "sumdb doc/sumdb.1 $SUMDB_CMDS"; do
		set -- $p
		prog=$1 page=$2
		shift 2
		{ help_opts "$prog"; for c in "$@"; do help_opts "$prog" "$c"; done; } |
			sort -u >"$WORK/help.opts"
		for w in 60 80 120; do
			MANWIDTH=$w man -l "$top_srcdir/$page" 2>/dev/null |
				grep -oE -- '--[a-z][a-z0-9-]*[a-z0-9]' | sort -u >"$WORK/shown.opts"
			expect 0 '^none$' "$page rendered $w columns wide names every option whole" -- \
				sh -c "grep -vx -e --public '$WORK/shown.opts' | comm -23 - '$WORK/help.opts' | grep . || echo none"
		done
	done
else
	echo "skip: no man with --warnings to render the man pages"
fi
e2e_done
