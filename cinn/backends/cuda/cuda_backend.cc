// The CUDA backend: GPU schedule templates (schedule_cuda.h), CUDA C through NVRTC
// (codegen_cuda.h), kernels launched by the driver-API runtime (runtime/cuda_module.h).
#include "cinn/backends/backends_builtin.h"
#include "cinn/backends/cuda/codegen_cuda.h"
#include "cinn/backends/cuda/schedule_cuda.h"
#include "cinn/runtime/cuda_module.h"

namespace cinn::backends {

void CudaScheduling::schedule(ir::IRSchedule& sch, KernelKind kind, const common::Target& target,
                              const ScheduleParams& params) const {
  cuda::schedule_cuda(sch, kind, target, cuda::cuda_schedule_params(params));
}

std::vector<TuningKnob> CudaScheduling::tuning_knobs(KernelKind kind, const common::Target&) const {
  return cuda::cuda_tuning_knobs(kind);
}

LoopOptions CudaScheduling::loop_options(const CodegenOptions& options) const {
  LoopOptions lo = cuda::cuda_loop_options();
  lo.dump_dir = options.dump_dir;
  return lo;
}

namespace {

class CudaBackend final : public CudaScheduling {
 public:
  std::string name() const override { return "cuda"; }

  CompiledModule compile(const ir::Module& module, const CodegenOptions& options) const override {
    cuda::CudaModule cm = cuda::compile_cuda(module, /*fast_math=*/false);
    std::vector<runtime::CudaLaunchSpec> specs(module.functions.size());
    for (size_t i = 0; i < module.functions.size(); ++i) {
      specs[i].name = module.functions[i].name();
      specs[i].num_buffers = static_cast<int>(module.functions[i].args().size());
      specs[i].num_sizes = static_cast<int>(module.functions[i].size_vars().size());
    }
    for (const cuda::CudaKernel& k : cm.kernels) {
      specs[static_cast<size_t>(k.function)].parts.push_back({k.name, k.dims.grid, k.dims.block});
    }
    CompiledModule out;
    out.source = cm.source;
    out.module = runtime::load_cuda_module(runtime::cuda_module_image(cm.binary.cubin, cm.binary.ptx, specs));
    return out;
  }
};

}  // namespace

std::shared_ptr<const Backend> make_cuda_backend() { return std::make_shared<CudaBackend>(); }

}  // namespace cinn::backends
