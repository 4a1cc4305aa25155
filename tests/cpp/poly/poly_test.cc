#include <gtest/gtest.h>

#include "cinn/ir/ir_operators.h"
#include "cinn/ir/printer.h"
#include "cinn/poly/access_check.h"
#include "cinn/poly/ast_gen.h"

namespace cinn::poly {

using namespace ir;  // NOLINT

namespace {
StageDomain stage(const std::string& name, std::vector<Expr> vars, std::vector<Range> ranges,
                  std::vector<Expr> constraints = {}) {
  return {name, std::move(vars), std::move(ranges), std::move(constraints), {}};
}

// Body: Evaluate(S<stage>(values...)) so the loop nest prints compactly.
Stmt gen(const std::vector<StageDomain>& stages) {
  return generate_loop_nest(stages, [](int s, const std::vector<Expr>& values) {
    return Evaluate::make(Call::make(common::Int(32), "S" + std::to_string(s), values,
                                     Call::Kind::kExtern));
  });
}
}  // namespace

TEST(Poly, IslIsTheSystemLibraryNotLLVMsCopy) {
  // libLLVM bundles Polly's isl; our calls must bind to the system isl 0.25.
  EXPECT_NE(isl_version().find("isl-0.25"), std::string::npos) << isl_version();
}

TEST(Poly, RectangularDomain) {
  Expr i = Var::make("i"), j = Var::make("j");
  Stmt s = gen({stage("A", {i, j}, {{Expr(0), Expr(4)}, {Expr(0), Expr(3)}})});
  EXPECT_EQ(to_string(s),
            "for (i, 0, 4) {\n"
            "  for (j, 0, 3) {\n"
            "    extern S0(i, j)\n"
            "  }\n"
            "}\n");
}

TEST(Poly, TriangularDomain) {
  Expr i = Var::make("i"), j = Var::make("j");
  Stmt s = gen({stage("T", {i, j}, {{Expr(0), Expr(8)}, {Expr(0), Expr(8)}}, {j <= i})});
  EXPECT_EQ(to_string(s),
            "for (i, 0, 8) {\n"
            "  for (j, 0, i + 1) {\n"
            "    extern S0(i, j)\n"
            "  }\n"
            "}\n");
}

TEST(Poly, SymbolicExtentBecomesParameter) {
  Expr n = Var::make("n"), i = Var::make("i");
  Stmt s = gen({stage("A", {i}, {{Expr(0), n}})});
  EXPECT_EQ(to_string(s), "for (i, 0, n) {\n  extern S0(i)\n}\n");
}

TEST(Poly, NonZeroMinAndTwoStagesInOrder) {
  Expr i = Var::make("i"), k = Var::make("k");
  Stmt s = gen({stage("A", {i}, {{Expr(2), Expr(3)}}), stage("B", {k}, {{Expr(0), Expr(2)}})});
  EXPECT_EQ(to_string(s),
            "for (i, 2, 3) {\n  extern S0(i)\n}\n"
            "for (k, 0, 2) {\n  extern S1(k)\n}\n");
}

TEST(Poly, UnitExtentLoopsAreKept) {
  Expr n = Var::make("n"), c = Var::make("c");
  Stmt s = gen({stage("A", {n, c}, {{Expr(0), Expr(1)}, {Expr(0), Expr(5)}})});
  EXPECT_EQ(to_string(s),
            "for (n, 0, 1) {\n"
            "  for (c, 0, 5) {\n"
            "    extern S0(n, c)\n"
            "  }\n"
            "}\n");
}

TEST(Poly, AccessBoundsChecks) {
  Buffer a = Buffer::make("A", common::Float(32), {Expr(8)});
  Expr i = Var::make("i");
  StageDomain s = stage("S", {i}, {{Expr(0), Expr(8)}});
  EXPECT_EQ(check_access_in_bounds(s, a, {i}), "");
  EXPECT_NE(check_access_in_bounds(s, a, {i + 1}).find("reaches A[8]"), std::string::npos);
  EXPECT_NE(check_access_in_bounds(s, a, {i - 1}).find("reaches A[-1]"), std::string::npos);
  // Symbolic: A has n elements, the loop runs to n: in bounds for every n >= 1.
  Expr n = Var::make("n");
  Buffer b = Buffer::make("B", common::Float(32), {n});
  EXPECT_EQ(check_access_in_bounds(stage("S", {i}, {{Expr(0), n}}), b, {i}), "");
  // Non-affine index: nothing provable, no error.
  EXPECT_EQ(check_access_in_bounds(s, a, {i * i}), "");
}

TEST(Poly, ConstraintsKeepOuterPoints) {
  Expr i = Var::make("i"), k = Var::make("k");
  // k <= i keeps every i (k = 0 always works); k >= i + 8 removes every i.
  EXPECT_TRUE(constraints_keep_outer_points(
      stage("S", {i, k}, {{Expr(0), Expr(8)}, {Expr(0), Expr(8)}}, {k <= i}), 1));
  EXPECT_FALSE(constraints_keep_outer_points(
      stage("S", {i, k}, {{Expr(0), Expr(8)}, {Expr(0), Expr(8)}}, {k >= i + 1}), 1));
}

}  // namespace cinn::poly
