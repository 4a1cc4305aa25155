// The default CUDA schedule of a fused kernel (one LoweredFunc of the graph compiler).
#pragma once

#include "cinn/backends/backend.h"
#include "cinn/common/target.h"
#include "cinn/ir/schedule.h"

namespace cinn::backends::cuda {

// The parameters of the CUDA templates (the backend's tuning knobs); 0 = default.
struct CudaScheduleParams {
  int64_t threads = 0;  // threads per block (default 256, at most the target's limit)
};
CudaScheduleParams cuda_schedule_params(const ScheduleParams& params);
// The knobs of the templates of `kind` (Backend::tuning_knobs).
std::vector<TuningKnob> cuda_tuning_knobs(KernelKind kind);

// Schedules `sch` in place for a GPU. Every loop nest that writes memory ends up bound to
// blockIdx.x/threadIdx.x or, when it has no spatial loop to bind, runs on one thread (the
// CUDA backend launches each top-level nest as its own kernel, split_kernels):
//  - intermediate spatial blocks are inlined into their consumers;
//  - kernels whose last block is spatial and whose other blocks cover its leading loops
//    (softmax, layer_norm, normalizations) compute everything per iteration of those
//    loops: the loops are fused and bound, one thread per row;
//  - every other nest: its spatial loops fused and bound, one thread per output element,
//    reduce loops serial inside;
//  - a reduction with few outputs and a long reduce loop is split in two stages: partial
//    results over `threads * blocks` threads (coalesced reads), then their sum.
// Each step is legality-checked by IRSchedule; a step that does not apply is skipped.
void schedule_cuda(ir::IRSchedule& sch, KernelKind kind, const common::Target& target,
                   const CudaScheduleParams& params = {});

}  // namespace cinn::backends::cuda
