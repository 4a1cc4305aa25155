// The pass, the table of approximations, and the helpers they share.
#include "cinn/ir/lower_math.h"

#include <limits>

#include "cinn/ir/intrinsics.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/lower_math_internal.h"
#include "cinn/ir/visitor.h"

namespace cinn::ir {
namespace math_detail {

Expr MathBuilder::let(Expr value, const std::string& name) {
  const auto* bc = value.as<Broadcast>();
  const Expr& scalar = bc ? bc->value : value;
  if (scalar.as<Var>() || scalar.as<IntImm>() || scalar.as<UIntImm>() || scalar.as<FloatImm>()) {
    return value;
  }
  Expr var = Var::make(name, value.type());
  bindings_.emplace_back(var, std::move(value));
  return var;
}

Expr MathBuilder::finish(Expr body) const {
  for (auto it = bindings_.rbegin(); it != bindings_.rend(); ++it) {
    body = Let::make(it->first, it->second, body);
  }
  return body;
}

Expr MathBuilder::f(double v) const { return float_const(f32(), v); }
Expr MathBuilder::d(double v) const { return float_const(f64(), v); }
Expr MathBuilder::i32(int64_t v) const { return make_const(i32(), static_cast<double>(v)); }
Expr MathBuilder::u32(uint64_t v) const { return make_const(u32(), static_cast<double>(v)); }
Expr MathBuilder::i64(int64_t v) const {
  Expr c = IntImm::make(common::Int(64), v);
  return lanes_ > 1 ? Broadcast::make(c, lanes_) : c;
}
Expr MathBuilder::u64(uint64_t v) const {
  Expr c = UIntImm::make(common::UInt(64), v);
  return lanes_ > 1 ? Broadcast::make(c, lanes_) : c;
}

Expr float_const(Type t, double v) {
  return make_const(t, t.bits() == 32 ? static_cast<double>(static_cast<float>(v)) : v);
}

Expr horner(const Expr& x, std::initializer_list<double> c) {
  Expr acc;
  for (double v : c) {
    Expr k = float_const(x.type(), v);
    acc = acc.defined() ? acc * x + k : k;
  }
  return acc;
}

Expr neg(const Expr& x) { return x * float_const(x.type(), -1.0); }
Expr is_nan(const Expr& x) { return make_intrinsic("isnan", {x}); }
Expr sign_bit(const Expr& x) {
  Type bits = common::Int(x.type().bits(), x.type().lanes());
  return make_reinterpret(bits, x) < make_zero(bits);
}
Expr abs_of(const Expr& x) { return make_intrinsic("abs", {x}); }
Expr min_or_nan(const Expr& x, const Expr& hi) { return select(hi < x, hi, x); }
Expr round_even(const Expr& x) { return make_intrinsic("round", {x}); }
Expr floor_of(const Expr& x) { return make_intrinsic("floor", {x}); }
Expr float_inf(Type t) { return make_const(t, std::numeric_limits<double>::infinity()); }
Expr float_nan(Type t) { return make_const(t, std::numeric_limits<double>::quiet_NaN()); }

Expr pow2i_f32(MathBuilder& b, const Expr& n) {
  // The biased exponent n + 127 in bits 23..30; the multiplication is a shift.
  return make_reinterpret(b.f32(), (cast(b.i32(), n) + b.i32(127)) * b.i32(1 << 23));
}

Expr ldexp_f32(MathBuilder& b, const Expr& y, const Expr& n) {
  Expr h = b.let(floor_of(n * b.f(0.5)), "h");
  return y * pow2i_f32(b, h) * pow2i_f32(b, n - h);
}

Expr pow2i_f64(MathBuilder& b, const Expr& n) {
  return make_reinterpret(b.f64(), (cast(b.i64(), n) + b.i64(1023)) * b.i64(int64_t{1} << 52));
}

namespace {

struct Rule {
  const char* name;
  Approximation build;
};

constexpr Rule kRules[] = {
    {"exp", approx_exp},     {"exp2", approx_exp2}, {"expm1", approx_expm1},
    {"log", approx_log},     {"log2", approx_log2}, {"log10", approx_log10},
    {"log1p", approx_log1p}, {"tanh", approx_tanh}, {"sigmoid", approx_sigmoid},
    {"erf", approx_erf},     {"pow", approx_pow},   {"sin", approx_sin},
    {"cos", approx_cos},
};

const Rule* find_rule(const std::string& name) {
  for (const Rule& r : kRules) {
    if (name == r.name) return &r;
  }
  return nullptr;
}

class MathLowering : public IRMutator {
 protected:
  Expr mutate_Call(const Call* op) override {
    Expr e = IRMutator::mutate_Call(op);
    const auto* call = e.as<Call>();
    if (call->call_kind != Call::Kind::kIntrinsic) return e;
    const Rule* rule = find_rule(call->name);
    if (!rule || call->type.element_of() != common::Float(32)) return e;
    MathBuilder b(call->type.lanes());
    std::vector<Expr> args;
    for (const Expr& a : call->args) args.push_back(b.let(a, "x"));
    return b.finish(rule->build(b, args));
  }
};

}  // namespace
}  // namespace math_detail

Stmt lower_math_approximations(const Stmt& s) { return math_detail::MathLowering().mutate(s); }
Expr lower_math_approximations(const Expr& e) { return math_detail::MathLowering().mutate(e); }

std::vector<std::string> approximated_intrinsics() {
  std::vector<std::string> names;
  for (const auto& r : math_detail::kRules) names.emplace_back(r.name);
  return names;
}

}  // namespace cinn::ir
