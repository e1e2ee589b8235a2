/* Unit tests for src/lib/fileio.c: the directory of a path, the check
 * that names a missing directory instead of the file it would hold, and
 * temporary files with the mode the user's umask gives. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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

/* A file made by sdb_mkstemp_umask: the mode open(..., 0666) gives under
 * the umask, close-on-exec, open for reading and writing, its name made
 * from the template; a template without XXXXXX or in a directory that is
 * not there makes no file. */
static void
test_mkstemp_umask(void)
{
	char tmpl[700], bad[700];
	struct stat sb;
	mode_t old = umask(027);
	int fd;

	snprintf(tmpl, sizeof tmpl, "%s/proof.tmp-XXXXXX", unit_tmp_dir());
	fd = sdb_mkstemp_umask(tmpl);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT(strstr(tmpl, "XXXXXX") == NULL);
	CU_ASSERT_EQUAL(strncmp(tmpl + strlen(tmpl) - 17, "/proof.tmp-", 11), 0);
	CU_ASSERT_EQUAL(fstat(fd, &sb), 0);
	CU_ASSERT_EQUAL(sb.st_mode & 07777, 0640);
	CU_ASSERT(S_ISREG(sb.st_mode));
	CU_ASSERT((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
	CU_ASSERT_EQUAL(write(fd, "x", 1), 1);
	CU_ASSERT_EQUAL(stat(tmpl, &sb), 0);
	close(fd);
	unlink(tmpl);

	umask(0);
	snprintf(tmpl, sizeof tmpl, "%s/open-XXXXXX", unit_tmp_dir());
	fd = sdb_mkstemp_umask(tmpl);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(fstat(fd, &sb), 0);
	CU_ASSERT_EQUAL(sb.st_mode & 07777, 0666);
	close(fd);
	unlink(tmpl);
	umask(old);

	snprintf(bad, sizeof bad, "%s/noX-XXXXX", unit_tmp_dir());
	errno = 0;
	CU_ASSERT_EQUAL(sdb_mkstemp_umask(bad), -1);
	CU_ASSERT_EQUAL(errno, EINVAL);
	CU_ASSERT_NOT_EQUAL(stat(bad, &sb), 0);
	snprintf(bad, sizeof bad, "%s/gone/x-XXXXXX", unit_tmp_dir());
	errno = 0;
	CU_ASSERT_EQUAL(sdb_mkstemp_umask(bad), -1);
	CU_ASSERT_EQUAL(errno, ENOENT);
}

/* Files one thread makes while two others call sdb_mkstemp_umask over
 * and over must get the process's umask: it is process-wide, and was
 * once read by setting it to 0 for a moment. */
static atomic_int mkstemp_stop;

static void *
mkstemp_loop(void *arg)
{
	char tmpl[700];
	int fd;

	(void)arg;
	while (!atomic_load(&mkstemp_stop)) {
		snprintf(tmpl, sizeof tmpl, "%s/loop-XXXXXX", unit_tmp_dir());
		if ((fd = sdb_mkstemp_umask(tmpl)) >= 0) {
			close(fd);
			unlink(tmpl);
		}
	}
	return NULL;
}

static void
test_mkstemp_umask_threads(void)
{
	char path[700];
	struct timespec t0, t;
	struct stat sb;
	pthread_t th[2];
	mode_t old = umask(077);
	long made = 0, open_to_all = 0;
	int fd, i;

	unit_tmp_path(path, sizeof path, "other");
	atomic_store(&mkstemp_stop, 0);
	for (i = 0; i < 2; i++)
		CU_ASSERT_FATAL(pthread_create(&th[i], NULL, mkstemp_loop, NULL) == 0);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	/* two seconds, or until a file gets the wrong mode */
	do {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd >= 0) {
			made++;
			if (fstat(fd, &sb) == 0 && (sb.st_mode & 0077) != 0)
				open_to_all++;
			close(fd);
			unlink(path);
		}
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while (open_to_all == 0 &&
	    (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000 < 2000);
	atomic_store(&mkstemp_stop, 1);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	umask(old);
	if (open_to_all > 0)
		fprintf(stderr, "%ld of %ld files made beside sdb_mkstemp_umask were not 0600 "
		    "under umask 077\n", open_to_all, made);
	CU_ASSERT(made > 0);
	CU_ASSERT_EQUAL(open_to_all, 0);
}

void
unit_register(void)
{
	static const struct unit_test tests[] = {
		{ "path_dir", test_path_dir },
		{ "dir_missing", test_dir_missing },
		{ "sync_dir", test_sync_dir },
		{ "mkstemp_umask", test_mkstemp_umask },
		{ "mkstemp_umask_threads", test_mkstemp_umask_threads },
		{ NULL, NULL },
	};
	unit_suite("fileio", tests);
}
