// GPU tiling: the CUDA matmul schedule, cooperative loops, compact_gpu_buffers and
// insert_gpu_barriers. No GPU needed (NVRTC compiles where it is available; the numerics of
// the schedule are checked on the emulator by tests/python/graph/test_cuda_backend.py).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "cinn/backends/build.h"
#include "cinn/backends/cuda/codegen_cuda.h"
#include "cinn/backends/cuda/schedule_cuda.h"
#include "cinn/ir/intrinsics.h"
#include "cinn/ir/ir_operators.h"
#include "cinn/ir/printer.h"
#include "cinn/ir/schedule.h"
#include "cinn/ir/transforms.h"
#include "cinn/ir/visitor.h"
#include "cinn/lang/lower.h"
#include "cinn/lang/reduce.h"

namespace cinn::backends::cuda {
namespace {

using common::Float;
using ir::Expr;

ir::LoweredFunc matmul(int64_t m, int64_t n, int64_t k) {
  lang::Tensor a = lang::placeholder({Expr(m), Expr(k)}, Float(32), "A");
  lang::Tensor b = lang::placeholder({Expr(k), Expr(n)}, Float(32), "B");
  lang::ReduceAxis r = lang::reduce_axis(Expr(k), "k");
  lang::Tensor c = lang::compute(
      {Expr(m), Expr(n)}, [&](const std::vector<Expr>& i) { return lang::sum(a(i[0], r.var) * b(r.var, i[1]), {r}); },
      "C");
  return lang::lower("matmul", {a, b, c});
}

int count_barriers(const ir::Stmt& s) {
  int n = 0;
  ir::post_order_visit(s, [&](const ir::IRNode* node) {
    if (node->kind() == ir::NodeKind::kCall) n += ir::is_gpu_sync_threads(static_cast<const ir::Call*>(node));
  });
  return n;
}

const ir::Buffer* temp(const ir::LoweredFunc& f, const std::string& name) {
  for (const ir::Buffer& b : f->temp_buffers) {
    if (b.name() == name) return &b;
  }
  return nullptr;
}

std::vector<int64_t> shape_of(const ir::Buffer& b) {
  std::vector<int64_t> s;
  for (const Expr& e : b.shape()) s.push_back(ir::as_const_int(e) ? *ir::as_const_int(e) : -1);
  return s;
}

TEST(CudaMatmul, TilesCompactToOneThreadAndOneBlock) {
  ir::IRSchedule sch(matmul(256, 128, 64));
  CudaScheduleParams p;
  p.matmul_tm = 4;
  p.matmul_tn = 2;
  p.matmul_bk = 8;
  schedule_cuda(sch, KernelKind::kOutFusible, common::Target::cuda(90), p);
  std::string before = sch.func().to_string();
  EXPECT_NE(before.find("threadIdx.x for"), std::string::npos) << before;
  ir::LoweredFunc f = lower_to_loops(sch.func(), cuda_loop_options());
  // The accumulator: a 4 x 2 tile per thread; the operand tiles: [bk][16 tm] of A (stored
  // k-major) and [bk][tn][16] of B.
  ASSERT_TRUE(temp(f, "C_local")) << f.to_string();
  EXPECT_EQ(shape_of(*temp(f, "C_local")), (std::vector<int64_t>{4, 2})) << f.to_string();
  ASSERT_TRUE(temp(f, "A_shared"));
  EXPECT_EQ(shape_of(*temp(f, "A_shared")), (std::vector<int64_t>{8, 64})) << f.to_string();
  ASSERT_TRUE(temp(f, "B_shared"));
  EXPECT_EQ(shape_of(*temp(f, "B_shared")), (std::vector<int64_t>{8, 2, 16})) << f.to_string();
  // One barrier after the tiles are loaded, one before the next step overwrites them.
  EXPECT_EQ(count_barriers(f.body()), 2) << f.to_string();
  ir::LaunchDims dims = ir::gpu_launch_dims(f, common::Target::cuda(90));
  EXPECT_EQ(dims.grid[0], 128 / 32);
  EXPECT_EQ(dims.grid[1], 256 / 64);
  EXPECT_EQ(dims.block[0], 256);
  std::string why;
  if (!nvrtc_available(&why)) GTEST_SKIP() << "no NVRTC: " << why;
  CudaModule m = compile_cuda(ir::Module{"mm", common::Target::cuda(90), {f}});
  EXPECT_NE(m.source.find("__shared__ __align__(16) float A_shared[512];"), std::string::npos) << m.source;
  EXPECT_NE(m.source.find("float C_local[8];"), std::string::npos) << m.source;
  EXPECT_TRUE(m.kernels[0].barriers);
  EXPECT_FALSE(m.binary.cubin.empty());
}

TEST(CudaMatmul, ShapesTheScheduleCannotTileKeepTheDefault) {
  ir::IRSchedule sch(matmul(100, 30, 64));  // 16 divides neither M nor N
  schedule_cuda(sch, KernelKind::kOutFusible, common::Target::cuda(90));
  ir::LoweredFunc f = lower_to_loops(sch.func(), cuda_loop_options());
  EXPECT_EQ(count_barriers(f.body()), 0) << f.to_string();
  EXPECT_EQ(temp(f, "A_shared"), nullptr);
}

// A tile of A loaded into shared memory per step of k by the threads of the block.
struct TileSchedule {
  ir::IRSchedule sch;
  ir::LoopRV t, ko;
  ir::BlockRV copy;
};

TileSchedule tile_schedule() {
  TileSchedule s{ir::IRSchedule(matmul(64, 64, 64)), {}, {}, {}};
  auto loops = s.sch.get_loops("C");
  s.sch.bind(loops[0], "blockIdx.x");
  s.sch.bind(loops[1], "threadIdx.x");
  auto ks = s.sch.split(loops[2], {-1, 16});
  s.ko = ks[0];
  s.t = loops[1];
  s.copy = s.sch.cache_read(s.sch.get_block("C"), "A", ir::MemoryScope::kShared);
  s.sch.compute_at(s.copy, s.ko);
  return s;
}

TEST(CudaMatmul, SharedTilesCoverEveryThreadOfTheBlock) {
  TileSchedule s = tile_schedule();
  // Per iteration of ko: the block's row of A (threads differ in j only) times 16 values of k.
  auto copy_loops = s.sch.get_loops(s.copy);
  ASSERT_EQ(copy_loops.size(), 5u);  // blockIdx, threadIdx, ko, then the tile's two loops
  EXPECT_EQ(ir::as_const_int(s.sch.loop_node(copy_loops[3])->extent) ? *ir::as_const_int(s.sch.loop_node(copy_loops[3])->extent) : -1, 1);
  EXPECT_EQ(*ir::as_const_int(s.sch.loop_node(copy_loops[4])->extent), 16);
}

TEST(CudaMatmul, CooperativeLoopRules) {
  {
    TileSchedule s = tile_schedule();
    auto cl = s.sch.get_loops(s.copy);
    ir::LoopRV fused = s.sch.fuse({cl[3], cl[4]});
    s.sch.bind(fused, "threadIdx.x");  // shares the 16 copies among the 64 threads
    ir::LoweredFunc f = lower_to_loops(s.sch.func(), cuda_loop_options());
    EXPECT_EQ(count_barriers(f.body()), 2) << f.to_string();
    EXPECT_EQ(ir::gpu_launch_dims(f, common::Target::cuda(90)).block[0], 64);
  }
  {
    // Longer than the enclosing thread loop: the launch would need more threads.
    ir::IRSchedule sch(matmul(64, 64, 64));
    auto loops = sch.get_loops("C");
    sch.bind(loops[1], "threadIdx.x");
    ir::BlockRV copy = sch.cache_read(sch.get_block("C"), "B", ir::MemoryScope::kShared);
    sch.compute_at(copy, loops[1]);
    auto cl = sch.get_loops(copy);
    ir::LoopRV fused = sch.fuse({cl[cl.size() - 2], cl.back()});  // all of B: 64 x 64 = 4096
    try {
      sch.bind(fused, "threadIdx.x");
      ADD_FAILURE() << "a cooperative loop longer than the thread loop was accepted";
    } catch (const ScheduleError& e) {
      EXPECT_NE(std::string(e.what()).find("cooperative load"), std::string::npos) << e.what();
    }
  }
  {
    // A nested loop bound to the same axis that writes global memory is no cooperative load.
    ir::IRSchedule sch(matmul(64, 64, 64));
    auto loops = sch.get_loops("C");
    sch.bind(loops[0], "threadIdx.x");
    EXPECT_THROW(sch.bind(loops[1], "threadIdx.x"), ScheduleError);
  }
}

// for t in threadIdx.x[0, 64): body
ir::Stmt thread_loop(const Expr& t, ir::Stmt body) {
  return ir::For::make(t, Expr(int64_t{0}), Expr(int64_t{64}), ir::ForKind::kGPUThreadX, std::move(body));
}

TEST(GpuBarriers, PlacedAfterTheWriteAndBeforeTheNextIterationOverwrites) {
  ir::Buffer sh = ir::Buffer::make("sh", Float(32), {Expr(int64_t{64})}, ir::MemoryScope::kShared);
  ir::Buffer in = ir::Buffer::make("in", Float(32), {Expr(int64_t{256})});
  ir::Buffer out = ir::Buffer::make("out", Float(32), {Expr(int64_t{64})});
  Expr t = ir::Var::make("t"), ko = ir::Var::make("ko");
  ir::Stmt load = ir::Store::make(sh, ir::Load::make(in, {ko * Expr(int64_t{64}) + t}), {t});
  ir::Stmt use = ir::Store::make(out, ir::Load::make(out, {t}) + ir::Load::make(sh, {Expr(int64_t{63}) - t}), {t});
  ir::Stmt loop = ir::For::make(ko, Expr(int64_t{0}), Expr(int64_t{4}), ir::ForKind::kSerial, ir::Block::make({load, use}));
  ir::Stmt placed = ir::insert_gpu_barriers(thread_loop(t, loop));
  const auto* body = placed.as<ir::For>()->body.as<ir::For>()->body.as<ir::Block>();
  ASSERT_TRUE(body) << ir::to_string(placed);
  ASSERT_EQ(body->stmts.size(), 4u) << ir::to_string(placed);
  EXPECT_EQ(count_barriers(body->stmts[1]), 1) << ir::to_string(placed);
  EXPECT_EQ(count_barriers(body->stmts[3]), 1) << ir::to_string(placed);
  // Without shared memory nothing changes.
  ir::Stmt private_loop = thread_loop(t, ir::Store::make(out, ir::Load::make(in, {t}), {t}));
  EXPECT_EQ(count_barriers(ir::insert_gpu_barriers(private_loop)), 0);
}

TEST(GpuBarriers, AnExchangeUnderAConditionIsAScheduleError) {
  ir::Buffer sh = ir::Buffer::make("sh", Float(32), {Expr(int64_t{64})}, ir::MemoryScope::kShared);
  ir::Buffer out = ir::Buffer::make("out", Float(32), {Expr(int64_t{64})});
  Expr t = ir::Var::make("t");
  ir::Stmt body = ir::Block::make({ir::Store::make(sh, Expr(1.0f), {t}),
                                   ir::Store::make(out, ir::Load::make(sh, {Expr(int64_t{63}) - t}), {t})});
  ir::Stmt guarded = thread_loop(t, ir::IfThenElse::make(t < Expr(int64_t{32}), body, ir::Stmt()));
  try {
    ir::insert_gpu_barriers(guarded);
    ADD_FAILURE() << "no error";
  } catch (const ScheduleError& e) {
    EXPECT_NE(std::string(e.what()).find("no barrier can be placed"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cinn::backends::cuda
