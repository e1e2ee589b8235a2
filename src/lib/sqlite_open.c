/* Opening an SQLite database by file name (sqlite_open.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sqlite_open.h"

int
sdb_sqlite_open(const char *path, int flags, sqlite3 **db)
{
	size_t n = strlen(path);
	char *rel;
	int rc;

	*db = NULL;
	if (path[0] == '/')
		return sqlite3_open_v2(path, db, flags & ~SQLITE_OPEN_URI, NULL);
	if ((rel = malloc(n + 3)) == NULL)
		return SQLITE_NOMEM;
	memcpy(rel, "./", 2);
	memcpy(rel + 2, path, n + 1);
	rc = sqlite3_open_v2(rel, db, flags & ~SQLITE_OPEN_URI, NULL);
	free(rel);
	return rc;
}
