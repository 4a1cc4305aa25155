// Building blocks of the math approximations (lower_math.h), shared by lower_math_*.cc.
//
// Every helper builds IR for any number of lanes: the pass runs before vectorize_loops, so
// its input is usually scalar, but nothing here assumes it.
#pragma once

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "cinn/ir/ir.h"

namespace cinn::ir::math_detail {

// Names intermediate values. The IR is a tree: an Expr used twice is evaluated twice, so a
// value that several later steps use is bound with Let; finish() nests the bindings around
// the result.
class MathBuilder {
 public:
  explicit MathBuilder(int lanes) : lanes_(lanes) {}

  // Binds `value` to a fresh variable and returns the variable (immediates and variables
  // are returned as they are).
  Expr let(Expr value, const std::string& name = "t");
  // The bindings made so far, outermost first, around `body`.
  Expr finish(Expr body) const;

  // Working types and immediates with the argument's lanes. Float32 immediates are rounded
  // to float32 here, so that every backend sees the same constant.
  Type f32() const { return common::Float(32, lanes_); }
  Type f64() const { return common::Float(64, lanes_); }
  Type i32() const { return common::Int(32, lanes_); }
  Type u32() const { return common::UInt(32, lanes_); }
  Type i64() const { return common::Int(64, lanes_); }
  Type u64() const { return common::UInt(64, lanes_); }
  Expr f(double v) const;
  Expr d(double v) const;
  Expr i32(int64_t v) const;
  Expr u32(uint64_t v) const;
  Expr i64(int64_t v) const;
  Expr u64(uint64_t v) const;

 private:
  int lanes_;
  std::vector<std::pair<Expr, Expr>> bindings_;  // (var, value)
};

// An immediate of type t (float32 values rounded to float32).
Expr float_const(Type t, double v);
// c[0] x^n + c[1] x^(n-1) + ... + c[n], by Horner's rule.
Expr horner(const Expr& x, std::initializer_list<double> c);

// -x as x * -1, so that -(+0) is -0 (0 - x would give +0).
Expr neg(const Expr& x);
Expr is_nan(const Expr& x);
// The sign bit (also set for -0 and negative NaNs).
Expr sign_bit(const Expr& x);
Expr abs_of(const Expr& x);
// min(x, hi) that keeps a NaN x (IR Min, like C's fmin, returns the other operand): one
// x86 minps, where a NaN-aware min takes three instructions.
Expr min_or_nan(const Expr& x, const Expr& hi);
Expr round_even(const Expr& x);
Expr floor_of(const Expr& x);
Expr float_inf(Type t);
Expr float_nan(Type t);

// 2^n for an integer-valued float32 n in [-126, 127], built in the exponent field.
Expr pow2i_f32(MathBuilder& b, const Expr& n);
// y * 2^n for an integer-valued float32 n in [-252, 254], with one rounding: the two factors
// 2^floor(n/2) and 2^(n - floor(n/2)) are normal, so only the last product over- or
// underflows (ldexp without a loop).
Expr ldexp_f32(MathBuilder& b, const Expr& y, const Expr& n);
// 2^n for an integer-valued float64 n in [-1022, 1023].
Expr pow2i_f64(MathBuilder& b, const Expr& n);

// e^x for every float32 x (lower_math_exp.cc); the other functions build on it.
Expr exp_f32(MathBuilder& b, const Expr& x);
// e^v 2^s where that and 2^round(v log2 e + s) are normal (s = 0: v in [-87, 88]); no
// clamps or special cases, about half the cost of exp_f32 (lower_math_exp.cc).
Expr exp_moderate_f32(MathBuilder& b, const Expr& v, int s = 0);

// x = 2^e (1 + f) with 1 + f in [sqrt(1/2), sqrt(2)), for positive finite float32 x; z = f^2.
struct LogReduction {
  Expr e, f, z;
};
LogReduction log_reduce_f32(MathBuilder& b, const Expr& x);
// Cephes' log(1 + f) - f + f^2/2 = f^3 P(f) (lower_math_log.cc).
Expr log_tail_f32(const Expr& f, const Expr& z);

// The approximations; args are bound already (variables or immediates).
using Approximation = Expr (*)(MathBuilder& b, const std::vector<Expr>& args);
Expr approx_exp(MathBuilder& b, const std::vector<Expr>& args);
Expr approx_exp2(MathBuilder& b, const std::vector<Expr>& args);
Expr approx_expm1(MathBuilder& b, const std::vector<Expr>& args);
Expr approx_log(MathBuilder& b, const std::vector<Expr>& args);
Expr approx_log2(MathBuilder& b, const std::vector<Expr>& args);
Expr approx_log10(MathBuilder& b, const std::vector<Expr>& args);
Expr approx_log1p(MathBuilder& b, const std::vector<Expr>& args);
Expr approx_tanh(MathBuilder& b, const std::vector<Expr>& args);
Expr approx_sigmoid(MathBuilder& b, const std::vector<Expr>& args);
Expr approx_erf(MathBuilder& b, const std::vector<Expr>& args);
Expr approx_pow(MathBuilder& b, const std::vector<Expr>& args);
Expr approx_sin(MathBuilder& b, const std::vector<Expr>& args);
Expr approx_cos(MathBuilder& b, const std::vector<Expr>& args);

}  // namespace cinn::ir::math_detail
