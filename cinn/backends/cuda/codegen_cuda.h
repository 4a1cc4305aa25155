// The CUDA backend's compile side: lowered functions whose loops are bound to GPU blocks and
// threads -> CUDA C -> NVRTC -> CUBIN (+ PTX).
//
// The CUDA C is the C backend's printer in its CUDA dialect (c/codegen_c.h), so the two agree
// on every expression. Differences from the C file:
// * Each function is `extern "C" __global__ void __launch_bounds__(threads) name(...)` with
//   its buffer arguments (`T* __restrict__`, const when only read) and then its symbolic
//   sizes (int64_t) as parameters, in LoweredFunc order.
// * A loop bound to blockIdx/threadIdx.{x,y,z} becomes `const int64_t i = min + blockIdx.x;`,
//   guarded by `if (blockIdx.x < extent)` when another loop bound to the same axis is longer.
//   The grid and block dimensions are the largest extents bound to each axis
//   (ir::gpu_launch_dims), printed in a comment above the kernel.
// * Temporaries are local arrays or `__shared__` arrays of constant size; a global-memory
//   temporary is an UnsupportedOpError (the runtime passes those in), shared memory above the
//   target's limit and blocks above its thread limit are ScheduleErrors.
// * No C library: the prologue defines the fixed-width integer types; math is CUDA's.
// * Scalar code: vectorized loops are plain loops.
#pragma once

#include <string>
#include <vector>

#include "cinn/backends/backend.h"
#include "cinn/backends/cuda/nvrtc.h"
#include "cinn/ir/gpu_launch.h"
#include "cinn/ir/lowered_func.h"

namespace cinn::backends::cuda {

// CUDA C of a module after the loop passes.
std::string codegen_cuda(const ir::Module& m);

// The loop-pass options of the CUDA backend: no vectorization (scalar code), and CUDA's
// own math functions instead of the approximations; local/shared buffers compacted and
// barriers placed (LoopOptions::gpu).
LoopOptions cuda_loop_options();

// One __global__ function: part `part` of module function `function`.
struct CudaKernel {
  std::string name;
  ir::LaunchDims dims;
  int function = 0;
  bool barriers = false;  // the kernel synchronizes its block (ir::is_gpu_barrier)
};

struct CudaModule {
  std::string source;  // CUDA C
  std::vector<CudaKernel> kernels;  // in launch order
  NvrtcOutput binary;  // CUBIN and PTX for the target's sm version
};

// The grid-wide phases of a function, one kernel each: every top-level statement of the
// body (Blocks flattened; enclosing LetStmts and the local/shared allocations a statement
// uses go with it) is a part named `<name>_part<i>`, launched in order, so that a nest may
// read what an earlier nest wrote in another thread block. A body of one statement is
// returned as is. A part whose loops are not bound to the GPU runs on one thread.
std::vector<ir::LoweredFunc> split_kernels(const ir::LoweredFunc& f);

// Splits every function of a module after the loop passes into its kernels
// (split_kernels) and prints CUDA C; no binary. The kernels are named `kernel_prefix` +
// their part's name. m.target must be a CUDA target.
CudaModule generate_cuda(const ir::Module& lowered, const std::string& kernel_prefix = "");

// generate_cuda, then compiles the CUDA C with NVRTC for m.target.sm_version (90 when 0).
CudaModule compile_cuda(const ir::Module& lowered, bool fast_math = false);

// The loop passes of cuda_loop_options(), then compile_cuda.
CudaModule build_cuda(const ir::Module& m, bool fast_math = false);

}  // namespace cinn::backends::cuda
