// Comparisons, And/Or/Not and Select.
//
// An integer comparison is decided (Simplifier::decide) when
//   * the bounds of the two sides do not overlap (or touch, as the comparison requires), or
//   * for == and !=: the difference of their linear forms is a constant, or its bounds
//     exclude 0 (wrap-around preserves equality, so this needs no overflow argument);
//   * for <, <=, >, >=: neither side's linear skeleton can wrap, and the exact bounds of the
//     difference of their linear forms have one sign. `x < x + 1` is therefore true only
//     when x + 1 provably does not wrap, e.g. for a loop variable.
// Float comparisons only fold constants (NaN makes x == x false); `!(a < b)` becomes `b <= a`
// for integers only, for the same reason.
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/simplify_internal.h"
#include "cinn/ir/simplify_rewrite.h"

namespace cinn::ir::simplify_detail {
namespace {

const RuleTable& int_cmp_rules() {
  static const RuleTable rules = [] {
    const Wildcards& w = wildcards();
    const Expr x = w.x, t = w.kTrue, f = w.kFalse;
    // clang-format off
    return RuleTable{
        {x == x, t}, {x != x, f}, {x < x, f}, {x <= x, t}, {x > x, f}, {x >= x, t},
    };
    // clang-format on
  }();
  return rules;
}

const RuleTable& and_rules() {
  static const RuleTable rules = [] {
    const Wildcards& w = wildcards();
    const Expr x = w.bx, t = w.kTrue, f = w.kFalse;
    // clang-format off
    return RuleTable{
        {t && x, x}, {x && t, x}, {f && x, f}, {x && f, f},
        {x && x, x}, {x && !x, f}, {!x && x, f},
    };
    // clang-format on
  }();
  return rules;
}

const RuleTable& or_rules() {
  static const RuleTable rules = [] {
    const Wildcards& w = wildcards();
    const Expr x = w.bx, t = w.kTrue, f = w.kFalse;
    // clang-format off
    return RuleTable{
        {t || x, t}, {x || t, t}, {f || x, x}, {x || f, x},
        {x || x, x}, {x || !x, t}, {!x || x, t},
    };
    // clang-format on
  }();
  return rules;
}

const RuleTable& not_rules() {
  static const RuleTable rules = [] {
    const Wildcards& w = wildcards();
    const Expr x = w.x, y = w.y, bx = w.bx;
    // clang-format off
    return RuleTable{
        {!!bx, bx},
        {!(x == y), x != y},
        {!(x != y), x == y},
        {!Broadcast::make(bx, 2), Broadcast::make(!bx, 2)},
    };
    // clang-format on
  }();
  return rules;
}

// Valid only for integer operands: with NaN, !(a < b) and b <= a differ.
const RuleTable& not_int_cmp_rules() {
  static const RuleTable rules = [] {
    const Wildcards& w = wildcards();
    const Expr x = w.x, y = w.y;
    // clang-format off
    return RuleTable{
        {!(x < y), y <= x},
        {!(x <= y), y < x},
        {!(x > y), x <= y},
        {!(x >= y), x < y},
    };
    // clang-format on
  }();
  return rules;
}

const RuleTable& select_rules() {
  static const RuleTable rules = [] {
    const Wildcards& w = wildcards();
    // The condition takes slot x, so the values are y and z.
    const Expr c = w.bx, y = w.y, z = w.z;
    // clang-format off
    return RuleTable{
        {select(w.kTrue, y, z), y},
        {select(w.kFalse, y, z), z},
        {select(c, y, y), y},
        {select(!c, y, z), select(c, z, y)},
    };
    // clang-format on
  }();
  return rules;
}

Expr make_bool(bool v) { return IntImm::make(common::Bool(), v); }

bool known_lt(const std::optional<int64_t>& a, const std::optional<int64_t>& b) {
  return a && b && *a < *b;
}
bool known_le(const std::optional<int64_t>& a, const std::optional<int64_t>& b) {
  return a && b && *a <= *b;
}

}  // namespace

std::optional<bool> Simplifier::decide(NodeKind op, const Expr& a, const Expr& b) const {
  switch (op) {
    case NodeKind::kGT: return decide(NodeKind::kLT, b, a);
    case NodeKind::kGE: return decide(NodeKind::kLE, b, a);
    case NodeKind::kNE: {
      auto eq = decide(NodeKind::kEQ, a, b);
      if (eq) return !*eq;
      return std::nullopt;
    }
    case NodeKind::kEQ:
    case NodeKind::kLT:
    case NodeKind::kLE: break;
    default: return std::nullopt;
  }
  if (!is_scalar_int(a.type())) return std::nullopt;

  // The values' bounds.
  const BoundsInfo ba = bounds(a), bb = bounds(b);
  const Interval &ia = ba.interval, &ib = bb.interval;
  switch (op) {
    case NodeKind::kEQ:
      if (known_lt(ia.max, ib.min) || known_lt(ib.max, ia.min)) return false;
      if (ia.is_single_point() && ia == ib) return true;
      break;
    case NodeKind::kLT:
      if (known_lt(ia.max, ib.min)) return true;
      if (known_le(ib.max, ia.min)) return false;
      break;
    default:  // kLE
      if (known_le(ia.max, ib.min)) return true;
      if (known_lt(ib.max, ia.min)) return false;
      break;
  }

  // The difference b - a.
  LinearForm d = linear_form(b);
  d.add_form(linear_form(a), -1);
  d.normalize();
  if (op == NodeKind::kEQ) {
    if (d.is_constant()) return d.constant == 0;
    if (!bounds(linear_expr(d)).interval.contains(0)) return false;
    return std::nullopt;
  }
  if (!ba.no_overflow || !bb.no_overflow || d.overflowed) return std::nullopt;
  const LinearBounds lb = linear_bounds(d, ranges_);
  const i128 strict = op == NodeKind::kLT ? 1 : 0;  // a < b iff b - a >= 1
  if (lb.lo && *lb.lo >= strict) return true;
  if (lb.hi && *lb.hi < strict) return false;
  return std::nullopt;
}

bool Simplifier::prove(const Expr& cond) {
  return as_const_bool(mutate(cond)) == std::optional<bool>(true);
}

Expr Simplifier::simplify_cmp(const Expr& e) {
  if (auto r = fold_or_vector(e)) return *r;
  Expr a, b;
  binary_operands(e, &a, &b);
  if (!is_scalar_int(a.type())) return e;
  if (Expr r = apply_rules(int_cmp_rules(), e, this); r.defined()) return r;
  if (auto d = decide(e.kind(), a, b)) return make_bool(*d);
  return e;
}

Expr Simplifier::simplify_logical(const Expr& e) {
  if (auto r = fold_or_vector(e)) return *r;
  Expr r = apply_rules(e.kind() == NodeKind::kAnd ? and_rules() : or_rules(), e, this);
  return r.defined() ? r : e;
}

#define CINN_CMP_MUTATE(Name)                                              \
  Expr Simplifier::mutate_##Name(const Name* op) {                         \
    return simplify_cmp(rebuild_binary(op, mutate(op->a), mutate(op->b))); \
  }
CINN_CMP_MUTATE(EQ)
CINN_CMP_MUTATE(NE)
CINN_CMP_MUTATE(LT)
CINN_CMP_MUTATE(LE)
CINN_CMP_MUTATE(GT)
CINN_CMP_MUTATE(GE)
#undef CINN_CMP_MUTATE

Expr Simplifier::mutate_And(const And* op) {
  return simplify_logical(rebuild_binary(op, mutate(op->a), mutate(op->b)));
}
Expr Simplifier::mutate_Or(const Or* op) {
  return simplify_logical(rebuild_binary(op, mutate(op->a), mutate(op->b)));
}

Expr Simplifier::mutate_Not(const Not* op) {
  Expr a = mutate(op->a);
  if (auto c = as_const_bool(a)) return make_bool(!*c);
  Expr e = a.same_as(op->a) ? Expr(op) : Not::make(a);
  if (has_side_effects(e)) return e;
  if (Expr r = apply_rules(not_rules(), e, this); r.defined()) return r;
  Expr x, y;
  if (binary_operands(a, &x, &y) && is_comparison(a.kind()) && x.type().is_int()) {
    if (Expr r = apply_rules(not_int_cmp_rules(), e, this); r.defined()) return r;
  }
  return e;
}

Expr Simplifier::mutate_Select(const Select* op) {
  Expr c = mutate(op->condition), t = mutate(op->true_value), f = mutate(op->false_value);
  Expr e = c.same_as(op->condition) && t.same_as(op->true_value) && f.same_as(op->false_value)
               ? Expr(op)
               : Select::make(c, t, f);
  if (has_side_effects(e)) return e;
  Expr r = apply_rules(select_rules(), e, this);
  return r.defined() ? r : e;
}

}  // namespace cinn::ir::simplify_detail
