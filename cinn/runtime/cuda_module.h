// The CUDA backend's runtime side: kernels in a CUBIN (and PTX) launched through the CUDA
// driver API, which is loaded with dlopen("libcuda.so.1") on first use. Nothing here needs
// the CUDA toolkit's headers or libraries at build time.
//
// A module compiled without a visible device still loads: its first launch, allocation or
// copy raises ExecutionError("no CUDA device: ...") naming why (no driver library, no
// device, initialization failure).
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "cinn/runtime/module.h"

namespace cinn::runtime {

// How one kernel of the graph is launched: one or more __global__ functions in order (the
// grid-wide phases of the kernel), each with its grid and block, all taking the kernel's
// arguments.
struct CudaLaunchSpec {
  struct Part {
    std::string function;
    std::array<int64_t, 3> grid{1, 1, 1}, block{1, 1, 1};
  };
  std::string name;
  std::vector<Part> parts;
  int num_buffers = 0;  // buffer arguments (device pointers), then num_sizes int64 sizes
  int num_sizes = 0;
};

// The image of format "cuda-cubin": files kernels.cubin (for sm_<sm>), kernels.ptx (the
// fallback the driver compiles when the device's architecture differs) and launch.txt
// (one line per kernel: name, buffer and size argument counts, number of parts, then per
// part its function name, grid x y z and block x y z).
ModuleImage cuda_module_image(const std::string& cubin, const std::string& ptx,
                              const std::vector<CudaLaunchSpec>& kernels);

// The module of such an image (the loader of "cuda-cubin", registered by the runtime).
std::shared_ptr<KernelModule> load_cuda_module(const ModuleImage& image);

// Whether a CUDA device can be used in this process; when not, `*why` says why.
bool cuda_device_available(std::string* why = nullptr);
// The compute capability of the device in use as 10 * major + minor (0 when none).
int cuda_device_sm_version();

}  // namespace cinn::runtime
