// Tests of cinn/ir/simplify*: one expectation per rule (the printed simplified IR), the
// bounds analysis, and randomized checks that simplification preserves the value of integer
// expressions under the IR's semantics (wrap-around, floor division) at every point of the
// variables' ranges.
#include "cinn/ir/simplify.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <string>

#include "cinn/ir/equality.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/printer.h"

namespace cinn::ir {
namespace {

using common::Bool;
using common::Float;
using common::Int;

class SimplifyTest : public ::testing::Test {
 protected:
  // The printed simplification of e, with the ranges set by with().
  std::string s(const Expr& e) { return to_string(simplify(e, ranges_)); }
  void with(const Expr& v, int64_t lo, int64_t hi) {
    ranges_[v.as<Var>()] = Interval::bounded(lo, hi);
  }

  Expr x = Var::make("x"), y = Var::make("y"), z = Var::make("z");
  Expr fx = Var::make("fx", Float(32)), fy = Var::make("fy", Float(32));
  Expr b = Var::make("b", Bool()), c = Var::make("c", Bool());
  VarRanges ranges_;
};

// An extern call: has side effects, so rules must neither drop nor duplicate it.
Expr ext() { return Call::make(common::IndexType(), "f", {}, Call::Kind::kExtern); }

// ---------------------------------------------------------------------------------------
// Constant folding

TEST_F(SimplifyTest, FoldIntArithmetic) {
  EXPECT_EQ(s(Expr(3) + 4), "7");
  EXPECT_EQ(s(Expr(3) - 10), "-7");
  EXPECT_EQ(s(Expr(6) * 7), "42");
  EXPECT_EQ(s(min(Expr(3), Expr(-5))), "-5");
  EXPECT_EQ(s(max(Expr(3), Expr(-5))), "3");
}

TEST_F(SimplifyTest, FoldFloorDivModWithNegatives) {
  EXPECT_EQ(s(Expr(7) / 2), "3");
  EXPECT_EQ(s(Expr(7) % 2), "1");
  EXPECT_EQ(s(Expr(-7) / 2), "-4");
  EXPECT_EQ(s(Expr(-7) % 2), "1");
  EXPECT_EQ(s(Expr(7) / -2), "-4");
  EXPECT_EQ(s(Expr(7) % -2), "-1");
  EXPECT_EQ(s(Expr(-7) / -2), "3");
  EXPECT_EQ(s(Expr(-7) % -2), "-1");
  EXPECT_EQ(s(Expr(-8) / 2), "-4");
  EXPECT_EQ(s(Expr(-8) % 2), "0");
}

TEST_F(SimplifyTest, DivisionByZeroDoesNotFold) {
  EXPECT_EQ(s(Expr(1) / 0), "1 / 0");
  EXPECT_EQ(s(Expr(1) % 0), "1 % 0");
}

TEST_F(SimplifyTest, FoldWrapsLikeTheType) {
  Expr i8max = IntImm::make(Int(8), 127), one8 = IntImm::make(Int(8), 1);
  EXPECT_EQ(s(i8max + one8), "int8(-128)");
  Expr i64min = Expr(std::numeric_limits<int64_t>::min());
  EXPECT_EQ(s(Expr(std::numeric_limits<int64_t>::max()) + 1), to_string(i64min));
  // The one floor division that overflows wraps back to the minimum.
  EXPECT_EQ(s(i64min / -1), to_string(i64min));
  EXPECT_EQ(s(i64min % -1), "0");
}

TEST_F(SimplifyTest, FoldUnsigned) {
  Expr a = UIntImm::make(common::UInt(8), 250), c10 = UIntImm::make(common::UInt(8), 10);
  EXPECT_EQ(s(a + c10), "uint8(4)");
  EXPECT_EQ(s(c10 - a), "uint8(16)");
  EXPECT_EQ(s(a / c10), "uint8(25)");
}

TEST_F(SimplifyTest, FoldFloatRoundsToItsPrecision) {
  EXPECT_EQ(s(Expr(1.5f) + Expr(2.25f)), "3.75f");
  EXPECT_TRUE(structural_equal(simplify(Expr(0.1f) + Expr(0.2f)), Expr(0.1f + 0.2f)));
  EXPECT_TRUE(structural_equal(simplify(Expr(0.1) + Expr(0.2)), Expr(0.1 + 0.2)));
  const auto* inf = simplify(Expr(1.0f) / Expr(0.0f)).as<FloatImm>();
  ASSERT_NE(inf, nullptr);
  EXPECT_TRUE(std::isinf(inf->value) && inf->value > 0);
  // Float Min/Max return the operand that is not NaN.
  Expr nan = Expr(std::nanf(""));
  EXPECT_EQ(s(min(nan, Expr(1.0f))), "1.0f");
  EXPECT_EQ(s(max(Expr(2.0f), nan)), "2.0f");
}

TEST_F(SimplifyTest, FoldCast) {
  EXPECT_EQ(s(Cast::make(Int(8), Expr(300))), "int8(44)");
  EXPECT_EQ(s(Cast::make(Float(32), Expr(3))), "3.0f");
  EXPECT_EQ(s(Cast::make(Bool(), Expr(5))), "true");
  EXPECT_EQ(s(Cast::make(common::IndexType(), x)), "x");  // to its own type
}

// ---------------------------------------------------------------------------------------
// Add / Sub / Mul: integer linear forms

TEST_F(SimplifyTest, LinearCollectsTerms) {
  EXPECT_EQ(s(x + 1 + x - 1), "x * 2");
  EXPECT_EQ(s((x + 3) - x), "3");
  EXPECT_EQ(s(x - x), "0");
  EXPECT_EQ(s(y - x + x * 2), "y + x");
  EXPECT_EQ(s(x * y + x * y), "x * y * 2");
}

TEST_F(SimplifyTest, LinearIdentities) {
  EXPECT_EQ(s(x + 0), "x");
  EXPECT_EQ(s(0 + x), "x");
  EXPECT_EQ(s(x - 0), "x");
  EXPECT_EQ(s(x * 1), "x");
  EXPECT_EQ(s(1 * x), "x");
  EXPECT_EQ(s(x * 0), "0");
}

TEST_F(SimplifyTest, LinearCanonicalOrder) {
  EXPECT_EQ(s(8 + x * 4), "x * 4 + 8");
  EXPECT_EQ(s(2 * x), "x * 2");
  EXPECT_EQ(s(x - 5 - 3), "x - 8");
  EXPECT_EQ(s(3 - x - 5), "-2 - x");
  EXPECT_EQ(s(0 - x), "0 - x");
  EXPECT_EQ(s((x + 1) * 4), "x * 4 + 4");
  EXPECT_EQ(s(x * 3 - y * 2 + 1), "x * 3 - y * 2 + 1");
}

TEST_F(SimplifyTest, UnchangedExpressionIsTheSameNode) {
  Expr e = x * 4 + 8;
  EXPECT_TRUE(simplify(e).same_as(e));
  Expr f = min(x, y) / 3 + select(x < y, x, y);
  EXPECT_TRUE(simplify(f).same_as(f));
}

TEST_F(SimplifyTest, LinearCombinesDivAndMod) {
  EXPECT_EQ(s(x / 8 * 8 + x % 8), "x");
  EXPECT_EQ(s(x % 8 + x / 8 * 8), "x");
  EXPECT_EQ(s(x - x / 8 * 8), "x % 8");
  EXPECT_EQ(s((x + y) / 4 * 4 + (x + y) % 4), "x + y");
  EXPECT_EQ(s((x + y) / 4 * 4 - x - y), "0 - (x + y) % 4");
  EXPECT_EQ(s(x / 8 * 8 + y), "x / 8 * 8 + y");
  // A loop fused over [n, 384, 14, 14] and indexed back through div/mod: the flat index
  // of a contiguous buffer is the fused variable (vectorized, a ramp instead of a gather).
  EXPECT_EQ(s(x / 14 % 14 * 14 + x % 14), "x % 196");
  EXPECT_EQ(s(x / 196 * 196 + x / 14 % 14 * 14 + x % 14), "x");
  EXPECT_EQ(s(((x / 75264 * 384 + x / 196 % 384) * 14 + x / 14 % 14) * 14 + x % 14), "x");
  EXPECT_EQ(s((x * 16 + y) / 14 % 14 * 28 + (x * 16 + y) % 14 * 2), "(x * 16 + y) % 196 * 2");
  // Not a split of one variable: left alone.
  EXPECT_EQ(s(x / 14 % 14 * 14 + y % 14), "x / 14 % 14 * 14 + y % 14");
  EXPECT_EQ(s(x / 14 % 14 * 7 + x % 14), "x / 14 % 14 * 7 + x % 14");
}

TEST_F(SimplifyTest, LinearWrapsCoefficients) {
  Expr a = Var::make("a", Int(8));
  // 100 + 100 wraps to -56 in int8, and so does the expression.
  EXPECT_EQ(s(a + 100 + 100), "a - int8(56)");
}

TEST_F(SimplifyTest, SideEffectsAreNeverDroppedOrMerged) {
  EXPECT_EQ(s(ext() - ext()), "extern f() - extern f()");
  EXPECT_EQ(s(ext() * 0), "extern f() * 0");
  EXPECT_EQ(s(select(x < x, ext(), 1)), "select(false, extern f(), 1)");
  EXPECT_EQ(s(ext() + (Expr(1) + 2)), "extern f() + 3");  // children still simplify
}

// ---------------------------------------------------------------------------------------
// Floats: only identities that hold for every IEEE value

TEST_F(SimplifyTest, FloatIdentities) {
  EXPECT_EQ(s(fx * 1.0f), "fx");
  EXPECT_EQ(s(Expr(1.0f) * fx), "fx");
  EXPECT_EQ(s(fx / 1.0f), "fx");
  EXPECT_EQ(s(fx - 0.0f), "fx");
  EXPECT_EQ(s(fx + Expr(-0.0f)), "fx");
  EXPECT_EQ(s(Expr(-0.0f) + fx), "fx");
}

TEST_F(SimplifyTest, FloatNonIdentitiesStay) {
  EXPECT_EQ(s(fx + 0.0f), "fx + 0.0f");  // -0.0 + 0.0 == +0.0
  EXPECT_EQ(s(fx - fx), "fx - fx");      // inf - inf is NaN
  EXPECT_EQ(s(fx * 0.0f), "fx * 0.0f");  // NaN * 0 is NaN
  EXPECT_EQ(s(fx + fy - fy), "fx + fy - fy");
}

// ---------------------------------------------------------------------------------------
// Vectors

TEST_F(SimplifyTest, BroadcastOps) {
  auto bc = [](Expr v) { return Broadcast::make(v, 4); };
  EXPECT_EQ(s(bc(x) + bc(y)), "broadcast(x + y, 4)");
  EXPECT_EQ(s(bc(x) - bc(y)), "broadcast(x - y, 4)");
  EXPECT_EQ(s(bc(x) * bc(Expr(2))), "broadcast(x * 2, 4)");
  EXPECT_EQ(s(bc(x) / bc(y)), "broadcast(x / y, 4)");
  EXPECT_EQ(s(bc(x) % bc(y)), "broadcast(x % y, 4)");
  EXPECT_EQ(s(min(bc(fx), bc(fy))), "broadcast(min(fx, fy), 4)");
  EXPECT_EQ(s(max(bc(x), bc(y))), "broadcast(max(x, y), 4)");
  EXPECT_EQ(s(bc(x) == bc(y)), "broadcast(x == y, 4)");
  EXPECT_EQ(s(bc(x) != bc(y)), "broadcast(x != y, 4)");
  EXPECT_EQ(s(bc(x) < bc(y)), "broadcast(x < y, 4)");
  EXPECT_EQ(s(bc(x) <= bc(y)), "broadcast(x <= y, 4)");
  EXPECT_EQ(s(bc(x) > bc(y)), "broadcast(x > y, 4)");
  EXPECT_EQ(s(bc(x) >= bc(y)), "broadcast(x >= y, 4)");
  EXPECT_EQ(s(bc(b) && bc(c)), "broadcast(b && c, 4)");
  EXPECT_EQ(s(bc(b) || bc(c)), "broadcast(b || c, 4)");
  EXPECT_EQ(s(!bc(b)), "broadcast(!b, 4)");
  // The scalar rules then apply inside.
  EXPECT_EQ(s(bc(Expr(3)) - bc(Expr(1))), "broadcast(2, 4)");
  EXPECT_EQ(s(bc(x + 1) - bc(x)), "broadcast(1, 4)");
}

TEST_F(SimplifyTest, RampOps) {
  auto bc = [](Expr v) { return Broadcast::make(v, 4); };
  auto ramp = [](Expr b, Expr st) { return Ramp::make(b, st, 4); };
  EXPECT_EQ(s(ramp(x, 1) + ramp(y, 2)), "ramp(x + y, 3, 4)");
  EXPECT_EQ(s(ramp(x, 1) + bc(y)), "ramp(x + y, 1, 4)");
  EXPECT_EQ(s(bc(y) + ramp(x, 1)), "ramp(y + x, 1, 4)");
  EXPECT_EQ(s(ramp(x, 3) - ramp(y, 1)), "ramp(x - y, 2, 4)");
  EXPECT_EQ(s(ramp(x, 1) - bc(y)), "ramp(x - y, 1, 4)");
  EXPECT_EQ(s(bc(y) - ramp(x, 1)), "ramp(y - x, -1, 4)");
  EXPECT_EQ(s(ramp(x, 1) * bc(Expr(4))), "ramp(x * 4, 4, 4)");
  EXPECT_EQ(s(bc(Expr(4)) * ramp(x, 1)), "ramp(x * 4, 4, 4)");
  EXPECT_EQ(s(ramp(x, 1) - ramp(x, 1)), "broadcast(0, 4)");  // stride 0 is a broadcast
}

TEST_F(SimplifyTest, FloatRampsDoNotRegroup) {
  Expr r = Ramp::make(fx, Expr(1.0f), 4) + Ramp::make(fy, Expr(1.0f), 4);
  EXPECT_TRUE(simplify(r).same_as(r));
}

// ---------------------------------------------------------------------------------------
// Div / Mod

TEST_F(SimplifyTest, DivModTableRules) {
  EXPECT_EQ(s(x / 1), "x");
  EXPECT_EQ(s(x % 1), "0");
  EXPECT_EQ(s(x / -1), "0 - x");
  EXPECT_EQ(s(x % -1), "0");
  EXPECT_EQ(s(x / x), "1");
  EXPECT_EQ(s(x % x), "0");
  EXPECT_EQ(s(0 / x), "0");
  EXPECT_EQ(s(0 % x), "0");
}

TEST_F(SimplifyTest, NestedDivByPositiveConstants) {
  EXPECT_EQ(s(x / 4 / 2), "x / 8");
  EXPECT_EQ(s(x / -4 / 2), "x / -4 / 2");  // needs both positive
  EXPECT_EQ(s(x / 4 / -2), "x / 4 / -2");
  // 2^62 * 4 overflows, so the divisors are not merged.
  Expr big = Expr(int64_t{1} << 62);
  EXPECT_EQ(s(x / big / 4), "x / 4611686018427387904 / 4");
}

TEST_F(SimplifyTest, NestedModByDivisor) {
  EXPECT_EQ(s(x % 16 % 8), "x % 8");
  EXPECT_EQ(s(x % 8 % 16), "x % 8");  // by bounds: x % 8 is in [0, 8)
  EXPECT_EQ(s(x % 12 % 8), "x % 12 % 8");
}

TEST_F(SimplifyTest, DivModByBounds) {
  with(x, 0, 7);
  EXPECT_EQ(s(x / 8), "0");
  EXPECT_EQ(s(x % 8), "x");
  with(y, 8, 15);
  EXPECT_EQ(s(y / 8), "1");
  EXPECT_EQ(s(y % 8), "y - 8");
  with(z, -8, -1);
  EXPECT_EQ(s(z / 8), "-1");
  EXPECT_EQ(s(z % 8), "z + 8");
  EXPECT_EQ(s(x / 4), "x / 4");
}

TEST_F(SimplifyTest, DivModSplitLinearNumerator) {
  with(x, 0, 3);
  with(y, 0, 7);
  EXPECT_EQ(s((x * 8 + y) / 8), "x");
  EXPECT_EQ(s((x * 8 + y) % 8), "y");
  EXPECT_EQ(s((y + x * 8) / 8), "x");
  with(z, 0, 15);
  EXPECT_EQ(s((x * 8 + z) / 8), "x + z / 8");
  EXPECT_EQ(s((x * 8 + z) % 8), "z % 8");
  EXPECT_EQ(s((x * 8 - 1) / 8), "x - 1");  // floor(-1 / 8) == -1
  EXPECT_EQ(s((x * 8 + 10) / 8), "x + 1");
  EXPECT_EQ(s((x * 8 + 10) % 8), "2");
}

TEST_F(SimplifyTest, DivModSplitNeedsNoOverflow) {
  // Without ranges x * 8 may wrap, and then (x*8 + y) / 8 != x + y / 8.
  EXPECT_EQ(s((x * 8 + y) / 8), "(x * 8 + y) / 8");
  EXPECT_EQ(s((x * 8 + y) % 8), "(x * 8 + y) % 8");
}

TEST_F(SimplifyTest, DivCommonFactor) {
  with(x, 0, 100);
  EXPECT_EQ(s((x * 4 + 8) / 16), "(x + 2) / 4");
  EXPECT_EQ(s(x * 6 / 3), "x * 2");
}

TEST_F(SimplifyTest, DivModWithRangesFromEnclosingFor) {
  Buffer a = Buffer::make("A", Float(32), {Expr(8)});
  Buffer out = Buffer::make("B", Float(32), {Expr(4)});
  Expr i = Var::make("i"), j = Var::make("j");
  Expr flat = i * 8 + j;
  Stmt loop = For::make(i, Expr(0), Expr(4), ForKind::kSerial,
                        For::make(j, Expr(0), Expr(8), ForKind::kSerial,
                                  Store::make(out, Load::make(a, {flat % 8}), {flat / 8})));
  EXPECT_EQ(to_string(simplify(loop)),
            "for (i, 0, 4) {\n"
            "  for (j, 0, 8) {\n"
            "    B[i] = A[j]\n"
            "  }\n"
            "}\n");
}

// ---------------------------------------------------------------------------------------
// Min / Max

TEST_F(SimplifyTest, MinMaxTableRules) {
  EXPECT_EQ(s(min(x, x)), "x");
  EXPECT_EQ(s(max(x, x)), "x");
  EXPECT_EQ(s(min(Expr(5), x)), "min(x, 5)");
  EXPECT_EQ(s(max(Expr(5), x)), "max(x, 5)");
  EXPECT_EQ(s(min(min(x, 3), 5)), "min(x, 3)");
  EXPECT_EQ(s(max(max(x, 3), 5)), "max(x, 5)");
  EXPECT_EQ(s(min(max(x, 10), 5)), "5");
  EXPECT_EQ(s(max(min(x, 3), 7)), "7");
  EXPECT_EQ(s(min(max(x, 3), 7)), "min(max(x, 3), 7)");
  EXPECT_EQ(s(min(x, max(x, y))), "x");
  EXPECT_EQ(s(min(x, max(y, x))), "x");
  EXPECT_EQ(s(min(max(x, y), x)), "x");
  EXPECT_EQ(s(min(max(y, x), x)), "x");
  EXPECT_EQ(s(max(x, min(x, y))), "x");
  EXPECT_EQ(s(max(x, min(y, x))), "x");
  EXPECT_EQ(s(max(min(x, y), x)), "x");
  EXPECT_EQ(s(max(min(y, x), x)), "x");
  EXPECT_EQ(s(min(x, min(x, y))), "min(x, y)");
  EXPECT_EQ(s(min(x, min(y, x))), "min(y, x)");
  EXPECT_EQ(s(min(min(x, y), x)), "min(x, y)");
  EXPECT_EQ(s(min(min(y, x), x)), "min(y, x)");
  EXPECT_EQ(s(max(x, max(x, y))), "max(x, y)");
  EXPECT_EQ(s(max(x, max(y, x))), "max(y, x)");
  EXPECT_EQ(s(max(max(x, y), x)), "max(x, y)");
  EXPECT_EQ(s(max(max(y, x), x)), "max(y, x)");
}

TEST_F(SimplifyTest, MinMaxByBounds) {
  with(x, 0, 3);
  with(y, 5, 9);
  EXPECT_EQ(s(min(x, y)), "x");
  EXPECT_EQ(s(max(x, y)), "y");
  EXPECT_EQ(s(min(y, 10)), "y");
  EXPECT_EQ(s(max(x, 0)), "x");  // x >= 0 is enough
  EXPECT_EQ(s(min(x, 0)), "0");
  EXPECT_EQ(s(min(x, 2)), "min(x, 2)");
}

TEST_F(SimplifyTest, MinMaxOfOffsetsBySignOfConstant) {
  with(x, 0, 100);
  EXPECT_EQ(s(min(x, x + 1)), "x");
  EXPECT_EQ(s(min(x + 3, x)), "x");
  EXPECT_EQ(s(max(x, x - 2)), "x");
  EXPECT_EQ(s(max(x + y, x + y + 4)), "max(x + y, x + y + 4)");  // y unknown: may wrap
}

TEST_F(SimplifyTest, MinMaxOfOffsetsNeedNoOverflow) {
  // x + 1 wraps for the largest x, where min(x, x + 1) == x + 1.
  EXPECT_EQ(s(min(x, x + 1)), "min(x, x + 1)");
}

TEST_F(SimplifyTest, FloatMinMax) {
  EXPECT_EQ(s(min(fx, fx)), "fx");
  EXPECT_EQ(s(max(fx, fx)), "fx");
  // With a NaN x, min(x, max(x, y)) is y.
  EXPECT_EQ(s(min(fx, max(fx, fy))), "min(fx, max(fx, fy))");
}

// ---------------------------------------------------------------------------------------
// Comparisons

TEST_F(SimplifyTest, CompareConstants) {
  EXPECT_EQ(s(Expr(3) < 5), "true");
  EXPECT_EQ(s(Expr(3) >= 5), "false");
  EXPECT_EQ(s(Expr(1.0f) < Expr(2.0f)), "true");
  Expr nan = Expr(std::nanf(""));
  EXPECT_EQ(s(nan == nan), "false");
  EXPECT_EQ(s(nan != nan), "true");
}

TEST_F(SimplifyTest, CompareEqualOperands) {
  EXPECT_EQ(s(x == x), "true");
  EXPECT_EQ(s(x != x), "false");
  EXPECT_EQ(s(x < x), "false");
  EXPECT_EQ(s(x <= x), "true");
  EXPECT_EQ(s(x > x), "false");
  EXPECT_EQ(s(x >= x), "true");
  EXPECT_EQ(s(fx == fx), "fx == fx");  // false for NaN
}

TEST_F(SimplifyTest, EqualityByLinearDifference) {
  // Wrap-around preserves equality, so no ranges are needed.
  EXPECT_EQ(s(x + 1 == 1 + x), "true");
  EXPECT_EQ(s(x + 1 == x), "false");
  EXPECT_EQ(s(x * 2 != x * 2 + 1), "true");
  EXPECT_EQ(s(x == y), "x == y");
}

TEST_F(SimplifyTest, CompareByBounds) {
  with(x, 0, 7);
  with(y, 10, 20);
  EXPECT_EQ(s(x < 8), "true");
  EXPECT_EQ(s(x >= 8), "false");
  EXPECT_EQ(s(x <= 7), "true");
  EXPECT_EQ(s(x > -1), "true");
  EXPECT_EQ(s(x == 9), "false");
  EXPECT_EQ(s(x < y), "true");
  EXPECT_EQ(s(y <= x), "false");
  EXPECT_EQ(s(x < 4), "x < 4");
}

TEST_F(SimplifyTest, CompareOffsetsNeedsNoOverflow) {
  EXPECT_EQ(s(x < x + 1), "x < x + 1");  // false for the largest x
  with(x, 0, 100);
  EXPECT_EQ(s(x < x + 1), "true");
  EXPECT_EQ(s(x + 2 <= x + 1), "false");
  with(y, -5, 5);
  EXPECT_EQ(s(x + y < x + y + 2), "true");
  EXPECT_EQ(s(x + y < y + 7 + x), "true");
}

TEST_F(SimplifyTest, CompareInLoopWithSymbolicExtent) {
  // i < 0 + n <= INT64_MAX, so i + 1 cannot wrap even though n is unknown.
  Expr n = Var::make("n"), i = Var::make("i");
  Buffer out = Buffer::make("B", Bool(), {n});
  Stmt loop =
      For::make(i, Expr(0), n, ForKind::kSerial, Store::make(out, (i < i + 1) && (i >= 0), {i}));
  EXPECT_EQ(to_string(simplify(loop)),
            "for (i, 0, n) {\n"
            "  B[i] = true\n"
            "}\n");
}

// ---------------------------------------------------------------------------------------
// And / Or / Not / Select

TEST_F(SimplifyTest, AndRules) {
  Expr t = make_const(Bool(), 1), f = make_const(Bool(), 0);
  EXPECT_EQ(s(t && b), "b");
  EXPECT_EQ(s(b && t), "b");
  EXPECT_EQ(s(f && b), "false");
  EXPECT_EQ(s(b && f), "false");
  EXPECT_EQ(s(b && b), "b");
  EXPECT_EQ(s(b && !b), "false");
  EXPECT_EQ(s(!b && b), "false");
  EXPECT_EQ(s(b && c), "b && c");
}

TEST_F(SimplifyTest, OrRules) {
  Expr t = make_const(Bool(), 1), f = make_const(Bool(), 0);
  EXPECT_EQ(s(t || b), "true");
  EXPECT_EQ(s(b || t), "true");
  EXPECT_EQ(s(f || b), "b");
  EXPECT_EQ(s(b || f), "b");
  EXPECT_EQ(s(b || b), "b");
  EXPECT_EQ(s(b || !b), "true");
  EXPECT_EQ(s(!b || b), "true");
}

TEST_F(SimplifyTest, NotRules) {
  EXPECT_EQ(s(!make_const(Bool(), 1)), "false");
  EXPECT_EQ(s(!!b), "b");
  EXPECT_EQ(s(!(x == y)), "x != y");
  EXPECT_EQ(s(!(x != y)), "x == y");
  EXPECT_EQ(s(!(x < y)), "y <= x");
  EXPECT_EQ(s(!(x <= y)), "y < x");
  EXPECT_EQ(s(!(x > y)), "x <= y");
  EXPECT_EQ(s(!(x >= y)), "x < y");
  EXPECT_EQ(s(!(fx < fy)), "!(fx < fy)");  // both false for NaN
  EXPECT_EQ(s(!(fx == fy)), "fx != fy");
}

TEST_F(SimplifyTest, SelectRules) {
  EXPECT_EQ(s(select(make_const(Bool(), 1), x, y)), "x");
  EXPECT_EQ(s(select(make_const(Bool(), 0), x, y)), "y");
  EXPECT_EQ(s(select(b, x + 1, 1 + x)), "x + 1");
  EXPECT_EQ(s(select(!b, x, y)), "select(b, y, x)");
  with(x, 0, 7);
  EXPECT_EQ(s(select(x < 8, x, y)), "x");
  EXPECT_EQ(s(select(b, x, y)), "select(b, x, y)");
}

// ---------------------------------------------------------------------------------------
// Statements

TEST_F(SimplifyTest, LoopsThatNeverRunAreDropped) {
  Buffer out = Buffer::make("B", common::IndexType(), {Expr(4)});
  Expr i = Var::make("i"), j = Var::make("j");
  Stmt body =
      Block::make({For::make(i, Expr(0), Expr(2) - 2, ForKind::kSerial, Store::make(out, i, {i})),
                   For::make(j, Expr(0), Expr(1), ForKind::kSerial, Store::make(out, j + 0, {j}))});
  // The unit loop stays: schedules and later passes may refer to it.
  EXPECT_EQ(to_string(simplify(body)),
            "for (j, 0, 1) {\n"
            "  B[j] = j\n"
            "}\n");
}

TEST_F(SimplifyTest, LoopsWithNothingLeftAreDropped) {
  // The guard never holds in [4, 16): the loop has nothing to do. A loop whose bound calls an
  // extern function stays, since the call must run.
  Buffer out = Buffer::make("B", common::IndexType(), {Expr(16)});
  Expr i = Var::make("i");
  Stmt guarded = IfThenElse::make(i < 4, Store::make(out, i, {i}));
  EXPECT_EQ(to_string(simplify(For::make(i, Expr(4), Expr(12), ForKind::kSerial, guarded))), "");
  Stmt effect = For::make(i, Expr(4), ext(), ForKind::kSerial, Block::make({}));
  EXPECT_TRUE(simplify(effect).same_as(effect));
}

TEST_F(SimplifyTest, IfWithConstantCondition) {
  Buffer out = Buffer::make("B", common::IndexType(), {Expr(4)});
  Stmt then_case = Store::make(out, Expr(1), {Expr(0)});
  Stmt else_case = Store::make(out, Expr(2), {Expr(0)});
  EXPECT_EQ(to_string(simplify(IfThenElse::make(Expr(1) < 2, then_case, else_case))), "B[0] = 1\n");
  EXPECT_EQ(to_string(simplify(IfThenElse::make(x < x, then_case, else_case))), "B[0] = 2\n");
  Stmt dead = Block::make({IfThenElse::make(x != x, then_case), else_case});
  EXPECT_EQ(to_string(simplify(dead)), "B[0] = 2\n");
}

TEST_F(SimplifyTest, IfConditionNarrowsRanges) {
  Buffer out = Buffer::make("B", common::IndexType(), {Expr(16)});
  Expr i = Var::make("i");
  Stmt loop = For::make(
      i, Expr(0), Expr(16), ForKind::kSerial,
      IfThenElse::make(i < 4, Store::make(out, i / 4, {i}), Store::make(out, i / 16 + i % 4, {i})));
  EXPECT_EQ(to_string(simplify(loop)),
            "for (i, 0, 16) {\n"
            "  if (i < 4) {\n"
            "    B[i] = 0\n"
            "  } else {\n"
            "    B[i] = i % 4\n"
            "  }\n"
            "}\n");
}

TEST_F(SimplifyTest, LetOfConstantIsInlined) {
  Expr v = Var::make("v");
  EXPECT_EQ(s(Let::make(v, Expr(3), v + 1)), "4");
  Buffer out = Buffer::make("B", common::IndexType(), {Expr(4)});
  EXPECT_EQ(to_string(simplify(LetStmt::make(v, Expr(2) + 1, Store::make(out, v * 2, {v})))),
            "B[3] = 6\n");
}

TEST_F(SimplifyTest, LetValueRangeIsKnownInBody) {
  Expr v = Var::make("v");
  EXPECT_EQ(s(Let::make(v, x % 4, v / 4)), "0");  // and the unused let disappears
  EXPECT_EQ(s(Let::make(v, x * y, v + v)), "(let v = x * y in v * 2)");
}

TEST_F(SimplifyTest, BlockIterVarRanges) {
  Buffer out = Buffer::make("B", common::IndexType(), {Expr(16)});
  Expr i = Var::make("i"), vi = Var::make("vi");
  Stmt block = ScheduleBlock::make("B", {{vi, {Expr(0), Expr(16)}, IterVar::Kind::kSpatial}}, {},
                                   {{out, {{vi, Expr(1)}}}}, Stmt(),
                                   Store::make(out, vi / 16 + vi % 16, {vi}));
  Stmt loop =
      For::make(i, Expr(0), Expr(16), ForKind::kSerial, ScheduleBlockRealize::make({i + 0}, block));
  EXPECT_EQ(to_string(simplify(loop)),
            "for (i, 0, 16) {\n"
            "  block B(vi:spatial[0, 16]=i) {\n"
            "    writes: B[vi]\n"
            "    B[vi] = vi\n"
            "  }\n"
            "}\n");
}

TEST_F(SimplifyTest, UnchangedStatementIsTheSameNode) {
  Buffer out = Buffer::make("B", common::IndexType(), {Expr(16)});
  Expr i = Var::make("i");
  Stmt loop = For::make(i, Expr(0), Expr(16), ForKind::kSerial, Store::make(out, i / 4, {i}));
  EXPECT_TRUE(simplify(loop).same_as(loop));
}

TEST_F(SimplifyTest, CanProve) {
  with(x, 0, 7);
  EXPECT_TRUE(can_prove(x < 8, ranges_));
  EXPECT_TRUE(can_prove(x * 2 + 1 <= 15, ranges_));
  EXPECT_FALSE(can_prove(x < 7, ranges_));
  EXPECT_FALSE(can_prove(x < 8));
}

// ---------------------------------------------------------------------------------------
// Bounds analysis

TEST(Bounds, Arithmetic) {
  Expr x = Var::make("x"), y = Var::make("y");
  VarRanges r = {{x.as<Var>(), Interval::bounded(0, 3)}, {y.as<Var>(), Interval::bounded(-2, 5)}};
  EXPECT_EQ(bounds_of(x * 2 + 1, r), Interval::bounded(1, 7));
  EXPECT_EQ(bounds_of(x - y, r), Interval::bounded(-5, 5));
  EXPECT_EQ(bounds_of(x * y, r), Interval::bounded(-6, 15));
  EXPECT_EQ(bounds_of(min(x, y), r), Interval::bounded(-2, 3));
  EXPECT_EQ(bounds_of(max(x, y), r), Interval::bounded(0, 5));
  EXPECT_EQ(bounds_of(select(x < y, x, y + 10), r), Interval::bounded(0, 15));
  EXPECT_EQ(bounds_of(Ramp::make(x, Expr(2), 4), r), Interval::bounded(0, 9));
  EXPECT_EQ(bounds_of(x + 1), Interval::everything());
}

TEST(Bounds, FloorDivMod) {
  Expr x = Var::make("x"), y = Var::make("y");
  VarRanges r = {{x.as<Var>(), Interval::bounded(-5, 9)}, {y.as<Var>(), Interval::bounded(2, 3)}};
  EXPECT_EQ(bounds_of(x / 4, r), Interval::bounded(-2, 2));
  EXPECT_EQ(bounds_of(x / -4, r), Interval::bounded(-3, 1));
  EXPECT_EQ(bounds_of(x % 4, r), Interval::bounded(0, 3));
  EXPECT_EQ(bounds_of(x % -4, r), Interval::bounded(-3, 0));
  EXPECT_EQ(bounds_of(x / y, r), Interval::bounded(-3, 4));
  EXPECT_EQ(bounds_of(x % y, r), Interval::bounded(0, 2));
  EXPECT_EQ(bounds_of(y % 8, r), Interval::bounded(2, 3));
}

TEST(Bounds, OverflowWidensToTheType) {
  Expr a = Var::make("a", Int(8));
  VarRanges r = {{a.as<Var>(), Interval::bounded(100, 120)}};
  EXPECT_EQ(bounds_of(a, r), Interval::bounded(100, 120));
  // A bound at the type's limit says nothing, so it is left out.
  EXPECT_EQ(bounds_of(a + 7, r), (Interval{107, std::nullopt}));
  EXPECT_EQ(bounds_of(a + 6, r), Interval::bounded(106, 126));
  EXPECT_EQ(bounds_of(a + 8, r), Interval::everything());  // 128 wraps to -128
  EXPECT_EQ(bounds_of(Cast::make(Int(8), Var::make("w")), {}), Interval::everything());
  EXPECT_TRUE(analyze_bounds(a + 7, r).no_overflow);
  EXPECT_FALSE(analyze_bounds(a + 8, r).no_overflow);
  // Atoms (here a division) hide the overflow of their operands.
  EXPECT_TRUE(analyze_bounds((a + 8) / 2 + 1, r).no_overflow);
}

// ---------------------------------------------------------------------------------------
// Randomized: simplification preserves values

// Evaluates an integer expression of type `t` with the IR's semantics.
class Evaluator {
 public:
  Evaluator(Type t, std::map<const Var*, int64_t> env) : bits_(t.bits()), env_(std::move(env)) {}

  int64_t eval(const Expr& e) {
    switch (e.kind()) {
      case NodeKind::kIntImm: return e.as<IntImm>()->value;
      case NodeKind::kVar: return env_.at(e.as<Var>());
      case NodeKind::kAdd: return wrap(static_cast<__int128>(a(e)) + b(e));
      case NodeKind::kSub: return wrap(static_cast<__int128>(a(e)) - b(e));
      case NodeKind::kMul: return wrap(static_cast<__int128>(a(e)) * b(e));
      case NodeKind::kDiv: {
        __int128 x = a(e), y = b(e);
        __int128 q = x / y;
        if (x % y != 0 && ((x < 0) != (y < 0))) --q;
        return wrap(q);
      }
      case NodeKind::kMod: {
        __int128 x = a(e), y = b(e);
        __int128 r = x % y;
        if (r != 0 && ((r < 0) != (y < 0))) r += y;
        return wrap(r);
      }
      case NodeKind::kMin: return std::min(a(e), b(e));
      case NodeKind::kMax: return std::max(a(e), b(e));
      case NodeKind::kEQ: return a(e) == b(e);
      case NodeKind::kNE: return a(e) != b(e);
      case NodeKind::kLT: return a(e) < b(e);
      case NodeKind::kLE: return a(e) <= b(e);
      case NodeKind::kGT: return a(e) > b(e);
      case NodeKind::kGE: return a(e) >= b(e);
      case NodeKind::kAnd: return a(e) && b(e);
      case NodeKind::kOr: return a(e) || b(e);
      case NodeKind::kNot: return !eval(e.as<Not>()->a);
      case NodeKind::kSelect: {
        const auto* s = e.as<Select>();
        return eval(s->condition) ? eval(s->true_value) : eval(s->false_value);
      }
      default: ADD_FAILURE() << "cannot evaluate " << e; return 0;
    }
  }

 private:
  // Operands of any binary node (they all lay out a, b the same way as Add).
  int64_t a(const Expr& e) { return eval(binary(e).first); }
  int64_t b(const Expr& e) { return eval(binary(e).second); }
  static std::pair<Expr, Expr> binary(const Expr& e) {
    switch (e.kind()) {
#define CINN_CASE(Name) \
  case NodeKind::k##Name: return {e.as<Name>()->a, e.as<Name>()->b};
      CINN_CASE(Add)
      CINN_CASE(Sub) CINN_CASE(Mul) CINN_CASE(Div) CINN_CASE(Mod) CINN_CASE(Min) CINN_CASE(Max)
          CINN_CASE(EQ) CINN_CASE(NE) CINN_CASE(LT) CINN_CASE(LE) CINN_CASE(GT) CINN_CASE(GE)
              CINN_CASE(And) CINN_CASE(Or)
#undef CINN_CASE
                  default : return {};
    }
  }
  int64_t wrap(__int128 v) const {
    using u128 = unsigned __int128;
    u128 m = static_cast<u128>(v) & ((static_cast<u128>(1) << bits_) - 1);
    __int128 r = static_cast<__int128>(m);
    if ((m >> (bits_ - 1)) & 1) r -= static_cast<__int128>(1) << bits_;
    return static_cast<int64_t>(r);
  }

  int bits_;
  std::map<const Var*, int64_t> env_;
};

// Random integer expressions of type t over `vars`, biased towards the shapes the rules
// look for (linear numerators of Div/Mod by constants, min/max of offsets, comparisons).
class ExprGen {
 public:
  ExprGen(Type t, std::vector<Expr> vars, uint32_t seed)
      : t_(t), vars_(std::move(vars)), rng_(seed) {}

  Expr gen(int depth) {
    if (depth == 0 || pick(5) == 0) return leaf();
    const int d = depth - 1;
    switch (pick(12)) {
      case 0: return gen(d) + gen(d);
      case 1: return gen(d) - gen(d);
      case 2: return gen(d) * constant(-4, 4);
      case 3: return gen(d) * gen(d);
      case 4: return gen(d) / nonzero();
      case 5: return gen(d) % nonzero();
      case 6: {
        Expr c = nonzero();
        return (gen(d) * c + gen(d)) / c;
      }
      case 7: {
        Expr c = nonzero();
        return (gen(d) * c + gen(d)) % c;
      }
      case 8: return min(gen(d), gen(d) + constant(-3, 3));
      case 9: return max(gen(d), gen(d));
      case 10: return select(cond(d), gen(d), gen(d));
      default: return select(cond(d) && cond(d), gen(d), gen(d) / nonzero() * nonzero());
    }
  }

 private:
  Expr cond(int d) {
    Expr a = gen(d), b = pick(2) ? gen(d) : a + constant(-2, 2);
    switch (pick(7)) {
      case 0: return a < b;
      case 1: return a <= b;
      case 2: return a > b;
      case 3: return a >= b;
      case 4: return a == b;
      case 5: return a != b;
      default: return !(a < b) || a == b;
    }
  }
  Expr leaf() {
    if (pick(3) == 0) return constant(-8, 8);
    return vars_[pick(static_cast<int>(vars_.size()))];
  }
  Expr constant(int lo, int hi) {
    return IntImm::make(t_, std::uniform_int_distribution<int>(lo, hi)(rng_));
  }
  Expr nonzero() {
    int v = std::uniform_int_distribution<int>(-6, 9)(rng_);
    return IntImm::make(t_, v == 0 ? 8 : v);
  }
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  Type t_;
  std::vector<Expr> vars_;
  std::mt19937 rng_;
};

struct RandomCase {
  Type type;
  std::vector<Expr> vars;
  std::vector<std::pair<int64_t, int64_t>> domain;  // the values each variable takes
  VarRanges ranges;                                 // what the simplifier is told
  int count;
  uint32_t seed;
};

// For every random expression: the simplified one and the bounds analysis agree with the
// original at every point of the domain.
void check_random(const RandomCase& rc) {
  ExprGen gen(rc.type, rc.vars, rc.seed);
  int changed = 0;
  for (int n = 0; n < rc.count; ++n) {
    Expr e = gen.gen(4);
    Expr s = simplify(e, rc.ranges);
    if (!s.same_as(e)) ++changed;
    const Interval bounds = bounds_of(e, rc.ranges);
    std::vector<int64_t> point(rc.vars.size());
    std::function<bool(size_t)> walk = [&](size_t k) {
      if (k == rc.vars.size()) {
        std::map<const Var*, int64_t> env;
        for (size_t i = 0; i < point.size(); ++i) env[rc.vars[i].as<Var>()] = point[i];
        Evaluator ev(rc.type, env);
        const int64_t want = ev.eval(e), got = ev.eval(s);
        if (want != got || !bounds.contains(want)) {
          ADD_FAILURE() << "at point " << ::testing::PrintToString(point) << ":\n  " << e << " = "
                        << want << "\n  " << s << " = " << got << "\n  bounds " << bounds;
          return false;
        }
        return true;
      }
      for (int64_t v = rc.domain[k].first; v <= rc.domain[k].second; ++v) {
        point[k] = v;
        if (!walk(k + 1)) return false;
      }
      return true;
    };
    if (!walk(0)) return;
  }
  // The check is only meaningful if the simplifier actually rewrote most expressions.
  EXPECT_GT(changed, rc.count / 2);
}

TEST(SimplifyRandom, Int64WithKnownRanges) {
  Expr x = Var::make("x"), y = Var::make("y"), z = Var::make("z");
  RandomCase rc{common::IndexType(), {x, y, z}, {{-4, 5}, {0, 7}, {-3, 3}}, {}, 800, 2024};
  rc.ranges = {{x.as<Var>(), Interval::bounded(-4, 5)},
               {y.as<Var>(), Interval::bounded(0, 7)},
               {z.as<Var>(), Interval::bounded(-3, 3)}};
  check_random(rc);
}

TEST(SimplifyRandom, Int64WithoutRanges) {
  // The simplifier knows nothing, so every rewrite must hold for all int64 values; the
  // small domain only samples them.
  Expr x = Var::make("x"), y = Var::make("y");
  check_random({common::IndexType(), {x, y}, {{-9, 9}, {-9, 9}}, {}, 1000, 7});
}

TEST(SimplifyRandom, Int8WrapAround) {
  // x spans the whole int8 range (unknown to the simplifier), y a partial one: values
  // overflow constantly, and rewrites must respect the wrap-around.
  Expr x = Var::make("x", Int(8)), y = Var::make("y", Int(8));
  RandomCase rc{Int(8), {x, y}, {{-128, 127}, {-10, 20}}, {}, 150, 99};
  rc.ranges = {{y.as<Var>(), Interval::bounded(-10, 20)}};
  check_random(rc);
}

TEST(SimplifyRandom, Int8WithKnownRanges) {
  Expr x = Var::make("x", Int(8)), y = Var::make("y", Int(8));
  RandomCase rc{Int(8), {x, y}, {{0, 15}, {-8, 8}}, {}, 1500, 5};
  rc.ranges = {{x.as<Var>(), Interval::bounded(0, 15)}, {y.as<Var>(), Interval::bounded(-8, 8)}};
  check_random(rc);
}

}  // namespace
}  // namespace cinn::ir
