/* Fuzz target: unescaping module paths and versions; whatever unescapes
 * escapes back to the same bytes (the escaping is a bijection on valid
 * inputs), and checks never disagree with the unescape verdict. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "csumdb/module.h"
#include "fuzz.h"

SDB_FUZZ_TARGET(module_unescape)
{
	const char *s = (const char *)data;
	char *out, *back;
	size_t n, bn;

	if (size > 4096)
		return 0;
	if (sdb_module_unescape_path(s, size, &out, &n, NULL) == SDB_OK) {
		if (sdb_module_check_path(out, n, NULL) != SDB_OK)
			__builtin_trap();
		if (sdb_module_escape_path(out, n, &back, &bn, NULL) != SDB_OK ||
		    bn != size || memcmp(back, s, size) != 0)
			__builtin_trap();
		free(back);
		free(out);
	}
	if (sdb_module_unescape_version(s, size, &out, &n, NULL) == SDB_OK) {
		if (sdb_module_escape_version(out, n, &back, &bn, NULL) != SDB_OK ||
		    bn != size || memcmp(back, s, size) != 0)
			__builtin_trap();
		free(back);
		free(out);
	}
	/* the other checks only need to terminate cleanly */
	if (sdb_module_check_import_path(s, size, NULL) == SDB_OK &&
	    sdb_module_check_file_path(s, size, NULL) != SDB_OK &&
	    memchr(s, '+', size) == NULL && memchr(s, '~', size) == NULL &&
	    s[0] != '.')
		__builtin_trap();	/* import path chars are file path chars */
	(void)sdb_semver_is_valid(s, size);
	(void)sdb_module_is_pseudo_version(s, size);
	return 0;
}
