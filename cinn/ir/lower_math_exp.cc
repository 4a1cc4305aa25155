// exp, exp2 and expm1 in float32.
//
// All three reduce x to 2^n * e^r (or 2^r) with |r| <= ln2/2 and scale by 2^n in the
// exponent field (ldexp_f32), which rounds once, also when the result is subnormal.
#include "cinn/ir/intrinsics.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/lower_math_internal.h"

namespace cinn::ir::math_detail {
namespace {

constexpr double kLog2e = 1.44269504088896340736;
// Cody-Waite split of ln 2: kLn2Hi has 9 significant bits, so n * kLn2Hi is exact for
// |n| < 2^15, and kLn2Hi + kLn2Lo = ln 2 to about 2^-33.
constexpr double kLn2Hi = 0.693359375;
constexpr double kLn2Lo = -2.12194440e-4;

struct ExpReduction {
  Expr n, r;
};

// n = round(x log2 e), r = x - n ln 2 with |r| <= ln2/2 (plus rounding).
ExpReduction exp_reduce(MathBuilder& b, const Expr& x) {
  Expr n = b.let(round_even(x * b.f(kLog2e)), "k");
  Expr r = b.let(x - n * b.f(kLn2Hi) - n * b.f(kLn2Lo), "r");
  return {n, r};
}

// e^r - 1 - r = r^2 P(r) on |r| <= ln2/2, Cephes expf (S. L. Moshier, 1992): peak relative
// error of e^r 7.6e-8 on [-0.5, 0.5].
Expr exp_tail(const Expr& r, const Expr& r2) {
  return horner(r, {1.9875691500E-4, 1.3981999507E-3, 8.3334519073E-3, 4.1665795894E-2,
                    1.6666665459E-1, 5.0000001201E-1}) *
         r2;
}

}  // namespace

// exp(x) = 2^n e^r, e^r = 1 + r + r^2 P(r) (Cephes expf).
// Max error 1.5 ulp (measured 1.01; the measurements: docs/math.md). x > 88.73 -> inf,
// x < -103.97 -> 0, results below 2^-126 are correctly scaled subnormals; exp(-0) = 1.
Expr exp_f32(MathBuilder& b, const Expr& arg) {
  Expr x = b.let(arg, "x");
  // Outside [-104, 89] e^x rounds to 0 or inf anyway. The clamp keeps n in [-150, 129] (and
  // the float-to-int conversions defined); the last product of ldexp_f32 then over- or
  // underflows by itself. Min/Max return the non-NaN operand, hence the final select.
  Expr xc = b.let(min(max(x, b.f(-104.0)), b.f(89.0)), "xc");
  ExpReduction red = exp_reduce(b, xc);
  Expr r2 = b.let(red.r * red.r, "r2");
  Expr y = b.let(exp_tail(red.r, r2) + red.r + b.f(1.0), "y");
  return select(is_nan(x), x, ldexp_f32(b, y, red.n));
}

// e^v 2^s, for v and s such that 2^(n + s) is normal (n = round(v log2 e)): with s = 0, v in
// [-87, 88]; the caller may scale by 2^-s afterwards (one rounding, also to a subnormal).
// n + s + 127 comes from adding 1.5 * 2^23 + s + 127, which leaves it in the low mantissa
// bits; shifted up 23 places they are the exponent field of 2^(n + s) (the rest shifts out).
// r as in exp, e^r = 1 + r P(r), P of degree 5: minimax for the relative error on
// |r| <= ln2/2, 2e-9 (scripts/fit_math.py). No clamping, no special cases: NaN gives NaN (the
// bits of a NaN n make some scale, which the NaN polynomial turns into NaN).
Expr exp_moderate_f32(MathBuilder& b, const Expr& v, int s) {
  const double shifter = 12582912.0 + 127.0 + s;  // 1.5 * 2^23 + the exponent bias + s
  Expr nb = b.let(v * b.f(kLog2e) + b.f(shifter), "nb");
  Expr n = b.let(nb - b.f(shifter), "k");
  Expr r = b.let(v - n * b.f(kLn2Hi) - n * b.f(kLn2Lo), "r");
  Expr p = horner(r, {1.3843619963154197e-3, 8.374185301363468e-3, 4.166800528764725e-2,
                      0.16666430234909058, 0.4999999403953552, 1.0});
  Expr scale = make_reinterpret(b.f32(), make_reinterpret(b.u32(), nb) * b.u32(1u << 23));
  return (p * r + b.f(1.0)) * scale;
}

Expr approx_exp(MathBuilder& b, const std::vector<Expr>& args) { return exp_f32(b, args[0]); }

// exp2(x) = 2^n 2^r with n = round(x), r = x - n exact, |r| <= 1/2, and
// 2^r = 1 + r P(r), P of degree 5: minimax for the relative error on [-1/2, 1/2], 2e-9
// (scripts/fit_math.py).
// Max error 1.5 ulp (measured 1.20). x >= 128 -> inf, x <= -150 -> 0 (2^-150 ties to even).
Expr approx_exp2(MathBuilder& b, const std::vector<Expr>& args) {
  const Expr& x = args[0];
  Expr xc = b.let(min(max(x, b.f(-151.0)), b.f(129.0)), "xc");
  Expr n = b.let(round_even(xc), "k");
  Expr r = b.let(xc - n, "r");
  Expr p = horner(r, {1.5353361959569156e-4, 1.3398875016719103e-3, 9.61843691766262e-3,
                      5.5503323674201965e-2, 0.24022647738456726, 0.6931471824645996});
  Expr y = b.let(p * r + b.f(1.0), "y");
  return select(is_nan(x), x, ldexp_f32(b, y, n));
}

// expm1(x) = 2^n (e^r - 1) + (2^n - 1), n and r as in exp, e^r - 1 = r + r^2 P(r) with
// exp's polynomial: accurate near 0, where e^x - 1 would cancel. 2^n - 1 is exact for
// |n| <= 24; for n > 24 the -1 is below half an ulp and the result is 2^n e^r, scaled as in
// exp. Max error 2 ulp (measured 1.56). x > 88.73 -> inf, x < -17.33 -> -1, expm1(-0) = -0.
Expr approx_expm1(MathBuilder& b, const std::vector<Expr>& args) {
  const Expr& x = args[0];
  // Below -30, e^x - 1 rounds to -1; the clamp keeps n in [-44, 129].
  Expr xc = b.let(min(max(x, b.f(-30.0)), b.f(89.0)), "xc");
  ExpReduction red = exp_reduce(b, xc);
  Expr r2 = b.let(red.r * red.r, "r2");
  Expr em1 = b.let(exp_tail(red.r, r2) + red.r, "em1");
  Expr s = b.let(pow2i_f32(b, min(red.n, b.f(24.0))), "s");
  Expr moderate = s * em1 + (s - b.f(1.0));
  Expr large = ldexp_f32(b, em1 + b.f(1.0), red.n);
  Expr y = select(red.n > b.f(24.0), large, moderate);
  // x = +-0 keeps its sign (the polynomial would give +0).
  return select(is_nan(x) || x == b.f(0.0), x, y);
}

}  // namespace cinn::ir::math_detail
