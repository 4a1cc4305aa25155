// Integer Div and Mod: floor division and modulo (ir.h), so (-7) / 2 == -4 and (-7) % 2 == 1.
//
// For a constant divisor c > 0, in order:
//   1. Bounds: if the numerator stays within one period [k*c, k*c + c), then a / c == k and
//      a % c == a - k*c. No overflow argument is needed: these are facts about the value.
//   2. Common factors (Div only): (g*A) / (g*B) == A / B.
//   3. Splitting: with the numerator's linear form written c*Q + R,
//        (c*Q + R) / c == Q + R / c    and    (c*Q + R) % c == R % c,
//      which hold for all integers under floor semantics. They are exact for machine
//      integers only when neither the numerator nor R wraps, which the bounds analysis must
//      prove (`(x*8 + y) / 8` -> `x + y / 8` needs x and y to have known ranges).
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/simplify_internal.h"
#include "cinn/ir/simplify_rewrite.h"

namespace cinn::ir::simplify_detail {
namespace {

using intmath::floor_div;
using intmath::floor_mod;

const RuleTable& div_rules() {
  static const RuleTable rules = [] {
    const Wildcards& w = wildcards();
    const Expr x = w.x, c0 = w.c0, c1 = w.c1;
    // clang-format off
    return RuleTable{
        {x / 1, x},
        {x / -1, 0 - x},
        {x / x, 1},  // x == 0 is undefined
        {0 / x, 0},
        // floor(floor(x / a) / b) == floor(x / (a * b)) for b > 0; a > 0 keeps x / a from
        // wrapping (min / -1 does).
        {x / c0 / c1, x / (c0 * c1), c0 > 0 && c1 > 0},
    };
    // clang-format on
  }();
  return rules;
}

const RuleTable& mod_rules() {
  static const RuleTable rules = [] {
    const Wildcards& w = wildcards();
    const Expr x = w.x, c0 = w.c0, c1 = w.c1;
    // clang-format off
    return RuleTable{
        {x % 1, 0},
        {x % -1, 0},
        {x % x, 0},
        {0 % x, 0},
        // x % c0 differs from x by a multiple of c0, hence of c1.
        {x % c0 % c1, x % c1, c1 > 0 && c0 % c1 == 0},
    };
    // clang-format on
  }();
  return rules;
}

i128 abs128(i128 v) { return v < 0 ? -v : v; }
i128 gcd128(i128 a, i128 b) {
  a = abs128(a);
  b = abs128(b);
  while (b != 0) {
    i128 t = a % b;
    a = b;
    b = t;
  }
  return a;
}

}  // namespace

Expr Simplifier::simplify_divmod(const Expr& e) {
  if (auto r = fold_or_vector(e)) return *r;
  const Type t = e.type();
  if (!is_scalar_int(t)) return e;
  const bool is_div = e.kind() == NodeKind::kDiv;
  if (Expr r = apply_rules(is_div ? div_rules() : mod_rules(), e, this); r.defined()) return r;

  Expr a, b;
  binary_operands(e, &a, &b);
  const int64_t* cp = as_const_int(b);
  if (!cp || *cp <= 0) return e;
  const i128 c = *cp;

  // 1. Bounds.
  const BoundsInfo ba = bounds(a);
  if (ba.interval.is_bounded()) {
    const i128 k = floor_div(*ba.interval.min, c);
    if (k == floor_div(*ba.interval.max, c)) {
      return is_div ? make_int(t, k) : mutate(Sub::make(a, make_int(t, k * c)));
    }
  }

  if (!ba.no_overflow) return e;
  const LinearForm f = linear_form(a);
  if (f.overflowed || f.is_constant()) return e;

  // 2. Common factors.
  if (is_div) {
    i128 g = gcd128(c, f.constant);
    for (const auto& term : f.terms) g = gcd128(g, term.second);
    if (g > 1) {
      // a / g lies within the type, so however its form evaluates, it does not wrap.
      LinearForm h;
      h.type = t;
      for (const auto& [atom, coeff] : f.terms) h.add_term(atom, coeff / g);
      h.add_constant(f.constant / g);
      return mutate(Div::make(linear_expr(h), make_int(t, c / g)));
    }
  }

  // 3. Splitting off multiples of c.
  LinearForm q, r;
  q.type = r.type = t;
  for (const auto& [atom, coeff] : f.terms) {
    if (coeff % c == 0) {
      q.add_term(atom, coeff / c);
    } else {
      r.add_term(atom, coeff);
    }
  }
  q.add_constant(floor_div(f.constant, c));
  r.add_constant(floor_mod(f.constant, c));
  if (q.terms.empty() && q.constant == 0) return e;
  const Expr rest = linear_expr(r);
  if (!bounds(rest).no_overflow) return e;
  if (is_div) return mutate(Add::make(linear_expr(q), Div::make(rest, b)));
  return mutate(Mod::make(rest, b));
}

Expr Simplifier::mutate_Div(const Div* op) {
  return simplify_divmod(rebuild_binary(op, mutate(op->a), mutate(op->b)));
}
Expr Simplifier::mutate_Mod(const Mod* op) {
  return simplify_divmod(rebuild_binary(op, mutate(op->a), mutate(op->b)));
}

}  // namespace cinn::ir::simplify_detail
