// sin and cos in float32, computed in float64, exact range reduction over the whole range.
//
// Reduction (Payne-Hanek without a table): |x| 2/pi is needed modulo 4 with about 60 fraction
// bits, for |x| up to 2^128. 2/pi is split into seven 28-bit chunks C_j; a float32 has 24
// significant bits, so every product p_j = |x| C_j is exact in float64, and so is
// p_j mod 4. Counted in units of 2^-24, each p_j mod 4 = n_j + l_j with n_j = round(.) an
// integer below 2^26 and |l_j| <= 1/2: the n_j add up exactly, the l_j are small, so the
// fraction F = sum - k (k = round(sum), k mod 4 the quadrant) loses nothing to cancellation:
// its absolute error is below 2^-64 even when |F| is tiny (float32 inputs come within about
// 2^-30 of multiples of pi/2). sin r and cos r, r = F pi/2 in [-pi/4, pi/4], are Taylor
// polynomials in float64 (to r^11 and r^12, remainders below 2^-36 relative), rounded once to
// float32 at the end.
#include <cmath>

#include "cinn/ir/ir_operators.h"
#include "cinn/ir/lower_math_internal.h"

namespace cinn::ir::math_detail {
namespace {

// 2/pi = sum of kTwoOverPi[j] * 2^(-28 (j + 1)), each a 28-bit integer (the bits of 2/pi).
constexpr double kTwoOverPi[] = {0xa2f9836, 0xe4e4415, 0x29fc275, 0x7d1f534,
                                 0xddc0db6, 0x295993c, 0x439041f};
constexpr double kPiOver2 = 1.57079632679489661923;

struct TrigReduction {
  Expr r;    // |x| - k pi/2, float64, |r| <= pi/4 (plus 2^-20)
  Expr odd;  // k is odd
  Expr k2;   // bit 1 of k: k mod 4 is 2 or 3
};

TrigReduction trig_reduce(MathBuilder& b, const Expr& x) {
  constexpr double kUnit = 16777216.0;  // 2^24
  Expr a = b.let(cast(b.f64(), abs_of(x)), "a");
  Expr n_sum, l_sum;
  auto add = [](Expr* sum, const Expr& v) { *sum = sum->defined() ? *sum + v : v; };
  for (int j = 0; j < 7; ++j) {
    Expr p = b.let(a * b.d(std::ldexp(kTwoOverPi[j], 24 - 28 * (j + 1))), "p");
    if (j >= 5) {  // p < 2^10: no multiple of 4 (2^26 units) to drop, no integer part to split
      add(&l_sum, p);
      continue;
    }
    Expr m = b.let(p - floor_of(p * b.d(1 / (4 * kUnit))) * b.d(4 * kUnit), "m");  // p mod 2^26
    Expr n = b.let(round_even(m), "n");
    add(&n_sum, n);
    add(&l_sum, m - n);
  }
  Expr ns = b.let(n_sum, "ns"), ls = b.let(l_sum, "ls");
  Expr k = b.let(round_even((ns + ls) * b.d(1 / kUnit)), "k");
  Expr f = (ns - k * b.d(kUnit)) + ls;  // the exact integer part first
  Expr r = b.let(f * b.d(kPiOver2 / kUnit), "r");
  Expr q = b.let(k - floor_of(k * b.d(0.25)) * b.d(4.0), "q");  // k mod 4, as a double
  return {r, b.let(q == b.d(1.0) || q == b.d(3.0), "odd"), b.let(q >= b.d(2.0), "k2")};
}

Expr sin_poly(const Expr& r, const Expr& r2) {
  return r + r * r2 * horner(r2, {-1.0 / 39916800, 1.0 / 362880, -1.0 / 5040, 1.0 / 120, -1.0 / 6});
}

Expr cos_poly(MathBuilder& b, const Expr& r2) {
  return b.d(1.0) - r2 * b.d(0.5) +
         r2 * r2 * horner(r2, {1.0 / 479001600, -1.0 / 3628800, 1.0 / 40320, -1.0 / 720, 1.0 / 24});
}

}  // namespace

// sin(x) = sign(x) sin(|x|), sin(|x|) = (sin r, cos r, -sin r, -cos r)[k mod 4].
// Max error 1 ulp (0.5 ulp, the one rounding, plus about 2^-30 relative; measured 0.5001 over
// all inputs). sin(+-inf) = NaN, sin(-0) = -0.
Expr approx_sin(MathBuilder& b, const std::vector<Expr>& args) {
  const Expr& x = args[0];
  TrigReduction red = trig_reduce(b, x);
  Expr r2 = b.let(red.r * red.r, "r2");
  Expr v = b.let(select(red.odd, cos_poly(b, r2), sin_poly(red.r, r2)), "v");
  Expr flip = red.k2 != sign_bit(x);
  return cast(b.f32(), select(flip, neg(v), v));
}

// cos(x) = cos(|x|) = (cos r, -sin r, -cos r, sin r)[k mod 4]. Max error 1 ulp (measured
// 0.5001).
// cos(+-inf) = NaN.
Expr approx_cos(MathBuilder& b, const std::vector<Expr>& args) {
  const Expr& x = args[0];
  TrigReduction red = trig_reduce(b, x);
  Expr r2 = b.let(red.r * red.r, "r2");
  Expr v = b.let(select(red.odd, sin_poly(red.r, r2), cos_poly(b, r2)), "v");
  Expr flip = red.k2 != red.odd;  // k mod 4 is 1 or 2
  return cast(b.f32(), select(flip, neg(v), v));
}

}  // namespace cinn::ir::math_detail
