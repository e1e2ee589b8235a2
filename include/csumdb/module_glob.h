/*
 * GOPRIVATE-style module path patterns: x/mod module.MatchPrefixPatterns
 * with path.Match globs (Go 1.19).  Implemented in src/lib/module_glob.c.
 */
#ifndef CSUMDB_MODULE_GLOB_H
#define CSUMDB_MODULE_GLOB_H

/*
 * Reports whether any of the comma-separated glob patterns in globs
 * matches a prefix of target of the same number of path elements as the
 * pattern: "*.corp.example.com,rsc.io/private" matches
 * "git.corp.example.com/x/y" and "rsc.io/private/z".  A trailing slash of
 * a pattern is ignored, empty patterns are skipped, and a malformed
 * pattern matches nothing (as Go).  Both strings NUL-terminated.
 * Returns 1 or 0.
 */
int sdb_module_match_prefix_patterns(const char *globs, const char *target);

/*
 * Checks globs as sdb_module_match_prefix_patterns reads it, for a list
 * an operator gives: returns 1 when it holds patterns that are all
 * well-formed, 0 when it holds none, and -1 for a malformed pattern (one
 * that matches nothing, as Go reads it), whose span of globs is then
 * *bad[0..*bad_len).
 */
int sdb_module_check_prefix_patterns(const char *globs, const char **bad, size_t *bad_len);

/* Go's path.Match(pattern, name) on NUL-terminated strings: 1 match,
 * 0 no match, -1 malformed pattern (path.ErrBadPattern). */
int sdb_path_match(const char *pattern, const char *name);

#endif
