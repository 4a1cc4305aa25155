// The LLVM backend through the C++ API: build hand-written and DSL functions, run them.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "cinn/backends/build.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/schedule.h"
#include "cinn/lang/lower.h"
#include "cinn/lang/reduce.h"

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
  EXPECT_NE(k->llvm_ir_unoptimized().find("<16 x float>"), std::string::npos);
  std::vector<float> o(64, 0);
  void* args[] = {o.data()};
  k->call(args, nullptr);
  for (int v = 0; v < 16; ++v) EXPECT_EQ(o[v], v + 1.0f);
  EXPECT_EQ(o[16], 0.0f);
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

TEST(LLVMBackend, ScheduledMatmulMatchesReference) {
  const int64_t M = 48, N = 64, K = 40;
  lang::Tensor a = lang::placeholder({Expr(M), Expr(K)}, Float(32), "A");
  lang::Tensor b = lang::placeholder({Expr(K), Expr(N)}, Float(32), "B");
  lang::ReduceAxis k = lang::reduce_axis(Expr(K), "k");
  lang::Tensor c = lang::compute({Expr(M), Expr(N)}, [&](const std::vector<Expr>& i) {
    return lang::sum(a(i[0], k.var) * b(k.var, i[1]), {k});
  }, "C");
  IRSchedule sch(lang::lower("mm", {a, b, c}));
  auto l = sch.get_loops("C");
  auto is = sch.split(l[0], {-1, 4});
  auto js = sch.split(l[1], {-1, 16});
  sch.reorder({is[0], js[0], l[2], is[1], js[1]});
  sch.unroll(is[1]);
  sch.vectorize(js[1]);
  sch.parallel(is[0]);
  auto kern = build(sch.func(), common::Target::host_x86());
  std::mt19937 gen(3);
  std::uniform_real_distribution<float> d(-1, 1);
  std::vector<float> av(M * K), bv(K * N), cv(M * N);
  for (auto& x : av) x = d(gen);
  for (auto& x : bv) x = d(gen);
  void* args[] = {av.data(), bv.data(), cv.data()};
  kern->call(args, nullptr);
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < N; ++j) {
      double ref = 0;
      for (int64_t kk = 0; kk < K; ++kk) ref += double(av[i * K + kk]) * bv[kk * N + j];
      ASSERT_NEAR(cv[i * N + j], ref, 1e-4) << i << "," << j;
    }
  }
}

TEST(LLVMBackend, GpuBoundLoopIsACompileError) {
  Buffer out = Buffer::make("O", Float(32), {Expr(64)});
  Expr i = Var::make("i");
  auto f = one_loop("gpu", out, i, cast(Float(32), i), ForKind::kGPUThreadX);
  EXPECT_THROW(build(f, common::Target::host_x86()), CompileError);
}

TEST(LLVMBackend, CudaTargetIsRejectedClearly) {
  Buffer out = Buffer::make("O", Float(32), {Expr(64)});
  Expr i = Var::make("i");
  auto f = one_loop("f", out, i, cast(Float(32), i));
  EXPECT_THROW(build(f, common::Target::cuda()), CompileError);
}

}  // namespace cinn::backends
