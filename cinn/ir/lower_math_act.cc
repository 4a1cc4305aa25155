// tanh, sigmoid and erf in float32: the activation functions, built on the exponentials of
// lower_math_exp.cc.
//
// Each evaluates every branch and selects (the lanes of a vector disagree on the branch).
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/lower_math_internal.h"

namespace cinn::ir::math_detail {

// tanh(x) = sign(x) t(|x|), a = |x|:
//   a < 0.625: t = a + a z P(z), z = a^2, P of degree 4 (Cephes tanhf, S. L. Moshier:
//              relative error 1.3e-7);
//   otherwise: t = 1 - 2 / (e + 1), e = e^(2 min(a, 9.5)) by exp_moderate_f32 (half the
//              cost of exp_f32). A relative error d of e moves t by 2e d / (e + 1)^2 <= 0.35 d.
//              Beyond a = 9.01 tanh rounds to 1, and so does t(9.5) = 1 - 1.1e-8.
// Max error 1.5 ulp (measured 1.35). tanh(+-inf) = +-1, tanh(-0) = -0; a NaN passes the
// clamp and gives NaN.
Expr approx_tanh(MathBuilder& b, const std::vector<Expr>& args) {
  const Expr& x = args[0];
  Expr a = b.let(abs_of(x), "a");
  Expr z = b.let(a * a, "z");
  Expr small = horner(z, {-5.70498872745E-3, 2.06390887954E-2, -5.37397155531E-2, 1.33314422036E-1,
                          -3.33332819422E-1}) *
                   z * a +
               a;
  Expr m = b.let(min_or_nan(a, b.f(9.5)), "m");
  Expr e = b.let(exp_moderate_f32(b, m + m), "e");
  Expr large = b.f(1.0) - b.f(2.0) / (e + b.f(1.0));
  Expr t = b.let(select(a < b.f(0.625), small, large), "t");
  return select(sign_bit(x), neg(t), t);
}

// sigmoid(x) = 1 / (1 + e^-x) for x >= 0 and e^x / (1 + e^x) for x < 0: the exponential is
// always e = e^-|x| <= 1, so nothing overflows and sigmoid(-100) = 3.7e-44 (a subnormal), not 0.
// e = (e^-w 2^64) 2^-64, w = min(|x|, 104) (e^-104 rounds to 0): the first factor is normal,
// the last product rounds once. Max error 2.5 ulp (measured 2.40, 2.46 without FMA: exp's error
// doubles where e^x has a mantissa near 1 and the result one near 2). sigmoid(inf) = 1,
// sigmoid(-inf) = 0.
Expr approx_sigmoid(MathBuilder& b, const std::vector<Expr>& args) {
  const Expr& x = args[0];
  Expr w = min_or_nan(abs_of(x), b.f(104.0));
  Expr e = b.let(exp_moderate_f32(b, neg(w), 64) * b.f(0x1p-64), "e");
  return select(x < b.f(0.0), e, b.f(1.0)) / (e + b.f(1.0));
}

// erf(x), after N. Juffa's erff (two branches, the second through exp):
//   |x| <= 0.921875: erf(x) = x + x P(x^2), P of degree 6, minimax for the relative error
//                    (4e-10);
//   otherwise:       erf(|x|) = 1 - e^Q(a), Q of degree 6 in a = min(|x|, 4), minimax for
//                    erfc(a) * |Q(a) - log(erfc(a))| (1.5e-9), i.e. for the error of erf;
//                    erf(x) rounds to 1 beyond 3.92.
// Coefficients: scripts/fit_math.py. Max error 1.5 ulp (measured 1.30). erf(+-inf) = +-1,
// erf(-0) = -0.
Expr approx_erf(MathBuilder& b, const std::vector<Expr>& args) {
  const Expr& x = args[0];
  Expr a = b.let(abs_of(x), "a");
  Expr s = x * x;
  Expr small = x + x * horner(s, {8.370119758183137e-05, -0.0008142709848470986,
                                  0.005201032850891352, -0.026859398931264877, 0.11283695697784424,
                                  -0.37612634897232056, 0.12837916612625122});
  Expr t = b.let(min(a, b.f(4.0)), "t");
  Expr q = horner(
      t, {0.00019473378779366612, -0.0030315942130982876, 0.022181373089551926,
          -0.10383886098861694, -0.6372858285903931, -1.1276154518127441, -0.00020992051577195525});
  Expr large = b.let(b.f(1.0) - exp_f32(b, b.let(q, "q")), "large");
  Expr y = select(a <= b.f(0.921875), small, select(sign_bit(x), neg(large), large));
  return select(is_nan(x), x, y);
}

}  // namespace cinn::ir::math_detail
