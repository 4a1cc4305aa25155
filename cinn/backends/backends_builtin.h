// The backends built into libcinn; backend.cc registers them, in one place.
#pragma once

#include <memory>

#include "cinn/backends/backend.h"

namespace cinn::backends {

// The CUDA schedules, knobs and loop passes, shared by the `cuda` backend and the
// `cuda_emulator` backend, which differ only in how they compile the CUDA C.
class CudaScheduling : public Backend {
 public:
  void schedule(ir::IRSchedule& sch, KernelKind kind, const common::Target& target,
                const ScheduleParams& params) const override;
  std::vector<TuningKnob> tuning_knobs(KernelKind kind, const common::Target& target) const override;
  LoopOptions loop_options(const CodegenOptions& options) const override;
};

std::shared_ptr<const Backend> make_x86_backend();   // x86_backend.cc
std::shared_ptr<const Backend> make_cuda_backend();  // cuda/cuda_backend.cc
std::shared_ptr<const Backend> make_cuda_emulator_backend();  // cuda/cuda_emulator.cc

}  // namespace cinn::backends
