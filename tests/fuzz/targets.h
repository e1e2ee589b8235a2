/* Every fuzz target, one SDB_FUZZ(name) line each; name matches
 * tests/fuzz/fuzz_NAME.c and the corpus folder tests/fuzz/corpus/NAME/. */
SDB_FUZZ(base64)
SDB_FUZZ(note)
SDB_FUZZ(tree_note)
SDB_FUZZ(tile_path)
SDB_FUZZ(gosum)
SDB_FUZZ(module_unescape)
SDB_FUZZ(lookup)
SDB_FUZZ(data_tile)
SDB_FUZZ(record)
SDB_FUZZ(tlog_proof)
SDB_FUZZ(modzip)
SDB_FUZZ(url)
