// The C backend: functions built by hand with the IR API are printed as C, compiled with the
// system C compiler (as C99, warnings as errors), loaded with dlopen and run on random data
// (fixed seeds); results are compared with values computed here, with the tolerance stated
// at each comparison.
#include "cinn/backends/c/codegen_c.h"

#include <dlfcn.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "cinn/ir/intrinsics.h"
#include "cinn/ir/ir_operators.h"

namespace cinn::backends::c {
namespace {

using common::Bool;
using common::Float;
using common::Int;
using common::UInt;
using ir::Argument;
using ir::Buffer;
using ir::Expr;
using ir::ForKind;
using ir::LoweredFunc;
using ir::Stmt;
using ir::Var;

using Kernel = void (*)(void**, const int64_t*);

const Argument::Kind kIn = Argument::Kind::kInput;
const Argument::Kind kOut = Argument::Kind::kOutput;

// A fresh directory under the system's temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "cinn_c_test_XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path) << text;
}
std::string read_file(const std::string& path) {
  std::ostringstream os;
  os << std::ifstream(path).rdbuf();
  return os.str();
}

// Runs `cc <flags>` on `source`; returns "" on success, else the compiler's messages.
std::string run_cc(const TempDir& dir, const std::string& source, const std::string& flags,
                   const std::string& output) {
  write_file(dir.file("kernel.c"), source);
  std::string cmd = "cc " + flags + " -o " + output + " " + dir.file("kernel.c") + " -lm > " +
                    dir.file("cc.log") + " 2>&1";
  if (std::system(cmd.c_str()) == 0) return "";
  return "$ " + cmd + "\n" + read_file(dir.file("cc.log")) + "\n--- source ---\n" + source;
}

// Generated C compiled into a shared object and loaded.
class CompiledC {
 public:
  explicit CompiledC(const std::string& source) {
    std::string log = run_cc(dir_, source, "-std=c99 -O2 -Wall -Wextra -Werror -shared -fPIC",
                             dir_.file("kernel.so"));
    if (!log.empty()) throw std::runtime_error("C compilation failed:\n" + log);
    handle_ = dlopen(dir_.file("kernel.so").c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle_) throw std::runtime_error(std::string("dlopen: ") + dlerror());
  }
  CompiledC(const CompiledC&) = delete;
  CompiledC& operator=(const CompiledC&) = delete;
  ~CompiledC() {
    if (handle_) dlclose(handle_);
  }
  void* symbol(const std::string& name) const {
    void* sym = dlsym(handle_, name.c_str());
    if (!sym) throw std::runtime_error("no symbol " + name);
    return sym;
  }
  Kernel get(const std::string& name) const { return reinterpret_cast<Kernel>(symbol(name)); }

 private:
  TempDir dir_;
  void* handle_ = nullptr;
};

Kernel compile(const LoweredFunc& f, std::unique_ptr<CompiledC>* keep) {
  *keep = std::make_unique<CompiledC>(codegen_c(f));
  return (*keep)->get(f.name());
}

Stmt loop(Expr var, Expr min, Expr extent, Stmt body, ForKind kind = ForKind::kSerial) {
  return ir::For::make(std::move(var), std::move(min), std::move(extent), kind, std::move(body));
}
Expr load(const Buffer& b, std::vector<Expr> idx) { return ir::Load::make(b, std::move(idx)); }
Stmt store(const Buffer& b, Expr v, std::vector<Expr> idx) {
  return ir::Store::make(b, std::move(v), std::move(idx));
}
Expr call(Type t, const std::string& name, std::vector<Expr> args) {
  return ir::Call::make(t, name, std::move(args), ir::Call::Kind::kIntrinsic);
}

std::vector<float> random_floats(size_t n, float lo, float hi, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

// Python's // and %, the IR's integer Div and Mod.
int64_t floordiv(int64_t a, int64_t b) {
  if (b == -1) return static_cast<int64_t>(0 - static_cast<uint64_t>(a));
  int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}
int64_t floormod(int64_t a, int64_t b) {
  if (b == -1) return 0;
  int64_t r = a % b;
  return (r != 0 && ((r < 0) != (b < 0))) ? r + b : r;
}

// ------------------------------------------------------------------------------------------
// Kernels shared by several tests.

// C[i] = A[i] + B[i] for i < n, as a vectorized loop.
LoweredFunc elementwise_add() {
  Expr n = Var::make("n");
  Buffer a = Buffer::make("A", Float(32), {n});
  Buffer b = Buffer::make("B", Float(32), {n});
  Buffer c = Buffer::make("C", Float(32), {n});
  Expr i = Var::make("i");
  Stmt body = loop(i, Expr(0), n, store(c, load(a, {i}) + load(b, {i}), {i}),
                   ForKind::kVectorized);
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
  Stmt block = ir::ScheduleBlock::make(
      "C",
      {{vi, {Expr(0), Expr(5)}, ir::IterVar::Kind::kSpatial},
       {vk, {Expr(2), kk - 2}, ir::IterVar::Kind::kReduce}},
      {{c, {{vi, Expr(1)}}}, {a, {{vi, Expr(1)}, {vk, Expr(1)}}}}, {{c, {{vi, Expr(1)}}}}, init,
      update);
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
      {{x, kIn}, {d, kIn}, {q, kOut}, {r, kOut}, {x32, kIn}, {q32, kOut}, {r32, kOut}}, {n},
      {}, body);
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
          store(s, load(t, {Expr(0)}) + load(t, {Expr(1)}) + load(t, {Expr(2)}) + load(t, {Expr(3)}),
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
                   loop(j, Expr(0), n,
                        store(c, load(a, {i, j}) * 2.0f + load(b, {j}), {i, j})),
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
    do d[i] = den(rng); while (d[i] == 0);
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

TEST(CBackend, NarrowIntegersWrapLikeTheIR) {
  // int8: S = A + B, P = A * B, Q = A / B; uint8: U = C - D; uint16: M = E * F.
  Expr n = Var::make("n");
  auto buf = [&](const char* name, Type t) { return Buffer::make(name, t, {n}); };
  Buffer a = buf("A", Int(8)), b = buf("B", Int(8)), s = buf("S", Int(8)), p = buf("P", Int(8)),
         q = buf("Q", Int(8)), c = buf("C", UInt(8)), d = buf("D", UInt(8)),
         u = buf("U", UInt(8)), e = buf("E", UInt(16)), ff = buf("F", UInt(16)),
         m = buf("M", UInt(16));
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
                                    {{a, kIn}, {b, kIn}, {s, kOut}, {p, kOut}, {q, kOut},
                                     {c, kIn}, {d, kIn}, {u, kOut}, {e, kIn}, {ff, kIn},
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
  Buffer cl = Buffer::make("Clamp", Int(64), {n});  // max(min(J, 10), -10)
  Buffer fm = Buffer::make("FMin", Float(32), {n});  // min(X, 0.25)
  Expr i = Var::make("i"), t = Var::make("t", Float(32)), s = Var::make("s", Float(32)),
       uu = Var::make("u", Float(32));
  Expr xi = load(x, {i});
  Stmt body = loop(
      i, Expr(0), n,
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
                                    {{x, kIn}, {y, kOut}, {mask, kOut}, {z, kOut}, {w, kOut},
                                     {v, kOut}, {u, kOut}, {j, kIn}, {cl, kOut}, {fm, kOut}},
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
  void* args[] = {xv.data(), yv.data(), maskv.data(), zv.data(), wv.data(),
                  vv.data(), uv.data(), jv.data(), clv.data(), fmv.data()};
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
  const std::vector<std::string> kUnary = {"exp",   "sigmoid", "rsqrt", "tanh",
                                           "erf",   "round",   "abs",   "floor"};
  Buffer x = Buffer::make("X", Float(32), {n});
  Buffer x64 = Buffer::make("X64", Float(64), {n});
  Buffer e64 = Buffer::make("Exp64", Float(64), {n});
  Buffer pw = Buffer::make("Pow", Float(32), {n});
  Buffer ia = Buffer::make("IA", Int(64), {n});
  Buffer iabs = Buffer::make("IAbs", Int(64), {n});
  std::vector<Argument> args = {{x, kIn},  {x64, kIn}, {e64, kOut},
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
      store(pw, call(Float(32), "pow", {call(Float(32), "abs", {load(x, {i})}), Expr(1.5f)}),
            {i}));
  stmts.push_back(store(iabs, call(Int(64), "abs", {load(ia, {i})}), {i}));
  LoweredFunc f = LoweredFunc::make("intrinsics", args, {n}, {},
                                    loop(i, Expr(0), n, ir::Block::make(stmts)));
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
  std::vector<void*> ptrs = {xv.data(), x64v.data(), e64v.data(), pwv.data(), iav.data(),
                             iabsv.data()};
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
      EXPECT_NEAR(got, want, 1e-6f * std::fabs(want) + 1e-30f) << kUnary[fn] << "(" << xv[j]
                                                                 << ")";
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
  Stmt body = loop(i0, Expr(0), Expr(4),
                   loop(i1, Expr(0), Expr(5),
                        ir::LetStmt::make(kw, i0 * 10, store(out, kw + i1, {i0, i1}))));
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
      ir::IfThenElse::make(
          xi == 0, store(y, Expr(100), {i}),
          ir::IfThenElse::make(ir::Let::make(h, xi / 2, h * 2) == xi, store(y, xi / 2, {i}),
                               store(y, xi * 3 + 1, {i}))));
  Stmt rows = loop(i, Expr(0), n,
                   ir::Block::make({chain, ir::Evaluate::make(bump(1)),
                                    ir::LetStmt::make(unused, bump(10),
                                                      ir::Evaluate::make(Expr(0)))}));
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
      store(b, ir::make_intrinsic(
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
  Stmt body = loop(i, Expr(0), Expr(4),
                   store(b, call(Float(32), "frobnicate", {load(b, {i})}), {i}));
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
  EXPECT_THROW(codegen_c(LoweredFunc::make("g", {{ib, kOut}}, {}, {}, ibody)),
               UnsupportedOpError);
}

TEST(CBackend, VectorsHalfFloatsAndGpuLoopsAreUnsupported) {
  Buffer b = Buffer::make("B", Float(32), {Expr(64)});
  Expr i = Var::make("i");
  Expr ramp = ir::Ramp::make(i * 16, Expr(1), 16);
  Stmt vec = loop(i, Expr(0), Expr(4), store(b, load(b, {ramp}) * 2.0f, {ramp}),
                  ForKind::kVectorized);
  EXPECT_THROW(codegen_c(LoweredFunc::make("v", {{b, kOut}}, {}, {}, vec)), UnsupportedOpError);

  Buffer h = Buffer::make("H", Float(16), {Expr(4)});
  Stmt half = loop(i, Expr(0), Expr(4), store(h, load(h, {i}), {i}));
  EXPECT_THROW(codegen_c(LoweredFunc::make("h", {{h, kOut}}, {}, {}, half)), UnsupportedOpError);

  Stmt gpu = loop(i, Expr(0), Expr(64), store(b, load(b, {i}) + 1.0f, {i}),
                  ForKind::kGPUThreadX);
  EXPECT_THROW(codegen_c(LoweredFunc::make("g", {{b, kOut}}, {}, {}, gpu)), UnsupportedOpError);
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
