// Loop partitioning: a loop whose body is guarded by a condition that holds on a prefix of
// the loop's range becomes a guard-free main loop over that prefix and a guarded tail.
//
// For a loop over v and a guard conjunct `a < b` (or <=, >, >=) of index type, write
// a - b as a linear form  c*v + sum_i c_i*w_i + R + k0,  where the w_i are atoms over
// variables bound inside the loop (inner loop variables with constant ranges) and R the
// invariant rest (outer variables, sizes). The guard `c*v + sum + R + k0 <= k` (k = -1 for
// `<`, 0 for `<=`) holds for every value of the inner variables iff
//     c*v <= T,   T = k - k0 - max(sum) - R,
// so for c > 0 it holds for all v < s = floor(T / c) + 1 = (T + c) / c (floor division).
// The main loop runs v over [min, min + clamp(s - min, 0, extent)), the tail over the rest.
// For `xo*16 + xi < N` with xi in [0, 16): s = (N - 16 + 16) / 16 = N / 16, the number of
// full tiles.
//
// The algebra is exact integer arithmetic: it assumes the guard's index arithmetic does not
// wrap, like the split that produced it (its extent (N + 15) / 16 does not wrap either).
// When the guard has no symbolic part, the simplifier (which reasons about wrap-around)
// must also prove it over the main loop's range, or nothing happens.
#include <set>

#include "cinn/ir/equality.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/simplify.h"
#include "cinn/ir/simplify_internal.h"
#include "cinn/ir/substitute.h"
#include "cinn/ir/transforms.h"
#include "cinn/ir/visitor.h"

namespace cinn::ir {
namespace {

using simplify_detail::i128;

// Every variable bound inside s: loop variables, lets, block iter_vars.
std::set<const Var*> bound_inside(const Stmt& s) {
  std::set<const Var*> out;
  post_order_visit(s, [&](const IRNode* n) {
    switch (n->kind()) {
      case NodeKind::kFor:
        out.insert(static_cast<const For*>(n)->loop_var.as<Var>());
        break;
      case NodeKind::kLetStmt:
        out.insert(static_cast<const LetStmt*>(n)->var.as<Var>());
        break;
      case NodeKind::kLet:
        out.insert(static_cast<const Let*>(n)->var.as<Var>());
        break;
      case NodeKind::kScheduleBlock:
        for (const IterVar& iv : static_cast<const ScheduleBlock*>(n)->iter_vars) {
          out.insert(iv.var.as<Var>());
        }
        break;
      default:
        break;
    }
  });
  return out;
}

// Free of memory reads and calls: its value depends on variables only.
bool depends_on_vars_only(const Expr& e) {
  bool ok = true;
  post_order_visit(e, [&](const IRNode* n) {
    ok = ok && n->kind() != NodeKind::kLoad && n->kind() != NodeKind::kCall;
  });
  return ok;
}

bool uses_any(const Expr& e, const std::set<const Var*>& vars) {
  bool found = false;
  post_order_visit(e, [&](const IRNode* n) {
    found = found || (n->kind() == NodeKind::kVar && vars.count(static_cast<const Var*>(n)));
  });
  return found;
}

// A Block of the statements, with nested Blocks spliced in.
Stmt seq(const std::vector<Stmt>& stmts) {
  std::vector<Stmt> flat;
  for (const Stmt& s : stmts) {
    if (const auto* b = s.as<Block>()) {
      flat.insert(flat.end(), b->stmts.begin(), b->stmts.end());
    } else {
      flat.push_back(s);
    }
  }
  return Block::make(std::move(flat));
}

std::vector<Expr> conjuncts(const Expr& cond) {
  if (const auto* a = cond.as<And>()) {
    std::vector<Expr> l = conjuncts(a->a), r = conjuncts(a->b);
    l.insert(l.end(), r.begin(), r.end());
    return l;
  }
  return {cond};
}

// What the walker knows at a guard: the loop variable, the variables bound inside the loop
// and the constant ranges of those inner loop variables that enclose the guard.
struct Scope {
  const Var* v = nullptr;
  std::set<const Var*> inner;
  VarRanges ranges;
};

// The end s of the prefix of v's values on which `cond` holds for all values of the inner
// variables (see the file comment); undefined if it cannot be derived.
Expr prefix_end(const Expr& cond, const Scope& sc) {
  Expr a, b;
  i128 k = 0;
  if (const auto* op = cond.as<LT>()) {
    a = op->a, b = op->b, k = -1;
  } else if (const auto* op = cond.as<LE>()) {
    a = op->a, b = op->b, k = 0;
  } else if (const auto* op = cond.as<GT>()) {
    a = op->b, b = op->a, k = -1;
  } else if (const auto* op = cond.as<GE>()) {
    a = op->b, b = op->a, k = 0;
  } else {
    return Expr();
  }
  if (a.type() != common::IndexType() || !depends_on_vars_only(cond)) return Expr();
  simplify_detail::LinearForm f = simplify_detail::linear_form(Sub::make(a, b));
  if (f.overflowed) return Expr();
  const std::set<const Var*> just_v = {sc.v};
  i128 c = 0, inner_max = 0;
  simplify_detail::LinearForm t;  // T + c, without the constant part yet
  t.type = f.type;
  for (const auto& [atom, coeff] : f.terms) {
    if (atom.as<Var>() == sc.v) {
      c = coeff;
    } else if (uses_any(atom, just_v)) {
      return Expr();  // v inside a nonlinear atom
    } else if (uses_any(atom, sc.inner)) {
      Interval iv = bounds_of(atom, sc.ranges);
      if (!iv.is_bounded()) return Expr();
      inner_max += coeff > 0 ? coeff * i128(*iv.max) : coeff * i128(*iv.min);
    } else {
      t.add_term(atom, -i128(coeff));
    }
  }
  if (c <= 0) return Expr();
  const i128 constant = k - f.constant - inner_max + c;
  constexpr i128 kLimit = i128(1) << 62;
  if (constant > kLimit || constant < -kLimit) return Expr();
  t.add_constant(constant);
  if (t.overflowed) return Expr();
  return simplify(Div::make(simplify_detail::linear_expr(t), Expr(static_cast<int64_t>(c))));
}

// Walks a loop body, keeping the ranges of inner loops with constant bounds, and calls
// `on_guard` for every IfThenElse with the conjuncts of its condition; on_guard returns the
// conjuncts to keep (the stripper drops the proven ones, the finder keeps all).
class GuardWalker : public IRMutator {
 public:
  using OnGuard = std::function<std::vector<Expr>(const std::vector<Expr>&, const Scope&)>;
  GuardWalker(const For* loop, OnGuard on_guard) : on_guard_(std::move(on_guard)) {
    sc_.v = loop->loop_var.as<Var>();
    sc_.inner = bound_inside(loop->body);
  }
  using IRMutator::mutate;

 protected:
  Stmt mutate_For(const For* op) override {
    const int64_t* mn = as_const_int(op->min);
    const int64_t* ext = as_const_int(op->extent);
    if (ext && *ext <= 0) return op;  // never runs
    if (!mn || !ext) return IRMutator::mutate_For(op);
    const Var* w = op->loop_var.as<Var>();
    auto saved = sc_.ranges.find(w) == sc_.ranges.end() ? std::optional<Interval>()
                                                        : std::optional<Interval>(sc_.ranges[w]);
    sc_.ranges[w] = Interval::bounded(*mn, *mn + *ext - 1);
    Stmt s = IRMutator::mutate_For(op);
    if (saved) {
      sc_.ranges[w] = *saved;
    } else {
      sc_.ranges.erase(w);
    }
    return s;
  }
  Stmt mutate_IfThenElse(const IfThenElse* op) override {
    std::vector<Expr> all = conjuncts(op->condition);
    std::vector<Expr> keep = on_guard_(all, sc_);
    Stmt then_case = mutate(op->then_case);
    Stmt else_case = op->else_case.defined() ? mutate(op->else_case) : op->else_case;
    if (keep.empty()) return then_case;
    if (keep.size() == all.size() && then_case.same_as(op->then_case) &&
        else_case.same_as(op->else_case)) {
      return op;
    }
    Expr cond = keep[0];
    for (size_t i = 1; i < keep.size(); ++i) cond = And::make(cond, keep[i]);
    return IfThenElse::make(cond, then_case, else_case);
  }

 private:
  OnGuard on_guard_;
  Scope sc_;
};

class Partitioner : public IRMutator {
 protected:
  Stmt mutate_For(const For* op) override {
    const int64_t* ext = as_const_int(op->extent);
    if (is_gpu_kind(op->for_kind) || (ext && *ext <= 1)) return IRMutator::mutate_For(op);
    // The first guard conjunct with a usable split point.
    Expr s;
    GuardWalker finder(op, [&](const std::vector<Expr>& cs, const Scope& sc) {
      for (const Expr& c : cs) {
        if (s.defined()) break;
        Expr e = prefix_end(c, sc);
        if (!e.defined() || uses_any(e, sc.inner) || uses_any(e, tail_vars_)) continue;
        // A vectorized loop stays vectorizable only with constant extents.
        if (op->for_kind == ForKind::kVectorized && !as_const_int(simplify(e - op->min))) continue;
        if (!checked_where_constant(c, e, op, sc)) continue;
        s = e;
      }
      return cs;
    });
    finder.mutate(op->body);
    if (!s.defined()) return IRMutator::mutate_For(op);

    Expr main_extent = simplify(max(min(s - op->min, op->extent), Expr(0)));
    if (is_zero(main_extent)) return IRMutator::mutate_For(op);
    GuardWalker stripper(op, [&](const std::vector<Expr>& cs, const Scope& sc) {
      std::vector<Expr> keep;
      for (const Expr& c : cs) {
        Expr e = prefix_end(c, sc);
        bool proven = e.defined() && !uses_any(e, sc.inner) &&
                      (structural_equal(e, s) || can_prove(GE::make(e, s)));
        if (!proven) keep.push_back(c);
      }
      return keep;
    });
    Stmt main_body = stripper.mutate(op->body);
    CINN_CHECK(!main_body.same_as(op->body)) << "loop_partition: the guard it split on stayed";
    Stmt main = For::make(op->loop_var, op->min, main_extent, op->for_kind, main_body);
    // Partition `main` again on the remaining guards; each round strips at least one.
    if (can_prove(GE::make(main_extent, op->extent))) return mutate(main);
    Expr tail_min = simplify(op->min + main_extent);
    Expr tail_extent = simplify(op->extent - main_extent);
    // The tail keeps the guard. Inner loops of the tail are partitioned on other guards, but
    // not on split points that depend on the tail's variable: that would only cut the tail
    // into ever smaller pieces.
    // A one-iteration tail (a constant extent) becomes its body with v := tail_min, where
    // the guard no longer depends on v and may partition the inner loops.
    Stmt tail;
    if (is_const_int(tail_extent, 1)) {
      tail = mutate(simplify(substitute(op->body, {{op->loop_var.as<Var>(), tail_min}})));
    } else {
      tail_vars_.insert(op->loop_var.as<Var>());
      Stmt tail_body = mutate(op->body);
      tail_vars_.erase(op->loop_var.as<Var>());
      tail = For::make(op->loop_var, tail_min, tail_extent, op->for_kind, tail_body);
    }
    return seq({mutate(main), tail});
  }

 private:
  // Where the guard involves no symbolic value, the simplifier confirms it over the main
  // range [min, s) with the inner ranges; this also covers wrap-around.
  static bool checked_where_constant(const Expr& cond, const Expr& s, const For* op,
                                     const Scope& sc) {
    const int64_t* mn = as_const_int(op->min);
    const int64_t* ext = as_const_int(op->extent);
    const int64_t* end = as_const_int(s);
    if (!mn || !ext || !end) return true;
    bool symbolic = false;
    post_order_visit(cond, [&](const IRNode* n) {
      const auto* var = n->kind() == NodeKind::kVar ? static_cast<const Var*>(n) : nullptr;
      symbolic = symbolic || (var && var != sc.v && !sc.ranges.count(var));
    });
    if (symbolic) return true;
    const int64_t last = std::min(*end, *mn + *ext) - 1;
    if (last < *mn) return true;  // nothing to partition; the caller finds that out
    VarRanges ranges = sc.ranges;
    ranges[sc.v] = Interval::bounded(*mn, last);
    return can_prove(cond, ranges);
  }

  std::set<const Var*> tail_vars_;
};

}  // namespace

Stmt loop_partition(const Stmt& s) { return Partitioner().mutate(s); }

}  // namespace cinn::ir
