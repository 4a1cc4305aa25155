// The math approximation pass (cinn/ir/lower_math*.cc): which calls it rewrites, that its
// output is well-formed (the verifier) and shares the argument, and the reinterpret intrinsic
// it builds on. The numerics are checked end to end against numpy in
// tests/python/test_math.py and through the C backend in tests/cpp/backends/c_math_test.cc.
#include "cinn/ir/lower_math.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "cinn/ir/intrinsics.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/lowered_func.h"
#include "cinn/ir/printer.h"
#include "cinn/ir/verifier.h"
#include "cinn/ir/visitor.h"

namespace cinn::ir {
namespace {

using common::Float;
using common::Int;

struct Kernel {
  Buffer a, b;
  Expr i;
  LoweredFunc make(const Expr& value) const {
    Stmt body = For::make(i, Expr(0), Expr(64), ForKind::kSerial, Store::make(b, value, {i}));
    return LoweredFunc::make("k", {{a, Argument::Kind::kInput}, {b, Argument::Kind::kOutput}}, {},
                             {}, body);
  }
};

Kernel kernel(Type t) {
  return {Buffer::make("A", t, {Expr(64)}), Buffer::make("B", t, {Expr(64)}), Var::make("i")};
}

// Names of the calls in s.
std::vector<std::string> calls(const Stmt& s) {
  std::vector<std::string> names;
  post_order_visit(s, [&](const IRNode* n) {
    if (n->kind() == NodeKind::kCall) names.push_back(static_cast<const Call*>(n)->name);
  });
  return names;
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

TEST(LowerMath, RewritesEveryListedFloat32Call) {
  Kernel k = kernel(Float(32));
  Expr x = Load::make(k.a, {k.i});
  for (const std::string& name : approximated_intrinsics()) {
    const IntrinsicInfo* info = find_intrinsic(name);
    ASSERT_TRUE(info) << name;
    LoweredFunc f = k.make(make_intrinsic(name, std::vector<Expr>(info->arity, x)));
    LoweredFunc g = f.with_body(lower_math_approximations(f.body()));
    EXPECT_NO_THROW(verify(g)) << name;
    std::vector<std::string> left = calls(g.body());
    EXPECT_FALSE(contains(left, name)) << name << ": " << g.body();
    // Only the helpers the approximations are made of remain.
    for (const std::string& c : left) {
      EXPECT_TRUE(c == "reinterpret" || c == "round" || c == "floor" || c == "abs" || c == "isnan")
          << name << " left a call of " << c;
    }
    // The argument is loaded once (bound by a Let), however often the formula uses it.
    int loads = 0;
    post_order_visit(g.body(), [&](const IRNode* n) { loads += n->kind() == NodeKind::kLoad; });
    EXPECT_EQ(loads, info->arity) << name;
  }
}

TEST(LowerMath, LeavesOtherTypesAndIntrinsicsAlone) {
  for (Type t : {Float(64), Float(16), common::BFloat16()}) {
    Kernel k = kernel(t);
    Stmt body = k.make(make_intrinsic("exp", {Load::make(k.a, {k.i})})).body();
    EXPECT_TRUE(lower_math_approximations(body).same_as(body)) << t;
  }
  Kernel k = kernel(Float(32));
  Expr x = Load::make(k.a, {k.i});
  Stmt sqrt = k.make(make_intrinsic("sqrt", {x})).body();
  EXPECT_TRUE(lower_math_approximations(sqrt).same_as(sqrt));
  Stmt ext = k.make(Call::make(Float(32), "exp", {x}, Call::Kind::kExtern)).body();
  EXPECT_TRUE(lower_math_approximations(ext).same_as(ext));
}

TEST(LowerMath, NestedAndVectorCalls) {
  Kernel k = kernel(Float(32));
  Expr x = Load::make(k.a, {k.i});
  LoweredFunc f = k.make(make_intrinsic("exp", {make_intrinsic("tanh", {x})}) * 2.0f);
  Stmt s = lower_math_approximations(f.body());
  EXPECT_FALSE(contains(calls(s), "exp"));
  EXPECT_FALSE(contains(calls(s), "tanh"));
  EXPECT_NO_THROW(verify(f.with_body(s)));

  // A call on 8 lanes (as vectorize_loops would make) keeps its lanes throughout.
  Expr v = Var::make("v", Float(32, 8));
  Expr e = lower_math_approximations(make_intrinsic("log", {v}));
  EXPECT_EQ(e.type(), Float(32, 8));
  post_order_visit(e, [&](const IRNode* n) {
    if (n->kind() == NodeKind::kCall) {
      EXPECT_EQ(static_cast<const Call*>(n)->type.lanes(), 8) << Expr(static_cast<const Call*>(n));
    }
  });
}

TEST(Reinterpret, BuildsChecksAndPrints) {
  Expr x = Var::make("x", Float(32));
  Expr r = make_reinterpret(Int(32), x);
  EXPECT_EQ(r.type(), Int(32));
  EXPECT_EQ(to_string(r), "reinterpret<int32>(x)");
  EXPECT_EQ(make_reinterpret(common::UInt(64, 4), Var::make("d", Float(64, 4))).type(),
            common::UInt(64, 4));
  EXPECT_THROW(make_reinterpret(Int(64), x), DTypeError);         // width
  EXPECT_THROW(make_reinterpret(Int(32, 4), x), DTypeError);      // lanes
  EXPECT_THROW(make_reinterpret(common::Bool(), x), DTypeError);  // not a number
  // Not a math function: known to the backends, but not callable by name.
  EXPECT_TRUE(find_intrinsic(kReinterpret));
  EXPECT_FALSE(contains(intrinsic_names(), kReinterpret));
  EXPECT_THROW(make_intrinsic(kReinterpret, {x}), UnsupportedOpError);
}

TEST(Philox, TypesAndExpansion) {
  // Integer arguments of any width become int64; scalars broadcast to the vector's lanes;
  // the result is float32.
  Expr seed = Var::make("seed", Int(64));
  Expr step = Var::make("step", Int(32));
  Expr index = Ramp::make(Var::make("i", Int(64)), IntImm::make(Int(64), 1), 8);
  Expr u = make_intrinsic(kPhiloxUniform, {seed, step, index});
  EXPECT_EQ(u.type(), Float(32, 8));
  EXPECT_THROW(make_intrinsic(kPhiloxUniform, {seed, step, Var::make("f", Float(32))}), DTypeError);
  EXPECT_THROW(make_intrinsic(kPhiloxUniform, {seed, step}), UnsupportedOpError);
  EXPECT_THROW(make_intrinsic("bitwise_xor", {seed, Var::make("f", Float(32))}), DTypeError);
  // Expanded into integer arithmetic, xor and shifts only; ten rounds of two 64-bit products.
  Buffer a = Buffer::make("A", Float(32), {Expr(8)});
  Stmt s = lower_philox(Store::make(a, u, {Ramp::make(Expr(0), Expr(1), 8)}));
  std::vector<std::string> left = calls(s);
  EXPECT_FALSE(contains(left, kPhiloxUniform));
  for (const std::string& c : left) {
    EXPECT_TRUE(c == "bitwise_xor" || c == "shift_right") << c;
  }
  int products = 0;
  post_order_visit(s, [&](const IRNode* n) {
    if (n->kind() == NodeKind::kMul && static_cast<const Mul*>(n)->type.element_of() == common::UInt(64)) {
      ++products;
    }
  });
  EXPECT_EQ(products, 20);
  // Other calls are left alone.
  Expr e = make_intrinsic("exp", {Var::make("x", Float(32))});
  EXPECT_TRUE(lower_philox(e).same_as(e));
}

}  // namespace
}  // namespace cinn::ir
