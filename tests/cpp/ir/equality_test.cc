#include "cinn/ir/equality.h"

#include <gtest/gtest.h>

#include "cinn/ir/ir_operators.h"

namespace cinn::ir {

TEST(Equality, ExprsWithSameVars) {
  Expr x = Var::make("x"), y = Var::make("y");
  EXPECT_TRUE(structural_equal(x + y * 2, x + y * 2));
  EXPECT_FALSE(structural_equal(x + y, y + x));
  EXPECT_FALSE(structural_equal(x + 1, x + 2));
  EXPECT_EQ(structural_hash(x + y * 2), structural_hash(x + y * 2));
}

TEST(Equality, FreeVarsNeedMappingFlag) {
  Expr x = Var::make("x"), z = Var::make("z");
  EXPECT_FALSE(structural_equal(x + 1, z + 1));
  EXPECT_TRUE(structural_equal(x + 1, z + 1, /*map_free_vars=*/true));
  // The mapping must be consistent: x -> z cannot also be x -> w.
  Expr w = Var::make("w");
  EXPECT_FALSE(structural_equal(x + x, z + w, true));
  EXPECT_EQ(structural_hash(x + 1), structural_hash(z + 1));
}

TEST(Equality, BoundLoopVarsMatchByPosition) {
  Buffer b = Buffer::make("B", common::Int(64), {Expr(8)});
  Expr i = Var::make("i"), j = Var::make("j");
  Stmt s1 = For::make(i, Expr(0), Expr(8), ForKind::kSerial, Store::make(b, i * 2, {i}));
  Stmt s2 = For::make(j, Expr(0), Expr(8), ForKind::kSerial, Store::make(b, j * 2, {j}));
  Stmt s3 = For::make(j, Expr(0), Expr(8), ForKind::kParallel, Store::make(b, j * 2, {j}));
  EXPECT_TRUE(structural_equal(s1, s2));
  EXPECT_FALSE(structural_equal(s1, s3));
  EXPECT_EQ(structural_hash(s1), structural_hash(s2));
  EXPECT_NE(structural_hash(s1), structural_hash(s3));
}

TEST(Equality, BuffersMapOnlyWithFlag) {
  Buffer b1 = Buffer::make("B", common::Float(32), {Expr(8)});
  Buffer b2 = Buffer::make("B", common::Float(32), {Expr(8)});
  Expr i = Var::make("i");
  EXPECT_FALSE(structural_equal(Load::make(b1, {i}), Load::make(b2, {i})));
  EXPECT_TRUE(structural_equal(Load::make(b1, {i}), Load::make(b2, {i}), true));
}

}  // namespace cinn::ir
