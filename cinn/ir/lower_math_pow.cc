// pow in float32, computed in float64.
//
// x^y = 2^(y log2 x) magnifies the absolute error of y log2 x (up to 150 for finite
// results) into the relative error of the result, so log2 x needs about 32 correct bits;
// float64 gives them without double-float tricks, at half the vector width.
#include "cinn/ir/intrinsics.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/lower_math_internal.h"

namespace cinn::ir::math_detail {
namespace {

constexpr double kSqrt2 = 1.41421356237309504880;
constexpr double kLog2e = 1.44269504088896340736;
constexpr double kLn2 = 0.69314718055994530942;

// log2(a) for a float32 value a > 0 held in a float64 (subnormal floats are normal
// doubles): a = 2^e m with m in [sqrt(1/2), sqrt(2)) (as in log_reduce_f32, on the float64
// fields), ln m = 2 atanh(s) = 2 (s + s^3/3 + ... + s^15/15), s = (m - 1)/(m + 1),
// |s| <= 0.1716: the series' remainder is below 2^-44 relative.
Expr log2_f64(MathBuilder& b, const Expr& a) {
  Expr field = make_reinterpret(b.u64(), a * b.d(kSqrt2)) / b.u64(uint64_t{1} << 52);
  Expr e = b.let(cast(b.i64(), field) - b.i64(1023), "e");
  Expr m = b.let(
      make_reinterpret(b.f64(), make_reinterpret(b.i64(), a) - e * b.i64(int64_t{1} << 52)), "m");
  Expr s = b.let((m - b.d(1.0)) / (m + b.d(1.0)), "s");
  Expr s2 = b.let(s * s, "s2");
  Expr series = horner(s2, {1.0 / 15, 1.0 / 13, 1.0 / 11, 1.0 / 9, 1.0 / 7, 1.0 / 5, 1.0 / 3, 1.0});
  return cast(b.f64(), e) + s * series * b.d(2 * kLog2e);
}

// 2^t for float64 t in [-200, 200]: n = round(t), 2^(t - n) = e^w with w = (t - n) ln2,
// |w| <= 0.347, by its Taylor series to w^10 (remainder below 2^-42).
Expr exp2_f64(MathBuilder& b, const Expr& t) {
  Expr n = b.let(round_even(t), "k");
  Expr w = b.let((t - n) * b.d(kLn2), "w");
  Expr p = horner(w, {1.0 / 3628800, 1.0 / 362880, 1.0 / 40320, 1.0 / 5040, 1.0 / 720, 1.0 / 120,
                      1.0 / 24, 1.0 / 6, 1.0 / 2, 1.0, 1.0});
  return p * pow2i_f64(b, n);
}

}  // namespace

// pow(x, y) = sign * 2^(y log2 |x|), in float64, rounded once to float32 at the end (which
// also over- and underflows correctly). Max error 1 ulp (0.5 ulp plus 2^-30 relative; measured
// 0.50).
// Special values as C99 Annex F and numpy: pow(x, +-0) = 1 and pow(1, y) = 1 even for NaN;
// pow(-1, +-inf) = 1; negative x: -|x|^y for odd integer y, NaN for finite non-integer y;
// pow(+-0, y) = +-0 or +-inf by the sign of y and whether y is an odd integer; pow(x, +-inf)
// = 0 or inf by |x| <> 1; pow(-inf, y) like pow(-0, -y).
Expr approx_pow(MathBuilder& b, const std::vector<Expr>& args) {
  const Expr& x = args[0];
  const Expr& y = args[1];
  Expr a = b.let(cast(b.f64(), abs_of(x)), "a");
  Expr yd = cast(b.f64(), y);
  // log2(0) = -inf and log2(inf) = inf (log2_f64 gives 1024, too small for subnormal y).
  // y * log2(a) may then be +-inf, or NaN for y = +-inf and a = 1; the clamp maps it to a
  // result that rounds to 0 or inf, and a = 1 is selected below.
  Expr inf = float_inf(b.f64());
  Expr l = select(a == b.d(0.0), neg(inf), select(a == inf, inf, log2_f64(b, a)));
  Expr t = b.let(min(max(yd * l, b.d(-200.0)), b.d(200.0)), "t");
  Expr mag = b.let(cast(b.f32(), exp2_f64(b, t)), "mag");
  mag = b.let(select(a == b.d(1.0), b.f(1.0), mag), "mag");

  Expr y_int = b.let(round_even(y) == y, "y_int");  // true for +-inf
  // Floats of magnitude >= 2^24 are even; below, y/2 is exact.
  Expr y_odd = b.let(
      y_int && abs_of(y) < b.f(16777216.0) && round_even(y * b.f(0.5)) != y * b.f(0.5), "y_odd");
  Expr negative = b.let(sign_bit(x), "negative");
  Expr r = select(negative && y_odd, neg(mag), mag);
  Expr finite_negative = x < b.f(0.0) && x != neg(float_inf(b.f32()));
  r = select(finite_negative && !y_int, float_nan(b.f32()), r);
  r = select(is_nan(x) || is_nan(y), float_nan(b.f32()), r);
  return select(y == b.f(0.0) || x == b.f(1.0), b.f(1.0), r);
}

}  // namespace cinn::ir::math_detail
