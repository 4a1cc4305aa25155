// NVRTC, loaded at run time with dlopen (no link-time dependency on the CUDA toolkit).
#pragma once

#include <string>

namespace cinn::backends::cuda {

struct NvrtcOutput {
  std::string ptx;    // PTX for compute_<sm>, which the driver can JIT for newer devices
  std::string cubin;  // machine code for sm_<sm>
  std::string log;    // NVRTC's log (warnings), possibly empty
};

// Whether libnvrtc.so.13 can be loaded; `reason` says why not.
bool nvrtc_available(std::string* reason = nullptr);

// Compiles CUDA C `source` (`name` is its file name in messages) for sm_<sm_version> with
// -std=c++17 and, when `fast_math`, --use_fast_math. Throws CompileError carrying NVRTC's log
// and the numbered source when compilation fails, and CompileError when NVRTC cannot be
// loaded or rejects the architecture.
NvrtcOutput nvrtc_compile(const std::string& source, const std::string& name, int sm_version,
                          bool fast_math = false);

}  // namespace cinn::backends::cuda
