// Compiling a Program for a target: the whole pipeline of DESIGN.md section 3.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cinn/common/target.h"
#include "cinn/frontend/net_builder.h"
#include "cinn/runtime/executable.h"

namespace cinn::frontend {

struct CompileOptions {
  bool fusion = true;         // off: one kernel per primitive op
  int opt_level = 3;          // 0..3: LLVM's O0..O3 (O0 for debugging); others are a CompileError
  bool precise_math = false;  // libm instead of the vectorized approximations
  bool fold_constants = true; // evaluate constant subgraphs at compile time
  bool cache = true;          // the disk compile cache (see compile_cache.h)
  // Where to dump IR; overrides $CINN_DUMP_DIR ("" turns dumps off). While dumps are on,
  // the compile cache is bypassed (dumps come from compiling).
  std::optional<std::string> dump_dir;
  // The compile cache directory; overrides $CINN_CACHE_DIR (compile_cache.h).
  std::optional<std::string> cache_dir;
  // Values of the target backend's tuning knobs (Backend::tuning_knobs, e.g. "matmul_tm"
  // on CUDA) for every kernel's default schedule; a knob a template does not read is
  // ignored. An unknown name or a value below 1 is a ScheduleError.
  std::map<std::string, int64_t> schedule_params;
  // A tuning database written by tune() (auto_schedule/database.h): a kernel whose task has
  // records there is scheduled by replaying its fastest one instead of the default rules
  // (schedule_params then do not apply to it). Part of the compile cache key, with a digest
  // of the database's best records.
  std::string database;
};

struct CompiledKernelInfo {
  std::string name;
  std::string pattern;              // the group's pattern kind
  std::vector<std::string> ops;     // primitive ops, in order
  std::vector<std::string> inputs;  // value names
  std::vector<std::string> outputs;
  // "default": the backend's rules; "tuned": a record of the tuning database.
  std::string schedule = "default";
  // The compiled function it launches: its own name, or the name of an earlier kernel whose
  // function is the same up to names (compiled once).
  std::string function;
};

// A compiled program: the runtime executable plus what the compiler knows about it.
class CompiledProgram {
 public:
  std::shared_ptr<runtime::Executable> executable;
  std::vector<CompiledKernelInfo> kernels;
  std::string primitive_graph;  // the graph after decomposition and graph passes
  std::string source;           // generated code (LLVM IR for x86)
  std::string loop_ir;          // the scheduled loop IR of every kernel
  std::string target;           // Target::to_string() of the target compiled for
  // "off", "miss" (compiled and stored), "hit" (loaded) or "rebuilt" (an invalid entry was
  // found, compiled and replaced); the entry's path when one was read or written.
  std::string cache_status = "off";
  std::string cache_path;
};

// Graph passes (decompose, DCE, simplify, CSE, constant folding; hlir::GraphPassManager) ->
// fusion -> lower each group -> default schedule -> loop passes -> code generation ->
// Executable with a memory plan. Consults the disk compile cache first (compile_cache.h).
std::shared_ptr<CompiledProgram> compile(const Program& program, const common::Target& target,
                                         const CompileOptions& options = {});

}  // namespace cinn::frontend
