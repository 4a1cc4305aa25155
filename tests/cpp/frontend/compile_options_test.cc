// frontend::CompileOptions are checked before any work: a C++ caller (the Python binding
// checks its own) gets a CompileError for an opt_level outside 0..3 from compile and tune.
#include <gtest/gtest.h>

#include "cinn/frontend/compile.h"
#include "cinn/frontend/tune.h"

namespace cinn::frontend {
namespace {

Program relu_program() {
  NetBuilder b("options");
  Value* x = b.input({4, 4}, common::Float(32), "x");
  return b.build({b.relu(x)});
}

TEST(CompileOptions, OptLevelOutsideZeroToThreeIsACompileError) {
  for (int level : {-1, 4}) {
    CompileOptions o;
    o.cache = false;
    o.opt_level = level;
    try {
      compile(relu_program(), common::Target::host_x86(), o);
      FAIL() << "opt_level " << level << " compiled";
    } catch (const CompileError& e) {
      EXPECT_NE(std::string(e.what()).find("compile: opt_level must be 0, 1, 2 or 3, got " +
                                           std::to_string(level)),
                std::string::npos)
          << e.what();
    }
    auto_schedule::TuneOptions to;
    to.trials = 1;
    EXPECT_THROW(
        tune(relu_program(), common::Target::host_x86(), "/nonexistent/never_created.db", to, o),
        CompileError);
  }
  for (int level : {0, 1, 2, 3}) {
    CompileOptions o;
    o.cache = false;
    o.opt_level = level;
    EXPECT_NO_THROW(compile(relu_program(), common::Target::host_x86(), o)) << level;
  }
}

}  // namespace
}  // namespace cinn::frontend
