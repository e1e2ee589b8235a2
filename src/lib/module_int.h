/*
 * Internals shared by the module, go.sum, record and tree note files of
 * libcsumdb (not part of the public API).
 */
#ifndef CSUMDB_MODULE_INT_H
#define CSUMDB_MODULE_INT_H

#include <stddef.h>
#include <stdint.h>

#include "csumdb/err.h"
#include "csumdb/hash.h"

/*
 * Decodes one rune at s[0..len) (len >= 1) as Go's utf8.DecodeRune: an
 * invalid or truncated sequence, a surrogate or a value past U+10FFFF is
 * U+FFFD with *size 1.
 */
uint32_t sdb_utf8_decode(const unsigned char *s, size_t len, size_t *size);

/* sdb_utf8_decode with its ASCII case inline: the per-character loops over
 * module paths and record texts (every record of a full audit) are mostly
 * ASCII, and a call per byte was a tenth of the audit's CPU. */
static inline uint32_t
sdb_utf8_next(const unsigned char *s, size_t len, size_t *size)
{
	if (s[0] < 0x80) {
		*size = 1;
		return s[0];
	}
	return sdb_utf8_decode(s, len, size);
}

/*
 * The module path fast path and the full check behind it
 * (sdb_module_check_path is the first, then the second when it says no):
 * sdb_module_path_fast_ok returns 1 only for paths the full check
 * accepts; sdb_module_check_path_slow is module.CheckPath alone, with
 * sdb_module_check_path's returns and messages.  For the unit tests.
 */
int sdb_module_path_fast_ok(const char *p, size_t len);
int sdb_module_check_path_slow(const char *path, size_t len,
    struct sdb_errbuf *eb);

/*
 * What the module checks need of a version, from one parse (a record's
 * version is checked for validity, its major and its canonical form:
 * four parses before): sdb_semver_info returns 1 for a valid version and
 * fills *out, else 0 with *out zeroed.  shorthand: "v1" or "v1.2".
 */
struct sdb_semver_info {
	size_t major_len;          /* sdb_semver_major_len */
	size_t build_off, build_len; /* sdb_semver_build */
	int shorthand;
};

int sdb_semver_info(const char *v, size_t len, struct sdb_semver_info *out);

/*
 * sdb_record_text_ok rune by rune, without its ASCII fast path: the
 * reference the unit tests compare the fast path with.
 */
int sdb_record_text_ok_slow(const char *text, size_t len);

/*
 * sdb_record_parse is the first, then the second when the first says no
 * (for the unit tests): sdb_record_parse_fast returns 1, with *rec
 * filled, only for records the full parse accepts with the same fields;
 * sdb_record_parse_full is the parse of every rule, with the messages.
 */
struct sdb_record;
int sdb_record_parse_fast(const char *text, size_t len, struct sdb_record *rec);
int sdb_record_parse_full(const char *text, size_t len, struct sdb_record *rec,
    struct sdb_errbuf *eb);

/*
 * Writes the go.sum line "PATH SP VERSION[/go.mod] SP h1:BASE64 LF" (no
 * NUL) at out, which must have room for sdb_h1_line_len(plen, vlen,
 * is_gomod) bytes; returns that length.  A record is two such lines.
 */
size_t sdb_h1_line_len(size_t plen, size_t vlen, int is_gomod);
size_t sdb_h1_line_write(char *out, const char *path, size_t plen,
    const char *version, size_t vlen, int is_gomod, const sdb_hash *h);

#endif
