#include "cinn/backends/schedule_x86.h"

#include "cinn/backends/schedule_common.h"

#include <algorithm>
#include <optional>
#include <set>

#include "cinn/ir/ir_operators.h"
#include "cinn/ir/simplify.h"
#include "cinn/ir/substitute.h"
#include "cinn/ir/visitor.h"

namespace cinn::backends {
namespace {

using ir::BlockRV;
using ir::Expr;
using ir::IRSchedule;
using ir::LoopRV;

// The widest power-of-two vector of at most `lanes` and at least 4 lanes that divides
// `extent` (a guard inside a vector loop keeps it scalar), or 0 if none does.
int64_t dividing_vector(int64_t extent, int64_t lanes) {
  for (int64_t w = lanes; w >= 4; w /= 2) {
    if (extent > 0 && extent % w == 0) return w;
  }
  return 0;
}

// Splits the innermost loop of reduction block `b` by `width`, rfactors the partial results
// over the inner part and vectorizes it. Returns the partial-result block.
BlockRV rfactor_vectorized(IRSchedule& sch, BlockRV b, int64_t width) {
  auto parts = sch.split(sch.get_loops(b).back(), {-1, width});
  BlockRV rf = sch.rfactor(parts[1]);
  sch.vectorize(parts[1]);
  return rf;
}

// Splits the innermost loop by `lanes` and vectorizes it; for a reduction over that loop,
// rfactors the partial results first so the vectorized loop is spatial. `masked`: a vector
// of any width up to `lanes` is one masked access (AVX-512; codegen_llvm emits 3-15 lanes
// as a masked move of 16). `peel_tail`: the caller keeps the loop over vectors where
// loop_partition peels a guarded last vector off (schedule_spatial), so a guard no longer
// keeps the loop scalar.
void vectorize_innermost(IRSchedule& sch, BlockRV b, int lanes, bool masked, bool peel_tail = false) {
  auto loops = sch.get_loops(b);
  if (loops.empty()) return;
  LoopRV inner = loops.back();
  int64_t e = extent_of(sch, inner);
  if (e < lanes) {
    if (e > 1 && !is_reduction(sch.block_node(b))) attempt([&] { sch.vectorize(inner); });
    return;
  }
  // Lowering puts reduce loops innermost: the innermost loop reduces when the last
  // iter_var does.
  const ir::ScheduleBlock* node = sch.block_node(b);
  bool reduce_inner = !node->iter_vars.empty() && node->iter_vars.back().is_reduce();
  // A narrower vector that divides the extent beats a guarded tail (a guard inside the
  // vector loop keeps it scalar): 56 -> 8 lanes rather than 16 and a tail.
  if (reduce_inner) {
    attempt([&] { rfactor_vectorized(sch, b, lanes); });
    return;
  }
  int64_t w = dividing_vector(e, lanes);
  // With masked vectors the widest divisor above half a vector beats a narrower power of
  // two and a guarded tail (rows of 30: 15 lanes rather than 16 with a guard, which keeps
  // the loop scalar; 56: 14, not 8).
  if (masked && e % lanes != 0) {
    for (int64_t d = lanes - 1; d > lanes / 2 && d > w; --d) {
      if (e % d == 0) {
        w = d;
        break;
      }
    }
  }
  // Where the tail is peeled, fewer vectors win, and a divisor on a tie (no tail's code):
  // 29 -> 16 + 13, 100 -> 6 x 16 + 4 rather than 10 x 10; 56 stays 4 x 14.
  if (peel_tail && (w == 0 || e / w > (e + lanes - 1) / lanes)) w = lanes;
  if (w) lanes = static_cast<int>(w);
  attempt([&] {
    auto parts = sch.split(inner, {-1, lanes});
    sch.vectorize(parts[1]);
  });
}

// Parallelizes the outermost loop of `b` (fusing the leading `n` loops first).
void parallelize_outer(IRSchedule& sch, BlockRV b, size_t n);

// The iter var of block `b` bound to loop `l` itself (its value is the loop variable), or
// null.
const ir::IterVar* bound_iter_var(IRSchedule& sch, BlockRV b, LoopRV l) {
  const ir::ScheduleBlock* node = sch.block_node(b);
  std::vector<Expr> values = sch.block_iter_values(b);
  const ir::IterVar* iv = nullptr;
  for (size_t t = 0; t < values.size() && t < node->iter_vars.size(); ++t) {
    if (values[t].same_as(sch.loop_var(l))) iv = &node->iter_vars[t];
  }
  return iv;
}

// Whether every load and store of block `b` indexes the iter vars bound to `loops` (in
// order) as one row-major run (`..., y, x` over dims of the loops' extents) or not at all:
// then fusing the loops keeps every access contiguous.
bool indexed_as_run(IRSchedule& sch, BlockRV b, const std::vector<LoopRV>& loops) {
  const ir::ScheduleBlock* node = sch.block_node(b);
  std::vector<const ir::Var*> group;
  std::vector<int64_t> extents;
  for (LoopRV l : loops) {
    const ir::IterVar* iv = bound_iter_var(sch, b, l);
    if (!iv) return false;
    group.push_back(iv->var.as<ir::Var>());
    extents.push_back(extent_of(sch, l));
  }
  // Iter vars of one value (a 1x1 window's r, s) read as that value: `y + r` is `y`.
  ir::VarMap unit;
  for (const ir::IterVar& iv : node->iter_vars) {
    const int64_t* e = ir::as_const_int(iv.range.extent);
    if (e && *e == 1) unit[iv.var.as<ir::Var>()] = iv.range.min;
  }
  bool ok = true;
  auto check = [&](const ir::Buffer& buf, std::vector<Expr> idx) {
    if (!unit.empty()) {
      for (Expr& e : idx) e = ir::simplify(ir::substitute(e, unit));
    }
    size_t used = 0;
    for (const Expr& e : idx) {
      ir::post_order_visit(e, [&](const ir::IRNode* m) {
        if (m->kind() != ir::NodeKind::kVar) return;
        for (const ir::Var* v : group) used += static_cast<const ir::Var*>(m) == v ? 1 : 0;
      });
    }
    if (used == 0) return;
    auto first = std::find_if(idx.begin(), idx.end(), [&](const Expr& e) { return e.as<ir::Var>() == group[0]; });
    size_t d0 = static_cast<size_t>(first - idx.begin());
    if (used != group.size() || d0 + group.size() > idx.size()) {
      ok = false;
      return;
    }
    for (size_t t = 0; t < group.size(); ++t) {
      const int64_t* dim = ir::as_const_int(buf.shape()[d0 + t]);
      if (idx[d0 + t].as<ir::Var>() != group[t] || (t > 0 && !(dim && *dim == extents[t]))) ok = false;
    }
  };
  ir::post_order_visit(node->body, [&](const ir::IRNode* m) {
    if (m->kind() == ir::NodeKind::kLoad) {
      const auto* l = static_cast<const ir::Load*>(m);
      check(l->buffer, l->indices);
    } else if (m->kind() == ir::NodeKind::kStore) {
      const auto* st = static_cast<const ir::Store*>(m);
      check(st->buffer, st->indices);
    }
  });
  return ok;
}

// How many trailing loops of spatial block `b` to fuse so that the innermost extent is a
// multiple of `lanes` (28 x 28 -> 784 = 49 x 16 instead of 4-lane vectors along 28), or 1 if
// none: only loops that every access indexes as one run (indexed_as_run), so the fused loop
// stays contiguous.
size_t contiguous_trailing_loops(IRSchedule& sch, BlockRV b, int lanes) {
  auto loops = sch.get_loops(b);
  const ir::ScheduleBlock* node = sch.block_node(b);
  size_t n = loops.size();
  if (n < 2 || node->iter_vars.size() != n) return 1;
  for (size_t k = 0; k < n; ++k) {
    if (node->iter_vars[k].is_reduce()) return 1;
  }
  int64_t fused = extent_of(sch, loops.back());
  if (fused % lanes == 0) return 1;
  for (size_t k = n - 1; k-- > 0;) {
    fused *= extent_of(sch, loops[k]);
    if (!indexed_as_run(sch, b, std::vector<LoopRV>(loops.begin() + static_cast<std::ptrdiff_t>(k), loops.end()))) {
      return 1;
    }
    if (fused % lanes == 0) return n - k;
  }
  // No trailing run is a multiple of a vector: the whole nest as one run, whose only guarded
  // vector is its last (1000 rows of 29: 1812 vectors and one of 8, not 16 + 13 per row).
  return n;
}

bool schedule_transpose(IRSchedule& sch, BlockRV b, int lanes, bool masked);

// A spatial block: the innermost loop vectorized, the loops around it fused and parallel.
void schedule_spatial(IRSchedule& sch, BlockRV b, int lanes, bool masked) {
  if (schedule_transpose(sch, b, lanes, masked)) return;
  if (size_t m = contiguous_trailing_loops(sch, b, lanes); m > 1) {
    auto loops = sch.get_loops(b);
    attempt([&] { sch.fuse(std::vector<LoopRV>(loops.end() - m, loops.end())); });
  }
  size_t before = sch.get_loops(b).size();
  int64_t row = before ? extent_of(sch, sch.get_loops(b).back()) : 0;
  vectorize_innermost(sch, b, lanes, masked, /*peel_tail=*/true);
  auto loops = sch.get_loops(b);
  bool vectorized = !loops.empty() && sch.loop_node(loops.back())->for_kind == ir::ForKind::kVectorized;
  size_t n = vectorized ? loops.size() - 1 : loops.size();
  // A row split into vectors with a guarded last one (29 = 16 + 13) keeps its loop over
  // vectors out of the parallel loop, where loop_partition can peel the last vector off as
  // a narrower one (masked, with AVX-512). Fused into the parallel loop, the guard would
  // depend on `fused % 2` on every vector and keep the whole row scalar.
  if (vectorized && loops.size() == before + 1 && n >= 2 && row % extent_of(sch, loops.back()) != 0) --n;
  if (n > 0) parallelize_outer(sch, b, n);
}

// Whether block `b`'s nest has enough iterations to be worth a parallel loop: waking the
// pool's threads and waiting for them costs microseconds, more than a nest of a few
// thousand elements takes on one thread (a batch-norm kernel's per-channel statistics:
// eleven parallel loops, seven of them over 64 values).
bool worth_parallel(IRSchedule& sch, BlockRV b) {
  constexpr int64_t kMinParallelWork = 16384;
  int64_t work = 1;
  for (LoopRV l : sch.get_loops(b)) {
    int64_t e = extent_of(sch, l);
    if (e < 0) return true;  // symbolic extent
    work *= e;
    if (work >= kMinParallelWork) return true;
  }
  return false;
}

void parallelize_outer(IRSchedule& sch, BlockRV b, size_t n) {
  auto loops = sch.get_loops(b);
  if (loops.empty() || !worth_parallel(sch, b)) return;
  n = std::min(n, loops.size());
  if (n > 1) {
    std::vector<LoopRV> lead(loops.begin(), loops.begin() + n);
    if (!attempt([&] { loops[0] = sch.fuse(lead); })) n = 1;
  }
  attempt([&] { sch.parallel(loops[0]); });
}

bool schedule_row_reduction(IRSchedule& sch, BlockRV b, int lanes, bool masked);
bool schedule_column_reduction(IRSchedule& sch, BlockRV b, int lanes);

// A matmul block (batch..., i, j | k...): an mr x nr register tile of outputs (nr along j,
// vectorized) accumulated over the reduction, the batch loops and j's tiles fused and
// parallel. A single reduce loop of more than one iteration is split into steps of kc;
// with several (a convolution's weight gradient over n, y, x) all run inside the tile.
// `ns`: the number of leading spatial loops (-1: the block's spatial iter vars).
//
// `tile`, when given, receives the loop around the register tile after which the tile's
// results are final (none when the reduction is split outside it): elementwise epilogues
// are computed there, on the tile just written (see schedule_x86).
// `panel`, when given, is set to the tile width nr where the outermost loop of the result is
// the parallel loop over column panels of nr columns (the batch loops fused with them), j
// divisible by nr; else to 0.
void schedule_matmul(IRSchedule& sch, BlockRV b, int lanes, bool masked, const X86TileParams& p, int ns_loops = -1,
                     std::optional<LoopRV>* tile = nullptr, int64_t* panel = nullptr) {
  if (panel) *panel = 0;
  auto loops = sch.get_loops(b);
  size_t ns = ns_loops >= 0 ? static_cast<size_t>(ns_loops)
                            : std::min<size_t>(num_spatial(sch.block_node(b)), loops.size());
  if (ns < 2 || ns >= loops.size()) return;
  size_t nb = ns - 2;
  LoopRV i = loops[nb], j = loops[nb + 1];
  std::vector<LoopRV> ks(loops.begin() + static_cast<std::ptrdiff_t>(ns), loops.end());
  int64_t nr = p.matmul_nr > 0 ? p.matmul_nr : 2 * lanes;
  int64_t mr = p.matmul_mr > 0 ? p.matmul_mr : 8;
  int64_t kc = p.matmul_kc > 0 ? p.matmul_kc : 256;
  // Without tile parameters: one vector of columns when j has too few for two; rows in
  // tiles of a divisor of i's extent from 8 down to 4 where one exists (21 -> 7), else a
  // guarded tail.
  int64_t ie = extent_of(sch, i), je = extent_of(sch, j);
  if (p.matmul_nr <= 0 && je < nr && je % lanes == 0) nr = lanes;
  if (p.matmul_mr <= 0 && ie >= mr && ie % mr != 0) {
    for (int64_t d = mr - 1; d >= 4; --d) {
      if (ie % d == 0) {
        mr = d;
        break;
      }
    }
  }
  if (je < nr || ie < mr) {
    // Too few rows or columns for a register tile (a matrix-vector product, a linear
    // layer at batch 1): a dot product per output, vectorized along k, when both operands
    // are contiguous along k (x @ W^T); otherwise vectors of outputs along j accumulated
    // over k, reading rows of the right operand.
    const ir::ScheduleBlock* node = sch.block_node(b);
    bool done = reduces_rows(node) ? schedule_row_reduction(sch, b, lanes, masked)
                                   : schedule_column_reduction(sch, b, lanes);
    if (!done) parallelize_outer(sch, b, nb + 1);
    return;
  }
  // The reduce loop to split by kc: the only one of more than one iteration.
  int long_k = -1;
  for (size_t t = 0; t < ks.size(); ++t) {
    if (extent_of(sch, ks[t]) > 1) long_k = long_k == -1 ? static_cast<int>(t) : -2;
  }
  // The parallel loop: the batch loops fused with the column tiles. Not with the column
  // tiles when j has a tail and there are batch loops: in a fused loop the tail's guard is
  // no longer linear in a loop variable, no loop partition peels it, and the whole vector
  // loop stays guarded (scalar). With fewer than kMinTasks parallel iterations (a 1x1
  // convolution over 7x7 positions: 2 column tiles) threads would idle: then the row
  // tiles are parallel (after the batch loops, outside the column tiles), and k is not
  // blocked unless matmul_kc says so (the right operand, a few columns wide, stays in
  // cache).
  constexpr int64_t kMinTasks = 8;
  bool cols_parallel = je % nr == 0 || nb == 0;
  int64_t tasks = cols_parallel ? (je + nr - 1) / nr : 1;
  for (size_t t = 0; t < nb; ++t) tasks *= extent_of(sch, loops[t]);
  bool rows_parallel = tasks < kMinTasks;
  attempt([&] {
    auto io = sch.split(i, {-1, mr});
    auto jo = sch.split(j, {-1, nr});
    std::vector<LoopRV> ko;
    bool block_k = !rows_parallel || p.matmul_kc > 0;
    if (block_k && long_k >= 0 && extent_of(sch, ks[long_k]) > kc) ko = sch.split(ks[long_k], {-1, kc});
    std::vector<LoopRV> order = rows_parallel ? std::vector<LoopRV>{io[0], jo[0]} : std::vector<LoopRV>{jo[0]};
    if (!ko.empty()) order.push_back(ko[0]);
    // Several reduce loops (a weight gradient's n, y, x): the outer ones go outside the row
    // tiles, keeping inner ones of at least kMinInner iterations inside (accumulators are
    // loaded and stored once per pass over them), so the operand rows read for one (n, y)
    // serve every row tile from L1 instead of each tile streaming all positions from
    // memory. Measured on ResNet weight gradients: 0-15% faster, not slower at 7x7.
    constexpr int64_t kMinInner = 16;
    size_t outer_ks = 0;
    if (!rows_parallel && ks.size() > 1) {
      int64_t inner = 1;
      outer_ks = ks.size();
      while (outer_ks > 0 && inner < kMinInner) inner *= extent_of(sch, ks[--outer_ks]);
    }
    order.insert(order.end(), ks.begin(), ks.begin() + static_cast<std::ptrdiff_t>(outer_ks));
    if (!rows_parallel) order.push_back(io[0]);
    for (size_t t = outer_ks; t < ks.size(); ++t) {
      order.push_back(!ko.empty() && static_cast<int>(t) == long_k ? ko[1] : ks[t]);
    }
    order.push_back(io[1]);
    order.push_back(jo[1]);
    sch.reorder(order);
    sch.unroll(io[1]);
    sch.vectorize(jo[1]);
    if (tile && ko.empty() && outer_ks == 0) *tile = rows_parallel ? jo[0] : io[0];
    std::vector<LoopRV> outer(loops.begin(), loops.begin() + static_cast<std::ptrdiff_t>(nb));
    if (rows_parallel) {
      outer.push_back(io[0]);
    } else if (cols_parallel) {
      outer.push_back(jo[0]);
    }
    LoopRV par = outer.size() > 1 ? sch.fuse(outer) : outer[0];
    sch.parallel(par);
    if (panel && !rows_parallel && cols_parallel && je % nr == 0) *panel = nr;
  });
}

// The weights w[f, c, r, s] that block (n, f, y, x | c, r, s) reads by its iter vars, or
// nullptr: a convolution, not another nest of 4 spatial and 3 reduce loops (a depthwise
// weight gradient's dot products).
const ir::Load* conv_weights(const ir::ScheduleBlock* node) {
  const auto& iv = node->iter_vars;
  const ir::Load* found = nullptr;
  ir::post_order_visit(node->body, [&](const ir::IRNode* n) {
    if (n->kind() != ir::NodeKind::kLoad) return;
    const auto* l = static_cast<const ir::Load*>(n);
    if (l->indices.size() == 4 && l->indices[0].same_as(iv[1].var) && l->indices[1].same_as(iv[4].var) &&
        l->indices[2].same_as(iv[5].var) && l->indices[3].same_as(iv[6].var)) {
      found = l;
    }
  });
  return found;
}

// A direct NCHW convolution block (n, f, y, x | c, r, s): a register tile of `fr` output
// channels by `yr` output rows by an x-vector, accumulated over the whole reduction (c, r, s
// outside the tile), the leading spatial loops fused and parallel. The vector width is the
// largest divisor of the output width up to two vectors, so no tail is needed.
bool schedule_conv(IRSchedule& sch, BlockRV b, int lanes, const X86TileParams& p,
                   std::optional<LoopRV>* tile) {
  auto loops = sch.get_loops(b);
  const ir::ScheduleBlock* node = sch.block_node(b);
  if (loops.size() != 7 || num_spatial(node) != 4 || !conv_weights(node)) return false;
  LoopRV n = loops[0], f = loops[1], y = loops[2], x = loops[3];
  int64_t xe = extent_of(sch, x), fe = extent_of(sch, f), ye = extent_of(sch, y);
  if (xe < 2 || fe < 1) return false;
  int64_t xv = 1;
  for (int64_t d = std::min<int64_t>(xe, lanes); d >= 2; --d) {
    if (xe % d == 0) {
      xv = d;
      break;
    }
  }
  // The tile: per tap, yr row vectors are loaded and fr weights broadcast for fr * yr
  // FMAs into as many accumulators. Fewer broadcasts per FMA is faster (broadcast loads
  // bound the loop): 8 channels by 2 rows (10 loads per 16 FMAs) reaches 345 GF/s on a
  // 3x3, 64-channel convolution at 28x28 where 16 channels by one row (17 loads) reaches
  // 295 (Zen 5, 2 threads, peak 440). A row shorter than half a vector (7x7 maps) takes
  // all of a short map's rows by 2 channels (7 x 2 accumulators): 16% faster than 16
  // channels by one row. A 1x1 window (when the matmul form does not apply) keeps one row
  // by 8 channels; longer rows one row by 4.
  int64_t taps = extent_of(sch, loops[5]) * extent_of(sch, loops[6]);
  auto divides = [](int64_t d, int64_t e) { return e % d == 0; };
  int64_t fr = 1, yr = 1;
  if (xv > lanes) {
    fr = divides(4, fe) ? 4 : divides(2, fe) ? 2 : 1;
  } else if (taps > 1 && 2 * xv > lanes && divides(8, fe) && divides(2, ye)) {
    fr = 8, yr = 2;
  } else if (taps > 1 && 2 * xv <= lanes && ye <= 8 && divides(2, fe)) {
    fr = 2, yr = ye;
  } else if (taps > 1 && divides(16, fe)) {
    fr = 16;
  } else {
    fr = divides(8, fe) ? 8 : divides(4, fe) ? 4 : divides(2, fe) ? 2 : 1;
  }
  if (p.conv_xv > 0) xv = p.conv_xv;
  if (p.conv_fr > 0) fr = p.conv_fr;
  if (p.conv_yr > 0) yr = p.conv_yr;
  if (xe % xv != 0 || fe % fr != 0 || ye % yr != 0) return false;
  // Row blocks: the output rows of an image are cut into `yb` blocks whose input rows
  // (all channels) fit in a core's L2, and the parallel loop runs over (n, row block,
  // channel tile) with the rows of a block inside: a tile's weights stay in L1 across the
  // rows of its block, and at batch 1 the threads split an image by rows rather than each
  // reading all of it (by channel tiles: no gain from a second thread on a 3x3 convolution
  // of 64 channels at 56x56).
  int64_t row_bytes = extent_of(sch, loops[4]) * (xe + extent_of(sch, loops[6]) - 1) * 4;
  int64_t tiles_y = ye / yr, yb = 1;
  constexpr int64_t kRowBlockBytes = 256 << 10;
  while (yb < tiles_y && (tiles_y % yb != 0 || tiles_y / yb * yr * row_bytes > kRowBlockBytes)) ++yb;
  return attempt([&] {
    std::vector<LoopRV> xs = {x}, fs = {f};
    if (xv > 1 && xv < xe) xs = sch.split(x, {-1, xv});
    if (fr > 1 && fr < fe) fs = sch.split(f, {-1, fr});
    std::vector<LoopRV> ys = sch.split(y, {yb, tiles_y / yb, yr});
    std::vector<LoopRV> order = {n, ys[0], fs[0], ys[1]};
    if (xs.size() == 2) order.push_back(xs[0]);
    order.insert(order.end(), {loops[4], loops[5], loops[6]});
    if (fs.size() == 2) order.push_back(fs[1]);
    order.push_back(ys[2]);
    order.push_back(xs.back());
    sch.reorder(order);
    if (fs.size() == 2) sch.unroll(fs[1]);
    if (yr > 1) sch.unroll(ys[2]);
    if (xv > 1) sch.vectorize(xs.back());
    sch.parallel(sch.fuse({n, ys[0], fs[0]}));
    *tile = xs.size() == 2 ? xs[0] : ys[1];
  });
}

// A direct NCHW convolution block (n, f, y, x | c, r, s) whose output rows do not fill
// vectors (28 wide: 14 of 16 lanes; 56 alike), vectorized along output channels instead: a
// register tile of `fr` vectors of output channels by `xr` output columns (2 vectors by 7:
// 14 accumulators; per tap and input channel 2 weight vectors and 7 input broadcasts for 14
// FMAs, the broadcasts shared between the taps of a row). The weights are copied first into
// [c, r, s, f] (cache_read and layout_transform, so a tile's weight vectors are
// contiguous), input channels run in blocks whose weights stay in L1, and the tile
// accumulates into a channels-last copy of the output (cache_write, [n, y, x, f]: each
// accumulator is one contiguous vector LLVM keeps in a register), which is transposed back
// into the NCHW output after each output row (a copy block reverse_compute_at the row:
// unrolled strided stores that codegen_llvm turns into a register transpose). Needs output
// channels in multiples of a vector. `tile` receives the loop after which the output is final.
bool schedule_conv_channels(IRSchedule& sch, BlockRV b, int lanes, const X86TileParams& p,
                            std::optional<LoopRV>* tile) {
  auto loops = sch.get_loops(b);
  const ir::ScheduleBlock* node = sch.block_node(b);
  if (loops.size() != 7 || num_spatial(node) != 4 || p.conv_xv > 0 || p.conv_fr > 0 || p.conv_yr > 0) return false;
  const ir::Load* w = conv_weights(node);
  if (!w || node->writes.size() != 1 || w->buffer.dtype().bytes() != 4) return false;
  // Every other load (the input) must not depend on the output channel: a grouped
  // convolution's input channel does, and would be gathered along the vector.
  bool per_channel_input = false;
  ir::post_order_visit(node->body, [&](const ir::IRNode* m) {
    if (m->kind() != ir::NodeKind::kLoad || m == w) return;
    const auto* l = static_cast<const ir::Load*>(m);
    if (l->buffer.same_as(node->writes[0].buffer)) return;
    for (const Expr& e : l->indices) per_channel_input = per_channel_input || ir::uses_any_var(e, {node->iter_vars[1].var});
  });
  if (per_channel_input) return false;
  int64_t fe = extent_of(sch, loops[1]), xe = extent_of(sch, loops[3]);
  int64_t taps = extent_of(sch, loops[5]) * extent_of(sch, loops[6]);
  if (fe % lanes != 0 || xe % lanes == 0 || xe < 4 || taps < 2) return false;
  // Only where the output has enough positions per weight to pay for the weight copy (a
  // gather per element) and the tiles of a row: rows of 28 or more and at least 3136
  // positions (measured on Zen 5, 2 threads: 3x3, 64 channels at 8x28x28 1.27 -> 1.18 ms,
  // 1x56x56 0.82 -> 0.72; at 8x14x14 and 1x28x28, 6-11% slower than the row tile, and
  // 1x256x14x14 3x slower, the copy of 590K weights dominating).
  int64_t positions = extent_of(sch, loops[0]) * extent_of(sch, loops[2]) * xe;
  if (xe < 28 || positions < 3136) return false;
  // Columns per tile: the widest divisor of the row up to 8 with two channel vectors (16
  // accumulators; 14 columns, 28 accumulators, made LLVM spill), up to 14 with one.
  int64_t fr = fe % (2 * lanes) == 0 ? 2 : 1;
  int64_t xr = 0;
  for (int64_t d = std::min<int64_t>(xe, fr == 2 ? 8 : 14); d >= 4 && !xr; --d) {
    if (xe % d == 0) xr = d;
  }
  if (!xr) return false;
  std::string wname = w->buffer.name(), oname = node->writes[0].buffer.name();
  return attempt_all(sch, [&](IRSchedule& s) {
    BlockRV wcopy = s.cache_read(b, wname, ir::MemoryScope::kGlobal);
    std::string wp = s.block_node(wcopy)->writes[0].buffer.name();
    Expr f = ir::Var::make("f"), c = ir::Var::make("c"), r = ir::Var::make("r"), q = ir::Var::make("q");
    s.layout_transform(wp, {f, c, r, q}, {c, r, q, f});
    BlockRV ocopy = s.cache_write(b, oname, ir::MemoryScope::kGlobal);
    std::string op = s.block_node(b)->writes[0].buffer.name();
    Expr n = ir::Var::make("n"), y = ir::Var::make("y"), x = ir::Var::make("x");
    s.layout_transform(op, {n, f, y, x}, {n, y, x, f});
    auto ls = s.get_loops(b);
    auto fs = s.split(ls[1], {-1, fr, lanes});
    auto xs = s.split(ls[3], {-1, xr});
    // Input channels in blocks whose weights (kc channels x taps x fr vectors) stay in L1
    // across the row's tiles; the accumulators are reloaded per block.
    int64_t ce = extent_of(s, ls[4]);
    int64_t kc = std::max<int64_t>(1, (16 << 10) / (taps * fr * lanes * 4));
    while (kc > 1 && ce % kc != 0) --kc;
    std::vector<LoopRV> cs = kc < ce ? s.split(ls[4], {-1, kc}) : std::vector<LoopRV>{ls[4]};
    std::vector<LoopRV> order = {ls[0], fs[0], ls[2]};
    if (cs.size() == 2) order.push_back(cs[0]);
    order.insert(order.end(), {xs[0], cs.back(), ls[5], ls[6], xs[1], fs[1], fs[2]});
    s.reorder(order);
    s.unroll(xs[1]);
    if (fr > 1) s.unroll(fs[1]);
    s.vectorize(fs[2]);
    // The transpose back, per output row of the tile's channels: loops (f, x) of the region.
    s.reverse_compute_at(ocopy, cs.size() == 2 ? ls[2] : xs[0]);
    auto cl = s.get_loops(ocopy);
    size_t d = cs.size() == 2 ? 3 : 4;  // the loops the copy shares with the tile: n, fo, y(, xo)
    std::vector<LoopRV> own(cl.begin() + static_cast<std::ptrdiff_t>(d), cl.end());
    LoopRV cf, cx;
    int found = 0;
    for (LoopRV l : own) {
      int64_t e = extent_of(s, l);
      if (e == fr * lanes && !(found & 1)) cf = l, found |= 1;
      else if (e == (cs.size() == 2 ? xe : xr) && !(found & 2)) cx = l, found |= 2;
    }
    if (found != 3) CINN_THROW(ScheduleError) << "conv channel tile: unexpected write-back loops";
    auto cfs = s.split(cf, {-1, lanes});
    s.reorder({cfs[0], cx, cfs[1]});
    s.unroll(cx);
    s.vectorize(cfs[1]);
    LoopRV par = s.fuse({ls[0], fs[0], ls[2]});
    s.parallel(par);
    *tile = cs.size() == 2 ? par : xs[0];
    // The weight copy: its own nest (a transposing copy).
    schedule_spatial(s, wcopy, lanes, true);
  });
}

// A 1x1 convolution block (n, f, y, x | c, r, s) with r, s of one iteration whose accesses
// read (y, x) as one run (stride 1, no padding) is a matmul per image, w[f, c] @ x[c, y x]:
// y and x fuse into one loop of positions and the matmul's register tile (8 channels by
// 32 positions, accumulated over c) replaces the conv tile, whose row vector is only as
// wide as the image (7 at 7x7). Needs a tile's worth of channels and positions.
bool schedule_pointwise_conv(IRSchedule& sch, BlockRV b, int lanes, bool masked, const X86TileParams& p,
                             std::optional<LoopRV>* tile) {
  auto loops = sch.get_loops(b);
  const ir::ScheduleBlock* node = sch.block_node(b);
  if (loops.size() != 7 || num_spatial(node) != 4 || !conv_weights(node)) return false;
  if (extent_of(sch, loops[5]) != 1 || extent_of(sch, loops[6]) != 1) return false;
  if (p.conv_xv > 0 || p.conv_fr > 0 || p.conv_yr > 0) return false;  // conv tile parameters: the conv tile
  if (extent_of(sch, loops[1]) < 8 || extent_of(sch, loops[2]) * extent_of(sch, loops[3]) < 2 * lanes) {
    return false;
  }
  if (!indexed_as_run(sch, b, {loops[2], loops[3]})) return false;
  return attempt([&] {
    sch.fuse({loops[2], loops[3]});
    schedule_matmul(sch, b, lanes, masked, p, 3, tile);
  });
}

// Whether a reduction block reads its input along the reduction (row: the last index of some
// input is a reduce iter var) or across it (column: every input's last index is the
// innermost spatial iter var, e.g. a sum over axis 0).
bool reads_columns(const ir::ScheduleBlock* node) {
  int ns = num_spatial(node);
  if (ns == 0) return false;
  const ir::Var* last_spatial = node->iter_vars[ns - 1].var.as<ir::Var>();
  std::set<const ir::Var*> reduce_vars;
  for (const auto& iv : node->iter_vars) {
    if (iv.is_reduce()) reduce_vars.insert(iv.var.as<ir::Var>());
  }
  std::string out = node->writes.empty() ? "" : node->writes[0].buffer.name();
  int column = 0, row = 0;
  ir::post_order_visit(node->body, [&](const ir::IRNode* n) {
    if (n->kind() != ir::NodeKind::kLoad) return;
    const auto* load = static_cast<const ir::Load*>(n);
    if (load->buffer.name() == out || load->indices.empty()) return;
    const ir::Var* v = load->indices.back().as<ir::Var>();
    if (v && v == last_spatial) {
      ++column;
    } else if (v && reduce_vars.count(v)) {
      ++row;
    }
  });
  return column > 0 && row == 0;
}

// Column strategy: the reduction loops move outside a tile of `u` vectors of outputs along
// the innermost spatial loop, so each output vector accumulates in a register over the whole
// reduction and every input row is read contiguously; the init gets its own nest.
bool schedule_column_reduction(IRSchedule& sch, BlockRV b, int lanes) {
  auto loops = sch.get_loops(b);
  size_t ns = num_spatial(sch.block_node(b));
  if (ns == 0 || ns >= loops.size()) return false;
  int64_t e = extent_of(sch, loops[ns - 1]);
  int64_t w = dividing_vector(e, lanes);
  if (w == 0) return false;
  int64_t u = (e / w) % 4 == 0 ? 4 : (e / w) % 2 == 0 ? 2 : 1;
  return attempt([&] {
    auto js = sch.split(loops[ns - 1], {-1, u, w});
    std::vector<LoopRV> order(loops.begin(), loops.begin() + ns - 1);
    order.push_back(js[0]);
    order.insert(order.end(), loops.begin() + ns, loops.end());
    order.push_back(js[1]);
    order.push_back(js[2]);
    sch.reorder(order);
    sch.unroll(js[1]);
    sch.vectorize(js[2]);
    BlockRV init = sch.decompose_reduction(b, loops[ns]);
    auto init_loops = sch.get_loops(init);
    sch.vectorize(init_loops.back());
    std::vector<LoopRV> outer(loops.begin(), loops.begin() + ns - 1);
    outer.push_back(js[0]);
    LoopRV par = outer.size() > 1 ? sch.fuse(outer) : outer[0];
    if (worth_parallel(sch, b)) sch.parallel(par);
  });
}

// How many trailing spatial loops of reduction block `b` (of `ns`) to run inside its
// reduction loops, all their outputs accumulated in one pass: short loops (at most kMaxTaps
// outputs, a window's 3 x 3 taps) where some operand does not depend on them, so each of
// its reads serves every output (a depthwise weight gradient's dy, read once for nine taps
// instead of nine times) and the outputs' accumulators are independent chains. At least one
// spatial loop stays outside. 0 if none.
size_t shared_operand_taps(IRSchedule& sch, BlockRV b, size_t ns) {
  constexpr int64_t kMaxTaps = 16;
  auto loops = sch.get_loops(b);
  if (ns < 2 || ns > loops.size()) return 0;
  const ir::ScheduleBlock* node = sch.block_node(b);
  size_t taps = 0;
  int64_t outputs = 1;
  std::vector<Expr> vars;
  while (taps + 1 < ns) {
    LoopRV l = loops[ns - 1 - taps];
    int64_t e = extent_of(sch, l);
    if (e <= 0 || outputs * e > kMaxTaps) break;
    const ir::IterVar* iv = bound_iter_var(sch, b, l);
    if (!iv || iv->is_reduce()) break;
    outputs *= e;
    vars.push_back(iv->var);
    ++taps;
  }
  if (outputs < 2) return 0;
  std::string out = node->writes.empty() ? "" : node->writes[0].buffer.name();
  bool shared = false;
  ir::post_order_visit(node->body, [&](const ir::IRNode* n) {
    if (n->kind() != ir::NodeKind::kLoad) return;
    const auto* load = static_cast<const ir::Load*>(n);
    if (load->buffer.name() == out) return;
    bool uses = false;
    for (const Expr& i : load->indices) uses = uses || ir::uses_any_var(i, vars);
    shared = shared || !uses;
  });
  return shared ? taps : 0;
}

// Row strategy: the spatial loops are fused and parallel; inside them the innermost
// reduction loop is split by a vector and rfactored into per-lane partial results, and the
// final reduction over the lanes follows in the same parallel iteration. Short trailing
// spatial loops with a shared operand (shared_operand_taps) run inside the reduction,
// unrolled.
bool schedule_row_reduction(IRSchedule& sch, BlockRV b, int lanes, bool masked) {
  size_t ns = num_spatial(sch.block_node(b));
  if (ns == 0 || ns >= sch.get_loops(b).size()) return false;
  // Rows shorter than a multiple of the vector (56 of a 56x56 plane, the 2 of [n, 4096, 2])
  // fuse with the reduce loop around them where every access reads the two as one run (h,
  // w of NCHW; not a window's rows).
  for (auto l = sch.get_loops(b); l.size() >= ns + 2 && extent_of(sch, l.back()) % lanes != 0;
       l = sch.get_loops(b)) {
    std::vector<LoopRV> pair = {l[l.size() - 2], l.back()};
    if (!indexed_as_run(sch, b, pair) || !attempt([&] { sch.fuse(pair); })) break;
  }
  // Up to 4 vectors of partial sums: independent accumulators hide the add latency. A
  // narrower vector that divides the extent beats a guarded (scalar) tail. With masked
  // vectors, a row shorter than a vector is one masked vector when other reduce loops run
  // around it (a depthwise weight gradient's rows of 14 or 7: 3-8x faster than scalars).
  // Rows longer than a vector keep the narrower unmasked one (rows of 56: 8 lanes measured
  // 2x faster than 14 masked; of 28: 4 lanes 1.2x faster than 14).
  auto loops = sch.get_loops(b);
  int64_t e = extent_of(sch, loops.back());
  int64_t around = 1;
  for (size_t t = ns; t + 1 < loops.size(); ++t) around *= std::max<int64_t>(extent_of(sch, loops[t]), 1);
  int64_t width = lanes;
  if (int64_t w = dividing_vector(e, lanes); e % lanes != 0 && w > 0) width = w;
  if (e < lanes) width = masked && e >= 4 && around >= 4 ? e : 0;
  if (width == 0) return false;
  size_t taps = shared_operand_taps(sch, b, ns);
  size_t nred = loops.size() - ns;
  parallelize_outer(sch, b, ns - taps);
  for (int64_t w : {4 * lanes, 2 * lanes}) {
    if (e % w == 0) {
      width = w;
      break;
    }
  }
  BlockRV rf;
  bool factored = attempt([&] { rf = rfactor_vectorized(sch, b, width); });
  if (!factored) return true;
  attempt([&] { sch.reverse_compute_at(b, sch.get_loops(rf)[0]); });
  if (taps > 0) {
    // rf's loops: [outer..., taps..., reduce... (nred + 1, the vector last)]. The init
    // ahead of the taps, then the taps moved inside the reduce loops, around the vector.
    bool inside = attempt_all(sch, [&](IRSchedule& s) {
      auto l = s.get_loops(rf);
      size_t first = l.size() - (nred + 1) - taps;
      BlockRV init = s.decompose_reduction(rf, l[first]);
      s.vectorize(s.get_loops(init).back());
      std::vector<LoopRV> order(l.begin() + static_cast<std::ptrdiff_t>(first + taps), l.end() - 1);
      order.insert(order.end(), l.begin() + static_cast<std::ptrdiff_t>(first),
                   l.begin() + static_cast<std::ptrdiff_t>(first + taps));
      order.push_back(l.back());
      s.reorder(order);
      for (size_t t = first; t < first + taps; ++t) s.unroll(l[t]);
    });
    if (inside) return true;
  }
  // The partial results' init as its own vector store ahead of the reduction loops.
  attempt([&] {
    BlockRV init = sch.decompose_reduction(rf, sch.get_loops(rf)[1]);
    sch.vectorize(sch.get_loops(init).back());
  });
  return true;
}

// An update at data-dependent positions (update_loops, a scatter-add): the innermost loop
// that indexes the store directly (an embedding row) split by a vector, its outer part and
// the other such loops fused and parallel outside the serial loops (the indices), the
// vector innermost: each thread adds its columns of every update, in order.
bool schedule_update(IRSchedule& sch, BlockRV b, int lanes) {
  std::vector<LoopRV> parallel, serial;
  if (!update_loops(sch, b, &parallel, &serial)) return false;
  return attempt([&] {
    LoopRV row = parallel.back();
    int64_t w = dividing_vector(extent_of(sch, row), lanes);
    std::vector<LoopRV> outer(parallel.begin(), parallel.end() - 1), inner;
    if (w > 1) {
      auto parts = sch.split(row, {-1, w});
      outer.push_back(parts[0]);
      inner.push_back(parts[1]);
    } else {
      outer.push_back(row);
    }
    std::vector<LoopRV> order = outer;
    order.insert(order.end(), serial.begin(), serial.end());
    order.insert(order.end(), inner.begin(), inner.end());
    sch.reorder(order);
    LoopRV par = outer.size() > 1 ? sch.fuse(outer) : outer[0];
    if (worth_parallel(sch, b)) sch.parallel(par);
    if (!inner.empty()) sch.vectorize(inner[0]);
  });
}

// The loop of `b` whose variable the innermost index of `indices` reads (alone: `x`, `x - 1`,
// max(min(x - 1, 27), 0)), if any.
std::optional<LoopRV> loop_of_last_index(IRSchedule& sch, BlockRV b, const std::vector<Expr>& indices) {
  if (indices.empty()) return std::nullopt;
  const ir::ScheduleBlock* node = sch.block_node(b);
  std::vector<Expr> values = sch.block_iter_values(b);
  std::vector<LoopRV> loops = sch.get_loops(b);
  std::optional<LoopRV> found;
  int vars = 0;
  ir::post_order_visit(indices.back(), [&](const ir::IRNode* m) {
    if (m->kind() != ir::NodeKind::kVar) return;
    ++vars;
    for (size_t t = 0; t < node->iter_vars.size() && t < values.size(); ++t) {
      if (node->iter_vars[t].var.get() != m) continue;
      for (LoopRV l : loops) {
        if (values[t].same_as(sch.loop_var(l))) found = l;
      }
    }
  });
  return vars == 1 ? found : std::nullopt;
}

// The width of a transposing copy's vector loads along a loop of `extent` (it divides it):
// the widest up to one vector, at least 4, a power of two unless masked moves are cheap;
// 0 if there is none.
int64_t transpose_load_width(int64_t extent, int lanes, bool masked) {
  for (int64_t d = std::min<int64_t>(extent, lanes); d >= 4; --d) {
    if (extent % d == 0 && (masked || (d & (d - 1)) == 0)) return d;
  }
  return 0;
}

// Tiles a transposing copy for a transpose in registers: the store's loop (position `po`
// in b's loops, a multiple of `lanes`) split by a vector and unrolled, the load's loop
// (position `pi`) split by `w` and vectorized innermost; the loops from position `first`
// on are reordered (those before it, shared with other nests, stay). Returns the tile
// loops outside the vector pair: [in outer (when split), out outer].
std::vector<LoopRV> transpose_in_registers(IRSchedule& s, BlockRV b, size_t first, size_t pi, size_t po, int lanes,
                                           int64_t w) {
  auto ls = s.get_loops(b);
  int64_t ie = extent_of(s, ls[pi]);
  auto os = s.split(ls[po], {-1, lanes});
  std::vector<LoopRV> is = w < ie ? s.split(ls[pi], {-1, w}) : std::vector<LoopRV>{ls[pi]};
  std::vector<LoopRV> order;
  for (size_t t = first; t < ls.size(); ++t) {
    if (t != pi && t != po) order.push_back(ls[t]);
  }
  std::vector<LoopRV> tiles;
  if (is.size() == 2) tiles.push_back(is[0]);
  tiles.push_back(os[0]);
  order.insert(order.end(), tiles.begin(), tiles.end());
  order.push_back(os[1]);
  order.push_back(is.back());
  s.reorder(order);
  s.unroll(os[1]);
  s.vectorize(is.back());
  return tiles;
}

// A transposing copy (a staging block: a matmul's packed operand, a convolution input
// staged channels-last) whose load runs along one loop and whose store along another: the
// load's loop is vectorized (contiguous reads; a zero-padded read is a masked load) and the
// store's loop is split by a vector and unrolled just outside it. The unrolled copies then
// store vectors at consecutive bases with a common stride, which codegen_llvm turns into a
// transpose in registers and contiguous stores (a gather per vector costs about 45 cycles on
// Zen 5; the shuffles a few). The loops outside the pair are parallel; with none (a
// matrix), the pair's tile loops.
bool schedule_transpose(IRSchedule& sch, BlockRV b, int lanes, bool masked) {
  const ir::ScheduleBlock* node = sch.block_node(b);
  const ir::Load* load = nullptr;
  int loads = 0;
  ir::post_order_visit(node->body, [&](const ir::IRNode* m) {
    if (m->kind() != ir::NodeKind::kLoad) return;
    ++loads;
    load = static_cast<const ir::Load*>(m);
  });
  const auto* store = node->body.as<ir::Store>();
  if (loads != 1 || !store || load->buffer.dtype().bytes() != 4) return false;
  auto in = loop_of_last_index(sch, b, load->indices);
  auto out = loop_of_last_index(sch, b, store->indices);
  if (!in || !out || sch.loop_node(*in) == sch.loop_node(*out) || extent_of(sch, *out) % lanes != 0) return false;
  int64_t w = transpose_load_width(extent_of(sch, *in), lanes, masked);
  if (!w) return false;
  auto loops = sch.get_loops(b);
  auto position = [&](LoopRV l) {
    size_t p = 0;
    while (p < loops.size() && sch.loop_node(loops[p]) != sch.loop_node(l)) ++p;
    return p;
  };
  size_t pi = position(*in), po = position(*out);
  return attempt_all(sch, [&](IRSchedule& s) {
    auto ls = s.get_loops(b);
    std::vector<LoopRV> others;
    for (size_t t = 0; t < ls.size(); ++t) {
      if (t != pi && t != po) others.push_back(ls[t]);
    }
    std::vector<LoopRV> tiles = transpose_in_registers(s, b, 0, pi, po, lanes, w);
    if (!worth_parallel(s, b)) return;
    const std::vector<LoopRV>& par = others.empty() ? tiles : others;
    s.parallel(par.size() > 1 ? s.fuse(par) : par[0]);
  });
}

// A matmul's transposed right operand (the staging block `pack`, [.., k, n] = w[.., n, k])
// packed one column panel at a time, inside the matmul's parallel loop over panels of `nr`
// columns (like a BLAS packing routine): each thread transposes the nr x K rows of its
// panel while they are in its cache, in registers (transpose_in_registers), into a
// panel-major buffer [.., n / nr, k, n % nr] that the micro-kernel then reads
// contiguously from L2. Packing the whole operand in its own nest first streams it
// through memory twice more. Measured on nn.Linear shapes: 1.1-2.6x. Only where the
// operand has the product's batch dimensions: a weight shared by the batch (x[b, m, k] @
// W[n, k]^T) would be packed again, concurrently, by every batch iteration of its panel.
bool pack_per_panel(IRSchedule& sch, BlockRV pack, BlockRV matmul, int64_t nr, int lanes, bool masked) {
  const ir::Buffer& buffer = sch.block_node(pack)->writes[0].buffer;
  const ir::Buffer& product = sch.block_node(matmul)->writes[0].buffer;
  if (buffer.ndim() != product.ndim()) return false;
  for (int d = 0; d + 2 < buffer.ndim(); ++d) {
    const int64_t* a = ir::as_const_int(buffer.shape()[d]);
    const int64_t* b = ir::as_const_int(product.shape()[d]);
    if (!a || !b || *a != *b) return false;
  }
  int64_t k = extent_of(sch, sch.get_loops(pack)[buffer.ndim() - 2]);
  int64_t w = k > 0 ? transpose_load_width(k, lanes, masked) : 0;
  if (!w || nr % lanes != 0) return false;
  std::string name = buffer.name();
  int ndim = buffer.ndim();
  return attempt_all(sch, [&](IRSchedule& s) {
    s.compute_at(pack, s.get_loops(matmul)[0]);
    size_t n = s.get_loops(pack).size();
    transpose_in_registers(s, pack, n - 2, n - 2, n - 1, lanes, w);
    std::vector<Expr> vars, map;
    for (int d = 0; d < ndim; ++d) vars.push_back(ir::Var::make("d" + std::to_string(d), common::Int(64)));
    map.assign(vars.begin(), vars.end() - 2);
    map.push_back(ir::Div::make(vars.back(), Expr(nr)));
    map.push_back(vars[ndim - 2]);
    map.push_back(ir::Mod::make(vars.back(), Expr(nr)));
    s.layout_transform(name, vars, map);
  });
}

// Whether a block with two loads or more is read through a spread: by a consumer that
// loads it at a divided index, `(h - r) / s`, under a select on the remainder (`pad` with
// interior padding: a strided window's gradient interleaving its phases). Inlined there,
// every load of the block would be read through the spread and evaluated for every phase
// the consumer selects between; kept as a buffer, it is computed once with contiguous
// loads. (A reshape's divided indices have no such select, and inline as before.)
bool read_spread(IRSchedule& sch, const ir::ScheduleBlock* node) {
  if (node->writes.empty()) return false;
  int loads = 0;
  ir::post_order_visit(node->body, [&](const ir::IRNode* n) { loads += n->kind() == ir::NodeKind::kLoad; });
  if (loads < 2) return false;
  const ir::BufferNode* buffer = node->writes[0].buffer.get();
  auto contains = [](const Expr& e, ir::NodeKind kind) {
    bool found = false;
    ir::post_order_visit(e, [&](const ir::IRNode* m) { found = found || m->kind() == kind; });
    return found;
  };
  bool spread = false;
  ir::post_order_visit(sch.func()->body, [&](const ir::IRNode* n) {
    if (spread || n->kind() != ir::NodeKind::kSelect) return;
    const auto* select = static_cast<const ir::Select*>(n);
    if (!contains(select->condition, ir::NodeKind::kMod)) return;
    ir::post_order_visit(select->true_value, [&](const ir::IRNode* m) {
      if (spread || m->kind() != ir::NodeKind::kLoad) return;
      const auto* load = static_cast<const ir::Load*>(m);
      if (load->buffer.get() != buffer) return;
      for (const Expr& index : load->indices) spread = spread || contains(index, ir::NodeKind::kDiv);
    });
  });
  return spread;
}

}  // namespace

void schedule_x86(IRSchedule& sch, KernelKind kind, const common::Target& target,
                  const X86TileParams& params) {
  int lanes = std::max(4, target.vector_lanes(32));
  // Odd vector widths only where a masked move is one cheap instruction (AVX-512), not
  // with AVX's vmaskmov.
  bool masked = target.has_feature("avx512f");

  // 1. Inline intermediate spatial blocks into their consumers. Staging blocks of
  // matmul/conv (ir::kStagingAnnotation) stay: inlined padding would put selects and
  // clamped, gathering loads into the window loop; a packed operand would be read strided.
  auto is_staging = [](const ir::ScheduleBlock* node) {
    return node->annotations.count(ir::kStagingAnnotation) > 0;
  };
  inline_intermediates(sch, [&](const ir::ScheduleBlock* node) {
    return (kind == KernelKind::kOutFusible && is_staging(node)) || read_spread(sch, node);
  });
  std::vector<BlockRV> blocks = sch.get_all_blocks();
  if (blocks.empty()) return;

  if (kind == KernelKind::kOutFusible) {
    // Elementwise blocks after the matmul/conv (its epilogue: bias, activation, a residual,
    // a batch-norm gradient's terms) are computed inside the parallel loop, after each
    // register tile (reverse_compute_at the tile loop), on results still in L1, rather than
    // in a second pass over the whole output; where that does not apply, on their own.
    // A matmul's transposed operand (staging "transpose") waits for its matmul, to be
    // packed per column panel inside its parallel loop (pack_per_panel); otherwise, and
    // for the other staging blocks, it is a nest of its own.
    std::optional<LoopRV> tile;
    std::vector<BlockRV> packs;
    auto reads = [&](BlockRV b, BlockRV producer) {
      const ir::BufferNode* buffer = sch.block_node(producer)->writes[0].buffer.get();
      for (const auto& r : sch.block_node(b)->reads) {
        if (r.buffer.get() == buffer) return true;
      }
      return false;
    };
    for (BlockRV b : blocks) {
      const ir::ScheduleBlock* node = sch.block_node(b);
      if (is_reduction(node)) {
        bool outer_product = node->annotations.count(ir::kOuterProductAnnotation) > 0;
        if (outer_product || (!schedule_pointwise_conv(sch, b, lanes, masked, params, &tile) &&
                              !(masked && schedule_conv_channels(sch, b, lanes, params, &tile)) &&
                              !schedule_conv(sch, b, lanes, params, &tile))) {
          int64_t nr = 0;
          schedule_matmul(sch, b, lanes, masked, params, -1, &tile, &nr);
          for (auto it = packs.begin(); it != packs.end();) {
            bool packed = nr && reads(b, *it) && pack_per_panel(sch, *it, b, nr, lanes, masked);
            it = packed ? packs.erase(it) : it + 1;
          }
        }
      } else if (is_staging(node) && node->annotations.at(ir::kStagingAnnotation) == "transpose") {
        packs.push_back(b);
      } else if (is_staging(node)) {
        schedule_spatial(sch, b, lanes, masked);
      } else if (tile && attempt([&] { sch.reverse_compute_at(b, *tile); })) {
        vectorize_innermost(sch, b, lanes, masked);
      } else {
        schedule_spatial(sch, b, lanes, masked);
      }
    }
    for (BlockRV b : packs) schedule_spatial(sch, b, lanes, masked);
    return;
  }

  // 2. Kernels computed per outer iteration of their last block.
  BlockRV last = blocks.back();
  if (size_t depth = common_leading_depth(sch)) {
    // Leave the last block an inner loop to vectorize.
    depth = std::min(depth, sch.get_loops(last).size() - 1);
    if (compute_at_last(sch, depth)) {
      parallelize_outer(sch, last, depth);
      for (BlockRV b : sch.get_all_blocks()) vectorize_innermost(sch, b, lanes, masked);
      return;
    }
    blocks = sch.get_all_blocks();
  }

  // 3. Every nest on its own.
  for (BlockRV b : blocks) {
    if (schedule_update(sch, b, lanes)) continue;
    const ir::ScheduleBlock* node = sch.block_node(b);
    size_t n = sch.get_loops(b).size();
    size_t spatial = std::min<size_t>(num_spatial(node), n);
    if (is_reduction(node)) {
      bool done = reads_columns(node) ? schedule_column_reduction(sch, b, lanes)
                                      : schedule_row_reduction(sch, b, lanes, masked);
      if (!done) {
        parallelize_outer(sch, b, spatial);
        vectorize_innermost(sch, b, lanes, masked);
      }
    } else {
      schedule_spatial(sch, b, lanes, masked);
    }
  }
}

X86TileParams x86_tile_params(const ScheduleParams& params) {
  X86TileParams p;
  p.matmul_mr = schedule_param(params, "matmul_mr");
  p.matmul_nr = schedule_param(params, "matmul_nr");
  p.matmul_kc = schedule_param(params, "matmul_kc");
  p.conv_xv = schedule_param(params, "conv_xv");
  p.conv_fr = schedule_param(params, "conv_fr");
  p.conv_yr = schedule_param(params, "conv_yr");
  return p;
}

}  // namespace cinn::backends
