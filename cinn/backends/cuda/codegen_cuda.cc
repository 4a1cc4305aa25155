#include "cinn/backends/cuda/codegen_cuda.h"

#include "cinn/backends/build.h"
#include "cinn/backends/c/codegen_c.h"
#include "cinn/common/error.h"
#include "cinn/ir/intrinsics.h"
#include "cinn/ir/visitor.h"

namespace cinn::backends::cuda {

std::string codegen_cuda(const ir::Module& m) { return c::codegen(m, c::Dialect::kCUDA); }

LoopOptions cuda_loop_options() {
  LoopOptions opts;
  opts.vectorize = false;
  opts.lower_math = false;
  opts.gpu = true;
  return opts;
}

CudaModule generate_cuda(const ir::Module& m, const std::string& kernel_prefix) {
  if (m.target.arch != common::Target::Arch::kNVGPU) {
    CINN_THROW(CompileError) << "CUDA backend: module '" << m.name << "' targets "
                             << m.target.to_string() << ", not a CUDA device";
  }
  ir::Module split{m.name, m.target, {}};
  std::vector<int> function_of;
  for (size_t i = 0; i < m.functions.size(); ++i) {
    for (ir::LoweredFunc& part : split_kernels(m.functions[i])) {
      if (!kernel_prefix.empty()) {
        part = ir::LoweredFunc::make(kernel_prefix + part.name(), part.args(), part.size_vars(),
                                     part.get()->temp_buffers, part.body());
      }
      split.functions.push_back(part);
      function_of.push_back(static_cast<int>(i));
    }
  }
  CudaModule out;
  std::vector<ir::LaunchDims> dims;
  out.source = c::codegen(split, c::Dialect::kCUDA, &dims);
  for (size_t i = 0; i < dims.size(); ++i) {
    bool barriers = false;
    ir::post_order_visit(split.functions[i].body(), [&](const ir::IRNode* n) {
      if (n->kind() == ir::NodeKind::kCall) barriers = barriers || ir::is_gpu_barrier(static_cast<const ir::Call*>(n));
    });
    out.kernels.push_back({split.functions[i].name(), dims[i], function_of[i], barriers});
  }
  return out;
}

CudaModule compile_cuda(const ir::Module& m, bool fast_math) {
  CudaModule out = generate_cuda(m);
  int sm = m.target.sm_version > 0 ? m.target.sm_version : 90;
  out.binary = nvrtc_compile(out.source, (m.name.empty() ? "cinn" : m.name) + ".cu", sm, fast_math);
  return out;
}

CudaModule build_cuda(const ir::Module& m, bool fast_math) {
  ir::Module lowered{m.name, m.target, {}};
  for (const ir::LoweredFunc& f : m.functions) lowered.functions.push_back(lower_to_loops(f, cuda_loop_options()));
  return compile_cuda(lowered, fast_math);
}

}  // namespace cinn::backends::cuda
