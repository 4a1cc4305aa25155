// The float32 math approximations (ir/lower_math.h) through the C backend: the pass's output,
// reinterpret included, prints as C99 that compiles warning-free, and the C compiler's code
// meets the accuracy bounds of docs/math.md, measured here against libm in double.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "cinn/backends/c/codegen_c.h"
#include "cinn/ir/intrinsics.h"
#include "cinn/ir/lower_math.h"
#include "tests/cpp/backends/c_test_util.h"

namespace cinn::backends::c {
namespace {

using namespace test_util;  // NOLINT(build/namespaces)

// |got - exact| in float32 ulps at `exact`; an exact value beyond the float32 range must
// give the inf it rounds to, a NaN must give NaN.
double ulp_error(float got, double exact) {
  if (std::isnan(exact)) return std::isnan(got) ? 0 : INFINITY;
  float r = static_cast<float>(exact);
  if (std::isinf(r) || !std::isfinite(got)) return got == r ? 0 : INFINITY;
  int e = 0;
  std::frexp(r, &e);  // |r| in [2^(e-1), 2^e)
  double ulp = r == 0 ? std::ldexp(1.0, -149) : std::ldexp(1.0, std::max(e, -125) - 24);
  return std::fabs(got - exact) / ulp;
}

struct Case {
  const char* name;
  double (*exact)(double);
  float lo, hi;
  double bound;  // docs/math.md
};

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

TEST(CBackend, MathApproximationsMatchLibm) {
  const Case cases[] = {
      {"exp", [](double x) { return std::exp(x); }, -100, 100, 1.5},
      {"exp2", [](double x) { return std::exp2(x); }, -155, 130, 1.5},
      {"expm1", [](double x) { return std::expm1(x); }, -20, 89, 2},
      {"log", [](double x) { return std::log(x); }, 0, 1e4, 1},
      {"log2", [](double x) { return std::log2(x); }, 0, 1e4, 1},
      {"log10", [](double x) { return std::log10(x); }, 0, 1e4, 1},
      {"log1p", [](double x) { return std::log1p(x); }, -1, 10, 1},
      {"tanh", [](double x) { return std::tanh(x); }, -10, 10, 1.5},
      {"sigmoid", sigmoid, -100, 100, 2.5},
      {"erf", [](double x) { return std::erf(x); }, -5, 5, 1.5},
      {"sin", [](double x) { return std::sin(x); }, -1e4, 1e4, 1},
      {"cos", [](double x) { return std::cos(x); }, -1e4, 1e4, 1},
  };
  const float specials[] = {0.0f,    -0.0f, INFINITY, -INFINITY, NAN,   1e-40f,
                            -1e-40f, 3e38f, -3e38f,   1.0f,      -1.0f, 0.5f};
  Expr n = Var::make("n");
  Expr i = Var::make("i");
  for (const Case& c : cases) {
    Buffer a = Buffer::make("A", Float(32), {n}), b = Buffer::make("B", Float(32), {n});
    Stmt body = loop(i, Expr(0), n, store(b, ir::make_intrinsic(c.name, {load(a, {i})}), {i}));
    LoweredFunc f = LoweredFunc::make(std::string("m_") + c.name, {{a, kIn}, {b, kOut}}, {n}, {},
                                      ir::lower_math_approximations(body));
    std::unique_ptr<CompiledC> so;
    Kernel k = compile(f, &so);
    std::vector<float> x = random_floats(20000, c.lo, c.hi, 7);
    x.insert(x.end(), std::begin(specials), std::end(specials));
    std::vector<float> y(x.size());
    void* args[] = {x.data(), y.data()};
    const int64_t len = static_cast<int64_t>(x.size());
    k(args, &len);
    double worst = 0;
    for (size_t j = 0; j < x.size(); ++j) {
      double err = ulp_error(y[j], c.exact(x[j]));
      worst = std::max(worst, err);
      ASSERT_LE(err, c.bound) << c.name << "(" << x[j] << ") = " << y[j] << ", exact "
                              << c.exact(x[j]);
      if (c.exact(x[j]) == 0) {
        EXPECT_EQ(std::signbit(y[j]), std::signbit(c.exact(x[j]))) << c.name << "(" << x[j] << ")";
      }
    }
    EXPECT_GT(worst, 0) << c.name;  // the test saw rounding, so it compared real values
  }
}

TEST(CBackend, PowApproximationMatchesLibm) {
  Expr n = Var::make("n");
  Expr i = Var::make("i");
  Buffer x = Buffer::make("X", Float(32), {n}), y = Buffer::make("Y", Float(32), {n}),
         p = Buffer::make("P", Float(32), {n});
  Stmt body =
      loop(i, Expr(0), n, store(p, ir::make_intrinsic("pow", {load(x, {i}), load(y, {i})}), {i}));
  LoweredFunc f = LoweredFunc::make("m_pow", {{x, kIn}, {y, kIn}, {p, kOut}}, {n}, {},
                                    ir::lower_math_approximations(body));
  std::unique_ptr<CompiledC> so;
  Kernel k = compile(f, &so);
  std::vector<float> xs = random_floats(20000, 0, 10, 3), ys = random_floats(20000, -30, 30, 4);
  const float sp[] = {0.0f, -0.0f, 1.0f, -1.0f, -2.0f, 0.5f, 3.0f, -3.0f, INFINITY, -INFINITY, NAN};
  for (float u : sp) {
    for (float v : sp) {
      xs.push_back(u);
      ys.push_back(v);
    }
  }
  std::vector<float> ps(xs.size());
  void* args[] = {xs.data(), ys.data(), ps.data()};
  const int64_t len = static_cast<int64_t>(xs.size());
  k(args, &len);
  for (size_t j = 0; j < xs.size(); ++j) {
    double exact = std::pow(static_cast<double>(xs[j]), static_cast<double>(ys[j]));
    ASSERT_LE(ulp_error(ps[j], exact), 1.0) << "pow(" << xs[j] << ", " << ys[j] << ") = " << ps[j];
    if (exact == 0 || std::isinf(exact)) {
      EXPECT_EQ(std::signbit(ps[j]), std::signbit(exact))
          << "pow(" << xs[j] << ", " << ys[j] << ")";
    }
  }
}

}  // namespace
}  // namespace cinn::backends::c
