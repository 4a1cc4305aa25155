// The backends built into libcinn; backend.cc registers them, in one place.
#pragma once

#include <memory>

#include "cinn/backends/backend.h"

namespace cinn::backends {

std::shared_ptr<const Backend> make_x86_backend();   // x86_backend.cc
std::shared_ptr<const Backend> make_cuda_backend();  // cuda/cuda_backend.cc
std::shared_ptr<const Backend> make_cuda_emulator_backend();  // cuda/cuda_emulator.cc

}  // namespace cinn::backends
