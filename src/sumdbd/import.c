/*
 * go.sum lines to records (import.h): the one place that decides what an
 * import takes, offline and through a running server.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csumdb/record.h"
#include "import.h"

struct item {
	const struct sdb_gosum_entry *e;
	const char *file;
	size_t seq;             /* input order */
};

/* One module version to record. */
struct version {
	const struct item *h1, *gomod;
	size_t first;           /* input order of its first line */
	char *text;
	size_t text_len;
};

static int
item_cmp(const void *a, const void *b)
{
	const struct item *x = a, *y = b;
	int c = strcmp(x->e->path, y->e->path);

	if (c == 0)
		c = strcmp(x->e->version, y->e->version);
	if (c == 0)
		c = x->e->is_gomod - y->e->is_gomod;
	if (c == 0)
		c = x->seq < y->seq ? -1 : x->seq > y->seq;
	return c;
}

static int
version_cmp(const void *a, const void *b)
{
	const struct version *x = a, *y = b;

	return x->first < y->first ? -1 : x->first > y->first;
}

static void
report(struct sdbd_import *im, sdbd_import_problem_fn problem, void *arg, const struct item *it,
    const char *msg)
{
	im->problems++;
	if (problem != NULL)
		problem(arg, it->file, it->e->line, msg);
}

int
sdbd_import_group(struct sdbd_import *im, struct sdb_gosum *const *sums,
    const char *const *names, size_t nsums, int skip_gomod_only, sdbd_import_problem_fn problem,
    void *arg, struct sdb_errbuf *eb)
{
	struct item *items = NULL;
	struct version *vers = NULL;
	size_t nitems = 0, nvers = 0, i, j, k;
	char msg[1200];
	int rc = SDB_ERR_NOMEM;

	memset(im, 0, sizeof *im);
	for (k = 0; k < nsums; k++)
		nitems += sums[k]->n;
	items = calloc(nitems + 1, sizeof *items);
	if (items == NULL)
		goto out;
	nitems = 0;
	for (k = 0; k < nsums; k++) {
		for (j = 0; j < sums[k]->n; j++) {
			if (sums[k]->entries[j].alg != 1) {
				im->ignored_lines++;
				continue;
			}
			items[nitems].e = &sums[k]->entries[j];
			items[nitems].file = names[k];
			items[nitems].seq = nitems;
			nitems++;
		}
	}
	qsort(items, nitems, sizeof *items, item_cmp);

	vers = calloc(nitems + 1, sizeof *vers);
	if (vers == NULL)
		goto out;
	for (i = 0; i < nitems; i = j) {
		struct version *v = &vers[nvers];

		memset(v, 0, sizeof *v);
		v->first = items[i].seq;
		for (j = i; j < nitems && strcmp(items[j].e->path, items[i].e->path) == 0 &&
		    strcmp(items[j].e->version, items[i].e->version) == 0; j++) {
			const struct item **slot = items[j].e->is_gomod ? &v->gomod : &v->h1;

			if (items[j].seq < v->first)
				v->first = items[j].seq;
			if (*slot == NULL) {
				*slot = &items[j];
			} else if (memcmp((*slot)->e->h1.b, items[j].e->h1.b, SDB_HASH_SIZE) != 0) {
				snprintf(msg, sizeof msg, "%s %s%s has two different hashes (also %s:%lld)",
				    items[j].e->path, items[j].e->version,
				    items[j].e->is_gomod ? "/go.mod" : "", (*slot)->file,
				    (long long)(*slot)->e->line);
				report(im, problem, arg, &items[j], msg);
			}
		}
		if (v->h1 == NULL && skip_gomod_only) {
			im->skipped_gomod_only++;
			continue;
		}
		if (v->h1 == NULL || v->gomod == NULL) {
			snprintf(msg, sizeof msg, "%s %s has no %s line; a record needs both the h1: and "
			    "the /go.mod h1: line%s", items[i].e->path, items[i].e->version,
			    v->h1 == NULL ? "h1: (module zip)" : "/go.mod h1:",
			    v->h1 == NULL ? " (go.sum keeps only the /go.mod line of modules needed "
			    "for their go.mod alone: --skip-gomod-only skips those)" : "");
			report(im, problem, arg, v->h1 != NULL ? v->h1 : v->gomod, msg);
			continue;
		}
		rc = sdb_record_format(v->h1->e->path, v->h1->e->path_len, v->h1->e->version,
		    v->h1->e->version_len, &v->h1->e->h1, &v->gomod->e->h1, &v->text,
		    &v->text_len, eb);
		if (rc == SDB_ERR_NOMEM)
			goto out;
		if (rc != SDB_OK) {
			report(im, problem, arg, v->h1, sdb_errmsg(eb, rc));
			continue;
		}
		nvers++;
	}
	rc = SDB_OK;
	if (im->problems > 0)
		goto out;
	qsort(vers, nvers, sizeof *vers, version_cmp);
	im->recs = calloc(nvers + 1, sizeof *im->recs);
	im->texts_ = calloc(nvers + 1, sizeof *im->texts_);
	if (im->recs == NULL || im->texts_ == NULL) {
		rc = sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < nvers; i++) {
		const struct sdb_gosum_entry *e = vers[i].h1->e;

		im->recs[i].path = e->path;
		im->recs[i].path_len = e->path_len;
		im->recs[i].version = e->version;
		im->recs[i].version_len = e->version_len;
		im->recs[i].text = vers[i].text;
		im->recs[i].text_len = vers[i].text_len;
		im->texts_[i] = vers[i].text;
		vers[i].text = NULL;
	}
	im->n = nvers;
out:
	if (rc == SDB_ERR_NOMEM)
		rc = sdb_errf(eb, SDB_ERR_NOMEM, "out of memory");
	for (i = 0; vers != NULL && i < nvers; i++)
		free(vers[i].text);
	free(vers);
	free(items);
	return rc;
}

void
sdbd_import_free(struct sdbd_import *im)
{
	size_t i;

	if (im == NULL)
		return;
	for (i = 0; im->texts_ != NULL && i < im->n; i++)
		free(im->texts_[i]);
	free(im->texts_);
	free(im->recs);
	memset(im, 0, sizeof *im);
}
