// IR dumps of the pass managers (loop-level ir::PassManager, graph-level hlir::GraphPassManager).
//
// The dump root is an explicit directory, or, when none is given, $CINN_DUMP_DIR read at run
// time (unset or empty: no dumps). A Dumper writes `<root>/<unit>/<NN>_<pass>.txt`, NN
// counting passes from 00 (the input). Names become file names through file_safe. A
// directory that cannot be created or a file that cannot be written is a CompileError
// naming the path.
#pragma once

#include <optional>
#include <string>

namespace cinn::common {

// `explicit_dir` if set, else $CINN_DUMP_DIR, else "" (no dumps).
std::string dump_root(const std::optional<std::string>& explicit_dir);

// Keeps [A-Za-z0-9_.-], maps the rest to '_'.
std::string file_safe(const std::string& name);

class Dumper {
 public:
  // No dumps when `root` is empty.
  Dumper(const std::string& root, const std::string& unit);
  bool enabled() const { return !dir_.empty(); }
  void dump(int index, const std::string& pass_name, const std::string& text) const;

 private:
  std::string dir_;
};

}  // namespace cinn::common
