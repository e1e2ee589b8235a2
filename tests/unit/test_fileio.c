/* Unit tests for src/lib/fileio.c: the directory of a path, and the check
 * that names a missing directory instead of the file it would hold. */
#include "config.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "unit.h"

static void
check_dir(const char *path, const char *want)
{
	char *got = sdb_path_dir(path);

	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	if (strcmp(got, want) != 0)
		fprintf(stderr, "sdb_path_dir(\"%s\") = \"%s\", want \"%s\"\n", path, got, want);
	CU_ASSERT_STRING_EQUAL(got, want);
	free(got);
}

static void
test_path_dir(void)
{
	check_dir("sum.db", ".");
	check_dir("", ".");
	check_dir("/sum.db", "/");
	check_dir("/", "/");
	check_dir("a/sum.db", "a");
	check_dir("/srv/csumdb/sum.db", "/srv/csumdb");
	check_dir("./sum.db", ".");
	check_dir("a/b/", "a/b");
}

static void
test_dir_missing(void)
{
	char file[600], in_file[700], in_gone[700], here[700], msg[1024];
	int fd;

	unit_tmp_path(file, sizeof file, "plain");
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	snprintf(here, sizeof here, "%s/new.db", unit_tmp_dir());
	snprintf(in_file, sizeof in_file, "%s/new.db", file);
	snprintf(in_gone, sizeof in_gone, "%s/gone/new.db", unit_tmp_dir());

	msg[0] = '\0';
	CU_ASSERT_EQUAL(sdb_dir_missing(here, msg, sizeof msg), 0);
	CU_ASSERT_STRING_EQUAL(msg, "");
	CU_ASSERT_EQUAL(sdb_dir_missing("new.db", msg, sizeof msg), 0);

	CU_ASSERT_EQUAL(sdb_dir_missing(in_gone, msg, sizeof msg), 1);
	CU_ASSERT(strstr(msg, "/gone: No such file or directory (make it first)") != NULL);
	CU_ASSERT(strncmp(msg, "directory ", 10) == 0);

	CU_ASSERT_EQUAL(sdb_dir_missing(in_file, msg, sizeof msg), 1);
	CU_ASSERT(strstr(msg, "plain is not a directory") != NULL);

	/* a directory that cannot be looked at for another reason than its
	 * absence is not one to make */
	snprintf(in_gone, sizeof in_gone, "%s/sub/new.db", file);
	CU_ASSERT_EQUAL(sdb_dir_missing(in_gone, msg, sizeof msg), 1);
	CU_ASSERT(strstr(msg, "plain/sub: Not a directory") != NULL);
	CU_ASSERT(strstr(msg, "make it first") == NULL);
	unlink(file);
}

/* A rename is made durable by syncing the directory that holds the name;
 * a bare file name's directory is the working directory. */
static void
test_sync_dir(void)
{
	char path[600], gone[700];

	unit_tmp_path(path, sizeof path, "synced");
	snprintf(gone, sizeof gone, "%s/gone/synced", unit_tmp_dir());
	CU_ASSERT_EQUAL(sdb_sync_dir(path), 0);
	CU_ASSERT_EQUAL(sdb_sync_dir("synced"), 0);
	CU_ASSERT_EQUAL(sdb_sync_dir(""), 0);
	CU_ASSERT_EQUAL(sdb_sync_dir(gone), -1);
}

void
unit_register(void)
{
	static const struct unit_test tests[] = {
		{ "path_dir", test_path_dir },
		{ "dir_missing", test_dir_missing },
		{ "sync_dir", test_sync_dir },
		{ NULL, NULL },
	};
	unit_suite("fileio", tests);
}
