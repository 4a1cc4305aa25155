#include "cinn/backends/cuda/schedule_cuda.h"

#include <algorithm>

#include "cinn/backends/schedule_common.h"
#include "cinn/ir/intrinsics.h"
#include "cinn/ir/substitute.h"
#include "cinn/ir/visitor.h"

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


// Threads for reducing `n` values across a block: a power of two from 32 up to `threads`,
// no more than n needs.
int64_t reduce_threads(int64_t n, int64_t threads) {
  int64_t t = 32;
  while (t < threads && t < n) t *= 2;
  return std::max<int64_t>(32, std::min(t, threads / 32 * 32));
}

// Whether threads can cooperate on `b`'s reduction: a block reduction exists for its type,
// and every load that varies with the reduce iter_vars has the innermost one in its last
// index, so that consecutive threads read consecutive addresses.
bool cross_thread_reducible(const ir::ScheduleBlock* b) {
  if (!is_reduction(b) || b->writes.empty() || !ir::gpu_block_reduce_supports(b->writes[0].buffer.dtype())) {
    return false;
  }
  ir::Expr inner;
  std::vector<ir::Expr> reduce_vars;
  for (const auto& iv : b->iter_vars) {
    if (iv.is_reduce()) reduce_vars.push_back(inner = iv.var);
  }
  bool contiguous = true, loads = false;
  ir::post_order_visit(b->body, [&](const ir::IRNode* n) {
    if (n->kind() != ir::NodeKind::kLoad) return;
    const auto* l = static_cast<const ir::Load*>(n);
    if (l->buffer.same_as(b->writes[0].buffer) || l->indices.empty()) return;
    bool varies = false;  // loads the same value for every reduce value: not a stream
    for (const ir::Expr& i : l->indices) varies = varies || ir::uses_any_var(i, reduce_vars);
    if (!varies) return;
    loads = true;
    contiguous = contiguous && ir::uses_any_var(l->indices.back(), {inner});
  });
  return loads && contiguous;
}

// The loops of `b` that feed its reduce iter_values, when they are its innermost loops.
std::vector<LoopRV> trailing_reduce_loops(IRSchedule& sch, BlockRV b) {
  auto loops = sch.get_loops(b);
  size_t first = loops.size();
  while (first > 0 && feeds_reduce(sch, b, loops[first - 1])) --first;
  for (size_t i = 0; i < first; ++i) {
    if (feeds_reduce(sch, b, loops[i])) return {};
  }
  return std::vector<LoopRV>(loops.begin() + static_cast<std::ptrdiff_t>(first), loops.end());
}

// Spreads `loops` (consecutive, innermost of their block) over `t` threads: fused, split by
// t, the t-loop outermost and bound to threadIdx.x, the rest serial inside it. For reduce
// loops this makes a cross-thread reduction (lower_thread_reductions).
void bind_across_threads(IRSchedule& sch, const std::vector<LoopRV>& loops, int64_t t) {
  LoopRV fused = loops.size() == 1 ? loops[0] : sch.fuse(loops);
  auto parts = sch.split(fused, {-1, t});
  sch.reorder({parts[1], parts[0]});
  sch.bind(parts[1], "threadIdx.x");
}

int64_t product_of_extents(IRSchedule& sch, const std::vector<LoopRV>& loops) {
  int64_t p = 1;
  for (LoopRV l : loops) {
    int64_t e = extent_of(sch, l);
    if (e <= 0) return -1;
    p *= e;
  }
  return p;
}

// A reduction whose reduce loops are innermost and contiguous, one thread block per output:
// its spatial loops fused and bound to blockIdx.x, its reduce loops spread over the block's
// threads and combined with a block reduction.
bool schedule_block_reduction(IRSchedule& sch, BlockRV b, int64_t threads) {
  if (!cross_thread_reducible(sch.block_node(b))) return false;
  std::vector<LoopRV> reduce = trailing_reduce_loops(sch, b);
  int64_t n = product_of_extents(sch, reduce);
  if (reduce.empty() || n < 32) return false;
  return attempt_all(sch, [&](IRSchedule& s) {
    auto loops = s.get_loops(b);
    size_t spatial = loops.size() - reduce.size();
    if (spatial > 0) {
      LoopRV outer = spatial == 1 ? loops[0]
                                  : s.fuse(std::vector<LoopRV>(loops.begin(), loops.begin() + static_cast<std::ptrdiff_t>(spatial)));
      s.bind(outer, "blockIdx.x");
    }
    bind_across_threads(s, trailing_reduce_loops(s, b), reduce_threads(n, threads));
  });
}

// A kernel computed per row (every block under the leading `depth` loops of the last one,
// compute_at_last) with rows long enough to share: one thread block per row, every nest of
// the row spread over its threads -- reductions combined across them (each thread gets the
// result), the last, spatial nest strided. Rows with other spatial nests are left alone: a
// thread would read what others wrote without a barrier between them.
bool schedule_rows_across_threads(IRSchedule& sch, size_t depth, int64_t threads) {
  std::vector<BlockRV> blocks = sch.get_all_blocks();
  int64_t row = 0;
  for (BlockRV b : blocks) {
    const ir::ScheduleBlock* node = sch.block_node(b);
    auto loops = sch.get_loops(b);
    std::vector<LoopRV> own(loops.begin() + static_cast<std::ptrdiff_t>(std::min(depth, loops.size())), loops.end());
    if (is_reduction(node)) {
      if (!cross_thread_reducible(node)) return false;
      own = trailing_reduce_loops(sch, b);
    } else if (b.id != blocks.back().id) {
      // Threads would read elements other threads wrote: that needs a barrier.
      return false;
    }
    int64_t n = product_of_extents(sch, own);
    if (own.empty() || n < 0) return false;
    row = std::max(row, n);
  }
  if (row < 32) return false;
  int64_t t = reduce_threads(row, threads);
  return attempt_all(sch, [&](IRSchedule& s) {
    std::vector<BlockRV> bs = s.get_all_blocks();
    auto last_loops = s.get_loops(bs.back());
    LoopRV rows = depth == 1 ? last_loops[0]
                             : s.fuse(std::vector<LoopRV>(last_loops.begin(), last_loops.begin() + static_cast<std::ptrdiff_t>(depth)));
    s.bind(rows, "blockIdx.x");
    for (BlockRV b : bs) {
      auto loops = s.get_loops(b);
      std::vector<LoopRV> own(loops.begin() + 1, loops.end());
      if (is_reduction(s.block_node(b))) own = trailing_reduce_loops(s, b);
      bind_across_threads(s, own, t);
    }
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

  // 2. Kernels computed per iteration of the leading loops of their last block: a thread
  //    block per row when rows are long, else a thread per row.
  if (size_t depth = common_leading_depth(sch)) {
    if (compute_at_last(sch, depth)) {
      if (schedule_rows_across_threads(sch, depth, threads)) return;
      bind_leading(sch, sch.get_all_blocks().back(), depth, threads);
      return;
    }
    blocks = sch.get_all_blocks();
  }

  // 3. Every nest on its own: its spatial loops bound.
  for (BlockRV b : blocks) {
    const ir::ScheduleBlock* node = sch.block_node(b);
    if (is_reduction(node) && schedule_two_stage_reduction(sch, b, threads)) continue;
    if (is_reduction(node) && schedule_block_reduction(sch, b, threads)) continue;
    bind_leading(sch, b, static_cast<size_t>(num_spatial(node)), threads);
  }
}

}  // namespace cinn::backends::cuda
