/*
 * Fuzz target declarations.  A target file says
 *
 *     SDB_FUZZ_TARGET(note)
 *     {
 *             ... use data[0..size) ...
 *             return 0;
 *     }
 *
 * which defines sdb_fuzz_note().  Built with -DSDB_FUZZ_LIBFUZZER (make
 * fuzz, after ./configure --enable-fuzzing) it also defines libFuzzer's
 * LLVMFuzzerTestOneInput; otherwise tests/fuzz/replay.c calls every target
 * on its committed corpus under `make check`.  Targets list themselves in
 * tests/fuzz/targets.h.
 */
#ifndef CSUMDB_TESTS_FUZZ_H
#define CSUMDB_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

#ifdef SDB_FUZZ_LIBFUZZER
#define SDB_FUZZ_ENTRY(name)                                                  \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);         \
	int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)          \
	{                                                                     \
		return sdb_fuzz_##name(data, size);                           \
	}
#else
#define SDB_FUZZ_ENTRY(name)
#endif

#define SDB_FUZZ_TARGET(name)                                                 \
	int sdb_fuzz_##name(const uint8_t *data, size_t size);                \
	SDB_FUZZ_ENTRY(name)                                                  \
	int sdb_fuzz_##name(const uint8_t *data, size_t size)

/*
 * For a target that reads files: sdb_fuzz_dir_make makes a new directory
 * TMPDIR/csumdb-fuzz-XXXXXX (TMPDIR unset or empty: /tmp) into dir[0..cap)
 * and traps when it cannot; sdb_fuzz_dir_empty removes the files in it
 * (not subdirectories), and dir itself when remove_dir.  A dir of "" is
 * left alone.
 */
void sdb_fuzz_dir_make(char *dir, size_t cap);
void sdb_fuzz_dir_empty(const char *dir, int remove_dir);

#endif
