// The simplifier's driver: entry points, variable ranges and statements.
//
// Ranges come from the caller, from For loops (min <= v < min + extent; the upper end is
// known even for a symbolic extent, since min + extent itself fits the type), from block
// iter_vars, from Let values, and from the conditions of IfThenElse (comparisons of a
// variable with a constant, and their conjunctions).
#include "cinn/ir/simplify.h"

#include <memory>
#include <vector>

#include "cinn/ir/ir_operators.h"
#include "cinn/ir/simplify_internal.h"
#include "cinn/ir/substitute.h"

namespace cinn::ir {
namespace simplify_detail {

bool has_side_effects(const Expr& e) {
  bool found = false;
  post_order_visit(e, [&](const IRNode* n) {
    if (n->kind() == NodeKind::kCall &&
        static_cast<const Call*>(n)->call_kind == Call::Kind::kExtern) {
      found = true;
    }
  });
  return found;
}

namespace {

bool uses_var(const Expr& e, const Var* v) { return uses_any_var(e, {Expr(v)}); }
bool uses_var(const Stmt& s, const Var* v) {
  bool found = false;
  post_order_visit(s, [&](const IRNode* n) { found = found || n == v; });
  return found;
}

// Lets of immediates and of other variables are inlined.
bool inlinable(const Expr& value) {
  return value.as<IntImm>() || value.as<UIntImm>() || value.as<FloatImm>() || value.as<Var>();
}

Interval intersect(const Interval& a, const Interval& b) {
  Interval r = a;
  if (b.min && (!r.min || *b.min > *r.min)) r.min = b.min;
  if (b.max && (!r.max || *b.max < *r.max)) r.max = b.max;
  return r;
}

NodeKind negate(NodeKind k) {
  switch (k) {
    case NodeKind::kLT: return NodeKind::kGE;
    case NodeKind::kLE: return NodeKind::kGT;
    case NodeKind::kGT: return NodeKind::kLE;
    case NodeKind::kGE: return NodeKind::kLT;
    case NodeKind::kEQ: return NodeKind::kNE;
    default: return NodeKind::kEQ;  // kNE
  }
}
NodeKind mirror(NodeKind k) {  // c op v  ==  v mirror(op) c
  switch (k) {
    case NodeKind::kLT: return NodeKind::kGT;
    case NodeKind::kLE: return NodeKind::kGE;
    case NodeKind::kGT: return NodeKind::kLT;
    case NodeKind::kGE: return NodeKind::kLE;
    default: return k;
  }
}

// Adds to `out` the ranges that `cond == truth` implies for variables compared with
// constants.
void learn(const Expr& cond, bool truth, const VarRanges& known, VarRanges* out) {
  if (const auto* n = cond.as<Not>()) return learn(n->a, !truth, known, out);
  if (const auto* a = cond.as<And>(); a && truth) {
    learn(a->a, true, known, out);
    learn(a->b, true, known, out);
    return;
  }
  if (const auto* o = cond.as<Or>(); o && !truth) {
    learn(o->a, false, known, out);
    learn(o->b, false, known, out);
    return;
  }
  Expr x, y;
  if (!is_comparison(cond.kind()) || !binary_operands(cond, &x, &y)) return;
  NodeKind k = cond.kind();
  if (x.as<IntImm>() && y.as<Var>()) {
    std::swap(x, y);
    k = mirror(k);
  }
  const Var* v = x.as<Var>();
  const int64_t* c = as_const_int(y);
  if (!v || !c || !is_scalar_int(v->type)) return;
  if (!truth) k = negate(k);
  const i128 lo = intmath::type_min(v->type), hi = intmath::type_max(v->type);
  Interval iv;
  switch (k) {
    case NodeKind::kLT:
      if (*c == lo) return;  // v < min is false: a dead branch
      iv.max = *c - 1;
      break;
    case NodeKind::kLE: iv.max = *c; break;
    case NodeKind::kGT:
      if (*c == hi) return;
      iv.min = *c + 1;
      break;
    case NodeKind::kGE: iv.min = *c; break;
    case NodeKind::kEQ: iv = Interval::single_point(*c); break;
    default: return;
  }
  Interval prev = Interval::everything();
  if (auto it = out->find(v); it != out->end()) {
    prev = it->second;
  } else if (auto jt = known.find(v); jt != known.end()) {
    prev = jt->second;
  }
  (*out)[v] = intersect(prev, iv);
}

}  // namespace

Simplifier::ScopedRange::ScopedRange(Simplifier* s, const Expr& var, const Interval& iv)
    : s_(s), var_(var.as<Var>()) {
  CINN_CHECK(var_) << "ScopedRange of a non-variable";
  if (auto it = s_->ranges_.find(var_); it != s_->ranges_.end()) saved_ = it->second;
  s_->ranges_[var_] = iv;
}

Simplifier::ScopedRange::~ScopedRange() {
  if (saved_) {
    s_->ranges_[var_] = *saved_;
  } else {
    s_->ranges_.erase(var_);
  }
}

Interval Simplifier::loop_range(const Expr& min, const Expr& extent, Type t) const {
  if (!is_scalar_int(t) || min.type() != t || extent.type() != t) return Interval::everything();
  Interval iv;
  iv.min = bounds(min).interval.min;
  // v < min + extent <= the type's maximum.
  const std::optional<int64_t> end = bounds(Add::make(min, extent)).interval.max;
  const i128 last = (end ? static_cast<i128>(*end) : intmath::type_max(t)) - 1;
  if (last < intmath::type_min(t)) return Interval::everything();  // never runs
  iv.max = static_cast<int64_t>(last);
  return iv;
}

// ---------------------------------------------------------------------------------------
// Expressions

Expr Simplifier::mutate_Cast(const Cast* op) {
  Expr v = mutate(op->value);
  if (Expr c = fold_cast(op->type, v); c.defined()) return c;
  if (v.type() == op->type) return v;
  if (v.same_as(op->value)) return op;
  return Cast::make(op->type, v);
}

Expr Simplifier::mutate_Ramp(const Ramp* op) {
  Expr base = mutate(op->base), stride = mutate(op->stride);
  if (is_zero(stride)) return Broadcast::make(base, op->lanes);
  if (base.same_as(op->base) && stride.same_as(op->stride)) return op;
  return Ramp::make(base, stride, op->lanes);
}

template <typename Node, typename Body>
Body Simplifier::mutate_let(const Node* op) {
  Expr value = mutate(op->value);
  const Var* v = op->var.template as<Var>();
  if (inlinable(value)) return mutate(substitute(op->body, {{v, value}}));
  Body body;
  if (is_scalar_int(value.type())) {
    ScopedRange scope(this, op->var, bounds(value).interval);
    body = mutate(op->body);
  } else {
    body = mutate(op->body);
  }
  if (!uses_var(body, v) && !has_side_effects(value)) return body;
  if (value.same_as(op->value) && body.same_as(op->body)) return op;
  return Node::make(op->var, value, body);
}

Expr Simplifier::mutate_Let(const Let* op) { return mutate_let<Let, Expr>(op); }
Stmt Simplifier::mutate_LetStmt(const LetStmt* op) { return mutate_let<LetStmt, Stmt>(op); }

// ---------------------------------------------------------------------------------------
// Statements

Stmt Simplifier::mutate_For(const For* op) {
  Expr min = mutate(op->min), extent = mutate(op->extent);
  const Interval ext = bounds(extent).interval;
  if (ext.max && *ext.max <= 0) return Block::make({});  // never runs
  Stmt body;
  {
    ScopedRange scope(this, op->loop_var, loop_range(min, extent, op->loop_var.type()));
    body = mutate(op->body);
  }
  // A loop with nothing to do (a branch that never holds was all it had) disappears, unless
  // its bounds call an extern function.
  if (const auto* b = body.as<Block>(); b && b->stmts.empty() && !has_side_effects(min) &&
                                        !has_side_effects(extent)) {
    return body;
  }
  if (min.same_as(op->min) && extent.same_as(op->extent) && body.same_as(op->body)) return op;
  return For::make(op->loop_var, min, extent, op->for_kind, body);
}

Stmt Simplifier::mutate_IfThenElse(const IfThenElse* op) {
  Expr cond = mutate(op->condition);
  if (auto c = as_const_bool(cond)) {
    if (*c) return mutate(op->then_case);
    return op->else_case.defined() ? mutate(op->else_case) : Block::make({});
  }
  auto branch = [&](const Stmt& s, bool truth) {
    if (!s.defined()) return s;
    VarRanges facts;
    learn(cond, truth, ranges_, &facts);
    std::vector<std::unique_ptr<ScopedRange>> scopes;
    for (const auto& [v, iv] : facts) scopes.push_back(std::make_unique<ScopedRange>(this, v, iv));
    return mutate(s);
  };
  Stmt then_case = branch(op->then_case, true), else_case = branch(op->else_case, false);
  if (cond.same_as(op->condition) && then_case.same_as(op->then_case) &&
      else_case.same_as(op->else_case)) {
    return op;
  }
  return IfThenElse::make(cond, then_case, else_case);
}

Stmt Simplifier::mutate_Block(const Block* op) {
  bool changed = false;
  std::vector<Stmt> stmts;
  for (const Stmt& s : op->stmts) {
    Stmt m = mutate(s);
    if (!m.same_as(s)) changed = true;
    if (const auto* b = m.as<Block>(); b && b->stmts.empty()) {
      changed = true;  // a loop that never runs, an if that never holds
      continue;
    }
    stmts.push_back(std::move(m));
  }
  if (!changed) return op;
  return Block::make(std::move(stmts));
}

Stmt Simplifier::mutate_ScheduleBlock(const ScheduleBlock* op) {
  std::vector<std::unique_ptr<ScopedRange>> scopes;
  for (const IterVar& iv : op->iter_vars) {
    Interval r = loop_range(iv.range.min, iv.range.extent, iv.var.type());
    scopes.push_back(std::make_unique<ScopedRange>(this, iv.var, r));
  }
  return IRMutator::mutate_ScheduleBlock(op);
}

}  // namespace simplify_detail

Expr simplify(const Expr& e) { return simplify(e, VarRanges{}); }
Stmt simplify(const Stmt& s) { return simplify(s, VarRanges{}); }
Expr simplify(const Expr& e, const VarRanges& ranges) {
  return simplify_detail::Simplifier(ranges).mutate(e);
}
Stmt simplify(const Stmt& s, const VarRanges& ranges) {
  return simplify_detail::Simplifier(ranges).mutate(s);
}
bool can_prove(const Expr& cond, const VarRanges& ranges) {
  return simplify_detail::Simplifier(ranges).prove(cond);
}

}  // namespace cinn::ir
