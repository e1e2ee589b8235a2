/*
 * Opening an SQLite database by file name, for the two SQLite adapters
 * (store_sqlite.c, state_sqlite.c).
 */
#ifndef CSUMDB_SQLITE_OPEN_H
#define CSUMDB_SQLITE_OPEN_H

#include <sqlite3.h>

/*
 * sqlite3_open_v2 on path as a file name only.  Debian's SQLite is built
 * with URI names on, so "file:x?mode=memory" would open a database in
 * memory, and ":memory:" or "" always does: a state or log that vanishes
 * at exit.  A relative path is opened as "./path", which SQLite takes
 * literally.  path must not be empty (the caller says so in its own
 * words).  Returns SQLite's result code; *db as sqlite3_open_v2 leaves it.
 */
int sdb_sqlite_open(const char *path, int flags, sqlite3 **db);

#endif
