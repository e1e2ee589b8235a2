/*
 * Replays committed fuzz corpora through the fuzz targets, as SQLite's
 * fuzzcheck does, so every input that ever found a bug is run by
 * `make check` under the sanitizer build.
 *
 *     replay NAME FILE-OR-DIR...
 *
 * Exits 0 when every input ran, 1 on usage or I/O errors.  A crash or a
 * sanitizer report ends the process, which the test harness sees.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#define SDB_FUZZ(name) int sdb_fuzz_##name(const uint8_t *data, size_t size);
#include "targets.h"
#undef SDB_FUZZ

struct target {
	const char *name;
	int (*fn)(const uint8_t *, size_t);
};

static const struct target targets[] = {
#define SDB_FUZZ(name) { #name, sdb_fuzz_##name },
#include "targets.h"
#undef SDB_FUZZ
};

#define REPLAY_MAX_INPUT (4 * 1024 * 1024)

static int
run_file(const struct target *t, const char *path, long *count)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	buf = malloc(REPLAY_MAX_INPUT);
	if (buf == NULL) {
		fclose(f);
		fprintf(stderr, "replay: out of memory\n");
		return -1;
	}
	n = fread(buf, 1, REPLAY_MAX_INPUT, f);
	if (ferror(f)) {
		fprintf(stderr, "replay: %s: read error\n", path);
		free(buf);
		fclose(f);
		return -1;
	}
	fclose(f);
	/* Hand the target an exact-size copy so ASan sees reads past the end. */
	{
		uint8_t *exact = malloc(n ? n : 1);
		if (exact == NULL) {
			free(buf);
			return -1;
		}
		memcpy(exact, buf, n);
		free(buf);
		t->fn(exact, n);
		free(exact);
	}
	(*count)++;
	return 0;
}

static int
run_path(const struct target *t, const char *path, long *count)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	int rc = 0;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return run_file(t, path, count);
	d = opendir(path);
	if (d == NULL) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		char sub[4096];
		if (e->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(sub, sizeof sub, "%s/%s", path, e->d_name) >= sizeof sub) {
			rc = -1;
			continue;
		}
		if (run_path(t, sub, count) != 0)
			rc = -1;
	}
	closedir(d);
	return rc;
}

int
main(int argc, char **argv)
{
	const struct target *t = NULL;
	size_t i;
	long count = 0;
	int rc = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: replay NAME FILE-OR-DIR...\ntargets:");
		for (i = 0; i < sizeof targets / sizeof targets[0]; i++)
			fprintf(stderr, " %s", targets[i].name);
		fprintf(stderr, "\n");
		return 1;
	}
	for (i = 0; i < sizeof targets / sizeof targets[0]; i++)
		if (strcmp(targets[i].name, argv[1]) == 0)
			t = &targets[i];
	if (t == NULL) {
		fprintf(stderr, "replay: no fuzz target named %s\n", argv[1]);
		return 1;
	}
	for (i = 2; i < (size_t)argc; i++)
		if (run_path(t, argv[i], &count) != 0)
			rc = 1;
	printf("replay %s: %ld inputs\n", t->name, count);
	if (count == 0) {
		fprintf(stderr, "replay %s: no inputs found\n", t->name);
		rc = 1;
	}
	return rc;
}
