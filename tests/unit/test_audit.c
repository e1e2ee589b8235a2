/* Unit tests for src/lib/audit.c and src/lib/state_sqlite.c: consistency of
 * two signed trees over in-memory logs built with the library (growth,
 * stale frontend, and forgery twins: a forked log, the same size with
 * another hash, a forged tile, a root of another tree), the data-tile
 * checks of a full audit (including x/mod 0.7.0's id lines), and the state
 * file (accept, re-verify on load, refuse a tampered state or another key,
 * tile cache, evidence; no file until there is something to store). */
#include "config.h"

#include <glob.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "csumdb/audit.h"
#include "csumdb/dupidx.h"
#include "csumdb/base64.h"
#include "csumdb/note.h"
#include "csumdb/record.h"
#include "csumdb/state.h"
#include "csumdb/treenote.h"
#include "memlog.h"
#include "unit.h"

static void
test_consistent(void)
{
	struct sdb_tile_source src = { ml_tiles, NULL, &log_a };
	struct sdb_audit_result res;
	struct sdb_tree old, new;
	int64_t sizes[][2] = { { 0, 1 }, { 1, 2 }, { 500, 1000 }, { 256, 512 }, { 255, 257 },
		{ 777, 778 }, { 1000, 1000 } };
	size_t i;

	build();
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		old = tree_of(&log_a, sizes[i][0]);
		new = tree_of(&log_a, sizes[i][1]);
		CU_ASSERT_EQUAL(sdb_audit_consistency(&old, &new, 8, &src, &res, NULL), SDB_OK);
		CU_ASSERT_EQUAL(res.stale, 0);
		CU_ASSERT_EQUAL(sdb_audit_check_proof(&old, &new, res.proof, res.nproof), SDB_OK);
	}
	/* A stale frontend: the latest tree is a prefix of the accepted one. */
	old = tree_of(&log_a, 900);
	new = tree_of(&log_a, 400);
	CU_ASSERT_EQUAL(sdb_audit_consistency(&old, &new, 8, &src, &res, NULL), SDB_OK);
	CU_ASSERT_EQUAL(res.stale, 1);
	CU_ASSERT_EQUAL(sdb_audit_check_proof(&new, &old, res.proof, res.nproof), SDB_OK);
}

static void
test_fork(void)
{
	struct sdb_tile_source src_b = { ml_tiles, NULL, &log_b };
	struct sdb_audit_result res;
	struct sdb_errbuf eb;
	struct sdb_tree old, new, claimed;

	build();
	/* Honest twin: the shared prefix is consistent across the two logs. */
	old = tree_of(&log_a, SHARED);
	new = tree_of(&log_b, NREC);
	CU_ASSERT_EQUAL(sdb_audit_consistency(&old, &new, 8, &src_b, &res, NULL), SDB_OK);

	/* Accepted A(500), now B(1000) from the same key: a fork. */
	old = tree_of(&log_a, 500);
	eb.msg[0] = '\0';
	CU_ASSERT_EQUAL(sdb_audit_consistency(&old, &new, 8, &src_b, &res, &eb), SDB_ERR_FORK);
	CU_ASSERT(strstr(eb.msg, "not a prefix") != NULL);
	CU_ASSERT(memcmp(res.computed.b, old.hash.b, 32) != 0);
	/* The evidence: B(1000) proves B's tree of 500 has the computed hash,
	 * and that proof does not fit A(500). */
	claimed.n = 500;
	claimed.hash = res.computed;
	CU_ASSERT_EQUAL(sdb_audit_check_proof(&claimed, &new, res.proof, res.nproof), SDB_OK);
	CU_ASSERT_EQUAL(sdb_audit_check_proof(&old, &new, res.proof, res.nproof),
	    SDB_ERR_ROOT_MISMATCH);

	/* The same size with another hash. */
	new = tree_of(&log_b, 500);
	CU_ASSERT_EQUAL(sdb_audit_consistency(&old, &new, 8, &src_b, &res, &eb), SDB_ERR_FORK);
	CU_ASSERT(strstr(eb.msg, "two different trees") != NULL);

	/* A stale tree that is not a prefix either. */
	old = tree_of(&log_a, 900);
	new = tree_of(&log_b, 400);
	{
		struct sdb_tile_source src_a = { ml_tiles, NULL, &log_a };
		CU_ASSERT_EQUAL(sdb_audit_consistency(&old, &new, 8, &src_a, &res, NULL), SDB_ERR_FORK);
	}
}

static void
test_forged_tiles(void)
{
	struct sdb_tile_source src_a = { ml_tiles, NULL, &log_a };
	struct sdb_tile_source src_b = { ml_tiles, NULL, &log_b };
	struct sdb_audit_result res;
	struct sdb_tree old, new;
	int lvl;

	build();
	old = tree_of(&log_a, 500);
	new = tree_of(&log_a, 1000);
	/* A forged tile at either level is a tile mismatch, never a fork. */
	for (lvl = 0; lvl <= 1; lvl++) {
		log_a.tamper_level = lvl;
		CU_ASSERT_EQUAL(sdb_audit_consistency(&old, &new, 8, &src_a, &res, NULL),
		    SDB_ERR_TILE_MISMATCH);
	}
	log_a.tamper_level = -1;
	CU_ASSERT_EQUAL(sdb_audit_consistency(&old, &new, 8, &src_a, &res, NULL), SDB_OK);
	/* Tiles of another tree (log B) under A's signed root. */
	CU_ASSERT_EQUAL(sdb_audit_consistency(&old, &new, 8, &src_b, &res, NULL),
	    SDB_ERR_TILE_MISMATCH);
	/* Sizes out of range. */
	new.n = -1;
	CU_ASSERT_EQUAL(sdb_audit_consistency(&old, &new, 8, &src_a, &res, NULL), SDB_ERR_RANGE);
	/* The empty tree must hash to zeros. */
	old.n = 0;
	new = tree_of(&log_a, 10);
	CU_ASSERT_EQUAL(sdb_audit_consistency(&old, &new, 8, &src_a, &res, NULL), SDB_ERR_FORK);
	memset(old.hash.b, 0, 32);
	CU_ASSERT_EQUAL(sdb_audit_consistency(&old, &new, 8, &src_a, &res, NULL), SDB_OK);
}

static void
test_data_tile(void)
{
	static struct sdb_span recs[256];
	static sdb_hash leaves[256];
	struct sdb_hash_reader r = { ml_read_hashes, &log_a };
	struct sdb_span in[256];
	struct sdb_errbuf eb;
	sdb_hash root, want;
	static struct sdb_record parsed[256];
	char *tile = NULL, *old = NULL;
	size_t len = 0, i, olen = 0;
	long bad = 0;

	build();
	for (i = 0; i < 256; i++) {
		in[i].p = log_a.text[256 + i];
		in[i].len = log_a.tlen[256 + i];
	}
	CU_ASSERT_FATAL(sdb_data_tile_format(in, 256, &tile, &len, NULL) == SDB_OK);
	CU_ASSERT_EQUAL(sdb_audit_data_tile(tile, len, 256, recs, NULL, leaves, &root, &bad,
	    &eb), SDB_OK);
	CU_ASSERT_EQUAL(bad, -1);
	CU_ASSERT_FATAL(ml_read_hashes(&log_a, (int64_t[]){ sdb_tlog_stored_hash_index(8, 1) }, 1,
	    &want) == SDB_OK);
	CU_ASSERT(memcmp(root.b, want.b, 32) == 0);
	CU_ASSERT(memcmp(leaves[3].b, log_a.stored[sdb_tlog_stored_hash_index(0, 259)].b, 32) == 0);
	(void)r;

	/* Twin: one record edited (still framed, no longer a go.sum record). */
	tile[0] = 'X';
	CU_ASSERT_EQUAL(sdb_audit_data_tile(tile, len, 256, recs, parsed, leaves, &root, &bad,
	    &eb), SDB_OK);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT(parsed[0].path.p == NULL && parsed[1].path.p == recs[1].p);
	CU_ASSERT(parsed[1].version.p > parsed[1].path.p);
	CU_ASSERT(memcmp(root.b, want.b, 32) != 0);
	tile[0] = 'e';

	/* Twin: the x/mod 0.7.0 form with id lines is named as such. */
	olen = len + 256 * 4;
	CU_ASSERT_FATAL((old = malloc(olen + 1)) != NULL);
	olen = 0;
	for (i = 0; i < 2; i++) {
		olen += (size_t)snprintf(old + olen, 16, "%zu\n", 256 + i);
		memcpy(old + olen, in[i].p, in[i].len);
		olen += in[i].len;
	}
	eb.msg[0] = '\0';
	CU_ASSERT_EQUAL(sdb_audit_data_tile(old, olen, 2, recs, NULL, leaves, &root, &bad,
	    &eb),
	    SDB_ERR_INVALID);
	CU_ASSERT(strstr(eb.msg, "0.7.0") != NULL);
	/* Twin: a width that does not match. */
	CU_ASSERT_EQUAL(sdb_audit_data_tile(tile, len, 255, recs, NULL, leaves, &root, &bad,
	    &eb),
	    SDB_ERR_INVALID);
	free(old);
	free(tile);
}

/* --- the state file ------------------------------------------------------ */

static struct sdb_note_signer *signer, *other_signer;
static struct sdb_note_verifier *verifier, *other_verifier;

static char *
sign_tree(const struct sdb_tree *t, const struct sdb_note_signer *s, size_t *len)
{
	char text[SDB_TREE_NOTE_MAX];
	size_t tl = 0;
	char *out = NULL;

	CU_ASSERT_FATAL(sdb_tree_note_format(text, &tl, t) == SDB_OK);
	CU_ASSERT_FATAL(sdb_note_sign(&out, len, text, tl, &s, 1, NULL) == SDB_OK);
	return out;
}

static void
keys(void)
{
	if (signer != NULL)
		return;
	CU_ASSERT_FATAL(sdb_note_signer_generate(&signer, "example.com/log", NULL) == SDB_OK);
	CU_ASSERT_FATAL(sdb_note_signer_verifier(signer, &verifier) == SDB_OK);
	CU_ASSERT_FATAL(sdb_note_signer_generate(&other_signer, "example.com/log", NULL) == SDB_OK);
	CU_ASSERT_FATAL(sdb_note_signer_verifier(other_signer, &other_verifier) == SDB_OK);
}

/* sdb_state_evidence_each's callback: the texts, '|' after each. */
struct ev_seen {
	int n;
	char texts[64];
};

static int
ev_collect(void *arg, int64_t time, const char *text, size_t len)
{
	struct ev_seen *e = arg;
	size_t have = strlen(e->texts);

	(void)time;
	if (have + len + 2 <= sizeof e->texts) {
		memcpy(e->texts + have, text, len);
		e->texts[have + len] = '|';
		e->texts[have + len + 1] = '\0';
	}
	e->n++;
	return 0;
}

/* A fresh state file name from the mkstemp template path: dbpath, which
 * does not exist. */
static void
state_tmp_path(char *path, char *dbpath, size_t size)
{
	int fd;

	CU_ASSERT_FATAL((fd = mkstemp(path)) >= 0);
	close(fd);
	unlink(path);
	snprintf(dbpath, size, "%s.db", path);
}

/* Removes path and SQLite's files beside it. */
static void
unlink_state(const char *path)
{
	char p2[96];

	unlink(path);
	snprintf(p2, sizeof p2, "%s-wal", path);
	unlink(p2);
	snprintf(p2, sizeof p2, "%s-shm", path);
	unlink(p2);
}

static void
test_state(void)
{
	char path[] = "/tmp/csumdb-test-state-XXXXXX";
	char dbpath[64];
	struct sdb_state *st = NULL;
	struct sdb_tree t, got;
	struct sdb_tile tile = { 8, 0, 3, 4 };
	struct sdb_errbuf eb;
	uint8_t data[8 * 32], buf[8 * 32];
	const uint8_t *dp[1];
	size_t len = 0, glen = 0;
	char *note, *gnote = NULL, *vk = NULL, *ovk = NULL;
	int64_t cnt = -1;
	struct sdb_state_dups dups = { 0, 0 };
	struct sdb_state_findings found = { 0, 0, 0 };
	struct sdb_tlog_frontier f, f2;

	build();
	keys();
	state_tmp_path(path, dbpath, sizeof dbpath);
	CU_ASSERT_FATAL(sdb_note_verifier_format(verifier, &vk) == SDB_OK);
	CU_ASSERT_FATAL(sdb_note_verifier_format(other_verifier, &ovk) == SDB_OK);

	CU_ASSERT_FATAL(sdb_state_open(&st, dbpath, vk, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_accepted(st, verifier, &got, &gnote, &glen, NULL), SDB_ERR_NOT_FOUND);
	t = tree_of(&log_a, 500);
	note = sign_tree(&t, signer, &len);
	CU_ASSERT_EQUAL(sdb_state_accept(st, &t, note, len, &eb), SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_accepted(st, verifier, &got, &gnote, &glen, &eb), SDB_OK);
	CU_ASSERT(got.n == 500 && memcmp(got.hash.b, t.hash.b, 32) == 0);
	CU_ASSERT(glen == len && gnote != NULL && memcmp(gnote, note, len) == 0);
	free(gnote);
	gnote = NULL;
	/* Twin: loaded with another key, the state does not verify. */
	CU_ASSERT_EQUAL(sdb_state_accepted(st, other_verifier, &got, NULL, NULL, &eb), SDB_ERR_INVALID);
	/* Twin: a note that is not the stored tree. */
	free(note);
	t.n = 501;
	note = sign_tree(&t, signer, &len);
	t.n = 500;
	CU_ASSERT_EQUAL(sdb_state_accept(st, &t, note, len, &eb), SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_accepted(st, verifier, &got, NULL, NULL, &eb), SDB_ERR_INVALID);
	CU_ASSERT(strstr(eb.msg, "does not match") != NULL);
	/* Twin: a bad signature (a flipped bit in the signature). */
	free(note);
	note = sign_tree(&t, signer, &len);
	note[len - 5] = note[len - 5] == 'A' ? 'B' : 'A';
	CU_ASSERT_EQUAL(sdb_state_accept(st, &t, note, len, &eb), SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_accepted(st, verifier, &got, NULL, NULL, &eb), SDB_ERR_INVALID);
	free(note);
	note = sign_tree(&t, signer, &len);
	CU_ASSERT_EQUAL(sdb_state_accept(st, &t, note, len, &eb), SDB_OK);

	/* Evidence: a text met again is kept once; listed oldest first. */
	CU_ASSERT_EQUAL(sdb_state_add_evidence(st, "proof", 5, &eb), SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_evidence_count(st, &cnt, &eb), SDB_OK);
	CU_ASSERT_EQUAL(cnt, 1);
	CU_ASSERT_EQUAL(sdb_state_add_evidence(st, "proof", 5, &eb), SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_add_evidence(st, "other", 5, &eb), SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_evidence_count(st, &cnt, &eb), SDB_OK);
	CU_ASSERT_EQUAL(cnt, 2);
	{
		struct ev_seen seen = { 0, "" };

		CU_ASSERT_EQUAL(sdb_state_evidence_each(st, ev_collect, &seen, &eb), SDB_OK);
		CU_ASSERT_EQUAL(seen.n, 2);
		CU_ASSERT_STRING_EQUAL(seen.texts, "proof|other|");
	}

	/* Tile cache: a prefix of a wider cached tile is served; a wider one is not. */
	memset(data, 7, sizeof data);
	dp[0] = data;
	CU_ASSERT_EQUAL(sdb_state_tiles_put(st, &tile, 1, dp, NULL, &eb), SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_tile_get(st, &tile, buf, 3 * 32), SDB_OK);
	CU_ASSERT(memcmp(buf, data, 3 * 32) == 0);
	CU_ASSERT_EQUAL(sdb_state_tile_get(st, &tile, buf, 5 * 32), SDB_ERR_NOT_FOUND);
	tile.w = 2; /* a narrower put never shrinks the cached tile */
	CU_ASSERT_EQUAL(sdb_state_tiles_put(st, &tile, 1, dp, NULL, &eb), SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_tile_get(st, &tile, buf, 4 * 32), SDB_OK);

	/* Full-audit progress with the duplicate index's lengths. */
	CU_ASSERT_EQUAL(sdb_state_full_get(st, &f, &dups, &found, &eb), SDB_ERR_NOT_FOUND);
	sdb_tlog_frontier_init(&f);
	CU_ASSERT_EQUAL(sdb_tlog_frontier_append(&f, &t.hash, NULL, NULL), SDB_OK);
	dups.merged = 1;
	dups.newlen = 4128;
	found.duplicates = 3;
	found.conflicts = 2;
	found.bad_records = 1;
	CU_ASSERT_EQUAL(sdb_state_full_put(st, &f, &dups, &found, &eb), SDB_OK);
	sdb_state_close(st);
	st = NULL;

	/* Reopen: everything durable; another key is refused. */
	CU_ASSERT_EQUAL(sdb_state_open(&st, dbpath, ovk, &eb), SDB_ERR_INVALID);
	CU_ASSERT_PTR_NULL(st);
	CU_ASSERT_FATAL(sdb_state_open(&st, dbpath, vk, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_accepted(st, verifier, &got, NULL, NULL, &eb), SDB_OK);
	memset(&dups, 0, sizeof dups);
	memset(&found, 0, sizeof found);
	CU_ASSERT_EQUAL(sdb_state_full_get(st, &f2, &dups, &found, &eb), SDB_OK);
	CU_ASSERT(f2.n == 1 && memcmp(f2.h, f.h, sizeof f.h) == 0);
	CU_ASSERT(dups.merged == 1 && dups.newlen == 4128);
	CU_ASSERT(found.duplicates == 3 && found.conflicts == 2 && found.bad_records == 1);
	sdb_state_close(st);

	/* Not a state file. */
	{
		FILE *fp;

		unlink_state(dbpath);
		fp = fopen(dbpath, "w");
		CU_ASSERT_FATAL(fp != NULL);
		fputs("this is not a database, just some text long enough to be a header....\n", fp);
		fclose(fp);
	}
	st = NULL;
	CU_ASSERT_NOT_EQUAL(sdb_state_open(&st, dbpath, vk, &eb), SDB_OK);
	CU_ASSERT_PTR_NULL(st);
	free(note);
	free(vk);
	free(ovk);
	unlink_state(dbpath);
}

/* Two sumdb runs on one state file: each read the accepted tree A; the
 * first accepts a tree of log a, the second must not then replace it with
 * a tree of log b that it checked only against A (a fork between the two
 * would never be seen). */
static void
test_state_accept_race(void)
{
	char path[] = "/tmp/csumdb-test-race-XXXXXX", dbpath[64], p2[80];
	struct sdb_state *s1 = NULL, *s2 = NULL;
	struct sdb_tree a, t1, t2, got;
	struct sdb_errbuf eb;
	char *na, *n1, *n2, *vk = NULL;
	size_t la = 0, l1 = 0, l2 = 0;

	build();
	keys();
	state_tmp_path(path, dbpath, sizeof dbpath);
	CU_ASSERT_FATAL(sdb_note_verifier_format(verifier, &vk) == SDB_OK);
	a = tree_of(&log_a, SHARED - 10);
	t1 = tree_of(&log_a, NREC);
	t2 = tree_of(&log_b, NREC - 1);
	na = sign_tree(&a, signer, &la);
	n1 = sign_tree(&t1, signer, &l1);
	n2 = sign_tree(&t2, signer, &l2);
	CU_ASSERT_FATAL(sdb_state_open(&s1, dbpath, vk, &eb) == SDB_OK);
	CU_ASSERT_FATAL(sdb_state_open(&s2, dbpath, vk, &eb) == SDB_OK);
	/* both first runs: only one may store its tree */
	CU_ASSERT_EQUAL(sdb_state_accepted(s1, verifier, &got, NULL, NULL, &eb), SDB_ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(sdb_state_accepted(s2, verifier, &got, NULL, NULL, &eb), SDB_ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(sdb_state_accept(s1, &a, na, la, &eb), SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_accept(s2, &t2, n2, l2, &eb), SDB_ERR_IO);
	/* both later runs checked against a */
	CU_ASSERT_EQUAL(sdb_state_accepted(s1, verifier, &got, NULL, NULL, &eb), SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_accepted(s2, verifier, &got, NULL, NULL, &eb), SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_accept(s1, &t1, n1, l1, &eb), SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_accept(s2, &t2, n2, l2, &eb), SDB_ERR_IO);
	CU_ASSERT(strstr(eb.msg, "changed") != NULL);
	CU_ASSERT_EQUAL(sdb_state_accepted(s2, verifier, &got, NULL, NULL, &eb), SDB_OK);
	CU_ASSERT(got.n == t1.n && memcmp(got.hash.b, t1.hash.b, 32) == 0);
	/* the run that wrote last goes on from its own tree */
	CU_ASSERT_EQUAL(sdb_state_accept(s1, &t1, n1, l1, &eb), SDB_OK);
	sdb_state_close(s1);
	sdb_state_close(s2);
	free(na);
	free(n1);
	free(n2);
	free(vk);
	unlink(dbpath);
	snprintf(p2, sizeof p2, "%s-wal", dbpath);
	unlink(p2);
	snprintf(p2, sizeof p2, "%s-shm", dbpath);
	unlink(p2);
}


/* A child of test_state_make_race: once start reads its end, opens the
 * state at dbpath for vk and stores t.  0 stored; 1 refused because the
 * state is another log's (the other child's, made first); 2 otherwise. */
static int
state_make_race_child(int start, const char *dbpath, const char *vk, const struct sdb_tree *t,
    const char *note, size_t len)
{
	struct sdb_state *st = NULL;
	struct sdb_errbuf eb = { { 0 } };
	char c;
	int err;

	if (read(start, &c, 1) != 0)
		return 2;
	err = sdb_state_open(&st, dbpath, vk, &eb);
	if (err == SDB_OK) {
		err = sdb_state_accept(st, t, note, len, &eb);
		sdb_state_close(st);
	}
	if (err == SDB_OK)
		return 0;
	return strstr(eb.msg, "belongs to another log") != NULL ? 1 : 2;
}

/*
 * Two first runs for different logs on one missing state file at once
 * (a nightly audit and a lookup --state, one of them misconfigured): one
 * makes the state and stores its tree, the other is refused as another
 * log's, and the state made stays, whichever order their steps take.
 * (The loser once removed the file the winner had made and was writing.)
 */
static void
test_state_make_race(void)
{
	char path[] = "/tmp/csumdb-test-mkrace-XXXXXX", dbpath[64];
	struct sdb_tree t = tree_of(&log_a, 300), got;
	struct sdb_state *st = NULL;
	struct sdb_errbuf eb;
	char *vk = NULL, *ovk = NULL, *notes[2];
	size_t lens[2] = { 0, 0 };
	int round, bad = 0;

	build();
	keys();
	state_tmp_path(path, dbpath, sizeof dbpath);
	CU_ASSERT_FATAL(sdb_note_verifier_format(verifier, &vk) == SDB_OK);
	CU_ASSERT_FATAL(sdb_note_verifier_format(other_verifier, &ovk) == SDB_OK);
	notes[0] = sign_tree(&t, signer, &lens[0]);
	notes[1] = sign_tree(&t, other_signer, &lens[1]);
	for (round = 0; round < 200 && bad == 0; round++) {
		const char *keys2[2] = { vk, ovk };
		pid_t pid[2];
		int p[2], st2[2], i, winner = -1;

		unlink_state(dbpath);
		CU_ASSERT_FATAL(pipe(p) == 0);
		fflush(NULL);
		for (i = 0; i < 2; i++) {
			pid[i] = fork();
			CU_ASSERT_FATAL(pid[i] >= 0);
			if (pid[i] == 0) {
				close(p[1]);
				_exit(state_make_race_child(p[0], dbpath, keys2[i], &t, notes[i],
				    lens[i]));
			}
		}
		close(p[0]);
		close(p[1]);   /* both start */
		for (i = 0; i < 2; i++) {
			CU_ASSERT_FATAL(waitpid(pid[i], &st2[i], 0) == pid[i]);
			st2[i] = WIFEXITED(st2[i]) ? WEXITSTATUS(st2[i]) : 100;
			if (st2[i] == 0)
				winner = i;
		}
		if (winner < 0 || st2[1 - winner] != 1) {
			fprintf(stderr, "make race, round %d: children exited %d and %d\n", round,
			    st2[0], st2[1]);
			bad++;
			continue;
		}
		eb.msg[0] = '\0';
		if (sdb_state_open(&st, dbpath, keys2[winner], &eb) != SDB_OK ||
		    sdb_state_accepted(st, winner == 0 ? verifier : other_verifier, &got, NULL, NULL,
		    &eb) != SDB_OK || got.n != t.n) {
			fprintf(stderr, "make race, round %d: the state made is gone or lost its "
			    "tree (%s)\n", round, eb.msg[0] != '\0' ? eb.msg : "no tree in it");
			bad++;
		}
		sdb_state_close(st);
		st = NULL;
	}
	CU_ASSERT_EQUAL(bad, 0);
	unlink_state(dbpath);
	free(notes[0]);
	free(notes[1]);
	free(vk);
	free(ovk);
}

/*
 * A state opened where there is no file makes none until it has something
 * to store: a run that checked nothing must not leave a file that holds
 * its key.  The first write makes it with every check of an open (twins:
 * an empty file, another key's state, another program's database that
 * appeared in the meantime are refused, and nothing is written to them).
 */
static void
test_state_lazy(void)
{
	char path[] = "/tmp/csumdb-test-lazy-XXXXXX", dbpath[64], nodir[96];
	struct sdb_state *st = NULL, *other = NULL;
	struct sdb_tile tile = { 8, 0, 3, 4 };
	struct sdb_tlog_frontier f;
	struct sdb_state_dups dups;
	struct sdb_state_findings found;
	struct sdb_tree t, got;
	struct sdb_errbuf eb;
	struct ev_seen seen = { 0, "" };
	struct stat sb;
	uint8_t buf[4 * 32];
	char *note, *vk = NULL, *ovk = NULL;
	size_t len = 0;
	int64_t cnt = -1;
	FILE *fp;

	build();
	keys();
	state_tmp_path(path, dbpath, sizeof dbpath);
	CU_ASSERT_FATAL(sdb_note_verifier_format(verifier, &vk) == SDB_OK);
	CU_ASSERT_FATAL(sdb_note_verifier_format(other_verifier, &ovk) == SDB_OK);
	t = tree_of(&log_a, 300);
	note = sign_tree(&t, signer, &len);

	/* opened and read: empty, and still no file */
	CU_ASSERT_FATAL(sdb_state_open(&st, dbpath, vk, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_accepted(st, verifier, &got, NULL, NULL, &eb), SDB_ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(sdb_state_evidence_count(st, &cnt, &eb), SDB_OK);
	CU_ASSERT_EQUAL(cnt, 0);
	CU_ASSERT_EQUAL(sdb_state_evidence_each(st, ev_collect, &seen, &eb), SDB_OK);
	CU_ASSERT_EQUAL(seen.n, 0);
	CU_ASSERT_EQUAL(sdb_state_tile_get(st, &tile, buf, sizeof buf), SDB_ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(sdb_state_full_get(st, &f, &dups, &found, &eb), SDB_ERR_NOT_FOUND);
	sdb_state_close(st);
	st = NULL;
	CU_ASSERT(stat(dbpath, &sb) != 0);

	/* the first write makes it, durably */
	CU_ASSERT_FATAL(sdb_state_open(&st, dbpath, vk, &eb) == SDB_OK);
	CU_ASSERT(stat(dbpath, &sb) != 0);
	CU_ASSERT_EQUAL(sdb_state_accepted(st, verifier, &got, NULL, NULL, &eb), SDB_ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(sdb_state_accept(st, &t, note, len, &eb), SDB_OK);
	CU_ASSERT(stat(dbpath, &sb) == 0 && sb.st_size > 0);
	sdb_state_close(st);
	st = NULL;
	CU_ASSERT_EQUAL(sdb_state_open(&st, dbpath, ovk, &eb), SDB_ERR_INVALID);
	CU_ASSERT_FATAL(sdb_state_open(&st, dbpath, vk, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_accepted(st, verifier, &got, NULL, NULL, &eb), SDB_OK);
	CU_ASSERT(got.n == 300 && memcmp(got.hash.b, t.hash.b, 32) == 0);
	sdb_state_close(st);
	st = NULL;
	unlink_state(dbpath);

	/* evidence alone makes it too */
	CU_ASSERT_FATAL(sdb_state_open(&st, dbpath, vk, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_add_evidence(st, "proof", 5, &eb), SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_evidence_count(st, &cnt, &eb), SDB_OK);
	CU_ASSERT_EQUAL(cnt, 1);
	sdb_state_close(st);
	st = NULL;
	CU_ASSERT(stat(dbpath, &sb) == 0);
	unlink_state(dbpath);

	/* Twin: another key's state made meanwhile is refused at the write */
	CU_ASSERT_FATAL(sdb_state_open(&st, dbpath, vk, &eb) == SDB_OK);
	CU_ASSERT_FATAL(sdb_state_open(&other, dbpath, ovk, &eb) == SDB_OK);
	CU_ASSERT_EQUAL(sdb_state_add_evidence(other, "theirs", 6, &eb), SDB_OK);
	sdb_state_close(other);
	CU_ASSERT_EQUAL(sdb_state_accepted(st, verifier, &got, NULL, NULL, &eb), SDB_ERR_NOT_FOUND);
	CU_ASSERT_EQUAL(sdb_state_accept(st, &t, note, len, &eb), SDB_ERR_INVALID);
	CU_ASSERT(strstr(eb.msg, "another log") != NULL);
	sdb_state_close(st);
	st = NULL;
	unlink_state(dbpath);

	/* Twin: an empty file made meanwhile (a copy cut short) is refused */
	CU_ASSERT_FATAL(sdb_state_open(&st, dbpath, vk, &eb) == SDB_OK);
	CU_ASSERT_FATAL((fp = fopen(dbpath, "w")) != NULL);
	fclose(fp);
	CU_ASSERT_EQUAL(sdb_state_add_evidence(st, "proof", 5, &eb), SDB_ERR_INVALID);
	CU_ASSERT(strstr(eb.msg, "empty") != NULL);
	CU_ASSERT(stat(dbpath, &sb) == 0 && sb.st_size == 0);
	sdb_state_close(st);
	st = NULL;
	unlink_state(dbpath);

	/* Twin: a directory that is not there is named at open, as before */
	snprintf(nodir, sizeof nodir, "%s/no/such/dir.state", path);
	CU_ASSERT_EQUAL(sdb_state_open(&st, nodir, vk, &eb), SDB_ERR_IO);
	CU_ASSERT_PTR_NULL(st);
	CU_ASSERT(strstr(eb.msg, "directory") != NULL);

	free(note);
	free(vk);
	free(ovk);
}

/* Collects the pairs the duplicate index reports. */
struct pairs {
	int n;
	int64_t a[8], b[8];
};

static int
collect_pair(void *arg, const struct sdb_dupidx_entry *first, const struct sdb_dupidx_entry *again)
{
	struct pairs *p = arg;

	if (p->n < 8) {
		p->a[p->n] = sdb_dupidx_entry_id(first);
		p->b[p->n] = sdb_dupidx_entry_id(again);
	}
	p->n++;
	return SDB_OK;
}

/* Adds the entry of "m<k> v1.0.0" as record id. */
static void
add_entry(struct sdb_dupidx *d, int k, int64_t id)
{
	struct sdb_dupidx_entry e;
	struct sdb_errbuf eb;
	char pv[32];
	int n = snprintf(pv, sizeof pv, "m%d v1.0.0", k);

	sdb_dupidx_entry_make(&e, pv, (size_t)n, id);
	CU_ASSERT_EQUAL(sdb_dupidx_entry_id(&e), id);
	CU_ASSERT_EQUAL(sdb_dupidx_add(d, &e, &eb), SDB_OK);
}

/* One thread's sorts for test_dupidx_sort_threads: sorted stays 1 when
 * every sort gave a sorted array. */
struct sort_job {
	struct sdb_dupidx_entry *a, *tmp;
	size_t n;
	int seed, sorted;
	pthread_barrier_t *go;
};

static void *
sort_job_run(void *arg)
{
	struct sort_job *j = arg;
	size_t i;
	int round;

	j->sorted = 1;
	for (round = 0; round < 20; round++) {
		for (i = 0; i < j->n; i++) {
			char pv[48];
			int k = snprintf(pv, sizeof pv, "t%d r%d m%zu v1", j->seed, round, i);

			sdb_dupidx_entry_make(&j->a[i], pv, (size_t)k, (int64_t)i);
		}
		/* both threads sort at the same moment */
		pthread_barrier_wait(j->go);
		sdb_dupidx_sort(j->a, j->n, j->tmp);
		for (i = 1; i < j->n; i++)
			if (j->a[i].hi < j->a[i - 1].hi ||
			    (j->a[i].hi == j->a[i - 1].hi && j->a[i].lo <= j->a[i - 1].lo))
				j->sorted = 0;
	}
	return NULL;
}

/* Two threads sorting at once each get a sorted array (the bucket counts
 * were once one static array). */
static void
test_dupidx_sort_threads(void)
{
	pthread_barrier_t go;
	struct sort_job j[2];
	pthread_t th[2];
	int k;

	CU_ASSERT_FATAL(pthread_barrier_init(&go, NULL, 2) == 0);
	for (k = 0; k < 2; k++) {
		j[k].n = 50000;
		j[k].seed = k;
		j[k].go = &go;
		j[k].a = malloc(j[k].n * sizeof *j[k].a);
		j[k].tmp = malloc(j[k].n * sizeof *j[k].tmp);
		CU_ASSERT_FATAL(j[k].a != NULL && j[k].tmp != NULL);
	}
	for (k = 0; k < 2; k++)
		CU_ASSERT_FATAL(pthread_create(&th[k], NULL, sort_job_run, &j[k]) == 0);
	for (k = 0; k < 2; k++) {
		pthread_join(th[k], NULL);
		CU_ASSERT(j[k].sorted);
		free(j[k].a);
		free(j[k].tmp);
	}
	pthread_barrier_destroy(&go);
}

/* One lazy merge (at most 2 runs kept) from new_from: it compacts or
 * not as want_compacted says and reports exactly the pair (a, b). */
static void
lazy_merge_one_pair(struct sdb_dupidx *d, int64_t new_from, int want_compacted, int64_t a,
    int64_t b)
{
	struct sdb_errbuf eb;
	struct pairs pr;
	int compacted = -1;

	memset(&pr, 0, sizeof pr);
	CU_ASSERT_EQUAL(sdb_dupidx_merge_lazy(d, new_from, 2, collect_pair, &pr, &compacted, &eb),
	    SDB_OK);
	CU_ASSERT_EQUAL(compacted, want_compacted);
	CU_ASSERT(pr.n == 1 && pr.a[0] == a && pr.b[0] == b);
}

/* The lazy merge: the first merge makes the set; later, a few runs are
 * only read (nothing written, the runs kept for the next merge), more than
 * max_runs are merged into the set, and what was merged still pairs with
 * what comes later. */
static void
test_dupidx_lazy(void)
{
	char dir[] = "/tmp/csumdb-test-dupidx-XXXXXX", sp[80], set[96], nw[96];
	struct sdb_dupidx *d = NULL;
	struct sdb_errbuf eb;
	struct stat sb;
	int64_t len = -1;
	int i;

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(sp, sizeof sp, "%s/state", dir);
	snprintf(set, sizeof set, "%s-dups", sp);
	snprintf(nw, sizeof nw, "%s-dups.new", sp);

	/* two runs, 0..4 and 5 (5 repeats m0), and no set yet: merged into
	 * a new set, so that a merged state always has one */
	CU_ASSERT_FATAL(sdb_dupidx_open(&d, sp, 0, 0, 1, &eb) == SDB_OK);
	for (i = 0; i < 5; i++)
		add_entry(d, i, i);
	CU_ASSERT_EQUAL(sdb_dupidx_flush(d, &len, &eb), SDB_OK);
	add_entry(d, 0, 5);
	CU_ASSERT_EQUAL(sdb_dupidx_flush(d, &len, &eb), SDB_OK);
	lazy_merge_one_pair(d, 0, 1, 0, 5);
	CU_ASSERT(stat(set, &sb) == 0 && sb.st_size == 16 + 6 * 16);
	CU_ASSERT_EQUAL(sdb_dupidx_clear_new(d, &eb), SDB_OK);
	sdb_dupidx_close(d);

	/* one run beside the set: read, not merged; the set not rewritten */
	CU_ASSERT_FATAL(sdb_dupidx_open(&d, sp, 0, 6, 0, &eb) == SDB_OK);
	len = -1;
	add_entry(d, 1, 6);
	CU_ASSERT_EQUAL(sdb_dupidx_flush(d, &len, &eb), SDB_OK);
	lazy_merge_one_pair(d, 6, 0, 1, 6);
	CU_ASSERT(stat(set, &sb) == 0 && sb.st_size == 16 + 6 * 16);
	CU_ASSERT(stat(nw, &sb) == 0 && sb.st_size == len);
	sdb_dupidx_close(d);

	/* two runs more, three in all: merged into the set; only the new
	 * pair is reported */
	CU_ASSERT_FATAL(sdb_dupidx_open(&d, sp, len, 7, 0, &eb) == SDB_OK);
	add_entry(d, 2, 7);
	CU_ASSERT_EQUAL(sdb_dupidx_flush(d, &len, &eb), SDB_OK);
	add_entry(d, 10, 8);
	CU_ASSERT_EQUAL(sdb_dupidx_flush(d, &len, &eb), SDB_OK);
	lazy_merge_one_pair(d, 7, 1, 2, 7);
	CU_ASSERT(stat(set, &sb) == 0 && sb.st_size == 16 + 9 * 16);
	CU_ASSERT_EQUAL(sdb_dupidx_clear_new(d, &eb), SDB_OK);
	sdb_dupidx_close(d);

	/* the set alone pairs with a later record, and is not rewritten */
	CU_ASSERT_FATAL(sdb_dupidx_open(&d, sp, 0, 9, 0, &eb) == SDB_OK);
	add_entry(d, 4, 9);
	lazy_merge_one_pair(d, 9, 0, 4, 9);
	CU_ASSERT(stat(set, &sb) == 0 && sb.st_size == 16 + 9 * 16);
	sdb_dupidx_close(d);

	/* a merged state whose set is gone is told apart from one whose
	 * records have no entries (invalid records have none) */
	CU_ASSERT_EQUAL(sdb_dupidx_open(&d, sp, 0, 12, 0, &eb), SDB_OK);
	sdb_dupidx_close(d);
	CU_ASSERT_EQUAL(unlink(set), 0);
	CU_ASSERT_EQUAL(sdb_dupidx_open(&d, sp, 0, 9, 0, &eb), SDB_ERR_NOT_FOUND);
	CU_ASSERT_PTR_NULL(d);

	unlink(set);
	unlink(nw);
	rmdir(dir);
}

static void
test_dupidx(void)
{
	char dir[] = "/tmp/csumdb-test-dupidx-XXXXXX", sp[80], p2[96];
	struct sdb_dupidx_entry *a, *tmp;
	struct sdb_dupidx *d = NULL;
	struct sdb_errbuf eb;
	struct pairs pr;
	int64_t len = -1, len2 = -1;
	size_t i, n = 100000;
	int ok = 1;

	/* The sort: (hi, lo) order, whatever the input order. */
	a = malloc(n * sizeof *a);
	tmp = malloc(n * sizeof *tmp);
	CU_ASSERT_FATAL(a != NULL && tmp != NULL);
	for (i = 0; i < n; i++) {
		char pv[32];
		int k = snprintf(pv, sizeof pv, "x%zu v1", i % 70000);

		sdb_dupidx_entry_make(&a[i], pv, (size_t)k, (int64_t)(n - i));
	}
	sdb_dupidx_sort(a, n, tmp);
	for (i = 1; i < n; i++)
		if (a[i].hi < a[i - 1].hi || (a[i].hi == a[i - 1].hi && a[i].lo <= a[i - 1].lo))
			ok = 0;
	CU_ASSERT(ok);
	free(a);
	free(tmp);

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(sp, sizeof sp, "%s/state", dir);

	/* Run 1: one committed run (records 0..4), then records 5..6 lost to
	 * a crash before their commit. */
	CU_ASSERT_FATAL(sdb_dupidx_open(&d, sp, 0, 0, 1, &eb) == SDB_OK);
	for (i = 0; i < 5; i++)
		add_entry(d, (int)i, (int64_t)i);
	CU_ASSERT_EQUAL(sdb_dupidx_flush(d, &len, &eb), SDB_OK);
	CU_ASSERT_EQUAL(len, 16 + 5 * 16);
	add_entry(d, 0, 5);
	CU_ASSERT_EQUAL(sdb_dupidx_flush(d, &len2, &eb), SDB_OK);
	sdb_dupidx_close(d);

	/* Run 2 resumes from the committed length: record 5 is gone; it adds
	 * 5..9 (5 and 7 repeat m0 and m1; record 3 is seen again, as a
	 * resumed run does) and merges. */
	CU_ASSERT_FATAL(sdb_dupidx_open(&d, sp, len, 0, 0, &eb) == SDB_OK);
	add_entry(d, 0, 5);
	add_entry(d, 10, 6);
	CU_ASSERT_EQUAL(sdb_dupidx_flush(d, &len2, &eb), SDB_OK);
	add_entry(d, 1, 7);
	add_entry(d, 3, 3);
	memset(&pr, 0, sizeof pr);
	CU_ASSERT_EQUAL(sdb_dupidx_merge(d, 0, collect_pair, &pr, &eb), SDB_OK);
	CU_ASSERT_EQUAL(pr.n, 2);
	CU_ASSERT((pr.a[0] == 0 && pr.b[0] == 5 && pr.a[1] == 1 && pr.b[1] == 7) ||
	    (pr.a[0] == 1 && pr.b[0] == 7 && pr.a[1] == 0 && pr.b[1] == 5));
	CU_ASSERT_EQUAL(sdb_dupidx_clear_new(d, &eb), SDB_OK);
	sdb_dupidx_close(d);

	/* Run 3 (merged up to 8): only pairs with a new record count; a merge
	 * replayed (a crash before the state said "merged up to 10") reports
	 * them again, and keeps record 8 once. */
	CU_ASSERT_FATAL(sdb_dupidx_open(&d, sp, 0, 0, 0, &eb) == SDB_OK);
	add_entry(d, 2, 8);
	add_entry(d, 0, 9);
	memset(&pr, 0, sizeof pr);
	CU_ASSERT_EQUAL(sdb_dupidx_merge(d, 8, collect_pair, &pr, &eb), SDB_OK);
	CU_ASSERT_EQUAL(pr.n, 2);
	sdb_dupidx_close(d);
	CU_ASSERT_FATAL(sdb_dupidx_open(&d, sp, 0, 0, 0, &eb) == SDB_OK);
	add_entry(d, 2, 8);
	memset(&pr, 0, sizeof pr);
	CU_ASSERT_EQUAL(sdb_dupidx_merge(d, 8, collect_pair, &pr, &eb), SDB_OK);
	CU_ASSERT_EQUAL(pr.n, 2);
	sdb_dupidx_close(d);

	/* A state that claims more than the files hold is refused: the runs
	 * file shorter than it says, or the merged set gone. */
	CU_ASSERT_EQUAL(sdb_dupidx_open(&d, sp, 4096, 0, 0, &eb), SDB_ERR_NOT_FOUND);
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT_FATAL(sdb_dupidx_open(&d, sp, 0, 9, 0, &eb) == SDB_OK);
	sdb_dupidx_close(d);
	snprintf(p2, sizeof p2, "%s-dups", sp);
	CU_ASSERT(unlink(p2) == 0);
	CU_ASSERT_EQUAL(sdb_dupidx_open(&d, sp, 0, 9, 0, &eb), SDB_ERR_NOT_FOUND);
	CU_ASSERT_PTR_NULL(d);
	CU_ASSERT(strstr(eb.msg, "is missing") != NULL);
	CU_ASSERT_FATAL(sdb_dupidx_open(&d, sp, 0, 0, 0, &eb) == SDB_OK);
	sdb_dupidx_close(d);

	snprintf(p2, sizeof p2, "%s-dups", sp);
	unlink(p2);
	snprintf(p2, sizeof p2, "%s-dups.new", sp);
	unlink(p2);
	rmdir(dir);
}

static void
cleanup_keys(void)
{
	sdb_note_signer_free(signer);
	sdb_note_signer_free(other_signer);
	sdb_note_verifier_free(verifier);
	sdb_note_verifier_free(other_verifier);
	signer = other_signer = NULL;
	verifier = other_verifier = NULL;
}

/*
 * The first write of a state that finds the disk full (RLIMIT_FSIZE, in a
 * child so that the limit stays there) leaves no file: an empty one
 * would be refused as damaged by every later run.  With room again the
 * next write makes it.  Returns 0 when all held.
 */
static int
state_full_disk_child(const char *dbpath, const char *vk)
{
	struct sdb_state *st = NULL;
	struct sdb_errbuf eb;
	struct sdb_tree t, got;
	struct rlimit rl, saved;
	struct stat sb;
	char *note, pat[96];
	glob_t g;
	size_t len = 0;

	signal(SIGXFSZ, SIG_IGN);   /* a failing write, not a killed process */
	t = tree_of(&log_a, 300);
	note = sign_tree(&t, signer, &len);
	if (sdb_state_open(&st, dbpath, vk, &eb) != SDB_OK)
		return 10;
	if (getrlimit(RLIMIT_FSIZE, &saved) != 0)
		return 11;
	rl = saved;
	rl.rlim_cur = 0;
	if (setrlimit(RLIMIT_FSIZE, &rl) != 0)
		return 12;
	if (sdb_state_accept(st, &t, note, len, &eb) == SDB_OK)
		return 13;
	if (stat(dbpath, &sb) == 0)
		return 14;   /* left behind */
	snprintf(pat, sizeof pat, "%s.new-*", dbpath);
	if (glob(pat, 0, NULL, &g) != GLOB_NOMATCH)
		return 18;   /* the file it was being made in, left behind */
	if (setrlimit(RLIMIT_FSIZE, &saved) != 0)
		return 15;
	if (sdb_state_accept(st, &t, note, len, &eb) != SDB_OK)
		return 16;
	sdb_state_close(st);
	st = NULL;
	if (sdb_state_open(&st, dbpath, vk, &eb) != SDB_OK ||
	    sdb_state_accepted(st, verifier, &got, NULL, NULL, &eb) != SDB_OK || got.n != 300)
		return 17;
	sdb_state_close(st);
	free(note);
	return 0;
}

static void
test_state_full_disk(void)
{
	char path[] = "/tmp/csumdb-test-full-XXXXXX", dbpath[64];
	char *vk = NULL;
	pid_t pid;
	int st = 0;

	build();
	keys();
	state_tmp_path(path, dbpath, sizeof dbpath);
	CU_ASSERT_FATAL(sdb_note_verifier_format(verifier, &vk) == SDB_OK);
	fflush(NULL);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0)
		_exit(state_full_disk_child(dbpath, vk));
	CU_ASSERT_FATAL(waitpid(pid, &st, 0) == pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fprintf(stderr, "full-disk child: status %d\n", st);
	CU_ASSERT(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	unlink_state(dbpath);
	free(vk);
}

void
unit_register(void)
{
	static const struct unit_test tests[] = {
		{ "consistent", test_consistent },
		{ "fork", test_fork },
		{ "forged_tiles", test_forged_tiles },
		{ "data_tile", test_data_tile },
		{ "state", test_state },
		{ "state_accept_race", test_state_accept_race },
		{ "state_make_race", test_state_make_race },
		{ "state_lazy", test_state_lazy },
		{ "state_full_disk", test_state_full_disk },
		{ "dupidx", test_dupidx },
		{ "dupidx_lazy", test_dupidx_lazy },
		{ "dupidx_sort_threads", test_dupidx_sort_threads },
		{ "cleanup", cleanup_keys },
		{ NULL, NULL },
	};
	unit_suite("audit", tests);
}
