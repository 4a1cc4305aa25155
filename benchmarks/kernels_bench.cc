// Kernel benchmarks against their peers, in one run (issue: kernel core, acceptance 6).
//
//   elementwise  B = exp(A) * 0.5 + tanh(A) over 16M floats, next to a plain parallel copy
//                loop on the same threads (bytes moved: one read + one write per element);
//                C = a * b + tanh(c) over 16M floats (bytes moved: three reads + one write);
//                arrays 64-byte aligned, and for copy and C also at numpy's 16 bytes;
//   matmul       1024^3 f32: CINN without a schedule, CINN with the demo's register-tiled
//                schedule, OpenBLAS cblas_sgemm and oneDNN dnnl_sgemm, same thread count.
//
// Run: ./build/benchmarks/kernels_bench   (results go to benchmarks/results/)
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

#include "cinn/backends/build.h"
#include "cinn/ir/intrinsics.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/schedule.h"
#include "cinn/lang/lower.h"
#include "cinn/lang/reduce.h"
#include "cinn/runtime/thread_pool.h"

#ifdef CINN_BENCH_OPENBLAS
#include <cblas.h>
#endif
#ifdef CINN_BENCH_DNNL
#include <dnnl.h>
#endif

namespace {

using namespace cinn;  // NOLINT
using ir::Expr;

constexpr int64_t kElems = 16 << 20;
constexpr int64_t kN = 1024;

std::vector<float> random_vector(size_t n, float lo, float hi) {
  std::mt19937 gen(7);
  std::uniform_real_distribution<float> d(lo, hi);
  std::vector<float> v(n);
  for (auto& x : v) x = d(gen);
  return v;
}

void set_rates(benchmark::State& state, double bytes, double flops) {
  if (bytes > 0) {
    state.counters["GB/s"] = benchmark::Counter(bytes * state.iterations() / 1e9,
                                                benchmark::Counter::kIsRate);
  }
  if (flops > 0) {
    state.counters["GFLOP/s"] = benchmark::Counter(flops * state.iterations() / 1e9,
                                                   benchmark::Counter::kIsRate);
  }
}

// ---- elementwise ----------------------------------------------------------------------

// Float arrays 64-byte aligned plus `offset` floats. Aligned (offset 0), as STREAM and the
// allocators of oneDNN or PyTorch give them, a 16-lane load or store touches one cache line;
// with malloc's and numpy's 16 bytes (offset 4) each straddles two, which costs a streaming
// kernel about 10% of its bandwidth. memcpy aligns itself either way.
class Floats {
 public:
  Floats(int64_t n, int64_t offset, float lo, float hi, unsigned seed)
      : mem_(static_cast<float*>(
            std::aligned_alloc(64, ((n + offset) * sizeof(float) + 63) / 64 * 64))),
        data_(mem_.get() + offset) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<float> d(lo, hi);
    std::generate(data_, data_ + n, [&] { return d(gen); });
  }
  float* data() const { return data_; }

 private:
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float, Free> mem_;
  float* data_;
};

struct CopyChunk {
  const float* src;
  float* dst;
  int64_t n, chunks;
};

void BM_CopyLoop(benchmark::State& state) {
  Floats a(kElems, state.range(0), -4, 4, 7), b(kElems, state.range(0), 0, 0, 0);
  CopyChunk c{a.data(), b.data(), kElems, runtime::num_threads()};
  for (auto _ : state) {
    cinn_parallel_for(c.chunks, [](int64_t begin, int64_t end, void* p) {
      auto* c = static_cast<CopyChunk*>(p);
      for (int64_t t = begin; t < end; ++t) {
        int64_t lo = c->n * t / c->chunks, hi = c->n * (t + 1) / c->chunks;
        std::memcpy(c->dst + lo, c->src + lo, (hi - lo) * sizeof(float));
      }
    }, &c);
    benchmark::DoNotOptimize(b.data());
  }
  set_rates(state, 2.0 * kElems * sizeof(float), 0);
}
// Argument: the offset of every array from 64-byte alignment, in floats.
BENCHMARK(BM_CopyLoop)->Arg(0)->Arg(4)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_CinnExpTanh(benchmark::State& state) {
  lang::Tensor a = lang::placeholder({Expr(kElems)}, common::Float(32), "A");
  lang::Tensor b = lang::compute({Expr(kElems)}, [&](const std::vector<Expr>& i) {
    Expr x = a(i[0]);
    return ir::make_intrinsic("exp", {x}) * Expr(0.5f) + ir::make_intrinsic("tanh", {x});
  }, "B");
  ir::IRSchedule sch(lang::lower("exp_tanh", {a, b}));
  auto loops = sch.get_loops("B");
  auto parts = sch.split(loops[0], {-1, 16});
  sch.vectorize(parts[1]);
  sch.parallel(parts[0]);
  auto kern = backends::build(sch.func(), common::Target::host_x86());
  Floats x(kElems, 0, -4, 4, 7), y(kElems, 0, 0, 0, 0);
  void* args[] = {x.data(), y.data()};
  for (auto _ : state) {
    kern->call(args, nullptr);
    benchmark::DoNotOptimize(y.data());
  }
  set_rates(state, 2.0 * kElems * sizeof(float), 0);
}
BENCHMARK(BM_CinnExpTanh)->Unit(benchmark::kMillisecond)->UseRealTime();

// Issue 3: a fused elementwise expression with a transcendental should run at the memory
// bound, i.e. move bytes about as fast as the copy loop.
void BM_CinnMulAddTanh(benchmark::State& state) {
  lang::Tensor a = lang::placeholder({Expr(kElems)}, common::Float(32), "a");
  lang::Tensor b = lang::placeholder({Expr(kElems)}, common::Float(32), "b");
  lang::Tensor c = lang::placeholder({Expr(kElems)}, common::Float(32), "c");
  lang::Tensor out = lang::compute(
      {Expr(kElems)},
      [&](const std::vector<Expr>& i) {
        return a(i[0]) * b(i[0]) + ir::make_intrinsic("tanh", {c(i[0])});
      },
      "C");
  ir::IRSchedule sch(lang::lower("mul_add_tanh", {a, b, c, out}));
  auto loops = sch.get_loops("C");
  auto parts = sch.split(loops[0], {-1, 16});
  sch.vectorize(parts[1]);
  sch.parallel(parts[0]);
  auto kern = backends::build(sch.func(), common::Target::host_x86());
  const int64_t offset = state.range(0);
  Floats xa(kElems, offset, -4, 4, 1), xb(kElems, offset, -4, 4, 2), xc(kElems, offset, -4, 4, 3);
  Floats y(kElems, state.range(1), 0, 0, 0);
  void* args[] = {xa.data(), xb.data(), xc.data(), y.data()};
  for (auto _ : state) {
    kern->call(args, nullptr);
    benchmark::DoNotOptimize(y.data());
  }
  set_rates(state, 4.0 * kElems * sizeof(float), 0);
}
// Arguments: the inputs' and the output's offsets from 64-byte alignment, in floats. {4, 0}
// is the Python path: numpy inputs, an output the runtime allocates (64-byte aligned, so
// written with non-temporal stores; docs/architecture.md, codegen).
BENCHMARK(BM_CinnMulAddTanh)->Args({0, 0})->Args({4, 0})->Args({4, 4})->Unit(benchmark::kMillisecond)->UseRealTime();

// ---- matmul ---------------------------------------------------------------------------

std::shared_ptr<backends::Kernel> cinn_matmul(bool scheduled) {
  lang::Tensor a = lang::placeholder({Expr(kN), Expr(kN)}, common::Float(32), "A");
  lang::Tensor b = lang::placeholder({Expr(kN), Expr(kN)}, common::Float(32), "B");
  lang::ReduceAxis k = lang::reduce_axis(Expr(kN), "k");
  lang::Tensor c = lang::compute({Expr(kN), Expr(kN)}, [&](const std::vector<Expr>& i) {
    return lang::sum(a(i[0], k.var) * b(k.var, i[1]), {k});
  }, "C");
  ir::IRSchedule sch(lang::lower("matmul", {a, b, c}));
  if (scheduled) {  // the demo's schedule (python/cinn/demo.py)
    auto l = sch.get_loops("C");
    auto is = sch.split(l[0], {-1, 8});
    auto js = sch.split(l[1], {-1, 32});
    sch.reorder({js[0], is[0], l[2], is[1], js[1]});
    sch.unroll(is[1]);
    sch.vectorize(js[1]);
    sch.parallel(js[0]);
  }
  return backends::build(sch.func(), common::Target::host_x86());
}

void run_cinn_matmul(benchmark::State& state, bool scheduled) {
  auto kern = cinn_matmul(scheduled);
  auto a = random_vector(kN * kN, -1, 1), b = random_vector(kN * kN, -1, 1);
  std::vector<float> c(kN * kN);
  void* args[] = {a.data(), b.data(), c.data()};
  for (auto _ : state) {
    kern->call(args, nullptr);
    benchmark::DoNotOptimize(c.data());
  }
  set_rates(state, 0, 2.0 * kN * kN * kN);
}
void BM_CinnMatmulDefault(benchmark::State& state) { run_cinn_matmul(state, false); }
void BM_CinnMatmulScheduled(benchmark::State& state) { run_cinn_matmul(state, true); }
BENCHMARK(BM_CinnMatmulDefault)->Unit(benchmark::kMillisecond)->UseRealTime()->Iterations(1);
BENCHMARK(BM_CinnMatmulScheduled)->Unit(benchmark::kMillisecond)->UseRealTime();

#ifdef CINN_BENCH_OPENBLAS
void BM_OpenBLAS_sgemm(benchmark::State& state) {
  openblas_set_num_threads(runtime::num_threads());
  auto a = random_vector(kN * kN, -1, 1), b = random_vector(kN * kN, -1, 1);
  std::vector<float> c(kN * kN);
  for (auto _ : state) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, kN, kN, kN, 1.0f, a.data(), kN,
                b.data(), kN, 0.0f, c.data(), kN);
    benchmark::DoNotOptimize(c.data());
  }
  set_rates(state, 0, 2.0 * kN * kN * kN);
}
BENCHMARK(BM_OpenBLAS_sgemm)->Unit(benchmark::kMillisecond)->UseRealTime();
#endif

#ifdef CINN_BENCH_DNNL
void BM_dnnl_sgemm(benchmark::State& state) {
  auto a = random_vector(kN * kN, -1, 1), b = random_vector(kN * kN, -1, 1);
  std::vector<float> c(kN * kN);
  for (auto _ : state) {
    dnnl_sgemm('N', 'N', kN, kN, kN, 1.0f, a.data(), kN, b.data(), kN, 0.0f, c.data(), kN);
    benchmark::DoNotOptimize(c.data());
  }
  set_rates(state, 0, 2.0 * kN * kN * kN);
}
BENCHMARK(BM_dnnl_sgemm)->Unit(benchmark::kMillisecond)->UseRealTime();
#endif

}  // namespace

BENCHMARK_MAIN();
