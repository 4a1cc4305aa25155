// Constant folding with the IR's semantics: signed and unsigned integers wrap, integer
// Div/Mod round towards negative infinity, floats are IEEE-754 rounded to their own
// precision (only 32- and 64-bit floats fold; there is no portable host type for the 16-bit
// ones), float Min/Max return the non-NaN operand. Division by zero never folds.
#include <cmath>

#include "cinn/ir/simplify_internal.h"

namespace cinn::ir::simplify_detail {
namespace {

Expr make_bool(bool v) { return IntImm::make(common::Bool(), v); }

template <typename T>
Expr fold_compare(NodeKind op, T x, T y) {
  switch (op) {
    case NodeKind::kEQ: return make_bool(x == y);
    case NodeKind::kNE: return make_bool(x != y);
    case NodeKind::kLT: return make_bool(x < y);
    case NodeKind::kLE: return make_bool(x <= y);
    case NodeKind::kGT: return make_bool(x > y);
    case NodeKind::kGE: return make_bool(x >= y);
    default: return Expr();
  }
}

Expr fold_int(NodeKind op, Type t, i128 x, i128 y) {
  switch (op) {
    case NodeKind::kAdd: return make_int(t, x + y);
    case NodeKind::kSub: return make_int(t, x - y);
    case NodeKind::kMul: return make_int(t, x * y);
    case NodeKind::kDiv: return y == 0 ? Expr() : make_int(t, intmath::floor_div(x, y));
    case NodeKind::kMod: return y == 0 ? Expr() : make_int(t, intmath::floor_mod(x, y));
    case NodeKind::kMin: return make_int(t, x < y ? x : y);
    case NodeKind::kMax: return make_int(t, x > y ? x : y);
    case NodeKind::kAnd: return make_bool(x && y);
    case NodeKind::kOr: return make_bool(x || y);
    default: return fold_compare(op, x, y);
  }
}

Expr fold_uint(NodeKind op, Type t, uint64_t x, uint64_t y) {
  const uint64_t mask = t.bits() == 64 ? ~uint64_t{0} : (uint64_t{1} << t.bits()) - 1;
  auto make = [&](uint64_t v) { return UIntImm::make(t, v & mask); };
  switch (op) {
    case NodeKind::kAdd: return make(x + y);
    case NodeKind::kSub: return make(x - y);
    case NodeKind::kMul: return make(x * y);
    case NodeKind::kDiv: return y == 0 ? Expr() : make(x / y);
    case NodeKind::kMod: return y == 0 ? Expr() : make(x % y);
    case NodeKind::kMin: return make(x < y ? x : y);
    case NodeKind::kMax: return make(x > y ? x : y);
    default: return fold_compare(op, x, y);
  }
}

bool foldable_float(Type t) { return !t.is_bfloat() && (t.bits() == 32 || t.bits() == 64); }

// v rounded to the precision of t.
double round_to(Type t, double v) { return t.bits() == 32 ? static_cast<float>(v) : v; }

Expr fold_float(NodeKind op, Type t, double x, double y) {
  if (!foldable_float(t)) return Expr();
  x = round_to(t, x);
  y = round_to(t, y);
  // An operation on two floats rounded once to double and then to float is correctly
  // rounded: double has more than 2 * 24 + 2 significand bits.
  auto make = [&](double v) { return FloatImm::make(t, round_to(t, v)); };
  switch (op) {
    case NodeKind::kAdd: return make(x + y);
    case NodeKind::kSub: return make(x - y);
    case NodeKind::kMul: return make(x * y);
    case NodeKind::kDiv: return make(x / y);
    case NodeKind::kMin: return make(std::fmin(x, y));
    case NodeKind::kMax: return make(std::fmax(x, y));
    default: return fold_compare(op, x, y);
  }
}

}  // namespace

Expr fold_binary(NodeKind op, const Expr& a, const Expr& b) {
  if (!a.defined() || !b.defined() || a.type() != b.type()) return Expr();
  const Type t = a.type();
  if (const auto* x = a.as<IntImm>(), *y = b.as<IntImm>(); x && y) {
    return fold_int(op, t, x->value, y->value);
  }
  if (const auto* x = a.as<UIntImm>(), *y = b.as<UIntImm>(); x && y) {
    return fold_uint(op, t, x->value, y->value);
  }
  if (const auto* x = a.as<FloatImm>(), *y = b.as<FloatImm>(); x && y) {
    return fold_float(op, t, x->value, y->value);
  }
  return Expr();
}

Expr fold_cast(Type t, const Expr& value) {
  if (!t.is_scalar()) return Expr();
  if (const auto* i = value.as<IntImm>()) {
    if (t.is_int() || t.is_bool()) return make_int(t, i->value);
    if (t.is_float() && foldable_float(t)) {
      return FloatImm::make(
          t, t.bits() == 32 ? static_cast<float>(i->value) : static_cast<double>(i->value));
    }
    return Expr();
  }
  if (const auto* f = value.as<FloatImm>();
      f && t.is_float() && foldable_float(t) && foldable_float(f->type)) {
    return FloatImm::make(t, round_to(t, f->value));
  }
  return Expr();
}

}  // namespace cinn::ir::simplify_detail
