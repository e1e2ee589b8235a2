/*
 * The directory of a fuzz target that reads files (fuzz.h).
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz.h"

void
sdb_fuzz_dir_make(char *dir, size_t cap)
{
	const char *tmp = getenv("TMPDIR");

	if ((size_t)snprintf(dir, cap, "%s/csumdb-fuzz-XXXXXX",
	    tmp != NULL && *tmp ? tmp : "/tmp") >= cap || mkdtemp(dir) == NULL) {
		dir[0] = '\0';
		__builtin_trap();
	}
}

void
sdb_fuzz_dir_empty(const char *dir, int remove_dir)
{
	DIR *d;
	struct dirent *e;
	char p[8400];

	if (dir[0] == '\0' || (d = opendir(dir)) == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
		(void)unlink(p);
	}
	closedir(d);
	if (remove_dir)
		(void)rmdir(dir);
}
