// Tests of cinn/ir/pass_manager*: order, verification between passes, dumps.
#include "cinn/ir/pass_manager.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "cinn/ir/ir_operators.h"

namespace cinn::ir {
namespace {

namespace fs = std::filesystem;

std::string read(const fs::path& p) {
  std::ifstream is(p);
  std::stringstream ss;
  ss << is.rdbuf();
  return ss.str();
}

// A fresh directory for one test.
fs::path scratch_dir(const std::string& name) {
  fs::path p = fs::path(::testing::TempDir()) / ("cinn_pass_manager_" + name);
  fs::remove_all(p);
  return p;
}

class PassManagerTest : public ::testing::Test {
 protected:
  Buffer b = Buffer::make("B", common::Int(64), {Expr(8)});
  Expr i = Var::make("i");
  LoweredFunc f =
      LoweredFunc::make("kern", {{b, Argument::Kind::kOutput}}, {}, {},
                        For::make(i, Expr(0), Expr(8), ForKind::kSerial, Store::make(b, i, {i})));
  // Changes the stored value from i to i + k.
  static std::function<Stmt(const Stmt&)> add(int64_t k) {
    return [k](const Stmt& s) {
      const auto* loop = s.as<For>();
      const auto* st = loop->body.as<Store>();
      return For::make(loop->loop_var, loop->min, loop->extent, loop->for_kind,
                       Store::make(st->buffer, st->value + Expr(k), st->indices));
    };
  }
};

TEST_F(PassManagerTest, RunsPassesInOrderAndDumpsEach) {
  fs::path dir = scratch_dir("order");
  PassManager pm(dir.string());
  pm.add("plus_one", add(1)).add("plus_two", add(2));
  EXPECT_EQ(pm.pass_names(), (std::vector<std::string>{"plus_one", "plus_two"}));
  LoweredFunc out = pm.run(f);
  EXPECT_NE(out.to_string().find("B[i] = i + 1 + 2"), std::string::npos) << out.to_string();
  EXPECT_EQ(read(dir / "kern" / "00_input.txt"), f.to_string());
  EXPECT_NE(read(dir / "kern" / "01_plus_one.txt").find("B[i] = i + 1\n"), std::string::npos);
  EXPECT_EQ(read(dir / "kern" / "02_plus_two.txt"), out.to_string());
}

TEST_F(PassManagerTest, DumpDirFromEnvironmentAndExplicitOverride) {
  fs::path env_dir = scratch_dir("env"), explicit_dir = scratch_dir("explicit");
  ASSERT_EQ(setenv("CINN_DUMP_DIR", env_dir.c_str(), 1), 0);
  PassManager().add("plus_one", add(1)).run(f);
  PassManager(explicit_dir.string()).add("plus_one", add(1)).run(f);
  PassManager(std::string()).add("off", add(1)).run(f);
  unsetenv("CINN_DUMP_DIR");
  EXPECT_TRUE(fs::exists(env_dir / "kern" / "01_plus_one.txt"));
  EXPECT_FALSE(fs::exists(env_dir / "kern" / "01_off.txt"));
  EXPECT_TRUE(fs::exists(explicit_dir / "kern" / "01_plus_one.txt"));
}

TEST_F(PassManagerTest, UnwritableDumpDirIsACompileErrorNamingThePath) {
  fs::path dir = scratch_dir("file");
  fs::create_directories(dir);
  std::ofstream(dir / "plain_file") << "x";
  std::string bad = (dir / "plain_file" / "dumps").string();
  try {
    PassManager(bad).add("plus_one", add(1)).run(f);
    FAIL() << "expected CompileError";
  } catch (const CompileError& e) {
    EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
  }
}

TEST_F(PassManagerTest, PassThatBreaksTheIRIsNamed) {
  Expr unbound = Var::make("ghost");
  PassManager pm(std::string{});
  pm.add("fine", add(1)).add("breaks_it", [&](const Stmt& s) {
    const auto* loop = s.as<For>();
    return For::make(loop->loop_var, loop->min, loop->extent, loop->for_kind,
                     Store::make(b, unbound, {loop->loop_var}));
  });
  try {
    pm.run(f);
    FAIL() << "expected InternalError";
  } catch (const InternalError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("pass 'breaks_it'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("'ghost' used but not bound"), std::string::npos) << msg;
  }
}

TEST_F(PassManagerTest, FunctionPassesAndBlockLevelInput) {
  // Block-level IR (before lower_schedule_blocks) verifies: iter_vars are bound by the
  // realize.
  Expr vi = Var::make("vi");
  Stmt block = ScheduleBlock::make("B", {{vi, {Expr(0), Expr(8)}, IterVar::Kind::kSpatial}}, {},
                                   {{b, {{vi, Expr(1)}}}}, Stmt(), Store::make(b, vi, {vi}));
  LoweredFunc g = f.with_body(
      For::make(i, Expr(0), Expr(8), ForKind::kSerial, ScheduleBlockRealize::make({i}, block)));
  int runs = 0;
  PassManager pm(std::string{});
  pm.add_func("count", [&](const LoweredFunc& h) {
    ++runs;
    return h;
  });
  EXPECT_TRUE(pm.run(g).body().same_as(g.body()));
  EXPECT_EQ(runs, 1);
}

}  // namespace
}  // namespace cinn::ir
