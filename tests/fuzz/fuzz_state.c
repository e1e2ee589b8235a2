/* Fuzz target: what `sumdb audit` reads back from its state file
 * (src/lib/state_sqlite.c) the nights after it wrote it, whatever a
 * damaged disk, an old backup or a hand with the sqlite3 shell left in
 * its rows.  A state is made once per process with the library (an
 * accepted tree signed by a key of the target's, two evidence texts, a
 * cached tile, full-audit progress) in a directory of its own under
 * TMPDIR, removed at exit; each input is a list of values, each put over
 * one column of that state with SQLite, of any SQLite type.
 *
 * Input: fields of a selector byte (column: low nibble modulo the
 * columns; type: high nibble modulo 5, NULL, INTEGER from 8 bytes,
 * REAL from 8 bytes, TEXT, BLOB), a two-byte big-endian length and the
 * value's bytes.
 *
 * What the state gives back is what its rows hold, read apart with
 * SQLite: an accepted tree only when the stored note opens with the
 * log's key and is that tree, full-audit progress only when no count is
 * negative, the evidence texts byte for byte, a cached tile only when it
 * is long enough.  Columns no field touched read back as the library
 * wrote them. */
#include "config.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto.h"
#include "csumdb/note.h"
#include "csumdb/state.h"
#include "csumdb/treenote.h"
#include "fuzz.h"

#define TREE_SIZE 1000
#define TILE_BYTES (8 * SDB_HASH_SIZE)

static const char *const columns[] = {
	"UPDATE meta SET value = ?1 WHERE key = 'schema'",
	"UPDATE meta SET value = ?1 WHERE key = 'vkey'",
	"UPDATE accepted SET size = ?1",
	"UPDATE accepted SET hash = ?1",
	"UPDATE accepted SET note = ?1",
	"UPDATE full SET size = ?1",
	"UPDATE full SET frontier = ?1",
	"UPDATE dups SET merged = ?1",
	"UPDATE dups SET newlen = ?1",
	"UPDATE findings SET duplicates = ?1",
	"UPDATE findings SET conflicts = ?1",
	"UPDATE findings SET bad_records = ?1",
	"UPDATE evidence SET text = ?1 WHERE id = (SELECT min(id) FROM evidence)",
	"UPDATE evidence SET time = ?1 WHERE id = (SELECT min(id) FROM evidence)",
	"UPDATE tiles SET data = ?1",
};
#define NCOL (sizeof columns / sizeof columns[0])
enum { C_SCHEMA, C_VKEY, C_ACC_SIZE, C_ACC_HASH, C_ACC_NOTE, C_FULL_SIZE, C_FRONTIER,
	C_MERGED, C_NEWLEN, C_DUP, C_CONFLICT, C_BAD };

static char dir[4096], path[4200];
static struct sdb_note_verifier *verifier;
static char *vkey;
static struct sdb_tree tree;
static struct sdb_tlog_frontier frontier;
static const struct sdb_tile tile = { 8, 0, 1, 8 };
static uint8_t *image;   /* the state file as made */
static size_t image_len;

static void
teardown(void)
{
	sdb_fuzz_dir_empty(dir, 1);
	sdb_note_verifier_free(verifier);
	free(vkey);
	free(image);
}

static void
setup(void)
{
	static const char *const ev[] = { "evidence one\n", "evidence two\n" };
	struct sdb_note_signer *s = NULL;
	struct sdb_state *st = NULL;
	struct sdb_state_dups dups = { 256, 32 };
	struct sdb_state_findings found = { 1, 2, 3 };
	uint8_t tdata[TILE_BYTES];
	const uint8_t *tp = tdata;
	char text[SDB_TREE_NOTE_MAX], *note = NULL, wal[4300];
	size_t tl = 0, nl = 0, i;
	FILE *f;
	long end;

	if (sdb_crypto_init() != SDB_OK)
		__builtin_trap();
	sdb_fuzz_dir_make(dir, sizeof dir);
	atexit(teardown);
	snprintf(path, sizeof path, "%s/state", dir);
	tree.n = TREE_SIZE;
	for (i = 0; i < SDB_HASH_SIZE; i++)
		tree.hash.b[i] = (uint8_t)(i * 7 + 1);
	sdb_tlog_frontier_init(&frontier);
	frontier.n = 768;
	for (i = 0; i < sizeof frontier.h; i++)
		((uint8_t *)frontier.h)[i] = (uint8_t)i;
	for (i = 0; i < sizeof tdata; i++)
		tdata[i] = (uint8_t)(i ^ 0x5a);
	if (sdb_note_signer_generate(&s, "example.com/log", NULL) != SDB_OK ||
	    sdb_note_signer_verifier(s, &verifier) != SDB_OK ||
	    sdb_note_verifier_format(verifier, &vkey) != SDB_OK ||
	    sdb_tree_note_format(text, &tl, &tree) != SDB_OK ||
	    sdb_note_sign(&note, &nl, text, tl, (const struct sdb_note_signer *const *)&s, 1,
	    NULL) != SDB_OK ||
	    sdb_state_open(&st, path, vkey, NULL) != SDB_OK ||
	    sdb_state_accept(st, &tree, note, nl, NULL) != SDB_OK ||
	    sdb_state_add_evidence(st, ev[0], strlen(ev[0]), NULL) != SDB_OK ||
	    sdb_state_add_evidence(st, ev[1], strlen(ev[1]), NULL) != SDB_OK ||
	    sdb_state_tiles_put(st, &tile, 1, &tp, NULL, NULL) != SDB_OK ||
	    sdb_state_full_put(st, &frontier, &dups, &found, NULL) != SDB_OK)
		__builtin_trap();
	sdb_state_close(st);
	sdb_note_signer_free(s);
	free(note);
	/* closed: all of it is in the file itself */
	snprintf(wal, sizeof wal, "%s-wal", path);
	if (access(wal, F_OK) == 0 || (f = fopen(path, "rb")) == NULL)
		__builtin_trap();
	if (fseek(f, 0, SEEK_END) != 0 || (end = ftell(f)) <= 0 || fseek(f, 0, SEEK_SET) != 0 ||
	    (image = malloc((size_t)end)) == NULL ||
	    fread(image, 1, (size_t)end, f) != (size_t)end)
		__builtin_trap();
	image_len = (size_t)end;
	fclose(f);
}

/* Puts the fields of data[0..size) over the state's columns; touched[c]
 * says which were written. */
static void
apply(const uint8_t *data, size_t size, int touched[NCOL])
{
	sqlite3 *db;
	size_t pos = 0;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		__builtin_trap();
	while (pos + 3 <= size) {
		unsigned col = (data[pos] & 15) % NCOL, type = (data[pos] >> 4) % 5;
		size_t len = (size_t)data[pos + 1] << 8 | data[pos + 2];
		const uint8_t *v = data + pos + 3;
		sqlite3_stmt *s;
		uint8_t b8[8] = { 0 };
		int64_t iv = 0;
		double dv;
		int i;

		if (len > size - pos - 3)
			len = size - pos - 3;
		pos += 3 + len;
		memcpy(b8, v, len < 8 ? len : 8);
		for (i = 0; i < 8; i++)
			iv = (int64_t)((uint64_t)iv << 8 | b8[i]);
		if (sqlite3_prepare_v2(db, columns[col], -1, &s, NULL) != SQLITE_OK)
			__builtin_trap();
		switch (type) {
		case 0: sqlite3_bind_null(s, 1); break;
		case 1: sqlite3_bind_int64(s, 1, iv); break;
		case 2: memcpy(&dv, b8, 8); sqlite3_bind_double(s, 1, dv); break;
		case 3: sqlite3_bind_text(s, 1, (const char *)v, (int)len, SQLITE_TRANSIENT); break;
		default: sqlite3_bind_blob(s, 1, v, (int)len, SQLITE_TRANSIENT); break;
		}
		/* NOT NULL and other constraints may refuse a value: kept */
		if (sqlite3_step(s) == SQLITE_DONE)
			touched[col] = 1;
		sqlite3_finalize(s);
	}
	sqlite3_close(db);
}

/* The bytes of column c of the one row sql selects, as SQLite gives them
 * (malloc'ed, *len; NULL for no row).  *iv: the column as an integer. */
static uint8_t *
column(const char *sql, int c, size_t *len, int64_t *iv)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	uint8_t *out = NULL;

	*len = 0;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		__builtin_trap();
	if (sqlite3_step(s) == SQLITE_ROW) {
		const void *p = sqlite3_column_blob(s, c);

		*len = (size_t)sqlite3_column_bytes(s, c);
		if (iv != NULL)
			*iv = sqlite3_column_int64(s, c);
		if ((out = malloc(*len + 1)) == NULL)
			__builtin_trap();
		if (*len > 0)
			memcpy(out, p, *len);
	}
	sqlite3_finalize(s);
	sqlite3_close(db);
	return out;
}

struct ev {
	size_t k;
};

static int
on_evidence(void *arg, int64_t time, const char *text, size_t len)
{
	struct ev *e = arg;
	char sql[96];
	size_t n;
	uint8_t *want;

	(void)time;
	snprintf(sql, sizeof sql, "SELECT text FROM evidence ORDER BY id LIMIT 1 OFFSET %zu", e->k++);
	want = column(sql, 0, &n, NULL);
	if (want == NULL || n != len || (len > 0 && memcmp(want, text, len) != 0))
		__builtin_trap();
	free(want);
	return 0;
}

SDB_FUZZ_TARGET(state)
{
	int touched[NCOL] = { 0 };
	struct sdb_state *st = NULL;
	struct sdb_errbuf eb;
	struct sdb_tree t, again;
	struct sdb_tlog_frontier f;
	struct sdb_state_dups dups;
	struct sdb_state_findings found;
	struct ev ev = { 0 };
	uint8_t buf[TILE_BYTES], *col;
	char *note = NULL;
	size_t len = 0, n, i;
	int64_t iv, cnt = 0;
	int rc, acc_touched, full_touched;
	FILE *fp;

	if (dir[0] == '\0')
		setup();
	if (size > 65536)
		return 0;
	sdb_fuzz_dir_empty(dir, 0);
	if ((fp = fopen(path, "wb")) == NULL || fwrite(image, 1, image_len, fp) != image_len ||
	    fclose(fp) != 0)
		__builtin_trap();
	apply(data, size, touched);

	rc = sdb_state_open(&st, path, vkey, &eb);
	if (rc != SDB_OK) {
		if (rc != SDB_ERR_INVALID || (!touched[C_SCHEMA] && !touched[C_VKEY]))
			__builtin_trap();
		return 0;
	}

	acc_touched = touched[C_ACC_SIZE] || touched[C_ACC_HASH] || touched[C_ACC_NOTE];
	rc = sdb_state_accepted(st, verifier, &t, &note, &len, &eb);
	if (rc == SDB_OK) {
		/* the note as stored, it opens to the tree given, which is
		 * the row's size and hash */
		col = column("SELECT note, size, hash FROM accepted", 0, &n, NULL);
		if (col == NULL || n != len || memcmp(col, note, n) != 0 || note[len] != '\0' ||
		    sdb_tree_note_open(&again, NULL, note, len, verifier, NULL) != SDB_OK ||
		    again.n != t.n || memcmp(again.hash.b, t.hash.b, SDB_HASH_SIZE) != 0)
			__builtin_trap();
		free(col);
		col = column("SELECT size FROM accepted", 0, &n, &iv);
		if (col == NULL || iv != t.n)
			__builtin_trap();
		free(col);
		col = column("SELECT hash FROM accepted", 0, &n, NULL);
		if (col == NULL || n != SDB_HASH_SIZE || memcmp(col, t.hash.b, n) != 0)
			__builtin_trap();
		free(col);
		if (!acc_touched && (t.n != tree.n || memcmp(t.hash.b, tree.hash.b, SDB_HASH_SIZE)))
			__builtin_trap();
	} else if (rc != SDB_ERR_INVALID || !acc_touched) {
		__builtin_trap();
	}
	free(note);

	full_touched = touched[C_FULL_SIZE] || touched[C_FRONTIER] || touched[C_MERGED] ||
	    touched[C_NEWLEN] || touched[C_DUP] || touched[C_CONFLICT] || touched[C_BAD];
	rc = sdb_state_full_get(st, &f, &dups, &found, &eb);
	if (rc == SDB_OK) {
		static const char *const q[] = { "SELECT size FROM full", "SELECT merged FROM dups",
			"SELECT newlen FROM dups", "SELECT duplicates FROM findings",
			"SELECT conflicts FROM findings", "SELECT bad_records FROM findings" };
		int64_t got[6] = { f.n, dups.merged, dups.newlen, found.duplicates,
			found.conflicts, found.bad_records };

		for (i = 0; i < 6; i++) {
			col = column(q[i], 0, &n, &iv);
			if (col == NULL || iv != got[i] || got[i] < 0)
				__builtin_trap();
			free(col);
		}
		col = column("SELECT frontier FROM full", 0, &n, NULL);
		if (col == NULL || n != sizeof f.h || memcmp(col, f.h, n) != 0)
			__builtin_trap();
		free(col);
		if (!full_touched && (f.n != frontier.n || dups.merged != 256 || dups.newlen != 32 ||
		    found.duplicates != 1 || found.conflicts != 2 || found.bad_records != 3))
			__builtin_trap();
	} else if (rc != SDB_ERR_INVALID || !full_touched) {
		__builtin_trap();
	}

	if (sdb_state_evidence_count(st, &cnt, &eb) != SDB_OK || cnt != 2 ||
	    sdb_state_evidence_each(st, on_evidence, &ev, &eb) != SDB_OK || ev.k != 2)
		__builtin_trap();

	col = column("SELECT data FROM tiles", 0, &n, NULL);
	rc = sdb_state_tile_get(st, &tile, buf, sizeof buf);
	if (col == NULL || (rc == SDB_OK) != (n >= sizeof buf) ||
	    (rc == SDB_OK && memcmp(buf, col, sizeof buf) != 0))
		__builtin_trap();
	free(col);
	sdb_state_close(st);
	return 0;
}
