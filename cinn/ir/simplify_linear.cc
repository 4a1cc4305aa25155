// Integer linear forms: sum(c_i * atom_i) + c. The arithmetic simplifier canonicalizes Add,
// Sub and Mul-by-constant through them, and the Div/Mod and comparison rules reason about
// their coefficients.
#include <algorithm>

#include "cinn/ir/equality.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/simplify_internal.h"

namespace cinn::ir::simplify_detail {

int64_t LinearForm::wrap(i128 v) {
  if (!intmath::fits_in(type, v)) overflowed = true;
  return intmath::wrap_to(type, v);
}

void LinearForm::add_term(const Expr& atom, i128 coeff) {
  for (auto& [a, c] : terms) {
    if (structural_equal(a, atom)) {
      c = wrap(c + coeff);
      return;
    }
  }
  terms.emplace_back(atom, wrap(coeff));
}

void LinearForm::add_constant(i128 c) { constant = wrap(constant + c); }

void LinearForm::add_expr(const Expr& e, i128 scale) {
  scale = wrap(scale);
  if (const int64_t* c = as_const_int(e)) {
    add_constant(scale * *c);
    return;
  }
  switch (e.kind()) {
    case NodeKind::kAdd:
      add_expr(e.as<Add>()->a, scale);
      add_expr(e.as<Add>()->b, scale);
      return;
    case NodeKind::kSub:
      add_expr(e.as<Sub>()->a, scale);
      add_expr(e.as<Sub>()->b, -scale);
      return;
    case NodeKind::kMul: {
      const auto* m = e.as<Mul>();
      if (const int64_t* c = as_const_int(m->b)) {
        add_expr(m->a, scale * *c);
        return;
      }
      if (const int64_t* c = as_const_int(m->a)) {
        add_expr(m->b, scale * *c);
        return;
      }
      break;
    }
    default: break;
  }
  add_term(e, scale);
}

void LinearForm::add_form(const LinearForm& o, i128 scale) {
  for (const auto& [a, c] : o.terms) add_term(a, scale * c);
  add_constant(scale * o.constant);
  if (o.overflowed) overflowed = true;
}

void LinearForm::normalize() {
  terms.erase(
      std::remove_if(terms.begin(), terms.end(), [](const auto& t) { return t.second == 0; }),
      terms.end());
}

LinearForm linear_form(const Expr& e) {
  LinearForm f;
  f.type = e.type();
  f.add_expr(e, 1);
  f.normalize();
  return f;
}

Expr linear_expr(const LinearForm& f) {
  const Type t = f.type;
  auto term = [&](const Expr& atom, i128 c) {
    return c == 1 ? atom : Mul::make(atom, make_int(t, c));
  };
  // The type's minimum has no positive counterpart; it is added, not subtracted.
  auto positive = [&](int64_t c) { return c > 0 || c == intmath::type_min(t); };

  Expr out;
  for (const auto& [a, c] : f.terms) {
    if (c != 0 && positive(c)) out = out.defined() ? Add::make(out, term(a, c)) : term(a, c);
  }
  bool constant_done = false;
  if (!out.defined()) {
    out = make_int(t, f.constant);
    constant_done = true;
  }
  for (const auto& [a, c] : f.terms) {
    if (c != 0 && !positive(c)) out = Sub::make(out, term(a, -static_cast<i128>(c)));
  }
  if (!constant_done && f.constant != 0) {
    out = positive(f.constant) ? Add::make(out, make_int(t, f.constant))
                               : Sub::make(out, make_int(t, -static_cast<i128>(f.constant)));
  }
  return out;
}

LinearBounds linear_bounds(const LinearForm& f, const VarRanges& ranges) {
  // Sums of up to 64-bit products can exceed 128 bits only with very many terms; the
  // overflow builtins turn that into "unbounded".
  std::optional<i128> lo = f.constant, hi = f.constant;
  auto acc = [](std::optional<i128>* sum, std::optional<i128> v) {
    if (!*sum) return;
    i128 r;
    if (!v || __builtin_add_overflow(**sum, *v, &r)) {
      sum->reset();
    } else {
      *sum = r;
    }
  };
  for (const auto& [a, c] : f.terms) {
    const Interval iv = bounds_of(a, ranges);
    auto scaled = [&](const std::optional<int64_t>& b) -> std::optional<i128> {
      if (!b) return std::nullopt;
      return static_cast<i128>(*b) * c;
    };
    std::optional<i128> at_min = scaled(iv.min), at_max = scaled(iv.max);
    acc(&lo, c > 0 ? at_min : at_max);
    acc(&hi, c > 0 ? at_max : at_min);
  }
  return {lo, hi};
}

}  // namespace cinn::ir::simplify_detail
