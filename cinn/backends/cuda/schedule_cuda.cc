#include "cinn/backends/cuda/schedule_cuda.h"

#include <algorithm>

#include "cinn/backends/schedule_common.h"

namespace cinn::backends::cuda {
namespace {

using ir::BlockRV;
using ir::IRSchedule;
using ir::LoopRV;

// Fuses the leading `n` loops of `b` and binds them, split by `threads`, to blockIdx.x and
// threadIdx.x. False when nothing was bound (the nest then runs on one thread).
bool bind_leading(IRSchedule& sch, BlockRV b, size_t n, int64_t threads) {
  auto loops = sch.get_loops(b);
  n = std::min(n, loops.size());
  if (n == 0) return false;
  LoopRV fused = loops[0];
  if (n > 1 && !attempt([&] { fused = sch.fuse(std::vector<LoopRV>(loops.begin(), loops.begin() + n)); })) {
    return false;
  }
  int64_t e = extent_of(sch, fused);
  if (e <= 0) return false;
  int64_t t = std::min(threads, e);
  return attempt([&] {
    auto parts = sch.split(fused, {-1, t});
    sch.bind(parts[0], "blockIdx.x");
    sch.bind(parts[1], "threadIdx.x");
  });
}

// The product of the extents of loops [begin, end) of `b` (-1 when one is not constant).
int64_t extent_product(IRSchedule& sch, const std::vector<LoopRV>& loops, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) {
    int64_t e = extent_of(sch, loops[i]);
    if (e <= 0) return -1;
    p *= e;
  }
  return p;
}

// A reduction with few outputs and a long reduce range in two stages: the reduce loops,
// fused and split by `lanes`, are rfactored into `lanes` partial results per output, each
// computed by one thread over a strided (so coalesced) slice; then each output sums its
// partial results.
bool schedule_two_stage_reduction(IRSchedule& sch, BlockRV b, int64_t threads) {
  auto loops = sch.get_loops(b);
  size_t spatial = std::min<size_t>(num_spatial(sch.block_node(b)), loops.size());
  int64_t outputs = extent_product(sch, loops, 0, spatial);
  int64_t reduce = extent_product(sch, loops, spatial, loops.size());
  if (outputs < 0 || reduce < 0 || outputs >= 256 || reduce < 4096 || spatial == loops.size()) return false;
  int64_t lanes = 2048;
  while (lanes * 16 > reduce) lanes /= 2;
  return attempt([&] {
    LoopRV r = loops[spatial];
    if (loops.size() - spatial > 1) {
      r = sch.fuse(std::vector<LoopRV>(loops.begin() + static_cast<std::ptrdiff_t>(spatial), loops.end()));
    }
    auto parts = sch.split(r, {-1, lanes});
    BlockRV rf = sch.rfactor(parts[1]);
    auto rl = sch.get_loops(rf);
    // rf loops: spatial..., outer reduce, lanes: the lanes go outside the serial loop.
    sch.reorder({rl[rl.size() - 1], rl[rl.size() - 2]});
    bind_leading(sch, rf, rl.size() - 1, threads);
    bind_leading(sch, b, spatial, threads);
  });
}

}  // namespace

CudaScheduleParams cuda_schedule_params(const ScheduleParams& params) {
  CudaScheduleParams p;
  auto it = params.find("threads");
  if (it != params.end()) p.threads = it->second;
  return p;
}

std::vector<TuningKnob> cuda_tuning_knobs(KernelKind) {
  return {{"threads", {64, 128, 256, 512, 1024}, "threads per block"}};
}

void schedule_cuda(IRSchedule& sch, KernelKind, const common::Target& target,
                   const CudaScheduleParams& params) {
  int64_t max_threads = target.max_threads_per_block > 0 ? target.max_threads_per_block : 1024;
  int64_t threads = std::min<int64_t>(params.threads > 0 ? params.threads : 256, max_threads);

  // 1. Inline intermediate spatial blocks into their consumers.
  inline_intermediates(sch, nullptr);
  std::vector<BlockRV> blocks = sch.get_all_blocks();
  if (blocks.empty()) return;

  // 2. Kernels computed per iteration of the leading loops of their last block: a row each.
  if (size_t depth = common_leading_depth(sch)) {
    if (compute_at_last(sch, depth)) {
      bind_leading(sch, sch.get_all_blocks().back(), depth, threads);
      return;
    }
    blocks = sch.get_all_blocks();
  }

  // 3. Every nest on its own: its spatial loops bound.
  for (BlockRV b : blocks) {
    const ir::ScheduleBlock* node = sch.block_node(b);
    if (is_reduction(node) && schedule_two_stage_reduction(sch, b, threads)) continue;
    bind_leading(sch, b, static_cast<size_t>(num_spatial(node)), threads);
  }
}

}  // namespace cinn::backends::cuda
