// The disk compile cache: compile() stores what it built (the executable plan, the machine
// code, the reports) under a key, and a later compile of the same program -- in this
// process or another -- loads it instead of compiling.
//
// The key hashes the program graph (ops, attributes, literals by content, shapes, names),
// the target, the compile options that change code, the host CPU the code is built for and
// the compiler itself (the bytes of the library holding this code, so any rebuilt compiler
// has new keys). An entry is one file `<dir>/<key>.cinn`: a header with a format version,
// the payload size and a checksum, then the payload, which starts with the key. A file that
// is truncated, fails its checksum or holds another key is reported as corrupt and rebuilt.
// Entries are written to a temporary file and renamed, so concurrent compiles never see a
// partial entry.
//
// The directory is CompileOptions::cache_dir, else $CINN_CACHE_DIR, else
// $XDG_CACHE_HOME/cinn, else $HOME/.cache/cinn. Delete it to clear the cache.
#pragma once

#include <memory>
#include <string>

#include "cinn/frontend/compile.h"

namespace cinn::frontend {

// The cache directory for `options` ("" if none can be found: no caching).
std::string compile_cache_dir(const CompileOptions& options);

// The key of compiling `program` for `target` with `options` (32 hex digits).
std::string compile_cache_key(const Program& program, const common::Target& target,
                              const CompileOptions& options);

// The entry at `path` if it exists and is valid for `key`. A present but invalid entry sets
// `*corrupt` (with the reason) and returns null.
std::shared_ptr<CompiledProgram> load_compile_cache(const std::string& path, const std::string& key,
                                                    std::string* corrupt);

// Writes `program` (its executable's plan and kernel module image) at `path`. Failures to
// write are not errors: the cache is an optimization (returns false).
bool store_compile_cache(const std::string& path, const std::string& key, const CompiledProgram& program);

}  // namespace cinn::frontend
