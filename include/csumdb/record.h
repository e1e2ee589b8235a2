/*
 * Checksum database records, lookup responses and data tiles, byte for
 * byte as PROTOCOL.md "Record, tree, note" and "Endpoints" draw them:
 *
 *   record         M V h1:BASE64\n
 *                  M V/go.mod h1:BASE64\n
 *   lookup body    ID\n  record  \n  signed-tree-note
 *   data tile      record \n record \n ... (W records, each followed by one
 *                  blank line; sum.golang.org form, no id lines)
 *
 * x/mod v0.7.0 (sumdb/tlog/note.go FormatRecord/ParseRecord) frames the
 * "ID\ntext\n" part of a lookup body; its server also writes data tiles as
 * "ID\ntext\n" per record, which sum.golang.org does not: that old form is
 * recognised and refused with a message saying so.
 *
 * Parsers return spans into the caller's buffer (nothing is copied or
 * allocated) and never read past the given length.
 */
#ifndef CSUMDB_RECORD_H
#define CSUMDB_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "csumdb/err.h"
#include "csumdb/hash.h"

/* "h1:" + 44 base64 characters. */
#define SDB_H1_LEN 47

/* A borrowed piece of a caller's buffer. */
struct sdb_span {
	const char *p;
	size_t len;
};

/*
 * Parses an "h1:BASE64" hash: exactly SDB_H1_LEN bytes, canonical standard
 * base64 of 32 bytes.  Returns SDB_OK or SDB_ERR_INVALID.
 */
int sdb_h1_parse(const char *s, size_t len, sdb_hash *out) SDB_WARN_UNUSED;

/* Writes "h1:BASE64" and a NUL into out (SDB_H1_LEN + 1 bytes). */
void sdb_h1_format(char *out, const sdb_hash *h);

/* The parts of a valid record; path and version point into the text. */
struct sdb_record {
	struct sdb_span path;
	struct sdb_span version;
	sdb_hash h1;        /* hash of the module zip */
	sdb_hash gomod_h1;  /* hash of the go.mod file */
};

/*
 * Validates text[0..len) as a record: exactly the two lines above, single
 * spaces, the same path and version on both, the path and version passing
 * sdb_module_check_canonical, both hashes valid h1 (sdb_h1_parse), the
 * final '\n' present, at most SDB_MAX_RECORD_SIZE bytes.  Fills *rec when
 * rec is not NULL.  Returns SDB_OK, SDB_ERR_INVALID (eb says which rule),
 * SDB_ERR_BAD_PATH, SDB_ERR_BAD_VERSION, SDB_ERR_TOO_LARGE.
 */
int sdb_record_parse(const char *text, size_t len, struct sdb_record *rec,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * x/mod's isValidRecordText: valid UTF-8, no control characters but '\n',
 * no blank line, ending in '\n'.  The weaker framing check every record
 * in a log meets; returns 1 or 0.
 */
int sdb_record_text_ok(const char *text, size_t len);

/*
 * The record text of sdb_record_format without its checks or its
 * allocation, for a caller that checked path and version already and
 * keeps many records in its own memory: sdb_record_len(plen, vlen) bytes
 * written at out (no NUL); returns that length.
 */
size_t sdb_record_len(size_t plen, size_t vlen);
size_t sdb_record_write(char *out, const char *path, size_t plen, const char *version,
    size_t vlen, const sdb_hash *h1, const sdb_hash *gomod_h1);

/*
 * Builds the record text for path@version into a new malloc'ed
 * NUL-terminated string *out (length in *outlen when not NULL); the caller
 * frees it.  Returns SDB_OK, SDB_ERR_BAD_PATH, SDB_ERR_BAD_VERSION (not
 * sdb_module_check_canonical), SDB_ERR_TOO_LARGE, SDB_ERR_NOMEM.
 */
int sdb_record_format(const char *path, size_t plen, const char *version,
    size_t vlen, const sdb_hash *h1, const sdb_hash *gomod_h1, char **out,
    size_t *outlen, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Builds a lookup response body "ID\n" + text + "\n" + note into a new
 * malloc'ed string *out (length *outlen; NUL-terminated).  text must pass
 * sdb_record_parse; id must be >= 0; the note is copied as given (the
 * caller signed it).  Returns SDB_OK, SDB_ERR_RANGE (id), SDB_ERR_INVALID,
 * SDB_ERR_BAD_PATH, SDB_ERR_BAD_VERSION, SDB_ERR_TOO_LARGE, SDB_ERR_NOMEM.
 */
int sdb_lookup_response_format(int64_t id, const char *text, size_t tlen,
    const char *note, size_t nlen, char **out, size_t *outlen,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Parses s[0..len) as Go's strconv.ParseInt(s, 10, 64) followed by the
 * "n >= 0 and FormatInt(n) == s" check x/mod makes on tree sizes and
 * record ids (and sumdbd on the numbers it writes in its config rows):
 * exactly the canonical decimal spellings of 0 .. 2^63-1 (no sign, no
 * leading zero).  Returns 1 with *out set, or 0.
 */
int sdb_parse_int63(const char *s, size_t len, int64_t *out);

/*
 * Splits a lookup response body: a decimal id (no sign, no leading zeros,
 * below 2^63) and '\n', the record text up to and including the first
 * '\n' of the first "\n\n", then the rest, the signed tree note, which the
 * caller must verify (sdb note module) before trusting anything.  The
 * record must pass sdb_record_parse (filled into *rec when not NULL); the
 * note must be non-empty.  Spans point into msg.  Returns SDB_OK,
 * SDB_ERR_INVALID, SDB_ERR_BAD_PATH, SDB_ERR_BAD_VERSION,
 * SDB_ERR_TOO_LARGE (over SDB_MAX_RECORD_SIZE + SDB_MAX_NOTE_SIZE).
 */
int sdb_lookup_response_parse(const char *msg, size_t len, int64_t *id,
    struct sdb_span *text, struct sdb_record *rec, struct sdb_span *note,
    struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * sdb_lookup_response_parse without the check of the record: the text is
 * whatever the log framed as its record, so that a record the log signed
 * although it is not a go.sum record can be shown to be in the signed
 * tree (and so be evidence) instead of being taken for a garbled answer.
 * Returns SDB_OK, SDB_ERR_INVALID, SDB_ERR_TOO_LARGE.
 */
int sdb_lookup_response_split(const char *msg, size_t len, int64_t *id,
    struct sdb_span *text, struct sdb_span *note, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/*
 * Builds a data tile from n record texts (1 <= n <= SDB_MAX_DATA_TILE_WIDTH),
 * each followed by "\n", into a new malloc'ed NUL-terminated *out.  Each
 * text must pass sdb_record_text_ok.  Returns SDB_OK, SDB_ERR_RANGE (n),
 * SDB_ERR_INVALID (eb names the record), SDB_ERR_TOO_LARGE, SDB_ERR_NOMEM.
 */
int sdb_data_tile_format(const struct sdb_span *records, size_t n,
    char **out, size_t *outlen, struct sdb_errbuf *eb) SDB_WARN_UNUSED;

/* sdb_data_tile_parse flag: every record must also pass sdb_record_parse
 * (without it only sdb_record_text_ok, as x/mod's clients check). */
#define SDB_DATA_TILE_STRICT 1u
/* sdb_data_tile_parse flag: any bytes between the blank lines are a record
 * (for an audit, which hashes every record and must find a signed record
 * that is not record text, not stop at it). */
#define SDB_DATA_TILE_ANY_TEXT 2u

/*
 * Splits the data tile data[0..len) of width w (1 <= w <=
 * SDB_MAX_DATA_TILE_WIDTH) into exactly w record texts (each with its
 * final '\n', without the blank line) stored in records[0..w).  Refuses
 * fewer or more records, a missing blank line after the last record, an
 * empty record (x/mod would accept "\n" as record text, but in a tile it
 * cannot be told from a missing one), and the x/mod 0.7.0 form with "ID\n"
 * before each record (eb says it is that form).  Returns SDB_OK, SDB_ERR_RANGE (w), SDB_ERR_INVALID,
 * SDB_ERR_TOO_LARGE (over w * SDB_MAX_RECORD_SIZE), and with
 * SDB_DATA_TILE_STRICT also SDB_ERR_BAD_PATH, SDB_ERR_BAD_VERSION.
 */
int sdb_data_tile_parse(const char *data, size_t len, size_t w,
    unsigned flags, struct sdb_span *records, struct sdb_errbuf *eb)
    SDB_WARN_UNUSED;

#endif
