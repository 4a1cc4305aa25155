#include "cinn/lang/lower.h"

#include <gtest/gtest.h>

#include "cinn/ir/ir_operators.h"
#include "cinn/ir/printer.h"
#include "cinn/ir/visitor.h"
#include "cinn/lang/reduce.h"
#include "cinn/poly/loop_deps.h"

namespace cinn::lang {

using common::Float;

// poly's loop-carried dependence of the loop named `loop` in f.
std::string poly_loop_dependence(const ir::LoweredFunc& f, const std::string& loop) {
  Expr var;
  ir::post_order_visit(f.body(), [&](const ir::IRNode* n) {
    if (n->kind() != ir::NodeKind::kFor) return;
    const auto* fo = static_cast<const ir::For*>(n);
    if (fo->loop_var.var_name() == loop) var = fo->loop_var;
  });
  return poly::loop_carried_dependence(f, var);
}

TEST(Lower, Matmul) {
  Tensor a = placeholder({Expr(64), Expr(32)}, Float(32), "A");
  Tensor b = placeholder({Expr(32), Expr(16)}, Float(32), "B");
  ReduceAxis k = reduce_axis(Expr(32), "k");
  Tensor c = compute({Expr(64), Expr(16)},
                     [&](const std::vector<Expr>& i) { return sum(a(i[0], k.var) * b(k.var, i[1]), {k}); },
                     "C");
  ir::LoweredFunc f = lower("matmul", {a, b, c});
  EXPECT_EQ(f.to_string(),
            "func matmul(A: float32[64, 32], B: float32[32, 16], out C: float32[64, 16]) {\n"
            "  for (i, 0, 64) {\n"
            "    for (j, 0, 16) {\n"
            "      for (k, 0, 32) {\n"
            "        block C(vi:spatial[0, 64]=i, vj:spatial[0, 16]=j, vk:reduce[0, 32]=k) {\n"
            "          reads: A[vi, vk], B[vk, vj]\n"
            "          writes: C[vi, vj]\n"
            "          init {\n"
            "            C[vi, vj] = 0.0f\n"
            "          }\n"
            "          C[vi, vj] = C[vi, vj] + A[vi, vk] * B[vk, vj]\n"
            "        }\n"
            "      }\n"
            "    }\n"
            "  }\n"
            "}\n");
}

TEST(Lower, TriangularAndSymbolic) {
  Expr n = size_var("n");
  Tensor a = placeholder({n}, Float(32), "A");
  ReduceAxis k = reduce_axis(n, "k");
  Tensor c = compute({n}, [&](const std::vector<Expr>& i) {
    return sum(a(k.var), {k}, k.var <= i[0]);
  }, "C");
  ir::LoweredFunc f = lower("cumsum", {a, c});
  ASSERT_EQ(f.size_vars().size(), 1u);
  std::string s = f.to_string();
  EXPECT_NE(s.find("for (k, 0, i + 1)"), std::string::npos) << s;
  EXPECT_NE(s.find("for (i, 0, n)"), std::string::npos) << s;
}

TEST(Lower, TwoStagesWithTemporary) {
  Tensor a = placeholder({Expr(8), Expr(4)}, Float(32), "A");
  Tensor t = compute({Expr(8), Expr(4)}, [&](const std::vector<Expr>& i) { return a(i[0], i[1]) * 2.0f; }, "T");
  Tensor c = compute({Expr(4), Expr(8)}, [&](const std::vector<Expr>& i) { return t(i[1], i[0]) + 1.0f; }, "C");
  ir::LoweredFunc f = lower("f", {a, c});
  std::string s = f.to_string();
  EXPECT_NE(s.find("allocate T: float32[8, 4]"), std::string::npos) << s;
  EXPECT_LT(s.find("block T"), s.find("block C")) << s;
}

TEST(Lower, UpdateStoresAtComputedPositions) {
  // A histogram-like scatter-add: H = 0, then H[I[t]] += W[t] for t in order, under a guard.
  Tensor idx = placeholder({Expr(16)}, common::Int(64), "I");
  Tensor w = placeholder({Expr(16), Expr(4)}, Float(32), "W");
  Tensor h = compute({Expr(8), Expr(4)}, [&](const std::vector<Expr>&) { return Expr(0.0f); }, "H");
  auto at = [&](const std::vector<Expr>& u) { return std::vector<Expr>{idx(u[0]), u[1]}; };
  Tensor out = update(
      h, {Expr(16), Expr(4)}, at, [&](const std::vector<Expr>& u) { return h(at(u)) + w(u); },
      [&](const std::vector<Expr>& u) { return idx(u[0]) < Expr(int64_t{8}); }, "H_add");
  ir::LoweredFunc f = lower("hist", {idx, w, out});
  std::string s = f.to_string();
  EXPECT_EQ(s.find("allocate"), std::string::npos) << s;  // H is the output's buffer
  EXPECT_LT(s.find("block H("), s.find("block H_add("));
  EXPECT_NE(s.find("for (u0, 0, 16)"), std::string::npos) << s;
  EXPECT_NE(s.find("writes: H[0:8+, vu1]"), std::string::npos) << s;  // the whole dimension
  EXPECT_NE(s.find("H[I[vu0], vu1] = H[I[vu0], vu1] + W[vu0, vu1]"), std::string::npos) << s;
  // Only the computed position's loop must stay serial: the other one is independent.
  EXPECT_NE(poly_loop_dependence(f, "u0"), "");
  EXPECT_EQ(poly_loop_dependence(f, "u1"), "");
}

TEST(LowerErrors, UpdateChecksItsArguments) {
  Tensor a = placeholder({Expr(8)}, Float(32), "A");
  Tensor c = compute({Expr(8)}, [&](const std::vector<Expr>& i) { return a(i[0]); }, "C");
  auto same = [](const std::vector<Expr>& u) { return u; };
  EXPECT_THROW(update(a, {Expr(8)}, same, [&](const std::vector<Expr>& u) { return a(u); }, nullptr, "U"), Error);
  EXPECT_THROW(update(c, {Expr(8)}, same, [&](const std::vector<Expr>&) { return Expr(1.0); }, nullptr, "U"),
               DTypeError);
  EXPECT_THROW(update(c, {Expr(8)}, [](const std::vector<Expr>& u) { return std::vector<Expr>{u[0], u[0]}; },
                      [&](const std::vector<Expr>& u) { return c(u); }, nullptr, "U"),
               ShapeError);
}

TEST(LowerErrors, OutOfBoundsAccessIsShapeError) {
  Tensor a = placeholder({Expr(8)}, Float(32), "A");
  Tensor c = compute({Expr(9)}, [&](const std::vector<Expr>& i) { return a(i[0]); }, "C");
  try {
    lower("f", {a, c});
    FAIL();
  } catch (const ShapeError& e) {
    EXPECT_NE(std::string(e.what()).find("A[8]"), std::string::npos) << e.what();
  }
}

TEST(LowerErrors, WrongRankIsShapeError) {
  Tensor a = placeholder({Expr(8), Expr(8)}, Float(32), "A");
  EXPECT_THROW(compute({Expr(8)}, [&](const std::vector<Expr>& i) { return a(i[0]); }, "C"),
               ShapeError);
}

TEST(LowerErrors, ReduceAxisOutsideReduction) {
  Tensor a = placeholder({Expr(8)}, Float(32), "A");
  ReduceAxis k = reduce_axis(Expr(8), "k");
  EXPECT_THROW(compute({Expr(8)}, [&](const std::vector<Expr>& i) { return a(k.var); }, "C"),
               Error);
}

TEST(LowerErrors, MissingPlaceholder) {
  Tensor a = placeholder({Expr(8)}, Float(32), "A");
  Tensor c = compute({Expr(8)}, [&](const std::vector<Expr>& i) { return a(i[0]); }, "C");
  EXPECT_THROW(lower("f", {c}), Error);
}

}  // namespace cinn::lang
