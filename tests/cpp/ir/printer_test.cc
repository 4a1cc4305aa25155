#include "cinn/ir/printer.h"

#include <gtest/gtest.h>

#include "cinn/ir/ir_operators.h"

namespace cinn::ir {

using common::Float;

TEST(Printer, MinimalParentheses) {
  Expr x = Var::make("x"), y = Var::make("y");
  EXPECT_EQ(to_string((x + y) * 2), "(x + y) * 2");
  EXPECT_EQ(to_string(x + y * 2), "x + y * 2");
  EXPECT_EQ(to_string(x - (y - 1)), "x - (y - 1)");
  EXPECT_EQ(to_string(x / 4 % 3), "x / 4 % 3");
  EXPECT_EQ(to_string(min(x, y) < 3 && x >= 0), "min(x, y) < 3 && x >= 0");
}

TEST(Printer, Immediates) {
  EXPECT_EQ(to_string(Expr(1.5f)), "1.5f");
  EXPECT_EQ(to_string(Expr(2.0)), "2.0");
  EXPECT_EQ(to_string(IntImm::make(common::Int(32), 3)), "int32(3)");
  EXPECT_EQ(to_string(IntImm::make(common::Bool(), 1)), "true");
}

TEST(Printer, LoopNestWithBlock) {
  Buffer a = Buffer::make("A", Float(32), {Expr(16)});
  Buffer b = Buffer::make("B", Float(32), {Expr(16)});
  Expr i = Var::make("i"), vi = Var::make("vi");
  Stmt body = Store::make(b, Load::make(a, {vi}) * 2.0f, {vi});
  Stmt block = ScheduleBlock::make("B", {{vi, {Expr(0), Expr(16)}, IterVar::Kind::kSpatial}},
                                   {{a, {{vi, Expr(1)}}}}, {{b, {{vi, Expr(1)}}}}, Stmt(), body);
  Stmt loop = For::make(i, Expr(0), Expr(16), ForKind::kParallel,
                        ScheduleBlockRealize::make({i}, block));
  EXPECT_EQ(to_string(loop),
            "parallel for (i, 0, 16) {\n"
            "  block B(vi:spatial[0, 16]=i) {\n"
            "    reads: A[vi]\n"
            "    writes: B[vi]\n"
            "    B[vi] = A[vi] * 2.0f\n"
            "  }\n"
            "}\n");
}

}  // namespace cinn::ir
