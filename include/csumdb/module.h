/*
 * Module paths, versions and their escaped forms, with the validity rules
 * of golang.org/x/mod v0.7.0 (module/module.go, module/pseudo.go,
 * semver/semver.go), plus the lookup request gate of PROTOCOL.md ("Lookup
 * syntax gate", as x/mod sumdb/server.go).  The checksum database must
 * accept and refuse exactly what the go command does, so every rule here is
 * checked against x/mod by tests/diff/module.sh.
 *
 * All inputs are byte strings with explicit lengths (they may contain NUL
 * and need not be NUL-terminated).  Nothing here does I/O.  Functions that
 * take a struct sdb_errbuf write one line saying which rule failed, worded
 * like Go's messages; eb may be NULL.
 */
#ifndef CSUMDB_MODULE_H
#define CSUMDB_MODULE_H

#include <stddef.h>

#include "csumdb/err.h"

/* --- paths (module/module.go) ------------------------------------------- */

/*
 * Module path rules (module.CheckPath): valid UTF-8, elements of
 * [-._~0-9A-Za-z], first element lower-case with a dot, no leading dash,
 * no "//", no leading or trailing slash, no element that is all dots, that
 * starts (module paths) or ends with a dot, no Windows reserved names, no
 * "~digits" element suffix, and a well-formed major version suffix.
 * Returns SDB_OK or SDB_ERR_BAD_PATH.
 */
int sdb_module_check_path(const char *path, size_t len,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* As sdb_module_check_path for import paths (module.CheckImportPath): '+'
 * is also allowed, the first-element rules do not apply.  Returns SDB_OK or
 * SDB_ERR_BAD_PATH. */
int sdb_module_check_import_path(const char *path, size_t len,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* File path rules (module.CheckFilePath): what may appear in a module zip.
 * Allows "!#$%&()+,-.=@[]^_{}~ " and Unicode letters (Go 1.19 tables) as
 * well.  Returns SDB_OK or SDB_ERR_BAD_PATH. */
int sdb_module_check_file_path(const char *path, size_t len,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * module.Check: path is a valid module path and version a valid semantic
 * version whose major version matches the path's major suffix ("/vN",
 * "gopkg.in/x.vN"; v0/v1 or "+incompatible" without one).  Versions need
 * not be canonical (as in x/mod).  Returns SDB_OK, SDB_ERR_BAD_PATH or
 * SDB_ERR_BAD_VERSION.
 */
int sdb_module_check(const char *path, size_t plen, const char *version,
    size_t vlen, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * sdb_module_check, and the version is canonical as the go command writes
 * it in go.sum and the checksum database in records: module.CanonicalVersion
 * (semver.Canonical plus a "+incompatible" build suffix) equals version.
 * Returns SDB_OK, SDB_ERR_BAD_PATH or SDB_ERR_BAD_VERSION.
 */
int sdb_module_check_canonical(const char *path, size_t plen,
    const char *version, size_t vlen, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * module.SplitPathVersion: sets *prefix_len so that path[0..prefix_len) is
 * the prefix and path[prefix_len..len) the major suffix ("" when none).
 * Returns 1 when the path's version suffix is well-formed, 0 otherwise.
 */
int sdb_module_split_path_version(const char *path, size_t len,
    size_t *prefix_len);

/* --- escaping (module.EscapePath and friends) ---------------------------- */

/*
 * Each of these writes a newly malloc'ed NUL-terminated string into *out
 * (and its length into *outlen when outlen is not NULL); the caller frees
 * it.  On failure *out is NULL.
 *
 * escape_path: the path must pass sdb_module_check_path; upper-case X
 *   becomes "!x".  Returns SDB_OK, SDB_ERR_BAD_PATH, SDB_ERR_NOMEM.
 * escape_version: the version must be a valid file path element without
 *   '!' and ASCII.  Returns SDB_OK, SDB_ERR_BAD_VERSION, SDB_ERR_NOMEM.
 * unescape_path: refuses non-ASCII, upper case, '!' not followed by a-z,
 *   and results that fail sdb_module_check_path.  Returns SDB_OK,
 *   SDB_ERR_BAD_PATH, SDB_ERR_NOMEM.
 * unescape_version: as unescape_path, the result must be a valid file path
 *   element.  Returns SDB_OK, SDB_ERR_BAD_VERSION, SDB_ERR_NOMEM.
 */
int sdb_module_escape_path(const char *path, size_t len, char **out,
    size_t *outlen, struct sdb_errbuf *eb) SDB_WARN_UNUSED;
int sdb_module_escape_version(const char *v, size_t len, char **out,
    size_t *outlen, struct sdb_errbuf *eb) SDB_WARN_UNUSED;
int sdb_module_unescape_path(const char *esc, size_t len, char **out,
    size_t *outlen, struct sdb_errbuf *eb) SDB_WARN_UNUSED;
int sdb_module_unescape_version(const char *esc, size_t len, char **out,
    size_t *outlen, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* --- lookup requests (PROTOCOL.md "Lookup syntax gate") ------------------ */

/*
 * Parses the part of a /lookup/ request after "/lookup/", already
 * percent-decoded by the HTTP layer: ESCPATH@ESCVERSION must match
 * ^[^@]+@v[0-9]+\.[0-9]+\.[0-9]+(-[^@]*)?(\+incompatible)?$ and both halves
 * must unescape (sdb_module_unescape_path/_version).  A NUL byte or the
 * text "%00" anywhere is refused; '+' is a literal '+'.  Exactly as x/mod's
 * server, the version is NOT required to be canonical semver here (the
 * regexp allows "v01.2.3"); a store lookup simply finds nothing for it.
 *
 * On success *path and *version are new malloc'ed NUL-terminated strings
 * owned by the caller (lengths in *plen and *vlen when not NULL).  On failure
 * both are NULL.  Returns SDB_OK, SDB_ERR_INVALID (syntax gate: the HTTP
 * answer is 400 "invalid module@version syntax"), SDB_ERR_BAD_PATH,
 * SDB_ERR_BAD_VERSION, SDB_ERR_TOO_LARGE (over SDB_MAX_LOOKUP_PATH),
 * SDB_ERR_NOMEM.
 */
int sdb_lookup_parse(const char *req, size_t len, char **path, size_t *plen,
    char **version, size_t *vlen, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* --- semantic versions (semver/semver.go) -------------------------------- */

/* semver.IsValid: "v" MAJOR[.MINOR[.PATCH[-PRERELEASE][+BUILD]]] with no
 * leading zeros; "v1" and "v1.2" are valid shorthands.  Returns 1 or 0. */
int sdb_semver_is_valid(const char *v, size_t len);

/*
 * semver.Canonical into out (capacity cap, NUL-terminated): shorthands
 * completed, build metadata dropped.  Needs cap >= len + 5.  Returns
 * SDB_OK, SDB_ERR_BAD_VERSION (invalid: Go returns "") or SDB_ERR_TOO_LARGE.
 */
int sdb_semver_canonical(const char *v, size_t len, char *out, size_t cap,
    size_t *outlen) SDB_WARN_UNUSED;

/* semver.Compare: -1, 0 or +1; an invalid version is less than every valid
 * one and equal to other invalid ones. */
int sdb_semver_compare(const char *v, size_t vlen, const char *w, size_t wlen);

/* Length of semver.Major(v) (e.g. "v2" of "v2.1.0"): v[0..n); 0 when
 * invalid. */
size_t sdb_semver_major_len(const char *v, size_t len);

/* semver.Prerelease / semver.Build as a span of v: *off and *n (n = 0
 * when absent or v invalid).  Returns 1 when v is valid, else 0. */
int sdb_semver_prerelease(const char *v, size_t len, size_t *off, size_t *n);
int sdb_semver_build(const char *v, size_t len, size_t *off, size_t *n);

/* module.IsPseudoVersion: 1 or 0. */
int sdb_module_is_pseudo_version(const char *v, size_t len);

/* --- helpers ------------------------------------------------------------- */

/*
 * Writes s[0..len) into buf (capacity cap >= 8) as a double-quoted string
 * for error messages: printable ASCII as is, '"' and '\\' escaped, other
 * bytes as \xHH, truncated with "..." to fit.  Returns buf.
 */
char *sdb_quote(char *buf, size_t cap, const char *s, size_t len);

#endif
