#include <gtest/gtest.h>

#include "cinn/ir/ir.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/printer.h"
#include "cinn/ir/visitor.h"

namespace cinn::ir {

using common::Float;
using common::Int;

TEST(Nodes, ImmediatesAndTypes) {
  Expr x = Var::make("x");
  Expr e = x + 1;
  EXPECT_EQ(e.kind(), NodeKind::kAdd);
  EXPECT_EQ(e.type(), Int(64));
  Expr f = Var::make("f", Float(32));
  Expr g = f * 2;  // the immediate adopts float32
  EXPECT_EQ(g.type(), Float(32));
  EXPECT_TRUE(g.as<Mul>()->b.as<FloatImm>());
  EXPECT_EQ((x < 3).type(), common::Bool());
}

TEST(Nodes, MismatchedTypesAreDTypeErrors) {
  Expr x = Var::make("x");
  Expr f = Var::make("f", Float(32));
  EXPECT_THROW(x + f, DTypeError);
  EXPECT_THROW(Add::make(x, f), DTypeError);
  EXPECT_THROW(Not::make(x), DTypeError);
  Buffer b = Buffer::make("B", Float(32), {Expr(4)});
  EXPECT_THROW(Store::make(b, x, {Expr(0)}), DTypeError);
}

TEST(Nodes, VectorsAndLoads) {
  Buffer b = Buffer::make("B", Float(32), {Expr(64)});
  Expr r = Ramp::make(Expr(0), Expr(1), 16);
  EXPECT_EQ(r.type(), Int(64, 16));
  Expr ld = Load::make(b, {r});
  EXPECT_EQ(ld.type(), Float(32, 16));
  Expr s = ld + Expr(1.0f);  // the scalar immediate is broadcast
  EXPECT_EQ(s.type(), Float(32, 16));
  EXPECT_TRUE(s.as<Add>()->b.as<Broadcast>());
}

class CountAdds : public IRMutator {
 public:
  int adds = 0;

 protected:
  Expr mutate_Add(const Add* op) override {
    ++adds;
    return IRMutator::mutate_Add(op);
  }
};

TEST(Nodes, MutatorReturnsSameNodeWhenUnchanged) {
  Expr x = Var::make("x");
  Expr e = (x + 1) * (x + 2);
  CountAdds m;
  Expr r = m.mutate(e);
  EXPECT_TRUE(r.same_as(e));
  EXPECT_EQ(m.adds, 2);
}

class ReplaceX : public IRMutator {
 public:
  explicit ReplaceX(Expr x) : x_(std::move(x)) {}

 protected:
  Expr mutate_Var(const Var* op) override { return op == x_.get() ? Expr(7) : Expr(op); }
  Expr x_;
};

TEST(Nodes, MutatorRebuildsChangedPathOnly) {
  Expr x = Var::make("x"), y = Var::make("y");
  Expr left = y * 3;
  Expr e = left + x;
  Expr r = ReplaceX(x).mutate(e);
  EXPECT_FALSE(r.same_as(e));
  EXPECT_TRUE(r.as<Add>()->a.same_as(left));  // untouched subtree is shared
  EXPECT_EQ(to_string(r), "y * 3 + 7");
}

TEST(Nodes, PostOrderVisitSeesChildrenFirst) {
  Expr x = Var::make("x");
  Expr e = (x + 1) * 2;
  std::vector<NodeKind> kinds;
  post_order_visit(e, [&](const IRNode* n) { kinds.push_back(n->kind()); });
  ASSERT_EQ(kinds.size(), 5u);
  EXPECT_EQ(kinds.front(), NodeKind::kVar);
  EXPECT_EQ(kinds.back(), NodeKind::kMul);
}

}  // namespace cinn::ir
