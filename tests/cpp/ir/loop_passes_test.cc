// Tests of the loop passes after scheduling (cinn/ir/fuse_sibling_loops.cc, remove_unit_loops.cc, loop_partition.cc,
// unroll_loops.cc, hoist_loop_invariant.cc): each states an input loop nest and the
// expected output, compared structurally after `simplify` (which the pipeline runs after
// each of them, and which makes index arithmetic canonical on both sides).
#include <gtest/gtest.h>

#include "cinn/ir/equality.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/printer.h"
#include "cinn/ir/simplify.h"
#include "cinn/ir/transforms.h"
#include "cinn/ir/visitor.h"

namespace cinn::ir {
namespace {

using common::Float;

::testing::AssertionResult same_ir(const Stmt& actual, const Stmt& expected) {
  Stmt a = simplify(actual), e = simplify(expected);
  if (structural_equal(a, e)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "actual:\n"
                                       << to_string(a) << "expected:\n"
                                       << to_string(e);
}

int count(const Stmt& s, NodeKind kind) {
  int n = 0;
  post_order_visit(s, [&](const IRNode* node) { n += node->kind() == kind; });
  return n;
}

Expr extern_call(const std::string& name) {
  return Call::make(common::IndexType(), name, {}, Call::Kind::kExtern);
}

class LoopPassesTest : public ::testing::Test {
 protected:
  Buffer a = Buffer::make("A", Float(32), {Expr(1024)});
  Buffer b = Buffer::make("B", Float(32), {Expr(1024)});
  Expr i = Var::make("i"), j = Var::make("j"), xo = Var::make("xo"), xi = Var::make("xi");
  Expr n = Var::make("n");

  // B[idx] = A[idx] * 2
  Stmt scale(const Expr& idx) { return Store::make(b, Load::make(a, {idx}) * 2.0f, {idx}); }
  // The loop nest IRSchedule::split(x, {-1, 16}) + vectorize(xi) leaves for B = A * 2 over
  // `extent` elements: for xo { vectorized for xi in [0, 16) { if (xo*16 + xi < extent) } }
  Stmt split_16(const Expr& extent, const Expr& outer_extent) {
    Expr x = xo * 16 + xi;
    return For::make(xo, Expr(0), outer_extent, ForKind::kSerial,
                     For::make(xi, Expr(0), Expr(16), ForKind::kVectorized,
                               IfThenElse::make(x < extent, scale(x))));
  }
};

// ---------------------------------------------------------------------------------------
// fuse_sibling_loops

// B[i] = A[i] * 2; C[i] = B[i] + 1 over the same range: one loop, and the vector loops inside
// fuse as well.
TEST_F(LoopPassesTest, SiblingLoopsOverOneRangeFuse) {
  Buffer c = Buffer::make("C", Float(32), {Expr(1024)});
  Expr i2 = Var::make("i2"), v = Var::make("v"), v2 = Var::make("v2");
  Stmt first = For::make(i, Expr(0), Expr(64), ForKind::kParallel,
                         For::make(v, Expr(0), Expr(16), ForKind::kVectorized, scale(i * 16 + v)));
  Stmt second = For::make(
      i2, Expr(0), Expr(64), ForKind::kParallel,
      For::make(v2, Expr(0), Expr(16), ForKind::kVectorized,
                Store::make(c, Load::make(b, {i2 * 16 + v2}) + 1.0f, {i2 * 16 + v2})));
  Stmt expected = For::make(
      i, Expr(0), Expr(64), ForKind::kParallel,
      For::make(v, Expr(0), Expr(16), ForKind::kVectorized,
                Block::make({scale(i * 16 + v), Store::make(c, Load::make(b, {i * 16 + v}) + 1.0f, {i * 16 + v})})));
  EXPECT_TRUE(same_ir(fuse_sibling_loops(Block::make({first, second})), expected));
}

// Where fusing would change a value the loops stay apart: the second reads the first's
// result at another index (C[i] = B[i + 1]), reads an accumulator (B[i] += A[j] over j, then
// C[i] = B[i]: fusing the j loops would read partial sums), writes what the first reads, or
// the ranges or kinds differ.
TEST_F(LoopPassesTest, SiblingLoopsThatWouldChangeValuesStay) {
  Buffer c = Buffer::make("C", Float(32), {Expr(1024)});
  Expr i2 = Var::make("i2");
  auto loop = [&](const Expr& var, int64_t extent, ForKind kind, Stmt body) {
    return For::make(var, Expr(0), Expr(extent), kind, std::move(body));
  };
  Stmt first = loop(i, 64, ForKind::kSerial, scale(i));
  Stmt shifted = loop(i2, 64, ForKind::kSerial, Store::make(c, Load::make(b, {i2 + 1}), {i2}));
  Stmt overwrite = loop(i2, 64, ForKind::kSerial, Store::make(a, Expr(0.0f), {i2}));
  Stmt longer = loop(i2, 65, ForKind::kSerial, Store::make(c, Load::make(b, {i2}), {i2}));
  Stmt parallel = loop(i2, 64, ForKind::kParallel, Store::make(c, Load::make(b, {i2}), {i2}));
  for (const Stmt& second : {shifted, overwrite, longer, parallel}) {
    Stmt in = Block::make({first, second});
    EXPECT_TRUE(fuse_sibling_loops(in).same_as(in)) << to_string(second);
  }
  // Accumulation over j into B[i], then C[i] = B[i] inside the same j range.
  Expr j2 = Var::make("j2");
  Stmt acc = loop(j, 64, ForKind::kSerial, Store::make(b, Load::make(b, {i}) + Load::make(a, {j}), {i}));
  Stmt use = loop(j2, 64, ForKind::kSerial, Store::make(c, Load::make(b, {i}) * Load::make(a, {j2}), {j2}));
  Stmt in = Block::make({acc, use});
  EXPECT_TRUE(fuse_sibling_loops(in).same_as(in));
  // Same index, but one that does not use the loop variable (written on every iteration).
  Stmt bcast = loop(j, 64, ForKind::kSerial, Store::make(b, Load::make(a, {j}), {Expr(0)}));
  Stmt read0 = loop(j2, 64, ForKind::kSerial, Store::make(c, Load::make(b, {Expr(0)}), {j2}));
  in = Block::make({bcast, read0});
  EXPECT_TRUE(fuse_sibling_loops(in).same_as(in));
}

// ---------------------------------------------------------------------------------------
// remove_unit_loops

TEST_F(LoopPassesTest, UnitLoopBecomesItsBody) {
  Stmt in = For::make(i, Expr(0), Expr(8), ForKind::kSerial,
                      For::make(j, Expr(3), Expr(1), ForKind::kParallel, scale(i * 4 + j)));
  Stmt expected = For::make(i, Expr(0), Expr(8), ForKind::kSerial, scale(i * 4 + 3));
  EXPECT_TRUE(same_ir(remove_unit_loops(in), expected));
}

TEST_F(LoopPassesTest, UnitLoopWithSymbolicMin) {
  Stmt in = For::make(i, n, Expr(1), ForKind::kSerial, scale(i));
  EXPECT_TRUE(same_ir(remove_unit_loops(in), scale(n)));
}

TEST_F(LoopPassesTest, GpuBoundUnitLoopStays) {
  Stmt in = For::make(i, Expr(0), Expr(1), ForKind::kGPUThreadX, scale(i));
  EXPECT_TRUE(remove_unit_loops(in).same_as(in));
}

TEST_F(LoopPassesTest, UnitLoopWithExternMinBindsItOnce) {
  Expr call = extern_call("first");
  Stmt in = For::make(i, call, Expr(1), ForKind::kSerial, Block::make({scale(i), scale(i + 1)}));
  Stmt expected = LetStmt::make(i, call, Block::make({scale(i), scale(i + 1)}));
  EXPECT_TRUE(structural_equal(remove_unit_loops(in), expected));
}

TEST_F(LoopPassesTest, LongerLoopsStay) {
  Stmt in = For::make(i, Expr(0), Expr(2), ForKind::kSerial, scale(i));
  EXPECT_TRUE(remove_unit_loops(in).same_as(in));
  Stmt sym = For::make(i, Expr(0), n, ForKind::kSerial, scale(i));
  EXPECT_TRUE(remove_unit_loops(sym).same_as(sym));
}

// ---------------------------------------------------------------------------------------
// loop_partition

TEST_F(LoopPassesTest, PartitionSplitTailConstantExtent) {
  // 100 = 6 * 16 + 4: six full tiles without the guard; the last tile (xo = 6) is a tail
  // whose guard xi + 96 < 100 partitions the vectorized xi loop into 4 lanes (no guard)
  // and 12 lanes that never run.
  Stmt out = loop_partition(split_16(Expr(100), Expr(7)));
  Stmt expected = Block::make(
      {For::make(xo, Expr(0), Expr(6), ForKind::kSerial,
                 For::make(xi, Expr(0), Expr(16), ForKind::kVectorized, scale(xo * 16 + xi))),
       For::make(xi, Expr(0), Expr(4), ForKind::kVectorized, scale(xi + 96))});
  EXPECT_TRUE(same_ir(out, expected));
  EXPECT_EQ(count(simplify(out), NodeKind::kIfThenElse), 0);
}

TEST_F(LoopPassesTest, PartitionSplitTailSymbolicExtent) {
  // for xo in [0, (n + 15) / 16): the main loop runs the n / 16 full tiles.
  Expr tiles = (n + 15) / 16;
  Stmt out = loop_partition(split_16(n, tiles));
  Expr main_extent = max(min(n / 16, tiles), Expr(0));
  Expr x = xo * 16 + xi;
  Stmt expected =
      Block::make({For::make(xo, Expr(0), main_extent, ForKind::kSerial,
                             For::make(xi, Expr(0), Expr(16), ForKind::kVectorized, scale(x))),
                   For::make(xo, main_extent, tiles - main_extent, ForKind::kSerial,
                             For::make(xi, Expr(0), Expr(16), ForKind::kVectorized,
                                       IfThenElse::make(x < n, scale(x))))});
  EXPECT_TRUE(same_ir(out, expected));
}

TEST_F(LoopPassesTest, PartitionDividingSplitNeedsNoTail) {
  // A guard that holds everywhere: the whole loop is the main part.
  Stmt out = loop_partition(split_16(Expr(128), Expr(8)));
  Stmt expected =
      For::make(xo, Expr(0), Expr(8), ForKind::kSerial,
                For::make(xi, Expr(0), Expr(16), ForKind::kVectorized, scale(xo * 16 + xi)));
  EXPECT_TRUE(same_ir(out, expected));
}

TEST_F(LoopPassesTest, PartitionKeepsElseBranchInTail) {
  // for i in [0, 10) { if (i < 4) S1 else S2 } -> for i in [0, 4) S1; for i in [4, 6) {...}
  Stmt s1 = scale(i), s2 = Store::make(b, make_zero(Float(32)), {i});
  Stmt in = For::make(i, Expr(0), Expr(10), ForKind::kSerial, IfThenElse::make(i < 4, s1, s2));
  Stmt expected = Block::make(
      {For::make(i, Expr(0), Expr(4), ForKind::kSerial, s1),
       For::make(i, Expr(4), Expr(6), ForKind::kSerial, IfThenElse::make(i < 4, s1, s2))});
  EXPECT_TRUE(same_ir(loop_partition(in), expected));
}

TEST_F(LoopPassesTest, PartitionStripsOnlyTheProvenConjunct) {
  // The loop over i is split on `i < 5`; `j != n` stays in both parts.
  Stmt body = IfThenElse::make(i < 5 && j != n, scale(i * 8 + j));
  Stmt in = For::make(i, Expr(0), Expr(8), ForKind::kSerial,
                      For::make(j, Expr(0), Expr(8), ForKind::kSerial, body));
  Stmt expected = Block::make({For::make(i, Expr(0), Expr(5), ForKind::kSerial,
                                         For::make(j, Expr(0), Expr(8), ForKind::kSerial,
                                                   IfThenElse::make(j != n, scale(i * 8 + j)))),
                               For::make(i, Expr(5), Expr(3), ForKind::kSerial,
                                         For::make(j, Expr(0), Expr(8), ForKind::kSerial, body))});
  EXPECT_TRUE(same_ir(loop_partition(in), expected));
}

TEST_F(LoopPassesTest, PartitionLeavesNonPrefixGuards) {
  // A suffix (negative coefficient), a guard that reads memory, an equality, and a guard
  // that depends on a value computed inside the loop are left alone.
  Expr x = xo * 16 + xi;
  for (Expr cond :
       {x >= n, cast(common::IndexType(), Load::make(a, {Expr(0)})) > xo, xo == Expr(3)}) {
    Stmt in = For::make(
        xo, Expr(0), Expr(8), ForKind::kSerial,
        For::make(xi, Expr(0), Expr(16), ForKind::kSerial, IfThenElse::make(cond, scale(x))));
    EXPECT_TRUE(loop_partition(in).same_as(in)) << to_string(in);
  }
  Expr t = Var::make("t");
  Stmt in = For::make(xo, Expr(0), Expr(8), ForKind::kSerial,
                      LetStmt::make(t, extern_call("g"), IfThenElse::make(xo + t < 4, scale(xo))));
  EXPECT_TRUE(loop_partition(in).same_as(in));
}

TEST_F(LoopPassesTest, PartitionLeavesGpuLoops) {
  Stmt in =
      For::make(i, Expr(0), Expr(10), ForKind::kGPUThreadX, IfThenElse::make(i < 4, scale(i)));
  EXPECT_TRUE(loop_partition(in).same_as(in));
}

TEST_F(LoopPassesTest, PartitionTwoDimensionalTiles) {
  // Both split guards in one condition: the main nest over full tiles has no guard left.
  Expr m = Var::make("m"), io = Var::make("io"), ii = Var::make("ii");
  Expr row = io * 4 + ii, col = xo * 16 + xi;
  Stmt in = For::make(
      io, Expr(0), (m + 3) / 4, ForKind::kSerial,
      For::make(xo, Expr(0), (n + 15) / 16, ForKind::kSerial,
                For::make(ii, Expr(0), Expr(4), ForKind::kSerial,
                          For::make(xi, Expr(0), Expr(16), ForKind::kVectorized,
                                    IfThenElse::make(row < m && col < n, scale(row * 64 + col))))));
  Stmt out = simplify(loop_partition(in));
  // Main, row tail, column tail, corner.
  EXPECT_EQ(count(out, NodeKind::kStore), 4) << to_string(out);
  // out = {for io (main rows) {for xo (main columns) {...}; columns tail}; rows tail}
  const auto* rows = out.as<Block>();
  ASSERT_TRUE(rows && rows->stmts.size() == 2);
  const auto* main_rows = rows->stmts[0].as<For>();
  ASSERT_TRUE(main_rows && main_rows->body.as<Block>());
  const auto* main_cols = main_rows->body.as<Block>()->stmts[0].as<For>();
  ASSERT_TRUE(main_cols);
  EXPECT_TRUE(same_ir(
      main_cols->body,
      For::make(ii, Expr(0), Expr(4), ForKind::kSerial,
                For::make(xi, Expr(0), Expr(16), ForKind::kVectorized, scale(row * 64 + col)))));
}

// ---------------------------------------------------------------------------------------
// unroll_loops

TEST_F(LoopPassesTest, UnrollConstantLoop) {
  Stmt in = For::make(i, Expr(2), Expr(3), ForKind::kUnrolled, scale(i * 4));
  EXPECT_TRUE(
      same_ir(unroll_loops(in), Block::make({scale(Expr(8)), scale(Expr(12)), scale(Expr(16))})));
}

TEST_F(LoopPassesTest, UnrollInsideVectorizedLoop) {
  Stmt in = For::make(j, Expr(0), Expr(16), ForKind::kVectorized,
                      For::make(i, Expr(0), Expr(2), ForKind::kUnrolled, scale(i * 16 + j)));
  Stmt expected =
      For::make(j, Expr(0), Expr(16), ForKind::kVectorized, Block::make({scale(j), scale(j + 16)}));
  EXPECT_TRUE(same_ir(unroll_loops(in), expected));
}

TEST_F(LoopPassesTest, UnrollLeavesLongSymbolicAndOtherLoops) {
  Stmt longer = For::make(i, Expr(0), Expr(kMaxUnrollExtent + 1), ForKind::kUnrolled, scale(i));
  Stmt symbolic = For::make(i, Expr(0), n, ForKind::kUnrolled, scale(i));
  Stmt serial = For::make(i, Expr(0), Expr(4), ForKind::kSerial, scale(i));
  Buffer t = Buffer::make("T", Float(32), {Expr(4)}, MemoryScope::kLocal);
  Stmt allocating = For::make(i, Expr(0), Expr(4), ForKind::kUnrolled,
                              Block::make({Allocate::make(t), scale(i), Free::make(t)}));
  for (const Stmt& s : {longer, symbolic, serial, allocating}) {
    EXPECT_TRUE(unroll_loops(s).same_as(s));
  }
  EXPECT_EQ(count(unroll_loops(longer, kMaxUnrollExtent + 1), NodeKind::kStore),
            kMaxUnrollExtent + 1);
}

// ---------------------------------------------------------------------------------------
// hoist_loop_invariant

TEST_F(LoopPassesTest, HoistInvariantLoadOutOfInnerLoop) {
  // for i { for j { B[i*8 + j] = A[i*8 + j] * S[i] } }: S[i] is loaded once per row.
  Buffer s = Buffer::make("S", Float(32), {Expr(8)});
  Expr t = Var::make("t", Float(32));
  auto body = [&](const Expr& factor) {
    return Store::make(b, Load::make(a, {i * 8 + j}) * factor, {i * 8 + j});
  };
  Stmt in = For::make(i, Expr(0), Expr(8), ForKind::kSerial,
                      For::make(j, Expr(0), Expr(8), ForKind::kSerial, body(Load::make(s, {i}))));
  Stmt expected =
      For::make(i, Expr(0), Expr(8), ForKind::kSerial,
                LetStmt::make(t, Load::make(s, {i}),
                              For::make(j, Expr(0), Expr(8), ForKind::kSerial, body(t))));
  EXPECT_TRUE(same_ir(hoist_loop_invariant(in), expected));
}

TEST_F(LoopPassesTest, HoistOutOfSeveralLevelsAndMathCalls) {
  // sqrt(S[0]) does not depend on i or j: it goes in front of the outer loop.
  Buffer s = Buffer::make("S", Float(32), {Expr(1)});
  Expr e = Call::make(Float(32), "sqrt", {Load::make(s, {Expr(0)})}, Call::Kind::kIntrinsic);
  Expr t = Var::make("t", Float(32));
  auto nest = [&](const Expr& v) {
    return For::make(i, Expr(0), Expr(4), ForKind::kParallel,
                     For::make(j, Expr(0), Expr(4), ForKind::kSerial,
                               Store::make(b, v + Load::make(a, {i * 4 + j}), {i * 4 + j})));
  };
  EXPECT_TRUE(same_ir(hoist_loop_invariant(nest(e)), LetStmt::make(t, e, nest(t))));
}

TEST_F(LoopPassesTest, HoistRespectsStoresToTheSameBuffer) {
  // A[0] is written inside the loop: not invariant. A different Buffer node named "A" does
  // not alias it.
  Buffer other = Buffer::make("A", Float(32), {Expr(1024)});
  auto loop = [&](const Buffer& read) {
    return For::make(i, Expr(1), Expr(8), ForKind::kSerial,
                     Store::make(a, Load::make(read, {Expr(0)}) + 1.0f, {i}));
  };
  Stmt same = loop(a);
  EXPECT_TRUE(hoist_loop_invariant(same).same_as(same));
  Expr t = Var::make("t", Float(32));
  EXPECT_TRUE(same_ir(
      hoist_loop_invariant(loop(other)),
      LetStmt::make(t, Load::make(other, {Expr(0)}) + 1.0f,
                    For::make(i, Expr(1), Expr(8), ForKind::kSerial, Store::make(a, t, {i})))));
}

TEST_F(LoopPassesTest, HoistAddsNoLoadThatMightNotRun) {
  Expr load = Load::make(a, {n});
  Stmt store = Store::make(b, load, {i});
  // The loop may run zero times (n may be 0).
  Stmt maybe_empty = For::make(i, Expr(0), n, ForKind::kSerial, store);
  // The load is guarded.
  Stmt guarded =
      For::make(i, Expr(0), Expr(8), ForKind::kSerial, IfThenElse::make(n < 1024, store));
  // The load is in a Select arm.
  // The load is in a Select arm (the Select as a whole varies with i).
  Stmt select_arm = For::make(i, Expr(0), Expr(8), ForKind::kSerial,
                              Store::make(b, select(i < 4, load, 0.0f), {i}));
  // An extern call inside the loop may write A.
  Stmt with_call = For::make(i, Expr(0), Expr(8), ForKind::kSerial,
                             Block::make({Evaluate::make(extern_call("touch")), store}));
  for (const Stmt& s : {maybe_empty, guarded, select_arm, with_call}) {
    EXPECT_TRUE(hoist_loop_invariant(s).same_as(s)) << to_string(s);
  }
}

TEST_F(LoopPassesTest, HoistReplacesConditionalCopiesOfAnUnconditionalLoad) {
  // A[n] is loaded in every iteration, so its copy under the guard can use the hoisted value.
  Expr load = Load::make(a, {n});
  Expr t = Var::make("t", Float(32));
  auto loop = [&](const Expr& v) {
    return For::make(i, Expr(0), Expr(8), ForKind::kSerial,
                     Block::make({Store::make(b, v, {i}),
                                  IfThenElse::make(i < 2, Store::make(b, v * 2.0f, {i}))}));
  };
  EXPECT_TRUE(same_ir(hoist_loop_invariant(loop(load)), LetStmt::make(t, load, loop(t))));
}

}  // namespace
}  // namespace cinn::ir
