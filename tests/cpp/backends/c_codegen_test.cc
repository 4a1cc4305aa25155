// The C backend on whole kernels: functions built by hand with the IR API (and one through
// the DSL and lower()) are printed as C, compiled with the system C compiler (C99, warnings as
// errors), loaded with dlopen and run on random data with fixed seeds; results are compared
// with values computed here, with the tolerance stated at each comparison.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <algorithm>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cinn/backends/c/codegen_c.h"
#include "cinn/ir/transforms.h"
#include "cinn/lang/lower.h"
#include "cinn/lang/reduce.h"
#include "cinn/lang/tensor.h"
#include "tests/cpp/backends/c_test_util.h"

namespace cinn::backends::c {
namespace {

using namespace test_util;  // NOLINT(build/namespaces)

// ------------------------------------------------------------------------------------------
// Kernels shared by several tests.

// C[i] = A[i] + B[i] for i < n, as a vectorized loop.
LoweredFunc elementwise_add() {
  Expr n = Var::make("n");
  Buffer a = Buffer::make("A", Float(32), {n});
  Buffer b = Buffer::make("B", Float(32), {n});
  Buffer c = Buffer::make("C", Float(32), {n});
  Expr i = Var::make("i");
  Stmt body = loop(i, Expr(0), n, store(c, load(a, {i}) + load(b, {i}), {i}), ForKind::kVectorized);
  return LoweredFunc::make("add", {{a, kIn}, {b, kIn}, {c, kOut}}, {n}, {}, body);
}

// C[i] = sum_{k in [2, K)} A[i, k], as a block with an init, for i < 5.
LoweredFunc row_sum() {
  Expr kk = Var::make("K");
  Buffer a = Buffer::make("A", Float(32), {Expr(5), kk});
  Buffer c = Buffer::make("C", Float(32), {Expr(5)});
  Expr i = Var::make("i"), k = Var::make("k"), vi = Var::make("vi"), vk = Var::make("vk");
  Stmt init = store(c, Expr(0.0f), {vi});
  Stmt update = store(c, load(c, {vi}) + load(a, {vi, vk}), {vi});
  Stmt block = ir::ScheduleBlock::make("C",
                                       {{vi, {Expr(0), Expr(5)}, ir::IterVar::Kind::kSpatial},
                                        {vk, {Expr(2), kk - 2}, ir::IterVar::Kind::kReduce}},
                                       {{c, {{vi, Expr(1)}}}, {a, {{vi, Expr(1)}, {vk, Expr(1)}}}},
                                       {{c, {{vi, Expr(1)}}}}, init, update);
  Stmt body = loop(i, Expr(0), Expr(5),
                   loop(k, Expr(2), kk - 2, ir::ScheduleBlockRealize::make({i, k}, block)),
                   ForKind::kParallel);
  return LoweredFunc::make("row_sum", {{a, kIn}, {c, kOut}}, {kk}, {}, body);
}

// Q = X / D and R = X % D (int64), Q32 = X32 / 4 and R32 = X32 % -3 (int32), for i < n.
LoweredFunc floor_div_mod() {
  Expr n = Var::make("n");
  Buffer x = Buffer::make("X", Int(64), {n});
  Buffer d = Buffer::make("D", Int(64), {n});
  Buffer q = Buffer::make("Q", Int(64), {n});
  Buffer r = Buffer::make("R", Int(64), {n});
  Buffer x32 = Buffer::make("X32", Int(32), {n});
  Buffer q32 = Buffer::make("Q32", Int(32), {n});
  Buffer r32 = Buffer::make("R32", Int(32), {n});
  Expr i = Var::make("i");
  Expr four = ir::IntImm::make(Int(32), 4), minus3 = ir::IntImm::make(Int(32), -3);
  Stmt body = loop(i, Expr(0), n,
                   ir::Block::make({
                       store(q, load(x, {i}) / load(d, {i}), {i}),
                       store(r, load(x, {i}) % load(d, {i}), {i}),
                       store(q32, load(x32, {i}) / four, {i}),
                       store(r32, load(x32, {i}) % minus3, {i}),
                   }));
  return LoweredFunc::make(
      "floor_div_mod",
      {{x, kIn}, {d, kIn}, {q, kOut}, {r, kOut}, {x32, kIn}, {q32, kOut}, {r32, kOut}}, {n}, {},
      body);
}

// For each of n rows: a local T[4] = 2 * A[i, :] on the stack, S[i] = sum(T); a global heap
// buffer H[n] = A[:, 0] + 1 read back reversed into O; and a temp_buffers entry E (no
// Allocate: it lives for the whole call) with P[i] = 3 * E[i], E[i] = A[i, 1].
LoweredFunc temp_buffers() {
  Expr n = Var::make("n");
  Buffer a = Buffer::make("A", Float(32), {n, Expr(4)});
  Buffer s = Buffer::make("S", Float(32), {n});
  Buffer o = Buffer::make("O", Float(32), {n});
  Buffer p = Buffer::make("P", Float(32), {n});
  Buffer t = Buffer::make("T", Float(32), {Expr(4)}, ir::MemoryScope::kLocal);
  Buffer h = Buffer::make("H", Float(32), {n}, ir::MemoryScope::kGlobal);
  Buffer e = Buffer::make("E", Float(32), {n}, ir::MemoryScope::kGlobal);
  Expr i = Var::make("i"), j = Var::make("j");
  Stmt rows = loop(
      i, Expr(0), n,
      ir::Block::make({
          ir::Allocate::make(t),
          loop(j, Expr(0), Expr(4), store(t, load(a, {i, j}) * 2.0f, {j}), ForKind::kUnrolled),
          store(s,
                load(t, {Expr(0)}) + load(t, {Expr(1)}) + load(t, {Expr(2)}) + load(t, {Expr(3)}),
                {i}),
          ir::Free::make(t),
      }));
  Stmt heap = ir::Block::make({
      ir::Allocate::make(h),
      loop(i, Expr(0), n, store(h, load(a, {i, Expr(0)}) + 1.0f, {i})),
      loop(i, Expr(0), n, store(o, load(h, {n - 1 - i}), {i})),
      ir::Free::make(h),
  });
  Stmt entry = ir::Block::make({
      loop(i, Expr(0), n, store(e, load(a, {i, Expr(1)}), {i})),
      loop(i, Expr(0), n, store(p, load(e, {i}) * 3.0f, {i})),
  });
  return LoweredFunc::make("temps", {{a, kIn}, {s, kOut}, {o, kOut}, {p, kOut}}, {n}, {e},
                           ir::Block::make({rows, heap, entry}));
}

// ------------------------------------------------------------------------------------------

TEST(CBackend, ElementwiseAddWithSymbolicExtent) {
  LoweredFunc f = elementwise_add();
  std::string src = codegen_c(f);
  EXPECT_NE(src.find("void add(void** args, const int64_t* sizes)"), std::string::npos) << src;
  EXPECT_NE(src.find("float* restrict C = (float*)args[2];"), std::string::npos) << src;
  std::unique_ptr<CompiledC> so;
  Kernel k = compile(f, &so);

  const int64_t n = 1003;  // not a multiple of any vector width
  std::vector<float> a = random_floats(n, -10, 10, 1), b = random_floats(n, -10, 10, 2);
  std::vector<float> c(n + 1, -1.0f);  // one element past the end: must stay untouched
  void* args[] = {a.data(), b.data(), c.data()};
  k(args, &n);
  // One IEEE addition per element, as here: bitwise equal.
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(c[i], a[i] + b[i]) << "i=" << i;
  EXPECT_EQ(c[n], -1.0f);

  const int64_t zero = 0;  // an empty extent writes nothing
  std::fill(c.begin(), c.end(), -1.0f);
  k(args, &zero);
  EXPECT_EQ(c[0], -1.0f);
}

TEST(CBackend, MultiDimensionalIndicesFlattenRowMajor) {
  // C[i, j] = A[i, j] * 2 + B[j], shapes [m, n] with both extents symbolic.
  Expr m = Var::make("m"), n = Var::make("n");
  Buffer a = Buffer::make("A", Float(32), {m, n});
  Buffer b = Buffer::make("B", Float(32), {n});
  Buffer c = Buffer::make("C", Float(32), {m, n});
  Expr i = Var::make("i"), j = Var::make("j");
  Stmt body = loop(i, Expr(0), m,
                   loop(j, Expr(0), n, store(c, load(a, {i, j}) * 2.0f + load(b, {j}), {i, j})),
                   ForKind::kParallel);
  LoweredFunc f = LoweredFunc::make("affine", {{a, kIn}, {b, kIn}, {c, kOut}}, {m, n}, {}, body);
  std::unique_ptr<CompiledC> so;
  Kernel k = compile(f, &so);

  const int64_t sizes[] = {7, 13};
  std::vector<float> av = random_floats(7 * 13, -5, 5, 3), bv = random_floats(13, -5, 5, 4);
  std::vector<float> cv(7 * 13, 0.0f);
  void* args[] = {av.data(), bv.data(), cv.data()};
  k(args, sizes);
  // x * 2 is exact, then one rounded addition: bitwise equal.
  for (int r = 0; r < 7; ++r) {
    for (int col = 0; col < 13; ++col) {
      ASSERT_EQ(cv[r * 13 + col], av[r * 13 + col] * 2.0f + bv[col]) << r << "," << col;
    }
  }
}

TEST(CBackend, ReductionBlockRunsInitAtFirstReduceIteration) {
  LoweredFunc f = row_sum();
  std::unique_ptr<CompiledC> so;
  Kernel k = compile(f, &so);

  const int64_t kk = 37;
  std::vector<float> a = random_floats(5 * kk, -1, 1, 5);
  std::vector<float> c(5, std::numeric_limits<float>::quiet_NaN());  // init must overwrite
  void* args[] = {a.data(), c.data()};
  k(args, &kk);
  for (int r = 0; r < 5; ++r) {
    float ref = 0;
    for (int64_t col = 2; col < kk; ++col) ref += a[r * kk + col];
    // Same float additions in the same order; 1e-5 relative allows for a compiler that
    // reassociates anyway.
    EXPECT_NEAR(c[r], ref, 1e-5f * (1 + std::fabs(ref))) << "row " << r;
  }
}

TEST(CBackend, IntegerDivisionAndModuloRoundTowardsNegativeInfinity) {
  LoweredFunc f = floor_div_mod();
  std::unique_ptr<CompiledC> so;
  Kernel k = compile(f, &so);

  const int64_t n = 200;
  std::mt19937 rng(6);
  std::uniform_int_distribution<int64_t> num(-50, 50), den(-7, 7);
  std::vector<int64_t> x(n), d(n), q(n), r(n);
  std::vector<int32_t> x32(n), q32(n), r32(n);
  for (int64_t i = 0; i < n; ++i) {
    x[i] = num(rng);
    do d[i] = den(rng);
    while (d[i] == 0);
    x32[i] = static_cast<int32_t>(num(rng));
  }
  // The one quotient that overflows wraps (the IR's arithmetic) instead of trapping.
  x[0] = std::numeric_limits<int64_t>::min();
  d[0] = -1;
  x[1] = -7, d[1] = 2;  // -4, 1
  x[2] = 7, d[2] = -2;  // -4, -1
  void* args[] = {x.data(), d.data(), q.data(), r.data(), x32.data(), q32.data(), r32.data()};
  k(args, &n);
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_EQ(q[i], floordiv(x[i], d[i])) << x[i] << " / " << d[i];
    ASSERT_EQ(r[i], floormod(x[i], d[i])) << x[i] << " % " << d[i];
    ASSERT_EQ(q32[i], floordiv(x32[i], 4)) << x32[i] << " / 4";
    ASSERT_EQ(r32[i], floormod(x32[i], -3)) << x32[i] << " % -3";
  }
  EXPECT_EQ(q[1], -4);
  EXPECT_EQ(r[1], 1);
  EXPECT_EQ(q[2], -4);
  EXPECT_EQ(r[2], -1);
}

TEST(CBackend, LocalStackAndHeapTemporaries) {
  LoweredFunc f = temp_buffers();
  std::string src = codegen_c(f);
  EXPECT_NE(src.find("float T[4];"), std::string::npos) << "local buffer on the stack\n" << src;
  EXPECT_NE(src.find("cinn_malloc(n, sizeof(float))"), std::string::npos) << src;
  std::unique_ptr<CompiledC> so;
  Kernel k = compile(f, &so);

  const int64_t n = 50;
  std::vector<float> a = random_floats(n * 4, -3, 3, 10), s(n), o(n), p(n);
  void* args[] = {a.data(), s.data(), o.data(), p.data()};
  k(args, &n);
  // Exact float operations in the same order: bitwise equal.
  for (int64_t i = 0; i < n; ++i) {
    const float* row = &a[i * 4];
    ASSERT_EQ(s[i], row[0] * 2 + row[1] * 2 + row[2] * 2 + row[3] * 2) << i;
    ASSERT_EQ(o[i], a[(n - 1 - i) * 4] + 1.0f) << i;
    ASSERT_EQ(p[i], row[1] * 3.0f) << i;
  }
}

TEST(CBackend, BranchesLoopBoundsAndSideEffects) {
  // Y[i] = X[i] < 0 ? -X[i] : X[i] == 0 ? 100 : (let h = X[i] / 2 in h * 2) == X[i] ? X[i] / 2
  //        : 3 * X[i] + 1, as an if / else-if chain.
  // Z[j] = j for j in [L[0], L[0] + L[1]), while the body overwrites L[1]: loop bounds are
  // evaluated once, before the loop.
  // bump(1) as a statement and `let unused = bump(10)` are extern calls with side effects:
  // both run once per i.
  Expr n = Var::make("n");
  Buffer x = Buffer::make("X", Int(64), {n});
  Buffer y = Buffer::make("Y", Int(64), {n});
  Buffer l = Buffer::make("L", Int(64), {Expr(2)});
  Buffer z = Buffer::make("Z", Int(64), {Expr(16)});
  Expr i = Var::make("i"), j = Var::make("j"), h = Var::make("h"), unused = Var::make("unused");
  Expr xi = load(x, {i});
  auto bump = [](int64_t v) {
    return ir::Call::make(Int(64), "bump", {Expr(v)}, ir::Call::Kind::kExtern);
  };
  Stmt chain = ir::IfThenElse::make(
      xi < 0, store(y, -xi, {i}),
      ir::IfThenElse::make(xi == 0, store(y, Expr(100), {i}),
                           ir::IfThenElse::make(ir::Let::make(h, xi / 2, h * 2) == xi,
                                                store(y, xi / 2, {i}), store(y, xi * 3 + 1, {i}))));
  Stmt rows =
      loop(i, Expr(0), n,
           ir::Block::make({chain, ir::Evaluate::make(bump(1)),
                            ir::LetStmt::make(unused, bump(10), ir::Evaluate::make(Expr(0)))}));
  Stmt bounded = loop(j, load(l, {Expr(0)}), load(l, {Expr(1)}),
                      ir::Block::make({store(z, j, {j}), store(l, Expr(0), {Expr(1)})}));
  LoweredFunc f = LoweredFunc::make("branches", {{x, kIn}, {y, kOut}, {l, kOut}, {z, kOut}}, {n},
                                    {}, ir::Block::make({rows, bounded}));
  CompiledC so(codegen_c(f) +
               "\nint64_t bump_total = 0;\n"
               "int64_t bump(int64_t v) { bump_total += v; return bump_total; }\n");

  const int64_t len = 40;
  std::vector<int64_t> xv(len), yv(len, -1), lv = {3, 5}, zv(16, -1);
  for (int64_t k = 0; k < len; ++k) xv[k] = k - 20;
  void* args[] = {xv.data(), yv.data(), lv.data(), zv.data()};
  so.get("branches")(args, &len);
  for (int64_t k = 0; k < len; ++k) {
    int64_t v = xv[k];
    int64_t want = v < 0 ? -v : v == 0 ? 100 : v % 2 == 0 ? v / 2 : 3 * v + 1;
    EXPECT_EQ(yv[k], want) << "X = " << v;
  }
  for (int64_t k = 0; k < 16; ++k) EXPECT_EQ(zv[k], k >= 3 && k < 8 ? k : -1) << k;
  EXPECT_EQ(lv[1], 0);
  const auto* total = static_cast<const int64_t*>(so.symbol("bump_total"));
  EXPECT_EQ(*total, 11 * len);
}

TEST(CBackend, ExternCallsAndModulesOfSeveralFunctions) {
  // f1: Y[i] = my_twice(X[i]) + 1 (an extern C function); f2: Z[i] = X[i] * X[i].
  Expr n = Var::make("n");
  Buffer x = Buffer::make("X", Float(32), {n});
  Buffer y = Buffer::make("Y", Float(32), {n});
  Buffer z = Buffer::make("Z", Float(32), {n});
  Expr i = Var::make("i");
  Expr twice = ir::Call::make(Float(32), "my_twice", {load(x, {i})}, ir::Call::Kind::kExtern);
  ir::Module m;
  m.name = "two_kernels";
  m.functions = {
      LoweredFunc::make("f1", {{x, kIn}, {y, kOut}}, {n}, {},
                        loop(i, Expr(0), n, store(y, twice + 1.0f, {i}))),
      LoweredFunc::make("f2", {{x, kIn}, {z, kOut}}, {n}, {},
                        loop(i, Expr(0), n, store(z, load(x, {i}) * load(x, {i}), {i}))),
  };
  std::string src = codegen_c(m);
  EXPECT_NE(src.find("extern float my_twice(float);"), std::string::npos) << src;
  CompiledC so(src + "\nfloat my_twice(float v) { return 2.0f * v; }\n");

  const int64_t len = 33;
  std::vector<float> xv = random_floats(len, -1, 1, 11), yv(len), zv(len);
  void* args1[] = {xv.data(), yv.data()};
  void* args2[] = {xv.data(), zv.data()};
  so.get("f1")(args1, &len);
  so.get("f2")(args2, &len);
  for (int64_t j = 0; j < len; ++j) {  // exact operations: bitwise equal
    ASSERT_EQ(yv[j], 2.0f * xv[j] + 1.0f);
    ASSERT_EQ(zv[j], xv[j] * xv[j]);
  }
}

TEST(CBackend, NamesAreSanitizedAndDistinctVarsNeverShareOne) {
  // Two nested loops whose variables are both named "i", a let named "for" and a buffer
  // named "out.tensor": out[i0, i1] = (for = i0 * 10) + i1.
  Buffer out = Buffer::make("out.tensor", Int(64), {Expr(4), Expr(5)});
  Expr i0 = Var::make("i"), i1 = Var::make("i"), kw = Var::make("for");
  Stmt body = loop(
      i0, Expr(0), Expr(4),
      loop(i1, Expr(0), Expr(5), ir::LetStmt::make(kw, i0 * 10, store(out, kw + i1, {i0, i1}))));
  LoweredFunc f = LoweredFunc::make("names", {{out, kOut}}, {}, {}, body);
  std::unique_ptr<CompiledC> so;
  Kernel k = compile(f, &so);
  std::vector<int64_t> ov(20, -1);
  void* args[] = {ov.data()};
  k(args, nullptr);
  for (int r = 0; r < 4; ++r) {
    for (int c = 0; c < 5; ++c) EXPECT_EQ(ov[r * 5 + c], r * 10 + c);
  }

  // Function names are the exported symbols: never renamed, so invalid ones are errors.
  LoweredFunc bad = LoweredFunc::make("bad.name", {{out, kOut}}, {}, {}, body);
  EXPECT_THROW(codegen_c(bad), UnsupportedOpError);
}

TEST(CBackend, LoweredDslProgramMatchesReference) {
  // D = relu(A @ B) through the DSL and lower(), with C = A @ B a temporary; printed both as
  // lowered (schedule blocks, n-d accesses) and after lower_schedule_blocks + flatten_storage.
  Expr m = lang::size_var("M"), n = lang::size_var("N"), kk = lang::size_var("K");
  lang::Tensor a = lang::placeholder({m, kk}, Float(32), "A");
  lang::Tensor b = lang::placeholder({kk, n}, Float(32), "B");
  lang::ReduceAxis k = lang::reduce_axis(kk, "k");
  lang::Tensor c = lang::compute(
      {m, n},
      [&](const std::vector<Expr>& i) { return lang::sum(a(i[0], k.var) * b(k.var, i[1]), {k}); },
      "C");
  lang::Tensor d = lang::compute(
      {m, n}, [&](const std::vector<Expr>& i) { return ir::max(c(i[0], i[1]), Expr(0.0f)); }, "D");
  LoweredFunc lowered = lang::lower("matmul_relu", {a, b, d});
  LoweredFunc loops =
      lowered.with_body(ir::flatten_storage(ir::lower_schedule_blocks(lowered.body())));

  const int64_t mv = 5, nv = 7, kv = 9;
  std::vector<float> av = random_floats(mv * kv, -1, 1, 12), bv = random_floats(kv * nv, -1, 1, 13);
  std::vector<float> want(mv * nv);
  for (int64_t r = 0; r < mv; ++r) {
    for (int64_t col = 0; col < nv; ++col) {
      float acc = 0;
      for (int64_t j = 0; j < kv; ++j) acc += av[r * kv + j] * bv[j * nv + col];
      want[r * nv + col] = std::fmax(acc, 0.0f);
    }
  }
  for (const LoweredFunc& f : {lowered, loops}) {
    std::vector<int64_t> sizes;
    for (const Expr& v : f.size_vars()) {
      const std::string& name = v.var_name();
      sizes.push_back(name == "M" ? mv : name == "N" ? nv : kv);
    }
    std::unique_ptr<CompiledC> so;
    Kernel kernel = compile(f, &so);
    std::vector<float> dv(mv * nv, std::numeric_limits<float>::quiet_NaN());
    void* args[] = {av.data(), bv.data(), dv.data()};
    kernel(args, sizes.data());
    // Same products summed in the same order; 1e-5 relative allows for reassociation.
    for (int64_t e = 0; e < mv * nv; ++e) {
      ASSERT_NEAR(dv[e], want[e], 1e-5f * (1 + std::fabs(want[e]))) << e << "\n" << codegen_c(f);
    }
  }
}

// float32 -> float16 -> float32 by arithmetic on doubles (to nearest, ties to even), apart
// from the bit manipulation the generated helpers use.
float reference_float16(float v) {
  if (std::isnan(v)) return v;
  double a = std::fabs(static_cast<double>(v));
  if (a >= 65520.0) return std::copysign(std::numeric_limits<float>::infinity(), v);
  if (a == 0) return v;
  int e;
  std::frexp(a, &e);                        // a = m * 2^e, m in [0.5, 1)
  int keep = e >= -13 ? 11 - e : 24;        // 11 significant bits; subnormals: multiples of 2^-24
  double q = std::ldexp(std::nearbyint(std::ldexp(a, keep)), -keep);
  return static_cast<float>(std::copysign(q, static_cast<double>(v)));
}
float reference_bfloat16(float v) {
  if (std::isnan(v) || std::isinf(v) || v == 0) return v;
  int e;
  std::frexp(static_cast<double>(v), &e);
  int keep = std::min(8 - e, 133);  // 8 significant bits; subnormals: multiples of 2^-133
  return static_cast<float>(std::ldexp(std::nearbyint(std::ldexp(static_cast<double>(v), keep)), -keep));
}

// float16 / bfloat16 buffers hold the type's 16 bits (cinn_float16 / cinn_bfloat16 structs);
// values are computed in float and rounded to the type after every operation. Checked against
// double arithmetic on floats of every class, and the C compiles cleanly (-Wall -Wextra).
TEST(CBackend, HalfTypesComputeInFloatAndRoundToTheType) {
  Expr n = Var::make("n");
  Buffer x = Buffer::make("x", Float(32), {n});
  Buffer h = Buffer::make("h", common::Float(16), {n}), bh = Buffer::make("bh", common::BFloat16(), {n});
  Buffer y = Buffer::make("y", Float(32), {n}), by = Buffer::make("by", Float(32), {n});
  Expr i = Var::make("i");
  auto cast = [](Type t, Expr e) { return ir::Cast::make(t, e); };
  Type f16 = common::Float(16), bf16 = common::BFloat16();
  // h = f16(x); y = f32(h * h + 0.1); the same in bfloat16.
  Stmt body = ir::Block::make({
      loop(i, Expr(0), n, store(h, cast(f16, load(x, {i})), {i})),
      loop(i, Expr(0), n, store(bh, cast(bf16, load(x, {i})), {i})),
      loop(i, Expr(0), n,
           store(y, cast(Float(32), load(h, {i}) * load(h, {i}) + ir::FloatImm::make(f16, 0.1)), {i})),
      loop(i, Expr(0), n,
           store(by, cast(Float(32), load(bh, {i}) * load(bh, {i}) + ir::FloatImm::make(bf16, 0.1)), {i})),
  });
  LoweredFunc f = LoweredFunc::make("halves", {{x, kIn}, {h, kOut}, {bh, kOut}, {y, kOut}, {by, kOut}}, {n}, {},
                                    body);
  std::string src = codegen_c(f);
  EXPECT_NE(src.find("cinn_float16* restrict h"), std::string::npos) << src;
  // 0.1 is no float16: the literal is rounded to one when printed.
  EXPECT_NE(src.find("+ 0.099975586f)"), std::string::npos) << src;
  std::unique_ptr<CompiledC> so;
  Kernel k = compile(f, &so);

  std::mt19937 gen(7);
  std::vector<float> xs;
  for (float v : {0.0f, -0.0f, 65504.0f, 65519.99f, 65520.0f, 6.1035156e-05f, 5.9604645e-08f, 2.9802322e-08f,
                  2.9802326e-08f, 8.940697e-08f, 1.0004883f, 1.0014648f, 3.4e38f,
                  std::numeric_limits<float>::infinity(), std::numeric_limits<float>::quiet_NaN()}) {
    xs.push_back(v);
    xs.push_back(-v);
  }
  std::uniform_int_distribution<uint32_t> bits;
  for (int t = 0; t < 20000; ++t) {
    uint32_t u = bits(gen);
    float v;
    std::memcpy(&v, &u, 4);
    xs.push_back(v);
    xs.push_back(std::ldexp(static_cast<float>(t % 2 ? 1 : -1) * (1.0f + (u % 1024) / 1024.0f), -(t % 40) + 16));
  }
  const int64_t count = static_cast<int64_t>(xs.size());
  std::vector<uint16_t> hs(xs.size()), bhs(xs.size());
  std::vector<float> ys(xs.size()), bys(xs.size());
  void* args[] = {xs.data(), hs.data(), bhs.data(), ys.data(), bys.data()};
  k(args, &count);
  auto same = [](float a, float b) { return (std::isnan(a) && std::isnan(b)) || a == b; };
  const float tenth16 = reference_float16(0.1f), tenth_b = reference_bfloat16(0.1f);
  for (size_t t = 0; t < xs.size(); ++t) {
    float r = reference_float16(xs[t]), rb = reference_bfloat16(xs[t]);
    float want = reference_float16(reference_float16(r * r) + tenth16);
    float want_b = reference_bfloat16(reference_bfloat16(rb * rb) + tenth_b);
    ASSERT_TRUE(same(ys[t], want)) << "x=" << xs[t] << " got " << ys[t] << " want " << want;
    ASSERT_TRUE(same(bys[t], want_b)) << "x=" << xs[t] << " got " << bys[t] << " want " << want_b;
    uint32_t wide = static_cast<uint32_t>(bhs[t]) << 16;
    float stored;
    std::memcpy(&stored, &wide, 4);
    ASSERT_TRUE(same(stored, rb)) << "x=" << xs[t];
  }
}

// A standalone program (generated kernels plus a C main with exactly sized heap buffers) built
// with AddressSanitizer and UndefinedBehaviorSanitizer; any report fails the run.
TEST(CBackend, GeneratedCodeIsCleanUnderSanitizers) {
  TempDir dir;
  const std::string flags =
      "-std=c99 -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all "
      "-fno-omit-frame-pointer";
  std::string probe = run_cc(dir, "int main(void) { return 0; }\n", flags, dir.file("probe"));
  if (!probe.empty() || std::system((dir.file("probe") + " > /dev/null 2>&1").c_str()) != 0) {
    GTEST_SKIP() << "the C compiler cannot build or run sanitized programs here:\n" << probe;
  }
  ir::Module m;
  m.name = "sanitized";
  m.functions = {row_sum(), floor_div_mod(), temp_buffers()};
  std::string main_c = R"(
#include <stdio.h>
#include <string.h>
int main(void) {
  int64_t kk = 9, n = 17;
  float* a = malloc(sizeof(float) * 5 * kk);
  float* c = malloc(sizeof(float) * 5);
  for (int64_t i = 0; i < 5 * kk; ++i) a[i] = (float)(i % 7) - 3.0f;
  void* rs[] = {a, c};
  row_sum(rs, &kk);
  if (c[0] != -3.0f + -2.0f + -1.0f + 0.0f + 1.0f + 2.0f + 3.0f) return 2;

  int64_t *x = malloc(8 * n), *d = malloc(8 * n), *q = malloc(8 * n), *r = malloc(8 * n);
  int32_t *x32 = malloc(4 * n), *q32 = malloc(4 * n), *r32 = malloc(4 * n);
  for (int64_t i = 0; i < n; ++i) {
    x[i] = i - 8; d[i] = (i % 2) ? -3 : 4; x32[i] = (int32_t)(8 - i);
  }
  x[0] = INT64_MIN; d[0] = -1;
  void* dm[] = {x, d, q, r, x32, q32, r32};
  floor_div_mod(dm, &n);
  if (q[1] != 2 || r[1] != -1 || q32[16] != -2 || r32[16] != -2) return 3;

  float* ta = malloc(sizeof(float) * 4 * n);
  float *s = malloc(sizeof(float) * n), *o = malloc(sizeof(float) * n),
        *p = malloc(sizeof(float) * n);
  for (int64_t i = 0; i < 4 * n; ++i) ta[i] = (float)i;
  void* tb[] = {ta, s, o, p};
  temps(tb, &n);
  if (s[1] != 2.0f * (4 + 5 + 6 + 7) || o[0] != ta[4 * (n - 1)] + 1.0f || p[2] != 27.0f) return 4;
  free(a); free(c); free(x); free(d); free(q); free(r); free(x32); free(q32); free(r32);
  free(ta); free(s); free(o); free(p);
  puts("ok");
  return 0;
}
)";
  std::string log = run_cc(dir, codegen_c(m) + main_c, flags, dir.file("prog"));
  ASSERT_EQ(log, "");
  std::string cmd = dir.file("prog") + " > " + dir.file("run.log") + " 2>&1";
  int rc = std::system(cmd.c_str());
  EXPECT_EQ(rc, 0) << read_file(dir.file("run.log"));
  EXPECT_EQ(read_file(dir.file("run.log")), "ok\n");
}

}  // namespace
}  // namespace cinn::backends::c
