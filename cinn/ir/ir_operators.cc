#include "cinn/ir/ir_operators.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "cinn/ir/printer.h"

namespace cinn::ir {

namespace {
bool is_imm(const Expr& e) {
  return e.as<IntImm>() || e.as<UIntImm>() || e.as<FloatImm>();
}
double imm_value(const Expr& e) {
  if (const auto* i = e.as<IntImm>()) return static_cast<double>(i->value);
  if (const auto* u = e.as<UIntImm>()) return static_cast<double>(u->value);
  return e.as<FloatImm>()->value;
}
}  // namespace

Expr make_const(Type t, double v) {
  if (t.is_vector()) return Broadcast::make(make_const(t.element_of(), v), t.lanes());
  if (t.is_float()) return FloatImm::make(t, v);
  // Integers from doubles beyond 64 bits saturate (2^63 - 1 as a double is 2^63, whose
  // plain conversion is undefined); negative unsigned values wrap, as from int64.
  constexpr double k2p63 = 9223372036854775808.0, k2p64 = 18446744073709551616.0;
  if (t.is_uint()) {
    if (v >= k2p64) return UIntImm::make(t, std::numeric_limits<uint64_t>::max());
    if (v >= k2p63) return UIntImm::make(t, static_cast<uint64_t>(v));
    return UIntImm::make(t, static_cast<uint64_t>(v < -k2p63 ? std::numeric_limits<int64_t>::min()
                                                              : static_cast<int64_t>(v)));
  }
  if (t.is_int() || t.is_bool()) {
    if (v != v) return IntImm::make(t, 0);
    if (v >= k2p63) return IntImm::make(t, std::numeric_limits<int64_t>::max());
    if (v < -k2p63) return IntImm::make(t, std::numeric_limits<int64_t>::min());
    return IntImm::make(t, static_cast<int64_t>(v));
  }
  CINN_THROW(DTypeError) << "no constant of type " << t;
}
Expr make_zero(Type t) { return make_const(t, 0); }
Expr make_one(Type t) { return make_const(t, 1); }

Expr coerce_to(const Expr& e, Type t) {
  if (e.type() == t) return e;
  if (is_imm(e) && t.element_of() != e.type()) {
    // Keep exact integer values: only go through double for floats.
    if (const auto* i = e.as<IntImm>(); i && (t.is_int() || t.is_bool())) {
      Expr c = IntImm::make(t.element_of(), i->value);
      return t.is_vector() ? Broadcast::make(c, t.lanes()) : c;
    }
    return make_const(t, imm_value(e));
  }
  if (e.type().is_scalar() && t.is_vector() && e.type() == t.element_of()) {
    return Broadcast::make(e, t.lanes());
  }
  return e;
}

namespace {
// An immediate that adopts an integer type must be one of its values: `x * 1.5` on int32
// would otherwise compute x * 1, and `u + 300` on uint8 u + 44.
void check_fits(const char* op, const Expr& imm, Type t) {
  if (!t.is_int() && !t.is_uint()) return;
  int bits = t.bits();
  bool fits = true;
  if (const auto* i = imm.as<IntImm>()) {
    if (t.is_int()) {
      fits = bits >= 64 || (i->value >= -(int64_t{1} << (bits - 1)) && i->value < (int64_t{1} << (bits - 1)));
    } else {
      fits = i->value >= 0 && (bits >= 64 || i->value < (int64_t{1} << bits));
    }
  } else if (const auto* u = imm.as<UIntImm>()) {
    fits = t.is_uint() ? (bits >= 64 || u->value < (uint64_t{1} << bits)) : u->value < (uint64_t{1} << (bits - 1));
  } else if (const auto* f = imm.as<FloatImm>()) {
    double v = f->value;
    double lo = t.is_int() ? -std::ldexp(1.0, bits - 1) : 0.0, hi = std::ldexp(1.0, t.is_int() ? bits - 1 : bits);
    fits = std::isfinite(v) && std::trunc(v) == v && v >= lo && v < hi;
  }
  if (!fits) {
    CINN_THROW(DTypeError) << "operator " << op << ": the constant " << imm << " is not a value of " << t
                           << ", the other operand's type; cast that operand to a type that holds it";
  }
}
}  // namespace

void match_types(const char* op, Expr* a, Expr* b) {
  if (!a->defined() || !b->defined()) {
    CINN_THROW(InternalError) << "operator " << op << " on a null expression";
  }
  if (a->type() == b->type()) return;
  // An immediate adopts the other side's type; a scalar is broadcast to the vector's lanes.
  if (is_imm(*a) && !is_imm(*b)) {
    check_fits(op, *a, b->type().element_of());
    *a = coerce_to(*a, b->type());
  } else if (is_imm(*b) && !is_imm(*a)) {
    check_fits(op, *b, a->type().element_of());
    *b = coerce_to(*b, a->type());
  } else if (is_imm(*a) && is_imm(*b)) {
    // Two immediates: the float one wins, else the wider one.
    Type ta = a->type(), tb = b->type();
    Type t = (ta.is_float() != tb.is_float()) ? (ta.is_float() ? ta : tb)
                                              : (ta.bits() >= tb.bits() ? ta : tb);
    *a = coerce_to(*a, t);
    *b = coerce_to(*b, t);
  }
  if (a->type().is_scalar() && b->type().is_vector()) *a = coerce_to(*a, b->type());
  if (b->type().is_scalar() && a->type().is_vector()) *b = coerce_to(*b, a->type());
  if (a->type() != b->type()) {
    CINN_THROW(DTypeError) << "operator " << op << ": operand types differ: " << a->type()
                           << " (" << *a << ") vs " << b->type() << " (" << *b
                           << "); insert an explicit cast";
  }
}

#define CINN_BINOP(opname, sym, Node)  \
  Expr opname(Expr a, Expr b) {        \
    match_types(sym, &a, &b);          \
    return Node::make(a, b);           \
  }
CINN_BINOP(operator+, "+", Add)
CINN_BINOP(operator-, "-", Sub)
CINN_BINOP(operator*, "*", Mul)
CINN_BINOP(operator/, "/", Div)
CINN_BINOP(operator%, "%", Mod)
CINN_BINOP(operator==, "==", EQ)
CINN_BINOP(operator!=, "!=", NE)
CINN_BINOP(operator<, "<", LT)
CINN_BINOP(operator<=, "<=", LE)
CINN_BINOP(operator>, ">", GT)
CINN_BINOP(operator>=, ">=", GE)
CINN_BINOP(operator&&, "&&", And)
CINN_BINOP(operator||, "||", Or)
CINN_BINOP(min, "min", Min)
CINN_BINOP(max, "max", Max)
#undef CINN_BINOP

Expr operator-(Expr a) {
  if (const auto* i = a.as<IntImm>()) return IntImm::make(i->type, -i->value);
  if (const auto* f = a.as<FloatImm>()) return FloatImm::make(f->type, -f->value);
  // 0 - x would turn +0.0 into +0.0; x * -1 flips the sign of every float, zeros included.
  if (a.type().is_float()) return Mul::make(a, FloatImm::make(a.type(), -1.0));
  return Sub::make(make_zero(a.type()), a);
}
Expr operator!(Expr a) { return Not::make(std::move(a)); }

Expr select(Expr c, Expr t, Expr f) {
  match_types("select", &t, &f);
  return Select::make(std::move(c), std::move(t), std::move(f));
}

Expr cast(Type t, Expr e) {
  if (e.type() == t) return e;
  if (e.type().is_scalar() && t.is_vector()) {
    return Broadcast::make(cast(t.element_of(), std::move(e)), t.lanes());
  }
  if (is_imm(e) && t.is_scalar() && !t.is_bool()) return make_const(t, imm_value(e));
  return Cast::make(t, std::move(e));
}

const int64_t* as_const_int(const Expr& e) {
  const auto* i = e.as<IntImm>();
  return i ? &i->value : nullptr;
}
bool is_const_int(const Expr& e, int64_t v) {
  const int64_t* c = as_const_int(e);
  return c && *c == v;
}
bool is_zero(const Expr& e) {
  if (const auto* f = e.as<FloatImm>()) return f->value == 0;
  if (const auto* u = e.as<UIntImm>()) return u->value == 0;
  if (const auto* b = e.as<Broadcast>()) return is_zero(b->value);
  return is_const_int(e, 0);
}
bool is_one(const Expr& e) {
  if (const auto* f = e.as<FloatImm>()) return f->value == 1;
  if (const auto* u = e.as<UIntImm>()) return u->value == 1;
  if (const auto* b = e.as<Broadcast>()) return is_one(b->value);
  return is_const_int(e, 1);
}

int64_t power_of_two_factor(const Expr& e) {
  constexpr int64_t kCap = int64_t{1} << 30;
  switch (e.kind()) {
    case NodeKind::kIntImm: {
      int64_t c = e.as<IntImm>()->value;
      return c == 0 ? kCap : std::min(kCap, c & -c);
    }
    case NodeKind::kAdd:
      return std::min(power_of_two_factor(e.as<Add>()->a), power_of_two_factor(e.as<Add>()->b));
    case NodeKind::kSub:
      return std::min(power_of_two_factor(e.as<Sub>()->a), power_of_two_factor(e.as<Sub>()->b));
    case NodeKind::kMul:
      return std::min(kCap, power_of_two_factor(e.as<Mul>()->a) * power_of_two_factor(e.as<Mul>()->b));
    case NodeKind::kCast: {
      const auto* c = e.as<Cast>();
      bool wide_int = c->type.is_int() || c->type.is_uint();
      return wide_int && c->type.bits() >= 32 && (c->value.type().is_int() || c->value.type().is_uint())
                 ? power_of_two_factor(c->value)
                 : 1;
    }
    default:
      return 1;
  }
}

}  // namespace cinn::ir
