/*
 * Exit statuses for the verifier's remote errors (remote.h); the remote
 * itself is library code (src/lib/remote.c).
 */
#include "config.h"

#include "cli/cli.h"
#include "remote.h"

int
remote_exit_status(int err)
{
	return sdb_err_is_verification(err) ? EXIT_VERIFY : EXIT_LOCAL;
}
