#include "cinn/backends/cuda/nvrtc.h"

#include <dlfcn.h>

#include <mutex>
#include <sstream>
#include <vector>

#include "cinn/common/dynamic_library.h"
#include "cinn/common/error.h"

namespace cinn::backends::cuda {
namespace {

// The subset of nvrtc.h used here; the ABI is stable across NVRTC versions.
using nvrtcResult = int;
using nvrtcProgram = void*;

struct Nvrtc {
  const char* (*GetErrorString)(nvrtcResult) = nullptr;
  nvrtcResult (*CreateProgram)(nvrtcProgram*, const char*, const char*, int, const char* const*,
                               const char* const*) = nullptr;
  nvrtcResult (*DestroyProgram)(nvrtcProgram*) = nullptr;
  nvrtcResult (*CompileProgram)(nvrtcProgram, int, const char* const*) = nullptr;
  nvrtcResult (*GetPTXSize)(nvrtcProgram, size_t*) = nullptr;
  nvrtcResult (*GetPTX)(nvrtcProgram, char*) = nullptr;
  nvrtcResult (*GetCUBINSize)(nvrtcProgram, size_t*) = nullptr;
  nvrtcResult (*GetCUBIN)(nvrtcProgram, char*) = nullptr;
  nvrtcResult (*GetProgramLogSize)(nvrtcProgram, size_t*) = nullptr;
  nvrtcResult (*GetProgramLog)(nvrtcProgram, char*) = nullptr;
  std::string error;  // why loading failed; empty when loaded
};


const Nvrtc& nvrtc() {
  static Nvrtc api;
  static std::once_flag once;
  std::call_once(once, [] {
    void* lib = nullptr;
    std::string tried;
    for (const char* path : {"libnvrtc.so.13", "/usr/local/cuda/lib64/libnvrtc.so.13"}) {
      lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
      if (lib) break;
      const char* e = dlerror();
      tried += std::string(tried.empty() ? "" : "; ") + (e ? e : path);
    }
    if (!lib) {
      api.error = "cannot load NVRTC (libnvrtc.so.13): " + tried;
      return;
    }
    std::string& e = api.error;
    common::load_symbol(lib, "nvrtcGetErrorString", &api.GetErrorString, "libnvrtc", &e);
    common::load_symbol(lib, "nvrtcCreateProgram", &api.CreateProgram, "libnvrtc", &e);
    common::load_symbol(lib, "nvrtcDestroyProgram", &api.DestroyProgram, "libnvrtc", &e);
    common::load_symbol(lib, "nvrtcCompileProgram", &api.CompileProgram, "libnvrtc", &e);
    common::load_symbol(lib, "nvrtcGetPTXSize", &api.GetPTXSize, "libnvrtc", &e);
    common::load_symbol(lib, "nvrtcGetPTX", &api.GetPTX, "libnvrtc", &e);
    common::load_symbol(lib, "nvrtcGetCUBINSize", &api.GetCUBINSize, "libnvrtc", &e);
    common::load_symbol(lib, "nvrtcGetCUBIN", &api.GetCUBIN, "libnvrtc", &e);
    common::load_symbol(lib, "nvrtcGetProgramLogSize", &api.GetProgramLogSize, "libnvrtc", &e);
    common::load_symbol(lib, "nvrtcGetProgramLog", &api.GetProgramLog, "libnvrtc", &e);
  });
  return api;
}

const Nvrtc& checked_nvrtc() {
  const Nvrtc& api = nvrtc();
  if (!api.error.empty()) CINN_THROW(CompileError) << "CUDA backend: " << api.error;
  return api;
}

std::string numbered(const std::string& source) {
  std::istringstream in(source);
  std::ostringstream out;
  int n = 0;
  for (std::string line; std::getline(in, line);) out << ++n << "\t" << line << "\n";
  return out.str();
}

}  // namespace

bool nvrtc_available(std::string* reason) {
  const Nvrtc& api = nvrtc();
  if (reason) *reason = api.error;
  return api.error.empty();
}

NvrtcOutput nvrtc_compile(const std::string& source, const std::string& name, int sm_version,
                          bool fast_math) {
  const Nvrtc& api = checked_nvrtc();
  nvrtcProgram prog = nullptr;
  nvrtcResult r = api.CreateProgram(&prog, source.c_str(), name.c_str(), 0, nullptr, nullptr);
  if (r != 0) {
    CINN_THROW(CompileError) << "NVRTC: cannot create program '" << name
                             << "': " << api.GetErrorString(r);
  }
  struct Guard {
    const Nvrtc& api;
    nvrtcProgram* p;
    ~Guard() { api.DestroyProgram(p); }
  } guard{api, &prog};

  std::string arch = "--gpu-architecture=sm_" + std::to_string(sm_version);
  std::vector<const char*> opts = {arch.c_str(), "-std=c++17"};
  if (fast_math) opts.push_back("--use_fast_math");
  r = api.CompileProgram(prog, static_cast<int>(opts.size()), opts.data());
  NvrtcOutput out;
  size_t n = 0;
  if (api.GetProgramLogSize(prog, &n) == 0 && n > 1) {
    out.log.resize(n);
    api.GetProgramLog(prog, out.log.data());
    out.log.resize(n - 1);  // the terminating NUL
  }
  if (r != 0) {
    CINN_THROW(CompileError) << "NVRTC failed to compile '" << name << "' for sm_" << sm_version
                             << " (" << api.GetErrorString(r) << "):\n"
                             << out.log << "\nsource:\n"
                             << numbered(source);
  }
  if (api.GetCUBINSize(prog, &n) == 0 && n > 0) {
    out.cubin.resize(n);
    api.GetCUBIN(prog, out.cubin.data());
  }
  if (api.GetPTXSize(prog, &n) == 0 && n > 1) {
    out.ptx.resize(n);
    api.GetPTX(prog, out.ptx.data());
    out.ptx.resize(n - 1);
  }
  if (out.cubin.empty()) {
    CINN_THROW(CompileError) << "NVRTC produced no CUBIN for '" << name << "' (sm_" << sm_version
                             << ")";
  }
  return out;
}

}  // namespace cinn::backends::cuda
