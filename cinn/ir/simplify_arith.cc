// Add, Sub, Mul; and what every binary node shares: constant folding, the side-effect guard
// and the vector rules.
//
// Scalar signed integers are put in canonical linear form (simplify_linear.cc): constants are
// collected, equal terms merged (`x + 1 + x - 1` -> `x * 2`, `(x + 3) - x` -> 3) and constant
// factors distributed (`(x + 1) * 4` -> `x * 4 + 4`). Integers are a ring modulo 2^bits, so
// this is exact even when the expression wraps.
//
// Floats fold constants and drop only the identities that hold for every IEEE value:
// x * 1.0, x / 1.0, x - 0.0 and x + (-0.0). `x + 0.0` stays: for x = -0.0 it is +0.0.
#include <utility>

#include "cinn/ir/equality.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/simplify_internal.h"
#include "cinn/ir/simplify_rewrite.h"

namespace cinn::ir::simplify_detail {
namespace {

Expr bc(const Expr& v) { return Broadcast::make(v, 2); }  // matches any lane count
Expr ramp(const Expr& b, const Expr& s) { return Ramp::make(b, s, 2); }

// Lane-wise operations on broadcasts, for every type.
const RuleTable& broadcast_rules() {
  static const RuleTable rules = [] {
    const Wildcards& w = wildcards();
    const Expr x = w.x, y = w.y, bx = w.bx, by = w.by;
    // clang-format off
    return RuleTable{
        {bc(x) + bc(y), bc(x + y)},
        {bc(x) - bc(y), bc(x - y)},
        {bc(x) * bc(y), bc(x * y)},
        {bc(x) / bc(y), bc(x / y)},
        {bc(x) % bc(y), bc(x % y)},
        {min(bc(x), bc(y)), bc(min(x, y))},
        {max(bc(x), bc(y)), bc(max(x, y))},
        {bc(x) == bc(y), bc(x == y)},
        {bc(x) != bc(y), bc(x != y)},
        {bc(x) < bc(y), bc(x < y)},
        {bc(x) <= bc(y), bc(x <= y)},
        {bc(x) > bc(y), bc(x > y)},
        {bc(x) >= bc(y), bc(x >= y)},
        {bc(bx) && bc(by), bc(bx && by)},
        {bc(bx) || bc(by), bc(bx || by)},
    };
    // clang-format on
  }();
  return rules;
}

// Lane i of ramp(b, s) is b + i * s; these regroup exactly in wrap-around integer arithmetic
// (not in floating point, so integer lanes only).
const RuleTable& ramp_rules() {
  static const RuleTable rules = [] {
    const Wildcards& w = wildcards();
    const Expr x = w.x, y = w.y, z = w.z, v = w.w;
    // clang-format off
    return RuleTable{
        {ramp(x, y) + ramp(z, v), ramp(x + z, y + v)},
        {ramp(x, y) + bc(z), ramp(x + z, y)},
        {bc(z) + ramp(x, y), ramp(z + x, y)},
        {ramp(x, y) - ramp(z, v), ramp(x - z, y - v)},
        {ramp(x, y) - bc(z), ramp(x - z, y)},
        {bc(z) - ramp(x, y), ramp(z - x, 0 - y)},
        {ramp(x, y) * bc(z), ramp(x * z, y * z)},
        {bc(z) * ramp(x, y), ramp(z * x, z * y)},
    };
    // clang-format on
  }();
  return rules;
}

const RuleTable& float_rules() {
  static const RuleTable rules = [] {
    const Expr x = wildcards().fx;
    // clang-format off
    return RuleTable{
        {x + Expr(-0.0f), x},
        {Expr(-0.0f) + x, x},
        {x - Expr(0.0f), x},
        {x * Expr(1.0f), x},
        {Expr(1.0f) * x, x},
        {x / Expr(1.0f), x},
    };
    // clang-format on
  }();
  return rules;
}

// How far a form is from having no Div/Mod terms: (Div/Mod terms, all terms).
std::pair<size_t, size_t> divmod_measure(const LinearForm& f) {
  size_t n = 0;
  for (const auto& term : f.terms) {
    if (term.first.as<Div>() || term.first.as<Mod>()) ++n;
  }
  return {n, f.terms.size()};
}

// Re-linearizes indices that a fused loop was split back into (fuse's div/mod bindings,
// flattened storage), for a constant c > 1 and a term k * c * atom:
//   atom = x / c:        k * c * (x / c)       == k * x         - k * (x % c)
//   atom = (x / c) % n:  k * c * ((x / c) % n) == k * (x % c*n) - k * (x % c)    (n > 0)
// (floor division and modulo). Applied when it lowers divmod_measure:
// `x / 8 * 8 + x % 8` -> `x`, `x - x / 8 * 8` -> `x % 8`, and the flat index of a fused
// loop, `x / 196 * 196 + x / 14 % 14 * 14 + x % 14` -> `x`.
bool combine_div_mod(LinearForm* f) {
  for (const auto& [atom, d] : f->terms) {
    const auto* mod = atom.as<Mod>();
    const int64_t* n = mod ? as_const_int(mod->b) : nullptr;
    const auto* div = (n && *n > 0) ? mod->a.as<Div>() : atom.as<Div>();
    const int64_t* c = div ? as_const_int(div->b) : nullptr;
    if (!c || *c <= 1 || d % *c != 0) continue;
    const i128 k = d / *c;
    LinearForm g = *f;
    g.add_term(atom, -static_cast<i128>(d));
    if (mod) {
      const i128 cn = static_cast<i128>(*c) * *n;
      if (!intmath::fits_in(f->type, cn)) continue;
      g.add_term(Mod::make(div->a, make_int(f->type, cn)), k);
    } else {
      g.add_expr(div->a, k);
    }
    g.add_term(Mod::make(div->a, div->b), -k);
    g.normalize();
    if (!g.overflowed && divmod_measure(g) < divmod_measure(*f)) {
      *f = std::move(g);
      return true;
    }
  }
  return false;
}

}  // namespace

std::optional<Expr> Simplifier::fold_or_vector(const Expr& e) {
  Expr a, b;
  binary_operands(e, &a, &b);
  if (Expr c = fold_binary(e.kind(), a, b); c.defined()) return c;
  if (has_side_effects(e)) return e;
  if (a.type().is_vector()) {
    if (Expr r = apply_rules(broadcast_rules(), e, this); r.defined()) return r;
    if (a.type().is_int()) {
      if (Expr r = apply_rules(ramp_rules(), e, this); r.defined()) return r;
    }
    return e;
  }
  if (a.type().is_float()) {
    Expr r = apply_rules(float_rules(), e, this);
    if (r.defined()) return r;
  }
  return std::nullopt;
}

Expr Simplifier::simplify_add_sub_mul(const Expr& e) {
  if (auto r = fold_or_vector(e)) return *r;
  if (!is_scalar_int(e.type())) return e;
  LinearForm f = linear_form(e);
  bool combined = false;
  while (combine_div_mod(&f)) combined = true;
  Expr out = linear_expr(f);
  if (structural_equal(out, e)) return e;
  // The combination made new Mod nodes, which the bounds may simplify further.
  return combined ? mutate(out) : out;
}

Expr Simplifier::mutate_Add(const Add* op) {
  return simplify_add_sub_mul(rebuild_binary(op, mutate(op->a), mutate(op->b)));
}
Expr Simplifier::mutate_Sub(const Sub* op) {
  return simplify_add_sub_mul(rebuild_binary(op, mutate(op->a), mutate(op->b)));
}
Expr Simplifier::mutate_Mul(const Mul* op) {
  return simplify_add_sub_mul(rebuild_binary(op, mutate(op->a), mutate(op->b)));
}

}  // namespace cinn::ir::simplify_detail
