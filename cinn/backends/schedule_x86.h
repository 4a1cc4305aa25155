// The default x86 schedule of a fused kernel (one LoweredFunc of the graph compiler).
#pragma once

#include "cinn/common/target.h"
#include "cinn/ir/schedule.h"

namespace cinn::backends {

// What the graph compiler knows about a kernel's dominant op.
enum class KernelKind { kElementWise, kReduction, kOutFusible, kOpaque };

// Schedules `sch` in place:
//  - intermediate spatial blocks are inlined into their consumers;
//  - kernels whose last block is spatial and whose other blocks cover leading loops of it
//    (softmax, layer_norm, reductions with epilogues) compute everything per outer
//    iteration of that block (compute_at), and that loop nest is fused and parallel;
//  - matmul-like blocks (kOutFusible) get register tiling: i by 8, j by 32 (vectorized),
//    k by 256, the j tiles parallel;
//  - every other nest: its outermost loop parallel, innermost loop vectorized;
//  - row reductions are vectorized with split + rfactor.
// Each step is legality-checked by IRSchedule; a step that does not apply is skipped.
void schedule_x86(ir::IRSchedule& sch, KernelKind kind, const common::Target& target);

}  // namespace cinn::backends
