// IRSchedule in C++: block primitives compared structurally with directly written programs,
// and the trace's JSON form.
#include "cinn/ir/schedule.h"

#include <gtest/gtest.h>

#include "cinn/ir/equality.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/lang/lower.h"
#include "cinn/lang/reduce.h"

namespace cinn::ir {
namespace {

using common::Float;
using lang::Tensor;

Tensor input(const char* name) { return lang::placeholder({Expr(16), Expr(24)}, Float(32), name); }

Tensor ew(const Tensor& t, const std::function<Expr(Expr)>& f, const char* name) {
  return lang::compute(
      {Expr(16), Expr(24)}, [&](const std::vector<Expr>& i) { return f(t(i[0], i[1])); }, name);
}

TEST(Schedule, ComputeInlineEqualsTheFusedProgram) {
  Tensor a = input("A");
  Tensor b = ew(a, [](Expr x) { return x * 2.0f; }, "B");
  Tensor c = ew(b, [](Expr x) { return x + 1.0f; }, "C");
  IRSchedule s(lang::lower("f", {a, c}));
  s.compute_inline(s.get_block("B"));

  Tensor a2 = input("A");
  Tensor c2 = ew(a2, [](Expr x) { return x * 2.0f + 1.0f; }, "C");
  LoweredFunc expected = lang::lower("f", {a2, c2});
  EXPECT_TRUE(structural_equal(s.func().body(), expected.body(), /*map_free_vars=*/true))
      << s.func().to_string() << "\nexpected\n" << expected.to_string();
}

TEST(Schedule, ReverseComputeInlineWritesTheConsumerOutput) {
  Tensor a = input("A");
  Tensor b = ew(a, [](Expr x) { return x * 2.0f; }, "B");
  Tensor c = ew(b, [](Expr x) { return x + 1.0f; }, "C");
  IRSchedule s(lang::lower("f", {a, c}));
  s.reverse_compute_inline(s.get_block("C"));
  EXPECT_EQ(s.block_names(), std::vector<std::string>{"B"});
  EXPECT_TRUE(s.func()->temp_buffers.empty());
  const std::string ir = s.func().to_string();
  EXPECT_NE(ir.find("C[vi, vj] = A[vi, vj] * 2.0f + 1.0f"), std::string::npos) << ir;
}

TEST(Schedule, ReplayGivesStructurallyIdenticalIR) {
  Tensor a = lang::placeholder({Expr(32), Expr(16)}, Float(32), "A");
  lang::ReduceAxis k = lang::reduce_axis(Expr(16), "k");
  Tensor s = lang::compute(
      {Expr(32)}, [&](const std::vector<Expr>& i) { return lang::sum(a(i[0], k.var), {k}); }, "S");
  LoweredFunc f = lang::lower("rowsum", {a, s});
  IRSchedule sch(f, /*seed=*/3);
  auto loops = sch.get_loops("S");
  auto tile = sch.sample_perfect_tile(loops[1], 2, 8);
  auto kk = sch.split(loops[1], tile);
  BlockRV rf = sch.rfactor(kk[1]);
  sch.vectorize(kk[1]);
  sch.annotate(rf, "note", "with \"quotes\"");
  sch.sample_categorical({1, 2}, {0.25, 0.75});

  Trace t = Trace::from_json(sch.trace().to_json());
  EXPECT_EQ(t.to_json(), sch.trace().to_json());
  IRSchedule again = IRSchedule::replay(f, t);
  EXPECT_TRUE(structural_equal(again.func().body(), sch.func().body(), true));
  EXPECT_EQ(again.trace().to_json(), sch.trace().to_json());
}

// set_decisions: the next sampling calls take the given decisions in order; an empty entry
// or one that does not fit is drawn at random; decisions_of reads them back from a trace.
TEST(Schedule, ForcedDecisionsDriveTheSamplingCalls) {
  Tensor a = lang::placeholder({Expr(32), Expr(24)}, Float(32), "A");
  Tensor b = lang::compute(
      {Expr(32), Expr(24)}, [&](const std::vector<Expr>& i) { return a(i[0], i[1]) * 2.0f; }, "B");
  LoweredFunc f = lang::lower("f", {a, b});
  auto space = [](IRSchedule& sch) {
    auto loops = sch.get_loops("B");
    sch.split(loops[0], sch.sample_perfect_tile(loops[0], 2, 8));
    sch.split(loops[1], sch.sample_perfect_tile(loops[1], 3, 4));
    sch.sample_categorical({10, 20, 30}, {1, 1, 1});
  };
  for (uint64_t seed = 0; seed < 8; ++seed) {
    IRSchedule sch(f, seed);
    sch.set_decisions({{4, 8}, {}, {2}});
    space(sch);
    auto d = IRSchedule::decisions_of(sch.trace());
    ASSERT_EQ(d.size(), 3u);
    EXPECT_EQ(d[0], (std::vector<int64_t>{4, 8}));
    EXPECT_EQ(d[1].size(), 3u);
    EXPECT_EQ(d[1][0] * d[1][1] * d[1][2], 24);
    EXPECT_EQ(d[2], (std::vector<int64_t>{2}));
    // The same decisions again make the same schedule.
    IRSchedule again(f, seed + 100);
    again.set_decisions(d);
    space(again);
    EXPECT_EQ(again.trace().to_json(), sch.trace().to_json());
  }
  // Decisions that do not fit (wrong product, innermost too large, index out of range) are
  // drawn at random instead of failing.
  IRSchedule sch(f, 1);
  sch.set_decisions({{3, 8}, {1, 1, 24}, {7}});
  space(sch);
  auto d = IRSchedule::decisions_of(sch.trace());
  EXPECT_EQ(d[0][0] * d[0][1], 32);
  EXPECT_LE(d[1][2], 4);
  EXPECT_LT(d[2][0], 3);
}

TEST(Schedule, ReplayRejectsMalformedSteps) {
  Tensor a = input("A");
  Tensor b = ew(a, [](Expr x) { return x * 2.0f; }, "B");
  LoweredFunc f = lang::lower("f", {a, b});
  EXPECT_THROW(IRSchedule::replay(f, Trace::from_json(R"([{"kind": "warp", "strs": []}])")),
               ScheduleError);
  EXPECT_THROW(IRSchedule::replay(f, Trace::from_json(R"([{"kind": "get_loops", "inputs": [7]}])")),
               ScheduleError);
  EXPECT_THROW(IRSchedule::replay(
                   f, Trace::from_json(R"([{"kind": "sample_categorical", "ints": [5, 9],
                                           "floats": [1.0]}])")),
               ScheduleError);
}

}  // namespace
}  // namespace cinn::ir
