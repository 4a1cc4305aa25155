// Loop-invariant code motion: `for v { ... e ... }` -> `let t = e; for v { ... t ... }` for
// expensive expressions e (loads, intrinsic calls, divisions by a non-constant) that do
// not change while the loop runs.
//
// e is invariant in loop L when
//   * it uses no variable bound by L or inside it, and calls no extern function;
//   * every buffer it loads is neither stored to nor allocated inside L, and L calls no
//     extern function (which might write memory). Buffers are distinct objects when their
//     nodes differ (function arguments are noalias), so only a store through the very same
//     Buffer node can change a load.
// Evaluating e before the loop must not introduce a load or a division that the original
// program does not perform: e is hoisted only from a position that runs in every iteration
// (not inside a branch, a Select arm, the right operand of And/Or, or an inner loop) of a
// loop that provably runs at least once. Then every occurrence of e in L, conditional or
// not, has the same value as t.
#include <map>
#include <set>

#include "cinn/ir/equality.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/simplify.h"
#include "cinn/ir/transforms.h"
#include "cinn/ir/visitor.h"

namespace cinn::ir {
namespace {

// What a loop body does that decides invariance.
struct LoopEffects {
  std::set<const Var*> bound;           // the loop variable and every variable bound inside
  std::set<const BufferNode*> written;  // stored to or allocated inside
  bool extern_call = false;

  explicit LoopEffects(const For* loop) {
    bound.insert(loop->loop_var.as<Var>());
    post_order_visit(loop->body, [&](const IRNode* n) {
      switch (n->kind()) {
        case NodeKind::kFor:
          bound.insert(static_cast<const For*>(n)->loop_var.as<Var>());
          break;
        case NodeKind::kLetStmt:
          bound.insert(static_cast<const LetStmt*>(n)->var.as<Var>());
          break;
        case NodeKind::kLet:
          bound.insert(static_cast<const Let*>(n)->var.as<Var>());
          break;
        case NodeKind::kScheduleBlock:
          for (const IterVar& iv : static_cast<const ScheduleBlock*>(n)->iter_vars) {
            bound.insert(iv.var.as<Var>());
          }
          break;
        case NodeKind::kStore:
          written.insert(static_cast<const Store*>(n)->buffer.get());
          break;
        case NodeKind::kAllocate:
          written.insert(static_cast<const Allocate*>(n)->buffer.get());
          break;
        case NodeKind::kFree:
          written.insert(static_cast<const Free*>(n)->buffer.get());
          break;
        case NodeKind::kCall:
          extern_call =
              extern_call || static_cast<const Call*>(n)->call_kind == Call::Kind::kExtern;
          break;
        default:
          break;
      }
    });
  }

  bool invariant(const Expr& e) const {
    bool ok = true;
    post_order_visit(e, [&](const IRNode* n) {
      switch (n->kind()) {
        case NodeKind::kVar:
          ok = ok && !bound.count(static_cast<const Var*>(n));
          break;
        case NodeKind::kLoad:
          ok = ok && !extern_call && !written.count(static_cast<const Load*>(n)->buffer.get());
          break;
        case NodeKind::kCall:
          ok = ok && static_cast<const Call*>(n)->call_kind != Call::Kind::kExtern;
          break;
        default:
          break;
      }
    });
    return ok;
  }
};

// Worth a register across the loop: it reads memory, calls a math function or divides by
// a value that is not a constant.
bool expensive(const Expr& e) {
  bool found = false;
  post_order_visit(e, [&](const IRNode* n) {
    switch (n->kind()) {
      case NodeKind::kLoad:
      case NodeKind::kCall:
        found = true;
        break;
      case NodeKind::kDiv:
        found = found || !as_const_int(static_cast<const Div*>(n)->b);
        break;
      case NodeKind::kMod:
        found = found || !as_const_int(static_cast<const Mod*>(n)->b);
        break;
      default:
        break;
    }
  });
  return found;
}

// Collects the maximal invariant expensive expressions in the positions of a loop body that
// run in every iteration, in the order they are met.
class CandidateCollector : public IRVisitor {
 public:
  explicit CandidateCollector(const LoopEffects& fx) : fx_(fx) {}
  std::vector<Expr> found;

  void visit_expr(const Expr& e) {
    if (!e.defined()) return;
    if (!e.as<Var>() && fx_.invariant(e) && expensive(e)) {
      for (const Expr& f : found) {
        if (structural_equal(f, e)) return;
      }
      found.push_back(e);
      return;
    }
    visit(e);
  }

 protected:
  // Expressions: children through visit_expr, except operands that may not be evaluated.
  void visit_Select(const Select* op) override { visit_expr(op->condition); }
  void visit_And(const And* op) override { visit_expr(op->a); }
  void visit_Or(const Or* op) override { visit_expr(op->a); }
  void visit_Add(const Add* op) override { both(op); }
  void visit_Sub(const Sub* op) override { both(op); }
  void visit_Mul(const Mul* op) override { both(op); }
  void visit_Div(const Div* op) override { both(op); }
  void visit_Mod(const Mod* op) override { both(op); }
  void visit_Min(const Min* op) override { both(op); }
  void visit_Max(const Max* op) override { both(op); }
  void visit_EQ(const EQ* op) override { both(op); }
  void visit_NE(const NE* op) override { both(op); }
  void visit_LT(const LT* op) override { both(op); }
  void visit_LE(const LE* op) override { both(op); }
  void visit_GT(const GT* op) override { both(op); }
  void visit_GE(const GE* op) override { both(op); }
  void visit_Not(const Not* op) override { visit_expr(op->a); }
  void visit_Cast(const Cast* op) override { visit_expr(op->value); }
  void visit_Call(const Call* op) override {
    for (const Expr& a : op->args) visit_expr(a);
  }
  void visit_Load(const Load* op) override {
    for (const Expr& i : op->indices) visit_expr(i);
  }
  void visit_Ramp(const Ramp* op) override {
    visit_expr(op->base);
    visit_expr(op->stride);
  }
  void visit_Broadcast(const Broadcast* op) override { visit_expr(op->value); }
  void visit_Let(const Let* op) override {
    visit_expr(op->value);
    visit_expr(op->body);
  }

  // Statements: only what runs in every iteration.
  void visit_LetStmt(const LetStmt* op) override {
    visit_expr(op->value);
    visit(op->body);
  }
  void visit_For(const For* op) override {
    visit_expr(op->min);
    visit_expr(op->extent);
  }
  void visit_IfThenElse(const IfThenElse* op) override { visit_expr(op->condition); }
  void visit_Store(const Store* op) override {
    visit_expr(op->value);
    for (const Expr& i : op->indices) visit_expr(i);
  }
  void visit_Evaluate(const Evaluate* op) override { visit_expr(op->value); }
  void visit_ScheduleBlockRealize(const ScheduleBlockRealize*) override {}

 private:
  template <typename T>
  void both(const T* op) {
    visit_expr(op->a);
    visit_expr(op->b);
  }
  const LoopEffects& fx_;
};

class Replacer : public IRMutator {
 public:
  Replacer(const std::vector<Expr>& from, const std::vector<Expr>& to) {
    for (size_t i = 0; i < from.size(); ++i) {
      by_hash_.emplace(structural_hash(from[i]), std::make_pair(from[i], to[i]));
    }
  }
  using IRMutator::mutate;

 protected:
#define CINN_EXPR_NODE(Name)                                   \
  Expr mutate_##Name(const Name* op) override {                \
    Expr var = lookup(Expr(op));                               \
    return var.defined() ? var : IRMutator::mutate_##Name(op); \
  }
#include "cinn/ir/node_kinds.def"

 private:
  // The variable that replaces e, or undefined.
  Expr lookup(const Expr& e) const {
    auto [lo, hi] = by_hash_.equal_range(structural_hash(e));
    for (auto it = lo; it != hi; ++it) {
      if (structural_equal(it->second.first, e)) return it->second.second;
    }
    return Expr();
  }
  std::multimap<size_t, std::pair<Expr, Expr>> by_hash_;
};

class Hoister : public IRMutator {
 protected:
  Stmt mutate_For(const For* op) override {
    Stmt inner = IRMutator::mutate_For(op);  // inner loops first
    const auto* loop = inner.as<For>();
    if (is_gpu_kind(loop->for_kind) || !can_prove(GE::make(loop->extent, Expr(1)))) return inner;
    LoopEffects fx(loop);
    CandidateCollector collect(fx);
    collect.visit(loop->body);
    if (collect.found.empty()) return inner;
    std::vector<Expr> vars;
    for (const Expr& e : collect.found) {
      vars.push_back(Var::make("inv" + std::to_string(counter_++), e.type()));
    }
    Stmt body = Replacer(collect.found, vars).mutate(loop->body);
    Stmt out = For::make(loop->loop_var, loop->min, loop->extent, loop->for_kind, body);
    for (size_t i = vars.size(); i-- > 0;) out = LetStmt::make(vars[i], collect.found[i], out);
    return out;
  }

 private:
  int counter_ = 0;
};

}  // namespace

Stmt hoist_loop_invariant(const Stmt& s) { return Hoister().mutate(s); }

}  // namespace cinn::ir
