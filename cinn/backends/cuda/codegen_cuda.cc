#include "cinn/backends/cuda/codegen_cuda.h"

#include "cinn/backends/build.h"
#include "cinn/backends/c/codegen_c.h"
#include "cinn/common/error.h"

namespace cinn::backends::cuda {

std::string codegen_cuda(const ir::Module& m) { return c::codegen(m, c::Dialect::kCUDA); }

CudaModule build_cuda(const ir::Module& m, bool fast_math) {
  if (m.target.arch != common::Target::Arch::kNVGPU) {
    CINN_THROW(CompileError) << "CUDA backend: module '" << m.name << "' targets "
                             << m.target.to_string() << ", not a CUDA device";
  }
  BuildOptions opts;
  opts.vectorize = false;
  opts.llvm.precise_math = true;
  ir::Module lowered{m.name, m.target, {}};
  for (const ir::LoweredFunc& f : m.functions) lowered.functions.push_back(lower_to_loops(f, opts));
  CudaModule out;
  std::vector<ir::LaunchDims> dims;
  out.source = c::codegen(lowered, c::Dialect::kCUDA, &dims);
  for (size_t i = 0; i < dims.size(); ++i) out.kernels.push_back({m.functions[i].name(), dims[i]});
  int sm = m.target.sm_version > 0 ? m.target.sm_version : 90;
  out.binary = nvrtc_compile(out.source, m.name + ".cu", sm, fast_math);
  return out;
}

}  // namespace cinn::backends::cuda
