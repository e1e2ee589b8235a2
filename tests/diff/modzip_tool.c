/*
 * Test driver for src/lib/modzip.c and dirhash.c, used by the shell tests
 * (tests/diff/dirhash.sh, tests/e2e/modzip.sh):
 *
 *   modzip_tool zip ZIPFILE PATH VERSION [MAX_TOTAL]
 *       prints "h1:..." (exit 0) or "error CODE: MESSAGE" (exit 1)
 *   modzip_tool zips
 *       reads "ZIPFILE<TAB>PATH<TAB>VERSION[<TAB>MAX_TOTAL]" lines from
 *       stdin and prints one line for each: "h1:..." or
 *       "err<TAB>CODE: MESSAGE" (tests/diff/modzip.sh)
 *   modzip_tool gomod FILE
 *       prints the go.mod h1 of FILE's bytes
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csumdb/dirhash.h"
#include "csumdb/modzip.h"
#include "csumdb/record.h"
#include "crypto.h"

/* One "ZIPFILE\tPATH\tVERSION[\tMAX_TOTAL]" line per case on stdin, one
 * answer each. */
static int
zips(void)
{
	char line[8192];

	while (fgets(line, sizeof line, stdin) != NULL) {
		char *p, *v, *m, *end = strchr(line, '\n');
		struct sdb_modzip_limits lim;
		struct sdb_errbuf eb;
		char out[SDB_H1_LEN + 1];
		sdb_hash h;
		int rc;

		if (end == NULL || (p = strchr(line, '\t')) == NULL ||
		    (v = strchr(p + 1, '\t')) == NULL) {
			fprintf(stderr, "modzip_tool: want ZIPFILE<TAB>PATH<TAB>VERSION lines\n");
			return 2;
		}
		*end = *p++ = *v++ = '\0';
		memset(&lim, 0, sizeof lim);
		if ((m = strchr(v, '\t')) != NULL) {
			*m++ = '\0';
			lim.max_total = strtoull(m, NULL, 10);
		}
		eb.msg[0] = '\0';
		rc = sdb_modzip_hash_file(line, p, strlen(p), v, strlen(v), &lim, &h, &eb);
		if (rc != SDB_OK) {
			printf("err\t%d: %s\n", rc, sdb_errmsg(&eb, rc));
			continue;
		}
		sdb_h1_format(out, &h);
		printf("%s\n", out);
	}
	return ferror(stdin) ? 2 : 0;
}

int
main(int argc, char **argv)
{
	struct sdb_errbuf eb;
	char out[SDB_H1_LEN + 1];
	sdb_hash h;
	int rc;

	if (sdb_crypto_init() != SDB_OK)
		return 2;
	if (argc >= 5 && strcmp(argv[1], "zip") == 0) {
		struct sdb_modzip_limits lim;

		memset(&lim, 0, sizeof lim);
		if (argc > 5)
			lim.max_total = strtoull(argv[5], NULL, 10);
		eb.msg[0] = '\0';
		rc = sdb_modzip_hash_file(argv[2], argv[3], strlen(argv[3]), argv[4],
		    strlen(argv[4]), &lim, &h, &eb);
		if (rc != SDB_OK) {
			printf("error %d: %s\n", rc, sdb_errmsg(&eb, rc));
			return 1;
		}
	} else if (argc == 2 && strcmp(argv[1], "zips") == 0) {
		return zips();
	} else if (argc == 3 && strcmp(argv[1], "gomod") == 0) {
		FILE *f = fopen(argv[2], "rb");
		static uint8_t buf[16 << 20];
		size_t n;

		if (f == NULL)
			return 2;
		n = fread(buf, 1, sizeof buf, f);
		fclose(f);
		sdb_dirhash_gomod(buf, n, &h);
	} else {
		fprintf(stderr, "usage: modzip_tool zip ZIP PATH VERSION [MAX_TOTAL] | zips | gomod FILE\n");
		return 2;
	}
	sdb_h1_format(out, &h);
	printf("%s\n", out);
	return 0;
}
