// The C backend on scalar semantics: integer wrapping, selects and lets, bool buffers,
// intrinsics, literals, and what it rejects. Kernels are compiled and run as in
// c_codegen_test.cc; tolerances are stated at each comparison.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cinn/backends/c/codegen_c.h"
#include "cinn/ir/intrinsics.h"
#include "tests/cpp/backends/c_test_util.h"

namespace cinn::backends::c {
namespace {

using namespace test_util;  // NOLINT(build/namespaces)

TEST(CBackend, NarrowIntegersWrapLikeTheIR) {
  // int8: S = A + B, P = A * B, Q = A / B; uint8: U = C - D; uint16: M = E * F.
  Expr n = Var::make("n");
  auto buf = [&](const char* name, Type t) { return Buffer::make(name, t, {n}); };
  Buffer a = buf("A", Int(8)), b = buf("B", Int(8)), s = buf("S", Int(8)), p = buf("P", Int(8)),
         q = buf("Q", Int(8)), c = buf("C", UInt(8)), d = buf("D", UInt(8)), u = buf("U", UInt(8)),
         e = buf("E", UInt(16)), ff = buf("F", UInt(16)), m = buf("M", UInt(16));
  Expr i = Var::make("i");
  Stmt body = loop(i, Expr(0), n,
                   ir::Block::make({
                       store(s, load(a, {i}) + load(b, {i}), {i}),
                       store(p, load(a, {i}) * load(b, {i}), {i}),
                       store(q, load(a, {i}) / load(b, {i}), {i}),
                       store(u, load(c, {i}) - load(d, {i}), {i}),
                       store(m, load(e, {i}) * load(ff, {i}), {i}),
                   }));
  LoweredFunc f = LoweredFunc::make("narrow",
                                    {{a, kIn},
                                     {b, kIn},
                                     {s, kOut},
                                     {p, kOut},
                                     {q, kOut},
                                     {c, kIn},
                                     {d, kIn},
                                     {u, kOut},
                                     {e, kIn},
                                     {ff, kIn},
                                     {m, kOut}},
                                    {n}, {}, body);
  std::unique_ptr<CompiledC> so;
  Kernel k = compile(f, &so);

  const int64_t len = 4;
  std::vector<int8_t> av = {100, -128, -7, 5}, bv = {100, -1, 2, -3}, sv(len), pv(len), qv(len);
  std::vector<uint8_t> cv = {3, 200, 0, 255}, dv = {5, 100, 1, 255}, uv(len);
  std::vector<uint16_t> ev = {60000, 2, 65535, 300}, fv = {60000, 3, 65535, 300}, mv(len);
  void* args[] = {av.data(), bv.data(), sv.data(), pv.data(), qv.data(), cv.data(),
                  dv.data(), uv.data(), ev.data(), fv.data(), mv.data()};
  k(args, &len);
  for (int i2 = 0; i2 < len; ++i2) {
    EXPECT_EQ(sv[i2], static_cast<int8_t>(av[i2] + bv[i2])) << i2;
    EXPECT_EQ(pv[i2], static_cast<int8_t>(av[i2] * bv[i2])) << i2;
    EXPECT_EQ(qv[i2], static_cast<int8_t>(floordiv(av[i2], bv[i2]))) << i2;
    EXPECT_EQ(uv[i2], static_cast<uint8_t>(cv[i2] - dv[i2])) << i2;
    EXPECT_EQ(mv[i2], static_cast<uint16_t>(uint32_t{ev[i2]} * fv[i2])) << i2;
  }
  EXPECT_EQ(sv[0], -56);   // 200 wraps
  EXPECT_EQ(qv[1], -128);  // -128 / -1 wraps
  EXPECT_EQ(qv[2], -4);    // floor(-3.5)
  EXPECT_EQ(uv[0], 254);
}

TEST(CBackend, SelectsLetsMinMaxAndBoolBuffers) {
  Expr n = Var::make("n");
  Buffer x = Buffer::make("X", Float(32), {n});
  Buffer y = Buffer::make("Y", Float(32), {n});     // leaky relu
  Buffer mask = Buffer::make("Mask", Bool(), {n});  // X > 0.5
  Buffer z = Buffer::make("Z", Float(32), {n});     // Mask ? 1 : -1, read back from Mask
  Buffer w = Buffer::make("W", Float(32), {n});     // let t = 2X in t * t
  Buffer v = Buffer::make("V", Float(32), {n});     // X > 0 ? (let s = X + 1 in s * s) : 0
  Buffer u = Buffer::make("U", Float(32), {n});     // let u = X - 1 in u * u + u
  Buffer j = Buffer::make("J", Int(64), {n});
  Buffer cl = Buffer::make("Clamp", Int(64), {n});   // max(min(J, 10), -10)
  Buffer fm = Buffer::make("FMin", Float(32), {n});  // min(X, 0.25)
  Expr i = Var::make("i"), t = Var::make("t", Float(32)), s = Var::make("s", Float(32)),
       uu = Var::make("u", Float(32));
  Expr xi = load(x, {i});
  Stmt body =
      loop(i, Expr(0), n,
           ir::Block::make({
               store(y, ir::select(xi > 0.0f, xi, xi * 0.1f), {i}),
               store(mask, xi > 0.5f, {i}),
               store(z, ir::select(load(mask, {i}), Expr(1.0f), Expr(-1.0f)), {i}),
               ir::LetStmt::make(t, xi * 2.0f, store(w, t * t, {i})),
               store(v, ir::select(xi > 0.0f, ir::Let::make(s, xi + 1.0f, s * s), Expr(0.0f)), {i}),
               store(u, ir::Let::make(uu, xi - 1.0f, uu * uu + uu), {i}),
               store(cl, ir::max(ir::min(load(j, {i}), Expr(10)), Expr(-10)), {i}),
               store(fm, ir::min(xi, Expr(0.25f)), {i}),
           }));
  LoweredFunc f = LoweredFunc::make("selects",
                                    {{x, kIn},
                                     {y, kOut},
                                     {mask, kOut},
                                     {z, kOut},
                                     {w, kOut},
                                     {v, kOut},
                                     {u, kOut},
                                     {j, kIn},
                                     {cl, kOut},
                                     {fm, kOut}},
                                    {n}, {}, body);
  std::unique_ptr<CompiledC> so;
  Kernel k = compile(f, &so);

  const int64_t len = 300;
  std::vector<float> xv = random_floats(len, -2, 2, 7);
  std::vector<int64_t> jv(len), clv(len);
  std::mt19937 rng(8);
  std::uniform_int_distribution<int64_t> jd(-30, 30);
  for (int64_t& e : jv) e = jd(rng);
  std::vector<float> yv(len), zv(len), wv(len), vv(len), uv(len), fmv(len);
  std::vector<uint8_t> maskv(len, 7);
  void* args[] = {xv.data(), yv.data(), maskv.data(), zv.data(),  wv.data(),
                  vv.data(), uv.data(), jv.data(),    clv.data(), fmv.data()};
  k(args, &len);
  // The same float operations in the same order as here: bitwise equal.
  for (int64_t i2 = 0; i2 < len; ++i2) {
    float xf = xv[i2];
    ASSERT_EQ(yv[i2], xf > 0 ? xf : xf * 0.1f) << i2;
    ASSERT_EQ(maskv[i2], xf > 0.5f ? 1 : 0) << i2;
    ASSERT_EQ(zv[i2], xf > 0.5f ? 1.0f : -1.0f) << i2;
    ASSERT_EQ(wv[i2], (xf * 2.0f) * (xf * 2.0f)) << i2;
    ASSERT_EQ(vv[i2], xf > 0 ? (xf + 1.0f) * (xf + 1.0f) : 0.0f) << i2;
    float um = xf - 1.0f;
    ASSERT_EQ(uv[i2], um * um + um) << i2;
    ASSERT_EQ(clv[i2], std::max<int64_t>(std::min<int64_t>(jv[i2], 10), -10)) << i2;
    ASSERT_EQ(fmv[i2], std::fmin(xf, 0.25f)) << i2;
  }
}

TEST(CBackend, IntrinsicsMapToLibm) {
  // Y_name[i] = name(X[i]) for float32 intrinsics; also float64 exp, float32 pow and int64 abs.
  Expr n = Var::make("n");
  const std::vector<std::string> kUnary = {"exp", "sigmoid", "rsqrt", "tanh",
                                           "erf", "round",   "abs",   "floor"};
  Buffer x = Buffer::make("X", Float(32), {n});
  Buffer x64 = Buffer::make("X64", Float(64), {n});
  Buffer e64 = Buffer::make("Exp64", Float(64), {n});
  Buffer pw = Buffer::make("Pow", Float(32), {n});
  Buffer ia = Buffer::make("IA", Int(64), {n});
  Buffer iabs = Buffer::make("IAbs", Int(64), {n});
  std::vector<Argument> args = {{x, kIn},   {x64, kIn}, {e64, kOut},
                                {pw, kOut}, {ia, kIn},  {iabs, kOut}};
  Expr i = Var::make("i");
  std::vector<Stmt> stmts;
  for (const std::string& name : kUnary) {
    Buffer out = Buffer::make("Y_" + name, Float(32), {n});
    args.push_back({out, kOut});
    stmts.push_back(store(out, call(Float(32), name, {load(x, {i})}), {i}));
  }
  stmts.push_back(store(e64, call(Float(64), "exp", {load(x64, {i})}), {i}));
  stmts.push_back(
      store(pw, call(Float(32), "pow", {call(Float(32), "abs", {load(x, {i})}), Expr(1.5f)}), {i}));
  stmts.push_back(store(iabs, call(Int(64), "abs", {load(ia, {i})}), {i}));
  LoweredFunc f =
      LoweredFunc::make("intrinsics", args, {n}, {}, loop(i, Expr(0), n, ir::Block::make(stmts)));
  std::unique_ptr<CompiledC> so;
  Kernel k = compile(f, &so);

  std::vector<float> xv = random_floats(64, -4, 4, 9);
  // Ties of round: numpy rounds half to even (2.5 -> 2, -0.5 -> -0, -2.5 -> -2).
  const float kTies[] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f};
  std::copy(std::begin(kTies), std::end(kTies), xv.begin());
  const int64_t len = static_cast<int64_t>(xv.size());
  std::vector<double> x64v(len), e64v(len);
  for (int64_t j = 0; j < len; ++j) x64v[j] = 3.0 * xv[j];
  std::vector<int64_t> iav = {std::numeric_limits<int64_t>::min(), -5, 0, 7};
  iav.resize(len, -3);
  std::vector<int64_t> iabsv(len);
  std::vector<float> pwv(len);
  std::vector<std::vector<float>> ys(kUnary.size(), std::vector<float>(len));
  std::vector<void*> ptrs = {xv.data(),  x64v.data(), e64v.data(),
                             pwv.data(), iav.data(),  iabsv.data()};
  for (auto& y : ys) ptrs.push_back(y.data());
  k(ptrs.data(), &len);

  auto ref = [](const std::string& name, float v) -> float {
    if (name == "exp") return std::exp(v);
    if (name == "sigmoid") return 1.0f / (1.0f + std::exp(-v));
    if (name == "rsqrt") return 1.0f / std::sqrt(v);
    if (name == "tanh") return std::tanh(v);
    if (name == "erf") return std::erf(v);
    if (name == "round") return std::nearbyint(v);
    if (name == "abs") return std::fabs(v);
    return std::floor(v);
  };
  for (size_t fn = 0; fn < kUnary.size(); ++fn) {
    for (int64_t j = 0; j < len; ++j) {
      float want = ref(kUnary[fn], xv[j]);
      float got = ys[fn][j];
      if (std::isnan(want)) {  // rsqrt of a negative number
        EXPECT_TRUE(std::isnan(got)) << kUnary[fn] << "(" << xv[j] << ")";
        continue;
      }
      // The same libm functions: equal up to 2 ulp-ish relative error (1e-6).
      EXPECT_NEAR(got, want, 1e-6f * std::fabs(want) + 1e-30f) << kUnary[fn] << "(" << xv[j] << ")";
    }
  }
  const float kRounded[] = {0.0f, 2.0f, 2.0f, -0.0f, -2.0f, -2.0f};
  for (int j = 0; j < 6; ++j) EXPECT_EQ(ys[5][j], kRounded[j]) << "round(" << kTies[j] << ")";
  EXPECT_TRUE(std::signbit(ys[5][3])) << "round(-0.5) is -0";
  for (int64_t j = 0; j < len; ++j) {
    EXPECT_NEAR(e64v[j], std::exp(x64v[j]), 1e-14 * std::exp(x64v[j]));
    EXPECT_NEAR(pwv[j], std::pow(std::fabs(xv[j]), 1.5f), 1e-6f * std::pow(std::fabs(xv[j]), 1.5f));
  }
  EXPECT_EQ(iabsv[0], std::numeric_limits<int64_t>::min());  // |INT64_MIN| wraps
  EXPECT_EQ(iabsv[1], 5);
  EXPECT_EQ(iabsv[3], 7);
  EXPECT_EQ(iabsv[4], 3);
}

TEST(CBackend, LiteralsKeepTheirValuesAndTypes) {
  Expr n = Var::make("n");
  Buffer i64 = Buffer::make("I64", Int(64), {Expr(6)});
  Buffer u64 = Buffer::make("U64", UInt(64), {Expr(1)});
  Buffer f64 = Buffer::make("F64", Float(64), {Expr(2)});
  Buffer f32 = Buffer::make("F32", Float(32), {Expr(3)});
  Buffer b = Buffer::make("B", Bool(), {Expr(2)});
  Buffer t = Buffer::make("T", Float(32), {Expr(2)}, ir::MemoryScope::kLocal);
  auto i64c = [](int64_t v) { return ir::IntImm::make(Int(64), v); };
  const double kInf = std::numeric_limits<double>::infinity();
  Stmt body = ir::Block::make({
      // Two literals that C would multiply as int.
      store(i64, ir::Mul::make(i64c(3000000), i64c(3000000)), {Expr(0)}),
      store(i64, i64c(std::numeric_limits<int64_t>::min()), {Expr(1)}),
      store(i64, i64c(5000000000000), {Expr(2)}),
      store(i64, ir::Sub::make(n, i64c(-5)), {Expr(3)}),
      store(i64, ir::Mul::make(ir::select(n > 3, i64c(2000000000), i64c(7)), i64c(2000000000)),
            {Expr(4)}),
      store(i64, ir::Cast::make(Int(64), ir::IntImm::make(Int(32), -2147483648LL)), {Expr(5)}),
      store(u64, ir::UIntImm::make(UInt(64), 18446744073709551615ULL), {Expr(0)}),
      store(f64, Expr(0.1), {Expr(0)}),
      store(f64, Expr(1e300) * 10.0, {Expr(1)}),
      store(f32, ir::FloatImm::make(Float(32), kInf), {Expr(0)}),
      store(f32, ir::FloatImm::make(Float(32), -kInf), {Expr(1)}),
      store(f32, Expr(0.1f), {Expr(2)}),
      store(b,
            ir::make_intrinsic(
                "isnan", {ir::FloatImm::make(Float(32), std::numeric_limits<double>::quiet_NaN())}),
            {Expr(0)}),
      store(b, ir::Cast::make(Bool(), Expr(0.5f)), {Expr(1)}),
      // A local buffer that is only written: still compiles without warnings.
      ir::Allocate::make(t),
      store(t, Expr(1.0f), {Expr(0)}),
      ir::Free::make(t),
  });
  LoweredFunc f = LoweredFunc::make(
      "literals", {{i64, kOut}, {u64, kOut}, {f64, kOut}, {f32, kOut}, {b, kOut}}, {n}, {}, body);
  std::string src = codegen_c(f);
  EXPECT_NE(src.find("0.1f"), std::string::npos) << "shortest round-trip form\n" << src;
  std::unique_ptr<CompiledC> so;
  Kernel k = compile(f, &so);
  std::vector<int64_t> iv(6);
  std::vector<uint64_t> uv(1);
  std::vector<double> dv(2);
  std::vector<float> fv(3);
  std::vector<uint8_t> bv(2, 7);
  void* args[] = {iv.data(), uv.data(), dv.data(), fv.data(), bv.data()};
  const int64_t nv = 10;
  k(args, &nv);
  EXPECT_EQ(iv[0], 9000000000000);
  EXPECT_EQ(iv[1], std::numeric_limits<int64_t>::min());
  EXPECT_EQ(iv[2], 5000000000000);
  EXPECT_EQ(iv[3], 15);
  EXPECT_EQ(iv[4], 4000000000000000000);
  EXPECT_EQ(iv[5], -2147483648LL);
  EXPECT_EQ(uv[0], 18446744073709551615ULL);
  EXPECT_EQ(dv[0], 0.1);
  EXPECT_EQ(dv[1], 1e300 * 10.0);
  EXPECT_EQ(fv[0], std::numeric_limits<float>::infinity());
  EXPECT_EQ(fv[1], -std::numeric_limits<float>::infinity());
  EXPECT_EQ(fv[2], 0.1f);
  EXPECT_EQ(bv[0], 1);
  EXPECT_EQ(bv[1], 1);
}

TEST(CBackend, EveryIRIntrinsicHasACForm) {
  // Each intrinsic of ir/intrinsics.h on float32 and float64 operands, in one kernel that
  // must compile warning-free and run; values are checked by IntrinsicsMapToLibm.
  Expr n = Var::make("n");
  Buffer x = Buffer::make("X", Float(32), {n});
  Buffer x64 = Buffer::make("X64", Float(64), {n});
  std::vector<Argument> args = {{x, kIn}, {x64, kIn}};
  Expr i = Var::make("i");
  std::vector<Stmt> stmts;
  for (const std::string& name : ir::intrinsic_names()) {
    const ir::IntrinsicInfo* info = ir::find_intrinsic(name);
    if (info->args == ir::IntrinsicArgs::kInteger) continue;  // BitwiseIntrinsics below
    for (const Buffer& in : {x, x64}) {
      Expr c = ir::make_intrinsic(name, std::vector<Expr>(info->arity, load(in, {i})));
      Buffer out = Buffer::make("Y_" + name, c.type(), {n});
      args.push_back({out, kOut});
      stmts.push_back(store(out, c, {i}));
    }
  }
  LoweredFunc f = LoweredFunc::make("all_intrinsics", args, {n}, {},
                                    loop(i, Expr(0), n, ir::Block::make(stmts)));
  std::unique_ptr<CompiledC> so;
  Kernel k = compile(f, &so);
  const int64_t len = 8;
  std::vector<std::vector<double>> data(args.size(), std::vector<double>(len, 0.75));
  std::vector<void*> ptrs;
  for (auto& d : data) ptrs.push_back(d.data());
  std::vector<float> xf(len, 0.75f);
  ptrs[0] = xf.data();
  k(ptrs.data(), &len);
  EXPECT_EQ(data[1][0], 0.75);  // the input is untouched
}

TEST(CBackend, UnknownIntrinsicIsUnsupported) {
  Buffer b = Buffer::make("B", Float(32), {Expr(4)});
  Expr i = Var::make("i");
  Stmt body =
      loop(i, Expr(0), Expr(4), store(b, call(Float(32), "frobnicate", {load(b, {i})}), {i}));
  LoweredFunc f = LoweredFunc::make("f", {{b, kOut}}, {}, {}, body);
  try {
    codegen_c(f);
    FAIL() << "expected UnsupportedOpError";
  } catch (const UnsupportedOpError& e) {
    EXPECT_NE(std::string(e.what()).find("'frobnicate'"), std::string::npos) << e.what();
  }
  // Math on integers has no C form either (the IR must cast first).
  Buffer ib = Buffer::make("I", Int(64), {Expr(4)});
  Stmt ibody = loop(i, Expr(0), Expr(4), store(ib, call(Int(64), "exp", {load(ib, {i})}), {i}));
  EXPECT_THROW(codegen_c(LoweredFunc::make("g", {{ib, kOut}}, {}, {}, ibody)), UnsupportedOpError);
}

TEST(CBackend, VectorsAndGpuLoopsAreUnsupported) {
  Buffer b = Buffer::make("B", Float(32), {Expr(64)});
  Expr i = Var::make("i");
  Expr ramp = ir::Ramp::make(i * 16, Expr(1), 16);
  Stmt vec =
      loop(i, Expr(0), Expr(4), store(b, load(b, {ramp}) * 2.0f, {ramp}), ForKind::kVectorized);
  EXPECT_THROW(codegen_c(LoweredFunc::make("v", {{b, kOut}}, {}, {}, vec)), UnsupportedOpError);

  Stmt gpu = loop(i, Expr(0), Expr(64), store(b, load(b, {i}) + 1.0f, {i}), ForKind::kGPUThreadX);
  EXPECT_THROW(codegen_c(LoweredFunc::make("g", {{b, kOut}}, {}, {}, gpu)), UnsupportedOpError);
}

// A standalone program (generated kernels plus a C main with exactly sized heap buffers) built
// with AddressSanitizer and UndefinedBehaviorSanitizer; any report fails the run.

}  // namespace
}  // namespace cinn::backends::c
