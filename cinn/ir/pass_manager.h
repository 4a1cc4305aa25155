// Named loop-level passes run in order, with the IR verifier between them and optional dumps.
//
// A pass is a name and a function, either on the function body (Stmt -> Stmt) or on the
// whole LoweredFunc. PassManager::run verifies its input, then after every pass
//   * writes the function to `<dump_dir>/<function name>/<NN>_<pass name>.txt` when a dump
//     directory is set (NN counts passes from 01; 00_input.txt is the input), and
//   * runs ir::verify; a pass whose output does not verify is a compiler bug, reported as an
//     InternalError that names the pass (the dump, written first, shows the bad IR).
// The dump directory is the constructor's `dump_dir`, or, when none is given, the
// environment variable CINN_DUMP_DIR read at run time (unset or empty: no dumps). Missing
// directories are created; one that cannot be created or written is a CompileError naming
// the path.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "cinn/ir/lowered_func.h"

namespace cinn::ir {

struct Pass {
  std::string name;
  std::function<LoweredFunc(const LoweredFunc&)> run;
};

class PassManager {
 public:
  // `dump_dir`: overrides $CINN_DUMP_DIR; an empty string turns dumping off.
  explicit PassManager(std::optional<std::string> dump_dir = std::nullopt);

  // Appends a pass on the function body.
  PassManager& add(const std::string& name, std::function<Stmt(const Stmt&)> pass);
  // Appends a pass on the whole function.
  PassManager& add_func(const std::string& name,
                        std::function<LoweredFunc(const LoweredFunc&)> pass);

  const std::vector<Pass>& passes() const { return passes_; }
  std::vector<std::string> pass_names() const;

  LoweredFunc run(const LoweredFunc& f) const;

 private:
  std::optional<std::string> dump_dir_;
  std::vector<Pass> passes_;
};

}  // namespace cinn::ir
