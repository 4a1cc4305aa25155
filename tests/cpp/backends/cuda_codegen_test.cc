// The CUDA backend's compile side without a GPU: CUDA C from bound loops, compiled by NVRTC
// for sm_90; the errors of illegal bindings and failed compiles.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cinn/backends/cuda/codegen_cuda.h"
#include "cinn/ir/intrinsics.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/schedule.h"
#include "cinn/lang/lower.h"
#include "cinn/lang/reduce.h"

namespace cinn::backends::cuda {
namespace {

using common::Float;
using ir::Expr;

#define REQUIRE_NVRTC()                                               \
  do {                                                                \
    std::string why;                                                  \
    if (!nvrtc_available(&why)) GTEST_SKIP() << "no NVRTC: " << why;  \
  } while (0)

ir::Module module_of(const ir::LoweredFunc& f) {
  return ir::Module{f.name(), common::Target::cuda(90), {f}};
}

// out = tanh(a * b + 1) over n elements, n / 256 blocks of 256 threads.
ir::IRSchedule elementwise(int64_t n, int64_t threads) {
  lang::Tensor a = lang::placeholder({Expr(n)}, Float(32), "a");
  lang::Tensor b = lang::placeholder({Expr(n)}, Float(32), "b");
  lang::Tensor c = lang::compute(
      {Expr(n)}, [&](const std::vector<Expr>& i) { return ir::make_intrinsic("tanh", {a(i[0]) * b(i[0]) + 1.0f}); },
      "c");
  ir::IRSchedule sch(lang::lower("ew", {a, b, c}));
  auto parts = sch.split(sch.get_loops("c")[0], {-1, threads});
  sch.bind(parts[0], "blockIdx.x");
  sch.bind(parts[1], "threadIdx.x");
  return sch;
}

TEST(CudaCodegen, ElementwiseKernelCompilesForSm90) {
  REQUIRE_NVRTC();
  CudaModule m = build_cuda(module_of(elementwise(1 << 20, 256).func()));
  EXPECT_NE(m.source.find("extern \"C\" __global__ void __launch_bounds__(256) ew("),
            std::string::npos)
      << m.source;
  EXPECT_NE(m.source.find("blockIdx.x"), std::string::npos) << m.source;
  EXPECT_NE(m.source.find("threadIdx.x"), std::string::npos) << m.source;
  EXPECT_NE(m.source.find("const float* __restrict__ a"), std::string::npos) << m.source;
  ASSERT_EQ(m.kernels.size(), 1u);
  EXPECT_EQ(m.kernels[0].dims.grid[0], 4096);
  EXPECT_EQ(m.kernels[0].dims.block[0], 256);
  EXPECT_FALSE(m.binary.cubin.empty());
  EXPECT_NE(m.binary.ptx.find(".entry ew"), std::string::npos);
}

TEST(CudaCodegen, NonDividingSplitIsGuardedAndCompiles) {
  REQUIRE_NVRTC();
  CudaModule m = build_cuda(module_of(elementwise(1000, 128).func()));
  EXPECT_EQ(m.kernels[0].dims.grid[0], 8);
  EXPECT_NE(m.source.find("< 1000"), std::string::npos) << m.source;
}

// A row sum, one row per thread, accumulated in a local buffer whose write-back runs in the
// same thread.
TEST(CudaCodegen, ReductionWithLocalAccumulatorCompiles) {
  REQUIRE_NVRTC();
  const int64_t rows = 512, cols = 100;
  lang::Tensor x = lang::placeholder({Expr(rows), Expr(cols)}, Float(32), "x");
  lang::ReduceAxis k = lang::reduce_axis(Expr(cols), "k");
  lang::Tensor s = lang::compute(
      {Expr(rows)}, [&](const std::vector<Expr>& i) { return lang::sum(x(i[0], k.var), {k}); }, "s");
  ir::IRSchedule sch(lang::lower("rowsum", {x, s}));
  auto parts = sch.split(sch.get_loops("s")[0], {-1, 64});
  sch.bind(parts[0], "blockIdx.x");
  sch.bind(parts[1], "threadIdx.x");
  ir::BlockRV wb = sch.cache_write(sch.get_block("s"), "s", ir::MemoryScope::kLocal);
  sch.reverse_compute_at(wb, parts[1]);
  CudaModule m = build_cuda(module_of(sch.func()));
  EXPECT_NE(m.source.find("__launch_bounds__(64)"), std::string::npos) << m.source;
  // compact_gpu_buffers: one accumulator per thread, not the whole output.
  EXPECT_NE(m.source.find("float s_local[1];"), std::string::npos) << m.source;
  EXPECT_EQ(m.source.find("__shared__"), std::string::npos) << m.source;
  EXPECT_FALSE(m.binary.cubin.empty());
}

TEST(CudaCodegen, IntegerHelpersAreDeviceFunctions) {
  REQUIRE_NVRTC();
  // A floor division and modulo of a possibly negative value use the printer's helpers.
  const int64_t n = 256;
  lang::Tensor a = lang::placeholder({Expr(n)}, Float(32), "a");
  lang::Tensor d = lang::placeholder({Expr(n)}, common::Int(64), "d");
  lang::Tensor c = lang::compute(
      {Expr(n)},
      [&](const std::vector<Expr>& i) {
        Expr j = d(i[0]) / 7 + d(i[0]) % 5;
        return a(ir::Max::make(ir::Min::make(j, Expr(int64_t{n - 1})), Expr(int64_t{0})));
      },
      "c");
  ir::IRSchedule sch(lang::lower("helpers", {a, d, c}));
  sch.bind(sch.get_loops("c")[0], "threadIdx.x");
  CudaModule m = build_cuda(module_of(sch.func()));
  EXPECT_NE(m.source.find("static __device__ __forceinline__"), std::string::npos) << m.source;
  EXPECT_EQ(m.source.find("static inline"), std::string::npos) << m.source;
  EXPECT_FALSE(m.binary.cubin.empty());
}

TEST(CudaCodegen, TooManyThreadsIsAScheduleError) {
  // Without NVRTC too: the check comes before compilation.
  EXPECT_THROW(build_cuda(module_of(elementwise(1 << 16, 2048).func())), ScheduleError);
  try {
    build_cuda(module_of(elementwise(1 << 16, 2048).func()));
  } catch (const ScheduleError& e) {
    EXPECT_NE(std::string(e.what()).find("2048 threads per block"), std::string::npos) << e.what();
  }
}

TEST(CudaCodegen, SharedBufferAboveTheLimitIsAScheduleError) {
  const int64_t n = 1 << 15;  // 128 KiB of float in shared memory
  lang::Tensor a = lang::placeholder({Expr(n)}, Float(32), "a");
  lang::Tensor t = lang::compute({Expr(n)}, [&](const std::vector<Expr>& i) { return a(i[0]) * 2.0f; }, "t");
  lang::Tensor c = lang::compute({Expr(n)}, [&](const std::vector<Expr>& i) { return t(i[0]) + 1.0f; }, "c");
  ir::IRSchedule sch(lang::lower("sh", {a, c}));
  sch.set_scope("t", ir::MemoryScope::kShared);
  sch.bind(sch.get_loops("t")[0], "threadIdx.x");
  sch.bind(sch.get_loops("c")[0], "threadIdx.y");
  EXPECT_THROW(build_cuda(module_of(sch.func())), ScheduleError);
}

TEST(CudaCodegen, HostTargetIsRefused) {
  ir::Module m = module_of(elementwise(256, 256).func());
  m.target = common::Target::host_x86();
  EXPECT_THROW(build_cuda(m), CompileError);
}

TEST(CudaCodegen, NvrtcFailureCarriesTheLog) {
  REQUIRE_NVRTC();
  try {
    nvrtc_compile("extern \"C\" __global__ void k() { undefined_name = 1; }", "bad.cu", 90);
    FAIL() << "expected a CompileError";
  } catch (const CompileError& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("undefined_name"), std::string::npos) << what;
    EXPECT_NE(what.find("bad.cu"), std::string::npos) << what;
    EXPECT_NE(what.find("1\textern"), std::string::npos) << what;  // the numbered source
  }
}

}  // namespace
}  // namespace cinn::backends::cuda
