#!/usr/bin/env python3
"""Makes module zips and proxy trees for the module zip tests.

  mkzip.py bad OUTDIR PATH VERSION
      writes one broken or malicious zip per rule, OUTDIR/NAME.zip, and
      OUTDIR/expect: "NAME<TAB>regex the rejection must match" per line
  mkzip.py corpus OUTDIR SEED
      writes random good module zips OUTDIR/N.zip with OUTDIR/list:
      "N.zip<TAB>PATH<TAB>VERSION" (nested folders, empty files, files of
      several MiB, unicode names Go allows, +incompatible, pseudo-versions,
      upper-case paths)
  mkzip.py hostile OUTDIR PATH VERSION
      writes zips that archive/zip (the go command) and libzip could read
      differently, OUTDIR/NAME.zip, and OUTDIR/list: "NAME<TAB>same" (a
      zip both must read: the h1 must equal x/mod's) or "NAME<TAB>same-or-refused"
      (csumdb must refuse it or compute x/mod's h1)
  mkzip.py proxy DIR PATH VERSION SEED [NFILES]
      adds one module version to a GOPROXY directory tree (escaped path,
      @v/list, .info, .mod, .zip)
"""
import os
import random
import struct
import sys
import zipfile
import warnings
import zlib

warnings.simplefilter("ignore")


def escape(s):
    return "".join("!" + c.lower() if c.isupper() else c for c in s)


def add(zf, name, data, mode=0o644, compress=zipfile.ZIP_DEFLATED):
    zi = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
    zi.external_attr = mode << 16
    zi.create_system = 3
    zi.compress_type = compress
    zf.writestr(zi, data)


def module_zip(fn, prefix, files, gomod):
    with zipfile.ZipFile(fn, "w") as zf:
        add(zf, prefix + "go.mod", gomod)
        for name, data in files:
            add(zf, prefix + name, data)


def patch_sizes(fn, entry_name, new_size):
    """Rewrites the declared uncompressed size of entry_name in both the
    local header and the central directory (a lying zip)."""
    b = bytearray(open(fn, "rb").read())
    nb = entry_name.encode()
    i = 0
    while True:
        i = b.find(b"PK\x03\x04", i)
        if i < 0:
            break
        nlen = struct.unpack_from("<H", b, i + 26)[0]
        if bytes(b[i + 30:i + 30 + nlen]) == nb:
            struct.pack_into("<I", b, i + 22, new_size)
        i += 4
    i = 0
    while True:
        i = b.find(b"PK\x01\x02", i)
        if i < 0:
            break
        nlen = struct.unpack_from("<H", b, i + 28)[0]
        if bytes(b[i + 46:i + 46 + nlen]) == nb:
            struct.pack_into("<I", b, i + 24, new_size)
        i += 4
    open(fn, "wb").write(bytes(b))


def raw_name_zip(fn, names_and_data):
    """A zip whose names are raw bytes (zipfile would encode str names)."""
    with zipfile.ZipFile(fn, "w") as zf:
        for i, (name, data) in enumerate(names_and_data):
            add(zf, chr(ord("A") + i) * len(name), data)
    b = open(fn, "rb").read()
    for i, (name, _) in enumerate(names_and_data):
        b = b.replace(chr(ord("A") + i).encode() * len(name), name)
    open(fn, "wb").write(b)


def bad(out, path, version):
    p = "%s@%s/" % (path, version)
    gm = b"module " + path.encode() + b"\n"
    exp = []

    def z(name, entries, regex, mode=None):
        fn = os.path.join(out, name + ".zip")
        with zipfile.ZipFile(fn, "w") as zf:
            for e in entries:
                add(zf, *e)
        exp.append((name, regex))
        return fn

    # inflates to 600 MiB of zeros from under 1 MiB, declared as 100 bytes
    fn = os.path.join(out, "bomb.zip")
    z("bomb", [(p + "go.mod", gm), (p + "a.txt", b"x" * 100)], "larger than its declared size")
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b"\0" * (1 << 20)
    data = b"".join(comp.compress(chunk) for _ in range(600)) + comp.flush()
    # rebuild: replace a.txt's deflated data with the bomb, keep sizes 100
    with zipfile.ZipFile(fn, "w") as zf:
        add(zf, p + "go.mod", gm)
    with open(fn, "rb") as f:
        base = f.read()
    # hand-write the second entry (local header + data), then the directory
    cd_off = base.find(b"PK\x01\x02")
    local = base[:cd_off]
    cd = base[cd_off:base.find(b"PK\x05\x06")]
    name = (p + "a.txt").encode()
    crc = 0  # never reached: the size check stops first
    lh = struct.pack("<IHHHHHIIIHH", 0x04034b50, 20, 0, 8, 0, 0x21, crc, len(data), 100, len(name), 0) + name
    off2 = len(local)
    ch = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 0x314, 20, 0, 8, 0, 0x21, crc, len(data), 100,
                     len(name), 0, 0, 0, 0, 0o100644 << 16, off2) + name
    allcd = cd + ch
    body = local + lh + data
    eocd = struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, 2, 2, len(allcd), len(body), 0)
    open(fn, "wb").write(body + allcd + eocd)

    # 40 entries whose data is one deflate stream of 200 KB of empty
    # blocks: each inflates to nothing, and reading them all reads 8 MB
    # from a zip of 200 KB (with a million entries: hours of work)
    empty_blocks = b"\x00\x00\x00\xff\xff" * 40000 + b"\x01\x00\x00\xff\xff"
    gmname = (p + "go.mod").encode()
    body = struct.pack("<IHHHHHIIIHH", 0x04034b50, 20, 0, 0, 0, 0x21, zlib.crc32(gm), len(gm), len(gm),
                       len(gmname), 0) + gmname + gm
    shared_off = len(body)
    body += struct.pack("<IHHHHHIIIHH", 0x04034b50, 20, 0, 8, 0, 0x21, 0, len(empty_blocks), 0,
                        len(gmname), 0) + gmname + empty_blocks
    allcd = struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 0x314, 20, 0, 0, 0, 0x21, zlib.crc32(gm),
                        len(gm), len(gm), len(gmname), 0, 0, 0, 0, 0o100644 << 16, 0) + gmname
    for i in range(40):
        name = (p + "empty%d.txt" % i).encode()
        allcd += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 0x314, 20, 0, 8, 0, 0x21, 0,
                             len(empty_blocks), 0, len(name), 0, 0, 0, 0, 0o100644 << 16,
                             shared_off) + name
    eocd = struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, 41, 41, len(allcd), len(body), 0)
    open(os.path.join(out, "shared_data.zip"), "wb").write(body + allcd + eocd)
    exp.append(("shared_data", "their data overlap"))

    z("outside", [(p + "go.mod", gm), ("other@v1.0.0/x.go", b"package x\n")], "outside " + path)
    raw_name_zip(os.path.join(out, "dotdot.zip"), [((p + "go.mod").encode(), gm), ((p + "../../etc/passwd").encode(), b"x")])
    exp.append(("dotdot", r"\"\.\.\" element"))
    raw_name_zip(os.path.join(out, "absolute.zip"), [((p + "go.mod").encode(), gm), (b"/etc/passwd", b"x")])
    exp.append(("absolute", "absolute entry name"))
    z("duplicate", [(p + "go.mod", gm), (p + "a.go", b"1"), (p + "a.go", b"2")], "duplicate entries")
    z("casefold", [(p + "go.mod", gm), (p + "README", b"1"), (p + "readme", b"2")], "case-insensitive file name collision")
    z("casefold_unicode", [(p + "go.mod", gm), (p + "\u00c9t\u00e9.go", b"1"), (p + "\u00e9T\u00c9.go", b"2")],
      "case-insensitive file name collision")
    z("gomod_big", [(p + "go.mod", gm + b"//" + b"x" * (16 << 20))], "go.mod file too large")
    z("license_big", [(p + "go.mod", gm), (p + "LICENSE", b"x" * ((16 << 20) + 1))], "LICENSE file too large")
    fn = z("size_lie", [(p + "go.mod", gm), (p + "a.txt", b"hello world")], "not its declared size|larger than its declared size")
    patch_sizes(fn, p + "a.txt", 5)
    fn = z("size_short", [(p + "go.mod", gm), (p + "a.txt", b"hello world")], "not its declared size|reading")
    patch_sizes(fn, p + "a.txt", 50)
    z("symlink", [(p + "go.mod", gm), (p + "link", b"/etc/passwd", 0o120777)], "symlink entry")
    raw_name_zip(os.path.join(out, "bad_utf8.zip"), [((p + "go.mod").encode(), gm), ((p).encode() + b"a\xff\xfe.go", b"x")])
    exp.append(("bad_utf8", "not valid UTF-8"))
    z("dir_and_file", [(p + "go.mod", gm), (p + "a", b"1"), (p + "a/b.go", b"2")], "both a file and a directory")
    z("gomod_nested", [(p + "go.mod", gm), (p + "sub/go.mod", gm)], "go.mod file not in module root")
    z("gomod_case", [(p + "GO.MOD", gm)], "go.mod files must have lowercase names")
    z("bad_name", [(p + "go.mod", gm), (p + "a\x01b.go", b"1")], "bad file name")
    z("not_clean", [(p + "go.mod", gm), (p + "a//b.go", b"1")], "not clean")
    good = os.path.join(out, "good.zip")
    module_zip(good, p, [("a.go", b"package a\n")], gm)
    b = open(good, "rb").read()
    open(os.path.join(out, "truncated.zip"), "wb").write(b[: len(b) // 2])
    exp.append(("truncated", "not a valid zip"))
    open(os.path.join(out, "notzip.zip"), "wb").write(b"<html>this is not a zip</html>\n" * 10)
    exp.append(("notzip", "not a valid zip"))
    open(os.path.join(out, "empty.zip"), "wb").write(b"")
    exp.append(("empty", "not a valid zip"))
    # several entries whose declared sizes sum past the (lowered) limit
    z("total_big", [(p + "go.mod", gm), (p + "a", b"x" * 3000), (p + "b", b"y" * 3000)], "total uncompressed size")
    exp[-1] = ("total_big", "total uncompressed size", 5000)
    with open(os.path.join(out, "expect"), "w") as f:
        for e in exp:
            f.write("\t".join(str(x) for x in e) + "\n")


# --- hand-made zips: every field under the test's control ----------------

def ent(name, data, **kw):
    """An entry for raw_zip: name (bytes), data and optional fields:
    method (0 store, 8 deflate), central_extra, local_extra, flags,
    crc (central CRC-32 override), dd (data descriptor CRC, flag 8),
    mode (unix mode in the external attributes)."""
    e = dict(name=name if isinstance(name, bytes) else name.encode(), data=data, method=0,
             central_extra=b"", local_extra=b"", flags=0, crc=None, dd=None, mode=0o644)
    e.update(kw)
    return e


def central_records(cd):
    """The central directory records of each entry, cut from one directory."""
    recs, i = [], 0
    while i < len(cd):
        nl, el, cl = struct.unpack_from("<HHH", cd, i + 28)
        recs.append(cd[i:i + 46 + nl + el + cl])
        i += 46 + nl + el + cl
    return recs


def raw_parts(entries, base=0):
    """(local headers and data, central directory) of entries, the
    local headers starting at offset base."""
    out, cd = b"", b""
    for e in entries:
        data = e["data"]
        crc = zlib.crc32(data)
        if e["method"] == 8:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            comp = c.compress(data) + c.flush()
        else:
            comp = data
        flags = e["flags"] | (8 if e["dd"] is not None else 0)
        ccrc = crc if e["crc"] is None else e["crc"]
        off = base + len(out)
        lcrc, lcs, lus = (0, 0, 0) if e["dd"] is not None else (ccrc, len(comp), len(data))
        out += struct.pack("<IHHHHHIIIHH", 0x04034b50, 20, flags, e["method"], 0, 0x21,
                           lcrc, lcs, lus, len(e["name"]), len(e["local_extra"]))
        out += e["name"] + e["local_extra"] + comp
        if e["dd"] is not None:
            out += struct.pack("<IIII", 0x08074b50, e["dd"], len(comp), len(data))
        cd += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014b50, 0x314, 20, flags, e["method"], 0, 0x21,
                          ccrc, len(comp), len(data), len(e["name"]), len(e["central_extra"]), 0,
                          0, 0, e["mode"] << 16, off)
        cd += e["name"] + e["central_extra"]
    return out, cd


def eocd(n, cdsize, cdoff, comment=b""):
    return struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, n, n, cdsize, cdoff, len(comment)) + comment


def zip64_end(n, cdsize, cdoff, at, disks=1):
    """The zip64 end record at offset at and its locator, as archive/zip's
    Writer writes them."""
    rec = struct.pack("<IQHHIIQQQQ", 0x06064b50, 44, 45, 45, 0, 0, n, n, cdsize, cdoff)
    loc = struct.pack("<IIQI", 0x07064b50, 0, at, disks)
    return rec + loc


def raw_zip(entries, comment=b""):
    body, cd = raw_parts(entries)
    return body + cd + eocd(len(entries), len(cd), len(body), comment)


def unicode_path(raw, uni):
    """Info-ZIP Unicode Path extra field (0x7075) naming raw as uni."""
    body = b"\x01" + struct.pack("<I", zlib.crc32(raw)) + uni
    return struct.pack("<HH", 0x7075, len(body)) + body


def unicode_comment(comment, uni):
    body = b"\x01" + struct.pack("<I", zlib.crc32(comment)) + uni
    return struct.pack("<HH", 0x6375, len(body)) + body


def hostile(out, path, version):
    p = ("%s@%s/" % (path, version)).encode()
    gm = b"module " + path.encode() + b"\n"
    cases = []

    def put(name, data, kind):
        open(os.path.join(out, name + ".zip"), "wb").write(data)
        cases.append((name, kind))

    # Go 1.19 archive/zip reads a directory entry's data and x/mod's
    # HashZip hashes it; CheckZip skips directories.
    put("dir_content", raw_zip([ent(p + b"go.mod", gm), ent(p + b"sub/", b"data in a directory\n", mode=0o40755),
                                ent(p + b"sub/a.go", b"package sub\n")]), "same")
    put("root_content", raw_zip([ent(p, b"data in the root entry\n", mode=0o40755), ent(p + b"go.mod", gm)]), "same")
    put("dir_content_deflated", raw_zip([ent(p + b"go.mod", gm), ent(p + b"d/", b"x" * 5000, method=8),
                                         ent(p + b"d/a.go", b"package d\n")]), "same")
    # Info-ZIP Unicode Path (0x7075): libzip takes the name from it when its
    # CRC matches the raw name; archive/zip ignores it.
    a = p + b"a.go"
    put("unicode_path", raw_zip([ent(p + b"go.mod", gm),
                                 ent(a, b"package m\n", central_extra=unicode_path(a, p + b"b.go"),
                                     local_extra=unicode_path(a, p + b"b.go"))]), "same-or-refused")
    put("unicode_path_central", raw_zip([ent(p + b"go.mod", gm),
                                         ent(a, b"package m\n", central_extra=unicode_path(a, p + b"b.go"))]),
        "same-or-refused")
    put("unicode_path_gomod", raw_zip([ent(p + b"x.txt", gm, central_extra=unicode_path(p + b"x.txt", p + b"go.mod"),
                                           local_extra=unicode_path(p + b"x.txt", p + b"go.mod"))]),
        "same-or-refused")
    # an entry comment in the Unicode Comment field (0x6375): no name changes
    put("unicode_comment", raw_zip([ent(p + b"go.mod", gm, central_extra=unicode_comment(b"", b"hello"))]),
        "same-or-refused")
    # A zip64 extra field no size needs: both readers ignore it.
    z64 = struct.pack("<HHQQ", 1, 16, 999, 999)
    put("zip64_extra_unused", raw_zip([ent(p + b"go.mod", gm, central_extra=z64)]), "same-or-refused")

    # Two end records: directory B and its end record in the comment of end
    # record A.  archive/zip takes the last end record, libzip another.
    def polyglot(first_cd_is_a):
        ents = [ent(p + b"go.mod", gm), ent(a, b"package m // X\n"), ent(a, b"package m // Y\n")]
        body, cd3 = raw_parts(ents)
        recs = central_records(cd3)
        cda, cdb = recs[0] + recs[2], recs[0] + recs[1]
        if not first_cd_is_a:
            cda, cdb = cdb, cda
        offa = len(body)
        tail = cdb + eocd(2, len(cdb), offa + len(cda) + 22)
        return body + cda + eocd(2, len(cda), offa, tail)
    put("two_eocd", polyglot(True), "same-or-refused")
    put("two_eocd_swapped", polyglot(False), "same-or-refused")
    # an archive comment: both readers agree, but it is not what the go command writes
    put("comment", raw_zip([ent(p + b"go.mod", gm)], b"a comment"), "same-or-refused")
    # bytes before the zip: archive/zip finds the directory relative to its end record
    body, cd = raw_parts([ent(p + b"go.mod", gm), ent(a, b"package m\n")])
    junk = b"#!/bin/sh\nexit 0\n"
    put("prefixed", junk + body + cd + eocd(2, len(cd), len(body)), "same-or-refused")
    # The zip64 end record as archive/zip's Writer writes it (65535 entries
    # and more): both must read it.
    body, cd = raw_parts([ent(p + b"go.mod", gm), ent(a, b"package m\n")])
    put("zip64_end", body + cd + zip64_end(2, len(cd), len(body), len(body) + len(cd)) +
        eocd(0xffff, 0xffffffff, 0xffffffff), "same")
    # A zip64 locator where archive/zip does not look for one (no 0xffff
    # marker in the end record): libzip reads directory A through it,
    # archive/zip directory B from the end record.
    ents = [ent(p + b"go.mod", gm), ent(a, b"package m // X\n"), ent(a, b"package m // Y\n")]
    body, cd3 = raw_parts(ents)
    recs = central_records(cd3)
    cda, cdb = recs[0] + recs[2], recs[0] + recs[1]
    offa = len(body)
    offb = offa + len(cda)
    z = zip64_end(2, len(cda), offa, offb + len(cdb))
    put("zip64_locator_unmarked", body + cda + cdb + z + eocd(2, len(cdb), offb), "same-or-refused")
    # the same with the markers, but a locator archive/zip ignores (4 disks)
    z = zip64_end(2, len(cda), offa, offb + len(cdb), disks=4)
    put("zip64_locator_disks", body + cda + cdb + z + eocd(0xffff, len(cdb), offb), "same-or-refused")
    # A data descriptor whose CRC is not the directory's: archive/zip
    # refuses the entry (ErrChecksum), libzip does not read descriptors.
    put("dd_crc", raw_zip([ent(p + b"go.mod", gm), ent(a, b"package m\n", dd=0x12345678)]), "same-or-refused")
    put("dd_ok", raw_zip([ent(p + b"go.mod", gm), ent(a, b"package m\n", method=8, dd=zlib.crc32(b"package m\n"))]),
        "same")
    # a CRC of 0 in the directory: archive/zip checks nothing, libzip does
    put("crc_zero", raw_zip([ent(p + b"go.mod", gm), ent(a, b"package m\n", crc=0)]), "same-or-refused")
    # a NUL in a name: C strings end there, Go strings do not
    put("nul_name", raw_zip([ent(p + b"go.mod", gm), ent(a + b"\0x", b"package m\n")]), "same-or-refused")
    with open(os.path.join(out, "list"), "w") as f:
        for c in cases:
            f.write("%s\t%s\n" % c)


LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
UNICODE = ["\u00e9", "\u00df", "\u03c0", "\u0416", "\u4e2d", "\u00c5", "\u0101"]


def rand_name(r):
    n = r.randint(1, 10)
    s = "".join(r.choice(LETTERS) for _ in range(n))
    if r.random() < 0.2:
        s += r.choice(UNICODE)
    if r.random() < 0.3:
        s += r.choice([".go", ".txt", "-x", "_y", ".md"])
    return s


def rand_files(r, nfiles, big):
    files = {}
    folded = set()
    while len(files) < nfiles:
        depth = r.randint(0, 3)
        name = "/".join([rand_name(r) for _ in range(depth)] + [rand_name(r)])
        # avoid case-fold collisions and file/dir clashes
        parts = name.split("/")
        prefixes = ["/".join(parts[:i]).lower() for i in range(1, len(parts))]
        if name.lower() in folded or any(x in folded for x in prefixes) or \
           any(k.lower().startswith(name.lower() + "/") for k in files) or \
           os.path.basename(name).lower() == "go.mod":
            continue
        kind = r.random()
        if kind < 0.15:
            data = b""
        elif big and kind < 0.2:
            data = bytes(r.getrandbits(8) for _ in range(1024)) * r.randint(2048, 4096)
        else:
            data = bytes(r.getrandbits(8) for _ in range(r.randint(1, 3000)))
        files[name] = data
        folded.add(name.lower())
        folded.update(prefixes)
    return list(files.items())


MODULES = [
    ("example.com/simple", "v1.0.0"),
    ("example.com/Upper/Case", "v1.2.3"),
    ("example.com/incompat", "v2.0.0+incompatible"),
    ("example.com/pseudo", "v0.0.0-20200101000000-abcdefabcdef"),
    ("example.com/pre", "v1.0.1-rc.1"),
    ("example.com/mod/v2", "v2.1.0"),
]


def corpus(out, seed):
    r = random.Random(int(seed))
    with open(os.path.join(out, "list"), "w") as lst:
        for i, (path, version) in enumerate(MODULES):
            files = rand_files(r, r.randint(1, 40), big=(i == 0))
            fn = "%d.zip" % i
            p = "%s@%s/" % (path, version)
            module_zip(os.path.join(out, fn), p, files, ("module %s\n" % path).encode())
            if i == 1:
                # directory entries, as some zip tools write them
                with zipfile.ZipFile(os.path.join(out, fn), "a") as zf:
                    add(zf, p + "emptydir/", b"", 0o40755)
            lst.write("%s\t%s\t%s\n" % (fn, path, version))


def proxy(d, path, version, seed, nfiles=20):
    r = random.Random(int(seed))
    base = os.path.join(d, escape(path), "@v")
    os.makedirs(base, exist_ok=True)
    ev = escape(version)
    gomod = ("module %s\n\ngo 1.19\n" % path).encode()
    files = rand_files(r, int(nfiles), big=False)
    files = [(n, d2) for n, d2 in files if not n.endswith(".go")]
    files.append(("x.go", ("package %s\n" % path.split("/")[-1].replace(".", "_").replace("-", "_").lower()).encode()))
    module_zip(os.path.join(base, ev + ".zip"), "%s@%s/" % (path, version), files, gomod)
    open(os.path.join(base, ev + ".mod"), "wb").write(gomod)
    open(os.path.join(base, ev + ".info"), "w").write('{"Version":"%s","Time":"2020-01-01T00:00:00Z"}\n' % version)
    with open(os.path.join(base, "list"), "a") as f:
        f.write(version + "\n")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "bad":
        bad(*sys.argv[2:5])
    elif cmd == "corpus":
        corpus(*sys.argv[2:4])
    elif cmd == "hostile":
        hostile(*sys.argv[2:5])
    elif cmd == "proxy":
        proxy(*sys.argv[2:])
    else:
        sys.exit("usage: see the docstring")
