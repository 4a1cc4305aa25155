// The default CUDA schedule of a fused kernel (one LoweredFunc of the graph compiler).
#pragma once

#include "cinn/backends/backend.h"
#include "cinn/common/target.h"
#include "cinn/ir/schedule.h"

namespace cinn::backends::cuda {

// The parameters of the CUDA templates (the backend's tuning knobs); 0 = default.
struct CudaScheduleParams {
  int64_t threads = 0;  // threads per block (default 256, at most the target's limit)
  int64_t matmul_tm = 0, matmul_tn = 0;  // matmul: outputs per thread (rows, columns)
  int64_t matmul_bk = 0;                 // matmul: reduction step per shared-memory tile
  int64_t conv_tf = 0, conv_tp = 0;      // conv2d: output channels / columns per thread
  int64_t vector_bytes = 0;              // elementwise: bytes per thread and access (default 16)
  int64_t row_cache_kb = 0;              // rows: KB of inputs read once into registers (default 16)
};
CudaScheduleParams cuda_schedule_params(const ScheduleParams& params);
// The knobs of the templates of `kind` (Backend::tuning_knobs).
std::vector<TuningKnob> cuda_tuning_knobs(KernelKind kind);

// Schedules `sch` in place for a GPU. Every loop nest that writes memory ends up bound to
// blockIdx.x/threadIdx.x or, when it has no spatial loop to bind, runs on one thread (the
// CUDA backend launches each top-level nest as its own kernel, split_kernels):
//  - intermediate spatial blocks are inlined into their consumers;
//  - a matmul (a reduction out[.., i, j] += lhs[i, k] * rhs[k, j], any operand layout, with
//    16 | M and 16 | N) gets shared-memory tiles of its operands and a register tile of
//    outputs per thread (schedule_matmul_tiled in schedule_cuda.cc); its elementwise
//    consumers are inlined into the write-back;
//  - a direct convolution (one group, any stride) likewise: a register tile of output
//    channels x columns per thread, its weights staged in shared memory, the zero-padded
//    input its own nest (schedule_conv_tiled);
//  - kernels whose last block is spatial and whose other blocks cover its leading loops
//    (softmax, layer_norm, normalizations) compute everything per iteration of those
//    loops: a thread block per row (cross-thread reductions), the inputs that several
//    passes read kept in registers (16-byte loads, read once: schedule_rows_in_registers),
//    or, for short rows, one thread per row;
//  - every other nest: its spatial loops fused and bound, one thread per output element,
//    reduce loops serial inside;
//  - a reduction with too few outputs to fill the GPU and a long reduce loop (a row sum
//    with < 256 outputs, a column sum with < 32768) is split in two stages: partial
//    results over many threads (coalesced reads), then their sum.
// Each step is legality-checked by IRSchedule; a step that does not apply is skipped.
void schedule_cuda(ir::IRSchedule& sch, KernelKind kind, const common::Target& target,
                   const CudaScheduleParams& params = {});

}  // namespace cinn::backends::cuda
