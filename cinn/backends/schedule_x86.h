// The default x86 schedule of a fused kernel (one LoweredFunc of the graph compiler).
#pragma once

#include "cinn/backends/backend.h"
#include "cinn/common/target.h"
#include "cinn/ir/schedule.h"

namespace cinn::backends {

// The parameters of the x86 templates: what the auto-scheduler samples (the x86 backend's
// tuning knobs of the same names). 0 means "derive from
// the shape and the target" (the defaults described below); an explicit value that does
// not fit the block (a conv vector that does not divide the output width, a matmul tile
// larger than the loop) makes that template skip, like any inapplicable step.
struct X86TileParams {
  // matmul: register tile of mr rows (unrolled) by nr columns (vectorized), k blocked by kc.
  int64_t matmul_mr = 0, matmul_nr = 0, matmul_kc = 0;
  // conv2d: output-row vector width (divides the output width) by conv_fr output channels
  // by conv_yr output rows.
  int64_t conv_xv = 0, conv_fr = 0, conv_yr = 0;
};

// Schedules `sch` in place:
//  - intermediate spatial blocks are inlined into their consumers;
//  - kernels whose last block is spatial and whose other blocks cover leading loops of it
//    (softmax, layer_norm, reductions with epilogues) compute everything per outer
//    iteration of that block (compute_at), and that loop nest is fused and parallel;
//  - matmul-like blocks (kOutFusible) get register tiling: i by 8, j by two vectors
//    (vectorized), k by 256, the j tiles parallel;
//  - conv2d blocks: an output-row vector (the widest divisor of the output width up to one
//    vector) by 8 output channels by 2 rows (see schedule_conv for the other shapes),
//    accumulated over the window;
//  - every other nest: its outermost loop parallel, innermost loop vectorized;
//  - reductions: row strategy (vector partial sums by split + rfactor) or column strategy
//    (reduce loops outside a tile of output vectors), see docs/graph_compiler.md.
// Each step is legality-checked by IRSchedule; a step that does not apply is skipped.
void schedule_x86(ir::IRSchedule& sch, KernelKind kind, const common::Target& target,
                  const X86TileParams& params = {});

}  // namespace cinn::backends

namespace cinn::backends {
// The x86 templates' parameters from the knob values of `params` (absent: 0).
X86TileParams x86_tile_params(const ScheduleParams& params);
}  // namespace cinn::backends
