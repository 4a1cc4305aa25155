// log, log2, log10 and log1p in float32 (after Cephes logf; S. L. Moshier 1984-92).
//
// x = 2^e (1 + f) with 1 + f in [sqrt(1/2), sqrt(2)), log(1 + f) = f - f^2/2 + f^3 P(f) with P
// of degree 8 (Cephes: peak relative error 7.6e-8), and e log_b(2) added last: for log with
// ln 2 split in two so that the large term e*hi is exact, for log2 and log10 in float64.
#include <limits>

#include "cinn/ir/intrinsics.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/lower_math_internal.h"

namespace cinn::ir::math_detail {
namespace {

constexpr double kLn2Hi = 0.693359375;  // 9 significant bits: e * kLn2Hi is exact
constexpr double kLn2Lo = -2.12194440e-4;
constexpr double kSqrt2 = 1.41421356237309504880;

// log_b(x) for x > 0 given log_b computed on positive finite x; the special values of C99:
// log(+-0) = -inf, log(x < 0) = NaN, log(inf) = inf, log(NaN) = NaN.
Expr log_specials(MathBuilder& b, const Expr& x, const Expr& finite) {
  Expr y = select(x > b.f(0.0), finite, float_nan(b.f32()));
  y = select(x == b.f(0.0), neg(float_inf(b.f32())), y);
  return select(x == float_inf(b.f32()), x, y);
}

// log_b(x) = e log_b(2) + (f + y) log_b(e), y = log(1 + f) - f, with the last products and
// sums in float64 and one rounding: in float32 their roundings add up to 1.5-2 ulp without
// FMA contraction (Cephes' log2f and log10f split the constants to limit that).
Expr log_base(MathBuilder& b, const Expr& x, double log_b_2, double log_b_e) {
  LogReduction r = log_reduce_f32(b, x);
  Expr y = log_tail_f32(r.f, r.z) - r.z * b.f(0.5);
  Expr sum = cast(b.f64(), r.f) + cast(b.f64(), y);  // exact unless |y| < 2^-29 |f|
  Expr v = cast(b.f64(), r.e) * b.d(log_b_2) + sum * b.d(log_b_e);
  return log_specials(b, x, cast(b.f32(), v));
}

}  // namespace

// The exponent comes from the exponent field of x*sqrt(2), and 1 + f from x's bits with e
// taken off the exponent field, so no comparison with sqrt(1/2) is needed. Subnormal x is
// scaled by 2^25 first. For x*sqrt(2) >= 2^128 (inf), the field still reads e = 128.
LogReduction log_reduce_f32(MathBuilder& b, const Expr& x) {
  Expr tiny = b.let(x < b.f(std::numeric_limits<float>::min()), "tiny");
  Expr xs = b.let(select(tiny, x * b.f(33554432.0), x), "xs");
  Expr field = make_reinterpret(b.u32(), xs * b.f(kSqrt2)) / b.u32(1u << 23);
  Expr ei = b.let(cast(b.i32(), field) - b.i32(127), "ei");
  Expr m = make_reinterpret(b.f32(), make_reinterpret(b.i32(), xs) - ei * b.i32(1 << 23));
  Expr f = b.let(m - b.f(1.0), "f");
  Expr e = b.let(cast(b.f32(), ei) - select(tiny, b.f(25.0), b.f(0.0)), "e");
  return {e, f, b.let(f * f, "z")};
}

Expr log_tail_f32(const Expr& f, const Expr& z) {
  return horner(f, {7.0376836292E-2, -1.1514610310E-1, 1.1676998740E-1, -1.2420140846E-1,
                    1.4249322787E-1, -1.6668057665E-1, 2.0000714765E-1, -2.4999993993E-1,
                    3.3333331174E-1}) *
         f * z;
}

// log(x) = f + (f^3 P(f) - f^2/2 + e lo) + e hi.
// Max error 1 ulp (measured 0.83); log(1) = +0.
Expr approx_log(MathBuilder& b, const std::vector<Expr>& args) {
  const Expr& x = args[0];
  LogReduction r = log_reduce_f32(b, x);
  Expr y = log_tail_f32(r.f, r.z) + r.e * b.f(kLn2Lo) - r.z * b.f(0.5);
  return log_specials(b, x, r.f + y + r.e * b.f(kLn2Hi));
}

// log2(x) = e + log(1 + f) log2(e). Max error 1 ulp (measured 0.91); exact for powers of two.
Expr approx_log2(MathBuilder& b, const std::vector<Expr>& args) {
  return log_base(b, args[0], 1.0, 1.44269504088896340736);
}

// log10(x) = e log10(2) + log(1 + f) log10(e). Max error 1 ulp (measured 0.79).
Expr approx_log10(MathBuilder& b, const std::vector<Expr>& args) {
  return log_base(b, args[0], 0.30102999566398119521, 0.43429448190325182765);
}

// log1p(x) = log(u) + c/u, u = 1 + x rounded and c = (1 + x) - u its exact rounding error
// (Fast2Sum, Dekker 1971); log(u) as in log. Near 0, u = 1 and the result is c = x.
// Max error 1 ulp (measured 0.90). log1p(-1) = -inf, x < -1 -> NaN, log1p(-0) = -0.
Expr approx_log1p(MathBuilder& b, const std::vector<Expr>& args) {
  const Expr& x = args[0];
  Expr one = b.f(1.0);
  Expr u = b.let(x + one, "u");
  // Fast2Sum needs the larger operand first.
  Expr c = b.let(select(x < one, x - (u - one), one - (u - x)), "c");
  LogReduction r = log_reduce_f32(b, u);
  Expr y = log_tail_f32(r.f, r.z) + r.e * b.f(kLn2Lo) - r.z * b.f(0.5) + c / u;
  Expr v = r.f + y + r.e * b.f(kLn2Hi);
  v = select(x > b.f(-1.0), v, float_nan(b.f32()));
  v = select(x == b.f(-1.0), neg(float_inf(b.f32())), v);
  return select(x == b.f(0.0) || x == float_inf(b.f32()), x, v);
}

}  // namespace cinn::ir::math_detail
