#include <gtest/gtest.h>

#include "cinn/ir/ir_operators.h"
#include "cinn/ir/printer.h"
#include "cinn/poly/access_check.h"
#include "cinn/poly/ast_gen.h"
#include "cinn/poly/dependence.h"

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

TEST(Poly, FlowDependenceBetweenStages) {
  // S0: T[i] = ...        for i in [0, 8)
  // S1: C[i, j] = T[i]    for i in [0, 8), j in [0, 4)
  Buffer t = Buffer::make("T", common::Float(32), {Expr(8)});
  Expr i0 = Var::make("i"), i1 = Var::make("i"), j1 = Var::make("j");
  std::vector<StageDomain> stages = {stage("P", {i0}, {{Expr(0), Expr(8)}}),
                                     stage("C", {i1, j1}, {{Expr(0), Expr(8)}, {Expr(0), Expr(4)}})};
  std::vector<Access> acc = {{0, t, {i0}, true}, {1, t, {i1}, false}};
  auto deps = flow_dependences(stages, acc);
  ASSERT_EQ(deps.size(), 1u);
  EXPECT_EQ(deps[0].source, 0);
  EXPECT_EQ(deps[0].sink, 1);
  EXPECT_EQ(deps[0].relation, "{ S0[i0] -> S1[i0' = i0, i1] : 0 <= i0 <= 7 and 0 <= i1 <= 3 }");
}

TEST(Poly, FlowDependenceOfAReductionOnItself) {
  // S0: s[0] = s[0] + a[k]: each instance reads what the previous one wrote.
  Buffer s = Buffer::make("s", common::Float(32), {Expr(1)});
  Expr k = Var::make("k");
  auto deps = flow_dependences({stage("R", {k}, {{Expr(0), Expr(5)}})},
                               {{0, s, {Expr(0)}, true}, {0, s, {Expr(0)}, false}});
  ASSERT_EQ(deps.size(), 1u);
  EXPECT_EQ(deps[0].relation, "{ S0[i0] -> S0[i0' = 1 + i0] : 0 <= i0 <= 3 }");
}

TEST(Poly, NoDependenceBetweenIndependentStages) {
  Buffer a = Buffer::make("A", common::Float(32), {Expr(4)});
  Buffer b = Buffer::make("B", common::Float(32), {Expr(4)});
  Expr i = Var::make("i"), j = Var::make("j");
  auto deps = flow_dependences({stage("A", {i}, {{Expr(0), Expr(4)}}), stage("B", {j}, {{Expr(0), Expr(4)}})},
                               {{0, a, {i}, true}, {1, b, {j}, true}, {1, a, {j}, false}});
  ASSERT_EQ(deps.size(), 1u);  // only B's read of A
  EXPECT_EQ(deps[0].sink, 1);
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
