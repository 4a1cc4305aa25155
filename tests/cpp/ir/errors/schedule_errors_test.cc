// Schedules that must fail, and the message they fail with (cinn/ir/schedule.cc): loop
// transformations that would break a data dependence. Each message must name the loop and
// say "dependence"; the function is left unchanged.
#include <gtest/gtest.h>

#include <functional>

#include "cinn/ir/ir_operators.h"
#include "cinn/ir/schedule.h"
#include "cinn/lang/lower.h"
#include "cinn/lang/reduce.h"

namespace cinn::ir {
namespace {

using common::Float;

// X[i, j] = X[i - 1, j + 1] + 1 over i in [1, 16), j in [0, 15): a (1, -1) dependence.
LoweredFunc stencil() {
  Buffer x = Buffer::make("X", Float(32), {Expr(16), Expr(16)});
  Expr i = Var::make("i"), j = Var::make("j");
  IterVar vi{Var::make("vi"), {Expr(1), Expr(15)}, IterVar::Kind::kSpatial};
  IterVar vj{Var::make("vj"), {Expr(0), Expr(15)}, IterVar::Kind::kSpatial};
  Stmt body = Store::make(x, Load::make(x, {vi.var - 1, vj.var + 1}) + 1.0f, {vi.var, vj.var});
  Stmt block =
      ScheduleBlockRealize::make({i, j}, ScheduleBlock::make("X", {vi, vj}, {}, {}, Stmt(), body));
  Stmt nest = For::make(i, Expr(1), Expr(15), ForKind::kSerial,
                        For::make(j, Expr(0), Expr(15), ForKind::kSerial, block));
  return LoweredFunc::make("stencil", {{x, Argument::Kind::kOutput}}, {}, {}, nest);
}

LoweredFunc matmul() {
  lang::Tensor a = lang::placeholder({Expr(32), Expr(24)}, Float(32), "A");
  lang::Tensor b = lang::placeholder({Expr(24), Expr(64)}, Float(32), "B");
  lang::ReduceAxis k = lang::reduce_axis(Expr(24), "k");
  lang::Tensor c = lang::compute(
      {Expr(32), Expr(64)},
      [&](const std::vector<Expr>& i) { return lang::sum(a(i[0], k.var) * b(k.var, i[1]), {k}); },
      "C");
  return lang::lower("mm", {a, b, c});
}

// The message of the ScheduleError that `f` throws ("" if it throws none).
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ScheduleError& e) {
    return e.what();
  }
  return "";
}

bool has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

TEST(ScheduleErrors, ReorderThatReversesADependence) {
  IRSchedule sch(stencil());
  std::string before = sch.func().to_string();
  auto loops = sch.get_loops("X");
  std::string msg = error_of([&] { sch.reorder({loops[1], loops[0]}); });
  EXPECT_TRUE(has(msg, "reorder") && has(msg, "'j', 'i'") && has(msg, "dependence")) << msg;
  EXPECT_TRUE(has(msg, "X[i - 1, j + 1]")) << msg;
  EXPECT_EQ(sch.func().to_string(), before);
}

TEST(ScheduleErrors, VectorizeALoopThatCarriesADependence) {
  IRSchedule sch(stencil());
  auto loops = sch.get_loops("X");
  std::string msg = error_of([&] { sch.vectorize(loops[0]); });
  EXPECT_TRUE(has(msg, "vectorize: loop 'i'") && has(msg, "carries a dependence")) << msg;
  EXPECT_TRUE(has(msg, "read after write")) << msg;
  // The inner loop's iterations are independent.
  EXPECT_EQ(error_of([&] { sch.vectorize(loops[1]); }), "");
}

TEST(ScheduleErrors, ParallelizeALoopThatCarriesADependence) {
  IRSchedule sch(stencil());
  auto loops = sch.get_loops("X");
  std::string msg = error_of([&] { sch.parallel(loops[0]); });
  EXPECT_TRUE(has(msg, "parallel: loop 'i'") && has(msg, "carries a dependence")) << msg;
  EXPECT_EQ(error_of([&] { sch.bind(loops[0], "blockIdx.x"); }).find("bind: loop 'i'"), 0u);
  EXPECT_EQ(error_of([&] { sch.parallel(loops[1]); }), "");
}

TEST(ScheduleErrors, SplitLoopsOfADependenceAreCheckedToo) {
  // After splitting i, the outer part carries the dependence and the inner one as well.
  IRSchedule sch(stencil());
  auto loops = sch.get_loops("X");
  auto parts = sch.split(loops[0], {-1, 5});
  EXPECT_TRUE(has(error_of([&] { sch.parallel(parts[0]); }), "loop 'i_0'"));
  EXPECT_TRUE(has(error_of([&] { sch.vectorize(parts[1]); }), "loop 'i_1'"));
  // j moved between i_0 and i_1: the pair (i, j) -> (i + 1, j - 1) in one i_0 block now
  // runs j - 1 first.
  std::string msg = error_of([&] { sch.reorder({parts[0], loops[1], parts[1]}); });
  EXPECT_TRUE(has(msg, "'i_0', 'j', 'i_1'") && has(msg, "dependence")) << msg;
}

TEST(ScheduleErrors, ReductionLoopKeepsItsOwnMessage) {
  IRSchedule sch(matmul());
  auto loops = sch.get_loops("C");
  std::string msg = error_of([&] { sch.parallel(loops[2]); });
  EXPECT_TRUE(has(msg, "carries the reduction of block 'C'")) << msg;
}

TEST(ScheduleErrors, LegalScheduleIsAccepted) {
  // Matmul tiling: reorders with the reduction loop in the middle, inner spatial loop
  // vectorized, outer one parallel, then a fuse of the two outer tiles.
  IRSchedule sch(matmul());
  auto loops = sch.get_loops("C");
  auto is = sch.split(loops[0], {-1, 4});
  auto js = sch.split(loops[1], {-1, 16});
  EXPECT_EQ(error_of([&] {
              sch.reorder({is[0], js[0], loops[2], is[1], js[1]});
              sch.unroll(is[1]);
              sch.vectorize(js[1]);
              LoopRV f = sch.fuse({is[0], js[0]});
              sch.parallel(f);
            }),
            "");
}

}  // namespace
}  // namespace cinn::ir
