// Min and Max.
//
// Integers: the rule tables, then a proof by bounds: min(a, b) -> a when a <= b can be
// proved (Simplifier::decide, which also sees that x <= x + 3 when x + 3 cannot wrap).
// Floats fold constants and min(x, x) only: with NaN, min(x, max(x, y)) is not x.
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/simplify_internal.h"
#include "cinn/ir/simplify_rewrite.h"

namespace cinn::ir::simplify_detail {
namespace {

const RuleTable& int_min_rules() {
  static const RuleTable rules = [] {
    const Wildcards& w = wildcards();
    const Expr x = w.x, y = w.y, c0 = w.c0, c1 = w.c1;
    // clang-format off
    return RuleTable{
        {min(x, x), x},
        {min(c0, x), min(x, c0)},
        {min(min(x, c0), c1), min(x, min(c0, c1))},
        {min(max(x, c0), c1), c1, c1 <= c0},
        {min(x, max(x, y)), x},
        {min(x, max(y, x)), x},
        {min(max(x, y), x), x},
        {min(max(y, x), x), x},
        {min(x, min(x, y)), min(x, y)},
        {min(x, min(y, x)), min(y, x)},
        {min(min(x, y), x), min(x, y)},
        {min(min(y, x), x), min(y, x)},
    };
    // clang-format on
  }();
  return rules;
}

const RuleTable& int_max_rules() {
  static const RuleTable rules = [] {
    const Wildcards& w = wildcards();
    const Expr x = w.x, y = w.y, c0 = w.c0, c1 = w.c1;
    // clang-format off
    return RuleTable{
        {max(x, x), x},
        {max(c0, x), max(x, c0)},
        {max(max(x, c0), c1), max(x, max(c0, c1))},
        {max(min(x, c0), c1), c1, c0 <= c1},
        {max(x, min(x, y)), x},
        {max(x, min(y, x)), x},
        {max(min(x, y), x), x},
        {max(min(y, x), x), x},
        {max(x, max(x, y)), max(x, y)},
        {max(x, max(y, x)), max(y, x)},
        {max(max(x, y), x), max(x, y)},
        {max(max(y, x), x), max(y, x)},
    };
    // clang-format on
  }();
  return rules;
}

const RuleTable& float_minmax_rules() {
  static const RuleTable rules = [] {
    const Expr x = wildcards().fx;
    // clang-format off
    return RuleTable{
        {min(x, x), x},
        {max(x, x), x},
    };
    // clang-format on
  }();
  return rules;
}

}  // namespace

Expr Simplifier::simplify_minmax(const Expr& e) {
  if (auto r = fold_or_vector(e)) return *r;
  const Type t = e.type();
  const bool is_min = e.kind() == NodeKind::kMin;
  if (t.is_float()) {
    Expr r = apply_rules(float_minmax_rules(), e, this);
    return r.defined() ? r : e;
  }
  if (!is_scalar_int(t)) return e;
  if (Expr r = apply_rules(is_min ? int_min_rules() : int_max_rules(), e, this); r.defined()) {
    return r;
  }
  Expr a, b;
  binary_operands(e, &a, &b);
  if (decide(NodeKind::kLE, a, b) == std::optional<bool>(true)) return is_min ? a : b;
  if (decide(NodeKind::kLE, b, a) == std::optional<bool>(true)) return is_min ? b : a;
  return e;
}

Expr Simplifier::mutate_Min(const Min* op) {
  return simplify_minmax(rebuild_binary(op, mutate(op->a), mutate(op->b)));
}
Expr Simplifier::mutate_Max(const Max* op) {
  return simplify_minmax(rebuild_binary(op, mutate(op->a), mutate(op->b)));
}

}  // namespace cinn::ir::simplify_detail
