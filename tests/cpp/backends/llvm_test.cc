// The LLVM backend through the C++ API: build hand-written and DSL functions, run them.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <random>
#include <sstream>
#include <vector>

#include "cinn/backends/build.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/schedule.h"
#include "cinn/lang/lower.h"
#include "cinn/lang/reduce.h"
#include "matmul_test_util.h"

namespace cinn::backends {

using namespace ir;  // NOLINT
using common::Float;
using common::Int;

namespace {
LoweredFunc one_loop(const std::string& name, Buffer out, Expr i, Expr value,
                     ForKind kind = ForKind::kSerial, Expr extent = Expr(64)) {
  Stmt body = For::make(i, Expr(0), extent, kind, Store::make(out, value, {i}));
  return LoweredFunc::make(name, {{out, Argument::Kind::kOutput}}, {}, {}, body);
}

// C = A @ B (M x K times K x N) with a 4 x 16 tile: rows unrolled, columns vectorized, row
// tiles parallel.
std::shared_ptr<Kernel> build_tiled_matmul(const std::string& name, int64_t M, int64_t N,
                                           int64_t K) {
  IRSchedule sch(testing::lower_matmul(name, M, N, K));
  auto l = sch.get_loops("C");
  auto is = sch.split(l[0], {-1, 4});
  auto js = sch.split(l[1], {-1, 16});
  sch.reorder({is[0], js[0], l[2], is[1], js[1]});
  sch.unroll(is[1]);
  sch.vectorize(js[1]);
  sch.parallel(is[0]);
  return build(sch.func(), common::Target::host_x86());
}

using testing::check_matmul;
}  // namespace

TEST(LLVMBackend, FloorDivisionAndModuloOfNegatives) {
  Buffer q = Buffer::make("Q", Int(64), {Expr(64)});
  Buffer r = Buffer::make("R", Int(64), {Expr(64)});
  Expr i = Var::make("i");
  Expr x = i - 32;  // -32 .. 31
  Stmt body = For::make(i, Expr(0), Expr(64), ForKind::kSerial,
                        Block::make({Store::make(q, x / 5, {i}), Store::make(r, x % 5, {i})}));
  auto f = LoweredFunc::make("divmod", {{q, Argument::Kind::kOutput}, {r, Argument::Kind::kOutput}},
                             {}, {}, body);
  auto k = build(f, common::Target::host_x86());
  std::vector<int64_t> qs(64), rs(64);
  void* args[] = {qs.data(), rs.data()};
  k->call(args, nullptr);
  for (int64_t v = -32; v < 32; ++v) {
    int64_t fq = v >= 0 ? v / 5 : -((-v + 4) / 5);
    EXPECT_EQ(qs[v + 32], fq) << v;
    EXPECT_EQ(rs[v + 32], v - fq * 5) << v;
  }
}

TEST(LLVMBackend, SymbolicSizeAndParallelLoop) {
  Expr n = Var::make("n");
  Buffer out = Buffer::make("O", Float(64), {n});
  Expr i = Var::make("i");
  Stmt body = For::make(i, Expr(0), n, ForKind::kParallel,
                        Store::make(out, cast(Float(64), i) * 0.5, {i}));
  auto f = LoweredFunc::make("par", {{out, Argument::Kind::kOutput}}, {n}, {}, body);
  auto k = build(f, common::Target::host_x86());
  for (int64_t size : {1, 7, 10000}) {
    std::vector<double> o(size, -1);
    void* args[] = {o.data()};
    k->call(args, &size);
    for (int64_t v = 0; v < size; ++v) ASSERT_EQ(o[v], v * 0.5);
  }
}

TEST(LLVMBackend, VectorizedLoopUsesVectorTypes) {
  Buffer out = Buffer::make("O", Float(32), {Expr(64)});
  Expr i = Var::make("i");
  auto f = LoweredFunc::make(
      "vec", {{out, Argument::Kind::kOutput}}, {}, {},
      For::make(i, Expr(0), Expr(16), ForKind::kVectorized,
                Store::make(out, cast(Float(32), i) + 1.0f, {i})));
  auto k = build(f, common::Target::host_x86());
  EXPECT_NE(k->source_unoptimized().find("<16 x float>"), std::string::npos);
  std::vector<float> o(64, 0);
  void* args[] = {o.data()};
  k->call(args, nullptr);
  for (int v = 0; v < 16; ++v) EXPECT_EQ(o[v], v + 1.0f);
  EXPECT_EQ(o[16], 0.0f);
}

// A 14-lane contiguous vector access is one masked access of 16 lanes where the target has
// masked loads and stores: no lane past the 14th is read or written (the input ends right
// after the last lane read, the output's lanes 14 and 15 keep their values).
TEST(LLVMBackend, NonPowerOfTwoVectorsAreMaskedAccesses) {
  Buffer in = Buffer::make("I", Float(32), {Expr(17)});
  Buffer out = Buffer::make("O", Float(32), {Expr(16)});
  Expr i = Var::make("i");
  auto f = LoweredFunc::make(
      "masked", {{in, Argument::Kind::kInput}, {out, Argument::Kind::kOutput}}, {}, {},
      For::make(i, Expr(0), Expr(14), ForKind::kVectorized,
                Store::make(out, Load::make(in, {i + 3}) * 2.0f, {i})));
  common::Target target = common::Target::host_x86();
  auto k = build(f, target);
  if (target.has_feature("avx")) {
    EXPECT_NE(k->source_unoptimized().find("llvm.masked.load.v16f32"), std::string::npos);
    EXPECT_NE(k->source_unoptimized().find("llvm.masked.store.v16f32"), std::string::npos);
  }
  std::vector<float> iv(17), ov(16, -1.0f);
  for (int v = 0; v < 17; ++v) iv[v] = static_cast<float>(v);
  void* args[] = {iv.data(), ov.data()};
  k->call(args, nullptr);
  for (int v = 0; v < 14; ++v) EXPECT_EQ(ov[v], 2.0f * (v + 3)) << v;
  EXPECT_EQ(ov[14], -1.0f);
  EXPECT_EQ(ov[15], -1.0f);
}

// A zero-padded read, select(0 <= i - 1 < 16, I[max(min(i - 1, 15), 0)], -1), is one masked
// load of I at i - 1: lane 0 (I[-1], before the buffer) is not read and takes -1. Where the
// condition does not imply the clamp's bounds (i < 8 says nothing about i - 1 >= 0), the
// clamp stays and so does its value (O[0] = I[0]).
TEST(LLVMBackend, PaddedReadsAreMaskedLoadsOfTheUnclampedIndex) {
  Buffer in = Buffer::make("I", Float(32), {Expr(16)});
  Buffer out = Buffer::make("O", Float(32), {Expr(16)});
  Expr i = Var::make("i");
  Expr clamped = max(min(i - 1, Expr(15)), Expr(0));
  for (bool implied : {true, false}) {
    Expr cond = implied ? (i - 1 >= Expr(0)) && (i - 1 < Expr(16)) : i < Expr(8);
    auto f = LoweredFunc::make(
        implied ? "padded" : "clamped", {{in, Argument::Kind::kInput}, {out, Argument::Kind::kOutput}},
        {}, {},
        For::make(i, Expr(0), Expr(16), ForKind::kVectorized,
                  Store::make(out, select(cond, Load::make(in, {clamped}), Expr(-1.0f)), {i})));
    auto k = build(f, common::Target::host_x86());
    const std::string& src = k->source_unoptimized();
    EXPECT_EQ(src.find("llvm.masked.load") != std::string::npos, implied) << src;
    EXPECT_EQ(src.find("llvm.masked.gather") != std::string::npos, !implied) << src;  // the clamped index
    std::vector<float> iv(16), ov(16, 0.0f);
    for (int v = 0; v < 16; ++v) iv[v] = static_cast<float>(v + 100);
    void* args[] = {iv.data(), ov.data()};
    k->call(args, nullptr);
    for (int v = 0; v < 16; ++v) {
      float want = implied ? (v == 0 ? -1.0f : iv[v - 1]) : (v < 8 ? iv[std::max(v - 1, 0)] : -1.0f);
      EXPECT_EQ(ov[v], want) << (implied ? "padded " : "clamped ") << v;
    }
  }
}

// A transposing copy scheduled as an unrolled loop of strided vector stores,
// O[c * k + r] = I[r * w + c] (r unrolled over k rows, c vectorized over w lanes), is emitted
// as a transpose in registers (shuffles, padded to a square of 16) and w contiguous rows of
// k elements, not as scatters: k x w = 16 x 16, 16 x 12 and 12 x 16 (12-element rows: a
// masked store, nothing written past them).
TEST(LLVMBackend, UnrolledStridedStoresAreATransposeInRegisters) {
  for (auto [k, w] : {std::pair<int64_t, int64_t>{16, 16}, {16, 12}, {12, 16}}) {
    Buffer in = Buffer::make("I", Float(32), {Expr(k * w)});
    Buffer out = Buffer::make("O", Float(32), {Expr(k * w + 4)});
    Expr r = Var::make("r"), c = Var::make("c");
    Stmt body = For::make(r, Expr(0), Expr(k), ForKind::kUnrolled,
                          For::make(c, Expr(0), Expr(w), ForKind::kVectorized,
                                    Store::make(out, Load::make(in, {r * w + c}) + 1.0f, {c * k + r})));
    auto f = LoweredFunc::make("transpose" + std::to_string(k) + "x" + std::to_string(w),
                               {{in, Argument::Kind::kInput}, {out, Argument::Kind::kOutput}}, {}, {}, body);
    common::Target target = common::Target::host_x86();
    auto kern = build(f, target);
    const std::string& src = kern->source_unoptimized();
    if (target.vector_bits >= 512) {
      EXPECT_NE(src.find("shufflevector"), std::string::npos) << src;
      EXPECT_EQ(src.find("llvm.masked.scatter"), std::string::npos) << src;
    }
    std::vector<float> iv(k * w), ov(k * w + 4, -7.0f);
    for (int64_t v = 0; v < k * w; ++v) iv[v] = static_cast<float>(v);
    void* args[] = {iv.data(), ov.data()};
    kern->call(args, nullptr);
    for (int64_t rr = 0; rr < k; ++rr) {
      for (int64_t cc = 0; cc < w; ++cc) {
        EXPECT_EQ(ov[cc * k + rr], iv[rr * w + cc] + 1.0f) << k << "x" << w << " " << rr << " " << cc;
      }
    }
    for (int64_t v = k * w; v < k * w + 4; ++v) EXPECT_EQ(ov[v], -7.0f) << k << "x" << w << " " << v;
  }
}

// Floor division and modulo of a loop variable counting up from 0 by a positive constant
// are the unsigned instructions; from a negative start they keep floor semantics.
TEST(LLVMBackend, IndexDivisionOfNonNegativeValuesIsUnsigned) {
  for (int64_t lo : {0, -8}) {
    Buffer out = Buffer::make("O", Int(64), {Expr(32)});
    Expr i = Var::make("i");
    Stmt body = For::make(i, Expr(lo), Expr(32), ForKind::kSerial,
                          Store::make(out, i / 3 * 100 + i % 3, {i - lo}));
    auto f = LoweredFunc::make(lo == 0 ? "udiv" : "sdiv", {{out, Argument::Kind::kOutput}}, {}, {}, body);
    auto k = build(f, common::Target::host_x86());
    const std::string& src = k->source_unoptimized();
    EXPECT_EQ(src.find("udiv") != std::string::npos, lo == 0) << src;
    EXPECT_EQ(src.find("sdiv") != std::string::npos, lo != 0) << src;
    std::vector<int64_t> ov(32);
    void* args[] = {ov.data()};
    k->call(args, nullptr);
    for (int64_t v = lo; v < lo + 32; ++v) {
      int64_t q = v >= 0 ? v / 3 : -((-v + 2) / 3), m = v - 3 * q;
      EXPECT_EQ(ov[v - lo], q * 100 + m) << v;
    }
  }
}

TEST(LLVMBackend, TemporaryBuffersAndSelect) {
  // T = i - 8 (heap temporary); O = select(T < 0, -T, T)
  Buffer t = Buffer::make("T", Int(64), {Expr(16)});
  Buffer o = Buffer::make("O", Int(64), {Expr(16)});
  Expr i = Var::make("i"), j = Var::make("j");
  Stmt body = Block::make(
      {Allocate::make(t),
       For::make(i, Expr(0), Expr(16), ForKind::kSerial, Store::make(t, i - 8, {i})),
       For::make(j, Expr(0), Expr(16), ForKind::kSerial,
                 Store::make(o, select(Load::make(t, {j}) < 0, -Load::make(t, {j}),
                                       Load::make(t, {j})), {j})),
       Free::make(t)});
  auto f = LoweredFunc::make("absdiff", {{o, Argument::Kind::kOutput}}, {}, {t}, body);
  auto k = build(f, common::Target::host_x86());
  std::vector<int64_t> out(16);
  void* args[] = {out.data()};
  k->call(args, nullptr);
  for (int v = 0; v < 16; ++v) EXPECT_EQ(out[v], std::abs(v - 8));
}

TEST(LLVMBackend, EveryAccessCarriesItsBufferAliasScope) {
  // O[i] += T[(r % 2) * 8 + i % 8] over r, T a heap temporary, inside a parallel loop. LLVM
  // loses track of which argument such an address came from after unrolling r, so the
  // codegen states it: each load/store is in its buffer's scope and noalias with the others,
  // and the accumulator can stay in a register.
  Buffer t = Buffer::make("T", Float(32), {Expr(16)});
  Buffer o = Buffer::make("O", Float(32), {Expr(64)});
  Expr i = Var::make("i"), j = Var::make("j"), r = Var::make("r");
  Stmt fill = For::make(j, Expr(0), Expr(16), ForKind::kSerial,
                        Store::make(t, cast(Float(32), j), {j}));
  Stmt acc = For::make(
      r, Expr(0), Expr(4), ForKind::kSerial,
      Store::make(o, Load::make(o, {i}) + Load::make(t, {r % 2 * 8 + i % 8}), {i}));
  Stmt body = Block::make({Allocate::make(t), fill,
                           For::make(i, Expr(0), Expr(64), ForKind::kParallel,
                                     Block::make({Store::make(o, Expr(0.0f), {i}), acc})),
                           Free::make(t)});
  auto f = LoweredFunc::make("scoped", {{o, Argument::Kind::kOutput}}, {}, {t}, body);
  auto k = build(f, common::Target::host_x86());
  std::istringstream ir(k->source_unoptimized());
  int accesses = 0;
  for (std::string line; std::getline(ir, line);) {
    bool buffer_access = (line.find(" = load float") != std::string::npos ||
                          line.find("store float") != std::string::npos);
    if (!buffer_access) continue;
    ++accesses;
    EXPECT_NE(line.find("!alias.scope"), std::string::npos) << line;
    EXPECT_NE(line.find("!noalias"), std::string::npos) << line;
  }
  EXPECT_GE(accesses, 4);
  std::vector<float> out(64, -1.0f);
  void* args[] = {out.data()};
  k->call(args, nullptr);
  for (int v = 0; v < 64; ++v) EXPECT_EQ(out[v], 2.0f * (v % 8) + 2.0f * (8 + v % 8)) << v;
}

TEST(LLVMBackend, ScheduledMatmulMatchesReference) {
  const int64_t M = 48, N = 64, K = 40;
  auto kern = build_tiled_matmul("mm", M, N, K);
  check_matmul(*kern, M, N, K, 3);
}

// B = A * 3 - 1 over n elements, split by 16 with the inner loop vectorized: the loop passes
// partition off the guard-free full tiles (vector code) from the guarded tail.
LoweredFunc split_by_16(Expr n) {
  lang::Tensor a = lang::placeholder({n}, Float(32), "A");
  lang::Tensor b = lang::compute(
      {n}, [&](const std::vector<Expr>& i) { return a(i[0]) * 3.0f - 1.0f; }, "B");
  IRSchedule sch(lang::lower("tiles", {a, b}));
  auto xs = sch.split(sch.get_loops("B")[0], {-1, 16});
  sch.vectorize(xs[1]);
  return sch.func();
}

TEST(LLVMBackend, SplitTailIsPartitionedSymbolicSize) {
  auto k = build(split_by_16(Var::make("n")), common::Target::host_x86());
  // The full tiles are one 16-lane store without a guard.
  EXPECT_NE(k->lowered().to_string().find("B[ramp(i_0 * 16, 1, 16)] = A[ramp(i_0 * 16, 1, 16)]"),
            std::string::npos)
      << k->lowered().to_string();
  std::mt19937 gen(11);
  std::uniform_real_distribution<float> d(-4, 4);
  for (int64_t n : {1, 15, 16, 17, 31, 100, 1000}) {
    std::vector<float> a(n), b(n + 16, 7.0f);  // 7: must stay beyond n
    for (auto& x : a) x = d(gen);
    void* args[] = {a.data(), b.data()};
    k->call(args, &n);
    for (int64_t i = 0; i < n; ++i) ASSERT_FLOAT_EQ(b[i], a[i] * 3.0f - 1.0f) << n << " " << i;
    for (int64_t i = n; i < n + 16; ++i) ASSERT_EQ(b[i], 7.0f) << n << " " << i;
  }
}

TEST(LLVMBackend, SplitTailIsPartitionedConstantSize) {
  // 100 = 6 full tiles and a 4-lane tail, all vector code, no guard left.
  auto k = build(split_by_16(Expr(100)), common::Target::host_x86());
  std::string ir = k->lowered().to_string();
  EXPECT_EQ(ir.find("if ("), std::string::npos) << ir;
  EXPECT_NE(ir.find("ramp(96, 1, 4)"), std::string::npos) << ir;
  std::mt19937 gen(12);
  std::uniform_real_distribution<float> d(-4, 4);
  std::vector<float> a(100), b(116, 7.0f);
  for (auto& x : a) x = d(gen);
  void* args[] = {a.data(), b.data()};
  k->call(args, nullptr);
  for (int i = 0; i < 100; ++i) ASSERT_FLOAT_EQ(b[i], a[i] * 3.0f - 1.0f) << i;
  for (int i = 100; i < 116; ++i) ASSERT_EQ(b[i], 7.0f) << i;
}

TEST(LLVMBackend, MatmulWithNonDividingSplitsAndUnroll) {
  // Neither M = 50 nor N = 70 is a multiple of its tile (4 rows x 16 columns): full tiles
  // run as 16-lane vectors, the last 6 columns as 6-lane vectors, the last 2 rows as two
  // unrolled copies; no guard is left.
  const int64_t M = 50, N = 70, K = 40;
  auto kern = build_tiled_matmul("mm_tail", M, N, K);
  std::string ir = kern->lowered().to_string();
  EXPECT_EQ(ir.find("unrolled"), std::string::npos) << ir;
  EXPECT_EQ(ir.find("if ("), std::string::npos) << ir;
  EXPECT_NE(ir.find("ramp(i_0 * 280 + 64, 1, 6)"), std::string::npos) << ir;
  check_matmul(*kern, M, N, K, 5);
}

TEST(LLVMBackend, PartitionedSplitsMatchReferenceForManyShapes) {
  // B[i, j] = A[i, j] * 2 + i - j with both axes split by random factors (the inner column
  // loop vectorized, the inner row loop unrolled) over symbolic sizes, and a row sum whose
  // reduce axis is split too: every guard the splits add is partitioned, every element is
  // still computed once.
  std::mt19937 gen(21);
  std::uniform_real_distribution<float> d(-1, 1);
  // Row factors stay small: each unrolled row carries its own main loop and tail.
  const int64_t row_factors[] = {2, 3, 4}, col_factors[] = {3, 5, 8, 16};
  for (int round = 0; round < 6; ++round) {
    int64_t fi = row_factors[gen() % 3], fj = col_factors[gen() % 4];
    Expr m = Var::make("m"), n = Var::make("n");
    lang::Tensor a = lang::placeholder({m, n}, Float(32), "A");
    lang::Tensor b = lang::compute(
        {m, n},
        [&](const std::vector<Expr>& i) {
          return a(i[0], i[1]) * 2.0f + cast(Float(32), i[0] - i[1]);
        },
        "B");
    lang::ReduceAxis k = lang::reduce_axis(n, "k");
    lang::Tensor r = lang::compute(
        {m}, [&](const std::vector<Expr>& i) { return lang::sum(a(i[0], k.var), {k}); }, "R");
    IRSchedule sch(lang::lower("shapes", {a, b, r}));
    auto lb = sch.get_loops("B");
    auto is = sch.split(lb[0], {-1, fi});
    sch.unroll(is[1]);
    auto js = sch.split(lb[1], {-1, fj});
    sch.vectorize(js[1]);
    sch.split(sch.get_loops("R")[1], {-1, fj});
    auto kern = build(sch.func(), common::Target::host_x86());
    for (int64_t rows : {1, 7, 16}) {
      for (int64_t cols : {1, 15, 16, 33}) {
        std::vector<float> av(rows * cols), bv(rows * cols + 32, 9.0f), rv(rows + 8, 9.0f);
        for (auto& x : av) x = d(gen);
        void* args[] = {av.data(), bv.data(), rv.data()};
        int64_t sizes[] = {rows, cols};
        kern->call(args, sizes);
        for (int64_t i = 0; i < rows; ++i) {
          double sum = 0;
          for (int64_t j = 0; j < cols; ++j) {
            sum += av[i * cols + j];
            ASSERT_FLOAT_EQ(bv[i * cols + j], av[i * cols + j] * 2.0f + float(i - j))
                << fi << " " << fj << " " << rows << "x" << cols << " at " << i << "," << j;
          }
          ASSERT_NEAR(rv[i], sum, 1e-4) << fj << " " << rows << "x" << cols << " row " << i;
        }
        for (size_t e = rows * cols; e < bv.size(); ++e) ASSERT_EQ(bv[e], 9.0f);
        for (size_t e = rows; e < rv.size(); ++e) ASSERT_EQ(rv[e], 9.0f);
      }
    }
  }
}

TEST(LLVMBackend, InvariantRowValueIsHoisted) {
  // B[i, j] = A[i, j] - S[i]: S[i] is loaded once per row, before the column loop.
  const int64_t R = 9, C = 100;
  lang::Tensor a = lang::placeholder({Expr(R), Expr(C)}, Float(32), "A");
  lang::Tensor s = lang::placeholder({Expr(R)}, Float(32), "S");
  lang::Tensor b = lang::compute(
      {Expr(R), Expr(C)}, [&](const std::vector<Expr>& i) { return a(i[0], i[1]) - s(i[0]); }, "B");
  IRSchedule sch(lang::lower("rows", {a, s, b}));
  auto js = sch.split(sch.get_loops("B")[1], {-1, 16});
  sch.vectorize(js[1]);
  auto k = build(sch.func(), common::Target::host_x86());
  std::string ir = k->lowered().to_string();
  EXPECT_NE(ir.find("= broadcast(S[i], 16)"), std::string::npos) << ir;
  std::mt19937 gen(9);
  std::uniform_real_distribution<float> d(-2, 2);
  std::vector<float> av(R * C), sv(R), bv(R * C);
  for (auto& x : av) x = d(gen);
  for (auto& x : sv) x = d(gen);
  void* args[] = {av.data(), sv.data(), bv.data()};
  k->call(args, nullptr);
  for (int64_t i = 0; i < R; ++i) {
    for (int64_t j = 0; j < C; ++j) ASSERT_EQ(bv[i * C + j], av[i * C + j] - sv[i]) << i << j;
  }
}

TEST(LLVMBackend, LongUnrolledLoopIsLeftToLLVM) {
  // Beyond ir::kMaxUnrollExtent the loop stays, with an unroll hint for LLVM.
  Buffer out = Buffer::make("O", Float(32), {Expr(100)});
  Expr i = Var::make("i");
  auto f =
      one_loop("unroll_hint", out, i, cast(Float(32), i) * 0.5f, ForKind::kUnrolled, Expr(100));
  auto k = build(f, common::Target::host_x86());
  EXPECT_NE(k->source_unoptimized().find("llvm.loop.unroll.enable"), std::string::npos);
  std::vector<float> o(100);
  void* args[] = {o.data()};
  k->call(args, nullptr);
  for (int v = 0; v < 100; ++v) ASSERT_EQ(o[v], v * 0.5f);
}

TEST(LLVMBackend, LoopPassesDumpEveryPass) {
  namespace fs = std::filesystem;
  fs::path dir = fs::path(::testing::TempDir()) / "cinn_llvm_dump";
  fs::remove_all(dir);
  CodegenOptions opts;
  opts.dump_dir = dir.string();
  build(split_by_16(Expr(100)), common::Target::host_x86(), opts);
  std::vector<std::string> names = loop_passes(backend_for(common::Target::host_x86()).loop_options(opts)).pass_names();
  ASSERT_EQ(names.front(), "lower_thread_reductions");
  EXPECT_TRUE(fs::exists(dir / "tiles" / "00_input.txt"));
  for (size_t p = 0; p < names.size(); ++p) {
    char file[64];
    std::snprintf(file, sizeof(file), "%02zu_%s.txt", p + 1, names[p].c_str());
    EXPECT_TRUE(fs::exists(dir / "tiles" / file)) << file;
  }
}

TEST(LLVMBackend, GpuBoundLoopIsACompileError) {
  Buffer out = Buffer::make("O", Float(32), {Expr(64)});
  Expr i = Var::make("i");
  auto f = one_loop("gpu", out, i, cast(Float(32), i), ForKind::kGPUThreadX);
  EXPECT_THROW(build(f, common::Target::host_x86()), CompileError);
}

TEST(Backends, UnknownBackendIsRejectedNamingTheRegisteredOnes) {
  Buffer out = Buffer::make("O", Float(32), {Expr(64)});
  Expr i = Var::make("i");
  auto f = one_loop("f", out, i, cast(Float(32), i));
  common::Target t = common::Target::host_x86();
  t.backend = "no_such_backend";
  try {
    build(f, t);
    FAIL() << "expected a CompileError";
  } catch (const CompileError& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("no_such_backend"), std::string::npos) << msg;
    EXPECT_NE(msg.find("x86"), std::string::npos) << msg;
    EXPECT_NE(msg.find("cuda"), std::string::npos) << msg;
  }
}

}  // namespace cinn::backends
