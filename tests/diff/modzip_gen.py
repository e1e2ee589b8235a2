#!/usr/bin/env python3
"""Random module zips for the differential test of module zip handling
(tests/diff/modzip.sh): csumdb's checks and h1 against the go command's.

  modzip_gen.py gen OUTDIR SEED COUNT [big]
      writes COUNT zips OUTDIR/N.zip and OUTDIR/cases, one line per zip:
      "N.zip<TAB>PATH<TAB>VERSION<TAB>FEATURES" (FEATURES: the comma-
      separated names of what the zip was made with).  "big" adds the
      expensive cases: 65535 and 65536 entries, 500 MiB of content.
  modzip_gen.py regress OUTDIR
      writes the named cases (regress_cases: zips that once split csumdb
      from the go command, and a few that never did) the same way
  modzip_gen.py compare CASES GO CSUMDB
      reads the cases and both answer files ("h1:..." or "err<TAB>why" per
      line), prints the agreement table per feature and every
      disagreement; exits 1 when there is one that is not a deliberate
      refusal of csumdb's (listed in DELIBERATE).

Each zip is written byte by byte here, so that every field is under the
test's control: a random module tree (nested folders, empty files, names
with Unicode letters and allowed punctuation, vendor/, LICENSE, directory
entries) and then a few random changes, each named by a feature: names
the go command refuses (module.CheckFilePath, case-fold collisions,
nested or misnamed go.mod, entries outside PATH@VERSION/, duplicates),
sizes at and past x/mod's limits, and encodings (stored and deflated
entries, data descriptors, zip64 fields and end records, extra fields,
file modes, CRC and size lies, entry order).
"""
import os
import random
import struct
import sys
import zlib

MODULES = [
    ("example.com/m", "v1.0.0"),
    ("example.com/Upper/Case", "v1.2.3"),
    ("example.com/incompat", "v2.0.0+incompatible"),
    ("example.com/pseudo", "v0.0.0-20200101000000-abcdefabcdef"),
    ("example.com/pre", "v1.0.1-rc.1"),
    ("example.com/mod/v2", "v2.1.0"),
    ("gopkg.in/yaml.v3", "v3.0.1"),
    ("corp.example.com/team/svc~x", "v0.3.0"),
]

# What csumdb refuses by design although the go command takes it: zips
# that zip readers read differently (PROTOCOL.md, src/lib/modzip.c).
DELIBERATE = {
    "archive_comment": "an archive comment",
    "prefix_junk": "bytes before the first local header",
    "crc_zero_data": "CRC 0 on an entry with data",
    "symlink": "a symlink entry",
    # archive/zip takes bytes between the directory and its end record
    # for bytes before the zip, and first reads every offset moved by them
    "cd_gap": "bytes between the directory and its end record",
    # other readers take the zip64 end record the locator names, which
    # archive/zip does not read when the end record holds no marker
    "zip64_locator_unmarked": "a zip64 locator archive/zip does not read",
}

LOWER = "abcdefghijklmnopqrstuvwxyz"
ALNUM = LOWER + LOWER.upper() + "0123456789"
PUNCT = "!#$%&()+,-.=@[]^_{}~ "
# letters Go 1.19 (Unicode 13) takes, among them the members of
# case-fold orbits that are not simple upper/lower pairs
LETTERS = ["\u00e9", "\u00c9", "\u00df", "\u1e9e", "\u03c0", "\u03a3", "\u03c3", "\u03c2", "\u0416",
           "\u4e2d", "\u00c5", "\u212b", "\u00e5", "\u0101", "\u212a", "\u017f", "\u01c5", "\u01c4",
           "\u01c6", "\u0130", "\u0131", "\u2126", "\u03c9", "\u13a0", "\uab70", "\u1c90", "\u10d0",
           "\u1e60", "\u1e9b", "\u08be", "\u0b9e", "\uff21", "\uff41", "\U00010400", "\U00010428",
           "\U0001e900", "\U0001e922", "\u0345", "\u03b9", "\u1fbe"]
# case-fold orbits (Go's unicode.SimpleFold) to make collisions with
FOLDS = [("k", "K", "\u212a"), ("s", "S", "\u017f"), ("\u00e5", "\u00c5", "\u212b"),
         ("\u03c3", "\u03a3", "\u03c2"), ("\u03c9", "\u03a9", "\u2126"), ("\u00df", "\u1e9e"),
         ("\u01c4", "\u01c5", "\u01c6"), ("\u1e61", "\u1e60", "\u1e9b"), ("\u13a0", "\uab70"),
         ("\u10d0", "\u1c90"), ("\uff21", "\uff41"), ("\U00010400", "\U00010428"),
         ("\u03b9", "\u0399", "\u0345", "\u1fbe"), ("\u0130",), ("\u0131",), ("i", "I")]
# runes module.CheckFilePath refuses in a file name
BAD_RUNES = ['"', "'", "*", "<", ">", "?", "`", "|", ":", "\\", ";", "/x/../", "\x01", "\x7f", "\t",
             "\u00a0", "\u0301", "\u0663", "\U0001f600", "\ufffd", "\ue000", "\u2028", "\u200b",
             "\u0870", "\u0889", "\U0001df00", "\u00b2", "\u2160"]
WINDOWS = ["CON", "con", "Prn", "AUX", "nul", "COM1", "com9", "LPT1", "lpt9", "NUL.txt",
           "con.tar.gz", "Aux.go"]
# near the Windows names, but allowed
NOT_WINDOWS = ["COM0", "LPT0", "CONIN$", "CONOUT$", "console", "nul_", "COM10", "AUXX.go", "xCON"]


def elem(r, unicode_p=0.1, punct_p=0.05):
    n = r.choice([1, 1, 2, 3, 5, 8, 12])
    s = "".join(r.choice(ALNUM) for _ in range(n))
    if r.random() < unicode_p:
        i = r.randrange(len(s) + 1)
        s = s[:i] + r.choice(LETTERS) + s[i:]
    if r.random() < punct_p:
        i = r.randrange(1, len(s) + 1)
        s = s[:i] + r.choice(PUNCT.replace(".", "")) + s[i:]
    if r.random() < 0.3:
        s += r.choice([".go", ".txt", ".md", "_test.go", ".tar.gz", ".s", ".c"])
    return s


def rand_data(r):
    k = r.random()
    if k < 0.15:
        return b""
    if k < 0.25:
        return bytes([r.getrandbits(8)]) * r.randint(1, 100000)
    if k < 0.3:
        return r.randbytes(r.randint(1, 70000))
    return ("package p // %d\n" % r.getrandbits(32)).encode() * r.randint(1, 40)


class Entry:
    """One zip entry and every field that goes into its headers."""

    def __init__(self, name, data, method=8):
        self.name = name if isinstance(name, bytes) else name.encode()
        self.data = data
        self.method = method
        self.level = 6
        self.flags = 0
        self.dd = None          # None, "sig", "nosig", "zip64"
        self.dd_crc = None      # CRC-32 in the descriptor, when not the data's
        self.crc = None         # CRC-32 in both headers, when not the data's
        self.usize = None       # declared uncompressed size, when a lie
        self.csize_delta = 0    # added to the compressed size (a lie)
        self.mode = 0o100644
        self.opsys = 3          # Unix
        self.version_needed = 20
        self.central_extra = b""
        self.local_extra = b""
        self.local_name = None
        self.local_fields = {}  # local header fields that differ from the directory's
        self.comment = b""
        self.zip64 = None       # None; "all": 0xFFFFFFFF sizes and offset and a
                                # zip64 extra field; "sizes": the sizes only
        self.dd_local_sizes = False
        self.central_csize = None  # the directory's 32-bit compressed size, when a lie
        self.raw_comp = None    # compressed bytes, when not made here
        self.disk = 0           # the disk the entry starts on


def is_dir_name(name):
    return name.endswith(b"/")


class Module:
    def __init__(self, r, path, version):
        self.r = r
        self.path = path
        self.version = version
        self.prefix = ("%s@%s/" % (path, version)).encode()
        self.entries = []
        self.features = []
        self.archive_comment = b""
        self.prefix_junk = b""
        self.cd_gap = b""
        self.cd_padding = b""   # in the directory, after its last header
        self.zip64_end = None   # None, "marked" or "unmarked"
        self.zip64_ext = b""    # the zip64 end record's extensible data
        self.eocd_disks = (0, 0, None)  # this disk, the directory's disk, its entries
        self.max_total = None   # csumdb's limit on the total content, if lowered
        self.count_delta = 0
        self.shuffle_cd = False
        self.gaps = False

    def add(self, rel, data, **kw):
        e = Entry(self.prefix + (rel.encode("utf-8", "surrogateescape") if isinstance(rel, str) else rel), data)
        e.method = self.r.choice([0, 8, 8])
        for k, v in kw.items():
            setattr(e, k, v)
        if is_dir_name(e.name):
            e.mode = 0o40755
        self.entries.append(e)
        return e

    def files(self):
        return [e for e in self.entries if not is_dir_name(e.name)]

    def rel(self, e):
        return e.name[len(self.prefix):] if e.name.startswith(self.prefix) else None


def base_tree(r, m, nfiles, depth):
    m.add("go.mod", ("module %s\n\ngo 1.19\n" % m.path).encode())
    dirs = [""]
    seen = {"go.mod"}
    tries = 0
    while len(m.entries) < nfiles + 1 and tries < nfiles * 20:
        tries += 1
        if r.random() < 0.3 and len(dirs) < 200:
            d = r.choice(dirs)
            if d.count("/") < depth:
                nd = d + elem(r, unicode_p=0.05, punct_p=0.02) + "/"
                if nd.rstrip("/").lower() not in seen and not nd.lower().startswith("vendor/"):
                    dirs.append(nd)
                    seen.add(nd.rstrip("/").lower())
            continue
        d = r.choice(dirs)
        name = d + elem(r)
        low = name.lower()
        if low in seen or low.endswith("go.mod") or low == "license" or low.startswith("vendor"):
            continue
        seen.add(low)
        m.add(name, rand_data(r))
    return dirs


# --- the changes, each a feature ------------------------------------------

def pick_file(r, m):
    fs = [e for e in m.files() if m.rel(e) not in (None, b"go.mod")]
    return r.choice(fs) if fs else None


def rename(r, m, new_rel):
    e = pick_file(r, m)
    if e is None:
        e = m.add("x.go", b"package x\n")
    e.name = m.prefix + (new_rel.encode("utf-8", "surrogatepass") if isinstance(new_rel, str) else new_rel)
    return e


def f_unicode(r, m):
    for _ in range(r.randint(1, 5)):
        m.add(elem(r) + r.choice(LETTERS) + elem(r, 0, 0), rand_data(r))


def f_punct(r, m):
    for _ in range(r.randint(1, 4)):
        m.add(r.choice([".hidden", "-dash", "a b c", "trail ", " lead", "GOPAT~1", "x~12.go", "@at",
                        "a+b", "$&%!", "{}[]", "a,b=c", "^_^", ".a.b", "...a"]) + elem(r, 0, 0),
              rand_data(r))


def f_not_windows(r, m):
    m.add(r.choice(NOT_WINDOWS) + r.choice(["", "/a.go"]), rand_data(r))


def f_windows(r, m):
    w = r.choice(WINDOWS)
    rename(r, m, r.choice([w, "d/" + w, w + "/a.go", w + ".x/y"]))


def f_bad_rune(r, m):
    c = r.choice(BAD_RUNES)
    rename(r, m, r.choice(["a%sb.go", "%s", "d/%s/f"]) % c)


def f_bad_unicode_letter(r, m):
    # letters only from Unicode 14 on, which Go 1.19 does not know
    rename(r, m, r.choice(["\u0870", "\u08b5", "\U00010780", "\U0001e290", "\u1dfa"]) + ".go")


def f_trailing_dot(r, m):
    rename(r, m, r.choice(["a.", "a..", "d./f", "...", ".", "d/./f", "a/../b", "..", ".../f"]))


def f_path_shape(r, m):
    rename(r, m, r.choice(["a//b", "/abs", "a/b/", "", "d\\f", "..\\x", "./a"]))


def f_bad_utf8(r, m):
    rename(r, m, r.choice([b"a\xff.go", b"\xc0\xaf", b"\xed\xa0\x80x", b"a\xe2\x82", b"\xf4\x90\x80\x80",
                           b"\xc3\xa9\xc3"]))


def f_nul(r, m):
    rename(r, m, r.choice([b"a\x00b", b"a.go\x00", b"\x00"]))


def f_newline(r, m):
    rename(r, m, r.choice(["a\nb", "a\r", "x\n"]))


def f_long_elem(r, m):
    n = r.choice([100, 254, 255, 256, 1000, 4096])
    m.add("d/" + "a" * n + ".go", b"package d\n")


def f_long_name(r, m):
    total = r.choice([4000, 30000, 65000])
    parts, n = [], len(m.prefix)
    while n < total - 120:
        parts.append("d%d" % len(parts) + "x" * 90)
        n += len(parts[-1]) + 1
    m.add("/".join(parts) + "/f.go", b"package f\n")


def f_case_file(r, m):
    e = pick_file(r, m)
    if e is None:
        return
    rel = m.rel(e).decode("utf-8", "surrogateescape")
    sw = rel.swapcase()
    if sw == rel:
        sw = rel + "X"
        m.add(rel + "x", b"other")
    m.add(sw, rand_data(r))


def f_case_dir(r, m):
    m.add("Sub/a.go", b"package sub\n")
    m.add(r.choice(["sub/b.go", "SUB/c.go", "sUb/d/e.go", "sub/"]), b"package sub\n")


def f_case_unicode(r, m):
    orbit = r.choice(FOLDS)
    a = r.choice(orbit)
    b = r.choice(orbit)
    pre = elem(r, 0, 0)
    m.add(pre + a + ".txt", b"1")
    m.add(pre + b + ".txt", b"2")


def f_file_dir(r, m):
    m.add("fd", b"file")
    m.add(r.choice(["fd/x.go", "fd/", "FD/x.go", "fd/y/z"]), b"")


def f_nested_gomod(r, m):
    m.add(r.choice(["sub/go.mod", "a/b/go.mod", "sub/GO.MOD", "sub/Go.mod", "vendor/example.com/x/go.mod"]),
          b"module example.com/x\n")


def f_gomod_case(r, m):
    g = [e for e in m.entries if m.rel(e) == b"go.mod"]
    if g and r.random() < 0.7:
        g[0].name = m.prefix + r.choice([b"Go.mod", b"GO.MOD", b"go.Mod"])
    else:
        m.add(r.choice(["GO.MOD", "go.MOD"]), b"module x\n")


def f_no_gomod(r, m):
    m.entries = [e for e in m.entries if m.rel(e) != b"go.mod"]


def f_gomod_dir(r, m):
    m.add("go.mod/", b"")


def f_vendor(r, m):
    m.add("vendor/modules.txt", b"# example.com/x v1.0.0\n## explicit\nexample.com/x\n")
    for _ in range(r.randint(1, 6)):
        m.add("vendor/example.com/x/" + elem(r), rand_data(r))
    if r.random() < 0.3:
        m.add("vendor/example.com/x/LICENSE", b"license text\n")


def f_license(r, m):
    m.add(r.choice(["LICENSE", "LICENSE.md", "sub/LICENSE", "License", "COPYING"]),
          b"Permission is hereby granted\n" * r.randint(1, 100))


def f_empty_files(r, m):
    for _ in range(r.randint(1, 10)):
        m.add(elem(r), b"")


def f_empty_zip(r, m):
    m.entries = []


def f_only_dirs(r, m):
    m.entries = []
    m.add("", b"")
    m.add("d/", b"")


def f_dir_entries(r, m):
    have = set()
    for e in list(m.entries):
        rel = m.rel(e)
        if rel is None:
            continue
        parts = rel.split(b"/")
        for i in range(1, len(parts)):
            d = b"/".join(parts[:i]) + b"/"
            if d not in have:
                have.add(d)
                m.add(d, b"")
    if r.random() < 0.5:
        m.add("", b"")
    if r.random() < 0.5:
        m.add("emptydir/", b"")
    if r.random() < 0.5:
        r.shuffle(m.entries)


def f_dir_data(r, m):
    m.add(r.choice(["", "dd/", "emptydir/"]), rand_data(r) or b"x")


def f_dup_dir(r, m):
    d = r.choice(["", "dd/", "a/b/"])
    m.add(d, b"")
    m.add(d, r.choice([b"", b"", b"different data\n"]))


def f_dup_file(r, m):
    e = pick_file(r, m)
    if e is None:
        return
    m.add(m.rel(e), r.choice([e.data, b"other data\n"]))


def f_file_slash(r, m):
    # a name with a trailing slash whose mode says regular file
    m.add("notadir/", b"data", mode=0o100644)


def f_dir_noslash(r, m):
    # a name without a trailing slash whose mode says directory
    m.add("adir", b"", mode=0o40755)


def f_wrong_prefix(r, m):
    e = pick_file(r, m) or m.add("x.go", b"package x\n")
    rel = m.rel(e)
    p, v = m.path, m.version
    e.name = r.choice([
        ("%s@%s/" % (p.upper(), v)).encode() + rel,
        ("%s@%s/" % (p, "v9.9.9")).encode() + rel,
        ("%s@%s" % (p, v)).encode(),
        ("%s@%s" % (p, v)).encode() + rel,
        ("%s/" % p).encode() + rel,
        ("other.example.com/x@%s/" % v).encode() + rel,
        rel,
        ("%s@%s/" % (p.replace("Upper", "!upper"), v)).encode() + rel,
        ("./%s@%s/" % (p, v)).encode() + rel,
    ])


def f_mixed_methods(r, m):
    for e in m.entries:
        e.method = r.choice([0, 8])
        e.level = r.choice([0, 1, 6, 9])


def f_stored(r, m):
    for e in m.entries:
        e.method = 0


def f_deflate0(r, m):
    for e in m.entries:
        e.method, e.level = 8, 0


def f_dd(r, m):
    kind = r.choice(["sig", "nosig", "zip64"])
    for e in m.entries:
        if r.random() < 0.7:
            e.dd = kind
            e.dd_local_sizes = r.random() < 0.2


def f_dd_badcrc(r, m):
    e = pick_file(r, m)
    if e:
        e.dd = r.choice(["sig", "nosig"])
        e.dd_crc = zlib.crc32(e.data) ^ 1


def f_bad_crc(r, m):
    e = pick_file(r, m)
    if e:
        e.crc = (zlib.crc32(e.data) ^ 0x80) or 1


def f_crc_zero_data(r, m):
    e = pick_file(r, m)
    if e:
        if not e.data:
            e.data = b"data"
        e.crc = 0


def f_crc_zero_empty(r, m):
    m.add("empty.txt", b"", crc=0)


def f_usize_lie(r, m):
    e = pick_file(r, m)
    if e:
        if not e.data:
            e.data = b"some data\n"
        e.usize = len(e.data) + r.choice([-1, 1, 1000, -len(e.data)])


def f_csize_lie(r, m):
    e = pick_file(r, m)
    if e:
        if not e.data:
            e.data = b"some data\n"
        e.csize_delta = r.choice([-1, 1, 5])


def f_deflate_trailing(r, m):
    # deflate stream, then bytes after its end within the compressed size
    e = pick_file(r, m)
    if e:
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        e.method = 8
        e.raw_comp = c.compress(e.data) + c.flush() + b"trailing"


def f_method_other(r, m):
    e = pick_file(r, m)
    if e:
        e.method = r.choice([1, 9, 12, 14, 93, 99])


def f_encrypt_flag(r, m):
    e = pick_file(r, m)
    if e:
        e.flags |= r.choice([0x1, 0x40, 0x41])


def f_utf8_flag(r, m):
    for e in m.entries:
        if r.random() < 0.5:
            e.flags |= 0x800


def f_zip64_extra(r, m):
    kind = r.choice(["all", "sizes"])
    for e in m.entries:
        if r.random() < 0.7:
            e.zip64 = kind


def f_zip64_extra_unused(r, m):
    for e in m.entries:
        if r.random() < 0.5:
            e.central_extra += struct.pack("<HHQQ", 1, 16, len(e.data), len(e.data))


def f_zip64_end(r, m):
    # as archive/zip's Writer writes it (0xFFFF markers in the end record),
    # or without the markers, where archive/zip does not look for it
    m.zip64_end = r.choice(["marked"] * 4 + ["unmarked"])


def f_extras(r, m):
    for e in m.entries:
        k = r.random()
        if k < 0.25:   # Info-ZIP extended timestamp, longer in the local header
            e.local_extra += struct.pack("<HHBIII", 0x5455, 13, 7, 1577836800, 1577836800, 1577836800)
            e.central_extra += struct.pack("<HHBI", 0x5455, 5, 7, 1577836800)
        elif k < 0.4:  # Info-ZIP Unix UID/GID
            x = struct.pack("<HHBBIBI", 0x7875, 11, 1, 4, 1000, 4, 1000)
            e.local_extra += x
            e.central_extra += x
        elif k < 0.5:  # NTFS times
            x = struct.pack("<HHIHHQQQ", 0x000a, 32, 0, 1, 24, 132223104000000000, 0, 0)
            e.central_extra += x
        elif k < 0.6:  # Android zipalign padding
            e.local_extra += struct.pack("<HHH", 0xd935, 2, 4) + b"\0\0"
        elif k < 0.7:  # unknown tag
            e.central_extra += struct.pack("<HH", 0xcafe, 3) + b"abc"


def f_entry_comment(r, m):
    for e in m.entries:
        if r.random() < 0.3:
            e.comment = b"a comment on this entry"


def f_modes(r, m):
    for e in m.entries:
        k = r.random()
        if is_dir_name(e.name):
            if k < 0.3:
                e.opsys, e.mode = 0, 0x10
            continue
        if k < 0.2:
            e.mode = r.choice([0o100755, 0o100444, 0o100600, 0o100000, 0o644, 0])
        elif k < 0.3:
            e.opsys = r.choice([0, 11, 19])  # MS-DOS, NTFS, OS X
            e.mode = r.choice([0x20, 0x01, 0])


def f_odd_type(r, m):
    e = pick_file(r, m)
    if e:
        e.mode = r.choice([0o10644, 0o20644, 0o60644, 0o140755])


def f_symlink(r, m):
    m.add("link", b"target.go", mode=0o120777)


def f_version_needed(r, m):
    for e in m.entries:
        e.version_needed = r.choice([10, 20, 45, 63, 0])


def f_local_name(r, m):
    e = pick_file(r, m)
    if e:
        e.local_name = e.name[:-1] + b"Z" if r.random() < 0.5 else e.name + b"x"


def f_local_fields(r, m):
    e = pick_file(r, m)
    if e:
        k = r.choice(["version", "flags", "method", "time", "date", "crc", "csize", "usize"])
        v = [0, 1, 8, 0x800, 0xffff] + ([0x12345678, 0xffffffff] if k in ("crc", "csize", "usize") else [])
        e.local_fields[k] = r.choice(v)


def f_shuffle_cd(r, m):
    m.shuffle_cd = True


def f_gaps(r, m):
    m.gaps = True


def f_cd_gap(r, m):
    m.cd_gap = b"\0" * r.randint(1, 40)


def f_archive_comment(r, m):
    m.archive_comment = r.choice([b"comment", b"\0", b"PK\x05\x06"])


def f_prefix_junk(r, m):
    m.prefix_junk = b"#!/bin/sh\n" * r.randint(1, 3)


def f_count_lie(r, m):
    m.count_delta = r.choice([1, -1, 65536])


def f_many(r, m):
    for i in range(r.randint(300, 3000)):
        m.add("many/d%d/f%d.go" % (i % 37, i), b"package d\n" if i % 3 else b"")


def f_deep(r, m):
    d = "/".join(elem(r, 0, 0) for _ in range(r.randint(10, 60)))
    m.add(d + "/deep.go", b"package deep\n")


def f_gomod_limit(r, m):
    n = (16 << 20) + r.choice([0, 1])
    for e in m.entries:
        if m.rel(e) == b"go.mod":
            e.data = b"module x\n" + b"\n" * (n - 9)
            e.level = 1
            return
    m.add("go.mod", b"\n" * n, level=1)


def f_license_limit(r, m):
    name = r.choice(["LICENSE", "LICENSE", "license", "sub/LICENSE", "LICENSE.txt"])
    m.add(name, b"L" * ((16 << 20) + r.choice([0, 1])), method=8, level=1)


def f_total_declared(r, m):
    # declared sizes past 500 MiB in all: refused before anything is read
    e = m.add("huge.bin", b"x")
    e.usize = (500 << 20) + r.choice([0, 1, 1000]) - sum(len(x.data) for x in m.files() if x is not e)


def f_deflate_corrupt(r, m):
    # a few bytes of one deflate stream changed; when zlib still decodes
    # it, the entry declares what zlib makes of it (size and CRC), so that
    # only the two inflaters can disagree
    e = pick_file(r, m)
    if e is None or not e.data:
        return
    c = zlib.compressobj(r.choice([1, 6, 9]), zlib.DEFLATED, -15)
    comp = bytearray(c.compress(e.data) + c.flush())
    for _ in range(r.randint(1, 3)):
        comp[r.randrange(len(comp))] ^= 1 << r.randrange(8)
    e.method = 8
    e.raw_comp = bytes(comp)
    d = zlib.decompressobj(-15)
    try:
        out = d.decompress(e.raw_comp)
    except zlib.error:
        return
    if d.eof:
        e.data = out


def f_extras_malformed(r, m):
    for e in m.entries:
        if r.random() < 0.5:
            e.central_extra += r.choice([b"\x01", b"\xfe\xca\x10\x00ab", b"\x55\x54\x01\x00\x07",
                                         struct.pack("<HH", 1, 4) + b"\0\0\0\0", b"\0\0\0\0"])


def f_disk_nonzero(r, m):
    e = pick_file(r, m)
    if e:
        e.disk = r.choice([1, 2, 0xffff])


def f_eocd_disks(r, m):
    m.eocd_disks = r.choice([(1, 1, None), (0, 1, None), (2, 0, None), (0, 0, 1)])
    if r.random() < 0.3:
        m.zip64_end = "marked"


def f_zip64_extensible(r, m):
    m.zip64_end = "marked"
    m.zip64_ext = r.choice([b"\0" * 4, b"extensible data", struct.pack("<HH", 0x0001, 4) + b"abcd"])


def f_cd_padding(r, m):
    m.cd_padding = r.choice([b"\0" * 4, b"junk", b"PK\x01\x02", b"\0" * 46])


FEATURES = [
    # (name, weight, function)
    ("unicode", 4, f_unicode), ("punct", 3, f_punct), ("not_windows", 2, f_not_windows),
    ("windows_name", 2, f_windows), ("bad_rune", 3, f_bad_rune), ("unicode14_letter", 1, f_bad_unicode_letter),
    ("dots", 2, f_trailing_dot), ("path_shape", 2, f_path_shape), ("bad_utf8", 2, f_bad_utf8),
    ("nul", 1, f_nul), ("newline", 1, f_newline), ("long_elem", 1, f_long_elem), ("long_name", 1, f_long_name),
    ("case_file", 2, f_case_file), ("case_dir", 2, f_case_dir), ("case_unicode", 3, f_case_unicode),
    ("file_dir", 2, f_file_dir), ("nested_gomod", 2, f_nested_gomod), ("gomod_case", 2, f_gomod_case),
    ("no_gomod", 1, f_no_gomod), ("gomod_dir", 1, f_gomod_dir), ("vendor", 2, f_vendor),
    ("license", 2, f_license), ("empty_files", 2, f_empty_files), ("empty_zip", 1, f_empty_zip),
    ("only_dirs", 1, f_only_dirs), ("dir_entries", 4, f_dir_entries), ("dir_data", 2, f_dir_data),
    ("dup_dir", 2, f_dup_dir), ("dup_file", 2, f_dup_file), ("file_slash", 1, f_file_slash),
    ("dir_noslash", 1, f_dir_noslash), ("wrong_prefix", 3, f_wrong_prefix),
    ("mixed_methods", 3, f_mixed_methods), ("stored", 2, f_stored), ("deflate0", 1, f_deflate0),
    ("data_descriptor", 4, f_dd), ("dd_bad_crc", 2, f_dd_badcrc), ("bad_crc", 2, f_bad_crc),
    ("crc_zero_data", 1, f_crc_zero_data), ("crc_zero_empty", 1, f_crc_zero_empty),
    ("usize_lie", 2, f_usize_lie), ("csize_lie", 2, f_csize_lie), ("deflate_trailing", 1, f_deflate_trailing),
    ("method_other", 1, f_method_other), ("encrypt_flag", 1, f_encrypt_flag), ("utf8_flag", 2, f_utf8_flag),
    ("zip64_extra", 3, f_zip64_extra), ("zip64_extra_unused", 1, f_zip64_extra_unused),
    ("zip64_end", 2, f_zip64_end), ("extras", 3, f_extras), ("entry_comment", 1, f_entry_comment),
    ("modes", 2, f_modes), ("odd_type", 1, f_odd_type), ("symlink", 1, f_symlink),
    ("version_needed", 1, f_version_needed), ("local_name", 1, f_local_name), ("shuffle_cd", 2, f_shuffle_cd),
    ("gaps", 1, f_gaps), ("cd_gap", 1, f_cd_gap), ("archive_comment", 1, f_archive_comment),
    ("prefix_junk", 1, f_prefix_junk), ("count_lie", 1, f_count_lie), ("many", 1, f_many),
    ("deep", 1, f_deep), ("gomod_limit", 1, f_gomod_limit), ("license_limit", 1, f_license_limit),
    ("total_declared", 1, f_total_declared), ("deflate_corrupt", 2, f_deflate_corrupt),
    ("extras_malformed", 1, f_extras_malformed), ("disk_nonzero", 1, f_disk_nonzero),
    ("cd_padding", 1, f_cd_padding), ("local_fields", 1, f_local_fields),
    ("eocd_disks", 1, f_eocd_disks), ("zip64_extensible", 1, f_zip64_extensible),
]


# --- writing ----------------------------------------------------------------

def compress(e):
    if e.raw_comp is not None:
        return e.raw_comp
    if e.method == 8:
        c = zlib.compressobj(e.level, zlib.DEFLATED, -15)
        return c.compress(e.data) + c.flush()
    return e.data


def deliberate(m):
    """The deliberate refusals (DELIBERATE) the zip m holds, whatever
    features made them."""
    d = set()
    if m.archive_comment:
        d.add("archive_comment")
    if m.prefix_junk:
        d.add("prefix_junk")
    if m.cd_gap:
        d.add("cd_gap")
    if m.zip64_end == "unmarked":
        d.add("zip64_locator_unmarked")
    for e in m.entries:
        if e.crc == 0 and e.data:
            d.add("crc_zero_data")
        if e.opsys == 3 and e.mode >> 12 == 0o12:
            d.add("symlink")
    return d


def write_zip(m, fn):
    r = m.r
    out = bytearray(m.prefix_junk)
    base = len(out)
    cds = []
    for e in m.entries:
        comp = compress(e)
        crc = zlib.crc32(e.data) if e.crc is None else e.crc
        usize = len(e.data) if e.usize is None else e.usize
        csize = max(0, len(comp) + e.csize_delta)
        flags = e.flags | (8 if e.dd else 0)
        if m.gaps and r.random() < 0.3:
            out += b"\0gap\0" * r.randint(1, 3)
        off = len(out) - base
        lname = e.name if e.local_name is None else e.local_name
        lextra = e.local_extra
        if e.dd and not e.dd_local_sizes:
            lcrc, lcs, lus = 0, 0, 0
        else:
            lcrc, lcs, lus = crc, csize, usize
        if e.zip64:
            lextra = struct.pack("<HHQQ", 1, 16, lus, lcs) + lextra
            lcs = lus = 0xffffffff
        vn = 45 if e.zip64 and e.version_needed < 45 else e.version_needed
        lf = dict(version=vn, flags=flags, method=e.method, time=0x6000, date=0x5021, crc=lcrc,
                  csize=lcs, usize=lus)
        lf.update(e.local_fields)
        out += struct.pack("<IHHHHHIIIHH", 0x04034b50, lf["version"], lf["flags"], lf["method"],
                           lf["time"], lf["date"], lf["crc"], lf["csize"], lf["usize"], len(lname),
                           len(lextra))
        out += lname + lextra + comp
        if e.csize_delta > 0:
            out += b"\0" * e.csize_delta
        if e.dd:
            dcrc = crc if e.dd_crc is None else e.dd_crc
            if e.dd == "sig":
                out += struct.pack("<IIII", 0x08074b50, dcrc, csize, usize)
            elif e.dd == "nosig":
                out += struct.pack("<III", dcrc, csize, usize)
            else:
                out += struct.pack("<IIQQ", 0x08074b50, dcrc, csize, usize)
        cextra = e.central_extra
        ccs, cus, coff = csize, usize, off
        if e.zip64 == "all":
            cextra = struct.pack("<HHQQQ", 1, 24, usize, csize, off) + cextra
            ccs = cus = coff = 0xffffffff
        elif e.zip64 == "sizes":
            cextra = struct.pack("<HHQQ", 1, 16, usize, csize) + cextra
            ccs = cus = 0xffffffff
        if e.central_csize is not None:
            ccs = e.central_csize
        cd = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, (e.opsys << 8) | 20, vn, flags, e.method,
                         0x6000, 0x5021, crc, ccs, cus, len(e.name), len(cextra), len(e.comment),
                         e.disk, 0, (e.mode << 16) if e.opsys == 3 else e.mode, coff)
        cds.append(cd + e.name + cextra + e.comment)
    if m.shuffle_cd:
        r.shuffle(cds)
    cd = b"".join(cds) + m.cd_padding
    cdoff = len(out) - base
    out += cd + m.cd_gap
    n = len(m.entries) + m.count_delta
    this_disk, cd_disk, n_this = m.eocd_disks
    if m.zip64_end or n >= 0xffff:
        at = len(out) - base
        out += struct.pack("<IQHHIIQQQQ", 0x06064b50, 44 + len(m.zip64_ext), 45, 45, this_disk, cd_disk,
                           n if n_this is None else n_this, n, len(cd), cdoff) + m.zip64_ext
        out += struct.pack("<IIQI", 0x07064b50, 0, at, 1)
        mark = m.zip64_end != "unmarked"
        en = 0xffff if mark or n >= 0xffff else n
        out += struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, en, en, 0xffffffff if mark else len(cd),
                           0xffffffff if mark else cdoff, len(m.archive_comment))
    else:
        out += struct.pack("<IHHHHIIH", 0x06054b50, this_disk, cd_disk,
                           (n if n_this is None else n_this) & 0xffff, n & 0xffff, len(cd), cdoff,
                           len(m.archive_comment))
    out += m.archive_comment
    with open(fn, "wb") as f:
        f.write(out)


def write_big_total(fn, prefix, extra_file=0, dir_data=0):
    """Files of 500 MiB in all (x/mod's limit, go.mod included), from few
    compressed bytes, then extra_file bytes more in one more file and
    dir_data bytes of data in a directory entry."""
    gomod = b"module example.com/m\n"
    chunk = b"\0" * (1 << 20)

    def zeros(n):
        c = zlib.compressobj(9, zlib.DEFLATED, -15)
        comp, crc = b"", 0
        for k in range(0, n, len(chunk)):
            piece = chunk[:min(len(chunk), n - k)]
            comp += c.compress(piece)
            crc = zlib.crc32(piece, crc)
        return comp + c.flush(), crc

    m = Module(random.Random(0), "", "")
    m.prefix = prefix
    m.add("go.mod", gomod)
    full, full_crc = zeros(10 << 20)
    last = (10 << 20) - len(gomod)
    last_comp, last_crc = zeros(last)
    for i in range(50):
        e = m.add("z%02d.bin" % i, b"")
        e.method = 8
        e.raw_comp, e.crc, e.usize = (full, full_crc, 10 << 20) if i < 49 else (last_comp, last_crc, last)
    if extra_file:
        m.add("extra.txt", b"x" * extra_file)
    if dir_data:
        m.add("d/", b"y" * dir_data)
    write_zip(m, fn)


def gen(out, seed, count, big=False):
    r = random.Random(int(seed))
    names = [f[0] for f in FEATURES]
    weights = [f[1] for f in FEATURES]
    funcs = {f[0]: f[2] for f in FEATURES}
    expensive = {"many", "long_name", "gomod_limit", "license_limit"}
    with open(os.path.join(out, "cases"), "w") as lst:
        for i in range(int(count)):
            path, version = r.choice(MODULES)
            m = Module(r, path, version)
            base_tree(r, m, r.choice([0, 1, 3, 8, 20, 60]), r.randint(0, 4))
            k = r.choice([0, 0, 1, 1, 1, 2, 2, 3, 4])
            chosen = []
            for _ in range(k):
                f = r.choices(names, weights)[0]
                if f in chosen or (f in expensive and r.random() < 0.7):
                    continue
                chosen.append(f)
                funcs[f](r, m)
            fn = "%d.zip" % i
            write_zip(m, os.path.join(out, fn))
            chosen += sorted(deliberate(m) - set(chosen))
            lst.write("%s\t%s\t%s\t%s\n" % (fn, path, version, ",".join(chosen) or "plain"))
        if big:
            for n in (65535, 65536):
                m = Module(r, "example.com/m", "v1.0.0")
                m.add("go.mod", b"module example.com/m\n")
                for j in range(n - 1):
                    m.add("d%d/f%d" % (j % 100, j), b"", method=0)
                fn = "entries%d.zip" % n
                write_zip(m, os.path.join(out, fn))
                lst.write("%s\texample.com/m\tv1.0.0\tentries_%d\n" % (fn, n))
            for name, extra, dd in (("total_500MiB", 0, 0), ("total_500MiB+1", 1, 0),
                                    ("total_500MiB+dir_data", 0, 1)):
                fn = name + ".zip"
                write_big_total(os.path.join(out, fn), b"example.com/m@v1.0.0/", extra, dd)
                lst.write("%s\texample.com/m\tv1.0.0\t%s\n" % (fn, name))


# --- named cases, each a zip that once split csumdb from the go command ----

def regress_cases():
    """(name, module) pairs: one zip each, made with a fixed seed."""
    cases = []

    def case(name, path="example.com/m", version="v1.0.0"):
        def wrap(f):
            m = Module(random.Random(name), path, version)
            m.add("go.mod", ("module %s\n" % path).encode())
            m.add("a.go", b"package a\n")
            m.add("sub/b.go", b"package sub\n" * 50)
            f(m)
            cases.append((name, m))
            return f
        return wrap

    def files_total(m):
        return sum(len(e.data) for e in m.files())

    @case("baseline")
    def _(m):
        pass

    @case("baseline_stored_dd")
    def _(m):
        for e in m.entries:
            e.method = 0
            e.dd = "sig"

    @case("baseline_zip64_end")
    def _(m):
        m.zip64_end = "marked"

    @case("deliberate_crc_zero_data")
    def _(m):
        m.entries[1].crc = 0

    @case("deliberate_symlink")
    def _(m):
        m.add("link", b"a.go", mode=0o120777)

    # A deflate stream must end (a final block) within the entry's
    # compressed size: archive/zip says "unexpected EOF" otherwise, even
    # when all the declared bytes came out; libzip took such an entry.
    @case("deflate_no_final_block")
    def _(m):
        e = m.entries[2]
        c = zlib.compressobj(6, zlib.DEFLATED, -15)
        e.method = 8
        e.raw_comp = c.compress(e.data) + c.flush(zlib.Z_SYNC_FLUSH)

    @case("deflate_cut_short")
    def _(m):
        e = m.entries[2]
        e.method = 8
        e.csize_delta = -1

    # archive/zip checks a CRC-32 that is not 0 also on an empty entry
    @case("crc_of_empty_entry")
    def _(m):
        m.add("empty.txt", b"", crc=0x80, method=0)

    # zip64 extra fields with the 0xFFFFFFFF markers in the directory, on
    # a small zip (what Apache Commons Compress writes in Zip64Mode.Always):
    # archive/zip takes the sizes and offset from the field
    @case("zip64_fields_all")
    def _(m):
        for e in m.entries:
            e.zip64 = "all"

    @case("zip64_fields_sizes")
    def _(m):
        for e in m.entries:
            e.zip64 = "sizes"
            e.dd = "zip64"

    # The go command takes no file type from the Unix mode: a name without
    # a trailing slash is a file, whatever the mode says (symlinks aside,
    # which csumdb refuses by design).
    @case("mode_dir_without_slash")
    def _(m):
        m.add("adir", b"", mode=0o40755)

    @case("mode_fifo_and_devices")
    def _(m):
        m.add("fifo", b"data", mode=0o10644)
        m.add("chr", b"", mode=0o20644)
        m.add("blk", b"x", mode=0o60600)
        m.add("sock", b"", mode=0o140755)

    # archive/zip ignores the encryption flags and reads the data as it is
    @case("flag_encrypted_plain_data")
    def _(m):
        m.entries[1].flags |= 0x1
        m.entries[2].flags |= 0x41
        m.entries[2].method = 8

    # Duplicate directory entries (and root entries) pass x/mod's checks;
    # HashZip lists each name as often as it comes and hashes, for each,
    # the content of the last entry of that name: the others are never
    # read.  libzip's consistency check refused duplicate names.
    @case("dup_dir_entries")
    def _(m):
        m.add("sub/", b"")
        m.add("sub/", b"")

    @case("dup_dir_entries_with_data")
    def _(m):
        m.add("sub/", b"one\n")
        m.add("a.go", b"package a // second\n").name = m.prefix + b"sub/c.go"
        m.add("sub/", b"two\n")

    @case("dup_root_entries")
    def _(m):
        m.add("", b"root data\n")
        m.add("", b"")

    @case("dup_dir_first_unreadable")
    def _(m):
        m.add("sub/", b"bad CRC", crc=1)
        m.add("sub/", b"", method=12)
        m.add("sub/", b"read\n")

    # archive/zip reads of the local header only its signature and the
    # lengths of name and extra field; libzip's consistency check refused
    # a local header that disagrees with the directory in anything else.
    @case("local_header_name_differs")
    def _(m):
        m.entries[1].local_name = m.entries[1].name[:-1] + b"Z"
        m.entries[2].local_name = m.entries[2].name + b".longer"

    @case("local_header_fields_differ")
    def _(m):
        m.entries[0].local_fields = dict(method=0, crc=0)
        m.entries[1].local_fields = dict(time=0, date=0, version=63)
        m.entries[2].local_fields = dict(csize=7, usize=0xffffffff, flags=0x8)

    # archive/zip stops walking an entry's extra field where what is left
    # is not a whole field (libzip refused it as inconsistent), and takes
    # no name from the Info-ZIP Unicode Path field (libzip does)
    @case("extra_field_trailing_bytes")
    def _(m):
        m.entries[0].central_extra = b"\x01"
        m.entries[1].central_extra = struct.pack("<HH", 0x5455, 5) + b"\x01\0\0\0\0" + b"abc"
        m.entries[2].central_extra = b"\xfe\xca\x10\x00ab"

    @case("unicode_path_field")
    def _(m):
        e = m.entries[1]
        body = b"\x01" + struct.pack("<I", zlib.crc32(e.name)) + m.prefix + b"b.go"
        e.central_extra = e.local_extra = struct.pack("<HH", 0x7075, len(body)) + body

    # archive/zip reads directory headers until one does not parse, on
    # past the directory's size if need be, and compares their number with
    # the end record's modulo 65536; it reads no disk number
    @case("directory_padding")
    def _(m):
        m.cd_padding = b"\0" * 4

    @case("directory_padding_partial_header")
    def _(m):
        m.cd_padding = b"PK\x01\x02"

    # A compressed size of 0xFFFFFFFF with no zip64 extra field to give
    # the real one ends archive/zip's directory at that header (ErrFormat,
    # then the count modulo 65536 is compared): 65536 headers later the
    # count agrees again, and the go command hashes only the entries
    # before it.
    @case("csize_marker_without_zip64_field")
    def _(m):
        e = m.add("x.go", b"package x\n" * 20, method=8)
        e.central_csize = 0xffffffff
        for _ in range(65535):
            m.add("", b"", method=0)

    @case("entry_count_modulo_65536")
    def _(m):
        m.zip64_end = "marked"
        m.count_delta = 65536

    @case("entry_disk_number")
    def _(m):
        m.entries[1].disk = 1
        m.entries[2].disk = 0xffff

    @case("end_record_disk_fields")
    def _(m):
        m.eocd_disks = (1, 1, 2)

    @case("zip64_end_record_extensible_data")
    def _(m):
        m.zip64_end = "marked"
        m.zip64_ext = b"extensible data"
        m.eocd_disks = (0, 3, 1)

    # x/mod limits the declared sizes of files, not the data directory
    # entries hold, which HashZip reads all the same; csumdb read at most
    # its limit of both together.  With that limit lowered to the files'
    # total here, the go command's own limit is far.
    @case("files_at_limit_and_dir_data")
    def _(m):
        m.add("d/", b"data in a directory\n")
        m.max_total = files_total(m)

    # x/mod's limit on go.mod, at it and past it
    @case("gomod_at_limit")
    def _(m):
        e = m.entries[0]
        e.data = e.data + b"\n" * ((16 << 20) - len(e.data))
        e.level = 1

    @case("refused_gomod_past_limit")
    def _(m):
        e = m.entries[0]
        e.data = e.data + b"\n" * ((16 << 20) + 1 - len(e.data))
        e.level = 1

    # Directories thousands deep, with their parents shared and checked
    # again by later entries (x/mod's collision check goes up to the top
    # each time)
    @case("deep_directories")
    def _(m):
        deep = "/".join(["d"] * 3000)
        m.add(deep + "/x.go", b"x")
        m.add(deep + "/y/z.go", b"z")
        m.add(deep + "/", b"")
        m.add("/".join(["d"] * 1500) + "/", b"")
        m.add("/".join(["d"] * 1500) + "/\u212a.go", b"kelvin")

    @case("refused_case_fold_deep_directory")
    def _(m):
        m.add("/".join(["d"] * 3000) + "/x.go", b"x")
        m.add("/".join(["d"] * 2000) + "/D/" + "/".join(["d"] * 999) + "/y.go", b"y")

    @case("refused_file_and_directory_deep")
    def _(m):
        m.add("/".join(["d"] * 2000) + "/k", b"x")
        m.add("/".join(["d"] * 2000) + "/\u212a/y.go", b"y")

    @case("refused_case_fold")
    def _(m):
        m.add("\u212a.go", b"Kelvin")
        m.add("k.go", b"k")

    return cases


def regress(out):
    with open(os.path.join(out, "cases"), "w") as lst:
        for name, m in regress_cases():
            fn = name + ".zip"
            write_zip(m, os.path.join(out, fn))
            feats = [name] + sorted(deliberate(m))
            lst.write("%s\t%s\t%s\t%s" % (fn, m.path, m.version, ",".join(feats)))
            lst.write("\t%d\n" % m.max_total if m.max_total else "\n")


# --- comparing ----------------------------------------------------------------

def compare(cases_fn, go_fn, c_fn):
    def lines(fn):
        # one case per "\n": names in messages may hold other line breaks
        with open(fn, encoding="utf-8", errors="replace", newline="\n") as f:
            return [l.rstrip("\n") for l in f]
    cases = [l.split("\t") for l in lines(cases_fn)]
    gos = lines(go_fn)
    cs = lines(c_fn)
    if not (len(cases) == len(gos) == len(cs)):
        print("FAIL: %d cases, %d answers from the go side, %d from csumdb" % (len(cases), len(gos), len(cs)))
        return 1
    cols = ["same h1", "both refuse", "DIFFERENT h1", "go only", "csumdb only", "deliberate", "fs refuses"]
    table = {}
    bad = []
    totals = dict.fromkeys(cols, 0)
    for (fn, path, version, feats, *_), g, c in zip(cases, gos, cs):
        gok, cok = g.startswith("h1:"), c.startswith("h1:")
        if gok and cok:
            col = "same h1" if g == c else "DIFFERENT h1"
        elif not gok and not cok:
            col = "both refuse"
        elif gok:
            col = "go only"
        else:
            col = "csumdb only"
        fl = feats.split(",")
        if col == "go only" and any(f in DELIBERATE for f in fl):
            col = "deliberate"
        # the go command's checks passed, but this file system cannot
        # hold the files (names too long): not the zip's fault
        if col == "csumdb only" and g.startswith("err\tunzip: "):
            col = "fs refuses"
        if col in ("DIFFERENT h1", "go only", "csumdb only"):
            bad.append((fn, path, version, feats, g, c))
        totals[col] += 1
        for f in fl:
            row = table.setdefault(f, dict.fromkeys(cols, 0))
            row[col] += 1
    w = max(len(f) for f in list(table) + ["feature"])
    print("%-*s %s" % (w, "feature", " ".join("%12s" % c for c in cols)))
    for f in sorted(table):
        print("%-*s %s" % (w, f, " ".join("%12d" % table[f][c] for c in cols)))
    print("%-*s %s" % (w, "ALL CASES", " ".join("%12d" % totals[c] for c in cols)))
    for fn, path, version, feats, g, c in bad:
        print("DISAGREE %s %s@%s [%s]\n  go:     %s\n  csumdb: %s" % (fn, path, version, feats, g, c))
    if bad:
        print("FAIL: %d of %d zips: csumdb and the go command disagree" % (len(bad), len(cases)))
        return 1
    print("ok: %d zips, %d accepted by both with the same h1, %d refused by both, "
          "%d refused by csumdb by design" % (len(cases), totals["same h1"], totals["both refuse"],
                                              totals["deliberate"]))
    if totals["fs refuses"]:
        print("(%d accepted by both, then not extracted by the go command on this file system)"
              % totals["fs refuses"])
    return 0


if __name__ == "__main__":
    if len(sys.argv) >= 5 and sys.argv[1] == "gen":
        gen(sys.argv[2], sys.argv[3], sys.argv[4], len(sys.argv) > 5 and sys.argv[5] == "big")
    elif len(sys.argv) == 3 and sys.argv[1] == "regress":
        regress(sys.argv[2])
    elif len(sys.argv) == 5 and sys.argv[1] == "compare":
        sys.exit(compare(*sys.argv[2:5]))
    else:
        sys.exit(__doc__)
